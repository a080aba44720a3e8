// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include "sampler.h"

void sampler_init(struct sampler *s, double budget, double window_ns, double max_gap_ns)
{
	memset(s, 0, sizeof(*s));
	s->budget = budget;
	s->window_ns = window_ns;
	s->max_gap_ns = max_gap_ns;
}

double sampler_gap_ns(const struct sampler *s, double probe_ns, double cpu_ns, double window_ns)
{
	double f, duty, gap;

	if (window_ns <= 0)
		return 0;
	if (cpu_ns < window_ns / 5)
		cpu_ns = window_ns / 5;
	f = probe_ns / cpu_ns;
	if (f <= s->budget)
		return 0;	/* cheap enough to stay attached */
	duty = s->budget / f;
	gap = window_ns * (1.0 / duty - 1.0);
	return gap > s->max_gap_ns ? s->max_gap_ns : gap;
}

void sampler_window(struct sampler *s, double window_ns)
{
	s->windows++;
	s->attached_ns += window_ns;
}
