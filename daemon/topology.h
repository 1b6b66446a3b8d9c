/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Memory-tier topology: which NUMA nodes are fast and which are slow.
 */
#ifndef SENTINELD_TOPOLOGY_H
#define SENTINELD_TOPOLOGY_H

#include <stdbool.h>
#include <stdint.h>

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

/*
 * Bytes the page allocator can still hand out for user pages on the
 * nodes of @m without reclaim: per zone (proc/zoneinfo), the free pages
 * above its high watermark and its reserve against allocations from
 * higher zones (the largest of its "protection" entries: a user page may
 * come from the movable zone down), never below 0.  A small zone (DMA)
 * often has hundreds of free pages that its reserve keeps from user
 * pages.  UINT64_MAX when zoneinfo cannot be read.
 */
uint64_t topo_free_bytes(const char *root, const struct sd_nodemask *m);

/*
 * Total bytes of memory on the nodes of @m (MemTotal of each node's
 * sys/devices/system/node/nodeN/meminfo), 0 when one cannot be read.
 */
uint64_t topo_total_bytes(const char *root, const struct sd_nodemask *m);

/*
 * The parser behind it, on the text of zoneinfo: the usable free pages of
 * node @node's zones (false: node not found).
 */
bool topo_parse_zone_usable(const char *zoneinfo, unsigned int node, uint64_t *pages);

#endif /* SENTINELD_TOPOLOGY_H */
