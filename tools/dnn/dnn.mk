# SPDX-License-Identifier: GPL-2.0
# sentinel-train: the DNN training workloads (Documentation/workloads.rst).
#
#   $(B)/dnn/sentinel-train     the training engine (static libsentinel)
#   $(B)/tests/unit/dnn_*       host unit tests (ASan + UBSan), TAP

DNN_DIR := $(TOP)/tools/dnn
DNN_OUT := $(B)/dnn
DNN_NAMES := alloc cnn data layers lstm mlp mobilenet model ops optim train \
	     transformer
DNN_HDRS := $(wildcard $(DNN_DIR)/*.h) $(LIB_DIR)/include/sentinel.h
DNN_OBJS := $(patsubst %,$(DNN_OUT)/obj/%.o,$(DNN_NAMES) main)
DNN_SAN_OBJS := $(patsubst %,$(DNN_OUT)/san/%.o,$(DNN_NAMES))
# -O2 from USER_CFLAGS; the cost model lets the compiler vectorise the
# matrix kernels' loops of unknown length (results do not change: no
# reassociation of floating-point sums).
DNN_CFLAGS := $(USER_CFLAGS) -I$(LIB_DIR)/include -fvect-cost-model=dynamic \
	      -ffp-contract=off

DNN_TEST_SRCS := $(wildcard $(TOP)/tests/unit/dnn_*.c)
DNN_TESTS := $(patsubst $(TOP)/tests/unit/%.c,$(B)/tests/unit/%,$(DNN_TEST_SRCS))

USER_PROGS += $(DNN_OUT)/sentinel-train
UNIT_TESTS += $(DNN_TESTS)

.PHONY: dnn
.SECONDARY: $(DNN_OBJS) $(DNN_SAN_OBJS)
dnn: $(DNN_OUT)/sentinel-train $(DNN_TESTS)

$(DNN_OUT)/obj/%.o: $(DNN_DIR)/%.c $(DNN_HDRS)
	@mkdir -p $(@D)
	$(CC) $(DNN_CFLAGS) -c -o $@ $<

$(DNN_OUT)/san/%.o: $(DNN_DIR)/%.c $(DNN_HDRS)
	@mkdir -p $(@D)
	$(CC) $(DNN_CFLAGS) $(SAN_FLAGS) -c -o $@ $<

$(DNN_OUT)/sentinel-train: $(DNN_OBJS) $(LIB_A)
	$(CC) -pthread -o $@ $(DNN_OBJS) $(LIB_A) -lm

$(B)/tests/unit/dnn_%: $(TOP)/tests/unit/dnn_%.c $(TOP)/tests/unit/tap.h \
		$(DNN_SAN_OBJS) $(LIB_SAN_OBJS) $(DNN_HDRS)
	@mkdir -p $(@D)
	$(CC) $(DNN_CFLAGS) $(SAN_FLAGS) -pthread -I$(DNN_DIR) -o $@ $< \
		$(DNN_SAN_OBJS) $(LIB_SAN_OBJS) -lm
