// SPDX-License-Identifier: GPL-2.0
/* Test-only: runs cmd_name() (bpf/cmdname.bpf.h) on an argv in the calling
 * process, through BPF_PROG_TEST_RUN. Not loaded by redlat. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "cmdname.bpf.h"

char name[CMD_NAME_LEN];
int subcommands;

SEC("raw_tp")
int BPF_PROG(test_cmd_name, void **argv, long argc)
{
	__builtin_memset(name, 0, sizeof(name));
	return cmd_name(argv, (int)argc, subcommands, name) ? 1 : 0;
}

char LICENSE[] SEC("license") = "GPL";
