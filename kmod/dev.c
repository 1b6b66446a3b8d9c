// SPDX-License-Identifier: GPL-2.0
/*
 * Sentinel: the /dev/sentinel misc device and its ioctl commands.
 *
 * Each command's argument starts with a size and a flags word (see the
 * uapi header); this file copies arguments in and out under those rules
 * and dispatches on the command's number, ignoring the size bits that the
 * command number carries.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/uaccess.h>

#include "internal.h"

/*
 * Copy a command's argument in: @usize is the caller's size, at least
 * @min_size; bytes the module does not know must be zero.
 */
static int sntl_arg_in(void *karg, size_t ksize, size_t min_size,
		       void __user *uarg, u32 *usize)
{
	if (get_user(*usize, (u32 __user *)uarg))
		return -EFAULT;
	if (*usize < min_size)
		return -EINVAL;
	if (*usize > SENTINEL_MAX_ARG_SIZE)
		return -E2BIG;
	return copy_struct_from_user(karg, ksize, uarg, *usize);
}

static int sntl_arg_out(void __user *uarg, const void *karg, size_t ksize,
			u32 usize)
{
	return copy_to_user(uarg, karg, min_t(size_t, ksize, usize)) ?
	       -EFAULT : 0;
}

static long sntl_ioc_version(void __user *uarg)
{
	struct sentinel_version v;
	u32 usize;
	int ret;

	ret = sntl_arg_in(&v, sizeof(v), SENTINEL_VERSION_SIZE_V0, uarg,
			  &usize);
	if (ret)
		return ret;
	if (v.flags)
		return -EINVAL;
	v.major = SENTINEL_VERSION_MAJOR;
	v.minor = SENTINEL_VERSION_MINOR;
	v.max_batch = SENTINEL_MAX_BATCH;
	v.max_nodes = SENTINEL_MAX_NODES;
	v.features = SENTINEL_FEAT_REGISTRY | SENTINEL_FEAT_MARKS |
		     SENTINEL_FEAT_RESIDENCY | SENTINEL_FEAT_PROFILE |
		     SENTINEL_FEAT_STEADY | SENTINEL_FEAT_NETLINK |
		     SENTINEL_FEAT_PLACEMENT | SENTINEL_FEAT_SYNC |
		     SENTINEL_FEAT_RELEASE | SENTINEL_FEAT_OBJECT_EVENTS |
		     SENTINEL_FEAT_HINTS | SENTINEL_FEAT_JOB_ACCT;
	return sntl_arg_out(uarg, &v, sizeof(v), usize);
}

static long sntl_ioc_register(struct sntl_session *s, void __user *uarg)
{
	struct sentinel_register r;
	struct sentinel_register __user *ur = uarg;
	u32 usize, err_index;
	int ret;

	ret = sntl_arg_in(&r, sizeof(r), SENTINEL_REGISTER_SIZE_V0, uarg,
			  &usize);
	if (ret)
		return ret;
	/* Fail on an unwritable argument before changing anything. */
	if (put_user(r.count, &ur->err_index))
		return -EFAULT;
	if (r.flags || r.reserved)
		return -EINVAL;
	ret = sntl_register(s, u64_to_user_ptr(r.objs), r.count, r.obj_size,
			    &err_index);
	if (put_user(err_index, &ur->err_index))
		return -EFAULT;
	return ret;
}

static long sntl_ioc_unregister(struct sntl_session *s, void __user *uarg)
{
	struct sentinel_unregister u;
	struct sentinel_unregister __user *uu = uarg;
	u32 usize, err_index;
	int ret;

	ret = sntl_arg_in(&u, sizeof(u), SENTINEL_UNREGISTER_SIZE_V0, uarg,
			  &usize);
	if (ret)
		return ret;
	if (put_user(u.count, &uu->err_index))
		return -EFAULT;
	if (u.flags & ~SENTINEL_UNREG_ALL)
		return -EINVAL;
	if (u.flags & SENTINEL_UNREG_ALL) {
		if (u.count || u.ids)
			return -EINVAL;
		return sntl_unregister_all(s);
	}
	ret = sntl_unregister(s, u64_to_user_ptr(u.ids), u.count, &err_index);
	if (put_user(err_index, &uu->err_index))
		return -EFAULT;
	return ret;
}

