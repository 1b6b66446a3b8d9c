// SPDX-License-Identifier: GPL-2.0
/*
 * sentinel-top in the VM: a small layered "training" on libsentinel
 * objects runs under sentineld with the sentinel policy while
 * `sentinel-top --json --pid <trainer> --steps N` records every step.
 * Each step ends quiescent (for a second, the daemon finishes no work
 * and the kernel migrates no page), and the trainer then reads the daemon's
 * own accounting of the step from its control socket.  Checked:
 *
 * - one record per step, in order, for the trainer's session;
 * - per step, promoted and demoted bytes equal the daemon's, to the page;
 * - per step, the pages attributed node to node add up to what the
 *   kernel's mm_migrate_pages reported for the trainer;
 * - the daemon did migrate both ways (so that the equalities say
 *   something);
 * - the scans and scanned pages of all records equal the growth of the
 *   module's statistics (stats/scans, stats/scan_pages) over the run;
 * - the trainer waits at every layer begin for its moves: per step, the
 *   record counts every wait the trainer made, its stall is no longer
 *   than the trainer measured, and the layers' stalls add up to it.
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

#define SENTINELD	DMN_BIN "/sentineld"
#define NL		8		/* layers */
#define OBJ		(32 * 1024)	/* bytes per object */
#define NDBL		(OBJ / 8)
#define STEPS		8

struct daemon_step {
	long long step, promoted, demoted;
	long long waits, wait_ns;	/* the trainer's own, so far */
};

/* Sum of @key over the records of a JSON line's "layers" array. */
static long long layers_sum(const char *line, const char *key)
{
	const char *p = strstr(line, "\"layers\":[");
	char pat[64];
	long long sum = 0;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	while (p && (p = strstr(p, pat))) {
		sum += strtoll(p + strlen(pat), NULL, 10);
		p += strlen(pat);
	}
	return sum;
}

static char ctl_path[96];

static long long sysfs_stat(const char *name)
{
	char path[128], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/kernel/sentinel/stats/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtoll(buf, NULL, 10);
}

static const char *first_session(const char *s)
{
	return s ? strstr(s, "\"migration_sessions\":[{") : NULL;
}

/* ---- the trainer (a child process) ---- */

static double *obj(enum sntl_kind kind)
{
	double *p = sntl_alloc(OBJ, kind, SNTL_LIFE_PERSISTENT);

	if (p)
		for (size_t k = 0; k < NDBL; k++)
			p[k] = (double)((k * 5 + (size_t)kind) % 11) / 11.0;
	return p;
}

static void layer(uint32_t id, enum sntl_dir dir, double *x, double *y, double *z)
{
	sntl_layer_begin(id, dir);
	for (int r = 0; r < 4; r++)
		for (size_t k = 0; k < NDBL; k++)
			z[k] = 0.5 * z[k] + 0.25 * x[k] + 0.125 * y[k];
	sntl_sleep_ms(10);
	sntl_layer_end(id, dir);
}

