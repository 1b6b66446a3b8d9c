// SPDX-License-Identifier: GPL-2.0
/*
 * alloc.c - allocator backends (malloc, libsentinel), footprint
 * accounting and phase marks of the training engine.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sentinel.h>

#include "alloc.h"
#include "ops.h"

/* The malloc backend keeps size and kind in a header before the data. */
#define HDR 64

struct hdr {
	size_t bytes;
	uint32_t kind;
	uint32_t magic;
	size_t slot;	/* working-set mode: index in ws.live */
	size_t mapped;	/* working-set mode: bytes mapped, header page included */
};
#define HDR_MAGIC 0xd22a110cU
#define HDR_MAGIC_WS 0xd22a115eU

static enum alloc_backend backend = ALLOC_MALLOC;
static bool marks_on;
static bool session_open;
static struct alloc_stats st;

/*
 * Working-set mode (dnn_ws_init): every tensor gets pages of its own
 * (mmap, data page-aligned after a header page).  At a layer's begin
 * all live tensors are made inaccessible; the first access to one
 * faults, the handler opens it again and counts its bytes for the
 * layer.  Tensors allocated inside the layer count from their birth to
 * their death: the layer's working set is the bytes of the older
 * tensors it touched plus the peak of the live bytes of those it
 * allocated (a workspace freed and allocated again reuses memory).
 */
struct ws_ent {
	char *data;
	size_t len;	/* page-rounded */
	size_t bytes;
	bool prot, touched, born;	/* born: allocated in this layer */
};

static struct {
	bool on, in_layer;
	long page;
	struct ws_ent *live;
	size_t n, cap;
	uint64_t cur;	/* bytes of older tensors the current layer touched */
	uint64_t born_live, born_peak;	/* of tensors allocated in it */
	uint32_t layer;
	enum dnn_dir dir;
	struct dnn_ws_stats stats;
	struct sigaction old;
} ws;

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
	if (ws.on) {
		sigaction(SIGSEGV, &ws.old, NULL);
		free(ws.live);
		ws.live = NULL;
		ws.n = ws.cap = 0;
		ws.on = false;
	}
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

static void ws_fault(int sig, siginfo_t *si, void *uc)
{
	char *a = si->si_addr;

	(void)uc;
	for (size_t i = 0; i < ws.n; i++) {
		struct ws_ent *e = &ws.live[i];

		if (a >= e->data && a < e->data + e->len && e->prot) {
			mprotect(e->data, e->len, PROT_READ | PROT_WRITE);
			e->prot = false;
			e->touched = true;
			ws.cur += e->bytes;
			return;
		}
	}
	/* not ours: the default action on return */
	sigaction(sig, &ws.old, NULL);
}

int dnn_ws_init(void)
{
	struct sigaction sa;

	if (backend != ALLOC_MALLOC || st.cur_total)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = ws_fault;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, &ws.old))
		return -1;
	ws.page = sysconf(_SC_PAGESIZE);
	ws.on = true;
	memset(&ws.stats, 0, sizeof(ws.stats));
	return 0;
}

void dnn_ws_stats(struct dnn_ws_stats *out)
{
	*out = ws.stats;
}

