// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <string.h>
#include "cli.h"
#include "util.h"

static const char usage[] =
"Usage: redlat [OPTIONS] [INTERVAL [COUNT]]\n"
"Per-command latency, fork, persistence and fsync stalls of the redis-server\n"
"(and valkey-server) processes on this host, traced with eBPF: no connection\n"
"to Redis, no config change.\n"
"\n"
"  -p, --pid PID             trace this process (repeatable); default: every\n"
"                            redis-server and valkey-server on the host\n"
"  -d, --duration SECONDS    stop after SECONDS (default: Ctrl-C or SIGTERM)\n"
"  -f, --follow              when a traced instance ends, wait for its restart\n"
"                            (the same port, else the same binary) and trace it\n"
"      --exact               probe every command (costly: see BENCHMARKS.md)\n"
"      --overhead-budget PCT share of Redis's CPU time sampled probing may take\n"
"                            (default 2, range 0.1-50)\n"
"      --every-iteration     time every event-loop iteration, not only in the\n"
"                            sampling windows: keeps the syscall tracepoints\n"
"                            on, which every syscall on the host pays for\n"
"      --stalls-only         fork, persistence and fsync stalls only: no\n"
"                            per-command probes, no main-thread accounting\n"
"                            (the cheapest mode)\n"
"  -t, --threshold MS        a stall or command this long is an event and a\n"
"                            doctor spike (default 10, like slowlog's 10000 us)\n"
"  -e, --events              print each event (slow command, event-loop\n"
"                            iteration, fork, fsync, blocked write) as it\n"
"                            happens, as bcc's *slower tools do\n"
"  -j, --json                write the report as JSON\n"
"      --replay FILE         render the report a --json run saved in FILE (no\n"
"                            BPF, no root); with -j, write it as JSON again\n"
"      --serve [ADDR:]PORT   keep running and serve OpenMetrics at\n"
"                            http://ADDR:PORT/metrics (ADDR defaults to\n"
"                            127.0.0.1; give 0.0.0.0 or [::] to expose it)\n"
"      --svg FILE            also draw the run into FILE (SVG): stalls by kind\n"
"                            on a timeline, latency heatmaps per command class\n"
"  -H, --histograms          print a histogram for every command, not the top 3\n"
"  -v, --verbose             print libbpf's debug output and each sampling window\n"
"  -h, --help                this text\n"
"  -V, --version             print the version\n"
"\n"
"INTERVAL prints a table every INTERVAL seconds, COUNT times.\n"
"\n"
"Examples:\n"
"  redlat                    # all Redis servers, report on Ctrl-C\n"
"  redlat -p 1234 -d 30      # one server for 30 seconds\n"
"  redlat 5 12               # a table every 5 s for a minute\n"
"  redlat --exact -d 10      # every command, for exact counts\n"
"  redlat --stalls-only      # forks, fsyncs, rdbSave: nothing on the command path\n"
"  redlat -f -p 1234         # and its restarts, until Ctrl-C\n"
"  redlat -j -d 60 > run.json\n"
"  redlat --replay run.json  # the report of that run, anywhere\n"

"  redlat --serve 9187       # metrics for Prometheus on 127.0.0.1:9187\n"
"  redlat --exact -d 60 --svg run.svg\n";

