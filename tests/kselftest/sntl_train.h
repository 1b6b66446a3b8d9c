/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small multi-layer "training" (forward, backward, optimizer) on
 * libsentinel objects, run in a child process beside sentineld, for the
 * in-VM suites that put the migrator to work (migrate, disturb).  Once
 * the plan is placed, an object the plan does not know is born between
 * every two steps, and where its pages are is counted.
 *
 * The child tells its parent where it is over a control socket: 'o'
 * once its objects exist, 'm' at a layer in the middle of a chosen step
 * (backward layer 1, when the daemon migrates), 'e' after it has sent its
 * result and before it exits (its session still open).  The parent's
 * hook acts on each; when the options ask for it the child waits for one
 * byte of reply, so the parent can act while the trainer stands still.
 */
#ifndef SNTL_TRAIN_H
#define SNTL_TRAIN_H

#include <errno.h>
#include <fcntl.h>
#include <numa.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "sntl_daemon.h"
#include "sentinel.h"		/* libsentinel */

#define SENTINEL_DEVICE "/dev/sentinel"
#define SENTINELD DMN_BIN "/sentineld"

#define NL	8		/* layers */
#define OBJ	(32 * 1024)	/* bytes per object */
#define NDBL	(OBJ / 8)
#define FOOTPRINT ((4 * NL + 1) * OBJ)
#define ROUNDS	6
#define STEPS	12
#define MEASURE_FROM 2		/* steps after placement before measuring */

struct result {
	uint64_t checksum;
	uint64_t touched, touched_fast;	/* measured steps */
	uint64_t max_fast, over_budget, samples;
	uint64_t placed_step, steps;
	/* the daemon's, at the end */
	long long promoted, demoted, late, dsteps, bw, enomem, failed;
	long long acks;		/* marks the daemon acknowledged */
	long long releases;	/* times the daemon stopped acknowledging */
	long long pinned, pins_refused;	/* the plan's pinned bytes, refused pins */
	struct sntl_wait_stats waits;	/* the trainer's waits for moves */
	struct sntl_job_stats job;	/* what the trainer reads of itself */
	/* with hints: measured layer begins, and those that broke a hint */
	uint64_t hint_samples, pin_not_fast, never_fast;
	/* objects the plan does not know, born once it is placed: pages, fast */
	uint64_t stray_pages, stray_fast;
	int ok;
};

/* How the child runs. */
struct train_opts {
	bool daemon;		/* a daemon runs: wait for its plan, read its stats */
	uint64_t mid_step;	/* the step of the 'm' point, 0 for none */
	bool wait_mid, wait_end; /* wait for a reply at 'm', at 'e' */
	bool wait_moves;	/* layers wait for the daemon's moves */
	bool born_slow;		/* the objects are first touched on node 1 */
	bool hints;		/* w[0] PIN_FAST, w[NL - 1] NEVER_PROMOTE */
	uint64_t share;		/* measure once planned with this share of fast_pool */
};

/* The parent's hook: called for each point reached by @child; 0 or -1. */
typedef int (*train_hook)(char point, pid_t child, void *arg);

struct net {
	double *w[NL], *a[NL + 1], *g[NL], *o[NL];
	uint64_t id_w[NL], id_a[NL + 1], id_g[NL], id_o[NL];
};

static const char *ctl_sock;
static uint64_t budget;
/* Lines dmn_start() adds to the daemon's configuration, or NULL. */
static const char *dmn_extra_conf;
/* With train_opts.hints: the pinned and the never-promoted object. */
static uint64_t hint_ids[2];

/* ---- control socket of the daemon ---- */

/*
 * The number after "key": in this process's migration session of @s
 * (the trainer's), else in the first one ("pid" comes before the keys).
 */
