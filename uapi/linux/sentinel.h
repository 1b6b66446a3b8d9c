/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Sentinel userspace API.
 */
#ifndef _UAPI_LINUX_SENTINEL_H
#define _UAPI_LINUX_SENTINEL_H

#define SENTINEL_VERSION_MAJOR 0
#define SENTINEL_VERSION_MINOR 1
#define SENTINEL_VERSION_STRING "0.1"

#endif /* _UAPI_LINUX_SENTINEL_H */
