// SPDX-License-Identifier: GPL-2.0
/*
 * sentinelctl doctor: its parsers and each check's evaluation, then the
 * whole doctor run against fake /sys, /proc and /dev trees (a healthy
 * machine, the same with a daemon running as full root, and a broken
 * one), with a fake daemon behind the control-socket callback.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/sentinel.h>

#include "daemon_tap.h"
#include "doctor.h"

static struct doctor_result R;

static bool has(const char *s, const char *sub)
{
	return s && strstr(s, sub);
}

static void test_parsers(void)
{
	unsigned int ma = 9, mi = 9;
	uint64_t m = 0;
	char buf[256];

	ok(!doctor_bracketed("always [madvise] never", buf, sizeof(buf)) &&
	   !strcmp(buf, "madvise"), "bracketed: thp");
	ok(!doctor_bracketed("[none] integrity confidentiality", buf, sizeof(buf)) &&
	   !strcmp(buf, "none"), "bracketed: lockdown");
	ok(doctor_bracketed("none", buf, sizeof(buf)) == -1, "bracketed: none");
	ok(doctor_bracketed("a [] b", buf, sizeof(buf)) == -1, "bracketed: empty");
	ok(doctor_bracketed("[madvise]", buf, 4) == -1, "bracketed: too long");
	ok(doctor_bracketed(NULL, buf, sizeof(buf)) == -1, "bracketed: NULL");

	ok(!doctor_parse_version("0.2", &ma, &mi) && ma == 0 && mi == 2, "version 0.2");
	ok(!doctor_parse_version("1.10-rc1", &ma, &mi) && ma == 1 && mi == 10, "version 1.10-rc1");
	ok(doctor_parse_version("1", &ma, &mi) == -1 && doctor_parse_version("1.", &ma, &mi) == -1 &&
	   doctor_parse_version("v1.2", &ma, &mi) == -1 && doctor_parse_version(NULL, &ma, &mi) == -1,
	   "bad versions refused");

	ok(!doctor_parse_capeff("Name:\tsentineld\nCapInh:\t0000000000000000\n"
				"CapPrm:\t0000000000881000\nCapEff:\t0000000000881000\n"
				"CapBnd:\t0000000000881000\n", &m) && m == 0x881000, "CapEff parsed");
	ok(!doctor_parse_capeff("CapEff:\t000001ffffffffff", &m) && m == 0x1ffffffffffULL,
	   "CapEff of root, first line, no newline");
	ok(doctor_parse_capeff("CapPrm:\t0000000000881000\n", &m) == -1, "no CapEff");
	ok(doctor_parse_capeff("CapEff:\tzz\n", &m) == -1, "CapEff not hex");
	ok(doctor_parse_capeff("CapEff:\t12g4\n", &m) == -1, "CapEff with junk");

	ok(!doctor_parse_capnames(DOCTOR_UNIT_CAPS, &m) && m == DOCTOR_UNIT_CAPMASK,
	   "the unit's names give the unit's mask");
	ok(doctor_parse_capnames("CAP_NET_ADMIN CAP_BOGUS", &m) == -1, "unknown name refused");
	is_str(doctor_capnames(DOCTOR_UNIT_CAPMASK, buf, sizeof(buf)),
	       "CAP_NET_ADMIN CAP_SYS_PTRACE CAP_SYS_NICE", "mask formatted as names, in bit order");
	is_str(doctor_capnames(1ULL << 21 | 1ULL << 50, buf, sizeof(buf)), "CAP_SYS_ADMIN cap_50",
	       "unnamed bit");
	is_str(doctor_capnames(0, buf, sizeof(buf)), "", "empty mask");

	ok(doctor_parse_secureboot((const unsigned char *)"\x06\0\0\0\x01", 5) == 1, "Secure Boot on");
	ok(doctor_parse_secureboot((const unsigned char *)"\x06\0\0\0\0", 5) == 0, "Secure Boot off");
	ok(doctor_parse_secureboot((const unsigned char *)"\x06\0\0", 3) == -1, "short efivar");
	ok(doctor_parse_secureboot(NULL, 0) == -1, "no efivar");

	ok(!doctor_json_str("{\"a\":{\"version\":\"0.2\",\"x\":1}}", "version", buf, sizeof(buf)) &&
	   !strcmp(buf, "0.2"), "json string");
	ok(!doctor_json_str("{\"s\":\"a\\\"b\"}", "s", buf, sizeof(buf)) && !strcmp(buf, "a\"b"),
	   "json string with an escape");
	ok(doctor_json_str("{\"s\":1}", "s", buf, sizeof(buf)) == -1, "json: not a string");
	ok(doctor_json_str("{\"s\":\"open", "s", buf, sizeof(buf)) == -1, "json: unterminated");
	ok(!doctor_json_u64("{\"pid\":4242,\"connected\":true}", "pid", &m) && m == 4242, "json number");
	ok(!doctor_json_u64("{\"pid\":4242,\"connected\":true}", "connected", &m) && m == 1, "json true");
	ok(doctor_json_u64("{\"pid\":4242}", "nope", &m) == -1 && doctor_json_u64(NULL, "x", &m) == -1,
	   "json: absent key");
}

/* The shipped unit grants exactly what doctor compares against. */
static void test_unit_file(void)
{
	static const char *const keys[] = { "\nAmbientCapabilities=", "\nCapabilityBoundingSet=" };
	char text[8192], line[256];
	FILE *f = fopen(PKG_SRC "/systemd/sentineld.service.in", "r");
	size_t n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;

	if (f)
		fclose(f);
	text[n] = '\0';
	for (int i = 0; i < 2; i++) {
		const char *p = strstr(text, keys[i]);
		uint64_t m = 0;

		if (!ok(p != NULL, "unit has %s", keys[i] + 1))
			continue;
		p += strlen(keys[i]);
		snprintf(line, sizeof(line), "%.*s", (int)strcspn(p, "\n"), p);
		ok(!doctor_parse_capnames(line, &m) && m == DOCTOR_UNIT_CAPMASK,
		   "unit's %s'%s' is doctor's set", keys[i] + 1, line);
	}
}

