// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <stdio.h>
#include "procs.h"
#include "util.h"
#include "stalls_user.h"
#include "windows.h"

#define WINDOW_NS 100e6		/* a window: shorter ones cost Redis more in attaching */
#define MAX_GAP_NS 10e9		/* longest wait between two windows */
/* Commands right after the probes go on may run slow (Redis's text page was
 * just rewritten, the tracepoints just switched on): a window records only
 * after this. */
#define WARMUP_NS 10e6
#define TP_HIT_NS 400.0		/* a syscall tracepoint hit (0.15-0.55 us measured here) */

enum { IO_READS, IO_CPU };
static double (*const io_read[2])(const char *, pid_t) = {
	[IO_READS] = procs_reads, [IO_CPU] = procs_main_thread_cpu_ns,
};

/* A /proc counter summed over the targets. An ended target keeps its last
 * value (a dead one reads 0), and a restart that --follow added counts from
 * when it was added: a difference over a window never jumps when a target
 * comes or goes. */
static double sum_targets(struct tracer *tr, int which)
{
	double sum = 0, v;
	int k;

	for (k = 0; k < tr->ntargets; k++) {
		struct target *g = &tr->targets[k];

		if (!g->ended) {
			v = io_read[which](PROC_ROOT, g->proc.pid) - g->io_base[which];
			if (v > g->io_last[which])	/* counters only grow */
				g->io_last[which] = v;
		}
		sum += g->io_last[which];
	}
	return sum;
}

void target_io_start(struct target *g)
{
	int w;

	for (w = IO_READS; w <= IO_CPU; w++) {
		g->io_base[w] = io_read[w](PROC_ROOT, g->proc.pid);
		g->io_last[w] = 0;
	}
}

double targets_reads(struct tracer *tr)
{
	return sum_targets(tr, IO_READS);
}

double targets_cpu_ns(struct tracer *tr)
{
	return sum_targets(tr, IO_CPU);
}

/* Probe hits so far, counting a pair as two hits, hits while detaching, and
 * a tracepoint hit at its cost relative to a uprobe's. */
static double probe_hits(const struct windows *w, struct tracer *tr)
{
	unsigned long long st[STAT_MAX];

	tracer_stats(tr, st);
	return (double)st[STAT_CMD_HITS] + 2.0 * (double)st[STAT_PAIR_HITS] + (double)st[STAT_CYCLE_HITS] +
	       (double)st[STAT_LATE_HITS] + w->tp_ratio * (double)st[STAT_SYSCALL_HITS];
}

static void window_open(struct windows *w, struct tracer *tr, double now)
{
	w->in_gap = 0;
	w->start = now;
	w->cpu0 = targets_cpu_ns(tr);
	w->reads0 = targets_reads(tr);
}

static void warm_up(struct windows *w, struct tracer *tr, double now)
{
	w->in_gap = 0;
	w->warming = 1;
	w->warm_until = now + WARMUP_NS;
	w->hits0 = probe_hits(w, tr);	/* the warm-up's hits cost too */
}

void windows_start(struct windows *w, struct tracer *tr, double budget, double hit_ns,
		   int verbose, double now)
{
	sampler_init(&w->smp, budget, WINDOW_NS, MAX_GAP_NS);
	w->hit_ns = hit_ns;
	w->tp_ratio = TP_HIT_NS / hit_ns;
	w->verbose = verbose;
	warm_up(w, tr, now);
}

/* Weigh the last window's samples: it stands for its own reads, the
 * second half of the gap before it and after_reads of the time after it. */
static void weigh(struct windows *w, struct tracer *tr, struct run_report *r, double after_reads)
{
	double weight = w->win_reads > 0 ? (w->before + w->win_reads + after_reads) / w->win_reads : 1;
	size_t i;

	if (tracer_collect(tr, r))
		return;
	for (i = 0; i < r->ninsts; i++)
		inst_weigh(&r->insts[i], weight);
	w->weighed = 1;
}

/* A window ends: fold its own percentiles into each command's spread, and
 * its executions into the timeline. */
