// SPDX-License-Identifier: GPL-2.0
/*
 * bench-balloon - shrink a NUMA node's free memory to a target, for the
 * benchmark runner's fast-tier budget (Documentation/evaluation.rst).
 *
 *   bench-balloon [--node N] --leave BYTES [--ready FILE] [--then-cpu C]
 *
 * Allocates anonymous memory bound to node N (mbind MPOL_BIND), locks it
 * (mlock, so that neither reclaim nor demotion nor NUMA balancing can move
 * it) and repeats until the memory a user allocation can still get on
 * the node (free pages above each zone's low watermark and lowmem reserve,
 * from /proc/zoneinfo) is within 64 KiB above BYTES.  Prints one JSON line
 * with what it holds and the node's free memory, writes FILE (when given)
 * with the same line, and then sleeps until SIGTERM or SIGINT; the memory
 * goes back at exit.
 *
 * Free memory grows again after the fill: pages the kernel and exiting
 * processes free, and pages coming back from the per-CPU free lists
 * (which /proc/zoneinfo does not count as free).  SIGUSR1 takes what grew
 * since (the fill again, never a release) and rewrites FILE with
 * "resettled" counting those calls.  A fill runs on each CPU the balloon
 * was started on, the highest last, and ends there by emptying that
 * CPU's per-CPU lists; with --then-cpu the balloon then waits on CPU C,
 * off the workload's CPU.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <sentinel/size.h>

#define MPOL_BIND_ 2
#define MIB (1ull << 20)

static volatile sig_atomic_t stop, resettle;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		resettle = 1;
	else
		stop = 1;
}

/*
 * Memory of the node that a user allocation (GFP_HIGHUSER_MOVABLE) can
 * still get without falling back to another node: over the node's zones
 * (/proc/zoneinfo), the free pages above the zone's low watermark plus
 * its lowmem reserve against movable allocations ("protection", index
 * ZONE_MOVABLE).  Below that, the page allocator's fast path moves on to
 * the next node of the zonelist.  With @pcp, also the pages on CPU
 * @cpu's per-CPU free lists of those zones (not counted as free there,
 * but handed out to allocations on that CPU first).
 */
