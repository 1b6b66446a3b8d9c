/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Sentinel userspace API: the contract between sentinel.ko, the training
 * frameworks that use it (through /dev/sentinel) and the policy daemon
 * (through generic netlink).
 *
 * DOCUMENTATION: THE DEVICE
 * =========================
 *
 * Opening /dev/sentinel creates a *session* bound to the address space
 * (mm) of the opening process.  The session ends when its last file
 * reference is released (close, exit, crash); every object it registered
 * is freed then.  The device is owned by root, group "sentinel", mode 0660
 * (udev rule packaging/udev/60-sentinel.rules); a process without access gets
 * EACCES from open().  Opening fails with EMFILE when max_sessions sessions
 * exist, and with ENODEV while /sys/kernel/sentinel/enabled is 0.
 *
 * Only a process using the session's address space may issue ioctls on it:
 * a file descriptor inherited across fork() (or kept across execve()) gets
 * EPERM for every command except SENTINEL_IOC_VERSION; the child opens
 * its own session.  Open the device with O_CLOEXEC.  When the address
 * space is gone (the owner exited while another process still holds the
 * file), commands that need it fail with ESRCH.
 *
 * Every command's argument begins with "__u32 size; __u32 flags;".  The
 * caller sets size to sizeof() the structure it was compiled with.  A
 * size below the structure's first published version (SENTINEL_*_SIZE_V0)
 * is EINVAL; a size above what the module knows is accepted when the extra
 * bytes are all zero, else E2BIG; a size above SENTINEL_MAX_ARG_SIZE (4096)
 * is E2BIG whatever the bytes; fields beyond the caller's size read as
 * zero and are not written back.  The size encoded in the command number
 * is ignored: the size field rules.
 * Unknown bits in flags and non-zero reserved fields are EINVAL.  Arrays
 * passed by pointer carry their own element size (obj_size, info_size)
 * with the same rules, SENTINEL_MAX_ARG_SIZE included.  Pointers are
 * __u64 and every structure has the same layout for 32-bit and 64-bit
 * callers (no implicit padding, 64-bit fields 8-byte aligned), so 32-bit
 * processes use the same numbers.
 *
 * Errors common to all commands: EFAULT for a bad pointer, ENOTTY for an
 * unknown command, EINTR when a fatal signal arrives while waiting for a
 * lock (no partial effect is left behind).
 *
 * Stalls.  The module copies a command's arrays in before it takes any
 * lock that another path (another thread's command, the scanner, netlink,
 * sysfs) may wait for, and copies answers out after releasing it.  A
 * page fault on the caller's memory that does not resolve (userfaultfd, a
 * slow file) therefore stalls only the calling thread; the session's other
 * commands, the netlink family and every other session go on.
 *
 * SENTINEL_IOC_VERSION (struct sentinel_version, read/write)
 *   Out: major, minor (SENTINEL_VERSION_*), the feature bits the module
 *   implements (SENTINEL_FEAT_*), the largest batch (max_batch) and the
 *   number of nodes reported per object (max_nodes).  A change of major
 *   is incompatible; minor only adds.
 *
 * SENTINEL_IOC_REGISTER (struct sentinel_register, read/write)
 *   Registers count objects, an array of struct sentinel_obj at objs, of
 *   obj_size bytes each, in one all-or-nothing batch: on any error no
 *   object of the batch is registered and err_index is the index of the
 *   offending entry (count when the error is not tied to an entry, such
 *   as a bad flags or reserved field of struct sentinel_register).
 *   err_index is written whenever the argument's own size is valid and it
 *   is writable; an argument refused for its size or an unwritable
 *   argument (EFAULT) leaves it alone.
 *   Per object:
 *     addr, len   the byte range [addr, addr + len); len > 0.  addr and
 *                 len must be multiples of the page size unless
 *                 SENTINEL_OBJ_F_PARTIAL is set; a partial object covers
 *                 every page its range touches for scans and residency,
 *                 and may share its first and last page with another
 *                 partial object (both then see that page).  Ranges are
 *                 compared byte-exact for overlap.
 *     id          chosen by the caller, unique among the session's live
 *                 objects.
 *     kind        SENTINEL_KIND_*.
 *     flags       SENTINEL_OBJ_F_*.
 *     layer_hint  the layer that allocated the object, or
 *                 SENTINEL_LAYER_NONE.
 *   Placement hints (SENTINEL_FEAT_HINTS): at most one of
 *   SENTINEL_OBJ_F_PIN_FAST (the object is in fast memory for the whole
 *   step, counted against the session's fast budget), NEVER_PROMOTE (it
 *   stays in slow memory), PREFER_FAST and PREFER_SLOW (a bias of the
 *   ranking, not a rule).  The module keeps the hint with the object and
 *   reports it wherever it reports the object's flags (queries, object
 *   events, profiles); the policy daemon's planner honours it.  A hint is
 *   for an object that outlives its layer: with SENTINEL_OBJ_F_SHORT_LIVED
 *   it is EINVAL.  To change an object's hint, unregister it and register
 *   it again.
 *   Errors: EINVAL (len 0, unaligned without PARTIAL, addr + len wraps,
 *   unknown kind or flag, more than one hint, a hint with SHORT_LIVED,
 *   reserved field set, count 0), E2BIG (count >
 *   SENTINEL_MAX_BATCH), EFAULT (range outside the user address space),
 *   ENOMEM (a page of the range is not mapped: every page must belong to
 *   a VMA at registration time; or out of kernel memory), EEXIST (id
 *   already live, also within the batch), EBUSY (range overlaps a live
 *   object, also within the batch), ENOSPC (the session would exceed
 *   max_objects_per_session).
 *
 * SENTINEL_IOC_UNREGISTER (struct sentinel_unregister, read/write)
 *   Unregisters count objects named by the __u64 ids at ids, all or
 *   nothing; err_index as above.  With SENTINEL_UNREG_ALL (count and ids
 *   0) every object of the session goes.  Errors: ENOENT (no live object
 *   with that id, also an id repeated in the batch), E2BIG (count >
 *   SENTINEL_MAX_BATCH), EINVAL (count 0, unknown flag), ENOMEM.
 *
 * SENTINEL_IOC_MARK (struct sentinel_mark, write)
 *   A phase mark: SENTINEL_MARK_STEP_BEGIN / STEP_END with the step
 *   number, SENTINEL_MARK_LAYER_BEGIN / LAYER_END with the layer id and
 *   direction (SENTINEL_DIR_*).  Step numbers strictly increase; a
 *   STEP_BEGIN while a step is open closes that step first (counted in
 *   unterminated_steps); STEP_END must name the open step.  Layer marks
 *   outside a step are accepted and counted, and ignored by profiling.
 *   A mark allocates nothing.  Errors: EINVAL (unknown type or direction,
 *   step number not above the last, STEP_END without the matching open
 *   step, layer id SENTINEL_LAYER_NONE).
 *
 * SENTINEL_IOC_QUERY (struct sentinel_query, read/write)
 *   Describes objects into an array of struct sentinel_obj_info at out,
 *   info_size bytes each, at most count of them.  Without
 *   SENTINEL_QUERY_ALL, ids points to count object ids and the i-th
 *   entry describes the i-th id (ENOENT, with err_index, when one is not
 *   live).  With SENTINEL_QUERY_ALL, ids must be 0 and objects are
 *   returned in increasing id order starting after cursor when
 *   SENTINEL_QUERY_CURSOR is set (from the smallest id otherwise);
 *   returned says how many were written and cursor is set to the last id
 *   returned; returned < count means the end was reached.  With
 *   SENTINEL_QUERY_RESIDENCY the module walks the page tables of each
 *   object and fills the page counts; otherwise they are zero.  Pages in
 *   mappings the walk does not count (hugetlb, VM_IO and VM_PFNMAP
 *   mappings) are reported in skipped_pages with
 *   SENTINEL_OBJ_STATE_NOT_COUNTED set: they are in neither present_pages
 *   nor unmapped_pages, which says "not counted", not "not present".
 *   count is at most SENTINEL_MAX_BATCH (E2BIG).  Objects are described
 *   in rounds of a few entries, each under the session lock, so a query
 *   racing a registration or an unregistration of the same session may
 *   see it between two rounds; each entry describes one live object.
 *
 * SENTINEL_IOC_STATS (struct sentinel_session_stats, read/write)
 *   The session's counters.  errors counts the commands issued by the
 *   session's own address space that failed, unknown commands (ENOTTY)
 *   included; a command refused with EPERM to another process holding the
 *   file is counted only module-wide (stats/errors in sysfs).  acct is
 *   what the policy daemon last sent for the session (SENTINEL_CMD_SET_ACCT):
 *   its migrations as the daemon accounted them, so that a job reads its
 *   own figures without access to the daemon.
 *
 * Staleness.  The module never touches registered memory, only the page
 * tables that map it, under the mmap lock, and only while the address
 * space is alive.  An object whose range is (partly) unmapped after
 * registration stays registered; every page-table walk checks the VMAs,
 * counts the pages without a VMA as unmapped_pages and sets
 * SENTINEL_OBJ_STATE_UNMAPPED when any page lacks one.  Such objects are
 * unregistered by the caller or freed with the session.
 *
 * SYNCHRONOUS MARKS
 * =================
 *
 * A daemon that migrates a session's objects at layer boundaries may
 * acknowledge each phase mark once the moves the mark's boundary needs
 * are complete (netlink SENTINEL_CMD_ACK_MARK).  The first acknowledgment
 * makes the daemon's netlink socket the session's acknowledger; closing
 * that socket (the daemon exits or dies) or SENTINEL_CMD_RELEASE_MARKS
 * (the daemon has no more moves to make at boundaries) releases it.  A
 * framework that wants every layer to start with its tensors in place
 * waits for the acknowledgment after its LAYER_BEGIN mark:
 *
 * SENTINEL_IOC_WAIT (struct sentinel_wait, read/write)
 *   Waits until mark seq (0: the session's latest mark) is acknowledged,
 *   for at most timeout_ms milliseconds (0: only report).  Out: acked, the
 *   highest mark sequence number acknowledged so far.  Returns 0 when it
 *   is; ENOTCONN at once (or as soon as it happens) when no acknowledger
 *   holds the session, so a job without a daemon never waits; ETIMEDOUT
 *   when the time ran out; EINVAL for a seq above the session's marks, a
 *   flag or a reserved field; EINTR on a fatal signal.  A mark's sequence
 *   number is the count of marks the session accepted up to and including
 *   it (as SENTINEL_EVT_MARK reports it).
 *
 * EXTENDING
 * =========
 * New fields go at the end of a structure (its size grows; old callers
 * pass the old size and get the defaults); new behaviour is asked for
 * with a new flag bit, which old modules reject with EINVAL; new commands
 * take new numbers.  Feature bits in sentinel_version.features say what
 * a module implements.
 *
 * PROFILES
 * ========
 *
 * A session is profiled over K steps after a warm-up of W steps (counted
 * in STEP_BEGIN marks; defaults from the sysfs knobs profile_warmup_steps
 * and profile_steps, per session with SENTINEL_IOC_PROFILE_CTL or the
 * netlink command SENTINEL_CMD_PROFILE_START).  During a profiled step,
 * the STEP_BEGIN mark clears the accessed bits of every object's pages,
 * and every LAYER_END mark tests and clears them again and records, per
 * object touched, the number of distinct pages touched since the previous
 * scan (the previous LAYER_END of the step, or its STEP_BEGIN).  A PMD-
 * mapped THP counts as its base pages.  With the sysfs
 * knob tlb_flush set (default), the TLB is flushed after each clearing
 * pass, so a page touched in a layer is seen in that layer; without it a
 * page whose translation stayed cached may be missed.
 *
 * SENTINEL_IOC_PROFILE_CTL (struct sentinel_profile_ctl, read/write)
 *   op SENTINEL_PROFILE_OP_START arms profiling: warmup steps to skip from
 *   now, then steps profiled steps (1..SENTINEL_MAX_PROFILE_STEPS);
 *   SENTINEL_PROFILE_OP_STOP disarms it and drops a profile in progress;
 *   SENTINEL_PROFILE_OP_STATUS only reports.  Out: state
 *   (SENTINEL_PROFILE_STATE_*), generation (increments when a profile
 *   completes).  Errors: EINVAL (unknown op, steps out of range, warmup
 *   above SENTINEL_MAX_WARMUP).  Layer records of a profile never end
 *   before they begin, also when several threads mark the session: a
 *   mark applied after a later-stamped one is dated at that one's time.
 *
 * SENTINEL_IOC_PROFILE_READ (struct sentinel_profile_read, read/write)
 *   Copies the last complete profile into buf (buf_len bytes): a struct
 *   sentinel_profile_hdr, then nr_layers struct sentinel_profile_layer,
 *   then nr_entries struct sentinel_profile_entry, then nr_objects struct
 *   sentinel_profile_object, each array at the offset the header gives.
 *   Out: needed, the profile's size in bytes.  ENOENT when no profile is
 *   complete, ENOSPC when buf_len < needed (nothing copied).
 *
 * Steady scans.  Outside profiled steps, every steady_scan_interval-th
 * STEP_END (sysfs; 0 disables) scans objects for touched pages, at most
 * steady_scan_budget pages per scan, resuming where the previous scan
 * stopped (inside an object if need be); the counts appear in
 * sentinel_obj_info.steady_* and the scan sizes in the session's
 * statistics (steady_max_pages never exceeds the budget in force).
 *
 * PLACEMENT
 * =========
 *
 * The daemon publishes, per session, where each logical object should be
 * born: a map of (id, node) sorted by id, where id is the object id as
 * the framework names it without its instance bits (for libsentinel, the
 * logical id: bits 0..55 of its object ids).  The framework reads it and
 * places new allocations there (per-node arenas, mbind), so that objects
 * allocated every step need no migration.  An entry with id
 * SENTINEL_PLACEMENT_OTHERS, the largest id and so the last, names the
 * node of every object no other entry names: an object the plan does not
 * know is born there (sentineld: the slow node) until a plan knows it.
 *
 * SENTINEL_IOC_GET_PLACEMENT (struct sentinel_placement_get, read/write)
 *   Copies up to count struct sentinel_placement entries into buf.  Out:
 *   total (entries in the map), returned, generation (increments with
 *   each map the daemon publishes; 0: none yet).  count 0 only reports.
 *   ENOSPC when 0 < count < total (nothing copied); EFAULT for a bad buf.
 *
 * GENERIC NETLINK
 * ===============
 * Family SENTINEL_GENL_NAME, version SENTINEL_GENL_VERSION, multicast
 * group SENTINEL_GENL_MCGRP_EVENTS.  Every command, and joining the
 * group, requires CAP_NET_ADMIN (EPERM).  Attributes are validated by a
 * strict policy per command: unknown attributes and wrong types are
 * EINVAL, and so is a wrong length for a fixed-size type (u8, u32, u64);
 * a flag with a payload is ERANGE (the kernel's policy checks); a missing
 * required attribute or an unknown session EINVAL or
 * ENOENT, each with an extended ack message (on 6.1, errors found when a
 * dump starts carry no message: that kernel drops it).  Unknown commands
 * are EOPNOTSUPP.
 *
 * SENTINEL_CMD_GET_STATUS (do): SENTINEL_A_VERSION, SENTINEL_A_STATS.
 * SENTINEL_CMD_GET_SESSION (do with SENTINEL_A_SESSION_ID, or dump):
 *   one message per session: SESSION_ID, PID, COMM, OBJECTS, BYTES,
 *   MARKS, STEPS, STEP, GENERATION, PROFILE_STATE, PROFILE_GENERATION,
 *   PLACEMENT_GENERATION.  ENOENT for an unknown session.  A new session starts in
 *   SENTINEL_PROFILE_STATE_WARMUP when the auto_profile knob is set
 *   (IDLE otherwise).  GENERATION counts registry batches that changed
 *   something.
 * SENTINEL_CMD_GET_OBJECTS (dump, SENTINEL_A_SESSION_ID required,
 *   SENTINEL_A_RESIDENCY flag optional, SENTINEL_A_CURSOR optional: start
 *   after that id): one SENTINEL_A_OBJECT nest per object, in id order,
 *   resumed across dump messages, so a dump is complete even with
 *   millions of objects.  Every message carries the session's
 *   GENERATION; a dump whose generations differ raced a registration.
 * SENTINEL_CMD_GET_PROFILE (dump, SENTINEL_A_SESSION_ID): the profile
 *   as SENTINEL_IOC_PROFILE_READ gives it, in SENTINEL_A_PROFILE_DATA
 *   chunks with SENTINEL_A_OFFSET; ENOENT when there is none.
 * SENTINEL_CMD_PROFILE_START / SENTINEL_CMD_PROFILE_STOP (do,
 *   SENTINEL_A_SESSION_ID, optional SENTINEL_A_WARMUP and
 *   SENTINEL_A_STEPS): as SENTINEL_IOC_PROFILE_CTL.
 * SENTINEL_CMD_ACK_MARK (do): SENTINEL_A_SESSION_ID, SENTINEL_A_SEQ:
 *   acknowledges every mark of the session up to SEQ (see SYNCHRONOUS
 *   MARKS) and makes the sender's socket its acknowledger.  EINVAL (with
 *   extack) for a SEQ above the session's marks or a missing attribute;
 *   EBUSY when another socket is the acknowledger.  Acknowledgments never
 *   go back: a lower SEQ than one acknowledged is accepted and changes
 *   nothing.
 * SENTINEL_CMD_RELEASE_MARKS (do): SENTINEL_A_SESSION_ID: the sender's
 *   socket stops acknowledging the session (see SYNCHRONOUS MARKS); its
 *   waiters return ENOTCONN at once, as when the socket closes.  0 also
 *   when the session has no acknowledger; EBUSY when another socket is
 *   its acknowledger; ENOENT for an unknown session.  A later
 *   SENTINEL_CMD_ACK_MARK takes the session again.  Modules with
 *   SENTINEL_FEAT_RELEASE implement it.
 * SENTINEL_CMD_SET_PLACEMENT (do): SENTINEL_A_SESSION_ID, SENTINEL_A_COUNT
 *   (entries of the whole map, at most max_objects_per_session),
 *   SENTINEL_A_OFFSET (index of this message's first entry) and
 *   SENTINEL_A_PLACEMENT (binary, struct sentinel_placement entries, at
 *   most SENTINEL_PLACEMENT_CHUNK per message; required unless COUNT is
 *   0, which publishes an empty map: EINVAL with extack when missing).  A map is sent in order,
 *   offset 0 first (which starts a new map and drops an unfinished one);
 *   the map is published when its last entry arrives.  Ids must strictly
 *   increase across the whole map, nodes be below MAX_NUMNODES, flags 0.
 *   EINVAL (with extack) for a gap, a disorder or a bad entry, E2BIG for
 *   a count over the limit.
 * SENTINEL_CMD_SET_ACCT (do): SENTINEL_A_SESSION_ID, SENTINEL_A_JOB_ACCT
 *   (binary, one struct sentinel_job_acct with updates 0): replaces what
 *   SENTINEL_IOC_STATS reports in its acct for the session, and counts
 *   one update.  EINVAL (with extack) when the attribute is missing, not
 *   of that size, or has updates set; ENOENT for an unknown session.
 *   Modules with SENTINEL_FEAT_JOB_ACCT implement it.
 *
 * Events (multicast, the command names the event):
 *   SENTINEL_EVT_SESSION_OPEN / SESSION_CLOSE: SESSION_ID, PID, COMM.
 *   SENTINEL_EVT_OBJECTS_ADDED / OBJECTS_REMOVED: SESSION_ID, COUNT,
 *     BYTES, GENERATION (one event per batch).  A batch of at most
 *     SENTINEL_EVT_MAX_OBJECTS objects also carries them, one
 *     SENTINEL_A_OBJECT nest each as in a GET_OBJECTS dump without
 *     residency (ID, ADDR, LEN, KIND, FLAGS, LAYER_HINT, PAGES; for
 *     OBJECTS_REMOVED what they were), in no particular order: a listener
 *     that holds the objects of GENERATION - 1 applies the event to them
 *     and has GENERATION's without a dump.  Larger batches, and the
 *     removal of every object of a session, carry none: their objects
 *     come from a GET_OBJECTS dump.  Modules with
 *     SENTINEL_FEAT_OBJECT_EVENTS send them.
 *   SENTINEL_EVT_MARK: SESSION_ID, MARK_TYPE, STEP or LAYER+DIRECTION,
 *     TIMESTAMP (CLOCK_MONOTONIC ns), SEQ (per-session mark number).
 *   SENTINEL_EVT_PROFILE_READY: SESSION_ID, PROFILE_GENERATION, STEP.
 *   SENTINEL_EVT_SCAN: SESSION_ID, PAGES, YOUNG, SCAN_NS, PROFILING.
 * Events are sent only while someone listens.  An event that cannot be
 * allocated or delivered is counted (SENTINEL_A_STATS_DROPPED); a
 * listener that sees ENOBUFS on its socket, or a gap in GENERATION or
 * SEQ, resynchronises with the dumps: no state exists only in events.
 *
 * The family runs its commands in parallel (it takes no genetlink-wide
 * lock), and its dumps wait for no per-session lock: a session message
 * is a lock-free reading of the session's counters, which may fall
 * between two batches of a busy session (GENERATION tells).
 */
#ifndef _UAPI_LINUX_SENTINEL_H
#define _UAPI_LINUX_SENTINEL_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#define SENTINEL_VERSION_MAJOR 0
#define SENTINEL_VERSION_MINOR 2
#define SENTINEL_VERSION_STRING "0.2"

#define SENTINEL_DEVICE "/dev/sentinel"

/* Feature bits (sentinel_version.features). */
#define SENTINEL_FEAT_REGISTRY		_BITULL(0)
#define SENTINEL_FEAT_MARKS		_BITULL(1)
#define SENTINEL_FEAT_RESIDENCY		_BITULL(2)
#define SENTINEL_FEAT_PROFILE		_BITULL(3)
#define SENTINEL_FEAT_STEADY		_BITULL(4)
#define SENTINEL_FEAT_NETLINK		_BITULL(5)
#define SENTINEL_FEAT_PLACEMENT		_BITULL(6)
#define SENTINEL_FEAT_SYNC		_BITULL(7)
#define SENTINEL_FEAT_RELEASE		_BITULL(8)
#define SENTINEL_FEAT_OBJECT_EVENTS	_BITULL(9)
#define SENTINEL_FEAT_HINTS		_BITULL(10)
#define SENTINEL_FEAT_JOB_ACCT		_BITULL(11)

#define SENTINEL_MAX_BATCH	65536	/* objects or ids per command */
#define SENTINEL_MAX_NODES	8	/* nodes reported per object */
#define SENTINEL_LAYER_NONE	0xffffffffU
#define SENTINEL_MAX_ARG_SIZE	4096	/* command and array element sizes */
#define SENTINEL_MAX_WARMUP	1000000	/* warm-up steps before a profile */
#define SENTINEL_EVT_MAX_OBJECTS 32	/* objects an object event carries */

/* Object kinds. */
enum sentinel_kind {
	SENTINEL_KIND_OTHER = 0,
	SENTINEL_KIND_WEIGHT = 1,
	SENTINEL_KIND_ACTIVATION = 2,
	SENTINEL_KIND_GRADIENT = 3,
	SENTINEL_KIND_OPTIMIZER = 4,	/* optimizer state */
	SENTINEL_KIND_WORKSPACE = 5,
	__SENTINEL_KIND_MAX,
};

/* sentinel_obj.flags */
#define SENTINEL_OBJ_F_PARTIAL		_BITUL(0) /* addr/len need not be page-aligned */
#define SENTINEL_OBJ_F_SHORT_LIVED	_BITUL(1) /* lives within one layer */
/* Placement hints (SENTINEL_FEAT_HINTS; at most one, never SHORT_LIVED). */
#define SENTINEL_OBJ_F_PIN_FAST		_BITUL(2) /* fast memory all step */
#define SENTINEL_OBJ_F_NEVER_PROMOTE	_BITUL(3) /* slow memory all step */
#define SENTINEL_OBJ_F_PREFER_FAST	_BITUL(4) /* ranked as if hotter */
#define SENTINEL_OBJ_F_PREFER_SLOW	_BITUL(5) /* ranked as if colder */
#define SENTINEL_OBJ_F_HINTS		(SENTINEL_OBJ_F_PIN_FAST | \
					 SENTINEL_OBJ_F_NEVER_PROMOTE | \
					 SENTINEL_OBJ_F_PREFER_FAST | \
					 SENTINEL_OBJ_F_PREFER_SLOW)
#define SENTINEL_OBJ_F_ALL		(SENTINEL_OBJ_F_PARTIAL | \
					 SENTINEL_OBJ_F_SHORT_LIVED | \
					 SENTINEL_OBJ_F_HINTS)

