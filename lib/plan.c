// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The plan as the allocator sees it: a placement (NUMA node) and a group
 * per logical id.  Placements are applied at birth with mbind(2), called
 * through syscall(2) so that the library needs no libnuma.
 */
#include <errno.h>
#include <linux/mempolicy.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

#define PLAN_MAX_NODES	1024

/* lid -> group << 32 | (node + 1); node + 1 == 0: no placement. */
static struct sntl_hmap plan;
/* The node of the logical ids the module's map does not name; -1: none. */
static int others_node = -1;

static int plan_update(uint64_t lid, uint64_t keep_mask, uint64_t set)
{
	uint64_t v = 0;
	int ret = 0;

	if (lid & ~SNTL_LID_MASK)
		return SNTL_EINVAL;
	sntl__init();
	pthread_mutex_lock(&sntl_lock);
	sntl_hmap_get(&plan, lid, &v);
	v = (v & keep_mask) | set;
	if (!v)
		sntl_hmap_del(&plan, lid);
	else if (sntl_hmap_put(&plan, lid, v))
		ret = SNTL_ENOMEM;
	pthread_mutex_unlock(&sntl_lock);
	return ret;
}

int sntl_set_placement(uint64_t logical_id, int node)
{
	if (node < -1 || node >= PLAN_MAX_NODES)
		return SNTL_EINVAL;
	return plan_update(logical_id, ~0xffffffffULL, (uint32_t)(node + 1));
}

int sntl_get_placement(uint64_t logical_id)
{
	int node, ret = SNTL_ENOENT;

	sntl__init();
	pthread_mutex_lock(&sntl_lock);
	if (sntl__placement_locked(logical_id, &node))
		ret = node;
	pthread_mutex_unlock(&sntl_lock);
	return ret;
}

static void clear_placements_locked(void)
{
	size_t i;

	others_node = -1;
	/* Keep the groups: rebuild without the node part. */
	for (i = 0; i < plan.cap; ) {
		struct sntl_hent *e = &plan.tab[i];

		if (e->key != SNTL_HMAP_EMPTY && (e->val & 0xffffffffULL)) {
			uint64_t key = e->key, v = e->val & ~0xffffffffULL;

			if (v) {
				e->val = v;
			} else {
				/* Deletion shifts entries into slot i: look again. */
				sntl_hmap_del(&plan, key);
				continue;
			}
		}
		i++;
	}
}

int sntl_clear_placements(void)
{
	sntl__init();
	pthread_mutex_lock(&sntl_lock);
	clear_placements_locked();
	pthread_mutex_unlock(&sntl_lock);
	return 0;
}

/* Generation of the module's placement map applied last (0: none). */
static uint64_t plan_generation;

/*
 * Take the daemon's placement map from the module when it changed: it
 * replaces every placement (groups stay).  Called at step begin with
 * sntl_lock held and the device entered; errors leave the old placements.
 */
void sntl__placement_sync_locked(void)
{
	struct sentinel_placement_get g = { .size = sizeof(g) };
	struct sentinel_placement *buf;
	size_t len;
	uint32_t i;

	if (sntl__dev_ioctl(SENTINEL_IOC_GET_PLACEMENT, &g) ||
	    g.generation == plan_generation)
		return;
	if (!g.total) {
		clear_placements_locked();
		plan_generation = g.generation;
		return;
	}
	/* mmap, not malloc: a preload shim may route malloc to this library. */
	len = (size_t)g.total * sizeof(*buf);
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return;
	g.buf = (uintptr_t)buf;
	g.count = g.total;
	if (!sntl__dev_ioctl(SENTINEL_IOC_GET_PLACEMENT, &g)) {
		clear_placements_locked();
		for (i = 0; i < g.returned; i++) {
			uint64_t lid = buf[i].id & SNTL_LID_MASK, v = 0;

			if (buf[i].node >= PLAN_MAX_NODES)
				continue;
			if (buf[i].id == SENTINEL_PLACEMENT_OTHERS) {
				others_node = (int)buf[i].node;
				continue;
			}
			sntl_hmap_get(&plan, lid, &v);
			if (sntl_hmap_put(&plan, lid,
					  (v & ~0xffffffffULL) | (buf[i].node + 1)))
				break;
		}
		plan_generation = g.generation;
		sntl__alloc_placement_changed_locked();
	}
	munmap(buf, len);
}

int sntl_set_group(uint64_t logical_id, uint32_t group)
{
	return plan_update(logical_id, 0xffffffffULL, (uint64_t)group << 32);
}

uint32_t sntl_get_group(uint64_t logical_id)
{
	uint64_t v = 0;

	sntl__init();
	pthread_mutex_lock(&sntl_lock);
	sntl_hmap_get(&plan, logical_id, &v);
	pthread_mutex_unlock(&sntl_lock);
	return (uint32_t)(v >> 32);
}

bool sntl__placement_locked(uint64_t lid, int *node)
{
	uint64_t v;

	if (plan.used && sntl_hmap_get(&plan, lid, &v) && (uint32_t)v) {
		*node = (int)(uint32_t)v - 1;
		return true;
	}
	/* Not in the plan: born where the map puts every other object. */
	*node = others_node;
	return others_node >= 0;
}

int sntl__pages_off_node(void *addr, size_t len, int node)
{
	void *pages[SNTL_CHECK_PAGES];
	int status[SNTL_CHECK_PAGES];
	size_t npg = len / sntl_page_size, n = npg < SNTL_CHECK_PAGES ? npg : SNTL_CHECK_PAGES;
	int off = 0;

	if (!n)
		return 0;
	/* Evenly spread over the mapping, its first and last page included. */
	for (size_t i = 0; i < n; i++) {
		size_t pg = n > 1 ? i * (npg - 1) / (n - 1) : 0;

		pages[i] = (char *)addr + pg * sntl_page_size;
	}
	/* move_pages(2) without nodes only reports where each page is. */
	if (syscall(SYS_move_pages, 0, (unsigned long)n, pages, NULL, status, 0))
		return -errno;
	for (size_t i = 0; i < n; i++)
		off += status[i] >= 0 && status[i] != node;
	return off;
}

int sntl__bind(void *addr, size_t len, int node)
{
	unsigned long mask[PLAN_MAX_NODES / (8 * sizeof(unsigned long))] = { 0 };
	const size_t bits = 8 * sizeof(unsigned long);

	if (node < 0 || node >= PLAN_MAX_NODES)
		return -EINVAL;
	mask[node / bits] |= 1UL << (node % bits);
	/* maxnode counts one more than the bits the kernel reads. */
	if (syscall(SYS_mbind, addr, len, MPOL_PREFERRED, mask,
		    (unsigned long)node + 2, 0))
		return -errno;
	return 0;
}
