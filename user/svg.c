// SPDX-License-Identifier: GPL-2.0
/* The run as an SVG picture: per instance, lanes of stalls over time and
 * an execution-time heatmap per command class, on one time axis. Plain
 * SVG 1.1 with no script and no font file, so that browsers and
 * rsvg-convert draw it alike; each mark's figures are in its <title>,
 * which viewers show on hover. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "stalls_user.h"
#include "svg.h"
#include "util.h"

#define WIDTH 1200
#define PX0 170.0		/* the plot's left edge: lane labels before it */
#define PX1 1100.0		/* its right edge: the colour scale after it */
#define LANE_H 22.0
#define BAR_Y 4.0		/* a mark's top within its lane */
#define BAR_H 14.0
#define MIN_W 2.0		/* a mark's least width, so a 1 ms stall shows on an hour */
#define ROW_H 9.0		/* a heatmap row: one latency bucket */
#define HEAT_ROWS_MIN 8
#define CHAR_W 6.0		/* a character's advance at 10 px, to fit labels */

#define SYNC_KINDS (1u << SK_FSYNC | 1u << SK_FDATASYNC | 1u << SK_SYNC_FILE_RANGE)
#define FORK_FILL "#d62728"
#define CHILD_FILL "#f4a9a8"

/* Where an event-loop iteration's time went (struct stall_rec's
 * breakdown), in that order. */
enum { P_ONCPU, P_RUNQ, P_SLEEP, P_BLOCK, P_MAX };
static const struct { const char *name, *fill; } parts[P_MAX] = {
	{ "on-CPU", "#4e79a7" }, { "run-queue", "#f28e2b" },
	{ "sleeping", "#bab0ac" }, { "blocked", "#8f5f9e" },
};

/* The heatmap's colours, from one execution to the most in a cell (on a
 * log scale); the gradient of the scale uses the same stops. */
static const unsigned char ramp_stops[][3] = {
	{ 0xc7, 0xe9, 0xb4 }, { 0x7f, 0xcd, 0xbb }, { 0x2c, 0x7f, 0xb8 },
	{ 0x25, 0x34, 0x94 }, { 0x08, 0x1d, 0x58 },
};
#define NSTOPS (sizeof(ramp_stops) / sizeof(ramp_stops[0]))

static const char *const class_names[TL_CLASSES] = { "fast-command", "command" };

struct svg {
	FILE *f;
	const struct run_report *r;
	double t0, t1;		/* unix times of the plot's edges */
	double y;		/* where the next block starts */
	char over[48];		/* an empty lane of events over the threshold */
};

/* Length of the UTF-8 sequence at s if it is a character XML 1.0 admits
 * (no controls, no surrogates, no overlong forms), else 0. */
static int xml_char_len(const unsigned char *s)
{
	unsigned c = s[0];
	int n, i;

	if (c < 0x80)
		return c >= 0x20 && c != 0x7f;
	if (c < 0xc2 || c > 0xf4)
		return 0;
	n = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0) || (c == 0xf0 && s[1] < 0x90) ||
	    (c == 0xf4 && s[1] >= 0x90) || (c == 0xef && s[1] == 0xbf && s[2] >= 0xbe))
		return 0;
	return n;
}

/* Command names, comms and file names come from the traced processes:
 * they are data. Markup is escaped, and bytes XML cannot carry (controls,
 * broken UTF-8) become '?', or a parser would refuse the whole picture. */
static void xml_puts(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	while (*s) {
		int n = xml_char_len(s);

		switch (n ? *s : 0) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		case 0: fputc('?', f); n = 1; break;
		default: fwrite(s, 1, (size_t)n, f);
		}
		s += n;
	}
}

/* A <text> at (x, y): attrs is constant markup, the content is formatted
 * and escaped. */
static void __attribute__((format(printf, 5, 6)))
text(FILE *f, double x, double y, const char *attrs, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\"%s%s>", x, y, *attrs ? " " : "", attrs);
	xml_puts(f, buf);
	fputs("</text>\n", f);
}

static void __attribute__((format(printf, 3, 4))) appendf(char *buf, size_t len, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	if (n + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
}

static void title(FILE *f, const char *tip)
{
	fputs("<title>", f);
	xml_puts(f, tip);
	fputs("</title>", f);
}

static void rect(FILE *f, double x, double y, double w, double h, const char *fill)
{
	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n",
		x, y, w, h, fill);
}

/* A mark: a rectangle of class cls that tells its figures on hover. */
static void mark(FILE *f, const char *cls, double x, double y, double w, double h, const char *fill,
		 const char *tip)
{
	fprintf(f, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">",
		cls, x, y, w, h, fill);
	title(f, tip);
	fputs("</rect>\n", f);
}

static double xof(const struct svg *s, double t)
{
	double x = PX0 + (t - s->t0) / (s->t1 - s->t0) * (PX1 - PX0);

	return x < PX0 ? PX0 : x > PX1 ? PX1 : x;
}

