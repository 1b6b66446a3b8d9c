/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal raw generic netlink requests to the "sentinel" family for the
 * in-VM tests (no libnl: the tests check the wire protocol itself).
 */
#ifndef SNTL_NL_H
#define SNTL_NL_H

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "sntl_test.h"

struct sntl_nl_req {
	struct nlmsghdr n;
	struct genlmsghdr g;
	char attrs[65536];
};

static inline void sntl_nl_start(struct sntl_nl_req *r, int family, int cmd)
{
	memset(&r->n, 0, sizeof(r->n) + sizeof(r->g));
	r->n.nlmsg_type = family;
	r->n.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	r->n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r->g.cmd = cmd;
	r->g.version = SENTINEL_GENL_VERSION;
}

static inline void sntl_nl_put(struct sntl_nl_req *r, int type,
			       const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)&r->n +
					     NLMSG_ALIGN(r->n.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	r->n.nlmsg_len = NLMSG_ALIGN(r->n.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

static inline int sntl_nl_socket(void)
{
	struct timeval tv = { .tv_sec = 5 };
	int sk = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);

	if (sk >= 0)
		setsockopt(sk, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return sk;
}

/*
 * Send @r (a do, or a dump with @dump) and read to its end: the ack, or
 * the dump's NLMSG_DONE.  0 or the request's -errno; *@nmsg (when not
 * NULL) counts the data messages.
 */
static inline int sntl_nl_request(int sk, struct sntl_nl_req *r, int dump, int *nmsg)
{
	char buf[16384];
	struct nlmsghdr *h;
	ssize_t len;
	int n = 0;

	if (nmsg)
		*nmsg = 0;
	if (dump)
		r->n.nlmsg_flags |= NLM_F_DUMP;
	if (send(sk, r, r->n.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		len = recv(sk, buf, sizeof(buf), 0);
		if (len < 0)
			return -errno;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len)) {
			int err = 0;

			if (h->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			if (h->nlmsg_type == NLMSG_DONE) {
				/* the end of a dump (dumps get no ack) */
				if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(err)))
					memcpy(&err, NLMSG_DATA(h), sizeof(err));
				return err;
			}
			if (nmsg)
				*nmsg = ++n;
		}
	}
}

/* Send and wait for the ack: 0 or -errno (the request's error). */
static inline int sntl_nl_call(int sk, struct sntl_nl_req *r)
{
	return sntl_nl_request(sk, r, 0, NULL);
}

/*
 * Ask the generic netlink controller about the family; its reply (one
 * message) in @buf of @cap bytes.  The reply's length, or -1.
 */
static inline ssize_t sntl_nl_getfamily(int sk, char *buf, size_t cap)
{
	struct sntl_nl_req r;
	ssize_t len;

	sntl_nl_start(&r, GENL_ID_CTRL, CTRL_CMD_GETFAMILY);
	r.n.nlmsg_flags = NLM_F_REQUEST;
	r.g.version = 1;
	sntl_nl_put(&r, CTRL_ATTR_FAMILY_NAME, SENTINEL_GENL_NAME,
		    sizeof(SENTINEL_GENL_NAME));
	if (send(sk, &r, r.n.nlmsg_len, 0) < 0)
		return -1;
	len = recv(sk, buf, cap, 0);
	if (len < (ssize_t)NLMSG_LENGTH(GENL_HDRLEN) ||
	    ((struct nlmsghdr *)buf)->nlmsg_type == NLMSG_ERROR)
		return -1;
	return len;
}

/* The family's id, or -1. */
static inline int sntl_nl_family(int sk)
{
	char buf[4096];
	struct nlattr *a;
	ssize_t len = sntl_nl_getfamily(sk, buf, sizeof(buf));

	if (len < 0)
		return -1;
	for (a = (struct nlattr *)(buf + NLMSG_LENGTH(GENL_HDRLEN));
	     (char *)a < buf + len && a->nla_len >= NLA_HDRLEN;
	     a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len)))
		if (a->nla_type == CTRL_ATTR_FAMILY_ID)
			return *(uint16_t *)((char *)a + NLA_HDRLEN);
	return -1;
}

#endif /* SNTL_NL_H */
