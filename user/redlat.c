// SPDX-License-Identifier: GPL-2.0
/* redlat: per-command latency of Redis servers, from eBPF probes. */
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "calib.h"
#include "cli.h"
#include "histo.h"
#include "procs.h"
#include "report.h"
#include "sampler.h"
#include "target.h"
#include "tracer.h"
#include "util.h"

#define PROC_ROOT "/proc"
#define WINDOW_NS 100e6	/* a sampling window */
#define MAX_GAP_NS 10e9		/* longest wait between two windows */
#define TP_HIT_NS 400.0		/* a syscall tracepoint hit (0.15-0.55 us measured here) */
#define DOCTOR_THRESHOLD_MS 10	/* like slowlog-log-slower-than 10000 */

static volatile sig_atomic_t exiting;
static int verbose;

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	if (level == LIBBPF_WARN && !verbose)
		return 0;	/* failures are reported once, by redlat, in one line */
	return vfprintf(stderr, fmt, args);
}

static void die_line(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "redlat: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Root, or CAP_BPF + CAP_PERFMON (or CAP_SYS_ADMIN) to load and attach, and
 * CAP_SYS_PTRACE to read another user's /proc/PID/exe. */
static int check_privileges(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};
	static const struct { int cap; const char *name; } need[] = {
		{ CAP_BPF, "CAP_BPF" }, { CAP_PERFMON, "CAP_PERFMON" },
		{ CAP_SYS_PTRACE, "CAP_SYS_PTRACE" },
	};
	char missing[128] = "";
	size_t i, len = 0;
	int admin;

	if (syscall(SYS_capget, &hdr, data))
		return 0;	/* cannot tell: let the load say */
#define HAS(c) (data[(c) / 32].effective & (1U << ((c) % 32)))
	admin = HAS(CAP_SYS_ADMIN) != 0;
	for (i = 0; i < ARRAY_SIZE(need); i++) {
		if (HAS(need[i].cap) || (admin && need[i].cap != CAP_SYS_PTRACE))
			continue;
		len += snprintf(missing + len, sizeof(missing) - len, "%s%s", len ? ", " : "", need[i].name);
	}
#undef HAS
	if (!len)
		return 0;
	die_line("missing capabilities %s: run as root (sudo redlat ...) or grant them with setcap", missing);
	return -1;
}

static double main_thread_cpu_ns(const struct target *t, int n)
{
	double sum = 0;
	int k;

	for (k = 0; k < n; k++) {
		char path[96];
		unsigned long long run;
		FILE *f;

		if (t[k].ended)
			continue;
		snprintf(path, sizeof(path), PROC_ROOT "/%d/task/%d/schedstat", t[k].proc.pid, t[k].proc.pid);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fscanf(f, "%llu", &run) == 1)
			sum += (double)run;
		fclose(f);
	}
	return sum;
}

/* read() calls of the targets so far (/proc/PID/io syscr). */
static double reads_so_far(const struct target *t, int n)
{
	double sum = 0;
	int k;

	for (k = 0; k < n; k++) {
		char path[64], line[128];
		unsigned long long v;
		FILE *f;

		if (t[k].ended)
			continue;
		snprintf(path, sizeof(path), PROC_ROOT "/%d/io", t[k].proc.pid);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "syscr: %llu", &v) == 1)
				sum += (double)v;
		fclose(f);
	}
	return sum;
}

static int find_targets(const struct config *cfg, struct target **out)
{
	struct redis_proc procs[MAX_TARGETS];
	struct target *t;
	char err[512];
	int n = 0, i, k;

	if (cfg->npids) {
		for (i = 0; i < cfg->npids; i++) {
			if (procs_get(PROC_ROOT, cfg->pids[i], &procs[n], err, sizeof(err))) {
				die_line("%s", err);
				return -1;
			}
			n++;
		}
	} else {
		n = procs_find_all(PROC_ROOT, procs, MAX_TARGETS);
		if (n < 0) {
			die_line("cannot read " PROC_ROOT ": %s", strerror(errno));
			return -1;
		}
		if (!n) {
			die_line("no redis-server or valkey-server process is running; start one or give -p PID");
			return -1;
		}
	}
	t = calloc(n, sizeof(*t));
	if (!t)
		return -1;
	for (i = 0, k = 0; i < n; i++) {
		t[k].proc = procs[i];
		if (target_analyze(&t[k], err, sizeof(err))) {
			die_line("%s", err);
			free(t);
			return -1;
		}
		k++;
	}
	*out = t;
	return k;
}

