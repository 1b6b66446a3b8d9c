// SPDX-License-Identifier: GPL-2.0
/*
 * Accounting, bandwidth estimate, drift detection, ial classification.
 */
#include <stdlib.h>
#include <string.h>

#include "accounting.h"

static void fold(struct acct_step *t, const struct acct_step *s)
{
	t->promoted += s->promoted;
	t->demoted += s->demoted;
	t->mig_ns += s->mig_ns;
	t->late += s->late;
	t->late_bytes += s->late_bytes;
	t->enomem += s->enomem;
	t->gone_pages += s->gone_pages;
	t->failed_pages += s->failed_pages;
	t->touched += s->touched;
	t->touched_fast += s->touched_fast;
	if (s->peak_fast > t->peak_fast)
		t->peak_fast = s->peak_fast;
}

void acct_step_begin(struct acct *a, uint64_t step)
{
	if (a->cur.step || a->steps) {
		a->last = a->cur;
		fold(&a->total, &a->cur);
	}
	a->steps++;
	memset(&a->cur, 0, sizeof(a->cur));
	a->cur.step = step;
	a->total.step = a->steps;
}

void acct_moved(struct acct *a, bool promote, uint64_t bytes, uint64_t ns)
{
	if (promote)
		a->cur.promoted += bytes;
	else
		a->cur.demoted += bytes;
	a->cur.mig_ns += ns;
}

void acct_late(struct acct *a, uint64_t bytes)
{
	a->cur.late++;
	a->cur.late_bytes += bytes;
}

void acct_touch(struct acct *a, uint64_t touched, uint64_t fast)
{
	a->cur.touched += touched;
	a->cur.touched_fast += fast < touched ? fast : touched;
}

void acct_fast(struct acct *a, uint64_t bytes)
{
	if (bytes > a->cur.peak_fast)
		a->cur.peak_fast = bytes;
	if (bytes > a->peak_fast)
		a->peak_fast = bytes;
}

double acct_hit_ratio(const struct acct_step *s)
{
	if (!s->touched)
		return -1;
	return (double)s->touched_fast / (double)s->touched;
}

bool acct_moves_kept_up(const struct acct_step *s, uint64_t step_ns)
{
	uint64_t due = s->promoted + s->late_bytes;

	if (s->late_bytes > due / 4)
		return false;
	return !step_ns || s->mig_ns / 2 <= step_ns;
}

uint64_t acct_bw_update(uint64_t bw, uint64_t bytes, uint64_t ns,
			uint64_t min_bytes)
{
	double sample;

	if (!ns || !bytes || bytes < min_bytes)
		return bw;
	sample = (double)bytes * 1e9 / (double)ns;
	if (sample < 1)
		sample = 1;
	if (!bw)
		return (uint64_t)sample;
	return (uint64_t)((double)bw * 0.75 + sample * 0.25);
}

bool drift_scan(struct drift *d, uint64_t pages, uint64_t young)
{
	double f, dev;

	if (pages < 16)
		return false;
	if (young > pages)
		young = pages;
	if (d->learn) {
		d->lpages += pages;
		d->lyoung += young;
		if (!--d->learn)
			d->expected = (double)d->lyoung / (double)d->lpages;
		return false;
	}
	f = (double)young / (double)pages;
	dev = f > d->expected ? f - d->expected : d->expected - f;
	if (dev > d->threshold)
		d->run++;
	else
		d->run = 0;
	return d->need && d->run >= d->need;
}

bool drift_objects(uint64_t unknown, uint64_t missing, uint64_t planned,
		   double threshold)
{
	double lim;

	if (!planned)
		return unknown > 0;
	lim = (double)planned * threshold;
	return (double)unknown > lim || (double)missing > lim;
}

struct ial_key {
	size_t i;
	uint32_t age;
	double heat;
};

static int ial_cmp(const void *a, const void *b)
{
	const struct ial_key *x = a, *y = b;

	if (x->age != y->age)
		return x->age < y->age ? -1 : 1;
	if (x->heat != y->heat)
		return x->heat > y->heat ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

uint64_t ial_classify(struct ial_region *r, size_t n, uint64_t budget,
		      uint64_t page_size, uint32_t inactive_age)
{
	struct ial_key *k;
	uint64_t used = 0;
	size_t na = 0;

	for (size_t i = 0; i < n; i++) {
		if (r[i].accessed)
			r[i].age = 0;
		else if (r[i].age < UINT32_MAX)
			r[i].age++;
		r[i].want = 0;
	}
	k = calloc(n ? n : 1, sizeof(*k));
	if (!k) {
		/* Keep what is there: no moves. */
		for (size_t i = 0; i < n; i++)
			r[i].want = r[i].fast;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (r[i].age < inactive_age && r[i].pages)
			k[na++] = (struct ial_key){
				i, r[i].age,
				(double)r[i].accessed / (double)r[i].pages,
			};
	qsort(k, na, sizeof(*k), ial_cmp);
	for (size_t j = 0; j < na; j++) {
		uint64_t b = r[k[j].i].pages * page_size;

		if (used + b > budget)
			continue;	/* a smaller one may still fit */
		used += b;
		r[k[j].i].want = 1;
	}
	free(k);
	return used;
}