static void test_module_daemon(void)
{
	const char *rep = "{\"ok\":true,\"daemon\":{\"version\":\"0.2\",\"pid\":77,\"connected\":true}}";

	doctor_eval_module(&R, NULL, "0.2");
	ok(R.level == DOCTOR_FAIL && !strcmp(R.fix, "sudo modprobe sentinel"), "module absent: FAIL");
	doctor_eval_module(&R, "0.2", "0.2");
	ok(R.level == DOCTOR_OK && has(R.found, "version 0.2"), "same version: ok");
	doctor_eval_module(&R, "1.2", "0.2");
	ok(R.level == DOCTOR_FAIL && has(R.found, "incompatible") && has(R.fix, "modprobe"),
	   "other major: FAIL");
	doctor_eval_module(&R, "0.1", "0.2");
	ok(R.level == DOCTOR_WARN, "other minor: warn");
	doctor_eval_module(&R, "", "0.2");
	ok(R.level == DOCTOR_WARN, "unreadable version: warn");

	doctor_eval_daemon(&R, -ENOENT, NULL, "/run/x.sock", "0.2");
	ok(R.level == DOCTOR_FAIL && has(R.found, "/run/x.sock") &&
	   has(R.fix, "systemctl enable --now sentineld"), "no socket: FAIL");
	doctor_eval_daemon(&R, -ECONNREFUSED, NULL, "/run/x.sock", "0.2");
	ok(R.level == DOCTOR_FAIL, "refused: FAIL");
	doctor_eval_daemon(&R, -EACCES, NULL, "/run/x.sock", "0.2");
	ok(R.level == DOCTOR_WARN && has(R.fix, "sudo sentinelctl doctor"), "no permission: warn");
	doctor_eval_daemon(&R, -ETIMEDOUT, NULL, "/run/x.sock", "0.2");
	ok(R.level == DOCTOR_FAIL && has(R.fix, "journalctl"), "timeout: FAIL");
	doctor_eval_daemon(&R, 0, rep, "/run/x.sock", "0.2");
	ok(R.level == DOCTOR_OK && has(R.found, "pid 77"), "running and connected: ok");
	doctor_eval_daemon(&R, 0, rep, "/run/x.sock", "0.3");
	ok(R.level == DOCTOR_WARN && has(R.found, "sentinelctl is 0.3"), "other version: warn");
	doctor_eval_daemon(&R, 0, "{\"daemon\":{\"version\":\"0.2\",\"pid\":7,\"connected\":false}}",
			   "/run/x.sock", "0.2");
	ok(R.level == DOCTOR_WARN && has(R.fix, "modprobe"), "not connected: warn");
}

