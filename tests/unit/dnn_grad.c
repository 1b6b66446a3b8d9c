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
#include "tap.h"
#include "layers.h"
#include "ops.h"
#include "rng.h"

enum lt {
	LT_LINEAR, LT_CONV, LT_BN, LT_LN, LT_ATTN, LT_LSTM, LT_GELU,
	LT_POOL, LT_GAP, LT_EMBED, LT_DW, LT_PW,
};

struct tc {
	enum lt t;
	const char *name;
	struct params ps;
	struct linear lin;
	struct conv conv;
	struct dwconv dw;
	struct pwconv pw;
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

/* The LSTM's per-step tensors from and to contiguous [T][B][D] ones. */
static const float *const *lstm_in(struct tc *c)
{
	static float *xs[16];

	for (int t = 0; t < c->T; t++)
		xs[t] = c->x + (size_t)t * c->B * c->ls.in;
	return (const float *const *)xs;
}

static float *lstm_out(struct tc *c, float *const *h)
{
	size_t bh = (size_t)c->B * c->ls.hid;
	float *y = dnn_falloc((size_t)c->T * bh, DK_ACT, DL_STEP, false);

	for (int t = 0; t < c->T; t++)
		memcpy(y + t * bh, h[t], bh * sizeof(float));
	return y;
}

static float *lstm_back(struct tc *c, const float *dy)
{
	size_t bh = (size_t)c->B * c->ls.hid, bi = (size_t)c->B * c->ls.in;
	float *dh[16], **dx, *out;

	for (int t = 0; t < c->T; t++) {
		dh[t] = dnn_falloc(bh, DK_GRAD, DL_STEP, false);
		memcpy(dh[t], dy + t * bh, bh * sizeof(float));
	}
	dx = lstm_bwd(&c->ls, lstm_in(c), dh, c->T, c->B, &c->lc, true);
	out = dnn_falloc((size_t)c->T * bi, DK_GRAD, DL_STEP, false);
	for (int t = 0; t < c->T; t++) {
		memcpy(out + t * bi, dx[t], bi * sizeof(float));
		dnn_free(dx[t]);
	}
	free(dx);
	return out;
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
		return lstm_out(c, lstm_fwd(&c->ls, lstm_in(c), c->T, c->B,
					    &c->lc));
	case LT_GELU:
		return gelu_fwd(c->x, c->nx);
	case LT_POOL:
		return avgpool2_fwd(c->x, c->N, c->H, c->W, c->C);
	case LT_GAP:
		return gap_fwd(c->x, c->N, c->H * c->W, c->C);
	case LT_EMBED:
		return embed_fwd(&c->emb, c->tok, c->B, c->T);
	case LT_DW:
		return dwconv_fwd(&c->dw, c->x, c->N, c->H, c->W);
	case LT_PW:
		return pwconv_fwd(&c->pw, c->x, c->N);
	}
	return NULL;
}

