/* SPDX-License-Identifier: GPL-2.0 */
/* Fork, persistence and fsync stalls (included by commands.bpf.c, whose
 * syscall tracepoint programs call in here: one program per tracepoint
 * keeps the host-wide cost of each syscall to one call).
 *
 * - fork: the fork() syscall of an instance's main thread, timed from
 *   sys_enter to sys_exit in the parent (what latest_fork_usec times, less
 *   glibc's atfork handlers), with the purpose that a uprobe on
 *   redisFork(int purpose) saw, and the parent's RSS and page tables read
 *   from its mm (CO-RE) before the copy. sched_process_fork follows the
 *   child, sched_process_exit ends it; page_fault_user counts the parent's
 *   copy-on-write faults while a child lives.
 * - persistence: uprobe pairs on rdbSave and rewriteAppendOnlyFile, which
 *   run in the child (a tgid of its own) or, for SAVE, on the main thread;
 *   a return probe on zmalloc_get_private_dirty gives the copied memory the
 *   child reports to its parent (rdb_last_cow_size).
 * - fsync, fdatasync, sync_file_range of an instance or its children, with
 *   the thread's role and the file (resolved from the fd in the kernel).
 * - main-thread writes to the AOF, classed as flushAppendOnlyFile classes
 *   them: background fsync in flight, else a child alive, else alone. */
#ifndef REDLAT_STALLS_BPF_H
#define REDLAT_STALLS_BPF_H

#include "stalls.h"

/* Main-thread AOF writes shorter than this are only counted in the
 * histograms, not sent as events; set from --threshold. */
const volatile __u64 event_min_ns = 10000000;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_INSTS);
	__type(key, __u32);	/* tgid */
	__type(value, struct inst_state);
} targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);	/* child pid */
	__type(value, struct child_state);
} children SEC(".maps");

struct inflight {
	__u64 ts;
	__u64 rss_bytes, pgtable_bytes;
	__s32 fd;
	__u16 kind;
	__u8 role;
	__u8 fclass;
	__u32 klass;
	__u32 flags;
	__u32 tgid;	/* the instance */
	__u32 pad;
	char file[FILE_NAME_LEN];
};

/* Syscalls in flight on a thread. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);	/* tid */
	__type(value, struct inflight);
} sys_start SEC(".maps");

/* A fork whose clone returned in the parent, waiting for glibc's fork()
 * to return: Redis's latest_fork_usec spans the whole call, and the
 * parent's first copy-on-write faults (atfork handlers) come after the
 * syscall. */
struct fork_wait {
	struct inflight st;
	__u64 sys_ns;
	__s64 ret;
	__u64 start;	/* glibc's fork() entry, while waiting for redisFork's return */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_INSTS);
	__type(key, __u32);	/* tgid */
	__type(value, struct fork_wait);
} fork_waits SEC(".maps");

struct fn_key {
	__u32 tid;
	__u32 kind;
};

/* rdbSave / rewriteAppendOnlyFile entries in flight. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct fn_key);
	__type(value, __u64);
} fn_start SEC(".maps");

/* The file class of each fd of an instance, 4 bits per fd, so that telling
 * a client socket from the AOF costs an array read per write. Cleared at
 * close/dup2/dup3, and by user space (through its mapping) each time the
 * syscall tracepoints go on: closes while they were off went unseen.
 * fds past FDCLASS_FDS are classified at every write. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, FDCLASS_INSTS * FDCLASS_FDS / 16);
	__type(key, __u32);
	__type(value, __u64);
} fdclass SEC(".maps");

/* Entries in sys_start: while 0, sys_exit has nothing to look up. */
__u32 inflight_n = 0;
/* Where fsync, fdatasync and sync_file_range are timed: 1, the syscall
 * tracepoints (on for the whole run then); 0, the uprobes on the binary's
 * PLT stubs (sync_entry/sync_return). The same for fork: 1, clone in the
 * syscall tracepoints; 0, glibc's fork() probes and sched_process_fork.
 * Set by user space before it attaches anything. */
__u32 sync_tp = 1;
__u32 fork_tp = 1;
/* Entries in children (fork children followed, all instances): while 0,
 * a page fault has nothing to count, and page_fault returns after one
 * load instead of a lookup of the faulting process. */
__u32 children_live = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);	/* 20-30 keys an instance, up to 64 instances a run */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct stall_key);
	__type(value, struct hist);
} stall_hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} stall_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SST_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stall_stats SEC(".maps");

