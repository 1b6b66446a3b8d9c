// SPDX-License-Identifier: GPL-2.0
/*
 * sentinelctl - inspect and steer Sentinel: the module (over generic
 * netlink and /sys/kernel/sentinel) and sentineld (over its control
 * socket).  This file is the table of commands; each group of commands
 * is in a file of its own (ctl.h).
 *
 * Exit status: 0 success, 1 error (one line on stderr), 2 usage error,
 * 3 "status" found the module not loaded; "doctor": 1 when a check failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "config.h"
#include "ctl.h"

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
			ret = ctl_fail("write error: %s", strerror(errno));
		return ret;
	}
	fprintf(stderr, "sentinelctl: unknown command '%s'\n", argv[optind]);
	usage(stderr);
	return 2;
}
