// SPDX-License-Identifier: GPL-2.0
/*
 * Sentinel: sessions and phase marks.
 *
 * A session is created by each open of /dev/sentinel and bound to the
 * opener's address space.  It holds a reference on the mm_struct (mmgrab)
 * but not on its memory: the address space may exit while the session
 * lives on, and every user of the memory takes mmget_not_zero() first.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ktime.h>
#include <linux/pid.h>
#include <linux/sched/task.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "internal.h"
#include "trace.h"

static LIST_HEAD(sntl_sessions);
static DEFINE_MUTEX(sntl_sessions_lock);
static atomic64_t sntl_next_session_id = ATOMIC64_INIT(0);

struct sntl_config sntl_cfg = {
	.enabled = true,
	.auto_profile = true,
	.tlb_flush = true,
	.max_sessions = 1024,
	.max_objects_per_session = 4U << 20,
	.profile_warmup_steps = 10,
	.profile_steps = 1,
	.profile_max_entries = 4U << 20,
	.steady_scan_interval = 1,
	.steady_scan_budget = 65536,
};

struct sntl_stats sntl_stats;

/**
 * sntl_session_create() - create a session for the current process
 *
 * Return: the session, or an ERR_PTR: -ENODEV when Sentinel is disabled,
 * -EMFILE when max_sessions sessions exist, -ENOMEM, -ESRCH when the
 * caller has no address space.
 */
struct sntl_session *sntl_session_create(void)
{
	struct sntl_session *s;

	if (!READ_ONCE(sntl_cfg.enabled))
		return ERR_PTR(-ENODEV);
	if (!current->mm)
		return ERR_PTR(-ESRCH);

	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return ERR_PTR(-ENOMEM);

	kref_init(&s->ref);
	mutex_init(&s->lock);
	spin_lock_init(&s->mark_lock);
	spin_lock_init(&s->profile_lock);
	init_waitqueue_head(&s->ack_wq);
	s->by_id = RB_ROOT;
	s->by_addr = RB_ROOT;
	s->tgid = task_tgid_nr(current);
	get_task_comm(s->comm, current);
	atomic64_set(&s->errors, 0);

	mutex_lock(&sntl_sessions_lock);
	if (atomic_read(&sntl_stats.sessions) >=
	    READ_ONCE(sntl_cfg.max_sessions)) {
		mutex_unlock(&sntl_sessions_lock);
		trace_sentinel_limit(NULL, SNTL_LIMIT_SESSIONS,
				     READ_ONCE(sntl_cfg.max_sessions),
				     atomic_read(&sntl_stats.sessions) + 1);
		kfree(s);
		return ERR_PTR(-EMFILE);
	}
	s->id = atomic64_inc_return(&sntl_next_session_id);
	s->mm = current->mm;
	mmgrab(s->mm);
	sntl_prof_init(s);
	list_add_tail(&s->list, &sntl_sessions);
	atomic_inc(&sntl_stats.sessions);
	atomic64_inc(&sntl_stats.sessions_total);
	mutex_unlock(&sntl_sessions_lock);

	trace_sentinel_session_open(s);
	sntl_nl_session_event(SENTINEL_EVT_SESSION_OPEN, s);
	return s;
}

static void sntl_session_free(struct kref *ref)
{
	struct sntl_session *s = container_of(ref, struct sntl_session, ref);

	sntl_prof_free(s);
	sntl_placement_free(s);
	mmdrop(s->mm);
	mutex_destroy(&s->lock);
	kfree(s);
}

/**
 * sntl_pub_init() - a new block, with the reference its publisher holds
 * @p: the block's head
 */
void sntl_pub_init(struct sntl_pub *p)
{
	kref_init(&p->ref);
}

static void sntl_pub_release(struct kref *ref)
{
	kvfree(container_of(ref, struct sntl_pub, ref));
}

/**
 * sntl_pub_put() - drop a reference on a published block
 * @p: the block's head
 */
void sntl_pub_put(struct sntl_pub *p)
{
	kref_put(&p->ref, sntl_pub_release);
}

/**
 * sntl_pub_get() - the block a session's slot holds
 * @s: the session
 * @slot: &s->profile or &s->placement
 *
 * Return: the block with a reference held, or NULL when none is published.
 */
struct sntl_pub *sntl_pub_get(struct sntl_session *s, struct sntl_pub **slot)
{
	struct sntl_pub *p;

