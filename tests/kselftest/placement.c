// SPDX-License-Identifier: GPL-2.0
/*
 * Placement maps: uploaded in ordered chunks over netlink, read whole by
 * the session through SENTINEL_IOC_GET_PLACEMENT, with bad uploads and bad
 * reads refused and the published map left as it was.  Synchronous marks:
 * SENTINEL_CMD_ACK_MARK, SENTINEL_CMD_RELEASE_MARKS and SENTINEL_IOC_WAIT.
 */
#include <pthread.h>

#include "sntl_nl.h"
#include "kselftest_harness.h"

FIXTURE(pl) {
	int fd, sk, family;
	uint64_t session;
};

FIXTURE_SETUP(pl)
{
	struct sentinel_session_stats st;

	self->fd = sntl_open();
	ASSERT_GE(self->fd, 0);
	ASSERT_EQ(sntl_stats(self->fd, &st), 0);
	self->session = st.session_id;
	self->sk = sntl_nl_socket();
	ASSERT_GE(self->sk, 0);
	self->family = sntl_nl_family(self->sk);
	ASSERT_GT(self->family, 0);
}

FIXTURE_TEARDOWN(pl)
{
	close(self->sk);
	close(self->fd);
}

static int upload(int sk, int family, uint64_t session, uint32_t count,
		  uint32_t offset, const struct sentinel_placement *e,
		  uint32_t n)
{
	static struct sntl_nl_req r;

	sntl_nl_start(&r, family, SENTINEL_CMD_SET_PLACEMENT);
	sntl_nl_put(&r, SENTINEL_A_SESSION_ID, &session, sizeof(session));
	sntl_nl_put(&r, SENTINEL_A_COUNT, &count, sizeof(count));
	sntl_nl_put(&r, SENTINEL_A_OFFSET, &offset, sizeof(offset));
	if (n)
		sntl_nl_put(&r, SENTINEL_A_PLACEMENT, e, n * sizeof(*e));
	return sntl_nl_call(sk, &r);
}

static int get(int fd, struct sentinel_placement *buf, uint32_t count,
	       struct sentinel_placement_get *out)
{
	memset(out, 0, sizeof(*out));
	out->size = sizeof(*out);
	out->buf = (uintptr_t)buf;
	out->count = count;
	return sntl_ioctl(fd, SENTINEL_IOC_GET_PLACEMENT, out);
}

TEST_F(pl, upload_in_chunks_and_read)
{
	struct sentinel_placement e[3] = {
		{ .id = 5, .node = 1 }, { .id = 9, .node = 0 },
		{ .id = 1ULL << 40, .node = 1 },
	};
	struct sentinel_placement out[4];
	struct sentinel_placement_get g;

	ASSERT_EQ(get(self->fd, out, 0, &g), 0);
	EXPECT_EQ(g.total, 0);
	EXPECT_EQ(g.generation, 0);

	ASSERT_EQ(upload(self->sk, self->family, self->session, 3, 0, e, 2), 0);
	ASSERT_EQ(get(self->fd, out, 4, &g), 0);
	EXPECT_EQ(g.generation, 0);	/* not complete yet: nothing published */
	ASSERT_EQ(upload(self->sk, self->family, self->session, 3, 2, e + 2, 1),
		  0);
	ASSERT_EQ(get(self->fd, out, 4, &g), 0);
	EXPECT_EQ(g.generation, 1);
	EXPECT_EQ(g.total, 3);
	EXPECT_EQ(g.returned, 3);
	EXPECT_EQ(memcmp(out, e, sizeof(e)), 0);

	/* An empty map replaces it. */
	ASSERT_EQ(upload(self->sk, self->family, self->session, 0, 0, NULL, 0),
		  0);
	ASSERT_EQ(get(self->fd, out, 4, &g), 0);
	EXPECT_EQ(g.generation, 2);
	EXPECT_EQ(g.total, 0);
}

