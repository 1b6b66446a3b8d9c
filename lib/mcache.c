// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The mapping cache: freed own-page mappings of the allocator, kept with
 * their pages present for the next allocation that fits them.
 *
 * A training step allocates the same objects step after step, so a freed
 * mapping is looked for first by the logical id of the new object (the
 * same tensor of the next step gets the same pages, and so the same
 * placement), then by its page count and birth node, newest first.  A
 * mapping not reused within two step begins is old and goes; so do the
 * oldest when the cache is over its byte limit.  Mappings that go are
 * handed back as victims, for the caller to unmap outside its lock.
 * A new placement map makes every cached mapping stale (sntl_mc_forget):
 * their pages are where the old map, or the daemon's moves, put them,
 * not where the new map wants the objects born; stale mappings are
 * never taken and age out.
 *
 * No I/O but mmap for its own tables; the caller serialises access.
 */
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

#define MC_MIN_CAP	256
#define MC_NONE		UINT32_MAX

/* (page count, node) as one hash key: lengths are whole pages. */
static uint64_t key_of(size_t len, int32_t node)
{
	return (uint64_t)len | ((uint64_t)(uint32_t)(node + 1) & 0xfff);
}

static int grow(struct sntl_mcache *mc)
{
	uint32_t ncap = mc->cap ? mc->cap * 2 : MC_MIN_CAP;
	struct sntl_mc_ent *ne;

	if (mc->cap >= SNTL_MC_MAX_SLOTS)
		return -1;
	ne = mmap(NULL, (size_t)ncap * sizeof(*ne), PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ne == MAP_FAILED)
		return -1;
	if (mc->e) {
		memcpy(ne, mc->e, (size_t)mc->cap * sizeof(*ne));
		munmap(mc->e, (size_t)mc->cap * sizeof(*ne));
	}
	for (uint32_t i = ncap; i-- > mc->cap;) {
		ne[i].knext = mc->free;
		mc->free = i;
	}
	mc->e = ne;
	mc->cap = ncap;
	return 0;
}

void sntl_mc_init(struct sntl_mcache *mc)
{
	memset(mc, 0, sizeof(*mc));
	mc->free = mc->oldest = mc->newest = MC_NONE;
}

/* Take slot i out of every list and index. */
static void unlink_slot(struct sntl_mcache *mc, uint32_t i)
{
	struct sntl_mc_ent *e = &mc->e[i];
	uint64_t v;

	if (e->older != MC_NONE)
		mc->e[e->older].newer = e->newer;
	else
		mc->oldest = e->newer;
	if (e->newer != MC_NONE)
		mc->e[e->newer].older = e->older;
	else
		mc->newest = e->older;
	if (e->kprev != MC_NONE) {
		mc->e[e->kprev].knext = e->knext;
	} else if (e->knext != MC_NONE) {
		/* Cannot fail: the key is present, so put only updates it. */
		sntl_hmap_put(&mc->by_key, key_of(e->len, e->node), e->knext);
	} else {
		sntl_hmap_del(&mc->by_key, key_of(e->len, e->node));
	}
	if (e->knext != MC_NONE)
		mc->e[e->knext].kprev = e->kprev;
	if (sntl_hmap_get(&mc->by_lid, e->lid, &v) && v == i)
		sntl_hmap_del(&mc->by_lid, e->lid);
	mc->bytes -= e->len;
	mc->n--;
	e->knext = mc->free;
	mc->free = i;
}

void sntl_mc_victim(struct sntl_mc_victims *vic, void *addr, size_t len)
{
	vic->v[vic->n].addr = addr;
	vic->v[vic->n].len = len;
	vic->n++;
}

static void evict(struct sntl_mcache *mc, uint32_t i,
		  struct sntl_mc_victims *vic)
{
	sntl_mc_victim(vic, mc->e[i].addr, mc->e[i].len);
	unlink_slot(mc, i);
}

