// SPDX-License-Identifier: GPL-2.0
/* --replay: a report written as JSON and read back renders exactly as the
 * report it came from, in text and in JSON, in every mode. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "histo.h"
#include "report.h"
#include "stalls_user.h"
#include "stall_ev.h"

static void add_hist(struct inst_stalls *s, int kind, int role, int fclass, __u64 ns, int n)
{
	struct stall_key k = { .tgid = 100, .kind = (__u16)kind, .role = (__u8)role, .fclass = (__u8)fclass };
	struct hist *h = calloc(1, sizeof(*h));
	int i;

	for (i = 0; i < n; i++)
		hist_record(h, ns * (__u64)(i + 1));
	stalls_set_hist(s, &k, h);
	free(h);
}

/* An fsync or a write of the AOF on the main thread. */
static void aof_ev(struct inst_stalls *s, int kind, __u64 ts, __u64 dur, int klass, int flags)
{
	struct stall_event e = ev(kind, 100, ts, dur);

	e.role = ROLE_MAIN;
	e.fclass = FC_AOF;
	e.klass = klass;
	e.flags = flags;
	e.fd = 7;
	snprintf(e.file, sizeof(e.file), "appendonly.aof.1.incr.aof");
	stalls_add_event(s, &e);
}

/* A wait for a CPU (klass 1: preempted; thief: who had it) or an off-CPU
 * period (klass: how) of the main thread. */
static void wait_ev(struct inst_stalls *s, int kind, int klass, __u64 ts, __u64 dur, const char *thief)
{
	struct stall_event e = ev(kind, 100, ts, dur);

	e.role = ROLE_MAIN;
	e.klass = klass;
	if (thief) {
		e.other_pid = 78;
		snprintf(e.other_comm, sizeof(e.other_comm), "%s", thief);
	}
	stalls_add_event(s, &e);
}

/* Forks (one with its child's work and copy-on-write, one whose child was
 * killed), fsyncs, AOF writes, a blocked write, cycles, slow iterations
 * and commands with their breakdown, thieves. */
