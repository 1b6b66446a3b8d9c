// SPDX-License-Identifier: GPL-2.0
/*
 * A structured fuzzer for /dev/sentinel and the "sentinel" generic netlink
 * family: random and mutated commands, sizes, flags, pointers, ranges and
 * orderings, from several threads in several processes, with memory being
 * unmapped and processes exiting under the calls.  Every call must return
 * success or one of its command's documented errors; the module's counters
 * must come back to where they were; the runner checks the kernel log.
 *
 * Environment:
 *   SENTINEL_FUZZ_SEED   base seed (default 1); each thread derives its own
 *   SENTINEL_FUZZ_CALLS  calls in all (default 1000000)
 *   SENTINEL_FUZZ_PROCS  processes (default 2), SENTINEL_FUZZ_THREADS
 *                        threads per process (default 2)
 * A failure prints the seed, the thread and the call index.  With one
 * process and one thread (SENTINEL_FUZZ_PROCS=1 SENTINEL_FUZZ_THREADS=1)
 * a seed replays exactly; with more, the interleaving varies.
 * Interesting values come from tests/fuzz/values (read when present).
 */
#include <limits.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "sntl_test.h"
#include "kselftest_harness.h"

#define POOL_PAGES	256
#define MAX_VALUES	256

static uint64_t values[MAX_VALUES];
static int nvalues;

static const uint64_t builtin_values[] = {
	0, 1, 2, 7, 8, 15, 16, 24, 31, 32, 39, 40, 41, 48, 64, 96, 135, 136,
	137, 4095, 4096, 4097, 8192, 65535, 65536, 65537, 0x7fffffff,
	0x80000000, 0xffffffff, 0x100000000ULL, 0x7ffffffff000ULL,
	0x800000000000ULL, 0xffff800000000000ULL, 0xffff888000000000ULL,
	0xffffffffffffefffULL, 0xfffffffffffff000ULL, 0xffffffffffffffffULL,
};

static void load_values(void)
{
	const char *path = getenv("SENTINEL_FUZZ_VALUES");
	char line[128];
	FILE *f;
	size_t i;

	for (i = 0; i < sizeof(builtin_values) / sizeof(builtin_values[0]); i++)
		values[nvalues++] = builtin_values[i];
	f = fopen(path ? path : "tests/fuzz/values", "r");
	if (!f)
		return;
	while (nvalues < MAX_VALUES && fgets(line, sizeof(line), f)) {
		char *end;
		unsigned long long v;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		errno = 0;
		v = strtoull(line, &end, 0);
		if (!errno && (*end == '\n' || !*end))
			values[nvalues++] = v;
	}
	fclose(f);
}

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	/* splitmix64 */
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t below(struct rng *r, uint64_t n)
{
	return n ? rnd(r) % n : 0;
}

/* A value: mostly small and sane, sometimes interesting, sometimes any. */
static uint64_t pick(struct rng *r, uint64_t sane_max)
{
	switch (below(r, 8)) {
	case 0:
		return values[below(r, nvalues)];
	case 1:
		return rnd(r);
	default:
		return below(r, sane_max + 1);
	}
}

struct ctx {
	int fd;
	char *pool;		/* POOL_PAGES pages, some unmapped at times */
	char *ro;		/* a read-only page */
	struct rng r;
	long calls;
	long index;
	int thread;
	char why[256];
	int failed;
};

/*
 * A user pointer: valid scratch, NULL, unmapped, read-only, kernel, or one
 * of the first pool pages (far enough from the pool's end that a command
 * writing up to 8 pages there stays inside the pool).
 */
static void *pick_ptr(struct ctx *c, void *good)
{
	switch (below(&c->r, 12)) {
	case 0:
		return NULL;
	case 1:
		return (void *)0x1000;
	case 2:
		return c->ro;
	case 3:
		return (void *)(uintptr_t)0xffff888000000000ULL;
	case 4:
		return c->pool + below(&c->r, POOL_PAGES - 8) * PAGE;
	default:
		return good;
	}
}