/* sentinel_obj_info.state */
#define SENTINEL_OBJ_STATE_UNMAPPED	_BITUL(0) /* some page has no VMA */
#define SENTINEL_OBJ_STATE_MM_GONE	_BITUL(1) /* address space exited */
#define SENTINEL_OBJ_STATE_NOT_COUNTED	_BITUL(2) /* some page not counted */

/**
 * struct sentinel_version - SENTINEL_IOC_VERSION
 * @size: sizeof(struct sentinel_version) as compiled by the caller
 * @flags: must be 0
 * @major: out, SENTINEL_VERSION_MAJOR of the module
 * @minor: out, SENTINEL_VERSION_MINOR of the module
 * @max_batch: out, largest count per batch command
 * @max_nodes: out, node_pages[] entries per object
 * @features: out, SENTINEL_FEAT_* bits
 */
struct sentinel_version {
	__u32 size;
	__u32 flags;
	__u32 major;
	__u32 minor;
	__u32 max_batch;
	__u32 max_nodes;
	__u64 features;
};

/**
 * struct sentinel_obj - one object to register
 * @addr: start address in the caller's address space
 * @len: length in bytes
 * @id: caller-chosen id, unique among live objects of the session
 * @kind: enum sentinel_kind
 * @flags: SENTINEL_OBJ_F_*
 * @layer_hint: allocating layer, or SENTINEL_LAYER_NONE
 * @reserved: must be 0
 */
