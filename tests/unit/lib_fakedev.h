/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A fake Sentinel module for the libsentinel unit tests: a backend
 * (struct sntl_backend) that implements the ioctl contract of
 * uapi/linux/sentinel.h in userspace and checks every batch against its
 * rules: structure sizes, flags and reserved fields, page alignment, that
 * every page is mapped, unique live ids, no overlapping ranges, batch
 * limits, step order, and the fork rule (EPERM from another process).
 *
 * Requests a correct library never makes (anything answered with EINVAL,
 * EEXIST, EBUSY, ENOMEM, ENOENT, E2BIG or EPERM) are counted in
 * fake.violations unless the test announced them (fake.expect_errors).
 */
#ifndef LIB_FAKEDEV_H
#define LIB_FAKEDEV_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/sentinel.h>

#include "sntl_backend.h"

#define FAKE_MAX_OBJS	32768
#define FAKE_FD		1000

struct fake_obj {
	struct sentinel_obj o;
};

struct fakedev {
	pthread_mutex_t lock;
	pid_t owner;
	int open;
	uint32_t max_batch;
	uint32_t major;
	int open_errno;			/* open() fails with this */
	uint64_t refuse_id;		/* REGISTER refuses this id (ENOSPC) */
	int no_hints;			/* an older module: no SENTINEL_FEAT_HINTS */
	int no_acct;			/* ... no SENTINEL_FEAT_JOB_ACCT */
	struct sentinel_job_acct acct;	/* what "the daemon" sent */

	struct fake_obj objs[FAKE_MAX_OBJS];
	size_t nobjs;

	uint64_t last_step;
	int step_open;
	uint64_t opens, closes;
	uint64_t reg_calls, unreg_calls, mark_calls, query_calls;
	uint64_t registered, unregistered, marks, steps, errors;
	uint32_t max_batch_seen;
	uint64_t violations;
	int expect_errors;
	char last_violation[256];

	/* The daemon's placement map, as the module would hold it. */
	struct sentinel_placement placement[16];
	uint32_t nplacement;
	uint64_t placement_gen;
	uint64_t placement_reads;
};

static struct fakedev fake;

static inline void fake_reset(uint32_t max_batch)
{
	memset(&fake, 0, sizeof(fake));
	pthread_mutex_init(&fake.lock, NULL);
	fake.max_batch = max_batch;
	fake.major = SENTINEL_VERSION_MAJOR;
}

static inline int fake_fail(int err, const char *what)
{
	fake.errors++;
	if (!fake.expect_errors) {
		fake.violations++;
		snprintf(fake.last_violation, sizeof(fake.last_violation),
			 "%s (%s)", what, strerror(err));
	}
	return -err;
}

static inline int fake_open(void *ctx, const char *path)
{
	(void)ctx;
	(void)path;
	if (fake.open_errno)
		return -fake.open_errno;
	pthread_mutex_lock(&fake.lock);
	/* A new session: the previous one (if any) is the parent's. */
	fake.open = 1;
	fake.owner = getpid();
	fake.nobjs = 0;
	fake.last_step = 0;
	fake.step_open = 0;
	fake.steps = 0;
	fake.marks = 0;
	fake.registered = 0;
	fake.unregistered = 0;
	fake.opens++;
	pthread_mutex_unlock(&fake.lock);
	return FAKE_FD;
}

static inline void fake_close(void *ctx, int fd)
{
	(void)ctx;
	pthread_mutex_lock(&fake.lock);
	if (fd != FAKE_FD || !fake.open) {
		fake.violations++;
		snprintf(fake.last_violation, sizeof(fake.last_violation),
			 "close of a descriptor that is not open");
	}
	/* Closing the child's copy does not end the parent's session. */
	if (getpid() == fake.owner) {
		fake.open = 0;
		fake.nobjs = 0;
	}
	fake.closes++;
	pthread_mutex_unlock(&fake.lock);
}

static inline bool fake_range_mapped(uint64_t addr, uint64_t len)
{
	static unsigned char vec[4096];
	uint64_t ps = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t a = addr & ~(ps - 1), end = addr + len;

	while (a < end) {
		uint64_t n = (end - a + ps - 1) / ps;

		if (n > sizeof(vec))
			n = sizeof(vec);
		if (mincore((void *)(uintptr_t)a, n * ps, vec))
			return false;
		a += n * ps;
	}
	return true;
}

static inline uint64_t fake_present_pages(uint64_t addr, uint64_t len)
{
	static unsigned char vec[4096];
	uint64_t ps = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t a = addr & ~(ps - 1), end = addr + len, present = 0, i;

	while (a < end) {
		uint64_t n = (end - a + ps - 1) / ps;

		if (n > sizeof(vec))
			n = sizeof(vec);
		if (mincore((void *)(uintptr_t)a, n * ps, vec))
			return present;
		for (i = 0; i < n; i++)
			present += vec[i] & 1;
		a += n * ps;
	}
	return present;
}

