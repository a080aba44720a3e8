// SPDX-License-Identifier: GPL-2.0
/* Stall events folded into records (forks with their children, fsyncs,
 * AOF writes), names, Redis's fork rating, and their rendering. */
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
#include "stalls_user.h"
#include "stall_ev.h"

static void test_fork_with_child(void **state)
{
	struct inst_stalls s = { .pid = 100 };
	struct stall_event e = ev(SK_FORK, 100, 1000, 20000000);
	struct fork_rec *f;

	(void)state;
	e.ret = 555;
	e.child = 555;
	e.klass = FORK_PURPOSE_RDB;
	e.sys_ns = 12000000;
	e.rss_bytes = 2ULL << 30;
	e.pgtable_bytes = 4 << 20;
	stalls_add_event(&s, &e);
	e = ev(SK_RDB_SAVE, 555, 2000, 900000000);
	e.role = ROLE_CHILD;
	stalls_add_event(&s, &e);
	e = ev(SK_COW, 555, 3000, 0);
	e.child = 4096 * 10;
	stalls_add_event(&s, &e);
	e = ev(SK_FORK, 100, 1500, 300000);	/* the CPU wait right after */
	e.flags = EVF_FORK_WAIT;
	e.child = 555;
	stalls_add_event(&s, &e);
	e = ev(SK_CHILD_EXIT, 555, 1000, 950000000);
	e.ret = 0;
	e.faults = 70;
	e.cow_faults = 60;
	stalls_add_event(&s, &e);

	assert_int_equal(s.nforks, 1);
	assert_int_equal(s.nevents, 0);
	f = &s.forks[0];
	assert_int_equal(f->child, 555);
	assert_true(f->seen_fork);
	assert_int_equal(f->purpose, FORK_PURPOSE_RDB);
	assert_true(f->stall_ns == 20300000);
	assert_true(f->wait_ns == 300000);
	assert_true(f->sys_ns == 12000000);
	assert_true(f->exited);
	assert_true(f->life_ns == 950000000);
	assert_int_equal(f->work_kind, SK_RDB_SAVE);
	assert_true(f->has_cow);
	assert_int_equal(f->cow_bytes, 40960);
	assert_int_equal(f->faults, 70);
	assert_int_equal(f->cow_faults, 60);
	/* 2 GiB in 20.3 ms */
	assert_true(fork_rate_gbs(f) > 98.5 && fork_rate_gbs(f) < 98.6);
	stalls_free(&s);
}

/* The child's events can come first (the parent was preempted before its
 * fork event was sent), and without a redisFork probe the purpose comes
 * from what the child did. */
static void test_child_first_and_inferred_purpose(void **state)
{
	struct inst_stalls s = { .pid = 100 };
	struct stall_event e = ev(SK_AOF_REWRITE, 777, 2000, 5000000);

	(void)state;
	e.role = ROLE_CHILD;
	stalls_add_event(&s, &e);
	assert_int_equal(s.nforks, 1);
	assert_false(s.forks[0].seen_fork);
	assert_int_equal(s.forks[0].purpose, FORK_PURPOSE_AOF);
	e = ev(SK_FORK, 100, 1000, 1000000);
	e.ret = 777;
	e.child = 777;
	stalls_add_event(&s, &e);
	assert_int_equal(s.nforks, 1);
	assert_true(s.forks[0].seen_fork);
	assert_int_equal(s.forks[0].purpose, FORK_PURPOSE_AOF);
	assert_true(s.forks[0].stall_ns == 1000000);
	stalls_free(&s);
}

static void test_main_thread_save_and_cap(void **state)
{
	struct inst_stalls s = { .pid = 100 };
	struct stall_event e = ev(SK_RDB_SAVE, 100, 5, 30000000);
	int i;

	(void)state;
	e.role = ROLE_MAIN;
	stalls_add_event(&s, &e);
	assert_int_equal(s.nforks, 0);
	assert_int_equal(s.nevents, 1);
	e = ev(SK_FDATASYNC, 100, 1, 10);
	for (i = 0; i < MAX_STALL_EVENTS; i++)
		stalls_add_event(&s, &e);
	assert_int_equal(s.nevents, MAX_STALL_EVENTS);
	assert_int_equal(s.not_kept, 1);
	stalls_sort(&s);
	assert_int_equal(s.events[0].kind, SK_FDATASYNC);	/* ts 1 before ts 5 */
	stalls_free(&s);
}

