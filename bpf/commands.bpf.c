// SPDX-License-Identifier: GPL-2.0
/* Per-command latency of redis-server.
 *
 * Execution span: a uprobe on each call site of slowlogPushEntryIfNeeded
 * (c, argv, argc, duration). call() reaches it once for every command it
 * counts in INFO commandstats, with the duration Redis itself measured
 * around cmd->proc() (the same figure commandstats adds up), so the probe's
 * own cost never lands inside the span. The probe sits on the call
 * instruction, which the kernel emulates; the function's first instruction
 * is a RIP-relative mov that it would have to single-step (about 4x dearer
 * on this VM). Commands flagged CMD_SKIP_SLOWLOG (exec) never get there:
 * they are timed by an entry/return pair on their proc, less the pair's
 * calibrated bias.
 *
 * Response span: read/write syscall tracepoints of the target. Commands run
 * right after their client's read() on the main thread, so the command probe
 * files each command under the fd last read; the next write()/writev() to
 * that fd closes the response span of all of them. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "commands.h"
#include "hooks.h"
#include "stalls.h"
#include "maps.bpf.h"
#include "cmdname.bpf.h"

/* Entry-to-return time that a probe pair adds to an empty function here,
 * measured by redlat at start-up (user/calib.c). */
const volatile __u64 pair_bias_ns = 0;

/* Sampling window, bumped by user space each time it attaches: state
 * left from an earlier window is stale. */
__u32 gen = 0;
/* Set while a window is open. Detaching a uprobe is not instant: hits keep
 * coming for a while after bpf_link__destroy() returns (seen here: tens of
 * ms), and must not count as sampled. */
__u32 enabled = 0;
/* bit (tgid % 64) set for each target and each followed child: most
 * processes fail this test and cost no lookup */
__u64 tgid_mask = 0;
/* the main thread's time accounting (causes.bpf.h) is on: not with
 * --stalls-only */
__u32 loop_on = 1;
/* Bumped by user space each time it attaches the syscall tracepoints:
 * an iteration begun before they last came off is not timed (its end
 * was not seen, or its start was long ago). */
__u32 tp_gen = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct cmd_key);
	__type(value, struct hist);
} hists SEC(".maps");

/* Names of the skip-slowlog procs, by attach cookie. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_SKIP_PROCS);
	__type(key, __u32);
	__type(value, char[CMD_NAME_LEN]);
} skip_names SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);	/* tid */
	__type(value, __u64);	/* entry time */
} skip_start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct fd_key);
	__type(value, struct fd_state);
} fds SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);	/* tid */
	__type(value, __u32);	/* fd of the read in flight */
} read_fd SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_INSTS);
	__type(key, __u32);	/* tgid */
	__type(value, struct cur_read);
} cur_fd SEC(".maps");

/* Zeroed sources for lookup_or_init: the values are too big for the stack. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hist);
} zero_hist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fd_state);
} zero_fd SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* Hook hits and evidence, HOOK_NCOUNTERS per instance slot (hooks.h). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MAX_INSTS * HOOK_NCOUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} hook_hits SEC(".maps");

static __always_inline void hook_inc(__u32 slot, __u32 which)
{
	__u32 k = slot * HOOK_NCOUNTERS + which;
	__u64 *v = bpf_map_lookup_elem(&hook_hits, &k);

	if (v)
		*v += 1;
}

static __always_inline void stat_inc(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &which);

	if (v)
		*v += 1;
}

#include "stalls.bpf.h"
#include "causes.bpf.h"

static __always_inline void hist_add_n(struct cmd_key *key, __u64 ns, __u64 n)
{
	__u32 zero = 0;

	if (hist_add_n_to(&hists, key, bpf_map_lookup_elem(&zero_hist, &zero), ns, n))
		stat_inc(STAT_DROP_HIST_FULL);
}

static __always_inline void hist_add(struct cmd_key *key, __u64 ns)
{
	hist_add_n(key, ns, 1);
}

/* The name INFO commandstats uses, for this target's naming rules. */
static __always_inline int command_name(__u32 tgid, void **argv, int argc, char *name)
{
	struct inst_state *in = bpf_map_lookup_elem(&targets, &tgid);

	return cmd_name(argv, argc, in && (in->flags & TARGET_SUBCOMMANDS), name);
}