/* x86-64 syscall numbers */
#define NR_read 0
#define NR_write 1
#define NR_close 3
#define NR_writev 20
#define NR_dup2 33
#define NR_clone 56
#define NR_fork 57
#define NR_vfork 58
#define NR_fsync 74
#define NR_fdatasync 75
#define NR_sync_file_range 277
#define NR_dup3 292
#define NR_clone3 435

#define CLONE_VM_ 0x100
#define CLONE_THREAD_ 0x10000

#define S_IFMT_ 0170000
#define S_IFDIR_ 0040000
#define S_IFREG_ 0100000
#define S_IFSOCK_ 0140000
#define S_IFIFO_ 0010000

static __always_inline void sst_inc(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&stall_stats, &which);

	if (v)
		*v += 1;
}

static __always_inline void sys_start_put(__u32 tid, struct inflight *st)
{
	if (!bpf_map_update_elem(&sys_start, &tid, st, BPF_NOEXIST)) {
		__sync_fetch_and_add(&inflight_n, 1);
		return;
	}
	/* an entry whose end went unseen (its probe came off meanwhile):
	 * replaced, and not counted twice */
	if (bpf_map_update_elem(&sys_start, &tid, st, BPF_EXIST))
		sst_inc(SST_INFLIGHT_FULL);
}

static __always_inline int is_sync_nr(long id)
{
	return id == NR_fsync || id == NR_fdatasync || id == NR_sync_file_range;
}

static __always_inline int is_fork_nr(long id)
{
	return id == NR_clone || id == NR_fork || id == NR_vfork || id == NR_clone3;
}

static __always_inline void stall_hist_add(__u32 tgid, __u16 kind, __u8 role, __u8 fclass, __u64 ns)
{
	struct stall_key key = { .tgid = tgid, .kind = kind, .role = role, .fclass = fclass };
	__u32 zero = 0;

	if (hist_add_to(&stall_hists, &key, bpf_map_lookup_elem(&zero_hist, &zero), ns))
		sst_inc(SST_HIST_FULL);
}

static __always_inline struct stall_event *event_new(void)
{
	struct stall_event *e = bpf_ringbuf_reserve(&stall_events, sizeof(*e), 0);

	if (!e) {
		sst_inc(SST_LOST);
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	return e;
}

/* No wakeup of redlat: user space drains the ring every 10 ms anyway
 * (tracer_poll). With appendfsync always every fsync is an event, one an
 * iteration, and the wakeup runs in Redis's context: measured here (AOF on
 * tmpfs, SETs from one connection), 38-39 us of Redis CPU a SET with it,
 * 29 us without, 24 us untraced. */
static __always_inline void event_send(struct stall_event *e)
{
	sst_inc(SST_EVENTS);
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
}

/* The role of the current thread of instance tgid. */
static __always_inline __u8 thread_role(__u32 tgid, __u32 tid, int child)
{
	char c[16];

	if (child)
		return ROLE_CHILD;
	if (tid == tgid)
		return ROLE_MAIN;
	bpf_get_current_comm(c, sizeof(c));
	if (c[0] != 'b' || c[1] != 'i' || c[2] != 'o' || c[3] != '_')
		return ROLE_OTHER;
	if (c[4] == 'a' && c[5] == 'o' && c[6] == 'f')
		return ROLE_BIO_AOF;
	if (c[4] == 'c' && c[5] == 'l')
		return ROLE_BIO_CLOSE;
	if (c[4] == 'l' && c[5] == 'a')
		return ROLE_BIO_LAZY;
	return ROLE_OTHER;
}

/* Redis's default names: appendonly.aof (7.x: appendonlydir/appendonly.aof.N.
 * {base.rdb,incr.aof}, appendonly.aof.manifest), temp-rewriteaof-*.aof;
 * dump.rdb, temp-PID.rdb. ".manifest" makes it the manifest, else ".aof"
 * anywhere makes it AOF, else ".rdb" makes it RDB. */
static __always_inline __u8 name_class(const char *n)
{
	int i, aof = 0, rdb = 0;

	for (i = 0; i < FILE_NAME_LEN - 4; i++) {
		if (!n[i])
			break;
		if (n[i] != '.')
			continue;
		if (n[i + 1] == 'a' && n[i + 2] == 'o' && n[i + 3] == 'f')
			aof = 1;
		if (n[i + 1] == 'r' && n[i + 2] == 'd' && n[i + 3] == 'b')
			rdb = 1;
		if (n[i + 1] == 'm' && n[i + 2] == 'a' && n[i + 3] == 'n')
			return FC_MANIFEST;
	}
	return aof ? FC_AOF : rdb ? FC_RDB : FC_OTHER;
}

/* The current task's file at fd: its class, and its name into name (may
 * be NULL). */
static __always_inline __u8 fd_class(int fd, char *name)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds, *f = 0;
	char buf[FILE_NAME_LEN] = {};
	const unsigned char *dn;
	umode_t mode;

	if (!fdt || fd < 0 || (unsigned)fd >= BPF_CORE_READ(fdt, max_fds))
		return FC_UNKNOWN;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return FC_UNKNOWN;
	mode = BPF_CORE_READ(f, f_inode, i_mode);
	dn = BPF_CORE_READ(f, f_path.dentry, d_name.name);
	bpf_probe_read_kernel_str(buf, sizeof(buf), dn);
	if (name)
		__builtin_memcpy(name, buf, FILE_NAME_LEN);
	switch (mode & S_IFMT_) {
	case S_IFDIR_:
		return FC_DIR;
	case S_IFSOCK_:
		return FC_SOCKET;
	case S_IFIFO_:
		return FC_PIPE;
	case S_IFREG_:
		return name_class(buf);
	}
	return FC_OTHER;
}

