// SPDX-License-Identifier: GPL-2.0
/*
 * sentineld's building blocks on the host: the JSON writer, the session
 * table's event rules (order, staleness, gaps), the profile parser against
 * hostile blobs, event parsing from raw netlink messages, the worker pool
 * and tier detection on a fake sysfs tree.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "daemon_tap.h"
#include "json.h"
#include "nl.h"
#include "profile.h"
#include "state.h"
#include "topology.h"
#include "workers.h"

static void test_json(void)
{
	struct jbuf b;

	jb_init(&b);
	jb_obj_begin(&b, NULL);
	jb_str(&b, "s", "a\"b\\c\n\x01\x7f");
	jb_u64(&b, "n", UINT64_MAX);
	jb_i64(&b, "i", -5);
	jb_bool(&b, "t", true);
	jb_null(&b, "z");
	jb_arr_begin(&b, "a");
	jb_u64(&b, NULL, 1);
	jb_obj_begin(&b, NULL);
	jb_obj_end(&b);
	jb_arr_end(&b);
	jb_str(&b, "u", "\xc3\xa9\xff\xe2\x82");
	jb_obj_end(&b);
	is_str(b.s, "{\"s\":\"a\\\"b\\\\c\\u000a\\u0001\\u007f\",\"n\":18446744073709551615,"
		    "\"i\":-5,\"t\":true,\"z\":null,\"a\":[1,{}],"
		    "\"u\":\"\xc3\xa9\\u00ff\\u00e2\\u0082\"}", "JSON escaping and commas");
	is_int(b.depth, 0, "balanced");
	jb_free(&b);
}

static struct snl_event ev(uint8_t cmd, uint64_t sid)
{
	struct snl_event e = { .cmd = cmd, .session_id = sid };

	return e;
}

static void test_state(void)
{
	struct sd_state st;
	struct snl_event e;
	struct sd_session *s;
	struct jbuf b;

	state_init(&st);
	e = ev(SENTINEL_EVT_SESSION_OPEN, 5);
	e.pid = 42;
	strcpy(e.comm, "train");
	is_int(state_apply(&st, &e), SD_APPLIED, "open");
	is_int(state_apply(&st, &e), SD_IGNORED, "open twice");
	e = ev(SENTINEL_EVT_SESSION_OPEN, 3);
	state_apply(&st, &e);
	is_int(st.n, 2, "two sessions");
	ok(st.s[0]->k.id == 3 && st.s[1]->k.id == 5, "sorted by id");

	e = ev(SENTINEL_EVT_OBJECTS_ADDED, 5);
	e.count = 3;
	e.bytes = 3 * 4096;
	e.generation = 1;
	is_int(state_apply(&st, &e), SD_NEED_OBJECTS, "added gen 1");
	s = state_find(&st, 5);
	ok(s && s->k.objects == 3 && s->k.bytes == 3 * 4096 && s->objs_stale, "counted");
	is_int(state_apply(&st, &e), SD_IGNORED, "gen 1 again: stale");
	e.generation = 3;
	is_int(state_apply(&st, &e), SD_GAP, "gen 3 after 1: gap");
	e.cmd = SENTINEL_EVT_OBJECTS_REMOVED;
	e.generation = 2;
	e.count = 4;
	is_int(state_apply(&st, &e), SD_GAP, "removing more than there is: gap");
	e.count = 1;
	e.bytes = 4096;
	is_int(state_apply(&st, &e), SD_NEED_OBJECTS, "removed gen 2");
	is_int(s->k.objects, 2, "2 left");

	e = ev(SENTINEL_EVT_MARK, 5);
	e.mark_type = SENTINEL_MARK_STEP_BEGIN;
	e.step = 10;
	e.seq = 1;
	is_int(state_apply(&st, &e), SD_APPLIED, "mark seq 1");
	ok(s->k.steps == 1 && s->k.step == 10 && s->k.marks == 1, "step begun");
	is_int(state_apply(&st, &e), SD_IGNORED, "mark seq 1 again");
	e.seq = 3;
	is_int(state_apply(&st, &e), SD_GAP, "mark seq 3: gap");
	e = ev(SENTINEL_EVT_MARK, 99);
	e.seq = 1;
	is_int(state_apply(&st, &e), SD_GAP, "mark of an unknown session: gap");
	e = ev(SENTINEL_EVT_PROFILE_READY, 5);
	e.profile_generation = 1;
	is_int(state_apply(&st, &e), SD_APPLIED, "profile 1");
	e.profile_generation = 3;
	is_int(state_apply(&st, &e), SD_GAP, "profile 3: gap");
	e = ev(SENTINEL_EVT_SCAN, 5);
	e.pages = 10;
	is_int(state_apply(&st, &e), SD_APPLIED, "scan");
	e = ev(99, 5);
	is_int(state_apply(&st, &e), SD_IGNORED, "unknown event");

	{
		struct sd_object *o = calloc(2, sizeof(*o));

		o[0] = (struct sd_object){ .id = 1, .len = 100 };
		o[1] = (struct sd_object){ .id = 9, .len = 50, .layer_hint = 3 };
		session_set_objects(s, o, 2);
		ok(s->k.objects == 2 && s->k.bytes == 150 && !s->objs_stale, "objects set");
	}
	jb_init(&b);
	state_json(&st, &b, true, true);
	is_str(b.s, "\"sessions\":[{\"id\":3,\"pid\":0,\"comm\":\"\",\"objects\":0,\"bytes\":0,"
		    "\"generation\":0,\"marks\":0,\"steps\":0,\"step\":0,\"profile_generation\":0,"
		    "\"object_list\":[]},{\"id\":5,\"pid\":42,\"comm\":\"train\",\"objects\":2,"
		    "\"bytes\":150,\"generation\":2,\"marks\":1,\"steps\":1,\"step\":10,"
		    "\"profile_generation\":1,\"object_list\":[{\"id\":1,\"addr\":0,\"len\":100,"
		    "\"kind\":0,\"flags\":0,\"layer_hint\":0},{\"id\":9,\"addr\":0,\"len\":50,"
		    "\"kind\":0,\"flags\":0,\"layer_hint\":3}]}]", "canonical JSON");
	jb_free(&b);

	e = ev(SENTINEL_EVT_SESSION_CLOSE, 5);
	is_int(state_apply(&st, &e), SD_APPLIED, "close");
	is_int(state_apply(&st, &e), SD_IGNORED, "close twice");
	is_int(st.n, 1, "one left");
	state_clear(&st);
	is_int(st.n, 0, "cleared");
}

/* A well-formed profile: 2 layers, 3 entries, 2 objects. */
static size_t make_profile(uint64_t *buf)
{
	struct sentinel_profile_hdr *h = (void *)buf;
	struct sentinel_profile_layer *l;
	struct sentinel_profile_entry *e;
	struct sentinel_profile_object *o;
	size_t off = sizeof(*h);

	memset(buf, 0, 4096);
	h->size = sizeof(*h);
	h->version = SENTINEL_PROFILE_VERSION;
	h->session_id = 7;
	h->nr_steps = 1;
	h->nr_layers = 2;
	h->nr_entries = 3;
	h->nr_objects = 2;
	h->layers_off = off;
	off += 2 * sizeof(*l);
	h->entries_off = off;
	off += 3 * sizeof(*e);
	h->objects_off = off;
	off += 2 * sizeof(*o);
	h->total_size = off;
	l = (void *)((char *)buf + h->layers_off);
	e = (void *)((char *)buf + h->entries_off);
	o = (void *)((char *)buf + h->objects_off);
	l[0] = (struct sentinel_profile_layer){ .layer = 0, .first_entry = 0, .nr_entries = 2 };
	l[1] = (struct sentinel_profile_layer){ .layer = 1, .first_entry = 2, .nr_entries = 1 };
	e[0] = (struct sentinel_profile_entry){ .id = 20, .pages = 2 };
	e[1] = (struct sentinel_profile_entry){ .id = 10, .pages = 3 };
	e[2] = (struct sentinel_profile_entry){ .id = 99, .pages = 1 };
	o[0] = (struct sentinel_profile_object){ .id = 20, .kind = SENTINEL_KIND_WEIGHT };
	o[1] = (struct sentinel_profile_object){ .id = 10, .kind = SENTINEL_KIND_ACTIVATION };
	return off;
}

