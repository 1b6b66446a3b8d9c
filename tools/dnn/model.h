/* SPDX-License-Identifier: GPL-2.0 */
/*
 * model.h - configuration and the interface every model implements.
 */
#ifndef DNN_MODEL_H
#define DNN_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "alloc.h"
#include "layers.h"

/*
 * The classifier head of the convolutional models, forward: global
 * average pooling of @act (N x @hw x @C), the linear layer @fc and the
 * softmax cross-entropy of @labels, as layer @head and layer @head + 1
 * (the loss).  Returns the loss; *@pooled keeps the pooled input and
 * *@dlogits the loss's gradient, for cls_head_bwd().
 */
double cls_head_fwd(const struct linear *fc, const float *act,
		    const int *labels, int N, int hw, int C, int classes,
		    uint32_t head, float **pooled, float **dlogits);
/* Backward through layer @head: the gradient of the head's input; frees
 * *@pooled (set to NULL) and @dlogits. */
float *cls_head_bwd(const struct linear *fc, float **pooled, float *dlogits,
		    int N, int hw, int C, uint32_t head);

enum model_type {
	MODEL_MLP,
	MODEL_CNN,
	MODEL_TRANSFORMER,
	MODEL_LSTM,
	MODEL_MOBILENET,
	MODEL_COUNT
};

enum size_preset {
	SIZE_TINY,
	SIZE_SMALL,
	SIZE_MEDIUM,
	SIZE_COUNT
};

enum optim_type {
	OPT_SGD,
	OPT_ADAM,
};

struct config {
	enum model_type model;
	enum size_preset size;
	int batch;	/* samples per step */
	int width;	/* hidden units / channels of the first stage / model dim */
	int depth;	/* hidden layers / blocks per stage / encoder layers / LSTM layers */
	int seq;	/* sequence length (transformer, LSTM) */
	int image;	/* image side (CNN) */
	int in_dim;	/* input features (MLP, LSTM) */
	int classes;	/* output classes (MLP, CNN, LSTM); vocabulary (transformer) */
	int heads;	/* attention heads (transformer) */
	bool fine;	/* --granularity=layer: one mark id per weight layer */
	int steps;
	uint64_t seed;
	enum optim_type optim;
	float lr;
	float momentum;	/* SGD */
	float wd;	/* weight decay (L2) */
};

/* Fill *c with the defaults of model and size (batch, width, ...). */
void config_preset(struct config *c, enum model_type model,
		   enum size_preset size);
/* NULL when the configuration is usable, else what is wrong. */
const char *config_check(const struct config *c);

const char *model_name(enum model_type m);
const char *size_name(enum size_preset s);

struct model {
	enum model_type type;
	struct params ps;
	uint32_t nlayers;	/* mark ids are 0 .. nlayers-1 */
	const struct config *cfg;
	void *priv;
	/*
	 * One training step without the optimizer: generate the step's batch,
	 * forward, loss, backward (with layer marks).  Leaves the gradients
	 * in the parameters; returns the mean loss.
	 */
	double (*step)(struct model *m, uint64_t step);
	void (*destroy)(struct model *m);
};

struct model *model_create(const struct config *c);
void model_destroy(struct model *m);

struct model *mlp_create(const struct config *c);
struct model *cnn_create(const struct config *c);
struct model *transformer_create(const struct config *c);
struct model *lstm_create(const struct config *c);
struct model *mobilenet_create(const struct config *c);

/* Helpers for the model files. */
struct model *model_alloc(const struct config *c, enum model_type t,
			  size_t priv_size);
void model_free_base(struct model *m);

#endif /* DNN_MODEL_H */
