/* SPDX-License-Identifier: GPL-2.0 */
/*
 * "sentinelctl doctor": checks of the machine as a memory-tiering user
 * needs it.  Each check gives one result: ok, warn or FAIL, what was
 * found and, when not ok, a command that fixes it.
 *
 * The parsers and the doctor_eval_*() functions are pure (no I/O) and
 * are unit-tested on the host; doctor_collect() does the reading, under a
 * root-directory prefix so that tests can point it at a fake tree.
 */
#ifndef SENTINELD_DOCTOR_H
#define SENTINELD_DOCTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "json.h"
#include "topology.h"

enum doctor_level { DOCTOR_OK, DOCTOR_WARN, DOCTOR_FAIL };

#define DOCTOR_MAX_CHECKS 16
#define DOCTOR_TEXT 384

struct doctor_result {
	enum doctor_level level;
	const char *name;
	char found[DOCTOR_TEXT];
	char fix[DOCTOR_TEXT];	/* "" when ok */
};

struct doctor_report {
	struct doctor_result r[DOCTOR_MAX_CHECKS];
	unsigned int n;
};

/*
 * What sentineld's shipped unit (packaging/systemd/sentineld.service.in,
 * AmbientCapabilities) grants it, by name and as a mask.
 */
#define DOCTOR_UNIT_CAPS "CAP_NET_ADMIN CAP_SYS_NICE CAP_SYS_PTRACE"
#define DOCTOR_CAP_NET_ADMIN 12
#define DOCTOR_CAP_SYS_PTRACE 19
#define DOCTOR_CAP_SYS_NICE 23
#define DOCTOR_UNIT_CAPMASK ((1ULL << DOCTOR_CAP_NET_ADMIN) | \
			     (1ULL << DOCTOR_CAP_SYS_PTRACE) | \
			     (1ULL << DOCTOR_CAP_SYS_NICE))

/* The daemon: send one request line, get the reply (malloc'ed); -errno. */
typedef int (*doctor_call_fn)(void *arg, const char *req, char **reply);

struct doctor_env {
	const char *root;	/* "" for the running system */
	const char *socket;	/* for messages */
	doctor_call_fn call;
	void *call_arg;
	const char *version;	/* sentinelctl's, SENTINEL_VERSION_STRING */
};

/* ---- parsers (pure) ---- */

/* The [bracketed] word of a sysfs choice line into @out; 0 or -1. */
int doctor_bracketed(const char *line, char *out, size_t len);
/* "MAJOR.MINOR" (anything may follow the minor); 0 or -1. */
int doctor_parse_version(const char *s, unsigned int *major, unsigned int *minor);
/* The CapEff mask of a /proc/PID/status text; 0 or -1. */
int doctor_parse_capeff(const char *status, uint64_t *mask);
/* "CAP_A CAP_B" (space separated) into a mask; 0, or -1 for an unknown name. */
int doctor_parse_capnames(const char *list, uint64_t *mask);
/* The names of the bits of @mask, space separated, into @buf; returns @buf. */
char *doctor_capnames(uint64_t mask, char *buf, size_t len);
/* The SecureBoot efivar's content (4 attribute bytes, then the value): 1 on, 0 off, -1 unknown. */
int doctor_parse_secureboot(const unsigned char *buf, size_t len);
/*
 * The effective init_on_alloc: @config_default is the kernel's build
 * default (1: CONFIG_INIT_ON_ALLOC_DEFAULT_ON=y, 0: not set, -1:
 * unknown), which the last init_on_alloc= of @cmdline overrides.
 * 1 on, 0 off, -1 unknown.
 */
int doctor_parse_init_on_alloc(const char *cmdline, int config_default);
/*
 * The first member named @key (at any depth) of the JSON text @json: a
 * string into @out, an unsigned number or a boolean (1, 0) into *@v; 0,
 * or -1 when the text does not parse or the member is absent or another type.
 */
int doctor_json_str(const char *json, const char *key, char *out, size_t len);
int doctor_json_u64(const char *json, const char *key, uint64_t *v);

/* ---- evaluation (pure): fill @r from what was read ---- */

/* @version: the module's, NULL when it is not loaded. */
void doctor_eval_module(struct doctor_result *r, const char *version, const char *ours);
/* @err: of the "status" request (0: @reply holds the answer). */
void doctor_eval_daemon(struct doctor_result *r, int err, const char *reply,
			const char *socket, const char *ours);
/* @t NULL: detection failed with @why; @reply: the daemon's status or NULL. */
void doctor_eval_tiers(struct doctor_result *r, const struct topology *t,
		       const char *why, const char *reply);

/* HMAT access class 0 figures of a node; -1 when not reported. */
struct doctor_access {
	unsigned int node;
	long latency_ns;
	long bandwidth_mbs;
};
void doctor_eval_hmat(struct doctor_result *r, const struct topology *t,
		      const struct doctor_access *a, unsigned int n);
/* @val: the file's content, NULL when it does not exist. */
void doctor_eval_numa_balancing(struct doctor_result *r, const char *val);
void doctor_eval_demotion(struct doctor_result *r, const char *val);
void doctor_eval_thp(struct doctor_result *r, const char *val);
/* @state: doctor_parse_init_on_alloc()'s; @config_default as there. */
void doctor_eval_init_on_alloc(struct doctor_result *r, int state, int config_default);
/* @err: of open(/dev/sentinel, O_RDWR), 0 or an errno; @group: its group. */
void doctor_eval_device(struct doctor_result *r, int err, const char *group);
/*
 * @pid 0: the daemon is not reachable.  @status: /proc/PID/status text,
 * NULL when it could not be read (@err: the errno).
 */
void doctor_eval_caps(struct doctor_result *r, uint64_t pid, const char *status, int err);
/*
 * @lockdown: the lockdown file's line, NULL if absent; @secureboot as
 * doctor_parse_secureboot(); @taint: /sys/module/sentinel/taint, NULL
 * when the module is not loaded.
 */
void doctor_eval_lockdown(struct doctor_result *r, const char *lockdown, int secureboot,
			  const char *taint);

/* 1 when any result is FAIL, else 0 (warnings allowed). */
int doctor_exit_status(const struct doctor_report *rep);
const char *doctor_level_name(enum doctor_level l);

/* ---- I/O ---- */

/* Run every check. */
void doctor_collect(const struct doctor_env *env, struct doctor_report *rep);
/* "ok|warn|FAIL  check: found; fix: command" lines and a summary line. */
void doctor_print(const struct doctor_report *rep, FILE *f);
/* {"ok":..., "failures":N, "warnings":N, "checks":[{...}]} */
void doctor_json(const struct doctor_report *rep, struct jbuf *b);

#endif /* SENTINELD_DOCTOR_H */