struct sentinel_obj {
	__u64 addr;
	__u64 len;
	__u64 id;
	__u16 kind;
	__u16 flags;
	__u32 layer_hint;
	__u64 reserved;
};

/**
 * struct sentinel_register - SENTINEL_IOC_REGISTER
 * @size: sizeof(struct sentinel_register)
 * @flags: must be 0
 * @count: number of objects at @objs, 1..SENTINEL_MAX_BATCH
 * @obj_size: sizeof(struct sentinel_obj) as compiled by the caller
 * @objs: user pointer to the array
 * @err_index: out, index of the entry that failed, or @count
 * @reserved: must be 0
 */
struct sentinel_register {
	__u32 size;
	__u32 flags;
	__u32 count;
	__u32 obj_size;
	__u64 objs;
	__u32 err_index;
	__u32 reserved;
};

#define SENTINEL_UNREG_ALL	_BITUL(0)

/**
 * struct sentinel_unregister - SENTINEL_IOC_UNREGISTER
 * @size: sizeof(struct sentinel_unregister)
 * @flags: SENTINEL_UNREG_ALL or 0
 * @count: number of ids at @ids (0 with SENTINEL_UNREG_ALL)
 * @err_index: out, index of the id that failed, or @count
 * @ids: user pointer to __u64 ids (0 with SENTINEL_UNREG_ALL)
 */
