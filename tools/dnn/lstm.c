// SPDX-License-Identifier: GPL-2.0
/*
 * lstm.c - stacked LSTM classifier over sequences [T][B][in], unrolled
 * over T steps and trained with backpropagation through time:
 *
 *   depth x   LSTM layer (hidden width)
 *   head      linear on the last step's hidden state
 *   loss      softmax cross-entropy
 *
 * Mark ids: 0 .. depth-1 the LSTM layers, depth the head, depth+1 the
 * loss.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data.h"
#include "model.h"

struct lstm_model {
	struct lstm *layer;
	struct lstm_cache *cache;
	struct linear head;
	struct dataset data;
};

static double lstm_step(struct model *m, uint64_t step)
{
	const struct config *c = m->cfg;
	struct lstm_model *p = m->priv;
	int B = c->batch, T = c->seq, H = c->width, L = c->depth;
	size_t bh = (size_t)B * H;
	float *x, *in, *last, *logits, *dlogits, *dlast, *dh;
	int *labels;
	double loss;

	x = dnn_falloc((size_t)T * B * c->in_dim, DK_ACT, DL_STEP, false);
	labels = dnn_alloc((size_t)B * sizeof(int), DK_OTHER, DL_STEP, false);
	data_batch(&p->data, step, B, x, NULL, labels);

	in = x;
	for (int l = 0; l < L; l++) {
		dnn_layer_begin((uint32_t)l, DIR_FWD);
		in = lstm_fwd(&p->layer[l], in, T, B, &p->cache[l]);
		dnn_layer_end((uint32_t)l, DIR_FWD);
	}
	last = in + (size_t)(T - 1) * bh;
	dnn_layer_begin((uint32_t)L, DIR_FWD);
	logits = linear_fwd(&p->head, last, B);
	dnn_layer_end((uint32_t)L, DIR_FWD);

	dnn_layer_begin((uint32_t)L + 1, DIR_FWD);
	loss = softmax_ce(logits, labels, B, c->classes, &dlogits);
	dnn_free(logits);
	dnn_layer_end((uint32_t)L + 1, DIR_FWD);

	dnn_layer_begin((uint32_t)L, DIR_BWD);
	dlast = linear_bwd(&p->head, last, dlogits, B, true);
	dnn_free(dlogits);
	/* only the last step's output feeds the head */
	dh = dnn_falloc((size_t)T * bh, DK_GRAD, DL_STEP, true);
	memcpy(dh + (size_t)(T - 1) * bh, dlast, bh * sizeof(float));
	dnn_free(dlast);
	dnn_layer_end((uint32_t)L, DIR_BWD);
	for (int l = L - 1; l >= 0; l--) {
		const float *lx = l ? p->cache[l - 1].h + bh : x;
		float *dx;

		dnn_layer_begin((uint32_t)l, DIR_BWD);
		dx = lstm_bwd(&p->layer[l], lx, dh, T, B, &p->cache[l], l > 0);
		dnn_free(dh);
		lstm_cache_free(&p->cache[l]);
		dh = dx;
		dnn_layer_end((uint32_t)l, DIR_BWD);
	}
	dnn_free(x);
	dnn_free(labels);
	return loss;
}

static void lstm_destroy(struct model *m)
{
	struct lstm_model *p = m->priv;

	data_fini(&p->data);
	free(p->layer);
	free(p->cache);
	model_free_base(m);
}

struct model *lstm_create(const struct config *c)
{
	struct model *m = model_alloc(c, MODEL_LSTM, sizeof(struct lstm_model));
	struct lstm_model *p = m->priv;
	struct rng r;
	char name[24];

	rng_seed(&r, c->seed, 4);
	p->layer = calloc((size_t)c->depth, sizeof(*p->layer));
	p->cache = calloc((size_t)c->depth, sizeof(*p->cache));
	if (!p->layer || !p->cache)
		abort();
	for (int l = 0; l < c->depth; l++) {
		snprintf(name, sizeof(name), "lstm%d", l);
		lstm_init(&p->layer[l], &m->ps, (uint32_t)l, name,
			  l ? c->width : c->in_dim, c->width, &r);
	}
	linear_init(&p->head, &m->ps, (uint32_t)c->depth, "head", c->width,
		    c->classes, &r);
	/* a small output layer: the first loss is close to log(classes) */
	param_scale(p->head.w, 0.1f);
	data_init(&p->data, TASK_SEQUENCE, c->seed, c->in_dim, c->classes, 0,
		  c->seq, 0);
	m->nlayers = (uint32_t)c->depth + 2;
	m->step = lstm_step;
	m->destroy = lstm_destroy;
	return m;
}