static bool fits(const struct sntl_mcache *mc, const struct sntl_mc_ent *e,
		 size_t len, size_t align, int32_t node)
{
	return e->gen == mc->gen && e->len == len && e->node == node &&
	       !((uintptr_t)e->addr & (align - 1));
}

void *sntl_mc_take(struct sntl_mcache *mc, uint64_t lid, size_t len,
		   size_t align, int32_t node, bool *checked)
{
	uint64_t v;
	uint32_t i = MC_NONE;
	void *p;

	if (sntl_hmap_get(&mc->by_lid, lid, &v) &&
	    fits(mc, &mc->e[v], len, align, node)) {
		i = (uint32_t)v;
		mc->lid_hits++;
	} else if (sntl_hmap_get(&mc->by_key, key_of(len, node), &v)) {
		for (i = (uint32_t)v; i != MC_NONE; i = mc->e[i].knext)
			if (fits(mc, &mc->e[i], len, align, node))
				break;
	}
	if (i == MC_NONE)
		return NULL;
	mc->hits++;
	p = mc->e[i].addr;
	if (checked)
		*checked = mc->e[i].checked;
	unlink_slot(mc, i);
	return p;
}

void sntl_mc_age(struct sntl_mcache *mc, uint64_t step,
		 struct sntl_mc_victims *vic)
{
	while (mc->oldest != MC_NONE && mc->e[mc->oldest].step + 2 <= step &&
	       vic->n < SNTL_MC_VICTIMS - 1)
		evict(mc, mc->oldest, vic);
}

void sntl_mc_put(struct sntl_mcache *mc, void *addr, size_t len,
		 uint64_t lid, int32_t node, bool checked, uint64_t step,
		 size_t limit, struct sntl_mc_victims *vic)
{
	uint64_t key = key_of(len, node), head;
	struct sntl_mc_ent *e;
	uint32_t i;

	if (len > limit) {
		sntl_mc_victim(vic, addr, len);
		return;
	}
	while (mc->oldest != MC_NONE && mc->bytes + len > limit &&
	       vic->n < SNTL_MC_VICTIMS - 1)
		evict(mc, mc->oldest, vic);
	if (mc->bytes + len > limit ||
	    (mc->free == MC_NONE && grow(mc))) {
		sntl_mc_victim(vic, addr, len);
		return;
	}
	i = mc->free;
	e = &mc->e[i];
	if (!sntl_hmap_get(&mc->by_key, key, &head))
		head = MC_NONE;
	if (sntl_hmap_put(&mc->by_key, key, i)) {
		sntl_mc_victim(vic, addr, len);
		return;
	}
	mc->free = e->knext;
	*e = (struct sntl_mc_ent){
		.addr = addr, .len = len, .lid = lid, .step = step, .gen = mc->gen,
		.node = node, .checked = checked,
		.older = mc->newest, .newer = MC_NONE,
		.knext = (uint32_t)head, .kprev = MC_NONE,
	};
	if (head != MC_NONE)
		mc->e[head].kprev = i;
	if (mc->newest != MC_NONE)
		mc->e[mc->newest].newer = i;
	else
		mc->oldest = i;
	mc->newest = i;
	/* Without the lid index the mapping is still found by its size. */
	sntl_hmap_put(&mc->by_lid, lid, i);
	mc->bytes += len;
	mc->n++;
}

void sntl_mc_forget(struct sntl_mcache *mc)
{
	mc->gen++;
}

bool sntl_mc_drain(struct sntl_mcache *mc, struct sntl_mc_victims *vic)
{
	while (mc->oldest != MC_NONE && vic->n < SNTL_MC_VICTIMS)
		evict(mc, mc->oldest, vic);
	return mc->oldest == MC_NONE;
}

void sntl_mc_unmap(struct sntl_mc_victims *vic)
{
	for (uint32_t i = 0; i < vic->n; i++)
		munmap(vic->v[i].addr, vic->v[i].len);
	vic->n = 0;
}
