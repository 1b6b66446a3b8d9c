/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Replay of a planner schedule over the profiled step: occupancy of the
 * fast tier over time, migration traffic and lateness, prefetch hit
 * ratio and a modeled step time.  Pure C, no I/O.
 *
 * The model (Documentation/planner.rst, "The simulator"):
 * - one migration channel of bandwidth bw, first in first out: the moves
 *   of a boundary are queued when the boundary is reached, demotions
 *   first; a move starts when the channel is free;
 * - a promotion occupies fast memory from its start, a demotion frees it
 *   at its end; short-lived objects of class PLAN_CLS_SHORT occupy fast
 *   memory during the layer that touches them (all step when they are
 *   touched in several layers or none);
 * - an object is fast for a layer when its promotion ended before the
 *   layer began (or it never left); otherwise its touched bytes are slow;
 * - a layer lasts compute_ns * (1 + (slow_factor - 1) * slow fraction of
 *   its touched bytes); with wait_late the layer first waits for the
 *   promotions of the objects it touches (the wait is a stall);
 * - warm_steps steps are replayed before the measured one, so migrations
 *   that run over the end of a step are charged as they would be in
 *   steady state.
 */
#ifndef SENTINELD_SIM_H
#define SENTINELD_SIM_H

#include "planner.h"

/**
 * struct sim_params
 * @bw: migration bandwidth, bytes/s (> 0)
 * @slow_factor: slowdown of a layer whose touched bytes are all slow
 *	(>= 1; 1 models time as compute only)
 * @wait_late: layers wait for late promotions of the objects they touch
 * @warm_steps: steps replayed before the measured step (0 is allowed)
 */
struct sim_params {
	uint64_t bw;
	double slow_factor;
	int wait_late;
	uint32_t warm_steps;
};

/**
 * struct sim_interval - one migration interval of the measured step
 * @first_layer, @nr_layers: its layers
 * @compute_ns: its modeled duration (the time migrations hide under)
 * @mig_ns: channel time of the moves issued at its boundaries
 * @late_ns: how long after its start its last promotion ended (0: in time)
 */
struct sim_interval {
	uint32_t first_layer;
	uint32_t nr_layers;
	uint64_t compute_ns;
	uint64_t mig_ns;
	uint64_t late_ns;
};

/**
 * struct sim_result - the measured step
 * @max_fast: largest fast occupancy (long-lived + short-lived) seen
 * @max_fast_long: largest long-lived fast occupancy
 * @over_budget: events at which the occupancy exceeded the fast budget
 * @promotions, @demotions: moves of the step
 * @promoted_bytes, @demoted_bytes: their bytes
 * @late: promotions not finished when the first layer needing them began
 * @late_bytes: their bytes
 * @late_ns: sum of those delays
 * @interval_late_ns: sum over intervals of sim_interval.late_ns (the
 *	planner's cost; equal to plan_schedule.cost_ns when slow_factor is 1
 *	and wait_late is 0)
 * @touched_bytes: bytes touched by the layers (pages x page size)
 * @fast_touched_bytes: of those, on the fast tier when the layer began
 * @hit_ratio: fast_touched_bytes / touched_bytes (1 when nothing touched)
 * @compute_ns: sum of the layers' compute times (the all-fast step)
 * @step_ns: modeled step time, stalls included
 * @stall_ns: time layers waited for promotions (wait_late)
 * @mig_busy_ns: channel time of the step's moves
 * @errors: inconsistencies found in the schedule (0 for a valid one)
 * @error: the first one, "" if none
 */
struct sim_result {
	uint64_t max_fast;
	uint64_t max_fast_long;
	uint64_t over_budget;
	uint32_t promotions;
	uint32_t demotions;
	uint64_t promoted_bytes;
	uint64_t demoted_bytes;
	uint32_t late;
	uint32_t reserved;
	uint64_t late_bytes;
	uint64_t late_ns;
	uint64_t interval_late_ns;
	uint64_t touched_bytes;
	uint64_t fast_touched_bytes;
	double hit_ratio;
	uint64_t compute_ns;
	uint64_t step_ns;
	uint64_t stall_ns;
	uint64_t mig_busy_ns;
	uint64_t errors;
	char error[200];
};

/*
 * Replay @s (built from @in) and fill @r.  @iv, when not NULL, receives
 * s->nr_intervals entries.  0, or -EINVAL (bad arguments, or a schedule
 * that does not match the input: reason in r->error) / -ENOMEM.  An
 * inconsistent but well-formed schedule (promotion of a fast object,
 * move of a short-lived object, end state different from the initial
 * placement, occupancy over budget) returns 0 and is counted in
 * r->errors / r->over_budget.
 */
int plan_simulate(const struct plan_input *in, const struct plan_schedule *s,
		  const struct sim_params *sp, struct sim_result *r,
		  struct sim_interval *iv);

#endif /* SENTINELD_SIM_H */