TEST_F(pl, bad_uploads_leave_the_map)
{
	struct sentinel_placement good[2] = { { .id = 1 }, { .id = 2 } };
	struct sentinel_placement bad[2] = { { .id = 3 }, { .id = 3 } };
	struct sentinel_placement badnode = { .id = 1, .node = 4096 };
	struct sentinel_placement badflag = { .id = 1, .flags = 1 };
	struct sentinel_placement out[2];
	struct sentinel_placement_get g;
	uint64_t nosuch = ~0ULL;
	char odd[20] = { 0 };
	static struct sntl_nl_req r;
	uint32_t two = 2, zero = 0;

	ASSERT_EQ(upload(self->sk, self->family, self->session, 2, 0, good, 2),
		  0);
	EXPECT_EQ(upload(self->sk, self->family, self->session, 2, 0, bad, 2),
		  -EINVAL);		/* ids not increasing */
	EXPECT_EQ(upload(self->sk, self->family, self->session, 2, 1, good, 1),
		  -EINVAL);		/* no map started */
	EXPECT_EQ(upload(self->sk, self->family, self->session, 1, 0,
			 &badnode, 1), -EINVAL);
	EXPECT_EQ(upload(self->sk, self->family, self->session, 1, 0,
			 &badflag, 1), -EINVAL);
	EXPECT_EQ(upload(self->sk, self->family, self->session, 1, 0, good, 2),
		  -EINVAL);		/* more than announced */
	EXPECT_EQ(upload(self->sk, self->family, self->session, 1U << 30, 0,
			 good, 1), -E2BIG);
	EXPECT_EQ(upload(self->sk, self->family, nosuch, 1, 0, good, 1),
		  -ENOENT);
	/* Entries announced but no SENTINEL_A_PLACEMENT attribute. */
	EXPECT_EQ(upload(self->sk, self->family, self->session, 2, 0, good, 0),
		  -EINVAL);
	/* A payload that is not whole entries; a missing count. */
	sntl_nl_start(&r, self->family, SENTINEL_CMD_SET_PLACEMENT);
	sntl_nl_put(&r, SENTINEL_A_SESSION_ID, &self->session, 8);
	sntl_nl_put(&r, SENTINEL_A_COUNT, &two, 4);
	sntl_nl_put(&r, SENTINEL_A_OFFSET, &zero, 4);
	sntl_nl_put(&r, SENTINEL_A_PLACEMENT, odd, sizeof(odd));
	EXPECT_EQ(sntl_nl_call(self->sk, &r), -EINVAL);
	sntl_nl_start(&r, self->family, SENTINEL_CMD_SET_PLACEMENT);
	sntl_nl_put(&r, SENTINEL_A_SESSION_ID, &self->session, 8);
	sntl_nl_put(&r, SENTINEL_A_OFFSET, &zero, 4);
	EXPECT_EQ(sntl_nl_call(self->sk, &r), -EINVAL);

	ASSERT_EQ(get(self->fd, out, 2, &g), 0);
	EXPECT_EQ(g.generation, 1);
	EXPECT_EQ(g.total, 2);
	EXPECT_EQ(memcmp(out, good, sizeof(good)), 0);
}

TEST_F(pl, bad_reads)
{
	struct sentinel_placement e[2] = { { .id = 1 }, { .id = 2 } };
	struct sentinel_placement out[2];
	struct sentinel_placement_get g;

	ASSERT_EQ(upload(self->sk, self->family, self->session, 2, 0, e, 2), 0);
	EXPECT_EQ(get(self->fd, out, 1, &g), -ENOSPC);
	EXPECT_EQ(g.total, 2);
	EXPECT_EQ(get(self->fd, (void *)0x10, 2, &g), -EFAULT);
	g.size = sizeof(g);
	g.flags = 1;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_GET_PLACEMENT, &g), -EINVAL);
	g.flags = 0;
	g.size = 16;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_GET_PLACEMENT, &g), -EINVAL);
}

