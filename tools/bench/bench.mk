# SPDX-License-Identifier: GPL-2.0
# Micro-benchmarks of the module, run in the test VM.

USER_PROGS += $(B)/bench/markbench $(B)/bench/scanbench

$(B)/bench/%: $(TOP)/tools/bench/%.c $(TOP)/uapi/linux/sentinel.h
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

.PHONY: bench-scan
# Scan cost per page: 1 GiB of 4 KiB pages and of THP, 1k/100k/1M objects,
# and 256 MiB with 1k objects for the growth with bytes; every kernel.
SCAN_CASES := "--objects 1000 --mib 1024" "--objects 1000 --mib 1024 --thp" \
	"--objects 100000 --mib 1024" "--objects 1000000 --mib 1024" \
	"--objects 1000 --mib 256" "--objects 1000 --mib 1024 --async"
bench-scan: modules $(B)/bench/scanbench
	@mkdir -p $(B)/bench/results
	@for k in $$($(TOP)/tools/kernels | cut -d' ' -f1); do \
		$(TOP)/tools/vm/run --kernel $$k --quiet --timeout 1800 --mem0 3G -- \
			bash -c 'for c in $(SCAN_CASES); do $(B)/bench/scanbench $$c --steps 3 || exit 1; done' \
			| tee $(B)/bench/results/scanbench-$$k.json; \
	done
