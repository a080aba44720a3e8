/* SPDX-License-Identifier: GPL-2.0 */
/* One traced Redis instance: what its binary offers and how it is probed. */
#ifndef REDLAT_TARGET_H
#define REDLAT_TARGET_H

#include "commands.h"
#include "elfsym.h"
#include "hooks_user.h"
#include "procs.h"
#include "stalls.h"

#define MAX_SITES 16
#define SLOWLOG_FN "slowlogPushEntryIfNeeded"


/* Functions of rare events, each optional: without one, redlat says what
 * it loses (the report's "probes" line). */
enum rare_hook {
	RARE_FORK,	/* redisFork / serverFork(int purpose): the fork's purpose */
	RARE_REPL,	/* startBgsaveForReplication: a fork for a replica */
	RARE_RDBSAVE,	/* rdbSave: in the child, or SAVE on the main thread */
	RARE_AOFRW,	/* rewriteAppendOnlyFile: in the AOF rewrite child */
	RARE_COW,	/* zmalloc_get_private_dirty: the child's copied bytes */
	RARE_MAX,
};

struct rare_fn {
	const char *names[2];	/* Redis, Valkey */
	const char *loses;	/* what is lost without it */
};
extern const struct rare_fn rare_fns[RARE_MAX];

#define SYNC_FNS 3
extern const char *const sync_fns[SYNC_FNS];
extern const int sync_nrs[SYNC_FNS];

struct target {
	struct redis_proc proc;
	char version[32];
	char product[16];	/* "redis" or "valkey" */
	int subcommands;	/* names parent|sub */
	/* Execution span: call sites of slowlogPushEntryIfNeeded, or its
	 * entry (sites[0], nsites 1) when cmd_strategy says so. */
	struct elfsym sites[MAX_SITES];
	char site_funcs[MAX_SITES][48];
	int nsites;
	int cmd_strategy;		/* enum hook_strategy */
	struct elfsym cmd_entry;	/* the function itself, for the fallback */
	int cmd_entry_rip;		/* its first instruction is RIP-relative */
	char cmd_note[160];		/* what the strategy in force replaced */
	/* hook counters when the strategy in force was attached, and the
	 * verdicts so far (user/hooks_user.h) */
	unsigned long long hook_base[HOOK_NCOUNTERS];
	struct hook_status hooks[HOOK_REPORTED];
	/* Skip-slowlog procs timed by an entry/return pair. */
	struct elfsym skip[MAX_SKIP_PROCS];
	int skip_id[MAX_SKIP_PROCS];	/* index in skip_slowlog_procs */
	int nskip;
	struct elfsym rare[RARE_MAX];
	int has_rare[RARE_MAX];		/* attached (the symbol exists) */
	int rare_callers[RARE_MAX];	/* and has direct callers */
	char rare_missing[512];
	/* glibc's fork(): the span Redis times as latest_fork_usec */
	char libc_path[PATH_MAX + 32];
	struct elfsym libc_fork;
	int has_libc_fork;	/* "redisFork (fork purpose), ..." */
	/* fsync, fdatasync, sync_file_range (sync_fns): their PLT stubs */
	struct elfsym sync_plt[SYNC_FNS];
	int sync_used[SYNC_FNS];	/* imported, stub found */
	int has_sync_plt;		/* none imported without a stub */
	int aof_open;			/* an AOF file among its fds (tracer_check_aof) */
	/* internal cycles: begin and end probe points (file offsets), and
	 * whether the end is a return probe */
#define MAX_CYCLE_SITES 4
	__u64 cycle_begin[CYCLE_MAX][MAX_CYCLE_SITES], cycle_end[CYCLE_MAX][MAX_CYCLE_SITES];
	int cycle_ret[CYCLE_MAX];
	int ncycle[CYCLE_MAX];
	int ended;
	double seen_alive_s;	/* CLOCK_BOOTTIME when last seen alive (--follow) */
	pid_t restart_of;	/* --follow: the ended target it restarts */
	int restart_seen;	/* --follow: its restart was found (or refused) */
	double since_wall;	/* --follow: traced from (unix time) */
	long long majflt0;	/* major faults when its tracing began (memfacts) */
	double io_base[2], io_last[2];	/* sampled mode: /proc counters (windows.c) */
	dev_t bin_dev;		/* the binary's inode, at attach time */
	ino_t bin_ino;
	int site_fds[MAX_SITES];	/* links of the site probes, -1 when off */
	/* window probes: skip-slowlog procs, per-iteration and per-command cycles */
	int links[2 * MAX_SKIP_PROCS + 2 * MAX_CYCLE_SITES * CYCLE_MAX];	/* uprobe link fds */
	int nlinks;
};

/* Read the binary and pick the probe points. 0, or -1 with a one-line
 * reason naming what is missing. */
int target_analyze(struct target *t, char *err, size_t errlen);
/* Probe the command hook with strategy s (HS_CALL_SITES keeps the sites
 * found; HS_ENTRY and HS_ENTRY_NO_CALLER use the entry). */
void target_cmd_use(struct target *t, int s);

#endif
