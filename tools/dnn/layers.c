// SPDX-License-Identifier: GPL-2.0
/*
 * layers.c - forward and backward passes of the engine's layers.
 * See layers.h for the conventions on allocation and gradients.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "layers.h"
#include "ops.h"

#define NORM_EPS 1e-5

/* ---- parameters ---- */

struct param *param_new(struct params *ps, size_t n, uint32_t layer,
			const char *name, enum param_init init, float scale,
			struct rng *r)
{
	struct param *p = calloc(1, sizeof(*p));

	if (!p || (ps->n == ps->cap && !(ps->p = realloc(ps->p,
			(size_t)(ps->cap = ps->cap ? 2 * ps->cap : 16) *
			sizeof(*ps->p))))) {
		fprintf(stderr, "sentinel-train: out of memory\n");
		exit(1);
	}
	ps->p[ps->n++] = p;
	p->n = n;
	p->layer = layer;
	p->decay = init == INIT_NORMAL;
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->w = dnn_falloc(n, DK_WEIGHT, DL_PERSIST, false);
	for (size_t i = 0; i < n; i++)
		p->w[i] = init == INIT_ZERO ? 0.0f :
			  init == INIT_ONE ? 1.0f : rng_normal(r) * scale;
	return p;
}

void param_scale(struct param *p, float s)
{
	for (size_t i = 0; i < p->n; i++)
		p->w[i] *= s;
}

float *param_grad(struct param *p)
{
	if (!p->g)
		p->g = dnn_falloc(p->n, DK_GRAD, DL_STEP, true);
	return p->g;
}

void params_free(struct params *ps)
{
	for (int i = 0; i < ps->n; i++) {
		struct param *p = ps->p[i];

		dnn_free(p->w);
		dnn_free(p->g);
		dnn_free(p->m);
		dnn_free(p->v);
		free(p);
	}
	free(ps->p);
	memset(ps, 0, sizeof(*ps));
}

size_t params_count(const struct params *ps)
{
	size_t n = 0;

	for (int i = 0; i < ps->n; i++)
		n += ps->p[i]->n;
	return n;
}

static void pname(char *buf, size_t len, const char *base, const char *what)
{
	snprintf(buf, len, "%s.%s", base, what);
}

/* ---- linear ---- */

void linear_init(struct linear *l, struct params *ps, uint32_t layer,
		 const char *name, int in, int out, struct rng *r)
{
	char n[24];

	l->in = in;
	l->out = out;
	pname(n, sizeof(n), name, "w");
	l->w = param_new(ps, (size_t)in * out, layer, n, INIT_NORMAL,
			 1.0f / sqrtf((float)in), r);
	pname(n, sizeof(n), name, "b");
	l->b = param_new(ps, (size_t)out, layer, n, INIT_ZERO, 0, r);
}

void linear_fwd_into(const struct linear *l, const float *x, int N, float *y,
		     int ldy)
{
	gemm_nn(N, l->out, l->in, x, l->in, l->w->w, l->out, y, ldy, false);
	for (int i = 0; i < N; i++)
		vec_add(y + (size_t)i * ldy, l->b->w, (size_t)l->out);
}

float *linear_fwd(const struct linear *l, const float *x, int N)
{
	float *y = dnn_falloc((size_t)N * l->out, DK_ACT, DL_STEP, false);

	linear_fwd_into(l, x, N, y, l->out);
	return y;
}

float *linear_bwd(const struct linear *l, const float *x, const float *dy,
		  int N, bool need_dx)
{
	float *dx = NULL;

	gemm_tn(l->in, l->out, N, x, l->in, dy, l->out, param_grad(l->w),
		l->out, true);
	col_sum_acc(dy, N, l->out, param_grad(l->b));
	if (need_dx) {
		dx = dnn_falloc((size_t)N * l->in, DK_GRAD, DL_STEP, false);
		gemm_nt(N, l->in, l->out, dy, l->out, l->w->w, l->out, dx,
			l->in, false);
	}
	return dx;
}