static int check_alive(struct target *t, int n)
{
	int k, alive = 0;

	for (k = 0; k < n; k++) {
		if (!t[k].ended && !procs_alive(PROC_ROOT, &t[k].proc)) {
			t[k].ended = 1;
			fprintf(stderr, "redlat: pid %d ended; keeping what was gathered\n", t[k].proc.pid);
		}
		alive += !t[k].ended;
	}
	return alive;
}

static void copy_report(struct run_report *dst, const struct run_report *src)
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

/* The table of what happened since the last interval. */
static void print_interval(struct tracer *tr, struct run_report *r, struct run_report *prev)
{
	struct run_report delta = *r;
	time_t now = time(NULL);

	/* estimates lag a window behind: an interval shows what was sampled */
	delta.raw_counts = 1;
	char ts[16];
	size_t i, j;

	if (tracer_collect(tr, r))
		return;
	strftime(ts, sizeof(ts), "%H:%M:%S", localtime(&now));
	printf("\n%s\n", ts);
	delta.insts = calloc(r->ninsts, sizeof(*delta.insts));
	delta.ninsts = delta.insts ? r->ninsts : 0;
	for (i = 0; i < delta.ninsts; i++) {
		struct inst_report *c = &r->insts[i], *d = &delta.insts[i];
		struct inst_report *p = i < prev->ninsts ? &prev->insts[i] : NULL;

		*d = *c;
		d->cmds = NULL;
		d->ncmds = d->cap = 0;
		for (j = 0; j < c->ncmds; j++) {
			const struct cmd_stat *cc = &c->cmds[j];
			struct cmd_stat zero = {}, *pc = p ? inst_cmd(p, cc->name) : &zero;
			struct cmd_stat *dc = inst_cmd(d, cc->name);
			int s;

			if (!pc || !dc)
				continue;
			for (s = 0; s < SPAN_MAX; s++)
				hist_delta(&dc->span[s], &cc->span[s], &pc->span[s]);
			dc->est_count = cc->est_count - pc->est_count;
			dc->est_sum_ns = cc->est_sum_ns - pc->est_sum_ns;
		}
		inst_sort(d);
		if (!d->ncmds || !d->cmds[0].span[SPAN_EXEC].count)
			printf("pid %d: %s\n", d->pid, r->exact ? "no command ran in this interval" :
			       "nothing sampled in this interval (probes off between windows)");
		else
			render_table(stdout, &delta, d);
	}
	fflush(stdout);
	run_report_free(&delta);
	copy_report(prev, r);
}

/* Sampled mode's state between windows. */
struct windows {
	struct sampler smp;
	int in_gap;
	double start, cpu0, reads0, cmds0, hits0;	/* of the window or gap in progress */
	double cmds, cost, cpu_in, reads_in;	/* of the last closed window */
	double len;	/* its probes on: what it sampled */
	double span;	/* len and the time the probes took to come off */
	double next_attach;
};

static double tp_hit_ratio = 0.1;	/* a syscall tracepoint hit, in uprobe hits */

/* Commands seen so far, and the probe hits they cost, counting a pair as
 * two hits and a tracepoint hit at its cost relative to a uprobe's. */
static void probe_counts(struct tracer *tr, double *cmds, double *hits)
{
	unsigned long long st[STAT_MAX];

	tracer_stats(tr, st);
	*cmds = (double)st[STAT_CMD_HITS] + (double)st[STAT_PAIR_HITS];
	*hits = (double)st[STAT_CMD_HITS] + 2.0 * (double)st[STAT_PAIR_HITS] +
		(double)st[STAT_LATE_HITS] + tp_hit_ratio * (double)st[STAT_SYSCALL_HITS];
}

static void weigh(struct tracer *tr, struct run_report *r, double weight)
{
	size_t i;

	tracer_collect(tr, r);
	for (i = 0; i < r->ninsts; i++)
		inst_weigh(&r->insts[i], weight);
}