	spin_lock(&s->profile_lock);
	p = *slot;
	if (p)
		kref_get(&p->ref);
	spin_unlock(&s->profile_lock);
	return p;
}

/**
 * sntl_pub_set() - publish a block in a session's slot
 * @s: the session
 * @slot: &s->profile or &s->placement
 * @p: the block, whose reference passes to the slot, or NULL to empty it
 *
 * The block it replaces loses the slot's reference (readers still copying
 * keep theirs).
 */
void sntl_pub_set(struct sntl_session *s, struct sntl_pub **slot,
		  struct sntl_pub *p)
{
	struct sntl_pub *old;

	spin_lock(&s->profile_lock);
	old = *slot;
	*slot = p;
	spin_unlock(&s->profile_lock);
	if (old)
		sntl_pub_put(old);
}

/**
 * sntl_session_put() - drop a reference taken by a lookup
 * @s: the session
 */
void sntl_session_put(struct sntl_session *s)
{
	kref_put(&s->ref, sntl_session_free);
}

/**
 * sntl_session_release() - end a session when its file is released
 * @s: the session; no command can run on it any more
 *
 * Frees every object at once; netlink users that still hold a reference
 * see an empty, dead session until they drop it.
 */
void sntl_session_release(struct sntl_session *s)
{
	mutex_lock(&sntl_sessions_lock);
	list_del(&s->list);
	atomic_dec(&sntl_stats.sessions);
	mutex_unlock(&sntl_sessions_lock);

	sntl_registry_free_all(s);
	spin_lock(&s->mark_lock);
	s->ack_portid = 0;
	spin_unlock(&s->mark_lock);
	wake_up_all(&s->ack_wq);
	trace_sentinel_session_close(s);
	sntl_nl_session_event(SENTINEL_EVT_SESSION_CLOSE, s);
	sntl_session_put(s);
}

/**
 * sntl_session_get() - find a live session by id
 * @id: session id
 *
 * Return: the session with a reference held, or NULL.
 */
struct sntl_session *sntl_session_get(u64 id)
{
	struct sntl_session *s, *found = NULL;

	mutex_lock(&sntl_sessions_lock);
	list_for_each_entry(s, &sntl_sessions, list) {
		if (s->id == id) {
			kref_get(&s->ref);
			found = s;
			break;
		}
	}
	mutex_unlock(&sntl_sessions_lock);
	return found;
}

/**
 * sntl_session_next() - the live session with the smallest id above @after
 * @after: 0 for the first session
 *
 * Sessions are listed in creation order, which is id order.
 *
 * Return: the session with a reference held, or NULL.
 */
struct sntl_session *sntl_session_next(u64 after)
{
	struct sntl_session *s, *found = NULL;

	mutex_lock(&sntl_sessions_lock);
	list_for_each_entry(s, &sntl_sessions, list) {
		if (s->id > after) {
			kref_get(&s->ref);
			found = s;
			break;
		}
	}
	mutex_unlock(&sntl_sessions_lock);
	return found;
}

static bool sntl_mark_valid(const struct sentinel_mark *m)
{
	switch (m->type) {
	case SENTINEL_MARK_STEP_BEGIN:
	case SENTINEL_MARK_STEP_END:
		return m->direction == SENTINEL_DIR_NONE && m->layer == 0;
	case SENTINEL_MARK_LAYER_BEGIN:
	case SENTINEL_MARK_LAYER_END:
		return m->step == 0 && m->layer != SENTINEL_LAYER_NONE &&
		       m->direction >= SENTINEL_DIR_FORWARD &&
		       m->direction <= SENTINEL_DIR_OPTIMIZER;
	default:
		return false;
	}
}

/**
 * sntl_session_mark() - apply a phase mark to a session
 * @s: the session
 * @m: the mark, already copied from userspace
 * @seq: set to the mark's sequence number in the session
 * @now: set to the mark's CLOCK_MONOTONIC time
 *
 * Takes only the session's mark spinlock and allocates nothing.
 *
 * Return: 0, or -EINVAL for a malformed or out-of-order mark.
 */
