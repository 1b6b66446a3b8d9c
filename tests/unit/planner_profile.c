// SPDX-License-Identifier: GPL-2.0
/*
 * The profile blob parser: conversion of valid blobs (steps merged,
 * generations folded, sizes estimated, times from marks) and rejection
 * of hostile ones, plus a mutation fuzz (seeded) whose survivors must
 * plan and simulate cleanly.
 */
#include <errno.h>

#include "tap.h"
#include "planner_fixture.h"
#include "plan_profile.h"

#define ALLOC(gen, lid)	(SNTL_ID_ALLOC | ((uint64_t)(gen) << SNTL_LID_BITS) | (lid))
#define LID(kind, cls, idx) SNTL_LID_MAKE(kind, cls, 0, 0, idx)

struct blob {
	struct sentinel_profile_hdr h;
	struct sentinel_profile_layer l[16];
	struct sentinel_profile_entry e[64];
	struct sentinel_profile_object o[8];
};

static size_t make(struct blob *b)
{
	static const uint64_t W = 11, A = LID(SENTINEL_KIND_ACTIVATION, 1, 0);
	static const uint64_t T = LID(SENTINEL_KIND_WORKSPACE, 0, 3);
	uint32_t ne = 0, nl = 0;

	memset(b, 0, sizeof(*b));
	/* Two steps of two layers; step 2 touches the next copy of A. */
	for (int st = 0; st < 2; st++)
		for (int i = 0; i < 2; i++) {
			struct sentinel_profile_layer *l = &b->l[nl];

			l->step = 100 + st;
			l->layer = i;
			l->direction = SENTINEL_DIR_FORWARD;
			l->first_entry = ne;
			l->begin_ns = 1000000 * (nl + 1);
			l->end_ns = l->begin_ns + (i ? 400000 : 300000) + st * 100000;
			l->scan_ns = 5000;
			b->e[ne].id = W;
			b->e[ne++].pages = 4 + st;
			b->e[ne].id = ALLOC(st, A);
			b->e[ne++].pages = 2;
			if (i) {
				b->e[ne].id = ALLOC(0, T);
				b->e[ne++].pages = 3;
			}
			l->nr_entries = ne - l->first_entry;
			nl++;
		}
	b->o[0] = (struct sentinel_profile_object){ .id = W, .len = 8 * 4096,
		.pages = 8, .kind = SENTINEL_KIND_WEIGHT };
	b->o[1] = (struct sentinel_profile_object){ .id = ALLOC(1, A), .len = 4 * 4096 - 100,
		.pages = 4, .kind = SENTINEL_KIND_ACTIVATION,
		.flags = SENTINEL_OBJ_F_PARTIAL };
	b->h.size = sizeof(b->h);
	b->h.version = SENTINEL_PROFILE_VERSION;
	b->h.session_id = 5;
	b->h.generation = 1;
	b->h.first_step = 100;
	b->h.nr_steps = 2;
	b->h.flags = SENTINEL_PROFILE_F_EXACT;
	b->h.nr_layers = nl;
	b->h.nr_entries = ne;
	b->h.nr_objects = 2;
	b->h.layers_off = offsetof(struct blob, l);
	b->h.entries_off = offsetof(struct blob, e);
	b->h.objects_off = offsetof(struct blob, o);
	b->h.total_size = sizeof(*b);
	return sizeof(*b);
}

static char err[256];

static bool rejects(struct blob *b, size_t len, const char *what, const char *word)
{
	struct pp_profile pp;
	int ret = pp_parse(b, len, NULL, &pp, err, sizeof(err));

	return ok(ret == -EINVAL && strstr(err, word) && !pp.objs,
		  "rejects %s (%s)", what, err);
}

