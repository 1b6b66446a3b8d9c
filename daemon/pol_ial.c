// SPDX-License-Identifier: GPL-2.0
/*
 * The ial policy: the last profile's accessed-bit counts per object,
 * aged into active and inactive lists (accounting.c, ial_classify()); the
 * fast node holds the active ones within the budget, sampled again every
 * IAL_PERIOD steps.
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
#include "migrate.h"
#include "planner.h"
#include "policy_int.h"

#define IAL_PERIOD	4		/* steps between ial samples */
#define IAL_INACTIVE	2		/* samples without access: inactive */

/*
 * One ial sample: the last profile's accessed-bit counts per object,
 * summed over the step (layers are not used), aged into the active and
 * inactive lists; the fast node holds the active ones within the budget.
 */
static void ial_sample(struct psess *ps, struct sd_session *s)
{
	const struct plan_input *in = &ps->prof.in;
	const struct live_view *lv;
	uint8_t *want = NULL;
	int *need = NULL;

	if (!ps->ial)
		ps->ial = calloc(in->nr_objs + 1, sizeof(*ps->ial));
	if (!ps->ial)
		return;
	for (uint32_t i = 0; i < in->nr_objs; i++) {
		uint64_t psz = in->page_size ? in->page_size : 4096;

		ps->ial[i].pages = (in->objs[i].bytes + psz - 1) / psz;
		ps->ial[i].accessed = 0;
		ps->ial[i].fast = ps->cur[i] == PLAN_FAST;
	}
	for (uint32_t a = 0; a < in->nr_acc; a++) {
		struct ial_region *r = &ps->ial[in->acc[a].obj];

		r->accessed += in->acc[a].pages;
		if (r->accessed > r->pages)
			r->accessed = r->pages;
	}
	ial_classify(ps->ial, in->nr_objs, ps->budget, in->page_size ? in->page_size : 4096,
		     IAL_INACTIVE);
	ps->ial_samples++;
	lv = pol_live_view(ps, s);
	want = calloc(s->nobjs + 1, 1);
	need = calloc(s->nobjs + 1, sizeof(int));
	if (!lv || !want || !need)
		goto out;
	for (uint32_t i = 0; i < in->nr_objs; i++)
		ps->cur[i] = ps->ial[i].want ? PLAN_FAST : PLAN_SLOW;
	for (size_t i = 0; i < s->nobjs; i++) {
		need[i] = -1;
		want[i] = pol_view_node(ps, lv, i) == PLAN_FAST ? MIG_TO_FAST : MIG_TO_SLOW;
	}
	pol_submit(ps, s, lv, want, need, NULL, ps->nstep, -1);
	ps->placed = true;
	if (!ps->plan_step)
		ps->plan_step = ps->nstep;
out:
	free(want);
	free(need);
}

static void ial_place_first(struct psess *ps, struct sd_session *s, uint64_t seq)
{
	(void)seq;
	ial_sample(ps, s);
}

/* Every IAL_PERIOD steps a new profile, sampled when it arrives. */
static void ial_step(struct psess *ps, struct sd_session *s)
{
	(void)s;
	if (ps->nstep < ps->ial_last_step + IAL_PERIOD)
		return;
	ps->ial_last_step = ps->nstep;
	ps->reprofiling = false;
	pol_reprofile(ps, "ial sample");
}

const struct pol_ops pol_ial = {
	.name = "ial",
	.plan = pol_plan_static,	/* the placement the samples start from */
	.place_first = ial_place_first,
	.step = ial_step,
	.replanned = ial_sample,
};
