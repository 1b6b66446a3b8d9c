// SPDX-License-Identifier: GPL-2.0
/*
 * Schedule simulator (see sim.h).  It shares nothing with the planner but
 * plan_copy_ns() and the input structures: occupancy, timing and
 * lateness are recomputed from the schedule alone.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

struct ev {			/* occupancy change at a time */
	uint64_t t;
	int64_t delta;
};

struct pend {			/* a measured promotion, resolved at the end */
	uint32_t obj;
	uint32_t k;		/* target interval */
	uint32_t ts_cycle;	/* 0: measured step, 1: the next one */
	uint32_t ts;		/* first layer of the target interval */
	uint32_t need_cycle;
	uint32_t need;
	uint64_t end;
};

static inline uint64_t tadd(uint64_t a, uint64_t b)
{
	uint64_t s = a > UINT64_MAX - b ? UINT64_MAX : a + b;

	return s > PLAN_TIME_INF ? PLAN_TIME_INF : s;
}

static void rerr(struct sim_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void rerr(struct sim_result *r, const char *fmt, ...)
{
	va_list ap;

	r->errors++;
	if (r->error[0])
		return;
	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
}

static int check_args(const struct plan_input *in, const struct plan_schedule *s,
		      const struct sim_params *sp, struct sim_result *r)
{
	if (!in || !s || !sp || !r)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	if (s->nr_objs != in->nr_objs || s->nr_layers != in->nr_layers ||
	    (in->nr_objs && (!s->objs || !in->objs)) ||
	    (in->nr_layers && (!s->bounds || !in->layers)) ||
	    (s->nr_moves && !s->moves) || (in->nr_acc && !in->acc)) {
		snprintf(r->error, sizeof(r->error), "schedule does not match the input");
		return -EINVAL;
	}
	if (!sp->bw || !(sp->slow_factor >= 1.0) || !isfinite(sp->slow_factor) ||
	    sp->warm_steps > 1000) {
		snprintf(r->error, sizeof(r->error), "bad simulator parameters");
		return -EINVAL;
	}
	if (s->interval > in->nr_layers || (in->nr_layers && s->interval &&
	    s->nr_intervals != in->nr_layers / s->interval +
			       (in->nr_layers % s->interval != 0))) {
		snprintf(r->error, sizeof(r->error), "bad interval %u/%u", s->interval,
			 s->nr_intervals);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < s->nr_moves; i++) {
		const struct plan_move *m = &s->moves[i];

		if (m->obj >= in->nr_objs || m->boundary >= in->nr_layers ||
		    m->need_layer >= in->nr_layers ||
		    (m->op != PLAN_PROMOTE && m->op != PLAN_DEMOTE)) {
			snprintf(r->error, sizeof(r->error), "bad move %u", i);
			return -EINVAL;
		}
	}
	for (uint32_t b = 0; b < in->nr_layers; b++) {
		const struct plan_bound *bo = &s->bounds[b];
		const struct plan_layer *l = &in->layers[b];
		uint64_t n = (uint64_t)bo->nr_demote + bo->nr_promote;

		if (bo->first > s->nr_moves || n > s->nr_moves - bo->first) {
			snprintf(r->error, sizeof(r->error), "boundary %u: bad move range", b);
			return -EINVAL;
		}
		for (uint32_t i = 0; i < n; i++) {
			const struct plan_move *m = &s->moves[bo->first + i];

			if (m->boundary != b ||
			    m->op != (i < bo->nr_demote ? PLAN_DEMOTE : PLAN_PROMOTE)) {
				snprintf(r->error, sizeof(r->error),
					 "boundary %u: move %u out of order", b, i);
				return -EINVAL;
			}
		}
		if (l->first > in->nr_acc || l->count > in->nr_acc - l->first) {
			snprintf(r->error, sizeof(r->error), "layer %u: bad access range", b);
			return -EINVAL;
		}
		for (uint32_t a = 0; a < l->count; a++)
			if (in->acc[l->first + a].obj >= in->nr_objs) {
				snprintf(r->error, sizeof(r->error), "layer %u: bad object", b);
				return -EINVAL;
			}
	}
	return 0;
}

int plan_simulate(const struct plan_input *in, const struct plan_schedule *s,
		  const struct sim_params *sp, struct sim_result *r,
		  struct sim_interval *iv)
{
	uint32_t no, nl, N, K, cycles, nev = 0, evh = 0, npend = 0;
	uint64_t ps, occ = 0, chan = 0, t = 0, prev_short;
	uint32_t *nuse = NULL;
	uint64_t *shortb = NULL, *avail = NULL, *lstart = NULL, *late_k = NULL;
	uint8_t *fast = NULL;
	struct ev *evs = NULL;
	struct pend *pend = NULL;
	int ret = check_args(in, s, sp, r);

	if (ret)
		return ret;
	no = in->nr_objs;
	nl = in->nr_layers;
	N = s->interval;
	K = N ? s->nr_intervals : 0;
	ps = in->page_size ? in->page_size : 4096;
	cycles = sp->warm_steps + 2;
	if (iv)
		for (uint32_t k = 0; k < K; k++) {
			memset(&iv[k], 0, sizeof(iv[k]));
			iv[k].first_layer = k * N;
			iv[k].nr_layers = nl - k * N < N ? nl - k * N : N;
		}

	nuse = calloc((size_t)no + 1, sizeof(*nuse));
	shortb = calloc((size_t)nl + 1, sizeof(*shortb));
	avail = calloc((size_t)no + 1, sizeof(*avail));
	fast = calloc((size_t)no + 1, 1);
	lstart = calloc(2 * ((size_t)nl + 1), sizeof(*lstart));
	late_k = calloc((size_t)K + 1, sizeof(*late_k));
	evs = calloc((size_t)s->nr_moves * cycles + 1, sizeof(*evs));
	pend = calloc((size_t)s->nr_moves + 1, sizeof(*pend));
	if (!nuse || !shortb || !avail || !fast || !lstart || !late_k || !evs ||
	    !pend) {
		ret = -ENOMEM;
		goto out;
	}

	/* Short-lived region occupancy per layer. */
	for (uint32_t b = 0; b < nl; b++)
		for (uint32_t a = 0; a < in->layers[b].count; a++)
			nuse[in->acc[in->layers[b].first + a].obj]++;
	{
		uint64_t always = 0;

		for (uint32_t o = 0; o < no; o++) {
			if (s->objs[o].cls != PLAN_CLS_SHORT)
				continue;
			if (nuse[o] == 1)
				continue;
			always += in->objs[o].bytes;
		}
		for (uint32_t b = 0; b < nl; b++) {
			shortb[b] = always;
			for (uint32_t a = 0; a < in->layers[b].count; a++) {
				uint32_t o = in->acc[in->layers[b].first + a].obj;

				if (s->objs[o].cls == PLAN_CLS_SHORT && nuse[o] == 1)
					shortb[b] += in->objs[o].bytes;
			}
		}
	}
	for (uint32_t o = 0; o < no; o++) {
		fast[o] = s->objs[o].initial == PLAN_FAST;
		if (s->objs[o].cls != PLAN_CLS_SHORT && fast[o])
			occ += in->objs[o].bytes;
		if (s->objs[o].cls == PLAN_CLS_SHORT && !fast[o])
			rerr(r, "short-lived object %u not fast", o);
	}
	r->max_fast_long = occ;
	prev_short = nl ? shortb[nl - 1] : 0;
	if (nl && occ + prev_short > r->max_fast)
		r->max_fast = occ + prev_short;

	for (uint32_t cy = 0; cy < cycles; cy++) {
		bool meas = cy == sp->warm_steps;

		for (uint32_t b = 0; b < nl; b++) {
			const struct plan_bound *bo = &s->bounds[b];
			const struct plan_layer *ly = &in->layers[b];
			uint64_t T = t, L, dur, tb = 0, fb = 0;

			/* Queue the boundary's moves. */
			for (uint32_t i = 0; i < bo->nr_demote + bo->nr_promote; i++) {
				const struct plan_move *m = &s->moves[bo->first + i];
				uint32_t o = m->obj;
				uint64_t bytes = in->objs[o].bytes;
				uint64_t d = plan_copy_ns(bytes, sp->bw);
				uint64_t start = chan > T ? chan : T, end = tadd(start, d);
				uint8_t cls = s->objs[o].cls;

				chan = end;
				if (cls == PLAN_CLS_SHORT || cls == PLAN_CLS_SHORT_SLOW)
					rerr(r, "boundary %u moves short-lived object %u", b, o);
				if (m->op == PLAN_PROMOTE) {
					if (fast[o])
						rerr(r, "boundary %u promotes fast object %u", b, o);
					fast[o] = 1;
					avail[o] = end;
					evs[nev].t = start;
					evs[nev++].delta = (int64_t)bytes;
				} else {
					if (!fast[o])
						rerr(r, "boundary %u demotes slow object %u", b, o);
					fast[o] = 0;
					evs[nev].t = end;
					evs[nev++].delta = -(int64_t)bytes;
				}
				if (!meas)
					continue;
				r->mig_busy_ns = tadd(r->mig_busy_ns, d);
				if (iv && K)
					iv[b / N].mig_ns = tadd(iv[b / N].mig_ns, d);
				if (m->op == PLAN_DEMOTE) {
					r->demotions++;
					r->demoted_bytes += bytes;
					continue;
				}
				r->promotions++;
				r->promoted_bytes += bytes;
				struct pend *p = &pend[npend++];

				p->obj = o;
				p->end = end;
				p->need = m->need_layer;
				p->need_cycle = m->need_layer >= b ? 0 : 1;
				if (N) {
					p->k = m->need_layer / N;
					p->ts = p->k * N;
					p->ts_cycle = p->ts >= b ? 0 : 1;
				}
			}

			/* Wait for late promotions (wait mode). */
			L = T;
			if (sp->wait_late)
				for (uint32_t a = 0; a < ly->count; a++) {
					uint32_t o = in->acc[ly->first + a].obj;

					if (fast[o] && avail[o] > L)
						L = avail[o];
				}
			/* Occupancy events before the layer starts. */
			for (; evh < nev && evs[evh].t < L; evh++) {
				occ += (uint64_t)evs[evh].delta;
				if (evs[evh].delta > 0 && occ + prev_short > s->fast_budget)
					r->over_budget++;
				if (occ + prev_short > r->max_fast)
					r->max_fast = occ + prev_short;
				if (occ > r->max_fast_long)
					r->max_fast_long = occ;
			}
			if (occ + shortb[b] > s->fast_budget)
				r->over_budget++;
			if (occ + shortb[b] > r->max_fast)
				r->max_fast = occ + shortb[b];
			if (cy >= sp->warm_steps)
				lstart[(size_t)(cy - sp->warm_steps) * nl + b] = L;

			/* Which touched bytes are fast. */
			for (uint32_t a = 0; a < ly->count; a++) {
				const struct plan_access *ac = &in->acc[ly->first + a];
				uint32_t o = ac->obj;
				uint64_t pg = in->objs[o].bytes / ps +
					      (in->objs[o].bytes % ps != 0);
				uint64_t bytes = (ac->pages < pg ? ac->pages : pg) * ps;
				bool f = s->objs[o].cls == PLAN_CLS_SHORT ||
					 (fast[o] && avail[o] <= L);

				tb += bytes;
				if (f)
					fb += bytes;
			}
			dur = ly->compute_ns;
			if (tb && fb < tb && sp->slow_factor > 1.0) {
				double frac = (double)(tb - fb) / (double)tb;
				double extra = (double)ly->compute_ns *
					       (sp->slow_factor - 1.0) * frac;

				dur = tadd(dur, extra >= (double)PLAN_TIME_INF ?
					   PLAN_TIME_INF : (uint64_t)llround(extra));
			}
			/* Occupancy events during the layer. */
			for (; evh < nev && evs[evh].t < tadd(L, dur); evh++) {
				occ += (uint64_t)evs[evh].delta;
				if (evs[evh].delta > 0 && occ + shortb[b] > s->fast_budget)
					r->over_budget++;
				if (occ + shortb[b] > r->max_fast)
					r->max_fast = occ + shortb[b];
				if (occ > r->max_fast_long)
					r->max_fast_long = occ;
			}
			if (meas) {
				r->touched_bytes += tb;
				r->fast_touched_bytes += fb;
				r->compute_ns += ly->compute_ns;
				r->stall_ns = tadd(r->stall_ns, L - T);
				r->step_ns = tadd(r->step_ns, tadd(L - T, dur));
				if (iv && K)
					iv[b / N].compute_ns = tadd(iv[b / N].compute_ns, dur);
			}
			t = tadd(L, dur);
			prev_short = shortb[b];
		}
		for (uint32_t o = 0; o < no; o++)
			if (fast[o] != (s->objs[o].initial == PLAN_FAST)) {
				rerr(r, "step %u ends with object %u %s, not as it began",
				     cy, o, fast[o] ? "fast" : "slow");
				fast[o] = s->objs[o].initial == PLAN_FAST;
			}
	}
	for (; evh < nev; evh++) {
		occ += (uint64_t)evs[evh].delta;
		if (evs[evh].delta > 0 && occ + prev_short > s->fast_budget)
			r->over_budget++;
		if (occ + prev_short > r->max_fast)
			r->max_fast = occ + prev_short;
	}

	/* Lateness of the measured step's promotions. */
	for (uint32_t i = 0; i < npend; i++) {
		const struct pend *p = &pend[i];
		uint64_t need_t = lstart[(size_t)p->need_cycle * nl + p->need];

		if (p->end > need_t) {
			r->late++;
			r->late_bytes += in->objs[p->obj].bytes;
			r->late_ns = tadd(r->late_ns, p->end - need_t);
		}
		if (N) {
			uint64_t ts_t = lstart[(size_t)p->ts_cycle * nl + p->ts];

			if (p->end > ts_t && p->end - ts_t > late_k[p->k])
				late_k[p->k] = p->end - ts_t;
		}
	}
	for (uint32_t k = 0; k < K; k++) {
		r->interval_late_ns = tadd(r->interval_late_ns, late_k[k]);
		if (iv)
			iv[k].late_ns = late_k[k];
	}
	r->hit_ratio = r->touched_bytes ?
		       (double)r->fast_touched_bytes / (double)r->touched_bytes : 1.0;
out:
	free(nuse);
	free(shortb);
	free(avail);
	free(fast);
	free(lstart);
	free(late_k);
	free(evs);
	free(pend);
	return ret;
}
