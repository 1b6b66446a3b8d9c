/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Service manager notifications (sd_notify).  Every call is a no-op when
 * the daemon does not run under systemd (NOTIFY_SOCKET unset).
 */
#ifndef SENTINELD_NOTIFY_H
#define SENTINELD_NOTIFY_H

void notify_ready(const char *status);
void notify_reloading(void);
void notify_stopping(void);
void notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* SENTINELD_NOTIFY_H */
