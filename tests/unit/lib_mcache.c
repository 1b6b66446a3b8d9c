// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The allocator's mapping cache (lib/mcache.c) on its own: the same
 * object of the next step gets its own mapping back, else a mapping of
 * the same length and node, newest first; alignment is honoured; old
 * and over-limit mappings become victims, at most SNTL_MC_VICTIMS per
 * call; draining returns every mapping exactly once; a step's worth of
 * thousands of objects is served without a miss.  Addresses are fake
 * (never dereferenced, never unmapped).
 */
#include <stdint.h>
#include <string.h>

#include "internal.h"
#include "tap.h"

#define PG	4096UL
#define A(x)	((void *)(uintptr_t)(x))
#define BIG	((size_t)1 << 40)

static struct sntl_mcache mc;
static struct sntl_mc_victims vic;

static void test_lid_first(void)
{
	sntl_mc_init(&mc);
	vic.n = 0;
	sntl_mc_put(&mc, A(0x100000), 2 * PG, 11, 0, false, 1, BIG, &vic);
	sntl_mc_put(&mc, A(0x200000), 2 * PG, 12, 0, false, 1, BIG, &vic);
	sntl_mc_put(&mc, A(0x300000), 2 * PG, 13, 0, false, 1, BIG, &vic);
	ok(mc.n == 3 && mc.bytes == 6 * PG && vic.n == 0,
	   "three mappings kept (%u, %zu bytes)", mc.n, mc.bytes);
	ok(sntl_mc_take(&mc, 11, 2 * PG, PG, 0, NULL) == A(0x100000),
	   "lid 11 gets its own mapping back, not the newest");
	ok(sntl_mc_take(&mc, 99, 2 * PG, PG, 0, NULL) == A(0x300000),
	   "an unknown lid gets the newest of the same length and node");
	ok(sntl_mc_take(&mc, 12, 2 * PG, PG, 1, NULL) == NULL,
	   "lid 12 on another node: no mapping");
	ok(sntl_mc_take(&mc, 12, 3 * PG, PG, 0, NULL) == NULL,
	   "lid 12 with another length: no mapping");
	ok(sntl_mc_take(&mc, 12, 2 * PG, PG, 0, NULL) == A(0x200000),
	   "lid 12 at its length and node: its mapping");
	ok(mc.n == 0 && mc.bytes == 0 && mc.hits == 3 && mc.lid_hits == 2,
	   "empty again (%u hits, %u by lid)", (unsigned int)mc.hits,
	   (unsigned int)mc.lid_hits);
	ok(sntl_mc_take(&mc, 11, 2 * PG, PG, 0, NULL) == NULL, "nothing left to take");
}

static void test_align_and_nodes(void)
{
	sntl_mc_init(&mc);
	vic.n = 0;
	sntl_mc_put(&mc, A(0x201000), 4 * PG, 1, -1, false, 1, BIG, &vic);
	sntl_mc_put(&mc, A(0x400000), 4 * PG, 2, -1, false, 1, BIG, &vic);
	sntl_mc_put(&mc, A(0x601000), 4 * PG, 3, -1, false, 1, BIG, &vic);
	ok(sntl_mc_take(&mc, 7, 4 * PG, 0x200000, -1, NULL) == A(0x400000),
	   "a 2 MiB alignment skips the unaligned newer mapping");
	ok(sntl_mc_take(&mc, 7, 4 * PG, 0x200000, -1, NULL) == NULL,
	   "no other aligned mapping");
	ok(sntl_mc_take(&mc, 3, 4 * PG, 0x200000, -1, NULL) == NULL,
	   "not even by lid: lid 3's mapping is not aligned");
	ok(sntl_mc_take(&mc, 3, 4 * PG, PG, -1, NULL) == A(0x601000) &&
	   sntl_mc_take(&mc, 3, 4 * PG, PG, -1, NULL) == A(0x201000),
	   "page alignment takes both the others");
	sntl_mc_put(&mc, A(0x800000), PG, 5, 0, false, 1, BIG, &vic);
	sntl_mc_put(&mc, A(0x900000), PG, 5, 1, false, 1, BIG, &vic);
	ok(sntl_mc_take(&mc, 5, PG, PG, 1, NULL) == A(0x900000) &&
	   sntl_mc_take(&mc, 5, PG, PG, 0, NULL) == A(0x800000),
	   "one lid on two nodes: each node gets its own");
	{
		bool c1 = false, c2 = true;

		sntl_mc_put(&mc, A(0xa00000), PG, 6, 0, true, 1, BIG, &vic);
		sntl_mc_put(&mc, A(0xb00000), PG, 7, 0, false, 1, BIG, &vic);
		ok(sntl_mc_take(&mc, 6, PG, PG, 0, &c1) == A(0xa00000) && c1 &&
		   sntl_mc_take(&mc, 7, PG, PG, 0, &c2) == A(0xb00000) && !c2,
		   "a mapping comes back with the checked flag it was put with");
	}
}

