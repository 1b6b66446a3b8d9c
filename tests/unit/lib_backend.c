// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The ioctl layer against a fake module that checks every batch against
 * the uapi rules: batched registration of allocations at flush points,
 * unregistration order, SYNC mode, registration at open of earlier
 * allocations, explicit registration (all or nothing over split
 * batches), marks, queries with a cursor, statistics, refusals.
 */
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/mempolicy.h>

#include <sentinel.h>

#include "lib_fakedev.h"
#include "tap.h"

static size_t page;

static int open_fake(uint32_t flags)
{
	struct sntl_open_opts o = { .size = sizeof(o), .flags = flags,
				    .device = "/fake" };

	return sntl_open(&o);
}

static void test_alloc_registration(void)
{
	struct sntl_alloc_stats st;
	struct sntl_alloc_info info;
	void *early, *p[8], *s, *gone;
	size_t before;
	int i;

	/* Allocated before the session: registered when it opens. */
	early = sntl_alloc(5 * page, SNTL_KIND_WEIGHT, SNTL_LIFE_PERSISTENT);
	ok(open_fake(0) == 0, "open with the fake module");
	ok(fake_alloc_objects() == 1, "an allocation made before open is registered at open");
	sntl_alloc_info(early, &info);
	ok(info.registered, "and reported registered");

	before = fake.reg_calls;
	for (i = 0; i < 8; i++)
		p[i] = sntl_alloc((size_t)(i + 1) * 1000, SNTL_KIND_ACTIVATION,
				  SNTL_LIFE_STEP);
	s = sntl_alloc(100, SNTL_KIND_WORKSPACE, SNTL_LIFE_SHORT);
	gone = sntl_alloc(10000, SNTL_KIND_GRADIENT, SNTL_LIFE_STEP);
	sntl_free(gone);
	ok(fake.reg_calls == before && fake_alloc_objects() == 1,
	   "allocations are queued, not sent one by one");
	sntl_alloc_stats(&st);
	ok(st.pending_register == 9, "9 registrations pending (8 objects + 1 segment)");
	ok(sntl_layer_begin(0, SNTL_DIR_FORWARD) == 0, "a layer mark");
	ok(fake.reg_calls == before + 2 && fake_alloc_objects() == 10,
	   "the mark sent them in 2 batches (max_batch 8): 8 objects, the segment, the early one");
	sntl_alloc_info(s, &info);
	ok(info.registered && SNTL_OBJECT_LOGICAL(info.object_id) == SNTL_LID_REGION(0),
	   "the short-lived object is covered by its registered segment");
	{
		size_t k, segs = 0;

		for (k = 0; k < fake.nobjs; k++)
			if (fake.objs[k].o.flags & SENTINEL_OBJ_F_SHORT_LIVED)
				segs++;
		ok(segs == 1, "the segment is registered SHORT_LIVED");
	}
	ok(fake.registered == 10, "the object freed before the flush was never registered");

	for (i = 0; i < 8; i++)
		sntl_free(p[i]);
	ok(fake_alloc_objects() == 10, "frees are queued as well");
	/* Reuse of freed ranges in the same flush: unregister goes first. */
	for (i = 0; i < 8; i++)
		p[i] = sntl_alloc((size_t)(i + 1) * 1000, SNTL_KIND_ACTIVATION,
				  SNTL_LIFE_STEP);
	ok(sntl_flush() == 0, "flush");
	ok(fake_alloc_objects() == 10 && !fake.violations,
	   "freed and reallocated ranges: no overlap or id clash seen (%s)",
	   fake.last_violation);
	for (i = 0; i < 8; i++)
		sntl_free(p[i]);
	sntl_free(s);
	sntl_layer_end(0, SNTL_DIR_FORWARD);
	ok(fake_alloc_objects() == 2, "after the frees: the early object and the segment");

	/* Queue overflow: more than the queue holds, batches within max_batch. */
	{
		static void *many[3000];

		for (i = 0; i < 3000; i++)
			many[i] = sntl_alloc(page, SNTL_KIND_OTHER, SNTL_LIFE_STEP);
		sntl_flush();
		ok(fake_alloc_objects() == 3002, "3000 allocations registered");
		ok(fake.max_batch_seen <= fake.max_batch,
		   "no batch above the module's max_batch (%u <= %u)",
		   fake.max_batch_seen, fake.max_batch);
		for (i = 0; i < 3000; i++)
			sntl_free(many[i]);
		sntl_flush();
		ok(fake_alloc_objects() == 2, "and unregistered");
	}

	/* A refusal: the allocation stands, the refusal is counted. */
	sntl_step_begin(1);
	p[0] = sntl_alloc(page, SNTL_KIND_OTHER, SNTL_LIFE_STEP);
	sntl_alloc_info(p[0], &info);
	fake.refuse_id = info.object_id;
	sntl_flush();
	sntl_alloc_stats(&st);
	sntl_alloc_info(p[0], &info);
	ok(p[0] && !info.registered && st.register_failures == 1 &&
	   st.last_register_error == SNTL_ELIMIT,
	   "a refused registration is counted (%s)", sntl_strerror(st.last_register_error));
	sntl_free(p[0]);
	sntl_flush();
	ok(!fake.violations, "its free sends no unregistration (%s)", fake.last_violation);
	fake.refuse_id = 0;
	sntl_step_end(1);

	sntl_free(early);
	ok(sntl_close() == 0 && !fake.open, "close ends the fake session");

	/* SYNC mode: every allocation and free goes at once. */
	ok(open_fake(SNTL_OPEN_SYNC) == 0, "open in SYNC mode");
	p[0] = sntl_alloc(3 * page, SNTL_KIND_OTHER, SNTL_LIFE_STEP);
	ok(fake_alloc_objects() == 2, "registered at once (with the segment)");
	sntl_free(p[0]);
	ok(fake_alloc_objects() == 1, "unregistered at once");
	sntl_close();
}

