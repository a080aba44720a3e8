/* SPDX-License-Identifier: GPL-2.0 */
/* Hook hit counters and the evidence that a hook should have fired, per
 * instance (the slot of inst_state), shared by bpf/ and user/. User space
 * compares them after attaching (user/hooks.c): a hook that is attached
 * but silent while the evidence says it should have fired is reported,
 * and the command hook falls back to its next strategy. */
#ifndef REDLAT_HOOKS_H
#define REDLAT_HOOKS_H

enum hook_counter {
	HOOK_CMD,	/* the command probe: slowlogPushEntryIfNeeded, a call site or its entry */
	/* the rare hooks, in the order of enum rare_hook (user/target.h) */
	HOOK_FORK,	/* redisFork / serverFork entry */
	HOOK_REPL,	/* startBgsaveForReplication entry */
	HOOK_RDBSAVE,	/* rdbSave entry, in a child or on the main thread */
	HOOK_AOFRW,	/* rewriteAppendOnlyFile entry */
	HOOK_COW,	/* zmalloc_get_private_dirty return, in a child */
	/* evidence */
	HOOK_EV_REPLY,	/* a write to a connection whose request the main thread
			 * read in a window: a request was served */
	HOOK_EV_FORK,	/* a child process, seen by sched_process_fork */
	HOOK_NCOUNTERS,
};

#endif
