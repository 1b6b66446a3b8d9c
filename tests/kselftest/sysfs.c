// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/sentinel knobs: valid writes take effect, invalid writes get
 * EINVAL and change nothing, statistics are read-only.
 */
#include <sys/stat.h>

#include "sntl_test.h"
#include "kselftest_harness.h"

struct knob {
	const char *name;
	const char *good;
	const char *bad[8];
};

static const struct knob knobs[] = {
	{ "enabled", "1", { "2", "-1", "abc", "maybe", "\n", NULL } },
	{ "max_sessions", "77",
	  { "0", "-1", "65537", "4294967296", "1x", " ", "\n", NULL } },
	{ "max_objects_per_session", "123456",
	  { "0", "-5", "16777217", "99999999999", "0x10", "ten", NULL } },
	{ "auto_profile", "0", { "5", "-1", "x", NULL } },
	{ "tlb_flush", "1", { "3", "zz", "\n", NULL } },
	{ "profile_warmup_steps", "3", { "-1", "1000001", "a", NULL } },
	{ "profile_steps", "2", { "0", "17", "-2", "1.5", NULL } },
	{ "profile_max_entries", "5000", { "1023", "67108865", " ", NULL } },
	{ "steady_scan_interval", "4", { "-1", "1000001", "z", NULL } },
	{ "steady_scan_budget", "100", { "0", "1073741825", "1e3", NULL } },
};

TEST(knobs_validate_writes)
{
	size_t i;
	int j;

	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		const struct knob *k = &knobs[i];
		long old = sntl_sysfs_read(k->name);
		char val[32];

		ASSERT_GE(old, 0) TH_LOG("%s unreadable", k->name);
		ASSERT_EQ(sntl_sysfs_write(k->name, k->good), 0);
		EXPECT_EQ(sntl_sysfs_read(k->name), strtol(k->good, NULL, 10));
		for (j = 0; k->bad[j]; j++) {
			EXPECT_EQ(sntl_sysfs_write(k->name, k->bad[j]), -EINVAL)
				TH_LOG("%s <- '%s'", k->name, k->bad[j]);
			EXPECT_EQ(sntl_sysfs_read(k->name),
				  strtol(k->good, NULL, 10));
		}
		snprintf(val, sizeof(val), "%ld", old);
		ASSERT_EQ(sntl_sysfs_write(k->name, val), 0);
	}
}

TEST(stats_are_read_only)
{
	static const char *const stats[] = {
		"sessions", "sessions_total", "objects", "bytes", "marks",
		"errors", "scans", "scan_pages", "profiles", "dropped_events",
	};
	char path[128];
	struct stat st;
	size_t i;

	for (i = 0; i < sizeof(stats) / sizeof(stats[0]); i++) {
		snprintf(path, sizeof(path), SYSFS "stats/%s", stats[i]);
		ASSERT_EQ(stat(path, &st), 0) TH_LOG("%s", path);
		EXPECT_EQ(st.st_mode & 0222, 0);
		EXPECT_GE(sntl_sysfs_read(path + strlen(SYSFS)), 0);
	}
}

TEST(stats_count_sessions)
{
	long s0 = sntl_sysfs_read("stats/sessions");
	long t0 = sntl_sysfs_read("stats/sessions_total");
	int fd = sntl_open();

	ASSERT_GE(fd, 0);
	EXPECT_EQ(sntl_sysfs_read("stats/sessions"), s0 + 1);
	EXPECT_EQ(sntl_sysfs_read("stats/sessions_total"), t0 + 1);
	close(fd);
	EXPECT_EQ(sntl_sysfs_read("stats/sessions"), s0);
}

TEST_HARNESS_MAIN
