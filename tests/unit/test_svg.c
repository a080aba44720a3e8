// SPDX-License-Identifier: GPL-2.0
/* The SVG picture of a synthetic run: well-formed, hostile names escaped,
 * every kind of stall in its lane at its time, the heatmap's cells where
 * the slices were. SVG_OUT=FILE also writes the picture, to look at. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "report.h"
#include "stalls_user.h"
#include "svg.h"

#define T0 1700000000.0
#define HOSTILE "<&>\"'"
#define PLOT_X0 170.0
#define PLOT_X1 1100.0

static struct stall_rec *event(struct inst_stalls *st, int kind, double at, double dur_ms)
{
	struct stall_rec *e;

	st->events = realloc(st->events, (st->nevents + 1) * sizeof(*e));
	assert_non_null(st->events);
	e = &st->events[st->nevents++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->wall = T0 + at;
	e->ts_ns = (__u64)(at * 1e9);
	e->dur_ns = dur_ms * 1e6;
	e->pid = e->tid = 4242;
	snprintf(e->comm, sizeof(e->comm), "redis-server");
	return e;
}

static struct stall_rec *sync_event(struct inst_stalls *st, int kind, int role, double at, double dur_ms,
				    const char *file, int fclass)
{
	struct stall_rec *e = event(st, kind, at, dur_ms);

	e->role = role;
	e->fclass = fclass;
	snprintf(e->file, sizeof(e->file), "%s", file);
	return e;
}

static struct stall_rec *main_event(struct inst_stalls *st, int kind, double at, double dur_ms,
				    const char *name)
{
	struct stall_rec *e = event(st, kind, at, dur_ms);

	snprintf(e->file, sizeof(e->file), "%s", name);
	e->oncpu_ns = e->dur_ns;
	return e;
}

static void add_slice(struct run_report *r, int inst, double at, double len, int cls, int bucket, __u32 n)
{
	struct tl_slice *sl;

	if (r->tl.n == r->tl.cap) {
		r->tl.cap = r->tl.cap ? 2 * r->tl.cap : 16;
		r->tl.s = realloc(r->tl.s, r->tl.cap * sizeof(*sl));
		assert_non_null(r->tl.s);
	}
	sl = &r->tl.s[r->tl.n++];
	memset(sl, 0, sizeof(*sl));
	sl->inst = inst;
	sl->t = T0 + at;
	sl->len_s = len;
	sl->n[cls][bucket] = n;
}

/* A 10 s exact run of one instance with a stall of every kind. */
static struct run_report *synthetic(int ninsts)
{
	struct run_report *r = calloc(1, sizeof(*r));
	struct stall_rec *e;
	int i, k;

