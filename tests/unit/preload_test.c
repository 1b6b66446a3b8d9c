// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libsentinel-preload.so under a C program: the program re-executes
 * itself with LD_PRELOAD set (threshold 64K) and checks that large
 * allocations of every allocation function come from libsentinel, small
 * ones and foreign pointers stay with glibc, data survives realloc across
 * the threshold both ways, alignments are honoured, calloc zeroes, and
 * all of it holds with threads and across fork().  Then the aligned
 * route (sentinel_preload_set_route(), as sentinel-run's bootstrap sets
 * it for PyTorch): only requests aligned to 64 bytes or more, of any
 * size down to the new threshold.  A second run with SENTINEL_PRELOAD=0
 * checks that nothing is routed then, a third that
 * SENTINEL_PRELOAD_ROUTE=aligned is read, a fourth that a route that is
 * neither is said on standard error and routes every request.
 *
 * Built without AddressSanitizer (see lib/preload.mk).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sentinel.h>

#include "tap.h"
#include "preload.h"

#define THRESHOLD	(64UL * 1024)
#define PAGE		4096UL

static int (*p_active)(void);
static size_t (*p_threshold)(void);
static int (*p_counters)(struct sentinel_preload_counters *, size_t);
static int (*p_route)(void);
static int (*p_set_route)(int, size_t);

static void fill(void *p, size_t n, unsigned int seed)
{
	unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++)
		c[i] = (unsigned char)(seed + i * 7 + (i >> 12));
}

static int check(const void *p, size_t n, unsigned int seed)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (c[i] != (unsigned char)(seed + i * 7 + (i >> 12)))
			return 0;
	return 1;
}

static int all_zero(const void *p, size_t n)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (c[i])
			return 0;
	return 1;
}

/* Keep the compiler from pairing allocation and free calls away. */
static void *volatile sink;
static volatile size_t huge = SIZE_MAX / 2;	/* hidden from the compiler */

static void test_basic(void)
{
	char *small = malloc(100), *big = malloc(1 << 20), *edge = malloc(THRESHOLD);
	char *below = malloc(THRESHOLD - 1);

	ok(small && !sntl_owns(small), "a small malloc stays with glibc");
	ok(below && !sntl_owns(below), "threshold - 1 bytes stay with glibc");
	ok(edge && sntl_owns(edge), "threshold bytes go to libsentinel");
	ok(big && sntl_owns(big), "a 1 MiB malloc goes to libsentinel");
	if (big) {
		fill(big, 1 << 20, 3);
		ok(check(big, 1 << 20, 3), "data written to it reads back");
		ok(malloc_usable_size(big) >= (1 << 20),
		   "malloc_usable_size of it covers the request (%zu)",
		   malloc_usable_size(big));
	}
	ok(small && malloc_usable_size(small) >= 100,
	   "malloc_usable_size of a glibc block");
	ok(malloc_usable_size(NULL) == 0, "malloc_usable_size(NULL) is 0");
	free(small);
	free(big);
	free(edge);
	free(below);
	free(NULL);

	/* strdup and friends allocate inside glibc; we free them. */
	char *s = strdup("sentinel");
	ok(s && !strcmp(s, "sentinel"), "strdup through the interposer");
	free(s);
}

static void test_calloc(void)
{
	size_t n = 3 << 20;
	char *a = malloc(n), *b;
	int reused;

	if (a)
		memset(a, 0xa5, n);
	free(a);
	b = calloc(3, 1 << 20);
	reused = b == a;
	ok(b && sntl_owns(b) && all_zero(b, n),
	   "a large calloc is zeroed (same address as a dirtied block: %d)", reused);
	free(b);
	b = calloc(10, 10);
	ok(b && !sntl_owns(b) && all_zero(b, 100), "a small calloc is zeroed");
	free(b);
	errno = 0;
	sink = calloc(huge, 3);
	ok(!sink && errno == ENOMEM, "calloc overflow: NULL, ENOMEM");
}

