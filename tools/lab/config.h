/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tier-lab plugin configuration: the "name=value" arguments given after
 * the plugin's file name on QEMU's -plugin option, and the NUMA node map.
 * No I/O.
 */
#ifndef LAB_CONFIG_H
#define LAB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cache.h"
#include "counters.h"

#define LAB_MAX_RANGES 32

struct lab_range {
	uint64_t lo, hi; /* inclusive */
	int node;
};

struct lab_nodes {
	struct lab_range r[LAB_MAX_RANGES]; /* sorted by lo, disjoint */
	int n;
	int nnodes; /* highest node + 1 */
};

enum lab_mode {
	LAB_MODE_MARKER = 0, /* count only between start and stop markers */
	LAB_MODE_ALWAYS,     /* count from boot */
};

enum lab_scope {
	LAB_SCOPE_ALL = 0, /* kernel and user code */
	LAB_SCOPE_USER,	   /* user-mode code only (lower-half addresses) */
};

struct lab_config {
	struct lab_cache_cfg cache;
	struct lab_nodes nodes;
	const char *out;   /* output file; NULL: none (summary only) */
	enum lab_mode mode;
	enum lab_scope scope;
	bool cold_start;   /* invalidate the cache at every start marker */
	uint64_t trace;	   /* record the first N accesses (debugging) */
	uint64_t vcpus;	   /* bit i: count vCPU i (vCPUs >= 64: always) */
	/* Delay mode: a miss on node i that no stream hides costs delay[i]
	 * instructions' worth of wall time (0: none). */
	double delay[LAB_MAX_NODES];
	bool delay_on;	   /* some delay[i] > 0 */
	/* attr=N: attribute vCPU N's misses at user addresses to virtual
	 * pages (attr.h); -1: off. */
	int attr_vcpu;
};


/*
 * Add the ranges of node "node" given as "LO-HI[:LO-HI...]" (inclusive
 * bounds) or "LO+SIZE".  Returns 0, or -1 with a message in err.
 */
int lab_nodes_add(struct lab_nodes *nm, int node, const char *spec,
		  char *err, size_t len);
/* The node owning paddr, or LAB_NODE_OTHER. */
int lab_nodes_find(const struct lab_nodes *nm, uint64_t paddr);

/* Parse a vCPU list such as "0,2-3" (vCPUs 0 to 63) into a bit mask. */
int lab_parse_cpulist(const char *s, uint64_t *mask);

/* Parse plugin arguments into cfg (defaults first). 0 or -1 + err. */
int lab_config_parse(struct lab_config *cfg, int argc, char **argv,
		     char *err, size_t len);

#endif /* LAB_CONFIG_H */