/* File the command under the connection last read on this thread, for its
 * response span. */
static __always_inline void add_pending(__u32 tgid, const char *name)
{
	struct fd_key fk = { .tgid = tgid };
	struct cur_read *cr;
	struct fd_state *st;
	__u32 n;

	cr = bpf_map_lookup_elem(&cur_fd, &tgid);
	if (!cr)
		return;
	fk.fd = cr->fd;
	st = bpf_map_lookup_elem(&fds, &fk);
	if (!st) {
		/* read in this window and neither closed nor hung up since:
		 * the LRU map evicted it (LRU maps evict silently) */
		if (cr->gen == gen)
			stat_inc(STAT_DROP_FD_EVICTED);
		return;
	}
	if (st->gen != gen)
		return;
	n = st->npending;
	if (n >= MAX_PENDING) {
		stat_inc(STAT_DROP_PENDING);
		return;
	}
	__builtin_memcpy(st->pending[n & (MAX_PENDING - 1)], name, CMD_NAME_LEN);
	st->npending = n + 1;
}

/* A command over the threshold: an event, with what its iteration has
 * been through so far. */
static __always_inline void command_event(__u32 tgid, const char *name, __u64 ns)
{
	struct loop_state *ls = bpf_map_lookup_elem(&loops, &tgid);
	struct inst_state *in = bpf_map_lookup_elem(&targets, &tgid);
	struct task_struct *task = (void *)bpf_get_current_task();
	struct stall_event *e = event_new();
	__u64 now = bpf_ktime_get_ns(), off;

	if (!e)
		return;
	e->kind = SK_COMMAND;
	e->ts_ns = now - ns;
	e->dur_ns = ns;
	e->tgid = tgid;
	e->pid = tgid;
	e->tid = (__u32)bpf_get_current_pid_tgid();
	e->role = e->tid == tgid ? ROLE_MAIN : ROLE_OTHER;
	__builtin_memcpy(e->file, name, CMD_NAME_LEN);
	if (ls && ls->it_start && ls->it_gen == tp_gen) {
		e->runq_ns = ls->runq_ns;
		e->sleep_ns = ls->sleep_ns;
		e->block_ns = ls->block_ns;
		off = ls->runq_ns + ls->sleep_ns + ls->block_ns;
		e->oncpu_ns = ns > off ? ns - off : 0;
		e->minflt = BPF_CORE_READ(task, min_flt) - ls->minflt0;
		e->majflt = BPF_CORE_READ(task, maj_flt) - ls->majflt0;
		e->other_pid = ls->thief_pid;
		__builtin_memcpy(e->other_comm, ls->thief_comm, sizeof(e->other_comm));
	}
	if (in)
		e->flags = (in->nchildren ? EVF_CHILD_LIVE : 0) | (in->fsyncs_inflight ? EVF_FSYNC_LIVE : 0);
	event_send(e);
}

static __always_inline void record_exec(const char *name, __u64 ns)
{
	struct cmd_key key = { .span = SPAN_EXEC };
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	key.tgid = tgid;
	__builtin_memcpy(key.name, name, CMD_NAME_LEN);
	hist_add(&key, ns);
	add_pending(tgid, name);
	if (ns >= event_min_ns)
		command_event(tgid, name, ns);
}