	assert_non_null(r);
	r->exact = 1;
	r->duration_s = 10;
	r->start_wall = T0;
	r->threshold_ms = 10;
	r->ninsts = ninsts;
	r->insts = calloc(ninsts, sizeof(*r->insts));
	for (i = 0; i < ninsts; i++) {
		struct inst_report *in = &r->insts[i];
		struct inst_stalls *st = calloc(1, sizeof(*st));
		struct fork_rec *f;

		in->pid = 4242 + i;
		snprintf(in->product, sizeof(in->product), "redis");
		snprintf(in->version, sizeof(in->version), "7.0.15");
		in->ports[in->nports++] = 7361 + i;
		in->st = st;
		st->pid = in->pid;
		st->forks = calloc(1, sizeof(*f));
		st->nforks = st->capforks = 1;
		f = &st->forks[0];
		f->seen_fork = 1;
		f->wall = T0 + 5;	/* the middle of the run */
		f->child = 5555;
		f->purpose = FORK_PURPOSE_RDB;
		f->stall_ns = 12.3e6;
		f->sys_ns = 8e6;
		f->rss_bytes = 1ULL << 30;
		f->exited = 1;
		f->life_ns = 2.5e9;
		f->work_kind = SK_RDB_SAVE;
		f->work_ns = 2.4e9;
		f->has_cow = 1;
		f->cow_bytes = 3 << 20;

		sync_event(st, SK_FDATASYNC, ROLE_BIO_AOF, 1, 40, "appendonly.aof.1.incr.aof", FC_AOF);
		sync_event(st, SK_FSYNC, ROLE_MAIN, 2, 20, "appendonly.aof.manifest", FC_MANIFEST);
		/* appendfsync always: 100 fsyncs of 1 ms, 2 ms apart, far under a pixel */
		for (k = 0; k < 100; k++)
			sync_event(st, SK_FDATASYNC, ROLE_MAIN, 3 + k * 0.002, 1, "appendonly.aof.1.incr.aof", FC_AOF);
		sync_event(st, SK_FSYNC, ROLE_CHILD, 5.5, 70, "temp-5555.rdb", FC_RDB);
		e = sync_event(st, SK_AOF_WRITE, ROLE_MAIN, 6, 400, "appendonly.aof.1.incr.aof", FC_AOF);
		e->klass = AW_PENDING_FSYNC;
		e->flags = EVF_BLOCKED;
		e = main_event(st, SK_LOOP, 7, 60, "");
		e->runq_ns = 30e6;
		e->sleep_ns = 10e6;
		e->oncpu_ns = 20e6;
		e->other_pid = 999;
		snprintf(e->other_comm, sizeof(e->other_comm), "stress");
		e = main_event(st, SK_RUNQ, 7.005, 30, "");	/* preempted by stress */
		e->klass = 1;
		e->other_pid = 999;
		snprintf(e->other_comm, sizeof(e->other_comm), "stress");
		main_event(st, SK_OFFCPU, 7.04, 10, "")->klass = OFF_BLOCKED;
		main_event(st, SK_COMMAND, 7.001, 50, HOSTILE);
		main_event(st, SK_COMMAND, 8, 30, "keys");
		main_event(st, SK_COMMAND, 8.5, 30, "bad\xff\x01name");
		main_event(st, SK_CYCLE, 9, 25, "")->klass = CYCLE_EXPIRE;
		for (k = 0; k < 10; k++)
			add_slice(r, i, k, 1, TL_FAST, 3, 500 + 100 * k);
		add_slice(r, i, 8, 1, TL_SLOW, 15, 1);	/* keys, 30 ms */
	}
	return r;
}

static void synthetic_free(struct run_report *r)
{
	size_t i;

	for (i = 0; i < r->ninsts; i++) {
		stalls_free(r->insts[i].st);
		free(r->insts[i].st);
	}
	free(r->insts);
	timeline_free(&r->tl);
	free(r);
}

static char *render(const struct run_report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const char *out = getenv("SVG_OUT");

	assert_non_null(f);
	assert_int_equal(render_svg(f, r), 0);
	fclose(f);
	if (out) {
		f = fopen(out, "w");
		assert_non_null(f);
		fputs(buf, f);
		fclose(f);
	}
	return buf;
}

/* Entities are the five XML predefines, in text and attributes alike. */
static int entity_ok(const char *p)
{
	static const char *const ent[] = { "&lt;", "&gt;", "&amp;", "&quot;", "&apos;" };
	size_t i;

	for (i = 0; i < sizeof(ent) / sizeof(ent[0]); i++)
		if (!strncmp(p, ent[i], strlen(ent[i])))
			return 1;
	return 0;
}

/* Well-formed enough for any XML parser: one root <svg>, tags closed in
 * order, attribute values quoted, '<' only as markup, '&' only as an
 * entity, no control byte. (The integration test parses real output
 * with Python's XML parser.) */
