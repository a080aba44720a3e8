// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "histo.h"
#include "stalls_user.h"
#include "util.h"

static double wall_offset_s;

void stalls_clock_init(void)
{
	struct timespec rt;

	clock_gettime(CLOCK_REALTIME, &rt);
	wall_offset_s = rt.tv_sec + rt.tv_nsec / 1e9 - now_ns() / 1e9;
}

double stalls_wall(__u64 mono_ns)
{
	return wall_offset_s + mono_ns / 1e9;
}

static struct fork_rec *fork_of(struct inst_stalls *s, pid_t child, int create)
{
	struct fork_rec *f;
	size_t i;

	for (i = s->nforks; i-- > 0;)
		if (s->forks[i].child == child)
			return &s->forks[i];
	if (!create)
		return NULL;
	if (s->nforks == s->capforks) {
		size_t cap = s->capforks ? 2 * s->capforks : 16;
		void *p = realloc(s->forks, cap * sizeof(*s->forks));

		if (!p)
			return NULL;
		s->forks = p;
		s->capforks = cap;
	}
	f = &s->forks[s->nforks++];
	memset(f, 0, sizeof(*f));
	f->child = child;
	f->stall_ns = -1;
	return f;
}

static void keep_event(struct inst_stalls *s, const struct stall_event *e)
{
	if (s->nevents >= MAX_STALL_EVENTS) {
		s->not_kept++;
		return;
	}
	if (s->nevents == s->capevents) {
		/* All the room at once (18 MB of address space): pages are backed
		 * only as events fill them, and the array never moves. Doubling
		 * it left each old copy in the heap: the soak's RSS jumped 1.4 MB
		 * at 8192 events. */
		size_t cap = s->capevents ? 2 * s->capevents : MAX_STALL_EVENTS;
		void *p = realloc(s->events, cap * sizeof(*s->events));

		if (!p) {
			s->not_kept++;
			return;
		}
		s->events = p;
		s->capevents = cap;
	}
	stall_rec_from(&s->events[s->nevents++], e);
}

void stall_rec_from(struct stall_rec *r, const struct stall_event *e)
{
	memset(r, 0, sizeof(*r));
	r->wall = stalls_wall(e->ts_ns);
	r->ts_ns = e->ts_ns;
	r->dur_ns = (double)e->dur_ns;
	r->pid = e->pid;
	r->tid = e->tid;
	r->kind = e->kind;
	r->role = e->role;
	r->fclass = e->fclass;
	r->klass = e->klass;
	r->flags = e->flags;
	r->fd = e->fd;
	r->ret = e->ret;
	memcpy(r->comm, e->comm, sizeof(r->comm) - 1);
	memcpy(r->file, e->file, sizeof(r->file) - 1);
	r->runq_ns = (double)e->runq_ns;
	r->sleep_ns = (double)e->sleep_ns;
	r->block_ns = (double)e->block_ns;
	r->oncpu_ns = (double)e->oncpu_ns;
	r->minflt = e->minflt;
	r->majflt = e->majflt;
	r->other_pid = (pid_t)e->other_pid;
	if (e->kind == SK_CYCLE)
		r->keys = e->child;
	memcpy(r->other_comm, e->other_comm, sizeof(r->other_comm) - 1);
}

