// SPDX-License-Identifier: GPL-2.0
/*
 * Accessed-bit scanner: exact per-layer profiles (4 KiB pages, THP, node
 * 1, reads and writes), steady-mode scans within their budget, and scans
 * racing munmap, mprotect, fork, migration, THP collapse and split, and
 * exit.
 */
#include <numa.h>
#include <numaif.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>

#include "sntl_test.h"
#include "sntl_daemon.h"
#include "kselftest_harness.h"

#define HUGE (2UL << 20)

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

static int profile_ctl(int fd, uint32_t op, uint32_t warmup, uint32_t steps,
		       struct sentinel_profile_ctl *out)
{
	struct sentinel_profile_ctl c = {
		.size = sizeof(c), .op = op, .warmup = warmup, .steps = steps,
	};
	int ret = sntl_ioctl(fd, SENTINEL_IOC_PROFILE_CTL, &c);

	if (out)
		*out = c;
	return ret;
}

/* Read the last profile into a malloc'ed buffer; NULL on error. */
static struct sentinel_profile_hdr *profile_read(int fd)
{
	struct sentinel_profile_read r = { .size = sizeof(r) };
	void *buf;

	if (sntl_ioctl(fd, SENTINEL_IOC_PROFILE_READ, &r) != -ENOSPC)
		return NULL;
	buf = malloc(r.needed);
	if (!buf)
		return NULL;
	r.buf = (uintptr_t)buf;
	r.buf_len = r.needed;
	if (sntl_ioctl(fd, SENTINEL_IOC_PROFILE_READ, &r)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static const struct sentinel_profile_layer *
prof_layer(const struct sentinel_profile_hdr *h, uint32_t i)
{
	return (const void *)((const char *)h + h->layers_off) +
	       i * sizeof(struct sentinel_profile_layer);
}

/* Pages of object @id touched in layer record @i, 0 if absent. */
static uint64_t prof_pages(const struct sentinel_profile_hdr *h, uint32_t i,
			   uint64_t id)
{
	const struct sentinel_profile_layer *l = prof_layer(h, i);
	const struct sentinel_profile_entry *e =
		(const void *)((const char *)h + h->entries_off);
	uint32_t k;

	for (k = l->first_entry; k < l->first_entry + l->nr_entries; k++)
		if (e[k].id == id)
			return e[k].pages;
	return 0;
}

static const struct sentinel_profile_object *
prof_object(const struct sentinel_profile_hdr *h, uint64_t id)
{
	const struct sentinel_profile_object *o =
		(const void *)((const char *)h + h->objects_off);
	uint32_t k;

	for (k = 0; k < h->nr_objects; k++)
		if (o[k].id == id)
			return &o[k];
	return NULL;
}

static void layer(int fd, uint32_t id, int dir, int begin)
{
	sntl_mark(fd, begin ? SENTINEL_MARK_LAYER_BEGIN :
			      SENTINEL_MARK_LAYER_END, dir, id, 0);
}

FIXTURE(prof) {
	int fd;
	char *a, *b, *raw, *c, *d;
};

FIXTURE_SETUP(prof)
{
	unsigned long node1 = 1UL << 1;

	/* NUMA balancing turns PTEs into PROT_NONE hints behind our back. */
	sntl_write_file("/proc/sys/kernel/numa_balancing", "0");
	ASSERT_EQ(sntl_sysfs_write("tlb_flush", "1"), 0);
	self->fd = sntl_open();
	ASSERT_GE(self->fd, 0);
	self->a = sntl_map(64 * PAGE);
	self->b = sntl_map(32 * PAGE);
	self->raw = sntl_map(2 * HUGE);
	self->d = sntl_map(16 * PAGE);
	ASSERT_TRUE(self->a && self->b && self->raw && self->d);
	self->c = (char *)(((uintptr_t)self->raw + HUGE - 1) & ~(HUGE - 1));
	ASSERT_EQ(madvise(self->a, 64 * PAGE, MADV_NOHUGEPAGE), 0);
	ASSERT_EQ(madvise(self->b, 32 * PAGE, MADV_NOHUGEPAGE), 0);
	ASSERT_EQ(madvise(self->c, HUGE, MADV_HUGEPAGE), 0);
	if (numa_available() >= 0 && numa_max_node() >= 1)
		ASSERT_EQ(mbind(self->d, 16 * PAGE, MPOL_BIND, &node1,
				8 * sizeof(node1), 0), 0);
	memset(self->a, 1, 64 * PAGE);
	memset(self->b, 1, 32 * PAGE);
	memset(self->c, 1, HUGE);
	memset(self->d, 1, 16 * PAGE);
	ASSERT_EQ(sntl_register1(self->fd, self->a, 64 * PAGE, 1), 0);
	ASSERT_EQ(sntl_register1(self->fd, self->b, 32 * PAGE, 2), 0);
	ASSERT_EQ(sntl_register1(self->fd, self->c, HUGE, 3), 0);
	ASSERT_EQ(sntl_register1(self->fd, self->d, 16 * PAGE, 4), 0);
}

FIXTURE_TEARDOWN(prof)
{
	close(self->fd);
	munmap(self->a, 64 * PAGE);
	munmap(self->b, 32 * PAGE);
	munmap(self->raw, 2 * HUGE);
	munmap(self->d, 16 * PAGE);
	sntl_write_file("/proc/sys/kernel/numa_balancing", "1");
}

/* The profile of a scripted step matches what each layer touched. */
TEST_F(prof, exact_layers)
{
	volatile char sink = 0;
	struct sentinel_profile_hdr *h;
	struct sentinel_profile_ctl c;
	struct sentinel_obj_info info;
	struct sentinel_session_stats st;
	int i;

	ASSERT_EQ(sntl_query1(self->fd, 3, 1, &info), 0);
	if (info.thp_pages != 512)
		SKIP(return, "no THP for the test object (%llu)",
		     (unsigned long long)info.thp_pages);
	ASSERT_EQ(profile_ctl(self->fd, SENTINEL_PROFILE_OP_START, 1, 1, &c),
		  0);
	EXPECT_EQ(c.state, SENTINEL_PROFILE_STATE_WARMUP);

	/* Step 1 is the warm-up: not profiled. */
	ASSERT_EQ(sntl_mark(self->fd, SENTINEL_MARK_STEP_BEGIN, 0, 0, 1), 0);
	self->a[0] = 2;
	ASSERT_EQ(sntl_mark(self->fd, SENTINEL_MARK_STEP_END, 0, 0, 1), 0);

	ASSERT_EQ(sntl_mark(self->fd, SENTINEL_MARK_STEP_BEGIN, 0, 0, 2), 0);
	layer(self->fd, 0, SENTINEL_DIR_FORWARD, 1);
	for (i = 0; i < 10; i++)
		self->a[i * PAGE + 7] = 3;			/* A: 10 writes */
	for (i = 0; i < 6; i += 2)
		sink += self->b[i * PAGE];			/* B: 3 reads */
	layer(self->fd, 0, SENTINEL_DIR_FORWARD, 0);

	layer(self->fd, 1, SENTINEL_DIR_FORWARD, 1);
	self->c[HUGE / 2] = 4;					/* C: one THP */
	for (i = 3; i < 8; i++)
		sink += self->d[i * PAGE + 100];		/* D: 5 reads */
	layer(self->fd, 1, SENTINEL_DIR_FORWARD, 0);

	layer(self->fd, 1, SENTINEL_DIR_BACKWARD, 1);
	layer(self->fd, 1, SENTINEL_DIR_BACKWARD, 0);		/* nothing */

	layer(self->fd, 7, SENTINEL_DIR_OPTIMIZER, 1);
	memset(self->a, 5, 64 * PAGE);				/* A: all 64 */
	self->b[31 * PAGE] = 6;					/* B: 1 */
	layer(self->fd, 7, SENTINEL_DIR_OPTIMIZER, 0);
	ASSERT_EQ(sntl_mark(self->fd, SENTINEL_MARK_STEP_END, 0, 0, 2), 0);
	(void)sink;

	ASSERT_EQ(profile_ctl(self->fd, SENTINEL_PROFILE_OP_STATUS, 0, 0, &c),
		  0);
	EXPECT_EQ(c.state, SENTINEL_PROFILE_STATE_IDLE);
	EXPECT_EQ(c.generation, 1);
	h = profile_read(self->fd);
	ASSERT_NE(h, NULL);
	EXPECT_EQ(h->version, SENTINEL_PROFILE_VERSION);
	EXPECT_EQ(h->first_step, 2);
	EXPECT_EQ(h->nr_steps, 1);
	EXPECT_TRUE(h->flags & SENTINEL_PROFILE_F_EXACT);
	ASSERT_EQ(h->nr_layers, 4);
	EXPECT_EQ(h->nr_objects, 4);

	EXPECT_EQ(prof_layer(h, 0)->layer, 0);
	EXPECT_EQ(prof_layer(h, 0)->direction, SENTINEL_DIR_FORWARD);
	EXPECT_EQ(prof_layer(h, 0)->nr_entries, 2);
	EXPECT_EQ(prof_pages(h, 0, 1), 10);
	EXPECT_EQ(prof_pages(h, 0, 2), 3);

	EXPECT_EQ(prof_layer(h, 1)->nr_entries, 2);
	EXPECT_EQ(prof_pages(h, 1, 3), 512);
	EXPECT_EQ(prof_pages(h, 1, 4), 5);

	EXPECT_EQ(prof_layer(h, 2)->direction, SENTINEL_DIR_BACKWARD);
	EXPECT_EQ(prof_layer(h, 2)->nr_entries, 0);

	EXPECT_EQ(prof_layer(h, 3)->layer, 7);
	EXPECT_EQ(prof_layer(h, 3)->direction, SENTINEL_DIR_OPTIMIZER);
	EXPECT_EQ(prof_layer(h, 3)->nr_entries, 2);
	EXPECT_EQ(prof_pages(h, 3, 1), 64);
	EXPECT_EQ(prof_pages(h, 3, 2), 1);
	EXPECT_LE(prof_layer(h, 3)->begin_ns, prof_layer(h, 3)->end_ns);

	ASSERT_NE(prof_object(h, 4), NULL);
	EXPECT_EQ(prof_object(h, 3)->kind, SENTINEL_KIND_WEIGHT);
	EXPECT_EQ(prof_object(h, 1)->node_pages[0], 64);
	EXPECT_EQ(prof_object(h, 3)->node_pages[0], 512);
	if (numa_max_node() >= 1)
		EXPECT_EQ(prof_object(h, 4)->node_pages[1], 16);
	free(h);

	ASSERT_EQ(sntl_stats(self->fd, &st), 0);
	EXPECT_EQ(st.profile_generation, 1);
	EXPECT_GE(st.scans, 5);
}

/* Objects that share a page (partial objects) both see it touched. */
TEST_F(prof, shared_pages)
{
	struct sentinel_obj objs[2];
	struct sentinel_profile_hdr *h;
	char *p = sntl_map(4 * PAGE);

	ASSERT_NE(p, NULL);
	memset(p, 1, 4 * PAGE);
	objs[0] = sntl_obj(p, PAGE + 100, 10, 0);
	objs[0].flags = SENTINEL_OBJ_F_PARTIAL;
	objs[1] = sntl_obj(p + PAGE + 100, 2 * PAGE, 11, 0);
	objs[1].flags = SENTINEL_OBJ_F_PARTIAL;
	ASSERT_EQ(sntl_register_n(self->fd, objs, 2, NULL), 0);
	ASSERT_EQ(profile_ctl(self->fd, SENTINEL_PROFILE_OP_START, 0, 1, NULL),
		  0);
	ASSERT_EQ(sntl_mark(self->fd, SENTINEL_MARK_STEP_BEGIN, 0, 0, 1), 0);
	layer(self->fd, 0, SENTINEL_DIR_FORWARD, 1);
	p[PAGE + 50] = 2;		/* the page both objects share */
	layer(self->fd, 0, SENTINEL_DIR_FORWARD, 0);
	ASSERT_EQ(sntl_mark(self->fd, SENTINEL_MARK_STEP_END, 0, 0, 1), 0);
	h = profile_read(self->fd);
	ASSERT_NE(h, NULL);
	EXPECT_EQ(prof_pages(h, 0, 10), 1);
	EXPECT_EQ(prof_pages(h, 0, 11), 1);
	EXPECT_EQ(prof_layer(h, 0)->nr_entries, 2);
	free(h);
	munmap(p, 4 * PAGE);
}

/*
 * Objects inside one THP share its single accessed bit: a touch of either
 * shows as both touched (all their base pages), whatever their order.
 */
TEST_F(prof, objects_sharing_a_thp)
{
	struct sentinel_obj_info info;
	struct sentinel_profile_hdr *h;
	char *raw = sntl_map(2 * HUGE), *t;
	uint64_t ids[3] = { 3 };

	ASSERT_NE(raw, NULL);
	t = (char *)(((uintptr_t)raw + HUGE - 1) & ~(HUGE - 1));
	ASSERT_EQ(madvise(t, HUGE, MADV_HUGEPAGE), 0);
	memset(t, 1, HUGE);
	ASSERT_EQ(sntl_unregister_n(self->fd, ids, 1, NULL), 0);
	ASSERT_EQ(sntl_register1(self->fd, t, HUGE / 2, 20), 0);
	ASSERT_EQ(sntl_register1(self->fd, t + HUGE / 2, HUGE / 4, 21), 0);
	ASSERT_EQ(sntl_register1(self->fd, t + 3 * HUGE / 4, HUGE / 4, 22), 0);
	ASSERT_EQ(sntl_query1(self->fd, 21, 1, &info), 0);
	if (info.thp_pages != 128)
		SKIP(return, "no THP for the test range");
	ASSERT_EQ(profile_ctl(self->fd, SENTINEL_PROFILE_OP_START, 0, 1, NULL),
		  0);
	ASSERT_EQ(sntl_mark(self->fd, SENTINEL_MARK_STEP_BEGIN, 0, 0, 1), 0);
	layer(self->fd, 0, SENTINEL_DIR_FORWARD, 1);
	t[HUGE - 1] = 2;		/* in the last object only */
	layer(self->fd, 0, SENTINEL_DIR_FORWARD, 0);
	ASSERT_EQ(sntl_mark(self->fd, SENTINEL_MARK_STEP_END, 0, 0, 1), 0);
	h = profile_read(self->fd);
	ASSERT_NE(h, NULL);
	EXPECT_EQ(prof_pages(h, 0, 20), 256);
	EXPECT_EQ(prof_pages(h, 0, 21), 128);
	EXPECT_EQ(prof_pages(h, 0, 22), 128);
	free(h);
	munmap(raw, 2 * HUGE);
}

/* An object freed during the profiled step is still described. */
TEST_F(prof, departed_objects_described)
{
	struct sentinel_obj o;
	struct sentinel_profile_hdr *h;
	char *p = sntl_map(8 * PAGE);
	uint64_t id = 30;

	ASSERT_NE(p, NULL);
	memset(p, 1, 8 * PAGE);
	o = sntl_obj(p, 8 * PAGE, id, SENTINEL_KIND_ACTIVATION);
	ASSERT_EQ(sntl_register_n(self->fd, &o, 1, NULL), 0);
	ASSERT_EQ(profile_ctl(self->fd, SENTINEL_PROFILE_OP_START, 0, 1, NULL),
		  0);
	ASSERT_EQ(sntl_mark(self->fd, SENTINEL_MARK_STEP_BEGIN, 0, 0, 1), 0);
	layer(self->fd, 0, SENTINEL_DIR_FORWARD, 1);
	memset(p, 2, 3 * PAGE);
	layer(self->fd, 0, SENTINEL_DIR_FORWARD, 0);
	ASSERT_EQ(sntl_unregister_n(self->fd, &id, 1, NULL), 0);
	ASSERT_EQ(sntl_mark(self->fd, SENTINEL_MARK_STEP_END, 0, 0, 1), 0);
	h = profile_read(self->fd);
	ASSERT_NE(h, NULL);
	EXPECT_EQ(prof_pages(h, 0, id), 3);
	ASSERT_NE(prof_object(h, id), NULL);
	EXPECT_EQ(prof_object(h, id)->kind, SENTINEL_KIND_ACTIVATION);
	EXPECT_EQ(prof_object(h, id)->pages, 8);
	EXPECT_EQ(prof_object(h, id)->node_pages[0], 0);
	EXPECT_EQ(h->nr_objects, 5);
	free(h);
	munmap(p, 8 * PAGE);
}

/* After move_pages, the profile's residency follows the pages. */
TEST_F(prof, residency_after_move_pages)
{
	struct sentinel_profile_hdr *h;
	void *pages[16];
	int nodes[16], status[16], i;

	if (numa_available() < 0 || numa_max_node() < 1)
		SKIP(return, "needs two NUMA nodes");
	for (i = 0; i < 16; i++) {
		pages[i] = self->b + i * PAGE;
		nodes[i] = 1;
	}
	ASSERT_EQ(move_pages(0, 16, pages, nodes, status, MPOL_MF_MOVE), 0);
	ASSERT_EQ(profile_ctl(self->fd, SENTINEL_PROFILE_OP_START, 0, 1, NULL),
		  0);
	ASSERT_EQ(sntl_mark(self->fd, SENTINEL_MARK_STEP_BEGIN, 0, 0, 1), 0);
	ASSERT_EQ(sntl_mark(self->fd, SENTINEL_MARK_STEP_END, 0, 0, 1), 0);
	h = profile_read(self->fd);
	ASSERT_NE(h, NULL);
	EXPECT_EQ(prof_object(h, 2)->node_pages[1], 16);
	EXPECT_EQ(prof_object(h, 2)->node_pages[0], 16);
	free(h);
}

TEST_F(prof, profile_ctl_bad)
{
	struct sentinel_profile_ctl c = { .size = sizeof(c) };
	struct sentinel_profile_read r = { .size = sizeof(r) };

	EXPECT_EQ(profile_ctl(self->fd, 9, 0, 1, NULL), -EINVAL);
	EXPECT_EQ(profile_ctl(self->fd, SENTINEL_PROFILE_OP_START, 0, 0, NULL),
		  -EINVAL);
	EXPECT_EQ(profile_ctl(self->fd, SENTINEL_PROFILE_OP_START, 0,
			      SENTINEL_MAX_PROFILE_STEPS + 1, NULL), -EINVAL);
	EXPECT_EQ(profile_ctl(self->fd, SENTINEL_PROFILE_OP_START, 1000001, 1,
			      NULL), -EINVAL);
	c.flags = 1;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_PROFILE_CTL, &c), -EINVAL);
	c.flags = 0;
	c.size = 8;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_PROFILE_CTL, &c), -EINVAL);
	/* No profile yet. */
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_PROFILE_READ, &r), -ENOENT);
	r.flags = 1;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_PROFILE_READ, &r), -EINVAL);
}

