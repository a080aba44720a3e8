// SPDX-License-Identifier: GPL-2.0
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include "commands.skel.h"
#include "names.h"
#include "procs.h"
#include "stalls_user.h"
#include "tracer.h"
#include "ulink.h"
#include "util.h"

#define MAX_TARGETS_DETACH 256

static int tps_update(struct tracer *t, char *err, size_t errlen);

/* Tests only: REDLAT_TEST_MAX_ENTRIES="map=N,..." shrinks maps (a ring
 * buffer of one page, a histogram map of a few keys), so that a test can
 * make redlat drop and check that it says so. */
static int test_map_sizes(struct commands_bpf *s, char *err, size_t errlen)
{
	const char *env = getenv("REDLAT_TEST_MAX_ENTRIES");
	char buf[256], *tok, *save = NULL, *eq;
	struct bpf_map *m;
	long n;

	if (!env)
		return 0;
	snprintf(buf, sizeof(buf), "%s", env);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		eq = strchr(tok, '=');
		if (eq)
			*eq = 0;
		m = bpf_object__find_map_by_name(s->obj, tok);
		if (!eq || !m || parse_long(eq + 1, 1, 1L << 30, &n) || bpf_map__set_max_entries(m, (__u32)n)) {
			snprintf(err, errlen, "REDLAT_TEST_MAX_ENTRIES: bad entry '%s': give MAP=N,... with maps "
				 "of this program", tok);
			return -1;
		}
	}
	return 0;
}

/* The stall histograms that the sched_switch programs add to, created
 * here (empty: collect_stalls skips them until they count). The map is not
 * preallocated, and the kernel's allocator for it keeps one spare element
 * a CPU, refilled from an irq_work: sched_switch runs with interrupts off,
 * so a switch that needed two new keys (the first run-queue wait after a
 * sleep outside epoll_wait, and that sleep) had the second refused with
 * ENOMEM: the soak's one stall_hist_full (tools/soak, BENCHMARKS.md). */
static void make_switch_hists(struct tracer *t, __u32 tgid)
{
	static const struct { __u16 kind; __u8 role; } keys[] = {
		{ SK_RUNQ, 0 }, { SK_RUNQ, 1 }, { SK_OFFCPU, OFF_SLEEP }, { SK_OFFCPU, OFF_BLOCKED },
	};
	static const struct hist zero;
	size_t i;

	for (i = 0; t->loops && i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct stall_key k = { .tgid = tgid, .kind = keys[i].kind, .role = keys[i].role };

		/* a refusal here leaves the insert to the BPF side, which counts
		 * its own refusals */
		bpf_map__update_elem(t->skel->maps.stall_hists, &k, sizeof(k), &zero, sizeof(zero), BPF_NOEXIST);
	}
}

/* Make target k known to the BPF side: its tgid in the mask and the
 * per-instance maps, its fd class slot. */
static int register_target(struct tracer *t, int k, char *err, size_t errlen)
{
	struct target *g = &t->targets[k];
	__u32 tgid = (__u32)g->proc.pid;
	struct inst_state st = { .flags = g->subcommands ? TARGET_SUBCOMMANDS : 0,
				 .libc_fork = (__u32)g->has_libc_fork, .slot = (__u32)k };
	struct loop_state ls = {};
	int j;

	for (j = 0; j < MAX_SITES; j++)
		g->site_fds[j] = -1;
	g->nlinks = 0;
	memset(g->hook_base, 0, sizeof(g->hook_base));
	memset(&t->stalls[k], 0, sizeof(t->stalls[k]));
	t->stalls[k].pid = g->proc.pid;
	t->stalls[k].have_fault_tp = t->have_fault_tp;
	/* the programs read the mask without a lock; they or in children's
	 * bits with atomics, and so does this */
	__atomic_fetch_or(&t->skel->bss->tgid_mask, 1ULL << (tgid & 63), __ATOMIC_SEQ_CST);
	if (bpf_map__update_elem(t->skel->maps.targets, &tgid, sizeof(tgid), &st, sizeof(st), BPF_ANY) ||
	    bpf_map__update_elem(t->skel->maps.loops, &tgid, sizeof(tgid), &ls, sizeof(ls), BPF_ANY)) {
		snprintf(err, errlen, "cannot register pid %d with the BPF programs: %s", g->proc.pid,
			 strerror(errno));
		return -1;
	}
	make_switch_hists(t, tgid);
	return 0;
}

