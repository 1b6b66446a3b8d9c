// SPDX-License-Identifier: GPL-2.0
/*
 * Property tests over random profiles (seeded, reproducible):
 *   planner_random [seed [count]]      (default seed 0x5e171e1, 10000)
 * For every profile: the schedule's invariants hold in the simulator, an
 * infeasible budget is reported, the interval equals a brute-force search
 * on small steps, the output is deterministic, and the baselines are
 * valid.  A failure prints the profile's seed: rerun with it and count 1.
 */
#include <time.h>

#include "tap.h"
#include "planner_fixture.h"

static uint64_t rng;

static uint64_t next(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd(uint64_t n)
{
	return n ? next() % n : 0;
}

#define MAXO 64
#define MAXL 48

static void gen(struct fx *f, struct plan_params *p)
{
	uint32_t nl = 1 + rnd(rnd(4) ? 10 : MAXL), no = 1 + rnd(rnd(4) ? 16 : MAXO);
	static uint8_t use[MAXO][MAXL];
	uint64_t total = 0;

	fx_reset(f);
	memset(use, 0, sizeof(use));
	for (uint32_t o = 0; o < no; o++) {
		unsigned int kind = rnd(6), flags = rnd(5) == 0 ? SENTINEL_OBJ_F_SHORT_LIVED : 0;
		uint64_t bytes = rnd(80) == 0 ? (1 + rnd(64)) * MiB :
				 rnd(50) == 0 ? rnd(4096) : (1 + rnd(64)) * 4096;
		uint32_t id = fx_obj(f, 1000 + 7 * o + rnd(3), bytes, kind, flags);
		const struct plan_object *ob = &f->objs[id];

		total += bytes;
		if (ob->kind == SENTINEL_KIND_WORKSPACE || (ob->flags & SENTINEL_OBJ_F_SHORT_LIVED)) {
			uint32_t m = rnd(10);

			if (m < 8)
				use[o][rnd(nl)] = 1;
			else if (m == 8)
				for (uint32_t l = 0; l < nl; l++)
					use[o][l] = rnd(2);
			continue;
		}
		switch (rnd(5)) {
		case 0: {	/* random subset */
			uint32_t pr = 1 + rnd(4);

			for (uint32_t l = 0; l < nl; l++)
				use[o][l] = rnd(pr + 1) == 0;
			break;
		}
		case 1: {	/* a contiguous run */
			uint32_t a = rnd(nl), b = a + rnd(nl - a);

			for (uint32_t l = a; l <= b; l++)
				use[o][l] = 1;
			break;
		}
		case 2: {	/* forward and backward */
			uint32_t i = rnd(nl);

			use[o][i] = use[o][nl - 1 - i] = 1;
			break;
		}
		case 3:		/* one layer */
			use[o][rnd(nl)] = 1;
			break;
		default:	/* cold */
			break;
		}
	}
	for (uint32_t l = 0; l < nl; l++) {
		fx_layer(f, rnd(10) == 0 ? rnd(1000) : 1000 + rnd(2000000));
		for (uint32_t i = 0; i < no; i++) {
			uint32_t o = (i + l) % no;	/* vary the access order */
			uint64_t pg = f->objs[o].bytes / 4096 + 1;

			if (use[o][l])
				fx_touch(f, o, 1 + rnd(pg + 1));
		}
	}
	memset(p, 0, sizeof(*p));
	switch (rnd(5)) {
	case 0:
		p->fast_budget = rnd(total + 1);
		break;
	case 1:
		p->fast_budget = total / 5;
		break;
	case 4:
		p->fast_budget = total / 10 * (1 + rnd(6));
		break;
	case 2:
		p->fast_budget = total + rnd(total + 1);
		break;
	default:
		p->fast_budget = rnd(8 * MiB);
		break;
	}
	p->short_reserve = rnd(2) ? 0 : rnd(p->fast_budget + 1);
	p->bw = (1ULL << (23 + rnd(14))) + rnd(1 << 20);
	switch (rnd(3)) {
	case 0:
		p->pin_budget = PLAN_PIN_NONE;
		break;
	case 1:
		p->pin_budget = rnd(p->fast_budget + 1);
		p->pin_max_obj = rnd(2) ? 0 : rnd(p->pin_budget + 1);
		break;
	}
}

static bool same_sched(const struct plan_schedule *a, const struct plan_schedule *b)
{
	return a->interval == b->interval && a->nr_moves == b->nr_moves &&
	       a->flags == b->flags && a->cost_ns == b->cost_ns &&
	       !memcmp(a->moves, b->moves, a->nr_moves * sizeof(*a->moves)) &&
	       !memcmp(a->objs, b->objs, a->nr_objs * sizeof(*a->objs)) &&
	       a->nr_groups == b->nr_groups &&
	       !memcmp(a->group_members, b->group_members, a->nr_objs * sizeof(uint32_t));
}

/* Brute force over N; returns the best feasible N, or 0. */
static uint32_t brute(struct fx *f, const struct plan_params *p,
		      const struct plan_schedule *s, char *msg, size_t len,
		      int *err)
{
	const struct plan_input *in = fx_in(f);
	uint32_t nl = in->nr_layers, bestn = 0;
	uint64_t pinned = 0, bestc = 0, bestm = 0;
	static uint64_t setb[MAXL];

	*err = 0;
	for (uint32_t o = 0; o < in->nr_objs; o++)
		if (s->objs[o].cls == PLAN_CLS_PINNED)
			pinned += in->objs[o].bytes;
	for (uint32_t n = 1; n <= nl; n++) {
		uint32_t K = (nl + n - 1) / n;
		uint64_t mx = 0;
		struct plan_params q = *p;
		struct plan_schedule t;
		struct sim_result r;

		for (uint32_t k = 0; k < K; k++) {
			setb[k] = pinned;
			for (uint32_t o = 0; o < in->nr_objs; o++) {
				const struct plan_object *ob = &in->objs[o];
				bool used = false;

				if (ck_short(ob) || s->objs[o].cls == PLAN_CLS_PINNED ||
				    ob->bytes > s->long_budget)
					continue;
				for (uint32_t l = k * n; l < nl && l < (k + 1) * n; l++)
					for (uint32_t a = 0; a < in->layers[l].count; a++)
						used |= in->acc[in->layers[l].first + a].obj == o;
				if (used)
					setb[k] += ob->bytes;
			}
			mx = setb[k] > mx ? setb[k] : mx;
		}
		if (mx > s->long_budget)
			continue;
		q.fixed_interval = n;
		if (plan_build(in, &q, &t, msg, len)) {
			*err = 1;
			return 0;
		}
		if (t.interval != n || check_schedule(in, &q, &t, msg, len, &r)) {
			if (t.interval != n)
				snprintf(msg, len, "fixed N=%u gave %u", n, t.interval);
			*err = 1;
			plan_free(&t);
			return 0;
		}
		for (uint32_t o = 0; o < in->nr_objs; o++)
			if ((t.objs[o].cls == PLAN_CLS_PINNED) !=
			    (s->objs[o].cls == PLAN_CLS_PINNED)) {
				snprintf(msg, len, "pins depend on N");
				*err = 1;
			}
		plan_free(&t);
		if (*err)
			return 0;
		uint64_t c = r.interval_late_ns, m = r.promoted_bytes + r.demoted_bytes;

		if (!bestn || c < bestc || (c == bestc && m <= bestm)) {
			bestn = n;
			bestc = c;
			bestm = m;
		}
	}
	return bestn;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* A large step: planning time and invariants at scale. */
static void large(void)
{
	struct fx f;
	struct plan_params p = { .bw = 8ULL << 30 };
	struct plan_schedule s;
	struct sim_result r;
	char msg[512] = "";
	uint32_t nl = 300, no = 6000;
	uint64_t t0, total = 0;
	int ret;

	rng = 42;
	fx_init(&f, no, nl, 400000);
	for (uint32_t o = 0; o < no; o++) {
		bool sh = o % 3 == 0;

		fx_obj(&f, o, (1 + rnd(256)) * 4096,
		       sh ? SENTINEL_KIND_WORKSPACE : SENTINEL_KIND_WEIGHT, 0);
		total += f.objs[o].bytes;
	}
	for (uint32_t l = 0; l < nl; l++) {
		uint32_t i = l < nl / 2 ? l : nl - 1 - l;

		fx_layer(&f, 100000 + rnd(1000000));
		/* objects of "layer" i: a band of 40, workspaces forward only */
		for (uint32_t o = i * 40; o < i * 40 + 40 && o < no; o++)
			if (o % 3 || l < nl / 2)
				fx_touch(&f, o, 1 + rnd(16));
		for (uint32_t k = 0; k < 100; k++) {
			uint32_t o = rnd(no);
			bool dup = false;

			for (uint32_t a = f.layers[l].first; a < f.na; a++)
				dup |= f.acc[a].obj == o;
			if (!dup && o % 3)
				fx_touch(&f, o, 1);
		}
	}
	p.fast_budget = total / 5;
	t0 = now_ns();
	ret = plan_build(fx_in(&f), &p, &s, msg, sizeof(msg));
	t0 = now_ns() - t0;
	memset(&r, 0, sizeof(r));
	if (!ret)
		ret = check_schedule(fx_in(&f), &p, &s, msg, sizeof(msg), &r);
	ok(!ret,
	   "large step (%u layers, %u objects, %u accesses): planned in %llu ms, N=%u, hit %.3f %s",
	   nl, no, f.na, (unsigned long long)(t0 / 1000000), s.interval,
	   r.hit_ratio, msg);
	plan_free(&s);
	fx_free(&f);
}

int main(int argc, char **argv)
{
	uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 0x5e171e1;
	uint32_t count = argc > 2 ? strtoul(argv[2], NULL, 0) : 10000;
	uint32_t bad_valid = 0, bad_brute = 0, bad_det = 0, bad_base = 0;
	uint32_t nbrute = 0, ninf = 0, ndeg = 0, nmig = 0;
	uint64_t first_bad = 0;
	bool any_bad = false;
	struct fx f;
	char msg[512];

	tap_plan(6);
	fx_init(&f, MAXO, MAXL, MAXO * MAXL);
	for (uint32_t i = 0; i < count; i++) {
		uint64_t ps = seed + i;
		struct plan_params p;
		struct plan_schedule s, s2;
		struct sim_result r;
		int err;

		rng = ps;
		gen(&f, &p);
		if (plan_build(fx_in(&f), &p, &s, msg, sizeof(msg)) ||
		    check_schedule(fx_in(&f), &p, &s, msg, sizeof(msg), &r)) {
			if (!bad_valid++)
				diag("seed %#llx: %s", (unsigned long long)ps, msg);
			goto bad;
		}
		ninf += !!(s.flags & PLAN_F_INFEASIBLE);
		ndeg += !!(s.flags & PLAN_F_DEGRADED);
		nmig += s.nr_moves > 0;
		if (i % 8 == 0) {
			if (plan_build(fx_in(&f), &p, &s2, msg, sizeof(msg)) ||
			    !same_sched(&s, &s2)) {
				if (!bad_det++)
					diag("seed %#llx: not deterministic", (unsigned long long)ps);
				plan_free(&s2);
				plan_free(&s);
				goto bad;
			}
			plan_free(&s2);
		}
		if (f.nl <= 8) {
			uint32_t n = brute(&f, &p, &s, msg, sizeof(msg), &err);

			nbrute++;
			if (err || (n ? n != s.interval :
				    (s.interval != 1 || !(s.flags & PLAN_F_DEGRADED)))) {
				if (!bad_brute++)
					diag("seed %#llx: planner N=%u, brute force N=%u %s",
					     (unsigned long long)ps, s.interval, n,
					     err ? msg : "");
				plan_free(&s);
				goto bad;
			}
		}
		plan_free(&s);
		if (plan_first_touch(fx_in(&f), &p, &s, msg, sizeof(msg)) ||
		    check_schedule(fx_in(&f), &p, &s, msg, sizeof(msg), NULL) ||
		    s.planned_peak > p.fast_budget) {
			if (!bad_base++)
				diag("seed %#llx: first-touch: %s", (unsigned long long)ps, msg);
			plan_free(&s);
			goto bad;
		}
		plan_free(&s);
		if (plan_static(fx_in(&f), &p, &s, msg, sizeof(msg)) ||
		    check_schedule(fx_in(&f), &p, &s, msg, sizeof(msg), NULL) ||
		    s.initial_fast > s.long_budget) {
			if (!bad_base++)
				diag("seed %#llx: static: %s", (unsigned long long)ps, msg);
			plan_free(&s);
			goto bad;
		}
		plan_free(&s);
		continue;
bad:
		if (!any_bad)
			first_bad = ps;
		any_bad = true;
	}
	fx_free(&f);
	ok(!bad_valid, "%u random profiles (seed %#llx): simulator invariants hold (%u bad)",
	   count, (unsigned long long)seed, bad_valid);
	ok(!bad_brute, "interval choice equals brute force on %u small steps (%u bad)",
	   nbrute, bad_brute);
	ok(!bad_det, "deterministic output (%u bad)", bad_det);
	ok(!bad_base, "baselines valid (%u bad)", bad_base);
	ok(ninf > count / 50 && nmig > count / 10,
	   "coverage: %u infeasible (all reported), %u degraded, %u with migrations",
	   ninf, ndeg, nmig);
	if (any_bad)
		diag("first failing seed %#llx: rerun with '%s %#llx 1'",
		     (unsigned long long)first_bad, argv[0],
		     (unsigned long long)first_bad);
	large();
	return tap_done();
}