static void test_realloc(void)
{
	size_t big = 512 * 1024;
	char *p = malloc(1000), *q;

	fill(p, 1000, 11);
	q = realloc(p, big);
	ok(q && sntl_owns(q) && check(q, 1000, 11),
	   "realloc small -> large: moved to libsentinel, data kept");
	fill(q, big, 12);
	p = realloc(q, 4 * big);
	ok(p && sntl_owns(p) && check(p, big, 12),
	   "realloc large -> larger: data kept");
	fill(p, 4 * big, 13);
	q = realloc(p, 4 * big - 100);
	ok(q == p && check(q, 4 * big - 100, 13), "realloc shrinking a little stays in place");
	p = realloc(q, 2000);
	ok(p && !sntl_owns(p) && check(p, 2000, 13),
	   "realloc large -> small: back to glibc, data kept");
	q = realloc(NULL, big);
	ok(q && sntl_owns(q), "realloc(NULL, large) allocates from libsentinel");
	errno = 0;
	ok(realloc(q, 0) == NULL, "realloc(large, 0) frees and returns NULL");
	free(p);

	/* Growth by small steps is amortised: few moves. */
	size_t n = THRESHOLD, moves = 0;
	char *g = malloc(n), *prev = g;

	fill(g, n, 14);
	while (n < 8 * THRESHOLD) {
		n += 1000;
		g = realloc(g, n);
		if (!g)
			break;
		if (g != prev)
			moves++;
		prev = g;
	}
	ok(g && check(g, THRESHOLD, 14) && moves < 20,
	   "growing a large block 1000 bytes at a time moved it %zu times", moves);
	free(g);

	errno = 0;
	sink = reallocarray(NULL, huge, 3);
	ok(!sink && errno == ENOMEM, "reallocarray overflow: NULL, ENOMEM");
	p = reallocarray(NULL, 1024, 1024);
	ok(p && sntl_owns(p), "a large reallocarray goes to libsentinel");
	free(p);
}

static void test_align(void)
{
	size_t aligns[] = { 8, 16, 64, 256, 4096, 65536, 2UL << 20 };
	size_t i;
	void *p;
	int good_big = 1, good_small = 1;

	for (i = 0; i < sizeof(aligns) / sizeof(aligns[0]); i++) {
		size_t a = aligns[i];

		p = NULL;
		if (posix_memalign(&p, a, 300000) || ((uintptr_t)p % a) ||
		    !sntl_owns(p))
			good_big = 0;
		else
			fill(p, 300000, (unsigned int)i);
		free(p);
		p = memalign(a, 500000);
		if (!p || ((uintptr_t)p % a) || !sntl_owns(p))
			good_big = 0;
		free(p);
		p = aligned_alloc(a, 200000);
		if (!p || ((uintptr_t)p % a) || !sntl_owns(p))
			good_big = 0;
		free(p);

		p = NULL;
		if (posix_memalign(&p, a, 100) || ((uintptr_t)p % a) || sntl_owns(p))
			good_small = 0;
		free(p);	/* a page-aligned foreign pointer for a >= 4096 */
		p = memalign(a, 50);
		if (!p || ((uintptr_t)p % a))
			good_small = 0;
		free(p);
	}
	ok(good_big, "posix_memalign, memalign, aligned_alloc: large blocks aligned 8 B..2 MiB, from libsentinel");
	ok(good_small, "small aligned blocks aligned and left to glibc (freed through free)");
	ok(posix_memalign(&p, 24, 1 << 20) == EINVAL, "posix_memalign: alignment 24 is EINVAL");
	ok(posix_memalign(&p, 0, 1 << 20) == EINVAL, "posix_memalign: alignment 0 is EINVAL");
	p = memalign(3000, 1 << 20);
	ok(p && !((uintptr_t)p % 4096), "memalign rounds alignment 3000 up to 4096");
	free(p);
	p = valloc(THRESHOLD);
	ok(p && !((uintptr_t)p % PAGE) && sntl_owns(p), "valloc: page-aligned, large from libsentinel");
	free(p);
	p = pvalloc(THRESHOLD - 10);
	ok(p && !((uintptr_t)p % PAGE) && sntl_owns(p) && malloc_usable_size(p) >= THRESHOLD,
	   "pvalloc rounds up to pages");
	free(p);
	p = valloc(100);
	ok(p && !((uintptr_t)p % PAGE) && !sntl_owns(p), "small valloc from glibc");
	free(p);
}