/* A valid blob: its conversion, and the converted profile plans. */
static void valid_blob(const struct blob *b, size_t len)
{
	struct pp_profile pp;
	uint32_t w = UINT32_MAX, a = UINT32_MAX, t = UINT32_MAX;

	ok(!pp_parse(b, len, NULL, &pp, err, sizeof(err)), "valid blob parsed (%s)", err);
	is_u64(pp.in.nr_objs, 3, "three logical objects (two copies of A folded)");
	is_u64(pp.in.nr_layers, 2, "one step of two layers");
	is_u64(pp.steps_used, 2, "both steps used");
	for (uint32_t i = 0; i < pp.in.nr_objs; i++) {
		if (pp.objs[i].id == 11)
			w = i;
		if (pp.objs[i].id == (SNTL_ID_ALLOC | LID(SENTINEL_KIND_ACTIVATION, 1, 0)))
			a = i;
		if (pp.objs[i].id == (SNTL_ID_ALLOC | LID(SENTINEL_KIND_WORKSPACE, 0, 3)))
			t = i;
	}
	ok(w != UINT32_MAX && a != UINT32_MAX && t != UINT32_MAX, "objects named by logical id");
	ok(pp.objs[w].bytes == 8 * 4096 && pp.objs[a].bytes == 4 * 4096 &&
	   pp.objs[t].bytes == 3 * 4096 && (pp.objs[t].flags & PLAN_OBJ_F_ESTIMATED) &&
	   (pp.objs[t].flags & SENTINEL_OBJ_F_SHORT_LIVED) &&
	   pp.objs[t].kind == SENTINEL_KIND_WORKSPACE && pp.nr_estimated == 1,
	   "sizes from records; a gone object estimated, kind and class from its id");
	ok(pp.acc[pp.layers[0].first].pages == 5 || pp.acc[pp.layers[0].first + 1].pages == 5,
	   "pages: the most over the steps");
	/* layer 0 lasts 300/400 us, layer 1 400/500 us less nothing (no
	 * shared mark), so the lower medians are 300 and 400 us */
	ok(pp.layers[0].compute_ns == 300000 && pp.layers[1].compute_ns == 400000,
	   "compute time: median of the steps (%llu, %llu)",
	   (unsigned long long)pp.layers[0].compute_ns,
	   (unsigned long long)pp.layers[1].compute_ns);
	{
		struct plan_params p = { .fast_budget = 64 * 4096, .bw = 1ULL << 30 };
		struct plan_schedule s;
		char msg[256];

		ok(!plan_build(&pp.in, &p, &s, msg, sizeof(msg)) &&
		   !check_schedule(&pp.in, &p, &s, msg, sizeof(msg), NULL) &&
		   s.objs[t].cls == PLAN_CLS_SHORT, "the converted profile plans");
		plan_free(&s);
	}
	pp_free(&pp);
}

/* Measured times and the scan correction. */
static void measured_times(const struct blob *b, size_t len)
{
	uint64_t ns[2] = { 7, 9 };
	struct pp_opts o = { .layer_ns = ns, .nr_layer_ns = 2 };
	struct pp_profile pp;
	struct blob c;

	ok(!pp_parse(b, len, &o, &pp, err, sizeof(err)) &&
	   pp.layers[0].compute_ns == 7 && pp.layers[1].compute_ns == 9,
	   "measured layer times replace the marks'");
	pp_free(&pp);
	o.nr_layer_ns = 3;
	ok(pp_parse(b, len, &o, &pp, err, sizeof(err)) == -EINVAL,
	   "measured times of the wrong length refused (%s)", err);
	c = *b;
	for (int i = 1; i < 4; i += 2)
		c.l[i].begin_ns = c.l[i - 1].end_ns;
	c.l[1].end_ns = c.l[1].begin_ns + 100000;
	c.l[3].end_ns = c.l[3].begin_ns + 100000;
	int ret = pp_parse(&c, len, NULL, &pp, err, sizeof(err));

	ok(!ret && pp.layers[1].compute_ns == 95000,
	   "the previous mark's scan time is not compute (%llu) %s",
	   ret ? 0ULL : (unsigned long long)pp.layers[1].compute_ns,
	   ret ? err : "");
	pp_free(&pp);
}

