// SPDX-License-Identifier: GPL-2.0
/* The run as an SVG picture: per instance, lanes of stalls over time
 * (svg_lanes.c) and an execution-time heatmap per command class
 * (svg_heat.c), on one time axis. Plain SVG 1.1 with no script and no font
 * file, so that browsers and rsvg-convert draw it alike; each mark's
 * figures are in its <title>, which viewers show on hover. Here: the
 * document, its header and axis, and the drawing helpers. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "stalls_user.h"
#include "svg.h"
#include "svg_draw.h"
#include "util.h"

const struct part svg_parts[P_MAX] = {
	{ "on-CPU", "#4e79a7" }, { "run-queue", "#f28e2b" },
	{ "sleeping", "#bab0ac" }, { "blocked", "#8f5f9e" },
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
void svg_puts(FILE *f, const char *str)
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

void svg_text(FILE *f, double x, double y, const char *attrs, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\"%s%s>", x, y, *attrs ? " " : "", attrs);
	svg_puts(f, buf);
	fputs("</text>\n", f);
}

void svg_appendf(char *buf, size_t len, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	if (n + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
}

void svg_title(FILE *f, const char *tip)
{
	fputs("<title>", f);
	svg_puts(f, tip);
	fputs("</title>", f);
}

void svg_rect(FILE *f, double x, double y, double w, double h, const char *fill)
{
	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n",
		x, y, w, h, fill);
}

void svg_mark(FILE *f, const char *cls, double x, double y, double w, double h, const char *fill,
	      const char *tip)
{
	fprintf(f, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">",
		cls, x, y, w, h, fill);
	svg_title(f, tip);
	fputs("</rect>\n", f);
}

double svg_x(const struct svg *s, double t)
{
	double x = PX0 + (t - s->t0) / (s->t1 - s->t0) * (PX1 - PX0);

	return x < PX0 ? PX0 : x > PX1 ? PX1 : x;
}

const char *svg_when(const struct svg *s, double wall, char *buf, size_t len)
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

/* Ticks 1, 2 or 5 times a power of ten seconds apart, then minutes, hours
 * and days as people count them: about ten on the axis. */
static double tick_step(double span)
{
	static const double steps[] = {
		0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30,
		60, 120, 300, 600, 900, 1800, 3600, 7200, 3 * 3600, 6 * 3600, 12 * 3600,
		86400, 2 * 86400, 7 * 86400, 14 * 86400, 30 * 86400,
	};
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]) - 1; i++)
		if (span / steps[i] <= 12)
			break;
	return steps[i];
}

static void tick_label(double t, double step, char *buf, size_t len)
{
	if (step >= 86400)
		snprintf(buf, len, "%gd", t / 86400);
	else if (step >= 3600)
		snprintf(buf, len, "%gh", t / 3600);
	else if (step >= 60)
		snprintf(buf, len, "%gm", t / 60);
	else
		snprintf(buf, len, "%.*fs", step < 0.01 ? 3 : step < 0.1 ? 2 : step < 1 ? 1 : 0, t);
}

/* Gridlines from top to bottom at every tick, and the tick labels below. */
static void time_grid(struct svg *s, double top, double bottom)
{
	double step = tick_step(s->t1 - s->t0), t;
	char b[32];

	for (t = 0; t <= s->t1 - s->t0 + step * 1e-6; t += step) {
		double x = svg_x(s, s->t0 + t);

		fprintf(s->f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
			x, top, x, bottom);
		tick_label(t, step, b, sizeof(b));
		svg_text(s->f, x, bottom + 12, "class=\"small\" text-anchor=\"middle\"", "%s", b);
	}
	svg_text(s->f, PX0 - 18, bottom + 12, "class=\"small\" text-anchor=\"end\"", "time since start");
}

/* ---- the whole ---- */

