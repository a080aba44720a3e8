// SPDX-License-Identifier: GPL-2.0
/* The report as OpenMetrics 1.0.0 text (and, for clients that do not ask for
 * it, the Prometheus text format 0.0.4). Names are the JSON's and Redis's:
 * commands as INFO commandstats names them, thread roles, file classes,
 * fork purposes and Redis's latency-event names. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "histo.h"
#include "openmetrics.h"
#include "stalls_user.h"
#include "util.h"

/* A label set: an exe path of PATH_MAX bytes, escaped, still fits. */
#define LABELS_MAX (3 * PATH_MAX + 512)

struct labels {
	char s[LABELS_MAX];
	size_t n;
};

enum om_type { OM_COUNTER, OM_GAUGE, OM_HISTOGRAM, OM_INFO };

struct om {
	FILE *f;
	int om;			/* 1: OpenMetrics; 0: Prometheus text 0.0.4 */
	const char *name;	/* the family being written */
	struct hist *h;		/* scratch */
	struct labels l;
};

const char *om_seconds(__u64 ns, char *buf, size_t len)
{
	/* OpenMetrics wants le values in Go's %g form, with ".0" added to a
	 * whole number. From the decimal digits of ns, not with printf's %g:
	 * 1023 ns is exactly "1.023e-06", which %.17g would print as
	 * 1.0229999999999999e-06. */
	char d[24];
	int nd, exp, i, o = 0;

	if (!ns)
		return snprintf(buf, len, "0.0"), buf;
	nd = snprintf(d, sizeof(d), "%llu", (unsigned long long)ns);
	exp = nd - 1 - 9;		/* of the first digit, in seconds */
	while (nd > 1 && d[nd - 1] == '0')
		nd--;
	d[nd] = 0;
	if (exp < -4 || exp >= 6) {	/* Go's shortest %g switches to %e there */
		o = snprintf(buf, len, "%c%s%s", d[0], nd > 1 ? "." : "", d + 1);
		snprintf(buf + o, len - o, "e%c%02d", exp < 0 ? '-' : '+', abs(exp));
		return buf;
	}
	if (exp < 0) {
		o = snprintf(buf, len, "0.");
		for (i = 0; i < -exp - 1; i++)
			o += snprintf(buf + o, len - o, "0");
		snprintf(buf + o, len - o, "%s", d);
		return buf;
	}
	for (i = 0; i <= exp; i++)
		o += snprintf(buf + o, len - o, "%c", i < nd ? d[i] : '0');
	snprintf(buf + o, len - o, ".%s", nd > exp + 1 ? d + exp + 1 : "0");
	return buf;
}

/* Length of the UTF-8 sequence at s (1-4), or 0 if it is not valid UTF-8
 * (overlong forms and surrogates included). */
static int utf8_len(const unsigned char *s)
{
	int n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return n;
}

/* Append src to l escaped: backslash, newline and (in label values and
 * OpenMetrics HELP) the double quote. Bytes that are not UTF-8 become
 * U+FFFD: paths and comms are any bytes, and the format is UTF-8. Stops
 * whole at the end of the buffer, never inside an escape or a character. */
static void put_escaped(struct labels *l, const char *src, int quote)
{
	const unsigned char *s = (const unsigned char *)src;

	while (*s) {
		const char *out = (const char *)s;
		int n = utf8_len(s), skip = n ? n : 1;

		if (*s == '\\')
			out = "\\\\", n = 2;
		else if (*s == '\n')
			out = "\\n", n = 2;
		else if (*s == '"' && quote)
			out = "\\\"", n = 2;
		else if (!n)
			out = "\xef\xbf\xbd", n = 3;
		if (l->n + n >= sizeof(l->s))
			break;
		memcpy(l->s + l->n, out, n);
		l->n += n;
		s += skip;
	}
	l->s[l->n] = 0;
}

static void label(struct labels *l, const char *key, const char *val)
{
	l->n += snprintf(l->s + l->n, sizeof(l->s) - l->n, "%s%s=\"", l->n ? "," : "", key);
	if (l->n >= sizeof(l->s) - 2) {
		l->n = sizeof(l->s) - 1;
		return;
	}
	put_escaped(l, val, 1);
	if (l->n < sizeof(l->s) - 1)
		l->s[l->n++] = '"';
	l->s[l->n] = 0;
}

static void label_int(struct labels *l, const char *key, long long v)
{
	char b[24];

	snprintf(b, sizeof(b), "%lld", v);
	label(l, key, b);
}

