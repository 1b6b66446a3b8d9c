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

/* The simulation's state. */
struct sim {
	const struct plan_input *in;
	const struct plan_schedule *s;
	const struct sim_params *sp;
	struct sim_result *r;
	struct sim_interval *iv;
	uint32_t no, nl, N, K, cycles, nev, evh, npend;
	uint64_t ps;
	uint64_t occ;		/* fast long-lived bytes */
	uint64_t chan;		/* the copy channel is busy until then */
	uint64_t t;		/* now */
	uint64_t prev_short;	/* short-lived bytes of the layer before */
	uint32_t *nuse;		/* per object: layers touching it */
	uint64_t *shortb;	/* per layer: short-lived bytes */
	uint64_t *avail;	/* per object: when its promotion completes */
	uint64_t *lstart;	/* layer start times of the measured step and the next */
	uint64_t *late_k;	/* per interval: latest arrival past its start */
	uint8_t *fast;		/* per object */
	struct ev *evs;
	struct pend *pend;
};

static void sim_free(struct sim *m)
{
	free(m->nuse);
	free(m->shortb);
	free(m->avail);
	free(m->fast);
	free(m->lstart);
	free(m->late_k);
	free(m->evs);
	free(m->pend);
}

static int sim_alloc(struct sim *m)
{
	m->nuse = calloc((size_t)m->no + 1, sizeof(*m->nuse));
	m->shortb = calloc((size_t)m->nl + 1, sizeof(*m->shortb));
	m->avail = calloc((size_t)m->no + 1, sizeof(*m->avail));
	m->fast = calloc((size_t)m->no + 1, 1);
	m->lstart = calloc(2 * ((size_t)m->nl + 1), sizeof(*m->lstart));
	m->late_k = calloc((size_t)m->K + 1, sizeof(*m->late_k));
	m->evs = calloc((size_t)m->s->nr_moves * m->cycles + 1, sizeof(*m->evs));
	m->pend = calloc((size_t)m->s->nr_moves + 1, sizeof(*m->pend));
	if (!m->nuse || !m->shortb || !m->avail || !m->fast || !m->lstart || !m->late_k ||
	    !m->evs || !m->pend)
		return -ENOMEM;
	return 0;
}

/*
 * Short-lived region occupancy per layer: objects of one layer during
 * it, the others (several layers or none) all step.
 */
static void short_occupancy(struct sim *m)
{
	const struct plan_input *in = m->in;
	uint64_t always = 0;

	for (uint32_t b = 0; b < m->nl; b++)
		for (uint32_t a = 0; a < in->layers[b].count; a++)
			m->nuse[in->acc[in->layers[b].first + a].obj]++;
	for (uint32_t o = 0; o < m->no; o++)
		if (m->s->objs[o].cls == PLAN_CLS_SHORT && m->nuse[o] != 1)
			always += in->objs[o].bytes;
	for (uint32_t b = 0; b < m->nl; b++) {
		m->shortb[b] = always;
		for (uint32_t a = 0; a < in->layers[b].count; a++) {
			uint32_t o = in->acc[in->layers[b].first + a].obj;

			if (m->s->objs[o].cls == PLAN_CLS_SHORT && m->nuse[o] == 1)
				m->shortb[b] += in->objs[o].bytes;
		}
	}
}

/* The placement at the step's start. */
static void initial_state(struct sim *m)
{
	for (uint32_t o = 0; o < m->no; o++) {
		m->fast[o] = m->s->objs[o].initial == PLAN_FAST;
		if (m->s->objs[o].cls != PLAN_CLS_SHORT && m->fast[o])
			m->occ += m->in->objs[o].bytes;
		if (m->s->objs[o].cls == PLAN_CLS_SHORT && !m->fast[o])
			rerr(m->r, "short-lived object %u not fast", o);
	}
	m->r->max_fast_long = m->occ;
	m->prev_short = m->nl ? m->shortb[m->nl - 1] : 0;
	if (m->nl && m->occ + m->prev_short > m->r->max_fast)
		m->r->max_fast = m->occ + m->prev_short;
}

/* A promotion of the measured step, to judge its lateness at the end. */
static void add_pending(struct sim *m, const struct plan_move *mv, uint32_t b, uint64_t end)
{
	struct pend *p = &m->pend[m->npend++];

	p->obj = mv->obj;
	p->end = end;
	p->need = mv->need_layer;
	p->need_cycle = mv->need_layer >= b ? 0 : 1;
	if (m->N) {
		p->k = mv->need_layer / m->N;
		p->ts = p->k * m->N;
		p->ts_cycle = p->ts >= b ? 0 : 1;
	}
}

