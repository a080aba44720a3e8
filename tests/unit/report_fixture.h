/* SPDX-License-Identifier: GPL-2.0 */
/* A hand-built report of one Redis instance (pid 4242, port 6379), for the
 * renderers' unit tests. Include after cmocka.h. */
#ifndef REDLAT_TEST_REPORT_FIXTURE_H
#define REDLAT_TEST_REPORT_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include "histo.h"
#include "report.h"
#include "stalls_user.h"

static inline struct run_report *report_new(int exact)
{
	struct run_report *r = calloc(1, sizeof(*r));
	struct inst_report *in;

	assert_non_null(r);
	r->exact = exact;
	r->duration_s = 10;
	r->hit_ns = 120;
	r->pair_bias_ns = 80;
	r->threshold_ms = 10;
	r->insts = calloc(1, sizeof(*r->insts));
	assert_non_null(r->insts);
	r->ninsts = 1;
	in = &r->insts[0];
	in->pid = 4242;
	snprintf(in->exe, sizeof(in->exe), "/usr/bin/redis-server");
	snprintf(in->version, sizeof(in->version), "7.0.15");
	snprintf(in->product, sizeof(in->product), "redis");
	in->ports[0] = 6379;
	in->nports = 1;
	return r;
}

/* Frees the report; the stalls of its instances are the test's. */
static inline void report_free(struct run_report *r)
{
	run_report_free(r);
	free(r);
}

static inline struct cmd_stat *cmd(struct run_report *r, const char *name)
{
	struct cmd_stat *c = inst_cmd(&r->insts[0], name);

	assert_non_null(c);
	return c;
}

/* times executions (or responses) of ns of the command */
static inline void record(struct run_report *r, const char *name, int span, __u64 ns, int times)
{
	struct cmd_stat *c = cmd(r, name);

	while (times-- > 0)
		hist_record(&c->span[span], ns);
}

#endif
