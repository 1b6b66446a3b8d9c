// SPDX-License-Identifier: GPL-2.0
/*
 * data.c - synthetic learnable tasks (see data.h).
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "data.h"
#include "rng.h"

#define STREAM_TEACHER 0x7eac7e5ULL
#define STREAM_BATCH 0xba7c0000ULL

void data_init(struct dataset *d, enum data_task task, uint64_t seed, int in,
	       int classes, int image, int seq, int vocab)
{
	struct rng r;
	size_t n = 0;

	memset(d, 0, sizeof(*d));
	d->task = task;
	d->seed = seed;
	d->in = in;
	d->classes = classes;
	d->image = image;
	d->seq = seq;
	d->vocab = vocab;
	rng_seed(&r, seed, STREAM_TEACHER);
	switch (task) {
	case TASK_VECTORS:
		n = (size_t)classes * in;
		break;
	case TASK_IMAGES:
		/* a coarse 4x4x3 pattern per class, upsampled on use */
		n = (size_t)classes * 4 * 4 * 3;
		break;
	case TASK_TOKENS:
		d->map = dnn_alloc((size_t)vocab * sizeof(int), DK_OTHER,
				   DL_PERSIST, false);
		for (int v = 0; v < vocab; v++)
			d->map[v] = (int)rng_below(&r, (uint32_t)vocab);
		return;
	case TASK_SEQUENCE:
		n = (size_t)classes * in;
		break;
	}
	d->teacher = dnn_falloc(n, DK_OTHER, DL_PERSIST, false);
	for (size_t i = 0; i < n; i++)
		d->teacher[i] = task == TASK_SEQUENCE ?
			(rng_next(&r) >> 63 ? 1.0f : -1.0f) : rng_normal(&r);
}

void data_fini(struct dataset *d)
{
	dnn_free(d->teacher);
	dnn_free(d->map);
	d->teacher = NULL;
	d->map = NULL;
}

static void batch_vectors(const struct dataset *d, struct rng *r, int B,
			  float *x, int *labels)
{
	for (int b = 0; b < B; b++) {
		float *xb = x + (size_t)b * d->in;
		float best = 0;

		for (int i = 0; i < d->in; i++)
			xb[i] = rng_normal(r);
		for (int c = 0; c < d->classes; c++) {
			const float *w = d->teacher + (size_t)c * d->in;
			float s = 0;

			for (int i = 0; i < d->in; i++)
				s += w[i] * xb[i];
			if (c == 0 || s > best) {
				best = s;
				labels[b] = c;
			}
		}
	}
}

static void batch_images(const struct dataset *d, struct rng *r, int B,
			 float *x, int *labels)
{
	int S = d->image;

	for (int b = 0; b < B; b++) {
		int c = (int)rng_below(r, (uint32_t)d->classes);
		const float *p = d->teacher + (size_t)c * 48;
		float *img = x + (size_t)b * S * S * 3;

		labels[b] = c;
		for (int y = 0; y < S; y++)
			for (int xx = 0; xx < S; xx++)
				for (int ch = 0; ch < 3; ch++) {
					int gy = y * 4 / S, gx = xx * 4 / S;

					img[((size_t)y * S + xx) * 3 + ch] =
						p[(gy * 4 + gx) * 3 + ch] +
						0.8f * rng_normal(r);
				}
	}
}

static void batch_tokens(const struct dataset *d, struct rng *r, int B,
			 int *tok, int *labels)
{
	int T = d->seq, V = d->vocab;

	for (int b = 0; b < B; b++) {
		int *tb = tok + (size_t)b * T, *lb = labels + (size_t)b * T;

		for (int t = 0; t < T; t++)
			tb[t] = (int)rng_below(r, (uint32_t)V);
		/*
		 * Tokens in the upper half of the vocabulary take the label of
		 * their predecessor: that part needs attention.
		 */
		for (int t = 0; t < T; t++)
			lb[t] = d->map[t > 0 && tb[t] >= V / 2 ? tb[t - 1] : tb[t]];
	}
}

static void batch_sequence(const struct dataset *d, struct rng *r, int B,
			   float *const *xs, int *labels)
{
	int T = d->seq, in = d->in;

	for (int b = 0; b < B; b++)
		labels[b] = (int)rng_below(r, (uint32_t)d->classes);
	for (int t = 0; t < T; t++)
		for (int b = 0; b < B; b++) {
			const float *mu = d->teacher + (size_t)labels[b] * in;
			float *xt = xs[t] + (size_t)b * in;
			/* stronger in the first half: early steps matter */
			float sig = t < (T + 1) / 2 ? 0.5f : 0.25f;

			for (int i = 0; i < in; i++)
				xt[i] = rng_normal(r) + sig * mu[i];
		}
}

void data_batch_steps(const struct dataset *d, uint64_t step, int B,
		      float *const *xs, int *labels)
{
	struct rng r;

	rng_seed(&r, d->seed, STREAM_BATCH + step);
	batch_sequence(d, &r, B, xs, labels);
}

void data_batch(const struct dataset *d, uint64_t step, int B, float *x,
		int *tok, int *labels)
{
	struct rng r;

	rng_seed(&r, d->seed, STREAM_BATCH + step);
	switch (d->task) {
	case TASK_VECTORS:
		batch_vectors(d, &r, B, x, labels);
		break;
	case TASK_IMAGES:
		batch_images(d, &r, B, x, labels);
		break;
	case TASK_TOKENS:
		batch_tokens(d, &r, B, tok, labels);
		break;
	case TASK_SEQUENCE: {
		float **xs = malloc((size_t)d->seq * sizeof(*xs));

		if (!xs)
			abort();
		for (int t = 0; t < d->seq; t++)
			xs[t] = x + (size_t)t * B * d->in;
		batch_sequence(d, &r, B, xs, labels);
		free(xs);
		break;
	}
	}
}
