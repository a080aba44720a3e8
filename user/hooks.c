// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include "hooks_user.h"

static const char *const strategy_names[] = {
	[HS_NONE] = "none",
	[HS_CALL_SITES] = "call-sites",
	[HS_ENTRY] = "entry",
	[HS_ENTRY_NO_CALLER] = "entry-no-caller",
};

static const char *const verdict_names[HV_MAX] = {
	[HV_ABSENT] = "absent",
	[HV_UNVERIFIED] = "unverified",
	[HV_FIRED] = "fired",
	[HV_MISSED] = "missed",
	[HV_SILENT] = "silent",
};

int hook_first_strategy(int has_sym, int nsites)
{
	if (!has_sym)
		return HS_NONE;
	return nsites > 0 ? HS_CALL_SITES : HS_ENTRY_NO_CALLER;
}

/* Call sites can be silent while the function still runs: in a build whose
 * local clones have no symbol (a stripped LTO build), the sites found are
 * those of named functions, and the live caller may be a clone. The entry
 * catches every caller; after it there is nothing left to try. */
int hook_next_strategy(int cur, int has_sym)
{
	return cur == HS_CALL_SITES && has_sym ? HS_ENTRY : HS_NONE;
}

int hook_verdict(int strategy, unsigned long long hits, unsigned long long expected, int per_event,
		 unsigned long long min_evidence)
{
	if (strategy == HS_NONE)
		return HV_ABSENT;
	if (hits)
		return per_event && hits < expected ? HV_MISSED : HV_FIRED;
	return expected && expected >= min_evidence ? HV_SILENT : HV_UNVERIFIED;
}

const char *hook_strategy_name(int s)
{
	return s >= 0 && s < (int)(sizeof(strategy_names) / sizeof(strategy_names[0])) ? strategy_names[s] : "?";
}

const char *hook_verdict_name(int v)
{
	return v >= 0 && v < HV_MAX ? verdict_names[v] : "?";
}

static int name_index(const char *const *names, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (names[i] && !strcmp(names[i], name))
			return i;
	return -1;
}

int hook_strategy_from(const char *name)
{
	return name_index(strategy_names, (int)(sizeof(strategy_names) / sizeof(strategy_names[0])), name);
}

int hook_verdict_from(const char *name)
{
	return name_index(verdict_names, HV_MAX, name);
}