static void window_spread(struct windows *w, struct tracer *tr, struct run_report *r, double now)
{
	size_t i;

	if (tracer_collect(tr, r))
		return;
	for (i = 0; i < r->ninsts; i++) {
		struct inst_report *prev = i < w->snap.ninsts ? &w->snap.insts[i] : NULL;

		inst_window_spread(&r->insts[i], prev);
		timeline_add(&r->tl, (int)i, &r->insts[i], prev, stalls_wall((__u64)w->start),
			     stalls_wall((__u64)now));
	}
	report_copy(&w->snap, r);
}

int windows_step(struct windows *w, struct tracer *tr, struct run_report *r, double now,
		 char *err, size_t errlen)
{
	if (w->warming && now >= w->warm_until) {
		window_open(w, tr, now);
		/* the gap's second half, warm-up included, goes with this window */
		w->before = w->weighed ? w->reads0 - w->mid_reads : 0;
		w->warming = 0;
		tracer_enable(tr);
		return 0;
	}
	if (!w->in_gap && !w->warming && now - w->start >= WINDOW_NS) {
		double len = now - w->start, cpu, reads, gap;

		/* Stop recording first: on a busy host the work below takes CPU
		 * from Redis, and commands it preempts would count as slow. */
		tracer_disable(tr);
		window_spread(w, tr, r, now);
		cpu = fmax(targets_cpu_ns(tr) - w->cpu0, 0);
		reads = fmax(targets_reads(tr) - w->reads0, 0);
		sampler_window(&w->smp, len);
		w->win_reads = reads;
		w->weighed = 0;
		gap = sampler_gap_ns(&w->smp, (probe_hits(w, tr) - w->hits0) * w->hit_ns, cpu, len);
		if (gap < 1e6) {	/* within budget: stay attached */
			weigh(w, tr, r, 0);
			w->before = 0;
			w->hits0 = probe_hits(w, tr);
			window_open(w, tr, (double)now_ns());
			tracer_enable(tr);
			return 0;
		}
		w->gap_start = now;
		w->gap_reads0 = targets_reads(tr);
		/* What Redis does while the probes come off is not sampled, but
		 * it is this window's cost: the trapping meanwhile, and the time
		 * itself, counted as if probed. Removal waits for RCU grace periods
		 * (~250 ms here); with the gap reckoned from the window alone,
		 * the default budget kept 0.89x of untraced -P 16 throughput, with
		 * this 0.96x (BENCHMARKS.md). */
		tracer_detach(tr);
		now = (double)now_ns();
		gap = sampler_gap_ns(&w->smp, (probe_hits(w, tr) - w->hits0) * w->hit_ns, cpu,
				     now - w->start);
		if (w->verbose)
			fprintf(stderr, "redlat: window of %.0f ms, %.0f reads; probes off for %.0f ms\n",
				len / 1e6, reads, gap / 1e6);
		w->in_gap = 1;
		w->next_attach = now + gap;
	}
	if (w->in_gap && !w->weighed && now >= (w->gap_start + w->next_attach) / 2) {
		w->mid_reads = targets_reads(tr);
		weigh(w, tr, r, w->mid_reads - w->gap_reads0);
	}
	if (w->in_gap && now >= w->next_attach) {
		if (tracer_attach(tr, err, errlen))
			return -1;
		warm_up(w, tr, (double)now_ns());
	}
	return 0;
}

int windows_recording(const struct windows *w)
{
	return !w->in_gap && !w->warming;
}

void windows_finish(struct windows *w, struct tracer *tr, struct run_report *r, double now)
{
	double reads = targets_reads(tr);
	size_t i;

	if (!w->in_gap && !w->warming) {
		/* the run ends inside a window */
		tracer_disable(tr);
		window_spread(w, tr, r, now);
		w->win_reads = reads - w->reads0;
		sampler_window(&w->smp, now - w->start);
		weigh(w, tr, r, 0);
	} else if (!w->weighed) {
		/* in the first half of a gap: all of it so far is the window's */
		weigh(w, tr, r, reads - w->gap_reads0);
	} else {
		/* past the middle of a gap, or warming up: no window follows */
		for (i = 0; i < r->ninsts && w->win_reads > 0; i++)
			inst_weigh_more(&r->insts[i], (reads - w->mid_reads) / w->win_reads);
	}
	run_report_free(&w->snap);
}
