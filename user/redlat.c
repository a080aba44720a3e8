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
#include "follow.h"
#include "histo.h"
#include "memfacts.h"
#include "privs.h"
#include "procs.h"
#include "report.h"
#include "serve.h"
#include "stalls_user.h"
#include "svg.h"
#include "target.h"
#include "tracer.h"
#include "util.h"
#include "windows.h"

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

/* Once attached, redlat gives up what it no longer needs. Sampled mode
 * attaches its uprobes again every window, and --follow attaches them to
 * each restart (reading its binary first): they keep CAP_SYS_ADMIN, and
 * CAP_DAC_READ_SEARCH for the binary's path, looked up again each time
 * through directories that may be closed to other users. So does
 * --stalls-only (unless the syscall tracepoints are on all run long): a
 * target that opens an AOF gets them, and its fsync probes come off, to
 * go on again on its binary when it closes it. Every
 * mode keeps CAP_SYS_PTRACE, to see that a target is still there (its
 * /proc/PID/exe) and, sampled, to read its /proc/PID/io. Reading the maps
 * takes no capability on this kernel; some (before 6.5, with unprivileged
 * BPF off) refuse every bpf() command without CAP_BPF: that is tried with
 * the capabilities out of the effective set before they go for good. */
static void drop_privileges(const struct config *cfg, struct tracer *tr)
{
	uint64_t keep = PRIV(CAP_SYS_PTRACE);

	if ((!cfg->exact && !cfg->stalls_only) || cfg->follow || (cfg->stalls_only && !tr->tps_always))
		keep |= PRIV(CAP_SYS_ADMIN) | PRIV(CAP_DAC_READ_SEARCH);
	else if (privs_keep(keep, 1) || !tracer_maps_readable(tr))
		keep |= PRIV(CAP_SYS_ADMIN) | PRIV(CAP_BPF);
	if (privs_keep(keep, 0))
		fprintf(stderr, "redlat: could not drop capabilities: %s\n", strerror(errno));
	else if (cfg->verbose)
		fprintf(stderr, "redlat: capabilities kept once attached: %#llx\n",
			(unsigned long long)privs_effective());
}

/* The reason to give for a failure during start-up: a target that exited
 * meanwhile explains it better than the failed step's own error. */
static const char *started_up(const struct target *t, int n, const char *err)
{
	static char line[160];
	int k;

	for (k = 0; k < n; k++)
		if (!procs_alive(PROC_ROOT, &t[k].proc)) {
			snprintf(line, sizeof(line), "pid %d exited while redlat was starting; nothing was traced",
				 t[k].proc.pid);
			return line;
		}
	return err;
}

static int find_targets(const struct config *cfg, struct target **out)
{
	struct redis_proc procs[MAX_TARGETS];
	struct target *t;
	char err[512];
	int n = 0, i, k;

	if (procs_check_root(PROC_ROOT, err, sizeof(err))) {
		die_line("%s", err);
		return -1;
	}
	if (cfg->npids) {
		for (i = 0; i < cfg->npids; i++) {
			if (procs_get(PROC_ROOT, cfg->pids[i], &procs[n], err, sizeof(err))) {
				die_line("%s", err);
				return -1;
			}
			n++;
		}
	} else {
		int found = 0;

		n = procs_find_all(PROC_ROOT, procs, MAX_TARGETS, &found);
		if (n < 0) {
			die_line("cannot read " PROC_ROOT ": %s", strerror(errno));
			return -1;
		}
		if (!n) {
			die_line("no redis-server or valkey-server process is running; start one or give -p PID");
			return -1;
		}
		if (found > n)
			fprintf(stderr, "redlat: %d Redis servers run here; tracing the first %d found, %d not "
				"traced: give -p PID (up to %d times) to choose which\n", found, n, found - n,
				MAX_TARGETS);
	}
	t = calloc(n, sizeof(*t));
	if (!t)
		return -1;
	for (i = 0, k = 0; i < n; i++) {
		t[k].proc = procs[i];
		if (target_analyze(&t[k], err, sizeof(err))) {
			const char *why = started_up(&t[k], 1, err);

			if (cfg->npids || n == 1) {
				die_line("%s", why);
				free(t);
				return -1;
			}
			/* found, not asked for: one Redis that cannot be traced
			 * (an odd build, gone meanwhile) does not stop the rest */
			fprintf(stderr, "redlat: skipping: %s\n", why);
			continue;
		}
		k++;
	}
	if (!k) {
		die_line("none of the %d redis-server or valkey-server processes can be traced (see above)", n);
		free(t);
		return -1;
	}
	*out = t;
	return k;
}

