// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The tensor-aware allocator.
 *
 * Two homes for an allocation, so that objects of different lifetime
 * classes never share a page:
 *
 *  - Long-lived objects (step-lived and persistent ones, and short-lived
 *    ones too large for the region) get pages of their own: one anonymous
 *    mapping each, registered with the module as one object.  On free the
 *    mapping goes to the mapping cache (mcache.c), from which the same
 *    object of a later step (same logical id), else the next allocation
 *    of the same page count and birth node, takes it with its pages still
 *    present: a training step allocates the same objects again and
 *    again, and a fresh mapping costs a page fault and a page clearing
 *    per page.  The cache holds at most MCACHE_BYTES or the job's peak of
 *    requested bytes, whichever is larger (or SENTINEL_ALLOC_CACHE
 *    bytes); what is not reused within two step begins is unmapped, and
 *    sntl_trim() empties it.  A mapping born with a placement is checked
 *    at its first free: one whose pages are not on its birth node (the
 *    node was full when they were touched) is unmapped, not cached, so
 *    that the same object of a later step is born again where the plan
 *    wants it, at most MISPLACED_TRIES times per object and placement
 *    map; a checked mapping is not checked again (the daemon may move
 *    its pages later, and keeps them where it moved them).
 *
 *  - Small short-lived objects are packed into the short-lived region: a
 *    range of address space reserved once and made usable in segments,
 *    each segment registered as one SHORT_LIVED object that the planner
 *    keeps in fast memory.  Sizes are rounded up to size classes (powers
 *    of two and their halfway points, 64 bytes to SNTL_SHORT_MAX).  A
 *    freed object goes on its class's free list and the next allocation
 *    of that class takes the most recently freed one, so the pages a
 *    layer touches stay about as many as its peak of live short-lived
 *    bytes, however their lifetimes interleave.  Without a free block,
 *    allocation bumps through the current chunk.  Segments are cut into
 *    chunks; each chunk counts its live objects, and a chunk whose
 *    objects are all freed leaves the free lists and is reused (the
 *    current chunk rewinds at once).  A few free chunks stay resident,
 *    the others are returned to the OS with MADV_DONTNEED.  A 16-byte
 *    header in front of each object holds its size and logical id.
 *
 * Registration is batched: allocations and frees queue registrations and
 * unregistrations, which go to the module at the next mark, query,
 * sntl_flush() or when a queue fills (at once with SNTL_OPEN_SYNC).  An
 * object freed before its registration was sent is never registered.
 * Unregistrations are sent before registrations, so a new object may
 * reuse a range or an id whose unregistration is still queued.
 *
 * Metadata lives in mmap'd memory: the allocator never calls malloc and
 * can serve a malloc interposer.  One mutex (sntl_lock) protects it all;
 * mmap and munmap of long-lived objects run outside it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <sentinel/size.h>

#include "internal.h"

#define CHUNK_SHIFT	20
#define CHUNK_SIZE	(1UL << CHUNK_SHIFT)		/* 1 MiB */
#define SEG_CHUNKS	16
#define SEG_SIZE	(CHUNK_SIZE * SEG_CHUNKS)	/* 16 MiB */
#define REGION_SEGS	64
#define REGION_CHUNKS	(REGION_SEGS * SEG_CHUNKS)
#define REGION_SIZE	(SEG_SIZE * REGION_SEGS)	/* 1 GiB reserved */
#define REGION_ALIGN	(2UL << 20)			/* THP-friendly */
#define RETAIN_CHUNKS	4	/* free chunks kept resident for reuse */
#define NO_CHUNK	UINT32_MAX
#define NO_BLOCK	UINT32_MAX
#define SHORT_MIN	64	/* smallest size class, and its alignment */
#define NCLASS		25	/* 64, 96, 128, 192, ... 262144 */

#define MCACHE_BYTES	(64UL << 20)	/* least default limit of the mapping cache */

#define PENDING_MAX	1024
#define REC_SLAB	(64 * 1024)
#define MISPLACED_TRIES	3	/* mappings dropped per object and map */

/* Header in front of each object of the region. */
struct shdr {
	uint64_t lid;
	uint32_t size;
	uint16_t magic;
	uint8_t kind;
	uint8_t life;
};

#define SHDR_LIVE	0x5e17
#define SHDR_FREE	0xf4ee

_Static_assert(sizeof(struct shdr) == 16, "short header size");
_Static_assert(SNTL_SHORT_MAX + 4096 + sizeof(struct shdr) <= CHUNK_SIZE,
	       "a short object fits an empty chunk");
_Static_assert(SNTL_SHORT_MAX == SHORT_MIN << ((NCLASS - 1) / 2),
	       "the largest size class is SNTL_SHORT_MAX");

/*
 * A freed block of the region, written over its user bytes: its links in
 * its class's free list and in its chunk's list of free blocks.  Links
 * are offsets of user addresses from the region base (it is 1 GiB).
 */
struct fblk {
	uint32_t next, prev;	/* class list */
	uint32_t cnext, cprev;	/* chunk list */
};

_Static_assert(sizeof(struct fblk) <= SHORT_MIN, "a free block holds its links");

enum chunk_state {
	CH_UNUSED = 0,	/* segment not made usable yet */
	CH_CACHED,	/* free, resident, on the cached list */
	CH_RELEASED,	/* free, pages returned, on the released list */
	CH_CURRENT,	/* the bump chunk */
	CH_FULL,	/* retired, has live objects */
};

