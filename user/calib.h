/* SPDX-License-Identifier: GPL-2.0 */
#ifndef REDLAT_CALIB_H
#define REDLAT_CALIB_H

struct calib {
	double hit_ns;		/* what one uprobe hit on a call instruction costs */
	double pair_bias_ns;	/* what an entry/return pair adds to the span it times */
};

/* Attach probes to redlat's own code and time them. 0, or -1 with a reason. */
int calib_run(struct calib *out, char *err, size_t errlen);

#endif
