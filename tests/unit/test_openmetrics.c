// SPDX-License-Identifier: GPL-2.0
/* The OpenMetrics renderer over hand-built reports: every exposition is run
 * through a checker of the format's rules (metadata order, suffixes by
 * type, escaping, UTF-8, cumulative buckets, +Inf = _count, # EOF), then
 * specific series are compared. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "histo.h"
#include "openmetrics.h"
#include "report.h"
#include "stalls_user.h"
#include "stall_ev.h"
#include "report_fixture.h"

/* ---- a checker of the exposition ---- */

#define MAX_FAMS 128
#define MAX_SERIES 4096

struct checker {
	int om;
	char fams[MAX_FAMS][96];
	int nfams;
	char cur[96], type[16];
	int seen_unit, seen_help, seen_sample;
	/* histogram series in progress: labels without le */
	char hist_labels[1024];
	double last_le;
	unsigned long long last_bucket;
	int buckets, inf_seen;
	unsigned long long inf;
	char *series[MAX_SERIES];
	int nseries;
};

static int valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		int k = s[i] < 0x80 ? 1 : (s[i] & 0xe0) == 0xc0 ? 2 : (s[i] & 0xf0) == 0xe0 ? 3 :
			(s[i] & 0xf8) == 0xf0 ? 4 : 0;

		if (!k || i + k > n)
			return 0;
		for (int j = 1; j < k; j++)
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
		i += k;
	}
	return 1;
}

static int name_char(char c, int first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
	       (!first && c >= '0' && c <= '9');
}

static const char *suffix_of(const char *name, const char *fam)
{
	size_t n = strlen(fam);

	return strncmp(name, fam, n) ? NULL : name + n;
}

/* Parse labels at p ("{...}"), check escapes; copy them without le into
 * out and le's value into le. Returns the position after '}'. */
static const char *parse_labels(const char *p, char *out, size_t outlen, char *le, size_t lelen)
{
	size_t o = 0;

	le[0] = 0;
	assert_int_equal(*p, '{');
	p++;
	while (*p != '}') {
		char key[64], val[2048];
		size_t k = 0, v = 0;

		while (name_char(*p, k == 0) && *p != ':')
			key[k++] = *p++;
		key[k] = 0;
		assert_true(k > 0);
		assert_int_equal(*p++, '=');
		assert_int_equal(*p++, '"');
		while (*p != '"') {
			assert_true(*p && *p != '\n');
			if (*p == '\\') {
				/* only the three escapes of the spec */
				assert_non_null(strchr("\\\"n", p[1]));
				val[v++] = *p++;
			}
			val[v++] = *p++;
		}
		val[v] = 0;
		p++;
		assert_true(valid_utf8((const unsigned char *)val, v));
		if (!strcmp(key, "le")) {
			assert_true(v < lelen);
			memcpy(le, val, v + 1);
		}
		else
			o += snprintf(out + o, outlen - o, "%s=\"%s\",", key, val);
		if (*p == ',')
			p++;
	}
	return p + 1;
}

static void end_histogram(struct checker *c)
{
	if (!c->buckets)
		return;
	/* a series ends with +Inf; _count followed it */
	assert_true(c->inf_seen);
	c->buckets = 0;
	c->inf_seen = 0;
}