/* Queue move @mv of boundary @b at time @T on the copy channel. */
static void queue_move(struct sim *m, const struct plan_move *mv, uint32_t b, uint64_t T,
		       bool meas)
{
	struct sim_result *r = m->r;
	uint32_t o = mv->obj;
	uint64_t bytes = m->in->objs[o].bytes;
	uint64_t d = plan_copy_ns(bytes, m->sp->bw);
	uint64_t start = m->chan > T ? m->chan : T, end = tadd(start, d);
	uint8_t cls = m->s->objs[o].cls;

	m->chan = end;
	if (cls == PLAN_CLS_SHORT || cls == PLAN_CLS_SHORT_SLOW)
		rerr(r, "boundary %u moves short-lived object %u", b, o);
	if (mv->op == PLAN_PROMOTE) {
		if (m->fast[o])
			rerr(r, "boundary %u promotes fast object %u", b, o);
		m->fast[o] = 1;
		m->avail[o] = end;
		m->evs[m->nev].t = start;	/* occupies from the copy's start */
		m->evs[m->nev++].delta = (int64_t)bytes;
	} else {
		if (!m->fast[o])
			rerr(r, "boundary %u demotes slow object %u", b, o);
		m->fast[o] = 0;
		m->evs[m->nev].t = end;		/* frees at the copy's end */
		m->evs[m->nev++].delta = -(int64_t)bytes;
	}
	if (!meas)
		return;
	r->mig_busy_ns = tadd(r->mig_busy_ns, d);
	if (m->iv && m->K)
		m->iv[b / m->N].mig_ns = tadd(m->iv[b / m->N].mig_ns, d);
	if (mv->op == PLAN_DEMOTE) {
		r->demotions++;
		r->demoted_bytes += bytes;
		return;
	}
	r->promotions++;
	r->promoted_bytes += bytes;
	add_pending(m, mv, b, end);
}

/* Occupancy changes before @until, with @shortb short-lived bytes beside. */
static void apply_events(struct sim *m, uint64_t until, uint64_t shortb)
{
	struct sim_result *r = m->r;

	for (; m->evh < m->nev && m->evs[m->evh].t < until; m->evh++) {
		m->occ += (uint64_t)m->evs[m->evh].delta;
		if (m->evs[m->evh].delta > 0 && m->occ + shortb > m->s->fast_budget)
			r->over_budget++;
		if (m->occ + shortb > r->max_fast)
			r->max_fast = m->occ + shortb;
		if (m->occ > r->max_fast_long)
			r->max_fast_long = m->occ;
	}
}

/* When layer @b may start at @T: later in wait mode, for late promotions. */
static uint64_t layer_start(const struct sim *m, uint32_t b, uint64_t T)
{
	const struct plan_layer *ly = &m->in->layers[b];
	uint64_t L = T;

	if (m->sp->wait_late)
		for (uint32_t a = 0; a < ly->count; a++) {
			uint32_t o = m->in->acc[ly->first + a].obj;

			if (m->fast[o] && m->avail[o] > L)
				L = m->avail[o];
		}
	return L;
}

/*
 * Layer @b starting at @L: its touched bytes (*@tb), the fast ones among
 * them (*@fb), and its duration (slow bytes cost slow_factor).
 */
static uint64_t layer_duration(const struct sim *m, uint32_t b, uint64_t L, uint64_t *tb,
			       uint64_t *fb)
{
	const struct plan_layer *ly = &m->in->layers[b];
	uint64_t dur = ly->compute_ns;

	*tb = *fb = 0;
	for (uint32_t a = 0; a < ly->count; a++) {
		const struct plan_access *ac = &m->in->acc[ly->first + a];
		uint32_t o = ac->obj;
		uint64_t pg = m->in->objs[o].bytes / m->ps + (m->in->objs[o].bytes % m->ps != 0);
		uint64_t bytes = (ac->pages < pg ? ac->pages : pg) * m->ps;

		*tb += bytes;
		if (m->s->objs[o].cls == PLAN_CLS_SHORT || (m->fast[o] && m->avail[o] <= L))
			*fb += bytes;
	}
	if (*tb && *fb < *tb && m->sp->slow_factor > 1.0) {
		double frac = (double)(*tb - *fb) / (double)*tb;
		double extra = (double)ly->compute_ns * (m->sp->slow_factor - 1.0) * frac;

		dur = tadd(dur, extra >= (double)PLAN_TIME_INF ? PLAN_TIME_INF :
			   (uint64_t)llround(extra));
	}
	return dur;
}

