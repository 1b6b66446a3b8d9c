// SPDX-License-Identifier: GPL-2.0
/*
 * sentinel-top: a live view of what Sentinel does to training jobs.
 *
 * Loads sentinel_top.bpf.c (through its generated skeleton), which
 * forwards the module's tracepoints and the kernel's page migrations,
 * joined to the process whose pages moved, through a ring buffer.  Here
 * the events are attributed to sessions, steps and layers:
 *
 * - a session's step runs from its STEP_BEGIN mark to the next one (so
 *   what moves between a step's end and the next step's begin belongs to
 *   the step that ended);
 * - a migration belongs to the step and to the layer of the last mark
 *   of the session whose process owns the pages, at the time the
 *   migration finished;
 * - pages moving from a fast node to a slow one are demoted, from slow
 *   to fast promoted.  Fast nodes are those with CPUs unless
 *   --fast-nodes says otherwise.
 *
 * Without --json: a screen refreshed every --interval seconds, one block
 * per session with its last complete step per layer.  With --json: one
 * line per completed step.  See Documentation/tracing.rst.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "sentinel_top.h"
#include "sentinel_top.skel.h"

#define MAX_SESSIONS	64
#define MAX_LAYERS	256
#define MAX_KERNEL_ROWS	32

/* enum sentinel_mark_type and enum sentinel_direction of the uapi */
#define MARK_STEP_BEGIN		1
#define MARK_STEP_END		2
#define MARK_LAYER_BEGIN	3
#define MARK_LAYER_END		4

static const char *const dir_names[] = { "none", "forward", "backward", "optimizer" };
static const char *const reason_names[] = {
	"compaction", "memory_failure", "memory_hotplug", "syscall",
	"mempolicy_mbind", "numa_misplaced", "contig_range", "longterm_pin",
	"demotion", "damon",
};

struct opts {
	bool json;
	double duration;	/* seconds; 0: until interrupted */
	double interval;	/* seconds between screens */
	int pid;
	long steps;		/* stop after this many step records */
	bool fast_given;
	bool fast[ST_NODES];
	bool verbose;
};

struct layer_acc {
	uint32_t layer;
	uint16_t dir;
	uint64_t ns, runs;
	uint64_t stall_ns, waits;	/* the process waiting for its moves */
	uint64_t promoted, demoted;	/* pages */
	uint64_t scans, scan_pages;
};

struct step_acc {
	uint64_t step;
	bool started;
	uint64_t begin_ns, end_ns;
	uint64_t promoted, demoted, other, unknown;	/* pages */
	uint64_t moved[ST_NODES][ST_NODES];
	uint64_t migrated, failed;	/* pages, as mm_migrate_pages said */
	uint64_t scans, scan_pages, young, scan_ns;
	uint64_t marks, limits;
	uint64_t stall_ns, waits;
	struct layer_acc layers[MAX_LAYERS];
	unsigned int nr_layers;
};

struct session {
	bool used, live;
	uint64_t id;
	int tgid;
	char comm[ST_COMM_LEN];
	uint64_t objects, bytes, profiles, limits;
	bool in_layer;
	uint32_t layer;
	uint16_t dir;
	uint64_t layer_begin_ns;
	uint64_t steps_done;
	struct step_acc cur, last;
	bool have_last;
	uint64_t total_promoted, total_demoted;
};

struct kernel_row {
	int tgid;
	char comm[ST_COMM_LEN];
	uint32_t reason;
	uint64_t moved[ST_NODES][ST_NODES];
	uint64_t unknown;
};

static struct opts O = { .interval = 1.0, .steps = -1 };
static struct session sessions[MAX_SESSIONS];
static struct kernel_row krows[MAX_KERNEL_ROWS];
static unsigned int nr_krows;
static long page_size;
static long records;
static bool module_events;
static volatile sig_atomic_t stop;
static uint64_t start_ns;
static char tracefs[64];
static int nr_nodes;

