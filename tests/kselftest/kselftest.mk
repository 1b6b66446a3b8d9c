# SPDX-License-Identifier: GPL-2.0
# In-VM tests: kselftest-harness programs, built on the host, run in the
# test VM by tests/vm-suite.  The harness headers come from the cache
# filled by tools/install-deps (linux-source-6.12), never from the tree.
# ioctl_bad is also built for 32-bit callers (ioctl_bad_m32).

KST_DIR := $(TOP)/tests/kselftest
KST_OUT := $(B)/tests/vm
KST_SRCS := $(wildcard $(KST_DIR)/*.c)
KST_BINS := $(patsubst $(KST_DIR)/%.c,$(KST_OUT)/%,$(KST_SRCS)) \
	    $(KST_OUT)/ioctl_bad_m32
KST_CFLAGS := $(USER_CFLAGS) -I$(KSELFTEST) -Wno-unused-parameter \
	      -Wno-sign-compare -Wno-missing-field-initializers \
	      -Wno-clobbered -pthread
KST_DEPS := $(wildcard $(KST_DIR)/*.h) $(TOP)/uapi/linux/sentinel.h
VM_TESTS += $(KST_BINS)

$(KST_OUT)/%: $(KST_DIR)/%.c $(KST_DEPS)
	@mkdir -p $(@D)
	$(CC) $(KST_CFLAGS) -o $@ $< -lnuma

$(KST_OUT)/%_m32: $(KST_DIR)/%.c $(KST_DEPS)
	@mkdir -p $(@D)
	$(CC) -m32 $(KST_CFLAGS) -o $@ $<