static void test_tiers(void)
{
	struct topology t = { .source = "memory tiers" };
	struct doctor_access a[2] = { { 0, 80, 20000 }, { 1, 300, 5000 } };

	doctor_eval_tiers(&R, NULL, "no sysfs", NULL);
	ok(R.level == DOCTOR_FAIL && has(R.found, "no sysfs"), "no nodes: FAIL");
	sd_node_set(&t.fast, 0);
	doctor_eval_tiers(&R, &t, NULL, NULL);
	ok(R.level == DOCTOR_FAIL && has(R.found, "one tier only"), "one tier: FAIL");
	sd_node_set(&t.slow, 1);
	doctor_eval_tiers(&R, &t, NULL, NULL);
	ok(R.level == DOCTOR_OK && has(R.found, "fast 0, slow 1 (from memory tiers)"),
	   "two tiers, no daemon: ok (%s)", R.found);
	doctor_eval_tiers(&R, &t, NULL, "{\"fast_nodes\":\"0\",\"slow_nodes\":\"1\",\"tiers_from\":\"memory tiers\"}");
	ok(R.level == DOCTOR_OK && has(R.found, "sentineld uses the same"), "daemon agrees: ok");
	doctor_eval_tiers(&R, &t, NULL, "{\"fast_nodes\":\"0-1\",\"slow_nodes\":\"2\",\"tiers_from\":\"configuration\"}");
	ok(R.level == DOCTOR_WARN && has(R.found, "sentineld uses fast 0-1, slow 2 (from configuration)") &&
	   has(R.fix, "sentineld.conf"), "daemon differs: warn (%s)", R.found);
	doctor_eval_tiers(&R, &t, NULL, "{\"fast_nodes\":\"0-1\",\"slow_nodes\":\"\",\"tiers_from\":\"x\"}");
	ok(R.level == DOCTOR_FAIL && has(R.fix, "slow_nodes"), "daemon without slow node: FAIL");

	doctor_eval_hmat(&R, &t, a, 0);
	ok(R.level == DOCTOR_OK && has(R.found, "no access classes"), "no HMAT: ok");
	doctor_eval_hmat(&R, &t, a, 2);
	ok(R.level == DOCTOR_OK && has(R.found, "node 0: 80 ns, 20000 MB/s; node 1: 300 ns, 5000 MB/s"),
	   "HMAT figures (%s)", R.found);
	a[1].latency_ns = 50;
	doctor_eval_hmat(&R, &t, a, 2);
	ok(R.level == DOCTOR_WARN && has(R.found, "slow node 1 (50 ns) is faster than fast node 0"),
	   "slow node faster: warn (%s)", R.found);
}

