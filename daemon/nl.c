// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink client of the "sentinel" family.
 *
 * libnl provides the socket, message construction and attribute iteration;
 * receiving is done here with recvmsg() so that sequence numbers, dump
 * termination, NLM_F_DUMP_INTR, ENOBUFS and extended acks (NETLINK_EXT_ACK,
 * parsed from the NLMSGERR_ATTR_* TLVs; libnl 3.7 has no helper for them)
 * are all under our control.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define SNL_RBUF (128 * 1024)
#define SNL_TIMEOUT_S 10
#define SNL_MAX_PROFILE (256U << 20)

/* ---- attribute helpers: every getter checks the exact length ---- */

static int get_u64(const struct nlattr *a, uint64_t *v)
{
	if (!a || nla_len(a) != 8)
		return -1;
	memcpy(v, nla_data(a), 8);
	return 0;
}

static int get_u32(const struct nlattr *a, uint32_t *v)
{
	if (!a || nla_len(a) != 4)
		return -1;
	memcpy(v, nla_data(a), 4);
	return 0;
}

static int get_u16(const struct nlattr *a, uint16_t *v)
{
	if (!a || nla_len(a) != 2)
		return -1;
	memcpy(v, nla_data(a), 2);
	return 0;
}

static int get_u8(const struct nlattr *a, uint8_t *v)
{
	if (!a || nla_len(a) != 1)
		return -1;
	*v = *(const uint8_t *)nla_data(a);
	return 0;
}

/* A NUL-terminated string that fits @len (else -1). */
static int get_str(const struct nlattr *a, char *buf, size_t len)
{
	const char *s;
	size_t n;

	if (!a || nla_len(a) < 1)
		return -1;
	s = nla_data(a);
	n = strnlen(s, (size_t)nla_len(a));
	if (n == (size_t)nla_len(a) || n >= len)
		return -1;
	memcpy(buf, s, n + 1);
	return 0;
}

/*
 * Index the attributes that follow @off bytes of payload into @tb
 * (maxtype + 1 entries).  Unknown types are ignored (newer modules);
 * a truncated attribute stream is an error.
 */
static int index_attrs(const void *data, int len, struct nlattr **tb,
		       int maxtype)
{
	const struct nlattr *a;
	int rem;

	memset(tb, 0, sizeof(*tb) * (size_t)(maxtype + 1));
	if (len < 0)
		return -1;
	nla_for_each_attr(a, (struct nlattr *)data, len, rem) {
		int t = nla_type(a);

		if (t > 0 && t <= maxtype)
			tb[t] = (struct nlattr *)a;
	}
	return rem < 0 || (rem > 0 && rem >= NLA_HDRLEN) ? -1 : 0;
}

static int genl_attrs(const struct nlmsghdr *nlh, struct nlattr **tb,
		      int maxtype)
{
	const struct genlmsghdr *g;
	int len;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return -1;
	g = nlmsg_data(nlh);
	len = (int)nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	return index_attrs((const char *)g + GENL_HDRLEN, len, tb, maxtype);
}

static uint8_t genl_cmd(const struct nlmsghdr *nlh)
{
	return ((const struct genlmsghdr *)nlmsg_data(nlh))->cmd;
}

/* ---- sockets ---- */

