// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection (debug kernel: failslab and fail_page_alloc with a task
 * filter): registration, profiling scans, queries and netlink-free paths
 * under random allocation failures.  Every failure must reach the caller
 * as an error, batches stay all or nothing, and the counters return to
 * where they were (tests/vm-suite runs a kmemleak scan at the end).
 * Skipped on kernels without fault injection.
 */
#include <sys/wait.h>

#include "sntl_test.h"
#include "sntl_daemon.h"
#include "kselftest_harness.h"

#define DBG "/sys/kernel/debug/"

/* Make the calling task fail allocations with probability @pct. */
static int inject(const char *attr, int pct)
{
	char path[128], val[16];

	snprintf(path, sizeof(path), DBG "%s/probability", attr);
	snprintf(val, sizeof(val), "%d", pct);
	if (sntl_write_file(path, val))
		return -1;
	snprintf(path, sizeof(path), DBG "%s/interval", attr);
	sntl_write_file(path, "1");
	snprintf(path, sizeof(path), DBG "%s/times", attr);
	sntl_write_file(path, "-1");
	snprintf(path, sizeof(path), DBG "%s/task-filter", attr);
	sntl_write_file(path, "Y");
	snprintf(path, sizeof(path), DBG "%s/verbose", attr);
	sntl_write_file(path, "0");
	if (!strcmp(attr, "fail_page_alloc")) {
		snprintf(path, sizeof(path), DBG "%s/ignore-gfp-wait", attr);
		sntl_write_file(path, "N");
		snprintf(path, sizeof(path), DBG "%s/min-order", attr);
		sntl_write_file(path, "0");
	} else {
		snprintf(path, sizeof(path), DBG "%s/ignore-gfp-wait", attr);
		sntl_write_file(path, "N");
	}
	return sntl_write_file("/proc/self/make-it-fail", pct ? "1" : "0");
}

static int have_injection(void)
{
	return access(DBG "failslab/probability", W_OK) == 0 &&
	       access(DBG "fail_page_alloc/probability", W_OK) == 0;
}

static int profile_step(int fd, uint64_t step)
{
	int ret = sntl_mark(fd, SENTINEL_MARK_STEP_BEGIN, 0, 0, step);

	if (!ret)
		ret = sntl_mark(fd, SENTINEL_MARK_LAYER_END,
				SENTINEL_DIR_FORWARD, 1, 0);
	if (!ret)
		ret = sntl_mark(fd, SENTINEL_MARK_STEP_END, 0, 0, step);
	return ret;
}

/* Work under injection in a child; it reports what it saw. */
static int run_child(const char *attr)
{
	const int n = 512;
	char *b = sntl_map(n * PAGE);
	struct sentinel_obj objs[64];
	struct sentinel_obj_info info;
	struct sentinel_profile_ctl pc = {
		.size = sizeof(pc), .op = SENTINEL_PROFILE_OP_START,
		.steps = 2,
	};
	int fd, round, i, failures = 0, successes = 0;
	long before;

	if (!b)
		return 10;
	memset(b, 1, n * PAGE);
	fd = sntl_open();
	if (fd < 0)
		return 11;
	if (inject(attr, 20))
		return 12;
	for (round = 0; round < 300; round++) {
		int k = 1 + round % 64, ret;
		uint64_t base = (uint64_t)round * 64;

		before = sntl_nr_objects(fd);
		for (i = 0; i < k; i++)
			objs[i] = sntl_obj(b + ((round * 7 + i) % n) * PAGE,
					   PAGE, base + i, 0);
		ret = sntl_register_n(fd, objs, k, NULL);
		if (ret == -ENOMEM || ret == -EBUSY) {
			failures += ret == -ENOMEM;
			/* All or nothing, whatever failed inside. */
			if (sntl_nr_objects(fd) != before && before >= 0 &&
			    sntl_nr_objects(fd) >= 0)
				return 20;
		} else if (ret) {
			return 21;
		} else {
			successes++;
		}
		if (round % 5 == 0) {
			ret = sntl_ioctl(fd, SENTINEL_IOC_PROFILE_CTL, &pc);
			if (ret && ret != -ENOMEM)
				return 22;
			ret = profile_step(fd, round + 1);
			if (ret && ret != -ENOMEM)
				return 23;
		}
		ret = sntl_query1(fd, base, 1, &info);
		if (ret && ret != -ENOENT && ret != -ENOMEM)
			return 24;
		if (round % 3 == 0) {
			struct sentinel_unregister u = {
				.size = sizeof(u), .flags = SENTINEL_UNREG_ALL,
			};

			ret = sntl_ioctl(fd, SENTINEL_IOC_UNREGISTER, &u);
			if (ret && ret != -ENOMEM)
				return 25;
		}
	}
	inject(attr, 0);
	fprintf(stderr, "# %s: %d allocation failures, %d batches through\n",
		attr, failures, successes);
	close(fd);
	return failures > 0 && successes > 0 ? 0 : 30;
}

FIXTURE(inj) {
	long objs0;
	long sess0;
};

FIXTURE_SETUP(inj)
{
	if (!have_injection())
		SKIP(return, "kernel without failslab/fail_page_alloc");
	self->objs0 = sntl_sysfs_read("stats/objects");
	self->sess0 = sntl_sysfs_read("stats/sessions");
}

FIXTURE_TEARDOWN(inj)
{
	sntl_write_file(DBG "failslab/probability", "0");
	sntl_write_file(DBG "fail_page_alloc/probability", "0");
}

static void run(struct __test_metadata *_metadata, const char *attr,
		long objs0, long sess0)
{
	int status;
	pid_t pid = fork();

	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(run_child(attr));
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 0);
	EXPECT_EQ(sntl_sysfs_read("stats/objects"), objs0);
	EXPECT_EQ(sntl_sysfs_read("stats/sessions"), sess0);
}

TEST_F_TIMEOUT(inj, failslab, 300)
{
	run(_metadata, "failslab", self->objs0, self->sess0);
}

TEST_F_TIMEOUT(inj, fail_page_alloc, 300)
{
	run(_metadata, "fail_page_alloc", self->objs0, self->sess0);
}

TEST_HARNESS_MAIN