static void check_sample(struct checker *c, const char *line)
{
	char name[128], labels[1024] = "", le[64], *end;
	const char *p = line, *sfx;
	size_t n = 0;
	double v;
	int i;

	while (name_char(*p, n == 0))
		name[n++] = *p++;
	name[n] = 0;
	assert_true(n > 0);
	assert_true(c->cur[0]);	/* every sample belongs to a declared family */
	assert_true(c->seen_help);
	sfx = suffix_of(name, c->cur);
	assert_non_null(sfx);
	if (*p == '{')
		p = parse_labels(p, labels, sizeof(labels), le, sizeof(le));
	else
		le[0] = 0;
	assert_int_equal(*p++, ' ');
	v = strtod(p, &end);
	assert_true(end != p && *end == 0);
	assert_true(v >= 0);
	/* unique series */
	{
		char *key = malloc(strlen(name) + strlen(labels) + strlen(le) + 8);

		sprintf(key, "%s{%s%s}", name, labels, le);
		for (i = 0; i < c->nseries; i++)
			assert_string_not_equal(c->series[i], key);
		assert_true(c->nseries < MAX_SERIES);
		c->series[c->nseries++] = key;
	}
	c->seen_sample = 1;
	if (!strcmp(c->type, "counter")) {
		assert_string_equal(sfx, c->om ? "_total" : "");
		assert_true(!strcmp(c->cur + strlen(c->cur) - 6, "_total") || c->om);
		assert_true(!strchr(p, '.'));	/* counts are integers */
	} else if (!strcmp(c->type, "gauge")) {
		assert_string_equal(sfx, "");
	} else if (!strcmp(c->type, "info")) {
		assert_true(c->om);
		assert_string_equal(sfx, "_info");
		assert_true(v == 1);
	} else {
		assert_string_equal(c->type, "histogram");
		if (!strcmp(sfx, "_bucket")) {
			double l = strcmp(le, "+Inf") ? strtod(le, &end) : 1e308;

			assert_true(le[0]);
			if (c->buckets && strcmp(labels, c->hist_labels))
				end_histogram(c);
			if (c->buckets) {
				assert_false(c->inf_seen);
				assert_true(l > c->last_le);		/* increasing le */
				assert_true(v >= c->last_bucket);	/* cumulative */
			} else {
				snprintf(c->hist_labels, sizeof(c->hist_labels), "%s", labels);
			}
			c->buckets++;
			c->last_le = l;
			c->last_bucket = (unsigned long long)v;
			if (!strcmp(le, "+Inf")) {
				c->inf_seen = 1;
				c->inf = (unsigned long long)v;
			}
		} else if (!strcmp(sfx, "_count")) {
			assert_true(c->inf_seen);
			assert_string_equal(labels, c->hist_labels);
			assert_true((unsigned long long)v == c->inf);	/* +Inf = count */
		} else {
			assert_string_equal(sfx, "_sum");
			assert_string_equal(labels, c->hist_labels);
		}
	}
}

static void check_meta(struct checker *c, const char *line)
{
	char kw[8], name[128], rest[1024] = "";
	int i;

	assert_true(sscanf(line, "# %7s %127s %1023[^\n]", kw, name, rest) >= 2);
	if (!strcmp(kw, "TYPE")) {
		end_histogram(c);
		for (i = 0; i < c->nfams; i++)	/* no family twice: none interleaved */
			assert_string_not_equal(c->fams[i], name);
		assert_true(c->nfams < MAX_FAMS);
		snprintf(c->fams[c->nfams++], sizeof(c->fams[0]), "%s", name);
		snprintf(c->cur, sizeof(c->cur), "%s", name);
		snprintf(c->type, sizeof(c->type), "%s", rest);
		assert_true(!strcmp(rest, "counter") || !strcmp(rest, "gauge") || !strcmp(rest, "histogram") ||
			    (c->om && !strcmp(rest, "info")));
		c->seen_unit = c->seen_help = c->seen_sample = 0;
		return;
	}
	/* TYPE, UNIT, HELP in that order, before the samples */
	assert_string_equal(name, c->cur);
	assert_false(c->seen_sample);
	assert_false(c->seen_help);
	if (!strcmp(kw, "UNIT")) {
		assert_true(c->om);
		assert_false(c->seen_unit);
		c->seen_unit = 1;
		/* the unit is the name's suffix */
		assert_true(strlen(name) > strlen(rest) + 1);
		assert_string_equal(name + strlen(name) - strlen(rest), rest);
		assert_int_equal(name[strlen(name) - strlen(rest) - 1], '_');
		return;
	}
	assert_string_equal(kw, "HELP");
	assert_true(strlen(rest) > 10);
	c->seen_help = 1;
}

/* Check a whole exposition; returns the number of samples. */
static int check_exposition(const char *text, int om)
{
	struct checker *c = calloc(1, sizeof(*c));
	const char *p = text;
	int i, n;

	assert_non_null(c);
	c->om = om;
	assert_true(strlen(text) > 0);
	assert_int_equal(text[strlen(text) - 1], '\n');
	assert_null(strchr(text, '\r'));
	assert_true(valid_utf8((const unsigned char *)text, strlen(text)));
	while (*p) {
		const char *nl = strchr(p, '\n');
		char *line = strndup(p, nl - p);

		if (!strcmp(line, "# EOF")) {
			assert_true(om);
			assert_int_equal(nl[1], 0);	/* the last line */
		} else if (line[0] == '#') {
			check_meta(c, line);
		} else {
			check_sample(c, line);
		}
		free(line);
		p = nl + 1;
	}
	end_histogram(c);
	if (om)
		assert_non_null(strstr(text, "\n# EOF\n"));
	else
		assert_null(strstr(text, "# EOF"));
	n = c->nseries;
	for (i = 0; i < c->nseries; i++)
		free(c->series[i]);
	free(c);
	return n;
}

