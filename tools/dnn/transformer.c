// SPDX-License-Identifier: GPL-2.0
/*
 * transformer.c - pre-norm transformer encoder over token sequences:
 *
 *   embedding   token table + learned positions
 *   depth x     x + Attention(LayerNorm(x)); x + MLP(LayerNorm(x))
 *               (MLP: linear d -> 4d, GELU, linear 4d -> d)
 *   head        LayerNorm + linear d -> vocabulary, per token
 *   loss        softmax cross-entropy over all tokens
 *
 * Mark ids: 0 embedding, 1 + 2i attention of block i, 2 + 2i MLP of
 * block i, then the head and the loss.  With --granularity=layer, block
 * i has five: 1 + 5i layer norm and QKV projection, 2 + 5i attention
 * (scores, softmax, context), 3 + 5i output projection and residual,
 * 4 + 5i layer norm, MLP up-projection and GELU, 5 + 5i MLP
 * down-projection and residual.
 */
#include <stdio.h>
#include <stdlib.h>

#include "data.h"
#include "model.h"
#include "ops.h"

enum { L_QKV, L_CORE, L_PROJ, L_UP, L_DOWN, L_PARTS };

struct tblock {
	uint32_t id[L_PARTS];	/* mark id of each part */
	struct norm ln1, ln2;
	struct attn at;
	struct linear fc1, fc2;
	/* kept for the backward pass */
	float *x1, *y1;		/* ln1 output, attention sublayer output */
	float *x2, *h, *g, *y2;	/* ln2 output, fc1 output, GELU output, block output */
	struct norm_cache nc1, nc2;
	struct attn_cache ac;
};

struct transformer {
	struct embed emb;
	struct tblock *blk;
	struct norm lnf;
	struct linear head;
	struct dataset data;
	float *e, *xf;
	struct norm_cache ncf;
};

static double tr_step(struct model *m, uint64_t step)
{
	const struct config *c = m->cfg;
	struct transformer *p = m->priv;
	int B = c->batch, T = c->seq, D = c->width, L = c->depth;
	size_t R = (size_t)B * T, n = R * D;
	uint32_t head = m->nlayers - 2, lossid = head + 1;
	int *tok, *labels;
	float *x, *logits, *dlogits, *d;
	double loss;

	tok = dnn_alloc(R * sizeof(int), DK_OTHER, DL_STEP, false);
	labels = dnn_alloc(R * sizeof(int), DK_OTHER, DL_STEP, false);
	data_batch(&p->data, step, B, NULL, tok, labels);

	dnn_layer_begin(0, DIR_FWD);
	p->e = embed_fwd(&p->emb, tok, B, T);
	dnn_layer_end(0, DIR_FWD);
	x = p->e;
	for (int i = 0; i < L; i++) {
		struct tblock *b = &p->blk[i];

		dnn_layer_begin(b->id[L_QKV], DIR_FWD);
		b->x1 = ln_fwd(&b->ln1, x, (int)R, &b->nc1);
		b->ac.qkv = linear_fwd(&b->at.qkv, b->x1, (int)R);
		dnn_layer_switch(b->id[L_CORE], DIR_FWD);
		attn_core_fwd(&b->at, B, T, &b->ac);
		dnn_layer_switch(b->id[L_PROJ], DIR_FWD);
		b->y1 = linear_fwd(&b->at.proj, b->ac.ctx, (int)R);
		vec_add(b->y1, x, n);

		dnn_layer_switch(b->id[L_UP], DIR_FWD);
		b->x2 = ln_fwd(&b->ln2, b->y1, (int)R, &b->nc2);
		b->h = linear_fwd(&b->fc1, b->x2, (int)R);
		b->g = gelu_fwd(b->h, R * 4 * D);
		dnn_layer_switch(b->id[L_DOWN], DIR_FWD);
		b->y2 = linear_fwd(&b->fc2, b->g, (int)R);
		vec_add(b->y2, b->y1, n);
		dnn_layer_end(b->id[L_DOWN], DIR_FWD);
		x = b->y2;
	}
	dnn_layer_begin(head, DIR_FWD);
	p->xf = ln_fwd(&p->lnf, x, (int)R, &p->ncf);
	logits = linear_fwd(&p->head, p->xf, (int)R);
	dnn_layer_end(head, DIR_FWD);

	dnn_layer_begin(lossid, DIR_FWD);
	loss = softmax_ce(logits, labels, (int)R, c->classes, &dlogits);
	dnn_free(logits);
	dnn_layer_end(lossid, DIR_FWD);

	dnn_layer_begin(head, DIR_BWD);
	{
		float *dxf = linear_bwd(&p->head, p->xf, dlogits, (int)R, true);

		dnn_free(dlogits);
		d = ln_bwd(&p->lnf, x, dxf, (int)R, &p->ncf);
		dnn_free(dxf);
		dnn_free(p->xf);
		norm_cache_free(&p->ncf);
	}
	dnn_layer_end(head, DIR_BWD);
	for (int i = L - 1; i >= 0; i--) {
		struct tblock *b = &p->blk[i];
		const float *xin = i ? p->blk[i - 1].y2 : p->e;
		float *dg, *dx2, *dy1, *dctx, *dqkv, *dx1, *dx;

		dnn_layer_begin(b->id[L_DOWN], DIR_BWD);
		dg = linear_bwd(&b->fc2, b->g, d, (int)R, true);
		dnn_free(b->y2);
		dnn_free(b->g);
		dnn_layer_switch(b->id[L_UP], DIR_BWD);
		gelu_bwd_inplace(dg, b->h, R * 4 * D);
		dx2 = linear_bwd(&b->fc1, b->x2, dg, (int)R, true);
		dnn_free(dg);
		dy1 = ln_bwd(&b->ln2, b->y1, dx2, (int)R, &b->nc2);
		dnn_free(dx2);
		vec_add(dy1, d, n);
		dnn_free(d);
		dnn_free(b->h);
		dnn_free(b->x2);
		norm_cache_free(&b->nc2);

		dnn_layer_switch(b->id[L_PROJ], DIR_BWD);
		dctx = linear_bwd(&b->at.proj, b->ac.ctx, dy1, (int)R, true);
		dnn_free(b->y1);
		dnn_layer_switch(b->id[L_CORE], DIR_BWD);
		dqkv = attn_core_bwd(&b->at, dctx, B, T, &b->ac);
		dnn_free(dctx);
		dnn_layer_switch(b->id[L_QKV], DIR_BWD);
		dx1 = linear_bwd(&b->at.qkv, b->x1, dqkv, (int)R, true);
		dnn_free(dqkv);
		dx = ln_bwd(&b->ln1, xin, dx1, (int)R, &b->nc1);
		dnn_free(dx1);
		vec_add(dx, dy1, n);
		dnn_free(dy1);
		dnn_free(b->x1);
		attn_cache_free(&b->ac);
		norm_cache_free(&b->nc1);
		dnn_layer_end(b->id[L_QKV], DIR_BWD);
		d = dx;
	}
	dnn_layer_begin(0, DIR_BWD);
	embed_bwd(&p->emb, tok, d, B, T);
	dnn_free(d);
	dnn_free(p->e);
	p->e = NULL;
	dnn_layer_end(0, DIR_BWD);
	dnn_free(tok);
	dnn_free(labels);
	return loss;
}

