// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Placement hints in libsentinel: sntl_register() passes one hint to the
 * module and refuses two, a hint on a short-lived object and unknown
 * bits; sntl_hint() registers an allocation again with its hint, and the
 * same logical object is born with it in the next step; a module without
 * SENTINEL_FEAT_HINTS gets no hint (SNTL_ENOTSUP).  The fake module
 * checks every request against the uapi's rules.
 */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include <sentinel.h>

#include "internal.h"
#include "lib_fakedev.h"
#include "tap.h"

#define MiB (1UL << 20)

static int open_fake(void)
{
	struct sntl_open_opts o = {
		.size = sizeof(o), .flags = SNTL_OPEN_SYNC, .device = "/fake",
	};

	return sntl_open(&o);
}

static uint64_t oid_of(void *p)
{
	struct sntl_alloc_info info;

	return sntl_alloc_info(p, &info) ? 0 : info.object_id;
}

static void registered_objects(void *buf)
{
	struct sntl_object o = {
		.addr = buf, .len = 4096, .id = 7, .kind = SNTL_KIND_WEIGHT,
		.flags = SNTL_OBJ_PIN_FAST, .layer = SNTL_LAYER_NONE,
	};
	size_t idx = 99;

	ok(sntl_register(&o, 1, NULL) == SNTL_OK && fake_flags_of(7) == SNTL_OBJ_PIN_FAST,
	   "register: PIN_FAST reaches the module");
	o.id = 8;
	o.addr = (char *)buf + 4096;
	o.flags = SNTL_OBJ_PIN_FAST | SNTL_OBJ_PREFER_FAST;
	ok(sntl_register(&o, 1, &idx) == SNTL_EINVAL && idx == 0 && fake_flags_of(8) < 0,
	   "register: two hints are SNTL_EINVAL");
	o.flags = SNTL_OBJ_NEVER_PROMOTE | SNTL_OBJ_SHORT_LIVED;
	ok(sntl_register(&o, 1, NULL) == SNTL_EINVAL,
	   "register: a hint on a short-lived object is SNTL_EINVAL");
	o.flags = 1U << 6;
	ok(sntl_register(&o, 1, NULL) == SNTL_EINVAL, "register: an unknown flag is SNTL_EINVAL");
	o.flags = SNTL_OBJ_PREFER_SLOW | SNTL_OBJ_PARTIAL;
	o.len = 100;
	ok(sntl_register(&o, 1, NULL) == SNTL_OK && fake_flags_of(8) ==
	   (SNTL_OBJ_PREFER_SLOW | SNTL_OBJ_PARTIAL), "register: a hint on a partial object");
}

static void allocations(void)
{
	void *p = sntl_alloc(MiB, SNTL_KIND_WEIGHT, SNTL_LIFE_PERSISTENT);
	void *s = sntl_alloc(1024, SNTL_KIND_WORKSPACE, SNTL_LIFE_SHORT);
	uint64_t id = oid_of(p);

	ok(p && id && fake_flags_of(id) == 0, "an allocation is registered without a hint");
	ok(sntl_hint(p, SNTL_OBJ_PIN_FAST) == SNTL_OK &&
	   fake_flags_of(id) == SNTL_OBJ_PIN_FAST, "sntl_hint: registered again with PIN_FAST");
	ok(sntl_hint(p, SNTL_OBJ_PREFER_SLOW) == SNTL_OK &&
	   fake_flags_of(id) == SNTL_OBJ_PREFER_SLOW, "sntl_hint: a new hint replaces it");
	ok(sntl_hint(p, 0) == SNTL_OK && fake_flags_of(id) == 0, "sntl_hint 0: no hint again");
	ok(sntl_hint((char *)p + 64, SNTL_OBJ_PIN_FAST) == SNTL_EINVAL && fake_flags_of(id) == 0,
	   "sntl_hint inside an allocation: SNTL_EINVAL");
	ok(sntl_hint(s, SNTL_OBJ_PIN_FAST) == SNTL_EINVAL,
	   "sntl_hint on a short-lived allocation: SNTL_EINVAL");
	ok(sntl_hint(p, SNTL_OBJ_PIN_FAST | SNTL_OBJ_NEVER_PROMOTE) == SNTL_EINVAL &&
	   sntl_hint(p, 1U << 7) == SNTL_EINVAL && sntl_hint(NULL, 0) == SNTL_EINVAL,
	   "sntl_hint: two hints, an unknown bit, NULL: SNTL_EINVAL");
	sntl_free(s);
	sntl_free(p);
}

/* The same tensor in the next step (same logical id) keeps its hint. */
static void next_step(void)
{
	struct sntl_alloc_info a, b;
	void *p, *q;

	sntl_step_begin(1);
	p = sntl_alloc(MiB, SNTL_KIND_ACTIVATION, SNTL_LIFE_STEP);
	sntl_alloc_info(p, &a);
	sntl_hint(p, SNTL_OBJ_NEVER_PROMOTE);
	sntl_free(p);
	sntl_step_end(1);
	sntl_step_begin(2);
	q = sntl_alloc(MiB, SNTL_KIND_ACTIVATION, SNTL_LIFE_STEP);
	sntl_alloc_info(q, &b);
	ok(q && a.logical_id == b.logical_id &&
	   fake_flags_of(b.object_id) == SNTL_OBJ_NEVER_PROMOTE,
	   "the next step's allocation of the same logical id is born with the hint");
	sntl_hint(q, 0);
	sntl_free(q);
	sntl_step_end(2);
}

static void older_module(void *buf)
{
	struct sntl_object o = {
		.addr = (char *)buf + 8192, .len = 4096, .id = 9, .kind = SNTL_KIND_WEIGHT,
		.flags = SNTL_OBJ_PIN_FAST, .layer = SNTL_LAYER_NONE,
	};
	void *p;

	sntl_close();
	fake.no_hints = 1;
	ok(open_fake() == SNTL_OK, "a module without hints: session open");
	ok(sntl_register(&o, 1, NULL) == SNTL_ENOTSUP && fake_flags_of(9) < 0,
	   "register with a hint: SNTL_ENOTSUP");
	o.flags = 0;
	ok(sntl_register(&o, 1, NULL) == SNTL_OK, "register without a hint: as before");
	p = sntl_alloc(MiB, SNTL_KIND_WEIGHT, SNTL_LIFE_PERSISTENT);
	ok(sntl_hint(p, SNTL_OBJ_PIN_FAST) == SNTL_ENOTSUP && fake_flags_of(oid_of(p)) == 0,
	   "sntl_hint: SNTL_ENOTSUP, the object unchanged");
	sntl_free(p);
}

int main(void)
{
	void *buf = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	tap_plan(19);
	fake_install(64);
	ok(buf != MAP_FAILED && open_fake() == SNTL_OK, "session open on the fake module");
	registered_objects(buf);
	allocations();
	next_step();
	older_module(buf);
	ok(fake.violations == 0, "no request broke the module's rules%s%s",
	   fake.violations ? ": " : "", fake.last_violation);
	sntl_close();
	return tap_done();
}
