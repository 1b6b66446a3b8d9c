// SPDX-License-Identifier: GPL-2.0
/*
 * The pure parts of the migrator: units of objects sharing pages and
 * object-aligned batches, the per-page verdicts of move_pages, the
 * accounting arithmetic and bandwidth estimate, drift detection and the
 * ial classifier; and the kernel's verdict on moving a process's pages.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon_tap.h"
#include "accounting.h"
#include "migrate.h"

#define PG 4096ULL

static void test_units(void)
{
	/* a: pages 0-1; b shares page 1 with a; c alone on pages 3-4; d on 6 */
	struct mig_obj o[] = {
		{ 0, PG + 100, 0, MIG_TO_FAST },
		{ PG + 100, 200, 1, MIG_ANY },
		{ 3 * PG, 2 * PG, 2, MIG_TO_SLOW },
		{ 6 * PG, PG, 3, MIG_ANY },
	};
	struct mig_set s;

	is_int(mig_plan(o, 4, PG, 0, &s), 0, "plan of 4 objects");
	is_int((long long)s.nr_units, 3, "a and b share a page: 3 units");
	is_int((long long)s.nr_batches, 2, "one demotion and one promotion batch");
	is_int(s.batches[0].dir, MIG_TO_SLOW, "demotions first");
	is_int((long long)s.pages_promote, 2, "the shared unit moves whole (2 pages)");
	is_int((long long)s.pages_demote, 2, "c's 2 pages move down");
	is_int((long long)s.conflicts, 0, "no conflict");
	for (size_t i = 0; i < s.nr_units; i++)
		if (s.units[i].page == 0)
			is_int(s.units[i].count, 2, "unit at page 0 holds a and b");
	mig_set_free(&s);

	/* b must stay: the unit of a and b does not move at all */
	o[1].want = MIG_STAY;
	is_int(mig_plan(o, 4, PG, 0, &s), 0, "plan with a pinned neighbour");
	is_int((long long)s.conflicts, 1, "a shares a page with a pinned object: conflict");
	is_int((long long)s.pages_promote, 0, "nothing promoted");
	is_int((long long)s.nr_batches, 1, "only c's batch");
	mig_set_free(&s);

	/* opposite wishes on a shared page: neither moves */
	o[1].want = MIG_TO_SLOW;
	is_int(mig_plan(o, 4, PG, 0, &s), 0, "plan with opposite wishes");
	is_int((long long)s.conflicts, 1, "conflict counted");
	is_int((long long)s.pages_demote, 2, "only c moves down");
	mig_set_free(&s);

	/* overlapping or unsorted input is refused */
	struct mig_obj bad[] = { { PG, PG, 0, MIG_ANY }, { 0, 2 * PG, 1, MIG_ANY } };

	is_int(mig_plan(bad, 2, PG, 0, &s), -EINVAL, "unsorted input refused");
	is_int(mig_plan(o, 4, 3000, 0, &s), -EINVAL, "page size not a power of two refused");
	is_int(mig_plan(NULL, 0, PG, 0, &s), 0, "empty input");
	is_int((long long)s.nr_batches, 0, "no batch");
	mig_set_free(&s);
}

/* The units that move, whole; the rest left out; the same batches. */
static void test_select(void)
{
	/*
	 * a, b, c share pages 0-2 (c reaches into page 2); d alone on 4;
	 * e, f share page 6; g alone on 8.
	 */
	struct mig_obj o[] = {
		{ 0, PG + 100, 0, MIG_ANY },
		{ PG + 100, 200, 1, MIG_STAY },
		{ PG + 300, PG, 2, MIG_TO_FAST },
		{ 4 * PG, PG, 3, MIG_ANY },
		{ 6 * PG, 100, 4, MIG_ANY },
		{ 6 * PG + 100, 100, 5, MIG_ANY },
		{ 8 * PG, PG, 6, MIG_TO_SLOW },
	};
	struct mig_obj out[7];
	struct mig_set all, sub;
	size_t n = mig_select(o, 7, PG, out);

	is_int((long long)n, 4, "the run a-c (one wants to move) and g: 4 objects");
	ok(n == 4 && out[0].idx == 0 && out[1].idx == 1 && out[2].idx == 2 && out[3].idx == 6,
	   "whole runs, in address order");
	is_int(mig_plan(o, 7, PG, 0, &all), 0, "plan of all");
	is_int(mig_plan(out, n, PG, 0, &sub), 0, "plan of the selection");
	ok(all.nr_batches == sub.nr_batches && all.pages_promote == sub.pages_promote &&
	   all.pages_demote == sub.pages_demote && all.conflicts == sub.conflicts,
	   "same batches, pages and conflicts");
	mig_set_free(&all);
	mig_set_free(&sub);
	o[2].want = MIG_ANY;
	o[6].want = MIG_STAY;
	is_int((long long)mig_select(o, 7, PG, out), 0, "nothing moves: nothing selected");
	o[5].want = MIG_TO_SLOW;
	n = mig_select(o, 7, PG, out);
	ok(n == 2 && out[0].idx == 4 && out[1].idx == 5, "a page-sharing pair kept whole");
	is_int((long long)mig_select(o, 0, PG, out), 0, "empty input");
}