static long sntl_ioc_mark(struct sntl_session *s, void __user *uarg)
{
	struct sentinel_mark m;
	u64 seq, now;
	u32 usize;
	int ret;

	/* The common case, the exact size, in one copy. */
	if (get_user(usize, (u32 __user *)uarg))
		return -EFAULT;
	if (usize == sizeof(m)) {
		if (copy_from_user(&m, uarg, sizeof(m)))
			return -EFAULT;
	} else {
		ret = sntl_arg_in(&m, sizeof(m), SENTINEL_MARK_SIZE_V0, uarg,
				  &usize);
		if (ret)
			return ret;
	}
	ret = sntl_session_mark(s, &m, &seq, &now);
	if (ret)
		return ret;
	sntl_nl_mark_event(s, &m, seq, now);
	sntl_scan_on_mark(s, &m, now);
	return 0;
}

#define SNTL_QUERY_FLAGS (SENTINEL_QUERY_ALL | SENTINEL_QUERY_CURSOR | \
			  SENTINEL_QUERY_RESIDENCY)

static long sntl_ioc_query(struct sntl_session *s, void __user *uarg)
{
	struct sentinel_query q;
	u32 usize;
	int ret, ret2;

	ret = sntl_arg_in(&q, sizeof(q), SENTINEL_QUERY_SIZE_V0, uarg, &usize);
	if (ret)
		return ret;
	if (q.flags & ~SNTL_QUERY_FLAGS)
		return -EINVAL;
	ret = sntl_query(s, &q, q.info_size);
	ret2 = sntl_arg_out(uarg, &q, sizeof(q), usize);
	return ret ? ret : ret2;
}

static long sntl_ioc_stats(struct sntl_session *s, void __user *uarg)
{
	struct sentinel_session_stats st;
	u32 usize;
	int ret;

	ret = sntl_arg_in(&st, sizeof(st), SENTINEL_STATS_SIZE_V0, uarg,
			  &usize);
	if (ret)
		return ret;
	if (st.flags)
		return -EINVAL;
	ret = sntl_session_stats(s, &st);
	if (ret)
		return ret;
	return sntl_arg_out(uarg, &st, sizeof(st), usize);
}

static long sntl_ioc_profile_ctl(struct sntl_session *s, void __user *uarg)
{
	struct sentinel_profile_ctl c;
	u32 usize;
	int ret;

	ret = sntl_arg_in(&c, sizeof(c), SENTINEL_PROFILE_CTL_SIZE_V0, uarg,
			  &usize);
	if (ret)
		return ret;
	if (c.flags)
		return -EINVAL;
	ret = sntl_profile_ctl(s, c.op, c.warmup, c.steps, &c);
	if (ret)
		return ret;
	return sntl_arg_out(uarg, &c, sizeof(c), usize);
}

static long sntl_ioc_profile_read(struct sntl_session *s, void __user *uarg)
{
	struct sentinel_profile_read r;
	struct sntl_profile_blob *b;
	u32 usize;
	int ret;

	ret = sntl_arg_in(&r, sizeof(r), SENTINEL_PROFILE_READ_SIZE_V0, uarg,
			  &usize);
	if (ret)
		return ret;
	if (r.flags)
		return -EINVAL;
	b = sntl_profile_get(s);
	if (!b)
		return -ENOENT;
	r.needed = b->size;
	if (r.buf_len < b->size)
		ret = -ENOSPC;
	else if (copy_to_user(u64_to_user_ptr(r.buf), b->data, b->size))
		ret = -EFAULT;
	sntl_profile_put(b);
	if (ret == -EFAULT)
		return ret;
	if (sntl_arg_out(uarg, &r, sizeof(r), usize))
		return -EFAULT;
	return ret;
}

static long sntl_ioc_get_placement(struct sntl_session *s, void __user *uarg)
{
	struct sentinel_placement_get g;
	struct sntl_placement_map *m;
	u32 usize;
	int ret;

	ret = sntl_arg_in(&g, sizeof(g), SENTINEL_PLACEMENT_GET_SIZE_V0, uarg,
			  &usize);
	if (ret)
		return ret;
	if (g.flags || g.reserved)
		return -EINVAL;
	m = sntl_placement_get(s);
	g.returned = 0;
	g.total = m ? m->count : 0;
	g.generation = m ? m->generation : 0;
	if (g.count && g.count < g.total)
		ret = -ENOSPC;
	else if (g.count && g.total &&
		 copy_to_user(u64_to_user_ptr(g.buf), m->e,
			      (size_t)g.total * sizeof(*m->e)))
		ret = -EFAULT;
	else if (g.count)
		g.returned = g.total;
	if (m)
		sntl_placement_put(m);
	if (ret == -EFAULT)
		return ret;
	if (sntl_arg_out(uarg, &g, sizeof(g), usize))
		return -EFAULT;
	return ret;
}

