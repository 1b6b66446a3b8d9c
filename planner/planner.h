/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Sentinel planner: from the profile of one training step to a
 * schedule of object placements and migrations for every later step.
 * Pure C: no I/O, no global state; the only side effect is allocation of
 * the schedule's arrays (freed with plan_free()).
 *
 * Documentation/planner.rst describes the model, the choice of the
 * migration interval, the priorities and the degraded modes.
 */
#ifndef SENTINELD_PLANNER_H
#define SENTINELD_PLANNER_H

#include <stddef.h>
#include <stdint.h>

#include <linux/sentinel.h>

/* Limits of the input (EINVAL beyond them). */
#define PLAN_MAX_OBJS		(1U << 24)
#define PLAN_MAX_LAYERS		(1U << 20)
#define PLAN_MAX_ACCESSES	(1U << 28)
#define PLAN_MAX_OBJ_BYTES	(1ULL << 56)	/* one object: 64 PiB */
#define PLAN_MAX_TOTAL_BYTES	(1ULL << 62)	/* all objects together */
#define PLAN_MAX_LAYER_NS	(1ULL << 40)	/* one layer: ~18 minutes */
#define PLAN_TIME_INF		(1ULL << 62)	/* times saturate here */

/* plan_object.flags: SENTINEL_OBJ_F_* plus these. */
#define PLAN_OBJ_F_ESTIMATED	(1U << 15)	/* size estimated (no record) */

/**
 * struct plan_object - one logical object of the profiled step
 * @id: logical id (stable across steps); unique in the input
 * @bytes: the bytes it occupies in memory (whole pages for page-aligned
 *	objects); what it costs in the fast budget and to migrate
 * @kind: enum sentinel_kind
 * @flags: SENTINEL_OBJ_F_* and PLAN_OBJ_F_*
 * @order: registration order (first-touch baseline tie-break); any value
 */
struct plan_object {
	uint64_t id;
	uint64_t bytes;
	uint16_t kind;
	uint16_t flags;
	uint32_t order;
};

/**
 * struct plan_access - an object touched in a layer
 * @obj: index into plan_input.objs
 * @reserved: 0
 * @pages: distinct pages of the object touched in the layer
 */
struct plan_access {
	uint32_t obj;
	uint32_t reserved;
	uint64_t pages;
};

/**
 * struct plan_layer - one layer of the step, in execution order
 * @layer: layer id (from the marks; informational)
 * @direction: enum sentinel_direction (informational)
 * @reserved: 0
 * @first: index of its first access in plan_input.acc
 * @count: its accesses; one per object at most
 * @compute_ns: the layer's compute time (fast memory), ns
 */
struct plan_layer {
	uint32_t layer;
	uint16_t direction;
	uint16_t reserved;
	uint32_t first;
	uint32_t count;
	uint64_t compute_ns;
};

/**
 * struct plan_input - the profile of one step; read only, owned by the
 * caller, must stay valid during the call (the schedule keeps no pointer
 * into it, but plan_simulate() needs the same input again)
 * @objs, @nr_objs: the objects
 * @layers, @nr_layers: the layers of one step, in order
 * @acc, @nr_acc: the accesses the layers point into
 * @page_size: bytes per touched page (power of two; 0 means 4096)
 */
struct plan_input {
	const struct plan_object *objs;
	uint32_t nr_objs;
	uint32_t nr_layers;
	const struct plan_layer *layers;
	const struct plan_access *acc;
	uint32_t nr_acc;
	uint32_t page_size;
};

/* plan_params.pin_budget: no pinning of hot small objects. */
#define PLAN_PIN_NONE		UINT64_MAX

/**
 * struct plan_params - the machine and the knobs
 * @fast_budget: S, bytes of fast memory the job may use
 * @short_reserve: RS, bytes reserved for short-lived objects; raised to
 *	the profile's peak short-lived bytes when smaller (0: the peak)
 * @bw: migration bandwidth, bytes per second (> 0)
 * @max_interval: largest N searched (0: min(nr_layers, 256)); N equal to
 *	the whole step is always tried as well
 * @fixed_interval: use this N instead of searching (0: search)
 * @pin_budget: bytes of the long-lived budget that hot small objects may
 *	keep for the whole step (0: a sixteenth of S - RS; PLAN_PIN_NONE: none)
 * @pin_max_obj: largest object pinned (0: a quarter of the pin budget)
 */
