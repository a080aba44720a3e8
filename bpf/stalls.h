/* SPDX-License-Identifier: GPL-2.0 */
/* Fork, persistence and fsync stalls: types shared by the BPF side
 * (bpf/stalls.bpf.h) and user space (user/stalls.c). */
#ifndef REDLAT_STALLS_H
#define REDLAT_STALLS_H

#include "hist.h"

#define FILE_NAME_LEN 32
/* Instances one run traces, followed restarts included: the size of the
 * maps keyed by instance. */
#define MAX_INSTS 64
/* fds whose file class is cached per instance (Redis's default maxclients
 * is 10000): 4 bits each, in 64-bit words */
#define FDCLASS_FDS 16384
#define FDCLASS_INSTS MAX_INSTS
#define TASK_COMM_LEN_ 16

/* What a stall histogram or event is about. */
enum stall_kind {
	SK_FORK = 1,		/* the fork() syscall in the parent (latest_fork_usec) */
	SK_FSYNC,		/* fsync() */
	SK_FDATASYNC,		/* fdatasync() (Redis's redis_fsync on Linux) */
	SK_SYNC_FILE_RANGE,	/* sync_file_range() (rdb/aof incremental fsync) */
	SK_AOF_WRITE,		/* a main-thread write to the AOF: class in .klass */
	SK_RDB_SAVE,		/* rdbSave(), entry to return */
	SK_AOF_REWRITE,		/* rewriteAppendOnlyFile(), entry to return (child) */
	SK_CHILD_EXIT,		/* a fork child ended */
	SK_COW,			/* the child measured its copied memory (Redis's own
				 * zmalloc_get_private_dirty(), as in rdb_last_cow_size) */
	SK_LOOP,		/* an event-loop iteration: epoll_wait return to the next */
	SK_RUNQ,		/* a run-queue wait of the main thread (histogram role,
				 * event klass: 1 preempted); an event when over the
				 * threshold, with the task that had the CPU */
	SK_OFFCPU,		/* an off-CPU period in an iteration (histogram role,
				 * event klass: OFF_SLEEP 1, OFF_BLOCKED 2); an event
				 * when over the threshold */
	SK_COMMAND,		/* a command over the threshold (name in .file) */
	SK_CYCLE,		/* one of Redis's internal cycles: .klass / key role is
				 * the enum redis_cycle */
	SK_MAX,
};

/* Thread roles, from the thread's comm and whether it is a fork child. */
enum thread_role {
	ROLE_MAIN = 0,
	ROLE_BIO_AOF,		/* bio_aof_fsync (6.2/7.0), bio_aof (7.2+, Valkey) */
	ROLE_BIO_CLOSE,		/* bio_close_file */
	ROLE_BIO_LAZY,		/* bio_lazy_free */
	ROLE_CHILD,		/* a fork child (BGSAVE, AOF rewrite, ...) */
	ROLE_OTHER,		/* io threads, module threads, ... */
	ROLE_MAX,
};

/* Files, by name and type (FC_MANIFEST last: the order is the JSON's). Redis's names are configurable: a file that
 * matches none of the defaults' patterns is "other". */
enum file_class {
	FC_UNKNOWN = 0,		/* not resolved (yet) */
	FC_AOF,			/* appendonly*, *.aof, temp-rewriteaof-* */
	FC_RDB,			/* *.rdb, temp-*.rdb */
	FC_DIR,			/* a directory (fsyncFileDir) */
	FC_SOCKET,
	FC_PIPE,
	FC_OTHER,
	FC_MANIFEST,		/* 7.0+: appendonly.aof.manifest */
	FC_MAX,
};

/* How Redis classes a main-thread AOF write (flushAppendOnlyFile), and
 * the same order of tests: an fsync in flight, else a child, else alone. */
enum aof_write_class {
	AW_PENDING_FSYNC = 0,	/* aof-write-pending-fsync */
	AW_ACTIVE_CHILD,	/* aof-write-active-child */
	AW_ALONE,		/* aof-write-alone */
	AW_MAX,
};

/* Redis's internal cycles, under Redis's latency event names */
enum redis_cycle {
	CYCLE_EXPIRE = 0,	/* expire-cycle: activeExpireCycle(SLOW) from databasesCron */
	CYCLE_DEFRAG,		/* active-defrag-cycle: activeDefragCycle() */
	/* Probes that fire every iteration or every command: they go on
	 * with the command probes (sampling windows, or all along with
	 * --exact) */
	CYCLE_EXPIRE_FAST,	/* expire-cycle too: activeExpireCycle(FAST) from beforeSleep */
	CYCLE_EVICT,		/* eviction-cycle: a performEvictions() call that evicted */
	CYCLE_EVICT_DEL,	/* eviction-del: deleting one evicted key */
	CYCLE_MAX,
};
#define CYCLE_WINDOWED(c) ((c) >= CYCLE_EXPIRE_FAST)
#define CYCLE_COOKIE_RET 0x100	/* in a cycle probe's cookie: its end is a return probe */

/* How the main thread went off CPU (SK_OFFCPU, SK_RUNQ) */
#define OFF_RUNNABLE 0	/* preempted */
#define OFF_SLEEP 1
#define OFF_BLOCKED 2	/* TASK_UNINTERRUPTIBLE */

/* event flags */
#define EVF_BLOCKED	1	/* a write that waited for an fsync in flight to end */
#define EVF_MAIN	2	/* on the instance's main thread */
#define EVF_CHILD_LIVE	4	/* a fork child was alive */
#define EVF_FSYNC_LIVE	16	/* a background fsync was in flight */
#define EVF_FORK_WAIT	8	/* SK_FORK: not a fork but the CPU wait that ended the
				 * previous one (dur_ns), to add to it */

