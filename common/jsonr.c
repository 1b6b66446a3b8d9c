// SPDX-License-Identifier: GPL-2.0
/* Small JSON reader; see jsonr.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonr.h"

#define MAX_DEPTH 32

struct parser {
	const char *s;
	const char *start;
	char *err;
	size_t len;
	int failed;
};

static void fail(struct parser *p, const char *what)
{
	if (!p->failed)
		snprintf(p->err, p->len, "column %ld: %s",
			 (long)(p->s - p->start) + 1, what);
	p->failed = 1;
}

static void blank(struct parser *p)
{
	while (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r')
		p->s++;
}

static void release(struct json *j)
{
	if (j->type == JSON_STR)
		free(j->str);
	if (j->type == JSON_ARR || j->type == JSON_OBJ) {
		for (size_t i = 0; i < j->n; i++) {
			release(&j->items[i]);
			if (j->keys)
				free(j->keys[i]);
		}
		free(j->items);
		free(j->keys);
	}
}

static char *string(struct parser *p)
{
	size_t cap = 16, n = 0;
	char *out = malloc(cap);

	if (!out) {
		fail(p, "out of memory");
		return NULL;
	}
	p->s++; /* opening quote */
	for (;;) {
		char c = *p->s++;

		if (c == '\0' || (unsigned char)c < 0x20) {
			fail(p, "unterminated string");
			free(out);
			return NULL;
		}
		if (c == '"')
			break;
		if (c == '\\') {
			c = *p->s++;
			switch (c) {
			case '"': case '\\': case '/': break;
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			default:
				fail(p, "unsupported escape in string");
				free(out);
				return NULL;
			}
		}
		if (n + 2 > cap) {
			char *t = realloc(out, cap *= 2);

			if (!t) {
				free(out);
				fail(p, "out of memory");
				return NULL;
			}
			out = t;
		}
		out[n++] = c;
	}
	out[n] = '\0';
	return out;
}

static int value(struct parser *p, struct json *j, int depth);

static int push(struct parser *p, struct json *j, size_t *cap)
{
	if (j->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 4;
		struct json *it = realloc(j->items, nc * sizeof(*it));

		if (!it) {
			fail(p, "out of memory");
			return -1;
		}
		j->items = it;
		if (j->type == JSON_OBJ) {
			char **k = realloc(j->keys, nc * sizeof(*k));

			if (!k) {
				fail(p, "out of memory");
				return -1;
			}
			j->keys = k;
		}
		*cap = nc;
	}
	memset(&j->items[j->n], 0, sizeof(j->items[0]));
	if (j->keys)
		j->keys[j->n] = NULL;
	j->n++;
	return 0;
}

static int container(struct parser *p, struct json *j, int depth)
{
	char close = *p->s == '{' ? '}' : ']';
	size_t cap = 0;

	j->type = close == '}' ? JSON_OBJ : JSON_ARR;
	if (depth >= MAX_DEPTH) {
		fail(p, "nested too deeply");
		return -1;
	}
	p->s++;
	blank(p);
	if (*p->s == close) {
		p->s++;
		return 0;
	}
	for (;;) {
		blank(p);
		if (push(p, j, &cap))
			return -1;
		if (j->type == JSON_OBJ) {
			if (*p->s != '"') {
				j->n--;
				fail(p, "expected a key");
				return -1;
			}
			j->keys[j->n - 1] = string(p);
			if (!j->keys[j->n - 1])
				return -1;
			blank(p);
			if (*p->s != ':') {
				fail(p, "expected ':'");
				return -1;
			}
			p->s++;
		}
		if (value(p, &j->items[j->n - 1], depth + 1))
			return -1;
		blank(p);
		if (*p->s == ',') {
			p->s++;
			continue;
		}
		if (*p->s == close) {
			p->s++;
			return 0;
		}
		fail(p, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
		return -1;
	}
}

static int number(struct parser *p, struct json *j)
{
	const char *s = p->s;
	char *end;
	bool integer = true;
	const char *q = s;

	if (*q == '-')
		q++;
	if (*q < '0' || *q > '9') {
		fail(p, "unexpected character");
		return -1;
	}
	while ((*q >= '0' && *q <= '9') || *q == '.' || *q == 'e' ||
	       *q == 'E' || *q == '+' || *q == '-') {
		if (*q == '.' || *q == 'e' || *q == 'E')
			integer = false;
		q++;
	}
	j->type = JSON_NUM;
	errno = 0;
	j->num = strtod(s, &end);
	if (end != q || errno == EINVAL) {
		fail(p, "bad number");
		return -1;
	}
	if (integer && *s != '-') {
		errno = 0;
		j->u = strtoull(s, &end, 10);
		j->is_uint = errno == 0 && end == q;
	}
	p->s = q;
	return 0;
}

static int value(struct parser *p, struct json *j, int depth)
{
	blank(p);
	switch (*p->s) {
	case '{':
	case '[':
		return container(p, j, depth);
	case '"':
		j->type = JSON_STR;
		j->str = string(p);
		return j->str ? 0 : -1;
	case 't':
		if (strncmp(p->s, "true", 4))
			break;
		j->type = JSON_BOOL;
		j->b = true;
		p->s += 4;
		return 0;
	case 'f':
		if (strncmp(p->s, "false", 5))
			break;
		j->type = JSON_BOOL;
		p->s += 5;
		return 0;
	case 'n':
		if (strncmp(p->s, "null", 4))
			break;
		j->type = JSON_NULL;
		p->s += 4;
		return 0;
	default:
		return number(p, j);
	}
	fail(p, "unexpected word");
	return -1;
}

struct json *json_parse(const char *text, char *err, size_t len)
{
	struct parser p = { .s = text, .start = text, .err = err, .len = len };
	struct json *j = calloc(1, sizeof(*j));

	if (!j) {
		snprintf(err, len, "out of memory");
		return NULL;
	}
	if (value(&p, j, 0) == 0) {
		blank(&p);
		if (*p.s)
			fail(&p, "trailing characters");
	}
	if (p.failed) {
		json_free(j);
		return NULL;
	}
	return j;
}

void json_free(struct json *j)
{
	if (!j)
		return;
	release(j);
	free(j);
}

const struct json *json_get(const struct json *obj, const char *key)
{
	if (!obj || obj->type != JSON_OBJ)
		return NULL;
	for (size_t i = 0; i < obj->n; i++)
		if (obj->keys[i] && !strcmp(obj->keys[i], key))
			return &obj->items[i];
	return NULL;
}

uint64_t json_u64(const struct json *obj, const char *key, uint64_t def)
{
	const struct json *v = json_get(obj, key);

	return v && v->type == JSON_NUM && v->is_uint ? v->u : def;
}

const struct json *json_find(const struct json *j, const char *key)
{
	if (!j || (j->type != JSON_OBJ && j->type != JSON_ARR))
		return NULL;
	for (size_t i = 0; i < j->n; i++) {
		const struct json *f;

		if (j->type == JSON_OBJ && !strcmp(j->keys[i], key))
			return &j->items[i];
		f = json_find(&j->items[i], key);
		if (f)
			return f;
	}
	return NULL;
}
