/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fast tier shared among sessions: weighted max-min fairness with a
 * guaranteed minimum.  Pure C: no I/O, no state.
 */
#ifndef SENTINELD_SHARE_H
#define SENTINELD_SHARE_H

#include <stddef.h>
#include <stdint.h>

#define SHARE_WEIGHT_MAX	10000

/**
 * struct share_req - what one session asks of the pool
 * @demand: the most it can use (its own budget); 0 asks nothing
 * @weight: its weight, 1..SHARE_WEIGHT_MAX (0 is taken as 1)
 * @floor: its guaranteed minimum (capped at @demand)
 */
struct share_req {
	uint64_t demand;
	uint32_t weight;
	uint64_t floor;
};

/**
 * share_split() - divide @pool bytes among @n sessions
 * @r: the requests
 * @n: their number
 * @pool: the bytes to divide
 * @out: each session's share (n entries)
 *
 * Every session first gets its floor (the floors scaled down in
 * proportion when they alone exceed @pool), then the rest is divided in
 * proportion to the weights, no session getting more than its demand
 * and what one does not use going to the others (weighted max-min
 * fairness: share = min(demand, max(floor, L * weight)) for the largest
 * level L that fits).  The shares never add up to more than @pool.
 *
 * Return: the sum of the shares.
 */
uint64_t share_split(const struct share_req *r, size_t n, uint64_t pool, uint64_t *out);

#endif /* SENTINELD_SHARE_H */
