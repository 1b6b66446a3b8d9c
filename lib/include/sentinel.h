/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libsentinel - the framework library of Sentinel.
 *
 * A training framework uses this library to
 *   - open a session with the Sentinel kernel module (/dev/sentinel),
 *   - allocate its tensors with a lifetime-aware allocator that registers
 *     them with the module automatically (sntl_alloc, sntl_free),
 *   - register memory it allocates itself (sntl_register),
 *   - mark step and layer boundaries (sntl_step_begin, sntl_layer_begin),
 *   - query objects, residency and statistics.
 *
 * Without the module every session call is a cheap no-op that returns
 * SNTL_ENOTAVAIL, and the allocator keeps working: a program built on
 * libsentinel runs unchanged on a machine without Sentinel.
 *
 * Errors: functions returning int return 0 (or a count) on success and a
 * negative SNTL_E* code on failure; sntl_strerror() describes a code.
 * Allocation functions return NULL and set errno, as malloc does.
 *
 * Threads: every function may be called from any thread.
 *
 * fork(): the child inherits the allocator and every allocation, but not
 * the session (the module refuses a session's file in another process).
 * In the child the session is closed: session calls return
 * SNTL_ENOTAVAIL until the child calls sntl_open() again, which registers
 * the child's live allocations with the child's new session.  A session
 * opened with SNTL_OPEN_FOLLOW_FORK is reopened by the child lazily,
 * on its first call that needs the module.
 *
 * Logical ids: see "LOGICAL IDS" below.
 *
 * See Documentation/libsentinel.rst for the design.
 */
#ifndef SENTINEL_LIB_H
#define SENTINEL_LIB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define SNTL_API __attribute__((visibility("default")))
#else
#define SNTL_API
#endif

#define SNTL_LIB_VERSION_MAJOR 0
#define SNTL_LIB_VERSION_MINOR 1

/* Error codes (negative return values). */
enum sntl_error {
	SNTL_OK = 0,
	SNTL_ENOTAVAIL = -1,	/* no session: module absent, not opened, forked */
	SNTL_EACCES = -2,	/* no permission to open the device */
	SNTL_EDISABLED = -3,	/* module loaded but disabled (sysfs) */
	SNTL_ESESSIONS = -4,	/* module's session limit reached */
	SNTL_EVERSION = -5,	/* module speaks an incompatible interface */
	SNTL_EINVAL = -6,	/* invalid argument */
	SNTL_ENOMEM = -7,	/* out of memory */
	SNTL_EUNMAPPED = -8,	/* a page of the range is not mapped */
	SNTL_EFAULT = -9,	/* bad address */
	SNTL_EEXIST = -10,	/* object id already registered */
	SNTL_EOVERLAP = -11,	/* range overlaps a registered object */
	SNTL_ENOENT = -12,	/* no such object */
	SNTL_ELIMIT = -13,	/* session's object limit reached */
	SNTL_EFORKED = -14,	/* session belongs to another process */
	SNTL_EGONE = -15,	/* the session's address space has exited */
	SNTL_EINTR = -16,	/* interrupted by a fatal signal */
	SNTL_ENOTSUP = -17,	/* the module does not implement this */
	SNTL_EBUSY = -18,	/* a session is already open */
	SNTL_ESYS = -19,	/* other system error */
	SNTL_ENODAEMON = -20,	/* no policy daemon acknowledges the marks */
	SNTL_ETIMEDOUT = -21,	/* the policy daemon did not answer in time */
	__SNTL_ERROR_MIN = -21,
};

/* Describe an SNTL_E* code (any int is accepted).  Never NULL. */
SNTL_API const char *sntl_strerror(int err);

/* ------------------------------------------------------------------ */
/* Sessions */

#define SNTL_OPEN_FOLLOW_FORK	(1U << 0) /* a forked child reopens lazily */
#define SNTL_OPEN_SYNC		(1U << 1) /* register/unregister at once */
#define SNTL_OPEN_WAIT_MOVES	(1U << 2) /* layers wait for their moves */

/**
 * struct sntl_open_opts - options of sntl_open()
 * @size: sizeof(struct sntl_open_opts)
 * @flags: SNTL_OPEN_*
 * @device: device path, NULL for /dev/sentinel (or $SENTINEL_DEVICE)
 */
struct sntl_open_opts {
	uint32_t size;
	uint32_t flags;
	const char *device;
};

/*
 * Open the process's session (opts may be NULL).  Live allocations made
 * before are registered then.  SNTL_EBUSY when a session is open.
 */
SNTL_API int sntl_open(const struct sntl_open_opts *opts);
/* Close the session; its objects are unregistered.  Allocations stay. */
SNTL_API int sntl_close(void);
/* 1 when a session is open in this process, else 0. */
SNTL_API int sntl_available(void);

enum sntl_state {
	SNTL_STATE_CLOSED = 0,
	SNTL_STATE_OPEN = 1,
	SNTL_STATE_FORKED = 2,	/* child of fork(), session not reopened */
};
SNTL_API enum sntl_state sntl_state(void);

/* The module's interface version and limits. */
struct sntl_module_info {
	uint32_t major;
	uint32_t minor;
	uint32_t max_batch;
	uint32_t max_nodes;
	uint64_t features;	/* SENTINEL_FEAT_* of <linux/sentinel.h> */
};
SNTL_API int sntl_module_info(struct sntl_module_info *out);

/* ------------------------------------------------------------------ */
/* Objects */

/* Kinds; the values are those of enum sentinel_kind. */
enum sntl_kind {
	SNTL_KIND_OTHER = 0,
	SNTL_KIND_WEIGHT = 1,
	SNTL_KIND_ACTIVATION = 2,
	SNTL_KIND_GRADIENT = 3,
	SNTL_KIND_OPTIMIZER = 4,
	SNTL_KIND_WORKSPACE = 5,
	SNTL_KIND_COUNT
};

#define SNTL_OBJ_PARTIAL	(1U << 0) /* need not be page-aligned */
#define SNTL_OBJ_SHORT_LIVED	(1U << 1) /* lives within one layer */
/*
 * Placement hints: at most one per object, never with SNTL_OBJ_SHORT_LIVED
 * (SNTL_EINVAL); SNTL_ENOTSUP from a module without them.  The policy
 * daemon's planner honours them (sentinel(7), "Placement hints").
 */
#define SNTL_OBJ_PIN_FAST	(1U << 2) /* fast memory all step */
#define SNTL_OBJ_NEVER_PROMOTE	(1U << 3) /* slow memory all step */
#define SNTL_OBJ_PREFER_FAST	(1U << 4) /* ranked as if hotter */
#define SNTL_OBJ_PREFER_SLOW	(1U << 5) /* ranked as if colder */
#define SNTL_OBJ_HINTS		(SNTL_OBJ_PIN_FAST | SNTL_OBJ_NEVER_PROMOTE | \
				 SNTL_OBJ_PREFER_FAST | SNTL_OBJ_PREFER_SLOW)