static void test_hist_sum(void **state)
{
	struct inst_stalls s = { .pid = 100 };
	struct stall_key k1 = { .tgid = 100, .kind = SK_FDATASYNC, .role = ROLE_MAIN, .fclass = FC_AOF };
	struct stall_key k2 = { .tgid = 100, .kind = SK_FDATASYNC, .role = ROLE_BIO_AOF, .fclass = FC_AOF };
	struct hist *h = calloc(1, sizeof(*h)), *out = calloc(1, sizeof(*out));

	(void)state;
	hist_record(h, 1000);
	stalls_set_hist(&s, &k1, h);
	hist_record(h, 2000);
	stalls_set_hist(&s, &k2, h);
	stalls_set_hist(&s, &k1, h);	/* replaces */
	assert_int_equal(s.nhists, 2);
	stalls_hist_sum(&s, SK_FDATASYNC, -1, FC_AOF, out);
	assert_int_equal(out->count, 4);
	stalls_hist_sum(&s, SK_FDATASYNC, ROLE_MAIN, -1, out);
	assert_int_equal(out->count, 2);
	stalls_hist_sum(&s, SK_FSYNC, -1, -1, out);
	assert_int_equal(out->count, 0);
	free(h);
	free(out);
	stalls_free(&s);
}

static void test_names_and_rating(void **state)
{
	(void)state;
	assert_string_equal(fork_rating(9.99), "terrible");
	assert_string_equal(fork_rating(10), "poor");
	assert_string_equal(fork_rating(24.9), "poor");
	assert_string_equal(fork_rating(25), "good");
	assert_string_equal(fork_rating(99.9), "good");
	assert_string_equal(fork_rating(100), "excellent");
	assert_string_equal(aof_write_event(AW_PENDING_FSYNC), "aof-write-pending-fsync");
	assert_string_equal(aof_write_event(AW_ACTIVE_CHILD), "aof-write-active-child");
	assert_string_equal(aof_write_event(AW_ALONE), "aof-write-alone");
	assert_string_equal(thread_role_name(ROLE_BIO_AOF), "bio_aof");
	assert_string_equal(thread_role_name(ROLE_CHILD), "fork-child");
	assert_string_equal(file_class_name(FC_DIR), "directory");
	assert_string_equal(fork_purpose_name(FORK_PURPOSE_REPL), "replication");
	assert_string_equal(fork_purpose_name(99), "unknown");
	assert_string_equal(stall_kind_name(SK_SYNC_FILE_RANGE), "sync_file_range");
	assert_string_equal(stall_kind_name(0), "?");
}

static char *render(void (*fn)(FILE *, const struct run_report *, const struct inst_report *),
		    struct run_report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fn(f, r, &r->insts[0]);
	fclose(f);
	return buf;
}

/* rdbSave in the server (SAVE) is a stall of its own with its advice; in a
 * fork child it is not. */
static void test_doctor_save(void **state)
{
	struct run_report r = { .stalls_only = 1, .threshold_ms = 10, .duration_s = 5 };
	struct inst_report in = { .pid = 100 };
	struct inst_stalls s = { .pid = 100 };
	struct stall_event e = ev(SK_RDB_SAVE, 100, 5, 300000000);
	char *out;

	(void)state;
	r.insts = &in;
	r.ninsts = 1;
	in.st = &s;
	e.role = ROLE_CHILD;
	stalls_add_event(&s, &e);
	out = render(render_doctor, &r);
	assert_null(strstr(out, "main-thread-save"));
	assert_null(strstr(out, "Use BGSAVE"));
	free(out);
	e.role = ROLE_MAIN;
	stalls_add_event(&s, &e);
	out = render(render_doctor, &r);
	assert_non_null(strstr(out, "1. main-thread-save: 1 latency spikes (average 300ms"));
	assert_non_null(strstr(out, "on the main thread 1 time (rdbSave, worst 300ms)"));
	assert_non_null(strstr(out, "Use BGSAVE"));
	free(out);
	stalls_free(&s);
}

