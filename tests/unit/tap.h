/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TAP output for every host unit test.
 *
 *   tap_plan(n);                      optional: "1..n" first, and a count check
 *   ok(cond, "name %d", x);           one test point
 *   is_int(got, want, "name");  is_u64(...);  is_str(...);
 *   is_near(got, want, tolerance, "name");
 *   diag("note %s", s);               a comment line
 *   return tap_done();                the plan at the end when none was given
 *
 * Without tap_plan() the plan is printed at the end, which TAP allows, so
 * that a test cannot miscount; a test that dies early has no plan.  Every
 * line is flushed, so that forked children do not repeat buffered output.
 */
#ifndef SENTINEL_TESTS_TAP_H
#define SENTINEL_TESTS_TAP_H

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int tap_count, tap_fails, tap_planned = -1;

static inline void tap_plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

static inline bool tap_vok(bool cond, const char *fmt, va_list ap)
{
	tap_count++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
	if (!cond)
		tap_fails++;
	return cond;
}

/* r = the point (@cond, @fmt and the caller's variadic arguments) reported */
#define TAP_VOK(r, cond, fmt)				\
	do {						\
		va_list ap_;				\
							\
		va_start(ap_, fmt);			\
		(r) = tap_vok((cond), (fmt), ap_);	\
		va_end(ap_);				\
	} while (0)

static inline __attribute__((format(printf, 2, 3)))
bool ok(bool cond, const char *fmt, ...)
{
	bool r;

	TAP_VOK(r, cond, fmt);
	return r;
}

static inline __attribute__((format(printf, 3, 4)))
bool is_int(long long got, long long want, const char *fmt, ...)
{
	bool r;

	TAP_VOK(r, got == want, fmt);
	if (!r)
		printf("#   got %lld, want %lld\n", got, want);
	fflush(stdout);
	return r;
}

static inline __attribute__((format(printf, 3, 4)))
bool is_u64(uint64_t got, uint64_t want, const char *fmt, ...)
{
	bool r;

	TAP_VOK(r, got == want, fmt);
	if (!r)
		printf("#   got %" PRIu64 ", want %" PRIu64 "\n", got, want);
	fflush(stdout);
	return r;
}

static inline __attribute__((format(printf, 3, 4)))
bool is_str(const char *got, const char *want, const char *fmt, ...)
{
	bool r;

	TAP_VOK(r, got && want && !strcmp(got, want), fmt);
	if (!r)
		printf("#   got '%s'\n#  want '%s'\n", got ? got : "(null)",
		       want ? want : "(null)");
	fflush(stdout);
	return r;
}

static inline __attribute__((format(printf, 4, 5)))
bool is_near(double got, double want, double tol, const char *fmt, ...)
{
	bool r;

	TAP_VOK(r, fabs(got - want) <= tol, fmt);
	if (!r)
		printf("#   got %.9g, want %.9g (+-%g)\n", got, want, tol);
	fflush(stdout);
	return r;
}

static inline __attribute__((format(printf, 1, 2)))
void diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* The exit status: 0 when every point passed (and as many as planned). */
static inline int tap_done(void)
{
	if (tap_planned < 0)
		printf("1..%d\n", tap_count);
	if (tap_fails)
		printf("# %d of %d failed\n", tap_fails, tap_count);
	if (tap_planned >= 0 && tap_count != tap_planned) {
		printf("# planned %d tests, ran %d\n", tap_planned, tap_count);
		fflush(stdout);
		return 1;
	}
	fflush(stdout);
	return tap_fails ? 1 : 0;
}

#endif /* SENTINEL_TESTS_TAP_H */