/* ---- reports to render ---- */

/* report_free, and the stalls the test allocated for its instances */
static void report_free_all(struct run_report *r)
{
	size_t i;

	for (i = 0; i < r->ninsts; i++)
		if (r->insts[i].st) {
			stalls_free(r->insts[i].st);
			free(r->insts[i].st);
		}
	report_free(r);
}

static char *render(int (*fn)(FILE *, const struct run_report *), const struct run_report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(fn(f, r), 0);
	fclose(f);
	return buf;
}

static void assert_line(const char *text, const char *line)
{
	char *want = malloc(strlen(line) + 3);

	sprintf(want, "\n%s\n", line);
	if (!strstr(text, want) && strncmp(text, want + 1, strlen(want + 1)))
		fail_msg("missing line: %s", line);
	free(want);
}

/* ---- tests ---- */

static void test_seconds(void **state)
{
	char b[32];

	(void)state;
	assert_string_equal(om_seconds(0, b, sizeof(b)), "0.0");
	assert_string_equal(om_seconds(1000000000, b, sizeof(b)), "1.0");
	assert_string_equal(om_seconds(1500000000, b, sizeof(b)), "1.5");
	assert_string_equal(om_seconds(1023, b, sizeof(b)), "1.023e-06");
	assert_string_equal(om_seconds(1000, b, sizeof(b)), "1e-06");
	assert_string_equal(om_seconds(16383, b, sizeof(b)), "1.6383e-05");
	assert_string_equal(om_seconds(131071, b, sizeof(b)), "0.000131071");	/* 1e-4 and up: fixed */
	assert_string_equal(om_seconds(100000, b, sizeof(b)), "0.0001");
	assert_string_equal(om_seconds(1048575, b, sizeof(b)), "0.001048575");
	assert_string_equal(om_seconds((1ULL << 30) - 1, b, sizeof(b)), "1.073741823");
	assert_string_equal(om_seconds((1ULL << 38) - 1, b, sizeof(b)), "274.877906943");
	assert_string_equal(om_seconds(100000ULL * 1000000000, b, sizeof(b)), "100000.0");
	assert_string_equal(om_seconds(1000000ULL * 1000000000, b, sizeof(b)), "1e+06");
	assert_string_equal(om_seconds(1234567ULL * 1000000000 + 5, b, sizeof(b)), "1.234567000000005e+06");
}

