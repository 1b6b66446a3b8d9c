// SPDX-License-Identifier: GPL-2.0
/* Unit tests: tier-lab marker decoding (tools/lab/marker.c, lab_marker.h). */
#include <string.h>

#include "tap.h"
#include "marker.h"

/* Find the n-th instruction of a given type in a byte range (8/7 bytes). */
static const uint8_t *find(const uint8_t *b, size_t len, enum lab_insn_type t,
			   struct lab_insn *d, size_t skip)
{
	for (size_t i = 0; i + 7 <= len; i++) {
		for (size_t sz = 7; sz <= 8 && i + sz <= len; sz++) {
			if (lab_decode_insn(b + i, sz, d) == t) {
				if (!skip--)
					return b + i;
			}
		}
	}
	return NULL;
}

/* Functions whose machine code the test inspects. */
__attribute__((noinline)) static void emit_step(uint32_t v)
{
	lab_step_begin(v);
}

__attribute__((noinline)) static void emit_stop(void)
{
	lab_stop();
}

int main(void)
{
	const uint8_t nop[8] = { 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x05, 0x17, 0x5e };
	const uint8_t nopv[8] = { 0x0f, 0x1f, 0x84, 0x00, 0x01, 0x03, 0x17, 0x5e };
	const uint8_t plain[8] = { 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 };
	const uint8_t badkind[8] = { 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x63, 0x17, 0x5e };
	const uint8_t badflag[8] = { 0x0f, 0x1f, 0x84, 0x00, 0x02, 0x03, 0x17, 0x5e };
	const uint8_t ld1[7] = { 0x0f, 0xb6, 0x86, 0x01, 0xf0, 0x17, 0x5e };
	const uint8_t ld3[7] = { 0x0f, 0xb6, 0x87, 0x03, 0xf0, 0x17, 0x5e };
	const uint8_t ldreg[7] = { 0x0f, 0xb6, 0x81, 0x00, 0xf0, 0x17, 0x5e };
	struct lab_insn d;
	struct lab_value_acc acc = { 0 };
	uint32_t v;
	const uint8_t *code;

	tap_plan(20);

	ok(lab_decode_insn(nop, 8, &d) == LAB_INSN_MARK && d.kind == LAB_K_LAYER_BEGIN &&
		   d.flags == 0,
	   "layer_begin marker without value");
	ok(lab_decode_insn(nopv, 8, &d) == LAB_INSN_MARK && d.kind == LAB_K_STEP_BEGIN &&
		   d.flags == LAB_F_VALUE,
	   "step_begin marker with value");
	ok(lab_decode_insn(plain, 8, &d) == LAB_INSN_OTHER, "ordinary nopl is no marker");
	ok(lab_decode_insn(badkind, 8, &d) == LAB_INSN_OTHER, "unknown kind is no marker");
	ok(lab_decode_insn(badflag, 8, &d) == LAB_INSN_OTHER, "unknown flag is no marker");
	ok(lab_decode_insn(nop, 7, &d) == LAB_INSN_OTHER, "wrong length is no marker");
	ok(lab_decode_insn(ld1, 7, &d) == LAB_INSN_VALUE && d.chunk == 1,
	   "value load chunk 1 via %%rsi");
	ok(lab_decode_insn(ld3, 7, &d) == LAB_INSN_OTHER, "chunk 3 does not exist");
	ok(lab_decode_insn(ldreg, 7, &d) == LAB_INSN_OTHER, "value load via %%rcx not recognised");

	/* Value assembly from load addresses. */
	lab_value_add(&acc, 0, 0x7f0000001678);
	lab_value_add(&acc, 1, 0x7f0000001345);
	lab_value_add(&acc, 2, 0x7f0000001012);
	ok(lab_value_take(&acc, &v) && v == 0x12345678, "value 0x12345678 assembled");
	ok(!lab_value_take(&acc, &v) && v == 0, "taking clears the accumulator");
	lab_value_add(&acc, 0, 0x1001);
	lab_value_add(&acc, 2, 0x1001);
	ok(!lab_value_take(&acc, &v), "missing chunk detected");
	lab_value_add(&acc, 1, 0x1fff);
	lab_value_add(&acc, 0, 0x1001);
	lab_value_add(&acc, 1, 0x1002);
	lab_value_add(&acc, 2, 0x1003);
	ok(lab_value_take(&acc, &v) && v == 0x03002001, "chunk 0 restarts a value");

	/* Names. */
	ok(!strcmp(lab_kind_name(LAB_K_LAYER_END), "layer_end"), "kind name");
	ok(lab_kind_parse("migrate_begin") == LAB_K_MIGRATE_BEGIN, "kind parse");
	ok(lab_kind_parse("nope") == 0 && lab_kind_name(99) == NULL, "unknown kinds");

	/* The header's code: markers really are what the decoder expects. */
	code = (const uint8_t *)(uintptr_t)emit_step;
	ok(find(code, 128, LAB_INSN_MARK, &d, 0) && d.kind == LAB_K_STEP_BEGIN &&
		   d.flags == LAB_F_VALUE,
	   "lab_step_begin() emits a decodable marker");
	ok(find(code, 128, LAB_INSN_VALUE, &d, 2) && d.chunk == 2,
	   "lab_step_begin() emits three value loads");
	code = (const uint8_t *)(uintptr_t)emit_stop;
	ok(find(code, 64, LAB_INSN_MARK, &d, 0) && d.kind == LAB_K_STOP && d.flags == 0,
	   "lab_stop() emits a stop marker");
	/* And they execute harmlessly outside the lab. */
	emit_step(0xdeadbeef);
	emit_stop();
	ok(1, "markers run on real hardware");
	return tap_done();
}
