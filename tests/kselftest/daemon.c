// SPDX-License-Identifier: GPL-2.0
/*
 * sentineld and sentinelctl in the VM: command line and configuration
 * errors, sd_notify, starting before the module and surviving rmmod and
 * insmod, state kept from events equal to a fresh dump (also after a
 * SIGKILL and restart in the middle of a training-like run), event
 * overflow with a tiny socket buffer, SIGHUP reloads, sentinelctl's
 * error messages, and sentinelctl doctor on a healthy and a broken VM.
 */
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <poll.h>
#include <time.h>

#include "sntl_test.h"
#include "kselftest_harness.h"
#include "sntl_daemon.h"

#include "json.h"
#include "nl.h"
#include "state.h"
#include "sync.h"

#define SENTINELD DMN_BIN "/sentineld"
#define SENTINELCTL DMN_BIN "/sentinelctl"

struct dmn {
	char dir[64];
	char conf[128];
	char sock[128];
	char log[128];
	pid_t pid;
};

static void dmn_init(struct dmn *d, const char *tag)
{
	snprintf(d->dir, sizeof(d->dir), "/tmp/sdtest-%s-%d", tag, getpid());
	mkdir(d->dir, 0755);
	snprintf(d->conf, sizeof(d->conf), "%s/sentineld.conf", d->dir);
	snprintf(d->sock, sizeof(d->sock), "%s/ctl.sock", d->dir);
	snprintf(d->log, sizeof(d->log), "%s/log", d->dir);
	d->pid = -1;
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static void dmn_config(struct dmn *d, const char *extra)
{
	char buf[1024];

	snprintf(buf, sizeof(buf),
		 "# test configuration\ncontrol_socket = %s\nlog_level = debug\n%s",
		 d->sock, extra ? extra : "");
	write_file(d->conf, buf);
}

/*
 * Start sentineld in the foreground, its output in d->log; @shipped: as
 * its unit runs it, with only the unit's three capabilities.
 */
static pid_t dmn_spawn(struct dmn *d, const char *notify, bool shipped)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd < 0)
			_exit(126);
		dup2(fd, 1);
		dup2(fd, 2);
		if (notify)
			setenv("NOTIFY_SOCKET", notify, 1);
		else
			unsetenv("NOTIFY_SOCKET");
		if (shipped)
			execlp("setpriv", "setpriv", "--bounding-set",
			       "-all,+net_admin,+sys_nice,+sys_ptrace", SENTINELD,
			       "--foreground", "--log=stderr", "--config", d->conf,
			       (char *)NULL);
		else
			execl(SENTINELD, "sentineld", "--foreground", "--log=stderr",
			      "--config", d->conf, (char *)NULL);
		_exit(127);
	}
	d->pid = pid;
	return pid;
}

static pid_t dmn_start(struct dmn *d, const char *notify)
{
	return dmn_spawn(d, notify, false);
}