static void test_age_and_limit(void)
{
	sntl_mc_init(&mc);
	vic.n = 0;
	sntl_mc_put(&mc, A(0x100000), PG, 1, 0, false, 5, BIG, &vic);
	sntl_mc_put(&mc, A(0x200000), PG, 2, 0, false, 6, BIG, &vic);
	sntl_mc_age(&mc, 6, &vic);
	ok(vic.n == 0 && mc.n == 2, "nothing old at step 6");
	sntl_mc_age(&mc, 7, &vic);
	ok(vic.n == 1 && vic.v[0].addr == A(0x100000) && mc.n == 1,
	   "at step 7 the mapping of step 5 goes");
	vic.n = 0;
	sntl_mc_put(&mc, A(0x300000), 2 * PG, 3, 0, false, 7, 3 * PG, &vic);
	ok(vic.n == 0 && mc.bytes == 3 * PG, "within the limit: kept");
	sntl_mc_put(&mc, A(0x400000), PG, 4, 0, false, 7, 3 * PG, &vic);
	ok(vic.n == 1 && vic.v[0].addr == A(0x200000) && mc.bytes == 3 * PG,
	   "over the limit: the oldest goes");
	vic.n = 0;
	sntl_mc_put(&mc, A(0x500000), 4 * PG, 5, 0, false, 7, 3 * PG, &vic);
	ok(vic.n == 1 && vic.v[0].addr == A(0x500000) && mc.bytes == 3 * PG,
	   "larger than the limit: the new mapping itself is the victim");
	vic.n = 0;
	sntl_mc_put(&mc, A(0x600000), PG, 6, 0, false, 7, 0, &vic);
	ok(vic.n == 1 && vic.v[0].addr == A(0x600000) && mc.n == 2,
	   "a limit of 0 keeps nothing new and evicts nothing else");
	ok(sntl_mc_take(&mc, 2, PG, PG, 0, NULL) == A(0x400000) &&
	   sntl_mc_take(&mc, 2, PG, PG, 0, NULL) == NULL &&
	   sntl_mc_take(&mc, 3, 2 * PG, PG, 0, NULL) == A(0x300000),
	   "what is left is what was kept; an evicted mapping is never taken");
}

static void test_victims_bounded(void)
{
	uint32_t i, seen = 0, calls = 0;

	sntl_mc_init(&mc);
	vic.n = 0;
	for (i = 0; i < 1000; i++)
		sntl_mc_put(&mc, A(0x1000000 + i * PG), PG, i, 0, false, 1, BIG, &vic);
	ok(mc.n == 1000 && vic.n == 0, "1000 mappings kept (%u slots)", mc.cap);
	sntl_mc_age(&mc, 10, &vic);
	ok(vic.n == SNTL_MC_VICTIMS - 1 && mc.n == 1000 - vic.n,
	   "aging stops one short of a full victim list (%u)", vic.n);
	vic.n = 0;
	sntl_mc_put(&mc, A(0x9000000), PG, 5000, 0, false, 10, 100 * PG, &vic);
	ok(vic.n == SNTL_MC_VICTIMS, "a put over the limit fills it, no further");
	vic.n = 0;
	while (!sntl_mc_drain(&mc, &vic)) {
		seen += vic.n;
		vic.n = 0;
		calls++;
	}
	seen += vic.n;
	ok(mc.n == 0 && mc.bytes == 0 && calls > 0,
	   "drained in %u rounds, %u mappings returned", calls + 1, seen);
}

static void test_forget(void)
{
	sntl_mc_init(&mc);
	vic.n = 0;
	sntl_mc_put(&mc, A(0x100000), PG, 1, 0, false, 1, BIG, &vic);
	sntl_mc_put(&mc, A(0x200000), PG, 2, 0, false, 1, BIG, &vic);
	sntl_mc_forget(&mc);
	ok(sntl_mc_take(&mc, 1, PG, PG, 0, NULL) == NULL &&
	   sntl_mc_take(&mc, 3, PG, PG, 0, NULL) == NULL,
	   "after a new placement map nothing cached before is taken");
	sntl_mc_put(&mc, A(0x300000), PG, 1, 0, false, 2, BIG, &vic);
	ok(sntl_mc_take(&mc, 1, PG, PG, 0, NULL) == A(0x300000),
	   "what is cached after it is");
	sntl_mc_age(&mc, 3, &vic);
	ok(vic.n == 2 && mc.n == 0, "the stale ones age out (%u)", vic.n);
}

/* A step's objects freed and taken again, in another order, 5 steps. */
static void test_steps(void)
{
	enum { N = 3000 };
	static void *addr[N];
	uint32_t step, i, bad = 0, moved = 0;

	sntl_mc_init(&mc);
	vic.n = 0;
	for (i = 0; i < N; i++)
		addr[i] = A(0x10000000 + (uintptr_t)i * 16 * PG);
	for (step = 1; step <= 5; step++) {
		for (i = 0; i < N; i++)
			sntl_mc_put(&mc, addr[i], (1 + i % 7) * PG, i, (int)(i % 2), false,
				    step, BIG, &vic);
		sntl_mc_age(&mc, step + 1, &vic);
		for (i = N; i-- > 0;) {
			void *p = sntl_mc_take(&mc, i, (1 + i % 7) * PG, PG,
					       (int)(i % 2), NULL);

			bad += !p;
			moved += p != addr[i];
		}
	}
	ok(bad == 0 && moved == 0 && vic.n == 0 && mc.n == 0,
	   "5 steps of %d objects: every one gets its own mapping (%u misses, %u others)",
	   N, bad, moved);
}

int main(void)
{
	test_lid_first();
	test_align_and_nodes();
	test_age_and_limit();
	test_victims_bounded();
	test_forget();
	test_steps();
	return tap_done();
}