static void test_explicit(void)
{
	struct sntl_object objs[20];
	struct sntl_obj_info info[20];
	struct sntl_cursor cur = SNTL_CURSOR_INIT;
	struct sntl_session_stats ss;
	struct sntl_module_info mi;
	uint64_t ids[20];
	char *mem;
	size_t err, total;
	int i, n;

	ok(open_fake(0) == 0, "open");
	memset(&mi, 0, sizeof(mi));
	n = sntl_module_info(&mi);
	ok(n == 0 && mi.major == SENTINEL_VERSION_MAJOR && mi.max_batch == 8,
	   "module info: version %u.%u, max_batch %u", mi.major, mi.minor,
	   mi.max_batch);
	mem = mmap(NULL, 40 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (i = 0; i < 20; i++) {
		objs[i].addr = mem + (size_t)i * 2 * page;
		objs[i].len = page;
		objs[i].id = 1000 + (uint64_t)i;
		objs[i].kind = SNTL_KIND_WEIGHT;
		objs[i].flags = 0;
		objs[i].layer = (uint32_t)i;
		ids[i] = objs[i].id;
	}
	memset(mem, 1, 3 * page);

	objs[3].id |= SNTL_ID_ALLOC;
	ok(sntl_register(objs, 20, &err) == SNTL_EINVAL && err == 3,
	   "an id in the allocator's space: EINVAL at index 3");
	objs[3].id = 1003;

	/* Index 15 overlaps index 2: fails in the second split batch. */
	objs[15].addr = objs[2].addr;
	fake.expect_errors = 1;
	n = sntl_register(objs, 20, &err);
	ok(n == SNTL_EOVERLAP && err == 15,
	   "an overlap at index 15: EOVERLAP, err_index %zu", err);
	fake.expect_errors = 0;
	ok(fake.nobjs == 1, "nothing stays registered (split batches rolled back)");
	objs[15].addr = mem + 30 * page;
	ok(sntl_register(objs, 20, &err) == 0 && fake.nobjs == 21,
	   "20 objects in three batches of at most 8");

	ok(sntl_query(ids, 20, info, SNTL_QUERY_RESIDENCY, &err) == 0 &&
	   info[1].id == 1001 && info[1].layer == 1 && info[1].present_pages == 1 &&
	   info[5].present_pages == 0, "query by id with residency");
	total = 0;
	while ((n = sntl_query_next(&cur, info, 3, 0)) > 0)
		total += (size_t)n;
	ok(n == 0 && total == 21, "iteration with a cursor visits all 21 objects");

	fake.expect_errors = 1;
	ids[0] = 999;
	ok(sntl_unregister(ids, 2, &err) == SNTL_ENOENT && err == 0,
	   "unknown id: ENOENT at index 0");
	ok(sntl_query(ids, 2, info, 0, &err) == SNTL_ENOENT && err == 0,
	   "query of an unknown id: ENOENT");
	ok(sntl_step_begin(5) == 0 && sntl_step_begin(4) == SNTL_EINVAL,
	   "a step number below the last: EINVAL");
	fake.expect_errors = 0;
	ids[0] = 1000;
	ok(sntl_unregister(ids, 20, &err) == 0 && fake.nobjs == 1,
	   "unregister 20 in split batches");
	ok(sntl_step_end(5) == 0, "step end");

	ok(sntl_session_stats(&ss) == 0 && ss.session_id == 42 && ss.objects == 1 &&
	   ss.steps == 1 && ss.last_step == 5, "session statistics");
	ok(sntl_close() == 0, "close");
	munmap(mem, 40 * page);
}

/* The daemon's placement map reaches the allocator at step begin. */
static void test_placement_sync(void)
{
	uint64_t a = SNTL_LID_MAKE(SNTL_KIND_ACTIVATION, 0, 0, 7, 1);
	uint64_t b = SNTL_LID_MAKE(SNTL_KIND_WEIGHT, 0, 0, 9, 2);

	ok(open_fake(0) == 0, "open for placement");
	fake.placement[0] = (struct sentinel_placement){ .id = a, .node = 1 };
	fake.placement[1] = (struct sentinel_placement){ .id = b, .node = 0 };
	fake.nplacement = 2;
	fake.placement_gen = 1;
	ok(sntl_get_placement(a) == SNTL_ENOENT, "no placement before a step");
	ok(sntl_step_begin(100) == 0, "step begin");
	ok(sntl_get_placement(a) == 1 && sntl_get_placement(b) == 0,
	   "the module's map is applied at step begin");
	ok(sntl_step_end(100) == 0, "step end");
	fake.nplacement = 1;
	fake.placement[0] = (struct sentinel_placement){ .id = b, .node = 1 };
	ok(sntl_step_begin(101) == 0 &&
	   sntl_get_placement(b) == 0, "an unchanged generation is not reread");
	ok(sntl_step_end(101) == 0, "step end");
	fake.placement_gen = 2;
	ok(sntl_step_begin(102) == 0 && sntl_get_placement(b) == 1 &&
	   sntl_get_placement(a) == SNTL_ENOENT,
	   "a new map replaces every placement");
	ok(sntl_step_end(102) == 0, "step end");
	fake.placement[1] = (struct sentinel_placement){
		.id = SENTINEL_PLACEMENT_OTHERS, .node = 1 };
	fake.nplacement = 2;
	fake.placement[0].node = 0;
	fake.placement_gen = 3;
	ok(sntl_step_begin(103) == 0 && sntl_get_placement(b) == 0 &&
	   sntl_get_placement(a) == 1 &&
	   sntl_get_placement(SNTL_LID_MASK) == 1,
	   "the map's entry for the others gives every id it does not name its node");
	ok(sntl_step_end(103) == 0, "step end");
	fake.nplacement = 1;
	fake.placement_gen = 4;
	ok(sntl_step_begin(104) == 0 && sntl_get_placement(b) == 0 &&
	   sntl_get_placement(a) == SNTL_ENOENT,
	   "a map without it: the ids it does not name have no node");
	ok(sntl_step_end(104) == 0 && sntl_close() == 0, "close");
	sntl_clear_placements();
}

/* The policy segment 0 of the region has for its future pages. */
static int seg0_policy(void *p, int *node)
{
	unsigned long mask[16] = { 0 };
	int mode = -1;

	if (syscall(SYS_get_mempolicy, &mode, mask, 16 * 8 * sizeof(long), p,
		    MPOL_F_ADDR))
		return -1;
	*node = -1;
	for (int i = 0; i < 16 * 64; i++)
		if (mask[i / 64] & (1UL << (i % 64))) {
			*node = i;
			break;
		}
	return mode;
}

/* A new map binds the region's segments made usable before it. */
static void test_region_rebind(void)
{
	void *p;
	int node = -1, mode;

	ok(open_fake(0) == 0, "open for the region");
	p = sntl_alloc(1000, SNTL_KIND_WORKSPACE, SNTL_LIFE_SHORT);
	ok(p && seg0_policy(p, &node) == MPOL_DEFAULT,
	   "segment 0 made usable before any map: default policy");
	fake.placement[0] = (struct sentinel_placement){
		.id = SNTL_ID_ALLOC | SNTL_LID_REGION(0), .node = 0 };
	fake.nplacement = 1;
	fake.placement_gen = 7;
	ok(sntl_step_begin(1) == 0, "step begin");
	mode = seg0_policy(p, &node);
	ok(mode == MPOL_PREFERRED && node == 0,
	   "the map's node for segment 0 applies at the step begin (policy %d, node %d)",
	   mode, node);
	ok(sntl_free(p) == 0 && sntl_step_end(1) == 0 && sntl_close() == 0,
	   "close");
	sntl_clear_placements();
}

int main(void)
{
	page = (size_t)sysconf(_SC_PAGESIZE);
	fake_install(8);
	test_alloc_registration();
	test_explicit();
	test_placement_sync();
	test_region_rebind();
	ok(!fake.violations, "no contract violations (%s)", fake.last_violation);
	return tap_done();
}