static int wait_status(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int dmn_stop(struct dmn *d)
{
	int r;

	if (d->pid <= 0)
		return -1;
	kill(d->pid, SIGTERM);
	r = wait_status(d->pid);
	d->pid = -1;
	return r;
}

static void dmn_show_log(struct dmn *d)
{
	char line[512];
	FILE *f = fopen(d->log, "r");

	while (f && fgets(line, sizeof(line), f))
		fprintf(stderr, "# log: %s", line);
	if (f)
		fclose(f);
}

/* A counter of the daemon ("status"), -1 if unreachable. */
static long dmn_counter(struct dmn *d, const char *key)
{
	char *r = sntl_ctl(d->sock, "status");
	long v = (long)sntl_json_num(r, key);

	free(r);
	return v;
}

/* Wait up to @ms for counter @key to reach @want. */
static bool dmn_wait(struct dmn *d, const char *key, long want, int ms)
{
	for (int t = 0; t < ms; t += 50) {
		if (dmn_counter(d, key) == want)
			return true;
		sntl_sleep_ms(50);
	}
	fprintf(stderr, "# %s never became %ld\n", key, want);
	dmn_show_log(d);
	return false;
}

/* A fresh dump, in the daemon's canonical reply format. */
static char *fresh_canonical(void)
{
	struct sd_state st;
	struct jbuf b;
	struct snl c;

	if (snl_open(&c))
		return NULL;
	if (sync_all(&c, &st)) {
		snl_close(&c);
		return NULL;
	}
	snl_close(&c);
	jb_init(&b);
	jb_obj_begin(&b, NULL);
	jb_bool(&b, "ok", true);
	state_json(&st, &b, true, true);
	jb_obj_end(&b);
	jb_raw(&b, "\n", 1);
	state_clear(&st);
	return b.s;
}

/* Wait until the daemon's view equals a fresh dump. */
static bool dmn_converges(struct dmn *d, int ms)
{
	char *a = NULL, *b = NULL;
	bool same = false;

	for (int t = 0; t < ms && !same; t += 100) {
		free(a);
		free(b);
		a = sntl_ctl(d->sock, "canonical");
		b = fresh_canonical();
		same = a && b && !strcmp(a, b);
		if (!same)
			sntl_sleep_ms(100);
	}
	if (!same) {
		fprintf(stderr, "# daemon: %.600s\n# dump:   %.600s\n", a ? a : "(none)",
			b ? b : "(none)");
		dmn_show_log(d);
	}
	free(a);
	free(b);
	return same;
}

static const char *module_path(void)
{
	static char path[256];
	const char *env = getenv("SENTINEL_KO");
	struct utsname u;

	if (env && *env)
		return env;
	uname(&u);
	snprintf(path, sizeof(path), DMN_BIN "/../kmod/%s/sentinel.ko", u.release);
	return path;
}

static bool module_loaded(void)
{
	return access("/sys/kernel/sentinel", F_OK) == 0;
}

static int rmmod(void)
{
	return system("rmmod sentinel 2>/dev/null");
}

static int insmod(void)
{
	char cmd[512];

	if (module_loaded())
		return 0;
	snprintf(cmd, sizeof(cmd), "insmod %s", module_path());
	return system(cmd);
}

/* Run a command, its stdout+stderr into @out; the exit status. */
static int run(char *out, size_t len, const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	FILE *p;
	size_t n = 0;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	strncat(cmd, " 2>&1", sizeof(cmd) - strlen(cmd) - 1);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	out[0] = '\0';
	while (n + 1 < len) {
		size_t r = fread(out + n, 1, len - 1 - n, p);

		if (!r)
			break;
		n += r;
	}
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/*
 * A training-like process: registers weights once, then per step
 * allocates and frees activations, and marks step and layer boundaries.
 * Runs @steps steps (0: until killed), then says "done" on @done_fd and
 * waits to be killed, keeping its session open.  Exits non-zero on any
 * error: the daemon must never disturb it.
 */
static pid_t trainer(int steps, int layers, int done_fd)
{
	pid_t pid = fork();

	if (pid == 0) {
		enum { W = 32, A = 16 };
		char *wmem = sntl_map(W * PAGE), *amem = sntl_map(A * PAGE);
		char *smem = sntl_map(4 * PAGE);
		struct sentinel_obj o[A];
		uint64_t ids[A];
		int fd = sntl_open();

		if (fd < 0 || !wmem || !amem || !smem)
			_exit(20);
		for (int i = 0; i < W; i++)
			if (sntl_register1(fd, wmem + i * PAGE, PAGE, 1000000 + i))
				_exit(21);
		for (int s = 1; !steps || s <= steps; s++) {
			if (sntl_mark(fd, SENTINEL_MARK_STEP_BEGIN, 0, 0, s))
				_exit(22);
			for (int l = 0; l < layers; l++) {
				if (sntl_mark(fd, SENTINEL_MARK_LAYER_BEGIN, SENTINEL_DIR_FORWARD, l, 0))
					_exit(23);
				o[l % A] = sntl_obj(amem + (l % A) * PAGE, PAGE,
						    (uint64_t)s * 1000 + l, SENTINEL_KIND_ACTIVATION);
				ids[l % A] = o[l % A].id;
				if (l % A == A - 1 || l == layers - 1) {
					int n = l % A + 1;

					if (sntl_register_n(fd, o, n, NULL) ||
					    sntl_unregister_n(fd, ids, n, NULL))
						_exit(24);
				}
				if (sntl_mark(fd, SENTINEL_MARK_LAYER_END, SENTINEL_DIR_FORWARD, l, 0))
					_exit(25);
			}
			/* Keep one activation per step alive for four steps. */
			if (s > 4) {
				uint64_t old = 2000000 + s - 4;

				if (sntl_unregister_n(fd, &old, 1, NULL))
					_exit(29);
			}
			if (sntl_register1(fd, smem + (s % 4) * PAGE, PAGE, 2000000 + s))
				_exit(26);
			if (sntl_mark(fd, SENTINEL_MARK_STEP_END, 0, 0, s))
				_exit(27);
		}
		if (write(done_fd, "d", 1) != 1)
			_exit(28);
		pause();
		_exit(0);
	}
	return pid;
}

static int trainer_stop(pid_t pid)
{
	int st;

	kill(pid, SIGTERM);
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	/* Killed by our SIGTERM while waiting: a clean run. */
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM ? 0 :
	       WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static bool wait_readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) > 0;
}

TEST(usage_and_version)
{
	char out[4096];

	EXPECT_EQ(run(out, sizeof(out), SENTINELD " --version"), 0);
	EXPECT_NE(strstr(out, SENTINEL_VERSION_STRING), NULL);
	EXPECT_EQ(run(out, sizeof(out), SENTINELD " --help"), 0);
	EXPECT_NE(strstr(out, "--config"), NULL);
	EXPECT_EQ(run(out, sizeof(out), SENTINELD " --bogus"), 2);
	EXPECT_NE(strstr(out, "usage:"), NULL);
	EXPECT_EQ(run(out, sizeof(out), SENTINELD " --log=syslog"), 2);
	EXPECT_EQ(run(out, sizeof(out), SENTINELD " extra"), 2);
	EXPECT_EQ(run(out, sizeof(out), SENTINELCTL " --bogus"), 2);
	EXPECT_EQ(run(out, sizeof(out), SENTINELCTL " frobnicate"), 2);
	EXPECT_EQ(run(out, sizeof(out), SENTINELCTL " objects"), 2);
	EXPECT_EQ(run(out, sizeof(out), SENTINELCTL " objects abc"), 2);
	EXPECT_EQ(run(out, sizeof(out), SENTINELCTL " --version"), 0);
}

TEST(bad_config_starts_nothing)
{
	struct dmn d;
	char out[4096];

	dmn_init(&d, "badconf");
	write_file(d.conf, "policy = sentinel\nfast_budget = 12Q\n");
	EXPECT_EQ(run(out, sizeof(out), SENTINELD " -f --log=stderr -c %s", d.conf), 1);
	EXPECT_NE(strstr(out, "sentineld.conf:2:"), NULL) TH_LOG("%s", out);
	EXPECT_NE(access(d.sock, F_OK), 0);
	/* A missing explicit file is an error too. */
	EXPECT_EQ(run(out, sizeof(out), SENTINELD " -f -c %s/nope.conf", d.dir), 1);
	EXPECT_NE(strstr(out, "nope.conf"), NULL);
	/* --check-config prints the result. */
	dmn_config(&d, "fast_budget = 25%\nmigration_threads = 3\n");
	EXPECT_EQ(run(out, sizeof(out), SENTINELD " --check-config -c %s", d.conf), 0);
	EXPECT_NE(strstr(out, "fast_budget = 25%"), NULL) TH_LOG("%s", out);
	EXPECT_NE(strstr(out, "migration_threads = 3"), NULL);
}

TEST(notify_ready_and_stopping)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct dmn d;
	char msg[512];
	ssize_t n;
	int fd;

	dmn_init(&d, "notify");
	dmn_config(&d, NULL);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify", d.dir);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	dmn_start(&d, sa.sun_path);
	do {
		ASSERT_TRUE(wait_readable(fd, 10000));
		n = recv(fd, msg, sizeof(msg) - 1, 0);
		ASSERT_GT(n, 0);
		msg[n] = '\0';
	} while (!strstr(msg, "READY=1"));
	kill(d.pid, SIGTERM);
	do {
		ASSERT_TRUE(wait_readable(fd, 10000));
		n = recv(fd, msg, sizeof(msg) - 1, 0);
		ASSERT_GT(n, 0);
		msg[n] = '\0';
	} while (!strstr(msg, "STOPPING=1"));
	EXPECT_EQ(wait_status(d.pid), 0);
	/* The socket file is gone with the daemon. */
	EXPECT_NE(access(d.sock, F_OK), 0);
	close(fd);
}

