// SPDX-License-Identifier: GPL-2.0
/*
 * Sentinel: the object registry of a session.
 *
 * Objects live in two red-black trees under the session's mutex: one by
 * id, one by start address.  Live objects never overlap, so the object
 * with the largest start below a new range's end is the only one that can
 * overlap it, and both lookups are O(log n).  Batches are all or nothing:
 * entries are inserted as they are validated and taken out again when a
 * later entry fails.  Object memory is charged to the caller's memcg.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitops.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "internal.h"
#include "trace.h"

/* Ids copied from userspace per call of copy_from_user(). */
#define SNTL_CHUNK_IDS		(PAGE_SIZE / sizeof(u64))
/* Objects described per round of a query, between the lock and the copy. */
#define SNTL_CHUNK_INFOS	16

static struct kmem_cache *sntl_obj_cache;

static int sntl_cmp_id(const void *key, const struct rb_node *n)
{
	u64 id = *(const u64 *)key;
	u64 nid = rb_entry(n, struct sntl_object, id_node)->id;

	return id < nid ? -1 : id > nid;
}

static bool sntl_less_id(struct rb_node *a, const struct rb_node *b)
{
	return rb_entry(a, struct sntl_object, id_node)->id <
	       rb_entry(b, struct sntl_object, id_node)->id;
}

static bool sntl_less_addr(struct rb_node *a, const struct rb_node *b)
{
	return rb_entry(a, struct sntl_object, addr_node)->start <
	       rb_entry(b, struct sntl_object, addr_node)->start;
}

static struct sntl_object *sntl_find_id(struct sntl_session *s, u64 id)
{
	struct rb_node *n = rb_find(&id, &s->by_id, sntl_cmp_id);

	return n ? rb_entry(n, struct sntl_object, id_node) : NULL;
}

/* The live object with the largest start below @end, if it reaches @start. */
/**
 * sntl_registry_has() - whether an object with @id is live
 * @s: the session, lock held
 * @id: object id
 *
 * Return: true when it is.
 */
bool sntl_registry_has(struct sntl_session *s, u64 id)
{
	return sntl_find_id(s, id);
}

static struct sntl_object *sntl_find_overlap(struct sntl_session *s,
					     unsigned long start,
					     unsigned long end)
{
	struct rb_node *n = s->by_addr.rb_node;
	struct sntl_object *cand = NULL;

	while (n) {
		struct sntl_object *o = rb_entry(n, struct sntl_object,
						 addr_node);

		if (o->start < end) {
			cand = o;
			n = n->rb_right;
		} else {
			n = n->rb_left;
		}
	}
	return cand && cand->end > start ? cand : NULL;
}

static void sntl_unlink(struct sntl_session *s, struct sntl_object *o)
{
	rb_erase(&o->id_node, &s->by_id);
	rb_erase(&o->addr_node, &s->by_addr);
}

static void sntl_link(struct sntl_session *s, struct sntl_object *o)
{
	rb_add(&o->id_node, &s->by_id, sntl_less_id);
	rb_add(&o->addr_node, &s->by_addr, sntl_less_addr);
}

/* At most one placement hint, and none on a short-lived object. */
static bool sntl_hints_valid(u16 flags)
{
	u16 hint = flags & SENTINEL_OBJ_F_HINTS;

	if (!hint)
		return true;
	return hweight16(hint) == 1 && !(flags & SENTINEL_OBJ_F_SHORT_LIVED);
}

/* Field checks that need no lock; the range must then be mapped. */
static int sntl_check_obj(const struct sentinel_obj *o)
{
	unsigned long mask = (o->flags & SENTINEL_OBJ_F_PARTIAL) ?
			     0 : PAGE_SIZE - 1;

	if (o->reserved || o->kind >= __SENTINEL_KIND_MAX ||
	    (o->flags & ~SENTINEL_OBJ_F_ALL) || !o->len ||
	    !sntl_hints_valid(o->flags))
		return -EINVAL;
	if ((o->addr | o->len) & mask)
		return -EINVAL;
	if (o->addr + o->len < o->addr)
		return -EINVAL;
	if (!access_ok(u64_to_user_ptr(o->addr), o->len))
		return -EFAULT;
	return 0;
}

