/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Attribution of cache misses to virtual pages (plugin argument attr=N):
 * the misses of one vCPU's accesses to user addresses, counted per virtual
 * page and node, between two markers.  The best-placement bound
 * (tools/bench/oracle, Documentation/lab.rst "Attribution") places pages
 * from these counts.  No I/O.
 */
#ifndef LAB_ATTR_H
#define LAB_ATTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "counters.h"

struct lab_attr_ent {
	uint64_t vpn;		 /* virtual page number + 1; 0: empty slot */
	uint32_t miss[LAB_SLOTS]; /* line fills by node slot */
	uint32_t seq[LAB_SLOTS];  /* of which sequential (counters.h) */
};

struct lab_attr {
	struct lab_attr_ent *t;
	size_t cap;	/* power of two */
	size_t used;
	uint64_t dropped; /* misses not counted: the table could not grow */
};

/* 0, or -1 when out of memory. */
int lab_attr_init(struct lab_attr *a, size_t cap);
void lab_attr_free(struct lab_attr *a);
/* Count one miss of the page of vaddr on node slot, sequential or not. */
void lab_attr_miss(struct lab_attr *a, uint64_t vaddr, int slot, bool seq);
/* Forget every page (keeps the table's memory). */
void lab_attr_clear(struct lab_attr *a);

/* Iterate: *i starts at 0; returns the next used entry or NULL. */
const struct lab_attr_ent *lab_attr_next(const struct lab_attr *a, size_t *i);

#endif /* LAB_ATTR_H */
