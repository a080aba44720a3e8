// SPDX-License-Identifier: GPL-2.0
/* The report as one JSON document, built with json-c (Debian's libjson-c):
 * escaping and number formatting are its job, not printf's. */
#include <json.h>
#include <math.h>
#include "histo.h"
#include "report.h"
#include "util.h"

static void add_double(json_object *o, const char *k, double v)
{
	json_object_object_add(o, k, json_object_new_double(v));
}

static void add_int(json_object *o, const char *k, long long v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static json_object *span_json(const struct cmd_stat *c, int span, const struct run_report *r)
{
	static const struct { const char *key; double p; } pcts[NPCTS] = {
		{ "p50_ns", 50 }, { "p90_ns", 90 }, { "p99_ns", 99 }, { "p999_ns", 99.9 },
	};
	const struct hist *h = &c->span[span];
	json_object *o = json_object_new_object();
	size_t i;

	add_int(o, "count", (long long)h->count);
	add_int(o, "total_ns", (long long)h->sum_ns);
	add_double(o, "mean_ns", hist_mean(h));
	for (i = 0; i < ARRAY_SIZE(pcts); i++)
		add_double(o, pcts[i].key, hist_percentile(h, pcts[i].p));
	add_int(o, "max_ns", (long long)h->max_ns);
	if (!r->exact) {
		json_object *ci = json_object_new_object(), *cr = json_object_new_array();
		double n = c->span[SPAN_EXEC].count ? (double)h->count / c->span[SPAN_EXEC].count : 0;
		double half = 1.96 * sqrt(c->est_var);

		/* the response span's samples scale as the execution span's */
		add_double(o, "estimated_count", c->est_count * n);
		add_double(o, "estimated_total_ns", c->span[SPAN_EXEC].count ?
			   h->sum_ns * c->est_count / c->span[SPAN_EXEC].count : 0);
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
	}
	return o;
}

int render_json(FILE *f, const struct run_report *r)
{
	static const char *const stat_keys[STAT_MAX] = {
		"command_probe_hits", "pair_probe_hits", "syscall_hits",
		"dropped_hist_full", "dropped_name_unreadable", "dropped_pending_full",
		"late_hits",
	};
	json_object *root = json_object_new_object(), *insts = json_object_new_array();
	json_object *probe = json_object_new_object(), *stats = json_object_new_object();
	size_t i, j;
	int k;

	json_object_object_add(root, "mode", json_object_new_string(r->exact ? "exact" : "sampled"));
	add_double(root, "duration_s", r->duration_s);
	add_double(probe, "hit_ns", r->hit_ns);
	add_double(probe, "pair_bias_ns", r->pair_bias_ns);
	json_object_object_add(root, "probe_cost", probe);
	if (!r->exact) {
		json_object *s = json_object_new_object();

		add_double(s, "budget", r->budget);
		add_double(s, "attached_s", r->attached_s);
		add_int(s, "windows", (long long)r->windows);
		add_double(s, "scale", r->scale);
		json_object_object_add(root, "sampling", s);
	}
	for (k = 0; k < STAT_MAX; k++)
		add_int(stats, stat_keys[k], (long long)r->stats[k]);
	json_object_object_add(root, "stats", stats);
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
		json_object_object_add(o, "probes", json_object_new_string(in->probes));
		for (j = 0; j < in->ncmds; j++) {
			json_object *c = json_object_new_object();

			json_object_object_add(c, "name", json_object_new_string(in->cmds[j].name));
			json_object_object_add(c, "execution", span_json(&in->cmds[j], SPAN_EXEC, r));
			json_object_object_add(c, "response", span_json(&in->cmds[j], SPAN_RESPONSE, r));
			json_object_array_add(cmds, c);
		}
		json_object_object_add(o, "commands", cmds);
		json_object_array_add(insts, o);
	}
	json_object_object_add(root, "instances", insts);
	fprintf(f, "%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return 0;
}