static int snl_socket(struct snl *c)
{
	int one = 1, err;
	struct timeval tv = { .tv_sec = SNL_TIMEOUT_S };

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->extack_miss = -1;
	c->rbuf_len = SNL_RBUF;
	c->rbuf = malloc(c->rbuf_len);
	c->sk = nl_socket_alloc();
	if (!c->rbuf || !c->sk)
		return -ENOMEM;
	nl_socket_disable_auto_ack(c->sk);
	err = nl_connect(c->sk, NETLINK_GENERIC);
	if (err < 0)
		return err == -NLE_PERM ? -EPERM : -EPROTONOSUPPORT;
	c->fd = nl_socket_get_fd(c->sk);
	setsockopt(c->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(c->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return 0;
}

void snl_close(struct snl *c)
{
	if (c->sk)
		nl_socket_free(c->sk);	/* closes the fd */
	free(c->rbuf);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

const char *snl_extack(const struct snl *c)
{
	return c->extack;
}

const char *snl_strerror(const struct snl *c, int err, char *buf, size_t len)
{
	const char *what;

	switch (-err) {
	case ENOENT: what = "not found"; break;
	case EPERM: what = "permission denied (CAP_NET_ADMIN needed)"; break;
	case EPROTO: what = "malformed reply from the kernel"; break;
	case ETIMEDOUT: what = "the kernel did not answer"; break;
	default: what = strerror(-err); break;
	}
	if (c && c->extack[0])
		snprintf(buf, len, "%s (kernel: %s)", what, c->extack);
	else if (c && c->extack_miss >= 0)
		snprintf(buf, len, "%s (kernel: missing attribute %d)", what,
			 c->extack_miss);
	else
		snprintf(buf, len, "%s", what);
	return buf;
}

/* Receive one datagram into c->rbuf; its length or -errno. */
static ssize_t snl_recv(struct snl *c, int flags)
{
	struct sockaddr_nl sa;
	struct iovec iov = { c->rbuf, c->rbuf_len };
	struct msghdr mh = {
		.msg_name = &sa, .msg_namelen = sizeof(sa),
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	ssize_t n;

	for (;;) {
		n = recvmsg(c->fd, &mh, flags);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ?
			       (flags & MSG_DONTWAIT ? -EAGAIN : -ETIMEDOUT) : -errno;
		}
		if (mh.msg_flags & MSG_TRUNC)
			return -EMSGSIZE;
		if (mh.msg_namelen != sizeof(sa) || sa.nl_pid != 0)
			continue;	/* not from the kernel: ignore */
		return n;
	}
}

/* Parse NLMSGERR_ATTR_* TLVs at @tlv (@len bytes) into c->extack. */
static void parse_ack_tlvs(struct snl *c, const void *tlv, int len)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	uint32_t miss;

	if (len <= 0 || index_attrs(tlv, len, tb, NLMSGERR_ATTR_MAX))
		return;
	if (tb[NLMSGERR_ATTR_MSG] &&
	    get_str(tb[NLMSGERR_ATTR_MSG], c->extack, sizeof(c->extack))) {
		/* Too long or unterminated: keep what is printable. */
		size_t n = (size_t)nla_len(tb[NLMSGERR_ATTR_MSG]);

		if (n >= sizeof(c->extack))
			n = sizeof(c->extack) - 1;
		memcpy(c->extack, nla_data(tb[NLMSGERR_ATTR_MSG]), n);
		c->extack[n] = '\0';
	}
	if (!get_u32(tb[NLMSGERR_ATTR_MISS_TYPE], &miss) && miss < 65536)
		c->extack_miss = (int)miss;
	for (char *p = c->extack; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

/* The error of an NLMSG_ERROR message, extack parsed; -EPROTO if short. */
static int parse_error(struct snl *c, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e;
	size_t off;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*e))
		return -EPROTO;
	e = nlmsg_data(nlh);
	if (e->error > 0 || e->error < -4095)
		return -EPROTO;
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		off = sizeof(*e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
			if (e->msg.nlmsg_len < NLMSG_HDRLEN)
				return e->error;
			off += e->msg.nlmsg_len - NLMSG_HDRLEN;
		}
		off = NLMSG_ALIGN(off);
		if (NLMSG_HDRLEN + off < nlh->nlmsg_len)
			parse_ack_tlvs(c, (const char *)e + off,
				       (int)(nlh->nlmsg_len - NLMSG_HDRLEN - off));
	}
	return e->error;
}

/* NLMSG_DONE of a dump: 0 or the dump's error (extack parsed). */
static int parse_done(struct snl *c, const struct nlmsghdr *nlh)
{
	int err;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(int))
		return 0;	/* old kernels may send an empty DONE */
	memcpy(&err, nlmsg_data(nlh), sizeof(err));
	if (err > 0 || err < -4095)
		return -EPROTO;
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
		parse_ack_tlvs(c, (const char *)nlmsg_data(nlh) + NLMSG_ALIGN(sizeof(int)),
			       (int)(nlh->nlmsg_len - NLMSG_HDRLEN - NLMSG_ALIGN(sizeof(int))));
	return err;
}

typedef int (*put_fn)(struct nl_msg *m, const void *arg);
typedef int (*reply_fn)(struct snl *c, const struct nlmsghdr *nlh, void *arg);

/*
 * Send @cmd to @family and collect the replies.  A do request asks for an
 * ack, a dump reads until NLMSG_DONE.  @cb sees each reply of @family; a
 * non-zero return from it is remembered, the remaining replies are read
 * and discarded, and that value returned.  The request is built in a
 * buffer of @size bytes, or of libnl's default (a page) when @size is 0:
 * the buffer is zeroed, so a large one is asked for only where needed.
 */
static int snl_request_sz(struct snl *c, uint16_t family, uint8_t cmd,
			  uint8_t version, bool dump, put_fn put, const void *put_arg,
			  reply_fn cb, void *cb_arg, size_t size)
{
	struct nl_msg *m;
	uint32_t seq, port;
	int err, cb_ret = 0;

	c->extack[0] = '\0';
	c->extack_miss = -1;
	c->dump_intr = false;
	m = size ? nlmsg_alloc_size(size) : nlmsg_alloc();
	if (!m)
		return -ENOMEM;
	if (!genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0,
			 dump ? NLM_F_DUMP : NLM_F_ACK, cmd, version)) {
		nlmsg_free(m);
		return -ENOMEM;
	}
	if (put && put(m, put_arg) < 0) {
		nlmsg_free(m);
		return -EMSGSIZE;
	}
	err = nl_send_auto(c->sk, m);
	seq = nlmsg_hdr(m)->nlmsg_seq;
	nlmsg_free(m);
	if (err < 0)
		return err == -NLE_PERM ? -EPERM : -EIO;
	port = nl_socket_get_local_port(c->sk);

	for (;;) {
		ssize_t n = snl_recv(c, 0);
		struct nlmsghdr *nlh;
		int rem;

		if (n < 0)
			return (int)n;
		rem = (int)n;
		for (nlh = (struct nlmsghdr *)c->rbuf; nlmsg_ok(nlh, rem);
		     nlh = nlmsg_next(nlh, &rem)) {
			if (nlh->nlmsg_seq != seq || nlh->nlmsg_pid != port)
				continue;	/* a late reply to an older request */
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				c->dump_intr = true;
			switch (nlh->nlmsg_type) {
			case NLMSG_NOOP:
				continue;
			case NLMSG_ERROR:
				err = parse_error(c, nlh);
				return err ? err : cb_ret;
			case NLMSG_DONE:
				err = parse_done(c, nlh);
				return err ? err : cb_ret;
			case NLMSG_OVERRUN:
				return -EPROTO;
			}
			if (nlh->nlmsg_type != family)
				continue;
			if (!cb_ret && cb)
				cb_ret = cb(c, nlh, cb_arg);
		}
	}
}

