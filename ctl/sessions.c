// SPDX-License-Identifier: GPL-2.0
/*
 * sentinelctl sessions and objects: the module's sessions and their
 * registered objects.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

struct sess_out {
	struct jbuf *b;
	bool json;
	unsigned int n;
};

static int session_print(const struct snl_session *s, void *arg)
{
	struct sess_out *o = arg;
	char h[32];

	o->n++;
	if (o->json) {
		jb_obj_begin(o->b, NULL);
		jb_u64(o->b, "id", s->id);
		jb_u64(o->b, "pid", s->pid);
		jb_str(o->b, "comm", s->comm);
		jb_u64(o->b, "objects", s->objects);
		jb_u64(o->b, "bytes", s->bytes);
		jb_u64(o->b, "marks", s->marks);
		jb_u64(o->b, "steps", s->steps);
		jb_u64(o->b, "step", s->step);
		jb_u64(o->b, "generation", s->generation);
		jb_str(o->b, "profile_state", snl_profile_state_name(s->profile_state));
		jb_u64(o->b, "profile_generation", s->profile_generation);
		jb_obj_end(o->b);
		return 0;
	}
	if (o->n == 1)
		printf("%8s %8s %-16s %10s %11s %10s %10s %10s %8s\n", "ID", "PID",
		       "COMM", "OBJECTS", "BYTES", "STEPS", "MARKS", "GEN", "PROFILE");
	printf("%8" PRIu64 " %8u %-16s %10" PRIu64 " %11s %10" PRIu64 " %10" PRIu64
	       " %10" PRIu64 " %8s\n", s->id, s->pid, s->comm, s->objects,
	       ctl_human(s->bytes, h, sizeof(h)), s->steps, s->marks, s->generation,
	       snl_profile_state_name(s->profile_state));
	return 0;
}

int cmd_sessions(struct ctx *c, const struct cmd *cmd, int argc, char **argv)
{
	int oi = ctl_sub_getopt(c, cmd, argc, argv, NULL, NULL, NULL, NULL);
	struct jbuf b;
	struct sess_out o = { &b, c->json, 0 };
	int err, r;

	r = ctl_start(c, cmd, argc, argv, oi, NULL);
	if (r >= 0)
		return r;
	jb_init(&b);
	if (c->json)
		jb_arr_begin(&b, NULL);
	err = snl_dump_sessions(&c->nl, session_print, &o);
	if (err) {
		jb_free(&b);
		return ctl_nl_fail(c, err, "sessions", NULL);
	}
	if (c->json) {
		jb_arr_end(&b);
		ctl_print_json(&b);
	} else if (!o.n) {
		printf("no sessions\n");
	}
	jb_free(&b);
	return 0;
}

struct obj_opts {
	bool residency;
	bool has_after;
	uint64_t after;
	uint64_t limit;
	const char *bad;
};

static int obj_opt(int o, const char *arg, void *data)
{
	struct obj_opts *x = data;

	switch (o) {
	case 'r':
		x->residency = true;
		return 0;
	case 'a':
		x->has_after = true;
		if (ctl_parse_u64(arg, &x->after)) {
			ctl_usage_error("objects ", "--after: '%s' is not an object id", arg);
			return -2;
		}
		return 0;
	case 'n':
		if (ctl_parse_u64(arg, &x->limit) || !x->limit) {
			ctl_usage_error("objects ", "--limit: '%s' is not a positive number", arg);
			return -2;
		}
		return 0;
	}
	return 0;
}

struct obj_out {
	struct jbuf *b;
	bool json, residency;
	uint64_t n, limit, last;
	bool more;
};

static int object_print(const struct snl_object *ob, void *arg)
{
	struct obj_out *o = arg;

	if (o->limit && o->n == o->limit) {
		o->more = true;
		return 1;	/* stop: the rest is drained */
	}
	o->n++;
	o->last = ob->id;
	if (o->json) {
		jb_obj_begin(o->b, NULL);
		jb_u64(o->b, "id", ob->id);
		jb_u64(o->b, "addr", ob->addr);
		jb_u64(o->b, "len", ob->len);
		jb_str(o->b, "kind", snl_kind_name(ob->kind));
		jb_u64(o->b, "flags", ob->flags);
		if (ob->layer_hint == SENTINEL_LAYER_NONE)
			jb_null(o->b, "layer_hint");
		else
			jb_u64(o->b, "layer_hint", ob->layer_hint);
		if (o->residency) {
			jb_u64(o->b, "pages", ob->pages);
			jb_u64(o->b, "present", ob->present);
			jb_u64(o->b, "thp", ob->thp);
			jb_u64(o->b, "unmapped", ob->unmapped);
			jb_arr_begin(o->b, "node_pages");
			for (int i = 0; i < SENTINEL_MAX_NODES; i++)
				jb_u64(o->b, NULL, ob->node_pages[i]);
			jb_arr_end(o->b);
		}
		jb_obj_end(o->b);
		return 0;
	}
	if (o->n == 1) {
		printf("%12s %18s %12s %-10s %5s %6s", "ID", "ADDR", "LEN", "KIND",
		       "FLAGS", "LAYER");
		if (o->residency)
			printf(" %9s %9s %7s %8s  NODE PAGES", "PAGES", "PRESENT", "THP",
			       "UNMAPPED");
		putchar('\n');
	}
	printf("%12" PRIu64 " 0x%016" PRIx64 " %12" PRIu64 " %-10s %5" PRIx32,
	       ob->id, ob->addr, ob->len, snl_kind_name(ob->kind), ob->flags);
	if (ob->layer_hint == SENTINEL_LAYER_NONE)
		printf(" %6s", "-");
	else
		printf(" %6" PRIu32, ob->layer_hint);
	if (o->residency) {
		printf(" %9" PRIu64 " %9" PRIu64 " %7" PRIu64 " %8" PRIu64 " ", ob->pages,
		       ob->present, ob->thp, ob->unmapped);
		for (int i = 0; i < SENTINEL_MAX_NODES; i++)
			if (ob->node_pages[i])
				printf(" %d:%" PRIu64, i, ob->node_pages[i]);
	}
	putchar('\n');
	return 0;
}

