/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sentinel: internal declarations shared by the module's files.
 */
#ifndef _SENTINEL_INTERNAL_H
#define _SENTINEL_INTERNAL_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include <linux/sentinel.h>

/* Module-wide tunables (sysfs knobs). */
struct sntl_config {
	bool enabled;
	bool auto_profile;
	bool tlb_flush;
	bool steady_scan_async;
	u32 max_sessions;
	u32 max_objects_per_session;
	u32 profile_warmup_steps;
	u32 profile_steps;
	u32 profile_max_entries;
	u32 steady_scan_interval;
	u32 steady_scan_budget;
};

#define SNTL_MAX_SESSIONS_LIMIT		65536
#define SNTL_MAX_OBJECTS_LIMIT		(16U << 20)
#define SNTL_MAX_WARMUP_LIMIT		SENTINEL_MAX_WARMUP
#define SNTL_MIN_PROFILE_ENTRIES	1024
#define SNTL_MAX_PROFILE_ENTRIES	(64U << 20)
#define SNTL_MAX_SCAN_INTERVAL		1000000
#define SNTL_MAX_SCAN_BUDGET		BIT(30)

extern struct sntl_config sntl_cfg;

/* Kinds of scan, as the tracepoints name them. */
enum sntl_scan_kind {
	SNTL_SCAN_STEP,		/* a profiled step begins: bits cleared */
	SNTL_SCAN_LAYER,	/* a layer of a profiled step ended */
	SNTL_SCAN_STEADY,	/* a budgeted steady-mode scan */
};

/* Limits whose hits the sentinel_limit tracepoint reports. */
enum sntl_limit {
	SNTL_LIMIT_SESSIONS,
	SNTL_LIMIT_OBJECTS,
	SNTL_LIMIT_PROFILE_ENTRIES,
	SNTL_LIMIT_SCAN_BUDGET,
};

/* Module-wide statistics (sysfs stats/). */
struct sntl_stats {
	atomic_t sessions;
	atomic64_t sessions_total;
	atomic64_t objects;
	atomic64_t bytes;
	atomic64_t marks;
	atomic64_t errors;
	atomic64_t scans;
	atomic64_t scan_pages;
	atomic64_t profiles;
	atomic64_t dropped_events;
};

extern struct sntl_stats sntl_stats;

/**
 * struct sntl_object - one registered object
 * @id_node: node in the session's tree ordered by id
 * @addr_node: node in the session's tree ordered by start address
 * @id: caller-chosen id
 * @start: first byte
 * @end: one past the last byte
 * @kind: enum sentinel_kind
 * @flags: SENTINEL_OBJ_F_*
 * @layer_hint: allocating layer or SENTINEL_LAYER_NONE
 * @batch_next: link in a registration or unregistration batch, valid only
 *	while that batch runs under the session lock
 * @steady_scans: steady-mode scans that reached the object's end
 * @steady_touched: pages those scans found touched
 */
struct sntl_object {
	struct rb_node id_node;
	struct rb_node addr_node;
	u64 id;
	unsigned long start;
	unsigned long end;
	u16 kind;
	u16 flags;
	u32 layer_hint;
	struct sntl_object *batch_next;
	u64 steady_scans;
	u64 steady_touched;
};

/* Phase state of a session, under sntl_session.mark_lock. */
struct sntl_phase {
	bool in_step;
	u64 step;
	u64 steps;
	u64 marks;
	u64 unterminated_steps;
	u64 outside_layer_marks;
	u64 last_mark_ns;
	u32 layer;
	u16 direction;
	u16 last_type;
};

/**
 * struct sntl_pub - head of a block a session publishes to its readers
 * @ref: one reference for the session's slot, one per reader copying
 *
 * The first member of a kvmalloc()ed block (a profile, a placement map),
 * which is kvfree()d with its last reference.  The session's slots for
 * such blocks are under its profile_lock (sntl_pub_get(), sntl_pub_set()).
 */
struct sntl_pub {
	struct kref ref;
};