TEST_F(prof, profile_read_small_buffer)
{
	struct sentinel_profile_read r = { .size = sizeof(r) };
	char small[16];

	ASSERT_EQ(profile_ctl(self->fd, SENTINEL_PROFILE_OP_START, 0, 1, NULL),
		  0);
	ASSERT_EQ(sntl_mark(self->fd, SENTINEL_MARK_STEP_BEGIN, 0, 0, 1), 0);
	ASSERT_EQ(sntl_mark(self->fd, SENTINEL_MARK_STEP_END, 0, 0, 1), 0);
	r.buf = (uintptr_t)small;
	r.buf_len = sizeof(small);
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_PROFILE_READ, &r), -ENOSPC);
	EXPECT_GT(r.needed, sizeof(struct sentinel_profile_hdr));
	r.buf = 0x10;
	r.buf_len = r.needed;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_PROFILE_READ, &r), -EFAULT);
}

/* Steady scans never exceed the budget and still cover every object. */
TEST(steady_budget)
{
	long old_budget = sntl_sysfs_read("steady_scan_budget");
	long old_interval = sntl_sysfs_read("steady_scan_interval");
	struct sentinel_session_stats st;
	struct sentinel_obj_info info;
	char *p = sntl_map(50 * PAGE), val[32];
	int fd = sntl_open(), i;

	ASSERT_GE(fd, 0);
	ASSERT_NE(p, NULL);
	memset(p, 1, 50 * PAGE);
	ASSERT_EQ(sntl_sysfs_write("steady_scan_budget", "8"), 0);
	ASSERT_EQ(sntl_sysfs_write("steady_scan_interval", "1"), 0);
	ASSERT_EQ(profile_ctl(fd, SENTINEL_PROFILE_OP_STOP, 0, 0, NULL), 0);
	for (i = 0; i < 10; i++)
		ASSERT_EQ(sntl_register1(fd, p + i * 5 * PAGE, 5 * PAGE, i), 0);
	for (i = 1; i <= 20; i++) {
		ASSERT_EQ(sntl_mark(fd, SENTINEL_MARK_STEP_BEGIN, 0, 0, i), 0);
		p[(i % 50) * PAGE] = 1;
		ASSERT_EQ(sntl_mark(fd, SENTINEL_MARK_STEP_END, 0, 0, i), 0);
	}
	ASSERT_EQ(sntl_stats(fd, &st), 0);
	EXPECT_EQ(st.steady_scans, 20);
	EXPECT_LE(st.steady_max_pages, 8);
	EXPECT_GT(st.steady_max_pages, 0);
	EXPECT_GE(st.steady_passes, 2);	/* 20 scans x 8 pages / 50 pages */
	for (i = 0; i < 10; i++) {
		ASSERT_EQ(sntl_query1(fd, i, 0, &info), 0);
		EXPECT_GE(info.steady_scans, 2) TH_LOG("object %d", i);
	}
	snprintf(val, sizeof(val), "%ld", old_budget);
	sntl_sysfs_write("steady_scan_budget", val);
	snprintf(val, sizeof(val), "%ld", old_interval);
	sntl_sysfs_write("steady_scan_interval", val);
	close(fd);
	munmap(p, 50 * PAGE);
}

