// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Logical ids: stable across simulated training steps, encoding kind,
 * class and size, restarted by every step; object ids unique among live
 * objects even when two live objects share a logical id.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sentinel.h>

#include "tap.h"

#define PER_STEP 40
#define STEPS	 6
#define LIVE	 140

static const size_t sizes[PER_STEP] = {
	64, 4096, 100000, 300, 1 << 20, 32, 8192, 65536, 65537, 7,
};

static uint64_t lids[STEPS][PER_STEP];

static void one_step(int s, void **keep)
{
	void *p[PER_STEP];
	struct sntl_alloc_info info;
	int i;

	sntl_step_begin((uint64_t)s + 1);
	for (i = 0; i < PER_STEP; i++) {
		int kind = i % SNTL_KIND_COUNT;
		int life = 1 + i % 3;

		p[i] = sntl_alloc(sizes[i % 10] + (size_t)i, kind, life);
		sntl_alloc_info(p[i], &info);
		lids[s][i] = info.logical_id;
	}
	/* Free in a different order each step: ids do not depend on it. */
	for (i = 0; i < PER_STEP; i++) {
		int k = (i * 7 + s) % PER_STEP;

		if (keep && k == 0)
			*keep = p[k];
		else
			sntl_free(p[k]);
	}
	sntl_step_end((uint64_t)s + 1);
}

int main(void)
{
	struct sntl_alloc_info a, b;
	void *before, *between, *kept = NULL, *p, *q;
	void *many[LIVE];
	uint64_t oids[LIVE];
	int s, i, j, same = 1, distinct = 1, decoded = 1, unique = 1, logical = 1;


	before = sntl_alloc(1000, SNTL_KIND_WEIGHT, SNTL_LIFE_PERSISTENT);
	sntl_alloc_info(before, &a);
	ok(!!(a.logical_id & SNTL_LID_OUTSIDE_STEP),
	   "allocations before the first step are marked outside a step");

	for (s = 0; s < STEPS; s++)
		one_step(s, s == 2 ? &kept : NULL);
	for (s = 1; s < STEPS; s++)
		for (i = 0; i < PER_STEP; i++)
			same &= lids[s][i] == lids[0][i];
	ok(same, "the same allocation sequence gives the same logical ids in %d steps",
	   STEPS);
	for (i = 0; i < PER_STEP; i++)
		for (j = 0; j < i; j++)
			distinct &= lids[0][i] != lids[0][j];
	ok(distinct, "logical ids within a step are distinct");
	for (i = 0; i < PER_STEP; i++) {
		uint64_t l = lids[0][i];
		int kind = i % SNTL_KIND_COUNT, cls = i % 3;

		decoded &= SNTL_LID_KIND(l) == (unsigned int)kind &&
			   SNTL_LID_CLASS(l) == (unsigned int)cls &&
			   !(l & SNTL_LID_OUTSIDE_STEP) && !(l >> SNTL_LID_BITS);
	}
	ok(decoded, "kind and class decode from the logical id");
	ok(SNTL_LID_INDEX(lids[0][0]) == 0 && SNTL_LID_INDEX(lids[0][6]) == 1 &&
	   SNTL_LID_INDEX(lids[0][18]) == 3,
	   "the index counts allocations of the same kind and class in the step");

	between = sntl_alloc(1000, SNTL_KIND_WEIGHT, SNTL_LIFE_PERSISTENT);
	sntl_alloc_info(between, &b);
	ok((b.logical_id & SNTL_LID_OUTSIDE_STEP) && b.logical_id != a.logical_id,
	   "between steps: outside a step, and not restarted");

	/* A size change (new shape) changes the logical id. */
	sntl_step_begin(50);
	p = sntl_alloc(1000, SNTL_KIND_ACTIVATION, SNTL_LIFE_STEP);
	sntl_alloc_info(p, &a);
	sntl_free(p);
	sntl_step_begin(51);
	p = sntl_alloc(1004, SNTL_KIND_ACTIVATION, SNTL_LIFE_STEP);
	sntl_alloc_info(p, &b);
	sntl_free(p);
	ok(SNTL_LID_INDEX(a.logical_id) == SNTL_LID_INDEX(b.logical_id) &&
	   a.logical_id != b.logical_id, "a different size gives a different logical id");

	/* An object of step 3 still live while later steps reuse its id. */
	sntl_step_begin(60);
	p = sntl_alloc(sizes[0], SNTL_KIND_OTHER, SNTL_LIFE_SHORT);
	sntl_alloc_info(kept, &a);
	sntl_alloc_info(p, &b);
	ok(a.logical_id == lids[0][0] && b.logical_id == lids[0][0],
	   "an object kept from step 3 and its counterpart in step 60 share the logical id");
	sntl_free(p);
	sntl_step_end(60);

	sntl_step_begin(70);
	p = sntl_alloc(5000, SNTL_KIND_GRADIENT, SNTL_LIFE_STEP);
	sntl_step_begin(71);
	q = sntl_alloc(5000, SNTL_KIND_GRADIENT, SNTL_LIFE_STEP);
	sntl_alloc_info(p, &a);
	sntl_alloc_info(q, &b);
	ok(a.logical_id == b.logical_id && a.object_id != b.object_id,
	   "two live objects with one logical id get distinct object ids");
	ok(SNTL_OBJECT_GEN(a.object_id) == 0 && SNTL_OBJECT_GEN(b.object_id) == 1 &&
	   SNTL_OBJECT_LOGICAL(a.object_id) == a.logical_id &&
	   SNTL_OBJECT_LOGICAL(b.object_id) == b.logical_id &&
	   (a.object_id & SNTL_ID_ALLOC),
	   "generations 0 and 1; SNTL_OBJECT_LOGICAL recovers the logical id");
	sntl_free(p);
	sntl_free(q);

	/* More live copies than generations: serial ids, still unique. */
	for (i = 0; i < LIVE; i++) {
		sntl_step_begin(100 + (uint64_t)i);
		many[i] = sntl_alloc(123, SNTL_KIND_OPTIMIZER, SNTL_LIFE_STEP);
		sntl_alloc_info(many[i], &a);
		oids[i] = a.object_id;
		logical &= i < SNTL_OBJECT_GEN_SERIAL ?
			   SNTL_OBJECT_LOGICAL(oids[i]) == a.logical_id :
			   SNTL_OBJECT_LOGICAL(oids[i]) == ~0ULL;
	}
	for (i = 0; i < LIVE; i++)
		for (j = 0; j < i; j++)
			unique &= oids[i] != oids[j];
	ok(unique, "%d live objects with one logical id: unique object ids", LIVE);
	ok(logical, "beyond %d generations the object id is a serial number",
	   SNTL_OBJECT_GEN_SERIAL);
	for (i = 0; i < LIVE; i++)
		sntl_free(many[i]);

	/* The short-lived region's segments. */
	p = sntl_alloc(10, SNTL_KIND_WORKSPACE, SNTL_LIFE_SHORT);
	sntl_alloc_info(p, &a);
	ok(SNTL_OBJECT_LOGICAL(a.object_id) == SNTL_LID_REGION(0) && a.mapped == 0,
	   "a packed object reports its region segment's object id");
	sntl_free(p);

	sntl_free(kept);
	sntl_free(before);
	sntl_free(between);
	return tap_done();
}
