/* SPDX-License-Identifier: GPL-2.0 */
/* --follow: which new Redis process is the restart of a traced instance
 * that ended. Pure: the caller reads /proc, the tests feed processes. */
#ifndef REDLAT_FOLLOW_H
#define REDLAT_FOLLOW_H

#include "procs.h"

/* A restart has bound its ports by this age: Redis listens before it loads
 * its data. A younger process without them may still be starting. */
#define FOLLOW_BIND_S 2.0
/* Younger than this, a process may not have mapped its C library yet
 * (redlat probes its fork()): a match by executable waits so long. */
#define FOLLOW_SETTLE_S 0.5

struct follow_proc {
	const struct redis_proc *proc;
	/* CLOCK_BOOTTIME seconds: an ended instance, when last seen alive; a
	 * candidate, when it started */
	double t_s;
};

/* For each ended instance lost[i], match[i] is the index of the candidate
 * that restarts it, or -1. A candidate counts only if it started after the
 * instance was last seen alive. It restarts the instance whose port it
 * listens on; failing that, one that ran the same executable, once it is
 * FOLLOW_BIND_S old without that instance's ports (FOLLOW_SETTLE_S when
 * that instance had none). Port matches come first; among several candidates
 * of the same executable, the first started wins; a candidate restarts one
 * instance at most. */
void follow_match(const struct follow_proc *lost, int nlost, const struct follow_proc *cand, int ncand,
		  double now_s, int *match);

/* The same executable path, ignoring the " (deleted)" that /proc gives a
 * file replaced since (a package upgrade). */
int follow_same_exe(const char *a, const char *b);

#endif
