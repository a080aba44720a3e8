// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include "names.h"
#include "target.h"

const struct rare_fn rare_fns[RARE_MAX] = {
	[RARE_FORK] = { { "redisFork", "serverFork" }, "fork purpose from Redis" },
	[RARE_REPL] = { { "startBgsaveForReplication", NULL }, "replication forks told apart" },
	[RARE_RDBSAVE] = { { "rdbSave", NULL }, "rdbSave times" },
	[RARE_AOFRW] = { { "rewriteAppendOnlyFile", NULL }, "AOF rewrite times" },
	[RARE_COW] = { { "zmalloc_get_private_dirty", NULL }, "the child's copy-on-write bytes" },
};

/* A rare-event function that exists is probed at its entry. Without a
 * direct caller it may still run (through a pointer), or be a symbol an
 * LTO build kept after inlining it everywhere: it is attached all the same
 * (a rare hook costs nothing) and trusted only once it fires
 * (user/tracer.c verifies it against what the tracepoints saw). */
static void find_rare(struct target *t, struct elfbin *b)
{
	struct elfsym site;
	size_t len = 0;
	int i, j;

	for (i = 0; i < RARE_MAX; i++) {
		t->has_rare[i] = t->rare_callers[i] = 0;
		for (j = 0; j < 2 && rare_fns[i].names[j] && !t->has_rare[i]; j++)
			t->has_rare[i] = !elfbin_sym(b, rare_fns[i].names[j], &t->rare[i]);
		if (t->has_rare[i])
			t->rare_callers[i] = elfbin_call_sites(b, t->rare[i].addr, &site, 1) > 0;
		if (!t->has_rare[i] && len < sizeof(t->rare_missing) - 80)
			len += snprintf(t->rare_missing + len, sizeof(t->rare_missing) - len, "%s%s (%s)",
					len ? ", " : "", rare_fns[i].names[0], rare_fns[i].loses);
	}
}

/* The call sites of fn inside the function [in, in + in_size), as
 * begin/end points of cycle c (the call, the instruction after it). */
static void cycle_call_sites(struct target *t, struct elfbin *b, int c, const char *fn,
			     const struct elfsym *in)
{
	struct elfsym callee, sites[16];
	int i, n;

	if (elfbin_sym(b, fn, &callee))
		return;
	n = elfbin_call_sites(b, callee.addr, sites, 16);
	for (i = 0; i < n && t->ncycle[c] < MAX_CYCLE_SITES; i++) {
		if (sites[i].is_jmp || sites[i].addr < in->addr || sites[i].addr >= in->addr + in->size)
			continue;
		t->cycle_begin[c][t->ncycle[c]] = sites[i].off;
		t->cycle_end[c][t->ncycle[c]++] = sites[i].off + sites[i].size;
	}
}

/* A function's entry and return as the begin and end of cycle c. */
static int cycle_function(struct target *t, struct elfbin *b, int c, const char *name, struct elfsym *fn)
{
	struct elfsym site;

	if (elfbin_sym(b, name, fn) || elfbin_call_sites(b, fn->addr, &site, 1) <= 0)
		return -1;
	t->cycle_begin[c][0] = t->cycle_end[c][0] = fn->off;
	t->cycle_ret[c] = 1;
	t->ncycle[c] = 1;
	return 0;
}

/* expire-cycle: the calls of activeExpireCycle, each timed from its call
 * instruction to the instruction it returns to: outside beforeSleep the
 * slow cycle (from databasesCron), inside it the fast one.
 * active-defrag-cycle and eviction-cycle: the function's entry and return;
 * eviction-del: the calls of the key delete inside performEvictions
 * (dbSyncDelete/dbAsyncDelete up to 7.0, dbGenericDelete since 7.2). */
static void find_cycles(struct target *t, struct elfbin *b)
{
	static const char *const dels[] = { "dbSyncDelete", "dbAsyncDelete", "dbGenericDelete" };
	struct elfsym fn, sites[8];
	size_t len = strlen(t->rare_missing);
	int i, n;

	memset(t->ncycle, 0, sizeof(t->ncycle));
	memset(t->cycle_ret, 0, sizeof(t->cycle_ret));
	if (!elfbin_sym(b, "activeExpireCycle", &fn)) {
		n = elfbin_call_sites(b, fn.addr, sites, 8);
		for (i = 0; i < n; i++) {
			const char *in = elfbin_func_at(b, sites[i].addr);
			int c = in && strstr(in, "beforeSleep") ? CYCLE_EXPIRE_FAST : CYCLE_EXPIRE;

			if (sites[i].is_jmp || t->ncycle[c] >= MAX_CYCLE_SITES)
				continue;
			t->cycle_begin[c][t->ncycle[c]] = sites[i].off;
			t->cycle_end[c][t->ncycle[c]++] = sites[i].off + sites[i].size;
		}
	}
	cycle_function(t, b, CYCLE_DEFRAG, "activeDefragCycle", &fn);
	if (!cycle_function(t, b, CYCLE_EVICT, "performEvictions", &fn))
		for (i = 0; i < (int)(sizeof(dels) / sizeof(dels[0])); i++)
			cycle_call_sites(t, b, CYCLE_EVICT_DEL, dels[i], &fn);
	/* without a delete to mark them, the calls that evicted cannot be
	 * told from the calls that had nothing to do */
	if (!t->ncycle[CYCLE_EVICT_DEL])
		t->ncycle[CYCLE_EVICT] = 0;
	if (!t->ncycle[CYCLE_EXPIRE_FAST] && len < sizeof(t->rare_missing) - 80)
		len += snprintf(t->rare_missing + len, sizeof(t->rare_missing) - len,
				"%sactiveExpireCycle called from beforeSleep (the fast expire cycle)",
				len ? ", " : "");
	if (!t->ncycle[CYCLE_EVICT] && len < sizeof(t->rare_missing) - 80)
		snprintf(t->rare_missing + len, sizeof(t->rare_missing) - len,
			 "%sperformEvictions with a key delete inside (eviction-cycle, eviction-del)",
			 len ? ", " : "");
}

