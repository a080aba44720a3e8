// SPDX-License-Identifier: GPL-2.0
/* Command-line parsing: values, errors and their one-line messages. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "cli.h"

struct run {
	int rc;
	struct config cfg;
	char *out, *err;
};

/* argv is NULL-terminated; "redlat" is prepended. */
static struct run r;

static struct run *parse(const char *first, ...)
{
	char *argv[64];
	int argc = 0;
	size_t olen = 0, elen = 0;
	FILE *out, *err;
	const char *a;
	va_list ap;

	free(r.out);
	free(r.err);
	memset(&r, 0, sizeof(r));
	argv[argc++] = (char *)"redlat";
	va_start(ap, first);
	for (a = first; a && argc < 63; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	out = open_memstream(&r.out, &olen);
	err = open_memstream(&r.err, &elen);
	assert_non_null(out);
	assert_non_null(err);
	memset(&r.cfg, 0xa5, sizeof(r.cfg));	/* cli_parse must set every field */
	r.rc = cli_parse(argc, argv, &r.cfg, out, err);
	fclose(out);
	fclose(err);
	return &r;
}

/* rc -1, exactly one line on err containing want, nothing on out. */
static void assert_usage_error(const struct run *r, const char *want)
{
	assert_int_equal(r->rc, -1);
	assert_non_null(strstr(r->err, want));
	assert_string_equal(r->out, "");
	assert_true(strlen(r->err) > 0);
	assert_int_equal(r->err[strlen(r->err) - 1], '\n');
	assert_ptr_equal(strchr(r->err, '\n'), r->err + strlen(r->err) - 1);
}

static void test_defaults(void **state)
{
	struct run *r = parse(NULL);

	assert_int_equal(r->rc, 0);
	assert_int_equal(r->cfg.npids, 0);
	assert_true(r->cfg.duration_s == 0);
	assert_true(r->cfg.interval_s == 0);
	assert_int_equal(r->cfg.count, 0);
	assert_int_equal(r->cfg.exact, 0);
	assert_true(r->cfg.budget_pct == 2.0);
	assert_int_equal(r->cfg.json, 0);
	assert_null(r->cfg.svg);
	assert_int_equal(r->cfg.histograms, 0);
	assert_int_equal(r->cfg.verbose, 0);
	assert_int_equal(r->cfg.follow, 0);
	assert_string_equal(r->err, "");
	assert_string_equal(r->out, "");
}

static void test_flags(void **state)
{
	struct run *r = parse("-j", "-H", "-v", "--exact", "-d", "2.5", NULL);

	assert_int_equal(r->rc, 0);
	assert_int_equal(r->cfg.json, 1);
	assert_int_equal(r->cfg.histograms, 1);
	assert_int_equal(r->cfg.verbose, 1);
	assert_int_equal(r->cfg.exact, 1);
	assert_true(r->cfg.duration_s == 2.5);

	r = parse("--json", "--histograms", "--duration=30", "--overhead-budget", "0.5", NULL);
	assert_int_equal(r->rc, 0);
	assert_int_equal(r->cfg.json, 1);
	assert_int_equal(r->cfg.histograms, 1);
	assert_true(r->cfg.duration_s == 30);
	assert_true(r->cfg.budget_pct == 0.5);
	assert_int_equal(r->cfg.exact, 0);
}

static void test_follow(void **state)
{
	struct run *r = parse("--follow", "-p", "1234", NULL);

	assert_int_equal(r->rc, 0);
	assert_int_equal(r->cfg.follow, 1);
	assert_int_equal(r->cfg.npids, 1);

	/* short form, with the other modes, and without -p: every instance */
	r = parse("-f", "--exact", "--json", NULL);
	assert_int_equal(r->rc, 0);
	assert_int_equal(r->cfg.follow, 1);
	assert_int_equal(r->cfg.exact, 1);
	r = parse("--stalls-only", "-f", "5", NULL);
	assert_int_equal(r->rc, 0);
	assert_int_equal(r->cfg.follow, 1);
	assert_true(r->cfg.interval_s == 5);

	assert_usage_error(parse("--follow=yes", NULL), "--follow");
	r = parse("--help", NULL);
	assert_non_null(strstr(r->out, "-f, --follow"));
}

static void test_pids(void **state)
{
	struct run *r = parse("-p", "1234", "--pid", "99", "-p5", NULL);

	assert_int_equal(r->rc, 0);
	assert_int_equal(r->cfg.npids, 3);
	assert_int_equal(r->cfg.pids[0], 1234);
	assert_int_equal(r->cfg.pids[1], 99);
	assert_int_equal(r->cfg.pids[2], 5);
}

static void test_too_many_pids(void **state)
{
	char *argv[2 * MAX_TARGETS + 4], nums[MAX_TARGETS + 1][12];
	char *out = NULL, *err = NULL;
	size_t olen, elen;
	struct config cfg;
	FILE *fo, *fe;
	int i, argc = 0, rc;

	argv[argc++] = (char *)"redlat";
	for (i = 0; i <= MAX_TARGETS; i++) {
		snprintf(nums[i], sizeof(nums[i]), "%d", i + 1);
		argv[argc++] = (char *)"-p";
		argv[argc++] = nums[i];
	}
	argv[argc] = NULL;
	fo = open_memstream(&out, &olen);
	fe = open_memstream(&err, &elen);
	rc = cli_parse(argc, argv, &cfg, fo, fe);
	fclose(fo);
	fclose(fe);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "at most 32"));
	free(out);
	free(err);

	/* exactly MAX_TARGETS is fine */
	fo = open_memstream(&out, &olen);
	fe = open_memstream(&err, &elen);
	rc = cli_parse(argc - 2, argv, &cfg, fo, fe);
	fclose(fo);
	fclose(fe);
	assert_int_equal(rc, 0);
	assert_int_equal(cfg.npids, MAX_TARGETS);
	assert_int_equal(cfg.pids[MAX_TARGETS - 1], MAX_TARGETS);
	free(out);
	free(err);
}

