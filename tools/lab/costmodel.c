// SPDX-License-Identifier: GPL-2.0
/* Tier-lab cost model and profile parser; see costmodel.h. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "costmodel.h"

int lab_cost_tier(const struct lab_profile *p, int slot)
{
	if (slot == LAB_NODE_OTHER || slot < 0)
		return 0;
	return slot < p->ntiers ? slot : p->ntiers - 1;
}

void lab_cost_vcpu(const struct lab_profile *p, const struct lab_counters *c,
		   unsigned int line, struct lab_cost *out)
{
	memset(out, 0, sizeof(*out));
	out->cpu_ns = (double)c->insns * p->cpi / p->freq_ghz;
	for (int s = 0; s < LAB_SLOTS; s++) {
		const struct lab_tier *t = &p->tier[lab_cost_tier(p, s)];
		uint64_t stalls = c->miss[s] > c->seq[s] ? c->miss[s] - c->seq[s] : 0;

		out->lat_ns += (double)stalls * t->latency_ns;
		out->bytes[s] = (double)(c->miss[s] + c->wb[s]) * line;
		out->bw_ns += out->bytes[s] / t->bandwidth_gbs;
	}
	out->total_ns = fmax(out->cpu_ns + out->lat_ns, out->bw_ns);
}

double lab_cost_phase(const struct lab_profile *p, const struct lab_counters *c,
		      unsigned int n, unsigned int line, uint64_t vcpu_mask,
		      struct lab_cost *per, int *critical)
{
	double best = 0;
	int crit = -1;

	for (unsigned int i = 0; i < n; i++) {
		struct lab_cost k;

		lab_cost_vcpu(p, &c[i], line, &k);
		if (per)
			per[i] = k;
		if (i < 64 && !(vcpu_mask >> i & 1))
			continue;
		if (crit < 0 || k.total_ns > best) {
			best = k.total_ns;
			crit = (int)i;
		}
	}
	if (critical)
		*critical = crit;
	return best;
}

/* ---- profile parser ------------------------------------------------- */

#define SET_CPI 0x1u
#define SET_FREQ 0x2u

struct pstate {
	struct lab_profile *p;
	unsigned int set;
	unsigned int lat_set, bw_set; /* bit per tier */
};

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int positive(const char *v, double *out)
{
	char *end;
	double x;

	errno = 0;
	x = strtod(v, &end);
	if (errno || end == v || *end || !isfinite(x) || x <= 0)
		return -1;
	*out = x;
	return 0;
}

/* Check the profile that ends; 0 or -1 with err. */
static int finish(struct pstate *st, const char *file, char *err, size_t len)
{
	struct lab_profile *p = st->p;
	int nt = 0;

	if (!p)
		return 0;
	if (!(st->set & SET_CPI) || !(st->set & SET_FREQ)) {
		snprintf(err, len, "%s:%d: profile '%s' lacks %s", file, p->line,
			 p->name, !(st->set & SET_CPI) ? "cpi" : "freq_ghz");
		return -1;
	}
	while (nt < LAB_MAX_NODES && ((st->lat_set | st->bw_set) >> nt))
		nt++;
	if (nt == 0) {
		snprintf(err, len, "%s:%d: profile '%s' has no node0 tier",
			 file, p->line, p->name);
		return -1;
	}
	for (int t = 0; t < nt; t++) {
		if (!(st->lat_set >> t & 1) || !(st->bw_set >> t & 1)) {
			snprintf(err, len, "%s:%d: profile '%s' lacks node%d.%s",
				 file, p->line, p->name, t,
				 !(st->lat_set >> t & 1) ? "latency_ns"
							 : "bandwidth_gbs");
			return -1;
		}
	}
	p->ntiers = nt;
	return 0;
}

/* Where a parse stands: the profiles so far, the open one, where errors go. */
struct parser {
	const char *file;
	char *err;
	size_t len;
	int lineno;
	struct lab_profile *out;
	int n, max;
	struct pstate st;
};

/* Check a '[name]' line, cut it to its name; the name or NULL with err. */
static char *section_name(struct parser *ps, char *line)
{
	char *close = strchr(line, ']');
	char *key;

	if (!close || close[1] || close == line + 1) {
		snprintf(ps->err, ps->len, "%s:%d: bad section header '%s'",
			 ps->file, ps->lineno, line);
		return NULL;
	}
	*close = '\0';
	key = trim(line + 1);
	for (char *c = key; *c; c++) {
		if (!isalnum((unsigned char)*c) && *c != '-' &&
		    *c != '_' && *c != '.') {
			snprintf(ps->err, ps->len,
				 "%s:%d: bad profile name '%s'",
				 ps->file, ps->lineno, key);
			return NULL;
		}
	}
	if (strlen(key) >= LAB_PROFILE_NAME) {
		snprintf(ps->err, ps->len, "%s:%d: profile name too long",
			 ps->file, ps->lineno);
		return NULL;
	}
	return key;
}