/* A slow disk under everysec: a write that waited behind the bio fsync, and
 * a poor fork: the doctor names them under Redis's events, with advice. */
static void test_render_and_doctor(void **state)
{
	struct run_report r = { .stalls_only = 1, .threshold_ms = 10, .duration_s = 60 };
	struct inst_report in = { .pid = 100 };
	struct inst_stalls s = { .pid = 100, .have_fault_tp = 1 };
	struct stall_key kw = { .tgid = 100, .kind = SK_AOF_WRITE, .role = AW_PENDING_FSYNC, .fclass = FC_AOF };
	struct stall_key kf = { .tgid = 100, .kind = SK_FDATASYNC, .role = ROLE_BIO_AOF, .fclass = FC_AOF };
	struct hist *h = calloc(1, sizeof(*h));
	struct stall_event e;
	char *out;

	(void)state;
	r.insts = &in;
	r.ninsts = 1;
	in.st = &s;
	e = ev(SK_FORK, 100, 1000, 200000000);	/* 2 GiB in 200 ms: 10 GB/s */
	e.ret = e.child = 9;
	e.klass = FORK_PURPOSE_AOF;
	e.rss_bytes = 2ULL << 30;
	stalls_add_event(&s, &e);
	e = ev(SK_AOF_WRITE, 100, 2000, 1500000000);
	e.klass = AW_PENDING_FSYNC;
	e.flags = EVF_BLOCKED | EVF_MAIN;
	e.fclass = FC_AOF;
	snprintf(e.file, sizeof(e.file), "appendonly.aof.1.incr.aof");
	stalls_add_event(&s, &e);
	hist_record(h, 1500000000);
	hist_record(h, 20000);
	stalls_set_hist(&s, &kw, h);
	memset(h, 0, sizeof(*h));
	hist_record(h, 2500000000ULL);
	stalls_set_hist(&s, &kf, h);
	e = ev(SK_FDATASYNC, 101, 3000, 2500000000ULL);	/* every fsync is an event too */
	e.role = ROLE_BIO_AOF;
	e.fclass = FC_AOF;
	stalls_add_event(&s, &e);

	out = render(render_stalls, &r);
	assert_non_null(strstr(out, "Forks: 1"));
	assert_non_null(strstr(out, "aof-rewrite"));
	assert_non_null(strstr(out, "10.0 GB/s poor"));
	assert_non_null(strstr(out, "fdatasync                bio_aof         aof"));
	assert_non_null(strstr(out, "aof-write-pending-fsync"));
	assert_non_null(strstr(out, "1 waited for the fsync"));
	assert_non_null(strstr(out, "waited for a background fsync"));
	free(out);

	out = render(render_doctor, &r);
	assert_non_null(strstr(out, "1. fork: 1 latency spikes"));
	assert_non_null(strstr(out, "Fork rate is 10.00 GB/sec (poor)."));
	assert_non_null(strstr(out, "2. aof-write-pending-fsync: 1 latency spikes"));
	assert_non_null(strstr(out, "1 AOF write on the main thread waited for a background fsync"));
	assert_non_null(strstr(out, "The disk is slow: fsync of the AOF took"));
	assert_null(strstr(out, "aof-fsync-always"));	/* no main-thread fsync: no such advice */
	assert_null(strstr(out, "Slow commands"));
	free(out);
	free(h);
	stalls_free(&s);
}

static void test_doctor_quiet(void **state)
{
	struct run_report r = { .stalls_only = 1, .threshold_ms = 10, .duration_s = 60 };
	struct inst_report in = { .pid = 100 };
	struct inst_stalls s = { .pid = 100 };
	struct stall_event e = ev(SK_FORK, 100, 1000, 2000000);	/* 1 GiB in 2 ms */
	char *out;

	(void)state;
	e.ret = e.child = 9;
	e.rss_bytes = 1ULL << 30;
	stalls_add_event(&s, &e);
	r.insts = &in;
	r.ninsts = 1;
	in.st = &s;
	out = render(render_doctor, &r);
	assert_non_null(strstr(out, "No latency spike was observed"));
	assert_null(strstr(out, "advices"));
	free(out);
	stalls_free(&s);
}

