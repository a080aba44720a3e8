// SPDX-License-Identifier: GPL-2.0
/* Renderers of a hand-built run report: table, doctor, JSON; sorting and
 * the fast-command class. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "histo.h"
#include "report.h"

static struct run_report *report_new(int exact)
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

static void report_free(struct run_report *r)
{
	run_report_free(r);
	free(r);
}

static struct cmd_stat *cmd(struct run_report *r, const char *name)
{
	struct cmd_stat *c = inst_cmd(&r->insts[0], name);

	assert_non_null(c);
	return c;
}

static void record(struct run_report *r, const char *name, int span, __u64 ns, int times)
{
	struct cmd_stat *c = cmd(r, name);

	while (times-- > 0)
		hist_record(&c->span[span], ns);
}

typedef void (*render_fn)(FILE *, const struct run_report *, const struct inst_report *);

static char *render(render_fn fn, const struct run_report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fn(f, r, &r->insts[0]);
	fclose(f);
	return buf;
}

static void test_inst_cmd(void **state)
{
	struct run_report *r = report_new(1);
	struct inst_report *in = &r->insts[0];
	struct cmd_stat *a, *b;
	char name[16];
	int i;

	a = cmd(r, "get");
	b = cmd(r, "set");
	assert_ptr_not_equal(a, b);
	assert_int_equal(in->ncmds, 2);
	hist_record(&cmd(r, "get")->span[SPAN_EXEC], 5);
	assert_int_equal(in->ncmds, 2);	/* found, not added */
	assert_string_equal(in->cmds[0].name, "get");
	assert_int_equal(in->cmds[0].span[SPAN_EXEC].count, 1);
	assert_int_equal(in->cmds[1].span[SPAN_EXEC].count, 0);
	/* growth keeps what was there */
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		hist_record(&cmd(r, name)->span[SPAN_EXEC], i + 1);
	}
	assert_int_equal(in->ncmds, 102);
	assert_int_equal(cmd(r, "get")->span[SPAN_EXEC].count, 1);
	assert_int_equal(cmd(r, "c77")->span[SPAN_EXEC].sum_ns, 78);
	assert_int_equal(in->ncmds, 102);
	report_free(r);
}

/* Execution: get 4x100us + 1x1ms, set 2x250us, ping 3x0 (<1us).
 * Response: get 5x150us. */
static struct run_report *table_report(void)
{
	struct run_report *r = report_new(1);

	record(r, "get", SPAN_EXEC, 100000, 4);
	record(r, "get", SPAN_EXEC, 1000000, 1);
	record(r, "get", SPAN_RESPONSE, 150000, 5);
	record(r, "set", SPAN_EXEC, 250000, 2);
	record(r, "ping", SPAN_EXEC, 0, 3);
	cmd(r, "never");	/* no samples: no row */
	return r;
}

static void test_render_table(void **state)
{
	struct run_report *r = table_report();
	char *out;

	inst_sort(&r->insts[0]);
	out = render(render_table, r);
	/* get: 5 calls, 1.4 ms total, mean 280 us. p50 is rank 3 of 5: a
	 * 100 us sample, slot [98304,102400), midpoint 100351.5 -> "100us".
	 * p90 is rank ceil(4.5) = 5, like p99 and p99.9: the 1 ms sample, slot
	 * [983040,1015808), midpoint 999423.5 (under max) -> "999us"; max is
	 * exact, 1.00ms. Response 150 us: slot [147456,155648), midpoint
	 * 151551.5 is above max, clamped to 150000 -> "150us".
	 * set: 2 calls, 500 us, mean 250 us; slot [245760,253952), midpoint
	 * 249855.5 -> "250us". ping: 3 calls of 0 ns: "<1us", total 0ns.
	 * "never" has no sample: no row. Sorted by total: get, set, ping. */
	assert_string_equal(out,
		"COMMAND                       CALLS     TOTAL      MEAN       P50       P90       P99     P99.9       MAX |  RESP-P50  RESP-P99\n"
		"get                               5    1.40ms     280us     100us     999us     999us     999us    1.00ms |     150us     150us\n"
		"set                               2     500us     250us     250us     250us     250us     250us     250us |         -         -\n"
		"ping                              3       0ns       0ns      <1us      <1us      <1us      <1us      <1us |         -         -\n");
	free(out);
	report_free(r);
}

