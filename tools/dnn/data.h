/* SPDX-License-Identifier: GPL-2.0 */
/*
 * data.h - synthetic, learnable training data generated from the seed.
 *
 * Each task has a hidden "teacher" drawn from the seed once; the batch
 * of step s is drawn from (seed, s), so every run with the same seed
 * sees the same data whatever else happens.
 */
#ifndef DNN_DATA_H
#define DNN_DATA_H

#include <stdint.h>

enum data_task {
	TASK_VECTORS,	/* x ~ N(0,1)^in, label = argmax(teacher . x) */
	TASK_IMAGES,	/* NHWC image = class prototype + noise */
	TASK_TOKENS,	/* per-token labels from the token or its predecessor */
	TASK_SEQUENCE,	/* [T][B][in] sequence = noise + class signal */
};

struct dataset {
	enum data_task task;
	uint64_t seed;
	int in, classes, image, seq, vocab;
	float *teacher;	/* DK_OTHER, persistent */
	int *map;	/* tokens: label of each vocabulary entry */
};

/* Create the teacher of a task (dimensions as the task needs). */
void data_init(struct dataset *d, enum data_task task, uint64_t seed, int in,
	       int classes, int image, int seq, int vocab);
void data_fini(struct dataset *d);
/*
 * The batch of a step: x gets the inputs (floats, or tokens in tok),
 * labels one label per sample (per token for TASK_TOKENS).
 */
void data_batch(const struct dataset *d, uint64_t step, int batch, float *x,
		int *tok, int *labels);

/* TASK_SEQUENCE with step t's inputs [B][in] in xs[t]: the same data. */
void data_batch_steps(const struct dataset *d, uint64_t step, int batch,
		      float *const *xs, int *labels);

#endif /* DNN_DATA_H */