static int64_t node_scan(int node, int cpu, int64_t *pcp)
{
	long long free = 0, low = 0, prot = 0, sum = 0, lists = 0, zlist = 0, v, p[8];
	char line[512], zone[32];
	int n, cur = -1, found = 0, k, at_cpu = -1;
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (!f) {
		fprintf(stderr, "bench-balloon: /proc/zoneinfo: %s\n", strerror(errno));
		exit(1);
	}
	while (fgets(line, sizeof(line), f)) {
		char *q;

		if (sscanf(line, "Node %d, zone %31s", &n, zone) == 2) {
			if (cur == node && free - low - prot > 0) {
				sum += free - low - prot;
				lists += zlist;
			}
			cur = n;
			free = low = prot = zlist = 0;
			at_cpu = -1;
		} else if (cur != node) {
			continue;
		} else if (sscanf(line, " pages free %lld", &free) == 1) {
			found = 1;
		} else if (sscanf(line, " low %lld", &low) == 1) {
			;
		} else if (sscanf(line, " cpu: %d", &at_cpu) == 1) {
			;
		} else if (sscanf(line, " count: %lld", &v) == 1) {
			if (at_cpu == cpu)
				zlist += v;
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
	if (cur == node && free - low - prot > 0) {
		sum += free - low - prot;
		lists += zlist;
	}
	fclose(f);
	if (!found) {
		fprintf(stderr, "bench-balloon: node %d has no zone in /proc/zoneinfo\n", node);
		exit(1);
	}
	if (pcp)
		*pcp = lists;
	return (int64_t)sum * 4096;
}

static int64_t node_avail(int node)
{
	return node_scan(node, -1, NULL);
}

static uint64_t parse_size(const char *s)
{
	const char *why;
	uint64_t v;

	if (sntl_size_parse(s, &v, &why)) {
		fprintf(stderr, "bench-balloon: bad size '%s': %s\n", s, why);
		exit(2);
	}
	return v;
}

/* A whole decimal number in [lo, hi], or exit 2 naming the option. */
static int parse_int(const char *s, const char *opt, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || *end || errno || v < lo || v > hi) {
		fprintf(stderr, "bench-balloon: bad %s '%s' (%ld to %ld)\n", opt, s, lo, hi);
		exit(2);
	}
	return (int)v;
}

static void usage(FILE *f)
{
	fputs("usage: bench-balloon [--node N] --leave BYTES [--ready FILE] [--then-cpu C]\n"
	      "Lock memory of node N (default 0) until what user allocations can get there is BYTES\n"
	      "(K, M, G suffixes), print what was done, sleep until SIGTERM; SIGUSR1 fills again.\n",
	      f);
}

struct balloon {
	int node;
	uint64_t leave;
	uint64_t held;
	int rounds;
	int64_t before;
	int64_t now;
	int resettled;
	int64_t pcp_left;	/* pages left on this CPU's lists */
};

/* Lock @len bytes of the node's memory.  Returns 0, or 1 after printing why not. */
static int take(struct balloon *b, size_t len)
{
	unsigned long mask = 1ul << b->node;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
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
	b->held += len;
	return 0;
}

/*
 * Empty this CPU's per-CPU free lists of the node, where they serve user
 * allocations: those pages are not free in /proc/zoneinfo, yet the next
 * allocations on this CPU get them.  Takes a few pages less than the
 * lists hold each time, so that the lists are not refilled from the
 * free pages just counted; stops when they no longer shrink (what is left
 * is on lists of other kinds or orders, which user pages do not use).
 */
static int drain_lists(struct balloon *b)
{
	int cpu = sched_getcpu(), i;
	int64_t left, was = INT64_MAX;

	if (cpu < 0) {
		perror("bench-balloon: sched_getcpu");
		return 1;
	}
	/*
	 * Not when the node is at its low watermark already: the pages
	 * would come through the allocator's slow path, which wakes
	 * kswapd to reclaim the node up to its high watermark.
	 */
	if (node_scan(b->node, cpu, &left) < 64 * 1024) {
		b->pcp_left = left;
		return 0;
	}
	for (i = 0; i < 16 && left > 2 && left < was; i++) {
		was = left;
		if (take(b, (size_t)(left - 2) * 4096))
			return 1;
		node_scan(b->node, cpu, &left);
	}
	b->pcp_left = left;
	return 0;
}

/*
 * Lock node memory until what is left for user allocations is within
 * 64 KiB above b->leave, and empty this CPU's lists.  Returns 0, or 1
 * after printing why not.
 */
static int fill(struct balloon *b)
{
	int stuck = 0, settled = 0;

	b->now = node_avail(b->node);
again:
	/* Take what is above the target in shrinking chunks: free memory
	 * also moves by itself (page cache, the kernel), so re-read it. */
	while (b->now > (int64_t)(b->leave + 64 * 1024)) {
		uint64_t want = (uint64_t)b->now - b->leave;
		int64_t was = b->now;
		size_t len;

		/*
		 * Halving steps near the target: an allocation can also move
		 * up to a few dozen pages from the free lists to this CPU's
		 * per-CPU list, and a step that lands below the target cannot
		 * be taken back.
		 */
		if (want > 256 * MIB)
			want = 256 * MIB;
		else if (want > 128 * 1024)
			want = want / 2;
		len = (want + 4095) & ~4095ull;
		if (take(b, len))
			return 1;
		b->rounds++;
		b->now = node_avail(b->node);
		if (b->now >= was && ++stuck > 50) {
			fprintf(stderr, "bench-balloon: node %d's free memory does not go down\n",
				b->node);
			return 1;
		}
	}
	if (settled++ < 3) {
		/* Pages come back from per-CPU lists and the like for a
		 * moment after the last allocation: look again. */
		usleep(300000);
		b->now = node_avail(b->node);
		if (b->now > (int64_t)(b->leave + 64 * 1024))
			goto again;
	}
	if (drain_lists(b))
		return 1;
	b->now = node_avail(b->node);
	return 0;
}

/* The JSON line on stdout and in FILE.  Returns 0, or 1 after printing why not. */
static int report(const struct balloon *b, const char *ready)
{
	char out[256], tmp[4096];
	FILE *f;

	snprintf(out, sizeof(out),
		 "{\"node\":%d,\"avail_before\":%" PRId64 ",\"held\":%" PRIu64
		 ",\"leave\":%" PRIu64 ",\"avail_after\":%" PRId64
		 ",\"rounds\":%d,\"resettled\":%d,\"cpu\":%d,\"pcp_left_pages\":%" PRId64 "}\n",
		 b->node, b->before, b->held, b->leave, b->now, b->rounds,
		 b->resettled, sched_getcpu(), b->pcp_left);
	fputs(out, stdout);
	fflush(stdout);
	if (!ready)
		return 0;
	/* Whole or not at all: the runner waits for FILE to appear. */
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", ready) >= (int)sizeof(tmp)) {
		fprintf(stderr, "bench-balloon: %s: name too long\n", ready);
		return 1;
	}
	f = fopen(tmp, "w");
	if (!f || fputs(out, f) == EOF || fclose(f) || rename(tmp, ready)) {
		fprintf(stderr, "bench-balloon: %s: %s\n", ready, strerror(errno));
		return 1;
	}
	return 0;
}

