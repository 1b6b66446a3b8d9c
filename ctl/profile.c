// SPDX-License-Identifier: GPL-2.0
/*
 * sentinelctl profile, profile-start and profile-stop: a session's last
 * profile, and arming or disarming its profiling.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "profile.h"

static const char *const kind_cols[PROF_KINDS] = {
	"other", "weight", "activation", "gradient", "optimizer", "workspace",
	"unknown",
};

int cmd_profile(struct ctx *c, const struct cmd *cmd, int argc, char **argv)
{
	uint64_t sid, page = (uint64_t)sysconf(_SC_PAGESIZE);
	struct prof p;
	struct jbuf b;
	char perr[256], h[32];
	void *buf = NULL;
	size_t len = 0;
	int oi, err, r;

	oi = ctl_sub_getopt(c, cmd, argc, argv, NULL, NULL, NULL, NULL);
	r = ctl_start(c, cmd, argc, argv, oi, &sid);
	if (r >= 0)
		return r;
	err = snl_get_profile(&c->nl, sid, &buf, &len);
	if (err == -ENOENT) {	/* no session, or no profile yet */
		struct snl_session s;
		int e2 = snl_get_session(&c->nl, sid, &s);

		if (e2 == -ENOENT)
			return ctl_fail("no such session %" PRIu64, sid);
		if (!e2)
			return ctl_fail("session %" PRIu64 " has no complete profile yet (see profile-start)",
				    sid);
	}
	if (err)
		return ctl_nl_fail(c, err, "profile", &sid);
	if (prof_parse(buf, len, &p, perr, sizeof(perr))) {
		free(buf);
		return ctl_fail("session %" PRIu64 ": malformed profile: %s", sid, perr);
	}
	jb_init(&b);
	if (c->json) {
		jb_obj_begin(&b, NULL);
		jb_u64(&b, "session", p.h.session_id);
		jb_u64(&b, "generation", p.h.generation);
		jb_u64(&b, "first_step", p.h.first_step);
		jb_u64(&b, "steps", p.h.nr_steps);
		jb_bool(&b, "exact", p.h.flags & SENTINEL_PROFILE_F_EXACT);
		jb_bool(&b, "truncated", p.h.flags & SENTINEL_PROFILE_F_TRUNCATED);
		jb_u64(&b, "objects", p.h.nr_objects);
		jb_u64(&b, "scan_ns", p.h.scan_ns);
		jb_u64(&b, "scanned_pages", p.h.scanned_pages);
		jb_arr_begin(&b, "layers");
	} else {
		printf("session %" PRIu64 ", profile %" PRIu64 ": %u step(s) from step %" PRIu64
		       ", %u layer record(s), %u object(s)%s%s\n",
		       (uint64_t)p.h.session_id, (uint64_t)p.h.generation, p.h.nr_steps,
		       (uint64_t)p.h.first_step,
		       p.h.nr_layers, p.h.nr_objects,
		       p.h.flags & SENTINEL_PROFILE_F_EXACT ? ", exact" : "",
		       p.h.flags & SENTINEL_PROFILE_F_TRUNCATED ? ", TRUNCATED" : "");
		printf("%8s %6s %-9s %10s %7s", "STEP", "LAYER", "DIR", "TIME(us)", "OBJS");
		for (int k = 1; k < PROF_KINDS; k++)
			printf(" %11s", kind_cols[k]);
		printf(" %11s\n", kind_cols[0]);
	}
	for (uint32_t i = 0; i < p.h.nr_layers; i++) {
		const struct sentinel_profile_layer *l = &p.layers[i];
		uint64_t kinds[PROF_KINDS];
		uint64_t dur = l->end_ns > l->begin_ns ? l->end_ns - l->begin_ns : 0;

		prof_layer_kinds(&p, i, page, kinds);
		if (c->json) {
			jb_obj_begin(&b, NULL);
			jb_u64(&b, "step", l->step);
			jb_u64(&b, "layer", l->layer);
			jb_str(&b, "direction", snl_dir_name(l->direction));
			jb_u64(&b, "begin_ns", l->begin_ns);
			jb_u64(&b, "end_ns", l->end_ns);
			jb_u64(&b, "scan_ns", l->scan_ns);
			jb_u64(&b, "objects_touched", l->nr_entries);
			jb_obj_begin(&b, "bytes_touched");
			for (int k = 0; k < PROF_KINDS; k++)
				jb_u64(&b, kind_cols[k], kinds[k]);
			jb_obj_end(&b);
			jb_obj_end(&b);
		} else {
			printf("%8" PRIu64 " %6u %-9s %10" PRIu64 " %7u", (uint64_t)l->step, l->layer,
			       snl_dir_name(l->direction), dur / 1000, l->nr_entries);
			for (int k = 1; k < PROF_KINDS; k++)
				printf(" %11s", ctl_human(kinds[k], h, sizeof(h)));
			printf(" %11s\n", ctl_human(kinds[0], h, sizeof(h)));
		}
	}
	if (c->json) {
		jb_arr_end(&b);
		jb_obj_end(&b);
		ctl_print_json(&b);
	}
	jb_free(&b);
	prof_free(&p);
	free(buf);
	return 0;
}

struct pstart_opts {
	long warmup, steps;
};

static int pstart_opt(int o, const char *arg, void *data)
{
	struct pstart_opts *x = data;
	uint64_t v;

	if (ctl_parse_u64(arg, &v) || v > UINT32_MAX) {
		ctl_usage_error("profile-start ", "'%s' is not a number", arg);
		return -2;
	}
	if (o == 'w')
		x->warmup = (long)v;
	else
		x->steps = (long)v;
	return 0;
}

int cmd_profile_start(struct ctx *c, const struct cmd *cmd, int argc, char **argv)
{
	static const struct option extra[] = {
		{ "warmup", required_argument, NULL, 'w' },
		{ "steps", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct pstart_opts x = { -1, -1 };
	uint64_t sid;
	int oi, err, r;

	oi = ctl_sub_getopt(c, cmd, argc, argv, "w:s:", extra, pstart_opt, &x);
	r = ctl_start(c, cmd, argc, argv, oi, &sid);
	if (r >= 0)
		return r;
	err = snl_profile_start(&c->nl, sid, x.warmup, x.steps);
	if (err)
		return ctl_nl_fail(c, err, "profile-start", &sid);
	return 0;
}

int cmd_profile_stop(struct ctx *c, const struct cmd *cmd, int argc, char **argv)
{
	uint64_t sid;
	int oi, err, r;

	oi = ctl_sub_getopt(c, cmd, argc, argv, NULL, NULL, NULL, NULL);
	r = ctl_start(c, cmd, argc, argv, oi, &sid);
	if (r >= 0)
		return r;
	err = snl_profile_stop(&c->nl, sid);
	if (err)
		return ctl_nl_fail(c, err, "profile-stop", &sid);
	return 0;
}
