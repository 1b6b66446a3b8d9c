// SPDX-License-Identifier: GPL-2.0
/*
 * lab-migcost - the lab's cost of migrating pages with move_pages(2), with
 * headroom on the target node (no reclaim), for the best-placement bound
 * (tools/bench/oracle, Documentation/lab.rst "Migration cost").
 *
 *   lab-migcost [MIB [BATCH [busy]]]   (default 16 MiB, 512 pages a call)
 *
 * Allocates MIB on node 1 and touches every page, then between
 * lab_start() and lab_stop():
 *   custom 401: move_pages of every page to node 0 (BATCH pages a call)
 *   custom 402: move_pages of every page back to node 1
 * Prints the number of pages, how many of them moved, and the direct
 * reclaim the promotion ran into (allocation stalls and pages scanned by
 * direct reclaim, from /proc/vmstat).  With "busy", a second thread of
 * the process runs on CPU 0 meanwhile (reading a small buffer of its
 * own), as a training does while a daemon moves its pages: the address
 * space is live on another CPU, so unmapping a page needs a TLB
 * shootdown there.
 */
#define _GNU_SOURCE
#include <numa.h>
#include <numaif.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sentinel/lab_marker.h>

#define BATCH 512

static size_t batch = BATCH;
static atomic_bool stop;

/* The other thread: on CPU 0, reads its own buffer until told to stop. */
static void *busy(void *arg)
{
	static volatile char buf[16384];
	unsigned long sum = 0;
	cpu_set_t set;

	(void)arg;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	while (!atomic_load_explicit(&stop, memory_order_relaxed))
		for (size_t i = 0; i < sizeof(buf); i += 64)
			sum += buf[i];
	return (void *)sum;
}

/* The sum of the /proc/vmstat counters whose names start with prefix. */
static unsigned long long vmstat_sum(const char *prefix)
{
	unsigned long long sum = 0, v;
	size_t n = strlen(prefix);
	char name[128];
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		return 0;
	while (fscanf(f, "%127s %llu", name, &v) == 2)
		if (!strncmp(name, prefix, n))
			sum += v;
	fclose(f);
	return sum;
}

static long move_all(void **pages, int *nodes, int *status, size_t n, int to)
{
	long moved = 0;

	for (size_t i = 0; i < n; i++)
		nodes[i] = to;
	for (size_t i = 0; i < n; i += batch) {
		size_t k = n - i < batch ? n - i : batch;

		if (move_pages(0, k, pages + i, nodes + i, status + i,
			       MPOL_MF_MOVE) < 0) {
			perror("move_pages");
			return -1;
		}
	}
	for (size_t i = 0; i < n; i++)
		moved += status[i] == to;
	return moved;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 16;
	size_t len = mib << 20, page = (size_t)sysconf(_SC_PAGESIZE);
	size_t n = len / page;
	void **pages;
	int *nodes, *status;
	char *buf;
	long up, down;
	unsigned long long stalls, scanned;
	pthread_t other;
	bool busy_on = argc > 3 && !strcmp(argv[3], "busy");

	if (argc > 2)
		batch = strtoul(argv[2], NULL, 0);
	if (!batch || batch > n) {
		fprintf(stderr, "lab-migcost: BATCH must be 1 to %zu pages\n", n);
		return 2;
	}
	if (!n || numa_available() < 0 || numa_max_node() < 1) {
		fprintf(stderr, "lab-migcost: need memory and two NUMA nodes\n");
		return 1;
	}
	buf = numa_alloc_onnode(len, 1);
	pages = calloc(n, sizeof(*pages));
	nodes = calloc(n, sizeof(*nodes));
	status = calloc(n, sizeof(*status));
	if (!buf || !pages || !nodes || !status) {
		perror("alloc");
		return 1;
	}
	memset(buf, 1, len);
	for (size_t i = 0; i < n; i++)
		pages[i] = buf + i * page;
	if (busy_on && pthread_create(&other, NULL, busy, NULL)) {
		perror("pthread_create");
		return 1;
	}
	lab_custom(0);
	lab_start();
	stalls = vmstat_sum("allocstall");
	scanned = vmstat_sum("pgscan_direct");
	lab_custom(401);
	up = move_all(pages, nodes, status, n, 0);
	stalls = vmstat_sum("allocstall") - stalls;
	scanned = vmstat_sum("pgscan_direct") - scanned;
	lab_custom(402);
	down = move_all(pages, nodes, status, n, 1);
	lab_stop();
	if (busy_on) {
		atomic_store(&stop, true);
		pthread_join(other, NULL);
	}
	printf("pages %zu promoted %ld demoted %ld batch %zu\n", n, up, down, batch);
	printf("reclaim stalls %llu scanned %llu\n", stalls, scanned);
	return up < 0 || down < 0;
}