SEC("uprobe")
int BPF_KPROBE(slowlog_site, void *client, void **argv, int argc, long long duration_us)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct inst_state *in = bpf_map_lookup_elem(&targets, &tgid);
	char name[CMD_NAME_LEN] = {};

	if (in)
		hook_inc(in->slot, HOOK_CMD);
	if (!enabled) {
		stat_inc(STAT_LATE_HITS);
		return 0;
	}
	stat_inc(STAT_CMD_HITS);
	if (command_name(bpf_get_current_pid_tgid() >> 32, argv, argc, name)) {
		stat_inc(STAT_DROP_NAME);
		return 0;
	}
	record_exec(name, duration_us > 0 ? (__u64)duration_us * 1000 : 0);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(skip_entry)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 ts = bpf_ktime_get_ns();

	if (!enabled) {
		bpf_map_delete_elem(&skip_start, &tid);
		return 0;
	}
	if (bpf_map_update_elem(&skip_start, &tid, &ts, BPF_ANY))
		stat_inc(STAT_DROP_STATE_FULL);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(skip_return)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u32 id = (__u32)bpf_get_attach_cookie(ctx);
	__u64 *start, ns;
	char *name;

	if (!enabled) {
		stat_inc(STAT_LATE_HITS);
		bpf_map_delete_elem(&skip_start, &tid);
		return 0;
	}
	stat_inc(STAT_PAIR_HITS);
	start = bpf_map_lookup_elem(&skip_start, &tid);
	name = bpf_map_lookup_elem(&skip_names, &id);
	if (!start || !name)
		return 0;
	ns = bpf_ktime_get_ns() - *start;
	bpf_map_delete_elem(&skip_start, &tid);
	ns = ns > pair_bias_ns ? ns - pair_bias_ns : 0;
	record_exec(name, ns);
	return 0;
}

static __always_inline int is_target(__u32 tgid)
{
	return bpf_map_lookup_elem(&targets, &tgid) != 0;
}


/* read_fd's value while the thread has no read in flight. Its entry
 * stays (thread_exit removes it): a map update at every read() and a
 * delete at every return cost more than writing the value in place. */
#define READ_NONE 0xffffffffu

static __always_inline void read_enter(__u32 tid, __u32 fd)
{
	__u32 *v = bpf_map_lookup_elem(&read_fd, &tid);

	if (v) {
		*v = fd;	/* fd -1 reads as READ_NONE: it fails with EBADF */
		return;
	}
	if (bpf_map_update_elem(&read_fd, &tid, &fd, BPF_ANY))
		stat_inc(STAT_DROP_STATE_FULL);
}

/* The connection at fd is closed or hung up: its state goes, and if the
 * main thread read it last, that read no longer counts as in this window
 * (add_pending would take the missing state for an eviction). */
static __always_inline void fd_gone(struct fd_key *fk)
{
	struct cur_read *cr;

	bpf_map_delete_elem(&fds, fk);
	cr = bpf_map_lookup_elem(&cur_fd, &fk->tgid);
	if (cr && cr->fd == fk->fd)
		cr->gen = 0;
}

static __always_inline void read_exit(__u32 tgid, __u32 tid, long ret)
{
	struct fd_key fk = { .tgid = tgid };
	struct fd_state *st, *init;
	__u32 *fd, zero = 0;

	fd = bpf_map_lookup_elem(&read_fd, &tid);
	if (!fd || *fd == READ_NONE)
		return;
	fk.fd = *fd;
	*fd = READ_NONE;
	if (ret <= 0) {
		if (ret == 0)	/* the client hung up */
			fd_gone(&fk);
		return;
	}
	init = bpf_map_lookup_elem(&zero_fd, &zero);
	if (!init)
		return;
	/* an LRU map evicts rather than fill, but an insert can still be
	 * refused (no free node this CPU can take, a bucket lock busy) */
	st = lookup_or_init(&fds, &fk, init);
	if (!st) {
		stat_inc(STAT_DROP_STATE_FULL);
		return;
	}
	if (st->gen != gen || st->npending == 0) {
		st->read_ts = bpf_ktime_get_ns();
		st->gen = gen;
		st->npending = 0;
	}
	if (tid == tgid) {
		struct cur_read cr = { .fd = fk.fd, .gen = gen }, *c;

		/* in place: the entry lives as long as the target */
		c = bpf_map_lookup_elem(&cur_fd, &tgid);
		if (c) {
			c->fd = cr.fd;
			c->gen = cr.gen;
		} else if (bpf_map_update_elem(&cur_fd, &tgid, &cr, BPF_ANY)) {
			stat_inc(STAT_DROP_STATE_FULL);
		}
	}
}

