// SPDX-License-Identifier: GPL-2.0
/*
 * Sentinel: the "sentinel" generic netlink family (see the uapi header).
 *
 * The daemon's channel: status, sessions, paged object dumps, profiles,
 * profiling control, and events on the "events" multicast group.  Every
 * operation and the group require CAP_NET_ADMIN.  Attributes are checked
 * by a strict per-operation policy; what no policy names is refused.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/version.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include "internal.h"

/* Objects described per round of an object dump. */
#define SNTL_NL_CHUNK		16
/* Profile bytes per message of a profile dump. */
#define SNTL_NL_PROFILE_CHUNK	16384

static struct genl_family sntl_genl_family;

static const struct genl_multicast_group sntl_mcgrps[] = {
	[SNTL_MCGRP_EVENTS] = {
		.name = SENTINEL_GENL_MCGRP_EVENTS,
		.flags = GENL_MCAST_CAP_NET_ADMIN,
	},
};

static const struct nla_policy sntl_status_policy[SENTINEL_A_MAX + 1] = {
};

static const struct nla_policy sntl_session_policy[SENTINEL_A_MAX + 1] = {
	[SENTINEL_A_SESSION_ID] = { .type = NLA_U64 },
};

static const struct nla_policy sntl_objects_policy[SENTINEL_A_MAX + 1] = {
	[SENTINEL_A_SESSION_ID] = { .type = NLA_U64 },
	[SENTINEL_A_RESIDENCY] = { .type = NLA_FLAG },
	[SENTINEL_A_CURSOR] = { .type = NLA_U64 },
};

static const struct nla_policy sntl_profile_policy[SENTINEL_A_MAX + 1] = {
	[SENTINEL_A_SESSION_ID] = { .type = NLA_U64 },
	[SENTINEL_A_WARMUP] = { .type = NLA_U32 },
	[SENTINEL_A_STEPS] = { .type = NLA_U64 },
};

static const struct nla_policy sntl_ack_policy[SENTINEL_A_MAX + 1] = {
	[SENTINEL_A_SESSION_ID] = { .type = NLA_U64 },
	[SENTINEL_A_SEQ] = { .type = NLA_U64 },
};

static const struct nla_policy sntl_placement_policy[SENTINEL_A_MAX + 1] = {
	[SENTINEL_A_SESSION_ID] = { .type = NLA_U64 },
	[SENTINEL_A_COUNT] = { .type = NLA_U32 },
	[SENTINEL_A_OFFSET] = { .type = NLA_U32 },
	[SENTINEL_A_PLACEMENT] = {
		.type = NLA_BINARY,
		.len = SENTINEL_PLACEMENT_CHUNK *
		       sizeof(struct sentinel_placement),
	},
};

static const struct nla_policy sntl_acct_policy[SENTINEL_A_MAX + 1] = {
	[SENTINEL_A_SESSION_ID] = { .type = NLA_U64 },
	[SENTINEL_A_JOB_ACCT] = {
		.type = NLA_BINARY,
		.len = sizeof(struct sentinel_job_acct),
	},
};

static struct nlattr **sntl_dump_attrs(struct netlink_callback *cb)
{
#if KERNEL_VERSION(6, 2, 0) > LINUX_VERSION_CODE
	return genl_dumpit_info(cb)->attrs;
#else
	return genl_info_dump(cb)->attrs;
#endif
}

/* The session named by @attr, with a reference, or NULL and an extack. */
static struct sntl_session *sntl_nl_session(struct nlattr *attr,
					    struct netlink_ext_ack *extack)
{
	struct sntl_session *s;

	if (!attr) {
		NL_SET_ERR_MSG(extack, "session id (SENTINEL_A_SESSION_ID) required");
		return ERR_PTR(-EINVAL);
	}
	s = sntl_session_get(nla_get_u64(attr));
	if (!s) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "no such session");
		return ERR_PTR(-ENOENT);
	}
	return s;
}

