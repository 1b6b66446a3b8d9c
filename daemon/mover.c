// SPDX-License-Identifier: GPL-2.0
/*
 * The migration queue of the policies: a set of wishes for a session's
 * live objects becomes one work item (object-aligned batches of pages,
 * migrate.c), queued on the worker pool; a session's items run in order
 * (tickets), sessions in parallel.  Synchronous marks are acknowledged
 * here, once the items their boundary needs have run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "accounting.h"
#include "log.h"
#include "migrate.h"
#include "policy_int.h"

struct wbatch {
	size_t first, n;	/* pages[first .. first + n) */
	uint8_t dir;
	int need;		/* promotion: template layer needing it, -1 */
	uint64_t bytes;
};

struct work {
	struct psess *ps;
	uint64_t ticket;
	uint64_t schedule;	/* ps->schedule when submitted */
	uint64_t nstep;		/* the step (count) the boundary belongs to */
	int boundary;		/* -1: a placement pass */
	void **pages;
	size_t npages;
	struct wbatch *b;
	size_t nb;
	struct wrange { uint64_t addr, len; } *spill;	/* ENOMEM: planned slow */
	size_t nspill;
};

static void work_free(struct work *w)
{
	free(w->pages);
	free(w->b);
	free(w->spill);
	free(w);
}

/* Has the layer @need of step @nstep begun? (ps->lock held) */
static bool begun(const struct psess *ps, uint64_t nstep, int need)
{
	if (need < 0)
		return false;
	return ps->nstep > nstep || (ps->nstep == nstep && ps->pos >= need);
}

static void note_err(struct psess *ps, int err)
{
	if (err == -ESRCH) {
		ps->dead = true;
	} else if ((err == -EPERM || err == -EACCES) && !ps->eperm_logged) {
		ps->eperm_logged = true;
		log_err("session %" PRIu64 ": move_pages on pid %u: %s: the kernel refuses "
			"(ptrace read access to the process, or a security module)",
			ps->id, ps->pid, strerror(-err));
	} else if (err == -ENOMEM) {
		/* The fast node is full: counted per step, said once. */
		ps->acct.cur.enomem++;
		if (!ps->enomem_logged) {
			ps->enomem_logged = true;
			log_warn("session %" PRIu64 ": move_pages: %s (the target node is full; "
				 "counted as enomem in the statistics)", ps->id, strerror(-err));
		}
	} else if (err) {
		log_warn("session %" PRIu64 ": move_pages: %s", ps->id, strerror(-err));
	}
}

/*
 * Acknowledge @ps's marks up to @seq on the daemon's acknowledging socket
 * (opened at the first use; its closing releases the sessions).  A
 * worker's acknowledgment (@take false) of a session released since is
 * not sent: it would take the session again.
 */
void pol_ack_send(struct psess *ps, uint64_t seq, bool take)
{
	bool skip;
	int err = 0;

	pthread_mutex_lock(&pol.ack_lock);
	skip = ps->released && !take;
	if (!skip && !pol.ack_open)
		err = snl_open(&pol.ack);
	if (!skip) {
		pol.ack_open = !err;
		if (!err)
			err = snl_ack_mark(&pol.ack, ps->id, seq);
		if (!err)
			ps->released = false;
	}
	pthread_mutex_unlock(&pol.ack_lock);
	if (skip)
		return;
	pthread_mutex_lock(&ps->lock);
	if (err && err != -ENOENT) {
		if (!ps->ack_errors++)
			log_warn("session %" PRIu64 ": cannot acknowledge marks: %s",
				 ps->id, strerror(-err));
	} else if (!err) {
		ps->acks++;
	}
	pthread_mutex_unlock(&ps->lock);
}

/*
 * No moves at boundaries any more (a static placement): @ps's marks are
 * no longer acknowledged, so that its layers do not wait for the daemon
 * and the daemon does not answer every mark.  A module without
 * SENTINEL_FEAT_RELEASE keeps being answered.  Main thread.
 */
