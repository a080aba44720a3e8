/* SPDX-License-Identifier: GPL-2.0 */
/* Sampled mode's windows: when the per-command probes go on and off, what
 * each window cost Redis and saw. The arithmetic is in sampler.c; this is
 * the state machine that drives the tracer with it. */
#ifndef REDLAT_WINDOWS_H
#define REDLAT_WINDOWS_H

#include <stddef.h>
#include "report.h"
#include "sampler.h"
#include "tracer.h"

struct windows {
	struct sampler smp;
	struct run_report snap;	/* histograms at the end of the last window */
	double hit_ns;		/* calibrated cost of a probe hit */
	double tp_ratio;	/* a syscall tracepoint hit, in probe hits */
	int verbose;
	int in_gap, warming;
	double start, cpu0, reads0, hits0;	/* of the window in progress */
	double warm_until, next_attach;
	/* Weights. A window's samples stand for the reads in it (win_reads),
	 * the second half of the gap before it (before) and the first half
	 * of the gap after it, known at the gap's middle. */
	double win_reads, before;
	double gap_start, gap_reads0, mid_reads;
	int weighed;		/* the last window's weight is set */
};

/* The tracer is attached, not yet enabled: the first window warms up. */
void windows_start(struct windows *w, struct tracer *tr, double budget, double hit_ns,
		   int verbose, double now);
/* Call often (every 10 ms). -1, with err, when re-attaching failed. */
int windows_step(struct windows *w, struct tracer *tr, struct run_report *r, double now,
		 char *err, size_t errlen);
/* Whether the probes are recording now (a window after its warm-up). */
int windows_recording(const struct windows *w);
/* The run ends: account the window in progress. */
void windows_finish(struct windows *w, struct tracer *tr, struct run_report *r, double now);

/* read() calls and main-thread CPU time of the targets so far. */
double targets_reads(struct tracer *tr);
double targets_cpu_ns(struct tracer *tr);
/* A target added during the run (--follow) counts from now. */
void target_io_start(struct target *g);

#endif
