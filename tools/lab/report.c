// SPDX-License-Identifier: GPL-2.0
/*
 * lab-report - modeled time per phase from a tier-lab record file.
 *
 *   lab-report [-p PROFILE] [-f PROFILES] [--vcpus LIST] [--json] RECORDS
 *   lab-report --list [-f PROFILES]
 *
 * RECORDS is the JSON-lines file the plugin wrote (out=...).  A phase runs
 * from one marker record to the next while counting is on; its modeled
 * time is computed by costmodel.c from every vCPU's counter deltas.
 * Steps (step_begin N .. step_end N) and layers (layer_begin N ..
 * layer_end N) are summed from their phases.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "costmodel.h"
#include "jsonr.h"
#include "marker.h"

#ifndef LAB_PROFILES
#define LAB_PROFILES "tools/lab/profiles.conf"
#endif

#define MAX_PROFILES 32

struct rec {
	uint64_t seq;
	char kind[24];
	bool has_value;
	uint32_t value;
	int vcpu;
	bool on;
	bool has_wall;
	uint64_t wall_ns;	   /* host clock at the record (delay mode's cross-check) */
	struct lab_counters *cpus; /* nvcpus entries */
};

struct sum {
	uint32_t id;
	unsigned int phases;
	double ns;
};

static unsigned int nvcpus, line_size = 64;
static int nnodes;
static struct rec *recs;
static size_t nrecs;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("lab-report: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t n = 0, cap = 0;

	if (!f)
		die("%s: %s", path, strerror(errno));
	for (;;) {
		if (cap - n < 65536) {
			cap = cap ? cap * 2 : 1 << 20;
			buf = realloc(buf, cap);
			if (!buf)
				die("out of memory");
		}
		size_t r = fread(buf + n, 1, cap - n - 1, f);

		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f))
		die("%s: read error", path);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static void get_array(const struct json *cpu, const char *key, uint64_t *dst,
		      const char *file, size_t lineno)
{
	const struct json *a = json_get(cpu, key);

	if (!a || a->type != JSON_ARR || a->n != (size_t)nnodes + 1)
		die("%s:%zu: '%s' must be an array of %d numbers", file, lineno,
		    key, nnodes + 1);
	for (size_t i = 0; i < a->n; i++) {
		if (a->items[i].type != JSON_NUM || !a->items[i].is_uint)
			die("%s:%zu: bad number in '%s'", file, lineno, key);
		dst[i == (size_t)nnodes ? LAB_NODE_OTHER : i] = a->items[i].u;
	}
}

/* Append marker record @j (line @lineno of @file) to recs, of room *@cap. */
static void add_rec(const struct json *j, const char *file, size_t lineno,
		    size_t *cap)
{
	const struct json *cpus = json_get(j, "cpus");
	const struct json *kind = json_get(j, "kind");
	const struct json *on = json_get(j, "on");
	const struct json *vc = json_get(j, "vcpu");
	struct rec *r;

	if (!cpus || cpus->type != JSON_ARR || cpus->n != nvcpus ||
	    !kind || kind->type != JSON_STR || !on ||
	    on->type != JSON_BOOL || !vc || vc->type != JSON_NUM)
		die("%s:%zu: malformed marker record", file, lineno);
	if (nrecs == *cap) {
		*cap = *cap ? *cap * 2 : 256;
		recs = realloc(recs, *cap * sizeof(*recs));
		if (!recs)
			die("out of memory");
	}
	r = &recs[nrecs++];
	memset(r, 0, sizeof(*r));
	r->seq = json_u64(j, "seq", 0);
	snprintf(r->kind, sizeof(r->kind), "%s", kind->str);
	r->has_value = json_get(j, "value") != NULL;
	r->value = (uint32_t)json_u64(j, "value", 0);
	r->vcpu = (int)vc->num;
	r->on = on->b;
	r->has_wall = json_get(j, "wall_ns") != NULL;
	r->wall_ns = json_u64(j, "wall_ns", 0);
	r->cpus = calloc(nvcpus, sizeof(*r->cpus));
	if (!r->cpus)
		die("out of memory");
	for (unsigned int i = 0; i < nvcpus; i++) {
		const struct json *c = &cpus->items[i];
		struct lab_counters *k = &r->cpus[i];

		k->insns = json_u64(c, "insns", 0);
		k->loads = json_u64(c, "loads", 0);
		k->stores = json_u64(c, "stores", 0);
		k->hits = json_u64(c, "hits", 0);
		k->io = json_u64(c, "io", 0);
		get_array(c, "miss", k->miss, file, lineno);
		get_array(c, "seq", k->seq, file, lineno);
		get_array(c, "wb", k->wb, file, lineno);
	}
}