#define SNTL_LAYER_NONE		0xffffffffU

/*
 * Ids with this bit set belong to the allocator; ids passed to
 * sntl_register() must have it clear (SNTL_EINVAL otherwise).
 */
#define SNTL_ID_ALLOC		(1ULL << 63)

/**
 * struct sntl_object - an object registered by the caller
 * @addr, @len: the range; page-aligned unless SNTL_OBJ_PARTIAL
 * @id: caller's id, unique among its live objects, SNTL_ID_ALLOC clear
 * @kind: enum sntl_kind
 * @flags: SNTL_OBJ_*
 * @layer: allocating layer or SNTL_LAYER_NONE
 */
struct sntl_object {
	void *addr;
	size_t len;
	uint64_t id;
	uint16_t kind;
	uint16_t flags;
	uint32_t layer;
};

/*
 * Register count objects, all or nothing.  Batches larger than the
 * module's limit are split; when a later part fails the earlier parts
 * are unregistered again.  On failure *err_index (when err_index is not
 * NULL) is the index of the offending object, or count.
 */
SNTL_API int sntl_register(const struct sntl_object *objs, size_t count,
			   size_t *err_index);
/*
 * Unregister count ids.  One batch of up to the module's limit is all or
 * nothing; a split batch stops at the first failing part.
 */
SNTL_API int sntl_unregister(const uint64_t *ids, size_t count,
			     size_t *err_index);