static void test_batches(void)
{
	struct mig_obj o[10];
	struct mig_set s;
	uint64_t total = 0;
	bool whole = true;

	/* ten 3-page objects, all promoted, batches of at most 7 pages */
	for (int i = 0; i < 10; i++)
		o[i] = (struct mig_obj){ (uint64_t)i * 4 * PG, 3 * PG, (uint32_t)i, MIG_TO_FAST };
	is_int(mig_plan(o, 10, PG, 7, &s), 0, "plan of 10 objects");
	is_int((long long)s.nr_batches, 5, "two whole objects (6 pages) per batch");
	for (size_t b = 0; b < s.nr_batches; b++) {
		total += s.batches[b].nr_pages;
		whole &= s.batches[b].nr_pages % 3 == 0 && s.batches[b].nr_pages <= 7;
	}
	ok(whole, "no batch splits an object or exceeds the limit");
	is_int((long long)total, 30, "every page in some batch");
	mig_set_free(&s);

	/* an object larger than the limit gets a batch of its own */
	o[0].len = 20 * PG;
	o[1].addr = 21 * PG;
	is_int(mig_plan(o, 2, PG, 7, &s), 0, "plan with a large object");
	is_int((long long)s.nr_batches, 2, "the large object alone, then the small one");
	is_int((long long)s.batches[0].nr_pages, 20, "large object whole");
	mig_set_free(&s);
}

static void test_classify(void)
{
	int st[] = { 0, 0, 1, -ENOENT, -EFAULT, -ENOMEM, -EBUSY, 0 };
	struct mig_status m = { 0 };

	mig_classify(st, 8, 0, &m);
	is_int((long long)m.pages, 8, "8 pages");
	is_int((long long)m.moved, 3, "3 on the target");
	is_int((long long)m.other, 1, "1 elsewhere");
	is_int((long long)m.absent, 1, "1 absent");
	is_int((long long)m.gone, 1, "1 gone (object freed)");
	is_int((long long)m.nomem, 1, "1 without room");
	is_int((long long)m.busy, 1, "1 busy");
}

static void test_acct(void)
{
	struct acct a = { 0 };

	acct_step_begin(&a, 10);
	acct_moved(&a, true, 8192, 1000);
	acct_moved(&a, false, 4096, 500);
	acct_late(&a, 4096);
	acct_touch(&a, 10000, 9000);
	acct_touch(&a, 10000, 12000);	/* clamped to touched */
	acct_fast(&a, 5000);
	acct_fast(&a, 3000);
	is_int((long long)a.cur.promoted, 8192, "promoted bytes");
	is_int((long long)a.cur.demoted, 4096, "demoted bytes");
	is_int((long long)a.cur.mig_ns, 1500, "migration time");
	is_int((long long)a.cur.late, 1, "one late migration");
	ok(acct_hit_ratio(&a.cur) > 0.949 && acct_hit_ratio(&a.cur) < 0.951,
	   "hit ratio 19000/20000");
	is_int((long long)a.peak_fast, 5000, "peak fast bytes");
	acct_step_begin(&a, 11);
	is_int((long long)a.last.step, 10, "last step folded");
	is_int((long long)a.total.promoted, 8192, "total promoted");
	is_int((long long)a.cur.promoted, 0, "new step starts empty");
	ok(acct_hit_ratio(&a.cur) < 0, "no measurement: no ratio");
	acct_moved(&a, true, 100, 10);
	acct_step_begin(&a, 12);
	is_int((long long)a.total.promoted, 8292, "totals accumulate");
	is_int((long long)a.total.peak_fast, 5000, "peak kept in totals");

	is_int((long long)acct_bw_update(0, 1 << 20, 1000000, 4096), 1048576000LL,
	       "first sample sets the estimate");
	is_int((long long)acct_bw_update(1000, 100, 1, 4096), 1000, "small sample ignored");
	is_int((long long)acct_bw_update(1000000000, 1 << 20, 524288, 4096),
	       (long long)(1000000000 * 0.75 + 2e9 * 0.25), "exponential average");

	{
		struct acct_step st = { .promoted = 3000, .late_bytes = 1000, .mig_ns = 200 };

		ok(acct_moves_kept_up(&st, 100), "a quarter late, moving 2x the step: kept up");
		st.late_bytes = 1001;
		ok(!acct_moves_kept_up(&st, 100), "more than a quarter late: not kept up");
		st.late_bytes = 0;
		st.mig_ns = 202;
		ok(!acct_moves_kept_up(&st, 100), "moving longer than twice the step: not kept up");
		st.promoted = 0;
		st.mig_ns = 0;
		ok(acct_moves_kept_up(&st, 0), "nothing moved, no step time: kept up");
	}
}

