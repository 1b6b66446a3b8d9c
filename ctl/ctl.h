/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sentinelctl's shared pieces: the context every command gets, the
 * command table's entry, the helpers of ctl/util.c and the commands,
 * one file per group (status.c, sessions.c, profile.c, daemon.c).
 */
#ifndef SENTINELCTL_CTL_H
#define SENTINELCTL_CTL_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "json.h"
#include "jsonr.h"
#include "nl.h"

#define SYSFS_DIR "/sys/kernel/sentinel"
#define CTL_REPLY_MAX (512U << 20)

/**
 * struct ctx - what every command gets
 * @json: JSON output (--json before or after the command)
 * @socket: sentineld's control socket
 * @nl: the generic netlink connection, once ctl_nl_connect() opened it
 * @nl_open: @nl is open (main() closes it after the command)
 */
struct ctx {
	bool json;
	const char *socket;
	struct snl nl;
	bool nl_open;
};

/**
 * struct cmd - one command of the table in sentinelctl.c
 * @name: as typed
 * @args: its arguments, for the usage text
 * @help: one line for the usage text
 * @fn: runs it with argv[0] the command's name; returns the exit status
 */
struct cmd {
	const char *name;
	const char *args;
	const char *help;
	int (*fn)(struct ctx *c, const struct cmd *cmd, int argc, char **argv);
};

/* util.c: messages, arguments, output, the daemon's socket */
__attribute__((format(printf, 1, 2))) int ctl_fail(const char *fmt, ...);
int ctl_usage_error(const char *cmd, const char *fmt, const char *arg);
bool ctl_module_loaded(void);
int ctl_nl_fail(struct ctx *c, int err, const char *what, const uint64_t *session);
int ctl_nl_connect(struct ctx *c);
int ctl_parse_u64(const char *s, uint64_t *out);
const char *ctl_human(uint64_t b, char *buf, size_t len);
int ctl_sub_getopt(struct ctx *c, const struct cmd *cmd, int argc, char **argv,
	       const char *extra_short, const struct option *extra,
	       int (*handle)(int opt, const char *arg, void *data), void *data);
int ctl_need_args(const struct cmd *cmd, int argc, int optind_, int n);
int ctl_session_arg(const struct cmd *cmd, const char *s, uint64_t *id);
int ctl_start(struct ctx *c, const struct cmd *cmd, int argc, char **argv, int oi,
	      uint64_t *sid);
void ctl_print_json(struct jbuf *b);
int ctl_daemon_call(const char *path, const char *req, char **out);
void ctl_json_print_value(const struct json *v);
void ctl_json_print_flat(const char *s, const char *obj);

/* The commands. */
int cmd_status(struct ctx *c, const struct cmd *cmd, int argc, char **argv);
int cmd_stats(struct ctx *c, const struct cmd *cmd, int argc, char **argv);
int cmd_doctor(struct ctx *c, const struct cmd *cmd, int argc, char **argv);
int cmd_sessions(struct ctx *c, const struct cmd *cmd, int argc, char **argv);
int cmd_objects(struct ctx *c, const struct cmd *cmd, int argc, char **argv);
int cmd_profile(struct ctx *c, const struct cmd *cmd, int argc, char **argv);
int cmd_profile_start(struct ctx *c, const struct cmd *cmd, int argc, char **argv);
int cmd_profile_stop(struct ctx *c, const struct cmd *cmd, int argc, char **argv);
int cmd_daemon(struct ctx *c, const struct cmd *cmd, int argc, char **argv);

#endif
