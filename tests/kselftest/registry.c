// SPDX-License-Identifier: GPL-2.0
/*
 * The object registry: registration, paged queries, residency per node
 * (4 KiB pages, THP, node 1, after move_pages, hugetlb not counted),
 * munmap after register,
 * marks and statistics, limits, and 1,000,000 objects without a leak.
 */
#include <numa.h>
#include <numaif.h>

#include "sntl_test.h"
#include "kselftest_harness.h"

FIXTURE(reg) {
	int fd;
};

FIXTURE_SETUP(reg)
{
	self->fd = sntl_open();
	ASSERT_GE(self->fd, 0) TH_LOG("open: %s", strerror(errno));
}

FIXTURE_TEARDOWN(reg)
{
	close(self->fd);
}

TEST_F(reg, register_query_unregister)
{
	char *b = sntl_map(4 * PAGE);
	struct sentinel_obj objs[2];
	struct sentinel_obj_info info;
	struct sentinel_session_stats st;
	uint64_t ids[2] = { 7, 3 };

	ASSERT_NE(b, NULL);
	objs[0] = sntl_obj(b, 2 * PAGE, 7, SENTINEL_KIND_ACTIVATION);
	objs[0].layer_hint = 12;
	objs[1] = sntl_obj(b + 2 * PAGE, 2 * PAGE, 3, SENTINEL_KIND_OPTIMIZER);
	ASSERT_EQ(sntl_register_n(self->fd, objs, 2, NULL), 0);

	ASSERT_EQ(sntl_query1(self->fd, 7, 0, &info), 0);
	EXPECT_EQ(info.addr, (uintptr_t)b);
	EXPECT_EQ(info.len, 2 * PAGE);
	EXPECT_EQ(info.kind, SENTINEL_KIND_ACTIVATION);
	EXPECT_EQ(info.layer_hint, 12);
	EXPECT_EQ(info.pages, 2);
	EXPECT_EQ(info.present_pages, 0);	/* no residency asked */

	ASSERT_EQ(sntl_stats(self->fd, &st), 0);
	EXPECT_EQ(st.objects, 2);
	EXPECT_EQ(st.bytes, 4 * PAGE);
	EXPECT_EQ(st.registered, 2);

	ASSERT_EQ(sntl_unregister_n(self->fd, ids, 2, NULL), 0);
	ASSERT_EQ(sntl_stats(self->fd, &st), 0);
	EXPECT_EQ(st.objects, 0);
	EXPECT_EQ(st.bytes, 0);
	EXPECT_EQ(st.unregistered, 2);
	EXPECT_EQ(sntl_query1(self->fd, 7, 0, &info), -ENOENT);
	munmap(b, 4 * PAGE);
}

TEST_F(reg, query_all_paged)
{
	const int n = 1000;
	char *b = sntl_map(n * PAGE);
	struct sentinel_obj *objs = calloc(n, sizeof(*objs));
	struct sentinel_obj_info info[64];
	struct sentinel_query q = {
		.size = sizeof(q), .flags = SENTINEL_QUERY_ALL,
		.count = 64, .info_size = sizeof(info[0]),
		.out = (uintptr_t)info,
	};
	uint64_t expect = 0;
	int i, seen = 0;

	ASSERT_NE(b, NULL);
	for (i = 0; i < n; i++)	/* ids in reverse address order */
		objs[i] = sntl_obj(b + (size_t)i * PAGE, PAGE,
				   (uint64_t)(n - i) * 10, 0);
	ASSERT_EQ(sntl_register_n(self->fd, objs, n, NULL), 0);

	for (;;) {
		ASSERT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_QUERY, &q), 0);
		for (i = 0; i < (int)q.returned; i++) {
			expect += 10;
			ASSERT_EQ(info[i].id, expect);
			ASSERT_EQ(info[i].addr,
				  (uintptr_t)(b + (n - expect / 10) * PAGE));
		}
		seen += q.returned;
		if (q.returned < q.count)
			break;
		q.flags = SENTINEL_QUERY_ALL | SENTINEL_QUERY_CURSOR;
	}
	EXPECT_EQ(seen, n);
	free(objs);
	munmap(b, n * PAGE);
}

