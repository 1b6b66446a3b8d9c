// SPDX-License-Identifier: GPL-2.0
/*
 * libsentinel against the real module: the allocator's objects are
 * registered (kind, layer hint, length) and visible through queries with
 * residency, the short-lived region is registered in segments, explicit
 * registration and its errors, marks and the session's statistics,
 * frees unregister, placement at birth on node 1, a mapping whose pages
 * are not on its birth node born again, and fork() with and without
 * SNTL_OPEN_FOLLOW_FORK.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <numa.h>
#include <numaif.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/sentinel.h>
#include <sentinel.h>

#include "kselftest_harness.h"

#define PAGE 4096UL
#define MiB (1UL << 20)

static uint64_t oid_of(void *p)
{
	struct sntl_alloc_info ai;

	return sntl_alloc_info(p, &ai) ? 0 : ai.object_id;
}

static void touch(void *p, size_t n)
{
	memset(p, 0x5a, n);
}

FIXTURE(lib) {
	int unused;
};

FIXTURE_SETUP(lib)
{
	ASSERT_EQ(sntl_open(NULL), 0);
}

FIXTURE_TEARDOWN(lib)
{
	sntl_close();
}

TEST_F(lib, open_and_module_info)
{
	struct sntl_module_info mi;

	EXPECT_EQ(sntl_available(), 1);
	EXPECT_EQ(sntl_state(), SNTL_STATE_OPEN);
	EXPECT_EQ(sntl_open(NULL), SNTL_EBUSY);
	ASSERT_EQ(sntl_module_info(&mi), 0);
	EXPECT_EQ(mi.major, 0);
	EXPECT_NE(mi.features & SENTINEL_FEAT_REGISTRY, 0);
	EXPECT_NE(mi.features & SENTINEL_FEAT_MARKS, 0);
	EXPECT_NE(mi.features & SENTINEL_FEAT_RESIDENCY, 0);
	EXPECT_GE(mi.max_batch, 1);
}

TEST_F(lib, allocations_registered_with_residency)
{
	struct sntl_obj_info info;
	struct sntl_alloc_info ai;
	struct sntl_session_stats st;
	struct sntl_alloc_stats as;
	uint64_t id;
	char *w, *a;

	ASSERT_EQ(sntl_layer_begin(7, SNTL_DIR_FORWARD), 0);
	w = sntl_alloc(MiB + 100, SNTL_KIND_WEIGHT, SNTL_LIFE_PERSISTENT);
	a = sntl_alloc(3 * PAGE, SNTL_KIND_ACTIVATION, SNTL_LIFE_AUTO);
	ASSERT_EQ(sntl_layer_end(7, SNTL_DIR_FORWARD), 0);
	ASSERT_NE(w, NULL);
	ASSERT_NE(a, NULL);
	touch(w, MiB + 100);
	touch(a, PAGE);		/* one page of three */
	ASSERT_EQ(sntl_flush(), 0);

	ASSERT_EQ(sntl_alloc_info(w, &ai), 0);
	EXPECT_EQ(ai.registered, 1);
	EXPECT_EQ(ai.layer, 7);
	id = ai.object_id;
	EXPECT_NE(id & SNTL_ID_ALLOC, 0);
	ASSERT_EQ(sntl_query(&id, 1, &info, SNTL_QUERY_RESIDENCY, NULL), 0);
	EXPECT_EQ(info.addr, (uintptr_t)w);
	EXPECT_EQ(info.len, MiB + PAGE);	/* page-rounded */
	EXPECT_EQ(info.kind, SNTL_KIND_WEIGHT);
	EXPECT_EQ(info.layer, 7);
	EXPECT_EQ(info.flags, 0);
	EXPECT_EQ(info.pages, MiB / PAGE + 1);
	EXPECT_EQ(info.present_pages, info.pages);
	EXPECT_EQ(info.unmapped_pages, 0);

	id = oid_of(a);
	ASSERT_EQ(sntl_query(&id, 1, &info, SNTL_QUERY_RESIDENCY, NULL), 0);
	EXPECT_EQ(info.kind, SNTL_KIND_ACTIVATION);
	EXPECT_EQ(info.pages, 3);
	EXPECT_EQ(info.present_pages, 1);

	ASSERT_EQ(sntl_session_stats(&st), 0);
	EXPECT_EQ(st.objects, 2);
	EXPECT_EQ(st.bytes, MiB + PAGE + 3 * PAGE);
	ASSERT_EQ(sntl_alloc_stats(&as), 0);
	EXPECT_EQ(as.registered, 2);
	EXPECT_EQ(as.register_failures, 0);

	/* Frees unregister at the next flush. */
	EXPECT_EQ(sntl_free(a), 0);
	ASSERT_EQ(sntl_session_stats(&st), 0);
	EXPECT_EQ(st.objects, 1);
	EXPECT_EQ(st.unregistered, 1);
	EXPECT_EQ(sntl_query(&id, 1, &info, 0, NULL), SNTL_ENOENT);
	EXPECT_EQ(sntl_free(w), 0);
	ASSERT_EQ(sntl_session_stats(&st), 0);
	EXPECT_EQ(st.objects, 0);
}

