// SPDX-License-Identifier: GPL-2.0
/*
 * The module is loaded, reports its version in sysfs, and unloads and
 * loads again cleanly.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/sentinel.h>

#include "kselftest_harness.h"

#define VERSION_PATH "/sys/kernel/sentinel/version"

static int read_version(char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(VERSION_PATH, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return (int)n;
}

TEST(version_matches_uapi)
{
	char buf[64];

	ASSERT_EQ(read_version(buf, sizeof(buf)),
		  (int)strlen(SENTINEL_VERSION_STRING) + 1);
	EXPECT_STREQ(buf, SENTINEL_VERSION_STRING "\n");
}

TEST(version_is_read_only)
{
	struct stat st;

	ASSERT_EQ(stat(VERSION_PATH, &st), 0);
	EXPECT_EQ(st.st_mode & 0777, 0444);
	EXPECT_EQ(open(VERSION_PATH, O_WRONLY), -1);
	EXPECT_EQ(errno, EACCES);
}

TEST(unload_and_reload)
{
	const char *ko = getenv("SENTINEL_KO");
	char buf[64];
	int fd;

	if (!ko || !*ko)
		SKIP(return, "SENTINEL_KO not set: module not loaded by runner");

	ASSERT_EQ(syscall(SYS_delete_module, "sentinel", O_NONBLOCK), 0)
		TH_LOG("rmmod: %s", strerror(errno));
	EXPECT_EQ(read_version(buf, sizeof(buf)), -ENOENT);

	fd = open(ko, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(syscall(SYS_finit_module, fd, "", 0), 0)
		TH_LOG("insmod %s: %s", ko, strerror(errno));
	close(fd);
	EXPECT_GT(read_version(buf, sizeof(buf)), 0);
}

TEST_HARNESS_MAIN
