// SPDX-License-Identifier: GPL-2.0
/*
 * Sentinel: accessed-bit scans, per-layer profiles and steady-mode scans.
 *
 * Scans run in the thread that issues the mark, synchronously.  During a
 * profiled step this is what makes the profile exact: the training thread
 * cannot start the next layer, and touch its pages, before the scan of the
 * layer that just ended has cleared every accessed bit.  A worker would
 * race with the next layer.  Steady-mode scans run in the same place but
 * are bounded by a page budget, so a step is delayed by at most one
 * budget's worth of page-table reads.
 *
 * Everything here runs under the session mutex, then the mmap read lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/sort.h>
#include <asm/tlbflush.h>

#include "internal.h"
#include "trace.h"

static struct workqueue_struct *sntl_scan_wq;

static void sntl_steady_scan(struct sntl_session *s);

static void sntl_steady_work(struct work_struct *work)
{
	struct sntl_session *s = container_of(work, struct sntl_session,
					      steady_work);

	if (mmget_not_zero(s->mm)) {
		mutex_lock(&s->lock);
		if (!s->dead)
			sntl_steady_scan(s);
		mutex_unlock(&s->lock);
		mmput(s->mm);
	}
	sntl_session_put(s);
}

/**
 * sntl_prof_init() - arm the automatic profile of a new session
 * @s: the session, not yet visible to anyone
 */
void sntl_prof_init(struct sntl_session *s)
{
	INIT_WORK(&s->steady_work, sntl_steady_work);
	if (READ_ONCE(sntl_cfg.auto_profile)) {
		s->prof.state = SENTINEL_PROFILE_STATE_WARMUP;
		s->prof.warmup = READ_ONCE(sntl_cfg.profile_warmup_steps);
		s->prof.steps = READ_ONCE(sntl_cfg.profile_steps);
	}
}

static_assert(offsetof(struct sntl_profile_blob, pub) == 0);

/**
 * sntl_profile_put() - drop a reference on a profile
 * @b: the profile
 */
void sntl_profile_put(struct sntl_profile_blob *b)
{
	sntl_pub_put(&b->pub);
}

/**
 * sntl_profile_get() - the session's last complete profile
 * @s: the session
 *
 * Return: the profile with a reference held, or NULL.
 */
struct sntl_profile_blob *sntl_profile_get(struct sntl_session *s)
{
	struct sntl_pub *p = sntl_pub_get(s, &s->profile);

	return p ? container_of(p, struct sntl_profile_blob, pub) : NULL;
}

/**
 * sntl_prof_free() - free a session's profiling state
 * @s: the dying session
 */
void sntl_prof_free(struct sntl_session *s)
{
	kvfree(s->prof.layers);
	kvfree(s->prof.entries);
	kvfree(s->prof.departed);
	sntl_pub_set(s, &s->profile, NULL);
}

static void sntl_prof_reset(struct sntl_prof *p)
{
	p->done = 0;
	p->nr_layers = 0;
	p->nr_entries = 0;
	p->nr_departed = 0;
	p->truncated = false;
	p->scan_ns = 0;
	p->scanned_pages = 0;
}

