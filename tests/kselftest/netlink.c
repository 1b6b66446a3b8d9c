// SPDX-License-Identifier: GPL-2.0
/*
 * The "sentinel" generic netlink family against the uapi contract: every
 * command's happy path, events, permission checks, malformed requests
 * (with their extended ack messages) and dumps of 100k+ objects.
 *
 * Uses the daemon's netlink client (daemon/nl.c), which checks every
 * reply attribute's presence and length.
 */
#include <sys/utsname.h>
#include <sys/wait.h>
#include <poll.h>
#include <time.h>

#include <linux/netlink.h>

#include "sntl_test.h"
#include "kselftest_harness.h"

#include "nl.h"
#include "profile.h"

static uint64_t session_id(int fd)
{
	struct sentinel_session_stats st;

	if (sntl_stats(fd, &st))
		return 0;
	return st.session_id;
}

/* Append one attribute to @buf at *@off. */
static void put_attr(unsigned char *buf, size_t *off, uint16_t type,
		     const void *data, uint16_t len)
{
	struct nlattr *a = (struct nlattr *)(buf + *off);

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy(buf + *off + NLA_HDRLEN, data, len);
	*off += NLA_ALIGN(a->nla_len);
}

static int wait_exit(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(status)
{
	struct snl c;
	struct snl_status st;

	ASSERT_EQ(snl_open(&c), 0);
	EXPECT_NE(c.family, 0);
	EXPECT_EQ(c.version, SENTINEL_GENL_VERSION);
	EXPECT_NE(c.events_grp, 0);
	ASSERT_EQ(snl_get_status(&c, &st), 0);
	EXPECT_STREQ(st.version, SENTINEL_VERSION_STRING);
	/* Every published statistic is present. */
	EXPECT_EQ(st.stats.have, ((1U << (SENTINEL_A_STATS_MAX + 1)) - 1) &
				 ~((1U << SENTINEL_A_STATS_PAD) | 1U));
	snl_close(&c);
}

struct count_ctx {
	uint64_t want;
	int found;
	struct snl_session s;
};

static int find_session(const struct snl_session *s, void *arg)
{
	struct count_ctx *x = arg;

	if (s->id == x->want) {
		x->found++;
		x->s = *s;
	}
	return 0;
}

TEST(sessions_do_and_dump)
{
	char *b = sntl_map(8 * PAGE);
	int fd = sntl_open();
	struct snl_session s;
	struct count_ctx x = { 0 };
	struct snl c;
	uint64_t id;

	ASSERT_GE(fd, 0);
	ASSERT_EQ(sntl_register1(fd, b, PAGE, 1), 0);
	ASSERT_EQ(sntl_register1(fd, b + PAGE, 2 * PAGE, 2), 0);
	ASSERT_EQ(sntl_mark(fd, SENTINEL_MARK_STEP_BEGIN, 0, 0, 5), 0);
	ASSERT_EQ(sntl_mark(fd, SENTINEL_MARK_LAYER_BEGIN, SENTINEL_DIR_FORWARD, 1, 0), 0);
	id = session_id(fd);
	ASSERT_NE(id, 0);

	ASSERT_EQ(snl_open(&c), 0);
	ASSERT_EQ(snl_get_session(&c, id, &s), 0);
	EXPECT_EQ(s.id, id);
	EXPECT_EQ(s.pid, (uint32_t)getpid());
	EXPECT_EQ(s.objects, 2);
	EXPECT_EQ(s.bytes, 3 * PAGE);
	EXPECT_EQ(s.marks, 2);
	EXPECT_EQ(s.steps, 1);
	EXPECT_EQ(s.step, 5);
	EXPECT_EQ(s.generation, 2);
	/* Sessions start armed with the sysfs defaults (warm-up). */
	EXPECT_LE(s.profile_state, SENTINEL_PROFILE_STATE_RUNNING);

	x.want = id;
	ASSERT_EQ(snl_dump_sessions(&c, find_session, &x), 0);
	EXPECT_EQ(x.found, 1);
	EXPECT_EQ(memcmp(&x.s, &s, sizeof(s)), 0);

	/* Gone with the file. */
	close(fd);
	EXPECT_EQ(snl_get_session(&c, id, &s), -ENOENT);
	EXPECT_NE(c.extack[0], '\0');
	snl_close(&c);
	munmap(b, 8 * PAGE);
}

struct objs {
	struct snl_object *v;
	size_t n, cap;
};

static int collect(const struct snl_object *o, void *arg)
{
	struct objs *a = arg;

	if (a->n == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 1024;
		a->v = realloc(a->v, a->cap * sizeof(*a->v));
		if (!a->v)
			return -ENOMEM;
	}
	a->v[a->n++] = *o;
	return 0;
}

TEST(objects_dump_matches_query)
{
	enum { N = 40 };
	char *b = sntl_map(2 * N * PAGE);
	struct sentinel_obj objs[N];
	struct objs a = { 0 };
	struct snl c;
	uint64_t gen = 0;
	bool consistent = false;
	int fd = sntl_open();

	ASSERT_GE(fd, 0);
	memset(b, 1, N * PAGE);	/* first half present */
	for (int i = 0; i < N; i++) {
		objs[i] = sntl_obj(b + 2 * i * PAGE, (i % 2 + 1) * PAGE, 1000 - i * 3,
				   i % __SENTINEL_KIND_MAX);
		objs[i].layer_hint = i % 3 ? (uint32_t)i : SENTINEL_LAYER_NONE;
	}
	ASSERT_EQ(sntl_register_n(fd, objs, N, NULL), 0);
	ASSERT_EQ(snl_open(&c), 0);
	ASSERT_EQ(snl_dump_objects(&c, session_id(fd), true, false, 0, collect, &a,
				   &gen, &consistent), 0);
	EXPECT_TRUE(consistent);
	EXPECT_EQ(gen, 1);
	ASSERT_EQ(a.n, N);
	for (size_t i = 0; i < a.n; i++) {
		struct sentinel_obj_info info;

		ASSERT_EQ(sntl_query1(fd, a.v[i].id, 1, &info), 0);
		EXPECT_EQ(a.v[i].addr, info.addr);
		EXPECT_EQ(a.v[i].len, info.len);
		EXPECT_EQ(a.v[i].kind, info.kind);
		EXPECT_EQ(a.v[i].flags, info.flags);
		EXPECT_EQ(a.v[i].layer_hint, info.layer_hint);
		EXPECT_EQ(a.v[i].pages, info.pages);
		EXPECT_TRUE(a.v[i].residency);
		EXPECT_EQ(a.v[i].present, info.present_pages);
		EXPECT_EQ(memcmp(a.v[i].node_pages, info.node_pages,
				 sizeof(info.node_pages)), 0);
	}
	/* Without residency the page counts stay out. */
	a.n = 0;
	ASSERT_EQ(snl_dump_objects(&c, session_id(fd), false, false, 0, collect, &a,
				   &gen, &consistent), 0);
	ASSERT_EQ(a.n, N);
	EXPECT_FALSE(a.v[0].residency);
	/* A cursor starts after that id. */
	a.n = 0;
	ASSERT_EQ(snl_dump_objects(&c, session_id(fd), false, true, 1000 - 3 * 20,
				   collect, &a, &gen, &consistent), 0);
	EXPECT_EQ(a.n, 20);	/* ids 943..1000 in steps of 3 */
	EXPECT_GT(a.v[0].id, 1000 - 3 * 20);
	/* An empty session still reports its generation. */
	ASSERT_EQ(sntl_ioctl(fd, SENTINEL_IOC_UNREGISTER,
			     &(struct sentinel_unregister){ .size = sizeof(struct sentinel_unregister),
							    .flags = SENTINEL_UNREG_ALL }), 0);
	a.n = 0;
	gen = 0;
	ASSERT_EQ(snl_dump_objects(&c, session_id(fd), false, false, 0, collect, &a,
				   &gen, &consistent), 0);
	EXPECT_EQ(a.n, 0);
	EXPECT_EQ(gen, 2);
	free(a.v);
	snl_close(&c);
	close(fd);
	munmap(b, 2 * N * PAGE);
}

/* A fixture only for the timeout: minutes on the debug kernel under TCG. */
FIXTURE(big) {
	int unused;
};

FIXTURE_SETUP(big)
{
}

FIXTURE_TEARDOWN(big)
{
}

TEST_F_TIMEOUT(big, dump_of_100k_objects_is_complete, 300)
{
	enum { N = 100000 + 4321, BATCH = 65536 };
	size_t len = (size_t)N * PAGE;
	char *b = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	struct sentinel_obj *objs = calloc(BATCH, sizeof(*objs));
	struct objs a = { 0 };
	uint64_t gen = 0, sid;
	bool consistent = false;
	struct snl c;
	int fd = sntl_open();

	ASSERT_NE(b, MAP_FAILED);
	ASSERT_GE(fd, 0);
	for (int done = 0; done < N;) {
		int n = N - done < BATCH ? N - done : BATCH;

		for (int i = 0; i < n; i++)
			objs[i] = sntl_obj(b + (size_t)(done + i) * PAGE, PAGE,
					   (uint64_t)(done + i) * 7 + 1, SENTINEL_KIND_ACTIVATION);
		ASSERT_EQ(sntl_register_n(fd, objs, n, NULL), 0);
		done += n;
	}
	sid = session_id(fd);
	ASSERT_EQ(snl_open(&c), 0);
	ASSERT_EQ(snl_dump_objects(&c, sid, false, false, 0, collect, &a, &gen,
				   &consistent), 0);
	EXPECT_TRUE(consistent);
	EXPECT_EQ(gen, 2);
	ASSERT_EQ(a.n, N);
	for (size_t i = 0; i < a.n; i++) {
		if (a.v[i].id != i * 7 + 1 || a.v[i].addr != (uintptr_t)(b + i * PAGE) ||
		    a.v[i].len != PAGE) {
			TH_LOG("object %zu: id %llu addr %llx", i,
			       (unsigned long long)a.v[i].id, (unsigned long long)a.v[i].addr);
			ASSERT_TRUE(false);
		}
	}
	/* Paged by hand with cursors: the same objects. */
	{
		uint64_t cursor = 0;
		bool use = false;
		size_t total = 0;
		struct objs p = { 0 };

		for (;;) {
			size_t before = p.n;

			ASSERT_EQ(snl_dump_objects(&c, sid, false, use, cursor, collect, &p,
						   &gen, &consistent), 0);
			if (p.n == before)
				break;
			total = p.n;
			cursor = p.v[p.n - 1].id;
			use = true;
			if (total >= (size_t)N)
				break;
		}
		EXPECT_EQ(total, N);
		free(p.v);
	}
	free(a.v);
	free(objs);
	snl_close(&c);
	close(fd);
	munmap(b, len);
}

TEST(profile_start_read_stop)
{
	char *b = sntl_map(16 * PAGE);
	struct sentinel_obj objs[2];
	struct snl_session s;
	struct prof p;
	struct snl c;
	char err[256];
	void *buf = NULL;
	size_t len = 0;
	uint64_t sid, k[PROF_KINDS];
	int fd = sntl_open();

	ASSERT_GE(fd, 0);
	objs[0] = sntl_obj(b, 8 * PAGE, 1, SENTINEL_KIND_WEIGHT);
	objs[1] = sntl_obj(b + 8 * PAGE, 8 * PAGE, 2, SENTINEL_KIND_ACTIVATION);
	ASSERT_EQ(sntl_register_n(fd, objs, 2, NULL), 0);
	sid = session_id(fd);
	ASSERT_EQ(snl_open(&c), 0);
	EXPECT_EQ(snl_get_profile(&c, sid, &buf, &len), -ENOENT);
	ASSERT_EQ(snl_profile_start(&c, sid, 0, 1), 0);
	ASSERT_EQ(snl_get_session(&c, sid, &s), 0);
	EXPECT_NE(s.profile_state, SENTINEL_PROFILE_STATE_IDLE);

	ASSERT_EQ(sntl_mark(fd, SENTINEL_MARK_STEP_BEGIN, 0, 0, 1), 0);
	ASSERT_EQ(sntl_mark(fd, SENTINEL_MARK_LAYER_BEGIN, SENTINEL_DIR_FORWARD, 0, 0), 0);
	memset(b, 1, 8 * PAGE);
	ASSERT_EQ(sntl_mark(fd, SENTINEL_MARK_LAYER_END, SENTINEL_DIR_FORWARD, 0, 0), 0);
	ASSERT_EQ(sntl_mark(fd, SENTINEL_MARK_LAYER_BEGIN, SENTINEL_DIR_FORWARD, 1, 0), 0);
	memset(b + 8 * PAGE, 1, 4 * PAGE);
	ASSERT_EQ(sntl_mark(fd, SENTINEL_MARK_LAYER_END, SENTINEL_DIR_FORWARD, 1, 0), 0);
	ASSERT_EQ(sntl_mark(fd, SENTINEL_MARK_STEP_END, 0, 0, 1), 0);

	ASSERT_EQ(snl_get_profile(&c, sid, &buf, &len), 0);
	ASSERT_EQ(prof_parse(buf, len, &p, err, sizeof(err)), 0) TH_LOG("%s", err);
	EXPECT_EQ(p.h.session_id, sid);
	EXPECT_EQ(p.h.generation, 1);
	EXPECT_EQ(p.h.nr_layers, 2);
	EXPECT_EQ(p.h.nr_objects, 2);
	if (p.h.nr_layers == 2) {
		prof_layer_kinds(&p, 0, PAGE, k);
		EXPECT_EQ(k[SENTINEL_KIND_WEIGHT], 8 * PAGE);
		prof_layer_kinds(&p, 1, PAGE, k);
		EXPECT_EQ(k[SENTINEL_KIND_ACTIVATION], 4 * PAGE);
	}
	prof_free(&p);
	free(buf);
	ASSERT_EQ(snl_get_session(&c, sid, &s), 0);
	EXPECT_EQ(s.profile_generation, 1);
	EXPECT_EQ(snl_profile_stop(&c, sid), 0);
	/* Out-of-range steps: refused with a reason. */
	EXPECT_EQ(snl_profile_start(&c, sid, 0, SENTINEL_MAX_PROFILE_STEPS + 1), -EINVAL);
	EXPECT_NE(c.extack[0], '\0');
	TH_LOG("extack: %s", c.extack);
	snl_close(&c);
	close(fd);
	munmap(b, 16 * PAGE);
}

struct evlog {
	struct snl_event ev[64];
	int n;
};

static void log_event(const struct snl_event *ev, void *arg)
{
	struct evlog *l = arg;

	if (l->n < 64)
		l->ev[l->n++] = *ev;
}

static void read_events_for(struct snl *ev, struct evlog *l, int ms)
{
	uint64_t bad = 0;
	struct pollfd p = { .fd = ev->fd, .events = POLLIN };

	while (poll(&p, 1, ms) > 0)
		if (snl_events_read(ev, log_event, l, &bad))
			break;
}

TEST(events)
{
	char *b = sntl_map(4 * PAGE);
	struct snl c, ev;
	struct evlog l = { .n = 0 };
	uint64_t sid, ids[1] = { 7 };
	int fd, i;

	ASSERT_EQ(snl_open(&c), 0);
	ASSERT_EQ(snl_events_open(&ev, &c, 0), 0);
	fd = sntl_open();
	ASSERT_GE(fd, 0);
	sid = session_id(fd);
	ASSERT_EQ(sntl_register1(fd, b, 2 * PAGE, 7), 0);
	ASSERT_EQ(sntl_mark(fd, SENTINEL_MARK_STEP_BEGIN, 0, 0, 3), 0);
	ASSERT_EQ(sntl_mark(fd, SENTINEL_MARK_LAYER_BEGIN, SENTINEL_DIR_BACKWARD, 9, 0), 0);
	ASSERT_EQ(sntl_unregister_n(fd, ids, 1, NULL), 0);
	close(fd);
	read_events_for(&ev, &l, 500);

	for (i = 0; i < l.n && l.ev[i].session_id != sid; i++)
		;
	ASSERT_LE(i + 6, l.n);
	EXPECT_EQ(l.ev[i].cmd, SENTINEL_EVT_SESSION_OPEN);
	EXPECT_EQ(l.ev[i].pid, (uint32_t)getpid());
	EXPECT_TRUE(SNL_HAVE(&l.ev[i], SENTINEL_A_COMM));
	EXPECT_EQ(l.ev[i + 1].cmd, SENTINEL_EVT_OBJECTS_ADDED);
	EXPECT_EQ(l.ev[i + 1].count, 1);
	EXPECT_EQ(l.ev[i + 1].bytes, 2 * PAGE);
	EXPECT_EQ(l.ev[i + 1].generation, 1);
	/* A small batch carries its objects. */
	ASSERT_EQ(l.ev[i + 1].nobjs, 1);
	EXPECT_EQ(l.ev[i + 1].objs[0].id, 7);
	EXPECT_EQ(l.ev[i + 1].objs[0].addr, (uintptr_t)b);
	EXPECT_EQ(l.ev[i + 1].objs[0].len, 2 * PAGE);
	EXPECT_EQ(l.ev[i + 1].objs[0].kind, SENTINEL_KIND_WEIGHT);
	EXPECT_EQ(l.ev[i + 2].cmd, SENTINEL_EVT_MARK);
	EXPECT_EQ(l.ev[i + 2].mark_type, SENTINEL_MARK_STEP_BEGIN);
	EXPECT_EQ(l.ev[i + 2].step, 3);
	EXPECT_EQ(l.ev[i + 2].seq, 1);
	EXPECT_NE(l.ev[i + 2].timestamp, 0);
	EXPECT_EQ(l.ev[i + 3].cmd, SENTINEL_EVT_MARK);
	EXPECT_EQ(l.ev[i + 3].layer, 9);
	EXPECT_EQ(l.ev[i + 3].direction, SENTINEL_DIR_BACKWARD);
	EXPECT_EQ(l.ev[i + 3].seq, 2);
	EXPECT_EQ(l.ev[i + 4].cmd, SENTINEL_EVT_OBJECTS_REMOVED);
	EXPECT_EQ(l.ev[i + 4].generation, 2);
	ASSERT_EQ(l.ev[i + 4].nobjs, 1);
	EXPECT_EQ(l.ev[i + 4].objs[0].id, 7);
	EXPECT_EQ(l.ev[i + 4].objs[0].addr, (uintptr_t)b);
	EXPECT_EQ(l.ev[i + 5].cmd, SENTINEL_EVT_SESSION_CLOSE);
	snl_close(&ev);
	snl_close(&c);
	munmap(b, 4 * PAGE);
}

/*
 * A batch of SENTINEL_EVT_MAX_OBJECTS objects carries them all; a larger
 * one is announced without them (a listener dumps).
 */
TEST(event_objects_up_to_the_limit)
{
	const uint32_t n = SENTINEL_EVT_MAX_OBJECTS + 1;
	struct sentinel_obj objs[SENTINEL_EVT_MAX_OBJECTS + 1];
	uint64_t ids[SENTINEL_EVT_MAX_OBJECTS];
	struct sentinel_version v = { .size = sizeof(v) };
	char *b = sntl_map(n * PAGE);
	struct evlog l = { .n = 0 };
	struct snl c, ev;
	uint64_t sid, seen = 0;
	int fd, i;

	ASSERT_EQ(snl_open(&c), 0);
	ASSERT_EQ(snl_events_open(&ev, &c, 0), 0);
	fd = sntl_open();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(sntl_ioctl(fd, SENTINEL_IOC_VERSION, &v), 0);
	EXPECT_TRUE(v.features & SENTINEL_FEAT_OBJECT_EVENTS);
	sid = session_id(fd);
	for (uint32_t k = 0; k < n; k++)
		objs[k] = sntl_obj(b + k * PAGE, PAGE, 100 + k, SENTINEL_KIND_ACTIVATION);
	ASSERT_EQ(sntl_register_n(fd, objs, n, NULL), 0);
	for (uint32_t k = 0; k < n - 1; k++)
		ids[k] = 100 + k;
	ASSERT_EQ(sntl_unregister_n(fd, ids, n - 1, NULL), 0);
	close(fd);
	read_events_for(&ev, &l, 500);
	for (i = 0; i < l.n && l.ev[i].session_id != sid; i++)
		;
	ASSERT_LE(i + 3, l.n);
	EXPECT_EQ(l.ev[i + 1].cmd, SENTINEL_EVT_OBJECTS_ADDED);
	EXPECT_EQ(l.ev[i + 1].count, n);
	EXPECT_EQ(l.ev[i + 1].nobjs, 0);
	EXPECT_EQ(l.ev[i + 2].cmd, SENTINEL_EVT_OBJECTS_REMOVED);
	EXPECT_EQ(l.ev[i + 2].count, n - 1);
	ASSERT_EQ(l.ev[i + 2].nobjs, n - 1);
	for (uint32_t k = 0; k < n - 1; k++) {
		const struct snl_evobj *o = &l.ev[i + 2].objs[k];

		EXPECT_EQ(o->addr, (uintptr_t)b + (o->id - 100) * PAGE);
		if (o->id >= 100 && o->id < 100 + n - 1)
			seen |= 1ULL << (o->id - 100);
	}
	EXPECT_EQ(seen, (1ULL << (n - 1)) - 1);
	snl_close(&ev);
	snl_close(&c);
	munmap(b, n * PAGE);
}

TEST(unprivileged_gets_eperm)
{
	pid_t pid = fork();

	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct snl c, ev;
		struct snl_status st;
		int err;

		if (setgid(65534) || setuid(65534))
			_exit(10);
		err = snl_open(&c);	/* resolving the family is open to all */
		if (err)
			_exit(11);
		if (snl_get_status(&c, &st) != -EPERM)
			_exit(12);
		if (snl_dump_sessions(&c, find_session, &(struct count_ctx){ 0 }) != -EPERM)
			_exit(13);
		if (snl_profile_stop(&c, 1) != -EPERM)
			_exit(14);
		err = snl_events_open(&ev, &c, 0);
		snl_close(&ev);
		if (err != -EPERM)
			_exit(15);
		snl_close(&c);
		_exit(0);
	}
	EXPECT_EQ(wait_exit(pid), 0);
}