/**
 * struct sntl_profile_blob - a complete profile in its uapi layout
 * @pub: published as the session's profile
 * @size: bytes of @data
 * @data: struct sentinel_profile_hdr and the arrays it describes
 */
struct sntl_profile_blob {
	struct sntl_pub pub;
	size_t size;
	u8 data[];
};

/**
 * struct sntl_placement_map - a published placement map
 * @pub: published as the session's placement map
 * @generation: the session's placement generation it was published as
 * @count: entries
 * @e: entries, ids strictly increasing
 */
struct sntl_placement_map {
	struct sntl_pub pub;
	u64 generation;
	u32 count;
	struct sentinel_placement e[];
};

/**
 * struct sntl_prof - profiling state of a session, under sntl_session.lock
 * @state: enum sentinel_profile_state
 * @warmup: steps still to skip
 * @steps: steps to profile
 * @done: steps profiled so far
 * @first_step: number of the first profiled step
 * @prev_mark_ns: time of the previous layer mark of the profiled step
 * @layers: layer records collected so far
 * @nr_layers: used entries of @layers
 * @cap_layers: allocated entries of @layers
 * @entries: entry records collected so far
 * @nr_entries: used entries of @entries
 * @cap_entries: allocated entries of @entries
 * @departed: objects unregistered during the profiled steps, described
 *	as they were, so that the profile names the kind of every object
 *	its entries mention
 * @nr_departed: used entries of @departed
 * @cap_departed: allocated entries of @departed
 * @truncated: the entry limit was reached
 * @scan_ns: scanning time of this profile
 * @scanned_pages: pages tested for this profile
 * @generation: profiles completed
 */
struct sntl_prof {
	u32 state;
	u32 warmup;
	u32 steps;
	u32 done;
	u64 first_step;
	u64 prev_mark_ns;
	struct sentinel_profile_layer *layers;
	u32 nr_layers;
	u32 cap_layers;
	struct sentinel_profile_entry *entries;
	u32 nr_entries;
	u32 cap_entries;
	struct sentinel_profile_object *departed;
	u32 nr_departed;
	u32 cap_departed;
	bool truncated;
	u64 scan_ns;
	u64 scanned_pages;
	u64 generation;
};

/**
 * struct sntl_steady - steady-mode scan state, under sntl_session.lock
 * @cursor: address where the next scan starts
 * @step_ends: STEP_END marks seen outside profiled steps
 * @scans: scans done
 * @max_pages: most pages one scan tested
 * @last_pages: pages the last scan tested
 * @passes: passes over every object completed
 */
struct sntl_steady {
	unsigned long cursor;
	u64 step_ends;
	u64 scans;
	u64 max_pages;
	u64 last_pages;
	u64 passes;
};

/**
 * struct sntl_session - state behind one open of /dev/sentinel
 * @id: module-wide unique id, never reused while the module is loaded
 * @ref: the open file holds one reference, netlink users take more
 * @mm: the address space the session describes (mmgrab'ed, not mmget'ed:
 *	the memory is not pinned; users take mmget_not_zero())
 * @tgid: thread-group id of the opener
 * @comm: command name of the opener
 * @list: link in the session list
 * @dead: the file was released; the registry is empty and stays so
 * @lock: protects the object trees, counters, profile and steady state
 * @by_id: objects ordered by id
 * @by_addr: objects ordered by start address (live objects never overlap)
 * @nr_objects: live objects
 * @bytes: bytes of live objects
 * @registered: objects registered over the session's life
 * @unregistered: objects unregistered over the session's life
 * @generation: registry changes (batches) so far
 * @prof: profiling state
 * @steady: steady-mode scan state
 * @steady_work: runs a steady-mode scan off the marking thread when
 *	steady_scan_async is set; holds a session reference while queued
 * @scans: scans of any kind
 * @scan_pages: pages tested by them
 * @scan_ns: time spent in them
 * @pend: placement map being uploaded, under @lock
 * @pend_count: its announced size
 * @pend_filled: entries received so far
 * @placement_gen: placement maps published
 * @profile: the last complete profile, or NULL; under @profile_lock
 * @placement: the published placement map, or NULL; under @profile_lock
 * @profile_lock: protects @profile and @placement
 * @mark_lock: protects @phase, @ack_portid and @acked; marks never take
 *	@lock
 * @phase: step and layer state
 * @ack_portid: netlink port of the session's acknowledger, 0: none
 * @acked: highest mark sequence number acknowledged
 * @ack_wq: SENTINEL_IOC_WAIT callers
 * @errors: failed commands
 */