/* Boundary @b and layer @b of cycle @cy. */
static void sim_layer(struct sim *m, uint32_t cy, uint32_t b)
{
	const struct plan_bound *bo = &m->s->bounds[b];
	const struct plan_layer *ly = &m->in->layers[b];
	struct sim_result *r = m->r;
	bool meas = cy == m->sp->warm_steps;
	uint64_t T = m->t, L, dur, tb, fb;

	for (uint32_t i = 0; i < bo->nr_demote + bo->nr_promote; i++)
		queue_move(m, &m->s->moves[bo->first + i], b, T, meas);
	L = layer_start(m, b, T);
	apply_events(m, L, m->prev_short);
	if (m->occ + m->shortb[b] > m->s->fast_budget)
		r->over_budget++;
	if (m->occ + m->shortb[b] > r->max_fast)
		r->max_fast = m->occ + m->shortb[b];
	if (cy >= m->sp->warm_steps)
		m->lstart[(size_t)(cy - m->sp->warm_steps) * m->nl + b] = L;
	dur = layer_duration(m, b, L, &tb, &fb);
	apply_events(m, tadd(L, dur), m->shortb[b]);
	if (meas) {
		r->touched_bytes += tb;
		r->fast_touched_bytes += fb;
		r->compute_ns += ly->compute_ns;
		r->stall_ns = tadd(r->stall_ns, L - T);
		r->step_ns = tadd(r->step_ns, tadd(L - T, dur));
		if (m->iv && m->K)
			m->iv[b / m->N].compute_ns = tadd(m->iv[b / m->N].compute_ns, dur);
	}
	m->t = tadd(L, dur);
	m->prev_short = m->shortb[b];
}

/* A step must end with every object where it began (the schedule is cyclic). */
static void check_cycle(struct sim *m, uint32_t cy)
{
	for (uint32_t o = 0; o < m->no; o++)
		if (m->fast[o] != (m->s->objs[o].initial == PLAN_FAST)) {
			rerr(m->r, "step %u ends with object %u %s, not as it began",
			     cy, o, m->fast[o] ? "fast" : "slow");
			m->fast[o] = m->s->objs[o].initial == PLAN_FAST;
		}
}

/* The occupancy changes still queued after the last cycle. */
static void drain_events(struct sim *m)
{
	struct sim_result *r = m->r;

	for (; m->evh < m->nev; m->evh++) {
		m->occ += (uint64_t)m->evs[m->evh].delta;
		if (m->evs[m->evh].delta > 0 && m->occ + m->prev_short > m->s->fast_budget)
			r->over_budget++;
		if (m->occ + m->prev_short > r->max_fast)
			r->max_fast = m->occ + m->prev_short;
	}
}

/* Lateness of the measured step's promotions, per promotion and per interval. */
static void lateness(struct sim *m)
{
	struct sim_result *r = m->r;

	for (uint32_t i = 0; i < m->npend; i++) {
		const struct pend *p = &m->pend[i];
		uint64_t need_t = m->lstart[(size_t)p->need_cycle * m->nl + p->need];

		if (p->end > need_t) {
			r->late++;
			r->late_bytes += m->in->objs[p->obj].bytes;
			r->late_ns = tadd(r->late_ns, p->end - need_t);
		}
		if (m->N) {
			uint64_t ts_t = m->lstart[(size_t)p->ts_cycle * m->nl + p->ts];

			if (p->end > ts_t && p->end - ts_t > m->late_k[p->k])
				m->late_k[p->k] = p->end - ts_t;
		}
	}
	for (uint32_t k = 0; k < m->K; k++) {
		r->interval_late_ns = tadd(r->interval_late_ns, m->late_k[k]);
		if (m->iv)
			m->iv[k].late_ns = m->late_k[k];
	}
}

int plan_simulate(const struct plan_input *in, const struct plan_schedule *s,
		  const struct sim_params *sp, struct sim_result *r,
		  struct sim_interval *iv)
{
	struct sim m = { .in = in, .s = s, .sp = sp, .r = r, .iv = iv };
	int ret = check_args(in, s, sp, r);

	if (ret)
		return ret;
	m.no = in->nr_objs;
	m.nl = in->nr_layers;
	m.N = s->interval;
	m.K = m.N ? s->nr_intervals : 0;
	m.ps = in->page_size ? in->page_size : 4096;
	m.cycles = sp->warm_steps + 2;
	if (iv)
		for (uint32_t k = 0; k < m.K; k++) {
			memset(&iv[k], 0, sizeof(iv[k]));
			iv[k].first_layer = k * m.N;
			iv[k].nr_layers = m.nl - k * m.N < m.N ? m.nl - k * m.N : m.N;
		}
	ret = sim_alloc(&m);
	if (!ret) {
		short_occupancy(&m);
		initial_state(&m);
		for (uint32_t cy = 0; cy < m.cycles; cy++) {
			for (uint32_t b = 0; b < m.nl; b++)
				sim_layer(&m, cy, b);
			check_cycle(&m, cy);
		}
		drain_events(&m);
		lateness(&m);
		r->hit_ratio = r->touched_bytes ?
			       (double)r->fast_touched_bytes / (double)r->touched_bytes : 1.0;
	}
	sim_free(&m);
	return ret;
}
