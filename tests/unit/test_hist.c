// SPDX-License-Identifier: GPL-2.0
/* Histogram math: slot mapping, percentiles, merge/delta, log2 printing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "histo.h"

static struct hist *hnew(void)
{
	struct hist *h = calloc(1, sizeof(*h));

	assert_non_null(h);
	return h;
}

static void assert_in_slot(__u64 v)
{
	__u32 s = hist_slot(v);
	__u64 low = hist_slot_low(s), w = hist_slot_width(s);

	assert_true(s < HIST_SLOTS);
	if (v < low || v - low >= w)
		fail_msg("value %llu in slot %u [%llu, +%llu)", (unsigned long long)v, s,
			 (unsigned long long)low, (unsigned long long)w);
}

static void test_slot_round_trip(void **state)
{
	__u32 prev = 0;
	__u64 v;
	int e;

	for (v = 0; v <= 100000; v++) {
		__u32 s = hist_slot(v);

		assert_in_slot(v);
		assert_true(s >= prev);	/* monotonic */
		assert_true(s - prev <= 1);	/* no slot skipped in the dense range */
		prev = s;
	}
	/* Around every power of two up to the top exponent. */
	for (e = 4; e <= HIST_MAX_EXP; e++) {
		__u64 p = 1ULL << e;

		assert_in_slot(p - 1);
		assert_in_slot(p);
		assert_in_slot(p + 1);
		assert_in_slot(p + p / 2 + 7);
		assert_true(hist_slot(p) > hist_slot(p - 1));
	}
	assert_in_slot(123456789ULL);
	assert_in_slot(987654321012ULL);
	assert_in_slot((1ULL << 42) - 1);
}

static void test_slot_bounds_consistent(void **state)
{
	__u32 s;

	/* Slots tile the line: each starts where the previous ends, and the
	 * slot of its low edge is itself. */
	for (s = 1; s < HIST_SLOTS; s++) {
		assert_int_equal(hist_slot_low(s), hist_slot_low(s - 1) + hist_slot_width(s - 1));
		assert_int_equal(hist_slot(hist_slot_low(s)), s);
	}
	/* Relative width: at most 1/16 of the low edge above 16. */
	for (s = HIST_SUB; s < HIST_SLOTS; s++)
		assert_true(hist_slot_width(s) * 16 <= hist_slot_low(s));
}

static void test_bucket_edges(void **state)
{
	int i;

	for (i = 0; i < 16; i++) {
		assert_int_equal(hist_slot(i), i);
		assert_int_equal(hist_slot_low(i), i);
		assert_int_equal(hist_slot_width(i), 1);
	}
	assert_int_equal(hist_slot(15), 15);
	assert_int_equal(hist_slot(16), 16);
	assert_int_equal(hist_slot(31), 31);
	assert_int_equal(hist_slot(32), 32);
	assert_int_equal(hist_slot(33), 32);	/* width 2 from 32 */
	assert_int_equal(hist_slot(34), 33);
	assert_int_equal(hist_slot_width(32), 2);
	assert_int_equal(hist_slot(63), 47);
	assert_int_equal(hist_slot(64), 48);
	assert_int_equal(hist_slot_width(48), 4);
	assert_int_equal(hist_slot(1024), 112);	/* (10-4+1)*16 */
	assert_int_equal(hist_slot_low(112), 1024);
	assert_int_equal(hist_slot_width(112), 64);
	assert_int_equal(hist_slot(1024 + 64), 113);
	assert_int_equal(hist_slot(1024 + 63), 112);
}

static void test_overflow(void **state)
{
	struct hist *h = hnew();
	__u64 huge = 1ULL << 50;

	assert_int_equal(hist_slot(1ULL << 42), HIST_SLOTS - 1);
	assert_int_equal(hist_slot(huge), HIST_SLOTS - 1);
	assert_int_equal(hist_slot(UINT64_MAX), HIST_SLOTS - 1);
	/* the top exponent still has its own resolution */
	assert_int_equal(hist_slot(1ULL << HIST_MAX_EXP), HIST_SLOTS - HIST_SUB);

	hist_record(h, 1000);
	hist_record(h, huge);
	assert_int_equal(h->count, 2);
	assert_int_equal(h->slots[HIST_SLOTS - 1], 1);
	assert_int_equal(h->max_ns, huge);
	assert_int_equal(h->sum_ns, huge + 1000);
	/* the top percentile is the last slot's midpoint, not beyond max */
	assert_true(hist_percentile(h, 100) >= (double)hist_slot_low(HIST_SLOTS - 1));
	assert_true(hist_percentile(h, 100) <= (double)huge);
	free(h);
}