static void test_drift(void)
{
	struct drift d = { .expected = 0.5, .threshold = 0.2, .need = 3 };

	ok(!drift_scan(&d, 1000, 500), "on profile: no drift");
	ok(!drift_scan(&d, 1000, 100), "one deviation: no drift yet");
	ok(!drift_scan(&d, 10, 0), "tiny scan says nothing");
	ok(!drift_scan(&d, 1000, 900), "two deviations");
	ok(drift_scan(&d, 1000, 950), "three in a row: drift");
	ok(!drift_scan(&d, 1000, 600), "back within threshold resets");
	is_int((int)d.run, 0, "run reset");
	{
		struct drift l = { .expected = 0.1, .threshold = 0.2, .need = 2, .learn = 2 };

		ok(!drift_scan(&l, 1000, 900) && !drift_scan(&l, 1000, 700),
		   "learning scans never drift");
		ok(l.expected > 0.799 && l.expected < 0.801, "learnt 0.8 (%.3f)", l.expected);
		ok(!drift_scan(&l, 1000, 850) && !drift_scan(&l, 1000, 750),
		   "near what was learnt: no drift");
		ok(!drift_scan(&l, 1000, 100) && drift_scan(&l, 1000, 200),
		   "two scans far from it: drift");
	}
	ok(!drift_objects(5, 0, 100, 0.1), "5%% unknown: no drift");
	ok(drift_objects(20, 0, 100, 0.1), "20%% unknown: drift");
	ok(drift_objects(0, 11, 100, 0.1), "11%% missing: drift");
	ok(drift_objects(1, 0, 0, 0.1), "no plan but objects: drift");
}

static void test_ial(void)
{
	struct ial_region r[4] = {
		{ .pages = 10, .accessed = 10, .fast = 1 },	/* hot, fast */
		{ .pages = 10, .accessed = 0, .fast = 1 },	/* idle, fast */
		{ .pages = 10, .accessed = 2 },			/* warm, slow */
		{ .pages = 30, .accessed = 30 },		/* hot, too big */
	};
	uint64_t used;

	used = ial_classify(r, 4, 25 * PG, PG, 2);
	is_int((long long)used, 20 * (long long)PG, "hot and warm regions fast (20 pages), the big one does not fit");
	ok(r[0].want && !r[3].want, "hottest that fits is fast; too big stays slow");
	/* r[1] was never accessed: age 1 (< 2) still active on first sample */
	ok(r[1].age == 1, "an idle region ages");
	used = ial_classify((struct ial_region[]){ { .pages = 4, .accessed = 0, .age = 5, .fast = 1 } },
			    1, 100 * PG, PG, 2);
	is_int((long long)used, 0, "inactive region leaves the fast node");
	r[0].accessed = r[2].accessed = r[3].accessed = 0;
	r[1].accessed = 10;
	ial_classify(r, 4, 25 * PG, PG, 2);
	ok(r[1].want && r[1].age == 0, "recently used region promoted first");
	ial_classify(r, 4, 25 * PG, PG, 2);
	ial_classify(r, 4, 25 * PG, PG, 2);
	ok(!r[0].want && !r[2].want, "regions unused for 2 samples become inactive");
}

/* mig_may_move(): move_pages(2) for zero pages. */
static void test_may_move(void)
{
	siginfo_t si;
	pid_t pid;
	int st;

	is_int(mig_may_move(getpid()), 0, "may move its own pages");
	is_int(mig_may_move(0), -ESRCH, "pid 0 is no process");
	/* An exited child not yet reaped has no memory: gone. */
	pid = fork();
	if (pid == 0)
		_exit(0);
	ok(pid > 0 && !waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT),
	   "a child exits");
	is_int(mig_may_move(pid), -ESRCH, "a zombie is gone");
	waitpid(pid, &st, 0);
	if (geteuid() != 0) {
		ok(true, "another uid may not move root's pages # SKIP not root");
		return;
	}
	/* Another uid, without capabilities: the ptrace rules refuse. */
	pid = fork();
	if (pid == 0) {
		pid_t parent = getppid();

		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(2);
		_exit(mig_may_move(parent) == -EPERM ? 0 : 1);
	}
	ok(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && !WEXITSTATUS(st),
	   "another uid may not move root's pages (EPERM)");
}

int main(void)
{
	test_units();
	test_select();
	test_batches();
	test_classify();
	test_acct();
	test_drift();
	test_ial();
	test_may_move();
	return tap_done();
}
