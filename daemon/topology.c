// SPDX-License-Identifier: GPL-2.0
/*
 * Memory-tier topology from sysfs.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sysfs.h"
#include "topology.h"

static int read_nodemask(const char *root, const char *path,
			 struct sd_nodemask *m)
{
	char buf[4096];
	const char *why;

	memset(m, 0, sizeof(*m));
	if (sysfs_read(root, path, buf, sizeof(buf)))
		return -1;
	if (!buf[0])
		return 0;	/* an empty list is valid in sysfs */
	return sd_nodelist_parse(buf, m, &why);
}

static int tier_cmp(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

int topo_detect(const char *root, struct topology *t, char *err, size_t errlen)
{
	char dpath[512];
	unsigned long tiers[64];
	unsigned int ntiers = 0;
	struct dirent *de;
	DIR *d;

	memset(t, 0, sizeof(*t));
	if (read_nodemask(root, "/sys/devices/system/node/has_memory", &t->memory) &&
	    read_nodemask(root, "/sys/devices/system/node/online", &t->memory)) {
		snprintf(err, errlen, "cannot read the NUMA nodes from %s/sys/devices/system/node",
			 root);
		return -1;
	}
	if (sd_nodemask_empty(&t->memory)) {
		snprintf(err, errlen, "no NUMA node with memory");
		return -1;
	}

	snprintf(dpath, sizeof(dpath), "%s/sys/devices/virtual/memory_tiering", root);
	d = opendir(dpath);
	while (d && (de = readdir(d))) {
		char *end;
		unsigned long id;

		if (strncmp(de->d_name, "memory_tier", 11) || !de->d_name[11])
			continue;
		errno = 0;
		id = strtoul(de->d_name + 11, &end, 10);
		if (*end || errno || ntiers == sizeof(tiers) / sizeof(tiers[0]))
			continue;
		tiers[ntiers++] = id;
	}
	if (d)
		closedir(d);

	if (ntiers >= 2) {
		bool first = true;

		qsort(tiers, ntiers, sizeof(tiers[0]), tier_cmp);
		for (unsigned int i = 0; i < ntiers; i++) {
			struct sd_nodemask m;
			char p[128];

			snprintf(p, sizeof(p),
				 "/sys/devices/virtual/memory_tiering/memory_tier%lu/nodelist",
				 tiers[i]);
			if (read_nodemask(root, p, &m) || sd_nodemask_empty(&m))
				continue;
			for (int w = 0; w < SD_NODEMASK_WORDS; w++) {
				if (first)
					t->fast.w[w] |= m.w[w];
				else
					t->slow.w[w] |= m.w[w];
			}
			first = false;
		}
		if (!sd_nodemask_empty(&t->fast) && !sd_nodemask_empty(&t->slow)) {
			t->source = "memory tiers";
			return 0;
		}
		memset(&t->fast, 0, sizeof(t->fast));
		memset(&t->slow, 0, sizeof(t->slow));
	}

	for (unsigned int n = 0; n < SD_MAX_NODES; n++) {
		char p[96], buf[64];

		if (!sd_node_isset(&t->memory, n))
			continue;
		snprintf(p, sizeof(p), "/sys/devices/system/node/node%u/cpulist", n);
		if (!sysfs_read(root, p, buf, sizeof(buf)) && buf[0])
			sd_node_set(&t->fast, n);
		else
			sd_node_set(&t->slow, n);
	}
	if (sd_nodemask_empty(&t->fast)) {
		/* No node reports CPUs (odd, but possible in containers). */
		t->fast = t->memory;
		memset(&t->slow, 0, sizeof(t->slow));
	}
	t->source = "CPU and CPU-less nodes";
	return 0;
}

int topo_resolve(const char *root, const struct sd_config *c,
		 struct topology *t, char *err, size_t errlen)
{
	struct topology found;
	int ret = topo_detect(root, &found, err, errlen);

	if (c->nodes_auto) {
		*t = found;
		return ret;
	}
	memset(t, 0, sizeof(*t));
	t->fast = c->fast;
	t->slow = c->slow;
	t->source = "configuration";
	if (ret)
		return 0;	/* cannot check; trust the configuration */
	t->memory = found.memory;
	for (unsigned int n = 0; n < SD_MAX_NODES; n++)
		if ((sd_node_isset(&c->fast, n) || sd_node_isset(&c->slow, n)) &&
		    !sd_node_isset(&found.memory, n)) {
			snprintf(err, errlen, "node %u is configured but has no memory", n);
			return -1;
		}
	return 0;
}

/* The largest entry of a "protection: (a, b, ...)" list. */
static uint64_t max_protection(const char *list)
{
	unsigned long long v, max = 0;
	int used;

	while (*list && *list != ')') {
		if (sscanf(list, " %llu%n", &v, &used) != 1)
			break;
		max = v > max ? v : max;
		list += used;
		while (*list == ',' || *list == ' ')
			list++;
	}
	return max;
}

/* Usable pages of a zone: free above its high watermark and reserve. */
static uint64_t zone_usable(uint64_t nfree, uint64_t high, uint64_t prot)
{
	if (high >= nfree || prot >= nfree - high)
		return 0;
	return nfree - high - prot;
}

bool topo_parse_zone_usable(const char *zoneinfo, unsigned int node, uint64_t *pages)
{
	const char *line = zoneinfo, *pr;
	bool in_zone = false, found = false;
	uint64_t sum = 0, nfree = 0, high = 0, prot = 0;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		unsigned int n;
		unsigned long long v;

		if (sscanf(line, "Node %u, zone", &n) == 1) {
			if (in_zone)
				sum += zone_usable(nfree, high, prot);
			in_zone = n == node;
			found |= in_zone;
			nfree = high = prot = 0;
		} else if (in_zone && sscanf(line, " pages free %llu", &v) == 1) {
			nfree = v;
		} else if (in_zone && sscanf(line, " high %llu", &v) == 1) {
			high = v;
		} else if (in_zone && (pr = strstr(line, "protection: (")) &&
			   (!nl || pr < nl)) {
			prot = max_protection(pr + strlen("protection: ("));
		}
		line = nl ? nl + 1 : NULL;
	}
	if (in_zone)
		sum += zone_usable(nfree, high, prot);
	if (found)
		*pages = sum;
	return found;
}

