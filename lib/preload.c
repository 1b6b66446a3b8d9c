// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libsentinel-preload.so: a malloc interposer that hands large
 * allocations to the libsentinel allocator.
 *
 *   LD_PRELOAD=libsentinel-preload.so program ...
 *
 * Allocations of at least SENTINEL_PRELOAD_THRESHOLD bytes (default
 * 256 KiB) made with malloc, calloc, realloc, reallocarray,
 * posix_memalign, aligned_alloc, memalign, valloc or pvalloc get pages of
 * their own from sntl_alloc(), which registers them with the Sentinel
 * module; everything smaller goes to glibc untouched.  free() and
 * realloc() of a pointer the allocator does not own go to glibc too.
 *
 * With SENTINEL_PRELOAD_ROUTE=aligned only requests aligned to at least
 * 64 bytes are routed (posix_memalign, aligned_alloc, memalign, valloc,
 * pvalloc): the way PyTorch's CPU allocator asks for every tensor's
 * storage, and not the way an interpreter or a C++ container asks for
 * its own memory, which then stays in glibc's heap whatever its size.
 *
 * The glibc functions are called through their exported __libc_* names,
 * so nothing has to be resolved with dlsym() before the first allocation
 * (dlsym itself allocates).  Until the constructor has run, and whenever
 * the allocator cannot serve a request (re-entry from inside the library,
 * no memory), requests go to glibc.  The one glibc function without a
 * __libc_* name, malloc_usable_size, is looked up with dlsym() when it is
 * first needed, which is safe because our malloc never needs it.
 *
 * Allocations made by the allocator are always page-aligned (they are
 * mappings of their own), so free() of a pointer that is not page-aligned
 * goes straight to glibc without asking the allocator.
 *
 * Kind and lifetime: large allocations are registered as SNTL_KIND_OTHER,
 * SNTL_LIFE_PERSISTENT unless a framework binding sets a hint with
 * sentinel_preload_set_hint() (the Python package does: activations in
 * forward, gradients in backward, optimizer state in the optimizer step,
 * weights when it attaches to a model).
 *
 * The C++ operators need no interposition: libstdc++'s operator new calls
 * malloc.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sentinel.h>
#include <sentinel/size.h>

#include "preload.h"

/* glibc's allocator under its exported internal names (glibc >= 2.0). */
extern void *__libc_malloc(size_t size);
extern void __libc_free(void *ptr);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);
extern void *__libc_memalign(size_t align, size_t size);
extern void *__libc_valloc(size_t size);
extern void *__libc_pvalloc(size_t size);

#define EXPORT __attribute__((visibility("default")))

#define DEFAULT_THRESHOLD	(256UL * 1024)
#define ROUTE_ALIGN		64	/* SENTINEL_PRELOAD_ROUTE=aligned */

static _Atomic int ready;		/* constructor done, routing allowed */
static _Atomic size_t threshold = DEFAULT_THRESHOLD;
static _Atomic bool aligned_only;	/* SENTINEL_PRELOAD_ROUTE=aligned */
static uintptr_t page_mask = 4095;
static _Atomic uint32_t hint = SENTINEL_PRELOAD_HINT(SNTL_KIND_OTHER,
						     SNTL_LIFE_PERSISTENT);
static size_t (*glibc_usable_size)(void *);

/* Counters (relaxed; for tests and the Python package). */
static _Atomic uint64_t n_routed, n_fallbacks, n_freed;

static void say(const char *msg)
{
	ssize_t n = write(STDERR_FILENO, msg, strlen(msg));

	(void)n;
}

/* A size (sentinel/size.h) that fits a size_t; false when it does not. */
static bool parse_size(const char *s, size_t *out)
{
	uint64_t v;

	if (sntl_size_parse(s, &v, NULL) || v > SIZE_MAX)
		return false;
	*out = (size_t)v;
	return true;
}

static bool env_off(const char *name)
{
	const char *v = getenv(name);

	return v && (!strcmp(v, "0") || !strcmp(v, "no") || !strcmp(v, "off"));
}

