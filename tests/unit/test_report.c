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
#include <time.h>
#include "histo.h"
#include "report.h"
#include "stalls_user.h"
#include "util.h"
#include "report_fixture.h"

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

/* The doctor reads events (every occurrence over the threshold, dated) and
 * the memory facts; a report with an instance whose stalls are built by
 * hand. Times are seconds since the epoch, UTC (main sets TZ): the run
 * ends at T_END. */
#define T_END 1060.0

static struct run_report *doc_report(void)
{
	struct run_report *r = report_new(1);
	struct inst_report *in = &r->insts[0];

	in->st = calloc(1, sizeof(*in->st));
	assert_non_null(in->st);
	in->st->pid = in->pid;
	r->end_wall = T_END;
	r->duration_s = 60;
	snprintf(r->thp_enabled, sizeof(r->thp_enabled), "madvise");
	return r;
}

static void doc_free(struct run_report *r)
{
	stalls_free(r->insts[0].st);
	free(r->insts[0].st);
	report_free(r);
}

/* An event at unix time at_s lasting ms: kind, its class (klass), thread
 * role, file class and file (a command's name for SK_COMMAND). */
static struct stall_event *ev(struct stall_event *e, int kind, int klass, double at_s, double ms)
{
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->klass = klass;
	e->tgid = e->pid = e->tid = 4242;
	e->ts_ns = (__u64)(at_s * 1e9);
	e->dur_ns = (__u64)(ms * 1e6);
	return e;
}

static void add(struct run_report *r, const struct stall_event *e)
{
	stalls_add_event(r->insts[0].st, e);
}

static void add_cmd(struct run_report *r, const char *name, double at_s, double ms)
{
	struct stall_event e;

	ev(&e, SK_COMMAND, 0, at_s, ms);
	snprintf(e.file, sizeof(e.file), "%s", name);
	add(r, &e);
	record(r, name, SPAN_EXEC, (__u64)(ms * 1e6), 1);
}

static void add_fsync(struct run_report *r, int role, int fclass, double at_s, double ms)
{
	struct stall_event e;
	struct stall_key k = { .tgid = 4242, .kind = SK_FDATASYNC, .role = role, .fclass = fclass };
	struct hist h = {};
	size_t i;

	ev(&e, SK_FDATASYNC, 0, at_s, ms);
	e.role = role;
	e.fclass = fclass;
	add(r, &e);
	/* the histogram holds every call */
	for (i = 0; i < r->insts[0].st->nhists; i++)
		if (!memcmp(&r->insts[0].st->hists[i].key, &k, sizeof(k)))
			h = r->insts[0].st->hists[i].h;
	hist_record(&h, e.dur_ns);
	stalls_set_hist(r->insts[0].st, &k, &h);
}

static char *doctor(struct run_report *r)
{
	return render(render_doctor, r);
}

static int has(const char *text, const char *s)
{
	return strstr(text, s) != NULL;
}

static void test_doctor_no_spike(void **state)
{
	struct run_report *r = doc_report();
	char *out;

	add_cmd(r, "keys", 1000, 9.99);		/* under the threshold */
	add_fsync(r, ROLE_MAIN, FC_AOF, 1001, 2);
	out = doctor(r);
	assert_non_null(line_starting(out, "No latency spike was observed during this run: nothing took "
				      "10 ms or more"));
	assert_false(has(out, "latency spikes ("));
	assert_false(has(out, "advices"));
	assert_false(has(out, "easy fix"));
	free(out);
	doc_free(r);
}

/* The doctor of a run with one command over the threshold. */
static char *cmd_doctor(const char *name, double at_s, double ms)
{
	struct run_report *r = doc_report();
	char *out;

	add_cmd(r, name, at_s, ms);
	out = doctor(r);
	doc_free(r);
	return out;
}

/* Redis counts an event when it takes the threshold or more. */
static void test_doctor_threshold_inclusive(void **state)
{
	char *out = cmd_doctor("keys", 1000, 10);

	assert_non_null(line_starting(out, "1. command: 1 latency spikes"));
	free(out);
}

/* Average, mean deviation (mean absolute deviation from the average), period
 * (end of the run - first spike, over the spikes: Redis's (now - oldest) /
 * samples), worst, p99 (rank ceil(0.99 n)) and when, exactly. */
