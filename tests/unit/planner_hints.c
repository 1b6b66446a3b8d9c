// SPDX-License-Identifier: GPL-2.0
/*
 * Placement hints (SENTINEL_OBJ_F_PIN_FAST, NEVER_PROMOTE, PREFER_FAST,
 * PREFER_SLOW) in plan_build(), plan_static() and plan_hybrid(): a pinned
 * object is fast all step and never moved, a never-promoted one slow all
 * step, the preferences tip the ranking, pins beyond S - RS are refused
 * with a flag and a reason, and hints the module would refuse (two at
 * once, on a short-lived object) change nothing.
 */
#include <errno.h>
#include <string.h>

#include "tap.h"
#include "planner_fixture.h"

#define MS 1000000ULL
#define KiB 1024ULL
#define BW4G (4ULL << 30)

static struct fx f;
static char msg[512];

static bool checked(const struct plan_params *p, const struct plan_schedule *s)
{
	struct sim_result r;

	return fx_checked(&f, p, s, &r);
}

static uint32_t moves_of(const struct plan_schedule *s, uint32_t o)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < s->nr_moves; i++)
		n += s->moves[i].obj == o;
	return n;
}

/*
 * Eight layers of 1 ms, four 1 MiB weights each read in forward layer i
 * and backward layer 7 - i; @big (256 KiB) read once, one page, in layer
 * 0: the least accessed per byte; @hot (64 KiB) read whole in every
 * layer: the most.
 */
static void fwd_bwd(unsigned int big_flags, unsigned int hot_flags, uint32_t *big,
		    uint32_t *hot)
{
	uint32_t w[4];

	fx_reset(&f);
	for (int i = 0; i < 4; i++)
		w[i] = fx_obj(&f, 200 + i, MiB, SENTINEL_KIND_WEIGHT, 0);
	*big = fx_obj(&f, 900, 256 * KiB, SENTINEL_KIND_OTHER, big_flags);
	*hot = fx_obj(&f, 901, 64 * KiB, SENTINEL_KIND_OTHER, hot_flags);
	for (int l = 0; l < 8; l++) {
		fx_layer(&f, MS);
		fx_touch(&f, w[l < 4 ? l : 7 - l], 256);
		fx_touch(&f, *hot, 16);
		if (!l)
			fx_touch(&f, *big, 1);
	}
}

static void pin_and_never(void)
{
	struct plan_params p = { .fast_budget = 2 * MiB + 256 * KiB, .bw = BW4G,
				 .pin_budget = PLAN_PIN_NONE };
	struct plan_hybrid_params hp = { 0 };
	struct plan_schedule s;
	uint32_t big, hot;

	fwd_bwd(0, 0, &big, &hot);
	ok(!plan_static(fx_in(&f), &p, &s, msg, sizeof(msg)) &&
	   s.objs[hot].cls == PLAN_CLS_STATIC_FAST &&
	   s.objs[big].cls == PLAN_CLS_STATIC_SLOW,
	   "no hints: static keeps the hot object fast, the cold one slow");
	plan_free(&s);

	fwd_bwd(SENTINEL_OBJ_F_PIN_FAST, SENTINEL_OBJ_F_NEVER_PROMOTE, &big, &hot);
	ok(!plan_build(fx_in(&f), &p, &s, msg, sizeof(msg)) &&
	   s.objs[big].cls == PLAN_CLS_HINT_FAST && s.objs[big].initial == PLAN_FAST &&
	   s.objs[big].birth == PLAN_FAST && !moves_of(&s, big) &&
	   s.pinned_bytes == 256 * KiB && !(s.flags & PLAN_F_PINS_REFUSED),
	   "interval plan: PIN_FAST fast all step, never moved");
	ok(s.objs[hot].cls == PLAN_CLS_HINT_SLOW && s.objs[hot].initial == PLAN_SLOW &&
	   s.objs[hot].birth == PLAN_SLOW && !moves_of(&s, hot),
	   "interval plan: NEVER_PROMOTE slow all step, never moved");
	ok(s.nr_moves > 0 && checked(&p, &s),
	   "interval plan: the weights still migrate; invariants hold");
	plan_free(&s);

	ok(!plan_static(fx_in(&f), &p, &s, msg, sizeof(msg)) &&
	   s.objs[big].cls == PLAN_CLS_HINT_FAST && s.objs[big].initial == PLAN_FAST &&
	   s.objs[hot].cls == PLAN_CLS_HINT_SLOW && s.objs[hot].initial == PLAN_SLOW &&
	   s.pinned_bytes == 256 * KiB && s.initial_fast <= s.long_budget,
	   "static: PIN_FAST fast, NEVER_PROMOTE slow, within S - RS");
	plan_free(&s);

	ok(!plan_hybrid(fx_in(&f), &p, &hp, &s, msg, sizeof(msg)) &&
	   s.objs[big].cls == PLAN_CLS_HINT_FAST && s.objs[big].initial == PLAN_FAST &&
	   !moves_of(&s, big) && s.objs[hot].cls == PLAN_CLS_HINT_SLOW &&
	   s.objs[hot].initial == PLAN_SLOW && !moves_of(&s, hot),
	   "hybrid: PIN_FAST fixed fast, NEVER_PROMOTE slow, neither windowed");
	plan_free(&s);
}

