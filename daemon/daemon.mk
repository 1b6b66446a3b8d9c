# SPDX-License-Identifier: GPL-2.0
#
# sentineld (policy daemon) and sentinelctl (admin CLI).
#
#   $(B)/daemon/sentineld, $(B)/daemon/sentinelctl
#   $(B)/tests/unit/daemon_*        host unit tests (ASan + UBSan)
#   $(B)/tests/vm/netlink, daemon   in-VM tests (linked with libnl here)
#
# make install-daemon [DESTDIR=...] [PREFIX=/usr/local] installs the
# programs and, from packaging/, the systemd unit, the example
# configuration, the module loading files, the udev rule and the man
# pages.  Paths that systemd and
# the kernel look at (/etc, /usr/lib/systemd, /usr/lib/modules-load.d...)
# follow SYSCONFDIR, UNITDIR, MODLOADDIR, MODPROBEDIR and UDEVRULESDIR.

DMN_DIR := $(TOP)/daemon
# The unit, module loading files, udev rule, man pages, example config.
PKG_DIR := $(TOP)/packaging
DMN_OUT := $(B)/daemon
DMN_PKG := libnl-genl-3.0 libsystemd
DMN_PKG_CFLAGS := $(shell pkg-config --cflags $(DMN_PKG) 2>/dev/null)
DMN_PKG_LIBS := $(shell pkg-config --libs $(DMN_PKG) 2>/dev/null)
DMN_CFLAGS := $(USER_CFLAGS) $(DMN_PKG_CFLAGS) -I$(TOP)/lib/include -I$(TOP)/common \
	      -I$(TOP)/planner -pthread