static void test_empty(void **state)
{
	struct hist *h = hnew();
	double lo = -1, hi = -1;

	assert_true(hist_percentile(h, 50) == 0);
	assert_true(hist_percentile(h, 99.9) == 0);
	assert_true(hist_mean(h) == 0);
	hist_percentile_ci(h, 99, &lo, &hi);
	assert_true(lo == 0 && hi == 0);
	free(h);
}

static void test_single_value(void **state)
{
	struct hist *h = hnew();

	hist_record(h, 4870);
	assert_int_equal(h->count, 1);
	assert_int_equal(h->sum_ns, 4870);
	assert_int_equal(h->max_ns, 4870);
	assert_int_equal(h->slots[hist_slot(4870)], 1);
	/* midpoint of [4864, 5120), 4991.5, is above max: clamped to it */
	assert_float_equal(hist_percentile(h, 1), 4870, 0);
	assert_float_equal(hist_percentile(h, 50), 4870, 0);
	assert_float_equal(hist_percentile(h, 100), 4870, 0);
	assert_float_equal(hist_mean(h), 4870, 0);
	free(h);

	h = hnew();
	hist_record(h, 5000);	/* same slot, above the midpoint: midpoint */
	assert_float_equal(hist_percentile(h, 50), 4991.5, 0);
	assert_float_equal(hist_mean(h), 5000, 0);
	free(h);

	h = hnew();
	hist_record(h, 7);	/* exact slot */
	assert_float_equal(hist_percentile(h, 50), 7, 0);
	free(h);
}

static struct hist *one_to_thousand_us(void)
{
	struct hist *h = hnew();
	int i;

	for (i = 1; i <= 1000; i++)
		hist_record(h, (__u64)i * 1000);
	return h;
}

static void test_known_distribution(void **state)
{
	struct hist *h = one_to_thousand_us();
	double p50 = hist_percentile(h, 50), p90 = hist_percentile(h, 90);
	double p99 = hist_percentile(h, 99), p100 = hist_percentile(h, 100);

	assert_int_equal(h->count, 1000);
	assert_int_equal(h->sum_ns, 500500000ULL);
	assert_int_equal(h->max_ns, 1000000);
	assert_true(fabs(p50 - 500000) <= 0.032 * 500000);
	assert_true(fabs(p90 - 900000) <= 0.032 * 900000);
	assert_true(fabs(p99 - 990000) <= 0.032 * 990000);
	assert_true(p100 <= 1000000);
	assert_true(fabs(p100 - 1000000) <= 0.032 * 1000000);
	assert_true(p50 < p90 && p90 < p99);
	assert_float_equal(hist_mean(h), 500500, 1e-6);
	/* rank 0 is the smallest sample, 1us, in slot [992, 1024) */
	assert_float_equal(hist_value_at_rank(h, 0), 992 + 31 / 2.0, 1e-9);
	free(h);
}

/* Nearest rank: the p-th percentile of n samples is the sample of rank
 * ceil(p/100 * n). For p = 99.9 and n = 1000 that is rank 999; 999 fast
 * samples and one outlier must give a fast p99.9, not the outlier. */
static void test_percentile_p999_nearest_rank(void **state)
{
	struct hist *h = hnew();
	int i;

	for (i = 0; i < 999; i++)
		hist_record(h, 3);
	hist_record(h, 1000000);
	assert_float_equal(hist_percentile(h, 99.9), 3, 0);
	assert_true(hist_percentile(h, 100) > 900000);
	free(h);

	/* same with 10000 samples: rank 9990 */
	h = hnew();
	for (i = 0; i < 9990; i++)
		hist_record(h, 5);
	for (i = 0; i < 10; i++)
		hist_record(h, 2000000);
	assert_float_equal(hist_percentile(h, 99.9), 5, 0);
	free(h);
}

static void test_percentile_ranks_small(void **state)
{
	struct hist *h = hnew();
	int i;

	for (i = 1; i <= 10; i++)	/* one per exact slot */
		hist_record(h, i);
	assert_float_equal(hist_percentile(h, 10), 1, 0);
	assert_float_equal(hist_percentile(h, 50), 5, 0);
	assert_float_equal(hist_percentile(h, 51), 6, 0);
	assert_float_equal(hist_percentile(h, 90), 9, 0);
	assert_float_equal(hist_percentile(h, 99), 10, 0);
	assert_float_equal(hist_percentile(h, 0.01), 1, 0);	/* rank clamped to 1 */
	free(h);
}

