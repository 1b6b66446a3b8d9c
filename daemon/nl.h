/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Client of the "sentinel" generic netlink family, shared by sentineld and
 * sentinelctl.  Every reply is treated as untrusted: attributes are checked
 * for length and presence before use.
 *
 * Functions return 0 or a negative errno: the kernel's error for a refused
 * request (with its extended ack message in snl_extack()), -ENOENT for an
 * absent family, -EPROTO for a malformed reply, -ETIMEDOUT when the kernel
 * does not answer.
 */
#ifndef SENTINELD_NL_H
#define SENTINELD_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/sentinel.h>

struct nl_sock;
struct nlmsghdr;

struct snl {
	struct nl_sock *sk;
	int fd;
	uint16_t family;	/* generic netlink family id */
	uint32_t version;	/* family version */
	uint32_t events_grp;	/* multicast group id of "events", 0 if none */
	bool dump_intr;		/* the last dump saw NLM_F_DUMP_INTR */
	uint64_t residency_dumps;	/* object dumps with residency since open */
	char extack[256];	/* message of the last error, "" if none */
	int extack_miss;	/* missing attribute type, -1 if none */
	unsigned char *rbuf;
	size_t rbuf_len;
};

struct snl_stats {
	uint64_t sessions, objects, bytes, marks, errors, dropped, scans,
		 scan_pages;
	uint32_t have;		/* bit SENTINEL_A_STATS_* set when present */
};

struct snl_status {
	char version[32];
	struct snl_stats stats;
};

#define SNL_COMM_LEN 32

struct snl_session {
	uint64_t id;
	uint32_t pid;
	char comm[SNL_COMM_LEN];
	uint64_t objects, bytes, marks, steps, step, generation,
		 profile_generation;
	uint8_t profile_state;
};

struct snl_object {
	uint64_t id, addr, len;
	uint8_t kind;
	uint32_t flags, layer_hint;
	bool residency;		/* the page counts below are valid */
	uint64_t pages, present, thp, unmapped;
	uint64_t node_pages[SENTINEL_MAX_NODES];
};

/* An object carried by an object event. */
struct snl_evobj {
	uint64_t id, addr, len;
	uint32_t flags, layer_hint;
	uint8_t kind;
};

struct snl_event {
	uint8_t cmd;		/* SENTINEL_EVT_* */
	uint64_t have;		/* bit SENTINEL_A_* set when present */
	uint64_t session_id;
	uint32_t pid;
	char comm[SNL_COMM_LEN];
	uint32_t count;
	uint64_t bytes, generation;
	uint8_t mark_type, direction;
	uint32_t layer;
	uint64_t step, timestamp, seq, profile_generation;
	uint64_t pages, young, scan_ns;
	bool profiling;
	/* OBJECTS_ADDED/REMOVED: the objects it carries (all @count, or none). */
	uint32_t nobjs;
	struct snl_evobj objs[SENTINEL_EVT_MAX_OBJECTS];
};

#define SNL_HAVE(ev, a) (((ev)->have >> (a)) & 1)

/*
 * Open a request socket and resolve the family.  -ENOENT when the module
 * is not loaded.  @c is usable (snl_close()) even after a failure.
 */
int snl_open(struct snl *c);
void snl_close(struct snl *c);
const char *snl_extack(const struct snl *c);

/*
 * "name: strerror" plus " (kernel: extack)" when the kernel said more,
 * into @buf; returns @buf.
 */
const char *snl_strerror(const struct snl *c, int err, char *buf, size_t len);

int snl_get_status(struct snl *c, struct snl_status *st);
int snl_get_session(struct snl *c, uint64_t id, struct snl_session *s);

typedef int (*snl_session_cb)(const struct snl_session *s, void *arg);
int snl_dump_sessions(struct snl *c, snl_session_cb cb, void *arg);

/*
 * Dump a session's objects in id order, starting after @cursor when
 * @use_cursor.  @cb may stop the dump by returning non-zero (returned).
 * *@generation gets the generation of the first message (left alone when
 * no message came: an empty session may send none); *@consistent is
 * false when messages carried different generations or the kernel flagged
 * the dump as interrupted: the caller should dump again.
 */
