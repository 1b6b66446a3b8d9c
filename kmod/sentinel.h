/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sentinel: internal declarations shared by the module's files.
 */
#ifndef _SENTINEL_INTERNAL_H
#define _SENTINEL_INTERNAL_H

#include <linux/sentinel.h>

int sntl_sysfs_init(void);
void sntl_sysfs_exit(void);

#endif /* _SENTINEL_INTERNAL_H */
