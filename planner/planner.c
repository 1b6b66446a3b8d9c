// SPDX-License-Identifier: GPL-2.0
/*
 * The Sentinel planner (see planner.h and Documentation/planner.rst).
 *
 * Vocabulary: S is the fast budget, RS the short-lived reservation, LB =
 * S - RS the long-lived budget.  The step's layers are cut into intervals
 * of N layers; W(k) is the set of migratable long-lived objects touched in
 * interval k.  Objects are named by their index in the input; every
 * ordering ends with the index (ids are unique and indexes follow the
 * caller's order), so the output is a function of the input.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planner.h"

#define NONE		UINT32_MAX
#define DEF_MAX_N	256
#define COST_CYCLES	2	/* one warm-up step, then the measured one */

/* ---------------------------------------------------------------- */
/* Saturating arithmetic and helpers                                 */

static inline uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static inline uint64_t tadd(uint64_t a, uint64_t b)
{
	uint64_t s = sat_add(a, b);

	return s > PLAN_TIME_INF ? PLAN_TIME_INF : s;
}

static inline uint64_t tmul(uint64_t a, uint64_t b)
{
	unsigned __int128 p = (unsigned __int128)a * b;

	return p > PLAN_TIME_INF ? PLAN_TIME_INF : (uint64_t)p;
}

uint64_t plan_copy_ns(uint64_t bytes, uint64_t bw)
{
	unsigned __int128 ns;

	if (!bytes)
		return 0;
	if (!bw)
		return PLAN_TIME_INF;
	ns = ((unsigned __int128)bytes * 1000000000u + bw - 1) / bw;
	return ns > PLAN_TIME_INF ? PLAN_TIME_INF : (uint64_t)ns;
}

void plan_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void reason_add(struct plan_schedule *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void reason_add(struct plan_schedule *s, const char *fmt, ...)
{
	size_t len = strlen(s->reason);
	va_list ap;

	if (len + 3 >= sizeof(s->reason))
		return;
	if (len) {
		strcpy(s->reason + len, "; ");
		len += 2;
	}
	va_start(ap, fmt);
	vsnprintf(s->reason + len, sizeof(s->reason) - len, fmt, ap);
	va_end(ap);
}

const char *plan_cls_name(unsigned int cls)
{
	static const char *const names[__PLAN_CLS_MAX] = {
		[PLAN_CLS_SHORT] = "short",
		[PLAN_CLS_SHORT_SLOW] = "short-slow",
		[PLAN_CLS_PINNED] = "pinned",
		[PLAN_CLS_RESIDENT] = "resident",
		[PLAN_CLS_MIGRATED] = "migrated",
		[PLAN_CLS_COLD] = "cold",
		[PLAN_CLS_TOO_BIG] = "too-big",
		[PLAN_CLS_NO_ROOM] = "no-room",
		[PLAN_CLS_STATIC_FAST] = "static-fast",
		[PLAN_CLS_STATIC_SLOW] = "static-slow",
		[PLAN_CLS_HINT_FAST] = "pin-fast",
		[PLAN_CLS_HINT_SLOW] = "never-promote",
	};

	return cls < __PLAN_CLS_MAX ? names[cls] : "?";
}

void plan_msort(uint32_t *a, uint32_t *tmp, size_t n, plan_cmp_fn cmp,
		const void *ctx)
{
	uint32_t *src = a, *dst = tmp;

	for (size_t w = 1; w < n; w *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * w) {
			size_t mid = lo + w < n ? lo + w : n;
			size_t hi = lo + 2 * w < n ? lo + 2 * w : n;
			size_t i = lo, j = mid, k = lo;

			while (i < mid && j < hi)
				dst[k++] = cmp(src[j], src[i], ctx) < 0 ?
					   src[j++] : src[i++];
			while (i < mid)
				dst[k++] = src[i++];
			while (j < hi)
				dst[k++] = src[j++];
		}
		uint32_t *t = src;

		src = dst;
		dst = t;
	}
	if (src != a)
		memcpy(a, src, n * sizeof(*a));
}

/* ---------------------------------------------------------------- */
/* Context: per-object facts derived once from the input             */

struct pair {			/* an object's use of one interval */
	uint32_t obj;
	uint32_t first;		/* first and last layer touching it there */
	uint32_t last;
};

struct build {			/* the schedule for one N */
	struct plan_move *moves;
	uint32_t nr_moves;
	uint8_t *initial;	/* per object */
	uint8_t *oflags;	/* per object: PLAN_OF_* */
	uint64_t cost_ns;
	uint64_t promote_bytes;
	uint64_t demote_bytes;
	uint64_t unplaced;
	uint64_t max_set;
	bool degraded;
};

struct ctx {
	const struct plan_input *in;
	uint32_t no, nl, na;
	uint64_t ps;
	uint64_t S, RS, LB;
	uint64_t bw;

	/* per object */
	uint64_t *pg;		/* pages it spans (>= 1) */
	uint64_t *acc;		/* pages touched over the step */
	uint32_t *ustart;	/* layers touching it: ulay[ustart[o]..ustart[o+1]) */
	uint32_t *ulay;
	uint32_t *ftpos;	/* position in its first layer's accesses */
	uint32_t *rank;		/* 0 = most accessed per byte */
	uint32_t *byrank;	/* inverse of rank */
	uint8_t *cls;
	uint8_t *pinned;

	/* per layer */
	uint64_t *prefix;	/* prefix[b]: compute time before layer b */
	uint64_t *shortb;	/* fast short-lived bytes during layer b */

	uint64_t peak_short;
	uint64_t pinned_bytes;

	/* scratch for one N */
	struct pair *pairs;
	uint32_t *pstart;	/* per interval, size nl + 1 */
	uint64_t *setb;		/* per interval */
	uint32_t *mnext, *mcur, *firstnext, *dem_idx, *promo0;
	uint32_t epoch;
	uint64_t *m;		/* per layer of an interval (nl + 1) */
	uint32_t *cand, *tmp;
	uint64_t *late;		/* per interval */
	struct build b[2];
};

/*
 * How a hint biases an object's accesses per byte in the ranking: a
 * factor of PLAN_HINT_BIAS up (PREFER_FAST, and PIN_FAST for the pins
 * refused) or down (PREFER_SLOW), on the one side or the other.
 */

static void hint_bias(const struct ctx *c, uint32_t o, unsigned __int128 *mine,
		      unsigned __int128 *other)
{
	switch (plan_obj_hint(&c->in->objs[o])) {
	case SENTINEL_OBJ_F_PIN_FAST:
	case SENTINEL_OBJ_F_PREFER_FAST:
		*mine *= PLAN_HINT_BIAS;
		break;
	case SENTINEL_OBJ_F_PREFER_SLOW:
		*other *= PLAN_HINT_BIAS;
		break;
	}
}

static int cmp_density(uint32_t a, uint32_t b, const void *vc)
{
	const struct ctx *c = vc;
	unsigned __int128 x = (unsigned __int128)c->acc[a] * c->pg[b];
	unsigned __int128 y = (unsigned __int128)c->acc[b] * c->pg[a];

	hint_bias(c, a, &x, &y);
	hint_bias(c, b, &y, &x);
	if (x != y)
		return x > y ? -1 : 1;
	return a < b ? -1 : a > b;
}

static int cmp_id(uint32_t a, uint32_t b, const void *vin)
{
	const struct plan_input *in = vin;
	uint64_t x = in->objs[a].id, y = in->objs[b].id;

	if (x != y)
		return x < y ? -1 : 1;
	return a < b ? -1 : a > b;
}

