// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "histo.h"
#include "report.h"
#include "stalls_user.h"
#include "util.h"


struct cmd_stat *inst_cmd(struct inst_report *in, const char *name)
{
	struct cmd_stat *c;
	size_t i;

	for (i = 0; i < in->ncmds; i++)
		if (!strncmp(in->cmds[i].name, name, CMD_NAME_LEN))
			return &in->cmds[i];
	if (in->ncmds == in->cap) {
		size_t cap = in->cap ? in->cap * 2 : 32;

		c = realloc(in->cmds, cap * sizeof(*c));
		if (!c)
			return NULL;
		in->cmds = c;
		in->cap = cap;
	}
	c = &in->cmds[in->ncmds++];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	return c;
}

const double report_pcts[NPCTS] = { 50, 90, 99, 99.9 };

/* Fewer samples of a command in one window say nothing of its tail. */
#define WINDOW_MIN_SAMPLES 100

void inst_window_spread(struct inst_report *cur, struct inst_report *prev)
{
	struct hist *d = malloc(sizeof(*d));
	size_t i;
	int k;

	if (!d)
		return;
	for (i = 0; i < cur->ncmds; i++) {
		struct cmd_stat *c = &cur->cmds[i], *p = prev ? inst_cmd(prev, c->name) : NULL;
		static const struct hist empty;

		hist_delta(d, &c->span[SPAN_EXEC], p ? &p->span[SPAN_EXEC] : &empty);
		if (d->count < WINDOW_MIN_SAMPLES)
			continue;
		for (k = 0; k < NPCTS; k++) {
			double v = hist_percentile(d, report_pcts[k]);

			if (!c->nwin || v < c->win_lo[k])
				c->win_lo[k] = v;
			if (!c->nwin || v > c->win_hi[k])
				c->win_hi[k] = v;
		}
		c->nwin++;
	}
	free(d);
}

void cmd_pct_range(const struct cmd_stat *c, int k, double *lo, double *hi)
{
	hist_percentile_ci(&c->span[SPAN_EXEC], report_pcts[k], lo, hi);
	if (c->nwin >= 2) {
		if (c->win_lo[k] < *lo)
			*lo = c->win_lo[k];
		if (c->win_hi[k] > *hi)
			*hi = c->win_hi[k];
	}
}

void inst_weigh(struct inst_report *in, double weight)
{
	size_t i;

	for (i = 0; i < in->ncmds; i++) {
		struct cmd_stat *c = &in->cmds[i];
		const struct hist *e = &c->span[SPAN_EXEC];

		c->last_n = e->count - c->seen_count;
		c->last_sum_ns = e->sum_ns - c->seen_sum_ns;
		c->last_w = weight;
		c->est_count += (double)c->last_n * weight;
		c->est_sum_ns += (double)c->last_sum_ns * weight;
		c->est_var += (double)c->last_n * weight * weight;
		c->seen_count = e->count;
		c->seen_sum_ns = e->sum_ns;
	}
}

void inst_weigh_more(struct inst_report *in, double extra)
{
	size_t i;

	for (i = 0; i < in->ncmds; i++) {
		struct cmd_stat *c = &in->cmds[i];
		double w = c->last_w + extra;

		c->est_count += (double)c->last_n * extra;
		c->est_sum_ns += (double)c->last_sum_ns * extra;
		c->est_var += (double)c->last_n * (w * w - c->last_w * c->last_w);
		c->last_w = w;
	}
}

double run_scale(const struct run_report *r)
{
	double est = 0, seen = 0;
	size_t i, j;

	for (i = 0; i < r->ninsts; i++)
		for (j = 0; j < r->insts[i].ncmds; j++) {
			est += r->insts[i].cmds[j].est_count;
			seen += (double)r->insts[i].cmds[j].seen_count;
		}
	return seen > 0 ? est / seen : 1.0;
}

double cmd_est_count(const struct run_report *r, const struct cmd_stat *c)
{
	return r->exact || r->raw_counts ? (double)c->span[SPAN_EXEC].count : c->est_count;
}

double cmd_est_sum(const struct run_report *r, const struct cmd_stat *c)
{
	return r->exact || r->raw_counts ? (double)c->span[SPAN_EXEC].sum_ns : c->est_sum_ns;
}

