// SPDX-License-Identifier: GPL-2.0
/*
 * Session table.  Sessions are few (bounded by the module's max_sessions),
 * kept in an array sorted by id; objects per session in an array sorted by
 * id, replaced wholesale by each dump.
 *
 * Ordering rules (uapi: "no state exists only in events"):
 *  - OBJECTS_* carry the session's registry generation: an event at or
 *    below the known generation is already reflected (ignored), the next
 *    one is applied, a jump means a lost event (gap).
 *  - MARK carries SEQ, the session's mark count after the mark: the same
 *    rule against the known mark count.
 *  - An event for a session we do not know means we missed its opening.
 */
#include <stdlib.h>
#include <string.h>

#include "state.h"

void state_init(struct sd_state *st)
{
	memset(st, 0, sizeof(*st));
}

static void session_free(struct sd_session *s)
{
	free(s->objs);
	free(s);
}

void state_clear(struct sd_state *st)
{
	for (size_t i = 0; i < st->n; i++)
		session_free(st->s[i]);
	free(st->s);
	state_init(st);
}

/* Index of @id, or of where it would go (*found false). */
static size_t find_idx(const struct sd_state *st, uint64_t id, bool *found)
{
	size_t lo = 0, hi = st->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (st->s[mid]->k.id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < st->n && st->s[lo]->k.id == id;
	return lo;
}

struct sd_session *state_find(struct sd_state *st, uint64_t id)
{
	bool found;
	size_t i = find_idx(st, id, &found);

	return found ? st->s[i] : NULL;
}

struct sd_session *state_upsert(struct sd_state *st, const struct snl_session *k)
{
	bool found;
	size_t i = find_idx(st, k->id, &found);
	struct sd_session *s;

	if (found) {
		st->s[i]->k = *k;
		return st->s[i];
	}
	if (st->n == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 16;
		struct sd_session **a = realloc(st->s, cap * sizeof(*a));

		if (!a)
			return NULL;
		st->s = a;
		st->cap = cap;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->k = *k;
	memmove(&st->s[i + 1], &st->s[i], (st->n - i) * sizeof(*st->s));
	st->s[i] = s;
	st->n++;
	return s;
}

void state_remove(struct sd_state *st, uint64_t id)
{
	bool found;
	size_t i = find_idx(st, id, &found);

	if (!found)
		return;
	session_free(st->s[i]);
	memmove(&st->s[i], &st->s[i + 1], (st->n - i - 1) * sizeof(*st->s));
	st->n--;
}

static uint64_t objs_versions;

void session_set_objects(struct sd_session *s, struct sd_object *objs, size_t n)
{
	uint64_t bytes = 0;

	free(s->objs);
	s->objs = objs;
	s->nobjs = n;
	s->cap = n;
	for (size_t i = 0; i < n; i++)
		bytes += objs[i].len;
	s->k.objects = n;
	s->k.bytes = bytes;
	s->objs_stale = false;
	s->objs_version = ++objs_versions;
}

static int obj_cmp(const void *a, const void *b)
{
	const struct sd_object *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* Index of object @id in @s (sorted by id), or -1. */
static ssize_t obj_find(const struct sd_session *s, uint64_t id)
{
	size_t lo = 0, hi = s->nobjs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->objs[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->nobjs && s->objs[lo].id == id ? (ssize_t)lo : -1;
}

static bool objs_add(struct sd_session *s, const struct snl_event *ev)
{
	size_t n = s->nobjs;
	bool sorted = true;

	for (uint32_t i = 0; i < ev->nobjs; i++)
		if (obj_find(s, ev->objs[i].id) >= 0)
			return false;	/* known: these are not the generation before's */
	if (n + ev->nobjs > s->cap) {
		size_t cap = (n + ev->nobjs) * 2;
		struct sd_object *v = realloc(s->objs, cap * sizeof(*v));

		if (!v)
			return false;
		s->objs = v;
		s->cap = cap;
	}
	for (uint32_t i = 0; i < ev->nobjs; i++) {
		const struct snl_evobj *o = &ev->objs[i];

		s->objs[s->nobjs++] = (struct sd_object){
			.id = o->id, .addr = o->addr, .len = o->len, .flags = o->flags,
			.layer_hint = o->layer_hint, .kind = o->kind,
		};
		/* Ids mostly grow: sort only what came out of order. */
		sorted &= s->nobjs < 2 || s->objs[s->nobjs - 2].id < o->id;
	}
	if (sorted)
		return true;
	qsort(s->objs, s->nobjs, sizeof(*s->objs), obj_cmp);
	for (size_t i = 0; i + 1 < s->nobjs; i++)
		if (s->objs[i].id == s->objs[i + 1].id)
			return false;
	return true;
}

static bool objs_remove(struct sd_session *s, const struct snl_event *ev)
{
	for (uint32_t i = 0; i < ev->nobjs; i++) {
		ssize_t at = obj_find(s, ev->objs[i].id);

		if (at < 0)
			return false;
		memmove(&s->objs[at], &s->objs[at + 1],
			(s->nobjs - (size_t)at - 1) * sizeof(*s->objs));
		s->nobjs--;
	}
	return true;
}

/*
 * The objects an event carries applied to @s's, which are those of the
 * generation before: true when @s's objects are now the event's
 * generation's; false when they must be dumped.
 */
static bool objs_apply(struct sd_session *s, const struct snl_event *ev)
{
	bool done;

	if (s->objs_stale || !ev->nobjs || ev->nobjs != ev->count)
		return false;
	done = ev->cmd == SENTINEL_EVT_OBJECTS_ADDED ? objs_add(s, ev) : objs_remove(s, ev);
	s->objs_version = ++objs_versions;
	return done && s->nobjs == s->k.objects;
}

enum sd_apply state_apply(struct sd_state *st, const struct snl_event *ev)
{
	struct sd_session *s;

	switch (ev->cmd) {
	case SENTINEL_EVT_SESSION_OPEN: {
		struct snl_session k = { .id = ev->session_id, .pid = ev->pid };

		s = state_find(st, ev->session_id);
		if (s) {	/* already seen in a dump */
			s->k.pid = ev->pid;
			memcpy(s->k.comm, ev->comm, sizeof(s->k.comm));
			return SD_IGNORED;
		}
		memcpy(k.comm, ev->comm, sizeof(k.comm));
		return state_upsert(st, &k) ? SD_APPLIED : SD_GAP;
	}
	case SENTINEL_EVT_SESSION_CLOSE:
		if (!state_find(st, ev->session_id))
			return SD_IGNORED;
		state_remove(st, ev->session_id);
		return SD_APPLIED;
	default:
		break;
	}

	s = state_find(st, ev->session_id);
	switch (ev->cmd) {
	case SENTINEL_EVT_OBJECTS_ADDED:
	case SENTINEL_EVT_OBJECTS_REMOVED:
		if (!s)
			return SD_GAP;
		if (ev->generation <= s->k.generation)
			return SD_IGNORED;
		if (ev->generation != s->k.generation + 1)
			return SD_GAP;
		if (ev->cmd == SENTINEL_EVT_OBJECTS_ADDED) {
			s->k.objects += ev->count;
			s->k.bytes += ev->bytes;
		} else {
			if (s->k.objects < ev->count || s->k.bytes < ev->bytes)
				return SD_GAP;
			s->k.objects -= ev->count;
			s->k.bytes -= ev->bytes;
		}
		s->k.generation = ev->generation;
		if (objs_apply(s, ev))
			return SD_APPLIED;
		s->objs_stale = true;
		return SD_NEED_OBJECTS;
	case SENTINEL_EVT_MARK:
		if (!s)
			return SD_GAP;
		if (ev->seq <= s->k.marks)
			return SD_IGNORED;
		if (ev->seq != s->k.marks + 1)
			return SD_GAP;
		s->k.marks = ev->seq;
		if (ev->mark_type == SENTINEL_MARK_STEP_BEGIN) {
			s->k.steps++;
			s->k.step = ev->step;
		}
		s->last_mark = ev->mark_type;
		s->last_dir = ev->direction;
		s->last_layer = ev->layer;
		s->last_mark_ns = ev->timestamp;
		return SD_APPLIED;
	case SENTINEL_EVT_PROFILE_READY:
		if (!s)
			return SD_GAP;
		if (ev->profile_generation <= s->k.profile_generation)
			return SD_IGNORED;
		if (ev->profile_generation != s->k.profile_generation + 1)
			return SD_GAP;
		s->k.profile_generation = ev->profile_generation;
		return SD_APPLIED;
	case SENTINEL_EVT_SCAN:
		if (!s)
			return SD_IGNORED;	/* carries no state to miss */
		s->scans++;
		s->scan_pages += ev->pages;
		s->scan_young += ev->young;
		return SD_APPLIED;
	default:
		return SD_IGNORED;
	}
}

void state_json(const struct sd_state *st, struct jbuf *b, bool canonical,
		bool objects)
{
	jb_arr_begin(b, "sessions");
	for (size_t i = 0; i < st->n; i++) {
		const struct sd_session *s = st->s[i];

		jb_obj_begin(b, NULL);
		jb_u64(b, "id", s->k.id);
		jb_u64(b, "pid", s->k.pid);
		jb_str(b, "comm", s->k.comm);
		jb_u64(b, "objects", s->k.objects);
		jb_u64(b, "bytes", s->k.bytes);
		jb_u64(b, "generation", s->k.generation);
		jb_u64(b, "marks", s->k.marks);
		jb_u64(b, "steps", s->k.steps);
		jb_u64(b, "step", s->k.step);
		jb_u64(b, "profile_generation", s->k.profile_generation);
		if (!canonical) {
			jb_str(b, "profile_state", snl_profile_state_name(s->k.profile_state));
			jb_bool(b, "objects_stale", s->objs_stale);
			jb_str(b, "last_mark", s->last_mark ? snl_mark_name(s->last_mark) : "none");
			jb_u64(b, "last_layer", s->last_layer);
			jb_str(b, "last_direction", snl_dir_name(s->last_dir));
			jb_u64(b, "last_mark_ns", s->last_mark_ns);
			jb_u64(b, "scans", s->scans);
			jb_u64(b, "scan_pages", s->scan_pages);
			jb_u64(b, "scan_young", s->scan_young);
		}
		if (objects) {
			jb_arr_begin(b, "object_list");
			for (size_t j = 0; j < s->nobjs; j++) {
				const struct sd_object *o = &s->objs[j];

				jb_obj_begin(b, NULL);
				jb_u64(b, "id", o->id);
				jb_u64(b, "addr", o->addr);
				jb_u64(b, "len", o->len);
				jb_u64(b, "kind", o->kind);
				jb_u64(b, "flags", o->flags);
				jb_u64(b, "layer_hint", o->layer_hint);
				jb_obj_end(b);
			}
			jb_arr_end(b);
		}
		jb_obj_end(b);
	}
	jb_arr_end(b);
}
