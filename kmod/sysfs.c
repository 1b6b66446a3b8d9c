// SPDX-License-Identifier: GPL-2.0
/*
 * Sentinel: /sys/kernel/sentinel/ knobs and statistics.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kobject.h>
#include <linux/sysfs.h>

#include "sentinel.h"

static struct kobject *sntl_kobj;

static ssize_t version_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%s\n", SENTINEL_VERSION_STRING);
}

static struct kobj_attribute version_attr = __ATTR_RO(version);

static struct attribute *sntl_attrs[] = {
	&version_attr.attr,
	NULL,
};

static const struct attribute_group sntl_group = {
	.attrs = sntl_attrs,
};

/**
 * sntl_sysfs_init() - create /sys/kernel/sentinel and its attributes
 *
 * Return: 0 on success, a negative errno otherwise.
 */
int sntl_sysfs_init(void)
{
	int ret;

	sntl_kobj = kobject_create_and_add("sentinel", kernel_kobj);
	if (!sntl_kobj)
		return -ENOMEM;

	ret = sysfs_create_group(sntl_kobj, &sntl_group);
	if (ret)
		goto err_put;
	return 0;

err_put:
	kobject_put(sntl_kobj);
	sntl_kobj = NULL;
	return ret;
}

/**
 * sntl_sysfs_exit() - remove /sys/kernel/sentinel
 */
void sntl_sysfs_exit(void)
{
	sysfs_remove_group(sntl_kobj, &sntl_group);
	kobject_put(sntl_kobj);
}
