// SPDX-License-Identifier: GPL-2.0
/*
 * Races between a session's owner and the module's other users:
 *  - netlink session and object dumps against sessions that close under
 *    them (a use-after-free that KASAN or KFENCE would report in the
 *    guest log, which the runner checks);
 *  - a page fault on a command's user array that the caller leaves
 *    unresolved (userfaultfd): the stalled command must hold up nobody
 *    else (netlink dumps, the generic netlink controller, the session's
 *    other commands, other sessions), and must finish correctly once the
 *    fault is resolved;
 *  - phase marks from several threads: a profile's layers never end
 *    before they begin.
 */
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>

#include "sntl_test.h"
#include "sntl_nl.h"
#include "kselftest_harness.h"

#include "nl.h"

/* Only turns a hang into a failure: a working module answers at once. */
#define WATCHDOG_S	60

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- dumps against closing sessions ---- */

#define CHURN_S		3

struct churn {
	atomic_bool stop;
	atomic_long cycles;
	atomic_long dumps;
	atomic_long dumped_sessions;
	atomic_int failed;
	atomic_ullong last_id;
};

static void *closer(void *arg)
{
	struct churn *c = arg;
	char *page = sntl_map(PAGE);

	while (page && !atomic_load(&c->stop)) {
		struct sentinel_session_stats st;
		int fd = sntl_open();

		if (fd < 0 || sntl_register1(fd, page, PAGE, 1) ||
		    sntl_stats(fd, &st)) {
			atomic_store(&c->failed, 1);
			break;
		}
		atomic_store(&c->last_id, st.session_id);
		close(fd);
		atomic_fetch_add(&c->cycles, 1);
	}
	if (page)
		munmap(page, PAGE);
	return NULL;
}

static int count_session(const struct snl_session *s, void *arg)
{
	atomic_fetch_add(&((struct churn *)arg)->dumped_sessions, 1);
	return 0;
}

static int count_object(const struct snl_object *o, void *arg)
{
	return 0;
}

static void *dumper(void *arg)
{
	struct churn *c = arg;
	struct snl nl;

	if (snl_open(&nl)) {
		atomic_store(&c->failed, 2);
		return NULL;
	}
	while (!atomic_load(&c->stop)) {
		uint64_t gen = 0;
		bool consistent;
		int ret;

		if (snl_dump_sessions(&nl, count_session, c)) {
			atomic_store(&c->failed, 3);
			break;
		}
		/* A session that may close mid-dump: done or gone, no error. */
		ret = snl_dump_objects(&nl, atomic_load(&c->last_id), true,
				       false, 0, count_object, NULL, &gen,
				       &consistent);
		if (ret && ret != -ENOENT) {
			atomic_store(&c->failed, 4);
			break;
		}
		atomic_fetch_add(&c->dumps, 1);
	}
	snl_close(&nl);
	return NULL;
}

TEST(session_dumps_race_closes)
{
	struct churn c = { 0 };
	pthread_t t[4];
	int i;

	for (i = 0; i < 4; i++)
		ASSERT_EQ(pthread_create(&t[i], NULL, i < 2 ? closer : dumper,
					 &c), 0);
	sleep(CHURN_S);
	atomic_store(&c.stop, true);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	TH_LOG("%ld open-register-close cycles, %ld dumps seeing %ld sessions",
	       atomic_load(&c.cycles), atomic_load(&c.dumps),
	       atomic_load(&c.dumped_sessions));
	EXPECT_EQ(atomic_load(&c.failed), 0);
	EXPECT_GT(atomic_load(&c.cycles), 0);
	EXPECT_GT(atomic_load(&c.dumps), 0);
}

/* ---- a command stalled in a user page fault ---- */

enum stall_cmd { STALL_REGISTER, STALL_UNREGISTER, STALL_QUERY,
		 STALL_QUERY_OUT };

FIXTURE(stall) {
	enum stall_cmd cmd;
	int fd;
	int uffd;
	char *objs;		/* registered memory: object 1 = page 0 */
	char *trap;		/* one page behind userfaultfd */
	char src[4096];		/* what the trap page will hold */
	struct sentinel_obj_info info;
	pthread_t cmd_thread;
	long cmd_ret;
	atomic_bool cmd_done;
};

FIXTURE_VARIANT(stall) {
	enum stall_cmd cmd;
};