DMN_HDRS := $(wildcard $(DMN_DIR)/*.h) $(wildcard $(TOP)/common/*.h) \
	    $(wildcard $(TOP)/planner/*.h) $(TOP)/uapi/linux/sentinel.h \
	    $(TOP)/lib/include/sentinel.h

# Shared by both programs; config, json and state are pure.  Both link
# the planner library (planner.mk), which reads profile blobs.
DMN_COMMON := config json log nl state sync sysfs topology
DMN_D_ONLY := notify workers migrate accounting share policy mover verify \
	      pol_first_touch pol_static pol_ial pol_sentinel pol_share sentineld
DMN_C_ONLY := doctor jsonr
# What the host unit tests link (sanitized): the pure parts and doctor.
DMN_TEST_OBJ := $(DMN_COMMON) notify workers migrate accounting share doctor jsonr
DMN_OBJ = $(patsubst %,$(DMN_OUT)/obj/%.o,$(1))
DMN_SAN = $(patsubst %,$(DMN_OUT)/san/%.o,$(1))

SENTINELD := $(DMN_OUT)/sentineld
SENTINELCTL := $(DMN_OUT)/sentinelctl
USER_PROGS += $(SENTINELD) $(SENTINELCTL)

.SECONDARY: $(call DMN_OBJ,$(DMN_COMMON) $(DMN_D_ONLY) $(DMN_C_ONLY)) \
	    $(call DMN_SAN,$(DMN_TEST_OBJ))

$(DMN_OUT)/obj/%.o: $(DMN_DIR)/%.c $(DMN_HDRS)
	@mkdir -p $(@D)
	$(CC) $(DMN_CFLAGS) -c -o $@ $<

$(DMN_OUT)/san/%.o: $(DMN_DIR)/%.c $(DMN_HDRS)
	@mkdir -p $(@D)
	$(CC) $(DMN_CFLAGS) $(SAN_FLAGS) -c -o $@ $<

# Host-side helpers shared with other programs (common/).
$(DMN_OUT)/obj/%.o: $(TOP)/common/%.c $(DMN_HDRS)
	@mkdir -p $(@D)
	$(CC) $(DMN_CFLAGS) -c -o $@ $<

$(DMN_OUT)/san/%.o: $(TOP)/common/%.c $(DMN_HDRS)
	@mkdir -p $(@D)
	$(CC) $(DMN_CFLAGS) $(SAN_FLAGS) -c -o $@ $<

# planner.mk may be read after this file: name its library here.
$(SENTINELD): $(call DMN_OBJ,$(DMN_COMMON) $(DMN_D_ONLY)) $(B)/planner/libplanner.a
	$(CC) -pthread -o $@ $(call DMN_OBJ,$(DMN_COMMON) $(DMN_D_ONLY)) \
		$(PLANNER_LIB) $(PLANNER_LIBS) $(DMN_PKG_LIBS)

# sentinelctl's own sources are in ctl/ (ctl/ctl.mk: CTL_OBJS).
$(SENTINELCTL): $(CTL_OBJS) $(call DMN_OBJ,$(DMN_COMMON) $(DMN_C_ONLY)) $(B)/planner/libplanner.a
	$(CC) -pthread -o $@ $(CTL_OBJS) $(call DMN_OBJ,$(DMN_COMMON) $(DMN_C_ONLY)) \
		$(PLANNER_LIB) $(PLANNER_LIBS) $(DMN_PKG_LIBS)

.PHONY: daemon install-daemon
daemon: $(SENTINELD) $(SENTINELCTL)

# ---- host unit tests ----
DMN_TEST_SRCS := $(wildcard $(TOP)/tests/unit/daemon_*.c)
DMN_TESTS := $(patsubst $(TOP)/tests/unit/%.c,$(B)/tests/unit/%,$(DMN_TEST_SRCS))
UNIT_TESTS += $(DMN_TESTS)

$(B)/tests/unit/daemon_%: $(TOP)/tests/unit/daemon_%.c $(TOP)/tests/unit/daemon_tap.h $(TOP)/tests/unit/tap.h \
		$(call DMN_SAN,$(DMN_TEST_OBJ)) $(DMN_HDRS) \
		$(B)/planner/san/libplanner.a $(SENTINELD) $(SENTINELCTL)
	@mkdir -p $(@D)
	$(CC) $(DMN_CFLAGS) $(SAN_FLAGS) -I$(DMN_DIR) \
		-DDMN_SRC='"$(DMN_DIR)"' -DPKG_SRC='"$(PKG_DIR)"' -DDMN_BIN='"$(DMN_OUT)"' -o $@ $< \
		$(call DMN_SAN,$(DMN_TEST_OBJ)) $(PLANNER_SAN_LIB) $(PLANNER_LIBS) \
		$(DMN_PKG_LIBS)

# ---- in-VM tests: libnl and the daemon's client code ----
# tests/kselftest/kselftest.mk's pattern rule links only -lnuma; these
# need libnl and the daemon's objects, so they get their own (static
# pattern) rule, which takes precedence over the pattern rule.
DMN_VM_TESTS := $(B)/tests/vm/netlink $(B)/tests/vm/daemon $(B)/tests/vm/races
$(DMN_VM_TESTS): $(B)/tests/vm/%: $(TOP)/tests/kselftest/%.c \
		$(wildcard $(TOP)/tests/kselftest/*.h) $(DMN_HDRS) \
		$(call DMN_OBJ,$(DMN_COMMON)) $(B)/planner/libplanner.a $(SENTINELD) $(SENTINELCTL)
	@mkdir -p $(@D)
	$(CC) $(KST_CFLAGS) $(DMN_PKG_CFLAGS) -I$(DMN_DIR) -I$(TOP)/planner \
		-DDMN_BIN='"$(DMN_OUT)"' -o $@ $< \
		$(call DMN_OBJ,$(DMN_COMMON)) $(PLANNER_LIB) $(PLANNER_LIBS) $(DMN_PKG_LIBS) -lnuma

# The migrator's in-VM tests drive a training through libsentinel.
$(B)/tests/vm/migrate $(B)/tests/vm/disturb: $(B)/tests/vm/%: $(TOP)/tests/kselftest/%.c \
		$(B)/lib/libsentinel.a \
		$(TOP)/lib/include/sentinel.h $(wildcard $(TOP)/tests/kselftest/*.h) \
		$(SENTINELD)
	@mkdir -p $(@D)
	$(CC) $(KST_CFLAGS) -I$(TOP)/lib/include -DDMN_BIN='"$(DMN_OUT)"' -o $@ $< \
		$(B)/lib/libsentinel.a -lnuma -lm

# ---- installation ----
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/sentinel
SYSCONFDIR ?= /etc
UNITDIR ?= /usr/lib/systemd/system
MODLOADDIR ?= /usr/lib/modules-load.d
MODPROBEDIR ?= /usr/lib/modprobe.d
UDEVRULESDIR ?= /usr/lib/udev/rules.d
SYSUSERSDIR ?= /usr/lib/sysusers.d

install-daemon: $(SENTINELD) $(SENTINELCTL)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(MODLOADDIR) $(DESTDIR)$(MODPROBEDIR) \
		$(DESTDIR)$(UDEVRULESDIR) $(DESTDIR)$(SYSUSERSDIR) \
		$(DESTDIR)$(SYSCONFDIR)/sentinel $(DESTDIR)$(DOCDIR) \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 \
		$(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(SENTINELD) $(SENTINELCTL) $(DESTDIR)$(SBINDIR)/
	sed 's|@SBINDIR@|$(SBINDIR)|g; s|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		$(PKG_DIR)/systemd/sentineld.service.in \
		>$(DESTDIR)$(UNITDIR)/sentineld.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/sentineld.service
	install -m 0644 $(PKG_DIR)/systemd/modules-load.conf \
		$(DESTDIR)$(MODLOADDIR)/sentinel.conf
	install -m 0644 $(PKG_DIR)/systemd/modprobe.conf \
		$(DESTDIR)$(MODPROBEDIR)/sentinel.conf
	install -m 0644 $(PKG_DIR)/systemd/sysusers.conf \
		$(DESTDIR)$(SYSUSERSDIR)/sentinel.conf
	install -m 0644 $(PKG_DIR)/udev/60-sentinel.rules $(DESTDIR)$(UDEVRULESDIR)/
	install -m 0644 $(PKG_DIR)/sentineld.conf $(DESTDIR)$(DOCDIR)/sentineld.conf.example
	[ -e $(DESTDIR)$(SYSCONFDIR)/sentinel/sentineld.conf ] || \
		install -m 0644 $(PKG_DIR)/sentineld.conf \
			$(DESTDIR)$(SYSCONFDIR)/sentinel/sentineld.conf
	install -m 0644 $(PKG_DIR)/man/sentineld.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 $(PKG_DIR)/man/sentinel.7 $(DESTDIR)$(MANDIR)/man7/
	install -m 0644 $(PKG_DIR)/man/sentineld.8 $(PKG_DIR)/man/sentinelctl.8 \
		$(DESTDIR)$(MANDIR)/man8/