/* Every series of an instance carries pid and port: the first port it
 * listens on, or "" without one. */
static struct labels *inst_labels(struct om *o, const struct inst_report *in)
{
	o->l.n = 0;
	o->l.s[0] = 0;
	label_int(&o->l, "pid", in->pid);
	if (in->nports)
		label_int(&o->l, "port", in->ports[0]);
	else
		label(&o->l, "port", "");
	return &o->l;
}

static void family(struct om *o, const char *name, enum om_type t, const char *unit, const char *help)
{
	static const char *const types[] = { "counter", "gauge", "histogram", "info" };
	/* the 0.0.4 format names a family by its samples and has no info type */
	const char *suffix = o->om ? "" : t == OM_COUNTER ? "_total" : t == OM_INFO ? "_info" : "";
	struct labels h = { .n = 0 };

	o->name = name;
	fprintf(o->f, "# TYPE %s%s %s\n", name, suffix, o->om || t != OM_INFO ? types[t] : "gauge");
	if (unit && o->om)
		fprintf(o->f, "# UNIT %s %s\n", name, unit);
	put_escaped(&h, help, o->om);
	fprintf(o->f, "# HELP %s%s %s\n", name, suffix, h.s);
}

/* name+suffix{labels[,key="val"]} value; val needs no escaping (le) */
static void sample(struct om *o, const char *suffix, const struct labels *l, const char *key,
		   const char *val, const char *value)
{
	fprintf(o->f, "%s%s", o->name, suffix);
	if (l->n || key) {
		fprintf(o->f, "{%s", l->s);
		if (key)
			fprintf(o->f, "%s%s=\"%s\"", l->n ? "," : "", key, val);
		fputc('}', o->f);
	}
	fprintf(o->f, " %s\n", value);
}

static void sample_u64(struct om *o, const char *suffix, const struct labels *l, unsigned long long v)
{
	char b[24];

	snprintf(b, sizeof(b), "%llu", v);
	sample(o, suffix, l, NULL, NULL, b);
}

static void sample_double(struct om *o, const char *suffix, const struct labels *l, double v)
{
	char b[32];

	snprintf(b, sizeof(b), "%.15g", v);
	sample(o, suffix, l, NULL, NULL, b);
}

static void sample_seconds(struct om *o, const struct labels *l, double ns)
{
	char b[32];

	sample(o, "", l, NULL, NULL, om_seconds(ns > 0 ? (__u64)llround(ns) : 0, b, sizeof(b)));
}

/* Buckets at le = 2^k - 1 ns. A power of two starts a slot of struct hist
 * and durations are whole nanoseconds, so each bucket holds exactly the
 * slots below 2^k: sums of slots, not interpolations. The map is read while
 * BPF adds to it and count is copied before the slots, so +Inf and _count
 * are the slots' sum too: they never fall below a finite bucket. */
static void hist_series(struct om *o, const struct labels *l, const struct hist *h)
{
	unsigned long long cum = 0;
	char le[32], v[24];
	__u32 slot = 0;
	int k;

	for (k = OM_LOW_EXP; k <= OM_HIGH_EXP; k++) {
		for (; slot < hist_slot(1ULL << k); slot++)
			cum += h->slots[slot];
		snprintf(v, sizeof(v), "%llu", cum);
		sample(o, "_bucket", l, "le", om_seconds((1ULL << k) - 1, le, sizeof(le)), v);
	}
	for (; slot < HIST_SLOTS; slot++)
		cum += h->slots[slot];
	snprintf(v, sizeof(v), "%llu", cum);
	sample(o, "_bucket", l, "le", "+Inf", v);
	sample(o, "_count", l, NULL, NULL, v);
	sample(o, "_sum", l, NULL, NULL, om_seconds(h->sum_ns, le, sizeof(le)));
}

static unsigned long long hist_total(const struct hist *h)
{
	unsigned long long n = 0;
	__u32 i;

	for (i = 0; i < HIST_SLOTS; i++)
		n += h->slots[i];
	return n;
}

