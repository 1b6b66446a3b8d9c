// SPDX-License-Identifier: GPL-2.0
/*
 * plan_hybrid(): a fixed placement plus the moves that pay.
 *
 * Every long-lived object touched in the step offers two kinds of
 * candidates for the fast budget S - RS:
 *
 *  - the whole step: fast from start to end, never moved;
 *  - windows: runs of the layers that touch it, promoted before the run
 *    (early enough that its copy takes at most a share of the compute
 *    before the run) and demoted after it.
 *
 * A candidate's value is the time its layers save with it fast, in the
 * simulator's model (a layer lasts compute x (1 + (slow_factor - 1) x its
 * slow share of touched bytes)); a window is a candidate only when that
 * value is at least pay_factor times its two copies.  Candidates are
 * admitted greedily by value per byte and nanosecond of fast memory held,
 * while the long-lived fast bytes of every layer they span stay within
 * S - RS and the copies of every window stay within the copy channel's
 * share of the compute they run under.  Short-lived objects are placed as
 * plan_static() places them.  Pure: no I/O, no global state.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planner.h"

#define HY_SHARE	0.5	/* default channel_share */
#define HY_PAY		2.0	/* default pay_factor */

/* One candidate: the whole step (first == NONE) or uses [first, last]. */
struct hcand {
	uint32_t obj;
	uint32_t first, last;	/* indices into the object's uses */
	uint32_t b0;		/* window: boundary of its promotion */
	double value;		/* ns saved */
	double density;		/* value per byte-ns held */
};

#define NONE UINT32_MAX

struct hy {
	const struct plan_input *in;
	const struct plan_hybrid_params *hp;
	uint32_t no, nl, ps;
	uint64_t bw, LB;
	uint64_t *prefix;	/* compute before layer b */
	uint64_t *tb;		/* bytes touched in layer b */
	uint64_t *occ;		/* long-lived fast bytes held during layer b */
	uint64_t *chan;		/* copy time charged to layer b */
	uint32_t *ustart;	/* uses of o: ul[ustart[o] .. ustart[o + 1]) */
	uint32_t *ul;		/* layer of a use */
	uint64_t *ub;		/* bytes touched in that use */
	struct hcand *cands;
	uint32_t ncand;
	uint8_t *state;		/* 0 slow, 1 whole step, 2 windows */
	struct plan_move *moves;
	uint32_t nmoves;
};

static uint64_t obj_pages(const struct hy *h, uint32_t o)
{
	uint64_t b = h->in->objs[o].bytes;

	return b / h->ps + (b % h->ps != 0);
}

static void hy_free(struct hy *h)
{
	free(h->prefix);
	free(h->tb);
	free(h->occ);
	free(h->chan);
	free(h->ustart);
	free(h->ul);
	free(h->ub);
	free(h->cands);
	free(h->state);
	free(h->moves);
}

/* Per layer compute prefix and touched bytes; per object its uses. */
static int hy_uses(struct hy *h)
{
	const struct plan_input *in = h->in;
	size_t nuse = in->nr_acc;

	h->prefix = calloc((size_t)h->nl + 1, sizeof(*h->prefix));
	h->tb = calloc((size_t)h->nl + 1, sizeof(*h->tb));
	h->occ = calloc((size_t)h->nl + 1, sizeof(*h->occ));
	h->chan = calloc((size_t)h->nl + 1, sizeof(*h->chan));
	h->ustart = calloc((size_t)h->no + 2, sizeof(*h->ustart));
	h->ul = calloc(nuse + 1, sizeof(*h->ul));
	h->ub = calloc(nuse + 1, sizeof(*h->ub));
	h->state = calloc((size_t)h->no + 1, 1);
	if (!h->prefix || !h->tb || !h->occ || !h->chan || !h->ustart || !h->ul || !h->ub ||
	    !h->state)
		return -ENOMEM;
	for (uint32_t l = 0; l < h->nl; l++) {
		const struct plan_layer *ly = &in->layers[l];

		h->prefix[l + 1] = h->prefix[l] + ly->compute_ns;
		for (uint32_t a = 0; a < ly->count; a++)
			h->ustart[in->acc[ly->first + a].obj + 2]++;
	}
	for (uint32_t o = 0; o < h->no; o++)
		h->ustart[o + 2] += h->ustart[o + 1];
	for (uint32_t l = 0; l < h->nl; l++) {
		const struct plan_layer *ly = &in->layers[l];

		for (uint32_t a = 0; a < ly->count; a++) {
			const struct plan_access *ac = &in->acc[ly->first + a];
			uint64_t pg = obj_pages(h, ac->obj);
			uint32_t i = h->ustart[ac->obj + 1]++;

			h->ul[i] = l;
			h->ub[i] = (ac->pages < pg ? ac->pages : pg) * h->ps;
			h->tb[l] += h->ub[i];
		}
	}
	return 0;
}