/* ------------------------------------------------------------------ */
/* Phase marks */

enum sntl_dir {
	SNTL_DIR_NONE = 0,
	SNTL_DIR_FORWARD = 1,
	SNTL_DIR_BACKWARD = 2,
	SNTL_DIR_OPTIMIZER = 3,
};

/*
 * Step and layer marks.  They first flush the allocator's pending
 * registrations.  sntl_step_begin() also restarts the allocator's
 * step-relative allocation indices (logical ids); sntl_layer_begin()
 * sets the layer recorded as layer hint of new allocations.  These take
 * effect, and the lab marker is emitted, even without a session.
 */
SNTL_API int sntl_step_begin(uint64_t step);
SNTL_API int sntl_step_end(uint64_t step);
SNTL_API int sntl_layer_begin(uint32_t layer, enum sntl_dir dir);
SNTL_API int sntl_layer_end(uint32_t layer, enum sntl_dir dir);

/* ------------------------------------------------------------------ */
/* Queries */

#define SNTL_MAX_NODES		8

#define SNTL_STATE_F_UNMAPPED	(1U << 0) /* some page has no mapping */
#define SNTL_STATE_F_MM_GONE	(1U << 1) /* address space exited */

/* An object as the module describes it. */
struct sntl_obj_info {
	uint64_t addr;
	uint64_t len;
	uint64_t id;
	uint16_t kind;
	uint16_t flags;
	uint32_t layer;
	uint32_t state;		/* SNTL_STATE_F_* */
	uint32_t reserved;
	uint64_t pages;
	uint64_t present_pages;
	uint64_t thp_pages;
	uint64_t unmapped_pages;
	uint64_t node_pages[SNTL_MAX_NODES];
	uint64_t steady_scans;	/* steady-mode scans that covered it */
	uint64_t steady_touched; /* pages they found touched, summed */
};

#define SNTL_QUERY_RESIDENCY	(1U << 0) /* fill the page counts */

/* Describe count objects by id (out[i] for ids[i]). */
SNTL_API int sntl_query(const uint64_t *ids, size_t count,
			struct sntl_obj_info *out, unsigned int flags,
			size_t *err_index);

/* Iteration over all objects of the session, in increasing id order. */
struct sntl_cursor {
	uint64_t last_id;
	uint32_t started;
	uint32_t done;
};
#define SNTL_CURSOR_INIT { 0, 0, 0 }

/*
 * Fill out[0..cap) with the next objects; returns how many (0 at the
 * end) or an error.
 */
SNTL_API int sntl_query_next(struct sntl_cursor *cursor,
			     struct sntl_obj_info *out, size_t cap,
			     unsigned int flags);

/* The module's counters for this session. */
struct sntl_session_stats {
	uint64_t session_id;
	uint64_t objects;
	uint64_t bytes;
	uint64_t registered;
	uint64_t unregistered;
	uint64_t marks;
	uint64_t steps;
	uint64_t last_step;
	uint64_t unterminated_steps;
	uint64_t outside_layer_marks;
	uint64_t errors;
};
SNTL_API int sntl_session_stats(struct sntl_session_stats *out);

/**
 * struct sntl_job_stats - a job's own migrations (sntl_job_stats())
 * @size: set by the caller: sizeof(struct sntl_job_stats)
 * @reserved: 0
 * @daemon_updates: times the policy daemon sent its figures; 0: never
 *	(no daemon, or none yet), and the daemon's figures below are 0
 * @step: the last step the daemon's figures account (sent at each step
 *	begin for the steps before it)
 * @steps: steps they account
 * @promoted_bytes, @demoted_bytes: moved to the fast and the slow tier
 * @late, @late_bytes: promotions that missed their layer, their bytes
 * @budget: the session's fast-tier budget (0: not planned yet)
 * @touched_bytes, @fast_bytes: bytes the layers touched, and of those
 *	already fast when the layer began (the daemon's verify mode; else 0)
 * @waits, @wait_ns, @wait_timeouts: this process's waits for its moves
 *	(sntl_wait_moves(), SNTL_OPEN_WAIT_MOVES): the time it stalled
 */
