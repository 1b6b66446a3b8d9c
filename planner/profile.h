/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The profile blob of SENTINEL_IOC_PROFILE_READ / SENTINEL_CMD_GET_PROFILE:
 * validation and per-layer summaries.  Pure: no I/O.
 */
#ifndef SENTINELD_PROFILE_H
#define SENTINELD_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include <linux/sentinel.h>

#define PROF_KINDS (__SENTINEL_KIND_MAX + 1)	/* the last one: unknown object */

struct prof {
	struct sentinel_profile_hdr h;
	const struct sentinel_profile_layer *layers;
	const struct sentinel_profile_entry *entries;
	const struct sentinel_profile_object *objects;
	uint32_t *by_id;	/* object indexes sorted by id */
};

/*
 * Check every count, offset and index of the blob at @buf (@len bytes,
 * 8-byte aligned, kept by the caller while @p is used).  0, or -1 with a
 * reason in @err.
 */
int prof_parse(const void *buf, size_t len, struct prof *p, char *err,
	       size_t errlen);
void prof_free(struct prof *p);

/* The object record with @id, or NULL. */
const struct sentinel_profile_object *prof_object(const struct prof *p,
						 uint64_t id);

/*
 * Bytes touched in layer record @i, per object kind (@out[kind]; entries
 * of objects missing from the object records in @out[PROF_KINDS - 1]).
 * A touched page counts @page_size bytes.
 */
void prof_layer_kinds(const struct prof *p, uint32_t i, uint64_t page_size,
		      uint64_t out[PROF_KINDS]);

#endif /* SENTINELD_PROFILE_H */
