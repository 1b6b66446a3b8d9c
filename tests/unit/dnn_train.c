// SPDX-License-Identifier: GPL-2.0
/*
 * Whole training runs of the engine's tiny models: the same seed gives
 * the same loss bits with either allocator backend, with marks on or off
 * and with either layer granularity; the loss goes down; the sentinel
 * backend really allocates through libsentinel with the right kinds and
 * lifetimes; the working-set measurement sees every layer.
 */
#include <inttypes.h>
#include <string.h>

#include <sentinel.h>

#include "alloc.h"
#include "tap.h"
#include "train.h"

static bool run_ws(const struct config *c, enum alloc_backend be, bool marks,
		   bool ws, struct train_result *res)
{
	struct train_opts o = { .backend = be, .marks = marks, .ws = ws };

	return train_run(c, &o, res) == 0 && res->steps == c->steps;
}

static bool run(const struct config *c, enum alloc_backend be, bool marks,
		struct train_result *res)
{
	return run_ws(c, be, marks, false, res);
}

static void tiny(struct config *c, enum model_type m, int steps)
{
	memset(c, 0, sizeof(*c));
	config_preset(c, m, SIZE_TINY);
	c->steps = steps;
	c->seed = 7;
	if (m == MODEL_CNN) {
		/* keep it quick under the sanitizers */
		c->image = 8;
		c->batch = 8;
	}
}

static bool same_bits(const struct train_result *a, const struct train_result *b)
{
	if (a->steps != b->steps)
		return false;
	for (int i = 0; i < a->steps; i++)
		if (loss_bits(a->loss[i]) != loss_bits(b->loss[i]))
			return false;
	return true;
}

static void test_determinism(enum model_type m)
{
	struct config c;
	struct train_result a, b, d;
	bool same = true, differs = false;

	tiny(&c, m, 3);
	if (!ok(run(&c, ALLOC_MALLOC, false, &a) &&
		    run(&c, ALLOC_SENTINEL, true, &b),
		    "%s: runs with both backends", model_name(m))) {
		ok(false, "%s: (skipped)", model_name(m));
		ok(false, "%s: (skipped)", model_name(m));
		return;
	}
	for (int i = 0; i < c.steps; i++)
		if (loss_bits(a.loss[i]) != loss_bits(b.loss[i])) {
			same = false;
			diag("step %d: malloc 0x%016" PRIx64 " sentinel 0x%016" PRIx64,
				 i + 1, loss_bits(a.loss[i]), loss_bits(b.loss[i]));
		}
	ok(same, "%s: malloc and sentinel give the same loss bits (0x%016" PRIx64 ")",
	   model_name(m), loss_bits(a.loss[c.steps - 1]));
	c.seed = 8;
	run(&c, ALLOC_MALLOC, true, &d);
	for (int i = 0; i < c.steps; i++)
		if (loss_bits(a.loss[i]) != loss_bits(d.loss[i]))
			differs = true;
	ok(differs, "%s: another seed gives other losses", model_name(m));
	train_result_free(&a);
	train_result_free(&b);
	train_result_free(&d);
}

/* Layer granularity changes the marks, never the arithmetic. */
static void test_granularity(enum model_type m)
{
	struct config c;
	struct train_result a, b;
	bool ran;

	tiny(&c, m, 2);
	ran = run(&c, ALLOC_MALLOC, true, &a);
	c.fine = true;
	ran = run(&c, ALLOC_MALLOC, true, &b) && ran;
	ok(ran && same_bits(&a, &b) &&
	   (m == MODEL_MLP ? b.nlayers == a.nlayers : b.nlayers > a.nlayers),
	   "%s: --granularity=layer gives the same loss bits with %u layers "
	   "instead of %u", model_name(m), b.nlayers, a.nlayers);
	train_result_free(&a);
	train_result_free(&b);
}

