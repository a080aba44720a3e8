/* SPDX-License-Identifier: GPL-2.0 */
/* The run as a picture (--svg). */
#ifndef REDLAT_SVG_H
#define REDLAT_SVG_H

#include <stdio.h>
#include "report.h"

/* Per instance, a timeline of its stalls in lanes by kind (forks with
 * their children, fsyncs by thread, AOF writes, slow event-loop iterations
 * and commands, run-queue waits, Redis's cycles) and a latency heatmap per
 * command class, over one time axis. 0, or -1 on ENOMEM or a write error. */
int render_svg(FILE *f, const struct run_report *r);

#endif