static int sntl_nl_put_stats(struct sk_buff *skb)
{
	struct nlattr *nest = nla_nest_start(skb, SENTINEL_A_STATS);

	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, SENTINEL_A_STATS_SESSIONS,
			      atomic_read(&sntl_stats.sessions),
			      SENTINEL_A_STATS_PAD) ||
	    nla_put_u64_64bit(skb, SENTINEL_A_STATS_OBJECTS,
			      atomic64_read(&sntl_stats.objects),
			      SENTINEL_A_STATS_PAD) ||
	    nla_put_u64_64bit(skb, SENTINEL_A_STATS_BYTES,
			      atomic64_read(&sntl_stats.bytes),
			      SENTINEL_A_STATS_PAD) ||
	    nla_put_u64_64bit(skb, SENTINEL_A_STATS_MARKS,
			      atomic64_read(&sntl_stats.marks),
			      SENTINEL_A_STATS_PAD) ||
	    nla_put_u64_64bit(skb, SENTINEL_A_STATS_ERRORS,
			      atomic64_read(&sntl_stats.errors),
			      SENTINEL_A_STATS_PAD) ||
	    nla_put_u64_64bit(skb, SENTINEL_A_STATS_DROPPED,
			      atomic64_read(&sntl_stats.dropped_events),
			      SENTINEL_A_STATS_PAD) ||
	    nla_put_u64_64bit(skb, SENTINEL_A_STATS_SCANS,
			      atomic64_read(&sntl_stats.scans),
			      SENTINEL_A_STATS_PAD) ||
	    nla_put_u64_64bit(skb, SENTINEL_A_STATS_SCAN_PAGES,
			      atomic64_read(&sntl_stats.scan_pages),
			      SENTINEL_A_STATS_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int sntl_nl_get_status(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &sntl_genl_family, 0,
				SENTINEL_CMD_GET_STATUS);
	if (!hdr ||
	    nla_put_string(msg, SENTINEL_A_VERSION, SENTINEL_VERSION_STRING) ||
	    sntl_nl_put_stats(msg)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int sntl_nl_fill_session(struct sk_buff *skb, struct sntl_session *s,
				u32 portid, u32 seq, int flags)
{
	struct sentinel_session_stats st = {};
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &sntl_genl_family, flags,
			  SENTINEL_CMD_GET_SESSION);
	if (!hdr)
		return -EMSGSIZE;
	sntl_session_peek(s, &st);
	if (sntl_nl_put_session_id(skb, s) ||
	    sntl_put_u64(skb, SENTINEL_A_OBJECTS, st.objects) ||
	    sntl_put_u64(skb, SENTINEL_A_BYTES, st.bytes) ||
	    sntl_put_u64(skb, SENTINEL_A_MARKS, st.marks) ||
	    sntl_put_u64(skb, SENTINEL_A_STEPS, st.steps) ||
	    sntl_put_u64(skb, SENTINEL_A_STEP, st.last_step) ||
	    sntl_put_u64(skb, SENTINEL_A_GENERATION,
			 READ_ONCE(s->generation)) ||
	    nla_put_u8(skb, SENTINEL_A_PROFILE_STATE, st.profile_state) ||
	    sntl_put_u64(skb, SENTINEL_A_PROFILE_GENERATION,
			 st.profile_generation) ||
	    sntl_put_u64(skb, SENTINEL_A_PLACEMENT_GENERATION,
			 READ_ONCE(s->placement_gen))) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int sntl_nl_get_session(struct sk_buff *skb, struct genl_info *info)
{
	struct sntl_session *s;
	struct sk_buff *msg;
	int ret;

	s = sntl_nl_session(info->attrs[SENTINEL_A_SESSION_ID], info->extack);
	if (IS_ERR(s))
		return PTR_ERR(s);
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg) {
		ret = -ENOMEM;
		goto out;
	}
	ret = sntl_nl_fill_session(msg, s, info->snd_portid, info->snd_seq, 0);
	if (ret) {
		nlmsg_free(msg);
		goto out;
	}
	ret = genlmsg_reply(msg, info);
out:
	sntl_session_put(s);
	return ret;
}

/* cb->args[0]: id of the last session dumped. */
static int sntl_nl_dump_sessions(struct sk_buff *skb,
				 struct netlink_callback *cb)
{
	struct sntl_session *s;

	while ((s = sntl_session_next(cb->args[0]))) {
		u64 id = s->id;
		int ret = sntl_nl_fill_session(skb, s,
					       NETLINK_CB(cb->skb).portid,
					       cb->nlh->nlmsg_seq,
					       NLM_F_MULTI);

		/* Possibly the last reference: @s is not touched after it. */
		sntl_session_put(s);
		if (ret)
			break;
		cb->args[0] = id;
	}
	return skb->len;
}

/*
 * Object dumps: args[0] session id, args[1] cursor (last id sent),
 * args[2] whether the cursor is valid, args[3] residency, args[4] done.
 */
static int sntl_nl_objects_start(struct netlink_callback *cb)
{
	struct nlattr **attrs = sntl_dump_attrs(cb);
	struct sntl_session *s;

	s = sntl_nl_session(attrs[SENTINEL_A_SESSION_ID], cb->extack);
	if (IS_ERR(s))
		return PTR_ERR(s);
	cb->args[0] = s->id;
	sntl_session_put(s);
	if (attrs[SENTINEL_A_CURSOR]) {
		cb->args[1] = nla_get_u64(attrs[SENTINEL_A_CURSOR]);
		cb->args[2] = 1;
	}
	cb->args[3] = !!attrs[SENTINEL_A_RESIDENCY];
	return 0;
}

static int sntl_nl_dump_objects(struct sk_buff *skb,
				struct netlink_callback *cb)
{
	struct sentinel_obj_info *infos;
	struct sntl_session *s;
	bool full = false;
	void *hdr;
	int ret = 0;

	if (cb->args[4])
		return 0;
	s = sntl_session_get(cb->args[0]);
	if (!s)
		return 0;	/* closed meanwhile: its close event says so */
	infos = kmalloc_array(SNTL_NL_CHUNK, sizeof(*infos), GFP_KERNEL);
	if (!infos) {
		ret = -ENOMEM;
		goto out_put;
	}
	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &sntl_genl_family, NLM_F_MULTI,
			  SENTINEL_CMD_GET_OBJECTS);
	if (!hdr ||
	    sntl_put_u64(skb, SENTINEL_A_SESSION_ID, s->id) ||
	    sntl_put_u64(skb, SENTINEL_A_GENERATION,
			 READ_ONCE(s->generation))) {
		ret = -EMSGSIZE;
		goto out_free;
	}
	while (!full) {
		u64 cursor = cb->args[1];
		u32 n, i;

		ret = sntl_describe(s, &cursor, cb->args[2], cb->args[3],
				    infos, SNTL_NL_CHUNK, &n);
		if (ret)
			break;
		for (i = 0; i < n; i++) {
			if (sntl_nl_put_object(skb, &infos[i], cb->args[3])) {
				full = true;
				break;
			}
			cb->args[1] = infos[i].id;
			cb->args[2] = 1;
		}
		if (!full && n < SNTL_NL_CHUNK) {
			cb->args[4] = 1;
			break;
		}
	}
	genlmsg_end(skb, hdr);
	ret = ret ? ret : skb->len;
out_free:
	kfree(infos);
out_put:
	sntl_session_put(s);
	return ret;
}

