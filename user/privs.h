/* SPDX-License-Identifier: GPL-2.0 */
/* Capabilities: which redlat needs to start, and giving up those it no
 * longer needs once its probes are attached. */
#ifndef REDLAT_PRIVS_H
#define REDLAT_PRIVS_H

#include <stddef.h>
#include <stdint.h>

#define PRIV(cap) (1ULL << (cap))

/* 0 when the effective set holds what redlat needs to start, else -1 with
 * a one-line reason naming each missing capability in err. A failing
 * capget is 0: the load itself will say. */
int privs_check(char *err, size_t errlen);

/* The effective set, as a mask of PRIV(CAP_*) bits (0 when unreadable). */
uint64_t privs_effective(void);

/* Keep only the capabilities in keep. With effective_only, they leave the
 * effective set alone and stay permitted, so that privs_keep can raise
 * them again; otherwise they leave the permitted and inheritable sets too,
 * for good, and the ambient set is cleared. This thread only: call it
 * while redlat has one. 0, or -1 with errno. */
int privs_keep(uint64_t keep, int effective_only);

#endif
