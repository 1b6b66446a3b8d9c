// SPDX-License-Identifier: GPL-2.0
/*
 * Worker pool: one mutex, two condition variables (work available, work
 * finished), a singly linked FIFO.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workers.h"

struct wq_item {
	struct wq_item *next;
	wq_fn fn;
	void *arg;
};

struct wq {
	pthread_mutex_t lock;
	pthread_cond_t more;	/* work queued or stopping */
	pthread_cond_t idle;	/* an item finished */
	struct wq_item *head, *tail;
	uint64_t queued, running, done;
	bool stopping;
	unsigned int nthreads;
	pthread_t *threads;
};

static void *wq_thread(void *data)
{
	struct wq *q = data;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		struct wq_item *it;

		while (!q->head && !q->stopping)
			pthread_cond_wait(&q->more, &q->lock);
		it = q->head;
		if (!it)
			break;	/* stopping and nothing left */
		q->head = it->next;
		if (!q->head)
			q->tail = NULL;
		q->queued--;
		q->running++;
		pthread_mutex_unlock(&q->lock);

		it->fn(it->arg);
		free(it);

		pthread_mutex_lock(&q->lock);
		q->running--;
		q->done++;
		pthread_cond_broadcast(&q->idle);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

struct wq *wq_create(unsigned int threads, const char *name)
{
	sigset_t all, old;
	struct wq *q;
	int err = 0;

	if (!threads) {
		errno = EINVAL;
		return NULL;
	}
	q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->threads = calloc(threads, sizeof(*q->threads));
	if (!q->threads) {
		free(q);
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->more, NULL);
	pthread_cond_init(&q->idle, NULL);

	/* Workers never take signals: the event loop reads them from a signalfd. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (unsigned int i = 0; i < threads; i++) {
		err = pthread_create(&q->threads[i], NULL, wq_thread, q);
		if (err)
			break;
		if (name) {
			char tn[32];

			snprintf(tn, sizeof(tn), "%.10s/%u", name, i % 100);
			tn[15] = '\0';
			pthread_setname_np(q->threads[i], tn);
		}
		q->nthreads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		wq_destroy(q, NULL);
		errno = err;
		return NULL;
	}
	return q;
}

int wq_submit(struct wq *q, wq_fn fn, void *arg)
{
	struct wq_item *it = malloc(sizeof(*it));

	if (!it)
		return -ENOMEM;
	it->next = NULL;
	it->fn = fn;
	it->arg = arg;
	pthread_mutex_lock(&q->lock);
	if (q->stopping) {
		pthread_mutex_unlock(&q->lock);
		free(it);
		return -ESHUTDOWN;
	}
	if (q->tail)
		q->tail->next = it;
	else
		q->head = it;
	q->tail = it;
	q->queued++;
	pthread_cond_signal(&q->more);
	pthread_mutex_unlock(&q->lock);
	return 0;
}

void wq_drain(struct wq *q)
{
	pthread_mutex_lock(&q->lock);
	while (q->head || q->running)
		pthread_cond_wait(&q->idle, &q->lock);
	pthread_mutex_unlock(&q->lock);
}

void wq_get_stats(struct wq *q, struct wq_stats *st)
{
	pthread_mutex_lock(&q->lock);
	st->queued = q->queued;
	st->running = q->running;
	st->done = q->done;
	st->threads = q->nthreads;
	pthread_mutex_unlock(&q->lock);
}

void wq_destroy(struct wq *q, wq_fn cancel)
{
	struct wq_item *it = NULL;

	if (!q)
		return;
	pthread_mutex_lock(&q->lock);
	q->stopping = true;
	if (cancel) {
		it = q->head;
		q->head = q->tail = NULL;
		q->queued = 0;
	}
	pthread_cond_broadcast(&q->more);
	pthread_mutex_unlock(&q->lock);

	while (it) {
		struct wq_item *next = it->next;

		cancel(it->arg);
		free(it);
		it = next;
	}
	for (unsigned int i = 0; i < q->nthreads; i++)
		pthread_join(q->threads[i], NULL);
	pthread_cond_destroy(&q->more);
	pthread_cond_destroy(&q->idle);
	pthread_mutex_destroy(&q->lock);
	free(q->threads);
	free(q);
}
