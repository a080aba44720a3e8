// SPDX-License-Identifier: GPL-2.0
/* The picture's stall lanes: each stall at its time and length, in a lane
 * by kind (forks with their children, fsyncs by thread, AOF writes, saves
 * on the main thread, slow event-loop iterations and commands, the main
 * thread's waits for a CPU and off-CPU periods, Redis's cycles). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "stalls_user.h"
#include "svg_draw.h"
#include "util.h"

#define BAR_Y 4.0		/* a mark's top within its lane */
#define BAR_H 14.0
#define SYNC_KINDS (1u << SK_FSYNC | 1u << SK_FDATASYNC | 1u << SK_SYNC_FILE_RANGE)
#define MAX_LANES (ROLE_MAX + 8)

enum lane_style {
	LS_PLAIN,		/* one colour */
	LS_BREAKDOWN,		/* stacked by the shares of on-CPU, run-queue, sleeping, blocked */
	LS_OFFCPU,		/* sleeping or blocked, as the longest of the mark */
};

struct lane {
	char label[40];
	const char *cls, *fill;
	const char *noun;	/* of merged marks: "3 sync calls" */
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
	double total;		/* duration */
	double part[P_MAX];
	const struct stall_rec *longest;
};

static int lane_has(const struct lane *ln, const struct stall_rec *e)
{
	return (ln->kinds & 1u << e->kind) && (ln->role < 0 || e->role == ln->role);
}

/* What a mark is called on the plot: a wait for a CPU by who had it. */
static const char *mark_title(const struct stall_rec *e)
{
	if (e->kind == SK_RUNQ)
		return e->other_pid ? e->other_comm : "run-queue";
	return stall_event_name(e);
}

/* One event's figures. */
static void describe(const struct svg *s, const struct stall_rec *e, char *buf, size_t len)
{
	char at[48], d[24], more[256];

	svg_when(s, e->wall, at, sizeof(at));
	fmt_ns(e->dur_ns, d, sizeof(d));
	snprintf(buf, len, "%s at %s: %s", stall_event_name(e), at, d);
	if (e->kind == SK_RUNQ) {
		stall_runq_note(more, sizeof(more), e);
		svg_appendf(buf, len, "; %s", more);
		return;
	}
	if (e->kind == SK_LOOP || e->kind == SK_COMMAND) {
		stall_breakdown(more, sizeof(more), e);
		svg_appendf(buf, len, "; %s", more);
		if (e->flags & EVF_CHILD_LIVE)
			svg_appendf(buf, len, ", fork child alive");
		if (e->flags & EVF_FSYNC_LIVE)
			svg_appendf(buf, len, ", fsync in flight");
		return;
	}
	if (e->kind == SK_CYCLE || e->kind == SK_OFFCPU)
		return;
	if (e->kind == SK_FORK)
		svg_appendf(buf, len, "; fork() failed (%d)", e->ret);
	svg_appendf(buf, len, "; thread %s (tid %d, %s)", thread_role_name(e->role), e->tid, e->comm);
	if (e->file[0])
		svg_appendf(buf, len, ", file %s (%s)", e->file, file_class_name(e->fclass));
	if (e->flags & EVF_BLOCKED)
		svg_appendf(buf, len, ", waited for a background fsync");
}

static void describe_group(const struct svg *s, const struct lane *ln, const struct group *g,
			   char *buf, size_t len)
{
	char a[48], b[24], t[24], one[768];

	describe(s, g->longest, one, sizeof(one));
	if (g->n == 1) {
		snprintf(buf, len, "%s", one);
		return;
	}
	snprintf(buf, len, "%zu %s from %s to %s, %s in all; the longest: %s", g->n, ln->noun,
		 svg_when(s, g->w0, a, sizeof(a)), fmt_wall(g->w1, b, sizeof(b)),
		 fmt_ns(g->total, t, sizeof(t)), one);
}