static void test_exact_commands(void **state)
{
	struct run_report *r = report_new(1);
	char *t;

	(void)state;
	record(r, "get", SPAN_EXEC, 0, 2);		/* <1us: Redis's clock did not tick */
	record(r, "get", SPAN_EXEC, 3000, 1);
	record(r, "get", SPAN_RESPONSE, 1023, 1);	/* the last ns below 2^10 */
	record(r, "get", SPAN_RESPONSE, 1024, 1);	/* the first of the next slot */
	record(r, "get", SPAN_RESPONSE, 5000000, 1);
	record(r, "config|get", SPAN_EXEC, 9000, 4);
	t = render(render_openmetrics, r);
	assert_true(check_exposition(t, 1) > 100);
	/* metadata of a histogram: TYPE, UNIT, HELP */
	assert_non_null(strstr(t, "# TYPE redlat_command_execution_seconds histogram\n"
				  "# UNIT redlat_command_execution_seconds seconds\n"
				  "# HELP redlat_command_execution_seconds "));
	assert_line(t, "# TYPE redlat_command_calls counter");
	assert_line(t, "redlat_command_calls_total{pid=\"4242\",port=\"6379\",command=\"get\"} 3");
	assert_line(t, "redlat_command_calls_total{pid=\"4242\",port=\"6379\",command=\"config|get\"} 4");
	/* exact buckets: le = 2^k - 1 ns holds what is below 2^k */
	assert_line(t, "redlat_command_response_seconds_bucket{pid=\"4242\",port=\"6379\",command=\"get\",le=\"1.023e-06\"} 1");
	assert_line(t, "redlat_command_response_seconds_bucket{pid=\"4242\",port=\"6379\",command=\"get\",le=\"2.047e-06\"} 2");
	assert_line(t, "redlat_command_response_seconds_bucket{pid=\"4242\",port=\"6379\",command=\"get\",le=\"0.004194303\"} 2");
	assert_line(t, "redlat_command_response_seconds_bucket{pid=\"4242\",port=\"6379\",command=\"get\",le=\"0.008388607\"} 3");
	assert_line(t, "redlat_command_response_seconds_bucket{pid=\"4242\",port=\"6379\",command=\"get\",le=\"+Inf\"} 3");
	assert_line(t, "redlat_command_response_seconds_count{pid=\"4242\",port=\"6379\",command=\"get\"} 3");
	assert_line(t, "redlat_command_response_seconds_sum{pid=\"4242\",port=\"6379\",command=\"get\"} 0.005002047");
	assert_line(t, "redlat_command_execution_seconds_bucket{pid=\"4242\",port=\"6379\",command=\"get\",le=\"1.023e-06\"} 2");
	assert_line(t, "redlat_command_execution_seconds_bucket{pid=\"4242\",port=\"6379\",command=\"get\",le=\"4.095e-06\"} 3");
	/* commands in name order, whatever the report's */
	assert_true(strstr(t, "command=\"config|get\",le=\"1.023e-06\"") < strstr(t, "command=\"get\",le=\"1.023e-06\""));
	/* no estimate in exact mode */
	assert_null(strstr(t, "estimated"));
	assert_line(t, "redlat_run_info{version=\"0.1.0\",mode=\"exact\"} 1");
	assert_line(t, "redlat_instance_info{pid=\"4242\",port=\"6379\",product=\"redis\",version=\"7.0.15\","
		    "exe=\"/usr/bin/redis-server\"} 1");
	free(t);
	report_free_all(r);
}

/* The map is read while BPF adds to it: count may lag the slots. +Inf and
 * _count are then the slots' sum, never below a finite bucket. */
static void test_torn_read(void **state)
{
	struct run_report *r = report_new(1);
	struct cmd_stat *c;
	char *t;

	(void)state;
	record(r, "set", SPAN_EXEC, 2000, 6);
	c = inst_cmd(&r->insts[0], "set");
	c->span[SPAN_EXEC].count = 5;
	t = render(render_openmetrics, r);
	check_exposition(t, 1);
	assert_line(t, "redlat_command_execution_seconds_bucket{pid=\"4242\",port=\"6379\",command=\"set\",le=\"+Inf\"} 6");
	assert_line(t, "redlat_command_execution_seconds_count{pid=\"4242\",port=\"6379\",command=\"set\"} 6");
	free(t);
	report_free_all(r);
}

static void test_sampled_estimates(void **state)
{
	struct run_report *r = report_new(0);
	struct cmd_stat *c;
	char *t;

	(void)state;
	record(r, "set", SPAN_EXEC, 2000, 10);
	c = inst_cmd(&r->insts[0], "set");
	c->est_count = 1234.5;
	c->est_sum_ns = 2469000;
	t = render(render_openmetrics, r);
	check_exposition(t, 1);
	assert_null(strstr(t, "redlat_command_calls_total"));
	assert_line(t, "redlat_command_estimated_calls{pid=\"4242\",port=\"6379\",command=\"set\"} 1234.5");
	assert_line(t, "redlat_command_estimated_seconds{pid=\"4242\",port=\"6379\",command=\"set\"} 0.002469");
	assert_non_null(strstr(t, "# HELP redlat_command_estimated_calls An estimate, not a count"));
	/* the histogram's HELP says its count is a sample */
	assert_non_null(strstr(t, "# HELP redlat_command_execution_seconds Time of each execution inside "
				  "Redis's call(), as INFO commandstats times it. Sampled mode: only"));
	assert_line(t, "redlat_run_info{version=\"0.1.0\",mode=\"sampled\"} 1");
	free(t);
	report_free_all(r);
}

