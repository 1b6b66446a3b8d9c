// SPDX-License-Identifier: GPL-2.0
/*
 * Bad input to every ioctl of /dev/sentinel: each gets its documented errno
 * and leaves the registry as it was.  Built for 64-bit and for 32-bit
 * callers (ioctl_bad_m32).
 */
#include <sys/wait.h>

#include "sntl_test.h"
#include "kselftest_harness.h"

#define NPAGES 16

FIXTURE(dev) {
	int fd;
	char *buf;
	long objects_before;
};

FIXTURE_SETUP(dev)
{
	self->fd = sntl_open();
	ASSERT_GE(self->fd, 0) TH_LOG("open: %s", strerror(errno));
	self->buf = sntl_map(NPAGES * PAGE);
	ASSERT_TRUE(self->buf != NULL);
	/* One live object, pages 8..9, id 1000. */
	ASSERT_EQ(sntl_register1(self->fd, self->buf + 8 * PAGE, 2 * PAGE,
				 1000), 0);
	self->objects_before = sntl_nr_objects(self->fd);
	ASSERT_EQ(self->objects_before, 1);
}

FIXTURE_TEARDOWN(dev)
{
	/* Whatever a test did, the registry must be unchanged. */
	EXPECT_EQ(sntl_nr_objects(self->fd), self->objects_before);
	close(self->fd);
	munmap(self->buf, NPAGES * PAGE);
}

/* Register one object; return -errno and check err_index. */
static int reg1(int fd, struct sentinel_obj o, uint32_t *err_index)
{
	return sntl_register_n(fd, &o, 1, err_index);
}

TEST_F(dev, unknown_commands)
{
	char arg[64] = { 0 };

	EXPECT_EQ(sntl_ioctl(self->fd, _IOWR(SENTINEL_IOC_MAGIC, 0x7f,
					     struct sentinel_version), arg),
		  -ENOTTY);
	EXPECT_EQ(sntl_ioctl(self->fd, _IOWR('x', 0x00,
					     struct sentinel_version), arg),
		  -ENOTTY);
	EXPECT_EQ(sntl_ioctl(self->fd, TCGETS, arg), -ENOTTY);
}

TEST_F(dev, version)
{
	struct sentinel_version v = { .size = sizeof(v) };

	ASSERT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_VERSION, &v), 0);
	EXPECT_EQ(v.major, SENTINEL_VERSION_MAJOR);
	EXPECT_EQ(v.minor, SENTINEL_VERSION_MINOR);
	EXPECT_EQ(v.max_batch, SENTINEL_MAX_BATCH);
	EXPECT_EQ(v.max_nodes, SENTINEL_MAX_NODES);
	EXPECT_TRUE(v.features & SENTINEL_FEAT_REGISTRY);

	v.flags = 1;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_VERSION, &v), -EINVAL);
	v.flags = 0;
	v.size = SENTINEL_VERSION_SIZE_V0 - 8;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_VERSION, &v), -EINVAL);
	v.size = 0;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_VERSION, &v), -EINVAL);
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_VERSION, NULL), -EFAULT);
}

TEST_F(dev, struct_size_rules)
{
	struct {
		struct sentinel_register r;
		uint64_t extra;
	} big = { 0 };
	struct sentinel_obj o = sntl_obj(self->buf, PAGE, 1, 0);

	big.r.size = sizeof(big);
	big.r.count = 1;
	big.r.obj_size = sizeof(o);
	big.r.objs = (uintptr_t)&o;
	big.extra = 1;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_REGISTER, &big), -E2BIG);
	big.r.size = sizeof(big.r) - 4;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_REGISTER, &big), -EINVAL);
	big.r.size = 1 << 20;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_REGISTER, &big), -E2BIG);

	/* A larger, zero-extended structure is accepted (then undone). */
	big.r.size = sizeof(big);
	big.extra = 0;
	ASSERT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_REGISTER, &big), 0);
	uint64_t id = 1;
	ASSERT_EQ(sntl_unregister_n(self->fd, &id, 1, NULL), 0);
}