/* "12:00:01.234 (+3.21s)": the clock, and the place on the axis */
static const char *when(const struct svg *s, double wall, char *buf, size_t len)
{
	char c[24];

	snprintf(buf, len, "%s (+%.2fs)", fmt_wall(wall, c, sizeof(c)), wall - s->t0);
	return buf;
}

static void widen(double *lo, double *hi, double a, double b)
{
	*lo = fmin(*lo, a);
	*hi = fmax(*hi, b);
}

/* The plot spans the run, widened to any data past its ends (a slice
 * ends at the read after the last command). Without a start (a report
 * rebuilt from elsewhere) it spans the data, stretched back from its end
 * to the run's duration. */
static void time_range(struct svg *s)
{
	const struct run_report *r = s->r;
	double lo = INFINITY, hi = -INFINITY;
	size_t i, j;

	for (i = 0; i < r->tl.n; i++)
		widen(&lo, &hi, r->tl.s[i].t, r->tl.s[i].t + r->tl.s[i].len_s);
	for (i = 0; i < r->ninsts; i++) {
		const struct inst_stalls *st = r->insts[i].st;

		for (j = 0; st && j < st->nforks; j++) {
			const struct fork_rec *fr = &st->forks[j];

			if (fr->seen_fork)
				widen(&lo, &hi, fr->wall, fr->wall + fmax(fr->stall_ns, fr->exited ? fr->life_ns : 0) / 1e9);
		}
		for (j = 0; st && j < st->nevents; j++)
			widen(&lo, &hi, st->events[j].wall, st->events[j].wall + st->events[j].dur_ns / 1e9);
	}
	if (r->start_wall > 0)
		widen(&lo, &hi, r->start_wall, r->start_wall + r->duration_s);
	else if (hi > lo && hi - lo < r->duration_s)
		lo = hi - r->duration_s;
	if (!(hi > lo)) {	/* nothing at all: an empty axis of the run's length */
		lo = r->start_wall > 0 ? r->start_wall : (lo < INFINITY ? lo : 0);
		hi = lo + (r->duration_s > 0 ? r->duration_s : 1);
	}
	s->t0 = lo;
	s->t1 = hi;
}

/* Ticks 1, 2 or 5 times a power of ten seconds apart, then minutes and
 * hours as people count them: about ten on the axis. */
static double tick_step(double span)
{
	static const double steps[] = {
		0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30,
		60, 120, 300, 600, 900, 1800, 3600, 7200, 3 * 3600, 6 * 3600, 12 * 3600, 86400,
	};
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]) - 1; i++)
		if (span / steps[i] <= 12)
			break;
	return steps[i];
}

static void tick_label(double t, double step, char *buf, size_t len)
{
	if (step >= 3600)
		snprintf(buf, len, "%gh", t / 3600);
	else if (step >= 60)
		snprintf(buf, len, "%gm", t / 60);
	else
		snprintf(buf, len, "%.*fs", step < 0.01 ? 3 : step < 0.1 ? 2 : step < 1 ? 1 : 0, t);
}

/* Gridlines from top to bottom at every tick, and the tick labels below. */
static void time_grid(struct svg *s, double top, double bottom, int labels)
{
	double step = tick_step(s->t1 - s->t0), t;
	char b[32];

	for (t = 0; t <= s->t1 - s->t0 + step * 1e-6; t += step) {
		double x = xof(s, s->t0 + t);

		fprintf(s->f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
			x, top, x, bottom);
		if (labels) {
			tick_label(t, step, b, sizeof(b));
			text(s->f, x, bottom + 12, "class=\"small\" text-anchor=\"middle\"", "%s", b);
		}
	}
	if (labels)
		text(s->f, PX0 - 18, bottom + 12, "class=\"small\" text-anchor=\"end\"", "time since start");
}

/* ---- stall lanes ---- */

enum lane_style {
	LS_PLAIN,		/* one colour */
	LS_BREAKDOWN,		/* stacked by the shares of on-CPU, run-queue, sleeping, blocked */
	LS_RUNQ,		/* height by the share of run-queue wait */
};

struct lane {
	char label[40];
	const char *cls, *fill;
	const char *noun;	/* of merged marks: "3 fsync calls" */
	unsigned kinds;		/* 1 << SK_* of the events it draws */
	int role;		/* thread role; -1: any */
	enum lane_style style;
	int named;		/* marks are labelled with the event's name */
	const char *empty;	/* what the lane says when it has no mark */
	char name[64];		/* a mark's name, written once the next mark */
	double name_x, name_y, name_end;	/* shows it has room */
};

/* Marks that touch on the plot are merged into one, which tells how many
 * it holds, their total and the longest: a run of appendfsync always
 * holds thousands of fsyncs. */
struct group {
	size_t n;
	double x0, x1;		/* drawn extent, px */
	double w0, w1;		/* unix times: the first start, the last end */
	double total;		/* of the lane's measure: duration, or run-queue wait */
	double dur, part[P_MAX];
	const struct stall_rec *longest;
};