/* Pages of the mm's counters: percpu_counter since 6.2 (the approximate
 * global count is enough here), atomic_long_t before. */
struct mm_rss_stat___old {
	atomic_long_t count[4];
} __attribute__((preserve_access_index));
struct mm_struct___old {
	struct mm_rss_stat___old rss_stat;
} __attribute__((preserve_access_index));

static __always_inline __u64 mm_rss_pages(struct mm_struct *mm)
{
	long file, anon, shmem;

	if (bpf_core_type_exists(struct mm_rss_stat___old)) {
		struct mm_struct___old *o = (void *)mm;

		file = BPF_CORE_READ(o, rss_stat.count[0].counter);
		anon = BPF_CORE_READ(o, rss_stat.count[1].counter);
		shmem = BPF_CORE_READ(o, rss_stat.count[3].counter);
	} else {
		file = BPF_CORE_READ(mm, rss_stat[0].count);	/* MM_FILEPAGES */
		anon = BPF_CORE_READ(mm, rss_stat[1].count);	/* MM_ANONPAGES */
		shmem = BPF_CORE_READ(mm, rss_stat[3].count);	/* MM_SHMEMPAGES */
	}
	return (file > 0 ? file : 0) + (anon > 0 ? anon : 0) + (shmem > 0 ? shmem : 0);
}

/* What a fork of instance in records as it begins: the parent's RSS and
 * page tables (before the copy) and the purpose redisFork's probe saw. */
static __always_inline void fork_begin(struct inst_state *in, __u32 tgid, struct inflight *st)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct mm_struct *mm = BPF_CORE_READ(task, mm);

	st->kind = SK_FORK;
	st->tgid = tgid;
	st->rss_bytes = mm_rss_pages(mm) * 4096;	/* x86-64 pages */
	if (bpf_core_field_exists(mm->pgtables_bytes))
		st->pgtable_bytes = BPF_CORE_READ(mm, pgtables_bytes.counter);
	st->klass = in->fork_purpose;
	if (st->klass == FORK_PURPOSE_RDB && in->repl)
		st->klass = FORK_PURPOSE_REPL;
	st->ts = bpf_ktime_get_ns();
}

static __always_inline void fork_enter(struct inst_state *in, __u32 tgid, __u32 tid,
				       unsigned long a0, long id)
{
	struct inflight st = {};
	__u64 flags = 0;

	if (tid != tgid)
		return;
	if (id == NR_clone) {
		flags = a0;
	} else if (id == NR_clone3) {
		bpf_probe_read_user(&flags, sizeof(flags), (void *)a0);	/* clone_args.flags */
	}
	if (flags & (CLONE_VM_ | CLONE_THREAD_))
		return;	/* a thread, or posix_spawn */
	fork_begin(in, tgid, &st);
	sys_start_put(tid, &st);
}

