/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal TAP output for the daemon's host unit tests.
 *
 *   ok(cond, "name %d", x);  is_int(got, want, "name");
 *   is_str(got, want, "name");  return tap_end();   (plan printed at the end)
 */
#ifndef DAEMON_TAP_H
#define DAEMON_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static int tap_count, tap_fails;

static inline bool tap_report(bool cond, const char *fmt, va_list ap)
{
	tap_count++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	vprintf(fmt, ap);
	putchar('\n');
	if (!cond)
		tap_fails++;
	return cond;
}

static inline __attribute__((format(printf, 2, 3)))
bool ok(bool cond, const char *fmt, ...)
{
	va_list ap;
	bool r;

	va_start(ap, fmt);
	r = tap_report(cond, fmt, ap);
	va_end(ap);
	return r;
}

static inline __attribute__((format(printf, 3, 4)))
bool is_int(long long got, long long want, const char *fmt, ...)
{
	va_list ap;
	bool r;

	va_start(ap, fmt);
	r = tap_report(got == want, fmt, ap);
	va_end(ap);
	if (!r)
		printf("#   got %lld, want %lld\n", got, want);
	return r;
}

static inline __attribute__((format(printf, 3, 4)))
bool is_str(const char *got, const char *want, const char *fmt, ...)
{
	va_list ap;
	bool r;

	va_start(ap, fmt);
	r = tap_report(got && want && !strcmp(got, want), fmt, ap);
	va_end(ap);
	if (!r)
		printf("#   got '%s'\n#  want '%s'\n", got ? got : "(null)",
		       want ? want : "(null)");
	return r;
}

static inline int tap_end(void)
{
	printf("1..%d\n", tap_count);
	if (tap_fails)
		printf("# %d of %d failed\n", tap_fails, tap_count);
	return tap_fails ? 1 : 0;
}

/* Write @text to @root/@rel, making the directories on the way. */
static inline void mkfile(const char *root, const char *rel, const char *text)
{
	char p[512], *s;
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	for (s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	f = fopen(p, "w");
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
}

#endif /* DAEMON_TAP_H */
