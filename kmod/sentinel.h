/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sentinel: internal declarations shared by the module's files.
 */
#ifndef _SENTINEL_INTERNAL_H
#define _SENTINEL_INTERNAL_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include <linux/sentinel.h>

/* Module-wide tunables (sysfs knobs) and their bounds. */
struct sntl_config {
	bool enabled;
	u32 max_sessions;
	u32 max_objects_per_session;
};

#define SNTL_MAX_SESSIONS_LIMIT		65536
#define SNTL_MAX_OBJECTS_LIMIT		(16U << 20)

extern struct sntl_config sntl_cfg;

/* Module-wide statistics (sysfs stats/). */
struct sntl_stats {
	atomic_t sessions;
	atomic64_t sessions_total;
	atomic64_t objects;
	atomic64_t bytes;
	atomic64_t marks;
	atomic64_t errors;
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
 * struct sntl_session - state behind one open of /dev/sentinel
 * @id: module-wide unique id, never reused while the module is loaded
 * @mm: the address space the session describes (mmgrab'ed, not mmget'ed:
 *	the memory is not pinned; users take mmget_not_zero())
 * @tgid: thread-group id of the opener
 * @comm: command name of the opener
 * @list: link in sntl_sessions
 * @lock: protects the object trees and counters below it
 * @by_id: objects ordered by id
 * @by_addr: objects ordered by start address (live objects never overlap)
 * @nr_objects: live objects
 * @bytes: bytes of live objects
 * @registered: objects registered over the session's life
 * @unregistered: objects unregistered over the session's life
 * @mark_lock: protects @phase; marks never take @lock
 * @phase: step and layer state
 * @errors: failed commands
 */
struct sntl_session {
	u64 id;
	struct mm_struct *mm;
	pid_t tgid;
	char comm[TASK_COMM_LEN];
	struct list_head list;

	struct mutex lock;		/* registry: trees and counters */
	struct rb_root by_id;
	struct rb_root by_addr;
	u64 nr_objects;
	u64 bytes;
	u64 registered;
	u64 unregistered;

	spinlock_t mark_lock;		/* phase state only */
	struct sntl_phase phase;

	atomic64_t errors;
};

/* dev.c */
int sntl_dev_init(void);
void sntl_dev_exit(void);

/* session.c */
struct sntl_session *sntl_session_create(void);
void sntl_session_destroy(struct sntl_session *s);
int sntl_session_mark(struct sntl_session *s, const struct sentinel_mark *m);
void sntl_session_stats(struct sntl_session *s,
			struct sentinel_session_stats *st);

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
void sntl_registry_free_all(struct sntl_session *s);

/* walk.c */

/**
 * struct sntl_walk - what one page-table walk of a range found
 * @pages: pages in the range
 * @present: pages present in memory
 * @thp: present pages mapped by a PMD-sized THP
 * @unmapped: pages not covered by a VMA
 * @skipped: pages in VMAs that are not ordinary memory (I/O, PFN maps,
 *	hugetlb)
 * @node: present pages per node (the last slot also counts higher nodes)
 */
struct sntl_walk {
	u64 pages;
	u64 present;
	u64 thp;
	u64 unmapped;
	u64 skipped;
	u64 node[SENTINEL_MAX_NODES];
};

int sntl_walk_range(struct mm_struct *mm, unsigned long start,
		    unsigned long end, struct sntl_walk *w);

/* sysfs.c */
int sntl_sysfs_init(void);
void sntl_sysfs_exit(void);

#endif /* _SENTINEL_INTERNAL_H */