static __always_inline void reply_written(__u32 tgid, __u32 fd)
{
	struct fd_key fk = { .tgid = tgid, .fd = fd };
	struct cmd_key key = { .tgid = tgid, .span = SPAN_RESPONSE };
	struct fd_state *st;
	__u64 ns, read_ts;
	__u32 i, n;

	st = bpf_map_lookup_elem(&fds, &fk);
	if (!st)
		return;
	read_ts = st->read_ts;
	/* evidence for the command hook: a request read in this window is
	 * answered (counted once per read, whatever the probe saw) */
	if (read_ts && st->gen == gen) {
		struct inst_state *in = bpf_map_lookup_elem(&targets, &tgid);

		if (in)
			hook_inc(in->slot, HOOK_EV_REPLY);
	}
	st->read_ts = 0;
	if (!st->npending)
		return;
	n = st->npending;
	st->npending = 0;
	if (st->gen != gen)
		return;
	ns = bpf_ktime_get_ns() - read_ts;
	/* One histogram update per command. Batching runs of one name (one
	 * update per run) took sys_enter past the verifier's 1M instructions
	 * once the hook evidence above was in: the run length multiplied
	 * its states. */
	for (i = 0; i < MAX_PENDING; i++) {
		if (i >= n)
			break;
		__builtin_memcpy(key.name, st->pending[i], CMD_NAME_LEN);
		hist_add(&key, ns);
	}
}

/* Syscall tracepoints. They fire for every syscall on the host, so each
 * program first tests the syscall number, then a mask of the targets'
 * tgids, before any map lookup. The command spans (read, write, close)
 * record only in a sampling window; the stalls (stalls.bpf.h) all the time.
 *
 * Two twins of each: tp_btf, whose typed pt_regs are read with plain loads,
 * and raw_tp, which reads them through a helper call, for kernels without
 * tp_btf. Both need no tracefs mount (classic syscall tracepoints do) and
 * cost less than perf-event tracepoints. User space loads one twin. */

static __always_inline int maybe_ours(__u32 tgid)
{
	return (tgid_mask >> (tgid & 63)) & 1;
}

static __always_inline int enter_wanted(long id)
{
	if (id == NR_read)
		return enabled;
	return id == NR_write || id == NR_writev || id == NR_close || (sync_tp && is_sync_nr(id)) ||
	       (fork_tp && is_fork_nr(id)) || id == NR_dup2 || id == NR_dup3 || (loop_on && is_poll_nr(id));
}

/* called when enter_wanted(id) */
static __always_inline int on_sys_enter(long id, unsigned long a0, unsigned long a1)
{
	struct inst_state *in;
	struct child_state *cs;
	__u64 pid_tgid;
	__u32 tgid, tid, fd;

	pid_tgid = bpf_get_current_pid_tgid();
	tgid = pid_tgid >> 32;
	if (!maybe_ours(tgid))
		return 0;
	tid = (__u32)pid_tgid;
	if (is_poll_nr(id)) {
		/* loops has an entry for each target, and only for them */
		if (tid == tgid)
			loop_poll_enter(tgid);
		return 0;
	}
	in = bpf_map_lookup_elem(&targets, &tgid);
	if (!in) {
		/* a fork child's fsyncs belong to its parent */
		if (is_sync_nr(id) && (cs = bpf_map_lookup_elem(&children, &tgid)))
			stalls_sys_enter(0, cs->parent, tid, 1, a0, a1, id);
		return 0;
	}
	stalls_sys_enter(in, tgid, tid, 0, a0, a1, id);
	if (!enabled)
		return 0;
	stat_inc(STAT_SYSCALL_HITS);
	fd = (__u32)a0;
	if (id == NR_read) {
		read_enter(tid, fd);
	} else if (id == NR_close) {
		struct fd_key fk = { .tgid = tgid, .fd = fd };

		fd_gone(&fk);
	} else if (id == NR_write || id == NR_writev) {
		reply_written(tgid, fd);
	}
	return 0;
}

