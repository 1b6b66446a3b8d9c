/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rng.h - the engine's own pseudo-random generator (xoshiro256**,
 * seeded through splitmix64), so that runs are reproducible on every
 * C library.
 */
#ifndef DNN_RNG_H
#define DNN_RNG_H

#include <math.h>
#include <stdint.h>

struct rng {
	uint64_t s[4];
};

static inline uint64_t rng_splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Seed from a seed and a stream number (for example the step). */
static inline void rng_seed(struct rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * 0xd1342543de82ef95ULL);

	for (int i = 0; i < 4; i++)
		r->s[i] = rng_splitmix(&x);
}

static inline uint64_t rng_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rng_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rng_rotl(s[3], 45);
	return out;
}

/* Uniform in [0, 1), 24 bits. */
static inline float rng_uniform(struct rng *r)
{
	return (float)(rng_next(r) >> 40) * (1.0f / 16777216.0f);
}

/* Uniform integer in [0, n). */
static inline uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/*
 * Approximately standard normal: the sum of four uniforms, rescaled.
 * Only basic arithmetic, so the values are the same everywhere.
 */
static inline float rng_normal(struct rng *r)
{
	float s = rng_uniform(r) + rng_uniform(r) + rng_uniform(r) +
		  rng_uniform(r);

	return (s - 2.0f) * 1.7320508f;
}

#endif /* DNN_RNG_H */
