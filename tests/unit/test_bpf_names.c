// SPDX-License-Identifier: GPL-2.0
/* The BPF side's command naming (bpf/cmdname.bpf.h), run in the kernel with
 * BPF_PROG_TEST_RUN on argv arrays of fake robj built in this process: the
 * same code that names commands in Redis, not a user-space twin. Needs root
 * (make test runs as root). */
#define _GNU_SOURCE	/* memmem */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <string.h>
#include "cmdname_test.skel.h"
#include "commands.h"
#include "names.h"

/* Redis's robj: type:4 encoding:4 lru:24, int refcount, void *ptr at 8. */
struct fake_robj {
	uint32_t bits;
	int refcount;
	const char *ptr;
};

static struct cmdname_test_bpf *skel;

static int setup(void **state)
{
	char name[CMD_NAME_LEN];
	__u8 one = 1;
	int i;

	skel = cmdname_test_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "cannot load the test BPF program (root needed): %s\n", strerror(errno));
		return -1;
	}
	for (i = 0; container_commands[i]; i++) {
		memset(name, 0, sizeof(name));
		snprintf(name, sizeof(name), "%s", container_commands[i]);
		if (bpf_map__update_elem(skel->maps.containers, name, sizeof(name), &one, sizeof(one), 0))
			return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	cmdname_test_bpf__destroy(skel);
	return 0;
}

/* Name argv (NULL-terminated strings) as the BPF program does; returns the
 * program's return value (0 named, 1 unreadable). */
static int bpf_name(int subcommands, const char *a0, const char *a1, int argc)
{
	struct fake_robj o0 = { .refcount = 1, .ptr = a0 }, o1 = { .refcount = 1, .ptr = a1 };
	void *argv[2] = { a0 ? &o0 : NULL, &o1 };
	__u64 args[2] = { (__u64)(unsigned long)argv, (__u64)argc };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args, .ctx_size_in = sizeof(args));

	skel->bss->subcommands = subcommands;
	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(skel->progs.test_cmd_name), &opts), 0);
	return (int)opts.retval;
}

static void test_lowercase(void **state)
{
	assert_int_equal(bpf_name(1, "GET", "k", 2), 0);
	assert_string_equal(skel->bss->name, "get");
	assert_int_equal(bpf_name(0, "HgetALL", "h", 2), 0);
	assert_string_equal(skel->bss->name, "hgetall");
	assert_int_equal(bpf_name(1, "ping", NULL, 1), 0);
	assert_string_equal(skel->bss->name, "ping");
}

static void test_subcommands(void **state)
{
	assert_int_equal(bpf_name(1, "CONFIG", "GET", 3), 0);
	assert_string_equal(skel->bss->name, "config|get");
	assert_int_equal(bpf_name(1, "client", "SetName", 3), 0);
	assert_string_equal(skel->bss->name, "client|setname");
	assert_int_equal(bpf_name(1, "XINFO", "stream", 3), 0);
	assert_string_equal(skel->bss->name, "xinfo|stream");
	/* Redis 6.2 names no subcommands */
	assert_int_equal(bpf_name(0, "CONFIG", "GET", 3), 0);
	assert_string_equal(skel->bss->name, "config");
	/* a container sent alone */
	assert_int_equal(bpf_name(1, "CONFIG", "GET", 1), 0);
	assert_string_equal(skel->bss->name, "config");
}

/* argv[1] of any other command is a key or a value: never read */
static void test_key_never_read(void **state)
{
	assert_int_equal(bpf_name(1, "GET", "secret-key", 2), 0);
	assert_string_equal(skel->bss->name, "get");
	assert_null(memmem(skel->bss->name, sizeof(skel->bss->name), "secret", 6));
	/* a prefix of a container is not one */
	assert_int_equal(bpf_name(1, "conf", "get", 2), 0);
	assert_string_equal(skel->bss->name, "conf");
}

static void test_long_names(void **state)
{
	/* the longest 7.x name fits whole */
	assert_int_equal(bpf_name(1, "COMMAND", "GETKEYSANDFLAGS", 3), 0);
	assert_string_equal(skel->bss->name, "command|getkeysandflags");
	/* past 31 characters the name is cut, NUL-terminated */
	assert_int_equal(bpf_name(1, "CLUSTER", "a-subcommand-much-too-long-to-fit", 3), 0);
	assert_int_equal(strlen(skel->bss->name), CMD_NAME_LEN - 1);
	assert_int_equal(strncmp(skel->bss->name, "cluster|a-subcommand-much-too-l", 31), 0);
	assert_int_equal(bpf_name(1, "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGH", NULL, 1), 0);
	assert_string_equal(skel->bss->name, "abcdefghijklmnopqrstuvwxyzabcde");
}

static void test_unreadable(void **state)
{
	assert_int_equal(bpf_name(1, NULL, NULL, 1), 1);
	assert_int_equal(bpf_name(1, "", NULL, 1), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lowercase),
		cmocka_unit_test(test_subcommands),
		cmocka_unit_test(test_key_never_read),
		cmocka_unit_test(test_long_names),
		cmocka_unit_test(test_unreadable),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