struct sntl_job_stats {
	uint32_t size;
	uint32_t reserved;
	uint64_t daemon_updates;
	uint64_t step;
	uint64_t steps;
	uint64_t promoted_bytes;
	uint64_t demoted_bytes;
	uint64_t late;
	uint64_t late_bytes;
	uint64_t budget;
	uint64_t touched_bytes;
	uint64_t fast_bytes;
	uint64_t waits;
	uint64_t wait_ns;
	uint64_t wait_timeouts;
};
#define SNTL_JOB_STATS_SIZE_V0	112

/*
 * Fill @out (its first @out->size bytes, at least SNTL_JOB_STATS_SIZE_V0)
 * with the job's own figures; no privilege needed.  SNTL_EINVAL for a bad
 * size or reserved field, SNTL_ENOTSUP with a module that keeps no
 * accounting (SENTINEL_FEAT_JOB_ACCT).
 */
SNTL_API int sntl_job_stats(struct sntl_job_stats *out);

/*
 * Wait until the policy daemon has finished the migrations that the
 * session's latest mark calls for, at most timeout_ms (0: only ask).
 * SNTL_OK when it has; SNTL_ENODAEMON at once when no daemon migrates for
 * this session (then nothing is waited for); SNTL_ETIMEDOUT.  With
 * SNTL_OPEN_WAIT_MOVES (or SENTINEL_WAIT_MOVES=1 in the environment),
 * sntl_layer_begin() does this itself, with a timeout of
 * $SENTINEL_WAIT_TIMEOUT_MS (default 10000), so that every layer starts
 * with its tensors where the plan wants them.
 */
SNTL_API int sntl_wait_moves(uint32_t timeout_ms);

/* What the waits of this process found. */
struct sntl_wait_stats {
	uint64_t waits;		/* waits asked for */
	uint64_t done;		/* the daemon's moves were complete */
	uint64_t no_daemon;	/* nobody migrates for the session */
	uint64_t timeouts;	/* gave up waiting */
	uint64_t wait_ns;	/* time spent waiting, CLOCK_MONOTONIC */
};
SNTL_API int sntl_wait_stats(struct sntl_wait_stats *out);

/*
 * Send the allocator's pending registrations and unregistrations now.
 * Marks, queries and statistics do this themselves.
 */
SNTL_API int sntl_flush(void);

/* ------------------------------------------------------------------ */
/* The allocator */

/*
 * Lifetime classes.  SNTL_LIFE_AUTO picks one from the kind: workspaces
 * are short-lived, weights and optimizer state persistent, the rest
 * step-lived.
 */
enum sntl_life {
	SNTL_LIFE_AUTO = 0,
	SNTL_LIFE_SHORT = 1,		/* freed within the layer */
	SNTL_LIFE_STEP = 2,		/* lives across layers of one step */
	SNTL_LIFE_PERSISTENT = 3,	/* lives across steps */
};

/*
 * Allocate size bytes (aligned to SNTL_ALLOC_ALIGN).  Short-lived objects
 * of at most SNTL_SHORT_MAX bytes are packed into the short-lived region;
 * every other object gets pages of its own (page-aligned), registered as
 * one object.  Objects of different lifetime classes never share a page.
 * Returns NULL with errno ENOMEM or EINVAL (bad kind, life, alignment),
 * or EDEADLK when called from inside the library on the same thread.
 * Never calls malloc.
 */
#define SNTL_ALLOC_ALIGN	64
#define SNTL_SHORT_MAX		(256 * 1024)

SNTL_API void *sntl_alloc(size_t size, enum sntl_kind kind,
			  enum sntl_life life);
/* The same with an alignment: a power of two, at most 1 GiB. */
SNTL_API void *sntl_alloc_aligned(size_t size, size_t align,
				  enum sntl_kind kind, enum sntl_life life);
/*
 * Free an allocation (NULL is ignored).  Returns 0, or SNTL_EINVAL for a
 * pointer the allocator does not own (nothing is done then).
 */
SNTL_API int sntl_free(void *ptr);
/* 1 when ptr is a live allocation of this allocator, else 0. */
SNTL_API int sntl_owns(const void *ptr);
/* Bytes usable at ptr, 0 for a pointer the allocator does not own. */
SNTL_API size_t sntl_usable_size(const void *ptr);

