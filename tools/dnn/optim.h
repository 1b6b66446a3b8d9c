/* SPDX-License-Identifier: GPL-2.0 */
/*
 * optim.h - optimizers: SGD with momentum and Adam.
 */
#ifndef DNN_OPTIM_H
#define DNN_OPTIM_H

#include <stdint.h>

#include "layers.h"
#include "model.h"

struct optim {
	enum optim_type type;
	float lr;
	float momentum;		/* SGD */
	float beta1, beta2, eps;	/* Adam */
	float wd;		/* L2 weight decay on decaying parameters */
};

void optim_setup(struct optim *o, const struct config *c);
/* Allocate (zeroed) the optimizer state of every parameter. */
void optim_init(const struct optim *o, struct params *ps);
/*
 * Update one parameter from its gradient (step t counts from 1) and
 * free the gradient.  A parameter without a gradient is left alone.
 */
void optim_update(const struct optim *o, struct param *p, uint64_t t);
/*
 * Update every parameter, layer by layer (ids 0 .. nlayers-1) with an
 * optimizer mark around each layer that owns parameters.
 */
void optim_step(const struct optim *o, struct params *ps, uint32_t nlayers,
		uint64_t t);

#endif /* DNN_OPTIM_H */
