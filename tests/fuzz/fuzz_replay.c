// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: --replay's reader of a saved --json report
 * (user/json_in.c) on any bytes, given as a file (a memfd) as --replay
 * reads one, then the text and JSON renderers over what it read: a
 * document redlat did not write must be refused, not trusted. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	struct run_report r = {};
	char path[64], err[512], *text = NULL;
	size_t len = 0;
	FILE *out;

	if (fd < 0)
		fd = memfd_create("fuzz-replay", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (report_from_json(path, &r, err, sizeof(err)))
		return 0;
	out = open_memstream(&text, &len);
	if (out) {
		render_text(out, &r, 1);
		render_json(out, &r);
		fclose(out);
	}
	free(text);
	report_loaded_free(&r);
	return 0;
}