void stalls_add_event(struct inst_stalls *s, const struct stall_event *e)
{
	struct fork_rec *f;

	switch (e->kind) {
	case SK_FORK:
		if (e->flags & EVF_FORK_WAIT) {
			f = fork_of(s, (pid_t)e->child, 0);
			if (f && f->stall_ns >= 0) {
				f->stall_ns += (double)e->dur_ns;
				f->wait_ns = (double)e->dur_ns;
			}
			return;
		}
		if (e->ret <= 0) {	/* fork() failed: still a stall */
			keep_event(s, e);
			return;
		}
		f = fork_of(s, (pid_t)e->child, 1);
		if (!f)
			return;
		f->seen_fork = 1;
		f->wall = stalls_wall(e->ts_ns);
		f->ts_ns = e->ts_ns;
		f->stall_ns = (double)e->dur_ns;
		f->sys_ns = (double)e->sys_ns;
		f->rss_bytes = e->rss_bytes;
		f->pgtable_bytes = e->pgtable_bytes;
		if (e->klass)
			f->purpose = (int)e->klass;
		return;
	case SK_CHILD_EXIT:
		f = fork_of(s, (pid_t)e->pid, 1);
		if (!f)
			return;
		f->exited = 1;
		f->life_ns = (double)e->dur_ns;
		f->exit_code = e->ret;
		f->faults = e->faults;
		f->cow_faults = e->cow_faults;
		if (!f->purpose && e->klass)
			f->purpose = (int)e->klass;
		return;
	case SK_COW:
		f = fork_of(s, (pid_t)e->pid, 1);
		if (f) {
			f->has_cow = 1;
			f->cow_bytes = e->child;
		}
		return;
	case SK_RDB_SAVE:
	case SK_AOF_REWRITE:
		if (e->role == ROLE_CHILD) {
			f = fork_of(s, (pid_t)e->pid, 1);
			if (!f)
				return;
			f->work_kind = e->kind;
			f->work_ns = (double)e->dur_ns;
			f->work_ret = e->ret;
			if (!f->purpose)	/* no redisFork probe: from what the child did */
				f->purpose = e->kind == SK_RDB_SAVE ? FORK_PURPOSE_RDB : FORK_PURPOSE_AOF;
			return;
		}
		keep_event(s, e);	/* SAVE: on the main thread */
		return;
	default:
		keep_event(s, e);
	}
}

void stalls_set_hist(struct inst_stalls *s, const struct stall_key *k, const struct hist *h)
{
	size_t i;
	void *p;

	for (i = 0; i < s->nhists; i++) {
		if (!memcmp(&s->hists[i].key, k, sizeof(*k))) {
			s->hists[i].h = *h;
			return;
		}
	}
	p = realloc(s->hists, (s->nhists + 1) * sizeof(*s->hists));
	if (!p)
		return;
	s->hists = p;
	s->hists[s->nhists].key = *k;
	s->hists[s->nhists].h = *h;
	s->nhists++;
}

void stalls_hist_sum(const struct inst_stalls *s, int kind, int role, int fclass, struct hist *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < s->nhists; i++) {
		const struct stall_key *k = &s->hists[i].key;

		if (k->kind != kind || (role >= 0 && k->role != role) || (fclass >= 0 && k->fclass != fclass))
			continue;
		hist_merge(out, &s->hists[i].h);
	}
}

static int by_ns(const void *a, const void *b)
{
	const struct thief *x = a, *y = b;

	return x->ns > y->ns ? -1 : x->ns < y->ns;
}

void stalls_set_thieves(struct inst_stalls *s, const struct thief *t, size_t n)
{
	size_t i, all = n + s->ngone;

	free(s->thieves);
	s->thieves = all ? malloc(all * sizeof(*t)) : NULL;
	s->nthieves = s->thieves ? all : 0;
	if (!s->thieves)
		return;
	if (n)
		memcpy(s->thieves, t, n * sizeof(*t));
	for (i = 0; i < s->ngone; i++)
		s->thieves[n + i] = s->gone[i].t;
	qsort(s->thieves, all, sizeof(*t), by_ns);
}

void stalls_thief_gone(struct inst_stalls *s, const struct thief *t)
{
	struct gone_thief *g = NULL;
	size_t i;

	for (i = 0; i < s->ngone && !g; i++)
		if (!strncmp(s->gone[i].t.comm, t->comm, sizeof(t->comm)))
			g = &s->gone[i];
	if (!g) {
		void *p = realloc(s->gone, (s->ngone + 1) * sizeof(*s->gone));

		if (!p)
			return;
		s->gone = p;
		g = &s->gone[s->ngone++];
		memset(g, 0, sizeof(*g));
		memcpy(g->t.comm, t->comm, sizeof(g->t.comm));
	}
	g->t.ns += t->ns;
	if (t->ns > g->top) {
		g->top = t->ns;
		g->t.pid = t->pid;
	}
}

