// SPDX-License-Identifier: GPL-2.0
/*
 * scanbench - cost of the module's accessed-bit scans.
 *
 * usage: scanbench [--objects N] [--mib M] [--thp] [--steps S] [--async]
 *
 * Maps M MiB (4 KiB pages, or THP-backed with --thp), touches all of it,
 * registers it as N equal objects (partial objects when N exceeds the
 * page count), then measures:
 *   - a profiled step of 4 layers, each touching every page: the scan
 *     at each LAYER_END (tests and clears every page, flushes the TLB);
 *   - S steady-mode step ends with an unlimited budget (every page), in
 *     the marking thread, or with --async in the module's worker (the
 *     step end then only queues the scan).
 * Prints one JSON object: per-page costs from the session's own scan
 * statistics and the wall time of the marks that scanned.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/sentinel.h>

#define PAGE 4096UL
#define HUGE (2UL << 20)

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "scanbench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void mark(int fd, int type, int dir, uint32_t layer, uint64_t step)
{
	struct sentinel_mark m = {
		.size = sizeof(m), .type = type, .direction = dir,
		.layer = layer, .step = step,
	};

	if (ioctl(fd, SENTINEL_IOC_MARK, &m))
		die("mark");
}

static void stats(int fd, struct sentinel_session_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	if (ioctl(fd, SENTINEL_IOC_STATS, st))
		die("stats");
}

static int write_knob(const char *name, const char *val)
{
	char path[128];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/sys/kernel/sentinel/%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	if (write(fd, val, strlen(val)) < 0)
		ret = -1;
	close(fd);
	return ret;
}

static void touch(char *p, size_t len)
{
	size_t off;

	for (off = 0; off < len; off += PAGE)
		p[off]++;
}

struct opts {
	unsigned long nobj, mib, steps;
	int thp, async;
};

/* Session statistics around each phase and the wall time of its marks. */
struct result {
	struct sentinel_session_stats s0, s1, s2;
	uint64_t prof_wall, steady_wall;
};