/* Blocks of @size bytes from each allocation function: which are ours. */
static unsigned int owned(size_t size, size_t align)
{
	unsigned int bits = 0;
	void *p[5] = { malloc(size), calloc(1, size), NULL,
		       memalign(align, size), aligned_alloc(align, size) };

	if (posix_memalign(&p[2], align, size))
		p[2] = NULL;
	for (int i = 0; i < 5; i++) {
		if (p[i] && sntl_owns(p[i]))
			bits |= 1U << i;
		if (p[i] && ((uintptr_t)p[i] % (i >= 2 ? align : 16)))
			bits |= 1U << 8;	/* misaligned */
		free(p[i]);
	}
	return bits;
}

static void test_route(void)
{
	unsigned int b;

	ok(p_route() == SENTINEL_PRELOAD_ROUTE_ALL, "the route is 'all' by default");
	ok(p_set_route(7, 1) == -1 && p_set_route(SENTINEL_PRELOAD_ROUTE_ALIGNED, 0) == -1 &&
	   p_route() == SENTINEL_PRELOAD_ROUTE_ALL && p_threshold() == THRESHOLD,
	   "set_route refuses an unknown route and a threshold of 0, changing nothing");
	ok(p_set_route(SENTINEL_PRELOAD_ROUTE_ALIGNED, 1) == 0 &&
	   p_route() == SENTINEL_PRELOAD_ROUTE_ALIGNED && p_threshold() == 1,
	   "set_route(ALIGNED, 1): every request aligned to 64 bytes");
	b = owned(1 << 20, 64);
	ok(b == 0x1c, "1 MiB: posix_memalign, memalign and aligned_alloc at 64 B "
	   "routed, malloc and calloc not (owned %#x)", b);
	b = owned(100, 64);
	ok(b == 0x1c, "100 B aligned to 64: routed, pages of their own (owned %#x)", b);
	b = owned(1 << 20, 16);
	ok(b == 0, "1 MiB aligned to 16 B: not routed (owned %#x)", b);
	ok(p_set_route(SENTINEL_PRELOAD_ROUTE_ALL, THRESHOLD) == 0, "back to 'all' at 64K");
	b = owned(1 << 20, 16);
	ok(b == 0x1f, "1 MiB from every function routed again (owned %#x)", b);
}

static int run_aligned_env(void)
{
	void *p = NULL, *q = malloc(1 << 20);
	int good;

	good = p_route && p_route() == SENTINEL_PRELOAD_ROUTE_ALIGNED &&
	       !posix_memalign(&p, 64, 1 << 20) && sntl_owns(p) && q && !sntl_owns(q);
	free(p);
	free(q);
	return good ? 0 : 1;
}

/* ---- threads and fork ---- */

#define THREADS 4
#define ITERS	400

static _Atomic int stop_churn;
static _Atomic int thread_errors;

static void *worker(void *arg)
{
	unsigned int id = (unsigned int)(uintptr_t)arg;
	void *keep[8] = { 0 };
	size_t keep_n[8] = { 0 };
	unsigned int i;

	for (i = 0; i < ITERS || (!stop_churn && i < 100000); i++) {
		unsigned int slot = (i * 5 + id) % 8;
		size_t n = (i % 3 == 0) ? 100 + i % 5000 : THRESHOLD + (i % 7) * 30000;
		unsigned int seed = id * 1000 + slot;

		if (keep[slot]) {
			if (!check(keep[slot], keep_n[slot], seed))
				thread_errors++;
			if (i % 4 == 0) {
				size_t m = (keep_n[slot] < THRESHOLD) ? 3 * THRESHOLD : 200;
				void *r = realloc(keep[slot], m);

				if (!r || !check(r, m < keep_n[slot] ? m : keep_n[slot], seed))
					thread_errors++;
				free(r);
			} else {
				free(keep[slot]);
			}
		}
		keep[slot] = (i % 5 == 0) ? calloc(1, n) : malloc(n);
		keep_n[slot] = n;
		if (!keep[slot]) {
			thread_errors++;
			continue;
		}
		if ((n >= THRESHOLD) != !!sntl_owns(keep[slot]))
			thread_errors++;
		fill(keep[slot], n, seed);
	}
	for (i = 0; i < 8; i++) {
		if (keep[i] && !check(keep[i], keep_n[i], id * 1000 + i))
			thread_errors++;
		free(keep[i]);
	}
	return NULL;
}

