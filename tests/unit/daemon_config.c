// SPDX-License-Identifier: GPL-2.0
/*
 * sentineld.conf parser: every key, the defaults, and hostile input
 * (garbage, overflow, control bytes, long lines, duplicates), each error
 * reported as FILE:LINE.  Also the shipped example parses to the defaults.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sentinel/size.h>

#include "config.h"
#include "daemon_tap.h"

static struct sd_config c;
static char err[512];

static int parse(const char *text)
{
	return sd_config_parse(text, strlen(text), "t.conf", &c, err, sizeof(err));
}

/* @text must fail with a message starting with @prefix. */
static void bad(const char *text, const char *prefix)
{
	int r = parse(text);
	char shown[48];
	size_t i;

	for (i = 0; i < sizeof(shown) - 1 && text[i]; i++)
		shown[i] = (unsigned char)text[i] < 0x20 || text[i] == 0x7f ? '|' : text[i];
	shown[i] = '\0';
	ok(r == -1 && !strncmp(err, prefix, strlen(prefix)),
	   "rejects %s -> %s", shown, err);
	if (r != -1 || strncmp(err, prefix, strlen(prefix)))
		printf("#   want prefix '%s'\n", prefix);
}

static void test_defaults(void)
{
	struct sd_config d;

	ok(parse("") == 0, "empty file");
	sd_config_defaults(&d);
	ok(!memcmp(&c, &d, sizeof(c)), "empty file gives the defaults");
	ok(c.nodes_auto, "nodes auto by default");
	is_int(c.policy, SD_POLICY_SENTINEL, "policy sentinel by default");
	is_int(c.migration_threads, 2, "2 threads by default");
	ok(c.measured_fallback, "the measured fallback is on by default");
	ok(!c.hybrid_plan, "no hybrid plans by default");
	is_int(c.budget_kind, SD_BUDGET_UNLIMITED, "unlimited budget by default");
	is_int((long long)c.event_buffer, 4 << 20, "4M event buffer by default");
	is_str(c.control_socket, SD_DEFAULT_CONTROL, "default control socket");
	ok(parse("\n\n   \n# only comments\n\t# indented\n") == 0, "blank and comment lines");
}

static void test_values(void)
{
	char buf[64];

	ok(parse("fast_nodes = 0-1,4\nslow_nodes = 2,3, \n") == -1, "trailing comma");
	ok(parse("fast_nodes = 0-1,4\nslow_nodes=2-3\n") == 0, "node lists");
	ok(!c.nodes_auto, "explicit nodes");
	is_str(sd_nodelist_format(&c.fast, buf, sizeof(buf)), "0-1,4", "fast 0-1,4");
	is_str(sd_nodelist_format(&c.slow, buf, sizeof(buf)), "2-3", "slow 2-3");
	ok(parse("fast_nodes = 1023\nslow_nodes = 0\n") == 0, "node 1023");
	ok(sd_node_isset(&c.fast, 1023), "node 1023 set");

	ok(parse("fast_budget = 4G") == 0 && c.budget_kind == SD_BUDGET_BYTES &&
	   c.budget == 4ULL << 30, "budget 4G");
	ok(parse("fast_budget = 512k") == 0 && c.budget == 512 << 10, "budget 512k");
	ok(parse("fast_budget = 3MiB") == 0 && c.budget == 3 << 20, "budget 3MiB");
	ok(parse("fast_budget = 12345") == 0 && c.budget == 12345, "budget in bytes");
	ok(parse("fast_budget = 20%") == 0 && c.budget_kind == SD_BUDGET_PERCENT &&
	   c.budget == 20, "budget 20%%");
	ok(parse("fast_budget = 100%") == 0, "budget 100%%");
	ok(parse("fast_budget = unlimited") == 0 && c.budget_kind == SD_BUDGET_UNLIMITED,
	   "budget unlimited");

	static const char *const pol[] = { "none", "first-touch", "static", "ial", "sentinel" };
	for (unsigned int i = 0; i < 5; i++) {
		char t[64];

		snprintf(t, sizeof(t), "policy = %s", pol[i]);
		ok(parse(t) == 0 && c.policy == (enum sd_policy)i, "policy %s", pol[i]);
		is_str(sd_policy_name(c.policy), pol[i], "policy name %s", pol[i]);
	}
	ok(parse("migration_threads = 64") == 0 && c.migration_threads == 64, "64 threads");
	ok(parse("measured_fallback = off") == 0 && !c.measured_fallback,
	   "measured_fallback = off");
	ok(parse("hybrid_plan = on") == 0 && c.hybrid_plan, "hybrid_plan = on");
	ok(parse("log_level = debug") == 0 && c.log_level == SD_LOG_DEBUG, "log debug");
	ok(parse("log_level = error") == 0 && c.log_level == SD_LOG_ERR, "log error");
	ok(parse("event_buffer = default") == 0 && c.event_buffer == 0, "buffer default");
	ok(parse("event_buffer = 4K") == 0 && c.event_buffer == 4096, "buffer 4K");
	ok(parse("event_buffer = 1G") == 0, "buffer 1G");
	ok(parse("control_socket = /run/x.sock") == 0 &&
	   !strcmp(c.control_socket, "/run/x.sock"), "control socket");
	ok(parse("policy=ial # trailing comment\r\n") == 0 && c.policy == SD_POLICY_IAL,
	   "trailing comment and CRLF");
	ok(parse("control_socket = /run/a#b") == 0 &&
	   !strcmp(c.control_socket, "/run/a#b"), "'#' inside a value is kept");
	ok(parse("  policy\t=\tstatic  ") == 0 && c.policy == SD_POLICY_STATIC,
	   "white space around key and value");
}

