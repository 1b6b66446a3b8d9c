// SPDX-License-Identifier: GPL-2.0
/*
 * sentineld logging.  Messages below the configured level are dropped;
 * the journal gets the syslog priority, stderr gets a "sentineld: level:"
 * prefix.  Safe to call from worker threads (one write per message).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "log.h"

static const char *log_ident = "sentineld";
static bool log_journal;
static volatile enum sd_log_level log_level = SD_LOG_INFO;

int sd_log_target_parse(const char *s, enum sd_log_target *out)
{
	if (!strcmp(s, "auto"))
		*out = SD_LOG_TARGET_AUTO;
	else if (!strcmp(s, "stderr"))
		*out = SD_LOG_TARGET_STDERR;
	else if (!strcmp(s, "journal"))
		*out = SD_LOG_TARGET_JOURNAL;
	else
		return -1;
	return 0;
}

/* systemd sets JOURNAL_STREAM=dev:ino when stderr is a journal stream. */
static bool stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st))
		return false;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

void sd_log_init(const char *ident, enum sd_log_target t, bool daemonized)
{
	log_ident = ident;
	switch (t) {
	case SD_LOG_TARGET_STDERR:
		log_journal = false;
		break;
	case SD_LOG_TARGET_JOURNAL:
		log_journal = true;
		break;
	case SD_LOG_TARGET_AUTO:
		log_journal = daemonized || stderr_is_journal();
		break;
	}
}

void sd_log_set_level(enum sd_log_level l)
{
	log_level = l;
}

enum sd_log_level sd_log_get_level(void)
{
	return log_level;
}

bool sd_log_to_journal(void)
{
	return log_journal;
}

void sd_log(enum sd_log_level l, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (l > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log_journal) {
		sd_journal_print((int)l, "%s", msg);
		return;
	}
	fprintf(stderr, "%s: %s: %s\n", log_ident, sd_log_level_name(l), msg);
}