TEST_F(dev, register_header_fields)
{
	struct sentinel_obj o = sntl_obj(self->buf, PAGE, 1, 0);
	struct sentinel_register r = {
		.size = sizeof(r), .count = 1, .obj_size = sizeof(o),
		.objs = (uintptr_t)&o,
	};

	r.flags = 1;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_REGISTER, &r), -EINVAL);
	r.flags = 0;
	r.reserved = 1;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_REGISTER, &r), -EINVAL);
	r.reserved = 0;
	r.count = 0;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_REGISTER, &r), -EINVAL);
	r.count = SENTINEL_MAX_BATCH + 1;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_REGISTER, &r), -E2BIG);
	r.count = 1;
	r.obj_size = SENTINEL_OBJ_SIZE_V0 - 8;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_REGISTER, &r), -EINVAL);
	r.obj_size = 2 * PAGE;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_REGISTER, &r), -E2BIG);
	r.obj_size = sizeof(o);
	r.objs = 0;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_REGISTER, &r), -EFAULT);
	r.objs = 0x1000;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_REGISTER, &r), -EFAULT);
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_REGISTER, NULL), -EFAULT);
}

TEST_F(dev, register_extended_entries)
{
	struct {
		struct sentinel_obj o;
		uint64_t extra;
	} e[2] = { 0 };
	struct sentinel_register r = {
		.size = sizeof(r), .count = 2, .obj_size = sizeof(e[0]),
		.objs = (uintptr_t)e,
	};
	uint64_t ids[2] = { 1, 2 };

	e[0].o = sntl_obj(self->buf, PAGE, 1, 0);
	e[1].o = sntl_obj(self->buf + PAGE, PAGE, 2, 0);
	e[1].extra = 7;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_REGISTER, &r), -E2BIG);
	EXPECT_EQ(r.err_index, 1);
	e[1].extra = 0;
	ASSERT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_REGISTER, &r), 0);
	ASSERT_EQ(sntl_unregister_n(self->fd, ids, 2, NULL), 0);
}

TEST_F(dev, register_bad_objects)
{
	char *b = self->buf;
	uint32_t ei;
	struct sentinel_obj o;

	o = sntl_obj(b, 0, 1, 0);
	EXPECT_EQ(reg1(self->fd, o, &ei), -EINVAL);		/* zero length */
	EXPECT_EQ(ei, 0);
	o = sntl_obj(b + 100, PAGE, 1, 0);
	EXPECT_EQ(reg1(self->fd, o, NULL), -EINVAL);		/* unaligned addr */
	o = sntl_obj(b, PAGE + 1, 1, 0);
	EXPECT_EQ(reg1(self->fd, o, NULL), -EINVAL);		/* unaligned len */
	o = sntl_obj((void *)(uintptr_t)0, 0, 1, 0);
	o.addr = ~(uint64_t)(PAGE - 1);
	o.len = 2 * PAGE;
	EXPECT_EQ(reg1(self->fd, o, NULL), -EINVAL);		/* wraps */
	o.addr = 0xffff888000000000ULL;
	o.len = PAGE;
	EXPECT_EQ(reg1(self->fd, o, NULL), -EFAULT);		/* kernel */
	o.addr = 0x8000000000000000ULL;
	EXPECT_EQ(reg1(self->fd, o, NULL), -EFAULT);		/* non-canonical */
	o = sntl_obj(b, PAGE, 1, __SENTINEL_KIND_MAX);
	EXPECT_EQ(reg1(self->fd, o, NULL), -EINVAL);		/* kind */
	o = sntl_obj(b, PAGE, 1, 0);
	o.flags = 0x8000;
	EXPECT_EQ(reg1(self->fd, o, NULL), -EINVAL);		/* flag */
	o.flags = 0;
	o.reserved = 1;
	EXPECT_EQ(reg1(self->fd, o, NULL), -EINVAL);		/* reserved */
}

