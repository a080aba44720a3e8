// SPDX-License-Identifier: GPL-2.0
/* The doctor: Redis's LATENCY DOCTOR over what redlat measured. One line per
 * latency event that reached the threshold, under Redis's event names
 * (redlat's own for what Redis cannot see), then advice. Each piece of
 * advice is triggered by a measured figure and quotes it: no figure, no
 * advice. */
#include <json.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "histo.h"
#include "report.h"
#include "stalls_user.h"
#include "util.h"

/* The lines, in the order they are printed. Cycles take CYCLE_MAX lines. */
enum {
	D_COMMAND, D_FAST, D_FORK, D_FSYNC_ALWAYS, D_AOF_PENDING, D_AOF_CHILD, D_AOF_ALONE,
	D_MAIN_SYNC, D_SAVE, D_CYCLE, D_LOOP = D_CYCLE + CYCLE_MAX, D_RUNQ, D_SLEEP, D_BLOCK, D_FAULTS, D_MAX
};

static const char *line_name(int d)
{
	if (d >= D_AOF_PENDING && d <= D_AOF_ALONE)
		return aof_write_event(d - D_AOF_PENDING);
	if (d >= D_CYCLE && d < D_CYCLE + CYCLE_MAX)
		return cycle_name(d - D_CYCLE);
	switch (d) {
	case D_COMMAND: return "command";
	case D_FAST: return "fast-command";
	case D_FORK: return "fork";
	case D_FSYNC_ALWAYS: return "aof-fsync-always";
	/* redlat's own: Redis has no event for these */
	case D_MAIN_SYNC: return "main-thread-fsync";
	case D_SAVE: return "main-thread-save";	/* rdbSave in the server: SAVE, a shutdown */
	case D_LOOP: return "event-loop";
	case D_RUNQ: return "run-queue";
	case D_SLEEP: return offcpu_event(OFF_SLEEP);
	case D_BLOCK: return offcpu_event(OFF_BLOCKED);
	case D_FAULTS: return "major-faults";
	}
	return "?";
}

/* The spikes of one event: every occurrence of the threshold or more. */
struct dline {
	double *v;		/* durations, ns */
	size_t n, cap;
	double sum, max;
	double first, last;	/* unix time of the first and the last */
	char worst[CMD_NAME_LEN];	/* what the worst was: a command, a file, a task */
	/* spikes that stay of the threshold or more without the main thread's
	 * run-queue waits inside them, and the worst of those: a cycle or a
	 * write that took long because Redis waited for a CPU earns the CPU
	 * advice, not its own */
	size_t own;
	double own_max;
};

/* The main thread's run-queue waits of the threshold or more, in order:
 * one thread's waits never overlap, so they are in order of their ends
 * too. */
struct waits {
	const struct stall_rec **w;
	size_t n;
};

/* Commands of the threshold or more, by name. */
struct slow_cmd {
	char name[CMD_NAME_LEN];
	unsigned n;
	double max;
};

struct doctor {
	const struct run_report *r;
	const struct inst_report *in;
	double thr;
	struct dline line[D_MAX];
	struct dline aof_sync[ROLE_MAX];	/* every fsync of the AOF, by thread */
	struct slow_cmd *cmds;
	size_t ncmds, capcmds;
	const struct fork_rec *slow_fork;	/* the fork spike with the lowest rate */
	double fork_gbs;
	unsigned long blocked;		/* AOF writes that waited for a background fsync */
	double blocked_max;
	unsigned long long majflt, minflt;	/* in the major-faults spikes */
	int nadvice;
};

static void line_add(struct dline *l, double ns, double wall, const char *who)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		double *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = ns;
	l->sum += ns;
	if (l->n == 1 || wall < l->first)
		l->first = wall;
	if (l->n == 1 || wall > l->last)
		l->last = wall;
	if (ns > l->max) {
		l->max = ns;
		snprintf(l->worst, sizeof(l->worst), "%s", who ? who : "");
	}
}

static void cmd_add(struct doctor *d, const char *name, double ns)
{
	struct slow_cmd *c = NULL;
	size_t i;

	for (i = 0; i < d->ncmds && !c; i++)
		if (!strcmp(d->cmds[i].name, name))
			c = &d->cmds[i];
	if (!c) {
		if (d->ncmds == d->capcmds) {
			size_t cap = d->capcmds ? 2 * d->capcmds : 8;
			struct slow_cmd *p = realloc(d->cmds, cap * sizeof(*p));

			if (!p)
				return;
			d->cmds = p;
			d->capcmds = cap;
		}
		c = &d->cmds[d->ncmds++];
		memset(c, 0, sizeof(*c));
		snprintf(c->name, sizeof(c->name), "%s", name);
	}
	c->n++;
	if (ns > c->max)
		c->max = ns;
}