static void test_kernel_settings(void)
{
	doctor_eval_numa_balancing(&R, NULL);
	ok(R.level == DOCTOR_OK, "numa_balancing absent: ok");
	doctor_eval_numa_balancing(&R, "0");
	ok(R.level == DOCTOR_OK && !strcmp(R.found, "0 (off)"), "numa_balancing 0: ok");
	doctor_eval_numa_balancing(&R, "1");
	ok(R.level == DOCTOR_FAIL && has(R.fix, "sysctl -w kernel.numa_balancing=0"),
	   "numa_balancing 1: FAIL");
	doctor_eval_numa_balancing(&R, "2");
	ok(R.level == DOCTOR_FAIL && has(R.found, "memory tiering"), "numa_balancing 2: FAIL");
	doctor_eval_numa_balancing(&R, "junk");
	ok(R.level == DOCTOR_FAIL, "numa_balancing unreadable value: FAIL");

	doctor_eval_demotion(&R, NULL);
	ok(R.level == DOCTOR_OK, "demotion absent: ok");
	doctor_eval_demotion(&R, "false");
	ok(R.level == DOCTOR_OK, "demotion false: ok");
	doctor_eval_demotion(&R, "true");
	ok(R.level == DOCTOR_WARN && has(R.fix, "demotion_enabled"), "demotion true: warn");

	doctor_eval_thp(&R, NULL);
	ok(R.level == DOCTOR_OK, "no THP: ok");
	doctor_eval_thp(&R, "always [madvise] never");
	ok(R.level == DOCTOR_OK && !strncmp(R.found, "madvise", 7), "THP madvise reported");
	doctor_eval_thp(&R, "always madvise [never]");
	ok(R.level == DOCTOR_OK && !strncmp(R.found, "never", 5), "THP never reported");
	doctor_eval_thp(&R, "odd");
	ok(R.level == DOCTOR_OK && has(R.found, "'odd'"), "THP unparsed reported raw");

	is_int(doctor_parse_init_on_alloc("BOOT_IMAGE=/vmlinuz root=/dev/vda ro", 1), 1,
	       "init_on_alloc: the build default when the command line is silent");
	is_int(doctor_parse_init_on_alloc("ro init_on_alloc=0 quiet", 1), 0,
	       "init_on_alloc=0 overrides the build default");
	is_int(doctor_parse_init_on_alloc("init_on_alloc=off", -1), 0, "init_on_alloc=off");
	is_int(doctor_parse_init_on_alloc("init_on_alloc=on\n", 0), 1, "init_on_alloc=on");
	is_int(doctor_parse_init_on_alloc("init_on_alloc=0 init_on_alloc=Y", 0), 1,
	       "init_on_alloc: the last one wins");
	is_int(doctor_parse_init_on_alloc("init_on_alloc=1 init_on_alloc=junk", 0), 1,
	       "init_on_alloc: a value that does not parse changes nothing");
	is_int(doctor_parse_init_on_alloc("init_on_alloc init_on_alloc= xinit_on_alloc=1", 0), 0,
	       "init_on_alloc: no value, an empty one or another parameter change nothing");
	is_int(doctor_parse_init_on_alloc("quiet", -1), -1, "init_on_alloc: unknown build, silent line");
	is_int(doctor_parse_init_on_alloc(NULL, 1), 1, "init_on_alloc: no command line read");
	doctor_eval_init_on_alloc(&R, -1, -1);
	ok(R.level == DOCTOR_OK && has(R.found, "unknown"), "init_on_alloc unknown: ok");
	doctor_eval_init_on_alloc(&R, 0, 1);
	ok(R.level == DOCTOR_OK && !strcmp(R.found, "off"), "init_on_alloc off: ok");
	doctor_eval_init_on_alloc(&R, 1, 1);
	ok(R.level == DOCTOR_WARN && has(R.found, "the kernel's default") &&
	   has(R.fix, "init_on_alloc=0"), "init_on_alloc on by default: warn, with the fix");
	doctor_eval_init_on_alloc(&R, 1, 0);
	ok(R.level == DOCTOR_WARN && has(R.found, "kernel command line"),
	   "init_on_alloc on from the command line: warn, says where from");
}

