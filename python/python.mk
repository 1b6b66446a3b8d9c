# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The Python package "sentinel" (pure Python, ctypes over libsentinel.so.0)
# and its tests (Documentation/python.rst).
#
#   $(B)/tests/unit/py_sentinel     host test (TAP), /usr/bin/python3
#   $(B)/tests/vm/sentinel_torch    in-VM test: resnet18 and an MLP with and
#                                   without Sentinel (TAP)
#
# The test scripts are copied with the source and build directories filled
# in, so that they run from any working directory (the VM suite runs them
# in /tmp).
#
# make install-python [DESTDIR=...] [PREFIX=/usr/local] installs the package
# where Debian's python3 finds it: $(PREFIX)/lib/python3/dist-packages for
# PREFIX=/usr, $(PREFIX)/lib/python3.X/dist-packages otherwise.

PY_DIR := $(TOP)/python
PY_SRCS := $(wildcard $(PY_DIR)/sentinel/*.py)
PYTHON ?= /usr/bin/python3
PY_PREFIX ?= $(or $(PREFIX),/usr/local)
PY_VERSION = $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
PY_SITEDIR ?= $(if $(filter /usr,$(PY_PREFIX)),/usr/lib/python3/dist-packages,$(PY_PREFIX)/lib/python$(PY_VERSION)/dist-packages)

PY_UNIT := $(B)/tests/unit/py_sentinel
PY_VM := $(B)/tests/vm/sentinel_torch
UNIT_TESTS += $(PY_UNIT)
VM_TESTS += $(PY_VM)

define py_install_script
	@mkdir -p $(@D)
	sed -e 's|^SOURCE_DIR = None$$|SOURCE_DIR = "$(TOP)"|' \
	    -e 's|^BUILD_DIR = None$$|BUILD_DIR = "$(B)"|' $< >$@.tmp
	chmod +x $@.tmp
	mv $@.tmp $@
endef

$(PY_UNIT): $(TOP)/tests/unit/py_sentinel.py $(PY_SRCS) $(PRELOAD_SO)
	$(py_install_script)

$(PY_VM): $(TOP)/tests/vm/sentinel_torch.py $(PY_SRCS) $(PRELOAD_SO)
	$(py_install_script)

.PHONY: install-python
install-python:
	install -d $(DESTDIR)$(PY_SITEDIR)/sentinel
	install -m 0644 $(PY_SRCS) $(DESTDIR)$(PY_SITEDIR)/sentinel/
