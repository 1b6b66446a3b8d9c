/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The device backend of libsentinel: how the library reaches the module.
 *
 * The default backend opens the device with open(2) and talks to it with
 * ioctl(2).  Tests plug in a backend of their own (a fake module) to check
 * the ioctl traffic without the kernel module.  Not part of the installed
 * API: the library does not export sntl__set_backend().
 */
#ifndef SENTINEL_LIB_BACKEND_H
#define SENTINEL_LIB_BACKEND_H

/**
 * struct sntl_backend - device operations
 * @open: open the device at path; a file descriptor or -errno
 * @ioctl: issue a command; 0 or -errno
 * @close: close a descriptor returned by @open
 * @ctx: passed to every operation
 *
 * The operations must not call back into libsentinel, and @ioctl must not
 * allocate with sntl_alloc().  They are called with library locks held.
 */
struct sntl_backend {
	int (*open)(void *ctx, const char *path);
	int (*ioctl)(void *ctx, int fd, unsigned long cmd, void *arg);
	void (*close)(void *ctx, int fd);
	void *ctx;
};

/*
 * Use be (copied) for sessions opened from now on; NULL restores the
 * default.  Returns SNTL_EBUSY while a session is open.
 */
int sntl__set_backend(const struct sntl_backend *be);

#endif /* SENTINEL_LIB_BACKEND_H */