static void test_profile(void)
{
	uint64_t buf[512], k[PROF_KINDS];
	struct sentinel_profile_hdr *h = (void *)buf;
	struct sentinel_profile_layer *l;
	struct prof p;
	char err[256];
	size_t len = make_profile(buf);

	ok(prof_parse(buf, len, &p, err, sizeof(err)) == 0, "good profile %s", err);
	prof_layer_kinds(&p, 0, 4096, k);
	ok(k[SENTINEL_KIND_WEIGHT] == 2 * 4096 && k[SENTINEL_KIND_ACTIVATION] == 3 * 4096,
	   "layer 0 bytes per kind");
	prof_layer_kinds(&p, 1, 4096, k);
	is_int(k[PROF_KINDS - 1], 4096, "unknown object counted apart");
	ok(prof_object(&p, 10) && !prof_object(&p, 11), "object lookup");
	prof_free(&p);

	ok(prof_parse(buf, sizeof(*h) - 1, &p, err, sizeof(err)) == -1, "short: %s", err);
	ok(prof_parse(buf, len - 1, &p, err, sizeof(err)) == -1, "truncated: %s", err);
	h->version = 2;
	ok(prof_parse(buf, len, &p, err, sizeof(err)) == -1, "version: %s", err);
	len = make_profile(buf);
	h->nr_entries = 0x7fffffff;
	ok(prof_parse(buf, len, &p, err, sizeof(err)) == -1, "huge count: %s", err);
	len = make_profile(buf);
	h->objects_off = 0xfffffff8;
	ok(prof_parse(buf, len, &p, err, sizeof(err)) == -1, "offset outside: %s", err);
	len = make_profile(buf);
	h->layers_off += 4;
	ok(prof_parse(buf, len, &p, err, sizeof(err)) == -1, "unaligned: %s", err);
	len = make_profile(buf);
	l = (void *)((char *)buf + h->layers_off);
	l[1].nr_entries = 0xffffffff;
	ok(prof_parse(buf, len, &p, err, sizeof(err)) == -1, "layer entries wrap: %s", err);
	len = make_profile(buf);
	h->size = 8;
	ok(prof_parse(buf, len, &p, err, sizeof(err)) == -1, "header size: %s", err);
	len = make_profile(buf);
	h->layers_off = 0;
	ok(prof_parse(buf, len, &p, err, sizeof(err)) == -1, "array over the header: %s", err);
}