static void test_doctor_line_figures(void **state)
{
	struct run_report *r = doc_report();
	char *out;

	add_cmd(r, "sort", 1000, 20);
	add_cmd(r, "keys", 1040, 50);
	add_cmd(r, "sort", 1010, 30);
	add_cmd(r, "sort", 1020, 40);
	add_cmd(r, "get", 1030, 1);	/* under the threshold, and fast */
	stalls_sort(r->insts[0].st);
	out = doctor(r);
	assert_non_null(line_starting(out, "I have observed latency spikes in this Redis instance.\n"));
	/* average 35, deviations 15 5 5 15 -> 10; (1060 - 1000) / 4 = 15 s */
	assert_non_null(line_starting(out,
		"1. command: 4 latency spikes (average 35.0ms, mean deviation 10.0ms, period 15.00 sec). "
		"Worst all time event 50.0ms (keys). p99 50.0ms; first 00:16:40.000, last 00:17:20.000.\n"));
	assert_false(has(out, "fast-command"));
	assert_false(has(out, "2. "));
	free(out);
	doc_free(r);

	/* one spike: "at", and the period runs to the end of the run */
	out = cmd_doctor("keys", 1045.5, 12);
	assert_non_null(line_starting(out, "1. command: 1 latency spikes (average 12.0ms, mean deviation "
				      "0ns, period 14.50 sec). Worst all time event 12.0ms (keys). p99 12.0ms; "
				      "at 00:17:25.500.\n"));
	free(out);
}

static void test_doctor_fast_command(void **state)
{
	struct run_report *r = doc_report();
	char *out;

	add_cmd(r, "get", 1000, 20);
	add_cmd(r, "get", 1001, 1);
	out = doctor(r);
	assert_non_null(line_starting(out, "1. fast-command: 1 latency spikes"));
	assert_non_null(strstr(out, "Worst all time event 20.0ms (get)"));
	assert_null(line_starting(out, "1. command:"));
	assert_non_null(strstr(out, "- Commands Redis flags as fast (O(1) or O(log N)) took 10.0ms or more "
				    "1 time (worst get, 20.0ms): Redis was not given the CPU, or waited"));
	assert_non_null(strstr(out, "--intrinsic-latency 100"));
	assert_false(has(out, "Slow commands ran"));	/* get is no slow command */
	free(out);

	doc_free(r);

	/* no fast-command spike, no scheduler advice */
	out = cmd_doctor("keys", 1000, 20);
	assert_false(has(out, "flags as fast"));
	assert_false(has(out, "intrinsic-latency"));
	free(out);
}

/* Each slow command is named with what to use instead. */
static void test_doctor_slow_commands(void **state)
{
	static const struct { const char *cmd, *advice; } want[] = {
		{ "keys", "  keys: SCAN with MATCH and COUNT" },
		{ "hgetall", "  hgetall: HSCAN" },
		{ "smembers", "  smembers: SSCAN" },
		{ "lrange", "  lrange: pages (LRANGE key 0 99" },
		{ "zrange", "  zrange: bounded ranges" },
		{ "sort", "  sort: SORT ... LIMIT" },
		{ "debug", "  debug: nothing on a production server" },
		{ "eval", "  eval: shorter scripts" },
		{ "save", "  save: BGSAVE" },
	};
	struct run_report *r = doc_report();
	char *out;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(want); i++)
		add_cmd(r, want[i].cmd, 1000 + i, 100 + i);
	add_cmd(r, "keys", 1020, 30);
	add_cmd(r, "mymodule.cmd", 1021, 15);	/* no alternative known */
	out = doctor(r);
	assert_non_null(strstr(out, "- Slow commands ran (the command event): save 1 time (worst 108ms), "
				    "eval 1 time (worst 107ms)"));
	assert_non_null(strstr(out, "keys 2 times (worst 100ms)"));
	assert_non_null(strstr(out, "mymodule.cmd 1 time (worst 15.0ms). Instead:\n"));
	for (i = 0; i < ARRAY_SIZE(want); i++)
		assert_non_null(line_starting(out, want[i].advice));
	assert_null(line_starting(out, "  mymodule.cmd:"));
	assert_non_null(strstr(out, "SLOWLOG GET shows their arguments"));
	assert_false(has(out, "UNLINK"));	/* no delete was slow */
	free(out);
	doc_free(r);
}

static void test_doctor_deletes(void **state)
{
	struct run_report *r = doc_report();
	char *out;

	add_cmd(r, "del", 1000, 120);
	add_cmd(r, "flushall", 1001, 2100);
	out = doctor(r);
	assert_non_null(strstr(out, "- Deleting took 10.0ms or more: flushall 1 time (worst 2.10s), del 1 time "
				    "(worst 120ms). Freeing a large object blocks Redis: use UNLINK rather than DEL"));
	assert_non_null(strstr(out, "lazyfree-lazy-user-del yes"));
	assert_false(has(out, "Slow commands ran"));	/* deletes only */
	free(out);
	doc_free(r);
}

static void add_fork(struct run_report *r, double at_s, double ms, double rss_gib)
{
	struct stall_event e;

	ev(&e, SK_FORK, FORK_PURPOSE_RDB, at_s, ms);
	e.ret = e.child = 5000 + (int)at_s;
	e.rss_bytes = (__u64)(rss_gib * (1ULL << 30));
	e.pgtable_bytes = 4 << 20;
	add(r, &e);
}

