// SPDX-License-Identifier: GPL-2.0
/*
 * The uapi structures have one layout for 32-bit and 64-bit callers: this
 * file is built both ways (uapi_layout, uapi_layout_m32) and checks every
 * size and offset against the published values, at compile time and
 * again at run time for the TAP report.
 */
#include <stddef.h>
#include <stdio.h>

#include <linux/sentinel.h>

#define CHECK(expr) _Static_assert(expr, #expr)

CHECK(sizeof(struct sentinel_version) == SENTINEL_VERSION_SIZE_V0);
CHECK(sizeof(struct sentinel_obj) == SENTINEL_OBJ_SIZE_V0);
CHECK(sizeof(struct sentinel_register) == SENTINEL_REGISTER_SIZE_V0);
CHECK(sizeof(struct sentinel_unregister) == SENTINEL_UNREGISTER_SIZE_V0);
CHECK(sizeof(struct sentinel_mark) == SENTINEL_MARK_SIZE_V0);
CHECK(sizeof(struct sentinel_obj_info) == 160);	/* V0 + steady + skipped */
CHECK(SENTINEL_OBJ_INFO_SIZE_V0 == 136);
CHECK(sizeof(struct sentinel_query) == SENTINEL_QUERY_SIZE_V0);
CHECK(sizeof(struct sentinel_session_stats) == 248);	/* V0 + scans + acct */
CHECK(sizeof(struct sentinel_job_acct) == 80);
CHECK(SENTINEL_STATS_SIZE_V0 == 96);
CHECK(sizeof(struct sentinel_profile_ctl) == SENTINEL_PROFILE_CTL_SIZE_V0);
CHECK(sizeof(struct sentinel_profile_read) == SENTINEL_PROFILE_READ_SIZE_V0);
CHECK(sizeof(struct sentinel_profile_hdr) == 88);
CHECK(sizeof(struct sentinel_profile_layer) == 48);
CHECK(sizeof(struct sentinel_profile_entry) == 16);
CHECK(sizeof(struct sentinel_profile_object) == 96);

struct field {
	const char *name;
	size_t off, want;
};

#define F(type, member, want) { #type "." #member, offsetof(struct type, member), want }

static const struct field fields[] = {
	F(sentinel_version, features, 24),
	F(sentinel_obj, addr, 0),
	F(sentinel_obj, len, 8),
	F(sentinel_obj, id, 16),
	F(sentinel_obj, kind, 24),
	F(sentinel_obj, flags, 26),
	F(sentinel_obj, layer_hint, 28),
	F(sentinel_obj, reserved, 32),
	F(sentinel_register, count, 8),
	F(sentinel_register, obj_size, 12),
	F(sentinel_register, objs, 16),
	F(sentinel_register, err_index, 24),
	F(sentinel_unregister, err_index, 12),
	F(sentinel_unregister, ids, 16),
	F(sentinel_mark, type, 8),
	F(sentinel_mark, direction, 10),
	F(sentinel_mark, layer, 12),
	F(sentinel_mark, step, 16),
	F(sentinel_obj_info, state, 32),
	F(sentinel_obj_info, pages, 40),
	F(sentinel_obj_info, node_pages, 72),
	F(sentinel_query, ids, 16),
	F(sentinel_query, out, 24),
	F(sentinel_query, cursor, 32),
	F(sentinel_query, returned, 40),
	F(sentinel_query, err_index, 44),
	F(sentinel_session_stats, session_id, 8),
	F(sentinel_session_stats, errors, 88),
	F(sentinel_session_stats, profile_state, 104),
	F(sentinel_session_stats, steady_passes, 160),
	F(sentinel_session_stats, acct, 168),
	F(sentinel_job_acct, fast_bytes, 72),
	F(sentinel_obj_info, steady_scans, 136),
	F(sentinel_obj_info, steady_touched, 144),
	F(sentinel_obj_info, skipped_pages, 152),
	F(sentinel_profile_ctl, generation, 24),
	F(sentinel_profile_read, buf, 8),
	F(sentinel_profile_read, needed, 20),
	F(sentinel_profile_hdr, first_step, 24),
	F(sentinel_profile_hdr, nr_layers, 40),
	F(sentinel_profile_hdr, total_size, 64),
	F(sentinel_profile_hdr, scan_ns, 72),
	F(sentinel_profile_layer, layer, 8),
	F(sentinel_profile_layer, first_entry, 16),
	F(sentinel_profile_layer, begin_ns, 24),
	F(sentinel_profile_object, kind, 24),
	F(sentinel_profile_object, node_pages, 32),
};

int main(void)
{
	size_t n = sizeof(fields) / sizeof(fields[0]), i;
	int failed = 0;

	printf("1..%zu\n", n);
	for (i = 0; i < n; i++) {
		int ok = fields[i].off == fields[i].want;

		printf("%sok %zu - %s at %zu (%zu-bit)\n", ok ? "" : "not ",
		       i + 1, fields[i].name, fields[i].off,
		       sizeof(void *) * 8);
		failed |= !ok;
	}
	return failed;
}
