// SPDX-License-Identifier: GPL-2.0
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "calib.h"
#include "calib.skel.h"
#include "elfsym.h"
#include "util.h"

/* A call instruction like the one redlat probes in Redis's call(), and an
 * empty function for the entry/return pair. */
void redlat_calib_site(void);
void redlat_calib_leaf(void);
__asm__(".text\n"
	".globl redlat_calib_site\n.type redlat_calib_site,@function\n"
	"redlat_calib_site:\n\tcall redlat_calib_leaf\n\tret\n"
	".size redlat_calib_site, .-redlat_calib_site\n"
	".globl redlat_calib_leaf\n.type redlat_calib_leaf,@function\n"
	"redlat_calib_leaf:\n\tret\n"
	".size redlat_calib_leaf, .-redlat_calib_leaf\n");

#define CALIB_CALLS 4000
#define CALIB_ROUNDS 5

static double time_calls(int n)
{
	uint64_t t0 = now_ns();
	int i;

	for (i = 0; i < n; i++)
		redlat_calib_site();
	return (double)(now_ns() - t0) / n;
}

static double median(double *v, int n)
{
	int i, j;

	for (i = 1; i < n; i++)
		for (j = i; j > 0 && v[j - 1] > v[j]; j--) {
			double t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v[n / 2];
}

int calib_run(struct calib *out, char *err, size_t errlen)
{
	struct bpf_link *hit = NULL, *ent = NULL, *ret = NULL;
	struct elfsym site, leaf;
	struct elfbin *self = NULL;
	struct calib_bpf *skel;
	double with[CALIB_ROUNDS], without[CALIB_ROUNDS];
	int i, rc = -1;

	skel = calib_bpf__open_and_load();
	if (!skel) {
		snprintf(err, errlen, "cannot load the calibration BPF program: %s", strerror(errno));
		return -1;
	}
	if (elfbin_open("/proc/self/exe", &self, err, errlen))
		goto out;
	if (elfbin_sym(self, "redlat_calib_site", &site) || elfbin_sym(self, "redlat_calib_leaf", &leaf)) {
		snprintf(err, errlen, "redlat's own symbols are missing (was redlat stripped?)");
		goto out;
	}
	hit = bpf_program__attach_uprobe(skel->progs.calib_hit, false, getpid(), "/proc/self/exe", site.off);
	if (!hit) {
		snprintf(err, errlen, "cannot attach a uprobe to redlat itself: %s", strerror(errno));
		goto out;
	}
	/* Interleave probed and unprobed rounds; medians resist a busy host. */
	for (i = 0; i < CALIB_ROUNDS; i++) {
		with[i] = time_calls(CALIB_CALLS);
		bpf_link__destroy(hit);
		without[i] = time_calls(CALIB_CALLS);
		hit = bpf_program__attach_uprobe(skel->progs.calib_hit, false, getpid(), "/proc/self/exe", site.off);
		if (!hit) {
			snprintf(err, errlen, "cannot attach a uprobe to redlat itself: %s", strerror(errno));
			goto out;
		}
	}
	out->hit_ns = median(with, CALIB_ROUNDS) - median(without, CALIB_ROUNDS);
	if (out->hit_ns < 1)
		out->hit_ns = 1;
	bpf_link__destroy(hit);
	hit = NULL;

	ent = bpf_program__attach_uprobe(skel->progs.calib_entry, false, getpid(), "/proc/self/exe", leaf.off);
	ret = bpf_program__attach_uprobe(skel->progs.calib_return, true, getpid(), "/proc/self/exe", leaf.off);
	if (!ent || !ret) {
		snprintf(err, errlen, "cannot attach a uretprobe to redlat itself: %s", strerror(errno));
		goto out;
	}
	time_calls(CALIB_CALLS);
	out->pair_bias_ns = skel->bss->spans ? (double)skel->bss->span_sum_ns / skel->bss->spans : 0;
	rc = 0;
out:
	bpf_link__destroy(hit);
	bpf_link__destroy(ent);
	bpf_link__destroy(ret);
	elfbin_close(self);
	calib_bpf__destroy(skel);
	return rc;
}
