/* SPDX-License-Identifier: GPL-2.0 */
/* Memory facts the doctor quotes as evidence: transparent huge pages (the
 * host's setting, the instance's AnonHugePages), swap and major faults.
 * Read from /proc and /sys only: redlat never asks Redis. */
#ifndef REDLAT_MEMFACTS_H
#define REDLAT_MEMFACTS_H

#include <stddef.h>
#include <sys/types.h>

#define THP_ENABLED_PATH "/sys/kernel/mm/transparent_hugepage/enabled"

/* The sum of the "FIELD N kB" lines of a /proc file (smaps has one per
 * mapping), in bytes; -1 when the file cannot be read or has none. */
long long memfacts_kb_field(const char *path, const char *field);

/* AnonHugePages of a process in bytes (smaps_rollup, else smaps), or -1. */
long long memfacts_anon_huge(const char *proc_root, pid_t pid);
/* VmSwap of a process in bytes, or -1. */
long long memfacts_swap(const char *proc_root, pid_t pid);
/* Major faults of a process so far (all threads), or -1. */
long long memfacts_major_faults(const char *proc_root, pid_t pid);

/* The selected word of a THP setting file ("always [madvise] never" ->
 * "madvise") into out: 0, or -1 when unreadable or without a selection. */
int memfacts_thp_setting(const char *path, char *out, size_t len);

#endif