static void test_device_caps_lockdown(void)
{
	char st[128];

	doctor_eval_device(&R, 0, "sentinel");
	ok(R.level == DOCTOR_OK, "device opens: ok");
	doctor_eval_device(&R, EACCES, "sentinel");
	ok(R.level == DOCTOR_FAIL && has(R.fix, "add yourself to group sentinel") &&
	   has(R.fix, "usermod -aG sentinel"), "EACCES: FAIL, join the group");
	doctor_eval_device(&R, EACCES, "root");
	ok(R.level == DOCTOR_FAIL && has(R.fix, "60-sentinel.rules"), "EACCES, group root: udev rule");
	doctor_eval_device(&R, ENOENT, "");
	ok(R.level == DOCTOR_FAIL && has(R.fix, "modprobe"), "no device: FAIL");
	doctor_eval_device(&R, ENODEV, "sentinel");
	ok(R.level == DOCTOR_FAIL && has(R.fix, "enabled"), "disabled: FAIL");
	doctor_eval_device(&R, EMFILE, "sentinel");
	ok(R.level == DOCTOR_WARN, "too many sessions: warn");
	doctor_eval_device(&R, EIO, "sentinel");
	ok(R.level == DOCTOR_FAIL, "other error: FAIL");

	doctor_eval_caps(&R, 0, NULL, 0);
	ok(R.level == DOCTOR_WARN && has(R.found, "not checked"), "no daemon: warn");
	doctor_eval_caps(&R, 12, NULL, EACCES);
	ok(R.level == DOCTOR_WARN && has(R.found, "/proc/12/status"), "unreadable status: warn");
	doctor_eval_caps(&R, 12, "CapEff:\t0000000000881000\n", 0);
	ok(R.level == DOCTOR_OK && has(R.found, DOCTOR_UNIT_CAPS), "exactly the unit's: ok");
	snprintf(st, sizeof(st), "CapEff:\t%016llx\n",
		 (unsigned long long)(DOCTOR_UNIT_CAPMASK & ~(1ULL << DOCTOR_CAP_SYS_NICE)));
	doctor_eval_caps(&R, 12, st, 0);
	ok(R.level == DOCTOR_FAIL && !strcmp(R.found, "sentineld (pid 12) lacks CAP_SYS_NICE") &&
	   has(R.fix, "systemctl restart sentineld"), "missing CAP_SYS_NICE: FAIL (%s)", R.found);
	doctor_eval_caps(&R, 12, "CapEff:\t000001ffffffffff\n", 0);
	ok(R.level == DOCTOR_WARN &&
	   has(R.found, "38 capabilities more than its unit grants "
		   "(CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH ...)"), "full root: warn (%s)", R.found);

	doctor_eval_lockdown(&R, NULL, -1, NULL);
	ok(R.level == DOCTOR_OK && has(R.found, "unsigned modules load"), "no lockdown info: ok");
	doctor_eval_lockdown(&R, "[none] integrity confidentiality", 0, "OE");
	ok(R.level == DOCTOR_OK && !strncmp(R.found, "none, Secure Boot off", 21), "lockdown none: ok");
	doctor_eval_lockdown(&R, "none [integrity] confidentiality", 1, NULL);
	ok(R.level == DOCTOR_WARN && has(R.found, "signed") && has(R.fix, "mokutil --import"),
	   "integrity, module not loaded: warn, sign it");
	doctor_eval_lockdown(&R, "none integrity [confidentiality]", -1, "");
	ok(R.level == DOCTOR_OK && has(R.found, "sentinel.ko is loaded"),
	   "confidentiality, module loaded: ok");
	doctor_eval_lockdown(&R, NULL, 1, NULL);
	ok(R.level == DOCTOR_WARN, "Secure Boot on without lockdown file: warn");
}

/* ---- the whole doctor on fake trees ---- */

static const char *fake_reply;
static int fake_err;

static int fake_call(void *arg, const char *req, char **reply)
{
	(void)arg;
	if (strcmp(req, "status"))
		return -EINVAL;
	*reply = fake_err ? NULL : strdup(fake_reply);
	return fake_err;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static enum doctor_level level_of(const struct doctor_report *rep, const char *name)
{
	for (unsigned int i = 0; i < rep->n; i++)
		if (!strcmp(rep->r[i].name, name))
			return rep->r[i].level;
	return (enum doctor_level)-1;
}

static char *printed(const struct doctor_report *rep)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	doctor_print(rep, f);
	fclose(f);
	return s;
}

static void healthy_tree(const char *root)
{
	mkfile(root, "sys/module/sentinel/version", SENTINEL_VERSION_STRING "\n");
	mkfile(root, "sys/module/sentinel/taint", "OE\n");
	mkfile(root, "sys/kernel/sentinel/version", SENTINEL_VERSION_STRING "\n");
	mkfile(root, "dev/sentinel", "");
	mkfile(root, "sys/devices/system/node/has_memory", "0-1\n");
	mkfile(root, "sys/devices/system/node/node0/cpulist", "0-1\n");
	mkfile(root, "sys/devices/system/node/node1/cpulist", "\n");
	mkfile(root, "sys/devices/system/node/node0/access0/initiators/read_latency", "80\n");
	mkfile(root, "sys/devices/system/node/node0/access0/initiators/read_bandwidth", "20000\n");
	mkfile(root, "sys/devices/system/node/node1/access0/initiators/read_latency", "300\n");
	mkfile(root, "sys/devices/system/node/node1/access0/initiators/read_bandwidth", "5000\n");
	mkfile(root, "sys/devices/virtual/memory_tiering/memory_tier4/nodelist", "0\n");
	mkfile(root, "sys/devices/virtual/memory_tiering/memory_tier22/nodelist", "1\n");
	mkfile(root, "proc/sys/kernel/numa_balancing", "0\n");
	mkfile(root, "sys/kernel/mm/numa/demotion_enabled", "false\n");
	mkfile(root, "sys/kernel/mm/transparent_hugepage/enabled", "always [madvise] never\n");
	mkfile(root, "proc/sys/kernel/osrelease", "6.12.0-test-amd64\n");
	mkfile(root, "boot/config-6.12.0-test-amd64",
	       "CONFIG_NUMA=y\nCONFIG_INIT_ON_ALLOC_DEFAULT_ON=y\n# CONFIG_INIT_ON_FREE_DEFAULT_ON is not set\n");
	mkfile(root, "proc/cmdline", "BOOT_IMAGE=/vmlinuz ro init_on_alloc=0 quiet\n");
	mkfile(root, "sys/kernel/security/lockdown", "[none] integrity confidentiality\n");
	mkfile(root, "proc/4242/status", "Name:\tsentineld\nCapInh:\t0000000000881000\n"
	       "CapPrm:\t0000000000881000\nCapEff:\t0000000000881000\n");
}

