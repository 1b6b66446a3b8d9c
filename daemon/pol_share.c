// SPDX-License-Identifier: GPL-2.0
/*
 * The fast tier shared among sessions.  With fast_pool set, a session's
 * budget is the smaller of its own (fast_budget) and its weighted
 * max-min fair share of the pool (share.c) among the planned sessions;
 * when one comes (is planned) or goes, every session whose share changed
 * is marked to be planned again (reshare).  A session's weight comes
 * from share_weights: the entry for the longest cgroup path holding the
 * job's process, else the one for its real uid or user name, else 1.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "policy_int.h"
#include "share.h"
#include "topology.h"

/* The first line of /proc/@pid/@file starting with @prefix, or false. */
static bool proc_line(uint32_t pid, const char *file, const char *prefix, char *out, size_t len)
{
	char path[64], line[512];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/%s", pid, file);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		if (!strncmp(line, prefix, strlen(prefix))) {
			snprintf(out, len, "%s", line + strlen(prefix));
			out[strcspn(out, "\n")] = '\0';
			found = true;
		}
	fclose(f);
	return found;
}

/* Is @cg (a cgroup v2 path) @base or below it? */
static bool cgroup_under(const char *cg, const char *base)
{
	size_t n = strlen(base);

	if (n == 1)
		return true;	/* "/" */
	return !strncmp(cg, base, n) && (cg[n] == '\0' || cg[n] == '/');
}

static bool user_is(const struct sd_weight *w, uint32_t uid)
{
	char buf[4096];
	struct passwd pw, *res = NULL;

	if (w->kind == SD_WEIGHT_UID)
		return w->uid == uid;
	return !getpwnam_r(w->name, &pw, buf, sizeof(buf), &res) && res && res->pw_uid == uid;
}

/* The job's uid and weight, once, when the daemon first sees it. */
void pol_share_identify(struct psess *ps)
{
	const struct sd_config *c = pol.env.cfg;
	char uids[128] = "", cg[SD_WEIGHT_NAME_MAX + 256] = "";
	size_t best = 0;
	bool by_cgroup = false;

	ps->weight = 1;
	if (proc_line(ps->pid, "status", "Uid:", uids, sizeof(uids)))
		ps->uid = (uint32_t)strtoul(uids, NULL, 10);
	else
		ps->uid = UINT32_MAX;
	if (!c->nr_weights)
		return;
	proc_line(ps->pid, "cgroup", "0::", cg, sizeof(cg));
	for (unsigned int i = 0; cg[0] && i < c->nr_weights; i++) {
		const struct sd_weight *w = &c->weights[i];

		if (w->kind == SD_WEIGHT_CGROUP && cgroup_under(cg, w->name) &&
		    strlen(w->name) >= best) {
			best = strlen(w->name);
			ps->weight = w->weight;
			by_cgroup = true;
		}
	}
	for (unsigned int i = 0; !by_cgroup && ps->uid != UINT32_MAX && i < c->nr_weights; i++)
		if (c->weights[i].kind != SD_WEIGHT_CGROUP && user_is(&c->weights[i], ps->uid)) {
			ps->weight = c->weights[i].weight;
			break;
		}
	log_info("session %" PRIu64 ": pid %u, uid %u, cgroup %s: share weight %u", ps->id,
		 ps->pid, ps->uid, cg[0] ? cg : "?", ps->weight);
}

/* fast_pool in bytes; 0: no sharing (also when N% cannot be resolved). */
static uint64_t pool_bytes(void)
{
	const struct sd_config *c = pol.env.cfg;
	static bool warned;
	uint64_t total;

	switch (c->pool_kind) {
	case SD_BUDGET_BYTES:
		return c->pool;
	case SD_BUDGET_PERCENT:
		total = topo_total_bytes("", &pol.env.topo->fast);
		if (!total && !warned) {
			warned = true;
			log_warn("fast_pool = %" PRIu64 "%%: the fast nodes' memory cannot be read "
				 "(/sys/devices/system/node): not sharing", c->pool);
		}
		return sd_percent_of(total, c->pool);
	default:
		return 0;
	}
}

static uint64_t min_bytes(uint64_t pool)
{
	const struct sd_config *c = pol.env.cfg;

	if (c->share_min_kind == SD_BUDGET_PERCENT)
		return sd_percent_of(pool, c->share_min);
	return c->share_min;
}

/* Divide @pool among the sessions with a demand; mark the changed. */
static void rebalance(const struct psess *self, uint64_t pool)
{
	uint64_t floor = min_bytes(pool);
	struct share_req *r = calloc(pol.n + 1, sizeof(*r));
	uint64_t *out = calloc(pol.n + 1, sizeof(*out));

	if (!r || !out) {
		free(r);
		free(out);
		return;
	}
	for (size_t i = 0; i < pol.n; i++)
		r[i] = (struct share_req){ .demand = pol.s[i]->demand,
					   .weight = pol.s[i]->weight, .floor = floor };
	share_split(r, pol.n, pool, out);
	for (size_t i = 0; i < pol.n; i++) {
		struct psess *ps = pol.s[i];

		if (ps != self && ps->planned && ps->demand && ps->share != out[i])
			ps->reshare = true;
		ps->share = out[i];
	}
	free(r);
	free(out);
}

/*
 * A plan of @ps wants @demand bytes: its budget under the pool (the
 * demand itself when no pool is set).  Sessions whose share this
 * changes are marked reshare.
 */
uint64_t pol_share_of(struct psess *ps, uint64_t demand)
{
	uint64_t pool = pool_bytes();

	ps->demand = demand;
	if (!pool) {
		ps->share = 0;
		return demand;
	}
	rebalance(ps, pool);
	if (ps->share < demand)
		log_info("session %" PRIu64 ": fast budget %" PRIu64 " B, its share of the pool %"
			 PRIu64 " B (weight %u, %zu session(s))", ps->id, demand, ps->share,
			 ps->weight, pol.n);
	return ps->share < demand ? ps->share : demand;
}

/* A session left: the others' shares again. */
void pol_share_left(void)
{
	uint64_t pool = pool_bytes();

	if (pool)
		rebalance(NULL, pool);
}
