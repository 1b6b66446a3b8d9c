// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Allocator invariants: alignment, no overlap, lifetime classes never
 * share a page, reuse of the short-lived region, memory returned to the
 * OS (checked with mincore(2)), foreign and double frees, placement at
 * birth (checked with get_mempolicy(2)).
 */
#include <errno.h>
#include <linux/mempolicy.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <sentinel.h>

#include "tap.h"

#define N_OBJS	3000

struct obj {
	char *p;
	size_t size;
	int life;
	unsigned char fill;
};

static struct obj objs[N_OBJS];
static size_t page;

/* A deterministic generator (xorshift). */
static uint64_t rng = 88172645463325252ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static size_t rnd_size(void)
{
	switch (rnd() % 4) {
	case 0:
		return rnd() % 64;
	case 1:
		return rnd() % 4096;
	case 2:
		return rnd() % (96 * 1024);
	default:
		return rnd() % (1 << 20);
	}
}

struct pagecls {
	uintptr_t page;
	int cls;		/* life class; long-lived objects: unique per object */
};

static int cmp_pc(const void *a, const void *b)
{
	const struct pagecls *x = a, *y = b;

	if (x->page != y->page)
		return x->page < y->page ? -1 : 1;
	return x->cls - y->cls;
}

static int cmp_obj(const void *a, const void *b)
{
	const struct obj *x = a, *y = b;

	return x->p < y->p ? -1 : x->p > y->p;
}

/* 1 when none of [p, p + len) is resident; -1 when unmapped. */
static int resident_pages(void *p, size_t len)
{
	size_t n = (len + page - 1) / page, i, res = 0;
	unsigned char *vec = malloc(n);

	if (!vec)
		return -2;
	if (mincore(p, len, vec)) {
		free(vec);
		return errno == ENOMEM ? -1 : -2;
	}
	for (i = 0; i < n; i++)
		res += vec[i] & 1;
	free(vec);
	return (int)res;
}

static void test_random(void)
{
	size_t i, npc = 0, cap = 0, bad_align = 0, bad_fill = 0, overlap = 0,
	       shared = 0, pool_pages = 0;
	struct pagecls *pc = NULL;
	struct sntl_alloc_info info;

	for (i = 0; i < N_OBJS; i++) {
		int life = 1 + (int)(rnd() % 3);
		int kind = (int)(rnd() % SNTL_KIND_COUNT);

		objs[i].size = rnd_size();
		objs[i].life = life;
		objs[i].p = sntl_alloc(objs[i].size, kind, life);
		objs[i].fill = (unsigned char)(i * 7 + 1);
		if (!objs[i].p)
			break;
		memset(objs[i].p, objs[i].fill, objs[i].size);
		if ((uintptr_t)objs[i].p % SNTL_ALLOC_ALIGN)
			bad_align++;
		if (sntl_alloc_info(objs[i].p, &info) == 0 && info.mapped &&
		    (uintptr_t)objs[i].p % page)
			bad_align++;
		/* Free some at once, as a program would. */
		if (rnd() % 3 == 0) {
			sntl_free(objs[i].p);
			objs[i].p = NULL;
		}
	}
	ok(i == N_OBJS, "%d allocations of random size, kind and life", N_OBJS);
	ok(!bad_align, "aligned to %d bytes, own-page objects to a page (%zu bad)",
	   SNTL_ALLOC_ALIGN, bad_align);

	for (i = 0; i < N_OBJS; i++) {
		size_t k;

		if (!objs[i].p)
			continue;
		for (k = 0; k < objs[i].size; k++)
			if ((unsigned char)objs[i].p[k] != objs[i].fill) {
				bad_fill++;
				break;
			}
	}
	ok(!bad_fill, "no object was overwritten by another (%zu bad)", bad_fill);

	qsort(objs, N_OBJS, sizeof(objs[0]), cmp_obj);
	for (i = 1; i < N_OBJS; i++) {
		if (!objs[i - 1].p)
			continue;
		if (objs[i - 1].p + (objs[i - 1].size ? objs[i - 1].size : 1) >
		    objs[i].p)
			overlap++;
	}
	ok(!overlap, "no two live objects overlap (%zu)", overlap);

	/*
	 * Page classes: objects with pages of their own get a class unique
	 * to them; objects of the region share class "short".  No page may
	 * hold two classes.
	 */
	for (i = 0; i < N_OBJS; i++) {
		uintptr_t a, end;
		int cls;

		if (!objs[i].p)
			continue;
		sntl_alloc_info(objs[i].p, &info);
		cls = info.mapped ? 100 + (int)i : 1;
		if (!info.mapped)
			pool_pages++;
		end = (uintptr_t)objs[i].p + (objs[i].size ? objs[i].size : 1);
		for (a = (uintptr_t)objs[i].p & ~(page - 1); a < end; a += page) {
			if (npc == cap) {
				cap = cap ? cap * 2 : 4096;
				pc = realloc(pc, cap * sizeof(*pc));
			}
			pc[npc].page = a;
			pc[npc].cls = cls;
			npc++;
		}
	}
	qsort(pc, npc, sizeof(*pc), cmp_pc);
	for (i = 1; i < npc; i++)
		if (pc[i].page == pc[i - 1].page && pc[i].cls != pc[i - 1].cls)
			shared++;
	ok(!shared && pool_pages,
	   "no page holds objects of different lifetime classes or two own-page objects (%zu shared pages, %zu packed objects)",
	   shared, pool_pages);
	free(pc);

	for (i = 0; i < N_OBJS; i++)
		if (objs[i].p && sntl_free(objs[i].p))
			break;
	ok(i == N_OBJS, "every object freed");
}

