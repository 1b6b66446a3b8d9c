// SPDX-License-Identifier: GPL-2.0
/*
 * train.c - the training loop: per step, a step mark, the model's
 * forward and backward passes (with their layer marks) and the
 * optimizer (with optimizer marks).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ops.h"
#include "optim.h"
#include "train.h"

uint64_t loss_bits(double loss)
{
	uint64_t b;

	memcpy(&b, &loss, sizeof(b));
	return b;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int train_run(const struct config *c, const struct train_opts *o,
	      struct train_result *res)
{
	struct optim opt;
	struct model *m;

	memset(res, 0, sizeof(*res));
	if (dnn_alloc_init(o->backend, o->marks, &res->session_err))
		return -1;
	if (o->ws && dnn_ws_init()) {
		fprintf(stderr, "sentinel-train: cannot measure working sets "
			"(only with --alloc=malloc)\n");
		dnn_alloc_fini();
		return -1;
	}
	res->loss = calloc((size_t)c->steps + 1, sizeof(double));
	res->secs = calloc((size_t)c->steps + 1, sizeof(double));
	if (!res->loss || !res->secs) {
		fprintf(stderr, "sentinel-train: out of memory\n");
		return -1;
	}
	m = model_create(c);
	if (!m)
		return -1;
	optim_setup(&opt, c);
	optim_init(&opt, &m->ps);
	res->nparams = params_count(&m->ps);
	res->nlayers = m->nlayers;

	for (int s = 1; s <= c->steps; s++) {
		double t0 = now(), loss;
		uint64_t f0 = ops_flops();

		dnn_step_begin((uint64_t)s);
		loss = m->step(m, (uint64_t)s);
		optim_step(&opt, &m->ps, m->nlayers, (uint64_t)s);
		dnn_step_end((uint64_t)s);
		res->loss[s - 1] = loss;
		res->secs[s - 1] = now() - t0;
		res->flops = ops_flops() - f0;
		res->steps = s;
		if (o->progress) {
			fprintf(o->progress, "step %d loss %.6f bits 0x%016" PRIx64
				" time %.3f s\n", s, loss, loss_bits(loss),
				res->secs[s - 1]);
			fflush(o->progress);
		}
	}
	if (o->verbose)
		dnn_alloc_print_lib_stats(o->verbose);
	model_destroy(m);
	dnn_alloc_stats(&res->mem);
	dnn_ws_stats(&res->ws);
	if (res->mem.cur_total)
		fprintf(stderr, "sentinel-train: %" PRIu64 " bytes still allocated "
			"after the run\n", res->mem.cur_total);
	dnn_alloc_fini();
	return res->mem.cur_total ? -1 : 0;
}

void train_result_free(struct train_result *res)
{
	free(res->loss);
	free(res->secs);
	res->loss = res->secs = NULL;
}