static int by_total(const void *a, const void *b)
{
	const struct cmd_stat *x = a, *y = b;
	/* sampled mode sorts by the estimate, as the TOTAL column shows */
	double tx = x->est_count > 0 ? x->est_sum_ns : (double)x->span[SPAN_EXEC].sum_ns;
	double ty = y->est_count > 0 ? y->est_sum_ns : (double)y->span[SPAN_EXEC].sum_ns;

	if (tx != ty)
		return tx > ty ? -1 : 1;
	return strcmp(x->name, y->name);
}

void inst_sort(struct inst_report *in)
{
	if (in->ncmds)
		qsort(in->cmds, in->ncmds, sizeof(*in->cmds), by_total);
}

void run_report_free(struct run_report *r)
{
	size_t i;

	for (i = 0; i < r->ninsts; i++)
		free(r->insts[i].cmds);
	free(r->insts);
	r->insts = NULL;
	r->ninsts = 0;
}

static void inst_title(FILE *f, const struct inst_report *in)
{
	int i;

	fprintf(f, "%s %s, pid %d", in->product, in->version, in->pid);
	for (i = 0; i < in->nports; i++)
		fprintf(f, "%s%d", i ? "," : ", port ", in->ports[i]);
	fprintf(f, " (%s)%s\n", in->exe, in->ended ? ": the process ended during the run" : "");
}

/* Execution times come from Redis's microsecond clock: 0 is a command that
 * began and ended within one tick. */
static const char *fmt_exec(double ns, char *buf)
{
	return ns < 1 ? "<1us" : fmt_ns(ns, buf, 16);
}

void render_table(FILE *f, const struct run_report *r, const struct inst_report *in)
{
	char b[9][16];
	size_t i;

	fprintf(f, "%-24s %10s %9s %9s %9s %9s %9s %9s %9s | %9s %9s\n", "COMMAND",
		r->exact ? "CALLS" : r->raw_counts ? "SAMPLED" : "~CALLS", "TOTAL", "MEAN", "P50", "P90", "P99", "P99.9", "MAX",
		"RESP-P50", "RESP-P99");
	for (i = 0; i < in->ncmds; i++) {
		const struct cmd_stat *c = &in->cmds[i];
		const struct hist *e = &c->span[SPAN_EXEC], *s = &c->span[SPAN_RESPONSE];

		if (!e->count && !s->count)
			continue;
		fprintf(f, "%-24s %10.0f %9s %9s %9s %9s %9s %9s %9s | %9s %9s\n", c->name,
			cmd_est_count(r, c),
			fmt_ns(cmd_est_sum(r, c), b[0], 16), fmt_ns(hist_mean(e), b[1], 16),
			fmt_exec(hist_percentile(e, 50), b[2]), fmt_exec(hist_percentile(e, 90), b[3]),
			fmt_exec(hist_percentile(e, 99), b[4]), fmt_exec(hist_percentile(e, 99.9), b[5]),
			fmt_exec((double)e->max_ns, b[6]),
			s->count ? fmt_ns(hist_percentile(s, 50), b[7], 16) : "-",
			s->count ? fmt_ns(hist_percentile(s, 99), b[8], 16) : "-");
	}
}

static void render_mode(FILE *f, const struct run_report *r)
{
	char a[16], b[16];

	if (r->stalls_only) {
		fprintf(f, "Stalls-only mode: traced for %.1f s; forks, persistence, fsyncs and AOF writes "
			"from syscall and scheduler tracepoints and uprobes on rare functions; no command "
			"probes.\n", r->duration_s);
		return;
	}
	fprintf(f, "Execution: the command's own run inside call(), as INFO commandstats and "
		"SLOWLOG time it, in Redis's own microseconds (<1us: within one tick; means stay "
		"exact). Response: from the read() of the request to the write() of its reply.\n");
	fprintf(f, "Traced for %.1f s. A probe hit costs %s here; an entry/return pair adds %s "
		"to what it times (subtracted).\n", r->duration_s, fmt_ns(r->hit_ns, a, sizeof(a)),
		fmt_ns(r->pair_bias_ns, b, sizeof(b)));
	if (r->exact) {
		fprintf(f, "Exact mode: every command was probed; counts are exact.\n");
		return;
	}
	fprintf(f, "Sampled mode: probes attached %.2f s of %.1f s (%.2f%%) in %lu windows, "
		"within a %.1f%% overhead budget. ~CALLS and TOTAL are estimates (%.1f per command "
		"seen): each window's commands stand for the read() calls Redis made in it and in "
		"the nearer halves of the gaps around it. Percentiles come from the %llu sampled "
		"commands (95%% ranges in --json, widened to the spread between windows, which "
		"are samples in time: a load that changes faster than the windows come can be "
		"missed).\n",
		r->attached_s, r->duration_s, r->duration_s > 0 ? 100 * r->attached_s / r->duration_s : 0,
		r->windows, r->budget * 100, r->scale, r->stats[STAT_CMD_HITS] + r->stats[STAT_PAIR_HITS]);
}

