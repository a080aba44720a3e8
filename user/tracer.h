/* SPDX-License-Identifier: GPL-2.0 */
/* The BPF side of a run: load, attach, detach, read the maps. */
#ifndef REDLAT_TRACER_H
#define REDLAT_TRACER_H

#include <stddef.h>
#include <stdio.h>
#include "report.h"
#include "target.h"

#define MAX_TP_LINKS 8
/* rare-event links of one target: entry and return of each hook, glibc's
 * fork(), up to 4 probe pairs per cycle */
#define RARE_LINKS (2 * (RARE_MAX + 1 + 4 * CYCLE_MAX))

struct commands_bpf;
struct ring_buffer;
struct inst_stalls;

struct tracer {
	struct commands_bpf *skel;
	struct target *targets;	/* room for MAX_INSTS: --follow adds restarts */
	int ntargets;
	struct bpf_link *tp_links[MAX_TP_LINKS];
	int ntp;
	int attached;
	/* stalls: always on, from tracer_start() to tracer_close() */
	int *rare_links;	/* uprobe link fds (user/ulink.c) */
	int nrare;
	struct ring_buffer *rb;
	struct inst_stalls *stalls;	/* one per target */
	int have_fault_tp;
	int have_switch;	/* sched_switch attached */
	int raw_syscalls;	/* raw_tp syscall programs: this kernel refused tp_btf */
	FILE *events_out;	/* --events: one line per event as it comes */
	double event_min_ns;
	int loops;
	int cmd_probes;	/* the command probes were attached at least once */
	/* The raw syscall tracepoints, which every syscall on the host pays
	 * for. On while a sampling window is open, while a target has an AOF
	 * open (its writes are timed there) and, with want_tps (--exact,
	 * --every-iteration) or where the uprobes that replace them are
	 * missing (tps_always), all the time. */
	struct bpf_link *sys_links[2];
	int tps_on;
	int want_tps;	/* set by the caller before tracer_start() */
	int tps_always;
	int tps_were_off;	/* taken off at least once: iterations were not all timed */
	int sync_fallback;	/* a target without the PLT stubs: fsyncs by tracepoint */
	int fork_fallback;	/* a target without glibc's fork(): forks by tracepoint */
	/* the fsync probes (uprobe pairs on PLT stubs), per binary */
	int *sync_links;
	int nsync;
	struct {
		dev_t dev;
		ino_t ino;
	} sync_bins[MAX_INSTS];
	int nsync_bins;
	double next_aof_check;	/* CLOCK_MONOTONIC ns */
	int tps_err_said;
	void *fdclass;		/* the fd class map, mapped */
	size_t fdclass_len;
};

/* loops: the main thread's time accounting (event loop, run queue, cycles),
 * off with --stalls-only */
int tracer_open(struct tracer *t, const struct target *targets, int n, double pair_bias_ns,
		double event_min_ns, int loops, char *err, size_t errlen);
/* What one uprobe hit costs (user/calib.c): taken out of the spans that
 * contain probes of their own (an eviction-cycle and its deletes). */
void tracer_set_probe_cost(struct tracer *t, double hit_ns);
/* --follow: trace one more instance (a restart of the ended target
 * restart_of), with the probes of the mode in force. 0, or -1 with err. */
int tracer_add(struct tracer *t, const struct target *g, char *err, size_t errlen);
/* Target k ended: take its per-pid probes off and forget its pid in the
 * BPF maps (what it gathered stays). */
void tracer_target_ended(struct tracer *t, int k);
/* Attach what stays on for the whole run: the syscall and scheduler
 * tracepoints and the rare-event uprobes (fork, rdbSave, ...). */
int tracer_start(struct tracer *t, char *err, size_t errlen);
/* Look for an AOF among each target's open files (at most once a second):
 * while one is open, the syscall tracepoints stay on to time its writes. */
void tracer_check_aof(struct tracer *t, double now_ns);
/* Take the stall events waiting in the ring buffer, waiting up to
 * timeout_ms for the first. */
void tracer_poll(struct tracer *t, int timeout_ms);
/* Stall counters: events, lost, map full, children not followed. */
void tracer_stall_stats(struct tracer *t, unsigned long long *stats);
/* Attach every probe of every live target (a new sampling window). The
 * programs record nothing until tracer_enable(). */
int tracer_attach(struct tracer *t, char *err, size_t errlen);
void tracer_enable(struct tracer *t);
/* Stop recording, probes still attached. */
void tracer_disable(struct tracer *t);
void tracer_detach(struct tracer *t);
/* Cumulative histograms so far, into r's instances (created in target
 * order on first use). */
int tracer_collect(struct tracer *t, struct run_report *r);
void tracer_stats(struct tracer *t, unsigned long long *stats);
/* Check that each hook fired where the evidence (requests answered, forks,
 * children that saved) says it ran, into each target's hooks[]; a silent
 * command hook goes to its next strategy (said on log). Returns how many
 * switched. */
int tracer_verify(struct tracer *t, FILE *log);
/* Every live target's command hook fired, or has no strategy left to try:
 * exact mode may give up CAP_SYS_ADMIN. */
int tracer_cmd_settled(const struct tracer *t);
/* Does the kernel let this thread read the maps with the capabilities it
 * has now? */
int tracer_maps_readable(struct tracer *t);
/* Every few seconds, in every mode: moves the thieves of tasks that have
 * exited out of the BPF map before it fills. */
void tracer_tidy(struct tracer *t);
void tracer_close(struct tracer *t);

#endif