static void test_escaping(void **state)
{
	struct run_report *r = report_new(1);
	char *t;

	(void)state;
	/* names come from client memory and paths from /proc: any bytes */
	record(r, "a\"b\\c\nd\xff", SPAN_EXEC, 1000, 1);
	snprintf(r->insts[0].exe, sizeof(r->insts[0].exe), "/opt/re\xe9" "dis\n\"x\"");
	r->insts[0].nports = 0;
	t = render(render_openmetrics, r);
	check_exposition(t, 1);
	assert_line(t, "redlat_command_calls_total{pid=\"4242\",port=\"\",command=\"a\\\"b\\\\c\\nd\xef\xbf\xbd\"} 1");
	assert_non_null(strstr(t, "exe=\"/opt/re\xef\xbf\xbd" "dis\\n\\\"x\\\"\"} 1\n"));
	free(t);
	t = render(render_prom_text, r);
	check_exposition(t, 0);
	free(t);
	report_free_all(r);
}

static void fork_at(struct inst_stalls *s, __u64 ts, __u32 child, int purpose, __u64 stall)
{
	struct stall_event e = ev(SK_FORK, 4242, ts, stall);

	e.ret = (int)child;
	e.child = child;
	e.klass = purpose;
	stalls_add_event(s, &e);
}

static void set_hist(struct inst_stalls *s, int kind, int role, int fclass, __u64 ns, int times)
{
	struct stall_key k = { .tgid = 4242, .kind = kind, .role = role, .fclass = fclass };
	struct hist *h = calloc(1, sizeof(*h));

	assert_non_null(h);
	while (times-- > 0)
		hist_record(h, ns);
	stalls_set_hist(s, &k, h);
	free(h);
}

static struct run_report *stalls_report(int stalls_only)
{
	struct run_report *r = report_new(0);
	struct inst_stalls *s = calloc(1, sizeof(*s));
	struct stall_event e;

	assert_non_null(s);
	r->stalls_only = stalls_only;
	s->pid = 4242;
	r->insts[0].st = s;
	stalls_clock_init();
	fork_at(s, 1000, 501, FORK_PURPOSE_RDB, 20000000);
	fork_at(s, 5000, 502, FORK_PURPOSE_AOF, 7000000);
	fork_at(s, 3000, 503, FORK_PURPOSE_RDB, 9000000);
	set_hist(s, SK_FDATASYNC, ROLE_BIO_AOF, FC_AOF, 30000000, 4);
	set_hist(s, SK_FDATASYNC, ROLE_MAIN, FC_MANIFEST, 1000000, 2);
	set_hist(s, SK_FSYNC, ROLE_CHILD, FC_RDB, 70000000, 1);
	/* one event name over two file classes: one series, summed */
	set_hist(s, SK_AOF_WRITE, AW_ALONE, FC_AOF, 100000, 3);
	set_hist(s, SK_AOF_WRITE, AW_ALONE, FC_OTHER, 100000, 2);
	set_hist(s, SK_AOF_WRITE, AW_PENDING_FSYNC, FC_AOF, 500000000, 1);
	set_hist(s, SK_RDB_SAVE, ROLE_CHILD, 0, 2000000000, 2);
	set_hist(s, SK_LOOP, 0, 0, 20000, 100);
	set_hist(s, SK_RUNQ, 1, 0, 50000, 3);
	set_hist(s, SK_RUNQ, 0, 0, 5000, 30);
	set_hist(s, SK_OFFCPU, 1, 0, 50000000, 1);
	set_hist(s, SK_CYCLE, CYCLE_EXPIRE, 0, 25000000, 2);
	e = ev(SK_AOF_WRITE, 4242, 9000, 500000000);
	e.klass = AW_PENDING_FSYNC;
	e.flags = EVF_BLOCKED | EVF_MAIN;
	stalls_add_event(s, &e);
	stalls_sort(s);
	r->stall_stats[SST_EVENTS] = 17;
	r->stall_stats[SST_LOST] = 2;
	r->stats[STAT_DROP_PENDING] = 5;
	return r;
}

#define INST "pid=\"4242\",port=\"6379\""

