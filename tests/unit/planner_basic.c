// SPDX-License-Identifier: GPL-2.0
/*
 * The planner on hand-written profiles whose best schedule is known,
 * the baselines, the simulator's model, and input validation.
 */
#include <errno.h>
#include <math.h>

#include "tap.h"
#include "planner_fixture.h"

#define MS 1000000ULL
#define BW4G (4ULL << 30)

static struct fx f;
static char msg[512];

static bool checked(const struct plan_params *p, const struct plan_schedule *s,
		    struct sim_result *r)
{
	return fx_checked(&f, p, s, r);
}

static uint32_t promotions_of(const struct plan_schedule *s, uint32_t o)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < s->nr_moves; i++)
		n += s->moves[i].obj == o && s->moves[i].op == PLAN_PROMOTE;
	return n;
}

static void everything_fits(void)
{
	struct plan_params p = { .fast_budget = 100 * MiB, .bw = BW4G,
				 .pin_budget = PLAN_PIN_NONE };
	struct plan_schedule s;
	struct sim_result r;
	uint32_t w[4], a0, a1, ws;
	bool all_res = true;

	fx_reset(&f);
	for (int i = 0; i < 4; i++)
		w[i] = fx_obj(&f, 10 + i, MiB, SENTINEL_KIND_WEIGHT, 0);
	a0 = fx_obj(&f, 20, 2 * MiB, SENTINEL_KIND_ACTIVATION, 0);
	a1 = fx_obj(&f, 21, 2 * MiB, SENTINEL_KIND_ACTIVATION, 0);
	ws = fx_obj(&f, 30, 256 << 10, SENTINEL_KIND_WORKSPACE, 0);
	for (int l = 0; l < 6; l++) {
		fx_layer(&f, MS);
		fx_touch(&f, w[l % 4], 256);
		fx_touch(&f, l < 3 ? a0 : a1, 512);
		if (l == 2)
			fx_touch(&f, ws, 64);
	}
	ok(!plan_build(fx_in(&f), &p, &s, msg, sizeof(msg)), "fits: planned");
	is_u64(s.interval, 6, "fits: one interval for the whole step");
	is_u64(s.nr_moves, 0, "fits: no migration");
	is_u64(s.flags, 0, "fits: no flags");
	for (uint32_t o = 0; o < f.no; o++)
		if (o != ws && s.objs[o].cls != PLAN_CLS_RESIDENT)
			all_res = false;
	ok(all_res && s.objs[ws].cls == PLAN_CLS_SHORT,
	   "fits: long-lived resident, workspace short");
	ok(checked(&p, &s, &r), "fits: invariants");
	ok(r.hit_ratio == 1.0 && r.step_ns == 6 * MS && r.late == 0,
	   "fits: all hits, step at compute time");
	plan_free(&s);
}

