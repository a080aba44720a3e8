// SPDX-License-Identifier: GPL-2.0
/* The timeline of a long run stays bounded (older slices merged, never
 * dropped) and keeps every count. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "report.h"

#define NINST 3
#define T0 1795600000.0

/* xorshift: the same "random" counts every run */
static __u64 next_rand(__u64 *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static __u64 want[NINST][TL_CLASSES][TL_BUCKETS];

/* Per-second slices of NINST instances for secs seconds, instance 2 idle
 * (no slice) one second in three: what exact mode adds at 100k-1M
 * commands/s. Checks the bound after every slice. */
static void long_run(struct timeline *tl, long secs)
{
	__u64 x = 88172645463325252ULL;
	long s;
	int i;

	memset(want, 0, sizeof(want));
	for (s = 0; s < secs; s++) {
		for (i = 0; i < NINST; i++) {
			struct tl_slice sl = { .inst = i, .t = T0 + (double)s, .len_s = 1 };

			if (i == 2 && s % 3 == 1)
				continue;
			sl.n[TL_FAST][next_rand(&x) % TL_BUCKETS] = 100000 + next_rand(&x) % 900000;
			sl.n[TL_SLOW][next_rand(&x) % TL_BUCKETS] = next_rand(&x) % 1000;
			for (int c = 0; c < TL_CLASSES; c++)
				for (int k = 0; k < TL_BUCKETS; k++)
					want[i][c][k] += sl.n[c][k];
			assert_int_equal(timeline_push(tl, &sl), 0);
			/* the memory bound: never more slices, nor room for them */
			assert_true(tl->n <= TL_MAX_SLICES);
			assert_true(tl->cap <= TL_MAX_SLICES);
		}
	}
}

/* Three instances for 2.3 days: 600k slices in, at most TL_MAX_SLICES
 * kept, every count still there. */
static void test_long_run_bounded_and_exact(void **state)
{
	struct timeline tl = { 0 };
	__u64 got[NINST][TL_CLASSES][TL_BUCKETS] = { { { 0 } } };
	double end[NINST], start[NINST];
	long secs = 200000;
	size_t j, recent = 0;
	int i, c, k, seen[NINST] = { 0 };

	(void)state;
	long_run(&tl, secs);
	assert_true(tl.n > TL_MAX_SLICES / 2);
	for (j = 0; j < tl.n; j++) {
		const struct tl_slice *sl = &tl.s[j];

		i = sl->inst;
		assert_in_range(i, 0, NINST - 1);
		/* each instance's slices in time order, none overlapping */
		if (seen[i])
			assert_true(sl->t >= end[i] - 1e-6);
		else
			start[i] = sl->t;
		end[i] = sl->t + sl->len_s;
		seen[i]++;
		assert_true(sl->len_s >= 1 - 1e-9);
		for (c = 0; c < TL_CLASSES; c++)
			for (k = 0; k < TL_BUCKETS; k++)
				got[i][c][k] += sl->n[c][k];
	}
	for (i = 0; i < NINST; i++) {
		assert_true(seen[i] > 0);
		/* the whole run is still covered: merged slices span their gaps */
		assert_true(start[i] == T0);
		assert_true(end[i] == T0 + (double)secs - (i == 2 && (secs - 1) % 3 == 1));
		for (c = 0; c < TL_CLASSES; c++)
			for (k = 0; k < TL_BUCKETS; k++)
				assert_true(got[i][c][k] == want[i][c][k]);
	}
	/* the newest slices keep their one-second resolution */
	for (j = tl.n; j-- > 0 && tl.s[j].len_s == 1;)
		recent++;
	assert_true(recent >= TL_MAX_SLICES / 4);
	/* the oldest were merged many times over, into slices of one grain
	 * (a power of two of seconds), not into one slice of most of the run */
	assert_true(tl.s[0].len_s >= 64);
	assert_true(tl.s[0].len_s <= secs / 64);
	timeline_free(&tl);
}

/* Merged counts outgrow 32 bits (a million commands a second in one
 * bucket fill 32 bits in 72 minutes): they must add up, not wrap. */
static void test_merged_counts_do_not_wrap(void **state)
{
	struct timeline tl = { 0 };
	__u64 sum = 0, got = 0, biggest = 0;
	size_t j;
	int s;

	(void)state;
	for (s = 0; s <= TL_MAX_SLICES; s++) {
		struct tl_slice sl = { .inst = 0, .t = T0 + s, .len_s = 1 };

		sl.n[TL_FAST][2] = 3000000000ULL + (__u64)s;
		sum += sl.n[TL_FAST][2];
		assert_int_equal(timeline_push(&tl, &sl), 0);
	}
	assert_true(tl.n < TL_MAX_SLICES);	/* merged once */
	for (j = 0; j < tl.n; j++) {
		got += tl.s[j].n[TL_FAST][2];
		biggest = tl.s[j].n[TL_FAST][2] > biggest ? tl.s[j].n[TL_FAST][2] : biggest;
	}
	assert_true(biggest > UINT32_MAX);
	assert_true(got == sum);
	timeline_free(&tl);
}

/* Below the bound nothing is merged: short runs are as before. */
static void test_short_run_untouched(void **state)
{
	struct timeline tl = { 0 };
	size_t j;

	(void)state;
	long_run(&tl, TL_MAX_SLICES / NINST - 10);
	for (j = 0; j < tl.n; j++)
		assert_true(tl.s[j].len_s == 1);
	assert_true(tl.n < TL_MAX_SLICES);
	timeline_free(&tl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_short_run_untouched),
		cmocka_unit_test(test_long_run_bounded_and_exact),
		cmocka_unit_test(test_merged_counts_do_not_wrap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
