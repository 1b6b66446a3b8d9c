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

#include "internal.h"

static struct kobject *sntl_kobj;

static ssize_t version_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%s\n", SENTINEL_VERSION_STRING);
}

static struct kobj_attribute version_attr = __ATTR_RO(version);

/**
 * struct sntl_knob - a writable tunable of sntl_cfg
 * @attr: the sysfs attribute
 * @b: the boolean it controls, or NULL
 * @u: the integer it controls, or NULL
 * @min: smallest value accepted for @u
 * @max: largest value accepted for @u
 */
struct sntl_knob {
	struct kobj_attribute attr;
	bool *b;
	u32 *u;
	u32 min;
	u32 max;
};

static ssize_t sntl_knob_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	struct sntl_knob *k = container_of(attr, struct sntl_knob, attr);

	if (k->b)
		return sysfs_emit(buf, "%d\n", READ_ONCE(*k->b));
	return sysfs_emit(buf, "%u\n", READ_ONCE(*k->u));
}

/* Booleans take the kernel's spellings; integers a decimal in range. */
static ssize_t sntl_knob_store(struct kobject *kobj,
			       struct kobj_attribute *attr, const char *buf,
			       size_t count)
{
	struct sntl_knob *k = container_of(attr, struct sntl_knob, attr);
	bool bval;
	u32 val;

	if (k->b) {
		if (kstrtobool(buf, &bval))
			return -EINVAL;
		WRITE_ONCE(*k->b, bval);
		return count;
	}
	if (kstrtou32(buf, 10, &val) || val < k->min || val > k->max)
		return -EINVAL;
	WRITE_ONCE(*k->u, val);
	return count;
}

#define SNTL_KNOB_ATTR(_name) __ATTR(_name, 0644, sntl_knob_show, sntl_knob_store)

static struct sntl_knob sntl_knobs[] = {
	{ .attr = SNTL_KNOB_ATTR(enabled), .b = &sntl_cfg.enabled },
	{ .attr = SNTL_KNOB_ATTR(auto_profile), .b = &sntl_cfg.auto_profile },
	{ .attr = SNTL_KNOB_ATTR(tlb_flush), .b = &sntl_cfg.tlb_flush },
	{ .attr = SNTL_KNOB_ATTR(steady_scan_async),
	  .b = &sntl_cfg.steady_scan_async },
	{ .attr = SNTL_KNOB_ATTR(max_sessions),
	  .u = &sntl_cfg.max_sessions,
	  .min = 1, .max = SNTL_MAX_SESSIONS_LIMIT },
	{ .attr = SNTL_KNOB_ATTR(max_objects_per_session),
	  .u = &sntl_cfg.max_objects_per_session,
	  .min = 1, .max = SNTL_MAX_OBJECTS_LIMIT },
	{ .attr = SNTL_KNOB_ATTR(profile_warmup_steps),
	  .u = &sntl_cfg.profile_warmup_steps,
	  .min = 0, .max = SNTL_MAX_WARMUP_LIMIT },
	{ .attr = SNTL_KNOB_ATTR(profile_steps),
	  .u = &sntl_cfg.profile_steps,
	  .min = 1, .max = SENTINEL_MAX_PROFILE_STEPS },
	{ .attr = SNTL_KNOB_ATTR(profile_max_entries),
	  .u = &sntl_cfg.profile_max_entries,
	  .min = SNTL_MIN_PROFILE_ENTRIES, .max = SNTL_MAX_PROFILE_ENTRIES },
	{ .attr = SNTL_KNOB_ATTR(steady_scan_interval),
	  .u = &sntl_cfg.steady_scan_interval,
	  .min = 0, .max = SNTL_MAX_SCAN_INTERVAL },
	{ .attr = SNTL_KNOB_ATTR(steady_scan_budget),
	  .u = &sntl_cfg.steady_scan_budget,
	  .min = 1, .max = SNTL_MAX_SCAN_BUDGET },
};

/* version plus every knob, filled at init. */
static struct attribute *sntl_attrs[ARRAY_SIZE(sntl_knobs) + 2];

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
SNTL_STAT_ATTR(scans, atomic64_read(&sntl_stats.scans));
SNTL_STAT_ATTR(scan_pages, atomic64_read(&sntl_stats.scan_pages));
SNTL_STAT_ATTR(profiles, atomic64_read(&sntl_stats.profiles));
SNTL_STAT_ATTR(dropped_events, atomic64_read(&sntl_stats.dropped_events));

static struct attribute *sntl_stat_attrs[] = {
	&stat_sessions_attr.attr,
	&stat_sessions_total_attr.attr,
	&stat_objects_attr.attr,
	&stat_bytes_attr.attr,
	&stat_marks_attr.attr,
	&stat_errors_attr.attr,
	&stat_scans_attr.attr,
	&stat_scan_pages_attr.attr,
	&stat_profiles_attr.attr,
	&stat_dropped_events_attr.attr,
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
	size_t i;
	int ret;

	sntl_attrs[0] = &version_attr.attr;
	for (i = 0; i < ARRAY_SIZE(sntl_knobs); i++)
		sntl_attrs[i + 1] = &sntl_knobs[i].attr.attr;

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