TEST_F(lib, short_lived_region_and_iteration)
{
	struct sntl_obj_info out[16];
	struct sntl_cursor cur = SNTL_CURSOR_INIT;
	void *s[100], *big;
	int i, n, total = 0, segments = 0, bigs = 0;

	for (i = 0; i < 100; i++) {
		s[i] = sntl_alloc(200 + i, SNTL_KIND_WORKSPACE, SNTL_LIFE_SHORT);
		ASSERT_NE(s[i], NULL);
		touch(s[i], 200 + i);
	}
	big = sntl_alloc(4 * MiB, SNTL_KIND_GRADIENT, SNTL_LIFE_STEP);
	ASSERT_NE(big, NULL);
	while ((n = sntl_query_next(&cur, out, 16, SNTL_QUERY_RESIDENCY)) > 0) {
		for (i = 0; i < n; i++) {
			total++;
			if (out[i].flags & SNTL_OBJ_SHORT_LIVED) {
				segments++;
				EXPECT_EQ(out[i].kind, SNTL_KIND_WORKSPACE);
				EXPECT_EQ(out[i].len, 16 * MiB);
				EXPECT_GE(out[i].present_pages, 1);
			} else if (out[i].addr == (uintptr_t)big) {
				bigs++;
				EXPECT_EQ(out[i].kind, SNTL_KIND_GRADIENT);
				EXPECT_EQ(out[i].present_pages, 0);	/* untouched */
			}
		}
	}
	EXPECT_EQ(n, 0);
	EXPECT_EQ(segments, 1);	/* 100 small objects, one segment */
	EXPECT_EQ(bigs, 1);
	EXPECT_EQ(total, 2);
	for (i = 0; i < 100; i++)
		EXPECT_EQ(sntl_free(s[i]), 0);
	EXPECT_EQ(sntl_free(big), 0);
}

