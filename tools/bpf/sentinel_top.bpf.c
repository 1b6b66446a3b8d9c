// SPDX-License-Identifier: GPL-2.0
/*
 * sentinel-top, BPF side: forwards the module's tracepoints to userspace
 * and joins the kernel's page migrations to the processes whose pages
 * moved, node to node.
 *
 * A migration (mm_migrate_pages_start .. mm_migrate_pages, in the task
 * that migrates) replaces each mapping of a page by a migration entry
 * (set_migration_pte, which names the old page frame) and later by the
 * new mapping (remove_migration_pte, the new page frame; the old one
 * again when the page could not move).  The two frames give the source
 * and destination nodes.  The pages of one migrate_pages() call are
 * summed per task and sent as one event when the call ends, with the
 * process whose pages they are: the pid given to move_pages(2) or
 * migrate_pages(2) when the call came from there, else the current one.
 *
 * Kernel records are read with CO-RE against the running kernel's BTF
 * (6.12 added a field to mm_migrate_pages); the module's records have the
 * fixed layout of sentinel_top.h, checked by userspace before loading.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include "sentinel_top.h"

char LICENSE[] SEC("license") = "GPL";

/* ---- the few kernel types read, relocated at load time ---- */

struct trace_entry {
	unsigned short type;
} __attribute__((preserve_access_index));

struct trace_event_raw_mm_migrate_pages {
	struct trace_entry ent;
	unsigned long succeeded;
	unsigned long failed;
	int reason;
} __attribute__((preserve_access_index));

struct trace_event_raw_mm_migrate_pages_start {
	struct trace_entry ent;
	int reason;
} __attribute__((preserve_access_index));

struct trace_event_raw_migration_pte {
	struct trace_entry ent;
	unsigned long addr;
	unsigned long pte;
	int order;
} __attribute__((preserve_access_index));

struct trace_event_raw_migration_pmd {
	struct trace_entry ent;
	unsigned long addr;
	unsigned long pmd;
} __attribute__((preserve_access_index));

/* ---- configuration, set by userspace before loading ---- */

const volatile int filter_tgid;		/* 0: every process */
const volatile unsigned int nr_ranges;	/* used entries of ranges */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ST_RANGES);
	__type(key, __u32);
	__type(value, struct st_pfn_range);
} ranges SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} events SEC(".maps");

/* Task in move_pages(2)/migrate_pages(2) -> the process it migrates. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __s32);
} target SEC(".maps");

/* Task inside migrate_pages() -> the pages it moved so far. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct st_event);
} acc SEC(".maps");

struct pte_key {
	__u32 tid;
	__u32 pad;
	__u64 addr;
};

/* A mapping replaced by a migration entry -> the node it was on. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1 << 16);
	__type(key, struct pte_key);
	__type(value, __s32);
} src_node SEC(".maps");

/* Events lost because the ring buffer was full. */
__u64 lost;

static struct st_event zero_event;

static __always_inline bool wanted(int tgid)
{
	return !filter_tgid || tgid == filter_tgid;
}

static __always_inline struct st_event *reserve(__u32 type, int tgid,
						__u64 session)
{
	struct st_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&lost, 1);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->type = type;
	e->tgid = tgid;
	e->session = session;
	e->ts = bpf_ktime_get_ns();
	return e;
}

/* ---- the module's tracepoints ---- */

/* A record of process @tgid's session, or NULL (not wanted, or no room). */
static __always_inline struct st_event *begin(__u32 type, int tgid, __u64 session)
{
	if (!wanted(tgid))
		return NULL;
	return reserve(type, tgid, session);
}

