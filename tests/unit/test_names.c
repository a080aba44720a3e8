// SPDX-License-Identifier: GPL-2.0
/* Command names as INFO commandstats writes them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "names.h"

static void test_lowercase(void **state)
{
	char out[32];

	command_name("GET", NULL, 1, out, sizeof(out));
	assert_string_equal(out, "get");
	command_name("HgetALL", NULL, 0, out, sizeof(out));
	assert_string_equal(out, "hgetall");
	command_name("set", "", 1, out, sizeof(out));
	assert_string_equal(out, "set");
}

static void test_container_subcommand(void **state)
{
	char out[32];

	command_name("CONFIG", "GET", 1, out, sizeof(out));
	assert_string_equal(out, "config|get");
	command_name("client", "SetName", 1, out, sizeof(out));
	assert_string_equal(out, "client|setname");
	command_name("XINFO", "stream", 1, out, sizeof(out));
	assert_string_equal(out, "xinfo|stream");
	/* Redis 6.2: no subcommands */
	command_name("CONFIG", "GET", 0, out, sizeof(out));
	assert_string_equal(out, "config");
	/* a container without its subcommand */
	command_name("CONFIG", NULL, 1, out, sizeof(out));
	assert_string_equal(out, "config");
	command_name("CONFIG", "", 1, out, sizeof(out));
	assert_string_equal(out, "config");
}

static void test_non_container_hides_key(void **state)
{
	char out[32];

	memset(out, 'x', sizeof(out));
	command_name("GET", "mykey", 1, out, sizeof(out));
	assert_string_equal(out, "get");
	assert_null(strstr(out, "mykey"));
	command_name("HSET", "user:1", 1, out, sizeof(out));
	assert_string_equal(out, "hset");
	/* a prefix of a container is not one */
	command_name("conf", "get", 1, out, sizeof(out));
	assert_string_equal(out, "conf");
}

static void test_truncation(void **state)
{
	char out[8];

	memset(out, 'x', sizeof(out));
	command_name("VERYLONGCOMMAND", NULL, 1, out, 5);
	assert_string_equal(out, "very");
	assert_int_equal(out[5], 'x');	/* nothing written past len */

	/* no room for '|', one char of the subcommand and the NUL: the
	 * parent alone, never a dangling "config|" (as the BPF side does) */
	command_name("CONFIG", "RESETSTAT", 1, out, sizeof(out));
	assert_string_equal(out, "config");
	command_name("CONFIG", "GET", 1, out, 7);
	assert_string_equal(out, "config");
	{
		char big[16];

		memset(big, 'x', sizeof(big));
		command_name("CONFIG", "RESETSTAT", 1, big, 9);
		assert_string_equal(big, "config|r");
		assert_int_equal(big[9], 'x');
		command_name("CONFIG", "RESETSTAT", 1, big, 12);
		assert_string_equal(big, "config|rese");
	}

	/* len 1: empty string; len 0: untouched */
	command_name("GET", NULL, 1, out, 1);
	assert_string_equal(out, "");
	out[0] = 'z';
	command_name("GET", NULL, 1, out, 0);
	assert_int_equal(out[0], 'z');
}

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
		cmocka_unit_test(test_lowercase),
		cmocka_unit_test(test_container_subcommand),
		cmocka_unit_test(test_non_container_hides_key),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_has_subcommands),
		cmocka_unit_test(test_version_major),
		cmocka_unit_test(test_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