static void load(const char *file)
{
	char *text = slurp(file), *s = text, err[160];
	size_t lineno = 0, cap = 0;
	bool header = false;

	while (*s) {
		char *nl = strchr(s, '\n');
		struct json *j;

		lineno++;
		if (nl)
			*nl = '\0';
		if (!*s) {
			s = nl ? nl + 1 : s + strlen(s);
			continue;
		}
		j = json_parse(s, err, sizeof(err));
		if (!j)
			die("%s:%zu: %s", file, lineno, err);
		if (json_get(j, "lab")) {
			const struct json *c = json_get(j, "cache");

			nvcpus = (unsigned int)json_u64(j, "vcpus", 0);
			nnodes = (int)json_u64(j, "nnodes", 0);
			line_size = (unsigned int)json_u64(c, "line", 0);
			if (!nvcpus || nvcpus > 4096 || nnodes < 1 ||
			    nnodes > LAB_MAX_NODES || !line_size)
				die("%s:%zu: bad header record", file, lineno);
			header = true;
		} else if (json_get(j, "seq")) {
			if (!header)
				die("%s:%zu: record before the header", file, lineno);
			add_rec(j, file, lineno, &cap);
		}
		json_free(j);
		s = nl ? nl + 1 : s + strlen(s);
	}
	free(text);
	if (!header)
		die("%s: no header record (is it a tier-lab record file?)", file);
}

static uint64_t parse_vcpus(const char *s)
{
	uint64_t m = 0;
	char *end;

	while (*s) {
		unsigned long a = strtoul(s, &end, 10), b = a;

		if (end == s)
			die("bad --vcpus list '%s'", s);
		if (*end == '-') {
			s = end + 1;
			b = strtoul(s, &end, 10);
			if (end == s)
				die("bad --vcpus list");
		}
		if (a > b || b > 63)
			die("--vcpus: vCPUs are 0 to 63");
		for (unsigned long i = a; i <= b; i++)
			m |= 1ull << i;
		s = end;
		if (*s == ',')
			s++;
		else if (*s)
			die("bad --vcpus list");
	}
	return m;
}

static void add_sum(struct sum **v, size_t *n, uint32_t id, double ns)
{
	for (size_t i = 0; i < *n; i++) {
		if ((*v)[i].id == id) {
			(*v)[i].ns += ns;
			(*v)[i].phases++;
			return;
		}
	}
	*v = realloc(*v, (*n + 1) * sizeof(**v));
	if (!*v)
		die("out of memory");
	(*v)[(*n)++] = (struct sum){ .id = id, .phases = 1, .ns = ns };
}

static void print_sums(const char *name, const struct sum *v, size_t n,
		       bool json)
{
	if (json) {
		printf(",\"%ss\":[", name);
		for (size_t i = 0; i < n; i++)
			printf("%s{\"%s\":%u,\"phases\":%u,\"time_ns\":%.3f}",
			       i ? "," : "", name, v[i].id, v[i].phases, v[i].ns);
		printf("]");
		return;
	}
	for (size_t i = 0; i < n; i++)
		printf("%-6s %-8u %6u phases %14.3f us\n", name, v[i].id,
		       v[i].phases, v[i].ns / 1000);
}

static void usage(void)
{
	puts("usage: lab-report [-p PROFILE] [-f PROFILES] [--vcpus LIST] [--json] RECORDS\n"
	     "       lab-report --list [-f PROFILES]\n"
	     "  -p, --profile NAME   hardware profile (default: dram-optane)\n"
	     "  -f, --profiles FILE  profile file (default: " LAB_PROFILES ")\n"
	     "      --vcpus LIST     vCPUs whose work a phase waits for (default: all)\n"
	     "      --json           JSON instead of a table\n"
	     "      --list           list the profiles");
}

/* The command line. */
struct opts {
	const char *pname, *pfile;
	const char *records;	/* the one argument, NULL if not exactly one */
	uint64_t mask;
	bool json, list;
};

/* The state of a report while it walks the phases. */
struct report {
	const struct lab_profile *prof;
	uint64_t mask;
	bool json;
	struct lab_counters *d;	/* per vCPU: counter deltas of the phase */
	struct lab_cost *per;	/* per vCPU: modeled time of the phase */
	struct sum *steps, *layers;
	size_t nsteps, nlayers;
	bool in_step, in_layer;
	uint32_t step, layer;
	double total;
	unsigned int nphases;
};