static void test_healthy(const char *root, const struct doctor_env *env)
{
	struct doctor_report rep;
	struct jbuf b;
	char *out;
	unsigned int oks = 0;

	healthy_tree(root);
	fake_err = 0;
	fake_reply = "{\"ok\":true,\"daemon\":{\"version\":\"" SENTINEL_VERSION_STRING "\","
		     "\"pid\":4242,\"connected\":true,\"fast_nodes\":\"0\",\"slow_nodes\":\"1\","
		     "\"tiers_from\":\"memory tiers\"}}\n";
	doctor_collect(env, &rep);
	is_int(rep.n, 11, "healthy: eleven checks");
	for (unsigned int i = 0; i < rep.n; i++)
		oks += rep.r[i].level == DOCTOR_OK;
	is_int(oks, rep.n, "healthy: every check ok");
	is_int(doctor_exit_status(&rep), 0, "healthy: exit status 0");
	out = printed(&rep);
	ok(has(out, "ok    module: loaded, version " SENTINEL_VERSION_STRING " (sentinelctl "
	       SENTINEL_VERSION_STRING ")\n"), "healthy: module line");
	ok(has(out, "ok    daemon: running (pid 4242)"), "healthy: daemon line");
	ok(has(out, "ok    tiers: fast 0, slow 1 (from memory tiers); sentineld uses the same\n"),
	   "healthy: tiers line");
	ok(has(out, "ok    hmat: node 0: 80 ns"), "healthy: HMAT line");
	ok(has(out, "ok    numa_balancing: 0 (off)\n"), "healthy: numa_balancing line");
	ok(has(out, "ok    init_on_alloc: off\n"), "healthy: init_on_alloc line");
	ok(has(out, "ok    device: /dev/sentinel opens read-write"), "healthy: device line");
	ok(has(out, "ok    capabilities: sentineld (pid 4242) has " DOCTOR_UNIT_CAPS), "healthy: caps");
	ok(has(out, "\n11 checks: 11 ok, 0 warn, 0 FAIL\n") && !has(out, "fix:"),
	   "healthy: summary, no fix");
	free(out);
	jb_init(&b);
	doctor_json(&rep, &b);
	ok(!b.oom && has(b.s, "{\"ok\":true,\"failures\":0,\"warnings\":0,\"checks\":[") &&
	   has(b.s, "{\"check\":\"numa_balancing\",\"status\":\"ok\",\"found\":\"0 (off)\",\"fix\":null}"),
	   "healthy: JSON");
	jb_free(&b);

	/* The daemon started by hand as root: more than it needs, a warning. */
	mkfile(root, "proc/4242/status", "CapEff:\t000001ffffffffff\n");
	doctor_collect(env, &rep);
	ok(level_of(&rep, "capabilities") == DOCTOR_WARN, "root daemon: capabilities warn");
	is_int(doctor_exit_status(&rep), 0, "root daemon: still exit status 0");
}

