/* SPDX-License-Identifier: GPL-2.0 */
/* Histogram math over struct hist (bpf/hist.h): pure functions, no I/O. */
#ifndef REDLAT_HISTO_H
#define REDLAT_HISTO_H

#include <linux/types.h>
#include <stdio.h>
#include "hist.h"

/* Lowest value and width of a slot, in ns. */
__u64 hist_slot_low(__u32 slot);
__u64 hist_slot_width(__u32 slot);

void hist_record(struct hist *h, __u64 ns);	/* user-space twin of BPF's */
void hist_merge(struct hist *dst, const struct hist *src);
/* dst = a - b, for interval deltas of cumulative BPF counters. */
void hist_delta(struct hist *dst, const struct hist *a, const struct hist *b);

/* The p-th percentile (0 < p <= 100): midpoint of the slot holding the
 * sample of rank ceil(p/100 * count), clamped to max. 0 when empty. */
double hist_percentile(const struct hist *h, double p);
/* The value at a 0-based rank in sorted order (midpoint, clamped to max). */
double hist_value_at_rank(const struct hist *h, __u64 rank);
double hist_mean(const struct hist *h);

/* For a histogram of n sampled events, the range the p-th percentile of
 * the whole population lies in with 95% confidence (normal approximation
 * of the binomial rank), widened by the slot resolution. */
void hist_percentile_ci(const struct hist *h, double p, double *lo, double *hi);

/* Print log2 buckets in bcc's style ("usecs : count distribution"). */
void hist_print_log2(FILE *f, const struct hist *h, const char *indent);

#endif