/**
 * struct sntl_alloc_info - what the allocator knows about an allocation
 * @logical_id: stable logical id (see LOGICAL IDS)
 * @object_id: the id the object (or its short-lived region segment) is
 *	registered with, SNTL_ID_ALLOC set
 * @size: requested size
 * @mapped: bytes of pages of its own (0 when packed in the region)
 * @kind: enum sntl_kind
 * @life: enum sntl_life (resolved, never AUTO)
 * @registered: 1 when the module knows the object (or its segment)
 * @layer: layer hint recorded at allocation
 * @node: NUMA node it was bound to at birth, or -1
 */
struct sntl_alloc_info {
	uint64_t logical_id;
	uint64_t object_id;
	size_t size;
	size_t mapped;
	uint16_t kind;
	uint8_t life;
	uint8_t registered;
	uint32_t layer;
	int32_t node;
};
SNTL_API int sntl_alloc_info(const void *ptr, struct sntl_alloc_info *out);

/* Allocator counters; valid with or without a session. */
struct sntl_alloc_stats {
	uint64_t allocs;		/* sntl_alloc calls that succeeded */
	uint64_t frees;
	uint64_t live_objects;
	uint64_t requested_bytes;	/* live, as requested */
	uint64_t mapped_bytes;		/* live: own pages + region chunks in use */
	uint64_t peak_requested_bytes;
	uint64_t peak_mapped_bytes;
	uint64_t long_objects;		/* live objects with pages of their own */
	uint64_t long_mapped_bytes;
	uint64_t short_objects;		/* live objects in the region */
	uint64_t short_requested_bytes;
	uint64_t short_reserved_bytes;	/* region segments made usable */
	uint64_t short_chunks_used;
	uint64_t short_chunks_cached;	/* free, kept resident for reuse */
	uint64_t short_chunks_released;	/* free, returned to the OS */
	uint64_t short_spills;		/* short objects given own pages */
	uint64_t pending_register;
	uint64_t pending_unregister;
	uint64_t registered;		/* objects the module accepted */
	uint64_t unregistered;
	uint64_t register_failures;	/* objects the module refused */
	uint64_t flushes;
	uint64_t placed;		/* allocations bound to a node */
	uint64_t placement_failures;	/* mbind refused, or pages elsewhere */
	int32_t last_register_error;	/* SNTL_E* of the last refusal */
	uint32_t reserved;
};
SNTL_API int sntl_alloc_stats(struct sntl_alloc_stats *out);

/* Return cached free memory of the short-lived region to the OS. */
SNTL_API int sntl_trim(void);

/*
 * Set the placement hint of the allocation at @ptr (one SNTL_OBJ_PIN_FAST,
 * NEVER_PROMOTE, PREFER_FAST or PREFER_SLOW, or 0 for none).  The object
 * is registered again with it, and later allocations with the same
 * logical id (the same tensor in later steps) are born with it.
 * SNTL_EINVAL for a pointer that is not the start of an allocation with
 * pages of its own (short-lived allocations take no hint) or more than
 * one hint; SNTL_ENOTSUP when the open session's module has no hints
 * (SENTINEL_FEAT_HINTS); SNTL_ENOMEM.
 */
SNTL_API int sntl_hint(void *ptr, unsigned int hint);

/* ------------------------------------------------------------------ */
/*
 * LOGICAL IDS
 *
 * Tensors are freed and allocated again in every training step, so an
 * address means nothing from one step to the next.  The allocator names
 * each allocation by what repeats: its kind, its lifetime class and its
 * position in the step's allocation sequence.  A logical id is 56 bits:
 *
 *   bits 52-55  kind (enum sntl_kind)
 *   bits 50-51  lifetime class (enum sntl_life minus 1; 3 = library)
 *   bit  49     allocated outside a step (before the first
 *               sntl_step_begin(), or between a step's end and the next
 *               step's begin)
 *   bits 32-48  size tag: a 17-bit hash of the requested size
 *   bits  0-31  index: the number of allocations of the same kind and
 *               class made before it in the current step (inside a step,
 *               restarted by every sntl_step_begin()), or since the
 *               library started (outside steps)
 *
 * The n-th allocation of the same kind and class in step N and in step
 * N+1 therefore gets the same logical id as long as the program
 * allocates the same sequence; a change of shape changes the size tag.
 *
 * The module needs ids that are unique among the live objects of a
 * session, and a logical id can be live twice (an object of step N that
 * lives on while step N+1 allocates its counterpart).  The id registered
 * with the module (the object id) is therefore
 *
 *   bit  63     SNTL_ID_ALLOC
 *   bits 56-62  generation: 0 normally; the smallest free value when
 *               objects with the same logical id are live
 *               (127: a serial number replaces the logical id)
 *   bits  0-55  logical id
 *
 * SNTL_OBJECT_LOGICAL() recovers the logical id from an object id.  The
 * short-lived region is registered in segments whose logical ids are
 * SNTL_LID_REGION(n).
 */
