# SPDX-License-Identifier: GPL-2.0
# The tier lab (Documentation/lab.rst): the QEMU TCG plugin, the report
# tool, guest-side validation programs and the host unit tests.

LAB_DIR := $(TOP)/tools/lab
LAB_OUT := $(B)/lab
LAB_HDRS := $(wildcard $(LAB_DIR)/*.h)

LAB_PLUGIN_SRCS := plugin.c cache.c config.c marker.c delay.c attr.c
LAB_REPORT_SRCS := report.c costmodel.c marker.c
JSONR := $(TOP)/common/jsonr.c $(TOP)/common/jsonr.h
LAB_GUESTS := lab-chase lab-stream lab-selftest-guest lab-migcost

USER_PROGS += $(LAB_OUT)/sentinel-lab.so $(LAB_OUT)/lab-report \
	      $(addprefix $(LAB_OUT)/,$(LAB_GUESTS))

$(LAB_OUT)/sentinel-lab.so: $(addprefix $(LAB_DIR)/,$(LAB_PLUGIN_SRCS)) $(LAB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -fPIC -shared -fvisibility=hidden -pthread \
		-o $@ $(addprefix $(LAB_DIR)/,$(LAB_PLUGIN_SRCS))

$(LAB_OUT)/lab-report: $(addprefix $(LAB_DIR)/,$(LAB_REPORT_SRCS)) $(LAB_HDRS) $(JSONR)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -I$(TOP)/common -DLAB_PROFILES='"$(LAB_DIR)/profiles.conf"' \
		-o $@ $(addprefix $(LAB_DIR)/,$(LAB_REPORT_SRCS)) $(TOP)/common/jsonr.c -lm

# Guest programs: run inside the test VM (host binaries over 9p).
$(LAB_OUT)/lab-%: $(LAB_DIR)/guest/%.c $(TOP)/include/sentinel/lab_marker.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -I$(LAB_DIR) -o $@ $< -lnuma

# Host unit tests (ASan + UBSan), TAP on stdout.
LAB_UNIT := lab_cache lab_cost lab_marker lab_config lab_json lab_delay lab_attr
UNIT_TESTS += $(addprefix $(B)/tests/unit/,$(LAB_UNIT))

LAB_UNIT_SRCS_lab_cache := cache.c
LAB_UNIT_SRCS_lab_cost := costmodel.c
LAB_UNIT_SRCS_lab_marker := marker.c
LAB_UNIT_SRCS_lab_config := config.c cache.c
LAB_UNIT_SRCS_lab_json :=
LAB_UNIT_EXTRA_lab_json := $(TOP)/common/jsonr.c
LAB_UNIT_SRCS_lab_delay := delay.c
LAB_UNIT_SRCS_lab_attr := attr.c

$(B)/tests/unit/lab_%: $(TOP)/tests/unit/lab_%_test.c $(TOP)/tests/unit/tap.h \
		$(LAB_HDRS) $(addprefix $(LAB_DIR)/,cache.c costmodel.c marker.c config.c delay.c attr.c) \
		$(JSONR)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) $(SAN_FLAGS) -I$(LAB_DIR) -I$(TOP)/common -o $@ $< \
		$(addprefix $(LAB_DIR)/,$(LAB_UNIT_SRCS_lab_$*)) $(LAB_UNIT_EXTRA_lab_$*) -lm

# The best-placement bound's solver (tools/lab/oracle.py, Python 3 with
# python3-scipy): host test, TAP, checked against exhaustive search.
LAB_ORACLE_UNIT := $(B)/tests/unit/lab_oracle
UNIT_TESTS += $(LAB_ORACLE_UNIT)

$(LAB_ORACLE_UNIT): $(TOP)/tests/unit/lab_oracle_test.py $(LAB_DIR)/oracle.py
	@mkdir -p $(@D)
	sed -e 's|^SOURCE_DIR = None$$|SOURCE_DIR = "$(TOP)"|' $< >$@.tmp
	chmod +x $@.tmp
	mv $@.tmp $@