TEST_F(dev, register_unmapped)
{
	char *b = self->buf;
	struct sentinel_obj o = sntl_obj(b, 3 * PAGE, 1, 0);

	ASSERT_EQ(munmap(b + PAGE, PAGE), 0);
	EXPECT_EQ(reg1(self->fd, o, NULL), -ENOMEM);
	o = sntl_obj(b + PAGE, PAGE, 1, 0);
	EXPECT_EQ(reg1(self->fd, o, NULL), -ENOMEM);
	ASSERT_TRUE(mmap(b + PAGE, PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
		    b + PAGE);
}

TEST_F(dev, register_overlap_and_duplicates)
{
	char *b = self->buf;
	struct sentinel_obj objs[3];
	uint32_t ei;

	/* Overlaps with the live object (pages 8..9). */
	EXPECT_EQ(reg1(self->fd, sntl_obj(b + 9 * PAGE, 2 * PAGE, 1, 0), &ei),
		  -EBUSY);
	EXPECT_EQ(reg1(self->fd, sntl_obj(b + 7 * PAGE, 2 * PAGE, 1, 0), NULL),
		  -EBUSY);
	EXPECT_EQ(reg1(self->fd, sntl_obj(b, 16 * PAGE, 1, 0), NULL), -EBUSY);
	/* Duplicate of the live id. */
	EXPECT_EQ(reg1(self->fd, sntl_obj(b, PAGE, 1000, 0), NULL), -EEXIST);

	/* Within one batch: nothing of it stays. */
	objs[0] = sntl_obj(b, PAGE, 1, 0);
	objs[1] = sntl_obj(b + PAGE, PAGE, 1, 0);
	EXPECT_EQ(sntl_register_n(self->fd, objs, 2, &ei), -EEXIST);
	EXPECT_EQ(ei, 1);
	objs[1] = sntl_obj(b, 2 * PAGE, 2, 0);
	EXPECT_EQ(sntl_register_n(self->fd, objs, 2, &ei), -EBUSY);
	EXPECT_EQ(ei, 1);
	objs[1] = sntl_obj(b + PAGE, PAGE, 2, 0);
	objs[2] = sntl_obj(b + 2 * PAGE, 0, 3, 0);
	EXPECT_EQ(sntl_register_n(self->fd, objs, 3, &ei), -EINVAL);
	EXPECT_EQ(ei, 2);
	/* The first two are free again: the same batch minus the bad one. */
	ASSERT_EQ(sntl_register_n(self->fd, objs, 2, &ei), 0);
	EXPECT_EQ(ei, 2);
	uint64_t ids[2] = { 1, 2 };
	ASSERT_EQ(sntl_unregister_n(self->fd, ids, 2, NULL), 0);
}

TEST_F(dev, register_partial_pages)
{
	char *b = self->buf;
	struct sentinel_obj objs[2];
	struct sentinel_obj_info info;
	uint64_t ids[2] = { 1, 2 };

	objs[0] = sntl_obj(b + 100, 3000, 1, 0);
	objs[0].flags = SENTINEL_OBJ_F_PARTIAL;
	objs[1] = sntl_obj(b + 3100, 2000, 2, 0);
	objs[1].flags = SENTINEL_OBJ_F_PARTIAL;
	ASSERT_EQ(sntl_register_n(self->fd, objs, 2, NULL), 0);
	ASSERT_EQ(sntl_query1(self->fd, 2, 0, &info), 0);
	EXPECT_EQ(info.pages, 2);	/* 3100..5100 spans two pages */
	/* Byte-exact overlap is still refused. */
	objs[0] = sntl_obj(b + 5000, 50, 3, 0);
	objs[0].flags = SENTINEL_OBJ_F_PARTIAL;
	EXPECT_EQ(sntl_register_n(self->fd, objs, 1, NULL), -EBUSY);
	ASSERT_EQ(sntl_unregister_n(self->fd, ids, 2, NULL), 0);
}

TEST_F(dev, register_hints)
{
	static const uint16_t hints[] = {
		SENTINEL_OBJ_F_PIN_FAST, SENTINEL_OBJ_F_NEVER_PROMOTE,
		SENTINEL_OBJ_F_PREFER_FAST, SENTINEL_OBJ_F_PREFER_SLOW,
	};
	struct sentinel_version v = { .size = sizeof(v) };
	struct sentinel_obj_info info;
	char *b = self->buf;
	struct sentinel_obj o;
	uint32_t ei;

	ASSERT_EQ(ioctl(self->fd, SENTINEL_IOC_VERSION, &v), 0);
	EXPECT_TRUE(v.features & SENTINEL_FEAT_HINTS);
	/* Each hint alone: kept with the object and reported back. */
	for (int i = 0; i < 4; i++) {
		o = sntl_obj(b + i * PAGE, PAGE, 10 + i, SENTINEL_KIND_WEIGHT);
		o.flags = hints[i];
		EXPECT_EQ(reg1(self->fd, o, NULL), 0);
		ASSERT_EQ(sntl_query1(self->fd, 10 + i, 0, &info), 0);
		EXPECT_EQ(info.flags, hints[i]);
	}
	uint64_t ids[4] = { 10, 11, 12, 13 };
	ASSERT_EQ(sntl_unregister_n(self->fd, ids, 4, NULL), 0);
	/* Two hints at once, and a hint on a short-lived object: EINVAL. */
	o = sntl_obj(b, PAGE, 20, SENTINEL_KIND_WEIGHT);
	o.flags = SENTINEL_OBJ_F_PIN_FAST | SENTINEL_OBJ_F_NEVER_PROMOTE;
	EXPECT_EQ(reg1(self->fd, o, &ei), -EINVAL);
	EXPECT_EQ(ei, 0);
	o.flags = SENTINEL_OBJ_F_PREFER_FAST | SENTINEL_OBJ_F_PREFER_SLOW;
	EXPECT_EQ(reg1(self->fd, o, NULL), -EINVAL);
	o.flags = SENTINEL_OBJ_F_SHORT_LIVED | SENTINEL_OBJ_F_PIN_FAST;
	EXPECT_EQ(reg1(self->fd, o, NULL), -EINVAL);
	/* A hint with PARTIAL is fine. */
	o = sntl_obj(b + 100, 200, 21, SENTINEL_KIND_WEIGHT);
	o.flags = SENTINEL_OBJ_F_PARTIAL | SENTINEL_OBJ_F_NEVER_PROMOTE;
	EXPECT_EQ(reg1(self->fd, o, NULL), 0);
	ids[0] = 21;
	ASSERT_EQ(sntl_unregister_n(self->fd, ids, 1, NULL), 0);
}

TEST_F(dev, register_readonly_argument)
{
	struct sentinel_obj o = sntl_obj(self->buf, PAGE, 1, 0);
	struct sentinel_register *r = sntl_map(PAGE);

	ASSERT_TRUE(r != NULL);
	r->size = sizeof(*r);
	r->count = 1;
	r->obj_size = sizeof(o);
	r->objs = (uintptr_t)&o;
	ASSERT_EQ(mprotect(r, PAGE, PROT_READ), 0);
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_REGISTER, r), -EFAULT);
	munmap(r, PAGE);
}