int sntl_session_mark(struct sntl_session *s, const struct sentinel_mark *m,
		      u64 *seq, u64 *now)
{
	struct sntl_phase *p = &s->phase;
	int ret = 0;

	if (m->flags || !sntl_mark_valid(m))
		return -EINVAL;

	spin_lock(&s->mark_lock);
	/* Under the lock: sequence numbers and times agree. */
	*now = ktime_get_ns();
	switch (m->type) {
	case SENTINEL_MARK_STEP_BEGIN:
		if (p->steps && m->step <= p->step) {
			ret = -EINVAL;
			break;
		}
		if (p->in_step)
			p->unterminated_steps++;
		p->in_step = true;
		p->step = m->step;
		p->steps++;
		break;
	case SENTINEL_MARK_STEP_END:
		if (!p->in_step || m->step != p->step) {
			ret = -EINVAL;
			break;
		}
		p->in_step = false;
		break;
	case SENTINEL_MARK_LAYER_BEGIN:
	case SENTINEL_MARK_LAYER_END:
		if (!p->in_step)
			p->outside_layer_marks++;
		p->layer = m->layer;
		p->direction = m->direction;
		break;
	}
	if (!ret) {
		*seq = ++p->marks;
		p->last_type = m->type;
		p->last_mark_ns = *now;
		trace_sentinel_mark(s, m, p->step, *seq, *now);
	}
	spin_unlock(&s->mark_lock);

	if (!ret)
		atomic64_inc(&sntl_stats.marks);
	return ret;
}

static void sntl_session_phase(struct sntl_session *s,
			       struct sentinel_session_stats *st)
{
	spin_lock(&s->mark_lock);
	st->marks = s->phase.marks;
	st->steps = s->phase.steps;
	st->last_step = s->phase.step;
	st->unterminated_steps = s->phase.unterminated_steps;
	st->outside_layer_marks = s->phase.outside_layer_marks;
	spin_unlock(&s->mark_lock);
}

/**
 * sntl_session_peek() - read a session's counters without its mutex
 * @s: the session
 * @st: output: session_id, objects, bytes, registered, unregistered,
 *	profile state and generation and the phase counters
 *
 * For netlink, which must never wait for a session's mutex: each counter
 * is read once, so the set may straddle a registry batch (the session's
 * generation tells).
 */
void sntl_session_peek(struct sntl_session *s,
		       struct sentinel_session_stats *st)
{
	st->session_id = s->id;
	st->objects = READ_ONCE(s->nr_objects);
	st->bytes = READ_ONCE(s->bytes);
	st->registered = READ_ONCE(s->registered);
	st->unregistered = READ_ONCE(s->unregistered);
	st->profile_generation = READ_ONCE(s->prof.generation);
	st->profile_state = READ_ONCE(s->prof.state);
	sntl_session_phase(s, st);
	st->errors = atomic64_read(&s->errors);
}

/**
 * sntl_session_stats() - fill a session's statistics
 * @s: the session
 * @st: output; the size and flags fields are left alone
 *
 * Return: 0, or -EINTR when a fatal signal arrived while waiting.
 */
int sntl_session_stats(struct sntl_session *s,
		       struct sentinel_session_stats *st)
{
	st->session_id = s->id;

	if (mutex_lock_killable(&s->lock))
		return -EINTR;
	st->objects = s->nr_objects;
	st->bytes = s->bytes;
	st->registered = s->registered;
	st->unregistered = s->unregistered;
	st->profile_generation = s->prof.generation;
	st->profile_state = s->prof.state;
	st->scans = s->scans;
	st->scan_pages = s->scan_pages;
	st->scan_ns = s->scan_ns;
	st->steady_scans = s->steady.scans;
	st->steady_max_pages = s->steady.max_pages;
	st->steady_last_pages = s->steady.last_pages;
	st->steady_passes = s->steady.passes;
	st->acct = s->acct;
	mutex_unlock(&s->lock);

	sntl_session_phase(s, st);
	st->errors = atomic64_read(&s->errors);
	return 0;
}

/**
 * sntl_session_set_acct() - keep the daemon's accounting of a session
 * @s: the session
 * @acct: the figures; @acct->updates must be 0 (the module counts them)
 *
 * Return: 0, -EINVAL for @acct->updates set, -EINTR.
 */
int sntl_session_set_acct(struct sntl_session *s,
			  const struct sentinel_job_acct *acct)
{
	u64 updates;

	if (acct->updates)
		return -EINVAL;
	if (mutex_lock_killable(&s->lock))
		return -EINTR;
	updates = s->acct.updates + 1;
	s->acct = *acct;
	s->acct.updates = updates;
	mutex_unlock(&s->lock);
	return 0;
}