struct sntl_session {
	u64 id;
	struct kref ref;
	struct mm_struct *mm;
	pid_t tgid;
	char comm[TASK_COMM_LEN];
	struct list_head list;
	bool dead;

	struct mutex lock;		/* registry, profile and steady state */
	struct rb_root by_id;
	struct rb_root by_addr;
	u64 nr_objects;
	u64 bytes;
	u64 registered;
	u64 unregistered;
	u64 generation;
	struct sntl_prof prof;
	struct sntl_steady steady;
	struct work_struct steady_work;
	u64 scans;
	u64 scan_pages;
	u64 scan_ns;
	struct sentinel_placement *pend;
	u32 pend_count;
	u32 pend_filled;
	u64 placement_gen;

	spinlock_t profile_lock;	/* the published profile and placement */
	struct sntl_pub *profile;	/* struct sntl_profile_blob */
	struct sntl_pub *placement;	/* struct sntl_placement_map */

	spinlock_t mark_lock;		/* phase and acknowledgment state */
	struct sntl_phase phase;
	u32 ack_portid;
	u64 acked;
	wait_queue_head_t ack_wq;

	atomic64_t errors;
	struct sentinel_job_acct acct;	/* the daemon's figures; under lock */
};

/* dev.c */
int sntl_dev_init(void);
void sntl_dev_exit(void);

/* session.c */
struct sntl_session *sntl_session_create(void);
void sntl_session_release(struct sntl_session *s);
struct sntl_session *sntl_session_get(u64 id);
struct sntl_session *sntl_session_next(u64 after);
void sntl_session_put(struct sntl_session *s);
int sntl_session_mark(struct sntl_session *s, const struct sentinel_mark *m,
		      u64 *seq, u64 *now);
int sntl_session_stats(struct sntl_session *s,
		       struct sentinel_session_stats *st);
void sntl_session_peek(struct sntl_session *s,
		       struct sentinel_session_stats *st);
int sntl_session_ack(struct sntl_session *s, u32 portid, u64 seq);
int sntl_session_set_acct(struct sntl_session *s,
			  const struct sentinel_job_acct *acct);
int sntl_session_unack(struct sntl_session *s, u32 portid);
int sntl_session_wait(struct sntl_session *s, u64 seq, u32 timeout_ms,
		      u64 *acked);
void sntl_session_release_acks(u32 portid);

/* registry.c */
int sntl_registry_init(void);
void sntl_registry_exit(void);
int sntl_register(struct sntl_session *s, const void __user *objs,
		  u32 count, u32 obj_size, u32 *err_index);
int sntl_unregister(struct sntl_session *s, const u64 __user *ids,
		    u32 count, u32 *err_index);
int sntl_unregister_all(struct sntl_session *s);
int sntl_query(struct sntl_session *s, struct sentinel_query *q,
	       u32 info_size);
int sntl_describe(struct sntl_session *s, u64 *cursor, bool after,
		  bool residency, struct sentinel_obj_info *infos, u32 max,
		  u32 *n);
void sntl_registry_free_all(struct sntl_session *s);
struct sntl_object *sntl_first_at_or_after(struct sntl_session *s,
					   unsigned long addr);
void sntl_fill_info(const struct sntl_object *o,
		    struct sentinel_obj_info *info);
bool sntl_registry_has(struct sntl_session *s, u64 id);

/* walk.c */