/* Build a sentinel event message with libnl and parse it. */
static int parse_built(uint8_t cmd, void (*fill)(struct nl_msg *), struct snl_event *e)
{
	struct nl_msg *m = nlmsg_alloc();
	int r;

	genlmsg_put(m, 0, 0, 30, 0, 0, cmd, 1);
	if (fill)
		fill(m);
	r = snl_parse_event(nlmsg_hdr(m), 30, e);
	nlmsg_free(m);
	return r;
}

static void fill_open(struct nl_msg *m)
{
	nla_put_u64(m, SENTINEL_A_SESSION_ID, 4);
	nla_put_u32(m, SENTINEL_A_PID, 77);
	nla_put_string(m, SENTINEL_A_COMM, "python3");
	nla_put_u64(m, SENTINEL_A_MAX + 3, 1);	/* from a newer module */
}

static void fill_no_pid(struct nl_msg *m)
{
	nla_put_u64(m, SENTINEL_A_SESSION_ID, 4);
}

static void fill_short_u64(struct nl_msg *m)
{
	nla_put_u32(m, SENTINEL_A_SESSION_ID, 4);
	nla_put_u32(m, SENTINEL_A_PID, 77);
}

static void fill_unterminated(struct nl_msg *m)
{
	nla_put_u64(m, SENTINEL_A_SESSION_ID, 4);
	nla_put_u32(m, SENTINEL_A_PID, 77);
	nla_put(m, SENTINEL_A_COMM, 3, "abc");
}

static void fill_long_comm(struct nl_msg *m)
{
	char c[100];

	memset(c, 'x', sizeof(c) - 1);
	c[99] = '\0';
	nla_put_u64(m, SENTINEL_A_SESSION_ID, 4);
	nla_put_u32(m, SENTINEL_A_PID, 77);
	nla_put_string(m, SENTINEL_A_COMM, c);
}