/* pgmigrate_success of /proc/vmstat: pages the kernel migrated so far. */
static long long vm_migrated(void)
{
	char line[128];
	long long v = -1;
	FILE *f = fopen("/proc/vmstat", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "pgmigrate_success %lld", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

/*
 * Wait until the daemon has seen step @step and nothing moves any more:
 * for one second, no work item of the daemon finished, its accounting of
 * the current step did not change and the kernel migrated no page.
 */
static void quiesce(long long step)
{
	long long prev[5] = { -2, -2, -2, -2, -2 };
	int stable = 0;

	sntl_sleep_ms(200);
	for (int t = 0; t < 400 && stable < 20; t++) {
		char *st = sntl_ctl(ctl_path, "stats");
		const char *s = first_session(st);
		const char *cur = s ? strstr(s, "\"current\":{") : NULL;
		long long now[5] = {
			sntl_json_num(s, "work_items"), sntl_json_num(cur, "promoted_bytes"),
			sntl_json_num(cur, "demoted_bytes"), sntl_json_num(cur, "late"), vm_migrated(),
		};

		if (!memcmp(now, prev, sizeof(now)) && sntl_json_num(s, "steps") >= step)
			stable++;
		else
			stable = 0;
		memcpy(prev, now, sizeof(now));
		free(st);
		sntl_sleep_ms(50);
	}
}

static void train(int go_fd, int out_fd)
{
	double *w[NL], *a[NL + 1], *g[NL], *o[NL];
	char c;

	/* Each layer waits for its moves: sentinel-top shows the stalls. */
	if (read(go_fd, &c, 1) != 1 ||
	    sntl_open(&(struct sntl_open_opts){ .size = sizeof(struct sntl_open_opts),
						.flags = SNTL_OPEN_WAIT_MOVES }))
		_exit(2);
	for (int i = 0; i < NL; i++)
		if (!(w[i] = obj(SNTL_KIND_WEIGHT)) || !(g[i] = obj(SNTL_KIND_GRADIENT)) ||
		    !(o[i] = obj(SNTL_KIND_OPTIMIZER)))
			_exit(3);
	for (int i = 0; i <= NL; i++)
		if (!(a[i] = obj(SNTL_KIND_ACTIVATION)))
			_exit(3);
	for (long long s = 1; s <= STEPS; s++) {
		struct daemon_step d = { .step = -1 };
		struct sntl_wait_stats ws;
		char *st;
		const char *cur;

		if (s == 3) {
			/* the plan, so that the later steps migrate */
			for (int t = 0; t < 200; t++) {
				char *p = sntl_ctl(ctl_path, "stats");
				bool planned = sntl_json_num(first_session(p), "planned") == 1;

				free(p);
				if (planned)
					break;
				sntl_sleep_ms(50);
			}
		}
		sntl_step_begin((uint64_t)s);
		for (int i = 0; i < NL; i++)
			layer((uint32_t)i, SNTL_DIR_FORWARD, w[i], a[i], a[i + 1]);
		for (int i = NL - 1; i >= 0; i--)
			layer((uint32_t)i, SNTL_DIR_BACKWARD, w[i], a[i], g[i]);
		for (int i = 0; i < NL; i++)
			layer((uint32_t)i, SNTL_DIR_OPTIMIZER, g[i], o[i], w[i]);
		sntl_step_end((uint64_t)s);
		quiesce(s);
		st = sntl_ctl(ctl_path, "stats");
		cur = first_session(st);
		cur = cur ? strstr(cur, "\"current\":{") : NULL;
		d.step = sntl_json_num(cur, "step");
		d.promoted = sntl_json_num(cur, "promoted_bytes");
		d.demoted = sntl_json_num(cur, "demoted_bytes");
		free(st);
		sntl_wait_stats(&ws);
		d.waits = (long long)ws.waits;
		d.wait_ns = (long long)ws.wait_ns;
		if (write(out_fd, &d, sizeof(d)) != sizeof(d))
			_exit(4);
	}
	sntl_close();
	_exit(0);
}

/* ---- helpers of the parent ---- */

static pid_t start_daemon(const char *dir, uint64_t budget)
{
	char conf[160], log[160];
	pid_t pid;

	snprintf(conf, sizeof(conf), "%s/sentineld.conf", dir);
	snprintf(log, sizeof(log), "%s/sentineld.log", dir);
	snprintf(ctl_path, sizeof(ctl_path), "%s/ctl.sock", dir);
	if (sntl_dmn_conf(conf, ctl_path, "sentinel", (unsigned long long)budget, false))
		return -1;
	pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fd, 1);
		dup2(fd, 2);
		unsetenv("NOTIFY_SOCKET");
		execl(SENTINELD, "sentineld", "--foreground", "--log=stderr", "--config",
		      conf, (char *)NULL);
		_exit(127);
	}
	for (int t = 0; t < 200; t++) {
		char *s = sntl_ctl(ctl_path, "ping");

		if (s) {
			free(s);
			return pid;
		}
		sntl_sleep_ms(50);
	}
	return pid;
}