static int instance(struct svg *s, int i)
{
	const struct inst_report *in = &s->r->insts[i];
	size_t n = svg_lane_count(s, in), l;
	struct heat h;
	double top, heat_top, bottom;
	char ports[128] = "";
	int k;

	if (svg_heat_build(s, i, &h))
		return -1;
	for (k = 0; k < in->nports; k++)
		svg_appendf(ports, sizeof(ports), "%s%d", k ? ", " : "", in->ports[k]);
	svg_text(s->f, 8, s->y + 16, "class=\"h2\"", "pid %d: %s %s%s%s%s", in->pid, in->product,
		 in->version, in->nports ? (in->nports > 1 ? ", ports " : ", port ") : "", ports,
		 in->ended ? " (ended during the run)" : "");
	top = s->y + 26;
	heat_top = top + (double)n * LANE_H + 14;
	bottom = heat_top + (s->r->stalls_only ? 8 : svg_heat_height(&h));
	for (l = 0; l < n; l += 2)
		svg_rect(s->f, PX0, top + (double)l * LANE_H, PX1 - PX0, LANE_H, "#f6f6f6");
	time_grid(s, top, bottom);
	svg_lanes(s, in, top);
	if (s->r->stalls_only)
		svg_text(s->f, PX0 + 6, heat_top, "class=\"none\"", "event loop, slow commands, run-queue "
			 "waits, cycles and command latency: not traced (--stalls-only)");
	else
		svg_heatmaps(s, &h, heat_top);
	svg_heat_free(&h);
	s->y = bottom + 34;
	return 0;
}

/* A row of swatches that says what each colour is. */
static void legend(struct svg *s, double y)
{
	static const struct part items[] = {
		{ "fork stall", FORK_FILL }, { "fork child alive", CHILD_FILL }, { "fsync", FSYNC_FILL },
		{ "AOF write", AOF_WRITE_FILL }, { "slow command", COMMAND_FILL }, { "cycle", CYCLE_FILL },
	};
	const size_t nitems = sizeof(items) / sizeof(items[0]);
	double x = 8;
	size_t i;

	for (i = 0; i < nitems + P_MAX; i++) {
		const struct part *p = i < nitems ? &items[i] : &svg_parts[i - nitems];

		if (i == nitems) {
			x += 10;
			svg_text(s->f, x, y + 10, "class=\"small\"", "event loop:");
			x += 12 * CHAR_W;
		}
		svg_rect(s->f, x, y, 12, 12, p->fill);
		svg_text(s->f, x + 16, y + 10, "class=\"small\"", "%s", p->name);
		x += 16 + (double)strlen(p->name) * CHAR_W + 14;
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
	svg_text(s->f, 8, 22, "class=\"h1\"", "redlat: %zu Redis instance%s, %s mode, %.1f s from %s",
		 r->ninsts, r->ninsts == 1 ? "" : "s",
		 r->stalls_only ? "stalls-only" : r->exact ? "exact" : "sampled", r->duration_s, start);
	fmt_ns(r->threshold_ms * 1e6, thr, sizeof(thr));
	svg_text(s->f, 8, 40, "", "Stalls at their real time and length (at least %.0f px wide; marks that "
		 "touch are merged), every fsync, events of %s or more (--threshold). Hover a mark for its "
		 "figures.", MIN_W, thr);
	if (r->stalls_only)
		svg_text(s->f, 8, 56, "", "Stalls-only mode: no command or event-loop probes, so no slow "
			 "commands, run-queue waits or heatmap.");
	else if (r->exact)
		svg_text(s->f, 8, 56, "", "Heatmaps: executions per second (every command) by execution "
			 "time, per command class (Redis's fast-command and command).");
	else
		svg_text(s->f, 8, 56, "", "Sampled mode: heatmap columns are the %lu sampling windows (%.1f s "
			 "of %.1f s probed), blank between them; slow commands only inside them.", r->windows,
			 r->attached_s, r->duration_s);
	legend(s, 66);
	s->y = 92;
}

int render_svg(FILE *out, const struct run_report *r)
{
	struct svg s = { .r = r };
	char *body = NULL, thr[24];
	size_t blen = 0, i;
	int rc = 0;

	/* the height is known at the end: the body goes to memory first */
	s.f = open_memstream(&body, &blen);
	if (!s.f)
		return -1;
	time_range(&s);
	snprintf(s.over, sizeof(s.over), "none of %s or more", fmt_ns(r->threshold_ms * 1e6, thr, sizeof(thr)));
	header(&s);
	for (i = 0; i < r->ninsts && !rc; i++)
		rc = instance(&s, (int)i);
	if (!r->ninsts)
		svg_text(s.f, 8, s.y + 16, "class=\"none\"", "No Redis instance was traced.");
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
	      "</style>\n<defs>", out);
	svg_heat_gradient(out);
	fputs("</defs>\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n", out);
	fwrite(body, 1, blen, out);
	fputs("</svg>\n", out);
	free(body);
	return ferror(out) ? -1 : 0;
}
