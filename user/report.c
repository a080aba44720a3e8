// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "histo.h"
#include "report.h"
#include "stalls_user.h"
#include "util.h"


struct cmd_stat *inst_cmd(struct inst_report *in, const char *name)
{
	struct cmd_stat *c;
	size_t i;

	for (i = 0; i < in->ncmds; i++)
		if (!strncmp(in->cmds[i].name, name, CMD_NAME_LEN))
			return &in->cmds[i];
	if (in->ncmds == in->cap) {
		size_t cap = in->cap ? in->cap * 2 : 32;

		c = realloc(in->cmds, cap * sizeof(*c));
		if (!c)
			return NULL;
		in->cmds = c;
		in->cap = cap;
	}
	c = &in->cmds[in->ncmds++];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	return c;
}

const double report_pcts[NPCTS] = { 50, 90, 99, 99.9 };

/* Fewer samples of a command in one window say nothing of its tail. */
#define WINDOW_MIN_SAMPLES 100

void inst_window_spread(struct inst_report *cur, struct inst_report *prev)
{
	struct hist *d = malloc(sizeof(*d));
	size_t i;
	int k;

	if (!d)
		return;
	for (i = 0; i < cur->ncmds; i++) {
		struct cmd_stat *c = &cur->cmds[i], *p = prev ? inst_cmd(prev, c->name) : NULL;
		static const struct hist empty;

		hist_delta(d, &c->span[SPAN_EXEC], p ? &p->span[SPAN_EXEC] : &empty);
		if (d->count < WINDOW_MIN_SAMPLES)
			continue;
		for (k = 0; k < NPCTS; k++) {
			double v = hist_percentile(d, report_pcts[k]);

			if (!c->nwin || v < c->win_lo[k])
				c->win_lo[k] = v;
			if (!c->nwin || v > c->win_hi[k])
				c->win_hi[k] = v;
		}
		c->nwin++;
	}
	free(d);
}

void cmd_pct_range(const struct cmd_stat *c, int k, double *lo, double *hi)
{
	hist_percentile_ci(&c->span[SPAN_EXEC], report_pcts[k], lo, hi);
	if (c->nwin >= 2) {
		if (c->win_lo[k] < *lo)
			*lo = c->win_lo[k];
		if (c->win_hi[k] > *hi)
			*hi = c->win_hi[k];
	}
}

void inst_weigh(struct inst_report *in, double weight)
{
	size_t i;

	for (i = 0; i < in->ncmds; i++) {
		struct cmd_stat *c = &in->cmds[i];
		const struct hist *e = &c->span[SPAN_EXEC];

		c->last_n = e->count - c->seen_count;
		c->last_sum_ns = e->sum_ns - c->seen_sum_ns;
		c->last_w = weight;
		c->est_count += (double)c->last_n * weight;
		c->est_sum_ns += (double)c->last_sum_ns * weight;
		c->est_var += (double)c->last_n * weight * weight;
		c->seen_count = e->count;
		c->seen_sum_ns = e->sum_ns;
	}
}

void inst_weigh_more(struct inst_report *in, double extra)
{
	size_t i;

	for (i = 0; i < in->ncmds; i++) {
		struct cmd_stat *c = &in->cmds[i];
		double w = c->last_w + extra;

		c->est_count += (double)c->last_n * extra;
		c->est_sum_ns += (double)c->last_sum_ns * extra;
		c->est_var += (double)c->last_n * (w * w - c->last_w * c->last_w);
		c->last_w = w;
	}
}

double run_scale(const struct run_report *r)
{
	double est = 0, seen = 0;
	size_t i, j;

	for (i = 0; i < r->ninsts; i++)
		for (j = 0; j < r->insts[i].ncmds; j++) {
			est += r->insts[i].cmds[j].est_count;
			seen += (double)r->insts[i].cmds[j].seen_count;
		}
	return seen > 0 ? est / seen : 1.0;
}

double cmd_est_count(const struct run_report *r, const struct cmd_stat *c)
{
	return r->exact || r->raw_counts ? (double)c->span[SPAN_EXEC].count : c->est_count;
}

double cmd_est_sum(const struct run_report *r, const struct cmd_stat *c)
{
	return r->exact || r->raw_counts ? (double)c->span[SPAN_EXEC].sum_ns : c->est_sum_ns;
}

static int by_total(const void *a, const void *b)
{
	const struct cmd_stat *x = a, *y = b;
	/* sampled mode sorts by the estimate, as the TOTAL column shows */
	double tx = x->est_count > 0 ? x->est_sum_ns : (double)x->span[SPAN_EXEC].sum_ns;
	double ty = y->est_count > 0 ? y->est_sum_ns : (double)y->span[SPAN_EXEC].sum_ns;

	if (tx != ty)
		return tx > ty ? -1 : 1;
	return strcmp(x->name, y->name);
}

void inst_sort(struct inst_report *in)
{
	if (in->ncmds)
		qsort(in->cmds, in->ncmds, sizeof(*in->cmds), by_total);
}

