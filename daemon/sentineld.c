// SPDX-License-Identifier: GPL-2.0
/*
 * sentineld - the Sentinel policy daemon.
 *
 * One epoll loop watches: a signalfd (SIGTERM/SIGINT stop, SIGHUP reloads
 * the configuration), a timerfd (retrying the module, coalesced object
 * dumps, rate-limited resynchronisation), the nlctrl "notify" socket (the
 * "sentinel" family appearing or going away), the family's event socket
 * and the control socket that sentinelctl talks to.  Requests and dumps
 * go over a separate, blocking netlink socket.  The policies (policy.c)
 * see every event after the state took it, and queue their migrations on
 * the worker pool.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "json.h"
#include "log.h"
#include "nl.h"
#include "notify.h"
#include "policy.h"
#include "state.h"
#include "sync.h"
#include "topology.h"
#include "workers.h"

#define SENTINELD_VERSION SENTINEL_VERSION_STRING
#define CONFIG_MAX (1 << 20)
#define MAX_CLIENTS 32
#define CLIENT_REQ_MAX 256
#define RETRY_MS 2000		/* module absent, no family watch */
#define RESYNC_MIN_MS 100	/* at most ten full resyncs a second */
#define REFRESH_MS 20		/* coalescing of object dumps */

enum src_type { SRC_SIGNAL, SRC_TIMER, SRC_WATCH, SRC_EVENTS, SRC_LISTEN, SRC_CLIENT };

struct src {
	enum src_type type;
};

struct client {
	struct src src;
	int fd;
	char req[CLIENT_REQ_MAX];
	size_t req_len;
	struct jbuf out;
	size_t out_off;
	bool replying;
};

struct counters {
	uint64_t events, bad_events, ignored_events, gaps, overflows, resyncs,
		 resync_failures, object_dumps, module_appeared, module_gone,
		 reloads, reload_failures;
	/* of the request sockets closed so far (D.cmd counts its own) */
	uint64_t residency_dumps;
};

static struct daemon {
	struct sd_config cfg;
	const char *config_path;
	bool config_explicit;
	struct topology topo;

	int ep;
	struct src sig_src, timer_src, watch_src, events_src, listen_src;
	int sigfd, timerfd, listenfd;

	struct snl cmd, ev, watch;
	bool connected, have_watch, waiting_logged;
	struct sd_state state;
	bool resync_pending;
	bool refresh_pending;
	uint64_t refresh_at_ms;		/* first object event not yet dumped + delay */
	uint64_t last_resync_ms;
	uint64_t retry_at_ms;

	struct client *clients[MAX_CLIENTS];
	struct wq *wq;
	struct counters n;
	bool stop;
	char control_path[SD_PATH_MAX];
} D;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- configuration ---- */

/*
 * Read and parse @path into @c.  A missing default file gives the
 * defaults; a missing explicit file is an error.  @err: "file:line: ...".
 */
static int load_config(const char *path, bool explicit, struct sd_config *c,
		       char *err, size_t errlen)
{
	char *buf;
	ssize_t n;
	size_t len = 0;
	int fd, ret;
	struct stat st;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT && !explicit) {
			sd_config_defaults(c);
			return 1;
		}
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	buf = malloc(CONFIG_MAX + 1);
	if (!buf) {
		close(fd);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	while ((n = read(fd, buf + len, CONFIG_MAX + 1 - len)) > 0) {
		len += (size_t)n;
		if (len > CONFIG_MAX)
			break;
	}
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(buf);
		return -1;
	}
	if (len > CONFIG_MAX) {
		snprintf(err, errlen, "%s: larger than %d bytes", path, CONFIG_MAX);
		free(buf);
		return -1;
	}
	ret = sd_config_parse(buf, len, path, c, err, errlen);
	free(buf);
	return ret;
}

static void log_topology(const struct topology *t)
{
	char f[128], s[128];

	log_info("tiers (%s): fast nodes %s, slow nodes %s", t->source,
		 sd_nodelist_format(&t->fast, f, sizeof(f)),
		 sd_nodemask_empty(&t->slow) ? "none" :
		 sd_nodelist_format(&t->slow, s, sizeof(s)));
	if (sd_nodemask_empty(&t->slow))
		log_warn("no slow memory tier: nothing will be migrated");
}