static double measure(const struct lane *ln, const struct stall_rec *e)
{
	return ln->style == LS_RUNQ ? e->runq_ns : e->dur_ns;
}

static int lane_has(const struct lane *ln, const struct stall_rec *e)
{
	return (ln->kinds & 1u << e->kind) && (ln->role < 0 || e->role == ln->role) &&
	       (ln->style != LS_RUNQ || e->runq_ns > 0);
}

/* One event's figures. */
static void describe(const struct svg *s, const struct lane *ln, const struct stall_rec *e,
		     char *buf, size_t len)
{
	char at[48], d[24], q[24];

	when(s, e->wall, at, sizeof(at));
	fmt_ns(e->dur_ns, d, sizeof(d));
	if (ln->style == LS_RUNQ) {
		snprintf(buf, len, "run-queue wait %s in a %s event-loop iteration at %s",
			 fmt_ns(e->runq_ns, q, sizeof(q)), d, at);
		if (e->other_pid)
			appendf(buf, len, "; the CPU was taken by %s (pid %d)", e->other_comm, e->other_pid);
		return;
	}
	snprintf(buf, len, "%s at %s: %s", stall_event_name(e), at, d);
	if (e->kind == SK_LOOP || e->kind == SK_COMMAND) {
		char more[256];

		stall_breakdown(more, sizeof(more), e);
		appendf(buf, len, "; %s", more);
		if (e->flags & EVF_CHILD_LIVE)
			appendf(buf, len, ", fork child alive");
		if (e->flags & EVF_FSYNC_LIVE)
			appendf(buf, len, ", fsync in flight");
		return;
	}
	if (e->kind == SK_CYCLE)
		return;
	if (e->kind == SK_FORK)
		appendf(buf, len, "; fork() failed (%d)", e->ret);
	appendf(buf, len, "; thread %s (tid %d, %s)", thread_role_name(e->role), e->tid, e->comm);
	if (e->file[0])
		appendf(buf, len, ", file %s (%s)", e->file, file_class_name(e->fclass));
	if (e->flags & EVF_BLOCKED)
		appendf(buf, len, ", waited for a background fsync");
}

static void describe_group(const struct svg *s, const struct lane *ln, const struct group *g,
			   char *buf, size_t len)
{
	char a[48], b[24], t[24], one[768];

	describe(s, ln, g->longest, one, sizeof(one));
	if (g->n == 1) {
		snprintf(buf, len, "%s", one);
		return;
	}
	snprintf(buf, len, "%zu %s from %s to %s, %s in all; the longest: %s", g->n, ln->noun,
		 when(s, g->w0, a, sizeof(a)), fmt_wall(g->w1, b, sizeof(b)),
		 fmt_ns(g->total, t, sizeof(t)), one);
}

/* A mark starts at x: the name of the one before is written if this one
 * leaves it room, else dropped (its tooltip still has it). Marks come in
 * time order, so no later mark can run into a name written. */
static void lane_next_mark(struct svg *s, struct lane *ln, double x)
{
	if (ln->name[0] && x >= ln->name_end + 2)
		text(s->f, ln->name_x, ln->name_y, "class=\"small\"", "%s", ln->name);
	ln->name[0] = 0;
}

/* A name after a mark ending at x, if it fits on the plot. */
static void mark_name(struct lane *ln, double x, double y, const char *name)
{
	double w = (double)strlen(name) * CHAR_W;

	if (x + 3 + w > PX1)
		return;
	snprintf(ln->name, sizeof(ln->name), "%s", name);
	ln->name_x = x + 3;
	ln->name_y = y;
	ln->name_end = x + 3 + w;
}

static void group_flush(struct svg *s, struct lane *ln, const struct group *g, double y)
{
	double w = g->x1 - g->x0, sum = 0, yb = y + BAR_Y + BAR_H, h;
	char tip[1024], name[64];
	int k;

	describe_group(s, ln, g, tip, sizeof(tip));
	lane_next_mark(s, ln, g->x0);
	switch (ln->style) {
	case LS_PLAIN:
		mark(s->f, ln->cls, g->x0, y + BAR_Y, w, BAR_H, ln->fill, tip);
		break;
	case LS_BREAKDOWN:
		/* where in the iteration each part fell is not recorded: the
		 * parts are stacked upwards, so that none reads as a time */
		for (k = 0; k < P_MAX; k++)
			sum += g->part[k];
		fprintf(s->f, "<g class=\"%s\">", ln->cls);
		title(s->f, tip);
		if (sum <= 0)
			rect(s->f, g->x0, y + BAR_Y, w, BAR_H, parts[P_ONCPU].fill);
		for (k = 0; k < P_MAX && sum > 0; k++) {
			h = BAR_H * g->part[k] / sum;
			yb -= h;
			if (h > 0)
				rect(s->f, g->x0, yb, w, h, parts[k].fill);
		}
		fputs("</g>\n", s->f);
		break;
	case LS_RUNQ:
		h = fmax(2, BAR_H * fmin(1, g->total / fmax(g->dur, 1)));
		mark(s->f, ln->cls, g->x0, y + BAR_Y + BAR_H - h, w, h, ln->fill, tip);
		break;
	}
	if (!ln->named)
		return;
	if (g->n == 1)
		snprintf(name, sizeof(name), "%s", stall_event_name(g->longest));
	else
		snprintf(name, sizeof(name), "%s +%zu", stall_event_name(g->longest), g->n - 1);
	mark_name(ln, g->x1, y + 15, name);
}