TEST(module_comes_and_goes)
{
	struct dmn d;
	char out[4096];

	dmn_init(&d, "module");
	dmn_config(&d, NULL);
	ASSERT_EQ(rmmod(), 0);
	ASSERT_FALSE(module_loaded());

	/* sentinelctl without the module: one clear line, non-zero. */
	EXPECT_EQ(run(out, sizeof(out), SENTINELCTL " sessions"), 1);
	EXPECT_NE(strstr(out, "not loaded"), NULL) TH_LOG("%s", out);
	EXPECT_EQ(run(out, sizeof(out), SENTINELCTL " --socket %s status", d.sock), 3);

	dmn_start(&d, NULL);
	ASSERT_TRUE(dmn_wait(&d, "connected", 0, 10000));
	EXPECT_EQ(run(out, sizeof(out), SENTINELCTL " --socket %s status", d.sock), 3);
	EXPECT_NE(strstr(out, "waiting for the module"), NULL) TH_LOG("%s", out);

	ASSERT_EQ(insmod(), 0);
	EXPECT_TRUE(dmn_wait(&d, "connected", 1, 10000));
	EXPECT_EQ(dmn_counter(&d, "module_appeared"), 1);

	/* rmmod and insmod while it runs. */
	ASSERT_EQ(rmmod(), 0);
	EXPECT_TRUE(dmn_wait(&d, "connected", 0, 10000));
	ASSERT_EQ(insmod(), 0);
	EXPECT_TRUE(dmn_wait(&d, "connected", 1, 10000));
	EXPECT_EQ(dmn_counter(&d, "module_appeared"), 2);
	EXPECT_EQ(dmn_counter(&d, "module_gone"), 1);
	EXPECT_TRUE(dmn_converges(&d, 10000));
	EXPECT_EQ(dmn_stop(&d), 0);
	insmod();
}