static void window_open(struct windows *w, struct tracer *tr, double now)
{
	w->in_gap = 0;
	w->start = now;
	w->cpu0 = main_thread_cpu_ns(tr->targets, tr->ntargets);
	w->reads0 = reads_so_far(tr->targets, tr->ntargets);
	probe_counts(tr, &w->cmds0, &w->hits0);
}

/* Close the window in progress: what it saw and what that cost Redis. */
static void window_close(struct windows *w, struct tracer *tr, double now, double hit_ns)
{
	double cmds, hits;

	probe_counts(tr, &cmds, &hits);
	w->cmds = cmds - w->cmds0;
	w->cost = (hits - w->hits0) * hit_ns;
	w->cpu_in = main_thread_cpu_ns(tr->targets, tr->ntargets) - w->cpu0;
	w->reads_in = reads_so_far(tr->targets, tr->ntargets) - w->reads0;
	w->len = w->span = now - w->start;
}

/* Add what detaching cost to the window just closed: hits while the probes
 * came off, and the time it took. What it saw (commands, reads, CPU) stays. */
static void window_late(struct windows *w, struct tracer *tr, double now, double hit_ns)
{
	double cmds, hits;

	probe_counts(tr, &cmds, &hits);
	w->cost = (hits - w->hits0) * hit_ns;
	w->span = now - w->start;
}

/* The gap after a window ends (or the run does): weigh that window's
 * samples by the commands estimated to have run in it and in the gap. */
static void gap_close(struct windows *w, struct tracer *tr, struct run_report *r, double now)
{
	double cmds = sampler_gap_commands_io(w->cmds, w->reads_in,
					      reads_so_far(tr->targets, tr->ntargets) - w->reads0);

	if (cmds < 0)
		cmds = sampler_gap_commands(w->cmds, w->cost, w->cpu_in,
					    main_thread_cpu_ns(tr->targets, tr->ntargets) - w->cpu0);

	if (verbose)
		fprintf(stderr, "window: %.0f cmds, %.0f reads, %.1f ms; gap: %.1f ms, %.0f reads, ~%.0f cmds\n", w->cmds, w->reads_in, w->len / 1e6, (now - w->start) / 1e6, reads_so_far(tr->targets, tr->ntargets) - w->reads0, cmds);
	weigh(tr, r, w->cmds > 0 ? (w->cmds + cmds) / w->cmds : 1);
	sampler_account(&w->smp, w->len, (uint64_t)w->cmds, now - w->start, cmds);
	w->in_gap = 0;
}

/* Returns -1 when re-attaching failed. */
static int windows_step(struct windows *w, struct tracer *tr, struct run_report *r, double now,
			double hit_ns, char *err, size_t errlen)
{
	if (!w->in_gap && now - w->start >= WINDOW_NS) {
		double gap;

		window_close(w, tr, now, hit_ns);
		gap = sampler_gap_ns(&w->smp, w->cost, w->cpu_in, w->len);
		if (gap < 1e6) {	/* within budget: stay attached */
			weigh(tr, r, 1);
			sampler_account(&w->smp, w->len, (uint64_t)w->cmds, 0, 0);
			window_open(w, tr, now);
			return 0;
		}
		/* The gap starts now: what Redis does while the probes come off
		 * is not sampled. Its trapping meanwhile is this window's cost. */
		w->in_gap = 1;
		w->cpu0 = main_thread_cpu_ns(tr->targets, tr->ntargets);
		w->reads0 = reads_so_far(tr->targets, tr->ntargets);
		tracer_detach(tr);
		window_late(w, tr, (double)now_ns(), hit_ns);
		w->start = now;
		w->next_attach = now + sampler_gap_ns(&w->smp, w->cost, w->cpu_in, w->span);
	}
	if (w->in_gap && now >= w->next_attach) {
		gap_close(w, tr, r, now);
		if (tracer_attach(tr, err, errlen))
			return -1;
		window_open(w, tr, now);
	}
	return 0;
}

