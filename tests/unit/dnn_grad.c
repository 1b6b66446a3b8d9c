// SPDX-License-Identifier: GPL-2.0
/*
 * Gradient checks of the training engine's layers: the backward pass
 * against central finite differences of the forward pass.
 *
 * For a layer y = f(x, params) the checked loss is sum_i r_i y_i with a
 * fixed random r (softmax cross-entropy is checked on its own loss).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "dnn_tap.h"
#include "layers.h"
#include "ops.h"
#include "rng.h"

enum lt {
	LT_LINEAR, LT_CONV, LT_BN, LT_LN, LT_ATTN, LT_LSTM, LT_GELU,
	LT_POOL, LT_GAP, LT_EMBED,
};

struct tc {
	enum lt t;
	const char *name;
	struct params ps;
	struct linear lin;
	struct conv conv;
	struct norm norm;
	struct attn at;
	struct lstm ls;
	struct embed emb;
	int N, H, W, C, T, B;
	float *x;
	size_t nx;
	int *tok;
	float *r;	/* output weights of the loss */
	size_t ny;
	float *dx;	/* analytic input gradient */
	/* caches of the last forward pass */
	struct norm_cache nc;
	struct attn_cache ac;
	struct lstm_cache lc;
};

static struct rng rng;

static float *randv(size_t n, float scale)
{
	float *v = dnn_falloc(n, DK_OTHER, DL_PERSIST, false);

	for (size_t i = 0; i < n; i++)
		v[i] = rng_normal(&rng) * scale;
	return v;
}

/* Randomise every parameter (biases, gamma and beta too). */
static void perturb_params(struct params *ps)
{
	for (int i = 0; i < ps->n; i++)
		for (size_t j = 0; j < ps->p[i]->n; j++)
			ps->p[i]->w[j] += 0.3f * rng_normal(&rng);
}

static float *fwd(struct tc *c)
{
	switch (c->t) {
	case LT_LINEAR:
		return linear_fwd(&c->lin, c->x, c->N);
	case LT_CONV:
		return conv_fwd(&c->conv, c->x, c->N, c->H, c->W);
	case LT_BN:
		return bn_fwd(&c->norm, c->x, c->N, &c->nc);
	case LT_LN:
		return ln_fwd(&c->norm, c->x, c->N, &c->nc);
	case LT_ATTN:
		return attn_fwd(&c->at, c->x, c->B, c->T, &c->ac);
	case LT_LSTM:
		return lstm_fwd(&c->ls, c->x, c->T, c->B, &c->lc);
	case LT_GELU:
		return gelu_fwd(c->x, c->nx);
	case LT_POOL:
		return avgpool2_fwd(c->x, c->N, c->H, c->W, c->C);
	case LT_GAP:
		return gap_fwd(c->x, c->N, c->H * c->W, c->C);
	case LT_EMBED:
		return embed_fwd(&c->emb, c->tok, c->B, c->T);
	}
	return NULL;
}

static void release(struct tc *c, float *y)
{
	if (c->t != LT_LSTM)
		dnn_free(y);
	norm_cache_free(&c->nc);
	attn_cache_free(&c->ac);
	lstm_cache_free(&c->lc);
}

static double loss(struct tc *c)
{
	float *y = fwd(c);
	double l = 0;

	for (size_t i = 0; i < c->ny; i++)
		l += (double)c->r[i] * y[i];
	release(c, y);
	return l;
}