static void test_alignment(void)
{
	size_t a, bad = 0;

	for (a = 1; a <= (4UL << 20); a <<= 1) {
		void *s = sntl_alloc_aligned(100, a, SNTL_KIND_WORKSPACE,
					     SNTL_LIFE_SHORT);
		void *l = sntl_alloc_aligned(100, a, SNTL_KIND_WEIGHT,
					     SNTL_LIFE_PERSISTENT);

		if (!s || !l || (uintptr_t)s % a || (uintptr_t)l % a)
			bad++;
		sntl_free(s);
		sntl_free(l);
	}
	ok(!bad, "sntl_alloc_aligned honours alignments 1 B .. 4 MiB");
	errno = 0;
	ok(!sntl_alloc_aligned(10, 48, SNTL_KIND_OTHER, SNTL_LIFE_STEP) &&
	   errno == EINVAL, "alignment not a power of two: EINVAL");
	errno = 0;
	ok(!sntl_alloc(10, SNTL_KIND_COUNT, SNTL_LIFE_STEP) && errno == EINVAL,
	   "unknown kind: EINVAL");
	errno = 0;
	ok(!sntl_alloc(10, SNTL_KIND_OTHER, 9) && errno == EINVAL,
	   "unknown lifetime: EINVAL");
	errno = 0;
	ok(!sntl_alloc(SIZE_MAX - 10, SNTL_KIND_OTHER, SNTL_LIFE_STEP) &&
	   errno == ENOMEM, "absurd size: ENOMEM");
}

