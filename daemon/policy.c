// SPDX-License-Identifier: GPL-2.0
/*
 * Policies and migrator.
 *
 * Per session: the plan (from the module's profile), the planned node of
 * every logical object, the position of the session in its step (from
 * the mark events), the accounting.  The boundary moves of the sentinel
 * policy go through a pipeline (pump()) that issues each move as early as
 * the budget and the layers that ended allow, up to one step ahead; the
 * moves of a boundary are resolved to live objects (logical id -> object
 * id -> address range), cut into object-aligned batches and queued as
 * one work item; a session's items run in order (tickets), sessions run
 * in parallel on the pool.
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
#include "plan_profile.h"
#include "planner.h"
#include "sim.h"
#include "policy.h"
#include "sync.h"
#include "topology.h"

#define DEFAULT_BW	(1ULL << 30)	/* bytes/s when not measured */
#define CALIB_BYTES	(4ULL << 20)
#define BW_MIN_SAMPLE	(256ULL << 10)
#define DRIFT_THRESHOLD	0.25
#define SIM_SLOW_FACTOR	3.0		/* an all-slow layer against an all-fast one */
#define DRIFT_SCANS	3
#define DRIFT_LEARN	2		/* steady scans after placement to learn from */
#define DRIFT_OBJECTS	0.10
#define CLOSED_KEEP	8		/* closed sessions kept in the statistics */
#define IAL_PERIOD	4		/* steps between ial samples */
#define IAL_INACTIVE	2		/* samples without access: inactive */

struct keyed {
	uint64_t key;
	uint32_t obj;		/* index into sd_session.objs or plan objects */
};

/*
 * The live objects as the plan sees them: by logical key, the plan
 * object of each, and those with pages in address order (what
 * mig_plan() takes).  Every boundary's moves use it; it is rebuilt only
 * when the session's objects or the plan change.
 */
struct live_view {
	bool valid;
	uint64_t version;	/* the sd_session.objs_version it describes */
	struct keyed *bykey;	/* every live object, sorted by key */
	int32_t *pi;		/* per live object: plan object index, -1 */
	struct mig_obj *mo;	/* live objects with pages, by address */
	size_t n, nmo;
};

struct psess {
	uint64_t id;
	uint32_t pid;
	int refs;			/* table + queued work (atomic) */
	bool dead;			/* process gone or session closed */
	bool denied;			/* ptrace rules refuse it */
	bool eperm_logged;
	bool enomem_logged;
	bool budget_capped;		/* by free fast memory at planning */
	bool static_fallback;		/* the static placement modeled faster */
	bool measured_fallback;		/* the moves did not keep up: static */
	bool need_refresh;		/* pages gone: dump objects again */
	bool in_step;			/* between a STEP_BEGIN and its STEP_END */

	/* event loop only */
	bool planned, placed, reprofiling;
	uint64_t plan_generation;	/* profile generation planned from */
	struct pp_profile prof;
	struct plan_schedule sch;
	struct keyed *pk;		/* plan objects by key */
	struct live_view lv;
	uint8_t *cur;			/* planned node per plan object */
	uint64_t planned_bytes;
	uint64_t budget;
	uint64_t *placed_ids;		/* live ids already placed */
	size_t nplaced;
	/*
	 * The boundary pipeline, in absolute positions: layer l of the
	 * step counted n (nstep) is n * nr_layers + l, and so is the
	 * boundary before it.
	 */
	uint8_t *mv_issued;		/* per plan move: issued in the window */
	uint64_t next_abs;		/* first boundary with a move not issued */
	uint64_t ended_abs;		/* layers ended: last one + 1 */
	uint64_t ahead_max;		/* most boundaries issued ahead of a layer */
	uint64_t plan_step;		/* nstep when placement was done */
	uint64_t schedule;		/* bumped when the schedule is replaced */
	uint64_t step_t0;		/* when the step in progress began */
	uint64_t template_mismatch, reprofiles, publishes, publish_errors;
	uint64_t plans, placements;
	struct drift drift;
	struct ial_region *ial;		/* per plan object */
	uint64_t ial_samples, ial_last_step;

	/* shared with workers, under lock */
	pthread_mutex_t lock;
	pthread_cond_t turn;
	uint64_t next_ticket, serving;
	/*
	 * Synchronous marks: the work items still to run, with the boundary
	 * each serves (absolute position); a LAYER_BEGIN mark is acknowledged
	 * once every item of its boundary or an earlier one has run.
	 */
	struct due { uint64_t abs, ticket; } *due;
	size_t ndue, capdue;
	bool acking;			/* the session's marks are acknowledged */
	bool released;			/* no longer (under P.ack_lock) */
	uint64_t ack_seq, ack_ticket;	/* pending: seq once ticket is served */
	uint64_t acks, ack_errors, ack_releases;
	uint64_t nstep;			/* STEP_BEGINs seen */
	int pos;			/* template layer begun, -1 at step begin */
	struct acct acct;
	uint64_t bw;
	uint64_t dropped_work, items, batches;
	/* Main thread: the pipeline's CPU time; the session's object dumps. */
	uint64_t pump_ns, obj_dumps, obj_dump_ns;
};

static struct {
	struct pol_env env;
	struct psess **s;
	size_t n;
	uint64_t bw_calib, calib_ns;
	int fast, slow;			/* first fast and slow node, -1 */
	long psz;
	pthread_mutex_t bw_lock;
	uint64_t bw;			/* daemon-wide estimate */
	char *closed[CLOSED_KEEP];	/* JSON of the last closed sessions */
	unsigned int closed_next, nclosed;
	/* The socket that acknowledges marks (workers share it). */
	pthread_mutex_t ack_lock;
	struct snl ack;
	bool ack_open;
	bool no_release;		/* the module cannot release a session */
} P = { .fast = -1, .slow = -1, .bw_lock = PTHREAD_MUTEX_INITIALIZER,
	.ack_lock = PTHREAD_MUTEX_INITIALIZER };

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int first_node(const struct sd_nodemask *m)
{
	for (unsigned int i = 0; i < SD_MAX_NODES; i++)
		if (sd_node_isset(m, i))
			return (int)i;
	return -1;
}

void policy_env(const struct pol_env *env)
{
	P.env = *env;
	P.fast = first_node(&env->topo->fast);
	P.slow = first_node(&env->topo->slow);
}

void policy_init(const struct pol_env *env)
{
	P.psz = sysconf(_SC_PAGESIZE);
	policy_env(env);
	P.bw = DEFAULT_BW;
	if (P.fast >= 0 && P.slow >= 0 && env->cfg->policy != SD_POLICY_NONE) {
		P.bw_calib = mig_calibrate(P.fast, P.slow, CALIB_BYTES, &P.calib_ns);
		if (P.bw_calib) {
			P.bw = P.bw_calib;
			log_info("migration bandwidth %" PRIu64 " MB/s (node %d <-> %d, %" PRIu64 " us)",
				 P.bw_calib >> 20, P.fast, P.slow, P.calib_ns / 1000);
		} else {
			log_warn("cannot calibrate migrations between nodes %d and %d; assuming %" PRIu64 " MB/s",
				 P.fast, P.slow, P.bw >> 20);
		}
	}
}

/* ---- sessions ---- */

static void live_view_free(struct live_view *v)
{
	free(v->bykey);
	free(v->pi);
	free(v->mo);
	memset(v, 0, sizeof(*v));
}