static void test_threads(void)
{
	struct sentinel_preload_counters before, after;
	pthread_t t[THREADS];
	unsigned int i;

	p_counters(&before, sizeof(before));
	stop_churn = 1;
	for (i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)i);
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	p_counters(&after, sizeof(after));
	ok(thread_errors == 0, "%d threads: data intact, routing right (%d errors)",
	   THREADS, thread_errors);
	ok(after.routed - before.routed == after.freed - before.freed &&
	   after.routed > before.routed,
	   "every routed allocation was freed through libsentinel (%llu)",
	   (unsigned long long)(after.routed - before.routed));
}

/* Forks while threads allocate; the children check and free inherited blocks. */
static void test_fork(void)
{
	pthread_t t[2];
	unsigned int i;
	int bad = 0, forks = 8;
	char *held = malloc(1 << 20);

	fill(held, 1 << 20, 77);
	stop_churn = 0;
	thread_errors = 0;
	for (i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)(10 + i));
	for (i = 0; i < (unsigned int)forks; i++) {
		pid_t pid = fork();
		int status;

		if (pid == 0) {
			int rc = 0;
			char *n;

			if (!sntl_owns(held) || !check(held, 1 << 20, 77))
				rc |= 1;
			if (sntl_free(held))
				rc |= 2;
			n = malloc(2 << 20);
			if (!n || !sntl_owns(n))
				rc |= 4;
			else
				fill(n, 2 << 20, 5);
			free(n);
			n = malloc(64);
			free(n);
			if (sntl_state() == SNTL_STATE_OPEN)
				rc |= 8;
			_exit(rc);
		}
		if (pid < 0 || waitpid(pid, &status, 0) != pid ||
		    !WIFEXITED(status) || WEXITSTATUS(status)) {
			diag("fork %u: child status %#x", i, pid > 0 ? status : -1);
			bad++;
		}
	}
	stop_churn = 1;
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	ok(!bad, "%d forks while threads allocate: children use and free inherited blocks", forks);
	ok(thread_errors == 0, "threads running across the forks: no errors");
	ok(check(held, 1 << 20, 77) && sntl_owns(held), "parent's block intact after the forks");
	free(held);
}

/* The SENTINEL_PRELOAD=0 pass: exit status 0 when nothing is routed. */
static int run_off(void)
{
	void *p = malloc(1 << 20);
	int rc = 0;

	if (!p_active || p_active() != 0)
		rc |= 1;
	if (!p || sntl_owns(p))
		rc |= 2;
	free(p);
	return rc;
}

/* A route that is neither: every request routed, as with 'all'. */
static int run_bad_route(void)
{
	void *q = malloc(1 << 20);
	int good = p_route && p_route() == SENTINEL_PRELOAD_ROUTE_ALL && q && sntl_owns(q);

	free(q);
	return good ? 0 : 1;
}

static int reexec(char **argv, const char *mode);

/*
 * The exit status of this program re-executed in @mode, or -1; its
 * standard error into @err (@len bytes, NUL-terminated) when not NULL.
 */
