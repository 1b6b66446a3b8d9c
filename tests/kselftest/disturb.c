// SPDX-License-Identifier: GPL-2.0
/*
 * The training of sntl_train.h under sentineld (sentinel policy, 20%
 * budget), disturbed while the daemon migrates its objects:
 *
 * - the trainer, or the trainer and the daemon together, killed with
 *   SIGKILL at a random point after placement (a seeded choice of step,
 *   delay and order; SNTL_SEED=N replays a run): the module ends with no
 *   session and no object left, the daemon (when alive) forgets the
 *   session, and the next training under a daemon gives the reference
 *   results;
 * - rmmod attempted every few milliseconds while the trainer runs: each
 *   attempt is refused with EWOULDBLOCK, the results are unchanged; once
 *   the trainer is gone the module unloads under the running daemon,
 *   loads again, and the daemon places the next training as before;
 * - the fast node filled up by another process in the middle of a step,
 *   while the trainer waits there (it moves its own pages to node 0
 *   until move_pages refuses them, and goes on taking what frees up
 *   there, so that the daemon's prefetches fail with ENOMEM): they do,
 *   the results are bitwise those of an undisturbed run, and no process
 *   is OOM-killed.
 *
 * The guest log is checked by the VM runner.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <numaif.h>

#include "kselftest_harness.h"
#include "sntl_train.h"

#define NODE0 "/sys/devices/system/node/node0"

/* ---- small readers ---- */

/* The number a file starts with, or -1. */
static long long num_at(const char *path)
{
	char buf[32] = "";
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? strtoll(buf, NULL, 10) : -1;
}

/* /sys/kernel/sentinel/stats/@name, or -1. */
static long long stat_read(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/kernel/sentinel/stats/%s", name);
	return num_at(path);
}

/* The number after "@key" in a file of "key value" lines, or -1. */
static long long file_num(const char *path, const char *key)
{
	char line[256];
	long long v = -1;
	FILE *f = fopen(path, "r");

	while (f && v < 0 && fgets(line, sizeof(line), f)) {
		char *p = strstr(line, key);

		if (p && (p == line || p[-1] == ' ') && p[strlen(key)] == ' ')
			v = strtoll(p + strlen(key), NULL, 10);
	}
	if (f)
		fclose(f);
	return v;
}

/* Node 0's free memory in KiB. */
static long long node0_free_kb(void)
{
	return file_num(NODE0 "/meminfo", "MemFree:");
}

/*
 * What a user page allocation can still take from node 0 without
 * reclaim, in KiB: over its zones, the free pages above the min
 * watermark plus the zone's protection from such allocations (the
 * largest of its lowmem reserves), from /proc/zoneinfo.  The sum of the
 * min watermarks goes to *@min_kb.
 */
static long long node0_headroom_kb(long long *min_kb)
{
	long long sum = 0, free = 0, min = 0, mins = 0;
	char line[512];
	bool in0 = false;
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		const char *p;
		long long v;
		char w[16];

		if (!strncmp(line, "Node ", 5)) {
			in0 = !strncmp(line, "Node 0,", 7);
			free = min = 0;
		} else if (!in0) {
			continue;
		} else if (sscanf(line, " pages free %lld", &v) == 1) {
			free = v;
		} else if (sscanf(line, " %15s %lld", w, &v) == 2 && !strcmp(w, "min")) {
			min = v;
			mins += v;
		} else if ((p = strstr(line, "protection: ("))) {
			long long prot = 0;

			for (p += 13; *p && *p != ')'; p++) {
				char *end;

				v = strtoll(p, &end, 10);
				if (end == p)
					continue;
				if (v > prot)
					prot = v;
				p = end - 1;
			}
			if (free > min + prot)
				sum += free - min - prot;
		}
	}
	fclose(f);
	if (min_kb)
		*min_kb = mins * 4;
	return sum * 4;
}

/* The module has no session and no object left (waits up to @secs). */
static bool module_idle(int secs)
{
	for (int t = 0; t < secs * 10; t++) {
		if (!stat_read("sessions") && !stat_read("objects"))
			return true;
		sntl_sleep_ms(100);
	}
	fprintf(stderr, "# module: %lld session(s), %lld object(s) left\n",
		stat_read("sessions"), stat_read("objects"));
	return false;
}