static void ack_release(struct psess *ps)
{
	int err = -ENOTCONN;

	pthread_mutex_lock(&pol.ack_lock);
	if (pol.ack_open)
		err = snl_release_marks(&pol.ack, ps->id);
	if (!err)
		ps->released = true;
	pthread_mutex_unlock(&pol.ack_lock);
	pthread_mutex_lock(&ps->lock);
	if (!err) {
		ps->acking = false;
		ps->ack_releases++;
	} else if (err != -ENOENT && !ps->ack_errors++) {
		log_warn("session %" PRIu64 ": cannot stop acknowledging marks: %s",
			 ps->id, strerror(-err));
	}
	pthread_mutex_unlock(&ps->lock);
	if (err == -EOPNOTSUPP)
		pol.no_release = true;
}

void pol_ack_close(void)
{
	pthread_mutex_lock(&pol.ack_lock);
	if (pol.ack_open)
		snl_close(&pol.ack);
	pol.ack_open = false;
	pthread_mutex_unlock(&pol.ack_lock);
}

/* Remember that work item @ticket serves boundary @abs.  Lock held. */
static void due_add(struct psess *ps, uint64_t abs, uint64_t ticket)
{
	if (ps->ndue == ps->capdue) {
		size_t cap = ps->capdue ? 2 * ps->capdue : 16;
		struct due *v = realloc(ps->due, cap * sizeof(*v));

		if (!v)
			return;		/* its mark is then acknowledged early */
		ps->due = v;
		ps->capdue = cap;
	}
	ps->due[ps->ndue++] = (struct due){ abs, ticket };
}

/*
 * The last item still to run that serves boundary @abs or an earlier one,
 * or 0 when none does (tickets start at 1).  Lock held.
 */
uint64_t pol_due_upto(struct psess *ps, uint64_t abs)
{
	uint64_t t = 0;
	size_t k = 0;

	for (size_t i = 0; i < ps->ndue; i++) {
		if (ps->due[i].ticket < ps->serving)
			continue;	/* has run: forget it */
		if (ps->due[i].abs <= abs && ps->due[i].ticket + 1 > t)
			t = ps->due[i].ticket + 1;
		ps->due[k++] = ps->due[i];
	}
	ps->ndue = k;
	return t;
}

/*
 * A LAYER_BEGIN mark (@seq) of template layer @abs: acknowledge it now,
 * or once the moves of its boundary and the earlier ones have run.  With
 * nothing due and a plan without moves, release the session instead.
 */
void pol_ack_layer(struct psess *ps, uint64_t abs, uint64_t seq)
{
	bool idle, acking;
	uint64_t t;

	pthread_mutex_lock(&ps->lock);
	t = pol_due_upto(ps, abs);
	idle = !t && !ps->sch.nr_moves && !pol.no_release;
	acking = ps->acking;
	if (!idle) {
		ps->acking = true;
		if (t) {
			ps->ack_seq = seq;
			ps->ack_ticket = t - 1;
		}
	}
	pthread_mutex_unlock(&ps->lock);
	if (idle && acking)
		ack_release(ps);
	else if (!idle && !t)
		pol_ack_send(ps, seq, true);
}

/*
 * A step begin (@seq) that queued the first placement's moves: take the
 * session now, so that its first layer waits for them.
 */
void pol_ack_take(struct psess *ps, uint64_t seq)
{
	bool take;

	pthread_mutex_lock(&ps->lock);
	take = !ps->acking && pol_due_upto(ps, UINT64_MAX);
	if (take)
		ps->acking = true;
	pthread_mutex_unlock(&ps->lock);
	if (take)
		pol_ack_send(ps, seq, true);
}

/* Append the pages of [addr, addr + len) to a growing array. */
static int add_pages(void ***v, size_t *n, size_t *cap, uint64_t addr, uint64_t len)
{
	uint64_t ps = (uint64_t)pol.psz;
	uint64_t a = addr & ~(ps - 1), end = addr + len;

	for (; a < end; a += ps) {
		if (*n == *cap) {
			size_t c = *cap ? *cap * 2 : 256;
			void **nv = realloc(*v, c * sizeof(**v));

			if (!nv)
				return -ENOMEM;
			*v = nv;
			*cap = c;
		}
		(*v)[(*n)++] = (void *)(uintptr_t)a;
	}
	return 0;
}

/* The pages of @n ranges, or NULL (*@np 0). */
static void **range_pages(const struct wrange *r, size_t n, size_t *np)
{
	void **v = NULL;
	size_t cap = 0;

	*np = 0;
	for (size_t i = 0; i < n; i++)
		if (add_pages(&v, np, &cap, r[i].addr, r[i].len)) {
			free(v);
			*np = 0;
			return NULL;
		}
	return v;
}