/* Make room for one more element in a growing array. */
static int sntl_grow(void **arr, u32 *cap, u32 used, size_t elem)
{
	u32 ncap;
	void *n;

	if (used < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 256;
	n = kvmalloc_array(ncap, elem, GFP_KERNEL_ACCOUNT);
	if (!n)
		return -ENOMEM;
	if (*arr)
		memcpy(n, *arr, (size_t)used * elem);
	kvfree(*arr);
	*arr = n;
	*cap = ncap;
	return 0;
}

static void sntl_flush_tlb_local(void *unused)
{
	__flush_tlb_all();
}

static void sntl_account_scan(struct sntl_session *s, u32 kind, u64 pages,
			      u64 young, u64 ns)
{
	trace_sentinel_scan_end(s, kind, pages, young, ns);
	s->scans++;
	s->scan_pages += pages;
	s->scan_ns += ns;
	atomic64_inc(&sntl_stats.scans);
	atomic64_add(pages, &sntl_stats.scan_pages);
}

/*
 * Test and clear the accessed bits of every object's pages.  With @record,
 * add an entry per touched object to the profile.  Objects sharing a page
 * (partial objects) both see that page.  Session lock held, mm referenced.
 */
static int sntl_scan_all(struct sntl_session *s, bool record, u64 *pages,
			 u64 *young)
{
	struct sntl_prof *p = &s->prof;
	unsigned long prev_end = 0, thp_addr = 0;
	bool prev_young = false, thp_young = false;
	struct rb_node *n;
	int ret = 0;

	*pages = 0;
	*young = 0;
	if (mmap_read_lock_killable(s->mm))
		return -EINTR;
	for (n = rb_first(&s->by_addr); n; n = rb_next(n)) {
		struct sntl_object *o = rb_entry(n, struct sntl_object,
						 addr_node);
		unsigned long start = o->start & PAGE_MASK;
		unsigned long end = PAGE_ALIGN(o->end);
		struct sntl_walk w = {
			.clear_young = true,
			.thp_addr = thp_addr,
			.thp_young = thp_young,
		};
		u64 touched = 0;

		if (start < prev_end) {
			touched += prev_young;
			start += PAGE_SIZE;
		}
		if (start < end) {
			ret = sntl_walk_range(s->mm, start, end, &w);
			if (ret)
				break;
			touched += w.young;
			prev_young = w.young &&
				     w.last_young_addr == end - PAGE_SIZE;
			thp_addr = w.thp_addr;
			thp_young = w.thp_young;
		}
		prev_end = end;
		*pages += w.pages;
		*young += touched;
		if (!record || !touched)
			continue;
		if (p->nr_entries >= READ_ONCE(sntl_cfg.profile_max_entries)) {
			if (!p->truncated)
				trace_sentinel_limit(s, SNTL_LIMIT_PROFILE_ENTRIES,
						     p->nr_entries,
						     p->nr_entries + 1);
			p->truncated = true;
			continue;
		}
		ret = sntl_grow((void **)&p->entries, &p->cap_entries,
				p->nr_entries, sizeof(*p->entries));
		if (ret)
			break;
		p->entries[p->nr_entries].id = o->id;
		p->entries[p->nr_entries].pages = touched;
		p->nr_entries++;
	}
	mmap_read_unlock(s->mm);
	if (READ_ONCE(sntl_cfg.tlb_flush))
		on_each_cpu(sntl_flush_tlb_local, NULL, 1);
	return ret;
}

static void sntl_prof_object(struct sentinel_profile_object *d,
			     const struct sntl_object *o)
{
	memset(d, 0, sizeof(*d));
	d->id = o->id;
	d->len = o->end - o->start;
	d->pages = (PAGE_ALIGN(o->end) - (o->start & PAGE_MASK)) >> PAGE_SHIFT;
	d->kind = o->kind;
	d->flags = o->flags;
	d->layer_hint = o->layer_hint;
}

/**
 * sntl_prof_departed() - remember an object leaving during a profiled step
 * @s: the session, lock held
 * @o: the object being unregistered
 */
void sntl_prof_departed(struct sntl_session *s, const struct sntl_object *o)
{
	struct sntl_prof *p = &s->prof;

	if (p->state != SENTINEL_PROFILE_STATE_RUNNING)
		return;
	if (p->nr_departed >= READ_ONCE(sntl_cfg.profile_max_entries) &&
	    !p->truncated)
		trace_sentinel_limit(s, SNTL_LIMIT_PROFILE_ENTRIES,
				     p->nr_departed, p->nr_departed + 1);
	if (p->nr_departed >= READ_ONCE(sntl_cfg.profile_max_entries) ||
	    sntl_grow((void **)&p->departed, &p->cap_departed,
		      p->nr_departed, sizeof(*p->departed))) {
		p->truncated = true;
		return;
	}
	sntl_prof_object(&p->departed[p->nr_departed++], o);
}

static int sntl_cmp_prof_object(const void *a, const void *b)
{
	u64 x = ((const struct sentinel_profile_object *)a)->id;
	u64 y = ((const struct sentinel_profile_object *)b)->id;

	return x < y ? -1 : x > y;
}

/*
 * Sort the departed objects by id and keep one record per id that is not
 * live any more.  Returns how many.
 */
static u32 sntl_prof_departed_unique(struct sntl_session *s)
{
	struct sntl_prof *p = &s->prof;
	u32 i, n = 0;

	sort(p->departed, p->nr_departed, sizeof(*p->departed),
	     sntl_cmp_prof_object, NULL);
	for (i = 0; i < p->nr_departed; i++) {
		if (i + 1 < p->nr_departed &&
		    p->departed[i + 1].id == p->departed[i].id)
			continue;
		if (sntl_registry_has(s, p->departed[i].id))
			continue;
		p->departed[n++] = p->departed[i];
	}
	p->nr_departed = n;
	return n;
}

/* A profiled step begins: forget the accesses made before it. */
static void sntl_prof_step_begin(struct sntl_session *s, u64 step, u64 now)
{
	struct sntl_prof *p = &s->prof;
	u64 t0 = ktime_get_ns(), pages, young;

	if (p->state == SENTINEL_PROFILE_STATE_WARMUP) {
		sntl_prof_reset(p);
		p->first_step = step;
		p->state = SENTINEL_PROFILE_STATE_RUNNING;
	}
	trace_sentinel_scan_begin(s, SNTL_SCAN_STEP);
	if (sntl_scan_all(s, false, &pages, &young))
		return;
	p->scanned_pages += pages;
	p->scan_ns += ktime_get_ns() - t0;
	sntl_account_scan(s, SNTL_SCAN_STEP, pages, young, ktime_get_ns() - t0);
	p->prev_mark_ns = now;
}

static void sntl_prof_layer_end(struct sntl_session *s,
				const struct sentinel_mark *m, u64 step,
				u64 now)
{
	struct sntl_prof *p = &s->prof;
	struct sentinel_profile_layer *l;
	u32 first = p->nr_entries;
	u64 t0 = ktime_get_ns(), pages, young, ns;

	/* Marks of several threads reach the lock out of time order. */
	now = max(now, p->prev_mark_ns);
	trace_sentinel_scan_begin(s, SNTL_SCAN_LAYER);
	if (sntl_scan_all(s, true, &pages, &young))
		return;
	ns = ktime_get_ns() - t0;
	p->scanned_pages += pages;
	p->scan_ns += ns;
	sntl_account_scan(s, SNTL_SCAN_LAYER, pages, young, ns);
	if (sntl_grow((void **)&p->layers, &p->cap_layers, p->nr_layers,
		      sizeof(*p->layers))) {
		p->nr_entries = first;
		p->truncated = true;
		return;
	}
	l = &p->layers[p->nr_layers++];
	memset(l, 0, sizeof(*l));
	l->step = step;
	l->layer = m->layer;
	l->direction = m->direction;
	l->first_entry = first;
	l->nr_entries = p->nr_entries - first;
	l->begin_ns = p->prev_mark_ns;
	l->end_ns = now;
	l->scan_ns = ns;
	p->prev_mark_ns = now;
	sntl_nl_scan_event(s, pages, young, ns, true);
}

/* Build the uapi layout of the finished profile, with residency. */
static struct sntl_profile_blob *sntl_prof_build(struct sntl_session *s)
{
	struct sntl_prof *p = &s->prof;
	struct sentinel_profile_hdr *h;
	struct sentinel_profile_object *objs;
	struct sntl_profile_blob *b;
	size_t layers_off = sizeof(*h);
	size_t entries_off = layers_off +
			     (size_t)p->nr_layers * sizeof(*p->layers);
	size_t objects_off = entries_off +
			     (size_t)p->nr_entries * sizeof(*p->entries);
	u32 departed = sntl_prof_departed_unique(s);
	size_t total = objects_off +
		       (s->nr_objects + departed) * sizeof(*objs);
	struct rb_node *n;
	u32 i = 0;

	if (total > U32_MAX)
		return NULL;
	b = kvzalloc(sizeof(*b) + total, GFP_KERNEL_ACCOUNT);
	if (!b)
		return NULL;
	sntl_pub_init(&b->pub);
	b->size = total;
	h = (struct sentinel_profile_hdr *)b->data;
	h->size = sizeof(*h);
	h->version = SENTINEL_PROFILE_VERSION;
	h->session_id = s->id;
	h->generation = p->generation + 1;
	h->first_step = p->first_step;
	h->nr_steps = p->done;
	h->flags = (READ_ONCE(sntl_cfg.tlb_flush) ? SENTINEL_PROFILE_F_EXACT : 0) |
		   (p->truncated ? SENTINEL_PROFILE_F_TRUNCATED : 0);
	h->nr_layers = p->nr_layers;
	h->nr_entries = p->nr_entries;
	h->nr_objects = s->nr_objects + departed;
	h->layers_off = layers_off;
	h->entries_off = entries_off;
	h->objects_off = objects_off;
	h->total_size = total;
	h->scan_ns = p->scan_ns;
	h->scanned_pages = p->scanned_pages;
	memcpy(b->data + layers_off, p->layers,
	       (size_t)p->nr_layers * sizeof(*p->layers));
	memcpy(b->data + entries_off, p->entries,
	       (size_t)p->nr_entries * sizeof(*p->entries));

	objs = (struct sentinel_profile_object *)(b->data + objects_off);
	if (mmap_read_lock_killable(s->mm)) {
		kvfree(b);
		return NULL;
	}
	for (n = rb_first(&s->by_id); n; n = rb_next(n), i++) {
		struct sntl_object *o = rb_entry(n, struct sntl_object,
						 id_node);
		struct sntl_walk w = {};

		sntl_prof_object(&objs[i], o);
		if (!sntl_walk_range(s->mm, o->start & PAGE_MASK,
				     PAGE_ALIGN(o->end), &w))
			memcpy(objs[i].node_pages, w.node, sizeof(w.node));
	}
	mmap_read_unlock(s->mm);
	/* Objects gone before the end: described, nothing resident. */
	memcpy(&objs[i], s->prof.departed, departed * sizeof(*objs));
	return b;
}

/* The last profiled step ended: publish.  Returns the generation or 0. */
static u64 sntl_prof_finish(struct sntl_session *s)
{
	struct sntl_prof *p = &s->prof;
	struct sntl_profile_blob *b = sntl_prof_build(s);

	p->state = SENTINEL_PROFILE_STATE_IDLE;
	if (!b)
		return 0;
	trace_sentinel_profile_ready(s, (struct sentinel_profile_hdr *)b->data);
	sntl_pub_set(s, &s->profile, &b->pub);
	p->generation++;
	atomic64_inc(&sntl_stats.profiles);
	return p->generation;
}

/* A budgeted scan, resuming at the cursor; never wraps within a scan. */
static void sntl_steady_scan(struct sntl_session *s)
{
	struct sntl_steady *st = &s->steady;
	u64 budget = READ_ONCE(sntl_cfg.steady_scan_budget);
	u64 t0 = ktime_get_ns(), done = 0, young = 0, ns;
	unsigned long thp_addr = 0;
	bool thp_young = false;
	struct sntl_object *o;

	trace_sentinel_scan_begin(s, SNTL_SCAN_STEADY);
	if (mmap_read_lock_killable(s->mm))
		return;
	o = sntl_first_at_or_after(s, st->cursor);
	while (o && done < budget) {
		unsigned long start = max(o->start & PAGE_MASK,
					  st->cursor & PAGE_MASK);
		unsigned long end = PAGE_ALIGN(o->end);
		unsigned long lim = end;
		struct sntl_walk w = {
			.clear_young = true,
			.thp_addr = thp_addr,
			.thp_young = thp_young,
		};
		struct rb_node *next;

		if ((end - start) >> PAGE_SHIFT > budget - done) {
			lim = start + ((budget - done) << PAGE_SHIFT);
			trace_sentinel_limit(s, SNTL_LIMIT_SCAN_BUDGET, budget,
					     done + ((end - start) >> PAGE_SHIFT));
		}
		if (sntl_walk_range(s->mm, start, lim, &w))
			break;
		done += w.pages;
		young += w.young;
		thp_addr = w.thp_addr;
		thp_young = w.thp_young;
		o->steady_touched += w.young;
		if (lim < end) {
			st->cursor = lim;
			break;
		}
		o->steady_scans++;
		st->cursor = end;
		next = rb_next(&o->addr_node);
		o = next ? rb_entry(next, struct sntl_object, addr_node) : NULL;
	}
	mmap_read_unlock(s->mm);
	if (!o) {
		st->passes++;
		st->cursor = 0;
	}
	ns = ktime_get_ns() - t0;
	st->scans++;
	st->last_pages = done;
	st->max_pages = max(st->max_pages, done);
	sntl_account_scan(s, SNTL_SCAN_STEADY, done, young, ns);
	sntl_nl_scan_event(s, done, young, ns, false);
}

/**
 * sntl_scan_on_mark() - run the scans a mark calls for
 * @s: the session
 * @m: the mark, already applied to the session's phase state
 * @now: the mark's time
 *
 * Does nothing, and takes no lock, for marks of a session that is neither
 * profiling nor due for a steady-mode scan.
 */
void sntl_scan_on_mark(struct sntl_session *s, const struct sentinel_mark *m,
		       u64 now)
{
	u32 state = READ_ONCE(s->prof.state);
	u32 interval = READ_ONCE(sntl_cfg.steady_scan_interval);
	struct sntl_prof *p = &s->prof;
	u64 gen = 0, step;

	if (state == SENTINEL_PROFILE_STATE_IDLE &&
	    (m->type != SENTINEL_MARK_STEP_END || !interval))
		return;
	if (state == SENTINEL_PROFILE_STATE_WARMUP &&
	    m->type != SENTINEL_MARK_STEP_BEGIN &&
	    (m->type != SENTINEL_MARK_STEP_END || !interval))
		return;

	spin_lock(&s->mark_lock);
	step = s->phase.in_step ? s->phase.step : 0;
	spin_unlock(&s->mark_lock);

	if (!mmget_not_zero(s->mm))
		return;
	if (mutex_lock_killable(&s->lock))
		goto out_mmput;

	switch (m->type) {
	case SENTINEL_MARK_STEP_BEGIN:
		if (p->state == SENTINEL_PROFILE_STATE_WARMUP && p->warmup) {
			p->warmup--;
			break;
		}
		if (p->state != SENTINEL_PROFILE_STATE_IDLE)
			sntl_prof_step_begin(s, m->step, now);
		break;
	case SENTINEL_MARK_LAYER_BEGIN:
		if (p->state == SENTINEL_PROFILE_STATE_RUNNING)
			p->prev_mark_ns = max(now, p->prev_mark_ns);
		break;
	case SENTINEL_MARK_LAYER_END:
		if (p->state == SENTINEL_PROFILE_STATE_RUNNING && step)
			sntl_prof_layer_end(s, m, step, now);
		break;
	case SENTINEL_MARK_STEP_END:
		if (p->state == SENTINEL_PROFILE_STATE_RUNNING) {
			if (++p->done >= p->steps)
				gen = sntl_prof_finish(s);
		} else if (interval && !s->dead &&
			   ++s->steady.step_ends % interval == 0) {
			if (!READ_ONCE(sntl_cfg.steady_scan_async)) {
				sntl_steady_scan(s);
			} else {
				/* A scan still queued covers this one. */
				kref_get(&s->ref);
				if (!queue_work(sntl_scan_wq, &s->steady_work))
					sntl_session_put(s);
			}
		}
		break;
	}
	mutex_unlock(&s->lock);
	if (gen)
		sntl_nl_profile_event(s, gen, m->step);
out_mmput:
	mmput(s->mm);
}

/**
 * sntl_scan_init() - create the workqueue of asynchronous steady scans
 *
 * Return: 0 or -ENOMEM.
 */
int sntl_scan_init(void)
{
	sntl_scan_wq = alloc_workqueue("sentinel_scan", WQ_UNBOUND, 0);
	return sntl_scan_wq ? 0 : -ENOMEM;
}

/**
 * sntl_scan_exit() - run the queued scans to completion and free the queue
 */
void sntl_scan_exit(void)
{
	destroy_workqueue(sntl_scan_wq);
}

/**
 * sntl_profile_ctl() - arm, disarm or report a session's profiling
 * @s: the session
 * @op: enum sentinel_profile_op
 * @warmup: steps to skip first (START)
 * @steps: steps to profile (START)
 * @out: state and generation, filled on success
 *
 * Return: 0, -EINVAL for a bad op or out-of-range count, -EINTR.
 */
int sntl_profile_ctl(struct sntl_session *s, u32 op, u32 warmup, u32 steps,
		     struct sentinel_profile_ctl *out)
{
	struct sntl_prof *p = &s->prof;

	if (op > SENTINEL_PROFILE_OP_STOP)
		return -EINVAL;
	if (op == SENTINEL_PROFILE_OP_START &&
	    (!steps || steps > SENTINEL_MAX_PROFILE_STEPS ||
	     warmup > SNTL_MAX_WARMUP_LIMIT))
		return -EINVAL;
	if (mutex_lock_killable(&s->lock))
		return -EINTR;
	switch (op) {
	case SENTINEL_PROFILE_OP_START:
		sntl_prof_reset(p);
		p->warmup = warmup;
		p->steps = steps;
		WRITE_ONCE(p->state, SENTINEL_PROFILE_STATE_WARMUP);
		break;
	case SENTINEL_PROFILE_OP_STOP:
		sntl_prof_reset(p);
		WRITE_ONCE(p->state, SENTINEL_PROFILE_STATE_IDLE);
		break;
	}
	out->state = p->state;
	out->generation = p->generation;
	mutex_unlock(&s->lock);
	return 0;
}