static void die(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("sentinel-top: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static void warnx(const char *fmt, ...)
{
	va_list ap;

	fputs("sentinel-top: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int read_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	return 0;
}

/* A node list as sysfs writes it ("0-1,3") into @set. */
static int parse_nodelist(const char *s, bool *set)
{
	while (*s && *s != '\n') {
		char *end;
		long a = strtol(s, &end, 10), b = a;

		if (end == s || a < 0)
			return -1;
		if (*end == '-') {
			s = end + 1;
			b = strtol(s, &end, 10);
			if (end == s || b < a)
				return -1;
		}
		for (long i = a; i <= b; i++)
			if (i < ST_NODES)
				set[i] = true;
		s = end;
		if (*s == ',')
			s++;
		else if (*s && *s != '\n')
			return -1;
	}
	return 0;
}

static void usage(FILE *f)
{
	fputs("usage: sentinel-top [options]\n"
	      "  -j, --json            one JSON record per completed step, no screen\n"
	      "  -d, --duration SECS   stop after SECS seconds\n"
	      "  -p, --pid PID         only the sessions and migrations of process PID\n"
	      "  -n, --steps N         stop after N step records\n"
	      "  -i, --interval SECS   screen refresh interval (default 1)\n"
	      "  -f, --fast-nodes LIST nodes of the fast tier (default: nodes with CPUs)\n"
	      "  -v, --verbose         libbpf's messages\n"
	      "  -h, --help            this text\n", f);
}

static void parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "duration", required_argument, NULL, 'd' },
		{ "pid", required_argument, NULL, 'p' },
		{ "steps", required_argument, NULL, 'n' },
		{ "interval", required_argument, NULL, 'i' },
		{ "fast-nodes", required_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "jd:p:n:i:f:vh", lo, NULL)) != -1) {
		switch (c) {
		case 'j':
			O.json = true;
			break;
		case 'd':
			O.duration = strtod(optarg, &end);
			if (*end || O.duration <= 0)
				die(2, "bad --duration '%s'", optarg);
			break;
		case 'p':
			O.pid = (int)strtol(optarg, &end, 10);
			if (*end || O.pid <= 0)
				die(2, "bad --pid '%s'", optarg);
			break;
		case 'n':
			O.steps = strtol(optarg, &end, 10);
			if (*end || O.steps <= 0)
				die(2, "bad --steps '%s'", optarg);
			break;
		case 'i':
			O.interval = strtod(optarg, &end);
			if (*end || O.interval < 0.05)
				die(2, "bad --interval '%s'", optarg);
			break;
		case 'f':
			memset(O.fast, 0, sizeof(O.fast));
			if (parse_nodelist(optarg, O.fast))
				die(2, "bad --fast-nodes '%s'", optarg);
			O.fast_given = true;
			break;
		case 'v':
			O.verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind < argc)
		die(2, "unexpected argument '%s' (see --help)", argv[optind]);
}

/* ---- environment checks ---- */

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !O.verbose)
		return 0;
	if (!O.verbose && level == LIBBPF_INFO)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static void find_tracefs(void)
{
	static const char *const cand[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };

	for (size_t i = 0; i < 2; i++) {
		char p[128];

		snprintf(p, sizeof(p), "%s/events", cand[i]);
		if (exists(p)) {
			snprintf(tracefs, sizeof(tracefs), "%s", cand[i]);
			return;
		}
	}
	if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL) == 0 &&
	    exists("/sys/kernel/tracing/events")) {
		snprintf(tracefs, sizeof(tracefs), "/sys/kernel/tracing");
		return;
	}
	die(1, "tracefs is not mounted and cannot be (mount -t tracefs tracefs /sys/kernel/tracing)");
}

static bool have_event(const char *sys, const char *name)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/events/%s/%s/format", tracefs, sys, name);
	return exists(p);
}

/*
 * The module's records have no BTF to relocate against: check that the
 * fields sentinel_top.h declares sit where the format file says.
 */
struct field_check {
	const char *name;
	size_t off, size;
};

#define FC(type, f) { #f, offsetof(type, f), sizeof(((type *)0)->f) }

static const struct field_check fc_session[] = {
	FC(struct st_tp_session, session), FC(struct st_tp_session, registered),
	FC(struct st_tp_session, unregistered), FC(struct st_tp_session, scans),
	FC(struct st_tp_session, tgid), FC(struct st_tp_session, comm), { NULL, 0, 0 },
};
static const struct field_check fc_objects[] = {
	FC(struct st_tp_objects, session), FC(struct st_tp_objects, bytes),
	FC(struct st_tp_objects, live_objects), FC(struct st_tp_objects, live_bytes),
	FC(struct st_tp_objects, tgid), FC(struct st_tp_objects, count), { NULL, 0, 0 },
};
static const struct field_check fc_mark[] = {
	FC(struct st_tp_mark, session), FC(struct st_tp_mark, step), FC(struct st_tp_mark, ns),
	FC(struct st_tp_mark, tgid), FC(struct st_tp_mark, layer), FC(struct st_tp_mark, type),
	FC(struct st_tp_mark, direction), { NULL, 0, 0 },
};
static const struct field_check fc_scan_end[] = {
	FC(struct st_tp_scan_end, session), FC(struct st_tp_scan_end, pages),
	FC(struct st_tp_scan_end, young), FC(struct st_tp_scan_end, ns),
	FC(struct st_tp_scan_end, tgid), FC(struct st_tp_scan_end, kind), { NULL, 0, 0 },
};
static const struct field_check fc_profile[] = {
	FC(struct st_tp_profile, session), FC(struct st_tp_profile, generation),
	FC(struct st_tp_profile, first_step), FC(struct st_tp_profile, tgid),
	FC(struct st_tp_profile, layers), FC(struct st_tp_profile, entries), { NULL, 0, 0 },
};
static const struct field_check fc_wait[] = {
	FC(struct st_tp_wait, session), FC(struct st_tp_wait, seq), FC(struct st_tp_wait, ns),
	FC(struct st_tp_wait, tgid), FC(struct st_tp_wait, ret), { NULL, 0, 0 },
};
static const struct field_check fc_limit[] = {
	FC(struct st_tp_limit, session), FC(struct st_tp_limit, value),
	FC(struct st_tp_limit, wanted), FC(struct st_tp_limit, tgid),
	FC(struct st_tp_limit, limit), { NULL, 0, 0 },
};