static long long sess_num(const char *s, const char *key)
{
	const char *from = s ? strstr(s, "\"migration_sessions\":[") : NULL, *mine;
	char pat[48];

	snprintf(pat, sizeof(pat), "\"pid\":%d,", (int)getpid());
	mine = from ? strstr(from, pat) : NULL;
	return sntl_json_num(mine ? mine : from, key);
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
	if (hint_ids[0] && !sntl_query(hint_ids, 2, info, SNTL_QUERY_RESIDENCY, NULL)) {
		r->hint_samples++;
		r->pin_not_fast += info[0].node_pages[0] != info[0].pages;
		r->never_fast += info[1].node_pages[0] != 0;
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

/*
 * An object the plan does not know: allocated between two steps, so that
 * its logical id is new each time (SNTL_LID_OUTSIDE_STEP numbers such
 * allocations from the library's start), touched, the nodes of its pages
 * read, freed.
 */
static void stray(struct result *r)
{
	enum { NP = OBJ / 4096 };
	char *p = sntl_alloc(OBJ, SNTL_KIND_OTHER, SNTL_LIFE_PERSISTENT);
	void *pages[NP];
	int status[NP];

	if (!p) {
		r->ok = 0;
		return;
	}
	memset(p, 0x5a, OBJ);
	for (int i = 0; i < NP; i++)
		pages[i] = p + i * 4096;
	if (numa_move_pages(0, NP, pages, NULL, status, 0)) {
		r->ok = 0;
	} else {
		for (int i = 0; i < NP; i++)
			r->stray_fast += status[i] == 0;
		r->stray_pages += NP;
	}
	sntl_free(p);
}

/* Tell the parent about @point; with @wait, block until it answers. */
static void tell(int fd, char point, bool wait, struct result *r)
{
	if (fd < 0)
		return;
	if (write(fd, &point, 1) != 1 || (wait && read(fd, &point, 1) != 1))
		r->ok = 0;
}

static void layer(uint32_t id, enum sntl_dir dir, double *x, double *y, double *z,
		  const uint64_t *ids, struct result *r, bool measure, int mid_fd,
		  bool wait)
{
	sntl_layer_begin(id, dir);
	sample(r, ids, 3, measure);
	if (dir == SNTL_DIR_BACKWARD && id == 1)
		tell(mid_fd, 'm', wait, r);
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

/*
 * Wait until the daemon has planned the session (it runs async), with
 * @share of the fast pool when not 0 (after the other jobs were planned).
 */
static bool wait_planned(uint64_t share)
{
	for (int t = 0; t < (share ? 12000 : 200); t++) {
		char *st = sntl_ctl(ctl_sock, "stats");
		bool planned = sess_num(st, "planned") == 1 &&
			       (!share || sess_num(st, "share") == (long long)share);

		free(st);
		if (planned)
			return true;
		sntl_sleep_ms(50);
	}
	return false;
}

/* The child: a session, the objects, STEPS steps. */
static void train(int out_fd, int ctl_fd, const struct train_opts *o)
{
	struct result r = { .ok = 1, .placed_step = UINT64_MAX };
	bool waited = false;
	struct net n;

	if (o->born_slow)
		numa_set_preferred(1);
	if (sntl_open(&(struct sntl_open_opts){
			.size = sizeof(struct sntl_open_opts),
			.flags = o->wait_moves ? SNTL_OPEN_WAIT_MOVES : 0 }) ||
	    net_alloc(&n)) {
		r.ok = 0;
		goto out;
	}
	if (o->hints) {
		hint_ids[0] = n.id_w[0];
		hint_ids[1] = n.id_w[NL - 1];
		if (sntl_hint(n.w[0], SNTL_OBJ_PIN_FAST) ||
		    sntl_hint(n.w[NL - 1], SNTL_OBJ_NEVER_PROMOTE)) {
			r.ok = 0;
			goto out;
		}
	}
	tell(ctl_fd, 'o', false, &r);
	for (uint64_t s = 1; s <= STEPS; s++) {
		int mid_fd = s == o->mid_step ? ctl_fd : -1;
		bool measure, planned = false;

		if (o->daemon && !waited && s > 2) {
			waited = true;
			planned = wait_planned(o->share);
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
		measure = o->daemon &&
			  s >= (r.placed_step == UINT64_MAX ? 3 : r.placed_step) + MEASURE_FROM;
		for (int i = 0; i < NL; i++) {
			uint64_t ids[3] = { n.id_w[i], n.id_a[i], n.id_a[i + 1] };

			layer((uint32_t)i, SNTL_DIR_FORWARD, n.w[i], n.a[i], n.a[i + 1], ids,
			      &r, measure, mid_fd, o->wait_mid);
		}
		for (int i = NL - 1; i >= 0; i--) {
			uint64_t ids[3] = { n.id_w[i], n.id_a[i], n.id_g[i] };

			layer((uint32_t)i, SNTL_DIR_BACKWARD, n.w[i], n.a[i], n.g[i], ids,
			      &r, measure, mid_fd, o->wait_mid);
		}
		for (int i = 0; i < NL; i++) {
			uint64_t ids[3] = { n.id_w[i], n.id_g[i], n.id_o[i] };

			layer((uint32_t)i, SNTL_DIR_OPTIMIZER, n.g[i], n.o[i], n.w[i], ids,
			      &r, measure, -1, false);
		}
		sntl_step_end(s);
		r.steps = s;
		if (r.placed_step != UINT64_MAX && !o->born_slow)
			stray(&r);
	}
	r.checksum = checksum(&n);
	if (o->daemon) {
		char *st;

		sntl_sleep_ms(200);	/* let the last migrations finish */
		r.job.size = sizeof(r.job);
		if (sntl_job_stats(&r.job))
			r.ok = 0;
		st = sntl_ctl(ctl_sock, "stats");
		r.promoted = acct_num(st, "promoted_bytes");
		r.demoted = acct_num(st, "demoted_bytes");
		r.late = acct_num(st, "late");
		r.enomem = acct_num(st, "enomem");
		r.failed = acct_num(st, "failed_pages");
		r.dsteps = sess_num(st, "steps");
		r.bw = sess_num(st, "bw");
		r.acks = sess_num(st, "mark_acks");
		r.releases = sess_num(st, "mark_releases");
		r.pinned = sess_num(st, "pinned_bytes");
		r.pins_refused = sess_num(st, "pins_refused");
		free(st);
	}
	sntl_wait_stats(&r.waits);
out:
	if (write(out_fd, &r, sizeof(r)) != sizeof(r))
		_exit(2);
	tell(ctl_fd, 'e', o->wait_end, &r);
	_exit(0);
}

/*
 * Fork the training, call @hook (when not NULL) at each point it reaches,
 * collect its result in @r.  0 when it ran to its end and exited 0; -1
 * otherwise (a child killed by the hook ends here with -1).
 */
static int train_run(struct result *r, const struct train_opts *o, train_hook hook,
		     void *arg)
{
	int p[2], c[2], st, ret = 0;
	char point;
	pid_t pid;

	if (pipe(p))
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, c)) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		close(c[0]);
		train(p[1], c[1], o);
	}
	close(p[1]);
	close(c[1]);
	while (pid > 0 && read(c[0], &point, 1) == 1) {
		bool waits = (point == 'm' && o->wait_mid) || (point == 'e' && o->wait_end);

		if (hook && hook(point, pid, arg))
			ret = -1;
		if (waits && write(c[0], &point, 1) != 1)
			ret = -1;
	}
	close(c[0]);
	memset(r, 0, sizeof(*r));
	if (read(p[0], r, sizeof(*r)) != sizeof(*r))
		r->ok = 0;
	close(p[0]);
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		return -1;
	return r->ok && !ret ? 0 : -1;
}

/* ---- daemon ---- */

struct dmn {
	char dir[64], conf[128], sock[128], log[128];
	pid_t pid;
};

static pid_t dmn_start(struct dmn *d, const char *policy, bool verify)
{
	pid_t pid;

	snprintf(d->dir, sizeof(d->dir), "/tmp/sdmig-%s-%d", policy, getpid());
	mkdir(d->dir, 0755);
	snprintf(d->conf, sizeof(d->conf), "%s/sentineld.conf", d->dir);
	snprintf(d->sock, sizeof(d->sock), "%s/ctl.sock", d->dir);
	snprintf(d->log, sizeof(d->log), "%s/log", d->dir);
	if (sntl_dmn_conf(d->conf, d->sock, policy, (unsigned long long)budget, verify))
		return -1;
	if (dmn_extra_conf) {
		FILE *f = fopen(d->conf, "a");
		int bad = !f || fputs(dmn_extra_conf, f) < 0;

		if ((f && fclose(f)) || bad)
			return -1;
	}
	pid = fork();
	if (pid == 0) {
		int fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND, 0644);

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

/* Lines of the daemon's log that hold @needle. */
static inline int dmn_log_count(struct dmn *d, const char *needle)
{
	char line[512];
	FILE *f = fopen(d->log, "r");
	int n = 0;

	while (f && fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	if (f)
		fclose(f);
	return n;
}

/* ---- the suites' common setup ---- */

static bool two_nodes(void)
{
	return access("/sys/devices/system/node/node1", F_OK) == 0;
}

/*
 * The module's knobs for a quick plan: profile after one warm-up step,
 * one profiled step, a steady scan every step.  0 or -errno.
 */
static int train_knobs(void)
{
	int err = sntl_knob("profile_warmup_steps", "1");

	if (err)
		return err;
	sntl_knob("profile_steps", "1");
	sntl_knob("auto_profile", "1");
	sntl_knob("steady_scan_interval", "1");
	return 0;
}

#endif /* SNTL_TRAIN_H */
