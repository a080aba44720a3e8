// SPDX-License-Identifier: GPL-2.0
/* The report as one JSON document, built with json-c (Debian's libjson-c):
 * escaping and number formatting are its job, not printf's. */
#include <json.h>
#include <math.h>
#include "histo.h"
#include "report.h"
#include "stalls_user.h"
#include "util.h"

static void add_double(json_object *o, const char *k, double v)
{
	json_object_object_add(o, k, json_object_new_double(v));
}

static void add_int(json_object *o, const char *k, long long v);

/* Each hook: how it was probed and whether it fired (user/hooks_user.h). */
static json_object *hooks_json(const struct inst_report *in)
{
	json_object *a = json_object_new_array();
	int i;

	for (i = 0; i < in->nhooks; i++) {
		const struct hook_status *h = &in->hooks[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "hook", json_object_new_string(h->hook));
		json_object_object_add(o, "function", json_object_new_string(h->function));
		json_object_object_add(o, "strategy", json_object_new_string(hook_strategy_name(h->strategy)));
		json_object_object_add(o, "verdict", json_object_new_string(hook_verdict_name(h->verdict)));
		add_int(o, "hits", (long long)h->hits);
		add_int(o, "expected", (long long)h->expected);
		json_object_object_add(o, "note", json_object_new_string(h->note));
		json_object_array_add(a, o);
	}
	return a;
}