static void find_libc_fork(struct target *t)
{
	struct elfbin *lb;
	char why[256];

	size_t len = strlen(t->rare_missing);

	t->has_libc_fork = 0;
	if (!procs_libc(PROC_ROOT, t->proc.pid, t->libc_path, sizeof(t->libc_path)) &&
	    !elfbin_open(t->libc_path, &lb, why, sizeof(why))) {
		t->has_libc_fork = !elfbin_sym(lb, "fork", &t->libc_fork) ||
				   !elfbin_sym(lb, "__libc_fork", &t->libc_fork);
		elfbin_close(lb);
	}
	if (!t->has_libc_fork)
		snprintf(t->rare_missing + len, sizeof(t->rare_missing) - len, "%slibc fork() (fork stalls "
			 "are the clone syscall only, without the parent's first copy-on-write faults)",
			 len ? ", " : "");
}

const char *const sync_fns[SYNC_FNS] = { "fsync", "fdatasync", "sync_file_range" };
const int sync_nrs[SYNC_FNS] = { 74, 75, 277 };	/* x86-64 */

/* The PLT stubs of fsync, fdatasync and sync_file_range: probed there, they
 * need no syscall tracepoint. A function the binary does not import needs
 * no stub; one it calls through the GOT directly (-fno-plt) leaves the
 * tracepoints in charge. */
static void find_sync_plt(struct target *t, struct elfbin *b)
{
	int i, r;

	t->has_sync_plt = 1;
	for (i = 0; i < SYNC_FNS; i++) {
		r = elfbin_plt(b, sync_fns[i], &t->sync_plt[i]);
		t->sync_used[i] = r == 0;
		if (r < 0)
			t->has_sync_plt = 0;
	}
}

void target_cmd_use(struct target *t, int s)
{
	t->cmd_strategy = s;
	if (s == HS_CALL_SITES || s == HS_NONE) {
		if (s == HS_NONE)
			t->nsites = 0;
		return;
	}
	t->sites[0] = t->cmd_entry;
	t->sites[0].is_jmp = 0;
	t->nsites = 1;
	snprintf(t->site_funcs[0], sizeof(t->site_funcs[0]), "its entry");
}

int target_analyze(struct target *t, char *err, size_t errlen)
{
	const char *path = t->proc.probe_path;
	struct elfsym fn;
	struct elfbin *b;
	char why[256];
	int i;

	if (elfbin_open(path, &b, why, sizeof(why))) {
		snprintf(err, errlen, "pid %d: %s", t->proc.pid, why);
		return -1;
	}
	if (!elfbin_nfuncs(b)) {
		snprintf(err, errlen, "pid %d: %s has no symbols (.symtab and .dynsym stripped); "
			 "redlat needs at least the .dynsym that Redis's -rdynamic link keeps",
			 t->proc.pid, t->proc.exe);
		goto fail;
	}
	if (elfbin_version(b, t->version, sizeof(t->version), t->product, sizeof(t->product))) {
		snprintf(t->version, sizeof(t->version), "unknown");
		snprintf(t->product, sizeof(t->product), "%s",
			 strstr(t->proc.exe, "valkey") ? "valkey" : "redis");
	}
	t->subcommands = has_subcommands(t->product, t->version);

	if (elfbin_sym(b, SLOWLOG_FN, &fn)) {
		snprintf(err, errlen, "pid %d: %s has no symbol %s, which redlat times commands at; "
			 "is it a Redis server build older than 2.2 or with .dynsym stripped?",
			 t->proc.pid, t->proc.exe, SLOWLOG_FN);
		goto fail;
	}
	t->nsites = elfbin_call_sites(b, fn.addr, t->sites, MAX_SITES);
	if (t->nsites >= MAX_SITES) {
		/* more than any build seen: refuse rather than undercount */
		snprintf(err, errlen, "pid %d: %s calls %s from %d or more places; redlat probes at "
			 "most %d", t->proc.pid, t->proc.exe, SLOWLOG_FN, MAX_SITES, MAX_SITES - 1);
		goto fail;
	}
	for (i = 0; i < t->nsites; i++) {
		const char *f = elfbin_func_at(b, t->sites[i].addr);

		snprintf(t->site_funcs[i], sizeof(t->site_funcs[i]), "%s", f ? f : "?");
	}
	t->cmd_entry = fn;
	t->cmd_entry_rip = elfbin_rip_relative(b, fn.addr);
	t->cmd_note[0] = 0;
	/* no direct caller: called through a pointer, or from a clone
	 * without a symbol; the entry catches both (verified once attached) */
	target_cmd_use(t, hook_first_strategy(1, t->nsites));
	if (t->cmd_strategy != HS_CALL_SITES)
		snprintf(t->cmd_note, sizeof(t->cmd_note), "no direct call of %s found", SLOWLOG_FN);
	find_rare(t, b);
	find_cycles(t, b);
	find_libc_fork(t);
	find_sync_plt(t, b);
	t->nskip = 0;
	for (i = 0; skip_slowlog_procs[i].name && t->nskip < MAX_SKIP_PROCS; i++) {
		if (elfbin_sym(b, skip_slowlog_procs[i].proc, &t->skip[t->nskip]))
			continue;	/* said in the report: that command goes untimed */
		t->skip_id[t->nskip++] = i;
	}
	elfbin_close(b);
	return 0;
fail:
	elfbin_close(b);
	return -1;
}