TEST_F(reg, residency_4k_node0)
{
	char *b = sntl_map(64 * PAGE);
	struct sentinel_obj_info info;
	volatile char sink;
	int i;

	ASSERT_NE(b, NULL);
	ASSERT_EQ(madvise(b, 64 * PAGE, MADV_NOHUGEPAGE), 0);
	ASSERT_EQ(sntl_register1(self->fd, b, 64 * PAGE, 1), 0);
	ASSERT_EQ(sntl_query1(self->fd, 1, 1, &info), 0);
	EXPECT_EQ(info.present_pages, 0);
	for (i = 0; i < 64; i += 2)
		b[i * PAGE] = 1;		/* 32 pages written */
	sink = b[PAGE];			/* read fault: zero page, not counted */
	(void)sink;
	ASSERT_EQ(sntl_query1(self->fd, 1, 1, &info), 0);
	EXPECT_EQ(info.pages, 64);
	EXPECT_EQ(info.present_pages, 32);
	EXPECT_EQ(info.node_pages[0], 32);
	EXPECT_EQ(info.thp_pages, 0);
	EXPECT_EQ(info.unmapped_pages, 0);
	EXPECT_EQ(info.state, 0);
	munmap(b, 64 * PAGE);
}

TEST_F(reg, residency_node1_and_move_pages)
{
	const int n = 32;
	char *b = sntl_map(n * PAGE);
	unsigned long mask = 1UL << 1;
	struct sentinel_obj_info info;
	void *pages[32];
	int nodes[32], status[32], i;

	if (numa_available() < 0 || numa_max_node() < 1)
		SKIP(return, "needs two NUMA nodes");
	ASSERT_NE(b, NULL);
	ASSERT_EQ(mbind(b, n * PAGE, MPOL_BIND, &mask, 8 * sizeof(mask), 0),
		  0);
	memset(b, 1, n * PAGE);
	ASSERT_EQ(sntl_register1(self->fd, b, n * PAGE, 1), 0);
	ASSERT_EQ(sntl_query1(self->fd, 1, 1, &info), 0);
	EXPECT_EQ(info.present_pages, n);
	EXPECT_EQ(info.node_pages[1], n);
	EXPECT_EQ(info.node_pages[0], 0);

	/* Move the first half to node 0. */
	ASSERT_EQ(mbind(b, n * PAGE, MPOL_DEFAULT, NULL, 0, 0), 0);
	for (i = 0; i < n / 2; i++) {
		pages[i] = b + (size_t)i * PAGE;
		nodes[i] = 0;
	}
	ASSERT_EQ(move_pages(0, n / 2, pages, nodes, status, MPOL_MF_MOVE), 0);
	for (i = 0; i < n / 2; i++)
		ASSERT_EQ(status[i], 0);
	ASSERT_EQ(sntl_query1(self->fd, 1, 1, &info), 0);
	EXPECT_EQ(info.node_pages[0], n / 2);
	EXPECT_EQ(info.node_pages[1], n / 2);
	munmap(b, n * PAGE);
}

TEST_F(reg, residency_thp)
{
	const size_t huge = 2UL << 20;
	char *raw = sntl_map(3 * huge), *b;
	struct sentinel_obj_info info;
	char mode[64] = "";
	FILE *f;

	f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	if (f) {
		if (!fgets(mode, sizeof(mode), f))
			mode[0] = '\0';
		fclose(f);
	}
	if (strstr(mode, "[never]") || !mode[0])
		SKIP(return, "THP disabled");
	ASSERT_NE(raw, NULL);
	b = (char *)(((uintptr_t)raw + huge - 1) & ~(huge - 1));
	ASSERT_EQ(madvise(b, 2 * huge, MADV_HUGEPAGE), 0);
	memset(b, 1, 2 * huge);
	ASSERT_EQ(sntl_register1(self->fd, b, 2 * huge, 1), 0);
	ASSERT_EQ(sntl_query1(self->fd, 1, 1, &info), 0);
	EXPECT_EQ(info.pages, 1024);
	EXPECT_EQ(info.present_pages, 1024);
	EXPECT_EQ(info.thp_pages, 1024) TH_LOG("THP not used (khugepaged?)");
	EXPECT_EQ(info.node_pages[0], 1024);
	munmap(raw, 3 * huge);
}

