# SPDX-License-Identifier: GPL-2.0
#
# sentinel-top: the module's tracepoints and the kernel's migrations,
# joined by a BPF program (libbpf, CO-RE, ring buffer).
#
#   $(B)/tools/bpf/sentinel_top.bpf.o    BPF object (clang -target bpf)
#   $(B)/tools/bpf/sentinel_top.skel.h   its skeleton (bpftool gen skeleton)
#   $(B)/tools/bpf/sentinel-top          the program
#   $(B)/tests/vm/top                    in-VM test against sentineld
#
# The BPF side needs no vmlinux.h: it declares the few kernel fields it
# reads with CO-RE relocations (resolved against /sys/kernel/btf/vmlinux
# when it loads), and the module's records in sentinel_top.h.

BPF_DIR := $(TOP)/tools/bpf
BPF_OUT := $(B)/tools/bpf
BPF_CLANG ?= clang
BPFTOOL ?= bpftool
BPF_ARCH := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
BPF_MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(BPF_ARCH) -Wall -Werror \
	      -I$(BPF_DIR) $(if $(BPF_MULTIARCH),-idirafter /usr/include/$(BPF_MULTIARCH))
BPF_LIBS := $(shell pkg-config --libs libbpf 2>/dev/null || echo -lbpf)
SENTINEL_TOP := $(BPF_OUT)/sentinel-top
USER_PROGS += $(SENTINEL_TOP)

$(BPF_OUT)/sentinel_top.bpf.o: $(BPF_DIR)/sentinel_top.bpf.c $(BPF_DIR)/sentinel_top.h
	@mkdir -p $(@D)
	$(BPF_CLANG) $(BPF_CFLAGS) -c -o $@ $<

$(BPF_OUT)/sentinel_top.skel.h: $(BPF_OUT)/sentinel_top.bpf.o
	$(BPFTOOL) gen skeleton $< name sentinel_top >$@.tmp && mv $@.tmp $@

$(SENTINEL_TOP): $(BPF_DIR)/sentinel_top.c $(BPF_DIR)/sentinel_top.h \
		$(BPF_OUT)/sentinel_top.skel.h
	$(CC) $(USER_CFLAGS) -I$(BPF_OUT) -I$(BPF_DIR) -o $@ $< $(BPF_LIBS)

.PHONY: sentinel-top
sentinel-top: $(SENTINEL_TOP)

# The in-VM test drives a training through libsentinel under sentineld.
$(B)/tests/vm/top: $(TOP)/tests/kselftest/top.c $(B)/lib/libsentinel.a \
		$(TOP)/lib/include/sentinel.h $(wildcard $(TOP)/tests/kselftest/*.h) \
		$(SENTINELD) $(SENTINEL_TOP)
	@mkdir -p $(@D)
	$(CC) $(KST_CFLAGS) -I$(TOP)/lib/include -DDMN_BIN='"$(DMN_OUT)"' \
		-DTOP_BIN='"$(SENTINEL_TOP)"' -o $@ $< $(B)/lib/libsentinel.a -lnuma -lm

.PHONY: install-bpf
install-bpf: $(SENTINEL_TOP)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(SENTINEL_TOP) $(DESTDIR)$(SBINDIR)/
	install -m 0644 $(BPF_DIR)/sentinel-top.8 $(DESTDIR)$(MANDIR)/man8/