/*
 * The fast node was full for a promotion: demote what the plan has slow
 * (@w's spill), then try the promotion @pages[0 .. @n) once more.
 */
static int spill_retry(struct work *w, void **pages, size_t n, struct mig_status *st)
{
	struct psess *ps = w->ps;
	struct mig_status sp = { 0 }, again = { 0 };
	size_t nspill;
	void **spill = range_pages(w->spill, w->nspill, &nspill);
	int *status = malloc((nspill > n ? nspill : n) * sizeof(int) + 1);
	int err = -ENOMEM;

	pthread_mutex_lock(&ps->lock);
	ps->acct.cur.enomem++;
	pthread_mutex_unlock(&ps->lock);
	if (spill && status) {
		err = mig_move((int)ps->pid, spill, status, nspill, pol.slow, &sp);
		if (!err)
			err = mig_move((int)ps->pid, pages, status, n, pol.fast, &again);
	}
	/* The spill's demotions are moves too; the retry's own. */
	pthread_mutex_lock(&ps->lock);
	acct_moved(&ps->acct, false, sp.moved * (uint64_t)pol.psz, 0);
	pthread_mutex_unlock(&ps->lock);
	st->moved += again.moved;
	st->nomem = again.nomem;
	st->busy += again.busy;
	st->other += again.other;
	free(spill);
	free(status);
	return err;
}

static void work_run(void *arg)
{
	struct work *w = arg;
	struct psess *ps = w->ps;
	uint64_t ack;
	int *status = malloc(w->npages * sizeof(int) + 1);

	pthread_mutex_lock(&ps->lock);
	while (ps->serving != w->ticket)
		pthread_cond_wait(&ps->turn, &ps->lock);
	/* Moves of a schedule since replaced are not made. */
	if (w->schedule != ps->schedule) {
		ps->dropped_work++;
		w->nb = 0;
	}
	pthread_mutex_unlock(&ps->lock);

	for (size_t i = 0; status && i < w->nb && !ps->dead; i++) {
		struct wbatch *b = &w->b[i];
		int node = b->dir == MIG_TO_FAST ? pol.fast : pol.slow;
		struct mig_status st = { 0 };
		uint64_t t0, ns;
		bool late;
		int err;

		/*
		 * A boundary's promotion whose step is over is dropped (counted
		 * late, not retried); one whose layer began still helps the
		 * rest of its interval, and is counted late when it ends.  A
		 * placement's (no boundary) is made whenever it runs: nothing
		 * else would ever put those objects where the plan has them.
		 */
		pthread_mutex_lock(&ps->lock);
		late = b->dir == MIG_TO_FAST && w->boundary >= 0 && ps->nstep > w->nstep;
		if (late)
			acct_late(&ps->acct, b->bytes);
		pthread_mutex_unlock(&ps->lock);
		if (late)
			continue;
		t0 = pol_mono_ns();
		err = mig_move((int)ps->pid, w->pages + b->first, status, b->n, node, &st);
		if ((!err || err == -ENOMEM) && (st.nomem || err) && b->dir == MIG_TO_FAST &&
		    w->nspill)
			err = spill_retry(w, w->pages + b->first, b->n, &st);
		ns = pol_mono_ns() - t0;
		pthread_mutex_lock(&ps->lock);
		if (err)
			note_err(ps, err);
		if (err != -ESRCH && err != -EPERM && err != -EACCES) {
			uint64_t bytes = st.moved * (uint64_t)pol.psz;

			acct_moved(&ps->acct, b->dir == MIG_TO_FAST, bytes, ns);
			ps->acct.cur.gone_pages += st.gone;
			ps->acct.cur.failed_pages += st.busy + st.other + st.nomem;
			if (st.gone)
				ps->need_refresh = true;	/* object freed: resync */
			if (b->dir == MIG_TO_FAST && begun(ps, w->nstep, b->need))
				acct_late(&ps->acct, b->bytes);
			ps->bw = acct_bw_update(ps->bw, bytes, ns, BW_MIN_SAMPLE);
		}
		ps->batches++;
		pthread_mutex_unlock(&ps->lock);
	}
	free(status);
	pthread_mutex_lock(&ps->lock);
	ps->items++;
	ps->serving++;
	pthread_cond_broadcast(&ps->turn);
	ack = ps->ack_seq && ps->ack_ticket < ps->serving ? ps->ack_seq : 0;
	if (ack)
		ps->ack_seq = 0;
	pthread_mutex_unlock(&ps->lock);
	if (ack)
		pol_ack_send(ps, ack, false);
	pthread_mutex_lock(&pol.bw_lock);
	pol.bw = ps->bw;
	pthread_mutex_unlock(&pol.bw_lock);
	pol_ps_put(ps);
	work_free(w);
}

