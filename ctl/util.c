// SPDX-License-Identifier: GPL-2.0
/*
 * sentinelctl's helpers: messages, argument parsing, JSON output, the
 * module's netlink connection and sentineld's control socket.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"

__attribute__((format(printf, 1, 2))) int ctl_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("sentinelctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

int ctl_usage_error(const char *cmd, const char *fmt, const char *arg)
{
	fprintf(stderr, "sentinelctl: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'sentinelctl %s--help'.\n", cmd ? cmd : "");
	return 2;
}

bool ctl_module_loaded(void)
{
	return access(SYSFS_DIR, F_OK) == 0 || access("/sys/module/sentinel", F_OK) == 0;
}

/* A netlink failure as one line; @session: the session named, if any. */
int ctl_nl_fail(struct ctx *c, int err, const char *what, const uint64_t *session)
{
	char msg[512];

	if (err == -ENOENT && !c->nl_open)
		return ctl_fail("the sentinel module is not loaded (no generic netlink family \"%s\"; try 'modprobe sentinel')",
			    SENTINEL_GENL_NAME);
	if (err == -EPERM)
		return ctl_fail("%s: permission denied: CAP_NET_ADMIN is needed (run as root)%s%s",
			    what, c->nl.extack[0] ? "; kernel: " : "", c->nl.extack);
	if (err == -ENOENT && session)
		return ctl_fail("no such session %" PRIu64 "%s%s", *session,
			    c->nl.extack[0] ? "; kernel: " : "", c->nl.extack);
	return ctl_fail("%s: %s", what, snl_strerror(&c->nl, err, msg, sizeof(msg)));
}

int ctl_nl_connect(struct ctx *c)
{
	int err = snl_open(&c->nl);

	if (err) {
		snl_close(&c->nl);
		return ctl_nl_fail(c, err, "generic netlink", NULL);
	}
	c->nl_open = true;
	return 0;
}

int ctl_parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || *end ? -1 : 0;
}

const char *ctl_human(uint64_t b, char *buf, size_t len)
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
int ctl_sub_getopt(struct ctx *c, const struct cmd *cmd, int argc, char **argv,
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

int ctl_need_args(const struct cmd *cmd, int argc, int optind_, int n)
{
	char name[64];

	if (argc - optind_ == n)
		return 0;
	snprintf(name, sizeof(name), "%s ", cmd->name);
	return ctl_usage_error(name, argc - optind_ < n ? "%s: missing argument" :
			   "%s: too many arguments", cmd->name);
}

int ctl_session_arg(const struct cmd *cmd, const char *s, uint64_t *id)
{
	char name[64];

	if (!ctl_parse_u64(s, id))
		return 0;
	snprintf(name, sizeof(name), "%s ", cmd->name);
	return ctl_usage_error(name, "'%s' is not a session id (a decimal number)", s);
}

/*
 * The start of a command that talks to the module: @oi as
 * ctl_sub_getopt() returned it, then exactly one argument, a session id
 * into *@sid, or none when @sid is NULL, then the connection.  -1 to go
 * on, else the exit status.
 */
int ctl_start(struct ctx *c, const struct cmd *cmd, int argc, char **argv, int oi,
	      uint64_t *sid)
{
	if (oi < 0)
		return -oi;
	if (ctl_need_args(cmd, argc, oi, sid ? 1 : 0) ||
	    (sid && ctl_session_arg(cmd, argv[oi], sid)))
		return 2;
	if (ctl_nl_connect(c))
		return 1;
	return -1;
}

void ctl_print_json(struct jbuf *b)
{
	if (b->oom) {
		ctl_fail("out of memory");
		exit(1);
	}
	fwrite(b->s, 1, b->len, stdout);
	putchar('\n');
}

/* ---- daemon control socket ---- */

/* Send @req, read the whole reply into *@out (malloc'ed).  -errno. */
int ctl_daemon_call(const char *path, const char *req, char **out)
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
void ctl_json_print_value(const struct json *v)
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
void ctl_json_print_flat(const char *s, const char *obj)
{
	char err[64];
	struct json *root = json_parse(s, err, sizeof(err));
	const struct json *o = root ? json_find(root, obj) : NULL;

	if (o && o->type == JSON_OBJ)
		for (size_t i = 0; i < o->n; i++) {
			printf("%-18s ", o->keys[i]);
			ctl_json_print_value(&o->items[i]);
		}
	json_free(root);
}
