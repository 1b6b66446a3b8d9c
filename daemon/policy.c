// SPDX-License-Identifier: GPL-2.0
/*
 * Policies and migrator: the dispatch.
 *
 * Per session: the plan (from the module's profile), the planned node of
 * every logical object, the position of the session in its step (from
 * the mark events), the accounting.  What a policy does with them is in
 * its struct pol_ops (pol_*.c, chosen by the configuration's "policy");
 * the moves go to the migration queue (mover.c).
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
#include "policy_int.h"
#include "sync.h"
#include "topology.h"

#define CALIB_BYTES	(4ULL << 20)
#define DRIFT_THRESHOLD	0.25
#define DRIFT_SCANS	3
#define DRIFT_LEARN	2		/* steady scans after placement to learn from */
#define DRIFT_OBJECTS	0.10

struct pol_globals pol = { .fast = -1, .slow = -1, .bw_lock = PTHREAD_MUTEX_INITIALIZER,
			   .ack_lock = PTHREAD_MUTEX_INITIALIZER };

/* The policies by enum sd_policy; none for SD_POLICY_NONE. */
static const struct pol_ops *const pol_table[] = {
	[SD_POLICY_FIRST_TOUCH] = &pol_first_touch,
	[SD_POLICY_STATIC] = &pol_static,
	[SD_POLICY_IAL] = &pol_ial,
	[SD_POLICY_SENTINEL] = &pol_sentinel,
};

static const struct pol_ops *ops(void)
{
	unsigned int p = pol.env.cfg->policy;

	return p < sizeof(pol_table) / sizeof(pol_table[0]) ? pol_table[p] : NULL;
}

uint64_t pol_mono_ns(void)
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
	pol.env = *env;
	pol.fast = first_node(&env->topo->fast);
	pol.slow = first_node(&env->topo->slow);
}

void policy_init(const struct pol_env *env)
{
	pol.psz = sysconf(_SC_PAGESIZE);
	policy_env(env);
	pol.bw = DEFAULT_BW;
	if (pol.fast >= 0 && pol.slow >= 0 && ops()) {
		pol.bw_calib = mig_calibrate(pol.fast, pol.slow, CALIB_BYTES, &pol.calib_ns);
		if (pol.bw_calib) {
			pol.bw = pol.bw_calib;
			log_info("migration bandwidth %" PRIu64 " MB/s (node %d <-> %d, %" PRIu64 " us)",
				 pol.bw_calib >> 20, pol.fast, pol.slow, pol.calib_ns / 1000);
		} else {
			log_warn("cannot calibrate migrations between nodes %d and %d; assuming %" PRIu64 " MB/s",
				 pol.fast, pol.slow, pol.bw >> 20);
		}
	}
}

static void live_view_free(struct live_view *v)
{
	free(v->bykey);
	free(v->pi);
	free(v->mo);
	memset(v, 0, sizeof(*v));
}

void pol_ps_put(struct psess *ps)
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
	for (size_t i = 0; i < pol.n; i++)
		if (pol.s[i]->id == id)
			return pol.s[i];
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
	free(pol.closed[pol.closed_next]);
	pol.closed[pol.closed_next] = b.s;	/* the buffer is handed over */
	pol.closed_next = (pol.closed_next + 1) % CLOSED_KEEP;
	if (pol.nclosed < CLOSED_KEEP)
		pol.nclosed++;
}

static void ps_drop(struct psess *ps)
{
	keep_closed(ps);
	for (size_t i = 0; i < pol.n; i++)
		if (pol.s[i] == ps) {
			pol.s[i] = pol.s[--pol.n];
			break;
		}
	pol_share_left();
	pthread_mutex_lock(&ps->lock);
	ps->dead = true;
	pthread_mutex_unlock(&ps->lock);
	pol_ps_put(ps);
}

static struct psess *ps_get(struct sd_session *s)
{
	struct psess *ps = ps_find(s->k.id), **v;
	int err;

	if (ps)
		return ps;
	ps = calloc(1, sizeof(*ps));
	v = realloc(pol.s, (pol.n + 1) * sizeof(*v));
	if (!ps || !v) {
		free(ps);
		if (v)
			pol.s = v;
		return NULL;
	}
	pol.s = v;
	ps->id = s->k.id;
	ps->pid = s->k.pid;
	ps->refs = 1;
	ps->pos = -1;
	ps->bw = pol.bw;
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
	pol.s[pol.n++] = ps;
	if (!ps->denied && !ps->dead)
		pol_share_identify(ps);
	return ps;
}

static int keyed_cmp(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->obj < y->obj ? -1 : x->obj > y->obj;
}

