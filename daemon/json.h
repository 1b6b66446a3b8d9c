/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A growable output buffer with a minimal JSON writer (objects, arrays,
 * escaped strings, integers).  Commas are inserted automatically.
 */
#ifndef SENTINELD_JSON_H
#define SENTINELD_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jbuf {
	char *s;
	size_t len, cap;
	bool oom;		/* an allocation failed: the content is cut */
	bool need_comma;
	int depth;
};

void jb_init(struct jbuf *b);
void jb_free(struct jbuf *b);
void jb_raw(struct jbuf *b, const char *s, size_t n);
void jb_printf(struct jbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void jb_obj_begin(struct jbuf *b, const char *key);	/* key NULL in arrays */
void jb_obj_end(struct jbuf *b);
void jb_arr_begin(struct jbuf *b, const char *key);
void jb_arr_end(struct jbuf *b);
void jb_str(struct jbuf *b, const char *key, const char *v);
void jb_u64(struct jbuf *b, const char *key, uint64_t v);
void jb_i64(struct jbuf *b, const char *key, int64_t v);
void jb_bool(struct jbuf *b, const char *key, bool v);
void jb_null(struct jbuf *b, const char *key);

#endif /* SENTINELD_JSON_H */