static void test_bad_pid(void **state)
{
	assert_usage_error(parse("-p", "abc", NULL), "bad pid 'abc'");
	assert_usage_error(parse("-p", "0", NULL), "bad pid '0'");
	assert_usage_error(parse("-p", "", NULL), "bad pid ''");
	assert_usage_error(parse("-p", "-5", NULL), "bad pid");
	assert_usage_error(parse("-p", "12x", NULL), "bad pid '12x'");
	assert_usage_error(parse("-p", "99999999999", NULL), "bad pid");
	/* good ones before a bad one do not make it pass */
	assert_usage_error(parse("-p", "1", "-p", "x", NULL), "bad pid 'x'");
}

static void test_bad_duration(void **state)
{
	assert_usage_error(parse("-d", "0", NULL), "bad duration '0'");
	assert_usage_error(parse("-d", "x", NULL), "bad duration 'x'");
	assert_usage_error(parse("-d", "-1", NULL), "bad duration");
	assert_usage_error(parse("-d", "nan", NULL), "bad duration");
	assert_usage_error(parse("--duration", "5s", NULL), "bad duration '5s'");
}

static void test_missing_value(void **state)
{
	assert_usage_error(parse("-p", NULL), "'-p' needs a value");
	assert_usage_error(parse("-d", NULL), "'-d' needs a value");
	assert_usage_error(parse("--pid", NULL), "needs a value");
}

/* --overhead-budget takes a value like --pid: without one the user must be
 * told so, not about an option '-b' redlat does not have. */
static void test_budget_missing_value(void **state)
{
	struct run *r = parse("--overhead-budget", NULL);

	assert_usage_error(r, "needs a value");
	assert_null(strstr(r->err, "'-b'"));
}