static __always_inline void sync_enter(__u32 tgid, __u32 tid, int child, struct inst_state *in,
				       long id, int fd)
{
	struct inflight st = { .tgid = tgid, .fd = fd };

	st.kind = id == NR_fsync ? SK_FSYNC : id == NR_fdatasync ? SK_FDATASYNC : SK_SYNC_FILE_RANGE;
	st.role = thread_role(tgid, tid, child);
	st.fclass = fd_class(fd, st.file);
	if (in && in->nchildren)
		st.flags |= EVF_CHILD_LIVE;
	if (in && st.role == ROLE_BIO_AOF && st.kind != SK_SYNC_FILE_RANGE) {
		__sync_fetch_and_add(&in->fsyncs_inflight, 1);
		st.klass = 1;	/* counted in fsyncs_inflight */
	}
	st.ts = bpf_ktime_get_ns();
	sys_start_put(tid, &st);
}

static __always_inline __u64 *fdclass_word(struct inst_state *in, int fd, __u32 *shift)
{
	__u32 idx;

	if (fd < 0 || fd >= FDCLASS_FDS || in->slot >= FDCLASS_INSTS)
		return 0;
	idx = in->slot * FDCLASS_FDS + fd;
	*shift = (idx % 16) * 4;
	idx /= 16;
	return bpf_map_lookup_elem(&fdclass, &idx);
}

/* A main-thread write: time it if it goes to the AOF. */
static __always_inline void aof_write_enter(struct inst_state *in, __u32 tgid, __u32 tid, int fd)
{
	struct inflight st = { .tgid = tgid, .fd = fd, .kind = SK_AOF_WRITE, .fclass = FC_AOF };
	__u32 shift = 0;
	__u64 *w = fdclass_word(in, fd, &shift), cls = 0;

	if (w)
		cls = (*w >> shift) & 0xf;
	if (!cls) {
		cls = fd_class(fd, 0);
		if (cls == FC_UNKNOWN)
			return;
		if (w)
			__sync_fetch_and_or(w, cls << shift);
	}
	if (cls != FC_AOF)
		return;
	fd_class(fd, st.file);
	st.klass = in->fsyncs_inflight ? AW_PENDING_FSYNC : in->nchildren ? AW_ACTIVE_CHILD : AW_ALONE;
	st.flags = EVF_MAIN | (in->nchildren ? EVF_CHILD_LIVE : 0);
	st.ts = bpf_ktime_get_ns();
	sys_start_put(tid, &st);
}

static __always_inline void fd_forget(struct inst_state *in, int fd)
{
	__u32 shift = 0;
	__u64 *w = fdclass_word(in, fd, &shift);

	if (w)
		__sync_fetch_and_and(w, ~(0xfULL << shift));
}

/* sys_enter of a syscall of a target (in) or of one of its children; a0
 * and a1 are its first two arguments. */
static __always_inline void stalls_sys_enter(struct inst_state *in, __u32 tgid, __u32 tid,
					     int child, unsigned long a0, unsigned long a1, long id)
{
	int fd = (int)a0;

	if (is_sync_nr(id)) {
		sync_enter(tgid, tid, child, in, id, fd);
		return;
	}
	if (child || !in)
		return;
	if (id == NR_write || id == NR_writev) {
		if (tid == tgid)
			aof_write_enter(in, tgid, tid, fd);
	} else if (id == NR_close) {
		fd_forget(in, fd);
	} else if (id == NR_dup2 || id == NR_dup3) {
		fd_forget(in, (int)a1);
	} else if (is_fork_nr(id)) {
		fork_enter(in, tgid, tid, a0, id);
	}
}

