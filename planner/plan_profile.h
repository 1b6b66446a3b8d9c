/* SPDX-License-Identifier: GPL-2.0 */
/*
 * From the uapi profile blob (SENTINEL_IOC_PROFILE_READ,
 * SENTINEL_CMD_GET_PROFILE) to the planner's input.  Pure C, no I/O.
 *
 * The blob is untrusted: every offset, count, size and index is checked,
 * and a blob that breaks the layout rules of uapi/linux/sentinel.h is
 * rejected with a message naming the offending record.
 *
 * What the conversion does (Documentation/planner.rst, "Profile input"):
 * - objects are named by their logical identity: for allocator object ids
 *   (bit 63 set, generation not serial) the generation bits 56-62 are
 *   cleared, so the copies of a logical object in successive steps are
 *   one object; other ids are kept (PP_RAW_IDS keeps every id);
 * - the layer records are split into steps; the layer sequence shared by
 *   most profiled steps (earliest on ties) is the step's template, and
 *   the steps with another sequence are ignored;
 * - per template layer: pages touched per object = the most over the
 *   used steps; compute time = the median over the used steps of
 *   end_ns - begin_ns, less the previous layer's scan time when the
 *   layer began at that layer's mark; or the caller's measured times;
 * - an object touched but gone at profile end has no record: its size is
 *   estimated as its most touched pages (PLAN_OBJ_F_ESTIMATED), its kind
 *   and short-lived class from its logical id when it has one.
 */
#ifndef SENTINELD_PLAN_PROFILE_H
#define SENTINELD_PLAN_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "planner.h"
/*
 * Allocator object ids and logical ids: libsentinel's encoding, defined
 * once in its public header (lib/include/sentinel.h, "Logical ids"); the
 * module treats ids as opaque.
 */
#include "sentinel.h"

/* pp_opts.flags */
#define PP_RAW_IDS	(1U << 0)	/* do not fold generations */


/**
 * struct pp_opts - conversion options (NULL: all defaults)
 * @page_size: the profiled machine's page size (0: 4096)
 * @flags: PP_*
 * @layer_ns: measured compute time per template layer (NULL: from the
 *	profile's timestamps); must have @nr_layer_ns == the template's
 *	number of layers
 * @nr_layer_ns: entries of @layer_ns
 */
struct pp_opts {
	uint32_t page_size;
	uint32_t flags;
	const uint64_t *layer_ns;
	uint32_t nr_layer_ns;
	uint32_t fast_mask;	/* nodes (< SENTINEL_MAX_NODES) of the fast tier */
};

/**
 * struct pp_profile - a converted profile; pp_free() releases the arrays
 * @in: the planner input; points into @objs, @layers and @acc
 * @objs, @layers, @acc: owned arrays
 * @session_id, @generation, @first_step: from the header
 * @nr_steps: distinct steps in the layer records
 * @steps_used: steps with the template sequence
 * @hdr_flags: SENTINEL_PROFILE_F_* of the header
 * @nr_estimated: objects without a record (size estimated)
 * @nr_records: object records in the blob
 */
struct pp_profile {
	struct plan_input in;
	struct plan_object *objs;
	struct plan_layer *layers;
	struct plan_access *acc;
	uint64_t session_id;
	uint64_t generation;
	uint64_t first_step;
	uint32_t nr_steps;
	uint32_t steps_used;
	uint32_t hdr_flags;
	uint32_t nr_estimated;
	uint32_t nr_records;
	uint32_t reserved;
	uint64_t fast_resident_pages;	/* on pp_opts.fast_mask nodes at profile end */
	uint64_t scan_ns;		/* the module's profiling scans */
	uint64_t span_ns;		/* first layer begin to last layer end */
};

/*
 * Convert the blob at @buf (@len bytes, any alignment).  0, or -EINVAL
 * with the reason in @err (nothing allocated), or -ENOMEM.
 */
int pp_parse(const void *buf, size_t len, const struct pp_opts *opts,
	     struct pp_profile *out, char *err, size_t errlen);

/*
 * The one check of a blob's layout, for every reader of profiles: its
 * length, version, header and total sizes, flags, number of steps, and
 * arrays (8-byte aligned offsets inside the blob, no overlap).  The blob
 * itself may have any alignment.  0 and the header in @hdr (may be
 * NULL), or -EINVAL with a reason in @err.
 */
int pp_check_blob(const void *buf, size_t len, struct sentinel_profile_hdr *hdr,
		  char *err, size_t errlen);
void pp_free(struct pp_profile *p);

/* The key an object id is folded to (see above). */
static inline uint64_t pp_key(uint64_t id, uint32_t flags)
{
	if (!(flags & PP_RAW_IDS) && (id & SNTL_ID_ALLOC) &&
	    SNTL_OBJECT_GEN(id) != SNTL_OBJECT_GEN_SERIAL)
		return SNTL_ID_ALLOC | (id & SNTL_LID_MASK);
	return id;
}

#endif /* SENTINELD_PLAN_PROFILE_H */
