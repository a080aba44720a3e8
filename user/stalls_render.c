// SPDX-License-Identifier: GPL-2.0
/* Text of the fork, persistence and fsync sections. */
#include <stdio.h>
#include <string.h>
#include "histo.h"
#include "report.h"
#include "stalls_user.h"
#include "util.h"

const char *stall_event_name(const struct stall_rec *e)
{
	if (e->kind == SK_AOF_WRITE)
		return aof_write_event(e->klass);
	if (e->kind == SK_COMMAND)
		return e->file;
	if (e->kind == SK_CYCLE)
		return cycle_name(e->klass);
	if (e->kind == SK_OFFCPU)
		return offcpu_event(e->klass);
	return stall_kind_name(e->kind);
}

void stall_runq_note(char *buf, size_t len, const struct stall_rec *e)
{
	size_t n = snprintf(buf, len, "%s", e->klass ? "preempted" : "woken, waited for a CPU");

	if (e->other_pid && n < len)
		snprintf(buf + n, len - n, "; CPU taken by %s %d", e->other_comm, e->other_pid);
}

void stall_breakdown(char *buf, size_t len, const struct stall_rec *e)
{
	char b[4][24];
	size_t n;

	n = snprintf(buf, len, "on-CPU %s, run-queue %s", fmt_ns(e->oncpu_ns, b[0], 24),
		     fmt_ns(e->runq_ns, b[1], 24));
	if (e->other_pid && e->runq_ns > 0 && n < len)
		n += snprintf(buf + n, len - n, " (%s %d)", e->other_comm, e->other_pid);
	if (n < len)
		snprintf(buf + n, len - n, ", sleeping %s, blocked %s, faults %llu minor %llu major",
			 fmt_ns(e->sleep_ns, b[2], 24), fmt_ns(e->block_ns, b[3], 24), e->minflt, e->majflt);
}

void stall_event_line(FILE *f, const struct stall_rec *e, pid_t inst)
{
	char b[2][24], more[256] = "";

	if (e->kind == SK_LOOP || e->kind == SK_COMMAND)
		stall_breakdown(more, sizeof(more), e);
	else if (e->kind == SK_RUNQ)
		stall_runq_note(more, sizeof(more), e);
	else if (e->file[0])
		snprintf(more, sizeof(more), "file %s", e->file);
	if (e->flags & EVF_BLOCKED)
		strncat(more, ", waited for a background fsync", sizeof(more) - strlen(more) - 1);
	if ((e->kind == SK_LOOP || e->kind == SK_COMMAND) && (e->flags & EVF_CHILD_LIVE))
		strncat(more, ", fork child alive", sizeof(more) - strlen(more) - 1);
	if ((e->kind == SK_LOOP || e->kind == SK_COMMAND) && (e->flags & EVF_FSYNC_LIVE))
		strncat(more, ", fsync in flight", sizeof(more) - strlen(more) - 1);
	fprintf(f, "%-12s %7d %-15s %-24s %9s  %s\n", fmt_wall(e->wall, b[0], 24), inst,
		e->role == ROLE_OTHER ? e->comm : thread_role_name(e->role), stall_event_name(e),
		fmt_ns(e->dur_ns, b[1], 24), more);
}

void fork_exit_text(const struct fork_rec *fr, char *buf, size_t len)
{
	if (!fr->exited)
		snprintf(buf, len, "running");
	else if (fr->exit_code & 0x7f)
		snprintf(buf, len, "signal %d", fr->exit_code & 0x7f);
	else
		snprintf(buf, len, "%d", (fr->exit_code >> 8) & 0xff);
}

