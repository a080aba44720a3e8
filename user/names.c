// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
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

static int is_container(const char *name)
{
	int i;

	for (i = 0; container_commands[i]; i++)
		if (!strcmp(container_commands[i], name))
			return 1;
	return 0;
}

void command_name(const char *argv0, const char *argv1, int subcommands, char *out, size_t len)
{
	size_t i, n;

	if (!len)
		return;
	for (i = 0; argv0[i] && i + 1 < len; i++)
		out[i] = (char)tolower((unsigned char)argv0[i]);
	out[i] = 0;
	n = i;
	if (!subcommands || !argv1 || !*argv1 || !is_container(out) || n + 2 >= len)
		return;
	out[n++] = '|';
	for (i = 0; argv1[i] && n + 1 < len; i++)
		out[n++] = (char)tolower((unsigned char)argv1[i]);
	out[n] = 0;
}