static void test_unknown_option(void **state)
{
	assert_usage_error(parse("-z", NULL), "unknown option '-z'");
	assert_usage_error(parse("--bogus", NULL), "unknown option '--bogus'");
	assert_usage_error(parse("-j", "-x", NULL), "unknown option '-x'");
}

static void test_exact_vs_budget(void **state)
{
	assert_usage_error(parse("--exact", "--overhead-budget", "5", NULL), "exclude each other");
	/* even when the budget given equals the default */
	assert_usage_error(parse("--overhead-budget", "2", "--exact", NULL), "exclude each other");
	assert_int_equal(parse("--exact", NULL)->rc, 0);
}

static void test_budget_range(void **state)
{
	struct run *r;

	assert_usage_error(parse("--overhead-budget", "0.05", NULL), "bad overhead budget '0.05'");
	assert_usage_error(parse("--overhead-budget", "51", NULL), "bad overhead budget");
	assert_usage_error(parse("--overhead-budget", "x", NULL), "bad overhead budget");
	r = parse("--overhead-budget", "0.1", NULL);
	assert_int_equal(r->rc, 0);
	assert_true(r->cfg.budget_pct == 0.1);
	r = parse("--overhead-budget=50", NULL);
	assert_int_equal(r->rc, 0);
	assert_true(r->cfg.budget_pct == 50);
}

static void test_interval_count(void **state)
{
	struct run *r = parse("5", NULL);

	assert_int_equal(r->rc, 0);
	assert_true(r->cfg.interval_s == 5);
	assert_int_equal(r->cfg.count, 0);

	r = parse("-p", "42", "0.5", "12", NULL);
	assert_int_equal(r->rc, 0);
	assert_true(r->cfg.interval_s == 0.5);
	assert_int_equal(r->cfg.count, 12);
	assert_int_equal(r->cfg.pids[0], 42);

	assert_usage_error(parse("0", NULL), "bad interval '0'");
	assert_usage_error(parse("0.05", NULL), "bad interval");
	assert_usage_error(parse("abc", NULL), "bad interval 'abc'");
	assert_usage_error(parse("5", "0", NULL), "bad count '0'");
	assert_usage_error(parse("5", "1.5", NULL), "bad count '1.5'");
	assert_usage_error(parse("5", "x", NULL), "bad count 'x'");
}

static void test_too_many_args(void **state)
{
	assert_usage_error(parse("1", "2", "3", NULL), "too many arguments ('3')");
}

static void test_help_version(void **state)
{
	struct run *r = parse("--help", NULL);

	assert_int_equal(r->rc, 1);
	assert_non_null(strstr(r->out, "Usage"));
	assert_string_equal(r->err, "");
	r = parse("-p", "1", "-h", NULL);
	assert_int_equal(r->rc, 1);
	assert_non_null(strstr(r->out, "Usage: redlat"));
	r = parse("-V", NULL);
	assert_int_equal(r->rc, 1);
	assert_int_equal(strncmp(r->out, "redlat ", 7), 0);
	assert_string_equal(r->err, "");
}

/* Parsing twice in one process gives the same answer (getopt state reset). */
static void test_reentrant(void **state)
{
	struct run *r = parse("-p", "7", "-d", "3", NULL);

	assert_int_equal(r->rc, 0);
	r = parse("-p", "8", "-d", "4", NULL);
	assert_int_equal(r->rc, 0);
	assert_int_equal(r->cfg.npids, 1);
	assert_int_equal(r->cfg.pids[0], 8);
	assert_true(r->cfg.duration_s == 4);
}

static int teardown(void **state)
{
	free(r.out);
	free(r.err);
	r.out = r.err = NULL;
	return 0;
}