/* Every page of [start, end) belongs to a VMA; mmap lock held. */
static bool sntl_range_mapped(struct mm_struct *mm, unsigned long start,
			      unsigned long end)
{
	unsigned long addr = start & PAGE_MASK;

	while (addr < end) {
		struct vm_area_struct *vma = find_vma(mm, addr);

		if (!vma || vma->vm_start > addr)
			return false;
		addr = vma->vm_end;
	}
	return true;
}

static void sntl_free_batch(struct sntl_session *s, struct sntl_object *head,
			    bool linked)
{
	while (head) {
		struct sntl_object *next = head->batch_next;

		if (linked)
			sntl_unlink(s, head);
		kmem_cache_free(sntl_obj_cache, head);
		head = next;
	}
}

/*
 * Validate and insert @n entries already copied from userspace.  Entries
 * are linked into the trees and onto *@head as they pass; on error *@err_at
 * is the failing index.  Session lock held; touches no user memory.
 */
static int sntl_insert_objs(struct sntl_session *s,
			    const struct sentinel_obj *objs, u32 n,
			    struct sntl_object **head, u32 *err_at,
			    u64 *bytes)
{
	u32 i;

	for (i = 0; i < n; i++) {
		const struct sentinel_obj *u = &objs[i];
		struct sntl_object *o;

		*err_at = i;
		if (sntl_find_id(s, u->id))
			return -EEXIST;
		if (sntl_find_overlap(s, u->addr, u->addr + u->len))
			return -EBUSY;
		o = kmem_cache_alloc(sntl_obj_cache, GFP_KERNEL_ACCOUNT);
		if (!o)
			return -ENOMEM;
		o->id = u->id;
		o->start = u->addr;
		o->end = u->addr + u->len;
		o->kind = u->kind;
		o->flags = u->flags;
		o->layer_hint = u->layer_hint;
		sntl_link(s, o);
		o->batch_next = *head;
		*head = o;
		*bytes += u->len;
		if (!(i & 1023) && fatal_signal_pending(current))
			return -EINTR;
	}
	return 0;
}

/*
 * Copy a batch of @count entries of @obj_size bytes in and check each one,
 * with no session lock held: a fault on the user array (userfaultfd, a
 * slow file) then stalls only the caller.  *@err_at is the failing index.
 */
static struct sentinel_obj *sntl_copy_objs(struct sntl_session *s,
					   const void __user *objs, u32 count,
					   u32 obj_size, u32 *err_at)
{
	struct sentinel_obj *buf;
	int ret = 0;
	u32 i;

	buf = kvmalloc_array(count, sizeof(*buf), GFP_KERNEL_ACCOUNT);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	for (i = 0; i < count && !ret; i++) {
		*err_at = i;
		ret = copy_struct_from_user(&buf[i], sizeof(buf[i]),
					    objs + (size_t)i * obj_size,
					    obj_size);
		if (!ret)
			ret = sntl_check_obj(&buf[i]);
		if (!ret && !(i & 1023) && fatal_signal_pending(current))
			ret = -EINTR;
	}
	if (ret)
		goto fail;

	if (mmap_read_lock_killable(s->mm)) {
		*err_at = count;
		ret = -EINTR;
		goto fail;
	}
	for (i = 0; i < count; i++) {
		*err_at = i;
		if (!sntl_range_mapped(s->mm, buf[i].addr,
				       buf[i].addr + buf[i].len)) {
			ret = -ENOMEM;
			break;
		}
	}
	mmap_read_unlock(s->mm);
	if (ret)
		goto fail;
	return buf;
fail:
	kvfree(buf);
	return ERR_PTR(ret);
}

/**
 * sntl_register() - register a batch of objects, all or nothing
 * @s: the session; the caller runs in its address space
 * @objs: user array of @count entries of @obj_size bytes
 * @count: 1..SENTINEL_MAX_BATCH
 * @obj_size: caller's sizeof(struct sentinel_obj)
 * @err_index: set to the index of the failing entry, or @count
 *
 * The whole batch is copied in before the session lock is taken.
 *
 * Return: 0 or a negative errno as documented in the uapi header.
 */