static int check_layout(const char *sys, const char *name, const struct field_check *fc)
{
	char path[256], line[512];
	FILE *f;
	int bad = 0;

	snprintf(path, sizeof(path), "%s/events/%s/%s/format", tracefs, sys, name);
	for (; fc->name; fc++) {
		bool found = false;

		f = fopen(path, "r");
		if (!f)
			return -1;
		while (fgets(line, sizeof(line), f)) {
			char *p = strstr(line, "field:"), *semi, *q;
			unsigned long off, size;

			if (!p || !(semi = strchr(p, ';')))
				continue;
			*semi = '\0';
			/* the name is the last word, before any [N] */
			q = strchr(p, '[');
			if (q)
				*q = '\0';
			q = p + strlen(p);
			while (q > p && (isalnum((unsigned char)q[-1]) || q[-1] == '_'))
				q--;
			if (strcmp(q, fc->name))
				continue;
			p = strstr(semi + 1, "offset:");
			if (!p || sscanf(p, "offset:%lu;\tsize:%lu;", &off, &size) != 2)
				continue;
			found = true;
			if (off != fc->off || size != fc->size) {
				warnx("%s:%s field %s at offset %lu size %lu, expected %zu size %zu",
				      sys, name, fc->name, off, size, fc->off, fc->size);
				bad = 1;
			}
		}
		fclose(f);
		if (!found) {
			warnx("%s:%s has no field %s", sys, name, fc->name);
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

struct mem_block {
	unsigned long long blk;
	int nid;
};

static int block_cmp(const void *a, const void *b)
{
	const struct mem_block *x = a, *y = b;

	return x->blk < y->blk ? -1 : x->blk > y->blk;
}

/* Page frame ranges per node, from the memory blocks (else zoneinfo). */
static unsigned int node_ranges(struct st_pfn_range *r)
{
	unsigned long long bs, ppb;
	struct mem_block *blocks = NULL;
	size_t nb = 0, cap = 0;
	char buf[64], path[300];
	unsigned int n = 0;

	if (!read_file("/sys/devices/system/memory/block_size_bytes", buf, sizeof(buf)) &&
	    (bs = strtoull(buf, NULL, 16)) >= (unsigned long long)page_size) {
		ppb = bs / (unsigned long long)page_size;
		for (int nid = 0; nid < 1024; nid++) {
			struct dirent *de;
			DIR *d;

			snprintf(path, sizeof(path), "/sys/devices/system/node/node%d", nid);
			d = opendir(path);
			if (!d)
				continue;
			while ((de = readdir(d))) {
				unsigned long long blk;
				char *end;

				if (strncmp(de->d_name, "memory", 6) ||
				    !isdigit((unsigned char)de->d_name[6]))
					continue;
				blk = strtoull(de->d_name + 6, &end, 10);
				if (*end)
					continue;
				if (nb == cap) {
					struct mem_block *nbk;

					cap = cap ? cap * 2 : 256;
					nbk = realloc(blocks, cap * sizeof(*blocks));
					if (!nbk)
						break;
					blocks = nbk;
				}
				blocks[nb++] = (struct mem_block){ blk, nid };
			}
			closedir(d);
		}
		qsort(blocks, nb, sizeof(*blocks), block_cmp);
		for (size_t i = 0; i < nb; i++) {
			unsigned long long s = blocks[i].blk * ppb;

			if (n && r[n - 1].nid == (uint32_t)blocks[i].nid && r[n - 1].end == s) {
				r[n - 1].end = s + ppb;
				continue;
			}
			if (n == ST_RANGES) {
				warnx("more than %d page frame ranges: the rest are unknown", ST_RANGES);
				break;
			}
			r[n++] = (struct st_pfn_range){ .start = s, .end = s + ppb,
							.nid = (uint32_t)blocks[i].nid };
		}
		free(blocks);
		if (n)
			return n;
	}
	{
		FILE *f = fopen("/proc/zoneinfo", "r");
		char line[256];
		int nid = -1;
		unsigned long long spanned = 0;

		while (f && fgets(line, sizeof(line), f)) {
			unsigned long long v;

			if (sscanf(line, "Node %d,", &nid) == 1)
				spanned = 0;
			else if (sscanf(line, " spanned %llu", &v) == 1)
				spanned = v;
			else if (sscanf(line, " start_pfn: %llu", &v) == 1 && spanned &&
				 nid >= 0 && n < ST_RANGES)
				r[n++] = (struct st_pfn_range){ .start = v, .end = v + spanned,
								.nid = (uint32_t)nid };
		}
		if (f)
			fclose(f);
	}
	return n;
}

static void node_tiers(void)
{
	char buf[256];
	bool mem[ST_NODES] = { false };

	if (!read_file("/sys/devices/system/node/has_memory", buf, sizeof(buf)))
		parse_nodelist(buf, mem);
	for (int i = 0; i < ST_NODES; i++)
		if (mem[i])
			nr_nodes = i + 1;
	if (O.fast_given)
		return;
	if (read_file("/sys/devices/system/node/has_cpu", buf, sizeof(buf)) ||
	    parse_nodelist(buf, O.fast))
		O.fast[0] = true;
}

/* ---- attribution ---- */

static struct session *session_find(uint64_t id, int tgid, bool create)
{
	struct session *free_slot = NULL, *oldest_dead = NULL;

	for (int i = 0; i < MAX_SESSIONS; i++) {
		struct session *s = &sessions[i];

		if (s->used && s->id == id)
			return s;
		if (!s->used && !free_slot)
			free_slot = s;
		if (s->used && !s->live && (!oldest_dead || s->id < oldest_dead->id))
			oldest_dead = s;
	}
	if (!create)
		return NULL;
	if (!free_slot)
		free_slot = oldest_dead;
	if (!free_slot)
		return NULL;
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->used = true;
	free_slot->live = true;
	free_slot->id = id;
	free_slot->tgid = tgid;
	return free_slot;
}

static struct session *session_of_tgid(int tgid)
{
	struct session *best = NULL;

	for (int i = 0; i < MAX_SESSIONS; i++) {
		struct session *s = &sessions[i];

		if (s->used && s->live && s->tgid == tgid && (!best || s->id > best->id))
			best = s;
	}
	return best;
}

static struct layer_acc *layer_of(struct step_acc *a, uint32_t layer, uint16_t dir)
{
	for (unsigned int i = 0; i < a->nr_layers; i++)
		if (a->layers[i].layer == layer && a->layers[i].dir == dir)
			return &a->layers[i];
	if (a->nr_layers == MAX_LAYERS)
		return NULL;
	a->layers[a->nr_layers] = (struct layer_acc){ .layer = layer, .dir = dir };
	return &a->layers[a->nr_layers++];
}

static struct layer_acc *cur_layer(struct session *s)
{
	if (!s->cur.started || !s->in_layer)
		return NULL;
	return layer_of(&s->cur, s->layer, s->dir);
}

static void json_step(const struct session *s, const struct step_acc *a)
{
	uint64_t ps = (uint64_t)page_size;
	bool first = true;

	printf("{\"session\":%" PRIu64 ",\"pid\":%d,\"comm\":\"", s->id, s->tgid);
	for (const char *c = s->comm; *c; c++)
		if (*c >= 0x20 && *c != '"' && *c != '\\')
			putchar(*c);
	printf("\",\"step\":%" PRIu64 ",\"begin_ns\":%" PRIu64 ",\"duration_ns\":%" PRIu64,
	       a->step, a->begin_ns, a->end_ns > a->begin_ns ? a->end_ns - a->begin_ns : 0);
	printf(",\"promoted_bytes\":%" PRIu64 ",\"demoted_bytes\":%" PRIu64
	       ",\"promoted_pages\":%" PRIu64 ",\"demoted_pages\":%" PRIu64
	       ",\"other_pages\":%" PRIu64 ",\"unknown_pages\":%" PRIu64
	       ",\"migrated_pages\":%" PRIu64 ",\"failed_pages\":%" PRIu64,
	       a->promoted * ps, a->demoted * ps, a->promoted, a->demoted, a->other,
	       a->unknown, a->migrated, a->failed);
	printf(",\"moves\":[");
	for (int i = 0; i < ST_NODES; i++)
		for (int j = 0; j < ST_NODES; j++)
			if (a->moved[i][j]) {
				printf("%s{\"from\":%d,\"to\":%d,\"pages\":%" PRIu64 "}",
				       first ? "" : ",", i, j, a->moved[i][j]);
				first = false;
			}
	printf("],\"scans\":%" PRIu64 ",\"scan_pages\":%" PRIu64 ",\"young_pages\":%" PRIu64
	       ",\"scan_ns\":%" PRIu64 ",\"marks\":%" PRIu64 ",\"limits\":%" PRIu64
	       ",\"waits\":%" PRIu64 ",\"stall_ns\":%" PRIu64 ",\"layers\":[",
	       a->scans, a->scan_pages, a->young, a->scan_ns, a->marks, a->limits, a->waits,
	       a->stall_ns);
	for (unsigned int i = 0; i < a->nr_layers; i++) {
		const struct layer_acc *l = &a->layers[i];

		printf("%s{\"layer\":%u,\"direction\":\"%s\",\"ns\":%" PRIu64
		       ",\"promoted_bytes\":%" PRIu64 ",\"demoted_bytes\":%" PRIu64
		       ",\"scans\":%" PRIu64 ",\"scan_pages\":%" PRIu64
		       ",\"waits\":%" PRIu64 ",\"stall_ns\":%" PRIu64 "}",
		       i ? "," : "", l->layer, l->dir < 4 ? dir_names[l->dir] : "?", l->ns,
		       l->promoted * ps, l->demoted * ps, l->scans, l->scan_pages, l->waits,
		       l->stall_ns);
	}
	printf("]}\n");
	fflush(stdout);
}

/* The current step of @s is complete. */
static void step_done(struct session *s)
{
	if (!s->cur.started)
		return;
	if (O.json && (O.steps <= 0 || records < O.steps)) {
		json_step(s, &s->cur);
		records++;
		if (O.steps > 0 && records >= O.steps)
			stop = 1;
	}
	s->last = s->cur;
	s->have_last = true;
	s->steps_done++;
	memset(&s->cur, 0, sizeof(s->cur));
}

static void on_mark(struct session *s, const struct st_event *e)
{
	struct layer_acc *l;

	switch (e->c) {
	case MARK_STEP_BEGIN:
		step_done(s);
		s->cur.started = true;
		s->cur.step = e->a;
		s->cur.begin_ns = e->ts;
		s->in_layer = false;
		break;
	case MARK_STEP_END:
		s->cur.end_ns = e->ts;
		break;
	case MARK_LAYER_BEGIN:
		s->in_layer = true;
		s->layer = (uint32_t)e->b;
		s->dir = (uint16_t)e->d;
		s->layer_begin_ns = e->ts;
		break;
	case MARK_LAYER_END:
		if (s->in_layer && s->layer == e->b && s->dir == e->d &&
		    (l = cur_layer(s))) {
			l->ns += e->ts - s->layer_begin_ns;
			l->runs++;
		}
		s->in_layer = true;	/* what follows until the next mark */
		s->layer = (uint32_t)e->b;
		s->dir = (uint16_t)e->d;
		break;
	}
	s->cur.marks++;
}

static void on_migrate(const struct st_event *e)
{
	struct session *s = session_of_tgid(e->tgid);
	struct kernel_row *k = NULL;
	struct layer_acc *l = NULL;

	if (s && s->cur.started) {
		l = cur_layer(s);
		s->cur.migrated += e->a;
		s->cur.failed += e->b;
	} else {
		for (unsigned int i = 0; i < nr_krows; i++)
			if (krows[i].tgid == e->tgid && krows[i].reason == e->c) {
				k = &krows[i];
				break;
			}
		if (!k && nr_krows < MAX_KERNEL_ROWS) {
			k = &krows[nr_krows++];
			memset(k, 0, sizeof(*k));
			k->tgid = e->tgid;
			k->reason = (uint32_t)e->c;
			memcpy(k->comm, e->comm, ST_COMM_LEN);
			k->comm[ST_COMM_LEN - 1] = '\0';
		}
	}
	for (int i = 0; i < ST_NODES; i++) {
		for (int j = 0; j < ST_NODES; j++) {
			uint64_t n = e->moved[i][j];

			if (!n)
				continue;
			if (k) {
				k->moved[i][j] += n;
				continue;
			}
			if (!s || !s->cur.started)
				continue;
			s->cur.moved[i][j] += n;
			if (!O.fast[i] && O.fast[j]) {
				s->cur.promoted += n;
				s->total_promoted += n;
				if (l)
					l->promoted += n;
			} else if (O.fast[i] && !O.fast[j]) {
				s->cur.demoted += n;
				s->total_demoted += n;
				if (l)
					l->demoted += n;
			} else {
				s->cur.other += n;
			}
		}
		if (e->unknown_src[i]) {
			if (k)
				k->unknown += e->unknown_src[i];
			else if (s && s->cur.started)
				s->cur.unknown += e->unknown_src[i];
		}
	}
}

static int handle_event(void *ctx, void *data, size_t len)
{
	const struct st_event *e = data;
	struct session *s;
	struct layer_acc *l;

	(void)ctx;
	if (len < sizeof(*e))
		return 0;
	if (e->type == ST_EV_MIGRATE) {
		on_migrate(e);
		return 0;
	}
	s = session_find(e->session, e->tgid, e->type != ST_EV_SESSION_CLOSE);
	if (!s)
		return 0;
	switch (e->type) {
	case ST_EV_SESSION_OPEN:
		memcpy(s->comm, e->comm, ST_COMM_LEN);
		s->comm[ST_COMM_LEN - 1] = '\0';
		break;
	case ST_EV_SESSION_CLOSE:
		if (!s->comm[0]) {
			memcpy(s->comm, e->comm, ST_COMM_LEN);
			s->comm[ST_COMM_LEN - 1] = '\0';
		}
		step_done(s);
		s->live = false;
		break;
	case ST_EV_OBJECTS_ADDED:
		s->objects = e->c;
		s->bytes = e->d;
		break;
	case ST_EV_OBJECTS_REMOVED:
		s->objects = e->c;
		s->bytes = e->d;
		break;
	case ST_EV_MARK:
		on_mark(s, e);
		break;
	case ST_EV_SCAN_END:
		s->cur.scans++;
		s->cur.scan_pages += e->a;
		s->cur.young += e->b;
		s->cur.scan_ns += e->c;
		l = cur_layer(s);
		if (l) {
			l->scans++;
			l->scan_pages += e->a;
		}
		break;
	case ST_EV_PROFILE:
		s->profiles++;
		break;
	case ST_EV_LIMIT:
		s->limits++;
		s->cur.limits++;
		break;
	case ST_EV_WAIT:
		s->cur.waits++;
		s->cur.stall_ns += e->a;
		l = cur_layer(s);
		if (l) {
			l->waits++;
			l->stall_ns += e->a;
		}
		break;
	}
	return 0;
}

/* ---- the screen ---- */

static const char *human(uint64_t bytes, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u)
		snprintf(buf, len, "%.1f %s", v, unit[u]);
	else
		snprintf(buf, len, "%" PRIu64 " B", bytes);
	return buf;
}

static void nodes_str(char *buf, size_t len, bool fast)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int i = 0; i < (nr_nodes ? nr_nodes : 1) && o + 4 < len; i++)
		if (O.fast[i] == fast)
			o += (size_t)snprintf(buf + o, len - o, "%s%d", o ? "," : "", i);
	if (!o)
		snprintf(buf, len, "-");
}

