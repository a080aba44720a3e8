// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "privs.h"
#include "util.h"

static int caps_get(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };

	return (int)syscall(SYS_capget, &hdr, data);
}

static uint64_t mask_of(__u32 lo, __u32 hi)
{
	return (uint64_t)hi << 32 | lo;
}

uint64_t privs_effective(void)
{
	struct __user_cap_data_struct data[2] = {};

	if (caps_get(data))
		return 0;
	return mask_of(data[0].effective, data[1].effective);
}

/* Measured on kernel 6.18 as nobody with only these capabilities (setpriv):
 * - uprobes as perf events of the uprobe PMU (kernels before 6.6) take
 *   CAP_SYS_ADMIN, not CAP_PERFMON (so it was in 5.8, and so it is again
 *   since the fix that followed it); CAP_SYS_ADMIN also stands for CAP_BPF
 *   and CAP_PERFMON, which the programs' loading and kernel reads need.
 *   The uprobe_multi links redlat uses from 6.6 (user/ulink.c) take only
 *   CAP_BPF and CAP_PERFMON; the check below still asks CAP_SYS_ADMIN;
 * - another user's /proc/PID/exe, maps, root and io take CAP_SYS_PTRACE;
 * - another user's /proc/PID/fd (mode 0500), read for the listening ports,
 *   takes CAP_DAC_READ_SEARCH. */
static const struct {
	int cap;
	const char *name, *why;
} needed[] = {
	{ CAP_SYS_ADMIN, "CAP_SYS_ADMIN", "uprobes" },
	{ CAP_SYS_PTRACE, "CAP_SYS_PTRACE", "another user's /proc/PID" },
	{ CAP_DAC_READ_SEARCH, "CAP_DAC_READ_SEARCH", "its /proc/PID/fd, for the ports" },
};

int privs_check(char *err, size_t errlen)
{
	struct __user_cap_data_struct data[2] = {};
	char missing[256] = "";
	size_t i, len = 0;
	int n = 0;
	uint64_t eff;

	if (caps_get(data))
		return 0;
	eff = mask_of(data[0].effective, data[1].effective);
	for (i = 0; i < ARRAY_SIZE(needed); i++)
		if (!(eff & PRIV(needed[i].cap)) && ++n)
			len += snprintf(missing + len, sizeof(missing) - len, "%s%s (%s)", len ? ", " : "",
					needed[i].name, needed[i].why);
	if (!len)
		return 0;
	snprintf(err, errlen, "missing capabilit%s %s: run as root (sudo redlat ...) or grant %s "
		 "with setcap", n > 1 ? "ies" : "y", missing, n > 1 ? "them" : "it");
	return -1;
}

int privs_keep(uint64_t keep, int effective_only)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};
	int i;

	if (caps_get(data))
		return -1;
	for (i = 0; i < 2; i++) {
		__u32 k = (__u32)(keep >> (32 * i));

		data[i].effective = data[i].permitted & k;
		if (!effective_only) {
			data[i].permitted &= k;
			data[i].inheritable &= k;
		}
	}
	if (!effective_only && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL)
		return -1;
	return (int)syscall(SYS_capset, &hdr, data);
}