struct plan_params {
	uint64_t fast_budget;
	uint64_t short_reserve;
	uint64_t bw;
	uint32_t max_interval;
	uint32_t fixed_interval;
	uint64_t pin_budget;
	uint64_t pin_max_obj;
};

/* Why an object is where it is (plan_obj_plan.cls). */
enum plan_cls {
	PLAN_CLS_SHORT = 0,	/* short-lived, in the reserved fast region */
	PLAN_CLS_SHORT_SLOW,	/* short-lived, region too small: slow */
	PLAN_CLS_PINNED,	/* hot and small: fast for the whole step */
	PLAN_CLS_RESIDENT,	/* needed by every interval: fast, never moved */
	PLAN_CLS_MIGRATED,	/* promoted and demoted at layer boundaries */
	PLAN_CLS_COLD,		/* not touched in the step: slow */
	PLAN_CLS_TOO_BIG,	/* larger than S - RS: slow */
	PLAN_CLS_NO_ROOM,	/* degraded: never admitted to fast memory */
	PLAN_CLS_STATIC_FAST,	/* baselines: fast, never moved */
	PLAN_CLS_STATIC_SLOW,	/* baselines: slow, never moved */
	PLAN_CLS_HINT_FAST,	/* SENTINEL_OBJ_F_PIN_FAST: fast all step */
	PLAN_CLS_HINT_SLOW,	/* SENTINEL_OBJ_F_NEVER_PROMOTE: slow all step */
	__PLAN_CLS_MAX,
};

/* plan_obj_plan.flags */
#define PLAN_OF_UNADMITTED	(1U << 0) /* left slow in some layer it touches */

enum plan_node { PLAN_SLOW = 0, PLAN_FAST = 1 };

/**
 * struct plan_obj_plan - the plan of one object (same index as the input)
 * @cls: enum plan_cls
 * @initial: enum plan_node at step start, before boundary 0's moves
 * @birth: enum plan_node during the first layer that touches it: where an
 *	object allocated during the step should be born
 * @flags: PLAN_OF_*
 * @group: 0, or the group of long-lived objects with the same layer set
 */
struct plan_obj_plan {
	uint8_t cls;
	uint8_t initial;
	uint8_t birth;
	uint8_t flags;
	uint32_t group;
};

enum plan_op { PLAN_DEMOTE = 1, PLAN_PROMOTE = 2 };

/**
 * struct plan_move - one migration
 * @obj: object index
 * @op: enum plan_op
 * @reserved: 0
 * @boundary: issued at the boundary before this layer (0..nr_layers-1;
 *	boundary 0 is also the end of the previous step)
 * @need_layer: promotion: the first layer of its target interval that
 *	touches it; demotion: the layer of its last use before it
 */
struct plan_move {
	uint32_t obj;
	uint8_t op;
	uint8_t reserved[3];
	uint32_t boundary;
	uint32_t need_layer;
};

/**
 * struct plan_bound - the moves of one boundary: moves[first ...], the
 * demotions first (nr_demote), then the promotions (nr_promote) by
 * priority: needed soonest, then most accessed per byte, then id
 */
struct plan_bound {
	uint32_t first;
	uint32_t nr_demote;
	uint32_t nr_promote;
};

/* A group: members group_members[first .. first + count), hottest first. */
struct plan_group {
	uint32_t first;
	uint32_t count;
	uint64_t bytes;
};

/**
 * struct plan_cand - one interval length tried by the search
 * @n: interval length in layers
 * @feasible: every interval's long-lived set fits S - RS
 * @reserved: 0
 * @max_set: largest interval set in bytes (pinned objects included)
 * @cost_ns: modeled migration wait (sum over intervals of the time the
 *	last promotion for the interval ends after the interval starts)
 * @moved: bytes promoted plus demoted per step
 */
