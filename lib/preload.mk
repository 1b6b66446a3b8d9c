# SPDX-License-Identifier: LGPL-2.1-or-later
#
# libsentinel-preload.so: the malloc interposer (Documentation/preload.rst).
#
#   $(B)/lib/libsentinel-preload.so   the interposer; needs libsentinel.so.0,
#                                     found next to it ($ORIGIN) or installed
#   $(B)/tests/unit/preload_test      host test: runs itself under LD_PRELOAD
#   $(B)/tests/vm/libsentinel         in-VM test of libsentinel against the
#                                     real module (kselftest harness)
#
# make install-lib [DESTDIR=...] [LIB_PREFIX=/usr/local] installs the library
# (lib-install of lib.mk) and the interposer with its header.
#
# The host test is built with UndefinedBehaviorSanitizer only: an
# AddressSanitizer program replaces malloc itself and refuses to run with
# another malloc preloaded ahead of its runtime, so the two cannot be
# combined; the interposer's bookkeeping is libsentinel's, whose own tests
# run under ASan.

PRELOAD_SO := $(LIB_OUT)/libsentinel-preload.so
PRELOAD_HDRS := $(LIB_DIR)/preload.h $(LIB_DIR)/include/sentinel.h
PRELOAD_CFLAGS := $(USER_CFLAGS) -pthread -fPIC -I$(LIB_DIR)/include -I$(LIB_DIR)
PRELOAD_TEST := $(B)/tests/unit/preload_test

USER_PROGS += $(PRELOAD_SO)
UNIT_TESTS += $(PRELOAD_TEST)

.PHONY: preload install-lib
preload: $(PRELOAD_SO)
lib: $(PRELOAD_SO)

$(PRELOAD_SO): $(LIB_DIR)/preload.c $(PRELOAD_HDRS) $(LIB_OUT)/libsentinel.so
	$(CC) $(PRELOAD_CFLAGS) -shared -Wl,--no-undefined -Wl,-z,now \
		-Wl,-rpath,'$$ORIGIN' -o $@ $< -L$(LIB_OUT) -lsentinel -ldl

$(PRELOAD_TEST): $(TOP)/tests/unit/preload_test.c $(PRELOAD_SO) \
		$(PRELOAD_HDRS) $(TOP)/tests/unit/tap.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -pthread -fsanitize=undefined \
		-fno-sanitize-recover=all -I$(LIB_DIR)/include -I$(LIB_DIR) \
		-o $@ $< -L$(LIB_OUT) -lsentinel -Wl,-rpath,$(LIB_OUT)

# The in-VM test of the library links it statically; this rule replaces
# the generic one of tests/kselftest/kselftest.mk for that one program.
$(B)/tests/vm/libsentinel: $(TOP)/tests/kselftest/libsentinel.c $(LIB_A) \
		$(LIB_DIR)/include/sentinel.h $(wildcard $(TOP)/tests/kselftest/*.h)
	@mkdir -p $(@D)
	$(CC) $(KST_CFLAGS) -I$(LIB_DIR)/include -o $@ $< $(LIB_A) -lnuma

install-lib: lib-install $(PRELOAD_SO)
	install -m 0755 $(PRELOAD_SO) $(DESTDIR)$(LIB_LIBDIR)/
	install -m 0644 $(LIB_DIR)/preload.h \
		$(DESTDIR)$(LIB_INCDIR)/sentinel-preload.h
