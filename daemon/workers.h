/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A fixed pool of worker threads fed by a FIFO work queue.  Migrations run
 * here; the event loop only queues work.
 */
#ifndef SENTINELD_WORKERS_H
#define SENTINELD_WORKERS_H

#include <stddef.h>
#include <stdint.h>

typedef void (*wq_fn)(void *arg);

struct wq;

struct wq_stats {
	uint64_t queued;	/* items waiting */
	uint64_t running;	/* items being run */
	uint64_t done;		/* items completed */
	unsigned int threads;
};

/* Start @threads workers; NULL with errno set on failure. */
struct wq *wq_create(unsigned int threads, const char *name);
/*
 * Queue @fn(@arg).  Returns 0, -ENOMEM, or -ESHUTDOWN after wq_destroy()
 * began; on failure @fn is not called and @arg is still the caller's.
 */
int wq_submit(struct wq *q, wq_fn fn, void *arg);
/* Wait until every item queued so far has completed. */
void wq_drain(struct wq *q);
void wq_get_stats(struct wq *q, struct wq_stats *st);
/*
 * Stop accepting work, run what is queued (or, with @cancel, hand each
 * queued item to @cancel instead of running it), join the threads, free.
 */
void wq_destroy(struct wq *q, wq_fn cancel);

#endif /* SENTINELD_WORKERS_H */