static inline long fake_find_id(uint64_t id)
{
	size_t i;

	for (i = 0; i < fake.nobjs; i++)
		if (fake.objs[i].o.id == id)
			return (long)i;
	return -1;
}

static inline bool overlaps(const struct sentinel_obj *a,
			    const struct sentinel_obj *b)
{
	return a->addr < b->addr + b->len && b->addr < a->addr + a->len;
}

/* The module's rule: one hint at most, none on a short-lived object. */
static inline bool fake_bad_hint(uint16_t flags)
{
	unsigned int h = flags & SENTINEL_OBJ_F_HINTS;

	if (fake.no_hints)
		return h != 0;
	return h && ((h & (h - 1)) || (flags & SENTINEL_OBJ_F_SHORT_LIVED));
}

/* The flags the fake holds for object @id, or -1 when it is not live. */
static inline int fake_flags_of(uint64_t id)
{
	long k;
	int ret = -1;

	pthread_mutex_lock(&fake.lock);
	for (k = 0; k < (long)fake.nobjs; k++)
		if (fake.objs[k].o.id == id)
			ret = fake.objs[k].o.flags;
	pthread_mutex_unlock(&fake.lock);
	return ret;
}

static inline int fake_register(struct sentinel_register *r)
{
	const struct sentinel_obj *objs = (const void *)(uintptr_t)r->objs;
	uint64_t ps = (uint64_t)sysconf(_SC_PAGESIZE);
	uint32_t i, j;
	size_t k;

	fake.reg_calls++;
	r->err_index = r->count;
	if (r->size < SENTINEL_REGISTER_SIZE_V0 || r->flags || r->reserved ||
	    r->obj_size < SENTINEL_OBJ_SIZE_V0 || !r->count)
		return fake_fail(EINVAL, "register: bad header");
	if (r->count > fake.max_batch)
		return fake_fail(E2BIG, "register: batch too large");
	if (r->count > fake.max_batch_seen)
		fake.max_batch_seen = r->count;
	for (i = 0; i < r->count; i++) {
		const struct sentinel_obj *o = &objs[i];

		r->err_index = i;
		if (!o->len || o->addr + o->len < o->addr ||
		    o->kind >= __SENTINEL_KIND_MAX ||
		    (o->flags & ~SENTINEL_OBJ_F_ALL) || o->reserved)
			return fake_fail(EINVAL, "register: bad object");
		if (fake_bad_hint(o->flags))
			return fake_fail(EINVAL, "register: bad hint");
		if (!(o->flags & SENTINEL_OBJ_F_PARTIAL) &&
		    ((o->addr | o->len) & (ps - 1)))
			return fake_fail(EINVAL, "register: unaligned object");
		if (o->id == fake.refuse_id && o->id) {
			fake.errors++;
			return -ENOSPC;
		}
		if (!fake_range_mapped(o->addr, o->len))
			return fake_fail(ENOMEM, "register: range not mapped");
		if (fake_find_id(o->id) >= 0)
			return fake_fail(EEXIST, "register: id live");
		for (j = 0; j < i; j++)
			if (objs[j].id == o->id)
				return fake_fail(EEXIST, "register: id twice in batch");
		for (k = 0; k < fake.nobjs; k++)
			if (overlaps(o, &fake.objs[k].o))
				return fake_fail(EBUSY, "register: overlaps a live object");
		for (j = 0; j < i; j++)
			if (overlaps(o, &objs[j]))
				return fake_fail(EBUSY, "register: overlap within batch");
	}
	if (fake.nobjs + r->count > FAKE_MAX_OBJS)
		return fake_fail(ENOSPC, "register: fake is full");
	for (i = 0; i < r->count; i++)
		fake.objs[fake.nobjs++].o = objs[i];
	fake.registered += r->count;
	r->err_index = r->count;
	return 0;
}

