// SPDX-License-Identifier: GPL-2.0
/*
 * markbench - round-trip cost of a layer mark on /dev/sentinel.
 *
 * usage: markbench [ITERATIONS]
 *
 * Times ITERATIONS (default 100000) SENTINEL_IOC_MARK layer marks one by
 * one and, for reference, as many ioctls that the device rejects at once
 * (an unknown command), and prints one JSON object with the median, 10th
 * and 99th percentiles in nanoseconds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/sentinel.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t pct(const uint64_t *v, size_t n, double p)
{
	return v[(size_t)(p * (double)(n - 1))];
}

int main(int argc, char **argv)
{
	struct sentinel_mark m = {
		.size = sizeof(m),
		.type = SENTINEL_MARK_LAYER_BEGIN,
		.direction = SENTINEL_DIR_FORWARD,
	};
	unsigned long bad_cmd = _IO(SENTINEL_IOC_MAGIC, 0x7f);
	size_t n = 100000, i;
	struct utsname u;
	uint64_t *mark, *noop, t;
	char *end;
	int fd;

	if (argc > 2) {
		fprintf(stderr, "usage: %s [ITERATIONS]\n", argv[0]);
		return 2;
	}
	if (argc == 2) {
		errno = 0;
		n = strtoul(argv[1], &end, 10);
		if (errno || *end || n < 100 || n > 100000000) {
			fprintf(stderr, "markbench: ITERATIONS must be 100..1e8\n");
			return 2;
		}
	}
	fd = open(SENTINEL_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "markbench: %s: %s\n", SENTINEL_DEVICE,
			strerror(errno));
		return 1;
	}
	mark = calloc(n, sizeof(*mark));
	noop = calloc(n, sizeof(*noop));
	if (!mark || !noop) {
		fprintf(stderr, "markbench: out of memory\n");
		return 1;
	}
	/* Warm up caches and the syscall path. */
	for (i = 0; i < 1000; i++)
		ioctl(fd, SENTINEL_IOC_MARK, &m);
	for (i = 0; i < n; i++) {
		m.layer = (uint32_t)(i % 64);
		t = now_ns();
		if (ioctl(fd, SENTINEL_IOC_MARK, &m)) {
			fprintf(stderr, "markbench: mark: %s\n", strerror(errno));
			return 1;
		}
		mark[i] = now_ns() - t;
	}
	for (i = 0; i < n; i++) {
		t = now_ns();
		ioctl(fd, bad_cmd, NULL);
		noop[i] = now_ns() - t;
	}
	qsort(mark, n, sizeof(*mark), cmp_u64);
	qsort(noop, n, sizeof(*noop), cmp_u64);
	uname(&u);
	printf("{\"bench\": \"layer_mark\", \"kernel\": \"%s\", \"iterations\": %zu, "
	       "\"mark_ns\": {\"p10\": %llu, \"median\": %llu, \"p99\": %llu}, "
	       "\"rejected_ioctl_ns\": {\"p10\": %llu, \"median\": %llu, \"p99\": %llu}}\n",
	       u.release, n,
	       (unsigned long long)pct(mark, n, 0.10),
	       (unsigned long long)pct(mark, n, 0.50),
	       (unsigned long long)pct(mark, n, 0.99),
	       (unsigned long long)pct(noop, n, 0.10),
	       (unsigned long long)pct(noop, n, 0.50),
	       (unsigned long long)pct(noop, n, 0.99));
	close(fd);
	free(mark);
	free(noop);
	return 0;
}
