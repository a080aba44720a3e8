// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include "follow.h"

/* /proc's start times count in clock ticks (10 ms), rounded down */
#define START_SLACK_S 0.01

int follow_same_exe(const char *a, const char *b)
{
	static const char deleted[] = " (deleted)";
	size_t la = strlen(a), lb = strlen(b), ld = sizeof(deleted) - 1;

	if (la >= ld && !strcmp(a + la - ld, deleted))
		la -= ld;
	if (lb >= ld && !strcmp(b + lb - ld, deleted))
		lb -= ld;
	return la == lb && !strncmp(a, b, la);
}

static int shares_port(const struct redis_proc *a, const struct redis_proc *b)
{
	int i, j;

	for (i = 0; i < a->nports; i++)
		for (j = 0; j < b->nports; j++)
			if (a->ports[i] == b->ports[j])
				return 1;
	return 0;
}

void follow_match(const struct follow_proc *lost, int nlost, const struct follow_proc *cand, int ncand,
		  double now_s, int *match)
{
	int i, j, pass, taken[ncand > 0 ? ncand : 1];

	memset(taken, 0, sizeof(taken));
	for (i = 0; i < nlost; i++)
		match[i] = -1;
	/* pass 0: by port; pass 1: by executable */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < nlost; i++) {
			const struct redis_proc *l = lost[i].proc;

			if (match[i] >= 0)
				continue;
			for (j = 0; j < ncand; j++) {
				const struct follow_proc *c = &cand[j];

				if (taken[j] || c->t_s + START_SLACK_S < lost[i].t_s)
					continue;
				if (pass == 0 && !shares_port(l, c->proc))
					continue;
				if (pass == 1 && (!follow_same_exe(l->exe, c->proc->exe) ||
						  now_s - c->t_s < (l->nports ? FOLLOW_BIND_S : FOLLOW_SETTLE_S)))
					continue;
				if (match[i] < 0 || c->t_s < cand[match[i]].t_s)
					match[i] = j;
			}
			if (match[i] >= 0)
				taken[match[i]] = 1;
		}
	}
}