/**
 * sntl_session_ack() - acknowledge a session's marks up to @seq
 * @s: the session
 * @portid: netlink port of the acknowledger
 * @seq: the highest mark acknowledged
 *
 * The first acknowledgment makes @portid the session's acknowledger;
 * sntl_session_release_acks() ends that when the port closes.
 *
 * Return: 0, -EINVAL for a mark not made yet, -EBUSY when another port
 * acknowledges the session.
 */
int sntl_session_ack(struct sntl_session *s, u32 portid, u64 seq)
{
	int ret = 0;

	spin_lock(&s->mark_lock);
	if (seq > s->phase.marks)
		ret = -EINVAL;
	else if (s->ack_portid && s->ack_portid != portid)
		ret = -EBUSY;
	if (!ret) {
		s->ack_portid = portid;
		s->acked = max(s->acked, seq);
	}
	spin_unlock(&s->mark_lock);
	if (!ret)
		wake_up_all(&s->ack_wq);
	return ret;
}

/**
 * sntl_session_unack() - a port stops acknowledging a session
 * @s: the session
 * @portid: netlink port of the acknowledger
 *
 * The session's waiters return -ENOTCONN, as when the port closes.
 *
 * Return: 0 (also when nobody acknowledges @s), -EBUSY when another port
 * does.
 */
int sntl_session_unack(struct sntl_session *s, u32 portid)
{
	bool mine;
	int ret = 0;

	spin_lock(&s->mark_lock);
	mine = s->ack_portid && s->ack_portid == portid;
	if (mine)
		s->ack_portid = 0;
	else if (s->ack_portid)
		ret = -EBUSY;
	spin_unlock(&s->mark_lock);
	if (mine)
		wake_up_all(&s->ack_wq);
	return ret;
}

/* Whether a waiter for @target may stop: acknowledged, or nobody to. */
static bool sntl_ack_done(struct sntl_session *s, u64 target, u64 *acked,
			  bool *orphan)
{
	bool done;

	spin_lock(&s->mark_lock);
	*acked = s->acked;
	*orphan = !s->ack_portid;
	done = *acked >= target || *orphan;
	spin_unlock(&s->mark_lock);
	return done;
}

/**
 * sntl_session_wait() - wait for the acknowledgment of a mark
 * @s: the session
 * @seq: the mark's sequence number, 0 for the latest mark
 * @timeout_ms: longest wait; 0 only reports
 * @acked: set to the highest mark acknowledged
 *
 * Return: 0 when the mark is acknowledged, -ENOTCONN when no port
 * acknowledges the session, -ETIMEDOUT, -EINVAL for a mark not made yet,
 * -EINTR on a fatal signal.
 */
int sntl_session_wait(struct sntl_session *s, u64 seq, u32 timeout_ms,
		      u64 *acked)
{
	bool orphan;
	long left;
	int ret = 0;
	u64 t0;

	spin_lock(&s->mark_lock);
	if (seq > s->phase.marks) {
		*acked = s->acked;
		spin_unlock(&s->mark_lock);
		return -EINVAL;
	}
	if (!seq)
		seq = s->phase.marks;
	spin_unlock(&s->mark_lock);

	t0 = ktime_get_ns();
	left = wait_event_killable_timeout(s->ack_wq,
					   sntl_ack_done(s, seq, acked, &orphan),
					   msecs_to_jiffies(timeout_ms));
	if (left < 0) {
		ret = -EINTR;
	} else {
		sntl_ack_done(s, seq, acked, &orphan);
		if (*acked < seq)
			ret = orphan ? -ENOTCONN : -ETIMEDOUT;
	}
	trace_sentinel_wait(s, seq, ktime_get_ns() - t0, ret);
	return ret;
}

/**
 * sntl_session_release_acks() - a netlink port closed
 * @portid: the port
 *
 * Sessions it acknowledged have no acknowledger any more; their waiters
 * return -ENOTCONN.
 */
void sntl_session_release_acks(u32 portid)
{
	struct sntl_session *s;

	mutex_lock(&sntl_sessions_lock);
	list_for_each_entry(s, &sntl_sessions, list) {
		bool mine;

		spin_lock(&s->mark_lock);
		mine = portid && s->ack_portid == portid;
		if (mine)
			s->ack_portid = 0;
		spin_unlock(&s->mark_lock);
		if (mine)
			wake_up_all(&s->ack_wq);
	}
	mutex_unlock(&sntl_sessions_lock);
}
