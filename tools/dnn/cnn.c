// SPDX-License-Identifier: GPL-2.0
/*
 * cnn.c - ResNet-style convolutional network on NHWC images:
 *
 *   stem      conv3x3(3 -> w) + batch norm + ReLU
 *   stage s   (s > 0: 2x2 average pooling, conv3x3(w_{s-1} -> w_s) + BN +
 *             ReLU), then depth residual blocks
 *             x + BN(conv(ReLU(BN(conv(x))))) followed by ReLU
 *   head      global average pooling + linear
 *   loss      softmax cross-entropy
 *
 * Three stages with widths w, 2w, 4w.  Each unit (stem, transition,
 * block), the head and the loss is one mark id, in this order; with
 * --granularity=layer each convolution with its batch norm and ReLU is
 * one (a block has two: conv1 + BN + ReLU, then conv2 + BN + the
 * residual add + ReLU).
 */
#include <stdio.h>
#include <stdlib.h>

#include "data.h"
#include "model.h"
#include "ops.h"

#define STAGES 3

enum unit_kind { U_STEM, U_TRANS, U_BLOCK };

struct unit {
	enum unit_kind kind;
	uint32_t id, id2;	/* id2: conv2's layer (== id for block granularity) */
	int cin, cout, H, W;	/* H, W: output (and conv) resolution */
	struct conv c1, c2;
	struct norm n1, n2;
	/* kept for the backward pass */
	float *pin, *a1, *r1, *a2, *out;
	struct norm_cache nc1, nc2;
};

struct cnn {
	struct unit *u;
	int nunits;
	struct linear fc;
	struct dataset data;
	float *pooled;	/* head's kept input */
};

static float *unit_fwd(struct unit *u, const float *x, int N)
{
	size_t R = (size_t)N * u->H * u->W;
	const float *in = x;

	if (u->kind == U_TRANS) {
		u->pin = avgpool2_fwd(x, N, 2 * u->H, 2 * u->W, u->cin);
		in = u->pin;
	}
	u->a1 = conv_fwd(&u->c1, in, N, u->H, u->W);
	u->r1 = bn_fwd(&u->n1, u->a1, (int)R, &u->nc1);
	relu_inplace(u->r1, R * u->cout);
	if (u->kind != U_BLOCK) {
		u->out = u->r1;
		return u->out;
	}
	dnn_layer_switch(u->id2, DIR_FWD);
	u->a2 = conv_fwd(&u->c2, u->r1, N, u->H, u->W);
	u->out = bn_fwd(&u->n2, u->a2, (int)R, &u->nc2);
	vec_add(u->out, x, R * u->cout);
	relu_inplace(u->out, R * u->cout);
	return u->out;
}

/*
 * Takes dout (frees it); returns dx, or NULL for the stem.  Begins in
 * layer id2 (backward) and ends in layer id.
 */
static float *unit_bwd(struct unit *u, const float *x, float *dout, int N)
{
	size_t R = (size_t)N * u->H * u->W;
	float *d, *dr1, *dx;

	relu_bwd_inplace(dout, u->out, R * u->cout);
	if (u->out != u->r1)
		dnn_free(u->out);
	if (u->kind == U_BLOCK) {
		float *da2 = bn_bwd(&u->n2, u->a2, dout, (int)R, &u->nc2);

		dnn_free(u->a2);
		norm_cache_free(&u->nc2);
		dr1 = conv_bwd(&u->c2, u->r1, da2, N, u->H, u->W, true);
		dnn_free(da2);
		dnn_layer_switch(u->id, DIR_BWD);
		relu_bwd_inplace(dr1, u->r1, R * u->cout);
	} else {
		dr1 = dout;
	}
	d = bn_bwd(&u->n1, u->a1, dr1, (int)R, &u->nc1);
	if (dr1 != dout)
		dnn_free(dr1);
	dx = conv_bwd(&u->c1, u->kind == U_TRANS ? u->pin : x, d, N, u->H,
		      u->W, u->kind != U_STEM);
	dnn_free(d);
	if (u->kind == U_BLOCK)
		vec_add(dx, dout, R * u->cout);
	if (u->kind == U_TRANS) {
		float *dp = avgpool2_bwd(dx, N, 2 * u->H, 2 * u->W, u->cin);

		dnn_free(dx);
		dx = dp;
	}
	dnn_free(dout);
	dnn_free(u->pin);
	dnn_free(u->a1);
	dnn_free(u->r1);
	norm_cache_free(&u->nc1);
	u->pin = u->a1 = u->r1 = u->a2 = u->out = NULL;
	return dx;
}