/* sentinel-top on @trainer, stdout to @json; returns once it attached. */
static pid_t start_top(pid_t trainer, const char *json)
{
	char pidarg[16], steps[16], line[256];
	int err[2];
	pid_t pid;
	FILE *f;

	if (pipe(err))
		return -1;
	snprintf(pidarg, sizeof(pidarg), "%d", trainer);
	snprintf(steps, sizeof(steps), "%d", STEPS);
	pid = fork();
	if (pid == 0) {
		int fd = open(json, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fd, 1);
		dup2(err[1], 2);
		close(err[0]);
		execl(TOP_BIN, "sentinel-top", "--json", "--pid", pidarg, "--steps", steps,
		      "--duration", "400", (char *)NULL);
		_exit(127);
	}
	close(err[1]);
	f = fdopen(err[0], "r");
	while (f && fgets(line, sizeof(line), f)) {
		fprintf(stderr, "# %s", line);
		if (strstr(line, "attached")) {
			/* keep draining its stderr in the background */
			if (fork() == 0) {
				while (fgets(line, sizeof(line), f))
					fprintf(stderr, "# %s", line);
				_exit(0);
			}
			fclose(f);
			return pid;
		}
	}
	if (f)
		fclose(f);
	return -1;
}

static bool wait_exit(pid_t pid, int secs, int *status)
{
	for (int t = 0; t < secs * 20; t++) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return true;
		sntl_sleep_ms(50);
	}
	return false;
}

static void show_log(const char *path)
{
	char line[512];
	FILE *f = fopen(path, "r");
	int n = 0;

	while (f && fgets(line, sizeof(line), f) && n++ < 200)
		fprintf(stderr, "# log: %s", line);
	if (f)
		fclose(f);
}

FIXTURE(top) {
	char dir[64];
	pid_t daemon;
	char numa_balancing[16];
};

FIXTURE_SETUP(top)
{
	self->daemon = -1;
	if (access("/dev/sentinel", F_OK) ||
	    access("/sys/devices/system/node/node1", F_OK))
		SKIP(return, "needs the module and two NUMA nodes");
	if (access("/sys/kernel/btf/vmlinux", F_OK))
		SKIP(return, "sentinel-top needs the kernel's BTF (CONFIG_DEBUG_INFO_BTF)");
	ASSERT_EQ(0, sntl_knob("profile_warmup_steps", "1"));
	ASSERT_EQ(0, sntl_knob("profile_steps", "1"));
	ASSERT_EQ(0, sntl_knob("auto_profile", "1"));
	ASSERT_EQ(0, sntl_knob("steady_scan_interval", "1"));
	/*
	 * The kernel's NUMA balancing would move the trainer's pages too
	 * (towards its CPU's node): the comparison is of the daemon's moves.
	 */
	self->numa_balancing[0] = '\0';
	if (!sntl_numa_balancing(self->numa_balancing, sizeof(self->numa_balancing), false))
		ASSERT_EQ(0, sntl_numa_balancing("0", 2, true));
	snprintf(self->dir, sizeof(self->dir), "/tmp/sdtop-%d", getpid());
	ASSERT_EQ(0, mkdir(self->dir, 0755));
	/* a fast budget of 20% of the footprint */
	self->daemon = start_daemon(self->dir, (uint64_t)(4 * NL + 1) * OBJ / 5);
	ASSERT_LT(0, self->daemon);
}

FIXTURE_TEARDOWN(top)
{
	if (self->daemon > 0) {
		kill(self->daemon, SIGTERM);
		waitpid(self->daemon, NULL, 0);
	}
	if (self->numa_balancing[0])
		sntl_numa_balancing(self->numa_balancing, sizeof(self->numa_balancing), true);
}

