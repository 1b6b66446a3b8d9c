// SPDX-License-Identifier: GPL-2.0
/*
 * bench-exec - run one measured workload under the tier lab.
 *
 *   bench-exec [--cpu N] [--tag T] [--start-after PREFIX] [--sample-ms MS]
 *              [--numa-stat FILE] [--json FILE] -- COMMAND [ARGS...]
 *
 * Runs COMMAND pinned to vCPU N (default 1) and starts the lab's counting
 * (the lab_start marker; the plugin instruments the guest from then on):
 * at once, or, with --start-after, when a line of COMMAND's standard
 * output starts with PREFIX (for example "step 3 ", so that warm-up steps
 * run at the emulator's full speed).  COMMAND's output is passed through.
 * When COMMAND ends, counting stops (lab_stop).  Custom markers with value
 * T (default 1) go before and after the run, so that one record file can
 * hold several runs.
 *
 * Every MS milliseconds (default 1000; 0: never) it reads COMMAND's
 * /proc/PID/numa_maps and keeps the largest number of its resident
 * anonymous pages on each NUMA node, before and after the counting started.
 * With --numa-stat FILE it reads the "anon" line of a memory cgroup's
 * memory.numa_stat instead (the cgroup COMMAND runs in): a few counters
 * instead of a walk of every page of COMMAND's under its mmap lock, whose
 * cost on the other vCPU grew with the wall time of a step, so with the
 * host's load, and evicted the workload's lines from the lab's cache.
 *
 * Writes one JSON object (stdout, or FILE): exit status, wall-clock
 * seconds, the child's peak resident set (ru_maxrss), user and system CPU
 * seconds, whether counting started, and the per-node page maxima.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sentinel/lab_marker.h>

#define MAX_NODES 8

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

static const char *numa_stat;	/* --numa-stat */

/* Anonymous pages per node of the cgroup's memory.numa_stat into cur. */
static void read_numa_stat(unsigned long long *cur)
{
	unsigned long long psz = (unsigned long long)sysconf(_SC_PAGESIZE);
	char *line = NULL;
	size_t cap = 0;
	FILE *f = fopen(numa_stat, "r");

	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		if (strncmp(line, "anon ", 5))
			continue;
		for (char *p = strstr(line, " N"); p; p = strstr(p + 1, " N")) {
			unsigned int n;
			unsigned long long v;

			if (sscanf(p, " N%u=%llu", &n, &v) == 2 && n < MAX_NODES)
				cur[n] = v / psz;
		}
		break;
	}
	free(line);
	fclose(f);
}

/* Resident anonymous pages per node of pid (or of its cgroup). */
static void sample(pid_t pid, unsigned long long *max)
{
	unsigned long long cur[MAX_NODES] = { 0 };
	char path[64], *line = NULL;
	size_t cap = 0;
	FILE *f;

	if (numa_stat) {
		read_numa_stat(cur);
		goto done;
	}
	snprintf(path, sizeof(path), "/proc/%d/numa_maps", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		/* Anonymous memory only: file pages were cached before. */
		if (strstr(line, " file="))
			continue;
		for (char *p = strstr(line, " N"); p; p = strstr(p + 1, " N")) {
			unsigned int n;
			unsigned long long v;

			if (sscanf(p, " N%u=%llu", &n, &v) == 2 && n < MAX_NODES)
				cur[n] += v;
		}
	}
	free(line);
	fclose(f);
done:
	for (int n = 0; n < MAX_NODES; n++)
		if (cur[n] > max[n])
			max[n] = cur[n];
}

static void print_nodes(FILE *f, const char *key, const unsigned long long *v)
{
	fprintf(f, ",\"%s\":[", key);
	for (int n = 0; n < MAX_NODES; n++)
		fprintf(f, "%s%llu", n ? "," : "", v[n]);
	fputc(']', f);
}

static void usage(FILE *f)
{
	fputs("usage: bench-exec [--cpu N] [--tag T] [--start-after PREFIX] [--sample-ms MS]\n"
	      "                  [--numa-stat FILE] [--json FILE] -- COMMAND [ARGS...]\n"
	      "Run COMMAND pinned to vCPU N (default 1) under the tier lab's start and\n"
	      "stop markers (start at once or at COMMAND's first output line beginning\n"
	      "with PREFIX); write its status, wall time, peak RSS, pages per node.\n",
	      f);
}

struct opts {
	const char *json, *prefix;
	int cpu;
	unsigned int tag;
	long sample_ms;
};

/* COMMAND's run: whether counting started, its output, the page maxima. */
struct run {
	const char *prefix;
	long sample_ms;
	bool started;
	double t_start;
	char buf[4096];
	size_t blen;
	unsigned long long before[MAX_NODES], during[MAX_NODES];
};