/* Fill o from the command line; returns 0, or the exit status on error. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "objects", required_argument, NULL, 'n' },
		{ "mib", required_argument, NULL, 'm' },
		{ "thp", no_argument, NULL, 't' },
		{ "steps", required_argument, NULL, 's' },
		{ "async", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct opts){ .nobj = 1000, .mib = 1024, .steps = 5 };
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		char *end;
		unsigned long v;

		if (c == 't' || c == 'a') {
			*(c == 't' ? &o->thp : &o->async) = 1;
			continue;
		}
		if (c == '?') {
			fprintf(stderr, "usage: scanbench [--objects N] [--mib M] [--thp] [--steps S] [--async]\n");
			return 2;
		}
		errno = 0;
		v = strtoul(optarg, &end, 10);
		if (errno || *end || !v || v > 100000000) {
			fprintf(stderr, "scanbench: bad value '%s'\n", optarg);
			return 2;
		}
		if (c == 'n')
			o->nobj = v;
		else if (c == 'm')
			o->mib = v;
		else
			o->steps = v;
	}
	return 0;
}

/* Map len bytes on a huge page boundary, THP-backed or not, and fill them. */
static char *map_memory(size_t len, int thp)
{
	char *raw, *p;

	raw = mmap(NULL, len + HUGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		die("mmap");
	p = (char *)(((uintptr_t)raw + HUGE - 1) & ~(HUGE - 1));
	if (madvise(p, len, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
		die("madvise");
	memset(p, 1, len);
	return p;
}

/* Register nobj objects of each bytes from p, SENTINEL_MAX_BATCH at a time. */
static void register_objects(int fd, char *p, size_t nobj, size_t each)
{
	struct sentinel_obj *objs;
	size_t i, done;

	objs = calloc(SENTINEL_MAX_BATCH, sizeof(*objs));
	if (!objs)
		die("calloc");
	for (done = 0; done < nobj; ) {
		struct sentinel_register r = {
			.size = sizeof(r), .obj_size = sizeof(*objs),
			.objs = (uintptr_t)objs,
		};
		size_t k = nobj - done < SENTINEL_MAX_BATCH ?
			   nobj - done : SENTINEL_MAX_BATCH;

		for (i = 0; i < k; i++) {
			objs[i].addr = (uintptr_t)(p + (done + i) * each);
			objs[i].len = each;
			objs[i].id = done + i;
			objs[i].kind = SENTINEL_KIND_ACTIVATION;
			objs[i].layer_hint = SENTINEL_LAYER_NONE;
			objs[i].flags = (each % PAGE) ?
					SENTINEL_OBJ_F_PARTIAL : 0;
		}
		r.count = k;
		if (ioctl(fd, SENTINEL_IOC_REGISTER, &r))
			die("register");
		done += k;
	}
}

/* A profiled step of 4 layers, each touching everything. */
static void profile_step(int fd, char *p, size_t len, struct result *res)
{
	struct sentinel_profile_ctl pc = {
		.size = sizeof(pc), .op = SENTINEL_PROFILE_OP_START,
		.warmup = 0, .steps = 1,
	};
	uint64_t t0, prof_wall = 0;
	size_t i;

	if (ioctl(fd, SENTINEL_IOC_PROFILE_CTL, &pc))
		die("profile start");
	stats(fd, &res->s0);
	mark(fd, SENTINEL_MARK_STEP_BEGIN, 0, 0, 1);
	for (i = 0; i < 4; i++) {
		mark(fd, SENTINEL_MARK_LAYER_BEGIN, SENTINEL_DIR_FORWARD, i, 0);
		touch(p, len);
		t0 = now_ns();
		mark(fd, SENTINEL_MARK_LAYER_END, SENTINEL_DIR_FORWARD, i, 0);
		prof_wall += now_ns() - t0;
	}
	mark(fd, SENTINEL_MARK_STEP_END, 0, 0, 1);
	stats(fd, &res->s1);
	res->prof_wall = prof_wall;
}

/* Steady scans of everything. */
static void steady_steps(int fd, char *p, size_t len, const struct opts *o,
			 struct result *res)
{
	uint64_t t0, steady_wall = 0;
	size_t i;

	if (write_knob("steady_scan_budget", "1073741824") ||
	    write_knob("steady_scan_interval", "1") ||
	    write_knob("steady_scan_async", o->async ? "1" : "0"))
		die("steady knobs");
	for (i = 0; i < o->steps; i++) {
		mark(fd, SENTINEL_MARK_STEP_BEGIN, 0, 0, 2 + i);
		touch(p, len);
		t0 = now_ns();
		mark(fd, SENTINEL_MARK_STEP_END, 0, 0, 2 + i);
		steady_wall += now_ns() - t0;
		/* Let a queued scan finish before the next step touches. */
		while (o->async) {
			stats(fd, &res->s2);
			if (res->s2.steady_scans >=
			    res->s1.steady_scans + i + 1)
				break;
			usleep(1000);
		}
	}
	stats(fd, &res->s2);
	write_knob("steady_scan_budget", "65536");
	write_knob("steady_scan_async", "0");
	res->steady_wall = steady_wall;
}

static void print_result(const struct opts *o, size_t len,
			 const struct result *res)
{
	const struct sentinel_session_stats *s0 = &res->s0, *s1 = &res->s1;
	const struct sentinel_session_stats *s2 = &res->s2;

	printf("{\"bench\": \"scan\", \"objects\": %lu, \"mib\": %lu, \"thp\": %s, "
	       "\"async\": %s, "
	       "\"pages\": %zu, "
	       "\"profile\": {\"scans\": %llu, \"pages\": %llu, \"ns_per_page\": %.2f, "
	       "\"layer_end_ms\": %.3f}, "
	       "\"steady\": {\"scans\": %llu, \"pages\": %llu, \"ns_per_page\": %.2f, "
	       "\"step_end_ms\": %.3f}}\n",
	       o->nobj, o->mib, o->thp ? "true" : "false",
	       o->async ? "true" : "false",
	       len / PAGE,
	       (unsigned long long)(s1->scans - s0->scans),
	       (unsigned long long)(s1->scan_pages - s0->scan_pages),
	       (double)(s1->scan_ns - s0->scan_ns) /
			(double)(s1->scan_pages - s0->scan_pages),
	       res->prof_wall / 4 / 1e6,
	       (unsigned long long)(s2->steady_scans - s1->steady_scans),
	       (unsigned long long)(s2->scan_pages - s1->scan_pages),
	       (double)(s2->scan_ns - s1->scan_ns) /
			(double)(s2->scan_pages - s1->scan_pages),
	       res->steady_wall / (double)o->steps / 1e6);
}

int main(int argc, char **argv)
{
	struct result res;
	struct opts o;
	size_t len, each;
	int fd, ret;
	char *p;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret;
	len = o.mib << 20;
	each = len / o.nobj;
	if (!each) {
		fprintf(stderr, "scanbench: more objects than bytes\n");
		return 2;
	}

	fd = open(SENTINEL_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die(SENTINEL_DEVICE);
	p = map_memory(len, o.thp);
	register_objects(fd, p, o.nobj, each);
	profile_step(fd, p, len, &res);
	steady_steps(fd, p, len, &o, &res);
	print_result(&o, len, &res);
	close(fd);
	return 0;
}