static void grads(struct tc *c)
{
	float *y, *dy;

	for (int i = 0; i < c->ps.n; i++) {
		dnn_free(c->ps.p[i]->g);
		c->ps.p[i]->g = NULL;
	}
	dnn_free(c->dx);
	c->dx = NULL;
	y = fwd(c);
	dy = dnn_falloc(c->ny, DK_GRAD, DL_STEP, false);
	memcpy(dy, c->r, c->ny * sizeof(float));
	switch (c->t) {
	case LT_LINEAR:
		c->dx = linear_bwd(&c->lin, c->x, dy, c->N, true);
		break;
	case LT_CONV:
		c->dx = conv_bwd(&c->conv, c->x, dy, c->N, c->H, c->W, true);
		break;
	case LT_BN:
		c->dx = bn_bwd(&c->norm, c->x, dy, c->N, &c->nc);
		break;
	case LT_LN:
		c->dx = ln_bwd(&c->norm, c->x, dy, c->N, &c->nc);
		break;
	case LT_ATTN:
		c->dx = attn_bwd(&c->at, c->x, dy, c->B, c->T, &c->ac);
		break;
	case LT_LSTM:
		c->dx = lstm_bwd(&c->ls, c->x, dy, c->T, c->B, &c->lc, true);
		break;
	case LT_GELU:
		c->dx = dnn_falloc(c->nx, DK_GRAD, DL_STEP, false);
		memcpy(c->dx, dy, c->nx * sizeof(float));
		gelu_bwd_inplace(c->dx, c->x, c->nx);
		break;
	case LT_POOL:
		c->dx = avgpool2_bwd(dy, c->N, c->H, c->W, c->C);
		break;
	case LT_GAP:
		c->dx = gap_bwd(dy, c->N, c->H * c->W, c->C);
		break;
	case LT_EMBED:
		embed_bwd(&c->emb, c->tok, dy, c->B, c->T);
		break;
	}
	dnn_free(dy);
	release(c, y);
}

/*
 * Compare ana with finite differences of loss() in up to 16 elements of
 * v; *worst_out gets the worst error as a fraction of the tolerance.
 */
static bool check_core(struct tc *c, const char *what, float *v, size_t n,
		       const float *ana, bool quiet, double *worst_out,
		       size_t *worst_at)
{
	const double eps = 1e-2;
	size_t k = n < 16 ? n : 16;
	double worst = 0;
	size_t worst_i = 0;
	bool good = true;

	for (size_t j = 0; j < k; j++) {
		size_t i = j * n / k;
		float save = v[i];
		double lp, lm, num, a = ana[i], err;

		v[i] = (float)(save + eps);
		lp = loss(c);
		v[i] = (float)(save - eps);
		lm = loss(c);
		v[i] = save;
		num = (lp - lm) / ((double)(float)(save + eps) - (float)(save - eps));
		err = fabs(num - a) / (2e-3 + 2e-2 * fmax(fabs(num), fabs(a)));
		if (err > worst) {
			worst = err;
			worst_i = i;
		}
		if (err > 1.0) {
			good = false;
			if (!quiet)
				tap_diag("%s %s[%zu]: analytic %.6g numeric %.6g",
					 c->name, what, i, a, num);
		}
	}
	*worst_out = worst;
	*worst_at = worst_i;
	return good;
}

static void check(struct tc *c, const char *what, float *v, size_t n,
		  const float *ana)
{
	double worst;
	size_t at;
	bool good = check_core(c, what, v, n, ana, false, &worst, &at);

	tap_ok(good, "%s: d%s matches finite differences (worst %.2f of tolerance at %zu)",
	       c->name, what, worst, at);
}

/* The checker itself: a gradient off by 5% in one element must fail. */
static void test_checker(void)
{
	struct tc c;
	double worst;
	size_t at;
	bool good;

	memset(&c, 0, sizeof(c));
	c.t = LT_LINEAR; c.name = "control"; c.N = 3;
	linear_init(&c.lin, &c.ps, 0, "lin", 4, 5, &rng);
	c.nx = 12; c.x = randv(c.nx, 1);
	c.ny = 15;
	c.r = randv(c.ny, 1.0f);
	grads(&c);
	c.dx[4] *= 1.05f;
	good = check_core(&c, "x", c.x, c.nx, c.dx, true, &worst, &at);
	tap_ok(!good && at == 4, "checker rejects a gradient 5%% off (worst %.1f of tolerance at %zu)",
	       worst, at);
	dnn_free(c.dx);
	dnn_free(c.r);
	dnn_free(c.x);
	params_free(&c.ps);
}