static struct pol_env pol_env(void)
{
	return (struct pol_env){ .cmd = &D.cmd, .wq = D.wq, .cfg = &D.cfg,
				 .topo = &D.topo, .state = &D.state };
}

/* ---- connection to the module ---- */

static void ep_add(int fd, struct src *src, uint32_t events)
{
	struct epoll_event e = { .events = events, .data.ptr = src };

	if (epoll_ctl(D.ep, EPOLL_CTL_ADD, fd, &e))
		log_err("epoll_ctl: %s", strerror(errno));
}

static void ep_del(int fd)
{
	epoll_ctl(D.ep, EPOLL_CTL_DEL, fd, NULL);
}

static void disconnect(const char *why)
{
	if (!D.connected)
		return;
	ep_del(D.ev.fd);
	snl_close(&D.ev);
	D.n.residency_dumps += D.cmd.residency_dumps;
	snl_close(&D.cmd);
	policy_clear();
	state_clear(&D.state);
	D.connected = false;
	D.resync_pending = D.refresh_pending = false;
	D.n.module_gone++;
	D.waiting_logged = false;
	log_notice("module gone (%s); waiting for it to come back", why);
	notify_status("waiting for the sentinel module");
}

static void resync(void);

static void try_connect(void)
{
	char msg[256];
	int err;

	if (D.connected)
		return;
	err = snl_open(&D.cmd);
	if (err) {
		snl_close(&D.cmd);
		if (err != -ENOENT)
			log_warn("generic netlink: %s", snl_strerror(NULL, err, msg, sizeof(msg)));
		else if (!D.waiting_logged)
			log_notice("sentinel module not loaded; waiting for it");
		D.waiting_logged = true;
		notify_status("waiting for the sentinel module");
		return;
	}
	err = snl_events_open(&D.ev, &D.cmd, D.cfg.event_buffer);
	if (err) {
		log_err("cannot join the sentinel events group: %s",
			snl_strerror(&D.ev, err, msg, sizeof(msg)));
		snl_close(&D.ev);
		snl_close(&D.cmd);
		return;
	}
	D.connected = true;
	D.n.module_appeared++;
	ep_add(D.ev.fd, &D.events_src, EPOLLIN);
	log_notice("connected to the sentinel module (family %u, version %u)",
		   D.cmd.family, D.cmd.version);
	D.last_resync_ms = 0;
	resync();
}

/* Rebuild everything from dumps; events queued meanwhile are applied after. */
static void resync(void)
{
	struct sd_state fresh;
	char msg[256];
	uint64_t t0 = now_ms();
	int err;

	D.resync_pending = false;
	D.last_resync_ms = t0;
	err = sync_all(&D.cmd, &fresh);
	if (err) {
		D.n.resync_failures++;
		log_warn("resync failed: %s", snl_strerror(&D.cmd, err, msg, sizeof(msg)));
		if (err == -ENOENT || err == -EOPNOTSUPP || err == -ETIMEDOUT) {
			disconnect("requests fail");
			return;
		}
		D.resync_pending = true;	/* try again later */
		return;
	}
	state_clear(&D.state);
	D.state = fresh;
	policy_reconcile();
	D.refresh_pending = false;
	for (size_t i = 0; i < D.state.n; i++)
		if (D.state.s[i]->objs_stale)
			D.refresh_pending = true;
	D.n.resyncs++;
	log_info("resynchronised: %zu session(s) in %" PRIu64 " ms", D.state.n,
		 now_ms() - t0);
	notify_status("%zu session(s), %" PRIu64 " resync(s)", D.state.n, D.n.resyncs);
}

static void refresh_objects(void)
{
	char msg[256];

	D.refresh_pending = false;
	D.refresh_at_ms = 0;
	for (size_t i = 0; i < D.state.n;) {
		struct sd_session *s = D.state.s[i];
		int err;

		if (!s->objs_stale || policy_syncs_at_steps(s->k.id)) {
			i++;
			continue;
		}
		err = sync_session_objects(&D.cmd, s);
		D.n.object_dumps++;
		if (err == -ENOENT) {
			/* closed; its SESSION_CLOSE event may still be queued */
			state_remove(&D.state, s->k.id);
			continue;
		}
		if (err) {
			log_warn("dump of session %" PRIu64 " objects failed: %s", s->k.id,
				 snl_strerror(&D.cmd, err, msg, sizeof(msg)));
			D.resync_pending = true;
			return;
		}
		if (s->objs_stale)
			D.refresh_pending = true;
		i++;
	}
	policy_reconcile();
}