static void ps_put(struct psess *ps)
{
	if (__atomic_sub_fetch(&ps->refs, 1, __ATOMIC_ACQ_REL))
		return;
	pp_free(&ps->prof);
	plan_free(&ps->sch);
	free(ps->pk);
	live_view_free(&ps->lv);
	free(ps->cur);
	free(ps->placed_ids);
	free(ps->ial);
	free(ps->mv_issued);
	free(ps->due);
	pthread_mutex_destroy(&ps->lock);
	pthread_cond_destroy(&ps->turn);
	free(ps);
}

static struct psess *ps_find(uint64_t id)
{
	for (size_t i = 0; i < P.n; i++)
		if (P.s[i]->id == id)
			return P.s[i];
	return NULL;
}

static void session_json(struct jbuf *b, struct psess *ps);

/* Keep the final figures of a session that goes away. */
static void keep_closed(struct psess *ps)
{
	struct jbuf b;

	if (!ps->nstep && !ps->plans)
		return;		/* nothing happened (e.g. events after its close) */
	jb_init(&b);
	session_json(&b, ps);
	if (b.oom || !b.s) {
		jb_free(&b);
		return;
	}
	free(P.closed[P.closed_next]);
	P.closed[P.closed_next] = b.s;	/* the buffer is handed over */
	P.closed_next = (P.closed_next + 1) % CLOSED_KEEP;
	if (P.nclosed < CLOSED_KEEP)
		P.nclosed++;
}

static void ps_drop(struct psess *ps)
{
	keep_closed(ps);
	for (size_t i = 0; i < P.n; i++)
		if (P.s[i] == ps) {
			P.s[i] = P.s[--P.n];
			break;
		}
	pthread_mutex_lock(&ps->lock);
	ps->dead = true;
	pthread_mutex_unlock(&ps->lock);
	ps_put(ps);
}

static struct psess *ps_get(struct sd_session *s)
{
	struct psess *ps = ps_find(s->k.id), **v;
	int err;

	if (ps)
		return ps;
	ps = calloc(1, sizeof(*ps));
	v = realloc(P.s, (P.n + 1) * sizeof(*v));
	if (!ps || !v) {
		free(ps);
		if (v)
			P.s = v;
		return NULL;
	}
	P.s = v;
	ps->id = s->k.id;
	ps->pid = s->k.pid;
	ps->refs = 1;
	ps->pos = -1;
	ps->bw = P.bw;
	pthread_mutex_init(&ps->lock, NULL);
	pthread_cond_init(&ps->turn, NULL);
	ps->drift = (struct drift){ .threshold = DRIFT_THRESHOLD, .need = DRIFT_SCANS };
	/*
	 * The kernel's verdict on move_pages(2) for this pid, asked once:
	 * the ptrace read rules (PTRACE_MODE_READ_REALCREDS) and the
	 * security modules, with no file of the target opened (see
	 * mig_may_move()).
	 */
	err = mig_may_move((int)ps->pid);
	if (err == -EACCES || err == -EPERM) {
		ps->denied = true;
		log_warn("session %" PRIu64 ": not allowed to inspect pid %u (ptrace rules): "
			 "leaving it alone", ps->id, ps->pid);
	} else if (err) {
		ps->dead = true;
	}
	P.s[P.n++] = ps;
	return ps;
}

/* ---- live objects by logical key ---- */

static int keyed_cmp(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->obj < y->obj ? -1 : x->obj > y->obj;
}

