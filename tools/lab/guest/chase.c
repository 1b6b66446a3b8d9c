// SPDX-License-Identifier: GPL-2.0
/*
 * lab-chase - pointer chase over a buffer on each NUMA node, for the tier
 * lab's latency validation (tools/lab/validate).
 *
 *   lab-chase [MIB [LAPS]]     (default 64 MiB, 1 lap)
 *
 * For node 0 and then node 1: one pointer per 64-byte line, linked in a
 * random cycle (fixed seed, so every run chases the same order), walked
 * LAPS times between "lab_start(); lab_custom(100 + node)" and
 * "lab_stop()".  Each load depends on the previous one, so on real
 * hardware every cache miss costs a full memory latency.
 */
#include <numa.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <sentinel/lab_marker.h>

#define LINE 64

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 64;
	size_t laps = argc > 2 ? strtoul(argv[2], NULL, 0) : 1;
	size_t len = mib << 20, n = len / LINE;
	size_t *order = malloc(n * sizeof(*order));

	if (!order || !n || numa_available() < 0 || numa_max_node() < 1) {
		fprintf(stderr, "lab-chase: need memory and two NUMA nodes\n");
		return 1;
	}
	for (int node = 0; node <= 1; node++) {
		char *buf = numa_alloc_onnode(len, node);
		void **p;
		size_t steps = n * laps;

		if (!buf) {
			perror("numa_alloc_onnode");
			return 1;
		}
		/* Sattolo's algorithm: a random permutation with one cycle. */
		rng = 0x9e3779b97f4a7c15ull;
		for (size_t i = 0; i < n; i++)
			order[i] = i;
		for (size_t i = n - 1; i > 0; i--) {
			size_t j = next_rand() % i, t = order[i];

			order[i] = order[j];
			order[j] = t;
		}
		for (size_t i = 0; i < n; i++)
			*(void **)(buf + order[i] * LINE) =
				buf + order[(i + 1) % n] * LINE;

		lab_custom(0); /* maps the marker value page */
		lab_start();
		lab_custom(100 + node);
		p = (void **)buf;
		while (steps--)
			p = (void **)*p;
		lab_stop();
		printf("lab-chase: node %d: %zu MiB, %zu loads, end %p\n", node,
		       mib, n * laps, (void *)p);
		numa_free(buf, len);
	}
	free(order);
	return 0;
}
