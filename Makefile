# SPDX-License-Identifier: GPL-2.0
#
# Sentinel top-level Makefile.
#
#   make              build the module (for every kernel, see below) and all
#                     userspace programs, libraries and tests
#   make modules      build sentinel.ko only
#   make check        the whole test suite (README: the test command)
#   make check-debug  the in-VM suites on the debug kernel (KASAN, lockdep...)
#   make demo         the demo (README: the main command)
#   make vm-shell KVER=6.1|6.12   interactive shell in the test VM
#   make deb          Debian packages into build/deb/ (tools/deb/build)
#   make check-packages   install them in a clean Debian 12 chroot, check
#                     DKMS builds for both kernels, purge (tools/deb/)
#   make install      module (into /lib/modules/<release>/updates), daemon,
#                     unit, config, udev rule, man pages, library,
#                     sentinel-top, sentinel-run (DESTDIR, PREFIX honoured)
#
# The module is built against KDIR when given, else against the running
# kernel's headers when installed, else against each supported test kernel
# (Debian's 6.1 and 6.12), into build/kmod/<release>/.  See tools/kernels.

SHELL := /bin/bash
.DEFAULT_GOAL := all

TOP := $(CURDIR)
O ?= build
B := $(TOP)/$(O)
export SENTINEL_CACHE ?= /var/cache/sentinel
KSELFTEST := $(SENTINEL_CACHE)/kselftest

KRELEASES := $(shell KDIR=$(KDIR) $(TOP)/tools/kernels 2>/dev/null | cut -d' ' -f2)

# Userspace conventions: C11, warnings are errors.
CC ?= gcc
CFLAGS ?= -O2 -g
USER_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -I$(TOP)/uapi -I$(TOP)/include $(CFLAGS)
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	     -fno-sanitize-recover=all

# Components append to these from their own fragments.
USER_PROGS :=
UNIT_TESTS :=
VM_TESTS :=

include $(wildcard $(TOP)/*/*.mk $(TOP)/tools/*/*.mk $(TOP)/tests/*/*.mk)

.PHONY: all modules userspace check check-debug demo install install-module bench bench-quick vm-shell clean \
	deps kernels help deb check-packages

# Without the test dependencies (tools/install-deps --runtime) make all
# leaves out the in-VM tests (they need the kselftest headers of the
# kernel cache) and the 32-bit tests (gcc-multilib).
ifeq ($(wildcard $(KSELFTEST)/kselftest_harness.h),)
SKIPPED += $(VM_TESTS)
endif
ifeq ($(filter /%,$(shell $(CC) -m32 -print-file-name=libgcc.a 2>/dev/null)),)
SKIPPED += $(filter %_m32,$(UNIT_TESTS) $(VM_TESTS))
endif

all: modules userspace

help:
	@sed -n '3,22p' Makefile | sed 's/^# \{0,1\}//'

deps:
	@$(TOP)/tools/install-deps

kernels:
	@KDIR=$(KDIR) $(TOP)/tools/kernels

# One build directory per kernel: a tree of symlinks to the sources, so
# that objects of different kernels never mix and the source stays clean.
modules:
	@[ -n "$(KRELEASES)" ] || { echo "no kernel headers found (make deps)" >&2; exit 1; }
	@set -e; for rel in $(KRELEASES); do \
		kdir=$$(KDIR=$(KDIR) $(TOP)/tools/kernels $$rel | cut -d' ' -f3); \
		d=$(B)/kmod/$$rel; mkdir -p $$d; \
		cp -rsf $(TOP)/Kbuild $(TOP)/kmod $(TOP)/uapi $$d/; \
		echo "  MODULE  $$rel"; \
		$(MAKE) --no-print-directory -C $$kdir M=$$d W=1 $(KBUILD_EXTRA) modules; \
		ln -sf kmod/sentinel.ko $$d/sentinel.ko; \
	done

userspace: $(filter-out $(SKIPPED),$(USER_PROGS) $(UNIT_TESTS) $(VM_TESTS))
	$(if $(SKIPPED),@echo "  SKIP    $(words $(sort $(SKIPPED))) test programs that need the test dependencies (tools/install-deps)")

check:
	@$(TOP)/tools/install-deps
	@$(MAKE) --no-print-directory -C $(TOP) all
	@$(TOP)/tests/check

check-debug:
	@$(TOP)/tools/install-deps
	@$(TOP)/tools/debug-kernel/build >/dev/null
	@$(MAKE) --no-print-directory -C $(TOP) userspace
	@CHECK_KERNELS=debug CHECK_SKIP_LAB=1 $(TOP)/tests/check

demo:
	@$(TOP)/tools/install-deps
	@$(MAKE) --no-print-directory -C $(TOP) all
	@$(TOP)/tools/bench/demo --no-build

install: install-module install-daemon lib-install install-bpf \
	$(if $(wildcard $(TOP)/python/python.mk),install-python) \
	$(if $(wildcard $(TOP)/lib/preload.mk),install-lib)

install-module: modules
	@set -e; for rel in $(KRELEASES); do \
		install -D -m 0644 $(B)/kmod/$$rel/kmod/sentinel.ko \
			$(DESTDIR)/lib/modules/$$rel/updates/sentinel.ko; \
		echo "  INSTALL $(DESTDIR)/lib/modules/$$rel/updates/sentinel.ko"; \
		if [ -z "$(DESTDIR)" ]; then depmod -a $$rel || true; fi; \
	done

vm-shell: modules
	@$(TOP)/tools/vm/run --kernel $(or $(KVER),6.12) --shell

deb:
	@$(TOP)/tools/deb/build

check-packages:
	@$(TOP)/tools/deb/check-packages

clean:
	rm -rf $(B)
