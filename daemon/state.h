/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sentineld's view of the module: sessions and their objects, kept from
 * events and rebuilt from dumps.  Single-threaded (the event loop).
 */
#ifndef SENTINELD_STATE_H
#define SENTINELD_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "nl.h"

struct sd_object {
	uint64_t id, addr, len;
	uint32_t flags, layer_hint;
	uint8_t kind;
};

struct sd_session {
	struct snl_session k;		/* what the module says (marks = last SEQ) */
	struct sd_object *objs;		/* sorted by id */
	size_t nobjs, cap;
	bool objs_stale;		/* an object event arrived: dump again */
	uint64_t objs_version;		/* unique to each objs array set (> 0) */
	uint8_t last_mark, last_dir;
	uint32_t last_layer;
	uint64_t last_mark_ns;
	uint64_t scans, scan_pages, scan_young;
	uint64_t obj_dumps, obj_dump_ns;	/* object dumps, their thread CPU time */
};

struct sd_state {
	struct sd_session **s;		/* sorted by session id */
	size_t n, cap;
};

enum sd_apply {
	SD_APPLIED,		/* state updated */
	SD_IGNORED,		/* stale or unknown event: nothing to do */
	SD_NEED_OBJECTS,	/* applied; the session's objects must be dumped */
	SD_GAP,			/* an event was missed: resynchronise */
};

void state_init(struct sd_state *st);
void state_clear(struct sd_state *st);
struct sd_session *state_find(struct sd_state *st, uint64_t id);
/* Insert or update from a dump; NULL on allocation failure. */
struct sd_session *state_upsert(struct sd_state *st, const struct snl_session *k);
void state_remove(struct sd_state *st, uint64_t id);
/* Replace a session's objects by @objs (taken over; may be NULL if n == 0). */
void session_set_objects(struct sd_session *s, struct sd_object *objs, size_t n);

/* Apply one event; see enum sd_apply. */
enum sd_apply state_apply(struct sd_state *st, const struct snl_event *ev);

/*
 * JSON of the state.  @canonical: only what events and dumps both define
 * (for comparing the daemon's view with a fresh dump), no timestamps.
 * @objects: include each session's object list.
 */
void state_json(const struct sd_state *st, struct jbuf *b, bool canonical,
		bool objects);

#endif /* SENTINELD_STATE_H */
