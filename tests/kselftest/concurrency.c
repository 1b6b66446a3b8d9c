// SPDX-License-Identifier: GPL-2.0
/*
 * Several processes, each with several threads, register, unregister,
 * query (with page-table walks), mark phases and unmap registered memory
 * at once for a fixed time.  Every call must give the result that the
 * thread's own bookkeeping predicts, and the session's object count must
 * match at the end.  The runner checks that the guest log stays clean.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>

#include "sntl_test.h"
#include "kselftest_harness.h"

#define THREADS		4
#define SLOTS		256	/* pages per thread */
#define SECONDS		4

struct worker {
	int fd;
	int idx;
	char *base;
	unsigned int seed;
	bool live[SLOTS];
	long nlive;
	long ops;
	int failed;
	char why[128];
};

static atomic_bool stop;

static uint64_t slot_id(struct worker *w, int slot)
{
	return ((uint64_t)w->idx << 32) | (uint64_t)slot;
}

static void fail(struct worker *w, const char *what, int ret)
{
	if (!w->failed)
		snprintf(w->why, sizeof(w->why), "thread %d: %s: %s", w->idx,
			 what, strerror(-ret));
	w->failed = 1;
}

static void step_register(struct worker *w)
{
	struct sentinel_obj objs[16];
	int n = 1 + rand_r(&w->seed) % 16, k = 0, i, slot, ret;

	slot = rand_r(&w->seed) % SLOTS;
	for (i = 0; i < n && slot + i < SLOTS; i++) {
		if (w->live[slot + i])
			break;
		objs[k++] = sntl_obj(w->base + (size_t)(slot + i) * PAGE, PAGE,
				     slot_id(w, slot + i),
				     SENTINEL_KIND_ACTIVATION);
	}
	if (!k)
		return;
	ret = sntl_register_n(w->fd, objs, k, NULL);
	if (ret)
		return fail(w, "register", ret);
	for (i = 0; i < k; i++)
		w->live[slot + i] = true;
	w->nlive += k;
}

static void step_unregister(struct worker *w)
{
	uint64_t ids[16];
	int slots[16], k = 0, i, ret;
	int slot = rand_r(&w->seed) % SLOTS;

	for (i = slot; i < SLOTS && k < 16; i++) {
		if (w->live[i]) {
			slots[k] = i;
			ids[k++] = slot_id(w, i);
		}
	}
	if (!k)
		return;
	ret = sntl_unregister_n(w->fd, ids, k, NULL);
	if (ret)
		return fail(w, "unregister", ret);
	for (i = 0; i < k; i++)
		w->live[slots[i]] = false;
	w->nlive -= k;
}

static void step_query(struct worker *w)
{
	struct sentinel_obj_info info;
	int slot = rand_r(&w->seed) % SLOTS;
	int ret = sntl_query1(w->fd, slot_id(w, slot), 1, &info);

	if (w->live[slot] && ret)
		return fail(w, "query live", ret);
	if (!w->live[slot] && ret != -ENOENT)
		return fail(w, "query dead", ret ? ret : -EEXIST);
	w->base[(size_t)slot * PAGE] = (char)w->ops;
}

/* Unmap and map again a registered page: the object must survive. */
static void step_unmap(struct worker *w)
{
	int slot = rand_r(&w->seed) % SLOTS;
	char *p = w->base + (size_t)slot * PAGE;

	/* MAP_FIXED unmaps and maps at once: no other thread fills a hole. */
	if (mmap(p, PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != p)
		return fail(w, "remap", -errno);
}

static void step_mark(struct worker *w, uint64_t *step)
{
	int ret = sntl_mark(w->fd, SENTINEL_MARK_LAYER_BEGIN,
			    SENTINEL_DIR_FORWARD, w->ops % 50, 0);

	if (!ret && w->idx == 0 && w->ops % 64 == 0)
		ret = sntl_mark(w->fd, SENTINEL_MARK_STEP_BEGIN, 0, 0, ++*step);
	if (ret)
		fail(w, "mark", ret);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t step = 0;

	while (!atomic_load(&stop) && !w->failed) {
		switch (rand_r(&w->seed) % 5) {
		case 0:
			step_register(w);
			break;
		case 1:
			step_unregister(w);
			break;
		case 2:
			step_query(w);
			break;
		case 3:
			step_unmap(w);
			break;
		default:
			step_mark(w, &step);
		}
		w->ops++;
	}
	return NULL;
}

/* Run THREADS workers on one session; 0 when all went as predicted. */
static int run_process(int seed, long *ops)
{
	struct worker *w = calloc(THREADS, sizeof(*w));
	pthread_t tid[THREADS];
	char *base = sntl_map(THREADS * SLOTS * PAGE);
	int fd = sntl_open(), i, bad = 0;
	long nlive = 0;

	if (fd < 0 || !w || !base)
		return 1;
	atomic_store(&stop, false);
	for (i = 0; i < THREADS; i++) {
		w[i].fd = fd;
		w[i].idx = i;
		w[i].base = base + (size_t)i * SLOTS * PAGE;
		w[i].seed = seed * 100 + i;
		pthread_create(&tid[i], NULL, worker_main, &w[i]);
	}
	sleep(SECONDS);
	atomic_store(&stop, true);
	*ops = 0;
	for (i = 0; i < THREADS; i++) {
		pthread_join(tid[i], NULL);
		if (w[i].failed) {
			fprintf(stderr, "# %s\n", w[i].why);
			bad = 1;
		}
		nlive += w[i].nlive;
		*ops += w[i].ops;
	}
	if (sntl_nr_objects(fd) != nlive) {
		fprintf(stderr, "# objects %ld, expected %ld\n",
			sntl_nr_objects(fd), nlive);
		bad = 1;
	}
	close(fd);
	free(w);
	return bad;
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

TEST_F_TIMEOUT(stress, threads_and_processes, 120)
{
	long objs0 = sntl_sysfs_read("stats/objects");
	pid_t pids[2];
	long ops = 0;
	int i, status;

	for (i = 0; i < 2; i++) {
		pids[i] = fork();
		ASSERT_GE(pids[i], 0);
		if (pids[i] == 0) {
			long child_ops;

			_exit(run_process(i + 1, &child_ops));
		}
	}
	EXPECT_EQ(run_process(0, &ops), 0);
	TH_LOG("%ld operations in the parent's session", ops);
	/*
	 * Proof that the threads ran, not a throughput figure: the debug
	 * kernel (KASAN, lockdep) under TCG on a busy host managed ~650.
	 */
	EXPECT_GT(ops, 250);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(waitpid(pids[i], &status, 0), pids[i]);
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	EXPECT_EQ(sntl_sysfs_read("stats/objects"), objs0);
}

TEST_HARNESS_MAIN