static void on_event(const struct snl_event *ev, void *arg)
{
	(void)arg;
	D.n.events++;
	log_debug("event %s session %" PRIu64, snl_event_name(ev->cmd), ev->session_id);
	switch (state_apply(&D.state, ev)) {
	case SD_APPLIED:
		policy_event(ev);
		break;
	case SD_IGNORED:
		D.n.ignored_events++;
		break;
	case SD_NEED_OBJECTS:
		D.refresh_pending = true;
		policy_event(ev);
		break;
	case SD_GAP:
		/* Marks still tell where the step is; the rest waits for the resync. */
		if (ev->cmd == SENTINEL_EVT_MARK)
			policy_event(ev);
		/* Counted once per loss: later events may follow the same gap. */
		if (!D.resync_pending) {
			log_info("event gap (%s, session %" PRIu64 "): resynchronising",
				 snl_event_name(ev->cmd), ev->session_id);
			D.n.gaps++;
		}
		D.resync_pending = true;
		break;
	}
	if (ev->cmd == SENTINEL_EVT_SESSION_OPEN)
		log_info("session %" PRIu64 " opened by %s[%u]", ev->session_id,
			 ev->comm, ev->pid);
	else if (ev->cmd == SENTINEL_EVT_SESSION_CLOSE)
		log_info("session %" PRIu64 " closed", ev->session_id);
}

static void read_events(void)
{
	char msg[128];
	int err;

	/* Drain fully: an overflow is handled after what is queued. */
	for (;;) {
		err = snl_events_read(&D.ev, on_event, NULL, &D.n.bad_events);
		if (err != -ENOBUFS)
			break;
		D.n.overflows++;
		if (!D.resync_pending)
			log_info("event socket overflowed: resynchronising");
		D.resync_pending = true;
	}
	if (err)
		log_warn("event socket: %s", snl_strerror(NULL, err, msg, sizeof(msg)));
}

static void on_watch(bool added, void *arg)
{
	(void)arg;
	if (added) {
		log_debug("family %s registered", SENTINEL_GENL_NAME);
		D.waiting_logged = false;
		try_connect();
	} else {
		disconnect("family unregistered");
	}
}

static void read_watch(void)
{
	int err = snl_watch_read(&D.watch, SENTINEL_GENL_NAME, on_watch, NULL);

	if (err == -ENOBUFS) {
		/* Lost notifications: find out by asking. */
		if (D.connected) {
			struct snl_status st;

			if (snl_get_status(&D.cmd, &st) == -ENOENT)
				disconnect("family unregistered");
		} else {
			try_connect();
		}
	}
}

/* ---- timers ---- */

static void arm_timer(void)
{
	uint64_t now = now_ms(), at = 0;
	struct itimerspec its = { 0 };

	if (!D.connected && !D.have_watch) {
		if (!D.retry_at_ms || D.retry_at_ms < now)
			D.retry_at_ms = now + RETRY_MS;
		at = D.retry_at_ms;
	}
	if (D.connected && D.resync_pending) {
		uint64_t t = D.last_resync_ms + RESYNC_MIN_MS;

		at = t < now ? now : t;
	} else if (D.connected && D.refresh_pending) {
		/* A deadline, not a debounce: busy sessions are dumped too. */
		if (!D.refresh_at_ms)
			D.refresh_at_ms = now + REFRESH_MS;
		if (!at || D.refresh_at_ms < at)
			at = D.refresh_at_ms;
	}
	if (at) {
		uint64_t d = at > now ? at - now : 0;

		if (!d)
			d = 1;
		its.it_value.tv_sec = (time_t)(d / 1000);
		its.it_value.tv_nsec = (long)(d % 1000) * 1000000;
	}
	timerfd_settime(D.timerfd, 0, &its, NULL);
}