/* The targets still running; those that ended lose their probes and keep
 * what they gave. */
static int check_alive(struct tracer *tr, int follow)
{
	double now = boottime_s();
	int k, alive = 0;

	for (k = 0; k < tr->ntargets; k++) {
		struct target *g = &tr->targets[k];

		if (g->ended)
			continue;
		if (procs_alive(PROC_ROOT, &g->proc)) {
			g->seen_alive_s = now;
			alive++;
			continue;
		}
		g->ended = 1;
		tracer_target_ended(tr, k);
		fprintf(stderr, "redlat: pid %d ended; keeping what was gathered%s\n", g->proc.pid,
			follow ? "; waiting for its restart (--follow)" : "");
	}
	return alive;
}

static void print_ports(FILE *f, const struct redis_proc *p)
{
	int i;

	for (i = 0; i < p->nports; i++)
		fprintf(f, "%s%d", i ? "," : " port ", p->ports[i]);
}

/* said once a run: more servers than follow_restarts looks among */
static int warned_many;

/* --follow: trace the restarts of the targets that ended (follow.h says
 * which process is one). Returns the restarts now traced. */
static int follow_restarts(struct tracer *tr, struct run_report *report)
{
	struct redis_proc procs[MAX_TARGETS];
	struct follow_proc lost[MAX_INSTS], cand[MAX_TARGETS];
	int lk[MAX_INSTS], match[MAX_INSTS];
	int nlost = 0, ncand = 0, n, i, k, found = 0, servers = 0;
	char err[512];

	for (k = 0; k < tr->ntargets; k++) {
		if (!tr->targets[k].ended || tr->targets[k].restart_seen)
			continue;
		lost[nlost] = (struct follow_proc){ &tr->targets[k].proc, tr->targets[k].seen_alive_s };
		lk[nlost++] = k;
	}
	if (!nlost)
		return 0;
	n = procs_find_all(PROC_ROOT, procs, MAX_TARGETS, &servers);
	if (servers > n && !warned_many) {
		warned_many = 1;
		fprintf(stderr, "redlat: %d Redis servers run here; --follow looks for restarts among the "
			"first %d found only\n", servers, n);
	}
	for (i = 0; i < n; i++) {
		for (k = 0; k < tr->ntargets && tr->targets[k].proc.pid != procs[i].pid; k++)
			;
		if (k == tr->ntargets)	/* not traced yet */
			cand[ncand++] = (struct follow_proc){ &procs[i], procs_start_s(PROC_ROOT, procs[i].pid) };
	}
	follow_match(lost, nlost, cand, ncand, boottime_s(), match);
	for (i = 0; i < nlost; i++) {
		struct target *old = &tr->targets[lk[i]], g;

		if (match[i] < 0)
			continue;
		old->restart_seen = 1;
		memset(&g, 0, sizeof(g));
		g.proc = *cand[match[i]].proc;
		fprintf(stderr, "redlat: pid %d restarted pid %d (%s", g.proc.pid, old->proc.pid, g.proc.exe);
		print_ports(stderr, &g.proc);
		if (tr->ntargets >= MAX_INSTS) {
			report->not_followed++;
			fprintf(stderr, "); not traced: a run traces at most %d instances\n", MAX_INSTS);
			continue;
		}
		if (target_analyze(&g, err, sizeof(err))) {
			fprintf(stderr, "); not traced: %s\n", err);
			continue;
		}
		g.restart_of = old->proc.pid;
		g.since_wall = (double)time(NULL);
		g.seen_alive_s = boottime_s();
		g.majflt0 = memfacts_major_faults(PROC_ROOT, g.proc.pid);
		if (tracer_add(tr, &g, err, sizeof(err))) {
			fprintf(stderr, "); not traced: %s\n", err);
			continue;
		}
		target_io_start(&tr->targets[tr->ntargets - 1]);
		fprintf(stderr, "); tracing it\n");
		found++;
	}
	return found;
}

/* The table of what happened since the last interval. */
/* Iterations were timed in the sampling windows only if the syscall
 * tracepoints came off at some point: an idle Redis stays probed, an open
 * AOF keeps them on. */
static int loops_windowed(const struct run_report *r, const struct tracer *tr)
{
	return !r->exact && !r->stalls_only && tr->tps_were_off;
}

