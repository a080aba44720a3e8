/* SPDX-License-Identifier: GPL-2.0 */
#ifndef REDLAT_CLI_H
#define REDLAT_CLI_H

#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>

#define MAX_TARGETS 32
#define REDLAT_VERSION "0.1.0"

struct config {
	pid_t pids[MAX_TARGETS];
	int npids;
	double duration_s;	/* 0: until Ctrl-C / SIGTERM */
	int follow;		/* trace the restarts of instances that end */
	double interval_s;	/* 0: one report at the end */
	long count;		/* intervals to print; 0: unlimited */
	int exact;
	double budget_pct;	/* sampled mode: share of Redis's time probes may take */
	int stalls_only;	/* fork/persistence/fsync stalls, no command probes */
	int every_iteration;	/* syscall tracepoints on all run: every iteration timed */
	double threshold_ms;	/* events and doctor spikes from this long (default 10) */
	int events;		/* stream events as they happen */
	int json;
	const char *replay;	/* --replay FILE: render a saved JSON report */
	const char *svg;	/* --svg FILE: the picture of the run; NULL: none */
	int histograms;		/* per-command histograms: 0 top few, 1 all */
	int verbose;
	/* --serve [ADDR:]PORT: OpenMetrics on this address (loopback unless
	 * told otherwise) */
	int serve;
	struct sockaddr_storage serve_addr;
	socklen_t serve_addrlen;
	char serve_text[64];	/* as given, "127.0.0.1:9187", for messages */
};

/* 0: run; 1: --help or --version was printed, exit 0; -1: bad usage, a
 * one-line error was written to err, exit 2. */
int cli_parse(int argc, char **argv, struct config *cfg, FILE *out, FILE *err);

/* [ADDR:]PORT with a numeric IPv4 address or a bracketed IPv6 one
 * ("9187", "0.0.0.0:9187", "[::1]:9187"); the address defaults to
 * 127.0.0.1. 0, or -1 with a one-line reason in err. */
int parse_listen(const char *s, struct sockaddr_storage *sa, socklen_t *len, char *err, size_t errlen);

#endif