struct sentinel_unregister {
	__u32 size;
	__u32 flags;
	__u32 count;
	__u32 err_index;
	__u64 ids;
};

enum sentinel_mark_type {
	SENTINEL_MARK_STEP_BEGIN = 1,
	SENTINEL_MARK_STEP_END = 2,
	SENTINEL_MARK_LAYER_BEGIN = 3,
	SENTINEL_MARK_LAYER_END = 4,
};

enum sentinel_direction {
	SENTINEL_DIR_NONE = 0,		/* step marks */
	SENTINEL_DIR_FORWARD = 1,
	SENTINEL_DIR_BACKWARD = 2,
	SENTINEL_DIR_OPTIMIZER = 3,
};

/**
 * struct sentinel_mark - SENTINEL_IOC_MARK
 * @size: sizeof(struct sentinel_mark)
 * @flags: must be 0
 * @type: enum sentinel_mark_type
 * @direction: enum sentinel_direction; SENTINEL_DIR_NONE for step marks
 * @layer: layer id for layer marks, 0 for step marks
 * @step: step number for step marks, 0 for layer marks
 */
struct sentinel_mark {
	__u32 size;
	__u32 flags;
	__u16 type;
	__u16 direction;
	__u32 layer;
	__u64 step;
};

/**
 * struct sentinel_obj_info - one object as described by SENTINEL_IOC_QUERY
 * @addr: as registered
 * @len: as registered
 * @id: as registered
 * @kind: as registered
 * @flags: as registered
 * @layer_hint: as registered
 * @state: SENTINEL_OBJ_STATE_* seen by the last walk of this query
 * @reserved: 0
 * @pages: pages the object spans (with partial pages)
 * @present_pages: pages present in memory
 * @thp_pages: of the present pages, those mapped by a PMD-sized THP
 * @unmapped_pages: pages without a VMA
 * @node_pages: present pages per NUMA node; node SENTINEL_MAX_NODES - 1
 *	also counts pages of any higher node
 * @steady_scans: steady-mode scans that covered the object (all its pages)
 * @steady_touched: pages found touched by those scans, summed
 * @skipped_pages: pages in mappings the walk does not count (hugetlb,
 *	VM_IO, VM_PFNMAP): neither present nor unmapped (since minor 2)
 */