static void print_interval(struct tracer *tr, struct run_report *r, struct run_report *prev)
{
	static struct stall_mark marks[MAX_INSTS];
	struct run_report delta = *r;
	time_t now = time(NULL);

	/* estimates lag a window behind: an interval shows what was sampled */
	delta.raw_counts = 1;
	char ts[16];
	size_t i, j;

	if (tracer_collect(tr, r))
		return;
	delta.loops_windowed = loops_windowed(r, tr);
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
		}
		inst_sort(d);
		if (r->stalls_only)
			;
		else if (!d->ncmds || !d->cmds[0].span[SPAN_EXEC].count)
			printf("pid %d: %s\n", d->pid, r->exact ? "no command ran in this interval" :
			       "nothing sampled in this interval (probes off between windows)");
		else
			render_table(stdout, &delta, d);
		if (c->st)
			render_stall_lines(stdout, r, c, &marks[i]);
	}
	fflush(stdout);
	run_report_free(&delta);
	report_copy(prev, r);
}

/* Memory facts for the doctor, read from /proc and /sys at the end of the
 * run; major faults counted since each target's majflt0, read when its
 * tracing began. */
static void read_memfacts(struct run_report *r, const struct target *t)
{
	size_t i;

	if (memfacts_thp_setting(THP_ENABLED_PATH, r->thp_enabled, sizeof(r->thp_enabled)))
		r->thp_enabled[0] = 0;
	for (i = 0; i < r->ninsts; i++) {
		struct inst_report *in = &r->insts[i];
		long long m = t[i].ended ? -1 : memfacts_major_faults(PROC_ROOT, in->pid);

		in->anon_huge_bytes = t[i].ended ? -1 : memfacts_anon_huge(PROC_ROOT, in->pid);
		in->swap_bytes = t[i].ended ? -1 : memfacts_swap(PROC_ROOT, in->pid);
		in->major_faults = m >= 0 && t[i].majflt0 >= 0 ? m - t[i].majflt0 : -1;
	}
}

/* Exact mode: a timeline slice per second, from the maps' differences. */
static void exact_slice(struct tracer *tr, struct run_report *r, struct run_report *snap,
			double *t0, double now)
{
	double t1 = stalls_wall((__u64)now);
	size_t i;

	if (tracer_collect(tr, r))
		return;
	for (i = 0; i < r->ninsts; i++)
		timeline_add(&r->tl, (int)i, &r->insts[i], i < snap->ninsts ? &snap->insts[i] : NULL,
			     *t0, t1);
	report_copy(snap, r);
	*t0 = t1;
}

/* --svg FILE, created before the run, so that a path that cannot be
 * written stops it before it starts, not after. 0, or 1 with the error
 * said. */
static int svg_open(const struct config *cfg, FILE **f)
{
	*f = NULL;
	if (cfg->svg && !(*f = fopen(cfg->svg, "w"))) {
		die_line("cannot create --svg file '%s': %s", cfg->svg, strerror(errno));
		return 1;
	}
	return 0;
}

/* The run's picture into the --svg file (r NULL: the run failed, and the
 * file it would have held goes). 0, or 1 with the error said. */
static int svg_finish(const struct config *cfg, FILE *f, const struct run_report *r)
{
	if (!f)
		return 0;
	if (!r) {
		fclose(f);
		unlink(cfg->svg);
		return 0;
	}
	if (render_svg(f, r) | fclose(f)) {
		die_line("cannot write --svg file '%s': %s", cfg->svg, strerror(errno));
		return 1;
	}
	return 0;
}

/* --replay: render a saved run; no BPF, no privileges. */
static int replay(const struct config *cfg)
{
	struct run_report r;
	char err[512];
	FILE *svg;
	int rc;

	if (svg_open(cfg, &svg))
		return 1;
	if (report_from_json(cfg->replay, &r, err, sizeof(err))) {
		die_line("%s", err);
		svg_finish(cfg, svg, NULL);
		return 1;
	}
	if (cfg->json)
		render_json(stdout, &r);
	else
		render_text(stdout, &r, cfg->histograms);
	rc = svg_finish(cfg, svg, &r);
	report_loaded_free(&r);
	return rc;
}

/* --serve: the report so far, collected and rendered here in the main
 * loop, since the stall data belong to the tracer and only this thread may
 * touch libbpf; the HTTP thread only copies the text out. */
static void publish(struct serve *srv, struct tracer *tr, struct run_report *r,
		    const struct windows *win, double start, int collected)
{
	r->duration_s = ((double)now_ns() - start) / 1e9;
	if (!collected && tracer_collect(tr, r))
		return;
	tracer_stats(tr, r->stats);
	tracer_stall_stats(tr, r->stall_stats);
	r->attached_s = win->smp.attached_ns / 1e9;
	r->windows = win->smp.windows;
	r->loops_windowed = loops_windowed(r, tr);
	serve_publish(srv, r);
}

