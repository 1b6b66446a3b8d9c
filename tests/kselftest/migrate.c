// SPDX-License-Identifier: GPL-2.0
/*
 * The migrator in the VM: a small multi-layer "training" (forward,
 * backward, optimizer) on libsentinel objects, run in a child process
 * with sentineld on each policy.  With the sentinel policy and a fast
 * budget of 20% of the program's footprint, once the plan is placed:
 * the session's fast-tier bytes (from SENTINEL_IOC_QUERY residency, at
 * every layer begin) never exceed the budget, the prefetch hit ratio
 * (bytes touched by a layer already on node 0 when it began) is at
 * least 0.95, and the results equal those of a run without the daemon;
 * killing the daemon in the middle of a step changes nothing either; a
 * plan without moves releases the session's marks.
 * The hit-ratio run waits at each layer begin for the moves the daemon
 * has due there (SNTL_OPEN_WAIT_MOVES), so that the ratio measures the
 * plan and the migrator, not how fast this host happens to run them.
 * The per-policy figures are printed as TAP comments.
 */
#include "kselftest_harness.h"
#include "sntl_train.h"

/* The daemon is killed when the trainer reaches the middle of a step. */
static int kill_daemon(char point, pid_t child, void *arg)
{
	pid_t *dpid = arg;

	if (point != 'm')
		return 0;
	kill(*dpid, SIGKILL);
	waitpid(*dpid, NULL, 0);
	*dpid = -1;
	return 0;
}

FIXTURE(mig) {
	uint64_t reference;
	char numa_balancing[16];
};

FIXTURE_SETUP(mig)
{
	struct result r;

	if (access(SENTINEL_DEVICE, F_OK) || !two_nodes())
		SKIP(return, "needs the module and two NUMA nodes");
	ASSERT_EQ(0, train_knobs());
	/* Only the daemon moves pages: not the kernel's NUMA balancing. */
	self->numa_balancing[0] = '\0';
	if (!sntl_numa_balancing(self->numa_balancing, sizeof(self->numa_balancing), false))
		ASSERT_EQ(0, sntl_numa_balancing("0", 2, true));
	budget = FOOTPRINT / 5;	/* 20% of the footprint */
	ASSERT_EQ(0, train_run(&r, &(struct train_opts){ .daemon = false }, NULL, NULL));
	self->reference = r.checksum;
	TH_LOG("footprint %d bytes, budget %llu", FOOTPRINT,
	       (unsigned long long)budget);
}

FIXTURE_TEARDOWN(mig)
{
	if (self->numa_balancing[0])
		sntl_numa_balancing(self->numa_balancing, sizeof(self->numa_balancing), true);
}

TEST_F_TIMEOUT(mig, sentinel_policy, 600)
{
	struct dmn d;
	struct result r;
	char *stats;
	double hit;

	ASSERT_LT(0, dmn_start(&d, "sentinel", true));
	ASSERT_EQ(0, train_run(&r, &(struct train_opts){ .daemon = true, .wait_moves = true },
			       NULL, NULL));
	stats = dmn_stop(&d);
	hit = r.touched ? (double)r.touched_fast / (double)r.touched : 0;
	TH_LOG("placed before step %llu; %llu samples, max fast %llu of %llu, hit %.3f",
	       (unsigned long long)r.placed_step, (unsigned long long)r.samples,
	       (unsigned long long)r.max_fast, (unsigned long long)budget, hit);
	TH_LOG("daemon: promoted %lld demoted %lld B over %lld steps, late %lld, bw %lld",
	       r.promoted, r.demoted, r.dsteps, r.late, r.bw);
	TH_LOG("waits for moves: %llu, done %llu, no daemon %llu, timed out %llu, %.3f s; "
	       "daemon acks %lld", (unsigned long long)r.waits.waits,
	       (unsigned long long)r.waits.done, (unsigned long long)r.waits.no_daemon,
	       (unsigned long long)r.waits.timeouts, r.waits.wait_ns / 1e9, r.acks);
	if (r.placed_step == UINT64_MAX || r.over_budget || hit < 0.95 ||
	    r.checksum != self->reference)
		dmn_show_log(&d);
	EXPECT_NE(UINT64_MAX, r.placed_step);
	EXPECT_LT(0, r.samples);
	EXPECT_EQ(0, r.over_budget);
	/* Objects the plan does not know are born on the slow node. */
	TH_LOG("objects the plan does not know: %llu of %llu pages born fast",
	       (unsigned long long)r.stray_fast, (unsigned long long)r.stray_pages);
	EXPECT_LT(0, r.stray_pages);
	EXPECT_EQ(0, r.stray_fast);
	/* Every measured layer waited, and found its moves done. */
	EXPECT_EQ(0, r.waits.timeouts);
	EXPECT_LT(0, r.waits.done);
	EXPECT_LT(0, r.acks);
	/* The same bar on every kernel: the layers wait for their moves. */
	EXPECT_LE(0.95, hit);
	EXPECT_EQ(self->reference, r.checksum);
	/* The trainer's own view: the daemon's figures, its own waits. */
	TH_LOG("the trainer's own accounting: %llu updates, step %llu, promoted %llu B, "
	       "demoted %llu B, budget %llu, stalled %.3f s in %llu waits",
	       (unsigned long long)r.job.daemon_updates, (unsigned long long)r.job.step,
	       (unsigned long long)r.job.promoted_bytes,
	       (unsigned long long)r.job.demoted_bytes, (unsigned long long)r.job.budget,
	       r.job.wait_ns / 1e9, (unsigned long long)r.job.waits);
	EXPECT_TRUE(r.ok);
	EXPECT_LT(0, r.job.daemon_updates);
	EXPECT_LT(0, r.job.promoted_bytes);
	EXPECT_GE((unsigned long long)r.promoted, r.job.promoted_bytes);
	EXPECT_LT(0, r.job.budget);
	EXPECT_GE(budget, r.job.budget);
	EXPECT_EQ(r.waits.waits, r.job.waits);
	EXPECT_EQ(r.waits.wait_ns, r.job.wait_ns);
	free(stats);
}

