// SPDX-License-Identifier: GPL-2.0
/* Plugin argument parsing; see config.h. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sentinel/size.h>

#include "config.h"

static int add_range(struct lab_nodes *nm, int node, uint64_t lo, uint64_t hi,
		     char *err, size_t len)
{
	int i;

	if (hi < lo) {
		snprintf(err, len, "node%d: range 0x%llx-0x%llx is empty", node,
			 (unsigned long long)lo, (unsigned long long)hi);
		return -1;
	}
	if (nm->n == LAB_MAX_RANGES) {
		snprintf(err, len, "too many node ranges (at most %d)",
			 LAB_MAX_RANGES);
		return -1;
	}
	for (i = 0; i < nm->n; i++) {
		const struct lab_range *r = &nm->r[i];

		if (lo <= r->hi && r->lo <= hi) {
			snprintf(err, len,
				 "node%d: range 0x%llx-0x%llx overlaps node%d's 0x%llx-0x%llx",
				 node, (unsigned long long)lo,
				 (unsigned long long)hi, r->node,
				 (unsigned long long)r->lo,
				 (unsigned long long)r->hi);
			return -1;
		}
	}
	/* Insert sorted. */
	for (i = nm->n; i > 0 && nm->r[i - 1].lo > lo; i--)
		nm->r[i] = nm->r[i - 1];
	nm->r[i] = (struct lab_range){ .lo = lo, .hi = hi, .node = node };
	nm->n++;
	if (node + 1 > nm->nnodes)
		nm->nnodes = node + 1;
	return 0;
}

int lab_nodes_add(struct lab_nodes *nm, int node, const char *spec,
		  char *err, size_t len)
{
	char buf[512];
	char *save = NULL, *tok;

	if (node < 0 || node >= LAB_MAX_NODES) {
		snprintf(err, len, "node%d: node numbers are 0 to %d", node,
			 LAB_MAX_NODES - 1);
		return -1;
	}
	if (strlen(spec) >= sizeof(buf) || !*spec) {
		snprintf(err, len, "node%d: bad range list '%s'", node, spec);
		return -1;
	}
	strcpy(buf, spec);
	for (tok = strtok_r(buf, ":", &save); tok;
	     tok = strtok_r(NULL, ":", &save)) {
		char *sep = strpbrk(tok, "-+");
		uint64_t lo, hi;

		if (!sep) {
			snprintf(err, len,
				 "node%d: range '%s' is not LO-HI or LO+SIZE",
				 node, tok);
			return -1;
		}
		char op = *sep;
		*sep = '\0';
		if (sntl_size_parse(tok, &lo, NULL) || sntl_size_parse(sep + 1, &hi, NULL)) {
			*sep = op;
			snprintf(err, len, "node%d: bad number in range '%s'",
				 node, tok);
			return -1;
		}
		if (op == '+') {
			if (hi == 0 || hi - 1 > UINT64_MAX - lo) {
				*sep = op;
				snprintf(err, len, "node%d: bad size in range '%s'",
					 node, tok);
				return -1;
			}
			hi = lo + hi - 1;
		}
		if (add_range(nm, node, lo, hi, err, len))
			return -1;
	}
	return 0;
}

int lab_nodes_find(const struct lab_nodes *nm, uint64_t paddr)
{
	int lo = 0, hi = nm->n - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		const struct lab_range *r = &nm->r[mid];

		if (paddr < r->lo)
			hi = mid - 1;
		else if (paddr > r->hi)
			lo = mid + 1;
		else
			return r->node;
	}
	return LAB_NODE_OTHER;
}