TEST(state_follows_events_and_survives_sigkill)
{
	struct dmn d;
	int done[2];
	pid_t t;
	char c;

	ASSERT_EQ(insmod(), 0);
	dmn_init(&d, "state");
	dmn_config(&d, NULL);
	dmn_start(&d, NULL);
	ASSERT_TRUE(dmn_wait(&d, "connected", 1, 10000));

	/* A short run, then compare. */
	ASSERT_EQ(pipe(done), 0);
	t = trainer(20, 24, done[1]);
	ASSERT_TRUE(wait_readable(done[0], 60000));
	ASSERT_EQ(read(done[0], &c, 1), 1);
	EXPECT_TRUE(dmn_converges(&d, 10000));
	EXPECT_EQ(dmn_counter(&d, "gaps"), 0);
	EXPECT_EQ(dmn_counter(&d, "bad_events"), 0);
	EXPECT_GT(dmn_counter(&d, "events"), 20 * 24);
	EXPECT_EQ(trainer_stop(t), 0);
	EXPECT_TRUE(dmn_converges(&d, 10000));

	/* SIGKILL in the middle of a run, restart: same state as a dump. */
	t = trainer(200, 24, done[1]);
	sntl_sleep_ms(300);
	kill(d.pid, SIGKILL);
	EXPECT_EQ(wait_status(d.pid), 128 + SIGKILL);
	dmn_start(&d, NULL);	/* the stale socket file is taken over */
	ASSERT_TRUE(dmn_wait(&d, "connected", 1, 10000));
	ASSERT_TRUE(wait_readable(done[0], 120000));
	ASSERT_EQ(read(done[0], &c, 1), 1);
	EXPECT_TRUE(dmn_converges(&d, 10000));
	EXPECT_EQ(trainer_stop(t), 0);	/* training was never disturbed */
	EXPECT_EQ(dmn_stop(&d), 0);
	close(done[0]);
	close(done[1]);
}

