/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the in-VM suites that run sentineld: its control socket,
 * the module's sysfs knobs, the kernel's NUMA balancing switch, sleeps.
 * Header-only, libc only, so that suites on libsentinel can use it.
 */
#ifndef SNTL_DAEMON_H
#define SNTL_DAEMON_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static inline void sntl_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* One request line to the daemon at @sock; the reply (to be freed) or NULL. */
static inline char *sntl_ctl(const char *sock, const char *req)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = 0, cap = 1 << 16;
	char *buf;
	int fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    write(fd, req, strlen(req)) < 0 || write(fd, "\n", 1) != 1) {
		close(fd);
		return NULL;
	}
	buf = malloc(cap);
	while (buf) {
		ssize_t n;

		if (len + 1 == cap) {
			char *nb = realloc(buf, cap *= 2);

			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (buf)
		buf[len] = '\0';
	if (buf && !len) {
		free(buf);
		buf = NULL;
	}
	return buf;
}

/*
 * The number after "@key": in the JSON text @from (true 1, false 0), or
 * -1 when @from is NULL or has no such key.
 */
static inline long long sntl_json_num(const char *from, const char *key)
{
	char pat[64];
	const char *p;

	if (!from)
		return -1;
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(from, pat);
	if (!p)
		return -1;
	p += strlen(pat);
	if (!strncmp(p, "true", 4))
		return 1;
	if (!strncmp(p, "false", 5))
		return 0;
	return strtoll(p, NULL, 10);
}

/* Write @val to the file at @path; 0 or -errno. */
static inline int sntl_write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		err = -errno;
	close(fd);
	return err;
}

/*
 * A sentineld configuration at @conf for the test VM (node 0 fast,
 * node 1 slow): control socket @sock, @policy, @budget bytes; 0 or -1.
 * The measured fallback is off: on a busy host it would replace the
 * migrating plan whose machinery the tests check by a static one.
 */
static inline int sntl_dmn_conf(const char *conf, const char *sock, const char *policy,
				unsigned long long budget, bool verify)
{
	FILE *f = fopen(conf, "w");

	if (!f)
		return -1;
	fprintf(f, "control_socket = %s\nlog_level = info\npolicy = %s\n"
		"fast_nodes = 0\nslow_nodes = 1\nfast_budget = %llu\nverify = %s\n"
		"measured_fallback = off\n",
		sock, policy, budget, verify ? "on" : "off");
	return fclose(f) ? -1 : 0;
}

/* Write a knob of /sys/kernel/sentinel/; 0 or -errno. */
static inline int sntl_knob(const char *name, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/kernel/sentinel/%s", name);
	return sntl_write_file(path, val);
}

/*
 * Read (@set false, into @buf of @len) or write (@set true, from @buf)
 * /proc/sys/kernel/numa_balancing; 0 or -errno.  The suites that compare
 * the daemon's moves turn it off: it moves a process's pages too.
 */
static inline int sntl_numa_balancing(char *buf, size_t len, bool set)
{
	int fd = open("/proc/sys/kernel/numa_balancing", set ? O_WRONLY : O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = set ? write(fd, buf, strlen(buf)) : read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	if (!set)
		buf[n] = '\0';
	return 0;
}

#endif /* SNTL_DAEMON_H */
