// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Sessions: opening /dev/sentinel, fork handling, explicit registration,
 * phase marks, queries and statistics.
 *
 * Nothing runs before the first call into the library (no constructors):
 * the first call sets up the page size and the fork handlers.  Without a
 * session every call below returns SNTL_ENOTAVAIL after a load of the
 * session state, without a system call.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

pthread_mutex_t sntl_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_rwlock_t sntl_dev_lock = PTHREAD_RWLOCK_INITIALIZER;
struct sntl_session sntl_sess = { .state = SESS_CLOSED, .fd = -1 };
size_t sntl_page_size = 4096;

/*
 * The public structures mirror the uapi ones where they are passed on;
 * sntl_obj_info is the uapi structure up to steady_touched, passed with
 * its own size (the module writes no further).
 */
_Static_assert(sizeof(struct sntl_obj_info) ==
	       offsetof(struct sentinel_obj_info, skipped_pages),
	       "sntl_obj_info layout");
_Static_assert(offsetof(struct sntl_obj_info, node_pages) ==
	       offsetof(struct sentinel_obj_info, node_pages),
	       "sntl_obj_info layout");
_Static_assert(offsetof(struct sntl_obj_info, state) ==
	       offsetof(struct sentinel_obj_info, state),
	       "sntl_obj_info layout");
_Static_assert(SNTL_MAX_NODES == SENTINEL_MAX_NODES, "node count");
_Static_assert(SNTL_LAYER_NONE == SENTINEL_LAYER_NONE, "layer none");
_Static_assert((int)SNTL_KIND_COUNT == (int)__SENTINEL_KIND_MAX, "kinds");
_Static_assert((int)SNTL_KIND_WORKSPACE == (int)SENTINEL_KIND_WORKSPACE, "kinds");
_Static_assert(SNTL_OBJ_PARTIAL == SENTINEL_OBJ_F_PARTIAL, "flags");
_Static_assert(SNTL_OBJ_SHORT_LIVED == SENTINEL_OBJ_F_SHORT_LIVED, "flags");
_Static_assert(SNTL_OBJ_PIN_FAST == SENTINEL_OBJ_F_PIN_FAST, "flags");
_Static_assert(SNTL_OBJ_NEVER_PROMOTE == SENTINEL_OBJ_F_NEVER_PROMOTE, "flags");
_Static_assert(SNTL_OBJ_PREFER_FAST == SENTINEL_OBJ_F_PREFER_FAST, "flags");
_Static_assert(SNTL_OBJ_PREFER_SLOW == SENTINEL_OBJ_F_PREFER_SLOW, "flags");
_Static_assert(SNTL_OBJ_HINTS == SENTINEL_OBJ_F_HINTS, "flags");
_Static_assert(SNTL_STATE_F_UNMAPPED == SENTINEL_OBJ_STATE_UNMAPPED, "state");
_Static_assert(SNTL_STATE_F_MM_GONE == SENTINEL_OBJ_STATE_MM_GONE, "state");
_Static_assert((int)SNTL_DIR_OPTIMIZER == (int)SENTINEL_DIR_OPTIMIZER, "dirs");

/* ---- the default backend: the real device ---- */

