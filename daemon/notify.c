// SPDX-License-Identifier: GPL-2.0
/*
 * Thin wrapper over sd_notify(3).  Failures are ignored on purpose: a
 * notification is advisory, and outside systemd there is nobody to tell.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <systemd/sd-daemon.h>

#include "notify.h"

static int notify_enabled(void)
{
	return getenv("NOTIFY_SOCKET") != NULL;
}

void notify_ready(const char *status)
{
	if (notify_enabled())
		sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

void notify_reloading(void)
{
	if (notify_enabled())
		sd_notify(0, "RELOADING=1");
}

void notify_stopping(void)
{
	if (notify_enabled())
		sd_notify(0, "STOPPING=1");
}

void notify_status(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	if (!notify_enabled())
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sd_notifyf(0, "STATUS=%s", buf);
}