/* The doctor of a run with one fork. */
static char *fork_doctor(double ms, double rss_gib)
{
	struct run_report *r = doc_report();
	char *out;

	add_fork(r, 1000, ms, rss_gib);
	out = doctor(r);
	doc_free(r);
	return out;
}

/* The fork line rates the slowest fork as Redis rates fork rates; advice
 * only for poor or terrible rates of forks that were spikes. */
static void test_doctor_fork(void **state)
{
	struct run_report *r = doc_report();
	char *out;

	add_fork(r, 1000, 200, 2);	/* 10 GB/s: poor */
	add_fork(r, 1030, 20, 1);	/* 50 GB/s: good */
	add_fork(r, 1040, 1, 0.01);	/* 9.8 GB/s, terrible, but under the threshold */
	out = doctor(r);
	assert_non_null(line_starting(out, "1. fork: 2 latency spikes (average 110ms, mean deviation 90.0ms, "
				      "period 30.00 sec). Worst all time event 200ms (rdb). Fork rate is 10.00 "
				      "GB/sec (poor), the slowest. p99 200ms; first 00:16:40.000, last 00:17:10.000.\n"));
	assert_non_null(strstr(out, "- Forking Redis (2.00GB RSS, 4.00MB of page tables) stalled it 200ms at "
				    "00:16:40.000, 10.00 GB/sec (poor)"));
	assert_non_null(strstr(out, "Xen"));
	free(out);
	doc_free(r);

	out = fork_doctor(100, 0.5);	/* 5 GB/s */
	assert_non_null(strstr(out, "Fork rate is 5.00 GB/sec (terrible)."));
	assert_non_null(strstr(out, "5.00 GB/sec (terrible): every BGSAVE"));
	free(out);

	/* a good rate: the line, no advice */
	out = fork_doctor(20, 1);
	assert_non_null(strstr(out, "Fork rate is 50.00 GB/sec (good)."));
	assert_false(has(out, "Forking Redis"));
	assert_false(has(out, "advices"));
	free(out);

	/* a poor rate under the threshold: no spike, no advice */
	out = fork_doctor(1, 0.01);
	assert_non_null(strstr(out, "No latency spike was observed"));
	assert_false(has(out, "fork:"));
	assert_false(has(out, "advices"));
	free(out);
}

static void test_doctor_thp(void **state)
{
	struct run_report *r = doc_report();
	char *out;

	/* huge pages in Redis's memory: advice even without a spike */
	r->insts[0].anon_huge_bytes = 4 << 20;
	out = doctor(r);
	assert_non_null(strstr(out, "No latency spike was observed"));
	assert_non_null(strstr(out, "I have a few advices for you:\n\n- Redis holds 4.00MB of transparent huge "
				    "pages (AnonHugePages in /proc/4242/smaps_rollup); this host's setting is "
				    "[madvise]."));
	assert_non_null(strstr(out, "echo never > /sys/kernel/mm/transparent_hugepage/enabled"));
	free(out);

	/* the host set to always, none in Redis */
	r->insts[0].anon_huge_bytes = 0;
	snprintf(r->thp_enabled, sizeof(r->thp_enabled), "always");
	out = doctor(r);
	assert_non_null(strstr(out, "- Transparent huge pages are set to [always] on this host "
				    "(/sys/kernel/mm/transparent_hugepage/enabled), though Redis holds none now."));
	free(out);

	/* madvise and none in Redis, or nothing known: no THP advice */
	snprintf(r->thp_enabled, sizeof(r->thp_enabled), "madvise");
	out = doctor(r);
	assert_false(has(out, "huge pages"));
	assert_false(has(out, "advices"));
	free(out);
	r->thp_enabled[0] = 0;
	r->insts[0].anon_huge_bytes = -1;
	out = doctor(r);
	assert_false(has(out, "huge pages"));
	free(out);
	doc_free(r);
}

/* Main-thread fsyncs of the AOF: appendfsync always, and a slow disk. */
static void test_doctor_fsync_always(void **state)
{
	struct run_report *r = doc_report();
	char *out;
	int i;

	for (i = 0; i < 3; i++)
		add_fsync(r, ROLE_MAIN, FC_AOF, 1000 + i, 40);
	add_fsync(r, ROLE_MAIN, FC_AOF, 1003, 2);
	out = doctor(r);
	assert_non_null(line_starting(out, "1. aof-fsync-always: 3 latency spikes (average 40.0ms"));
	assert_non_null(strstr(out, "- The main thread fsynced the AOF itself 4 times, and waited 10.0ms or "
				    "more 3 times (worst 40.0ms): that is appendfsync always"));
	/* p99 of the 4 calls: the 40 ms slot's midpoint */
	assert_non_null(strstr(out, "- The disk is slow: fsync of the AOF took 40.0ms at p99 (4 calls on "
				    "thread main, worst 40.0ms)."));
	free(out);
	doc_free(r);

	/* everysec: the background thread fsyncs, slowly: no always line or
	 * advice, but the disk is slow */
	r = doc_report();
	for (i = 0; i < 3; i++)
		add_fsync(r, ROLE_BIO_AOF, FC_AOF, 1000 + i, 40);
	out = doctor(r);
	assert_false(has(out, "aof-fsync-always"));
	assert_false(has(out, "appendfsync always"));
	assert_non_null(strstr(out, "took 40.0ms at p99 (3 calls on thread bio_aof"));
	free(out);
	doc_free(r);

	/* fast fsyncs: no disk advice */
	r = doc_report();
	for (i = 0; i < 100; i++)
		add_fsync(r, ROLE_MAIN, FC_AOF, 1000 + i * 0.1, 1);
	out = doctor(r);
	assert_false(has(out, "disk is slow"));
	assert_false(has(out, "advices"));
	free(out);
	doc_free(r);
}