static __always_inline int on_sys_exit(long id, long ret, const int btf)
{
	__u64 pid_tgid;

	if (id == NR_read) {
		if (!enabled)
			return 0;
		pid_tgid = bpf_get_current_pid_tgid();
		if (maybe_ours(pid_tgid >> 32) && is_target(pid_tgid >> 32))
			read_exit(pid_tgid >> 32, (__u32)pid_tgid, ret);
		return 0;
	}
	if (loop_on && is_poll_nr(id)) {
		pid_tgid = bpf_get_current_pid_tgid();
		if ((__u32)pid_tgid == pid_tgid >> 32 && maybe_ours(pid_tgid >> 32))
			loop_poll_exit(pid_tgid >> 32, btf);
		return 0;
	}
	if (!inflight_n)
		return 0;	/* no fork, fsync or AOF write in flight */
	if (id == NR_write || id == NR_writev) {
		pid_tgid = bpf_get_current_pid_tgid();
		/* only the main thread of an instance times its AOF writes */
		if ((__u32)pid_tgid == pid_tgid >> 32 && maybe_ours(pid_tgid >> 32) &&
		    is_target(pid_tgid >> 32))
			stalls_sys_exit((__u32)pid_tgid, ret);
		return 0;
	}
	/* timed here only when no uprobe times them (sync_tp, fork_tp) */
	if ((sync_tp && is_sync_nr(id)) || (fork_tp && is_fork_nr(id)))
		stalls_sys_exit((__u32)bpf_get_current_pid_tgid(), ret);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter_btf, struct pt_regs *regs, long id)
{
	if (!enter_wanted(id))
		return 0;
	return on_sys_enter(id, regs->di, regs->si);
}

/* Nothing to do for a syscall exit of a process that is not ours, unless
 * command spans or something in flight need it. */
static __always_inline int exit_skip(void)
{
	return !enabled && !inflight_n && !maybe_ours(bpf_get_current_pid_tgid() >> 32);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit_btf, struct pt_regs *regs, long ret)
{
	if (exit_skip())
		return 0;
	return on_sys_exit(regs->orig_ax, ret, 1);
}

SEC("raw_tp/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
{
	if (!enter_wanted(id))
		return 0;
	return on_sys_enter(id, BPF_CORE_READ(regs, di),
			    id == NR_dup2 || id == NR_dup3 ? BPF_CORE_READ(regs, si) : 0);
}

SEC("raw_tp/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	if (exit_skip())
		return 0;
	return on_sys_exit(BPF_CORE_READ(regs, orig_ax), ret, 0);
}

/* Scheduler tracepoints, twins as the syscall ones: they fire for every
 * switch and wakeup on the host, and test the tgid mask first. */
SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 ppid = prev->pid, npid = next->pid;

	loop_sched_switch(prev, next, ppid, npid, 1);
	fork_sched_switch(preempt, ppid, npid);
	return 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 ppid = BPF_CORE_READ(prev, pid), npid = BPF_CORE_READ(next, pid);

	loop_sched_switch(prev, next, ppid, npid, 0);
	fork_sched_switch(preempt, ppid, npid);
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(sched_wakeup_btf, struct task_struct *p)
{
	loop_wakeup(p->pid);
	return 0;
}

SEC("raw_tp/sched_wakeup")
int BPF_PROG(sched_wakeup, struct task_struct *p)
{
	loop_wakeup(BPF_CORE_READ(p, pid));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
