// SPDX-License-Identifier: GPL-2.0
/*
 * Object-aligned migration: units of objects sharing pages, batches of
 * whole units, and move_pages(2) with a verdict per page.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "migrate.h"

#ifndef MPOL_MF_MOVE
#define MPOL_MF_MOVE (1 << 1)
#endif

void mig_set_free(struct mig_set *s)
{
	free(s->units);
	free(s->batches);
	memset(s, 0, sizeof(*s));
}

/* The direction of a unit from its members' wishes. */
static uint8_t unit_dir(const struct mig_obj *o, size_t n)
{
	int fast = 0, slow = 0, stay = 0;

	for (size_t i = 0; i < n; i++) {
		fast += o[i].want == MIG_TO_FAST;
		slow += o[i].want == MIG_TO_SLOW;
		stay += o[i].want == MIG_STAY;
	}
	if ((fast && slow) || ((fast || slow) && stay))
		return MIG_STAY;	/* conflict */
	return fast ? MIG_TO_FAST : slow ? MIG_TO_SLOW : MIG_ANY;
}

static int dir_rank(uint8_t d)
{
	return d == MIG_TO_SLOW ? 0 : d == MIG_TO_FAST ? 1 : 2;
}

static int unit_cmp(const void *a, const void *b)
{
	const struct mig_unit *x = a, *y = b;
	int rx = dir_rank(x->dir), ry = dir_rank(y->dir);

	if (rx != ry)
		return rx - ry;
	return x->page < y->page ? -1 : x->page > y->page;
}

static bool wants_move(uint8_t want)
{
	return want == MIG_TO_FAST || want == MIG_TO_SLOW;
}

size_t mig_select(const struct mig_obj *objs, size_t n, uint64_t page_size,
		  struct mig_obj *out)
{
	size_t nout = 0, run = 0;
	uint64_t run_last = 0;
	bool moves = false;

	for (size_t i = 0; i <= n; i++) {
		uint64_t first = 0, last = 0;

		if (i < n) {
			first = objs[i].addr & ~(page_size - 1);
			last = (objs[i].addr + (objs[i].len ? objs[i].len - 1 : 0)) &
			       ~(page_size - 1);
			if (i > run && first <= run_last) {	/* shares a page with the run */
				run_last = last > run_last ? last : run_last;
				moves |= wants_move(objs[i].want);
				continue;
			}
		}
		if (moves) {
			memmove(out + nout, objs + run, (i - run) * sizeof(*objs));
			nout += i - run;
		}
		run = i;
		run_last = last;
		moves = i < n && wants_move(objs[i].want);
	}
	return nout;
}