static void test_stalls_and_threshold(void **state)
{
	(void)state;
	parse(NULL);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.cfg.stalls_only, 0);
	assert_true(r.cfg.threshold_ms == 10);
	parse("--stalls-only", "-t", "2.5", NULL);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.cfg.stalls_only, 1);
	assert_true(r.cfg.threshold_ms == 2.5);
	parse("-e", "--exact", NULL);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.cfg.events, 1);
	assert_int_equal(r.cfg.exact, 1);
	parse("--events", NULL);
	assert_int_equal(r.cfg.events, 1);
	assert_int_equal(r.cfg.exact, 0);
	parse("--threshold", "100", NULL);
	assert_true(r.cfg.threshold_ms == 100);
	assert_usage_error(parse("-t", "0", NULL), "bad threshold '0'");
	assert_usage_error(parse("--threshold", "1ms", NULL), "bad threshold '1ms'");
	assert_usage_error(parse("--threshold", NULL), "option '--threshold' needs a value");
	assert_usage_error(parse("--stalls-only", "--exact", NULL), "--stalls-only probes no command");
	assert_usage_error(parse("--stalls-only", "--overhead-budget", "5", NULL),
			   "--stalls-only probes no command");
	parse(NULL);
	assert_int_equal(r.cfg.every_iteration, 0);
	parse("--every-iteration", "--overhead-budget", "5", NULL);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.cfg.every_iteration, 1);
	parse("--exact", "--every-iteration", NULL);
	assert_int_equal(r.rc, 0);
	assert_usage_error(parse("--stalls-only", "--every-iteration", NULL),
			   "--stalls-only times no event-loop iteration");
}

static void test_replay(void **state)
{
	(void)state;
	parse(NULL);
	assert_null(r.cfg.replay);
	parse("--replay", "run.json", "-j", "-H", NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.cfg.replay, "run.json");
	assert_int_equal(r.cfg.json, 1);
	assert_int_equal(r.cfg.histograms, 1);
	assert_usage_error(parse("--replay", NULL), "option '--replay' needs a value");
	assert_usage_error(parse("--replay", "", NULL), "--replay needs a file");
	assert_usage_error(parse("--replay", "a.json", "-p", "1", NULL), "'--pid' applies only to a live run");
	assert_usage_error(parse("--exact", "--replay", "a.json", NULL), "'--exact' applies only");
	assert_usage_error(parse("--replay", "a.json", "-t", "5", NULL), "'--threshold' applies only");
	assert_usage_error(parse("--replay", "a.json", "--stalls-only", NULL), "'--stalls-only' applies");
	assert_usage_error(parse("--replay", "a.json", "--follow", NULL), "'--follow' applies only");
	assert_usage_error(parse("--replay", "a.json", "--every-iteration", NULL), "'--every-iteration' applies");
	assert_usage_error(parse("--replay", "a.json", "5", NULL), "'5' applies only to a live run");
}

static void assert_listen(const struct run *r, int family, const char *addr, int port, const char *text)
{
	char buf[INET6_ADDRSTRLEN];

	assert_int_equal(r->rc, 0);
	assert_int_equal(r->cfg.serve, 1);
	assert_string_equal(r->cfg.serve_text, text);
	assert_int_equal(r->cfg.serve_addr.ss_family, family);
	if (family == AF_INET) {
		const struct sockaddr_in *a = (const void *)&r->cfg.serve_addr;

		assert_int_equal(r->cfg.serve_addrlen, sizeof(*a));
		assert_string_equal(inet_ntop(AF_INET, &a->sin_addr, buf, sizeof(buf)), addr);
		assert_int_equal(ntohs(a->sin_port), port);
	} else {
		const struct sockaddr_in6 *a = (const void *)&r->cfg.serve_addr;

		assert_int_equal(r->cfg.serve_addrlen, sizeof(*a));
		assert_string_equal(inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof(buf)), addr);
		assert_int_equal(ntohs(a->sin6_port), port);
	}
}