struct sentinel_obj_info {
	__u64 addr;
	__u64 len;
	__u64 id;
	__u16 kind;
	__u16 flags;
	__u32 layer_hint;
	__u32 state;
	__u32 reserved;
	__u64 pages;
	__u64 present_pages;
	__u64 thp_pages;
	__u64 unmapped_pages;
	__u64 node_pages[SENTINEL_MAX_NODES];
	__u64 steady_scans;
	__u64 steady_touched;
	__u64 skipped_pages;
};

#define SENTINEL_QUERY_ALL		_BITUL(0)
#define SENTINEL_QUERY_CURSOR		_BITUL(1)
#define SENTINEL_QUERY_RESIDENCY	_BITUL(2)

/**
 * struct sentinel_query - SENTINEL_IOC_QUERY
 * @size: sizeof(struct sentinel_query)
 * @flags: SENTINEL_QUERY_*
 * @count: ids at @ids, or capacity of @out with SENTINEL_QUERY_ALL
 * @info_size: sizeof(struct sentinel_obj_info) as compiled by the caller
 * @ids: user pointer to __u64 ids, 0 with SENTINEL_QUERY_ALL
 * @out: user pointer to the output array
 * @cursor: in/out with SENTINEL_QUERY_ALL: the last id returned
 * @returned: out, entries written
 * @err_index: out, index of the id that failed, or @count
 */