/*
 * Profile dumps: args[0] session id, args[1] offset sent so far,
 * args[2] profile generation being sent.
 */
static int sntl_nl_profile_start(struct netlink_callback *cb)
{
	struct nlattr **attrs = sntl_dump_attrs(cb);
	struct sntl_profile_blob *b;
	struct sntl_session *s;

	s = sntl_nl_session(attrs[SENTINEL_A_SESSION_ID], cb->extack);
	if (IS_ERR(s))
		return PTR_ERR(s);
	b = sntl_profile_get(s);
	cb->args[0] = s->id;
	sntl_session_put(s);
	if (!b) {
		NL_SET_ERR_MSG(cb->extack, "the session has no complete profile");
		return -ENOENT;
	}
	cb->args[2] = ((struct sentinel_profile_hdr *)b->data)->generation;
	sntl_profile_put(b);
	return 0;
}

static int sntl_nl_dump_profile(struct sk_buff *skb,
				struct netlink_callback *cb)
{
	struct sntl_profile_blob *b;
	struct sntl_session *s;

	s = sntl_session_get(cb->args[0]);
	if (!s)
		return 0;
	b = sntl_profile_get(s);
	sntl_session_put(s);
	if (!b)
		return 0;
	if (((struct sentinel_profile_hdr *)b->data)->generation !=
	    (u64)cb->args[2]) {
		/* Replaced mid-dump: end it; the consumer sees a short blob. */
		sntl_profile_put(b);
		return 0;
	}
	while ((size_t)cb->args[1] < b->size) {
		size_t off = cb->args[1];
		size_t len = min_t(size_t, b->size - off,
				   SNTL_NL_PROFILE_CHUNK);
		void *hdr;

		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &sntl_genl_family,
				  NLM_F_MULTI, SENTINEL_CMD_GET_PROFILE);
		if (!hdr)
			break;
		if (sntl_put_u64(skb, SENTINEL_A_SESSION_ID, cb->args[0]) ||
		    sntl_put_u64(skb, SENTINEL_A_PROFILE_GENERATION,
				 cb->args[2]) ||
		    nla_put_u32(skb, SENTINEL_A_OFFSET, off) ||
		    nla_put(skb, SENTINEL_A_PROFILE_DATA, len,
			    b->data + off)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[1] = off + len;
	}
	sntl_profile_put(b);
	return skb->len;
}