/* Time saved by object use @i fast rather than slow. */
static double use_gain(const struct hy *h, uint32_t i)
{
	uint32_t l = h->ul[i];

	if (!h->tb[l])
		return 0;
	return (double)h->in->layers[l].compute_ns * (h->hp->slow_factor - 1.0) *
	       (double)h->ub[i] / (double)h->tb[l];
}

/*
 * Latest boundary before layer @w0 whose compute up to @w0 hides a @copy
 * ns copy at the channel's share (prefix is non-decreasing: bisect).
 */
static uint32_t lead_boundary(const struct hy *h, uint32_t w0, uint64_t copy)
{
	double need = (double)copy / h->hp->channel_share;
	uint32_t lo = 0, hi = w0;	/* answer in [lo, hi) */

	if (!w0 || (double)(h->prefix[w0] - h->prefix[0]) < need)
		return NONE;
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;

		if ((double)(h->prefix[w0] - h->prefix[mid]) >= need)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The bias of a placement hint on a candidate's density, as the interval
 * planner biases its ranking: PREFER_FAST (and a refused PIN_FAST) up,
 * PREFER_SLOW down, by PLAN_HINT_BIAS.
 */
static double hint_weight(const struct plan_object *o)
{
	switch (plan_obj_hint(o)) {
	case SENTINEL_OBJ_F_PIN_FAST:
	case SENTINEL_OBJ_F_PREFER_FAST:
		return PLAN_HINT_BIAS;
	case SENTINEL_OBJ_F_PREFER_SLOW:
		return 1.0 / PLAN_HINT_BIAS;
	}
	return 1.0;
}

static void add_cand(struct hy *h, uint32_t o, uint32_t first, uint32_t last, uint32_t b0)
{
	struct hcand *c = &h->cands[h->ncand];
	uint64_t bytes = h->in->objs[o].bytes, span;
	double v = 0;

	for (uint32_t i = first; i <= last; i++)
		v += use_gain(h, h->ustart[o] + i);
	span = b0 == NONE ? h->prefix[h->nl] :
	       h->prefix[h->ul[h->ustart[o] + last] + 2 > h->nl ? h->nl :
			 h->ul[h->ustart[o] + last] + 2] - h->prefix[b0];
	if (b0 != NONE && v < h->hp->pay_factor * 2.0 * (double)plan_copy_ns(bytes, h->bw))
		return;
	if (v <= 0)
		return;
	c->obj = o;
	c->first = b0 == NONE ? NONE : first;
	c->last = last;
	c->b0 = b0;
	c->value = v;
	c->density = v / ((double)(bytes ? bytes : 1) * (double)(span ? span : 1));
	c->density *= hint_weight(&h->in->objs[o]);
	h->ncand++;
}

/*
 * The windows of object @o: its uses cut where the next run's promotion
 * can be issued after this run's demotion (boundary last + 1).
 */
static void object_windows(struct hy *h, uint32_t o)
{
	const uint32_t *u = &h->ul[h->ustart[o]];
	uint32_t n = h->ustart[o + 1] - h->ustart[o];
	uint64_t copy = plan_copy_ns(h->in->objs[o].bytes, h->bw);
	uint32_t first = 0, b0 = lead_boundary(h, u[0], copy);

	for (uint32_t i = 1; i <= n; i++) {
		uint32_t nb = i < n ? lead_boundary(h, u[i], copy) : NONE;

		if (i < n && (nb == NONE || nb <= u[i - 1] + 1))
			continue;	/* no room for a round trip: same run */
		/* run [first, i - 1]; its demotion is at boundary u[i-1] + 1 */
		if (b0 != NONE && u[i - 1] + 1 < h->nl)
			add_cand(h, o, first, i - 1, b0);
		first = i;
		b0 = nb;
	}
}

static int cmp_cand(uint32_t a, uint32_t b, const void *vh)
{
	const struct hy *h = vh;
	const struct hcand *x = &h->cands[a], *y = &h->cands[b];

	if (x->density != y->density)
		return x->density > y->density ? -1 : 1;
	if (x->obj != y->obj)
		return x->obj < y->obj ? -1 : 1;
	return a < b ? -1 : a > b;
}

static bool room(const struct hy *h, uint32_t from, uint32_t to, uint64_t bytes)
{
	for (uint32_t l = from; l < to; l++)
		if (h->occ[l] + bytes > h->LB)
			return false;
	return true;
}

/* Does window @c's copying fit the channel's share of the compute it spans? */
static bool channel_fits(const struct hy *h, const struct hcand *c, uint32_t end)
{
	uint64_t copy = plan_copy_ns(h->in->objs[c->obj].bytes, h->bw), busy = 0;

	for (uint32_t l = c->b0; l < end; l++)
		busy += h->chan[l];
	return (double)(busy + 2 * copy) <=
	       h->hp->channel_share * (double)(h->prefix[end] - h->prefix[c->b0]);
}

static void add_move(struct hy *h, uint32_t o, uint8_t op, uint32_t b, uint32_t need)
{
	struct plan_move *m = &h->moves[h->nmoves++];

	memset(m, 0, sizeof(*m));
	m->obj = o;
	m->op = op;
	m->boundary = b;
	m->need_layer = need;
}

/* Admit candidate @c if it fits; record its moves. */
static void admit(struct hy *h, const struct hcand *c)
{
	uint32_t o = c->obj, w1, end;
	uint64_t bytes = h->in->objs[o].bytes;

	if (c->first == NONE) {
		if (h->state[o] || !room(h, 0, h->nl, bytes))
			return;
		for (uint32_t l = 0; l < h->nl; l++)
			h->occ[l] += bytes;
		h->state[o] = 1;
		return;
	}
	if (h->state[o] == 1)
		return;
	w1 = h->ul[h->ustart[o] + c->last];
	end = w1 + 2 > h->nl ? h->nl : w1 + 2;
	if (!room(h, c->b0, end, bytes) || !channel_fits(h, c, end))
		return;
	for (uint32_t l = c->b0; l < end; l++)
		h->occ[l] += bytes;
	h->chan[c->b0] += plan_copy_ns(bytes, h->bw);
	h->chan[w1 + 1] += plan_copy_ns(bytes, h->bw);
	h->state[o] = 2;
	add_move(h, o, PLAN_PROMOTE, c->b0, h->ul[h->ustart[o] + c->first]);
	add_move(h, o, PLAN_DEMOTE, w1 + 1, w1);
}

static int cmp_move(uint32_t a, uint32_t b, const void *vh)
{
	const struct plan_move *x = &((const struct hy *)vh)->moves[a];
	const struct plan_move *y = &((const struct hy *)vh)->moves[b];

	if (x->boundary != y->boundary)
		return x->boundary < y->boundary ? -1 : 1;
	if (x->op != y->op)
		return x->op == PLAN_DEMOTE ? -1 : 1;
	if (x->need_layer != y->need_layer)
		return x->need_layer < y->need_layer ? -1 : 1;
	return x->obj < y->obj ? -1 : x->obj > y->obj;
}

/* Candidates of every touched long-lived object, best first, admitted. */
static int choose(struct hy *h, const struct plan_schedule *base)
{
	/* at most a whole-step candidate per object and a window per use */
	size_t ncand = (size_t)h->in->nr_acc + h->no + 1;
	size_t nmove = 2 * ((size_t)h->in->nr_acc + 1);	/* two per window */
	size_t nsort = ncand > nmove ? ncand : nmove;
	uint32_t *idx, *tmp;

	h->cands = calloc(ncand, sizeof(*h->cands));
	h->moves = calloc(nmove, sizeof(*h->moves));
	idx = calloc(nsort, sizeof(*idx));
	tmp = calloc(nsort, sizeof(*tmp));
	if (!h->cands || !h->moves || !idx || !tmp) {
		free(idx);
		free(tmp);
		return -ENOMEM;
	}
	for (uint32_t o = 0; o < h->no; o++) {
		uint32_t n = h->ustart[o + 1] - h->ustart[o];
		uint8_t cls = base->objs[o].cls;

		if (cls == PLAN_CLS_HINT_FAST) {	/* plan_static() fitted them */
			for (uint32_t l = 0; l < h->nl; l++)
				h->occ[l] += h->in->objs[o].bytes;
			h->state[o] = 1;
			continue;
		}
		if (!n || cls == PLAN_CLS_SHORT || cls == PLAN_CLS_SHORT_SLOW ||
		    cls == PLAN_CLS_HINT_SLOW || h->in->objs[o].bytes > h->LB)
			continue;
		add_cand(h, o, 0, n - 1, NONE);
		object_windows(h, o);
	}
	for (uint32_t i = 0; i < h->ncand; i++)
		idx[i] = i;
	plan_msort(idx, tmp, h->ncand, cmp_cand, h);
	for (uint32_t i = 0; i < h->ncand; i++)
		admit(h, &h->cands[idx[i]]);
	for (uint32_t i = 0; i < h->nmoves; i++)
		idx[i] = i;
	plan_msort(idx, tmp, h->nmoves, cmp_move, h);
	{	/* apply the order */
		struct plan_move *sorted = calloc((size_t)h->nmoves + 1, sizeof(*sorted));

		if (!sorted) {
			free(idx);
			free(tmp);
			return -ENOMEM;
		}
		for (uint32_t i = 0; i < h->nmoves; i++)
			sorted[i] = h->moves[idx[i]];
		free(h->moves);
		h->moves = sorted;
	}
	free(idx);
	free(tmp);
	return 0;
}

/* Write the choice into @out, which holds plan_static()'s placement. */
static void write_schedule(struct hy *h, struct plan_schedule *out)
{
	uint64_t maxshort = out->planned_peak, peak = 0, fixed = 0;
	uint32_t nwin = 0;

	for (uint32_t o = 0; o < h->no; o++) {
		struct plan_obj_plan *op = &out->objs[o];
		uint8_t cls = op->cls;

		if (cls == PLAN_CLS_SHORT || cls == PLAN_CLS_SHORT_SLOW ||
		    cls == PLAN_CLS_HINT_SLOW)
			continue;
		if (cls == PLAN_CLS_STATIC_FAST || cls == PLAN_CLS_HINT_FAST)
			maxshort -= h->in->objs[o].bytes;
		if (cls == PLAN_CLS_HINT_FAST) {
			fixed += h->in->objs[o].bytes;
			continue;
		}
		op->cls = h->state[o] == 1 ? PLAN_CLS_STATIC_FAST :
			  h->state[o] == 2 ? PLAN_CLS_MIGRATED : PLAN_CLS_STATIC_SLOW;
		op->initial = h->state[o] == 1 ? PLAN_FAST : PLAN_SLOW;
		op->birth = op->initial;
		if (h->state[o] == 1)
			fixed += h->in->objs[o].bytes;
	}
	for (uint32_t l = 0; l < h->nl; l++)
		peak = h->occ[l] > peak ? h->occ[l] : peak;
	for (uint32_t b = 0; b < h->nl; b++)
		out->bounds[b].first = 0;
	for (uint32_t i = 0; i < h->nmoves; i++) {
		const struct plan_move *m = &h->moves[i];
		struct plan_bound *bo = &out->bounds[m->boundary];

		if (!bo->nr_demote && !bo->nr_promote)
			bo->first = i;
		if (m->op == PLAN_DEMOTE) {
			bo->nr_demote++;
			out->demote_bytes += h->in->objs[m->obj].bytes;
		} else {
			bo->nr_promote++;
			out->promote_bytes += h->in->objs[m->obj].bytes;
			/* born where its first window wants it */
			if (m->need_layer == h->ul[h->ustart[m->obj]])
				out->objs[m->obj].birth = PLAN_FAST;
			nwin++;
		}
	}
	for (uint32_t b = 1; b < h->nl; b++)
		if (!out->bounds[b].nr_demote && !out->bounds[b].nr_promote)
			out->bounds[b].first = out->bounds[b - 1].first +
					       out->bounds[b - 1].nr_demote +
					       out->bounds[b - 1].nr_promote;
	free(out->moves);
	out->moves = h->moves;
	out->nr_moves = h->nmoves;
	h->moves = NULL;
	out->flags &= ~PLAN_F_BASELINE;
	out->initial_fast = fixed;
	out->planned_peak = peak + maxshort;
	snprintf(out->reason, sizeof(out->reason),
		 "hybrid: %llu B fixed fast, %u windows (%llu B promoted a step)",
		 (unsigned long long)fixed, nwin, (unsigned long long)out->promote_bytes);
}

int plan_hybrid(const struct plan_input *in, const struct plan_params *p,
		const struct plan_hybrid_params *hp, struct plan_schedule *out,
		char *err, size_t errlen)
{
	struct plan_hybrid_params d = {
		.slow_factor = hp ? hp->slow_factor : 0,
		.channel_share = hp ? hp->channel_share : 0,
		.pay_factor = hp ? hp->pay_factor : 0,
	};
	struct hy h = { .in = in, .hp = &d };
	int ret;

	if (!(d.slow_factor >= 0 && d.slow_factor <= 1e6) ||
	    !(d.channel_share >= 0 && d.channel_share <= 1) ||
	    !(d.pay_factor >= 0 && d.pay_factor <= 1e6)) {
		if (out)
			memset(out, 0, sizeof(*out));
		plan_seterr(err, errlen, "bad hybrid parameters");
		return -EINVAL;
	}
	d.slow_factor = d.slow_factor >= 1.0 ? d.slow_factor : 3.0;
	d.channel_share = d.channel_share > 0 ? d.channel_share : HY_SHARE;
	d.pay_factor = d.pay_factor > 0 ? d.pay_factor : HY_PAY;
	ret = plan_static(in, p, out, err, errlen);
	if (ret)
		return ret;
	h.no = in->nr_objs;
	h.nl = in->nr_layers;
	h.ps = in->page_size ? in->page_size : 4096;
	h.bw = p->bw;
	h.LB = out->long_budget;
	ret = hy_uses(&h);
	if (!ret)
		ret = choose(&h, out);
	if (ret) {
		hy_free(&h);
		plan_free(out);
		plan_seterr(err, errlen, "out of memory");
		return ret;
	}
	write_schedule(&h, out);
	hy_free(&h);
	return 0;
}