int tracer_open(struct tracer *t, const struct target *targets, int n, double pair_bias_ns,
		double event_min_ns, int loops, char *err, size_t errlen)
{
	char name[CMD_NAME_LEN];
	__u8 one = 1;
	__u32 i, id;
	int k;

	memset(t, 0, sizeof(*t));
	t->event_min_ns = event_min_ns;
	t->loops = loops;
	if (n > MAX_INSTS) {
		snprintf(err, errlen, "at most %d instances", MAX_INSTS);
		return -1;
	}
	/* room for restarts that --follow adds, so that nothing moves */
	t->targets = calloc(MAX_INSTS, sizeof(*t->targets));
	t->stalls = calloc(MAX_INSTS, sizeof(*t->stalls));
	t->rare_links = calloc(MAX_INSTS * RARE_LINKS, sizeof(*t->rare_links));
	t->sync_links = calloc(MAX_INSTS * 2 * SYNC_FNS, sizeof(*t->sync_links));
	if (!t->targets || !t->stalls || !t->rare_links || !t->sync_links) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(t->targets, targets, n * sizeof(*targets));
	t->ntargets = n;
	/* the syscall programs: tp_btf twins (plain loads of pt_regs) where
	 * the kernel takes them, else the raw_tp ones */
	for (t->raw_syscalls = 0; t->raw_syscalls < 2; t->raw_syscalls++) {
		struct commands_bpf *s = commands_bpf__open();
		int raw = t->raw_syscalls;

		if (!s) {
			snprintf(err, errlen, "cannot open the BPF object: %s", strerror(errno));
			return -1;
		}
		s->rodata->pair_bias_ns = (__u64)pair_bias_ns;
		s->rodata->event_min_ns = (__u64)event_min_ns;
		s->data->loop_on = loops;
		if (test_map_sizes(s, err, errlen)) {
			commands_bpf__destroy(s);
			return -1;
		}
		bpf_program__set_autoload(s->progs.sys_enter_btf, !raw);
		bpf_program__set_autoload(s->progs.sys_exit_btf, !raw);
		bpf_program__set_autoload(s->progs.sys_enter, raw);
		bpf_program__set_autoload(s->progs.sys_exit, raw);
		bpf_program__set_autoload(s->progs.sched_switch_btf, !raw);
		bpf_program__set_autoload(s->progs.sched_wakeup_btf, !raw);
		bpf_program__set_autoload(s->progs.sched_switch, raw);
		bpf_program__set_autoload(s->progs.sched_wakeup, raw);
		ulink_prepare(s->obj);
		if (!commands_bpf__load(s)) {
			t->skel = s;
			break;
		}
		snprintf(err, errlen, "cannot load the BPF programs: %s (run with -v for the verifier log)",
			 strerror(errno));
		commands_bpf__destroy(s);
	}
	if (!t->skel)
		return -1;
	t->fdclass_len = (size_t)bpf_map__max_entries(t->skel->maps.fdclass) * sizeof(__u64);
	t->fdclass = mmap(NULL, t->fdclass_len, PROT_READ | PROT_WRITE, MAP_SHARED,
			  bpf_map__fd(t->skel->maps.fdclass), 0);
	if (t->fdclass == MAP_FAILED) {
		snprintf(err, errlen, "cannot map the fd class map: %s", strerror(errno));
		t->fdclass = NULL;
		return -1;
	}
	for (k = 0; k < n; k++)
		if (register_target(t, k, err, errlen))
			return -1;
	for (i = 0; container_commands[i]; i++) {
		memset(name, 0, sizeof(name));
		snprintf(name, sizeof(name), "%s", container_commands[i]);
		bpf_map__update_elem(t->skel->maps.containers, name, sizeof(name), &one, sizeof(one), BPF_ANY);
	}
	for (id = 0; skip_slowlog_procs[id].name && id < MAX_SKIP_PROCS; id++) {
		memset(name, 0, sizeof(name));
		snprintf(name, sizeof(name), "%s", skip_slowlog_procs[id].name);
		bpf_map__update_elem(t->skel->maps.skip_names, &id, sizeof(id), name, sizeof(name), BPF_ANY);
	}
	return 0;
}

/* A uprobe link (user/ulink.c): its fd, or -1 with errno. */
static int attach_u(struct bpf_program *p, int ret, pid_t pid, const char *path, __u64 off, __u64 cookie)
{
	return ulink_attach(bpf_program__fd(p), ret, pid, path, off, cookie);
}

static __u64 cycle_cookie(const struct target *g, int cycle)
{
	return (__u64)cycle | (g->cycle_ret[cycle] ? CYCLE_COOKIE_RET : 0);
}

/* The begin and end probes of g's cycles, the windowed ones or the
 * others, into links[*n...]. 0, or -1 with errno. */
static int attach_cycles(struct tracer *t, struct target *g, int windowed, int *links, int *n)
{
	struct commands_bpf *s = t->skel;
	const char *path = g->proc.probe_path;
	int h, i;

	for (h = 0; h < CYCLE_MAX && t->loops; h++) {
		if (!CYCLE_WINDOWED(h) != !windowed)
			continue;
		for (i = 0; i < g->ncycle[h]; i++) {
			links[*n] = attach_u(s->progs.cycle_begin, 0, g->proc.pid, path, g->cycle_begin[h][i], h);
			if (links[*n] < 0)
				return -1;
			(*n)++;
			links[*n] = attach_u(s->progs.cycle_end, g->cycle_ret[h], g->proc.pid, path,
					     g->cycle_end[h][i], cycle_cookie(g, h));
			if (links[*n] < 0)
				return -1;
			(*n)++;
		}
	}
	return 0;
}

static int attach_sites(struct tracer *t, struct target *g)
{
	int i;

	for (i = 0; i < g->nsites; i++) {
		g->site_fds[i] = attach_u(t->skel->progs.slowlog_site, 0, g->proc.pid, g->proc.probe_path,
					  g->sites[i].off, 0);
		if (g->site_fds[i] < 0)
			return -1;
	}
	return 0;
}

static void detach_sites(struct target *g)
{
	int i;

	for (i = 0; i < g->nsites; i++) {
		if (g->site_fds[i] >= 0)
			close(g->site_fds[i]);
		g->site_fds[i] = -1;
	}
}

static int attach_target(struct tracer *t, struct target *g, char *err, size_t errlen)
{
	struct commands_bpf *s = t->skel;
	const char *path = g->proc.probe_path;
	int i;

	t->cmd_probes = 1;
	if (attach_sites(t, g))
		goto fail;
	for (i = 0; i < g->nskip; i++) {
		g->links[g->nlinks] = attach_u(s->progs.skip_entry, 0, g->proc.pid, path,
					      g->skip[i].off, g->skip_id[i]);
		if (g->links[g->nlinks] < 0)
			goto fail;
		g->nlinks++;
		g->links[g->nlinks] = attach_u(s->progs.skip_return, 1, g->proc.pid, path,
					      g->skip[i].off, g->skip_id[i]);
		if (g->links[g->nlinks] < 0)
			goto fail;
		g->nlinks++;
	}
	/* the cycles whose probes fire every iteration or every command */
	if (attach_cycles(t, g, 1, g->links, &g->nlinks))
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "cannot attach a uprobe to pid %d (%s): %s", g->proc.pid, path, strerror(errno));
	return -1;
}