static void add_aof_write(struct run_report *r, int klass, double at_s, double ms, int flags)
{
	struct stall_event e;

	ev(&e, SK_AOF_WRITE, klass, at_s, ms);
	e.fclass = FC_AOF;
	e.flags = flags | EVF_MAIN;
	add(r, &e);
}

static void test_doctor_aof_writes(void **state)
{
	struct run_report *r = doc_report();
	char *out;

	add_aof_write(r, AW_PENDING_FSYNC, 1000, 1400, EVF_BLOCKED);
	add_aof_write(r, AW_PENDING_FSYNC, 1001, 5, EVF_BLOCKED);	/* waited, under the threshold */
	add_aof_write(r, AW_ACTIVE_CHILD, 1002, 15, 0);
	add_aof_write(r, AW_ALONE, 1003, 25, 0);
	out = doctor(r);
	assert_non_null(line_starting(out, "1. aof-write-pending-fsync: 1 latency spikes (average 1.40s"));
	assert_non_null(line_starting(out, "2. aof-write-active-child: 1 latency spikes (average 15.0ms"));
	assert_non_null(line_starting(out, "3. aof-write-alone: 1 latency spikes (average 25.0ms"));
	assert_non_null(strstr(out, "- 2 AOF writes on the main thread waited for a background fsync to end "
				    "(worst 1.40s), and 1 aof-write-pending-fsync write took 10.0ms or more"));
	assert_non_null(strstr(out, "- 1 AOF write took 10.0ms or more while a fork child was writing"));
	assert_non_null(strstr(out, "- 1 AOF write took 10.0ms or more with no fsync or child in flight"));
	assert_false(has(out, "disk is slow"));	/* no fsync measured */
	free(out);
	doc_free(r);

	/* a slow write that waited for nothing: no blocked-write advice */
	r = doc_report();
	add_aof_write(r, AW_ALONE, 1003, 25, 0);
	out = doctor(r);
	assert_false(has(out, "waited for a background fsync"));
	assert_false(has(out, "fork child was writing"));
	free(out);
	doc_free(r);
}

static void test_doctor_main_thread_fsync(void **state)
{
	struct run_report *r = doc_report();
	char *out;

	add_fsync(r, ROLE_MAIN, FC_MANIFEST, 1000, 30);
	add_fsync(r, ROLE_CHILD, FC_RDB, 1001, 300);	/* the child's: nobody waited */
	out = doctor(r);
	assert_non_null(line_starting(out, "1. main-thread-fsync: 1 latency spikes (average 30.0ms"));
	assert_non_null(strstr(out, "(aof-manifest)"));
	assert_non_null(strstr(out, "- The main thread fsynced other files 1 time for 10.0ms or more (worst: "
				    "aof-manifest, 30.0ms)"));
	assert_false(has(out, "2. "));
	assert_false(has(out, "disk is slow"));	/* the AOF's fsyncs were not slow */
	free(out);
	doc_free(r);
}

static void test_doctor_cycles(void **state)
{
	struct run_report *r = doc_report();
	struct stall_event e;
	char *out;

	add(r, ev(&e, SK_CYCLE, CYCLE_EXPIRE, 1000, 25));
	add(r, ev(&e, SK_CYCLE, CYCLE_EXPIRE, 1001, 45));
	add(r, ev(&e, SK_CYCLE, CYCLE_EXPIRE, 1002, 2));
	out = doctor(r);
	assert_non_null(line_starting(out, "1. expire-cycle: 2 latency spikes (average 35.0ms, mean deviation "
				      "10.0ms"));
	assert_non_null(strstr(out, "- The active expire cycle ran 2 times for 10.0ms or more (worst 45.0ms, "
				    "the last at 00:16:41.000)"));
	assert_non_null(strstr(out, "CONFIG SET hz 100"));
	assert_false(has(out, "defrag"));
	free(out);

	add(r, ev(&e, SK_CYCLE, CYCLE_DEFRAG, 1003, 12));
	out = doctor(r);
	assert_non_null(line_starting(out, "2. active-defrag-cycle: 1 latency spikes"));
	assert_non_null(strstr(out, "- Active defragmentation took 10.0ms or more 1 time (worst 12.0ms)"));
	assert_false(has(out, "evict"));
	free(out);

	/* a fast cycle is an expire-cycle too, under Redis's name */
	add(r, ev(&e, SK_CYCLE, CYCLE_EXPIRE_FAST, 1004, 15));
	out = doctor(r);
	assert_non_null(line_starting(out, "1. expire-cycle: 3 latency spikes"));
	assert_false(has(out, "expire-cycle-fast"));
	free(out);
	doc_free(r);
}