static int cmp_rank(uint32_t a, uint32_t b, const void *vc)
{
	const struct ctx *c = vc;

	return c->rank[a] < c->rank[b] ? -1 : c->rank[a] > c->rank[b];
}

static void ctx_free(struct ctx *c)
{
	free(c->pg);
	free(c->acc);
	free(c->ustart);
	free(c->ulay);
	free(c->ftpos);
	free(c->rank);
	free(c->byrank);
	free(c->cls);
	free(c->pinned);
	free(c->prefix);
	free(c->shortb);
	free(c->pairs);
	free(c->pstart);
	free(c->setb);
	free(c->mnext);
	free(c->mcur);
	free(c->firstnext);
	free(c->dem_idx);
	free(c->promo0);
	free(c->m);
	free(c->cand);
	free(c->tmp);
	free(c->late);
	for (int i = 0; i < 2; i++) {
		free(c->b[i].moves);
		free(c->b[i].initial);
		free(c->b[i].oflags);
	}
	memset(c, 0, sizeof(*c));
}

static int validate(const struct plan_input *in, const struct plan_params *p,
		    char *err, size_t errlen)
{
	uint64_t total = 0, ns = 0;

	if (!in || !p) {
		plan_seterr(err, errlen, "no input or no parameters");
		return -EINVAL;
	}
	if (in->nr_objs > PLAN_MAX_OBJS || in->nr_layers > PLAN_MAX_LAYERS ||
	    in->nr_acc > PLAN_MAX_ACCESSES) {
		plan_seterr(err, errlen, "too many objects (%u), layers (%u) or accesses (%u)",
		       in->nr_objs, in->nr_layers, in->nr_acc);
		return -EINVAL;
	}
	if ((in->nr_objs && !in->objs) || (in->nr_layers && !in->layers) ||
	    (in->nr_acc && !in->acc)) {
		plan_seterr(err, errlen, "array missing");
		return -EINVAL;
	}
	if (in->page_size && (in->page_size < 512 || in->page_size > (1U << 30) ||
			      (in->page_size & (in->page_size - 1)))) {
		plan_seterr(err, errlen, "bad page size %u", in->page_size);
		return -EINVAL;
	}
	if (!p->bw) {
		plan_seterr(err, errlen, "migration bandwidth is 0");
		return -EINVAL;
	}
	for (uint32_t i = 0; i < in->nr_objs; i++) {
		if (in->objs[i].bytes > PLAN_MAX_OBJ_BYTES) {
			plan_seterr(err, errlen, "object %u (id %llu): size %llu too large", i,
			       (unsigned long long)in->objs[i].id,
			       (unsigned long long)in->objs[i].bytes);
			return -EINVAL;
		}
		total += in->objs[i].bytes;
		if (total > PLAN_MAX_TOTAL_BYTES) {
			plan_seterr(err, errlen, "objects total more than %llu bytes",
			       (unsigned long long)PLAN_MAX_TOTAL_BYTES);
			return -EINVAL;
		}
	}
	for (uint32_t l = 0; l < in->nr_layers; l++) {
		const struct plan_layer *ly = &in->layers[l];

		if (ly->first > in->nr_acc || ly->count > in->nr_acc - ly->first) {
			plan_seterr(err, errlen, "layer %u: accesses %u+%u beyond %u", l,
			       ly->first, ly->count, in->nr_acc);
			return -EINVAL;
		}
		if (ly->compute_ns > PLAN_MAX_LAYER_NS) {
			plan_seterr(err, errlen, "layer %u: compute time %llu ns too large", l,
			       (unsigned long long)ly->compute_ns);
			return -EINVAL;
		}
		ns += ly->compute_ns;
		for (uint32_t a = 0; a < ly->count; a++) {
			if (in->acc[ly->first + a].obj >= in->nr_objs) {
				plan_seterr(err, errlen, "layer %u: access %u names object %u of %u",
				       l, a, in->acc[ly->first + a].obj, in->nr_objs);
				return -EINVAL;
			}
		}
	}
	(void)ns;	/* bounded: nr_layers * PLAN_MAX_LAYER_NS < 2^60 */
	return 0;
}