/* A section header: check the open profile and begin the next. */
static int section(struct parser *ps, char *line)
{
	char *key = section_name(ps, line);

	if (!key)
		return -1;
	if (finish(&ps->st, ps->file, ps->err, ps->len))
		return -1;
	if (lab_profile_find(ps->out, ps->n, key)) {
		snprintf(ps->err, ps->len, "%s:%d: profile '%s' defined twice",
			 ps->file, ps->lineno, key);
		return -1;
	}
	if (ps->n == ps->max) {
		snprintf(ps->err, ps->len,
			 "%s:%d: too many profiles (at most %d)",
			 ps->file, ps->lineno, ps->max);
		return -1;
	}
	ps->st = (struct pstate){ .p = &ps->out[ps->n++] };
	memset(ps->st.p, 0, sizeof(*ps->st.p));
	strcpy(ps->st.p->name, key);
	ps->st.p->line = ps->lineno;
	return 0;
}

/*
 * Check a numeric key: cpi, freq_ghz or nodeN.latency_ns and
 * nodeN.bandwidth_gbs, whose node and field (32 bytes) it sets.
 * 0 or -1 with err.
 */
static int number_key(struct parser *ps, const char *key, int *node,
		      char *field)
{
	if (!strcmp(key, "cpi") || !strcmp(key, "freq_ghz")) {
		/* no node */
	} else if (sscanf(key, "node%d.%31s", node, field) == 2 &&
		   (!strcmp(field, "latency_ns") ||
		    !strcmp(field, "bandwidth_gbs"))) {
		char chk[48];

		snprintf(chk, sizeof(chk), "node%d.%s", *node, field);
		if (strcmp(chk, key) || *node < 0 ||
		    *node >= LAB_MAX_NODES) {
			snprintf(ps->err, ps->len,
				 "%s:%d: bad key '%s' (nodes are node0 to node%d)",
				 ps->file, ps->lineno, key, LAB_MAX_NODES - 1);
			return -1;
		}
	} else {
		snprintf(ps->err, ps->len,
			 "%s:%d: unknown key '%s' (known: description, cpi, freq_ghz, nodeN.latency_ns, nodeN.bandwidth_gbs)",
			 ps->file, ps->lineno, key);
		return -1;
	}
	return 0;
}

/* Store the value x of a key number_key() accepted and note it set. */
static void set_number(struct pstate *st, const char *key, int node,
		       const char *field, double x)
{
	if (!strcmp(key, "cpi")) {
		st->p->cpi = x;
		st->set |= SET_CPI;
	} else if (!strcmp(key, "freq_ghz")) {
		st->p->freq_ghz = x;
		st->set |= SET_FREQ;
	} else if (!strcmp(field, "latency_ns")) {
		st->p->tier[node].latency_ns = x;
		st->lat_set |= 1u << node;
	} else {
		st->p->tier[node].bandwidth_gbs = x;
		st->bw_set |= 1u << node;
	}
}

/* A 'key = value' line of the open profile; 0 or -1 with err. */
static int assignment(struct parser *ps, char *line)
{
	char *eq = strchr(line, '='), *key, *val;
	char field[32] = "";
	int node = -1;
	double x;

	if (!eq) {
		snprintf(ps->err, ps->len,
			 "%s:%d: expected 'key = value' or '[profile]'",
			 ps->file, ps->lineno);
		return -1;
	}
	*eq = '\0';
	key = trim(line);
	val = trim(eq + 1);
	if (!ps->st.p) {
		snprintf(ps->err, ps->len,
			 "%s:%d: '%s' outside a [profile] section",
			 ps->file, ps->lineno, key);
		return -1;
	}
	if (!strcmp(key, "description")) {
		snprintf(ps->st.p->description, sizeof(ps->st.p->description),
			 "%s", val);
		return 0;
	}
	if (number_key(ps, key, &node, field))
		return -1;
	if (positive(val, &x)) {
		snprintf(ps->err, ps->len,
			 "%s:%d: %s: '%s' is not a positive number",
			 ps->file, ps->lineno, key, val);
		return -1;
	}
	set_number(&ps->st, key, node, field, x);
	return 0;
}

int lab_profiles_parse(const char *text, const char *file,
		       struct lab_profile *out, int max, char *err,
		       size_t len)
{
	struct parser ps = { .file = file, .err = err, .len = len,
			     .out = out, .max = max };
	const char *s = text;

	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t l = nl ? (size_t)(nl - s) : strlen(s);
		char buf[512], *line, *hash;

		ps.lineno++;
		if (l >= sizeof(buf)) {
			snprintf(err, len, "%s:%d: line too long", file,
				 ps.lineno);
			return -1;
		}
		memcpy(buf, s, l);
		buf[l] = '\0';
		s += l + (nl ? 1 : 0);

		hash = strchr(buf, '#');
		if (hash)
			*hash = '\0';
		line = trim(buf);
		if (!*line)
			continue;
		if (*line == '[' ? section(&ps, line) : assignment(&ps, line))
			return -1;
	}
	if (finish(&ps.st, file, err, len))
		return -1;
	if (ps.n == 0) {
		snprintf(err, len, "%s: no profiles", file);
		return -1;
	}
	return ps.n;
}

const struct lab_profile *lab_profile_find(const struct lab_profile *p, int n,
					   const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(p[i].name, name))
			return &p[i];
	return NULL;
}