/* ---- element-wise ---- */

void relu_inplace(float *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		x[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void relu_bwd_inplace(float *dy, const float *y, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dy[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

#define GELU_S 0.7978845608f	/* sqrt(2 / pi) */
#define GELU_C 0.044715f

float *gelu_fwd(const float *x, size_t n)
{
	float *y = dnn_falloc(n, DK_ACT, DL_STEP, false);

	for (size_t i = 0; i < n; i++) {
		float v = x[i];
		float u = GELU_S * (v + GELU_C * v * v * v);

		y[i] = 0.5f * v * (1.0f + tanhf(u));
	}
	return y;
}

void gelu_bwd_inplace(float *dy, const float *x, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		float v = x[i];
		float t = tanhf(GELU_S * (v + GELU_C * v * v * v));
		float d = 0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) *
			  GELU_S * (1.0f + 3.0f * GELU_C * v * v);

		dy[i] *= d;
	}
}

/* ---- conv 3x3 ---- */

void conv_init(struct conv *c, struct params *ps, uint32_t layer,
	       const char *name, int cin, int cout, struct rng *r)
{
	char n[24];

	c->cin = cin;
	c->cout = cout;
	pname(n, sizeof(n), name, "w");
	c->w = param_new(ps, (size_t)9 * cin * cout, layer, n, INIT_NORMAL,
			 sqrtf(2.0f / (9.0f * cin)), r);
}

/* colT [H*W][9*C]: row = pixel, column = (ky*3 + kx)*C + channel. */
static void im2col(const float *x, int H, int W, int C, float *col)
{
	size_t rowlen = (size_t)9 * C;

	for (int y = 0; y < H; y++)
		for (int xx = 0; xx < W; xx++) {
			float *row = col + ((size_t)y * W + xx) * rowlen;

			for (int ky = 0; ky < 3; ky++)
				for (int kx = 0; kx < 3; kx++) {
					int sy = y + ky - 1, sx = xx + kx - 1;
					float *dst = row + (size_t)(ky * 3 + kx) * C;

					if (sy < 0 || sy >= H || sx < 0 || sx >= W)
						memset(dst, 0, (size_t)C * sizeof(float));
					else
						memcpy(dst, x + ((size_t)sy * W + sx) * C,
						       (size_t)C * sizeof(float));
				}
		}
}

static void col2im_add(const float *col, int H, int W, int C, float *dx)
{
	size_t rowlen = (size_t)9 * C;

	for (int y = 0; y < H; y++)
		for (int xx = 0; xx < W; xx++) {
			const float *row = col + ((size_t)y * W + xx) * rowlen;

			for (int ky = 0; ky < 3; ky++)
				for (int kx = 0; kx < 3; kx++) {
					int sy = y + ky - 1, sx = xx + kx - 1;

					if (sy < 0 || sy >= H || sx < 0 || sx >= W)
						continue;
					vec_add(dx + ((size_t)sy * W + sx) * C,
						row + (size_t)(ky * 3 + kx) * C,
						(size_t)C);
				}
		}
}

float *conv_fwd(const struct conv *c, const float *x, int N, int H, int W)
{
	size_t hw = (size_t)H * W, k = (size_t)9 * c->cin;
	float *y = dnn_falloc((size_t)N * hw * c->cout, DK_ACT, DL_STEP, false);
	float *col = dnn_falloc(hw * k, DK_WS, DL_SHORT, false);

	for (int n = 0; n < N; n++) {
		im2col(x + n * hw * c->cin, H, W, c->cin, col);
		gemm_nn((int)hw, c->cout, (int)k, col, (int)k, c->w->w, c->cout,
			y + n * hw * c->cout, c->cout, false);
	}
	dnn_free(col);
	return y;
}

float *conv_bwd(const struct conv *c, const float *x, const float *dy, int N,
		int H, int W, bool need_dx)
{
	size_t hw = (size_t)H * W, k = (size_t)9 * c->cin;
	float *dw = param_grad(c->w);
	float *col = dnn_falloc(hw * k, DK_WS, DL_SHORT, false);
	float *dcol = NULL, *wt = NULL, *dx = NULL;

	if (need_dx) {
		dx = dnn_falloc((size_t)N * hw * c->cin, DK_GRAD, DL_STEP, true);
		dcol = dnn_falloc(hw * k, DK_WS, DL_SHORT, false);
		wt = dnn_falloc(k * c->cout, DK_WS, DL_SHORT, false);
		transpose((int)k, c->cout, c->w->w, c->cout, wt, (int)k);
	}
	for (int n = 0; n < N; n++) {
		const float *dyn = dy + n * hw * c->cout;

		im2col(x + n * hw * c->cin, H, W, c->cin, col);
		gemm_tn((int)k, c->cout, (int)hw, col, (int)k, dyn, c->cout, dw,
			c->cout, true);
		if (need_dx) {
			gemm_nn((int)hw, (int)k, c->cout, dyn, c->cout, wt,
				(int)k, dcol, (int)k, false);
			col2im_add(dcol, H, W, c->cin, dx + n * hw * c->cin);
		}
	}
	dnn_free(wt);
	dnn_free(dcol);
	dnn_free(col);
	return dx;
}

/* ---- normalisation ---- */

void norm_init(struct norm *n, struct params *ps, uint32_t layer,
	       const char *name, int c, struct rng *r)
{
	char nm[24];

	n->c = c;
	pname(nm, sizeof(nm), name, "gamma");
	n->gamma = param_new(ps, (size_t)c, layer, nm, INIT_ONE, 0, r);
	pname(nm, sizeof(nm), name, "beta");
	n->beta = param_new(ps, (size_t)c, layer, nm, INIT_ZERO, 0, r);
}

void norm_cache_free(struct norm_cache *nc)
{
	dnn_free(nc->mean);
	dnn_free(nc->invstd);
	nc->mean = nc->invstd = NULL;
}

float *bn_fwd(const struct norm *n, const float *x, int R,
	      struct norm_cache *nc)
{
	int C = n->c;
	double *acc = dnn_alloc((size_t)C * sizeof(double), DK_WS, DL_SHORT, true);
	float *y = dnn_falloc((size_t)R * C, DK_ACT, DL_STEP, false);

	nc->mean = dnn_falloc((size_t)C, DK_ACT, DL_STEP, false);
	nc->invstd = dnn_falloc((size_t)C, DK_ACT, DL_STEP, false);
	for (int r = 0; r < R; r++)
		for (int c = 0; c < C; c++)
			acc[c] += x[(size_t)r * C + c];
	for (int c = 0; c < C; c++) {
		nc->mean[c] = (float)(acc[c] / R);
		acc[c] = 0;
	}
	for (int r = 0; r < R; r++)
		for (int c = 0; c < C; c++) {
			double d = x[(size_t)r * C + c] - nc->mean[c];

			acc[c] += d * d;
		}
	for (int c = 0; c < C; c++)
		nc->invstd[c] = (float)(1.0 / sqrt(acc[c] / R + NORM_EPS));
	for (int r = 0; r < R; r++)
		for (int c = 0; c < C; c++) {
			size_t i = (size_t)r * C + c;

			y[i] = n->gamma->w[c] * ((x[i] - nc->mean[c]) * nc->invstd[c]) +
			       n->beta->w[c];
		}
	dnn_free(acc);
	return y;
}

float *bn_bwd(const struct norm *n, const float *x, const float *dy, int R,
	      const struct norm_cache *nc)
{
	int C = n->c;
	double *sdy = dnn_alloc((size_t)2 * C * sizeof(double), DK_WS, DL_SHORT,
				true);
	double *sdyx = sdy + C;
	float *dg = param_grad(n->gamma), *db = param_grad(n->beta);
	float *dx = dnn_falloc((size_t)R * C, DK_GRAD, DL_STEP, false);

	for (int r = 0; r < R; r++)
		for (int c = 0; c < C; c++) {
			size_t i = (size_t)r * C + c;
			float xh = (x[i] - nc->mean[c]) * nc->invstd[c];

			sdy[c] += dy[i];
			sdyx[c] += (double)dy[i] * xh;
		}
	for (int c = 0; c < C; c++) {
		dg[c] += (float)sdyx[c];
		db[c] += (float)sdy[c];
	}
	for (int r = 0; r < R; r++)
		for (int c = 0; c < C; c++) {
			size_t i = (size_t)r * C + c;
			float xh = (x[i] - nc->mean[c]) * nc->invstd[c];
			double v = (double)R * dy[i] - sdy[c] - xh * sdyx[c];

			dx[i] = (float)(n->gamma->w[c] * nc->invstd[c] * v / R);
		}
	dnn_free(sdy);
	return dx;
}

float *ln_fwd(const struct norm *n, const float *x, int R,
	      struct norm_cache *nc)
{
	int D = n->c;
	float *y = dnn_falloc((size_t)R * D, DK_ACT, DL_STEP, false);

	nc->mean = dnn_falloc((size_t)R, DK_ACT, DL_STEP, false);
	nc->invstd = dnn_falloc((size_t)R, DK_ACT, DL_STEP, false);
	for (int r = 0; r < R; r++) {
		const float *xr = x + (size_t)r * D;
		float *yr = y + (size_t)r * D;
		double s = 0, s2 = 0;
		float mean, inv;

		for (int j = 0; j < D; j++)
			s += xr[j];
		mean = (float)(s / D);
		for (int j = 0; j < D; j++) {
			double d = xr[j] - mean;

			s2 += d * d;
		}
		inv = (float)(1.0 / sqrt(s2 / D + NORM_EPS));
		nc->mean[r] = mean;
		nc->invstd[r] = inv;
		for (int j = 0; j < D; j++)
			yr[j] = n->gamma->w[j] * ((xr[j] - mean) * inv) +
				n->beta->w[j];
	}
	return y;
}

float *ln_bwd(const struct norm *n, const float *x, const float *dy, int R,
	      const struct norm_cache *nc)
{
	int D = n->c;
	float *dg = param_grad(n->gamma), *db = param_grad(n->beta);
	float *dx = dnn_falloc((size_t)R * D, DK_GRAD, DL_STEP, false);

	for (int r = 0; r < R; r++) {
		const float *xr = x + (size_t)r * D, *dyr = dy + (size_t)r * D;
		float *dxr = dx + (size_t)r * D;
		float mean = nc->mean[r], inv = nc->invstd[r];
		double s = 0, sx = 0;

		for (int j = 0; j < D; j++) {
			float xh = (xr[j] - mean) * inv;
			float g = dyr[j] * n->gamma->w[j];

			dg[j] += dyr[j] * xh;
			db[j] += dyr[j];
			s += g;
			sx += (double)g * xh;
		}
		s /= D;
		sx /= D;
		for (int j = 0; j < D; j++) {
			float xh = (xr[j] - mean) * inv;
			double g = (double)dyr[j] * n->gamma->w[j];

			dxr[j] = (float)(inv * (g - s - xh * sx));
		}
	}
	return dx;
}

/* ---- pooling ---- */

float *avgpool2_fwd(const float *x, int N, int H, int W, int C)
{
	int ho = H / 2, wo = W / 2;
	float *y = dnn_falloc((size_t)N * ho * wo * C, DK_ACT, DL_STEP, false);

	for (int n = 0; n < N; n++)
		for (int i = 0; i < ho; i++)
			for (int j = 0; j < wo; j++) {
				const float *a = x + (((size_t)n * H + 2 * i) * W + 2 * j) * C;
				const float *b = a + C, *c = a + (size_t)W * C, *d = c + C;
				float *o = y + (((size_t)n * ho + i) * wo + j) * C;

				for (int k = 0; k < C; k++)
					o[k] = 0.25f * (a[k] + b[k] + c[k] + d[k]);
			}
	return y;
}

float *avgpool2_bwd(const float *dy, int N, int H, int W, int C)
{
	int ho = H / 2, wo = W / 2;
	float *dx = dnn_falloc((size_t)N * H * W * C, DK_GRAD, DL_STEP, false);

	for (int n = 0; n < N; n++)
		for (int i = 0; i < H; i++)
			for (int j = 0; j < W; j++) {
				const float *g = dy + (((size_t)n * ho + i / 2) * wo + j / 2) * C;
				float *o = dx + (((size_t)n * H + i) * W + j) * C;

				for (int k = 0; k < C; k++)
					o[k] = 0.25f * g[k];
			}
	return dx;
}

float *gap_fwd(const float *x, int N, int HW, int C)
{
	float *y = dnn_falloc((size_t)N * C, DK_ACT, DL_STEP, true);

	for (int n = 0; n < N; n++) {
		float *o = y + (size_t)n * C;

		col_sum_acc(x + (size_t)n * HW * C, HW, C, o);
		for (int k = 0; k < C; k++)
			o[k] /= (float)HW;
	}
	return y;
}

float *gap_bwd(const float *dy, int N, int HW, int C)
{
	float *dx = dnn_falloc((size_t)N * HW * C, DK_GRAD, DL_STEP, false);

	for (int n = 0; n < N; n++)
		for (int p = 0; p < HW; p++)
			for (int k = 0; k < C; k++)
				dx[((size_t)n * HW + p) * C + k] =
					dy[(size_t)n * C + k] / (float)HW;
	return dx;
}

/* ---- embedding ---- */

void embed_init(struct embed *e, struct params *ps, uint32_t layer,
		int vocab, int d, int maxlen, struct rng *r)
{
	e->vocab = vocab;
	e->d = d;
	e->maxlen = maxlen;
	e->table = param_new(ps, (size_t)vocab * d, layer, "embed.table",
			     INIT_NORMAL, 1.0f, r);
	e->pos = param_new(ps, (size_t)maxlen * d, layer, "embed.pos",
			   INIT_NORMAL, 0.1f, r);
}

float *embed_fwd(const struct embed *e, const int *tok, int B, int T)
{
	float *y = dnn_falloc((size_t)B * T * e->d, DK_ACT, DL_STEP, false);

	for (int b = 0; b < B; b++)
		for (int t = 0; t < T; t++) {
			size_t r = (size_t)b * T + t;

			vec_add3(y + r * e->d, e->table->w + (size_t)tok[r] * e->d,
				 e->pos->w + (size_t)t * e->d, (size_t)e->d);
		}
	return y;
}

void embed_bwd(const struct embed *e, const int *tok, const float *dy, int B,
	       int T)
{
	float *dt = param_grad(e->table), *dp = param_grad(e->pos);

	for (int b = 0; b < B; b++)
		for (int t = 0; t < T; t++) {
			size_t r = (size_t)b * T + t;

			vec_add(dt + (size_t)tok[r] * e->d, dy + r * e->d,
				(size_t)e->d);
			vec_add(dp + (size_t)t * e->d, dy + r * e->d, (size_t)e->d);
		}
}

/* ---- attention ---- */

void attn_init(struct attn *a, struct params *ps, uint32_t layer, int d,
	       int heads, struct rng *r)
{
	a->d = d;
	a->heads = heads;
	linear_init(&a->qkv, ps, layer, "attn.qkv", d, 3 * d, r);
	linear_init(&a->proj, ps, layer, "attn.proj", d, d, r);
}

void attn_cache_free(struct attn_cache *ac)
{
	dnn_free(ac->qkv);
	dnn_free(ac->p);
	dnn_free(ac->ctx);
	memset(ac, 0, sizeof(*ac));
}

/* Row-wise softmax of s * scale into p. */
static void softmax_rows(const float *s, int rows, int cols, float scale,
			 float *p)
{
	for (int i = 0; i < rows; i++) {
		const float *si = s + (size_t)i * cols;
		float *pi = p + (size_t)i * cols;
		float mx = si[0];
		double sum = 0;

		for (int j = 1; j < cols; j++)
			mx = si[j] > mx ? si[j] : mx;
		for (int j = 0; j < cols; j++) {
			pi[j] = expf((si[j] - mx) * scale);
			sum += pi[j];
		}
		for (int j = 0; j < cols; j++)
			pi[j] = (float)(pi[j] / sum);
	}
}

float *attn_fwd(const struct attn *a, const float *x, int B, int T,
		struct attn_cache *ac)
{
	int D = a->d, H = a->heads, dh = D / H, ld = 3 * D;
	float scale = 1.0f / sqrtf((float)dh);
	float *kt, *s, *y;

	ac->qkv = linear_fwd(&a->qkv, x, B * T);
	ac->p = dnn_falloc((size_t)B * H * T * T, DK_ACT, DL_STEP, false);
	ac->ctx = dnn_falloc((size_t)B * T * D, DK_ACT, DL_STEP, false);
	kt = dnn_falloc((size_t)dh * T, DK_WS, DL_SHORT, false);
	s = dnn_falloc((size_t)T * T, DK_WS, DL_SHORT, false);
	for (int b = 0; b < B; b++)
		for (int h = 0; h < H; h++) {
			const float *q = ac->qkv + (size_t)b * T * ld + h * dh;
			const float *k = q + D, *v = q + 2 * D;
			float *p = ac->p + ((size_t)b * H + h) * T * T;

			transpose(T, dh, k, ld, kt, T);
			gemm_nn(T, T, dh, q, ld, kt, T, s, T, false);
			softmax_rows(s, T, T, scale, p);
			gemm_nn(T, dh, T, p, T, v, ld,
				ac->ctx + (size_t)b * T * D + h * dh, D, false);
		}
	dnn_free(s);
	dnn_free(kt);
	y = linear_fwd(&a->proj, ac->ctx, B * T);
	return y;
}

float *attn_bwd(const struct attn *a, const float *x, const float *dy, int B,
		int T, const struct attn_cache *ac)
{
	int D = a->d, H = a->heads, dh = D / H, ld = 3 * D;
	float scale = 1.0f / sqrtf((float)dh);
	float *dctx, *dqkv, *vt, *dp, *dx;

	dctx = linear_bwd(&a->proj, ac->ctx, dy, B * T, true);
	dqkv = dnn_falloc((size_t)B * T * ld, DK_GRAD, DL_STEP, false);
	vt = dnn_falloc((size_t)dh * T, DK_WS, DL_SHORT, false);
	dp = dnn_falloc((size_t)T * T, DK_WS, DL_SHORT, false);
	for (int b = 0; b < B; b++)
		for (int h = 0; h < H; h++) {
			size_t off = (size_t)b * T * ld + h * dh;
			const float *q = ac->qkv + off, *k = q + D, *v = q + 2 * D;
			float *dq = dqkv + off, *dk = dq + D, *dv = dq + 2 * D;
			const float *p = ac->p + ((size_t)b * H + h) * T * T;
			const float *dout = dctx + (size_t)b * T * D + h * dh;

			gemm_tn(T, dh, T, p, T, dout, D, dv, ld, false);
			transpose(T, dh, v, ld, vt, T);
			gemm_nn(T, T, dh, dout, D, vt, T, dp, T, false);
			for (int i = 0; i < T; i++) {
				const float *pi = p + (size_t)i * T;
				float *di = dp + (size_t)i * T;
				double dot = 0;

				for (int j = 0; j < T; j++)
					dot += (double)pi[j] * di[j];
				for (int j = 0; j < T; j++)
					di[j] = pi[j] * (di[j] - (float)dot) * scale;
			}
			gemm_nn(T, dh, T, dp, T, k, ld, dq, ld, false);
			gemm_tn(T, dh, T, dp, T, q, ld, dk, ld, false);
		}
	dnn_free(dp);
	dnn_free(vt);
	dnn_free(dctx);
	dx = linear_bwd(&a->qkv, x, dqkv, B * T, true);
	dnn_free(dqkv);
	return dx;
}

/* ---- LSTM ---- */

void lstm_init(struct lstm *l, struct params *ps, uint32_t layer,
	       const char *name, int in, int hid, struct rng *r)
{
	char n[24];

	l->in = in;
	l->hid = hid;
	pname(n, sizeof(n), name, "wx");
	l->wx = param_new(ps, (size_t)in * 4 * hid, layer, n, INIT_NORMAL,
			  1.0f / sqrtf((float)in), r);
	pname(n, sizeof(n), name, "wh");
	l->wh = param_new(ps, (size_t)hid * 4 * hid, layer, n, INIT_NORMAL,
			  1.0f / sqrtf((float)hid), r);
	pname(n, sizeof(n), name, "b");
	l->b = param_new(ps, (size_t)4 * hid, layer, n, INIT_ZERO, 0, r);
	/* forget-gate bias 1: remember by default */
	for (int j = hid; j < 2 * hid; j++)
		l->b->w[j] = 1.0f;
}

void lstm_cache_free(struct lstm_cache *lc)
{
	dnn_free(lc->gates);
	dnn_free(lc->c);
	dnn_free(lc->h);
	memset(lc, 0, sizeof(*lc));
}

static inline float sigm(float x)
{
	return 1.0f / (1.0f + expf(-x));
}

float *lstm_fwd(const struct lstm *l, const float *x, int T, int B,
		struct lstm_cache *lc)
{
	int Hd = l->hid, G4 = 4 * Hd;
	size_t bh = (size_t)B * Hd;

	lc->gates = dnn_falloc((size_t)T * B * G4, DK_ACT, DL_STEP, false);
	lc->c = dnn_falloc((size_t)(T + 1) * bh, DK_ACT, DL_STEP, true);
	lc->h = dnn_falloc((size_t)(T + 1) * bh, DK_ACT, DL_STEP, true);
	/* input contributions of all steps in one product */
	gemm_nn(T * B, G4, l->in, x, l->in, l->wx->w, G4, lc->gates, G4, false);
	for (int t = 0; t < T; t++) {
		float *g = lc->gates + (size_t)t * B * G4;
		const float *hp = lc->h + t * bh, *cp = lc->c + t * bh;
		float *hn = lc->h + (t + 1) * bh, *cn = lc->c + (t + 1) * bh;

		gemm_nn(B, G4, Hd, hp, Hd, l->wh->w, G4, g, G4, true);
		for (int b = 0; b < B; b++) {
			float *gb = g + (size_t)b * G4;

			for (int j = 0; j < Hd; j++) {
				float i = sigm(gb[j] + l->b->w[j]);
				float f = sigm(gb[Hd + j] + l->b->w[Hd + j]);
				float gg = tanhf(gb[2 * Hd + j] + l->b->w[2 * Hd + j]);
				float o = sigm(gb[3 * Hd + j] + l->b->w[3 * Hd + j]);
				size_t k = (size_t)b * Hd + j;

				gb[j] = i;
				gb[Hd + j] = f;
				gb[2 * Hd + j] = gg;
				gb[3 * Hd + j] = o;
				cn[k] = f * cp[k] + i * gg;
				hn[k] = o * tanhf(cn[k]);
			}
		}
	}
	return lc->h + bh;
}

float *lstm_bwd(const struct lstm *l, const float *x, const float *dh, int T,
		int B, const struct lstm_cache *lc, bool need_dx)
{
	int Hd = l->hid, G4 = 4 * Hd;
	size_t bh = (size_t)B * Hd;
	float *dg = dnn_falloc((size_t)T * B * G4, DK_GRAD, DL_STEP, false);
	float *dhn = dnn_falloc(bh, DK_WS, DL_SHORT, true);
	float *dcn = dnn_falloc(bh, DK_WS, DL_SHORT, true);
	float *wht = dnn_falloc((size_t)G4 * Hd, DK_WS, DL_SHORT, false);
	float *dx = NULL;

	transpose(Hd, G4, l->wh->w, G4, wht, Hd);
	for (int t = T - 1; t >= 0; t--) {
		const float *g = lc->gates + (size_t)t * B * G4;
		const float *cp = lc->c + t * bh, *cn = lc->c + (t + 1) * bh;
		const float *dht = dh + t * bh;
		float *d = dg + (size_t)t * B * G4;

		for (int b = 0; b < B; b++) {
			const float *gb = g + (size_t)b * G4;
			float *db = d + (size_t)b * G4;

			for (int j = 0; j < Hd; j++) {
				size_t k = (size_t)b * Hd + j;
				float i = gb[j], f = gb[Hd + j];
				float gg = gb[2 * Hd + j], o = gb[3 * Hd + j];
				float tc = tanhf(cn[k]);
				float dhk = dht[k] + dhn[k];
				float dc = dhk * o * (1.0f - tc * tc) + dcn[k];

				db[j] = dc * gg * i * (1.0f - i);
				db[Hd + j] = dc * cp[k] * f * (1.0f - f);
				db[2 * Hd + j] = dc * i * (1.0f - gg * gg);
				db[3 * Hd + j] = dhk * tc * o * (1.0f - o);
				dcn[k] = dc * f;
			}
		}
		gemm_nn(B, Hd, G4, d, G4, wht, Hd, dhn, Hd, false);
	}
	/* weight gradients over all steps at once */
	gemm_tn(l->in, G4, T * B, x, l->in, dg, G4, param_grad(l->wx), G4, true);
	gemm_tn(Hd, G4, T * B, lc->h, Hd, dg, G4, param_grad(l->wh), G4, true);
	col_sum_acc(dg, T * B, G4, param_grad(l->b));
	if (need_dx) {
		dx = dnn_falloc((size_t)T * B * l->in, DK_GRAD, DL_STEP, false);
		gemm_nt(T * B, l->in, G4, dg, G4, l->wx->w, G4, dx, l->in, false);
	}
	dnn_free(wht);
	dnn_free(dcn);
	dnn_free(dhn);
	dnn_free(dg);
	return dx;
}

/* ---- loss ---- */

double softmax_ce(const float *logits, const int *labels, int N, int C,
		  float **dlogits)
{
	float *d = dnn_falloc((size_t)N * C, DK_GRAD, DL_STEP, false);
	double loss = 0;

	for (int i = 0; i < N; i++) {
		const float *x = logits + (size_t)i * C;
		float *di = d + (size_t)i * C;
		float mx = x[0];
		double sum = 0;

		for (int j = 1; j < C; j++)
			mx = x[j] > mx ? x[j] : mx;
		for (int j = 0; j < C; j++)
			sum += exp((double)x[j] - mx);
		loss += log(sum) - ((double)x[labels[i]] - mx);
		for (int j = 0; j < C; j++)
			di[j] = (float)(exp((double)x[j] - mx) / sum / N);
		di[labels[i]] -= 1.0f / (float)N;
	}
	*dlogits = d;
	return loss / N;
}
