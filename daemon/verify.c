// SPDX-License-Identifier: GPL-2.0
/*
 * Verify mode: at a layer begin, the residency of the session's objects
 * against the profile's accesses of that layer (the prefetch hit ratio).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "accounting.h"
#include "policy_int.h"

struct vctx {
	const struct psess *ps;
	uint64_t *fast_pages, *present;	/* per plan object */
	uint64_t session_fast;
};

static int verify_obj(const struct snl_object *o, void *arg)
{
	struct vctx *v = arg;
	uint64_t f = 0;
	int64_t pi;

	if (!o->residency)
		return 0;
	for (unsigned int n = 0; n < SENTINEL_MAX_NODES; n++)
		if (sd_node_isset(&pol.env.topo->fast, n))
			f += o->node_pages[n];
	v->session_fast += f;
	pi = pol_plan_index(v->ps, pp_key(o->id, 0));
	if (pi >= 0) {
		v->fast_pages[pi] += f;
		v->present[pi] += o->present;
	}
	return 0;
}

/* At the begin of template layer @l: residency against the profile. */
void pol_verify_layer(struct psess *ps, int l)
{
	const struct plan_input *in = &ps->prof.in;
	struct vctx v = { .ps = ps };
	uint64_t gen = 0, touched = 0, fast = 0, psz = in->page_size ? in->page_size : 4096;
	bool consistent;

	v.fast_pages = calloc(in->nr_objs + 1, sizeof(uint64_t));
	v.present = calloc(in->nr_objs + 1, sizeof(uint64_t));
	if (!v.fast_pages || !v.present)
		goto out;
	if (snl_dump_objects(pol.env.cmd, ps->id, true, false, 0, verify_obj, &v, &gen,
			     &consistent))
		goto out;
	if (l >= 0 && (uint32_t)l < in->nr_layers) {
		const struct plan_layer *ly = &in->layers[l];

		for (uint32_t a = ly->first; a < ly->first + ly->count; a++) {
			uint32_t o = in->acc[a].obj;
			uint64_t t = in->acc[a].pages * psz;

			if (!v.present[o])
				continue;	/* not born yet, or never touched */
			touched += t;
			fast += (uint64_t)((double)t * (double)v.fast_pages[o] /
					   (double)v.present[o]);
		}
	}
	pthread_mutex_lock(&ps->lock);
	acct_touch(&ps->acct, touched, fast);
	acct_fast(&ps->acct, v.session_fast * (uint64_t)pol.psz);
	pthread_mutex_unlock(&ps->lock);
out:
	free(v.fast_pages);
	free(v.present);
}