static void chain_20_percent(void)
{
	struct plan_params p = { .fast_budget = 2 * MiB, .bw = BW4G,
				 .pin_budget = PLAN_PIN_NONE };
	struct plan_schedule s;
	struct sim_result r;
	bool pattern = true;

	fx_reset(&f);
	for (int i = 0; i < 10; i++)
		fx_obj(&f, 100 + i, MiB, SENTINEL_KIND_WEIGHT, 0);
	for (int l = 0; l < 10; l++) {
		fx_layer(&f, MS);
		fx_touch(&f, l, 256);
	}
	ok(!plan_build(fx_in(&f), &p, &s, msg, sizeof(msg)), "chain: planned");
	is_u64(s.interval, 1, "chain: N = 1 at 20%% of the footprint");
	is_u64(s.cost_ns, 0, "chain: every copy hides under a layer");
	ok(s.nr_cands >= 3 && s.cands[0].feasible && s.cands[1].feasible &&
	   s.cands[1].cost_ns > 0 && !s.cands[2].feasible,
	   "chain: N=2 feasible but late, N=3 infeasible");
	for (uint32_t b = 0; b < 10; b++) {
		const struct plan_bound *bo = &s.bounds[b];
		const struct plan_move *m = &s.moves[bo->first];

		if (bo->nr_demote != 1 || bo->nr_promote != 1 ||
		    m[0].obj != (b + 9) % 10 || m[1].obj != (b + 1) % 10)
			pattern = false;
	}
	ok(pattern, "chain: each boundary demotes the last weight, promotes the next");
	ok(s.objs[0].initial == PLAN_FAST && s.objs[9].initial == PLAN_FAST &&
	   s.initial_fast == 2 * MiB, "chain: step starts with w9 and w0 fast");
	ok(checked(&p, &s, &r), "chain: invariants");
	ok(r.hit_ratio == 1.0 && r.late == 0 && r.max_fast == 2 * MiB &&
	   r.promoted_bytes == 10 * MiB, "chain: all prefetched in time, 2 MiB peak");
	plan_free(&s);

	/* The baselines on the same input. */
	ok(!plan_first_touch(fx_in(&f), &p, &s, msg, sizeof(msg)) &&
	   s.objs[0].cls == PLAN_CLS_STATIC_FAST &&
	   s.objs[1].cls == PLAN_CLS_STATIC_FAST &&
	   s.objs[2].cls == PLAN_CLS_STATIC_SLOW && !s.nr_moves &&
	   (s.flags & PLAN_F_BASELINE), "chain: first-touch fills with w0, w1");
	ok(checked(&p, &s, &r) && fabs(r.hit_ratio - 0.2) < 1e-9,
	   "chain: first-touch hits 20%%");
	plan_free(&s);
}

static void infeasible(void)
{
	struct plan_params p = { .fast_budget = 8 * MiB, .bw = BW4G };
	struct sim_params sp = { .bw = BW4G, .slow_factor = 3.0, .warm_steps = 1 };
	struct plan_schedule s;
	struct sim_result r;
	uint32_t W, ws, ws2;

	fx_reset(&f);
	W = fx_obj(&f, 1, 8 * MiB, SENTINEL_KIND_WEIGHT, 0);
	ws = fx_obj(&f, 2, MiB, SENTINEL_KIND_WORKSPACE, 0);
	ws2 = fx_obj(&f, 3, MiB, SENTINEL_KIND_ACTIVATION, SENTINEL_OBJ_F_SHORT_LIVED);
	fx_layer(&f, MS);
	fx_touch(&f, W, 2048);
	fx_touch(&f, ws, 256);
	fx_layer(&f, MS);
	fx_touch(&f, W, 2048);
	fx_touch(&f, ws2, 256);
	ok(!plan_build(fx_in(&f), &p, &s, msg, sizeof(msg)), "infeasible: planned anyway");
	ok((s.flags & PLAN_F_INFEASIBLE) && (s.flags & PLAN_F_TOO_BIG) &&
	   s.lower_bound == 9 * MiB && strstr(s.reason, "infeasible"),
	   "infeasible: reported with the lower bound (%s)", s.reason);
	ok(s.objs[W].cls == PLAN_CLS_TOO_BIG && s.objs[ws].cls == PLAN_CLS_SHORT &&
	   s.objs[ws2].cls == PLAN_CLS_SHORT, "infeasible: the weight stays slow");
	ok(checked(&p, &s, &r) && r.max_fast <= 8 * MiB, "infeasible: never over budget");
	ok(!plan_simulate(fx_in(&f), &s, &sp, &r, NULL) &&
	   r.step_ns == 2 * (MS + (uint64_t)llround(MS * 2.0 * 8.0 / 9.0)),
	   "infeasible: modeled step time %llu", (unsigned long long)r.step_ns);
	plan_free(&s);
}

