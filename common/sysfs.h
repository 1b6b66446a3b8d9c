/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading the small text files of sysfs and procfs (sentineld's topology,
 * sentinelctl's status and doctor).
 */
#ifndef SENTINEL_SYSFS_H
#define SENTINEL_SYSFS_H

#include <stddef.h>

/**
 * sysfs_read() - read a small text file
 * @root: prefix of @path ("" for the live system, a fake tree in tests)
 * @path: absolute path below @root
 * @buf: receives at most @len - 1 bytes and a NUL
 * @len: size of @buf, at least 1
 *
 * Trailing newlines and spaces are removed.  Return: 0, or -errno
 * (-ENAMETOOLONG when @root and @path do not fit the path buffer).
 */
int sysfs_read(const char *root, const char *path, char *buf, size_t len);

#endif
