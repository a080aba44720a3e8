// SPDX-License-Identifier: GPL-2.0
/* Sampled mode arithmetic: gaps and scaling. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "sampler.h"

#define MS 1e6

static void test_init(void **state)
{
	struct sampler s;

	sampler_init(&s, 0.02, 20 * MS, 1000 * MS);
	assert_float_equal(s.budget, 0.02, 0);
	assert_float_equal(s.window_ns, 20 * MS, 0);
	assert_float_equal(s.max_gap_ns, 1000 * MS, 0);
	assert_int_equal(s.windows, 0);
	assert_float_equal(s.attached_ns, 0, 0);
}

static void test_gap_within_budget(void **state)
{
	struct sampler s;

	sampler_init(&s, 0.02, 20 * MS, 10000 * MS);
	assert_float_equal(sampler_gap_ns(&s, 0, 20 * MS, 20 * MS), 0, 0);
	assert_float_equal(sampler_gap_ns(&s, 0.1 * MS, 20 * MS, 20 * MS), 0, 0);	/* 0.5% */
	assert_float_equal(sampler_gap_ns(&s, 0.4 * MS, 20 * MS, 20 * MS), 0, 0);	/* exactly 2% */
	assert_float_equal(sampler_gap_ns(&s, 5 * MS, 0, 0), 0, 0);	/* no window */
}

static void test_gap_over_budget(void **state)
{
	struct sampler s;

	sampler_init(&s, 0.02, 20 * MS, 10000 * MS);
	/* probes took 90% of the window: attached 2/90 of the time */
	assert_float_equal(sampler_gap_ns(&s, 18 * MS, 20 * MS, 20 * MS), 20 * MS * (0.9 / 0.02 - 1), 1);
	assert_float_equal(sampler_gap_ns(&s, 18 * MS, 20 * MS, 20 * MS), 880 * MS, 1);
	/* 4%: attached half the time, gap = window */
	assert_float_equal(sampler_gap_ns(&s, 0.8 * MS, 20 * MS, 20 * MS), 20 * MS, 1);
	/* the window actually observed counts, not the configured one */
	assert_float_equal(sampler_gap_ns(&s, 0.8 * MS, 10 * MS, 10 * MS), 10 * MS * (0.08 / 0.02 - 1), 1);
	/* the duty cycle hits the budget: f * window / (window + gap) */
	{
		double probe = 3 * MS, w = 20 * MS, gap = sampler_gap_ns(&s, probe, w, w);

		assert_float_equal(probe / (w + gap), 0.02, 1e-12);
	}
}

/* The budget is a share of Redis's CPU time: a Redis busy half the window
 * (as at -P 1) gets half the duty cycle of a saturated one. */
static void test_gap_cpu_relative(void **state)
{
	struct sampler s;
	double w = 100 * MS, probe = 4 * MS, busy = 50 * MS, gap;

	sampler_init(&s, 0.02, w, 60000 * MS);
	gap = sampler_gap_ns(&s, probe, busy, w);
	/* probes took 8% of its CPU: attached a quarter of the time */
	assert_float_equal(gap, 3 * w, 1);
	/* a nearly idle Redis: CPU floored at a fifth of the window, so a few
	 * cheap hits keep the probes on */
	assert_float_equal(sampler_gap_ns(&s, 0.3 * MS, 0.1 * MS, w), 0, 0);
}

static void test_gap_clamped(void **state)
{
	struct sampler s;

	sampler_init(&s, 0.02, 20 * MS, 500 * MS);
	assert_float_equal(sampler_gap_ns(&s, 18 * MS, 20 * MS, 20 * MS), 500 * MS, 0);
	/* under the clamp: not clamped */
	assert_float_equal(sampler_gap_ns(&s, 0.8 * MS, 20 * MS, 20 * MS), 20 * MS, 1);
}

static void test_windows_accounted(void **state)
{
	struct sampler s;

	sampler_init(&s, 0.02, 100 * MS, 10000 * MS);
	sampler_window(&s, 100 * MS);
	sampler_window(&s, 120 * MS);
	assert_int_equal(s.windows, 2);
	assert_float_equal(s.attached_ns, 220 * MS, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_gap_within_budget),
		cmocka_unit_test(test_gap_over_budget),
		cmocka_unit_test(test_gap_cpu_relative),
		cmocka_unit_test(test_gap_clamped),
		cmocka_unit_test(test_windows_accounted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