int tracer_attach(struct tracer *t, char *err, size_t errlen)
{
	struct commands_bpf *s = t->skel;
	int k;

	if (t->attached)
		return 0;
	s->bss->gen++;
	for (k = 0; k < t->ntargets; k++) {
		if (t->targets[k].ended)
			continue;
		if (attach_target(t, &t->targets[k], err, errlen)) {
			/* it exited since the last check, which will say so */
			if (!procs_alive(PROC_ROOT, &t->targets[k].proc))
				continue;
			goto fail;
		}
	}
	t->attached = 1;
	if (tps_update(t, err, errlen))
		goto fail;
	return 0;
fail:
	t->attached = 1;
	tracer_detach(t);
	return -1;
}

static int on_stall_event(void *ctx, void *data, size_t len)
{
	struct tracer *t = ctx;
	const struct stall_event *e = data;
	int k;

	if (len < sizeof(*e))
		return 0;
	for (k = 0; k < t->ntargets; k++) {
		if ((__u32)t->targets[k].proc.pid != e->tgid)
			continue;
		stalls_add_event(&t->stalls[k], e);
		if (t->events_out && (e->dur_ns >= t->event_min_ns || (e->flags & EVF_BLOCKED) ||
				      e->kind == SK_FORK) &&
		    e->kind != SK_CHILD_EXIT && e->kind != SK_COW && !(e->flags & EVF_FORK_WAIT)) {
			struct stall_rec r;

			stall_rec_from(&r, e);
			stall_event_line(t->events_out, &r, e->tgid);
			fflush(t->events_out);
		}
	}
	return 0;
}

/* The rare-event uprobes of one target: the parent's own (fork purpose)
 * on its pid; those whose work runs in fork children (rdbSave, ...) on
 * every process of the binary, once per binary: the BPF side keeps only
 * targets and their children. */
static int attach_rare(struct tracer *t, int k, char *err, size_t errlen)
{
	struct commands_bpf *s = t->skel;
	struct target *g = &t->targets[k];
	const char *path = g->proc.probe_path;
	struct {
		int hook, all;
		struct bpf_program *entry, *ret;
		__u64 cookie;
	} hooks[] = {
		{ RARE_FORK, 0, s->progs.fork_entry, s->progs.fork_return, 0 },
		{ RARE_REPL, 0, s->progs.repl_entry, s->progs.repl_return, 0 },
		{ RARE_RDBSAVE, 1, s->progs.persist_entry, s->progs.persist_return, SK_RDB_SAVE },
		{ RARE_AOFRW, 1, s->progs.persist_entry, s->progs.persist_return, SK_AOF_REWRITE },
		{ RARE_COW, 1, NULL, s->progs.cow_return, 0 },
	};
	struct stat st;
	int shared = 0, j, h;

	if (stat(path, &st)) {
		snprintf(err, errlen, "cannot stat %s: %s", path, strerror(errno));
		return -1;
	}
	g->bin_dev = st.st_dev;
	g->bin_ino = st.st_ino;
	/* by the inode seen at attach time: an earlier target may have ended
	 * (its /proc path gone) while its probes on the file stay */
	for (j = 0; j < k; j++)
		if (t->targets[j].bin_dev == st.st_dev && t->targets[j].bin_ino == st.st_ino)
			shared = 1;
	for (h = 0; h < (int)(sizeof(hooks) / sizeof(hooks[0])); h++) {
		pid_t pid = hooks[h].all ? -1 : g->proc.pid;
		__u64 off = g->rare[hooks[h].hook].off;

		if (!g->has_rare[hooks[h].hook] || (hooks[h].all && shared))
			continue;
		if (hooks[h].entry) {
			t->rare_links[t->nrare] = attach_u(hooks[h].entry, 0, pid, path, off, hooks[h].cookie);
			if (t->rare_links[t->nrare] < 0)
				goto fail;
			t->nrare++;
		}
		t->rare_links[t->nrare] = attach_u(hooks[h].ret, 1, pid, path, off, hooks[h].cookie);
		if (t->rare_links[t->nrare] < 0)
			goto fail;
		t->nrare++;
	}
	if (g->has_libc_fork) {
		t->rare_links[t->nrare] = attach_u(s->progs.libc_fork_entry, 0, g->proc.pid, g->libc_path,
						   g->libc_fork.off, 0);
		if (t->rare_links[t->nrare] < 0)
			goto fail;
		t->nrare++;
		t->rare_links[t->nrare] = attach_u(s->progs.libc_fork_return, 1, g->proc.pid, g->libc_path,
						   g->libc_fork.off, 0);
		if (t->rare_links[t->nrare] < 0)
			goto fail;
		t->nrare++;
	}
	/* the others go with the command probes (attach_target) */
	if (attach_cycles(t, g, 0, t->rare_links, &t->nrare))
		goto fail;
	t->stalls[k].have_fork_probe = g->has_rare[RARE_FORK];
	t->stalls[k].have_cow_probe = g->has_rare[RARE_COW];
	return 0;
fail:
	snprintf(err, errlen, "cannot attach a uprobe to pid %d (%s): %s", g->proc.pid, path, strerror(errno));
	return -1;
}

/* sched_switch: the main thread's accounting, and the CPU wait right after
 * a fork that no probed redisFork return ends. Every context switch on the
 * host runs it, so --stalls-only leaves it off while every target has
 * redisFork probed. */
static int attach_sched_switch(struct tracer *t, char *err, size_t errlen)
{
	struct bpf_program *p = t->raw_syscalls ? t->skel->progs.sched_switch : t->skel->progs.sched_switch_btf;

	if (t->have_switch)
		return 0;
	t->tp_links[t->ntp] = bpf_program__attach(p);
	if (!t->tp_links[t->ntp]) {
		snprintf(err, errlen, "cannot attach tracepoint %s: %s", bpf_program__name(p), strerror(errno));
		return -1;
	}
	t->ntp++;
	t->have_switch = 1;
	return 0;
}