static void on_timer(void)
{
	uint64_t exp, now = now_ms();

	if (read(D.timerfd, &exp, sizeof(exp)) < 0 && errno != EAGAIN)
		log_debug("timerfd: %s", strerror(errno));
	if (!D.connected) {
		if (!D.have_watch && now >= D.retry_at_ms) {
			D.retry_at_ms = 0;
			try_connect();
		}
		return;
	}
	if (D.resync_pending && now >= D.last_resync_ms + RESYNC_MIN_MS) {
		/* Events queued before the overflow are obsolete. */
		read_events();
		if (D.connected)
			resync();
	} else if (D.refresh_pending && !D.resync_pending &&
		   now >= D.refresh_at_ms) {
		refresh_objects();
	}
}

/* ---- control socket ---- */

static int control_open(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[SD_PATH_MAX], *slash;
	mode_t old;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_err("control socket path too long: %s", path);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST) {
			log_err("cannot create %s: %s", dir, strerror(errno));
			return -1;
		}
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		log_err("control socket: %s", strerror(errno));
		return -1;
	}
	/* A live daemon answers; a stale socket file is refused. */
	if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)) || errno == EAGAIN) {
		log_err("another sentineld is running (%s answers)", path);
		close(fd);
		return -1;
	}
	close(fd);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		log_err("control socket: %s", strerror(errno));
		return -1;
	}
	unlink(path);
	old = umask(0117);	/* socket 0660 */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 16)) {
		umask(old);
		log_err("control socket %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	umask(old);
	return fd;
}

static void client_close(struct client *cl)
{
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (D.clients[i] == cl)
			D.clients[i] = NULL;
	ep_del(cl->fd);
	close(cl->fd);
	jb_free(&cl->out);
	free(cl);
}

/* A configured amount: bytes as a number, "N%" and "unlimited" as text. */
static void amount_json(struct jbuf *b, const char *key, enum sd_budget_kind k, uint64_t v)
{
	char buf[32];

	if (k == SD_BUDGET_BYTES)
		jb_u64(b, key, v);
	else
		jb_str(b, key, sd_amount_format(k, v, buf, sizeof(buf)));
}

static void daemon_json(struct jbuf *b)
{
	struct wq_stats ws = { 0 };
	char f[128], s[128];
	size_t stale = 0;

	for (size_t i = 0; i < D.state.n; i++)
		stale += D.state.s[i]->objs_stale;
	if (D.wq)
		wq_get_stats(D.wq, &ws);
	jb_obj_begin(b, "daemon");
	jb_str(b, "version", SENTINELD_VERSION);
	jb_u64(b, "pid", (uint64_t)getpid());
	jb_bool(b, "connected", D.connected);
	jb_u64(b, "sessions", D.state.n);
	jb_bool(b, "resync_pending", D.resync_pending);
	jb_u64(b, "stale_sessions", stale);
	jb_u64(b, "events", D.n.events);
	jb_u64(b, "bad_events", D.n.bad_events);
	jb_u64(b, "ignored_events", D.n.ignored_events);
	jb_u64(b, "gaps", D.n.gaps);
	jb_u64(b, "overflows", D.n.overflows);
	jb_u64(b, "resyncs", D.n.resyncs);
	jb_u64(b, "resync_failures", D.n.resync_failures);
	jb_u64(b, "object_dumps", D.n.object_dumps);
	/* Page-table walks for residency (verify mode): none when it is off. */
	jb_u64(b, "residency_dumps", D.n.residency_dumps + D.cmd.residency_dumps);
	jb_u64(b, "module_appeared", D.n.module_appeared);
	jb_u64(b, "module_gone", D.n.module_gone);
	jb_u64(b, "reloads", D.n.reloads);
	jb_u64(b, "reload_failures", D.n.reload_failures);
	jb_str(b, "policy", sd_policy_name(D.cfg.policy));
	jb_str(b, "log_level", sd_log_level_name(D.cfg.log_level));
	jb_u64(b, "event_buffer", D.cfg.event_buffer);
	jb_u64(b, "migration_threads", ws.threads);
	jb_u64(b, "work_queued", ws.queued);
	jb_u64(b, "work_done", ws.done);
	jb_str(b, "fast_nodes", sd_nodelist_format(&D.topo.fast, f, sizeof(f)));
	jb_str(b, "slow_nodes", sd_nodelist_format(&D.topo.slow, s, sizeof(s)));
	jb_str(b, "tiers_from", D.topo.source ? D.topo.source : "");
	amount_json(b, "fast_budget", D.cfg.budget_kind, D.cfg.budget);
	amount_json(b, "fast_pool", D.cfg.pool_kind, D.cfg.pool);
	amount_json(b, "share_min", D.cfg.share_min_kind, D.cfg.share_min);
	jb_obj_end(b);
}

/*
 * Commands (one line): "ping", "status" (daemon counters), "stats" (and
 * the migrator's per-session accounting), "state" (and
 * the sessions with their objects), "canonical" (the comparable subset),
 * "resync" (force one).  The reply is one JSON document, then EOF.
 */
static void client_request(struct client *cl)
{
	struct jbuf *b = &cl->out;
	char *nl = memchr(cl->req, '\n', cl->req_len);

	if (nl)
		*nl = '\0';
	jb_obj_begin(b, NULL);
	if (!strcmp(cl->req, "ping")) {
		jb_bool(b, "ok", true);
		jb_u64(b, "pid", (uint64_t)getpid());
		jb_bool(b, "connected", D.connected);
	} else if (!strcmp(cl->req, "status")) {
		jb_bool(b, "ok", true);
		daemon_json(b);
	} else if (!strcmp(cl->req, "stats")) {
		jb_bool(b, "ok", true);
		daemon_json(b);
		policy_json(b);
	} else if (!strcmp(cl->req, "state")) {
		jb_bool(b, "ok", true);
		daemon_json(b);
		state_json(&D.state, b, false, true);
	} else if (!strcmp(cl->req, "canonical")) {
		jb_bool(b, "ok", true);
		state_json(&D.state, b, true, true);
	} else if (!strcmp(cl->req, "resync")) {
		jb_bool(b, "ok", D.connected);
		if (D.connected)
			resync();
		else
			jb_str(b, "error", "module not loaded");
	} else {
		jb_bool(b, "ok", false);
		jb_str(b, "error", "unknown command");
	}
	jb_obj_end(b);
	jb_raw(b, "\n", 1);
	cl->replying = true;
}

static void client_io(struct client *cl, uint32_t events)
{
	if (!cl->replying && (events & EPOLLIN)) {
		ssize_t n = read(cl->fd, cl->req + cl->req_len,
				 sizeof(cl->req) - 1 - cl->req_len);

		if (n <= 0) {
			if (n == 0 || (errno != EAGAIN && errno != EINTR))
				client_close(cl);
			return;
		}
		cl->req_len += (size_t)n;
		cl->req[cl->req_len] = '\0';
		if (!memchr(cl->req, '\n', cl->req_len)) {
			if (cl->req_len == sizeof(cl->req) - 1)
				client_close(cl);	/* no line in 255 bytes */
			return;
		}
		client_request(cl);
		if (cl->out.oom) {
			client_close(cl);
			return;
		}
		struct epoll_event e = { .events = EPOLLOUT, .data.ptr = &cl->src };

		epoll_ctl(D.ep, EPOLL_CTL_MOD, cl->fd, &e);
	}
	if (cl->replying) {
		while (cl->out_off < cl->out.len) {
			ssize_t n = send(cl->fd, cl->out.s + cl->out_off,
					 cl->out.len - cl->out_off, MSG_NOSIGNAL);

			if (n < 0) {
				if (errno == EAGAIN || errno == EINTR)
					return;
				break;
			}
			cl->out_off += (size_t)n;
		}
		client_close(cl);
	} else if (events & (EPOLLHUP | EPOLLERR)) {
		client_close(cl);
	}
}

static void accept_clients(void)
{
	for (;;) {
		struct ucred cred;
		socklen_t cl_len = sizeof(cred);
		struct client *cl;
		int fd, slot = -1;

		fd = accept4(D.listenfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			return;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl_len) ||
		    (cred.uid != 0 && cred.uid != geteuid())) {
			close(fd);	/* the socket mode should prevent this */
			continue;
		}
		for (int i = 0; i < MAX_CLIENTS; i++)
			if (!D.clients[i]) {
				slot = i;
				break;
			}
		cl = slot < 0 ? NULL : calloc(1, sizeof(*cl));
		if (!cl) {
			close(fd);
			continue;
		}
		cl->src.type = SRC_CLIENT;
		cl->fd = fd;
		jb_init(&cl->out);
		D.clients[slot] = cl;
		ep_add(fd, &cl->src, EPOLLIN | EPOLLRDHUP);
	}
}