static int allowed(int ret, const int *ok)
{
	if (ret == 0)
		return 1;
	for (; *ok; ok++)
		if (-ret == *ok)
			return 1;
	return 0;
}

static void check(struct ctx *c, const char *what, int ret, const int *ok)
{
	if (allowed(ret, ok) || c->failed)
		return;
	snprintf(c->why, sizeof(c->why),
		 "thread %d call %ld: %s returned %d (%s)", c->thread,
		 c->index, what, ret, strerror(-ret));
	c->failed = 1;
}

static const int err_register[] = { EINVAL, E2BIG, EFAULT, ENOMEM, EEXIST,
				    EBUSY, ENOSPC, EINTR, 0 };
static const int err_unregister[] = { EINVAL, E2BIG, EFAULT, ENOENT, EINTR,
				      ENOMEM, 0 };
static const int err_mark[] = { EINVAL, EFAULT, E2BIG, 0 };
static const int err_query[] = { EINVAL, E2BIG, EFAULT, ENOENT, EINTR,
				 ENOMEM, 0 };
static const int err_simple[] = { EINVAL, EFAULT, E2BIG, EINTR, 0 };
static const int err_pread[] = { EINVAL, EFAULT, E2BIG, ENOENT, ENOSPC, 0 };
static const int err_any[] = { ENOTTY, EINVAL, EFAULT, E2BIG, ENOENT,
			       ENOSPC, EBUSY, EEXIST, ENOMEM, EINTR, 0 };

static void fuzz_register(struct ctx *c)
{
	static __thread struct sentinel_obj objs[64];
	uint32_t n = below(&c->r, 64) + 1, i;
	struct sentinel_register r = {
		.size = sizeof(r),
		.count = n,
		.obj_size = sizeof(objs[0]),
		.objs = (uintptr_t)objs,
	};

	for (i = 0; i < n; i++) {
		uint64_t page = below(&c->r, POOL_PAGES);

		objs[i].addr = (uintptr_t)(c->pool + page * PAGE);
		objs[i].len = (below(&c->r, 4) + 1) * PAGE;
		if (!below(&c->r, 8)) {
			objs[i].addr += below(&c->r, PAGE);
			objs[i].len = below(&c->r, 3 * PAGE);
			objs[i].flags = SENTINEL_OBJ_F_PARTIAL;
		} else {
			objs[i].flags = below(&c->r, 16) ? 0 :
					(uint16_t)pick(&c->r, 3);
		}
		if (!below(&c->r, 16))
			objs[i].addr = pick(&c->r, 0);
		if (!below(&c->r, 16))
			objs[i].len = pick(&c->r, 8 * PAGE);
		objs[i].id = below(&c->r, 512);
		objs[i].kind = below(&c->r, 12) ? below(&c->r, 6) :
			       (uint16_t)pick(&c->r, 8);
		objs[i].layer_hint = (uint32_t)pick(&c->r, 64);
		objs[i].reserved = below(&c->r, 32) ? 0 : pick(&c->r, 1);
	}
	if (!below(&c->r, 8))
		r.count = (uint32_t)pick(&c->r, 70000);
	if (!below(&c->r, 8))
		r.obj_size = (uint32_t)pick(&c->r, 64);
	if (!below(&c->r, 16))
		r.size = (uint32_t)pick(&c->r, 64);
	if (!below(&c->r, 16))
		r.flags = (uint32_t)pick(&c->r, 4);
	if (!below(&c->r, 16))
		r.objs = (uintptr_t)pick_ptr(c, objs);
	check(c, "register",
	      sntl_ioctl(c->fd, SENTINEL_IOC_REGISTER,
			 below(&c->r, 32) ? (void *)&r : pick_ptr(c, &r)),
	      err_register);
}