/*
 * Two 1 MiB objects for 1 MiB of long-lived budget: @a read whole in two
 * layers, @b in one (half @a's accesses per byte).
 */
static void two_for_one(unsigned int a_flags, unsigned int b_flags, uint32_t *a,
			uint32_t *b)
{
	fx_reset(&f);
	*a = fx_obj(&f, 1, MiB, SENTINEL_KIND_WEIGHT, a_flags);
	*b = fx_obj(&f, 2, MiB, SENTINEL_KIND_WEIGHT, b_flags);
	fx_layer(&f, MS);
	fx_touch(&f, *a, 256);
	fx_touch(&f, *b, 256);
	fx_layer(&f, MS);
	fx_touch(&f, *a, 256);
}

static bool static_fast(unsigned int a_flags, unsigned int b_flags, bool want_a)
{
	struct plan_params p = { .fast_budget = MiB, .bw = BW4G };
	struct plan_schedule s;
	uint32_t a, b;
	bool res;

	two_for_one(a_flags, b_flags, &a, &b);
	if (plan_static(fx_in(&f), &p, &s, msg, sizeof(msg)))
		return false;
	res = s.objs[want_a ? a : b].cls == PLAN_CLS_STATIC_FAST &&
	      s.objs[want_a ? b : a].cls == PLAN_CLS_STATIC_SLOW;
	plan_free(&s);
	return res;
}

static void preferences(void)
{
	ok(static_fast(0, 0, true), "no preference: the more accessed object is fast");
	ok(static_fast(0, SENTINEL_OBJ_F_PREFER_FAST, false),
	   "PREFER_FAST lifts the less accessed object above the other");
	ok(static_fast(SENTINEL_OBJ_F_PREFER_SLOW, 0, false),
	   "PREFER_SLOW puts the more accessed object below the other");
	ok(static_fast(SENTINEL_OBJ_F_PREFER_FAST, SENTINEL_OBJ_F_PREFER_FAST, true),
	   "both preferred: the accesses decide again");
}

static void pins_beyond_budget(void)
{
	struct plan_params p = { .fast_budget = 2 * MiB, .bw = BW4G };
	struct plan_schedule s;
	uint32_t o[3], pinned = 0;

	fx_reset(&f);
	for (int i = 0; i < 3; i++)
		o[i] = fx_obj(&f, 10 + i, MiB, SENTINEL_KIND_WEIGHT, SENTINEL_OBJ_F_PIN_FAST);
	for (int l = 0; l < 3; l++) {
		fx_layer(&f, MS);
		fx_touch(&f, o[l], 256);
	}
	ok(!plan_build(fx_in(&f), &p, &s, msg, sizeof(msg)) &&
	   (s.flags & PLAN_F_PINS_REFUSED) && s.pins_refused == 1 &&
	   s.pins_refused_bytes == MiB && s.pinned_bytes == 2 * MiB &&
	   strstr(s.reason, "pins refused"),
	   "interval plan: three 1 MiB pins for 2 MiB: one refused (%s)", s.reason);
	for (int i = 0; i < 3; i++)
		pinned += s.objs[o[i]].cls == PLAN_CLS_HINT_FAST;
	ok(pinned == 2 && checked(&p, &s), "interval plan: two pinned, invariants hold");
	plan_free(&s);

	ok(!plan_static(fx_in(&f), &p, &s, msg, sizeof(msg)) &&
	   (s.flags & PLAN_F_PINS_REFUSED) && s.pins_refused == 1 &&
	   s.pinned_bytes == 2 * MiB && s.planned_peak <= p.fast_budget,
	   "static: one pin refused, the budget holds");
	plan_free(&s);
}

static void refused_hints_ignored(void)
{
	struct plan_params p = { .fast_budget = MiB, .bw = BW4G };
	struct plan_schedule s;
	uint32_t ws, a, b;

	fx_reset(&f);
	ws = fx_obj(&f, 1, 64 * KiB, SENTINEL_KIND_WORKSPACE, SENTINEL_OBJ_F_NEVER_PROMOTE);
	fx_layer(&f, MS);
	fx_touch(&f, ws, 16);
	ok(!plan_build(fx_in(&f), &p, &s, msg, sizeof(msg)) &&
	   s.objs[ws].cls == PLAN_CLS_SHORT && checked(&p, &s),
	   "a short-lived object takes no hint: still in the fast region");
	plan_free(&s);

	ok(static_fast(SENTINEL_OBJ_F_PIN_FAST | SENTINEL_OBJ_F_NEVER_PROMOTE, 0, true),
	   "two hints at once: none applies");
	two_for_one(0, SENTINEL_OBJ_F_PIN_FAST | SENTINEL_OBJ_F_PREFER_SLOW, &a, &b);
	ok(plan_obj_hint(&f.objs[b]) == 0 &&
	   plan_obj_hint(&f.objs[a]) == 0, "plan_obj_hint() of two hints is 0");
}

int main(void)
{
	tap_plan(16);
	fx_init(&f, 16, 16, 64);
	pin_and_never();
	preferences();
	pins_beyond_budget();
	refused_hints_ignored();
	fx_free(&f);
	return tap_done();
}
