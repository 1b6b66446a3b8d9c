// SPDX-License-Identifier: GPL-2.0
/*
 * lab-migcost - the lab's cost of migrating pages with move_pages(2), with
 * headroom on the target node (no reclaim), for the best-placement bound
 * (tools/bench/oracle, Documentation/lab.rst "Migration cost").
 *
 *   lab-migcost [MIB]      (default 16 MiB)
 *
 * Allocates MIB on node 1 and touches every page, then between
 * lab_start() and lab_stop():
 *   custom 401: move_pages of every page to node 0 (512 pages a call)
 *   custom 402: move_pages of every page back to node 1
 * Prints the number of pages, how many of them moved, and the direct
 * reclaim the promotion ran into (allocation stalls and pages scanned by
 * direct reclaim, from /proc/vmstat).
 */
#include <numa.h>
#include <numaif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab_marker.h"

#define BATCH 512

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
	for (size_t i = 0; i < n; i += BATCH) {
		size_t k = n - i < BATCH ? n - i : BATCH;

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
	printf("pages %zu promoted %ld demoted %ld\n", n, up, down);
	printf("reclaim stalls %llu scanned %llu\n", stalls, scanned);
	return up < 0 || down < 0;
}
