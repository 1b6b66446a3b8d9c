// SPDX-License-Identifier: GPL-2.0
/*
 * The sentinel policy (the paper's): a plan that migrates objects at layer
 * boundaries, kept only when it models faster than the static placement
 * of the same budget and while its moves keep up.  Its boundary moves go
 * through a pipeline (pump()) that issues each move as early as the
 * budget and the layers that ended allow, up to one step ahead; the moves
 * of a boundary are resolved to live objects (logical id -> object id ->
 * address range) and queued as one work item (mover.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "accounting.h"
#include "log.h"
#include "migrate.h"
#include "planner.h"
#include "policy_int.h"
#include "sim.h"
#include "sync.h"

#define SIM_SLOW_FACTOR	3.0		/* an all-slow layer against an all-fast one */

/*
 * A migrating plan pays off only when its moves hide under the layers'
 * compute.  Replay the interval plan @sch, the static placement of the
 * same budget and, with hybrid_plan = on, the hybrid plan (a fixed
 * placement plus only the windows that pay) over the profiled step
 * (layers wait for late promotions; a layer's slow bytes cost
 * SIM_SLOW_FACTOR) and keep the fastest in @sch; true when that is the
 * static placement.
 */
static bool keep_faster(struct psess *ps, const struct plan_input *in,
			const struct plan_params *pp, struct plan_schedule *sch)
{
	enum { INTERVAL, STATIC, HYBRID, NPLANS };
	static const char *const names[NPLANS] = { "migrating", "static", "hybrid" };
	struct sim_params sp = {
		.bw = pp->bw ? pp->bw : DEFAULT_BW,
		.slow_factor = SIM_SLOW_FACTOR,
		.wait_late = 1,
		.warm_steps = 1,
	};
	struct plan_hybrid_params hp = { .slow_factor = SIM_SLOW_FACTOR };
	struct plan_schedule c[NPLANS] = { *sch };
	struct sim_result r[NPLANS] = { 0 };
	uint64_t t[NPLANS] = { UINT64_MAX, UINT64_MAX, UINT64_MAX };
	char err[256], hyb[64];
	int best = INTERVAL;

	if (plan_simulate(in, &c[INTERVAL], &sp, &r[INTERVAL], NULL))
		return false;
	t[INTERVAL] = r[INTERVAL].step_ns;
	if (!plan_static(in, pp, &c[STATIC], err, sizeof(err)) &&
	    plan_simulate(in, &c[STATIC], &sp, &r[STATIC], NULL) == 0)
		t[STATIC] = r[STATIC].step_ns;
	if (pol.env.cfg->hybrid_plan && !plan_hybrid(in, pp, &hp, &c[HYBRID], err, sizeof(err)) &&
	    plan_simulate(in, &c[HYBRID], &sp, &r[HYBRID], NULL) == 0)
		t[HYBRID] = r[HYBRID].step_ns;
	for (int i = STATIC; i < NPLANS; i++)
		if (t[i] < t[best])
			best = i;
	hyb[0] = '\0';
	if (t[HYBRID] != UINT64_MAX)
		snprintf(hyb, sizeof(hyb), ", the hybrid plan %" PRIu64 " us (%u moves)",
			 t[HYBRID] / 1000, c[HYBRID].nr_moves);
	log_info("session %" PRIu64 ": the migrating plan models %" PRIu64 " us a step (%" PRIu64
		 " us waiting for %u late promotions at %" PRIu64 " B/s), the static placement %"
		 PRIu64 " us%s: keeping the %s plan", ps->id, t[INTERVAL] / 1000,
		 r[INTERVAL].stall_ns / 1000, r[INTERVAL].late, sp.bw, t[STATIC] / 1000, hyb,
		 names[best]);
	for (int i = 0; i < NPLANS; i++)
		if (i != best)
			plan_free(&c[i]);
	*sch = c[best];
	return best == STATIC;
}

/*
 * Queue the moves @mv[0 .. @n) (plan move indices) of boundary @b, which
 * belongs to the step counted @nstep, as one work item: they are applied
 * to the live objects folding to their logical ids, everything else
 * planned stays where it is.
 */