/* An AOF write whose exit the tracepoints, now off, will not see: its
 * entry would stay in sys_start (and inflight_n above 0) for good. */
static void purge_sys_start(struct tracer *t)
{
	int fd = bpf_map__fd(t->skel->maps.sys_start);
	__u32 key, next, *prev = NULL;
	struct {
		__u64 ts, rss, pgt;
		__s32 fd;
		__u16 kind;
	} v;	/* the head of struct inflight (bpf/stalls.bpf.h) */
	char buf[256];

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, buf))
			continue;
		memcpy(&v, buf, sizeof(v));
		if (v.kind == SK_AOF_WRITE && !bpf_map_delete_elem(fd, &key))
			__atomic_fetch_sub(&t->skel->bss->inflight_n, 1, __ATOMIC_SEQ_CST);
	}
}

/* The uprobe pairs on the PLT stubs of fsync, fdatasync and sync_file_range,
 * on every process of each live target's binary (once a binary). */
static int sync_probes(struct tracer *t, int on, char *err, size_t errlen)
{
	struct commands_bpf *s = t->skel;
	int k, j, h = 0;

	if (!on) {
		for (k = 0; k < t->nsync; k++)
			close(t->sync_links[k]);
		t->nsync = 0;
		t->nsync_bins = 0;
		return 0;
	}
	for (k = 0; k < t->ntargets; k++) {
		struct target *g = &t->targets[k];

		if (g->ended)
			continue;
		for (j = 0; j < t->nsync_bins; j++)
			if (t->sync_bins[j].dev == g->bin_dev && t->sync_bins[j].ino == g->bin_ino)
				break;
		if (j < t->nsync_bins || t->nsync_bins == MAX_INSTS)
			continue;
		for (h = 0; h < SYNC_FNS; h++) {
			if (!g->sync_used[h])
				continue;
			t->sync_links[t->nsync] = attach_u(s->progs.sync_entry, 0, -1, g->proc.probe_path,
							   g->sync_plt[h].off, (__u64)sync_nrs[h]);
			if (t->sync_links[t->nsync] < 0)
				goto fail;
			t->nsync++;
			t->sync_links[t->nsync] = attach_u(s->progs.sync_return, 1, -1, g->proc.probe_path,
							   g->sync_plt[h].off, (__u64)sync_nrs[h]);
			if (t->sync_links[t->nsync] < 0)
				goto fail;
			t->nsync++;
		}
		t->sync_bins[t->nsync_bins].dev = g->bin_dev;
		t->sync_bins[t->nsync_bins].ino = g->bin_ino;
		t->nsync_bins++;
	}
	return 0;
fail:
	snprintf(err, errlen, "cannot attach a uprobe to the PLT stub of %s in %s: %s", sync_fns[h],
		 t->targets[k].proc.probe_path, strerror(errno));
	return -1;
}

static int sys_tps(struct tracer *t, int on, char *err, size_t errlen)
{
	struct commands_bpf *s = t->skel;
	struct bpf_program *p[2] = {
		t->raw_syscalls ? s->progs.sys_enter : s->progs.sys_enter_btf,
		t->raw_syscalls ? s->progs.sys_exit : s->progs.sys_exit_btf,
	};
	int i;

	if (on == t->tps_on)
		return 0;
	if (!on) {
		for (i = 0; i < 2; i++) {
			bpf_link__destroy(t->sys_links[i]);
			t->sys_links[i] = NULL;
		}
		t->tps_on = 0;
		t->tps_were_off = 1;
		purge_sys_start(t);
		return 0;
	}
	/* iterations begun before are not timed: their start is stale; and
	 * an fd closed meanwhile may be another file now (nothing writes
	 * the classes while the tracepoints are off) */
	__atomic_fetch_add(&s->bss->tp_gen, 1, __ATOMIC_SEQ_CST);
	if (t->fdclass)
		memset(t->fdclass, 0, t->fdclass_len);
	for (i = 0; i < 2; i++) {
		t->sys_links[i] = bpf_program__attach(p[i]);
		if (!t->sys_links[i]) {
			snprintf(err, errlen, "cannot attach tracepoint %s: %s", bpf_program__name(p[i]),
				 strerror(errno));
			bpf_link__destroy(t->sys_links[0]);
			t->sys_links[0] = NULL;
			return -1;
		}
	}
	t->tps_on = 1;
	return 0;
}

/* Put the syscall tracepoints and the fsync probes on or off, as what needs
 * them says. While an AOF is open the tracepoints are on anyway (for its
 * writes), and they time the fsyncs too, for a fraction of what a uprobe
 * pair costs (appendfsync always: one an iteration); the PLT probes time
 * them otherwise. Each switch puts the new means on before the old one
 * goes: both record into sys_start by thread, so a call in flight ends
 * either way. */
static int tps_update(struct tracer *t, char *err, size_t errlen)
{
	struct commands_bpf *s = t->skel;
	int aof = 0, k, want;

	for (k = 0; k < t->ntargets; k++)
		aof |= !t->targets[k].ended && t->targets[k].aof_open;
	want = t->tps_always || t->attached || aof;
	if (want && sys_tps(t, 1, err, errlen))
		return -1;
	if (t->tps_always || aof) {
		s->data->sync_tp = 1;
		sync_probes(t, 0, NULL, 0);
	} else {
		if (sync_probes(t, 1, err, errlen))
			return -1;
		s->data->sync_tp = 0;
	}
	if (!want)
		sys_tps(t, 0, NULL, 0);
	return 0;
}

/* Whether the syscall tracepoints must stay on all run long: with --exact
 * and --every-iteration, and where the uprobes that stand in for them are
 * missing (no PLT stub for an fsync, no glibc fork()). */