/* fork purposes: redisFork(int purpose), plus what redlat infers */
#define FORK_PURPOSE_UNKNOWN 0
#define FORK_PURPOSE_RDB 1
#define FORK_PURPOSE_AOF 2
#define FORK_PURPOSE_LDB 3
#define FORK_PURPOSE_MODULE 4
#define FORK_PURPOSE_REPL 16	/* CHILD_TYPE_RDB for a replica's full sync */

struct stall_key {
	__u32 tgid;	/* the instance (a child's parent) */
	__u16 kind;	/* enum stall_kind */
	__u8 role;	/* enum thread_role, or the aof_write_class of SK_AOF_WRITE */
	__u8 fclass;	/* enum file_class */
};

struct stall_event {
	__u64 ts_ns;		/* start, CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u64 dur_ns;
	__u32 tgid;		/* the instance */
	__u32 pid;		/* the process it ran in (a child's own pid) */
	__u32 tid;
	__u16 kind;
	__u8 role;
	__u8 fclass;
	__s32 fd;
	__u32 flags;		/* EVF_* */
	__u32 klass;		/* SK_AOF_WRITE: enum aof_write_class; SK_FORK: purpose */
	__s32 ret;		/* syscall or function return (child exit: exit_code) */
	__u64 rss_bytes;	/* SK_FORK: parent's RSS before the fork */
	__u64 pgtable_bytes;	/* SK_FORK: parent's page tables before the fork */
	__u64 child;		/* SK_FORK: child pid; SK_COW: bytes; SK_CYCLE
				 * eviction-cycle: keys evicted */
	__u64 faults;		/* SK_CHILD_EXIT: parent page faults while it lived */
	__u64 cow_faults;	/* SK_CHILD_EXIT: of which write faults on present pages */
	__u64 sys_ns;		/* SK_FORK: of dur_ns, the clone syscall itself */
	/* SK_LOOP, SK_COMMAND: where the iteration's time went */
	__u64 runq_ns;		/* runnable, waiting for a CPU */
	__u64 sleep_ns;		/* sleeping (interruptible), outside epoll_wait */
	__u64 block_ns;		/* uninterruptible (disk, major faults, locks) */
	__u64 oncpu_ns;		/* the rest: running */
	__u64 minflt, majflt;	/* page faults of the main thread */
	__u32 other_pid;	/* who ran while it waited longest */
	char other_comm[TASK_COMM_LEN_];
	char comm[TASK_COMM_LEN_];
	char file[FILE_NAME_LEN];	/* basename of the fd's file; SK_COMMAND: the name */
};

/* Per-instance state, the value of the targets map (user space creates it
 * zeroed, with flags). */
struct inst_state {
	__u32 flags;		/* TARGET_* */
	__u32 nchildren;	/* fork children alive */
	__u32 fork_purpose;	/* inside redisFork(): its purpose; 0 outside */
	__u32 repl;		/* inside startBgsaveForReplication() */
	__u32 fsyncs_inflight;	/* background (bio) fsyncs of the AOF in flight */
	__u32 libc_fork;	/* glibc's fork() is probed: it closes the fork event */
	__u32 slot;		/* the instance's index, for the fd class array */
	__u32 pad;
	__u64 fork_entry_ts;	/* inside glibc's fork() since */
	__u64 fork_end_ts;	/* glibc's fork() returned in the parent at */
	__u64 fork_preempt_ts;	/* and the parent was preempted right after, at */
	__u64 fork_child;	/* the child of that fork */
	__u64 last_fsync_end;	/* when the last background AOF fsync returned */
	__u64 faults;		/* page faults while a child was alive */
	__u64 cow_faults;	/* of which write faults on present pages */
};

struct child_state {
	__u32 parent;		/* instance tgid */
	__u32 purpose;
	__u64 fork_ts;
	__u64 faults0, cow_faults0;	/* the parent's counters at the fork */
};

/* The main thread's state, for causes.bpf.h (user space creates it
 * zeroed). */
struct loop_state {
	__u64 off_ts;		/* the main thread went off CPU at (0: on CPU) */
	__u64 wake_ts;		/* and was woken at */
	__u32 off_how;		/* OFF_* */
	__u32 in_poll;		/* inside epoll_wait */
	__u64 it_start;		/* the iteration began (epoll_wait returned) */
	__u64 runq_ns, sleep_ns, block_ns;	/* of this iteration so far */
	__u64 minflt0, majflt0;
	__u64 thief_ns;		/* the longest wait of this iteration, and who ran */
	__u32 thief_pid;
	__u32 it_gen;		/* tp_gen when it_start was set */
	char thief_comm[16];
};

/* A task that had the CPU while a main thread waited for it. */
struct thief_key {
	__u32 tgid;
	__u32 pid;
	char comm[16];
};

enum stall_stat {
	SST_EVENTS = 0,		/* events sent */
	SST_LOST,		/* ring buffer full: an event lost */
	SST_HIST_FULL,		/* stall histogram map full */
	SST_CHILDREN_FULL,	/* children map full: a child not followed */
	SST_INFLIGHT_FULL,	/* a syscall, fork or function in flight not timed:
				 * its map (sys_start, fork_waits, fn_start,
				 * cycle_start) was full */
	SST_THIEVES_FULL,	/* a run-queue wait not charged to the task that had
				 * the CPU: thieves map full */
	SST_MAX,
};

#endif
