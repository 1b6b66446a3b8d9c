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
 * killing the daemon in the middle of a step changes nothing either.
 * The per-policy figures are printed as TAP comments.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "sntl_daemon.h"

#include "sentinel.h"		/* libsentinel */

#define SENTINEL_DEVICE "/dev/sentinel"

#define SENTINELD DMN_BIN "/sentineld"

#define NL	8		/* layers */
#define OBJ	(32 * 1024)	/* bytes per object */
#define NDBL	(OBJ / 8)
#define ROUNDS	6
#define STEPS	12
#define MEASURE_FROM 2		/* steps after placement before measuring */

struct result {
	uint64_t checksum;
	uint64_t touched, touched_fast;	/* measured steps */
	uint64_t max_fast, over_budget, samples;
	uint64_t placed_step, steps;
	long long promoted, demoted, late, dsteps, bw;	/* the daemon's, at the end */
	int ok;
};

struct net {
	double *w[NL], *a[NL + 1], *g[NL], *o[NL];
	uint64_t id_w[NL], id_a[NL + 1], id_g[NL], id_o[NL];
};

static const char *ctl_sock;
static uint64_t budget;

/* ---- control socket of the daemon ---- */

/* The number after "key": in the first migration session of @s. */
static long long sess_num(const char *s, const char *key)
{
	return sntl_json_num(s ? strstr(s, "\"migration_sessions\":[") : NULL, key);
}

/* Sum of @key in the "total" and "current" steps of the first session. */
static long long acct_num(const char *s, const char *key)
{
	const char *p = s ? strstr(s, "\"migration_sessions\":[") : NULL;
	long long sum = 0;
	char pat[64];

	if (!p)
		return -1;
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	for (int i = 0; i < 2; i++) {
		const char *q = strstr(p, i ? "\"total\":{" : "\"current\":{");

		q = q ? strstr(q, pat) : NULL;
		if (!q)
			return -1;
		sum += strtoll(q + strlen(pat), NULL, 10);
	}
	return sum;
}

/* ---- the "training" ---- */

static double *alloc_obj(enum sntl_kind kind, uint64_t *id)
{
	double *p = sntl_alloc(OBJ, kind, SNTL_LIFE_PERSISTENT);
	struct sntl_alloc_info ai;

	if (!p)
		return NULL;
	for (size_t k = 0; k < NDBL; k++)
		p[k] = (double)((k * 7 + (uintptr_t)kind) % 13) / 13.0;
	if (sntl_alloc_info(p, &ai))
		return NULL;
	*id = ai.object_id;
	return p;
}

static int net_alloc(struct net *n)
{
	for (int i = 0; i < NL; i++) {
		if (!(n->w[i] = alloc_obj(SNTL_KIND_WEIGHT, &n->id_w[i])) ||
		    !(n->g[i] = alloc_obj(SNTL_KIND_GRADIENT, &n->id_g[i])) ||
		    !(n->o[i] = alloc_obj(SNTL_KIND_OPTIMIZER, &n->id_o[i])))
			return -1;
	}
	for (int i = 0; i <= NL; i++)
		if (!(n->a[i] = alloc_obj(SNTL_KIND_ACTIVATION, &n->id_a[i])))
			return -1;
	return 0;
}

/* Residency at a layer begin: the layer's objects, and the whole session. */
static void sample(struct result *r, const uint64_t *ids, int nids, bool measure)
{
	struct sntl_obj_info info[3], all[64];
	struct sntl_cursor cur = SNTL_CURSOR_INIT;
	uint64_t fast = 0;
	int n;

	if (!measure)
		return;
	if (!sntl_query(ids, (size_t)nids, info, SNTL_QUERY_RESIDENCY, NULL))
		for (int i = 0; i < nids; i++) {
			r->touched += info[i].present_pages;
			r->touched_fast += info[i].node_pages[0];
		}
	while ((n = sntl_query_next(&cur, all, 64, SNTL_QUERY_RESIDENCY)) > 0)
		for (int i = 0; i < n; i++)
			fast += all[i].node_pages[0] * 4096;
	if (fast > r->max_fast)
		r->max_fast = fast;
	if (fast > budget)
		r->over_budget++;
	r->samples++;
}

static void layer(uint32_t id, enum sntl_dir dir, double *x, double *y, double *z,
		  const uint64_t *ids, struct result *r, bool measure, int kill_fd)
{
	sntl_layer_begin(id, dir);
	sample(r, ids, 3, measure);
	if (kill_fd >= 0 && dir == SNTL_DIR_BACKWARD && id == 1) {
		/* the parent kills the daemon now, in the middle of the step */
		char c = 'k';

		if (write(kill_fd, &c, 1) != 1 || read(kill_fd, &c, 1) != 1)
			r->ok = 0;
	}
	for (int rd = 0; rd < ROUNDS; rd++)
		for (size_t k = 0; k < NDBL; k++)
			z[k] = 0.5 * z[k] + 0.25 * x[k] + 0.125 * y[k] + 1e-3 * (double)rd;
	sntl_sleep_ms(30);	/* the layer's device time: migrations hide under it */
	sntl_layer_end(id, dir);
}

