// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "hooks_user.h"

static void first_strategy(void **state)
{
	assert_int_equal(hook_first_strategy(0, 0), HS_NONE);
	assert_int_equal(hook_first_strategy(0, 3), HS_NONE);
	assert_int_equal(hook_first_strategy(1, 3), HS_CALL_SITES);
	assert_int_equal(hook_first_strategy(1, 0), HS_ENTRY_NO_CALLER);
	assert_int_equal(hook_first_strategy(1, -1), HS_ENTRY_NO_CALLER);	/* the scan failed */
}

static void next_strategy(void **state)
{
	assert_int_equal(hook_next_strategy(HS_CALL_SITES, 1), HS_ENTRY);
	assert_int_equal(hook_next_strategy(HS_CALL_SITES, 0), HS_NONE);
	assert_int_equal(hook_next_strategy(HS_ENTRY, 1), HS_NONE);
	assert_int_equal(hook_next_strategy(HS_ENTRY_NO_CALLER, 1), HS_NONE);
	assert_int_equal(hook_next_strategy(HS_NONE, 1), HS_NONE);
}

static void verdicts(void **state)
{
	assert_int_equal(hook_verdict(HS_NONE, 5, 5, 0, 1), HV_ABSENT);
	assert_int_equal(hook_verdict(HS_CALL_SITES, 0, 0, 0, HOOK_CMD_EVIDENCE), HV_UNVERIFIED);
	/* one unknown command is answered without reaching the slowlog */
	assert_int_equal(hook_verdict(HS_CALL_SITES, 0, HOOK_CMD_EVIDENCE - 1, 0, HOOK_CMD_EVIDENCE),
			 HV_UNVERIFIED);
	assert_int_equal(hook_verdict(HS_CALL_SITES, 0, HOOK_CMD_EVIDENCE, 0, HOOK_CMD_EVIDENCE), HV_SILENT);
	assert_int_equal(hook_verdict(HS_CALL_SITES, 1, 1000, 0, HOOK_CMD_EVIDENCE), HV_FIRED);
	/* a fork hook must fire once per fork */
	assert_int_equal(hook_verdict(HS_ENTRY, 1, 2, 1, 1), HV_MISSED);
	assert_int_equal(hook_verdict(HS_ENTRY, 2, 2, 1, 1), HV_FIRED);
	assert_int_equal(hook_verdict(HS_ENTRY_NO_CALLER, 0, 1, 1, 1), HV_SILENT);
	assert_int_equal(hook_verdict(HS_ENTRY_NO_CALLER, 3, 0, 1, 1), HV_FIRED);
}

static void names_round_trip(void **state)
{
	int i;

	for (i = HS_NONE; i <= HS_ENTRY_NO_CALLER; i++)
		assert_int_equal(hook_strategy_from(hook_strategy_name(i)), i);
	for (i = 0; i < HV_MAX; i++)
		assert_int_equal(hook_verdict_from(hook_verdict_name(i)), i);
	assert_int_equal(hook_strategy_from("bogus"), -1);
	assert_int_equal(hook_verdict_from(""), -1);
	assert_string_equal(hook_strategy_name(99), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(first_strategy),
		cmocka_unit_test(next_strategy),
		cmocka_unit_test(verdicts),
		cmocka_unit_test(names_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
