/* SPDX-License-Identifier: GPL-2.0 */
/* Fork, persistence and fsync stalls in user space: events from the ring
 * buffer folded into per-instance records, and their names. No libbpf
 * here, so the tests feed events by hand. */
#ifndef REDLAT_STALLS_USER_H
#define REDLAT_STALLS_USER_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include "stalls.h"

/* Events kept per instance; past this they are only counted (the
 * histograms still hold every one). */
#define MAX_STALL_EVENTS 100000

struct fork_rec {
	double wall;		/* unix time of the fork */
	__u64 ts_ns;		/* CLOCK_MONOTONIC */
	pid_t child;
	int purpose;		/* FORK_PURPOSE_*, inferred from the child's work if unknown */
	int seen_fork;		/* 0: the fork predates the run (only the child was seen) */
	double stall_ns;	/* glibc's fork() in the parent, as latest_fork_usec */
	double sys_ns;		/* of which the clone syscall */
	double wait_ns;		/* and the parent's wait for a CPU right after (the
				 * child preempted it) */
	__u64 rss_bytes, pgtable_bytes;
	int exited;
	double life_ns;
	int exit_code;		/* the kernel's: status << 8, or the signal */
	__u64 faults, cow_faults;	/* the parent's, while the child lived */
	int has_cow;
	__u64 cow_bytes;	/* the child's last zmalloc_get_private_dirty() */
	int work_kind;		/* SK_RDB_SAVE or SK_AOF_REWRITE seen in the child, or 0 */
	double work_ns;
	int work_ret;
};

/* fsyncs, main-thread AOF writes, main-thread rdbSave */
struct stall_rec {
	double wall;
	__u64 ts_ns;
	double dur_ns;
	pid_t pid, tid;
	int kind, role, fclass, klass, flags, fd, ret;
	char comm[16];
	char file[FILE_NAME_LEN];	/* SK_COMMAND: the command's name */
	/* SK_LOOP, SK_COMMAND: the breakdown */
	double runq_ns, sleep_ns, block_ns, oncpu_ns;
	unsigned long long minflt, majflt;
	pid_t other_pid;
	char other_comm[16];
	unsigned long long keys;	/* eviction-cycle: keys evicted */
};

/* A task that had the CPU while a main thread waited for it. */
struct thief {
	pid_t pid;
	char comm[16];
	double ns;
};

/* Tasks that exited, folded by comm: the pid is the one that took the
 * most of it (top). */
struct gone_thief {
	struct thief t;
	double top;
};

struct stall_hist {
	struct stall_key key;
	struct hist h;
};

struct inst_stalls {
	pid_t pid;
	struct fork_rec *forks;
	size_t nforks, capforks;
	struct stall_rec *events;
	size_t nevents, capevents;
	unsigned long not_kept;	/* events past MAX_STALL_EVENTS */
	struct stall_hist *hists;
	size_t nhists;
	int have_fork_probe;	/* redisFork/serverFork was probed: purposes are Redis's */
	int have_cow_probe;
	int have_fault_tp;	/* page_fault_user attached */
	struct thief *thieves;	/* most time first */
	size_t nthieves;
	struct gone_thief *gone;	/* taken out of the BPF map (exited) */
	size_t ngone;
};

/* Set the thieves of an instance: the n live ones given, replacing the
 * last set, and those that exited (stalls_thief_gone); most time first. */
void stalls_set_thieves(struct inst_stalls *s, const struct thief *t, size_t n);
/* A thief that exited: its time is kept, folded with others of its comm. */
void stalls_thief_gone(struct inst_stalls *s, const struct thief *t);
/* One line for a stall event, as --events streams them. */
void stall_event_line(FILE *f, const struct stall_rec *e, pid_t inst);
/* The event's name: Redis's latency event name, or the command's. */
const char *stall_event_name(const struct stall_rec *e);
/* SK_LOOP, SK_COMMAND: "on-CPU 1.2ms, run-queue 30ms (stress 1234),
 * sleeping 0ns, blocked 0ns, faults 3 minor 0 major" */
void stall_breakdown(char *buf, size_t len, const struct stall_rec *e);
/* SK_RUNQ: "preempted; CPU taken by stress 1234" */
void stall_runq_note(char *buf, size_t len, const struct stall_rec *e);
/* "0", "signal 9" or "running" */
void fork_exit_text(const struct fork_rec *fr, char *buf, size_t len);
/* A stall_rec from an event (what keep_event stores). */
void stall_rec_from(struct stall_rec *r, const struct stall_event *e);

/* CLOCK_MONOTONIC ns -> unix time, fixed at start-up. */
void stalls_clock_init(void);
double stalls_wall(__u64 mono_ns);

/* Fold one event into the instance's records. */
void stalls_add_event(struct inst_stalls *s, const struct stall_event *e);
/* Replace the histogram of key (from the map). */
void stalls_set_hist(struct inst_stalls *s, const struct stall_key *k, const struct hist *h);
/* Sum of the histograms matching kind (and role/fclass unless -1) into out. */
void stalls_hist_sum(const struct inst_stalls *s, int kind, int role, int fclass, struct hist *out);
/* Events by start time; histograms by kind, then total time. */
void stalls_sort(struct inst_stalls *s);
void stalls_free(struct inst_stalls *s);

const char *stall_kind_name(int kind);
const char *thread_role_name(int role);
const char *file_class_name(int fc);
const char *aof_write_event(int klass);	/* Redis's latency event name */
const char *fork_purpose_name(int purpose);
const char *cycle_name(int cycle);	/* Redis's latency event name */
/* An off-CPU period's event by how it slept: "off-cpu-sleeping",
 * "off-cpu-uninterruptible" */
const char *offcpu_event(int how);
/* Redis's fork rating by GB/s: terrible < 10, poor < 25, good < 100. */
const char *fork_rating(double gb_per_s);
double fork_rate_gbs(const struct fork_rec *f);	/* RSS / stall; 0 if unknown */

#endif