int parse_listen(const char *s, struct sockaddr_storage *sa, socklen_t *len, char *err, size_t errlen)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)sa;
	const char *colon = strrchr(s, ':'), *port = colon ? colon + 1 : s;
	char host[INET6_ADDRSTRLEN + 2];
	size_t hlen = colon ? (size_t)(colon - s) : 0;
	long p;

	memset(sa, 0, sizeof(*sa));
	if (strspn(port, "0123456789") != strlen(port) || parse_long(port, 1, 65535, &p)) {
		snprintf(err, errlen, "bad --serve port '%s' in '%s': give [ADDR:]PORT with a port from 1 to "
			 "65535, such as 127.0.0.1:9187", port, s);
		return -1;
	}
	if (hlen >= sizeof(host))
		goto bad_addr;
	memcpy(host, s, hlen);
	host[hlen] = 0;
	if (!colon) {
		/* loopback unless told otherwise: the metrics name the host's
		 * processes and commands */
		v4->sin_family = AF_INET;
		v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		v4->sin_port = htons((unsigned short)p);
		*len = sizeof(*v4);
		return 0;
	}
	if (hlen > 2 && host[0] == '[' && host[hlen - 1] == ']') {
		host[hlen - 1] = 0;
		if (inet_pton(AF_INET6, host + 1, &v6->sin6_addr) != 1)
			goto bad_addr;
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((unsigned short)p);
		*len = sizeof(*v6);
		return 0;
	}
	if (inet_pton(AF_INET, host, &v4->sin_addr) != 1)
		goto bad_addr;
	v4->sin_family = AF_INET;
	v4->sin_port = htons((unsigned short)p);
	*len = sizeof(*v4);
	return 0;
bad_addr:
	snprintf(err, errlen, "bad --serve address in '%s': give [ADDR:]PORT with a numeric IPv4 address "
		 "or a bracketed IPv6 one, such as 127.0.0.1:9187 or [::1]:9187", s);
	return -1;
}