static void test_frees(void)
{
	struct sntl_alloc_info info;
	char *s = sntl_alloc(40, SNTL_KIND_WORKSPACE, SNTL_LIFE_SHORT);
	char *l = sntl_alloc(40, SNTL_KIND_WEIGHT, SNTL_LIFE_PERSISTENT);
	char *z1 = sntl_alloc(0, SNTL_KIND_WORKSPACE, SNTL_LIFE_SHORT);
	char *z2 = sntl_alloc(0, SNTL_KIND_WORKSPACE, SNTL_LIFE_SHORT);
	int local;

	ok(sntl_owns(s) && sntl_owns(l) && !sntl_owns(&local) && !sntl_owns(NULL),
	   "sntl_owns tells its pointers from others");
	ok(sntl_usable_size(s) == 40 && sntl_usable_size(l) == page &&
	   sntl_usable_size(&local) == 0, "usable sizes: 40, one page, 0");
	ok(z1 && z2 && z1 != z2, "zero-size allocations are distinct");
	ok(sntl_free(&local) == SNTL_EINVAL, "free of a foreign pointer: EINVAL");
	ok(sntl_free(s + 16) == SNTL_EINVAL && sntl_free(l + 64) == SNTL_EINVAL,
	   "free of an interior pointer: EINVAL");
	ok(sntl_free(NULL) == 0, "free(NULL) is a no-op");
	ok(sntl_free(s) == 0 && sntl_free(s) == SNTL_EINVAL,
	   "double free of a short-lived object: EINVAL");
	ok(sntl_free(l) == 0 && sntl_free(l) == SNTL_EINVAL,
	   "double free of a long-lived object: EINVAL");
	ok(sntl_alloc_info(s, &info) == SNTL_ENOENT, "freed object: no info");
	sntl_free(z1);
	sntl_free(z2);
}

