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
 * Bytes the page allocator can still hand out on the nodes of @m without
 * reclaim: per node, MemFree (sys/devices/system/node/nodeN/meminfo)
 * less the high watermarks of the node's zones (proc/zoneinfo), never
 * below 0.  UINT64_MAX when a node's figures cannot be read.
 */
uint64_t topo_free_bytes(const char *root, const struct sd_nodemask *m);

/*
 * The parsers behind it, on the text of the files: MemFree of a node's
 * meminfo in bytes (false: not found), and the sum of the high watermarks
 * of node @node's zones in zoneinfo, in pages (false: node not found).
 */
bool topo_parse_memfree(const char *meminfo, uint64_t *bytes);
bool topo_parse_zone_high(const char *zoneinfo, unsigned int node, uint64_t *pages);

#endif /* SENTINELD_TOPOLOGY_H */
