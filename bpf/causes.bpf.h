/* SPDX-License-Identifier: GPL-2.0 */
/* Why the main thread was slow (included by commands.bpf.c after
 * stalls.bpf.h): where its time went between one epoll_wait() and the
 * next (an event-loop iteration), from scheduler tracepoints.
 *
 * - sched_switch: the main thread going off CPU (preempted while runnable,
 *   sleeping, or uninterruptible) and coming back; the task that ran just
 *   before it came back is who had the CPU while it waited.
 * - sched_wakeup: when it became runnable again, splitting an off-CPU
 *   period into sleeping/blocked and run-queue wait.
 * - epoll_wait enter/exit (the syscall programs): iteration boundaries.
 *   Off-CPU time inside epoll_wait is idle, not a stall.
 * - the task's min_flt/maj_flt counters, read at both ends, give the
 *   iteration's page faults (their time is not measurable without
 *   kprobes: a major fault shows as blocked time). */
#ifndef REDLAT_CAUSES_BPF_H
#define REDLAT_CAUSES_BPF_H

#define NR_epoll_wait 232
#define NR_epoll_pwait 281
#define NR_epoll_pwait2 441


struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_INSTS);
	__type(key, __u32);	/* tgid (the main thread's pid) */
	__type(value, struct loop_state);
} loops SEC(".maps");


/* Who had the CPU while a main thread waited for it, and for how long. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct thief_key);
	__type(value, __u64);
} thieves SEC(".maps");

static __always_inline int is_poll_nr(long id)
{
	return id == NR_epoll_wait || id == NR_epoll_pwait || id == NR_epoll_pwait2;
}

/* The main thread of instance tgid enters epoll_wait: the iteration ends. */
static __always_inline void loop_poll_enter(__u32 tgid)
{
	struct loop_state *ls = bpf_map_lookup_elem(&loops, &tgid);
	struct task_struct *task;
	struct stall_event *e;
	struct inst_state *in;
	__u64 now, busy, off;

	if (!ls)
		return;
	ls->in_poll = 1;
	if (!ls->it_start || ls->it_gen != tp_gen)
		return;	/* begun before the tracepoints last came on */
	now = bpf_ktime_get_ns();
	busy = now - ls->it_start;
	ls->it_start = 0;
	stall_hist_add(tgid, SK_LOOP, 0, 0, busy);
	if (busy < event_min_ns)
		return;
	in = bpf_map_lookup_elem(&targets, &tgid);
	if (!in)
		return;	/* going: user space deletes targets first, then loops */
	e = event_new();
	if (!e)
		return;
	task = (void *)bpf_get_current_task();
	off = ls->runq_ns + ls->sleep_ns + ls->block_ns;
	e->kind = SK_LOOP;
	e->ts_ns = now - busy;
	e->dur_ns = busy;
	e->tgid = tgid;
	e->pid = tgid;
	e->tid = tgid;
	e->role = ROLE_MAIN;
	e->runq_ns = ls->runq_ns;
	e->sleep_ns = ls->sleep_ns;
	e->block_ns = ls->block_ns;
	e->oncpu_ns = busy > off ? busy - off : 0;
	e->minflt = BPF_CORE_READ(task, min_flt) - ls->minflt0;
	e->majflt = BPF_CORE_READ(task, maj_flt) - ls->majflt0;
	e->flags = EVF_MAIN | (in->nchildren ? EVF_CHILD_LIVE : 0) |
		   (in->fsyncs_inflight ? EVF_FSYNC_LIVE : 0);
	e->other_pid = ls->thief_pid;
	__builtin_memcpy(e->other_comm, ls->thief_comm, sizeof(e->other_comm));
	event_send(e);
}

/* epoll_wait returned on the main thread: an iteration begins. btf: the
 * caller is a tp_btf program, which loads task fields directly (a
 * bpf_probe_read_kernel() call each otherwise). */
static __always_inline void loop_poll_exit(__u32 tgid, const int btf)
{
	struct loop_state *ls = bpf_map_lookup_elem(&loops, &tgid);

	if (!ls)
		return;
	ls->in_poll = 0;
	ls->it_start = bpf_ktime_get_ns();
	ls->it_gen = tp_gen;
	ls->runq_ns = ls->sleep_ns = ls->block_ns = ls->thief_ns = 0;
	ls->thief_pid = 0;
	if (btf) {
		struct task_struct *task = bpf_get_current_task_btf();

		ls->minflt0 = task->min_flt;
		ls->majflt0 = task->maj_flt;
	} else {
		struct task_struct *task = (void *)bpf_get_current_task();

		ls->minflt0 = BPF_CORE_READ(task, min_flt);
		ls->majflt0 = BPF_CORE_READ(task, maj_flt);
	}
}