static void tps_decide(struct tracer *t)
{
	int k;

	/* once on, a fallback stays: a target of this run may still be in a
	 * call it times */
	for (k = 0; k < t->ntargets; k++) {
		if (t->targets[k].ended)
			continue;
		t->sync_fallback |= !t->targets[k].has_sync_plt;
		t->fork_fallback |= !t->targets[k].has_libc_fork;
	}
	t->skel->data->fork_tp = t->fork_fallback || t->raw_syscalls;
	/* tp_btf's sched_switch tells epoll_wait sleeps by the registers; the
	 * raw_tp twin goes by the tracepoints */
	t->tps_always = t->want_tps || t->raw_syscalls || t->sync_fallback || t->fork_fallback;
}

void tracer_check_aof(struct tracer *t, double now_ns)
{
	char dir[64], path[384], link[512];
	int k;

	if (now_ns < t->next_aof_check || t->tps_always)
		return;
	t->next_aof_check = now_ns + 1e9;
	for (k = 0; k < t->ntargets; k++) {
		struct target *g = &t->targets[k];
		struct dirent *de;
		DIR *d;

		if (g->ended)
			continue;
		snprintf(dir, sizeof(dir), PROC_ROOT "/%d/fd", g->proc.pid);
		g->aof_open = 0;
		d = opendir(dir);
		while (d && !g->aof_open && (de = readdir(d))) {
			ssize_t n;
			const char *base;

			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			n = readlink(path, link, sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = 0;
			base = strrchr(link, '/');
			base = base ? base + 1 : link;
			/* as the BPF side classes names (name_class) */
			g->aof_open = strstr(base, ".aof") && !strstr(base, ".manifest");
		}
		if (d)
			closedir(d);
	}
	/* said once: the check comes back every second */
	if (tps_update(t, link, sizeof(link)) && !t->tps_err_said++)
		fprintf(stderr, "redlat: %s\n", link);
}

int tracer_start(struct tracer *t, char *err, size_t errlen)
{
	struct commands_bpf *s = t->skel;
	/* The syscall tracepoints are not here: tps_update() puts them on
	 * and off as windows, AOFs or the mode need them. */
	struct bpf_program *tps[] = {
		s->progs.proc_fork, s->progs.proc_exit,
		/* last: only for the main thread's accounting */
		t->raw_syscalls ? s->progs.sched_wakeup : s->progs.sched_wakeup_btf,
	};
	size_t i;
	int k, need_switch = t->loops;

	for (i = 0; i < sizeof(tps) / sizeof(tps[0]) - !t->loops; i++) {
		t->tp_links[t->ntp] = bpf_program__attach(tps[i]);
		if (!t->tp_links[t->ntp]) {
			snprintf(err, errlen, "cannot attach tracepoint %s: %s",
				 bpf_program__name(tps[i]), strerror(errno));
			return -1;
		}
		t->ntp++;
	}
	for (k = 0; k < t->ntargets; k++)
		need_switch |= !t->targets[k].rare_callers[RARE_FORK];
	if (need_switch && attach_sched_switch(t, err, errlen))
		return -1;
	/* copy-on-write faults: x86's exceptions tracepoint, not everywhere */
	t->tp_links[t->ntp] = bpf_program__attach(s->progs.page_fault);
	if (t->tp_links[t->ntp]) {
		t->ntp++;
		t->have_fault_tp = 1;
	}
	tps_decide(t);
	for (k = 0; k < t->ntargets; k++) {
		t->stalls[k].have_fault_tp = t->have_fault_tp;
		if (attach_rare(t, k, err, errlen))
			return -1;
	}
	tracer_check_aof(t, 0);
	if (tps_update(t, err, errlen))
		return -1;
	t->rb = ring_buffer__new(bpf_map__fd(s->maps.stall_events), on_stall_event, t, NULL);
	if (!t->rb) {
		snprintf(err, errlen, "cannot open the stall event ring buffer: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void tracer_set_probe_cost(struct tracer *t, double hit_ns)
{
	t->skel->bss->trap_ns = (__u64)hit_ns;
}

int tracer_add(struct tracer *t, const struct target *g, char *err, size_t errlen)
{
	int k = t->ntargets;

	if (k >= MAX_INSTS) {
		snprintf(err, errlen, "pid %d not traced: a run traces at most %d instances", g->proc.pid,
			 MAX_INSTS);
		return -1;
	}
	t->targets[k] = *g;
	if (register_target(t, k, err, errlen))
		return -1;
	t->ntargets++;
	tps_decide(t);
	t->next_aof_check = 0;
	if ((!g->rare_callers[RARE_FORK] && attach_sched_switch(t, err, errlen)) || attach_rare(t, k, err, errlen) ||
	    (t->attached && attach_target(t, &t->targets[k], err, errlen)) || tps_update(t, err, errlen)) {
		/* keep it: what its probes caught so far is its own */
		tracer_target_ended(t, k);
		t->targets[k].ended = 1;
		return -1;
	}
	return 0;
}

void tracer_target_ended(struct tracer *t, int k)
{
	struct target *g = &t->targets[k];
	__u32 tgid = (__u32)g->proc.pid;
	int i;

	detach_sites(g);
	for (i = 0; i < g->nlinks; i++)
		close(g->links[i]);
	g->nlinks = 0;
	/* A pid reused later must not pass for this instance. The pid's bit
	 * stays in the mask: it only lets a lookup through. Its histograms,
	 * keyed by tgid, stay for the report. */
	bpf_map__delete_elem(t->skel->maps.targets, &tgid, sizeof(tgid), 0);
	bpf_map__delete_elem(t->skel->maps.loops, &tgid, sizeof(tgid), 0);
	bpf_map__delete_elem(t->skel->maps.cur_fd, &tgid, sizeof(tgid), 0);
	bpf_map__delete_elem(t->skel->maps.fork_waits, &tgid, sizeof(tgid), 0);
}

void tracer_poll(struct tracer *t, int timeout_ms)
{
	if (t->rb) {
		/* the BPF side submits without waking: the wait is the timeout,
		 * then what came meanwhile is taken */
		ring_buffer__poll(t->rb, timeout_ms);
		ring_buffer__consume(t->rb);
	} else if (timeout_ms > 0) {
		usleep(timeout_ms * 1000);
	}
}

static void percpu_sum(int fd, __u32 first, unsigned n, unsigned long long *out)
{
	int ncpu = libbpf_num_possible_cpus(), c;
	__u64 *vals;
	__u32 k;

	memset(out, 0, sizeof(*out) * n);
	if (ncpu <= 0)
		return;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return;
	for (k = 0; k < n; k++) {
		__u32 key = first + k;

		if (bpf_map_lookup_elem(fd, &key, vals))
			continue;
		for (c = 0; c < ncpu; c++)
			out[k] += vals[c];
	}
	free(vals);
}

void tracer_stall_stats(struct tracer *t, unsigned long long *stats)
{
	percpu_sum(bpf_map__fd(t->skel->maps.stall_stats), 0, SST_MAX, stats);
}

/* ---- are the hooks firing? ---- */

static const char *const hook_names[HOOK_REPORTED] = {
	[HOOK_CMD] = "command", [HOOK_FORK] = "fork", [HOOK_REPL] = "repl",
	[HOOK_RDBSAVE] = "rdbsave", [HOOK_AOFRW] = "aofrw", [HOOK_COW] = "cow",
};

/* Syncs by fork children of files of class fclass: an rdbSave or AOF
 * rewrite child syncs its file before it renames it. */
static unsigned long long child_syncs(const struct inst_stalls *s, int fclass)
{
	static const int kinds[] = { SK_FSYNC, SK_FDATASYNC, SK_SYNC_FILE_RANGE };
	unsigned long long n = 0;
	struct hist h;
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		stalls_hist_sum(s, kinds[i], ROLE_CHILD, fclass, &h);
		n += h.count;
	}
	return n;
}

static void rare_status(struct target *g, const unsigned long long *c, struct inst_stalls *s)
{
	int r;

	for (r = 0; r < RARE_MAX; r++) {
		struct hook_status *h = &g->hooks[1 + r];
		unsigned long long ev = 0;
		int per_event = 0;

		switch (1 + r) {
		case HOOK_FORK:
			ev = c[HOOK_EV_FORK];
			per_event = 1;
			break;
		case HOOK_RDBSAVE:
			ev = child_syncs(s, FC_RDB);
			break;
		case HOOK_AOFRW:
			ev = child_syncs(s, FC_AOF);
			break;
		case HOOK_COW:	/* a child that saved reports its copied bytes */
			ev = child_syncs(s, FC_RDB) + child_syncs(s, FC_AOF);
			break;
		}
		snprintf(h->hook, sizeof(h->hook), "%s", hook_names[1 + r]);
		snprintf(h->function, sizeof(h->function), "%s", rare_fns[r].names[0]);
		if (g->has_rare[r] && !strcmp(g->product, "valkey") && rare_fns[r].names[1])
			snprintf(h->function, sizeof(h->function), "%s", rare_fns[r].names[1]);
		h->strategy = !g->has_rare[r] ? HS_NONE : g->rare_callers[r] ? HS_ENTRY : HS_ENTRY_NO_CALLER;
		h->hits = c[1 + r];
		h->expected = ev;
		h->verdict = hook_verdict(h->strategy, h->hits, ev, per_event, 1);
		h->note[0] = 0;
		if (h->verdict == HV_SILENT || h->verdict == HV_MISSED)
			snprintf(h->note, sizeof(h->note), "%s %llu of %llu times: %s lost", h->verdict == HV_SILENT ?
				 "never fired, expected" : "fired", h->hits, ev, rare_fns[r].loses);
		else if (h->strategy == HS_ENTRY_NO_CALLER && h->verdict == HV_UNVERIFIED)
			snprintf(h->note, sizeof(h->note), "no direct caller in this build; trusted once it fires");
		else if (h->strategy == HS_NONE)
			snprintf(h->note, sizeof(h->note), "no such symbol: %s lost", rare_fns[r].loses);
	}
	/* a fork purpose that never came is not Redis's */
	if (g->hooks[HOOK_FORK].verdict == HV_SILENT)
		s->have_fork_probe = 0;
	if (g->hooks[HOOK_COW].verdict == HV_SILENT)
		s->have_cow_probe = 0;
}

/* The command hook of g, and a switch to its next strategy when it proved
 * silent. 1 when it switched. */
static int cmd_status(struct tracer *t, struct target *g, const unsigned long long *c)
{
	struct hook_status *h = &g->hooks[HOOK_CMD];
	int next, silent_sites = g->nsites;

	snprintf(h->hook, sizeof(h->hook), "command");
	snprintf(h->function, sizeof(h->function), SLOWLOG_FN);
	h->strategy = g->cmd_strategy;
	h->hits = c[HOOK_CMD] - g->hook_base[HOOK_CMD];
	h->expected = c[HOOK_EV_REPLY] - g->hook_base[HOOK_EV_REPLY];
	h->verdict = hook_verdict(h->strategy, h->hits, h->expected, 0, HOOK_CMD_EVIDENCE);
	snprintf(h->note, sizeof(h->note), "%s", g->cmd_note);
	if ((h->strategy == HS_ENTRY || h->strategy == HS_ENTRY_NO_CALLER) && g->cmd_entry_rip)
		snprintf(h->note + strlen(h->note), sizeof(h->note) - strlen(h->note),
			 "%sits first instruction is RIP-relative: each hit is single-stepped, "
			 "the dearest kind of uprobe", h->note[0] ? "; " : "");
	if (h->verdict != HV_SILENT)
		return 0;
	next = hook_next_strategy(g->cmd_strategy, 1);
	if (next == HS_NONE) {
		snprintf(h->note, sizeof(h->note), "never fired over %llu requests served: commands "
			 "are not timed in this build", h->expected);
		return 0;
	}
	detach_sites(g);
	target_cmd_use(g, next);
	memcpy(g->hook_base, c, sizeof(g->hook_base));
	snprintf(g->cmd_note, sizeof(g->cmd_note), "its %d call site%s never fired over %llu requests "
		 "served: switched to %s", silent_sites, silent_sites == 1 ? "" : "s", h->expected,
		 hook_strategy_name(next));
	if (t->attached && attach_sites(t, g)) {
		snprintf(g->cmd_note + strlen(g->cmd_note), sizeof(g->cmd_note) - strlen(g->cmd_note),
			 ", which could not be attached (%s)", strerror(errno));
		detach_sites(g);
		target_cmd_use(g, HS_NONE);
	}
	return cmd_status(t, g, c) + 1;
}

int tracer_verify(struct tracer *t, FILE *log)
{
	int k, switched = 0;

	for (k = 0; k < t->ntargets; k++) {
		struct target *g = &t->targets[k];
		unsigned long long c[HOOK_NCOUNTERS];

		percpu_sum(bpf_map__fd(t->skel->maps.hook_hits), (__u32)k * HOOK_NCOUNTERS, HOOK_NCOUNTERS, c);
		rare_status(g, c, &t->stalls[k]);
		if (!t->cmd_probes || g->ended)
			continue;
		if (cmd_status(t, g, c)) {
			switched++;
			if (log)
				fprintf(log, "redlat: pid %d: %s %s\n", g->proc.pid, SLOWLOG_FN, g->cmd_note);
		}
	}
	return switched;
}

int tracer_cmd_settled(const struct tracer *t)
{
	int k;

	for (k = 0; k < t->ntargets && t->cmd_probes; k++) {
		const struct target *g = &t->targets[k];

		if (!g->ended && g->hooks[HOOK_CMD].verdict != HV_FIRED &&
		    hook_next_strategy(g->cmd_strategy, 1) != HS_NONE)
			return 0;
	}
	return 1;
}

/* Who had the CPU while each instance's main thread waited for it. Past
 * half the map, tasks that have exited go from the map to user space
 * (folded by comm): on a busy host short-lived processes filled the 1024
 * entries within minutes of the soak (tools/soak), and every task after
 * that went unnamed. */
static void collect_thieves(struct tracer *t)
{
	int fd = bpf_map__fd(t->skel->maps.thieves), k;
	struct thief_key key, next, *prev = NULL, *keys = NULL;
	struct thief *all = NULL, *mine;
	size_t n = 0, cap = 0, i, m;
	__u64 ns;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &ns))
			continue;
		if (n == cap) {
			size_t c = cap ? 2 * cap : 64;
			void *p = realloc(all, c * sizeof(*all)), *q;

			if (!p)
				break;
			all = p;
			q = realloc(keys, c * sizeof(*keys));
			if (!q)
				break;
			keys = q;
			cap = c;
		}
		keys[n] = key;
		all[n].pid = (pid_t)key.pid;
		all[n].ns = (double)ns;
		memcpy(all[n].comm, key.comm, sizeof(all[n].comm));
		all[n].comm[sizeof(all[n].comm) - 1] = 0;
		n++;
	}
	for (i = 0; n > bpf_map__max_entries(t->skel->maps.thieves) / 2 && i < n; i++) {
		if (!kill(all[i].pid, 0) || errno != ESRCH || bpf_map_lookup_and_delete_elem(fd, &keys[i], &ns))
			continue;
		all[i].ns = (double)ns;	/* it may have grown since it was read */
		for (k = 0; k < t->ntargets; k++)
			if (keys[i].tgid == (__u32)t->targets[k].proc.pid)
				stalls_thief_gone(&t->stalls[k], &all[i]);
		keys[i].tgid = 0;	/* not live any more */
	}
	mine = n ? calloc(n, sizeof(*mine)) : NULL;
	for (k = 0; k < t->ntargets; k++) {
		for (i = 0, m = 0; mine && i < n; i++)
			if (keys[i].tgid && keys[i].tgid == (__u32)t->targets[k].proc.pid)
				mine[m++] = all[i];
		stalls_set_thieves(&t->stalls[k], mine, m);
	}
	free(mine);
	free(all);
	free(keys);
}

