/* SPDX-License-Identifier: GPL-2.0 */
/*
 * layers.h - layers of the training engine, each with a forward and a
 * backward function.
 *
 * Conventions:
 *   - tensors are float arrays; images are NHWC, sequences [T][B][D] or
 *     [B][T][D] as documented per layer;
 *   - a forward function allocates its output (an activation kept for
 *     the backward pass, DK_ACT, DL_STEP) and whatever else it keeps for
 *     the backward pass in its cache;
 *   - a backward function adds the parameters' gradients into their
 *     gradient buffers (param_grad() allocates them, zeroed, on first
 *     use) and returns the input's gradient (DK_GRAD, DL_STEP), or NULL
 *     when not asked for; it frees nothing of the caller's;
 *   - temporaries are short-lived workspaces (DK_WS, DL_SHORT) freed
 *     before the function returns.
 */
#ifndef DNN_LAYERS_H
#define DNN_LAYERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rng.h"

/* A trainable tensor with its gradient and optimizer state. */
struct param {
	float *w;	/* DK_WEIGHT, persistent */
	float *g;	/* DK_GRAD, step-lived: NULL outside backward..update */
	float *m;	/* DK_OPT, persistent (momentum / Adam first moment) */
	float *v;	/* DK_OPT, persistent (Adam second moment) or NULL */
	size_t n;
	uint32_t layer;	/* mark id of the layer that owns it */
	bool decay;	/* weight decay applies */
	char name[24];
};

struct params {
	struct param **p;
	int n, cap;
};

enum param_init {
	INIT_ZERO,
	INIT_ONE,
	INIT_NORMAL,	/* normal * scale */
};

/* Create a parameter (weights allocated and initialised) in ps. */
struct param *param_new(struct params *ps, size_t n, uint32_t layer,
			const char *name, enum param_init init, float scale,
			struct rng *r);
/* Multiply the weights by s (for example a small output layer). */
void param_scale(struct param *p, float s);
/* The gradient buffer, allocated zeroed on first use in a step. */
float *param_grad(struct param *p);
void params_free(struct params *ps);
size_t params_count(const struct params *ps);

/* ---- linear: y [N x out] = x [N x in] . W [in x out] + b ---- */
struct linear {
	int in, out;
	struct param *w, *b;
};
void linear_init(struct linear *l, struct params *ps, uint32_t layer,
		 const char *name, int in, int out, struct rng *r);
float *linear_fwd(const struct linear *l, const float *x, int N);
/* Same, into y (N x out with leading dimension ldy). */
void linear_fwd_into(const struct linear *l, const float *x, int N, float *y,
		     int ldy);
float *linear_bwd(const struct linear *l, const float *x, const float *dy,
		  int N, bool need_dx);

/* ---- element-wise ---- */
void relu_inplace(float *x, size_t n);
/* dy[i] = 0 where y[i] <= 0 (y: the ReLU output). */
void relu_bwd_inplace(float *dy, const float *y, size_t n);
float *gelu_fwd(const float *x, size_t n);
/* dy[i] *= gelu'(x[i]) */
void gelu_bwd_inplace(float *dy, const float *x, size_t n);

/* ---- conv 3x3, padding 1, stride 1 (or 2), NHWC, no bias ---- */
struct conv {
	int cin, cout;
	int stride;		/* 1 from conv_init; may be set to 2 */
	struct param *w;	/* (9 * cin) x cout */
};
void conv_init(struct conv *c, struct params *ps, uint32_t layer,
	       const char *name, int cin, int cout, struct rng *r);
/* Output side of an input side n: (n - 1) / stride + 1. */
int conv_out(const struct conv *c, int n);
/* x [N][H][W][cin] (the input's size) -> y [N][Ho][Wo][cout] */
float *conv_fwd(const struct conv *c, const float *x, int N, int H, int W);
float *conv_bwd(const struct conv *c, const float *x, const float *dy, int N,
		int H, int W, bool need_dx);

/* ---- depthwise conv 3x3, padding 1, stride 1 or 2, NHWC, no bias ---- */
struct dwconv {
	int c, stride;
	struct param *w;	/* 9 x c */
};
void dwconv_init(struct dwconv *d, struct params *ps, uint32_t layer,
		 const char *name, int c, int stride, struct rng *r);
/* Output side of an input side n: (n - 1) / stride + 1. */
int dwconv_out(const struct dwconv *d, int n);
float *dwconv_fwd(const struct dwconv *d, const float *x, int N, int H, int W);
float *dwconv_bwd(const struct dwconv *d, const float *x, const float *dy,
		  int N, int H, int W, bool need_dx);

/* ---- pointwise (1x1) conv, NHWC, no bias: y [R x cout] = x . W ---- */
struct pwconv {
	int cin, cout;
	struct param *w;	/* cin x cout */
};
void pwconv_init(struct pwconv *p, struct params *ps, uint32_t layer,
		 const char *name, int cin, int cout, struct rng *r);
/* R: pixels (N * H * W) */
float *pwconv_fwd(const struct pwconv *p, const float *x, int R);
float *pwconv_bwd(const struct pwconv *p, const float *x, const float *dy,
		  int R, bool need_dx);

/* ---- normalisation ---- */
struct norm {
	int c;
	struct param *gamma, *beta;
};
struct norm_cache {
	float *mean, *invstd;	/* per channel (batch norm) or per row (layer norm) */
};
void norm_init(struct norm *n, struct params *ps, uint32_t layer,
	       const char *name, int c, struct rng *r);