static int os_open(void *ctx, const char *path)
{
	int fd;

	(void)ctx;
	fd = open(path, O_RDWR | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int os_ioctl(void *ctx, int fd, unsigned long cmd, void *arg)
{
	(void)ctx;
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

static void os_close(void *ctx, int fd)
{
	(void)ctx;
	close(fd);
}

static const struct sntl_backend os_backend = {
	.open = os_open,
	.ioctl = os_ioctl,
	.close = os_close,
};

/* The backend for the next open; protected by sntl_lock. */
static struct sntl_backend next_backend = {
	.open = os_open,
	.ioctl = os_ioctl,
	.close = os_close,
};

int sntl__set_backend(const struct sntl_backend *be)
{
	int ret = 0;

	sntl__init();
	pthread_mutex_lock(&sntl_lock);
	if (atomic_load(&sntl_sess.state) == SESS_OPEN)
		ret = SNTL_EBUSY;
	else
		next_backend = be ? *be : os_backend;
	pthread_mutex_unlock(&sntl_lock);
	return ret;
}

/* ---- fork ---- */

static void atfork_prepare(void)
{
	pthread_mutex_lock(&sntl_lock);
	pthread_rwlock_wrlock(&sntl_dev_lock);
}

static void atfork_parent(void)
{
	pthread_rwlock_unlock(&sntl_dev_lock);
	pthread_mutex_unlock(&sntl_lock);
}

/*
 * In a child (sntl_lock held): the inherited descriptor is the parent's
 * session, which the module refuses here.  Drop it (the parent's session
 * lives on) and forget every registration.
 */
static void forget_parent_session(void)
{
	int st = atomic_load(&sntl_sess.state);

	if (st == SESS_OPEN || st == SESS_REOPEN) {
		if (sntl_sess.fd >= 0)
			sntl_sess.be.close(sntl_sess.be.ctx, sntl_sess.fd);
		sntl_sess.fd = -1;
		atomic_store(&sntl_sess.state,
			     (sntl_sess.flags & SNTL_OPEN_FOLLOW_FORK) ?
			     SESS_REOPEN : SESS_FORKED);
	}
	sntl__alloc_session_closed();
}

static void atfork_child(void)
{
	pthread_mutex_init(&sntl_lock, NULL);
	pthread_rwlock_init(&sntl_dev_lock, NULL);
	pthread_mutex_lock(&sntl_lock);
	forget_parent_session();
	pthread_mutex_unlock(&sntl_lock);
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void do_init(void)
{
	long ps = sysconf(_SC_PAGESIZE);

	if (ps > 0)
		sntl_page_size = (size_t)ps;
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

void sntl__init(void)
{
	pthread_once(&init_once, do_init);
}

/* ---- open and close ---- */

/* sntl_lock held; the session is not open. */
static int do_open_locked(void)
{
	struct sntl_backend be = next_backend;
	struct sentinel_version v;
	int fd, ret;

	fd = be.open(be.ctx, sntl_sess.path);
	if (fd < 0)
		return sntl__map_errno(0, -fd);

	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	ret = be.ioctl(be.ctx, fd, SENTINEL_IOC_VERSION, &v);
	if (ret) {
		be.close(be.ctx, fd);
		return sntl__map_errno(SENTINEL_IOC_VERSION, -ret);
	}
	if (v.major != SENTINEL_VERSION_MAJOR) {
		be.close(be.ctx, fd);
		return SNTL_EVERSION;
	}

	pthread_rwlock_wrlock(&sntl_dev_lock);
	sntl_sess.be = be;
	sntl_sess.fd = fd;
	atomic_store(&sntl_sess.pid, getpid());
	sntl_sess.version = v;
	sntl_sess.max_batch = v.max_batch && v.max_batch < SENTINEL_MAX_BATCH ?
			      v.max_batch : SENTINEL_MAX_BATCH;
	atomic_store(&sntl_sess.state, SESS_OPEN);
	pthread_rwlock_unlock(&sntl_dev_lock);

	/* Register what the allocator already holds; failures are counted. */
	sntl__alloc_session_opened();
	sntl__flush_locked();
	return 0;
}

static void wait_setup(uint32_t flags);

int sntl_open(const struct sntl_open_opts *opts)
{
	const char *path = NULL;
	uint32_t flags = 0;
	int st, ret;

	sntl__init();
	if (opts) {
		if (opts->size < sizeof(uint32_t) * 2)
			return SNTL_EINVAL;
		flags = opts->flags;
		if (opts->size >= offsetof(struct sntl_open_opts, device) +
				  sizeof(opts->device))
			path = opts->device;
	}
	if (flags & ~(SNTL_OPEN_FOLLOW_FORK | SNTL_OPEN_SYNC |
		      SNTL_OPEN_WAIT_MOVES))
		return SNTL_EINVAL;
	wait_setup(flags);
	if (!path)
		path = getenv("SENTINEL_DEVICE");
	if (!path || !*path)
		path = SENTINEL_DEVICE;
	if (strlen(path) >= sizeof(sntl_sess.path))
		return SNTL_EINVAL;

	pthread_mutex_lock(&sntl_lock);
	st = atomic_load(&sntl_sess.state);
	if (st == SESS_OPEN && sntl_sess.pid == getpid()) {
		pthread_mutex_unlock(&sntl_lock);
		return SNTL_EBUSY;
	}
	if (st == SESS_OPEN || st == SESS_REOPEN)
		forget_parent_session();	/* a child that fork() hid */
	strcpy(sntl_sess.path, path);
	sntl_sess.flags = flags;
	ret = do_open_locked();
	if (ret && atomic_load(&sntl_sess.state) != SESS_OPEN)
		atomic_store(&sntl_sess.state, SESS_CLOSED);
	pthread_mutex_unlock(&sntl_lock);
	return ret;
}

int sntl_close(void)
{
	int st, ret = 0;

	sntl__init();
	pthread_mutex_lock(&sntl_lock);
	st = atomic_load(&sntl_sess.state);
	if (st == SESS_OPEN && sntl_sess.pid != getpid()) {
		forget_parent_session();
		st = atomic_load(&sntl_sess.state);
	}
	if (st == SESS_OPEN) {
		pthread_rwlock_wrlock(&sntl_dev_lock);
		sntl_sess.be.close(sntl_sess.be.ctx, sntl_sess.fd);
		sntl_sess.fd = -1;
		atomic_store(&sntl_sess.state, SESS_CLOSED);
		pthread_rwlock_unlock(&sntl_dev_lock);
		sntl__alloc_session_closed();
	} else if (st == SESS_CLOSED) {
		ret = SNTL_ENOTAVAIL;
	} else {
		atomic_store(&sntl_sess.state, SESS_CLOSED);
	}
	pthread_mutex_unlock(&sntl_lock);
	return ret;
}

int sntl_available(void)
{
	return atomic_load(&sntl_sess.state) == SESS_OPEN &&
	       sntl_sess.pid == getpid();
}

enum sntl_state sntl_state(void)
{
	int st = atomic_load(&sntl_sess.state);

	if (st == SESS_REOPEN || (st == SESS_OPEN && sntl_sess.pid != getpid()))
		return SNTL_STATE_FORKED;
	return (enum sntl_state)st;
}

/* ---- entering the device ---- */

/*
 * sntl_lock held.  Catch a fork the handlers did not see (a raw clone)
 * and reopen a FOLLOW_FORK session in a child.
 */
static void revalidate_locked(void)
{
	int st = atomic_load(&sntl_sess.state);

	if (st == SESS_OPEN && sntl_sess.pid != getpid()) {
		forget_parent_session();
		st = atomic_load(&sntl_sess.state);
	}
	if (st == SESS_REOPEN && do_open_locked())
		atomic_store(&sntl_sess.state, SESS_FORKED);
}

int sntl__dev_enter_locked(void)
{
	int st = atomic_load(&sntl_sess.state);

	if (st == SESS_CLOSED || st == SESS_FORKED)
		return SNTL_ENOTAVAIL;
	if (st == SESS_REOPEN || sntl_sess.pid != getpid())
		revalidate_locked();
	pthread_rwlock_rdlock(&sntl_dev_lock);
	if (atomic_load(&sntl_sess.state) != SESS_OPEN) {
		pthread_rwlock_unlock(&sntl_dev_lock);
		return SNTL_ENOTAVAIL;
	}
	return 0;
}

/* Without sntl_lock held. */
static int dev_enter(void)
{
	int st = atomic_load(&sntl_sess.state);

	if (st == SESS_CLOSED || st == SESS_FORKED)
		return SNTL_ENOTAVAIL;
	sntl__init();
	if (st == SESS_REOPEN || sntl_sess.pid != getpid()) {
		pthread_mutex_lock(&sntl_lock);
		revalidate_locked();
		pthread_mutex_unlock(&sntl_lock);
	}
	pthread_rwlock_rdlock(&sntl_dev_lock);
	if (atomic_load(&sntl_sess.state) != SESS_OPEN) {
		pthread_rwlock_unlock(&sntl_dev_lock);
		return SNTL_ENOTAVAIL;
	}
	return 0;
}

void sntl__dev_exit(void)
{
	pthread_rwlock_unlock(&sntl_dev_lock);
}

int sntl__dev_ioctl(unsigned long cmd, void *arg)
{
	int ret = sntl_sess.be.ioctl(sntl_sess.be.ctx, sntl_sess.fd, cmd, arg);

	return ret ? sntl__map_errno(cmd, -ret) : 0;
}

/* ---- waiting for the daemon's moves ---- */

#define WAIT_TIMEOUT_MS	10000

static struct {
	_Atomic bool on;		/* layer begins wait */
	uint32_t timeout_ms;
	_Atomic uint64_t waits, done, no_daemon, timeouts, wait_ns;
} W = { .timeout_ms = WAIT_TIMEOUT_MS };

/* Decimal milliseconds from $SENTINEL_WAIT_TIMEOUT_MS, else the default. */
static uint32_t wait_timeout_env(void)
{
	const char *e = getenv("SENTINEL_WAIT_TIMEOUT_MS");
	unsigned long long v;
	char *end;

	if (!e || *e < '0' || *e > '9')
		return WAIT_TIMEOUT_MS;
	errno = 0;
	v = strtoull(e, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return WAIT_TIMEOUT_MS;
	return (uint32_t)v;
}

static void wait_setup(uint32_t flags)
{
	const char *e = getenv("SENTINEL_WAIT_MOVES");
	bool on = (flags & SNTL_OPEN_WAIT_MOVES) ||
		  (e && *e && strcmp(e, "0") != 0);

	W.timeout_ms = wait_timeout_env();
	atomic_store(&W.on, on);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int sntl_wait_moves(uint32_t timeout_ms)
{
	struct sentinel_wait w;
	uint64_t t0;
	int ret = dev_enter();

	if (ret)
		return ret;
	if (!(sntl_sess.version.features & SENTINEL_FEAT_SYNC)) {
		sntl__dev_exit();
		return SNTL_ENOTSUP;	/* a module without it: ask nothing */
	}
	memset(&w, 0, sizeof(w));
	w.size = sizeof(w);
	w.timeout_ms = timeout_ms;
	t0 = mono_ns();
	ret = sntl__dev_ioctl(SENTINEL_IOC_WAIT, &w);
	sntl__dev_exit();
	W.wait_ns += mono_ns() - t0;
	W.waits++;
	if (!ret)
		W.done++;
	else if (ret == SNTL_ENODAEMON)
		W.no_daemon++;
	else if (ret == SNTL_ETIMEDOUT)
		W.timeouts++;
	return ret;
}

int sntl_wait_stats(struct sntl_wait_stats *out)
{
	if (!out)
		return SNTL_EINVAL;
	out->waits = W.waits;
	out->done = W.done;
	out->no_daemon = W.no_daemon;
	out->timeouts = W.timeouts;
	out->wait_ns = W.wait_ns;
	return SNTL_OK;
}

/* Flush the allocator's queues (before a query sees the registry). */
static void flush_pending(void)
{
	if (atomic_load(&sntl_sess.state) == SESS_CLOSED)
		return;
	pthread_mutex_lock(&sntl_lock);
	sntl__flush_locked();
	pthread_mutex_unlock(&sntl_lock);
}

int sntl_module_info(struct sntl_module_info *out)
{
	int ret;

	if (!out)
		return SNTL_EINVAL;
	ret = dev_enter();
	if (ret)
		return ret;
	out->major = sntl_sess.version.major;
	out->minor = sntl_sess.version.minor;
	out->max_batch = sntl_sess.max_batch;
	out->max_nodes = sntl_sess.version.max_nodes;
	out->features = sntl_sess.version.features;
	sntl__dev_exit();
	return 0;
}

/* ---- explicit registration ---- */

#define REG_CHUNK 256	/* objects converted per command (on the stack) */

static int unregister_ids(const uint64_t *ids, size_t count, size_t *err_index)
{
	size_t done = 0;

	while (done < count) {
		struct sentinel_unregister u;
		size_t n = SNTL_MIN(count - done, (size_t)sntl_sess.max_batch);
		int ret;

		memset(&u, 0, sizeof(u));
		u.size = sizeof(u);
		u.count = (uint32_t)n;
		u.ids = (uintptr_t)(ids + done);
		ret = sntl__dev_ioctl(SENTINEL_IOC_UNREGISTER, &u);
		if (ret) {
			if (err_index)
				*err_index = done + (u.err_index < n ?
						     u.err_index : count - done);
			return ret;
		}
		done += n;
	}
	return 0;
}

int sntl_register(const struct sntl_object *objs, size_t count,
		  size_t *err_index)
{
	struct sentinel_obj buf[REG_CHUNK];
	size_t done = 0, i;
	int ret;

	if (err_index)
		*err_index = count;
	if (!objs || !count)
		return SNTL_EINVAL;
	for (i = 0; i < count; i++) {
		if ((objs[i].id & SNTL_ID_ALLOC) || objs[i].kind >= SNTL_KIND_COUNT ||
		    !sntl__obj_flags_valid(objs[i].flags)) {
			if (err_index)
				*err_index = i;
			return SNTL_EINVAL;
		}
	}
	ret = dev_enter();
	if (ret)
		return ret;
	for (i = 0; i < count; i++) {
		if ((objs[i].flags & SNTL_OBJ_HINTS) &&
		    !(sntl_sess.version.features & SENTINEL_FEAT_HINTS)) {
			sntl__dev_exit();
			if (err_index)
				*err_index = i;
			return SNTL_ENOTSUP;
		}
	}
	while (done < count) {
		size_t n = SNTL_MIN(count - done,
				    SNTL_MIN((size_t)REG_CHUNK, (size_t)sntl_sess.max_batch));
		struct sentinel_register r;

		memset(buf, 0, n * sizeof(buf[0]));
		for (i = 0; i < n; i++) {
			const struct sntl_object *o = &objs[done + i];

			buf[i].addr = (uintptr_t)o->addr;
			buf[i].len = o->len;
			buf[i].id = o->id;
			buf[i].kind = o->kind;
			buf[i].flags = o->flags;
			buf[i].layer_hint = o->layer;
		}
		memset(&r, 0, sizeof(r));
		r.size = sizeof(r);
		r.count = (uint32_t)n;
		r.obj_size = sizeof(buf[0]);
		r.objs = (uintptr_t)buf;
		ret = sntl__dev_ioctl(SENTINEL_IOC_REGISTER, &r);
		if (ret) {
			if (err_index)
				*err_index = r.err_index < n ? done + r.err_index : count;
			break;
		}
		done += n;
	}
	if (ret && done) {
		/* Undo the parts that went through: all or nothing. */
		uint64_t ids[REG_CHUNK];
		size_t k = 0;

		while (k < done) {
			size_t n = SNTL_MIN(done - k, (size_t)REG_CHUNK);

			for (i = 0; i < n; i++)
				ids[i] = objs[k + i].id;
			unregister_ids(ids, n, NULL);
			k += n;
		}
	}
	sntl__dev_exit();
	return ret;
}

int sntl_unregister(const uint64_t *ids, size_t count, size_t *err_index)
{
	size_t i;
	int ret;

	if (err_index)
		*err_index = count;
	if (!ids || !count)
		return SNTL_EINVAL;
	for (i = 0; i < count; i++) {
		if (ids[i] & SNTL_ID_ALLOC) {
			if (err_index)
				*err_index = i;
			return SNTL_EINVAL;
		}
	}
	ret = dev_enter();
	if (ret)
		return ret;
	ret = unregister_ids(ids, count, err_index);
	sntl__dev_exit();
	return ret;
}

/* ---- marks ---- */

static int mark(uint16_t type, uint16_t dir, uint32_t layer, uint64_t step)
{
	struct sentinel_mark m;
	int ret;

	switch (type) {
	case SENTINEL_MARK_STEP_BEGIN:
		sntl__lab_mark(SNTL_LAB_STEP_BEGIN, (uint32_t)step);
		break;
	case SENTINEL_MARK_STEP_END:
		sntl__lab_mark(SNTL_LAB_STEP_END, (uint32_t)step);
		break;
	case SENTINEL_MARK_LAYER_BEGIN:
		sntl__lab_mark(SNTL_LAB_LAYER_BEGIN, SNTL_LAB_LAYER_VALUE(dir, layer));
		atomic_store_explicit(&sntl_cur_layer, layer, memory_order_relaxed);
		break;
	default:
		sntl__lab_mark(SNTL_LAB_LAYER_END, SNTL_LAB_LAYER_VALUE(dir, layer));
		atomic_store_explicit(&sntl_cur_layer, SNTL_LAYER_NONE,
				      memory_order_relaxed);
		break;
	}

	sntl__init();
	pthread_mutex_lock(&sntl_lock);
	if (type == SENTINEL_MARK_STEP_BEGIN || type == SENTINEL_MARK_STEP_END)
		sntl__alloc_step(type == SENTINEL_MARK_STEP_BEGIN);
	if (atomic_load(&sntl_sess.state) == SESS_CLOSED ||
	    atomic_load(&sntl_sess.state) == SESS_FORKED) {
		pthread_mutex_unlock(&sntl_lock);
		return SNTL_ENOTAVAIL;
	}
	/* Objects allocated before the boundary are known at the boundary. */
	sntl__flush_locked();
	ret = sntl__dev_enter_locked();
	if (!ret) {
		memset(&m, 0, sizeof(m));
		m.size = sizeof(m);
		m.type = type;
		m.direction = dir;
		m.layer = layer;
		m.step = step;
		ret = sntl__dev_ioctl(SENTINEL_IOC_MARK, &m);
		/* A new plan applies from the next step on. */
		if (!ret && type == SENTINEL_MARK_STEP_BEGIN)
			sntl__placement_sync_locked();
		sntl__dev_exit();
	}
	pthread_mutex_unlock(&sntl_lock);
	/* Outside the lock: other threads go on while this one waits. */
	if (!ret && type == SENTINEL_MARK_LAYER_BEGIN &&
	    atomic_load_explicit(&W.on, memory_order_relaxed))
		sntl_wait_moves(W.timeout_ms);
	return ret;
}

int sntl_step_begin(uint64_t step)
{
	return mark(SENTINEL_MARK_STEP_BEGIN, SENTINEL_DIR_NONE, 0, step);
}

int sntl_step_end(uint64_t step)
{
	return mark(SENTINEL_MARK_STEP_END, SENTINEL_DIR_NONE, 0, step);
}

int sntl_layer_begin(uint32_t layer, enum sntl_dir dir)
{
	if (layer == SNTL_LAYER_NONE || (unsigned int)dir > SNTL_DIR_OPTIMIZER)
		return SNTL_EINVAL;
	return mark(SENTINEL_MARK_LAYER_BEGIN, (uint16_t)dir, layer, 0);
}

int sntl_layer_end(uint32_t layer, enum sntl_dir dir)
{
	if (layer == SNTL_LAYER_NONE || (unsigned int)dir > SNTL_DIR_OPTIMIZER)
		return SNTL_EINVAL;
	return mark(SENTINEL_MARK_LAYER_END, (uint16_t)dir, layer, 0);
}

/* ---- queries ---- */

int sntl_query(const uint64_t *ids, size_t count, struct sntl_obj_info *out,
	       unsigned int flags, size_t *err_index)
{
	size_t done = 0;
	int ret;

	if (err_index)
		*err_index = count;
	if (!ids || !out || !count || (flags & ~SNTL_QUERY_RESIDENCY))
		return SNTL_EINVAL;
	flush_pending();
	ret = dev_enter();
	if (ret)
		return ret;
	while (done < count) {
		size_t n = SNTL_MIN(count - done, (size_t)sntl_sess.max_batch);
		struct sentinel_query q;

		memset(&q, 0, sizeof(q));
		q.size = sizeof(q);
		q.flags = (flags & SNTL_QUERY_RESIDENCY) ? SENTINEL_QUERY_RESIDENCY : 0;
		q.count = (uint32_t)n;
		q.info_size = sizeof(*out);
		q.ids = (uintptr_t)(ids + done);
		q.out = (uintptr_t)(out + done);
		ret = sntl__dev_ioctl(SENTINEL_IOC_QUERY, &q);
		if (ret) {
			if (err_index)
				*err_index = q.err_index < n ? done + q.err_index : count;
			break;
		}
		done += n;
	}
	sntl__dev_exit();
	return ret;
}

int sntl_query_next(struct sntl_cursor *cursor, struct sntl_obj_info *out,
		    size_t cap, unsigned int flags)
{
	struct sentinel_query q;
	int ret;

	if (!cursor || !out || !cap || (flags & ~SNTL_QUERY_RESIDENCY))
		return SNTL_EINVAL;
	if (cursor->done)
		return 0;
	flush_pending();
	ret = dev_enter();
	if (ret)
		return ret;
	memset(&q, 0, sizeof(q));
	q.size = sizeof(q);
	q.flags = SENTINEL_QUERY_ALL;
	if (flags & SNTL_QUERY_RESIDENCY)
		q.flags |= SENTINEL_QUERY_RESIDENCY;
	if (cursor->started)
		q.flags |= SENTINEL_QUERY_CURSOR;
	q.count = (uint32_t)SNTL_MIN(cap, (size_t)sntl_sess.max_batch);
	q.info_size = sizeof(*out);
	q.out = (uintptr_t)out;
	q.cursor = cursor->last_id;
	ret = sntl__dev_ioctl(SENTINEL_IOC_QUERY, &q);
	sntl__dev_exit();
	if (ret)
		return ret;
	if (q.returned) {
		cursor->last_id = q.cursor;
		cursor->started = 1;
	}
	if (q.returned < q.count)
		cursor->done = 1;
	return (int)q.returned;
}

_Static_assert(sizeof(struct sntl_job_stats) == SNTL_JOB_STATS_SIZE_V0, "layout");

/* The session's SENTINEL_IOC_STATS, after the allocator's queues. */
static int module_stats(struct sentinel_session_stats *s, uint64_t feature)
{
	int ret;

	flush_pending();
	ret = dev_enter();
	if (ret)
		return ret;
	if (feature && !(sntl_sess.version.features & feature)) {
		sntl__dev_exit();
		return SNTL_ENOTSUP;
	}
	memset(s, 0, sizeof(*s));
	s->size = sizeof(*s);
	ret = sntl__dev_ioctl(SENTINEL_IOC_STATS, s);
	sntl__dev_exit();
	return ret;
}

int sntl_job_stats(struct sntl_job_stats *out)
{
	struct sentinel_session_stats s;
	struct sntl_job_stats j = { .size = sizeof(j) };
	struct sntl_wait_stats w;
	size_t size;
	int ret;

	if (!out || out->size < SNTL_JOB_STATS_SIZE_V0 || out->reserved)
		return SNTL_EINVAL;
	size = SNTL_MIN((size_t)out->size, sizeof(j));
	ret = module_stats(&s, SENTINEL_FEAT_JOB_ACCT);
	if (ret)
		return ret;
	j.daemon_updates = s.acct.updates;
	j.step = s.acct.step;
	j.steps = s.acct.steps;
	j.promoted_bytes = s.acct.promoted_bytes;
	j.demoted_bytes = s.acct.demoted_bytes;
	j.late = s.acct.late;
	j.late_bytes = s.acct.late_bytes;
	j.budget = s.acct.budget;
	j.touched_bytes = s.acct.touched_bytes;
	j.fast_bytes = s.acct.fast_bytes;
	sntl_wait_stats(&w);
	j.waits = w.waits;
	j.wait_ns = w.wait_ns;
	j.wait_timeouts = w.timeouts;
	j.size = out->size;
	memcpy(out, &j, size);
	return SNTL_OK;
}

int sntl_session_stats(struct sntl_session_stats *out)
{
	struct sentinel_session_stats s;
	int ret;

	if (!out)
		return SNTL_EINVAL;
	ret = module_stats(&s, 0);
	if (ret)
		return ret;
	out->session_id = s.session_id;
	out->objects = s.objects;
	out->bytes = s.bytes;
	out->registered = s.registered;
	out->unregistered = s.unregistered;
	out->marks = s.marks;
	out->steps = s.steps;
	out->last_step = s.last_step;
	out->unterminated_steps = s.unterminated_steps;
	out->outside_layer_marks = s.outside_layer_marks;
	out->errors = s.errors;
	return 0;
}