static void all_short(void)
{
	struct plan_params p = { .fast_budget = 2 * MiB, .bw = BW4G };
	struct plan_schedule s;
	struct sim_result r;
	bool cls = true;

	fx_reset(&f);
	for (int l = 0; l < 5; l++) {
		uint32_t o = fx_obj(&f, 50 + l, MiB, SENTINEL_KIND_WORKSPACE, 0);

		fx_layer(&f, MS);
		fx_touch(&f, o, 256);
	}
	ok(!plan_build(fx_in(&f), &p, &s, msg, sizeof(msg)) &&
	   s.short_reserve == MiB && s.peak_short == MiB && !s.nr_moves &&
	   !s.flags, "short: reservation = peak (1 MiB), no moves");
	for (uint32_t o = 0; o < f.no; o++)
		cls &= s.objs[o].cls == PLAN_CLS_SHORT && s.objs[o].initial;
	ok(cls, "short: all in the fast region");
	ok(checked(&p, &s, &r) && r.hit_ratio == 1.0 && r.max_fast == MiB,
	   "short: all hits, 1 MiB used");
	plan_free(&s);

	p.short_reserve = 256 << 10;
	ok(!plan_build(fx_in(&f), &p, &s, msg, sizeof(msg)) &&
	   (s.flags & PLAN_F_RESERVE_RAISED) && s.short_reserve == MiB,
	   "short: a small reservation is raised to the peak");
	plan_free(&s);

	p.short_reserve = 0;
	p.fast_budget = 512 << 10;
	cls = true;
	ok(!plan_build(fx_in(&f), &p, &s, msg, sizeof(msg)) &&
	   (s.flags & PLAN_F_SHORT_OVERFLOW) && (s.flags & PLAN_F_INFEASIBLE),
	   "short: peak above the budget is reported");
	for (uint32_t o = 0; o < f.no; o++)
		cls &= s.objs[o].cls == PLAN_CLS_SHORT_SLOW;
	ok(cls && checked(&p, &s, &r) && r.max_fast == 0 && r.hit_ratio == 0.0,
	   "short: they stay slow, nothing overruns");
	plan_free(&s);
}

static void huge_weight(void)
{
	struct plan_params p = { .fast_budget = 50 * MiB, .bw = BW4G };
	struct plan_schedule s;
	struct sim_result r;
	uint32_t H, w[4];

	fx_reset(&f);
	H = fx_obj(&f, 7, 100 * MiB, SENTINEL_KIND_WEIGHT, 0);
	for (int i = 0; i < 4; i++)
		w[i] = fx_obj(&f, 8 + i, MiB, SENTINEL_KIND_WEIGHT, 0);
	for (int l = 0; l < 4; l++) {
		fx_layer(&f, MS);
		fx_touch(&f, H, 25600);
		fx_touch(&f, w[l], 256);
	}
	ok(!plan_build(fx_in(&f), &p, &s, msg, sizeof(msg)), "huge: planned");
	ok(s.objs[H].cls == PLAN_CLS_TOO_BIG && (s.flags & PLAN_F_INFEASIBLE) &&
	   s.interval == 4 && !s.nr_moves, "huge: the weight stays slow, the rest resident");
	ok(checked(&p, &s, &r), "huge: invariants");
	plan_free(&s);

	p.fast_budget = 120 * MiB;
	ok(!plan_build(fx_in(&f), &p, &s, msg, sizeof(msg)) &&
	   s.objs[H].cls == PLAN_CLS_RESIDENT && !(s.flags & PLAN_F_INFEASIBLE) &&
	   checked(&p, &s, &r) && r.hit_ratio == 1.0,
	   "huge: with room it is resident");
	plan_free(&s);
}