typedef int (*snl_object_cb)(const struct snl_object *o, void *arg);
int snl_dump_objects(struct snl *c, uint64_t session, bool residency,
		     bool use_cursor, uint64_t cursor, snl_object_cb cb,
		     void *arg, uint64_t *generation, bool *consistent);

/* The profile blob, reassembled; *@buf is malloc'ed (free it). */
int snl_get_profile(struct snl *c, uint64_t session, void **buf, size_t *len);
/* @warmup, @steps: negative for "not given" (module defaults). */
int snl_profile_start(struct snl *c, uint64_t session, long warmup, long steps);
int snl_profile_stop(struct snl *c, uint64_t session);
/*
 * Acknowledge the session's marks up to @seq: the moves they call for are
 * complete (SENTINEL_CMD_ACK_MARK).  The first makes @c the session's
 * acknowledger until @c is closed or releases it (snl_release_marks(),
 * -EOPNOTSUPP from modules without SENTINEL_FEAT_RELEASE).
 */
int snl_ack_mark(struct snl *c, uint64_t session, uint64_t seq);
int snl_release_marks(struct snl *c, uint64_t session);

/*
 * Tell the module what the daemon accounted for a session (@a->updates
 * 0), for the job to read with SENTINEL_IOC_STATS (SENTINEL_CMD_SET_ACCT;
 * modules without SENTINEL_FEAT_JOB_ACCT refuse the command).
 */
int snl_set_acct(struct snl *c, uint64_t session, const struct sentinel_job_acct *a);

/*
 * Publish a placement map (@n entries sorted by id) in chunks of
 * SENTINEL_PLACEMENT_CHUNK entries; @n 0 publishes an empty map.
 */
int snl_set_placement(struct snl *c, uint64_t session,
		      const struct sentinel_placement *e, uint32_t n);

/*
 * Raw request, for tests: @cmd with the attributes in @attrs (@attrs_len
 * bytes of ready-made netlink attributes), as a dump when @dump.  Replies
 * are counted in *@replies.  Returns the kernel's verdict.
 */
int snl_raw_request(struct snl *c, uint8_t cmd, bool dump, const void *attrs,
		    size_t attrs_len, unsigned int *replies);

/*
 * Event socket: joins the family's "events" group (needs CAP_NET_ADMIN),
 * non-blocking, receive buffer @rcvbuf bytes (0: kernel default; forced
 * past rmem_max when privileged).
 */
int snl_events_open(struct snl *ev, const struct snl *c, uint64_t rcvbuf);
int snl_set_rcvbuf(struct snl *s, uint64_t rcvbuf);

/*
 * Read what is queued on an event socket and hand each well-formed event
 * to @cb.  Returns 0 when the socket is empty, -ENOBUFS when events were
 * lost (the socket stays usable: resynchronise, then read again), another
 * negative errno on failure.  Malformed events are counted in *@bad.
 */
typedef void (*snl_event_cb)(const struct snl_event *ev, void *arg);
int snl_events_read(struct snl *ev, snl_event_cb cb, void *arg,
		    uint64_t *bad);

/* Parse one event message (exposed for unit tests). */
int snl_parse_event(const struct nlmsghdr *nlh, uint16_t family,
		    struct snl_event *ev);

/*
 * Family watch: a socket on nlctrl's "notify" group.  snl_watch_read()
 * reports appearing/disappearing families named @name via @cb; returns as
 * snl_events_read().
 */
int snl_watch_open(struct snl *w);
typedef void (*snl_watch_cb)(bool added, void *arg);
int snl_watch_read(struct snl *w, const char *name, snl_watch_cb cb, void *arg);

const char *snl_kind_name(unsigned int kind);
const char *snl_mark_name(unsigned int type);
const char *snl_dir_name(unsigned int dir);
const char *snl_profile_state_name(unsigned int state);
const char *snl_event_name(unsigned int cmd);

#endif /* SENTINELD_NL_H */
