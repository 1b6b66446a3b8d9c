// SPDX-License-Identifier: GPL-2.0
/*
 * sentinel-train - a small DNN training engine (MLP, ResNet-style CNN,
 * transformer encoder, LSTM, MobileNet-style CNN) on plain malloc or on
 * libsentinel.
 * See Documentation/workloads.rst.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sentinel.h>

#include "ops.h"
#include "train.h"

static const char usage[] =
"Usage: sentinel-train [OPTIONS]\n"
"Train a small network on synthetic data generated from the seed.\n"
"\n"
"  --model=mlp|cnn|transformer|lstm|mobilenet   the network (default mlp)\n"
"  --size=tiny|small|medium           size preset (default tiny)\n"
"  --steps N          training steps (default 10)\n"
"  --seed S           seed of weights and data (default 1)\n"
"  --batch N          samples per step\n"
"  --width N          hidden units (mlp), first-stage channels (cnn),\n"
"                     model dimension (transformer), hidden size (lstm),\n"
"                     stem channels (mobilenet)\n"
"  --depth N          hidden layers (mlp), residual blocks per stage (cnn),\n"
"                     encoder layers (transformer), LSTM layers (lstm),\n"
"                     middle blocks of 16 x width channels (mobilenet)\n"
"  --seq N            sequence length (transformer, lstm)\n"
"  --image N          image side, a multiple of 4 (cnn, mobilenet)\n"
"  --in N             input features (mlp, lstm)\n"
"  --classes N        classes (mlp, cnn, lstm, mobilenet); vocabulary\n"
"                     (transformer)\n"
"  --heads N          attention heads (transformer)\n"
"  --optim=sgd|adam   optimizer (default: sgd for mlp, cnn and mobilenet,\n"
"                     else adam)\n"
"  --lr X             learning rate\n"
"  --momentum X       SGD momentum (default 0.9)\n"
"  --wd X             L2 weight decay (default 0)\n"
"  --alloc=malloc|sentinel   tensor allocator (default malloc)\n"
"  --marks=on|off     step and layer marks through libsentinel (default on)\n"
"  --granularity=block|layer   one layer id per block (residual block,\n"
"                     encoder sublayer, LSTM layer; default) or per weight\n"
"                     layer (convolution, matrix product group, LSTM time\n"
"                     step); the arithmetic is the same\n"
"  --threads N        worker threads; only 1 is supported\n"
"  --isa=auto|sse2|avx2   vector width of the matrix kernels (default auto:\n"
"                     avx2 when the CPU has it; the results are the same)\n"
"  --ws=on|off        measure the largest one-layer working set: the bytes\n"
"                     of the tensors one layer touches (slow; malloc only)\n"
"  --json             print the results as one JSON object\n"
"  --verbose, -v      also print libsentinel's statistics (stderr)\n"
"  --help, -h         this text\n"
"\n"
"Prints the loss of every step (with its bits as hex, for exact\n"
"comparison), the final loss and the peak footprint per tensor kind.\n";

enum opt_id {
	O_MODEL = 256, O_SIZE, O_STEPS, O_SEED, O_BATCH, O_WIDTH, O_DEPTH,
	O_SEQ, O_IMAGE, O_IN, O_CLASSES, O_HEADS, O_OPTIM, O_LR, O_MOMENTUM,
	O_WD, O_ALLOC, O_MARKS, O_GRAN, O_THREADS, O_ISA, O_WS, O_JSON,
};

static const char *const models[] = { "mlp", "cnn", "transformer", "lstm",
				      "mobilenet" };
static const char *const grans[] = { "block", "layer" };
static const char *const sizes[] = { "tiny", "small", "medium" };
static const char *const optims[] = { "sgd", "adam" };
static const char *const allocs[] = { "malloc", "sentinel" };
static const char *const onoff[] = { "off", "on" };
static const char *const isas[] = { "auto", "sse2", "avx2" };

static const struct option long_opts[] = {
	{ "model", required_argument, NULL, O_MODEL },
	{ "size", required_argument, NULL, O_SIZE },
	{ "steps", required_argument, NULL, O_STEPS },
	{ "seed", required_argument, NULL, O_SEED },
	{ "batch", required_argument, NULL, O_BATCH },
	{ "width", required_argument, NULL, O_WIDTH },
	{ "depth", required_argument, NULL, O_DEPTH },
	{ "seq", required_argument, NULL, O_SEQ },
	{ "image", required_argument, NULL, O_IMAGE },
	{ "in", required_argument, NULL, O_IN },
	{ "classes", required_argument, NULL, O_CLASSES },
	{ "heads", required_argument, NULL, O_HEADS },
	{ "optim", required_argument, NULL, O_OPTIM },
	{ "lr", required_argument, NULL, O_LR },
	{ "momentum", required_argument, NULL, O_MOMENTUM },
	{ "wd", required_argument, NULL, O_WD },
	{ "alloc", required_argument, NULL, O_ALLOC },
	{ "marks", required_argument, NULL, O_MARKS },
	{ "granularity", required_argument, NULL, O_GRAN },
	{ "threads", required_argument, NULL, O_THREADS },
	{ "isa", required_argument, NULL, O_ISA },
	{ "ws", required_argument, NULL, O_WS },
	{ "json", no_argument, NULL, O_JSON },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void __attribute__((noreturn, format(printf, 1, 2)))
bad(const char *fmt, ...)
{
	va_list ap;

	fputs("sentinel-train: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n(see sentinel-train --help)\n", stderr);
	exit(2);
}

static long long parse_int(const char *opt, const char *s, long long lo,
			   long long hi)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		bad("--%s: '%s' is not an integer in %lld..%lld", opt, s, lo, hi);
	return v;
}

static float parse_float(const char *opt, const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < 0)
		bad("--%s: '%s' is not a non-negative number", opt, s);
	return (float)v;
}

static int parse_choice(const char *opt, const char *s,
			const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return i;
	bad("--%s: unknown value '%s'", opt, s);
}

static void json_peak(const struct alloc_stats *m)
{
	printf("\"peak_bytes\":{");
	for (int k = 0; k < DK_COUNT; k++)
		printf("\"%s\":%" PRIu64 ",", dnn_kind_name((enum dnn_kind)k),
		       m->peak[k]);
	printf("\"total\":%" PRIu64 "}", m->peak_total);
}

static void json_num(double v)
{
	if (isfinite(v))
		printf("%.17g", v);
	else
		printf("null");
}

static const char *dir_name(enum dnn_dir d)
{
	return d == DIR_FWD ? "forward" : d == DIR_BWD ? "backward" :
	       d == DIR_OPT ? "optimizer" : "?";
}

static double mean_step(const struct train_result *r)
{
	int first = r->steps > 1 ? 1 : 0;
	double s = 0;

	for (int i = first; i < r->steps; i++)
		s += r->secs[i];
	return r->steps ? s / (r->steps - first) : 0;
}

/* The command line: the choices, and which config values it overrides. */
struct opts {
	struct {
		bool set;
		long long v;
		float f;
	} ov[O_JSON + 1];
	struct train_opts to;
	int model, size, fine;
	bool json, verbose;
};