static int snl_request(struct snl *c, uint16_t family, uint8_t cmd,
		       uint8_t version, bool dump, put_fn put, const void *put_arg,
		       reply_fn cb, void *cb_arg)
{
	return snl_request_sz(c, family, cmd, version, dump, put, put_arg, cb, cb_arg, 0);
}

/* ---- family resolution ---- */

struct resolve {
	const char *group;
	uint16_t id;
	uint32_t version;
	uint32_t grp;
	bool found;
};

static int put_family_name(struct nl_msg *m, const void *arg)
{
	return nla_put_string(m, CTRL_ATTR_FAMILY_NAME, arg);
}

static int resolve_cb(struct snl *c, const struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[CTRL_ATTR_MAX + 1], *g;
	struct resolve *r = arg;
	int rem;

	(void)c;
	if (genl_attrs(nlh, tb, CTRL_ATTR_MAX) ||
	    get_u16(tb[CTRL_ATTR_FAMILY_ID], &r->id))
		return -EPROTO;
	if (get_u32(tb[CTRL_ATTR_VERSION], &r->version))
		r->version = 0;
	r->found = true;
	if (!tb[CTRL_ATTR_MCAST_GROUPS] || !r->group)
		return 0;
	nla_for_each_nested(g, tb[CTRL_ATTR_MCAST_GROUPS], rem) {
		struct nlattr *gt[CTRL_ATTR_MCAST_GRP_MAX + 1];
		char name[GENL_NAMSIZ];
		uint32_t id;

		if (index_attrs(nla_data(g), nla_len(g), gt, CTRL_ATTR_MCAST_GRP_MAX))
			continue;
		if (get_str(gt[CTRL_ATTR_MCAST_GRP_NAME], name, sizeof(name)) ||
		    get_u32(gt[CTRL_ATTR_MCAST_GRP_ID], &id))
			continue;
		if (!strcmp(name, r->group))
			r->grp = id;
	}
	return 0;
}

static int resolve(struct snl *c, const char *family, const char *group,
		   struct resolve *r)
{
	int err;

	memset(r, 0, sizeof(*r));
	r->group = group;
	err = snl_request(c, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, false,
			  put_family_name, family, resolve_cb, r);
	if (err)
		return err;
	return r->found ? 0 : -EPROTO;
}

int snl_open(struct snl *c)
{
	struct resolve r;
	int err = snl_socket(c);

	if (err)
		return err;
	err = resolve(c, SENTINEL_GENL_NAME, SENTINEL_GENL_MCGRP_EVENTS, &r);
	if (err)
		return err;
	c->family = r.id;
	c->version = r.version;
	c->events_grp = r.grp;
	return 0;
}

/* ---- commands ---- */

static int put_session(struct nl_msg *m, const void *arg)
{
	return nla_put_u64(m, SENTINEL_A_SESSION_ID, *(const uint64_t *)arg);
}

static int parse_stats(const struct nlattr *nest, struct snl_stats *st)
{
	struct nlattr *tb[SENTINEL_A_STATS_MAX + 1];
	uint64_t *slot[SENTINEL_A_STATS_MAX + 1] = {
		[SENTINEL_A_STATS_SESSIONS] = &st->sessions,
		[SENTINEL_A_STATS_OBJECTS] = &st->objects,
		[SENTINEL_A_STATS_BYTES] = &st->bytes,
		[SENTINEL_A_STATS_MARKS] = &st->marks,
		[SENTINEL_A_STATS_ERRORS] = &st->errors,
		[SENTINEL_A_STATS_DROPPED] = &st->dropped,
		[SENTINEL_A_STATS_SCANS] = &st->scans,
		[SENTINEL_A_STATS_SCAN_PAGES] = &st->scan_pages,
	};

	memset(st, 0, sizeof(*st));
	if (index_attrs(nla_data(nest), nla_len(nest), tb, SENTINEL_A_STATS_MAX))
		return -EPROTO;
	for (int i = 0; i <= SENTINEL_A_STATS_MAX; i++) {
		if (!slot[i] || !tb[i])
			continue;
		if (get_u64(tb[i], slot[i]))
			return -EPROTO;
		st->have |= 1U << i;
	}
	return 0;
}

static int status_cb(struct snl *c, const struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[SENTINEL_A_MAX + 1];
	struct snl_status *st = arg;

	(void)c;
	if (genl_attrs(nlh, tb, SENTINEL_A_MAX) ||
	    get_str(tb[SENTINEL_A_VERSION], st->version, sizeof(st->version)) ||
	    !tb[SENTINEL_A_STATS] || parse_stats(tb[SENTINEL_A_STATS], &st->stats))
		return -EPROTO;
	return 1;	/* seen */
}

