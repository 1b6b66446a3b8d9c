# SPDX-License-Identifier: GPL-2.0
# Micro-benchmarks of the module, run in the test VM.

USER_PROGS += $(B)/bench/markbench

$(B)/bench/markbench: $(TOP)/tools/bench/markbench.c $(TOP)/uapi/linux/sentinel.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -o $@ $<

.PHONY: bench-marks
# Layer-mark round trip, median of 100k, in the VM on every kernel.
bench-marks: modules $(B)/bench/markbench
	@mkdir -p $(B)/bench/results
	@for k in $$($(TOP)/tools/kernels | cut -d' ' -f1); do \
		$(TOP)/tools/vm/run --kernel $$k --quiet --timeout 600 -- \
			$(B)/bench/markbench 100000 | tee $(B)/bench/results/markbench-$$k.json; \
	done