static int sntl_nl_profile_ctl(struct genl_info *info, u32 op)
{
	struct nlattr *steps_attr = info->attrs[SENTINEL_A_STEPS];
	struct nlattr *warmup_attr = info->attrs[SENTINEL_A_WARMUP];
	u32 steps = READ_ONCE(sntl_cfg.profile_steps), warmup = 0;
	struct sentinel_profile_ctl out;
	struct sntl_session *s;
	int ret;

	if (steps_attr) {
		u64 v = nla_get_u64(steps_attr);

		if (!v || v > SENTINEL_MAX_PROFILE_STEPS) {
			NL_SET_ERR_MSG_ATTR(info->extack, steps_attr,
					    "profile steps must be 1..16");
			return -EINVAL;
		}
		steps = v;
	}
	if (warmup_attr) {
		warmup = nla_get_u32(warmup_attr);
		if (warmup > SNTL_MAX_WARMUP_LIMIT) {
			NL_SET_ERR_MSG_ATTR(info->extack, warmup_attr,
					    "warm-up must be at most 1000000 steps");
			return -EINVAL;
		}
	}
	s = sntl_nl_session(info->attrs[SENTINEL_A_SESSION_ID], info->extack);
	if (IS_ERR(s))
		return PTR_ERR(s);
	ret = sntl_profile_ctl(s, op, warmup, steps, &out);
	sntl_session_put(s);
	return ret;
}

static int sntl_nl_profile_start_cmd(struct sk_buff *skb,
				     struct genl_info *info)
{
	return sntl_nl_profile_ctl(info, SENTINEL_PROFILE_OP_START);
}

static int sntl_nl_profile_stop_cmd(struct sk_buff *skb,
				    struct genl_info *info)
{
	return sntl_nl_profile_ctl(info, SENTINEL_PROFILE_OP_STOP);
}

