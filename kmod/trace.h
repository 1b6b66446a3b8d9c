/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sentinel: tracepoints (system "sentinel").
 *
 * The record layouts are an interface: Documentation/tracing.rst lists
 * every field, and tools/bpf/sentinel_top.h mirrors them for the BPF side
 * of sentinel-top, which reads them without module BTF.  Fields are only
 * ever appended; u64 fields come first so that no record has holes.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM sentinel

#if !defined(_SENTINEL_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _SENTINEL_TRACE_H

#include <linux/tracepoint.h>

#include "internal.h"

TRACE_DEFINE_ENUM(SENTINEL_MARK_STEP_BEGIN);
TRACE_DEFINE_ENUM(SENTINEL_MARK_STEP_END);
TRACE_DEFINE_ENUM(SENTINEL_MARK_LAYER_BEGIN);
TRACE_DEFINE_ENUM(SENTINEL_MARK_LAYER_END);
TRACE_DEFINE_ENUM(SENTINEL_DIR_NONE);
TRACE_DEFINE_ENUM(SENTINEL_DIR_FORWARD);
TRACE_DEFINE_ENUM(SENTINEL_DIR_BACKWARD);
TRACE_DEFINE_ENUM(SENTINEL_DIR_OPTIMIZER);
TRACE_DEFINE_ENUM(SNTL_SCAN_STEP);
TRACE_DEFINE_ENUM(SNTL_SCAN_LAYER);
TRACE_DEFINE_ENUM(SNTL_SCAN_STEADY);
TRACE_DEFINE_ENUM(SNTL_LIMIT_SESSIONS);
TRACE_DEFINE_ENUM(SNTL_LIMIT_OBJECTS);
TRACE_DEFINE_ENUM(SNTL_LIMIT_PROFILE_ENTRIES);
TRACE_DEFINE_ENUM(SNTL_LIMIT_SCAN_BUDGET);

#define sntl_show_mark(t)					\
	__print_symbolic(t,					\
			 { SENTINEL_MARK_STEP_BEGIN, "step_begin" },	\
			 { SENTINEL_MARK_STEP_END, "step_end" },	\
			 { SENTINEL_MARK_LAYER_BEGIN, "layer_begin" },	\
			 { SENTINEL_MARK_LAYER_END, "layer_end" })

#define sntl_show_dir(d)					\
	__print_symbolic(d,					\
			 { SENTINEL_DIR_NONE, "none" },		\
			 { SENTINEL_DIR_FORWARD, "forward" },	\
			 { SENTINEL_DIR_BACKWARD, "backward" },	\
			 { SENTINEL_DIR_OPTIMIZER, "optimizer" })

#define sntl_show_scan(k)					\
	__print_symbolic(k,					\
			 { SNTL_SCAN_STEP, "step" },		\
			 { SNTL_SCAN_LAYER, "layer" },		\
			 { SNTL_SCAN_STEADY, "steady" })

#define sntl_show_limit(l)					\
	__print_symbolic(l,					\
			 { SNTL_LIMIT_SESSIONS, "max_sessions" },	\
			 { SNTL_LIMIT_OBJECTS, "max_objects_per_session" }, \
			 { SNTL_LIMIT_PROFILE_ENTRIES, "profile_max_entries" }, \
			 { SNTL_LIMIT_SCAN_BUDGET, "steady_scan_budget" })

DECLARE_EVENT_CLASS(sentinel_session_class,
		    TP_PROTO(const struct sntl_session *s),
		    TP_ARGS(s),
		    TP_STRUCT__entry(__field(u64, session)
				     __field(u64, registered)
				     __field(u64, unregistered)
				     __field(u64, scans)
				     __field(s32, tgid)
				     __array(char, comm, TASK_COMM_LEN)),
		    TP_fast_assign(__entry->session = s->id;
				   __entry->registered = s->registered;
				   __entry->unregistered = s->unregistered;
				   __entry->scans = s->scans;
				   __entry->tgid = s->tgid;
				   memcpy(__entry->comm, s->comm, TASK_COMM_LEN);),
		    TP_printk("session=%llu tgid=%d comm=%s registered=%llu unregistered=%llu scans=%llu",
			      __entry->session, __entry->tgid, __entry->comm,
			      __entry->registered, __entry->unregistered, __entry->scans));

