/* SPDX-License-Identifier: GPL-2.0 */
/* Types shared by bpf/commands.bpf.c and user space. */
#ifndef REDLAT_COMMANDS_H
#define REDLAT_COMMANDS_H

#include "hist.h"

/* Redis's longest command name in 7.x, "command|getkeysandflags", is 23
 * bytes; 32 leaves room and keeps index masking cheap for the verifier. */
#define CMD_NAME_LEN 32
/* Commands of one client answered by one write: redis-benchmark -P 16 sends
 * 16. Past this the response span of the extra commands is dropped and
 * counted (STAT_DROP_PENDING). */
#define MAX_PENDING 32
#define MAX_SKIP_PROCS 16

/* targets map flags */
#define TARGET_SUBCOMMANDS 1

enum span {
	SPAN_EXEC = 0,     /* the command's own run inside call(): commandstats */
	SPAN_RESPONSE = 1, /* from the read() of the request to the write() of its reply */
	SPAN_MAX,
};

struct cmd_key {
	__u32 tgid;
	__u32 span;
	char name[CMD_NAME_LEN];
};

enum redlat_stat {
	STAT_CMD_HITS,        /* slowlog call-site probe hits */
	STAT_PAIR_HITS,       /* entry + return probe pairs on skip-slowlog procs */
	STAT_SYSCALL_HITS,    /* read/write/close tracepoint hits of a target */
	STAT_DROP_HIST_FULL,  /* histogram map full: a sample lost */
	STAT_DROP_NAME,       /* command name unreadable */
	STAT_DROP_PENDING,    /* more commands than MAX_PENDING in one reply */
	STAT_LATE_HITS,       /* hits while not recording: warm-up, detaching */
	STAT_DROP_FD_EVICTED, /* response spans lost: the connection's state was
			       * evicted from the fds LRU map */
	STAT_DROP_STATE_FULL, /* a read or an entry probe not tracked: its
			       * in-flight map was full, or fds refused it */
	STAT_CYCLE_HITS,      /* per-iteration and per-command cycle probes
			       * (fast expire cycle, eviction) */
	STAT_MAX,
};

struct fd_key {
	__u32 tgid;
	__u32 fd;
};

/* The connection the main thread read last, and in which window. */
struct cur_read {
	__u32 fd;
	__u32 gen;	/* 0: its state was deleted (closed, hung up) */
};

struct fd_state {
	__u64 read_ts;  /* first read of the requests not yet answered */
	__u32 gen;      /* sampling window that read_ts belongs to */
	__u32 npending;
	char pending[MAX_PENDING][CMD_NAME_LEN];
};

#endif
