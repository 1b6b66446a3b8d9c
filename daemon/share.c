// SPDX-License-Identifier: GPL-2.0
/*
 * Weighted max-min fair shares of the fast tier (share.h).  The level L
 * (bytes per unit of weight) is found by bisection over the integers:
 * the total of min(demand, max(floor, L * weight)) grows with L, and the
 * largest L whose total fits the pool is the fair one.
 */
#include <stdbool.h>

#include "share.h"

static uint32_t weight_of(const struct share_req *r)
{
	if (!r->weight)
		return 1;
	return r->weight > SHARE_WEIGHT_MAX ? SHARE_WEIGHT_MAX : r->weight;
}

static uint64_t floor_of(const struct share_req *r)
{
	return r->floor < r->demand ? r->floor : r->demand;
}

/* One session's share at level @level (saturating). */
static uint64_t at_level(const struct share_req *r, uint64_t level)
{
	uint32_t w = weight_of(r);
	uint64_t x = level > UINT64_MAX / w ? UINT64_MAX : level * w;
	uint64_t f = floor_of(r);

	if (x < f)
		x = f;
	return x < r->demand ? x : r->demand;
}

/* Do the shares at @level fit in @pool? */
static bool fits(const struct share_req *r, size_t n, uint64_t level, uint64_t pool)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t s = at_level(&r[i], level);

		if (s > pool - sum)
			return false;
		sum += s;
	}
	return true;
}

/*
 * What the integer level @level leaves of the pool (@left, less than the
 * weights of the sessions still growing) goes to those sessions in
 * proportion to their weights, none beyond its share at @level + 1.
 * Returns the bytes given.
 */
static uint64_t spread(const struct share_req *r, size_t n, uint64_t level, uint64_t left,
		       uint64_t *out)
{
	uint64_t wgrow = 0, given = 0;

	for (size_t i = 0; i < n; i++)
		if (at_level(&r[i], level + 1) > out[i])
			wgrow += weight_of(&r[i]);
	for (int pass = 0; pass < 2 && given < left; pass++)
		for (size_t i = 0; i < n && given < left; i++) {
			uint64_t room = at_level(&r[i], level + 1) - out[i];
			uint64_t x = pass ? 1 : (left * weight_of(&r[i])) / (wgrow ? wgrow : 1);

			if (x > room)
				x = room;
			if (x > left - given)
				x = left - given;
			out[i] += x;
			given += x;
		}
	return given;
}

/* The floors alone exceed @pool: each gets its floor scaled down. */
static uint64_t split_floors(const struct share_req *r, size_t n, uint64_t pool,
			     unsigned __int128 floors, uint64_t *out)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++) {
		out[i] = (uint64_t)(floor_of(&r[i]) * (unsigned __int128)pool / floors);
		sum += out[i];
	}
	return sum;
}

uint64_t share_split(const struct share_req *r, size_t n, uint64_t pool, uint64_t *out)
{
	unsigned __int128 floors = 0, demands = 0;
	uint64_t lo = 0, hi = 0, sum = 0;

	for (size_t i = 0; i < n; i++) {
		floors += floor_of(&r[i]);
		demands += r[i].demand;
		if (r[i].demand > hi)
			hi = r[i].demand;
	}
	if (floors > pool)
		return split_floors(r, n, pool, floors, out);
	if (demands <= pool) {
		for (size_t i = 0; i < n; i++)
			sum += out[i] = r[i].demand;
		return sum;
	}
	/* At level hi every session has its demand: more than the pool. */
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2 + 1;

		if (fits(r, n, mid, pool))
			lo = mid;
		else
			hi = mid - 1;
	}
	for (size_t i = 0; i < n; i++)
		sum += out[i] = at_level(&r[i], lo);
	return sum + spread(r, n, lo, pool - sum, out);
}
