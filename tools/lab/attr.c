// SPDX-License-Identifier: GPL-2.0
/*
 * Per-virtual-page miss counts (attr.h): open addressing with linear
 * probing, grown at 50% load.  Called under the plugin's cache lock, on
 * misses only (hits never reach it).
 */
#include <stdlib.h>
#include <string.h>

#include "attr.h"

#define PAGE_SHIFT 12

int lab_attr_init(struct lab_attr *a, size_t cap)
{
	size_t c = 16;

	while (c < cap)
		c <<= 1;
	memset(a, 0, sizeof(*a));
	a->t = calloc(c, sizeof(*a->t));
	if (!a->t)
		return -1;
	a->cap = c;
	return 0;
}

void lab_attr_free(struct lab_attr *a)
{
	free(a->t);
	memset(a, 0, sizeof(*a));
}

static size_t slot_of(uint64_t key, size_t cap)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdull;
	key ^= key >> 33;
	return (size_t)key & (cap - 1);
}

static struct lab_attr_ent *find(struct lab_attr_ent *t, size_t cap,
				 uint64_t key)
{
	size_t i = slot_of(key, cap);

	while (t[i].vpn && t[i].vpn != key)
		i = (i + 1) & (cap - 1);
	return &t[i];
}

static int grow(struct lab_attr *a)
{
	size_t cap = a->cap * 2;
	struct lab_attr_ent *t = calloc(cap, sizeof(*t));

	if (!t)
		return -1;
	for (size_t i = 0; i < a->cap; i++)
		if (a->t[i].vpn)
			*find(t, cap, a->t[i].vpn) = a->t[i];
	free(a->t);
	a->t = t;
	a->cap = cap;
	return 0;
}

void lab_attr_miss(struct lab_attr *a, uint64_t vaddr, int slot, bool seq)
{
	uint64_t key = (vaddr >> PAGE_SHIFT) + 1;
	struct lab_attr_ent *e;

	if (slot < 0 || slot >= LAB_SLOTS)
		slot = LAB_NODE_OTHER;
	e = find(a->t, a->cap, key);
	if (!e->vpn) {
		if ((a->used + 1) * 2 > a->cap) {
			if (grow(a)) {
				a->dropped++;
				return;
			}
			e = find(a->t, a->cap, key);
		}
		e->vpn = key;
		a->used++;
	}
	e->miss[slot]++;
	if (seq)
		e->seq[slot]++;
}

void lab_attr_clear(struct lab_attr *a)
{
	if (a->used)
		memset(a->t, 0, a->cap * sizeof(*a->t));
	a->used = 0;
}

const struct lab_attr_ent *lab_attr_next(const struct lab_attr *a, size_t *i)
{
	while (*i < a->cap) {
		const struct lab_attr_ent *e = &a->t[(*i)++];

		if (e->vpn)
			return e;
	}
	return NULL;
}