static void test_reuse_and_release(void)
{
	struct sntl_alloc_stats st0, st1, st2;
	struct sntl_alloc_info info;
	void *first, *p, *big[40], *keep[40][14];
	size_t i, k, same = 0;
	char *l;
	int res;

	/* Short-lived objects freed within their "layer" reuse the chunk. */
	sntl_trim();
	sntl_alloc_stats(&st0);
	first = sntl_alloc(256, SNTL_KIND_WORKSPACE, SNTL_LIFE_SHORT);
	sntl_free(first);
	for (i = 0; i < 10000; i++) {
		void *a = sntl_alloc(256, SNTL_KIND_WORKSPACE, SNTL_LIFE_SHORT);
		void *b = sntl_alloc(1000, SNTL_KIND_WORKSPACE, SNTL_LIFE_SHORT);

		same += a == first;
		sntl_free(b);
		sntl_free(a);
	}
	sntl_alloc_stats(&st1);
	ok(same == 10000, "the region rewinds: the same address is reused");
	ok(st1.short_chunks_used <= 1 && st1.short_reserved_bytes == st0.short_reserved_bytes,
	   "the region did not grow (%llu chunks in use)",
	   (unsigned long long)st1.short_chunks_used);

	/* Fill about 40 chunks, free them: most go back to the OS. */
	for (i = 0; i < 40; i++) {
		size_t k;

		big[i] = NULL;
		for (k = 0; k < 15; k++) {
			p = sntl_alloc(60000, SNTL_KIND_WORKSPACE, SNTL_LIFE_SHORT);
			memset(p, 1, 60000);
			if (!k)
				big[i] = p;
			else
				keep[i][k - 1] = p;
		}
	}
	for (i = 0; i < 40; i++)
		for (k = 0; k < 14; k++)
			sntl_free(keep[i][k]);
	sntl_alloc_stats(&st1);
	for (i = 0; i < 40; i++)
		sntl_free(big[i]);
	sntl_alloc_stats(&st2);
	ok(st1.short_chunks_used >= 2 && st2.short_chunks_cached <= 4 &&
	   st2.short_chunks_released > st0.short_chunks_released,
	   "freed chunks: at most 4 kept, the rest released (%llu used, %llu cached, %llu released)",
	   (unsigned long long)st1.short_chunks_used,
	   (unsigned long long)st2.short_chunks_cached,
	   (unsigned long long)st2.short_chunks_released);
	for (i = 0, res = 0; i < 40; i++)
		res += resident_pages((void *)((uintptr_t)big[i] & ~(page - 1)), page);
	ok(res <= 5, "of the 40 freed chunks' first pages, %d are resident", res);
	sntl_trim();
	sntl_alloc_stats(&st2);
	ok(st2.short_chunks_cached == 0, "sntl_trim releases cached chunks");
	for (i = 0, res = 0; i < 40; i++)
		res += resident_pages((void *)((uintptr_t)big[i] & ~(page - 1)), page);
	ok(res == 0, "after trim no freed region page is resident (%d)", res);

	/*
	 * A freed long-lived object's mapping is kept for the next object of
	 * the same page count, pages present; sntl_trim() unmaps it.
	 */
	l = sntl_alloc(8 << 20, SNTL_KIND_ACTIVATION, SNTL_LIFE_STEP);
	memset(l, 3, 8 << 20);
	ok(resident_pages(l, 8 << 20) == (int)((8 << 20) / page),
	   "a touched 8 MiB object is resident");
	sntl_free(l);
	{
		char *other = sntl_alloc((8 << 20) + page, SNTL_KIND_ACTIVATION,
					 SNTL_LIFE_STEP);
		char *again = sntl_alloc(8 << 20, SNTL_KIND_GRADIENT, SNTL_LIFE_STEP);
		struct sntl_alloc_info ai;

		ok(other && other != l, "an object of another page count gets a mapping of its own");
		ok(again == l && resident_pages(again, 8 << 20) == (int)((8 << 20) / page) &&
		   sntl_alloc_info(again, &ai) == 0 && ai.kind == SNTL_KIND_GRADIENT &&
		   ai.size == (size_t)(8 << 20),
		   "the next 8 MiB object reuses the freed mapping, its pages present");
		sntl_free(other);
		sntl_free(again);
	}
	sntl_alloc_stats(&st2);
	ok(st2.mapped_bytes >= (uint64_t)(8 << 20) && st2.long_mapped_bytes == 0,
	   "cached mappings count as mapped, not as live (%llu mapped)",
	   (unsigned long long)st2.mapped_bytes);
	sntl_trim();
	ok(resident_pages(l, 8 << 20) == -1, "after sntl_trim the freed range is unmapped");
	sntl_alloc_stats(&st2);
	ok(st2.mapped_bytes == 0, "nothing mapped after sntl_trim (%llu)",
	   (unsigned long long)st2.mapped_bytes);

	/* Large short-lived objects get pages of their own, flagged short. */
	l = sntl_alloc(SNTL_SHORT_MAX + 1, SNTL_KIND_WORKSPACE, SNTL_LIFE_SHORT);
	ok(sntl_alloc_info(l, &info) == 0 && info.mapped >= SNTL_SHORT_MAX + 1 &&
	   info.life == SNTL_LIFE_SHORT && (uintptr_t)l % page == 0,
	   "a short-lived object above SNTL_SHORT_MAX has pages of its own");
	sntl_free(l);

	sntl_alloc_stats(&st2);
	ok(st2.live_objects == 0 && st2.requested_bytes == 0 && st2.long_mapped_bytes == 0,
	   "nothing live at the end (%llu objects, %llu bytes)",
	   (unsigned long long)st2.live_objects,
	   (unsigned long long)st2.requested_bytes);
	ok(st2.peak_mapped_bytes >= st2.peak_requested_bytes,
	   "peaks: %llu requested, %llu mapped",
	   (unsigned long long)st2.peak_requested_bytes,
	   (unsigned long long)st2.peak_mapped_bytes);
}

static long policy_of(void *p, int *node)
{
	unsigned long mask[16] = { 0 };
	int mode = -1, i;

	if (syscall(SYS_get_mempolicy, &mode, mask, 1024 + 1, p, MPOL_F_ADDR))
		return -errno;
	*node = -1;
	for (i = 0; i < 1024; i++)
		if (mask[i / 64] & (1UL << (i % 64))) {
			*node = i;
			break;
		}
	return mode;
}

/*
 * Lifetimes that interleave (each object outlives the next one's birth)
 * never let a chunk drain; freed blocks are reused by size class, so the
 * region's footprint follows the live bytes, not the bytes allocated.
 */
