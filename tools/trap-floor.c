// SPDX-License-Identifier: GPL-2.0
/* The floor of any design that puts one uprobe on every command: a uprobe
 * at FILE_OFFSET of BINARY in process PID running an empty BPF program
 * (r0 = 0; exit), held until SIGINT or SIGTERM. tools/bench-overhead's
 * "trap-floor" configuration puts it on the call site redlat --exact
 * probes, so that what is left of --exact's cost above it is redlat's.
 * tools/bench-perfctx puts 16 of them on functions that never run, to
 * show what a uprobe perf event costs its process at a context switch.
 * Raw syscalls, no libbpf: it is built by the script that runs it.
 *
 *   trap-floor PID BINARY FILE_OFFSET...
 */
#include <errno.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static int uprobe_pmu_type(void)
{
	FILE *f = fopen("/sys/bus/event_source/devices/uprobe/type", "r");
	int t = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &t) != 1)
		t = -1;
	fclose(f);
	return t;
}

static void on_signal(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr pa;
	struct perf_event_attr ea;
	int prog, pfd, type, i;
	unsigned long long off;
	pid_t pid;

	if (argc < 4) {
		fprintf(stderr, "usage: trap-floor PID BINARY FILE_OFFSET...\n");
		return 2;
	}
	pid = (pid_t)strtol(argv[1], NULL, 10);
	type = uprobe_pmu_type();
	if (type < 0) {
		fprintf(stderr, "trap-floor: no uprobe PMU in /sys/bus/event_source/devices\n");
		return 1;
	}
	memset(&pa, 0, sizeof(pa));
	pa.prog_type = BPF_PROG_TYPE_KPROBE;
	pa.insns = (unsigned long)insns;
	pa.insn_cnt = 2;
	pa.license = (unsigned long)"GPL";
	for (i = 3; i < argc; i++) {
		/* a program per event: an event takes a program once */
		prog = (int)syscall(__NR_bpf, BPF_PROG_LOAD, &pa, sizeof(pa));
		if (prog < 0) {
			fprintf(stderr, "trap-floor: BPF_PROG_LOAD: %s\n", strerror(errno));
			return 1;
		}
		off = strtoull(argv[i], NULL, 0);
		memset(&ea, 0, sizeof(ea));
		ea.size = sizeof(ea);
		ea.type = type;
		ea.config1 = (unsigned long)argv[2];	/* uprobe_path */
		ea.config2 = off;			/* probe_offset */
		pfd = (int)syscall(__NR_perf_event_open, &ea, pid, -1, -1, PERF_FLAG_FD_CLOEXEC);
		if (pfd < 0 || ioctl(pfd, PERF_EVENT_IOC_SET_BPF, prog) || ioctl(pfd, PERF_EVENT_IOC_ENABLE, 0)) {
			fprintf(stderr, "trap-floor: uprobe at %s+0x%llx: %s\n", argv[2], off, strerror(errno));
			return 1;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fprintf(stderr, "trap-floor: tracing pid %d at %d offsets of %s\n", (int)pid, argc - 3, argv[2]);
	pause();
	return 0;
}