TEST_F(dev, unregister_bad)
{
	struct sentinel_unregister u = { .size = sizeof(u) };
	uint64_t ids[3] = { 1000, 1000, 5 };
	uint32_t ei;

	EXPECT_EQ(sntl_unregister_n(self->fd, &ids[2], 1, &ei), -ENOENT);
	EXPECT_EQ(ei, 0);
	EXPECT_EQ(sntl_unregister_n(self->fd, ids, 2, &ei), -ENOENT);
	EXPECT_EQ(ei, 1);
	EXPECT_EQ(sntl_unregister_n(self->fd, ids, 0, NULL), -EINVAL);
	EXPECT_EQ(sntl_unregister_n(self->fd, ids, SENTINEL_MAX_BATCH + 1,
				    NULL), -E2BIG);
	EXPECT_EQ(sntl_unregister_n(self->fd, NULL, 1, NULL), -EFAULT);
	u.flags = 2;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_UNREGISTER, &u), -EINVAL);
	u.flags = SENTINEL_UNREG_ALL;
	u.count = 1;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_UNREGISTER, &u), -EINVAL);
	u.count = 0;
	u.ids = (uintptr_t)ids;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_UNREGISTER, &u), -EINVAL);
	u.size = 8;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_UNREGISTER, &u), -EINVAL);
}