static void test_stall_lines(void **state)
{
	struct run_report r = { .stalls_only = 1, .threshold_ms = 10 };
	struct inst_report in = { .pid = 100 };
	struct inst_stalls s = { .pid = 100 };
	struct stall_mark mark = {};
	struct stall_event e = ev(SK_FORK, 100, 1000, 5000000);
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	in.st = &s;
	e.ret = e.child = 7;
	e.klass = FORK_PURPOSE_RDB;
	stalls_add_event(&s, &e);
	e = ev(SK_FDATASYNC, 100, 2000, 30000000);
	snprintf(e.file, sizeof(e.file), "appendonly.aof");
	stalls_add_event(&s, &e);
	e = ev(SK_FDATASYNC, 100, 3000, 1000);	/* under the threshold */
	stalls_add_event(&s, &e);
	f = open_memstream(&buf, &len);
	render_stall_lines(f, &r, &in, &mark);
	fclose(f);
	assert_non_null(strstr(buf, "pid 100: fork (rdb) stalled 5.00ms"));
	assert_non_null(strstr(buf, "    100 main            fdatasync                   30.0ms  file appendonly.aof"));
	assert_null(strstr(buf, "1.00us"));
	{
		int lines = 0;
		char *c;

		for (c = buf; *c; c++)
			lines += *c == '\n';
		assert_int_equal(lines, 2);	/* the fork and the slow fdatasync */
	}
	free(buf);
	/* nothing new: nothing printed */
	buf = NULL;
	f = open_memstream(&buf, &len);
	render_stall_lines(f, &r, &in, &mark);
	fclose(f);
	assert_string_equal(buf, "");
	free(buf);
	stalls_free(&s);
}

/* Thieves that exited leave the BPF map but keep their time, folded by
 * comm under the pid that took the most; live ones are replaced at each
 * set, exited ones stay. */
static void test_thieves_gone(void **state)
{
	struct inst_stalls s = { .pid = 100 };
	struct thief live[1] = { { 50, "redis-benchmark", 5e6 } };
	struct thief g1 = { 61, "cc1", 2e6 }, g2 = { 62, "cc1", 3e6 }, g3 = { 63, "sh", 1e6 };

	(void)state;
	stalls_thief_gone(&s, &g1);
	stalls_thief_gone(&s, &g2);
	stalls_thief_gone(&s, &g3);
	assert_int_equal(s.ngone, 2);
	stalls_set_thieves(&s, live, 1);
	assert_int_equal(s.nthieves, 3);
	assert_string_equal(s.thieves[0].comm, "redis-benchmark");
	assert_string_equal(s.thieves[1].comm, "cc1");
	assert_int_equal(s.thieves[1].pid, 62);	/* it took 3 of the 5 ms */
	assert_true(s.thieves[1].ns == 5e6);
	assert_string_equal(s.thieves[2].comm, "sh");
	/* the next set: the live one gone from the map, the exited ones kept */
	stalls_set_thieves(&s, NULL, 0);
	assert_int_equal(s.nthieves, 2);
	assert_string_equal(s.thieves[0].comm, "cc1");
	stalls_free(&s);
}

/* A slow iteration waiting behind a neighbour: its breakdown, the main
 * thread's section and the doctor's run-queue line name the neighbour. */