static void test_interleaved(void)
{
	struct sntl_alloc_stats st0, st1;
	void *prev = NULL, *cur;
	uintptr_t lo = UINTPTR_MAX, hi = 0;
	size_t i, sz;

	sntl_trim();
	sntl_alloc_stats(&st0);
	for (i = 0; i < 20000; i++) {
		sz = 1000 + (i % 7) * 3000;
		cur = sntl_alloc(sz, SNTL_KIND_WORKSPACE, SNTL_LIFE_SHORT);
		if (!cur)
			break;
		memset(cur, 5, sz);
		if ((uintptr_t)cur < lo)
			lo = (uintptr_t)cur;
		if ((uintptr_t)cur + sz > hi)
			hi = (uintptr_t)cur + sz;
		sntl_free(prev);
		prev = cur;
	}
	sntl_free(prev);
	sntl_alloc_stats(&st1);
	ok(i == 20000, "20000 interleaved short-lived objects allocated");
	ok(hi - lo <= 256 * 1024,
	   "their addresses span %zu bytes (at most 256 KiB of the 200 MB allocated)",
	   (size_t)(hi - lo));
	ok(st1.short_reserved_bytes == st0.short_reserved_bytes,
	   "the region did not grow");
	ok(st1.short_objects == st0.short_objects, "all of them freed");
}

static void test_placement(void)
{
	struct sntl_alloc_info info;
	struct sntl_alloc_stats st0, st1;
	uint64_t lid;
	void *p;
	int node = -1;
	long mode;

	/* Learn the logical id in one step, place it, meet it in the next. */
	sntl_step_begin(100);
	p = sntl_alloc(3 * page, SNTL_KIND_ACTIVATION, SNTL_LIFE_STEP);
	sntl_alloc_info(p, &info);
	lid = info.logical_id;
	sntl_free(p);
	sntl_step_end(100);
	ok(info.node == -1, "no placement: node -1");

	ok(sntl_set_placement(lid, 0) == 0 && sntl_get_placement(lid) == 0,
	   "placement of logical id %#llx on node 0", (unsigned long long)lid);
	sntl_step_begin(101);
	p = sntl_alloc(3 * page, SNTL_KIND_ACTIVATION, SNTL_LIFE_STEP);
	sntl_alloc_info(p, &info);
	ok(info.logical_id == lid && info.node == 0,
	   "the next step's allocation has the same logical id and is placed");
	mode = policy_of(p, &node);
	ok(mode == MPOL_PREFERRED && node == 0,
	   "its pages carry a preferred policy for node 0 (mode %ld node %d)",
	   mode, node);
	sntl_free(p);
	sntl_step_end(101);

	/* A placement on a node that does not exist: counted, not fatal. */
	sntl_alloc_stats(&st0);
	sntl_set_placement(lid, 1000);
	sntl_step_begin(102);
	p = sntl_alloc(3 * page, SNTL_KIND_ACTIVATION, SNTL_LIFE_STEP);
	sntl_alloc_stats(&st1);
	ok(p && st1.placement_failures == st0.placement_failures + 1,
	   "an impossible placement still allocates and is counted");
	sntl_free(p);
	sntl_step_end(102);
	ok(sntl_set_placement(lid, -1) == 0 && sntl_get_placement(lid) == SNTL_ENOENT,
	   "node -1 forgets the placement");
	ok(sntl_set_placement(1ULL << 60, 0) == SNTL_EINVAL &&
	   sntl_set_placement(1, -2) == SNTL_EINVAL, "bad placements: EINVAL");

	ok(sntl_set_group(lid, 7) == 0 && sntl_get_group(lid) == 7 &&
	   sntl_set_placement(lid, 0) == 0 && sntl_clear_placements() == 0 &&
	   sntl_get_group(lid) == 7 && sntl_get_placement(lid) == SNTL_ENOENT,
	   "groups are kept when placements are cleared");
	ok(sntl_set_group(lid, 0) == 0 && sntl_get_group(lid) == 0,
	   "group 0 removes the group");
}

int main(void)
{
	page = (size_t)sysconf(_SC_PAGESIZE);
	test_random();
	test_alignment();
	test_frees();
	test_reuse_and_release();
	test_interleaved();
	test_placement();
	return tap_done();
}
