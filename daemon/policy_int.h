/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside the policies (policy.c and its parts; not for the rest of
 * sentineld, which uses policy.h): the per-session state, the globals,
 * the policy operations and the helpers the parts share.
 *
 * policy.c     dispatch: the session table, planning and placement, the
 *              marks and events, the statistics
 * mover.c      the migration queue (work items on the worker pool) and the
 *              acknowledgment of synchronous marks
 * verify.c     verify mode's residency check at layer begins
 * pol_*.c      one file per policy: its struct pol_ops
 */
#ifndef SENTINELD_POLICY_INT_H
#define SENTINELD_POLICY_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>

#include "accounting.h"
#include "migrate.h"
#include "plan_profile.h"
#include "planner.h"
#include "policy.h"

#define DEFAULT_BW	(1ULL << 30)	/* bytes/s when not measured */
#define BW_MIN_SAMPLE	(256ULL << 10)
#define CLOSED_KEEP	8		/* closed sessions kept in the statistics */

struct keyed {
	uint64_t key;
	uint32_t obj;		/* index into sd_session.objs or plan objects */
};

/*
 * The live objects as the plan sees them: by logical key, the plan
 * object of each, and those with pages in address order (what
 * mig_plan() takes).  Every boundary's moves use it; it is rebuilt only
 * when the session's objects or the plan change.
 */
struct live_view {
	bool valid;
	uint64_t version;	/* the sd_session.objs_version it describes */
	struct keyed *bykey;	/* every live object, sorted by key */
	int32_t *pi;		/* per live object: plan object index, -1 */
	struct mig_obj *mo;	/* live objects with pages, by address */
	size_t n, nmo;
};

struct psess {
	uint64_t id;
	uint32_t pid;
	int refs;			/* table + queued work (atomic) */
	bool dead;			/* process gone or session closed */
	bool denied;			/* ptrace rules refuse it */
	bool eperm_logged;
	bool enomem_logged;
	bool budget_capped;		/* by free fast memory at planning */
	bool static_fallback;		/* the static placement modeled faster */
	bool measured_fallback;		/* the moves did not keep up: static */
	bool need_refresh;		/* pages gone: dump objects again */
	bool in_step;			/* between a STEP_BEGIN and its STEP_END */

	/* event loop only */
	bool planned, placed, reprofiling;
	uint64_t plan_generation;	/* profile generation planned from */
	uint64_t seen_mark;		/* sequence number of the last mark handled */
	uint64_t seen_profile;		/* generation of the last PROFILE_READY handled */
	struct pp_profile prof;
	struct plan_schedule sch;
	struct keyed *pk;		/* plan objects by key */
	struct live_view lv;
	uint8_t *cur;			/* planned node per plan object */
	uint64_t planned_bytes;
	uint64_t budget;
	/* The fast tier shared among sessions (pol_share.c). */
	uint32_t uid, weight;		/* the job's real uid, its weight */
	uint64_t demand;		/* its own budget; 0 before a plan */
	uint64_t share;			/* its share of fast_pool; 0: no pool */
	bool reshare;			/* its share changed: plan again */
	uint64_t *placed_ids;		/* live ids already placed */
	size_t nplaced;
	/*
	 * The boundary pipeline, in absolute positions: layer l of the
	 * step counted n (nstep) is n * nr_layers + l, and so is the
	 * boundary before it.
	 */
	uint8_t *mv_issued;		/* per plan move: issued in the window */
	uint64_t next_abs;		/* first boundary with a move not issued */
	uint64_t ended_abs;		/* layers ended: last one + 1 */
	uint64_t ahead_max;		/* most boundaries issued ahead of a layer */
	uint64_t plan_step;		/* nstep when placement was done */
	uint64_t schedule;		/* bumped when the schedule is replaced */
	uint64_t step_t0;		/* when the step in progress began */
	uint64_t template_mismatch, reprofiles, publishes, publish_errors;
	uint64_t acct_sent;		/* SENTINEL_CMD_SET_ACCT sent */
	bool acct_off;			/* the module refused it: not sent again */
	uint64_t plans, placements;
	struct drift drift;
	struct ial_region *ial;		/* per plan object */
	uint64_t ial_samples, ial_last_step;

	/* shared with workers, under lock */
	pthread_mutex_t lock;
	pthread_cond_t turn;
	uint64_t next_ticket, serving;
	/*
	 * Synchronous marks: the work items still to run, with the boundary
	 * each serves (absolute position); a LAYER_BEGIN mark is acknowledged
	 * once every item of its boundary or an earlier one has run.
	 */
	struct due { uint64_t abs, ticket; } *due;
	size_t ndue, capdue;
	bool acking;			/* the session's marks are acknowledged */
	bool released;			/* no longer (under pol.ack_lock) */
	uint64_t ack_seq, ack_ticket;	/* pending: seq once ticket is served */
	uint64_t acks, ack_errors, ack_releases;
	uint64_t nstep;			/* STEP_BEGINs seen */
	int pos;			/* template layer begun, -1 at step begin */
	struct acct acct;
	uint64_t bw;
	uint64_t dropped_work, items, batches;
	/* Main thread: the pipeline's CPU time; the session's object dumps. */
	uint64_t pump_ns, obj_dumps, obj_dump_ns;
};


