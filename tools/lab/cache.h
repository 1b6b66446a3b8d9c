/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Last-level-cache model of the tier lab: set-associative, physically
 * indexed, write-back and write-allocate, true LRU replacement.  Plus a
 * small stream detector that tells which misses a hardware prefetcher
 * would have fetched ahead of time.  No I/O, no locking (the caller
 * serialises).
 */
#ifndef LAB_CACHE_H
#define LAB_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LAB_CACHE_DEFAULT_SIZE (2u << 20)
#define LAB_CACHE_DEFAULT_WAYS 16u
#define LAB_CACHE_DEFAULT_LINE 64u

struct lab_cache_cfg {
	uint64_t size;	/* bytes; size / (ways * line) must be a power of two */
	uint32_t ways;	/* 1 .. 64 */
	uint32_t line;	/* bytes, power of two, 8 .. 4096 */
};

struct lab_cache {
	struct lab_cache_cfg cfg;
	uint64_t sets;
	uint64_t set_mask;
	unsigned int line_shift;
	/*
	 * sets * ways entries, each set ordered most- to least-recently
	 * used: (line number << 1) | dirty, or LAB_LINE_INVALID.
	 */
	uint64_t *e;
};

#define LAB_LINE_INVALID UINT64_MAX

/* Result of one line access. */
struct lab_access {
	bool hit;
	bool writeback;	    /* a dirty victim was evicted */
	uint64_t wb_addr;   /* its address (line aligned) */
};

/* Check a geometry; on error writes a message to err and returns -1. */
int lab_cache_check(const struct lab_cache_cfg *cfg, char *err, size_t len);
int lab_cache_init(struct lab_cache *c, const struct lab_cache_cfg *cfg,
		   char *err, size_t len);
void lab_cache_destroy(struct lab_cache *c);
/* Drop every line, dirty or not, without write-backs (a cold cache). */
void lab_cache_invalidate(struct lab_cache *c);
/* Look up the line holding paddr; on a miss, fill it (evicting the LRU). */
void lab_cache_access(struct lab_cache *c, uint64_t paddr, bool store,
		      struct lab_access *res);
/* Number of valid lines, and of dirty ones (for tests and reports). */
uint64_t lab_cache_count(const struct lab_cache *c, uint64_t *dirty);

/*
 * Stream detector: remembers the last LAB_STREAMS missed lines (LRU).  A
 * miss on line L continues a stream when some remembered line is L - 1 or
 * L + 1 in the same 4 KiB page; that miss is counted as prefetchable.
 * Like the L2 streamers of real processors, a stream never crosses a
 * page boundary, whether or not the next physical page follows: where
 * the kernel put the pages of a buffer (and whether a migration kept
 * them contiguous) changes nothing.
 */
#define LAB_STREAMS 16
#define LAB_STREAM_PAGE_SHIFT 12

struct lab_streams {
	uint64_t last[LAB_STREAMS]; /* most recent first; UINT64_MAX empty */
	unsigned int page_lines_shift;	/* log2 of lines per 4 KiB page */
};

/* @line_shift: log2 of the line size (at most LAB_STREAM_PAGE_SHIFT). */
void lab_streams_init(struct lab_streams *s, unsigned int line_shift);
/* Feed a missed line number; true when it continues a stream. */
bool lab_streams_miss(struct lab_streams *s, uint64_t line);

#endif /* LAB_CACHE_H */