TEST_F(reg, munmap_after_register)
{
	char *b = sntl_map(8 * PAGE);
	struct sentinel_obj_info info;
	uint64_t id = 1;

	ASSERT_NE(b, NULL);
	memset(b, 1, 8 * PAGE);
	ASSERT_EQ(sntl_register1(self->fd, b, 8 * PAGE, 1), 0);
	ASSERT_EQ(munmap(b + 2 * PAGE, 3 * PAGE), 0);
	ASSERT_EQ(sntl_query1(self->fd, 1, 1, &info), 0);
	EXPECT_EQ(info.unmapped_pages, 3);
	EXPECT_EQ(info.present_pages, 5);
	EXPECT_TRUE(info.state & SENTINEL_OBJ_STATE_UNMAPPED);
	ASSERT_EQ(munmap(b, 8 * PAGE), 0);
	ASSERT_EQ(sntl_query1(self->fd, 1, 1, &info), 0);
	EXPECT_EQ(info.unmapped_pages, 8);
	EXPECT_EQ(info.present_pages, 0);
	EXPECT_EQ(sntl_unregister_n(self->fd, &id, 1, NULL), 0);
}

TEST_F(reg, marks_and_stats)
{
	struct sentinel_session_stats st;
	long marks0 = sntl_sysfs_read("stats/marks");
	int step, layer;

	for (step = 1; step <= 3; step++) {
		ASSERT_EQ(sntl_mark(self->fd, SENTINEL_MARK_STEP_BEGIN, 0, 0,
				    step * 10), 0);
		for (layer = 0; layer < 4; layer++) {
			ASSERT_EQ(sntl_mark(self->fd, SENTINEL_MARK_LAYER_BEGIN,
					    SENTINEL_DIR_FORWARD, layer, 0), 0);
			ASSERT_EQ(sntl_mark(self->fd, SENTINEL_MARK_LAYER_END,
					    SENTINEL_DIR_FORWARD, layer, 0), 0);
		}
		if (step < 3)
			ASSERT_EQ(sntl_mark(self->fd, SENTINEL_MARK_STEP_END,
					    0, 0, step * 10), 0);
	}
	/* Step 30 left open, then step 40 begins: one unterminated. */
	ASSERT_EQ(sntl_mark(self->fd, SENTINEL_MARK_STEP_BEGIN, 0, 0, 40), 0);
	ASSERT_EQ(sntl_mark(self->fd, SENTINEL_MARK_STEP_END, 0, 0, 40), 0);
	ASSERT_EQ(sntl_mark(self->fd, SENTINEL_MARK_LAYER_BEGIN,
			    SENTINEL_DIR_OPTIMIZER, 9, 0), 0);

	ASSERT_EQ(sntl_stats(self->fd, &st), 0);
	EXPECT_EQ(st.steps, 4);
	EXPECT_EQ(st.last_step, 40);
	EXPECT_EQ(st.unterminated_steps, 1);
	EXPECT_EQ(st.outside_layer_marks, 1);
	EXPECT_EQ(st.marks, 3 + 24 + 2 + 2 + 1);
	EXPECT_EQ(st.errors, 0);
	EXPECT_EQ(sntl_sysfs_read("stats/marks") - marks0, (long)st.marks);
}

