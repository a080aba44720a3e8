/* SPDX-License-Identifier: GPL-2.0 */
/* Command names as Redis names them, read from a command's argv. Shared by
 * commands.bpf.c and the test-only cmdname_test.bpf.c, which drives it with
 * BPF_PROG_TEST_RUN from tests/unit/test_bpf_names.c. */
#ifndef REDLAT_CMDNAME_BPF_H
#define REDLAT_CMDNAME_BPF_H

#include <bpf/bpf_helpers.h>
#include "commands.h"

/* Commands that have subcommands, named parent|sub by Redis 7. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, char[CMD_NAME_LEN]);
	__type(value, __u8);
} containers SEC(".maps");

static __always_inline char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* argv[i] is a robj whose ptr (at offset 8 in every Redis and Valkey since
 * 2.x) points at NUL-terminated characters. */
static __always_inline long read_arg(void **argv, int i, char *dst)
{
	void *obj, *ptr;

	if (bpf_probe_read_user(&obj, sizeof(obj), &argv[i]) || !obj)
		return -1;
	if (bpf_probe_read_user(&ptr, sizeof(ptr), obj + 8) || !ptr)
		return -1;
	return bpf_probe_read_user_str(dst, CMD_NAME_LEN, ptr);
}

/* The name INFO commandstats uses: lower case, parent|sub for subcommands
 * when the server names them so. argv[1] is read only when argv[0] names a
 * container command, so no key or value ever leaves Redis. 0, or -1 when
 * argv[0] is unreadable. */
static __always_inline int cmd_name(void **argv, int argc, int subcommands, char *name)
{
	char sub[CMD_NAME_LEN] = {};
	long n, i, j;

	n = read_arg(argv, 0, name);
	if (n <= 1)
		return -1;
	for (i = 0; i < CMD_NAME_LEN; i++) {
		if (!name[i])
			break;
		name[i] = lower(name[i]);
	}
	if (argc < 2 || !subcommands || !bpf_map_lookup_elem(&containers, name))
		return 0;
	if (read_arg(argv, 1, sub) <= 1)
		return 0;
	n -= 1;	/* length without the NUL */
	if (n >= CMD_NAME_LEN - 2)
		return 0;
	name[n & (CMD_NAME_LEN - 1)] = '|';
	for (i = 0; i < CMD_NAME_LEN; i++) {
		j = n + 1 + i;
		if (j >= CMD_NAME_LEN - 1 || !sub[i])
			break;
		name[j & (CMD_NAME_LEN - 1)] = lower(sub[i]);
	}
	return 0;
}

#endif
