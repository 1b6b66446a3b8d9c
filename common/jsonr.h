/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small JSON reader (the tier lab's records, sentineld's replies to
 * sentinelctl).  Integers that fit are kept exactly as uint64_t.  No I/O.
 */
#ifndef SENTINEL_JSONR_H
#define SENTINEL_JSONR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUM, JSON_STR, JSON_ARR, JSON_OBJ };

struct json {
	enum json_type type;
	bool b;
	double num;
	bool is_uint;	 /* num is a non-negative integer, exact in u */
	uint64_t u;
	char *str;
	size_t n;	 /* JSON_ARR / JSON_OBJ: number of items */
	struct json *items;
	char **keys;	 /* JSON_OBJ: key of each item */
};

/* Parse text (one value, surrounding blanks allowed); NULL + err on error. */
struct json *json_parse(const char *text, char *err, size_t len);
void json_free(struct json *j);
/* Member of an object, or NULL. */
const struct json *json_get(const struct json *obj, const char *key);
/* Unsigned integer member; def when absent or not an unsigned integer. */
uint64_t json_u64(const struct json *obj, const char *key, uint64_t def);
/* The first member named @key in @j or below it (depth first, in order), or NULL. */
const struct json *json_find(const struct json *j, const char *key);

#endif /* SENTINEL_JSONR_H */
