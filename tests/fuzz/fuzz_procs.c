// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: redlat's parsers of /proc text (user/procs.c). Every
 * line of the input goes to each line parser (stat, net/tcp, an fd's link,
 * maps), and the whole input to the /proc/PID/io and status ones. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include "procs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *line, *next, comm[16], file[PATH_MAX], state;
	unsigned long inode;
	pid_t ppid;
	int port;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	(void)procs_parse_syscr(text);
	(void)procs_parse_tgid(text);
	for (line = text; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		(void)procs_parse_stat(line, comm, sizeof(comm), &state, &ppid);
		(void)procs_parse_start(line);
		(void)procs_parse_tcp_listen(line, &port, &inode);
		(void)procs_parse_socket_link(line, &inode);
		(void)procs_parse_maps_libc(line, file, sizeof(file));
	}
	free(text);
	return 0;
}