int sntl_register(struct sntl_session *s, const void __user *objs,
		  u32 count, u32 obj_size, u32 *err_index)
{
	struct sntl_object *head = NULL;
	struct sentinel_obj *buf;
	u64 bytes = 0, gen;
	u32 max, at = 0;
	int ret;

	*err_index = count;
	if (!count || obj_size < SENTINEL_OBJ_SIZE_V0)
		return -EINVAL;
	if (count > SENTINEL_MAX_BATCH || obj_size > SENTINEL_MAX_ARG_SIZE)
		return -E2BIG;
	if (!mmget_not_zero(s->mm))
		return -ESRCH;

	buf = sntl_copy_objs(s, objs, count, obj_size, &at);
	if (IS_ERR(buf)) {
		ret = PTR_ERR(buf);
		*err_index = at;
		goto out_mmput;
	}
	if (mutex_lock_killable(&s->lock)) {
		ret = -EINTR;
		goto out_free;
	}
	if (s->dead) {
		ret = -ESRCH;
		goto out_unlock;
	}

	max = READ_ONCE(sntl_cfg.max_objects_per_session);
	if (s->nr_objects + count > max) {
		*err_index = s->nr_objects < max ? max - s->nr_objects : 0;
		trace_sentinel_limit(s, SNTL_LIMIT_OBJECTS, max,
				     s->nr_objects + count);
		ret = -ENOSPC;
		goto out_unlock;
	}

	ret = sntl_insert_objs(s, buf, count, &head, &at, &bytes);
	if (ret) {
		*err_index = ret == -EINTR ? count : at;
		sntl_free_batch(s, head, true);
		goto out_unlock;
	}

	s->nr_objects += count;
	s->bytes += bytes;
	s->registered += count;
	gen = ++s->generation;
	atomic64_add(count, &sntl_stats.objects);
	atomic64_add(bytes, &sntl_stats.bytes);
	/* Under the lock, so that events leave in generation order. */
	trace_sentinel_objects_added(s, count, bytes, gen);
	sntl_nl_objects_event(SENTINEL_EVT_OBJECTS_ADDED, s, count, bytes, gen,
			      head);

out_unlock:
	mutex_unlock(&s->lock);
out_free:
	kvfree(buf);
out_mmput:
	mmput(s->mm);
	return ret;
}

static void sntl_account_removed(struct sntl_session *s, u64 nr, u64 bytes)
{
	s->nr_objects -= nr;
	s->bytes -= bytes;
	s->unregistered += nr;
	atomic64_sub(nr, &sntl_stats.objects);
	atomic64_sub(bytes, &sntl_stats.bytes);
}

/**
 * sntl_unregister() - unregister a batch of objects by id, all or nothing
 * @s: the session
 * @ids: user array of @count ids
 * @count: 1..SENTINEL_MAX_BATCH
 * @err_index: set to the index of the failing id, or @count
 *
 * The ids are copied in before the session lock is taken.
 *
 * Return: 0, -ENOENT for an id that is not live (or repeated), -EFAULT,
 * -EINVAL, -E2BIG, -ENOMEM, -EINTR.
 */
