// SPDX-License-Identifier: GPL-2.0
/*
 * plan-dump: read a profile blob (as SENTINEL_IOC_PROFILE_READ gives it)
 * from a file, plan it, simulate the schedule and print both.
 *
 *   plan-dump [options] PROFILE
 *     -b, --budget BYTES      fast budget (suffixes K, M, G)
 *     -p, --budget-pct PCT    fast budget as a percentage of all objects
 *     -r, --reserve BYTES     short-lived reservation (default: the peak)
 *     -w, --bw BYTES          migration bandwidth per second (default 1G)
 *     -s, --slow-factor F     slowdown of all-slow layers (default 3)
 *     -n, --interval N        force the interval length
 *     -P, --policy NAME       sentinel (default), hybrid, static, first-touch
 *     -g, --page-size BYTES   page size of the profiled machine
 *     -j, --json              JSON instead of text
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sentinel/size.h>

#include "plan_profile.h"
#include "planner.h"
#include "sim.h"

static uint64_t parse_size(const char *s)
{
	const char *why;
	uint64_t v;

	if (sntl_size_parse(s, &v, &why)) {
		fprintf(stderr, "plan-dump: bad size '%s': %s\n", s, why);
		exit(2);
	}
	return v;
}

static void usage(void)
{
	fprintf(stderr, "usage: plan-dump [-b BYTES | -p PCT] [-r BYTES] [-w BW] [-s F] [-n N]\n"
		"                 [-P sentinel|hybrid|static|first-touch] [-g PAGE] [-j] PROFILE\n");
	exit(2);
}

/* The command line. */
struct opts {
	struct plan_params p;
	struct sim_params sp;
	struct pp_opts po;
	const char *policy;
	const char *path;
	double pct;		/* fast budget in percent; -1: -b gave it */
	int json;
};

static void parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "budget", 1, 0, 'b' }, { "budget-pct", 1, 0, 'p' },
		{ "reserve", 1, 0, 'r' }, { "bw", 1, 0, 'w' },
		{ "slow-factor", 1, 0, 's' }, { "interval", 1, 0, 'n' },
		{ "policy", 1, 0, 'P' }, { "page-size", 1, 0, 'g' },
		{ "json", 0, 0, 'j' }, { 0 },
	};
	int c;

	*o = (struct opts){
		.p = { .bw = 1ULL << 30 },
		.sp = { .slow_factor = 3.0, .warm_steps = 1 },
		.policy = "sentinel",
		.pct = 20,
	};
	while ((c = getopt_long(argc, argv, "b:p:r:w:s:n:P:g:j", lo, NULL)) != -1) {
		switch (c) {
		case 'b': o->p.fast_budget = parse_size(optarg); o->pct = -1; break;
		case 'p': o->pct = atof(optarg); break;
		case 'r': o->p.short_reserve = parse_size(optarg); break;
		case 'w': o->p.bw = parse_size(optarg); break;
		case 's': o->sp.slow_factor = atof(optarg); break;
		case 'n': o->p.fixed_interval = strtoul(optarg, NULL, 0); break;
		case 'P': o->policy = optarg; break;
		case 'g': o->po.page_size = parse_size(optarg); break;
		case 'j': o->json = 1; break;
		default: usage();
		}
	}
	if (optind != argc - 1)
		usage();
	o->path = argv[optind];
}

/* The whole of @path in a malloc()ed buffer, or NULL. */
static unsigned char *read_file(const char *path, size_t *lenp)
{
	unsigned char *buf = NULL;
	size_t len = 0, cap = 0;
	FILE *f;

	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "plan-dump: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 1 << 16;
			buf = realloc(buf, cap);
			if (!buf)
				return NULL;
		}
		size_t n = fread(buf + len, 1, cap - len, f);

		if (!n)
			break;
		len += n;
	}
	fclose(f);
	*lenp = len;
	return buf;
}

/*
 * Read and parse the profile blob of @o; returns the buffer @pp refers to
 * (free it after pp_free()), or NULL after a message.
 */
