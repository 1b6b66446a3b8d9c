// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A small u64 -> u64 hash map for the allocator's tables.  Linear probing
 * with backward-shift deletion; storage comes from mmap so that the
 * allocator never calls malloc.  The caller serialises access.
 */
#include <errno.h>
#include <sys/mman.h>

#include "internal.h"

#define HMAP_MIN_CAP	256

static inline uint64_t hmix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static struct sntl_hent *tab_alloc(size_t cap)
{
	struct sntl_hent *t;
	size_t i;

	t = mmap(NULL, cap * sizeof(*t), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t == MAP_FAILED)
		return NULL;
	for (i = 0; i < cap; i++)
		t[i].key = SNTL_HMAP_EMPTY;
	return t;
}

static void tab_free(struct sntl_hent *t, size_t cap)
{
	if (t)
		munmap(t, cap * sizeof(*t));
}

static void insert_raw(struct sntl_hent *t, size_t cap, uint64_t key,
		       uint64_t val)
{
	size_t i = hmix(key) & (cap - 1);

	while (t[i].key != SNTL_HMAP_EMPTY && t[i].key != key)
		i = (i + 1) & (cap - 1);
	t[i].key = key;
	t[i].val = val;
}

static int grow(struct sntl_hmap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : HMAP_MIN_CAP;
	struct sntl_hent *nt = tab_alloc(ncap);
	size_t i;

	if (!nt)
		return -ENOMEM;
	for (i = 0; i < m->cap; i++)
		if (m->tab[i].key != SNTL_HMAP_EMPTY)
			insert_raw(nt, ncap, m->tab[i].key, m->tab[i].val);
	tab_free(m->tab, m->cap);
	m->tab = nt;
	m->cap = ncap;
	return 0;
}

static long find(const struct sntl_hmap *m, uint64_t key)
{
	size_t i;

	if (!m->cap)
		return -1;
	i = hmix(key) & (m->cap - 1);
	while (m->tab[i].key != SNTL_HMAP_EMPTY) {
		if (m->tab[i].key == key)
			return (long)i;
		i = (i + 1) & (m->cap - 1);
	}
	return -1;
}

int sntl_hmap_put(struct sntl_hmap *m, uint64_t key, uint64_t val)
{
	long i = find(m, key);

	if (i >= 0) {
		m->tab[i].val = val;
		return 0;
	}
	/* Keep the load at or below one half. */
	if ((m->used + 1) * 2 > m->cap && grow(m))
		return -ENOMEM;
	insert_raw(m->tab, m->cap, key, val);
	m->used++;
	return 0;
}

bool sntl_hmap_get(const struct sntl_hmap *m, uint64_t key, uint64_t *val)
{
	long i = find(m, key);

	if (i < 0)
		return false;
	if (val)
		*val = m->tab[i].val;
	return true;
}

bool sntl_hmap_del(struct sntl_hmap *m, uint64_t key)
{
	size_t mask = m->cap - 1;
	long found = find(m, key);
	size_t i, j, home;

	if (found < 0)
		return false;
	i = (size_t)found;
	/* Shift later members of the probe chain back into the hole. */
	j = i;
	for (;;) {
		j = (j + 1) & mask;
		if (m->tab[j].key == SNTL_HMAP_EMPTY)
			break;
		home = hmix(m->tab[j].key) & mask;
		/* Move j to i unless its home lies cyclically in (i, j]. */
		if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		m->tab[i] = m->tab[j];
		i = j;
	}
	m->tab[i].key = SNTL_HMAP_EMPTY;
	m->used--;
	return true;
}

void sntl_hmap_clear(struct sntl_hmap *m)
{
	tab_free(m->tab, m->cap);
	m->tab = NULL;
	m->cap = 0;
	m->used = 0;
}