int snl_get_status(struct snl *c, struct snl_status *st)
{
	int err;

	memset(st, 0, sizeof(*st));
	err = snl_request(c, c->family, SENTINEL_CMD_GET_STATUS,
			  SENTINEL_GENL_VERSION, false, NULL, NULL, status_cb, st);
	if (err == 1)
		return 0;
	return err ? err : -EPROTO;	/* an ack without a reply */
}

static int parse_session(const struct nlmsghdr *nlh, struct snl_session *s)
{
	struct nlattr *tb[SENTINEL_A_MAX + 1];

	memset(s, 0, sizeof(*s));
	if (genl_attrs(nlh, tb, SENTINEL_A_MAX) ||
	    get_u64(tb[SENTINEL_A_SESSION_ID], &s->id) ||
	    get_u32(tb[SENTINEL_A_PID], &s->pid) ||
	    get_str(tb[SENTINEL_A_COMM], s->comm, sizeof(s->comm)) ||
	    get_u64(tb[SENTINEL_A_OBJECTS], &s->objects) ||
	    get_u64(tb[SENTINEL_A_BYTES], &s->bytes) ||
	    get_u64(tb[SENTINEL_A_MARKS], &s->marks) ||
	    get_u64(tb[SENTINEL_A_STEPS], &s->steps) ||
	    get_u64(tb[SENTINEL_A_STEP], &s->step) ||
	    get_u64(tb[SENTINEL_A_GENERATION], &s->generation))
		return -EPROTO;
	/* Profile attributes: optional (a module without profiling). */
	if (tb[SENTINEL_A_PROFILE_STATE] &&
	    get_u8(tb[SENTINEL_A_PROFILE_STATE], &s->profile_state))
		return -EPROTO;
	if (tb[SENTINEL_A_PROFILE_GENERATION] &&
	    get_u64(tb[SENTINEL_A_PROFILE_GENERATION], &s->profile_generation))
		return -EPROTO;
	return 0;
}

static int session_one_cb(struct snl *c, const struct nlmsghdr *nlh, void *arg)
{
	(void)c;
	return parse_session(nlh, arg) ? -EPROTO : 1;
}

int snl_get_session(struct snl *c, uint64_t id, struct snl_session *s)
{
	int err = snl_request(c, c->family, SENTINEL_CMD_GET_SESSION,
			      SENTINEL_GENL_VERSION, false, put_session, &id,
			      session_one_cb, s);

	if (err == 1)
		return 0;
	return err ? err : -EPROTO;
}

struct sessions_ctx {
	snl_session_cb cb;
	void *arg;
};

static int session_dump_cb(struct snl *c, const struct nlmsghdr *nlh, void *arg)
{
	struct sessions_ctx *x = arg;
	struct snl_session s;

	(void)c;
	if (parse_session(nlh, &s))
		return -EPROTO;
	return x->cb(&s, x->arg);
}

int snl_dump_sessions(struct snl *c, snl_session_cb cb, void *arg)
{
	struct sessions_ctx x = { cb, arg };

	return snl_request(c, c->family, SENTINEL_CMD_GET_SESSION,
			   SENTINEL_GENL_VERSION, true, NULL, NULL,
			   session_dump_cb, &x);
}

struct objects_req {
	uint64_t session, cursor;
	bool residency, use_cursor;
};

static int put_objects(struct nl_msg *m, const void *arg)
{
	const struct objects_req *r = arg;

	if (nla_put_u64(m, SENTINEL_A_SESSION_ID, r->session) < 0)
		return -1;
	if (r->residency && nla_put_flag(m, SENTINEL_A_RESIDENCY) < 0)
		return -1;
	if (r->use_cursor && nla_put_u64(m, SENTINEL_A_CURSOR, r->cursor) < 0)
		return -1;
	return 0;
}

struct objects_ctx {
	snl_object_cb cb;
	void *arg;
	bool residency;
	bool first;
	bool consistent;
	uint64_t generation;
	uint64_t last_id;
	bool have_last;
};

static int parse_object(const struct nlattr *nest, bool residency,
			struct snl_object *o)
{
	struct nlattr *tb[SENTINEL_OBJ_A_MAX + 1];