struct chunk {
	uint32_t live;
	uint32_t next;
	uint32_t state;
	uint32_t fhead;		/* its free blocks, NO_BLOCK: none */
};

enum reg_state {
	REG_NONE = 0,	/* the module does not know it */
	REG_PENDING,	/* in the registration queue */
	REG_LIVE,	/* registered */
};

/* An object with pages of its own, or a segment of the region. */
struct rec {
	struct rec *prev, *next;	/* live list */
	void *addr;
	size_t maplen;
	size_t size;
	uint64_t lid;
	uint64_t oid;
	uint32_t layer;
	int32_t node;
	uint32_t qidx;			/* index in the registration queue */
	uint16_t kind;
	uint16_t oflags;		/* SENTINEL_OBJ_F_* */
	uint8_t life;
	uint8_t reg;			/* enum reg_state */
	uint8_t is_seg;
	uint8_t checked;		/* own pages found on node */
};

static struct {
	/* logical ids */
	bool in_step;
	uint32_t idx[2][SNTL_KIND_COUNT][3];	/* [outside step][kind][class] */
	uint64_t serial;

	/* records and tables */
	struct rec *free_recs;
	struct rec *live;
	struct sntl_hmap by_addr;	/* address -> rec (own-page objects) */
	struct sntl_hmap by_oid;	/* object id -> rec (all records) */

	/* the short-lived region */
	char *rbase;
	bool rfailed;
	uint32_t nseg;
	uint32_t cur;
	size_t off;
	uint32_t cached_head, released_head;
	uint32_t ncached, nreleased, nused;
	struct chunk ch[REGION_CHUNKS];
	struct rec *seg[REGION_SEGS];
	uint32_t fl[NCLASS];		/* free blocks by size class */

	/* freed own-page mappings kept for reuse */
	struct sntl_mcache mc;
	size_t mc_limit;	/* SENTINEL_ALLOC_CACHE when mc_limit_set */
	bool mc_init, mc_limit_set;
	uint64_t step_serial;
	struct sntl_hmap misplaced;	/* lid -> mappings dropped, this map */
	struct sntl_hmap hints;		/* lid -> placement hint (sntl_hint) */

	/* pending module traffic */
	struct rec *preg[PENDING_MAX];
	uint32_t npreg;
	uint64_t punreg[PENDING_MAX];
	uint32_t npunreg;

	struct sntl_alloc_stats st;
} A = {
	.cur = NO_CHUNK,
	.cached_head = NO_CHUNK,
	.released_head = NO_CHUNK,
};

/* Registration buffer for flushes (under sntl_lock). */
static struct sentinel_obj objbuf[PENDING_MAX];

_Atomic uint32_t sntl_cur_layer = SNTL_LAYER_NONE;

/* Set while a thread runs the allocator: re-entry gets EDEADLK. */
static __thread int in_alloc __attribute__((tls_model("initial-exec")));

static inline bool sess_open(void)
{
	return atomic_load(&sntl_sess.state) == SESS_OPEN;
}

static inline bool sync_mode(void)
{
	return sntl_sess.flags & SNTL_OPEN_SYNC;
}

static void update_peaks(void)
{
	struct sntl_alloc_stats *s = &A.st;

	s->mapped_bytes = s->long_mapped_bytes + (uint64_t)A.nused * CHUNK_SIZE +
			  A.mc.bytes;
	s->short_chunks_used = A.nused;
	s->short_chunks_cached = A.ncached;
	s->short_chunks_released = A.nreleased;
	if (s->requested_bytes > s->peak_requested_bytes)
		s->peak_requested_bytes = s->requested_bytes;
	if (s->mapped_bytes > s->peak_mapped_bytes)
		s->peak_mapped_bytes = s->mapped_bytes;
}

/* ---- logical ids ---- */

static enum sntl_life resolve_life(enum sntl_kind kind, enum sntl_life life)
{
	if (life != SNTL_LIFE_AUTO)
		return life;
	switch (kind) {
	case SNTL_KIND_WORKSPACE:
		return SNTL_LIFE_SHORT;
	case SNTL_KIND_WEIGHT:
	case SNTL_KIND_OPTIMIZER:
		return SNTL_LIFE_PERSISTENT;
	default:
		return SNTL_LIFE_STEP;
	}
}

static uint64_t next_lid(unsigned int kind, unsigned int life, size_t size)
{
	unsigned int cls = life - 1;
	unsigned int outside = !A.in_step;
	uint32_t tag = (uint32_t)(((uint64_t)size * 0x9e3779b97f4a7c15ULL) >> 47);

	return SNTL_LID_MAKE(kind, cls, outside, tag,
			     A.idx[outside][kind][cls]++);
}

/* An object id for lid that no live object of the allocator holds. */
static uint64_t assign_oid(uint64_t lid)
{
	uint64_t oid;
	unsigned int gen;

	for (gen = 0; gen < SNTL_OBJECT_GEN_SERIAL; gen++) {
		oid = SNTL_ID_ALLOC | ((uint64_t)gen << SNTL_LID_BITS) | lid;
		if (!sntl_hmap_get(&A.by_oid, oid, NULL))
			return oid;
	}
	do {
		oid = SNTL_ID_ALLOC |
		      ((uint64_t)SNTL_OBJECT_GEN_SERIAL << SNTL_LID_BITS) |
		      (A.serial++ & SNTL_LID_MASK);
	} while (sntl_hmap_get(&A.by_oid, oid, NULL) || oid == SNTL_HMAP_EMPTY);
	return oid;
}

