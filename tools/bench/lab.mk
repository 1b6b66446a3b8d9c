# SPDX-License-Identifier: GPL-2.0
# Benchmark and demo runner on the tier lab (Documentation/evaluation.rst):
# guest helper programs and the "bench" and "bench-quick" targets.

BENCH_DIR := $(TOP)/tools/bench
BENCH_GUESTS := bench-balloon bench-exec bench-standin

USER_PROGS += $(addprefix $(B)/bench/,$(BENCH_GUESTS))

$(B)/bench/bench-%: $(BENCH_DIR)/guest/%.c $(TOP)/include/sentinel/lab_marker.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -I$(TOP)/tools/lab -o $@ $<

.PHONY: bench bench-quick
# Every workload x every policy x fast budgets 10/20/40% of peak (about
# 90 minutes); results in build/bench/results/, table and plot printed.
bench: userspace
	@$(BENCH_DIR)/matrix --full

# One CNN at 20%, every policy (about 10 minutes).
bench-quick: userspace
	@$(BENCH_DIR)/matrix --quick
