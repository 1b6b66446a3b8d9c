// SPDX-License-Identifier: GPL-2.0
/*
 * mobilenet.c - MobileNet-style network (depthwise-separable blocks, as
 * in MobileNet v1) on NHWC images:
 *
 *   stem      conv3x3(3 -> w, stride 2) + batch norm + ReLU
 *   blocks    depthwise conv3x3 (stride 1 or 2) + BN + ReLU, then
 *             pointwise conv1x1 (c -> c') + BN + ReLU; output channels
 *             and strides (channels in multiples of w):
 *               2w/1, 4w/2, 4w/1, 8w/2, 8w/1, 16w/2,
 *               depth x 16w/1, 32w/2, 32w/1
 *             (MobileNet v1 is w = 32, depth 5, on 224x224 images)
 *   head      global average pooling + linear
 *   loss      softmax cross-entropy
 *
 * Mark ids: the stem, one per block, the head, the loss; with
 * --granularity=layer the depthwise and the pointwise half of a block
 * are a layer each.
 */
#include <stdio.h>
#include <stdlib.h>

#include "data.h"
#include "model.h"
#include "ops.h"

struct mblock {
	uint32_t id_dw, id_pw;
	int cin, cout, Hi, Wi, H, W;	/* input and output resolution */
	struct dwconv dw;
	struct pwconv pw;
	struct norm n1, n2;
	/* kept for the backward pass */
	float *a1, *r1, *a2, *out;
	struct norm_cache nc1, nc2;
};

struct mobilenet {
	uint32_t id_stem;
	int S2;			/* the stem's output side */
	struct conv stem;
	struct norm stem_bn;
	float *sa, *sout;	/* stem: conv output, output */
	struct norm_cache snc;
	struct mblock *b;
	int nb;
	struct linear fc;
	struct dataset data;
	float *pooled;
};

static void mblock_fwd(struct mblock *b, const float *x, int N)
{
	size_t Ro = (size_t)N * b->H * b->W;

	b->a1 = dwconv_fwd(&b->dw, x, N, b->Hi, b->Wi);
	b->r1 = bn_fwd(&b->n1, b->a1, (int)Ro, &b->nc1);
	relu_inplace(b->r1, Ro * b->cin);
	dnn_layer_switch(b->id_pw, DIR_FWD);
	b->a2 = pwconv_fwd(&b->pw, b->r1, (int)Ro);
	b->out = bn_fwd(&b->n2, b->a2, (int)Ro, &b->nc2);
	relu_inplace(b->out, Ro * b->cout);
}

/* Takes dout (frees it); begins in layer id_pw, ends in id_dw. */
static float *mblock_bwd(struct mblock *b, const float *x, float *dout, int N)
{
	size_t Ro = (size_t)N * b->H * b->W;
	float *d, *dr1, *dx;

	relu_bwd_inplace(dout, b->out, Ro * b->cout);
	dnn_free(b->out);
	d = bn_bwd(&b->n2, b->a2, dout, (int)Ro, &b->nc2);
	dnn_free(dout);
	dnn_free(b->a2);
	norm_cache_free(&b->nc2);
	dr1 = pwconv_bwd(&b->pw, b->r1, d, (int)Ro, true);
	dnn_free(d);
	dnn_layer_switch(b->id_dw, DIR_BWD);
	relu_bwd_inplace(dr1, b->r1, Ro * b->cin);
	dnn_free(b->r1);
	d = bn_bwd(&b->n1, b->a1, dr1, (int)Ro, &b->nc1);
	dnn_free(dr1);
	dnn_free(b->a1);
	norm_cache_free(&b->nc1);
	dx = dwconv_bwd(&b->dw, x, d, N, b->Hi, b->Wi, true);
	dnn_free(d);
	b->a1 = b->r1 = b->a2 = b->out = NULL;
	return dx;
}