	memset(o, 0, sizeof(*o));
	if (index_attrs(nla_data(nest), nla_len(nest), tb, SENTINEL_OBJ_A_MAX) ||
	    get_u64(tb[SENTINEL_OBJ_A_ID], &o->id) ||
	    get_u64(tb[SENTINEL_OBJ_A_ADDR], &o->addr) ||
	    get_u64(tb[SENTINEL_OBJ_A_LEN], &o->len) ||
	    get_u8(tb[SENTINEL_OBJ_A_KIND], &o->kind) ||
	    get_u32(tb[SENTINEL_OBJ_A_FLAGS], &o->flags) ||
	    get_u32(tb[SENTINEL_OBJ_A_LAYER_HINT], &o->layer_hint))
		return -EPROTO;
	if (tb[SENTINEL_OBJ_A_PAGES] && get_u64(tb[SENTINEL_OBJ_A_PAGES], &o->pages))
		return -EPROTO;
	if (!residency)
		return 0;
	if (get_u64(tb[SENTINEL_OBJ_A_PRESENT], &o->present) ||
	    get_u64(tb[SENTINEL_OBJ_A_THP], &o->thp) ||
	    get_u64(tb[SENTINEL_OBJ_A_UNMAPPED], &o->unmapped) ||
	    !tb[SENTINEL_OBJ_A_NODE_PAGES])
		return -EPROTO;
	{
		int n = nla_len(tb[SENTINEL_OBJ_A_NODE_PAGES]);

		/* Exactly the published array, or a longer one from a newer module. */
		if (n < (int)sizeof(o->node_pages) || n % 8)
			return -EPROTO;
		memcpy(o->node_pages, nla_data(tb[SENTINEL_OBJ_A_NODE_PAGES]),
		       sizeof(o->node_pages));
	}
	o->residency = true;
	return 0;
}

static int objects_cb(struct snl *c, const struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[SENTINEL_A_MAX + 1];
	struct objects_ctx *x = arg;
	const struct genlmsghdr *g;
	const struct nlattr *a;
	uint64_t gen;
	int rem, ret;

	(void)c;
	if (genl_attrs(nlh, tb, SENTINEL_A_MAX) ||
	    get_u64(tb[SENTINEL_A_GENERATION], &gen))
		return -EPROTO;
	if (x->first) {
		x->generation = gen;
		x->first = false;
	} else if (gen != x->generation) {
		x->consistent = false;
	}
	g = nlmsg_data(nlh);
	nla_for_each_attr(a, (struct nlattr *)((const char *)g + GENL_HDRLEN),
			  (int)(nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN), rem) {
		struct snl_object o;

		if (nla_type(a) != SENTINEL_A_OBJECT)
			continue;
		if (parse_object(a, x->residency, &o))
			return -EPROTO;
		if (x->have_last && o.id <= x->last_id)
			return -EPROTO;	/* not in id order, or repeated */
		x->last_id = o.id;
		x->have_last = true;
		ret = x->cb(&o, x->arg);
		if (ret)
			return ret;
	}
	return 0;
}

int snl_dump_objects(struct snl *c, uint64_t session, bool residency,
		     bool use_cursor, uint64_t cursor, snl_object_cb cb,
		     void *arg, uint64_t *generation, bool *consistent)
{
	struct objects_req r = { session, cursor, residency, use_cursor };
	struct objects_ctx x = {
		.cb = cb, .arg = arg, .residency = residency, .first = true,
		.consistent = true,
	};
	int err;

	/* Each one walks the page tables of every object of the session. */
	if (residency)
		c->residency_dumps++;
	err = snl_request(c, c->family, SENTINEL_CMD_GET_OBJECTS,
			  SENTINEL_GENL_VERSION, true, put_objects, &r,
			  objects_cb, &x);
	if (generation && !x.first)
		*generation = x.generation;
	if (consistent)
		*consistent = x.consistent && !c->dump_intr;
	return err;
}

struct profile_ctx {
	unsigned char *buf;
	size_t len, cap;
};

static int profile_cb(struct snl *c, const struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[SENTINEL_A_MAX + 1];
	struct profile_ctx *p = arg;
	uint32_t off;
	size_t n;

	(void)c;
	if (genl_attrs(nlh, tb, SENTINEL_A_MAX) ||
	    get_u32(tb[SENTINEL_A_OFFSET], &off) || !tb[SENTINEL_A_PROFILE_DATA])
		return -EPROTO;
	n = (size_t)nla_len(tb[SENTINEL_A_PROFILE_DATA]);
	if (off != p->len || n > SNL_MAX_PROFILE - p->len)
		return -EPROTO;	/* chunks must follow each other */
	if (p->len + n > p->cap) {
		size_t cap = p->cap ? p->cap : 65536;
		unsigned char *b;

		while (cap < p->len + n)
			cap *= 2;
		b = realloc(p->buf, cap);
		if (!b)
			return -ENOMEM;
		p->buf = b;
		p->cap = cap;
	}
	memcpy(p->buf + p->len, nla_data(tb[SENTINEL_A_PROFILE_DATA]), n);
	p->len += n;
	return 0;
}

int snl_get_profile(struct snl *c, uint64_t session, void **buf, size_t *len)
{
	struct profile_ctx p = { 0 };
	int err = snl_request(c, c->family, SENTINEL_CMD_GET_PROFILE,
			      SENTINEL_GENL_VERSION, true, put_session, &session,
			      profile_cb, &p);

	if (!err && !p.len)
		err = -ENOENT;
	if (err) {
		free(p.buf);
		return err;
	}
	*buf = p.buf;
	*len = p.len;
	return 0;
}

struct profile_req {
	uint64_t session;
	long warmup, steps;
};

static int put_profile(struct nl_msg *m, const void *arg)
{
	const struct profile_req *r = arg;

	if (nla_put_u64(m, SENTINEL_A_SESSION_ID, r->session) < 0)
		return -1;
	if (r->warmup >= 0 && nla_put_u32(m, SENTINEL_A_WARMUP, (uint32_t)r->warmup) < 0)
		return -1;
	if (r->steps >= 0 && nla_put_u64(m, SENTINEL_A_STEPS, (uint64_t)r->steps) < 0)
		return -1;
	return 0;
}