/* The lane's events as marks; how many were drawn. */
static size_t lane_events(struct svg *s, struct lane *ln, const struct inst_stalls *st, double y)
{
	struct group g = { 0 };
	size_t i, drawn = 0;

	for (i = 0; st && i < st->nevents; i++) {
		const struct stall_rec *e = &st->events[i];
		double x0, x1;

		if (!lane_has(ln, e))
			continue;
		x0 = xof(s, e->wall);
		x1 = fmax(xof(s, e->wall + e->dur_ns / 1e9), x0 + MIN_W);
		if (g.n && (x0 > g.x1 + 1 || x0 < g.x0)) {
			group_flush(s, ln, &g, y);
			memset(&g, 0, sizeof(g));
		}
		if (!g.n) {
			g.x0 = x0;
			g.w0 = e->wall;
		}
		g.n++;
		g.x1 = fmax(g.x1, x1);
		g.w1 = fmax(g.w1, e->wall + e->dur_ns / 1e9);
		g.total += measure(ln, e);
		g.dur += e->dur_ns;
		g.part[P_ONCPU] += e->oncpu_ns;
		g.part[P_RUNQ] += e->runq_ns;
		g.part[P_SLEEP] += e->sleep_ns;
		g.part[P_BLOCK] += e->block_ns;
		if (!g.longest || measure(ln, e) > measure(ln, g.longest))
			g.longest = e;
		drawn++;
	}
	if (g.n)
		group_flush(s, ln, &g, y);
	return drawn;
}

static void fork_tip(const struct svg *s, const struct fork_rec *fr, char *buf, size_t len)
{
	char at[48], b[6][24];
	double gbs = fork_rate_gbs(fr);

	snprintf(buf, len, "fork for %s at %s: stall %s (syscall %s", fork_purpose_name(fr->purpose),
		 when(s, fr->wall, at, sizeof(at)), fmt_ns(fr->stall_ns, b[0], 24), fmt_ns(fr->sys_ns, b[1], 24));
	if (fr->wait_ns > 0)
		appendf(buf, len, ", waiting for a CPU after it %s", fmt_ns(fr->wait_ns, b[2], 24));
	appendf(buf, len, "); RSS %s, page tables %s", fmt_bytes((double)fr->rss_bytes, b[3], 24),
		fmt_bytes((double)fr->pgtable_bytes, b[4], 24));
	if (gbs > 0)
		appendf(buf, len, ", %.1f GB/s (%s)", gbs, fork_rating(gbs));
	fork_exit_text(fr, b[5], 24);
	if (fr->exited)
		appendf(buf, len, "; child %d lived %s, exit %s", fr->child, fmt_ns(fr->life_ns, b[0], 24), b[5]);
	else
		appendf(buf, len, "; child %d still running at the end", fr->child);
	if (fr->work_kind)
		appendf(buf, len, ", %s %s%s", stall_kind_name(fr->work_kind), fmt_ns(fr->work_ns, b[1], 24),
			fr->work_ret ? " (failed)" : "");
	if (fr->has_cow)
		appendf(buf, len, ", copied %s", fmt_bytes((double)fr->cow_bytes, b[2], 24));
}

/* Each fork: the stall as a full-height mark, the child's life as a thin
 * bar after it, its purpose and stall as the label. */
static size_t lane_forks(struct svg *s, struct lane *ln, const struct inst_stalls *st, double y)
{
	size_t i, drawn = 0;

	for (i = 0; st && i < st->nforks; i++) {
		const struct fork_rec *fr = &st->forks[i];
		double x0, xs, xe;
		char tip[768], name[64], d[24];

		if (!fr->seen_fork)
			continue;
		x0 = xof(s, fr->wall);
		xs = fmax(xof(s, fr->wall + fr->stall_ns / 1e9), x0 + MIN_W);
		xe = fr->exited ? xof(s, fr->wall + fr->life_ns / 1e9) : PX1;
		fork_tip(s, fr, tip, sizeof(tip));
		lane_next_mark(s, ln, x0);
		fprintf(s->f, "<g class=\"fork\">");
		title(s->f, tip);
		if (xe > x0)
			rect(s->f, x0, y + 14, xe - x0, 4, CHILD_FILL);
		rect(s->f, x0, y + BAR_Y, xs - x0, BAR_H, FORK_FILL);
		fputs("</g>\n", s->f);
		snprintf(name, sizeof(name), "%s %s", fork_purpose_name(fr->purpose),
			 fmt_ns(fr->stall_ns, d, sizeof(d)));
		mark_name(ln, xs, y + 12, name);
		drawn++;
	}
	return drawn;
}

