// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libsentinel without the module: every session call is a cheap no-op
 * that reports SNTL_ENOTAVAIL, and the allocator works unchanged.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sentinel.h>

#include "tap.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
	struct sntl_open_opts o = { .size = sizeof(o),
				    .device = "/nonexistent/sentinel" };
	struct sntl_object obj = { 0 };
	struct sntl_obj_info info;
	struct sntl_session_stats ss;
	struct sntl_module_info mi;
	struct sntl_alloc_info ai;
	struct sntl_alloc_stats st;
	struct sntl_cursor cur = SNTL_CURSOR_INIT;
	uint64_t id = 1;
	size_t err;
	double t0, dt;
	char *p, *q;
	int i, all;


	/* Before anything: no constructor ran, the library is usable. */
	ok(sntl_state() == SNTL_STATE_CLOSED, "initial state is closed");
	ok(!sntl_available(), "not available before open");
	ok(sntl_open(&o) == SNTL_ENOTAVAIL, "open of a missing device: ENOTAVAIL");
	if (access("/dev/sentinel", F_OK))
		ok(sntl_open(NULL) == SNTL_ENOTAVAIL,
		   "open of the default device on this host: ENOTAVAIL");
	else
		ok(1, "# SKIP /dev/sentinel exists here");
	ok(sntl_state() == SNTL_STATE_CLOSED, "still closed");

	ok(sntl_step_begin(1) == SNTL_ENOTAVAIL, "step_begin: ENOTAVAIL");
	ok(sntl_layer_begin(0, SNTL_DIR_FORWARD) == SNTL_ENOTAVAIL,
	   "layer_begin: ENOTAVAIL");
	ok(sntl_layer_end(0, SNTL_DIR_FORWARD) == SNTL_ENOTAVAIL,
	   "layer_end: ENOTAVAIL");
	ok(sntl_step_end(1) == SNTL_ENOTAVAIL, "step_end: ENOTAVAIL");
	ok(sntl_layer_begin(SNTL_LAYER_NONE, SNTL_DIR_FORWARD) == SNTL_EINVAL,
	   "argument errors are still reported");
	obj.addr = &id;
	obj.len = 4096;
	obj.id = 7;
	ok(sntl_register(&obj, 1, &err) == SNTL_ENOTAVAIL, "register: ENOTAVAIL");
	ok(sntl_unregister(&id, 1, &err) == SNTL_ENOTAVAIL, "unregister: ENOTAVAIL");
	ok(sntl_query(&id, 1, &info, 0, &err) == SNTL_ENOTAVAIL, "query: ENOTAVAIL");
	ok(sntl_query_next(&cur, &info, 1, 0) == SNTL_ENOTAVAIL,
	   "query_next: ENOTAVAIL");
	ok(sntl_session_stats(&ss) == SNTL_ENOTAVAIL, "session_stats: ENOTAVAIL");
	ok(sntl_module_info(&mi) == SNTL_ENOTAVAIL, "module_info: ENOTAVAIL");
	ok(sntl_flush() == SNTL_ENOTAVAIL, "flush: ENOTAVAIL");
	ok(sntl_close() == SNTL_ENOTAVAIL, "close: ENOTAVAIL");

	/* Cheap: a million marks well under a second even under ASan. */
	t0 = now();
	for (i = 0; i < 1000000; i++)
		sntl_layer_begin((uint32_t)i & 0xff, SNTL_DIR_FORWARD);
	dt = now() - t0;
	ok(dt < 1.0, "1e6 layer marks without a session took %.3f s", dt);

	/* The allocator works and registers nothing. */
	p = sntl_alloc(1 << 20, SNTL_KIND_ACTIVATION, SNTL_LIFE_STEP);
	q = sntl_alloc(100, SNTL_KIND_WORKSPACE, SNTL_LIFE_SHORT);
	ok(p && q, "allocations succeed without a session");
	memset(p, 1, 1 << 20);
	memset(q, 2, 100);
	ok(sntl_alloc_info(p, &ai) == 0 && !ai.registered && ai.mapped == (1 << 20),
	   "long-lived allocation: own pages, not registered");
	ok(sntl_alloc_info(q, &ai) == 0 && !ai.registered && ai.mapped == 0,
	   "short-lived allocation: in the region, not registered");
	ok(sntl_alloc_stats(&st) == 0 && st.pending_register == 0 &&
	   st.registered == 0, "nothing queued for the module");
	all = 1;
	for (i = 0; i < 100; i++)
		all &= q[i] == 2;
	ok(all, "contents intact");
	ok(sntl_free(p) == 0 && sntl_free(q) == 0, "frees succeed");
	ok(sntl_set_placement(1, 0) == 0 && sntl_get_placement(1) == 0,
	   "placements work without a session");
	ok(sntl_clear_placements() == 0 && sntl_get_placement(1) == SNTL_ENOENT,
	   "placements cleared");
	return tap_done();
}
