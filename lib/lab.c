// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tier-lab phase markers.  Under the tier lab (a QEMU plugin that models
 * memory tiers) the library's step and layer marks also emit the lab's
 * marker instructions, so that the plugin sees the phases.  This is off
 * unless the environment has SENTINEL_LAB=1; the encoding is
 * <sentinel/lab_marker.h>'s.
 */
#include <stdlib.h>
#include <string.h>

#include <sentinel/lab_marker.h>

#include "internal.h"

/* -1: not looked up yet, 0: off, 1: on. */
static _Atomic int lab_enabled = -1;

static bool lab_on(void)
{
	int on = atomic_load_explicit(&lab_enabled, memory_order_relaxed);

	if (SNTL_UNLIKELY(on < 0)) {
		const char *v = getenv("SENTINEL_LAB");

		on = v && !strcmp(v, "1");
		atomic_store_explicit(&lab_enabled, on, memory_order_relaxed);
	}
	return on;
}

void sntl__lab_mark(unsigned int type, uint32_t arg)
{
	if (!lab_on())
		return;
	switch (type) {
	case SNTL_LAB_STEP_BEGIN:
		lab_step_begin(arg);
		break;
	case SNTL_LAB_STEP_END:
		lab_step_end(arg);
		break;
	case SNTL_LAB_LAYER_BEGIN:
		lab_layer_begin(arg);
		break;
	case SNTL_LAB_LAYER_END:
		lab_layer_end(arg);
		break;
	default:
		break;
	}
}
