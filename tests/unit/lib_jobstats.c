// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * sntl_job_stats(): a job reads what the policy daemon accounted for its
 * session (the module's SENTINEL_IOC_STATS acct) and its own waits for
 * moves; a bad size or reserved field is SNTL_EINVAL, a module without
 * SENTINEL_FEAT_JOB_ACCT SNTL_ENOTSUP, no session SNTL_ENOTAVAIL.  Runs
 * against the fake module.
 */
#include <stddef.h>
#include <string.h>

#include <sentinel.h>

#include "internal.h"
#include "lib_fakedev.h"
#include "tap.h"

static int open_fake(void)
{
	struct sntl_open_opts o = { .size = sizeof(o), .device = "/fake" };

	return sntl_open(&o);
}

int main(void)
{
	struct sntl_job_stats j = { .size = sizeof(j) };
	struct sntl_job_stats old;

	tap_plan(9);
	fake_install(64);
	ok(sntl_job_stats(&j) == SNTL_ENOTAVAIL, "no session: SNTL_ENOTAVAIL");
	ok(open_fake() == SNTL_OK, "session open on the fake module");
	ok(sntl_job_stats(&j) == SNTL_OK && j.daemon_updates == 0 && j.steps == 0 &&
	   j.promoted_bytes == 0 && j.waits == 0 && j.size == sizeof(j),
	   "nothing sent by a daemon yet: every figure 0");
	fake.acct = (struct sentinel_job_acct){
		.updates = 3, .step = 9, .steps = 8, .promoted_bytes = 1 << 20,
		.demoted_bytes = 1 << 19, .late = 2, .late_bytes = 8192,
		.budget = 4 << 20, .touched_bytes = 1000, .fast_bytes = 900,
	};
	ok(sntl_job_stats(&j) == SNTL_OK && j.daemon_updates == 3 && j.step == 9 &&
	   j.steps == 8 && j.promoted_bytes == 1 << 20 && j.demoted_bytes == 1 << 19 &&
	   j.late == 2 && j.late_bytes == 8192 && j.budget == 4 << 20 &&
	   j.touched_bytes == 1000 && j.fast_bytes == 900,
	   "the daemon's figures, field by field");
	memset(&old, 0xa5, sizeof(old));
	old.size = SNTL_JOB_STATS_SIZE_V0;
	old.reserved = 0;
	ok(sntl_job_stats(&old) == SNTL_OK && old.fast_bytes == 900,
	   "the first published size is filled whole");
	j.size = SNTL_JOB_STATS_SIZE_V0 - 8;
	ok(sntl_job_stats(&j) == SNTL_EINVAL && sntl_job_stats(NULL) == SNTL_EINVAL,
	   "a size below the first published one, NULL: SNTL_EINVAL");
	j.size = sizeof(j);
	j.reserved = 1;
	ok(sntl_job_stats(&j) == SNTL_EINVAL, "reserved set: SNTL_EINVAL");
	j.reserved = 0;
	sntl_close();
	fake.no_acct = 1;
	ok(open_fake() == SNTL_OK && sntl_job_stats(&j) == SNTL_ENOTSUP,
	   "a module that keeps no accounting: SNTL_ENOTSUP");
	ok(fake.violations == 0, "no request broke the module's rules%s%s",
	   fake.violations ? ": " : "", fake.last_violation);
	sntl_close();
	return tap_done();
}
