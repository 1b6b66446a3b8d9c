// SPDX-License-Identifier: GPL-2.0
/*
 * Sentinel: object-level memory tiering for deep-learning training.
 *
 * Module init and exit only; every concern lives in its own file.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/init.h>

#include "internal.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

static int __init sntl_init(void)
{
	int ret;

	ret = sntl_registry_init();
	if (ret)
		return ret;
	ret = sntl_sysfs_init();
	if (ret)
		goto err_registry;
	ret = sntl_netlink_init();
	if (ret)
		goto err_sysfs;
	ret = sntl_scan_init();
	if (ret)
		goto err_netlink;
	ret = sntl_dev_init();
	if (ret)
		goto err_scan;

	pr_info("version %s loaded\n", SENTINEL_VERSION_STRING);
	return 0;

err_scan:
	sntl_scan_exit();
err_netlink:
	sntl_netlink_exit();
err_sysfs:
	sntl_sysfs_exit();
err_registry:
	sntl_registry_exit();
	return ret;
}

static void __exit sntl_exit(void)
{
	sntl_dev_exit();
	sntl_scan_exit();
	sntl_netlink_exit();
	sntl_sysfs_exit();
	sntl_registry_exit();
	pr_info("unloaded\n");
}

module_init(sntl_init);
module_exit(sntl_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Sentinel object-level memory tiering for DNN training");
MODULE_VERSION(SENTINEL_VERSION_STRING);