/* Derive the per-object facts; rejects duplicate ids and duplicate uses. */
static int ctx_init(struct ctx *c, const struct plan_input *in,
		    const struct plan_params *p, char *err, size_t errlen)
{
	uint32_t no = in->nr_objs, nl = in->nr_layers, na = in->nr_acc;
	uint32_t nuse = 0;

	memset(c, 0, sizeof(*c));
	c->in = in;
	c->no = no;
	c->nl = nl;
	c->na = na;
	c->ps = in->page_size ? in->page_size : 4096;
	c->S = p->fast_budget;
	c->bw = p->bw;
	c->pg = calloc(no + 1, sizeof(*c->pg));
	c->acc = calloc(no + 1, sizeof(*c->acc));
	c->ustart = calloc((size_t)no + 1, sizeof(*c->ustart));
	c->ftpos = calloc(no + 1, sizeof(*c->ftpos));
	c->rank = calloc(no + 1, sizeof(*c->rank));
	c->byrank = calloc(no + 1, sizeof(*c->byrank));
	c->cls = calloc(no + 1, sizeof(*c->cls));
	c->pinned = calloc(no + 1, sizeof(*c->pinned));
	c->prefix = calloc((size_t)nl + 1, sizeof(*c->prefix));
	c->shortb = calloc((size_t)nl + 1, sizeof(*c->shortb));
	c->tmp = calloc((size_t)(no > na ? no : na) + 1, sizeof(*c->tmp));
	c->mcur = calloc(no + 1, sizeof(*c->mcur));
	if (!c->pg || !c->acc || !c->ustart || !c->ftpos || !c->rank || !c->byrank ||
	    !c->cls || !c->pinned || !c->prefix || !c->shortb || !c->tmp ||
	    !c->mcur) {
		plan_seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}

	/* Unique ids. */
	for (uint32_t i = 0; i < no; i++)
		c->rank[i] = i;
	plan_msort(c->rank, c->tmp, no, cmp_id, in);
	for (uint32_t i = 1; i < no; i++) {
		if (in->objs[c->rank[i]].id == in->objs[c->rank[i - 1]].id) {
			plan_seterr(err, errlen, "objects %u and %u have the same id %llu",
			       c->rank[i - 1], c->rank[i],
			       (unsigned long long)in->objs[c->rank[i]].id);
			return -EINVAL;
		}
	}

	for (uint32_t o = 0; o < no; o++) {
		uint64_t b = in->objs[o].bytes;

		c->pg[o] = b / c->ps + (b % c->ps != 0);
		if (!c->pg[o])
			c->pg[o] = 1;
		c->mcur[o] = NONE;
	}
	/* Count uses; mcur[o] holds the last layer that touched o. */
	for (uint32_t l = 0; l < nl; l++) {
		const struct plan_layer *ly = &in->layers[l];

		c->prefix[l + 1] = c->prefix[l] + ly->compute_ns;
		for (uint32_t a = 0; a < ly->count; a++) {
			const struct plan_access *ac = &in->acc[ly->first + a];
			uint32_t o = ac->obj;

			if (c->mcur[o] == l) {
				plan_seterr(err, errlen, "layer %u touches object %u twice", l, o);
				return -EINVAL;
			}
			if (c->mcur[o] == NONE)
				c->ftpos[o] = a;
			c->mcur[o] = l;
			c->ustart[o]++;
			nuse++;
			c->acc[o] = sat_add(c->acc[o],
					    ac->pages < c->pg[o] ? ac->pages : c->pg[o]);
		}
	}
	/* Prefix sums into CSR offsets, then fill (layers ascending). */
	{
		uint32_t run = 0;

		for (uint32_t o = 0; o < no; o++) {
			uint32_t n = c->ustart[o];

			c->ustart[o] = run;
			run += n;
		}
		c->ustart[no] = run;
	}
	c->ulay = calloc((size_t)nuse + 1, sizeof(*c->ulay));
	if (!c->ulay) {
		plan_seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (uint32_t o = 0; o < no; o++)
		c->mcur[o] = c->ustart[o];	/* fill cursor */
	for (uint32_t l = 0; l < nl; l++) {
		const struct plan_layer *ly = &in->layers[l];

		for (uint32_t a = 0; a < ly->count; a++) {
			uint32_t o = in->acc[ly->first + a].obj;

			c->ulay[c->mcur[o]++] = l;
		}
	}
	for (uint32_t o = 0; o < no; o++)
		c->mcur[o] = 0;

	/* Priority rank: accesses per byte, then index. */
	for (uint32_t i = 0; i < no; i++)
		c->byrank[i] = i;
	plan_msort(c->byrank, c->tmp, no, cmp_density, c);
	for (uint32_t i = 0; i < no; i++)
		c->rank[c->byrank[i]] = i;
	return 0;
}

static inline uint32_t nuses(const struct ctx *c, uint32_t o)
{
	return c->ustart[o + 1] - c->ustart[o];
}

/* ---------------------------------------------------------------- */
/* Short-lived objects                                                */

/*
 * Short-lived objects touched in exactly one layer live in that layer
 * only; the others (region segments, or never touched) are live all step.
 * Place them in the reserved region; when the peak exceeds S, admit them
 * by priority while every layer they live in stays within S.
 */
static void place_short(struct ctx *c, const struct plan_params *p,
			struct plan_schedule *s)
{
	const struct plan_input *in = c->in;
	uint64_t always = 0, maxl = 0, peak;

	for (uint32_t l = 0; l < c->nl; l++)
		c->shortb[l] = 0;
	for (uint32_t o = 0; o < c->no; o++) {
		if (!plan_obj_short(&in->objs[o]))
			continue;
		if (nuses(c, o) == 1)
			c->shortb[c->ulay[c->ustart[o]]] += in->objs[o].bytes;
		else
			always += in->objs[o].bytes;
	}
	for (uint32_t l = 0; l < c->nl; l++)
		maxl = c->shortb[l] > maxl ? c->shortb[l] : maxl;
	peak = always + maxl;
	c->peak_short = peak;
	c->RS = p->short_reserve > peak ? p->short_reserve : peak;
	if (p->short_reserve && p->short_reserve < peak) {
		s->flags |= PLAN_F_RESERVE_RAISED;
		reason_add(s, "short-lived reservation raised from %llu to the peak %llu",
			   (unsigned long long)p->short_reserve,
			   (unsigned long long)peak);
	}
	if (c->RS > c->S)
		c->RS = c->S;
	if (peak <= c->S) {
		for (uint32_t o = 0; o < c->no; o++)
			if (plan_obj_short(&in->objs[o]))
				c->cls[o] = PLAN_CLS_SHORT;
		return;
	}

	/* Overflow: admission by priority. */
	uint32_t left = 0;
	uint64_t left_bytes = 0;

	s->flags |= PLAN_F_SHORT_OVERFLOW | PLAN_F_INFEASIBLE;
	always = 0;
	maxl = 0;
	for (uint32_t l = 0; l < c->nl; l++)
		c->shortb[l] = 0;
	for (uint32_t r = 0; r < c->no; r++) {
		uint32_t o = c->byrank[r];

		if (!plan_obj_short(&in->objs[o]))
			continue;
		uint64_t b = in->objs[o].bytes;
		bool fits;

		if (nuses(c, o) == 1) {
			uint32_t l = c->ulay[c->ustart[o]];

			fits = always + c->shortb[l] + b <= c->S;
			if (fits) {
				c->shortb[l] += b;
				maxl = c->shortb[l] > maxl ? c->shortb[l] : maxl;
			}
		} else {
			fits = always + maxl + b <= c->S;
			if (fits)
				always += b;
		}
		c->cls[o] = fits ? PLAN_CLS_SHORT : PLAN_CLS_SHORT_SLOW;
		if (!fits) {
			left++;
			left_bytes += b;
		}
	}
	c->RS = c->S;
	reason_add(s, "short-lived peak %llu exceeds the fast budget %llu: %u short-lived objects (%llu bytes) left slow",
		   (unsigned long long)peak, (unsigned long long)c->S, left,
		   (unsigned long long)left_bytes);
	/* Record the always-live part per layer, as the simulator sees it. */
	for (uint32_t l = 0; l < c->nl; l++)
		c->shortb[l] += always;
}

static void short_layers_final(struct ctx *c)
{
	const struct plan_input *in = c->in;
	uint64_t always = 0;

	if (c->peak_short > c->S)
		return;		/* place_short() already filled shortb */
	for (uint32_t o = 0; o < c->no; o++)
		if (plan_obj_short(&in->objs[o]) && nuses(c, o) != 1)
			always += in->objs[o].bytes;
	for (uint32_t l = 0; l < c->nl; l++)
		c->shortb[l] += always;
}

/* The short-lived objects placed, RS and LB = S - RS set, in @c and @s. */
static void place_region(struct ctx *c, const struct plan_params *p,
			 struct plan_schedule *s)
{
	place_short(c, p, s);
	short_layers_final(c);
	c->LB = c->S - c->RS;
	s->short_reserve = c->RS;
	s->long_budget = c->LB;
	s->peak_short = c->peak_short;
}

/* ---------------------------------------------------------------- */
/* Long-lived classification and pins                                 */

static bool movable(const struct ctx *c, uint32_t o)
{
	return c->cls[o] == PLAN_CLS_MIGRATED && !c->pinned[o];
}

/* Report the PIN_FAST objects that the long-lived budget cannot hold. */
static void pins_refused(struct plan_schedule *s, uint64_t want, uint64_t room)
{
	if (!s->pins_refused)
		return;
	s->flags |= PLAN_F_PINS_REFUSED;
	reason_add(s, "pins refused: PIN_FAST objects need %llu bytes, the long-lived budget is %llu; %u of them (%llu bytes) ranked as PREFER_FAST instead",
		   (unsigned long long)want, (unsigned long long)room,
		   s->pins_refused, (unsigned long long)s->pins_refused_bytes);
}

/*
 * PIN_FAST objects are fast for the whole step, by rank while they fit
 * S - RS; the others are refused (and ranked as PREFER_FAST).
 */
static void pin_hinted(struct ctx *c, struct plan_schedule *s)
{
	const struct plan_input *in = c->in;
	uint64_t want = 0;

	for (uint32_t r = 0; r < c->no; r++) {
		uint32_t o = c->byrank[r];
		uint64_t b = in->objs[o].bytes;

		if (plan_obj_hint(&in->objs[o]) != SENTINEL_OBJ_F_PIN_FAST)
			continue;
		want = sat_add(want, b);
		if (c->cls[o] == PLAN_CLS_TOO_BIG || c->pinned_bytes + b > c->LB) {
			s->pins_refused++;
			s->pins_refused_bytes = sat_add(s->pins_refused_bytes, b);
			if (!nuses(c, o) && c->cls[o] == PLAN_CLS_MIGRATED)
				c->cls[o] = PLAN_CLS_COLD;
			continue;
		}
		c->cls[o] = PLAN_CLS_MIGRATED;
		c->pinned[o] = 1;
		c->pinned_bytes += b;
	}
	pins_refused(s, want, c->LB);
}

static void classify_long(struct ctx *c, const struct plan_params *p,
			  struct plan_schedule *s)
{
	const struct plan_input *in = c->in;
	uint64_t largest = 0, too_big = 0, maxneed = 0;
	uint32_t largest_o = NONE, nbig = 0;
	uint64_t *need = c->m;	/* per layer, nl + 1 */

	for (uint32_t o = 0; o < c->no; o++) {
		unsigned int hint = plan_obj_hint(&in->objs[o]);

		if (plan_obj_short(&in->objs[o]))
			continue;
		if (hint == SENTINEL_OBJ_F_NEVER_PROMOTE) {
			c->cls[o] = PLAN_CLS_HINT_SLOW;
			continue;
		}
		if (!nuses(c, o) && hint != SENTINEL_OBJ_F_PIN_FAST) {
			c->cls[o] = PLAN_CLS_COLD;
			continue;
		}
		if (nuses(c, o) && (in->objs[o].bytes > largest ||
		    (in->objs[o].bytes == largest && largest_o == NONE))) {
			largest = in->objs[o].bytes;
			largest_o = o;
		}
		if (in->objs[o].bytes > c->LB) {
			c->cls[o] = PLAN_CLS_TOO_BIG;
			nbig++;
			too_big += in->objs[o].bytes;
		} else {
			c->cls[o] = PLAN_CLS_MIGRATED;
		}
	}
	s->largest_long = largest;
	s->lower_bound = sat_add(c->peak_short, largest);
	if (s->lower_bound > c->S) {
		s->flags |= PLAN_F_INFEASIBLE;
		if (largest_o != NONE)
			reason_add(s, "infeasible: fast budget %llu < peak short-lived %llu + largest long-lived object %llu (id %llu)",
				   (unsigned long long)c->S,
				   (unsigned long long)c->peak_short,
				   (unsigned long long)largest,
				   (unsigned long long)in->objs[largest_o].id);
	}
	if (nbig) {
		s->flags |= PLAN_F_TOO_BIG;
		reason_add(s, "%u long-lived objects (%llu bytes) exceed S - RS = %llu and stay slow",
			   nbig, (unsigned long long)too_big,
			   (unsigned long long)c->LB);
	}

	pin_hinted(c, s);

	/* Pins: hot (>= 2 touches per page) and small, within the slack. */
	if (p->pin_budget == PLAN_PIN_NONE)
		return;
	for (uint32_t l = 0; l <= c->nl; l++)
		need[l] = 0;
	for (uint32_t o = 0; o < c->no; o++)
		if (movable(c, o))
			for (uint32_t u = c->ustart[o]; u < c->ustart[o + 1]; u++)
				need[c->ulay[u]] += in->objs[o].bytes;
	for (uint32_t l = 0; l < c->nl; l++)
		maxneed = need[l] > maxneed ? need[l] : maxneed;
	if (c->pinned_bytes + maxneed > c->LB)
		return;

	uint64_t pb = p->pin_budget ? p->pin_budget : c->LB / 16;
	uint64_t pmax = p->pin_max_obj ? p->pin_max_obj : pb / 4;
	uint64_t auto_bytes = 0;

	for (uint32_t r = 0; r < c->no; r++) {
		uint32_t o = c->byrank[r];
		uint64_t b = in->objs[o].bytes;

		if (!movable(c, o) || b > pmax || c->acc[o] / 2 < c->pg[o])
			continue;
		if (auto_bytes + b > pb ||
		    c->pinned_bytes + b + maxneed > c->LB)
			continue;
		c->pinned[o] = 1;
		c->pinned_bytes += b;
		auto_bytes += b;
	}
}

/* ---------------------------------------------------------------- */
/* One interval length                                                */

static inline uint32_t nintervals(uint32_t nl, uint32_t n)
{
	return nl / n + (nl % n != 0);
}

/* Interval sets; returns the largest (pinned bytes included). */
/*
 * Over each pair (movable object, interval of @n layers it touches): add
 * the object's bytes to @bytes[k] and 1 to @count[k] (either may be NULL).
 */
static void tally_pairs(const struct ctx *c, uint32_t n, uint64_t *bytes,
			uint32_t *count)
{
	for (uint32_t o = 0; o < c->no; o++) {
		uint32_t prev = NONE;

		if (!movable(c, o))
			continue;
		for (uint32_t u = c->ustart[o]; u < c->ustart[o + 1]; u++) {
			uint32_t k = c->ulay[u] / n;

			if (k != prev && bytes)
				bytes[k] += c->in->objs[o].bytes;
			if (k != prev && count)
				count[k]++;
			prev = k;
		}
	}
}

static uint64_t set_sizes(struct ctx *c, uint32_t n)
{
	uint32_t K = nintervals(c->nl, n);
	uint64_t mx = 0;

	for (uint32_t k = 0; k < K; k++)
		c->setb[k] = c->pinned_bytes;
	tally_pairs(c, n, c->setb, NULL);
	for (uint32_t k = 0; k < K; k++)
		mx = c->setb[k] > mx ? c->setb[k] : mx;
	return mx;
}

struct mvkey_ctx {
	const struct ctx *c;
	const struct plan_move *mv;
};

static int cmp_move(uint32_t a, uint32_t b, const void *vk)
{
	const struct mvkey_ctx *k = vk;
	const struct plan_move *x = &k->mv[a], *y = &k->mv[b];
	uint32_t nl = k->c->nl, dx, dy;

	if (x->boundary != y->boundary)
		return x->boundary < y->boundary ? -1 : 1;
	if (x->op != y->op)
		return x->op == PLAN_DEMOTE ? -1 : 1;
	dx = x->op == PLAN_PROMOTE ? (x->need_layer + nl - x->boundary) % nl : 0;
	dy = y->op == PLAN_PROMOTE ? (y->need_layer + nl - y->boundary) % nl : 0;
	if (dx != dy)
		return dx < dy ? -1 : 1;
	if (k->c->rank[x->obj] != k->c->rank[y->obj])
		return k->c->rank[x->obj] < k->c->rank[y->obj] ? -1 : 1;
	return a < b ? -1 : a > b;
}

static int cmp_prefetch(uint32_t a, uint32_t b, const void *vc)
{
	const struct ctx *c = vc;

	if (c->firstnext[a] != c->firstnext[b])
		return c->firstnext[a] < c->firstnext[b] ? -1 : 1;
	return cmp_rank(a, b, vc);
}

/* The modeled migration wait of a schedule (see plan_cand.cost_ns). */
static uint64_t replay_cost(struct ctx *c, const struct build *bd, uint32_t n)
{
	uint32_t K = nintervals(c->nl, n), mi = 0;
	uint64_t C = c->prefix[c->nl], chan = 0, sum = 0;

	for (uint32_t k = 0; k < K; k++)
		c->late[k] = 0;
	for (uint32_t cy = 0; cy < COST_CYCLES; cy++) {
		mi = 0;
		for (uint32_t b = 0; b < c->nl; b++) {
			uint64_t T = tadd(tmul(cy, C), c->prefix[b]);

			for (; mi < bd->nr_moves && bd->moves[mi].boundary == b; mi++) {
				const struct plan_move *mv = &bd->moves[mi];
				uint64_t start = chan > T ? chan : T;
				uint64_t end = tadd(start, plan_copy_ns(c->in->objs[mv->obj].bytes,
									c->bw));

				chan = end;
				if (cy != COST_CYCLES - 1 || mv->op != PLAN_PROMOTE)
					continue;
				uint32_t k = mv->need_layer / n, ts = k * n;
				uint64_t tgt = ts >= b ?
					tadd(tmul(cy, C), c->prefix[ts]) :
					tadd(tmul(cy + 1, C), c->prefix[ts]);

				if (end > tgt && end - tgt > c->late[k])
					c->late[k] = end - tgt;
			}
		}
	}
	for (uint32_t k = 0; k < K; k++)
		sum = tadd(sum, c->late[k]);
	return sum;
}

static uint32_t add_move(struct build *bd, uint32_t o, uint8_t op, uint32_t b,
			 uint32_t need)
{
	struct plan_move *mv = &bd->moves[bd->nr_moves];

	memset(mv, 0, sizeof(*mv));
	mv->obj = o;
	mv->op = op;
	mv->boundary = b;
	mv->need_layer = need;
	return bd->nr_moves++;
}

/* The pairs (object, interval) of interval length @n, by interval. */
static void build_pairs(struct ctx *c, uint32_t n, uint32_t K)
{
	for (uint32_t k = 0; k <= K; k++)
		c->pstart[k] = 0;
	tally_pairs(c, n, NULL, c->pstart + 1);
	for (uint32_t k = 0; k < K; k++)
		c->pstart[k + 1] += c->pstart[k];
	for (uint32_t k = 0; k < K; k++)
		c->setb[k] = c->pstart[k];	/* fill cursors */
	for (uint32_t o = 0; o < c->no; o++) {
		uint32_t prev = NONE;
		struct pair *pr = NULL;

		if (!movable(c, o))
			continue;
		for (uint32_t u = c->ustart[o]; u < c->ustart[o + 1]; u++) {
			uint32_t l = c->ulay[u], k = l / n;

			if (k != prev) {
				pr = &c->pairs[c->setb[k]++];
				pr->obj = o;
				pr->first = l;
			}
			pr->last = l;
			prev = k;
		}
	}
}

/*
 * Interval @k's set exceeds @room: admit its objects by priority while
 * they fit; returns how many pairs were kept, at the front of the set.
 */
static uint32_t admit(struct ctx *c, struct build *bd, uint32_t k, uint64_t room)
{
	uint32_t p0 = c->pstart[k], np = c->pstart[k + 1] - p0, kept = 0;
	struct pair *base = &c->pairs[p0];
	uint32_t *idx = c->cand;
	uint64_t sum = 0;

	/* rank of pair i is rank[base[i].obj] */
	for (uint32_t i = 0; i < np; i++)
		idx[i] = base[i].obj;
	plan_msort(idx, c->tmp, np, cmp_rank, c);
	for (uint32_t i = 0; i < np; i++) {
		uint32_t o = idx[i];
		uint64_t b = c->in->objs[o].bytes;

		if (sum + b <= room) {
			sum += b;
			c->mnext[o] = NONE - 1;	/* admitted */
		} else {
			c->mnext[o] = NONE - 2;
			bd->oflags[o] |= PLAN_OF_UNADMITTED;
			bd->unplaced = sat_add(bd->unplaced, b);
		}
	}
	for (uint32_t i = 0; i < np; i++)
		if (c->mnext[base[i].obj] == NONE - 1)
			base[kept++] = base[i];
	for (uint32_t i = 0; i < np; i++)
		c->mnext[idx[i]] = 0;
	return kept;
}

/* Admission where a set exceeds the room; then pairs[pstart[k] .. setb[k]). */
static void admit_all(struct ctx *c, struct build *bd, uint32_t K)
{
	uint64_t room = c->LB - c->pinned_bytes;

	for (uint32_t k = 0; k < K; k++) {
		uint32_t p0 = c->pstart[k], np = c->pstart[k + 1] - p0;
		uint64_t sum = 0;

		for (uint32_t i = 0; i < np; i++)
			sum += c->in->objs[c->pairs[p0 + i].obj].bytes;
		c->setb[k] = c->pstart[k + 1];
		if (sum <= room)
			continue;
		bd->degraded = true;
		/* Leave a hole: shrink by moving the end marker. */
		c->setb[k] = p0 + admit(c, bd, k, room);
	}
}

/*
 * Interval @k (layers @s .. @s + @len) with @nx the next one: the
 * demotion of each object not needed by @nx after its last use here,
 * and c->m[j], the mandatory occupancy during layer s + j.
 */
static void interval_demotions(struct ctx *c, struct build *bd, uint32_t K, uint32_t k,
			       uint32_t s, uint32_t len, uint32_t ep_next)
{
	uint32_t nl = c->nl;
	uint64_t base = c->pinned_bytes, run;

	for (uint32_t j = 0; j <= len; j++)
		c->m[j] = 0;
	for (uint32_t i = c->pstart[k]; i < c->setb[k]; i++) {
		const struct pair *pr = &c->pairs[i];
		uint32_t o = pr->obj, db;
		uint64_t b = c->in->objs[o].bytes;

		if (c->mnext[o] == ep_next) {
			base += b;
			if (k == K - 1)
				bd->initial[o] = PLAN_FAST;
			continue;
		}
		c->m[0] += b;
		c->m[pr->last - s + 1] -= b;
		if (k == K - 1 && pr->last == nl - 1)
			bd->initial[o] = PLAN_FAST;
		db = (pr->last + 1) % nl;
		if (db == 0 && c->promo0[o] != NONE) {
			/* Promoted again at the same boundary: stay. */
			bd->moves[c->promo0[o]].op = 0;
			c->promo0[o] = NONE;
			continue;
		}
		c->dem_idx[o] = add_move(bd, o, PLAN_DEMOTE, db, pr->last);
	}
	run = base;
	for (uint32_t j = 0; j < len; j++) {
		run += c->m[j];
		c->m[j] = run;
	}
}

/*
 * Interval @k: the objects of @nx not in @k promoted in prefetch order,
 * each at the earliest boundary of @k where it fits within LB.
 */
static void interval_promotions(struct ctx *c, struct build *bd, uint32_t K, uint32_t k,
				 uint32_t s, uint32_t len, uint32_t nx, uint32_t ep_cur)
{
	uint32_t ncand = 0, ptr = 0;
	uint64_t placed = 0;

	for (uint32_t i = c->pstart[nx]; i < c->setb[nx]; i++)
		if (c->mcur[c->pairs[i].obj] != ep_cur)
			c->cand[ncand++] = c->pairs[i].obj;
	plan_msort(c->cand, c->tmp, ncand, cmp_prefetch, c);
	for (uint32_t i = 0; i < ncand; i++) {
		uint32_t o = c->cand[i], b, mi;
		uint64_t sz = c->in->objs[o].bytes;

		while (ptr < len && c->m[ptr] + placed + sz > c->LB)
			ptr++;
		if (ptr < len) {
			b = s + ptr;
			placed += sz;
			if (k == K - 1)
				bd->initial[o] = PLAN_FAST;
		} else {
			b = (s + len) % c->nl;
		}
		if (c->dem_idx[o] != NONE && bd->moves[c->dem_idx[o]].op &&
		    bd->moves[c->dem_idx[o]].boundary == b) {
			/* Demoted and promoted at one boundary: stay. */
			bd->moves[c->dem_idx[o]].op = 0;
			c->dem_idx[o] = NONE;
			continue;
		}
		mi = add_move(bd, o, PLAN_PROMOTE, b, c->firstnext[o]);
		if (b == 0 && k == 0)
			c->promo0[o] = mi;
	}
}

/* Interval @k of @K of length @n: its demotions and the next one's promotions. */
static void plan_interval(struct ctx *c, struct build *bd, uint32_t n, uint32_t K, uint32_t k)
{
	uint32_t s = k * n, len = c->nl - s < n ? c->nl - s : n;
	uint32_t nx = (k + 1) % K;
	uint32_t ep_next = ++c->epoch, ep_cur = ++c->epoch;

	for (uint32_t i = c->pstart[nx]; i < c->setb[nx]; i++) {
		c->mnext[c->pairs[i].obj] = ep_next;
		c->firstnext[c->pairs[i].obj] = c->pairs[i].first;
	}
	for (uint32_t i = c->pstart[k]; i < c->setb[k]; i++)
		c->mcur[c->pairs[i].obj] = ep_cur;
	interval_demotions(c, bd, K, k, s, len, ep_next);
	interval_promotions(c, bd, K, k, s, len, nx, ep_cur);
}

/* Drop the cancelled moves, order the rest, count their bytes. */
static void finish_moves(struct ctx *c, struct build *bd)
{
	struct mvkey_ctx kc = { c, bd->moves };
	uint32_t *idx = c->cand, w = 0;

	for (uint32_t i = 0; i < bd->nr_moves; i++)
		if (bd->moves[i].op)
			bd->moves[w++] = bd->moves[i];
	bd->nr_moves = w;
	/* Sort indices, then permute in place by cycles. */
	for (uint32_t i = 0; i < bd->nr_moves; i++)
		idx[i] = i;
	plan_msort(idx, c->tmp, bd->nr_moves, cmp_move, &kc);
	for (uint32_t i = 0; i < bd->nr_moves; i++) {
		uint32_t j = i;
		struct plan_move t = bd->moves[i];

		if (idx[i] == NONE)
			continue;
		while (1) {
			uint32_t src = idx[j];

			idx[j] = NONE;
			if (src == i) {
				bd->moves[j] = t;
				break;
			}
			bd->moves[j] = bd->moves[src];
			j = src;
		}
	}
	for (uint32_t i = 0; i < bd->nr_moves; i++) {
		uint64_t b = c->in->objs[bd->moves[i].obj].bytes;

		if (bd->moves[i].op == PLAN_PROMOTE)
			bd->promote_bytes = sat_add(bd->promote_bytes, b);
		else
			bd->demote_bytes = sat_add(bd->demote_bytes, b);
	}
}

/*
 * Build the schedule for interval length @n into @bd.  With sets larger
 * than LB (degraded), each interval admits its objects by priority.
 */
static void build_for_n(struct ctx *c, uint32_t n, struct build *bd)
{
	uint32_t K = nintervals(c->nl, n);

	bd->nr_moves = 0;
	bd->promote_bytes = bd->demote_bytes = bd->unplaced = 0;
	bd->degraded = false;
	memset(bd->initial, 0, c->no);
	memset(bd->oflags, 0, c->no);
	build_pairs(c, n, K);
	admit_all(c, bd, K);
	for (uint32_t o = 0; o < c->no; o++) {
		c->dem_idx[o] = NONE;
		c->promo0[o] = NONE;
		c->mnext[o] = 0;
		c->mcur[o] = 0;
		if (c->pinned[o])
			bd->initial[o] = PLAN_FAST;
	}
	if (K == 1) {
		for (uint32_t i = c->pstart[0]; i < c->setb[0]; i++)
			bd->initial[c->pairs[i].obj] = PLAN_FAST;
		return;
	}
	for (uint32_t k = 0; k < K; k++)
		plan_interval(c, bd, n, K, k);
	finish_moves(c, bd);
}

/* ---------------------------------------------------------------- */
/* Output                                                             */

static int alloc_sched(struct plan_schedule *s, uint32_t no, uint32_t nl,
		       uint32_t nmoves, uint32_t ncands)
{
	s->nr_objs = no;
	s->nr_layers = nl;
	s->objs = calloc((size_t)no + 1, sizeof(*s->objs));
	s->bounds = calloc((size_t)nl + 1, sizeof(*s->bounds));
	s->moves = calloc((size_t)nmoves + 1, sizeof(*s->moves));
	s->cands = calloc((size_t)ncands + 1, sizeof(*s->cands));
	s->group_members = calloc((size_t)no + 1, sizeof(*s->group_members));
	s->groups = calloc((size_t)no / 2 + 1, sizeof(*s->groups));
	if (!s->objs || !s->bounds || !s->moves || !s->cands ||
	    !s->group_members || !s->groups)
		return -ENOMEM;
	return 0;
}

void plan_free(struct plan_schedule *s)
{
	if (!s)
		return;
	free(s->objs);
	free(s->bounds);
	free(s->moves);
	free(s->groups);
	free(s->group_members);
	free(s->cands);
	memset(s, 0, sizeof(*s));
}

static int cmp_group(uint32_t a, uint32_t b, const void *vc)
{
	const struct ctx *c = vc;
	uint32_t na = nuses(c, a), nb = nuses(c, b);

	if (c->cls[a] != c->cls[b])
		return c->cls[a] < c->cls[b] ? -1 : 1;
	if (na != nb)
		return na < nb ? -1 : 1;
	for (uint32_t i = 0; i < na; i++) {
		uint32_t x = c->ulay[c->ustart[a] + i], y = c->ulay[c->ustart[b] + i];

		if (x != y)
			return x < y ? -1 : 1;
	}
	if (c->acc[a] != c->acc[b])
		return c->acc[a] > c->acc[b] ? -1 : 1;
	return cmp_id(a, b, c->in);
}

static bool same_group(const struct ctx *c, uint32_t a, uint32_t b)
{
	uint32_t na = nuses(c, a);

	if (c->cls[a] != c->cls[b] || na != nuses(c, b))
		return false;
	return !memcmp(&c->ulay[c->ustart[a]], &c->ulay[c->ustart[b]],
		       na * sizeof(uint32_t));
}

/* Groups of long-lived objects with the same class and layer set. */
static void make_groups(struct ctx *c, struct plan_schedule *s)
{
	uint32_t n = 0, *m = s->group_members;

	for (uint32_t o = 0; o < c->no; o++) {
		uint8_t cl = s->objs[o].cls;

		if (cl == PLAN_CLS_PINNED || cl == PLAN_CLS_RESIDENT ||
		    cl == PLAN_CLS_MIGRATED || cl == PLAN_CLS_TOO_BIG ||
		    cl == PLAN_CLS_NO_ROOM)
			m[n++] = o;
	}
	/* cls[] is the group key: use the final classes. */
	for (uint32_t o = 0; o < c->no; o++)
		c->cls[o] = s->objs[o].cls;
	plan_msort(m, c->tmp, n, cmp_group, c);
	uint32_t w = 0;

	for (uint32_t i = 0; i < n; ) {
		uint32_t j = i + 1;

		while (j < n && same_group(c, m[i], m[j]))
			j++;
		if (j - i >= 2) {
			struct plan_group *g = &s->groups[s->nr_groups++];

			g->first = w;
			g->count = j - i;
			for (uint32_t t = i; t < j; t++) {
				m[w++] = m[t];
				s->objs[m[t]].group = s->nr_groups;
				g->bytes = sat_add(g->bytes, c->in->objs[m[t]].bytes);
			}
		}
		i = j;
	}
}

/* Static replay: occupancy, birth nodes, classes. */
static void finish(struct ctx *c, const struct build *bd,
		   struct plan_schedule *s)
{
	const struct plan_input *in = c->in;
	uint8_t *state = (uint8_t *)c->tmp;	/* no bytes <= tmp size */
	uint32_t *nmv = c->mcur;
	uint64_t occ = 0, peak = 0;
	uint32_t mi = 0;

	for (uint32_t o = 0; o < c->no; o++)
		nmv[o] = 0;
	for (uint32_t i = 0; i < bd->nr_moves; i++)
		nmv[bd->moves[i].obj]++;
	for (uint32_t o = 0; o < c->no; o++) {
		struct plan_obj_plan *op = &s->objs[o];

		op->flags = bd->oflags[o];
		if (plan_obj_short(&in->objs[o])) {
			op->cls = c->cls[o];
			op->initial = op->cls == PLAN_CLS_SHORT ? PLAN_FAST : PLAN_SLOW;
		} else if (c->pinned[o]) {
			op->cls = plan_obj_hint(&in->objs[o]) == SENTINEL_OBJ_F_PIN_FAST ?
				  PLAN_CLS_HINT_FAST : PLAN_CLS_PINNED;
			op->initial = PLAN_FAST;
		} else if (c->cls[o] == PLAN_CLS_MIGRATED) {
			op->initial = bd->initial[o];
			op->cls = nmv[o] ? PLAN_CLS_MIGRATED :
				  op->initial ? PLAN_CLS_RESIDENT : PLAN_CLS_NO_ROOM;
		} else {
			op->cls = c->cls[o];
			op->initial = PLAN_SLOW;
		}
		op->birth = op->initial;
		state[o] = op->initial;
		if (!plan_obj_short(&in->objs[o]) && op->initial)
			occ += in->objs[o].bytes;
		if (op->cls == PLAN_CLS_RESIDENT)
			s->resident_bytes += in->objs[o].bytes;
		if (op->cls == PLAN_CLS_PINNED || op->cls == PLAN_CLS_HINT_FAST)
			s->pinned_bytes += in->objs[o].bytes;
	}
	s->initial_fast = occ;
	for (uint32_t b = 0; b < c->nl; b++) {
		const struct plan_layer *ly = &in->layers[b];
		struct plan_bound *bo = &s->bounds[b];

		bo->first = mi;
		for (; mi < bd->nr_moves && bd->moves[mi].boundary == b; mi++) {
			const struct plan_move *mv = &bd->moves[mi];

			if (mv->op == PLAN_DEMOTE) {
				bo->nr_demote++;
				state[mv->obj] = PLAN_SLOW;
				occ -= in->objs[mv->obj].bytes;
			} else {
				bo->nr_promote++;
				state[mv->obj] = PLAN_FAST;
				occ += in->objs[mv->obj].bytes;
			}
		}
		if (occ + c->shortb[b] > peak)
			peak = occ + c->shortb[b];
		for (uint32_t a = 0; a < ly->count; a++) {
			uint32_t o = in->acc[ly->first + a].obj;

			if (c->ulay[c->ustart[o]] == b)
				s->objs[o].birth = state[o];
		}
	}
	s->planned_peak = peak;
	memcpy(s->moves, bd->moves, (size_t)bd->nr_moves * sizeof(*s->moves));
	s->nr_moves = bd->nr_moves;
	s->promote_bytes = bd->promote_bytes;
	s->demote_bytes = bd->demote_bytes;
	s->cost_ns = bd->cost_ns;
	s->unplaced_bytes = bd->unplaced;
	s->step_ns = c->prefix[c->nl];
	make_groups(c, s);
}

static int alloc_scratch(struct ctx *c)
{
	size_t no = (size_t)c->no + 1, nl = (size_t)c->nl + 1;
	size_t npairs = (size_t)c->ustart[c->no] + 1;
	size_t nmoves = 2 * npairs;
	size_t big = no > nmoves ? no : nmoves;

	c->pairs = calloc(npairs, sizeof(*c->pairs));
	c->pstart = calloc(nl + 1, sizeof(*c->pstart));
	c->setb = calloc(nl + 1, sizeof(*c->setb));
	c->mnext = calloc(no, sizeof(*c->mnext));
	c->firstnext = calloc(no, sizeof(*c->firstnext));
	c->dem_idx = calloc(no, sizeof(*c->dem_idx));
	c->promo0 = calloc(no, sizeof(*c->promo0));
	c->m = calloc(nl + 1, sizeof(*c->m));
	c->cand = calloc(big, sizeof(*c->cand));
	c->late = calloc(nl + 1, sizeof(*c->late));
	free(c->tmp);
	c->tmp = calloc(big > (size_t)c->na + 1 ? big : (size_t)c->na + 1,
			sizeof(*c->tmp));
	if (!c->pairs || !c->pstart || !c->setb || !c->mnext || !c->firstnext ||
	    !c->dem_idx || !c->promo0 || !c->m || !c->cand || !c->late || !c->tmp)
		return -ENOMEM;
	for (int i = 0; i < 2; i++) {
		c->b[i].moves = calloc(nmoves, sizeof(*c->b[i].moves));
		c->b[i].initial = calloc(no, 1);
		c->b[i].oflags = calloc(no, 1);
		if (!c->b[i].moves || !c->b[i].initial || !c->b[i].oflags)
			return -ENOMEM;
	}
	return 0;
}

static bool better(const struct build *x, uint32_t nx, const struct build *y,
		   uint32_t ny)
{
	if (x->cost_ns != y->cost_ns)
		return x->cost_ns < y->cost_ns;
	if (sat_add(x->promote_bytes, x->demote_bytes) !=
	    sat_add(y->promote_bytes, y->demote_bytes))
		return sat_add(x->promote_bytes, x->demote_bytes) <
		       sat_add(y->promote_bytes, y->demote_bytes);
	return nx > ny;
}

/*
 * What every entry point begins with: @out cleared, the input checked and
 * the context built; on an error the context is freed.
 */
static int plan_begin(struct ctx *c, const struct plan_input *in,
		      const struct plan_params *p, struct plan_schedule *out,
		      char *err, size_t errlen)
{
	int ret;

	if (!out) {
		plan_seterr(err, errlen, "no output");
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
	ret = validate(in, p, err, errlen);
	if (ret)
		return ret;
	ret = ctx_init(c, in, p, err, errlen);
	if (ret)
		ctx_free(c);
	return ret;
}

int plan_build(const struct plan_input *in, const struct plan_params *p,
	       struct plan_schedule *out, char *err, size_t errlen)
{
	struct ctx c;
	uint32_t nmax, ncands = 0, best_n = 0;
	struct build *best = NULL, *cur;
	int ret;

	ret = plan_begin(&c, in, p, out, err, errlen);
	if (ret)
		return ret;
	ret = alloc_scratch(&c);
	if (ret) {
		plan_seterr(err, errlen, "out of memory");
		goto fail;
	}
	out->fast_budget = c.S;
	place_region(&c, p, out);
	classify_long(&c, p, out);

	nmax = p->max_interval ? p->max_interval : DEF_MAX_N;
	if (nmax > c.nl)
		nmax = c.nl;
	ret = alloc_sched(out, c.no, c.nl, c.b[0].moves ? 2 * c.ustart[c.no] : 0,
			  nmax + 1);
	if (ret) {
		plan_seterr(err, errlen, "out of memory");
		goto fail;
	}
	if (!c.nl) {
		finish(&c, &c.b[0], out);
		ctx_free(&c);
		return 0;
	}

	cur = &c.b[0];
	for (uint32_t i = 0; i <= nmax; i++) {
		uint32_t n = i < nmax ? i + 1 : c.nl;
		struct plan_cand *cd;

		if (p->fixed_interval) {
			if (i)
				break;
			n = p->fixed_interval < c.nl ? p->fixed_interval : c.nl;
		} else if (i == nmax && nmax == c.nl) {
			break;
		}
		cd = &out->cands[ncands++];
		cd->n = n;
		cd->max_set = set_sizes(&c, n);
		cd->feasible = cd->max_set <= c.LB;
		if (!cd->feasible && !p->fixed_interval)
			continue;
		build_for_n(&c, n, cur);
		cur->cost_ns = replay_cost(&c, cur, n);
		cur->max_set = cd->max_set;
		cd->cost_ns = cur->cost_ns;
		cd->moved = sat_add(cur->promote_bytes, cur->demote_bytes);
		if (!best || better(cur, n, best, best_n)) {
			best = cur;
			best_n = n;
			cur = cur == &c.b[0] ? &c.b[1] : &c.b[0];
		}
	}
	out->nr_cands = ncands;
	if (!best) {
		/* No N fits: one layer per interval, admission by priority. */
		best_n = 1;
		best = cur;
		build_for_n(&c, 1, best);
		best->cost_ns = replay_cost(&c, best, 1);
	}
	if (best->degraded) {
		out->flags |= PLAN_F_DEGRADED;
		reason_add(out, "degraded: some layer's long-lived set exceeds S - RS = %llu; %llu bytes left slow over the step",
			   (unsigned long long)c.LB,
			   (unsigned long long)best->unplaced);
	}
	if (best->cost_ns)
		out->flags |= PLAN_F_LATE;
	out->interval = best_n;
	out->nr_intervals = nintervals(c.nl, best_n);
	finish(&c, best, out);
	ctx_free(&c);
	return 0;
fail:
	ctx_free(&c);
	plan_free(out);
	return ret;
}

/* ---------------------------------------------------------------- */
/* Baselines                                                          */

static int baseline_begin(struct ctx *c, const struct plan_input *in,
			  const struct plan_params *p, struct plan_schedule *out,
			  char *err, size_t errlen)
{
	int ret;

	ret = plan_begin(c, in, p, out, err, errlen);
	if (ret)
		return ret;
	if (alloc_sched(out, c->no, c->nl, 0, 0)) {
		plan_seterr(err, errlen, "out of memory");
		ctx_free(c);
		plan_free(out);
		return -ENOMEM;
	}
	out->flags = PLAN_F_BASELINE;
	out->fast_budget = c->S;
	out->step_ns = c->prefix[c->nl];
	for (uint32_t b = 0; b < c->nl; b++)
		out->bounds[b].first = 0;
	return 0;
}

static void baseline_end(struct ctx *c, struct plan_schedule *out)
{
	for (uint32_t o = 0; o < c->no; o++) {
		struct plan_obj_plan *op = &out->objs[o];

		op->initial = op->cls == PLAN_CLS_SHORT ||
			      op->cls == PLAN_CLS_STATIC_FAST ||
			      op->cls == PLAN_CLS_HINT_FAST;
		op->birth = op->initial;
		if (op->initial && !plan_obj_short(&c->in->objs[o]))
			out->initial_fast += c->in->objs[o].bytes;
		if (op->cls == PLAN_CLS_HINT_FAST)
			out->pinned_bytes += c->in->objs[o].bytes;
	}
	ctx_free(c);
}

static int cmp_first_touch(uint32_t a, uint32_t b, const void *vc)
{
	const struct ctx *c = vc;
	const struct plan_object *x = &c->in->objs[a], *y = &c->in->objs[b];
	uint32_t fa = nuses(c, a) ? c->ulay[c->ustart[a]] : NONE;
	uint32_t fb = nuses(c, b) ? c->ulay[c->ustart[b]] : NONE;

	if (fa != fb)
		return fa < fb ? -1 : 1;
	if (fa != NONE && c->ftpos[a] != c->ftpos[b])
		return c->ftpos[a] < c->ftpos[b] ? -1 : 1;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return cmp_id(a, b, c->in);
}

int plan_first_touch(const struct plan_input *in, const struct plan_params *p,
		     struct plan_schedule *out, char *err, size_t errlen)
{
	struct ctx c;
	uint32_t *order;
	uint64_t used = 0;
	int ret = baseline_begin(&c, in, p, out, err, errlen);

	if (ret)
		return ret;
	order = calloc((size_t)c.no + 1, sizeof(*order));
	if (!order) {
		ctx_free(&c);
		plan_free(out);
		plan_seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < c.no; i++)
		order[i] = i;
	plan_msort(order, c.tmp, c.no, cmp_first_touch, &c);
	for (uint32_t i = 0; i < c.no; i++) {
		uint32_t o = order[i];
		uint64_t b = in->objs[o].bytes;

		if (used + b <= c.S) {
			used += b;
			out->objs[o].cls = PLAN_CLS_STATIC_FAST;
		} else {
			out->objs[o].cls = PLAN_CLS_STATIC_SLOW;
		}
	}
	free(order);
	out->planned_peak = used;
	baseline_end(&c, out);
	return 0;
}

int plan_static(const struct plan_input *in, const struct plan_params *p,
		struct plan_schedule *out, char *err, size_t errlen)
{
	struct ctx c;
	uint64_t used = 0, maxshort = 0;
	int ret = baseline_begin(&c, in, p, out, err, errlen);

	if (ret)
		return ret;
	place_region(&c, p, out);
	pin_hinted(&c, out);
	used = c.pinned_bytes;
	for (uint32_t r = 0; r < c.no; r++) {
		uint32_t o = c.byrank[r];
		uint64_t b = in->objs[o].bytes;
		unsigned int hint = plan_obj_hint(&in->objs[o]);

		if (plan_obj_short(&in->objs[o])) {
			out->objs[o].cls = c.cls[o];
			continue;
		}
		if (c.pinned[o]) {
			out->objs[o].cls = PLAN_CLS_HINT_FAST;
			continue;
		}
		if (hint == SENTINEL_OBJ_F_NEVER_PROMOTE) {
			out->objs[o].cls = PLAN_CLS_HINT_SLOW;
			continue;
		}
		if (nuses(&c, o) && used + b <= c.LB) {
			used += b;
			out->objs[o].cls = PLAN_CLS_STATIC_FAST;
		} else {
			out->objs[o].cls = PLAN_CLS_STATIC_SLOW;
		}
	}
	for (uint32_t l = 0; l < c.nl; l++)
		maxshort = c.shortb[l] > maxshort ? c.shortb[l] : maxshort;
	out->planned_peak = used + maxshort;
	baseline_end(&c, out);
	return 0;
}