TEST_F(dev, mark_bad)
{
	struct sentinel_mark m = { .size = sizeof(m) };

	m.type = 0;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_MARK, &m), -EINVAL);
	m.type = 99;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_MARK, &m), -EINVAL);
	EXPECT_EQ(sntl_mark(self->fd, SENTINEL_MARK_LAYER_BEGIN, 0, 1, 0),
		  -EINVAL);	/* direction none on a layer mark */
	EXPECT_EQ(sntl_mark(self->fd, SENTINEL_MARK_LAYER_BEGIN, 9, 1, 0),
		  -EINVAL);
	EXPECT_EQ(sntl_mark(self->fd, SENTINEL_MARK_LAYER_BEGIN,
			    SENTINEL_DIR_FORWARD, SENTINEL_LAYER_NONE, 0),
		  -EINVAL);
	EXPECT_EQ(sntl_mark(self->fd, SENTINEL_MARK_LAYER_END,
			    SENTINEL_DIR_FORWARD, 1, 5), -EINVAL);
	EXPECT_EQ(sntl_mark(self->fd, SENTINEL_MARK_STEP_BEGIN,
			    SENTINEL_DIR_FORWARD, 0, 1), -EINVAL);
	EXPECT_EQ(sntl_mark(self->fd, SENTINEL_MARK_STEP_BEGIN, 0, 3, 1),
		  -EINVAL);
	EXPECT_EQ(sntl_mark(self->fd, SENTINEL_MARK_STEP_END, 0, 0, 1),
		  -EINVAL);	/* no open step */
	ASSERT_EQ(sntl_mark(self->fd, SENTINEL_MARK_STEP_BEGIN, 0, 0, 5), 0);
	EXPECT_EQ(sntl_mark(self->fd, SENTINEL_MARK_STEP_END, 0, 0, 4),
		  -EINVAL);	/* not the open step */
	EXPECT_EQ(sntl_mark(self->fd, SENTINEL_MARK_STEP_BEGIN, 0, 0, 5),
		  -EINVAL);	/* not increasing */
	m.type = SENTINEL_MARK_STEP_END;
	m.step = 5;
	m.flags = 1;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_MARK, &m), -EINVAL);
	m.flags = 0;
	m.size = 12;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_MARK, &m), -EINVAL);
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_MARK, NULL), -EFAULT);
	m.size = sizeof(m);
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_MARK, &m), 0);
}

TEST_F(dev, query_bad)
{
	struct sentinel_obj_info info[2];
	uint64_t ids[2] = { 1000, 77 };
	struct sentinel_query q = {
		.size = sizeof(q), .count = 2, .info_size = sizeof(info[0]),
		.ids = (uintptr_t)ids, .out = (uintptr_t)info,
	};

	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_QUERY, &q), -ENOENT);
	EXPECT_EQ(q.err_index, 1);
	EXPECT_EQ(q.returned, 0);
	q.count = 1;
	q.info_size = SENTINEL_OBJ_INFO_SIZE_V0 - 8;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_QUERY, &q), -EINVAL);
	q.info_size = sizeof(info[0]);
	q.flags = 1 << 7;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_QUERY, &q), -EINVAL);
	q.flags = SENTINEL_QUERY_ALL;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_QUERY, &q), -EINVAL);
	q.flags = SENTINEL_QUERY_CURSOR;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_QUERY, &q), -EINVAL);
	q.flags = 0;
	q.count = 0;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_QUERY, &q), -EINVAL);
	q.count = SENTINEL_MAX_BATCH + 1;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_QUERY, &q), -E2BIG);
	q.count = 1;
	q.out = 0;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_QUERY, &q), -EFAULT);
	q.out = (uintptr_t)info;
	q.ids = 0;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_QUERY, &q), -EFAULT);
}

TEST_F(dev, stats_bad)
{
	struct sentinel_session_stats st = { .size = sizeof(st), .flags = 1 };

	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_STATS, &st), -EINVAL);
	st.flags = 0;
	st.size = 16;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_STATS, &st), -EINVAL);
	st.size = sizeof(st);
	ASSERT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_STATS, &st), 0);
	EXPECT_GT(st.errors, 0);
	EXPECT_GT(st.session_id, 0);
}

/* A struct-level EINVAL is not tied to an entry: err_index is count. */
TEST_F(dev, err_index_of_header_errors)
{
	struct sentinel_obj o[2] = {
		sntl_obj(self->buf, PAGE, 1, 0),
		sntl_obj(self->buf + PAGE, PAGE, 2, 0),
	};
	struct sentinel_register r = {
		.size = sizeof(r), .flags = 1, .count = 2,
		.obj_size = sizeof(o[0]), .objs = (uintptr_t)o,
		.err_index = 77,
	};
	uint64_t ids[3] = { 1000, 1000, 1000 };
	struct sentinel_unregister u = {
		.size = sizeof(u), .flags = 1U << 9, .count = 3,
		.ids = (uintptr_t)ids, .err_index = 77,
	};

	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_REGISTER, &r), -EINVAL);
	EXPECT_EQ(r.err_index, 2);
	r.flags = 0;
	r.reserved = 1;
	r.err_index = 77;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_REGISTER, &r), -EINVAL);
	EXPECT_EQ(r.err_index, 2);
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_UNREGISTER, &u), -EINVAL);
	EXPECT_EQ(u.err_index, 3);
	/* An id repeated in the batch is tied to its second occurrence. */
	u.flags = 0;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_UNREGISTER, &u), -ENOENT);
	EXPECT_EQ(u.err_index, 1);
}