static struct lane new_lane(const char *label, const char *cls, const char *fill, const char *noun,
			    unsigned kinds, enum lane_style style, const char *empty)
{
	struct lane ln = {
		.cls = cls, .fill = fill, .noun = noun, .kinds = kinds, .role = -1, .style = style,
		.empty = empty,
	};

	snprintf(ln.label, sizeof(ln.label), "%s", label);
	return ln;
}

/* The lanes of an instance: forks and fsyncs always (an empty lane says
 * there were none), a lane per thread that synced, AOF writes and saves
 * on the main thread when there were some, then the main thread's. */
static size_t build_lanes(const struct svg *s, const struct inst_report *in, struct lane *ln)
{
	const struct inst_stalls *st = in->st;
	const char *over = s->over;
	unsigned kinds = 0, roles = 0;
	size_t i, n = 0;
	int k;

	for (i = 0; st && i < st->nevents; i++) {
		kinds |= 1u << st->events[i].kind;
		if (SYNC_KINDS & 1u << st->events[i].kind)
			roles |= 1u << st->events[i].role;
	}
	ln[n++] = new_lane("fork", "fork", FORK_FILL, "failed forks", 1u << SK_FORK, LS_PLAIN, "none");
	if (!roles)
		ln[n++] = new_lane("fsync", "fsync", "#2a9d8f", "sync calls", SYNC_KINDS, LS_PLAIN, "none");
	for (k = 0; k < ROLE_MAX; k++) {
		if (!(roles & 1u << k))
			continue;
		ln[n] = new_lane("", "fsync", "#2a9d8f", "sync calls", SYNC_KINDS, LS_PLAIN, "none");
		snprintf(ln[n].label, sizeof(ln[n].label), "fsync: %s", thread_role_name(k));
		ln[n++].role = k;
	}
	if (kinds & 1u << SK_AOF_WRITE)
		ln[n++] = new_lane("AOF write (main)", "aof-write", "#9c755f", "AOF writes",
				   1u << SK_AOF_WRITE, LS_PLAIN, over);
	if (kinds & (1u << SK_RDB_SAVE | 1u << SK_AOF_REWRITE))
		ln[n++] = new_lane("save (main thread)", "persist", "#6b4226", "saves",
				   1u << SK_RDB_SAVE | 1u << SK_AOF_REWRITE, LS_PLAIN, "none");
	if (s->r->stalls_only)
		return n;	/* the main thread's lanes are not traced: one line says so */
	ln[n++] = new_lane("event loop", "loop", parts[P_ONCPU].fill, "slow iterations", 1u << SK_LOOP,
			   LS_BREAKDOWN, over);
	ln[n] = new_lane("slow commands", "command", "#59a14f", "slow commands", 1u << SK_COMMAND,
			 LS_PLAIN, over);
	ln[n++].named = 1;
	ln[n++] = new_lane("run-queue wait", "runq", parts[P_RUNQ].fill, "iterations that waited",
			   1u << SK_LOOP, LS_RUNQ, over);
	ln[n] = new_lane("cycles", "cycle", "#c9a227", "cycles", 1u << SK_CYCLE, LS_PLAIN, over);
	ln[n++].named = 1;
	return n;
}

#define MAX_LANES (ROLE_MAX + 8)

/* ---- heatmaps ---- */

/* The instance's slices as columns: slices narrower than MIN_W (a long
 * run) are summed with their neighbours. */
struct column {
	double x0, x1, t0, t1;
	double n[TL_CLASSES][TL_BUCKETS];
};

static size_t build_columns(const struct svg *s, int inst, struct column *c)
{
	const struct timeline *tl = &s->r->tl;
	size_t i, n = 0;
	int k, m;

	for (i = 0; i < tl->n; i++) {
		const struct tl_slice *sl = &tl->s[i];
		double x0, x1;

		if (sl->inst != inst)
			continue;
		x0 = xof(s, sl->t);
		x1 = xof(s, sl->t + sl->len_s);
		if (!n || c[n - 1].x1 - c[n - 1].x0 >= MIN_W || x0 > c[n - 1].x1 + 1 || x0 < c[n - 1].x0) {
			memset(&c[n], 0, sizeof(c[n]));
			c[n].x0 = x0;
			c[n].t0 = sl->t;
			n++;
		}
		c[n - 1].x1 = fmax(c[n - 1].x1, x1);
		c[n - 1].t1 = fmax(c[n - 1].t1, sl->t + sl->len_s);
		for (m = 0; m < TL_CLASSES; m++)
			for (k = 0; k < TL_BUCKETS; k++)
				c[n - 1].n[m][k] += sl->n[m][k];
	}
	for (i = 0; i < n; i++)
		c[i].x1 = fmax(c[i].x1, c[i].x0 + 1);
	return n;
}

