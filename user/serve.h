/* SPDX-License-Identifier: GPL-2.0 */
/* --serve: the report as OpenMetrics over HTTP, served by libmicrohttpd on
 * its own thread. That thread never sees the tracer or the report: the
 * main loop renders the text and hands it over under a mutex. */
#ifndef REDLAT_SERVE_H
#define REDLAT_SERVE_H

#include <stddef.h>
#include <sys/socket.h>
#include "report.h"

struct serve;

/* Bind and listen on addr (text names it in messages). Called before any
 * probe is attached, so that a taken port or a foreign address is one
 * error line. NULL, with err, on failure. */
struct serve *serve_bind(const struct sockaddr *addr, socklen_t len, const char *text,
			 char *err, size_t errlen);
/* Answer GET /metrics from now on. -1, with err, on failure. */
int serve_start(struct serve *s, char *err, size_t errlen);
/* Render r as the text served from now on. Main thread only. */
void serve_publish(struct serve *s, const struct run_report *r);
/* Stop serving and free s (NULL is fine). */
void serve_stop(struct serve *s);

#endif