static __always_inline void stalls_sys_exit(__u32 tid, long ret)
{
	struct inflight *st = bpf_map_lookup_elem(&sys_start, &tid);
	struct stall_event *e;
	struct inst_state *in;
	__u64 now, dur;
	__u32 tgid, flags;

	if (!st)
		return;
	now = bpf_ktime_get_ns();
	dur = now - st->ts;
	tgid = st->tgid;
	flags = st->flags;
	in = bpf_map_lookup_elem(&targets, &tgid);
	if (st->kind == SK_AOF_WRITE) {
		/* waited behind a background fsync: one was in flight when the
		 * write began, and ended while the write was still blocked */
		if (st->klass == AW_PENDING_FSYNC && in && in->last_fsync_end >= st->ts)
			flags |= EVF_BLOCKED;
		stall_hist_add(tgid, SK_AOF_WRITE, st->klass, FC_AOF, dur);
		if (dur < event_min_ns && !(flags & EVF_BLOCKED))
			goto out;
	} else if (st->kind == SK_FORK) {
		if (in && in->libc_fork && in->fork_entry_ts) {
			struct fork_wait w = { .st = *st, .sys_ns = dur, .ret = ret };

			if (bpf_map_update_elem(&fork_waits, &tgid, &w, BPF_ANY))
				sst_inc(SST_INFLIGHT_FULL);
			goto out;
		}
	} else {
		if (st->klass && in) {
			__sync_fetch_and_add(&in->fsyncs_inflight, -1);
			in->last_fsync_end = now;
		}
		stall_hist_add(tgid, st->kind, st->role, st->fclass, dur);
	}
	e = event_new();
	if (!e)
		goto out;
	e->ts_ns = st->ts;
	e->dur_ns = dur;
	e->tgid = tgid;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->tid = tid;
	e->kind = st->kind;
	e->role = st->role;
	e->fclass = st->fclass;
	e->fd = st->fd;
	e->flags = flags;
	e->klass = st->kind == SK_FORK || st->kind == SK_AOF_WRITE ? st->klass : 0;
	e->ret = (__s32)ret;
	e->rss_bytes = st->rss_bytes;
	e->pgtable_bytes = st->pgtable_bytes;
	if (st->kind == SK_FORK) {
		e->child = ret > 0 ? ret : 0;
		e->sys_ns = dur;
	}
	__builtin_memcpy(e->file, st->file, FILE_NAME_LEN);
	event_send(e);
out:
	if (!bpf_map_delete_elem(&sys_start, &tid))
		__sync_fetch_and_add(&inflight_n, -1);
}

/* Forks whose parent is between glibc's fork() return and its next switch. */
__u32 fork_watch = 0;

/* How soon after the return probe a preemption still belongs to the fork:
 * the trap's way back to user space takes a few microseconds. */
#define FORK_PREEMPT_NS 100000

/* Called from the sched_switch program (commands.bpf.c) for every switch. */
static __always_inline void fork_sched_switch(bool preempt, __u32 ppid, __u32 npid)
{
	struct inst_state *in;
	struct stall_event *e;
	__u32 pid;
	__u64 now;

	if (!fork_watch)
		return;
	now = bpf_ktime_get_ns();
	pid = ppid;
	in = bpf_map_lookup_elem(&targets, &pid);	/* a main thread: pid == tgid */
	if (in && in->fork_end_ts) {
		if (preempt && now - in->fork_end_ts < FORK_PREEMPT_NS) {
			in->fork_preempt_ts = now;
		} else {
			__sync_fetch_and_add(&fork_watch, -1);
		}
		in->fork_end_ts = 0;
	}
	pid = npid;
	in = bpf_map_lookup_elem(&targets, &pid);
	if (!in || !in->fork_preempt_ts)
		return;
	e = event_new();
	if (e) {
		e->kind = SK_FORK;
		e->flags = EVF_FORK_WAIT;
		e->ts_ns = in->fork_preempt_ts;
		e->dur_ns = now - in->fork_preempt_ts;
		e->tgid = pid;
		e->pid = pid;
		e->tid = pid;
		e->child = in->fork_child;
		event_send(e);
	}
	in->fork_preempt_ts = 0;
	__sync_fetch_and_add(&fork_watch, -1);
}

/* glibc's fork() entered on the main thread of instance tgid, no clone
 * tracepoint to time the syscall (fork_tp 0): what fork_enter records at
 * the clone's entry is recorded here, and sched_process_fork marks the end
 * of the kernel's copy (the syscall's part, less its return to user
 * space). */
static __always_inline void fork_wait_begin(struct inst_state *in, __u32 tgid)
{
	struct fork_wait w = {};

	fork_begin(in, tgid, &w.st);
	if (bpf_map_update_elem(&fork_waits, &tgid, &w, BPF_ANY))
		sst_inc(SST_INFLIGHT_FULL);
}

/* ---- fork children ---- */