DEFINE_EVENT(sentinel_session_class, sentinel_session_open,
	     TP_PROTO(const struct sntl_session *s),
	     TP_ARGS(s));

DEFINE_EVENT(sentinel_session_class, sentinel_session_close,
	     TP_PROTO(const struct sntl_session *s),
	     TP_ARGS(s));

DECLARE_EVENT_CLASS(sentinel_objects_class,
		    TP_PROTO(const struct sntl_session *s, u32 count, u64 bytes,
			     u64 generation),
		    TP_ARGS(s, count, bytes, generation),
		    TP_STRUCT__entry(__field(u64, session)
				     __field(u64, bytes)
				     __field(u64, generation)
				     __field(u64, live_objects)
				     __field(u64, live_bytes)
				     __field(s32, tgid)
				     __field(u32, count)),
		    TP_fast_assign(__entry->session = s->id;
				   __entry->bytes = bytes;
				   __entry->generation = generation;
				   __entry->live_objects = s->nr_objects;
				   __entry->live_bytes = s->bytes;
				   __entry->tgid = s->tgid;
				   __entry->count = count;),
		    TP_printk("session=%llu tgid=%d count=%u bytes=%llu generation=%llu live_objects=%llu live_bytes=%llu",
			      __entry->session, __entry->tgid, __entry->count,
			      __entry->bytes, __entry->generation,
			      __entry->live_objects, __entry->live_bytes));

DEFINE_EVENT(sentinel_objects_class, sentinel_objects_added,
	     TP_PROTO(const struct sntl_session *s, u32 count, u64 bytes,
		      u64 generation),
	     TP_ARGS(s, count, bytes, generation));

DEFINE_EVENT(sentinel_objects_class, sentinel_objects_removed,
	     TP_PROTO(const struct sntl_session *s, u32 count, u64 bytes,
		      u64 generation),
	     TP_ARGS(s, count, bytes, generation));

TRACE_EVENT(sentinel_mark,
	    TP_PROTO(const struct sntl_session *s,
		     const struct sentinel_mark *m, u64 step, u64 seq,
		     u64 now),
	    TP_ARGS(s, m, step, seq, now),
	    TP_STRUCT__entry(__field(u64, session)
			     __field(u64, step)
			     __field(u64, seq)
			     __field(u64, ns)
			     __field(s32, tgid)
			     __field(u32, layer)
			     __field(u16, type)
			     __field(u16, direction)),
	    TP_fast_assign(__entry->session = s->id;
			   __entry->step = step;
			   __entry->seq = seq;
			   __entry->ns = now;
			   __entry->tgid = s->tgid;
			   __entry->layer = m->layer;
			   __entry->type = m->type;
			   __entry->direction = m->direction;),
	    TP_printk("session=%llu tgid=%d type=%s step=%llu layer=%u direction=%s seq=%llu ns=%llu",
		      __entry->session, __entry->tgid,
		      sntl_show_mark(__entry->type), __entry->step,
		      __entry->layer, sntl_show_dir(__entry->direction),
		      __entry->seq, __entry->ns));

TRACE_EVENT(sentinel_scan_begin,
	    TP_PROTO(const struct sntl_session *s, u32 kind),
	    TP_ARGS(s, kind),
	    TP_STRUCT__entry(__field(u64, session)
			     __field(s32, tgid)
			     __field(u32, kind)),
	    TP_fast_assign(__entry->session = s->id;
			   __entry->tgid = s->tgid;
			   __entry->kind = kind;),
	    TP_printk("session=%llu tgid=%d kind=%s",
		      __entry->session, __entry->tgid,
		      sntl_show_scan(__entry->kind)));

