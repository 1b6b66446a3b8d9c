// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * allocbench - fragmentation of the libsentinel allocator on a synthetic
 * training workload.  Not a timing benchmark: it prints, as JSON, the
 * bytes the program asked for against the bytes the allocator mapped
 * (own pages plus short-lived region chunks in use), both live at the
 * step's peak and as the allocator's high-water marks, per lifetime class,
 * and how many logical ids of a step recur in the next one.
 *
 * The workload is a small convolutional network: per layer a weight, a
 * bias and two optimizer-state tensors (persistent), an activation kept
 * for the backward pass and a gradient (step-lived), an im2col workspace
 * and a handful of small temporaries (short-lived).
 *
 *   allocbench [--steps N] [--layers N] [--batch N] [--width N]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sentinel.h>

#define MAX_LAYERS	256
#define MAX_IDS		65536

struct layer {
	size_t cin, cout, hw;
	void *w, *b, *m, *v;	/* persistent */
	void *act;		/* step-lived */
};

static struct layer layers[MAX_LAYERS];
static uint64_t ids_prev[MAX_IDS], ids_cur[MAX_IDS];
static size_t nprev, ncur;

static void *xalloc(size_t size, enum sntl_kind kind, enum sntl_life life)
{
	void *p = sntl_alloc(size, kind, life);
	struct sntl_alloc_info info;

	if (!p) {
		perror("sntl_alloc");
		exit(1);
	}
	memset(p, 0x5a, size);	/* touch it as a tensor would */
	if (ncur < MAX_IDS && !sntl_alloc_info(p, &info))
		ids_cur[ncur++] = info.logical_id;
	return p;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Logical ids of this step also seen in the previous one. */
static size_t recurring(void)
{
	size_t i = 0, j = 0, n = 0;

	qsort(ids_cur, ncur, sizeof(ids_cur[0]), cmp_u64);
	while (i < ncur && j < nprev) {
		if (ids_cur[i] == ids_prev[j]) {
			n++;
			i++;
			j++;
		} else if (ids_cur[i] < ids_prev[j]) {
			i++;
		} else {
			j++;
		}
	}
	return n;
}

static long vm_hwm_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static void temporaries(size_t cout, size_t salt)
{
	void *t[6];
	size_t i;

	for (i = 0; i < 6; i++)
		t[i] = xalloc(16 + ((cout * 4 * (i + 1) + salt * 24) % 4000),
			      SNTL_KIND_WORKSPACE, SNTL_LIFE_SHORT);
	for (i = 0; i < 6; i++)
		sntl_free(t[i]);
}

struct opts {
	unsigned long steps, nlayers, batch, width;
};

/* The step peak and the logical ids of the last step. */
struct result {
	uint64_t step_peak_req, step_peak_map;
	size_t rec_last, ids_last;
};

/* Fill o from the command line; returns 0, or 2 after the usage message. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	int i;

	*o = (struct opts){
		.steps = 5, .nlayers = 32, .batch = 8, .width = 16,
	};
	for (i = 1; i + 1 < argc; i += 2) {
		unsigned long v = strtoul(argv[i + 1], NULL, 0);

		if (!strcmp(argv[i], "--steps"))
			o->steps = v;
		else if (!strcmp(argv[i], "--layers"))
			o->nlayers = v;
		else if (!strcmp(argv[i], "--batch"))
			o->batch = v;
		else if (!strcmp(argv[i], "--width"))
			o->width = v;
		else
			break;
	}
	if (i < argc || !o->steps || !o->nlayers || o->nlayers > MAX_LAYERS ||
	    !o->batch || !o->width) {
		fprintf(stderr, "usage: %s [--steps N] [--layers N<=%d] [--batch N] [--width N]\n",
			argv[0], MAX_LAYERS);
		return 2;
	}
	return 0;
}

/* Model: three stages, channels double and the image halves. */
static void build_model(const struct opts *o)
{
	size_t l;

	for (l = 0; l < o->nlayers; l++) {
		size_t stage = l * 3 / o->nlayers;
		struct layer *ly = &layers[l];

		ly->cout = o->width << stage;
		ly->cin = l ? layers[l - 1].cout : 3;
		ly->hw = (32 >> stage) * (32 >> stage);
		ly->w = xalloc(ly->cin * ly->cout * 9 * 4, SNTL_KIND_WEIGHT,
			       SNTL_LIFE_PERSISTENT);
		ly->b = xalloc(ly->cout * 4, SNTL_KIND_WEIGHT, SNTL_LIFE_PERSISTENT);
		ly->m = xalloc(ly->cin * ly->cout * 9 * 4, SNTL_KIND_OPTIMIZER,
			       SNTL_LIFE_PERSISTENT);
		ly->v = xalloc(ly->cin * ly->cout * 9 * 4, SNTL_KIND_OPTIMIZER,
			       SNTL_LIFE_PERSISTENT);
	}
}

/* Forward pass: per layer a workspace, temporaries and the activation. */
static void forward(const struct opts *o)
{
	size_t l;

	for (l = 0; l < o->nlayers; l++) {
		struct layer *ly = &layers[l];
		void *ws;

		sntl_layer_begin((uint32_t)l, SNTL_DIR_FORWARD);
		ws = xalloc(o->batch * ly->cin * 9 * ly->hw * 4 / 4,
			    SNTL_KIND_WORKSPACE, SNTL_LIFE_SHORT);
		temporaries(ly->cout, l);
		ly->act = xalloc(o->batch * ly->cout * ly->hw * 4,
				 SNTL_KIND_ACTIVATION, SNTL_LIFE_STEP);
		sntl_free(ws);
		sntl_layer_end((uint32_t)l, SNTL_DIR_FORWARD);
	}
}

/* Backward pass: per layer the gradients; frees the activation. */
static void backward(const struct opts *o)
{
	size_t l;

	for (l = o->nlayers; l-- > 0;) {
		struct layer *ly = &layers[l];
		void *gw, *gb, *ga;

		sntl_layer_begin((uint32_t)l, SNTL_DIR_BACKWARD);
		gw = xalloc(ly->cin * ly->cout * 9 * 4, SNTL_KIND_GRADIENT,
			    SNTL_LIFE_STEP);
		gb = xalloc(ly->cout * 4, SNTL_KIND_GRADIENT, SNTL_LIFE_STEP);
		ga = xalloc(o->batch * ly->cin * ly->hw * 4, SNTL_KIND_GRADIENT,
			    SNTL_LIFE_SHORT);
		temporaries(ly->cout, l + 7);
		sntl_free(ga);
		sntl_free(ly->act);
		sntl_free(gb);
		sntl_free(gw);
		sntl_layer_end((uint32_t)l, SNTL_DIR_BACKWARD);
	}
}

/* The training steps: the step peak and the ids recurring between steps. */
static void run_steps(const struct opts *o, struct result *res)
{
	struct sntl_alloc_stats st;
	unsigned long s;

	for (s = 1; s <= o->steps; s++) {
		memcpy(ids_prev, ids_cur, ncur * sizeof(ids_cur[0]));
		nprev = ncur;
		ncur = 0;
		sntl_step_begin(s);
		forward(o);
		sntl_alloc_stats(&st);
		if (st.requested_bytes > res->step_peak_req) {
			res->step_peak_req = st.requested_bytes;
			res->step_peak_map = st.mapped_bytes;
		}
		backward(o);
		sntl_step_end(s);
		if (s > 1) {
			res->rec_last = recurring();
			res->ids_last = ncur;
		} else {
			qsort(ids_cur, ncur, sizeof(ids_cur[0]), cmp_u64);
		}
	}
}

static void print_json(const struct opts *o, const struct result *res,
		       int opened)
{
	struct sntl_alloc_stats peak_st;

	sntl_alloc_stats(&peak_st);
	printf("{\n");
	printf("  \"workload\": {\"steps\": %lu, \"layers\": %lu, \"batch\": %lu, \"width\": %lu},\n",
	       o->steps, o->nlayers, o->batch, o->width);
	printf("  \"session\": %s,\n", opened ? "true" : "false");
	printf("  \"allocs\": %llu,\n", (unsigned long long)peak_st.allocs);
	printf("  \"frees\": %llu,\n", (unsigned long long)peak_st.frees);
	printf("  \"live_at_end\": {\"objects\": %llu, \"requested_bytes\": %llu, \"mapped_bytes\": %llu},\n",
	       (unsigned long long)peak_st.live_objects,
	       (unsigned long long)peak_st.requested_bytes,
	       (unsigned long long)peak_st.mapped_bytes);
	printf("  \"step_peak\": {\"requested_bytes\": %llu, \"mapped_bytes\": %llu, \"overhead\": %.4f},\n",
	       (unsigned long long)res->step_peak_req,
	       (unsigned long long)res->step_peak_map,
	       res->step_peak_req ? (double)res->step_peak_map /
				    (double)res->step_peak_req - 1 : 0.0);
	printf("  \"peak\": {\"requested_bytes\": %llu, \"mapped_bytes\": %llu, \"overhead\": %.4f},\n",
	       (unsigned long long)peak_st.peak_requested_bytes,
	       (unsigned long long)peak_st.peak_mapped_bytes,
	       peak_st.peak_requested_bytes ?
	       (double)peak_st.peak_mapped_bytes / (double)peak_st.peak_requested_bytes - 1 : 0.0);
	printf("  \"long_lived\": {\"objects\": %llu, \"mapped_bytes\": %llu},\n",
	       (unsigned long long)peak_st.long_objects,
	       (unsigned long long)peak_st.long_mapped_bytes);
	printf("  \"short_region\": {\"reserved_bytes\": %llu, \"chunks_used\": %llu, \"chunks_cached\": %llu, \"chunks_released\": %llu, \"spills\": %llu},\n",
	       (unsigned long long)peak_st.short_reserved_bytes,
	       (unsigned long long)peak_st.short_chunks_used,
	       (unsigned long long)peak_st.short_chunks_cached,
	       (unsigned long long)peak_st.short_chunks_released,
	       (unsigned long long)peak_st.short_spills);
	printf("  \"logical_ids\": {\"last_step\": %zu, \"recurring_from_previous_step\": %zu},\n",
	       res->ids_last, res->rec_last);
	printf("  \"vm_hwm_kib\": %ld\n", vm_hwm_kib());
	printf("}\n");
}

int main(int argc, char **argv)
{
	struct result res = { 0 };
	struct opts o;
	int ret, opened;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret;
	opened = sntl_open(NULL) == 0;
	build_model(&o);
	run_steps(&o, &res);
	print_json(&o, &res, opened);
	if (opened)
		sntl_close();
	return 0;
}
