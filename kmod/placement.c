// SPDX-License-Identifier: GPL-2.0
/*
 * Sentinel: placement maps.
 *
 * The daemon uploads, per session, a map from logical object id to the
 * node where new instances of that object should be born; the framework
 * reads it through its session.  A map arrives in ordered chunks and is
 * published whole when its last entry arrives, so a reader never sees a
 * half-written map.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/nodemask.h>
#include <linux/slab.h>

#include "internal.h"

static_assert(offsetof(struct sntl_placement_map, pub) == 0);

/**
 * sntl_placement_put() - drop a reference on a placement map
 * @m: the map
 */
void sntl_placement_put(struct sntl_placement_map *m)
{
	sntl_pub_put(&m->pub);
}

/**
 * sntl_placement_get() - the session's published placement map
 * @s: the session
 *
 * Return: the map with a reference held, or NULL when none was published.
 */
struct sntl_placement_map *sntl_placement_get(struct sntl_session *s)
{
	struct sntl_pub *p = sntl_pub_get(s, &s->placement);

	return p ? container_of(p, struct sntl_placement_map, pub) : NULL;
}

static void sntl_placement_drop_pending(struct sntl_session *s)
{
	kvfree(s->pend);
	s->pend = NULL;
	s->pend_count = 0;
	s->pend_filled = 0;
}

/**
 * sntl_placement_free() - free a dying session's maps
 * @s: the session
 */
void sntl_placement_free(struct sntl_session *s)
{
	sntl_placement_drop_pending(s);
	sntl_pub_set(s, &s->placement, NULL);
}

/* Publish the completed pending map; session lock held. */
static int sntl_placement_complete(struct sntl_session *s)
{
	struct sntl_placement_map *m;

	m = kvmalloc(struct_size(m, e, s->pend_count), GFP_KERNEL_ACCOUNT);
	if (!m)
		return -ENOMEM;
	sntl_pub_init(&m->pub);
	m->count = s->pend_count;
	if (s->pend_count)
		memcpy(m->e, s->pend, s->pend_count * sizeof(*m->e));
	m->generation = ++s->placement_gen;
	sntl_placement_drop_pending(s);
	sntl_pub_set(s, &s->placement, &m->pub);
	return 0;
}

/**
 * sntl_placement_put_chunk() - add a chunk of an uploaded placement map
 * @s: the session
 * @count: entries of the whole map
 * @offset: index of the chunk's first entry; 0 starts a new map
 * @e: the chunk's entries
 * @n: how many
 * @why: set to a message for the extended ack on error
 *
 * Return: 0, -EINVAL for a chunk out of order or a bad entry, -E2BIG for a
 * map over max_objects_per_session, -ENOMEM, -EINTR.
 */
int sntl_placement_put_chunk(struct sntl_session *s, u32 count, u32 offset,
			     const struct sentinel_placement *e, u32 n,
			     const char **why)
{
	u32 i;
	int ret = 0;

	if (count > READ_ONCE(sntl_cfg.max_objects_per_session)) {
		*why = "placement map larger than max_objects_per_session";
		return -E2BIG;
	}
	if (mutex_lock_killable(&s->lock))
		return -EINTR;
	if (offset == 0) {
		sntl_placement_drop_pending(s);
		if (count) {
			s->pend = kvmalloc_array(count, sizeof(*s->pend),
						 GFP_KERNEL_ACCOUNT);
			if (!s->pend) {
				ret = -ENOMEM;
				goto out;
			}
		}
		s->pend_count = count;
	} else if (!s->pend || offset != s->pend_filled ||
		   count != s->pend_count) {
		*why = "placement chunk out of order (send offset 0 first, then in order)";
		ret = -EINVAL;
		goto out;
	}
	if (n > count - s->pend_filled) {
		*why = "more placement entries than the announced count";
		ret = -EINVAL;
		goto out;
	}
	for (i = 0; i < n; i++) {
		u32 at = s->pend_filled + i;

		if (e[i].flags || e[i].node >= nr_node_ids) {
			*why = "placement entry with flags set or a node that does not exist";
			ret = -EINVAL;
			break;
		}
		if (at && e[i].id <= (i ? e[i - 1].id : s->pend[at - 1].id)) {
			*why = "placement ids must strictly increase";
			ret = -EINVAL;
			break;
		}
		s->pend[at] = e[i];
	}
	if (ret) {
		sntl_placement_drop_pending(s);
		goto out;
	}
	s->pend_filled += n;
	if (s->pend_filled == s->pend_count)
		ret = sntl_placement_complete(s);
out:
	mutex_unlock(&s->lock);
	return ret;
}
