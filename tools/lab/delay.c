// SPDX-License-Identifier: GPL-2.0
/* Delay mode's estimate of the emulator's speed (delay.h).  No I/O. */
#include "delay.h"

double lab_delay_ns_per_insn(const struct lab_delay_est *e)
{
	if (e->sum_insns < LAB_DELAY_MIN_INSNS)
		return 0;
	return (double)e->sum_ns / (double)e->sum_insns;
}

void lab_delay_observe(struct lab_delay_est *e, uint64_t now_ns, uint64_t insns)
{
	uint64_t dt = now_ns - e->last_ns, di = insns - e->last_insns;
	double rate = lab_delay_ns_per_insn(e);

	if (e->primed && !e->after_spin && now_ns > e->last_ns &&
	    insns > e->last_insns && dt <= LAB_DELAY_MAX_GAP_NS &&
	    !(rate > 0 && (double)dt > LAB_DELAY_OUTLIER * rate * (double)di)) {
		e->sum_ns += dt;
		e->sum_insns += di;
		if (e->sum_insns > LAB_DELAY_WINDOW_INSNS) {
			e->sum_ns /= 2;
			e->sum_insns /= 2;
		}
	}
	e->last_ns = now_ns;
	e->last_insns = insns;
	e->primed = true;
	e->after_spin = false;
}

void lab_delay_spun(struct lab_delay_est *e, uint64_t now_ns, uint64_t insns)
{
	e->last_ns = now_ns;
	e->last_insns = insns;
	e->primed = true;
	e->after_spin = true;
}

uint64_t lab_delay_take(struct lab_delay_est *e, double cost_insns, uint64_t cap_ns)
{
	double rate = lab_delay_ns_per_insn(e), ns;

	if (cost_insns > 0)
		e->owed += cost_insns;
	if (!(rate > 0) || !(e->owed > 0))
		return 0;
	ns = e->owed * rate;
	if (ns >= (double)cap_ns) {
		e->owed -= (double)cap_ns / rate;
		return cap_ns;
	}
	e->owed = 0;
	return (uint64_t)ns;
}