static void test_serve(void **state)
{
	(void)state;
	assert_int_equal(parse(NULL)->cfg.serve, 0);
	/* loopback unless told otherwise */
	assert_listen(parse("--serve", "9187", NULL), AF_INET, "127.0.0.1", 9187, "127.0.0.1:9187");
	assert_listen(parse("--serve=127.0.0.1:7322", NULL), AF_INET, "127.0.0.1", 7322, "127.0.0.1:7322");
	assert_listen(parse("--serve", "0.0.0.0:80", "--exact", NULL), AF_INET, "0.0.0.0", 80, "0.0.0.0:80");
	assert_int_equal(r.cfg.exact, 1);
	assert_listen(parse("--serve", "[::1]:65535", NULL), AF_INET6, "::1", 65535, "[::1]:65535");
	assert_listen(parse("--serve", "[::]:1", NULL), AF_INET6, "::", 1, "[::]:1");

	assert_usage_error(parse("--serve", "localhost:9187", NULL), "bad --serve address in 'localhost:9187'");
	assert_usage_error(parse("--serve", "1.2.3:80", NULL), "bad --serve address");
	assert_usage_error(parse("--serve", "::1:80", NULL), "bad --serve address");
	assert_usage_error(parse("--serve", "[::1:80", NULL), "bad --serve address");
	assert_usage_error(parse("--serve", "[]:80", NULL), "bad --serve address");
	assert_usage_error(parse("--serve", ":80", NULL), "bad --serve address");
	assert_usage_error(parse("--serve", "9187x", NULL), "bad --serve port '9187x'");
	assert_usage_error(parse("--serve", "0", NULL), "bad --serve port '0'");
	assert_usage_error(parse("--serve", "65536", NULL), "bad --serve port");
	assert_usage_error(parse("--serve", "+80", NULL), "bad --serve port");
	assert_usage_error(parse("--serve", " 80", NULL), "bad --serve port");
	assert_usage_error(parse("--serve", "127.0.0.1:", NULL), "bad --serve port ''");
	assert_usage_error(parse("--serve", "", NULL), "bad --serve port");
	assert_usage_error(parse("--serve", NULL), "option '--serve' needs a value");
	assert_usage_error(parse("--replay", "a.json", "--serve", "9187", NULL), "'--serve' applies only to a live run");
}

static void test_svg(void **state)
{
	(void)state;
	parse("--svg", "run.svg", "--json", NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.cfg.svg, "run.svg");
	assert_int_equal(r.cfg.json, 1);
	parse("--exact", "--svg=/tmp/a b.svg", "5", NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.cfg.svg, "/tmp/a b.svg");
	assert_true(r.cfg.interval_s == 5);
	assert_usage_error(parse("--svg", NULL), "option '--svg' needs a value");
	assert_usage_error(parse("--svg", "", NULL), "--svg needs a file name");
	assert_usage_error(parse("--svg=", NULL), "--svg needs a file name");
	parse("--svg", "a.svg", "--serve", "9187", NULL);	/* options of their own */
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.cfg.svg, "a.svg");
	assert_int_equal(r.cfg.serve, 1);
	parse("--replay", "run.json", "--svg", "run.svg", NULL);	/* a saved run's picture */
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.cfg.replay, "run.json");
	assert_string_equal(r.cfg.svg, "run.svg");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_follow),
		cmocka_unit_test(test_pids),
		cmocka_unit_test(test_too_many_pids),
		cmocka_unit_test(test_bad_pid),
		cmocka_unit_test(test_bad_duration),
		cmocka_unit_test(test_missing_value),
		cmocka_unit_test(test_budget_missing_value),
		cmocka_unit_test(test_unknown_option),
		cmocka_unit_test(test_exact_vs_budget),
		cmocka_unit_test(test_budget_range),
		cmocka_unit_test(test_interval_count),
		cmocka_unit_test(test_too_many_args),
		cmocka_unit_test(test_help_version),
		cmocka_unit_test(test_reentrant),
		cmocka_unit_test(test_stalls_and_threshold),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_serve),
		cmocka_unit_test(test_svg),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
