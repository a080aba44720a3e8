/* SPDX-License-Identifier: GPL-2.0 */
/* Log-linear latency histogram shared by BPF and user space.
 *
 * Values are nanoseconds. Values below 16 get a slot each; above, every
 * power of two is split into 16 equal sub-buckets, so a bucket is at most
 * 1/16 of its lower edge wide and a percentile read at the bucket midpoint
 * is within 1/32 (3.1%) of the true sample. Values of 2^(HIST_MAX_EXP+1) ns
 * (about 73 minutes) and more land in the last slot; max keeps the truth. */
#ifndef REDLAT_HIST_H
#define REDLAT_HIST_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define HIST_SUB_BITS 4
#define HIST_SUB (1 << HIST_SUB_BITS)
#define HIST_MAX_EXP 41
#define HIST_SLOTS ((HIST_MAX_EXP - HIST_SUB_BITS + 2) * HIST_SUB)

struct hist {
	__u64 count;
	__u64 sum_ns;
	__u64 max_ns;
	__u64 slots[HIST_SLOTS];
};

/* floor(log2(v)) for v > 0, without loops (the verifier and the hot path
 * both like it that way). */
static inline __u32 hist_log2(__u64 v)
{
	__u32 r = 0, shift;

	shift = (v > 0xFFFFFFFFULL) << 5; v >>= shift; r |= shift;
	shift = (v > 0xFFFF) << 4; v >>= shift; r |= shift;
	shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
	shift = (v > 0xF) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

static inline __u32 hist_slot(__u64 v)
{
	__u32 e, slot;

	if (v < HIST_SUB)
		return (__u32)v;
	e = hist_log2(v);
	if (e > HIST_MAX_EXP)
		return HIST_SLOTS - 1;
	slot = (e - HIST_SUB_BITS + 1) * HIST_SUB +
	       (__u32)((v >> (e - HIST_SUB_BITS)) & (HIST_SUB - 1));
	return slot < HIST_SLOTS ? slot : HIST_SLOTS - 1;
}

#endif