static void issue_moves(struct psess *ps, struct sd_session *s, uint32_t b, uint64_t nstep,
			const uint32_t *mv, size_t n)
{
	const struct plan_schedule *sch = &ps->sch;
	const struct live_view *lv;
	uint8_t *want = NULL, *slow = NULL;
	int *need = NULL;

	if (!n)
		return;
	/* Activations born this step must be known to be moved. */
	if (s->objs_stale && !sync_session_objects(pol.env.cmd, s) && s->objs_stale)
		log_debug("session %" PRIu64 ": objects still changing", ps->id);
	lv = pol_live_view(ps, s);
	want = calloc(s->nobjs + 1, 1);
	slow = calloc(s->nobjs + 1, 1);
	need = calloc(s->nobjs + 1, sizeof(int));
	if (!lv || !want || !slow || !need)
		goto out;
	for (size_t i = 0; i < s->nobjs; i++) {
		need[i] = -1;
		slow[i] = pol_view_node(ps, lv, i) == PLAN_SLOW;
		want[i] = lv->pi[i] < 0 ? MIG_ANY : MIG_STAY;
	}
	for (size_t k = 0; k < n; k++) {
		const struct plan_move *m = &sch->moves[mv[k]];
		uint64_t key = ps->prof.in.objs[m->obj].id;
		bool up = m->op == PLAN_PROMOTE;

		for (size_t j = pol_keyed_find(lv->bykey, lv->n, key);
		     j < lv->n && lv->bykey[j].key == key; j++) {
			uint32_t o = lv->bykey[j].obj;

			want[o] = up ? MIG_TO_FAST : MIG_TO_SLOW;
			slow[o] = !up;
			need[o] = up ? (int)m->need_layer : -1;
		}
	}
	pol_submit(ps, s, lv, want, need, slow, nstep, (int)b);
out:
	free(want);
	free(slow);
	free(need);
}

/* Absolute position of the last use of the object demoted by @m at @abs. */
static uint64_t demote_use(const struct plan_move *m, uint64_t abs, uint32_t nl)
{
	uint64_t base = abs - m->boundary;	/* layer 0 of the boundary's step */

	if (m->need_layer < m->boundary)
		return base + m->need_layer;
	return base >= nl ? base - nl + m->need_layer : 0;	/* previous step */
}

/*
 * The boundary pipeline of the sentinel policy.  Boundaries are taken in
 * order from the first one with a move not yet issued, up to one step
 * ahead of the layer running: a demotion is issued once the layer of its
 * object's last use has ended; promotions in the plan's priority order
 * (needed soonest first) while the planned fast bytes (every object the
 * plan has fast at this point of the pipeline, promotions counted from
 * their issue, demotions from theirs) stay within the budget.  The first
 * promotion that does not fit stops the scan, so that no later one takes
 * its room.  A move whose object has an earlier move still waiting waits
 * too.  Each boundary's issued moves are one work item; items run in
 * issue order, so demotions complete before the promotions they make
 * room for start, and boundary k + 1's moves start when boundary k's
 * have completed.
 */
