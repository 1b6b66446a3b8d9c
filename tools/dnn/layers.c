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

DNN_VEC
void relu_inplace(float *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		x[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

DNN_VEC
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
	c->stride = 1;
	pname(n, sizeof(n), name, "w");
	c->w = param_new(ps, (size_t)9 * cin * cout, layer, n, INIT_NORMAL,
			 sqrtf(2.0f / (9.0f * cin)), r);
}

/*
 * Convolutions run over tiles of output pixels: the im2col rows of a
 * tile (pixel, then (ky * 3 + kx) * C + channel) go into a short-lived
 * workspace of at most CONV_TILE floats that stays in the cache while the
 * matrix kernels use it, instead of one im2col matrix per image that
 * would be written to memory and read back.  The products add the same
 * terms in the same order as on whole images: a tile only selects rows.
 */
#define CONV_TILE 8192	/* floats: 32 KiB */

static int conv_tile_pixels(int hw, int C)
{
	int p = CONV_TILE / (9 * C);

	p -= p % 4;
	if (p < 4)
		p = 4;
	return p < hw ? p : hw;
}

/*
 * Rows p0 .. p1-1 of the im2col matrix of image x [H][W][C] for output
 * pixels of a Wo-wide output at stride s.  The three taps of a kernel row
 * are three neighbouring input pixels, 3 * C contiguous floats in x and
 * in the row: one copy each away from the borders.
 */
static void im2col_rows(const float *x, int H, int W, int C, int s, int Wo,
			int p0, int p1, float *col)
{
	size_t rowlen = (size_t)9 * C, cb = (size_t)C * sizeof(float);

	for (int p = p0; p < p1; p++) {
		int y = p / Wo * s, xx = p % Wo * s;
		float *row = col + (size_t)(p - p0) * rowlen;

		for (int ky = 0; ky < 3; ky++) {
			int sy = y + ky - 1;
			float *dst = row + (size_t)ky * 3 * C;
			const float *src;

			if (sy < 0 || sy >= H) {
				memset(dst, 0, 3 * cb);
				continue;
			}
			src = x + (size_t)sy * W * C;
			if (xx > 0 && xx < W - 1) {
				memcpy(dst, src + (size_t)(xx - 1) * C, 3 * cb);
				continue;
			}
			for (int kx = 0; kx < 3; kx++) {
				int sx = xx + kx - 1;

				if (sx < 0 || sx >= W)
					memset(dst + (size_t)kx * C, 0, cb);
				else
					memcpy(dst + (size_t)kx * C,
					       src + (size_t)sx * C, cb);
			}
		}
	}
}

/*
 * dx += the im2col rows p0 .. p1-1 in col, scattered back.  Each element
 * of dx gets its terms in the order of the rows (pixels), then of the
 * taps, whether or not three taps are added as one run.
 */
static void col2im_rows_add(const float *col, int H, int W, int C, int s,
			    int Wo, int p0, int p1, float *dx)
{
	size_t rowlen = (size_t)9 * C;

	for (int p = p0; p < p1; p++) {
		int y = p / Wo * s, xx = p % Wo * s;
		const float *row = col + (size_t)(p - p0) * rowlen;

		for (int ky = 0; ky < 3; ky++) {
			int sy = y + ky - 1;
			const float *src = row + (size_t)ky * 3 * C;

			if (sy < 0 || sy >= H)
				continue;
			if (xx > 0 && xx < W - 1) {
				vec_add(dx + ((size_t)sy * W + xx - 1) * C, src,
					(size_t)3 * C);
				continue;
			}
			for (int kx = 0; kx < 3; kx++) {
				int sx = xx + kx - 1;

				if (sx < 0 || sx >= W)
					continue;
				vec_add(dx + ((size_t)sy * W + sx) * C,
					src + (size_t)kx * C, (size_t)C);
			}
		}
	}
}

int conv_out(const struct conv *c, int n)
{
	return (n - 1) / c->stride + 1;
}

float *conv_fwd(const struct conv *c, const float *x, int N, int H, int W)
{
	int Wo = conv_out(c, W), hw = conv_out(c, H) * Wo, k = 9 * c->cin;
	int tp = conv_tile_pixels(hw, c->cin), s = c->stride;
	size_t hwi = (size_t)H * W;
	float *y = dnn_falloc((size_t)N * hw * c->cout, DK_ACT, DL_STEP, false);
	float *col = dnn_falloc((size_t)tp * k, DK_WS, DL_SHORT, false);

	for (int n = 0; n < N; n++) {
		const float *xn = x + (size_t)n * hwi * c->cin;
		float *yn = y + (size_t)n * hw * c->cout;

		for (int p0 = 0; p0 < hw; p0 += tp) {
			int p1 = hw - p0 < tp ? hw : p0 + tp;

			im2col_rows(xn, H, W, c->cin, s, Wo, p0, p1, col);
			gemm_nn(p1 - p0, c->cout, k, col, k, c->w->w, c->cout,
				yn + (size_t)p0 * c->cout, c->cout, false);
		}
	}
	dnn_free(col);
	return y;
}

float *conv_bwd(const struct conv *c, const float *x, const float *dy, int N,
		int H, int W, bool need_dx)
{
	int Wo = conv_out(c, W), hw = conv_out(c, H) * Wo, k = 9 * c->cin;
	int tp = conv_tile_pixels(hw, c->cin), s = c->stride;
	size_t hwi = (size_t)H * W;
	float *dw = param_grad(c->w);
	float *col = dnn_falloc((size_t)tp * k, DK_WS, DL_SHORT, false);
	float *wt = NULL, *dx = NULL;

	/*
	 * Two passes, so that each keeps fewer tensors in the cache: the
	 * weights' gradient (im2col tiles and dW), then the input's gradient
	 * (W^T, the tile's gradient in col, col2im).  Each sum still adds
	 * its terms in the same order.
	 */
	for (int n = 0; n < N; n++) {
		const float *xn = x + (size_t)n * hwi * c->cin;
		const float *dyn = dy + (size_t)n * hw * c->cout;

		for (int p0 = 0; p0 < hw; p0 += tp) {
			int p1 = hw - p0 < tp ? hw : p0 + tp;

			im2col_rows(xn, H, W, c->cin, s, Wo, p0, p1, col);
			gemm_tn(k, c->cout, p1 - p0, col, k,
				dyn + (size_t)p0 * c->cout, c->cout, dw,
				c->cout, true);
		}
	}
	if (need_dx) {
		dx = dnn_falloc((size_t)N * hwi * c->cin, DK_GRAD, DL_STEP, true);
		wt = dnn_falloc((size_t)k * c->cout, DK_WS, DL_SHORT, false);
		transpose(k, c->cout, c->w->w, c->cout, wt, k);
	}
	for (int n = 0; need_dx && n < N; n++) {
		const float *dyn = dy + (size_t)n * hw * c->cout;

		for (int p0 = 0; p0 < hw; p0 += tp) {
			int p1 = hw - p0 < tp ? hw : p0 + tp;

			gemm_nn(p1 - p0, k, c->cout, dyn + (size_t)p0 * c->cout,
				c->cout, wt, k, col, k, false);
			col2im_rows_add(col, H, W, c->cin, s, Wo, p0, p1,
					dx + (size_t)n * hwi * c->cin);
		}
	}
	dnn_free(wt);
	dnn_free(col);
	return dx;
}

/* ---- depthwise conv ---- */

void dwconv_init(struct dwconv *d, struct params *ps, uint32_t layer,
		 const char *name, int c, int stride, struct rng *r)
{
	char n[24];

	d->c = c;
	d->stride = stride;
	pname(n, sizeof(n), name, "w");
	d->w = param_new(ps, (size_t)9 * c, layer, n, INIT_NORMAL,
			 sqrtf(2.0f / 9.0f), r);
}

int dwconv_out(const struct dwconv *d, int n)
{
	return (n - 1) / d->stride + 1;
}

float *dwconv_fwd(const struct dwconv *d, const float *x, int N, int H, int W)
{
	size_t n = (size_t)N * dwconv_out(d, H) * dwconv_out(d, W) * d->c;
	float *y = dnn_falloc(n, DK_ACT, DL_STEP, false);

	dw3x3_fwd(x, N, H, W, d->c, d->stride, d->w->w, y);
	return y;
}

float *dwconv_bwd(const struct dwconv *d, const float *x, const float *dy,
		  int N, int H, int W, bool need_dx)
{
	float *dx = need_dx ? dnn_falloc((size_t)N * H * W * d->c, DK_GRAD,
					 DL_STEP, true) : NULL;

	dw3x3_bwd(x, dy, N, H, W, d->c, d->stride, d->w->w, param_grad(d->w),
		  dx);
	return dx;
}

/* ---- pointwise conv ---- */

void pwconv_init(struct pwconv *p, struct params *ps, uint32_t layer,
		 const char *name, int cin, int cout, struct rng *r)
{
	char n[24];

	p->cin = cin;
	p->cout = cout;
	pname(n, sizeof(n), name, "w");
	p->w = param_new(ps, (size_t)cin * cout, layer, n, INIT_NORMAL,
			 sqrtf(2.0f / (float)cin), r);
}

float *pwconv_fwd(const struct pwconv *p, const float *x, int R)
{
	float *y = dnn_falloc((size_t)R * p->cout, DK_ACT, DL_STEP, false);

	gemm_nn(R, p->cout, p->cin, x, p->cin, p->w->w, p->cout, y, p->cout,
		false);
	return y;
}

float *pwconv_bwd(const struct pwconv *p, const float *x, const float *dy,
		  int R, bool need_dx)
{
	float *dx = NULL;

	gemm_tn(p->cin, p->cout, R, x, p->cin, dy, p->cout, param_grad(p->w),
		p->cout, true);
	if (need_dx) {
		dx = dnn_falloc((size_t)R * p->cin, DK_GRAD, DL_STEP, false);
		gemm_nt(R, p->cin, p->cout, dy, p->cout, p->w->w, p->cout, dx,
			p->cin, false);
	}
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

DNN_VEC
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

DNN_VEC
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

DNN_VEC
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

DNN_VEC
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

DNN_VEC
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

DNN_VEC
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

DNN_VEC
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

void attn_core_fwd(const struct attn *a, int B, int T, struct attn_cache *ac)
{
	int D = a->d, H = a->heads, dh = D / H, ld = 3 * D;
	float scale = 1.0f / sqrtf((float)dh);
	float *kt, *s;

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
}

float *attn_fwd(const struct attn *a, const float *x, int B, int T,
		struct attn_cache *ac)
{
	ac->qkv = linear_fwd(&a->qkv, x, B * T);
	attn_core_fwd(a, B, T, ac);
	return linear_fwd(&a->proj, ac->ctx, B * T);
}

float *attn_core_bwd(const struct attn *a, const float *dctx, int B, int T,
		     const struct attn_cache *ac)
{
	int D = a->d, H = a->heads, dh = D / H, ld = 3 * D;
	float scale = 1.0f / sqrtf((float)dh);
	float *dqkv, *vt, *dp;

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
	return dqkv;
}

float *attn_bwd(const struct attn *a, const float *x, const float *dy, int B,
		int T, const struct attn_cache *ac)
{
	float *dctx, *dqkv, *dx;

	dctx = linear_bwd(&a->proj, ac->ctx, dy, B * T, true);
	dqkv = attn_core_bwd(a, dctx, B, T, ac);
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
	l->id = layer;
	l->step_marks = false;
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
	for (int t = 0; t < lc->T; t++)
		if (lc->gates)
			dnn_free(lc->gates[t]);
	for (int t = 0; t <= lc->T; t++) {
		if (lc->c)
			dnn_free(lc->c[t]);
		if (lc->h)
			dnn_free(lc->h[t]);
	}
	free(lc->gates);
	free(lc->c);
	free(lc->h);
	memset(lc, 0, sizeof(*lc));
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p) {
		fprintf(stderr, "sentinel-train: out of memory\n");
		exit(1);
	}
	return p;
}

static inline float sigm(float x)
{
	return 1.0f / (1.0f + expf(-x));
}

float *const *lstm_fwd(const struct lstm *l, const float *const *x, int T,
		       int B, struct lstm_cache *lc)
{
	int Hd = l->hid, G4 = 4 * Hd;
	size_t bh = (size_t)B * Hd;

	lc->T = T;
	lc->gates = xcalloc((size_t)T, sizeof(float *));
	lc->c = xcalloc((size_t)T + 1, sizeof(float *));
	lc->h = xcalloc((size_t)T + 1, sizeof(float *));
	for (int t = 0; t < T; t++) {
		float *g, *cp, *cn, *hn;
		const float *hp;

		if (l->step_marks)
			dnn_layer_switch(l->id + (uint32_t)t, DIR_FWD);
		if (!t) {
			lc->c[0] = dnn_falloc(bh, DK_ACT, DL_STEP, true);
			lc->h[0] = dnn_falloc(bh, DK_ACT, DL_STEP, true);
		}
		g = lc->gates[t] = dnn_falloc((size_t)B * G4, DK_ACT, DL_STEP,
					      false);
		cn = lc->c[t + 1] = dnn_falloc(bh, DK_ACT, DL_STEP, false);
		hn = lc->h[t + 1] = dnn_falloc(bh, DK_ACT, DL_STEP, false);
		cp = lc->c[t];
		hp = lc->h[t];
		/* input, then recurrent contribution */
		gemm_nn(B, G4, l->in, x[t], l->in, l->wx->w, G4, g, G4, false);
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
	return lc->h + 1;
}

float **lstm_bwd(const struct lstm *l, const float *const *x, float **dh,
		 int T, int B, struct lstm_cache *lc, bool need_dx)
{
	int Hd = l->hid, G4 = 4 * Hd, in = l->in;
	size_t bh = (size_t)B * Hd;
	float *dwx = param_grad(l->wx), *dwh = param_grad(l->wh);
	float *dbias = param_grad(l->b), **dx = NULL;
	/* the gradients of h and c flowing from step t + 1 into step t */
	float *dhn = NULL, *dcn = NULL;
	/*
	 * W^T of both weights for all steps; with step marks they live
	 * across layers, so not as short-lived workspaces.
	 */
	enum dnn_life wl = l->step_marks ? DL_STEP : DL_SHORT;
	float *wxt = NULL, *wht;

	if (l->step_marks)
		dnn_layer_switch(l->id + (uint32_t)T - 1, DIR_BWD);
	wht = dnn_falloc((size_t)G4 * Hd, DK_WS, wl, false);
	transpose(Hd, G4, l->wh->w, G4, wht, Hd);
	if (need_dx) {
		dx = xcalloc((size_t)T, sizeof(float *));
		wxt = dnn_falloc((size_t)G4 * in, DK_WS, wl, false);
		transpose(in, G4, l->wx->w, G4, wxt, in);
	}
	for (int t = T - 1; t >= 0; t--) {
		const float *g = lc->gates[t], *cp = lc->c[t];
		const float *cn = lc->c[t + 1], *dht = dh[t];
		float *d, *dhp, *dcp;

		if (l->step_marks)
			dnn_layer_switch(l->id + (uint32_t)t, DIR_BWD);
		if (t == T - 1) {
			dhn = dnn_falloc(bh, DK_GRAD, DL_STEP, true);
			dcn = dnn_falloc(bh, DK_GRAD, DL_STEP, true);
		}
		d = dnn_falloc((size_t)B * G4, DK_WS, DL_SHORT, false);
		dcp = dnn_falloc(bh, DK_GRAD, DL_STEP, false);
		for (int b = 0; b < B; b++) {
			const float *gb = g + (size_t)b * G4;
			float *db = d + (size_t)b * G4;

			for (int j = 0; j < Hd; j++) {
				size_t k = (size_t)b * Hd + j;
				float i = gb[j], f = gb[Hd + j];
				float gg = gb[2 * Hd + j], o = gb[3 * Hd + j];
				float tc = tanhf(cn[k]);
				float dhk = (dht ? dht[k] : 0.0f) + dhn[k];
				float dc = dhk * o * (1.0f - tc * tc) + dcn[k];

				db[j] = dc * gg * i * (1.0f - i);
				db[Hd + j] = dc * cp[k] * f * (1.0f - f);
				db[2 * Hd + j] = dc * i * (1.0f - gg * gg);
				db[3 * Hd + j] = dhk * tc * o * (1.0f - o);
				dcp[k] = dc * f;
			}
		}
		/*
		 * This step's share of the weight gradients (steps added from
		 * the last to the first), of the input's and of h's.
		 */
		gemm_tn(in, G4, B, x[t], in, d, G4, dwx, G4, true);
		gemm_tn(Hd, G4, B, lc->h[t], Hd, d, G4, dwh, G4, true);
		col_sum_acc(d, B, G4, dbias);
		if (dx) {
			dx[t] = dnn_falloc((size_t)B * in, DK_GRAD, DL_STEP, false);
			gemm_nn(B, in, G4, d, G4, wxt, in, dx[t], in, false);
		}
		dhp = dnn_falloc(bh, DK_GRAD, DL_STEP, false);
		gemm_nn(B, Hd, G4, d, G4, wht, Hd, dhp, Hd, false);
		dnn_free(d);
		dnn_free(dhn);
		dnn_free(dcn);
		dhn = dhp;
		dcn = dcp;
		dnn_free(dh[t]);
		dh[t] = NULL;
		/* step t's gates and outputs are no longer needed */
		dnn_free(lc->gates[t]);
		dnn_free(lc->c[t + 1]);
		dnn_free(lc->h[t + 1]);
		lc->gates[t] = lc->c[t + 1] = lc->h[t + 1] = NULL;
	}
	dnn_free(dhn);
	dnn_free(dcn);
	dnn_free(wxt);
	dnn_free(wht);
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