int mig_plan(const struct mig_obj *objs, size_t n, uint64_t page_size,
	     uint64_t max_pages, struct mig_set *out)
{
	struct mig_unit *u;
	size_t nu = 0, nb = 0;

	memset(out, 0, sizeof(*out));
	if (!page_size || (page_size & (page_size - 1)))
		return -EINVAL;
	if (!max_pages)
		max_pages = MIG_BATCH_PAGES;
	for (size_t i = 0; i < n; i++) {
		if (!objs[i].len || objs[i].addr + objs[i].len < objs[i].addr)
			return -EINVAL;
		if (i && objs[i].addr < objs[i - 1].addr + objs[i - 1].len)
			return -EINVAL;
	}
	if (!n)
		return 0;
	u = calloc(n, sizeof(*u));
	if (!u)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		uint64_t first = objs[i].addr & ~(page_size - 1);
		uint64_t last = (objs[i].addr + objs[i].len - 1) & ~(page_size - 1);
		struct mig_unit *cur = nu ? &u[nu - 1] : NULL;

		if (cur && first <= cur->page + (cur->nr_pages - 1) * page_size) {
			uint64_t end = cur->page + cur->nr_pages * page_size;

			cur->count++;
			if (last + page_size > end)
				cur->nr_pages = (last + page_size - cur->page) / page_size;
			continue;
		}
		u[nu++] = (struct mig_unit){
			.first = (uint32_t)i, .count = 1, .page = first,
			.nr_pages = (last - first) / page_size + 1,
		};
	}
	for (size_t i = 0; i < nu; i++) {
		u[i].dir = unit_dir(&objs[u[i].first], u[i].count);
		if (u[i].dir == MIG_STAY)
			out->conflicts++;
		else if (u[i].dir == MIG_TO_FAST)
			out->pages_promote += u[i].nr_pages;
		else if (u[i].dir == MIG_TO_SLOW)
			out->pages_demote += u[i].nr_pages;
	}
	qsort(u, nu, sizeof(*u), unit_cmp);
	out->units = u;
	out->nr_units = nu;

	/* Batches: consecutive units of one direction, whole. */
	out->batches = calloc(nu, sizeof(*out->batches));
	if (!out->batches) {
		mig_set_free(out);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nu; i++) {
		struct mig_batch *b = nb ? &out->batches[nb - 1] : NULL;

		if (u[i].dir != MIG_TO_FAST && u[i].dir != MIG_TO_SLOW)
			continue;
		if (b && b->dir == u[i].dir && b->first + b->count == i &&
		    b->nr_pages + u[i].nr_pages <= max_pages) {
			b->count++;
			b->nr_pages += u[i].nr_pages;
			continue;
		}
		out->batches[nb++] = (struct mig_batch){
			.first = (uint32_t)i, .count = 1,
			.nr_pages = u[i].nr_pages, .dir = u[i].dir,
		};
	}
	out->nr_batches = nb;
	return 0;
}

void mig_classify(const int *status, size_t n, int node, struct mig_status *st)
{
	st->pages += n;
	for (size_t i = 0; i < n; i++) {
		int s = status[i];

		if (s == node)
			st->moved++;
		else if (s >= 0)
			st->other++;
		else if (s == -ENOENT)
			st->absent++;
		else if (s == -EFAULT)
			st->gone++;
		else if (s == -ENOMEM)
			st->nomem++;
		else
			st->busy++;	/* -EBUSY, -EAGAIN, -EACCES (shared), ... */
	}
}

#define MIG_CALL_MAX 65536	/* pages per system call */

/*
 * One system call's worth: ask where the pages are, then move those that
 * are present elsewhere.  Pages already on @node count as such, not as
 * moved.  On an error of the moving call the pages it got to are still
 * classified (it fills the status array in order).
 */
static int move_chunk(int pid, void **pages, int *status, size_t k, int node,
		      int *nodes, void **todo, int *tstatus, struct mig_status *st)
{
	size_t nt = 0;
	long r;

	for (size_t i = 0; i < k; i++)
		status[i] = -EAGAIN;
	r = syscall(SYS_move_pages, pid, (unsigned long)k, pages, NULL, status, 0);
	if (r < 0)
		return -errno;
	for (size_t i = 0; i < k; i++) {
		if (status[i] == node) {
			st->pages++;
			st->already++;
		} else if (status[i] < 0) {
			mig_classify(&status[i], 1, node, st);
		} else {
			todo[nt++] = pages[i];
		}
	}
	if (!nt)
		return 0;
	for (size_t i = 0; i < nt; i++) {
		nodes[i] = node;
		tstatus[i] = -EAGAIN;
	}
	r = syscall(SYS_move_pages, pid, (unsigned long)nt, todo, nodes, tstatus,
		    MPOL_MF_MOVE);
	/* ENOENT from the call itself: nothing needed moving */
	if (r < 0 && errno != ENOENT) {
		int e = errno;

		mig_classify(tstatus, nt, node, st);
		return -e;
	}
	mig_classify(tstatus, nt, node, st);
	return 0;
}