/* ---- the mapping cache (sntl_lock held) ---- */

static void mc_setup(void)
{
	const char *e;
	uint64_t n;

	if (A.mc_init)
		return;
	A.mc_init = true;
	sntl_mc_init(&A.mc);
	e = getenv("SENTINEL_ALLOC_CACHE");
	if (e && !sntl_size_parse(e, &n, NULL) && n <= SIZE_MAX) {
		A.mc_limit = (size_t)n;
		A.mc_limit_set = true;
	}
}

/*
 * Whether the freed mapping of @r may be cached: not when it was born
 * with a placement and its pages are elsewhere, fewer than
 * MISPLACED_TRIES times for its logical object under this placement
 * map.  Checks each mapping once (a move_pages(2) query of a few pages).
 */
static bool keep_mapping(struct rec *r)
{
	uint64_t tries = 0;
	int off;

	if (r->node < 0 || r->checked)
		return true;
	off = sntl__pages_off_node(r->addr, r->maplen, r->node);
	if (off <= 0 || (sntl_hmap_get(&A.misplaced, r->lid, &tries) &&
			 tries >= MISPLACED_TRIES)) {
		r->checked = 1;	/* on its node, cannot tell, or given up */
		return true;
	}
	if (sntl_hmap_put(&A.misplaced, r->lid, tries + 1))
		return true;
	A.st.placement_failures++;
	return false;
}

/* The cache's byte limit: as set, else the default. */
static size_t mc_limit(void)
{
	if (A.mc_limit_set)
		return A.mc_limit;
	return A.st.peak_requested_bytes > MCACHE_BYTES ?
	       (size_t)A.st.peak_requested_bytes : MCACHE_BYTES;
}

void sntl__alloc_step(bool begin)
{
	if (begin) {
		memset(A.idx[0], 0, sizeof(A.idx[0]));
		A.step_serial++;
	}
	A.in_step = begin;
}

/* ---- records ---- */

static struct rec *rec_get(void)
{
	struct rec *r;