static void forward_backward(void)
{
	struct plan_params p = { .fast_budget = 3 * MiB, .bw = BW4G,
				 .pin_budget = PLAN_PIN_NONE };
	struct sim_params sp = { .bw = BW4G, .slow_factor = 2.0, .warm_steps = 1,
				 .wait_late = 1 };
	struct plan_schedule s;
	struct sim_result r;
	uint32_t w[4], a[4];
	bool twice = true;

	fx_reset(&f);
	for (int i = 0; i < 4; i++) {
		w[i] = fx_obj(&f, 200 + i, MiB, SENTINEL_KIND_WEIGHT, 0);
		a[i] = fx_obj(&f, 300 + i, MiB, SENTINEL_KIND_ACTIVATION, 0);
	}
	for (int l = 0; l < 8; l++) {
		int i = l < 4 ? l : 7 - l;

		fx_layer(&f, MS);
		f.layers[f.nl - 1].direction = l < 4 ? SENTINEL_DIR_FORWARD :
						      SENTINEL_DIR_BACKWARD;
		fx_touch(&f, w[i], 256);
		fx_touch(&f, a[i], 256);
	}
	ok(!plan_build(fx_in(&f), &p, &s, msg, sizeof(msg)), "fwd/bwd: planned");
	is_u64(s.interval, 1, "fwd/bwd: only N = 1 fits");
	/* Steps repeat: B0 -> F0 and F3 -> B3 are adjacent layers. */
	for (int i = 1; i < 3; i++)
		twice &= promotions_of(&s, w[i]) == 2 && promotions_of(&s, a[i]) == 2;
	ok(twice && promotions_of(&s, w[3]) == 1 && promotions_of(&s, a[3]) == 1 &&
	   promotions_of(&s, w[0]) == 1 && promotions_of(&s, a[0]) == 1,
	   "fwd/bwd: objects needed twice are promoted twice, at the turns once");
	ok(s.objs[w[0]].group && s.objs[w[0]].group == s.objs[a[0]].group &&
	   s.objs[w[1]].group != s.objs[w[0]].group && s.nr_groups == 4,
	   "fwd/bwd: each weight grouped with its activation");
	ok(checked(&p, &s, &r), "fwd/bwd: invariants");
	ok(!plan_simulate(fx_in(&f), &s, &sp, &r, NULL) && r.hit_ratio == 1.0 &&
	   r.stall_ns > 0 && r.step_ns == 8 * MS + r.stall_ns,
	   "fwd/bwd: waiting for late copies trades hits for stalls");
	plan_free(&s);

	/* Pinning: a small hot object used far apart. */
	uint32_t hot;

	fx_reset(&f);
	for (int i = 0; i < 4; i++) {
		w[i] = fx_obj(&f, 200 + i, MiB, SENTINEL_KIND_WEIGHT, 0);
		a[i] = fx_obj(&f, 300 + i, MiB, SENTINEL_KIND_ACTIVATION, 0);
	}
	hot = fx_obj(&f, 999, 64 << 10, SENTINEL_KIND_OTHER, 0);
	for (int l = 0; l < 8; l++) {
		int i = l < 4 ? l : 7 - l;

		fx_layer(&f, MS);
		fx_touch(&f, w[i], 256);
		fx_touch(&f, a[i], 256);
		if (l % 4 == 1)
			fx_touch(&f, hot, 16);
	}
	p.fast_budget = 3 * MiB + (64 << 10);
	p.pin_budget = 0;
	p.pin_max_obj = 64 << 10;
	ok(!plan_build(fx_in(&f), &p, &s, msg, sizeof(msg)) &&
	   s.objs[hot].cls == PLAN_CLS_PINNED && s.pinned_bytes == (64 << 10) &&
	   !promotions_of(&s, hot) && checked(&p, &s, &r),
	   "pin: a hot small object stays fast all step");
	plan_free(&s);
}

static void baselines(void)
{
	struct plan_params p = { .fast_budget = MiB, .bw = BW4G };
	struct plan_schedule s;
	struct sim_result r1, r2;
	uint32_t A, B, C;

	fx_reset(&f);
	A = fx_obj(&f, 1, MiB, SENTINEL_KIND_WEIGHT, 0);
	B = fx_obj(&f, 2, MiB, SENTINEL_KIND_WEIGHT, 0);
	C = fx_obj(&f, 3, MiB, SENTINEL_KIND_WEIGHT, 0);
	fx_layer(&f, MS);
	fx_touch(&f, B, 256);
	fx_touch(&f, A, 256);
	fx_layer(&f, MS);
	fx_touch(&f, A, 256);
	fx_touch(&f, C, 256);
	fx_layer(&f, MS);
	fx_touch(&f, A, 256);
	ok(!plan_first_touch(fx_in(&f), &p, &s, msg, sizeof(msg)) &&
	   s.objs[B].cls == PLAN_CLS_STATIC_FAST && s.objs[A].cls == PLAN_CLS_STATIC_SLOW &&
	   checked(&p, &s, &r1), "first-touch: the first object touched wins");
	plan_free(&s);
	ok(!plan_static(fx_in(&f), &p, &s, msg, sizeof(msg)) &&
	   s.objs[A].cls == PLAN_CLS_STATIC_FAST && s.objs[B].cls == PLAN_CLS_STATIC_SLOW &&
	   s.objs[C].cls == PLAN_CLS_STATIC_SLOW && checked(&p, &s, &r2),
	   "static: the most accessed per byte wins");
	ok(r2.hit_ratio > r1.hit_ratio, "static beats first-touch here (%.2f > %.2f)",
	   r2.hit_ratio, r1.hit_ratio);
	plan_free(&s);
}