static inline int fake_unregister(struct sentinel_unregister *u)
{
	const uint64_t *ids = (const void *)(uintptr_t)u->ids;
	uint32_t i, j;

	fake.unreg_calls++;
	u->err_index = u->count;
	if (u->size < SENTINEL_UNREGISTER_SIZE_V0 ||
	    (u->flags & ~SENTINEL_UNREG_ALL))
		return fake_fail(EINVAL, "unregister: bad header");
	if (u->flags & SENTINEL_UNREG_ALL) {
		fake.unregistered += fake.nobjs;
		fake.nobjs = 0;
		return 0;
	}
	if (!u->count)
		return fake_fail(EINVAL, "unregister: count 0");
	if (u->count > fake.max_batch)
		return fake_fail(E2BIG, "unregister: batch too large");
	if (u->count > fake.max_batch_seen)
		fake.max_batch_seen = u->count;
	for (i = 0; i < u->count; i++) {
		u->err_index = i;
		if (fake_find_id(ids[i]) < 0)
			return fake_fail(ENOENT, "unregister: unknown id");
		for (j = 0; j < i; j++)
			if (ids[j] == ids[i])
				return fake_fail(ENOENT, "unregister: id twice");
	}
	for (i = 0; i < u->count; i++) {
		long k = fake_find_id(ids[i]);

		fake.objs[k] = fake.objs[--fake.nobjs];
	}
	fake.unregistered += u->count;
	u->err_index = u->count;
	return 0;
}

static inline int fake_mark(struct sentinel_mark *m)
{
	fake.mark_calls++;
	if (m->size < SENTINEL_MARK_SIZE_V0 || m->flags)
		return fake_fail(EINVAL, "mark: bad header");
	switch (m->type) {
	case SENTINEL_MARK_STEP_BEGIN:
		if (m->step <= fake.last_step && fake.steps)
			return fake_fail(EINVAL, "mark: step number not above the last");
		fake.last_step = m->step;
		fake.step_open = 1;
		fake.steps++;
		break;
	case SENTINEL_MARK_STEP_END:
		if (!fake.step_open || m->step != fake.last_step)
			return fake_fail(EINVAL, "mark: STEP_END without its step");
		fake.step_open = 0;
		break;
	case SENTINEL_MARK_LAYER_BEGIN:
	case SENTINEL_MARK_LAYER_END:
		if (m->layer == SENTINEL_LAYER_NONE ||
		    m->direction > SENTINEL_DIR_OPTIMIZER)
			return fake_fail(EINVAL, "mark: bad layer mark");
		break;
	default:
		return fake_fail(EINVAL, "mark: unknown type");
	}
	fake.marks++;
	return 0;
}

static inline void fake_describe(const struct fake_obj *f, struct sentinel_obj_info *out,
			  bool residency)
{
	uint64_t ps = (uint64_t)sysconf(_SC_PAGESIZE);

	memset(out, 0, sizeof(*out));
	out->addr = f->o.addr;
	out->len = f->o.len;
	out->id = f->o.id;
	out->kind = f->o.kind;
	out->flags = f->o.flags;
	out->layer_hint = f->o.layer_hint;
	if (residency) {
		out->pages = ((f->o.addr + f->o.len + ps - 1) / ps) - f->o.addr / ps;
		out->present_pages = fake_present_pages(f->o.addr, f->o.len);
		out->node_pages[0] = out->present_pages;
	}
}

/* Write the description of f as entry i of q's output, info_size each. */
static inline void fake_put_info(const struct sentinel_query *q, uint32_t i,
				 const struct fake_obj *f, bool residency)
{
	struct sentinel_obj_info d;
	size_t n = q->info_size < sizeof(d) ? q->info_size : sizeof(d);

	fake_describe(f, &d, residency);
	memcpy((char *)(uintptr_t)q->out + (size_t)i * q->info_size, &d, n);
}

static inline int fake_query(struct sentinel_query *q)
{
	bool res = q->flags & SENTINEL_QUERY_RESIDENCY;
	uint32_t i;

	fake.query_calls++;
	q->err_index = q->count;
	q->returned = 0;
	if (q->size < SENTINEL_QUERY_SIZE_V0 || q->info_size < SENTINEL_OBJ_INFO_SIZE_V0 ||
	    (q->flags & ~(SENTINEL_QUERY_ALL | SENTINEL_QUERY_CURSOR |
			  SENTINEL_QUERY_RESIDENCY)))
		return fake_fail(EINVAL, "query: bad header");
	if (q->count > fake.max_batch)
		return fake_fail(E2BIG, "query: batch too large");
	if (q->flags & SENTINEL_QUERY_ALL) {
		uint64_t after = q->cursor;
		bool cursor = q->flags & SENTINEL_QUERY_CURSOR;

		if (q->ids)
			return fake_fail(EINVAL, "query: ids with QUERY_ALL");
		/* Selection of the next smallest ids, one at a time. */
		while (q->returned < q->count) {
			long best = -1;
			size_t k;

			for (k = 0; k < fake.nobjs; k++) {
				uint64_t id = fake.objs[k].o.id;

				if ((cursor || q->returned) && id <= after)
					continue;
				if (best < 0 || id < fake.objs[best].o.id)
					best = (long)k;
			}
			if (best < 0)
				break;
			fake_put_info(q, q->returned, &fake.objs[best], res);
			after = fake.objs[best].o.id;
			q->returned++;
		}
		q->cursor = after;
		return 0;
	}
	if (!q->ids || !q->count)
		return fake_fail(EINVAL, "query: no ids");
	for (i = 0; i < q->count; i++) {
		long k = fake_find_id(((const uint64_t *)(uintptr_t)q->ids)[i]);

		if (k < 0) {
			q->err_index = i;
			return fake_fail(ENOENT, "query: unknown id");
		}
		fake_put_info(q, i, &fake.objs[k], res);
	}
	q->returned = q->count;
	return 0;
}

