// SPDX-License-Identifier: GPL-2.0
/*
 * sentineld configuration parser.  Pure: no I/O, no global state.
 *
 * Syntax, one setting per line:
 *
 *	# comment
 *	key = value	# trailing comment (after white space)
 *
 * Keys are the ones in struct sd_config (see sentineld.conf(5)); each may
 * appear once.  Unknown keys, repeated keys, malformed values and
 * inconsistent combinations are errors, reported with the line number.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sentinel/size.h>

#include "config.h"

#define LINE_MAX_LEN 1024

void sd_config_defaults(struct sd_config *c)
{
	memset(c, 0, sizeof(*c));
	c->nodes_auto = true;
	c->budget_kind = SD_BUDGET_UNLIMITED;
	c->pool_kind = SD_BUDGET_UNLIMITED;
	c->share_min_kind = SD_BUDGET_BYTES;
	c->policy = SD_POLICY_SENTINEL;
	c->migration_threads = 2;
	c->measured_fallback = true;
	c->log_level = SD_LOG_INFO;
	c->event_buffer = SD_DEFAULT_EVENT_BUFFER;
	snprintf(c->control_socket, sizeof(c->control_socket), "%s",
		 SD_DEFAULT_CONTROL);
}

char *sd_amount_format(enum sd_budget_kind k, uint64_t v, char *buf, size_t len)
{
	if (k == SD_BUDGET_UNLIMITED)
		snprintf(buf, len, "unlimited");
	else
		snprintf(buf, len, "%" PRIu64 "%s", v, k == SD_BUDGET_PERCENT ? "%" : "");
	return buf;
}

char *sd_weights_format(const struct sd_config *c, char *buf, size_t len)
{
	static const char *const kinds[] = {
		[SD_WEIGHT_UID] = "uid", [SD_WEIGHT_USER] = "user", [SD_WEIGHT_CGROUP] = "cgroup",
	};
	size_t at = 0;

	if (len)
		buf[0] = '\0';
	for (unsigned int i = 0; i < c->nr_weights && at < len; i++) {
		const struct sd_weight *w = &c->weights[i];
		int n;

		if (w->kind == SD_WEIGHT_UID)
			n = snprintf(buf + at, len - at, "%s%s:%u=%u", i ? " " : "",
				     kinds[w->kind], w->uid, w->weight);
		else
			n = snprintf(buf + at, len - at, "%s%s:%s=%u", i ? " " : "",
				     kinds[w->kind], w->name, w->weight);
		if (n < 0)
			break;
		at += (size_t)n;
	}
	return buf;
}

static const char *const policy_names[] = {
	[SD_POLICY_NONE] = "none",
	[SD_POLICY_FIRST_TOUCH] = "first-touch",
	[SD_POLICY_STATIC] = "static",
	[SD_POLICY_IAL] = "ial",
	[SD_POLICY_SENTINEL] = "sentinel",
};

const char *sd_policy_name(enum sd_policy p)
{
	if ((unsigned int)p < sizeof(policy_names) / sizeof(policy_names[0]))
		return policy_names[p];
	return "?";
}

static const struct {
	const char *name;
	enum sd_log_level level;
} log_levels[] = {
	{ "error", SD_LOG_ERR },
	{ "warning", SD_LOG_WARNING },
	{ "notice", SD_LOG_NOTICE },
	{ "info", SD_LOG_INFO },
	{ "debug", SD_LOG_DEBUG },
};

const char *sd_log_level_name(enum sd_log_level l)
{
	for (size_t i = 0; i < sizeof(log_levels) / sizeof(log_levels[0]); i++)
		if (log_levels[i].level == l)
			return log_levels[i].name;
	return "?";
}

int sd_log_level_parse(const char *s, enum sd_log_level *out)
{
	for (size_t i = 0; i < sizeof(log_levels) / sizeof(log_levels[0]); i++)
		if (!strcmp(s, log_levels[i].name)) {
			*out = log_levels[i].level;
			return 0;
		}
	return -1;
}

bool sd_nodemask_empty(const struct sd_nodemask *m)
{
	for (int i = 0; i < SD_NODEMASK_WORDS; i++)
		if (m->w[i])
			return false;
	return true;
}

bool sd_nodemask_intersects(const struct sd_nodemask *a,
			    const struct sd_nodemask *b)
{
	for (int i = 0; i < SD_NODEMASK_WORDS; i++)
		if (a->w[i] & b->w[i])
			return true;
	return false;
}

unsigned int sd_nodemask_weight(const struct sd_nodemask *m)
{
	unsigned int n = 0;

	for (int i = 0; i < SD_NODEMASK_WORDS; i++)
		n += (unsigned int)__builtin_popcountll(m->w[i]);
	return n;
}

/* A decimal number below @limit, no sign, no leading garbage. */
static int parse_uint(const char **p, uint64_t limit, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (!isdigit((unsigned char)*s))
		return -1;
	while (isdigit((unsigned char)*s)) {
		unsigned int d = (unsigned int)(*s - '0');

		if (v > (limit - d) / 10)
			return -1;
		v = v * 10 + d;
		s++;
	}
	*p = s;
	*out = v;
	return 0;
}