static void pump(struct psess *ps, struct sd_session *s)
{
	const struct plan_schedule *sch = &ps->sch;
	const struct plan_input *in = &ps->prof.in;
	uint32_t nl = in->nr_layers;
	uint64_t next_layer, end, fast = 0, t0;
	uint32_t *take = NULL;
	uint8_t *blocked = NULL;
	bool stop = false, dem_waiting = false;
	int pos;

	/* Nothing to move (a static placement): no object dump either. */
	if (!nl || !ps->mv_issued || sch->nr_layers != nl || !sch->nr_moves)
		return;
	t0 = sync_thread_ns();
	pthread_mutex_lock(&ps->lock);
	pos = ps->pos;
	next_layer = ps->nstep * nl + (uint64_t)(pos + 1);
	pthread_mutex_unlock(&ps->lock);
	/* More than a step behind (lost events): skip whole steps. */
	while (ps->next_abs + nl <= next_layer) {
		pthread_mutex_lock(&ps->lock);
		for (uint32_t m = 0; m < sch->nr_moves; m++)
			if (sch->moves[m].op == PLAN_PROMOTE && !ps->mv_issued[m])
				acct_late(&ps->acct, in->objs[sch->moves[m].obj].bytes);
		pthread_mutex_unlock(&ps->lock);
		ps->next_abs += nl;
	}
	end = next_layer + nl;
	if (end > ps->next_abs + nl)
		end = ps->next_abs + nl;	/* a template boundary once */
	take = calloc(sch->nr_moves + 1, sizeof(*take));
	blocked = calloc(in->nr_objs + 1, 1);
	if (!take || !blocked)
		goto out;
	for (uint32_t i = 0; i < in->nr_objs; i++)
		if (ps->cur[i] == PLAN_FAST)
			fast += in->objs[i].bytes;
	for (uint64_t abs = ps->next_abs; abs < end && !stop; abs++) {
		uint32_t b = (uint32_t)(abs % nl);
		const struct plan_bound *bd = &sch->bounds[b];
		uint32_t last = bd->first + bd->nr_demote + bd->nr_promote;
		size_t n = 0;

		for (uint32_t m = bd->first; m < last; m++) {
			const struct plan_move *mv = &sch->moves[m];
			uint64_t bytes = in->objs[mv->obj].bytes;

			if (ps->mv_issued[m])
				continue;
			if (mv->op == PLAN_DEMOTE) {
				if (blocked[mv->obj] || demote_use(mv, abs, nl) >= ps->ended_abs) {
					blocked[mv->obj] = 1;
					dem_waiting = true;
					continue;
				}
				if (ps->cur[mv->obj] == PLAN_FAST)
					fast -= bytes < fast ? bytes : fast;
				ps->cur[mv->obj] = PLAN_SLOW;
			} else {
				uint64_t add = ps->cur[mv->obj] == PLAN_FAST ? 0 : bytes;

				if (!stop && !blocked[mv->obj] && fast + add > ps->budget &&
				    !dem_waiting && abs < next_layer) {
					/*
					 * Its layer began and nothing more can be freed:
					 * the plan does not fit here.  Dropped, counted.
					 */
					pthread_mutex_lock(&ps->lock);
					acct_late(&ps->acct, bytes);
					pthread_mutex_unlock(&ps->lock);
					ps->mv_issued[m] = 1;
					continue;
				}
				if (stop || blocked[mv->obj] || fast + add > ps->budget) {
					stop = true;
					blocked[mv->obj] = 1;
					continue;
				}
				fast += add;
				ps->cur[mv->obj] = PLAN_FAST;
			}
			ps->mv_issued[m] = 1;
			take[n++] = m;
		}
		if (n && abs > next_layer && abs - next_layer > ps->ahead_max)
			ps->ahead_max = abs - next_layer;
		issue_moves(ps, s, b, abs / nl, take, n);
	}
	/* Retire the boundaries whose moves are all issued. */
	while (ps->next_abs < end) {
		const struct plan_bound *bd = &sch->bounds[ps->next_abs % nl];
		uint32_t last = bd->first + bd->nr_demote + bd->nr_promote, m;

		for (m = bd->first; m < last && ps->mv_issued[m]; m++)
			;
		if (m < last)
			break;
		memset(ps->mv_issued + bd->first, 0, last - bd->first);
		ps->next_abs++;
	}
out:
	free(take);
	free(blocked);
	ps->pump_ns += sync_thread_ns() - t0;
}

/*
 * The migrating plan replaced by the static placement of the same budget,
 * which the step begin that called this places.
 */
static void fall_back_static(struct psess *ps)
{
	struct plan_params pp = { .fast_budget = ps->budget, .bw = ps->bw ? ps->bw : pol.bw };
	struct plan_schedule alt = { 0 };
	char err[256];

	if (plan_static(&ps->prof.in, &pp, &alt, err, sizeof(err))) {
		log_warn("session %" PRIu64 ": no static placement: %s", ps->id, err);
		return;
	}
	plan_free(&ps->sch);
	ps->sch = alt;
	pthread_mutex_lock(&ps->lock);
	ps->schedule++;
	pthread_mutex_unlock(&ps->lock);
	for (uint32_t i = 0; i < ps->prof.in.nr_objs; i++)
		ps->cur[i] = alt.objs[i].initial;
	ps->measured_fallback = true;
	ps->static_fallback = true;
	ps->placed = false;
	pol_publish(ps);
}

