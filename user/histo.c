// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <string.h>
#include "histo.h"

__u64 hist_slot_low(__u32 slot)
{
	__u32 e;

	if (slot < HIST_SUB)
		return slot;
	e = slot / HIST_SUB + HIST_SUB_BITS - 1;
	return (__u64)(HIST_SUB + slot % HIST_SUB) << (e - HIST_SUB_BITS);
}

__u64 hist_slot_width(__u32 slot)
{
	if (slot < HIST_SUB)
		return 1;
	return 1ULL << (slot / HIST_SUB - 1);
}

void hist_record(struct hist *h, __u64 ns)
{
	h->count++;
	h->sum_ns += ns;
	h->slots[hist_slot(ns)]++;
	if (ns > h->max_ns)
		h->max_ns = ns;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	__u32 i;

	dst->count += src->count;
	dst->sum_ns += src->sum_ns;
	if (src->max_ns > dst->max_ns)
		dst->max_ns = src->max_ns;
	for (i = 0; i < HIST_SLOTS; i++)
		dst->slots[i] += src->slots[i];
}

void hist_delta(struct hist *dst, const struct hist *a, const struct hist *b)
{
	__u32 i;

	dst->count = a->count - b->count;
	dst->sum_ns = a->sum_ns - b->sum_ns;
	/* The max of an interval is not recoverable from two cumulative maxima;
	 * the highest non-empty slot's top bounds it. */
	dst->max_ns = 0;
	for (i = 0; i < HIST_SLOTS; i++) {
		dst->slots[i] = a->slots[i] - b->slots[i];
		if (dst->slots[i])
			dst->max_ns = hist_slot_low(i) + hist_slot_width(i) - 1;
	}
	if (a->max_ns < dst->max_ns)
		dst->max_ns = a->max_ns;
}

double hist_value_at_rank(const struct hist *h, __u64 rank)
{
	__u64 seen = 0;
	__u32 i;

	for (i = 0; i < HIST_SLOTS; i++) {
		seen += h->slots[i];
		if (seen > rank) {
			double mid = hist_slot_low(i) + (hist_slot_width(i) - 1) / 2.0;

			return h->max_ns && mid > h->max_ns ? (double)h->max_ns : mid;
		}
	}
	return (double)h->max_ns;
}

double hist_percentile(const struct hist *h, double p)
{
	__u64 rank;

	if (!h->count)
		return 0;
	rank = (__u64)ceil(p * h->count / 100.0 - 1e-9);	/* 99.9% of 1000 is 999 */
	if (rank < 1)
		rank = 1;
	if (rank > h->count)
		rank = h->count;
	return hist_value_at_rank(h, rank - 1);
}

double hist_mean(const struct hist *h)
{
	return h->count ? (double)h->sum_ns / h->count : 0;
}

void hist_percentile_ci(const struct hist *h, double p, double *lo, double *hi)
{
	double q = p / 100.0, n = (double)h->count, half, r_lo, r_hi;

	if (!h->count) {
		*lo = *hi = 0;
		return;
	}
	half = 1.96 * sqrt(n * q * (1 - q));
	r_lo = floor(n * q - half) - 1;
	r_hi = ceil(n * q + half);
	if (r_lo < 0)
		r_lo = 0;
	if (r_hi > n - 1)
		r_hi = n - 1;
	*lo = hist_value_at_rank(h, (__u64)r_lo);
	*hi = hist_value_at_rank(h, (__u64)r_hi);
	/* a midpoint is within half a slot, 1/32, of any value in its slot */
	*lo *= 1 - 1.0 / 32;
	*hi *= 1 + 1.0 / 32;
}

void hist_print_log2(FILE *f, const struct hist *h, const char *indent)
{
	__u64 buckets[64] = {}, most = 0;
	int i, top = -1, first = -1;

	for (i = 0; i < HIST_SLOTS; i++) {
		__u64 us = hist_slot_low(i) / 1000;
		int b = 0;

		if (!h->slots[i])
			continue;
		while (us >> b)
			b++;
		buckets[b] += h->slots[i];
	}
	for (i = 0; i < 64; i++) {
		if (!buckets[i])
			continue;
		if (first < 0)
			first = i;
		top = i;
		if (buckets[i] > most)
			most = buckets[i];
	}
	if (top < 0)
		return;
	fprintf(f, "%s%22s : %-10s distribution\n", indent, "usecs", "count");
	for (i = first; i <= top; i++) {
		unsigned long long low = i ? 1ULL << (i - 1) : 0, high = (1ULL << i) - 1;
		char bar[41];
		int stars = most ? (int)(buckets[i] * 40 / most) : 0;

		memset(bar, '*', stars);
		memset(bar + stars, ' ', 40 - stars);
		bar[40] = 0;
		fprintf(f, "%s%10llu -> %-10llu : %-10llu |%s|\n", indent, low, high,
			(unsigned long long)buckets[i], bar);
	}
}
