// SPDX-License-Identifier: GPL-2.0
/* Unit tests: tier-lab plugin arguments and node map (tools/lab/config.c). */
#include <string.h>

#include <sentinel/size.h>

#include "config.h"
#include "tap.h"

static int parse(struct lab_config *c, char *err, const char *a0,
		 const char *a1, const char *a2)
{
	char *argv[3] = { (char *)a0, (char *)a1, (char *)a2 };
	int argc = a2 ? 3 : a1 ? 2 : 1;

	err[0] = '\0';
	return lab_config_parse(c, argc, argv, err, 256);
}

int main(void)
{
	struct lab_config c;
	struct lab_nodes nm;
	char err[256];
	uint64_t v;

	tap_plan(41);

	ok(sntl_size_parse("4096", &v, NULL) == 0 && v == 4096, "decimal");
	ok(sntl_size_parse("0x1000", &v, NULL) == 0 && v == 4096, "hex");
	ok(sntl_size_parse("2M", &v, NULL) == 0 && v == 2u << 20, "2M");
	ok(sntl_size_parse("2MiB", &v, NULL) == 0 && v == 2u << 20, "2MiB");
	ok(sntl_size_parse("1G", &v, NULL) == 0 && v == 1u << 30, "1G");
	ok(sntl_size_parse("12x", &v, NULL) < 0 && sntl_size_parse("", &v, NULL) < 0 &&
		   sntl_size_parse("-1", &v, NULL) < 0,
	   "garbage rejected");
	ok(sntl_size_parse("17179869184T", &v, NULL) < 0, "overflow rejected");

	memset(&nm, 0, sizeof(nm));
	ok(lab_nodes_add(&nm, 1, "0x100000000-0x17fffffff", err, sizeof(err)) == 0 &&
		   lab_nodes_add(&nm, 0, "0-0x3fffffff:0x40000000+1G", err, sizeof(err)) == 0,
	   "ranges added");
	is_u64((uint64_t)nm.n, 3, "three ranges");
	is_u64((uint64_t)nm.nnodes, 2, "two nodes");
	is_u64((uint64_t)lab_nodes_find(&nm, 0), 0, "0 on node0");
	is_u64((uint64_t)lab_nodes_find(&nm, 0x7fffffff), 0, "LO+SIZE end inclusive");
	is_u64((uint64_t)lab_nodes_find(&nm, 0x80000000), LAB_NODE_OTHER, "hole is no node");
	is_u64((uint64_t)lab_nodes_find(&nm, 0x100000000), 1, "4G on node1");
	is_u64((uint64_t)lab_nodes_find(&nm, 0x180000000), LAB_NODE_OTHER, "past the end");
	ok(lab_nodes_add(&nm, 2, "0x17ffff000-0x180000fff", err, sizeof(err)) < 0 &&
		   strstr(err, "overlaps node1"),
	   "overlap rejected: %s", err);
	ok(lab_nodes_add(&nm, 2, "10-5", err, sizeof(err)) < 0 && strstr(err, "empty"),
	   "empty range rejected: %s", err);
	ok(lab_nodes_add(&nm, 2, "10", err, sizeof(err)) < 0, "single number rejected");

	ok(parse(&c, err, "node0=0-0x7fffffff", "node1=0x100000000-0x17fffffff", NULL) == 0,
	   "minimal arguments");
	ok(c.cache.size == 2u << 20 && c.cache.ways == 16 && c.cache.line == 64 &&
		   c.mode == LAB_MODE_MARKER && c.scope == LAB_SCOPE_ALL && c.cold_start &&
		   !c.out,
	   "defaults: 2 MiB, 16 ways, 64 B lines, mode=marker, scope=all");
	ok(parse(&c, err, "node0=0-1G", "cache_size=8M", "cache_ways=8") == 0 &&
		   c.cache.size == 8u << 20 && c.cache.ways == 8,
	   "cache geometry");
	ok(parse(&c, err, "node0=0-1G", "mode=always", "scope=user") == 0 &&
		   c.mode == LAB_MODE_ALWAYS && c.scope == LAB_SCOPE_USER,
	   "mode and scope");
	ok(parse(&c, err, "mode=always", NULL, NULL) < 0 && strstr(err, "no node ranges"),
	   "node ranges required: %s", err);
	ok(parse(&c, err, "node0=0-1G", "colour=blue", NULL) < 0 &&
		   strstr(err, "unknown argument 'colour'"),
	   "unknown argument: %s", err);
	ok(parse(&c, err, "node0=0-1G", "mode=sometimes", NULL) < 0 &&
		   strstr(err, "'marker' or 'always'"),
	   "bad mode: %s", err);
	ok(parse(&c, err, "node0=0-1G", "cache_size=3M", NULL) < 0 && strstr(err, "cache size"),
	   "bad geometry: %s", err);
	ok(parse(&c, err, "node0=0-1G", "node8=0x80000000-0x8fffffff", NULL) < 0 &&
		   strstr(err, "node0 to node7"),
	   "node8 rejected: %s", err);
	ok(parse(&c, err, "node0=0-1G", "noequals", NULL) < 0 && strstr(err, "name=value"),
	   "missing '=': %s", err);
	ok(parse(&c, err, "node0=0-1G", "cold_start=maybe", NULL) < 0 &&
		   strstr(err, "on or off"),
	   "bad boolean: %s", err);
	ok(lab_parse_cpulist("0,2-3", &v) == 0 && v == 0xd, "vCPU list 0,2-3");
	ok(lab_parse_cpulist("1", &v) == 0 && v == 2, "vCPU list 1");
	ok(lab_parse_cpulist("3-2", &v) < 0 && lab_parse_cpulist("64", &v) < 0 &&
		   lab_parse_cpulist("1,", &v) < 0 && lab_parse_cpulist("", &v) < 0 &&
		   lab_parse_cpulist("a", &v) < 0,
	   "bad vCPU lists rejected");
	ok(parse(&c, err, "node0=0-1G", "vcpus=1-x", NULL) < 0 && strstr(err, "vCPU list"),
	   "bad vcpus argument: %s", err);
	ok(parse(&c, err, "node0=0-1G", NULL, NULL) == 0 && !c.delay_on && c.delay[1] == 0,
	   "delay mode off by default");
	ok(c.attr_vcpu == -1, "attribution off by default");
	ok(parse(&c, err, "node0=0-1G", "attr=1", NULL) == 0 && c.attr_vcpu == 1,
	   "attr=1 attributes vCPU 1");
	ok(parse(&c, err, "node0=0-1G", "attr=64", NULL) < 0 && strstr(err, "0 to 63") &&
		   parse(&c, err, "node0=0-1G", "attr=x", NULL) < 0,
	   "bad attr rejected: %s", err);
	ok(parse(&c, err, "node0=0-1G", "delay0=356.4", "delay1=1342") == 0 && c.delay_on &&
		   c.delay[0] == 356.4 && c.delay[1] == 1342,
	   "delay0, delay1 in instructions per miss");
	ok(parse(&c, err, "node0=0-1G", "delay1=0", NULL) == 0 && !c.delay_on,
	   "delay 0 is off");
	ok(parse(&c, err, "node0=0-1G", "delay8=10", NULL) < 0 && strstr(err, "delay0 to delay7"),
	   "delay8 rejected: %s", err);
	ok(parse(&c, err, "node0=0-1G", "delay1=-1", NULL) < 0 &&
		   parse(&c, err, "node0=0-1G", "delay1=", NULL) < 0 &&
		   parse(&c, err, "node0=0-1G", "delay1=2x", NULL) < 0 &&
		   parse(&c, err, "node0=0-1G", "delay1=1e7", NULL) < 0 &&
		   parse(&c, err, "node0=0-1G", "delay1=nan", NULL) < 0 &&
		   strstr(err, "0 to 1000000"),
	   "bad delays rejected: %s", err);
	return tap_done();
}
