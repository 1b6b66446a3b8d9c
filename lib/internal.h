/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libsentinel internals shared by the library's files.
 *
 * Locking.  Two locks, always taken in this order:
 *   sntl_lock      (mutex) the allocator, the plan tables, the pending
 *                  registration queues, and every change of the session
 *                  state;
 *   sntl_dev_lock  (rwlock) the session's descriptor and backend: read
 *                  side around every ioctl, write side to open or close.
 * fork() takes both (pthread_atfork), so the child starts consistent.
 */
#ifndef SENTINEL_LIB_INTERNAL_H
#define SENTINEL_LIB_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/sentinel.h>

#include "include/sentinel.h"
#include "sntl_backend.h"

#define SNTL_LIKELY(x)		__builtin_expect(!!(x), 1)
#define SNTL_UNLIKELY(x)	__builtin_expect(!!(x), 0)

#define SNTL_ALIGN_UP(x, a)	(((x) + ((a) - 1)) & ~((uintptr_t)(a) - 1))
#define SNTL_MIN(a, b)		((a) < (b) ? (a) : (b))

/* ---- session.c ---- */

/* Session states (sntl_sess.state); the public enum plus REOPEN. */
enum sntl_sess_state {
	SESS_CLOSED = SNTL_STATE_CLOSED,
	SESS_OPEN = SNTL_STATE_OPEN,
	SESS_FORKED = SNTL_STATE_FORKED,
	SESS_REOPEN = 3,	/* forked child that reopens on next use */
};

struct sntl_session {
	_Atomic int state;		/* enum sntl_sess_state */
	int fd;
	_Atomic pid_t pid;		/* process that opened the session */
	uint32_t flags;			/* SNTL_OPEN_* */
	uint32_t max_batch;
	struct sentinel_version version;
	struct sntl_backend be;		/* the backend of the open session */
	char path[256];
};

extern pthread_mutex_t sntl_lock;
extern pthread_rwlock_t sntl_dev_lock;
extern struct sntl_session sntl_sess;
extern size_t sntl_page_size;

/*
 * Object flags a caller may pass: SNTL_OBJ_* with at most one placement
 * hint, and no hint on a short-lived object (the module's own rule).
 */
static inline bool sntl__obj_flags_valid(unsigned int flags)
{
	unsigned int hint = flags & SNTL_OBJ_HINTS;

	if (flags & ~(SNTL_OBJ_PARTIAL | SNTL_OBJ_SHORT_LIVED | SNTL_OBJ_HINTS))
		return false;
	return !hint || (!(hint & (hint - 1)) && !(flags & SNTL_OBJ_SHORT_LIVED));
}

/* One-time library setup (page size, fork handlers); cheap after. */
void sntl__init(void);

/*
 * Enter and leave the device with sntl_lock held: on success the
 * read side of sntl_dev_lock is held and the session is open.
 */
int sntl__dev_enter_locked(void);
void sntl__dev_exit(void);
/* Issue cmd on the open session (inside dev_enter/dev_exit). */
int sntl__dev_ioctl(unsigned long cmd, void *arg);

/* ---- error.c ---- */

/* Map errno err of command cmd (0 for open) to an SNTL_E* code. */
int sntl__map_errno(unsigned long cmd, int err);

/* ---- alloc.c ---- */

extern _Atomic uint32_t sntl_cur_layer;

/* sntl_lock held.  Queue every live object / forget registrations. */
int sntl__alloc_session_opened(void);
void sntl__alloc_session_closed(void);
/* sntl_lock held.  Send the pending queues to the module. */
int sntl__flush_locked(void);
/* sntl_lock held.  Step boundaries restart the step-relative indices. */
void sntl__alloc_step(bool begin);

/* ---- plan.c (under sntl_lock) ---- */

/* The birth node of lid (its own or the map's for the others): true and *node. */
bool sntl__placement_locked(uint64_t lid, int *node);
/* Bind [addr, addr + len) to node (preferred policy); 0 or -errno. */
int sntl__bind(void *addr, size_t len, int node);
/*
 * Of up to SNTL_CHECK_PAGES pages spread over [addr, addr + len), how
 * many are present on a node other than @node; or -errno.
 */
#define SNTL_CHECK_PAGES	16
int sntl__pages_off_node(void *addr, size_t len, int node);

/* ---- lab.c ---- */

enum sntl_lab_type {
	SNTL_LAB_STEP_BEGIN = 1,
	SNTL_LAB_STEP_END = 2,
	SNTL_LAB_LAYER_BEGIN = 3,
	SNTL_LAB_LAYER_END = 4,
};

