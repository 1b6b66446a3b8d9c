/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-step accounting of a session's migrations, the bandwidth estimate,
 * drift detection and the active-list classifier of the ial policy.
 * Pure C: no I/O, no locking (the caller serialises).
 */
#ifndef SENTINELD_ACCOUNTING_H
#define SENTINELD_ACCOUNTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * struct acct_step - one step of a session
 * @step: step number
 * @promoted, @demoted: bytes moved to the fast / slow node
 * @mig_ns: time spent in move_pages for the session
 * @late: promotions that missed their layer (skipped or finished late)
 * @late_bytes: their bytes
 * @enomem: batches refused for lack of fast memory (demoted more, retried)
 * @gone_pages: pages found unmapped (object freed): dropped
 * @failed_pages: pages that did not move (busy, other node)
 * @touched, @touched_fast: verify mode: bytes touched by the layers, and
 *	of those, bytes already on the fast node when the layer began
 * @peak_fast: verify mode: most session bytes seen on the fast node
 */
struct acct_step {
	uint64_t step;
	uint64_t promoted, demoted, mig_ns;
	uint64_t late, late_bytes, enomem, gone_pages, failed_pages;
	uint64_t touched, touched_fast, peak_fast;
};

/**
 * struct acct - a session's accounting
 * @cur: the step in progress; @last: the last complete step
 * @total: sums over the session (step: steps counted)
 * @peak_fast: most bytes of the session seen on the fast node
 */
struct acct {
	struct acct_step cur, last, total;
	uint64_t steps;
	uint64_t peak_fast;
};

/* A new step begins: @cur is folded into @last and @total. */
void acct_step_begin(struct acct *a, uint64_t step);
void acct_moved(struct acct *a, bool promote, uint64_t bytes, uint64_t ns);
void acct_late(struct acct *a, uint64_t bytes);
/* Verify mode: a layer touches @touched bytes, @fast of them fast. */
void acct_touch(struct acct *a, uint64_t touched, uint64_t fast);
/* Verify mode: the session has @bytes on the fast node now. */
void acct_fast(struct acct *a, uint64_t bytes);
/* touched_fast / touched; -1 when nothing was measured. */
double acct_hit_ratio(const struct acct_step *s);

/*
 * Whether a migrating plan's moves kept up with the step @s that took
 * @step_ns: false when more than a quarter of the bytes due to the fast
 * node came late (or not at all), or when moving took longer than twice
 * the step (the moves cannot hide under the compute).  Either clock
 * works, as long as both figures come from it.
 */
bool acct_moves_kept_up(const struct acct_step *s, uint64_t step_ns);

/*
 * Bandwidth estimate: an exponential average (weight 1/4) of the
 * measured rates; samples under @min_bytes are ignored (too noisy).
 * Returns the new estimate (@bw when the sample is ignored; the sample
 * itself when @bw is 0).
 */
uint64_t acct_bw_update(uint64_t bw, uint64_t bytes, uint64_t ns,
			uint64_t min_bytes);

/**
 * struct drift - steady-state drift detector
 * @expected: fraction of scanned pages expected touched
 * @threshold: allowed absolute deviation of the observed fraction
 * @need: consecutive deviating scans that make drift
 * @run: consecutive deviating scans seen
 * @learn: scans still to learn @expected from (0: @expected is set)
 * @lpages, @lyoung: what the learning scans saw
 *
 * The profile tells which objects a step touches, but a steady scan sees
 * the live objects at a step end, after migrations rewrote page-table
 * entries: what a steady scan of the profiled workload finds is learnt
 * from the first @learn scans after the plan is placed.
 */
struct drift {
	double expected, threshold;
	unsigned int need, run, learn;
	uint64_t lpages, lyoung;
};

/*
 * A steady scan tested @pages pages and found @young touched.  True when
 * the last @need scans all deviated by more than the threshold.  Scans
 * of fewer than 16 pages say nothing; while learning, a scan only adds to
 * what @expected becomes.
 */
bool drift_scan(struct drift *d, uint64_t pages, uint64_t young);

/*
 * Objects appeared or vanished: @unknown bytes of live objects the plan
 * does not know, @missing bytes of planned long-lived objects not live,
 * against @planned bytes of the plan.  True when either exceeds
 * @threshold of @planned.
 */
bool drift_objects(uint64_t unknown, uint64_t missing, uint64_t planned,
		   double threshold);

/*
 * The ial classifier: a two-list (active, inactive) page-level policy in
 * the spirit of Nimble's.  Each region (a run of pages with one
 * observation) has an age: 0 when found accessed at the last sample,
 * +1 per sample without access (saturating).  A region is active while
 * its age is below @inactive_age.  The fast node holds the active
 * regions, most recently used first, then by accesses per page, within
 * @budget bytes; inactive regions on the fast node are demoted; active
 * ones that do not fit stay (or go) slow.
 */
struct ial_region {
	uint64_t pages;		/* pages of the region */
	uint64_t accessed;	/* pages found accessed at the last sample */
	uint32_t age;		/* samples since last accessed (in/out) */
	uint8_t fast;		/* currently on the fast node (in) */
	uint8_t want;		/* out: 1 fast, 0 slow */
	uint16_t reserved;
};

/*
 * Age the regions from their @accessed counts, then choose @want within
 * @budget (@page_size bytes per page).  Returns the bytes wanted fast.
 */
uint64_t ial_classify(struct ial_region *r, size_t n, uint64_t budget,
		      uint64_t page_size, uint32_t inactive_age);

#endif /* SENTINELD_ACCOUNTING_H */