/* ---- reload ---- */

static void reload(void)
{
	struct sd_config nc;
	struct topology nt;
	char err[512];
	int r;

	notify_reloading();
	D.n.reloads++;
	r = load_config(D.config_path, D.config_explicit, &nc, err, sizeof(err));
	if (r < 0) {
		D.n.reload_failures++;
		log_err("reload failed, keeping the old configuration: %s", err);
		notify_ready("reload failed; old configuration kept");
		return;
	}
	if (topo_resolve("", &nc, &nt, err, sizeof(err)) && !nc.nodes_auto) {
		D.n.reload_failures++;
		log_err("reload failed, keeping the old configuration: %s: %s",
			D.config_path, err);
		notify_ready("reload failed; old configuration kept");
		return;
	}
	if (strcmp(nc.control_socket, D.control_path))
		log_warn("control_socket changed: takes effect at restart");
	if (nc.migration_threads != D.cfg.migration_threads) {
		struct wq *q = wq_create(nc.migration_threads, "sentineld-mig");

		if (!q) {
			log_warn("cannot start %u migration threads: %s; keeping %u",
				 nc.migration_threads, strerror(errno), D.cfg.migration_threads);
			nc.migration_threads = D.cfg.migration_threads;
		} else {
			wq_destroy(D.wq, NULL);	/* finishes its queued work */
			D.wq = q;
		}
	}
	if (nc.event_buffer != D.cfg.event_buffer && D.connected &&
	    (r = snl_set_rcvbuf(&D.ev, nc.event_buffer)))
		log_warn("event_buffer: %s", strerror(-r));
	sd_log_set_level(nc.log_level);
	D.cfg = nc;
	D.topo = nt;
	{
		struct pol_env e = pol_env();

		policy_env(&e);
	}
	log_info("configuration reloaded from %s", D.config_path);
	log_topology(&D.topo);
	notify_ready("configuration reloaded");
}

