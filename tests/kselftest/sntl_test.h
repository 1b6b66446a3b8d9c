/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the in-VM tests of /dev/sentinel.
 */
#ifndef SNTL_TEST_H
#define SNTL_TEST_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/sentinel.h>

#define PAGE 4096UL
#define SYSFS "/sys/kernel/sentinel/"

static inline int sntl_open(void)
{
	return open(SENTINEL_DEVICE, O_RDWR | O_CLOEXEC);
}

/* ioctl returning -errno on failure, 0 on success. */
static inline int sntl_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static inline struct sentinel_obj sntl_obj(void *addr, size_t len, uint64_t id,
					   unsigned int kind)
{
	struct sentinel_obj o = {
		.addr = (uintptr_t)addr,
		.len = len,
		.id = id,
		.kind = kind,
		.layer_hint = SENTINEL_LAYER_NONE,
	};
	return o;
}

static inline int sntl_register_n(int fd, struct sentinel_obj *objs,
				  uint32_t n, uint32_t *err_index)
{
	struct sentinel_register r = {
		.size = sizeof(r),
		.count = n,
		.obj_size = sizeof(*objs),
		.objs = (uintptr_t)objs,
	};
	int ret = sntl_ioctl(fd, SENTINEL_IOC_REGISTER, &r);

	if (err_index)
		*err_index = r.err_index;
	return ret;
}

static inline int sntl_register1(int fd, void *addr, size_t len, uint64_t id)
{
	struct sentinel_obj o = sntl_obj(addr, len, id, SENTINEL_KIND_WEIGHT);

	return sntl_register_n(fd, &o, 1, NULL);
}

static inline int sntl_unregister_n(int fd, uint64_t *ids, uint32_t n,
				    uint32_t *err_index)
{
	struct sentinel_unregister u = {
		.size = sizeof(u),
		.count = n,
		.ids = (uintptr_t)ids,
	};
	int ret = sntl_ioctl(fd, SENTINEL_IOC_UNREGISTER, &u);

	if (err_index)
		*err_index = u.err_index;
	return ret;
}

static inline int sntl_stats(int fd, struct sentinel_session_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	return sntl_ioctl(fd, SENTINEL_IOC_STATS, st);
}

static inline long sntl_nr_objects(int fd)
{
	struct sentinel_session_stats st;

	if (sntl_stats(fd, &st))
		return -1;
	return (long)st.objects;
}

static inline int sntl_mark(int fd, int type, int dir, uint32_t layer,
			    uint64_t step)
{
	struct sentinel_mark m = {
		.size = sizeof(m),
		.type = type,
		.direction = dir,
		.layer = layer,
		.step = step,
	};
	return sntl_ioctl(fd, SENTINEL_IOC_MARK, &m);
}

/* Query one object by id, optionally with residency. */
static inline int sntl_query1(int fd, uint64_t id, int residency,
			      struct sentinel_obj_info *info)
{
	struct sentinel_query q = {
		.size = sizeof(q),
		.flags = residency ? SENTINEL_QUERY_RESIDENCY : 0,
		.count = 1,
		.info_size = sizeof(*info),
		.ids = (uintptr_t)&id,
		.out = (uintptr_t)info,
	};
	return sntl_ioctl(fd, SENTINEL_IOC_QUERY, &q);
}

static inline void *sntl_map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Read a sysfs value of the module as a long, -1 on error. */
static inline long sntl_sysfs_read(const char *name)
{
	char path[256], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), SYSFS "%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/* Write a sysfs value; 0 or -errno. */
static inline int sntl_sysfs_write(const char *name, const char *val)
{
	char path[256];
	ssize_t n;
	int fd, err;

	snprintf(path, sizeof(path), SYSFS "%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	err = n < 0 ? -errno : 0;
	close(fd);
	return err;
}

#endif /* SNTL_TEST_H */