/*
 * Queue the moves: @want[i] (enum mig_want) and @need[i] (template layer
 * of a promotion, -1) for live object i of @s.  @spill_slow: planned-slow
 * objects (want MIG_ANY or MIG_STAY with cur slow) for ENOMEM.
 */
void pol_submit(struct psess *ps, const struct sd_session *s, const struct live_view *lv,
		   const uint8_t *want, const int *need, const uint8_t *slow_now,
		   uint64_t nstep, int boundary)
{
	struct mig_obj *mo = malloc((lv->nmo + 1) * sizeof(*mo));
	struct work *w = calloc(1, sizeof(*w));
	struct mig_set set = { 0 };
	size_t cap = 0, nslow = 0, nmo;
	bool any = false;

	for (size_t i = 0; i < s->nobjs; i++) {
		any |= want[i] == MIG_TO_FAST || want[i] == MIG_TO_SLOW;
		nslow += slow_now && slow_now[i] && want[i] != MIG_TO_FAST;
	}
	if (!mo || !w || !any || ps->dead || ps->denied || pol.fast < 0 || pol.slow < 0)
		goto out;
	for (size_t k = 0; k < lv->nmo; k++) {
		mo[k] = lv->mo[k];
		mo[k].want = want[mo[k].idx];
	}
	/* Only the units that move: most objects stay at a boundary. */
	nmo = mig_select(mo, lv->nmo, (uint64_t)pol.psz, mo);
	if (mig_plan(mo, nmo, (uint64_t)pol.psz, 0, &set))
		goto out;
	w->b = calloc(set.nr_batches ? set.nr_batches : 1, sizeof(*w->b));
	if (!w->b)
		goto out;
	for (size_t bi = 0; bi < set.nr_batches; bi++) {
		const struct mig_batch *mb = &set.batches[bi];
		struct wbatch *b = &w->b[w->nb++];

		b->first = w->npages;
		b->dir = mb->dir;
		b->need = -1;
		for (uint32_t u = mb->first; u < mb->first + mb->count; u++) {
			const struct mig_unit *un = &set.units[u];

			for (uint64_t p = 0; p < un->nr_pages; p++)
				if (add_pages(&w->pages, &w->npages, &cap,
					      un->page + p * (uint64_t)pol.psz, 1))
					goto out;
			for (uint32_t m = un->first; m < un->first + un->count; m++) {
				int nd = need[mo[m].idx];

				if (nd >= 0 && (b->need < 0 || nd < b->need))
					b->need = nd;
			}
		}
		b->n = w->npages - b->first;
		b->bytes = b->n * (uint64_t)pol.psz;
	}
	w->spill = calloc(nslow + 1, sizeof(*w->spill));
	if (!w->spill)
		goto out;
	for (size_t i = 0; nslow && i < s->nobjs; i++)
		if (slow_now[i] && want[i] != MIG_TO_FAST && s->objs[i].len)
			w->spill[w->nspill++] = (struct wrange){ s->objs[i].addr, s->objs[i].len };
	w->ps = ps;
	w->nstep = nstep;
	w->boundary = boundary;
	__atomic_add_fetch(&ps->refs, 1, __ATOMIC_ACQ_REL);
	pthread_mutex_lock(&ps->lock);
	w->ticket = ps->next_ticket++;
	w->schedule = ps->schedule;
	due_add(ps, nstep * ps->prof.in.nr_layers + (uint64_t)(boundary > 0 ? boundary : 0),
		w->ticket);
	pthread_mutex_unlock(&ps->lock);
	if (wq_submit(pol.env.wq, work_run, w)) {
		/* The ticket must still be served. */
		pthread_mutex_lock(&ps->lock);
		ps->dropped_work++;
		w->nb = 0;
		pthread_mutex_unlock(&ps->lock);
		work_run(w);
	}
	w = NULL;
out:
	if (w)
		work_free(w);
	mig_set_free(&set);
	free(mo);
}