static void screen(void)
{
	char fastn[64], slown[64], b1[32], b2[32], b3[32];
	struct utsname u;
	bool any = false;

	uname(&u);
	nodes_str(fastn, sizeof(fastn), true);
	nodes_str(slown, sizeof(slown), false);
	printf("\033[H\033[2J");
	printf("sentinel-top  %s  %.0fs  fast nodes %s  slow nodes %s  module %s%s\n\n",
	       u.release, (double)(mono_ns() - start_ns) / 1e9, fastn, slown,
	       module_events ? "loaded" : "NOT LOADED (kernel migrations only)",
	       O.pid ? "  (one pid)" : "");
	printf("%7s %7s %-15s %6s %8s %10s %10s %10s %6s %8s %7s %8s\n", "SESSION", "PID",
	       "COMM", "STEP", "OBJECTS", "BYTES", "PROMOTED", "DEMOTED", "SCANS", "SCANNED",
	       "YOUNG", "SCAN-MS");
	for (int i = 0; i < MAX_SESSIONS; i++) {
		const struct session *s = &sessions[i];
		const struct step_acc *a;

		if (!s->used || (!s->live && !s->have_last))
			continue;
		any = true;
		a = s->have_last ? &s->last : &s->cur;
		printf("%7" PRIu64 " %7d %-15s %6" PRIu64 " %8" PRIu64 " %10s %10s %10s %6" PRIu64
		       " %8" PRIu64 " %7" PRIu64 " %8.2f%s\n",
		       s->id, s->tgid, s->comm[0] ? s->comm : "?",
		       s->cur.started ? s->cur.step : a->step, s->objects,
		       human(s->bytes, b1, sizeof(b1)),
		       human(a->promoted * (uint64_t)page_size, b2, sizeof(b2)),
		       human(a->demoted * (uint64_t)page_size, b3, sizeof(b3)), a->scans,
		       a->scan_pages, a->young, (double)a->scan_ns / 1e6,
		       s->live ? "" : "  (closed)");
		printf("        step %" PRIu64 "%s: %.1f ms, stalled %.1f ms in %" PRIu64
		       " waits, %" PRIu64 " pages migrated (%" PRIu64 " failed), profiles %"
		       PRIu64 ", limits hit %" PRIu64,
		       a->step, s->have_last ? "" : " (running)",
		       a->end_ns > a->begin_ns ? (double)(a->end_ns - a->begin_ns) / 1e6 : 0.0,
		       (double)a->stall_ns / 1e6, a->waits, a->migrated, a->failed, s->profiles,
		       s->limits);
		for (int x = 0; x < ST_NODES; x++)
			for (int y = 0; y < ST_NODES; y++)
				if (a->moved[x][y])
					printf(", %d->%d %" PRIu64, x, y, a->moved[x][y]);
		printf("\n        %5s %-9s %9s %9s %10s %10s %6s %8s\n", "LAYER", "DIR",
		       "TIME-MS", "STALL-MS", "PROMOTED", "DEMOTED", "SCANS", "SCANNED");
		for (unsigned int j = 0; j < a->nr_layers; j++) {
			const struct layer_acc *l = &a->layers[j];

			printf("        %5u %-9s %9.2f %9.2f %10s %10s %6" PRIu64 " %8" PRIu64 "\n",
			       l->layer, l->dir < 4 ? dir_names[l->dir] : "?",
			       l->runs ? (double)l->ns / 1e6 / (double)l->runs : 0.0,
			       (double)l->stall_ns / 1e6,
			       human(l->promoted * (uint64_t)page_size, b1, sizeof(b1)),
			       human(l->demoted * (uint64_t)page_size, b2, sizeof(b2)), l->scans,
			       l->scan_pages);
		}
	}
	if (!any)
		printf("%s\n", module_events ? "(no session)" : "(sessions unknown: the module is not loaded)");
	printf("\nmigrations outside sessions, since start\n%7s %-15s %-15s %-9s %10s\n", "PID",
	       "COMM", "REASON", "FROM->TO", "PAGES");
	for (unsigned int i = 0; i < nr_krows; i++) {
		const struct kernel_row *k = &krows[i];

		for (int x = 0; x < ST_NODES; x++)
			for (int y = 0; y < ST_NODES; y++)
				if (k->moved[x][y]) {
					char ft[16];

					snprintf(ft, sizeof(ft), "%d->%d", x, y);
					printf("%7d %-15s %-15s %-9s %10" PRIu64 "\n", k->tgid, k->comm,
					       k->reason < 10 ? reason_names[k->reason] : "?", ft,
					       k->moved[x][y]);
				}
	}
	fflush(stdout);
}

