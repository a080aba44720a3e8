/* SPDX-License-Identifier: GPL-2.0 */
/* Sampled mode: when to attach the per-command probes, and how to scale
 * what they saw. Pure arithmetic, no BPF, so it is tested on its own.
 *
 * A probe hit costs c ns of Redis's main thread. In a window where the main
 * thread ran u ns and took h hits, the probes took f = h*c/u of its CPU time;
 * attached for a share d of the run, they take f*d on average, and
 * d = budget/f keeps that at the budget. u is floored at a fifth of the
 * window so that a nearly idle Redis, whose few hits cost nothing, stays
 * attached rather than churning probes on and off. */
#ifndef REDLAT_SAMPLER_H
#define REDLAT_SAMPLER_H

#include <stdint.h>

struct sampler {
	double budget;		/* share of Redis's time, 0.02 = 2% */
	double window_ns;	/* attached span of one window */
	double max_gap_ns;	/* never wait longer than this between windows */
	/* totals over the run */
	double attached_ns;
	double detached_ns;
	double est_commands;	/* commands estimated to have run, all windows + gaps */
	uint64_t sampled_commands;
	uint64_t windows;
};

void sampler_init(struct sampler *s, double budget, double window_ns, double max_gap_ns);

/* After a window of window_ns: probe_ns is what its probe hits cost Redis
 * (hits times the calibrated cost of one), cpu_ns the main thread's CPU time
 * in it. Returns how long to stay detached (ns). */
double sampler_gap_ns(const struct sampler *s, double probe_ns, double cpu_ns, double window_ns);

/* Commands that ran untraced in a gap, estimated from the main thread's CPU
 * use: a window tells the CPU a command costs without the probes
 * ((cpu_in - probe_ns) / cmds); the gap's CPU time divided by it is the
 * commands it ran. Right whether Redis was saturated or idle. */
double sampler_gap_commands(double cmds, double probe_ns, double cpu_in_ns, double cpu_gap_ns);

/* The same from the read() calls of the process (/proc/PID/io syscr):
 * commands per read in the window times the reads in the gap. Clients that
 * wait for their replies (redis-benchmark, most client libraries) keep
 * that ratio steady whether Redis is probed or not; the CPU estimate above
 * is the fallback when there were no reads. Negative when it cannot tell. */
double sampler_gap_commands_io(double cmds, double reads_in, double reads_gap);

/* Account a window (its hits) and the gap after it. */
void sampler_account(struct sampler *s, double window_ns, uint64_t hits, double gap_ns, double gap_commands);

/* Multiply a sampled count by this to estimate the run's count (1 when
 * everything was seen). */
double sampler_scale(const struct sampler *s);

#endif
