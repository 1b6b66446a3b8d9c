// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Thread stress: worker threads allocate, check and free objects of every
 * class while another thread marks steps and layers and queries the fake
 * module, which checks every batch.  Also: re-entry from inside the
 * library fails with EDEADLK instead of deadlocking.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include <sentinel.h>

#include "lib_fakedev.h"
#include "tap.h"

#define WORKERS	4
#define ITERS	20000
#define SLOTS	48

static _Atomic int workers_done;
static _Atomic unsigned long bad_fill, alloc_fail, info_fail;

struct slot {
	unsigned char *p;
	size_t size;
	unsigned char fill;
};

static void *worker(void *arg)
{
	uint64_t r = 0x9e3779b97f4a7c15ULL * ((uintptr_t)arg + 1);
	struct slot slots[SLOTS];
	struct sntl_alloc_info info;
	int i, k;

	memset(slots, 0, sizeof(slots));
	for (i = 0; i < ITERS; i++) {
		struct slot *s;

		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		s = &slots[r % SLOTS];
		if (s->p) {
			size_t j;

			for (j = 0; j < s->size; j += 97)
				if (s->p[j] != s->fill) {
					bad_fill++;
					break;
				}
			if (sntl_free(s->p))
				bad_fill++;
			s->p = NULL;
			continue;
		}
		switch ((r >> 8) % 8) {
		case 0:
			s->size = (r >> 16) % (256 * 1024);
			break;
		case 1:
		case 2:
			s->size = (r >> 16) % 20000;
			break;
		default:
			s->size = (r >> 16) % 600;
		}
		s->p = sntl_alloc(s->size, (int)((r >> 24) % SNTL_KIND_COUNT),
				  (int)((r >> 28) % 4));
		if (!s->p) {
			alloc_fail++;
			continue;
		}
		s->fill = (unsigned char)(r >> 40);
		memset(s->p, s->fill, s->size);
		if ((r >> 32) % 16 == 0 && sntl_alloc_info(s->p, &info))
			info_fail++;
	}
	for (k = 0; k < SLOTS; k++)
		if (slots[k].p)
			sntl_free(slots[k].p);
	workers_done++;
	return NULL;
}

static void *marker(void *arg)
{
	struct sntl_obj_info info[16];
	uint64_t step = 1;
	uint32_t layer;

	(void)arg;
	while (workers_done < WORKERS) {
		struct sntl_cursor cur = SNTL_CURSOR_INIT;

		sntl_step_begin(step);
		for (layer = 0; layer < 4; layer++) {
			sntl_layer_begin(layer, SNTL_DIR_FORWARD);
			sntl_layer_end(layer, SNTL_DIR_FORWARD);
		}
		if (step % 8 == 0)
			while (sntl_query_next(&cur, info, 16, SNTL_QUERY_RESIDENCY) > 0)
				;
		sntl_step_end(step);
		step++;
	}
	return NULL;
}

/* A backend whose ioctl re-enters the allocator. */
static _Atomic int reenter;
static void *reenter_result = (void *)1;
static int reenter_errno;

static int reentrant_ioctl(void *ctx, int fd, unsigned long cmd, void *arg)
{
	if (reenter && cmd == SENTINEL_IOC_REGISTER) {
		reenter = 0;
		reenter_result = sntl_alloc(10, SNTL_KIND_OTHER, SNTL_LIFE_SHORT);
		reenter_errno = errno;
	}
	return fake_ioctl(ctx, fd, cmd, arg);
}

int main(void)
{
	struct sntl_open_opts o = { .size = sizeof(o), .device = "/fake" };
	struct sntl_backend be = { .open = fake_open, .ioctl = reentrant_ioctl,
				   .close = fake_close };
	struct sntl_alloc_stats st;
	pthread_t w[WORKERS], m;
	size_t segs;
	void *p;
	int i;

	fake_install(64);
	ok(sntl_open(&o) == 0, "open with the fake module");
	for (i = 0; i < WORKERS; i++)
		pthread_create(&w[i], NULL, worker, (void *)(uintptr_t)i);
	pthread_create(&m, NULL, marker, NULL);
	for (i = 0; i < WORKERS; i++)
		pthread_join(w[i], NULL);
	pthread_join(m, NULL);

	ok(!alloc_fail, "%d threads x %d operations: no allocation failed", WORKERS, ITERS);
	ok(!bad_fill, "no object was corrupted or failed to free (%lu)",
	   (unsigned long)bad_fill);
	ok(!info_fail, "sntl_alloc_info found every live object");
	sntl_flush();
	sntl_alloc_stats(&st);
	segs = st.short_reserved_bytes / (16 << 20);
	ok(st.live_objects == 0 && st.requested_bytes == 0,
	   "nothing live at the end (%llu)", (unsigned long long)st.live_objects);
	ok(fake_alloc_objects() == segs,
	   "the module holds only the region's %zu segment(s) (%zu objects)",
	   segs, fake_alloc_objects());
	ok(st.registered > 0 && st.register_failures == 0,
	   "%llu registrations, none refused", (unsigned long long)st.registered);
	ok(!fake.violations, "no contract violations (%s)", fake.last_violation);
	ok(sntl_close() == 0, "close");

	/* Re-entry from the backend (as from a malloc interposer). */
	sntl__set_backend(&be);
	o.flags = SNTL_OPEN_SYNC;
	ok(sntl_open(&o) == 0, "open in SYNC mode with a re-entrant backend");
	reenter = 1;
	p = sntl_alloc(3 * 4096, SNTL_KIND_OTHER, SNTL_LIFE_STEP);
	ok(p && reenter_result == NULL && reenter_errno == EDEADLK,
	   "re-entering sntl_alloc from inside the library fails with EDEADLK");
	sntl_free(p);
	sntl_close();
	return tap_done();
}