TEST_F(reg, per_session_limit)
{
	char *b = sntl_map(16 * PAGE);
	struct sentinel_obj objs[11];
	long old = sntl_sysfs_read("max_objects_per_session");
	char val[32];
	uint32_t ei;
	int i;

	ASSERT_NE(b, NULL);
	ASSERT_GT(old, 0);
	for (i = 0; i < 11; i++)
		objs[i] = sntl_obj(b + i * PAGE, PAGE, i, 0);
	ASSERT_EQ(sntl_sysfs_write("max_objects_per_session", "10"), 0);
	EXPECT_EQ(sntl_register_n(self->fd, objs, 11, &ei), -ENOSPC);
	EXPECT_EQ(ei, 10);
	EXPECT_EQ(sntl_nr_objects(self->fd), 0);
	EXPECT_EQ(sntl_register_n(self->fd, objs, 10, NULL), 0);
	EXPECT_EQ(sntl_register_n(self->fd, objs + 10, 1, &ei), -ENOSPC);
	EXPECT_EQ(ei, 0);
	snprintf(val, sizeof(val), "%ld", old);
	ASSERT_EQ(sntl_sysfs_write("max_objects_per_session", val), 0);
	EXPECT_EQ(sntl_register_n(self->fd, objs + 10, 1, NULL), 0);
	munmap(b, 16 * PAGE);
}

TEST(session_limit_and_enabled)
{
	long old = sntl_sysfs_read("max_sessions");
	long cur = sntl_sysfs_read("stats/sessions");
	char val[32];
	int fd1, fd2;

	ASSERT_GT(old, 0);
	ASSERT_GE(cur, 0);
	snprintf(val, sizeof(val), "%ld", cur + 1);
	ASSERT_EQ(sntl_sysfs_write("max_sessions", val), 0);
	fd1 = sntl_open();
	EXPECT_GE(fd1, 0);
	fd2 = sntl_open();
	EXPECT_EQ(fd2, -1);
	EXPECT_EQ(errno, EMFILE);
	close(fd1);
	snprintf(val, sizeof(val), "%ld", old);
	ASSERT_EQ(sntl_sysfs_write("max_sessions", val), 0);

	ASSERT_EQ(sntl_sysfs_write("enabled", "0"), 0);
	EXPECT_EQ(sntl_open(), -1);
	EXPECT_EQ(errno, ENODEV);
	ASSERT_EQ(sntl_sysfs_write("enabled", "1"), 0);
	fd1 = sntl_open();
	EXPECT_GE(fd1, 0);
	close(fd1);
}

static long meminfo_kb(const char *key)
{
	char line[256];
	long val = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			val = strtol(line + strlen(key), NULL, 10);
	fclose(f);
	return val;
}

static void shrink_slabs(void)
{
	int fd = open("/sys/kernel/slab/sntl_object/shrink", O_WRONLY);

	if (fd >= 0) {
		if (write(fd, "1", 1) < 0)
			perror("shrink");
		close(fd);
	}
}

FIXTURE(big) {
	int unused;
};

FIXTURE_SETUP(big)
{
}

FIXTURE_TEARDOWN(big)
{
}

/* 1,000,000 objects registered and freed: counters and slab memory return. */
TEST_F_TIMEOUT(big, million_objects, 600)
{
	const size_t n = 1000000, batch = SENTINEL_MAX_BATCH;
	char *b = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	struct sentinel_obj *objs = calloc(batch, sizeof(*objs));
	long objs0 = sntl_sysfs_read("stats/objects");
	long slab0, slab1, slab2;
	size_t done = 0, i;
	int fd = sntl_open();

	ASSERT_GE(fd, 0);
	ASSERT_NE(b, MAP_FAILED);
	ASSERT_NE(objs, NULL);
	shrink_slabs();
	slab0 = meminfo_kb("Slab:");
	while (done < n) {
		size_t k = n - done < batch ? n - done : batch;

		for (i = 0; i < k; i++)
			objs[i] = sntl_obj(b + (done + i) * PAGE, PAGE,
					   done + i, SENTINEL_KIND_ACTIVATION);
		ASSERT_EQ(sntl_register_n(fd, objs, k, NULL), 0);
		done += k;
	}
	EXPECT_EQ(sntl_nr_objects(fd), (long)n);
	EXPECT_EQ(sntl_sysfs_read("stats/objects") - objs0, (long)n);
	slab1 = meminfo_kb("Slab:");
	TH_LOG("slab: %ld kB before, %ld kB with 1M objects", slab0, slab1);
	EXPECT_GT(slab1 - slab0, 50 * 1024);	/* ~96 B per object */

	close(fd);
	EXPECT_EQ(sntl_sysfs_read("stats/objects"), objs0);
	shrink_slabs();
	slab2 = meminfo_kb("Slab:");
	TH_LOG("slab: %ld kB after close", slab2);
	/*
	 * Debug kernels (kmemleak present) keep freed objects in KASAN's
	 * quarantine for a while; there kmemleak's scan at the end of the
	 * suites checks for leaks instead.
	 */
	if (access("/sys/kernel/debug/kmemleak", F_OK)) {
		EXPECT_LT(slab2 - slab0, 8 * 1024);
	} else {
		TH_LOG("debug kernel: leaks are left to kmemleak");
	}
	free(objs);
	munmap(b, n * PAGE);
}