static void collect_stalls(struct tracer *t)
{
	int fd = bpf_map__fd(t->skel->maps.stall_hists), k;
	struct stall_key key, next, *prev = NULL;
	struct hist *h = malloc(sizeof(*h));

	if (!h)
		return;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, h) || !h->count)
			continue;	/* empty: made by make_switch_hists */
		for (k = 0; k < t->ntargets; k++)
			if ((__u32)t->targets[k].proc.pid == key.tgid)
				stalls_set_hist(&t->stalls[k], &key, h);
	}
	free(h);
	collect_thieves(t);
}

static void *close_fd(void *arg)
{
	close((int)(long)arg);
	return NULL;
}

int tracer_maps_readable(struct tracer *t)
{
	__u32 key;

	return !bpf_map_get_next_key(bpf_map__fd(t->skel->maps.stats), NULL, &key) || errno != EPERM;
}

void tracer_enable(struct tracer *t)
{
	t->skel->bss->enabled = 1;
	t->skel->bss->cycles_on = 1;
}

void tracer_disable(struct tracer *t)
{
	t->skel->bss->enabled = 0;
}

void tracer_detach(struct tracer *t)
{
	pthread_t th[MAX_TARGETS_DETACH];
	int k, i, nth = 0;

	if (!t->attached)
		return;
	t->skel->bss->enabled = 0;
	t->skel->bss->cycles_on = 0;
	/* Each uprobe's removal waits for RCU grace periods (60-110 ms measured
	 * here with both CPUs busy) and Redis keeps trapping until it is done:
	 * remove them all at once, one thread each, so the waits overlap. */
	for (k = 0; k < t->ntargets; k++) {
		struct target *g = &t->targets[k];

		for (i = 0; i < g->nsites; i++) {
			if (g->site_fds[i] < 0)
				continue;
			if (nth == MAX_TARGETS_DETACH ||
			    pthread_create(&th[nth], NULL, close_fd, (void *)(long)g->site_fds[i]))
				close(g->site_fds[i]);
			else
				nth++;
			g->site_fds[i] = -1;
		}
		for (i = 0; i < g->nlinks; i++) {
			if (nth == MAX_TARGETS_DETACH ||
			    pthread_create(&th[nth], NULL, close_fd, (void *)(long)g->links[i]))
				close(g->links[i]);
			else
				nth++;
		}
		g->nlinks = 0;
	}
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	t->attached = 0;
	tps_update(t, NULL, 0);	/* taking them off cannot fail */
}