	if (!A.free_recs) {
		char *slab = mmap(NULL, REC_SLAB, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		size_t i, n = REC_SLAB / sizeof(struct rec);

		if (slab == MAP_FAILED)
			return NULL;
		for (i = 0; i < n; i++) {
			r = (struct rec *)slab + i;
			r->next = A.free_recs;
			A.free_recs = r;
		}
	}
	r = A.free_recs;
	A.free_recs = r->next;
	memset(r, 0, sizeof(*r));
	return r;
}

static void rec_put(struct rec *r)
{
	r->next = A.free_recs;
	A.free_recs = r;
}

static void live_add(struct rec *r)
{
	r->prev = NULL;
	r->next = A.live;
	if (A.live)
		A.live->prev = r;
	A.live = r;
}

static void live_del(struct rec *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		A.live = r->next;
	if (r->next)
		r->next->prev = r->prev;
}

/* ---- the registration queues ---- */

static void queue_reg(struct rec *r)
{
	if (!sess_open())
		return;
	if (A.npreg == PENDING_MAX)
		sntl__flush_locked();
	if (!sess_open() || A.npreg == PENDING_MAX)
		return;
	r->qidx = A.npreg;
	A.preg[A.npreg++] = r;
	r->reg = REG_PENDING;
}

static void unqueue_reg(struct rec *r)
{
	struct rec *last = A.preg[--A.npreg];

	A.preg[r->qidx] = last;
	last->qidx = r->qidx;
	r->reg = REG_NONE;
}

/* The module forgets r: drop its registration or queue its removal. */
static void forget_rec(struct rec *r)
{
	if (r->reg == REG_PENDING) {
		unqueue_reg(r);
		return;
	}
	if (r->reg != REG_LIVE)
		return;
	r->reg = REG_NONE;
	if (!sess_open())
		return;
	if (A.npunreg == PENDING_MAX)
		sntl__flush_locked();
	if (sess_open() && A.npunreg < PENDING_MAX)
		A.punreg[A.npunreg++] = r->oid;
}

static void drop_queues(void)
{
	while (A.npreg)
		A.preg[--A.npreg]->reg = REG_NONE;
	A.npunreg = 0;
}

static void flush_unregister(void)
{
	while (A.npunreg) {
		uint32_t n = SNTL_MIN(A.npunreg, sntl_sess.max_batch);
		uint64_t *ids = A.punreg + (A.npunreg - n);
		struct sentinel_unregister u;
		int ret;

		memset(&u, 0, sizeof(u));
		u.size = sizeof(u);
		u.count = n;
		u.ids = (uintptr_t)ids;
		ret = sntl__dev_ioctl(SENTINEL_IOC_UNREGISTER, &u);
		if (!ret) {
			A.st.unregistered += n;
			A.npunreg -= n;
		} else if (u.err_index < n) {
			/* Drop the id the module does not know, retry the rest. */
			ids[u.err_index] = A.punreg[--A.npunreg];
		} else {
			A.npunreg -= n;
		}
	}
}

static void flush_register(void)
{
	while (A.npreg) {
		uint32_t n = SNTL_MIN(A.npreg, sntl_sess.max_batch);
		struct rec **recs = A.preg + (A.npreg - n);
		struct sentinel_register reg;
		uint32_t i;
		int ret;

		memset(objbuf, 0, n * sizeof(objbuf[0]));
		for (i = 0; i < n; i++) {
			objbuf[i].addr = (uintptr_t)recs[i]->addr;
			objbuf[i].len = recs[i]->maplen;
			objbuf[i].id = recs[i]->oid;
			objbuf[i].kind = recs[i]->kind;
			objbuf[i].flags = recs[i]->oflags;
			objbuf[i].layer_hint = recs[i]->layer;
		}
		memset(&reg, 0, sizeof(reg));
		reg.size = sizeof(reg);
		reg.count = n;
		reg.obj_size = sizeof(objbuf[0]);
		reg.objs = (uintptr_t)objbuf;
		ret = sntl__dev_ioctl(SENTINEL_IOC_REGISTER, &reg);
		if (!ret) {
			for (i = 0; i < n; i++)
				recs[i]->reg = REG_LIVE;
			A.st.registered += n;
			A.npreg -= n;
			continue;
		}
		A.st.last_register_error = ret;
		if (reg.err_index < n) {
			/* Drop the refused object, retry the rest. */
			A.st.register_failures++;
			unqueue_reg(recs[reg.err_index]);
		} else {
			A.st.register_failures += n;
			for (i = 0; i < n; i++)
				recs[i]->reg = REG_NONE;
			A.npreg -= n;
		}
	}
}

int sntl__flush_locked(void)
{
	int ret;

	if (!A.npreg && !A.npunreg)
		return 0;
	ret = sntl__dev_enter_locked();
	if (ret) {
		drop_queues();
		return ret;
	}
	A.st.flushes++;
	flush_unregister();
	flush_register();
	sntl__dev_exit();
	return 0;
}

int sntl__alloc_session_opened(void)
{
	struct rec *r;

	for (r = A.live; r; r = r->next)
		if (r->reg == REG_NONE)
			queue_reg(r);
	return 0;
}

void sntl__alloc_session_closed(void)
{
	struct rec *r;

	for (r = A.live; r; r = r->next)
		r->reg = REG_NONE;
	A.npreg = 0;
	A.npunreg = 0;
}

int sntl_flush(void)
{
	int ret;

	sntl__init();
	if (in_alloc)
		return SNTL_EBUSY;
	pthread_mutex_lock(&sntl_lock);
	ret = sntl__flush_locked();
	if (!ret && !sess_open())
		ret = SNTL_ENOTAVAIL;
	pthread_mutex_unlock(&sntl_lock);
	return ret;
}

/* ---- the short-lived region ---- */

static void chunk_push(uint32_t *head, uint32_t c)
{
	A.ch[c].next = *head;
	*head = c;
}

static uint32_t chunk_pop(uint32_t *head)
{
	uint32_t c = *head;

	if (c != NO_CHUNK)
		*head = A.ch[c].next;
	return c;
}

static char *chunk_addr(uint32_t c)
{
	return A.rbase + ((size_t)c << CHUNK_SHIFT);
}

static int region_init(void)
{
	size_t total = REGION_SIZE + REGION_ALIGN;
	char *m, *base;
	size_t head;
	uint32_t c;

	m = mmap(NULL, total, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED) {
		A.rfailed = true;
		return -1;
	}
	base = (char *)SNTL_ALIGN_UP((uintptr_t)m, REGION_ALIGN);
	head = (size_t)(base - m);
	if (head)
		munmap(m, head);
	if (total - head - REGION_SIZE)
		munmap(base + REGION_SIZE, total - head - REGION_SIZE);
	A.rbase = base;
	for (c = 0; c < NCLASS; c++)
		A.fl[c] = NO_BLOCK;
	return 0;
}

/*
 * A new placement map: segments made usable before it get the node it
 * gives them, for the pages they fault from now on (chunks released
 * and reused come back there); the daemon moves the pages they have.
 * Cached mappings are stale: their pages are where the old map or the
 * daemon's moves put them, and they go now (not when they age out), so
 * that their pages do not fill the fast tier while the objects of the
 * new map are born.
 */
void sntl__alloc_placement_changed_locked(void)
{
	struct sntl_mc_victims old;

	mc_setup();
	sntl_mc_forget(&A.mc);
	old.n = 0;
	while (!sntl_mc_drain(&A.mc, &old))
		sntl_mc_unmap(&old);
	sntl_mc_unmap(&old);
	sntl_hmap_clear(&A.misplaced);
	for (uint32_t s = 0; s < A.nseg; s++) {
		struct rec *r = A.seg[s];
		int node;

		if (!r || !sntl__placement_locked(r->lid, &node) ||
		    node == r->node)
			continue;
		if (sntl__bind(r->addr, SEG_SIZE, node)) {
			A.st.placement_failures++;
		} else {
			r->node = node;
			A.st.placed++;
		}
	}
}

/* Make the next segment usable and register it. */
static int segment_add(void)
{
	uint32_t s = A.nseg, c;
	char *addr = A.rbase + (size_t)s * SEG_SIZE;
	struct rec *r;
	int node;

	if (s == REGION_SEGS)
		return -1;
	if (mprotect(addr, SEG_SIZE, PROT_READ | PROT_WRITE))
		return -1;
	r = rec_get();
	if (!r)
		goto fail;
	r->addr = addr;
	r->maplen = SEG_SIZE;
	r->size = SEG_SIZE;
	r->lid = SNTL_LID_REGION(s);
	r->oid = assign_oid(r->lid);
	r->kind = SNTL_KIND_WORKSPACE;
	r->life = SNTL_LIFE_SHORT;
	r->oflags = SENTINEL_OBJ_F_SHORT_LIVED;
	r->layer = SENTINEL_LAYER_NONE;
	r->node = -1;
	r->is_seg = 1;
	if (sntl_hmap_put(&A.by_oid, r->oid, (uintptr_t)r)) {
		rec_put(r);
		goto fail;
	}
	if (sntl__placement_locked(r->lid, &node)) {
		if (sntl__bind(addr, SEG_SIZE, node)) {
			A.st.placement_failures++;
		} else {
			r->node = node;
			A.st.placed++;
		}
	}
	live_add(r);
	queue_reg(r);
	A.seg[s] = r;

	for (c = (s + 1) * SEG_CHUNKS; c-- > s * SEG_CHUNKS;) {
		A.ch[c].state = CH_RELEASED;
		A.ch[c].live = 0;
		A.ch[c].fhead = NO_BLOCK;
		chunk_push(&A.released_head, c);
		A.nreleased++;
	}
	A.nseg++;
	A.st.short_reserved_bytes += SEG_SIZE;
	return 0;
fail:
	mprotect(addr, SEG_SIZE, PROT_NONE);
	return -1;
}

static uint32_t chunk_get(void)
{
	uint32_t c = chunk_pop(&A.cached_head);

	if (c != NO_CHUNK) {
		A.ncached--;
	} else {
		if (A.released_head == NO_CHUNK && segment_add())
			return NO_CHUNK;
		c = chunk_pop(&A.released_head);
		A.nreleased--;
	}
	A.ch[c].state = CH_CURRENT;
	A.ch[c].live = 0;
	A.nused++;
	return c;
}

/* A retired chunk became empty. */
static void chunk_free(uint32_t c)
{
	A.nused--;
	if (A.ncached < RETAIN_CHUNKS) {
		A.ch[c].state = CH_CACHED;
		chunk_push(&A.cached_head, c);
		A.ncached++;
	} else {
		madvise(chunk_addr(c), CHUNK_SIZE, MADV_DONTNEED);
		A.ch[c].state = CH_RELEASED;
		chunk_push(&A.released_head, c);
		A.nreleased++;
	}
}

/* The size class of a short-lived object of size bytes. */
static unsigned int size_class(size_t size)
{
	unsigned int b;

	if (size <= SHORT_MIN)
		return 0;
	b = 63 - (unsigned int)__builtin_clzll(size - 1);  /* 2^b < size */
	if (size <= (3UL << (b - 1)))
		return 2 * (b - 6) + 1;
	return 2 * (b - 5);
}

static size_t class_size(unsigned int cls)
{
	return (size_t)(cls & 1 ? 3 * SHORT_MIN / 2 : SHORT_MIN) << (cls / 2);
}

static struct fblk *fblk_at(uint32_t off)
{
	return (struct fblk *)(A.rbase + off);
}

static uint32_t chunk_of_off(uint32_t off)
{
	return off >> CHUNK_SHIFT;
}

/* Put the freed block at user offset off on its class and chunk lists. */
static void fblk_push(unsigned int cls, uint32_t off)
{
	struct chunk *ch = &A.ch[chunk_of_off(off)];
	struct fblk *b = fblk_at(off);

	b->prev = NO_BLOCK;
	b->next = A.fl[cls];
	if (b->next != NO_BLOCK)
		fblk_at(b->next)->prev = off;
	A.fl[cls] = off;
	b->cprev = NO_BLOCK;
	b->cnext = ch->fhead;
	if (b->cnext != NO_BLOCK)
		fblk_at(b->cnext)->cprev = off;
	ch->fhead = off;
}

/* Take the free block at user offset off off both of its lists. */
static void fblk_unlink(unsigned int cls, uint32_t off)
{
	struct chunk *ch = &A.ch[chunk_of_off(off)];
	struct fblk *b = fblk_at(off);

	if (b->prev != NO_BLOCK)
		fblk_at(b->prev)->next = b->next;
	else
		A.fl[cls] = b->next;
	if (b->next != NO_BLOCK)
		fblk_at(b->next)->prev = b->prev;
	if (b->cprev != NO_BLOCK)
		fblk_at(b->cprev)->cnext = b->cnext;
	else
		ch->fhead = b->cnext;
	if (b->cnext != NO_BLOCK)
		fblk_at(b->cnext)->cprev = b->cprev;
}

/* Chunk c has no live object left: its free blocks leave the lists. */
static void chunk_forget_free(uint32_t c)
{
	uint32_t off;

	while ((off = A.ch[c].fhead) != NO_BLOCK)
		fblk_unlink(size_class(((struct shdr *)fblk_at(off) - 1)->size), off);
}

/* A free block of class cls for an alignment of align, or 0. */
static uintptr_t short_reuse(unsigned int cls, size_t align)
{
	uint32_t off = A.fl[cls];

	if (off == NO_BLOCK || align > SHORT_MIN)
		return 0;
	fblk_unlink(cls, off);
	A.ch[chunk_of_off(off)].live++;
	return (uintptr_t)fblk_at(off);
}

/* A new block of size bytes bumped from the current chunk, or 0. */
static uintptr_t short_bump(size_t size, size_t align)
{
	uintptr_t cbase, user;

	if (A.cur == NO_CHUNK) {
		A.cur = chunk_get();
		A.off = 0;
		if (A.cur == NO_CHUNK)
			return 0;
	}
	for (;;) {
		cbase = (uintptr_t)chunk_addr(A.cur);
		user = SNTL_ALIGN_UP(cbase + A.off + sizeof(struct shdr), align);
		if (user + size <= cbase + CHUNK_SIZE)
			break;
		/* Retire the current chunk (it has live objects). */
		A.ch[A.cur].state = CH_FULL;
		A.cur = chunk_get();
		A.off = 0;
		if (A.cur == NO_CHUNK)
			return 0;
	}
	A.off = user + size - cbase;
	A.ch[A.cur].live++;
	return user;
}

static void *short_alloc(size_t size, size_t align, uint64_t lid,
			 unsigned int kind, unsigned int life)
{
	unsigned int cls = size_class(size);
	struct shdr *h;
	uintptr_t user;

	if (!A.rbase && (A.rfailed || region_init()))
		return NULL;
	if (align < SHORT_MIN)
		align = SHORT_MIN;
	user = short_reuse(cls, align);
	if (!user)
		user = short_bump(class_size(cls), align);
	if (!user)
		return NULL;
	h = (struct shdr *)user - 1;
	h->lid = lid;
	h->size = (uint32_t)size;
	h->magic = SHDR_LIVE;
	h->kind = (uint8_t)kind;
	h->life = (uint8_t)life;
	A.st.short_objects++;
	A.st.short_requested_bytes += size;
	A.st.requested_bytes += size;
	return (void *)user;
}

static bool in_region(const void *p)
{
	return A.rbase &&
	       (uintptr_t)p - (uintptr_t)A.rbase < (size_t)A.nseg * SEG_SIZE;
}

/* The live header of region pointer p, or NULL. */
static struct shdr *short_lookup(const void *p)
{
	uintptr_t off = (uintptr_t)p - (uintptr_t)A.rbase;
	uint32_t c = (uint32_t)(off >> CHUNK_SHIFT);
	struct shdr *h;