static void fuzz_unregister(struct ctx *c)
{
	static __thread uint64_t ids[64];
	uint32_t n = below(&c->r, 64) + 1, i;
	struct sentinel_unregister u = {
		.size = sizeof(u), .count = n, .ids = (uintptr_t)ids,
	};

	for (i = 0; i < n; i++)
		ids[i] = below(&c->r, 8) ? below(&c->r, 512) : rnd(&c->r);
	if (!below(&c->r, 32)) {
		u.flags = SENTINEL_UNREG_ALL;
		u.count = 0;
		u.ids = 0;
	}
	if (!below(&c->r, 8))
		u.count = (uint32_t)pick(&c->r, 70000);
	if (!below(&c->r, 16))
		u.flags = (uint32_t)pick(&c->r, 3);
	if (!below(&c->r, 16))
		u.size = (uint32_t)pick(&c->r, 32);
	if (!below(&c->r, 16))
		u.ids = (uintptr_t)pick_ptr(c, ids);
	check(c, "unregister",
	      sntl_ioctl(c->fd, SENTINEL_IOC_UNREGISTER, &u), err_unregister);
}

static void fuzz_mark(struct ctx *c)
{
	struct sentinel_mark m = {
		.size = sizeof(m),
		.type = below(&c->r, 6),
		.direction = below(&c->r, 5),
		.layer = below(&c->r, 8) ? below(&c->r, 32) : (uint32_t)rnd(&c->r),
		.step = below(&c->r, 4) ? 0 : below(&c->r, 1u << 20),
	};

	if (!below(&c->r, 16))
		m.size = (uint32_t)pick(&c->r, 32);
	if (!below(&c->r, 16))
		m.flags = (uint32_t)pick(&c->r, 2);
	check(c, "mark",
	      sntl_ioctl(c->fd, SENTINEL_IOC_MARK,
			 below(&c->r, 32) ? (void *)&m : pick_ptr(c, &m)),
	      err_mark);
}

static void fuzz_query(struct ctx *c)
{
	static __thread struct sentinel_obj_info out[32];
	static __thread uint64_t ids[32];
	uint32_t n = below(&c->r, 32) + 1, i;
	struct sentinel_query q = {
		.size = sizeof(q),
		.flags = below(&c->r, 8),
		.count = n,
		.info_size = sizeof(out[0]),
		.ids = (uintptr_t)ids,
		.out = (uintptr_t)out,
		.cursor = below(&c->r, 512),
	};

	for (i = 0; i < n; i++)
		ids[i] = below(&c->r, 512);
	if (q.flags & SENTINEL_QUERY_ALL)
		q.ids = 0;
	if (!below(&c->r, 16))
		q.info_size = (uint32_t)pick(&c->r, 160);
	if (q.info_size > sizeof(out[0]))
		q.count = 1;
	if (!below(&c->r, 16))
		q.count = (uint32_t)pick(&c->r, 32);
	if (!below(&c->r, 16))
		q.out = (uintptr_t)pick_ptr(c, out);
	if (!below(&c->r, 16))
		q.size = (uint32_t)pick(&c->r, 64);
	/* Never let a large answer land on memory the fuzzer uses. */
	if ((uint64_t)q.info_size * q.count > sizeof(out) &&
	    (uint64_t)q.info_size * q.count <= (uint64_t)SENTINEL_MAX_BATCH * PAGE)
		q.out = below(&c->r, 2) ? 0 : (uintptr_t)c->ro;
	check(c, "query", sntl_ioctl(c->fd, SENTINEL_IOC_QUERY, &q), err_query);
}

