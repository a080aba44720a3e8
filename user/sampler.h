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
	double budget;		/* share of Redis's CPU time, 0.02 = 2% */
	double window_ns;	/* attached span of one window */
	double max_gap_ns;	/* never wait longer than this between windows */
	double attached_ns;	/* totals over the run */
	uint64_t windows;
};

void sampler_init(struct sampler *s, double budget, double window_ns, double max_gap_ns);

/* After a window of window_ns: probe_ns is what its probe hits cost Redis
 * (hits times the calibrated cost of one), cpu_ns the main thread's CPU time
 * in it. Returns how long to stay detached (ns). */
double sampler_gap_ns(const struct sampler *s, double probe_ns, double cpu_ns, double window_ns);

/* Account a window: how long the probes were on. */
void sampler_window(struct sampler *s, double window_ns);

#endif
