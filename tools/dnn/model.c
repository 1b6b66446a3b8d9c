// SPDX-License-Identifier: GPL-2.0
/*
 * model.c - size presets, configuration checks and model creation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

static const char *const model_names[MODEL_COUNT] = {
	"mlp", "cnn", "transformer", "lstm", "mobilenet",
};
static const char *const size_names[SIZE_COUNT] = {
	"tiny", "small", "medium",
};

const char *model_name(enum model_type m)
{
	return (unsigned int)m < MODEL_COUNT ? model_names[m] : "?";
}

const char *size_name(enum size_preset s)
{
	return (unsigned int)s < SIZE_COUNT ? size_names[s] : "?";
}

/*
 * Presets: tiny runs a step in a few milliseconds (tests, make check);
 * small takes seconds per step natively with a peak footprint of
 * 50-200 MiB (quick benchmarks); medium is larger (benchmarks).
 *                 batch width depth seq image in classes heads
 */
static const int presets[MODEL_COUNT][SIZE_COUNT][8] = {
	[MODEL_MLP] = {
		{ 32, 64, 3, 0, 0, 32, 8, 0 },
		{ 256, 1536, 5, 0, 0, 128, 10, 0 },
		{ 256, 2048, 6, 0, 0, 256, 10, 0 },
	},
	[MODEL_CNN] = {
		{ 8, 8, 1, 0, 16, 0, 10, 0 },
		{ 64, 16, 2, 0, 32, 0, 10, 0 },
		{ 128, 24, 2, 0, 32, 0, 10, 0 },
	},
	[MODEL_TRANSFORMER] = {
		{ 4, 32, 2, 16, 0, 0, 64, 2 },
		{ 8, 256, 4, 128, 0, 0, 2048, 4 },
		{ 16, 256, 6, 128, 0, 0, 2048, 4 },
	},
	[MODEL_LSTM] = {
		{ 8, 32, 1, 8, 0, 16, 4, 0 },
		{ 32, 128, 2, 256, 0, 64, 10, 0 },
		{ 64, 192, 2, 256, 0, 64, 10, 0 },
	},
	[MODEL_MOBILENET] = {
		{ 16, 4, 1, 0, 16, 0, 10, 0 },
		{ 64, 16, 5, 0, 32, 0, 10, 0 },
		{ 128, 32, 5, 0, 32, 0, 10, 0 },
	},
};

void config_preset(struct config *c, enum model_type model,
		   enum size_preset size)
{
	const int *p = presets[model][size];

	c->model = model;
	c->size = size;
	c->batch = p[0];
	c->width = p[1];
	c->depth = p[2];
	c->seq = p[3];
	c->image = p[4];
	c->in_dim = p[5];
	c->classes = p[6];
	c->heads = p[7];
	c->momentum = 0.9f;
	c->wd = 0.0f;
	switch (model) {
	case MODEL_MLP:
		/* wide layers: Adam's normalised steps keep the loss falling */
		c->optim = size == SIZE_TINY ? OPT_SGD : OPT_ADAM;
		c->lr = size == SIZE_TINY ? 0.05f : 0.0003f;
		break;
	case MODEL_CNN:
	case MODEL_MOBILENET:
		c->optim = OPT_SGD;
		c->lr = 0.05f;
		break;
	case MODEL_TRANSFORMER:
		c->optim = OPT_ADAM;
		c->lr = 0.003f;
		break;
	default:
		c->optim = OPT_ADAM;
		c->lr = 0.005f;
		break;
	}
}

#define LIMIT (1 << 20)

const char *config_check(const struct config *c)
{
	if ((unsigned int)c->model >= MODEL_COUNT)
		return "unknown model";
	if (c->batch < 1 || c->batch > LIMIT)
		return "--batch must be 1..1048576";
	if (c->width < 1 || c->width > 65536)
		return "--width must be 1..65536";
	if (c->depth < 1 || c->depth > 1000)
		return "--depth must be 1..1000";
	if (c->classes < 2 || c->classes > LIMIT)
		return "--classes must be 2..1048576";
	if (c->steps < 0)
		return "--steps must be >= 0";
	if (!(c->lr > 0.0f) || c->lr > 10.0f)
		return "--lr must be in (0, 10]";
	switch (c->model) {
	case MODEL_MLP:
		if (c->in_dim < 1 || c->in_dim > LIMIT)
			return "--in must be 1..1048576";
		break;
	case MODEL_CNN:
	case MODEL_MOBILENET:
		if (c->image < 8 || c->image > 4096 || c->image % 4)
			return "--image must be a multiple of 4 in 8..4096";
		break;
	case MODEL_TRANSFORMER:
		if (c->seq < 1 || c->seq > 65536)
			return "--seq must be 1..65536";
		if (c->heads < 1 || c->width % c->heads)
			return "--heads must divide --width";
		break;
	case MODEL_LSTM:
		if (c->seq < 1 || c->seq > 65536)
			return "--seq must be 1..65536";
		if (c->in_dim < 1 || c->in_dim > LIMIT)
			return "--in must be 1..1048576";
		break;
	default:
		break;
	}
	return NULL;
}

struct model *model_alloc(const struct config *c, enum model_type t,
			  size_t priv_size)
{
	struct model *m = calloc(1, sizeof(*m));

	if (!m || !(m->priv = calloc(1, priv_size))) {
		fprintf(stderr, "sentinel-train: out of memory\n");
		exit(1);
	}
	m->type = t;
	m->cfg = c;
	return m;
}

void model_free_base(struct model *m)
{
	params_free(&m->ps);
	free(m->priv);
	free(m);
}

struct model *model_create(const struct config *c)
{
	switch (c->model) {
	case MODEL_MLP:
		return mlp_create(c);
	case MODEL_CNN:
		return cnn_create(c);
	case MODEL_TRANSFORMER:
		return transformer_create(c);
	case MODEL_LSTM:
		return lstm_create(c);
	case MODEL_MOBILENET:
		return mobilenet_create(c);
	default:
		return NULL;
	}
}

void model_destroy(struct model *m)
{
	if (m)
		m->destroy(m);
}

double cls_head_fwd(const struct linear *fc, const float *act,
		    const int *labels, int N, int hw, int C, int classes,
		    uint32_t head, float **pooled, float **dlogits)
{
	float *logits;
	double loss;

	dnn_layer_begin(head, DIR_FWD);
	*pooled = gap_fwd(act, N, hw, C);
	logits = linear_fwd(fc, *pooled, N);
	dnn_layer_end(head, DIR_FWD);

	dnn_layer_begin(head + 1, DIR_FWD);
	loss = softmax_ce(logits, labels, N, classes, dlogits);
	dnn_free(logits);
	dnn_layer_end(head + 1, DIR_FWD);
	return loss;
}

float *cls_head_bwd(const struct linear *fc, float **pooled, float *dlogits,
		    int N, int hw, int C, uint32_t head)
{
	float *d, *dx;

	dnn_layer_begin(head, DIR_BWD);
	d = linear_bwd(fc, *pooled, dlogits, N, true);
	dnn_free(dlogits);
	dnn_free(*pooled);
	*pooled = NULL;
	dx = gap_bwd(d, N, hw, C);
	dnn_free(d);
	dnn_layer_end(head, DIR_BWD);
	return dx;
}
