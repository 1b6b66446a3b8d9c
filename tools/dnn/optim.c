// SPDX-License-Identifier: GPL-2.0
/*
 * optim.c - SGD with momentum and Adam.
 *
 *   SGD:   g' = g + wd w;  m = mu m + g';  w -= lr m
 *   Adam:  g' = g + wd w;  m = b1 m + (1 - b1) g';  v = b2 v + (1 - b2) g'^2
 *          w -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 */
#include <math.h>

#include "alloc.h"
#include "ops.h"
#include "optim.h"

void optim_setup(struct optim *o, const struct config *c)
{
	o->type = c->optim;
	o->lr = c->lr;
	o->momentum = c->momentum;
	o->beta1 = 0.9f;
	o->beta2 = 0.999f;
	o->eps = 1e-8f;
	o->wd = c->wd;
}

void optim_init(const struct optim *o, struct params *ps)
{
	for (int i = 0; i < ps->n; i++) {
		struct param *p = ps->p[i];

		p->m = dnn_falloc(p->n, DK_OPT, DL_PERSIST, true);
		if (o->type == OPT_ADAM)
			p->v = dnn_falloc(p->n, DK_OPT, DL_PERSIST, true);
	}
}

DNN_VEC
void optim_update(const struct optim *o, struct param *p, uint64_t t)
{
	float *w = p->w, *g = p->g, *m = p->m, *v = p->v;
	float wd = p->decay ? o->wd : 0.0f;

	if (!g)
		return;
	if (o->type == OPT_SGD) {
		for (size_t i = 0; i < p->n; i++) {
			float gi = g[i] + wd * w[i];

			m[i] = o->momentum * m[i] + gi;
			w[i] -= o->lr * m[i];
		}
	} else {
		float c1 = (float)(1.0 - pow(o->beta1, (double)t));
		float c2 = (float)(1.0 - pow(o->beta2, (double)t));

		for (size_t i = 0; i < p->n; i++) {
			float gi = g[i] + wd * w[i];
			float mh, vh;

			m[i] = o->beta1 * m[i] + (1.0f - o->beta1) * gi;
			v[i] = o->beta2 * v[i] + (1.0f - o->beta2) * gi * gi;
			mh = m[i] / c1;
			vh = v[i] / c2;
			w[i] -= o->lr * mh / (sqrtf(vh) + o->eps);
		}
	}
	dnn_free(p->g);
	p->g = NULL;
}

void optim_step(const struct optim *o, struct params *ps, uint32_t nlayers,
		uint64_t t)
{
	int i = 0;

	/* parameters are created layer by layer, so ids never decrease */
	for (uint32_t l = 0; l < nlayers; l++) {
		if (i >= ps->n || ps->p[i]->layer != l)
			continue;
		dnn_layer_begin(l, DIR_OPT);
		for (; i < ps->n && ps->p[i]->layer == l; i++)
			optim_update(o, ps->p[i], t);
		dnn_layer_end(l, DIR_OPT);
	}
	/* anything out of order (not expected) */
	for (int j = 0; j < ps->n; j++)
		optim_update(o, ps->p[j], t);
}