TEST_F(lib, explicit_registration)
{
	char *m = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct sntl_object o[2] = {
		{ .addr = m, .len = 4 * PAGE, .id = 1, .kind = SNTL_KIND_OPTIMIZER,
		  .layer = 3 },
		{ .addr = m + 4 * PAGE + 10, .len = 100, .id = 2,
		  .kind = SNTL_KIND_OTHER, .flags = SNTL_OBJ_PARTIAL,
		  .layer = SNTL_LAYER_NONE },
	};
	struct sntl_object overlap = { .addr = m + PAGE, .len = PAGE, .id = 3,
				       .kind = SNTL_KIND_WEIGHT };
	struct sntl_obj_info info[2];
	uint64_t ids[2] = { 1, 2 }, bad = 1ULL << 63;
	size_t err;

	ASSERT_NE(m, MAP_FAILED);
	ASSERT_EQ(sntl_register(o, 2, &err), 0);
	EXPECT_EQ(sntl_register(&overlap, 1, &err), SNTL_EOVERLAP);
	EXPECT_EQ(err, 0);
	EXPECT_EQ(sntl_register(o, 1, &err), SNTL_EEXIST);
	ASSERT_EQ(sntl_query(ids, 2, info, 0, NULL), 0);
	EXPECT_EQ(info[0].kind, SNTL_KIND_OPTIMIZER);
	EXPECT_EQ(info[0].layer, 3);
	EXPECT_EQ(info[1].flags, SNTL_OBJ_PARTIAL);
	EXPECT_EQ(info[1].pages, 1);
	EXPECT_EQ(sntl_unregister(&bad, 1, &err), SNTL_EINVAL);
	ASSERT_EQ(sntl_unregister(ids, 2, NULL), 0);
	EXPECT_EQ(sntl_unregister(ids, 1, &err), SNTL_ENOENT);
	munmap(m, 8 * PAGE);
}

TEST_F(lib, marks_and_stats)
{
	struct sntl_session_stats st0, st;
	uint64_t step;
	uint32_t l;

	ASSERT_EQ(sntl_session_stats(&st0), 0);
	EXPECT_NE(st0.session_id, 0);
	for (step = 1; step <= 3; step++) {
		ASSERT_EQ(sntl_step_begin(step), 0);
		for (l = 0; l < 4; l++) {
			ASSERT_EQ(sntl_layer_begin(l, SNTL_DIR_FORWARD), 0);
			ASSERT_EQ(sntl_layer_end(l, SNTL_DIR_FORWARD), 0);
		}
		for (l = 4; l-- > 0;) {
			ASSERT_EQ(sntl_layer_begin(l, SNTL_DIR_BACKWARD), 0);
			ASSERT_EQ(sntl_layer_end(l, SNTL_DIR_BACKWARD), 0);
		}
		ASSERT_EQ(sntl_step_end(step), 0);
	}
	ASSERT_EQ(sntl_layer_begin(9, SNTL_DIR_OPTIMIZER), 0);	/* outside */
	EXPECT_EQ(sntl_step_begin(2), SNTL_EINVAL);		/* not above 3 */
	EXPECT_EQ(sntl_step_end(4), SNTL_EINVAL);		/* not open */
	EXPECT_EQ(sntl_layer_begin(SNTL_LAYER_NONE, SNTL_DIR_FORWARD), SNTL_EINVAL);
	ASSERT_EQ(sntl_step_begin(10), 0);
	ASSERT_EQ(sntl_step_begin(11), 0);			/* closes 10 */

	ASSERT_EQ(sntl_session_stats(&st), 0);
	EXPECT_EQ(st.session_id, st0.session_id);
	EXPECT_EQ(st.marks - st0.marks, 3 * (2 + 16) + 1 + 2);
	EXPECT_EQ(st.steps, 5);
	EXPECT_EQ(st.last_step, 11);
	EXPECT_EQ(st.unterminated_steps, 1);
	EXPECT_EQ(st.outside_layer_marks, 1);
	EXPECT_EQ(st.errors - st0.errors, 2);	/* the library caught the third */
}

TEST_F(lib, placement_at_birth)
{
	struct sntl_alloc_info ai;
	struct sntl_obj_info info;
	uint64_t lid, id;
	char *p;

	if (numa_available() < 0 || numa_max_node() < 1)
		SKIP(return, "needs two NUMA nodes");
	/* Learn the logical id of the first activation of a step. */
	ASSERT_EQ(sntl_step_begin(1), 0);
	p = sntl_alloc(2 * MiB, SNTL_KIND_ACTIVATION, SNTL_LIFE_STEP);
	ASSERT_EQ(sntl_alloc_info(p, &ai), 0);
	lid = ai.logical_id;
	sntl_free(p);
	ASSERT_EQ(sntl_step_end(1), 0);

	ASSERT_EQ(sntl_set_placement(lid, 1), 0);
	ASSERT_EQ(sntl_step_begin(2), 0);
	p = sntl_alloc(2 * MiB, SNTL_KIND_ACTIVATION, SNTL_LIFE_STEP);
	ASSERT_EQ(sntl_alloc_info(p, &ai), 0);
	EXPECT_EQ(ai.logical_id, lid);
	EXPECT_EQ(ai.node, 1);
	touch(p, 2 * MiB);
	id = ai.object_id;
	ASSERT_EQ(sntl_query(&id, 1, &info, SNTL_QUERY_RESIDENCY, NULL), 0);
	EXPECT_EQ(info.present_pages, 2 * MiB / PAGE);
	EXPECT_EQ(info.node_pages[1], 2 * MiB / PAGE);
	sntl_free(p);
	ASSERT_EQ(sntl_step_end(2), 0);
}