FIXTURE_VARIANT_ADD(stall, register_array) { .cmd = STALL_REGISTER };
FIXTURE_VARIANT_ADD(stall, unregister_ids) { .cmd = STALL_UNREGISTER };
FIXTURE_VARIANT_ADD(stall, query_ids) { .cmd = STALL_QUERY };
FIXTURE_VARIANT_ADD(stall, query_residency_out) { .cmd = STALL_QUERY_OUT };

static int uffd_open(void *addr, size_t len)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)addr, .len = len },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	int fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return -errno;
	if (ioctl(fd, UFFDIO_API, &api) || ioctl(fd, UFFDIO_REGISTER, &reg)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

FIXTURE_SETUP(stall)
{
	self->cmd = variant->cmd;
	self->fd = sntl_open();
	ASSERT_GE(self->fd, 0);
	self->objs = sntl_map(4 * PAGE);
	ASSERT_NE(self->objs, NULL);
	memset(self->objs, 1, 4 * PAGE);
	ASSERT_EQ(sntl_register1(self->fd, self->objs, PAGE, 1), 0);
	self->trap = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(self->trap, MAP_FAILED);
	self->uffd = uffd_open(self->trap, PAGE);
	if (self->uffd == -ENOSYS || self->uffd == -EPERM)
		SKIP(return, "userfaultfd unavailable: %s",
		     strerror(-self->uffd));
	ASSERT_GE(self->uffd, 0) TH_LOG("userfaultfd: %s",
					strerror(-self->uffd));
}

FIXTURE_TEARDOWN(stall)
{
	if (self->uffd >= 0)
		close(self->uffd);
	close(self->fd);
	munmap(self->trap, PAGE);
	munmap(self->objs, 4 * PAGE);
}

/* The command, issued with its array on the trap page. */
static void *stalled_cmd(void *arg)
{
	struct _test_data_stall *self = arg;
	uint64_t one = 1;
	long ret = 0;

	switch (self->cmd) {
	case STALL_REGISTER:
		ret = sntl_register_n(self->fd, (void *)self->trap, 1, NULL);
		break;
	case STALL_UNREGISTER:
		ret = sntl_unregister_n(self->fd, (uint64_t *)self->trap, 1,
					NULL);
		break;
	case STALL_QUERY:
	case STALL_QUERY_OUT: {
		struct sentinel_query q = {
			.size = sizeof(q),
			.flags = SENTINEL_QUERY_RESIDENCY,
			.count = 1,
			.info_size = sizeof(struct sentinel_obj_info),
			.ids = (uintptr_t)(self->cmd == STALL_QUERY ?
					   (void *)self->trap : (void *)&one),
			.out = (uintptr_t)(self->cmd == STALL_QUERY ?
					   (void *)&self->info :
					   (void *)self->trap),
		};

		ret = sntl_ioctl(self->fd, SENTINEL_IOC_QUERY, &q);
		if (!ret && q.returned != 1)
			ret = -EPROTO;
		break;
	}
	}
	self->cmd_ret = ret;
	atomic_store(&self->cmd_done, true);
	return NULL;
}

/* Wait until the command faults on the trap page: 0, or -ETIMEDOUT. */
static int wait_fault(int uffd)
{
	struct pollfd p = { .fd = uffd, .events = POLLIN };
	struct uffd_msg msg;

	if (poll(&p, 1, WATCHDOG_S * 1000) != 1)
		return -ETIMEDOUT;
	if (read(uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT)
		return -EPROTO;
	return 0;
}

/* What everyone else does while the command is stalled. */
struct bystander {
	int stalled_fd;
	uint64_t stalled_id;
	char *objs;
	atomic_int step;	/* the check under way or failed, 0: none */
	int err;
	double seconds;
	atomic_bool done;
};

static int find_id(const struct snl_session *s, void *arg)
{
	struct bystander *b = arg;

	if (s->id == b->stalled_id)
		b->step = 0;
	return 0;
}

static int others_check(struct bystander *b)
{
	struct sentinel_session_stats st;
	uint64_t gen = 0;
	bool consistent;
	struct snl nl;
	int sk, fd, ret;

	/* 1: the daemon's resync: a session dump that lists the session... */
	b->step = 1;
	if (snl_open(&nl))
		return -EIO;
	ret = snl_dump_sessions(&nl, find_id, b);
	if (ret || b->step)
		goto out_nl;
	/* 2: ... and a dump of its objects with residency. */
	b->step = 2;
	ret = snl_dump_objects(&nl, b->stalled_id, true, false, 0,
			       count_object, NULL, &gen, &consistent);
	if (ret)
		goto out_nl;
	/* 3: the generic netlink controller resolves a family. */
	b->step = 3;
	sk = sntl_nl_socket();
	ret = sk >= 0 && sntl_nl_family(sk) > 0 ? 0 : -EIO;
	if (sk >= 0)
		close(sk);
	if (ret)
		goto out_nl;
	/* 4: the stalled session's own statistics and marks. */
	b->step = 4;
	ret = sntl_stats(b->stalled_fd, &st);
	if (!ret)
		ret = sntl_mark(b->stalled_fd, SENTINEL_MARK_STEP_BEGIN,
				SENTINEL_DIR_NONE, 0, 1);
	if (ret)
		goto out_nl;
	/* 5: another session registers, queries and closes. */
	b->step = 5;
	fd = sntl_open();
	ret = fd < 0 ? -errno : sntl_register1(fd, b->objs + 2 * PAGE, PAGE,
					       7);
	if (!ret) {
		struct sentinel_obj_info info;

		ret = sntl_query1(fd, 7, 1, &info);
	}
	if (fd >= 0)
		close(fd);
	if (!ret)
		b->step = 0;
out_nl:
	snl_close(&nl);
	return ret;
}

static void *bystander_thread(void *arg)
{
	struct bystander *b = arg;
	double t0 = now_s();

	b->err = others_check(b);
	b->seconds = now_s() - t0;
	atomic_store(&b->done, true);
	return NULL;
}

/* Wait for @flag under the watchdog: true when it was set. */
static bool wait_flag(atomic_bool *flag)
{
	double end = now_s() + WATCHDOG_S;

	while (!atomic_load(flag) && now_s() < end)
		usleep(1000);
	return atomic_load(flag);
}

static void fill_trap_source(struct _test_data_stall *self,
			     enum stall_cmd cmd)
{
	memset(self->src, 0, sizeof(self->src));
	if (cmd == STALL_REGISTER) {
		struct sentinel_obj o = sntl_obj(self->objs + PAGE, PAGE, 2,
						 SENTINEL_KIND_WEIGHT);

		memcpy(self->src, &o, sizeof(o));
	} else if (cmd != STALL_QUERY_OUT) {
		uint64_t id = 1;

		memcpy(self->src, &id, sizeof(id));
	}
}

TEST_F_TIMEOUT(stall, others_go_on, 4 * WATCHDOG_S)
{
	struct bystander b = { .stalled_fd = self->fd, .objs = self->objs };
	struct sentinel_session_stats st;
	struct uffdio_copy copy;
	pthread_t by;
	bool others_done;
	int stuck_at;

	ASSERT_EQ(sntl_stats(self->fd, &st), 0);
	b.stalled_id = st.session_id;
	fill_trap_source(self, variant->cmd);

	ASSERT_EQ(pthread_create(&self->cmd_thread, NULL, stalled_cmd, self),
		  0);
	ASSERT_EQ(wait_fault(self->uffd), 0);
	/* The command now waits inside the module for the page. */
	EXPECT_FALSE(atomic_load(&self->cmd_done));

	ASSERT_EQ(pthread_create(&by, NULL, bystander_thread, &b), 0);
	others_done = wait_flag(&b.done);
	stuck_at = atomic_load(&b.step);

	copy = (struct uffdio_copy){
		.dst = (uintptr_t)self->trap, .src = (uintptr_t)self->src,
		.len = PAGE,
	};
	ASSERT_EQ(ioctl(self->uffd, UFFDIO_COPY, &copy), 0);
	pthread_join(self->cmd_thread, NULL);
	pthread_join(by, NULL);

	EXPECT_TRUE(others_done) TH_LOG("check %d still waiting after %d s",
					stuck_at, WATCHDOG_S);
	EXPECT_EQ(b.err, 0) TH_LOG("check %d: %s", b.step, strerror(-b.err));
	EXPECT_EQ(b.step, 0);
	TH_LOG("others done in %.3f s while the command was stalled",
	       b.seconds);

	/* The stalled command finished, with the resolved page's content. */
	EXPECT_EQ(self->cmd_ret, 0) TH_LOG("command: %s",
					   strerror(-self->cmd_ret));
	switch (variant->cmd) {
	case STALL_REGISTER:
		EXPECT_EQ(sntl_nr_objects(self->fd), 2);
		break;
	case STALL_UNREGISTER:
		EXPECT_EQ(sntl_nr_objects(self->fd), 0);
		break;
	case STALL_QUERY:
		EXPECT_EQ(self->info.id, 1);
		EXPECT_EQ(self->info.present_pages, 1);
		break;
	case STALL_QUERY_OUT: {
		struct sentinel_obj_info *out = (void *)self->trap;

		EXPECT_EQ(out->id, 1);
		EXPECT_EQ(out->present_pages, 1);
		break;
	}
	}
}

/* ---- marks from several threads ---- */

#define MARKERS		4
#define MARK_ROUNDS	200

struct marker {
	int fd;
	uint32_t layer;
	int err;
};

static void *mark_layers(void *arg)
{
	struct marker *m = arg;
	int i;

	for (i = 0; i < MARK_ROUNDS && !m->err; i++) {
		m->err = sntl_mark(m->fd, SENTINEL_MARK_LAYER_BEGIN,
				   SENTINEL_DIR_FORWARD, m->layer, 0);
		if (!m->err)
			m->err = sntl_mark(m->fd, SENTINEL_MARK_LAYER_END,
					   SENTINEL_DIR_FORWARD, m->layer, 0);
	}
	return NULL;
}

TEST(threaded_marks_keep_layer_times_ordered)
{
	struct sentinel_profile_ctl c = {
		.size = sizeof(c), .op = SENTINEL_PROFILE_OP_START,
		.warmup = 0, .steps = 1,
	};
	struct sentinel_profile_read r = { .size = sizeof(r) };
	const struct sentinel_profile_layer *l;
	const struct sentinel_profile_hdr *h;
	struct marker m[MARKERS];
	pthread_t t[MARKERS];
	int fd = sntl_open(), i;
	char *page = sntl_map(PAGE);
	void *buf;

	ASSERT_GE(fd, 0);
	ASSERT_NE(page, NULL);
	ASSERT_EQ(sntl_register1(fd, page, PAGE, 1), 0);
	ASSERT_EQ(sntl_ioctl(fd, SENTINEL_IOC_PROFILE_CTL, &c), 0);
	ASSERT_EQ(sntl_mark(fd, SENTINEL_MARK_STEP_BEGIN, SENTINEL_DIR_NONE,
			    0, 1), 0);
	for (i = 0; i < MARKERS; i++) {
		m[i] = (struct marker){ .fd = fd, .layer = i };
		ASSERT_EQ(pthread_create(&t[i], NULL, mark_layers, &m[i]), 0);
	}
	for (i = 0; i < MARKERS; i++) {
		pthread_join(t[i], NULL);
		EXPECT_EQ(m[i].err, 0);
	}
	ASSERT_EQ(sntl_mark(fd, SENTINEL_MARK_STEP_END, SENTINEL_DIR_NONE,
			    0, 1), 0);

	ASSERT_EQ(sntl_ioctl(fd, SENTINEL_IOC_PROFILE_READ, &r), -ENOSPC);
	buf = calloc(1, r.needed);
	ASSERT_NE(buf, NULL);
	r.buf = (uintptr_t)buf;
	r.buf_len = r.needed;
	ASSERT_EQ(sntl_ioctl(fd, SENTINEL_IOC_PROFILE_READ, &r), 0);
	h = buf;
	l = (const void *)((char *)buf + h->layers_off);
	EXPECT_EQ(h->nr_layers, MARKERS * MARK_ROUNDS);
	for (i = 0; i < (int)h->nr_layers; i++) {
		EXPECT_LE(l[i].begin_ns, l[i].end_ns) TH_LOG("layer record %d", i);
		if (i)
			EXPECT_LE(l[i - 1].end_ns, l[i].begin_ns);
		if (l[i].begin_ns > l[i].end_ns ||
		    (i && l[i - 1].end_ns > l[i].begin_ns))
			break;
	}
	free(buf);
	close(fd);
	munmap(page, PAGE);
}

TEST_HARNESS_MAIN