TEST(overflow_resyncs)
{
	struct dmn d;
	int done[2];
	pid_t t;
	char c;

	ASSERT_EQ(insmod(), 0);
	dmn_init(&d, "overflow");
	dmn_config(&d, "event_buffer = 4K\n");
	dmn_start(&d, NULL);
	ASSERT_TRUE(dmn_wait(&d, "connected", 1, 10000));
	ASSERT_EQ(dmn_counter(&d, "resyncs"), 1);
	/* Stop the daemon reading while a burst of events arrives. */
	kill(d.pid, SIGSTOP);
	ASSERT_EQ(pipe(done), 0);
	t = trainer(60, 32, done[1]);
	ASSERT_TRUE(wait_readable(done[0], 60000));
	ASSERT_EQ(read(done[0], &c, 1), 1);
	kill(d.pid, SIGCONT);
	EXPECT_TRUE(dmn_converges(&d, 20000));
	EXPECT_GT(dmn_counter(&d, "overflows"), 0);
	EXPECT_GT(dmn_counter(&d, "resyncs"), 1);
	EXPECT_EQ(trainer_stop(t), 0);
	EXPECT_TRUE(dmn_converges(&d, 10000));
	EXPECT_EQ(dmn_stop(&d), 0);
	close(done[0]);
	close(done[1]);
}

TEST(sighup_reload)
{
	char log[8192];
	struct dmn d;
	char *r;

	ASSERT_EQ(insmod(), 0);
	dmn_init(&d, "reload");
	dmn_config(&d, "policy = ial\n");
	dmn_start(&d, NULL);
	ASSERT_TRUE(dmn_wait(&d, "connected", 1, 10000));
	dmn_config(&d, "policy = static\nmigration_threads = 4\n");
	kill(d.pid, SIGHUP);
	ASSERT_TRUE(dmn_wait(&d, "reloads", 1, 10000));
	EXPECT_EQ(dmn_counter(&d, "reload_failures"), 0);
	EXPECT_EQ(dmn_counter(&d, "migration_threads"), 4);
	r = sntl_ctl(d.sock, "status");
	EXPECT_NE(strstr(r, "\"policy\":\"static\""), NULL) TH_LOG("%s", r);
	free(r);

	/* A bad reload keeps the old configuration. */
	dmn_config(&d, "policy = magic\n");
	kill(d.pid, SIGHUP);
	ASSERT_TRUE(dmn_wait(&d, "reloads", 2, 10000));
	EXPECT_EQ(dmn_counter(&d, "reload_failures"), 1);
	r = sntl_ctl(d.sock, "status");
	EXPECT_NE(strstr(r, "\"policy\":\"static\""), NULL) TH_LOG("%s", r);
	free(r);
	EXPECT_EQ(dmn_stop(&d), 0);
	run(log, sizeof(log), "cat %s", d.log);
	EXPECT_NE(strstr(log, "sentineld.conf:4: policy"), NULL) TH_LOG("%s", log);
}