static void fill_stalls(struct inst_stalls *s)
{
	struct thief t[2] = { { 77, "stress", 1e6 }, { 78, "cron", 90e6 } };
	struct stall_event e = ev(SK_FORK, 100, 1000000, 20000000);

	e.ret = e.child = 555;
	e.klass = FORK_PURPOSE_RDB;
	e.sys_ns = 12000000;
	e.rss_bytes = 2ULL << 30;
	e.pgtable_bytes = 4 << 20;
	stalls_add_event(s, &e);
	e = ev(SK_RDB_SAVE, 555, 2000000, 900000000);
	e.role = ROLE_CHILD;
	stalls_add_event(s, &e);
	e = ev(SK_COW, 555, 3000000, 0);
	e.child = 4096 * 10;
	stalls_add_event(s, &e);
	e = ev(SK_CHILD_EXIT, 555, 1000000, 950000000);
	e.faults = 70;
	e.cow_faults = 60;
	stalls_add_event(s, &e);
	e = ev(SK_FORK, 100, 5000000000ULL, 9000000);
	e.ret = e.child = 556;
	e.klass = FORK_PURPOSE_AOF;
	stalls_add_event(s, &e);
	e = ev(SK_CHILD_EXIT, 556, 5000000000ULL, 100000000);
	e.ret = 9;	/* SIGKILL */
	stalls_add_event(s, &e);
	aof_ev(s, SK_FDATASYNC, 6000000000ULL, 45000000, 0, 0);
	aof_ev(s, SK_AOF_WRITE, 7000000000ULL, 600000000, AW_PENDING_FSYNC, EVF_BLOCKED);
	e = ev(SK_LOOP, 100, 8000000000ULL, 40000000);
	e.role = ROLE_MAIN;
	e.runq_ns = 30000000;
	e.oncpu_ns = 10000000;
	e.minflt = 12;
	e.other_pid = 78;
	e.flags = EVF_CHILD_LIVE | EVF_FSYNC_LIVE;
	snprintf(e.other_comm, sizeof(e.other_comm), "cron");
	stalls_add_event(s, &e);
	e = ev(SK_COMMAND, 100, 8000000100ULL, 39000000);
	e.role = ROLE_MAIN;
	e.sleep_ns = 30000000;
	e.block_ns = 1000000;
	e.majflt = 2;
	snprintf(e.file, sizeof(e.file), "keys");
	stalls_add_event(s, &e);
	e = ev(SK_CYCLE, 100, 9000000000ULL, 25000000);
	e.role = ROLE_MAIN;
	e.klass = CYCLE_EXPIRE;
	e.runq_ns = 4000000;	/* its waits for a CPU */
	stalls_add_event(s, &e);
	e = ev(SK_CYCLE, 100, 9100000000ULL, 40000000);
	e.role = ROLE_MAIN;
	e.klass = CYCLE_EVICT;
	e.child = 3;	/* keys evicted */
	stalls_add_event(s, &e);
	/* the doctor's own events: a wait for a CPU and who had it, off-CPU
	 * periods of both kinds */
	wait_ev(s, SK_RUNQ, 1, 9500000000ULL, 30000000, "cron");
	wait_ev(s, SK_OFFCPU, OFF_SLEEP, 9600000000ULL, 30000000, NULL);
	wait_ev(s, SK_OFFCPU, OFF_BLOCKED, 9700000000ULL, 12000000, NULL);
	add_hist(s, SK_FDATASYNC, ROLE_MAIN, FC_AOF, 45000000, 3);
	add_hist(s, SK_FSYNC, ROLE_BIO_AOF, FC_AOF, 2000000, 5);
	add_hist(s, SK_FSYNC, ROLE_CHILD, FC_RDB, 70000000, 1);
	add_hist(s, SK_FDATASYNC, ROLE_MAIN, FC_MANIFEST, 12000000, 2);
	add_hist(s, SK_AOF_WRITE, AW_PENDING_FSYNC, FC_AOF, 600000000, 1);
	add_hist(s, SK_AOF_WRITE, AW_ALONE, FC_AOF, 90000, 40);
	add_hist(s, SK_RDB_SAVE, ROLE_CHILD, 0, 900000000, 1);
	add_hist(s, SK_CYCLE, CYCLE_EXPIRE, 0, 25000000, 2);
	add_hist(s, SK_CYCLE, CYCLE_DEFRAG, 0, 30000, 9);
	add_hist(s, SK_CYCLE, CYCLE_EXPIRE_FAST, 0, 900000, 70);
	add_hist(s, SK_CYCLE, CYCLE_EVICT, 0, 40000000, 1);
	add_hist(s, SK_CYCLE, CYCLE_EVICT_DEL, 0, 20000000, 3);
	add_hist(s, SK_LOOP, 0, 0, 40000, 300);
	add_hist(s, SK_RUNQ, 0, 0, 20000, 100);
	add_hist(s, SK_RUNQ, 1, 0, 30000000, 2);
	add_hist(s, SK_OFFCPU, 1, 0, 30000000, 1);
	add_hist(s, SK_OFFCPU, 2, 0, 1000000, 1);
	stalls_set_thieves(s, t, 2);
	s->have_fork_probe = s->have_cow_probe = s->have_fault_tp = 1;
	stalls_sort(s);
}

static void fill_cmds(struct inst_report *in, int sampled)
{
	static const char *const names[] = { "get", "set", "config|get", "keys" };
	size_t i;
	int k;

	for (i = 0; i < 4; i++) {
		struct cmd_stat *c = inst_cmd(in, names[i]);

		for (k = 0; k < 200 / (int)(i + 1); k++) {
			hist_record(&c->span[SPAN_EXEC], 1000 * (__u64)(k % 17) * (i == 3 ? 40000 : 1));
			hist_record(&c->span[SPAN_RESPONSE], 5000 + 333 * (__u64)k);
		}
		if (sampled) {
			inst_weigh(in, 3.5);
			for (k = 0; k < NPCTS; k++) {
				c->win_lo[k] = 1000 * k;
				c->win_hi[k] = 3000 * (k + 1);
			}
			c->nwin = 4;
		}
	}
	inst_sort(in);
}

/* render_text and render_json into memory */
static char *render(const struct run_report *r, int json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	if (json)
		render_json(f, r);
	else
		render_text(f, r, 1);
	fclose(f);
	return buf;
}

