// SPDX-License-Identifier: GPL-2.0
/*
 * lab-stream - sequential read and write over a buffer on each NUMA node,
 * for the tier lab's bandwidth validation (tools/lab/validate).
 *
 *   lab-stream [MIB]       (default 64 MiB)
 *
 * For node 0 and then node 1, between lab_start() and lab_stop():
 *   custom 200 + node: read every 16-byte word (SSE2), summing them
 *   custom 300 + node: write every 16-byte word
 * Four 16-byte accesses per 64-byte line keep the instruction count low,
 * as a vectorised kernel would.
 */
#include <emmintrin.h>
#include <numa.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sentinel/lab_marker.h>

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 64;
	size_t len = mib << 20;

	if (!len || numa_available() < 0 || numa_max_node() < 1) {
		fprintf(stderr, "lab-stream: need memory and two NUMA nodes\n");
		return 1;
	}
	for (int node = 0; node <= 1; node++) {
		__m128i *buf = numa_alloc_onnode(len, node);
		__m128i sum = _mm_setzero_si128(), one = _mm_set1_epi64x(1);
		size_t words = len / sizeof(__m128i);
		uint64_t out[2];

		if (!buf) {
			perror("numa_alloc_onnode");
			return 1;
		}
		memset(buf, 1, len);
		lab_custom(0);
		lab_start();
		lab_custom(200 + node);
		for (size_t i = 0; i < words; i += 4) {
			sum = _mm_add_epi64(sum, _mm_load_si128(buf + i));
			sum = _mm_add_epi64(sum, _mm_load_si128(buf + i + 1));
			sum = _mm_add_epi64(sum, _mm_load_si128(buf + i + 2));
			sum = _mm_add_epi64(sum, _mm_load_si128(buf + i + 3));
		}
		lab_custom(300 + node);
		for (size_t i = 0; i < words; i += 4) {
			_mm_store_si128(buf + i, one);
			_mm_store_si128(buf + i + 1, one);
			_mm_store_si128(buf + i + 2, one);
			_mm_store_si128(buf + i + 3, one);
		}
		lab_stop();
		_mm_storeu_si128((__m128i *)out, sum);
		printf("lab-stream: node %d: %zu MiB, sum %llu\n", node, mib,
		       (unsigned long long)(out[0] + out[1]));
		numa_free(buf, len);
	}
	return 0;
}
