/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Rebuilding state from the module's dumps.
 */
#ifndef SENTINELD_SYNC_H
#define SENTINELD_SYNC_H

#include "nl.h"
#include "state.h"

/*
 * Dump @s's objects again (retrying a dump that raced a registration) and
 * set its objects, count, bytes and generation from it.  -ENOENT when the
 * session is gone.  Counts the dumps and the calling thread's CPU time
 * in them (obj_dumps, obj_dump_ns).
 */
int sync_session_objects(struct snl *c, struct sd_session *s);

/* CPU time of the calling thread in ns (what the daemon's work costs). */
uint64_t sync_thread_ns(void);

/* A fresh state from GET_SESSION and GET_OBJECTS dumps into @out. */
int sync_all(struct snl *c, struct sd_state *out);

#endif /* SENTINELD_SYNC_H */