static void bad_input(void)
{
	struct plan_params p = { .fast_budget = MiB, .bw = BW4G };
	struct plan_schedule s;
	struct sim_result r;
	struct sim_params sp = { .bw = BW4G, .slow_factor = 1.0 };
	const struct plan_input *in;

	fx_reset(&f);
	fx_obj(&f, 1, MiB, SENTINEL_KIND_WEIGHT, 0);
	fx_obj(&f, 2, MiB, SENTINEL_KIND_WEIGHT, 0);
	fx_layer(&f, MS);
	fx_touch(&f, 0, 1);
	in = fx_in(&f);

	p.bw = 0;
	ok(plan_build(in, &p, &s, msg, sizeof(msg)) == -EINVAL &&
	   strstr(msg, "bandwidth"), "bad: no bandwidth (%s)", msg);
	p.bw = BW4G;
	f.acc[0].obj = 5;
	ok(plan_build(in, &p, &s, msg, sizeof(msg)) == -EINVAL && !s.objs,
	   "bad: access to an unknown object (%s)", msg);
	f.acc[0].obj = 0;
	f.objs[1].id = 1;
	ok(plan_build(in, &p, &s, msg, sizeof(msg)) == -EINVAL,
	   "bad: duplicate ids (%s)", msg);
	f.objs[1].id = 2;
	fx_touch(&f, 0, 1);
	in = fx_in(&f);
	ok(plan_build(in, &p, &s, msg, sizeof(msg)) == -EINVAL,
	   "bad: an object twice in a layer (%s)", msg);
	f.na = 1;
	f.layers[0].count = 1;
	in = fx_in(&f);
	f.layers[0].count = 7;
	ok(plan_build(in, &p, &s, msg, sizeof(msg)) == -EINVAL,
	   "bad: layer accesses out of range (%s)", msg);
	f.layers[0].count = 1;
	f.objs[0].bytes = PLAN_MAX_OBJ_BYTES + 1;
	ok(plan_build(in, &p, &s, msg, sizeof(msg)) == -EINVAL,
	   "bad: object too large (%s)", msg);
	f.objs[0].bytes = PLAN_MAX_OBJ_BYTES;
	f.objs[1].bytes = PLAN_MAX_OBJ_BYTES;
	ok(!plan_build(in, &p, &s, msg, sizeof(msg)) && (s.flags & PLAN_F_INFEASIBLE),
	   "big: 64 PiB objects are planned (and do not fit)");
	f.in.nr_layers = 0;
	ok(plan_simulate(in, &s, &sp, &r, NULL) == -EINVAL,
	   "sim: a schedule of another input is refused");
	plan_free(&s);
	f.objs[0].bytes = f.objs[1].bytes = MiB;
	in = fx_in(&f);
	f.in.nr_layers = 0;
	ok(!plan_build(in, &p, &s, msg, sizeof(msg)) && s.interval == 0 &&
	   s.objs[0].cls == PLAN_CLS_COLD && !plan_simulate(in, &s, &sp, &r, NULL),
	   "empty step: everything cold");
	plan_free(&s);
}

int main(void)
{
	tap_plan(51);
	fx_init(&f, 64, 64, 256);
	everything_fits();
	chain_20_percent();
	infeasible();
	all_short();
	huge_weight();
	forward_backward();
	baselines();
	bad_input();
	fx_free(&f);
	return tap_done();
}
