/* SPDX-License-Identifier: GPL-2.0 */
/* One traced Redis instance: what its binary offers and how it is probed. */
#ifndef REDLAT_TARGET_H
#define REDLAT_TARGET_H

#include "commands.h"
#include "elfsym.h"
#include "procs.h"

#define MAX_SITES 16
#define SLOWLOG_FN "slowlogPushEntryIfNeeded"

struct bpf_link;

struct target {
	struct redis_proc proc;
	char version[32];
	char product[16];	/* "redis" or "valkey" */
	int subcommands;	/* names parent|sub */
	/* Execution span: call sites of slowlogPushEntryIfNeeded. */
	struct elfsym sites[MAX_SITES];
	char site_funcs[MAX_SITES][48];
	int nsites;
	/* Skip-slowlog procs timed by an entry/return pair. */
	struct elfsym skip[MAX_SKIP_PROCS];
	int skip_id[MAX_SKIP_PROCS];	/* index in skip_slowlog_procs */
	int nskip;
	int ended;
	int site_fds[MAX_SITES];	/* perf events of the site probes, -1 when off */
	struct bpf_link *links[2 * MAX_SKIP_PROCS];
	int nlinks;
};

/* Read the binary and pick the probe points. 0, or -1 with a one-line
 * reason naming what is missing. */
int target_analyze(struct target *t, char *err, size_t errlen);

#endif