static uint64_t checksum(const struct net *n)
{
	uint64_t h = 1469598103934665603ULL;
	const double *bufs[4 * NL + 1];
	int nb = 0;

	for (int i = 0; i < NL; i++) {
		bufs[nb++] = n->w[i];
		bufs[nb++] = n->g[i];
		bufs[nb++] = n->o[i];
	}
	for (int i = 0; i <= NL; i++)
		bufs[nb++] = n->a[i];
	for (int b = 0; b < nb; b++)
		for (size_t k = 0; k < NDBL; k++) {
			uint64_t v;

			memcpy(&v, &bufs[b][k], 8);
			h = (h ^ v) * 1099511628211ULL;
		}
	return h;
}

/* The child: a session, the objects, STEPS steps. */
static void train(int out_fd, int kill_fd, bool daemon)
{
	struct result r = { .ok = 1, .placed_step = UINT64_MAX };
	bool waited = false;
	struct net n;

	if (sntl_open(NULL) || net_alloc(&n)) {
		r.ok = 0;
		goto out;
	}
	for (uint64_t s = 1; s <= STEPS; s++) {
		bool measure, planned = false;

		if (daemon && !waited && s > 2) {
			waited = true;
			/* wait for the plan (the daemon runs async) */
			for (int t = 0; t < 200 && !planned; t++) {
				char *st = sntl_ctl(ctl_sock, "stats");

				planned = sess_num(st, "planned") == 1;
				free(st);
				if (!planned)
					sntl_sleep_ms(50);
			}
		}
		sntl_step_begin(s);
		if (planned) {
			/*
			 * The plan is placed at this step's begin: measure from
			 * the daemon having placed it, not from it being planned.
			 */
			for (int t = 0; t < 200; t++) {
				char *st = sntl_ctl(ctl_sock, "stats");
				long long placed = sess_num(st, "placed");

				free(st);
				if (placed == 1) {
					r.placed_step = s;
					break;
				}
				sntl_sleep_ms(50);
			}
		}
		measure = daemon && s >= (r.placed_step == UINT64_MAX ? 3 : r.placed_step) +
					     MEASURE_FROM;
		for (int i = 0; i < NL; i++) {
			uint64_t ids[3] = { n.id_w[i], n.id_a[i], n.id_a[i + 1] };

			layer((uint32_t)i, SNTL_DIR_FORWARD, n.w[i], n.a[i], n.a[i + 1], ids,
			      &r, measure, s == STEPS - 2 ? kill_fd : -1);
		}
		for (int i = NL - 1; i >= 0; i--) {
			uint64_t ids[3] = { n.id_w[i], n.id_a[i], n.id_g[i] };

			layer((uint32_t)i, SNTL_DIR_BACKWARD, n.w[i], n.a[i], n.g[i], ids,
			      &r, measure, s == STEPS - 2 ? kill_fd : -1);
		}
		for (int i = 0; i < NL; i++) {
			uint64_t ids[3] = { n.id_w[i], n.id_g[i], n.id_o[i] };

			layer((uint32_t)i, SNTL_DIR_OPTIMIZER, n.g[i], n.o[i], n.w[i], ids,
			      &r, measure, -1);
		}
		sntl_step_end(s);
		r.steps = s;
	}
	r.checksum = checksum(&n);
	if (daemon) {
		char *st;

		sntl_sleep_ms(200);	/* let the last migrations finish */
		st = sntl_ctl(ctl_sock, "stats");
		r.promoted = acct_num(st, "promoted_bytes");
		r.demoted = acct_num(st, "demoted_bytes");
		r.late = acct_num(st, "late");
		r.dsteps = sess_num(st, "steps");
		r.bw = sess_num(st, "bw");
		free(st);
	}
out:
	if (write(out_fd, &r, sizeof(r)) != sizeof(r))
		_exit(2);
	_exit(0);
}

static int run(struct result *r, bool daemon, pid_t kill_pid)
{
	int p[2], k[2] = { -1, -1 }, st;
	pid_t pid;

	if (pipe(p) || (kill_pid > 0 && socketpair(AF_UNIX, SOCK_STREAM, 0, k)))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		if (k[0] >= 0)
			close(k[0]);
		train(p[1], k[1], daemon);
	}
	close(p[1]);
	if (kill_pid > 0) {
		char c;

		close(k[1]);
		if (read(k[0], &c, 1) == 1) {
			kill(kill_pid, SIGKILL);
			waitpid(kill_pid, NULL, 0);
			if (write(k[0], &c, 1) != 1)
				return -1;
		}
		close(k[0]);
	}
	memset(r, 0, sizeof(*r));
	if (read(p[0], r, sizeof(*r)) != sizeof(*r))
		r->ok = 0;
	close(p[0]);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		return -1;
	return r->ok ? 0 : -1;
}

/* ---- daemon ---- */

struct dmn {
	char dir[64], conf[128], sock[128], log[128];
	pid_t pid;
};