static void ramp(double v, char *buf, size_t len)
{
	double p = fmin(fmax(v, 0), 1) * (NSTOPS - 1);
	size_t i = p >= NSTOPS - 1 ? NSTOPS - 2 : (size_t)p;
	double f = p - (double)i;
	int c[3], k;

	for (k = 0; k < 3; k++)
		c[k] = (int)lround(ramp_stops[i][k] + f * (ramp_stops[i + 1][k] - ramp_stops[i][k]));
	snprintf(buf, len, "#%02x%02x%02x", c[0], c[1], c[2]);
}

/* a bucket's lower edge: "512us", "1.02ms", "2.1s" */
static const char *bucket_edge(int k, char *buf, size_t len)
{
	double us = tl_bucket_low_ns(k) / 1000;

	if (us < 1000)
		snprintf(buf, len, "%gus", us);
	else if (us < 1e6)
		snprintf(buf, len, "%.3gms", us / 1e3);
	else
		snprintf(buf, len, "%.3gs", us / 1e6);
	return buf;
}

static const char *fmt_count(double c, char *buf, size_t len)
{
	static const char *const units[] = { "", "k", "M", "G" };
	size_t i = 0;

	while (c >= 1000 && i < sizeof(units) / sizeof(units[0]) - 1) {
		c /= 1000;
		i++;
	}
	snprintf(buf, len, i ? "%.3g%s" : "%.0f%s", c, units[i]);
	return buf;
}

struct heat {
	struct column *c;
	size_t n;
	int lo, hi;		/* buckets shown */
	double max;		/* most executions in a cell */
};

static void heat_cell_tip(const struct svg *s, int cls, const struct column *c, int k, char *buf, size_t len)
{
	char a[48], b[24], lo[16], hi[16], n[16];

	bucket_edge(k, lo, sizeof(lo));
	bucket_edge(k + 1, hi, sizeof(hi));
	snprintf(buf, len, "%s: %s executions of ", class_names[cls], fmt_count(c->n[cls][k], n, sizeof(n)));
	if (k == 0)
		appendf(buf, len, "under 1us");
	else if (k == TL_BUCKETS - 1)
		appendf(buf, len, "%s or more", lo);
	else
		appendf(buf, len, "%s to %s", lo, hi);
	appendf(buf, len, " from %s to %s (%.2f s)", when(s, c->t0, a, sizeof(a)), fmt_wall(c->t1, b, sizeof(b)),
		c->t1 - c->t0);
}

static void heatmap(struct svg *s, const struct heat *h, int cls, double top)
{
	double rows = h->hi - h->lo + 1, bottom = top + rows * ROW_H, any = 0;
	int k, every = (int)ceil(11 / ROW_H);
	char b[1024], fill[8];
	size_t i;

	text(s->f, 8, top + 11, "class=\"lane\"", "%s", class_names[cls]);
	text(s->f, 8, top + 24, "class=\"small\"", "execution time");
	for (i = 0; i < h->n; i++)
		rect(s->f, h->c[i].x0, top, h->c[i].x1 - h->c[i].x0, rows * ROW_H, "#f2f2f2");
	for (i = 0; i < h->n; i++) {
		for (k = h->lo; k <= h->hi; k++) {
			double n = h->c[i].n[cls][k];

			if (!n)
				continue;
			any += n;
			ramp(h->max > 1 ? log(n) / log(h->max) : 1, fill, sizeof(fill));
			heat_cell_tip(s, cls, &h->c[i], k, b, sizeof(b));
			mark(s->f, "heat", h->c[i].x0, top + (h->hi - k) * ROW_H, h->c[i].x1 - h->c[i].x0, ROW_H,
			     fill, b);
		}
	}
	fprintf(s->f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#999\"/>\n",
		PX0, top, PX1 - PX0, rows * ROW_H);
	/* edges 1us, then every other (4us, 16us, ...) as rows are small */
	for (k = h->lo > 0 ? h->lo : 1; k <= h->hi; k++) {
		double y = bottom - (k - h->lo) * ROW_H;

		if ((k - 1) % every)
			continue;
		fprintf(s->f, "<line class=\"tick\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
			PX0 - 3, y, PX0, y);
		text(s->f, PX0 - 5, y + 3.5, "class=\"small\" text-anchor=\"end\"", "%s", bucket_edge(k, b, 24));
	}
	if (!any)
		text(s->f, PX0 + 6, top + rows * ROW_H / 2 + 4, "class=\"none\"", "no %s execution recorded",
		     class_names[cls]);
}

