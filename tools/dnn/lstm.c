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
 * loss.  With --granularity=layer every time step is a layer of its own:
 * step t of LSTM layer l has id l * seq + t (its parameters belong to
 * step 0); then the head and the loss.
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
	int B = c->batch, T = c->seq, L = c->depth;
	uint32_t head = m->nlayers - 2;
	float **x = calloc((size_t)T, sizeof(*x)), **dh;
	float *const *in;
	const float *last;
	float *logits, *dlogits;
	int *labels;
	double loss;

	if (!x)
		abort();
	for (int t = 0; t < T; t++)
		x[t] = dnn_falloc((size_t)B * c->in_dim, DK_ACT, DL_STEP, false);
	labels = dnn_alloc((size_t)B * sizeof(int), DK_OTHER, DL_STEP, false);
	data_batch_steps(&p->data, step, B, x, labels);

	in = x;
	for (int l = 0; l < L; l++) {
		struct lstm *ly = &p->layer[l];

		dnn_layer_begin(ly->id, DIR_FWD);
		in = lstm_fwd(ly, (const float *const *)in, T, B, &p->cache[l]);
		dnn_layer_end(ly->step_marks ? ly->id + (uint32_t)T - 1 : ly->id,
			      DIR_FWD);
	}
	last = in[T - 1];
	dnn_layer_begin(head, DIR_FWD);
	logits = linear_fwd(&p->head, last, B);
	dnn_layer_end(head, DIR_FWD);

	dnn_layer_begin(head + 1, DIR_FWD);
	loss = softmax_ce(logits, labels, B, c->classes, &dlogits);
	dnn_free(logits);
	dnn_layer_end(head + 1, DIR_FWD);

	dnn_layer_begin(head, DIR_BWD);
	/* only the last step's output feeds the head */
	dh = calloc((size_t)T, sizeof(*dh));
	if (!dh)
		abort();
	dh[T - 1] = linear_bwd(&p->head, last, dlogits, B, true);
	dnn_free(dlogits);
	dnn_layer_end(head, DIR_BWD);
	for (int l = L - 1; l >= 0; l--) {
		const float *const *lx = l ? (const float *const *)p->cache[l - 1].h + 1 :
				     (const float *const *)x;
		struct lstm *ly = &p->layer[l];
		float **dx;

		dnn_layer_begin(ly->step_marks ? ly->id + (uint32_t)T - 1 : ly->id,
				DIR_BWD);
		dx = lstm_bwd(ly, lx, dh, T, B, &p->cache[l], l > 0);
		free(dh);
		dh = dx;
		lstm_cache_free(&p->cache[l]);
		dnn_layer_end(ly->id, DIR_BWD);
	}
	for (int t = 0; t < T; t++)
		dnn_free(x[t]);
	free(x);
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
	uint32_t per;

	rng_seed(&r, c->seed, 4);
	p->layer = calloc((size_t)c->depth, sizeof(*p->layer));
	p->cache = calloc((size_t)c->depth, sizeof(*p->cache));
	if (!p->layer || !p->cache)
		abort();
	per = c->fine ? (uint32_t)c->seq : 1;
	for (int l = 0; l < c->depth; l++) {
		struct lstm *ly = &p->layer[l];

		snprintf(name, sizeof(name), "lstm%d", l);
		lstm_init(ly, &m->ps, (uint32_t)l * per, name,
			  l ? c->width : c->in_dim, c->width, &r);
		ly->step_marks = c->fine;
	}
	linear_init(&p->head, &m->ps, (uint32_t)c->depth * per, "head",
		    c->width, c->classes, &r);
	/* a small output layer: the first loss is close to log(classes) */
	param_scale(p->head.w, 0.1f);
	data_init(&p->data, TASK_SEQUENCE, c->seed, c->in_dim, c->classes, 0,
		  c->seq, 0);
	m->nlayers = (uint32_t)c->depth * per + 2;
	m->step = lstm_step;
	m->destroy = lstm_destroy;
	return m;
}
