// SPDX-License-Identifier: GPL-2.0
/* Last-level-cache model; see cache.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"

static bool is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

int lab_cache_check(const struct lab_cache_cfg *cfg, char *err, size_t len)
{
	uint64_t set_bytes;

	if (!is_pow2(cfg->line) || cfg->line < 8 || cfg->line > 4096) {
		snprintf(err, len,
			 "cache line size %u: must be a power of two from 8 to 4096",
			 cfg->line);
		return -1;
	}
	if (cfg->ways < 1 || cfg->ways > 64) {
		snprintf(err, len, "cache ways %u: must be 1 to 64", cfg->ways);
		return -1;
	}
	set_bytes = (uint64_t)cfg->ways * cfg->line;
	if (cfg->size < set_bytes || cfg->size % set_bytes ||
	    !is_pow2(cfg->size / set_bytes)) {
		snprintf(err, len,
			 "cache size %llu: must be ways (%u) x line (%u) x a power of two",
			 (unsigned long long)cfg->size, cfg->ways, cfg->line);
		return -1;
	}
	if (cfg->size > (1ull << 32)) {
		snprintf(err, len, "cache size %llu: at most 4 GiB",
			 (unsigned long long)cfg->size);
		return -1;
	}
	return 0;
}

int lab_cache_init(struct lab_cache *c, const struct lab_cache_cfg *cfg,
		   char *err, size_t len)
{
	memset(c, 0, sizeof(*c));
	if (lab_cache_check(cfg, err, len))
		return -1;
	c->cfg = *cfg;
	c->sets = cfg->size / ((uint64_t)cfg->ways * cfg->line);
	c->set_mask = c->sets - 1;
	c->line_shift = (unsigned int)__builtin_ctz(cfg->line);
	c->e = malloc(c->sets * cfg->ways * sizeof(*c->e));
	if (!c->e) {
		snprintf(err, len, "cache model: out of memory");
		return -1;
	}
	lab_cache_invalidate(c);
	return 0;
}

void lab_cache_destroy(struct lab_cache *c)
{
	free(c->e);
	c->e = NULL;
}

void lab_cache_invalidate(struct lab_cache *c)
{
	for (uint64_t i = 0; i < c->sets * c->cfg.ways; i++)
		c->e[i] = LAB_LINE_INVALID;
}

void lab_cache_access(struct lab_cache *c, uint64_t paddr, bool store,
		      struct lab_access *res)
{
	uint64_t line = paddr >> c->line_shift;
	uint32_t ways = c->cfg.ways;
	uint64_t *set = c->e + (line & c->set_mask) * ways;
	uint64_t ent = LAB_LINE_INVALID;
	uint32_t i;

	res->hit = false;
	res->writeback = false;
	res->wb_addr = 0;
	for (i = 0; i < ways; i++) {
		if (set[i] != LAB_LINE_INVALID && (set[i] >> 1) == line) {
			ent = set[i];
			res->hit = true;
			break;
		}
	}
	if (!res->hit) {
		/* Miss: the victim is the last (LRU) way. */
		i = ways - 1;
		if (set[i] != LAB_LINE_INVALID && (set[i] & 1)) {
			res->writeback = true;
			res->wb_addr = (set[i] >> 1) << c->line_shift;
		}
		ent = line << 1;
	}
	if (store)
		ent |= 1;
	/* Move to the front (most recently used). */
	memmove(set + 1, set, i * sizeof(*set));
	set[0] = ent;
}

uint64_t lab_cache_count(const struct lab_cache *c, uint64_t *dirty)
{
	uint64_t n = 0, d = 0;

	for (uint64_t i = 0; i < c->sets * c->cfg.ways; i++) {
		if (c->e[i] == LAB_LINE_INVALID)
			continue;
		n++;
		d += c->e[i] & 1;
	}
	if (dirty)
		*dirty = d;
	return n;
}

void lab_streams_init(struct lab_streams *s, unsigned int line_shift)
{
	for (int i = 0; i < LAB_STREAMS; i++)
		s->last[i] = UINT64_MAX;
	s->page_lines_shift = line_shift < LAB_STREAM_PAGE_SHIFT ?
			      LAB_STREAM_PAGE_SHIFT - line_shift : 0;
}

bool lab_streams_miss(struct lab_streams *s, uint64_t line)
{
	int i;
	bool cont = false;

	for (i = 0; i < LAB_STREAMS; i++) {
		uint64_t l = s->last[i];

		if (l != UINT64_MAX && (l + 1 == line || line + 1 == l) &&
		    l >> s->page_lines_shift == line >> s->page_lines_shift) {
			cont = true;
			break;
		}
	}
	if (!cont)
		i = LAB_STREAMS - 1; /* replace the least recent */
	memmove(s->last + 1, s->last, (size_t)i * sizeof(s->last[0]));
	s->last[0] = line;
	return cont;
}