static void render_forks(FILE *f, const struct inst_stalls *s)
{
	char b[10][24];

	size_t i;

	fprintf(f, "\nForks: %zu (STALL: the fork() call in the parent, what INFO's latest_fork_usec "
		"times; SYSCALL: the kernel's part of it, the rest is the parent's first copy-on-write "
		"faults; RATE: RSS / STALL, rated as Redis rates fork rates)\n", s->nforks);
	if (!s->nforks)
		return;
	fprintf(f, "%-12s %-12s %9s %9s %8s %8s %-20s %7s %9s %-8s %-30s %8s %s\n", "TIME", "PURPOSE",
		"STALL", "(SYSCALL)", "RSS", "PGTABLE", "RATE", "CHILD", "LIFETIME", "EXIT", "CHILD WORK", "COPIED",
		"PARENT FAULTS (COW)");
	for (i = 0; i < s->nforks; i++) {
		const struct fork_rec *fr = &s->forks[i];
		double gbs = fork_rate_gbs(fr);
		char rate[32], work[40], faults[40];

		if (gbs > 0)
			snprintf(rate, sizeof(rate), "%.1f GB/s %s", gbs, fork_rating(gbs));
		else
			snprintf(rate, sizeof(rate), "-");
		if (fr->work_kind)
			snprintf(work, sizeof(work), "%s %s%s", stall_kind_name(fr->work_kind),
				 fmt_ns(fr->work_ns, b[5], 24), fr->work_ret != 0 ? " (failed)" : "");
		else
			snprintf(work, sizeof(work), "-");
		if (s->have_fault_tp && fr->exited)
			snprintf(faults, sizeof(faults), "%llu (%llu)", (unsigned long long)fr->faults,
				 (unsigned long long)fr->cow_faults);
		else
			snprintf(faults, sizeof(faults), "-");
		fork_exit_text(fr, b[6], 24);
		fprintf(f, "%-12s %-12s %9s %9s %8s %8s %-20s %7d %9s %-8s %-30s %8s %s\n",
			fr->seen_fork ? fmt_wall(fr->wall, b[0], 24) : "before run",
			fork_purpose_name(fr->purpose),
			fr->seen_fork ? fmt_ns(fr->stall_ns, b[1], 24) : "-",
			fr->seen_fork ? fmt_ns(fr->sys_ns, b[8], 24) : "-",
			fr->seen_fork ? fmt_bytes((double)fr->rss_bytes, b[2], 24) : "-",
			fr->seen_fork ? fmt_bytes((double)fr->pgtable_bytes, b[3], 24) : "-",
			rate, fr->child, fr->exited && fr->seen_fork ? fmt_ns(fr->life_ns, b[4], 24) : "-",
			b[6], work, fr->has_cow ? fmt_bytes((double)fr->cow_bytes, b[7], 24) : "-", faults);
	}
}

static void hist_row(FILE *f, const char *a, const char *b2, const char *c, const struct hist *h,
		     double thr_ns, const char *extra)
{
	char b[6][16];
	__u64 over = 0;
	__u32 i;

	for (i = 0; i < HIST_SLOTS; i++)
		if (hist_slot_low(i) >= thr_ns)
			over += h->slots[i];
	fprintf(f, "%-24s %-15s %-10s %8llu %9s %9s %9s %9s %9s %6llu%s\n", a, b2, c,
		(unsigned long long)h->count, fmt_ns(hist_mean(h), b[0], 16),
		fmt_ns(hist_percentile(h, 50), b[1], 16), fmt_ns(hist_percentile(h, 99), b[2], 16),
		fmt_ns(hist_percentile(h, 99.9), b[3], 16), fmt_ns((double)h->max_ns, b[4], 16),
		(unsigned long long)over, extra ? extra : "");
}

static void render_syncs(FILE *f, const struct inst_stalls *s, double thr_ms)
{
	char over[16];
	size_t i;
	int any = 0, k;

	snprintf(over, sizeof(over), ">=%.0fms", thr_ms);
	for (i = 0; i < s->nhists; i++) {
		const struct stall_key *key = &s->hists[i].key;

		if (key->kind != SK_FSYNC && key->kind != SK_FDATASYNC && key->kind != SK_SYNC_FILE_RANGE)
			continue;
		if (!any++) {
			fprintf(f, "\nfsync, fdatasync, sync_file_range (every call, by thread and file):\n");
			fprintf(f, "%-24s %-15s %-10s %8s %9s %9s %9s %9s %9s %6s\n", "SYSCALL", "THREAD",
				"FILE", "COUNT", "MEAN", "P50", "P99", "P99.9", "MAX", over);
		}
		hist_row(f, stall_kind_name(key->kind), thread_role_name(key->role),
			 file_class_name(key->fclass), &s->hists[i].h, thr_ms * 1e6, NULL);
	}
	if (!any)
		fprintf(f, "\nNo fsync, fdatasync or sync_file_range was called.\n");

	any = 0;
	for (k = 0; k < AW_MAX; k++) {
		struct hist h;
		char extra[64] = "";
		unsigned long blocked = 0;

		stalls_hist_sum(s, SK_AOF_WRITE, k, -1, &h);
		if (!h.count)
			continue;
		if (k == AW_PENDING_FSYNC) {
			for (i = 0; i < s->nevents; i++)
				blocked += s->events[i].kind == SK_AOF_WRITE && s->events[i].klass == k &&
					   (s->events[i].flags & EVF_BLOCKED);
			snprintf(extra, sizeof(extra), "  %lu waited for the fsync", blocked);
		}
		if (!any++) {
			fprintf(f, "\nAOF writes on the main thread (classed as flushAppendOnlyFile classes them):\n");
			fprintf(f, "%-24s %-15s %-10s %8s %9s %9s %9s %9s %9s %6s\n", "EVENT", "THREAD",
				"FILE", "COUNT", "MEAN", "P50", "P99", "P99.9", "MAX", over);
		}
		hist_row(f, aof_write_event(k), "main", "aof", &h, thr_ms * 1e6, extra);
	}
}