/*
 * Before 6.2, generic netlink does not hand the extended ack to a dump's
 * start callback, so errors found there (missing or unknown session of
 * GET_OBJECTS and GET_PROFILE) come without a message.
 */
static int dump_start_extack(void)
{
	struct utsname u;
	int maj = 0, min = 0;

	uname(&u);
	sscanf(u.release, "%d.%d", &maj, &min);
	return maj > 6 || (maj == 6 && min >= 2);
}

/* A malformed request: @err expected, with a kernel message when @msg. */
#define EXPECT_REFUSED(c, cmd, dump, buf, len, err, msg)			\
	do {									\
		int __r = snl_raw_request(&(c), (cmd), (dump), (buf), (len), NULL); \
		EXPECT_EQ(__r, (err));						\
		if (msg)							\
			EXPECT_NE((c).extack[0], '\0');				\
		TH_LOG("cmd %d: %d (%s)", (cmd), __r, (c).extack);		\
	} while (0)

/*
 * SENTINEL_CMD_SET_ACCT: what the daemon sends is what the session's
 * SENTINEL_IOC_STATS reports, with the module's count of updates; a
 * missing or wrong-sized attribute, updates set and an unknown session
 * are refused and change nothing.
 */
TEST(job_acct)
{
	struct sentinel_job_acct a = {
		.step = 7, .steps = 6, .promoted_bytes = 1 << 20, .demoted_bytes = 4096,
		.late = 1, .late_bytes = 4096, .budget = 2 << 20, .touched_bytes = 100,
		.fast_bytes = 90,
	};
	struct sentinel_session_stats st;
	struct sentinel_version v = { .size = sizeof(v) };
	unsigned char buf[256];
	int fd = sntl_open();
	uint64_t sid = session_id(fd), none = ~0ULL;
	struct snl c;
	size_t off;

	ASSERT_GE(fd, 0);
	ASSERT_EQ(ioctl(fd, SENTINEL_IOC_VERSION, &v), 0);
	EXPECT_TRUE(v.features & SENTINEL_FEAT_JOB_ACCT);
	ASSERT_EQ(snl_open(&c), 0);
	ASSERT_EQ(sntl_stats(fd, &st), 0);
	EXPECT_EQ(st.acct.updates, 0);
	EXPECT_EQ(st.acct.steps, 0);

	EXPECT_EQ(snl_set_acct(&c, sid, &a), 0);
	ASSERT_EQ(sntl_stats(fd, &st), 0);
	EXPECT_EQ(st.acct.updates, 1);
	EXPECT_EQ(st.acct.step, 7);
	EXPECT_EQ(st.acct.promoted_bytes, 1 << 20);
	EXPECT_EQ(st.acct.budget, 2 << 20);
	EXPECT_EQ(st.acct.fast_bytes, 90);
	a.steps = 7;
	EXPECT_EQ(snl_set_acct(&c, sid, &a), 0);
	ASSERT_EQ(sntl_stats(fd, &st), 0);
	EXPECT_EQ(st.acct.updates, 2);
	EXPECT_EQ(st.acct.steps, 7);

	a.updates = 5;
	EXPECT_EQ(snl_set_acct(&c, sid, &a), -EINVAL);
	a.updates = 0;
	EXPECT_EQ(snl_set_acct(&c, none, &a), -ENOENT);
	off = 0;
	put_attr(buf, &off, SENTINEL_A_SESSION_ID, &sid, 8);
	EXPECT_REFUSED(c, SENTINEL_CMD_SET_ACCT, false, buf, off, -EINVAL, 1);
	put_attr(buf, &off, SENTINEL_A_JOB_ACCT, &a, sizeof(a) - 8);
	EXPECT_REFUSED(c, SENTINEL_CMD_SET_ACCT, false, buf, off, -EINVAL, 1);
	ASSERT_EQ(sntl_stats(fd, &st), 0);
	EXPECT_EQ(st.acct.updates, 2);
	EXPECT_EQ(st.acct.steps, 7);
	snl_close(&c);
	close(fd);
}