static void add_int(json_object *o, const char *k, long long v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static const struct { const char *key; double p; } pcts[NPCTS] = {
	{ "p50_ns", 50 }, { "p90_ns", 90 }, { "p99_ns", 99 }, { "p999_ns", 99.9 },
};

/* The histogram itself, so that --replay renders what the run rendered:
 * [lowest ns of the slot, count] for each slot holding samples. */
static json_object *buckets_json(const struct hist *h)
{
	json_object *a = json_object_new_array();
	__u32 i;

	for (i = 0; i < HIST_SLOTS; i++) {
		json_object *b;

		if (!h->slots[i])
			continue;
		b = json_object_new_array();
		json_object_array_add(b, json_object_new_int64((int64_t)hist_slot_low(i)));
		json_object_array_add(b, json_object_new_int64((int64_t)h->slots[i]));
		json_object_array_add(a, b);
	}
	return a;
}

/* count, total, mean, the percentiles, max and buckets of a histogram */
static json_object *hist_json(const struct hist *h)
{
	json_object *o = json_object_new_object();
	size_t i;

	add_int(o, "count", (long long)h->count);
	add_int(o, "total_ns", (long long)h->sum_ns);
	add_double(o, "mean_ns", hist_mean(h));
	for (i = 0; i < ARRAY_SIZE(pcts); i++)
		add_double(o, pcts[i].key, hist_percentile(h, pcts[i].p));
	add_int(o, "max_ns", (long long)h->max_ns);
	json_object_object_add(o, "buckets", buckets_json(h));
	return o;
}

static json_object *span_json(const struct cmd_stat *c, int span, const struct run_report *r)
{
	const struct hist *h = &c->span[span];
	json_object *o = hist_json(h);
	size_t i;

	if (!r->exact) {
		json_object *ci = json_object_new_object(), *cr = json_object_new_array();
		double n = c->span[SPAN_EXEC].count ? (double)h->count / c->span[SPAN_EXEC].count : 0;
		double half = 1.96 * sqrt(c->est_var);

		/* the response span's samples scale as the execution span's */
		add_double(o, "estimated_count", c->est_count * n);
		add_double(o, "estimated_total_ns", span == SPAN_EXEC ? c->est_sum_ns :
			   c->span[SPAN_EXEC].count ? h->sum_ns * c->est_count / c->span[SPAN_EXEC].count : 0);
		json_object_array_add(cr, json_object_new_double(c->est_count - half > 0 ?
								   (c->est_count - half) * n : 0));
		json_object_array_add(cr, json_object_new_double((c->est_count + half) * n));
		json_object_object_add(ci, "estimated_count", cr);
		for (i = 0; i < ARRAY_SIZE(pcts); i++) {
			json_object *range = json_object_new_array();
			double lo, hi;

			if (span == SPAN_EXEC)
				cmd_pct_range(c, (int)i, &lo, &hi);
			else
				hist_percentile_ci(h, pcts[i].p, &lo, &hi);
			json_object_array_add(range, json_object_new_double(lo));
			json_object_array_add(range, json_object_new_double(hi));
			json_object_object_add(ci, pcts[i].key, range);
		}
		json_object_object_add(o, "ci95", ci);
		if (span == SPAN_EXEC) {
			json_object *w = json_object_new_object(), *lo = json_object_new_array();
			json_object *hi = json_object_new_array();

			/* what the estimate and the ranges were computed from */
			add_double(o, "estimated_count_variance", c->est_var);
			add_int(w, "windows", c->nwin);
			for (i = 0; i < NPCTS; i++) {
				json_object_array_add(lo, json_object_new_double(c->win_lo[i]));
				json_object_array_add(hi, json_object_new_double(c->win_hi[i]));
			}
			json_object_object_add(w, "low_ns", lo);
			json_object_object_add(w, "high_ns", hi);
			json_object_object_add(o, "window_percentiles", w);
		}
	}
	return o;
}

static json_object *fork_json(const struct fork_rec *fr)
{
	json_object *o = json_object_new_object();
	double gbs = fork_rate_gbs(fr);

	add_int(o, "child_pid", fr->child);
	json_object_object_add(o, "purpose", json_object_new_string(fork_purpose_name(fr->purpose)));
	json_object_object_add(o, "seen", json_object_new_boolean(fr->seen_fork));
	if (fr->seen_fork) {
		add_double(o, "time", fr->wall);
		add_double(o, "stall_ns", fr->stall_ns);
		add_double(o, "syscall_ns", fr->sys_ns);
		add_double(o, "cpu_wait_ns", fr->wait_ns);
		add_int(o, "rss_bytes", (long long)fr->rss_bytes);
		add_int(o, "pgtable_bytes", (long long)fr->pgtable_bytes);
		if (gbs > 0) {
			add_double(o, "rate_gb_per_s", gbs);
			json_object_object_add(o, "rating", json_object_new_string(fork_rating(gbs)));
		}
	}
	json_object_object_add(o, "exited", json_object_new_boolean(fr->exited));
	if (fr->exited) {
		if (fr->seen_fork)
			add_double(o, "lifetime_ns", fr->life_ns);
		if (fr->exit_code & 0x7f)
			add_int(o, "exit_signal", fr->exit_code & 0x7f);
		else
			add_int(o, "exit_status", (fr->exit_code >> 8) & 0xff);
		add_int(o, "parent_faults", (long long)fr->faults);
		add_int(o, "parent_cow_faults", (long long)fr->cow_faults);
	}
	if (fr->has_cow)
		add_int(o, "cow_bytes", (long long)fr->cow_bytes);
	if (fr->work_kind) {
		json_object *w = json_object_new_object();

		json_object_object_add(w, "function", json_object_new_string(stall_kind_name(fr->work_kind)));
		add_double(w, "duration_ns", fr->work_ns);
		json_object_object_add(w, "ok", json_object_new_boolean(fr->work_ret == 0));
		json_object_object_add(o, "child_work", w);
	}
	return o;
}

/* who had the CPU while the main thread waited */
static void add_taken(json_object *o, const struct stall_rec *e)
{
	if (!e->other_pid)
		return;
	add_int(o, "cpu_taken_by_pid", e->other_pid);
	json_object_object_add(o, "cpu_taken_by_comm", json_object_new_string(e->other_comm));
}

static json_object *event_json(const struct stall_rec *e)
{
	json_object *o = json_object_new_object();
	int loop = e->kind == SK_LOOP || e->kind == SK_COMMAND;

	json_object_object_add(o, "event", json_object_new_string(
		e->kind == SK_AOF_WRITE ? aof_write_event(e->klass) :
		e->kind == SK_CYCLE ? cycle_name(e->klass) :
		e->kind == SK_OFFCPU ? offcpu_event(e->klass) : stall_kind_name(e->kind)));
	if (e->kind == SK_COMMAND)
		json_object_object_add(o, "command", json_object_new_string(e->file));
	add_double(o, "time", e->wall);
	add_double(o, "duration_ns", e->dur_ns);
	add_int(o, "pid", e->pid);
	add_int(o, "tid", e->tid);
	json_object_object_add(o, "thread", json_object_new_string(thread_role_name(e->role)));
	json_object_object_add(o, "comm", json_object_new_string(e->comm));
	if (loop) {
		json_object *b = json_object_new_object();

		add_double(b, "on_cpu_ns", e->oncpu_ns);
		add_double(b, "run_queue_ns", e->runq_ns);
		add_double(b, "sleeping_ns", e->sleep_ns);
		add_double(b, "blocked_ns", e->block_ns);
		add_int(b, "minor_faults", (long long)e->minflt);
		add_int(b, "major_faults", (long long)e->majflt);
		add_taken(b, e);
		json_object_object_add(o, "breakdown", b);
	} else if (e->kind == SK_RUNQ || e->kind == SK_OFFCPU) {	/* the doctor's waits and off-CPU */
		if (e->kind == SK_RUNQ)
			json_object_object_add(o, "preempted", json_object_new_boolean(e->klass));
		add_taken(o, e);
	} else if (e->kind == SK_CYCLE) {
		if (e->runq_ns > 0)	/* the waits for a CPU inside it, for the doctor */
			add_double(o, "run_queue_ns", e->runq_ns);
		if (e->klass == CYCLE_EVICT)
			add_int(o, "keys_evicted", (long long)e->keys);
	} else if (e->kind != SK_RDB_SAVE && e->kind != SK_AOF_REWRITE) {
		add_int(o, "fd", e->fd);
		json_object_object_add(o, "file", json_object_new_string(e->file));
		json_object_object_add(o, "file_class", json_object_new_string(file_class_name(e->fclass)));
	}
	add_int(o, "return", e->ret);
	json_object_object_add(o, "blocked_behind_fsync", json_object_new_boolean(e->flags & EVF_BLOCKED));
	json_object_object_add(o, "child_alive", json_object_new_boolean(e->flags & EVF_CHILD_LIVE));
	json_object_object_add(o, "fsync_in_flight", json_object_new_boolean(e->flags & EVF_FSYNC_LIVE));
	return o;
}

static json_object *stalls_json(const struct inst_report *in)
{
	const struct inst_stalls *s = in->st;
	json_object *o = json_object_new_object(), *forks = json_object_new_array();
	json_object *syncs = json_object_new_array(), *writes = json_object_new_array();
	json_object *persist = json_object_new_array(), *events = json_object_new_array();
	json_object *cycles = json_object_new_array();
	size_t i;

	for (i = 0; i < s->nforks; i++)
		json_object_array_add(forks, fork_json(&s->forks[i]));
	for (i = 0; i < s->nhists; i++) {
		const struct stall_key *k = &s->hists[i].key;
		json_object *h;

		if (k->kind == SK_FORK || k->kind == SK_LOOP || k->kind == SK_RUNQ || k->kind == SK_OFFCPU)
			continue;
		if (k->kind == SK_CYCLE) {
			h = hist_json(&s->hists[i].h);
			json_object_object_add(h, "event", json_object_new_string(cycle_name(k->role)));
			json_object_array_add(cycles, h);
			continue;
		}
		h = hist_json(&s->hists[i].h);
		if (k->kind == SK_AOF_WRITE) {
			json_object_object_add(h, "event", json_object_new_string(aof_write_event(k->role)));
			json_object_array_add(writes, h);
			continue;
		}
		json_object_object_add(h, k->kind == SK_RDB_SAVE || k->kind == SK_AOF_REWRITE ? "function" :
				       "syscall", json_object_new_string(stall_kind_name(k->kind)));
		json_object_object_add(h, "thread", json_object_new_string(thread_role_name(k->role)));
		if (k->kind == SK_RDB_SAVE || k->kind == SK_AOF_REWRITE) {
			json_object_array_add(persist, h);
			continue;
		}
		json_object_object_add(h, "file_class", json_object_new_string(file_class_name(k->fclass)));
		json_object_array_add(syncs, h);
	}
	for (i = 0; i < s->nevents; i++)
		json_object_array_add(events, event_json(&s->events[i]));
	{
		json_object *mt = json_object_new_object(), *th = json_object_new_array();
		struct hist h;

		stalls_hist_sum(s, SK_LOOP, -1, -1, &h);
		json_object_object_add(mt, "iterations", hist_json(&h));
		stalls_hist_sum(s, SK_RUNQ, -1, -1, &h);
		json_object_object_add(mt, "run_queue", hist_json(&h));
		stalls_hist_sum(s, SK_RUNQ, 1, -1, &h);
		add_int(mt, "involuntary_switches", (long long)h.count);
		json_object_object_add(mt, "run_queue_preempted", hist_json(&h));
		stalls_hist_sum(s, SK_OFFCPU, 1, -1, &h);
		json_object_object_add(mt, "off_cpu_sleeping", hist_json(&h));
		stalls_hist_sum(s, SK_OFFCPU, 2, -1, &h);
		json_object_object_add(mt, "off_cpu_uninterruptible", hist_json(&h));
		for (i = 0; i < s->nthieves; i++) {
			json_object *t = json_object_new_object();

			add_int(t, "pid", s->thieves[i].pid);
			json_object_object_add(t, "comm", json_object_new_string(s->thieves[i].comm));
			add_double(t, "ns", s->thieves[i].ns);
			json_object_array_add(th, t);
		}
		json_object_object_add(mt, "cpu_taken_by", th);
		json_object_object_add(o, "main_thread", mt);
	}
	json_object_object_add(o, "forks", forks);
	json_object_object_add(o, "syncs", syncs);
	json_object_object_add(o, "aof_writes", writes);
	json_object_object_add(o, "persistence", persist);
	json_object_object_add(o, "events", events);
	json_object_object_add(o, "cycles", cycles);
	add_int(o, "events_not_kept", (long long)s->not_kept);
	json_object_object_add(o, "not_probed", json_object_new_string(in->missing));
	json_object_object_add(o, "parent_faults_counted", json_object_new_boolean(s->have_fault_tp));
	json_object_object_add(o, "fork_function_probed", json_object_new_boolean(s->have_fork_probe));
	json_object_object_add(o, "cow_probed", json_object_new_boolean(s->have_cow_probe));
	return o;
}

/* The instance's slices of the timeline: counts by class and bucket. */
static json_object *timeline_json(const struct run_report *r, int inst)
{
	static const char *const cls[TL_CLASSES] = { "fast-command", "command" };
	json_object *a = json_object_new_array();
	size_t i;
	int c, k;

	for (i = 0; i < r->tl.n; i++) {
		const struct tl_slice *sl = &r->tl.s[i];
		json_object *o;

		if (sl->inst != inst)
			continue;
		o = json_object_new_object();
		add_double(o, "time", sl->t);
		add_double(o, "length_s", sl->len_s);
		for (c = 0; c < TL_CLASSES; c++) {
			json_object *b = json_object_new_array();

			for (k = 0; k < TL_BUCKETS; k++)
				json_object_array_add(b, json_object_new_int64(sl->n[c][k]));
			json_object_object_add(o, cls[c], b);
		}
		json_object_array_add(a, o);
	}
	return a;
}

/* The doctor's memory evidence, read from /proc: what is unknown is left
 * out (and the object, when nothing is known). */
static void add_known(json_object *o, const char *k, long long v)
{
	if (v >= 0)
		add_int(o, k, v);
}

static void add_memory(json_object *o, const struct inst_report *in)
{
	json_object *m;

	if (in->anon_huge_bytes < 0 && in->swap_bytes < 0 && in->major_faults < 0)
		return;
	m = json_object_new_object();
	add_known(m, "anon_huge_pages_bytes", in->anon_huge_bytes);
	add_known(m, "swap_bytes", in->swap_bytes);
	add_known(m, "major_faults", in->major_faults);
	json_object_object_add(o, "memory", m);
}

int render_json(FILE *f, const struct run_report *r)
{
	json_object *root = json_object_new_object(), *insts = json_object_new_array();
	json_object *probe = json_object_new_object(), *stats = json_object_new_object();
	size_t i, j;
	int k;


	/* the schema: tests/schema/redlat-report.schema.json */
	json_object_object_add(root, "format", json_object_new_string("redlat-report-1"));
	json_object_object_add(root, "mode", json_object_new_string(r->stalls_only ? "stalls-only" :
								    r->exact ? "exact" : "sampled"));
	add_double(root, "threshold_ms", r->threshold_ms);
	add_double(root, "duration_s", r->duration_s);
	/* the doctor's evidence: the run's end (periods), the host's THP setting */
	if (r->end_wall > 0)
		add_double(root, "end_time", r->end_wall);
	if (r->thp_enabled[0])
		json_object_object_add(root, "thp_enabled", json_object_new_string(r->thp_enabled));
	if (r->start_wall > 0)	/* absent from documents of older runs */
		add_double(root, "start_time", r->start_wall);
	add_double(probe, "hit_ns", r->hit_ns);
	add_double(probe, "pair_bias_ns", r->pair_bias_ns);
	json_object_object_add(root, "probe_cost", probe);
	if (!r->exact && !r->stalls_only) {
		json_object *s = json_object_new_object();

		add_double(s, "budget", r->budget);
		add_double(s, "attached_s", r->attached_s);
		add_int(s, "windows", (long long)r->windows);
		add_double(s, "scale", r->scale);
		/* absent: all (as in the runs before iterations were windowed) */
		if (r->loops_windowed)
			json_object_object_add(s, "iterations", json_object_new_string("windows"));
		json_object_object_add(root, "sampling", s);
	}
	for (k = 0; k < STAT_MAX; k++)
		add_int(stats, report_stat_key(k), (long long)r->stats[k]);
	for (k = 0; k < SST_MAX; k++)
		add_int(stats, report_stall_stat_key(k), (long long)r->stall_stats[k]);
	add_int(stats, "stall_events_not_kept", (long long)run_not_kept(r));
	add_int(stats, "instances_not_followed", (long long)r->not_followed);
	json_object_object_add(root, "stats", stats);
	{
		json_object *b = json_object_new_array();

		for (k = 0; k < TL_BUCKETS; k++)
			json_object_array_add(b, json_object_new_double(tl_bucket_low_ns(k)));
		json_object_object_add(root, "timeline_bucket_low_ns", b);
	}
	for (i = 0; i < r->ninsts; i++) {
		const struct inst_report *in = &r->insts[i];
		json_object *o = json_object_new_object(), *ports = json_object_new_array();
		json_object *cmds = json_object_new_array();

		add_int(o, "pid", in->pid);
		json_object_object_add(o, "exe", json_object_new_string(in->exe));
		json_object_object_add(o, "product", json_object_new_string(in->product));
		json_object_object_add(o, "version", json_object_new_string(in->version));
		for (k = 0; k < in->nports; k++)
			json_object_array_add(ports, json_object_new_int(in->ports[k]));
		json_object_object_add(o, "ports", ports);
		json_object_object_add(o, "ended", json_object_new_boolean(in->ended));
		json_object_object_add(o, "restart_of", in->restart_of ? json_object_new_int(in->restart_of) : NULL);
		if (in->since_wall)
			add_double(o, "traced_since", in->since_wall);
		json_object_object_add(o, "probes", json_object_new_string(in->probes));
		if (in->nhooks)
			json_object_object_add(o, "hooks", hooks_json(in));
		add_memory(o, in);
		for (j = 0; j < in->ncmds; j++) {
			json_object *c = json_object_new_object();

			json_object_object_add(c, "name", json_object_new_string(in->cmds[j].name));
			json_object_object_add(c, "execution", span_json(&in->cmds[j], SPAN_EXEC, r));
			json_object_object_add(c, "response", span_json(&in->cmds[j], SPAN_RESPONSE, r));
			json_object_array_add(cmds, c);
		}
		json_object_object_add(o, "commands", cmds);
		json_object_object_add(o, "timeline", timeline_json(r, (int)i));
		if (in->st)
			json_object_object_add(o, "stalls", stalls_json(in));
		json_object_object_add(o, "doctor", doctor_json(r, in));
		json_object_array_add(insts, o);
	}
	json_object_object_add(root, "instances", insts);
	fprintf(f, "%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return 0;
}
