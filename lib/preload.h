/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The control interface of libsentinel-preload.so, the malloc interposer
 * (Documentation/preload.rst).  A program finds these functions with
 * dlsym(RTLD_DEFAULT, ...) when the interposer is loaded; the Python
 * package does so through ctypes.
 */
#ifndef SENTINEL_PRELOAD_H
#define SENTINEL_PRELOAD_H

#include <stddef.h>
#include <stdint.h>

/*
 * A hint: the kind (enum sntl_kind) and lifetime class (enum sntl_life)
 * given to sntl_alloc() for the next large allocations of every thread.
 */
#define SENTINEL_PRELOAD_HINT(kind, life) \
	((uint32_t)(kind) | ((uint32_t)(life) << 8))
#define SENTINEL_PRELOAD_HINT_INVALID	0xffffffffU

struct sentinel_preload_counters {
	uint64_t routed;	/* allocations served by libsentinel */
	uint64_t fallbacks;	/* large requests libsentinel refused (glibc served) */
	uint64_t freed;		/* libsentinel allocations freed */
	uint64_t threshold;	/* SENTINEL_PRELOAD_THRESHOLD in bytes */
};

/* 1 when large allocations are routed to libsentinel, else 0. */
int sentinel_preload_active(void);
/* The routing threshold in bytes. */
size_t sentinel_preload_threshold(void);
/* What is routed (from SENTINEL_PRELOAD_ROUTE, or the last set_route). */
#define SENTINEL_PRELOAD_ROUTE_ALL	0	/* any allocation function */
#define SENTINEL_PRELOAD_ROUTE_ALIGNED	1	/* requests aligned to >= 64 B */
int sentinel_preload_route(void);
/*
 * Route from now on the requests of @route of at least @min_size bytes
 * (at least 1).  Blocks already routed stay with libsentinel until freed.
 * 0, or -1 on a bad argument or when the interposer routes nothing
 * (SENTINEL_PRELOAD=0, a threshold of 0, before its constructor).
 */
int sentinel_preload_set_route(int route, size_t min_size);
/* Set the hint; returns the previous one, or _INVALID (nothing set). */
uint32_t sentinel_preload_set_hint(uint32_t hint);
uint32_t sentinel_preload_get_hint(void);
/* Copy the counters (size: sizeof(*out)); 0, or -1 on a bad argument. */
int sentinel_preload_counters(struct sentinel_preload_counters *out,
			      size_t size);

#endif /* SENTINEL_PRELOAD_H */