TEST_F_TIMEOUT(top, json_matches_daemon_and_module, 600)
{
	struct daemon_step d[STEPS + 1] = { { 0 } };
	long long scans0, pages0, scans = 0, pages = 0, waits = 0;
	long long sum_prom = 0, sum_dem = 0;
	int go[2], res[2], st, n = 0;
	char json[128], line[65536], log[160];
	pid_t trainer, top;
	FILE *f;

	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(res));
	trainer = fork();
	ASSERT_LE(0, trainer);
	if (trainer == 0) {
		close(go[1]);
		close(res[0]);
		train(go[0], res[1]);
	}
	close(go[0]);
	close(res[1]);
	snprintf(json, sizeof(json), "%s/top.json", self->dir);
	snprintf(log, sizeof(log), "%s/sentineld.log", self->dir);
	top = start_top(trainer, json);
	ASSERT_LT(0, top) {
		kill(trainer, SIGKILL);
	}
	scans0 = sysfs_stat("scans");
	pages0 = sysfs_stat("scan_pages");
	ASSERT_EQ(1, write(go[1], "g", 1));
	for (int s = 1; s <= STEPS; s++)
		ASSERT_EQ(sizeof(d[s]), read(res[0], &d[s], sizeof(d[s])));
	ASSERT_TRUE(wait_exit(trainer, 60, &st));
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ASSERT_TRUE(wait_exit(top, 60, &st)) {
		kill(top, SIGKILL);
		waitpid(top, NULL, 0);
	}
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	scans0 = sysfs_stat("scans") - scans0;
	pages0 = sysfs_stat("scan_pages") - pages0;

	f = fopen(json, "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		long long step = sntl_json_num(line, "step");
		long long prom = sntl_json_num(line, "promoted_bytes");
		long long dem = sntl_json_num(line, "demoted_bytes");
		long long pp = sntl_json_num(line, "promoted_pages");
		long long dp = sntl_json_num(line, "demoted_pages");
		long long op = sntl_json_num(line, "other_pages");
		long long up = sntl_json_num(line, "unknown_pages");
		long long mp = sntl_json_num(line, "migrated_pages");

		n++;
		TH_LOG("step %lld: top promoted %lld demoted %lld (kernel %lld pages), daemon %lld/%lld",
		       step, prom, dem, mp, n <= STEPS ? d[n].promoted : -1,
		       n <= STEPS ? d[n].demoted : -1);
		if (n > STEPS)
			continue;
		EXPECT_EQ(n, step);
		EXPECT_EQ(trainer, sntl_json_num(line, "pid"));
		EXPECT_EQ(d[n].step, step);
		if ((d[n].promoted > prom || d[n].demoted > dem) &&
		    mp * 4096 == prom + dem)
			TH_LOG("step %lld: the daemon counts %lld B more than the kernel migrated "
			       "for pid %d (pages already on the target node, which move_pages(2) "
			       "reports with that node as their status?)", step,
			       d[n].promoted + d[n].demoted - prom - dem, trainer);
		EXPECT_EQ(d[n].promoted, prom);
		EXPECT_EQ(d[n].demoted, dem);
		EXPECT_EQ(mp, pp + dp + op + up);
		EXPECT_EQ(0, up);
		/* Every wait of the step, no longer than the trainer measured. */
		EXPECT_EQ(d[n].waits - d[n - 1].waits, sntl_json_num(line, "waits"));
		EXPECT_GE(d[n].wait_ns - d[n - 1].wait_ns, sntl_json_num(line, "stall_ns"));
		EXPECT_EQ(sntl_json_num(line, "waits"), layers_sum(line, "waits"));
		EXPECT_EQ(sntl_json_num(line, "stall_ns"), layers_sum(line, "stall_ns"));
		waits += sntl_json_num(line, "waits");
		sum_prom += prom;
		sum_dem += dem;
		scans += sntl_json_num(line, "scans");
		pages += sntl_json_num(line, "scan_pages");
	}
	fclose(f);
	EXPECT_EQ(STEPS, n);
	EXPECT_EQ(d[STEPS].waits, waits);
	EXPECT_EQ(3 * NL * STEPS, waits);
	EXPECT_LT(0, sum_prom);
	EXPECT_LT(0, sum_dem);
	EXPECT_LT(0, scans);
	EXPECT_EQ(scans0, scans);
	EXPECT_EQ(pages0, pages);
	TH_LOG("%d records; promoted %lld demoted %lld B; scans %lld (module %lld), pages %lld (module %lld)",
	       n, sum_prom, sum_dem, scans, scans0, pages, pages0);
	if (_metadata->exit_code)
		show_log(log);
}

TEST_HARNESS_MAIN