/* ---- main ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sentineld [OPTIONS]\n"
		"\n"
		"The Sentinel policy daemon.\n"
		"\n"
		"  -c, --config FILE   configuration file (default %s)\n"
		"  -f, --foreground    do not detach; stay attached to the terminal\n"
		"  -l, --log TARGET    stderr, journal or auto (default auto)\n"
		"  -t, --check-config  parse the configuration, print it and exit\n"
		"  -V, --version       print the version and exit\n"
		"  -h, --help          this help\n"
		"\n"
		"Signals: SIGHUP reloads the configuration, SIGTERM/SIGINT stop.\n"
		"See sentineld(8) and sentineld.conf(5).\n", SD_DEFAULT_CONFIG);
}

static void print_config(const struct sd_config *c, const struct topology *t)
{
	char f[128], s[128];

	if (c->nodes_auto)
		printf("fast_nodes = auto\t# %s\nslow_nodes = auto\t# %s\n",
		       sd_nodelist_format(&t->fast, f, sizeof(f)),
		       sd_nodelist_format(&t->slow, s, sizeof(s)));
	else
		printf("fast_nodes = %s\nslow_nodes = %s\n",
		       sd_nodelist_format(&c->fast, f, sizeof(f)),
		       sd_nodelist_format(&c->slow, s, sizeof(s)));
	printf("fast_budget = %s\n", sd_amount_format(c->budget_kind, c->budget, f, sizeof(f)));
	printf("fast_pool = %s\n", sd_amount_format(c->pool_kind, c->pool, f, sizeof(f)));
	printf("share_min = %s\n", sd_amount_format(c->share_min_kind, c->share_min, f,
						      sizeof(f)));
	if (c->nr_weights) {
		char w[SD_MAX_WEIGHTS * (SD_WEIGHT_NAME_MAX + 24)];

		printf("share_weights = %s\n", sd_weights_format(c, w, sizeof(w)));
	}
	printf("policy = %s\nmigration_threads = %u\nlog_level = %s\n",
	       sd_policy_name(c->policy), c->migration_threads,
	       sd_log_level_name(c->log_level));
	if (c->event_buffer)
		printf("event_buffer = %" PRIu64 "\n", c->event_buffer);
	else
		printf("event_buffer = default\n");
	printf("control_socket = %s\n", c->control_socket);
	printf("verify = %s\n", c->verify ? "on" : "off");
	printf("measured_fallback = %s\n", c->measured_fallback ? "on" : "off");
	printf("hybrid_plan = %s\n", c->hybrid_plan ? "on" : "off");
}

/* Fork into the background; the parent exits once the child is ready. */
static int daemonize(int *ready_fd)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		char c;

		close(p[1]);
		if (read(p[0], &c, 1) == 1 && c == '0')
			_exit(0);
		_exit(1);	/* the child said why on stderr */
	}
	close(p[0]);
	setsid();
	if (chdir("/"))
		return -1;
	*ready_fd = p[1];
	return 0;
}