static unsigned char *load_profile(const struct opts *o, struct pp_profile *pp)
{
	unsigned char *buf;
	size_t len = 0;
	char err[256];

	buf = read_file(o->path, &len);
	if (!buf)
		return NULL;
	if (pp_parse(buf, len, &o->po, pp, err, sizeof(err))) {
		fprintf(stderr, "plan-dump: %s: %s\n", o->path, err);
		return NULL;
	}
	return buf;
}

/* Plan with the policy of @o; an unknown policy is a usage error. */
static int run_policy(const struct opts *o, const struct pp_profile *pp,
		      struct plan_schedule *s, char *err, size_t errlen)
{
	if (!strcmp(o->policy, "sentinel"))
		return plan_build(&pp->in, &o->p, s, err, errlen);
	if (!strcmp(o->policy, "static"))
		return plan_static(&pp->in, &o->p, s, err, errlen);
	if (!strcmp(o->policy, "hybrid")) {
		struct plan_hybrid_params hp = { .slow_factor = o->sp.slow_factor };

		return plan_hybrid(&pp->in, &o->p, &hp, s, err, errlen);
	}
	if (!strcmp(o->policy, "first-touch"))
		return plan_first_touch(&pp->in, &o->p, s, err, errlen);
	usage();
	return -1;
}

static void print_json(const char *policy, const struct pp_profile *pp,
		       uint64_t total, const struct plan_schedule *s,
		       const struct sim_result *r)
{
	printf("{\"policy\":\"%s\",\"session\":%llu,\"objects\":%u,\"layers\":%u,"
	       "\"bytes\":%llu,\"fast_budget\":%llu,\"short_reserve\":%llu,"
	       "\"interval\":%u,\"flags\":%u,\"reason\":\"%s\",\"moves\":[",
	       policy, (unsigned long long)pp->session_id, pp->in.nr_objs,
	       pp->in.nr_layers, (unsigned long long)total,
	       (unsigned long long)s->fast_budget,
	       (unsigned long long)s->short_reserve, s->interval, s->flags,
	       s->reason);
	for (uint32_t i = 0; i < s->nr_moves; i++)
		printf("%s{\"boundary\":%u,\"op\":\"%s\",\"id\":%llu,\"bytes\":%llu}",
		       i ? "," : "", s->moves[i].boundary,
		       s->moves[i].op == PLAN_PROMOTE ? "promote" : "demote",
		       (unsigned long long)pp->objs[s->moves[i].obj].id,
		       (unsigned long long)pp->objs[s->moves[i].obj].bytes);
	printf("],\"objects_plan\":[");
	for (uint32_t o = 0; o < pp->in.nr_objs; o++)
		printf("%s{\"id\":%llu,\"bytes\":%llu,\"class\":\"%s\",\"initial\":\"%s\",\"group\":%u}",
		       o ? "," : "", (unsigned long long)pp->objs[o].id,
		       (unsigned long long)pp->objs[o].bytes,
		       plan_cls_name(s->objs[o].cls),
		       s->objs[o].initial ? "fast" : "slow", s->objs[o].group);
	printf("],\"sim\":{\"max_fast\":%llu,\"promoted\":%llu,\"demoted\":%llu,"
	       "\"late\":%u,\"hit_ratio\":%.6f,\"step_ns\":%llu,\"compute_ns\":%llu}}\n",
	       (unsigned long long)r->max_fast,
	       (unsigned long long)r->promoted_bytes,
	       (unsigned long long)r->demoted_bytes, r->late, r->hit_ratio,
	       (unsigned long long)r->step_ns, (unsigned long long)r->compute_ns);
}

/* The moves of every layer boundary that has any, one line a boundary. */
static void print_bounds(const struct pp_profile *pp,
			 const struct plan_schedule *s)
{
	for (uint32_t b = 0; b < s->nr_layers; b++) {
		const struct plan_bound *bo = &s->bounds[b];

		if (!bo->nr_demote && !bo->nr_promote)
			continue;
		printf("boundary %u (layer %u):", b, pp->layers[b].layer);
		for (uint32_t i = 0; i < bo->nr_demote + bo->nr_promote; i++) {
			const struct plan_move *m = &s->moves[bo->first + i];

			printf(" %c%#llx", m->op == PLAN_PROMOTE ? '+' : '-',
			       (unsigned long long)pp->objs[m->obj].id);
		}
		printf("\n");
	}
}

