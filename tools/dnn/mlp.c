// SPDX-License-Identifier: GPL-2.0
/*
 * mlp.c - multi-layer perceptron: depth x (linear + ReLU), a linear
 * head and softmax cross-entropy.
 *
 * Mark ids: 0 .. depth-1 hidden layers, depth the head, depth+1 the loss.
 */
#include <stdio.h>
#include <stdlib.h>

#include "data.h"
#include "model.h"

struct mlp {
	struct linear *hid;
	struct linear head;
	struct dataset data;
};

static double mlp_step(struct model *m, uint64_t step)
{
	const struct config *c = m->cfg;
	struct mlp *p = m->priv;
	int B = c->batch, L = c->depth;
	float **h = calloc((size_t)L + 1, sizeof(*h));
	float *logits, *dlogits, *dh;
	int *labels;
	double loss;

	if (!h)
		abort();
	h[0] = dnn_falloc((size_t)B * c->in_dim, DK_ACT, DL_STEP, false);
	labels = dnn_alloc((size_t)B * sizeof(int), DK_OTHER, DL_STEP, false);
	data_batch(&p->data, step, B, h[0], NULL, labels);

	for (int l = 0; l < L; l++) {
		dnn_layer_begin((uint32_t)l, DIR_FWD);
		h[l + 1] = linear_fwd(&p->hid[l], h[l], B);
		relu_inplace(h[l + 1], (size_t)B * c->width);
		dnn_layer_end((uint32_t)l, DIR_FWD);
	}
	dnn_layer_begin((uint32_t)L, DIR_FWD);
	logits = linear_fwd(&p->head, h[L], B);
	dnn_layer_end((uint32_t)L, DIR_FWD);

	dnn_layer_begin((uint32_t)L + 1, DIR_FWD);
	loss = softmax_ce(logits, labels, B, c->classes, &dlogits);
	dnn_free(logits);
	dnn_layer_end((uint32_t)L + 1, DIR_FWD);

	dnn_layer_begin((uint32_t)L, DIR_BWD);
	dh = linear_bwd(&p->head, h[L], dlogits, B, true);
	dnn_free(dlogits);
	dnn_layer_end((uint32_t)L, DIR_BWD);
	for (int l = L - 1; l >= 0; l--) {
		float *dx;

		dnn_layer_begin((uint32_t)l, DIR_BWD);
		relu_bwd_inplace(dh, h[l + 1], (size_t)B * c->width);
		dx = linear_bwd(&p->hid[l], h[l], dh, B, l > 0);
		dnn_free(dh);
		dnn_free(h[l + 1]);
		dh = dx;
		dnn_layer_end((uint32_t)l, DIR_BWD);
	}
	dnn_free(h[0]);
	dnn_free(labels);
	free(h);
	return loss;
}

static void mlp_destroy(struct model *m)
{
	struct mlp *p = m->priv;

	data_fini(&p->data);
	free(p->hid);
	model_free_base(m);
}

struct model *mlp_create(const struct config *c)
{
	struct model *m = model_alloc(c, MODEL_MLP, sizeof(struct mlp));
	struct mlp *p = m->priv;
	struct rng r;
	char name[24];

	rng_seed(&r, c->seed, 1);
	p->hid = calloc((size_t)c->depth, sizeof(*p->hid));
	if (!p->hid)
		abort();
	for (int l = 0; l < c->depth; l++) {
		snprintf(name, sizeof(name), "fc%d", l);
		linear_init(&p->hid[l], &m->ps, (uint32_t)l, name,
			    l ? c->width : c->in_dim, c->width, &r);
		/* He initialisation for the ReLU layers */
		for (size_t i = 0; i < p->hid[l].w->n; i++)
			p->hid[l].w->w[i] *= 1.41421356f;
	}
	linear_init(&p->head, &m->ps, (uint32_t)c->depth, "head", c->width,
		    c->classes, &r);
	/* a small output layer: the first loss is close to log(classes) */
	param_scale(p->head.w, 0.1f);
	data_init(&p->data, TASK_VECTORS, c->seed, c->in_dim, c->classes, 0, 0, 0);
	m->nlayers = (uint32_t)c->depth + 2;
	m->step = mlp_step;
	m->destroy = mlp_destroy;
	return m;
}
