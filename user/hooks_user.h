/* SPDX-License-Identifier: GPL-2.0 */
/* Which way each hook is probed, and whether it fired when it should have.
 * Pure functions over plain values, so that the tests drive them. */
#ifndef REDLAT_HOOKS_USER_H
#define REDLAT_HOOKS_USER_H

#include "hooks.h"

/* How a function is probed, best first. */
enum hook_strategy {
	HS_NONE,	/* not probed: no symbol, or every strategy was silent */
	HS_CALL_SITES,	/* its direct call/jmp sites (emulated: 5-7 us a hit here) */
	HS_ENTRY,	/* its first instruction (the same registers hold the
			 * arguments; single-stepped when RIP-relative: ~19 us) */
	HS_ENTRY_NO_CALLER,	/* its entry, though no direct caller was found
				 * (a function pointer, or an LTO leftover) */
};

enum hook_verdict {
	HV_ABSENT,	/* not attached */
	HV_UNVERIFIED,	/* attached; nothing yet said it should have fired */
	HV_FIRED,	/* fired, and at least as often as the evidence says */
	HV_MISSED,	/* fired fewer times than the evidence says it ran */
	HV_SILENT,	/* never fired although the evidence says it ran */
	HV_MAX,
};

/* Requests served without one command probe hit before the command hook
 * is called silent: one unknown command is answered without reaching
 * call(), and so without the slowlog, so a single reply proves nothing. */
#define HOOK_CMD_EVIDENCE 3

#define HOOK_REPORTED (1 + HOOK_COW)	/* command + the rare hooks */

/* One hook of one instance, as the report gives it. */
struct hook_status {
	char hook[16];		/* "command", "fork", "repl", "rdbsave", "aofrw", "cow" */
	char function[48];	/* the function probed, or looked for */
	int strategy;		/* enum hook_strategy */
	int verdict;		/* enum hook_verdict */
	unsigned long long hits;	/* since the strategy was attached */
	unsigned long long expected;	/* the evidence: times it should have fired */
	char note[160];		/* what a fallback replaced, or what is lost */
};

/* The first strategy for a function: has_sym (it exists), nsites (direct
 * callers found). */
int hook_first_strategy(int has_sym, int nsites);
/* The next one after cur for the command hook, once cur proved silent. */
int hook_next_strategy(int cur, int has_sym);
/* Verdict from the hits and the evidence. per_event: the hook must fire
 * once per piece of evidence (a fork), not merely once. min_evidence: how
 * much evidence a silence needs to count. */
int hook_verdict(int strategy, unsigned long long hits, unsigned long long expected, int per_event,
		 unsigned long long min_evidence);

const char *hook_strategy_name(int s);
const char *hook_verdict_name(int v);
/* Inverses, for --replay: -1 for an unknown name. */
int hook_strategy_from(const char *name);
int hook_verdict_from(const char *name);

#endif