static void test_doctor_eviction(void **state)
{
	struct run_report *r = doc_report();
	struct stall_event e;
	char *out;

	ev(&e, SK_CYCLE, CYCLE_EVICT, 1000, 40);
	e.child = 3;	/* keys evicted */
	add(r, &e);
	add(r, ev(&e, SK_CYCLE, CYCLE_EVICT_DEL, 1000.001, 20));
	add(r, ev(&e, SK_CYCLE, CYCLE_EVICT_DEL, 1000.021, 12));
	add(r, ev(&e, SK_CYCLE, CYCLE_EVICT_DEL, 1000.033, 5));
	out = doctor(r);
	assert_non_null(line_starting(out, "1. eviction-cycle: 1 latency spikes (average 40.0ms"));
	assert_non_null(strstr(out, "Worst all time event 40.0ms (3 keys evicted)."));
	assert_non_null(line_starting(out, "2. eviction-del: 2 latency spikes (average 16.0ms"));
	assert_non_null(strstr(out, "- Redis evicted keys on the main thread for 10.0ms or more 1 time (worst "
				    "eviction cycle 40.0ms, 3 keys evicted), and 2 single keys took that long to "
				    "delete (worst 20.0ms)"));
	assert_non_null(strstr(out, "lazyfree-lazy-eviction yes"));
	free(out);
	doc_free(r);
}

static void add_runq(struct run_report *r, double at_s, double ms, pid_t pid, const char *comm)
{
	struct stall_event e;

	ev(&e, SK_RUNQ, 1, at_s, ms);
	e.other_pid = pid;
	snprintf(e.other_comm, sizeof(e.other_comm), "%s", comm);
	add(r, &e);
}

/* A cycle or a write that was long because Redis waited for a CPU inside
 * it earns no advice of its own: the run-queue line has the cause. */
static void test_doctor_cpu_waits_inside(void **state)
{
	struct run_report *r = doc_report();
	struct stall_event e;
	char *out;

	/* a cycle measures its waits itself, every one of them */
	ev(&e, SK_CYCLE, CYCLE_DEFRAG, 1000, 25);
	e.runq_ns = 20000000;	/* 20 of its 25 ms */
	add(r, &e);
	ev(&e, SK_CYCLE, CYCLE_EXPIRE, 1010, 25);
	e.runq_ns = 2000000;
	add(r, &e);
	/* a write, from the run-queue events that overlap it */
	add_aof_write(r, AW_ALONE, 1020, 30, 0);
	add_runq(r, 1019.990, 12, 77, "stress");	/* its first 2 ms */
	add_runq(r, 1020.010, 19, 77, "stress");	/* 19 ms inside */
	add_runq(r, 1020.500, 15, 77, "stress");	/* after it */
	out = doctor(r);
	assert_non_null(line_starting(out, "1. aof-write-alone: 1 latency spikes (average 30.0ms"));
	assert_non_null(strstr(out, "event 30.0ms. 1 of them mostly waiting for a CPU. p99"));
	assert_non_null(strstr(out, "active-defrag-cycle: 1 latency spikes"));
	assert_non_null(strstr(out, "Worst all time event 25.0ms. 1 of them mostly waiting for a CPU. p99"));
	assert_false(has(out, "Active defragmentation took"));
	assert_false(has(out, "with no fsync or child in flight"));
	/* the expire cycle worked 23 ms of its own: its advice stands */
	assert_non_null(strstr(out, "- The active expire cycle ran 1 time for 10.0ms or more (worst 25.0ms"));
	assert_non_null(strstr(out, "waited for a CPU 10.0ms or more 3 times"));
	free(out);
	doc_free(r);
}

