// SPDX-License-Identifier: GPL-2.0
/* Unit tests: tier-lab per-page miss attribution (tools/lab/attr.c). */
#include <string.h>

#include "attr.h"
#include "tap.h"

static const struct lab_attr_ent *get(const struct lab_attr *a, uint64_t vpn)
{
	const struct lab_attr_ent *e;
	size_t i = 0;

	while ((e = lab_attr_next(a, &i)))
		if (e->vpn == vpn + 1)
			return e;
	return NULL;
}

int main(void)
{
	struct lab_attr a;
	const struct lab_attr_ent *e;
	size_t i, n;
	bool all = true;

	tap_plan(12);
	ok(lab_attr_init(&a, 1) == 0 && a.cap == 16, "init rounds up to 16");

	lab_attr_miss(&a, 0x1000, 1, false);
	lab_attr_miss(&a, 0x1fff, 1, true);
	lab_attr_miss(&a, 0x2000, 0, false);
	lab_attr_miss(&a, 0x0, 99, false);	/* bad slot: "other" */
	e = get(&a, 1);
	ok(e && e->miss[1] == 2 && e->seq[1] == 1 && e->miss[0] == 0,
	   "two misses on page 1, one sequential");
	e = get(&a, 2);
	ok(e && e->miss[0] == 1 && e->seq[0] == 0, "page 2 on node 0");
	e = get(&a, 0);
	ok(e && e->miss[LAB_NODE_OTHER] == 1, "page 0: bad slot counted as other");
	is_u64(a.used, 3, "three pages");

	/* Growth keeps every count. */
	for (uint64_t p = 100; p < 1100; p++)
		for (uint64_t k = 0; k < p % 3 + 1; k++)
			lab_attr_miss(&a, p << 12 | (k * 64), 0, k > 0);
	ok(a.cap >= 2 * a.used, "load at most one half (cap %zu, used %zu)",
	   a.cap, a.used);
	is_u64(a.used, 1003, "1003 pages");
	for (uint64_t p = 100; p < 1100; p++) {
		e = get(&a, p);
		if (!e || e->miss[0] != p % 3 + 1 || e->seq[0] != p % 3)
			all = false;
	}
	ok(all, "counts kept across growth");
	n = 0;
	i = 0;
	while (lab_attr_next(&a, &i))
		n++;
	is_u64(n, 1003, "iteration visits every page once");
	is_u64(a.dropped, 0, "nothing dropped");

	lab_attr_clear(&a);
	i = 0;
	ok(a.used == 0 && !lab_attr_next(&a, &i), "clear empties the table");
	lab_attr_miss(&a, 0x5000, 0, false);
	e = get(&a, 5);
	ok(e && e->miss[0] == 1, "counts again after clear");
	lab_attr_free(&a);
	return tap_done();
}