/* First entry with @key, or n. */
size_t pol_keyed_find(const struct keyed *k, size_t n, uint64_t key)
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
int64_t pol_plan_index(const struct psess *ps, uint64_t key)
{
	size_t n = ps->prof.in.nr_objs, i;

	if (!ps->pk)
		return -1;
	i = pol_keyed_find(ps->pk, n, key);
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
const struct live_view *pol_live_view(struct psess *ps, const struct sd_session *s)
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
		nv.pi[i] = (int32_t)pol_plan_index(ps, key);
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
int pol_view_node(const struct psess *ps, const struct live_view *v, size_t i)
{
	return v->pi[i] < 0 ? PLAN_SLOW : ps->cur[v->pi[i]];
}

static uint64_t session_budget(const struct psess *ps, uint64_t footprint)
{
	const struct sd_config *c = pol.env.cfg;

	(void)ps;
	switch (c->budget_kind) {
	case SD_BUDGET_BYTES:
		return c->budget;
	case SD_BUDGET_PERCENT:
		return sd_percent_of(footprint, c->budget);
	default:
		return footprint ? footprint : 1;
	}
}

static int plcmp(const void *a, const void *b)
{
	const struct sentinel_placement *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * Publish the birth node of every allocator object of the plan, and the
 * slow node for every other: an object the plan does not know is born
 * slow, as the placement passes would put it, so that the fast node holds
 * only what the plan gave it.
 */
void pol_publish(struct psess *ps)
{
	size_t n = ps->prof.in.nr_objs, k = 0;
	struct sentinel_placement *e = calloc(n + 1, sizeof(*e));
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
			.node = (uint32_t)(ps->sch.objs[i].birth == PLAN_FAST ? pol.fast : pol.slow),
		};
	}
	qsort(e, k, sizeof(*e), plcmp);
	e[k++] = (struct sentinel_placement){
		.id = SENTINEL_PLACEMENT_OTHERS,
		.node = (uint32_t)pol.slow,
	};
	err = snl_set_placement(pol.env.cmd, ps->id, e, (uint32_t)k);
	if (err) {
		if (!ps->publish_errors++)
			log_warn("session %" PRIu64 ": cannot publish the placement map: %s",
				 ps->id, snl_strerror(pol.env.cmd, err, msg, sizeof(msg)));
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
 * The budget is what the session may use; the fast tier may hold less:
 * what the session has there (at the profile's end) plus what its nodes
 * can still give without reclaim.  True when *@budget was lowered.
 */
static bool cap_budget(const struct psess *ps, const struct pp_profile *prof,
		       uint64_t *budget)
{
	uint64_t free_b = topo_free_bytes("", &pol.env.topo->fast);
	uint64_t have = prof->fast_resident_pages * (uint64_t)pol.psz;

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

	r = snl_get_profile(pol.env.cmd, ps->id, &blob, &len);
	if (r) {
		log_warn("session %" PRIu64 ": profile: %s", ps->id,
			 snl_strerror(pol.env.cmd, r, err, sizeof(err)));
		return;
	}
	struct pp_opts po = { .page_size = (uint32_t)pol.psz };

	for (unsigned int n = 0; n < SENTINEL_MAX_NODES; n++)
		if (sd_node_isset(&pol.env.topo->fast, n))
			po.fast_mask |= 1U << n;
	r = pp_parse(blob, len, &po, &prof, err, sizeof(err));
	free(blob);
	if (r) {
		log_warn("session %" PRIu64 ": bad profile: %s", ps->id, err);
		return;
	}
	for (uint32_t i = 0; i < prof.in.nr_objs; i++)
		foot += prof.in.objs[i].bytes;
	pp.fast_budget = pol_share_of(ps, session_budget(ps, foot));
	ps->static_fallback = false;
	ps->measured_fallback = false;
	ps->budget_capped = cap_budget(ps, &prof, &pp.fast_budget);
	pp.bw = ps->bw ? ps->bw : pol.bw;
	r = ops()->plan(ps, &prof.in, &pp, &sch, err, sizeof(err));
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
		 ps->id, ops()->name, prof.in.nr_objs,
		 prof.in.nr_layers, pp.fast_budget, sch.interval, sch.nr_moves,
		 sch.promote_bytes, sch.demote_bytes, sch.reason[0] ? ": " : "", sch.reason);
	if (sch.flags & PLAN_F_PINS_REFUSED)
		log_warn("session %" PRIu64 ": %u PIN_FAST objects (%" PRIu64
			 " B) do not fit the fast budget and are not pinned",
			 ps->id, sch.pins_refused, sch.pins_refused_bytes);
	pol_publish(ps);
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
void pol_place(struct psess *ps, struct sd_session *s, bool all)
{
	const struct live_view *lv = pol_live_view(ps, s);
	uint8_t *want = calloc(s->nobjs + 1, 1), *slow = calloc(s->nobjs + 1, 1);
	int *need = calloc(s->nobjs + 1, sizeof(int));
	uint64_t *ids = calloc(s->nobjs + 1, sizeof(*ids));

	if (!lv || !want || !slow || !need || !ids)
		goto out;
	for (size_t i = 0; i < s->nobjs; i++) {
		int node = pol_view_node(ps, lv, i);

		need[i] = -1;
		slow[i] = node == PLAN_SLOW;
		ids[i] = s->objs[i].id;
		if (!all && id_placed(ps, s->objs[i].id))
			want[i] = MIG_STAY;
		else
			want[i] = node == PLAN_FAST ? MIG_TO_FAST : MIG_TO_SLOW;
	}
	pol_submit(ps, s, lv, want, need, slow, ps->nstep, -1);
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

void pol_reprofile(struct psess *ps, const char *why)
{
	char msg[256];
	int err;

	if (ps->reprofiling)
		return;
	err = snl_profile_start(pol.env.cmd, ps->id, 0, 1);
	if (err) {
		log_warn("session %" PRIu64 ": cannot re-profile: %s", ps->id,
			 snl_strerror(pol.env.cmd, err, msg, sizeof(msg)));
		return;
	}
	ps->reprofiling = true;
	ps->reprofiles++;
	log_info("session %" PRIu64 ": %s: re-profiling", ps->id, why);
}

/* New or vanished objects against the plan. */
static void check_objects(struct psess *ps, struct sd_session *s)
{
	const struct live_view *lv = pol_live_view(ps, s);
	uint64_t unknown = 0, missing = 0;

	if (!lv)
		return;
	for (size_t i = 0; i < s->nobjs; i++)
		if (lv->pi[i] < 0)
			unknown += s->objs[i].len;
	for (uint32_t i = 0; i < ps->prof.in.nr_objs; i++) {
		const struct plan_object *o = &ps->prof.in.objs[i];
		size_t j = pol_keyed_find(lv->bykey, lv->n, o->id);

		/* Persistent objects must be live at a step begin. */
		if (o->kind != SENTINEL_KIND_WEIGHT && o->kind != SENTINEL_KIND_OPTIMIZER)
			continue;
		if (j >= lv->n || lv->bykey[j].key != o->id)
			missing += o->bytes;
	}
	if (drift_objects(unknown, missing, ps->planned_bytes, DRIFT_OBJECTS))
		pol_reprofile(ps, "objects appeared or vanished");
}

/*
 * Tell the module what the session's steps before this one moved, for
 * the job to read (SENTINEL_IOC_STATS); once refused (an older module),
 * never again for the session.
 */
static void send_acct(struct psess *ps)
{
	struct sentinel_job_acct a = { 0 };
	char msg[256];
	int err;

	if (ps->acct_off || ps->denied)
		return;
	pthread_mutex_lock(&ps->lock);
	a.step = ps->acct.last.step;
	a.steps = ps->acct.steps ? ps->acct.steps - 1 : 0;	/* the current one aside */
	a.promoted_bytes = ps->acct.total.promoted;
	a.demoted_bytes = ps->acct.total.demoted;
	a.late = ps->acct.total.late;
	a.late_bytes = ps->acct.total.late_bytes;
	a.touched_bytes = ps->acct.total.touched;
	a.fast_bytes = ps->acct.total.touched_fast;
	pthread_mutex_unlock(&ps->lock);
	a.budget = ps->planned ? ps->budget : 0;
	err = snl_set_acct(pol.env.cmd, ps->id, &a);
	if (!err) {
		ps->acct_sent++;
		return;
	}
	ps->acct_off = true;
	if (err != -ENOENT)
		log_info("session %" PRIu64 ": the module keeps no accounting for the job: %s",
			 ps->id, snl_strerror(pol.env.cmd, err, msg, sizeof(msg)));
}

static void on_step_begin(struct psess *ps, struct sd_session *s, const struct snl_event *ev)
{
	const struct pol_ops *o = ops();
	uint64_t now = pol_mono_ns(), step_ns = ps->step_t0 ? now - ps->step_t0 : 0;
	uint32_t nl = ps->prof.in.nr_layers;

	ps->step_t0 = now;
	ps->in_step = true;
	pthread_mutex_lock(&ps->lock);
	ps->nstep++;
	ps->pos = -1;
	acct_step_begin(&ps->acct, ev->step);
	pthread_mutex_unlock(&ps->lock);
	send_acct(ps);
	if (o->step_begin)
		o->step_begin(ps, step_ns);
	/* Every layer of the steps before has ended. */
	if (ps->ended_abs < ps->nstep * nl)
		ps->ended_abs = ps->nstep * nl;
	if (!ps->planned)
		return;
	/*
	 * The first placement moves every live object: one whose dump is
	 * still pending (the refresh timer) would wait for the next step
	 * begin.  Later ones place the objects registered since.
	 */
	if (s->objs_stale)
		sync_session_objects(pol.env.cmd, s);
	if (!ps->placed) {
		if (o->place_first)
			o->place_first(ps, s, ev->seq);
		else
			pol_place(ps, s, true);
		return;
	}
	check_objects(ps, s);
	pol_place(ps, s, false);
	if (o->step)
		o->step(ps, s);
}

static void on_layer_begin(struct psess *ps, struct sd_session *s, const struct snl_event *ev)
{
	const struct plan_input *in = &ps->prof.in;
	const struct pol_ops *o = ops();
	int pos;

	pthread_mutex_lock(&ps->lock);
	pos = ++ps->pos;
	pthread_mutex_unlock(&ps->lock);
	if (!ps->planned || !ps->placed)
		goto ack_now;
	if ((uint32_t)pos >= in->nr_layers || in->layers[pos].layer != ev->layer ||
	    in->layers[pos].direction != ev->direction) {
		ps->template_mismatch++;
		if (o->mismatch)
			o->mismatch(ps);
		goto ack_now;
	}
	if (o->layer_begin)
		o->layer_begin(ps, s, pos, ev->seq);
	else if (pol.env.cfg->verify)
		pol_verify_layer(ps, pos);
	return;
ack_now:
	/* Once acknowledged, a session's layers never wait in vain. */
	if (ps->acking)
		pol_ack_send(ps, ev->seq, true);
}

static void on_mark(struct psess *ps, struct sd_session *s, const struct snl_event *ev)
{
	const struct pol_ops *o = ops();
	int pos;

	ps->obj_dumps = s->obj_dumps;
	ps->obj_dump_ns = s->obj_dump_ns;
	ps->seen_mark = ev->seq;
	switch (ev->mark_type) {
	case SENTINEL_MARK_STEP_BEGIN:
		on_step_begin(ps, s, ev);
		break;
	case SENTINEL_MARK_LAYER_BEGIN:
		on_layer_begin(ps, s, ev);
		break;
	case SENTINEL_MARK_STEP_END:
		/* Objects that changed in the step are dumped between steps. */
		ps->in_step = false;
		if (s->objs_stale) {
			pthread_mutex_lock(&ps->lock);
			ps->need_refresh = true;
			pthread_mutex_unlock(&ps->lock);
		}
		break;
	case SENTINEL_MARK_LAYER_END:
		pthread_mutex_lock(&ps->lock);
		pos = ps->pos;
		pthread_mutex_unlock(&ps->lock);
		if (o->layer_end && ps->planned && ps->placed && pos >= 0 &&
		    (uint32_t)pos < ps->prof.in.nr_layers)
			o->layer_end(ps, s, pos);
		break;
	default:
		break;
	}
}

/* Plan again every session whose share of the pool changed. */
static void reshare(void)
{
	for (size_t i = 0; i < pol.n; i++) {
		struct psess *ps = pol.s[i];
		struct sd_session *s;

		if (!ps->reshare)
			continue;
		ps->reshare = false;
		s = state_find(pol.env.state, ps->id);
		/* One being profiled again gets its share with that plan. */
		if (!s || ps->dead || ps->reprofiling)
			continue;
		log_info("session %" PRIu64 ": its share of the fast pool is now %" PRIu64
			 " B: planning again", ps->id, ps->share);
		make_plan(ps, s);
	}
}

void policy_event(const struct snl_event *ev)
{
	struct sd_session *s;
	struct psess *ps;

	const struct pol_ops *o = ops();

	if (!o)
		return;
	if (ev->cmd == SENTINEL_EVT_SESSION_CLOSE) {
		ps = ps_find(ev->session_id);
		if (ps)
			ps_drop(ps);
		reshare();
		return;
	}
	s = state_find(pol.env.state, ev->session_id);
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
		ps->seen_profile = s->k.profile_generation;
		make_plan(ps, s);
		if (o->replanned && ps->planned && ps->placed)
			o->replanned(ps, s);
		reshare();
		break;
	case SENTINEL_EVT_MARK:
		on_mark(ps, s, ev);
		break;
	case SENTINEL_EVT_SCAN:
		/* Scans before the plan is placed describe another placement. */
		if (o->scan && ps->planned && ps->placed && !ev->profiling)
			o->scan(ps, ev->pages, ev->young);
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
	       ops()->syncs_at_steps;
}

bool policy_want_refresh(void)
{
	bool any = false;

	for (size_t i = 0; i < pol.n; i++) {
		struct psess *ps = pol.s[i];
		struct sd_session *s;

		pthread_mutex_lock(&ps->lock);
		if (ps->need_refresh) {
			ps->need_refresh = false;
			s = state_find(pol.env.state, ps->id);
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
	for (size_t i = 0; i < pol.n;) {
		struct psess *ps = pol.s[i];

		if (!state_find(pol.env.state, ps->id) || ps->dead) {
			ps_drop(ps);
			continue;
		}
		i++;
	}
	reshare();
}

void policy_clear(void)
{
	while (pol.n)
		ps_drop(pol.s[0]);
	pol_ack_close();
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
	jb_u64(b, "seen_mark", ps->seen_mark);
	jb_u64(b, "seen_profile", ps->seen_profile);
	jb_u64(b, "placed_at_step", ps->plan_step);
	jb_u64(b, "budget", ps->budget);
	jb_bool(b, "budget_capped", ps->budget_capped);
	jb_u64(b, "uid", ps->uid);
	jb_u64(b, "share_weight", ps->weight);
	jb_u64(b, "demand", ps->demand);
	jb_u64(b, "share", ps->share);
	jb_bool(b, "static_fallback", ps->static_fallback);
	jb_bool(b, "measured_fallback", ps->measured_fallback);
	jb_u64(b, "interval", ps->sch.interval);
	jb_u64(b, "planned_peak", ps->sch.planned_peak);
	jb_u64(b, "lower_bound", ps->sch.lower_bound);
	jb_u64(b, "profile_scan_ns", ps->prof.scan_ns);
	jb_u64(b, "profile_span_ns", ps->prof.span_ns);
	jb_u64(b, "plan_moves", ps->sch.nr_moves);
	jb_u64(b, "plan_flags", ps->sch.flags);
	jb_u64(b, "pinned_bytes", ps->sch.pinned_bytes);
	jb_u64(b, "pins_refused", ps->sch.pins_refused);
	jb_u64(b, "pins_refused_bytes", ps->sch.pins_refused_bytes);
	jb_u64(b, "reprofiles", ps->reprofiles);
	jb_u64(b, "template_mismatch", ps->template_mismatch);
	jb_u64(b, "lookahead_max", ps->ahead_max);
	jb_u64(b, "placement_publishes", ps->publishes);
	jb_u64(b, "placement_errors", ps->publish_errors);
	jb_u64(b, "acct_sent", ps->acct_sent);
	jb_u64(b, "ial_samples", ps->ial_samples);
	jb_u64(b, "object_dumps", ps->obj_dumps);
	jb_u64(b, "object_dump_ns", ps->obj_dump_ns);
	jb_u64(b, "pump_ns", ps->pump_ns);
	pthread_mutex_lock(&ps->lock);
	jb_u64(b, "steps", ps->nstep);
	jb_u64(b, "work_items", ps->items);
	jb_u64(b, "work_queued", ps->next_ticket - ps->serving);
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
	jb_str(b, "policy", sd_policy_name(pol.env.cfg->policy));
	jb_bool(b, "verify", pol.env.cfg->verify);
	jb_i64(b, "fast_node", pol.fast);
	jb_i64(b, "slow_node", pol.slow);
	jb_u64(b, "calibrated_bw", pol.bw_calib);
	jb_u64(b, "calibration_ns", pol.calib_ns);
	pthread_mutex_lock(&pol.bw_lock);
	jb_u64(b, "bw", pol.bw);
	pthread_mutex_unlock(&pol.bw_lock);
	jb_obj_end(b);
	jb_arr_begin(b, "migration_sessions");
	for (size_t i = 0; i < pol.n; i++)
		session_json(b, pol.s[i]);
	jb_arr_end(b);
	/* Sessions that closed, newest last: their final figures. */
	jb_arr_begin(b, "closed_sessions");
	for (unsigned int i = 0; i < pol.nclosed; i++) {
		const char *c = pol.closed[(pol.closed_next + CLOSED_KEEP - pol.nclosed + i) % CLOSED_KEEP];

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
	free(pol.s);
	pol.s = NULL;
	for (unsigned int i = 0; i < CLOSED_KEEP; i++) {
		free(pol.closed[i]);
		pol.closed[i] = NULL;
	}
	pol.nclosed = 0;
}