/*
 * Placement hints across migrations: every object born on the slow node,
 * the first weight PIN_FAST, the last NEVER_PROMOTE (read in as many
 * layers as any other weight).  At every measured layer begin, once the
 * plan is placed, all of the pinned weight's pages are on node 0 and none
 * of the other's, while the daemon migrates the rest.
 */
TEST_F_TIMEOUT(mig, hints_honoured, 600)
{
	struct dmn d;
	struct result r;
	char *stats;

	ASSERT_LT(0, dmn_start(&d, "sentinel", false));
	ASSERT_EQ(0, train_run(&r, &(struct train_opts){ .daemon = true, .wait_moves = true,
							 .born_slow = true, .hints = true },
			       NULL, NULL));
	stats = dmn_stop(&d);
	TH_LOG("placed before step %llu; %llu samples: pinned not all fast %llu, "
	       "never-promoted on node 0 %llu; daemon: pinned %lld B, refused %lld, "
	       "promoted %lld B", (unsigned long long)r.placed_step,
	       (unsigned long long)r.hint_samples, (unsigned long long)r.pin_not_fast,
	       (unsigned long long)r.never_fast, r.pinned, r.pins_refused, r.promoted);
	if (r.placed_step == UINT64_MAX || r.pin_not_fast || r.never_fast)
		dmn_show_log(&d);
	EXPECT_TRUE(r.ok);
	EXPECT_NE(UINT64_MAX, r.placed_step);
	EXPECT_LT(0, r.hint_samples);
	EXPECT_EQ(0, r.pin_not_fast);
	EXPECT_EQ(0, r.never_fast);
	EXPECT_LE(OBJ, r.pinned);
	EXPECT_EQ(0, r.pins_refused);
	EXPECT_LT(0, r.promoted);
	EXPECT_EQ(0, r.waits.timeouts);
	EXPECT_EQ(self->reference, r.checksum);
	free(stats);
}

/*
 * A budget above the footprint: the sentinel plan has no moves, only the
 * placement's promotions of the objects born on the slow node.  The
 * daemon takes the session for the layers that wait for them, then
 * releases it: later layers do not wait for the daemon at all.
 */
