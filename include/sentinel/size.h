/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Sizes as people write them, for every program of the project: one
 * parser, header only (libsentinel and its interposer link nothing else).
 */
#ifndef SENTINEL_SIZE_H
#define SENTINEL_SIZE_H

#include <stdint.h>

/* Decimal digits, or hexadecimal after "0x"; -1 when none or too large. */
static inline int sntl__size_digits(const char **p, uint64_t *out)
{
	const char *s = *p;
	unsigned int base = 10, n = 0;
	uint64_t v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (;; s++, n++) {
		unsigned int d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned int)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned int)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned int)(*s - 'A' + 10);
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return -1;
		v = v * base + d;
	}
	if (!n)
		return -1;
	*p = s;
	*out = v;
	return 0;
}

/*
 * Parse @s: a number (decimal, or hexadecimal after "0x"), then
 * optionally K, M, G or T (binary units, either case) and "i", then
 * optionally "B": "4096", "0x1000", "64K", "2MiB", "1GB", "512B".
 * 0 with *@out, or -1 with *@why (when not NULL) saying what is wrong.
 */
static inline int sntl_size_parse(const char *s, uint64_t *out, const char **why)
{
	unsigned int shift = 0;
	const char *w = NULL;
	uint64_t v;

	if (!s || sntl__size_digits(&s, &v)) {
		w = "expected a size (bytes, or a number with K, M, G or T)";
		goto bad;
	}
	switch (*s) {
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	case 't': case 'T': shift = 40; break;
	default: break;
	}
	if (shift) {
		s++;
		if (*s == 'i' || *s == 'I')
			s++;
	}
	if (*s == 'b' || *s == 'B')
		s++;
	if (*s) {
		w = shift ? "trailing characters after the size" :
			    "unknown size suffix (use K, M, G or T)";
		goto bad;
	}
	if (v > (UINT64_MAX >> shift)) {
		w = "size too large";
		goto bad;
	}
	*out = v << shift;
	return 0;
bad:
	if (why)
		*why = w;
	return -1;
}

#endif /* SENTINEL_SIZE_H */
