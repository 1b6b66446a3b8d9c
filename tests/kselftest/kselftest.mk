# SPDX-License-Identifier: GPL-2.0
# In-VM tests: kselftest-harness programs, built on the host, run in the
# test VM by tests/vm-suite.  The harness headers come from the cache
# filled by tools/install-deps (linux-source-6.12), never from the tree.

KST_DIR := $(TOP)/tests/kselftest
KST_OUT := $(B)/tests/vm
KST_SRCS := $(wildcard $(KST_DIR)/*.c)
KST_BINS := $(patsubst $(KST_DIR)/%.c,$(KST_OUT)/%,$(KST_SRCS))
KST_CFLAGS := $(USER_CFLAGS) -I$(KSELFTEST) -Wno-unused-parameter \
	      -Wno-sign-compare -Wno-missing-field-initializers -pthread
VM_TESTS += $(KST_BINS)

$(KST_OUT)/%: $(KST_DIR)/%.c $(wildcard $(KST_DIR)/*.h) $(TOP)/uapi/linux/sentinel.h
	@mkdir -p $(@D)
	$(CC) $(KST_CFLAGS) -o $@ $< $(KST_LIBS_$*) -lnuma