static void release(struct tc *c, float *y)
{
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
		c->dx = lstm_back(c, dy);
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
	case LT_DW:
		c->dx = dwconv_bwd(&c->dw, c->x, dy, c->N, c->H, c->W, true);
		break;
	case LT_PW:
		c->dx = pwconv_bwd(&c->pw, c->x, dy, c->N, true);
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
				diag("%s %s[%zu]: analytic %.6g numeric %.6g",
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

	ok(good, "%s: d%s matches finite differences (worst %.2f of tolerance at %zu)",
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
	ok(!good && at == 4, "checker rejects a gradient 5%% off (worst %.1f of tolerance at %zu)",
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
		case LT_CONV:
			c->ny = (size_t)c->N * conv_out(&c->conv, c->H) *
				conv_out(&c->conv, c->W) * c->conv.cout;
			break;
		case LT_BN: case LT_LN: case LT_GELU: c->ny = c->nx; break;
		case LT_ATTN: c->ny = c->nx; break;
		case LT_LSTM: c->ny = (size_t)c->T * c->B * c->ls.hid; break;
		case LT_POOL: c->ny = c->nx / 4; break;
		case LT_GAP: c->ny = (size_t)c->N * c->C; break;
		case LT_EMBED: c->ny = (size_t)c->B * c->T * c->emb.d; break;
		case LT_DW:
			c->ny = (size_t)c->N * dwconv_out(&c->dw, c->H) *
				dwconv_out(&c->dw, c->W) * c->dw.c;
			break;
		case LT_PW: c->ny = (size_t)c->N * c->pw.cout; break;
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
	ok(good, "softmax-CE: dlogits matches finite differences (max abs err %.2g)",
	   worst);
	/* uniform logits: loss is log C */
	memset(x, 0, (size_t)N * C * sizeof(float));
	dnn_free(d);
	l0 = softmax_ce(x, labels, N, C, &d);
	ok(fabs(l0 - log(C)) < 1e-9, "softmax-CE of uniform logits is log C (%.9f)", l0);
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
	ok(worst < 1e-5, "gemm nn/tn/nt agree with a naive product (max err %.2g)",
	   worst);
	dnn_free(a); dnn_free(b); dnn_free(at); dnn_free(bt);
	dnn_free(c1); dnn_free(c2); dnn_free(c3);
}

/* Bitwise the scalar sum in k order, for shapes with every kind of edge. */
static void test_gemm_edges(void)
{
	static const int shapes[][3] = {
		{ 9, 13, 20 }, { 5, 4, 7 }, { 17, 28, 3 }, { 1, 100, 9 },
		{ 64, 4, 600 },
	};
	bool same = true;

	for (size_t s = 0; s < 2 * sizeof(shapes) / sizeof(shapes[0]); s++) {
		size_t n = sizeof(shapes) / sizeof(shapes[0]);
		int M = shapes[s % n][0], N = shapes[s % n][1], K = shapes[s % n][2];
		float *a = randv((size_t)M * K, 1), *b = randv((size_t)K * N, 1);
		float *at = randv((size_t)K * M, 0), *c = randv((size_t)M * N, 0);
		float *c2 = randv((size_t)M * N, 0);

		/* the second round with the SSE2 kernels */
		ops_set_isa(s < n ? OPS_ISA_AUTO : OPS_ISA_SSE2);
		transpose(M, K, a, K, at, M);
		gemm_nn(M, N, K, a, K, b, N, c, N, false);
		gemm_tn(M, N, K, at, M, b, N, c2, N, false);
		for (int i = 0; i < M; i++)
			for (int j = 0; j < N; j++) {
				float v = 0.0f;

				for (int k = 0; k < K; k++)
					v = v + a[i * K + k] * b[k * N + j];
				if (v != c[i * N + j] || v != c2[i * N + j])
					same = false;
			}
		dnn_free(a); dnn_free(b); dnn_free(at); dnn_free(c); dnn_free(c2);
	}
	ops_set_isa(OPS_ISA_AUTO);
	ok(same, "gemm nn and tn at narrow and odd shapes are bitwise the scalar sums (%s and sse2)",
	   ops_isa_name(ops_get_isa()));
}

/* A large product: the blocking, the kernels' edges, both vector widths. */
static void test_gemm_blocked(void)
{
	int M = 37, N = 203, K = 300;
	float *a = randv((size_t)M * K, 1), *b = randv((size_t)K * N, 1);
	float *at = randv((size_t)K * M, 0);
	float *c1 = randv((size_t)M * N, 1), *c2 = randv((size_t)M * N, 0);
	float *c3 = randv((size_t)M * N, 0), *c0 = randv((size_t)M * N, 0);
	double worst = 0;
	bool same = true;

	memcpy(c0, c1, (size_t)M * N * sizeof(float));
	transpose(M, K, a, K, at, M);
	gemm_nn(M, N, K, a, K, b, N, c1, N, true);
	for (int i = 0; i < M; i++)
		for (int j = 0; j < N; j++) {
			/* the same sum in the same order, one element at a time */
			float s = c0[i * N + j];
			double e = c0[i * N + j];

			for (int k = 0; k < K; k++) {
				s = s + a[i * K + k] * b[k * N + j];
				e += (double)a[i * K + k] * b[k * N + j];
			}
			if (s != c1[i * N + j])
				same = false;
			worst = fmax(worst, fabs(e - c1[i * N + j]));
		}
	ok(same && worst < 1e-3,
	   "blocked gemm (%dx%dx%d, %s) is bitwise the scalar sum in k order (max err %.2g)",
	   M, N, K, ops_isa_name(ops_get_isa()), worst);
	gemm_tn(M, N, K, at, M, b, N, c2, N, false);
	{
		/* nt, both ways: B^T copied (small N x K), or A and C (large) */
		float *bt = randv((size_t)N * K, 0), *c4 = randv((size_t)M * N, 0);
		float *bt2 = randv((size_t)M * K, 0), *c5 = randv((size_t)N * M, 0);
		float *c6 = randv((size_t)N * M, 0);

		transpose(K, N, b, N, bt, K);
		memcpy(c4, c0, (size_t)M * N * sizeof(float));
		gemm_nt(M, N, K, a, K, bt, K, c4, N, true);
		/* C' (N x M) = B'^T-form with the big operand second */
		transpose(M, K, a, K, at, M);
		memcpy(bt2, a, (size_t)M * K * sizeof(float));
		gemm_nn(N, M, K, bt, K, at, M, c5, M, false);
		gemm_nt(N, M, K, bt, K, bt2, K, c6, M, false);
		ok(!memcmp(c4, c1, (size_t)M * N * sizeof(float)) &&
		   !memcmp(c5, c6, (size_t)N * M * sizeof(float)),
		   "gemm_nt (B copied, and A and C copied) gives the bits of gemm_nn");
		dnn_free(bt); dnn_free(c4); dnn_free(bt2); dnn_free(c5); dnn_free(c6);
	}
	if (ops_set_isa(OPS_ISA_SSE2) == 0) {
		gemm_nn(M, N, K, a, K, b, N, c3, N, false);
		ops_set_isa(OPS_ISA_AUTO);
	}
	ok(!memcmp(c2, c3, (size_t)M * N * sizeof(float)),
	   "gemm: %s tn and sse2 nn give the same bits",
	   ops_isa_name(ops_get_isa()));
	dnn_free(a); dnn_free(b); dnn_free(at);
	dnn_free(c0); dnn_free(c1); dnn_free(c2); dnn_free(c3);
}

/*
 * Tiled 3x3 convolution on an image larger than one tile, against a
 * direct convolution in double precision; depthwise convolution with
 * both vector widths.
 */
static void test_conv_tiles(void)
{
	int N = 2, H = 40, W = 36, ci = 3, co = 5;
	struct params ps = { 0 };
	struct conv cv;
	struct dwconv dw;
	float *x, *y, *dy, *dx, *y2, *dx2;
	double wy = 0, wdw = 0, wdx = 0;
	double *gw, *gx;

	conv_init(&cv, &ps, 0, "c", ci, co, &rng);
	x = randv((size_t)N * H * W * ci, 1);
	dy = randv((size_t)N * H * W * co, 1);
	y = conv_fwd(&cv, x, N, H, W);
	dx = conv_bwd(&cv, x, dy, N, H, W, true);
	gw = calloc((size_t)9 * ci * co, sizeof(double));
	gx = calloc((size_t)N * H * W * ci, sizeof(double));
	for (int n = 0; n < N; n++)
		for (int i = 0; i < H; i++)
			for (int j = 0; j < W; j++)
				for (int o = 0; o < co; o++) {
					size_t po = (((size_t)n * H + i) * W + j) * co + o;
					double s = 0;

					for (int t = 0; t < 9; t++) {
						int si = i + t / 3 - 1, sj = j + t % 3 - 1;

						if (si < 0 || si >= H || sj < 0 || sj >= W)
							continue;
						for (int k = 0; k < ci; k++) {
							size_t pi = (((size_t)n * H + si) * W + sj) * ci + k;
							size_t pw = ((size_t)t * ci + k) * co + o;

							s += (double)x[pi] * cv.w->w[pw];
							gw[pw] += (double)x[pi] * dy[po];
							gx[pi] += (double)cv.w->w[pw] * dy[po];
						}
					}
					wy = fmax(wy, fabs(s - y[po]));
				}
	for (size_t i = 0; i < (size_t)9 * ci * co; i++)
		wdw = fmax(wdw, fabs(gw[i] - cv.w->g[i]) / (1 + fabs(gw[i])));
	for (size_t i = 0; i < (size_t)N * H * W * ci; i++)
		wdx = fmax(wdx, fabs(gx[i] - dx[i]));
	ok(wy < 1e-4 && wdw < 1e-4 && wdx < 1e-4,
	   "conv3x3 over %d tiles matches a direct convolution (y %.2g, dw %.2g, dx %.2g)",
	   (H * W + 605) / 606, wy, wdw, wdx);
	free(gw);
	free(gx);
	dnn_free(y);
	dnn_free(dx);
	dnn_free(dy);
	dnn_free(x);

	/* depthwise, 13 channels: vectors and a scalar tail */
	dwconv_init(&dw, &ps, 0, "d", 13, 2, &rng);
	x = randv((size_t)N * 9 * 7 * 13, 1);
	dy = randv((size_t)N * 5 * 4 * 13, 1);
	y = dwconv_fwd(&dw, x, N, 9, 7);
	dx = dwconv_bwd(&dw, x, dy, N, 9, 7, true);
	{
		float *g1 = randv(9 * 13, 0);
		bool same = true;

		memcpy(g1, dw.w->g, 9 * 13 * sizeof(float));
		memset(dw.w->g, 0, 9 * 13 * sizeof(float));
		if (ops_set_isa(OPS_ISA_SSE2) == 0) {
			y2 = dwconv_fwd(&dw, x, N, 9, 7);
			dx2 = dwconv_bwd(&dw, x, dy, N, 9, 7, true);
			ops_set_isa(OPS_ISA_AUTO);
			same = !memcmp(y, y2, (size_t)N * 5 * 4 * 13 * sizeof(float)) &&
			       !memcmp(dx, dx2, (size_t)N * 9 * 7 * 13 * sizeof(float)) &&
			       !memcmp(g1, dw.w->g, 9 * 13 * sizeof(float));
			dnn_free(y2);
			dnn_free(dx2);
		}
		ok(same, "depthwise conv: %s and sse2 give the same bits",
		   ops_isa_name(ops_get_isa()));
		dnn_free(g1);
	}
	dnn_free(y);
	dnn_free(dx);
	dnn_free(dy);
	dnn_free(x);
	params_free(&ps);
}

int main(void)
{
	struct tc c;
	struct alloc_stats st;

	rng_seed(&rng, 42, 0);
	dnn_alloc_init(ALLOC_MALLOC, false, NULL);
	tap_plan(44);

	test_gemm();
	test_gemm_edges();
	test_gemm_blocked();
	test_conv_tiles();
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
	c.t = LT_CONV; c.name = "conv3x3/2"; c.N = 2; c.H = 5; c.W = 4;
	conv_init(&c.conv, &c.ps, 0, "conv", 3, 2, &rng);
	c.conv.stride = 2;
	c.nx = (size_t)2 * 5 * 4 * 3; c.x = randv(c.nx, 1);
	run(&c);

	memset(&c, 0, sizeof(c));
	c.t = LT_DW; c.name = "depthwise3x3"; c.N = 2; c.H = 4; c.W = 3;
	dwconv_init(&c.dw, &c.ps, 0, "dw", 3, 1, &rng);
	c.nx = (size_t)2 * 4 * 3 * 3; c.x = randv(c.nx, 1);
	run(&c);

	memset(&c, 0, sizeof(c));
	c.t = LT_DW; c.name = "depthwise3x3/2"; c.N = 2; c.H = 5; c.W = 4;
	dwconv_init(&c.dw, &c.ps, 0, "dw", 10, 2, &rng);
	c.nx = (size_t)2 * 5 * 4 * 10; c.x = randv(c.nx, 1);
	run(&c);

	memset(&c, 0, sizeof(c));
	c.t = LT_PW; c.name = "pointwise1x1"; c.N = 6;
	pwconv_init(&c.pw, &c.ps, 0, "pw", 4, 5, &rng);
	c.nx = 24; c.x = randv(c.nx, 1);
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
	ok(st.cur_total == 0, "no tensor left allocated (%llu bytes)",
	   (unsigned long long)st.cur_total);
	return tap_done();
}
