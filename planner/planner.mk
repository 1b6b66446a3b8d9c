# SPDX-License-Identifier: GPL-2.0
#
# The planner: pure C, no I/O, built as a static library for sentineld
# and sentinelctl.
#
#   $(PLANNER_LIB)                  $(B)/planner/libplanner.a
#   $(B)/tests/unit/planner_*       host unit tests (ASan + UBSan, TAP)
#   $(B)/tools/plan-dump            profile blob -> schedule (text/JSON)
#
# The daemon links $(PLANNER_LIB) and adds -I$(PLANNER_DIR); the headers
# are planner.h (planner and baselines), plan_profile.h (the uapi profile
# blob to planner input, and the one check of a blob's layout), profile.h
# (views of a blob for display) and sim.h (the schedule simulator).  Object ids
# are read with libsentinel's public header (-I lib/include).

PLANNER_DIR := $(TOP)/planner
PLANNER_OUT := $(B)/planner
PLANNER_SRCS := planner plan_hybrid plan_profile sim profile
PLANNER_HDRS := $(PLANNER_DIR)/planner.h $(PLANNER_DIR)/plan_profile.h \
		$(PLANNER_DIR)/sim.h $(PLANNER_DIR)/profile.h \
		$(TOP)/uapi/linux/sentinel.h \
		$(TOP)/lib/include/sentinel.h
PLANNER_CFLAGS := $(USER_CFLAGS) -I$(PLANNER_DIR) -I$(TOP)/lib/include
PLANNER_LIB := $(PLANNER_OUT)/libplanner.a
PLANNER_SAN_LIB := $(PLANNER_OUT)/san/libplanner.a
PLANNER_LIBS := -lm

USER_PROGS += $(PLANNER_LIB) $(B)/tools/plan-dump

$(PLANNER_OUT)/obj/%.o: $(PLANNER_DIR)/%.c $(PLANNER_HDRS)
	@mkdir -p $(@D)
	$(CC) $(PLANNER_CFLAGS) -c -o $@ $<

$(PLANNER_OUT)/san/%.o: $(PLANNER_DIR)/%.c $(PLANNER_HDRS)
	@mkdir -p $(@D)
	$(CC) $(PLANNER_CFLAGS) $(SAN_FLAGS) -c -o $@ $<

$(PLANNER_LIB): $(patsubst %,$(PLANNER_OUT)/obj/%.o,$(PLANNER_SRCS))
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

$(PLANNER_SAN_LIB): $(patsubst %,$(PLANNER_OUT)/san/%.o,$(PLANNER_SRCS))
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

$(B)/tools/plan-dump: $(TOP)/tools/plan-dump/plan-dump.c $(PLANNER_HDRS) $(PLANNER_LIB)
	@mkdir -p $(@D)
	$(CC) $(PLANNER_CFLAGS) -o $@ $< $(PLANNER_LIB) $(PLANNER_LIBS)

PLANNER_TEST_SRCS := $(wildcard $(TOP)/tests/unit/planner_*.c)
PLANNER_TESTS := $(patsubst $(TOP)/tests/unit/%.c,$(B)/tests/unit/%,$(PLANNER_TEST_SRCS))
UNIT_TESTS += $(PLANNER_TESTS)

$(PLANNER_TESTS): $(B)/tests/unit/planner_%: $(TOP)/tests/unit/planner_%.c \
		$(TOP)/tests/unit/tap.h $(TOP)/tests/unit/planner_fixture.h \
		$(PLANNER_HDRS) $(PLANNER_SAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(PLANNER_CFLAGS) $(SAN_FLAGS) -o $@ $< $(PLANNER_SAN_LIB) $(PLANNER_LIBS)

.PHONY: planner
planner: $(PLANNER_LIB) $(PLANNER_TESTS) $(B)/tools/plan-dump