/* Sizes above SENTINEL_MAX_ARG_SIZE are E2BIG even with a zero tail. */
TEST_F(dev, argument_size_limit)
{
	static union {
		struct sentinel_version v;
		struct sentinel_session_stats st;
		struct sentinel_register r;
		char bytes[2 * SENTINEL_MAX_ARG_SIZE];
	} a;
	struct sentinel_obj o = sntl_obj(self->buf, PAGE, 1, 0);

	memset(&a, 0, sizeof(a));
	a.v.size = SENTINEL_MAX_ARG_SIZE;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_VERSION, &a), 0);
	EXPECT_EQ(a.v.major, SENTINEL_VERSION_MAJOR);
	memset(&a, 0, sizeof(a));
	a.v.size = SENTINEL_MAX_ARG_SIZE + 1;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_VERSION, &a), -E2BIG);
	memset(&a, 0, sizeof(a));
	a.st.size = sizeof(a);
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_STATS, &a), -E2BIG);

	memset(&a, 0, sizeof(a));
	a.r.size = sizeof(a);
	a.r.count = 1;
	a.r.obj_size = sizeof(o);
	a.r.objs = (uintptr_t)&o;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_REGISTER, &a), -E2BIG);
	/* The same for the size of an array's element. */
	a.r.size = sizeof(a.r);
	a.r.objs = (uintptr_t)a.bytes + SENTINEL_MAX_ARG_SIZE;
	memcpy(a.bytes + SENTINEL_MAX_ARG_SIZE, &o, sizeof(o));
	a.r.obj_size = SENTINEL_MAX_ARG_SIZE + 8;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_REGISTER, &a), -E2BIG);
}

TEST_F(dev, profile_warmup_limit)
{
	struct sentinel_profile_ctl c = {
		.size = sizeof(c), .op = SENTINEL_PROFILE_OP_START,
		.warmup = SENTINEL_MAX_WARMUP + 1, .steps = 1,
	};

	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_PROFILE_CTL, &c), -EINVAL);
	c.warmup = SENTINEL_MAX_WARMUP;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_PROFILE_CTL, &c), 0);
	EXPECT_EQ(c.state, SENTINEL_PROFILE_STATE_WARMUP);
	c.op = SENTINEL_PROFILE_OP_STOP;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_PROFILE_CTL, &c), 0);
}

static long module_errors(void)
{
	return sntl_sysfs_read("stats/errors");
}

/*
 * The session's errors count its own failed commands, unknown ones
 * included; another process's EPERM refusals count only module-wide.
 */
TEST_F(dev, errors_count_the_owners_failures)
{
	struct sentinel_session_stats st;
	long mod_before;
	uint64_t before;
	char arg[64] = { 0 };
	pid_t pid;
	int status;

	ASSERT_EQ(sntl_stats(self->fd, &st), 0);
	before = st.errors;
	mod_before = module_errors();
	ASSERT_GE(mod_before, 0);

	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct sentinel_session_stats cst;
		int i;

		for (i = 0; i < 5; i++)
			if (sntl_stats(self->fd, &cst) != -EPERM)
				_exit(1);
		_exit(0);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ASSERT_EQ(sntl_stats(self->fd, &st), 0);
	EXPECT_EQ(st.errors, before);
	EXPECT_GE(module_errors(), mod_before + 5);

	EXPECT_EQ(sntl_ioctl(self->fd, TCGETS, arg), -ENOTTY);
	EXPECT_EQ(sntl_ioctl(self->fd, _IOWR(SENTINEL_IOC_MAGIC, 0x7f,
					     struct sentinel_version), arg),
		  -ENOTTY);
	ASSERT_EQ(sntl_stats(self->fd, &st), 0);
	EXPECT_EQ(st.errors, before + 2);
}

TEST_HARNESS_MAIN