int cmd_objects(struct ctx *c, const struct cmd *cmd, int argc, char **argv)
{
	static const struct option extra[] = {
		{ "residency", no_argument, NULL, 'r' },
		{ "after", required_argument, NULL, 'a' },
		{ "limit", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct obj_opts x = { 0 };
	struct jbuf b;
	struct obj_out o = { .b = &b };
	uint64_t sid, gen = 0;
	bool consistent = true;
	int oi, err, r;

	oi = ctl_sub_getopt(c, cmd, argc, argv, "ra:n:", extra, obj_opt, &x);
	r = ctl_start(c, cmd, argc, argv, oi, &sid);
	if (r >= 0)
		return r;
	o.json = c->json;
	o.residency = x.residency;
	o.limit = x.limit;
	jb_init(&b);
	if (c->json) {
		jb_obj_begin(&b, NULL);
		jb_u64(&b, "session", sid);
		jb_arr_begin(&b, "objects");
	}
	err = snl_dump_objects(&c->nl, sid, x.residency, x.has_after, x.after,
			       object_print, &o, &gen, &consistent);
	if (err < 0) {
		jb_free(&b);
		return ctl_nl_fail(c, err, "objects", &sid);
	}
	if (c->json) {
		jb_arr_end(&b);
		jb_u64(&b, "generation", gen);
		jb_bool(&b, "consistent", consistent);
		if (o.more)
			jb_u64(&b, "next_after", o.last);
		else
			jb_null(&b, "next_after");
		jb_obj_end(&b);
		ctl_print_json(&b);
	} else {
		if (!o.n)
			printf("no objects\n");
		if (o.more)
			printf("(more: sentinelctl objects %" PRIu64 " --after %" PRIu64 ")\n",
			       sid, o.last);
		if (!consistent)
			fprintf(stderr, "sentinelctl: note: objects changed during the dump\n");
	}
	jb_free(&b);
	return 0;
}