/* Hostile neighbours: threads that change the mappings under the scans. */
static atomic_bool stop_chaos;

struct chaos {
	char *base;
	size_t len;
	int kind;
};

static void *chaos_main(void *arg)
{
	struct chaos *c = arg;
	unsigned int seed = c->kind;
	unsigned long node;

	while (!atomic_load(&stop_chaos)) {
		size_t off = (rand_r(&seed) % (c->len / PAGE)) * PAGE;
		char *p = c->base + off;
		void *pg = p;
		int nd, status;

		switch (c->kind) {
		case 0:	/* replace the page (MAP_FIXED unmaps it at once) */
			mmap(p, PAGE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
			p[0] = 1;
			break;
		case 1:	/* protection flips */
			mprotect(p, PAGE, PROT_NONE);
			mprotect(p, PAGE, PROT_READ | PROT_WRITE);
			p[0] = 1;
			break;
		case 2:	/* migration between nodes */
			nd = rand_r(&seed) % 2;
			node = nd;
			move_pages(0, 1, &pg, &nd, &status, MPOL_MF_MOVE);
			(void)node;
			break;
		case 3:	/* THP collapse and split */
			madvise(c->base, c->len, MADV_COLLAPSE);
			madvise(c->base + HUGE / 2, PAGE, MADV_DONTNEED);
			c->base[HUGE / 2] = 1;
			break;
		}
	}
	return NULL;
}

FIXTURE(stress) {
	int unused;
};

FIXTURE_SETUP(stress)
{
}

FIXTURE_TEARDOWN(stress)
{
}

TEST_F_TIMEOUT(stress, scans_race_mapping_changes, 240)
{
	const size_t len = 4 * HUGE;
	char *raw = sntl_map(len + HUGE);
	char *base = (char *)(((uintptr_t)raw + HUGE - 1) & ~(HUGE - 1));
	struct chaos c[4];
	pthread_t tid[4];
	struct sentinel_profile_hdr *h;
	struct sentinel_obj_info info;
	int fd = sntl_open(), i, step, layer_id;
	pid_t child;

	ASSERT_GE(fd, 0);
	ASSERT_NE(raw, NULL);
	memset(base, 1, len);
	madvise(base + 3 * HUGE, HUGE, MADV_HUGEPAGE);
	/* One object per 64 KiB. */
	for (i = 0; i < (int)(len / (16 * PAGE)); i++)
		ASSERT_EQ(sntl_register1(fd, base + i * 16 * PAGE, 16 * PAGE,
					 i), 0);
	atomic_store(&stop_chaos, false);
	for (i = 0; i < 4; i++) {
		c[i].base = base + i * HUGE;
		c[i].len = HUGE;
		c[i].kind = i;
		pthread_create(&tid[i], NULL, chaos_main, &c[i]);
	}
	ASSERT_EQ(profile_ctl(fd, SENTINEL_PROFILE_OP_START, 0, 4, NULL), 0);
	for (step = 1; step <= 12; step++) {
		if (step == 6) {	/* fork in the middle of profiling */
			child = fork();
			ASSERT_GE(child, 0);
			if (child == 0) {
				memset(base, 2, HUGE);
				_exit(0);
			}
			waitpid(child, NULL, 0);
		}
		if (step == 8)
			ASSERT_EQ(profile_ctl(fd, SENTINEL_PROFILE_OP_START,
					      0, 2, NULL), 0);
		ASSERT_EQ(sntl_mark(fd, SENTINEL_MARK_STEP_BEGIN, 0, 0, step),
			  0);
		for (layer_id = 0; layer_id < 8; layer_id++) {
			layer(fd, layer_id, SENTINEL_DIR_FORWARD, 1);
			memset(base + layer_id * (len / 8), 3, PAGE);
			layer(fd, layer_id, SENTINEL_DIR_FORWARD, 0);
		}
		ASSERT_EQ(sntl_mark(fd, SENTINEL_MARK_STEP_END, 0, 0, step), 0);
	}
	atomic_store(&stop_chaos, true);
	for (i = 0; i < 4; i++)
		pthread_join(tid[i], NULL);
	h = profile_read(fd);
	ASSERT_NE(h, NULL);
	EXPECT_GE(h->generation, 2);
	free(h);

	/* The range is gone: scans and queries say so, no crash. */
	ASSERT_EQ(munmap(raw, len + HUGE), 0);
	ASSERT_EQ(profile_ctl(fd, SENTINEL_PROFILE_OP_START, 0, 1, NULL), 0);
	ASSERT_EQ(sntl_mark(fd, SENTINEL_MARK_STEP_BEGIN, 0, 0, 100), 0);
	layer(fd, 0, SENTINEL_DIR_FORWARD, 0);
	ASSERT_EQ(sntl_mark(fd, SENTINEL_MARK_STEP_END, 0, 0, 100), 0);
	h = profile_read(fd);
	ASSERT_NE(h, NULL);
	EXPECT_EQ(prof_layer(h, 0)->nr_entries, 0);
	EXPECT_EQ(prof_object(h, 0)->node_pages[0], 0);
	free(h);
	ASSERT_EQ(sntl_query1(fd, 0, 1, &info), 0);
	EXPECT_TRUE(info.state & SENTINEL_OBJ_STATE_UNMAPPED);
	EXPECT_EQ(info.unmapped_pages, 16);
	close(fd);
}

/* A process killed in the middle of profiled steps leaves nothing behind. */
TEST_F_TIMEOUT(stress, exit_while_profiling, 120)
{
	long objs0 = sntl_sysfs_read("stats/objects");
	int round;

	for (round = 0; round < 5; round++) {
		pid_t pid = fork();

		ASSERT_GE(pid, 0);
		if (pid == 0) {
			char *p = sntl_map(4096 * PAGE);
			int fd = sntl_open(), i;
			uint64_t step = 0;

			memset(p, 1, 4096 * PAGE);
			for (i = 0; i < 4096; i++)
				sntl_register1(fd, p + i * PAGE, PAGE, i);
			profile_ctl(fd, SENTINEL_PROFILE_OP_START, 0, 16, NULL);
			for (;;) {
				sntl_mark(fd, SENTINEL_MARK_STEP_BEGIN, 0, 0,
					  ++step);
				layer(fd, 1, SENTINEL_DIR_FORWARD, 0);
				sntl_mark(fd, SENTINEL_MARK_STEP_END, 0, 0,
					  step);
			}
		}
		usleep(100000 + round * 70000);
		ASSERT_EQ(kill(pid, SIGKILL), 0);
		ASSERT_EQ(waitpid(pid, NULL, 0), pid);
	}
	EXPECT_EQ(sntl_sysfs_read("stats/objects"), objs0);
}

TEST_HARNESS_MAIN