/* A whole (small) proc or sysfs file, NUL-terminated; NULL on failure. */
static char *read_text(const char *root, const char *path, size_t cap)
{
	char full[512], *buf;
	size_t len = 0;
	ssize_t n;
	int fd;

	if (snprintf(full, sizeof(full), "%s%s", root, path) >= (int)sizeof(full))
		return NULL;
	fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf = malloc(cap);
	while (buf && len + 1 < cap && (n = read(fd, buf + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	if (buf)
		buf[len] = '\0';
	return buf;
}

uint64_t topo_free_bytes(const char *root, const struct sd_nodemask *m)
{
	char *zi = read_text(root, "/proc/zoneinfo", 1 << 20);
	long psz = sysconf(_SC_PAGESIZE);
	uint64_t total = 0;

	if (!zi)
		return UINT64_MAX;
	for (unsigned int n = 0; n < SD_MAX_NODES; n++) {
		uint64_t pages;

		if (!sd_node_isset(m, n))
			continue;
		if (!topo_parse_zone_usable(zi, n, &pages)) {
			free(zi);
			return UINT64_MAX;
		}
		total += pages * (uint64_t)psz;
	}
	free(zi);
	return total;
}

uint64_t topo_total_bytes(const char *root, const struct sd_nodemask *m)
{
	uint64_t total = 0;

	for (unsigned int n = 0; n < SD_MAX_NODES; n++) {
		char path[96], *text, *at;
		unsigned long long kb;

		if (!sd_node_isset(m, n))
			continue;
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%u/meminfo", n);
		text = read_text(root, path, 1 << 16);
		at = text ? strstr(text, "MemTotal:") : NULL;
		if (!at || sscanf(at, "MemTotal: %llu kB", &kb) != 1) {
			free(text);
			return 0;
		}
		free(text);
		total += (uint64_t)kb * 1024;
	}
	return total;
}