/* First entry with @key, or n. */
static size_t keyed_find(const struct keyed *k, size_t n, uint64_t key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (k[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Plan object index of a key, or -1 (plan objects are not sorted). */
static int64_t plan_index(const struct psess *ps, uint64_t key)
{
	size_t n = ps->prof.in.nr_objs, i;

	if (!ps->pk)
		return -1;
	i = keyed_find(ps->pk, n, key);
	return i < n && ps->pk[i].key == key ? (int64_t)ps->pk[i].obj : -1;
}

static struct keyed *plan_keys(const struct psess *ps)
{
	size_t n = ps->prof.in.nr_objs;
	struct keyed *k = calloc(n ? n : 1, sizeof(*k));

	if (!k)
		return NULL;
	for (size_t i = 0; i < n; i++)
		k[i] = (struct keyed){ ps->prof.in.objs[i].id, (uint32_t)i };
	qsort(k, n, sizeof(*k), keyed_cmp);
	return k;
}

static int mobj_cmp(const void *a, const void *b)
{
	const struct mig_obj *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* The view of @s's live objects under the current plan; NULL: no memory. */
static const struct live_view *live_view(struct psess *ps, const struct sd_session *s)
{
	struct live_view nv = { .n = s->nobjs, .version = s->objs_version };

	if (ps->lv.valid && ps->lv.version == s->objs_version)
		return &ps->lv;
	nv.bykey = calloc(nv.n + 1, sizeof(*nv.bykey));
	nv.pi = calloc(nv.n + 1, sizeof(*nv.pi));
	nv.mo = calloc(nv.n + 1, sizeof(*nv.mo));
	if (!nv.bykey || !nv.pi || !nv.mo) {
		live_view_free(&nv);
		return NULL;
	}
	for (size_t i = 0; i < nv.n; i++) {
		const struct sd_object *o = &s->objs[i];
		uint64_t key = pp_key(o->id, 0);

		nv.bykey[i] = (struct keyed){ key, (uint32_t)i };
		nv.pi[i] = (int32_t)plan_index(ps, key);
		if (o->len)
			nv.mo[nv.nmo++] = (struct mig_obj){ o->addr, o->len, (uint32_t)i, MIG_ANY };
	}
	qsort(nv.bykey, nv.n, sizeof(*nv.bykey), keyed_cmp);
	qsort(nv.mo, nv.nmo, sizeof(*nv.mo), mobj_cmp);
	nv.valid = true;
	live_view_free(&ps->lv);
	ps->lv = nv;
	return &ps->lv;
}

/* The node the plan has for live object @i of @v now (unknown: slow). */
static int view_node(const struct psess *ps, const struct live_view *v, size_t i)
{
	return v->pi[i] < 0 ? PLAN_SLOW : ps->cur[v->pi[i]];
}

/* ---- work items ---- */

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

/* ---- synchronous marks ---- */

/*
 * Acknowledge @ps's marks up to @seq on the daemon's acknowledging socket
 * (opened at the first use; its closing releases the sessions).  A
 * worker's acknowledgment (@take false) of a session released since is
 * not sent: it would take the session again.
 */
static void ack_send(struct psess *ps, uint64_t seq, bool take)
{
	bool skip;
	int err = 0;

	pthread_mutex_lock(&P.ack_lock);
	skip = ps->released && !take;
	if (!skip && !P.ack_open)
		err = snl_open(&P.ack);
	if (!skip) {
		P.ack_open = !err;
		if (!err)
			err = snl_ack_mark(&P.ack, ps->id, seq);
		if (!err)
			ps->released = false;
	}
	pthread_mutex_unlock(&P.ack_lock);
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

	pthread_mutex_lock(&P.ack_lock);
	if (P.ack_open)
		err = snl_release_marks(&P.ack, ps->id);
	if (!err)
		ps->released = true;
	pthread_mutex_unlock(&P.ack_lock);
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
		P.no_release = true;
}

static void ack_close(void)
{
	pthread_mutex_lock(&P.ack_lock);
	if (P.ack_open)
		snl_close(&P.ack);
	P.ack_open = false;
	pthread_mutex_unlock(&P.ack_lock);
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
static uint64_t due_upto(struct psess *ps, uint64_t abs)
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
static void ack_layer(struct psess *ps, uint64_t abs, uint64_t seq)
{
	bool idle, acking;
	uint64_t t;

	pthread_mutex_lock(&ps->lock);
	t = due_upto(ps, abs);
	idle = !t && !ps->sch.nr_moves && !P.no_release;
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
		ack_send(ps, seq, true);
}

/*
 * A step begin (@seq) that queued the first placement's moves: take the
 * session now, so that its first layer waits for them.
 */
static void ack_take(struct psess *ps, uint64_t seq)
{
	bool take;

	pthread_mutex_lock(&ps->lock);
	take = !ps->acking && due_upto(ps, UINT64_MAX);
	if (take)
		ps->acking = true;
	pthread_mutex_unlock(&ps->lock);
	if (take)
		ack_send(ps, seq, true);
}

/* Append the pages of [addr, addr + len) to a growing array. */
static int add_pages(void ***v, size_t *n, size_t *cap, uint64_t addr, uint64_t len)
{
	uint64_t ps = (uint64_t)P.psz;
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
		err = mig_move((int)ps->pid, spill, status, nspill, P.slow, &sp);
		if (!err)
			err = mig_move((int)ps->pid, pages, status, n, P.fast, &again);
	}
	/* The spill's demotions are moves too; the retry's own. */
	pthread_mutex_lock(&ps->lock);
	acct_moved(&ps->acct, false, sp.moved * (uint64_t)P.psz, 0);
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
		int node = b->dir == MIG_TO_FAST ? P.fast : P.slow;
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
		t0 = mono_ns();
		err = mig_move((int)ps->pid, w->pages + b->first, status, b->n, node, &st);
		if ((!err || err == -ENOMEM) && (st.nomem || err) && b->dir == MIG_TO_FAST &&
		    w->nspill)
			err = spill_retry(w, w->pages + b->first, b->n, &st);
		ns = mono_ns() - t0;
		pthread_mutex_lock(&ps->lock);
		if (err)
			note_err(ps, err);
		if (err != -ESRCH && err != -EPERM && err != -EACCES) {
			uint64_t bytes = st.moved * (uint64_t)P.psz;

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
		ack_send(ps, ack, false);
	pthread_mutex_lock(&P.bw_lock);
	P.bw = ps->bw;
	pthread_mutex_unlock(&P.bw_lock);
	ps_put(ps);
	work_free(w);
}

/*
 * Queue the moves: @want[i] (enum mig_want) and @need[i] (template layer
 * of a promotion, -1) for live object i of @s.  @spill_slow: planned-slow
 * objects (want MIG_ANY or MIG_STAY with cur slow) for ENOMEM.
 */
static void submit(struct psess *ps, const struct sd_session *s, const struct live_view *lv,
		   const uint8_t *want, const int *need, const uint8_t *slow_now,
		   uint64_t nstep, int boundary)
{
	struct mig_obj *mo = malloc((lv->nmo + 1) * sizeof(*mo));
	struct work *w = calloc(1, sizeof(*w));
	struct mig_set set = { 0 };
	size_t cap = 0, nslow = 0;
	bool any = false;

	for (size_t i = 0; i < s->nobjs; i++) {
		any |= want[i] == MIG_TO_FAST || want[i] == MIG_TO_SLOW;
		nslow += slow_now && slow_now[i] && want[i] != MIG_TO_FAST;
	}
	if (!mo || !w || !any || ps->dead || ps->denied || P.fast < 0 || P.slow < 0)
		goto out;
	for (size_t k = 0; k < lv->nmo; k++) {
		mo[k] = lv->mo[k];
		mo[k].want = want[mo[k].idx];
	}
	if (mig_plan(mo, lv->nmo, (uint64_t)P.psz, 0, &set))
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
					      un->page + p * (uint64_t)P.psz, 1))
					goto out;
			for (uint32_t m = un->first; m < un->first + un->count; m++) {
				int nd = need[mo[m].idx];

				if (nd >= 0 && (b->need < 0 || nd < b->need))
					b->need = nd;
			}
		}
		b->n = w->npages - b->first;
		b->bytes = b->n * (uint64_t)P.psz;
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
	if (wq_submit(P.env.wq, work_run, w)) {
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

/* ---- planning ---- */

static uint64_t session_budget(const struct psess *ps, uint64_t footprint)
{
	const struct sd_config *c = P.env.cfg;

	(void)ps;
	switch (c->budget_kind) {
	case SD_BUDGET_BYTES:
		return c->budget;
	case SD_BUDGET_PERCENT:
		return footprint / 100 * c->budget + footprint % 100 * c->budget / 100;
	default:
		return footprint ? footprint : 1;
	}
}

static int plcmp(const void *a, const void *b)
{
	const struct sentinel_placement *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* Publish the birth node of every allocator object of the plan. */
static void publish(struct psess *ps)
{
	size_t n = ps->prof.in.nr_objs, k = 0;
	struct sentinel_placement *e = calloc(n ? n : 1, sizeof(*e));
	char msg[256];
	int err;

	if (!e)
		return;
	for (size_t i = 0; i < n; i++) {
		uint64_t id = ps->prof.in.objs[i].id;

		if (!(id & SNTL_ID_ALLOC))
			continue;	/* placed by the caller, not at birth */
		e[k++] = (struct sentinel_placement){
			.id = id & SNTL_LID_MASK,
			.node = (uint32_t)(ps->sch.objs[i].birth == PLAN_FAST ? P.fast : P.slow),
		};
	}
	qsort(e, k, sizeof(*e), plcmp);
	err = snl_set_placement(P.env.cmd, ps->id, e, (uint32_t)k);
	if (err) {
		if (!ps->publish_errors++)
			log_warn("session %" PRIu64 ": cannot publish the placement map: %s",
				 ps->id, snl_strerror(P.env.cmd, err, msg, sizeof(msg)));
	} else {
		ps->publishes++;
	}
	free(e);
}

static double expected_young(const struct psess *ps)
{
	const struct plan_input *in = &ps->prof.in;
	uint64_t *t = calloc(in->nr_objs ? in->nr_objs : 1, sizeof(*t));
	uint64_t touched = 0, pages = 0, psz = in->page_size ? in->page_size : 4096;

	if (!t)
		return 0;
	for (uint32_t a = 0; a < in->nr_acc; a++)
		t[in->acc[a].obj] += in->acc[a].pages;
	for (uint32_t i = 0; i < in->nr_objs; i++) {
		uint64_t p = (in->objs[i].bytes + psz - 1) / psz;

		pages += p;
		touched += t[i] < p ? t[i] : p;
	}
	free(t);
	return pages ? (double)touched / (double)pages : 0;
}

/*
 * A migrating plan pays off only when its moves hide under the layers'
 * compute.  Replay it and the static placement of the same budget over
 * the profiled step (layers wait for late promotions; a layer's slow
 * bytes cost SIM_SLOW_FACTOR) and keep the faster; true when the static
 * one replaced @sch.
 */
static bool keep_faster(struct psess *ps, const struct plan_input *in,
			const struct plan_params *pp, struct plan_schedule *sch)
{
	struct sim_params sp = {
		.bw = pp->bw ? pp->bw : DEFAULT_BW,
		.slow_factor = SIM_SLOW_FACTOR,
		.wait_late = 1,
		.warm_steps = 1,
	};
	struct plan_schedule alt = { 0 };
	struct sim_result a = { 0 }, b = { 0 };
	char err[256];

	if (plan_static(in, pp, &alt, err, sizeof(err)))
		return false;
	if (plan_simulate(in, sch, &sp, &a, NULL) || plan_simulate(in, &alt, &sp, &b, NULL) ||
	    b.step_ns >= a.step_ns) {
		plan_free(&alt);
		return false;
	}
	log_info("session %" PRIu64 ": the migrating plan models %" PRIu64 " us a step (%" PRIu64
		 " us waiting for %u late promotions at %" PRIu64 " B/s), the static placement %"
		 PRIu64 " us: keeping the static placement", ps->id, a.step_ns / 1000,
		 a.stall_ns / 1000, a.late, sp.bw, b.step_ns / 1000);
	plan_free(sch);
	*sch = alt;
	return true;
}

/*
 * The budget is what the session may use; the fast tier may hold less:
 * what the session has there (at the profile's end) plus what its nodes
 * can still give without reclaim.  True when *@budget was lowered.
 */
static bool cap_budget(const struct psess *ps, const struct pp_profile *prof,
		       uint64_t *budget)
{
	uint64_t free_b = topo_free_bytes("", &P.env.topo->fast);
	uint64_t have = prof->fast_resident_pages * (uint64_t)P.psz;

	if (free_b == UINT64_MAX || have + free_b >= *budget)
		return false;
	log_info("session %" PRIu64 ": fast budget %" PRIu64 " capped at %" PRIu64
		 " (the session's %" PRIu64 " B on the fast tier and %" PRIu64
		 " B free there)", ps->id, *budget, have + free_b, have, free_b);
	*budget = have + free_b;
	return true;
}

static void make_plan(struct psess *ps, struct sd_session *s)
{
	struct pp_profile prof = { 0 };
	struct plan_schedule sch = { 0 };
	struct plan_params pp = { 0 };
	void *blob = NULL;
	size_t len = 0;
	char err[256];
	uint64_t foot = 0;
	int r;

	r = snl_get_profile(P.env.cmd, ps->id, &blob, &len);
	if (r) {
		log_warn("session %" PRIu64 ": profile: %s", ps->id,
			 snl_strerror(P.env.cmd, r, err, sizeof(err)));
		return;
	}
	struct pp_opts po = { .page_size = (uint32_t)P.psz };

	for (unsigned int n = 0; n < SENTINEL_MAX_NODES; n++)
		if (sd_node_isset(&P.env.topo->fast, n))
			po.fast_mask |= 1U << n;
	r = pp_parse(blob, len, &po, &prof, err, sizeof(err));
	free(blob);
	if (r) {
		log_warn("session %" PRIu64 ": bad profile: %s", ps->id, err);
		return;
	}
	for (uint32_t i = 0; i < prof.in.nr_objs; i++)
		foot += prof.in.objs[i].bytes;
	pp.fast_budget = session_budget(ps, foot);
	ps->static_fallback = false;
	ps->measured_fallback = false;
	ps->budget_capped = cap_budget(ps, &prof, &pp.fast_budget);
	pp.bw = ps->bw ? ps->bw : P.bw;
	switch (P.env.cfg->policy) {
	case SD_POLICY_FIRST_TOUCH:
		r = plan_first_touch(&prof.in, &pp, &sch, err, sizeof(err));
		break;
	case SD_POLICY_STATIC:
	case SD_POLICY_IAL:
		r = plan_static(&prof.in, &pp, &sch, err, sizeof(err));
		break;
	default:
		r = plan_build(&prof.in, &pp, &sch, err, sizeof(err));
		if (!r && sch.nr_moves)
			ps->static_fallback = keep_faster(ps, &prof.in, &pp, &sch);
		break;
	}
	if (r) {
		log_warn("session %" PRIu64 ": planning failed: %s", ps->id, err);
		pp_free(&prof);
		return;
	}
	pp_free(&ps->prof);
	plan_free(&ps->sch);
	free(ps->cur);
	free(ps->ial);
	ps->ial = NULL;
	ps->prof = prof;
	ps->sch = sch;
	free(ps->pk);
	ps->pk = plan_keys(ps);
	live_view_free(&ps->lv);
	pthread_mutex_lock(&ps->lock);
	ps->schedule++;
	pthread_mutex_unlock(&ps->lock);
	ps->budget = pp.fast_budget;
	ps->planned_bytes = foot;
	ps->cur = calloc(prof.in.nr_objs ? prof.in.nr_objs : 1, 1);
	free(ps->mv_issued);
	ps->mv_issued = calloc(sch.nr_moves ? sch.nr_moves : 1, 1);
	for (uint32_t i = 0; ps->cur && i < prof.in.nr_objs; i++)
		ps->cur[i] = sch.objs[i].initial;
	ps->planned = ps->cur && ps->mv_issued && ps->pk;
	ps->placed = false;
	ps->reprofiling = false;
	ps->plans++;
	ps->plan_generation = s->k.profile_generation;
	ps->drift.expected = expected_young(ps);
	ps->drift.run = 0;
	ps->drift.learn = DRIFT_LEARN;
	ps->drift.lpages = 0;
	ps->drift.lyoung = 0;
	free(ps->placed_ids);
	ps->placed_ids = NULL;
	ps->nplaced = 0;
	log_info("session %" PRIu64 ": %s plan: %u objects, %u layers, budget %" PRIu64
		 ", interval %u, %u moves/step (%" PRIu64 " B up, %" PRIu64 " B down)%s%s",
		 ps->id, sd_policy_name(P.env.cfg->policy), prof.in.nr_objs,
		 prof.in.nr_layers, pp.fast_budget, sch.interval, sch.nr_moves,
		 sch.promote_bytes, sch.demote_bytes, sch.reason[0] ? ": " : "", sch.reason);
	publish(ps);
}

static bool id_placed(const struct psess *ps, uint64_t id)
{
	size_t lo = 0, hi = ps->nplaced;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ps->placed_ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ps->nplaced && ps->placed_ids[lo] == id;
}

/*
 * Placement pass: every live object not placed yet goes to its planned
 * node (new objects: their logical object's, unknown ones slow).  The
 * first pass after planning moves everything (initial placement).
 */
static void place(struct psess *ps, struct sd_session *s, bool all)
{
	const struct live_view *lv = live_view(ps, s);
	uint8_t *want = calloc(s->nobjs + 1, 1), *slow = calloc(s->nobjs + 1, 1);
	int *need = calloc(s->nobjs + 1, sizeof(int));
	uint64_t *ids = calloc(s->nobjs + 1, sizeof(*ids));

	if (!lv || !want || !slow || !need || !ids)
		goto out;
	for (size_t i = 0; i < s->nobjs; i++) {
		int node = view_node(ps, lv, i);

		need[i] = -1;
		slow[i] = node == PLAN_SLOW;
		ids[i] = s->objs[i].id;
		if (!all && id_placed(ps, s->objs[i].id))
			want[i] = MIG_STAY;
		else
			want[i] = node == PLAN_FAST ? MIG_TO_FAST : MIG_TO_SLOW;
	}
	submit(ps, s, lv, want, need, slow, ps->nstep, -1);
	free(ps->placed_ids);
	ps->placed_ids = ids;	/* sd_session objects are sorted by id */
	ps->nplaced = s->nobjs;
	ids = NULL;
	if (all) {
		ps->placed = true;
		ps->plan_step = ps->nstep;
		ps->placements++;
	}
out:
	free(want);
	free(slow);
	free(need);
	free(ids);
}

/*
 * Queue the moves @mv[0 .. @n) (plan move indices) of boundary @b, which
 * belongs to the step counted @nstep, as one work item: they are applied
 * to the live objects folding to their logical ids, everything else
 * planned stays where it is.
 */
static void issue_moves(struct psess *ps, struct sd_session *s, uint32_t b, uint64_t nstep,
			const uint32_t *mv, size_t n)
{
	const struct plan_schedule *sch = &ps->sch;
	const struct live_view *lv;
	uint8_t *want = NULL, *slow = NULL;
	int *need = NULL;

	if (!n)
		return;
	/* Activations born this step must be known to be moved. */
	if (s->objs_stale && !sync_session_objects(P.env.cmd, s) && s->objs_stale)
		log_debug("session %" PRIu64 ": objects still changing", ps->id);
	lv = live_view(ps, s);
	want = calloc(s->nobjs + 1, 1);
	slow = calloc(s->nobjs + 1, 1);
	need = calloc(s->nobjs + 1, sizeof(int));
	if (!lv || !want || !slow || !need)
		goto out;
	for (size_t i = 0; i < s->nobjs; i++) {
		need[i] = -1;
		slow[i] = view_node(ps, lv, i) == PLAN_SLOW;
		want[i] = lv->pi[i] < 0 ? MIG_ANY : MIG_STAY;
	}
	for (size_t k = 0; k < n; k++) {
		const struct plan_move *m = &sch->moves[mv[k]];
		uint64_t key = ps->prof.in.objs[m->obj].id;
		bool up = m->op == PLAN_PROMOTE;

		for (size_t j = keyed_find(lv->bykey, lv->n, key);
		     j < lv->n && lv->bykey[j].key == key; j++) {
			uint32_t o = lv->bykey[j].obj;

			want[o] = up ? MIG_TO_FAST : MIG_TO_SLOW;
			slow[o] = !up;
			need[o] = up ? (int)m->need_layer : -1;
		}
	}
	submit(ps, s, lv, want, need, slow, nstep, (int)b);
out:
	free(want);
	free(slow);
	free(need);
}

/* Absolute position of the last use of the object demoted by @m at @abs. */
static uint64_t demote_use(const struct plan_move *m, uint64_t abs, uint32_t nl)
{
	uint64_t base = abs - m->boundary;	/* layer 0 of the boundary's step */

	if (m->need_layer < m->boundary)
		return base + m->need_layer;
	return base >= nl ? base - nl + m->need_layer : 0;	/* previous step */
}

/*
 * The boundary pipeline of the sentinel policy.  Boundaries are taken in
 * order from the first one with a move not yet issued, up to one step
 * ahead of the layer running: a demotion is issued once the layer of its
 * object's last use has ended; promotions in the plan's priority order
 * (needed soonest first) while the planned fast bytes (every object the
 * plan has fast at this point of the pipeline, promotions counted from
 * their issue, demotions from theirs) stay within the budget.  The first
 * promotion that does not fit stops the scan, so that no later one takes
 * its room.  A move whose object has an earlier move still waiting waits
 * too.  Each boundary's issued moves are one work item; items run in
 * issue order, so demotions complete before the promotions they make
 * room for start, and boundary k + 1's moves start when boundary k's
 * have completed.
 */
static void pump(struct psess *ps, struct sd_session *s)
{
	const struct plan_schedule *sch = &ps->sch;
	const struct plan_input *in = &ps->prof.in;
	uint32_t nl = in->nr_layers;
	uint64_t next_layer, end, fast = 0, t0;
	uint32_t *take = NULL;
	uint8_t *blocked = NULL;
	bool stop = false, dem_waiting = false;
	int pos;

	/* Nothing to move (a static placement): no object dump either. */
	if (!nl || !ps->mv_issued || sch->nr_layers != nl || !sch->nr_moves)
		return;
	t0 = sync_thread_ns();
	pthread_mutex_lock(&ps->lock);
	pos = ps->pos;
	next_layer = ps->nstep * nl + (uint64_t)(pos + 1);
	pthread_mutex_unlock(&ps->lock);
	/* More than a step behind (lost events): skip whole steps. */
	while (ps->next_abs + nl <= next_layer) {
		pthread_mutex_lock(&ps->lock);
		for (uint32_t m = 0; m < sch->nr_moves; m++)
			if (sch->moves[m].op == PLAN_PROMOTE && !ps->mv_issued[m])
				acct_late(&ps->acct, in->objs[sch->moves[m].obj].bytes);
		pthread_mutex_unlock(&ps->lock);
		ps->next_abs += nl;
	}
	end = next_layer + nl;
	if (end > ps->next_abs + nl)
		end = ps->next_abs + nl;	/* a template boundary once */
	take = calloc(sch->nr_moves + 1, sizeof(*take));
	blocked = calloc(in->nr_objs + 1, 1);
	if (!take || !blocked)
		goto out;
	for (uint32_t i = 0; i < in->nr_objs; i++)
		if (ps->cur[i] == PLAN_FAST)
			fast += in->objs[i].bytes;
	for (uint64_t abs = ps->next_abs; abs < end && !stop; abs++) {
		uint32_t b = (uint32_t)(abs % nl);
		const struct plan_bound *bd = &sch->bounds[b];
		uint32_t last = bd->first + bd->nr_demote + bd->nr_promote;
		size_t n = 0;

		for (uint32_t m = bd->first; m < last; m++) {
			const struct plan_move *mv = &sch->moves[m];
			uint64_t bytes = in->objs[mv->obj].bytes;

			if (ps->mv_issued[m])
				continue;
			if (mv->op == PLAN_DEMOTE) {
				if (blocked[mv->obj] || demote_use(mv, abs, nl) >= ps->ended_abs) {
					blocked[mv->obj] = 1;
					dem_waiting = true;
					continue;
				}
				if (ps->cur[mv->obj] == PLAN_FAST)
					fast -= bytes < fast ? bytes : fast;
				ps->cur[mv->obj] = PLAN_SLOW;
			} else {
				uint64_t add = ps->cur[mv->obj] == PLAN_FAST ? 0 : bytes;

				if (!stop && !blocked[mv->obj] && fast + add > ps->budget &&
				    !dem_waiting && abs < next_layer) {
					/*
					 * Its layer began and nothing more can be freed:
					 * the plan does not fit here.  Dropped, counted.
					 */
					pthread_mutex_lock(&ps->lock);
					acct_late(&ps->acct, bytes);
					pthread_mutex_unlock(&ps->lock);
					ps->mv_issued[m] = 1;
					continue;
				}
				if (stop || blocked[mv->obj] || fast + add > ps->budget) {
					stop = true;
					blocked[mv->obj] = 1;
					continue;
				}
				fast += add;
				ps->cur[mv->obj] = PLAN_FAST;
			}
			ps->mv_issued[m] = 1;
			take[n++] = m;
		}
		if (n && abs > next_layer && abs - next_layer > ps->ahead_max)
			ps->ahead_max = abs - next_layer;
		issue_moves(ps, s, b, abs / nl, take, n);
	}
	/* Retire the boundaries whose moves are all issued. */
	while (ps->next_abs < end) {
		const struct plan_bound *bd = &sch->bounds[ps->next_abs % nl];
		uint32_t last = bd->first + bd->nr_demote + bd->nr_promote, m;

		for (m = bd->first; m < last && ps->mv_issued[m]; m++)
			;
		if (m < last)
			break;
		memset(ps->mv_issued + bd->first, 0, last - bd->first);
		ps->next_abs++;
	}
out:
	free(take);
	free(blocked);
	ps->pump_ns += sync_thread_ns() - t0;
}

/* ---- verify mode ---- */

struct vctx {
	const struct psess *ps;
	uint64_t *fast_pages, *present;	/* per plan object */
	uint64_t session_fast;
};

static int verify_obj(const struct snl_object *o, void *arg)
{
	struct vctx *v = arg;
	uint64_t f = 0;
	int64_t pi;

	if (!o->residency)
		return 0;
	for (unsigned int n = 0; n < SENTINEL_MAX_NODES; n++)
		if (sd_node_isset(&P.env.topo->fast, n))
			f += o->node_pages[n];
	v->session_fast += f;
	pi = plan_index(v->ps, pp_key(o->id, 0));
	if (pi >= 0) {
		v->fast_pages[pi] += f;
		v->present[pi] += o->present;
	}
	return 0;
}

/* At the begin of template layer @l: residency against the profile. */
static void verify_layer(struct psess *ps, int l)
{
	const struct plan_input *in = &ps->prof.in;
	struct vctx v = { .ps = ps };
	uint64_t gen = 0, touched = 0, fast = 0, psz = in->page_size ? in->page_size : 4096;
	bool consistent;

	v.fast_pages = calloc(in->nr_objs + 1, sizeof(uint64_t));
	v.present = calloc(in->nr_objs + 1, sizeof(uint64_t));
	if (!v.fast_pages || !v.present)
		goto out;
	if (snl_dump_objects(P.env.cmd, ps->id, true, false, 0, verify_obj, &v, &gen,
			     &consistent))
		goto out;
	if (l >= 0 && (uint32_t)l < in->nr_layers) {
		const struct plan_layer *ly = &in->layers[l];

		for (uint32_t a = ly->first; a < ly->first + ly->count; a++) {
			uint32_t o = in->acc[a].obj;
			uint64_t t = in->acc[a].pages * psz;

			if (!v.present[o])
				continue;	/* not born yet, or never touched */
			touched += t;
			fast += (uint64_t)((double)t * (double)v.fast_pages[o] /
					   (double)v.present[o]);
		}
	}
	pthread_mutex_lock(&ps->lock);
	acct_touch(&ps->acct, touched, fast);
	acct_fast(&ps->acct, v.session_fast * (uint64_t)P.psz);
	pthread_mutex_unlock(&ps->lock);
out:
	free(v.fast_pages);
	free(v.present);
}

/* ---- ial ---- */

/*
 * One ial sample: the last profile's accessed-bit counts per object,
 * summed over the step (layers are not used), aged into the active and
 * inactive lists; the fast node holds the active ones within the budget.
 */
static void ial_sample(struct psess *ps, struct sd_session *s)
{
	const struct plan_input *in = &ps->prof.in;
	const struct live_view *lv;
	uint8_t *want = NULL;
	int *need = NULL;

	if (!ps->ial)
		ps->ial = calloc(in->nr_objs + 1, sizeof(*ps->ial));
	if (!ps->ial)
		return;
	for (uint32_t i = 0; i < in->nr_objs; i++) {
		uint64_t psz = in->page_size ? in->page_size : 4096;

		ps->ial[i].pages = (in->objs[i].bytes + psz - 1) / psz;
		ps->ial[i].accessed = 0;
		ps->ial[i].fast = ps->cur[i] == PLAN_FAST;
	}
	for (uint32_t a = 0; a < in->nr_acc; a++) {
		struct ial_region *r = &ps->ial[in->acc[a].obj];

		r->accessed += in->acc[a].pages;
		if (r->accessed > r->pages)
			r->accessed = r->pages;
	}
	ial_classify(ps->ial, in->nr_objs, ps->budget, in->page_size ? in->page_size : 4096,
		     IAL_INACTIVE);
	ps->ial_samples++;
	lv = live_view(ps, s);
	want = calloc(s->nobjs + 1, 1);
	need = calloc(s->nobjs + 1, sizeof(int));
	if (!lv || !want || !need)
		goto out;
	for (uint32_t i = 0; i < in->nr_objs; i++)
		ps->cur[i] = ps->ial[i].want ? PLAN_FAST : PLAN_SLOW;
	for (size_t i = 0; i < s->nobjs; i++) {
		need[i] = -1;
		want[i] = view_node(ps, lv, i) == PLAN_FAST ? MIG_TO_FAST : MIG_TO_SLOW;
	}
	submit(ps, s, lv, want, need, NULL, ps->nstep, -1);
	ps->placed = true;
	if (!ps->plan_step)
		ps->plan_step = ps->nstep;
out:
	free(want);
	free(need);
}

/* ---- events ---- */

static void reprofile(struct psess *ps, const char *why)
{
	char msg[256];
	int err;

	if (ps->reprofiling)
		return;
	err = snl_profile_start(P.env.cmd, ps->id, 0, 1);
	if (err) {
		log_warn("session %" PRIu64 ": cannot re-profile: %s", ps->id,
			 snl_strerror(P.env.cmd, err, msg, sizeof(msg)));
		return;
	}
	ps->reprofiling = true;
	ps->reprofiles++;
	log_info("session %" PRIu64 ": %s: re-profiling", ps->id, why);
}

/* New or vanished objects against the plan. */
static void check_objects(struct psess *ps, struct sd_session *s)
{
	const struct live_view *lv = live_view(ps, s);
	uint64_t unknown = 0, missing = 0;

	if (!lv)
		return;
	for (size_t i = 0; i < s->nobjs; i++)
		if (lv->pi[i] < 0)
			unknown += s->objs[i].len;
	for (uint32_t i = 0; i < ps->prof.in.nr_objs; i++) {
		const struct plan_object *o = &ps->prof.in.objs[i];
		size_t j = keyed_find(lv->bykey, lv->n, o->id);

		/* Persistent objects must be live at a step begin. */
		if (o->kind != SENTINEL_KIND_WEIGHT && o->kind != SENTINEL_KIND_OPTIMIZER)
			continue;
		if (j >= lv->n || lv->bykey[j].key != o->id)
			missing += o->bytes;
	}
	if (drift_objects(unknown, missing, ps->planned_bytes, DRIFT_OBJECTS))
		reprofile(ps, "objects appeared or vanished");
}

/*
 * The migrating plan replaced by the static placement of the same budget,
 * which the step begin that called this places.
 */
static void fall_back_static(struct psess *ps)
{
	struct plan_params pp = { .fast_budget = ps->budget, .bw = ps->bw ? ps->bw : P.bw };
	struct plan_schedule alt = { 0 };
	char err[256];

	if (plan_static(&ps->prof.in, &pp, &alt, err, sizeof(err))) {
		log_warn("session %" PRIu64 ": no static placement: %s", ps->id, err);
		return;
	}
	plan_free(&ps->sch);
	ps->sch = alt;
	pthread_mutex_lock(&ps->lock);
	ps->schedule++;
	pthread_mutex_unlock(&ps->lock);
	for (uint32_t i = 0; i < ps->prof.in.nr_objs; i++)
		ps->cur[i] = alt.objs[i].initial;
	ps->measured_fallback = true;
	ps->static_fallback = true;
	ps->placed = false;
	publish(ps);
}

/*
 * At the ends of the first two steps after placement: did the moves keep
 * up (in the daemon's own clock, against the step's own duration)?  They
 * did not when work due in a step that is over is still queued, or when
 * the step's accounting says so (acct_moves_kept_up(); a promotion is
 * found late when its item runs, often in the next step, hence two
 * steps).  The paper kept the faster of migrating and static placement;
 * a plan whose promotions come late loses to the static placement
 * whatever the planner's model said.  Configuration measured_fallback
 * turns the check off.
 */
static void check_moves(struct psess *ps, uint64_t step_ns)
{
	uint64_t nl = ps->prof.in.nr_layers;
	struct acct_step last;
	bool backlog;

	if (P.env.cfg->policy != SD_POLICY_SENTINEL || !P.env.cfg->measured_fallback ||
	    !ps->planned || !ps->placed || !ps->sch.nr_moves || ps->measured_fallback || !nl ||
	    ps->nstep <= ps->plan_step || ps->nstep > ps->plan_step + 2)
		return;
	pthread_mutex_lock(&ps->lock);
	last = ps->acct.last;
	backlog = due_upto(ps, ps->nstep * nl - 1) != 0;
	pthread_mutex_unlock(&ps->lock);
	if (!backlog && acct_moves_kept_up(&last, step_ns))
		return;
	log_info("session %" PRIu64 ": the moves did not keep up (%s%" PRIu64 " of %" PRIu64
		 " B of promotions late, %" PRIu64 " us moving in a step of %" PRIu64
		 " us): keeping the static placement", ps->id,
		 backlog ? "work of a past step still queued, " : "", last.late_bytes,
		 last.promoted + last.late_bytes, last.mig_ns / 1000, step_ns / 1000);
	fall_back_static(ps);
}

static void on_mark(struct psess *ps, struct sd_session *s, const struct snl_event *ev)
{
	const struct plan_input *in = &ps->prof.in;
	bool sentinel = P.env.cfg->policy == SD_POLICY_SENTINEL;

	ps->obj_dumps = s->obj_dumps;
	ps->obj_dump_ns = s->obj_dump_ns;
	switch (ev->mark_type) {
	case SENTINEL_MARK_STEP_BEGIN: {
		uint64_t now = mono_ns(), step_ns = ps->step_t0 ? now - ps->step_t0 : 0;

		ps->step_t0 = now;
		ps->in_step = true;
		pthread_mutex_lock(&ps->lock);
		ps->nstep++;
		ps->pos = -1;
		acct_step_begin(&ps->acct, ev->step);
		pthread_mutex_unlock(&ps->lock);
		check_moves(ps, step_ns);
		/* Every layer of the steps before has ended. */
		if (ps->ended_abs < (ps->nstep) * in->nr_layers)
			ps->ended_abs = ps->nstep * in->nr_layers;
		if (!ps->planned)
			break;
		if (!ps->placed) {
			/*
			 * The first placement moves every live object: one whose
			 * dump is still pending (the refresh timer) would wait
			 * for the next step begin.
			 */
			if (s->objs_stale)
				sync_session_objects(P.env.cmd, s);
			if (P.env.cfg->policy == SD_POLICY_IAL) {
				ial_sample(ps, s);
				break;
			}
			place(ps, s, true);
			/* The pipeline starts at this step's boundary 0. */
			ps->next_abs = ps->nstep * in->nr_layers;
			ps->ended_abs = ps->next_abs;
			if (ps->mv_issued)
				memset(ps->mv_issued, 0, ps->sch.nr_moves);
			if (sentinel) {
				pump(ps, s);
				ack_take(ps, ev->seq);
			}
			break;
		}
		if (s->objs_stale)
			sync_session_objects(P.env.cmd, s);
		check_objects(ps, s);
		place(ps, s, false);	/* objects registered since */
		if (P.env.cfg->policy == SD_POLICY_IAL &&
		    ps->nstep >= ps->ial_last_step + IAL_PERIOD) {
			ps->ial_last_step = ps->nstep;
			ps->reprofiling = false;
			reprofile(ps, "ial sample");
		}
		if (sentinel)
			pump(ps, s);
		break;
	}
	case SENTINEL_MARK_LAYER_BEGIN: {
		int pos;

		pthread_mutex_lock(&ps->lock);
		pos = ++ps->pos;
		pthread_mutex_unlock(&ps->lock);
		if (!ps->planned || !ps->placed)
			goto ack_now;
		if ((uint32_t)pos >= in->nr_layers || in->layers[pos].layer != ev->layer ||
		    in->layers[pos].direction != ev->direction) {
			ps->template_mismatch++;
			if (sentinel && ps->template_mismatch % 16 == 1)
				reprofile(ps, "layer sequence differs from the profile");
			goto ack_now;
		}
		if (sentinel)
			pump(ps, s);
		/* Measured after the moves are queued: they must not wait for it. */
		if (P.env.cfg->verify)
			verify_layer(ps, pos);
		if (sentinel)
			ack_layer(ps, ps->nstep * in->nr_layers + (uint64_t)pos, ev->seq);
		break;
ack_now:
		/* Once acknowledged, a session's layers never wait in vain. */
		if (ps->acking)
			ack_send(ps, ev->seq, true);
		break;
	}
	case SENTINEL_MARK_STEP_END:
		/* Objects that changed in the step are dumped between steps. */
		ps->in_step = false;
		if (s->objs_stale) {
			pthread_mutex_lock(&ps->lock);
			ps->need_refresh = true;
			pthread_mutex_unlock(&ps->lock);
		}
		break;
	case SENTINEL_MARK_LAYER_END: {
		int pos;

		pthread_mutex_lock(&ps->lock);
		pos = ps->pos;
		pthread_mutex_unlock(&ps->lock);
		if (!sentinel || !ps->planned || !ps->placed || pos < 0 ||
		    (uint32_t)pos >= in->nr_layers)
			break;
		/* Demotions of objects last used by this layer may go now. */
		if (ps->ended_abs < ps->nstep * in->nr_layers + (uint64_t)pos + 1)
			ps->ended_abs = ps->nstep * in->nr_layers + (uint64_t)pos + 1;
		pump(ps, s);
		break;
	}
	default:
		break;
	}
}

void policy_event(const struct snl_event *ev)
{
	struct sd_session *s;
	struct psess *ps;

	if (P.env.cfg->policy == SD_POLICY_NONE)
		return;
	if (ev->cmd == SENTINEL_EVT_SESSION_CLOSE) {
		ps = ps_find(ev->session_id);
		if (ps)
			ps_drop(ps);
		return;
	}
	s = state_find(P.env.state, ev->session_id);
	if (!s)
		return;
	ps = ps_get(s);
	if (!ps || ps->denied)
		return;
	if (ps->dead) {
		ps_drop(ps);
		return;
	}
	switch (ev->cmd) {
	case SENTINEL_EVT_PROFILE_READY:
		make_plan(ps, s);
		if (P.env.cfg->policy == SD_POLICY_IAL && ps->planned && ps->placed)
			ial_sample(ps, s);
		break;
	case SENTINEL_EVT_MARK:
		on_mark(ps, s, ev);
		break;
	case SENTINEL_EVT_SCAN:
		/* Scans before the plan is placed describe another placement. */
		if (P.env.cfg->policy == SD_POLICY_SENTINEL && ps->planned && ps->placed &&
		    !ev->profiling && drift_scan(&ps->drift, ev->pages, ev->young))
			reprofile(ps, "steady scans deviate from the profile");
		break;
	default:
		break;
	}
}

/*
 * A plan without moves places objects at their birth (the placement map)
 * and at step begins, where the policy dumps the objects when they
 * changed; a dump after every burst of object events would only repeat
 * that.  Under emulation, where a step takes seconds of wall time, the
 * 20 ms coalescing of those dumps made it about 15 full dumps a step.
 * Only inside a step: objects that changed after a step's end (a job's
 * last step, or one that pauses) are dumped on the usual deadline.
 */
bool policy_syncs_at_steps(uint64_t id)
{
	struct psess *ps = ps_find(id);

	return ps && ps->planned && ps->placed && !ps->sch.nr_moves && ps->in_step &&
	       P.env.cfg->policy != SD_POLICY_IAL;
}

bool policy_want_refresh(void)
{
	bool any = false;

	for (size_t i = 0; i < P.n; i++) {
		struct psess *ps = P.s[i];
		struct sd_session *s;

		pthread_mutex_lock(&ps->lock);
		if (ps->need_refresh) {
			ps->need_refresh = false;
			s = state_find(P.env.state, ps->id);
			if (s) {
				s->objs_stale = true;
				any = true;
			}
		}
		pthread_mutex_unlock(&ps->lock);
	}
	return any;
}

void policy_reconcile(void)
{
	for (size_t i = 0; i < P.n;) {
		struct psess *ps = P.s[i];

		if (!state_find(P.env.state, ps->id) || ps->dead) {
			ps_drop(ps);
			continue;
		}
		i++;
	}
}

void policy_clear(void)
{
	while (P.n)
		ps_drop(P.s[0]);
	ack_close();
}

static void step_json(struct jbuf *b, const char *key, const struct acct_step *a)
{
	double h = acct_hit_ratio(a);

	jb_obj_begin(b, key);
	jb_u64(b, "step", a->step);
	jb_u64(b, "promoted_bytes", a->promoted);
	jb_u64(b, "demoted_bytes", a->demoted);
	jb_u64(b, "migration_ns", a->mig_ns);
	jb_u64(b, "late", a->late);
	jb_u64(b, "late_bytes", a->late_bytes);
	jb_u64(b, "enomem", a->enomem);
	jb_u64(b, "gone_pages", a->gone_pages);
	jb_u64(b, "failed_pages", a->failed_pages);
	jb_u64(b, "touched_bytes", a->touched);
	jb_u64(b, "touched_fast_bytes", a->touched_fast);
	if (h < 0)
		jb_null(b, "hit_ratio");
	else
		jb_printf(b, "%s\"hit_ratio\":%.4f", b->need_comma ? "," : "", h);
	b->need_comma = true;
	jb_u64(b, "peak_fast_bytes", a->peak_fast);
	jb_obj_end(b);
}

/* One session's plan, placement and accounting (ps->lock not held). */
static void session_json(struct jbuf *b, struct psess *ps)
{
	jb_obj_begin(b, NULL);
	jb_u64(b, "id", ps->id);
	jb_u64(b, "pid", ps->pid);
	jb_bool(b, "denied", ps->denied);
	jb_bool(b, "planned", ps->planned);
	jb_bool(b, "placed", ps->placed);
	jb_bool(b, "reprofiling", ps->reprofiling);
	jb_u64(b, "plans", ps->plans);
	jb_u64(b, "plan_generation", ps->plan_generation);
	jb_u64(b, "placed_at_step", ps->plan_step);
	jb_u64(b, "budget", ps->budget);
	jb_bool(b, "budget_capped", ps->budget_capped);
	jb_bool(b, "static_fallback", ps->static_fallback);
	jb_bool(b, "measured_fallback", ps->measured_fallback);
	jb_u64(b, "interval", ps->sch.interval);
	jb_u64(b, "planned_peak", ps->sch.planned_peak);
	jb_u64(b, "lower_bound", ps->sch.lower_bound);
	jb_u64(b, "profile_scan_ns", ps->prof.scan_ns);
	jb_u64(b, "profile_span_ns", ps->prof.span_ns);
	jb_u64(b, "plan_moves", ps->sch.nr_moves);
	jb_u64(b, "plan_flags", ps->sch.flags);
	jb_u64(b, "reprofiles", ps->reprofiles);
	jb_u64(b, "template_mismatch", ps->template_mismatch);
	jb_u64(b, "lookahead_max", ps->ahead_max);
	jb_u64(b, "placement_publishes", ps->publishes);
	jb_u64(b, "placement_errors", ps->publish_errors);
	jb_u64(b, "ial_samples", ps->ial_samples);
	jb_u64(b, "object_dumps", ps->obj_dumps);
	jb_u64(b, "object_dump_ns", ps->obj_dump_ns);
	jb_u64(b, "pump_ns", ps->pump_ns);
	pthread_mutex_lock(&ps->lock);
	jb_u64(b, "steps", ps->nstep);
	jb_u64(b, "work_items", ps->items);
	jb_u64(b, "batches", ps->batches);
	jb_u64(b, "dropped_work", ps->dropped_work);
	jb_u64(b, "mark_acks", ps->acks);
	jb_u64(b, "mark_ack_errors", ps->ack_errors);
	jb_u64(b, "mark_releases", ps->ack_releases);
	jb_u64(b, "bw", ps->bw);
	jb_u64(b, "peak_fast_bytes", ps->acct.peak_fast);
	step_json(b, "current", &ps->acct.cur);
	step_json(b, "last", &ps->acct.last);
	step_json(b, "total", &ps->acct.total);
	pthread_mutex_unlock(&ps->lock);
	jb_obj_end(b);
}

void policy_json(struct jbuf *b)
{
	jb_obj_begin(b, "migrator");
	jb_str(b, "policy", sd_policy_name(P.env.cfg->policy));
	jb_bool(b, "verify", P.env.cfg->verify);
	jb_i64(b, "fast_node", P.fast);
	jb_i64(b, "slow_node", P.slow);
	jb_u64(b, "calibrated_bw", P.bw_calib);
	jb_u64(b, "calibration_ns", P.calib_ns);
	pthread_mutex_lock(&P.bw_lock);
	jb_u64(b, "bw", P.bw);
	pthread_mutex_unlock(&P.bw_lock);
	jb_obj_end(b);
	jb_arr_begin(b, "migration_sessions");
	for (size_t i = 0; i < P.n; i++)
		session_json(b, P.s[i]);
	jb_arr_end(b);
	/* Sessions that closed, newest last: their final figures. */
	jb_arr_begin(b, "closed_sessions");
	for (unsigned int i = 0; i < P.nclosed; i++) {
		const char *c = P.closed[(P.closed_next + CLOSED_KEEP - P.nclosed + i) % CLOSED_KEEP];

		if (c) {
			jb_raw(b, b->need_comma ? "," : "", b->need_comma ? 1 : 0);
			jb_raw(b, c, strlen(c));
			b->need_comma = true;
		}
	}
	jb_arr_end(b);
}

void policy_shutdown(void)
{
	policy_clear();
	free(P.s);
	P.s = NULL;
	for (unsigned int i = 0; i < CLOSED_KEEP; i++) {
		free(P.closed[i]);
		P.closed[i] = NULL;
	}
	P.nclosed = 0;
}