struct sentinel_query {
	__u32 size;
	__u32 flags;
	__u32 count;
	__u32 info_size;
	__u64 ids;
	__u64 out;
	__u64 cursor;
	__u32 returned;
	__u32 err_index;
};

/**
 * struct sentinel_job_acct - a session's migrations as the policy daemon
 * accounted them (netlink SENTINEL_CMD_SET_ACCT, read back with
 * SENTINEL_IOC_STATS), so that a job reads its own figures without
 * access to the daemon
 * @updates: times the daemon sent them (set by the module; the daemon
 *	sends 0).  0: never, and every other field is 0
 * @step: the last step accounted (the daemon sends them at each step
 *	begin, for the steps before it)
 * @steps: steps accounted
 * @promoted_bytes: bytes moved to the fast tier over those steps
 * @demoted_bytes: bytes moved to the slow tier
 * @late: promotions that missed their layer (done late, or not at all)
 * @late_bytes: their bytes
 * @budget: the session's fast-tier budget in bytes (0: not planned yet)
 * @touched_bytes: bytes its layers touched (the daemon's verify mode;
 *	else 0)
 * @fast_bytes: of those, bytes already on the fast tier when the layer
 *	began: @fast_bytes / @touched_bytes is the fast-served share
 */
struct sentinel_job_acct {
	__u64 updates;
	__u64 step;
	__u64 steps;
	__u64 promoted_bytes;
	__u64 demoted_bytes;
	__u64 late;
	__u64 late_bytes;
	__u64 budget;
	__u64 touched_bytes;
	__u64 fast_bytes;
};

/**
 * struct sentinel_session_stats - SENTINEL_IOC_STATS
 * @size: sizeof(struct sentinel_session_stats)
 * @flags: must be 0
 * @session_id: out, the session's id (as netlink reports it)
 * @objects: out, live objects
 * @bytes: out, bytes of the live objects
 * @registered: out, objects registered over the session's life
 * @unregistered: out, objects unregistered over the session's life
 * @marks: out, phase marks accepted
 * @steps: out, steps begun
 * @last_step: out, number of the last step begun
 * @unterminated_steps: out, steps closed by the next STEP_BEGIN
 * @outside_layer_marks: out, layer marks outside a step
 * @errors: out, commands of the session's own address space that failed,
 *	ENOTTY included (ENOSPC answers to the size probes of PROFILE_READ
 *	and GET_PLACEMENT excepted)
 * @profile_generation: out, profiles completed
 * @profile_state: out, enum sentinel_profile_state
 * @reserved: out, 0
 * @scans: out, scans of the session's objects (profiling and steady)
 * @scan_pages: out, pages tested by those scans
 * @scan_ns: out, time spent in those scans
 * @steady_scans: out, steady-mode scans
 * @steady_max_pages: out, most pages tested by one steady-mode scan
 * @steady_last_pages: out, pages tested by the last steady-mode scan
 * @steady_passes: out, steady-mode passes over every object completed
 * @acct: out, what the policy daemon accounted for the session (since
 *	SENTINEL_FEAT_JOB_ACCT; a caller that passes a smaller @size does not
 *	get it)
 */
struct sentinel_session_stats {
	__u32 size;
	__u32 flags;
	__u64 session_id;
	__u64 objects;
	__u64 bytes;
	__u64 registered;
	__u64 unregistered;
	__u64 marks;
	__u64 steps;
	__u64 last_step;
	__u64 unterminated_steps;
	__u64 outside_layer_marks;
	__u64 errors;
	__u64 profile_generation;
	__u32 profile_state;
	__u32 reserved;
	__u64 scans;
	__u64 scan_pages;
	__u64 scan_ns;
	__u64 steady_scans;
	__u64 steady_max_pages;
	__u64 steady_last_pages;
	__u64 steady_passes;
	struct sentinel_job_acct acct;
};

/* First published sizes: smaller structures are rejected with EINVAL. */
#define SENTINEL_VERSION_SIZE_V0	32
#define SENTINEL_OBJ_SIZE_V0		40
#define SENTINEL_REGISTER_SIZE_V0	32
#define SENTINEL_UNREGISTER_SIZE_V0	24
#define SENTINEL_MARK_SIZE_V0		24
#define SENTINEL_OBJ_INFO_SIZE_V0	136
#define SENTINEL_QUERY_SIZE_V0		48
#define SENTINEL_STATS_SIZE_V0		96
#define SENTINEL_PROFILE_CTL_SIZE_V0	32
#define SENTINEL_PROFILE_READ_SIZE_V0	24
#define SENTINEL_PLACEMENT_GET_SIZE_V0	40
#define SENTINEL_WAIT_SIZE_V0		32

#define SENTINEL_IOC_MAGIC	0xBE

#define SENTINEL_IOC_VERSION	_IOWR(SENTINEL_IOC_MAGIC, 0x00, struct sentinel_version)
#define SENTINEL_IOC_REGISTER	_IOWR(SENTINEL_IOC_MAGIC, 0x01, struct sentinel_register)
#define SENTINEL_IOC_UNREGISTER	_IOWR(SENTINEL_IOC_MAGIC, 0x02, struct sentinel_unregister)
#define SENTINEL_IOC_MARK	_IOW(SENTINEL_IOC_MAGIC, 0x03, struct sentinel_mark)
#define SENTINEL_IOC_QUERY	_IOWR(SENTINEL_IOC_MAGIC, 0x04, struct sentinel_query)
#define SENTINEL_IOC_STATS	_IOWR(SENTINEL_IOC_MAGIC, 0x05, struct sentinel_session_stats)
#define SENTINEL_IOC_PROFILE_CTL \
	_IOWR(SENTINEL_IOC_MAGIC, 0x06, struct sentinel_profile_ctl)
#define SENTINEL_IOC_PROFILE_READ \
	_IOWR(SENTINEL_IOC_MAGIC, 0x07, struct sentinel_profile_read)
#define SENTINEL_IOC_GET_PLACEMENT \
	_IOWR(SENTINEL_IOC_MAGIC, 0x08, struct sentinel_placement_get)
#define SENTINEL_IOC_WAIT	_IOWR(SENTINEL_IOC_MAGIC, 0x09, struct sentinel_wait)