static int by_name(const void *a, const void *b)
{
	const struct cmd_stat *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

/* An instance's commands by name, so that series keep their order from one
 * scrape to the next. NULL when there are none (or no memory). */
static const struct cmd_stat **cmds_by_name(const struct inst_report *in)
{
	const struct cmd_stat **v = in->ncmds ? malloc(in->ncmds * sizeof(*v)) : NULL;
	size_t i;

	if (!v)
		return NULL;
	for (i = 0; i < in->ncmds; i++)
		v[i] = &in->cmds[i];
	qsort(v, in->ncmds, sizeof(*v), by_name);
	return v;
}

enum cmd_value { CV_EXEC, CV_RESPONSE, CV_CALLS, CV_EST_CALLS, CV_EST_SECONDS };

/* One family over every command of every instance. */
static void command_family(struct om *o, const struct run_report *r, enum cmd_value what)
{
	size_t i, j;

	for (i = 0; i < r->ninsts; i++) {
		const struct cmd_stat **v = cmds_by_name(&r->insts[i]);

		for (j = 0; v && j < r->insts[i].ncmds; j++) {
			const struct cmd_stat *c = v[j];
			struct labels *l = inst_labels(o, &r->insts[i]);

			label(l, "command", c->name);
			if (what == CV_EXEC || what == CV_RESPONSE)
				hist_series(o, l, &c->span[what == CV_EXEC ? SPAN_EXEC : SPAN_RESPONSE]);
			else if (what == CV_CALLS)
				sample_u64(o, "_total", l, hist_total(&c->span[SPAN_EXEC]));
			else if (what == CV_EST_CALLS)
				sample_double(o, "", l, c->est_count);
			else
				sample_double(o, "", l, c->est_sum_ns / 1e9);
		}
		free(v);
	}
}

static void commands(struct om *o, const struct run_report *r)
{
	family(o, "redlat_command_execution_seconds", OM_HISTOGRAM, "seconds", r->exact ?
	       "Time of each execution inside Redis's call(), as INFO commandstats and SLOWLOG time it "
	       "(Redis's own 1 us clock), by command as INFO commandstats names it." :
	       "Time of each execution inside Redis's call(), as INFO commandstats times it. Sampled mode: "
	       "only executions that ran while the probes were on, a share of all; use the buckets for "
	       "quantiles and redlat_command_estimated_calls for how many ran.");
	command_family(o, r, CV_EXEC);
	family(o, "redlat_command_response_seconds", OM_HISTOGRAM, "seconds", r->exact ?
	       "Time from the read() that brought the request in to the write() that sent its reply, "
	       "queueing behind other clients included." :
	       "Time from the read() that brought the request in to the write() that sent its reply. "
	       "Sampled mode: only commands that ran while the probes were on.");
	command_family(o, r, CV_RESPONSE);
	if (r->exact) {
		family(o, "redlat_command_calls", OM_COUNTER, NULL,
		       "Executions of the command, every one (--exact): what INFO commandstats calls counts.");
		command_family(o, r, CV_CALLS);
		return;
	}
	family(o, "redlat_command_estimated_calls", OM_GAUGE, NULL,
	       "An estimate, not a count: executions of the command in the run so far, from the sampled "
	       "ones, each window weighted by the reads Redis made while it and half the gaps around "
	       "it lasted. Updated at the end of each window. --exact counts every one.");
	command_family(o, r, CV_EST_CALLS);
	family(o, "redlat_command_estimated_seconds", OM_GAUGE, "seconds",
	       "An estimate, not a sum: the total execution time of the command in the run so far, "
	       "weighted as redlat_command_estimated_calls.");
	command_family(o, r, CV_EST_SECONDS);
}

/* A label for a stall histogram's key, under the JSON's name. */
typedef void (*key_label_fn)(struct labels *l, int kind, int role, int fclass);

struct proj {
	int role, fclass;
};

static int by_proj(const void *a, const void *b)
{
	const struct proj *x = a, *y = b;

	return x->role != y->role ? x->role - y->role : x->fclass - y->fclass;
}

/* The stall histograms of kind of every instance, one series per distinct
 * role (when by_role) and file class (when by_fclass), summed over the rest
 * of the key, in the key's order. */
static void stall_family(struct om *o, const struct run_report *r, int kind, int by_role, int by_fclass,
			 key_label_fn fn)
{
	size_t i, j, n;

	for (i = 0; i < r->ninsts; i++) {
		const struct inst_stalls *s = r->insts[i].st;
		struct proj *p = s && s->nhists ? calloc(s->nhists, sizeof(*p)) : NULL;

		for (j = 0, n = 0; p && j < s->nhists; j++) {
			const struct stall_key *k = &s->hists[j].key;
			struct proj q = { by_role ? k->role : -1, by_fclass ? k->fclass : -1 };
			size_t m;

			if (k->kind != kind)
				continue;
			for (m = 0; m < n && by_proj(&p[m], &q); m++)
				;
			if (m == n)
				p[n++] = q;
		}
		if (n)
			qsort(p, n, sizeof(*p), by_proj);
		for (j = 0; j < n; j++) {
			struct labels *l = inst_labels(o, &r->insts[i]);

			stalls_hist_sum(s, kind, p[j].role, p[j].fclass, o->h);
			if (fn)
				fn(l, kind, p[j].role, p[j].fclass);
			hist_series(o, l, o->h);
		}
		free(p);
	}
}

static void sync_labels(struct labels *l, int kind, int role, int fclass)
{
	label(l, "syscall", stall_kind_name(kind));
	label(l, "thread", thread_role_name(role));
	label(l, "file_class", file_class_name(fclass));
}

static void aof_write_labels(struct labels *l, int kind, int role, int fclass)
{
	(void)kind, (void)fclass;
	label(l, "event", aof_write_event(role));
}

static void persistence_labels(struct labels *l, int kind, int role, int fclass)
{
	(void)fclass;
	label(l, "function", stall_kind_name(kind));
	label(l, "thread", thread_role_name(role));
}

static void cycle_labels(struct labels *l, int kind, int role, int fclass)
{
	(void)kind, (void)fclass;
	label(l, "event", cycle_name(role));
}

static void runq_labels(struct labels *l, int kind, int role, int fclass)
{
	(void)kind, (void)fclass;
	label(l, "cause", role == 1 ? "preempted" : "woken");
}

static void offcpu_labels(struct labels *l, int kind, int role, int fclass)
{
	(void)kind, (void)fclass;
	label(l, "state", role == 2 ? "uninterruptible" : "sleeping");
}

static const struct fork_rec *last_fork(const struct inst_stalls *s)
{
	const struct fork_rec *last = NULL;
	size_t i;

	for (i = 0; s && i < s->nforks; i++)
		if (s->forks[i].seen_fork && s->forks[i].stall_ns >= 0 &&
		    (!last || s->forks[i].ts_ns > last->ts_ns))
			last = &s->forks[i];
	return last;
}

static void forks(struct om *o, const struct run_report *r)
{
	size_t i, j;
	int purpose, next;

	family(o, "redlat_fork_stall_seconds", OM_HISTOGRAM, "seconds",
	       "Forks and how long each froze the event loop: glibc's fork() in the parent, what INFO's "
	       "latest_fork_usec times, by purpose (rdb, aof-rewrite, replication, ...). _count is the "
	       "number of forks.");
	for (i = 0; i < r->ninsts; i++) {
		const struct inst_stalls *s = r->insts[i].st;

		/* purposes in increasing order, each once */
		for (purpose = -1; s; purpose = next) {
			next = -1;
			memset(o->h, 0, sizeof(*o->h));
			for (j = 0; j < s->nforks; j++) {
				const struct fork_rec *f = &s->forks[j];

				if (!f->seen_fork || f->stall_ns < 0)
					continue;
				if (f->purpose == purpose)
					hist_record(o->h, (__u64)llround(f->stall_ns));
				else if (f->purpose > purpose && (next < 0 || f->purpose < next))
					next = f->purpose;
			}
			if (o->h->count) {
				struct labels *l = inst_labels(o, &r->insts[i]);

				label(l, "purpose", fork_purpose_name(purpose));
				hist_series(o, l, o->h);
			}
			if (next < 0)
				break;
		}
	}
	family(o, "redlat_last_fork_stall_seconds", OM_GAUGE, "seconds",
	       "The stall of the last fork seen, as INFO's latest_fork_usec.");
	for (i = 0; i < r->ninsts; i++)
		if (last_fork(r->insts[i].st))
			sample_seconds(o, inst_labels(o, &r->insts[i]), last_fork(r->insts[i].st)->stall_ns);
	family(o, "redlat_last_fork_timestamp_seconds", OM_GAUGE, "seconds",
	       "When the last fork seen happened, in seconds since the epoch.");
	for (i = 0; i < r->ninsts; i++)
		if (last_fork(r->insts[i].st))
			sample_double(o, "", inst_labels(o, &r->insts[i]), last_fork(r->insts[i].st)->wall);
}

static void stalls(struct om *o, const struct run_report *r)
{
	size_t i, j;

	forks(o, r);
	family(o, "redlat_sync_seconds", OM_HISTOGRAM, "seconds",
	       "fsync, fdatasync and sync_file_range calls of Redis and its fork children (every call), "
	       "by syscall, thread role (main, bio_aof, bio_close_file, fork-child, ...) and file class "
	       "(aof, aof-manifest, rdb, directory, other).");
	stall_family(o, r, SK_FSYNC, 1, 1, sync_labels);
	stall_family(o, r, SK_FDATASYNC, 1, 1, sync_labels);
	stall_family(o, r, SK_SYNC_FILE_RANGE, 1, 1, sync_labels);
	family(o, "redlat_aof_write_seconds", OM_HISTOGRAM, "seconds",
	       "Main-thread writes to the AOF, under Redis's latency event names: aof-write-pending-fsync "
	       "(a background fsync in flight), aof-write-active-child, aof-write-alone.");
	stall_family(o, r, SK_AOF_WRITE, 1, 0, aof_write_labels);
	family(o, "redlat_aof_writes_blocked", OM_COUNTER, NULL,
	       "Main-thread AOF writes that waited for a background fsync to end (among the events kept).");
	for (i = 0; i < r->ninsts; i++) {
		const struct inst_stalls *s = r->insts[i].st;
		unsigned long long n = 0;

		if (!s)
			continue;
		for (j = 0; j < s->nevents; j++)
			n += s->events[j].kind == SK_AOF_WRITE && (s->events[j].flags & EVF_BLOCKED);
		sample_u64(o, "_total", inst_labels(o, &r->insts[i]), n);
	}
	family(o, "redlat_persistence_seconds", OM_HISTOGRAM, "seconds",
	       "rdbSave and rewriteAppendOnlyFile, entry to return, by the thread that ran them "
	       "(fork-child for BGSAVE and BGREWRITEAOF, main for SAVE).");
	stall_family(o, r, SK_RDB_SAVE, 1, 0, persistence_labels);
	stall_family(o, r, SK_AOF_REWRITE, 1, 0, persistence_labels);
	family(o, "redlat_stall_events_not_kept", OM_COUNTER, NULL,
	       "Stall events past the per-instance cap: counted in the histograms, not kept one by one.");
	for (i = 0; i < r->ninsts; i++)
		if (r->insts[i].st)
			sample_u64(o, "_total", inst_labels(o, &r->insts[i]), r->insts[i].st->not_kept);
}

static void main_thread(struct om *o, const struct run_report *r)
{
	family(o, "redlat_event_loop_iteration_seconds", OM_HISTOGRAM, "seconds",
	       r->loops_windowed ? "Event-loop iterations of the main thread, from epoll_wait's return to "
	       "the next call (time inside epoll_wait is idle), in the sampling windows only "
	       "(--every-iteration times all)." : "Event-loop iterations of the main thread, from "
	       "epoll_wait's return to the next call (time inside epoll_wait is idle).");
	stall_family(o, r, SK_LOOP, 0, 0, NULL);
	family(o, "redlat_run_queue_wait_seconds", OM_HISTOGRAM, "seconds",
	       "The main thread runnable but not running: from being woken, or preempted, to running again.");
	stall_family(o, r, SK_RUNQ, 1, 0, runq_labels);
	family(o, "redlat_off_cpu_seconds", OM_HISTOGRAM, "seconds",
	       "Off-CPU periods of the main thread inside iterations: sleeping (interruptible) or "
	       "uninterruptible (disk I/O, major faults).");
	stall_family(o, r, SK_OFFCPU, 1, 0, offcpu_labels);
	family(o, "redlat_cycle_seconds", OM_HISTOGRAM, "seconds",
	       "Redis's internal cycles under its latency event names: expire-cycle (the slow active "
	       "expire cycle), expire-cycle-fast (the fast one), active-defrag-cycle, eviction-cycle (a "
	       "performEvictions call that evicted), eviction-del (one evicted key). The fast expire "
	       "cycle and eviction are probed with the commands: in sampled mode only in windows.");
	stall_family(o, r, SK_CYCLE, 1, 0, cycle_labels);
}

/* HELP of stat_names, then of stall_stat_names */
static const char *const stat_help[STAT_MAX + SST_MAX] = {
	[STAT_CMD_HITS] = "Hits of the per-command probe (Redis's slowlog call site).",
	[STAT_PAIR_HITS] = "Entry and return probe pairs on commands that skip the slowlog (exec).",
	[STAT_SYSCALL_HITS] = "read, write and close tracepoint hits of a traced Redis.",
	[STAT_DROP_HIST_FULL] = "Command samples lost: the histogram map refused a new key (full, or no kernel memory then).",
	[STAT_DROP_NAME] = "Command samples lost: the command name could not be read.",
	[STAT_DROP_PENDING] = "Response spans lost: more pipelined commands in one reply than redlat follows.",
	[STAT_LATE_HITS] = "Probe hits while not recording (warming up, detaching): cost, no sample.",
	[STAT_DROP_FD_EVICTED] = "Response spans lost: the connection's state was evicted from its LRU map.",
	[STAT_DROP_STATE_FULL] = "Reads or exec entries not tracked: their in-flight map was full, or the connections' LRU map refused one.",
	[STAT_CYCLE_HITS] = "Hits of the probes of the fast expire cycle and of eviction (with the command probes).",
	[STAT_MAX + SST_EVENTS] = "Stall events sent by the BPF side.",
	[STAT_MAX + SST_LOST] = "Stall events lost: the ring buffer was full.",
	[STAT_MAX + SST_HIST_FULL] = "Stall samples lost: the stall histogram map refused a new key (full, or no kernel memory then).",
	[STAT_MAX + SST_CHILDREN_FULL] = "Fork children not followed: the children map was full.",
	[STAT_MAX + SST_INFLIGHT_FULL] = "Stalls not timed: a syscall, fork or function in flight found its map full.",
	[STAT_MAX + SST_THIEVES_FULL] = "Run-queue waits not charged to the task that had the CPU: the map was full.",
};

static void run_info(struct om *o, const struct run_report *r)
{
	struct labels *l = &o->l;
	size_t i;
	int k;

	family(o, "redlat_run", OM_INFO, NULL, "This redlat: its version and mode (exact, sampled or stalls-only).");
	l->n = 0;
	l->s[0] = 0;
	label(l, "version", REDLAT_VERSION);
	label(l, "mode", r->stalls_only ? "stalls-only" : r->exact ? "exact" : "sampled");
	sample(o, "_info", l, NULL, NULL, "1");
	family(o, "redlat_duration_seconds", OM_GAUGE, "seconds", "How long redlat has traced.");
	l->n = 0;
	l->s[0] = 0;
	sample_double(o, "", l, r->duration_s);
	for (k = 0; k < STAT_MAX + SST_MAX; k++) {
		char name[64];

		snprintf(name, sizeof(name), "redlat_%s", k < STAT_MAX ? report_stat_key(k) : report_stall_stat_key(k - STAT_MAX));
		family(o, name, OM_COUNTER, NULL, stat_help[k]);
		sample_u64(o, "_total", l, k < STAT_MAX ? r->stats[k] : r->stall_stats[k - STAT_MAX]);
	}
	family(o, "redlat_instances_not_followed", OM_COUNTER, NULL,
	       "--follow: restarts not traced, past the instances one run traces.");
	sample_u64(o, "_total", l, r->not_followed);
	family(o, "redlat_instance", OM_INFO, NULL, "A traced Redis: pid, first listening port, product, version, binary.");
	for (i = 0; i < r->ninsts; i++) {
		const struct inst_report *in = &r->insts[i];

		l = inst_labels(o, in);
		label(l, "product", in->product);
		label(l, "version", in->version);
		label(l, "exe", in->exe);
		sample(o, "_info", l, NULL, NULL, "1");
	}
	family(o, "redlat_instance_ended", OM_GAUGE, NULL, "1 once the traced process has exited.");
	for (i = 0; i < r->ninsts; i++)
		sample_u64(o, "", inst_labels(o, &r->insts[i]), r->insts[i].ended);
}

static int render(FILE *f, const struct run_report *r, int om)
{
	struct om *o = calloc(1, sizeof(*o));

	if (!o || !(o->h = malloc(sizeof(*o->h)))) {
		free(o);
		return -1;
	}
	o->f = f;
	o->om = om;
	run_info(o, r);
	if (!r->stalls_only)
		commands(o, r);
	stalls(o, r);
	if (!r->stalls_only)
		main_thread(o, r);
	if (om)
		fputs("# EOF\n", f);
	free(o->h);
	free(o);
	return 0;
}

int render_openmetrics(FILE *f, const struct run_report *r)
{
	return render(f, r, 1);
}

int render_prom_text(FILE *f, const struct run_report *r)
{
	return render(f, r, 0);
}
