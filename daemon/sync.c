// SPDX-License-Identifier: GPL-2.0
/*
 * Rebuilding state from dumps.  A dump of objects is consistent when every
 * message carried the same generation and the kernel did not flag it as
 * interrupted; otherwise it is repeated a few times, then accepted with
 * the last generation seen (events with later generations follow and
 * trigger another dump).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sync.h"

#define SYNC_RETRIES 8

struct objvec {
	struct sd_object *v;
	size_t n, cap;
};

static int objvec_add(const struct snl_object *o, void *arg)
{
	struct objvec *a = arg;

	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 256;
		struct sd_object *v = realloc(a->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = (struct sd_object){
		.id = o->id, .addr = o->addr, .len = o->len, .flags = o->flags,
		.layer_hint = o->layer_hint, .kind = o->kind,
	};
	return 0;
}

uint64_t sync_thread_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int sync_session_objects(struct snl *c, struct sd_session *s)
{
	uint64_t t0 = sync_thread_ns();
	int err = 0;

	for (int tries = 0; tries < SYNC_RETRIES; tries++) {
		struct objvec a = { 0 };
		uint64_t gen = s->k.generation;
		bool consistent = false;

		err = snl_dump_objects(c, s->k.id, false, false, 0, objvec_add, &a,
				       &gen, &consistent);
		s->obj_dumps++;
		if (err) {
			free(a.v);
			break;
		}
		if (consistent || tries == SYNC_RETRIES - 1) {
			session_set_objects(s, a.v, a.n);
			if (gen > s->k.generation || consistent)
				s->k.generation = gen;
			s->objs_stale = !consistent;
			break;
		}
		free(a.v);
	}
	s->obj_dump_ns += sync_thread_ns() - t0;
	return err;
}

static int add_session(const struct snl_session *k, void *arg)
{
	return state_upsert(arg, k) ? 0 : -ENOMEM;
}

int sync_all(struct snl *c, struct sd_state *out)
{
	int err;

	state_init(out);
	err = snl_dump_sessions(c, add_session, out);
	if (err) {
		state_clear(out);
		return err;
	}
	for (size_t i = 0; i < out->n;) {
		err = sync_session_objects(c, out->s[i]);
		if (err == -ENOENT) {	/* closed meanwhile */
			state_remove(out, out->s[i]->k.id);
			continue;
		}
		if (err) {
			state_clear(out);
			return err;
		}
		i++;
	}
	return 0;
}
