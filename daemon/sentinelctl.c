// SPDX-License-Identifier: GPL-2.0
/*
 * sentinelctl - inspect and steer Sentinel: the module (over generic
 * netlink and /sys/kernel/sentinel) and sentineld (over its control
 * socket).
 *
 * Exit status: 0 success, 1 error (one line on stderr), 2 usage error,
 * 3 "status" found the module not loaded; "doctor": 1 when a check failed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "doctor.h"
#include "json.h"
#include "jsonr.h"
#include "nl.h"
#include "profile.h"

#define SYSFS_DIR "/sys/kernel/sentinel"
#define CTL_REPLY_MAX (512U << 20)

struct ctx {
	bool json;
	const char *socket;
	struct snl nl;
	bool nl_open;
};

struct cmd {
	const char *name;
	const char *args;
	const char *help;
	int (*fn)(struct ctx *c, const struct cmd *cmd, int argc, char **argv);
};

static __attribute__((format(printf, 1, 2))) int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("sentinelctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static int usage_error(const char *cmd, const char *fmt, const char *arg)
{
	fprintf(stderr, "sentinelctl: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'sentinelctl %s--help'.\n", cmd ? cmd : "");
	return 2;
}

static bool module_loaded(void)
{
	return access(SYSFS_DIR, F_OK) == 0 || access("/sys/module/sentinel", F_OK) == 0;
}

/* A netlink failure as one line; @session: the session named, if any. */
static int nl_fail(struct ctx *c, int err, const char *what, const uint64_t *session)
{
	char msg[512];

	if (err == -ENOENT && !c->nl_open)
		return fail("the sentinel module is not loaded (no generic netlink family \"%s\"; try 'modprobe sentinel')",
			    SENTINEL_GENL_NAME);
	if (err == -EPERM)
		return fail("%s: permission denied: CAP_NET_ADMIN is needed (run as root)%s%s",
			    what, c->nl.extack[0] ? "; kernel: " : "", c->nl.extack);
	if (err == -ENOENT && session)
		return fail("no such session %" PRIu64 "%s%s", *session,
			    c->nl.extack[0] ? "; kernel: " : "", c->nl.extack);
	return fail("%s: %s", what, snl_strerror(&c->nl, err, msg, sizeof(msg)));
}

static int nl_connect(struct ctx *c)
{
	int err = snl_open(&c->nl);

	if (err) {
		snl_close(&c->nl);
		return nl_fail(c, err, "generic netlink", NULL);
	}
	c->nl_open = true;
	return 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || *end ? -1 : 0;
}

static const char *human(uint64_t b, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)b;
	int u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%" PRIu64 " B", b);
	else
		snprintf(buf, len, "%.1f %s", v, unit[u]);
	return buf;
}

