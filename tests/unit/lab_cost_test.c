// SPDX-License-Identifier: GPL-2.0
/* Unit tests: tier-lab cost model and profile parser (tools/lab/costmodel.c). */
#include <string.h>

#include "costmodel.h"
#include "tap.h"

static const char good[] =
	"# comment line\n"
	"[simple]\n"
	"description = two tiers  # trailing comment\n"
	"cpi = 1\n"
	"freq_ghz = 2\n"
	"node0.latency_ns = 100\n"
	"node0.bandwidth_gbs = 10\n"
	"node1.latency_ns = 300\n"
	"node1.bandwidth_gbs = 4\n"
	"\n"
	"[other]\n"
	"cpi=0.5\nfreq_ghz=1\nnode0.latency_ns=50\nnode0.bandwidth_gbs=20\n";

struct bad_case {
	const char *text;
	const char *want; /* substring of the message, "file:line:" included */
};

static const struct bad_case bad[] = {
	{ "cpi = 1\n", "t.conf:1: 'cpi' outside" },
	{ "[a]\ncpi = 1\nfreq_ghz = x\n", "t.conf:3: freq_ghz: 'x' is not a positive number" },
	{ "[a]\ncpi = -1\n", "t.conf:2: cpi: '-1'" },
	{ "[a]\n\ncolour = red\n", "t.conf:3: unknown key 'colour'" },
	{ "[a]\ncpi\n", "t.conf:2: expected 'key = value'" },
	{ "[a\n", "t.conf:1: bad section header" },
	{ "[a]\ncpi=1\nfreq_ghz=1\nnode0.latency_ns=1\nnode0.bandwidth_gbs=1\n[a]\n",
	  "t.conf:6: profile 'a' defined twice" },
	{ "[a]\ncpi=1\nfreq_ghz=1\nnode0.latency_ns=1\n", "t.conf:1: profile 'a' lacks node0.bandwidth_gbs" },
	{ "[a]\nfreq_ghz=1\n", "t.conf:1: profile 'a' lacks cpi" },
	{ "[a]\ncpi=1\nfreq_ghz=1\nnode0.latency_ns=1\nnode0.bandwidth_gbs=1\nnode2.latency_ns=1\nnode2.bandwidth_gbs=1\n",
	  "t.conf:1: profile 'a' lacks node1.latency_ns" },
	{ "[a]\nnode9.latency_ns = 1\n", "t.conf:2: bad key 'node9.latency_ns'" },
	{ "", "t.conf: no profiles" },
};

int main(void)
{
	struct lab_profile p[4];
	const struct lab_profile *s;
	struct lab_counters c[2];
	struct lab_cost k, per[2];
	char err[256];
	int n, crit;

	tap_plan(20 + (int)(sizeof(bad) / sizeof(bad[0])));

	n = lab_profiles_parse(good, "t.conf", p, 4, err, sizeof(err));
	is_u64((uint64_t)n, 2, "two profiles parsed");
	s = lab_profile_find(p, n, "simple");
	ok(s && s->ntiers == 2 && s->cpi == 1 && s->freq_ghz == 2 &&
		   s->tier[1].latency_ns == 300 && s->tier[1].bandwidth_gbs == 4,
	   "values of [simple]");
	ok(s && !strcmp(s->description, "two tiers"), "description, comment stripped");
	ok(lab_profile_find(p, n, "other") && lab_profile_find(p, n, "other")->ntiers == 1,
	   "[other] has one tier");
	ok(!lab_profile_find(p, n, "none"), "unknown profile not found");

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		n = lab_profiles_parse(bad[i].text, "t.conf", p, 4, err, sizeof(err));
		ok(n < 0 && strstr(err, bad[i].want), "bad input %zu: %s", i, err);
	}

	n = lab_profiles_parse(good, "t.conf", p, 4, err, sizeof(err));
	s = lab_profile_find(p, n, "simple");

	/*
	 * 1000 insns at cpi 1, 2 GHz: 500 ns.  Node 1: 10 misses, 4 of them
	 * sequential: 6 x 300 = 1800 ns.  Node 0: 2 misses: 200 ns.
	 * Bytes: node0 (2 + 1 wb) x 64 = 192 B / 10 = 19.2 ns; node1 10 x 64
	 * = 640 B / 4 = 160 ns.  Total max(500 + 2000, 179.2) = 2500 ns.
	 */
	memset(c, 0, sizeof(c));
	c[0].insns = 1000;
	c[0].miss[0] = 2;
	c[0].wb[0] = 1;
	c[0].miss[1] = 10;
	c[0].seq[1] = 4;
	lab_cost_vcpu(s, &c[0], 64, &k);
	is_near(k.cpu_ns, 500, 1e-9, "cpu time");
	is_near(k.lat_ns, 2000, 1e-9, "latency time");
	is_near(k.bw_ns, 179.2, 1e-9, "bandwidth time");
	is_near(k.total_ns, 2500, 1e-9, "total = cpu + latency");

	/* Streaming: 1000 sequential misses on node 1 floor at 64000/4 ns. */
	memset(&c[1], 0, sizeof(c[1]));
	c[1].insns = 100;
	c[1].miss[1] = 1000;
	c[1].seq[1] = 999;
	lab_cost_vcpu(s, &c[1], 64, &k);
	is_near(k.total_ns, 16000, 1e-9, "bandwidth floor binds for a stream");

	/* Phase: the slower vCPU sets the time. */
	is_near(lab_cost_phase(s, c, 2, 64, ~0ull, per, &crit), 16000, 1e-9,
		"phase time is the max over vCPUs");
	is_u64((uint64_t)crit, 1, "critical vCPU is the streaming one");
	is_near(per[0].total_ns, 2500, 1e-9, "per-vCPU cost reported");
	is_near(lab_cost_phase(s, c, 2, 64, 1, NULL, &crit), 2500, 1e-9,
		"vCPU mask leaves vCPU 1 out");
	is_u64((uint64_t)crit, 0, "critical vCPU within the mask");
	ok(lab_cost_phase(s, c, 2, 64, 0, NULL, &crit) == 0 && crit == -1,
	   "empty mask: no time, no critical vCPU");

	/* Slots: other addresses pay tier 0, nodes past the last tier the last. */
	is_u64((uint64_t)lab_cost_tier(s, LAB_NODE_OTHER), 0, "unknown node pays tier 0");
	is_u64((uint64_t)lab_cost_tier(s, 5), 1, "node beyond the profile pays the last tier");
	memset(&c[0], 0, sizeof(c[0]));
	c[0].miss[LAB_NODE_OTHER] = 3;
	lab_cost_vcpu(s, &c[0], 64, &k);
	is_near(k.lat_ns, 300, 1e-9, "misses outside every node at node0 latency");
	memset(&c[0], 0, sizeof(c[0]));
	lab_cost_vcpu(s, &c[0], 64, &k);
	is_near(k.total_ns, 0, 0, "no events, no time");
	return tap_done();
}