/* Run on CPU @cpu only.  Returns 0, or 1 after printing why not. */
static int pin(int cpu)
{
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one)) {
		fprintf(stderr, "bench-balloon: CPU %d: %s\n", cpu, strerror(errno));
		return 1;
	}
	return 0;
}

/*
 * A fill on each CPU the balloon may run on, in turn (the highest last),
 * so that every CPU's lists are emptied; then to CPU @then (if >= 0).
 * Returns 0, or 1 after printing why not.
 */
static int fill_all(struct balloon *b, const cpu_set_t *cpus, int then)
{
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, cpus) && (pin(cpu) || fill(b)))
			return 1;
	return then >= 0 ? pin(then) : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "node", required_argument, NULL, 'n' },
		{ "leave", required_argument, NULL, 'l' },
		{ "ready", required_argument, NULL, 'r' },
		{ "then-cpu", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct balloon b = { .leave = UINT64_MAX };
	const char *ready = NULL;
	int c, then_cpu = -1;
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block, wait_mask;
	cpu_set_t cpus;

	while ((c = getopt_long(argc, argv, "n:l:r:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': b.node = parse_int(optarg, "--node", 0, 63); break;
		case 'l': b.leave = parse_size(optarg); break;
		case 'r': ready = optarg; break;
		case 'c': then_cpu = parse_int(optarg, "--then-cpu", 0, CPU_SETSIZE - 1); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (b.leave == UINT64_MAX || optind != argc) {
		usage(stderr);
		return 2;
	}
	/* The signals wait in the mask, so that none is lost between a
	 * check and the sleep. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &wait_mask);
	sigdelset(&wait_mask, SIGTERM);
	sigdelset(&wait_mask, SIGINT);
	sigdelset(&wait_mask, SIGUSR1);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);

	if (sched_getaffinity(0, sizeof(cpus), &cpus)) {
		perror("bench-balloon: sched_getaffinity");
		return 1;
	}
	b.before = node_avail(b.node);
	if (fill_all(&b, &cpus, then_cpu))
		return 1;
	if (report(&b, ready))
		return 1;
	for (;;) {
		while (!stop && !resettle)
			sigsuspend(&wait_mask);
		if (stop)
			return 0;
		resettle = 0;
		b.resettled++;
		if (fill_all(&b, &cpus, then_cpu) || report(&b, ready))
			return 1;
	}
}