TEST_F_TIMEOUT(mig, plan_without_moves_releases_the_marks, 600)
{
	uint64_t saved = budget;
	struct dmn d;
	struct result r;
	char *stats;

	budget = 2 * FOOTPRINT;
	ASSERT_LT(0, dmn_start(&d, "sentinel", false));
	budget = saved;
	ASSERT_EQ(0, train_run(&r, &(struct train_opts){ .daemon = true, .wait_moves = true,
							 .born_slow = true }, NULL, NULL));
	stats = dmn_stop(&d);
	TH_LOG("waits for moves: %llu, done %llu, no daemon %llu, timed out %llu; "
	       "daemon acks %lld, releases %lld, promoted %lld", (unsigned long long)r.waits.waits,
	       (unsigned long long)r.waits.done, (unsigned long long)r.waits.no_daemon,
	       (unsigned long long)r.waits.timeouts, r.acks, r.releases, r.promoted);
	if (r.placed_step == UINT64_MAX || r.releases < 1 || r.waits.timeouts)
		dmn_show_log(&d);
	EXPECT_NE(UINT64_MAX, r.placed_step);
	EXPECT_EQ(0, sess_num(stats, "plan_moves"));
	/*
	 * Each placement (a re-profile places again) takes the session for
	 * at most the layers of its step (3 NL marks) and releases it at the
	 * next layer with nothing due; only a placement at the last step
	 * begin may end unreleased.  Without releases the daemon would have
	 * acknowledged every mark since the first placement.
	 */
	EXPECT_LT(0, r.acks);
	EXPECT_LE(1, r.releases);
	EXPECT_GT(3 * NL * (r.releases + 1), r.acks);
	EXPECT_LT(0, r.promoted);
	EXPECT_EQ(0, r.waits.timeouts);
	EXPECT_LT(0, r.waits.no_daemon);
	EXPECT_EQ(self->reference, r.checksum);
	free(stats);
}

/* The two jobs' barrier at their ends: [i] is job i's pipe. */
struct pool_barrier {
	int fd[2][2];
	int me;
};

/*
 * At its end ('e', its session still open) a job waits for the other to
 * end too, so that neither leaves (giving the other a larger share)
 * while the other still measures.
 */
static int pool_meet(char point, pid_t child, void *arg)
{
	struct pool_barrier *b = arg;
	char c = 'e';

	(void)child;
	if (point != 'e')
		return 0;
	if (write(b->fd[1 - b->me][1], &c, 1) != 1 || read(b->fd[b->me][0], &c, 1) != 1)
		return -1;
	return 0;
}

/* In the cgroup @cg (created), train with @share; the result on @fd. */
static void pool_job(const char *cg, uint64_t share, struct pool_barrier *b, int fd)
{
	struct result r;
	char path[128], pid[16];

	snprintf(path, sizeof(path), "/sys/fs/cgroup/%s/cgroup.procs", cg);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	budget = share;		/* what sample() holds the job to */
	close(b->fd[b->me][1]);	/* EOF when the other job is gone */
	close(b->fd[1 - b->me][0]);
	if (sntl_write_file(path, pid) ||
	    train_run(&r, &(struct train_opts){ .daemon = true, .wait_moves = true,
						  .wait_end = true, .share = share },
		      pool_meet, b))
		r.ok = 0;
	if (write(fd, &r, sizeof(r)) != sizeof(r))
		_exit(2);
	_exit(0);
}

/*
 * Two jobs at once share a fast pool of one job's budget by weight: the
 * cgroups of the jobs weigh 3 and 1.  Each is planned with its share
 * (the first planned again when the second comes) and, once the plan of
 * its share is placed, its bytes on the fast node stay within the share
 * at every layer begin; the results are those of a run alone.  Neither
 * job closes its session before both have ended their steps.
 */
