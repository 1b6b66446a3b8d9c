/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Delay mode of the tier lab: the emulator's own speed, measured per vCPU,
 * turns a miss's modeled cost (given in instructions' worth of time) into
 * a spin of wall-clock time, so that a guest's wall clock runs as the cost
 * model says.  Pure logic; the plugin reads the clock.  See
 * Documentation/lab.rst, "Delay mode".
 */
#ifndef LAB_DELAY_H
#define LAB_DELAY_H

#include <stdbool.h>
#include <stdint.h>

/* Longer gaps between two observations hold idle time, not execution. */
#define LAB_DELAY_MAX_GAP_NS 100000ull
/* Instructions seen before the estimate is used. */
#define LAB_DELAY_MIN_INSNS 20000ull
/* The sums are halved past this many instructions: a recent mean. */
#define LAB_DELAY_WINDOW_INSNS (1ull << 24)
/*
 * Once there is an estimate, a gap slower than this many times it is
 * left out: the guest kernel ran in it (an interrupt, a page fault), or
 * the emulator translated code.
 */
#define LAB_DELAY_OUTLIER 4

struct lab_delay_est {
	uint64_t last_ns;	/* clock at the last observation */
	uint64_t last_insns;	/* the vCPU's instruction count then */
	bool primed;		/* last_* are set */
	bool after_spin;	/* the gap since last_* began at a spin's end */
	uint64_t sum_ns;	/* execution time over the gaps counted ... */
	uint64_t sum_insns;	/* ... and the instructions run in them */
	double owed;		/* cost not spun yet, in instructions */
};

/*
 * Observe the vCPU at clock @now_ns having run @insns instructions in
 * all.  The gap since the last observation adds to the estimate when it
 * is at most LAB_DELAY_MAX_GAP_NS long, has instructions in it, is not
 * LAB_DELAY_OUTLIER times slower than the estimate, and did not begin at
 * the end of a spin: what follows a spin (pending interrupts, a trip
 * through the emulator's main loop) grows with the spin, and counting it
 * would make the estimate feed on itself.
 */
void lab_delay_observe(struct lab_delay_est *e, uint64_t now_ns, uint64_t insns);

/* A spin ended at (@now_ns, @insns): restart the gap there, not counted. */
void lab_delay_spun(struct lab_delay_est *e, uint64_t now_ns, uint64_t insns);

/* Wall-clock ns per guest instruction, or 0 while too few were seen. */
double lab_delay_ns_per_insn(const struct lab_delay_est *e);

/*
 * Add @cost_insns instructions' worth of cost, and return the spin due
 * now in ns: all that is owed (costs before the estimate was ready
 * included), at most @cap_ns, the rest staying owed.  0 while there is
 * no estimate.
 */
uint64_t lab_delay_take(struct lab_delay_est *e, double cost_insns, uint64_t cap_ns);

#endif /* LAB_DELAY_H */