/* Present pages of @p's object on @node (-1: on any node). */
static long resident(void *p, int node)
{
	struct sntl_alloc_info ai;
	struct sntl_obj_info info;
	uint64_t id;

	if (sntl_alloc_info(p, &ai))
		return -1;
	id = ai.object_id;
	if (sntl_query(&id, 1, &info, SNTL_QUERY_RESIDENCY, NULL))
		return -1;
	return node < 0 ? (long)info.present_pages : (long)info.node_pages[node];
}

/* Move every page of [p, p + len) to @node; pages not moved. */
static long move_all(char *p, size_t len, int node)
{
	size_t n = len / PAGE;
	void *pages[64];
	int nodes[64], status[64];
	long bad = 0;

	for (size_t i = 0; i < n; i++) {
		pages[i] = p + i * PAGE;
		nodes[i] = node;
	}
	if (numa_move_pages(0, n, pages, nodes, status, MPOL_MF_MOVE))
		return (long)n;
	for (size_t i = 0; i < n; i++)
		bad += status[i] != node;
	return bad;
}

/*
 * A mapping born for node 0 whose pages are elsewhere at its first free
 * (here moved away; in a job, node 0 was full when they were touched)
 * is not kept for the next step: the object is born again, up to three
 * times per placement map, after which the mapping is kept where it is.
 * A mapping found on its node is kept and reused with its pages.
 */
TEST_F(lib, misplaced_mapping_born_again)
{
	const size_t len = 16 * PAGE;
	uint64_t lid, lid2;
	struct sntl_alloc_info ai;
	char *p;
	int step = 1;

	if (numa_available() < 0 || numa_max_node() < 1)
		SKIP(return, "needs two NUMA nodes");
	ASSERT_EQ(sntl_step_begin(step), 0);
	p = sntl_alloc(len, SNTL_KIND_ACTIVATION, SNTL_LIFE_STEP);
	ASSERT_EQ(sntl_alloc_info(p, &ai), 0);
	lid = ai.logical_id;
	sntl_free(p);
	p = sntl_alloc(2 * len, SNTL_KIND_ACTIVATION, SNTL_LIFE_STEP);
	ASSERT_EQ(sntl_alloc_info(p, &ai), 0);
	lid2 = ai.logical_id;
	sntl_free(p);
	ASSERT_EQ(sntl_step_end(step), 0);
	ASSERT_EQ(sntl_set_placement(lid, 0), 0);
	ASSERT_EQ(sntl_set_placement(lid2, 0), 0);

	/* Three misplaced births: each next one starts without pages. */
	for (int t = 0; t < 4; t++) {
		char *q;

		ASSERT_EQ(sntl_step_begin(++step), 0);
		p = sntl_alloc(len, SNTL_KIND_ACTIVATION, SNTL_LIFE_STEP);
		ASSERT_NE(p, NULL);
		if (t > 0)
			EXPECT_EQ(resident(p, -1), 0);	/* born again */
		touch(p, len);
		EXPECT_EQ(resident(p, 0), 16);
		EXPECT_EQ(move_all(p, len, 1), 0);
		q = sntl_alloc(2 * len, SNTL_KIND_ACTIVATION, SNTL_LIFE_STEP);
		ASSERT_NE(q, NULL);
		if (t > 0)
			EXPECT_EQ(resident(q, 0), 32);	/* on its node: reused */
		touch(q, 2 * len);
		sntl_free(q);
		sntl_free(p);
		ASSERT_EQ(sntl_step_end(step), 0);
	}
	/* The fourth misplaced mapping was kept, pages and all. */
	ASSERT_EQ(sntl_step_begin(++step), 0);
	p = sntl_alloc(len, SNTL_KIND_ACTIVATION, SNTL_LIFE_STEP);
	ASSERT_NE(p, NULL);
	EXPECT_EQ(resident(p, 1), 16);
	sntl_free(p);
	ASSERT_EQ(sntl_step_end(step), 0);
}

