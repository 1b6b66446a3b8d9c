# SPDX-License-Identifier: GPL-2.0
# Host unit tests of the project's own files (components add theirs in
# their own fragments).

UNIT_TESTS += $(B)/tests/unit/uapi_layout $(B)/tests/unit/uapi_layout_m32

$(B)/tests/unit/uapi_layout: $(TOP)/tests/unit/uapi_layout.c $(TOP)/uapi/linux/sentinel.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) $(SAN_FLAGS) -o $@ $<

$(B)/tests/unit/uapi_layout_m32: $(TOP)/tests/unit/uapi_layout.c $(TOP)/uapi/linux/sentinel.h
	@mkdir -p $(@D)
	$(CC) -m32 $(USER_CFLAGS) -o $@ $<