int main(int argc, char **argv)
{
	struct run_report report = {}, prev = {}, slice_snap = {};
	struct tracer tr = {};
	struct target *targets = NULL;
	struct windows win = {};
	struct serve *srv = NULL;
	struct calib cal;
	struct config cfg;
	struct sigaction sa = { .sa_handler = on_signal };
	FILE *svg = NULL;
	double start, next_interval, next_alive, next_slice, slice_t0, next_publish, next_tidy;
	char err[512];
	int n, i, rc = 1, printed = 0, alive, waiting = 0, dropped = 0;

	switch (cli_parse(argc, argv, &cfg, stdout, stderr)) {
	case 1:
		return 0;
	case -1:
		return 2;
	}
	verbose = cfg.verbose;
	if (cfg.replay)
		return replay(&cfg);
	libbpf_set_print(libbpf_print);
	if (privs_check(err, sizeof(err))) {
		die_line("%s", err);
		return 1;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		die_line("this kernel has no BTF (/sys/kernel/btf/vmlinux); redlat's CO-RE programs need "
			 "a kernel built with CONFIG_DEBUG_INFO_BTF=y");
		return 1;
	}
	if (cfg.serve && !(srv = serve_bind((struct sockaddr *)&cfg.serve_addr, cfg.serve_addrlen,
					    cfg.serve_text, err, sizeof(err)))) {
		die_line("%s", err);
		return 1;
	}
	n = find_targets(&cfg, &targets);
	if (n <= 0) {
		serve_stop(srv);
		return 1;
	}
	for (int k = 0; k < n; k++)
		targets[k].majflt0 = memfacts_major_faults(PROC_ROOT, targets[k].proc.pid);
	if (svg_open(&cfg, &svg)) {
		serve_stop(srv);
		free(targets);
		return 1;
	}
	for (i = 0; i < n; i++)
		targets[i].seen_alive_s = boottime_s();
	memset(&cal, 0, sizeof(cal));
	if (calib_run(&cal, err, sizeof(err))) {
		die_line("%s", err);
		goto out;
	}
	if (tracer_open(&tr, targets, n, cal.pair_bias_ns, cfg.threshold_ms * 1e6, !cfg.stalls_only,
			err, sizeof(err))) {
		die_line("%s", err);
		goto out;
	}
	tracer_set_probe_cost(&tr, cal.hit_ns);
	free(targets);	/* the tracer has its own copy, with room for restarts */
	targets = NULL;
	stalls_clock_init();
	if (cfg.events) {
		tr.events_out = cfg.json ? stderr : stdout;
		fprintf(tr.events_out, "%-12s %7s %-15s %-24s %9s  %s\n", "TIME", "PID", "THREAD", "EVENT",
			"DURATION", "DETAILS");
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	report.exact = cfg.exact;
	report.stalls_only = cfg.stalls_only;
	report.threshold_ms = cfg.threshold_ms;
	report.hit_ns = cal.hit_ns;
	report.pair_bias_ns = cal.pair_bias_ns;
	report.budget = cfg.budget_pct / 100;
	tr.want_tps = cfg.exact || cfg.every_iteration;
	if (tracer_start(&tr, err, sizeof(err)) ||
	    (!cfg.stalls_only && tracer_attach(&tr, err, sizeof(err)))) {
		die_line("%s", started_up(tr.targets, tr.ntargets, err));
		goto out;
	}
	/* --serve's thread must start with no more than redlat keeps: in
	 * exact mode with --serve a silent command hook cannot fall back */
	if (!cfg.exact || srv) {
		drop_privileges(&cfg, &tr);
		dropped = 1;
	}
	start = (double)now_ns();
	report.start_wall = stalls_wall((__u64)start);
	if (cfg.exact)
		tracer_enable(&tr);
	else if (!cfg.stalls_only)
		windows_start(&win, &tr, report.budget, cal.hit_ns, verbose, start);
	next_interval = start + cfg.interval_s * 1e9;
	next_alive = start + 0.5e9;
	next_tidy = start + 5e9;
	next_slice = start + 1e9;
	slice_t0 = stalls_wall((__u64)start);
	next_publish = start + 1e9;
	if (srv) {
		publish(srv, &tr, &report, &win, start, 0);
		if (serve_start(srv, err, sizeof(err))) {
			die_line("%s", err);
			goto out;
		}
		fprintf(stderr, "redlat: serving OpenMetrics on http://%s/metrics\n", cfg.serve_text);
	}
	fprintf(stderr, "redlat: tracing %d Redis instance%s (%s mode%s)%s\n", n, n > 1 ? "s" : "",
		cfg.stalls_only ? "stalls-only" : cfg.exact ? "exact" : "sampled",
		cfg.exact || cfg.stalls_only ? "" : ", --exact to probe every command",
		cfg.duration_s ? "" : "; Ctrl-C to end");

	while (!exiting) {
		double now = (double)now_ns();
		int sliced;

		if (cfg.duration_s && now - start >= cfg.duration_s * 1e9)
			break;
		/* Exact mode gives up CAP_SYS_ADMIN, and with it the means to
		 * attach a fallback, once each command hook has fired (or has
		 * nothing left to fall back to): until then it checks them at
		 * every turn. */
		if (!dropped) {
			tracer_verify(&tr, stderr);
			if (tracer_cmd_settled(&tr)) {
				drop_privileges(&cfg, &tr);
				dropped = 1;
			}
		}
		if (now >= next_alive) {
			next_alive = now + 0.5e9;
			tracer_verify(&tr, stderr);
			alive = check_alive(&tr, cfg.follow);
			if (cfg.follow)
				alive += follow_restarts(&tr, &report);
			if (!alive && !cfg.follow)
				break;
			if (!alive && !waiting)
				fprintf(stderr, "redlat: no traced instance is running; waiting for a restart "
					"(--follow)%s\n", cfg.duration_s ? "" : "; Ctrl-C to end");
			waiting = !alive;
		}
		tracer_check_aof(&tr, now);
		if (now >= next_tidy) {
			next_tidy = now + 5e9;
			tracer_tidy(&tr);
		}
		if (!cfg.exact && !cfg.stalls_only && windows_step(&win, &tr, &report, now, err, sizeof(err))) {
			die_line("%s", err);
			goto out;
		}
		sliced = cfg.exact && now >= next_slice;
		if (sliced) {
			exact_slice(&tr, &report, &slice_snap, &slice_t0, now);
			next_slice += 1e9;
		}
		if (cfg.interval_s && now >= next_interval && !cfg.json) {
			report.duration_s = (now - start) / 1e9;
			print_interval(&tr, &report, &prev);
			next_interval += cfg.interval_s * 1e9;
			if (cfg.count && ++printed >= cfg.count)
				break;
		}
		/* Sampled mode reads the maps between windows, as windows.c does:
		 * the reading takes CPU from Redis, and commands it preempts
		 * inside a window would count as slow. A Redis light enough to
		 * stay probed all along has no gap: it waits at most 4 s more.
		 * Exact mode publishes what its timeline slice just read. */
		if (srv && (cfg.exact ? sliced : now >= next_publish &&
			    (cfg.stalls_only || !windows_recording(&win) || now >= next_publish + 4e9))) {
			publish(srv, &tr, &report, &win, start, sliced);
			next_publish = now + 1e9;
		}
		tracer_poll(&tr, 10);
	}
	serve_stop(srv);	/* the end-of-run report follows */
	srv = NULL;

	if (!cfg.exact && !cfg.stalls_only)
		windows_finish(&win, &tr, &report, (double)now_ns());
	report.duration_s = ((double)now_ns() - start) / 1e9;
	tracer_disable(&tr);	/* counts and stats from the same moment */
	tracer_poll(&tr, 0);	/* stall events still in the ring buffer */
	if (cfg.exact)
		exact_slice(&tr, &report, &slice_snap, &slice_t0, (double)now_ns());
	else
		tracer_collect(&tr, &report);
	report.end_wall = stalls_wall(now_ns());
	read_memfacts(&report, tr.targets);
	tracer_stall_stats(&tr, report.stall_stats);
	tracer_detach(&tr);
	tracer_stats(&tr, report.stats);
	report.attached_s = win.smp.attached_ns / 1e9;
	report.windows = win.smp.windows;
	report.loops_windowed = loops_windowed(&report, &tr);
	report.scale = cfg.exact || cfg.stalls_only ? 1 : run_scale(&report);
	for (size_t i = 0; i < report.ninsts; i++)
		inst_sort(&report.insts[i]);
	if (cfg.json)
		render_json(stdout, &report);
	else if (!cfg.interval_s || !cfg.count)
		render_text(stdout, &report, cfg.histograms);
	rc = svg_finish(&cfg, svg, &report);
	svg = NULL;
out:
	serve_stop(srv);
	svg_finish(&cfg, svg, NULL);	/* the run failed: no empty file left */
	tracer_close(&tr);
	run_report_free(&win.snap);
	run_report_free(&report);
	run_report_free(&prev);
	run_report_free(&slice_snap);
	timeline_free(&report.tl);
	free(targets);
	return rc;
}