/**
 * struct sentinel_wait - SENTINEL_IOC_WAIT
 * @size: sizeof(struct sentinel_wait)
 * @flags: must be 0
 * @seq: the mark to wait for; 0: the session's latest mark
 * @timeout_ms: longest wait in milliseconds; 0: do not wait
 * @reserved: 0
 * @acked: out, the highest mark acknowledged so far
 */
struct sentinel_wait {
	__u32 size;
	__u32 flags;
	__u64 seq;
	__u32 timeout_ms;
	__u32 reserved;
	__u64 acked;
};

/* Profiles. */
#define SENTINEL_PROFILE_VERSION	1
#define SENTINEL_MAX_PROFILE_STEPS	16

enum sentinel_profile_op {
	SENTINEL_PROFILE_OP_STATUS = 0,
	SENTINEL_PROFILE_OP_START = 1,
	SENTINEL_PROFILE_OP_STOP = 2,
};

enum sentinel_profile_state {
	SENTINEL_PROFILE_STATE_IDLE = 0,	/* not armed */
	SENTINEL_PROFILE_STATE_WARMUP = 1,	/* armed, skipping steps */
	SENTINEL_PROFILE_STATE_RUNNING = 2,	/* in a profiled step */
};

/**
 * struct sentinel_profile_ctl - SENTINEL_IOC_PROFILE_CTL
 * @size: sizeof(struct sentinel_profile_ctl)
 * @flags: must be 0
 * @op: enum sentinel_profile_op
 * @warmup: steps to skip before profiling, at most SENTINEL_MAX_WARMUP
 *	(START)
 * @steps: steps to profile, 1..SENTINEL_MAX_PROFILE_STEPS (START)
 * @state: out, enum sentinel_profile_state
 * @generation: out, number of profiles completed by the session
 */
struct sentinel_profile_ctl {
	__u32 size;
	__u32 flags;
	__u32 op;
	__u32 warmup;
	__u32 steps;
	__u32 state;
	__u64 generation;
};

/**
 * struct sentinel_profile_read - SENTINEL_IOC_PROFILE_READ
 * @size: sizeof(struct sentinel_profile_read)
 * @flags: must be 0
 * @buf: user pointer to the output buffer
 * @buf_len: its size in bytes
 * @needed: out, the profile's size in bytes
 */
struct sentinel_profile_read {
	__u32 size;
	__u32 flags;
	__u64 buf;
	__u32 buf_len;
	__u32 needed;
};

#define SENTINEL_PROFILE_F_EXACT	_BITUL(0) /* TLB flushed per layer */
#define SENTINEL_PROFILE_F_TRUNCATED	_BITUL(1) /* entry limit reached */

/**
 * struct sentinel_profile_hdr - start of a profile
 * @size: sizeof(struct sentinel_profile_hdr)
 * @version: SENTINEL_PROFILE_VERSION
 * @session_id: the profiled session
 * @generation: the session's profile generation
 * @first_step: number of the first profiled step
 * @nr_steps: profiled steps
 * @flags: SENTINEL_PROFILE_F_*
 * @nr_layers: layer records (one per LAYER_END of a profiled step)
 * @nr_entries: (layer, object) records
 * @nr_objects: object records
 * @layers_off: byte offset of the layer records
 * @entries_off: byte offset of the entries
 * @objects_off: byte offset of the object records
 * @total_size: size of the whole profile in bytes
 * @scan_ns: time spent scanning
 * @scanned_pages: pages whose accessed bit was tested
 */
struct sentinel_profile_hdr {
	__u32 size;
	__u32 version;
	__u64 session_id;
	__u64 generation;
	__u64 first_step;
	__u32 nr_steps;
	__u32 flags;
	__u32 nr_layers;
	__u32 nr_entries;
	__u32 nr_objects;
	__u32 layers_off;
	__u32 entries_off;
	__u32 objects_off;
	__u32 total_size;
	__u32 reserved;
	__u64 scan_ns;
	__u64 scanned_pages;
};

/**
 * struct sentinel_profile_layer - one LAYER_END of a profiled step
 * @step: step number
 * @layer: layer id
 * @direction: enum sentinel_direction
 * @reserved: 0
 * @first_entry: index of its first entry
 * @nr_entries: entries of this layer (objects touched)
 * @begin_ns: CLOCK_MONOTONIC time of the previous mark of the profiled
 *	step (the layer's LAYER_BEGIN when it has one)
 * @end_ns: CLOCK_MONOTONIC time of the LAYER_END mark
 * @scan_ns: time the scan at this mark took
 */
struct sentinel_profile_layer {
	__u64 step;
	__u32 layer;
	__u16 direction;
	__u16 reserved;
	__u32 first_entry;
	__u32 nr_entries;
	__u64 begin_ns;
	__u64 end_ns;
	__u64 scan_ns;
};

/**
 * struct sentinel_profile_entry - an object touched in a layer
 * @id: object id
 * @pages: distinct pages of the object touched since the previous mark
 */
struct sentinel_profile_entry {
	__u64 id;
	__u64 pages;
};

/**
 * struct sentinel_profile_object - an object as it was at profile end
 * @id: object id
 * @len: bytes
 * @pages: pages spanned
 * @kind: enum sentinel_kind
 * @flags: SENTINEL_OBJ_F_*
 * @layer_hint: as registered
 * @node_pages: present pages per node at the end of the profile
 */
struct sentinel_profile_object {
	__u64 id;
	__u64 len;
	__u64 pages;
	__u16 kind;
	__u16 flags;
	__u32 layer_hint;
	__u64 node_pages[SENTINEL_MAX_NODES];
};

/**
 * struct sentinel_placement - where a logical object is born
 * @id: logical object id
 * @node: NUMA node
 * @flags: 0
 */
struct sentinel_placement {
	__u64 id;
	__u32 node;
	__u32 flags;
};

#define SENTINEL_PLACEMENT_CHUNK	4000	/* entries per netlink message */
/* The id of the entry for every object the map does not name otherwise. */
#define SENTINEL_PLACEMENT_OTHERS	(~0ULL)