static void fill_mark(struct nl_msg *m)
{
	nla_put_u64(m, SENTINEL_A_SESSION_ID, 4);
	nla_put_u8(m, SENTINEL_A_MARK_TYPE, SENTINEL_MARK_LAYER_END);
	nla_put_u32(m, SENTINEL_A_LAYER, 12);
	nla_put_u8(m, SENTINEL_A_DIRECTION, SENTINEL_DIR_BACKWARD);
	nla_put_u64(m, SENTINEL_A_SEQ, 9);
	nla_put_u64(m, SENTINEL_A_TIMESTAMP, 123);
}

static void fill_flag_payload(struct nl_msg *m)
{
	nla_put_u64(m, SENTINEL_A_SESSION_ID, 4);
	nla_put_u32(m, SENTINEL_A_PROFILING, 1);
}

static void put_obj(struct nl_msg *m, uint64_t id, uint64_t addr)
{
	struct nlattr *n = nla_nest_start(m, SENTINEL_A_OBJECT);

	nla_put_u64(m, SENTINEL_OBJ_A_ID, id);
	nla_put_u64(m, SENTINEL_OBJ_A_ADDR, addr);
	nla_put_u64(m, SENTINEL_OBJ_A_LEN, 8192);
	nla_put_u8(m, SENTINEL_OBJ_A_KIND, SENTINEL_KIND_ACTIVATION);
	nla_put_u32(m, SENTINEL_OBJ_A_FLAGS, 0);
	nla_put_u32(m, SENTINEL_OBJ_A_LAYER_HINT, 4);
	nla_put_u64(m, SENTINEL_OBJ_A_PAGES, 2);
	nla_nest_end(m, n);
}

static void put_batch_head(struct nl_msg *m, uint32_t count)
{
	nla_put_u64(m, SENTINEL_A_SESSION_ID, 4);
	nla_put_u32(m, SENTINEL_A_COUNT, count);
	nla_put_u64(m, SENTINEL_A_BYTES, count * 8192ULL);
	nla_put_u64(m, SENTINEL_A_GENERATION, 6);
}

static void fill_batch2(struct nl_msg *m)
{
	put_batch_head(m, 2);
	put_obj(m, 31, 0x10000);
	put_obj(m, 30, 0x20000);
}

static void fill_batch_short(struct nl_msg *m)
{
	put_batch_head(m, 3);
	put_obj(m, 31, 0x10000);
	put_obj(m, 30, 0x20000);
}

static void fill_batch_none(struct nl_msg *m)
{
	put_batch_head(m, 40);
}

static void fill_batch_over(struct nl_msg *m)
{
	put_batch_head(m, SENTINEL_EVT_MAX_OBJECTS + 1);
	for (uint32_t i = 0; i <= SENTINEL_EVT_MAX_OBJECTS; i++)
		put_obj(m, 100 + i, 0x10000 * (i + 1));
}

static void fill_batch_bad_obj(struct nl_msg *m)
{
	struct nlattr *n;

	put_batch_head(m, 1);
	n = nla_nest_start(m, SENTINEL_A_OBJECT);
	nla_put_u64(m, SENTINEL_OBJ_A_ID, 5);
	nla_nest_end(m, n);
}

static void test_event_objects(void)
{
	struct snl_event e;

	ok(parse_built(SENTINEL_EVT_OBJECTS_ADDED, fill_batch2, &e) == 0 && e.nobjs == 2 &&
	   e.objs[0].id == 31 && e.objs[0].addr == 0x10000 && e.objs[1].id == 30 &&
	   e.objs[1].len == 8192 && e.objs[1].layer_hint == 4 &&
	   e.objs[1].kind == SENTINEL_KIND_ACTIVATION, "objects-added carries its objects");
	ok(parse_built(SENTINEL_EVT_OBJECTS_REMOVED, fill_batch_none, &e) == 0 && !e.nobjs &&
	   e.count == 40, "an event without its objects (a large batch)");
	ok(parse_built(SENTINEL_EVT_OBJECTS_ADDED, fill_batch_short, &e) == -EPROTO,
	   "fewer objects than the count refused");
	ok(parse_built(SENTINEL_EVT_OBJECTS_ADDED, fill_batch_over, &e) == -EPROTO,
	   "more than SENTINEL_EVT_MAX_OBJECTS objects refused");
	ok(parse_built(SENTINEL_EVT_OBJECTS_ADDED, fill_batch_bad_obj, &e) == -EPROTO,
	   "an object without its address refused");
}