/* A record with four values, sent at once. */
static __always_inline int emit(__u32 type, int tgid, __u64 session,
				__u64 a, __u64 b, __u64 c, __u64 d)
{
	struct st_event *e = begin(type, tgid, session);

	if (!e)
		return 0;
	e->a = a;
	e->b = b;
	e->c = c;
	e->d = d;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

static __always_inline int session_event(struct st_tp_session *ctx, __u32 type)
{
	struct st_event *e = begin(type, ctx->tgid, ctx->session);

	if (!e)
		return 0;
	e->a = ctx->registered;
	e->b = ctx->unregistered;
	e->c = ctx->scans;
	__builtin_memcpy(e->comm, ctx->comm, ST_COMM_LEN);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp/sentinel/sentinel_session_open")
int on_session_open(struct st_tp_session *ctx)
{
	return session_event(ctx, ST_EV_SESSION_OPEN);
}

SEC("tp/sentinel/sentinel_session_close")
int on_session_close(struct st_tp_session *ctx)
{
	return session_event(ctx, ST_EV_SESSION_CLOSE);
}

SEC("tp/sentinel/sentinel_objects_added")
int on_objects_added(struct st_tp_objects *ctx)
{
	return emit(ST_EV_OBJECTS_ADDED, ctx->tgid, ctx->session, ctx->count, ctx->bytes,
		    ctx->live_objects, ctx->live_bytes);
}

SEC("tp/sentinel/sentinel_objects_removed")
int on_objects_removed(struct st_tp_objects *ctx)
{
	return emit(ST_EV_OBJECTS_REMOVED, ctx->tgid, ctx->session, ctx->count, ctx->bytes,
		    ctx->live_objects, ctx->live_bytes);
}

SEC("tp/sentinel/sentinel_mark")
int on_mark(struct st_tp_mark *ctx)
{
	struct st_event *e = begin(ST_EV_MARK, ctx->tgid, ctx->session);

	if (!e)
		return 0;
	e->a = ctx->step;
	e->b = ctx->layer;
	e->c = ctx->type;
	e->d = ctx->direction;
	e->ts = ctx->ns;	/* the mark's own time */
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp/sentinel/sentinel_scan_end")
int on_scan_end(struct st_tp_scan_end *ctx)
{
	return emit(ST_EV_SCAN_END, ctx->tgid, ctx->session, ctx->pages, ctx->young, ctx->ns,
		    ctx->kind);
}

SEC("tp/sentinel/sentinel_profile_ready")
int on_profile_ready(struct st_tp_profile *ctx)
{
	return emit(ST_EV_PROFILE, ctx->tgid, ctx->session, ctx->generation, ctx->first_step,
		    ctx->layers, ctx->entries);
}

SEC("tp/sentinel/sentinel_limit")
int on_limit(struct st_tp_limit *ctx)
{
	return emit(ST_EV_LIMIT, ctx->tgid, ctx->session, ctx->limit, ctx->value, ctx->wanted, 0);
}

SEC("tp/sentinel/sentinel_wait")
int on_wait(struct st_tp_wait *ctx)
{
	return emit(ST_EV_WAIT, ctx->tgid, ctx->session, ctx->ns, ctx->seq,
		    (__u64)(__s64)ctx->ret, 0);
}

/* ---- which process a migration is for ---- */

static __always_inline int enter_pid_call(struct st_tp_sys_enter *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	__s32 pid = (__s32)ctx->args[0];

	if (pid <= 0)
		pid = (__s32)(id >> 32);
	bpf_map_update_elem(&target, &tid, &pid, BPF_ANY);
	return 0;
}

static __always_inline int exit_pid_call(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	bpf_map_delete_elem(&target, &tid);
	return 0;
}

SEC("tp/syscalls/sys_enter_move_pages")
int on_enter_move_pages(struct st_tp_sys_enter *ctx)
{
	return enter_pid_call(ctx);
}

SEC("tp/syscalls/sys_exit_move_pages")
int on_exit_move_pages(void *ctx)
{
	return exit_pid_call();
}

SEC("tp/syscalls/sys_enter_migrate_pages")
int on_enter_migrate_pages(struct st_tp_sys_enter *ctx)
{
	return enter_pid_call(ctx);
}

SEC("tp/syscalls/sys_exit_migrate_pages")
int on_exit_migrate_pages(void *ctx)
{
	return exit_pid_call();
}

/* ---- page frames to nodes ---- */

static __always_inline int pfn_node(__u64 pfn)
{
	for (__u32 i = 0; i < ST_RANGES; i++) {
		__u32 k = i;
		struct st_pfn_range *r;

		if (i >= nr_ranges)
			break;
		r = bpf_map_lookup_elem(&ranges, &k);
		if (!r)
			break;
		if (pfn >= r->start && pfn < r->end)
			return r->nid < ST_NODES ? (int)r->nid : ST_NODES - 1;
	}
	return -1;
}

/*
 * x86-64 page table entries.  A present entry holds the frame in bits
 * 12..51; a non-present one that is not empty holds it inverted (the L1TF
 * mitigation).  A swap entry, which a migration entry is, keeps its type
 * in the top 5 bits and its offset inverted from bit 9; a migration
 * entry's offset is the frame number, with the young and dirty bits
 * above the frame bits (bit 34 and up).
 */
#define ST_PTE_PRESENT		0x1ULL
#define ST_PTE_PFN_MASK		0x000ffffffffff000ULL
#define ST_SWP_TYPE_BITS	5
#define ST_SWP_OFFSET_SHIFT	14
#define ST_MIG_PFN_MASK		((1ULL << 34) - 1)
#define ST_PMD_PAT		0x1000ULL

static __always_inline __u64 pte_pfn(__u64 pte)
{
	if (!(pte & ST_PTE_PRESENT))
		pte = ~pte;
	return (pte & ST_PTE_PFN_MASK) >> 12;
}

static __always_inline __u64 migration_entry_pfn(__u64 pte)
{
	__u64 off = (~pte << ST_SWP_TYPE_BITS) >> ST_SWP_OFFSET_SHIFT;

	return off & ST_MIG_PFN_MASK;
}

/* ---- the kernel's migration tracepoints ---- */

SEC("tp/migrate/mm_migrate_pages_start")
int on_migrate_start(struct trace_event_raw_mm_migrate_pages_start *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	__s32 *t = bpf_map_lookup_elem(&target, &tid);
	__s32 tgid = t ? *t : (__s32)(id >> 32);
	struct st_event *a;

	if (!wanted(tgid))
		return 0;
	if (bpf_map_update_elem(&acc, &tid, &zero_event, BPF_ANY))
		return 0;
	a = bpf_map_lookup_elem(&acc, &tid);
	if (!a)
		return 0;
	a->type = ST_EV_MIGRATE;
	a->tgid = tgid;
	a->c = BPF_CORE_READ(ctx, reason);
	bpf_get_current_comm(a->comm, sizeof(a->comm));
	return 0;
}

static __always_inline int set_entry(unsigned long addr, __u64 entry)
{
	struct pte_key k = {
		.tid = (__u32)bpf_get_current_pid_tgid(),
		.addr = addr,
	};
	__s32 nid;

	if (!bpf_map_lookup_elem(&acc, &k.tid))
		return 0;
	nid = pfn_node(migration_entry_pfn(entry));
	bpf_map_update_elem(&src_node, &k, &nid, BPF_ANY);
	return 0;
}

static __always_inline int remove_entry(unsigned long addr, __u64 entry,
					__u32 pages, bool huge)
{
	struct pte_key k = {
		.tid = (__u32)bpf_get_current_pid_tgid(),
		.addr = addr,
	};
	struct st_event *a = bpf_map_lookup_elem(&acc, &k.tid);
	__s32 *src;
	int dst;

	if (!a)
		return 0;
	src = bpf_map_lookup_elem(&src_node, &k);
	if (!src)
		return 0;
	/* A huge entry's bit 12 is its PAT bit, not part of the frame. */
	if (huge)
		entry &= ~ST_PMD_PAT;
	dst = pfn_node(pte_pfn(entry));
	if (dst >= 0 && dst < ST_NODES) {
		int s = *src;

		if (s < 0)
			a->unknown_src[dst] += pages;
		else if (s < ST_NODES && s != dst)
			a->moved[s][dst] += pages;
	}
	bpf_map_delete_elem(&src_node, &k);
	return 0;
}

SEC("tp/migrate/set_migration_pte")
int on_set_pte(struct trace_event_raw_migration_pte *ctx)
{
	return set_entry(BPF_CORE_READ(ctx, addr), BPF_CORE_READ(ctx, pte));
}

SEC("tp/migrate/remove_migration_pte")
int on_remove_pte(struct trace_event_raw_migration_pte *ctx)
{
	int order = BPF_CORE_READ(ctx, order);

	return remove_entry(BPF_CORE_READ(ctx, addr), BPF_CORE_READ(ctx, pte),
			    1U << (order & 31), false);
}

/* PMD-mapped THPs (the thp system; absent on some kernels: optional). */
SEC("tp/thp/set_migration_pmd")
int on_set_pmd(struct trace_event_raw_migration_pmd *ctx)
{
	return set_entry(BPF_CORE_READ(ctx, addr), BPF_CORE_READ(ctx, pmd));
}

SEC("tp/thp/remove_migration_pmd")
int on_remove_pmd(struct trace_event_raw_migration_pmd *ctx)
{
	return remove_entry(BPF_CORE_READ(ctx, addr), BPF_CORE_READ(ctx, pmd),
			    512, true);
}

SEC("tp/migrate/mm_migrate_pages")
int on_migrate_end(struct trace_event_raw_mm_migrate_pages *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct st_event *a = bpf_map_lookup_elem(&acc, &tid);

	if (!a)
		return 0;
	a->ts = bpf_ktime_get_ns();
	a->a = BPF_CORE_READ(ctx, succeeded);
	a->b = BPF_CORE_READ(ctx, failed);
	if (bpf_ringbuf_output(&events, a, sizeof(*a), 0))
		__sync_fetch_and_add(&lost, 1);
	bpf_map_delete_elem(&acc, &tid);
	return 0;
}
