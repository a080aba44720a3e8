/* SPDX-License-Identifier: GPL-2.0 */
#ifndef REDLAT_UTIL_H
#define REDLAT_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Whole-string parsers: "12abc", "", overflow and out-of-range all fail. */
int parse_long(const char *s, long min, long max, long *out);
int parse_double(const char *s, double min, double max, double *out);

uint64_t now_ns(void);	/* CLOCK_MONOTONIC, the clock bpf_ktime_get_ns reads */
double boottime_s(void);	/* CLOCK_BOOTTIME, the clock of /proc's start times */

/* "812ns", "3.41us", "12.0ms", "1.52s": three significant figures. */
const char *fmt_ns(double ns, char *buf, size_t len);

/* "812B", "3.41KB", "1.20GB" (powers of 1024). */
const char *fmt_bytes(double bytes, char *buf, size_t len);

/* A small file's start into buf, NUL-terminated: its length, or -1. */
int read_small(const char *path, char *buf, size_t len);

/* Unix time as local "HH:MM:SS.mmm". */
const char *fmt_wall(double wall, char *buf, size_t len);

#endif