static int by_worst(const void *a, const void *b)
{
	const struct slow_cmd *x = a, *y = b;

	return x->max > y->max ? -1 : x->max < y->max;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Which line an event of the threshold or more belongs to, or -1. */
static int event_line(const struct stall_rec *e)
{
	switch (e->kind) {
	case SK_COMMAND:
		return is_fast_command(e->file) ? D_FAST : D_COMMAND;
	case SK_FORK:		/* a fork() that failed: a stall all the same */
		return D_FORK;
	case SK_FSYNC:
	case SK_FDATASYNC:
		/* a background thread's or a child's fsync blocks no client */
		if (e->role != ROLE_MAIN)
			return -1;
		return e->fclass == FC_AOF ? D_FSYNC_ALWAYS : D_MAIN_SYNC;
	case SK_AOF_WRITE:
		return e->klass < AW_MAX ? D_AOF_PENDING + e->klass : -1;
	case SK_RDB_SAVE:	/* in the server itself, not a child: the event loop stops */
		return e->role == ROLE_MAIN ? D_SAVE : -1;
	case SK_CYCLE:	/* Redis names both expire cycles expire-cycle */
		if (e->klass == CYCLE_EXPIRE_FAST)
			return D_CYCLE + CYCLE_EXPIRE;
		return e->klass < CYCLE_MAX ? D_CYCLE + e->klass : -1;
	case SK_LOOP:
		return D_LOOP;
	case SK_RUNQ:
		return D_RUNQ;
	case SK_OFFCPU:
		return e->klass == OFF_BLOCKED ? D_BLOCK : D_SLEEP;
	}
	return -1;
}

static const char *event_who(const struct stall_rec *e, char *buf, size_t len)
{
	if (e->kind == SK_COMMAND)
		return e->file;
	if (e->kind == SK_FORK)
		return "failed";
	if (e->kind == SK_RUNQ && e->other_pid) {
		snprintf(buf, len, "%s %d", e->other_comm, e->other_pid);
		return buf;
	}
	if ((e->kind == SK_FSYNC || e->kind == SK_FDATASYNC) && e->fclass != FC_AOF)
		return file_class_name(e->fclass);
	if (e->kind == SK_CYCLE && e->klass == CYCLE_EVICT && e->keys) {
		snprintf(buf, len, "%u key%s evicted", (unsigned)e->keys, e->keys == 1 ? "" : "s");
		return buf;
	}
	return NULL;
}

static int by_start(const void *a, const void *b)
{
	const struct stall_rec *x = *(const struct stall_rec *const *)a, *y = *(const struct stall_rec *const *)b;

	return x->ts_ns < y->ts_ns ? -1 : x->ts_ns > y->ts_ns;
}

static void waits_init(struct waits *w, const struct inst_stalls *st)
{
	size_t i;

	w->n = 0;
	w->w = malloc((st->nevents ? st->nevents : 1) * sizeof(*w->w));
	if (!w->w)
		return;
	for (i = 0; i < st->nevents; i++)
		if (st->events[i].kind == SK_RUNQ)
			w->w[w->n++] = &st->events[i];
	qsort(w->w, w->n, sizeof(*w->w), by_start);
}

/* How much of an event the main thread spent waiting for a CPU: a cycle
 * measures it itself (every wait); for the rest, the waits of the
 * threshold or more that overlap it. */
static double waited(const struct waits *w, const struct stall_rec *e)
{
	double s = (double)e->ts_ns, end = s + e->dur_ns, sum = 0;
	size_t lo = 0, hi = w->n;

	if (e->kind == SK_CYCLE)
		return e->runq_ns;

	while (lo < hi) {	/* the first wait that ends after the event starts */
		size_t mid = (lo + hi) / 2;

		if ((double)w->w[mid]->ts_ns + w->w[mid]->dur_ns <= s)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < w->n && (double)w->w[lo]->ts_ns < end; lo++) {
		double a = (double)w->w[lo]->ts_ns, b = a + w->w[lo]->dur_ns;

		sum += (b < end ? b : end) - (a > s ? a : s);
	}
	return sum;
}

/* Lines whose events carry no breakdown of their own: their waits for a
 * CPU come from the run-queue events. */
static int needs_own(int k)
{
	return k == D_FSYNC_ALWAYS || (k >= D_AOF_PENDING && k <= D_AOF_ALONE) || k == D_MAIN_SYNC ||
	       (k >= D_CYCLE && k < D_CYCLE + CYCLE_MAX);
}

static void gather(struct doctor *d)
{
	const struct inst_report *in = d->in;
	const struct inst_stalls *st = in->st;
	struct waits w;
	size_t i;

	if (!st)
		return;
	waits_init(&w, st);
	for (i = 0; i < st->nforks; i++) {
		const struct fork_rec *fr = &st->forks[i];
		double gbs = fork_rate_gbs(fr);

		if (!fr->seen_fork || fr->stall_ns < d->thr)
			continue;
		line_add(&d->line[D_FORK], fr->stall_ns, fr->wall, fork_purpose_name(fr->purpose));
		if (gbs > 0 && (!d->slow_fork || gbs < d->fork_gbs)) {
			d->slow_fork = fr;
			d->fork_gbs = gbs;
		}
	}
	for (i = 0; i < st->nevents; i++) {
		const struct stall_rec *e = &st->events[i];
		char who[CMD_NAME_LEN];
		int k;

		if (e->kind == SK_AOF_WRITE && (e->flags & EVF_BLOCKED)) {
			d->blocked++;
			if (e->dur_ns > d->blocked_max)
				d->blocked_max = e->dur_ns;
		}
		if ((e->kind == SK_FSYNC || e->kind == SK_FDATASYNC) && e->fclass == FC_AOF && e->role < ROLE_MAX)
			line_add(&d->aof_sync[e->role], e->dur_ns, e->wall, NULL);
		if (e->dur_ns < d->thr)
			continue;
		k = event_line(e);
		if (k < 0)
			continue;
		line_add(&d->line[k], e->dur_ns, e->wall, event_who(e, who, sizeof(who)));
		if (!needs_own(k) || e->dur_ns - waited(&w, e) >= d->thr) {
			d->line[k].own++;
			if (e->dur_ns > d->line[k].own_max)
				d->line[k].own_max = e->dur_ns;
		}
		if (k == D_COMMAND || k == D_FAST)
			cmd_add(d, e->file, e->dur_ns);
		if (k == D_LOOP && e->majflt) {
			line_add(&d->line[D_FAULTS], e->dur_ns, e->wall, NULL);
			d->majflt += e->majflt;
			d->minflt += e->minflt;
		}
	}
	if (d->ncmds)
		qsort(d->cmds, d->ncmds, sizeof(*d->cmds), by_worst);
	free(w.w);
}

/* "N. EVENT: S latency spikes (average A, mean deviation D, period P sec).
 * Worst all time event W." as Redis words it, where the mean deviation is
 * the mean absolute deviation from the average and the period the time from
 * the first spike to now (the end of the run) over the spikes; then the
 * p99 and when. */
/* The p-th percentile of a line's values: the one of rank ceil(p/100 n),
 * as hist_percentile ranks. Sorts them. */
static double line_pct(struct dline *l, double p)
{
	size_t rank = (size_t)ceil(p / 100 * l->n);

	qsort(l->v, l->n, sizeof(*l->v), cmp_double);
	return l->v[rank ? rank - 1 : 0];
}

/* A line's figures, for the text and for JSON. */
struct line_stats {
	double avg, dev, period, p99;
};

static void line_stats(struct doctor *d, int k, struct line_stats *ls)
{
	struct dline *l = &d->line[k];
	double span = d->r->end_wall > 0 ? d->r->end_wall - l->first : d->r->duration_s;
	size_t i;

	ls->avg = l->sum / l->n;
	ls->dev = 0;
	for (i = 0; i < l->n; i++)
		ls->dev += fabs(l->v[i] - ls->avg);
	ls->dev /= l->n;
	ls->period = span > 0 ? span / l->n : 0;
	ls->p99 = line_pct(l, 99);
}

static void print_line(FILE *f, struct doctor *d, int k, int num, const char *tail)
{
	struct dline *l = &d->line[k];
	struct line_stats ls;
	char b[6][24];

	line_stats(d, k, &ls);
	fprintf(f, "%d. %s: %zu latency spikes (average %s, mean deviation %s, period %.2f sec). "
		"Worst all time event %s%s%s%s.%s%s p99 %s; ", num, line_name(k), l->n,
		fmt_ns(ls.avg, b[0], 24), fmt_ns(ls.dev, b[1], 24), ls.period,
		fmt_ns(l->max, b[2], 24), l->worst[0] ? " (" : "", l->worst, l->worst[0] ? ")" : "",
		tail ? " " : "", tail ? tail : "", fmt_ns(ls.p99, b[3], 24));
	if (l->n == 1)
		fprintf(f, "at %s.\n", fmt_wall(l->first, b[4], 24));
	else
		fprintf(f, "first %s, last %s.\n", fmt_wall(l->first, b[4], 24), fmt_wall(l->last, b[5], 24));
}

static void advise(struct doctor *d, FILE *f, const char *fmt, ...)
{
	va_list ap;

	if (!d->nadvice++)
		fprintf(f, "\nI have a few advices for you:\n\n");
	fprintf(f, "- ");
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
}

static const char *plural(size_t n)
{
	return n == 1 ? "" : "s";
}

static int is_fork_poor(double gbs)
{
	return gbs > 0 && gbs < 25;	/* Redis's "poor" and "terrible" */
}

static void advise_fork(struct doctor *d, FILE *f)
{
	const struct fork_rec *fr = d->slow_fork;
	char b[4][24];

	if (!fr || !is_fork_poor(d->fork_gbs))
		return;
	advise(d, f, "Forking Redis (%s RSS, %s of page tables) stalled it %s at %s, %.2f GB/sec (%s): "
	       "every BGSAVE, AOF rewrite and full resync stalls it so. On a virtual machine, a faster "
	       "one or another hypervisor forks faster (Xen is known to be slow at it); a smaller "
	       "dataset per instance forks faster too.\n", fmt_bytes((double)fr->rss_bytes, b[0], 24),
	       fmt_bytes((double)fr->pgtable_bytes, b[1], 24), fmt_ns(fr->stall_ns, b[2], 24),
	       fmt_wall(fr->wall, b[3], 24), d->fork_gbs, fork_rating(d->fork_gbs));
}

static void advise_thp(struct doctor *d, FILE *f)
{
	const char *set = d->r->thp_enabled;
	char b[24], host[96] = "";

	if (set[0])
		snprintf(host, sizeof(host), "; this host's setting is [%s]", set);
	if (d->in->anon_huge_bytes > 0)
		advise(d, f, "Redis holds %s of transparent huge pages (AnonHugePages in /proc/%d/smaps_rollup)%s. "
		       "After a fork every write copies a whole 2 MB page, and the kernel stalls to "
		       "assemble them: disable THP (echo never > /sys/kernel/mm/transparent_hugepage/enabled, "
		       "and keep Redis 7's disable-thp yes), then restart Redis to be rid of the huge pages "
		       "it has.\n", fmt_bytes((double)d->in->anon_huge_bytes, b, sizeof(b)), d->in->pid, host);
	else if (!strcmp(set, "always"))
		advise(d, f, "Transparent huge pages are set to [always] on this host "
		       "(/sys/kernel/mm/transparent_hugepage/enabled)%s. Redis 7 opts out for itself "
		       "(disable-thp yes, the default): keep it so. Any Redis that does not gets huge pages, "
		       "and copies 2 MB per write after each fork: set the host to madvise or never.\n",
		       d->in->anon_huge_bytes == 0 ? ", though Redis holds none now" : "");
}

static void advise_disk(struct doctor *d, FILE *f)
{
	struct dline *l, *slow = NULL;
	double p99 = 0;
	char b[4][24];
	int role;

	l = &d->line[D_FSYNC_ALWAYS];
	if (l->own)
		advise(d, f, "The main thread fsynced the AOF itself %zu times, and waited %s or more %zu "
		       "time%s (worst %s): that is appendfsync always, where every write waits for the disk "
		       "(under everysec a background thread fsyncs). Relax it to appendfsync everysec if "
		       "losing up to a second of writes is acceptable; otherwise the disk must be faster.\n",
		       d->aof_sync[ROLE_MAIN].n, fmt_ns(d->thr, b[0], 24), l->own, plural(l->own),
		       fmt_ns(l->own_max, b[1], 24));
	/* the slowest thread's fsyncs of the AOF, all of them */
	for (role = 0; role < ROLE_MAX; role++)
		if (d->aof_sync[role].n && line_pct(&d->aof_sync[role], 99) > p99) {
			slow = &d->aof_sync[role];
			p99 = line_pct(slow, 99);
		}
	if (slow && p99 >= d->thr)
		advise(d, f, "The disk is slow: fsync of the AOF took %s at p99 (%zu calls on thread %s, "
		       "worst %s). Use a local disk rather than a network one, an SSD; on ext4, "
		       "data=writeback syncs less (at the cost of a torn AOF tail after a crash); and keep "
		       "other I/O (other Redis instances among it) off that disk.\n", fmt_ns(p99, b[2], 24),
		       slow->n, thread_role_name((int)(slow - d->aof_sync)), fmt_ns(slow->max, b[3], 24));
	l = &d->line[D_AOF_PENDING];
	if (d->blocked || l->own)
		advise(d, f, "%lu AOF write%s on the main thread waited for a background fsync to end "
		       "(worst %s), and %zu aof-write-pending-fsync write%s took %s or more: under appendfsync "
		       "everysec Redis waits up to 2 s for a slow fsync, then writes anyway and blocks behind "
		       "it. The disk cannot keep up (see the fsync advice); no-appendfsync-on-rewrite yes "
		       "spares the writes made while a child writes too.\n", d->blocked, plural(d->blocked),
		       fmt_ns(d->blocked_max > l->own_max ? d->blocked_max : l->own_max, b[0], 24), l->own,
		       plural(l->own), fmt_ns(d->thr, b[1], 24));
	l = &d->line[D_AOF_CHILD];
	if (l->own)
		advise(d, f, "%zu AOF write%s took %s or more while a fork child was writing (aof-write-active-"
		       "child, worst %s): the child's I/O competes with the AOF's. If durability allows, set "
		       "no-appendfsync-on-rewrite yes; or schedule BGSAVE and rewrites off-peak.\n", l->own,
		       plural(l->own), fmt_ns(d->thr, b[0], 24), fmt_ns(l->own_max, b[1], 24));
	l = &d->line[D_AOF_ALONE];
	if (l->own)
		advise(d, f, "%zu AOF write%s took %s or more with no fsync or child in flight (aof-write-alone, "
		       "worst %s): the write itself stalled in the page cache or the filesystem. Check dirty "
		       "page writeback (vm.dirty_bytes, vm.dirty_background_bytes) and the disk's load.\n",
		       l->own, plural(l->own), fmt_ns(d->thr, b[0], 24), fmt_ns(l->own_max, b[1], 24));
	l = &d->line[D_MAIN_SYNC];
	if (l->own)
		advise(d, f, "The main thread fsynced other files %zu time%s for %s or more (worst: %s, %s): "
		       "Redis 7 syncs the AOF manifest and its directory on the main thread when an AOF "
		       "rewrite starts and ends, and SAVE syncs the RDB there. A faster disk shortens them; "
		       "BGSAVE instead of SAVE avoids the latter.\n", l->own, plural(l->own),
		       fmt_ns(d->thr, b[0], 24), l->worst, fmt_ns(l->own_max, b[1], 24));
	l = &d->line[D_SAVE];
	if (l->n)
		advise(d, f, "Redis wrote its RDB on the main thread %zu time%s (rdbSave, worst %s): SAVE, "
		       "or FLUSHALL/SHUTDOWN saving, blocks every client until the file is on disk. Use "
		       "BGSAVE, which forks and writes in the child.\n", l->n, plural(l->n),
		       fmt_ns(l->max, b[0], 24));
}

static void advise_cycles(struct doctor *d, FILE *f)
{
	const struct dline *l = &d->line[D_CYCLE + CYCLE_EXPIRE], *del;
	char b[3][24];

	if (l->own)
		advise(d, f, "The active expire cycle ran %zu time%s for %s or more (worst %s, the last at %s): "
		       "many keys expired at once. Spread their TTLs (add jitter to EXPIRE), and if hz is "
		       "below 100 raise it (CONFIG SET hz 100) so that each cycle has less to do; expiring "
		       "large objects blocks too (lazyfree-lazy-expire yes frees them in the background).\n",
		       l->own, plural(l->own), fmt_ns(d->thr, b[0], 24), fmt_ns(l->own_max, b[1], 24),
		       fmt_wall(l->last, b[2], 24));
	l = &d->line[D_CYCLE + CYCLE_DEFRAG];
	if (l->own)
		advise(d, f, "Active defragmentation took %s or more %zu time%s (worst %s): lower "
		       "active-defrag-cycle-max, or defragment off-peak.\n", fmt_ns(d->thr, b[0], 24), l->own,
		       plural(l->own), fmt_ns(l->own_max, b[1], 24));
	l = &d->line[D_CYCLE + CYCLE_EVICT];
	del = &d->line[D_CYCLE + CYCLE_EVICT_DEL];
	if (l->own || del->own)
		advise(d, f, "Redis evicted keys on the main thread for %s or more %zu time%s (worst eviction "
		       "cycle %s%s%s), and %zu single key%s took that long to delete (worst %s): under "
		       "maxmemory, freeing a large object blocks every client. Set lazyfree-lazy-eviction yes "
		       "to free evicted values in a background thread, split large collections, and lower "
		       "maxmemory in small steps: after a sudden drop Redis evicts until it is back under.\n",
		       fmt_ns(d->thr, b[0], 24), l->own, plural(l->own), fmt_ns(l->own_max, b[1], 24),
		       l->worst[0] ? ", " : "", l->worst, del->own, plural(del->own),
		       fmt_ns(del->own_max, b[2], 24));
}

/* Commands that free what they remove on the main thread, unless told
 * otherwise (UNLINK frees large values in the background). */
static int is_delete(const char *name)
{
	static const char *const del[] = { "del", "unlink", "getdel", "flushdb", "flushall" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(del); i++)
		if (!strcmp(name, del[i]))
			return 1;
	return 0;
}

/* What to run instead of a slow command, by Redis's name for it. */
static const char *instead_of(const char *name)
{
	static const struct { const char *cmd, *instead; } alt[] = {
		{ "keys", "SCAN with MATCH and COUNT, a batch at a time: KEYS walks the whole keyspace at once" },
		{ "hgetall", "HSCAN, or HMGET of the fields you need" },
		{ "hkeys", "HSCAN" },
		{ "hvals", "HSCAN" },
		{ "smembers", "SSCAN" },
		{ "sinter", "SSCAN of the smaller set, or smaller sets" },
		{ "sunion", "SSCAN of each set, or smaller sets" },
		{ "sdiff", "SSCAN of the first set, or smaller sets" },
		{ "lrange", "pages (LRANGE key 0 99, then 100 199, ...), not 0 -1 on a long list" },
		{ "zrange", "bounded ranges (ZRANGE ... BYSCORE LIMIT offset count), or ZSCAN" },
		{ "zrangebyscore", "a LIMIT, or ZSCAN" },
		{ "zrevrange", "bounded ranges, or ZSCAN" },
		{ "zrevrangebyscore", "a LIMIT, or ZSCAN" },
		{ "sort", "SORT ... LIMIT on smaller inputs, or a sorted set kept in order as you write "
			  "(ZADD, then ZRANGE)" },
		{ "debug", "nothing on a production server: DEBUG SLEEP blocks by design, DEBUG RELOAD and "
			   "POPULATE are O(N)" },
		{ "eval", "shorter scripts: a script blocks Redis until it returns, so loop over large data "
			  "in batches from the client" },
		{ "evalsha", "shorter scripts, as for eval" },
		{ "eval_ro", "shorter scripts, as for eval" },
		{ "evalsha_ro", "shorter scripts, as for eval" },
		{ "fcall", "shorter functions: a function blocks Redis until it returns" },
		{ "fcall_ro", "shorter functions, as for fcall" },
		{ "save", "BGSAVE: SAVE writes the whole dataset from the main thread" },
		{ "bgsave", "nothing: its time is the fork's (see the fork line)" },
		{ "bgrewriteaof", "nothing: its time is the fork's, and the AOF's last write and fsync "
				  "before it (see the fork and aof lines)" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(alt); i++)
		if (!strcmp(name, alt[i].cmd))
			return alt[i].instead;
	return NULL;
}

static void list_cmds(struct doctor *d, FILE *f, int deletes)
{
	char b[24];
	size_t i;
	int k = 0;

	for (i = 0; i < d->ncmds; i++) {
		const struct slow_cmd *c = &d->cmds[i];

		if (is_delete(c->name) != deletes || (!deletes && is_fast_command(c->name)))
			continue;
		fprintf(f, "%s%s %u time%s (worst %s)", k++ ? ", " : "", c->name, c->n, plural(c->n),
			fmt_ns(c->max, b, sizeof(b)));
	}
}

static int count_cmds(const struct doctor *d, int deletes)
{
	size_t i;
	int n = 0;

	for (i = 0; i < d->ncmds; i++)
		n += is_delete(d->cmds[i].name) == deletes && (deletes || !is_fast_command(d->cmds[i].name));
	return n;
}

static void advise_commands(struct doctor *d, FILE *f)
{
	const struct dline *l = &d->line[D_FAST];
	char b[2][24];
	size_t i;

	if (count_cmds(d, 0)) {
		advise(d, f, "Slow commands ran (the command event): ");
		list_cmds(d, f, 0);
		fprintf(f, ". Instead:\n");
		for (i = 0; i < d->ncmds; i++) {
			const char *alt = instead_of(d->cmds[i].name);

			if (alt && !is_fast_command(d->cmds[i].name))
				fprintf(f, "  %s: %s.\n", d->cmds[i].name, alt);
		}
		fprintf(f, "  SLOWLOG GET shows their arguments and keys (redlat names the commands only); "
			"a command on a large object is slow however it is written, so break such objects up.\n");
	}
	if (count_cmds(d, 1)) {
		advise(d, f, "Deleting took %s or more: ", fmt_ns(d->thr, b[0], 24));
		list_cmds(d, f, 1);
		fprintf(f, ". Freeing a large object blocks Redis: use UNLINK rather than DEL and FLUSHALL/"
			"FLUSHDB ASYNC, or set lazyfree-lazy-user-del yes and lazyfree-lazy-user-flush yes to "
			"free in the background; lazyfree-lazy-server-del yes does it for keys that RENAME, SET "
			"and others overwrite.\n");
	}
	if (l->n)
		advise(d, f, "Commands Redis flags as fast (O(1) or O(log N)) took %s or more %zu time%s (worst "
		       "%s, %s): Redis was not given the CPU%s, or waited in the kernel. Lower the host's load, "
		       "give Redis a host or a CPU of its own, and check 'redis-cli --intrinsic-latency 100' "
		       "on the host.\n", fmt_ns(d->thr, b[0], 24), l->n, plural(l->n), l->worst, fmt_ns(l->max, b[1], 24),
		       d->line[D_RUNQ].n ? " (the run-queue line names who had it)" : "");
}

static void advise_host(struct doctor *d, FILE *f)
{
	const struct inst_stalls *st = d->in->st;
	const struct inst_report *in = d->in;
	const struct dline *l = &d->line[D_RUNQ];
	char b[3][24];
	size_t i;

	if (l->n) {
		char who[256] = "";
		size_t n = 0;

		for (i = 0; st && i < st->nthieves && i < 3 && n < sizeof(who); i++)
			n += snprintf(who + n, sizeof(who) - n, "%s%s (pid %d) %s", i ? ", " : " Over the run "
				      "the CPU went to ", st->thieves[i].comm, st->thieves[i].pid,
				      fmt_ns(st->thieves[i].ns, b[0], 24));
		advise(d, f, "Redis's main thread waited for a CPU %s or more %zu time%s (worst %s%s%s), runnable "
		       "but not running: another task had its CPU.%s%s Give Redis a CPU of its own (taskset, "
		       "cpusets), move the neighbour away, or add CPUs.\n", fmt_ns(d->thr, b[1], 24), l->n,
		       plural(l->n), fmt_ns(l->max, b[2], 24), l->worst[0] ? ", while it went to " : "",
		       l->worst, who, n ? " while Redis waited." : "");
	}
	l = &d->line[D_BLOCK];
	if (l->n && !d->line[D_FSYNC_ALWAYS].n && !d->line[D_MAIN_SYNC].n && !d->line[D_FAULTS].n)
		advise(d, f, "The main thread was blocked in the kernel (uninterruptible) %s or more %zu time%s "
		       "(worst %s) with no main-thread fsync or major fault to account for it: something it "
		       "calls waits on the disk or a kernel lock. Look at where it waits while it happens "
		       "(/proc/%d/stack, perf sched).\n", fmt_ns(d->thr, b[0], 24), l->n, plural(l->n),
		       fmt_ns(l->max, b[1], 24),
		       in->pid);
}

/* Major faults and swap: Redis's memory had to come back from disk. */
static void advise_memory(struct doctor *d, FILE *f)
{
	const struct inst_report *in = d->in;
	const struct dline *l = &d->line[D_FAULTS];
	long long majflt = in->major_faults >= 0 ? in->major_faults : (long long)d->majflt;
	char b[3][24], slow[160] = "", swap[96] = "";

	if (majflt <= 0 && in->swap_bytes <= 0)
		return;
	if (l->n)
		snprintf(slow, sizeof(slow), ", %llu of them in %zu iteration%s of %s or more (worst %s)",
			 d->majflt, l->n, plural(l->n), fmt_ns(d->thr, b[0], 24), fmt_ns(l->max, b[1], 24));
	if (in->swap_bytes > 0)
		snprintf(swap, sizeof(swap), "%s of Redis is swapped out (VmSwap at the end of the run)",
			 fmt_bytes((double)in->swap_bytes, b[2], 24));
	if (majflt > 0)
		advise(d, f, "Redis's memory was read back from disk: %lld major page faults during the run%s%s%s. ",
		       majflt, slow, swap[0] ? "; " : "", swap);
	else
		advise(d, f, "%s: touching it stops Redis for a disk read. ", swap);
	fprintf(f, "A major fault stops the thread that takes it until the page is read: the host is short of "
		"memory. Give it more, lower maxmemory, keep memory-hungry processes off the host, and keep "
		"Redis out of swap (vm.swappiness, or a memory cgroup that keeps it resident).\n");
}

static void advise_all(struct doctor *d, FILE *f)
{
	advise_fork(d, f);
	advise_thp(d, f);
	advise_disk(d, f);
	advise_cycles(d, f);
	advise_commands(d, f);
	advise_host(d, f);
	advise_memory(d, f);
}

/* What a line adds after its worst: the fork rate, the faults, the spikes
 * that were mostly waits for a CPU. NULL for nothing. */
static const char *line_tail(const struct doctor *d, int k, char *buf, size_t len)
{
	const struct dline *l = &d->line[k];

	if (k == D_FORK && d->slow_fork)
		snprintf(buf, len, "Fork rate is %.2f GB/sec (%s)%s.", d->fork_gbs, fork_rating(d->fork_gbs),
			 l->n > 1 ? ", the slowest" : "");
	else if (k == D_FAULTS)
		snprintf(buf, len, "%llu major and %llu minor faults in them.", d->majflt, d->minflt);
	else if (needs_own(k) && l->own < l->n)
		snprintf(buf, len, "%zu of them mostly waiting for a CPU.", l->n - l->own);
	else
		return NULL;
	return buf;
}

static struct doctor *doctor_new(const struct run_report *r, const struct inst_report *in)
{
	struct doctor *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->r = r;
	d->in = in;
	d->thr = r->threshold_ms * 1e6;
	gather(d);
	return d;
}

static void doctor_free(struct doctor *d)
{
	int k;

	for (k = 0; k < D_MAX; k++)
		free(d->line[k].v);
	for (k = 0; k < ROLE_MAX; k++)
		free(d->aof_sync[k].v);
	free(d->cmds);
	free(d);
}

void render_doctor(FILE *f, const struct run_report *r, const struct inst_report *in)
{
	struct doctor *d = doctor_new(r, in);
	const struct inst_stalls *st = in->st;
	char tail[96];
	int k, num = 0;

	if (!d)
		return;
	fprintf(f, "\nDoctor (events of %g ms or more, under Redis's latency event names):\n", r->threshold_ms);
	for (k = 0; k < D_MAX; k++)
		num += d->line[k].n > 0;
	if (!num) {
		fprintf(f, "No latency spike was observed during this run: nothing took %g ms or more (%s).\n",
			r->threshold_ms, r->stalls_only ? "forks, fsyncs and AOF writes; --stalls-only traces no "
			"commands or iterations" : r->loops_windowed ? "commands and event-loop iterations in the "
			"sampling windows, forks, fsyncs, AOF writes, Redis's cycles, waits for a CPU" :
			"commands, forks, fsyncs, AOF writes, Redis's cycles, event-loop iterations, waits for a CPU");
	} else {
		fprintf(f, "I have observed latency spikes in this Redis instance%s.\n\n",
			r->exact || r->stalls_only ? "" : r->loops_windowed ? " (commands and event-loop "
			"iterations timed while the probes were on: sampled mode sees a share of them)" :
			" (commands counted while the probes were on: sampled mode sees a share of them)");
		for (k = 0, num = 0; k < D_MAX; k++)
			if (d->line[k].n)
				print_line(f, d, k, ++num, line_tail(d, k, tail, sizeof(tail)));
		if (st && (st->not_kept || r->stall_stats[SST_LOST]))
			fprintf(f, "(%lu events past the first %d were not kept and %llu were lost to a full "
				"ring buffer: the lines above miss them; the tables above count every one.)\n",
				st->not_kept, MAX_STALL_EVENTS, r->stall_stats[SST_LOST]);
	}
	advise_all(d, f);
	if (num && !d->nadvice)
		fprintf(f, "\nWhile there are latency events, I'm not able to suggest any easy fix: the events "
			"above say when, and --events shows each with where its time went.\n");
	doctor_free(d);
}

/* The advice as advise_all prints it, one string a piece ("- " items). */
static json_object *advice_json(struct doctor *d)
{
	json_object *a = json_object_new_array();
	char *buf = NULL, *p, *next;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return a;
	advise_all(d, f);
	fclose(f);
	for (p = strstr(buf, "\n- "); p; p = next) {
		p += 3;
		next = strstr(p, "\n- ");
		len = next ? (size_t)(next - p) : strlen(p);
		while (len && p[len - 1] == '\n')
			len--;
		json_object_array_add(a, json_object_new_string_len(p, (int)len));
	}
	free(buf);
	return a;
}

json_object *doctor_json(const struct run_report *r, const struct inst_report *in)
{
	struct doctor *d = doctor_new(r, in);
	json_object *o = json_object_new_object(), *lines = json_object_new_array();
	char tail[96];
	int k;

	if (!d)
		return o;
	for (k = 0; k < D_MAX; k++) {
		const struct dline *l = &d->line[k];
		json_object *e;
		struct line_stats ls;
		const char *t;

		if (!l->n)
			continue;
		line_stats(d, k, &ls);
		e = json_object_new_object();
		json_object_object_add(e, "event", json_object_new_string(line_name(k)));
		json_object_object_add(e, "spikes", json_object_new_int64((int64_t)l->n));
		json_object_object_add(e, "average_ns", json_object_new_double(ls.avg));
		json_object_object_add(e, "mean_deviation_ns", json_object_new_double(ls.dev));
		json_object_object_add(e, "period_s", json_object_new_double(ls.period));
		json_object_object_add(e, "worst_ns", json_object_new_double(l->max));
		if (l->worst[0])
			json_object_object_add(e, "worst_of", json_object_new_string(l->worst));
		json_object_object_add(e, "p99_ns", json_object_new_double(ls.p99));
		json_object_object_add(e, "first", json_object_new_double(l->first));
		json_object_object_add(e, "last", json_object_new_double(l->last));
		t = line_tail(d, k, tail, sizeof(tail));
		if (t)
			json_object_object_add(e, "note", json_object_new_string(t));
		json_object_array_add(lines, e);
	}
	json_object_object_add(o, "events", lines);
	json_object_object_add(o, "advice", advice_json(d));
	doctor_free(d);
	return o;
}