static void test_render_table_sampled(void **state)
{
	struct run_report *r = report_new(0);
	struct cmd_stat *c;
	char *out;

	record(r, "get", SPAN_EXEC, 100000, 4);
	inst_weigh(&r->insts[0], 25);	/* each sample stands for 25 */
	c = cmd(r, "get");
	assert_float_equal(cmd_est_count(r, c), 100, 1e-9);
	assert_float_equal(cmd_est_sum(r, c), 10e6, 1e-3);
	out = render(render_table, r);
	/* ~CALLS and TOTAL are the estimates, the rest the samples' */
	assert_string_equal(out,
		"COMMAND                      ~CALLS     TOTAL      MEAN       P50       P90       P99     P99.9       MAX |  RESP-P50  RESP-P99\n"
		"get                             100    10.0ms     100us     100us     100us     100us     100us     100us |         -         -\n");
	free(out);

	/* an interval table shows what was sampled, not estimates */
	r->raw_counts = 1;
	assert_float_equal(cmd_est_count(r, c), 4, 1e-9);
	out = render(render_table, r);
	assert_non_null(strstr(out, "SAMPLED"));
	assert_non_null(strstr(out, "get                               4     400us"));
	free(out);
	report_free(r);
}

/* Windows weigh their own samples; a late top-up raises the last batch. */
static void test_weigh(void **state)
{
	struct run_report *r = report_new(0);
	struct cmd_stat *c;

	record(r, "get", SPAN_EXEC, 100000, 4);
	inst_weigh(&r->insts[0], 25);
	record(r, "get", SPAN_EXEC, 100000, 2);
	inst_weigh(&r->insts[0], 10);	/* only the 2 new samples */
	c = cmd(r, "get");
	assert_float_equal(c->est_count, 4 * 25 + 2 * 10, 1e-9);
	assert_float_equal(c->est_sum_ns, (4 * 25 + 2 * 10) * 100000.0, 1e-3);
	assert_int_equal(c->seen_count, 6);
	inst_weigh_more(&r->insts[0], 5);	/* the last 2 now stand for 15 each */
	assert_float_equal(c->est_count, 130, 1e-9);
	assert_float_equal(c->est_var, 4 * 25 * 25 + 2 * 15 * 15, 1e-9);
	assert_float_equal(run_scale(r), 130.0 / 6, 1e-12);
	/* nothing new: a weighing changes nothing */
	inst_weigh(&r->insts[0], 1000);
	assert_float_equal(c->est_count, 130, 1e-9);
	report_free(r);
}

static void test_doctor_no_spike(void **state)
{
	struct run_report *r = table_report();
	char *out = render(render_doctor, r);

	assert_non_null(strstr(out, "No latency spike was observed"));
	assert_non_null(strstr(out, "10 ms"));
	assert_null(strstr(out, "latency spikes ("));
	free(out);
	report_free(r);
}

static const char *line_starting(const char *text, const char *prefix)
{
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, prefix, strlen(prefix)))
			return p;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

static void test_doctor_spikes(void **state)
{
	struct run_report *r = table_report();
	const char *l;
	char *out;

	record(r, "keys", SPAN_EXEC, 50000000, 1);	/* 50 ms */
	out = render(render_doctor, r);
	assert_non_null(strstr(out, "I have observed latency spikes"));
	l = line_starting(out, "1. command: 1 latency spikes");
	assert_non_null(l);
	/* the 50 ms slot's midpoint rounds to 49 ms; the worst is exact */
	assert_non_null(strstr(l, "average 49ms"));
	assert_non_null(strstr(l, "Worst all time event 50ms (keys)"));
	assert_non_null(strstr(out, "Slow commands ran here (keys)"));
	assert_null(strstr(out, "fast-command"));
	free(out);

	record(r, "get", SPAN_EXEC, 20000000, 1);	/* 20 ms get */
	out = render(render_doctor, r);
	assert_non_null(line_starting(out, "1. command: 1 latency spikes"));
	l = line_starting(out, "2. fast-command: 1 latency spikes");
	assert_non_null(l);
	assert_non_null(strstr(l, "(get)"));
	assert_non_null(strstr(out, "did not get the CPU"));
	/* get is fast: not listed among the slow commands */
	assert_non_null(strstr(out, "Slow commands ran here (keys)."));
	free(out);
	report_free(r);
}