static struct snl_event batch(uint8_t cmd, uint64_t gen, const uint64_t *ids, uint32_t n)
{
	struct snl_event e = ev(cmd, 5);

	e.generation = gen;
	e.count = n;
	e.bytes = n * 4096ULL;
	e.nobjs = n;
	for (uint32_t i = 0; i < n; i++)
		e.objs[i] = (struct snl_evobj){ .id = ids[i], .addr = ids[i] << 12, .len = 4096 };
	return e;
}

static bool ids_are(const struct sd_session *s, const uint64_t *ids, size_t n)
{
	if (s->nobjs != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s->objs[i].id != ids[i] || s->objs[i].addr != ids[i] << 12)
			return false;
	return true;
}

/* Object events that carry their objects keep the table without dumps. */
static void test_state_carried(void)
{
	static const uint64_t a[] = { 9, 4 }, b[] = { 4 }, c[] = { 7, 2 }, dup[] = { 7 };
	static const uint64_t after_a[] = { 1, 4, 9 }, after_b[] = { 1, 9 };
	static const uint64_t after_c[] = { 1, 2, 7, 9 };
	struct sd_object *o = calloc(1, sizeof(*o));
	struct sd_state st;
	struct snl_event e = ev(SENTINEL_EVT_SESSION_OPEN, 5);
	struct sd_session *s;
	uint64_t v;

	state_init(&st);
	state_apply(&st, &e);
	s = state_find(&st, 5);
	o[0] = (struct sd_object){ .id = 1, .addr = 1 << 12, .len = 4096 };
	session_set_objects(s, o, 1);
	v = s->objs_version;
	e = batch(SENTINEL_EVT_OBJECTS_ADDED, 1, a, 2);
	is_int(state_apply(&st, &e), SD_APPLIED, "carried addition applied, no dump");
	ok(ids_are(s, after_a, 3) && !s->objs_stale && s->objs_version > v && s->k.objects == 3,
	   "objects added in id order, a new version");
	e = batch(SENTINEL_EVT_OBJECTS_REMOVED, 2, b, 1);
	is_int(state_apply(&st, &e), SD_APPLIED, "carried removal applied");
	ok(ids_are(s, after_b, 2) && s->k.objects == 2, "object removed");
	e = batch(SENTINEL_EVT_OBJECTS_ADDED, 3, c, 2);
	e.nobjs = 0;
	is_int(state_apply(&st, &e), SD_NEED_OBJECTS, "a batch without its objects: dump");
	ok(s->objs_stale, "stale until dumped");
	e = batch(SENTINEL_EVT_OBJECTS_REMOVED, 4, dup, 1);
	is_int(state_apply(&st, &e), SD_NEED_OBJECTS, "stale objects are not updated in place");
	o = calloc(4, sizeof(*o));
	for (int i = 0; i < 3; i++)
		o[i] = (struct sd_object){ .id = after_c[i == 2 ? 3 : i], .len = 4096 };
	o[0].addr = 1 << 12;
	o[1].addr = 2 << 12;
	o[2].addr = 9 << 12;
	session_set_objects(s, o, 3);	/* the dump: 1, 2, 9 */
	s->k.generation = 4;
	e = batch(SENTINEL_EVT_OBJECTS_REMOVED, 5, b, 1);
	is_int(state_apply(&st, &e), SD_NEED_OBJECTS, "removing an unknown object: dump");
	o = calloc(3, sizeof(*o));
	o[0] = (struct sd_object){ .id = 1, .addr = 1 << 12, .len = 4096 };
	o[1] = (struct sd_object){ .id = 2, .addr = 2 << 12, .len = 4096 };
	o[2] = (struct sd_object){ .id = 9, .addr = 9 << 12, .len = 4096 };
	session_set_objects(s, o, 3);
	e = batch(SENTINEL_EVT_OBJECTS_ADDED, 6, dup, 1);
	is_int(state_apply(&st, &e), SD_APPLIED, "addition after a dump applied");
	ok(ids_are(s, after_c, 4), "objects 1, 2, 7, 9");
	e = batch(SENTINEL_EVT_OBJECTS_ADDED, 7, dup, 1);
	is_int(state_apply(&st, &e), SD_NEED_OBJECTS, "adding a known object: dump");
	state_clear(&st);
}