static long sntl_ioc_wait(struct sntl_session *s, void __user *uarg)
{
	struct sentinel_wait w;
	u32 usize;
	int ret, ret2;

	ret = sntl_arg_in(&w, sizeof(w), SENTINEL_WAIT_SIZE_V0, uarg, &usize);
	if (ret)
		return ret;
	if (w.flags || w.reserved)
		return -EINVAL;
	ret = sntl_session_wait(s, w.seq, w.timeout_ms, &w.acked);
	ret2 = sntl_arg_out(uarg, &w, sizeof(w), usize);
	return ret2 ? ret2 : ret;
}

static long sntl_dispatch(struct sntl_session *s, unsigned int cmd,
			  void __user *uarg)
{
	switch (_IOC_NR(cmd)) {
	case _IOC_NR(SENTINEL_IOC_REGISTER):
		return sntl_ioc_register(s, uarg);
	case _IOC_NR(SENTINEL_IOC_UNREGISTER):
		return sntl_ioc_unregister(s, uarg);
	case _IOC_NR(SENTINEL_IOC_MARK):
		return sntl_ioc_mark(s, uarg);
	case _IOC_NR(SENTINEL_IOC_QUERY):
		return sntl_ioc_query(s, uarg);
	case _IOC_NR(SENTINEL_IOC_STATS):
		return sntl_ioc_stats(s, uarg);
	case _IOC_NR(SENTINEL_IOC_PROFILE_CTL):
		return sntl_ioc_profile_ctl(s, uarg);
	case _IOC_NR(SENTINEL_IOC_PROFILE_READ):
		return sntl_ioc_profile_read(s, uarg);
	case _IOC_NR(SENTINEL_IOC_GET_PLACEMENT):
		return sntl_ioc_get_placement(s, uarg);
	case _IOC_NR(SENTINEL_IOC_WAIT):
		return sntl_ioc_wait(s, uarg);
	default:
		return -ENOTTY;
	}
}

/*
 * A buffer-size probe answered ENOSPC is the protocol, not a failure; so
 * are a wait's answers that no daemon acknowledges or that it is late.
 */
static bool sntl_is_failure(unsigned int cmd, long ret)
{
	if (ret >= 0)
		return false;
	if (_IOC_NR(cmd) == _IOC_NR(SENTINEL_IOC_WAIT))
		return ret != -ENOTCONN && ret != -ETIMEDOUT;
	return !(ret == -ENOSPC &&
		 (_IOC_NR(cmd) == _IOC_NR(SENTINEL_IOC_PROFILE_READ) ||
		  _IOC_NR(cmd) == _IOC_NR(SENTINEL_IOC_GET_PLACEMENT)));
}

static long sntl_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct sntl_session *s = file->private_data;
	void __user *uarg = (void __user *)arg;
	bool own = current->mm == s->mm;
	long ret;

	if (_IOC_TYPE(cmd) != SENTINEL_IOC_MAGIC)
		ret = -ENOTTY;
	else if (_IOC_NR(cmd) == _IOC_NR(SENTINEL_IOC_VERSION))
		ret = sntl_ioc_version(uarg);
	else if (!own)	/* only the session's address space may use it */
		ret = -EPERM;
	else
		ret = sntl_dispatch(s, cmd, uarg);

	if (sntl_is_failure(cmd, ret)) {
		/* Another process's refusals are not the owner's errors. */
		if (own)
			atomic64_inc(&s->errors);
		atomic64_inc(&sntl_stats.errors);
	}
	return ret;
}

static int sntl_open(struct inode *inode, struct file *file)
{
	struct sntl_session *s = sntl_session_create();

	if (IS_ERR(s))
		return PTR_ERR(s);
	file->private_data = s;
	return 0;
}

static int sntl_release(struct inode *inode, struct file *file)
{
	sntl_session_release(file->private_data);
	return 0;
}

static const struct file_operations sntl_fops = {
	.owner = THIS_MODULE,
	.open = sntl_open,
	.release = sntl_release,
	.unlocked_ioctl = sntl_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice sntl_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "sentinel",
	.fops = &sntl_fops,
	.mode = 0660,
};

/**
 * sntl_dev_init() - register /dev/sentinel
 *
 * Return: 0 or a negative errno.
 */
int sntl_dev_init(void)
{
	return misc_register(&sntl_miscdev);
}

/**
 * sntl_dev_exit() - remove /dev/sentinel; no file can be open
 */
void sntl_dev_exit(void)
{
	misc_deregister(&sntl_miscdev);
}