static void test_stalls(void **state)
{
	struct run_report *r = stalls_report(0);
	char *t;

	(void)state;
	t = render(render_openmetrics, r);
	check_exposition(t, 1);
	/* forks by purpose, purposes in order */
	assert_line(t, "redlat_fork_stall_seconds_count{" INST ",purpose=\"rdb\"} 2");
	assert_line(t, "redlat_fork_stall_seconds_count{" INST ",purpose=\"aof-rewrite\"} 1");
	assert_line(t, "redlat_fork_stall_seconds_sum{" INST ",purpose=\"rdb\"} 0.029");
	assert_true(strstr(t, "purpose=\"rdb\"") < strstr(t, "purpose=\"aof-rewrite\""));
	/* the last fork is the latest in time, not the last added */
	assert_line(t, "redlat_last_fork_stall_seconds{" INST "} 0.007");
	assert_line(t, "redlat_sync_seconds_count{" INST ",syscall=\"fdatasync\",thread=\"bio_aof\",file_class=\"aof\"} 4");
	assert_line(t, "redlat_sync_seconds_count{" INST ",syscall=\"fdatasync\",thread=\"main\",file_class=\"aof-manifest\"} 2");
	assert_line(t, "redlat_sync_seconds_count{" INST ",syscall=\"fsync\",thread=\"fork-child\",file_class=\"rdb\"} 1");
	assert_line(t, "redlat_aof_write_seconds_count{" INST ",event=\"aof-write-alone\"} 5");
	assert_line(t, "redlat_aof_write_seconds_count{" INST ",event=\"aof-write-pending-fsync\"} 1");
	assert_line(t, "redlat_aof_writes_blocked_total{" INST "} 1");
	assert_line(t, "redlat_persistence_seconds_count{" INST ",function=\"rdbSave\",thread=\"fork-child\"} 2");
	assert_line(t, "redlat_event_loop_iteration_seconds_count{" INST "} 100");
	assert_line(t, "redlat_run_queue_wait_seconds_count{" INST ",cause=\"preempted\"} 3");
	assert_line(t, "redlat_run_queue_wait_seconds_count{" INST ",cause=\"woken\"} 30");
	assert_line(t, "redlat_off_cpu_seconds_count{" INST ",state=\"sleeping\"} 1");
	assert_line(t, "redlat_cycle_seconds_count{" INST ",event=\"expire-cycle\"} 2");
	/* drop and loss counters under the JSON's names */
	assert_line(t, "redlat_stall_events_total 17");
	assert_line(t, "redlat_stall_events_lost_total 2");
	assert_line(t, "redlat_dropped_pending_full_total 5");
	assert_line(t, "redlat_stall_events_not_kept_total{" INST "} 0");
	free(t);
	report_free_all(r);
}

static void test_stalls_only(void **state)
{
	struct run_report *r = stalls_report(1);
	char *t;

	(void)state;
	record(r, "get", SPAN_EXEC, 1000, 1);
	t = render(render_openmetrics, r);
	check_exposition(t, 1);
	assert_null(strstr(t, "redlat_command_execution"));
	assert_null(strstr(t, "redlat_command_response"));
	assert_null(strstr(t, "redlat_command_calls"));
	assert_null(strstr(t, "redlat_command_estimated"));
	assert_null(strstr(t, "redlat_event_loop_iteration_seconds"));
	assert_line(t, "redlat_fork_stall_seconds_count{" INST ",purpose=\"rdb\"} 2");
	assert_line(t, "redlat_run_info{version=\"0.1.0\",mode=\"stalls-only\"} 1");
	free(t);
	report_free_all(r);
}

/* The 0.0.4 text format: counters' and info's families under their sample
 * names, no UNIT, no EOF; the same samples. */
static void test_prom_text(void **state)
{
	struct run_report *r = stalls_report(0);
	char *t, *o;

	(void)state;
	r->exact = 1;
	record(r, "get", SPAN_EXEC, 1000, 3);
	t = render(render_prom_text, r);
	o = render(render_openmetrics, r);
	assert_int_equal(check_exposition(t, 0), check_exposition(o, 1));
	assert_line(t, "# TYPE redlat_command_calls_total counter");
	assert_line(t, "# TYPE redlat_run_info gauge");
	assert_line(t, "# TYPE redlat_instance_info gauge");
	assert_null(strstr(t, "# UNIT"));
	assert_line(t, "redlat_command_calls_total{" INST ",command=\"get\"} 3");
	assert_line(t, "redlat_fork_stall_seconds_count{" INST ",purpose=\"rdb\"} 2");
	free(t);
	free(o);
	report_free_all(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seconds),
		cmocka_unit_test(test_exact_commands),
		cmocka_unit_test(test_torn_read),
		cmocka_unit_test(test_sampled_estimates),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_stalls),
		cmocka_unit_test(test_stalls_only),
		cmocka_unit_test(test_prom_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