SEC("raw_tp/sched_process_fork")
int BPF_PROG(proc_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid), cpid = BPF_CORE_READ(child, pid);
	struct child_state cs = {};
	struct inst_state *in;

	if (cpid != BPF_CORE_READ(child, tgid))
		return 0;	/* a thread */
	in = bpf_map_lookup_elem(&targets, &ptgid);
	if (!in)
		return 0;
	cs.parent = ptgid;
	cs.purpose = in->fork_purpose == FORK_PURPOSE_RDB && in->repl ? FORK_PURPOSE_REPL : in->fork_purpose;
	cs.fork_ts = bpf_ktime_get_ns();
	cs.faults0 = in->faults;
	cs.cow_faults0 = in->cow_faults;
	if (bpf_map_update_elem(&children, &cpid, &cs, BPF_ANY)) {
		sst_inc(SST_CHILDREN_FULL);
		return 0;
	}
	if (!fork_tp) {
		/* in the parent, as its fork() copied it: the kernel's part ends */
		struct fork_wait *w = bpf_map_lookup_elem(&fork_waits, &ptgid);

		if (w && !w->sys_ns && BPF_CORE_READ(parent, pid) == ptgid) {
			w->sys_ns = cs.fork_ts - w->st.ts;
			w->ret = cpid;
		}
	}
	__sync_fetch_and_add(&children_live, 1);
	__sync_fetch_and_add(&in->nchildren, 1);
	__sync_fetch_and_or(&tgid_mask, 1ULL << (cpid & 63));
	hook_inc(in->slot, HOOK_EV_FORK);
	return 0;
}

static __always_inline void cycles_forget(__u32 tid);	/* causes.bpf.h */

/* A thread of a target or of a fork child ends: what it had in flight ends
 * with it. A killed Redis leaves its syscalls unfinished: an entry left in
 * sys_start would keep inflight_n above 0, and every syscall exit on the
 * host looking it up, for the rest of the run. */
static __always_inline void thread_exit(__u32 tid)
{
	struct fn_key fk = { .tid = tid, .kind = SK_RDB_SAVE };

	if (!bpf_map_delete_elem(&sys_start, &tid))
		__sync_fetch_and_add(&inflight_n, -1);
	bpf_map_delete_elem(&fn_start, &fk);
	fk.kind = SK_AOF_REWRITE;
	bpf_map_delete_elem(&fn_start, &fk);
	bpf_map_delete_elem(&read_fd, &tid);
	bpf_map_delete_elem(&skip_start, &tid);
	cycles_forget(tid);
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(proc_exit, struct task_struct *task)
{
	__u32 pid = BPF_CORE_READ(task, pid), tgid = BPF_CORE_READ(task, tgid);
	struct child_state *cs;
	struct stall_event *e;
	struct inst_state *in;
	__u32 parent;

	/* targets and their children have their bit in the mask */
	if (!((tgid_mask >> (tgid & 63)) & 1))
		return 0;
	thread_exit(pid);
	if (pid != tgid)
		return 0;
	cs = bpf_map_lookup_elem(&children, &pid);
	if (!cs)
		return 0;
	parent = cs->parent;
	in = bpf_map_lookup_elem(&targets, &parent);
	e = event_new();
	if (e) {
		e->kind = SK_CHILD_EXIT;
		e->ts_ns = cs->fork_ts;
		e->dur_ns = bpf_ktime_get_ns() - cs->fork_ts;
		e->tgid = parent;
		e->pid = pid;
		e->tid = pid;
		e->role = ROLE_CHILD;
		e->klass = cs->purpose;
		e->ret = BPF_CORE_READ(task, exit_code);
		if (in) {
			e->faults = in->faults - cs->faults0;
			e->cow_faults = in->cow_faults - cs->cow_faults0;
		}
		event_send(e);
	}
	if (!bpf_map_delete_elem(&children, &pid))
		__sync_fetch_and_add(&children_live, -1);
	if (in)
		__sync_fetch_and_add(&in->nchildren, -1);
	return 0;
}

/* error_code bits: 1 protection fault (page present), 2 write */
SEC("raw_tp/page_fault_user")
int BPF_PROG(page_fault, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	struct inst_state *in;
	__u32 tgid;

	/* every user page fault on the host comes here: no child, nothing
	 * to count; then the mask before the lookup */
	if (!children_live)
		return 0;
	tgid = bpf_get_current_pid_tgid() >> 32;
	if (!((tgid_mask >> (tgid & 63)) & 1))
		return 0;
	in = bpf_map_lookup_elem(&targets, &tgid);
	if (!in || !in->nchildren)
		return 0;
	__sync_fetch_and_add(&in->faults, 1);
	if ((error_code & 3) == 3)
		__sync_fetch_and_add(&in->cow_faults, 1);
	return 0;
}

/* ---- rare-event uprobes ---- */

/* The fork event of instance tgid, dur long, ending now. */
static __always_inline void fork_emit(__u32 tgid, struct fork_wait *w, __u64 now, __u64 dur)
{
	struct stall_event *e = event_new();

	if (e) {
		e->kind = SK_FORK;
		e->ts_ns = now - dur;
		e->dur_ns = dur;
		e->sys_ns = w->sys_ns;
		e->tgid = tgid;
		e->pid = tgid;
		e->tid = tgid;
		e->klass = w->st.klass;
		e->ret = (__s32)w->ret;
		e->child = w->ret > 0 ? w->ret : 0;
		e->rss_bytes = w->st.rss_bytes;
		e->pgtable_bytes = w->st.pgtable_bytes;
		event_send(e);
	}
	bpf_map_delete_elem(&fork_waits, &tgid);
}

SEC("uprobe")
int BPF_KPROBE(fork_entry, int purpose)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct inst_state *in = bpf_map_lookup_elem(&targets, &tgid);

	if (!in)
		return 0;
	hook_inc(in->slot, HOOK_FORK);
	in->fork_purpose = purpose > 0 ? purpose : FORK_PURPOSE_UNKNOWN;
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(fork_return)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct inst_state *in = bpf_map_lookup_elem(&targets, &tgid);

	struct fork_wait *w;
	__u64 now, dur;

	if (!in)
		return 0;
	in->fork_purpose = 0;
	/* Redis reads its clock right after fork() returns and returns soon
	 * after: ending here takes in what Redis's latest_fork_usec takes in
	 * after glibc's return (a preemption by the child, a stolen vCPU) */
	w = bpf_map_lookup_elem(&fork_waits, &tgid);
	if (!w || !w->start)
		return 0;
	now = bpf_ktime_get_ns();
	dur = now - w->start;
	dur = dur > pair_bias_ns + w->sys_ns ? dur - pair_bias_ns : w->sys_ns;
	fork_emit(tgid, w, now, dur);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(repl_entry)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct inst_state *in = bpf_map_lookup_elem(&targets, &tgid);

	if (!in)
		return 0;
	hook_inc(in->slot, HOOK_REPL);
	in->repl = 1;
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(repl_return)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct inst_state *in = bpf_map_lookup_elem(&targets, &tgid);

	if (in)
		in->repl = 0;
	return 0;
}