static void test_broken(const char *root, const struct doctor_env *env)
{
	static const char *const want[][2] = {
		{ "module", "FAIL" }, { "daemon", "FAIL" }, { "tiers", "FAIL" }, { "hmat", "ok" },
		{ "numa_balancing", "FAIL" }, { "demotion", "warn" }, { "thp", "ok" },
		{ "init_on_alloc", "warn" }, { "device", "FAIL" }, { "capabilities", "warn" }, { "lockdown", "warn" },
	};
	struct doctor_report rep;
	struct jbuf b;
	char *out;

	mkfile(root, "sys/devices/system/node/has_memory", "0\n");
	mkfile(root, "sys/devices/system/node/node0/cpulist", "0-1\n");
	mkfile(root, "proc/sys/kernel/numa_balancing", "1\n");
	mkfile(root, "sys/kernel/mm/numa/demotion_enabled", "true\n");
	mkfile(root, "sys/kernel/mm/transparent_hugepage/enabled", "[always] madvise never\n");
	mkfile(root, "sys/kernel/security/lockdown", "none [integrity] confidentiality\n");
	mkfile(root, "proc/sys/kernel/osrelease", "6.1.0-test-amd64\n");
	mkfile(root, "boot/config-6.1.0-test-amd64", "CONFIG_INIT_ON_ALLOC_DEFAULT_ON=y\n");
	mkfile(root, "proc/cmdline", "BOOT_IMAGE=/vmlinuz ro quiet\n");
	fake_err = -ECONNREFUSED;
	doctor_collect(env, &rep);
	if (!is_int(rep.n, 11, "broken: eleven checks"))
		return;
	for (unsigned int i = 0; i < rep.n; i++)
		is_str(doctor_level_name(rep.r[i].level), want[i][1], "broken: %s is %s", want[i][0],
		       want[i][1]);
	is_int(doctor_exit_status(&rep), 1, "broken: exit status 1");
	out = printed(&rep);
	ok(has(out, "FAIL  module: not loaded (no /sys/module/sentinel); fix: sudo modprobe sentinel\n"),
	   "broken: module line");
	ok(has(out, "FAIL  numa_balancing: 1 (on): ") && has(out, "fix: sudo sysctl -w kernel.numa_balancing=0"),
	   "broken: numa_balancing line");
	ok(has(out, "\n11 checks: 2 ok, 4 warn, 5 FAIL\n"), "broken: summary");
	free(out);
	jb_init(&b);
	doctor_json(&rep, &b);
	ok(has(b.s, "{\"ok\":false,\"failures\":5,\"warnings\":4,") &&
	   has(b.s, "\"fix\":\"sudo modprobe sentinel\""), "broken: JSON");
	jb_free(&b);
}

/* The command line: bad arguments are usage errors (exit 2), named. */
static void test_usage(void)
{
	static const struct { const char *args, *msg; } bad[] = {
		{ "doctor extra", "doctor: too many arguments" },
		{ "doctor --bogus", "doctor: bad or incomplete option '--bogus'" },
	};
	char cmd[512], out[1024];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		FILE *p;
		size_t n;
		int st;

		snprintf(cmd, sizeof(cmd), "%s/sentinelctl %s 2>&1", DMN_BIN, bad[i].args);
		p = popen(cmd, "r");
		n = p ? fread(out, 1, sizeof(out) - 1, p) : 0;
		out[n] = '\0';
		st = p ? pclose(p) : -1;
		ok(WIFEXITED(st) && WEXITSTATUS(st) == 2 && has(out, bad[i].msg),
		   "sentinelctl %s: exit 2, '%s'", bad[i].args, bad[i].msg);
	}
}

int main(void)
{
	char good[] = "/tmp/daemon-doctor-XXXXXX", bad[] = "/tmp/daemon-doctor-XXXXXX";
	struct doctor_env env = {
		.socket = "/run/fake.sock", .call = fake_call,
		.version = SENTINEL_VERSION_STRING,
	};
	struct doctor_report rep = { .n = 2 };

	test_parsers();
	test_unit_file();
	test_module_daemon();
	test_tiers();
	test_kernel_settings();
	test_device_caps_lockdown();
	test_usage();
	rep.r[0].level = DOCTOR_OK;
	rep.r[1].level = DOCTOR_WARN;
	is_int(doctor_exit_status(&rep), 0, "warnings only: exit status 0");
	rep.r[1].level = DOCTOR_FAIL;
	is_int(doctor_exit_status(&rep), 1, "a failure: exit status 1");

	if (ok(mkdtemp(good) && mkdtemp(bad), "temp dirs")) {
		env.root = good;
		test_healthy(good, &env);
		env.root = bad;
		test_broken(bad, &env);
		nftw(good, rm_one, 16, FTW_DEPTH | FTW_PHYS);
		nftw(bad, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	}
	return tap_done();
}
