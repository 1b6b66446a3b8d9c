/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal TAP output for the training engine's unit tests.
 *
 *   tap_plan(n);  tap_ok(cond, "name %d", x);  return tap_done();
 */
#ifndef DNN_TAP_H
#define DNN_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static int tap_count, tap_fails, tap_planned;

static inline void tap_plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

static inline __attribute__((format(printf, 2, 3))) bool
tap_ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!cond)
		tap_fails++;
	return cond;
}

static inline __attribute__((format(printf, 1, 2))) void
tap_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static inline int tap_done(void)
{
	if (tap_count != tap_planned) {
		printf("# planned %d tests, ran %d\n", tap_planned, tap_count);
		return 1;
	}
	return tap_fails ? 1 : 0;
}

#endif /* DNN_TAP_H */
