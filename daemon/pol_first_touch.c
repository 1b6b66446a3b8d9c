// SPDX-License-Identifier: GPL-2.0
/*
 * The first-touch policy: the objects in the order the job first touched
 * them fill the fast tier up to the budget, as the kernel's local
 * allocation would, placed once (planner.c, plan_first_touch()): the
 * baseline the others are compared with.
 */
#include "policy_int.h"

static int first_touch_plan(struct psess *ps, const struct plan_input *in,
			    const struct plan_params *pp, struct plan_schedule *sch, char *err,
			    size_t errlen)
{
	(void)ps;
	return plan_first_touch(in, pp, sch, err, errlen);
}

const struct pol_ops pol_first_touch = {
	.name = "first-touch",
	.plan = first_touch_plan,
	.syncs_at_steps = true,
};