/* A mark starts at x: the name of the one before is written if this one
 * leaves it room, else dropped (its tooltip still has it). Marks come in
 * time order, so no later mark can run into a name written. */
static void lane_next_mark(struct svg *s, struct lane *ln, double x)
{
	if (ln->name[0] && x >= ln->name_end + 2)
		svg_text(s->f, ln->name_x, ln->name_y, "class=\"small\"", "%s", ln->name);
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
		svg_mark(s->f, ln->cls, g->x0, y + BAR_Y, w, BAR_H, ln->fill, tip);
		break;
	case LS_BREAKDOWN:
		/* where in the iteration each part fell is not recorded: the
		 * parts are stacked upwards, so that none reads as a time */
		for (k = 0; k < P_MAX; k++)
			sum += g->part[k];
		fprintf(s->f, "<g class=\"%s\">", ln->cls);
		svg_title(s->f, tip);
		if (sum <= 0)
			svg_rect(s->f, g->x0, y + BAR_Y, w, BAR_H, svg_parts[P_ONCPU].fill);
		for (k = 0; k < P_MAX && sum > 0; k++) {
			h = BAR_H * g->part[k] / sum;
			yb -= h;
			if (h > 0)
				svg_rect(s->f, g->x0, yb, w, h, svg_parts[k].fill);
		}
		fputs("</g>\n", s->f);
		break;
	case LS_OFFCPU:
		svg_mark(s->f, ln->cls, g->x0, y + BAR_Y, w, BAR_H,
			 svg_parts[g->longest->klass == OFF_BLOCKED ? P_BLOCK : P_SLEEP].fill, tip);
		break;
	}
	if (!ln->named)
		return;
	if (g->n == 1)
		snprintf(name, sizeof(name), "%s", mark_title(g->longest));
	else
		snprintf(name, sizeof(name), "%s +%zu", mark_title(g->longest), g->n - 1);
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
		x0 = svg_x(s, e->wall);
		x1 = fmax(svg_x(s, e->wall + e->dur_ns / 1e9), x0 + MIN_W);
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
		g.total += e->dur_ns;
		g.part[P_ONCPU] += e->oncpu_ns;
		g.part[P_RUNQ] += e->runq_ns;
		g.part[P_SLEEP] += e->sleep_ns;
		g.part[P_BLOCK] += e->block_ns;
		if (!g.longest || e->dur_ns > g.longest->dur_ns)
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
		 svg_when(s, fr->wall, at, sizeof(at)), fmt_ns(fr->stall_ns, b[0], 24), fmt_ns(fr->sys_ns, b[1], 24));
	if (fr->wait_ns > 0)
		svg_appendf(buf, len, ", waiting for a CPU after it %s", fmt_ns(fr->wait_ns, b[2], 24));
	svg_appendf(buf, len, "); RSS %s, page tables %s", fmt_bytes((double)fr->rss_bytes, b[3], 24),
		fmt_bytes((double)fr->pgtable_bytes, b[4], 24));
	if (gbs > 0)
		svg_appendf(buf, len, ", %.1f GB/s (%s)", gbs, fork_rating(gbs));
	fork_exit_text(fr, b[5], 24);
	if (fr->exited)
		svg_appendf(buf, len, "; child %d lived %s, exit %s", fr->child, fmt_ns(fr->life_ns, b[0], 24), b[5]);
	else
		svg_appendf(buf, len, "; child %d still running at the end", fr->child);
	if (fr->work_kind)
		svg_appendf(buf, len, ", %s %s%s", stall_kind_name(fr->work_kind), fmt_ns(fr->work_ns, b[1], 24),
			fr->work_ret ? " (failed)" : "");
	if (fr->has_cow)
		svg_appendf(buf, len, ", copied %s", fmt_bytes((double)fr->cow_bytes, b[2], 24));
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
		x0 = svg_x(s, fr->wall);
		xs = fmax(svg_x(s, fr->wall + fr->stall_ns / 1e9), x0 + MIN_W);
		xe = fr->exited ? svg_x(s, fr->wall + fr->life_ns / 1e9) : PX1;
		fork_tip(s, fr, tip, sizeof(tip));
		lane_next_mark(s, ln, x0);
		fprintf(s->f, "<g class=\"fork\">");
		svg_title(s->f, tip);
		if (xe > x0)
			svg_rect(s->f, x0, y + 14, xe - x0, 4, CHILD_FILL);
		svg_rect(s->f, x0, y + BAR_Y, xs - x0, BAR_H, FORK_FILL);
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
		ln[n++] = new_lane("fsync", "fsync", FSYNC_FILL, "sync calls", SYNC_KINDS, LS_PLAIN, "none");
	for (k = 0; k < ROLE_MAX; k++) {
		if (!(roles & 1u << k))
			continue;
		ln[n] = new_lane("", "fsync", FSYNC_FILL, "sync calls", SYNC_KINDS, LS_PLAIN, "none");
		snprintf(ln[n].label, sizeof(ln[n].label), "fsync: %s", thread_role_name(k));
		ln[n++].role = k;
	}
	if (kinds & 1u << SK_AOF_WRITE)
		ln[n++] = new_lane("AOF write (main)", "aof-write", AOF_WRITE_FILL, "AOF writes",
				   1u << SK_AOF_WRITE, LS_PLAIN, over);
	if (kinds & (1u << SK_RDB_SAVE | 1u << SK_AOF_REWRITE))
		ln[n++] = new_lane("save (main thread)", "persist", "#6b4226", "saves",
				   1u << SK_RDB_SAVE | 1u << SK_AOF_REWRITE, LS_PLAIN, "none");
	if (s->r->stalls_only)
		return n;	/* the main thread's lanes are not traced: one line says so */
	ln[n++] = new_lane("event loop", "loop", svg_parts[P_ONCPU].fill, "slow iterations", 1u << SK_LOOP,
			   LS_BREAKDOWN, over);
	ln[n] = new_lane("slow commands", "command", COMMAND_FILL, "slow commands", 1u << SK_COMMAND,
			 LS_PLAIN, over);
	ln[n++].named = 1;
	/* the main thread's own waits and off-CPU periods, when they were
	 * long enough to be events, named by the task that had the CPU */
	ln[n] = new_lane("run-queue wait", "runq", svg_parts[P_RUNQ].fill, "waits for a CPU",
			 1u << SK_RUNQ, LS_PLAIN, over);
	ln[n++].named = 1;
	ln[n++] = new_lane("off-CPU", "offcpu", svg_parts[P_SLEEP].fill, "off-CPU periods",
			   1u << SK_OFFCPU, LS_OFFCPU, over);
	ln[n] = new_lane("cycles", "cycle", CYCLE_FILL, "cycles", 1u << SK_CYCLE, LS_PLAIN, over);
	ln[n++].named = 1;
	return n;
}

size_t svg_lane_count(const struct svg *s, const struct inst_report *in)
{
	struct lane ln[MAX_LANES];

	return build_lanes(s, in, ln);
}

void svg_lanes(struct svg *s, const struct inst_report *in, double top)
{
	struct lane lanes[MAX_LANES];
	size_t n = build_lanes(s, in, lanes), l;

	for (l = 0; l < n; l++) {
		double y = top + (double)l * LANE_H;
		size_t drawn;

		svg_text(s->f, 8, y + 15, "class=\"lane\"", "%s", lanes[l].label);
		drawn = lane_events(s, &lanes[l], in->st, y);
		if (lanes[l].kinds & 1u << SK_FORK)
			drawn += lane_forks(s, &lanes[l], in->st, y);
		lane_next_mark(s, &lanes[l], INFINITY);
		if (!drawn)
			svg_text(s->f, PX0 + 6, y + 15, "class=\"none\"", "%s", lanes[l].empty);
	}
}