static void assert_well_formed(const char *s)
{
	const char *stack[64];
	size_t depth = 0, roots = 0;
	const char *p = s;

	if (!strncmp(p, "<?xml", 5))
		p = strstr(p, "?>") + 2;
	for (; *p; p++) {
		const char *name;
		size_t nlen;

		assert_false((unsigned char)*p < 0x20 && *p != '\n');
		if (*p == '&') {
			assert_true(entity_ok(p));
			continue;
		}
		if (*p != '<')
			continue;
		if (p[1] == '/') {
			name = p + 2;
			nlen = strcspn(name, ">");
			assert_true(depth > 0);
			depth--;
			assert_int_equal(strncmp(stack[depth], name, nlen), 0);
			assert_true(strcspn(stack[depth], " />") == nlen);
			p = name + nlen;
			continue;
		}
		name = p + 1;
		nlen = strcspn(name, " />");
		assert_true(nlen > 0);
		if (!depth)
			roots++;
		for (p = name + nlen; *p != '>' && *p; p++) {
			if (*p == '=') {
				const char *end;

				assert_int_equal(p[1], '"');
				end = strchr(p + 2, '"');
				assert_non_null(end);
				assert_null(memchr(p + 2, '<', (size_t)(end - p - 2)));
				for (p += 2; p < end; p++)
					assert_true(*p != '&' || entity_ok(p));
				p = end;
			}
		}
		assert_int_equal(*p, '>');
		if (p[-1] != '/') {
			assert_true(depth < 64);
			stack[depth++] = name;
		}
	}
	assert_int_equal(depth, 0);
	assert_int_equal(roots, 1);
	assert_int_equal(strncmp(strstr(s, "<svg"), "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39), 0);
}

/* The x attribute of the first <rect> after where */
static double rect_x_after(const char *svg, const char *where)
{
	const char *p = strstr(svg, where);

	assert_non_null(p);
	p = strstr(p, "<rect ");
	assert_non_null(p);
	p = strstr(p, " x=\"");
	assert_non_null(p);
	return strtod(p + 4, NULL);
}

static double svg_height(const char *svg)
{
	const char *p = strstr(svg, "height=\"");

	assert_non_null(p);
	return strtod(p + 8, NULL);
}

static void test_well_formed_and_escaped(void **state)
{
	struct run_report *r = synthetic(1);
	char *svg = render(r);

	(void)state;
	assert_well_formed(svg);
	/* the hostile command name is text, both in its tooltip and label */
	assert_non_null(strstr(svg, "&lt;&amp;&gt;&quot;&apos; at "));
	assert_non_null(strstr(svg, ">&lt;&amp;&gt;&quot;&apos;</text>"));
	assert_null(strstr(svg, HOSTILE));
	/* bytes XML cannot carry are replaced, not passed on */
	assert_non_null(strstr(svg, "bad??name"));
	assert_null(strchr(svg, '\xff'));
	free(svg);
	synthetic_free(r);
}

static void test_every_kind(void **state)
{
	static const char *const want[] = {
		"<g class=\"fork\">", "<rect class=\"fsync\"", "<rect class=\"aof-write\"", "<g class=\"loop\">",
		"<rect class=\"command\"", "<rect class=\"runq\"", "<rect class=\"cycle\"", "<rect class=\"heat\"",
		">fork</text>", ">fsync: main</text>", ">fsync: bio_aof</text>", ">fsync: fork-child</text>",
		">AOF write (main)</text>", ">event loop</text>", ">slow commands</text>",
		">run-queue wait</text>", ">off-CPU</text>", ">cycles</text>", ">fast-command</text>",
		">command</text>",
		"fork for rdb at ", "stall 12.3ms (syscall 8.00ms)", "child 5555 lived 2.50s, exit 0",
		"rdbSave 2.40s", "copied 3.00MB", "81.3 GB/s (good)",
		"fdatasync at ", "thread bio_aof", "file appendonly.aof.1.incr.aof (aof)",
		"aof-write-pending-fsync at ", "waited for a background fsync",
		"event-loop at ", "on-CPU 20.0ms, run-queue 30.0ms (stress 999), sleeping 10.0ms",
		"run-queue at ", ": 30.0ms; preempted; CPU taken by stress 999", ">stress</text>",
		"<rect class=\"offcpu\"", "off-cpu-uninterruptible at ", "fill=\"#8f5f9e\"><title>off-cpu",
		"keys at ", ">keys</text>", "expire-cycle at ", ">expire-cycle</text>",
		/* the 100 fsyncs under a pixel are one mark that counts them */
		"100 sync calls from ", "100ms in all; the longest: fdatasync",
		"fast-command: 1.4k executions of 4us to 8us", "command: 1 executions of 16.4ms to 32.8ms",
		">rdb 12.3ms</text>", "exact mode, 10.0 s from ",
	};
	struct run_report *r = synthetic(1);
	char *svg = render(r);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (!strstr(svg, want[i]))
			fail_msg("missing: %s", want[i]);
	}
	/* nothing said to be missing */
	assert_null(strstr(svg, "not traced"));
	assert_null(strstr(svg, "none of"));
	free(svg);
	synthetic_free(r);
}

/* Marks sit at their time on the run's axis: the fork in the middle, the
 * first second's heatmap column at the left edge, a tenth wide. */
static void test_positions(void **state)
{
	struct run_report *r = synthetic(1);
	char *svg = render(r);
	double mid = (PLOT_X0 + PLOT_X1) / 2, tenth = (PLOT_X1 - PLOT_X0) / 10;
	const char *p;

	(void)state;
	assert_float_equal(rect_x_after(svg, "<g class=\"fork\">"), mid, 0.06);
	assert_float_equal(rect_x_after(svg, "AOF write (main)</text>"), mid + tenth, 0.06);
	/* the slow iteration (on-CPU 20, run-queue 30, sleeping 10 ms) is
	 * stacked by its shares of the 14 px bar */
	p = strstr(svg, "<g class=\"loop\">");
	assert_non_null(p);
	{
		static const char *const want[] = {	/* bottom up: on-CPU, run-queue, sleeping */
			"height=\"4.7\" fill=\"#4e79a7\"", "height=\"7.0\" fill=\"#f28e2b\"",
			"height=\"2.3\" fill=\"#bab0ac\"",
		};
		const char *end = strstr(p, "</g>");
		double y[3];
		int k;

		for (k = 0; k < 3; k++) {
			p = strstr(p, "<rect x=\"");
			assert_true(p && p < end);
			assert_float_equal(strtod(p + 9, NULL), mid + 2 * tenth, 0.06);
			y[k] = strtod(strstr(p, " y=\"") + 4, NULL);
			assert_non_null(strstr(p, want[k]));
			assert_true(strstr(p, want[k]) < strchr(p, '\n'));
			p++;
		}
		assert_float_equal(y[0] - y[1], 7.0, 0.06);
		assert_float_equal(y[1] - y[2], 2.3, 0.06);
	}
	p = strstr(svg, "<rect class=\"heat\"");
	assert_non_null(p);
	assert_float_equal(rect_x_after(p, ""), PLOT_X0, 0.06);
	p = strstr(p, "width=\"");
	assert_float_equal(strtod(p + 7, NULL), tenth, 0.06);
	free(svg);
	synthetic_free(r);
}

/* Sampled mode: windows with gaps between them are drawn where they
 * were, the gaps empty. */
static void test_sampled_gaps(void **state)
{
	struct run_report *r = synthetic(1);
	double tenth = (PLOT_X1 - PLOT_X0) / 10;
	char *svg;
	const char *p;
	size_t cells = 0;

	(void)state;
	r->exact = 0;
	r->windows = 2;
	r->attached_s = 1;
	r->tl.n = 0;
	add_slice(r, 0, 1, 0.5, TL_FAST, 2, 10);
	add_slice(r, 0, 4, 0.5, TL_FAST, 2, 20);
	svg = render(r);
	assert_well_formed(svg);
	assert_non_null(strstr(svg, "sampled mode"));
	for (p = svg; (p = strstr(p, "<rect class=\"heat\"")); p++) {
		double x = rect_x_after(p, ""), w = strtod(strstr(p, "width=\"") + 7, NULL);

		if (cells++ == 0)
			assert_float_equal(x, PLOT_X0 + tenth, 0.06);
		else
			assert_float_equal(x, PLOT_X0 + 4 * tenth, 0.06);
		assert_float_equal(w, tenth / 2, 0.06);
	}
	assert_int_equal(cells, 2);
	free(svg);
	synthetic_free(r);
}

/* A run of days: the timeline merged its older slices (timeline_push),
 * wider than the newer ones. The heat columns still tile the run from the
 * plot's left edge to its right, in order, none overlapping. */
static void test_merged_timeline(void **state)
{
	struct run_report *r = synthetic(1);
	double secs = 3 * 86400, prev_end = PLOT_X0, x = 0, w = 0;
	const char *p;
	size_t cells = 0;
	char *svg;
	int s;

	(void)state;
	r->duration_s = secs;
	r->tl.n = 0;
	for (s = 0; s < secs; s++) {
		struct tl_slice sl = { .inst = 0, .t = T0 + s, .len_s = 1 };

		sl.n[TL_FAST][3] = 1000;
		assert_int_equal(timeline_push(&r->tl, &sl), 0);
	}
	assert_true(r->tl.s[0].len_s > 1);	/* merged */
	svg = render(r);
	assert_well_formed(svg);
	for (p = svg; (p = strstr(p, "<rect class=\"heat\"")); p++) {
		x = rect_x_after(p, "");
		w = strtod(strstr(p, "width=\"") + 7, NULL);
		assert_true(x >= prev_end - 0.15);	/* both rounded to 0.1 px */
		assert_true(x <= prev_end + 1.15);	/* the builder leaves up to 1 px */
		prev_end = x + w;
		cells++;
	}
	assert_true(cells > 100);
	assert_float_equal(prev_end, PLOT_X1, 1.1);
	free(svg);
	synthetic_free(r);
}

/* A name that the next mark would cover is left out (its tooltip keeps
 * it); one with room is written. */
static void test_names_make_room(void **state)
{
	struct run_report *r = synthetic(1);
	struct inst_stalls *st = r->insts[0].st;
	char *svg;

	(void)state;
	st->nevents = 0;
	main_event(st, SK_COMMAND, 2.0, 30, "first");	/* 9 px before the next */
	main_event(st, SK_COMMAND, 2.1, 30, "second");
	main_event(st, SK_COMMAND, 4.0, 30, "third");
	svg = render(r);
	assert_null(strstr(svg, ">first</text>"));
	assert_non_null(strstr(svg, "<title>first at "));
	assert_non_null(strstr(svg, ">second</text>"));
	assert_non_null(strstr(svg, ">third</text>"));
	free(svg);
	synthetic_free(r);
}

static void test_stalls_only_and_empty(void **state)
{
	struct run_report *r = synthetic(1);
	struct run_report none = { .duration_s = 3, .threshold_ms = 10 };
	char *svg;

	(void)state;
	r->stalls_only = 1;
	r->exact = 0;
	r->insts[0].st->nevents = 0;
	r->tl.n = 0;
	svg = render(r);
	assert_well_formed(svg);
	assert_non_null(strstr(svg, "command latency: not traced (--stalls-only)"));
	assert_null(strstr(svg, "class=\"heat\""));
	assert_null(strstr(svg, ">slow commands</text>"));
	/* empty lanes say so */
	assert_non_null(strstr(svg, ">fsync</text>"));
	assert_non_null(strstr(svg, ">none</text>"));
	free(svg);
	synthetic_free(r);

	svg = render(&none);
	assert_well_formed(svg);
	assert_non_null(strstr(svg, "No Redis instance was traced."));
	free(svg);
}

/* --replay --svg: the picture of a run replayed from its JSON document
 * is the live run's, byte for byte (the document keeps the run's start). */
static void test_replayed_picture(void **state)
{
	struct run_report *r = synthetic(2), back;
	char path[] = "/tmp/redlat-test-svg.XXXXXX", err[256];
	char *live = render(r), *again;
	int fd = mkstemp(path);
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(render_json(f, r), 0);
	fclose(f);
	if (report_from_json(path, &back, err, sizeof(err)))
		fail_msg("%s", err);
	unlink(path);
	assert_true(back.start_wall == T0);
	again = render(&back);
	assert_string_equal(again, live);
	report_loaded_free(&back);
	free(live);
	free(again);
	synthetic_free(r);
}

static void test_height_grows(void **state)
{
	struct run_report *one = synthetic(1), *two = synthetic(2);
	char *a = render(one), *b = render(two);

	(void)state;
	assert_true(svg_height(b) > svg_height(a) + 200);
	assert_non_null(strstr(b, "pid 4243: redis 7.0.15, port 7362"));
	assert_well_formed(b);
	free(a);
	free(b);
	synthetic_free(one);
	synthetic_free(two);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_well_formed_and_escaped),
		cmocka_unit_test(test_every_kind),
		cmocka_unit_test(test_positions),
		cmocka_unit_test(test_sampled_gaps),
		cmocka_unit_test(test_merged_timeline),
		cmocka_unit_test(test_names_make_room),
		cmocka_unit_test(test_stalls_only_and_empty),
		cmocka_unit_test(test_replayed_picture),
		cmocka_unit_test(test_height_grows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