static void run(struct tc *c)
{
	float *y;

	perturb_params(&c->ps);
	y = fwd(c);
	release(c, y);
	if (!c->ny) {
		/* output size: from the layer's geometry */
		switch (c->t) {
		case LT_LINEAR: c->ny = (size_t)c->N * c->lin.out; break;
		case LT_CONV: c->ny = (size_t)c->N * c->H * c->W * c->conv.cout; break;
		case LT_BN: case LT_LN: case LT_GELU: c->ny = c->nx; break;
		case LT_ATTN: c->ny = c->nx; break;
		case LT_LSTM: c->ny = (size_t)c->T * c->B * c->ls.hid; break;
		case LT_POOL: c->ny = c->nx / 4; break;
		case LT_GAP: c->ny = (size_t)c->N * c->C; break;
		case LT_EMBED: c->ny = (size_t)c->B * c->T * c->emb.d; break;
		}
	}
	c->r = randv(c->ny, 1.0f);
	grads(c);
	if (c->x && c->dx)
		check(c, "x", c->x, c->nx, c->dx);
	for (int i = 0; i < c->ps.n; i++)
		check(c, c->ps.p[i]->name, c->ps.p[i]->w, c->ps.p[i]->n,
		      c->ps.p[i]->g);
	dnn_free(c->dx);
	dnn_free(c->r);
	dnn_free(c->x);
	dnn_free(c->tok);
	params_free(&c->ps);
}

static void test_softmax_ce(void)
{
	int N = 4, C = 5, labels[4] = { 0, 3, 4, 3 };
	float *x = randv((size_t)N * C, 2.0f), *d, *d2;
	double l0 = softmax_ce(x, labels, N, C, &d), worst = 0;
	bool good = true;

	for (int i = 0; i < N * C; i++) {
		float save = x[i];
		double lp, lm, num;

		x[i] = save + 1e-2f;
		lp = softmax_ce(x, labels, N, C, &d2);
		dnn_free(d2);
		x[i] = save - 1e-2f;
		lm = softmax_ce(x, labels, N, C, &d2);
		dnn_free(d2);
		x[i] = save;
		num = (lp - lm) / ((double)(float)(save + 1e-2f) - (float)(save - 1e-2f));
		worst = fmax(worst, fabs(num - d[i]));
		if (fabs(num - d[i]) > 1e-3 + 1e-2 * fabs(num))
			good = false;
	}
	tap_ok(good, "softmax-CE: dlogits matches finite differences (max abs err %.2g)",
	       worst);
	/* uniform logits: loss is log C */
	memset(x, 0, (size_t)N * C * sizeof(float));
	dnn_free(d);
	l0 = softmax_ce(x, labels, N, C, &d);
	tap_ok(fabs(l0 - log(C)) < 1e-9, "softmax-CE of uniform logits is log C (%.9f)", l0);
	dnn_free(d);
	dnn_free(x);
}

/* gemm variants against a naive product */
static void test_gemm(void)
{
	int M = 7, N = 9, K = 5;
	float *a = randv((size_t)M * K, 1), *b = randv((size_t)K * N, 1);
	float *at = randv((size_t)K * M, 0), *bt = randv((size_t)N * K, 0);
	float *c1 = randv((size_t)M * N, 0), *c2 = randv((size_t)M * N, 0);
	float *c3 = randv((size_t)M * N, 0);
	double worst = 0;

	transpose(M, K, a, K, at, M);
	transpose(K, N, b, N, bt, K);
	gemm_nn(M, N, K, a, K, b, N, c1, N, false);
	gemm_tn(M, N, K, at, M, b, N, c2, N, false);
	gemm_nt(M, N, K, a, K, bt, K, c3, N, false);
	for (int i = 0; i < M; i++)
		for (int j = 0; j < N; j++) {
			double s = 0;

			for (int k = 0; k < K; k++)
				s += (double)a[i * K + k] * b[k * N + j];
			worst = fmax(worst, fabs(s - c1[i * N + j]));
			worst = fmax(worst, fabs(s - c2[i * N + j]));
			worst = fmax(worst, fabs(s - c3[i * N + j]));
		}
	tap_ok(worst < 1e-5, "gemm nn/tn/nt agree with a naive product (max err %.2g)",
	       worst);
	dnn_free(a); dnn_free(b); dnn_free(at); dnn_free(bt);
	dnn_free(c1); dnn_free(c2); dnn_free(c3);
}

