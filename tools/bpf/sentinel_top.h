/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sentinel-top: the layout shared by the BPF program and the program
 * that loads it.
 *
 * Two kinds of layout live here:
 *
 * - the records of the module's tracepoints (system "sentinel"), as
 *   kmod/trace.h lays them out and Documentation/tracing.rst lists them.
 *   The module has no BTF on Debian's kernels (their headers packages
 *   ship no vmlinux to build it against), so these are declared here, not
 *   relocated; sentinel-top checks them against the tracefs format files
 *   before it loads anything;
 *
 * - the events the BPF side sends to userspace through the ring buffer.
 *
 * Kernel types (the kernel's own tracepoint records) are not here: the
 * BPF side declares the few fields it reads with CO-RE relocations,
 * resolved against the running kernel's BTF when the program loads.
 */
#ifndef SENTINEL_TOP_H
#define SENTINEL_TOP_H

#ifdef __bpf__
typedef unsigned char st_u8;
typedef unsigned short st_u16;
typedef unsigned int st_u32;
typedef int st_s32;
typedef unsigned long long st_u64;
#else
#include <stdint.h>
typedef uint8_t st_u8;
typedef uint16_t st_u16;
typedef uint32_t st_u32;
typedef int32_t st_s32;
typedef uint64_t st_u64;
#endif

/* Nodes sentinel-top tells apart; higher node ids share the last slot. */
#define ST_NODES	8
/* Ranges of page frames per node that the BPF side can resolve. */
#define ST_RANGES	64
#define ST_COMM_LEN	16

/* ---- the module's tracepoint records (after the 8-byte common header) ---- */

struct st_trace_common {
	st_u16 type;
	st_u8 flags;
	st_u8 preempt_count;
	st_s32 pid;
};

/* sentinel_session_open, sentinel_session_close */
struct st_tp_session {
	struct st_trace_common common;
	st_u64 session;
	st_u64 registered;
	st_u64 unregistered;
	st_u64 scans;
	st_s32 tgid;
	char comm[ST_COMM_LEN];
};

/* sentinel_objects_added, sentinel_objects_removed */
struct st_tp_objects {
	struct st_trace_common common;
	st_u64 session;
	st_u64 bytes;
	st_u64 generation;
	st_u64 live_objects;
	st_u64 live_bytes;
	st_s32 tgid;
	st_u32 count;
};

/* sentinel_mark */
struct st_tp_mark {
	struct st_trace_common common;
	st_u64 session;
	st_u64 step;
	st_u64 seq;
	st_u64 ns;
	st_s32 tgid;
	st_u32 layer;
	st_u16 type;
	st_u16 direction;
};

/* sentinel_scan_begin */
struct st_tp_scan_begin {
	struct st_trace_common common;
	st_u64 session;
	st_s32 tgid;
	st_u32 kind;
};

/* sentinel_scan_end */
struct st_tp_scan_end {
	struct st_trace_common common;
	st_u64 session;
	st_u64 pages;
	st_u64 young;
	st_u64 ns;
	st_s32 tgid;
	st_u32 kind;
};

/* sentinel_profile_ready */
struct st_tp_profile {
	struct st_trace_common common;
	st_u64 session;
	st_u64 generation;
	st_u64 first_step;
	st_u64 scan_ns;
	st_u64 scanned_pages;
	st_s32 tgid;
	st_u32 steps;
	st_u32 layers;
	st_u32 entries;
	st_u32 objects;
	st_u32 flags;
};

/* sentinel_limit */
struct st_tp_limit {
	struct st_trace_common common;
	st_u64 session;
	st_u64 value;
	st_u64 wanted;
	st_s32 tgid;
	st_u32 limit;
};

/* sentinel_wait */
struct st_tp_wait {
	struct st_trace_common common;
	st_u64 session;
	st_u64 seq;
	st_u64 ns;
	st_s32 tgid;
	st_s32 ret;
};

/* The syscall tracepoints' records: the number, then six arguments. */
struct st_tp_sys_enter {
	struct st_trace_common common;
	st_s32 nr;
	st_u32 pad;
	st_u64 args[6];
};

/* ---- ring buffer events ---- */

enum st_event_type {
	ST_EV_SESSION_OPEN = 1,
	ST_EV_SESSION_CLOSE,
	ST_EV_OBJECTS_ADDED,
	ST_EV_OBJECTS_REMOVED,
	ST_EV_MARK,
	ST_EV_SCAN_END,
	ST_EV_PROFILE,
	ST_EV_LIMIT,
	ST_EV_MIGRATE,
	ST_EV_WAIT,
};

/* Scan kinds and limits, as the module numbers them. */
enum st_scan_kind { ST_SCAN_STEP, ST_SCAN_LAYER, ST_SCAN_STEADY };
enum st_limit {
	ST_LIMIT_SESSIONS,
	ST_LIMIT_OBJECTS,
	ST_LIMIT_PROFILE_ENTRIES,
	ST_LIMIT_SCAN_BUDGET,
};

/**
 * struct st_event - one event of the ring buffer
 * @type: enum st_event_type
 * @tgid: the session's process, or for ST_EV_MIGRATE the process whose
 *	pages moved (the target of move_pages(2), else the current one)
 * @ts: bpf_ktime_get_ns() when the event was sent
 * @session: the module's session id (0 for ST_EV_MIGRATE)
 * @a, @b, @c, @d: by type: ST_EV_MARK: step, layer, mark type,
 *	direction; ST_EV_SCAN_END: pages, young, ns, kind;
 *	ST_EV_OBJECTS_*: count, bytes, live objects, live bytes;
 *	ST_EV_PROFILE: generation, first step, layers, entries;
 *	ST_EV_LIMIT: limit, value, wanted; ST_EV_WAIT: ns waited for the
 *	daemon's moves, mark sequence number, result (an errno, negated,
 *	or 0); ST_EV_SESSION_*: registered,
 *	unregistered, scans; ST_EV_MIGRATE: succeeded and failed pages
 *	as mm_migrate_pages reported them, reason, mode
 * @comm: ST_EV_SESSION_OPEN/CLOSE: the session's command; ST_EV_MIGRATE:
 *	the migrating task's
 * @moved: ST_EV_MIGRATE: pages moved from node [i] to node [j], seen
 *	when their migration entries were replaced by the new mappings
 * @unknown_src: ST_EV_MIGRATE: pages moved to node [j] from a page frame
 *	outside every known range
 */
struct st_event {
	st_u32 type;
	st_s32 tgid;
	st_u64 ts;
	st_u64 session;
	st_u64 a, b, c, d;
	char comm[ST_COMM_LEN];
	st_u32 moved[ST_NODES][ST_NODES];
	st_u32 unknown_src[ST_NODES];
};

/* A range of page frames of one node, filled in by userspace. */
struct st_pfn_range {
	st_u64 start;	/* first pfn */
	st_u64 end;	/* one past the last */
	st_u32 nid;
	st_u32 pad;
};

#endif /* SENTINEL_TOP_H */