int lab_parse_cpulist(const char *s, uint64_t *mask)
{
	uint64_t m = 0;
	char *end;

	if (!*s)
		return -1;
	while (*s) {
		unsigned long a, b;

		if (*s < '0' || *s > '9')
			return -1;
		a = b = strtoul(s, &end, 10);
		if (*end == '-') {
			s = end + 1;
			if (*s < '0' || *s > '9')
				return -1;
			b = strtoul(s, &end, 10);
		}
		if (a > b || b > 63)
			return -1;
		for (unsigned long i = a; i <= b; i++)
			m |= 1ull << i;
		s = end;
		if (*s == ',' && s[1])
			s++;
		else if (*s)
			return -1;
	}
	*mask = m;
	return 0;
}

static int parse_bool(const char *v, bool *b)
{
	if (!strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true") ||
	    !strcmp(v, "1"))
		*b = true;
	else if (!strcmp(v, "off") || !strcmp(v, "no") ||
		 !strcmp(v, "false") || !strcmp(v, "0"))
		*b = false;
	else
		return -1;
	return 0;
}

/* Whether the name of argument a (its first klen characters) is s. */
#define KEY(s) (klen == strlen(s) && !strncmp(a, s, klen))

/* cache_size, cache_ways or cache_line=v; 0 or -1 with err. */
static int parse_cache(struct lab_config *cfg, const char *a, size_t klen,
		       const char *v, char *err, size_t len)
{
	uint64_t x;

	if (sntl_size_parse(v, &x, NULL) || x == 0 ||
	    (!KEY("cache_size") && x > UINT32_MAX)) {
		snprintf(err, len, "argument '%s': bad number", a);
		return -1;
	}
	if (KEY("cache_size"))
		cfg->cache.size = x;
	else if (KEY("cache_ways"))
		cfg->cache.ways = (uint32_t)x;
	else
		cfg->cache.line = (uint32_t)x;
	return 0;
}

/* delayN=v, eq pointing at the '='; 0 or -1 with err. */
static int parse_delay(struct lab_config *cfg, const char *a, const char *eq,
		       char *err, size_t len)
{
	const char *v = eq + 1;
	char *end;
	long n = strtol(a + 5, &end, 10);
	double f;

	if (end != eq || n < 0 || n >= LAB_MAX_NODES) {
		snprintf(err, len,
			 "argument '%s': delay name must be delay0 to delay%d",
			 a, LAB_MAX_NODES - 1);
		return -1;
	}
	errno = 0;
	f = strtod(v, &end);
	if (!*v || *end || errno || !(f >= 0 && f <= 1e6)) {
		snprintf(err, len,
			 "argument '%s': expected instructions per miss, 0 to 1000000",
			 a);
		return -1;
	}
	cfg->delay[n] = f;
	if (f > 0)
		cfg->delay_on = true;
	return 0;
}

/* nodeN=ranges, eq pointing at the '='; 0 or -1 with err. */
static int parse_node(struct lab_config *cfg, const char *a, const char *eq,
		      char *err, size_t len)
{
	char *end;
	long n = strtol(a + 4, &end, 10);

	if (end != eq || n < 0 || n >= LAB_MAX_NODES) {
		snprintf(err, len,
			 "argument '%s': node name must be node0 to node%d",
			 a, LAB_MAX_NODES - 1);
		return -1;
	}
	return lab_nodes_add(&cfg->nodes, (int)n, eq + 1, err, len);
}

/* mode, scope or cold_start=v; 0 or -1 with err. */
static int parse_choice(struct lab_config *cfg, const char *a, size_t klen,
			const char *v, char *err, size_t len)
{
	if (KEY("mode")) {
		if (!strcmp(v, "marker"))
			cfg->mode = LAB_MODE_MARKER;
		else if (!strcmp(v, "always"))
			cfg->mode = LAB_MODE_ALWAYS;
		else {
			snprintf(err, len,
				 "argument '%s': mode is 'marker' or 'always'", a);
			return -1;
		}
	} else if (KEY("scope")) {
		if (!strcmp(v, "all"))
			cfg->scope = LAB_SCOPE_ALL;
		else if (!strcmp(v, "user"))
			cfg->scope = LAB_SCOPE_USER;
		else {
			snprintf(err, len,
				 "argument '%s': scope is 'all' or 'user'", a);
			return -1;
		}
	} else if (parse_bool(v, &cfg->cold_start)) {
		snprintf(err, len, "argument '%s': expected on or off", a);
		return -1;
	}
	return 0;
}