/* The child's checks after fork(); returns a bit mask of failures. */
static int child_checks(char *inherited, int follow)
{
	struct sntl_session_stats st;
	struct sntl_alloc_stats as;
	int rc = 0;

	if (sntl_state() == SNTL_STATE_OPEN)
		rc |= 1;
	if (inherited[0] != 0x5a || inherited[MiB - 1] != 0x5a)
		rc |= 2;
	if (follow) {
		/* The first mark reopens a session of the child's own. */
		if (sntl_step_begin(1) || sntl_state() != SNTL_STATE_OPEN)
			rc |= 4;
	} else {
		if (sntl_step_begin(1) != SNTL_ENOTAVAIL)
			rc |= 4;
		if (sntl_session_stats(&st) != SNTL_ENOTAVAIL)
			rc |= 8;
		if (sntl_open(NULL))
			rc |= 16;
	}
	/* The new session holds the inherited allocation. */
	if (sntl_session_stats(&st) || st.objects != 1 || st.bytes != MiB)
		rc |= 32;
	if (sntl_free(inherited) || sntl_alloc_stats(&as) || as.live_objects)
		rc |= 64;
	if (sntl_session_stats(&st) || st.objects != 0)
		rc |= 128;
	return rc;
}

static void fork_case(struct __test_metadata *_metadata, int follow)
{
	struct sntl_session_stats before, after;
	struct sntl_open_opts opts = { .size = sizeof(opts),
				       .flags = SNTL_OPEN_FOLLOW_FORK };
	int status;
	pid_t pid;
	char *p;

	if (follow) {
		sntl_close();
		ASSERT_EQ(sntl_open(&opts), 0);
	}
	p = sntl_alloc(MiB, SNTL_KIND_WEIGHT, SNTL_LIFE_PERSISTENT);
	ASSERT_NE(p, NULL);
	touch(p, MiB);
	ASSERT_EQ(sntl_session_stats(&before), 0);
	EXPECT_EQ(before.objects, 1);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(child_checks(p, follow));
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 0);
	/* The parent's session is untouched by the child. */
	ASSERT_EQ(sntl_session_stats(&after), 0);
	EXPECT_EQ(after.session_id, before.session_id);
	EXPECT_EQ(after.objects, 1);
	EXPECT_EQ(after.errors, before.errors);
	EXPECT_EQ(sntl_free(p), 0);
}

TEST_F(lib, fork_child_reopens_explicitly)
{
	fork_case(_metadata, 0);
}

TEST_F(lib, fork_follow_fork)
{
	fork_case(_metadata, 1);
}

TEST(without_module_device)
{
	struct sntl_open_opts opts = { .size = sizeof(opts),
				       .device = "/dev/sentinel-absent" };
	void *p;

	EXPECT_EQ(sntl_open(&opts), SNTL_ENOTAVAIL);
	EXPECT_EQ(sntl_step_begin(1), SNTL_ENOTAVAIL);
	p = sntl_alloc(MiB, SNTL_KIND_WEIGHT, SNTL_LIFE_AUTO);
	ASSERT_NE(p, NULL);
	touch(p, MiB);
	EXPECT_EQ(sntl_free(p), 0);
}

TEST_HARNESS_MAIN