int mig_move(int pid, void **pages, int *status, size_t n, int node,
	     struct mig_status *st)
{
	size_t cap = n < MIG_CALL_MAX ? n : MIG_CALL_MAX;
	int *nodes = malloc(cap * sizeof(*nodes) + 1);
	int *tstatus = malloc(cap * sizeof(*tstatus) + 1);
	void **todo = malloc(cap * sizeof(*todo) + 1);
	int err = 0;

	if (!nodes || !tstatus || !todo) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t off = 0; off < n && !err;) {
		size_t k = n - off < MIG_CALL_MAX ? n - off : MIG_CALL_MAX;

		err = move_chunk(pid, pages + off, status + off, k, node, nodes, todo,
				 tstatus, st);
		off += k;
	}
out:
	free(nodes);
	free(tstatus);
	free(todo);
	return err;
}

/*
 * The kernel's own verdict, as move_pages(2) would give it (mm/migrate.c,
 * 6.1 and 6.12 alike): kernel_move_pages() checks the flags (none here),
 * then find_mm_struct() looks the pid up (ESRCH when there is no such
 * process), checks ptrace_may_access(task, PTRACE_MODE_READ_REALCREDS)
 * (EPERM) and security_task_movememory() (an LSM's error), and takes the
 * task's mm (EINVAL when it has none: a zombie or an exiting process).
 * Only then are the pages looked at; without nodes the call only reports
 * where they are (do_pages_stat()), and for zero pages it does nothing
 * and returns 0.  The check uses the caller's real uid and gid and its
 * capabilities (CAP_SYS_PTRACE lifts the same-uid, dumpable and
 * capability-subset rules), no file system permission, so it needs
 * neither CAP_DAC_OVERRIDE nor anything under /proc/PID, which the
 * owner's mode bits guard (pagemap is 0400).  CAP_SYS_NICE is checked
 * only for MPOL_MF_MOVE_ALL, which the migrator does not use.
 */
int mig_may_move(int pid)
{
	if (pid <= 0)
		return -ESRCH;
	if (!syscall(SYS_move_pages, pid, 0UL, NULL, NULL, NULL, 0))
		return 0;
	switch (errno) {
	case ESRCH:
	case EINVAL:
		return -ESRCH;
	case EACCES:
		return -EPERM;
	default:
		return -errno;
	}
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t mig_calibrate(int from, int to, uint64_t bytes, uint64_t *ns_out)
{
	long psz = sysconf(_SC_PAGESIZE);
	size_t np = (size_t)(bytes / (uint64_t)psz), moved = 0;
	struct mig_status st = { 0 };
	uint64_t t0, ns = 0;
	void **pages;
	int *status;
	char *buf;

	if (ns_out)
		*ns_out = 0;
	if (from == to || !np)
		return 0;
	buf = mmap(NULL, np * (size_t)psz, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return 0;
	pages = calloc(np, sizeof(*pages));
	status = calloc(np, sizeof(*status));
	if (!pages || !status)
		goto out;
	for (size_t i = 0; i < np; i++) {
		buf[i * (size_t)psz] = (char)i;	/* fault in */
		pages[i] = buf + i * (size_t)psz;
	}
	/* Put it on @from first (untimed), then time from -> to -> from. */
	if (mig_move(0, pages, status, np, from, &st))
		goto out;
	for (int round = 0; round < 2; round++) {
		memset(&st, 0, sizeof(st));
		t0 = mono_ns();
		if (mig_move(0, pages, status, np, round ? from : to, &st))
			goto out;
		ns += mono_ns() - t0;
		moved += st.moved;
	}
	if (moved < np)	/* one node could not take it: no figure */
		ns = 0;
out:
	free(pages);
	free(status);
	munmap(buf, np * (size_t)psz);
	if (!ns)
		return 0;
	if (ns_out)
		*ns_out = ns;
	return (uint64_t)((double)moved * (double)psz * 1e9 / (double)ns);
}