/* The colour scale beside the heatmaps: executions in a cell, log scale. */
static void heat_scale(struct svg *s, const struct heat *h, double top, double bottom)
{
	double x = PX1 + 16, c, ly = INFINITY;
	char b[16];

	text(s->f, PX1 + 8, top - 9, "class=\"small\"", "per cell");
	fprintf(s->f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"%.1f\" fill=\"url(#heatscale)\" "
		"stroke=\"#999\"/>\n", x, top, bottom - top);
	for (c = 1; c <= h->max * 1.0001; c *= 10) {
		double y = h->max > 1 ? bottom - log(c) / log(h->max) * (bottom - top) : top;

		fprintf(s->f, "<line class=\"tick\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
			x + 12, y, x + 15, y);
		if (ly - y >= 12) {
			text(s->f, x + 18, y + 3.5, "class=\"small\"", "%s", fmt_count(c, b, sizeof(b)));
			ly = y;
		}
	}
	if (ly - top >= 12)
		text(s->f, x + 18, top + 3.5, "class=\"small\"", "%s", fmt_count(h->max, b, sizeof(b)));
}

/* Columns, the buckets to show (those used, a bucket of margin, at least
 * HEAT_ROWS_MIN) and the most in a cell. -1 on ENOMEM. */
static int build_heat(const struct svg *s, int inst, struct heat *h)
{
	int k, m, kmin = TL_BUCKETS, kmax = -1;
	size_t i;

	memset(h, 0, sizeof(*h));
	h->c = calloc(s->r->tl.n ? s->r->tl.n : 1, sizeof(*h->c));
	if (!h->c)
		return -1;
	h->n = build_columns(s, inst, h->c);
	for (i = 0; i < h->n; i++)
		for (m = 0; m < TL_CLASSES; m++)
			for (k = 0; k < TL_BUCKETS; k++) {
				if (!h->c[i].n[m][k])
					continue;
				kmin = k < kmin ? k : kmin;
				kmax = k > kmax ? k : kmax;
				h->max = fmax(h->max, h->c[i].n[m][k]);
			}
	if (kmax < 0) {
		kmin = 1;
		kmax = 10;	/* 1us to 1ms: an empty frame of the usual range */
	}
	h->lo = kmin > 0 ? kmin - 1 : 0;
	h->hi = kmax < TL_BUCKETS - 1 ? kmax + 1 : kmax;
	while (h->hi - h->lo + 1 < HEAT_ROWS_MIN) {
		if (h->hi < TL_BUCKETS - 1)
			h->hi++;
		else
			h->lo--;
	}
	return 0;
}

/* ---- the whole ---- */

static int instance(struct svg *s, int i)
{
	const struct inst_report *in = &s->r->insts[i];
	struct lane lanes[MAX_LANES];
	size_t n = build_lanes(s, in, lanes), l;
	struct heat h;
	double top, lanes_end, heat_top, heat_h, bottom;
	char ports[128] = "";
	int k;

	if (build_heat(s, i, &h))
		return -1;
	for (k = 0; k < in->nports; k++)
		appendf(ports, sizeof(ports), "%s%d", k ? ", " : "", in->ports[k]);
	text(s->f, 8, s->y + 16, "class=\"h2\"", "pid %d: %s %s%s%s%s", in->pid, in->product, in->version,
	     in->nports ? (in->nports > 1 ? ", ports " : ", port ") : "", ports,
	     in->ended ? " (ended during the run)" : "");
	top = s->y + 26;
	lanes_end = top + (double)n * LANE_H;
	heat_top = lanes_end + 14;
	heat_h = (h.hi - h.lo + 1) * ROW_H;
	bottom = s->r->stalls_only ? heat_top + 8 : heat_top + 2 * heat_h + 10;
	for (l = 0; l < n; l++)
		if (l % 2 == 0)
			rect(s->f, PX0, top + (double)l * LANE_H, PX1 - PX0, LANE_H, "#f6f6f6");
	time_grid(s, top, bottom, 1);
	for (l = 0; l < n; l++) {
		double y = top + (double)l * LANE_H;
		size_t drawn;

		text(s->f, 8, y + 15, "class=\"lane\"", "%s", lanes[l].label);
		drawn = lane_events(s, &lanes[l], in->st, y);
		if (lanes[l].kinds & 1u << SK_FORK)
			drawn += lane_forks(s, &lanes[l], in->st, y);
		lane_next_mark(s, &lanes[l], INFINITY);
		if (!drawn)
			text(s->f, PX0 + 6, y + 15, "class=\"none\"", "%s", lanes[l].empty);
	}
	if (s->r->stalls_only) {
		text(s->f, PX0 + 6, heat_top, "class=\"none\"", "event loop, slow commands, run-queue "
		     "waits, cycles and command latency: not traced (--stalls-only)");
	} else {
		heatmap(s, &h, TL_FAST, heat_top);
		heatmap(s, &h, TL_SLOW, heat_top + heat_h + 10);
		if (h.max > 0)
			heat_scale(s, &h, heat_top, bottom);
	}
	free(h.c);
	s->y = bottom + 34;
	return 0;
}