struct plan_cand {
	uint32_t n;
	uint16_t feasible;
	uint16_t reserved;
	uint64_t max_set;
	uint64_t cost_ns;
	uint64_t moved;
};

/* plan_schedule.flags */
#define PLAN_F_INFEASIBLE	(1U << 0) /* peak short + largest long > S */
#define PLAN_F_DEGRADED		(1U << 1) /* some layer's set exceeds S - RS */
#define PLAN_F_RESERVE_RAISED	(1U << 2) /* RS raised to the peak short bytes */
#define PLAN_F_SHORT_OVERFLOW	(1U << 3) /* short-lived peak exceeds S */
#define PLAN_F_TOO_BIG		(1U << 4) /* some object exceeds S - RS */
#define PLAN_F_LATE		(1U << 5) /* modeled migrations end late */
#define PLAN_F_BASELINE		(1U << 6) /* a baseline placement */
#define PLAN_F_PINS_REFUSED	(1U << 7) /* PIN_FAST objects beyond S - RS */

/**
 * struct plan_schedule - the schedule for one step; every array is
 * allocated by the planner and freed by plan_free()
 * @nr_objs: entries of @objs (the input's objects)
 * @nr_layers: entries of @bounds (the input's layers)
 * @interval: N (0 for a baseline without migration)
 * @nr_intervals: ceil(nr_layers / N)
 * @flags: PLAN_F_*
 * @nr_moves, @moves: every move of the step, by boundary
 * @nr_groups, @groups, @group_members: groups of long-lived objects
 * @nr_cands, @cands: the interval lengths tried, in increasing N
 * @objs: per object
 * @bounds: per boundary
 * @fast_budget: S
 * @short_reserve: RS as used (after raising)
 * @long_budget: S - RS
 * @peak_short: peak bytes of short-lived objects in one layer
 * @largest_long: largest touched long-lived object (NEVER_PROMOTE aside)
 * @lower_bound: @peak_short + @largest_long (the least workable S)
 * @pinned_bytes: bytes of PLAN_CLS_PINNED and PLAN_CLS_HINT_FAST objects
 * @pins_refused: PIN_FAST objects left out because the pins together
 *	exceed S - RS (ranked as PREFER_FAST instead); PLAN_F_PINS_REFUSED
 * @pins_refused_bytes: their bytes
 * @resident_bytes: bytes of PLAN_CLS_RESIDENT objects
 * @initial_fast: long-lived bytes fast at step start
 * @planned_peak: largest planned fast occupancy (long-lived + short)
 * @promote_bytes: bytes promoted per step
 * @demote_bytes: bytes demoted per step
 * @cost_ns: modeled migration wait of the chosen N (see plan_cand)
 * @step_ns: sum of the layers' compute times
 * @unplaced_bytes: degraded: sum over intervals of the bytes of the
 *	long-lived objects they touch but could not admit to fast memory
 * @reason: human-readable summary of what did not fit and why ("" if all
 *	did)
 */
struct plan_schedule {
	uint32_t nr_objs;
	uint32_t nr_layers;
	uint32_t interval;
	uint32_t nr_intervals;
	uint32_t flags;
	uint32_t nr_moves;
	uint32_t nr_groups;
	uint32_t nr_cands;
	struct plan_obj_plan *objs;
	struct plan_bound *bounds;
	struct plan_move *moves;
	struct plan_group *groups;
	uint32_t *group_members;
	struct plan_cand *cands;
	uint64_t fast_budget;
	uint64_t short_reserve;
	uint64_t long_budget;
	uint64_t peak_short;
	uint64_t largest_long;
	uint64_t lower_bound;
	uint64_t pinned_bytes;
	uint64_t resident_bytes;
	uint64_t initial_fast;
	uint64_t planned_peak;
	uint64_t promote_bytes;
	uint64_t demote_bytes;
	uint64_t cost_ns;
	uint64_t step_ns;
	uint64_t unplaced_bytes;
	uint32_t pins_refused;
	uint32_t reserved;
	uint64_t pins_refused_bytes;
	char reason[256];
};

