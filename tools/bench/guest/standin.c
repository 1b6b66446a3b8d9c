// SPDX-License-Identifier: GPL-2.0
/*
 * bench-standin - a synthetic training loop with the memory behaviour of a
 * layered network, for developing and checking the benchmark runner when
 * the DNN engine (build/dnn/sentinel-train) is not built.
 *
 *   bench-standin [--model mlp|cnn|transformer|lstm] [--size tiny|small|medium]
 *                 [--steps N] [--seed S] [--marks on|off] [--json]
 *
 * Per step: forward through L layers (read the input activation and the
 * layer's weights, write a fresh output activation), backward in reverse
 * (read the saved activation and the weights, write the weight gradient,
 * free the activation), then an SGD update of every weight.  Activations
 * are allocated and freed every step as a framework does; weights and
 * gradients live for the whole run.  Phase markers: step_begin/step_end
 * with the step number, layer_begin/layer_end with ids 0..L-1 forward and
 * L..2L-1 backward (in execution order).
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sentinel/lab_marker.h>

struct layer {
	size_t w, a;	 /* floats of weights, of the output activation */
	float *wt, *grad, *act;
};

static int marks = 1;

static void *xalloc(size_t floats)
{
	void *p = NULL;

	if (posix_memalign(&p, 4096, floats * sizeof(float))) {
		fprintf(stderr, "bench-standin: out of memory\n");
		exit(1);
	}
	return p;
}

/* Streams over the weights once and over the activations; a few flops
 * per element, as an elementwise-heavy layer does. */
static void forward(struct layer *l, const float *in, size_t in_n)
{
	l->act = xalloc(l->a);
	for (size_t i = 0; i < l->a; i++) {
		float x = in[i % in_n], w = l->wt[i % l->w];

		l->act[i] = x * w + 0.5f * x - 0.25f * w;
	}
	for (size_t i = l->a; i < l->w; i++)
		l->act[i % l->a] += 1e-3f * l->wt[i];
}

static void backward(struct layer *l, const float *in, size_t in_n)
{
	for (size_t i = 0; i < l->w; i++) {
		float a = l->act[i % l->a];

		l->grad[i] = a * in[i % in_n] * 1e-3f + 0.9f * l->grad[i];
	}
	free(l->act);
	l->act = NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "size", required_argument, NULL, 'z' },
		{ "steps", required_argument, NULL, 's' },
		{ "seed", required_argument, NULL, 'S' },
		{ "alloc", required_argument, NULL, 'a' },
		{ "marks", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *model = "cnn", *size = "small";
	int steps = 5, json = 0, c, nl;
	unsigned long seed = 1;
	size_t scale, in_n;
	struct layer *ls;
	float *input;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'm': model = optarg; break;
		case 'z': size = optarg; break;
		case 's': steps = atoi(optarg); break;
		case 'S': seed = strtoul(optarg, NULL, 0); break;
		case 'a': break;
		case 'k': marks = strcmp(optarg, "off") != 0; break;
		case 'j': json = 1; break;
		case 'h':
			puts("usage: bench-standin [--model M] [--size tiny|small|medium] [--steps N] [--seed S] [--marks on|off] [--json]");
			return 0;
		default: return 2;
		}
	}
	if (!strcmp(size, "tiny"))
		scale = 1;
	else if (!strcmp(size, "small"))
		scale = 4;
	else if (!strcmp(size, "medium"))
		scale = 16;
	else {
		fprintf(stderr, "bench-standin: unknown size '%s'\n", size);
		return 2;
	}
	nl = !strcmp(model, "mlp") ? 6 : !strcmp(model, "lstm") ? 8 :
	     !strcmp(model, "transformer") ? 12 : 10;
	ls = calloc(nl, sizeof(*ls));
	in_n = scale << 18;
	input = xalloc(in_n);
	srand((unsigned int)seed);
	for (size_t i = 0; i < in_n; i++)
		input[i] = (float)rand() / RAND_MAX;
	for (int i = 0; i < nl; i++) {
		/* CNN-like: activations shrink and weights grow with depth. */
		ls[i].a = (scale << 18) >> (i * 3 / nl);
		ls[i].w = (scale << 16) << (i * 3 / nl);
		ls[i].wt = xalloc(ls[i].w);
		ls[i].grad = xalloc(ls[i].w);
		for (size_t j = 0; j < ls[i].w; j++) {
			ls[i].wt[j] = (float)rand() / RAND_MAX - 0.5f;
			ls[i].grad[j] = 0;
		}
	}
	for (int s = 0; s < steps; s++) {
		if (marks)
			lab_step_begin(s);
		for (int i = 0; i < nl; i++) {
			if (marks)
				lab_layer_begin(i);
			if (i)
				forward(&ls[i], ls[i - 1].act, ls[i - 1].a);
			else
				forward(&ls[i], input, in_n);
			if (marks)
				lab_layer_end(i);
		}
		for (int i = nl - 1; i >= 0; i--) {
			if (marks)
				lab_layer_begin(2 * nl - 1 - i);
			if (i)
				backward(&ls[i], ls[i - 1].act, ls[i - 1].a);
			else
				backward(&ls[i], input, in_n);
			if (marks)
				lab_layer_end(2 * nl - 1 - i);
		}
		for (int i = 0; i < nl; i++)
			for (size_t j = 0; j < ls[i].w; j++)
				ls[i].wt[j] -= 0.01f * ls[i].grad[j];
		if (marks)
			lab_step_end(s);
		if (json)
			printf("{\"step\":%d}\n", s);
	}
	return 0;
}