/* A row of swatches that says what each colour is. */
static void legend(struct svg *s, double y)
{
	static const struct { const char *name, *fill; } items[] = {
		{ "fork stall", FORK_FILL }, { "fork child alive", CHILD_FILL }, { "fsync", "#2a9d8f" },
		{ "AOF write", "#9c755f" }, { "slow command", "#59a14f" }, { "cycle", "#c9a227" },
	};
	const size_t nitems = sizeof(items) / sizeof(items[0]);
	double x = 8;
	size_t i;

	for (i = 0; i < nitems + P_MAX; i++) {
		const char *name = i < nitems ? items[i].name : parts[i - nitems].name;
		const char *fill = i < nitems ? items[i].fill : parts[i - nitems].fill;

		if (i == nitems) {
			x += 10;
			text(s->f, x, y + 10, "class=\"small\"", "event loop:");
			x += 12 * CHAR_W;
		}
		rect(s->f, x, y, 12, 12, fill);
		text(s->f, x + 16, y + 10, "class=\"small\"", "%s", name);
		x += 16 + (double)strlen(name) * CHAR_W + 14;
	}
}

static void header(struct svg *s)
{
	const struct run_report *r = s->r;
	char start[64], thr[24];
	time_t t = (time_t)s->t0;
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(start, sizeof(start), "%Y-%m-%d %H:%M:%S %Z", &tm);
	text(s->f, 8, 22, "class=\"h1\"", "redlat: %zu Redis instance%s, %s mode, %.1f s from %s", r->ninsts,
	     r->ninsts == 1 ? "" : "s", r->stalls_only ? "stalls-only" : r->exact ? "exact" : "sampled",
	     r->duration_s, start);
	fmt_ns(r->threshold_ms * 1e6, thr, sizeof(thr));
	text(s->f, 8, 40, "", "Stalls at their real time and length (at least %.0f px wide; marks that touch are "
	     "merged), every fsync, events of %s or more (--threshold). Hover a mark for its figures.", MIN_W, thr);
	if (r->stalls_only)
		text(s->f, 8, 56, "", "Stalls-only mode: no command or event-loop probes, so no slow commands, "
		     "run-queue waits or heatmap.");
	else if (r->exact)
		text(s->f, 8, 56, "", "Heatmaps: executions per second (every command) by execution time, "
		     "per command class (Redis's fast-command and command).");
	else
		text(s->f, 8, 56, "", "Sampled mode: heatmap columns are the %lu sampling windows (%.1f s of "
		     "%.1f s probed), blank between them; slow commands only inside them.", r->windows,
		     r->attached_s, r->duration_s);
	legend(s, 66);
	s->y = 92;
}

int render_svg(FILE *out, const struct run_report *r)
{
	struct svg s = { .r = r };
	char *body = NULL, fill[24];
	size_t blen = 0, i;
	int rc = 0;

	/* the height is known at the end: the body goes to memory first */
	s.f = open_memstream(&body, &blen);
	if (!s.f)
		return -1;
	time_range(&s);
	fmt_ns(r->threshold_ms * 1e6, fill, sizeof(fill));
	snprintf(s.over, sizeof(s.over), "none of %s or more", fill);
	header(&s);
	for (i = 0; i < r->ninsts && !rc; i++)
		rc = instance(&s, (int)i);
	if (!r->ninsts)
		text(s.f, 8, s.y + 16, "class=\"none\"", "No Redis instance was traced.");
	if (fclose(s.f) || rc) {
		free(body);
		return -1;
	}
	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%.0f\" "
		"viewBox=\"0 0 %d %.0f\">\n", WIDTH, s.y + 10, WIDTH, s.y + 10);
	fputs("<style>\n"
	      "text { font-family: 'DejaVu Sans', Verdana, Arial, sans-serif; font-size: 11px; fill: #222; }\n"
	      ".h1 { font-size: 15px; font-weight: bold; }\n"
	      ".h2 { font-size: 13px; font-weight: bold; }\n"
	      ".lane { font-size: 11px; }\n"
	      ".small { font-size: 10px; fill: #444; }\n"
	      ".none { font-size: 10px; fill: #999; font-style: italic; }\n"
	      "rect { shape-rendering: crispEdges; }\n"	/* no seams between cells */
	      ".grid { stroke: #dddddd; stroke-width: 1; }\n"
	      ".tick { stroke: #999; stroke-width: 1; }\n"
	      "</style>\n<defs><linearGradient id=\"heatscale\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">", out);
	for (i = 0; i < NSTOPS; i++) {
		ramp((double)i / (NSTOPS - 1), fill, sizeof(fill));
		fprintf(out, "<stop offset=\"%.2f\" stop-color=\"%s\"/>", (double)i / (NSTOPS - 1), fill);
	}
	fputs("</linearGradient></defs>\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n", out);
	fwrite(body, 1, blen, out);
	fputs("</svg>\n", out);
	free(body);
	return ferror(out) ? -1 : 0;
}