/* The number after @key in the daemon's "status" reply, or -1. */
static long long dmn_status(const char *key)
{
	char *st = sntl_ctl(ctl_sock, "status");
	long long v = sntl_json_num(st, key);

	free(st);
	return v;
}

/* Wait up to @secs for the daemon's status @key to read @want. */
static bool dmn_wait(const char *key, long long want, int secs)
{
	for (int t = 0; t < secs * 10; t++) {
		if (dmn_status(key) == want)
			return true;
		sntl_sleep_ms(100);
	}
	return false;
}

/* A small seeded generator: reproducible whatever the libc. */
static uint64_t rnd_state;

static uint32_t rnd(uint32_t n)
{
	rnd_state = rnd_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rnd_state >> 33) % n;
}

FIXTURE(dist) {
	uint64_t reference;
	char numa_balancing[16];
	struct dmn d;
};

FIXTURE_SETUP(dist)
{
	struct result r;

	self->d.pid = -1;
	self->numa_balancing[0] = '\0';
	if (access(SENTINEL_DEVICE, F_OK) || !two_nodes())
		SKIP(return, "needs the module and two NUMA nodes");
	ASSERT_EQ(0, train_knobs());
	/* Only the daemon moves pages: not the kernel's NUMA balancing. */
	if (!sntl_numa_balancing(self->numa_balancing, sizeof(self->numa_balancing), false))
		ASSERT_EQ(0, sntl_numa_balancing("0", 2, true));
	budget = FOOTPRINT / 5;	/* 20% of the footprint */
	ASSERT_EQ(0, train_run(&r, &(struct train_opts){ .daemon = false }, NULL, NULL));
	self->reference = r.checksum;
	ASSERT_TRUE(module_idle(10));
}

FIXTURE_TEARDOWN(dist)
{
	if (self->d.pid > 0)
		free(dmn_stop(&self->d));
	if (self->numa_balancing[0])
		sntl_numa_balancing(self->numa_balancing, sizeof(self->numa_balancing), true);
}

/* One undisturbed training under the daemon: placed, reference results. */
static bool clean_run(struct __test_metadata *_metadata, uint64_t reference)
{
	struct result r;
	int err = train_run(&r, &(struct train_opts){ .daemon = true }, NULL, NULL);

	EXPECT_EQ(0, err);
	EXPECT_NE(UINT64_MAX, r.placed_step);
	EXPECT_EQ(reference, r.checksum);
	return !err && r.placed_step != UINT64_MAX && r.checksum == reference;
}

/* ---- kill -9 ---- */

enum kill_mode { KILL_TRAINER, KILL_TRAINER_THEN_DAEMON, KILL_DAEMON_THEN_TRAINER, KILL_MODES };

static const char *const kill_name[] = {
	"trainer", "trainer then daemon", "daemon then trainer",
};

struct kill_plan {
	enum kill_mode mode;
	unsigned int delay_ms;
	pid_t *dpid;
};

static void kill_daemon_now(pid_t *dpid)
{
	kill(*dpid, SIGKILL);
	waitpid(*dpid, NULL, 0);
	*dpid = -1;
}

static int kill_later(char point, pid_t child, void *arg)
{
	struct kill_plan *k = arg;

	if (point != 'm')
		return 0;
	sntl_sleep_ms((int)k->delay_ms);
	if (k->mode == KILL_DAEMON_THEN_TRAINER)
		kill_daemon_now(k->dpid);
	kill(child, SIGKILL);
	if (k->mode == KILL_TRAINER_THEN_DAEMON)
		kill_daemon_now(k->dpid);
	return 0;
}

