// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Error codes: the module's errno values, read in the context of the
 * command that returned them, become SNTL_E* codes with clear strings.
 */
#include <errno.h>

#include "internal.h"

static const char *const sntl_errstr[] = {
	[0] = "success",
	[-SNTL_ENOTAVAIL] = "Sentinel is not available (no session: module not loaded, session not opened, or forked child)",
	[-SNTL_EACCES] = "permission denied opening the Sentinel device (root or group \"sentinel\" needed)",
	[-SNTL_EDISABLED] = "Sentinel is disabled (/sys/kernel/sentinel/enabled is 0)",
	[-SNTL_ESESSIONS] = "too many Sentinel sessions (module limit max_sessions) or open files",
	[-SNTL_EVERSION] = "the Sentinel module speaks an incompatible interface version",
	[-SNTL_EINVAL] = "invalid argument",
	[-SNTL_ENOMEM] = "out of memory",
	[-SNTL_EUNMAPPED] = "a page of the object's range is not mapped (or the kernel is out of memory)",
	[-SNTL_EFAULT] = "bad address",
	[-SNTL_EEXIST] = "an object with this id is already registered",
	[-SNTL_EOVERLAP] = "the range overlaps an object already registered",
	[-SNTL_ENOENT] = "no registered object with this id",
	[-SNTL_ELIMIT] = "the session's object limit (max_objects_per_session) is reached",
	[-SNTL_EFORKED] = "the session belongs to another process (inherited across fork or exec)",
	[-SNTL_EGONE] = "the session's address space has exited",
	[-SNTL_EINTR] = "interrupted by a fatal signal",
	[-SNTL_ENOTSUP] = "not supported by this Sentinel module",
	[-SNTL_EBUSY] = "a Sentinel session is already open in this process",
	[-SNTL_ESYS] = "unexpected system error",
	[-SNTL_ENODAEMON] = "no policy daemon migrates for this session",
	[-SNTL_ETIMEDOUT] = "timed out waiting for the policy daemon's migrations",
};

const char *sntl_strerror(int err)
{
	if (err > 0 || err < __SNTL_ERROR_MIN || !sntl_errstr[-err])
		return "unknown libsentinel error";
	return sntl_errstr[-err];
}

int sntl__map_errno(unsigned long cmd, int err)
{
	bool open = cmd == 0;

	switch (err) {
	case 0:
		return SNTL_OK;
	case ENOENT:
	case ENXIO:
		return open ? SNTL_ENOTAVAIL : SNTL_ENOENT;
	case ENODEV:
		return open ? SNTL_EDISABLED : SNTL_ENOTAVAIL;
	case EACCES:
	case EROFS:
		return SNTL_EACCES;
	case EPERM:
		return open ? SNTL_EACCES : SNTL_EFORKED;
	case EMFILE:
	case ENFILE:
		return open ? SNTL_ESESSIONS : SNTL_ESYS;
	case EINVAL:
	case E2BIG:
		return SNTL_EINVAL;
	case ENOMEM:
		return cmd == SENTINEL_IOC_REGISTER ? SNTL_EUNMAPPED : SNTL_ENOMEM;
	case EFAULT:
		return SNTL_EFAULT;
	case EEXIST:
		return SNTL_EEXIST;
	case EBUSY:
		return cmd == SENTINEL_IOC_REGISTER ? SNTL_EOVERLAP : SNTL_ESYS;
	case ENOSPC:
		return SNTL_ELIMIT;
	case ESRCH:
		return SNTL_EGONE;
	case EINTR:
		return SNTL_EINTR;
	case ENOTCONN:
		return SNTL_ENODAEMON;
	case ETIMEDOUT:
		return SNTL_ETIMEDOUT;
	case ENOTTY:
	case EOPNOTSUPP:
		return SNTL_ENOTSUP;
	default:
		return SNTL_ESYS;
	}
}