int snl_profile_start(struct snl *c, uint64_t session, long warmup, long steps)
{
	struct profile_req r = { session, warmup, steps };

	return snl_request(c, c->family, SENTINEL_CMD_PROFILE_START,
			   SENTINEL_GENL_VERSION, false, put_profile, &r, NULL, NULL);
}

int snl_profile_stop(struct snl *c, uint64_t session)
{
	struct profile_req r = { session, -1, -1 };

	return snl_request(c, c->family, SENTINEL_CMD_PROFILE_STOP,
			   SENTINEL_GENL_VERSION, false, put_profile, &r, NULL, NULL);
}

struct ack_req {
	uint64_t session, seq;
};

static int put_ack(struct nl_msg *m, const void *arg)
{
	const struct ack_req *r = arg;

	if (nla_put_u64(m, SENTINEL_A_SESSION_ID, r->session) < 0 ||
	    nla_put_u64(m, SENTINEL_A_SEQ, r->seq) < 0)
		return -1;
	return 0;
}

int snl_ack_mark(struct snl *c, uint64_t session, uint64_t seq)
{
	struct ack_req r = { session, seq };

	return snl_request(c, c->family, SENTINEL_CMD_ACK_MARK,
			   SENTINEL_GENL_VERSION, false, put_ack, &r, NULL, NULL);
}

int snl_release_marks(struct snl *c, uint64_t session)
{
	return snl_request(c, c->family, SENTINEL_CMD_RELEASE_MARKS,
			   SENTINEL_GENL_VERSION, false, put_session, &session,
			   NULL, NULL);
}

struct acct_req {
	uint64_t session;
	const struct sentinel_job_acct *a;
};

static int put_acct(struct nl_msg *m, const void *arg)
{
	const struct acct_req *r = arg;

	if (nla_put_u64(m, SENTINEL_A_SESSION_ID, r->session) < 0 ||
	    nla_put(m, SENTINEL_A_JOB_ACCT, (int)sizeof(*r->a), r->a) < 0)
		return -1;
	return 0;
}

int snl_set_acct(struct snl *c, uint64_t session, const struct sentinel_job_acct *a)
{
	struct acct_req r = { session, a };

	return snl_request(c, c->family, SENTINEL_CMD_SET_ACCT,
			   SENTINEL_GENL_VERSION, false, put_acct, &r, NULL, NULL);
}

struct placement_req {
	uint64_t session;
	uint32_t total, offset, n;
	const struct sentinel_placement *e;
};

static int put_placement(struct nl_msg *m, const void *arg)
{
	const struct placement_req *r = arg;

	if (nla_put_u64(m, SENTINEL_A_SESSION_ID, r->session) < 0 ||
	    nla_put_u32(m, SENTINEL_A_COUNT, r->total) < 0 ||
	    nla_put_u32(m, SENTINEL_A_OFFSET, r->offset) < 0 ||
	    nla_put(m, SENTINEL_A_PLACEMENT, (int)(r->n * sizeof(*r->e)), r->e) < 0)
		return -1;
	return 0;
}

int snl_set_placement(struct snl *c, uint64_t session,
		      const struct sentinel_placement *e, uint32_t n)
{
	struct placement_req r = { .session = session, .total = n };
	uint32_t off = 0;
	int err;

	/* An empty map is one message with no entries. */
	do {
		r.offset = off;
		r.e = n ? e + off : e;
		r.n = n - off < SENTINEL_PLACEMENT_CHUNK ? n - off : SENTINEL_PLACEMENT_CHUNK;
		/* A page holds about 250 entries; a chunk holds 4000. */
		err = snl_request_sz(c, c->family, SENTINEL_CMD_SET_PLACEMENT,
				     SENTINEL_GENL_VERSION, false, put_placement,
				     &r, NULL, NULL, r.n * sizeof(*e) + 1024);
		if (err)
			return err;
		off += r.n;
	} while (off < n);
	return 0;
}

struct raw_req {
	const void *attrs;
	size_t len;
};

static int put_raw(struct nl_msg *m, const void *arg)
{
	const struct raw_req *r = arg;
	void *p;

	if (!r->len)
		return 0;
	p = nlmsg_reserve(m, r->len, NLA_ALIGNTO);
	if (!p)
		return -1;
	memcpy(p, r->attrs, r->len);
	return 0;
}

static int count_cb(struct snl *c, const struct nlmsghdr *nlh, void *arg)
{
	(void)c;
	(void)nlh;
	(*(unsigned int *)arg)++;
	return 0;
}

int snl_raw_request(struct snl *c, uint8_t cmd, bool dump, const void *attrs,
		    size_t attrs_len, unsigned int *replies)
{
	struct raw_req r = { attrs, attrs_len };
	unsigned int dummy = 0;

	if (!replies)
		replies = &dummy;
	*replies = 0;
	return snl_request(c, c->family, cmd, SENTINEL_GENL_VERSION, dump,
			   put_raw, &r, count_cb, replies);
}

/* ---- events ---- */

