// SPDX-License-Identifier: GPL-2.0
/*
 * Profile blob views for display (sentinelctl profile).  The blob comes
 * from the kernel but is treated as untrusted: its layout passes the
 * planner's check (pp_check_blob()), and every layer's entry range must
 * lie inside the entry array.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan_profile.h"
#include "profile.h"

static const struct sentinel_profile_object *sort_base;

static int cmp_obj(const void *a, const void *b)
{
	uint64_t x = sort_base[*(const uint32_t *)a].id;
	uint64_t y = sort_base[*(const uint32_t *)b].id;

	return x < y ? -1 : x > y;
}

int prof_parse(const void *buf, size_t len, struct prof *p, char *err,
	       size_t errlen)
{
	const unsigned char *b = buf;
	const struct sentinel_profile_hdr *h = &p->h;

	memset(p, 0, sizeof(*p));
	if (pp_check_blob(buf, len, &p->h, err, errlen))
		return -1;
	/* The views below point into the blob. */
	if (((uintptr_t)buf) % 8) {
		snprintf(err, errlen, "profile buffer not aligned");
		return -1;
	}
	p->layers = (const void *)(b + h->layers_off);
	p->entries = (const void *)(b + h->entries_off);
	p->objects = (const void *)(b + h->objects_off);
	for (uint32_t i = 0; i < h->nr_layers; i++) {
		const struct sentinel_profile_layer *l = &p->layers[i];

		if (l->first_entry > h->nr_entries ||
		    l->nr_entries > h->nr_entries - l->first_entry) {
			snprintf(err, errlen, "layer record %u: entries %u+%u beyond %u",
				 i, l->first_entry, l->nr_entries, h->nr_entries);
			return -1;
		}
	}
	if (h->nr_objects) {
		p->by_id = malloc(sizeof(*p->by_id) * h->nr_objects);
		if (!p->by_id) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		for (uint32_t i = 0; i < h->nr_objects; i++)
			p->by_id[i] = i;
		sort_base = p->objects;
		qsort(p->by_id, h->nr_objects, sizeof(*p->by_id), cmp_obj);
		sort_base = NULL;
	}
	return 0;
}

void prof_free(struct prof *p)
{
	free(p->by_id);
	p->by_id = NULL;
}

const struct sentinel_profile_object *prof_object(const struct prof *p,
						 uint64_t id)
{
	size_t lo = 0, hi = p->h.nr_objects;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct sentinel_profile_object *o = &p->objects[p->by_id[mid]];

		if (o->id == id)
			return o;
		if (o->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void prof_layer_kinds(const struct prof *p, uint32_t i, uint64_t page_size,
		      uint64_t out[PROF_KINDS])
{
	const struct sentinel_profile_layer *l = &p->layers[i];

	memset(out, 0, sizeof(uint64_t) * PROF_KINDS);
	for (uint32_t e = 0; e < l->nr_entries; e++) {
		const struct sentinel_profile_entry *en = &p->entries[l->first_entry + e];
		const struct sentinel_profile_object *o = prof_object(p, en->id);
		unsigned int k = o && o->kind < __SENTINEL_KIND_MAX ? o->kind : PROF_KINDS - 1;
		uint64_t bytes = en->pages > UINT64_MAX / page_size ? UINT64_MAX :
				 en->pages * page_size;

		out[k] = out[k] > UINT64_MAX - bytes ? UINT64_MAX : out[k] + bytes;
	}
}
