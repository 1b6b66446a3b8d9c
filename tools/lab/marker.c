// SPDX-License-Identifier: GPL-2.0
/* Marker instruction decoding; see lab_marker.h for the encoding. */
#include <string.h>

#include "marker.h"

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

enum lab_insn_type lab_decode_insn(const uint8_t *b, size_t n,
				   struct lab_insn *out)
{
	struct lab_insn r = { .type = LAB_INSN_OTHER };

	/* nopl disp32(%rax,%rax,1): 0f 1f 84 00 disp32 */
	if (n == 8 && b[0] == 0x0f && b[1] == 0x1f && b[2] == 0x84 &&
	    b[3] == 0x00) {
		uint32_t d = get_le32(b + 4);
		unsigned int kind = (d >> 8) & 0xff;

		if ((d >> 16) == LAB_MAGIC_HI && kind >= 1 &&
		    kind <= LAB_K_MAX && (d & 0xff & ~LAB_F_VALUE) == 0) {
			r.type = LAB_INSN_MARK;
			r.kind = kind;
			r.flags = d & 0xff;
		}
	}
	/* movzbl disp32(%rdi|%rsi|%rdx), %eax: 0f b6 87|86|82 disp32 */
	if (n == 7 && b[0] == 0x0f && b[1] == 0xb6 &&
	    (b[2] == 0x87 || b[2] == 0x86 || b[2] == 0x82)) {
		uint32_t d = get_le32(b + 3);

		if (d >= LAB_VAL_DISP_BASE &&
		    d < LAB_VAL_DISP_BASE + LAB_VAL_CHUNKS) {
			r.type = LAB_INSN_VALUE;
			r.chunk = d - LAB_VAL_DISP_BASE;
		}
	}
	if (out)
		*out = r;
	return r.type;
}

void lab_value_add(struct lab_value_acc *acc, unsigned int chunk,
		   uint64_t vaddr)
{
	uint32_t bits = (uint32_t)(vaddr & 0xfff);
	unsigned int shift;

	if (chunk >= LAB_VAL_CHUNKS)
		return;
	shift = chunk * LAB_VAL_CHUNK_BITS;
	/* A new value starts with chunk 0. */
	if (chunk == 0)
		*acc = (struct lab_value_acc){ 0 };
	acc->value &= ~(0xfffu << shift);
	acc->value |= bits << shift;
	acc->have |= 1u << chunk;
}

bool lab_value_take(struct lab_value_acc *acc, uint32_t *value)
{
	bool ok = acc->have == (1u << LAB_VAL_CHUNKS) - 1;

	*value = ok ? acc->value : 0;
	*acc = (struct lab_value_acc){ 0 };
	return ok;
}

static const char *const kind_names[LAB_K_MAX + 1] = {
	[LAB_K_START] = "start",
	[LAB_K_STOP] = "stop",
	[LAB_K_STEP_BEGIN] = "step_begin",
	[LAB_K_STEP_END] = "step_end",
	[LAB_K_LAYER_BEGIN] = "layer_begin",
	[LAB_K_LAYER_END] = "layer_end",
	[LAB_K_MIGRATE_BEGIN] = "migrate_begin",
	[LAB_K_MIGRATE_END] = "migrate_end",
	[LAB_K_CUSTOM] = "custom",
};

const char *lab_kind_name(unsigned int kind)
{
	return kind <= LAB_K_MAX ? kind_names[kind] : NULL;
}

unsigned int lab_kind_parse(const char *s)
{
	for (unsigned int k = 1; k <= LAB_K_MAX; k++)
		if (strcmp(s, kind_names[k]) == 0)
			return k;
	return 0;
}
