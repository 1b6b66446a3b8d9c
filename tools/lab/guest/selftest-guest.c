// SPDX-License-Identifier: GPL-2.0
/*
 * lab-selftest-guest - the guest half of tools/lab/selftest.
 *
 * Between a start and a stop marker, with a cold cache model:
 *   phase A (start .. custom 1): one load from each of K lines of a buffer
 *           on node 1                       -> K misses on node 1
 *   phase B (custom 1 .. custom 2): one store to each of the same K lines
 *                                           -> K hits, K dirty lines
 *   phase C (custom 2 .. stop): one load from each line of a SWEEP-byte
 *           buffer on node 0                -> SWEEP/64 misses on node 0,
 *                                              K write-backs to node 1
 * The loops are written in assembly so that no other data access happens
 * between the markers.  Prints the buffers' placement and the guest's view
 * of the node address ranges for the host-side checks.
 */
#include <dirent.h>
#include <fcntl.h>
#include <numa.h>
#include <numaif.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sentinel/lab_marker.h>

#define LINE 64

static void die(const char *msg)
{
	perror(msg);
	exit(1);
}

/* Guest-physical address of the page holding p (needs root). */
static uint64_t gpa(const void *p)
{
	long psz = sysconf(_SC_PAGESIZE);
	uint64_t ent = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		die("pagemap");
	if (pread(fd, &ent, sizeof(ent),
		  (off_t)((uintptr_t)p / (uintptr_t)psz * sizeof(ent))) !=
	    (ssize_t)sizeof(ent))
		die("pagemap read");
	close(fd);
	if (!(ent & (1ull << 63)))
		return UINT64_MAX;
	return (ent & ((1ull << 55) - 1)) * (uint64_t)psz +
	       (uintptr_t)p % (uintptr_t)psz;
}

/* Check that every page of [p, p+len) is on node; print its range. */
static void check_node(const char *name, char *p, size_t len, int node)
{
	long psz = sysconf(_SC_PAGESIZE);
	size_t n = len / (size_t)psz;
	void **pages = calloc(n, sizeof(*pages));
	int *st = calloc(n, sizeof(*st));
	size_t bad = 0;

	if (!pages || !st)
		die("calloc");
	for (size_t i = 0; i < n; i++)
		pages[i] = p + i * (size_t)psz;
	if (move_pages(0, n, pages, NULL, st, 0))
		die("move_pages");
	for (size_t i = 0; i < n; i++)
		bad += st[i] != node;
	printf("buffer %s node=%d pages=%zu misplaced=%zu first_gpa=0x%llx\n",
	       name, node, n, bad, (unsigned long long)gpa(p));
	free(pages);
	free(st);
}

/* The guest kernel's view: memory blocks per node from sysfs. */
static void print_node_blocks(void)
{
	char path[256];
	unsigned long long bs = 0;
	FILE *f = fopen("/sys/devices/system/memory/block_size_bytes", "r");

	if (!f || fscanf(f, "%llx", &bs) != 1)
		die("block_size_bytes");
	fclose(f);
	for (int node = 0; node < 8; node++) {
		DIR *d;
		struct dirent *e;
		unsigned long long lo = ~0ull, hi = 0, nblk = 0;

		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d",
			 node);
		d = opendir(path);
		if (!d)
			continue;
		while ((e = readdir(d))) {
			unsigned long long m;
			char c;

			if (sscanf(e->d_name, "memory%llu%c", &m, &c) != 1)
				continue;
			nblk++;
			if (m * bs < lo)
				lo = m * bs;
			if ((m + 1) * bs - 1 > hi)
				hi = (m + 1) * bs - 1;
		}
		closedir(d);
		printf("guest node%d blocks=%llu block_size=0x%llx span=0x%llx-0x%llx\n",
		       node, nblk, bs, nblk ? lo : 0, hi);
	}
}

int main(int argc, char **argv)
{
	size_t k = argc > 1 ? strtoul(argv[1], NULL, 0) : 1024;
	size_t sweep = (argc > 2 ? strtoul(argv[2], NULL, 0) : 16) << 20;
	size_t blen = (k * LINE + 4095) & ~(size_t)4095;
	char *b1, *b0;
	size_t n;
	char *p;

	if (numa_available() < 0 || numa_max_node() < 1) {
		fprintf(stderr, "need two NUMA nodes\n");
		return 1;
	}
	b1 = numa_alloc_onnode(blen, 1);
	b0 = numa_alloc_onnode(sweep, 0);
	if (!b1 || !b0)
		die("numa_alloc_onnode");
	memset(b1, 1, blen);
	memset(b0, 2, sweep);
	check_node("b1", b1, blen, 1);
	check_node("b0", b0, sweep, 0);
	print_node_blocks();
	printf("expect k=%zu sweep_lines=%zu\n", k, sweep / LINE);
	fflush(stdout);

	/* Map the marker value page before counting starts. */
	lab_custom(0);

	lab_start();
	p = b1;
	n = k;
	__asm__ volatile("1:\n\t"
			 "movzbl (%0), %%eax\n\t"
			 "add $64, %0\n\t"
			 "dec %1\n\t"
			 "jnz 1b\n\t"
			 : "+r"(p), "+r"(n)
			 :
			 : "eax", "memory", "cc");
	lab_custom(1);
	p = b1;
	n = k;
	__asm__ volatile("1:\n\t"
			 "movb $3, (%0)\n\t"
			 "add $64, %0\n\t"
			 "dec %1\n\t"
			 "jnz 1b\n\t"
			 : "+r"(p), "+r"(n)
			 :
			 : "memory", "cc");
	lab_custom(2);
	p = b0;
	n = sweep / LINE;
	__asm__ volatile("1:\n\t"
			 "movzbl (%0), %%eax\n\t"
			 "add $64, %0\n\t"
			 "dec %1\n\t"
			 "jnz 1b\n\t"
			 : "+r"(p), "+r"(n)
			 :
			 : "eax", "memory", "cc");
	lab_stop();
	printf("selftest-guest: done\n");
	return 0;
}
