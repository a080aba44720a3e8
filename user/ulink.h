/* SPDX-License-Identifier: GPL-2.0 */
/* Uprobe links as plain fds, closed to detach.
 *
 * Where the kernel has them (6.6+), uprobe_multi links: no perf event. A
 * uprobe attached through a perf event for one pid puts that event in the
 * task's perf context, which the kernel schedules out and in at every
 * context switch of the task, hit or not: measured here, 16 such probes
 * that never fire added 2.4 us to each sleep-and-wakeup exchange of a
 * ping-pong (BENCHMARKS.md, tools/bench-perfctx), a Redis at -P 1 sleeping once or more a request. A
 * uprobe_multi link filters by pid when it installs the probe and costs
 * nothing at a switch. Elsewhere, a perf event and a BPF link on it. */
#ifndef REDLAT_ULINK_H
#define REDLAT_ULINK_H

#include <stdint.h>
#include <sys/types.h>

struct bpf_object;

/* 1 when uprobe_multi links work here (tried once: a link on a function of
 * redlat's own), else 0. */
int ulink_multi(void);

/* Before the object's load: where ulink_multi(), load its uprobe programs
 * for uprobe_multi links (a program takes one kind of link or the other). */
void ulink_prepare(struct bpf_object *obj);

/* Attach prog_fd at file offset off of path, a return probe if ret, for
 * process pid (-1: every process that maps the file), with the attach
 * cookie. The link's fd, or -1 with errno. */
int ulink_attach(int prog_fd, int ret, pid_t pid, const char *path, uint64_t off, uint64_t cookie);

#endif