TRACE_EVENT(sentinel_scan_end,
	    TP_PROTO(const struct sntl_session *s, u32 kind, u64 pages,
		     u64 young, u64 ns),
	    TP_ARGS(s, kind, pages, young, ns),
	    TP_STRUCT__entry(__field(u64, session)
			     __field(u64, pages)
			     __field(u64, young)
			     __field(u64, ns)
			     __field(s32, tgid)
			     __field(u32, kind)),
	    TP_fast_assign(__entry->session = s->id;
			   __entry->pages = pages;
			   __entry->young = young;
			   __entry->ns = ns;
			   __entry->tgid = s->tgid;
			   __entry->kind = kind;),
	    TP_printk("session=%llu tgid=%d kind=%s pages=%llu young=%llu ns=%llu",
		      __entry->session, __entry->tgid,
		      sntl_show_scan(__entry->kind), __entry->pages,
		      __entry->young, __entry->ns));

TRACE_EVENT(sentinel_profile_ready,
	    TP_PROTO(const struct sntl_session *s,
		     const struct sentinel_profile_hdr *h),
	    TP_ARGS(s, h),
	    TP_STRUCT__entry(__field(u64, session)
			     __field(u64, generation)
			     __field(u64, first_step)
			     __field(u64, scan_ns)
			     __field(u64, scanned_pages)
			     __field(s32, tgid)
			     __field(u32, steps)
			     __field(u32, layers)
			     __field(u32, entries)
			     __field(u32, objects)
			     __field(u32, flags)),
	    TP_fast_assign(__entry->session = s->id;
			   __entry->generation = h->generation;
			   __entry->first_step = h->first_step;
			   __entry->scan_ns = h->scan_ns;
			   __entry->scanned_pages = h->scanned_pages;
			   __entry->tgid = s->tgid;
			   __entry->steps = h->nr_steps;
			   __entry->layers = h->nr_layers;
			   __entry->entries = h->nr_entries;
			   __entry->objects = h->nr_objects;
			   __entry->flags = h->flags;),
	    TP_printk("session=%llu tgid=%d generation=%llu first_step=%llu steps=%u layers=%u entries=%u objects=%u flags=%#x scan_ns=%llu scanned_pages=%llu",
		      __entry->session, __entry->tgid, __entry->generation,
		      __entry->first_step, __entry->steps, __entry->layers,
		      __entry->entries, __entry->objects, __entry->flags,
		      __entry->scan_ns, __entry->scanned_pages));

TRACE_EVENT(sentinel_limit,
	    TP_PROTO(const struct sntl_session *s, u32 limit, u64 value,
		     u64 wanted),
	    TP_ARGS(s, limit, value, wanted),
	    TP_STRUCT__entry(__field(u64, session)
			     __field(u64, value)
			     __field(u64, wanted)
			     __field(s32, tgid)
			     __field(u32, limit)),
	    TP_fast_assign(__entry->session = s ? s->id : 0;
			   __entry->value = value;
			   __entry->wanted = wanted;
			   __entry->tgid = s ? s->tgid : task_tgid_nr(current);
			   __entry->limit = limit;),
	    TP_printk("session=%llu tgid=%d limit=%s value=%llu wanted=%llu",
		      __entry->session, __entry->tgid,
		      sntl_show_limit(__entry->limit), __entry->value,
		      __entry->wanted));

/*
 * A SENTINEL_IOC_WAIT of the session's process ended: it waited @ns for
 * the daemon to acknowledge mark @seq; @ret is the command's result (0,
 * -ETIMEDOUT, -ENOTCONN, -EINTR).
 */
TRACE_EVENT(sentinel_wait,
	    TP_PROTO(const struct sntl_session *s, u64 seq, u64 ns, int ret),
	    TP_ARGS(s, seq, ns, ret),
	    TP_STRUCT__entry(__field(u64, session)
			     __field(u64, seq)
			     __field(u64, ns)
			     __field(s32, tgid)
			     __field(s32, ret)),
	    TP_fast_assign(__entry->session = s->id;
			   __entry->seq = seq;
			   __entry->ns = ns;
			   __entry->tgid = s->tgid;
			   __entry->ret = ret;),
	    TP_printk("session=%llu tgid=%d seq=%llu ns=%llu ret=%d",
		      __entry->session, __entry->tgid, __entry->seq,
		      __entry->ns, __entry->ret));

#endif /* _SENTINEL_TRACE_H */

/* This part must be outside the include guard. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
