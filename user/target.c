// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include "names.h"
#include "target.h"

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
	if (t->nsites <= 0) {
		snprintf(err, errlen, "pid %d: %s never calls %s directly (inlined by this build?); "
			 "redlat has no other way to time commands in it yet",
			 t->proc.pid, t->proc.exe, SLOWLOG_FN);
		goto fail;
	}
	for (i = 0; i < t->nsites; i++) {
		const char *f = elfbin_func_at(b, t->sites[i].addr);

		snprintf(t->site_funcs[i], sizeof(t->site_funcs[i]), "%s", f ? f : "?");
	}
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
