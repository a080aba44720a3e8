// SPDX-License-Identifier: GPL-2.0
/* Symbols, file offsets, call sites and version of the fixture binaries
 * (built from tests/unit/fixture.c next to the test, cwd build/tests). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "elfsym.h"

#define DYN "./fixture-dyn"
#define STRIPPED "./fixture-stripped"

static int setup_dyn(void **state)
{
	struct elfbin *b = NULL;
	char err[256] = "";

	if (elfbin_open(DYN, &b, err, sizeof(err))) {
		fprintf(stderr, "elfbin_open %s: %s\n", DYN, err);
		return -1;
	}
	*state = b;
	return 0;
}

static int teardown_dyn(void **state)
{
	elfbin_close(*state);
	return 0;
}

static int read_at(const char *path, uint64_t off, unsigned char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = pread(fd, buf, len, (off_t)off);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

/* fsync's PLT stub: an indirect jmp (ff 25, or f2 ff 25 with .plt.sec)
 * whose GOT slot the JUMP_SLOT relocation of fsync names. */
static void test_plt(void **state)
{
	struct elfbin *b = *state;
	struct elfsym s, f;
	unsigned char insn[3];

	assert_int_equal(elfbin_plt(b, "fsync", &s), 0);
	assert_int_equal(elfbin_plt(b, "fdatasync", &f), 0);
	assert_true(s.addr != f.addr);
	assert_null(elfbin_func_at(b, s.addr));	/* not in a named function */
	assert_int_equal(read_at(DYN, s.off, insn, sizeof(insn)), 0);
	assert_true((insn[0] == 0xff && insn[1] == 0x25) ||
		    (insn[0] == 0xf2 && insn[1] == 0xff && insn[2] == 0x25));
	assert_int_equal(s.size, insn[0] == 0xff ? 6 : 7);
	/* not imported at all */
	assert_int_equal(elfbin_plt(b, "sync_file_range", &s), 1);
	assert_int_equal(elfbin_plt(b, "no_such_function", &s), 1);
}

/* -fno-plt: fsync is imported but called through the GOT, with no stub. */
static void test_plt_none(void **state)
{
	struct elfbin *b = NULL;
	struct elfsym s;
	char err[256];

	(void)state;
	assert_int_equal(elfbin_open("./fixture-noplt", &b, err, sizeof(err)), 0);
	assert_int_equal(elfbin_plt(b, "fsync", &s), -1);
	assert_int_equal(elfbin_plt(b, "sync_file_range", &s), 1);
	elfbin_close(b);
}

static void test_open_dyn(void **state)
{
	struct elfbin *b = *state;

	assert_true(elfbin_has_symtab(b));
	/* at least the fixture's own five functions */
	assert_true(elfbin_nfuncs(b) >= 5);
}

static void test_sym(void **state)
{
	struct elfbin *b = *state;
	struct elfsym s, c;
	unsigned char byte;

	memset(&s, 0, sizeof(s));
	assert_int_equal(elfbin_sym(b, "slowlogPushEntryIfNeeded", &s), 0);
	assert_true(s.off != 0);
	assert_true(s.size > 0);
	assert_true(s.addr != 0);
	assert_int_equal(elfbin_sym(b, "call", &c), 0);
	assert_true(c.addr != s.addr);
	/* in a PIE the text segment maps at its file offset */
	assert_true(s.off <= s.addr);
	assert_int_equal(read_at(DYN, s.off, &byte, 1), 0);
	assert_int_not_equal(byte, 0);	/* code, not padding or a hole */
	assert_int_equal(elfbin_sym(b, "execCommand", &s), 0);
	assert_int_equal(elfbin_sym(b, "version", &s), 0);
	assert_int_equal(elfbin_sym(b, "noSuchFunction", &s), -1);
	assert_int_equal(elfbin_sym(b, "slowlogPushEntry", &s), -1);	/* whole names only */
}

static void test_func_at(void **state)
{
	struct elfbin *b = *state;
	struct elfsym s;

	assert_int_equal(elfbin_sym(b, "execCommand", &s), 0);
	assert_string_equal(elfbin_func_at(b, s.addr), "execCommand");
	assert_string_equal(elfbin_func_at(b, s.addr + s.size - 1), "execCommand");
	if (elfbin_func_at(b, s.addr + s.size))
		assert_string_not_equal(elfbin_func_at(b, s.addr + s.size), "execCommand");
	assert_null(elfbin_func_at(b, 0));
	assert_null(elfbin_func_at(b, UINT64_MAX));
}

