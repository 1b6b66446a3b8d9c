// SPDX-License-Identifier: GPL-2.0
/*
 * Sentinel: /sys/kernel/sentinel/ knobs and statistics.
 *
 * Knobs are validated on write; a rejected write returns -EINVAL and
 * changes nothing.  Documentation/admin-guide/sentinel.rst lists them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kobject.h>
#include <linux/kstrtox.h>
#include <linux/sysfs.h>

#include "sentinel.h"

static struct kobject *sntl_kobj;

static ssize_t version_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%s\n", SENTINEL_VERSION_STRING);
}

static struct kobj_attribute version_attr = __ATTR_RO(version);

static ssize_t enabled_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(sntl_cfg.enabled));
}

static ssize_t enabled_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	bool val;

	if (kstrtobool(buf, &val))
		return -EINVAL;
	WRITE_ONCE(sntl_cfg.enabled, val);
	return count;
}

static struct kobj_attribute enabled_attr = __ATTR_RW(enabled);

/* Parse an unsigned decimal in [min, max] into *dst, or fail with -EINVAL. */
static ssize_t sntl_store_u32(const char *buf, size_t count, u32 *dst,
			      u32 min, u32 max)
{
	u32 val;

	if (kstrtou32(buf, 10, &val) || val < min || val > max)
		return -EINVAL;
	WRITE_ONCE(*dst, val);
	return count;
}

static ssize_t max_sessions_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(sntl_cfg.max_sessions));
}

static ssize_t max_sessions_store(struct kobject *kobj,
				  struct kobj_attribute *attr,
				  const char *buf, size_t count)
{
	return sntl_store_u32(buf, count, &sntl_cfg.max_sessions, 1,
			      SNTL_MAX_SESSIONS_LIMIT);
}

static struct kobj_attribute max_sessions_attr = __ATTR_RW(max_sessions);

static ssize_t max_objects_per_session_show(struct kobject *kobj,
					    struct kobj_attribute *attr,
					    char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  READ_ONCE(sntl_cfg.max_objects_per_session));
}

static ssize_t max_objects_per_session_store(struct kobject *kobj,
					     struct kobj_attribute *attr,
					     const char *buf, size_t count)
{
	return sntl_store_u32(buf, count, &sntl_cfg.max_objects_per_session,
			      1, SNTL_MAX_OBJECTS_LIMIT);
}

static struct kobj_attribute max_objects_per_session_attr =
	__ATTR_RW(max_objects_per_session);

static struct attribute *sntl_attrs[] = {
	&version_attr.attr,
	&enabled_attr.attr,
	&max_sessions_attr.attr,
	&max_objects_per_session_attr.attr,
	NULL,
};

static const struct attribute_group sntl_group = {
	.attrs = sntl_attrs,
};

#define SNTL_STAT_ATTR(_name, _expr)					\
static ssize_t _name##_show(struct kobject *kobj,			\
			    struct kobj_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%lld\n", (long long)(_expr));		\
}									\
static struct kobj_attribute stat_##_name##_attr = __ATTR_RO(_name)

SNTL_STAT_ATTR(sessions, atomic_read(&sntl_stats.sessions));
SNTL_STAT_ATTR(sessions_total, atomic64_read(&sntl_stats.sessions_total));
SNTL_STAT_ATTR(objects, atomic64_read(&sntl_stats.objects));
SNTL_STAT_ATTR(bytes, atomic64_read(&sntl_stats.bytes));
SNTL_STAT_ATTR(marks, atomic64_read(&sntl_stats.marks));
SNTL_STAT_ATTR(errors, atomic64_read(&sntl_stats.errors));

static struct attribute *sntl_stat_attrs[] = {
	&stat_sessions_attr.attr,
	&stat_sessions_total_attr.attr,
	&stat_objects_attr.attr,
	&stat_bytes_attr.attr,
	&stat_marks_attr.attr,
	&stat_errors_attr.attr,
	NULL,
};

static const struct attribute_group sntl_stat_group = {
	.name = "stats",
	.attrs = sntl_stat_attrs,
};

static const struct attribute_group *sntl_groups[] = {
	&sntl_group,
	&sntl_stat_group,
	NULL,
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

	ret = sysfs_create_groups(sntl_kobj, sntl_groups);
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
	sysfs_remove_groups(sntl_kobj, sntl_groups);
	kobject_put(sntl_kobj);
}
