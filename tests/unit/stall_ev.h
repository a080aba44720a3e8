/* SPDX-License-Identifier: GPL-2.0 */
/* A stall event of instance 100, as the ring buffer delivers them: the
 * unit tests' way of feeding user space without BPF. */
#ifndef REDLAT_TEST_STALL_EV_H
#define REDLAT_TEST_STALL_EV_H

#include <string.h>
#include "stalls.h"

static inline struct stall_event ev(int kind, __u32 pid, __u64 ts, __u64 dur)
{
	struct stall_event e;

	memset(&e, 0, sizeof(e));
	e.kind = kind;
	e.tgid = 100;
	e.pid = pid;
	e.tid = pid;
	e.ts_ns = ts;
	e.dur_ns = dur;
	return e;
}

#endif