/* Apply option @opt (a getopt_long() result) to @o; exits on a bad one. */
static void parse_opt(struct opts *o, int opt, char **argv)
{
	const char *name = NULL;

	for (const struct option *lo = long_opts; lo->name; lo++)
		if (lo->val == opt)
			name = lo->name;
	switch (opt) {
	case 'h':
		fputs(usage, stdout);
		exit(0);
	case 'v':
		o->verbose = true;
		break;
	case O_JSON:
		o->json = true;
		break;
	case O_MODEL:
		o->model = parse_choice(name, optarg, models, 5);
		break;
	case O_SIZE:
		o->size = parse_choice(name, optarg, sizes, 3);
		break;
	case O_OPTIM:
		o->ov[opt].set = true;
		o->ov[opt].v = parse_choice(name, optarg, optims, 2);
		break;
	case O_ALLOC:
		o->to.backend = (enum alloc_backend)parse_choice(name, optarg,
								 allocs, 2);
		break;
	case O_MARKS:
		o->to.marks = parse_choice(name, optarg, onoff, 2);
		break;
	case O_GRAN:
		o->fine = parse_choice(name, optarg, grans, 2);
		break;
	case O_WS:
		o->to.ws = parse_choice(name, optarg, onoff, 2);
		break;
	case O_ISA:
		if (ops_set_isa((enum ops_isa)parse_choice(name, optarg,
							   isas, 3)))
			bad("--isa: this CPU cannot run %s", optarg);
		break;
	case O_THREADS:
		if (parse_int(name, optarg, 1, 1024) != 1)
			bad("--threads: the engine is single-threaded; only 1 is supported");
		break;
	case O_LR:
	case O_MOMENTUM:
	case O_WD:
		o->ov[opt].set = true;
		o->ov[opt].f = parse_float(name, optarg);
		break;
	case O_SEED:
		o->ov[opt].set = true;
		o->ov[opt].v = parse_int(name, optarg, 0, INT64_MAX);
		break;
	case O_STEPS:
		o->ov[opt].set = true;
		o->ov[opt].v = parse_int(name, optarg, 0, 100000000);
		break;
	case ':':
		bad("option '%s' needs a value", argv[optind - 1]);
	case '?':
		if (optopt)
			bad("unknown option '-%c'", optopt);
		bad("unknown option '%s'", argv[optind - 1]);
	default:
		if (opt >= O_BATCH && opt <= O_HEADS) {
			o->ov[opt].set = true;
			o->ov[opt].v = parse_int(name, optarg, 1, 1 << 20);
			break;
		}
		bad("unexpected option");
	}
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	int opt;

	*o = (struct opts){
		.to = { .backend = ALLOC_MALLOC, .marks = true },
		.model = MODEL_MLP,
		.size = SIZE_TINY,
	};
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":hv", long_opts, NULL)) != -1)
		parse_opt(o, opt, argv);
	if (optind < argc)
		bad("unexpected argument '%s'", argv[optind]);
	if (o->to.ws && o->to.backend != ALLOC_MALLOC)
		bad("--ws=on measures with --alloc=malloc only");
}

