/* SPDX-License-Identifier: GPL-2.0 */
#ifndef REDLAT_MAPS_BPF_H
#define REDLAT_MAPS_BPF_H

#include <bpf/bpf_helpers.h>
#include "hist.h"

/* Look a key up, inserting init when it is absent (two CPUs may race to
 * insert: BPF_NOEXIST lets one win and both then use the same value). */
static __always_inline void *lookup_or_init(void *map, const void *key,
					    const void *init)
{
	void *val = bpf_map_lookup_elem(map, key);
	long err;

	if (val)
		return val;
	err = bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	if (err && err != -17 /* EEXIST */)
		return 0;
	return bpf_map_lookup_elem(map, key);
}

/* Record n samples of ns each in the histogram at key of map (struct hist
 * values), created from init (zeroed) when absent. -1 when the map is
 * full. */
static __always_inline int hist_add_n_to(void *map, const void *key, const void *init, __u64 ns, __u64 n)
{
	struct hist *h = bpf_map_lookup_elem(map, key);
	__u32 slot;

	if (!h && init)
		h = lookup_or_init(map, key, init);
	if (!h)
		return -1;
	slot = hist_slot(ns);
	/* hist_slot() clamps already; hide that from the compiler so the
	 * check below survives for the verifier. */
	asm volatile("" : "+r"(slot));
	__sync_fetch_and_add(&h->count, n);
	__sync_fetch_and_add(&h->sum_ns, ns * n);
	if (slot < HIST_SLOTS)
		__sync_fetch_and_add(&h->slots[slot], n);
	if (ns > h->max_ns)
		h->max_ns = ns;
	return 0;
}

static __always_inline int hist_add_to(void *map, const void *key, const void *init, __u64 ns)
{
	return hist_add_n_to(map, key, init, ns, 1);
}

#endif