/* CPU contention: the neighbour named, from the waits and the thieves. */
static void test_doctor_run_queue(void **state)
{
	struct thief t[2] = { { 77, "stress", 900e6 }, { 15, "rcu_preempt", 1e6 } };
	struct run_report *r = doc_report();
	char *out;

	stalls_set_thieves(r->insts[0].st, t, 2);
	/* waits under the threshold: a neighbour, but no contention to speak of */
	add_runq(r, 1000, 3, 77, "stress");
	out = doctor(r);
	assert_false(has(out, "run-queue"));
	assert_false(has(out, "CPU of its own"));
	free(out);

	add_runq(r, 1001, 30, 77, "stress");
	add_runq(r, 1002, 12, 15, "rcu_preempt");
	out = doctor(r);
	assert_non_null(line_starting(out, "1. run-queue: 2 latency spikes (average 21.0ms"));
	assert_non_null(strstr(out, "Worst all time event 30.0ms (stress 77)."));
	assert_non_null(strstr(out, "- Redis's main thread waited for a CPU 10.0ms or more 2 times (worst "
				    "30.0ms, while it went to stress 77), runnable but not running: another task had "
				    "its CPU. Over the run the CPU went to stress (pid 77) 900ms, rcu_preempt (pid "
				    "15) 1.00ms while Redis waited."));
	free(out);
	doc_free(r);
}

static void test_doctor_off_cpu(void **state)
{
	struct run_report *r = doc_report();
	struct stall_event e;
	char *out;

	add(r, ev(&e, SK_OFFCPU, OFF_SLEEP, 1000, 50));
	out = doctor(r);
	assert_non_null(line_starting(out, "1. off-cpu-sleeping: 1 latency spikes (average 50.0ms"));
	/* a line, but nothing to advise on a sleep alone */
	assert_non_null(strstr(out, "While there are latency events, I'm not able to suggest any easy fix"));
	free(out);

	add(r, ev(&e, SK_OFFCPU, OFF_BLOCKED, 1001, 20));
	out = doctor(r);
	assert_non_null(line_starting(out, "2. off-cpu-uninterruptible: 1 latency spikes (average 20.0ms"));
	assert_non_null(strstr(out, "- The main thread was blocked in the kernel (uninterruptible) 10.0ms or "
				    "more 1 time (worst 20.0ms) with no main-thread fsync or major fault"));
	assert_non_null(strstr(out, "/proc/4242/stack"));
	free(out);

	/* explained by appendfsync always: no such advice */
	add_fsync(r, ROLE_MAIN, FC_AOF, 1001, 20);
	out = doctor(r);
	assert_false(has(out, "blocked in the kernel"));
	free(out);
	doc_free(r);
}

static void test_doctor_faults(void **state)
{
	struct run_report *r = doc_report();
	struct stall_event e;
	char *out;

	/* a slow iteration without major faults: event-loop only */
	add(r, ev(&e, SK_LOOP, 0, 1000, 30));
	e.minflt = 900;
	out = doctor(r);
	assert_non_null(line_starting(out, "1. event-loop: 1 latency spikes"));
	assert_false(has(out, "major"));
	assert_false(has(out, "swap"));
	free(out);

	ev(&e, SK_LOOP, 0, 1010, 40);
	e.majflt = 5;
	e.minflt = 7;
	add(r, &e);
	r->insts[0].major_faults = 12;
	out = doctor(r);
	assert_non_null(line_starting(out, "1. event-loop: 2 latency spikes"));
	assert_non_null(line_starting(out, "2. major-faults: 1 latency spikes (average 40.0ms, mean deviation 0ns, "
				      "period 50.00 sec). Worst all time event 40.0ms. 5 major and 7 minor faults "
				      "in them. p99 40.0ms"));
	assert_non_null(strstr(out, "- Redis's memory was read back from disk: 12 major page faults during the "
				    "run, 5 of them in 1 iteration of 10.0ms or more (worst 40.0ms)."));
	free(out);

	/* swap alone is evidence too */
	doc_free(r);
	r = doc_report();
	r->insts[0].swap_bytes = 64 << 20;
	out = doctor(r);
	assert_non_null(strstr(out, "- 64.0MB of Redis is swapped out (VmSwap at the end of the run): touching "
				    "it stops Redis"));
	free(out);
	r->insts[0].swap_bytes = 0;
	r->insts[0].major_faults = -1;	/* unknown: no advice */
	out = doctor(r);
	assert_false(has(out, "advices"));
	free(out);
	doc_free(r);
}