static double cnn_step(struct model *m, uint64_t step)
{
	const struct config *c = m->cfg;
	struct cnn *p = m->priv;
	int N = c->batch, S = c->image, nu = p->nunits;
	uint32_t head = m->nlayers - 2;	/* then the loss, head + 1 */
	struct unit *last = &p->u[nu - 1];
	int hw = last->H * last->W, C = last->cout;
	float *x, *dlogits, *d;
	int *labels;
	double loss;

	x = dnn_falloc((size_t)N * S * S * 3, DK_ACT, DL_STEP, false);
	labels = dnn_alloc((size_t)N * sizeof(int), DK_OTHER, DL_STEP, false);
	data_batch(&p->data, step, N, x, NULL, labels);

	for (int i = 0; i < nu; i++) {
		dnn_layer_begin(p->u[i].id, DIR_FWD);
		unit_fwd(&p->u[i], i ? p->u[i - 1].out : x, N);
		dnn_layer_end(p->u[i].id2, DIR_FWD);
	}
	loss = cls_head_fwd(&p->fc, last->out, labels, N, hw, C, c->classes,
			    head, &p->pooled, &dlogits);
	d = cls_head_bwd(&p->fc, &p->pooled, dlogits, N, hw, C, head);
	for (int i = nu - 1; i >= 0; i--) {
		dnn_layer_begin(p->u[i].id2, DIR_BWD);
		d = unit_bwd(&p->u[i], i ? p->u[i - 1].out : x, d, N);
		dnn_layer_end(p->u[i].id, DIR_BWD);
	}
	dnn_free(x);
	dnn_free(labels);
	return loss;
}

static void cnn_destroy(struct model *m)
{
	struct cnn *p = m->priv;

	data_fini(&p->data);
	free(p->u);
	model_free_base(m);
}

struct model *cnn_create(const struct config *c)
{
	struct model *m = model_alloc(c, MODEL_CNN, sizeof(struct cnn));
	struct cnn *p = m->priv;
	int n = 1 + (STAGES - 1) + STAGES * c->depth, k = 0;
	uint32_t id = 0;
	int H = c->image, w = c->width, cin = 3;
	struct rng r;
	char name[24];

	rng_seed(&r, c->seed, 2);
	p->u = calloc((size_t)n, sizeof(*p->u));
	if (!p->u)
		abort();
	for (int s = 0; s < STAGES; s++) {
		int units = c->depth + 1;

		for (int j = 0; j < units; j++) {
			struct unit *u = &p->u[k];

			if (j == 0 && s > 0) {
				u->kind = U_TRANS;
				H /= 2;
				w *= 2;
			} else if (j == 0) {
				u->kind = U_STEM;
			} else {
				u->kind = U_BLOCK;
			}
			u->id = id++;
			u->id2 = u->kind == U_BLOCK && c->fine ? id++ : u->id;
			u->cin = j == 0 ? cin : w;
			u->cout = w;
			u->H = u->W = H;
			snprintf(name, sizeof(name), "u%d.conv1", k);
			conv_init(&u->c1, &m->ps, u->id, name, u->cin, w, &r);
			snprintf(name, sizeof(name), "u%d.bn1", k);
			norm_init(&u->n1, &m->ps, u->id, name, w, &r);
			if (u->kind == U_BLOCK) {
				snprintf(name, sizeof(name), "u%d.conv2", k);
				conv_init(&u->c2, &m->ps, u->id2, name, w, w, &r);
				snprintf(name, sizeof(name), "u%d.bn2", k);
				norm_init(&u->n2, &m->ps, u->id2, name, w, &r);
			}
			cin = w;
			k++;
		}
	}
	p->nunits = k;
	linear_init(&p->fc, &m->ps, id, "head", w, c->classes, &r);
	/* a small output layer: the first loss is close to log(classes) */
	param_scale(p->fc.w, 0.1f);
	data_init(&p->data, TASK_IMAGES, c->seed, 0, c->classes, c->image, 0, 0);
	m->nlayers = id + 2;
	m->step = cnn_step;
	m->destroy = cnn_destroy;
	return m;
}
