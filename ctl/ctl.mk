# SPDX-License-Identifier: GPL-2.0
#
# sentinelctl's sources: the table of commands (sentinelctl.c), its
# helpers (util.c) and one file per group of commands.  daemon/daemon.mk
# links them with the daemon's netlink client, the doctor's checks and
# the planner library's profile views into $(B)/daemon/sentinelctl,
# beside sentineld.  Compiled with the daemon's flags (read when the
# recipes run: this file is read before daemon.mk).

CTL_DIR := $(TOP)/ctl
CTL_OUT := $(B)/ctl
CTL_NAMES := sentinelctl util status sessions profile daemon
CTL_OBJS := $(patsubst %,$(CTL_OUT)/obj/%.o,$(CTL_NAMES))
CTL_HDRS := $(wildcard $(CTL_DIR)/*.h $(TOP)/daemon/*.h $(TOP)/planner/*.h \
	      $(TOP)/common/*.h) $(TOP)/uapi/linux/sentinel.h

.SECONDARY: $(CTL_OBJS)

$(CTL_OUT)/obj/%.o: $(CTL_DIR)/%.c $(CTL_HDRS)
	@mkdir -p $(@D)
	$(CC) $(DMN_CFLAGS) -I$(CTL_DIR) -I$(TOP)/daemon -c -o $@ $<