static int sntl_nl_set_placement(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *data = info->attrs[SENTINEL_A_PLACEMENT];
	const char *why = NULL;
	struct sntl_session *s;
	u32 n = 0;
	int ret;

	if (!info->attrs[SENTINEL_A_COUNT] || !info->attrs[SENTINEL_A_OFFSET]) {
		NL_SET_ERR_MSG(info->extack,
			       "SENTINEL_A_COUNT and SENTINEL_A_OFFSET required");
		return -EINVAL;
	}
	if (!data && nla_get_u32(info->attrs[SENTINEL_A_COUNT])) {
		NL_SET_ERR_MSG(info->extack,
			       "SENTINEL_A_PLACEMENT required unless SENTINEL_A_COUNT is 0");
		return -EINVAL;
	}
	if (data) {
		if (nla_len(data) % sizeof(struct sentinel_placement)) {
			NL_SET_ERR_MSG_ATTR(info->extack, data,
					    "not a whole number of entries");
			return -EINVAL;
		}
		n = nla_len(data) / sizeof(struct sentinel_placement);
	}
	s = sntl_nl_session(info->attrs[SENTINEL_A_SESSION_ID], info->extack);
	if (IS_ERR(s))
		return PTR_ERR(s);
	ret = sntl_placement_put_chunk(s,
				       nla_get_u32(info->attrs[SENTINEL_A_COUNT]),
				       nla_get_u32(info->attrs[SENTINEL_A_OFFSET]),
				       data ? nla_data(data) : NULL, n, &why);
	/* @why points to a string literal, as NL_SET_ERR_MSG() would store. */
	if (ret && why && info->extack)
		info->extack->_msg = why;
	sntl_session_put(s);
	return ret;
}

static int sntl_nl_ack_mark(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *seq = info->attrs[SENTINEL_A_SEQ];
	struct sntl_session *s;
	int ret;

	if (!seq) {
		NL_SET_ERR_MSG(info->extack, "SENTINEL_A_SEQ required");
		return -EINVAL;
	}
	s = sntl_nl_session(info->attrs[SENTINEL_A_SESSION_ID], info->extack);
	if (IS_ERR(s))
		return PTR_ERR(s);
	ret = sntl_session_ack(s, info->snd_portid, nla_get_u64(seq));
	if (ret == -EINVAL)
		NL_SET_ERR_MSG_ATTR(info->extack, seq,
				    "acknowledgment of a mark not made yet");
	else if (ret == -EBUSY)
		NL_SET_ERR_MSG(info->extack,
			       "another socket acknowledges this session");
	sntl_session_put(s);
	return ret;
}

static int sntl_nl_release_marks(struct sk_buff *skb, struct genl_info *info)
{
	struct sntl_session *s;
	int ret;

	s = sntl_nl_session(info->attrs[SENTINEL_A_SESSION_ID], info->extack);
	if (IS_ERR(s))
		return PTR_ERR(s);
	ret = sntl_session_unack(s, info->snd_portid);
	if (ret == -EBUSY)
		NL_SET_ERR_MSG(info->extack,
			       "another socket acknowledges this session");
	sntl_session_put(s);
	return ret;
}

static int sntl_nl_set_acct(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *data = info->attrs[SENTINEL_A_JOB_ACCT];
	struct sentinel_job_acct acct;
	struct sntl_session *s;
	int ret;

	if (!data || nla_len(data) != sizeof(acct)) {
		NL_SET_ERR_MSG(info->extack,
			       "SENTINEL_A_JOB_ACCT of one struct sentinel_job_acct required");
		return -EINVAL;
	}
	memcpy(&acct, nla_data(data), sizeof(acct));
	if (acct.updates) {
		NL_SET_ERR_MSG_ATTR(info->extack, data, "updates must be 0");
		return -EINVAL;
	}
	s = sntl_nl_session(info->attrs[SENTINEL_A_SESSION_ID], info->extack);
	if (IS_ERR(s))
		return PTR_ERR(s);
	ret = sntl_session_set_acct(s, &acct);
	sntl_session_put(s);
	return ret;
}

