/* SPDX-License-Identifier: GPL-2.0 */
/*
 * alloc.h - the training engine's tensor allocator and phase marks.
 *
 * Two backends behind one interface:
 *   ALLOC_MALLOC    the C library's allocator (baselines);
 *   ALLOC_SENTINEL  libsentinel's lifetime-aware allocator (sntl_alloc),
 *                   with a Sentinel session when the module is there.
 * Both count the bytes live per kind and their peaks.  Marks go through
 * libsentinel's mark API in both modes when enabled, so that the tier lab
 * sees steps and layers of baseline runs too.
 */
#ifndef DNN_ALLOC_H
#define DNN_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Kinds and lifetimes: the values of enum sntl_kind and enum sntl_life. */
enum dnn_kind {
	DK_OTHER = 0,
	DK_WEIGHT = 1,
	DK_ACT = 2,
	DK_GRAD = 3,
	DK_OPT = 4,
	DK_WS = 5,
	DK_COUNT
};

enum dnn_life {
	DL_SHORT = 1,	/* freed within the layer */
	DL_STEP = 2,	/* lives across layers of one step */
	DL_PERSIST = 3,	/* lives across steps */
};

enum dnn_dir {
	DIR_FWD = 1,
	DIR_BWD = 2,
	DIR_OPT = 3,
};

enum alloc_backend {
	ALLOC_MALLOC = 0,
	ALLOC_SENTINEL = 1,
};

struct alloc_stats {
	uint64_t cur[DK_COUNT];		/* live bytes per kind (requested) */
	uint64_t peak[DK_COUNT];	/* high-water mark per kind */
	uint64_t cur_total;
	uint64_t peak_total;		/* high-water mark of the sum */
	uint64_t allocs;
	uint64_t frees;
};

/*
 * Select the backend and whether marks are emitted.  With ALLOC_SENTINEL
 * a session is opened when the module is available; *session_err (when
 * not NULL) receives sntl_open()'s result.  Returns 0 or -1.
 */
int dnn_alloc_init(enum alloc_backend backend, bool marks, int *session_err);
/* Close the session (sentinel backend).  Live allocations must be freed. */
void dnn_alloc_fini(void);
enum alloc_backend dnn_alloc_backend(void);

/*
 * Allocate bytes (64-byte aligned), zeroed when zero is true.  Exits the
 * program with a message when memory runs out.
 */
void *dnn_alloc(size_t bytes, enum dnn_kind kind, enum dnn_life life,
		bool zero);
/* Floats: n * sizeof(float) bytes. */
static inline float *dnn_falloc(size_t n, enum dnn_kind kind,
				enum dnn_life life, bool zero)
{
	return dnn_alloc(n * sizeof(float), kind, life, zero);
}
void dnn_free(void *p);

void dnn_alloc_stats(struct alloc_stats *out);
/* Restart the peaks at the current values. */
void dnn_alloc_reset_peaks(void);
const char *dnn_kind_name(enum dnn_kind kind);

/* Marks (no-ops when marks are off). */
void dnn_step_begin(uint64_t step);
void dnn_step_end(uint64_t step);
void dnn_layer_begin(uint32_t layer, enum dnn_dir dir);
void dnn_layer_end(uint32_t layer, enum dnn_dir dir);
/*
 * End the open layer, if it is not (layer, dir), and begin (layer, dir):
 * a model calls it where a finer layer may start, and with the same id
 * (coarser granularity) nothing happens.
 */
void dnn_layer_switch(uint32_t layer, enum dnn_dir dir);

/*
 * Working-set measurement (malloc backend only; after dnn_alloc_init,
 * before the first allocation): every tensor on pages of its own, and
 * per layer (between dnn_layer_begin and dnn_layer_end) the bytes of the
 * tensors the layer touches: the older tensors it reads or writes,
 * found by protecting every live tensor at the layer's begin, plus the
 * peak of the live bytes of the tensors it allocates.  Slow; for
 * measuring only.  0 or -1.
 */
struct dnn_ws_stats {
	uint64_t layers;	/* layer executions seen */
	uint64_t max;		/* the largest one-layer working set, bytes */
	uint32_t max_layer;	/* ... its layer id */
	enum dnn_dir max_dir_of;	/* ... and direction */
	uint64_t max_dir[3];	/* the largest per direction (fwd, bwd, opt) */
};
int dnn_ws_init(void);
void dnn_ws_stats(struct dnn_ws_stats *out);

/* Print libsentinel's allocator and session statistics to f. */
void dnn_alloc_print_lib_stats(FILE *f);

#endif /* DNN_ALLOC_H */
