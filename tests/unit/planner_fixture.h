/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Building planner inputs by hand, and an independent checker of a
 * schedule's invariants (with the simulator), for the planner tests.
 */
#ifndef PLANNER_FIXTURE_H
#define PLANNER_FIXTURE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planner.h"
#include "sim.h"

#define MiB (1ULL << 20)

struct fx {
	struct plan_object *objs;
	struct plan_layer *layers;
	struct plan_access *acc;
	uint32_t no, nl, na, maxo, maxl, maxa;
	struct plan_input in;
};

static inline void fx_init(struct fx *f, uint32_t maxo, uint32_t maxl,
			   uint32_t maxa)
{
	memset(f, 0, sizeof(*f));
	f->objs = calloc(maxo + 1, sizeof(*f->objs));
	f->layers = calloc(maxl + 1, sizeof(*f->layers));
	f->acc = calloc(maxa + 1, sizeof(*f->acc));
	if (!f->objs || !f->layers || !f->acc)
		abort();
	f->maxo = maxo;
	f->maxl = maxl;
	f->maxa = maxa;
}

static inline void fx_reset(struct fx *f)
{
	f->no = f->nl = f->na = 0;
}

static inline void fx_free(struct fx *f)
{
	free(f->objs);
	free(f->layers);
	free(f->acc);
	memset(f, 0, sizeof(*f));
}

static inline uint32_t fx_obj(struct fx *f, uint64_t id, uint64_t bytes,
			      unsigned int kind, unsigned int flags)
{
	struct plan_object *o = &f->objs[f->no];

	if (f->no >= f->maxo)
		abort();
	memset(o, 0, sizeof(*o));
	o->id = id;
	o->bytes = bytes;
	o->kind = kind;
	o->flags = flags;
	o->order = f->no;
	return f->no++;
}

static inline uint32_t fx_layer(struct fx *f, uint64_t ns)
{
	struct plan_layer *l = &f->layers[f->nl];

	if (f->nl >= f->maxl)
		abort();
	memset(l, 0, sizeof(*l));
	l->layer = f->nl;
	l->direction = SENTINEL_DIR_FORWARD;
	l->first = f->na;
	l->compute_ns = ns;
	return f->nl++;
}

/* Touch object @o in the last layer added. */
static inline void fx_touch(struct fx *f, uint32_t o, uint64_t pages)
{
	if (f->na >= f->maxa || !f->nl)
		abort();
	f->acc[f->na].obj = o;
	f->acc[f->na].reserved = 0;
	f->acc[f->na].pages = pages;
	f->na++;
	f->layers[f->nl - 1].count++;
}

static inline const struct plan_input *fx_in(struct fx *f)
{
	f->in.objs = f->objs;
	f->in.nr_objs = f->no;
	f->in.layers = f->layers;
	f->in.nr_layers = f->nl;
	f->in.acc = f->acc;
	f->in.nr_acc = f->na;
	f->in.page_size = 4096;
	return &f->in;
}

static inline __attribute__((format(printf, 3, 4))) int
ck_fail(char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	return -1;
}

static inline bool ck_short(const struct plan_object *o)
{
	return o->kind == SENTINEL_KIND_WORKSPACE ||
	       (o->flags & SENTINEL_OBJ_F_SHORT_LIVED);
}

/*
 * Check every invariant of a schedule made by plan_build(); 0, or -1 with
 * the first violation in @msg.  @sim_out, when not NULL, gets the
 * simulation (bandwidth p->bw, no slowdown, one warm-up step).
 */