/* A step with another layer sequence is left out. */
static void other_sequence(const struct blob *b, size_t len)
{
	struct pp_profile pp;
	struct blob c = *b;

	c.l[2].layer = 9;
	ok(!pp_parse(&c, len, NULL, &pp, err, sizeof(err)) && pp.steps_used == 1 &&
	   pp.nr_steps == 2, "a step with another sequence is ignored");
	pp_free(&pp);
}

/* Hostile blobs. */
static void hostile_blobs(const struct blob *b, size_t len)
{
	struct blob c = *b;

	rejects(&c, sizeof(c.h) - 1, "a short blob", "short");
	c = *b; c.h.version = 2;
	rejects(&c, len, "another version", "version");
	c = *b; c.h.total_size = len + 8;
	rejects(&c, len, "a total size beyond the buffer", "total size");
	c = *b; c.h.entries_off = len - 8;
	rejects(&c, len, "entries beyond the end", "outside");
	c = *b; c.h.objects_off += 4;
	rejects(&c, len, "a misaligned array", "outside");
	c = *b; c.h.objects_off = c.h.entries_off;
	rejects(&c, len, "overlapping arrays", "overlap");
	c = *b; c.l[1].first_entry = 0;
	rejects(&c, len, "a layer re-using entries", "entries");
	c = *b; c.l[3].nr_entries = 60;
	rejects(&c, len, "a layer with entries beyond the array", "entries");
	c = *b; c.o[1].id = c.o[0].id;
	rejects(&c, len, "duplicate object records", "same id");
	c = *b; c.o[0].kind = 77;
	rejects(&c, len, "an unknown kind", "kind");
	c = *b; c.o[0].pages = 1;
	rejects(&c, len, "length and pages that disagree", "disagree");
	c = *b; c.e[1].id = c.e[0].id;
	rejects(&c, len, "an object twice in a layer", "twice");
	c = *b; c.e[0].pages = 100;
	rejects(&c, len, "more pages touched than spanned", "spans");
	c = *b; c.l[3].step = 99;
	rejects(&c, len, "steps out of order", "order");
	c = *b; c.h.nr_steps = 1;
	rejects(&c, len, "more steps than announced", "more than");
}

/* Mutation fuzz: never crash; survivors plan and simulate. */
static void mutation_fuzz(const struct blob *b, size_t len)
{
	uint64_t seed = 0xb10b, bad = 0, parsed = 0;
	struct pp_profile pp;
	struct blob c;

	for (int i = 0; i < 20000; i++) {
		unsigned char *p = (unsigned char *)&c;
		struct plan_params pr = { .fast_budget = 16 * 4096, .bw = 1ULL << 28 };
		struct plan_schedule s;
		char msg[256];

		c = *b;
		for (int k = 0; k < 1 + i % 4; k++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			p[(seed >> 33) % len] ^= 1u << ((seed >> 20) % 8);
		}
		if (pp_parse(&c, len, NULL, &pp, err, sizeof(err))) {
			bad += !err[0];
			continue;
		}
		parsed++;
		if (plan_build(&pp.in, &pr, &s, msg, sizeof(msg)) ||
		    check_schedule(&pp.in, &pr, &s, msg, sizeof(msg), NULL)) {
			if (!bad++)
				diag("fuzz %d: %s", i, msg);
		}
		plan_free(&s);
		pp_free(&pp);
	}
	ok(!bad, "20000 mutated blobs: errors explained, %llu survivors plan cleanly",
	   (unsigned long long)parsed);
}

int main(void)
{
	struct blob b;
	size_t len;

	tap_plan(29);
	len = make(&b);
	valid_blob(&b, len);
	measured_times(&b, len);
	other_sequence(&b, len);
	hostile_blobs(&b, len);
	mutation_fuzz(&b, len);
	return tap_done();
}