/* Events not kept or lost: the doctor says its counts miss them. */
static void test_doctor_not_kept(void **state)
{
	struct run_report *r = doc_report();
	char *out;

	add_cmd(r, "keys", 1000, 20);
	r->insts[0].st->not_kept = 7;
	r->stall_stats[SST_LOST] = 2;
	out = doctor(r);
	assert_non_null(strstr(out, "(7 events past the first 100000 were not kept and 2 were lost"));
	free(out);
	doc_free(r);
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
	r->end_wall = 1060.5;
	snprintf(r->thp_enabled, sizeof(r->thp_enabled), "never");
	r->insts[0].anon_huge_bytes = 2 << 20;
	r->insts[0].swap_bytes = -1;	/* unknown: null */
	r->insts[0].major_faults = 3;
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
	/* the doctor's evidence */
	assert_float_equal(json_object_get_double(path(root, "end_time")), 1060.5, 1e-9);
	assert_string_equal(json_object_get_string(path(root, "thp_enabled")), "never");
	assert_int_equal(json_object_get_int64(path(path(inst, "memory"), "anon_huge_pages_bytes")), 2 << 20);
	assert_false(json_object_object_get_ex(path(inst, "memory"), "swap_bytes", NULL));	/* unknown */
	assert_int_equal(json_object_get_int64(path(path(inst, "memory"), "major_faults")), 3);
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

/* The events the doctor reads that JSON carries its own way: waits for a
 * CPU (who had it), off-CPU periods (how), cycles (their waits). */
static void test_render_json_doctor_events(void **state)
{
	struct run_report *r = doc_report();
	json_object *root, *evs, *e;
	struct stall_event se;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	add_runq(r, 1000, 30, 77, "stress");
	add(r, ev(&se, SK_OFFCPU, OFF_BLOCKED, 1001, 20));
	ev(&se, SK_CYCLE, CYCLE_EXPIRE, 1002, 25);
	se.runq_ns = 3000000;
	add(r, &se);
	f = open_memstream(&buf, &len);
	render_json(f, r);
	fclose(f);
	root = json_tokener_parse(buf);
	assert_non_null(root);
	evs = path(path(json_object_array_get_idx(path(root, "instances"), 0), "stalls"), "events");
	assert_int_equal(json_object_array_length(evs), 3);
	e = json_object_array_get_idx(evs, 0);
	assert_string_equal(json_object_get_string(path(e, "event")), "run-queue");
	assert_true(json_object_get_boolean(path(e, "preempted")));
	assert_int_equal(json_object_get_int(path(e, "cpu_taken_by_pid")), 77);
	assert_string_equal(json_object_get_string(path(e, "cpu_taken_by_comm")), "stress");
	assert_float_equal(json_object_get_double(path(e, "duration_ns")), 30e6, 1);
	e = json_object_array_get_idx(evs, 1);
	assert_string_equal(json_object_get_string(path(e, "event")), "off-cpu-uninterruptible");
	assert_false(json_object_object_get_ex(e, "preempted", NULL));
	e = json_object_array_get_idx(evs, 2);
	assert_string_equal(json_object_get_string(path(e, "event")), "expire-cycle");
	assert_float_equal(json_object_get_double(path(e, "run_queue_ns")), 3e6, 1);
	json_object_put(root);
	free(buf);
	doc_free(r);
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

static char *drops_text(const struct run_report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	render_drops(f, r);
	fclose(f);
	return buf;
}

/* Every drop counter in one line, in a fixed order, only when one is not
 * zero; JSON has them all. */
static void test_drops(void **state)
{
	struct run_report *r = report_new(1);
	struct inst_stalls st[2] = { { .not_kept = 5 }, { .not_kept = 2 } };
	json_object *root, *stats;
	char *buf = drops_text(r), *jbuf = NULL;
	size_t jlen = 0;
	FILE *f;

	assert_string_equal(buf, "");	/* nothing dropped: no line */
	free(buf);
	r->stats[STAT_CMD_HITS] = 1000;	/* hits are no drop */
	r->stats[STAT_LATE_HITS] = 7;
	r->stall_stats[SST_EVENTS] = 50;
	buf = drops_text(r);
	assert_string_equal(buf, "");
	free(buf);

	r->stats[STAT_DROP_FD_EVICTED] = 3;
	r->stall_stats[SST_LOST] = 12;
	r->stall_stats[SST_THIEVES_FULL] = 1;
	r->not_followed = 2;
	buf = drops_text(r);
	assert_string_equal(buf, "drops: 3 response spans whose connection the LRU map evicted; "
			    "12 stall events lost to a full ring buffer (the histograms count them); "
			    "1 run-queue waits not charged to the task that had the CPU (map full); "
			    "2 restarted instances not followed (at most 64 a run).\n");
	free(buf);

	/* events past the per-instance cap, summed over instances */
	r->insts = realloc(r->insts, 2 * sizeof(*r->insts));
	assert_non_null(r->insts);
	memset(&r->insts[1], 0, sizeof(r->insts[1]));
	r->ninsts = 2;
	r->insts[0].st = &st[0];
	r->insts[1].st = &st[1];
	memset(r->stats, 0, sizeof(r->stats));
	memset(r->stall_stats, 0, sizeof(r->stall_stats));
	r->not_followed = 0;
	r->stats[STAT_DROP_HIST_FULL] = 4;
	buf = drops_text(r);
	assert_string_equal(buf, "drops: 4 command samples lost: the histogram map refused a new key (full, or no "
			    "kernel memory then); 7 stall events not kept past 100000 an instance (the histograms count them).\n");
	free(buf);
	assert_int_equal(run_not_kept(r), 7);

	f = open_memstream(&jbuf, &jlen);
	render_json(f, r);
	fclose(f);
	root = json_tokener_parse(jbuf);
	assert_non_null(root);
	stats = path(root, "stats");
	assert_int_equal(json_object_get_int64(path(stats, "dropped_hist_full")), 4);
	assert_int_equal(json_object_get_int64(path(stats, "stall_events_not_kept")), 7);
	/* zero counters are there too */
	assert_int_equal(json_object_get_int64(path(stats, "dropped_fd_evicted")), 0);
	assert_int_equal(json_object_get_int64(path(stats, "dropped_state_full")), 0);
	assert_int_equal(json_object_get_int64(path(stats, "stall_events_lost")), 0);
	assert_int_equal(json_object_get_int64(path(stats, "stall_inflight_full")), 0);
	assert_int_equal(json_object_get_int64(path(stats, "thieves_full")), 0);
	assert_int_equal(json_object_get_int64(path(stats, "instances_not_followed")), 0);
	assert_int_equal(json_object_object_length(stats), STAT_MAX + SST_MAX + 2);
	json_object_put(root);
	free(jbuf);
	r->insts[0].st = r->insts[1].st = NULL;
	report_free(r);
}

/* --follow: a restart is an instance of its own, marked as such. */
static void test_restart_marked(void **state)
{
	struct run_report *r = report_new(1);
	json_object *root, *a, *b;
	char *buf = NULL, *text = NULL;
	size_t len = 0, tlen = 0;
	FILE *f;

	r->insts = realloc(r->insts, 2 * sizeof(*r->insts));
	assert_non_null(r->insts);
	r->insts[1] = r->insts[0];
	r->ninsts = 2;
	r->insts[0].ended = 1;
	r->insts[1].pid = 4343;
	r->insts[1].restart_of = 4242;
	r->insts[1].since_wall = 1700000000;
	f = open_memstream(&text, &tlen);
	render_text(f, r, 0);
	fclose(f);
	assert_non_null(strstr(text, "redis 7.0.15, pid 4242, port 6379 (/usr/bin/redis-server): the process "
				     "ended during the run\n"));
	assert_non_null(strstr(text, "redis 7.0.15, pid 4343, port 6379 (/usr/bin/redis-server), restart of "
				     "pid 4242, traced from "));
	f = open_memstream(&buf, &len);
	render_json(f, r);
	fclose(f);
	root = json_tokener_parse(buf);
	assert_non_null(root);
	a = json_object_array_get_idx(path(root, "instances"), 0);
	b = json_object_array_get_idx(path(root, "instances"), 1);
	assert_true(json_object_get_boolean(path(a, "ended")));
	assert_true(json_object_object_get_ex(a, "restart_of", NULL));
	assert_null(path(a, "restart_of"));	/* null: not a restart */
	assert_false(json_object_object_get_ex(a, "traced_since", NULL));
	assert_false(json_object_get_boolean(path(b, "ended")));
	assert_int_equal(json_object_get_int(path(b, "restart_of")), 4242);
	assert_float_equal(json_object_get_double(path(b, "traced_since")), 1700000000, 0);
	json_object_put(root);
	free(buf);
	free(text);
	r->insts[1].cmds = NULL;	/* shared with insts[0] by the copy */
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
	/* the doctor's times are local: pin them */
	setenv("TZ", "UTC", 1);
	tzset();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inst_cmd),
		cmocka_unit_test(test_render_table),
		cmocka_unit_test(test_render_table_sampled),
		cmocka_unit_test(test_weigh),
		cmocka_unit_test(test_doctor_no_spike),
		cmocka_unit_test(test_doctor_threshold_inclusive),
		cmocka_unit_test(test_doctor_line_figures),
		cmocka_unit_test(test_doctor_fast_command),
		cmocka_unit_test(test_doctor_slow_commands),
		cmocka_unit_test(test_doctor_deletes),
		cmocka_unit_test(test_doctor_fork),
		cmocka_unit_test(test_doctor_thp),
		cmocka_unit_test(test_doctor_fsync_always),
		cmocka_unit_test(test_doctor_aof_writes),
		cmocka_unit_test(test_doctor_main_thread_fsync),
		cmocka_unit_test(test_doctor_cycles),
		cmocka_unit_test(test_doctor_eviction),
		cmocka_unit_test(test_doctor_cpu_waits_inside),
		cmocka_unit_test(test_doctor_run_queue),
		cmocka_unit_test(test_doctor_off_cpu),
		cmocka_unit_test(test_doctor_faults),
		cmocka_unit_test(test_doctor_not_kept),
		cmocka_unit_test(test_render_json),
		cmocka_unit_test(test_render_json_sampled),
		cmocka_unit_test(test_render_json_doctor_events),
		cmocka_unit_test(test_drops),
		cmocka_unit_test(test_restart_marked),
		cmocka_unit_test(test_is_fast_command),
		cmocka_unit_test(test_inst_sort),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