#define SNTL_LID_BITS		56
#define SNTL_LID_MASK		((1ULL << SNTL_LID_BITS) - 1)
#define SNTL_LID_KIND(l)	((unsigned int)(((l) >> 52) & 0xf))
#define SNTL_LID_CLASS(l)	((unsigned int)(((l) >> 50) & 0x3))
#define SNTL_LID_OUTSIDE_STEP	(1ULL << 49)
#define SNTL_LID_SIZE_TAG(l)	((unsigned int)(((l) >> 32) & 0x1ffff))
#define SNTL_LID_INDEX(l)	((uint32_t)(l))
#define SNTL_LID_CLASS_LIBRARY	3
#define SNTL_LID_MAKE(kind, cls, outside, tag, index)			\
	((((uint64_t)(kind) & 0xf) << 52) | (((uint64_t)(cls) & 0x3) << 50) | \
	 ((outside) ? SNTL_LID_OUTSIDE_STEP : 0) |				\
	 (((uint64_t)(tag) & 0x1ffff) << 32) | (uint64_t)(uint32_t)(index))
#define SNTL_LID_REGION(n)						\
	SNTL_LID_MAKE(SNTL_KIND_WORKSPACE, SNTL_LID_CLASS_LIBRARY, 0, 0, (n))

#define SNTL_OBJECT_GEN(id)	((unsigned int)(((id) >> 56) & 0x7f))
#define SNTL_OBJECT_GEN_SERIAL	127
/* The logical id of an allocator object id, or ~0 when it has none. */
#define SNTL_OBJECT_LOGICAL(id)						\
	(((id) & SNTL_ID_ALLOC) && SNTL_OBJECT_GEN(id) != SNTL_OBJECT_GEN_SERIAL \
	 ? ((id) & SNTL_LID_MASK) : ~0ULL)

/* ------------------------------------------------------------------ */
/* Placement at birth and grouping (fed by the plan) */

/*
 * Bind future allocations with this logical id to NUMA node node
 * (preferred policy, so a full node falls back rather than fails); node
 * -1 forgets the placement.  Applied when the object is allocated: a
 * placement of SNTL_LID_REGION(n) applies when segment n is created, and
 * to the pages segment n faults after a new placement map from the
 * module (at a step begin).  Allocations already live are not moved
 * (migration is the daemon's).
 */
SNTL_API int sntl_set_placement(uint64_t logical_id, int node);
/*
 * The node an allocation with logical_id is born on: its placement, else
 * the node the module's map gives every object it does not name (the
 * daemon's entry for them), or SNTL_ENOENT.
 */
SNTL_API int sntl_get_placement(uint64_t logical_id);
/* Forget every placement. */
SNTL_API int sntl_clear_placements(void);

/*
 * Grouping hook: long-lived objects whose logical ids share a non-zero
 * group (the planner gives one group per layer set) may share pages with
 * each other once a profile exists.  The allocator records the group and
 * reports it; it does not pack groups yet (every long-lived object keeps
 * pages of its own).  group 0 removes the logical id from its group.
 */
SNTL_API int sntl_set_group(uint64_t logical_id, uint32_t group);
/* The group of logical_id, 0 when none. */
SNTL_API uint32_t sntl_get_group(uint64_t logical_id);

#ifdef __cplusplus
}
#endif

#endif /* SENTINEL_LIB_H */
