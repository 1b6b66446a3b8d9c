// SPDX-License-Identifier: GPL-2.0
/*
 * Sentinel: the multicast events of the generic netlink family, and the
 * attribute writers its messages share.
 *
 * The family (netlink.c) hands itself over once registered; emitters
 * called before that or after the family is gone send nothing.  Callers
 * (registry, sessions, marks, scans) know only these functions, so the
 * netlink commands and the state they read do not call each other in a
 * circle.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <net/genetlink.h>

#include "internal.h"

/*
 * Payload of an event: the largest (a session event: id, pid, comm) is
 * under 64 bytes of attributes.  Sized exactly, so that a listener's
 * receive buffer holds as many events as it can.
 */
#define SNTL_NL_EVENT_SIZE	128

static const struct genl_family *sntl_ev_family;

/**
 * sntl_events_start() - events go out through @family from now on
 * @family: the registered family
 */
void sntl_events_start(const struct genl_family *family)
{
	WRITE_ONCE(sntl_ev_family, family);
}

/**
 * sntl_events_stop() - no more events (the family is about to go)
 */
void sntl_events_stop(void)
{
	WRITE_ONCE(sntl_ev_family, NULL);
}

/**
 * sntl_put_u64() - a u64 attribute of the family's attribute space
 * @skb: the message
 * @type: SENTINEL_A_*
 * @val: the value
 *
 * Return: 0 or -EMSGSIZE.
 */
int sntl_put_u64(struct sk_buff *skb, int type, u64 val)
{
	return nla_put_u64_64bit(skb, type, val, SENTINEL_A_PAD);
}

/**
 * sntl_nl_put_session_id() - the attributes every session message and
 * session event carries
 * @skb: the message
 * @s: the session
 *
 * Return: 0 or -EMSGSIZE.
 */
int sntl_nl_put_session_id(struct sk_buff *skb, struct sntl_session *s)
{
	if (sntl_put_u64(skb, SENTINEL_A_SESSION_ID, s->id) ||
	    nla_put_u32(skb, SENTINEL_A_PID, s->tgid) ||
	    nla_put_string(skb, SENTINEL_A_COMM, s->comm))
		return -EMSGSIZE;
	return 0;
}

/**
 * sntl_nl_put_object() - one object as a SENTINEL_A_OBJECT nest
 * @skb: the message
 * @o: the object's description
 * @res: with its residency
 *
 * Return: 0 or -EMSGSIZE (the nest cancelled).
 */
int sntl_nl_put_object(struct sk_buff *skb, const struct sentinel_obj_info *o,
		       bool res)
{
	struct nlattr *nest = nla_nest_start(skb, SENTINEL_A_OBJECT);

	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, SENTINEL_OBJ_A_ID, o->id,
			      SENTINEL_OBJ_A_PAD) ||
	    nla_put_u64_64bit(skb, SENTINEL_OBJ_A_ADDR, o->addr,
			      SENTINEL_OBJ_A_PAD) ||
	    nla_put_u64_64bit(skb, SENTINEL_OBJ_A_LEN, o->len,
			      SENTINEL_OBJ_A_PAD) ||
	    nla_put_u8(skb, SENTINEL_OBJ_A_KIND, o->kind) ||
	    nla_put_u32(skb, SENTINEL_OBJ_A_FLAGS, o->flags) ||
	    nla_put_u32(skb, SENTINEL_OBJ_A_LAYER_HINT, o->layer_hint) ||
	    nla_put_u64_64bit(skb, SENTINEL_OBJ_A_PAGES, o->pages,
			      SENTINEL_OBJ_A_PAD))
		goto cancel;
	if (res &&
	    (nla_put_u64_64bit(skb, SENTINEL_OBJ_A_PRESENT, o->present_pages,
			       SENTINEL_OBJ_A_PAD) ||
	     nla_put_u64_64bit(skb, SENTINEL_OBJ_A_THP, o->thp_pages,
			       SENTINEL_OBJ_A_PAD) ||
	     nla_put_u64_64bit(skb, SENTINEL_OBJ_A_UNMAPPED, o->unmapped_pages,
			       SENTINEL_OBJ_A_PAD) ||
	     nla_put(skb, SENTINEL_OBJ_A_NODE_PAGES, sizeof(o->node_pages),
		     o->node_pages)))
		goto cancel;
	nla_nest_end(skb, nest);
	return 0;
cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

/* Start an event, or return NULL when nobody listens or memory is short. */
static struct sk_buff *sntl_nl_event_new(u8 cmd, size_t size, void **hdr)
{
	const struct genl_family *f = READ_ONCE(sntl_ev_family);
	struct sk_buff *skb;

	if (!f || !genl_has_listeners(f, &init_net, SNTL_MCGRP_EVENTS))
		return NULL;
	skb = genlmsg_new(size, GFP_KERNEL);
	if (!skb) {
		atomic64_inc(&sntl_stats.dropped_events);
		return NULL;
	}
	*hdr = genlmsg_put(skb, 0, 0, f, 0, cmd);
	if (!*hdr) {
		nlmsg_free(skb);
		atomic64_inc(&sntl_stats.dropped_events);
		return NULL;
	}
	return skb;
}

static void sntl_nl_event_send(struct sk_buff *skb, void *hdr, int err)
{
	const struct genl_family *f = READ_ONCE(sntl_ev_family);

	if (err || !f) {
		nlmsg_free(skb);
		atomic64_inc(&sntl_stats.dropped_events);
		return;
	}
	genlmsg_end(skb, hdr);
	err = genlmsg_multicast(f, skb, 0, SNTL_MCGRP_EVENTS, GFP_KERNEL);
	/* -ESRCH: the last listener left meanwhile, nothing was lost. */
	if (err && err != -ESRCH)
		atomic64_inc(&sntl_stats.dropped_events);
}

/**
 * sntl_nl_session_event() - announce a session opening or closing
 * @cmd: SENTINEL_EVT_SESSION_OPEN or SENTINEL_EVT_SESSION_CLOSE
 * @s: the session
 */
void sntl_nl_session_event(u8 cmd, struct sntl_session *s)
{
	struct sk_buff *skb;
	void *hdr;

	skb = sntl_nl_event_new(cmd, SNTL_NL_EVENT_SIZE, &hdr);
	if (skb)
		sntl_nl_event_send(skb, hdr, sntl_nl_put_session_id(skb, s));
}

/* The attribute space of one object of an object event. */
static size_t sntl_nl_event_object_size(void)
{
	return nla_total_size(0) + 4 * nla_total_size_64bit(sizeof(u64)) +
	       nla_total_size(sizeof(u8)) + 2 * nla_total_size(sizeof(u32));
}

/* The objects of a batch (linked by batch_next), as GET_OBJECTS gives them. */
static int sntl_nl_put_batch(struct sk_buff *skb,
			     const struct sntl_object *batch)
{
	struct sentinel_obj_info info;
	const struct sntl_object *o;

	for (o = batch; o; o = o->batch_next) {
		sntl_fill_info(o, &info);
		if (sntl_nl_put_object(skb, &info, false))
			return -EMSGSIZE;
	}
	return 0;
}

/**
 * sntl_nl_objects_event() - announce a registration batch
 * @cmd: SENTINEL_EVT_OBJECTS_ADDED or SENTINEL_EVT_OBJECTS_REMOVED
 * @s: the session
 * @count: objects in the batch
 * @bytes: their bytes
 * @generation: the registry generation the batch produced
 * @batch: its @count objects linked by batch_next, or NULL; carried when
 *	there are at most SENTINEL_EVT_MAX_OBJECTS
 *
 * Context: under @s->lock, so that events leave in generation order.
 */
