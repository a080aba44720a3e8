// SPDX-License-Identifier: GPL-2.0
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include "elfsym.h"
#include "ulink.h"

/* Not in bookworm's uapi headers (6.1): from the kernel's bpf.h (6.6+). */
#define ATTACH_UPROBE_MULTI 48		/* BPF_TRACE_UPROBE_MULTI */
#define UPROBE_MULTI_RETURN 1u		/* BPF_F_UPROBE_MULTI_RETURN */

/* union bpf_attr's link_create for a uprobe_multi link */
struct link_create_umulti {
	uint32_t prog_fd;
	uint32_t target_fd;
	uint32_t attach_type;
	uint32_t flags;
	uint64_t path;
	uint64_t offsets;
	uint64_t ref_ctr_offsets;
	uint64_t cookies;
	uint32_t cnt;
	uint32_t umflags;
	uint32_t pid;
	uint32_t pad;
};

static int multi_link(int prog_fd, int ret, pid_t pid, const char *path, uint64_t off, uint64_t cookie)
{
	struct link_create_umulti a;

	memset(&a, 0, sizeof(a));
	a.prog_fd = (uint32_t)prog_fd;
	a.attach_type = ATTACH_UPROBE_MULTI;
	a.path = (uint64_t)(unsigned long)path;
	a.offsets = (uint64_t)(unsigned long)&off;
	a.cookies = (uint64_t)(unsigned long)&cookie;
	a.cnt = 1;
	a.umflags = ret ? UPROBE_MULTI_RETURN : 0;
	a.pid = pid > 0 ? (uint32_t)pid : 0;	/* 0: every process */
	return (int)syscall(__NR_bpf, BPF_LINK_CREATE, &a, sizeof(a));
}

static int perf_link(int prog_fd, int ret, pid_t pid, const char *path, uint64_t off, uint64_t cookie)
{
	static int type = -1, retbit = -1;
	struct perf_event_attr attr = { .size = sizeof(attr) };
	LIBBPF_OPTS(bpf_link_create_opts, o, .perf_event.bpf_cookie = cookie);
	int pfd, lfd, e;

	if (type < 0) {
		FILE *f = fopen("/sys/bus/event_source/devices/uprobe/type", "re");
		FILE *r = fopen("/sys/bus/event_source/devices/uprobe/format/retprobe", "re");

		if (!f || fscanf(f, "%d", &type) != 1)
			type = -1;
		if (!r || fscanf(r, "config:%d", &retbit) != 1)
			retbit = 0;
		if (f)
			fclose(f);
		if (r)
			fclose(r);
		if (type < 0) {
			errno = ENOENT;
			return -1;
		}
	}
	attr.type = (uint32_t)type;
	attr.config = ret ? 1ull << retbit : 0;
	attr.config1 = (uint64_t)(unsigned long)path;
	attr.config2 = off;
	/* a probe on every process: an event on CPU 0 that fires on all */
	pfd = (int)syscall(__NR_perf_event_open, &attr, pid > 0 ? pid : -1, pid > 0 ? -1 : 0, -1,
			   PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0)
		return -1;
	/* the link holds the event: its fd alone detaches */
	lfd = bpf_link_create(prog_fd, pfd, BPF_PERF_EVENT, &o);
	e = errno;
	close(pfd);
	errno = e;
	return lfd < 0 ? -1 : lfd;
}

int ulink_multi(void)
{
	static int ok = -1;
	struct elfbin *self = NULL;
	struct elfsym leaf;
	struct bpf_insn ins[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, po, .expected_attach_type = (enum bpf_attach_type)ATTACH_UPROBE_MULTI);
	char err[128];
	int prog, l;

	if (ok >= 0)
		return ok;
	ok = 0;
	/* tests only: the perf event links of kernels before 6.6 */
	if (getenv("REDLAT_TEST_NO_UPROBE_MULTI"))
		return ok;
	if (elfbin_open("/proc/self/exe", &self, err, sizeof(err)))
		return ok;
	if (!elfbin_sym(self, "redlat_calib_leaf", &leaf)) {
		prog = bpf_prog_load(BPF_PROG_TYPE_KPROBE, NULL, "GPL", ins, 2, &po);
		if (prog >= 0) {
			l = multi_link(prog, 0, getpid(), "/proc/self/exe", leaf.off, 0);
			ok = l >= 0;
			if (l >= 0)
				close(l);
			close(prog);
		}
	}
	elfbin_close(self);
	return ok;
}

void ulink_prepare(struct bpf_object *obj)
{
	struct bpf_program *p;

	if (!ulink_multi())
		return;
	bpf_object__for_each_program(p, obj)
		if (bpf_program__type(p) == BPF_PROG_TYPE_KPROBE)
			bpf_program__set_expected_attach_type(p, (enum bpf_attach_type)ATTACH_UPROBE_MULTI);
}

int ulink_attach(int prog_fd, int ret, pid_t pid, const char *path, uint64_t off, uint64_t cookie)
{
	if (ulink_multi())
		return multi_link(prog_fd, ret, pid, path, off, cookie);
	return perf_link(prog_fd, ret, pid, path, off, cookie);
}