static void fuzz_misc(struct ctx *c)
{
	union {
		struct sentinel_version v;
		struct sentinel_session_stats st;
		struct sentinel_profile_ctl pc;
		struct sentinel_profile_read pr;
		char raw[256];
	} u;
	static __thread char buf[8192];

	memset(&u, 0, sizeof(u));
	switch (below(&c->r, 6)) {
	case 0:
		u.v.size = below(&c->r, 8) ? sizeof(u.v) : (uint32_t)pick(&c->r, 64);
		u.v.flags = below(&c->r, 8) ? 0 : 1;
		check(c, "version",
		      sntl_ioctl(c->fd, SENTINEL_IOC_VERSION, &u), err_simple);
		break;
	case 1:
		u.st.size = below(&c->r, 8) ? sizeof(u.st) :
			    (uint32_t)pick(&c->r, 256);
		check(c, "stats",
		      sntl_ioctl(c->fd, SENTINEL_IOC_STATS, &u), err_simple);
		break;
	case 2:
		u.pc.size = sizeof(u.pc);
		u.pc.op = below(&c->r, 4);
		u.pc.warmup = below(&c->r, 4) ? below(&c->r, 3) :
			      (uint32_t)pick(&c->r, 2000000);
		u.pc.steps = below(&c->r, 18);
		check(c, "profile_ctl",
		      sntl_ioctl(c->fd, SENTINEL_IOC_PROFILE_CTL, &u),
		      err_simple);
		break;
	case 3:
		u.pr.size = sizeof(u.pr);
		u.pr.buf = (uintptr_t)pick_ptr(c, buf);
		u.pr.buf_len = below(&c->r, 2) ? sizeof(buf) :
			       (uint32_t)pick(&c->r, sizeof(buf));
		/* A profile can be large: never let it land past the pool. */
		if (u.pr.buf_len > sizeof(buf) && u.pr.buf == (uintptr_t)buf)
			u.pr.buf_len = sizeof(buf);
		if ((char *)(uintptr_t)u.pr.buf >= c->pool &&
		    (char *)(uintptr_t)u.pr.buf < c->pool + POOL_PAGES * PAGE &&
		    u.pr.buf_len > 8 * PAGE)
			u.pr.buf_len = 8 * PAGE;
		check(c, "profile_read",
		      sntl_ioctl(c->fd, SENTINEL_IOC_PROFILE_READ, &u),
		      err_pread);
		break;
	case 4:
		/* Any command number; real ones get a zeroed argument. */
		check(c, "any command",
		      sntl_ioctl(c->fd, _IOC(below(&c->r, 4), below(&c->r, 2) ?
					     SENTINEL_IOC_MAGIC : below(&c->r, 256),
					     8 + below(&c->r, 248),
					     below(&c->r, 256)), &u),
		      err_any);
		break;
	default: {
		/*
		 * Replace a pool page that objects may cover with a fresh
		 * one: MAP_FIXED unmaps the old page and maps the new one at
		 * once, so no other thread's mmap can land in between.
		 */
		char *p = c->pool + below(&c->r, POOL_PAGES) * PAGE;

		if (mmap(p, PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == p)
			p[0] = 1;
		break;
	}
	}
}

static void *fuzz_thread(void *arg)
{
	struct ctx *c = arg;

	for (c->index = 0; c->index < c->calls && !c->failed; c->index++) {
		switch (below(&c->r, 10)) {
		case 0:
		case 1:
		case 2:
			fuzz_register(c);
			break;
		case 3:
		case 4:
			fuzz_unregister(c);
			break;
		case 5:
		case 6:
			fuzz_mark(c);
			break;
		case 7:
			fuzz_query(c);
			break;
		default:
			fuzz_misc(c);
		}
	}
	return NULL;
}

static long env_long(const char *name, long def, long min, long max)
{
	const char *v = getenv(name);
	char *end;
	long x;

	if (!v || !*v)
		return def;
	errno = 0;
	x = strtol(v, &end, 0);
	if (errno || *end || x < min || x > max) {
		fprintf(stderr, "# %s: bad value '%s'\n", name, v);
		exit(2);
	}
	return x;
}

/* One process: threads on one session; 0 when every call was allowed. */
static int fuzz_process(uint64_t seed, int proc, long calls, int threads)
{
	struct ctx c[8];
	pthread_t tid[8];
	char *pool = sntl_map(POOL_PAGES * PAGE);
	char *ro = sntl_map(PAGE);
	int fd = sntl_open(), i, bad = 0;

	if (fd < 0 || !pool || !ro)
		return 1;
	memset(pool, 1, POOL_PAGES * PAGE);
	mprotect(ro, PAGE, PROT_READ);
	for (i = 0; i < threads; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		c[i].fd = fd;
		c[i].pool = pool;
		c[i].ro = ro;
		c[i].r.s = seed * 1000003ULL + proc * 101 + i;
		c[i].calls = calls / threads;
		c[i].thread = proc * 100 + i;
		pthread_create(&tid[i], NULL, fuzz_thread, &c[i]);
	}
	for (i = 0; i < threads; i++) {
		pthread_join(tid[i], NULL);
		if (c[i].failed) {
			fprintf(stderr, "# seed %llu: %s\n",
				(unsigned long long)seed, c[i].why);
			bad = 1;
		}
	}
	close(fd);
	return bad;
}

FIXTURE(fuzz) {
	int unused;
};

FIXTURE_SETUP(fuzz)
{
	load_values();
}

FIXTURE_TEARDOWN(fuzz)
{
}

TEST_F_TIMEOUT(fuzz, ioctl, 1800)
{
	uint64_t seed = env_long("SENTINEL_FUZZ_SEED", 1, 0, LONG_MAX);
	long calls = env_long("SENTINEL_FUZZ_CALLS", 1000000, 1, 1L << 40);
	int procs = env_long("SENTINEL_FUZZ_PROCS", 2, 1, 8);
	int threads = env_long("SENTINEL_FUZZ_THREADS", 2, 1, 8);
	long objs0 = sntl_sysfs_read("stats/objects");
	long sess0 = sntl_sysfs_read("stats/sessions");
	pid_t pids[8], killer;
	int i, status, bad = 0;

	TH_LOG("seed %llu, %ld calls, %d processes x %d threads",
	       (unsigned long long)seed, calls, procs, threads);
	for (i = 0; i < procs; i++) {
		pids[i] = fork();
		ASSERT_GE(pids[i], 0);
		if (pids[i] == 0)
			_exit(fuzz_process(seed, i, calls / procs, threads));
	}
	/* Meanwhile: processes that die in the middle of their calls. */
	killer = fork();
	ASSERT_GE(killer, 0);
	if (killer == 0) {
		for (i = 0; i < 20; i++) {
			pid_t p = fork();

			if (p == 0) {
				fuzz_process(seed + 7777 + i, 9, 1L << 40, 2);
				_exit(0);
			}
			usleep(20000 + (i * 7919) % 80000);
			kill(p, SIGKILL);
			waitpid(p, NULL, 0);
		}
		_exit(0);
	}
	for (i = 0; i < procs; i++) {
		ASSERT_EQ(waitpid(pids[i], &status, 0), pids[i]);
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			TH_LOG("process %d: %s %d", i,
			       WIFEXITED(status) ? "exit" : "signal",
			       WIFEXITED(status) ? WEXITSTATUS(status) :
						   WTERMSIG(status));
			bad = 1;
		}
	}
	ASSERT_EQ(waitpid(killer, &status, 0), killer);
	EXPECT_EQ(bad, 0);
	EXPECT_EQ(sntl_sysfs_read("stats/objects"), objs0);
	EXPECT_EQ(sntl_sysfs_read("stats/sessions"), sess0);
}

