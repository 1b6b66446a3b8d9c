// SPDX-License-Identifier: GPL-2.0
/*
 * The static policy: the objects with the most accesses per byte in the
 * fast tier, within the budget, placed once (planner.c, plan_static()).
 */
#include "policy_int.h"

int pol_plan_static(struct psess *ps, const struct plan_input *in, const struct plan_params *pp,
		    struct plan_schedule *sch, char *err, size_t errlen)
{
	(void)ps;
	return plan_static(in, pp, sch, err, errlen);
}

const struct pol_ops pol_static = {
	.name = "static",
	.plan = pol_plan_static,
	.syncs_at_steps = true,
};