static int ack(int sk, int family, uint64_t session, uint64_t seq)
{
	static struct sntl_nl_req r;

	sntl_nl_start(&r, family, SENTINEL_CMD_ACK_MARK);
	sntl_nl_put(&r, SENTINEL_A_SESSION_ID, &session, sizeof(session));
	sntl_nl_put(&r, SENTINEL_A_SEQ, &seq, sizeof(seq));
	return sntl_nl_call(sk, &r);
}

static int release(int sk, int family, uint64_t session)
{
	static struct sntl_nl_req r;

	sntl_nl_start(&r, family, SENTINEL_CMD_RELEASE_MARKS);
	sntl_nl_put(&r, SENTINEL_A_SESSION_ID, &session, sizeof(session));
	return sntl_nl_call(sk, &r);
}

struct waiter {
	int fd;
	uint64_t seq;
	uint32_t timeout_ms;
	int ret;
	uint64_t acked;
};

static int wait_mark(struct waiter *w)
{
	struct sentinel_wait a = {
		.size = sizeof(a), .seq = w->seq, .timeout_ms = w->timeout_ms,
	};

	w->ret = sntl_ioctl(w->fd, SENTINEL_IOC_WAIT, &a);
	w->acked = a.acked;
	return w->ret;
}

static void *waiter_thread(void *arg)
{
	wait_mark(arg);
	return NULL;
}

static int layer_mark(int fd)
{
	return sntl_mark(fd, SENTINEL_MARK_LAYER_BEGIN, SENTINEL_DIR_FORWARD,
			 1, 0);
}

TEST_F(pl, wait_without_acknowledger)
{
	struct waiter w = { .fd = self->fd, .timeout_ms = 60000 };
	struct sentinel_wait a = { .size = sizeof(a), .flags = 1 };
	static struct sntl_nl_req r;

	/* Nobody acknowledges: no wait at all, whatever the timeout. */
	ASSERT_EQ(layer_mark(self->fd), 0);
	EXPECT_EQ(wait_mark(&w), -ENOTCONN);
	EXPECT_EQ(w.acked, 0);
	/* Bad requests. */
	w.seq = 5;
	EXPECT_EQ(wait_mark(&w), -EINVAL);	/* a mark not made yet */
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_WAIT, &a), -EINVAL);
	a.flags = 0;
	a.reserved = 1;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_WAIT, &a), -EINVAL);
	a.reserved = 0;
	a.size = SENTINEL_WAIT_SIZE_V0 - 8;
	EXPECT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_WAIT, &a), -EINVAL);
	/* An acknowledgment of a mark not made yet, or without SEQ. */
	EXPECT_EQ(ack(self->sk, self->family, self->session, 2), -EINVAL);
	sntl_nl_start(&r, self->family, SENTINEL_CMD_ACK_MARK);
	sntl_nl_put(&r, SENTINEL_A_SESSION_ID, &self->session, 8);
	EXPECT_EQ(sntl_nl_call(self->sk, &r), -EINVAL);
	EXPECT_EQ(ack(self->sk, self->family, ~0ULL, 1), -ENOENT);
}

