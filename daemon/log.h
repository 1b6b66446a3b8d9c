/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sentineld logging: to stderr or to the systemd journal, chosen at run time.
 */
#ifndef SENTINELD_LOG_H
#define SENTINELD_LOG_H

#include "config.h"

enum sd_log_target {
	SD_LOG_TARGET_AUTO,	/* journal when stderr is the journal, else stderr */
	SD_LOG_TARGET_STDERR,
	SD_LOG_TARGET_JOURNAL,
};

int sd_log_target_parse(const char *s, enum sd_log_target *out);
/* Resolve AUTO; @daemonized: stderr is going away. */
void sd_log_init(const char *ident, enum sd_log_target t, bool daemonized);
void sd_log_set_level(enum sd_log_level l);
enum sd_log_level sd_log_get_level(void);
bool sd_log_to_journal(void);

void sd_log(enum sd_log_level l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...)	sd_log(SD_LOG_ERR, __VA_ARGS__)
#define log_warn(...)	sd_log(SD_LOG_WARNING, __VA_ARGS__)
#define log_notice(...)	sd_log(SD_LOG_NOTICE, __VA_ARGS__)
#define log_info(...)	sd_log(SD_LOG_INFO, __VA_ARGS__)
#define log_debug(...)	sd_log(SD_LOG_DEBUG, __VA_ARGS__)

#endif /* SENTINELD_LOG_H */