int sntl_unregister(struct sntl_session *s, const u64 __user *ids,
		    u32 count, u32 *err_index)
{
	struct sntl_object *head = NULL, *o;
	u64 bytes = 0, gen, *buf;
	int ret = 0;
	u32 i;

	*err_index = count;
	if (!count)
		return -EINVAL;
	if (count > SENTINEL_MAX_BATCH)
		return -E2BIG;

	buf = kvmalloc_array(count, sizeof(*buf), GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	for (i = 0; i < count; i += SNTL_CHUNK_IDS) {
		u32 n = min_t(u32, count - i, SNTL_CHUNK_IDS);

		if (copy_from_user(buf + i, ids + i, n * sizeof(u64))) {
			*err_index = i;
			ret = -EFAULT;
			goto out_free;
		}
	}
	if (mutex_lock_killable(&s->lock)) {
		ret = -EINTR;
		goto out_free;
	}

	for (i = 0; i < count; i++) {
		o = sntl_find_id(s, buf[i]);
		if (!o) {
			*err_index = i;
			ret = -ENOENT;
			goto out_restore;
		}
		sntl_unlink(s, o);
		o->batch_next = head;
		head = o;
		bytes += o->end - o->start;
	}

	sntl_account_removed(s, count, bytes);
	gen = ++s->generation;
	trace_sentinel_objects_removed(s, count, bytes, gen);
	sntl_nl_objects_event(SENTINEL_EVT_OBJECTS_REMOVED, s, count, bytes,
			      gen, head);
	for (o = head; o; o = o->batch_next)
		sntl_prof_departed(s, o);
	mutex_unlock(&s->lock);
	sntl_free_batch(s, head, false);
	goto out_free;

out_restore:
	for (o = head; o; o = o->batch_next)
		sntl_link(s, o);
	mutex_unlock(&s->lock);
out_free:
	kvfree(buf);
	return ret;
}

/* Free every object; returns how many and their bytes.  Lock held. */
static void sntl_free_tree(struct sntl_session *s, u64 *nr_out,
			   u64 *bytes_out)
{
	struct sntl_object *o, *next;
	u64 nr = 0, bytes = 0;

	rbtree_postorder_for_each_entry_safe(o, next, &s->by_id, id_node) {
		nr++;
		bytes += o->end - o->start;
		sntl_prof_departed(s, o);
		kmem_cache_free(sntl_obj_cache, o);
		if (!(nr & 1023))
			cond_resched();
	}
	s->by_id = RB_ROOT;
	s->by_addr = RB_ROOT;
	s->steady.cursor = 0;
	sntl_account_removed(s, nr, bytes);
	*nr_out = nr;
	*bytes_out = bytes;
}

/**
 * sntl_unregister_all() - unregister every object of a session
 * @s: the session
 *
 * Return: 0 or -EINTR.
 */
int sntl_unregister_all(struct sntl_session *s)
{
	u64 nr, bytes, gen;

	if (mutex_lock_killable(&s->lock))
		return -EINTR;
	sntl_free_tree(s, &nr, &bytes);
	if (nr) {
		gen = ++s->generation;
		trace_sentinel_objects_removed(s, nr, bytes, gen);
		sntl_nl_objects_event(SENTINEL_EVT_OBJECTS_REMOVED, s, nr,
				      bytes, gen, NULL);
	}
	mutex_unlock(&s->lock);
	return 0;
}

/**
 * sntl_registry_free_all() - free a dying session's objects
 * @s: the session; its file is released, so no command can add any
 */
void sntl_registry_free_all(struct sntl_session *s)
{
	u64 nr, bytes;

	mutex_lock(&s->lock);
	s->dead = true;
	sntl_free_tree(s, &nr, &bytes);
	s->generation++;
	mutex_unlock(&s->lock);
}

/**
 * sntl_first_at_or_after() - the object containing @addr or the next one
 * @s: the session, lock held
 * @addr: an address
 *
 * Return: the object, or NULL when none ends after @addr.
 */
struct sntl_object *sntl_first_at_or_after(struct sntl_session *s,
					   unsigned long addr)
{
	struct rb_node *n = s->by_addr.rb_node;
	struct sntl_object *best = NULL;

	while (n) {
		struct sntl_object *o = rb_entry(n, struct sntl_object,
						 addr_node);

		if (o->end > addr) {
			best = o;
			n = n->rb_left;
		} else {
			n = n->rb_right;
		}
	}
	return best;
}

/**
 * sntl_fill_info() - describe an object without its residency
 * @o: the object
 * @info: output
 */
void sntl_fill_info(const struct sntl_object *o,
		    struct sentinel_obj_info *info)
{
	memset(info, 0, sizeof(*info));
	info->addr = o->start;
	info->len = o->end - o->start;
	info->id = o->id;
	info->kind = o->kind;
	info->flags = o->flags;
	info->layer_hint = o->layer_hint;
	info->pages = (PAGE_ALIGN(o->end) - (o->start & PAGE_MASK)) >>
		      PAGE_SHIFT;
	info->steady_scans = o->steady_scans;
	info->steady_touched = o->steady_touched;
}

/*
 * Walk the page tables of @n objects whose info is already filled.  Needs
 * no session lock: it reads only @infos and the page tables of @s->mm.
 */
static int sntl_fill_residency(struct sntl_session *s,
			       struct sentinel_obj_info *infos, u32 n,
			       bool mm_alive)
{
	u32 i;
	int ret = 0;

	if (!mm_alive) {
		for (i = 0; i < n; i++)
			infos[i].state |= SENTINEL_OBJ_STATE_MM_GONE;
		return 0;
	}
	if (mmap_read_lock_killable(s->mm))
		return -EINTR;
	for (i = 0; i < n && !ret; i++) {
		struct sentinel_obj_info *info = &infos[i];
		struct sntl_walk w = {};

		ret = sntl_walk_range(s->mm, info->addr & PAGE_MASK,
				      PAGE_ALIGN(info->addr + info->len), &w);
		info->present_pages = w.present;
		info->thp_pages = w.thp;
		info->unmapped_pages = w.unmapped;
		info->skipped_pages = w.skipped;
		memcpy(info->node_pages, w.node, sizeof(w.node));
		if (w.unmapped)
			info->state |= SENTINEL_OBJ_STATE_UNMAPPED;
		if (w.skipped)
			info->state |= SENTINEL_OBJ_STATE_NOT_COUNTED;
	}
	mmap_read_unlock(s->mm);
	return ret;
}

static int sntl_copy_infos(void __user *out, u32 at, u32 info_size,
			   const struct sentinel_obj_info *infos, u32 n)
{
	size_t len = min_t(size_t, info_size, sizeof(*infos));
	u32 i;

	for (i = 0; i < n; i++) {
		void __user *dst = out + (size_t)(at + i) * info_size;

		if (copy_to_user(dst, &infos[i], len))
			return -EFAULT;
		if (info_size > len && clear_user(dst + len, info_size - len))
			return -EFAULT;
	}
	return 0;
}

/* Next object in id order after @cursor (or the first with !@after). */
static struct sntl_object *sntl_next_by_id(struct sntl_session *s, u64 cursor,
					   bool after)
{
	struct rb_node *n = s->by_id.rb_node;
	struct sntl_object *best = NULL;

	while (n) {
		struct sntl_object *o = rb_entry(n, struct sntl_object, id_node);

		if (!after || o->id > cursor) {
			best = o;
			n = n->rb_left;
		} else {
			n = n->rb_right;
		}
	}
	return best;
}

/*
 * Describe up to @max objects in id order after *@cursor (from the first
 * with !@after) into @infos; *@cursor becomes the last id described.
 */
static int sntl_describe_locked(struct sntl_session *s, u64 *cursor,
				bool after, struct sentinel_obj_info *infos,
				u32 max, u32 *n)
{
	u32 i;

	if (mutex_lock_killable(&s->lock))
		return -EINTR;
	for (i = 0; i < max; i++) {
		struct sntl_object *o = sntl_next_by_id(s, *cursor, after);

		if (!o)
			break;
		sntl_fill_info(o, &infos[i]);
		*cursor = o->id;
		after = true;
	}
	mutex_unlock(&s->lock);
	*n = i;
	return 0;
}

/*
 * Describe the objects named by @ids[0..@n) into @infos.  *@err_at is the
 * index of an id that is not live.
 */
static int sntl_describe_ids(struct sntl_session *s, const u64 *ids, u32 n,
			     struct sentinel_obj_info *infos, u32 *err_at)
{
	int ret = 0;
	u32 i;

	if (mutex_lock_killable(&s->lock))
		return -EINTR;
	for (i = 0; i < n; i++) {
		struct sntl_object *o = sntl_find_id(s, ids[i]);

		if (!o) {
			*err_at = i;
			ret = -ENOENT;
			break;
		}
		sntl_fill_info(o, &infos[i]);
	}
	mutex_unlock(&s->lock);
	return ret;
}

/**
 * sntl_describe() - describe the next objects in id order
 * @s: the session
 * @cursor: in, start after this id (with @after) or at the smallest id;
 *	out, the last id described
 * @after: whether @cursor names an id to start after
 * @residency: walk the page tables for residency
 * @infos: output array
 * @max: its capacity
 * @n: set to the number of objects described; less than @max at the end
 *
 * The session lock is held only while the registry is read; the page
 * tables are walked after it is released.
 *
 * Return: 0, -EINTR.
 */
int sntl_describe(struct sntl_session *s, u64 *cursor, bool after,
		  bool residency, struct sentinel_obj_info *infos, u32 max,
		  u32 *n)
{
	bool mm_alive = residency && mmget_not_zero(s->mm);
	u64 next = *cursor;
	u32 got;
	int ret;

	*n = 0;
	ret = sntl_describe_locked(s, &next, after, infos, max, &got);
	if (!ret && residency)
		ret = sntl_fill_residency(s, infos, got, mm_alive);
	if (!ret) {
		*cursor = next;
		*n = got;
	}
	if (mm_alive)
		mmput(s->mm);
	return ret;
}

/* One round of a query: at most SNTL_CHUNK_INFOS objects. */
static int sntl_query_round(struct sntl_session *s, struct sentinel_query *q,
			    u64 *cursor, bool *after, bool mm_alive,
			    struct sentinel_obj_info *infos, u64 *ids,
			    u32 *got, u32 *err_at)
{
	const u64 __user *uids = u64_to_user_ptr(q->ids);
	u32 n = min_t(u32, q->count - q->returned, SNTL_CHUNK_INFOS);
	int ret;

	*got = 0;
	*err_at = 0;
	if (q->flags & SENTINEL_QUERY_ALL) {
		ret = sntl_describe_locked(s, cursor, *after, infos, n, got);
		if (!ret && *got)
			*after = true;
	} else {
		if (copy_from_user(ids, uids + q->returned, n * sizeof(u64)))
			return -EFAULT;
		ret = sntl_describe_ids(s, ids, n, infos, err_at);
		if (!ret)
			*got = n;
	}
	if (!ret && (q->flags & SENTINEL_QUERY_RESIDENCY))
		ret = sntl_fill_residency(s, infos, *got, mm_alive);
	if (!ret)
		ret = sntl_copy_infos(u64_to_user_ptr(q->out), q->returned,
				      q->info_size, infos, *got);
	return ret;
}

/**
 * sntl_query() - describe objects by id or all of them, page by page
 * @s: the session
 * @q: the command, already validated for flags; returned, cursor and
 *	err_index are updated
 * @info_size: caller's sizeof(struct sentinel_obj_info)
 *
 * Works in rounds of SNTL_CHUNK_INFOS objects: read the ids, describe the
 * objects under the session lock, walk their page tables and copy the
 * answers out with the lock released, so that a fault on the caller's
 * arrays never holds a lock anyone else waits for.  A query is therefore
 * not a snapshot: a registration may land between rounds.
 *
 * Return: 0 or a negative errno as documented in the uapi header.
 */
int sntl_query(struct sntl_session *s, struct sentinel_query *q,
	       u32 info_size)
{
	const bool all = q->flags & SENTINEL_QUERY_ALL;
	bool after = q->flags & SENTINEL_QUERY_CURSOR;
	struct sentinel_obj_info *infos;
	u64 cursor = q->cursor, *ids;
	bool mm_alive = false;
	u32 got, at;
	int ret = 0;

	q->returned = 0;
	q->err_index = q->count;
	if (info_size < SENTINEL_OBJ_INFO_SIZE_V0)
		return -EINVAL;
	if (info_size > SENTINEL_MAX_ARG_SIZE || q->count > SENTINEL_MAX_BATCH)
		return -E2BIG;
	if (all && q->ids)
		return -EINVAL;
	if (!all && (!q->count || after))
		return -EINVAL;
	if (!q->count)
		return 0;

	infos = kmalloc_array(SNTL_CHUNK_INFOS, sizeof(*infos), GFP_KERNEL);
	ids = kmalloc_array(SNTL_CHUNK_INFOS, sizeof(*ids), GFP_KERNEL);
	if (!infos || !ids) {
		ret = -ENOMEM;
		goto out_free;
	}
	if (q->flags & SENTINEL_QUERY_RESIDENCY)
		mm_alive = mmget_not_zero(s->mm);

	while (q->returned < q->count) {
		ret = sntl_query_round(s, q, &cursor, &after, mm_alive, infos,
				       ids, &got, &at);
		if (ret) {
			q->err_index = q->returned + at;
			break;
		}
		q->returned += got;
		if (got < SNTL_CHUNK_INFOS)
			break;
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
	}
	if (!ret)
		q->cursor = cursor;
	if (mm_alive)
		mmput(s->mm);
out_free:
	kfree(ids);
	kfree(infos);
	return ret;
}

/**
 * sntl_registry_init() - create the object cache
 *
 * Return: 0 or -ENOMEM.
 */
int sntl_registry_init(void)
{
	sntl_obj_cache = KMEM_CACHE(sntl_object, SLAB_ACCOUNT);
	return sntl_obj_cache ? 0 : -ENOMEM;
}

/**
 * sntl_registry_exit() - destroy the object cache; every session is gone
 */
void sntl_registry_exit(void)
{
	kmem_cache_destroy(sntl_obj_cache);
}
