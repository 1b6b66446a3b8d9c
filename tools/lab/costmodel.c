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

int lab_profiles_parse(const char *text, const char *file,
		       struct lab_profile *out, int max, char *err,
		       size_t len)
{
	struct pstate st = { 0 };
	int n = 0, lineno = 0;
	const char *s = text;

	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t l = nl ? (size_t)(nl - s) : strlen(s);
		char buf[512], *line, *hash, *eq, *key, *val;

		lineno++;
		if (l >= sizeof(buf)) {
			snprintf(err, len, "%s:%d: line too long", file, lineno);
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

		if (*line == '[') {
			char *close = strchr(line, ']');

			if (!close || close[1] || close == line + 1) {
				snprintf(err, len, "%s:%d: bad section header '%s'",
					 file, lineno, line);
				return -1;
			}
			*close = '\0';
			key = trim(line + 1);
			for (char *c = key; *c; c++) {
				if (!isalnum((unsigned char)*c) && *c != '-' &&
				    *c != '_' && *c != '.') {
					snprintf(err, len,
						 "%s:%d: bad profile name '%s'",
						 file, lineno, key);
					return -1;
				}
			}
			if (strlen(key) >= LAB_PROFILE_NAME) {
				snprintf(err, len, "%s:%d: profile name too long",
					 file, lineno);
				return -1;
			}
			if (finish(&st, file, err, len))
				return -1;
			if (lab_profile_find(out, n, key)) {
				snprintf(err, len, "%s:%d: profile '%s' defined twice",
					 file, lineno, key);
				return -1;
			}
			if (n == max) {
				snprintf(err, len, "%s:%d: too many profiles (at most %d)",
					 file, lineno, max);
				return -1;
			}
			st = (struct pstate){ .p = &out[n++] };
			memset(st.p, 0, sizeof(*st.p));
			strcpy(st.p->name, key);
			st.p->line = lineno;
			continue;
		}

		eq = strchr(line, '=');
		if (!eq) {
			snprintf(err, len, "%s:%d: expected 'key = value' or '[profile]'",
				 file, lineno);
			return -1;
		}
		*eq = '\0';
		key = trim(line);
		val = trim(eq + 1);
		if (!st.p) {
			snprintf(err, len, "%s:%d: '%s' outside a [profile] section",
				 file, lineno, key);
			return -1;
		}
		if (!strcmp(key, "description")) {
			snprintf(st.p->description, sizeof(st.p->description), "%s",
				 val);
			continue;
		}

		double x;
		int node = -1;
		char field[32] = "";

		if (!strcmp(key, "cpi") || !strcmp(key, "freq_ghz")) {
			/* handled below */
		} else if (sscanf(key, "node%d.%31s", &node, field) == 2 &&
			   (!strcmp(field, "latency_ns") ||
			    !strcmp(field, "bandwidth_gbs"))) {
			char chk[48];

			snprintf(chk, sizeof(chk), "node%d.%s", node, field);
			if (strcmp(chk, key) || node < 0 ||
			    node >= LAB_MAX_NODES) {
				snprintf(err, len,
					 "%s:%d: bad key '%s' (nodes are node0 to node%d)",
					 file, lineno, key, LAB_MAX_NODES - 1);
				return -1;
			}
		} else {
			snprintf(err, len,
				 "%s:%d: unknown key '%s' (known: description, cpi, freq_ghz, nodeN.latency_ns, nodeN.bandwidth_gbs)",
				 file, lineno, key);
			return -1;
		}
		if (positive(val, &x)) {
			snprintf(err, len, "%s:%d: %s: '%s' is not a positive number",
				 file, lineno, key, val);
			return -1;
		}
		if (!strcmp(key, "cpi")) {
			st.p->cpi = x;
			st.set |= SET_CPI;
		} else if (!strcmp(key, "freq_ghz")) {
			st.p->freq_ghz = x;
			st.set |= SET_FREQ;
		} else if (!strcmp(field, "latency_ns")) {
			st.p->tier[node].latency_ns = x;
			st.lat_set |= 1u << node;
		} else {
			st.p->tier[node].bandwidth_gbs = x;
			st.bw_set |= 1u << node;
		}
	}
	if (finish(&st, file, err, len))
		return -1;
	if (n == 0) {
		snprintf(err, len, "%s: no profiles", file);
		return -1;
	}
	return n;
}

const struct lab_profile *lab_profile_find(const struct lab_profile *p, int n,
					   const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(p[i].name, name))
			return &p[i];
	return NULL;
}