int cli_parse(int argc, char **argv, struct config *cfg, FILE *out, FILE *err)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "duration", required_argument, NULL, 'd' },
		{ "follow", no_argument, NULL, 'f' },
		{ "exact", no_argument, NULL, 'x' },
		{ "overhead-budget", required_argument, NULL, 'b' },
		{ "stalls-only", no_argument, NULL, 's' },
		{ "every-iteration", no_argument, NULL, 'I' },
		{ "threshold", required_argument, NULL, 't' },
		{ "events", no_argument, NULL, 'e' },
		{ "json", no_argument, NULL, 'j' },
		{ "replay", required_argument, NULL, 'R' },
		{ "svg", required_argument, NULL, 'g' },
		{ "histograms", no_argument, NULL, 'H' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "serve", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const char *live = NULL;	/* an option that only a live run takes */
	int c, npos, budget_set = 0;
	char why[256];
	long l;

	memset(cfg, 0, sizeof(*cfg));
	cfg->budget_pct = 2.0;
	cfg->threshold_ms = 10;
	optind = 0;	/* re-entrant for tests: 0 also resets getopt's state */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+p:d:ft:ejHvhV", opts, NULL)) != -1) {
		if (strchr("pdfxbsteSI", c))
			live = c == 'p' ? "--pid" : c == 'd' ? "--duration" : c == 'f' ? "--follow" :
			       c == 'x' ? "--exact" : c == 'b' ? "--overhead-budget" :
			       c == 's' ? "--stalls-only" : c == 't' ? "--threshold" :
			       c == 'e' ? "--events" : c == 'I' ? "--every-iteration" : "--serve";
		switch (c) {
		case 'p':
			if (parse_long(optarg, 1, 0x7fffffff, &l)) {
				fprintf(err, "redlat: bad pid '%s': give a process id, such as -p 1234\n", optarg);
				return -1;
			}
			for (npos = 0; npos < cfg->npids && cfg->pids[npos] != (pid_t)l; npos++)
				;
			if (npos < cfg->npids)
				break;	/* the same pid twice: probed once */
			if (cfg->npids == MAX_TARGETS) {
				fprintf(err, "redlat: at most %d -p options\n", MAX_TARGETS);
				return -1;
			}
			cfg->pids[cfg->npids++] = (pid_t)l;
			break;
		case 'd':
			if (parse_double(optarg, 0.001, 86400.0 * 365, &cfg->duration_s)) {
				fprintf(err, "redlat: bad duration '%s': give seconds > 0, such as -d 30\n", optarg);
				return -1;
			}
			break;
		case 'f':
			cfg->follow = 1;
			break;
		case 'x':
			cfg->exact = 1;
			break;
		case 'b':
			if (parse_double(optarg, 0.1, 50, &cfg->budget_pct)) {
				fprintf(err, "redlat: bad overhead budget '%s': give a percentage from 0.1 to 50\n", optarg);
				return -1;
			}
			budget_set = 1;
			break;
		case 's':
			cfg->stalls_only = 1;
			break;
		case 'I':
			cfg->every_iteration = 1;
			break;
		case 't':
			if (parse_double(optarg, 0.001, 3600e3, &cfg->threshold_ms)) {
				fprintf(err, "redlat: bad threshold '%s': give milliseconds > 0, such as -t 10\n", optarg);
				return -1;
			}
			break;
		case 'e':
			cfg->events = 1;
			break;
		case 'j':
			cfg->json = 1;
			break;
		case 'R':
			if (!*optarg) {
				fprintf(err, "redlat: --replay needs a file written by redlat --json\n");
				return -1;
			}
			cfg->replay = optarg;
			break;
		case 'g':
			if (!*optarg) {
				fprintf(err, "redlat: --svg needs a file name, such as --svg run.svg\n");
				return -1;
			}
			cfg->svg = optarg;
			break;
		case 'H':
			cfg->histograms = 1;
			break;
		case 'v':
			cfg->verbose = 1;
			break;
		case 'S':
			if (parse_listen(optarg, &cfg->serve_addr, &cfg->serve_addrlen, why, sizeof(why))) {
				fprintf(err, "redlat: %s\n", why);
				return -1;
			}
			snprintf(cfg->serve_text, sizeof(cfg->serve_text), "%s%s",
				 strchr(optarg, ':') ? "" : "127.0.0.1:", optarg);
			cfg->serve = 1;
			break;
		case 'h':
			fputs(usage, out);
			return 1;
		case 'V':
			fprintf(out, "redlat %s\n", REDLAT_VERSION);
			return 1;
		case ':':
			fprintf(err, "redlat: option '%s' needs a value; see redlat --help\n", argv[optind - 1]);
			return -1;
		default:
			/* getopt_long sets optopt to the short name even for a long
			 * option: name the option as it was written */
			if (optopt && strchr("pdbtRSg", optopt))
				fprintf(err, "redlat: option '%s' needs a value; see redlat --help\n", argv[optind - 1]);
			else
				fprintf(err, "redlat: unknown option '%s'; see redlat --help\n", argv[optind - 1]);
			return -1;
		}
	}
	npos = argc - optind;
	if (cfg->replay && (live || npos)) {
		fprintf(err, "redlat: --replay renders a saved run: '%s' applies only to a live run\n",
			live ? live : argv[optind]);
		return -1;
	}
	if (npos > 2) {
		fprintf(err, "redlat: too many arguments ('%s'); usage: redlat [OPTIONS] [INTERVAL [COUNT]]\n",
			argv[optind + 2]);
		return -1;
	}
	if (npos >= 1 && parse_double(argv[optind], 0.1, 86400, &cfg->interval_s)) {
		fprintf(err, "redlat: bad interval '%s': give seconds from 0.1, such as 'redlat 5'\n", argv[optind]);
		return -1;
	}
	if (npos == 2 && parse_long(argv[optind + 1], 1, 1000000000L, &cfg->count)) {
		fprintf(err, "redlat: bad count '%s': give a whole number >= 1\n", argv[optind + 1]);
		return -1;
	}
	if (cfg->stalls_only && (cfg->exact || budget_set)) {
		fprintf(err, "redlat: --stalls-only probes no command: it excludes --exact and --overhead-budget\n");
		return -1;
	}
	if (cfg->stalls_only && cfg->every_iteration) {
		fprintf(err, "redlat: --stalls-only times no event-loop iteration: it excludes --every-iteration\n");
		return -1;
	}
	if (cfg->exact && budget_set) {
		fprintf(err, "redlat: --exact and --overhead-budget exclude each other: exact mode probes every command\n");
		return -1;
	}
	return 0;
}
