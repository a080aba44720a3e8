/* SPDX-License-Identifier: GPL-2.0 */
/* Redis's names for commands and where the tracer finds them. */
#ifndef REDLAT_NAMES_H
#define REDLAT_NAMES_H

#include <stddef.h>

/* Commands with subcommands, which Redis 7+ and Valkey name parent|sub in
 * INFO commandstats (NULL-terminated). Redis 6.2 has none: its
 * commandstats say "config", not "config|get". */
extern const char *const container_commands[];

/* Commands flagged CMD_SKIP_SLOWLOG (only exec since Redis 6.2.x), which
 * never reach slowlogPushEntryIfNeeded, with the proc that runs them. */
struct skip_proc {
	const char *name;
	const char *proc;
};
extern const struct skip_proc skip_slowlog_procs[];

/* Major version from "7.0.15"; 0 when unknown. */
int version_major(const char *version);

/* Whether this server version names subcommands parent|sub. */
int has_subcommands(const char *product, const char *version);

#endif
