// SPDX-License-Identifier: GPL-2.0
/* --replay: a report read back from the JSON document a run wrote, into
 * the same structs the tracer fills, so that every renderer draws it as the
 * run did. No BPF and no root. The document carries each histogram's
 * buckets, each fork and event, and sampled mode's estimates. */
#include <errno.h>
#include <json.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "histo.h"
#include "report.h"
#include "stalls_user.h"
#include "util.h"

/* A member of o, NULL when o is not an object or lacks it. */
static json_object *get(json_object *o, const char *key)
{
	json_object *v;

	return o && json_object_is_type(o, json_type_object) &&
	       json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static double num(json_object *o, const char *key)
{
	return json_object_get_double(get(o, key));
}

/* Seconds to ns, 0 when out of range: converting a double that does not
 * fit is undefined, and the document may not be redlat's. */
static __u64 ns_of_s(double s)
{
	return s > 0 && s < 1.8e10 ? (__u64)(s * 1e9) : 0;
}

static long long inum(json_object *o, const char *key)
{
	return (long long)json_object_get_int64(get(o, key));
}

static int flag(json_object *o, const char *key)
{
	return json_object_get_boolean(get(o, key));
}

static void str(char *dst, size_t len, json_object *o, const char *key)
{
	const char *s = json_object_get_string(get(o, key));

	snprintf(dst, len, "%s", s ? s : "");
}

static size_t alen(json_object *a)
{
	return a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

/* NULL past the end or when a is not an array: json-c asserts (aborts) on
 * an index into anything else, and the document may not be redlat's. */
static json_object *at(json_object *a, size_t i)
{
	return i < alen(a) ? json_object_array_get_idx(a, i) : NULL;
}

static void hooks_from(struct inst_report *in, json_object *a)
{
	size_t i;

	in->nhooks = 0;
	for (i = 0; i < alen(a) && i < HOOK_REPORTED; i++) {
		struct hook_status *h = &in->hooks[in->nhooks++];
		json_object *o = at(a, i);
		char name[32];

		str(h->hook, sizeof(h->hook), o, "hook");
		str(h->function, sizeof(h->function), o, "function");
		str(name, sizeof(name), o, "strategy");
		h->strategy = hook_strategy_from(name);
		str(name, sizeof(name), o, "verdict");
		h->verdict = hook_verdict_from(name);
		h->hits = (unsigned long long)inum(o, "hits");
		h->expected = (unsigned long long)inum(o, "expected");
		str(h->note, sizeof(h->note), o, "note");
	}
}

/* The value of name under a name function, or -1. */
static int lookup(const char *(*fn)(int), int lo, int hi, json_object *o, const char *key)
{
	const char *name = json_object_get_string(get(o, key));
	int v;

	for (v = lo; name && v < hi; v++)
		if (!strcmp(fn(v), name))
			return v;
	return -1;
}

static void hist_from(struct hist *h, json_object *o)
{
	json_object *b = get(o, "buckets");
	size_t i;

	memset(h, 0, sizeof(*h));
	h->count = (__u64)inum(o, "count");
	h->sum_ns = (__u64)inum(o, "total_ns");
	h->max_ns = (__u64)inum(o, "max_ns");
	for (i = 0; i < alen(b); i++) {
		__u64 low = (__u64)json_object_get_int64(at(at(b, i), 0));

		h->slots[hist_slot(low)] += (__u64)json_object_get_int64(at(at(b, i), 1));
	}
}

static void doubles_from(double *dst, size_t n, json_object *a)
{
	size_t i;

	for (i = 0; i < n && i < alen(a); i++)
		dst[i] = json_object_get_double(at(a, i));
}

/* A count, or -1 when the document does not know it. */
static long long known(json_object *o, const char *key)
{
	return get(o, key) ? inum(o, key) : -1;
}

static void memory_from(struct inst_report *in, json_object *m)
{
	in->anon_huge_bytes = known(m, "anon_huge_pages_bytes");
	in->swap_bytes = known(m, "swap_bytes");
	in->major_faults = known(m, "major_faults");
}

static int cmds_from(struct inst_report *in, json_object *a)
{
	size_t i;

	for (i = 0; i < alen(a); i++) {
		json_object *o = at(a, i), *ex = get(o, "execution"), *w = get(ex, "window_percentiles");
		char name[CMD_NAME_LEN];
		struct cmd_stat *c;

		str(name, sizeof(name), o, "name");
		c = inst_cmd(in, name);
		if (!c)
			return -1;
		hist_from(&c->span[SPAN_EXEC], ex);
		hist_from(&c->span[SPAN_RESPONSE], get(o, "response"));
		c->est_count = num(ex, "estimated_count");
		c->est_sum_ns = num(ex, "estimated_total_ns");
		c->est_var = num(ex, "estimated_count_variance");
		c->seen_count = c->span[SPAN_EXEC].count;
		c->nwin = (unsigned)inum(w, "windows");
		doubles_from(c->win_lo, NPCTS, get(w, "low_ns"));
		doubles_from(c->win_hi, NPCTS, get(w, "high_ns"));
	}
	return 0;
}

static int add_hist(struct inst_stalls *s, int kind, int role, int fclass, const struct hist *h)
{
	struct stall_key k = { .tgid = (__u32)s->pid, .kind = (__u16)kind, .role = (__u8)role,
			       .fclass = (__u8)fclass };

	if (kind < 0 || role < 0 || fclass < 0 || !h->count)
		return 0;
	stalls_set_hist(s, &k, h);
	return 0;
}

/* syncs, aof_writes, persistence, cycles and main_thread: the histograms as
 * the BPF maps keyed them */
static int hists_from(struct inst_stalls *s, json_object *st)
{
	json_object *a, *mt = get(st, "main_thread");
	struct hist *h = malloc(sizeof(*h)), *pre = malloc(sizeof(*pre));
	size_t i;
	int rc = -1;

	if (!h || !pre)
		goto out;
	for (a = get(st, "syncs"), i = 0; i < alen(a); i++) {
		hist_from(h, at(a, i));
		if (add_hist(s, lookup(stall_kind_name, 1, SK_MAX, at(a, i), "syscall"),
			     lookup(thread_role_name, 0, ROLE_MAX, at(a, i), "thread"),
			     lookup(file_class_name, 0, FC_MAX, at(a, i), "file_class"), h))
			goto out;
	}
	for (a = get(st, "aof_writes"), i = 0; i < alen(a); i++) {
		hist_from(h, at(a, i));
		if (add_hist(s, SK_AOF_WRITE, lookup(aof_write_event, 0, AW_MAX, at(a, i), "event"), FC_AOF, h))
			goto out;
	}
	for (a = get(st, "persistence"), i = 0; i < alen(a); i++) {
		hist_from(h, at(a, i));
		if (add_hist(s, lookup(stall_kind_name, 1, SK_MAX, at(a, i), "function"),
			     lookup(thread_role_name, 0, ROLE_MAX, at(a, i), "thread"), 0, h))
			goto out;
	}
	for (a = get(st, "cycles"), i = 0; i < alen(a); i++) {
		hist_from(h, at(a, i));
		if (add_hist(s, SK_CYCLE, lookup(cycle_name, 0, CYCLE_MAX, at(a, i), "event"), 0, h))
			goto out;
	}
	hist_from(h, get(mt, "iterations"));
	if (add_hist(s, SK_LOOP, 0, 0, h))
		goto out;
	/* the run-queue histogram, split back into woken and preempted */
	hist_from(h, get(mt, "run_queue"));
	hist_from(pre, get(mt, "run_queue_preempted"));
	if (add_hist(s, SK_RUNQ, 1, 0, pre))
		goto out;
	{
		__u64 max = h->max_ns;

		hist_delta(h, h, pre);
		h->max_ns = max;
	}
	if (add_hist(s, SK_RUNQ, 0, 0, h))
		goto out;
	hist_from(h, get(mt, "off_cpu_sleeping"));
	if (add_hist(s, SK_OFFCPU, 1, 0, h))
		goto out;
	hist_from(h, get(mt, "off_cpu_uninterruptible"));
	if (add_hist(s, SK_OFFCPU, 2, 0, h))
		goto out;
	rc = 0;
out:
	free(h);
	free(pre);
	return rc;
}

static void fork_from(void *dst, json_object *o)
{
	json_object *w = get(o, "child_work");
	struct fork_rec *f = dst;

	memset(f, 0, sizeof(*f));
	f->child = (pid_t)inum(o, "child_pid");
	f->purpose = lookup(fork_purpose_name, 0, FORK_PURPOSE_REPL + 1, o, "purpose");
	f->seen_fork = flag(o, "seen");
	f->wall = num(o, "time");
	f->ts_ns = ns_of_s(f->wall);
	f->stall_ns = f->seen_fork ? num(o, "stall_ns") : -1;
	f->sys_ns = num(o, "syscall_ns");
	f->wait_ns = num(o, "cpu_wait_ns");
	f->rss_bytes = (__u64)inum(o, "rss_bytes");
	f->pgtable_bytes = (__u64)inum(o, "pgtable_bytes");
	f->exited = flag(o, "exited");
	f->life_ns = num(o, "lifetime_ns");
	f->exit_code = get(o, "exit_signal") ? (int)inum(o, "exit_signal") : (int)((inum(o, "exit_status") & 0xff) << 8);
	f->faults = (__u64)inum(o, "parent_faults");
	f->cow_faults = (__u64)inum(o, "parent_cow_faults");
	f->has_cow = get(o, "cow_bytes") != NULL;
	f->cow_bytes = (__u64)inum(o, "cow_bytes");
	if (w) {
		f->work_kind = lookup(stall_kind_name, 1, SK_MAX, w, "function");
		f->work_kind = f->work_kind < 0 ? 0 : f->work_kind;
		f->work_ns = num(w, "duration_ns");
		f->work_ret = flag(w, "ok") ? 0 : -1;
	}
}

static void event_from(void *dst, json_object *o)
{
	json_object *b = get(o, "breakdown");
	struct stall_rec *e = dst;
	int v;

	memset(e, 0, sizeof(*e));
	if ((v = lookup(aof_write_event, 0, AW_MAX, o, "event")) >= 0) {
		e->kind = SK_AOF_WRITE;
		e->klass = v;
	} else if ((v = lookup(cycle_name, 0, CYCLE_MAX, o, "event")) >= 0) {
		e->kind = SK_CYCLE;
		e->klass = v;
	} else if ((v = lookup(offcpu_event, OFF_SLEEP, OFF_BLOCKED + 1, o, "event")) >= 0) {
		e->kind = SK_OFFCPU;
		e->klass = v;
	} else {
		e->kind = lookup(stall_kind_name, 1, SK_MAX, o, "event");
	}
	e->wall = num(o, "time");
	e->ts_ns = ns_of_s(e->wall);
	e->dur_ns = num(o, "duration_ns");
	e->pid = (pid_t)inum(o, "pid");
	e->tid = (pid_t)inum(o, "tid");
	e->role = lookup(thread_role_name, 0, ROLE_MAX, o, "thread");
	e->role = e->role < 0 ? ROLE_OTHER : e->role;
	str(e->comm, sizeof(e->comm), o, "comm");
	str(e->file, sizeof(e->file), o, e->kind == SK_COMMAND ? "command" : "file");
	e->fclass = lookup(file_class_name, 0, FC_MAX, o, "file_class");
	e->fclass = e->fclass < 0 ? 0 : e->fclass;
	e->fd = (int)(get(o, "fd") ? inum(o, "fd") : -1);
	e->ret = (int)inum(o, "return");
	e->flags = (flag(o, "blocked_behind_fsync") ? EVF_BLOCKED : 0) |
		   (flag(o, "child_alive") ? EVF_CHILD_LIVE : 0) |
		   (flag(o, "fsync_in_flight") ? EVF_FSYNC_LIVE : 0);
	if (e->kind == SK_RUNQ)
		e->klass = flag(o, "preempted");
	e->oncpu_ns = num(b, "on_cpu_ns");
	/* a cycle's waits, and who had the CPU during a wait, are the event's own */
	e->runq_ns = num(b ? b : o, "run_queue_ns");
	e->keys = (unsigned long long)inum(o, "keys_evicted");
	e->sleep_ns = num(b, "sleeping_ns");
	e->block_ns = num(b, "blocked_ns");
	e->minflt = (unsigned long long)inum(b, "minor_faults");
	e->majflt = (unsigned long long)inum(b, "major_faults");
	e->other_pid = (pid_t)inum(b ? b : o, "cpu_taken_by_pid");
	str(e->other_comm, sizeof(e->other_comm), b ? b : o, "cpu_taken_by_comm");
}

static void thief_from(void *dst, json_object *o)
{
	struct thief *t = dst;

	t->pid = (pid_t)inum(o, "pid");
	str(t->comm, sizeof(t->comm), o, "comm");
	t->ns = num(o, "ns");
}

/* The array a as n structs of size bytes, each filled by fill. -1 on ENOMEM. */
static int array_from(json_object *a, size_t size, void **out, size_t *n,
		      void (*fill)(void *dst, json_object *o))
{
	size_t i;

	*n = alen(a);
	*out = *n ? calloc(*n, size) : NULL;
	if (*n && !*out)
		return -1;
	for (i = 0; i < *n; i++)
		fill((char *)*out + i * size, at(a, i));
	return 0;
}

static int stalls_from(struct inst_report *in, json_object *st)
{
	struct inst_stalls *s = calloc(1, sizeof(*s));
	json_object *mt = get(st, "main_thread");
	struct thief *th = NULL;
	size_t n;

	if (!s)
		return -1;
	in->st = s;
	s->pid = in->pid;
	str(in->missing, sizeof(in->missing), st, "not_probed");
	s->have_fault_tp = flag(st, "parent_faults_counted");
	s->have_fork_probe = flag(st, "fork_function_probed");
	s->have_cow_probe = flag(st, "cow_probed");
	s->not_kept = (unsigned long)inum(st, "events_not_kept");
	if (array_from(get(st, "forks"), sizeof(*s->forks), (void **)&s->forks, &s->nforks, fork_from) ||
	    array_from(get(st, "events"), sizeof(*s->events), (void **)&s->events, &s->nevents, event_from) ||
	    array_from(get(mt, "cpu_taken_by"), sizeof(*th), (void **)&th, &n, thief_from))
		return -1;
	s->capforks = s->nforks;
	s->capevents = s->nevents;
	stalls_set_thieves(s, th, n);
	free(th);
	if (hists_from(s, st))
		return -1;
	stalls_sort(s);
	return 0;
}

static int timeline_from(struct run_report *r, int inst, json_object *a)
{
	static const char *const cls[TL_CLASSES] = { "fast-command", "command" };
	size_t i;
	int c, k;

	for (i = 0; i < alen(a); i++) {
		json_object *o = at(a, i);
		struct tl_slice *sl;

		if (r->tl.n == r->tl.cap) {
			size_t cap = r->tl.cap ? 2 * r->tl.cap : 64;

			sl = realloc(r->tl.s, cap * sizeof(*sl));
			if (!sl)
				return -1;
			r->tl.s = sl;
			r->tl.cap = cap;
		}
		sl = &r->tl.s[r->tl.n++];
		memset(sl, 0, sizeof(*sl));
		sl->inst = inst;
		sl->t = num(o, "time");
		sl->len_s = num(o, "length_s");
		for (c = 0; c < TL_CLASSES; c++)
			for (k = 0; k < TL_BUCKETS; k++)
				sl->n[c][k] = (__u64)json_object_get_int64(at(get(o, cls[c]), (size_t)k));
	}
	return 0;
}

static const char *const stat_keys[STAT_MAX] = {
	"command_probe_hits", "pair_probe_hits", "syscall_hits",
	"dropped_hist_full", "dropped_name_unreadable", "dropped_pending_full",
	"late_hits", "dropped_fd_evicted", "dropped_state_full", "cycle_probe_hits",
};
static const char *const sst_keys[SST_MAX] = {
	"stall_events", "stall_events_lost", "stall_hist_full", "children_not_followed",
	"stall_inflight_full", "thieves_full",
};

const char *report_stat_key(int k)
{
	return k >= 0 && k < STAT_MAX ? stat_keys[k] : NULL;
}

const char *report_stall_stat_key(int k)
{
	return k >= 0 && k < SST_MAX ? sst_keys[k] : NULL;
}

static int seterr(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -1;
}

int report_from_json(const char *path, struct run_report *r, char *err, size_t errlen)
{
	json_object *root, *insts, *stats;
	const char *mode;
	size_t i;
	int k, rc = -1;

	memset(r, 0, sizeof(*r));
	root = json_object_from_file(path);
	if (!root)
		return seterr(err, errlen, "cannot read %s: %s", path,
			      access(path, R_OK) ? strerror(errno) : "not a JSON document");
	mode = json_object_get_string(get(root, "mode"));
	insts = get(root, "instances");
	if (!mode || !json_object_is_type(insts, json_type_array) || !get(root, "threshold_ms")) {
		seterr(err, errlen, "%s is not a redlat report (no mode, threshold_ms or instances): "
		       "give a file written by redlat --json", path);
		goto out;
	}
	r->exact = !strcmp(mode, "exact");
	r->stalls_only = !strcmp(mode, "stalls-only");
	r->threshold_ms = num(root, "threshold_ms");
	r->duration_s = num(root, "duration_s");
	r->start_wall = num(root, "start_time");	/* 0 when absent */
	r->hit_ns = num(get(root, "probe_cost"), "hit_ns");
	r->pair_bias_ns = num(get(root, "probe_cost"), "pair_bias_ns");
	r->budget = num(get(root, "sampling"), "budget");
	r->attached_s = num(get(root, "sampling"), "attached_s");
	r->windows = (unsigned long)inum(get(root, "sampling"), "windows");
	r->scale = get(root, "sampling") ? num(get(root, "sampling"), "scale") : 1;
	{
		const char *it = json_object_get_string(get(get(root, "sampling"), "iterations"));

		r->loops_windowed = it && !strcmp(it, "windows");
	}
	r->end_wall = num(root, "end_time");
	str(r->thp_enabled, sizeof(r->thp_enabled), root, "thp_enabled");
	stats = get(root, "stats");
	for (k = 0; k < STAT_MAX; k++)
		r->stats[k] = (unsigned long long)inum(stats, stat_keys[k]);
	for (k = 0; k < SST_MAX; k++)
		r->stall_stats[k] = (unsigned long long)inum(stats, sst_keys[k]);
	/* stall_events_not_kept is the instances' events_not_kept, summed */
	r->not_followed = (unsigned long)inum(stats, "instances_not_followed");
	r->ninsts = alen(insts);
	r->insts = r->ninsts ? calloc(r->ninsts, sizeof(*r->insts)) : NULL;
	if (r->ninsts && !r->insts)
		goto nomem;
	for (i = 0; i < r->ninsts; i++) {
		struct inst_report *in = &r->insts[i];
		json_object *o = at(insts, i), *ports = get(o, "ports");

		in->pid = (pid_t)inum(o, "pid");
		str(in->exe, sizeof(in->exe), o, "exe");
		str(in->product, sizeof(in->product), o, "product");
		str(in->version, sizeof(in->version), o, "version");
		str(in->probes, sizeof(in->probes), o, "probes");
		hooks_from(in, get(o, "hooks"));
		in->ended = flag(o, "ended");
		memory_from(in, get(o, "memory"));
		in->restart_of = (pid_t)inum(o, "restart_of");
		in->since_wall = num(o, "traced_since");
		for (k = 0; k < MAX_PORTS && (size_t)k < alen(ports); k++)
			in->ports[in->nports++] = (int)json_object_get_int(at(ports, (size_t)k));
		if (cmds_from(in, get(o, "commands")) ||
		    (get(o, "stalls") && stalls_from(in, get(o, "stalls"))) ||
		    timeline_from(r, (int)i, get(o, "timeline")))
			goto nomem;
	}
	rc = 0;
	goto out;
nomem:
	seterr(err, errlen, "out of memory reading %s", path);
out:
	json_object_put(root);
	if (rc)
		report_loaded_free(r);
	return rc;
}

void report_loaded_free(struct run_report *r)
{
	size_t i;

	for (i = 0; i < r->ninsts; i++)
		if (r->insts[i].st) {
			stalls_free(r->insts[i].st);
			free(r->insts[i].st);
		}
	timeline_free(&r->tl);
	run_report_free(r);
}
