// SPDX-License-Identifier: GPL-2.0
/*
 * The shipped systemd unit: "systemd-analyze verify" accepts it (with its
 * ExecStart pointing at the freshly built daemon), and it carries the
 * settings the daemon relies on (Type=notify, the capability set, the
 * hardening).  The module-loading files name the module.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon_tap.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	if (!f)
		return NULL;
	buf = calloc(1, 65536);
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

int main(void)
{
	char dir[] = "/tmp/daemon-unit-XXXXXX", unit[512], cmd[2048], out[8192];
	char *in, *p;
	FILE *f, *pp;
	size_t n;
	int st;

	in = slurp(PKG_SRC "/systemd/sentineld.service.in");
	if (!ok(in != NULL, "unit template exists"))
		return tap_done();
	ok(strstr(in, "\nType=notify\n") != NULL, "Type=notify");
	ok(strstr(in, "\nCapabilityBoundingSet=CAP_NET_ADMIN CAP_SYS_NICE CAP_SYS_PTRACE\n") != NULL,
	   "bounding set: exactly the three capabilities");
	ok(strstr(in, "\nAmbientCapabilities=CAP_NET_ADMIN CAP_SYS_NICE CAP_SYS_PTRACE\n") != NULL,
	   "ambient capabilities");
	ok(strstr(in, "\nNoNewPrivileges=yes\n") && strstr(in, "\nProtectSystem=strict\n") &&
	   strstr(in, "\nProtectHome=yes\n") && strstr(in, "\nPrivateTmp=yes\n"),
	   "hardening");
	ok(strstr(in, "\nRestrictAddressFamilies=AF_NETLINK AF_UNIX\n") != NULL,
	   "address families");
	ok(strstr(in, "\nRuntimeDirectory=sentinel\n") != NULL,
	   "runtime directory for the control socket");
	ok(strstr(in, "--foreground") != NULL, "runs in the foreground");

	if (!ok(mkdtemp(dir) != NULL, "temp dir"))
		return tap_done();
	snprintf(unit, sizeof(unit), "%s/sentineld.service", dir);
	f = fopen(unit, "w");
	for (p = in; *p; p++) {
		if (!strncmp(p, "@SBINDIR@", 9)) {
			fputs(DMN_BIN, f);
			p += 8;
		} else if (!strncmp(p, "@SYSCONFDIR@", 12)) {
			fputs("/etc", f);
			p += 11;
		} else {
			fputc(*p, f);
		}
	}
	fclose(f);
	free(in);

	snprintf(cmd, sizeof(cmd),
		 "SYSTEMD_LOG_COLOR=0 systemd-analyze verify --man=no %s 2>&1", unit);
	pp = popen(cmd, "r");
	n = pp ? fread(out, 1, sizeof(out) - 1, pp) : 0;
	out[n] = '\0';
	st = pp ? pclose(pp) : -1;
	ok(st == 0 && !strstr(out, unit), "systemd-analyze verify is clean");
	if (st != 0 || strstr(out, unit))
		for (p = strtok(out, "\n"); p; p = strtok(NULL, "\n"))
			printf("#   %s\n", p);

	in = slurp(PKG_SRC "/systemd/modules-load.conf");
	ok(in && strstr(in, "\nsentinel\n"), "modules-load.d names the module");
	free(in);
	in = slurp(PKG_SRC "/dkms.conf");
	ok(in && strstr(in, "BUILT_MODULE_NAME[0]=\"sentinel\""), "dkms.conf builds sentinel");
	free(in);

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ok(system(cmd) == 0, "cleanup");
	return tap_done();
}