int sd_nodelist_parse(const char *s, struct sd_nodemask *m, const char **why)
{
	memset(m, 0, sizeof(*m));
	if (!*s) {
		*why = "empty node list";
		return -1;
	}
	for (;;) {
		uint64_t a, b;

		if (parse_uint(&s, SD_MAX_NODES - 1, &a)) {
			*why = "expected a node number below 1024";
			return -1;
		}
		b = a;
		if (*s == '-') {
			s++;
			if (parse_uint(&s, SD_MAX_NODES - 1, &b)) {
				*why = "expected a node number below 1024 after '-'";
				return -1;
			}
			if (b < a) {
				*why = "node range goes backwards";
				return -1;
			}
		}
		for (uint64_t n = a; n <= b; n++)
			sd_node_set(m, (unsigned int)n);
		if (!*s)
			return 0;
		if (*s != ',') {
			*why = "expected ',' between nodes";
			return -1;
		}
		s++;
	}
}

char *sd_nodelist_format(const struct sd_nodemask *m, char *buf, size_t len)
{
	size_t off = 0;
	unsigned int n = 0;

	if (!len)
		return buf;
	buf[0] = '\0';
	while (n < SD_MAX_NODES) {
		unsigned int end;
		int w;

		if (!sd_node_isset(m, n)) {
			n++;
			continue;
		}
		end = n;
		while (end + 1 < SD_MAX_NODES && sd_node_isset(m, end + 1))
			end++;
		if (end == n)
			w = snprintf(buf + off, len - off, "%s%u",
				     off ? "," : "", n);
		else
			w = snprintf(buf + off, len - off, "%s%u-%u",
				     off ? "," : "", n, end);
		if (w < 0 || (size_t)w >= len - off) {
			buf[off] = '\0';
			break;
		}
		off += (size_t)w;
		n = end + 1;
	}
	return buf;
}

struct parse_ctx {
	const char *name;
	unsigned int line;
	char *err;
	size_t errlen;
	unsigned int seen_line[16];	/* line of each key, 0 = unset */
};

