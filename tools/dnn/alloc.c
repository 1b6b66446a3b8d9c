// SPDX-License-Identifier: GPL-2.0
/*
 * alloc.c - allocator backends (malloc, libsentinel), footprint
 * accounting and phase marks of the training engine.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sentinel.h>

#include "alloc.h"

/* The malloc backend keeps size and kind in a header before the data. */
#define HDR 64

struct hdr {
	size_t bytes;
	uint32_t kind;
	uint32_t magic;
};
#define HDR_MAGIC 0xd22a110cU

static enum alloc_backend backend = ALLOC_MALLOC;
static bool marks_on;
static bool session_open;
static struct alloc_stats st;

_Static_assert((int)DK_WEIGHT == (int)SNTL_KIND_WEIGHT &&
	       (int)DK_WS == (int)SNTL_KIND_WORKSPACE &&
	       (int)DK_COUNT == (int)SNTL_KIND_COUNT, "kinds match libsentinel");
_Static_assert((int)DL_SHORT == (int)SNTL_LIFE_SHORT &&
	       (int)DL_PERSIST == (int)SNTL_LIFE_PERSISTENT,
	       "lifetimes match libsentinel");
_Static_assert((int)DIR_FWD == (int)SNTL_DIR_FORWARD &&
	       (int)DIR_OPT == (int)SNTL_DIR_OPTIMIZER,
	       "directions match libsentinel");

int dnn_alloc_init(enum alloc_backend b, bool marks, int *session_err)
{
	int ret = 0;

	if (st.cur_total) {
		fprintf(stderr, "dnn: allocator re-initialised with %llu bytes live\n",
			(unsigned long long)st.cur_total);
		return -1;
	}
	memset(&st, 0, sizeof(st));
	backend = b;
	marks_on = marks;
	if (b == ALLOC_SENTINEL) {
		ret = sntl_open(NULL);
		session_open = ret == 0;
	}
	if (session_err)
		*session_err = ret;
	return 0;
}

void dnn_alloc_fini(void)
{
	if (session_open)
		sntl_close();
	session_open = false;
}

enum alloc_backend dnn_alloc_backend(void)
{
	return backend;
}

static void account(size_t bytes, enum dnn_kind kind, bool alloc)
{
	if (alloc) {
		st.cur[kind] += bytes;
		st.cur_total += bytes;
		st.allocs++;
		if (st.cur[kind] > st.peak[kind])
			st.peak[kind] = st.cur[kind];
		if (st.cur_total > st.peak_total)
			st.peak_total = st.cur_total;
	} else {
		st.cur[kind] -= bytes;
		st.cur_total -= bytes;
		st.frees++;
	}
}

static void out_of_memory(size_t bytes, enum dnn_kind kind)
{
	fprintf(stderr, "sentinel-train: cannot allocate %zu bytes of %s: %s\n",
		bytes, dnn_kind_name(kind), strerror(errno));
	exit(1);
}

void *dnn_alloc(size_t bytes, enum dnn_kind kind, enum dnn_life life,
		bool zero)
{
	void *p;

	if ((unsigned int)kind >= DK_COUNT)
		kind = DK_OTHER;
	if (!bytes)
		bytes = 1;
	if (backend == ALLOC_SENTINEL) {
		p = sntl_alloc(bytes, (enum sntl_kind)kind, (enum sntl_life)life);
		if (!p)
			out_of_memory(bytes, kind);
	} else {
		struct hdr *h;
		char *raw = NULL;

		if (bytes > SIZE_MAX - HDR ||
		    posix_memalign((void **)&raw, HDR, bytes + HDR)) {
			errno = ENOMEM;
			out_of_memory(bytes, kind);
		}
		h = (struct hdr *)raw;
		h->bytes = bytes;
		h->kind = kind;
		h->magic = HDR_MAGIC;
		p = raw + HDR;
	}
	if (zero)
		memset(p, 0, bytes);
	account(bytes, kind, true);
	return p;
}

void dnn_free(void *p)
{
	if (!p)
		return;
	if (backend == ALLOC_SENTINEL) {
		struct sntl_alloc_info info;

		if (sntl_alloc_info(p, &info) || sntl_free(p)) {
			fprintf(stderr, "sentinel-train: bad free of %p\n", p);
			abort();
		}
		account(info.size, (enum dnn_kind)info.kind, false);
	} else {
		struct hdr *h = (struct hdr *)((char *)p - HDR);

		if (h->magic != HDR_MAGIC) {
			fprintf(stderr, "sentinel-train: bad free of %p\n", p);
			abort();
		}
		h->magic = 0;
		account(h->bytes, (enum dnn_kind)h->kind, false);
		free(h);
	}
}

void dnn_alloc_stats(struct alloc_stats *out)
{
	*out = st;
}

void dnn_alloc_reset_peaks(void)
{
	memcpy(st.peak, st.cur, sizeof(st.peak));
	st.peak_total = st.cur_total;
}

const char *dnn_kind_name(enum dnn_kind kind)
{
	static const char *const names[DK_COUNT] = {
		"other", "weight", "activation", "gradient", "optimizer",
		"workspace",
	};

	return (unsigned int)kind < DK_COUNT ? names[kind] : "?";
}

void dnn_step_begin(uint64_t step)
{
	if (marks_on)
		sntl_step_begin(step);
}

void dnn_step_end(uint64_t step)
{
	if (marks_on)
		sntl_step_end(step);
}

void dnn_layer_begin(uint32_t layer, enum dnn_dir dir)
{
	if (marks_on)
		sntl_layer_begin(layer, (enum sntl_dir)dir);
}

void dnn_layer_end(uint32_t layer, enum dnn_dir dir)
{
	if (marks_on)
		sntl_layer_end(layer, (enum sntl_dir)dir);
}

void dnn_alloc_print_lib_stats(FILE *f)
{
	struct sntl_alloc_stats a;
	struct sntl_session_stats s;
	int ret;

	if (backend != ALLOC_SENTINEL) {
		fprintf(f, "libsentinel: not used for allocation (--alloc=malloc)\n");
		return;
	}
	if (!sntl_alloc_stats(&a))
		fprintf(f, "libsentinel allocator: allocs %llu frees %llu live %llu "
			"peak_requested %llu peak_mapped %llu short_spills %llu "
			"registered %llu unregistered %llu register_failures %llu "
			"flushes %llu\n",
			(unsigned long long)a.allocs, (unsigned long long)a.frees,
			(unsigned long long)a.live_objects,
			(unsigned long long)a.peak_requested_bytes,
			(unsigned long long)a.peak_mapped_bytes,
			(unsigned long long)a.short_spills,
			(unsigned long long)a.registered,
			(unsigned long long)a.unregistered,
			(unsigned long long)a.register_failures,
			(unsigned long long)a.flushes);
	ret = sntl_session_stats(&s);
	if (ret) {
		fprintf(f, "libsentinel session: none (%s)\n", sntl_strerror(ret));
		return;
	}
	fprintf(f, "libsentinel session %llu: objects %llu bytes %llu registered %llu "
		"unregistered %llu marks %llu steps %llu last_step %llu "
		"outside_layer_marks %llu errors %llu\n",
		(unsigned long long)s.session_id, (unsigned long long)s.objects,
		(unsigned long long)s.bytes, (unsigned long long)s.registered,
		(unsigned long long)s.unregistered, (unsigned long long)s.marks,
		(unsigned long long)s.steps, (unsigned long long)s.last_step,
		(unsigned long long)s.outside_layer_marks,
		(unsigned long long)s.errors);
}