/* Common sub-command option parsing: --json and --help, plus @extra. */
static int sub_getopt(struct ctx *c, const struct cmd *cmd, int argc, char **argv,
		      const char *extra_short, const struct option *extra,
		      int (*handle)(int opt, const char *arg, void *data), void *data)
{
	struct option opts[16];
	char shortopts[32];
	int n = 0, o;

	opts[n++] = (struct option){ "json", no_argument, NULL, 'j' };
	opts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	for (const struct option *e = extra; e && e->name && n < 15; e++)
		opts[n++] = *e;
	opts[n] = (struct option){ NULL, 0, NULL, 0 };
	snprintf(shortopts, sizeof(shortopts), "jh%s", extra_short ? extra_short : "");
	optind = 0;	/* full re-initialisation: main() used REQUIRE_ORDER */
	opterr = 0;
	while ((o = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		if (o == 'j') {
			c->json = true;
		} else if (o == 'h') {
			printf("usage: sentinelctl [--json] %s %s\n  %s\n", cmd->name,
			       cmd->args, cmd->help);
			exit(0);
		} else if (o == '?' || o == ':') {
			char name[64];

			snprintf(name, sizeof(name), "%s ", cmd->name);
			if (optopt)
				fprintf(stderr, "sentinelctl: %s: bad or incomplete option '-%c'\n",
					cmd->name, optopt);
			else
				fprintf(stderr, "sentinelctl: %s: bad or incomplete option '%s'\n",
					cmd->name, argv[optind - 1]);
			fprintf(stderr, "Try 'sentinelctl %s--help'.\n", name);
			return -2;
		} else if (handle) {
			int r = handle(o, optarg, data);

			if (r)
				return r;
		}
	}
	return optind;
}

static int need_args(const struct cmd *cmd, int argc, int optind_, int n)
{
	char name[64];

	if (argc - optind_ == n)
		return 0;
	snprintf(name, sizeof(name), "%s ", cmd->name);
	return usage_error(name, argc - optind_ < n ? "%s: missing argument" :
			   "%s: too many arguments", cmd->name);
}

static int session_arg(const struct cmd *cmd, const char *s, uint64_t *id)
{
	char name[64];

	if (!parse_u64(s, id))
		return 0;
	snprintf(name, sizeof(name), "%s ", cmd->name);
	return usage_error(name, "'%s' is not a session id (a decimal number)", s);
}

static void print_json(struct jbuf *b)
{
	if (b->oom) {
		fail("out of memory");
		exit(1);
	}
	fwrite(b->s, 1, b->len, stdout);
	putchar('\n');
}

/* ---- daemon control socket ---- */

/* Send @req, read the whole reply into *@out (malloc'ed).  -errno. */
static int daemon_call(const char *path, const char *req, char **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = 0, cap = 4096;
	char *buf;
	int fd;

	*out = NULL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    send(fd, req, strlen(req), MSG_NOSIGNAL) < 0 ||
	    send(fd, "\n", 1, MSG_NOSIGNAL) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 30000) <= 0) {
			free(buf);
			close(fd);
			return -ETIMEDOUT;
		}
		if (len + 1 >= cap) {
			char *nb;

			if (cap >= CTL_REPLY_MAX) {
				free(buf);
				close(fd);
				return -EFBIG;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				close(fd);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = -errno;

			free(buf);
			close(fd);
			return e;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	if (!len) {
		free(buf);
		return -ECONNRESET;
	}
	*out = buf;
	return 0;
}

/* Print a scalar JSON value as text (a string without its quotes). */
static void json_print_value(const struct json *v)
{
	switch (v->type) {
	case JSON_NULL: puts("null"); break;
	case JSON_BOOL: puts(v->b ? "true" : "false"); break;
	case JSON_STR: puts(v->str); break;
	case JSON_NUM:
		if (v->is_uint)
			printf("%" PRIu64 "\n", v->u);
		else
			printf("%.15g\n", v->num);
		break;
	default:
		printf("(%zu %s)\n", v->n, v->type == JSON_OBJ ? "members" : "items");
		break;
	}
}

/* Print the members of the first object named @obj in the JSON text @s as "key value" lines. */
static void json_print_flat(const char *s, const char *obj)
{
	char err[64];
	struct json *root = json_parse(s, err, sizeof(err));
	const struct json *o = root ? json_find(root, obj) : NULL;

	if (o && o->type == JSON_OBJ)
		for (size_t i = 0; i < o->n; i++) {
			printf("%-18s ", o->keys[i]);
			json_print_value(&o->items[i]);
		}
	json_free(root);
}

/* ---- commands ---- */

static int read_sysfs(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	for (ssize_t i = 0; i < n; i++)
		if ((unsigned char)buf[i] < 0x20)
			buf[i] = ' ';
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Regular files of @dir (sorted), as "name value" pairs into @b or stdout. */
static void sysfs_dir(const char *dir, const char *label, struct jbuf *b, bool json)
{
	char *names[128];
	size_t n = 0;
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d)) && n < 128) {
		char p[512];
		struct stat st;

		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (de->d_name[0] == '.' || stat(p, &st) || !S_ISREG(st.st_mode))
			continue;
		names[n] = strdup(de->d_name);
		if (names[n])
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), name_cmp);
	if (json)
		jb_obj_begin(b, label);
	else
		printf("%s:\n", label);
	for (size_t i = 0; i < n; i++) {
		char p[512], v[256];

		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		if (read_sysfs(p, v, sizeof(v)))
			snprintf(v, sizeof(v), "(unreadable)");
		if (json)
			jb_str(b, names[i], v);
		else
			printf("  %-26s %s\n", names[i], v);
		free(names[i]);
	}
	if (json)
		jb_obj_end(b);
}

