// SPDX-License-Identifier: GPL-2.0
/* The run in time: per-slice command latency by class, for the heatmap.
 * Slices are differences of the cumulative histograms the tracer reads. */
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
	if (tl->n == tl->cap) {
		size_t cap = tl->cap ? tl->cap * 2 : 64;
		struct tl_slice *s = realloc(tl->s, cap * sizeof(*s));

		if (!s)
			return -1;
		tl->s = s;
		tl->cap = cap;
	}
	tl->s[tl->n++] = sl;
	return 0;
}

void timeline_free(struct timeline *tl)
{
	free(tl->s);
	memset(tl, 0, sizeof(*tl));
}
