/* SPDX-License-Identifier: GPL-2.0 */
/* What a run measured, as plain structs, and its renderers. Renderers take a
 * FILE * and never touch libbpf, so tests render into memory and compare. */
#ifndef REDLAT_REPORT_H
#define REDLAT_REPORT_H

#include <stdio.h>
#include <sys/types.h>
#include "commands.h"
#include "hooks_user.h"
#include "stalls.h"
#include "procs.h"

/* The percentiles every renderer shows. */
#define NPCTS 4
extern const double report_pcts[NPCTS];	/* 50, 90, 99, 99.9 */

struct cmd_stat {
	char name[CMD_NAME_LEN];
	struct hist span[SPAN_MAX];
	/* sampled mode: lowest and highest execution percentiles of single
	 * windows (those with enough samples of the command): windows are
	 * samples in time, and their spread belongs in the stated error */
	double win_lo[NPCTS], win_hi[NPCTS];
	unsigned nwin;
	/* sampled mode: executions estimated for the run, each window's
	 * samples weighted by the reads of the time it stands for */
	double est_count, est_sum_ns, est_var;
	__u64 seen_count, seen_sum_ns;	/* samples weighted so far */
	__u64 last_n, last_sum_ns;	/* the last weighted batch */
	double last_w;
};

struct inst_report {
	pid_t pid;
	char exe[PATH_MAX];
	char version[32];
	char product[16];
	int ports[MAX_PORTS];
	int nports;
	int ended;		/* the process went away during the run */
	pid_t restart_of;	/* --follow: the ended instance this one restarted */
	double since_wall;	/* --follow: traced from (unix time), 0 from the start */
	char probes[256];	/* where it was probed, for the record */
	char missing[512];	/* rare-event functions absent, and what that loses */
	/* each hook's strategy and whether it fired (none in older reports) */
	struct hook_status hooks[HOOK_REPORTED];
	int nhooks;
	struct inst_stalls *st;	/* forks, fsyncs, ...: owned by the tracer */
	/* memory facts read from /proc at the end of the run, for the doctor;
	 * -1 when unknown */
	long long anon_huge_bytes;	/* AnonHugePages (transparent huge pages) */
	long long swap_bytes;		/* VmSwap */
	long long major_faults;		/* of the process, during the run */
	struct cmd_stat *cmds;
	size_t ncmds, cap;
};

struct inst_stalls;

/* The run in time, for pictures: per instance and per slice (a second in
 * exact mode, a window in sampled mode), the executions of Redis's two
 * command classes by latency bucket. Bucket 0 is < 1 us, bucket k (k > 0)
 * holds [2^(k-1), 2^k) us, and the last one everything above. */
#define TL_BUCKETS 24
enum { TL_FAST, TL_SLOW, TL_CLASSES };	/* fast-command, command */
/* Slices kept, all instances together (408 bytes each: 1.6 MB): at this
 * many, the older half is merged pairwise, so that a run of days stays
 * bounded, the newer half keeps its resolution and the oldest slices get
 * wider each time. Counts are summed, never dropped. */
#define TL_MAX_SLICES 4096
struct tl_slice {
	int inst;		/* index in run_report.insts */
	double t, len_s;	/* unix time of the slice's start, its length */
	__u64 n[TL_CLASSES][TL_BUCKETS];	/* 64 bits: merged slices add up */
};
struct timeline {
	struct tl_slice *s;
	size_t n, cap;
};

struct run_report {
	int exact;
	double duration_s;
	double start_wall;	/* unix time tracing began; 0: unknown (the data's span) */
	double hit_ns;		/* measured cost of one probe hit */
	double pair_bias_ns;	/* measured bias of an entry/return pair */
	/* sampled mode */
	double budget;
	double attached_s;
	unsigned long windows;
	double scale;		/* estimated commands / sampled commands, for display */
	unsigned long long stats[STAT_MAX];
	unsigned long long stall_stats[SST_MAX];
	unsigned long not_followed;	/* --follow: restarts past MAX_INSTS */
	int stalls_only;
	int loops_windowed;	/* sampled mode: iterations timed in the windows only */
	struct inst_report *insts;
	size_t ninsts;
	double threshold_ms;	/* latency-monitor-threshold of the doctor section */
	double end_wall;	/* unix time of the run's end (0: unknown) */
	char thp_enabled[16];	/* the host's THP setting ("always", ...; "": unknown) */
	int raw_counts;		/* sampled mode: show what was sampled, not estimates */
	/* owned by whoever filled it: run_report_free and report_copy leave
	 * it alone (freed by timeline_free) */
	struct timeline tl;
};

