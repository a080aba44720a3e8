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

double sampler_gap_commands(double cmds, double probe_ns, double cpu_in_ns, double cpu_gap_ns)
{
	double per_cmd;

	if (cmds <= 0)
		return 0;
	per_cmd = (cpu_in_ns - probe_ns) / cmds;
	/* The probe cost is a start-up measurement: when it exceeds what the
	 * window used, fall back to a quarter of the window's per-command CPU
	 * rather than divide by zero or a negative. */
	if (per_cmd <= cpu_in_ns / cmds / 4)
		per_cmd = cpu_in_ns / cmds / 4;
	if (per_cmd <= 0)
		return 0;
	return cpu_gap_ns / per_cmd;
}

double sampler_gap_commands_io(double cmds, double reads_in, double reads_gap)
{
	if (reads_in <= 0 || cmds <= 0)
		return -1;
	return cmds / reads_in * reads_gap;
}

void sampler_account(struct sampler *s, double window_ns, uint64_t hits, double gap_ns, double gap_commands)
{
	s->windows++;
	s->attached_ns += window_ns;
	s->detached_ns += gap_ns;
	s->sampled_commands += hits;
	s->est_commands += (double)hits + gap_commands;
}

double sampler_scale(const struct sampler *s)
{
	if (!s->sampled_commands || s->detached_ns <= 0)
		return 1.0;
	return s->est_commands / (double)s->sampled_commands;
}
