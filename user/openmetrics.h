/* SPDX-License-Identifier: GPL-2.0 */
/* The report as OpenMetrics text for Prometheus and other scrapers: a pure
 * renderer over struct run_report, like the text and JSON ones. */
#ifndef REDLAT_OPENMETRICS_H
#define REDLAT_OPENMETRICS_H

#include <linux/types.h>
#include <stddef.h>
#include <stdio.h>
#include "report.h"

#define OPENMETRICS_CONTENT_TYPE "application/openmetrics-text; version=1.0.0; charset=utf-8"
/* For clients that do not ask for OpenMetrics (curl, promtool): the
 * Prometheus text format the same series are written in. */
#define PROM_TEXT_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Histogram buckets: le = 2^k - 1 ns for k in [OM_LOW_EXP, OM_HIGH_EXP],
 * then +Inf. */
#define OM_LOW_EXP 10
#define OM_HIGH_EXP 38

/* OpenMetrics 1.0.0 text, ending with "# EOF". 0, or -1 out of memory. */
int render_openmetrics(FILE *f, const struct run_report *r);
/* The same series in the Prometheus text format 0.0.4. */
int render_prom_text(FILE *f, const struct run_report *r);

/* ns as seconds, exactly, in OpenMetrics's canonical number form. */
const char *om_seconds(__u64 ns, char *buf, size_t len);

#endif