static void stats_out(const struct snl_stats *st, struct jbuf *b, bool json)
{
	static const char *const names[] = {
		[SENTINEL_A_STATS_SESSIONS] = "sessions",
		[SENTINEL_A_STATS_OBJECTS] = "objects",
		[SENTINEL_A_STATS_BYTES] = "bytes",
		[SENTINEL_A_STATS_MARKS] = "marks",
		[SENTINEL_A_STATS_ERRORS] = "errors",
		[SENTINEL_A_STATS_DROPPED] = "events_dropped",
		[SENTINEL_A_STATS_SCANS] = "scans",
		[SENTINEL_A_STATS_SCAN_PAGES] = "scan_pages",
	};
	const uint64_t vals[] = {
		[SENTINEL_A_STATS_SESSIONS] = st->sessions,
		[SENTINEL_A_STATS_OBJECTS] = st->objects,
		[SENTINEL_A_STATS_BYTES] = st->bytes,
		[SENTINEL_A_STATS_MARKS] = st->marks,
		[SENTINEL_A_STATS_ERRORS] = st->errors,
		[SENTINEL_A_STATS_DROPPED] = st->dropped,
		[SENTINEL_A_STATS_SCANS] = st->scans,
		[SENTINEL_A_STATS_SCAN_PAGES] = st->scan_pages,
	};

	for (unsigned int i = 1; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!names[i] || !(st->have & (1U << i)))
			continue;
		if (json)
			jb_u64(b, names[i], vals[i]);
		else
			printf("  %-26s %" PRIu64 "\n", names[i], vals[i]);
	}
}

static int cmd_status(struct ctx *c, const struct cmd *cmd, int argc, char **argv)
{
	int oi = sub_getopt(c, cmd, argc, argv, NULL, NULL, NULL, NULL);
	bool loaded = module_loaded();
	struct snl_status st;
	struct jbuf b;
	char ver[64] = "", *reply = NULL, msg[512];
	int err = -ENOENT, derr;

	if (oi < 0)
		return -oi;
	if (need_args(cmd, argc, oi, 0))
		return 2;
	jb_init(&b);
	if (loaded)
		read_sysfs(SYSFS_DIR "/version", ver, sizeof(ver));
	if (loaded) {
		err = snl_open(&c->nl);
		if (!err) {
			c->nl_open = true;
			err = snl_get_status(&c->nl, &st);
		} else {
			snl_close(&c->nl);
		}
	}
	derr = daemon_call(c->socket, "ping", &reply);

	if (c->json) {
		jb_obj_begin(&b, NULL);
		jb_obj_begin(&b, "module");
		jb_bool(&b, "loaded", loaded);
		if (loaded)
			jb_str(&b, "version", ver);
		jb_obj_end(&b);
		if (loaded)
			sysfs_dir(SYSFS_DIR, "knobs", &b, true);
		jb_obj_begin(&b, "netlink");
		jb_bool(&b, "ok", !err);
		if (err) {
			jb_str(&b, "error", snl_strerror(&c->nl, err, msg, sizeof(msg)));
		} else {
			jb_str(&b, "version", st.version);
			jb_obj_begin(&b, "stats");
			stats_out(&st.stats, &b, true);
			jb_obj_end(&b);
		}
		jb_obj_end(&b);
		jb_obj_begin(&b, "daemon");
		jb_bool(&b, "reachable", !derr);
		jb_str(&b, "socket", c->socket);
		if (!derr) {
			uint64_t pid = 0, conn = 0;

			doctor_json_u64(reply, "pid", &pid);
			doctor_json_u64(reply, "connected", &conn);
			jb_u64(&b, "pid", pid);
			jb_bool(&b, "connected", conn);
		} else {
			jb_str(&b, "error", strerror(-derr));
		}
		jb_obj_end(&b);
		jb_obj_end(&b);
		print_json(&b);
	} else {
		if (loaded)
			printf("module: loaded, version %s\n", ver[0] ? ver : "?");
		else
			printf("module: not loaded\n");
		if (loaded) {
			sysfs_dir(SYSFS_DIR, "knobs", NULL, false);
			if (err)
				printf("netlink: %s\n", snl_strerror(&c->nl, err, msg, sizeof(msg)));
			else {
				printf("netlink: family %u, module version %s\nstats:\n",
				       c->nl.family, st.version);
				stats_out(&st.stats, NULL, false);
			}
		}
		if (derr) {
			printf("daemon: not reachable at %s (%s)\n", c->socket, strerror(-derr));
		} else {
			uint64_t pid = 0, conn = 0;

			doctor_json_u64(reply, "pid", &pid);
			doctor_json_u64(reply, "connected", &conn);
			printf("daemon: running, pid %" PRIu64 ", %s\n", pid,
			       conn ? "connected to the module" : "waiting for the module");
		}
	}
	free(reply);
	jb_free(&b);
	return loaded ? 0 : 3;
}

