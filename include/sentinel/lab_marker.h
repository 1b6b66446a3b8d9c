/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * lab_marker.h - phase markers for the Sentinel tier lab.
 *
 * Header-only.  A guest program (or libsentinel) calls these functions to
 * tell the tier-lab QEMU plugin where phases begin and end.  On real
 * hardware, and under QEMU without the plugin, every marker is a handful of
 * harmless instructions: a multi-byte NOP, a short jump and, when a value is
 * passed, three byte loads from a private page of this program.
 *
 * Encoding (see Documentation/lab.rst, "Marker encoding"):
 *
 *   marker      nopl LAB_MARK_DISP(kind, flags)(%rax,%rax,1)
 *               bytes 0f 1f 84 00 <disp32>, disp32 = 0x5E17 << 16 | kind << 8 | flags
 *               followed by "jmp 1f; 1:" so that the marker ends its
 *               translation block.
 *   value       before the marker, when flags has LAB_F_VALUE:
 *               movzbl LAB_VAL_DISP(i)(%rdi|%rsi|%rdx), %eax for i = 0, 1, 2
 *               bytes 0f b6 87|86|82 <disp32>, disp32 = 0x5E17F000 + i.
 *               The register holds window + chunk_i - disp32, so the load
 *               reads window[chunk_i]; window is a page-aligned 4 KiB array,
 *               and the plugin recovers chunk_i (12 bits of the value) from
 *               the low 12 bits of the load's virtual address.
 *
 * Values are 32 bits; chunk 0 holds bits 0-11, chunk 1 bits 12-23 and
 * chunk 2 bits 24-31.
 */
#ifndef LAB_MARKER_H
#define LAB_MARKER_H

#include <stdint.h>

#define LAB_MAGIC_HI 0x5E17u
#define LAB_MARK_DISP(kind, flags) \
	((LAB_MAGIC_HI << 16) | (((kind) & 0xffu) << 8) | ((flags) & 0xffu))
#define LAB_VAL_DISP_BASE 0x5E17F000u
#define LAB_VAL_CHUNKS 3
#define LAB_VAL_CHUNK_BITS 12

/* Marker flags (low byte of the marker displacement). */
#define LAB_F_VALUE 0x01u

/* Marker kinds (bits 8-15 of the displacement). */
enum lab_kind {
	LAB_K_START = 1,	 /* start counting (mode=marker) */
	LAB_K_STOP = 2,		 /* stop counting */
	LAB_K_STEP_BEGIN = 3,	 /* value: step number */
	LAB_K_STEP_END = 4,	 /* value: step number */
	LAB_K_LAYER_BEGIN = 5,	 /* value: layer id */
	LAB_K_LAYER_END = 6,	 /* value: layer id */
	LAB_K_MIGRATE_BEGIN = 7, /* value: caller's choice (interval) */
	LAB_K_MIGRATE_END = 8,	 /* value: caller's choice */
	LAB_K_CUSTOM = 9,	 /* value: caller's choice */
	LAB_K_MAX = 9,
};

#if defined(__x86_64__) && !defined(LAB_MARKER_DISABLE)

/* The page the value loads read; never written, so it stays the zero page. */
static unsigned char lab_value_window[4096]
	__attribute__((aligned(4096), unused));

/* kind must be a compile-time constant; value is any 32-bit expression. */
#define lab_mark_value(kind, value)                                          \
	do {                                                                  \
		uint32_t lab_v_ = (value);                                    \
		uintptr_t lab_w_ = (uintptr_t)lab_value_window;               \
		uintptr_t lab_a0_ = lab_w_ + (lab_v_ & 0xfffu) -              \
				    (uintptr_t)(LAB_VAL_DISP_BASE + 0);       \
		uintptr_t lab_a1_ = lab_w_ + ((lab_v_ >> 12) & 0xfffu) -      \
				    (uintptr_t)(LAB_VAL_DISP_BASE + 1);       \
		uintptr_t lab_a2_ = lab_w_ + ((lab_v_ >> 24) & 0xffu) -       \
				    (uintptr_t)(LAB_VAL_DISP_BASE + 2);       \
		__asm__ volatile(                                             \
			"movzbl %c[d0](%%rdi), %%eax\n\t"                     \
			"movzbl %c[d1](%%rsi), %%eax\n\t"                     \
			"movzbl %c[d2](%%rdx), %%eax\n\t"                     \
			"nopl %c[m](%%rax,%%rax,1)\n\t"                       \
			"jmp 1f\n"                                            \
			"1:\n\t"                                             \
			:                                                     \
			: "D"(lab_a0_), "S"(lab_a1_), "d"(lab_a2_),           \
			  [d0] "i"(LAB_VAL_DISP_BASE + 0),                    \
			  [d1] "i"(LAB_VAL_DISP_BASE + 1),                    \
			  [d2] "i"(LAB_VAL_DISP_BASE + 2),                    \
			  [m] "i"(LAB_MARK_DISP((kind), LAB_F_VALUE))         \
			: "eax", "memory");                                   \
	} while (0)

/* kind must be a compile-time constant. */
#define lab_mark(kind)                                               \
	__asm__ volatile("nopl %c[m](%%rax,%%rax,1)\n\t"             \
			 "jmp 1f\n"                                  \
			 "1:\n\t"                                    \
			 :                                           \
			 : [m] "i"(LAB_MARK_DISP((kind), 0))         \
			 : "memory")

#else /* not x86-64: markers compile to nothing */

#define lab_mark_value(kind, value) ((void)(kind), (void)(value))
#define lab_mark(kind) ((void)(kind))

#endif

/*
 * The API.  All are no-ops on real hardware; under the tier lab they end a
 * phase and start the next one.
 */
static inline void lab_start(void) { lab_mark(LAB_K_START); }
static inline void lab_stop(void) { lab_mark(LAB_K_STOP); }
static inline void lab_step_begin(uint32_t step)
{
	lab_mark_value(LAB_K_STEP_BEGIN, step);
}
static inline void lab_step_end(uint32_t step)
{
	lab_mark_value(LAB_K_STEP_END, step);
}
static inline void lab_layer_begin(uint32_t layer)
{
	lab_mark_value(LAB_K_LAYER_BEGIN, layer);
}
static inline void lab_layer_end(uint32_t layer)
{
	lab_mark_value(LAB_K_LAYER_END, layer);
}
static inline void lab_migrate_begin(uint32_t tag)
{
	lab_mark_value(LAB_K_MIGRATE_BEGIN, tag);
}
static inline void lab_migrate_end(uint32_t tag)
{
	lab_mark_value(LAB_K_MIGRATE_END, tag);
}
static inline void lab_custom(uint32_t value)
{
	lab_mark_value(LAB_K_CUSTOM, value);
}

#endif /* LAB_MARKER_H */