struct pol_globals {
	struct pol_env env;
	struct psess **s;
	size_t n;
	uint64_t bw_calib, calib_ns;
	int fast, slow;			/* first fast and slow node, -1 */
	long psz;
	pthread_mutex_t bw_lock;
	uint64_t bw;			/* daemon-wide estimate */
	char *closed[CLOSED_KEEP];	/* JSON of the last closed sessions */
	unsigned int closed_next, nclosed;
	/* The socket that acknowledges marks (workers share it). */
	pthread_mutex_t ack_lock;
	struct snl ack;
	bool ack_open;
	bool no_release;		/* the module cannot release a session */
};

extern struct pol_globals pol;

/**
 * struct pol_ops - what makes a policy; NULL hooks do nothing
 * @name: as in sentineld.conf (sd_policy_name())
 * @plan: the schedule of a new profile: 0, or -errno with a message in @err
 * @step_begin: every step begin, first (@step_ns: the step that ended, 0)
 * @place_first: the first step begin of a new plan: the initial placement
 *	(@seq: the mark's, to acknowledge); NULL: pol_place() of every object
 * @step: a later step begin of a placed plan, after the objects born since
 *	were placed
 * @layer_begin: a placed plan's layer begin at template position @pos;
 *	NULL: verify mode's check, if on, then nothing
 * @layer_end: a placed plan's layer end at template position @pos
 * @mismatch: a layer begin that differs from the profile's template
 * @replanned: a new plan of a session already placed
 * @scan: a steady scan of a placed plan: @pages scanned, @young of them
 * @syncs_at_steps: a placement without moves dumps objects at step begins
 *	only (policy_syncs_at_steps())
 */
struct pol_ops {
	const char *name;
	int (*plan)(struct psess *ps, const struct plan_input *in, const struct plan_params *pp,
		    struct plan_schedule *sch, char *err, size_t errlen);
	void (*step_begin)(struct psess *ps, uint64_t step_ns);
	void (*place_first)(struct psess *ps, struct sd_session *s, uint64_t seq);
	void (*step)(struct psess *ps, struct sd_session *s);
	void (*layer_begin)(struct psess *ps, struct sd_session *s, int pos, uint64_t seq);
	void (*layer_end)(struct psess *ps, struct sd_session *s, int pos);
	void (*mismatch)(struct psess *ps);
	void (*replanned)(struct psess *ps, struct sd_session *s);
	void (*scan)(struct psess *ps, uint64_t pages, uint64_t young);
	bool syncs_at_steps;
};

extern const struct pol_ops pol_first_touch, pol_static, pol_ial, pol_sentinel;

/* pol_static.c: plan_static() as an ops plan (ial starts from it too) */
int pol_plan_static(struct psess *ps, const struct plan_input *in, const struct plan_params *pp,
		    struct plan_schedule *sch, char *err, size_t errlen);

/* policy.c */
uint64_t pol_mono_ns(void);
void pol_ps_put(struct psess *ps);
/* First entry of @k[0 .. @n) with @key, or @n. */
size_t pol_keyed_find(const struct keyed *k, size_t n, uint64_t key);
/* Plan object index of a logical key, or -1. */
int64_t pol_plan_index(const struct psess *ps, uint64_t key);
/* The view of @s's live objects under the current plan; NULL: no memory. */
const struct live_view *pol_live_view(struct psess *ps, const struct sd_session *s);
/* The node the plan has for live object @i of @v now (unknown: slow). */
int pol_view_node(const struct psess *ps, const struct live_view *v, size_t i);
/* Publish the birth node of every allocator object of the plan. */
void pol_publish(struct psess *ps);
/* Every live object not placed yet to its planned node; @all: every one. */
void pol_place(struct psess *ps, struct sd_session *s, bool all);
/* Ask the module for a new profile (once until it arrives). */
void pol_reprofile(struct psess *ps, const char *why);

/* mover.c */
/*
 * Queue the moves: @want[i] (enum mig_want) and @need[i] (template layer
 * of a promotion, -1) for live object i of @s, @lv its view.
 * @slow_now: planned-slow objects (demoted when the fast node is full).
 * @boundary: the boundary of step @nstep the moves serve, -1: a placement.
 */
void pol_submit(struct psess *ps, const struct sd_session *s, const struct live_view *lv,
		const uint8_t *want, const int *need, const uint8_t *slow_now, uint64_t nstep,
		int boundary);
/* Work items still to run up to boundary @abs (ps->lock held). */
uint64_t pol_due_upto(struct psess *ps, uint64_t abs);
void pol_ack_send(struct psess *ps, uint64_t seq, bool take);
/* A layer begin (@seq) at boundary @abs: acknowledged once its moves ran. */
void pol_ack_layer(struct psess *ps, uint64_t abs, uint64_t seq);
/* A step begin (@seq) that queued the first placement's moves. */
void pol_ack_take(struct psess *ps, uint64_t seq);
void pol_ack_close(void);

/* verify.c */
void pol_verify_layer(struct psess *ps, int l);

/* pol_share.c: the fast tier shared among sessions by weight. */
void pol_share_identify(struct psess *ps);
uint64_t pol_share_of(struct psess *ps, uint64_t demand);
void pol_share_left(void);

#endif /* SENTINELD_POLICY_INT_H */