/* task_struct's state field: __state since 5.14, state before */
struct task_struct___old {
	long state;
} __attribute__((preserve_access_index));

static __always_inline unsigned int task_state(struct task_struct *t, const int btf)
{
	if (btf) {
		if (bpf_core_field_exists(t->__state))
			return t->__state;
		return (unsigned int)((struct task_struct___old *)t)->state;
	}
	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return (unsigned int)BPF_CORE_READ((struct task_struct___old *)t, state);
}

/* The comm of t into c (16 bytes, zeroed by the caller). */
static __always_inline void task_comm(struct task_struct *t, char *c, const int btf)
{
	int i, end = 0;

	if (!btf) {
		BPF_CORE_READ_STR_INTO((char (*)[16])c, t, comm);
		return;
	}
	/* two loads; the bytes past the NUL are cleared, as the string read
	 * leaves them (comm is a key of the thieves map) */
	__builtin_memcpy(c, t->comm, 16);
	for (i = 0; i < 16; i++) {
		end |= !c[i];
		if (end)
			c[i] = 0;
	}
	c[15] = 0;
}

static __always_inline void loop_switch_out(struct loop_state *ls, struct task_struct *prev, __u64 now,
					    const int btf)
{
	unsigned int st = task_state(prev, btf);

	/* Idle or not: whether it leaves inside epoll_wait. The syscall it is
	 * in is its user registers' orig_ax, so this holds while the syscall
	 * tracepoints are off (sampled mode, between windows) as well. Only
	 * tp_btf has the helper; the raw_tp twin keeps them on all the time
	 * and goes by loop_poll_enter/exit. */
	if (btf) {
		struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(prev);

		if (regs)
			ls->in_poll = is_poll_nr(regs->orig_ax);
	}

	ls->off_ts = now;
	if (st == 0) {		/* TASK_RUNNING: preempted */
		ls->off_how = OFF_RUNNABLE;
		ls->wake_ts = now;
	} else {
		ls->off_how = st & 2 ? OFF_BLOCKED : OFF_SLEEP;
		ls->wake_ts = 0;
	}
}

/* A run-queue wait or an off-CPU period of the threshold or more: an event
 * of its own, so that it can be dated and, for a wait, the task that had
 * the CPU named. Rare by construction (the threshold is milliseconds). */
static __always_inline void loop_off_event(__u32 tgid, struct task_struct *next, __u16 kind, __u32 klass,
					   __u64 ts, __u64 dur, const struct thief_key *tk)
{
	struct stall_event *e = event_new();

	if (!e)
		return;
	e->kind = kind;
	e->klass = klass;
	e->ts_ns = ts;
	e->dur_ns = dur;
	e->tgid = tgid;
	e->pid = tgid;
	e->tid = tgid;
	e->role = ROLE_MAIN;
	e->flags = EVF_MAIN;
	/* sched_switch runs as the task leaving the CPU: the comm is next's */
	BPF_CORE_READ_STR_INTO(&e->comm, next, comm);
	if (tk && tk->pid) {
		e->other_pid = tk->pid;
		__builtin_memcpy(e->other_comm, tk->comm, sizeof(e->other_comm));
	}
	event_send(e);
}

