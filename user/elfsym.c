// SPDX-License-Identifier: GPL-2.0
#include <capstone/capstone.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "elfsym.h"

struct func {
	char *name;
	uint64_t addr, size;
};

struct elfbin {
	int fd;
	const unsigned char *map;
	size_t maplen;
	Elf *elf;
	int has_symtab;
	GElf_Phdr *phdrs;
	size_t nphdrs;
	struct func *funcs;	/* sorted by address, one per address */
	size_t nfuncs;
};

static int func_cmp(const void *a, const void *b)
{
	const struct func *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int add_funcs(struct elfbin *b, Elf_Scn *scn, GElf_Shdr *sh)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t i, n;

	if (!data || !sh->sh_entsize)
		return 0;
	n = sh->sh_size / sh->sh_entsize;
	for (i = 0; i < n; i++) {
		GElf_Sym sym;
		const char *name;
		struct func *f;

		if (!gelf_getsym(data, i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
		    !sym.st_value || sym.st_shndx == SHN_UNDEF)
			continue;
		name = elf_strptr(b->elf, sh->sh_link, sym.st_name);
		if (!name || !*name)
			continue;
		f = realloc(b->funcs, (b->nfuncs + 1) * sizeof(*f));
		if (!f)
			return -1;
		b->funcs = f;
		f[b->nfuncs].name = strdup(name);
		f[b->nfuncs].addr = sym.st_value;
		f[b->nfuncs].size = sym.st_size;
		if (!f[b->nfuncs].name)
			return -1;
		b->nfuncs++;
	}
	return 0;
}

int elfbin_open(const char *path, struct elfbin **out, char *err, size_t errlen)
{
	struct elfbin *b = calloc(1, sizeof(*b));
	Elf_Scn *scn = NULL, *symtab = NULL, *dynsym = NULL;
	GElf_Shdr sh, symtab_sh, dynsym_sh;
	struct stat st;
	size_t i, j;

	if (!b)
		return snprintf(err, errlen, "out of memory"), -1;
	b->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (b->fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		goto fail;
	}
	if (fstat(b->fd, &st) || st.st_size < 64) {
		snprintf(err, errlen, "%s is not an ELF file", path);
		goto fail;
	}
	b->maplen = st.st_size;
	b->map = mmap(NULL, b->maplen, PROT_READ, MAP_PRIVATE, b->fd, 0);
	if (b->map == MAP_FAILED) {
		b->map = NULL;
		snprintf(err, errlen, "cannot map %s: %s", path, strerror(errno));
		goto fail;
	}
	elf_version(EV_CURRENT);
	b->elf = elf_memory((char *)b->map, b->maplen);
	if (!b->elf || elf_kind(b->elf) != ELF_K_ELF || gelf_getclass(b->elf) != ELFCLASS64) {
		snprintf(err, errlen, "%s is not a 64-bit ELF file", path);
		goto fail;
	}
	if (elf_getphdrnum(b->elf, &b->nphdrs) || !b->nphdrs) {
		snprintf(err, errlen, "%s has no program headers", path);
		goto fail;
	}
	b->phdrs = calloc(b->nphdrs, sizeof(*b->phdrs));
	if (!b->phdrs) {
		snprintf(err, errlen, "out of memory reading %s", path);
		goto fail;
	}
	for (i = 0; i < b->nphdrs; i++)
		if (!gelf_getphdr(b->elf, i, &b->phdrs[i]))
			memset(&b->phdrs[i], 0, sizeof(b->phdrs[i]));
	while ((scn = elf_nextscn(b->elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB)
			symtab = scn, symtab_sh = sh;
		else if (sh.sh_type == SHT_DYNSYM)
			dynsym = scn, dynsym_sh = sh;
	}
	b->has_symtab = symtab != NULL;
	if ((symtab && add_funcs(b, symtab, &symtab_sh)) ||
	    (dynsym && add_funcs(b, dynsym, &dynsym_sh))) {
		snprintf(err, errlen, "cannot read the symbols of %s", path);
		goto fail;
	}
	if (b->nfuncs)	/* qsort's pointer must not be NULL, even for 0 items */
		qsort(b->funcs, b->nfuncs, sizeof(*b->funcs), func_cmp);
	/* .symtab and .dynsym repeat each other: drop exact repeats, keep
	 * aliases (another name at the same address) for lookups by name;
	 * the call-site scan reads each address once. */
	for (i = 0, j = 0; i < b->nfuncs; i++) {
		if (j && b->funcs[j - 1].addr == b->funcs[i].addr &&
		    !strcmp(b->funcs[j - 1].name, b->funcs[i].name)) {
			free(b->funcs[i].name);
			continue;
		}
		b->funcs[j++] = b->funcs[i];
	}
	b->nfuncs = j;
	*out = b;
	return 0;
fail:
	elfbin_close(b);
	return -1;
}

void elfbin_close(struct elfbin *b)
{
	size_t i;

	if (!b)
		return;
	for (i = 0; i < b->nfuncs; i++)
		free(b->funcs[i].name);
	free(b->funcs);
	free(b->phdrs);
	if (b->elf)
		elf_end(b->elf);
	if (b->map)
		munmap((void *)b->map, b->maplen);
	if (b->fd >= 0)
		close(b->fd);
	free(b);
}

size_t elfbin_nfuncs(const struct elfbin *b)
{
	return b->nfuncs;
}

int elfbin_has_symtab(const struct elfbin *b)
{
	return b->has_symtab;
}

/* File offset of a virtual address in a loaded segment, or -1. */
static int64_t vaddr_to_off(const struct elfbin *b, uint64_t addr, uint64_t need)
{
	size_t i;

	for (i = 0; i < b->nphdrs; i++) {
		const GElf_Phdr *p = &b->phdrs[i];

		if (p->p_type != PT_LOAD || addr < p->p_vaddr ||
		    addr + need > p->p_vaddr + p->p_filesz)
			continue;
		if (p->p_offset + (addr - p->p_vaddr) + need > b->maplen)
			return -1;
		return (int64_t)(p->p_offset + (addr - p->p_vaddr));
	}
	return -1;
}

int elfbin_sym(const struct elfbin *b, const char *name, struct elfsym *out)
{
	size_t i;

	for (i = 0; i < b->nfuncs; i++) {
		int64_t off;

		if (strcmp(b->funcs[i].name, name))
			continue;
		off = vaddr_to_off(b, b->funcs[i].addr, 1);
		if (off < 0)
			return -1;
		out->addr = b->funcs[i].addr;
		out->size = b->funcs[i].size;
		out->off = (uint64_t)off;
		return 0;
	}
	return -1;
}

const char *elfbin_func_at(const struct elfbin *b, uint64_t addr)
{
	size_t lo = 0, hi = b->nfuncs;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (b->funcs[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	lo--;
	return addr < b->funcs[lo].addr + b->funcs[lo].size ? b->funcs[lo].name : NULL;
}

int elfbin_call_sites(const struct elfbin *b, uint64_t target, struct elfsym *sites, int max)
{
	cs_insn *insn = NULL;
	csh cs;
	size_t i;
	int n = 0;

	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return -1;
	for (i = 0; i < b->nfuncs && n < max; i++) {
		const struct func *f = &b->funcs[i];
		int64_t off = f->size ? vaddr_to_off(b, f->addr, f->size) : -1;
		size_t count, k;

		if (off < 0 || f->addr == target || (i && b->funcs[i - 1].addr == f->addr))
			continue;
		count = cs_disasm(cs, b->map + off, f->size, f->addr, 0, &insn);
		for (k = 0; k < count && n < max; k++) {
			const cs_insn *in = &insn[k];
			int32_t rel;

			if (in->size != 5 || (in->bytes[0] != 0xe8 && in->bytes[0] != 0xe9))
				continue;
			memcpy(&rel, in->bytes + 1, 4);
			if (in->address + 5 + (int64_t)rel != target)
				continue;
			sites[n].addr = in->address;
			sites[n].size = in->size;
			sites[n].is_jmp = in->bytes[0] == 0xe9;
			sites[n].off = (uint64_t)(off + (int64_t)(in->address - f->addr));
			n++;
		}
		cs_free(insn, count);
	}
	cs_close(&cs);
	return n;
}

int elfbin_rip_relative(const struct elfbin *b, uint64_t addr)
{
	int64_t off = vaddr_to_off(b, addr, 1);
	cs_insn *insn = NULL;
	size_t count, avail;
	int rip = 0, o;
	csh cs;

	if (off < 0 || cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return 0;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	avail = b->maplen - (size_t)off < 16 ? b->maplen - (size_t)off : 16;
	count = cs_disasm(cs, b->map + off, avail, addr, 1, &insn);
	for (o = 0; count && o < insn[0].detail->x86.op_count; o++)
		rip |= insn[0].detail->x86.operands[o].type == X86_OP_MEM &&
		       insn[0].detail->x86.operands[o].mem.base == X86_REG_RIP;
	cs_free(insn, count);
	cs_close(&cs);
	return rip;
}

/* The GOT slots (up to max) that the dynamic linker fills with name's
 * address: JUMP_SLOT and GLOB_DAT relocations against it. */
static int got_slots(const struct elfbin *b, const char *name, uint64_t *slots, int max)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	int n = 0;

	while ((scn = elf_nextscn(b->elf, scn)) && n < max) {
		Elf_Data *data;
		size_t i, cnt;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA || !sh.sh_entsize ||
		    !(data = elf_getdata(scn, NULL)))
			continue;
		cnt = sh.sh_size / sh.sh_entsize;
		for (i = 0; i < cnt && n < max; i++) {
			Elf_Scn *symscn = elf_getscn(b->elf, sh.sh_link);
			GElf_Shdr ssh;
			GElf_Rela r;
			GElf_Sym sym;
			const char *sn;
			int type;

			if (!gelf_getrela(data, (int)i, &r))
				continue;
			type = (int)GELF_R_TYPE(r.r_info);
			if ((type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT) || !symscn ||
			    !gelf_getshdr(symscn, &ssh) ||
			    !gelf_getsym(elf_getdata(symscn, NULL), (int)GELF_R_SYM(r.r_info), &sym))
				continue;
			sn = elf_strptr(b->elf, ssh.sh_link, sym.st_name);
			if (sn && !strcmp(sn, name))
				slots[n++] = r.r_offset;
		}
	}
	return n;
}

int elfbin_plt(const struct elfbin *b, const char *name, struct elfsym *out)
{
	uint64_t slots[4];
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;
	int nslots, found = -1;
	csh cs;

	nslots = got_slots(b, name, slots, 4);
	if (!nslots)
		return 1;
	if (elf_getshdrstrndx(b->elf, &shstrndx) || cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return -1;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	while (found && (scn = elf_nextscn(b->elf, scn))) {
		const char *sname;
		cs_insn *insn = NULL;
		size_t count, k;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS || !(sh.sh_flags & SHF_EXECINSTR) ||
		    !(sname = elf_strptr(b->elf, shstrndx, sh.sh_name)) || strncmp(sname, ".plt", 4) ||
		    sh.sh_offset + sh.sh_size > b->maplen)
			continue;
		count = cs_disasm(cs, b->map + sh.sh_offset, sh.sh_size, sh.sh_addr, 0, &insn);
		for (k = 0; k < count && found; k++) {
			const cs_x86 *x = &insn[k].detail->x86;
			uint64_t slot;
			int j;

			if (insn[k].id != X86_INS_JMP || x->op_count != 1 || x->operands[0].type != X86_OP_MEM ||
			    x->operands[0].mem.base != X86_REG_RIP)
				continue;
			slot = insn[k].address + insn[k].size + (uint64_t)x->operands[0].mem.disp;
			for (j = 0; j < nslots; j++)
				if (slot == slots[j])
					break;
			if (j == nslots)
				continue;
			out->addr = insn[k].address;
			out->size = insn[k].size;
			out->off = sh.sh_offset + (insn[k].address - sh.sh_addr);
			out->is_jmp = 1;
			found = 0;
		}
		cs_free(insn, count);
	}
	cs_close(&cs);
	return found;
}

static const char *string_at(const struct elfbin *b, uint64_t addr)
{
	int64_t off = vaddr_to_off(b, addr, 1);
	size_t i;

	if (off < 0)
		return NULL;
	for (i = (size_t)off; i < b->maplen && i < (size_t)off + 256; i++)
		if (!b->map[i])
			return (const char *)b->map + off;
	return NULL;
}

static int looks_like_version(const char *s)
{
	int dots = 0;

	if (!isdigit((unsigned char)*s))
		return 0;
	for (; *s; s++) {
		if (*s == '.')
			dots++;
		else if (!isdigit((unsigned char)*s))
			return 0;
	}
	return dots == 2;
}

int elfbin_version(const struct elfbin *b, char *ver, size_t verlen, char *product, size_t plen)
{
	struct elfsym v;
	cs_insn *insn = NULL;
	size_t count, k;
	int found = -1;
	csh cs;

	*ver = 0;
	*product = 0;
	if (elfbin_sym(b, "version", &v) || !v.size || v.size > 4096 ||
	    vaddr_to_off(b, v.addr, v.size) < 0)
		return -1;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return -1;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	count = cs_disasm(cs, b->map + v.off, v.size, v.addr, 0, &insn);
	for (k = 0; k < count; k++) {
		cs_x86 *x = &insn[k].detail->x86;
		const char *s;
		int o;

		for (o = 0; o < x->op_count; o++) {
			if (x->operands[o].type != X86_OP_MEM || x->operands[o].mem.base != X86_REG_RIP)
				continue;
			s = string_at(b, insn[k].address + insn[k].size + x->operands[o].mem.disp);
			if (!s)
				continue;
			if (looks_like_version(s) && !*ver)
				snprintf(ver, verlen, "%s", s);
			else if (!strncmp(s, "Redis server v=", 15))
				snprintf(product, plen, "redis");
			else if (!strncmp(s, "Valkey server v=", 16))
				snprintf(product, plen, "valkey");
		}
	}
	cs_free(insn, count);
	cs_close(&cs);
	if (*ver && *product)
		found = 0;
	return found;
}
