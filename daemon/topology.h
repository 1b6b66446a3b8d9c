/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Memory-tier topology: which NUMA nodes are fast and which are slow.
 */
#ifndef SENTINELD_TOPOLOGY_H
#define SENTINELD_TOPOLOGY_H

#include "config.h"

struct topology {
	struct sd_nodemask memory;	/* nodes with memory */
	struct sd_nodemask fast;
	struct sd_nodemask slow;
	const char *source;		/* how fast/slow were decided */
};

/*
 * Detect the tiers under @root ("" for the running system; a directory
 * holding a fake sys/ tree in tests):
 *  1. memory tiers (sys/devices/virtual/memory_tiering/memory_tierN/nodelist)
 *     when there are at least two: the lowest-numbered tier is fast, the
 *     rest is slow;
 *  2. otherwise nodes with CPUs are fast, memory-only nodes are slow.
 * Returns 0, or -1 with a message in @err when no node could be found.
 */
int topo_detect(const char *root, struct topology *t, char *err, size_t errlen);

/*
 * The tiers the configuration asks for: detected when "auto", else the
 * configured lists, checked against the nodes that have memory (@err
 * names a node that does not exist).
 */
int topo_resolve(const char *root, const struct sd_config *c,
		 struct topology *t, char *err, size_t errlen);

#endif /* SENTINELD_TOPOLOGY_H */