static void round_trip(struct run_report *r)
{
	char path[] = "/tmp/redlat-replay-XXXXXX", err[256];
	char *text = render(r, 0), *json = render(r, 1), *text2, *json2;
	struct run_report back;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, json, strlen(json)), (ssize_t)strlen(json));
	close(fd);
	assert_int_equal(report_from_json(path, &back, err, sizeof(err)), 0);
	unlink(path);
	text2 = render(&back, 0);
	json2 = render(&back, 1);
	assert_string_equal(text, text2);
	assert_string_equal(json, json2);
	report_loaded_free(&back);
	free(text);
	free(json);
	free(text2);
	free(json2);
}

static void test_round_trip(void **state)
{
	int mode;

	(void)state;
	for (mode = 0; mode < 3; mode++) {	/* exact, sampled, stalls-only */
		struct run_report r = { .exact = mode == 0, .stalls_only = mode == 2, .threshold_ms = 10,
					.duration_s = 12.5, .hit_ns = 5800, .pair_bias_ns = 900 };
		struct inst_report in[2] = { { .pid = 100, .nports = 2, .ports = { 6379, 6380 } },
					     { .pid = 200, .ended = 1 } };
		struct inst_stalls s = { .pid = 100 }, s2 = { .pid = 200 };
		struct run_report snap = {};

		snprintf(in[0].exe, sizeof(in[0].exe), "/usr/bin/redis-check-rdb");
		snprintf(in[0].product, sizeof(in[0].product), "redis");
		snprintf(in[0].version, sizeof(in[0].version), "7.0.15");
		snprintf(in[0].probes, sizeof(in[0].probes), "slowlogPushEntryIfNeeded call in call");
		snprintf(in[0].missing, sizeof(in[0].missing), "startBgsaveForReplication");
		/* the doctor's evidence: known for one, unknown for the other */
		in[0].anon_huge_bytes = 2 << 20;
		in[0].swap_bytes = 0;
		in[0].major_faults = 7;
		r.end_wall = 20.5;
		snprintf(r.thp_enabled, sizeof(r.thp_enabled), "always");
		in[1] = in[0];
		in[1].pid = 200;
		in[1].ended = 1;
		in[1].nports = 0;
		in[1].anon_huge_bytes = in[1].swap_bytes = in[1].major_faults = -1;
		r.insts = in;
		r.ninsts = 2;
		r.stats[STAT_SYSCALL_HITS] = 12345;
		r.stall_stats[SST_LOST] = 3;
		if (mode == 1) {
			r.budget = 0.02;
			r.attached_s = 0.4;
			r.windows = 9;
		}
		if (mode != 2) {
			fill_cmds(&in[0], mode == 1);
			timeline_add(&r.tl, 0, &in[0], NULL, 1795600000.0, 1795600001.0);
		}
		if (mode == 0) {
			/* a long run's timeline: older slices merged, wider, with
			 * counts past 32 bits */
			struct tl_slice sl = { .inst = 1, .len_s = 1 };
			int k;

			for (k = 0; k <= TL_MAX_SLICES; k++) {
				sl.t = 1795600001.0 + k;
				sl.n[TL_SLOW][5] = 3000000000ULL;
				assert_int_equal(timeline_push(&r.tl, &sl), 0);
			}
			assert_true(r.tl.s[0].len_s > 1 || r.tl.s[1].len_s > 1);
		}
		r.scale = mode == 1 ? run_scale(&r) : 1;
		fill_stalls(&s);
		in[0].st = &s;
		in[1].st = &s2;
		round_trip(&r);
		stalls_free(&s);
		free(in[0].cmds);
		timeline_free(&r.tl);
		run_report_free(&snap);
	}
}

static void test_not_a_report(void **state)
{
	char path[] = "/tmp/redlat-replay-XXXXXX", err[256];
	struct run_report r;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{\"hello\": 1}", 12), 12);
	close(fd);
	assert_int_equal(report_from_json(path, &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is not a redlat report"));
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "{\"mode\": ", 9), 9);
	close(fd);
	assert_int_equal(report_from_json(path, &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a JSON document"));
	unlink(path);
	assert_int_equal(report_from_json(path, &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_not_a_report),
	};

	setenv("TZ", "UTC", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
