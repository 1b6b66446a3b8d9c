/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tier-lab cost model: modeled time of a phase from its event counters and
 * a named hardware profile.  Pure computation and text parsing, no I/O.
 *
 * Per vCPU:
 *   cpu = insns * cpi / freq
 *   lat = sum over tiers of (misses - sequential misses) * latency
 *   bw  = sum over tiers of (misses + write-backs) * line / bandwidth
 *   t   = max(cpu + lat, bw)
 * Per phase: the maximum of t over the vCPUs taken into account, so work
 * that another vCPU (a migration thread) does during the phase is waited
 * for.  See Documentation/lab.rst for the reasoning and the limits.
 */
#ifndef LAB_COSTMODEL_H
#define LAB_COSTMODEL_H

#include <stddef.h>
#include <stdint.h>

#include "counters.h"

#define LAB_PROFILE_NAME 64
#define LAB_PROFILE_DESC 160

struct lab_tier {
	double latency_ns;    /* dependent-load latency of a miss */
	double bandwidth_gbs; /* per-core sustainable bandwidth, 1e9 B/s */
};

struct lab_profile {
	char name[LAB_PROFILE_NAME];
	char description[LAB_PROFILE_DESC];
	double cpi;	 /* cycles per instruction when no miss stalls */
	double freq_ghz;
	int ntiers;	 /* tier i is NUMA node i */
	struct lab_tier tier[LAB_MAX_NODES];
	int line;	 /* line of the section header in the source text */
};

/*
 * Parse profiles from text (INI style, see profiles.conf).  "file" names
 * the text in error messages ("file:line: message").  Returns the number
 * of profiles stored in out[0..max), or -1 with a message in err.
 */
int lab_profiles_parse(const char *text, const char *file,
		       struct lab_profile *out, int max, char *err,
		       size_t len);
const struct lab_profile *lab_profile_find(const struct lab_profile *p, int n,
					   const char *name);

struct lab_cost {
	double cpu_ns;
	double lat_ns;
	double bw_ns;
	double total_ns;
	double bytes[LAB_SLOTS]; /* bytes moved per node slot */
};

/*
 * The tier that pays for node slot "slot": the node's own tier; nodes past
 * the profile's last tier pay the last (slowest) tier; addresses outside
 * every node (LAB_NODE_OTHER) pay tier 0.
 */
int lab_cost_tier(const struct lab_profile *p, int slot);

/* Modeled time of one vCPU's counters (deltas over a phase). */
void lab_cost_vcpu(const struct lab_profile *p, const struct lab_counters *c,
		   unsigned int line, struct lab_cost *out);

/*
 * Modeled time of a phase: c[0..n) are the vCPUs' deltas; only vCPUs whose
 * bit is set in vcpu_mask count (bit i = vCPU i; vCPUs >= 64 always
 * count).  per (optional) receives each vCPU's cost, *critical (optional)
 * the vCPU that sets the time, or -1 when none counts.  Returns the time
 * in ns.
 */
double lab_cost_phase(const struct lab_profile *p, const struct lab_counters *c,
		      unsigned int n, unsigned int line, uint64_t vcpu_mask,
		      struct lab_cost *per, int *critical);

#endif /* LAB_COSTMODEL_H */
