/* SPDX-License-Identifier: GPL-2.0 */
#ifndef REDLAT_MAPS_BPF_H
#define REDLAT_MAPS_BPF_H

#include <bpf/bpf_helpers.h>

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

#endif
