// SPDX-License-Identifier: GPL-2.0
/* Unit tests: the tier lab's JSON reader (tools/lab/json.c). */
#include <string.h>

#include "jsonr.h"
#include "tap.h"

int main(void)
{
	char err[160];
	struct json *j;
	const struct json *a;

	tap_plan(16);

	j = json_parse("{\"seq\":3,\"kind\":\"layer_begin\",\"on\":true,"
		       "\"cpus\":[{\"insns\":18446744073709551615,\"miss\":[1,2,0]}],"
		       "\"x\":-1.5e3,\"n\":null,\"s\":\"a\\\"b\\\\\"}",
		       err, sizeof(err));
	ok(j && j->type == JSON_OBJ && j->n == 7, "object with 7 members");
	is_u64(json_u64(j, "seq", 0), 3, "integer member");
	a = json_get(j, "kind");
	ok(a && a->type == JSON_STR && !strcmp(a->str, "layer_begin"), "string member");
	a = json_get(j, "on");
	ok(a && a->type == JSON_BOOL && a->b, "boolean member");
	a = json_get(j, "cpus");
	ok(a && a->type == JSON_ARR && a->n == 1 &&
		   json_u64(&a->items[0], "insns", 0) == UINT64_MAX,
	   "u64 max kept exactly");
	a = json_get(&a->items[0], "miss");
	ok(a && a->n == 3 && a->items[1].u == 2, "nested array");
	a = json_get(j, "x");
	ok(a && a->type == JSON_NUM && !a->is_uint && a->num == -1500, "negative float");
	ok(json_get(j, "n") && json_get(j, "n")->type == JSON_NULL, "null");
	ok(!strcmp(json_get(j, "s")->str, "a\"b\\"), "escapes");
	ok(json_u64(j, "missing", 7) == 7 && json_u64(j, "kind", 8) == 8,
	   "defaults for absent or non-numeric members");
	a = json_find(j, "insns");
	ok(a && a->is_uint && a->u == UINT64_MAX, "json_find: a member inside an array's object");
	ok(json_find(j, "seq") == json_get(j, "seq") && !json_find(j, "nope") &&
	   !json_find(json_get(j, "seq"), "seq"), "json_find: top level, absent, not a container");
	json_free(j);

	ok(!json_parse("{\"a\":1,}", err, sizeof(err)) && strstr(err, "column 8"),
	   "trailing comma: %s", err);
	ok(!json_parse("{\"a\":1} x", err, sizeof(err)) && strstr(err, "trailing"),
	   "trailing garbage: %s", err);
	ok(!json_parse("[\"abc", err, sizeof(err)) && strstr(err, "unterminated"),
	   "unterminated string: %s", err);
	ok(!json_parse("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
		       err, sizeof(err)) && strstr(err, "deeply"),
	   "depth limit: %s", err);
	return tap_done();
}