/**
 * struct sentinel_placement_get - SENTINEL_IOC_GET_PLACEMENT
 * @size: sizeof(struct sentinel_placement_get)
 * @flags: must be 0
 * @buf: user pointer to struct sentinel_placement entries
 * @count: capacity of @buf in entries
 * @returned: out, entries copied
 * @generation: out, the map's generation (0: no map yet)
 * @total: out, entries in the map
 * @reserved: 0
 */
struct sentinel_placement_get {
	__u32 size;
	__u32 flags;
	__u64 buf;
	__u32 count;
	__u32 returned;
	__u64 generation;
	__u32 total;
	__u32 reserved;
};

/* Generic netlink. */
#define SENTINEL_GENL_NAME		"sentinel"
#define SENTINEL_GENL_VERSION		1
#define SENTINEL_GENL_MCGRP_EVENTS	"events"

enum sentinel_cmd {
	SENTINEL_CMD_UNSPEC,
	SENTINEL_CMD_GET_STATUS,
	SENTINEL_CMD_GET_SESSION,
	SENTINEL_CMD_GET_OBJECTS,
	SENTINEL_CMD_GET_PROFILE,
	SENTINEL_CMD_PROFILE_START,
	SENTINEL_CMD_PROFILE_STOP,
	SENTINEL_CMD_SET_PLACEMENT,
	/* events */
	SENTINEL_EVT_SESSION_OPEN,
	SENTINEL_EVT_SESSION_CLOSE,
	SENTINEL_EVT_OBJECTS_ADDED,
	SENTINEL_EVT_OBJECTS_REMOVED,
	SENTINEL_EVT_MARK,
	SENTINEL_EVT_PROFILE_READY,
	SENTINEL_EVT_SCAN,
	/* commands added later */
	SENTINEL_CMD_ACK_MARK,
	SENTINEL_CMD_RELEASE_MARKS,
	SENTINEL_CMD_SET_ACCT,
	__SENTINEL_CMD_MAX,
};

#define SENTINEL_CMD_MAX (__SENTINEL_CMD_MAX - 1)

enum sentinel_attr {
	SENTINEL_A_UNSPEC,
	SENTINEL_A_PAD,
	SENTINEL_A_VERSION,		/* string */
	SENTINEL_A_STATS,		/* nest: SENTINEL_A_STATS_* */
	SENTINEL_A_SESSION_ID,		/* u64 */
	SENTINEL_A_PID,			/* u32 */
	SENTINEL_A_COMM,		/* string */
	SENTINEL_A_OBJECTS,		/* u64 */
	SENTINEL_A_BYTES,		/* u64 */
	SENTINEL_A_MARKS,		/* u64 */
	SENTINEL_A_STEPS,		/* u64, steps begun */
	SENTINEL_A_STEP,		/* u64, step number */
	SENTINEL_A_LAYER,		/* u32 */
	SENTINEL_A_DIRECTION,		/* u8 */
	SENTINEL_A_MARK_TYPE,		/* u8 */
	SENTINEL_A_TIMESTAMP,		/* u64, CLOCK_MONOTONIC ns */
	SENTINEL_A_SEQ,			/* u64 */
	SENTINEL_A_GENERATION,		/* u64, registry generation */
	SENTINEL_A_COUNT,		/* u32 */
	SENTINEL_A_OBJECT,		/* nest: SENTINEL_OBJ_A_* */
	SENTINEL_A_RESIDENCY,		/* flag */
	SENTINEL_A_CURSOR,		/* u64 */
	SENTINEL_A_PROFILE_STATE,	/* u8 */
	SENTINEL_A_PROFILE_GENERATION,	/* u64 */
	SENTINEL_A_PROFILE_DATA,	/* binary */
	SENTINEL_A_OFFSET,		/* u32 */
	SENTINEL_A_WARMUP,		/* u32 */
	SENTINEL_A_PAGES,		/* u64 */
	SENTINEL_A_YOUNG,		/* u64 */
	SENTINEL_A_SCAN_NS,		/* u64 */
	SENTINEL_A_PROFILING,		/* flag */
	SENTINEL_A_PLACEMENT,		/* binary: struct sentinel_placement[] */
	SENTINEL_A_PLACEMENT_GENERATION, /* u64 */
	SENTINEL_A_JOB_ACCT,		/* binary: struct sentinel_job_acct */
	__SENTINEL_A_MAX,
};

#define SENTINEL_A_MAX (__SENTINEL_A_MAX - 1)

enum sentinel_obj_attr {
	SENTINEL_OBJ_A_UNSPEC,
	SENTINEL_OBJ_A_PAD,
	SENTINEL_OBJ_A_ID,		/* u64 */
	SENTINEL_OBJ_A_ADDR,		/* u64 */
	SENTINEL_OBJ_A_LEN,		/* u64 */
	SENTINEL_OBJ_A_KIND,		/* u8 */
	SENTINEL_OBJ_A_FLAGS,		/* u32 */
	SENTINEL_OBJ_A_LAYER_HINT,	/* u32 */
	SENTINEL_OBJ_A_PAGES,		/* u64 */
	SENTINEL_OBJ_A_PRESENT,		/* u64 */
	SENTINEL_OBJ_A_THP,		/* u64 */
	SENTINEL_OBJ_A_UNMAPPED,	/* u64 */
	SENTINEL_OBJ_A_NODE_PAGES,	/* binary: __u64[SENTINEL_MAX_NODES] */
	__SENTINEL_OBJ_A_MAX,
};

#define SENTINEL_OBJ_A_MAX (__SENTINEL_OBJ_A_MAX - 1)

enum sentinel_stats_attr {
	SENTINEL_A_STATS_UNSPEC,
	SENTINEL_A_STATS_PAD,
	SENTINEL_A_STATS_SESSIONS,	/* u64 */
	SENTINEL_A_STATS_OBJECTS,	/* u64 */
	SENTINEL_A_STATS_BYTES,		/* u64 */
	SENTINEL_A_STATS_MARKS,		/* u64 */
	SENTINEL_A_STATS_ERRORS,	/* u64 */
	SENTINEL_A_STATS_DROPPED,	/* u64, events not delivered */
	SENTINEL_A_STATS_SCANS,		/* u64 */
	SENTINEL_A_STATS_SCAN_PAGES,	/* u64 */
	__SENTINEL_A_STATS_MAX,
};

#define SENTINEL_A_STATS_MAX (__SENTINEL_A_STATS_MAX - 1)

#endif /* _UAPI_LINUX_SENTINEL_H */
