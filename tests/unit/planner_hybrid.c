// SPDX-License-Identifier: GPL-2.0
/*
 * plan_hybrid(): windows that pay are planned, windows that do not are
 * not, the budget holds, and the simulator finds the schedule consistent.
 */
#include <errno.h>

#include "tap.h"
#include "planner_fixture.h"

#define MS 1000000ULL
#define KiB 1024ULL
#define BW4G (4ULL << 30)

static struct fx f;
static char msg[512];

static struct sim_result simulate(const struct plan_schedule *s, uint64_t bw)
{
	struct sim_params sp = { .bw = bw, .slow_factor = 3.0, .wait_late = 1, .warm_steps = 1 };
	struct sim_result r = { 0 };

	if (plan_simulate(fx_in(&f), s, &sp, &r, NULL))
		diag("simulation failed: %s", r.error);
	return r;
}

static uint32_t count_moves(const struct plan_schedule *s, uint32_t o, uint8_t op)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < s->nr_moves; i++)
		n += s->moves[i].obj == o && s->moves[i].op == op;
	return n;
}

/*
 * Twelve layers of 1 ms; three 512 KiB activations, each touched in two
 * layers of its own (2-3, 6-7, 9-10); 1 MiB of fast memory.  No fixed
 * placement holds all three; windows do.
 */
static void three_windows(uint32_t *o)
{
	static const uint32_t uses[3][2] = { { 2, 3 }, { 6, 7 }, { 9, 10 } };

	fx_reset(&f);
	for (int i = 0; i < 3; i++)
		o[i] = fx_obj(&f, 10 + i, 512 * KiB, SENTINEL_KIND_ACTIVATION, 0);
	for (uint32_t l = 0; l < 12; l++) {
		fx_layer(&f, MS);
		for (int i = 0; i < 3; i++)
			if (uses[i][0] == l || uses[i][1] == l)
				fx_touch(&f, o[i], 128);
	}
}

static void windows_that_pay(void)
{
	struct plan_params p = { .fast_budget = MiB, .bw = BW4G };
	struct plan_schedule h, s;
	struct sim_result rh, rs;
	uint32_t o[3];
	bool each = true;

	three_windows(o);
	ok(!plan_hybrid(fx_in(&f), &p, NULL, &h, msg, sizeof(msg)), "hybrid: planned (%s)", msg);
	ok(!plan_static(fx_in(&f), &p, &s, msg, sizeof(msg)), "static: planned");
	rh = simulate(&h, p.bw);
	rs = simulate(&s, p.bw);
	for (int i = 0; i < 3; i++)
		each &= h.objs[o[i]].cls == PLAN_CLS_MIGRATED &&
			count_moves(&h, o[i], PLAN_PROMOTE) == 1 &&
			count_moves(&h, o[i], PLAN_DEMOTE) == 1 && h.objs[o[i]].birth == PLAN_FAST &&
			h.objs[o[i]].initial == PLAN_SLOW;
	ok(each && h.nr_moves == 6 && !(h.flags & PLAN_F_BASELINE) && h.interval == 0,
	   "hybrid: each activation promoted once and demoted once, born fast");
	ok(rh.errors == 0 && rh.over_budget == 0 && rh.max_fast <= p.fast_budget && rh.late == 0,
	   "hybrid: consistent, within the budget, never late (errors %llu, over %llu, max %llu, late %u)",
	   (unsigned long long)rh.errors, (unsigned long long)rh.over_budget,
	   (unsigned long long)rh.max_fast, rh.late);
	ok(rh.hit_ratio == 1.0 && rs.hit_ratio < 0.7,
	   "hybrid: every touched byte fast (%.2f); static: two of three (%.2f)", rh.hit_ratio,
	   rs.hit_ratio);
	ok(rh.step_ns < rs.step_ns, "hybrid models faster than static (%llu < %llu ns)",
	   (unsigned long long)rh.step_ns, (unsigned long long)rs.step_ns);
	plan_free(&h);
	plan_free(&s);
}

static void windows_that_do_not_pay(void)
{
	/* 100 MB/s: a 512 KiB copy takes 5.2 ms, more than a window saves. */
	struct plan_params p = { .fast_budget = MiB, .bw = 100000000ULL };
	struct plan_schedule h, s;
	bool same = true;
	uint32_t o[3];

	three_windows(o);
	ok(!plan_hybrid(fx_in(&f), &p, NULL, &h, msg, sizeof(msg)) &&
	   !plan_static(fx_in(&f), &p, &s, msg, sizeof(msg)), "slow copies: planned");
	for (int i = 0; i < 3; i++)
		same &= (h.objs[o[i]].cls == PLAN_CLS_STATIC_FAST) ==
			(s.objs[o[i]].cls == PLAN_CLS_STATIC_FAST);
	ok(h.nr_moves == 0 && same, "slow copies: no move, the static placement (%u moves)",
	   h.nr_moves);
	plan_free(&h);
	plan_free(&s);
}