TEST(ctl_commands)
{
	char *b = sntl_map(4 * PAGE);
	struct sentinel_session_stats st;
	char out[16384];
	int fd;

	ASSERT_EQ(insmod(), 0);
	fd = sntl_open();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(sntl_register1(fd, b, 2 * PAGE, 42), 0);
	ASSERT_EQ(sntl_stats(fd, &st), 0);

	EXPECT_EQ(run(out, sizeof(out), SENTINELCTL " --json sessions"), 0);
	EXPECT_NE(strstr(out, "\"comm\":"), NULL) TH_LOG("%s", out);
	EXPECT_EQ(run(out, sizeof(out), SENTINELCTL " objects %llu --residency",
		      (unsigned long long)st.session_id), 0);
	EXPECT_NE(strstr(out, "     42 "), NULL) TH_LOG("%s", out);
	EXPECT_EQ(run(out, sizeof(out), SENTINELCTL " objects --json %llu",
		      (unsigned long long)st.session_id), 0);
	EXPECT_NE(strstr(out, "\"id\":42"), NULL) TH_LOG("%s", out);
	EXPECT_EQ(run(out, sizeof(out), SENTINELCTL " stats --json"), 0);
	EXPECT_NE(strstr(out, "\"sessions\":"), NULL) TH_LOG("%s", out);
	EXPECT_EQ(run(out, sizeof(out), SENTINELCTL " --socket /nonexistent status --json"), 0);
	EXPECT_NE(strstr(out, "\"reachable\":false"), NULL) TH_LOG("%s", out);

	/* Errors: one line, non-zero. */
	EXPECT_EQ(run(out, sizeof(out), SENTINELCTL " objects 999999999"), 1);
	EXPECT_NE(strstr(out, "no such session"), NULL) TH_LOG("%s", out);
	EXPECT_EQ(run(out, sizeof(out), SENTINELCTL " profile %llu",
		      (unsigned long long)st.session_id), 1);
	EXPECT_NE(strstr(out, "no complete profile"), NULL) TH_LOG("%s", out);
	EXPECT_EQ(run(out, sizeof(out), "setpriv --reuid=65534 --regid=65534 --clear-groups "
		      SENTINELCTL " stats"), 1);
	EXPECT_NE(strstr(out, "permission denied"), NULL) TH_LOG("%s", out);
	EXPECT_EQ(run(out, sizeof(out), SENTINELCTL " --socket /nonexistent/x daemon"), 1);
	close(fd);
	munmap(b, 4 * PAGE);
}

/* One line found in @out, or the whole output logged. */
#define EXPECT_LINE(out, line) \
	EXPECT_NE(strstr(out, line), NULL) TH_LOG("want '%s' in:\n%s", line, out)

/* The running kernel's build enables init_on_alloc and its command line is silent. */
static bool init_on_alloc_by_default(void)
{
	char path[128], line[256], cmd[4096] = "";
	struct utsname u;
	bool on = false;
	FILE *f;

	if (uname(&u))
		return false;
	f = fopen("/proc/cmdline", "re");
	if (f) {
		if (!fgets(cmd, sizeof(cmd), f))
			cmd[0] = '\0';
		fclose(f);
	}
	snprintf(path, sizeof(path), "/boot/config-%s", u.release);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!on && fgets(line, sizeof(line), f))
		on = !strcmp(line, "CONFIG_INIT_ON_ALLOC_DEFAULT_ON=y\n");
	fclose(f);
	return on && !strstr(cmd, "init_on_alloc=");
}

/*
 * sentinelctl doctor: healthy with the daemon as shipped (exit 0), then
 * NUMA balancing on, an unprivileged caller, the daemon stopped and the
 * module unloaded (exit 1, the failing lines with their fixes).
 */