/*
 * At the ends of the first two steps after placement: did the moves keep
 * up (in the daemon's own clock, against the step's own duration)?  They
 * did not when work due in a step that is over is still queued, or when
 * the step's accounting says so (acct_moves_kept_up(); a promotion is
 * found late when its item runs, often in the next step, hence two
 * steps).  The paper kept the faster of migrating and static placement;
 * a plan whose promotions come late loses to the static placement
 * whatever the planner's model said.  Configuration measured_fallback
 * turns the check off.
 */
static void check_moves(struct psess *ps, uint64_t step_ns)
{
	uint64_t nl = ps->prof.in.nr_layers;
	struct acct_step last;
	bool backlog;

	if (!pol.env.cfg->measured_fallback ||
	    !ps->planned || !ps->placed || !ps->sch.nr_moves || ps->measured_fallback || !nl ||
	    ps->nstep <= ps->plan_step || ps->nstep > ps->plan_step + 2)
		return;
	pthread_mutex_lock(&ps->lock);
	last = ps->acct.last;
	backlog = pol_due_upto(ps, ps->nstep * nl - 1) != 0;
	pthread_mutex_unlock(&ps->lock);
	if (!backlog && acct_moves_kept_up(&last, step_ns))
		return;
	log_info("session %" PRIu64 ": the moves did not keep up (%s%" PRIu64 " of %" PRIu64
		 " B of promotions late, %" PRIu64 " us moving in a step of %" PRIu64
		 " us): keeping the static placement", ps->id,
		 backlog ? "work of a past step still queued, " : "", last.late_bytes,
		 last.promoted + last.late_bytes, last.mig_ns / 1000, step_ns / 1000);
	fall_back_static(ps);
}

static int sentinel_plan(struct psess *ps, const struct plan_input *in,
			 const struct plan_params *pp, struct plan_schedule *sch, char *err,
			 size_t errlen)
{
	int r = plan_build(in, pp, sch, err, errlen);

	if (!r && sch->nr_moves)
		ps->static_fallback = keep_faster(ps, in, pp, sch);
	return r;
}

static void sentinel_step_begin(struct psess *ps, uint64_t step_ns)
{
	check_moves(ps, step_ns);
}

static void sentinel_place_first(struct psess *ps, struct sd_session *s, uint64_t seq)
{
	pol_place(ps, s, true);
	/* The pipeline starts at this step's boundary 0. */
	ps->next_abs = ps->nstep * ps->prof.in.nr_layers;
	ps->ended_abs = ps->next_abs;
	if (ps->mv_issued)
		memset(ps->mv_issued, 0, ps->sch.nr_moves);
	pump(ps, s);
	pol_ack_take(ps, seq);
}

static void sentinel_layer_begin(struct psess *ps, struct sd_session *s, int pos, uint64_t seq)
{
	pump(ps, s);
	/* Measured after the moves are queued: they must not wait for it. */
	if (pol.env.cfg->verify)
		pol_verify_layer(ps, pos);
	pol_ack_layer(ps, ps->nstep * ps->prof.in.nr_layers + (uint64_t)pos, seq);
}

static void sentinel_layer_end(struct psess *ps, struct sd_session *s, int pos)
{
	uint64_t ended = ps->nstep * ps->prof.in.nr_layers + (uint64_t)pos + 1;

	/* Demotions of objects last used by this layer may go now. */
	if (ps->ended_abs < ended)
		ps->ended_abs = ended;
	pump(ps, s);
}

static void sentinel_mismatch(struct psess *ps)
{
	if (ps->template_mismatch % 16 == 1)
		pol_reprofile(ps, "layer sequence differs from the profile");
}

static void sentinel_scan(struct psess *ps, uint64_t pages, uint64_t young)
{
	if (drift_scan(&ps->drift, pages, young))
		pol_reprofile(ps, "steady scans deviate from the profile");
}

const struct pol_ops pol_sentinel = {
	.name = "sentinel",
	.plan = sentinel_plan,
	.step_begin = sentinel_step_begin,
	.place_first = sentinel_place_first,
	.step = pump,
	.layer_begin = sentinel_layer_begin,
	.layer_end = sentinel_layer_end,
	.mismatch = sentinel_mismatch,
	.scan = sentinel_scan,
	.syncs_at_steps = true,
};