static void tr_destroy(struct model *m)
{
	struct transformer *p = m->priv;

	data_fini(&p->data);
	free(p->blk);
	model_free_base(m);
}

struct model *transformer_create(const struct config *c)
{
	struct model *m = model_alloc(c, MODEL_TRANSFORMER,
				      sizeof(struct transformer));
	struct transformer *p = m->priv;
	int D = c->width, L = c->depth;
	uint32_t head;
	struct rng r;
	char name[24];

	rng_seed(&r, c->seed, 3);
	p->blk = calloc((size_t)L, sizeof(*p->blk));
	if (!p->blk)
		abort();
	embed_init(&p->emb, &m->ps, 0, c->classes, D, c->seq, &r);
	for (int i = 0; i < L; i++) {
		struct tblock *b = &p->blk[i];
		uint32_t ida = (uint32_t)(1 + 2 * i), idm = ida + 1;
		uint32_t idf = (uint32_t)(1 + L_PARTS * i);

		for (int j = 0; j < L_PARTS; j++)
			b->id[j] = c->fine ? idf + (uint32_t)j :
				   j < L_UP ? ida : idm;
		snprintf(name, sizeof(name), "b%d.ln1", i);
		norm_init(&b->ln1, &m->ps, b->id[L_QKV], name, D, &r);
		attn_init(&b->at, &m->ps, b->id[L_QKV], D, c->heads, &r);
		b->at.proj.w->layer = b->at.proj.b->layer = b->id[L_PROJ];
		snprintf(name, sizeof(name), "b%d.ln2", i);
		norm_init(&b->ln2, &m->ps, b->id[L_UP], name, D, &r);
		snprintf(name, sizeof(name), "b%d.fc1", i);
		linear_init(&b->fc1, &m->ps, b->id[L_UP], name, D, 4 * D, &r);
		snprintf(name, sizeof(name), "b%d.fc2", i);
		linear_init(&b->fc2, &m->ps, b->id[L_DOWN], name, 4 * D, D, &r);
	}
	head = L ? p->blk[L - 1].id[L_DOWN] + 1 : 1;
	norm_init(&p->lnf, &m->ps, head, "lnf", D, &r);
	linear_init(&p->head, &m->ps, head, "head", D, c->classes, &r);
	/* a small output layer: the first loss is close to log(classes) */
	param_scale(p->head.w, 0.1f);
	data_init(&p->data, TASK_TOKENS, c->seed, 0, c->classes, 0, c->seq,
		  c->classes);
	m->nlayers = head + 2;
	m->step = tr_step;
	m->destroy = tr_destroy;
	return m;
}