/* A weight every layer reads stays fast all step; windows use the rest. */
static void fixed_and_windows(void)
{
	struct plan_params p = { .fast_budget = MiB + 512 * KiB, .bw = BW4G };
	struct plan_schedule h;
	struct sim_result r;
	uint32_t o[3], w;

	three_windows(o);
	w = fx_obj(&f, 20, 512 * KiB, SENTINEL_KIND_WEIGHT, 0);
	for (uint32_t l = 0; l < f.nl; l++)
		f.layers[l].count = 0;
	{	/* rebuild the accesses with the weight in every layer */
		static const uint32_t uses[3][2] = { { 2, 3 }, { 6, 7 }, { 9, 10 } };

		f.na = 0;
		for (uint32_t l = 0; l < f.nl; l++) {
			f.layers[l].first = f.na;
			f.acc[f.na++] = (struct plan_access){ .obj = w, .pages = 128 };
			f.layers[l].count = 1;
			for (int i = 0; i < 3; i++)
				if (uses[i][0] == l || uses[i][1] == l) {
					f.acc[f.na++] = (struct plan_access){ .obj = o[i],
									      .pages = 128 };
					f.layers[l].count++;
				}
		}
	}
	ok(!plan_hybrid(fx_in(&f), &p, NULL, &h, msg, sizeof(msg)), "weight: planned");
	r = simulate(&h, p.bw);
	ok(h.objs[w].cls == PLAN_CLS_STATIC_FAST && h.objs[w].initial == PLAN_FAST &&
	   count_moves(&h, w, PLAN_PROMOTE) == 0 && h.initial_fast == 512 * KiB,
	   "weight: fast all step, never moved");
	ok(r.errors == 0 && r.over_budget == 0 && r.max_fast <= p.fast_budget,
	   "weight: consistent and within the budget (max %llu of %llu)",
	   (unsigned long long)r.max_fast, (unsigned long long)p.fast_budget);
	plan_free(&h);
}

/*
 * One activation read in every fourth of 32 layers, the budget its size:
 * one window per use, two moves each (more moves than accesses).
 */
static void many_windows(void)
{
	struct plan_params p = { .fast_budget = 512 * KiB, .bw = BW4G };
	struct plan_schedule h;
	struct sim_result r;
	uint32_t a, n = 0;

	fx_reset(&f);
	a = fx_obj(&f, 30, 512 * KiB, SENTINEL_KIND_ACTIVATION, 0);
	for (uint32_t l = 0; l < 32; l++) {
		fx_layer(&f, MS);
		if (l % 4 == 1) {
			fx_touch(&f, a, 128);
			n++;
		}
	}
	ok(!plan_hybrid(fx_in(&f), &p, NULL, &h, msg, sizeof(msg)), "many windows: planned");
	r = simulate(&h, p.bw);
	ok(count_moves(&h, a, PLAN_PROMOTE) == n && count_moves(&h, a, PLAN_DEMOTE) == n &&
	   r.errors == 0 && r.over_budget == 0 && r.late == 0 && r.hit_ratio == 1.0,
	   "many windows: %u round trips of one object, consistent and in time (%u moves)", n,
	   h.nr_moves);
	plan_free(&h);
}

static void bad_parameters(void)
{
	struct plan_params p = { .fast_budget = MiB, .bw = BW4G };
	struct plan_hybrid_params hp = { .channel_share = 1.5 };
	struct plan_schedule h;
	uint32_t o[3];

	three_windows(o);
	ok(plan_hybrid(fx_in(&f), &p, &hp, &h, msg, sizeof(msg)) == -EINVAL &&
	   h.nr_moves == 0 && !h.objs, "channel share over 1: EINVAL (%s)", msg);
	hp = (struct plan_hybrid_params){ .pay_factor = -1 };
	ok(plan_hybrid(fx_in(&f), &p, &hp, &h, msg, sizeof(msg)) == -EINVAL,
	   "negative pay factor: EINVAL");
	p.bw = 0;
	ok(plan_hybrid(fx_in(&f), &p, NULL, &h, msg, sizeof(msg)) == -EINVAL,
	   "no bandwidth: EINVAL (%s)", msg);
}

int main(void)
{
	tap_plan(16);
	fx_init(&f, 16, 32, 64);
	windows_that_pay();
	windows_that_do_not_pay();
	fixed_and_windows();
	many_windows();
	bad_parameters();
	fx_free(&f);
	return tap_done();
}