int snl_set_rcvbuf(struct snl *s, uint64_t rcvbuf)
{
	int v;

	if (!rcvbuf)
		return 0;
	/* The kernel doubles the value it is given. */
	v = rcvbuf / 2 > INT32_MAX ? INT32_MAX : (int)(rcvbuf / 2);
	if (!setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)))
		return 0;
	if (!setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)))
		return 0;
	return -errno;
}

int snl_events_open(struct snl *ev, const struct snl *c, uint64_t rcvbuf)
{
	int err = snl_socket(ev);

	if (err)
		return err;
	ev->family = c->family;
	ev->version = c->version;
	ev->events_grp = c->events_grp;
	if (!c->events_grp)
		return -ENOENT;
	err = snl_set_rcvbuf(ev, rcvbuf);
	if (err)
		return err;
	if (setsockopt(ev->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
		       &ev->events_grp, sizeof(ev->events_grp)))
		return -errno;
	if (nl_socket_set_nonblocking(ev->sk) < 0)
		return -EIO;
	return 0;
}

/* The objects an object event carries: none, or exactly its count. */
static int parse_event_objects(const struct nlmsghdr *nlh, struct snl_event *ev)
{
	const struct genlmsghdr *g = nlmsg_data(nlh);
	const struct nlattr *a;
	int rem;

	nla_for_each_attr(a, (struct nlattr *)((const char *)g + GENL_HDRLEN),
			  (int)(nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN), rem) {
		struct snl_object o;

		if (nla_type(a) != SENTINEL_A_OBJECT)
			continue;
		if (ev->nobjs == SENTINEL_EVT_MAX_OBJECTS || parse_object(a, false, &o))
			return -EPROTO;
		ev->objs[ev->nobjs++] = (struct snl_evobj){
			.id = o.id, .addr = o.addr, .len = o.len, .flags = o.flags,
			.layer_hint = o.layer_hint, .kind = o.kind,
		};
	}
	return ev->nobjs && ev->nobjs != ev->count ? -EPROTO : 0;
}

int snl_parse_event(const struct nlmsghdr *nlh, uint16_t family,
		    struct snl_event *ev)
{
	struct nlattr *tb[SENTINEL_A_MAX + 1];
	int ok = 0;

	memset(ev, 0, sizeof(*ev));
	if (nlh->nlmsg_type != family || genl_attrs(nlh, tb, SENTINEL_A_MAX))
		return -EPROTO;
	ev->cmd = genl_cmd(nlh);
	for (int i = 1; i <= SENTINEL_A_MAX; i++)
		if (tb[i])
			ev->have |= 1ULL << i;

#define OPT(getter, attr, field)					\
	do {								\
		if (tb[attr] && getter(tb[attr], &ev->field))		\
			return -EPROTO;					\
	} while (0)
	OPT(get_u64, SENTINEL_A_SESSION_ID, session_id);
	OPT(get_u32, SENTINEL_A_PID, pid);
	OPT(get_u32, SENTINEL_A_COUNT, count);
	OPT(get_u64, SENTINEL_A_BYTES, bytes);
	OPT(get_u64, SENTINEL_A_GENERATION, generation);
	OPT(get_u8, SENTINEL_A_MARK_TYPE, mark_type);
	OPT(get_u8, SENTINEL_A_DIRECTION, direction);
	OPT(get_u32, SENTINEL_A_LAYER, layer);
	OPT(get_u64, SENTINEL_A_STEP, step);
	OPT(get_u64, SENTINEL_A_TIMESTAMP, timestamp);
	OPT(get_u64, SENTINEL_A_SEQ, seq);
	OPT(get_u64, SENTINEL_A_PROFILE_GENERATION, profile_generation);
	OPT(get_u64, SENTINEL_A_PAGES, pages);
	OPT(get_u64, SENTINEL_A_YOUNG, young);
	OPT(get_u64, SENTINEL_A_SCAN_NS, scan_ns);
#undef OPT
	if (tb[SENTINEL_A_COMM] && get_str(tb[SENTINEL_A_COMM], ev->comm, sizeof(ev->comm)))
		return -EPROTO;
	if (tb[SENTINEL_A_PROFILING]) {
		if (nla_len(tb[SENTINEL_A_PROFILING]) != 0)
			return -EPROTO;
		ev->profiling = true;
	}

	if ((ev->cmd == SENTINEL_EVT_OBJECTS_ADDED || ev->cmd == SENTINEL_EVT_OBJECTS_REMOVED) &&
	    parse_event_objects(nlh, ev))
		return -EPROTO;
	/* What each event must carry. */
	switch (ev->cmd) {
	case SENTINEL_EVT_SESSION_OPEN:
	case SENTINEL_EVT_SESSION_CLOSE:
		ok = SNL_HAVE(ev, SENTINEL_A_SESSION_ID) && SNL_HAVE(ev, SENTINEL_A_PID);
		break;
	case SENTINEL_EVT_OBJECTS_ADDED:
	case SENTINEL_EVT_OBJECTS_REMOVED:
		ok = SNL_HAVE(ev, SENTINEL_A_SESSION_ID) &&
		     SNL_HAVE(ev, SENTINEL_A_COUNT) &&
		     SNL_HAVE(ev, SENTINEL_A_BYTES) &&
		     SNL_HAVE(ev, SENTINEL_A_GENERATION);
		break;
	case SENTINEL_EVT_MARK:
		ok = SNL_HAVE(ev, SENTINEL_A_SESSION_ID) &&
		     SNL_HAVE(ev, SENTINEL_A_MARK_TYPE) &&
		     SNL_HAVE(ev, SENTINEL_A_SEQ);
		break;
	case SENTINEL_EVT_PROFILE_READY:
		ok = SNL_HAVE(ev, SENTINEL_A_SESSION_ID) &&
		     SNL_HAVE(ev, SENTINEL_A_PROFILE_GENERATION);
		break;
	case SENTINEL_EVT_SCAN:
		ok = SNL_HAVE(ev, SENTINEL_A_SESSION_ID);
		break;
	default:
		ok = 1;	/* a newer event: passed on, callers ignore it */
		break;
	}
	return ok ? 0 : -EPROTO;
}

