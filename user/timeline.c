// SPDX-License-Identifier: GPL-2.0
/* The run in time: per-slice command latency by class, for the heatmap.
 * Slices are differences of the cumulative histograms the tracer reads. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "histo.h"
#include "report.h"

int tl_bucket(double ns)
{
	int k = 0;
	double us = ns / 1000;

	while (us >= 1 && k < TL_BUCKETS - 1) {
		us /= 2;
		k++;
	}
	return k;
}

double tl_bucket_low_ns(int k)
{
	return k <= 0 ? 0 : 1000.0 * (double)(1ULL << (k - 1));
}

static const struct cmd_stat *find_cmd(const struct inst_report *in, const char *name)
{
	size_t i;

	for (i = 0; in && i < in->ncmds; i++)
		if (!strcmp(in->cmds[i].name, name))
			return &in->cmds[i];
	return NULL;
}

int timeline_add(struct timeline *tl, int inst, const struct inst_report *cur,
		 const struct inst_report *prev, double t0, double t1)
{
	struct tl_slice sl = { .inst = inst, .t = t0, .len_s = t1 - t0 };
	__u64 total = 0;
	size_t i;
	__u32 k;

	for (i = 0; i < cur->ncmds; i++) {
		const struct cmd_stat *c = &cur->cmds[i], *p = find_cmd(prev, c->name);
		int cls = is_fast_command(c->name) ? TL_FAST : TL_SLOW;

		for (k = 0; k < HIST_SLOTS; k++) {
			__u64 n = c->span[SPAN_EXEC].slots[k] - (p ? p->span[SPAN_EXEC].slots[k] : 0);

			/* a counter that went backwards is a new process's map */
			if (!n || n > c->span[SPAN_EXEC].slots[k])
				continue;
			/* the slot's midpoint: Redis's exec times are whole us */
			sl.n[cls][tl_bucket(hist_slot_low(k) + hist_slot_width(k) / 2.0)] += (__u32)n;
			total += n;
		}
	}
	if (!total)
		return 0;
	return timeline_push(tl, &sl);
}

/* In the older half, each instance's consecutive slices that fit in g
 * seconds (a gap between them included) as one: the merged slice runs from
 * the first's start to the last's end and holds all their counts. Returns
 * the slices of the older half left; only counts them unless apply.
 * Instance indexes past MAX_INSTS are left alone (a run has no more). */
static size_t merge_older(struct timeline *tl, size_t half, double g, int apply)
{
	long open[MAX_INSTS];
	size_t i, kept = 0;
	int c, k;

	for (i = 0; i < MAX_INSTS; i++)
		open[i] = -1;
	for (i = 0; i < half; i++) {
		struct tl_slice *b = &tl->s[i], *a;
		int in = b->inst;

		if (in < 0 || in >= MAX_INSTS) {
			kept++;
			continue;
		}
		a = open[in] >= 0 ? &tl->s[open[in]] : NULL;
		/* 1%: slices of "a second" are a few us more or less */
		if (!a || b->t + b->len_s - a->t > g * 1.01) {
			open[in] = (long)i;
			kept++;
			continue;
		}
		if (!apply)
			continue;
		a->len_s = b->t + b->len_s - a->t;
		for (c = 0; c < TL_CLASSES; c++)
			for (k = 0; k < TL_BUCKETS; k++)
				a->n[c][k] += b->n[c][k];
		b->inst = -1;	/* merged: dropped below */
	}
	return kept;
}

/* Halve (at least) the older half of the slices, with the finest grain
 * that does it: a power of two of the narrowest slice there. Older slices
 * then share one width, and the newer half keeps its own. */
static void timeline_compact(struct timeline *tl)
{
	size_t half = tl->n / 2, i, w = 0;
	double g = INFINITY, t0 = INFINITY, t1 = -INFINITY;

	for (i = 0; i < half; i++) {
		g = fmin(g, tl->s[i].len_s);
		t0 = fmin(t0, tl->s[i].t);
		t1 = fmax(t1, tl->s[i].t + tl->s[i].len_s);
	}
	g = 2 * fmax(g, 1e-3);
	/* once g spans the older half, one slice an instance is left there
	 * (at most MAX_INSTS of TL_MAX_SLICES / 2) */
	while (merge_older(tl, half, g, 0) > half / 2 && g < t1 - t0)
		g *= 2;
	merge_older(tl, half, g, 1);
	for (i = 0; i < tl->n; i++)
		if (i >= half || tl->s[i].inst >= 0)
			tl->s[w++] = tl->s[i];
	tl->n = w;
}

int timeline_push(struct timeline *tl, const struct tl_slice *sl)
{
	if (tl->n >= TL_MAX_SLICES)
		timeline_compact(tl);
	if (tl->n == tl->cap) {
		size_t cap = tl->cap ? tl->cap * 2 : 64;
		struct tl_slice *s = realloc(tl->s, cap * sizeof(*s));

		if (!s)
			return -1;
		tl->s = s;
		tl->cap = cap;
	}
	tl->s[tl->n++] = *sl;
	return 0;
}

void timeline_free(struct timeline *tl)
{
	free(tl->s);
	memset(tl, 0, sizeof(*tl));
}
