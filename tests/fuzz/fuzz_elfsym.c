// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: redlat's ELF reader (user/elfsym.c) on any bytes, given
 * to it as a file (a memfd) the way it reads a redis-server binary: symbols,
 * file offsets, call sites found by disassembly, the version string. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#include "elfsym.h"

/* What redlat looks up in a Redis binary and in libc. */
static const char *const names[] = {
	"slowlogPushEntryIfNeeded", "execCommand", "call", "version", "redisFork", "rdbSave",
	"activeExpireCycle", "fork", "__libc_fork", "",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	struct elfsym sym, sites[16];
	struct elfbin *b;
	char path[64], err[512], ver[32], product[16];
	size_t i;

	if (fd < 0)
		fd = memfd_create("fuzz-elf", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (elfbin_open(path, &b, err, sizeof(err)))
		return 0;
	(void)elfbin_nfuncs(b);
	(void)elfbin_has_symtab(b);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (elfbin_sym(b, names[i], &sym))
			continue;
		(void)elfbin_func_at(b, sym.addr);
		(void)elfbin_func_at(b, sym.addr + sym.size);
		(void)elfbin_call_sites(b, sym.addr, sites, 16);
	}
	(void)elfbin_version(b, ver, sizeof(ver), product, sizeof(product));
	elfbin_close(b);
	return 0;
}