/* The preset of the chosen model and size with the overrides of @o. */
static void make_config(const struct opts *o, struct config *c)
{
	const char *err;

	memset(c, 0, sizeof(*c));
	config_preset(c, (enum model_type)o->model, (enum size_preset)o->size);
	c->steps = 10;
	c->seed = 1;
	if (o->ov[O_STEPS].set)
		c->steps = (int)o->ov[O_STEPS].v;
	if (o->ov[O_SEED].set)
		c->seed = (uint64_t)o->ov[O_SEED].v;
	if (o->ov[O_BATCH].set)
		c->batch = (int)o->ov[O_BATCH].v;
	if (o->ov[O_WIDTH].set)
		c->width = (int)o->ov[O_WIDTH].v;
	if (o->ov[O_DEPTH].set)
		c->depth = (int)o->ov[O_DEPTH].v;
	if (o->ov[O_SEQ].set)
		c->seq = (int)o->ov[O_SEQ].v;
	if (o->ov[O_IMAGE].set)
		c->image = (int)o->ov[O_IMAGE].v;
	if (o->ov[O_IN].set)
		c->in_dim = (int)o->ov[O_IN].v;
	if (o->ov[O_CLASSES].set)
		c->classes = (int)o->ov[O_CLASSES].v;
	if (o->ov[O_HEADS].set)
		c->heads = (int)o->ov[O_HEADS].v;
	if (o->ov[O_OPTIM].set)
		c->optim = (enum optim_type)o->ov[O_OPTIM].v;
	if (o->ov[O_LR].set)
		c->lr = o->ov[O_LR].f;
	if (o->ov[O_MOMENTUM].set)
		c->momentum = o->ov[O_MOMENTUM].f;
	if (o->ov[O_WD].set)
		c->wd = o->ov[O_WD].f;
	c->fine = o->fine;
	err = config_check(c);
	if (err)
		bad("%s", err);
}

/* The two text lines before training: what runs, and its configuration. */
static void print_banner(const struct train_opts *to, const struct config *c)
{
	printf("sentinel-train: model %s size %s alloc %s marks %s seed %" PRIu64
	       " steps %d\n", model_name(c->model), size_name(c->size),
	       allocs[to->backend], onoff[to->marks], c->seed, c->steps);
	printf("config: batch %d width %d depth %d seq %d image %d in %d "
	       "classes %d heads %d optim %s lr %g granularity %s\n",
	       c->batch, c->width, c->depth, c->seq, c->image, c->in_dim,
	       c->classes, c->heads, optims[c->optim], (double)c->lr,
	       grans[c->fine]);
	fflush(stdout);
}