/* Generic netlink: random commands and attributes as root. */
static int nl_family(int sk)
{
	struct {
		struct nlmsghdr n;
		struct genlmsghdr g;
		char buf[256];
	} req = { 0 }, resp;
	struct nlattr *a = (struct nlattr *)req.buf;
	ssize_t len;

	req.n.nlmsg_type = GENL_ID_CTRL;
	req.n.nlmsg_flags = NLM_F_REQUEST;
	req.g.cmd = CTRL_CMD_GETFAMILY;
	req.g.version = 1;
	a->nla_type = CTRL_ATTR_FAMILY_NAME;
	a->nla_len = NLA_HDRLEN + sizeof(SENTINEL_GENL_NAME);
	memcpy((char *)a + NLA_HDRLEN, SENTINEL_GENL_NAME,
	       sizeof(SENTINEL_GENL_NAME));
	req.n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN) + NLA_ALIGN(a->nla_len);
	if (send(sk, &req, req.n.nlmsg_len, 0) < 0)
		return -1;
	len = recv(sk, &resp, sizeof(resp), 0);
	if (len < (ssize_t)NLMSG_LENGTH(GENL_HDRLEN) ||
	    resp.n.nlmsg_type == NLMSG_ERROR)
		return -1;
	for (a = (struct nlattr *)resp.buf;
	     (char *)a < (char *)&resp + len && a->nla_len >= NLA_HDRLEN;
	     a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len)))
		if (a->nla_type == CTRL_ATTR_FAMILY_ID)
			return *(uint16_t *)((char *)a + NLA_HDRLEN);
	return -1;
}