static int run_mode_err(char **argv, const char *mode, char *err, size_t len)
{
	int status = -1, fds[2] = { -1, -1 };
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	if (err && pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		if (err && dup2(fds[1], STDERR_FILENO) < 0)
			_exit(1);
		_exit(reexec(argv, mode));
	}
	if (err) {
		close(fds[1]);
		while (pid > 0 && got + 1 < len &&
		       (n = read(fds[0], err + got, len - 1 - got)) > 0)
			got += (size_t)n;
		err[got] = '\0';
		close(fds[0]);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	return pid > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int run_mode(char **argv, const char *mode)
{
	return run_mode_err(argv, mode, NULL, 0);
}

static void test_off(char **argv)
{
	int rc = run_mode(argv, "off");

	ok(rc == 0, "SENTINEL_PRELOAD=0: inactive, large blocks from glibc (status %d)", rc);
	rc = run_mode(argv, "aligned");
	ok(rc == 0, "SENTINEL_PRELOAD_ROUTE=aligned: aligned requests routed, "
	   "malloc not (status %d)", rc);
}

static void test_bad_route(char **argv)
{
	char err[512];
	int rc = run_mode_err(argv, "badroute", err, sizeof(err));

	ok(rc == 0 && strstr(err, "SENTINEL_PRELOAD_ROUTE is neither 'all' nor "
			     "'aligned'; routing all requests"),
	   "SENTINEL_PRELOAD_ROUTE=sideways: said on standard error, every "
	   "request routed (status %d)", rc);
}

static int reexec(char **argv, const char *mode)
{
	char exe[PATH_MAX], so[PATH_MAX + 64];
	const char *env_so = getenv("SENTINEL_PRELOAD_SO");
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0) {
		perror("readlink /proc/self/exe");
		return 1;
	}
	exe[n] = '\0';
	if (env_so) {
		snprintf(so, sizeof(so), "%s", env_so);
	} else {
		slash = strrchr(exe, '/');
		*slash = '\0';
		snprintf(so, sizeof(so), "%s/../../lib/libsentinel-preload.so", exe);
		*slash = '/';
	}
	if (access(so, R_OK)) {
		fprintf(stderr, "preload_test: %s: %s\n", so, strerror(errno));
		return 1;
	}
	setenv("LD_PRELOAD", so, 1);
	setenv("SENTINEL_PRELOAD_THRESHOLD", "64K", 1);
	setenv("SENTINEL_PRELOAD_TEST_MODE", mode, 1);
	if (!strcmp(mode, "off"))
		setenv("SENTINEL_PRELOAD", "0", 1);
	if (!strcmp(mode, "aligned"))
		setenv("SENTINEL_PRELOAD_ROUTE", "aligned", 1);
	if (!strcmp(mode, "badroute"))
		setenv("SENTINEL_PRELOAD_ROUTE", "sideways", 1);
	execv(exe, argv);
	perror("execv");
	return 1;
}

int main(int argc, char **argv)
{
	const char *mode = getenv("SENTINEL_PRELOAD_TEST_MODE");

	(void)argc;
	if (!mode)
		return reexec(argv, "on");
	p_active = (int (*)(void))dlsym(RTLD_DEFAULT, "sentinel_preload_active");
	p_threshold = (size_t (*)(void))dlsym(RTLD_DEFAULT, "sentinel_preload_threshold");
	p_counters = (int (*)(struct sentinel_preload_counters *, size_t))
		dlsym(RTLD_DEFAULT, "sentinel_preload_counters");
	p_route = (int (*)(void))dlsym(RTLD_DEFAULT, "sentinel_preload_route");
	p_set_route = (int (*)(int, size_t))dlsym(RTLD_DEFAULT, "sentinel_preload_set_route");
	if (!strcmp(mode, "off"))
		return run_off();
	if (!strcmp(mode, "aligned"))
		return run_aligned_env();
	if (!strcmp(mode, "badroute"))
		return run_bad_route();

	if (!ok(p_active && p_threshold && p_counters && p_route && p_set_route &&
		p_active() == 1,
		"the interposer is loaded and active"))
		return tap_done();
	ok(p_threshold() == THRESHOLD, "SENTINEL_PRELOAD_THRESHOLD=64K parsed (%zu)",
	   p_threshold());
	diag("session: %s", sntl_state() == SNTL_STATE_OPEN ? "open" :
	     "none (module absent: the allocator works without it)");
	test_basic();
	test_calloc();
	test_realloc();
	test_align();
	test_threads();
	test_fork();
	test_route();
	test_off(argv);
	test_bad_route(argv);
	return tap_done();
}