/* Fill o from the command line; returns -1 to go on, or the exit status. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "cpu", required_argument, NULL, 'c' },
		{ "tag", required_argument, NULL, 't' },
		{ "start-after", required_argument, NULL, 'a' },
		{ "sample-ms", required_argument, NULL, 's' },
		{ "numa-stat", required_argument, NULL, 'n' },
		{ "json", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	*o = (struct opts){ .cpu = 1, .tag = 1, .sample_ms = 1000 };
	while ((c = getopt_long(argc, argv, "+c:t:a:s:n:j:h", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'c': o->cpu = atoi(optarg); break;
		case 't': o->tag = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'a': o->prefix = optarg; break;
		case 's': o->sample_ms = atol(optarg); break;
		case 'n': numa_stat = optarg; break;
		case 'j': o->json = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc || o->cpu < 0 || o->cpu >= CPU_SETSIZE ||
	    o->sample_ms < 0) {
		usage(stderr);
		return 2;
	}
	return -1;
}

/* In the child: pin to cpu, send stdout into the pipe and exec cmd. */
static void __attribute__((noreturn))
run_child(int cpu, int fds[2], char **cmd)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		perror("bench-exec: sched_setaffinity");
		_exit(126);
	}
	dup2(fds[1], 1);
	close(fds[0]);
	close(fds[1]);
	execvp(cmd[0], cmd);
	fprintf(stderr, "bench-exec: %s: %s\n", cmd[0], strerror(errno));
	_exit(127);
}

/* Read COMMAND's output from fd and pass it on; returns true at its end. */
static bool read_output(struct run *run, int fd)
{
	ssize_t n = read(fd, run->buf + run->blen,
			 sizeof(run->buf) - 1 - run->blen);
	bool eof = false;
	char *s = run->buf, *nl;

	if (n <= 0) {
		eof = true;
		n = 0;
	}
	run->blen += (size_t)n;
	run->buf[run->blen] = '\0';
	/* Pass whole lines through; look for the prefix. */
	while ((nl = strchr(s, '\n')) || (eof && *s) ||
	       run->blen == sizeof(run->buf) - 1) {
		size_t len = nl ? (size_t)(nl - s + 1) : strlen(s);

		if (!run->started && run->prefix &&
		    !strncmp(s, run->prefix, strlen(run->prefix))) {
			lab_start();
			run->started = true;
			run->t_start = now_s();
		}
		fwrite(s, 1, len, stdout);
		s += len;
		if (!nl)
			break;
	}
	run->blen -= (size_t)(s - run->buf);
	memmove(run->buf, s, run->blen);
	fflush(stdout);
	return eof;
}

/* Pass COMMAND's output on until it ends, sampling its pages meanwhile. */
static void relay(struct run *run, int fd, pid_t pid)
{
	bool eof = false;
	double last = 0;

	while (!eof) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1,
			     run->sample_ms ? (int)run->sample_ms : 1000);
		double t = now_s();

		if (r < 0 && errno != EINTR) {
			perror("bench-exec: poll");
			break;
		}
		if (r > 0)
			eof = read_output(run, fd);
		if (run->sample_ms &&
		    (t - last) * 1000 >= (double)run->sample_ms) {
			sample(pid, run->started ? run->during : run->before);
			last = t;
		}
	}
}

/* Write the JSON record; returns COMMAND's exit code, or 1 on error. */
static int report(const struct opts *o, const struct run *run, int status,
		  const struct rusage *ru, double t0, double t1)
{
	int code = WIFEXITED(status) ? WEXITSTATUS(status) :
				       128 + WTERMSIG(status);
	FILE *f = o->json ? fopen(o->json, "w") : stderr;

	if (!f) {
		fprintf(stderr, "bench-exec: %s: %s\n", o->json,
			strerror(errno));
		return 1;
	}
	fprintf(f,
		"{\"status\":%d,\"wall_s\":%.3f,\"counted_s\":%.3f,\"started\":%s,"
		"\"maxrss_kb\":%ld,\"user_s\":%.3f,\"sys_s\":%.3f,\"cpu\":%d,"
		"\"tag\":%u,\"sample_ms\":%ld",
		code, t1 - t0, run->started ? t1 - run->t_start : 0.0,
		run->started ? "true" : "false", ru->ru_maxrss,
		tv_s(ru->ru_utime), tv_s(ru->ru_stime), o->cpu, o->tag,
		o->sample_ms);
	print_nodes(f, "pages_max_before", run->before);
	print_nodes(f, "pages_max_counted", run->during);
	fputs("}\n", f);
	if (o->json && fclose(f)) {
		fprintf(stderr, "bench-exec: %s: %s\n", o->json,
			strerror(errno));
		return 1;
	}
	return code;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct run run;
	int ret, status = 0, fds[2];
	struct rusage ru;
	double t0, t1;
	pid_t pid;

	ret = parse_args(argc, argv, &o);
	if (ret >= 0)
		return ret;
	run = (struct run){ .prefix = o.prefix, .sample_ms = o.sample_ms };
	if (pipe(fds)) {
		perror("bench-exec: pipe");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	lab_custom(o.tag); /* also maps the marker value page */
	t0 = now_s();
	if (!o.prefix) {
		lab_start();
		run.started = true;
		run.t_start = t0;
	}
	pid = fork();
	if (pid < 0) {
		perror("bench-exec: fork");
		return 1;
	}
	if (pid == 0)
		run_child(o.cpu, fds, argv + optind);
	close(fds[1]);
	relay(&run, fds[0], pid);
	close(fds[0]);
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("bench-exec: wait4");
			return 1;
		}
	}
	if (run.started)
		lab_stop();
	lab_custom(o.tag);
	t1 = now_s();
	return report(&o, &run, status, &ru, t0, t1);
}