static int cmd_stats(struct ctx *c, const struct cmd *cmd, int argc, char **argv)
{
	int oi = sub_getopt(c, cmd, argc, argv, NULL, NULL, NULL, NULL);
	struct snl_status st;
	char *reply = NULL;
	struct jbuf b;
	int err;

	if (oi < 0)
		return -oi;
	if (need_args(cmd, argc, oi, 0))
		return 2;
	if (nl_connect(c))
		return 1;
	err = snl_get_status(&c->nl, &st);
	if (err)
		return nl_fail(c, err, "status", NULL);
	/* The daemon's migration accounting, when it runs. */
	if (daemon_call(c->socket, "stats", &reply))
		reply = NULL;
	jb_init(&b);
	if (c->json) {
		jb_obj_begin(&b, NULL);
		jb_str(&b, "version", st.version);
		stats_out(&st.stats, &b, true);
		if (reply) {
			size_t l = strlen(reply);

			while (l && (reply[l - 1] == '\n' || reply[l - 1] == ' '))
				reply[--l] = '\0';
			jb_printf(&b, ",\"daemon\":%s", reply);
		}
		jb_obj_end(&b);
		print_json(&b);
	} else {
		printf("module version %s\n", st.version);
		stats_out(&st.stats, NULL, false);
		if (reply)
			json_print_flat(reply, "migrator");
	}
	free(reply);
	jb_free(&b);
	return 0;
}

struct sess_out {
	struct jbuf *b;
	bool json;
	unsigned int n;
};

static int session_print(const struct snl_session *s, void *arg)
{
	struct sess_out *o = arg;
	char h[32];

	o->n++;
	if (o->json) {
		jb_obj_begin(o->b, NULL);
		jb_u64(o->b, "id", s->id);
		jb_u64(o->b, "pid", s->pid);
		jb_str(o->b, "comm", s->comm);
		jb_u64(o->b, "objects", s->objects);
		jb_u64(o->b, "bytes", s->bytes);
		jb_u64(o->b, "marks", s->marks);
		jb_u64(o->b, "steps", s->steps);
		jb_u64(o->b, "step", s->step);
		jb_u64(o->b, "generation", s->generation);
		jb_str(o->b, "profile_state", snl_profile_state_name(s->profile_state));
		jb_u64(o->b, "profile_generation", s->profile_generation);
		jb_obj_end(o->b);
		return 0;
	}
	if (o->n == 1)
		printf("%8s %8s %-16s %10s %11s %10s %10s %10s %8s\n", "ID", "PID",
		       "COMM", "OBJECTS", "BYTES", "STEPS", "MARKS", "GEN", "PROFILE");
	printf("%8" PRIu64 " %8u %-16s %10" PRIu64 " %11s %10" PRIu64 " %10" PRIu64
	       " %10" PRIu64 " %8s\n", s->id, s->pid, s->comm, s->objects,
	       human(s->bytes, h, sizeof(h)), s->steps, s->marks, s->generation,
	       snl_profile_state_name(s->profile_state));
	return 0;
}

static int cmd_sessions(struct ctx *c, const struct cmd *cmd, int argc, char **argv)
{
	int oi = sub_getopt(c, cmd, argc, argv, NULL, NULL, NULL, NULL);
	struct jbuf b;
	struct sess_out o = { &b, c->json, 0 };
	int err;

	if (oi < 0)
		return -oi;
	if (need_args(cmd, argc, oi, 0))
		return 2;
	if (nl_connect(c))
		return 1;
	jb_init(&b);
	if (c->json)
		jb_arr_begin(&b, NULL);
	err = snl_dump_sessions(&c->nl, session_print, &o);
	if (err) {
		jb_free(&b);
		return nl_fail(c, err, "sessions", NULL);
	}
	if (c->json) {
		jb_arr_end(&b);
		print_json(&b);
	} else if (!o.n) {
		printf("no sessions\n");
	}
	jb_free(&b);
	return 0;
}

struct obj_opts {
	bool residency;
	bool has_after;
	uint64_t after;
	uint64_t limit;
	const char *bad;
};