void norm_cache_free(struct norm_cache *nc);
/* Batch norm (training statistics) over the R rows of x [R x c]. */
float *bn_fwd(const struct norm *n, const float *x, int R,
	      struct norm_cache *nc);
float *bn_bwd(const struct norm *n, const float *x, const float *dy, int R,
	      const struct norm_cache *nc);
/* Layer norm over each row of x [R x c]. */
float *ln_fwd(const struct norm *n, const float *x, int R,
	      struct norm_cache *nc);
float *ln_bwd(const struct norm *n, const float *x, const float *dy, int R,
	      const struct norm_cache *nc);

/* ---- pooling (NHWC) ---- */
/* 2x2 average pooling, H and W even. */
float *avgpool2_fwd(const float *x, int N, int H, int W, int C);
float *avgpool2_bwd(const float *dy, int N, int H, int W, int C);
/* Global average pooling to [N x C]. */
float *gap_fwd(const float *x, int N, int HW, int C);
float *gap_bwd(const float *dy, int N, int HW, int C);

/* ---- embedding: y [B*T x D] = table[tok] + pos[t], tok [B][T] ---- */
struct embed {
	int vocab, d, maxlen;
	struct param *table, *pos;
};
void embed_init(struct embed *e, struct params *ps, uint32_t layer,
		int vocab, int d, int maxlen, struct rng *r);
float *embed_fwd(const struct embed *e, const int *tok, int B, int T);
void embed_bwd(const struct embed *e, const int *tok, const float *dy, int B,
	       int T);

/* ---- multi-head self-attention over x [B*T x D] (rows b*T + t) ---- */
struct attn {
	int d, heads;
	struct linear qkv, proj;
};
struct attn_cache {
	float *qkv;	/* [B*T x 3D] */
	float *p;	/* [B][H][T][T] softmax probabilities */
	float *ctx;	/* [B*T x D] concatenated head outputs */
};
void attn_init(struct attn *a, struct params *ps, uint32_t layer, int d,
	       int heads, struct rng *r);
float *attn_fwd(const struct attn *a, const float *x, int B, int T,
		struct attn_cache *ac);
float *attn_bwd(const struct attn *a, const float *x, const float *dy, int B,
		int T, const struct attn_cache *ac);
/*
 * attn_fwd is qkv = linear_fwd(&a->qkv, x); attn_core_fwd; y =
 * linear_fwd(&a->proj, ac->ctx).  attn_bwd is dctx = linear_bwd(&a->proj,
 * ...); dqkv = attn_core_bwd; dx = linear_bwd(&a->qkv, ...).  The parts
 * let a model mark them as layers of their own.
 */
/* Scores, softmax and context of every (sample, head) from ac->qkv. */
void attn_core_fwd(const struct attn *a, int B, int T, struct attn_cache *ac);
/* The gradient of ac->qkv [B*T x 3D] from that of the context. */
float *attn_core_bwd(const struct attn *a, const float *dctx, int B, int T,
		     const struct attn_cache *ac);
void attn_cache_free(struct attn_cache *ac);

/*
 * ---- LSTM layer unrolled over T steps ----
 * Every time step has tensors of its own, as in an unrolled graph: the
 * inputs x[t] [B][in], the gates, cell and hidden states of step t.
 */
struct lstm {
	int in, hid;
	/*
	 * step_marks: lstm_fwd and lstm_bwd switch layers themselves
	 * (dnn_layer_switch), to id + t for time step t.
	 */
	bool step_marks;
	uint32_t id;
	struct param *wx;	/* in x 4hid, gate order i f g o */
	struct param *wh;	/* hid x 4hid */
	struct param *b;	/* 4hid */
};
struct lstm_cache {
	int T;
	float **gates;	/* [T]: [B][4hid] after the nonlinearities */
	float **c;	/* [T+1]: [B][hid], c[0] = 0 */
	float **h;	/* [T+1]: [B][hid], h[0] = 0; the outputs are h[1..T] */
};
void lstm_init(struct lstm *l, struct params *ps, uint32_t layer,
	       const char *name, int in, int hid, struct rng *r);
/* Returns the outputs h[1..T] (lc->h + 1). */
float *const *lstm_fwd(const struct lstm *l, const float *const *x, int T,
		       int B, struct lstm_cache *lc);
/*
 * dh[t] [B][hid]: gradient of the loss with respect to output t, or NULL
 * for zero.  Backpropagation through time, one step after the other from
 * the last; each step adds its share of the weight gradients.  Takes the
 * dh[t] (frees each after its step) and frees the step's gates and
 * states once no earlier step needs them.  Returns dx (an array of T
 * tensors [B][in], to be freed with free() after its tensors) when
 * need_dx, else NULL.
 */
float **lstm_bwd(const struct lstm *l, const float *const *x, float **dh,
		 int T, int B, struct lstm_cache *lc, bool need_dx);
void lstm_cache_free(struct lstm_cache *lc);

/* ---- softmax cross-entropy over logits [N x C] ---- */
/*
 * Mean loss over the N rows; *dlogits (DK_GRAD, DL_STEP) receives the
 * gradient of the mean loss.
 */
double softmax_ce(const float *logits, const int *labels, int N, int C,
		  float **dlogits);

#endif /* DNN_LAYERS_H */