static inline int check_schedule(const struct plan_input *in,
				 const struct plan_params *p,
				 const struct plan_schedule *s, char *msg,
				 size_t len, struct sim_result *sim_out)
{
	uint32_t no = in->nr_objs, nl = in->nr_layers, N = s->interval;
	uint32_t K = s->nr_intervals;
	uint32_t *nuse = calloc(no + 1, sizeof(*nuse));
	uint64_t *shortb = calloc(nl + 1, sizeof(*shortb));
	uint64_t *occ = calloc(nl + 1, sizeof(*occ));
	uint8_t *st = calloc(no + 1, 1);
	uint64_t always = 0, maxl = 0, peak, largest = 0, rs, lb, o_long = 0;
	struct sim_params sp = { .bw = p->bw, .slow_factor = 1.0, .warm_steps = 1 };
	struct sim_result r;
	int ret = -1;

	if (!nuse || !shortb || !occ || !st)
		abort();
	if (s->flags & PLAN_F_BASELINE)
		goto simulate;
	for (uint32_t b = 0; b < nl; b++)
		for (uint32_t a = 0; a < in->layers[b].count; a++)
			nuse[in->acc[in->layers[b].first + a].obj]++;
	for (uint32_t o = 0; o < no; o++)
		if (ck_short(&in->objs[o]) && nuse[o] != 1)
			always += in->objs[o].bytes;
	for (uint32_t b = 0; b < nl; b++) {
		uint64_t x = 0;

		for (uint32_t a = 0; a < in->layers[b].count; a++) {
			uint32_t o = in->acc[in->layers[b].first + a].obj;

			if (ck_short(&in->objs[o]) && nuse[o] == 1)
				x += in->objs[o].bytes;
		}
		maxl = x > maxl ? x : maxl;
	}
	peak = always + maxl;
	for (uint32_t o = 0; o < no; o++)
		if (!ck_short(&in->objs[o]) && nuse[o] && in->objs[o].bytes > largest &&
		    plan_obj_hint(&in->objs[o]) != SENTINEL_OBJ_F_NEVER_PROMOTE)
			largest = in->objs[o].bytes;
	rs = p->short_reserve > peak ? p->short_reserve : peak;
	if (rs > p->fast_budget)
		rs = p->fast_budget;
	lb = p->fast_budget - rs;

	if (s->peak_short != peak || s->largest_long != largest ||
	    s->long_budget != lb) {
		ck_fail(msg, len, "peak short %llu/%llu, largest %llu/%llu, LB %llu/%llu",
			(unsigned long long)s->peak_short, (unsigned long long)peak,
			(unsigned long long)s->largest_long, (unsigned long long)largest,
			(unsigned long long)s->long_budget, (unsigned long long)lb);
		goto out;
	}
	if (!!(s->flags & PLAN_F_INFEASIBLE) != (peak + largest > p->fast_budget)) {
		ck_fail(msg, len, "infeasible flag %d, but peak short %llu + largest %llu vs S %llu",
			!!(s->flags & PLAN_F_INFEASIBLE), (unsigned long long)peak,
			(unsigned long long)largest,
			(unsigned long long)p->fast_budget);
		goto out;
	}
	if (!!(s->flags & PLAN_F_SHORT_OVERFLOW) != (peak > p->fast_budget)) {
		ck_fail(msg, len, "short overflow flag wrong");
		goto out;
	}
	if ((s->flags & PLAN_F_INFEASIBLE) && !s->reason[0]) {
		ck_fail(msg, len, "infeasible without a reason");
		goto out;
	}
	for (uint32_t o = 0; o < no; o++) {
		const struct plan_object *ob = &in->objs[o];
		uint8_t c = s->objs[o].cls;

		if (ck_short(ob)) {
			if (c != PLAN_CLS_SHORT && (c != PLAN_CLS_SHORT_SLOW ||
						    peak <= p->fast_budget)) {
				ck_fail(msg, len, "short object %u has class %s", o,
					plan_cls_name(c));
				goto out;
			}
		} else if (plan_obj_hint(ob) == SENTINEL_OBJ_F_NEVER_PROMOTE) {
			if (c != PLAN_CLS_HINT_SLOW) {
				ck_fail(msg, len, "NEVER_PROMOTE object %u has class %s",
					o, plan_cls_name(c));
				goto out;
			}
		} else if (c == PLAN_CLS_HINT_FAST) {
			if (plan_obj_hint(ob) != SENTINEL_OBJ_F_PIN_FAST) {
				ck_fail(msg, len, "object %u pinned without PIN_FAST", o);
				goto out;
			}
		} else if (!nuse[o] ? c != PLAN_CLS_COLD :
			   ob->bytes > lb ? c != PLAN_CLS_TOO_BIG :
			   (c != PLAN_CLS_PINNED && c != PLAN_CLS_RESIDENT &&
			    c != PLAN_CLS_MIGRATED && c != PLAN_CLS_NO_ROOM)) {
			ck_fail(msg, len, "long object %u (%llu bytes, %u uses) has class %s",
				o, (unsigned long long)ob->bytes, nuse[o],
				plan_cls_name(c));
			goto out;
		}
		st[o] = s->objs[o].initial;
		if (!ck_short(ob) && st[o])
			o_long += ob->bytes;
		if ((c == PLAN_CLS_PINNED || c == PLAN_CLS_RESIDENT ||
		     c == PLAN_CLS_HINT_FAST) && !st[o]) {
			ck_fail(msg, len, "object %u is %s but starts slow", o,
				plan_cls_name(c));
			goto out;
		}
	}
	/* Static replay: needed objects are fast; occupancy within budget. */
	always = 0;
	for (uint32_t o = 0; o < no; o++)
		if (s->objs[o].cls == PLAN_CLS_SHORT && nuse[o] != 1)
			always += in->objs[o].bytes;
	for (uint32_t b = 0; b < nl; b++) {
		const struct plan_bound *bo = &s->bounds[b];
		uint64_t sb = always;

		for (uint32_t i = 0; i < bo->nr_demote + bo->nr_promote; i++) {
			const struct plan_move *m = &s->moves[bo->first + i];

			if (s->objs[m->obj].cls != PLAN_CLS_MIGRATED) {
				ck_fail(msg, len, "boundary %u moves object %u of class %s",
					b, m->obj, plan_cls_name(s->objs[m->obj].cls));
				goto out;
			}
			if (m->op == PLAN_PROMOTE) {
				st[m->obj] = 1;
				o_long += in->objs[m->obj].bytes;
			} else {
				st[m->obj] = 0;
				o_long -= in->objs[m->obj].bytes;
			}
		}
		occ[b] = o_long;
		for (uint32_t a = 0; a < in->layers[b].count; a++) {
			uint32_t o = in->acc[in->layers[b].first + a].obj;
			uint8_t c = s->objs[o].cls;

			if (c == PLAN_CLS_SHORT && nuse[o] == 1)
				sb += in->objs[o].bytes;
			if ((c == PLAN_CLS_PINNED || c == PLAN_CLS_RESIDENT ||
			     c == PLAN_CLS_MIGRATED || c == PLAN_CLS_HINT_FAST) &&
			    !(s->objs[o].flags & PLAN_OF_UNADMITTED) && !st[o]) {
				ck_fail(msg, len, "layer %u needs object %u (%s), planned slow",
					b, o, plan_cls_name(c));
				goto out;
			}
		}
		if (o_long > lb || o_long + sb > p->fast_budget) {
			ck_fail(msg, len, "layer %u: planned long %llu + short %llu over LB %llu / S %llu",
				b, (unsigned long long)o_long, (unsigned long long)sb,
				(unsigned long long)lb,
				(unsigned long long)p->fast_budget);
			goto out;
		}
	}
	/* Delayed promotions lacked room, or queued behind another one. */
	for (uint32_t i = 0; N && K > 1 && i < s->nr_moves; i++) {
		const struct plan_move *m = &s->moves[i];
		uint32_t k, earliest, prev;

		if (m->op != PLAN_PROMOTE)
			continue;
		k = m->need_layer / N;
		earliest = ((k + K - 1) % K) * N;
		if (m->boundary == earliest)
			continue;
		prev = (m->boundary + nl - 1) % nl;
		if (occ[prev] + in->objs[m->obj].bytes > lb)
			continue;
		if (i && s->moves[i - 1].op == PLAN_PROMOTE &&
		    s->moves[i - 1].boundary == m->boundary &&
		    s->moves[i - 1].need_layer / N == k)
			continue;
		ck_fail(msg, len, "promotion of object %u for interval %u delayed to boundary %u with room at %u",
			m->obj, k, m->boundary, prev);
		goto out;
	}
	/* Groups. */
	for (uint32_t g = 0; g < s->nr_groups; g++) {
		const struct plan_group *gr = &s->groups[g];
		uint32_t a = s->group_members[gr->first];

		if (gr->count < 2) {
			ck_fail(msg, len, "group %u has %u members", g + 1, gr->count);
			goto out;
		}
		for (uint32_t i = 1; i < gr->count; i++) {
			uint32_t b = s->group_members[gr->first + i];
			bool same = s->objs[a].cls == s->objs[b].cls &&
				    nuse[a] == nuse[b] && s->objs[b].group == g + 1;

			for (uint32_t l = 0; same && l < nl; l++) {
				bool ta = false, tb = false;

				for (uint32_t x = 0; x < in->layers[l].count; x++) {
					uint32_t o = in->acc[in->layers[l].first + x].obj;

					ta |= o == a;
					tb |= o == b;
				}
				same = ta == tb;
			}
			if (!same) {
				ck_fail(msg, len, "group %u mixes objects %u and %u", g + 1, a, b);
				goto out;
			}
		}
	}
simulate:
	if (plan_simulate(in, s, &sp, &r, NULL)) {
		ck_fail(msg, len, "simulator refused the schedule: %s", r.error);
		goto out;
	}
	if (r.errors || r.over_budget || r.max_fast > p->fast_budget) {
		ck_fail(msg, len, "simulation: %llu errors (%s), %llu over budget, max fast %llu of %llu",
			(unsigned long long)r.errors, r.error,
			(unsigned long long)r.over_budget,
			(unsigned long long)r.max_fast,
			(unsigned long long)p->fast_budget);
		goto out;
	}
	if (s->flags & PLAN_F_BASELINE) {
		if (r.promotions || r.demotions) {
			ck_fail(msg, len, "a baseline migrates");
			goto out;
		}
	} else if (r.interval_late_ns != s->cost_ns) {
		ck_fail(msg, len, "simulated interval lateness %llu, planner's cost %llu",
			(unsigned long long)r.interval_late_ns,
			(unsigned long long)s->cost_ns);
		goto out;
	}
	if (r.promoted_bytes != s->promote_bytes || r.demoted_bytes != s->demote_bytes) {
		ck_fail(msg, len, "simulated traffic differs from the plan's");
		goto out;
	}
	if (sim_out)
		*sim_out = r;
	ret = 0;
out:
	free(nuse);
	free(shortb);
	free(occ);
	free(st);
	return ret;
}

/* check_schedule() of @s on @f's input, its first violation as a TAP diagnostic. */
static inline bool fx_checked(struct fx *f, const struct plan_params *p,
			      const struct plan_schedule *s, struct sim_result *r)
{
	char msg[512];
	int ret = check_schedule(fx_in(f), p, s, msg, sizeof(msg), r);

	if (ret)
		diag("%s", msg);
	return !ret;
}

#endif /* PLANNER_FIXTURE_H */