static void print_text(const char *policy, const struct pp_profile *pp,
		       uint64_t total, const struct plan_schedule *s,
		       const struct sim_interval *iv, const struct sim_result *r)
{
	printf("profile: session %llu, %u steps (%u used), %u layers, %u objects (%u estimated), %llu bytes\n",
	       (unsigned long long)pp->session_id, pp->nr_steps, pp->steps_used,
	       pp->in.nr_layers, pp->in.nr_objs, pp->nr_estimated,
	       (unsigned long long)total);
	printf("policy %s: S %llu, RS %llu (peak short %llu), S-RS %llu, N %u (%u intervals), pinned %llu, flags %#x\n",
	       policy, (unsigned long long)s->fast_budget,
	       (unsigned long long)s->short_reserve,
	       (unsigned long long)s->peak_short,
	       (unsigned long long)s->long_budget, s->interval, s->nr_intervals,
	       (unsigned long long)s->pinned_bytes, s->flags);
	if (s->reason[0])
		printf("note: %s\n", s->reason);
	for (uint32_t i = 0; i < s->nr_cands; i++)
		printf("  N=%-4u %s max set %llu, wait %llu ns, moved %llu\n",
		       s->cands[i].n, s->cands[i].feasible ? "fits " : "no   ",
		       (unsigned long long)s->cands[i].max_set,
		       (unsigned long long)s->cands[i].cost_ns,
		       (unsigned long long)s->cands[i].moved);
	print_bounds(pp, s);
	for (uint32_t k = 0; k < s->nr_intervals; k++)
		printf("interval %u: layers %u-%u, compute %llu ns, migration %llu ns, late %llu ns\n",
		       k, iv[k].first_layer, iv[k].first_layer + iv[k].nr_layers - 1,
		       (unsigned long long)iv[k].compute_ns,
		       (unsigned long long)iv[k].mig_ns,
		       (unsigned long long)iv[k].late_ns);
	printf("sim: max fast %llu, promoted %llu, demoted %llu, late %u (%llu ns), hit ratio %.4f, step %llu ns (fast-only %llu)\n",
	       (unsigned long long)r->max_fast,
	       (unsigned long long)r->promoted_bytes,
	       (unsigned long long)r->demoted_bytes, r->late,
	       (unsigned long long)r->late_ns, r->hit_ratio,
	       (unsigned long long)r->step_ns, (unsigned long long)r->compute_ns);
}

int main(int argc, char **argv)
{
	struct opts o;
	char err[256];
	struct pp_profile pp;
	struct plan_schedule s;
	struct sim_result r;
	struct sim_interval *iv = NULL;
	unsigned char *buf;
	uint64_t total = 0;

	parse_args(argc, argv, &o);
	buf = load_profile(&o, &pp);
	if (!buf)
		return 1;
	for (uint32_t i = 0; i < pp.in.nr_objs; i++)
		total += pp.objs[i].bytes;
	if (o.pct >= 0)
		o.p.fast_budget = (uint64_t)((double)total * o.pct / 100.0);
	o.sp.bw = o.p.bw;
	if (run_policy(&o, &pp, &s, err, sizeof(err))) {
		fprintf(stderr, "plan-dump: planning failed: %s\n", err);
		return 1;
	}
	iv = calloc(s.nr_intervals + 1, sizeof(*iv));
	if (!iv || plan_simulate(&pp.in, &s, &o.sp, &r, iv)) {
		fprintf(stderr, "plan-dump: simulation failed: %s\n", iv ? r.error : "");
		return 1;
	}

	if (o.json)
		print_json(o.policy, &pp, total, &s, &r);
	else
		print_text(o.policy, &pp, total, &s, iv, &r);
	free(iv);
	plan_free(&s);
	pp_free(&pp);
	free(buf);
	return 0;
}