static int obj_opt(int o, const char *arg, void *data)
{
	struct obj_opts *x = data;

	switch (o) {
	case 'r':
		x->residency = true;
		return 0;
	case 'a':
		x->has_after = true;
		if (parse_u64(arg, &x->after)) {
			usage_error("objects ", "--after: '%s' is not an object id", arg);
			return -2;
		}
		return 0;
	case 'n':
		if (parse_u64(arg, &x->limit) || !x->limit) {
			usage_error("objects ", "--limit: '%s' is not a positive number", arg);
			return -2;
		}
		return 0;
	}
	return 0;
}

struct obj_out {
	struct jbuf *b;
	bool json, residency;
	uint64_t n, limit, last;
	bool more;
};

static int object_print(const struct snl_object *ob, void *arg)
{
	struct obj_out *o = arg;

	if (o->limit && o->n == o->limit) {
		o->more = true;
		return 1;	/* stop: the rest is drained */
	}
	o->n++;
	o->last = ob->id;
	if (o->json) {
		jb_obj_begin(o->b, NULL);
		jb_u64(o->b, "id", ob->id);
		jb_u64(o->b, "addr", ob->addr);
		jb_u64(o->b, "len", ob->len);
		jb_str(o->b, "kind", snl_kind_name(ob->kind));
		jb_u64(o->b, "flags", ob->flags);
		if (ob->layer_hint == SENTINEL_LAYER_NONE)
			jb_null(o->b, "layer_hint");
		else
			jb_u64(o->b, "layer_hint", ob->layer_hint);
		if (o->residency) {
			jb_u64(o->b, "pages", ob->pages);
			jb_u64(o->b, "present", ob->present);
			jb_u64(o->b, "thp", ob->thp);
			jb_u64(o->b, "unmapped", ob->unmapped);
			jb_arr_begin(o->b, "node_pages");
			for (int i = 0; i < SENTINEL_MAX_NODES; i++)
				jb_u64(o->b, NULL, ob->node_pages[i]);
			jb_arr_end(o->b);
		}
		jb_obj_end(o->b);
		return 0;
	}
	if (o->n == 1) {
		printf("%12s %18s %12s %-10s %5s %6s", "ID", "ADDR", "LEN", "KIND",
		       "FLAGS", "LAYER");
		if (o->residency)
			printf(" %9s %9s %7s %8s  NODE PAGES", "PAGES", "PRESENT", "THP",
			       "UNMAPPED");
		putchar('\n');
	}
	printf("%12" PRIu64 " 0x%016" PRIx64 " %12" PRIu64 " %-10s %5" PRIx32,
	       ob->id, ob->addr, ob->len, snl_kind_name(ob->kind), ob->flags);
	if (ob->layer_hint == SENTINEL_LAYER_NONE)
		printf(" %6s", "-");
	else
		printf(" %6" PRIu32, ob->layer_hint);
	if (o->residency) {
		printf(" %9" PRIu64 " %9" PRIu64 " %7" PRIu64 " %8" PRIu64 " ", ob->pages,
		       ob->present, ob->thp, ob->unmapped);
		for (int i = 0; i < SENTINEL_MAX_NODES; i++)
			if (ob->node_pages[i])
				printf(" %d:%" PRIu64, i, ob->node_pages[i]);
	}
	putchar('\n');
	return 0;
}

