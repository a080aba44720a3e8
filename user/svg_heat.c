// SPDX-License-Identifier: GPL-2.0
/* The picture's heatmaps: per command class (Redis's fast-command and
 * command), the executions of each timeline slice by latency bucket, in
 * colour on a log scale, with the scale beside. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "svg_draw.h"
#include "util.h"

#define ROW_H 9.0		/* a heatmap row: one latency bucket */
#define HEAT_ROWS_MIN 8

/* The heatmap's colours, from one execution to the most in a cell (on a
 * log scale); the gradient of the scale uses the same stops. */
static const unsigned char ramp_stops[][3] = {
	{ 0xc7, 0xe9, 0xb4 }, { 0x7f, 0xcd, 0xbb }, { 0x2c, 0x7f, 0xb8 },
	{ 0x25, 0x34, 0x94 }, { 0x08, 0x1d, 0x58 },
};
#define NSTOPS (sizeof(ramp_stops) / sizeof(ramp_stops[0]))

static const char *const class_names[TL_CLASSES] = { "fast-command", "command" };

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
		x0 = svg_x(s, sl->t);
		x1 = svg_x(s, sl->t + sl->len_s);
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

static void heat_cell_tip(const struct svg *s, int cls, const struct column *c, int k, char *buf, size_t len)
{
	char a[48], b[24], lo[16], hi[16], n[16];

	bucket_edge(k, lo, sizeof(lo));
	bucket_edge(k + 1, hi, sizeof(hi));
	snprintf(buf, len, "%s: %s executions of ", class_names[cls], fmt_count(c->n[cls][k], n, sizeof(n)));
	if (k == 0)
		svg_appendf(buf, len, "under 1us");
	else if (k == TL_BUCKETS - 1)
		svg_appendf(buf, len, "%s or more", lo);
	else
		svg_appendf(buf, len, "%s to %s", lo, hi);
	svg_appendf(buf, len, " from %s to %s (%.2f s)", svg_when(s, c->t0, a, sizeof(a)), fmt_wall(c->t1, b, sizeof(b)),
		c->t1 - c->t0);
}

static void heatmap(struct svg *s, const struct heat *h, int cls, double top)
{
	double rows = h->hi - h->lo + 1, bottom = top + rows * ROW_H, any = 0;
	int k, every = (int)ceil(11 / ROW_H);
	char b[1024], fill[8];
	size_t i;

	svg_text(s->f, 8, top + 11, "class=\"lane\"", "%s", class_names[cls]);
	svg_text(s->f, 8, top + 24, "class=\"small\"", "execution time");
	for (i = 0; i < h->n; i++)
		svg_rect(s->f, h->c[i].x0, top, h->c[i].x1 - h->c[i].x0, rows * ROW_H, "#f2f2f2");
	for (i = 0; i < h->n; i++) {
		for (k = h->lo; k <= h->hi; k++) {
			double n = h->c[i].n[cls][k];

			if (!n)
				continue;
			any += n;
			ramp(h->max > 1 ? log(n) / log(h->max) : 1, fill, sizeof(fill));
			heat_cell_tip(s, cls, &h->c[i], k, b, sizeof(b));
			svg_mark(s->f, "heat", h->c[i].x0, top + (h->hi - k) * ROW_H, h->c[i].x1 - h->c[i].x0, ROW_H,
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
		svg_text(s->f, PX0 - 5, y + 3.5, "class=\"small\" text-anchor=\"end\"", "%s", bucket_edge(k, b, 24));
	}
	if (!any)
		svg_text(s->f, PX0 + 6, top + rows * ROW_H / 2 + 4, "class=\"none\"", "no %s execution recorded",
		     class_names[cls]);
}

/* The colour scale beside the heatmaps: executions in a cell, log scale. */
static void heat_scale(struct svg *s, const struct heat *h, double top, double bottom)
{
	double x = PX1 + 16, c, ly = INFINITY;
	char b[16];

	svg_text(s->f, PX1 + 8, top - 9, "class=\"small\"", "per cell");
	fprintf(s->f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"%.1f\" fill=\"url(#heatscale)\" "
		"stroke=\"#999\"/>\n", x, top, bottom - top);
	for (c = 1; c <= h->max * 1.0001; c *= 10) {
		double y = h->max > 1 ? bottom - log(c) / log(h->max) * (bottom - top) : top;

		fprintf(s->f, "<line class=\"tick\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
			x + 12, y, x + 15, y);
		if (ly - y >= 14) {
			svg_text(s->f, x + 18, y + 3.5, "class=\"small\"", "%s", fmt_count(c, b, sizeof(b)));
			ly = y;
		}
	}
	if (ly - top >= 14)
		svg_text(s->f, x + 18, top + 3.5, "class=\"small\"", "%s", fmt_count(h->max, b, sizeof(b)));
}

/* Columns, the buckets to show (those used, a bucket of margin, at least
 * HEAT_ROWS_MIN) and the most in a cell. */
int svg_heat_build(const struct svg *s, int inst, struct heat *h)
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

double svg_heat_height(const struct heat *h)
{
	return 2 * (h->hi - h->lo + 1) * ROW_H + 10;
}

void svg_heatmaps(struct svg *s, const struct heat *h, double top)
{
	heatmap(s, h, TL_FAST, top);
	heatmap(s, h, TL_SLOW, top + (h->hi - h->lo + 1) * ROW_H + 10);
	if (h->max > 0)
		heat_scale(s, h, top, top + svg_heat_height(h));
}

void svg_heat_free(struct heat *h)
{
	free(h->c);
	h->c = NULL;
}

void svg_heat_gradient(FILE *f)
{
	char fill[8];
	size_t i;

	fputs("<linearGradient id=\"heatscale\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">", f);
	for (i = 0; i < NSTOPS; i++) {
		ramp((double)i / (NSTOPS - 1), fill, sizeof(fill));
		fprintf(f, "<stop offset=\"%.2f\" stop-color=\"%s\"/>", (double)i / (NSTOPS - 1), fill);
	}
	fputs("</linearGradient>", f);
}