static void test_loop_and_runqueue(void **state)
{
	struct run_report r = { .stalls_only = 1, .threshold_ms = 10, .duration_s = 20 };
	struct inst_report in = { .pid = 100 };
	struct inst_stalls s = { .pid = 100 };
	struct stall_key kl = { .tgid = 100, .kind = SK_LOOP };
	struct stall_key kr = { .tgid = 100, .kind = SK_RUNQ, .role = 1 };
	struct thief t[2] = { { 77, "stress", 1e6 }, { 78, "cron", 90e6 } };
	struct hist *h = calloc(1, sizeof(*h));
	struct stall_event e = ev(SK_LOOP, 100, 1000, 40000000);
	char *out;

	(void)state;
	r.insts = &in;
	r.ninsts = 1;
	in.st = &s;
	e.role = ROLE_MAIN;
	e.runq_ns = 30000000;
	e.oncpu_ns = 10000000;
	e.other_pid = 78;
	snprintf(e.other_comm, sizeof(e.other_comm), "cron");
	stalls_add_event(&s, &e);
	hist_record(h, 40000000);
	stalls_set_hist(&s, &kl, h);
	memset(h, 0, sizeof(*h));
	hist_record(h, 30000000);
	stalls_set_hist(&s, &kr, h);
	stalls_set_thieves(&s, t, 2);
	assert_string_equal(s.thieves[0].comm, "cron");	/* most time first */
	e = ev(SK_RUNQ, 100, 1100, 30000000);	/* the wait itself, over the threshold */
	e.role = ROLE_MAIN;
	e.klass = 1;
	e.other_pid = 78;
	snprintf(e.other_comm, sizeof(e.other_comm), "cron");
	stalls_add_event(&s, &e);
	e = ev(SK_OFFCPU, 100, 1200, 12000000);
	e.role = ROLE_MAIN;
	e.klass = OFF_BLOCKED;
	stalls_add_event(&s, &e);

	out = render(render_stalls, &r);
	assert_non_null(strstr(out, "event-loop iterations: 1"));
	assert_non_null(strstr(out, "1 preempted"));
	assert_non_null(strstr(out, "who had the CPU while it waited: cron (pid 78) 90.0ms, stress (pid 77)"));
	assert_non_null(strstr(out, "on-CPU 10.0ms, run-queue 30.0ms (cron 78), sleeping 0ns"));
	/* the wait and the off-CPU period are events of their own */
	assert_non_null(strstr(out, "run-queue                main"));
	assert_non_null(strstr(out, "30.0ms preempted; CPU taken by cron 78"));
	assert_non_null(strstr(out, "off-cpu-uninterruptible  main"));
	free(out);
	out = render(render_doctor, &r);
	assert_non_null(strstr(out, "event-loop: 1 latency spikes"));
	assert_non_null(strstr(out, "run-queue: 1 latency spikes"));
	assert_non_null(strstr(out, "off-cpu-uninterruptible: 1 latency spikes"));
	assert_non_null(strstr(out, "the CPU went to cron (pid 78) 90.0ms, stress (pid 77) 1.00ms"));
	free(out);
	free(h);
	stalls_free(&s);
}

static void test_expire_cycle(void **state)
{
	struct run_report r = { .stalls_only = 1, .threshold_ms = 5, .duration_s = 10 };
	struct inst_report in = { .pid = 100 };
	struct inst_stalls s = { .pid = 100 };
	struct stall_key k = { .tgid = 100, .kind = SK_CYCLE, .role = CYCLE_EXPIRE };
	struct hist *h = calloc(1, sizeof(*h));
	struct stall_event e = ev(SK_CYCLE, 100, 1000, 25000000);
	char *out;

	(void)state;
	r.insts = &in;
	r.ninsts = 1;
	in.st = &s;
	e.klass = CYCLE_EXPIRE;
	e.role = ROLE_MAIN;
	stalls_add_event(&s, &e);
	hist_record(h, 25000000);
	hist_record(h, 30000);
	stalls_set_hist(&s, &k, h);
	assert_string_equal(cycle_name(CYCLE_DEFRAG), "active-defrag-cycle");
	out = render(render_stalls, &r);
	assert_non_null(strstr(out, "expire-cycle: 2, p50"));
	assert_non_null(strstr(out, "Events of 5 ms or more (1)"));
	free(out);
	out = render(render_doctor, &r);
	assert_non_null(strstr(out, "1. expire-cycle: 1 latency spikes"));
	assert_non_null(strstr(out, "Spread their TTLs"));
	assert_null(strstr(out, "defrag"));
	free(out);
	free(h);
	stalls_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fork_with_child),
		cmocka_unit_test(test_child_first_and_inferred_purpose),
		cmocka_unit_test(test_main_thread_save_and_cap),
		cmocka_unit_test(test_hist_sum),
		cmocka_unit_test(test_names_and_rating),
		cmocka_unit_test(test_render_and_doctor),
		cmocka_unit_test(test_doctor_quiet),
		cmocka_unit_test(test_stall_lines),
		cmocka_unit_test(test_loop_and_runqueue),
		cmocka_unit_test(test_thieves_gone),
		cmocka_unit_test(test_expire_cycle),
		cmocka_unit_test(test_doctor_save),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
