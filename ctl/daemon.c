// SPDX-License-Identifier: GPL-2.0
/*
 * sentinelctl daemon: sentineld's counters, its view of the sessions,
 * or a forced resync, over its control socket.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "doctor.h"

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

int cmd_daemon(struct ctx *c, const struct cmd *cmd, int argc, char **argv)
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

	oi = ctl_sub_getopt(c, cmd, argc, argv, "", extra, daemon_opt, &x);
	if (oi < 0)
		return -oi;
	if (ctl_need_args(cmd, argc, oi, 0))
		return 2;
	err = ctl_daemon_call(c->socket, x.what, &reply);
	if (err == -ENOENT || err == -ECONNREFUSED)
		return ctl_fail("sentineld is not running (nothing listens on %s)", c->socket);
	if (err == -EACCES || err == -EPERM)
		return ctl_fail("%s: permission denied (run as root)", c->socket);
	if (err)
		return ctl_fail("%s: %s", c->socket, strerror(-err));
	doctor_json_u64(reply, "ok", &ok);
	if (c->json || strcmp(x.what, "status"))
		fputs(reply, stdout);
	else
		ctl_json_print_flat(reply, "daemon");
	free(reply);
	return ok ? 0 : ctl_fail("sentineld refused '%s'", x.what);
}