/* glibc's fork(), on the instance's pid: the span latest_fork_usec times. */
SEC("uprobe")
int BPF_KPROBE(libc_fork_entry)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	struct inst_state *in = bpf_map_lookup_elem(&targets, &tgid);

	if (!in || (__u32)pid_tgid != tgid)
		return 0;
	if (!fork_tp)
		fork_wait_begin(in, tgid);
	in->fork_entry_ts = bpf_ktime_get_ns();
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(libc_fork_return, long ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid(), now = bpf_ktime_get_ns(), dur;
	__u32 tgid = pid_tgid >> 32;
	struct inst_state *in = bpf_map_lookup_elem(&targets, &tgid);
	struct fork_wait *w;

	if (!in || (__u32)pid_tgid != tgid || !in->fork_entry_ts)
		return 0;
	w = bpf_map_lookup_elem(&fork_waits, &tgid);
	if (!w) {
		in->fork_entry_ts = 0;
		return 0;
	}
	if (!fork_tp) {
		/* no clone exit seen: the return value is glibc's, and a
		 * failed fork has no kernel part measured */
		w->ret = ret;
		if (!w->sys_ns)
			w->sys_ns = now - w->st.ts;
	}
	if (in->fork_purpose) {
		/* inside redisFork, probed: its return ends the event */
		w->start = in->fork_entry_ts;
		in->fork_entry_ts = 0;
		return 0;
	}
	dur = now - in->fork_entry_ts;
	in->fork_entry_ts = 0;
	/* the pair's own cost lands inside the span: take it out */
	dur = dur > pair_bias_ns + w->sys_ns ? dur - pair_bias_ns : w->sys_ns;
	/* the return probe's trap is one more place where the child, woken
	 * by the fork, can preempt the parent before Redis reads its clock:
	 * sched_switch adds that wait (EVF_FORK_WAIT) */
	in->fork_end_ts = now;
	in->fork_child = w->ret > 0 ? w->ret : 0;
	__sync_fetch_and_add(&fork_watch, 1);
	fork_emit(tgid, w, now, dur);
	return 0;
}