static void test_doctor_fast_only(void **state)
{
	struct run_report *r = report_new(1);
	const char *l;
	char *out;

	record(r, "get", SPAN_EXEC, 20000000, 2);
	record(r, "get", SPAN_EXEC, 1000, 100);
	out = render(render_doctor, r);
	l = line_starting(out, "1. fast-command: 2 latency spikes");
	assert_non_null(l);
	assert_non_null(strstr(l, "period 5.00 sec"));	/* 10 s / 2 */
	assert_null(line_starting(out, "1. command:"));
	assert_null(strstr(out, "Slow commands"));
	free(out);
	report_free(r);
}

/* Redis logs a latency event when a command takes the threshold or more;
 * a 9.97 ms GET under a 10 ms threshold is no spike, even though its
 * histogram slot reaches past 10 ms. */
static void test_doctor_below_threshold(void **state)
{
	struct run_report *r = report_new(1);
	char *out;

	record(r, "get", SPAN_EXEC, 9970000, 1);
	record(r, "hgetall", SPAN_EXEC, 9990000, 1);
	out = render(render_doctor, r);
	assert_non_null(strstr(out, "No latency spike was observed"));
	free(out);
	report_free(r);
}

static json_object *path(json_object *o, const char *key)
{
	json_object *v = NULL;

	assert_true(json_object_object_get_ex(o, key, &v));
	return v;
}

static void test_render_json(void **state)
{
	struct run_report *r = table_report();
	json_object *root, *inst, *c0, *exec, *resp, *cmds;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	r->stats[STAT_CMD_HITS] = 11;
	inst_sort(&r->insts[0]);
	assert_int_equal(render_json(f, r), 0);
	fclose(f);
	root = json_tokener_parse(buf);
	assert_non_null(root);
	assert_string_equal(json_object_get_string(path(root, "mode")), "exact");
	assert_int_equal(json_object_get_int64(path(path(root, "stats"), "command_probe_hits")), 11);
	assert_false(json_object_object_get_ex(root, "sampling", NULL));
	inst = json_object_array_get_idx(path(root, "instances"), 0);
	assert_non_null(inst);
	assert_int_equal(json_object_get_int(path(inst, "pid")), 4242);
	assert_string_equal(json_object_get_string(path(inst, "version")), "7.0.15");
	assert_string_equal(json_object_get_string(path(inst, "product")), "redis");
	assert_int_equal(json_object_array_length(path(inst, "ports")), 1);
	assert_int_equal(json_object_get_int(json_object_array_get_idx(path(inst, "ports"), 0)), 6379);
	cmds = path(inst, "commands");
	assert_int_equal(json_object_array_length(cmds), 4);	/* "never" included */
	c0 = json_object_array_get_idx(cmds, 0);
	assert_string_equal(json_object_get_string(path(c0, "name")), "get");
	exec = path(c0, "execution");
	assert_int_equal(json_object_get_int64(path(exec, "count")), 5);
	assert_int_equal(json_object_get_int64(path(exec, "total_ns")), 1400000);
	assert_int_equal(json_object_get_int64(path(exec, "max_ns")), 1000000);
	assert_float_equal(json_object_get_double(path(exec, "mean_ns")), 280000, 1e-6);
	assert_float_equal(json_object_get_double(path(exec, "p50_ns")), 100351.5, 1e-6);
	assert_float_equal(json_object_get_double(path(exec, "p99_ns")), 999423.5, 1e-6);
	assert_false(json_object_object_get_ex(exec, "ci95", NULL));
	resp = path(c0, "response");
	assert_int_equal(json_object_get_int64(path(resp, "count")), 5);
	json_object_put(root);
	free(buf);
	report_free(r);
}

