// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include "memfacts.h"
#include "util.h"

long long memfacts_kb_field(const char *path, const char *field)
{
	size_t flen = strlen(field);
	long long sum = 0, kb;
	char line[256];
	int found = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, field, flen) || sscanf(line + flen, " %lld kB", &kb) != 1)
			continue;
		sum += kb;
		found = 1;
	}
	fclose(f);
	return found ? sum * 1024 : -1;
}

long long memfacts_anon_huge(const char *root, pid_t pid)
{
	char path[96];
	long long v;

	/* smaps_rollup (4.14+) sums the mappings in the kernel; smaps is the
	 * same figure one mapping at a time. Both walk the page tables, once,
	 * at the end of the run. */
	snprintf(path, sizeof(path), "%s/%d/smaps_rollup", root, pid);
	v = memfacts_kb_field(path, "AnonHugePages:");
	if (v >= 0)
		return v;
	snprintf(path, sizeof(path), "%s/%d/smaps", root, pid);
	return memfacts_kb_field(path, "AnonHugePages:");
}

long long memfacts_swap(const char *root, pid_t pid)
{
	char path[96];

	snprintf(path, sizeof(path), "%s/%d/status", root, pid);
	return memfacts_kb_field(path, "VmSwap:");
}

long long memfacts_major_faults(const char *root, pid_t pid)
{
	char path[96], buf[1024], *r;
	long long majflt;

	snprintf(path, sizeof(path), "%s/%d/stat", root, pid);
	if (read_small(path, buf, sizeof(buf)) < 0)
		return -1;
	/* after "pid (comm)", which may hold spaces and parentheses: state,
	 * ppid, pgrp, session, tty_nr, tpgid, flags, minflt, cminflt, majflt */
	r = strrchr(buf, ')');
	if (!r || sscanf(r + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %lld", &majflt) != 1)
		return -1;
	return majflt;
}

int memfacts_thp_setting(const char *path, char *out, size_t len)
{
	char buf[128], *l, *r;

	if (read_small(path, buf, sizeof(buf)) < 0)
		return -1;
	l = strchr(buf, '[');
	r = l ? strchr(l, ']') : NULL;
	if (!r || r == l + 1)
		return -1;
	snprintf(out, len, "%.*s", (int)(r - l - 1), l + 1);
	return 0;
}
