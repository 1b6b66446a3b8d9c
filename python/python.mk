# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The Python package "sentinel" (pure Python, ctypes over libsentinel.so.0)
# and its tests (Documentation/python.rst).
#
#   $(B)/python/sentinel-run        the launcher (Documentation/python.rst,
#                                   python/sentinel-run.1)
#   $(B)/tests/unit/py_sentinel     host test (TAP), /usr/bin/python3
#   $(B)/tests/unit/py_sentinel_run host test of the launcher (TAP)
#   $(B)/tests/vm/sentinel_torch    in-VM test: resnet18, an MLP and four
#                                   unmodified scripts (three torchvision
#                                   families, an LSTM) with and without
#                                   Sentinel, under sentinel-run (TAP)
#
# The test scripts are copied with the source and build directories filled
# in, so that they run from any working directory (the VM suite runs them
# in /tmp).
#
# make install-python [DESTDIR=...] [PREFIX=/usr/local] installs the package
# where Debian's python3 finds it: $(PREFIX)/lib/python3/dist-packages for
# PREFIX=/usr, $(PREFIX)/lib/python3.X/dist-packages otherwise.
# make install-sentinel-run (part of make install) installs the launcher
# into $(PREFIX)/bin and its man page into $(PREFIX)/share/man/man1.

PY_DIR := $(TOP)/python
PY_SRCS := $(wildcard $(PY_DIR)/sentinel/*.py)
PY_BOOT := $(PY_DIR)/sentinel/_boot/sitecustomize.py
PYTHON ?= /usr/bin/python3
PY_PREFIX ?= $(or $(PREFIX),/usr/local)
PY_VERSION = $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
PY_SITEDIR ?= $(if $(filter /usr,$(PY_PREFIX)),/usr/lib/python3/dist-packages,$(PY_PREFIX)/lib/python$(PY_VERSION)/dist-packages)

PY_BINDIR ?= $(PY_PREFIX)/bin
PY_MANDIR ?= $(PY_PREFIX)/share/man

PY_UNIT := $(B)/tests/unit/py_sentinel
PY_RUN_UNIT := $(B)/tests/unit/py_sentinel_run
PY_VM := $(B)/tests/vm/sentinel_torch
SENTINEL_RUN := $(B)/python/sentinel-run
USER_PROGS += $(SENTINEL_RUN)
UNIT_TESTS += $(PY_UNIT) $(PY_RUN_UNIT)
VM_TESTS += $(PY_VM)

define py_install_script
	@mkdir -p $(@D)
	sed -e 's|^SOURCE_DIR = None$$|SOURCE_DIR = "$(TOP)"|' \
	    -e 's|^BUILD_DIR = None$$|BUILD_DIR = "$(B)"|' $< >$@.tmp
	chmod +x $@.tmp
	mv $@.tmp $@
endef

$(SENTINEL_RUN): $(PY_DIR)/sentinel-run $(PY_SRCS) $(PY_BOOT) $(PRELOAD_SO)
	$(py_install_script)

$(PY_UNIT): $(TOP)/tests/unit/py_sentinel.py $(PY_SRCS) $(PRELOAD_SO)
	$(py_install_script)

$(PY_RUN_UNIT): $(TOP)/tests/unit/py_sentinel_run.py $(PY_SRCS) $(PY_BOOT) \
		$(SENTINEL_RUN)
	$(py_install_script)

$(PY_VM): $(TOP)/tests/vm/sentinel_torch.py $(PY_SRCS) $(PY_BOOT) \
		$(SENTINEL_RUN)
	$(py_install_script)

.PHONY: install-python install-sentinel-run
install-python:
	install -d $(DESTDIR)$(PY_SITEDIR)/sentinel/_boot
	install -m 0644 $(PY_SRCS) $(DESTDIR)$(PY_SITEDIR)/sentinel/
	install -m 0644 $(PY_BOOT) $(DESTDIR)$(PY_SITEDIR)/sentinel/_boot/

# Separate from install-python, which the Debian packaging runs.
install-sentinel-run: install-python
	install -d $(DESTDIR)$(PY_BINDIR) $(DESTDIR)$(PY_MANDIR)/man1
	sed -e 's|^SITE_DIR = None$$|SITE_DIR = "$(PY_SITEDIR)"|' \
		$(PY_DIR)/sentinel-run >$(DESTDIR)$(PY_BINDIR)/sentinel-run
	chmod 0755 $(DESTDIR)$(PY_BINDIR)/sentinel-run
	install -m 0644 $(PY_DIR)/sentinel-run.1 $(DESTDIR)$(PY_MANDIR)/man1/

install: install-sentinel-run