static double mobilenet_step(struct model *m, uint64_t step)
{
	const struct config *c = m->cfg;
	struct mobilenet *p = m->priv;
	int N = c->batch, S = c->image, nb = p->nb, S2 = p->S2;
	uint32_t head = m->nlayers - 2;	/* then the loss, head + 1 */
	struct mblock *last = &p->b[nb - 1];
	int hw = last->H * last->W, C = last->cout;
	size_t Rs = (size_t)N * S2 * S2;
	float *x, *dlogits, *d, *prev;
	int *labels;
	double loss;

	x = dnn_falloc((size_t)N * S * S * 3, DK_ACT, DL_STEP, false);
	labels = dnn_alloc((size_t)N * sizeof(int), DK_OTHER, DL_STEP, false);
	data_batch(&p->data, step, N, x, NULL, labels);

	dnn_layer_begin(p->id_stem, DIR_FWD);
	p->sa = conv_fwd(&p->stem, x, N, S, S);
	p->sout = bn_fwd(&p->stem_bn, p->sa, (int)Rs, &p->snc);
	relu_inplace(p->sout, Rs * p->stem.cout);
	dnn_layer_end(p->id_stem, DIR_FWD);
	prev = p->sout;
	for (int i = 0; i < nb; i++) {
		dnn_layer_begin(p->b[i].id_dw, DIR_FWD);
		mblock_fwd(&p->b[i], prev, N);
		dnn_layer_end(p->b[i].id_pw, DIR_FWD);
		prev = p->b[i].out;
	}
	loss = cls_head_fwd(&p->fc, last->out, labels, N, hw, C, c->classes,
			    head, &p->pooled, &dlogits);
	d = cls_head_bwd(&p->fc, &p->pooled, dlogits, N, hw, C, head);
	for (int i = nb - 1; i >= 0; i--) {
		dnn_layer_begin(p->b[i].id_pw, DIR_BWD);
		d = mblock_bwd(&p->b[i], i ? p->b[i - 1].out : p->sout, d, N);
		dnn_layer_end(p->b[i].id_dw, DIR_BWD);
	}
	dnn_layer_begin(p->id_stem, DIR_BWD);
	relu_bwd_inplace(d, p->sout, Rs * p->stem.cout);
	dnn_free(p->sout);
	{
		float *da = bn_bwd(&p->stem_bn, p->sa, d, (int)Rs, &p->snc);

		dnn_free(d);
		dnn_free(p->sa);
		norm_cache_free(&p->snc);
		conv_bwd(&p->stem, x, da, N, S, S, false);
		dnn_free(da);
	}
	p->sa = p->sout = NULL;
	dnn_layer_end(p->id_stem, DIR_BWD);
	dnn_free(x);
	dnn_free(labels);
	return loss;
}

static void mobilenet_destroy(struct model *m)
{
	struct mobilenet *p = m->priv;

	data_fini(&p->data);
	free(p->b);
	model_free_base(m);
}

struct model *mobilenet_create(const struct config *c)
{
	/* output channels (in multiples of w) and stride of each block */
	static const int head_mult[][2] = {
		{ 2, 1 }, { 4, 2 }, { 4, 1 }, { 8, 2 }, { 8, 1 }, { 16, 2 },
	};
	static const int tail_mult[][2] = { { 32, 2 }, { 32, 1 } };
	struct model *m = model_alloc(c, MODEL_MOBILENET,
				      sizeof(struct mobilenet));
	struct mobilenet *p = m->priv;
	int nh = (int)(sizeof(head_mult) / sizeof(head_mult[0]));
	int nt = (int)(sizeof(tail_mult) / sizeof(tail_mult[0]));
	int nb = nh + c->depth + nt, w = c->width, cin = w, H;
	uint32_t id = 0;
	struct rng r;
	char name[24];

	rng_seed(&r, c->seed, 5);
	p->b = calloc((size_t)nb, sizeof(*p->b));
	if (!p->b)
		abort();
	p->nb = nb;
	p->id_stem = id++;
	conv_init(&p->stem, &m->ps, p->id_stem, "stem.conv", 3, w, &r);
	p->stem.stride = 2;
	H = p->S2 = conv_out(&p->stem, c->image);
	norm_init(&p->stem_bn, &m->ps, p->id_stem, "stem.bn", w, &r);
	for (int i = 0; i < nb; i++) {
		struct mblock *b = &p->b[i];
		const int *mc = i < nh ? head_mult[i] :
				i < nh + c->depth ? (const int[2]){ 16, 1 } :
				tail_mult[i - nh - c->depth];

		b->id_dw = id++;
		b->id_pw = c->fine ? id++ : b->id_dw;
		b->cin = cin;
		b->cout = mc[0] * w;
		b->Hi = b->Wi = H;
		snprintf(name, sizeof(name), "b%d.dw", i);
		dwconv_init(&b->dw, &m->ps, b->id_dw, name, cin, mc[1], &r);
		H = dwconv_out(&b->dw, H);
		b->H = b->W = H;
		snprintf(name, sizeof(name), "b%d.bn1", i);
		norm_init(&b->n1, &m->ps, b->id_dw, name, cin, &r);
		snprintf(name, sizeof(name), "b%d.pw", i);
		pwconv_init(&b->pw, &m->ps, b->id_pw, name, cin, b->cout, &r);
		snprintf(name, sizeof(name), "b%d.bn2", i);
		norm_init(&b->n2, &m->ps, b->id_pw, name, b->cout, &r);
		cin = b->cout;
	}
	linear_init(&p->fc, &m->ps, id, "head", cin, c->classes, &r);
	/* a small output layer: the first loss is close to log(classes) */
	param_scale(p->fc.w, 0.1f);
	data_init(&p->data, TASK_IMAGES, c->seed, 0, c->classes, c->image, 0, 0);
	m->nlayers = id + 2;
	m->step = mobilenet_step;
	m->destroy = mobilenet_destroy;
	return m;
}