static void parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option opts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "profiles", required_argument, NULL, 'f' },
		{ "vcpus", required_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	*o = (struct opts){
		.pname = "dram-optane",
		.pfile = LAB_PROFILES,
		.mask = ~0ull,
	};
	while ((c = getopt_long(argc, argv, "p:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': o->pname = optarg; break;
		case 'f': o->pfile = optarg; break;
		case 'v': o->mask = parse_vcpus(optarg); break;
		case 'j': o->json = true; break;
		case 'l': o->list = true; break;
		case 'h': usage(); exit(0);
		default: usage(); exit(2);
		}
	}
	o->records = optind == argc - 1 ? argv[optind] : NULL;
}

/* Read the profile file into @profs; returns how many it has. */
static int load_profiles(const char *pfile, struct lab_profile *profs)
{
	char err[256], *text;
	int np;

	text = slurp(pfile);
	np = lab_profiles_parse(text, pfile, profs, MAX_PROFILES, err, sizeof(err));
	free(text);
	if (np < 0)
		die("%s", err);
	return np;
}

/* The profile and, for the table, the column titles. */
static void print_head(const struct report *rp)
{
	const struct lab_profile *prof = rp->prof;

	if (rp->json) {
		printf("{\"profile\":\"%s\",\"cpi\":%g,\"freq_ghz\":%g,\"tiers\":[",
		       prof->name, prof->cpi, prof->freq_ghz);
		for (int t = 0; t < prof->ntiers; t++)
			printf("%s{\"latency_ns\":%g,\"bandwidth_gbs\":%g}",
			       t ? "," : "", prof->tier[t].latency_ns,
			       prof->tier[t].bandwidth_gbs);
		printf("],\"line\":%u,\"phases\":[", line_size);
		return;
	}
	printf("profile %s: cpi %g at %g GHz", prof->name, prof->cpi,
	       prof->freq_ghz);
	for (int t = 0; t < prof->ntiers; t++)
		printf("; node%d %g ns %g GB/s", t, prof->tier[t].latency_ns,
		       prof->tier[t].bandwidth_gbs);
	printf("\n%5s %-13s %10s %4s %12s %11s %11s", "seq", "marker",
	       "value", "vcpu", "insns", "loads", "stores");
	for (int n = 0; n < nnodes; n++)
		printf("   miss.n%d     wb.n%d", n, n);
	printf(" %14s %4s\n", "time(us)", "crit");
}

/* One vCPU's share of a phase as a JSON object. */
static void print_vcpu_json(unsigned int v, const struct lab_counters *k,
			    const struct lab_cost *per)
{
	const uint64_t *arrs[3] = { k->miss, k->seq, k->wb };
	const char *names[3] = { "miss", "seq", "wb" };

	printf("%s{\"time_ns\":%.3f,\"cpu_ns\":%.3f,\"lat_ns\":%.3f,\"bw_ns\":%.3f,"
	       "\"insns\":%llu,\"loads\":%llu,\"stores\":%llu,\"hits\":%llu,\"io\":%llu",
	       v ? "," : "", per->total_ns, per->cpu_ns,
	       per->lat_ns, per->bw_ns,
	       (unsigned long long)k->insns,
	       (unsigned long long)k->loads,
	       (unsigned long long)k->stores,
	       (unsigned long long)k->hits,
	       (unsigned long long)k->io);
	for (int x = 0; x < 3; x++) {
		printf(",\"%s\":[", names[x]);
		for (int n = 0; n < nnodes; n++)
			printf("%llu,", (unsigned long long)arrs[x][n]);
		printf("%llu]", (unsigned long long)arrs[x][LAB_NODE_OTHER]);
	}
	printf("}");
}

/* The phase from record @a to record @b as a JSON object. */
static void print_phase_json(const struct report *rp, const struct rec *a,
			     const struct rec *b, double ns, int crit)
{
	printf("%s{\"seq\":%llu,\"kind\":\"%s\",", rp->nphases > 1 ? "," : "",
	       (unsigned long long)a->seq, a->kind);
	if (a->has_value)
		printf("\"value\":%u,", a->value);
	if (a->has_wall && b->has_wall && b->wall_ns >= a->wall_ns)
		printf("\"wall_ns\":%llu,", (unsigned long long)(b->wall_ns - a->wall_ns));
	printf("\"vcpu\":%d,\"end_seq\":%llu,\"time_ns\":%.3f,\"critical_vcpu\":%d,\"vcpus\":[",
	       a->vcpu, (unsigned long long)b->seq, ns, crit);
	for (unsigned int v = 0; v < nvcpus; v++)
		print_vcpu_json(v, &rp->d[v], &rp->per[v]);
	printf("]}");
}

/* The phase starting at record @a as a table row; @sum is over all vCPUs. */
static void print_phase_text(const struct rec *a, const struct lab_counters *sum,
			     double ns, int crit)
{
	char val[16] = "-";

	if (a->has_value)
		snprintf(val, sizeof(val), "%u", a->value);
	printf("%5llu %-13s %10s %4d %12llu %11llu %11llu",
	       (unsigned long long)a->seq, a->kind, val, a->vcpu,
	       (unsigned long long)sum->insns,
	       (unsigned long long)sum->loads,
	       (unsigned long long)sum->stores);
	for (int n = 0; n < nnodes; n++)
		printf(" %10llu %9llu", (unsigned long long)sum->miss[n],
		       (unsigned long long)sum->wb[n]);
	printf(" %14.3f %4d\n", ns / 1000, crit);
}

/* Follow the step and layer markers: is record @a inside one, and which. */
static void track_marker(struct report *rp, const struct rec *a)
{
	unsigned int kind = lab_kind_parse(a->kind);

	if (kind == LAB_K_STEP_BEGIN) {
		rp->in_step = true;
		rp->step = a->value;
	} else if (kind == LAB_K_STEP_END) {
		rp->in_step = false;
	} else if (kind == LAB_K_LAYER_BEGIN) {
		rp->in_layer = true;
		rp->layer = a->value;
	} else if (kind == LAB_K_LAYER_END) {
		rp->in_layer = false;
	}
}

/* Model and print every phase counted, summing steps and layers. */
static void run_phases(struct report *rp)
{
	for (size_t i = 0; i + 1 < nrecs; i++) {
		const struct rec *a = &recs[i], *b = &recs[i + 1];
		struct lab_counters sum = { 0 };
		int crit;
		double ns;

		track_marker(rp, a);
		if (!a->on)
			continue;
		for (unsigned int v = 0; v < nvcpus; v++) {
			lab_counters_sub(&rp->d[v], &b->cpus[v], &a->cpus[v]);
			lab_counters_add(&sum, &rp->d[v]);
		}
		ns = lab_cost_phase(rp->prof, rp->d, nvcpus, line_size, rp->mask,
				    rp->per, &crit);
		rp->total += ns;
		rp->nphases++;
		if (rp->in_step)
			add_sum(&rp->steps, &rp->nsteps, rp->step, ns);
		if (rp->in_layer)
			add_sum(&rp->layers, &rp->nlayers, rp->layer, ns);
		if (rp->json)
			print_phase_json(rp, a, b, ns, crit);
		else
			print_phase_text(a, &sum, ns, crit);
	}
}

static void print_totals(const struct report *rp)
{
	if (rp->json) {
		printf("],\"total_ns\":%.3f", rp->total);
		print_sums("step", rp->steps, rp->nsteps, true);
		print_sums("layer", rp->layers, rp->nlayers, true);
		printf("}\n");
	} else {
		printf("total  %u phases %14.3f us\n", rp->nphases, rp->total / 1000);
		print_sums("step", rp->steps, rp->nsteps, false);
		print_sums("layer", rp->layers, rp->nlayers, false);
	}
}

int main(int argc, char **argv)
{
	struct lab_profile profs[MAX_PROFILES];
	struct report rp = { 0 };
	struct opts o;
	int np;

	parse_args(argc, argv, &o);
	np = load_profiles(o.pfile, profs);
	if (o.list) {
		for (int i = 0; i < np; i++)
			printf("%-16s %s\n", profs[i].name, profs[i].description);
		return 0;
	}
	if (!o.records) {
		usage();
		return 2;
	}
	rp.prof = lab_profile_find(profs, np, o.pname);
	if (!rp.prof)
		die("no profile '%s' in %s (see --list)", o.pname, o.pfile);
	load(o.records);

	rp.mask = o.mask;
	rp.json = o.json;
	rp.d = calloc(nvcpus, sizeof(*rp.d));
	rp.per = calloc(nvcpus, sizeof(*rp.per));
	if (!rp.d || !rp.per)
		die("out of memory");
	print_head(&rp);
	run_phases(&rp);
	print_totals(&rp);
	for (size_t i = 0; i < nrecs; i++)
		free(recs[i].cpus);
	free(recs);
	free(rp.d);
	free(rp.per);
	free(rp.steps);
	free(rp.layers);
	return 0;
}
