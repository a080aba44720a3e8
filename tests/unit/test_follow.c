// SPDX-License-Identifier: GPL-2.0
/* --follow: which new process restarts which ended instance. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "follow.h"
#include "util.h"

#define EXE "/usr/bin/redis-check-rdb"

static struct redis_proc proc(pid_t pid, const char *exe, int port)
{
	struct redis_proc p;

	memset(&p, 0, sizeof(p));
	p.pid = pid;
	snprintf(p.exe, sizeof(p.exe), "%s", exe);
	if (port) {
		p.ports[0] = port;
		p.nports = 1;
	}
	return p;
}

/* Ended at t=100 (last seen alive then); now is t=110. */
static void match1(const struct redis_proc *lost, const struct redis_proc *cands,
		   const double *start, int n, int *match)
{
	struct follow_proc l = { lost, 100 }, c[8];
	int i;

	for (i = 0; i < n; i++)
		c[i] = (struct follow_proc){ &cands[i], start[i] };
	follow_match(&l, 1, c, n, 110, match);
}

static void test_same_port(void **state)
{
	struct redis_proc lost = proc(10, EXE, 6379);
	/* an older one of the same binary and port would be a mistake; a new
	 * one of another binary on the same port is the restart */
	struct redis_proc c[] = { proc(20, EXE, 6380), proc(21, "/opt/valkey-server", 6379) };
	double start[] = { 101, 102 };
	int m;

	match1(&lost, c, start, 2, &m);
	assert_int_equal(m, 1);
}

static void test_started_before_end(void **state)
{
	struct redis_proc lost = proc(10, EXE, 6379), c[] = { proc(20, EXE, 6379) };
	double start[] = { 99 };
	int m;

	/* running before the instance was last seen alive: not its restart */
	match1(&lost, c, start, 1, &m);
	assert_int_equal(m, -1);
	/* /proc's start time is rounded down to 10 ms */
	start[0] = 99.995;
	match1(&lost, c, start, 1, &m);
	assert_int_equal(m, 0);
}

static void test_binary_fallback(void **state)
{
	struct redis_proc lost = proc(10, EXE, 6379), c[] = { proc(20, EXE, 0) };
	double start[] = { 109 };
	int m;

	/* one second old, no port yet: it may still bind 6379 */
	match1(&lost, c, start, 1, &m);
	assert_int_equal(m, -1);
	/* past FOLLOW_BIND_S without the port: the same binary will do */
	start[0] = 110 - FOLLOW_BIND_S;
	match1(&lost, c, start, 1, &m);
	assert_int_equal(m, 0);
	/* another binary never does */
	c[0] = proc(20, "/usr/local/bin/redis-server", 6390);
	match1(&lost, c, start, 1, &m);
	assert_int_equal(m, -1);
}

static void test_no_port_instance(void **state)
{
	/* a unix-socket-only instance: the binary matches once the process is
	 * FOLLOW_SETTLE_S old, the first started wins */
	struct redis_proc lost = proc(10, EXE, 0);
	struct redis_proc c[] = { proc(21, EXE, 0), proc(20, EXE " (deleted)", 0), proc(22, EXE, 0) };
	double start[] = { 109.3, 109.2, 109.9 };
	int m;

	match1(&lost, c, start, 3, &m);
	assert_int_equal(m, 1);
	/* all too young: wait */
	start[0] = start[1] = 109.9;
	match1(&lost, c, start, 3, &m);
	assert_int_equal(m, -1);
}

static void test_two_lost(void **state)
{
	/* two instances of one binary end; each restart goes to the one of
	 * its port, even when the other's restart is listed first, and one
	 * candidate never restarts both */
	struct redis_proc l[] = { proc(10, EXE, 7001), proc(11, EXE, 7002) };
	struct redis_proc c[] = { proc(21, EXE, 7002), proc(20, EXE, 7001) };
	struct follow_proc lost[] = { { &l[0], 100 }, { &l[1], 100 } };
	struct follow_proc cand[] = { { &c[0], 101 }, { &c[1], 101 } };
	int m[2];

	follow_match(lost, 2, cand, 2, 110, m);
	assert_int_equal(m[0], 1);
	assert_int_equal(m[1], 0);
	/* only one restart of a port-less pair: the other keeps waiting */
	l[0].nports = l[1].nports = 0;
	c[0].nports = c[1].nports = 0;
	follow_match(lost, 2, cand, 1, 110, m);
	assert_int_equal(m[0], 0);
	assert_int_equal(m[1], -1);
	follow_match(lost, 2, cand, 0, 110, m);
	assert_int_equal(m[0], -1);
	assert_int_equal(m[1], -1);
}

static void test_same_exe(void **state)
{
	assert_true(follow_same_exe(EXE, EXE));
	assert_true(follow_same_exe(EXE " (deleted)", EXE));
	assert_true(follow_same_exe(EXE, EXE " (deleted)"));
	assert_false(follow_same_exe(EXE, EXE "2"));
	assert_false(follow_same_exe("/usr/bin/redis", EXE));
}

/* starttime is field 22, counted after a comm that may hold ") (" */
static void test_parse_start(void **state)
{
	assert_true(procs_parse_start("42 (redis-server) S 1 42 42 0 -1 4194560 120 0 0 0 5 3 0 0 20 0 "
				      "5 0 123456 100 200 18446744073709551615") == 123456);
	assert_true(procs_parse_start("42 (a) (b) S 1 42 42 0 -1 4194560 120 0 0 0 5 3 0 0 20 0 "
				      "5 0 777 100") == 777);
	assert_true(procs_parse_start("42 (x) S 1 42 42 0") < 0);	/* cut short */
	assert_true(procs_parse_start("42 (x)") < 0);
	assert_true(procs_parse_start("no parenthesis") < 0);
}

/* /proc's start time of this very process: after boot, before now, and in
 * the same clock as boottime_s(). */
static void test_start_time_self(void **state)
{
	double s = procs_start_s(PROC_ROOT, getpid()), now = boottime_s();

	assert_true(s > 0);
	assert_true(s <= now);
	assert_true(now - s < 600);	/* a test binary just started */
	assert_true(procs_start_s(PROC_ROOT, 0x7ffffff0) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_port),
		cmocka_unit_test(test_started_before_end),
		cmocka_unit_test(test_binary_fallback),
		cmocka_unit_test(test_no_port_instance),
		cmocka_unit_test(test_two_lost),
		cmocka_unit_test(test_same_exe),
		cmocka_unit_test(test_parse_start),
		cmocka_unit_test(test_start_time_self),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