static void test_events(void)
{
	struct snl_event e;
	struct nl_msg *m;

	ok(parse_built(SENTINEL_EVT_SESSION_OPEN, fill_open, &e) == 0 &&
	   e.session_id == 4 && e.pid == 77 && !strcmp(e.comm, "python3"),
	   "session-open parsed, unknown attribute ignored");
	ok(parse_built(SENTINEL_EVT_SESSION_OPEN, fill_no_pid, &e) == -EPROTO,
	   "session-open without pid refused");
	ok(parse_built(SENTINEL_EVT_SESSION_OPEN, fill_short_u64, &e) == -EPROTO,
	   "u32 where a u64 belongs refused");
	ok(parse_built(SENTINEL_EVT_SESSION_OPEN, fill_unterminated, &e) == -EPROTO,
	   "unterminated string refused");
	ok(parse_built(SENTINEL_EVT_SESSION_OPEN, fill_long_comm, &e) == -EPROTO,
	   "overlong string refused");
	ok(parse_built(SENTINEL_EVT_MARK, fill_mark, &e) == 0 && e.layer == 12 &&
	   e.direction == SENTINEL_DIR_BACKWARD && e.seq == 9 && e.timestamp == 123,
	   "mark parsed");
	ok(parse_built(SENTINEL_EVT_OBJECTS_ADDED, fill_mark, &e) == -EPROTO,
	   "objects-added without count refused");
	ok(parse_built(SENTINEL_EVT_SCAN, fill_flag_payload, &e) == -EPROTO,
	   "flag with payload refused");
	ok(parse_built(SENTINEL_EVT_SCAN + 5, NULL, &e) == 0, "newer event passed on");

	m = nlmsg_alloc();
	genlmsg_put(m, 0, 0, 31, 0, 0, SENTINEL_EVT_MARK, 1);
	ok(snl_parse_event(nlmsg_hdr(m), 30, &e) == -EPROTO, "other family refused");
	nlmsg_hdr(m)->nlmsg_type = 30;
	nlmsg_hdr(m)->nlmsg_len = NLMSG_HDRLEN + 2;
	ok(snl_parse_event(nlmsg_hdr(m), 30, &e) == -EPROTO, "short genl header refused");
	nlmsg_free(m);
}

static atomic_int done_items;

static void work(void *arg)
{
	(void)arg;
	atomic_fetch_add(&done_items, 1);
}

static void cancelled(void *arg)
{
	free(arg);
}

static void slow_free(void *arg)
{
	usleep(1000);
	free(arg);
}

static void test_workers(void)
{
	struct wq_stats st;
	struct wq *q = wq_create(4, "test");

	if (!ok(q != NULL, "pool of 4"))
		return;
	for (int i = 0; i < 1000; i++)
		wq_submit(q, work, NULL);
	wq_drain(q);
	is_int(atomic_load(&done_items), 1000, "1000 items run");
	wq_get_stats(q, &st);
	ok(st.done == 1000 && st.queued == 0 && st.threads == 4, "stats");
	wq_destroy(q, NULL);

	q = wq_create(1, "test");
	for (int i = 0; i < 50; i++)
		wq_submit(q, slow_free, malloc(16));
	wq_destroy(q, cancelled);	/* queued items freed by the cancel hook */
	ok(true, "destroy with cancel leaks nothing (ASan)");
	ok(wq_create(0, "x") == NULL, "zero threads refused");
}

