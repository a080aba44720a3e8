// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "names.h"

const char *const container_commands[] = {
	"acl", "client", "cluster", "command", "commandlog", "config", "function",
	"latency", "memory", "module", "object", "pubsub", "script", "sentinel",
	"slowlog", "xgroup", "xinfo", NULL,
};

const struct skip_proc skip_slowlog_procs[] = {
	{ "exec", "execCommand" },
	{ NULL, NULL },
};

int version_major(const char *version)
{
	return version ? atoi(version) : 0;
}

int has_subcommands(const char *product, const char *version)
{
	/* Valkey started from Redis 7.2.4: it always has subcommands. */
	if (product && !strcmp(product, "valkey"))
		return 1;
	return version_major(version) >= 7;
}