static void test_call_sites(void **state)
{
	struct elfbin *b = *state;
	struct elfsym target, sites[16];
	int n, i, in_call = 0;

	assert_int_equal(elfbin_sym(b, "slowlogPushEntryIfNeeded", &target), 0);
	n = elfbin_call_sites(b, target.addr, sites, 16);
	assert_true(n >= 1);
	for (i = 0; i < n; i++) {
		const char *fn = elfbin_func_at(b, sites[i].addr);
		unsigned char insn[5];
		int32_t rel;

		assert_non_null(fn);
		assert_int_equal(sites[i].size, 5);
		if (i)
			assert_true(sites[i].addr > sites[i - 1].addr);
		/* the bytes at the file offset are the call (or jmp) to target */
		assert_int_equal(read_at(DYN, sites[i].off, insn, sizeof(insn)), 0);
		assert_true(insn[0] == 0xe8 || insn[0] == 0xe9);
		memcpy(&rel, insn + 1, 4);
		assert_int_equal(sites[i].addr + 5 + (int64_t)rel, target.addr);
		in_call |= !strcmp(fn, "call");
	}
	assert_true(in_call);
	/* max respected */
	assert_int_equal(elfbin_call_sites(b, target.addr, sites, 1), 1);
	assert_int_equal(elfbin_call_sites(b, target.addr, sites, 0), 0);
}

static void test_call_sites_none(void **state)
{
	struct elfbin *b = *state;
	struct elfsym v, sites[4];

	/* main is never called directly from another named function here */
	assert_int_equal(elfbin_sym(b, "main", &v), 0);
	assert_int_equal(elfbin_call_sites(b, v.addr, sites, 4), 0);
	/* an address that is no function's */
	assert_int_equal(elfbin_call_sites(b, 1, sites, 4), 0);
}

static void test_version(void **state)
{
	struct elfbin *b = *state;
	char ver[32], product[16];

	assert_int_equal(elfbin_version(b, ver, sizeof(ver), product, sizeof(product)), 0);
	assert_string_equal(ver, "7.9.42");
	assert_string_equal(product, "redis");
}

static void test_stripped(void **state)
{
	struct elfbin *b = NULL;
	struct elfsym s;
	char err[256] = "", ver[32] = "x", product[16] = "x";

	assert_int_equal(elfbin_open(STRIPPED, &b, err, sizeof(err)), 0);
	assert_false(elfbin_has_symtab(b));
	assert_int_equal(elfbin_nfuncs(b), 0);
	assert_int_equal(elfbin_sym(b, "slowlogPushEntryIfNeeded", &s), -1);
	assert_int_equal(elfbin_version(b, ver, sizeof(ver), product, sizeof(product)), -1);
	assert_string_equal(ver, "");
	assert_string_equal(product, "");
	elfbin_close(b);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_open_not_elf(void **state)
{
	char path[] = "/tmp/redlat-test-XXXXXX";
	struct elfbin *b = NULL;
	char err[256];
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);

	/* short */
	write_file(path, "hello\n");
	err[0] = 0;
	assert_int_equal(elfbin_open(path, &b, err, sizeof(err)), -1);
	assert_true(strlen(err) > 0);
	assert_non_null(strstr(err, "ELF"));

	/* long enough to be mapped and examined */
	write_file(path, "This is a plain text file, long enough to pass any size check.\n"
		   "It has a second line too, so it is well over sixty-four bytes.\n");
	err[0] = 0;
	assert_int_equal(elfbin_open(path, &b, err, sizeof(err)), -1);
	assert_true(strlen(err) > 0);
	assert_non_null(strstr(err, "not a 64-bit ELF"));

	/* empty */
	write_file(path, "");
	err[0] = 0;
	assert_int_equal(elfbin_open(path, &b, err, sizeof(err)), -1);
	assert_true(strlen(err) > 0);
	unlink(path);
}

static void test_open_missing(void **state)
{
	struct elfbin *b = NULL;
	char err[256] = "";

	assert_int_equal(elfbin_open("./no-such-fixture", &b, err, sizeof(err)), -1);
	assert_true(strlen(err) > 0);
	assert_non_null(strstr(err, "no-such-fixture"));
	assert_non_null(strstr(err, "No such file"));
	/* a directory is no ELF file either */
	err[0] = 0;
	assert_int_equal(elfbin_open(".", &b, err, sizeof(err)), -1);
	assert_true(strlen(err) > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_dyn, setup_dyn, teardown_dyn),
		cmocka_unit_test_setup_teardown(test_sym, setup_dyn, teardown_dyn),
		cmocka_unit_test_setup_teardown(test_func_at, setup_dyn, teardown_dyn),
		cmocka_unit_test_setup_teardown(test_call_sites, setup_dyn, teardown_dyn),
		cmocka_unit_test_setup_teardown(test_call_sites_none, setup_dyn, teardown_dyn),
		cmocka_unit_test_setup_teardown(test_version, setup_dyn, teardown_dyn),
		cmocka_unit_test_setup_teardown(test_plt, setup_dyn, teardown_dyn),
		cmocka_unit_test(test_plt_none),
		cmocka_unit_test(test_stripped),
		cmocka_unit_test(test_open_not_elf),
		cmocka_unit_test(test_open_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