/* ---- setup ---- */

static const struct {
	const char *name;
	const struct field_check *fc;
} module_tps[] = {
	{ "sentinel_session_open", fc_session },
	{ "sentinel_session_close", fc_session },
	{ "sentinel_objects_added", fc_objects },
	{ "sentinel_objects_removed", fc_objects },
	{ "sentinel_mark", fc_mark },
	{ "sentinel_scan_end", fc_scan_end },
	{ "sentinel_profile_ready", fc_profile },
	{ "sentinel_limit", fc_limit },
	{ "sentinel_wait", fc_wait },
};

static void module_progs(struct sentinel_top *skel, bool on)
{
	struct bpf_program *p[] = {
		skel->progs.on_session_open, skel->progs.on_session_close,
		skel->progs.on_objects_added, skel->progs.on_objects_removed,
		skel->progs.on_mark, skel->progs.on_scan_end, skel->progs.on_profile_ready,
		skel->progs.on_limit, skel->progs.on_wait,
	};

	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		bpf_program__set_autoload(p[i], on);
}

int main(int argc, char **argv)
{
	struct st_pfn_range r[ST_RANGES];
	struct sentinel_top *skel;
	struct ring_buffer *rb;
	uint64_t next_screen, deadline = 0;
	unsigned int nr;
	int err;

	parse_args(argc, argv);
	page_size = sysconf(_SC_PAGESIZE);
	if (geteuid() != 0)
		die(1, "must run as root (it loads BPF programs and reads tracefs)");
	if (!exists("/sys/kernel/btf/vmlinux"))
		die(1, "this kernel has no BTF (/sys/kernel/btf/vmlinux, CONFIG_DEBUG_INFO_BTF): "
		       "the BPF side reads kernel tracepoint records with CO-RE and needs it");
	libbpf_set_print(libbpf_print);
	if (libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_TRACEPOINT, NULL) <= 0)
		die(1, "BPF is unavailable here (no BPF tracepoint programs: bpf(2) %s)",
		    errno == ENOSYS ? "not implemented" : "refused");
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) <= 0)
		die(1, "BPF is unavailable here (no ring buffer maps; Linux 5.8 or later needed)");
	find_tracefs();
	if (!have_event("migrate", "mm_migrate_pages") ||
	    !have_event("migrate", "mm_migrate_pages_start") ||
	    !have_event("migrate", "set_migration_pte") ||
	    !have_event("migrate", "remove_migration_pte"))
		die(1, "the kernel lacks the migrate tracepoints (CONFIG_MIGRATION)");
	module_events = exists("/sys/module/sentinel") && have_event("sentinel", "sentinel_mark");
	if (!module_events)
		warnx("sentinel.ko is not loaded: showing the kernel's migrations only");
	for (size_t i = 0; module_events && i < sizeof(module_tps) / sizeof(module_tps[0]); i++)
		if (check_layout("sentinel", module_tps[i].name, module_tps[i].fc))
			die(1, "the module's %s record is not the layout this sentinel-top "
			       "was built for (see Documentation/tracing.rst)", module_tps[i].name);
	node_tiers();
	nr = node_ranges(r);
	if (!nr)
		die(1, "cannot tell which page frames belong to which node (no memory blocks in sysfs, no /proc/zoneinfo)");

	skel = sentinel_top__open();
	if (!skel)
		die(1, "cannot open the BPF object: %s", strerror(errno));
	skel->rodata->filter_tgid = O.pid;
	skel->rodata->nr_ranges = nr;
	module_progs(skel, module_events);
	if (!have_event("thp", "set_migration_pmd") || !have_event("thp", "remove_migration_pmd")) {
		bpf_program__set_autoload(skel->progs.on_set_pmd, false);
		bpf_program__set_autoload(skel->progs.on_remove_pmd, false);
	}
	if (!have_event("syscalls", "sys_enter_move_pages")) {
		warnx("no syscall tracepoints: migrations are attributed to the migrating process");
		bpf_program__set_autoload(skel->progs.on_enter_move_pages, false);
		bpf_program__set_autoload(skel->progs.on_exit_move_pages, false);
		bpf_program__set_autoload(skel->progs.on_enter_migrate_pages, false);
		bpf_program__set_autoload(skel->progs.on_exit_migrate_pages, false);
	}
	err = sentinel_top__load(skel);
	if (err) {
		if (err == -EPERM || err == -EACCES)
			die(1, "the kernel refused the BPF programs (%s): root with CAP_BPF and "
			       "CAP_PERFMON (or CAP_SYS_ADMIN) is needed", strerror(-err));
		if (err == -ESRCH || err == -ENOENT)
			die(1, "cannot load: the kernel's BTF lacks a type this tool needs (%s); "
			       "run with -v for libbpf's messages", strerror(-err));
		die(1, "cannot load the BPF programs: %s (run with -v)", strerror(-err));
	}
	for (unsigned int i = 0; i < nr; i++) {
		err = bpf_map__update_elem(skel->maps.ranges, &i, sizeof(i), &r[i], sizeof(r[i]),
					   BPF_ANY);
		if (err)
			die(1, "cannot fill the node map: %s", strerror(-err));
	}
	err = sentinel_top__attach(skel);
	if (err)
		die(1, "cannot attach to the tracepoints: %s (run with -v)", strerror(-err));
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), handle_event, NULL, NULL);
	if (!rb)
		die(1, "cannot open the ring buffer: %s", strerror(errno));

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, on_signal);
	start_ns = mono_ns();
	if (O.duration > 0)
		deadline = start_ns + (uint64_t)(O.duration * 1e9);
	next_screen = start_ns;
	fprintf(stderr, "sentinel-top: attached (%s, %u page frame ranges)\n",
		module_events ? "module and kernel tracepoints" : "kernel tracepoints only", nr);
	while (!stop) {
		uint64_t now;

		err = ring_buffer__poll(rb, 100);
		if (err < 0 && err != -EINTR) {
			warnx("ring buffer: %s", strerror(-err));
			break;
		}
		now = mono_ns();
		if (deadline && now >= deadline)
			break;
		if (!O.json && now >= next_screen) {
			screen();
			next_screen = now + (uint64_t)(O.interval * 1e9);
		}
	}
	/* what is still in the buffer */
	ring_buffer__consume(rb);
	if (!O.json)
		screen();
	if (skel->bss->lost)
		warnx("%llu events lost (ring buffer full)", (unsigned long long)skel->bss->lost);
	ring_buffer__free(rb);
	sentinel_top__destroy(skel);
	return 0;
}
