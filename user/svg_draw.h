/* SPDX-License-Identifier: GPL-2.0 */
/* Inside the SVG picture: its geometry and colours, the drawing helpers
 * (svg.c), the stall lanes (svg_lanes.c) and the heatmaps (svg_heat.c). */
#ifndef REDLAT_SVG_DRAW_H
#define REDLAT_SVG_DRAW_H

#include <stdio.h>
#include "report.h"

#define WIDTH 1200
#define PX0 170.0		/* the plot's left edge: lane labels before it */
#define PX1 1100.0		/* its right edge: the colour scale after it */
#define LANE_H 22.0
#define MIN_W 2.0		/* a mark's least width, so a 1 ms stall shows on an hour */
#define CHAR_W 6.0		/* a character's advance at 10 px, to fit labels */

#define FORK_FILL "#d62728"
#define CHILD_FILL "#f4a9a8"
#define FSYNC_FILL "#2a9d8f"
#define AOF_WRITE_FILL "#9c755f"
#define COMMAND_FILL "#59a14f"
#define CYCLE_FILL "#c9a227"

/* Where an event-loop iteration's time went (struct stall_rec's
 * breakdown), in that order. */
enum { P_ONCPU, P_RUNQ, P_SLEEP, P_BLOCK, P_MAX };
struct part { const char *name, *fill; };
extern const struct part svg_parts[P_MAX];

struct svg {
	FILE *f;
	const struct run_report *r;
	double t0, t1;		/* unix times of the plot's edges */
	double y;		/* where the next block starts */
	char over[48];		/* an empty lane of events over the threshold */
};

/* A <text> at (x, y): attrs is constant markup, the content is formatted
 * and escaped. */
void svg_text(FILE *f, double x, double y, const char *attrs, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Text data (names from the traced processes) escaped for XML. */
void svg_puts(FILE *f, const char *s);
void svg_title(FILE *f, const char *tip);
void svg_rect(FILE *f, double x, double y, double w, double h, const char *fill);
/* A mark: a rectangle of class cls that tells its figures (tip) on hover. */
void svg_mark(FILE *f, const char *cls, double x, double y, double w, double h, const char *fill,
	      const char *tip);
void svg_appendf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Unix time to x on the plot (clamped to it). */
double svg_x(const struct svg *s, double t);
/* "12:00:01.234 (+3.21s)": the clock, and the place on the axis */
const char *svg_when(const struct svg *s, double wall, char *buf, size_t len);

/* The stall lanes of an instance: how many, and drawn from top. */
size_t svg_lane_count(const struct svg *s, const struct inst_report *in);
void svg_lanes(struct svg *s, const struct inst_report *in, double top);

/* The heatmaps of an instance: its columns, the buckets shown and the
 * most executions in a cell. */
struct column;
struct heat {
	struct column *c;
	size_t n;
	int lo, hi;		/* buckets shown */
	double max;
};
int svg_heat_build(const struct svg *s, int inst, struct heat *h);	/* -1 on ENOMEM */
double svg_heat_height(const struct heat *h);	/* of both classes */
void svg_heatmaps(struct svg *s, const struct heat *h, double top);
void svg_heat_free(struct heat *h);
/* The colour scale's gradient, for <defs>. */
void svg_heat_gradient(FILE *f);

#endif