static __always_inline void loop_switch_in(struct loop_state *ls, __u32 tgid, struct task_struct *prev,
					   __u32 ppid, struct task_struct *next, __u64 now, const int btf)
{
	__u64 runq = 0, slept = 0;

	if (!ls->off_ts)
		return;
	if (ls->wake_ts && ls->wake_ts >= ls->off_ts) {
		runq = now - ls->wake_ts;
		slept = ls->wake_ts - ls->off_ts;
	} else if (ls->off_how != OFF_RUNNABLE) {
		slept = now - ls->off_ts;	/* the wakeup was not seen */
	}
	if (runq) {
		struct thief_key tk = { .tgid = tgid };
		__u64 *v, zero = 0;

		/* role: 1 when preempted (an involuntary switch) */
		stall_hist_add(tgid, SK_RUNQ, ls->off_how == OFF_RUNNABLE, 0, runq);
		tk.pid = ppid;
		if (tk.pid) {	/* not the idle task */
			task_comm(prev, tk.comm, btf);
			v = lookup_or_init(&thieves, &tk, &zero);
			if (v)
				__sync_fetch_and_add(v, runq);
			else
				sst_inc(SST_THIEVES_FULL);
		}
		if (!ls->in_poll && runq > ls->thief_ns) {
			ls->thief_ns = runq;
			ls->thief_pid = tk.pid;
			__builtin_memcpy(ls->thief_comm, tk.comm, sizeof(tk.comm));
		}
		/* klass: 1 when preempted, as the histogram's role */
		if (runq >= event_min_ns)
			loop_off_event(tgid, next, SK_RUNQ, ls->off_how == OFF_RUNNABLE, ls->wake_ts, runq, &tk);
	}
	if (!ls->in_poll) {
		ls->runq_ns += runq;
		if (slept) {
			if (slept >= event_min_ns)	/* klass: OFF_SLEEP or OFF_BLOCKED */
				loop_off_event(tgid, next, SK_OFFCPU, ls->off_how, ls->off_ts, slept, 0);
			if (ls->off_how == OFF_BLOCKED) {
				ls->block_ns += slept;
				stall_hist_add(tgid, SK_OFFCPU, OFF_BLOCKED, 0, slept);
			} else {
				ls->sleep_ns += slept;
				stall_hist_add(tgid, SK_OFFCPU, OFF_SLEEP, 0, slept);
			}
		}
	}
	ls->off_ts = 0;
}

/* Called from the sched_switch programs (commands.bpf.c) for every switch. */
static __always_inline void loop_sched_switch(struct task_struct *prev, struct task_struct *next,
					      __u32 ppid, __u32 npid, const int btf)
{
	struct loop_state *ls;
	int pout, nin;
	__u64 now;

	if (!loop_on)
		return;
	pout = (tgid_mask >> (ppid & 63)) & 1;
	nin = (tgid_mask >> (npid & 63)) & 1;
	if (!pout && !nin)
		return;
	/* a main thread's switch has one side in the mask, the other
	 * (usually) not: no lookup for that side */
	now = bpf_ktime_get_ns();
	if (pout) {
		ls = bpf_map_lookup_elem(&loops, &ppid);
		if (ls)
			loop_switch_out(ls, prev, now, btf);
	}
	if (nin) {
		ls = bpf_map_lookup_elem(&loops, &npid);
		if (ls)
			loop_switch_in(ls, npid, prev, ppid, next, now, btf);
	}
}

/* Redis's internal cycles: a begin probe (cookie: the cycle, and
 * CYCLE_COOKIE_RET when the end is a return probe) and an end probe, less
 * the calibrated bias of the pair:
 * - expire-cycle: the call instruction of activeExpireCycle and the one it
 *   returns to; the slow cycle's sites (databasesCron) all run long, the
 *   fast cycle's (beforeSleep) run every iteration and go on only with the
 *   command probes;
 * - active-defrag-cycle: activeDefragCycle's entry and return;
 * - eviction-cycle: performEvictions' entry and return, with the command
 *   probes (Redis calls it before every command once maxmemory is set). A
 *   call counts only if it deleted a key, as Redis's own eviction-cycle:
 * - eviction-del: the call of the delete inside performEvictions and its
 *   return point; each one also marks its eviction-cycle, whose span then
 *   loses the cost of the two traps inside it. */
struct cycle_key {
	__u32 tid;
	__u32 cycle;
};

struct cycle_begun {
	__u64 ts;
	__u64 runq0;	/* the iteration's run-queue wait so far */
	__u64 dels;	/* eviction-cycle: keys deleted inside it so far */
};

/* What one uprobe hit costs here (user/calib.c): an eviction-del pair
 * inside an eviction-cycle adds two to its span. */
__u64 trap_ns = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct cycle_key);
	__type(value, struct cycle_begun);
} cycle_start SEC(".maps");

/* A main thread ends: its cycles' entries go with it. */
static __always_inline void cycles_forget(__u32 tid)
{
	struct cycle_key k = { .tid = tid };
	__u32 c;

	for (c = 0; c < CYCLE_MAX; c++) {
		k.cycle = c;
		bpf_map_delete_elem(&cycle_start, &k);
	}
}

/* A windowed cycle probe outside a window (warming up, coming off): its
 * cost counts; a cycle it begins is not recorded, one it ends is if it
 * began inside the window. 1 when the probe must stop here. */
/* Set while the window probes are attached and past their warm-up. Unlike
 * `enabled`, it stays set while user space reads the maps between two
 * windows that stay attached: a cycle is no command slowed by that
 * reading, and one of 100 ms beginning then would be lost. */
__u32 cycles_on = 0;