TEST_F_TIMEOUT(dist, killed_mid_migration, 900)
{
	const char *env = getenv("SNTL_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL) ^ (uint64_t)getpid();

	rnd_state = seed;
	TH_LOG("seed %llu (SNTL_SEED=%llu replays)", (unsigned long long)seed,
	       (unsigned long long)seed);
	for (int round = 0; round < KILL_MODES; round++) {
		struct kill_plan k = { .mode = (enum kill_mode)round, .dpid = &self->d.pid };
		struct train_opts o = { .daemon = true };
		long long total = stat_read("sessions_total");
		struct result r;

		/* after placement (step 3): step 4..STEPS-2, anywhere in 1.5 s */
		o.mid_step = 4 + rnd(STEPS - 5);
		k.delay_ms = rnd(1500);
		if (self->d.pid < 0)
			ASSERT_LT(0, dmn_start(&self->d, "sentinel", false));
		TH_LOG("round %d: kill %s at step %llu + %u ms", round, kill_name[round],
		       (unsigned long long)o.mid_step, k.delay_ms);
		EXPECT_NE(0, train_run(&r, &o, kill_later, &k));
		EXPECT_EQ(total + 1, stat_read("sessions_total"));
		ASSERT_TRUE(module_idle(10));
		if (self->d.pid > 0) {
			/* the daemon lives on and forgets the dead session */
			EXPECT_TRUE(dmn_wait("sessions", 0, 10));
		} else {
			ASSERT_LT(0, dmn_start(&self->d, "sentinel", false));
		}
		if (!clean_run(_metadata, self->reference))
			dmn_show_log(&self->d);
		EXPECT_TRUE(module_idle(10));
	}
}

/* ---- rmmod under load ---- */

struct pounder {
	pthread_t thread;
	volatile bool stop;
	bool running;
	long tries, refused;
	int other_errno;	/* an unexpected result: its errno, or -1 for success */
};

static void *pound(void *arg)
{
	struct pounder *p = arg;

	while (!p->stop) {
		p->tries++;
		if (!syscall(SYS_delete_module, "sentinel", O_NONBLOCK)) {
			p->other_errno = -1;
			break;
		}
		if (errno == EWOULDBLOCK)
			p->refused++;
		else if (!p->other_errno)
			p->other_errno = errno;
		sntl_sleep_ms(2);
	}
	return NULL;
}

static int pound_while_open(char point, pid_t child, void *arg)
{
	struct pounder *p = arg;

	if (point == 'o' && !p->running) {
		p->running = !pthread_create(&p->thread, NULL, pound, p);
		return p->running ? 0 : -1;
	}
	if (point == 'e' && p->running) {
		p->stop = true;
		pthread_join(p->thread, NULL);
		p->running = false;
	}
	return 0;
}

TEST_F_TIMEOUT(dist, rmmod_under_load, 900)
{
	const struct train_opts o = { .daemon = true, .wait_end = true };
	const char *ko = getenv("SENTINEL_KO");
	struct pounder p = { 0 };
	struct result r;
	int err = -1, kfd;

	if (!ko || !*ko)
		SKIP(return, "SENTINEL_KO not set: module not loaded by the runner");
	ASSERT_LT(0, dmn_start(&self->d, "sentinel", false));
	ASSERT_TRUE(dmn_wait("connected", 1, 10));
	EXPECT_EQ(0, train_run(&r, &o, pound_while_open, &p));
	TH_LOG("%ld rmmod attempts during the training, %ld refused, placed before step %llu",
	       p.tries, p.refused, (unsigned long long)r.placed_step);
	EXPECT_LT(50, p.tries);
	EXPECT_EQ(p.tries, p.refused);
	EXPECT_EQ(0, p.other_errno);
	EXPECT_NE(UINT64_MAX, r.placed_step);
	EXPECT_EQ(self->reference, r.checksum);

	/* The trainer gone, the module unloads under the running daemon... */
	for (int t = 0; t < 100 && err; t++) {
		err = (int)syscall(SYS_delete_module, "sentinel", O_NONBLOCK);
		if (err && errno != EWOULDBLOCK)
			break;
		if (err)
			sntl_sleep_ms(100);
	}
	ASSERT_EQ(0, err) TH_LOG("rmmod: %s", strerror(errno));
	EXPECT_TRUE(dmn_wait("connected", 0, 10));
	EXPECT_EQ(0, kill(self->d.pid, 0));
	/* ... loads again, and the daemon takes the next training. */
	kfd = open(ko, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, kfd);
	ASSERT_EQ(0, syscall(SYS_finit_module, kfd, "", 0)) TH_LOG("insmod: %s", strerror(errno));
	close(kfd);
	ASSERT_EQ(0, train_knobs());
	ASSERT_TRUE(dmn_wait("connected", 1, 10));
	if (!clean_run(_metadata, self->reference))
		dmn_show_log(&self->d);
	EXPECT_TRUE(module_idle(10));
}

/* ---- the fast node filled ---- */

/* What the filler tells its parent, after each stage. */
struct fill_report {
	long long free_kb, min_kb, headroom_kb, bulk_kb, moved_kb, refused_pages;
};

/*
 * Touch the pages of @region from *@used on (the process's default
 * policy: node 0, the local node, while it is above its low watermark,
 * else node 1, never the OOM killer), until node 0's headroom is at most
 * @target_kb; half the distance between reads.
 */
static void fill_to(char *region, size_t size, size_t *used, long long target_kb)
{
	for (;;) {
		long long room = node0_headroom_kb(NULL), n;

		if (room < 0 || room <= target_kb)
			return;
		n = (room - target_kb) / 8;	/* pages: half the distance */
		if (n < 8)
			n = 8;
		for (long long i = 0; i < n && *used + 4096 <= size; i++, *used += 4096)
			region[*used] = 1;
		if (*used + 4096 > size)
			return;
	}
}

#define FILL_BATCH 256

/* Pages on their way to node 0: the ones move_pages refused are retried. */
struct fill_pages {
	char *region;
	size_t size, used;
	void *pages[FILL_BATCH];
	int n;
};

/*
 * Move a batch of the filler's own pages to node 0 with move_pages, the
 * call the daemon's prefetches make (its target allocation never calls
 * the OOM killer: it fails with ENOMEM, and the call ends there).  The
 * refused pages stay for the next batch, new ones take the places of
 * the moved.  The number refused, or -1 when the region is used up or
 * move_pages fails otherwise.
 */
static int fill_move(struct fill_pages *fp, long long *moved_kb)
{
	int nodes[FILL_BATCH], status[FILL_BATCH], refused = 0, keep = 0;

	while (fp->n < FILL_BATCH) {
		if (fp->used + 4096 > fp->size)
			return -1;
		fp->region[fp->used] = 1;
		fp->pages[fp->n++] = fp->region + fp->used;
		fp->used += 4096;
	}
	for (int i = 0; i < fp->n; i++)
		nodes[i] = 0;
	if (move_pages(0, (unsigned long)fp->n, fp->pages, nodes, status, MPOL_MF_MOVE) < 0) {
		/* ENOMEM ends the call part way: where are the pages now? */
		if (errno != ENOMEM ||
		    move_pages(0, (unsigned long)fp->n, fp->pages, NULL, status, 0) < 0)
			return -1;
		for (int i = 0; i < fp->n; i++)
			if (status[i] != 0)
				status[i] = -ENOMEM;
	}
	for (int i = 0; i < fp->n; i++) {
		if (status[i] == 0) {
			*moved_kb += 4;
			continue;
		}
		if (status[i] == -ENOMEM)
			refused++;
		fp->pages[keep++] = fp->pages[i];
	}
	fp->n = keep;
	return refused;
}

static void fill_report(int fd, struct fill_report *rep)
{
	rep->free_kb = node0_free_kb();
	rep->headroom_kb = node0_headroom_kb(&rep->min_kb);
	if (write(fd, rep, sizeof(*rep)) != sizeof(*rep))
		_exit(1);
}

/*
 * The filler: transparent huge pages for the bulk, until 32 MiB of
 * headroom is left on node 0: report.  Then its base pages moved to
 * node 0 until move_pages refuses a whole batch: report.  And on until
 * killed, every 20 ms, taking whatever the daemon's demotions free.
 */
static void filler(int fd)
{
	const size_t size = (size_t)4 << 30, half = size / 2;
	struct fill_report rep = { 0 };
	struct fill_pages fp = { .size = size, .used = half };
	size_t used = 0;
	char *region;
	int r;

	sntl_write_file("/proc/self/oom_score_adj", "1000");	/* the one to kill, if any */
	region = mmap(NULL, size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (region == MAP_FAILED)
		_exit(1);
	madvise(region, half, MADV_HUGEPAGE);
	madvise(region + half, half, MADV_NOHUGEPAGE);
	fill_to(region, half, &used, 32768);
	rep.bulk_kb = (long long)(used / 1024);
	fill_report(fd, &rep);
	fp.region = region;
	while ((r = fill_move(&fp, &rep.moved_kb)) >= 0 && r < FILL_BATCH / 2)
		;
	rep.refused_pages = r;
	fill_report(fd, &rep);
	for (;;) {
		sntl_sleep_ms(20);
		if ((r = fill_move(&fp, &rep.moved_kb)) < 0)
			break;
	}
	pause();
}

struct fill {
	pid_t pid;
	int fd;
	struct fill_report bulk, full;
	bool got_bulk, got_full;
};

/* Read one report within @secs. */
static bool fill_read(struct fill *f, struct fill_report *rep, int secs)
{
	struct pollfd pfd = { .fd = f->fd, .events = POLLIN };

	return poll(&pfd, 1, secs * 1000) == 1 && read(f->fd, rep, sizeof(*rep)) == sizeof(*rep);
}

static int fill_mid_step(char point, pid_t child, void *arg)
{
	struct fill *f = arg;
	int p[2];

	if (point == 'm') {
		/*
		 * The trainer waits in the middle of its step while node 0
		 * fills under the daemon's prefetches for the next layers; the
		 * filler then goes on beside the rest of the training, however
		 * fast the kernel fills.
		 */
		if (pipe(p))
			return -1;
		f->pid = fork();
		if (f->pid == 0) {
			close(p[0]);
			filler(p[1]);
		}
		close(p[1]);
		f->fd = p[0];
		f->got_bulk = f->pid > 0 && fill_read(f, &f->bulk, 300);
		f->got_full = f->got_bulk && fill_read(f, &f->full, 300);
		return f->got_full ? 0 : -1;
	}
	if (point == 'e' && f->pid > 0) {
		kill(f->pid, SIGKILL);
		waitpid(f->pid, NULL, 0);
		f->pid = -1;
		close(f->fd);
	}
	return 0;
}

TEST_F_TIMEOUT(dist, fast_node_filled_mid_prefetch, 900)
{
	const struct train_opts o = { .daemon = true, .mid_step = 5, .wait_mid = true,
				      .wait_end = true };
	struct fill f = { .pid = -1, .fd = -1 };
	long long ooms = file_num("/proc/vmstat", "oom_kill");
	struct result r;

	ASSERT_LT(0, dmn_start(&self->d, "sentinel", false));
	EXPECT_EQ(0, train_run(&r, &o, fill_mid_step, &f));
	TH_LOG("node 0: min watermarks %lld KiB; %lld KiB of huge pages left %lld KiB free, %lld KiB headroom; %lld KiB moved there left %lld KiB free, %lld KiB headroom (%lld of a batch of %d refused)",
	       f.bulk.min_kb, f.bulk.bulk_kb, f.bulk.free_kb, f.bulk.headroom_kb,
	       f.full.moved_kb, f.full.free_kb, f.full.headroom_kb, f.full.refused_pages,
	       FILL_BATCH);
	TH_LOG("daemon: placed before step %llu, promoted %lld demoted %lld B, enomem %lld, failed pages %lld, late %lld",
	       (unsigned long long)r.placed_step, r.promoted, r.demoted, r.enomem, r.failed,
	       r.late);
	ASSERT_TRUE(f.got_bulk);
	EXPECT_TRUE(f.got_full);
	/* the node was full: move_pages refused most of a batch */
	EXPECT_LE(FILL_BATCH / 2, f.full.refused_pages);
	EXPECT_LT(0, r.enomem);
	EXPECT_EQ(STEPS, r.steps);
	EXPECT_EQ(self->reference, r.checksum);
	EXPECT_NE(UINT64_MAX, r.placed_step);
	EXPECT_EQ(ooms, file_num("/proc/vmstat", "oom_kill"));
	EXPECT_EQ(0, kill(self->d.pid, 0));
	EXPECT_TRUE(dmn_wait("sessions", 0, 10));
	EXPECT_TRUE(module_idle(10));
	if (r.checksum != self->reference)
		dmn_show_log(&self->d);
}

TEST_HARNESS_MAIN
