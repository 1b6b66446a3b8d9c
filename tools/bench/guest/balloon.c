// SPDX-License-Identifier: GPL-2.0
/*
 * bench-balloon - shrink a NUMA node's free memory to a target, for the
 * benchmark runner's fast-tier budget (Documentation/evaluation.rst).
 *
 *   bench-balloon [--node N] --leave BYTES [--ready FILE]
 *
 * Allocates anonymous memory bound to node N (mbind MPOL_BIND), locks it
 * (mlock, so that neither reclaim nor demotion nor NUMA balancing can move
 * it) and repeats until the node's MemFree (sysfs node meminfo) is within
 * 1 MiB above BYTES.  Prints one JSON line with what it holds and the
 * node's free memory, writes FILE (when given) with the same line, and
 * then sleeps until SIGTERM or SIGINT; the memory goes back at exit.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MPOL_BIND_ 2
#define MIB (1ull << 20)

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int64_t node_free(int node)
{
	char path[96], line[256];
	long long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/meminfo",
		 node);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "bench-balloon: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "MemFree:");

		if (p) {
			kb = strtoll(p + 8, NULL, 10);
			break;
		}
	}
	fclose(f);
	if (kb < 0) {
		fprintf(stderr, "bench-balloon: no MemFree in %s\n", path);
		exit(1);
	}
	return (int64_t)kb * 1024;
}

static uint64_t parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	default: break;
	}
	if (end == s || *end) {
		fprintf(stderr, "bench-balloon: bad size '%s'\n", s);
		exit(2);
	}
	return v;
}

static void usage(FILE *f)
{
	fputs("usage: bench-balloon [--node N] --leave BYTES [--ready FILE]\n"
	      "Lock memory of node N (default 0) until its MemFree is BYTES\n"
	      "(K, M, G suffixes), print what was done, sleep until SIGTERM.\n",
	      f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "node", required_argument, NULL, 'n' },
		{ "leave", required_argument, NULL, 'l' },
		{ "ready", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *ready = NULL;
	uint64_t leave = UINT64_MAX, held = 0;
	int node = 0, c, rounds = 0;
	int64_t before, now;
	char out[256];

	while ((c = getopt_long(argc, argv, "n:l:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': node = atoi(optarg); break;
		case 'l': leave = parse_size(optarg); break;
		case 'r': ready = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (leave == UINT64_MAX || node < 0 || node >= 64 || optind != argc) {
		usage(stderr);
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	before = now = node_free(node);
	/* Take what is above the target in shrinking chunks: free memory
	 * also moves by itself (page cache, the kernel), so re-read it. */
	while (now > (int64_t)(leave + MIB) && rounds < 10000) {
		uint64_t want = (uint64_t)now - leave;
		unsigned long mask = 1ul << node;
		size_t len;
		void *p;

		if (want > 256 * MIB)
			want = 256 * MIB;
		else if (want > 2 * MIB)
			want = want / 2;
		len = (want + 4095) & ~4095ull;
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			perror("bench-balloon: mmap");
			return 1;
		}
		if (syscall(SYS_mbind, p, len, MPOL_BIND_, &mask, 64, 0)) {
			perror("bench-balloon: mbind");
			return 1;
		}
		if (mlock(p, len)) {
			perror("bench-balloon: mlock");
			return 1;
		}
		held += len;
		rounds++;
		now = node_free(node);
	}
	snprintf(out, sizeof(out),
		 "{\"node\":%d,\"free_before\":%" PRId64 ",\"held\":%" PRIu64
		 ",\"leave\":%" PRIu64 ",\"free_after\":%" PRId64 "}\n",
		 node, before, held, leave, now);
	fputs(out, stdout);
	fflush(stdout);
	if (ready) {
		FILE *f = fopen(ready, "w");

		if (!f || fputs(out, f) == EOF || fclose(f)) {
			fprintf(stderr, "bench-balloon: %s: %s\n", ready,
				strerror(errno));
			return 1;
		}
	}
	while (!stop)
		pause();
	return 0;
}
