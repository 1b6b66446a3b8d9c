// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libsentinel error codes: every code has a distinct, non-empty string;
 * the module's errno values map to the codes the uapi documents for each
 * command; open() failures are reported as the right code.
 */
#include <errno.h>
#include <string.h>

#include <sentinel.h>

#include "internal.h"
#include "lib_fakedev.h"
#include "tap.h"

static int open_with_errno(int err)
{
	struct sntl_open_opts o = { .size = sizeof(o), .device = "/fake" };

	fake.open_errno = err;
	return sntl_open(&o);
}

int main(void)
{
	struct sntl_open_opts o = { .size = sizeof(o), .device = "/fake" };
	int e, f, distinct = 1, nonempty = 1;


	for (e = 0; e >= __SNTL_ERROR_MIN; e--) {
		const char *s = sntl_strerror(e);

		if (!s || !*s || !strcmp(s, "unknown libsentinel error"))
			nonempty = 0;
		for (f = e - 1; f >= __SNTL_ERROR_MIN; f--)
			if (!strcmp(s, sntl_strerror(f)))
				distinct = 0;
	}
	ok(nonempty, "every error code has a description");
	ok(distinct, "the descriptions are distinct");
	ok(!strcmp(sntl_strerror(1), "unknown libsentinel error") &&
	   !strcmp(sntl_strerror(-1000), "unknown libsentinel error"),
	   "out-of-range codes are described as unknown");
	ok(strstr(sntl_strerror(SNTL_ENOTAVAIL), "not available") != NULL,
	   "SNTL_ENOTAVAIL: %s", sntl_strerror(SNTL_ENOTAVAIL));

	/* Mapping of errno values in the context of each command. */
	ok(sntl__map_errno(0, ENOENT) == SNTL_ENOTAVAIL, "open ENOENT -> ENOTAVAIL");
	ok(sntl__map_errno(0, ENODEV) == SNTL_EDISABLED, "open ENODEV -> EDISABLED");
	ok(sntl__map_errno(0, EACCES) == SNTL_EACCES, "open EACCES -> EACCES");
	ok(sntl__map_errno(0, EMFILE) == SNTL_ESESSIONS, "open EMFILE -> ESESSIONS");
	ok(sntl__map_errno(SENTINEL_IOC_REGISTER, EBUSY) == SNTL_EOVERLAP,
	   "register EBUSY -> EOVERLAP");
	ok(sntl__map_errno(SENTINEL_IOC_REGISTER, EEXIST) == SNTL_EEXIST,
	   "register EEXIST -> EEXIST");
	ok(sntl__map_errno(SENTINEL_IOC_REGISTER, ENOMEM) == SNTL_EUNMAPPED,
	   "register ENOMEM -> EUNMAPPED");
	ok(sntl__map_errno(SENTINEL_IOC_REGISTER, ENOSPC) == SNTL_ELIMIT,
	   "register ENOSPC -> ELIMIT");
	ok(sntl__map_errno(SENTINEL_IOC_UNREGISTER, ENOENT) == SNTL_ENOENT,
	   "unregister ENOENT -> ENOENT");
	ok(sntl__map_errno(SENTINEL_IOC_MARK, EPERM) == SNTL_EFORKED,
	   "EPERM on a command -> EFORKED");
	ok(sntl__map_errno(SENTINEL_IOC_QUERY, ESRCH) == SNTL_EGONE,
	   "ESRCH -> EGONE");
	ok(sntl__map_errno(SENTINEL_IOC_STATS, ENOTTY) == SNTL_ENOTSUP,
	   "ENOTTY -> ENOTSUP");
	ok(sntl__map_errno(SENTINEL_IOC_MARK, EINTR) == SNTL_EINTR, "EINTR -> EINTR");
	ok(sntl__map_errno(SENTINEL_IOC_MARK, EIO) == SNTL_ESYS, "EIO -> ESYS");
	ok(sntl__map_errno(SENTINEL_IOC_WAIT, ENOTCONN) == SNTL_ENODAEMON,
	   "wait ENOTCONN -> ENODAEMON");
	ok(sntl__map_errno(SENTINEL_IOC_WAIT, ETIMEDOUT) == SNTL_ETIMEDOUT,
	   "wait ETIMEDOUT -> ETIMEDOUT");

	/* open() failures through the backend. */
	fake_install(64);
	ok(open_with_errno(ENOENT) == SNTL_ENOTAVAIL, "missing device: ENOTAVAIL");
	ok(open_with_errno(EACCES) == SNTL_EACCES, "no permission: EACCES");
	ok(open_with_errno(ENODEV) == SNTL_EDISABLED, "disabled module: EDISABLED");
	ok(open_with_errno(EMFILE) == SNTL_ESESSIONS, "session limit: ESESSIONS");
	ok(sntl_state() == SNTL_STATE_CLOSED, "failed opens leave the session closed");
	fake.open_errno = 0;
	fake.major = SENTINEL_VERSION_MAJOR + 1;
	ok(sntl_open(&o) == SNTL_EVERSION, "incompatible major version: EVERSION");
	ok(fake.closes == fake.opens, "the descriptor is closed after a version mismatch");
	fake.major = SENTINEL_VERSION_MAJOR;
	ok(sntl_open(&o) == 0, "open succeeds with the right version");
	ok(sntl_open(&o) == SNTL_EBUSY, "a second open: EBUSY");
	ok(sntl_close() == 0, "close");
	ok(sntl_close() == SNTL_ENOTAVAIL, "close without a session: ENOTAVAIL");
	o.flags = 1U << 20;
	ok(sntl_open(&o) == SNTL_EINVAL, "unknown open flag: EINVAL");
	ok(fake.violations == 0, "no contract violations (%s)", fake.last_violation);
	return tap_done();
}