	if (((uintptr_t)p & 15) || (off & (CHUNK_SIZE - 1)) < sizeof(*h))
		return NULL;
	if (A.ch[c].state != CH_CURRENT && A.ch[c].state != CH_FULL)
		return NULL;
	h = (struct shdr *)p - 1;
	return h->magic == SHDR_LIVE ? h : NULL;
}

static void short_free(struct shdr *h)
{
	uint32_t c = (uint32_t)(((uintptr_t)h - (uintptr_t)A.rbase) >> CHUNK_SHIFT);

	h->magic = SHDR_FREE;
	A.st.short_objects--;
	A.st.short_requested_bytes -= h->size;
	A.st.requested_bytes -= h->size;
	if (--A.ch[c].live) {
		fblk_push(size_class(h->size),
			  (uint32_t)((uintptr_t)(h + 1) - (uintptr_t)A.rbase));
		return;
	}
	chunk_forget_free(c);
	if (c == A.cur)
		A.off = 0;		/* rewind: the chunk is reused at once */
	else
		chunk_free(c);
}

/* The segment record holding region pointer p. */
static struct rec *segment_of(const void *p)
{
	return A.seg[((uintptr_t)p - (uintptr_t)A.rbase) / SEG_SIZE];
}

/* ---- objects with pages of their own ---- */

static void *map_pages(size_t len, size_t align)
{
	size_t total, head, tail;
	char *m, *a;

	if (align <= sntl_page_size) {
		m = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		return m == MAP_FAILED ? NULL : m;
	}
	if (len > SIZE_MAX - align)
		return NULL;
	total = len + align - sntl_page_size;
	m = mmap(NULL, total, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	a = (char *)SNTL_ALIGN_UP((uintptr_t)m, align);
	head = (size_t)(a - m);
	tail = total - head - len;
	if (head)
		munmap(m, head);
	if (tail)
		munmap(a + len, tail);
	return a;
}

static void *long_alloc(size_t size, size_t align, unsigned int kind,
			unsigned int life, bool have_lid, uint64_t lid)
{
	size_t len = SNTL_ALIGN_UP(size ? size : 1, sntl_page_size);
	struct sntl_mc_victims old;
	bool planned, reused, checked = false;
	struct rec *r;
	uint64_t hint;
	void *p;
	int node = -1;

	old.n = 0;
	pthread_mutex_lock(&sntl_lock);
	if (!have_lid)
		lid = next_lid(kind, life, size);
	planned = sntl__placement_locked(lid, &node);
	mc_setup();
	sntl_mc_age(&A.mc, A.step_serial, &old);
	p = sntl_mc_take(&A.mc, lid, len,
			 align > sntl_page_size ? align : sntl_page_size,
			 planned ? node : -1, &checked);
	reused = p != NULL;
	pthread_mutex_unlock(&sntl_lock);
	sntl_mc_unmap(&old);
	if (!p)
		p = map_pages(len, align);
	if (!p)
		return NULL;

	pthread_mutex_lock(&sntl_lock);
	r = rec_get();
	if (!r)
		goto fail;
	r->addr = p;
	r->maplen = len;
	r->size = size;
	r->lid = lid;
	r->oid = assign_oid(lid);
	r->kind = (uint16_t)kind;
	r->life = (uint8_t)life;
	r->oflags = life == SNTL_LIFE_SHORT ? SENTINEL_OBJ_F_SHORT_LIVED : 0;
	if (!r->oflags && sntl_hmap_get(&A.hints, lid, &hint))
		r->oflags = (uint16_t)hint;
	r->layer = atomic_load_explicit(&sntl_cur_layer, memory_order_relaxed);
	r->node = reused && planned ? node : -1;
	r->checked = checked;	/* set only by a cached mapping */
	if (sntl_hmap_put(&A.by_oid, r->oid, (uintptr_t)r))
		goto fail_rec;
	if (sntl_hmap_put(&A.by_addr, (uintptr_t)p, (uintptr_t)r)) {
		sntl_hmap_del(&A.by_oid, r->oid);
		goto fail_rec;
	}
	/* Placement at birth: before the first touch (a reused mapping has it). */
	if (reused && planned) {
		A.st.placed++;
	} else if (planned) {
		if (sntl__bind(p, len, node)) {
			A.st.placement_failures++;
		} else {
			r->node = node;
			A.st.placed++;
		}
	}
	live_add(r);
	A.st.long_objects++;
	A.st.long_mapped_bytes += len;
	A.st.requested_bytes += size;
	A.st.allocs++;
	A.st.live_objects++;
	update_peaks();
	queue_reg(r);
	if (sync_mode())
		sntl__flush_locked();
	pthread_mutex_unlock(&sntl_lock);
	return p;

fail_rec:
	rec_put(r);
fail:
	pthread_mutex_unlock(&sntl_lock);
	munmap(p, len);
	return NULL;
}

/* ---- the API ---- */

void *sntl_alloc_aligned(size_t size, size_t align, enum sntl_kind kind,
			 enum sntl_life life)
{
	void *p = NULL;
	uint64_t lid = 0;
	bool have_lid = false;

	if ((unsigned int)kind >= SNTL_KIND_COUNT ||
	    (unsigned int)life > SNTL_LIFE_PERSISTENT ||
	    (align & (align - 1)) || align > (1UL << 30)) {
		errno = EINVAL;
		return NULL;
	}
	if (size > SIZE_MAX / 2) {
		errno = ENOMEM;
		return NULL;
	}
	if (in_alloc) {
		errno = EDEADLK;
		return NULL;
	}
	in_alloc = 1;
	sntl__init();
	if (align < 16)
		align = 16;
	life = resolve_life(kind, life);

	if (life == SNTL_LIFE_SHORT && size <= SNTL_SHORT_MAX && align <= 4096) {
		pthread_mutex_lock(&sntl_lock);
		lid = next_lid(kind, life, size);
		p = short_alloc(size ? size : 1, align, lid, kind, life);
		if (p) {
			A.st.allocs++;
			A.st.live_objects++;
			update_peaks();
		} else {
			A.st.short_spills++;
		}
		pthread_mutex_unlock(&sntl_lock);
		have_lid = true;
	}
	if (!p)
		p = long_alloc(size, align, kind, life, have_lid, lid);
	in_alloc = 0;
	if (!p)
		errno = ENOMEM;
	return p;
}

void *sntl_alloc(size_t size, enum sntl_kind kind, enum sntl_life life)
{
	return sntl_alloc_aligned(size, SNTL_ALLOC_ALIGN, kind, life);
}

int sntl_free(void *ptr)
{
	struct sntl_mc_victims old;
	struct rec *r;
	struct shdr *h;
	uint64_t v;
	int ret = 0;

	if (!ptr)
		return 0;
	old.n = 0;
	if (in_alloc)
		return SNTL_EINVAL;
	sntl__init();
	pthread_mutex_lock(&sntl_lock);
	if (in_region(ptr)) {
		h = short_lookup(ptr);
		if (h) {
			short_free(h);
			A.st.frees++;
			A.st.live_objects--;
		} else {
			ret = SNTL_EINVAL;
		}
	} else if (sntl_hmap_get(&A.by_addr, (uintptr_t)ptr, &v)) {
		r = (struct rec *)(uintptr_t)v;
		sntl_hmap_del(&A.by_addr, (uintptr_t)ptr);
		sntl_hmap_del(&A.by_oid, r->oid);
		forget_rec(r);
		live_del(r);
		A.st.long_objects--;
		A.st.long_mapped_bytes -= r->maplen;
		A.st.requested_bytes -= r->size;
		A.st.frees++;
		A.st.live_objects--;
		mc_setup();
		sntl_mc_age(&A.mc, A.step_serial, &old);
		if (keep_mapping(r)) {
			sntl_mc_put(&A.mc, r->addr, r->maplen, r->lid, r->node,
				    r->checked, A.step_serial, mc_limit(), &old);
		} else {
			/* sntl_mc_age() leaves a slot free */
			sntl_mc_victim(&old, r->addr, r->maplen);
		}
		rec_put(r);
		if (sync_mode())
			sntl__flush_locked();
	} else {
		ret = SNTL_EINVAL;
	}
	if (!ret)
		update_peaks();
	pthread_mutex_unlock(&sntl_lock);

	sntl_mc_unmap(&old);
	return ret;
}

/* sntl_lock held: fill *info for ptr; false when ptr is not ours. */
static bool lookup(const void *ptr, struct sntl_alloc_info *info)
{
	struct rec *r;
	struct shdr *h;
	uint64_t v;

	if (!ptr)
		return false;
	if (in_region(ptr)) {
		h = short_lookup(ptr);
		if (!h)
			return false;
		r = segment_of(ptr);
		info->logical_id = h->lid;
		info->object_id = r ? r->oid : 0;
		info->size = h->size;
		info->mapped = 0;
		info->kind = h->kind;
		info->life = h->life;
		info->registered = r && r->reg == REG_LIVE;
		info->layer = SNTL_LAYER_NONE;
		info->node = r ? r->node : -1;
		return true;
	}
	if (!sntl_hmap_get(&A.by_addr, (uintptr_t)ptr, &v))
		return false;
	r = (struct rec *)(uintptr_t)v;
	info->logical_id = r->lid;
	info->object_id = r->oid;
	info->size = r->size;
	info->mapped = r->maplen;
	info->kind = r->kind;
	info->life = r->life;
	info->registered = r->reg == REG_LIVE;
	info->layer = r->layer;
	info->node = r->node;
	return true;
}

/* Under sntl_lock: give r @hint and register it again with it. */
static int set_hint_locked(struct rec *r, unsigned int hint)
{
	if (r->oflags & SENTINEL_OBJ_F_SHORT_LIVED)
		return SNTL_EINVAL;
	if (hint && sess_open() &&
	    !(sntl_sess.version.features & SENTINEL_FEAT_HINTS))
		return SNTL_ENOTSUP;
	if (hint && sntl_hmap_put(&A.hints, r->lid, hint))
		return SNTL_ENOMEM;
	if (!hint)
		sntl_hmap_del(&A.hints, r->lid);
	if ((r->oflags & SENTINEL_OBJ_F_HINTS) == hint)
		return SNTL_OK;
	r->oflags = (uint16_t)((r->oflags & ~SENTINEL_OBJ_F_HINTS) | hint);
	if (r->reg == REG_LIVE) {
		forget_rec(r);
		queue_reg(r);
	}
	if (sync_mode())
		sntl__flush_locked();
	return SNTL_OK;
}

int sntl_hint(void *ptr, unsigned int hint)
{
	uint64_t v;
	int ret;

	if ((hint & ~SNTL_OBJ_HINTS) || (hint & (hint - 1)))
		return SNTL_EINVAL;
	sntl__init();
	if (in_alloc)
		return SNTL_EBUSY;
	pthread_mutex_lock(&sntl_lock);
	if (!ptr || !sntl_hmap_get(&A.by_addr, (uintptr_t)ptr, &v))
		ret = SNTL_EINVAL;
	else
		ret = set_hint_locked((struct rec *)(uintptr_t)v, hint);
	pthread_mutex_unlock(&sntl_lock);
	return ret;
}

int sntl_alloc_info(const void *ptr, struct sntl_alloc_info *out)
{
	struct sntl_alloc_info info;
	bool found;

	if (!out)
		return SNTL_EINVAL;
	if (in_alloc)
		return SNTL_EBUSY;
	sntl__init();
	pthread_mutex_lock(&sntl_lock);
	found = lookup(ptr, &info);
	pthread_mutex_unlock(&sntl_lock);
	if (!found)
		return SNTL_ENOENT;
	*out = info;
	return 0;
}

int sntl_owns(const void *ptr)
{
	struct sntl_alloc_info info;

	return sntl_alloc_info(ptr, &info) == 0;
}

size_t sntl_usable_size(const void *ptr)
{
	struct sntl_alloc_info info;

	if (sntl_alloc_info(ptr, &info))
		return 0;
	return info.mapped ? info.mapped : info.size;
}

int sntl_alloc_stats(struct sntl_alloc_stats *out)
{
	if (!out)
		return SNTL_EINVAL;
	sntl__init();
	pthread_mutex_lock(&sntl_lock);
	update_peaks();
	*out = A.st;
	out->pending_register = A.npreg;
	out->pending_unregister = A.npunreg;
	pthread_mutex_unlock(&sntl_lock);
	return 0;
}

int sntl_trim(void)
{
	struct sntl_mc_victims old;
	uint32_t c;

	sntl__init();
	old.n = 0;
	pthread_mutex_lock(&sntl_lock);
	mc_setup();
	while (!sntl_mc_drain(&A.mc, &old)) {
		pthread_mutex_unlock(&sntl_lock);
		sntl_mc_unmap(&old);
		pthread_mutex_lock(&sntl_lock);
	}
	while ((c = chunk_pop(&A.cached_head)) != NO_CHUNK) {
		A.ncached--;
		madvise(chunk_addr(c), CHUNK_SIZE, MADV_DONTNEED);
		A.ch[c].state = CH_RELEASED;
		chunk_push(&A.released_head, c);
		A.nreleased++;
	}
	if (A.cur != NO_CHUNK && !A.ch[A.cur].live) {
		madvise(chunk_addr(A.cur), CHUNK_SIZE, MADV_DONTNEED);
		A.ch[A.cur].state = CH_RELEASED;
		chunk_push(&A.released_head, A.cur);
		A.nreleased++;
		A.nused--;
		A.cur = NO_CHUNK;
	}
	update_peaks();
	pthread_mutex_unlock(&sntl_lock);
	sntl_mc_unmap(&old);
	return 0;
}