void sntl_nl_objects_event(u8 cmd, struct sntl_session *s, u32 count,
			   u64 bytes, u64 generation,
			   const struct sntl_object *batch)
{
	size_t size = SNTL_NL_EVENT_SIZE;
	struct sk_buff *skb;
	void *hdr;
	int err;

	if (count > SENTINEL_EVT_MAX_OBJECTS)
		batch = NULL;
	if (batch)
		size += count * sntl_nl_event_object_size();
	skb = sntl_nl_event_new(cmd, size, &hdr);
	if (!skb)
		return;
	err = sntl_put_u64(skb, SENTINEL_A_SESSION_ID, s->id) ||
	      nla_put_u32(skb, SENTINEL_A_COUNT, count) ||
	      sntl_put_u64(skb, SENTINEL_A_BYTES, bytes) ||
	      sntl_put_u64(skb, SENTINEL_A_GENERATION, generation);
	if (!err && batch)
		err = sntl_nl_put_batch(skb, batch);
	sntl_nl_event_send(skb, hdr, err);
}

/**
 * sntl_nl_mark_event() - announce a phase mark
 * @s: the session
 * @m: the mark
 * @seq: its sequence number in the session
 * @now: its CLOCK_MONOTONIC time
 */
void sntl_nl_mark_event(struct sntl_session *s, const struct sentinel_mark *m,
			u64 seq, u64 now)
{
	bool step = m->type == SENTINEL_MARK_STEP_BEGIN ||
		    m->type == SENTINEL_MARK_STEP_END;
	struct sk_buff *skb;
	void *hdr;
	int err;

	skb = sntl_nl_event_new(SENTINEL_EVT_MARK, SNTL_NL_EVENT_SIZE, &hdr);
	if (!skb)
		return;
	err = sntl_put_u64(skb, SENTINEL_A_SESSION_ID, s->id) ||
	      nla_put_u8(skb, SENTINEL_A_MARK_TYPE, m->type) ||
	      sntl_put_u64(skb, SENTINEL_A_TIMESTAMP, now) ||
	      sntl_put_u64(skb, SENTINEL_A_SEQ, seq);
	if (!err && step)
		err = sntl_put_u64(skb, SENTINEL_A_STEP, m->step);
	else if (!err)
		err = nla_put_u32(skb, SENTINEL_A_LAYER, m->layer) ||
		      nla_put_u8(skb, SENTINEL_A_DIRECTION, m->direction);
	sntl_nl_event_send(skb, hdr, err);
}

/**
 * sntl_nl_profile_event() - announce a completed profile
 * @s: the session
 * @generation: the profile's generation
 * @step: the last profiled step
 */
void sntl_nl_profile_event(struct sntl_session *s, u64 generation, u64 step)
{
	struct sk_buff *skb;
	void *hdr;

	skb = sntl_nl_event_new(SENTINEL_EVT_PROFILE_READY, SNTL_NL_EVENT_SIZE, &hdr);
	if (skb)
		sntl_nl_event_send(skb, hdr,
				   sntl_put_u64(skb, SENTINEL_A_SESSION_ID,
						s->id) ||
				   sntl_put_u64(skb,
						SENTINEL_A_PROFILE_GENERATION,
						generation) ||
				   sntl_put_u64(skb, SENTINEL_A_STEP, step));
}

/**
 * sntl_nl_scan_event() - report one scan
 * @s: the session
 * @pages: pages tested
 * @young: pages found touched
 * @ns: duration
 * @profiling: whether the scan belonged to a profile
 */
void sntl_nl_scan_event(struct sntl_session *s, u64 pages, u64 young,
			u64 ns, bool profiling)
{
	struct sk_buff *skb;
	void *hdr;
	int err;

	skb = sntl_nl_event_new(SENTINEL_EVT_SCAN, SNTL_NL_EVENT_SIZE, &hdr);
	if (!skb)
		return;
	err = sntl_put_u64(skb, SENTINEL_A_SESSION_ID, s->id) ||
	      sntl_put_u64(skb, SENTINEL_A_PAGES, pages) ||
	      sntl_put_u64(skb, SENTINEL_A_YOUNG, young) ||
	      sntl_put_u64(skb, SENTINEL_A_SCAN_NS, ns);
	if (!err && profiling)
		err = nla_put_flag(skb, SENTINEL_A_PROFILING);
	sntl_nl_event_send(skb, hdr, err);
}