static long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int write_long(const char *path, long v)
{
	FILE *f = fopen(path, "w");
	int ret;

	if (!f)
		return -errno;
	ret = fprintf(f, "%ld\n", v) > 0 ? 0 : -EIO;
	if (fclose(f))
		ret = -errno;
	return ret;
}

/* Query @id with residency into @v0 as a caller of the first version. */
static int query_v0(int fd, uint64_t id, struct sentinel_obj_info *v0)
{
	struct sentinel_query q = {
		.size = sizeof(q), .flags = SENTINEL_QUERY_RESIDENCY,
		.count = 1, .info_size = SENTINEL_OBJ_INFO_SIZE_V0,
		.ids = (uintptr_t)&id, .out = (uintptr_t)v0,
	};

	memset(v0, 0xa5, 2 * sizeof(*v0));
	return sntl_ioctl(fd, SENTINEL_IOC_QUERY, &q);
}

/* hugetlb pages are not walked: "not counted", never "not present". */
TEST_F(reg, residency_hugetlb_not_counted)
{
	static const char nr[] = "/proc/sys/vm/nr_hugepages";
	const size_t huge = 2UL << 20;
	struct sentinel_obj_info info, v0[2];
	long was = read_long(nr);
	uint64_t id = 1;
	char *b;

	if (was < 0 || write_long(nr, was + 1))
		SKIP(return, "no hugetlb pool (%s)", nr);
	b = mmap(NULL, huge, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (b == MAP_FAILED) {
		write_long(nr, was);
		SKIP(return, "no hugetlb page: %s", strerror(errno));
	}
	memset(b, 1, huge);
	ASSERT_EQ(sntl_register1(self->fd, b, huge, 1), 0);
	ASSERT_EQ(sntl_query1(self->fd, 1, 1, &info), 0);
	EXPECT_EQ(info.pages, 512);
	EXPECT_EQ(info.skipped_pages, 512);
	EXPECT_EQ(info.present_pages, 0);
	EXPECT_EQ(info.unmapped_pages, 0);
	EXPECT_TRUE(info.state & SENTINEL_OBJ_STATE_NOT_COUNTED);
	EXPECT_FALSE(info.state & SENTINEL_OBJ_STATE_UNMAPPED);

	/* A caller's older, smaller info structure still gets its part. */
	ASSERT_EQ(query_v0(self->fd, 1, v0), 0);
	EXPECT_TRUE(v0[0].state & SENTINEL_OBJ_STATE_NOT_COUNTED);
	/* Nothing written past the caller's size. */
	EXPECT_EQ(((unsigned char *)v0)[SENTINEL_OBJ_INFO_SIZE_V0], 0xa5);
	ASSERT_EQ(sntl_unregister_n(self->fd, &id, 1, NULL), 0);
	munmap(b, huge);
	EXPECT_EQ(write_long(nr, was), 0);
}

TEST_HARNESS_MAIN