void stalls_free(struct inst_stalls *s)
{
	free(s->thieves);
	free(s->gone);
	free(s->forks);
	free(s->events);
	free(s->hists);
	memset(s, 0, sizeof(*s));
}

const char *stall_kind_name(int kind)
{
	static const char *const n[SK_MAX] = {
		[SK_FORK] = "fork", [SK_FSYNC] = "fsync", [SK_FDATASYNC] = "fdatasync",
		[SK_SYNC_FILE_RANGE] = "sync_file_range", [SK_AOF_WRITE] = "aof-write",
		[SK_RDB_SAVE] = "rdbSave", [SK_AOF_REWRITE] = "rewriteAppendOnlyFile",
		[SK_CHILD_EXIT] = "child-exit", [SK_COW] = "cow", [SK_LOOP] = "event-loop",
		[SK_RUNQ] = "run-queue", [SK_OFFCPU] = "off-cpu", [SK_COMMAND] = "command",
		[SK_CYCLE] = "cycle",
	};

	return kind > 0 && kind < SK_MAX && n[kind] ? n[kind] : "?";
}

const char *thread_role_name(int role)
{
	static const char *const n[ROLE_MAX] = {
		"main", "bio_aof", "bio_close_file", "bio_lazy_free", "fork-child", "other",
	};

	return role >= 0 && role < ROLE_MAX ? n[role] : "?";
}

const char *file_class_name(int fc)
{
	static const char *const n[FC_MAX] = {
		"unknown", "aof", "rdb", "directory", "socket", "pipe", "other", "aof-manifest",
	};

	return fc >= 0 && fc < FC_MAX ? n[fc] : "?";
}

const char *aof_write_event(int klass)
{
	static const char *const n[AW_MAX] = {
		"aof-write-pending-fsync", "aof-write-active-child", "aof-write-alone",
	};

	return klass >= 0 && klass < AW_MAX ? n[klass] : "aof-write";
}

const char *cycle_name(int cycle)
{
	static const char *const n[CYCLE_MAX] = {
		"expire-cycle", "active-defrag-cycle", "expire-cycle-fast", "eviction-cycle", "eviction-del",
	};

	return cycle >= 0 && cycle < CYCLE_MAX ? n[cycle] : "cycle";
}

const char *offcpu_event(int how)
{
	return how == OFF_BLOCKED ? "off-cpu-uninterruptible" : how == OFF_SLEEP ? "off-cpu-sleeping" :
	       "off-cpu";
}

const char *fork_purpose_name(int purpose)
{
	switch (purpose) {
	case FORK_PURPOSE_RDB: return "rdb";
	case FORK_PURPOSE_AOF: return "aof-rewrite";
	case FORK_PURPOSE_LDB: return "lua-debugger";
	case FORK_PURPOSE_MODULE: return "module";
	case FORK_PURPOSE_REPL: return "replication";
	}
	return "unknown";
}

const char *fork_rating(double gbs)
{
	if (gbs < 10)
		return "terrible";
	if (gbs < 25)
		return "poor";
	if (gbs < 100)
		return "good";
	return "excellent";
}

double fork_rate_gbs(const struct fork_rec *f)
{
	if (f->stall_ns <= 0 || !f->rss_bytes)
		return 0;
	return f->rss_bytes / (1024.0 * 1024 * 1024) / (f->stall_ns / 1e9);
}

static int by_start(const void *a, const void *b)
{
	const struct stall_rec *x = a, *y = b;

	return x->ts_ns < y->ts_ns ? -1 : x->ts_ns > y->ts_ns;
}

static int by_kind_total(const void *a, const void *b)
{
	const struct stall_hist *x = a, *y = b;

	if (x->key.kind != y->key.kind)
		return x->key.kind - y->key.kind;
	return x->h.sum_ns > y->h.sum_ns ? -1 : x->h.sum_ns < y->h.sum_ns;
}

void stalls_sort(struct inst_stalls *s)
{
	if (s->nevents)
		qsort(s->events, s->nevents, sizeof(*s->events), by_start);
	if (s->nhists)
		qsort(s->hists, s->nhists, sizeof(*s->hists), by_kind_total);
}