static int cmd_objects(struct ctx *c, const struct cmd *cmd, int argc, char **argv)
{
	static const struct option extra[] = {
		{ "residency", no_argument, NULL, 'r' },
		{ "after", required_argument, NULL, 'a' },
		{ "limit", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct obj_opts x = { 0 };
	struct jbuf b;
	struct obj_out o = { .b = &b };
	uint64_t sid, gen = 0;
	bool consistent = true;
	int oi, err;

	oi = sub_getopt(c, cmd, argc, argv, "ra:n:", extra, obj_opt, &x);
	if (oi < 0)
		return -oi;
	if (need_args(cmd, argc, oi, 1) || session_arg(cmd, argv[oi], &sid))
		return 2;
	if (nl_connect(c))
		return 1;
	o.json = c->json;
	o.residency = x.residency;
	o.limit = x.limit;
	jb_init(&b);
	if (c->json) {
		jb_obj_begin(&b, NULL);
		jb_u64(&b, "session", sid);
		jb_arr_begin(&b, "objects");
	}
	err = snl_dump_objects(&c->nl, sid, x.residency, x.has_after, x.after,
			       object_print, &o, &gen, &consistent);
	if (err < 0) {
		jb_free(&b);
		return nl_fail(c, err, "objects", &sid);
	}
	if (c->json) {
		jb_arr_end(&b);
		jb_u64(&b, "generation", gen);
		jb_bool(&b, "consistent", consistent);
		if (o.more)
			jb_u64(&b, "next_after", o.last);
		else
			jb_null(&b, "next_after");
		jb_obj_end(&b);
		print_json(&b);
	} else {
		if (!o.n)
			printf("no objects\n");
		if (o.more)
			printf("(more: sentinelctl objects %" PRIu64 " --after %" PRIu64 ")\n",
			       sid, o.last);
		if (!consistent)
			fprintf(stderr, "sentinelctl: note: objects changed during the dump\n");
	}
	jb_free(&b);
	return 0;
}

static const char *const kind_cols[PROF_KINDS] = {
	"other", "weight", "activation", "gradient", "optimizer", "workspace",
	"unknown",
};

static int cmd_profile(struct ctx *c, const struct cmd *cmd, int argc, char **argv)
{
	uint64_t sid, page = (uint64_t)sysconf(_SC_PAGESIZE);
	struct prof p;
	struct jbuf b;
	char perr[256], h[32];
	void *buf = NULL;
	size_t len = 0;
	int oi, err;

	oi = sub_getopt(c, cmd, argc, argv, NULL, NULL, NULL, NULL);
	if (oi < 0)
		return -oi;
	if (need_args(cmd, argc, oi, 1) || session_arg(cmd, argv[oi], &sid))
		return 2;
	if (nl_connect(c))
		return 1;
	err = snl_get_profile(&c->nl, sid, &buf, &len);
	if (err == -ENOENT) {	/* no session, or no profile yet */
		struct snl_session s;
		int e2 = snl_get_session(&c->nl, sid, &s);

		if (e2 == -ENOENT)
			return fail("no such session %" PRIu64, sid);
		if (!e2)
			return fail("session %" PRIu64 " has no complete profile yet (see profile-start)",
				    sid);
	}
	if (err)
		return nl_fail(c, err, "profile", &sid);
	if (prof_parse(buf, len, &p, perr, sizeof(perr))) {
		free(buf);
		return fail("session %" PRIu64 ": malformed profile: %s", sid, perr);
	}
	jb_init(&b);
	if (c->json) {
		jb_obj_begin(&b, NULL);
		jb_u64(&b, "session", p.h.session_id);
		jb_u64(&b, "generation", p.h.generation);
		jb_u64(&b, "first_step", p.h.first_step);
		jb_u64(&b, "steps", p.h.nr_steps);
		jb_bool(&b, "exact", p.h.flags & SENTINEL_PROFILE_F_EXACT);
		jb_bool(&b, "truncated", p.h.flags & SENTINEL_PROFILE_F_TRUNCATED);
		jb_u64(&b, "objects", p.h.nr_objects);
		jb_u64(&b, "scan_ns", p.h.scan_ns);
		jb_u64(&b, "scanned_pages", p.h.scanned_pages);
		jb_arr_begin(&b, "layers");
	} else {
		printf("session %" PRIu64 ", profile %" PRIu64 ": %u step(s) from step %" PRIu64
		       ", %u layer record(s), %u object(s)%s%s\n",
		       (uint64_t)p.h.session_id, (uint64_t)p.h.generation, p.h.nr_steps,
		       (uint64_t)p.h.first_step,
		       p.h.nr_layers, p.h.nr_objects,
		       p.h.flags & SENTINEL_PROFILE_F_EXACT ? ", exact" : "",
		       p.h.flags & SENTINEL_PROFILE_F_TRUNCATED ? ", TRUNCATED" : "");
		printf("%8s %6s %-9s %10s %7s", "STEP", "LAYER", "DIR", "TIME(us)", "OBJS");
		for (int k = 1; k < PROF_KINDS; k++)
			printf(" %11s", kind_cols[k]);
		printf(" %11s\n", kind_cols[0]);
	}
	for (uint32_t i = 0; i < p.h.nr_layers; i++) {
		const struct sentinel_profile_layer *l = &p.layers[i];
		uint64_t kinds[PROF_KINDS];
		uint64_t dur = l->end_ns > l->begin_ns ? l->end_ns - l->begin_ns : 0;

		prof_layer_kinds(&p, i, page, kinds);
		if (c->json) {
			jb_obj_begin(&b, NULL);
			jb_u64(&b, "step", l->step);
			jb_u64(&b, "layer", l->layer);
			jb_str(&b, "direction", snl_dir_name(l->direction));
			jb_u64(&b, "begin_ns", l->begin_ns);
			jb_u64(&b, "end_ns", l->end_ns);
			jb_u64(&b, "scan_ns", l->scan_ns);
			jb_u64(&b, "objects_touched", l->nr_entries);
			jb_obj_begin(&b, "bytes_touched");
			for (int k = 0; k < PROF_KINDS; k++)
				jb_u64(&b, kind_cols[k], kinds[k]);
			jb_obj_end(&b);
			jb_obj_end(&b);
		} else {
			printf("%8" PRIu64 " %6u %-9s %10" PRIu64 " %7u", (uint64_t)l->step, l->layer,
			       snl_dir_name(l->direction), dur / 1000, l->nr_entries);
			for (int k = 1; k < PROF_KINDS; k++)
				printf(" %11s", human(kinds[k], h, sizeof(h)));
			printf(" %11s\n", human(kinds[0], h, sizeof(h)));
		}
	}
	if (c->json) {
		jb_arr_end(&b);
		jb_obj_end(&b);
		print_json(&b);
	}
	jb_free(&b);
	prof_free(&p);
	free(buf);
	return 0;
}

struct pstart_opts {
	long warmup, steps;
};

static int pstart_opt(int o, const char *arg, void *data)
{
	struct pstart_opts *x = data;
	uint64_t v;

	if (parse_u64(arg, &v) || v > UINT32_MAX) {
		usage_error("profile-start ", "'%s' is not a number", arg);
		return -2;
	}
	if (o == 'w')
		x->warmup = (long)v;
	else
		x->steps = (long)v;
	return 0;
}

static int cmd_profile_start(struct ctx *c, const struct cmd *cmd, int argc, char **argv)
{
	static const struct option extra[] = {
		{ "warmup", required_argument, NULL, 'w' },
		{ "steps", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct pstart_opts x = { -1, -1 };
	uint64_t sid;
	int oi, err;

	oi = sub_getopt(c, cmd, argc, argv, "w:s:", extra, pstart_opt, &x);
	if (oi < 0)
		return -oi;
	if (need_args(cmd, argc, oi, 1) || session_arg(cmd, argv[oi], &sid))
		return 2;
	if (nl_connect(c))
		return 1;
	err = snl_profile_start(&c->nl, sid, x.warmup, x.steps);
	if (err)
		return nl_fail(c, err, "profile-start", &sid);
	return 0;
}

static int cmd_profile_stop(struct ctx *c, const struct cmd *cmd, int argc, char **argv)
{
	uint64_t sid;
	int oi, err;

	oi = sub_getopt(c, cmd, argc, argv, NULL, NULL, NULL, NULL);
	if (oi < 0)
		return -oi;
	if (need_args(cmd, argc, oi, 1) || session_arg(cmd, argv[oi], &sid))
		return 2;
	if (nl_connect(c))
		return 1;
	err = snl_profile_stop(&c->nl, sid);
	if (err)
		return nl_fail(c, err, "profile-stop", &sid);
	return 0;
}

struct daemon_opts {
	const char *what;
};

static int daemon_opt(int o, const char *arg, void *data)
{
	struct daemon_opts *x = data;

	(void)arg;
	if (o == 's')
		x->what = "state";
	else if (o == 'c')
		x->what = "canonical";
	else if (o == 'r')
		x->what = "resync";
	return 0;
}

static int cmd_daemon(struct ctx *c, const struct cmd *cmd, int argc, char **argv)
{
	static const struct option extra[] = {
		{ "state", no_argument, NULL, 's' },
		{ "canonical", no_argument, NULL, 'c' },
		{ "resync", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon_opts x = { "status" };
	char *reply;
	uint64_t ok = 0;
	int oi, err;

	oi = sub_getopt(c, cmd, argc, argv, "", extra, daemon_opt, &x);
	if (oi < 0)
		return -oi;
	if (need_args(cmd, argc, oi, 0))
		return 2;
	err = daemon_call(c->socket, x.what, &reply);
	if (err == -ENOENT || err == -ECONNREFUSED)
		return fail("sentineld is not running (nothing listens on %s)", c->socket);
	if (err == -EACCES || err == -EPERM)
		return fail("%s: permission denied (run as root)", c->socket);
	if (err)
		return fail("%s: %s", c->socket, strerror(-err));
	doctor_json_u64(reply, "ok", &ok);
	if (c->json || strcmp(x.what, "status"))
		fputs(reply, stdout);
	else
		json_print_flat(reply, "daemon");
	free(reply);
	return ok ? 0 : fail("sentineld refused '%s'", x.what);
}

static int doctor_call(void *arg, const char *req, char **reply)
{
	const struct ctx *c = arg;

	return daemon_call(c->socket, req, reply);
}

static int cmd_doctor(struct ctx *c, const struct cmd *cmd, int argc, char **argv)
{
	const struct doctor_env env = {
		.root = "", .socket = c->socket, .call = doctor_call, .call_arg = c,
		.version = SENTINEL_VERSION_STRING,
	};
	struct doctor_report rep;
	struct jbuf b;
	int oi = sub_getopt(c, cmd, argc, argv, NULL, NULL, NULL, NULL);

	if (oi < 0)
		return -oi;
	if (need_args(cmd, argc, oi, 0))
		return 2;
	doctor_collect(&env, &rep);
	if (c->json) {
		jb_init(&b);
		doctor_json(&rep, &b);
		print_json(&b);
		jb_free(&b);
	} else {
		doctor_print(&rep, stdout);
	}
	return doctor_exit_status(&rep);
}

static int cmd_help(struct ctx *c, const struct cmd *cmd, int argc, char **argv);

static const struct cmd commands[] = {
	{ "status", "", "module, knobs, global statistics and daemon state (exit 3: module not loaded)", cmd_status },
	{ "sessions", "", "list the sessions", cmd_sessions },
	{ "objects", "SESSION [--residency] [--after ID] [--limit N]",
	  "list a session's objects in id order (--residency: page counts per node)", cmd_objects },
	{ "profile", "SESSION", "a session's last profile: bytes touched per layer and object kind", cmd_profile },
	{ "stats", "", "global statistics of the module, and the daemon's migration accounting when it runs", cmd_stats },
	{ "profile-start", "SESSION [--warmup N] [--steps N]", "arm profiling of a session", cmd_profile_start },
	{ "profile-stop", "SESSION", "disarm profiling of a session", cmd_profile_stop },
	{ "daemon", "[--state | --canonical | --resync]",
	  "sentineld's counters, its view of the sessions, or force a resync", cmd_daemon },
	{ "doctor", "", "check this machine for memory tiering: ok/warn/FAIL per check (exit 1: a check failed)", cmd_doctor },
	{ "help", "", "this help", cmd_help },
};

#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: sentinelctl [--json] [--socket PATH] COMMAND [ARGS]\n\n"
		"Commands:\n");
	for (size_t i = 0; i < NR_COMMANDS; i++)
		fprintf(f, "  %-14s %s\n      %s\n", commands[i].name, commands[i].args,
			commands[i].help);
	fprintf(f, "\nOptions:\n"
		"  -j, --json         JSON output (every read command)\n"
		"  -s, --socket PATH  sentineld's control socket (default %s)\n"
		"  -V, --version      print the version\n"
		"  -h, --help         this help\n"
		"See sentinelctl(8).\n", SD_DEFAULT_CONTROL);
}

static int cmd_help(struct ctx *c, const struct cmd *cmd, int argc, char **argv)
{
	(void)c;
	(void)cmd;
	(void)argc;
	(void)argv;
	usage(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "socket", required_argument, NULL, 's' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctx c = { .socket = SD_DEFAULT_CONTROL };
	int o, ret;

	opterr = 0;
	while ((o = getopt_long(argc, argv, "+js:Vh", opts, NULL)) != -1) {
		switch (o) {
		case 'j':
			c.json = true;
			break;
		case 's':
			c.socket = optarg;
			break;
		case 'V':
			printf("sentinelctl %s\n", SENTINEL_VERSION_STRING);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			if (optopt)
				fprintf(stderr, "sentinelctl: bad or incomplete option '-%c'\n", optopt);
			else
				fprintf(stderr, "sentinelctl: bad or incomplete option '%s'\n",
					argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "sentinelctl: no command given\n");
		usage(stderr);
		return 2;
	}
	for (size_t i = 0; i < NR_COMMANDS; i++) {
		if (strcmp(argv[optind], commands[i].name))
			continue;
		ret = commands[i].fn(&c, &commands[i], argc - optind, argv + optind);
		if (c.nl_open)
			snl_close(&c.nl);
		if (fflush(stdout) && !ret)
			ret = fail("write error: %s", strerror(errno));
		return ret;
	}
	fprintf(stderr, "sentinelctl: unknown command '%s'\n", argv[optind]);
	usage(stderr);
	return 2;
}