__attribute__((constructor))
static void preload_init(void)
{
	struct sntl_alloc_stats st;
	size_t t = DEFAULT_THRESHOLD;
	const char *v;
	long ps;
	int ret;

	ps = sysconf(_SC_PAGESIZE);
	if (ps > 0)
		page_mask = (uintptr_t)ps - 1;

	v = getenv("SENTINEL_PRELOAD_THRESHOLD");
	if (v && *v && !parse_size(v, &t)) {
		say("libsentinel-preload: SENTINEL_PRELOAD_THRESHOLD is not a size "
		    "(bytes with an optional K, M or G suffix); using 256K\n");
		t = DEFAULT_THRESHOLD;
	}
	if (env_off("SENTINEL_PRELOAD") || t == 0)
		return;		/* everything goes to glibc */
	atomic_store(&threshold, t);
	v = getenv("SENTINEL_PRELOAD_ROUTE");
	if (v && !strcmp(v, "aligned"))
		atomic_store(&aligned_only, true);
	else if (v && *v && strcmp(v, "all"))
		say("libsentinel-preload: SENTINEL_PRELOAD_ROUTE is neither 'all' "
		    "nor 'aligned'; routing all requests\n");

	/*
	 * The library's first call registers its fork handlers, which may
	 * allocate: make it now, before any request is routed.
	 */
	sntl_alloc_stats(&st);
	if (!env_off("SENTINEL_PRELOAD_SESSION")) {
		ret = sntl_open(NULL);
		if (ret && ret != SNTL_ENOTAVAIL && ret != SNTL_EBUSY &&
		    !env_off("SENTINEL_PRELOAD_WARN")) {
			say("libsentinel-preload: no Sentinel session (");
			say(sntl_strerror(ret));
			say("); allocations are not registered\n");
		}
	}
	atomic_store(&ready, 1);
}

/*
 * Whether a request of @size bytes goes to the library: @align is the
 * alignment asked for, 0 for malloc's own.
 */
static inline bool route(size_t size, size_t align)
{
	return atomic_load_explicit(&ready, memory_order_acquire) &&
	       size >= atomic_load_explicit(&threshold, memory_order_relaxed) &&
	       (align >= ROUTE_ALIGN ||
		!atomic_load_explicit(&aligned_only, memory_order_relaxed));
}

static inline bool maybe_ours(const void *p)
{
	return p && atomic_load_explicit(&ready, memory_order_acquire) &&
	       !((uintptr_t)p & page_mask);
}

/* A large allocation from the library, or NULL (errno kept). */
static void *big_alloc(size_t size, size_t align)
{
	uint32_t h = atomic_load_explicit(&hint, memory_order_relaxed);
	int saved = errno;
	void *p;

	p = sntl_alloc_aligned(size, align, (enum sntl_kind)(h & 0xff),
			       (enum sntl_life)((h >> 8) & 0xff));
	if (p) {
		atomic_fetch_add_explicit(&n_routed, 1, memory_order_relaxed);
	} else {
		atomic_fetch_add_explicit(&n_fallbacks, 1, memory_order_relaxed);
		errno = saved;
	}
	return p;
}

/* Free p when the allocator owns it; false otherwise. */
static inline bool big_free(void *p)
{
	if (!maybe_ours(p) || sntl_free(p))
		return false;
	atomic_fetch_add_explicit(&n_freed, 1, memory_order_relaxed);
	return true;
}

static size_t foreign_usable_size(void *p)
{
	size_t (*fn)(void *) = __atomic_load_n(&glibc_usable_size, __ATOMIC_ACQUIRE);

	if (!fn) {
		fn = (size_t (*)(void *))dlsym(RTLD_NEXT, "malloc_usable_size");
		if (!fn)
			return 0;
		__atomic_store_n(&glibc_usable_size, fn, __ATOMIC_RELEASE);
	}
	return fn(p);
}

EXPORT void *malloc(size_t size)
{
	void *p;

	if (route(size, 0)) {
		p = big_alloc(size, SNTL_ALLOC_ALIGN);
		if (p)
			return p;
	}
	return __libc_malloc(size);
}

EXPORT void free(void *ptr)
{
	if (!ptr || big_free(ptr))
		return;
	__libc_free(ptr);
}

