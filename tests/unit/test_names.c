// SPDX-License-Identifier: GPL-2.0
/* Command names as INFO commandstats writes them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "names.h"

/* Command naming itself runs in BPF: test_bpf_names.c. */

static void test_has_subcommands(void **state)
{
	assert_int_equal(has_subcommands("redis", "6.2.14"), 0);
	assert_int_equal(has_subcommands("redis", "7.0.15"), 1);
	assert_int_equal(has_subcommands("redis", "7.2.4"), 1);
	assert_int_equal(has_subcommands("redis", "8.0.0"), 1);
	assert_int_equal(has_subcommands("valkey", "8.0.1"), 1);
	assert_int_equal(has_subcommands("valkey", ""), 1);
	assert_int_equal(has_subcommands("redis", NULL), 0);
	assert_int_equal(has_subcommands(NULL, "5.0.7"), 0);
}

static void test_version_major(void **state)
{
	assert_int_equal(version_major("7.0.15"), 7);
	assert_int_equal(version_major("6.2.14"), 6);
	assert_int_equal(version_major("10.1.0"), 10);
	assert_int_equal(version_major(""), 0);
	assert_int_equal(version_major(NULL), 0);
	assert_int_equal(version_major("unknown"), 0);
}

static void test_tables(void **state)
{
	int i, found = 0;

	for (i = 0; container_commands[i]; i++)
		found |= !strcmp(container_commands[i], "config");
	assert_true(found);
	assert_string_equal(skip_slowlog_procs[0].name, "exec");
	assert_string_equal(skip_slowlog_procs[0].proc, "execCommand");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_has_subcommands),
		cmocka_unit_test(test_version_major),
		cmocka_unit_test(test_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
