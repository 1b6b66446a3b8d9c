// SPDX-License-Identifier: GPL-2.0
/* Unit tests: delay mode's estimate of the emulator's speed (tools/lab/delay.c). */
#include <string.h>

#include "delay.h"
#include "tap.h"

int main(void)
{
	struct lab_delay_est e;
	uint64_t t = 1000000, n = 0, s;

	tap_plan(14);

	memset(&e, 0, sizeof(e));
	lab_delay_observe(&e, t, n);
	ok(lab_delay_ns_per_insn(&e) == 0 && lab_delay_take(&e, 100, 1000000) == 0,
	   "no estimate, no spin before any gap");

	/* 10000 instructions at 50 ns each, in gaps of 1000 instructions. */
	for (int i = 0; i < 10; i++) {
		t += 50000;
		n += 1000;
		lab_delay_observe(&e, t, n);
	}
	ok(lab_delay_ns_per_insn(&e) == 0 && lab_delay_take(&e, 100, 1000000) == 0,
	   "no estimate below %llu instructions", (unsigned long long)LAB_DELAY_MIN_INSNS);
	for (int i = 0; i < 10; i++) {
		t += 50000;
		n += 1000;
		lab_delay_observe(&e, t, n);
	}
	ok(lab_delay_ns_per_insn(&e) == 50.0, "50 ns per instruction (%.3f)",
	   lab_delay_ns_per_insn(&e));
	s = lab_delay_take(&e, 900, 10000000);
	ok(s == 55000, "the 200 instructions owed from before and 900 now spin 55000 ns (%llu)",
	   (unsigned long long)s);
	ok(lab_delay_take(&e, 0, 10000000) == 0, "nothing owed, no spin");
	s = lab_delay_take(&e, 1e6, 10000000);
	ok(s == 10000000 && e.owed == 800000.0, "spin capped at 10 ms, the rest owed (%.0f)", e.owed);
	e.owed = 0;

	/* An idle gap (a halted vCPU) is not execution. */
	t += 5 * LAB_DELAY_MAX_GAP_NS;
	n += 10;
	lab_delay_observe(&e, t, n);
	ok(lab_delay_ns_per_insn(&e) == 50.0, "a gap over %llu ns is left out (%.3f)",
	   (unsigned long long)LAB_DELAY_MAX_GAP_NS, lab_delay_ns_per_insn(&e));

	/* A gap with an interrupt in it: slower than 4x the estimate. */
	t += 30000;
	n += 100;
	lab_delay_observe(&e, t, n);
	ok(lab_delay_ns_per_insn(&e) == 50.0, "a gap %dx slower than the estimate is left out",
	   LAB_DELAY_OUTLIER);
	t += 500 * 150;
	n += 500;
	lab_delay_observe(&e, t, n);
	ok(e.sum_insns == 20500 && e.sum_ns == 1075000, "a gap 3x slower counts (%.3f)",
	   lab_delay_ns_per_insn(&e));

	/* The gap that begins at a spin's end is not counted, the next is. */
	t += 80000;
	lab_delay_spun(&e, t, n);
	t += 20000;
	n += 100;
	lab_delay_observe(&e, t, n);
	ok(e.sum_insns == 20500, "the gap after a spin is left out");
	t += 25000;
	n += 500;
	lab_delay_observe(&e, t, n);
	ok(e.sum_insns == 21000 && e.sum_ns == 1100000, "the gap after that counts (%llu ns over %llu)",
	   (unsigned long long)e.sum_ns, (unsigned long long)e.sum_insns);

	/* No instructions in a gap: nothing to learn. */
	t += 1000;
	lab_delay_observe(&e, t, n);
	ok(e.sum_insns == 21000, "a gap without instructions adds nothing");

	/* The window: past 2^24 instructions the sums halve (a recent mean). */
	for (int i = 0; i < 20000; i++) {
		t += 90000;
		n += 1000;
		lab_delay_observe(&e, t, n);
	}
	ok(e.sum_insns <= LAB_DELAY_WINDOW_INSNS && lab_delay_ns_per_insn(&e) > 89.0,
	   "the estimate follows a new speed of 90 ns per instruction (%.3f)",
	   lab_delay_ns_per_insn(&e));
	ok(lab_delay_take(&e, -5, 1000) == 0, "a negative cost adds nothing");
	return tap_done();
}