static void test_merge(void **state)
{
	struct hist *a = hnew(), *b = hnew();

	hist_record(a, 100);
	hist_record(a, 200);
	hist_record(b, 5);
	hist_record(b, 100000);
	hist_record(b, 100);
	hist_merge(a, b);
	assert_int_equal(a->count, 5);
	assert_int_equal(a->sum_ns, 100405);
	assert_int_equal(a->max_ns, 100000);
	assert_int_equal(a->slots[hist_slot(100)], 2);
	assert_int_equal(a->slots[hist_slot(5)], 1);
	assert_int_equal(a->slots[hist_slot(100000)], 1);
	/* b untouched; merging a smaller max keeps the larger */
	assert_int_equal(b->count, 3);
	hist_merge(b, a);
	assert_int_equal(b->max_ns, 100000);
	assert_int_equal(b->count, 8);
	free(a);
	free(b);
}

static void test_delta(void **state)
{
	struct hist *before = hnew(), *after = hnew(), *d = hnew();

	hist_record(before, 1000);
	hist_record(before, 1000000);	/* max of the earlier interval */
	memcpy(after, before, sizeof(*after));
	hist_record(after, 2000);
	hist_record(after, 3000);
	hist_delta(d, after, before);
	assert_int_equal(d->count, 2);
	assert_int_equal(d->sum_ns, 5000);
	assert_int_equal(d->slots[hist_slot(1000)], 0);
	assert_int_equal(d->slots[hist_slot(2000)], 1);
	assert_int_equal(d->slots[hist_slot(3000)], 1);
	assert_int_equal(d->slots[hist_slot(1000000)], 0);
	/* max bounded by the top of 3000's slot, not the old 1ms */
	assert_true(d->max_ns >= 3000);
	assert_int_equal(d->max_ns, hist_slot_low(hist_slot(3000)) + hist_slot_width(hist_slot(3000)) - 1);

	/* never above the cumulative max */
	memset(d, 0, sizeof(*d));
	memset(before, 0, sizeof(*before));
	memset(after, 0, sizeof(*after));
	hist_record(after, 5000);
	hist_delta(d, after, before);
	assert_int_equal(d->max_ns, 5000);

	/* nothing new: empty */
	hist_delta(d, after, after);
	assert_int_equal(d->count, 0);
	assert_int_equal(d->max_ns, 0);
	assert_float_equal(hist_percentile(d, 50), 0, 0);
	free(before);
	free(after);
	free(d);
}

static void test_mean(void **state)
{
	struct hist *h = hnew();

	hist_record(h, 10);
	hist_record(h, 20);
	hist_record(h, 33);
	assert_float_equal(hist_mean(h), 21, 1e-12);
	free(h);
}

static void test_percentile_ci(void **state)
{
	static const double ps[] = { 50, 90, 99 };
	struct hist *h = one_to_thousand_us();
	size_t i;

	for (i = 0; i < 3; i++) {
		double lo, hi, truth = ps[i] * 10000;	/* p% of 1..1000 us, in ns */

		hist_percentile_ci(h, ps[i], &lo, &hi);
		assert_true(lo <= truth);
		assert_true(hi >= truth);
		assert_true(lo < hi);
		/* and not absurdly wide: the rank interval (a few %) plus one
		 * slot (6.25% at most) around the truth */
		assert_true(lo > 0.85 * truth);
		assert_true(hi < 1.15 * truth);
	}
	free(h);
}

static char *print_log2(const struct hist *h, const char *indent)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	hist_print_log2(f, h, indent);
	fclose(f);
	return buf;
}

static void test_print_log2(void **state)
{
	struct hist *h = hnew();
	char *out;
	int i;

	/* 2 under 1us, 4 at 1us, 8 at 5us (bucket 4..7), 1 at 20us (16..31) */
	hist_record(h, 300);
	hist_record(h, 900);
	for (i = 0; i < 4; i++)
		hist_record(h, 1200);
	for (i = 0; i < 8; i++)
		hist_record(h, 5000);
	hist_record(h, 20000);
	out = print_log2(h, "  ");
	assert_string_equal(out,
		"                   usecs : count      distribution\n"
		"           0 -> 0          : 2          |**********                              |\n"
		"           1 -> 1          : 4          |********************                    |\n"
		"           2 -> 3          : 0          |                                        |\n"
		"           4 -> 7          : 8          |****************************************|\n"
		"           8 -> 15         : 0          |                                        |\n"
		"          16 -> 31         : 1          |*****                                   |\n");
	free(out);
	free(h);

	/* empty: nothing at all */
	h = hnew();
	out = print_log2(h, "");
	assert_string_equal(out, "");
	free(out);
	free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slot_round_trip),
		cmocka_unit_test(test_slot_bounds_consistent),
		cmocka_unit_test(test_bucket_edges),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_single_value),
		cmocka_unit_test(test_known_distribution),
		cmocka_unit_test(test_percentile_p999_nearest_rank),
		cmocka_unit_test(test_percentile_ranks_small),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_delta),
		cmocka_unit_test(test_mean),
		cmocka_unit_test(test_percentile_ci),
		cmocka_unit_test(test_print_log2),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