/**
 * struct sntl_walk - what one page-table walk of a range found
 * @clear_young: test and clear accessed bits, counting them in @young
 * @pages: pages in the range
 * @present: pages present in memory
 * @thp: present pages mapped by a PMD-sized THP
 * @unmapped: pages not covered by a VMA
 * @skipped: pages in VMAs that are not ordinary memory (I/O, PFN maps,
 *	hugetlb)
 * @young: present pages whose accessed bit was set (with @clear_young)
 * @last_young_addr: address of the last young page seen (0: none)
 * @thp_addr: in/out, base of the last PMD-mapped THP whose accessed bit a
 *	walk of this pass tested (0: none); a later walk of the same pass
 *	reuses @thp_young for it instead of testing the cleared bit again
 * @thp_young: in/out, whether that THP was young
 * @node: present pages per node (the last slot also counts higher nodes)
 */
struct sntl_walk {
	bool clear_young;
	u64 pages;
	u64 present;
	u64 thp;
	u64 unmapped;
	u64 skipped;
	u64 young;
	unsigned long last_young_addr;
	unsigned long thp_addr;
	bool thp_young;
	u64 node[SENTINEL_MAX_NODES];
};

int sntl_walk_range(struct mm_struct *mm, unsigned long start,
		    unsigned long end, struct sntl_walk *w);

/* scan.c */
void sntl_scan_on_mark(struct sntl_session *s, const struct sentinel_mark *m,
		       u64 now);
int sntl_profile_ctl(struct sntl_session *s, u32 op, u32 warmup, u32 steps,
		     struct sentinel_profile_ctl *out);
void sntl_pub_init(struct sntl_pub *p);
void sntl_pub_put(struct sntl_pub *p);
struct sntl_pub *sntl_pub_get(struct sntl_session *s, struct sntl_pub **slot);
void sntl_pub_set(struct sntl_session *s, struct sntl_pub **slot,
		  struct sntl_pub *p);
struct sntl_profile_blob *sntl_profile_get(struct sntl_session *s);
void sntl_profile_put(struct sntl_profile_blob *b);
void sntl_prof_init(struct sntl_session *s);
void sntl_prof_departed(struct sntl_session *s, const struct sntl_object *o);
void sntl_prof_free(struct sntl_session *s);
int sntl_scan_init(void);
void sntl_scan_exit(void);

/* placement.c */
int sntl_placement_put_chunk(struct sntl_session *s, u32 count, u32 offset,
			     const struct sentinel_placement *e, u32 n,
			     const char **why);
struct sntl_placement_map *sntl_placement_get(struct sntl_session *s);
void sntl_placement_put(struct sntl_placement_map *m);
void sntl_placement_free(struct sntl_session *s);

/* netlink.c */
int sntl_netlink_init(void);
void sntl_netlink_exit(void);

/* events.c; the family's multicast groups by index */
enum { SNTL_MCGRP_EVENTS };
struct genl_family;
struct sk_buff;
void sntl_events_start(const struct genl_family *family);
void sntl_events_stop(void);
int sntl_put_u64(struct sk_buff *skb, int type, u64 val);
int sntl_nl_put_session_id(struct sk_buff *skb, struct sntl_session *s);
int sntl_nl_put_object(struct sk_buff *skb, const struct sentinel_obj_info *o,
		       bool res);
void sntl_nl_session_event(u8 cmd, struct sntl_session *s);
void sntl_nl_objects_event(u8 cmd, struct sntl_session *s, u32 count,
			   u64 bytes, u64 generation,
			   const struct sntl_object *batch);
void sntl_nl_mark_event(struct sntl_session *s, const struct sentinel_mark *m,
			u64 seq, u64 now);
void sntl_nl_profile_event(struct sntl_session *s, u64 generation, u64 step);
void sntl_nl_scan_event(struct sntl_session *s, u64 pages, u64 young,
			u64 ns, bool profiling);

/* sysfs.c */
int sntl_sysfs_init(void);
void sntl_sysfs_exit(void);

#endif /* _SENTINEL_INTERNAL_H */