static __always_inline int cycle_late(struct cycle_key *k, int end)
{
	if (!CYCLE_WINDOWED(k->cycle))
		return 0;
	if (!cycles_on) {
		struct cycle_begun *b;

		stat_inc(STAT_LATE_HITS);
		/* A cycle that began in the window is kept, though the window
		 * closed before it ended: an eviction of 100 ms would otherwise
		 * be lost whenever it overlaps a window's end. */
		if (end)
			return 0;
		b = bpf_map_lookup_elem(&cycle_start, k);
		if (b)
			b->ts = 0;
		return 1;
	}
	stat_inc(STAT_CYCLE_HITS);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(cycle_begin)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct cycle_key k = { .tid = (__u32)pid_tgid, .cycle = (__u32)bpf_get_attach_cookie(ctx) & 0xff };
	struct cycle_begun b = { .ts = bpf_ktime_get_ns() }, *bp;
	__u32 tgid = pid_tgid >> 32;
	struct loop_state *ls;

	if ((__u32)pid_tgid != tgid)
		return 0;	/* the main thread's cycles only */
	if (cycle_late(&k, 0))
		return 0;
	ls = bpf_map_lookup_elem(&loops, &tgid);
	if (ls)
		b.runq0 = ls->runq_ns;
	/* The fast expire cycle runs every iteration: its entry is written
	 * in place (ts 0 when no cycle is open), not created and deleted
	 * each time; thread_exit removes it. */
	bp = bpf_map_lookup_elem(&cycle_start, &k);
	if (bp)
		*bp = b;
	else if (bpf_map_update_elem(&cycle_start, &k, &b, BPF_ANY))
		sst_inc(SST_INFLIGHT_FULL);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(cycle_end)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid(), now = bpf_ktime_get_ns(), dur, runq = 0, dels;
	__u64 cookie = bpf_get_attach_cookie(ctx), bias;
	struct cycle_key k = { .tid = (__u32)pid_tgid, .cycle = (__u32)cookie & 0xff };
	struct cycle_key ek = { .tid = k.tid, .cycle = CYCLE_EVICT };
	__u32 tgid = pid_tgid >> 32;
	struct cycle_begun *b, *eb;
	struct stall_event *e;
	struct loop_state *ls;

	if ((__u32)pid_tgid != tgid || cycle_late(&k, 1))
		return 0;
	b = bpf_map_lookup_elem(&cycle_start, &k);
	if (!b || !b->ts)
		return 0;
	dur = now - b->ts;
	dels = b->dels;
	/* the waits for a CPU inside the cycle: a cycle long only for them
	 * did no more work than a short one */
	ls = bpf_map_lookup_elem(&loops, &tgid);
	if (ls && ls->runq_ns >= b->runq0)
		runq = ls->runq_ns - b->runq0;
	b->ts = 0;
	if (k.cycle == CYCLE_EVICT) {
		if (!dels)
			return 0;	/* under maxmemory: nothing evicted */
		dur = dur > 2 * dels * trap_ns ? dur - 2 * dels * trap_ns : 0;
	} else if (k.cycle == CYCLE_EVICT_DEL) {
		eb = bpf_map_lookup_elem(&cycle_start, &ek);
		if (eb && eb->ts)
			eb->dels++;
	}
	/* an entry/return pair adds its calibrated bias; a pair of call-site
	 * probes about one hit (what follows the first trap, what precedes
	 * the clock read in the second) */
	bias = cookie & CYCLE_COOKIE_RET ? pair_bias_ns : trap_ns;
	dur = dur > bias ? dur - bias : 0;
	stall_hist_add(tgid, SK_CYCLE, k.cycle, 0, dur);
	if (dur < event_min_ns)
		return 0;
	e = event_new();
	if (!e)
		return 0;
	e->kind = SK_CYCLE;
	e->klass = k.cycle;
	e->ts_ns = now - dur;
	e->dur_ns = dur;
	e->runq_ns = runq < dur ? runq : dur;
	e->oncpu_ns = dur - e->runq_ns;
	e->child = dels;
	e->tgid = tgid;
	e->pid = tgid;
	e->tid = k.tid;
	e->role = ROLE_MAIN;
	e->flags = EVF_MAIN;
	event_send(e);
	return 0;
}

/* Called from the sched_wakeup programs (commands.bpf.c). */
static __always_inline void loop_wakeup(__u32 pid)
{
	struct loop_state *ls;

	if (!((tgid_mask >> (pid & 63)) & 1))
		return;
	ls = bpf_map_lookup_elem(&loops, &pid);
	if (ls && ls->off_ts && !ls->wake_ts)
		ls->wake_ts = bpf_ktime_get_ns();
}

#endif