static __attribute__((format(printf, 3, 4)))
int fail(struct parse_ctx *p, unsigned int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(p->err, p->errlen, "%s:%u: ", p->name, line);
	if (n < 0 || (size_t)n >= p->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

enum key_id {
	K_FAST_NODES,
	K_SLOW_NODES,
	K_FAST_BUDGET,
	K_POLICY,
	K_MIGRATION_THREADS,
	K_LOG_LEVEL,
	K_EVENT_BUFFER,
	K_CONTROL_SOCKET,
	K_VERIFY,
	K_MEASURED_FALLBACK,
	K_HYBRID_PLAN,
	K_FAST_POOL,
	K_SHARE_MIN,
	K_SHARE_WEIGHTS,
	K_NR,
};

static const char *const key_names[K_NR] = {
	[K_FAST_NODES] = "fast_nodes",
	[K_SLOW_NODES] = "slow_nodes",
	[K_FAST_BUDGET] = "fast_budget",
	[K_POLICY] = "policy",
	[K_MIGRATION_THREADS] = "migration_threads",
	[K_LOG_LEVEL] = "log_level",
	[K_EVENT_BUFFER] = "event_buffer",
	[K_CONTROL_SOCKET] = "control_socket",
	[K_VERIFY] = "verify",
	[K_MEASURED_FALLBACK] = "measured_fallback",
	[K_HYBRID_PLAN] = "hybrid_plan",
	[K_FAST_POOL] = "fast_pool",
	[K_SHARE_MIN] = "share_min",
	[K_SHARE_WEIGHTS] = "share_weights",
};

/* "on", "yes", "true" or "off", "no", "false" into *@b; -1 otherwise. */
static int parse_onoff(const char *v, bool *b)
{
	if (!strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true"))
		*b = true;
	else if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "false"))
		*b = false;
	else
		return -1;
	return 0;
}

/*
 * "N%" (1..100) or a size above 0 into *@kind and *@n; @key names the
 * setting in messages.
 */
static int parse_amount(struct parse_ctx *p, const char *key, const char *v,
			enum sd_budget_kind *kind, uint64_t *n)
{
	const char *why = NULL;
	size_t vl = strlen(v);

	if (vl && v[vl - 1] == '%') {
		char num[32];
		const char *q = num;

		if (vl - 1 >= sizeof(num) || vl == 1)
			return fail(p, p->line, "%s: bad percentage '%s'", key, v);
		memcpy(num, v, vl - 1);
		num[vl - 1] = '\0';
		if (parse_uint(&q, 1000, n) || *q || *n < 1 || *n > 100)
			return fail(p, p->line, "%s: percentage must be 1%%..100%%, got '%s'", key, v);
		*kind = SD_BUDGET_PERCENT;
		return 0;
	}
	if (sntl_size_parse(v, n, &why))
		return fail(p, p->line, "%s: %s: '%s' (or use N%%%s)", key, why, v,
			    strcmp(key, "share_min") ? " or 'unlimited'" : "");
	if (*n == 0 && strcmp(key, "share_min"))
		return fail(p, p->line, "%s: must be above 0", key);
	*kind = SD_BUDGET_BYTES;
	return 0;
}

/* One "KIND:NAME=WEIGHT" of share_weights into @w. */
static int parse_weight(struct parse_ctx *p, const char *item, struct sd_weight *w)
{
	const char *colon = strchr(item, ':'), *eq = strrchr(item, '=');
	const char *q;
	size_t klen, nlen;
	uint64_t n;

	if (!colon || !eq || eq < colon)
		return fail(p, p->line, "share_weights: expected user:NAME=W, uid:N=W or "
			    "cgroup:/PATH=W, got '%s'", item);
	klen = (size_t)(colon - item);
	nlen = (size_t)(eq - colon - 1);
	q = eq + 1;
	if (parse_uint(&q, SHARE_WEIGHT_MAX, &n) || *q || n < 1)
		return fail(p, p->line, "share_weights: weight must be 1..%d in '%s'",
			    SHARE_WEIGHT_MAX, item);
	w->weight = (uint32_t)n;
	if (!nlen || nlen >= sizeof(w->name))
		return fail(p, p->line, "share_weights: %s name in '%s'",
			    nlen ? "too long a" : "no", item);
	memcpy(w->name, colon + 1, nlen);
	w->name[nlen] = '\0';
	if (klen == 3 && !strncmp(item, "uid", 3)) {
		q = w->name;
		if (parse_uint(&q, UINT32_MAX - 1, &n) || *q)
			return fail(p, p->line, "share_weights: bad uid in '%s'", item);
		w->kind = SD_WEIGHT_UID;
		w->uid = (uint32_t)n;
	} else if (klen == 4 && !strncmp(item, "user", 4)) {
		w->kind = SD_WEIGHT_USER;
	} else if (klen == 6 && !strncmp(item, "cgroup", 6)) {
		if (w->name[0] != '/')
			return fail(p, p->line, "share_weights: cgroup path must be absolute in '%s'",
				    item);
		w->kind = SD_WEIGHT_CGROUP;
	} else {
		return fail(p, p->line, "share_weights: unknown kind in '%s' (user, uid, cgroup)",
			    item);
	}
	return 0;
}

/* "user:alice=4 uid:1001=2 cgroup:/jobs=8" (white space separated). */
static int parse_weights(struct parse_ctx *p, struct sd_config *c, const char *v)
{
	char buf[LINE_MAX_LEN + 1], *save = NULL, *item;

	snprintf(buf, sizeof(buf), "%s", v);
	c->nr_weights = 0;
	for (item = strtok_r(buf, " \t", &save); item; item = strtok_r(NULL, " \t", &save)) {
		if (c->nr_weights == SD_MAX_WEIGHTS)
			return fail(p, p->line, "share_weights: more than %d entries",
				    SD_MAX_WEIGHTS);
		if (parse_weight(p, item, &c->weights[c->nr_weights]))
			return -1;
		c->nr_weights++;
	}
	return 0;
}

static int set_value(struct parse_ctx *p, struct sd_config *c, enum key_id k,
		     const char *v, bool *autoflags)
{
	const char *why = NULL;
	uint64_t n;
	size_t vl = strlen(v);

	switch (k) {
	case K_FAST_NODES:
	case K_SLOW_NODES: {
		struct sd_nodemask *m = k == K_FAST_NODES ? &c->fast : &c->slow;

		if (!strcmp(v, "auto")) {
			autoflags[k == K_SLOW_NODES] = true;
			return 0;
		}
		autoflags[k == K_SLOW_NODES] = false;
		if (sd_nodelist_parse(v, m, &why))
			return fail(p, p->line, "%s: %s in '%s' (use 'auto' or a list such as 0-1,3)",
				    key_names[k], why, v);
		return 0;
	}
	case K_FAST_BUDGET:
		if (!strcmp(v, "unlimited")) {
			c->budget_kind = SD_BUDGET_UNLIMITED;
			c->budget = 0;
			return 0;
		}
		return parse_amount(p, key_names[k], v, &c->budget_kind, &c->budget);
	case K_FAST_POOL:
		if (!strcmp(v, "unlimited")) {
			c->pool_kind = SD_BUDGET_UNLIMITED;
			c->pool = 0;
			return 0;
		}
		return parse_amount(p, key_names[k], v, &c->pool_kind, &c->pool);
	case K_SHARE_MIN:
		return parse_amount(p, key_names[k], v, &c->share_min_kind, &c->share_min);
	case K_SHARE_WEIGHTS:
		return parse_weights(p, c, v);
	case K_POLICY:
		for (unsigned int i = 0; i <= SD_POLICY_SENTINEL; i++)
			if (!strcmp(v, policy_names[i])) {
				c->policy = (enum sd_policy)i;
				return 0;
			}
		return fail(p, p->line,
			    "policy: unknown policy '%s' (none, first-touch, static, ial, sentinel)", v);
	case K_MIGRATION_THREADS: {
		const char *q = v;

		if (parse_uint(&q, 1000000, &n) || *q || n < 1 || n > SD_MAX_THREADS)
			return fail(p, p->line, "migration_threads: must be 1..%d, got '%s'",
				    SD_MAX_THREADS, v);
		c->migration_threads = (unsigned int)n;
		return 0;
	}
	case K_VERIFY:
		if (parse_onoff(v, &c->verify))
			return fail(p, p->line, "verify: expected on or off, got '%s'", v);
		return 0;
	case K_MEASURED_FALLBACK:
		if (parse_onoff(v, &c->measured_fallback))
			return fail(p, p->line, "measured_fallback: expected on or off, got '%s'", v);
		return 0;
	case K_HYBRID_PLAN:
		if (parse_onoff(v, &c->hybrid_plan))
			return fail(p, p->line, "hybrid_plan: expected on or off, got '%s'", v);
		return 0;
	case K_LOG_LEVEL:
		if (sd_log_level_parse(v, &c->log_level))
			return fail(p, p->line,
				    "log_level: unknown level '%s' (error, warning, notice, info, debug)", v);
		return 0;
	case K_EVENT_BUFFER:
		if (!strcmp(v, "default")) {	/* the kernel's */
			c->event_buffer = 0;
			return 0;
		}
		if (sntl_size_parse(v, &n, &why))
			return fail(p, p->line, "event_buffer: %s: '%s'", why, v);
		if (n != 0 && (n < SD_MIN_EVENT_BUFFER || n > SD_MAX_EVENT_BUFFER))
			return fail(p, p->line,
				    "event_buffer: must be 4K..1G (or 'default'), got '%s'", v);
		c->event_buffer = n;
		return 0;
	case K_CONTROL_SOCKET:
		if (v[0] != '/')
			return fail(p, p->line, "control_socket: must be an absolute path");
		if (vl >= sizeof(c->control_socket))
			return fail(p, p->line, "control_socket: path longer than %zu bytes",
				    sizeof(c->control_socket) - 1);
		memcpy(c->control_socket, v, vl + 1);
		return 0;
	case K_NR:
		break;
	}
	return fail(p, p->line, "internal error");
}

int sd_config_parse(const char *buf, size_t len, const char *name,
		    struct sd_config *c, char *err, size_t errlen)
{
	struct parse_ctx p = { .name = name, .err = err, .errlen = errlen };
	bool autoflags[2] = { true, true };
	size_t pos = 0;

	sd_config_defaults(c);
	if (errlen)
		err[0] = '\0';

	while (pos < len) {
		char line[LINE_MAX_LEN + 1], *s, *eq, *key, *val, *e;
		size_t start = pos, ll;
		int k;

		p.line++;
		while (pos < len && buf[pos] != '\n')
			pos++;
		ll = pos - start;
		if (pos < len)
			pos++;	/* the newline */
		if (ll > LINE_MAX_LEN)
			return fail(&p, p.line, "line longer than %d bytes", LINE_MAX_LEN);
		memcpy(line, buf + start, ll);
		line[ll] = '\0';
		if (ll && line[ll - 1] == '\r')
			line[--ll] = '\0';
		for (size_t i = 0; i < ll; i++) {
			unsigned char ch = (unsigned char)line[i];

			if (ch == '\0' || (ch < 0x20 && ch != '\t') || ch == 0x7f)
				return fail(&p, p.line, "control character (0x%02x) in line", ch);
		}

		/* Comments: a '#' at the start or after white space. */
		for (s = line; *s; s++)
			if (*s == '#' && (s == line || s[-1] == ' ' || s[-1] == '\t')) {
				*s = '\0';
				break;
			}
		s = line;
		while (*s == ' ' || *s == '\t')
			s++;
		e = s + strlen(s);
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (!*s)
			continue;

		eq = strchr(s, '=');
		if (!eq)
			return fail(&p, p.line, "expected 'key = value', got '%s'", s);
		*eq = '\0';
		key = s;
		e = eq;
		while (e > key && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		val = eq + 1;
		while (*val == ' ' || *val == '\t')
			val++;
		if (!*key)
			return fail(&p, p.line, "missing key before '='");
		for (k = 0; k < K_NR; k++)
			if (!strcmp(key, key_names[k]))
				break;
		if (k == K_NR)
			return fail(&p, p.line, "unknown key '%s'", key);
		if (p.seen_line[k])
			return fail(&p, p.line, "'%s' already set on line %u",
				    key, p.seen_line[k]);
		if (!*val)
			return fail(&p, p.line, "'%s' has no value", key);
		p.seen_line[k] = p.line;
		if (set_value(&p, c, (enum key_id)k, val, autoflags))
			return -1;
	}

	/* Combinations. */
	if (autoflags[0] != autoflags[1]) {
		unsigned int l = p.seen_line[K_FAST_NODES] > p.seen_line[K_SLOW_NODES] ?
				 p.seen_line[K_FAST_NODES] : p.seen_line[K_SLOW_NODES];

		return fail(&p, l,
			    "fast_nodes and slow_nodes must both be 'auto' or both be node lists");
	}
	c->nodes_auto = autoflags[0];
	if (!c->nodes_auto) {
		if (sd_nodemask_intersects(&c->fast, &c->slow)) {
			char a[64];
			struct sd_nodemask both;

			for (int i = 0; i < SD_NODEMASK_WORDS; i++)
				both.w[i] = c->fast.w[i] & c->slow.w[i];
			return fail(&p, p.seen_line[K_SLOW_NODES],
				    "slow_nodes: node(s) %s are also fast_nodes (line %u)",
				    sd_nodelist_format(&both, a, sizeof(a)),
				    p.seen_line[K_FAST_NODES]);
		}
	}
	return 0;
}