static void print_json(const struct train_opts *to, const struct config *c,
		       const struct train_result *res)
{
	printf("{\"model\":\"%s\",\"size\":\"%s\",\"alloc\":\"%s\","
	       "\"marks\":%s,\"seed\":%" PRIu64 ",\"session\":%s,",
	       model_name(c->model), size_name(c->size), allocs[to->backend],
	       to->marks ? "true" : "false", c->seed,
	       to->backend == ALLOC_SENTINEL && !res->session_err ?
	       "true" : "false");
	printf("\"config\":{\"batch\":%d,\"width\":%d,\"depth\":%d,"
	       "\"seq\":%d,\"image\":%d,\"in\":%d,\"classes\":%d,"
	       "\"heads\":%d,\"optim\":\"%s\",\"lr\":%g,\"steps\":%d,"
	       "\"granularity\":\"%s\"},",
	       c->batch, c->width, c->depth, c->seq, c->image, c->in_dim,
	       c->classes, c->heads, optims[c->optim], (double)c->lr, c->steps,
	       grans[c->fine]);
	printf("\"params\":%zu,\"layers\":%u,\"flop_per_step\":%" PRIu64
	       ",\"isa\":\"%s\",\"steps\":[", res->nparams, res->nlayers,
	       res->flops, ops_isa_name(ops_get_isa()));
	for (int i = 0; i < res->steps; i++) {
		printf("%s{\"step\":%d,\"loss\":", i ? "," : "", i + 1);
		json_num(res->loss[i]);
		printf(",\"loss_bits\":\"0x%016" PRIx64 "\",\"time_s\":%.6f}",
		       loss_bits(res->loss[i]), res->secs[i]);
	}
	printf("],\"final_loss\":");
	json_num(res->steps ? res->loss[res->steps - 1] : NAN);
	printf(",\"final_loss_bits\":\"0x%016" PRIx64 "\",",
	       res->steps ? loss_bits(res->loss[res->steps - 1]) : 0);
	printf("\"mean_step_s\":%.6f,", mean_step(res));
	if (to->ws)
		printf("\"working_set\":{\"bytes\":%" PRIu64 ",\"layer\":%u,"
		       "\"dir\":\"%s\",\"forward\":%" PRIu64 ",\"backward\":%"
		       PRIu64 ",\"optimizer\":%" PRIu64 "},", res->ws.max,
		       res->ws.max_layer, dir_name(res->ws.max_dir_of),
		       res->ws.max_dir[0], res->ws.max_dir[1],
		       res->ws.max_dir[2]);
	json_peak(&res->mem);
	printf("}\n");
}

static void print_text(const struct train_opts *to,
		       const struct train_result *res)
{
	printf("params %zu layers %u\n", res->nparams, res->nlayers);
	printf("flop per step %" PRIu64 " (matrix kernels, %s)\n",
	       res->flops, ops_isa_name(ops_get_isa()));
	if (res->steps)
		printf("final loss %.6f bits 0x%016" PRIx64 " (first %.6f)\n",
		       res->loss[res->steps - 1],
		       loss_bits(res->loss[res->steps - 1]), res->loss[0]);
	printf("mean step time %.4f s%s\n", mean_step(res),
	       res->steps > 1 ? " (steps 2..N)" : "");
	printf("peak footprint bytes:");
	for (int k = 0; k < DK_COUNT; k++)
		printf(" %s %" PRIu64, dnn_kind_name((enum dnn_kind)k),
		       res->mem.peak[k]);
	printf(" total %" PRIu64 " (%.1f MiB)\n", res->mem.peak_total,
	       res->mem.peak_total / 1048576.0);
	if (to->ws)
		printf("largest layer working set %" PRIu64 " bytes (layer %u "
		       "%s); per direction: forward %" PRIu64 " backward %"
		       PRIu64 " optimizer %" PRIu64 "\n", res->ws.max,
		       res->ws.max_layer, dir_name(res->ws.max_dir_of),
		       res->ws.max_dir[0], res->ws.max_dir[1],
		       res->ws.max_dir[2]);
}

int main(int argc, char **argv)
{
	struct opts o;
	struct config c;
	struct train_result res;
	int ret;

	parse_args(argc, argv, &o);
	make_config(&o, &c);
	o.to.progress = o.json ? NULL : stdout;
	o.to.verbose = o.verbose ? stderr : NULL;
	if (!o.json)
		print_banner(&o.to, &c);
	ret = train_run(&c, &o.to, &res);
	if (o.to.backend == ALLOC_SENTINEL && o.verbose)
		fprintf(stderr, "sentinel session: %s\n", res.session_err ?
			sntl_strerror(res.session_err) : "open");
	if (o.json)
		print_json(&o.to, &c, &res);
	else
		print_text(&o.to, &res);
	train_result_free(&res);
	return ret ? 1 : 0;
}