static inline int fake_ioctl(void *ctx, int fd, unsigned long cmd, void *arg)
{
	int ret = 0;

	(void)ctx;
	pthread_mutex_lock(&fake.lock);
	if (fd != FAKE_FD || !fake.open) {
		ret = fake_fail(EBADF, "ioctl on a descriptor that is not open");
		goto out;
	}
	if (cmd != SENTINEL_IOC_VERSION && getpid() != fake.owner) {
		ret = fake_fail(EPERM, "ioctl from a process that does not own the session");
		goto out;
	}
	switch (cmd) {
	case SENTINEL_IOC_VERSION: {
		struct sentinel_version *v = arg;

		if (v->size < SENTINEL_VERSION_SIZE_V0 || v->flags) {
			ret = fake_fail(EINVAL, "version: bad header");
			break;
		}
		v->major = fake.major;
		v->minor = SENTINEL_VERSION_MINOR;
		v->max_batch = fake.max_batch;
		v->max_nodes = SENTINEL_MAX_NODES;
		v->features = SENTINEL_FEAT_REGISTRY | SENTINEL_FEAT_MARKS |
			      SENTINEL_FEAT_RESIDENCY |
			      (fake.no_hints ? 0 : SENTINEL_FEAT_HINTS) |
			      (fake.no_acct ? 0 : SENTINEL_FEAT_JOB_ACCT);
		break;
	}
	case SENTINEL_IOC_REGISTER:
		ret = fake_register(arg);
		break;
	case SENTINEL_IOC_UNREGISTER:
		ret = fake_unregister(arg);
		break;
	case SENTINEL_IOC_MARK:
		ret = fake_mark(arg);
		break;
	case SENTINEL_IOC_QUERY:
		ret = fake_query(arg);
		break;
	case SENTINEL_IOC_STATS: {
		struct sentinel_session_stats *s = arg;
		uint64_t bytes = 0;
		size_t k;

		for (k = 0; k < fake.nobjs; k++)
			bytes += fake.objs[k].o.len;
		memset(&s->session_id, 0, sizeof(*s) - 8);
		s->session_id = 42;
		s->objects = fake.nobjs;
		s->bytes = bytes;
		s->registered = fake.registered;
		s->unregistered = fake.unregistered;
		s->marks = fake.marks;
		s->steps = fake.steps;
		s->last_step = fake.last_step;
		s->errors = fake.errors;
		if (s->size >= sizeof(*s))
			s->acct = fake.acct;
		break;
	}
	case SENTINEL_IOC_GET_PLACEMENT: {
		struct sentinel_placement_get *g = arg;

		if (g->size < SENTINEL_PLACEMENT_GET_SIZE_V0 || g->flags ||
		    g->reserved) {
			ret = fake_fail(EINVAL, "bad GET_PLACEMENT header");
			break;
		}
		fake.placement_reads++;
		g->total = fake.nplacement;
		g->generation = fake.placement_gen;
		g->returned = 0;
		if (g->count && g->count < g->total) {
			ret = fake_fail(ENOSPC, "GET_PLACEMENT buffer too small");
			break;
		}
		if (g->count && g->total) {
			memcpy((void *)(uintptr_t)g->buf, fake.placement,
			       g->total * sizeof(fake.placement[0]));
			g->returned = g->total;
		}
		break;
	}
	default:
		ret = fake_fail(ENOTTY, "unknown command");
	}
out:
	pthread_mutex_unlock(&fake.lock);
	return ret;
}

static inline void fake_install(uint32_t max_batch)
{
	static const struct sntl_backend be = {
		.open = fake_open,
		.ioctl = fake_ioctl,
		.close = fake_close,
	};

	fake_reset(max_batch);
	sntl__set_backend(&be);
}

/* Live objects of the fake whose id has SNTL_ID_ALLOC set. */
static inline size_t fake_alloc_objects(void)
{
	size_t k, n = 0;

	pthread_mutex_lock(&fake.lock);
	for (k = 0; k < fake.nobjs; k++)
		n += !!(fake.objs[k].o.id & (1ULL << 63));
	pthread_mutex_unlock(&fake.lock);
	return n;
}

#endif /* LIB_FAKEDEV_H */
