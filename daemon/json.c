// SPDX-License-Identifier: GPL-2.0
/*
 * Minimal JSON writer.  Strings are escaped per RFC 8259; bytes that are
 * not valid UTF-8 are written as \u00XX so the output is always valid.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

void jb_init(struct jbuf *b)
{
	memset(b, 0, sizeof(*b));
}

void jb_free(struct jbuf *b)
{
	free(b->s);
	jb_init(b);
}

static bool jb_reserve(struct jbuf *b, size_t n)
{
	size_t cap;
	char *s;

	if (b->oom)
		return false;
	if (b->len + n + 1 <= b->cap)
		return true;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + n + 1) {
		if (cap > SIZE_MAX / 2) {
			b->oom = true;
			return false;
		}
		cap *= 2;
	}
	s = realloc(b->s, cap);
	if (!s) {
		b->oom = true;
		return false;
	}
	b->s = s;
	b->cap = cap;
	return true;
}

void jb_raw(struct jbuf *b, const char *s, size_t n)
{
	if (!jb_reserve(b, n))
		return;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void jb_printf(struct jbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !jb_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static void jb_escaped(struct jbuf *b, const char *v)
{
	const unsigned char *p = (const unsigned char *)v;

	jb_raw(b, "\"", 1);
	while (*p) {
		unsigned char c = *p;
		size_t seq = 0;

		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };

			jb_raw(b, e, 2);
			p++;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			jb_printf(b, "\\u%04x", c);
			p++;
			continue;
		}
		if (c < 0x80) {
			jb_raw(b, (const char *)p, 1);
			p++;
			continue;
		}
		/* Copy a well-formed UTF-8 sequence, escape a stray byte. */
		if ((c & 0xe0) == 0xc0 && c >= 0xc2)
			seq = 2;
		else if ((c & 0xf0) == 0xe0)
			seq = 3;
		else if ((c & 0xf8) == 0xf0 && c <= 0xf4)
			seq = 4;
		for (size_t i = 1; i < seq; i++)
			if ((p[i] & 0xc0) != 0x80) {
				seq = 0;
				break;
			}
		if (seq) {
			jb_raw(b, (const char *)p, seq);
			p += seq;
		} else {
			jb_printf(b, "\\u%04x", c);
			p++;
		}
	}
	jb_raw(b, "\"", 1);
}

static void jb_key(struct jbuf *b, const char *key)
{
	if (b->need_comma)
		jb_raw(b, ",", 1);
	b->need_comma = true;
	if (key) {
		jb_escaped(b, key);
		jb_raw(b, ":", 1);
	}
}

void jb_obj_begin(struct jbuf *b, const char *key)
{
	jb_key(b, key);
	jb_raw(b, "{", 1);
	b->need_comma = false;
	b->depth++;
}

void jb_obj_end(struct jbuf *b)
{
	jb_raw(b, "}", 1);
	b->need_comma = true;
	b->depth--;
}

void jb_arr_begin(struct jbuf *b, const char *key)
{
	jb_key(b, key);
	jb_raw(b, "[", 1);
	b->need_comma = false;
	b->depth++;
}

void jb_arr_end(struct jbuf *b)
{
	jb_raw(b, "]", 1);
	b->need_comma = true;
	b->depth--;
}

void jb_str(struct jbuf *b, const char *key, const char *v)
{
	jb_key(b, key);
	jb_escaped(b, v ? v : "");
}

void jb_u64(struct jbuf *b, const char *key, uint64_t v)
{
	jb_key(b, key);
	jb_printf(b, "%" PRIu64, v);
}

void jb_i64(struct jbuf *b, const char *key, int64_t v)
{
	jb_key(b, key);
	jb_printf(b, "%" PRId64, v);
}

void jb_bool(struct jbuf *b, const char *key, bool v)
{
	jb_key(b, key);
	jb_raw(b, v ? "true" : "false", v ? 4 : 5);
}

void jb_null(struct jbuf *b, const char *key)
{
	jb_key(b, key);
	jb_raw(b, "null", 4);
}