TEST(doctor)
{
	char out[8192], nb[16] = "", want[160];
	struct dmn d;
	pid_t pid;

	ASSERT_EQ(insmod(), 0);
	ASSERT_EQ(sntl_numa_balancing(nb, sizeof(nb), false), 0);
	ASSERT_EQ(sntl_numa_balancing("0", 2, true), 0);
	dmn_init(&d, "doctor");
	dmn_config(&d, NULL);
	pid = dmn_spawn(&d, NULL, true);
	ASSERT_TRUE(dmn_wait(&d, "connected", 1, 10000));

	EXPECT_EQ(run(out, sizeof(out), SENTINELCTL " --socket %s doctor", d.sock), 0)
		TH_LOG("%s", out);
	for (const char *l = out; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] != '\0'))
		fprintf(stderr, "# doctor: %.*s\n", (int)strcspn(l, "\n"), l);
	EXPECT_LINE(out, "ok    module: loaded, version " SENTINEL_VERSION_STRING " (sentinelctl");
	snprintf(want, sizeof(want), "ok    daemon: running (pid %d), version", pid);
	EXPECT_LINE(out, want);
	EXPECT_LINE(out, "ok    tiers: fast 0, slow 1 (");
	EXPECT_LINE(out, "; sentineld uses the same\n");
	EXPECT_LINE(out, "ok    numa_balancing: 0 (off)\n");
	EXPECT_LINE(out, "ok    device: /dev/sentinel opens read-write");
	snprintf(want, sizeof(want), "ok    capabilities: sentineld (pid %d) has "
		 "CAP_NET_ADMIN CAP_SYS_NICE CAP_SYS_PTRACE, as its unit grants", pid);
	EXPECT_LINE(out, want);
	/* Debian's kernels zero every page they allocate unless told not to. */
	if (init_on_alloc_by_default()) {
		EXPECT_LINE(out, "warn  init_on_alloc: on (the kernel's default): ");
	} else {
		EXPECT_LINE(out, "init_on_alloc: ");
	}
	EXPECT_EQ(run(out, sizeof(out), SENTINELCTL " --json --socket %s doctor", d.sock), 0);
	EXPECT_LINE(out, "{\"ok\":true,\"failures\":0,");

	/* NUMA balancing on: a failure with its fix. */
	EXPECT_EQ(sntl_numa_balancing("1", 2, true), 0);
	EXPECT_EQ(run(out, sizeof(out), SENTINELCTL " --socket %s doctor", d.sock), 1);
	EXPECT_LINE(out, "FAIL  numa_balancing: 1 (on): ");
	EXPECT_LINE(out, "; fix: sudo sysctl -w kernel.numa_balancing=0");
	EXPECT_EQ(run(out, sizeof(out), SENTINELCTL " --socket %s doctor --json", d.sock), 1);
	EXPECT_LINE(out, "{\"check\":\"numa_balancing\",\"status\":\"fail\"");
	EXPECT_EQ(sntl_numa_balancing("0", 2, true), 0);

	/* A user outside the device's group (the VM has no udev rule). */
	EXPECT_EQ(run(out, sizeof(out), "setpriv --reuid=65534 --regid=65534 --clear-groups "
		      SENTINELCTL " --socket %s doctor", d.sock), 1);
	EXPECT_LINE(out, "FAIL  device: /dev/sentinel: permission denied (group root)");
	EXPECT_LINE(out, "warn  daemon: ");

	/* No daemon, no module. */
	EXPECT_EQ(dmn_stop(&d), 0);
	ASSERT_EQ(rmmod(), 0);
	EXPECT_EQ(run(out, sizeof(out), SENTINELCTL " --socket %s doctor", d.sock), 1);
	EXPECT_LINE(out, "FAIL  module: not loaded (no /sys/module/sentinel); fix: sudo modprobe sentinel");
	EXPECT_LINE(out, "FAIL  daemon: not running");
	EXPECT_LINE(out, "FAIL  device: /dev/sentinel does not exist");
	EXPECT_EQ(insmod(), 0);
	sntl_numa_balancing(nb, sizeof(nb), true);
}

TEST_HARNESS_MAIN