/* vcpus or attr=v; 0 or -1 with err. */
static int parse_vcpus(struct lab_config *cfg, const char *a, size_t klen,
		       const char *v, char *err, size_t len)
{
	uint64_t x;

	if (KEY("vcpus")) {
		if (lab_parse_cpulist(v, &cfg->vcpus)) {
			snprintf(err, len,
				 "argument '%s': expected a vCPU list such as 0,2-3 (vCPUs 0 to 63)",
				 a);
			return -1;
		}
	} else if (!strcmp(v, "off")) {
		cfg->attr_vcpu = -1;
	} else if (sntl_size_parse(v, &x, NULL) || x > 63 ||
		   !isdigit((unsigned char)*v)) {
		snprintf(err, len,
			 "argument '%s': expected a vCPU number (0 to 63) or off",
			 a);
		return -1;
	} else {
		cfg->attr_vcpu = (int)x;
	}
	return 0;
}

/* One name=value argument; 0 or -1 with err. */
static int parse_arg(struct lab_config *cfg, const char *a, char *err,
		     size_t len)
{
	const char *eq = strchr(a, '=');
	const char *v;
	size_t klen;

	if (!eq || eq == a) {
		snprintf(err, len, "argument '%s': expected name=value", a);
		return -1;
	}
	klen = (size_t)(eq - a);
	v = eq + 1;
	if (KEY("cache_size") || KEY("cache_ways") || KEY("cache_line"))
		return parse_cache(cfg, a, klen, v, err, len);
	if (klen > 5 && !strncmp(a, "delay", 5))
		return parse_delay(cfg, a, eq, err, len);
	if (klen > 4 && !strncmp(a, "node", 4))
		return parse_node(cfg, a, eq, err, len);
	if (KEY("out")) {
		if (!*v) {
			snprintf(err, len, "argument 'out': empty file name");
			return -1;
		}
		cfg->out = v;
		return 0;
	}
	if (KEY("mode") || KEY("scope") || KEY("cold_start"))
		return parse_choice(cfg, a, klen, v, err, len);
	if (KEY("vcpus") || KEY("attr"))
		return parse_vcpus(cfg, a, klen, v, err, len);
	if (KEY("trace")) {
		if (sntl_size_parse(v, &cfg->trace, NULL)) {
			snprintf(err, len, "argument '%s': bad number", a);
			return -1;
		}
		return 0;
	}
	snprintf(err, len,
		 "unknown argument '%.*s' (known: nodeN, delayN, cache_size, cache_ways, cache_line, out, mode, scope, vcpus, cold_start, trace, attr)",
		 (int)klen, a);
	return -1;
}
#undef KEY

int lab_config_parse(struct lab_config *cfg, int argc, char **argv,
		     char *err, size_t len)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->cache.size = LAB_CACHE_DEFAULT_SIZE;
	cfg->cache.ways = LAB_CACHE_DEFAULT_WAYS;
	cfg->cache.line = LAB_CACHE_DEFAULT_LINE;
	cfg->mode = LAB_MODE_MARKER;
	cfg->scope = LAB_SCOPE_ALL;
	cfg->cold_start = true;
	cfg->vcpus = ~0ull;
	cfg->attr_vcpu = -1;

	for (int i = 0; i < argc; i++)
		if (parse_arg(cfg, argv[i], err, len))
			return -1;
	if (cfg->nodes.n == 0) {
		snprintf(err, len,
			 "no node ranges: give node0=LO-HI,node1=LO-HI (see tools/lab/node-ranges)");
		return -1;
	}
	return lab_cache_check(&cfg->cache, err, len);
}