static void test_render_json_sampled(void **state)
{
	struct run_report *r = report_new(0);
	json_object *root, *exec, *ci;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	r->windows = 3;
	record(r, "get", SPAN_EXEC, 100000, 4);
	inst_weigh(&r->insts[0], 25);
	f = open_memstream(&buf, &len);
	render_json(f, r);
	fclose(f);
	root = json_tokener_parse(buf);
	assert_non_null(root);
	assert_string_equal(json_object_get_string(path(root, "mode")), "sampled");
	assert_int_equal(json_object_get_int(path(path(root, "sampling"), "windows")), 3);
	exec = path(json_object_array_get_idx(path(json_object_array_get_idx(
		path(root, "instances"), 0), "commands"), 0), "execution");
	assert_int_equal(json_object_get_int64(path(exec, "count")), 4);
	assert_float_equal(json_object_get_double(path(exec, "estimated_count")), 100, 1e-9);
	assert_float_equal(json_object_get_double(path(exec, "estimated_total_ns")), 10e6, 1e-3);
	ci = path(path(exec, "ci95"), "p50_ns");
	assert_int_equal(json_object_array_length(ci), 2);
	assert_true(json_object_get_double(json_object_array_get_idx(ci, 0)) <= 100000);
	assert_true(json_object_get_double(json_object_array_get_idx(ci, 1)) >= 100000);
	/* 4 seen: 4 +- 1.96*2, times 25 */
	ci = path(path(exec, "ci95"), "estimated_count");
	assert_float_equal(json_object_get_double(json_object_array_get_idx(ci, 0)), 2, 1e-9);
	assert_float_equal(json_object_get_double(json_object_array_get_idx(ci, 1)), 198, 1e-9);
	json_object_put(root);
	free(buf);
	report_free(r);
}

static void test_is_fast_command(void **state)
{
	assert_int_equal(is_fast_command("get"), 1);
	assert_int_equal(is_fast_command("zscore"), 1);	/* last */
	assert_int_equal(is_fast_command("append"), 1);	/* first */
	assert_int_equal(is_fast_command("hset"), 1);
	assert_int_equal(is_fast_command("keys"), 0);
	assert_int_equal(is_fast_command("set"), 0);	/* not CMD_FAST in 7.0 */
	assert_int_equal(is_fast_command("GET"), 0);	/* names are lower case */
	assert_int_equal(is_fast_command("config|get"), 0);
	assert_int_equal(is_fast_command(""), 0);
}

static void test_inst_sort(void **state)
{
	struct run_report *r = report_new(1);
	struct inst_report *in = &r->insts[0];

	record(r, "a", SPAN_EXEC, 1000, 10);	/* 10 us total */
	record(r, "b", SPAN_EXEC, 50000, 1);	/* 50 us */
	record(r, "c", SPAN_EXEC, 2000, 20);	/* 40 us */
	record(r, "d", SPAN_RESPONSE, 900000, 5);	/* response only: 0 */
	record(r, "e", SPAN_EXEC, 10000, 1);	/* ties with a: name order */
	inst_sort(in);
	assert_string_equal(in->cmds[0].name, "b");
	assert_string_equal(in->cmds[1].name, "c");
	assert_string_equal(in->cmds[2].name, "a");
	assert_string_equal(in->cmds[3].name, "e");
	assert_string_equal(in->cmds[4].name, "d");
	/* the data moved with the names */
	assert_int_equal(in->cmds[1].span[SPAN_EXEC].count, 20);
	report_free(r);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inst_cmd),
		cmocka_unit_test(test_render_table),
		cmocka_unit_test(test_render_table_sampled),
		cmocka_unit_test(test_weigh),
		cmocka_unit_test(test_doctor_no_spike),
		cmocka_unit_test(test_doctor_spikes),
		cmocka_unit_test(test_doctor_fast_only),
		cmocka_unit_test(test_doctor_below_threshold),
		cmocka_unit_test(test_render_json),
		cmocka_unit_test(test_render_json_sampled),
		cmocka_unit_test(test_is_fast_command),
		cmocka_unit_test(test_inst_sort),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