TEST_F_TIMEOUT(mig, pool_shared_by_weight, 900)
{
	static const char *const cg[2] = { "sntl-heavy", "sntl-light" };
	uint64_t pool = budget, share[2] = { pool * 3 / 4, pool / 4 };
	char conf[256], path[128];
	struct result r[2];
	struct dmn d;
	struct pool_barrier bar;
	pid_t pid[2];
	int p[2][2], replans;

	ASSERT_EQ(0, pool % 4);	/* shares of exactly 3/4 and 1/4 of it */
	if (access("/sys/fs/cgroup/cgroup.procs", W_OK))
		SKIP(return, "needs a writable cgroup v2 hierarchy");
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "/sys/fs/cgroup/%s", cg[i]);
		ASSERT_TRUE(!mkdir(path, 0755) || errno == EEXIST);
	}
	snprintf(conf, sizeof(conf), "fast_pool = %llu\nshare_weights = cgroup:/%s=3 cgroup:/%s=1\n",
		 (unsigned long long)pool, cg[0], cg[1]);
	dmn_extra_conf = conf;
	ASSERT_LT(0, dmn_start(&d, "sentinel", false));
	dmn_extra_conf = NULL;
	for (int i = 0; i < 2; i++)
		ASSERT_EQ(0, pipe(bar.fd[i]));
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, pipe(p[i]));
		pid[i] = fork();
		ASSERT_LE(0, pid[i]);
		if (!pid[i]) {
			bar.me = i;
			pool_job(cg[i], share[i], &bar, p[i][1]);
		}
		close(p[i][1]);
	}
	for (int i = 0; i < 2; i++) {
		close(bar.fd[i][0]);
		close(bar.fd[i][1]);
	}
	for (int i = 0; i < 2; i++) {
		int st;

		memset(&r[i], 0, sizeof(r[i]));
		EXPECT_EQ(sizeof(r[i]), read(p[i][0], &r[i], sizeof(r[i])));
		close(p[i][0]);
		EXPECT_EQ(pid[i], waitpid(pid[i], &st, 0));
		EXPECT_TRUE(WIFEXITED(st) && !WEXITSTATUS(st));
		TH_LOG("%s: share %llu of %llu B, placed before step %llu, most on node 0 %llu B, "
		       "%llu of %llu layer begins over the share", cg[i],
		       (unsigned long long)share[i], (unsigned long long)pool,
		       (unsigned long long)r[i].placed_step, (unsigned long long)r[i].max_fast,
		       (unsigned long long)r[i].over_budget, (unsigned long long)r[i].samples);
	}
	free(dmn_stop(&d));
	replans = dmn_log_count(&d, "its share of the fast pool is now");
	TH_LOG("sessions planned again for a new share: %d", replans);
	if (!r[0].ok || !r[1].ok || r[0].over_budget || r[1].over_budget || !replans)
		dmn_show_log(&d);
	/* The first planned had the pool alone until the second came. */
	EXPECT_LE(1, replans);
	for (int i = 0; i < 2; i++) {
		EXPECT_TRUE(r[i].ok);
		EXPECT_NE(UINT64_MAX, r[i].placed_step);
		EXPECT_LT(0, r[i].samples);
		EXPECT_EQ(0, r[i].over_budget);
		EXPECT_EQ(self->reference, r[i].checksum);
		snprintf(path, sizeof(path), "/sys/fs/cgroup/%s", cg[i]);
		rmdir(path);
	}
}

TEST_F_TIMEOUT(mig, daemon_killed_mid_step, 600)
{
	struct dmn d;
	struct result r;

	const struct train_opts o = { .daemon = true, .mid_step = STEPS - 2, .wait_mid = true };

	ASSERT_LT(0, dmn_start(&d, "sentinel", false));
	ASSERT_EQ(0, train_run(&r, &o, kill_daemon, &d.pid));
	EXPECT_EQ(-1, d.pid);
	EXPECT_EQ(STEPS, r.steps);
	EXPECT_EQ(self->reference, r.checksum);
}

TEST_F_TIMEOUT(mig, policies, 900)
{
	static const char *const pol[] = { "none", "first-touch", "static", "ial", "sentinel" };

	for (size_t i = 0; i < sizeof(pol) / sizeof(pol[0]); i++) {
		struct dmn d;
		struct result r;
		char *stats;
		double hit;
		long long steps;

		ASSERT_LT(0, dmn_start(&d, pol[i], false));
		(void)stats;
		/* "none" never places: it is measured from the same step */
		EXPECT_EQ(0, train_run(&r, &(struct train_opts){ .daemon = true }, NULL, NULL));
		stats = dmn_stop(&d);
		hit = r.touched ? (double)r.touched_fast / (double)r.touched : -1;
		steps = r.dsteps > 0 ? r.dsteps : 1;
		printf("# policy %-11s hit %.3f  max_fast %llu/%llu  over_budget %llu/%llu  "
		       "migrated %lld B/step (up %lld, down %lld over %lld steps)  late %lld  bw %lld B/s\n",
		       pol[i], hit, (unsigned long long)r.max_fast, (unsigned long long)budget,
		       (unsigned long long)r.over_budget, (unsigned long long)r.samples,
		       r.promoted >= 0 ? (r.promoted + r.demoted) / steps : -1,
		       r.promoted, r.demoted, r.dsteps, r.late, r.bw);
		EXPECT_EQ(self->reference, r.checksum);
		free(stats);
	}
}

TEST_HARNESS_MAIN