static void render_slow_events(FILE *f, const struct inst_stalls *s, double thr_ms)
{
	char b[4][24];
	size_t i, shown = 0, over = 0;

	for (i = 0; i < s->nevents; i++)
		over += s->events[i].dur_ns >= thr_ms * 1e6 || (s->events[i].flags & EVF_BLOCKED);
	if (!over)
		return;
	fprintf(f, "\nEvents of %.0f ms or more (%zu):\n", thr_ms, over);
	fprintf(f, "%-12s %-24s %-15s %8s %-32s %9s %s\n", "TIME", "EVENT", "THREAD", "TID", "FILE",
		"DURATION", "NOTE");
	for (i = 0; i < s->nevents && shown < 50; i++) {
		const struct stall_rec *e = &s->events[i];
		char note[256] = "";

		if (e->dur_ns < thr_ms * 1e6 && !(e->flags & EVF_BLOCKED))
			continue;
		if (e->kind == SK_LOOP || e->kind == SK_COMMAND)
			stall_breakdown(note, sizeof(note), e);
		else if (e->kind == SK_RUNQ)
			stall_runq_note(note, sizeof(note), e);
		else if (e->flags & EVF_BLOCKED)
			snprintf(note, sizeof(note), "waited for a background fsync");
		else if (e->role == ROLE_CHILD)
			snprintf(note, sizeof(note), "in the fork child: Redis not blocked");
		else if (e->role != ROLE_MAIN)
			snprintf(note, sizeof(note), "background thread: Redis not blocked");
		else if (e->kind == SK_RDB_SAVE)
			snprintf(note, sizeof(note), "SAVE on the main thread");
		else if (e->kind == SK_FSYNC || e->kind == SK_FDATASYNC)
			snprintf(note, sizeof(note), "main thread waited for the disk");
		fprintf(f, "%-12s %-24s %-15s %8d %-32s %9s %s\n", fmt_wall(e->wall, b[0], 24), stall_event_name(e),
			e->role == ROLE_OTHER ? e->comm : thread_role_name(e->role), e->tid,
			e->file[0] && e->kind != SK_COMMAND ? e->file : "-", fmt_ns(e->dur_ns, b[1], 24), note);
		shown++;
	}
	if (shown < over)
		fprintf(f, "... %zu more in --json\n", over - shown);
}

/* Redis's internal cycles, over the run. The fast expire cycle and
 * eviction are probed with the commands: in sampled mode, windows only. */
static void render_cycles(FILE *f, const struct run_report *r, const struct inst_stalls *s)
{
	struct hist h;
	char b[4][24];
	int i;

	for (i = 0; i < CYCLE_MAX; i++) {
		stalls_hist_sum(s, SK_CYCLE, i, -1, &h);
		if (h.count)
			fprintf(f, "  %s: %llu%s, p50 %s, p99 %s, max %s, total %s\n", cycle_name(i),
				(unsigned long long)h.count,
				CYCLE_WINDOWED(i) && !r->exact && !r->stalls_only ? " in the windows" : "",
				fmt_ns(hist_percentile(&h, 50), b[0], 24), fmt_ns(hist_percentile(&h, 99), b[1], 24),
				fmt_ns((double)h.max_ns, b[2], 24), fmt_ns((double)h.sum_ns, b[3], 24));
	}
}