TEST_F_TIMEOUT(fuzz, netlink, 600)
{
	uint64_t seed = env_long("SENTINEL_FUZZ_SEED", 1, 0, LONG_MAX);
	long calls = env_long("SENTINEL_FUZZ_NL_CALLS", 20000, 1, 1L << 30);
	struct rng r = { .s = seed ^ 0x5e4e };
	int sk, family, fd = sntl_open(), dumps = 0;
	char *pool = sntl_map(64 * PAGE);
	struct timeval tv = { .tv_sec = 2 };
	long i;

	ASSERT_GE(fd, 0);
	ASSERT_NE(pool, NULL);
	for (i = 0; i < 64; i++)
		sntl_register1(fd, pool + i * PAGE, PAGE, i);
	sk = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	ASSERT_GE(sk, 0);
	setsockopt(sk, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	family = nl_family(sk);
	ASSERT_GT(family, 0) TH_LOG("family %s not found", SENTINEL_GENL_NAME);

	for (i = 0; i < calls; i++) {
		struct {
			struct nlmsghdr n;
			struct genlmsghdr g;
			char attrs[512];
		} req = { 0 };
		char resp[65536];
		size_t off = 0;
		int nattr = below(&r, 6), k, done = 0;

		req.n.nlmsg_type = family;
		req.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK |
				    (below(&r, 3) ? 0 : NLM_F_DUMP);
		req.n.nlmsg_seq = i;
		req.g.cmd = below(&r, 8) ? below(&r, SENTINEL_CMD_MAX + 2) :
			    (uint8_t)rnd(&r);
		req.g.version = 1;
		req.g.reserved = below(&r, 16) ? 0 : (uint16_t)rnd(&r);
		for (k = 0; k < nattr && off + 64 <= sizeof(req.attrs); k++) {
			struct nlattr *a = (struct nlattr *)(req.attrs + off);
			uint16_t plen = below(&r, 4) ? 8 : below(&r, 40);
			uint64_t v = below(&r, 2) ? below(&r, 4) : pick(&r, 100);

			a->nla_type = below(&r, 8) ? below(&r, SENTINEL_A_MAX + 2) :
				      (uint16_t)rnd(&r);
			a->nla_len = NLA_HDRLEN + plen;
			memset((char *)a + NLA_HDRLEN, 0, plen);
			memcpy((char *)a + NLA_HDRLEN, &v,
			       plen < 8 ? plen : 8);
			if (!below(&r, 32))
				a->nla_len = (uint16_t)rnd(&r);
			off += NLA_ALIGN(NLA_HDRLEN + plen);
		}
		req.n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN) + off;
		if (send(sk, &req, req.n.nlmsg_len, 0) < 0)
			continue;
		/* Read until the ack, an error or the end of a dump. */
		while (!done) {
			ssize_t len = recv(sk, resp, sizeof(resp), 0);
			struct nlmsghdr *h;

			if (len <= 0)
				break;
			for (h = (struct nlmsghdr *)resp; NLMSG_OK(h, len);
			     h = NLMSG_NEXT(h, len)) {
				if (h->nlmsg_type == NLMSG_DONE ||
				    h->nlmsg_type == NLMSG_ERROR) {
					done = 1;
					dumps += h->nlmsg_type == NLMSG_DONE;
				}
			}
		}
		ASSERT_EQ(done, 1) TH_LOG("seed %llu call %ld: no answer",
					  (unsigned long long)seed, i);
	}
	TH_LOG("%ld netlink requests, %d dumps completed", calls, dumps);
	close(sk);
	close(fd);
}

TEST_HARNESS_MAIN