static const struct genl_ops sntl_genl_ops[] = {
	{
		.cmd = SENTINEL_CMD_GET_STATUS,
		.doit = sntl_nl_get_status,
		.policy = sntl_status_policy,
		.maxattr = SENTINEL_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = SENTINEL_CMD_GET_SESSION,
		.doit = sntl_nl_get_session,
		.dumpit = sntl_nl_dump_sessions,
		.policy = sntl_session_policy,
		.maxattr = SENTINEL_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = SENTINEL_CMD_GET_OBJECTS,
		.start = sntl_nl_objects_start,
		.dumpit = sntl_nl_dump_objects,
		.policy = sntl_objects_policy,
		.maxattr = SENTINEL_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = SENTINEL_CMD_GET_PROFILE,
		.start = sntl_nl_profile_start,
		.dumpit = sntl_nl_dump_profile,
		.policy = sntl_session_policy,
		.maxattr = SENTINEL_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = SENTINEL_CMD_PROFILE_START,
		.doit = sntl_nl_profile_start_cmd,
		.policy = sntl_profile_policy,
		.maxattr = SENTINEL_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = SENTINEL_CMD_PROFILE_STOP,
		.doit = sntl_nl_profile_stop_cmd,
		.policy = sntl_session_policy,
		.maxattr = SENTINEL_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = SENTINEL_CMD_SET_PLACEMENT,
		.doit = sntl_nl_set_placement,
		.policy = sntl_placement_policy,
		.maxattr = SENTINEL_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = SENTINEL_CMD_ACK_MARK,
		.doit = sntl_nl_ack_mark,
		.policy = sntl_ack_policy,
		.maxattr = SENTINEL_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = SENTINEL_CMD_RELEASE_MARKS,
		.doit = sntl_nl_release_marks,
		.policy = sntl_ack_policy,
		.maxattr = SENTINEL_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = SENTINEL_CMD_SET_ACCT,
		.doit = sntl_nl_set_acct,
		.policy = sntl_acct_policy,
		.maxattr = SENTINEL_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
};

static struct genl_family sntl_genl_family __ro_after_init = {
	.name = SENTINEL_GENL_NAME,
	.version = SENTINEL_GENL_VERSION,
	.maxattr = SENTINEL_A_MAX,
	.module = THIS_MODULE,
	/*
	 * No genetlink-wide lock around our commands: a dump that waits
	 * never holds up another family (or the controller's lookups).
	 * Every command takes the module's own locks.
	 */
	.parallel_ops = true,
	.ops = sntl_genl_ops,
	.n_ops = ARRAY_SIZE(sntl_genl_ops),
	.mcgrps = sntl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(sntl_mcgrps),
};

/* A generic netlink socket closed: it acknowledges no session any more. */
static int sntl_nl_released(struct notifier_block *nb, unsigned long event,
			    void *ptr)
{
	struct netlink_notify *n = ptr;

	if (event == NETLINK_URELEASE && n->protocol == NETLINK_GENERIC &&
	    net_eq(n->net, &init_net))
		sntl_session_release_acks(n->portid);
	return NOTIFY_DONE;
}

static struct notifier_block sntl_nl_notifier = {
	.notifier_call = sntl_nl_released,
};

/**
 * sntl_netlink_init() - register the generic netlink family
 *
 * Return: 0 or a negative errno.
 */
int sntl_netlink_init(void)
{
	int ret = netlink_register_notifier(&sntl_nl_notifier);

	if (ret)
		return ret;
	ret = genl_register_family(&sntl_genl_family);
	if (ret) {
		netlink_unregister_notifier(&sntl_nl_notifier);
		return ret;
	}
	sntl_events_start(&sntl_genl_family);
	return 0;
}

/**
 * sntl_netlink_exit() - unregister the family
 */
void sntl_netlink_exit(void)
{
	sntl_events_stop();
	genl_unregister_family(&sntl_genl_family);
	netlink_unregister_notifier(&sntl_nl_notifier);
}