void run_report_free(struct run_report *r)
{
	size_t i;

	for (i = 0; i < r->ninsts; i++)
		free(r->insts[i].cmds);
	free(r->insts);
	r->insts = NULL;
	r->ninsts = 0;
}

static void inst_title(FILE *f, const struct inst_report *in)
{
	int i;

	fprintf(f, "%s %s, pid %d", in->product, in->version, in->pid);
	for (i = 0; i < in->nports; i++)
		fprintf(f, "%s%d", i ? "," : ", port ", in->ports[i]);
	fprintf(f, " (%s)", in->exe);
	if (in->restart_of) {
		time_t t = (time_t)in->since_wall;
		char ts[16];

		strftime(ts, sizeof(ts), "%H:%M:%S", localtime(&t));
		fprintf(f, ", restart of pid %d, traced from %s", in->restart_of, ts);
	}
	fprintf(f, "%s\n", in->ended ? ": the process ended during the run" : "");
}

/* The hooks that are not as in a usual build: a fallback in force, a
 * hook without a direct caller, one silent where it should have fired. */
static void render_hooks(FILE *f, const struct inst_report *in)
{
	int i, n = 0;

	for (i = 0; i < in->nhooks; i++) {
		const struct hook_status *h = &in->hooks[i];

		if (!h->note[0] && h->verdict != HV_SILENT && h->verdict != HV_MISSED)
			continue;
		if (h->strategy == HS_NONE && h->verdict == HV_ABSENT && i)
			continue;	/* said by the "Not probed" line */
		if (!n++)
			fprintf(f, "Probes not as in a usual build (hook, function: how, verdict):\n");
		fprintf(f, "  %s, %s: %s, %s (%llu hits, %llu expected)%s%s\n", h->hook, h->function,
			hook_strategy_name(h->strategy), hook_verdict_name(h->verdict), h->hits, h->expected,
			h->note[0] ? "; " : "", h->note);
	}
}

/* Execution times come from Redis's microsecond clock: 0 is a command that
 * began and ended within one tick. */
static const char *fmt_exec(double ns, char *buf)
{
	return ns < 1 ? "<1us" : fmt_ns(ns, buf, 16);
}

void render_table(FILE *f, const struct run_report *r, const struct inst_report *in)
{
	char b[9][16];
	size_t i;

	fprintf(f, "%-24s %10s %9s %9s %9s %9s %9s %9s %9s | %9s %9s\n", "COMMAND",
		r->exact ? "CALLS" : r->raw_counts ? "SAMPLED" : "~CALLS", "TOTAL", "MEAN", "P50", "P90", "P99", "P99.9", "MAX",
		"RESP-P50", "RESP-P99");
	for (i = 0; i < in->ncmds; i++) {
		const struct cmd_stat *c = &in->cmds[i];
		const struct hist *e = &c->span[SPAN_EXEC], *s = &c->span[SPAN_RESPONSE];

		if (!e->count && !s->count)
			continue;
		fprintf(f, "%-24s %10.0f %9s %9s %9s %9s %9s %9s %9s | %9s %9s\n", c->name,
			cmd_est_count(r, c),
			fmt_ns(cmd_est_sum(r, c), b[0], 16), fmt_ns(hist_mean(e), b[1], 16),
			fmt_exec(hist_percentile(e, 50), b[2]), fmt_exec(hist_percentile(e, 90), b[3]),
			fmt_exec(hist_percentile(e, 99), b[4]), fmt_exec(hist_percentile(e, 99.9), b[5]),
			fmt_exec((double)e->max_ns, b[6]),
			s->count ? fmt_ns(hist_percentile(s, 50), b[7], 16) : "-",
			s->count ? fmt_ns(hist_percentile(s, 99), b[8], 16) : "-");
	}
}

static void render_mode(FILE *f, const struct run_report *r)
{
	char a[16], b[16];

	if (r->stalls_only) {
		fprintf(f, "Stalls-only mode: traced for %.1f s; forks, persistence, fsyncs and AOF writes "
			"from syscall and scheduler tracepoints and uprobes on rare functions; no command "
			"probes.\n", r->duration_s);
		return;
	}
	fprintf(f, "Execution: the command's own run inside call(), as INFO commandstats and "
		"SLOWLOG time it, in Redis's own microseconds (<1us: within one tick; means stay "
		"exact). Response: from the read() of the request to the write() of its reply.\n");
	fprintf(f, "Traced for %.1f s. A probe hit costs %s here; an entry/return pair adds %s "
		"to what it times (subtracted).\n", r->duration_s, fmt_ns(r->hit_ns, a, sizeof(a)),
		fmt_ns(r->pair_bias_ns, b, sizeof(b)));
	if (r->exact) {
		fprintf(f, "Exact mode: every command was probed; counts are exact.\n");
		return;
	}
	fprintf(f, "Sampled mode: probes attached %.2f s of %.1f s (%.2f%%) in %lu windows, "
		"within a %.1f%% overhead budget. ~CALLS and TOTAL are estimates (%.1f per command "
		"seen): each window's commands stand for the read() calls Redis made in it and in "
		"the nearer halves of the gaps around it. Percentiles come from the %llu sampled "
		"commands (95%% ranges in --json, widened to the spread between windows, which "
		"are samples in time: a load that changes faster than the windows come can be "
		"missed).\n",
		r->attached_s, r->duration_s, r->duration_s > 0 ? 100 * r->attached_s / r->duration_s : 0,
		r->windows, r->budget * 100, r->scale, r->stats[STAT_CMD_HITS] + r->stats[STAT_PAIR_HITS]);
}