static void windows_finish(struct windows *w, struct tracer *tr, struct run_report *r, double now,
			   double hit_ns)
{
	if (w->in_gap) {
		gap_close(w, tr, r, now);
		return;
	}
	window_close(w, tr, now, hit_ns);
	weigh(tr, r, 1);
	sampler_account(&w->smp, w->len, (uint64_t)w->cmds, 0, 0);
}

int main(int argc, char **argv)
{
	struct run_report report = { .threshold_ms = DOCTOR_THRESHOLD_MS }, prev = {};
	struct tracer tr = {};
	struct target *targets = NULL;
	struct windows win = {};
	struct calib cal;
	struct config cfg;
	struct sigaction sa = { .sa_handler = on_signal };
	double start, next_interval, next_alive;
	char err[512];
	int n, rc = 1, printed = 0;

	switch (cli_parse(argc, argv, &cfg, stdout, stderr)) {
	case 1:
		return 0;
	case -1:
		return 2;
	}
	verbose = cfg.verbose;
	libbpf_set_print(libbpf_print);
	if (check_privileges())
		return 1;
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		die_line("this kernel has no BTF (/sys/kernel/btf/vmlinux); redlat's CO-RE programs need "
			 "a kernel built with CONFIG_DEBUG_INFO_BTF=y");
		return 1;
	}
	n = find_targets(&cfg, &targets);
	if (n <= 0)
		return 1;
	if (calib_run(&cal, err, sizeof(err))) {
		die_line("%s", err);
		goto out;
	}
	if (tracer_open(&tr, targets, n, cal.pair_bias_ns, err, sizeof(err))) {
		die_line("%s", err);
		goto out;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	report.exact = cfg.exact;
	tp_hit_ratio = TP_HIT_NS / cal.hit_ns;
	report.hit_ns = cal.hit_ns;
	report.pair_bias_ns = cal.pair_bias_ns;
	report.budget = cfg.budget_pct / 100;
	sampler_init(&win.smp, report.budget, WINDOW_NS, MAX_GAP_NS);
	if (tracer_attach(&tr, err, sizeof(err))) {
		die_line("%s", err);
		goto out;
	}
	start = (double)now_ns();
	window_open(&win, &tr, start);
	next_interval = start + cfg.interval_s * 1e9;
	next_alive = start + 0.5e9;
	fprintf(stderr, "redlat: tracing %d Redis instance%s (%s mode%s)%s\n", n, n > 1 ? "s" : "",
		cfg.exact ? "exact" : "sampled", cfg.exact ? "" : ", --exact to probe every command",
		cfg.duration_s ? "" : "; Ctrl-C to end");

	while (!exiting) {
		double now = (double)now_ns();

		if (cfg.duration_s && now - start >= cfg.duration_s * 1e9)
			break;
		if (now >= next_alive) {
			next_alive = now + 0.5e9;
			if (!check_alive(targets, n))
				break;
		}
		if (!cfg.exact && windows_step(&win, &tr, &report, now, cal.hit_ns, err, sizeof(err))) {
			die_line("%s", err);
			goto out;
		}
		if (cfg.interval_s && now >= next_interval && !cfg.json) {
			report.duration_s = (now - start) / 1e9;
			print_interval(&tr, &report, &prev);
			next_interval += cfg.interval_s * 1e9;
			if (cfg.count && ++printed >= cfg.count)
				break;
		}
		usleep(10000);
	}

	if (!cfg.exact)
		windows_finish(&win, &tr, &report, (double)now_ns(), cal.hit_ns);
	report.duration_s = ((double)now_ns() - start) / 1e9;
	tracer_collect(&tr, &report);
	tracer_detach(&tr);
	tracer_stats(&tr, report.stats);
	report.attached_s = win.smp.attached_ns / 1e9;
	report.windows = win.smp.windows;
	report.scale = cfg.exact ? 1 : sampler_scale(&win.smp);
	for (size_t i = 0; i < report.ninsts; i++)
		inst_sort(&report.insts[i]);
	if (cfg.json)
		render_json(stdout, &report);
	else if (!cfg.interval_s || !cfg.count)
		render_text(stdout, &report, cfg.histograms);
	rc = 0;
out:
	tracer_close(&tr);
	run_report_free(&report);
	run_report_free(&prev);
	free(targets);
	return rc;
}