static void render_drops(FILE *f, const struct run_report *r)
{
	static const struct { int stat; const char *what; } drops[] = {
		{ STAT_DROP_HIST_FULL, "samples lost to a full histogram map" },
		{ STAT_DROP_NAME, "commands whose name could not be read" },
		{ STAT_DROP_PENDING, "response spans dropped (more commands in one reply than redlat tracks)" },
	};
	size_t i;

	static const struct { int stat; const char *what; } stall_drops[] = {
		{ SST_LOST, "stall events lost to a full ring buffer (the histograms still count them)" },
		{ SST_HIST_FULL, "stall samples lost to a full histogram map" },
		{ SST_CHILDREN_FULL, "fork children not followed (children map full)" },
	};

	for (i = 0; i < ARRAY_SIZE(drops); i++)
		if (r->stats[drops[i].stat])
			fprintf(f, "Dropped: %llu %s.\n", r->stats[drops[i].stat], drops[i].what);
	for (i = 0; i < ARRAY_SIZE(stall_drops); i++)
		if (r->stall_stats[stall_drops[i].stat])
			fprintf(f, "Dropped: %llu %s.\n", r->stall_stats[stall_drops[i].stat], stall_drops[i].what);
}

void render_text(FILE *f, const struct run_report *r, int all_histograms)
{
	size_t i, j;

	render_mode(f, r);
	render_drops(f, r);
	if (!r->ninsts)
		fprintf(f, "No Redis instance was traced.\n");
	for (i = 0; i < r->ninsts; i++) {
		const struct inst_report *in = &r->insts[i];

		fprintf(f, "\n");
		inst_title(f, in);
		fprintf(f, "\n");
		if (r->stalls_only) {
			fprintf(f, "Commands not traced (--stalls-only).\n");
		} else if (!in->ncmds) {
			fprintf(f, "No command was seen.\n");
		} else {
			render_table(f, r, in);
			for (j = 0; j < in->ncmds && (all_histograms || j < 3); j++) {
				if (!in->cmds[j].span[SPAN_EXEC].count)
					continue;
				fprintf(f, "\n%s execution (%llu %s):\n", in->cmds[j].name,
					(unsigned long long)in->cmds[j].span[SPAN_EXEC].count,
					r->exact ? "calls" : "sampled calls");
				hist_print_log2(f, &in->cmds[j].span[SPAN_EXEC], "");
			}
		}
		render_stalls(f, r, in);
		render_doctor(f, r, in);
	}
}

static int wf_rated_poor(double gbs)
{
	return gbs > 0 && gbs < 25;
}

/* Commands of one class over the threshold, from the histogram slots above
 * it: how many, their mean and mean deviation (at slot midpoints). */
struct spikes {
	double n, sum, max;
	double mids[HIST_SLOTS];
	double counts[HIST_SLOTS];
	char worst[CMD_NAME_LEN];
	double worst_ns;
};

static void spikes_add(struct spikes *s, const struct hist *h, const char *name, double threshold_ns)
{
	__u32 i;

	/* Redis counts an event when it takes the threshold or more */
	if (h->max_ns < threshold_ns)
		return;
	for (i = 0; i < HIST_SLOTS; i++) {
		double mid = hist_slot_low(i) + (hist_slot_width(i) - 1) / 2.0;

		if (mid > h->max_ns)
			mid = (double)h->max_ns;
		if (!h->slots[i] || mid < threshold_ns)
			continue;
		s->n += h->slots[i];
		s->sum += h->slots[i] * mid;
		s->counts[i] += h->slots[i];
		s->mids[i] = mid;
	}
	if (h->max_ns > s->max) {
		s->max = (double)h->max_ns;
		snprintf(s->worst, sizeof(s->worst), "%s", name ? name : "");
	}
}