/* Where the main thread's time went, over the run. */
static void render_main_thread(FILE *f, const struct inst_stalls *s, double thr_ms, int windowed)
{
	struct hist h, pre;
	char b[8][24];
	size_t i;

	stalls_hist_sum(s, SK_LOOP, -1, -1, &h);
	if (!h.count)
		return;
	fprintf(f, "\nMain thread (an iteration runs from epoll_wait's return to the next call; time "
		"inside epoll_wait is idle):\n");
	fprintf(f, "  event-loop iterations%s: %llu, busy p50 %s, p99 %s, p99.9 %s, max %s, total %s\n",
		windowed ? " in the windows (--every-iteration for all)" : "", (unsigned long long)h.count, fmt_ns(hist_percentile(&h, 50), b[0], 24),
		fmt_ns(hist_percentile(&h, 99), b[1], 24), fmt_ns(hist_percentile(&h, 99.9), b[2], 24),
		fmt_ns((double)h.max_ns, b[3], 24), fmt_ns((double)h.sum_ns, b[4], 24));
	stalls_hist_sum(s, SK_RUNQ, -1, -1, &h);
	stalls_hist_sum(s, SK_RUNQ, 1, -1, &pre);
	fprintf(f, "  run-queue waits (woken or preempted, to running): %llu, of which %llu preempted "
		"(involuntary switches); p50 %s, p99 %s, max %s, total %s\n",
		(unsigned long long)h.count, (unsigned long long)pre.count,
		fmt_ns(hist_percentile(&h, 50), b[0], 24), fmt_ns(hist_percentile(&h, 99), b[1], 24),
		fmt_ns((double)h.max_ns, b[2], 24), fmt_ns((double)h.sum_ns, b[3], 24));
	stalls_hist_sum(s, SK_OFFCPU, 1, -1, &h);
	stalls_hist_sum(s, SK_OFFCPU, 2, -1, &pre);
	fprintf(f, "  off CPU inside iterations: sleeping %s (%llu times, max %s), uninterruptible %s "
		"(%llu times, max %s)\n", fmt_ns((double)h.sum_ns, b[0], 24), (unsigned long long)h.count,
		fmt_ns((double)h.max_ns, b[1], 24), fmt_ns((double)pre.sum_ns, b[2], 24),
		(unsigned long long)pre.count, fmt_ns((double)pre.max_ns, b[3], 24));
	if (s->nthieves) {
		fprintf(f, "  who had the CPU while it waited:");
		for (i = 0; i < s->nthieves && i < 5; i++)
			fprintf(f, "%s %s (pid %d) %s", i ? "," : "", s->thieves[i].comm, s->thieves[i].pid,
				fmt_ns(s->thieves[i].ns, b[0], 24));
		fprintf(f, "\n");
	}
	(void)thr_ms;
}

void render_stalls(FILE *f, const struct run_report *r, const struct inst_report *in)
{
	const struct inst_stalls *s = in->st;

	if (!s)
		return;
	render_main_thread(f, s, r->threshold_ms, r->loops_windowed);
	render_cycles(f, r, s);
	render_forks(f, s);
	render_syncs(f, s, r->threshold_ms);
	render_slow_events(f, s, r->threshold_ms);
	if (in->missing[0])
		fprintf(f, "Not probed (absent or never called in this build): %s.\n", in->missing);
}

void render_stall_lines(FILE *f, const struct run_report *r, const struct inst_report *in,
			struct stall_mark *mark)
{
	const struct inst_stalls *s = in->st;
	__u64 newest = mark->events_end;
	char b[4][24];
	size_t i;

	for (i = mark->nforks; i < s->nforks; i++) {
		const struct fork_rec *fr = &s->forks[i];

		if (!fr->seen_fork)
			continue;
		fprintf(f, "pid %d: fork (%s) stalled %s, RSS %s, child %d\n", in->pid,
			fork_purpose_name(fr->purpose), fmt_ns(fr->stall_ns, b[0], 24),
			fmt_bytes((double)fr->rss_bytes, b[1], 24), fr->child);
	}
	mark->nforks = s->nforks;
	for (i = 0; i < s->nevents; i++) {
		const struct stall_rec *e = &s->events[i];
		__u64 end = e->ts_ns + (__u64)e->dur_ns;	/* events arrive as they end */

		if (end <= mark->events_end)
			continue;
		if (end > newest)
			newest = end;
		if (e->dur_ns < r->threshold_ms * 1e6 && !(e->flags & EVF_BLOCKED))
			continue;
		stall_event_line(f, e, in->pid);
	}
	mark->events_end = newest;
}
