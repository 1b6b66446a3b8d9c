/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemon's host unit tests: TAP (tap.h) and fake files.
 */
#ifndef DAEMON_TAP_H
#define DAEMON_TAP_H

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "tap.h"

/* Write @text to @root/@rel, making the directories on the way. */
static inline void mkfile(const char *root, const char *rel, const char *text)
{
	char p[512], *s;
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	for (s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	f = fopen(p, "w");
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
}

#endif /* DAEMON_TAP_H */