static void doctor_line(FILE *f, int *k, const char *event, const struct spikes *s, double duration_s,
			const char *tail)
{
	double avg = s->n ? s->sum / s->n : 0, dev = 0;
	__u32 i;

	for (i = 0; i < HIST_SLOTS; i++)
		if (s->counts[i])
			dev += s->counts[i] * fabs(s->mids[i] - avg);
	dev = s->n ? dev / s->n : 0;
	fprintf(f, "%d. %s: %.0f latency spikes (average %.0fms, mean deviation %.0fms, period %.2f sec). "
		"Worst all time event %.0fms%s%s%s.%s%s\n", ++*k, event, s->n, avg / 1e6, dev / 1e6,
		s->n ? duration_s / s->n : 0, s->max / 1e6, s->worst[0] ? " (" : "", s->worst,
		s->worst[0] ? ")" : "", tail ? " " : "", tail ? tail : "");
}

/* The doctor's classes, in Redis's order of events. */
enum { D_COMMAND, D_FAST, D_FORK, D_FSYNC_ALWAYS, D_AOF_PENDING, D_AOF_CHILD, D_AOF_ALONE,
       D_MAIN_SYNC, D_EXPIRE, D_DEFRAG, D_LOOP, D_RUNQ, D_MAX };

void render_doctor(FILE *f, const struct run_report *r, const struct inst_report *in)
{
	static const char *const names[D_MAX] = {
		"command", "fast-command", "fork", "aof-fsync-always", "aof-write-pending-fsync",
		"aof-write-active-child", "aof-write-alone",
		"main-thread-fsync",	/* redlat's: Redis has no event for these */
		"expire-cycle", "active-defrag-cycle", "event-loop", "run-queue",
	};
	struct spikes *cls = calloc(D_MAX, sizeof(*cls));
	const struct inst_stalls *st = in->st;
	double thr = r->threshold_ms * 1e6, worst_gbs = 0, worst_fsync_p99 = 0;
	struct hist *h = malloc(sizeof(*h)), *h2 = malloc(sizeof(*h2));
	char slow[256] = "", tail[128] = "", b[4][24];
	const char *worst_fsync_who = "";
	unsigned long blocked = 0;
	size_t i, len = 0, nspikes = 0;
	int k = 0, c;

	if (!cls || !h || !h2)
		goto out;
	for (i = 0; i < in->ncmds; i++) {
		const struct cmd_stat *cs = &in->cmds[i];
		int fast = is_fast_command(cs->name);

		spikes_add(&cls[fast ? D_FAST : D_COMMAND], &cs->span[SPAN_EXEC], cs->name, thr);
		if (!fast && cs->span[SPAN_EXEC].max_ns >= thr && len < sizeof(slow) - 40)
			len += snprintf(slow + len, sizeof(slow) - len, "%s%s", len ? ", " : "", cs->name);
	}
	if (st) {
		const struct fork_rec *wf = NULL;

		memset(h, 0, sizeof(*h));
		for (i = 0; i < st->nforks; i++) {
			const struct fork_rec *fr = &st->forks[i];

			if (fr->stall_ns < 0)
				continue;
			hist_record(h, (__u64)fr->stall_ns);
			if (fork_rate_gbs(fr) > 0 && (!wf || fork_rate_gbs(fr) < worst_gbs)) {
				wf = fr;
				worst_gbs = fork_rate_gbs(fr);
			}
		}
		spikes_add(&cls[D_FORK], h, NULL, thr);
		if (wf)
			snprintf(tail, sizeof(tail), "Fork rate is %.2f GB/sec (%s).", worst_gbs, fork_rating(worst_gbs));
		stalls_hist_sum(st, SK_FDATASYNC, ROLE_MAIN, FC_AOF, h);
		stalls_hist_sum(st, SK_FSYNC, ROLE_MAIN, FC_AOF, h2);
		hist_merge(h, h2);
		spikes_add(&cls[D_FSYNC_ALWAYS], h, NULL, thr);
		/* other files synced on the main thread: the AOF manifest and
		 * directory (7.0+ rewrites), an RDB (SAVE) */
		for (i = 0; i < st->nhists; i++) {
			const struct stall_key *sk = &st->hists[i].key;

			if ((sk->kind == SK_FSYNC || sk->kind == SK_FDATASYNC) && sk->role == ROLE_MAIN &&
			    sk->fclass != FC_AOF)
				spikes_add(&cls[D_MAIN_SYNC], &st->hists[i].h, file_class_name(sk->fclass), thr);
		}
		for (c = 0; c < AW_MAX; c++) {
			stalls_hist_sum(st, SK_AOF_WRITE, c, -1, h);
			spikes_add(&cls[D_AOF_PENDING + c], h, NULL, thr);
		}
		stalls_hist_sum(st, SK_CYCLE, CYCLE_EXPIRE, -1, h);
		spikes_add(&cls[D_EXPIRE], h, NULL, thr);
		stalls_hist_sum(st, SK_CYCLE, CYCLE_DEFRAG, -1, h);
		spikes_add(&cls[D_DEFRAG], h, NULL, thr);
		stalls_hist_sum(st, SK_LOOP, -1, -1, h);
		spikes_add(&cls[D_LOOP], h, NULL, thr);
		stalls_hist_sum(st, SK_RUNQ, -1, -1, h);
		spikes_add(&cls[D_RUNQ], h, st->nthieves ? st->thieves[0].comm : NULL, thr);
		for (i = 0; i < st->nevents; i++)
			blocked += st->events[i].kind == SK_AOF_WRITE && (st->events[i].flags & EVF_BLOCKED);
		for (i = 0; i < st->nhists; i++) {
			const struct stall_hist *sh = &st->hists[i];
			double p99 = hist_percentile(&sh->h, 99);

			if ((sh->key.kind == SK_FSYNC || sh->key.kind == SK_FDATASYNC) &&
			    sh->key.fclass == FC_AOF && p99 > worst_fsync_p99) {
				worst_fsync_p99 = p99;
				worst_fsync_who = thread_role_name(sh->key.role);
			}
		}
	}
	for (c = 0; c < D_MAX; c++)
		nspikes += cls[c].n > 0;
	fprintf(f, "\nDoctor (events of %.0f ms or more, under Redis's latency event names):\n", r->threshold_ms);
	if (!nspikes) {
		fprintf(f, "No latency spike was observed: no %s ran %.0f ms or longer.\n",
			r->stalls_only ? "event-loop iteration, fork, fsync or AOF write" :
			"command, event-loop iteration, fork, fsync or AOF write",
			r->threshold_ms);
		if (!wf_rated_poor(worst_gbs))
			goto out;
	} else {
		fprintf(f, "I have observed latency spikes in this Redis instance%s.\n\n",
			r->exact || r->stalls_only ? "" : " (commands counted while the probes were on: sampled "
			"mode sees a share of them, and periods are per second of the whole run)");
		for (c = 0; c < D_MAX; c++)
			if (cls[c].n)
				doctor_line(f, &k, names[c], &cls[c], r->duration_s, c == D_FORK ? tail : NULL);
	}
	fprintf(f, "\nI have a few advices for you:\n\n");
	if (cls[D_COMMAND].n)
		fprintf(f, "- Slow commands ran here (%s). Check SLOWLOG and use incremental forms "
			"where they exist (SCAN for KEYS, HSCAN/SSCAN/ZSCAN for whole-collection reads); "
			"deleting large objects blocks too (UNLINK frees them in the background).\n", slow);
	if (cls[D_FAST].n)
		fprintf(f, "- Commands Redis flags as fast (O(1) or O(log N)) took over %.0f ms: "
			"this usually means Redis did not get the CPU (a loaded host, a noisy neighbour, "
			"swapping or a slow VM); check 'redis-cli --intrinsic-latency 100'.\n",
			r->threshold_ms);
	if (wf_rated_poor(worst_gbs))
		fprintf(f, "- Forking copied page tables at %.2f GB/sec (%s): every BGSAVE and AOF rewrite "
			"freezes Redis that long. Use a faster VM or bare metal (Xen guests fork slowly), keep the "
			"dataset per instance smaller, and make sure transparent huge pages are off.\n",
			worst_gbs, fork_rating(worst_gbs));
	if (cls[D_FSYNC_ALWAYS].n)
		fprintf(f, "- The main thread waited in fdatasync() of the AOF %.0f times for %.0f ms or more "
			"(worst %s): that is appendfsync always. Use a faster disk (local SSD), or appendfsync "
			"everysec if losing a second of writes is acceptable.\n", cls[D_FSYNC_ALWAYS].n,
			r->threshold_ms, fmt_ns(cls[D_FSYNC_ALWAYS].max, b[0], 24));
	if (worst_fsync_p99 >= thr)
		fprintf(f, "- The disk is slow: fsync of the AOF took %s at p99 (thread %s). Put the AOF on a "
			"local SSD, and with ext4 consider data=writeback; avoid other heavy I/O on that disk.\n",
			fmt_ns(worst_fsync_p99, b[1], 24), worst_fsync_who);
	if (blocked || cls[D_AOF_PENDING].n)
		fprintf(f, "- %lu AOF write%s on the main thread waited for a background fsync to end "
			"(aof-write-pending-fsync: %.0f of %.0f ms or more): the disk cannot keep up with "
			"appendfsync everysec. A faster disk helps; no-appendfsync-on-rewrite yes avoids it "
			"while a child is writing.\n", blocked, blocked == 1 ? "" : "s",
			cls[D_AOF_PENDING].n, r->threshold_ms);
	if (cls[D_AOF_CHILD].n)
		fprintf(f, "- AOF writes were slow while a fork child was writing (aof-write-active-child): "
			"the child's I/O competes with the AOF; set no-appendfsync-on-rewrite yes, or schedule "
			"BGSAVE and rewrites off-peak.\n");
	if (cls[D_MAIN_SYNC].n)
		fprintf(f, "- The main thread fsynced other files %.0f times for %.0f ms or more (worst: %s, "
			"%s): Redis 7 syncs the AOF manifest and its directory on the main thread when an AOF "
			"rewrite starts and ends, and SAVE syncs the RDB there. A faster disk shortens them; "
			"BGSAVE instead of SAVE avoids the latter.\n", cls[D_MAIN_SYNC].n, r->threshold_ms,
			cls[D_MAIN_SYNC].worst, fmt_ns(cls[D_MAIN_SYNC].max, b[2], 24));
	if (cls[D_EXPIRE].n)
		fprintf(f, "- The active expire cycle ran %.0f times for %.0f ms or more (worst %s): many keys "
			"expire at once. Spread their TTLs (add jitter), or raise hz (hz 100) so each cycle has "
			"less to do.\n", cls[D_EXPIRE].n, r->threshold_ms, fmt_ns(cls[D_EXPIRE].max, b[1], 24));
	if (cls[D_DEFRAG].n)
		fprintf(f, "- Active defragmentation took %.0f ms or more %.0f times (worst %s): lower "
			"active-defrag-cycle-max, or defragment off-peak.\n", r->threshold_ms, cls[D_DEFRAG].n,
			fmt_ns(cls[D_DEFRAG].max, b[2], 24));
	if (cls[D_RUNQ].n && st && st->nthieves)
		fprintf(f, "- Redis's main thread waited for a CPU %.0f times for %.0f ms or more (worst %s), "
			"runnable but not running: another task had its CPU. Most often %s (pid %d), %s in all. "
			"Give Redis a CPU of its own (taskset/cpusets), move the neighbour, or add CPUs.\n",
			cls[D_RUNQ].n, r->threshold_ms, fmt_ns(cls[D_RUNQ].max, b[3], 24), st->thieves[0].comm,
			st->thieves[0].pid, fmt_ns(st->thieves[0].ns, b[0], 24));
	if (cls[D_AOF_ALONE].n)
		fprintf(f, "- AOF writes were slow with no fsync or child in flight (aof-write-alone): the "
			"disk or the page cache itself stalls (check dirty page writeback, vm.dirty_*).\n");
out:
	free(cls);
	free(h);
	free(h2);
}

void report_copy(struct run_report *dst, const struct run_report *src)
{
	size_t i;

	run_report_free(dst);
	dst->insts = calloc(src->ninsts, sizeof(*dst->insts));
	if (!dst->insts)
		return;
	dst->ninsts = src->ninsts;
	for (i = 0; i < src->ninsts; i++) {
		dst->insts[i] = src->insts[i];
		dst->insts[i].cmds = malloc(src->insts[i].ncmds * sizeof(struct cmd_stat) + 1);
		dst->insts[i].cap = dst->insts[i].cmds ? src->insts[i].ncmds : 0;
		dst->insts[i].ncmds = dst->insts[i].cap;
		if (dst->insts[i].cmds)
			memcpy(dst->insts[i].cmds, src->insts[i].cmds, dst->insts[i].ncmds * sizeof(struct cmd_stat));
	}
}