int tracer_collect(struct tracer *t, struct run_report *r)
{
	int fd = bpf_map__fd(t->skel->maps.hists), k;
	struct cmd_key key, next, *prev = NULL;
	struct hist *h = malloc(sizeof(*h));
	size_t i;

	if (!h)
		return -1;
	if (r->ninsts < (size_t)t->ntargets) {
		/* instances in target order; --follow appends restarts */
		void *p = realloc(r->insts, t->ntargets * sizeof(*r->insts));

		if (!p) {
			free(h);
			return -1;
		}
		r->insts = p;
		memset(r->insts + r->ninsts, 0, (t->ntargets - r->ninsts) * sizeof(*r->insts));
		for (k = (int)r->ninsts; k < t->ntargets; k++) {
			struct inst_report *in = &r->insts[k];
			struct target *g = &t->targets[k];
			size_t len = 0;

			in->pid = g->proc.pid;
			in->restart_of = g->restart_of;
			in->since_wall = g->since_wall;
			snprintf(in->exe, sizeof(in->exe), "%s", g->proc.exe);
			snprintf(in->version, sizeof(in->version), "%s", g->version);
			snprintf(in->product, sizeof(in->product), "%s", g->product);
			memcpy(in->ports, g->proc.ports, sizeof(in->ports));
			in->nports = g->proc.nports;
			for (i = 0; i < (size_t)g->nsites && len < sizeof(in->probes) - 64; i++)
				len += snprintf(in->probes + len, sizeof(in->probes) - len, "%s" SLOWLOG_FN " call in %s",
						i ? ", " : "", g->site_funcs[i]);
			for (i = 0; i < (size_t)g->nskip && len < sizeof(in->probes) - 64; i++)
				len += snprintf(in->probes + len, sizeof(in->probes) - len, ", %s entry+return",
						skip_slowlog_procs[g->skip_id[i]].proc);
			snprintf(in->missing, sizeof(in->missing), "%s", g->rare_missing);
		}
		r->ninsts = t->ntargets;
	}
	collect_stalls(t);
	tracer_verify(t, NULL);
	for (k = 0; k < t->ntargets; k++) {
		/* the hooks in use: --stalls-only has no command hook */
		r->insts[k].nhooks = 0;
		for (i = 0; i < HOOK_REPORTED; i++)
			if (t->targets[k].hooks[i].hook[0])
				r->insts[k].hooks[r->insts[k].nhooks++] = t->targets[k].hooks[i];
		stalls_sort(&t->stalls[k]);
		r->insts[k].st = &t->stalls[k];
		r->insts[k].ended = t->targets[k].ended;
		for (i = 0; i < r->insts[k].ncmds; i++)
			memset(r->insts[k].cmds[i].span, 0, sizeof(r->insts[k].cmds[i].span));
	}
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, h) || key.span >= SPAN_MAX)
			continue;
		for (k = 0; k < t->ntargets; k++) {
			struct cmd_stat *c;
			char name[CMD_NAME_LEN + 1];

			if ((__u32)t->targets[k].proc.pid != key.tgid)
				continue;
			memcpy(name, key.name, CMD_NAME_LEN);
			name[CMD_NAME_LEN] = 0;
			c = inst_cmd(&r->insts[k], name);
			if (c)
				c->span[key.span] = *h;
		}
	}
	free(h);
	return 0;
}