/* Everything counted but not recorded, in one line: bounded maps and the
 * ring buffer never drop silently. Sampling is not here: the mode line says
 * what a sampled run saw. */
void render_drops(FILE *f, const struct run_report *r)
{
	static const struct { int stall, stat; const char *what; } drops[] = {
		{ 0, STAT_DROP_HIST_FULL, "command samples lost: the histogram map refused a new key (full, or no kernel memory then)" },
		{ 0, STAT_DROP_NAME, "commands whose name could not be read" },
		{ 0, STAT_DROP_PENDING, "response spans past the commands one write answers that redlat tracks" },
		{ 0, STAT_DROP_FD_EVICTED, "response spans whose connection the LRU map evicted" },
		{ 0, STAT_DROP_STATE_FULL, "reads or exec entries not tracked (in-flight map full, or the connections' map refused one)" },
		{ 1, SST_LOST, "stall events lost to a full ring buffer (the histograms count them)" },
		{ 1, SST_HIST_FULL, "stall samples lost: the stall histogram map refused a new key (full, or no kernel memory then)" },
		{ 1, SST_CHILDREN_FULL, "fork children not followed (children map full)" },
		{ 1, SST_INFLIGHT_FULL, "stalls not timed (in-flight map full)" },
		{ 1, SST_THIEVES_FULL, "run-queue waits not charged to the task that had the CPU (map full)" },
	};
	const char *sep = "drops: ";
	unsigned long long n;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(drops); i++) {
		n = drops[i].stall ? r->stall_stats[drops[i].stat] : r->stats[drops[i].stat];
		if (!n)
			continue;
		fprintf(f, "%s%llu %s", sep, n, drops[i].what);
		sep = "; ";
	}
	n = run_not_kept(r);
	if (n) {
		fprintf(f, "%s%llu stall events not kept past %d an instance (the histograms count them)",
			sep, n, MAX_STALL_EVENTS);
		sep = "; ";
	}
	if (r->not_followed) {
		fprintf(f, "%s%lu restarted instances not followed (at most %d a run)", sep,
			r->not_followed, MAX_INSTS);
		sep = "; ";
	}
	if (strcmp(sep, "drops: "))
		fputs(".\n", f);
}

unsigned long long run_not_kept(const struct run_report *r)
{
	unsigned long long n = 0;
	size_t i;

	for (i = 0; i < r->ninsts; i++)
		if (r->insts[i].st)
			n += r->insts[i].st->not_kept;
	return n;
}

void render_text(FILE *f, const struct run_report *r, int all_histograms)
{
	size_t i, j;

	render_mode(f, r);
	render_drops(f, r);
	if (!r->ninsts)
		fprintf(f, "No Redis instance was traced.\n");
	for (i = 0; i < r->ninsts; i++) {
		const struct inst_report *in = &r->insts[i];

		fprintf(f, "\n");
		inst_title(f, in);
		render_hooks(f, in);
		fprintf(f, "\n");
		if (r->stalls_only) {
			fprintf(f, "Commands not traced (--stalls-only).\n");
		} else if (!in->ncmds) {
			fprintf(f, "No command was seen.\n");
		} else {
			render_table(f, r, in);
			for (j = 0; j < in->ncmds && (all_histograms || j < 3); j++) {
				if (!in->cmds[j].span[SPAN_EXEC].count)
					continue;
				fprintf(f, "\n%s execution (%llu %s):\n", in->cmds[j].name,
					(unsigned long long)in->cmds[j].span[SPAN_EXEC].count,
					r->exact ? "calls" : "sampled calls");
				hist_print_log2(f, &in->cmds[j].span[SPAN_EXEC], "");
			}
		}
		render_stalls(f, r, in);
		render_doctor(f, r, in);
	}
}

void report_copy(struct run_report *dst, const struct run_report *src)
{
	size_t i;

	run_report_free(dst);
	dst->insts = calloc(src->ninsts, sizeof(*dst->insts));
	if (!dst->insts)
		return;
	dst->ninsts = src->ninsts;
	for (i = 0; i < src->ninsts; i++) {
		dst->insts[i] = src->insts[i];
		dst->insts[i].cmds = malloc(src->insts[i].ncmds * sizeof(struct cmd_stat) + 1);
		dst->insts[i].cap = dst->insts[i].cmds ? src->insts[i].ncmds : 0;
		dst->insts[i].ncmds = dst->insts[i].cap;
		if (dst->insts[i].cmds)
			memcpy(dst->insts[i].cmds, src->insts[i].cmds, dst->insts[i].ncmds * sizeof(struct cmd_stat));
	}
}
