// SPDX-License-Identifier: GPL-2.0
/* The doctor's memory facts, from /proc and /sys files: fake ones in a
 * temporary root, and this very process. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "memfacts.h"

static char root[] = "/tmp/redlat-memfacts.XXXXXX";

static void put(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	char path[256];

	(void)state;
	if (!mkdtemp(root))
		return -1;
	snprintf(path, sizeof(path), "%s/42", root);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/43", root);
	mkdir(path, 0700);
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd);
}

static void test_kb_field(void **state)
{
	char path[256];

	(void)state;
	/* smaps: one line per mapping, summed; a similar name is not it */
	put("smaps", "00400000-00500000 r-xp 00000000 08:01 1 /usr/bin/redis-server\n"
		     "AnonHugePages:      2048 kB\n"
		     "ShmemPmdMapped:        0 kB\n"
		     "7f0000000000-7f0000400000 rw-p 00000000 00:00 0\n"
		     "AnonHugePages:      4096 kB\n"
		     "FileAnonHugePages:  8192 kB\n");
	snprintf(path, sizeof(path), "%s/smaps", root);
	assert_int_equal(memfacts_kb_field(path, "AnonHugePages:"), 6144LL * 1024);
	assert_int_equal(memfacts_kb_field(path, "VmSwap:"), -1);	/* absent */
	snprintf(path, sizeof(path), "%s/nonexistent", root);
	assert_int_equal(memfacts_kb_field(path, "AnonHugePages:"), -1);
}

/* smaps_rollup first; smaps when the kernel has no rollup (before 4.14). */
static void test_anon_huge_and_swap(void **state)
{
	(void)state;
	put("42/smaps_rollup", "00400000-7fffffffffff ---p 00000000 00:00 0 [rollup]\n"
			       "Rss:              512000 kB\nAnonHugePages:         0 kB\n");
	put("42/status", "Name:\tredis-server\nVmRSS:\t 512000 kB\nVmSwap:\t    1024 kB\n");
	assert_int_equal(memfacts_anon_huge(root, 42), 0);
	assert_int_equal(memfacts_swap(root, 42), 1024 * 1024);
	put("43/smaps", "AnonHugePages:      2048 kB\nAnonHugePages:      2048 kB\n");
	assert_int_equal(memfacts_anon_huge(root, 43), 4096LL * 1024);
	assert_int_equal(memfacts_swap(root, 43), -1);	/* no status */
	assert_int_equal(memfacts_anon_huge(root, 44), -1);	/* no process */
}

static void test_major_faults(void **state)
{
	(void)state;
	/* a comm with spaces and parentheses; majflt is the 12th field */
	put("42/stat", "42 (redis (x) 1) S 1 42 42 0 -1 4194560 1500 7 33 0 10 5 0 0 20 0 5 0 100 0 0\n");
	assert_int_equal(memfacts_major_faults(root, 42), 33);
	put("43/stat", "43 (truncated\n");
	assert_int_equal(memfacts_major_faults(root, 43), -1);
	assert_int_equal(memfacts_major_faults(root, 44), -1);
	assert_true(memfacts_major_faults("/proc", getpid()) >= 0);
}

static void test_thp_setting(void **state)
{
	char path[256], out[16];

	(void)state;
	snprintf(path, sizeof(path), "%s/enabled", root);
	put("enabled", "always [madvise] never\n");
	assert_int_equal(memfacts_thp_setting(path, out, sizeof(out)), 0);
	assert_string_equal(out, "madvise");
	put("enabled", "[always] madvise never\n");
	assert_int_equal(memfacts_thp_setting(path, out, sizeof(out)), 0);
	assert_string_equal(out, "always");
	put("enabled", "always madvise never\n");
	assert_int_equal(memfacts_thp_setting(path, out, sizeof(out)), -1);
	put("enabled", "[]\n");
	assert_int_equal(memfacts_thp_setting(path, out, sizeof(out)), -1);
	snprintf(path, sizeof(path), "%s/nonexistent", root);
	assert_int_equal(memfacts_thp_setting(path, out, sizeof(out)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kb_field),
		cmocka_unit_test(test_anon_huge_and_swap),
		cmocka_unit_test(test_major_faults),
		cmocka_unit_test(test_thp_setting),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
