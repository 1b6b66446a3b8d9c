// SPDX-License-Identifier: GPL-2.0
/*
 * bench-balloon - shrink a NUMA node's free memory to a target, for the
 * benchmark runner's fast-tier budget (Documentation/evaluation.rst).
 *
 *   bench-balloon [--node N] --leave BYTES [--ready FILE]
 *
 * Allocates anonymous memory bound to node N (mbind MPOL_BIND), locks it
 * (mlock, so that neither reclaim nor demotion nor NUMA balancing can move
 * it) and repeats until the memory a user allocation can still get on
 * the node (free pages above each zone's low watermark and lowmem reserve,
 * from /proc/zoneinfo) is within 64 KiB above BYTES.  Prints one JSON line with what it holds and the
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

/*
 * Memory of the node that a user allocation (GFP_HIGHUSER_MOVABLE) can
 * still get without falling back to another node: over the node's zones
 * (/proc/zoneinfo), the free pages above the zone's low watermark plus
 * its lowmem reserve against movable allocations ("protection", index
 * ZONE_MOVABLE).  Below that, the page allocator's fast path moves on to
 * the next node of the zonelist.
 */
static int64_t node_avail(int node)
{
	long long free = 0, low = 0, prot = 0, sum = 0, p[8];
	char line[512], zone[32];
	int n, cur = -1, found = 0, k;
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (!f) {
		fprintf(stderr, "bench-balloon: /proc/zoneinfo: %s\n", strerror(errno));
		exit(1);
	}
	while (fgets(line, sizeof(line), f)) {
		char *q;

		if (sscanf(line, "Node %d, zone %31s", &n, zone) == 2) {
			if (cur == node && free - low - prot > 0)
				sum += free - low - prot;
			cur = n;
			free = low = prot = 0;
		} else if (cur != node) {
			continue;
		} else if (sscanf(line, " pages free %lld", &free) == 1) {
			found = 1;
		} else if (sscanf(line, " low %lld", &low) == 1) {
			;
		} else if ((q = strstr(line, "protection: ("))) {
			q += strlen("protection: (");
			for (k = 0; k < 8 && *q; k++) {
				p[k] = strtoll(q, &q, 10);
				while (*q == ',' || *q == ' ')
					q++;
				if (*q == ')')
					break;
			}
			prot = p[k > 3 ? 3 : k];
		}
	}
	if (cur == node && free - low - prot > 0)
		sum += free - low - prot;
	fclose(f);
	if (!found) {
		fprintf(stderr, "bench-balloon: node %d has no zone in /proc/zoneinfo\n", node);
		exit(1);
	}
	return (int64_t)sum * 4096;
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
	      "Lock memory of node N (default 0) until what user allocations can get there is BYTES\n"
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
	int node = 0, c, rounds = 0, stuck = 0, settled = 0;
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

	before = now = node_avail(node);
again:
	/* Take what is above the target in shrinking chunks: free memory
	 * also moves by itself (page cache, the kernel), so re-read it. */
	while (now > (int64_t)(leave + 64 * 1024)) {
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
		{
			int64_t was = now;

			now = node_avail(node);
			if (now >= was && ++stuck > 50) {
				fprintf(stderr, "bench-balloon: node %d's free memory does not go down\n", node);
				return 1;
			}
		}
	}
	if (settled++ < 3) {
		/* Pages come back from per-CPU lists and the like for a
		 * moment after the last allocation: look again. */
		usleep(300000);
		now = node_avail(node);
		if (now > (int64_t)(leave + 64 * 1024))
			goto again;
	}
	snprintf(out, sizeof(out),
		 "{\"node\":%d,\"avail_before\":%" PRId64 ",\"held\":%" PRIu64
		 ",\"leave\":%" PRIu64 ",\"avail_after\":%" PRId64
		 ",\"rounds\":%d}\n",
		 node, before, held, leave, now, rounds);
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