int main(void)
{
	struct tc c;
	struct alloc_stats st;

	rng_seed(&rng, 42, 0);
	dnn_alloc_init(ALLOC_MALLOC, false, NULL);
	tap_plan(30);

	test_gemm();
	test_checker();
	test_softmax_ce();

	memset(&c, 0, sizeof(c));
	c.t = LT_LINEAR; c.name = "linear"; c.N = 3;
	linear_init(&c.lin, &c.ps, 0, "lin", 4, 5, &rng);
	c.nx = 12; c.x = randv(c.nx, 1);
	run(&c);

	memset(&c, 0, sizeof(c));
	c.t = LT_CONV; c.name = "conv3x3"; c.N = 2; c.H = 4; c.W = 3;
	conv_init(&c.conv, &c.ps, 0, "conv", 2, 3, &rng);
	c.nx = (size_t)2 * 4 * 3 * 2; c.x = randv(c.nx, 1);
	run(&c);

	memset(&c, 0, sizeof(c));
	c.t = LT_BN; c.name = "batchnorm"; c.N = 6;
	norm_init(&c.norm, &c.ps, 0, "bn", 3, &rng);
	c.nx = 18; c.x = randv(c.nx, 1);
	run(&c);

	memset(&c, 0, sizeof(c));
	c.t = LT_LN; c.name = "layernorm"; c.N = 3;
	norm_init(&c.norm, &c.ps, 0, "ln", 6, &rng);
	c.nx = 18; c.x = randv(c.nx, 1);
	run(&c);

	memset(&c, 0, sizeof(c));
	c.t = LT_ATTN; c.name = "attention"; c.B = 2; c.T = 3;
	attn_init(&c.at, &c.ps, 0, 8, 2, &rng);
	c.nx = (size_t)2 * 3 * 8; c.x = randv(c.nx, 1);
	run(&c);

	memset(&c, 0, sizeof(c));
	c.t = LT_LSTM; c.name = "lstm"; c.B = 2; c.T = 3;
	lstm_init(&c.ls, &c.ps, 0, "lstm", 3, 4, &rng);
	c.nx = (size_t)3 * 2 * 3; c.x = randv(c.nx, 1);
	run(&c);

	memset(&c, 0, sizeof(c));
	c.t = LT_GELU; c.name = "gelu";
	c.nx = 16; c.x = randv(c.nx, 1.5f);
	run(&c);

	memset(&c, 0, sizeof(c));
	c.t = LT_POOL; c.name = "avgpool2"; c.N = 2; c.H = 4; c.W = 2; c.C = 3;
	c.nx = (size_t)2 * 4 * 2 * 3; c.x = randv(c.nx, 1);
	run(&c);

	memset(&c, 0, sizeof(c));
	c.t = LT_GAP; c.name = "global-avgpool"; c.N = 2; c.H = 2; c.W = 3; c.C = 2;
	c.nx = (size_t)2 * 2 * 3 * 2; c.x = randv(c.nx, 1);
	run(&c);

	memset(&c, 0, sizeof(c));
	c.t = LT_EMBED; c.name = "embedding"; c.B = 2; c.T = 3;
	embed_init(&c.emb, &c.ps, 0, 5, 4, 3, &rng);
	c.tok = dnn_alloc(6 * sizeof(int), DK_OTHER, DL_PERSIST, false);
	for (int i = 0; i < 6; i++)
		c.tok[i] = (i * 3) % 5;
	run(&c);

	dnn_alloc_stats(&st);
	tap_ok(st.cur_total == 0, "no tensor left allocated (%llu bytes)",
	       (unsigned long long)st.cur_total);
	return tap_done();
}