TEST_F(pl, acknowledged_marks_release_waiters)
{
	struct waiter w = { .fd = self->fd, .timeout_ms = 60000 };
	int other = sntl_nl_socket();
	pthread_t t;

	ASSERT_GE(other, 0);
	ASSERT_EQ(layer_mark(self->fd), 0);		/* mark 1 */
	ASSERT_EQ(ack(self->sk, self->family, self->session, 1), 0);
	EXPECT_EQ(wait_mark(&w), 0);
	EXPECT_EQ(w.acked, 1);
	/* Another socket may not acknowledge the same session. */
	EXPECT_EQ(ack(other, self->family, self->session, 1), -EBUSY);
	/* A lower acknowledgment is accepted and changes nothing. */
	EXPECT_EQ(ack(self->sk, self->family, self->session, 0), 0);

	ASSERT_EQ(layer_mark(self->fd), 0);		/* mark 2 */
	w.timeout_ms = 0;
	EXPECT_EQ(wait_mark(&w), -ETIMEDOUT);
	EXPECT_EQ(w.acked, 1);
	/* A waiter is released by the acknowledgment, whenever it comes. */
	w.timeout_ms = 60000;
	ASSERT_EQ(pthread_create(&t, NULL, waiter_thread, &w), 0);
	ASSERT_EQ(ack(self->sk, self->family, self->session, 2), 0);
	pthread_join(t, NULL);
	EXPECT_EQ(w.ret, 0);
	EXPECT_EQ(w.acked, 2);
	/* Waiting for an older mark returns at once. */
	w.seq = 1;
	EXPECT_EQ(wait_mark(&w), 0);

	/* The acknowledger's socket closes: waiters learn it at once. */
	ASSERT_EQ(layer_mark(self->fd), 0);		/* mark 3 */
	w.seq = 0;
	ASSERT_EQ(pthread_create(&t, NULL, waiter_thread, &w), 0);
	close(self->sk);
	pthread_join(t, NULL);
	EXPECT_EQ(w.ret, -ENOTCONN);
	EXPECT_EQ(w.acked, 2);
	/* Then another socket may take the session over. */
	EXPECT_EQ(ack(other, self->family, self->session, 3), 0);
	EXPECT_EQ(wait_mark(&w), 0);
	self->sk = other;
}

TEST_F(pl, released_marks_end_the_waits)
{
	struct waiter w = { .fd = self->fd, .timeout_ms = 60000 };
	struct sentinel_version v = { .size = sizeof(v) };
	int other = sntl_nl_socket();
	static struct sntl_nl_req r;
	pthread_t t;

	ASSERT_GE(other, 0);
	ASSERT_EQ(sntl_ioctl(self->fd, SENTINEL_IOC_VERSION, &v), 0);
	EXPECT_TRUE(v.features & SENTINEL_FEAT_RELEASE);
	/* Nobody acknowledges yet: a release changes nothing. */
	EXPECT_EQ(release(self->sk, self->family, self->session), 0);
	ASSERT_EQ(layer_mark(self->fd), 0);		/* mark 1 */
	ASSERT_EQ(ack(self->sk, self->family, self->session, 1), 0);
	/* Only the acknowledger may release; bad requests. */
	EXPECT_EQ(release(other, self->family, self->session), -EBUSY);
	EXPECT_EQ(release(self->sk, self->family, ~0ULL), -ENOENT);
	sntl_nl_start(&r, self->family, SENTINEL_CMD_RELEASE_MARKS);
	EXPECT_EQ(sntl_nl_call(self->sk, &r), -EINVAL);

	/* A waiter for a mark not acknowledged learns of the release. */
	ASSERT_EQ(layer_mark(self->fd), 0);		/* mark 2 */
	ASSERT_EQ(pthread_create(&t, NULL, waiter_thread, &w), 0);
	ASSERT_EQ(release(self->sk, self->family, self->session), 0);
	pthread_join(t, NULL);
	EXPECT_EQ(w.ret, -ENOTCONN);
	EXPECT_EQ(w.acked, 1);
	/* Released, later marks are not waited for at all. */
	ASSERT_EQ(layer_mark(self->fd), 0);		/* mark 3 */
	EXPECT_EQ(wait_mark(&w), -ENOTCONN);
	EXPECT_EQ(release(self->sk, self->family, self->session), 0);
	/* Any socket may take the session again, this one too. */
	EXPECT_EQ(ack(other, self->family, self->session, 3), 0);
	EXPECT_EQ(wait_mark(&w), 0);
	EXPECT_EQ(w.acked, 3);
	EXPECT_EQ(release(other, self->family, self->session), 0);
	EXPECT_EQ(ack(self->sk, self->family, self->session, 3), 0);
	close(other);
}

TEST_HARNESS_MAIN