/*
 * Plan one step.  0 on success (also when the budget is infeasible: see
 * @out->flags and @out->reason), or a negative errno (-EINVAL for a bad
 * input, with the reason in @err; -ENOMEM) and @out zeroed.  @out is
 * overwritten; free it with plan_free().
 */
int plan_build(const struct plan_input *in, const struct plan_params *p,
	       struct plan_schedule *out, char *err, size_t errlen);

/*
 * Baselines on the same input (no migration; interval 0):
 * first-touch: objects in first-touch order (first layer touching them,
 *   then position in that layer, then registration order, then id; never
 *   touched objects last) are fast while they fit S, else slow;
 * static: short-lived objects as plan_build() places them, then the
 *   long-lived objects with the most accesses per byte fast within S - RS.
 */
int plan_first_touch(const struct plan_input *in, const struct plan_params *p,
		     struct plan_schedule *out, char *err, size_t errlen);
int plan_static(const struct plan_input *in, const struct plan_params *p,
		struct plan_schedule *out, char *err, size_t errlen);

/**
 * struct plan_hybrid_params - what a move of plan_hybrid() must pay
 * @slow_factor: slowdown of a layer whose touched bytes are all slow, as
 *	the simulator models it (0: 3)
 * @channel_share: the share of the compute under which copies may run
 *	(0 < x <= 1; 0: 0.5)
 * @pay_factor: a window is planned only when the time it saves is at
 *	least this many times its two copies (0: 2)
 */
struct plan_hybrid_params {
	double slow_factor;
	double channel_share;
	double pay_factor;
};

/*
 * A fixed placement plus the moves that pay (plan_hybrid.c): every
 * touched long-lived object is fast for the whole step, fast for windows
 * of the layers touching it (promoted before, demoted after), or slow,
 * chosen greedily by time saved per byte and nanosecond of fast memory
 * within S - RS and the copy channel's share; short-lived objects as in
 * plan_static().  Interval 0, flag PLAN_F_BASELINE clear.
 */
int plan_hybrid(const struct plan_input *in, const struct plan_params *p,
		const struct plan_hybrid_params *hp, struct plan_schedule *out,
		char *err, size_t errlen);

/* Free the arrays of a schedule (a zeroed schedule is fine). */
void plan_free(struct plan_schedule *s);

/* Time to copy @bytes at @bw bytes/s, ns rounded up (<= PLAN_TIME_INF). */
uint64_t plan_copy_ns(uint64_t bytes, uint64_t bw);

/*
 * Stable bottom-up merge sort of the u32 keys @a (scratch @tmp, n
 * entries) by @cmp with a context: deterministic whatever the libc, no
 * global state.  Shared by the planner and the profile parser.
 */
typedef int (*plan_cmp_fn)(uint32_t a, uint32_t b, const void *ctx);

/*
 * Format an error message into @err (@errlen bytes; nothing when @err is
 * NULL or @errlen 0).  Shared by the planner and the profile parser.
 */
void plan_seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void plan_msort(uint32_t *a, uint32_t *tmp, size_t n, plan_cmp_fn cmp,
		const void *ctx);

/* Is the object short-lived (kind workspace or SENTINEL_OBJ_F_SHORT_LIVED)? */
static inline int plan_obj_short(const struct plan_object *o)
{
	return o->kind == SENTINEL_KIND_WORKSPACE ||
	       (o->flags & SENTINEL_OBJ_F_SHORT_LIVED);
}

/*
 * How much PREFER_FAST (and a refused PIN_FAST) raises an object's
 * accesses per byte in the ranking, and PREFER_SLOW lowers them.
 */
#define PLAN_HINT_BIAS		4

/*
 * The placement hint of an object: one SENTINEL_OBJ_F_* hint bit, or 0
 * (none, or more than one, which the module refuses).  Short-lived
 * objects live in the fast region and take no hint.
 */
static inline unsigned int plan_obj_hint(const struct plan_object *o)
{
	unsigned int h = o->flags & SENTINEL_OBJ_F_HINTS;

	if (plan_obj_short(o) || (h & (h - 1)))
		return 0;
	return h;
}

/* Name of a class, a node, an op (static strings). */
const char *plan_cls_name(unsigned int cls);

#endif /* SENTINELD_PLANNER_H */
