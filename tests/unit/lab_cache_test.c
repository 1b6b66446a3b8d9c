// SPDX-License-Identifier: GPL-2.0
/* Unit tests: tier-lab cache model and stream detector (tools/lab/cache.c). */
#include <string.h>

#include "cache.h"
#include "tap.h"

struct tally {
	uint64_t hits, misses, wbs, last_wb;
};

static void acc(struct lab_cache *c, struct tally *t, uint64_t a, bool st)
{
	struct lab_access r;

	lab_cache_access(c, a, st, &r);
	if (r.hit)
		t->hits++;
	else
		t->misses++;
	if (r.writeback) {
		t->wbs++;
		t->last_wb = r.wb_addr;
	}
}

int main(void)
{
	char err[256];
	struct lab_cache c;
	struct lab_cache_cfg tiny = { .size = 4 * 2 * 64, .ways = 2, .line = 64 };
	struct lab_cache_cfg bad;
	struct tally t = { 0 };
	struct lab_streams s;
	uint64_t dirty;

	tap_plan(27);

	/* Geometry checks. */
	bad = (struct lab_cache_cfg){ .size = 2 << 20, .ways = 16, .line = 48 };
	ok(lab_cache_check(&bad, err, sizeof(err)) < 0 && strstr(err, "line"),
	   "line size 48 rejected (%s)", err);
	bad = (struct lab_cache_cfg){ .size = 3 << 20, .ways = 16, .line = 64 };
	ok(lab_cache_check(&bad, err, sizeof(err)) < 0 && strstr(err, "size"),
	   "3 MiB with 16 ways rejected: sets not a power of two");
	bad = (struct lab_cache_cfg){ .size = 2 << 20, .ways = 0, .line = 64 };
	ok(lab_cache_check(&bad, err, sizeof(err)) < 0, "0 ways rejected");
	bad = (struct lab_cache_cfg){ .size = 2 << 20, .ways = 16, .line = 64 };
	ok(lab_cache_check(&bad, err, sizeof(err)) == 0, "default geometry accepted");

	/* 4 sets x 2 ways x 64 B.  Set of address a: (a / 64) % 4. */
	ok(lab_cache_init(&c, &tiny, err, sizeof(err)) == 0, "init tiny cache");
	is_u64(c.sets, 4, "4 sets");

	acc(&c, &t, 0x0000, false);	/* set 0: miss */
	acc(&c, &t, 0x0008, false);	/* same line: hit */
	acc(&c, &t, 0x0100, false);	/* set 0, 2nd way: miss */
	acc(&c, &t, 0x0000, false);	/* hit, line 0 becomes MRU */
	is_u64(t.hits, 2, "two hits");
	is_u64(t.misses, 2, "two misses");
	acc(&c, &t, 0x0200, false);	/* set 0 full: evicts LRU 0x100 */
	acc(&c, &t, 0x0000, false);	/* still there: hit */
	acc(&c, &t, 0x0100, false);	/* evicted before: miss, evicts 0x200 */
	is_u64(t.hits, 3, "LRU kept the recently used line");
	is_u64(t.misses, 4, "evicted line misses again");
	is_u64(t.wbs, 0, "clean evictions write nothing back");

	/* Dirty lines. */
	acc(&c, &t, 0x0040, true);	/* set 1: store miss, write-allocate */
	acc(&c, &t, 0x0140, false);	/* set 1, way 2 */
	acc(&c, &t, 0x0240, false);	/* evicts dirty 0x40 */
	is_u64(t.wbs, 1, "dirty victim written back");
	is_u64(t.last_wb, 0x40, "write-back address is the victim's line");
	lab_cache_count(&c, &dirty);
	is_u64(dirty, 0, "no dirty line left");
	acc(&c, &t, 0x0080, false);	/* set 2: load miss */
	acc(&c, &t, 0x0090, true);	/* store hit makes it dirty */
	lab_cache_count(&c, &dirty);
	is_u64(dirty, 1, "store hit marks the line dirty");
	acc(&c, &t, 0x0180, false);
	acc(&c, &t, 0x0280, false);	/* evicts 0x80 (LRU) */
	is_u64(t.wbs, 2, "line dirtied by a store hit is written back");
	is_u64(t.last_wb, 0x80, "at its line address");

	lab_cache_invalidate(&c);
	is_u64(lab_cache_count(&c, NULL), 0, "invalidate empties the cache");
	memset(&t, 0, sizeof(t));
	/* Sweep twice over 2x the capacity: LRU thrashes, every access misses. */
	for (int pass = 0; pass < 2; pass++)
		for (uint64_t a = 0; a < 2 * tiny.size; a += 64)
			acc(&c, &t, a, true);
	is_u64(t.misses, 32, "cyclic sweep over 2x capacity always misses");
	is_u64(t.wbs, 24, "and writes back every dirty victim");
	lab_cache_destroy(&c);

	/* Stream detector. */
	lab_streams_init(&s, 6);	/* 64-byte lines: 64 lines a page */
	ok(!lab_streams_miss(&s, 100), "first miss starts no stream");
	ok(lab_streams_miss(&s, 101) && lab_streams_miss(&s, 102),
	   "next lines continue the stream");
	ok(lab_streams_miss(&s, 101), "descending neighbour continues too");
	ok(!lab_streams_miss(&s, 500), "far line is a new stream");
	for (uint64_t i = 0; i < LAB_STREAMS; i++)
		lab_streams_miss(&s, 10000 + 1000 * i);
	ok(!lab_streams_miss(&s, 501), "stream forgotten after 16 others");
	lab_streams_init(&s, 6);
	for (uint64_t l = 64; l < 128; l++)
		lab_streams_miss(&s, l);
	ok(!lab_streams_miss(&s, 128),
	   "a stream stops at the page boundary, though the next physical page follows");
	ok(lab_streams_miss(&s, 129), "and starts again in the next page");
	return tap_done();
}