EXPORT void *calloc(size_t n, size_t size)
{
	size_t total;
	void *p;

	if (__builtin_mul_overflow(n, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	if (route(total, 0)) {
		/* Pages of their own are fresh anonymous mappings: zeroed. */
		p = big_alloc(total, SNTL_ALLOC_ALIGN);
		if (p)
			return p;
	}
	return __libc_calloc(n, size);
}

/* Move the first copy bytes of old into a new block of size bytes. */
static void *move_block(void *old, size_t copy, size_t size, size_t alloc,
			bool old_ours)
{
	void *p = NULL;

	if (route(size, 0))
		p = big_alloc(alloc, SNTL_ALLOC_ALIGN);
	if (!p)
		p = __libc_malloc(size);
	if (!p)
		return NULL;
	memcpy(p, old, copy < size ? copy : size);
	if (old_ours)
		big_free(old);
	else
		__libc_free(old);
	return p;
}

EXPORT void *realloc(void *ptr, size_t size)
{
	size_t usable, alloc;

	if (!ptr)
		return malloc(size);
	if (maybe_ours(ptr) && (usable = sntl_usable_size(ptr)) != 0) {
		if (size == 0) {
			big_free(ptr);
			return NULL;
		}
		/* Shrinks and small growth stay in place. */
		if (size <= usable && size >= atomic_load(&threshold) &&
		    size >= usable / 2)
			return ptr;
		/* Growth of a large block: leave room for the next one. */
		alloc = size;
		if (size > usable && usable / 4 < SIZE_MAX - size)
			alloc = size > usable + usable / 4 ? size : usable + usable / 4;
		return move_block(ptr, usable, size, alloc, true);
	}
	if (route(size, 0)) {
		usable = foreign_usable_size(ptr);
		if (usable)
			return move_block(ptr, usable, size, size, false);
	}
	return __libc_realloc(ptr, size);
}

EXPORT void *reallocarray(void *ptr, size_t n, size_t size)
{
	size_t total;

	if (__builtin_mul_overflow(n, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(ptr, total);
}

static void *aligned(size_t align, size_t size)
{
	void *p;

	if (route(size, align) && align <= (1UL << 30)) {
		p = big_alloc(size, align < SNTL_ALLOC_ALIGN ? SNTL_ALLOC_ALIGN : align);
		if (p)
			return p;
	}
	return __libc_memalign(align, size);
}

EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
	int saved = errno;
	void *p;

	if (!align || (align & (align - 1)) || align % sizeof(void *))
		return EINVAL;
	p = aligned(align, size);
	if (!p) {
		errno = saved;
		return ENOMEM;
	}
	*out = p;
	return 0;
}

/* glibc's memalign rounds an alignment that is not a power of two up. */
static size_t round_align(size_t align)
{
	size_t a = 1;

	while (a < align && a < ((size_t)1 << (sizeof(size_t) * 8 - 1)))
		a <<= 1;
	return a;
}

EXPORT void *aligned_alloc(size_t align, size_t size)
{
	if (route(size, align) && align && (align & (align - 1)) == 0)
		return aligned(align, size);
	return __libc_memalign(align, size);
}

EXPORT void *memalign(size_t align, size_t size)
{
	if (route(size, round_align(align)))
		return aligned(round_align(align), size);
	return __libc_memalign(align, size);
}

EXPORT void *valloc(size_t size)
{
	void *p;

	if (route(size, page_mask + 1)) {
		p = big_alloc(size, page_mask + 1);
		if (p)
			return p;
	}
	return __libc_valloc(size);
}

EXPORT void *pvalloc(size_t size)
{
	size_t rounded;
	void *p;

	if (size > SIZE_MAX - page_mask) {
		errno = ENOMEM;
		return NULL;
	}
	rounded = (size + page_mask) & ~page_mask;
	if (route(rounded, page_mask + 1)) {
		p = big_alloc(rounded ? rounded : page_mask + 1, page_mask + 1);
		if (p)
			return p;
	}
	return __libc_pvalloc(size);
}

EXPORT size_t malloc_usable_size(void *ptr)
{
	size_t n;

	if (!ptr)
		return 0;
	if (maybe_ours(ptr) && (n = sntl_usable_size(ptr)) != 0)
		return n;
	return foreign_usable_size(ptr);
}

/* ---- the control interface (preload.h) ---- */

EXPORT int sentinel_preload_active(void)
{
	return atomic_load(&ready);
}

EXPORT size_t sentinel_preload_threshold(void)
{
	return atomic_load(&threshold);
}

EXPORT int sentinel_preload_route(void)
{
	return atomic_load(&aligned_only) ? SENTINEL_PRELOAD_ROUTE_ALIGNED :
					    SENTINEL_PRELOAD_ROUTE_ALL;
}

EXPORT int sentinel_preload_set_route(int route, size_t min_size)
{
	if ((route != SENTINEL_PRELOAD_ROUTE_ALL &&
	     route != SENTINEL_PRELOAD_ROUTE_ALIGNED) || !min_size ||
	    !atomic_load(&ready))
		return -1;
	atomic_store(&threshold, min_size);
	atomic_store(&aligned_only, route == SENTINEL_PRELOAD_ROUTE_ALIGNED);
	return 0;
}

EXPORT uint32_t sentinel_preload_set_hint(uint32_t new_hint)
{
	unsigned int kind = new_hint & 0xff, life = (new_hint >> 8) & 0xff;

	if (kind >= SNTL_KIND_COUNT || life > SNTL_LIFE_PERSISTENT ||
	    (new_hint >> 16))
		return SENTINEL_PRELOAD_HINT_INVALID;
	return atomic_exchange(&hint, new_hint);
}

EXPORT uint32_t sentinel_preload_get_hint(void)
{
	return atomic_load(&hint);
}

EXPORT int sentinel_preload_counters(struct sentinel_preload_counters *out,
				     size_t size)
{
	struct sentinel_preload_counters c;

	if (!out || size < sizeof(c))
		return -1;
	memset(&c, 0, sizeof(c));
	c.routed = atomic_load(&n_routed);
	c.fallbacks = atomic_load(&n_fallbacks);
	c.freed = atomic_load(&n_freed);
	c.threshold = atomic_load(&threshold);
	memcpy(out, &c, sizeof(c));
	return 0;
}
