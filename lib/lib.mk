# SPDX-License-Identifier: LGPL-2.1-or-later
#
# libsentinel: the framework library.
#
#   $(B)/lib/libsentinel.so.$(LIB_VERSION)  shared library, SONAME libsentinel.so.0
#   $(B)/lib/libsentinel.a                  static library
#   $(B)/lib/sentinel.pc                    pkg-config file (prefix $(LIB_PREFIX))
#   $(B)/lib/allocbench                     allocator fragmentation benchmark (JSON)
#   $(B)/tests/unit/lib_*                   host unit tests (ASan + UBSan)
#
# make lib-install [DESTDIR=...] [LIB_PREFIX=/usr/local] installs the
# library, the header <sentinel.h> and the pkg-config file.

LIB_DIR := $(TOP)/lib
LIB_OUT := $(B)/lib
LIB_SONAME_MAJOR := 0
LIB_VERSION := 0.1.0
LIB_SONAME := libsentinel.so.$(LIB_SONAME_MAJOR)
LIB_SO := $(LIB_OUT)/libsentinel.so.$(LIB_VERSION)
LIB_A := $(LIB_OUT)/libsentinel.a
LIB_PC := $(LIB_OUT)/sentinel.pc
LIB_BENCH := $(LIB_OUT)/allocbench
LIB_PREFIX ?= /usr/local
LIB_LIBDIR ?= $(LIB_PREFIX)/lib
LIB_INCDIR ?= $(LIB_PREFIX)/include

LIB_NAMES := alloc error hmap lab mcache plan session
LIB_SRCS := $(patsubst %,$(LIB_DIR)/%.c,$(LIB_NAMES))
LIB_HDRS := $(wildcard $(LIB_DIR)/*.h $(LIB_DIR)/include/*.h \
	      $(TOP)/include/sentinel/lab_marker.h) $(TOP)/uapi/linux/sentinel.h
LIB_OBJS := $(patsubst %,$(LIB_OUT)/obj/%.o,$(LIB_NAMES))
LIB_SAN_OBJS := $(patsubst %,$(LIB_OUT)/san/%.o,$(LIB_NAMES))
LIB_CFLAGS := $(USER_CFLAGS) -pthread -fvisibility=hidden

LIB_TEST_SRCS := $(wildcard $(TOP)/tests/unit/lib_*.c)
LIB_TESTS := $(patsubst $(TOP)/tests/unit/%.c,$(B)/tests/unit/%,$(LIB_TEST_SRCS))

USER_PROGS += $(LIB_SO) $(LIB_OUT)/$(LIB_SONAME) $(LIB_OUT)/libsentinel.so \
	      $(LIB_A) $(LIB_PC) $(LIB_BENCH)
UNIT_TESTS += $(LIB_TESTS)

.PHONY: lib lib-install
.SECONDARY: $(LIB_OBJS) $(LIB_SAN_OBJS)
lib: $(LIB_SO) $(LIB_OUT)/$(LIB_SONAME) $(LIB_OUT)/libsentinel.so $(LIB_A) \
	$(LIB_PC) $(LIB_BENCH)

$(LIB_OUT)/obj/%.o: $(LIB_DIR)/%.c $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -fPIC -c -o $@ $<

$(LIB_OUT)/san/%.o: $(LIB_DIR)/%.c $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) $(SAN_FLAGS) -c -o $@ $<

$(LIB_SO): $(LIB_OBJS) $(LIB_DIR)/libsentinel.map
	$(CC) -shared -pthread -Wl,-soname,$(LIB_SONAME) -Wl,--no-undefined \
		-Wl,--version-script=$(LIB_DIR)/libsentinel.map -o $@ $(LIB_OBJS)

$(LIB_OUT)/$(LIB_SONAME): $(LIB_SO)
	ln -sf $(notdir $<) $@

$(LIB_OUT)/libsentinel.so: $(LIB_OUT)/$(LIB_SONAME)
	ln -sf $(notdir $<) $@

$(LIB_A): $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(LIB_PC): $(LIB_DIR)/sentinel.pc.in $(LIB_DIR)/lib.mk
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(LIB_PREFIX)|' -e 's|@LIBDIR@|$(LIB_LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(LIB_INCDIR)|' -e 's|@VERSION@|$(LIB_VERSION)|' \
	    $< >$@

$(LIB_BENCH): $(LIB_DIR)/bench/allocbench.c $(LIB_A) $(LIB_DIR)/include/sentinel.h
	$(CC) $(USER_CFLAGS) -pthread -I$(LIB_DIR)/include -o $@ $< $(LIB_A)

$(B)/tests/unit/lib_%: $(TOP)/tests/unit/lib_%.c $(LIB_SAN_OBJS) \
		$(wildcard $(TOP)/tests/unit/lib_*.h) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) $(SAN_FLAGS) -I$(LIB_DIR)/include -I$(LIB_DIR) \
		-o $@ $< $(LIB_SAN_OBJS)

lib-install: lib
	install -d $(DESTDIR)$(LIB_LIBDIR) $(DESTDIR)$(LIB_INCDIR) \
		$(DESTDIR)$(LIB_LIBDIR)/pkgconfig
	install -m 0755 $(LIB_SO) $(DESTDIR)$(LIB_LIBDIR)/
	ln -sf $(notdir $(LIB_SO)) $(DESTDIR)$(LIB_LIBDIR)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(DESTDIR)$(LIB_LIBDIR)/libsentinel.so
	install -m 0644 $(LIB_A) $(DESTDIR)$(LIB_LIBDIR)/
	install -m 0644 $(LIB_DIR)/include/sentinel.h $(DESTDIR)$(LIB_INCDIR)/
	install -m 0644 $(LIB_PC) $(DESTDIR)$(LIB_LIBDIR)/pkgconfig/
