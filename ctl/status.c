// SPDX-License-Identifier: GPL-2.0
/*
 * sentinelctl status, stats and doctor: the module, its knobs and
 * statistics, the daemon's accounting, and the machine's fitness for
 * memory tiering.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "ctl.h"
#include "doctor.h"
#include "sysfs.h"

/* A sysfs value on one line: control bytes (inner newlines) as spaces. */
static int read_sysfs(const char *path, char *buf, size_t len)
{
	int err = sysfs_read("", path, buf, len);

	for (char *c = buf; !err && *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = ' ';
	return err;
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

int cmd_status(struct ctx *c, const struct cmd *cmd, int argc, char **argv)
{
	int oi = ctl_sub_getopt(c, cmd, argc, argv, NULL, NULL, NULL, NULL);
	bool loaded = ctl_module_loaded();
	struct snl_status st;
	struct jbuf b;
	char ver[64] = "", *reply = NULL, msg[512];
	int err = -ENOENT, derr;

	if (oi < 0)
		return -oi;
	if (ctl_need_args(cmd, argc, oi, 0))
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
	derr = ctl_daemon_call(c->socket, "ping", &reply);

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
		ctl_print_json(&b);
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

int cmd_stats(struct ctx *c, const struct cmd *cmd, int argc, char **argv)
{
	int oi = ctl_sub_getopt(c, cmd, argc, argv, NULL, NULL, NULL, NULL);
	struct snl_status st;
	char *reply = NULL;
	struct jbuf b;
	int err, r;

	r = ctl_start(c, cmd, argc, argv, oi, NULL);
	if (r >= 0)
		return r;
	err = snl_get_status(&c->nl, &st);
	if (err)
		return ctl_nl_fail(c, err, "status", NULL);
	/* The daemon's migration accounting, when it runs. */
	if (ctl_daemon_call(c->socket, "stats", &reply))
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
		ctl_print_json(&b);
	} else {
		printf("module version %s\n", st.version);
		stats_out(&st.stats, NULL, false);
		if (reply)
			ctl_json_print_flat(reply, "migrator");
	}
	free(reply);
	jb_free(&b);
	return 0;
}


static int doctor_call(void *arg, const char *req, char **reply)
{
	const struct ctx *c = arg;

	return ctl_daemon_call(c->socket, req, reply);
}

int cmd_doctor(struct ctx *c, const struct cmd *cmd, int argc, char **argv)
{
	const struct doctor_env env = {
		.root = "", .socket = c->socket, .call = doctor_call, .call_arg = c,
		.version = SENTINEL_VERSION_STRING,
	};
	struct doctor_report rep;
	struct jbuf b;
	int oi = ctl_sub_getopt(c, cmd, argc, argv, NULL, NULL, NULL, NULL);

	if (oi < 0)
		return -oi;
	if (ctl_need_args(cmd, argc, oi, 0))
		return 2;
	doctor_collect(&env, &rep);
	if (c->json) {
		jb_init(&b);
		doctor_json(&rep, &b);
		ctl_print_json(&b);
		jb_free(&b);
	} else {
		doctor_print(&rep, stdout);
	}
	return doctor_exit_status(&rep);
}
