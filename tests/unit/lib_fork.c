// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fork(): the child's inherited session is dropped (never used: the fake
 * module answers EPERM to it and counts a violation), session calls
 * report SNTL_ENOTAVAIL, the allocator and inherited allocations keep
 * working, and sntl_open() in the child registers the live allocations
 * with a new session.  With SNTL_OPEN_FOLLOW_FORK the child reopens on
 * its first mark.  Forks happen while other threads allocate.  A fork
 * that bypasses the fork handlers is caught by the pid check.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sentinel.h>

#include "lib_fakedev.h"
#include "tap.h"

#define FORKS	24
#define SEG	(16UL << 20)

static _Atomic int stop;
static unsigned char *keep_long, *keep_short;

static void *churn(void *arg)
{
	unsigned long i = (uintptr_t)arg;

	while (!stop) {
		void *a = sntl_alloc(100 + i % 3000, SNTL_KIND_WORKSPACE, SNTL_LIFE_SHORT);
		void *b = sntl_alloc(5000 + i % 70000, SNTL_KIND_ACTIVATION, SNTL_LIFE_STEP);

		if (a)
			memset(a, 1, 100);
		if (b)
			memset(b, 2, 5000);
		sntl_free(a);
		sntl_free(b);
		i++;
	}
	return NULL;
}

static size_t allocator_objects(void)
{
	struct sntl_alloc_stats st;

	sntl_alloc_stats(&st);
	return st.long_objects + st.short_reserved_bytes / SEG;
}

/*
 * The child's checks; the exit status says which failed (0: none).
 * follow: 1 with FOLLOW_FORK, 0 without, -1 when no session was open.
 */
static int child(int follow)
{
	void *p;
	int i;

	alarm(30);
	if (sntl_state() != (follow < 0 ? SNTL_STATE_CLOSED : SNTL_STATE_FORKED) ||
	    sntl_available())
		return 1;
	if (follow > 0) {
		if (sntl_layer_begin(0, SNTL_DIR_FORWARD) != 0 ||
		    sntl_state() != SNTL_STATE_OPEN)
			return 2;
	} else {
		if (sntl_layer_begin(0, SNTL_DIR_FORWARD) != SNTL_ENOTAVAIL ||
		    sntl_flush() != SNTL_ENOTAVAIL)
			return 3;
	}
	for (i = 0; i < 4096; i++)
		if (keep_long[i] != 0x11 || keep_short[i % 200] != 0x22)
			return 4;
	p = sntl_alloc(12345, SNTL_KIND_GRADIENT, SNTL_LIFE_STEP);
	if (!p || sntl_free(p))
		return 5;
	if (follow <= 0) {
		struct sntl_open_opts o = { .size = sizeof(o), .device = "/fake" };

		if (sntl_open(&o))
			return 6;
	}
	sntl_flush();
	if (fake_alloc_objects() != allocator_objects())
		return 7;
	if (fake.violations)
		return 8;
	if (sntl_free(keep_long) || sntl_free(keep_short))
		return 9;
	sntl_close();
	return 0;
}

static int run_forks(int follow, int n)
{
	int i, failed = 0, status;

	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(child(follow));
		if (pid < 0 || waitpid(pid, &status, 0) != pid ||
		    !WIFEXITED(status) || WEXITSTATUS(status)) {
			diag("child %d: status %#x", i, status);
			failed++;
		}
	}
	return failed;
}

int main(void)
{
	struct sntl_open_opts o = { .size = sizeof(o), .device = "/fake" };
	pthread_t t[2];
	int status, i;
	pid_t pid;

	fake_install(64);
	keep_long = sntl_alloc(4096, SNTL_KIND_WEIGHT, SNTL_LIFE_PERSISTENT);
	keep_short = sntl_alloc(200, SNTL_KIND_WORKSPACE, SNTL_LIFE_SHORT);
	memset(keep_long, 0x11, 4096);
	memset(keep_short, 0x22, 200);

	ok(run_forks(-1, 2) == 0, "fork without a session: the child can open one");

	ok(sntl_open(&o) == 0, "open");
	for (i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, churn, (void *)(uintptr_t)i);
	ok(run_forks(0, FORKS) == 0,
	   "%d forks while threads allocate: the child drops the session, keeps the allocator, reopens",
	   FORKS);
	ok(sntl_step_begin(1) == 0 && sntl_step_end(1) == 0,
	   "the parent's session still works");
	ok(!fake.violations, "the parent saw no contract violation (%s)", fake.last_violation);
	ok(sntl_close() == 0, "close");

	o.flags = SNTL_OPEN_FOLLOW_FORK;
	ok(sntl_open(&o) == 0, "open with SNTL_OPEN_FOLLOW_FORK");
	ok(run_forks(1, FORKS / 2) == 0,
	   "%d forks: the child reopens on its first mark and registers its objects",
	   FORKS / 2);
	stop = 1;
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	ok(sntl_layer_begin(1, SNTL_DIR_BACKWARD) == 0, "the parent's session still works");

#ifdef SYS_fork
	/* A fork that runs no fork handlers: the pid check catches it. */
	sntl_flush();
	status = -1;
	pid = (pid_t)syscall(SYS_fork);
	if (pid == 0) {
		int bad = sntl_available() || sntl_state() != SNTL_STATE_FORKED;

		bad |= (sntl_layer_end(1, SNTL_DIR_BACKWARD) != 0) << 1;
		bad |= (sntl_state() != SNTL_STATE_OPEN) << 2;
		bad |= (fake.violations != 0) << 3;
		_exit(bad);
	}
	if (pid > 0 && waitpid(pid, &status, 0) != pid)
		status = -1;
	ok(pid > 0 && status == 0,
	   "a raw fork: the child detects the new pid and reopens (status %#x)", status);
#else
	ok(1, "# SKIP no fork system call on this architecture");
#endif
	(void)pid;
	(void)status;
	ok(!fake.violations, "no contract violations (%s)", fake.last_violation);
	sntl_close();
	sntl_free(keep_long);
	sntl_free(keep_short);
	return tap_done();
}
