/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Object-aligned migration with move_pages(2).
 *
 * The pure part turns a set of objects, each with what the policy wants
 * for it, into units and batches: objects whose page ranges share a page
 * form one unit, which moves as a whole or not at all (a unit whose
 * members want different nodes, or where one member must stay, is left
 * alone and counted as a conflict).  Batches hold whole units of one
 * direction, at most MIG_BATCH_PAGES pages unless a single unit is
 * larger (it then fills a batch of its own, split only at the limit of
 * the system call).
 *
 * The impure part runs move_pages(2) on another process and classifies
 * every page's status.
 */
#ifndef SENTINELD_MIGRATE_H
#define SENTINELD_MIGRATE_H

#include <stddef.h>
#include <stdint.h>

#define MIG_BATCH_PAGES	4096	/* pages per move_pages call, nominal */

enum mig_want {
	MIG_ANY = 0,		/* no wish: follows a unit that moves */
	MIG_STAY,		/* must not move now */
	MIG_TO_FAST,
	MIG_TO_SLOW,
};

/* An object to consider; the array is sorted by @addr, ranges disjoint. */
struct mig_obj {
	uint64_t addr, len;
	uint32_t idx;		/* caller's index */
	uint8_t want;		/* enum mig_want */
};

/**
 * struct mig_unit - objects sharing pages
 * @first, @count: members: mig_obj[first .. first + count)
 * @page, @nr_pages: the pages they span (page addresses)
 * @dir: MIG_TO_FAST, MIG_TO_SLOW, or MIG_ANY (nothing to do) / MIG_STAY
 *	(conflict: not moved)
 */
struct mig_unit {
	uint32_t first, count;
	uint64_t page, nr_pages;
	uint8_t dir;
};

/**
 * struct mig_batch - units of one direction moved by one call
 * @first, @count: units[first .. first + count)
 * @nr_pages: their pages
 * @dir: MIG_TO_FAST or MIG_TO_SLOW
 */
struct mig_batch {
	uint32_t first, count;
	uint64_t nr_pages;
	uint8_t dir;
};

/**
 * struct mig_set - units and batches; mig_set_free() releases them
 * @units, @nr_units: every unit, in address order within a direction:
 *	the slow-bound ones first, then the fast-bound ones, then the rest
 * @batches, @nr_batches: demotions first, then promotions
 * @conflicts: units left alone because their members disagree
 * @pages_demote, @pages_promote: pages of the moving units
 */
struct mig_set {
	struct mig_unit *units;
	size_t nr_units;
	struct mig_batch *batches;
	size_t nr_batches;
	size_t conflicts;
	uint64_t pages_demote, pages_promote;
};

/*
 * Build @out from @objs (@n, sorted by address) with @page_size (a power
 * of two) and batches of at most @max_pages (0: MIG_BATCH_PAGES).
 * 0, -EINVAL (unsorted or overlapping input, bad page size) or -ENOMEM.
 */
int mig_plan(const struct mig_obj *objs, size_t n, uint64_t page_size,
	     uint64_t max_pages, struct mig_set *out);

/*
 * The objects of @objs (sorted by address, as mig_plan() takes them) in
 * the units that move, into @out (room for @n; @out may be @objs): a run
 * of objects sharing pages is kept whole when one of them wants to move,
 * left out otherwise.  mig_plan() of the result makes the same batches
 * as of all of @objs, without the units that stay.  Returns how many.
 */
size_t mig_select(const struct mig_obj *objs, size_t n, uint64_t page_size,
		  struct mig_obj *out);
void mig_set_free(struct mig_set *s);

/**
 * struct mig_status - the outcome of move_pages for a batch
 * @pages: pages asked for
 * @moved: moved to the target node
 * @already: on the target node before the call (not moved)
 * @absent: not present (never touched, or swapped out): nothing to move
 * @gone: not mapped any more (freed or unmapped object)
 * @nomem: no room on the target node
 * @busy: busy or otherwise not migrated this time
 * @other: on another node for another reason
 */
struct mig_status {
	uint64_t pages, moved, already, absent, gone, nomem, busy, other;
};

/* Classify @n per-page results of move_pages towards @node into @st (added). */
void mig_classify(const int *status, size_t n, int node, struct mig_status *st);

/*
 * Move the @n pages at @pages of process @pid to @node (MPOL_MF_MOVE),
 * classifying each page into @st: a first call without nodes asks where
 * each page is, so that pages already on @node count as @already and
 * only the others are moved.  @status is scratch of @n ints.
 * Returns 0 (also when some pages did not move: see @st), or a negative
 * errno of the call: -ESRCH (process gone), -EPERM/-EACCES (not allowed),
 * -ENODEV/-EINVAL (bad node), -ENOMEM; @st then holds what the calls
 * before the error, and the failing one up to its error, did.
 */
int mig_move(int pid, void **pages, int *status, size_t n, int node,
	     struct mig_status *st);

/*
 * May this process move the pages of process @pid?  Asks the kernel
 * with move_pages(2) for zero pages: 0 when it may, -EPERM when the
 * kernel refuses (the ptrace read rules, or a security module), -ESRCH
 * when the process is gone (or has no memory left, a zombie).  Nothing
 * of the target is read or moved.
 */
int mig_may_move(int pid);

/*
 * Bandwidth calibration: time move_pages of a private buffer of @bytes
 * between @from and @to, both ways.  Returns bytes/s, or 0 when it could
 * not be measured (one node, no memory on a node, no permission).
 */
uint64_t mig_calibrate(int from, int to, uint64_t bytes, uint64_t *ns_out);

#endif /* SENTINELD_MIGRATE_H */