/* The instance a process belongs to: itself, or its parent for a child. */
static __always_inline int owner(__u32 tgid, __u32 *inst, int *child)
{
	struct child_state *cs;

	if (bpf_map_lookup_elem(&targets, &tgid)) {
		*inst = tgid;
		*child = 0;
		return 1;
	}
	cs = bpf_map_lookup_elem(&children, &tgid);
	if (!cs)
		return 0;
	*inst = cs->parent;
	*child = 1;
	return 1;
}

/* fsync, fdatasync, sync_file_range through the binary's PLT stubs (cookie:
 * the syscall number): on every process of the binary, as their callers
 * run in fork children too (sync_tp 0). The span is the call, PLT to
 * return, so it holds the two traps' return paths (microseconds) besides
 * the syscall. */
SEC("uprobe")
int BPF_KPROBE(sync_entry, int fd)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32, inst;
	int child;

	if (sync_tp || !((tgid_mask >> (tgid & 63)) & 1) || !owner(tgid, &inst, &child))
		return 0;
	sync_enter(inst, (__u32)pid_tgid, child, bpf_map_lookup_elem(&targets, &inst),
		   (long)bpf_get_attach_cookie(ctx), fd);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(sync_return, long ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	if (sync_tp || !((tgid_mask >> ((pid_tgid >> 32) & 63)) & 1))
		return 0;
	stalls_sys_exit((__u32)pid_tgid, ret);
	return 0;
}

/* A hit of a hook that runs in instance inst or its children. */
static __always_inline void hook_inc_inst(__u32 inst, __u32 which)
{
	struct inst_state *in = bpf_map_lookup_elem(&targets, &inst);

	if (in)
		hook_inc(in->slot, which);
}

/* Entry of rdbSave / rewriteAppendOnlyFile (cookie: the SK_* kind). These
 * probes are on every process of the binary, since the work runs in fork
 * children: the maps say whose it is. */
SEC("uprobe")
int BPF_KPROBE(persist_entry)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid(), ts;
	struct fn_key k = { .tid = (__u32)pid_tgid, .kind = (__u32)bpf_get_attach_cookie(ctx) };
	__u32 inst;
	int child;

	if (!owner(pid_tgid >> 32, &inst, &child))
		return 0;
	hook_inc_inst(inst, k.kind == SK_RDB_SAVE ? HOOK_RDBSAVE : HOOK_AOFRW);
	ts = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&fn_start, &k, &ts, BPF_ANY))
		sst_inc(SST_INFLIGHT_FULL);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(persist_return, long ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid(), *ts;
	struct fn_key k = { .tid = (__u32)pid_tgid, .kind = (__u32)bpf_get_attach_cookie(ctx) };
	struct stall_event *e;
	__u32 inst, tgid = pid_tgid >> 32;
	int child;
	__u8 role;

	ts = bpf_map_lookup_elem(&fn_start, &k);
	if (!ts)
		return 0;
	if (!owner(tgid, &inst, &child))
		goto out;
	role = thread_role(tgid, k.tid, child);
	stall_hist_add(inst, k.kind, role, 0, bpf_ktime_get_ns() - *ts);
	e = event_new();
	if (!e)
		goto out;
	e->kind = k.kind;
	e->ts_ns = *ts;
	e->dur_ns = bpf_ktime_get_ns() - *ts;
	e->tgid = inst;
	e->pid = tgid;
	e->tid = k.tid;
	e->role = role;
	e->ret = (__s32)ret;
	e->flags = role == ROLE_MAIN ? EVF_MAIN : 0;
	event_send(e);
out:
	bpf_map_delete_elem(&fn_start, &k);
	return 0;
}

/* zmalloc_get_private_dirty(-1) in a child: the copy-on-write bytes it
 * sends to its parent (the last one becomes rdb_last_cow_size). */
SEC("uretprobe")
int BPF_KRETPROBE(cow_return, long bytes)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct child_state *cs = bpf_map_lookup_elem(&children, &tgid);
	struct stall_event *e;

	if (!cs)
		return 0;
	hook_inc_inst(cs->parent, HOOK_COW);
	e = event_new();
	if (!e)
		return 0;
	e->kind = SK_COW;
	e->ts_ns = bpf_ktime_get_ns();
	e->tgid = cs->parent;
	e->pid = tgid;
	e->tid = tgid;
	e->role = ROLE_CHILD;
	e->child = bytes > 0 ? bytes : 0;
	event_send(e);
	return 0;
}

#endif