TEST(malformed_requests)
{
	unsigned char buf[256];
	size_t off;
	uint32_t u32 = 1;
	uint64_t u64 = 1, big[2] = { 1, 2 };
	struct snl c;
	int fd = sntl_open();
	uint64_t sid = session_id(fd);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(snl_open(&c), 0);

	/* Missing required session id. */
	EXPECT_REFUSED(c, SENTINEL_CMD_GET_OBJECTS, true, NULL, 0, -EINVAL,
		       dump_start_extack());
	EXPECT_REFUSED(c, SENTINEL_CMD_GET_PROFILE, true, NULL, 0, -EINVAL,
		       dump_start_extack());
	EXPECT_REFUSED(c, SENTINEL_CMD_PROFILE_START, false, NULL, 0, -EINVAL, 1);

	/* Wrong type: a u32 where a u64 belongs. */
	off = 0;
	put_attr(buf, &off, SENTINEL_A_SESSION_ID, &u32, 4);
	EXPECT_REFUSED(c, SENTINEL_CMD_GET_SESSION, false, buf, off, -EINVAL, 1);
	EXPECT_REFUSED(c, SENTINEL_CMD_GET_OBJECTS, true, buf, off, -EINVAL, 1);

	/* Oversized: 16 bytes for a u64. */
	off = 0;
	put_attr(buf, &off, SENTINEL_A_SESSION_ID, big, 16);
	EXPECT_REFUSED(c, SENTINEL_CMD_GET_SESSION, false, buf, off, -EINVAL, 1);

	/* A u32 of eight bytes, and of two. */
	off = 0;
	put_attr(buf, &off, SENTINEL_A_SESSION_ID, &sid, 8);
	put_attr(buf, &off, SENTINEL_A_WARMUP, &u64, 8);
	EXPECT_REFUSED(c, SENTINEL_CMD_PROFILE_START, false, buf, off, -EINVAL, 1);
	off = 0;
	put_attr(buf, &off, SENTINEL_A_SESSION_ID, &sid, 8);
	put_attr(buf, &off, SENTINEL_A_WARMUP, &u32, 2);
	EXPECT_REFUSED(c, SENTINEL_CMD_PROFILE_START, false, buf, off, -EINVAL, 1);

	/*
	 * A flag with a payload: the kernel's generic policy check answers
	 * ERANGE ("Attribute failed policy validation") for NLA_FLAG, as
	 * the uapi header says.
	 */
	off = 0;
	put_attr(buf, &off, SENTINEL_A_SESSION_ID, &sid, 8);
	put_attr(buf, &off, SENTINEL_A_RESIDENCY, &u32, 4);
	EXPECT_REFUSED(c, SENTINEL_CMD_GET_OBJECTS, true, buf, off, -ERANGE, 1);

	/* An attribute the command does not take, and an unknown one. */
	off = 0;
	put_attr(buf, &off, SENTINEL_A_COMM, "x", 2);
	EXPECT_REFUSED(c, SENTINEL_CMD_GET_STATUS, false, buf, off, -EINVAL, 1);
	off = 0;
	put_attr(buf, &off, SENTINEL_A_MAX + 5, &u64, 8);
	EXPECT_REFUSED(c, SENTINEL_CMD_GET_STATUS, false, buf, off, -EINVAL, 1);

	/* Out-of-range values. */
	off = 0;
	put_attr(buf, &off, SENTINEL_A_SESSION_ID, &sid, 8);
	u64 = 0;
	put_attr(buf, &off, SENTINEL_A_STEPS, &u64, 8);
	EXPECT_REFUSED(c, SENTINEL_CMD_PROFILE_START, false, buf, off, -EINVAL, 1);

	/* Unknown session. */
	off = 0;
	u64 = ~0ULL;
	put_attr(buf, &off, SENTINEL_A_SESSION_ID, &u64, 8);
	EXPECT_REFUSED(c, SENTINEL_CMD_GET_SESSION, false, buf, off, -ENOENT, 1);
	EXPECT_REFUSED(c, SENTINEL_CMD_GET_OBJECTS, true, buf, off, -ENOENT,
		       dump_start_extack());
	EXPECT_REFUSED(c, SENTINEL_CMD_PROFILE_STOP, false, buf, off, -ENOENT, 1);

	/* Unknown commands, event numbers, and a do of a dump-only command. */
	EXPECT_REFUSED(c, 200, false, NULL, 0, -EOPNOTSUPP, 0);
	EXPECT_REFUSED(c, SENTINEL_CMD_UNSPEC, false, NULL, 0, -EOPNOTSUPP, 0);
	EXPECT_REFUSED(c, SENTINEL_EVT_MARK, false, NULL, 0, -EOPNOTSUPP, 0);
	off = 0;
	put_attr(buf, &off, SENTINEL_A_SESSION_ID, &sid, 8);
	EXPECT_REFUSED(c, SENTINEL_CMD_GET_OBJECTS, false, buf, off, -EOPNOTSUPP, 0);
	EXPECT_REFUSED(c, SENTINEL_CMD_GET_STATUS, true, NULL, 0, -EOPNOTSUPP, 0);

	/* Still healthy. */
	{
		struct snl_status st;

		EXPECT_EQ(snl_get_status(&c, &st), 0);
	}
	snl_close(&c);
	close(fd);
}

TEST_HARNESS_MAIN