/* Bucket of an execution time, and the lowest time of a bucket (ns). */
int tl_bucket(double ns);
double tl_bucket_low_ns(int k);
/* Add a slice from t0 to t1 (unix time) for instance index inst: the
 * executions in cur that prev (the same instance earlier; NULL: none)
 * did not hold yet. Nothing is added when no command ran. -1 on ENOMEM. */
int timeline_add(struct timeline *tl, int inst, const struct inst_report *cur,
		 const struct inst_report *prev, double t0, double t1);
/* Append sl (later than every slice of its instance), merging older ones
 * first at TL_MAX_SLICES. -1 on ENOMEM. */
int timeline_push(struct timeline *tl, const struct tl_slice *sl);
void timeline_free(struct timeline *tl);

/* Sampled mode, at the end of a window: fold the window's own percentiles
 * (cur less the snapshot taken at the previous window's end) into the
 * spread. prev may be NULL. */
void inst_window_spread(struct inst_report *cur, struct inst_report *prev);
/* The 95% range of percentile report_pcts[k] of a sampled command: the
 * i.i.d. range, widened to the spread of single windows. */
void cmd_pct_range(const struct cmd_stat *c, int k, double *lo, double *hi);

/* Sampled mode: weigh the samples gathered since the last call (a window's)
 * by weight; inst_weigh_more() raises the last batch's weight by extra. */
void inst_weigh(struct inst_report *in, double weight);
void inst_weigh_more(struct inst_report *in, double extra);
/* Estimated commands over commands seen, over the whole run (1 if none). */
double run_scale(const struct run_report *r);

/* Estimated executions and their total time (exact mode: the counts). */
double cmd_est_count(const struct run_report *r, const struct cmd_stat *c);
double cmd_est_sum(const struct run_report *r, const struct cmd_stat *c);

/* Find or add a command of an instance. NULL on allocation failure. */
struct cmd_stat *inst_cmd(struct inst_report *in, const char *name);
/* Sort commands by total execution time, largest first. */
void inst_sort(struct inst_report *in);
void run_report_free(struct run_report *r);
/* dst becomes a deep copy of src's instances and commands. */
void report_copy(struct run_report *dst, const struct run_report *src);

/* Table of one instance (name, count, total, mean, p50, p90, p99, p99.9,
 * max, for execution and response). */
void render_table(FILE *f, const struct run_report *r, const struct inst_report *in);
/* The whole end-of-run report: header, tables, histograms, doctor. */
void render_text(FILE *f, const struct run_report *r, int all_histograms);
struct json_object;
/* The doctor's lines (events with their figures) and advice, for JSON:
 * derived from the rest of the document, so --replay ignores it. */
struct json_object *doctor_json(const struct run_report *r, const struct inst_report *in);
/* One "drops: ..." line of what was counted but not recorded, if anything
 * was. */
void render_drops(FILE *f, const struct run_report *r);
/* Stall events past MAX_STALL_EVENTS, over all instances. */
unsigned long long run_not_kept(const struct run_report *r);
/* The LATENCY DOCTOR-style section. */
void render_doctor(FILE *f, const struct run_report *r, const struct inst_report *in);
int render_json(FILE *f, const struct run_report *r);
/* --replay: the report a JSON document of render_json() holds, with its own
 * inst_stalls and timeline; free it with report_loaded_free(). -1 with a
 * one-line err when the file is unreadable or not a redlat report. */
int report_from_json(const char *path, struct run_report *r, char *err, size_t errlen);
void report_loaded_free(struct run_report *r);
/* The JSON names of run_report.stats[] and .stall_stats[] */
const char *report_stat_key(int k);
const char *report_stall_stat_key(int k);
/* Where the last interval's stall lines stopped. */
struct stall_mark {
	size_t nforks;
	__u64 events_end;	/* events that ended after this are new */
};
/* One line per fork and per stall event of the threshold or more since
 * mark, for interval output; advances mark. */
void render_stall_lines(FILE *f, const struct run_report *r, const struct inst_report *in,
			struct stall_mark *mark);
/* Forks, fsyncs, AOF writes and stall events of an instance. */
void render_stalls(FILE *f, const struct run_report *r, const struct inst_report *in);

/* Redis's command / fast-command classes: 1 if the command carries the
 * CMD_FAST flag in Redis 7. */
int is_fast_command(const char *name);

#endif