static pid_t dmn_start(struct dmn *d, const char *policy, bool verify)
{
	char text[512];
	FILE *f;
	pid_t pid;

	snprintf(d->dir, sizeof(d->dir), "/tmp/sdmig-%s-%d", policy, getpid());
	mkdir(d->dir, 0755);
	snprintf(d->conf, sizeof(d->conf), "%s/sentineld.conf", d->dir);
	snprintf(d->sock, sizeof(d->sock), "%s/ctl.sock", d->dir);
	snprintf(d->log, sizeof(d->log), "%s/log", d->dir);
	snprintf(text, sizeof(text),
		 "control_socket = %s\nlog_level = info\npolicy = %s\n"
		 "fast_nodes = 0\nslow_nodes = 1\nfast_budget = %llu\nverify = %s\n",
		 d->sock, policy, (unsigned long long)budget, verify ? "on" : "off");
	f = fopen(d->conf, "w");
	if (!f)
		return -1;
	fputs(text, f);
	fclose(f);
	pid = fork();
	if (pid == 0) {
		int fd = open(d->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fd, 1);
		dup2(fd, 2);
		unsetenv("NOTIFY_SOCKET");
		execl(SENTINELD, "sentineld", "--foreground", "--log=stderr",
		      "--config", d->conf, (char *)NULL);
		_exit(127);
	}
	d->pid = pid;
	ctl_sock = d->sock;
	for (int t = 0; t < 200; t++) {
		char *s = sntl_ctl(d->sock, "ping");

		if (s) {
			free(s);
			return pid;
		}
		sntl_sleep_ms(50);
	}
	return pid;
}

static char *dmn_stop(struct dmn *d)
{
	char *stats = sntl_ctl(d->sock, "stats");

	if (d->pid > 0) {
		kill(d->pid, SIGTERM);
		waitpid(d->pid, NULL, 0);
	}
	d->pid = -1;
	return stats;
}

static void dmn_show_log(struct dmn *d)
{
	char line[512];
	FILE *f = fopen(d->log, "r");
	int n = 0;

	while (f && fgets(line, sizeof(line), f))
		if (n++ < 400)
			fprintf(stderr, "# log: %s", line);
	if (f)
		fclose(f);
}

static bool two_nodes(void)
{
	return access("/sys/devices/system/node/node1", F_OK) == 0;
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
	ASSERT_EQ(0, sntl_knob("profile_warmup_steps", "1"));
	sntl_knob("profile_steps", "1");
	sntl_knob("auto_profile", "1");
	sntl_knob("steady_scan_interval", "1");
	/* Only the daemon moves pages: not the kernel's NUMA balancing. */
	self->numa_balancing[0] = '\0';
	if (!sntl_numa_balancing(self->numa_balancing, sizeof(self->numa_balancing), false))
		ASSERT_EQ(0, sntl_numa_balancing("0", 2, true));
	budget = (uint64_t)(4 * NL + 1) * OBJ / 5;	/* 20% of the footprint */
	ASSERT_EQ(0, run(&r, false, 0));
	self->reference = r.checksum;
	TH_LOG("footprint %d bytes, budget %llu", (4 * NL + 1) * OBJ,
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
	ASSERT_EQ(0, run(&r, true, 0));
	stats = dmn_stop(&d);
	hit = r.touched ? (double)r.touched_fast / (double)r.touched : 0;
	TH_LOG("placed before step %llu; %llu samples, max fast %llu of %llu, hit %.3f",
	       (unsigned long long)r.placed_step, (unsigned long long)r.samples,
	       (unsigned long long)r.max_fast, (unsigned long long)budget, hit);
	TH_LOG("daemon: promoted %lld demoted %lld B over %lld steps, late %lld, bw %lld",
	       r.promoted, r.demoted, r.dsteps, r.late, r.bw);
	if (r.placed_step == UINT64_MAX || r.over_budget || hit < 0.95 ||
	    r.checksum != self->reference)
		dmn_show_log(&d);
	EXPECT_NE(UINT64_MAX, r.placed_step);
	EXPECT_LT(0, r.samples);
	EXPECT_EQ(0, r.over_budget);
	/*
	 * A debug kernel (kmemleak present: KASAN, lockdep...) migrates at
	 * a few MB/s under TCG, far below what the plan assumes: there the
	 * bound says nothing about the migrator, the other checks still do.
	 */
	if (access("/sys/kernel/debug/kmemleak", F_OK)) {
		EXPECT_LE(0.95, hit);
	} else {
		TH_LOG("debug kernel: hit ratio %.3f not held to 0.95 (bandwidth %lld B/s)",
		       hit, r.bw);
	}
	EXPECT_EQ(self->reference, r.checksum);
	free(stats);
}

TEST_F_TIMEOUT(mig, daemon_killed_mid_step, 600)
{
	struct dmn d;
	struct result r;

	ASSERT_LT(0, dmn_start(&d, "sentinel", false));
	ASSERT_EQ(0, run(&r, true, d.pid));
	d.pid = -1;
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
		EXPECT_EQ(0, run(&r, true, 0));
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
