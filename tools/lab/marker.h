/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Recognising tier-lab marker instructions and assembling marker values
 * (host side of lab_marker.h).  No I/O.
 */
#ifndef LAB_MARKER_DECODE_H
#define LAB_MARKER_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sentinel/lab_marker.h>

enum lab_insn_type {
	LAB_INSN_OTHER = 0, /* an ordinary instruction */
	LAB_INSN_MARK,	    /* the marker NOP */
	LAB_INSN_VALUE,	    /* one of the value loads */
};

struct lab_insn {
	enum lab_insn_type type;
	unsigned int kind;  /* LAB_INSN_MARK: enum lab_kind */
	unsigned int flags; /* LAB_INSN_MARK: LAB_F_* */
	unsigned int chunk; /* LAB_INSN_VALUE: 0 .. LAB_VAL_CHUNKS-1 */
};

/* Classify the instruction bytes b[0..n). */
enum lab_insn_type lab_decode_insn(const uint8_t *b, size_t n,
				   struct lab_insn *out);

/* Per-vCPU assembly of a marker value from its loads. */
struct lab_value_acc {
	uint32_t value;
	unsigned int have; /* bit i: chunk i seen */
};

/* Record value load "chunk" that read guest virtual address vaddr. */
void lab_value_add(struct lab_value_acc *acc, unsigned int chunk,
		   uint64_t vaddr);
/*
 * Take the assembled value and clear the accumulator.  Returns false (and
 * *value = 0) when some chunk is missing.
 */
bool lab_value_take(struct lab_value_acc *acc, uint32_t *value);

/* "step_begin" etc.; NULL for an unknown kind. */
const char *lab_kind_name(unsigned int kind);
/* The kind named s, or 0. */
unsigned int lab_kind_parse(const char *s);

#endif /* LAB_MARKER_DECODE_H */