static void detach_stdio(int ready_fd)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		if (sd_log_to_journal())
			dup2(fd, STDERR_FILENO);
		close(fd);
	}
	if (ready_fd >= 0) {
		if (write(ready_fd, "0", 1) != 1)
			log_warn("cannot tell the parent we are ready");
		close(ready_fd);
	}
}

static int setup(void)
{
	sigset_t mask;
	char msg[256];
	int err;

	D.ep = epoll_create1(EPOLL_CLOEXEC);
	if (D.ep < 0) {
		log_err("epoll: %s", strerror(errno));
		return -1;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	D.sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	D.timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (D.sigfd < 0 || D.timerfd < 0) {
		log_err("signalfd/timerfd: %s", strerror(errno));
		return -1;
	}
	D.sig_src.type = SRC_SIGNAL;
	D.timer_src.type = SRC_TIMER;
	D.watch_src.type = SRC_WATCH;
	D.events_src.type = SRC_EVENTS;
	D.listen_src.type = SRC_LISTEN;
	ep_add(D.sigfd, &D.sig_src, EPOLLIN);
	ep_add(D.timerfd, &D.timer_src, EPOLLIN);

	snprintf(D.control_path, sizeof(D.control_path), "%s", D.cfg.control_socket);
	D.listenfd = control_open(D.control_path);
	if (D.listenfd < 0)
		return -1;
	ep_add(D.listenfd, &D.listen_src, EPOLLIN);

	D.wq = wq_create(D.cfg.migration_threads, "sentineld-mig");
	if (!D.wq) {
		log_err("cannot start %u migration threads: %s",
			D.cfg.migration_threads, strerror(errno));
		return -1;
	}
	{
		struct pol_env e = pol_env();

		policy_init(&e);
	}

	err = snl_watch_open(&D.watch);
	if (err) {
		log_warn("cannot watch generic netlink families (%s); polling every %d ms",
			 snl_strerror(NULL, err, msg, sizeof(msg)), RETRY_MS);
		snl_close(&D.watch);
	} else {
		D.have_watch = true;
		ep_add(D.watch.fd, &D.watch_src, EPOLLIN);
	}
	return 0;
}

static void teardown(void)
{
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (D.clients[i])
			client_close(D.clients[i]);
	if (D.connected) {
		snl_close(&D.ev);
		snl_close(&D.cmd);
	}
	if (D.have_watch)
		snl_close(&D.watch);
	wq_destroy(D.wq, NULL);
	D.wq = NULL;
	policy_shutdown();
	state_clear(&D.state);
	if (D.listenfd >= 0) {
		close(D.listenfd);
		unlink(D.control_path);
	}
	if (D.sigfd >= 0)
		close(D.sigfd);
	if (D.timerfd >= 0)
		close(D.timerfd);
	if (D.ep >= 0)
		close(D.ep);
}

static void on_signal(void)
{
	struct signalfd_siginfo si;

	while (read(D.sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			reload();
			break;
		case SIGTERM:
		case SIGINT:
			log_notice("stopping (signal %u)", si.ssi_signo);
			D.stop = true;
			break;
		}
	}
}

struct args {
	enum sd_log_target target;
	bool foreground, check;
};

/* The command line: -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "log", required_argument, NULL, 'l' },
		{ "check-config", no_argument, NULL, 't' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int o;

	while ((o = getopt_long(argc, argv, "c:fl:tVh", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			D.config_path = optarg;
			D.config_explicit = true;
			break;
		case 'f':
			a->foreground = true;
			break;
		case 'l':
			if (sd_log_target_parse(optarg, &a->target)) {
				fprintf(stderr, "sentineld: --log: expected stderr, journal or auto, got '%s'\n",
					optarg);
				usage(stderr);
				return 2;
			}
			break;
		case 't':
			a->check = true;
			break;
		case 'V':
			printf("sentineld %s\n", SENTINELD_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sentineld: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	return -1;
}

/* One ready source of the event loop; evs[i + 1 .. n) may be rewritten. */
static void dispatch(struct epoll_event *evs, int i, int n)
{
	struct src *s = evs[i].data.ptr;

	switch (s->type) {
	case SRC_SIGNAL: on_signal(); break;
	case SRC_TIMER: on_timer(); break;
	case SRC_WATCH: read_watch(); break;
	case SRC_EVENTS:
		if (D.connected)
			read_events();
		break;
	case SRC_LISTEN: accept_clients(); break;
	case SRC_CLIENT:
		client_io((struct client *)s, evs[i].events);
		/* @s may be freed: later entries for it are stale */
		for (int j = i + 1; j < n; j++)
			if (evs[j].data.ptr == s)
				evs[j].data.ptr = &D.sig_src;
		break;
	}
}

static void run_loop(void)
{
	while (!D.stop) {
		struct epoll_event evs[16];
		int n;

		arm_timer();
		n = epoll_wait(D.ep, evs, 16, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_err("epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n && !D.stop; i++)
			dispatch(evs, i, n);
		if (D.connected && policy_want_refresh())
			D.refresh_pending = true;
		/* A gap found while reading may be handled right away. */
		if (D.connected && D.resync_pending &&
		    now_ms() >= D.last_resync_ms + RESYNC_MIN_MS)
			resync();
	}
}

int main(int argc, char **argv)
{
	struct args a = { .target = SD_LOG_TARGET_AUTO };
	int ready_fd = -1, r;
	char err[512];

	D.config_path = SD_DEFAULT_CONFIG;
	D.ep = D.sigfd = D.timerfd = D.listenfd = -1;
	r = parse_args(argc, argv, &a);
	if (r >= 0)
		return r;

	/* Until the log target is settled, errors go to stderr. */
	sd_log_init("sentineld", SD_LOG_TARGET_STDERR, false);
	r = load_config(D.config_path, D.config_explicit, &D.cfg, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "sentineld: %s\n", err);
		return 1;
	}
	if (topo_resolve("", &D.cfg, &D.topo, err, sizeof(err))) {
		if (!D.cfg.nodes_auto) {
			fprintf(stderr, "sentineld: %s: %s\n", D.config_path, err);
			return 1;
		}
		fprintf(stderr, "sentineld: warning: %s\n", err);
	}
	if (a.check) {
		print_config(&D.cfg, &D.topo);
		return 0;
	}

	if (!a.foreground && daemonize(&ready_fd)) {
		fprintf(stderr, "sentineld: cannot detach: %s\n", strerror(errno));
		return 1;
	}
	sd_log_init("sentineld", a.target, !a.foreground);
	sd_log_set_level(D.cfg.log_level);
	if (r == 1)
		log_info("%s not found; using the defaults", D.config_path);

	if (setup()) {
		teardown();
		return 1;
	}
	log_notice("sentineld %s started (policy %s, %u migration thread(s))",
		   SENTINELD_VERSION, sd_policy_name(D.cfg.policy),
		   D.cfg.migration_threads);
	log_topology(&D.topo);
	try_connect();
	if (!a.foreground)
		detach_stdio(ready_fd);
	notify_ready(D.connected ? "connected to the sentinel module" :
		     "waiting for the sentinel module");
	run_loop();
	notify_stopping();
	teardown();
	log_notice("stopped");
	return 0;
}
