/* SPDX-License-Identifier: GPL-2.0 */
/* What redlat needs to know of a redis-server binary: symbols (.symtab and
 * .dynsym, merged), file offsets for uprobes, the direct call sites of a
 * function (found by disassembly, so a probe never lands mid-instruction)
 * and the version string. */
#ifndef REDLAT_ELFSYM_H
#define REDLAT_ELFSYM_H

#include <stddef.h>
#include <stdint.h>

struct elfbin;

struct elfsym {
	uint64_t addr;	/* virtual address */
	uint64_t size;
	uint64_t off;	/* file offset: what a uprobe is attached at */
	int is_jmp;	/* a call site that is a tail jump (no return point after it) */
};

/* 0, or -1 with a one-line reason in err. */
int elfbin_open(const char *path, struct elfbin **out, char *err, size_t errlen);
void elfbin_close(struct elfbin *b);

/* Functions known to the binary (after dedup), and whether .symtab exists. */
size_t elfbin_nfuncs(const struct elfbin *b);
int elfbin_has_symtab(const struct elfbin *b);

int elfbin_sym(const struct elfbin *b, const char *name, struct elfsym *out);
/* Name of the function containing addr, or NULL. */
const char *elfbin_func_at(const struct elfbin *b, uint64_t addr);

/* Direct call and jmp instructions to target (a function's address) in the
 * binary's named functions. Returns how many (up to max), sites in
 * ascending order. Each is an instruction boundary, as capstone decoded it. */
int elfbin_call_sites(const struct elfbin *b, uint64_t target, struct elfsym *sites, int max);

/* 1 when the first instruction at addr (a function's entry) addresses
 * memory relative to RIP: the kernel single-steps such an instruction out
 * of line for a uprobe, which costs about 19 us a hit here against 5-7 us
 * for one it emulates. 0 otherwise, or when it cannot tell. */
int elfbin_rip_relative(const struct elfbin *b, uint64_t addr);

/* The PLT stub through which the binary calls the imported function name
 * (fsync, ...): the indirect jmp through its GOT slot, in .plt, .plt.sec
 * or .plt.got. Every call through the PLT passes there, whoever the
 * caller. 0; 1 when the binary does not import name; -1 when it does but
 * has no such stub (it calls through the GOT directly: -fno-plt). */
int elfbin_plt(const struct elfbin *b, const char *name, struct elfsym *out);

/* "7.0.15" and "redis" / "valkey", read from the strings the binary's
 * version() prints for --version. 0 when found. */
int elfbin_version(const struct elfbin *b, char *ver, size_t verlen, char *product, size_t plen);

#endif