static void test_topology(void)
{
	char root[] = "/tmp/daemon-topo-XXXXXX", buf[64], err[256];
	struct sd_config c;
	struct topology t;

	if (!ok(mkdtemp(root) != NULL, "temp dir"))
		return;
	mkfile(root, "sys/devices/system/node/has_memory", "0-2\n");
	mkfile(root, "sys/devices/system/node/node0/cpulist", "0-3\n");
	mkfile(root, "sys/devices/system/node/node1/cpulist", "\n");
	mkfile(root, "sys/devices/system/node/node2/cpulist", "4-7\n");
	ok(topo_detect(root, &t, err, sizeof(err)) == 0, "detect by CPUs");
	is_str(sd_nodelist_format(&t.fast, buf, sizeof(buf)), "0,2", "CPU nodes fast");
	is_str(sd_nodelist_format(&t.slow, buf, sizeof(buf)), "1", "CPU-less node slow");

	mkfile(root, "sys/devices/virtual/memory_tiering/memory_tier4/nodelist", "0,2\n");
	mkfile(root, "sys/devices/virtual/memory_tiering/memory_tier22/nodelist", "1\n");
	ok(topo_detect(root, &t, err, sizeof(err)) == 0, "detect by tiers");
	is_str(t.source, "memory tiers", "tiers used");
	is_str(sd_nodelist_format(&t.slow, buf, sizeof(buf)), "1", "lower tier slow");

	sd_config_defaults(&c);
	c.nodes_auto = false;
	sd_node_set(&c.fast, 0);
	sd_node_set(&c.slow, 5);
	ok(topo_resolve(root, &c, &t, err, sizeof(err)) == -1 &&
	   strstr(err, "node 5"), "configured node without memory: %s", err);

	ok(topo_detect("/nonexistent-root", &t, err, sizeof(err)) == -1,
	   "no sysfs: %s", err);
	{
		/* The guest's figures at a 1.6 MB budget, DMA's reserve included. */
		static const char zi[] =
			"Node 0, zone      DMA\n  per-node stats\n      nr_free_pages 561\n"
			"  pages free     374\n        boost    0\n        min      12\n"
			"        low      15\n        high     18\n        managed  3840\n"
			"        protection: (0, 191, 191, 191, 191)\n"
			"Node 0, zone    DMA32\n  pages free     360\n        min      166\n"
			"        low      207\n        high     248\n"
			"        protection: (0, 0, 0, 0, 0)\n"
			"Node 0, zone  Movable\n  pages free     0\n        high     32\n"
			"        protection: (0, 0, 0, 0, 0)\n"
			"Node 1, zone    DMA32\n  pages free     5\n        high     7\n"
			"        protection: (0, 0, 0, 0, 0)\n";
		struct sd_nodemask m = { { 0 } };
		uint64_t v = 0;
		const uint64_t psz = (uint64_t)sysconf(_SC_PAGESIZE);

		ok(topo_parse_zone_usable(zi, 0, &v) && v == (374 - 18 - 191) + (360 - 248),
		   "node 0: free pages above high and reserve, of DMA and DMA32");
		ok(topo_parse_zone_usable(zi, 1, &v) && v == 0, "node 1: below its watermark, 0");
		ok(!topo_parse_zone_usable(zi, 2, &v), "node 2: not in zoneinfo");
		ok(topo_parse_zone_usable("Node 0, zone DMA\n  pages free 100\n        high 10\n"
					  "        protection: (0, 95, 95)\n", 0, &v) && v == 0,
		   "a zone whose reserve takes its free pages adds nothing");
		ok(topo_parse_zone_usable("Node 0, zone DMA\n  pages free 100\n        high 10\n"
					  "        protection: (x, 95\n"
					  "Node 0, zone DMA32\n        high 10\n", 0, &v) && v == 90,
		   "garbage: an unreadable protection list counts 0, a zone without free pages 0");
		ok(topo_parse_zone_usable("Node 0, zone DMA\n  pages free 99999999999999999999999\n"
					  "        high 18446744073709551615\n"
					  "        protection: (0, 191)\n", 0, &v) && v == 0,
		   "garbage: out-of-range figures never wrap into free pages");
		ok(!topo_parse_zone_usable("", 0, &v) && !topo_parse_zone_usable("Node x, zone\n", 0, &v),
		   "garbage: empty or malformed zoneinfo has no node");
		mkfile(root, "proc/zoneinfo", zi);
		sd_node_set(&m, 0);
		ok(topo_free_bytes(root, &m) == 277 * psz, "free bytes of the fast node");
		sd_node_set(&m, 1);
		ok(topo_free_bytes(root, &m) == 277 * psz, "a node below its watermark adds nothing");
		sd_node_set(&m, 3);
		ok(topo_free_bytes(root, &m) == UINT64_MAX, "a node missing from zoneinfo: unknown");
	}
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
		ok(system(cmd) == 0, "cleanup");
	}
}

int main(void)
{
	test_json();
	test_state();
	test_profile();
	test_events();
	test_event_objects();
	test_state_carried();
	test_workers();
	test_topology();
	return tap_done();
}
