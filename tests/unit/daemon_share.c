// SPDX-License-Identifier: GPL-2.0
/*
 * The fast tier's fair shares (daemon/share.c) on the host: weights,
 * demands, guaranteed minimums, and against a reference water-filling
 * on random sessions.
 */
#include <stdlib.h>

#include "daemon_tap.h"
#include "share.h"

#define MB (1ULL << 20)

static uint64_t split(const struct share_req *r, size_t n, uint64_t pool, uint64_t *out)
{
	return share_split(r, n, pool, out);
}

static void test_basic(void)
{
	struct share_req r[3] = { { 0 } };
	uint64_t out[3] = { 0 };

	is_int((long long)split(r, 0, 100, out), 0, "no session: nothing shared");
	r[0] = (struct share_req){ .demand = 100, .weight = 1 };
	is_int((long long)split(r, 1, 1000, out), 100, "one session below the pool: its demand");
	r[0].demand = 1000;
	split(r, 1, 100, out);
	is_int((long long)out[0], 100, "one session above the pool: the pool");
	r[1] = r[0];
	split(r, 2, 100, out);
	ok(out[0] == 50 && out[1] == 50, "equal weights: halves (%llu, %llu)",
	   (unsigned long long)out[0], (unsigned long long)out[1]);
	r[0].weight = 3;
	split(r, 2, 400, out);
	ok(out[0] == 300 && out[1] == 100, "weights 3:1: 300 and 100 (%llu, %llu)",
	   (unsigned long long)out[0], (unsigned long long)out[1]);
	r[0] = (struct share_req){ .demand = 10, .weight = 1 };
	r[1] = (struct share_req){ .demand = 1000, .weight = 1 };
	split(r, 2, 100, out);
	ok(out[0] == 10 && out[1] == 90,
	   "what one session does not need goes to the other (%llu, %llu)",
	   (unsigned long long)out[0], (unsigned long long)out[1]);
	r[0] = (struct share_req){ .demand = 0, .weight = 5 };
	split(r, 2, 100, out);
	ok(out[0] == 0 && out[1] == 100, "a session asking nothing gets nothing");
	r[0] = (struct share_req){ .demand = 1000, .weight = 0 };
	r[1] = (struct share_req){ .demand = 1000, .weight = 1 };
	split(r, 2, 100, out);
	ok(out[0] == 50 && out[1] == 50, "weight 0 counts as 1");
	r[0].weight = 4000000;
	r[1].weight = SHARE_WEIGHT_MAX;
	split(r, 2, 100, out);
	ok(out[0] == 50 && out[1] == 50, "weights above the maximum count as the maximum");
}

static void test_floors(void)
{
	struct share_req r[3];
	uint64_t out[3], sum;

	r[0] = (struct share_req){ .demand = 1000, .weight = 1, .floor = 30 };
	r[1] = (struct share_req){ .demand = 1000, .weight = 9, .floor = 30 };
	sum = split(r, 2, 100, out);
	ok(out[0] == 30 && out[1] >= 63 && out[1] <= 70 && sum <= 100,
	   "a light session keeps its minimum, the heavy one the rest (%llu, %llu)",
	   (unsigned long long)out[0], (unsigned long long)out[1]);
	for (int i = 0; i < 3; i++)
		r[i] = (struct share_req){ .demand = 1000, .weight = 1, .floor = 50 };
	sum = split(r, 3, 90, out);
	ok(out[0] == 30 && out[1] == 30 && out[2] == 30 && sum == 90,
	   "minimums beyond the pool are scaled down alike");
	r[0] = (struct share_req){ .demand = 10, .weight = 1, .floor = 50 };
	r[1] = (struct share_req){ .demand = 1000, .weight = 1, .floor = 50 };
	split(r, 2, 100, out);
	ok(out[0] == 10 && out[1] == 90, "a minimum above the demand is the demand");
	r[0] = (struct share_req){ .demand = 4000 * MB, .weight = 2, .floor = 0 };
	r[1] = (struct share_req){ .demand = 3000 * MB, .weight = 1, .floor = 0 };
	sum = split(r, 2, 3000 * MB, out);
	ok(out[0] == 2000 * MB && out[1] == 1000 * MB && sum == 3000 * MB,
	   "gigabytes: 2:1 of 3000 MiB");
	r[0].demand = UINT64_MAX;
	r[1].demand = UINT64_MAX;
	sum = split(r, 2, UINT64_MAX - 1, out);
	ok(sum <= UINT64_MAX - 1 && out[0] > out[1], "demands at the limit do not overflow");
}

/* Reference: the level found in floating point. */
static void reference(const struct share_req *r, size_t n, uint64_t pool, double *ref)
{
	double lo = 0, hi = 0, floors = 0;

	for (size_t i = 0; i < n; i++) {
		double f = (double)(r[i].floor < r[i].demand ? r[i].floor : r[i].demand);

		floors += f;
		if ((double)r[i].demand > hi)
			hi = (double)r[i].demand;
	}
	if (floors > (double)pool) {
		for (size_t i = 0; i < n; i++)
			ref[i] = (double)(r[i].floor < r[i].demand ? r[i].floor : r[i].demand) *
				 (double)pool / floors;
		return;
	}
	for (int it = 0; it < 200; it++) {
		double mid = (lo + hi) / 2, sum = 0;

		for (size_t i = 0; i < n; i++) {
			double f = (double)(r[i].floor < r[i].demand ? r[i].floor : r[i].demand);
			double x = mid * r[i].weight;

			x = x < f ? f : x;
			sum += x < (double)r[i].demand ? x : (double)r[i].demand;
		}
		if (sum <= (double)pool)
			lo = mid;
		else
			hi = mid;
	}
	for (size_t i = 0; i < n; i++) {
		double f = (double)(r[i].floor < r[i].demand ? r[i].floor : r[i].demand);
		double x = lo * r[i].weight;

		x = x < f ? f : x;
		ref[i] = x < (double)r[i].demand ? x : (double)r[i].demand;
	}
}

static void test_random(void)
{
	unsigned int seed = 20261203, bad = 0, over = 0;

	for (int t = 0; t < 20000; t++) {
		struct share_req r[8];
		uint64_t out[8], sum, pool = (uint64_t)rand_r(&seed) % (64 * MB);
		size_t n = (size_t)(rand_r(&seed) % 8) + 1;
		double ref[8];

		for (size_t i = 0; i < n; i++) {
			r[i].demand = (uint64_t)rand_r(&seed) % (32 * MB);
			r[i].weight = (uint32_t)(rand_r(&seed) % 16) + 1;
			r[i].floor = rand_r(&seed) % 2 ? (uint64_t)rand_r(&seed) % (8 * MB) : 0;
		}
		sum = split(r, n, pool, out);
		reference(r, n, pool, ref);
		over += sum > pool;
		for (size_t i = 0; i < n; i++) {
			double d = (double)out[i] - ref[i];

			over += out[i] > r[i].demand;
			/* Integer level: within a weight's worth of bytes. */
			if (d > (double)r[i].weight + 1.0 || d < -(double)r[i].weight - 1.0)
				bad++;
		}
		{
			uint64_t dem = 0;

			for (size_t i = 0; i < n; i++)
				dem += r[i].demand;
			/* Nothing left unused while wanted (but rounding). */
			bad += dem > sum && sum + n < pool;
		}
	}
	is_int(over, 0, "20000 random cases: no share above its demand, no sum above the pool");
	is_int(bad, 0, "20000 random cases: every share the weighted max-min one (reference)");
}

int main(void)
{
	test_basic();
	test_floors();
	test_random();
	return tap_done();
}