/* The working-set mode: same losses, a set per direction, below the peak. */
static void test_ws(void)
{
	struct config c;
	struct train_result a, b;
	bool ran;

	tiny(&c, MODEL_CNN, 2);
	c.fine = true;
	ran = run(&c, ALLOC_MALLOC, true, &a);
	ran = run_ws(&c, ALLOC_MALLOC, true, true, &b) && ran;
	ok(ran && same_bits(&a, &b) && b.ws.layers == 2ull * (2 * b.nlayers - 1 +
	   b.nlayers - 1) && b.ws.max_dir[0] && b.ws.max_dir[1] &&
	   b.ws.max_dir[2] && b.ws.max <= b.mem.peak_total,
	   "working sets: %llu layer executions, largest %llu bytes of a "
	   "%llu-byte peak (layer %u), same losses",
	   (unsigned long long)b.ws.layers, (unsigned long long)b.ws.max,
	   (unsigned long long)b.mem.peak_total, b.ws.max_layer);
	train_result_free(&a);
	train_result_free(&b);
	ok(run_ws(&c, ALLOC_SENTINEL, false, true, &a) == false,
	   "working sets: refused with the sentinel backend");
	train_result_free(&a);
}


static void test_learns(enum model_type m, int steps)
{
	struct config c;
	struct train_result r;
	double first = 0, last = 0;
	int k = 3;

	tiny(&c, m, steps);
	if (!run(&c, ALLOC_MALLOC, false, &r)) {
		ok(false, "%s: training run", model_name(m));
		return;
	}
	for (int i = 0; i < k; i++) {
		first += r.loss[i] / k;
		last += r.loss[steps - 1 - i] / k;
	}
	ok(last < 0.9 * first, "%s: loss goes down over %d steps (%.4f -> %.4f)",
	   model_name(m), steps, first, last);
	train_result_free(&r);
}

static void test_backend(void)
{
	struct sntl_alloc_info info;
	void *w, *ws;

	dnn_alloc_init(ALLOC_SENTINEL, false, NULL);
	w = dnn_alloc(100000, DK_WEIGHT, DL_PERSIST, false);
	ws = dnn_alloc(256, DK_WS, DL_SHORT, true);
	ok(sntl_owns(w) && sntl_owns(ws),
	   "sentinel backend: tensors come from sntl_alloc");
	ok(!sntl_alloc_info(w, &info) && info.kind == SNTL_KIND_WEIGHT &&
	   info.life == SNTL_LIFE_PERSISTENT && info.size == 100000 &&
	   info.mapped >= 100000,
	   "sentinel backend: a weight is persistent with pages of its own");
	ok(!sntl_alloc_info(ws, &info) && info.kind == SNTL_KIND_WORKSPACE &&
	   info.life == SNTL_LIFE_SHORT && info.mapped == 0,
	   "sentinel backend: a small workspace is packed short-lived");
	dnn_free(w);
	dnn_free(ws);
	dnn_alloc_fini();

	dnn_alloc_init(ALLOC_MALLOC, false, NULL);
	w = dnn_alloc(100, DK_ACT, DL_STEP, false);
	ok(!sntl_owns(w), "malloc backend: tensors do not come from libsentinel");
	{
		struct alloc_stats st;

		dnn_alloc_stats(&st);
		ok(st.cur[DK_ACT] == 100 && st.peak_total == 100,
		   "footprint accounting per kind");
	}
	dnn_free(w);
	dnn_alloc_fini();
}

int main(void)
{
	tap_plan(5 + MODEL_COUNT * 4 + 5 + 2);
	test_backend();
	for (int m = 0; m < MODEL_COUNT; m++)
		test_determinism((enum model_type)m);
	for (int m = 0; m < MODEL_COUNT; m++)
		test_granularity((enum model_type)m);
	test_ws();
	test_learns(MODEL_MLP, 30);
	test_learns(MODEL_CNN, 15);
	test_learns(MODEL_TRANSFORMER, 15);
	test_learns(MODEL_LSTM, 30);
	test_learns(MODEL_MOBILENET, 50);
	return tap_done();
}