void tracer_tidy(struct tracer *t)
{
	collect_thieves(t);
}

void tracer_stats(struct tracer *t, unsigned long long *stats)
{
	percpu_sum(bpf_map__fd(t->skel->maps.stats), 0, STAT_MAX, stats);
}

void tracer_close(struct tracer *t)
{
	int i;

	tracer_detach(t);
	for (i = 0; i < 2; i++)
		bpf_link__destroy(t->sys_links[i]);
	sync_probes(t, 0, NULL, 0);
	free(t->sync_links);
	t->sync_links = NULL;
	for (i = 0; i < t->ntp; i++)
		bpf_link__destroy(t->tp_links[i]);
	t->ntp = 0;
	for (i = 0; i < t->nrare; i++)
		close(t->rare_links[i]);
	free(t->rare_links);
	t->rare_links = NULL;
	t->nrare = 0;
	ring_buffer__free(t->rb);
	t->rb = NULL;
	if (t->stalls)
		for (i = 0; i < t->ntargets; i++)
			stalls_free(&t->stalls[i]);
	free(t->stalls);
	t->stalls = NULL;
	free(t->targets);
	t->targets = NULL;
	if (t->fdclass)
		munmap(t->fdclass, t->fdclass_len);
	t->fdclass = NULL;
	commands_bpf__destroy(t->skel);
	t->skel = NULL;
}
