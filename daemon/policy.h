/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The policies and the migrator of sentineld (Documentation/daemon.rst,
 * "Policies and the migrator").  Called from the event loop only; the
 * migrations themselves run on the worker pool.
 */
#ifndef SENTINELD_POLICY_H
#define SENTINELD_POLICY_H

#include "config.h"
#include "json.h"
#include "nl.h"
#include "state.h"
#include "topology.h"
#include "workers.h"

struct pol_env {
	struct snl *cmd;		/* request socket of the event loop */
	struct wq *wq;
	const struct sd_config *cfg;
	const struct topology *topo;
	struct sd_state *state;
};

/* Start-up: calibrate the migration bandwidth between the tiers. */
void policy_init(const struct pol_env *env);
/* The environment changed (reload, reconnect). */
void policy_env(const struct pol_env *env);
/* An event, after state_apply() took it. */
void policy_event(const struct snl_event *ev);
/* After a resync or an object refresh: drop sessions that are gone. */
void policy_reconcile(void);
/* Forget every session (module gone). */
void policy_clear(void);
/* Session ids whose objects must be dumped again (pages gone). */
bool policy_want_refresh(void);
/*
 * Whether the policy dumps session @id's objects itself, at its step
 * begins, so that object events need not: a placed plan without moves,
 * while the session is inside a step.
 */
bool policy_syncs_at_steps(uint64_t id);
void policy_json(struct jbuf *b);
void policy_shutdown(void);

#endif /* SENTINELD_POLICY_H */