static void test_errors(void)
{
	char longline[2048];

	bad("policy = sentinel\nbogus = 1\n", "t.conf:2: unknown key 'bogus'");
	bad("policy = none\npolicy = ial\n", "t.conf:2: 'policy' already set on line 1");
	bad("policy\n", "t.conf:1: expected 'key = value'");
	bad("= 3\n", "t.conf:1: missing key");
	bad("policy =\n", "t.conf:1: 'policy' has no value");
	bad("policy = magic\n", "t.conf:1: policy: unknown policy 'magic'");
	bad("\n\nfast_budget = 12Q\n", "t.conf:3: fast_budget");
	bad("fast_budget = 0\n", "t.conf:1: fast_budget: must be above 0");
	bad("fast_budget = 0%\n", "t.conf:1: fast_budget: percentage");
	bad("fast_budget = 101%\n", "t.conf:1: fast_budget: percentage");
	bad("fast_budget = %\n", "t.conf:1: fast_budget");
	bad("fast_budget = -5G\n", "t.conf:1: fast_budget");
	bad("fast_budget = 99999999999999999999\n", "t.conf:1: fast_budget");
	bad("fast_budget = 17179869184G\n", "t.conf:1: fast_budget: size too large");
	bad("fast_budget = 4 G\n", "t.conf:1: fast_budget");
	bad("migration_threads = 0\n", "t.conf:1: migration_threads: must be 1..64");
	bad("measured_fallback = maybe\n",
	    "t.conf:1: measured_fallback: expected on or off, got 'maybe'");
	bad("hybrid_plan = 1\n", "t.conf:1: hybrid_plan: expected on or off, got '1'");
	bad("migration_threads = 65\n", "t.conf:1: migration_threads");
	bad("migration_threads = 2x\n", "t.conf:1: migration_threads");
	bad("migration_threads = 99999999999999999999999\n", "t.conf:1: migration_threads");
	bad("log_level = loud\n", "t.conf:1: log_level");
	bad("event_buffer = 1K\n", "t.conf:1: event_buffer: must be 4K..1G");
	bad("event_buffer = 2G\n", "t.conf:1: event_buffer");
	bad("control_socket = relative.sock\n", "t.conf:1: control_socket: must be an absolute path");
	bad("control_socket = /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	    "t.conf:1: control_socket: path longer");
	bad("fast_nodes = 0\n", "t.conf:1: fast_nodes and slow_nodes must both");
	bad("fast_nodes = 0\nslow_nodes = auto\n", "t.conf:2: fast_nodes and slow_nodes");
	bad("fast_nodes = 0-2\nslow_nodes = 2-3\n", "t.conf:2: slow_nodes: node(s) 2 are also fast_nodes (line 1)");
	bad("fast_nodes = 3-1\nslow_nodes = 0\n", "t.conf:1: fast_nodes: node range goes backwards");
	bad("fast_nodes = 1024\nslow_nodes = 0\n", "t.conf:1: fast_nodes: expected a node number");
	bad("fast_nodes = 0;1\nslow_nodes = 2\n", "t.conf:1: fast_nodes: expected ','");
	bad("fast_nodes = -1\nslow_nodes = 2\n", "t.conf:1: fast_nodes");
	bad("policy = ial\x01\n", "t.conf:1: control character (0x01)");
	bad("policy = none\x7f\n", "t.conf:1: control character (0x7f)");

	/* An embedded NUL is a control character too. */
	{
		const char t[] = "policy = none\n\0policy = ial\n";

		ok(sd_config_parse(t, sizeof(t) - 1, "t.conf", &c, err, sizeof(err)) == -1 &&
		   !strncmp(err, "t.conf:2: control character (0x00)", 34), "NUL byte -> %s", err);
	}
	memset(longline, 'a', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	bad(longline, "t.conf:1: line longer than 1024 bytes");

	/* A buffer without a final newline, and a tiny error buffer. */
	ok(sd_config_parse("policy = ial", 7, "t.conf", &c, err, sizeof(err)) == -1,
	   "length is honoured (no terminator needed): %s", err);
	{
		char small[8];

		ok(sd_config_parse("bogus = 1", 9, "t.conf", &c, small, sizeof(small)) == -1 &&
		   strlen(small) < sizeof(small), "a short error buffer is not overrun");
	}
}

static void test_sizes(void)
{
	uint64_t v;
	const char *why;

	ok(sntl_size_parse("0", &v, &why) == 0 && v == 0, "size 0");
	ok(sntl_size_parse("18446744073709551615", &v, &why) == 0 && v == UINT64_MAX, "size max");
	ok(sntl_size_parse("18446744073709551616", &v, &why) == -1, "size overflow");
	ok(sntl_size_parse("16777216T", &v, &why) == -1, "size overflow with suffix");
	ok(sntl_size_parse("1KB", &v, &why) == 0 && v == 1024, "1KB");
	ok(sntl_size_parse("", &v, &why) == -1, "empty size");
	ok(sntl_size_parse("K", &v, &why) == -1, "suffix alone");
	/* The one parser of sentinel/size.h, which every program uses. */
	ok(sntl_size_parse("0x1000", &v, NULL) == 0 && v == 4096, "hexadecimal");
	ok(sntl_size_parse("0X1fK", &v, NULL) == 0 && v == 31 << 10, "hexadecimal with a suffix");
	ok(sntl_size_parse("2MiB", &v, NULL) == 0 && v == 2 << 20, "2MiB");
	ok(sntl_size_parse("3gi", &v, NULL) == 0 && v == 3ULL << 30, "lower case 3gi");
	ok(sntl_size_parse("512B", &v, NULL) == 0 && v == 512, "512B");
	ok(sntl_size_parse("0x", &v, &why) == -1 && strstr(why, "expected a size"), "0x alone");
	ok(sntl_size_parse("-1", &v, &why) == -1 && strstr(why, "expected a size"), "negative");
	ok(sntl_size_parse("1Kx", &v, &why) == -1 && strstr(why, "trailing"), "1Kx: trailing");
	ok(sntl_size_parse("1x", &v, &why) == -1 && strstr(why, "unknown size suffix"),
	   "1x: unknown suffix");
	ok(sntl_size_parse("0x10000000000000000", &v, &why) == -1 && strstr(why, "expected"),
	   "hexadecimal overflow");
	ok(sntl_size_parse(NULL, &v, NULL) == -1, "no string, no reason asked");
}

static void test_example(void)
{
	char path[512], *buf;
	struct sd_config d;
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/sentineld.conf", PKG_SRC);
	f = fopen(path, "r");
	if (!ok(f != NULL, "shipped example exists"))
		return;
	buf = malloc(1 << 16);
	len = fread(buf, 1, 1 << 16, f);
	fclose(f);
	ok(sd_config_parse(buf, len, "sentineld.conf", &c, err, sizeof(err)) == 0,
	   "shipped example parses %s", err);
	sd_config_defaults(&d);
	ok(!memcmp(&c, &d, sizeof(c)), "shipped example states the defaults");
	free(buf);
}

static void test_share(void)
{
	ok(parse("") == 0 && c.pool_kind == SD_BUDGET_UNLIMITED && c.share_min == 0 &&
	   c.nr_weights == 0, "no sharing by default");
	ok(parse("fast_pool = 1G\nshare_min = 10%") == 0 && c.pool_kind == SD_BUDGET_BYTES &&
	   c.pool == 1ULL << 30 && c.share_min_kind == SD_BUDGET_PERCENT && c.share_min == 10,
	   "fast_pool 1G, share_min 10%% of it");
	ok(parse("fast_pool = 50%\nshare_min = 64M") == 0 && c.pool_kind == SD_BUDGET_PERCENT &&
	   c.pool == 50 && c.share_min_kind == SD_BUDGET_BYTES && c.share_min == 64ULL << 20,
	   "fast_pool 50%%, share_min 64M");
	ok(parse("share_min = 0") == 0 && c.share_min == 0, "share_min 0: no minimum");
	ok(parse("share_weights = user:alice=4 uid:1001=2\tcgroup:/jobs/big.slice=8") == 0 &&
	   c.nr_weights == 3 && c.weights[0].kind == SD_WEIGHT_USER &&
	   !strcmp(c.weights[0].name, "alice") && c.weights[0].weight == 4 &&
	   c.weights[1].kind == SD_WEIGHT_UID && c.weights[1].uid == 1001 &&
	   c.weights[1].weight == 2 && c.weights[2].kind == SD_WEIGHT_CGROUP &&
	   !strcmp(c.weights[2].name, "/jobs/big.slice") && c.weights[2].weight == 8,
	   "share_weights: a user, a uid and a cgroup");
	ok(parse("share_weights = cgroup:/a=b=3") == 0 && !strcmp(c.weights[0].name, "/a=b"),
	   "a cgroup path may hold '=': the weight follows the last one");
	bad("fast_pool = 0\n", "t.conf:1: fast_pool: must be above 0");
	bad("fast_pool = 120%\n", "t.conf:1: fast_pool: percentage must be 1%..100%");
	bad("fast_pool = lots\n", "t.conf:1: fast_pool");
	bad("share_min = unlimited\n", "t.conf:1: share_min");
	bad("share_min = 0%\n", "t.conf:1: share_min: percentage");
	bad("share_weights = alice=4\n", "t.conf:1: share_weights: expected user:NAME=W");
	bad("share_weights = user:alice\n", "t.conf:1: share_weights: expected user:NAME=W");
	bad("share_weights = user:alice=0\n", "t.conf:1: share_weights: weight must be 1..10000");
	bad("share_weights = user:alice=10001\n", "t.conf:1: share_weights: weight must be");
	bad("share_weights = user:alice=4x\n", "t.conf:1: share_weights: weight must be");
	bad("share_weights = user:=4\n", "t.conf:1: share_weights: no name");
	bad("share_weights = uid:bob=4\n", "t.conf:1: share_weights: bad uid");
	bad("share_weights = uid:4294967295=4\n", "t.conf:1: share_weights: bad uid");
	bad("share_weights = cgroup:jobs=4\n", "t.conf:1: share_weights: cgroup path must be absolute");
	bad("share_weights = group:wheel=4\n", "t.conf:1: share_weights: unknown kind");
	{
		char big[1024], *q = big;

		q += sprintf(q, "share_weights =");
		for (int i = 0; i <= SD_MAX_WEIGHTS; i++)
			q += sprintf(q, " uid:%d=1", i);
		sprintf(q, "\n");
		bad(big, "t.conf:1: share_weights: more than 32 entries");
	}
}

int main(void)
{
	test_defaults();
	test_share();
	test_values();
	test_errors();
	test_sizes();
	test_example();
	return tap_done();
}