static void *ws_alloc(size_t bytes, enum dnn_kind kind)
{
	size_t len = (bytes + (size_t)ws.page - 1) / (size_t)ws.page * (size_t)ws.page;
	char *base;
	struct hdr *h;
	struct ws_ent *e;

	if (ws.n == ws.cap) {
		size_t cap = ws.cap ? 2 * ws.cap : 256;
		struct ws_ent *l = realloc(ws.live, cap * sizeof(*l));

		if (!l)
			out_of_memory(bytes, kind);
		ws.live = l;
		ws.cap = cap;
	}
	base = mmap(NULL, len + (size_t)ws.page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		out_of_memory(bytes, kind);
	h = (struct hdr *)(base + ws.page - HDR);
	h->bytes = bytes;
	h->kind = kind;
	h->magic = HDR_MAGIC_WS;
	h->slot = ws.n;
	h->mapped = len + (size_t)ws.page;
	e = &ws.live[ws.n++];
	e->data = base + ws.page;
	e->len = len;
	e->bytes = bytes;
	e->prot = false;
	e->touched = e->born = ws.in_layer;
	if (ws.in_layer) {
		ws.born_live += bytes;
		if (ws.born_live > ws.born_peak)
			ws.born_peak = ws.born_live;
	}
	return e->data;
}

static void ws_free(struct hdr *h)
{
	size_t i = h->slot;
	char *base = (char *)h + HDR - ws.page;

	if (ws.in_layer && ws.live[i].born)
		ws.born_live -= ws.live[i].bytes;
	ws.live[i] = ws.live[--ws.n];
	if (i < ws.n)
		((struct hdr *)(ws.live[i].data - HDR))->slot = i;
	h->magic = 0;
	munmap(base, h->mapped);
}

static void ws_layer_begin(uint32_t layer, enum dnn_dir dir)
{
	ws.in_layer = true;
	ws.layer = layer;
	ws.dir = dir;
	ws.cur = ws.born_live = ws.born_peak = 0;
	for (size_t i = 0; i < ws.n; i++) {
		struct ws_ent *e = &ws.live[i];

		e->touched = e->born = false;
		e->prot = !mprotect(e->data, e->len, PROT_NONE);
	}
}

static void ws_layer_end(void)
{
	struct dnn_ws_stats *s = &ws.stats;
	int d = ws.dir >= DIR_FWD && ws.dir <= DIR_OPT ? ws.dir - DIR_FWD : 0;
	uint64_t bytes = ws.cur + ws.born_peak;

	for (size_t i = 0; i < ws.n; i++) {
		struct ws_ent *e = &ws.live[i];

		if (e->prot)
			mprotect(e->data, e->len, PROT_READ | PROT_WRITE);
		e->prot = false;
		e->born = false;
	}
	ws.in_layer = false;
	s->layers++;
	if (bytes > s->max_dir[d])
		s->max_dir[d] = bytes;
	if (bytes > s->max) {
		s->max = bytes;
		s->max_layer = ws.layer;
		s->max_dir_of = ws.dir;
	}
}

/*
 * Zero a new tensor with vector stores.  Not memset: the C library
 * clears large blocks with "rep stosb", which an emulator (the tier lab
 * under TCG) and valgrind execute as one instruction per byte.
 */
DNN_VEC __attribute__((optimize("no-tree-loop-distribute-patterns")))
static void zero_bytes(void *p, size_t bytes)
{
	uint64_t *w = p;
	unsigned char *c;
	size_t n = bytes / sizeof(uint64_t);

	for (size_t i = 0; i < n; i++)
		w[i] = 0;
	c = (unsigned char *)(w + n);
	for (size_t i = 0; i < bytes % sizeof(uint64_t); i++)
		c[i] = 0;
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
	} else if (ws.on) {
		p = ws_alloc(bytes, kind);
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
		zero_bytes(p, bytes);
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

		if (h->magic == HDR_MAGIC_WS) {
			account(h->bytes, (enum dnn_kind)h->kind, false);
			ws_free(h);
			return;
		}
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

/* The layer between dnn_layer_begin and dnn_layer_end, for switching. */
static struct {
	bool open;
	uint32_t layer;
	enum dnn_dir dir;
} cur;

void dnn_layer_begin(uint32_t layer, enum dnn_dir dir)
{
	cur.open = true;
	cur.layer = layer;
	cur.dir = dir;
	if (ws.on)
		ws_layer_begin(layer, dir);
	if (marks_on)
		sntl_layer_begin(layer, (enum sntl_dir)dir);
}

void dnn_layer_end(uint32_t layer, enum dnn_dir dir)
{
	if (marks_on)
		sntl_layer_end(layer, (enum sntl_dir)dir);
	if (ws.on && ws.in_layer)
		ws_layer_end();
	cur.open = false;
}

void dnn_layer_switch(uint32_t layer, enum dnn_dir dir)
{
	if (cur.open && cur.layer == layer && cur.dir == dir)
		return;
	if (cur.open)
		dnn_layer_end(cur.layer, cur.dir);
	dnn_layer_begin(layer, dir);
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
