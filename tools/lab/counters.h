/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-vCPU event counters of the tier lab, shared by the plugin (which
 * produces them), the record reader and the cost model.
 */
#ifndef LAB_COUNTERS_H
#define LAB_COUNTERS_H

#include <stdint.h>

/* NUMA nodes the lab tells apart; slot LAB_MAX_NODES is "no node". */
#define LAB_MAX_NODES 8
#define LAB_SLOTS (LAB_MAX_NODES + 1)
#define LAB_NODE_OTHER LAB_MAX_NODES

struct lab_counters {
	uint64_t insns;		   /* guest instructions executed */
	uint64_t loads;		   /* data loads fed to the cache model */
	uint64_t stores;	   /* data stores fed to the cache model */
	uint64_t hits;		   /* cache-line lookups that hit */
	uint64_t io;		   /* accesses to MMIO, not cached */
	uint64_t miss[LAB_SLOTS];  /* line fills, by node of the line */
	uint64_t seq[LAB_SLOTS];   /* of which continue a sequential stream */
	uint64_t wb[LAB_SLOTS];	   /* dirty write-backs, by node of the line */
};

/* d = a - b, field by field. */
static inline void lab_counters_sub(struct lab_counters *d,
				    const struct lab_counters *a,
				    const struct lab_counters *b)
{
	d->insns = a->insns - b->insns;
	d->loads = a->loads - b->loads;
	d->stores = a->stores - b->stores;
	d->hits = a->hits - b->hits;
	d->io = a->io - b->io;
	for (int i = 0; i < LAB_SLOTS; i++) {
		d->miss[i] = a->miss[i] - b->miss[i];
		d->seq[i] = a->seq[i] - b->seq[i];
		d->wb[i] = a->wb[i] - b->wb[i];
	}
}

/* a += b */
static inline void lab_counters_add(struct lab_counters *a,
				    const struct lab_counters *b)
{
	a->insns += b->insns;
	a->loads += b->loads;
	a->stores += b->stores;
	a->hits += b->hits;
	a->io += b->io;
	for (int i = 0; i < LAB_SLOTS; i++) {
		a->miss[i] += b->miss[i];
		a->seq[i] += b->seq[i];
		a->wb[i] += b->wb[i];
	}
}

#endif /* LAB_COUNTERS_H */
