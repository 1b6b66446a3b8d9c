// SPDX-License-Identifier: GPL-2.0
/*
 * bench-exec - run one measured workload under the tier lab.
 *
 *   bench-exec [--cpu N] [--json FILE] -- COMMAND [ARGS...]
 *
 * Starts the lab's counting (lab_start marker: the plugin instruments the
 * guest from here on), runs COMMAND pinned to vCPU N (default 1), waits
 * for it, stops the counting (lab_stop) and writes one JSON object: exit
 * status, wall-clock seconds, the child's peak resident set (ru_maxrss),
 * user and system CPU seconds.  COMMAND's own step and layer markers
 * delimit the phases lab-report models; the start and stop markers only
 * bracket them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lab_marker.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

static void usage(FILE *f)
{
	fputs("usage: bench-exec [--cpu N] [--json FILE] -- COMMAND [ARGS...]\n"
	      "Run COMMAND pinned to vCPU N (default 1) between the tier lab's\n"
	      "start and stop markers; write its status, wall time and peak RSS.\n",
	      f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cpu", required_argument, NULL, 'c' },
		{ "json", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *json = NULL;
	int cpu = 1, c, status = 0, code;
	struct rusage ru;
	double t0, t1;
	pid_t pid;
	FILE *f;

	while ((c = getopt_long(argc, argv, "+c:j:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': cpu = atoi(optarg); break;
		case 'j': json = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc || cpu < 0 || cpu >= CPU_SETSIZE) {
		usage(stderr);
		return 2;
	}
	lab_custom(0); /* maps the marker value page outside the measurement */
	t0 = now_s();
	lab_start();
	pid = fork();
	if (pid < 0) {
		perror("bench-exec: fork");
		return 1;
	}
	if (pid == 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set)) {
			perror("bench-exec: sched_setaffinity");
			_exit(126);
		}
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "bench-exec: %s: %s\n", argv[optind],
			strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("bench-exec: wait4");
			return 1;
		}
	}
	lab_stop();
	t1 = now_s();
	code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	f = json ? fopen(json, "w") : stdout;
	if (!f) {
		fprintf(stderr, "bench-exec: %s: %s\n", json, strerror(errno));
		return 1;
	}
	fprintf(f,
		"{\"status\":%d,\"wall_s\":%.3f,\"maxrss_kb\":%ld,"
		"\"user_s\":%.3f,\"sys_s\":%.3f,\"cpu\":%d}\n",
		code, t1 - t0, ru.ru_maxrss, tv_s(ru.ru_utime), tv_s(ru.ru_stime),
		cpu);
	if (json && fclose(f)) {
		fprintf(stderr, "bench-exec: %s: %s\n", json, strerror(errno));
		return 1;
	}
	return code;
}