/* Tier-lab phase marker; a no-op unless SENTINEL_LAB=1. */
void sntl__lab_mark(unsigned int type, uint32_t arg);
void sntl__placement_sync_locked(void);
/* alloc.c: a new placement map was loaded (sntl_lock held). */
void sntl__alloc_placement_changed_locked(void);
/*
 * The value of a layer's lab marker: the direction (SENTINEL_DIR_*) in the
 * top 4 bits, the layer id's low 28 bits below, so that the forward,
 * backward and optimizer phases of a layer are told apart in the lab.
 */
#define SNTL_LAB_LAYER_VALUE(dir, layer) \
	(((uint32_t)(dir) << 28) | ((uint32_t)(layer) & 0x0fffffffu))

/* ---- hmap.c: u64 -> u64 open-addressing map, mmap-backed ---- */

struct sntl_hent {
	uint64_t key;
	uint64_t val;
};

struct sntl_hmap {
	struct sntl_hent *tab;
	size_t cap;		/* entries, a power of two, or 0 */
	size_t used;
};

#define SNTL_HMAP_EMPTY	(~0ULL)	/* reserved key */

/* 0, or -ENOMEM (the map is unchanged then). */
int sntl_hmap_put(struct sntl_hmap *m, uint64_t key, uint64_t val);
bool sntl_hmap_get(const struct sntl_hmap *m, uint64_t key, uint64_t *val);
bool sntl_hmap_del(struct sntl_hmap *m, uint64_t key);
void sntl_hmap_clear(struct sntl_hmap *m);

/* ---- mcache.c: freed own-page mappings kept for reuse ---- */

#define SNTL_MC_MAX_SLOTS	(1U << 20)
#define SNTL_MC_VICTIMS		64

struct sntl_mc_ent {
	void *addr;
	size_t len;
	uint64_t lid;		/* logical id of the object that had it */
	uint64_t step;		/* step serial when cached */
	uint64_t gen;		/* sntl_mcache.gen when cached */
	int32_t node;		/* birth node (mbind), -1: none */
	uint32_t checked;	/* its pages were found on @node */
	uint32_t older, newer;	/* age list */
	uint32_t knext, kprev;	/* same (length, node), newest first; free list */
};

struct sntl_mcache {
	struct sntl_mc_ent *e;	/* slots, mmap'd */
	uint32_t cap, n;
	uint32_t free;		/* free slots, through knext */
	uint32_t oldest, newest;
	struct sntl_hmap by_lid;	/* lid -> slot */
	struct sntl_hmap by_key;	/* (length, node) -> newest slot */
	size_t bytes;
	uint64_t gen;		/* entries of older generations are stale */
	uint64_t hits, lid_hits;
};

/* Mappings to unmap outside the caller's lock. */
struct sntl_mc_victims {
	struct {
		void *addr;
		size_t len;
	} v[SNTL_MC_VICTIMS];
	uint32_t n;
};

void sntl_mc_init(struct sntl_mcache *mc);
/*
 * A cached mapping for object @lid of @len bytes born on @node, or NULL;
 * *@checked (when not NULL): whether it was put with @checked set.
 */
void *sntl_mc_take(struct sntl_mcache *mc, uint64_t lid, size_t len,
		   size_t align, int32_t node, bool *checked);
/*
 * Keep a freed mapping within @limit bytes; what does not fit: @vic.
 * @checked: its pages were found on @node (sntl_mc_take hands it back).
 */
void sntl_mc_put(struct sntl_mcache *mc, void *addr, size_t len,
		 uint64_t lid, int32_t node, bool checked, uint64_t step,
		 size_t limit, struct sntl_mc_victims *vic);
/* Mappings not reused since the step before last go to @vic. */
void sntl_mc_age(struct sntl_mcache *mc, uint64_t step,
		 struct sntl_mc_victims *vic);
/* A new placement map: no mapping cached so far is taken again. */
void sntl_mc_forget(struct sntl_mcache *mc);
/* Empty the cache into @vic; false when @vic filled first. */
bool sntl_mc_drain(struct sntl_mcache *mc, struct sntl_mc_victims *vic);
void sntl_mc_unmap(struct sntl_mc_victims *vic);
/* Add a mapping to @vic (the caller leaves room for it). */
void sntl_mc_victim(struct sntl_mc_victims *vic, void *addr, size_t len);

#endif /* SENTINEL_LIB_INTERNAL_H */