int snl_events_read(struct snl *ev, snl_event_cb cb, void *arg, uint64_t *bad)
{
	for (;;) {
		ssize_t n = snl_recv(ev, MSG_DONTWAIT);
		struct nlmsghdr *nlh;
		int rem;

		if (n == -EAGAIN)
			return 0;
		if (n < 0)
			return (int)n;	/* -ENOBUFS included */
		rem = (int)n;
		for (nlh = (struct nlmsghdr *)ev->rbuf; nlmsg_ok(nlh, rem);
		     nlh = nlmsg_next(nlh, &rem)) {
			struct snl_event e;

			if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
				continue;
			if (snl_parse_event(nlh, ev->family, &e)) {
				(*bad)++;
				continue;
			}
			cb(&e, arg);
		}
	}
}

/* ---- family watch ---- */

int snl_watch_open(struct snl *w)
{
	struct resolve r;
	int err = snl_socket(w);

	if (err)
		return err;
	err = resolve(w, "nlctrl", "notify", &r);
	if (err)
		return err;
	if (!r.grp)
		return -ENOENT;
	if (setsockopt(w->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &r.grp,
		       sizeof(r.grp)))
		return -errno;
	w->family = GENL_ID_CTRL;
	if (nl_socket_set_nonblocking(w->sk) < 0)
		return -EIO;
	return 0;
}

int snl_watch_read(struct snl *w, const char *name, snl_watch_cb cb, void *arg)
{
	for (;;) {
		ssize_t n = snl_recv(w, MSG_DONTWAIT);
		struct nlmsghdr *nlh;
		int rem;

		if (n == -EAGAIN)
			return 0;
		if (n < 0)
			return (int)n;
		rem = (int)n;
		for (nlh = (struct nlmsghdr *)w->rbuf; nlmsg_ok(nlh, rem);
		     nlh = nlmsg_next(nlh, &rem)) {
			struct nlattr *tb[CTRL_ATTR_MAX + 1];
			char fam[GENL_NAMSIZ];
			uint8_t cmd;

			if (nlh->nlmsg_type != GENL_ID_CTRL ||
			    genl_attrs(nlh, tb, CTRL_ATTR_MAX))
				continue;
			cmd = genl_cmd(nlh);
			if (cmd != CTRL_CMD_NEWFAMILY && cmd != CTRL_CMD_DELFAMILY)
				continue;
			if (get_str(tb[CTRL_ATTR_FAMILY_NAME], fam, sizeof(fam)) ||
			    strcmp(fam, name))
				continue;
			cb(cmd == CTRL_CMD_NEWFAMILY, arg);
		}
	}
}

/* ---- names ---- */

const char *snl_kind_name(unsigned int kind)
{
	static const char *const n[] = {
		"other", "weight", "activation", "gradient", "optimizer",
		"workspace",
	};

	return kind < sizeof(n) / sizeof(n[0]) ? n[kind] : "unknown";
}

const char *snl_mark_name(unsigned int type)
{
	switch (type) {
	case SENTINEL_MARK_STEP_BEGIN: return "step-begin";
	case SENTINEL_MARK_STEP_END: return "step-end";
	case SENTINEL_MARK_LAYER_BEGIN: return "layer-begin";
	case SENTINEL_MARK_LAYER_END: return "layer-end";
	}
	return "unknown";
}

const char *snl_dir_name(unsigned int dir)
{
	static const char *const n[] = { "none", "forward", "backward", "optimizer" };

	return dir < sizeof(n) / sizeof(n[0]) ? n[dir] : "unknown";
}

const char *snl_profile_state_name(unsigned int state)
{
	static const char *const n[] = { "idle", "warmup", "running" };

	return state < sizeof(n) / sizeof(n[0]) ? n[state] : "unknown";
}

const char *snl_event_name(unsigned int cmd)
{
	switch (cmd) {
	case SENTINEL_EVT_SESSION_OPEN: return "session-open";
	case SENTINEL_EVT_SESSION_CLOSE: return "session-close";
	case SENTINEL_EVT_OBJECTS_ADDED: return "objects-added";
	case SENTINEL_EVT_OBJECTS_REMOVED: return "objects-removed";
	case SENTINEL_EVT_MARK: return "mark";
	case SENTINEL_EVT_PROFILE_READY: return "profile-ready";
	case SENTINEL_EVT_SCAN: return "scan";
	}
	return "unknown";
}
