// SPDX-License-Identifier: GPL-2.0
/*
 * Optimizer steps of the training engine against hand-computed values
 * and a double-precision reference.
 */
#include <math.h>
#include <string.h>

#include "alloc.h"
#include "tap.h"
#include "optim.h"

#define NP 4

static struct param *mkparam(struct params *ps, const struct optim *o,
			     const float *w0)
{
	struct param *p = param_new(ps, NP, 0, "p", INIT_ZERO, 0, NULL);

	memcpy(p->w, w0, sizeof(float) * NP);
	p->decay = true;
	p->m = dnn_falloc(NP, DK_OPT, DL_PERSIST, true);
	if (o->type == OPT_ADAM)
		p->v = dnn_falloc(NP, DK_OPT, DL_PERSIST, true);
	return p;
}

static void set_grad(struct param *p, const float *g)
{
	memcpy(param_grad(p), g, sizeof(float) * NP);
}

static const float w0[NP] = { 1.0f, -2.0f, 0.5f, 3.0f };
static const float gs[3][NP] = {
	{ 0.5f, -1.0f, 2.0f, 0.0f },
	{ -0.25f, 0.5f, 1.0f, 1e-3f },
	{ 1.0f, 0.25f, -3.0f, -2.0f },
};

static void test_sgd(void)
{
	struct config c = { .optim = OPT_SGD, .lr = 0.1f, .momentum = 0.9f };
	struct params ps = { 0 };
	struct optim o;
	struct param *p;
	double w[NP], m[NP] = { 0 }, worst = 0;

	optim_setup(&o, &c);
	p = mkparam(&ps, &o, w0);
	for (int i = 0; i < NP; i++)
		w[i] = w0[i];
	for (int t = 1; t <= 3; t++) {
		set_grad(p, gs[t - 1]);
		optim_update(&o, p, (uint64_t)t);
		for (int i = 0; i < NP; i++) {
			m[i] = 0.9 * m[i] + gs[t - 1][i];
			w[i] -= 0.1 * m[i];
			worst = fmax(worst, fabs(w[i] - p->w[i]));
		}
		if (t == 1)
			ok(p->g == NULL, "SGD: the gradient is freed by the update");
	}
	/* by hand: w0 = 1, g = 0.5, -0.25, 1: 0.95, 0.93, 0.812 */
	ok(fabsf(p->w[0] - 0.812f) < 1e-6f, "SGD momentum: hand-computed weight (%.7f)",
	   (double)p->w[0]);
	ok(worst < 1e-6, "SGD momentum: matches the reference over 3 steps (err %.2g)",
	   worst);
	params_free(&ps);

	/* weight decay: g' = g + wd w */
	c.wd = 0.5f;
	c.momentum = 0.0f;
	optim_setup(&o, &c);
	p = mkparam(&ps, &o, w0);
	set_grad(p, gs[0]);
	optim_update(&o, p, 1);
	ok(fabsf(p->w[1] - (-2.0f - 0.1f * (-1.0f + 0.5f * -2.0f))) < 1e-6f,
	   "SGD: weight decay adds wd * w to the gradient (%.6f)", (double)p->w[1]);
	/* no gradient: nothing happens */
	{
		float before = p->w[0];

		optim_update(&o, p, 2);
		ok(p->w[0] == before, "a parameter without gradient is left alone");
	}
	params_free(&ps);
}

static void test_adam(void)
{
	struct config c = { .optim = OPT_ADAM, .lr = 0.01f };
	struct params ps = { 0 };
	struct optim o;
	struct param *p;
	double w[NP], m[NP] = { 0 }, v[NP] = { 0 }, worst = 0;
	bool first_ok = true;

	optim_setup(&o, &c);
	ok(o.beta1 == 0.9f && o.beta2 == 0.999f && o.eps == 1e-8f,
	   "Adam: default betas and epsilon");
	p = mkparam(&ps, &o, w0);
	for (int i = 0; i < NP; i++)
		w[i] = w0[i];
	for (int t = 1; t <= 3; t++) {
		set_grad(p, gs[t - 1]);
		optim_update(&o, p, (uint64_t)t);
		for (int i = 0; i < NP; i++) {
			double g = gs[t - 1][i];

			m[i] = 0.9 * m[i] + 0.1 * g;
			v[i] = 0.999 * v[i] + 0.001 * g * g;
			w[i] -= 0.01 * (m[i] / (1 - pow(0.9, t))) /
				(sqrt(v[i] / (1 - pow(0.999, t))) + 1e-8);
			worst = fmax(worst, fabs(w[i] - p->w[i]));
		}
		/* first step: every weight moves by lr * sign(g) */
		for (int i = 0; t == 1 && i < NP; i++) {
			double want = w0[i] - (gs[0][i] > 0 ? 0.01 :
					       gs[0][i] < 0 ? -0.01 : 0);

			if (fabs(p->w[i] - want) > 1e-6)
				first_ok = false;
		}
	}
	ok(first_ok, "Adam: the first step moves each weight by lr * sign(g)");
	ok(worst < 2e-6, "Adam: matches the reference over 3 steps (err %.2g)", worst);
	params_free(&ps);
}

int main(void)
{
	struct alloc_stats st;

	dnn_alloc_init(ALLOC_MALLOC, false, NULL);
	tap_plan(9);
	test_sgd();
	test_adam();
	dnn_alloc_stats(&st);
	ok(st.cur_total == 0, "no tensor left allocated");
	return tap_done();
}
