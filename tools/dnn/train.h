/* SPDX-License-Identifier: GPL-2.0 */
/*
 * train.h - the training loop.
 */
#ifndef DNN_TRAIN_H
#define DNN_TRAIN_H

#include <stdbool.h>
#include <stdio.h>

#include "alloc.h"
#include "model.h"

struct train_opts {
	enum alloc_backend backend;
	bool marks;
	bool ws;		/* measure one-layer working sets (dnn_ws_init) */
	FILE *progress;		/* one line per step, or NULL */
	FILE *verbose;		/* libsentinel statistics at the end, or NULL */
};

struct train_result {
	int steps;
	double *loss;		/* per step */
	double *secs;		/* per step, wall clock */
	struct alloc_stats mem;	/* at the end; peaks over the whole run */
	size_t nparams;
	uint32_t nlayers;
	uint64_t flops;		/* of the matrix kernels in the last step (ops.h) */
	struct dnn_ws_stats ws;	/* with opts.ws */
	int session_err;	/* sntl_open() result (sentinel backend) */
};

/* Run c->steps training steps; 0 or -1. */
int train_run(const struct config *c, const struct train_opts *o,
	      struct train_result *res);
void train_result_free(struct train_result *res);

/* The bits of a loss value, for exact comparisons. */
uint64_t loss_bits(double loss);

#endif /* DNN_TRAIN_H */
