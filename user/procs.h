/* SPDX-License-Identifier: GPL-2.0 */
/* Finding redis-server and valkey-server processes through /proc. */
#ifndef REDLAT_PROCS_H
#define REDLAT_PROCS_H

#include <limits.h>
#include <sys/types.h>

#define MAX_PORTS 8
#define PROC_ROOT "/proc"

struct redis_proc {
	pid_t pid;
	char comm[16];
	char exe[PATH_MAX];	/* the executable as the process sees it */
	char probe_path[PATH_MAX + 32];	/* how the host reaches that file */
	int ports[MAX_PORTS];
	int nports;
};

/* 0 when root is a mounted procfs, else -1 with a one-line reason. */
int procs_check_root(const char *root, char *err, size_t errlen);

/* Every Redis server process (fork children excluded). Returns the count
 * stored (up to max) or -1; found (may be NULL) gets how many there are,
 * past max too, so that the caller can say how many it left out. */
int procs_find_all(const char *proc_root, struct redis_proc *out, int max, int *found);

/* One pid: 0, or -1 with a one-line reason in err (no such process, not
 * a Redis server, unreadable). */
int procs_get(const char *proc_root, pid_t pid, struct redis_proc *out, char *err, size_t errlen);

/* Is the process still there (and the same executable)? */
int procs_alive(const char *proc_root, const struct redis_proc *p);

/* Listening TCP ports of pid, from its socket inodes and net/tcp{,6}. */
int procs_ports(const char *proc_root, pid_t pid, int *ports, int max);

/* Main thread's CPU time so far in ns (schedstat), and read() calls so far
 * (/proc/PID/io syscr); 0 when unreadable. */
double procs_main_thread_cpu_ns(const char *proc_root, pid_t pid);
double procs_reads(const char *proc_root, pid_t pid);

/* When the process started, in CLOCK_BOOTTIME seconds (/proc/PID/stat's
 * starttime, 10 ms ticks); -1 when unreadable. */
double procs_start_s(const char *proc_root, pid_t pid);
/* starttime (clock ticks) from the text of a /proc/PID/stat; -1 if it has
 * none. */
double procs_parse_start(const char *stat);

/* The C library the process mapped, as the host reaches it (through
 * /proc/PID/root). 0, or -1 when none (a static build). */
int procs_libc(const char *proc_root, pid_t pid, char *out, size_t len);

/* Pure parsers of /proc text (fuzzed: tests/fuzz/), over NUL-terminated
 * strings. Each is 0 when the text holds what is asked, else -1. */
/* /proc/PID/stat: comm (it may hold spaces and parentheses), state and
 * ppid. */
int procs_parse_stat(const char *buf, char *comm, size_t clen, char *state, pid_t *ppid);
/* /proc/PID/status: Tgid, or -1. */
pid_t procs_parse_tgid(const char *status);
/* A line of net/tcp or net/tcp6: 0 only for a socket in LISTEN. */
int procs_parse_tcp_listen(const char *line, int *port, unsigned long *inode);
/* An fd's link: "socket:[INODE]". */
int procs_parse_socket_link(const char *link, unsigned long *inode);
/* A line of /proc/PID/maps: 0 when it maps the C library, with its path. */
int procs_parse_maps_libc(const char *line, char *file, size_t len);
/* /proc/PID/io: syscr, or 0. */
double procs_parse_syscr(const char *text);

#endif
