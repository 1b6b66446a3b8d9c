/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sentineld configuration: the parsed form of sentineld.conf(5).
 *
 * The parser is pure: it is handed a buffer and a name to use in messages,
 * and performs no I/O.  Errors are reported as "FILE:LINE: message".
 */
#ifndef SENTINELD_CONFIG_H
#define SENTINELD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "share.h"

#define SD_MAX_NODES		1024	/* node ids 0..SD_MAX_NODES-1 */
#define SD_NODEMASK_WORDS	(SD_MAX_NODES / 64)
#define SD_MAX_THREADS		64
#define SD_MAX_EVENT_BUFFER	(1ULL << 30)
#define SD_MIN_EVENT_BUFFER	4096ULL
#define SD_DEFAULT_EVENT_BUFFER	(4ULL << 20)
#define SD_PATH_MAX		108	/* fits sockaddr_un.sun_path */

#define SD_DEFAULT_CONFIG	"/etc/sentinel/sentineld.conf"
#define SD_DEFAULT_CONTROL	"/run/sentinel/sentineld.sock"

struct sd_nodemask {
	uint64_t w[SD_NODEMASK_WORDS];
};

enum sd_policy {
	SD_POLICY_NONE,
	SD_POLICY_FIRST_TOUCH,
	SD_POLICY_STATIC,
	SD_POLICY_IAL,
	SD_POLICY_SENTINEL,
};

enum sd_budget_kind {
	SD_BUDGET_UNLIMITED,	/* the whole fast tier */
	SD_BUDGET_BYTES,
	SD_BUDGET_PERCENT,	/* of a session's peak footprint */
};

/* A share_weights entry: whose sessions weigh how much. */
enum sd_weight_kind {
	SD_WEIGHT_UID,		/* uid:N */
	SD_WEIGHT_USER,		/* user:NAME, resolved by the daemon */
	SD_WEIGHT_CGROUP,	/* cgroup:/PATH and the cgroups below it */
};

#define SD_MAX_WEIGHTS		32
#define SD_WEIGHT_NAME_MAX	128

struct sd_weight {
	enum sd_weight_kind kind;
	uint32_t weight;		/* 1..SHARE_WEIGHT_MAX (share.h) */
	uint32_t uid;			/* SD_WEIGHT_UID */
	char name[SD_WEIGHT_NAME_MAX];	/* user name or cgroup path */
};

/* syslog priorities, so the journal backend can use them unchanged. */
enum sd_log_level {
	SD_LOG_ERR = 3,
	SD_LOG_WARNING = 4,
	SD_LOG_NOTICE = 5,
	SD_LOG_INFO = 6,
	SD_LOG_DEBUG = 7,
};

struct sd_config {
	bool nodes_auto;		/* fast/slow from the topology */
	struct sd_nodemask fast;	/* valid unless nodes_auto */
	struct sd_nodemask slow;
	enum sd_budget_kind budget_kind;
	uint64_t budget;		/* bytes, or percent 1..100 */
	enum sd_policy policy;
	unsigned int migration_threads;	/* 1..SD_MAX_THREADS */
	enum sd_log_level log_level;
	uint64_t event_buffer;		/* bytes; 0: kernel default */
	char control_socket[SD_PATH_MAX];
	bool verify;			/* measure residency at layer begins */
	bool measured_fallback;		/* static placement when moves lag */
	bool hybrid_plan;		/* sentinel: also consider plan_hybrid() */
	/*
	 * The fast tier shared among sessions: fast_pool (unlimited: no
	 * sharing; bytes; percent of the fast nodes' memory), each
	 * session's guaranteed minimum (bytes, or percent of the pool) and
	 * the weights.
	 */
	enum sd_budget_kind pool_kind;
	uint64_t pool;
	enum sd_budget_kind share_min_kind;	/* BYTES or PERCENT */
	uint64_t share_min;
	unsigned int nr_weights;
	struct sd_weight weights[SD_MAX_WEIGHTS];
};

/* Fill @c with the built-in defaults (what an empty file gives). */
void sd_config_defaults(struct sd_config *c);

/*
 * Parse @len bytes at @buf (need not be NUL-terminated) into @c, which is
 * first reset to the defaults.  @name is used in messages.  Returns 0, or
 * -1 with a one-line message "NAME:LINE: ..." in @err.  @c is undefined
 * after a failure: parse into a scratch copy when the old one must stay.
 */
int sd_config_parse(const char *buf, size_t len, const char *name,
		    struct sd_config *c, char *err, size_t errlen);

/*
 * Helpers, also used by the topology code and sentinelctl.
 */

/* "0-3,5": 0 or -1 (with a reason in @why) */
int sd_nodelist_parse(const char *s, struct sd_nodemask *m, const char **why);
/* "0-3,5" into @buf (always terminated); returns @buf. */
char *sd_nodelist_format(const struct sd_nodemask *m, char *buf, size_t len);

static inline void sd_node_set(struct sd_nodemask *m, unsigned int n)
{
	m->w[n / 64] |= 1ULL << (n % 64);
}

static inline bool sd_node_isset(const struct sd_nodemask *m, unsigned int n)
{
	return n < SD_MAX_NODES && (m->w[n / 64] >> (n % 64)) & 1;
}

bool sd_nodemask_empty(const struct sd_nodemask *m);
bool sd_nodemask_intersects(const struct sd_nodemask *a,
			    const struct sd_nodemask *b);
unsigned int sd_nodemask_weight(const struct sd_nodemask *m);

/* @pct percent of @total, without overflow. */
static inline uint64_t sd_percent_of(uint64_t total, uint64_t pct)
{
	return total / 100 * pct + total % 100 * pct / 100;
}

/* "unlimited", "N" (bytes) or "N%" into @buf (always terminated). */
char *sd_amount_format(enum sd_budget_kind k, uint64_t v, char *buf, size_t len);
/* share_weights as written ("" when none) into @buf. */
char *sd_weights_format(const struct sd_config *c, char *buf, size_t len);

const char *sd_policy_name(enum sd_policy p);
const char *sd_log_level_name(enum sd_log_level l);
int sd_log_level_parse(const char *s, enum sd_log_level *out);

#endif /* SENTINELD_CONFIG_H */
