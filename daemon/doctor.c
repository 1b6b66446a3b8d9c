// SPDX-License-Identifier: GPL-2.0
/*
 * sentinelctl doctor: parsers and evaluation (pure), then the reading of
 * /sys, /proc and /dev under a root prefix, and the output.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/capability.h>

#include <linux/sentinel.h>

#include "doctor.h"
#include "jsonr.h"
#include "sysfs.h"

_Static_assert(DOCTOR_CAP_NET_ADMIN == CAP_NET_ADMIN, "CAP_NET_ADMIN");
_Static_assert(DOCTOR_CAP_SYS_PTRACE == CAP_SYS_PTRACE, "CAP_SYS_PTRACE");
_Static_assert(DOCTOR_CAP_SYS_NICE == CAP_SYS_NICE, "CAP_SYS_NICE");

#define SD_CONF "/etc/sentinel/sentineld.conf"
#define SECUREBOOT_VAR "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-e98c0330b2e6"

static const char *const cap_names[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
	"CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
	"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
	"CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
	"CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};

#define NR_CAP_NAMES (sizeof(cap_names) / sizeof(cap_names[0]))

/* ---- results ---- */

static __attribute__((format(printf, 4, 5)))
void set(struct doctor_result *r, enum doctor_level l, const char *name, const char *fmt, ...)
{
	va_list ap;

	r->level = l;
	r->name = name;
	r->fix[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(r->found, sizeof(r->found), fmt, ap);
	va_end(ap);
}

static __attribute__((format(printf, 2, 3)))
void fix(struct doctor_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->fix, sizeof(r->fix), fmt, ap);
	va_end(ap);
}

static void append(struct doctor_result *r, const char *text)
{
	strncat(r->found, text, sizeof(r->found) - strlen(r->found) - 1);
}

const char *doctor_level_name(enum doctor_level l)
{
	return l == DOCTOR_OK ? "ok" : l == DOCTOR_WARN ? "warn" : "FAIL";
}

int doctor_exit_status(const struct doctor_report *rep)
{
	for (unsigned int i = 0; i < rep->n; i++)
		if (rep->r[i].level == DOCTOR_FAIL)
			return 1;
	return 0;
}

/* ---- parsers ---- */

int doctor_bracketed(const char *line, char *out, size_t len)
{
	const char *a = line ? strchr(line, '[') : NULL;
	const char *b = a ? strchr(a, ']') : NULL;

	if (!b || b == a + 1 || (size_t)(b - a - 1) >= len)
		return -1;
	memcpy(out, a + 1, (size_t)(b - a - 1));
	out[b - a - 1] = '\0';
	return 0;
}

static const char *parse_uint(const char *s, unsigned int *v)
{
	unsigned long x = 0;

	if (*s < '0' || *s > '9')
		return NULL;
	while (*s >= '0' && *s <= '9') {
		x = x * 10 + (unsigned long)(*s++ - '0');
		if (x > 1000000)
			return NULL;
	}
	*v = (unsigned int)x;
	return s;
}

int doctor_parse_version(const char *s, unsigned int *major, unsigned int *minor)
{
	s = s ? parse_uint(s, major) : NULL;
	if (!s || *s != '.')
		return -1;
	return parse_uint(s + 1, minor) ? 0 : -1;
}

int doctor_parse_capeff(const char *status, uint64_t *mask)
{
	const char *p = status;
	char *end;

	while (p && strncmp(p, "CapEff:", 7)) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!p)
		return -1;
	p += 7;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F')))
		return -1;
	errno = 0;
	*mask = strtoull(p, &end, 16);
	return errno || (*end && *end != '\n') ? -1 : 0;
}

static int cap_index(const char *name, size_t len)
{
	for (size_t i = 0; i < NR_CAP_NAMES; i++)
		if (strlen(cap_names[i]) == len && !strncmp(cap_names[i], name, len))
			return (int)i;
	return -1;
}

int doctor_parse_capnames(const char *list, uint64_t *mask)
{
	const char *p = list;

	*mask = 0;
	while (*p) {
		size_t len = strcspn(p, " \t\n");
		int i;

		if (len) {
			i = cap_index(p, len);
			if (i < 0)
				return -1;
			*mask |= 1ULL << i;
		}
		p += len;
		p += strspn(p, " \t\n");
	}
	return 0;
}

char *doctor_capnames(uint64_t mask, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < 64 && off < len; i++) {
		int n;

		if (!(mask >> i & 1))
			continue;
		if (i < NR_CAP_NAMES)
			n = snprintf(buf + off, len - off, "%s%s", off ? " " : "", cap_names[i]);
		else
			n = snprintf(buf + off, len - off, "%scap_%u", off ? " " : "", i);
		if (n < 0)
			break;
		off += (size_t)n;
	}
	return buf;
}

int doctor_parse_secureboot(const unsigned char *buf, size_t len)
{
	if (!buf || len < 5)
		return -1;
	return buf[4] == 1;
}

/* Where the value of "key": starts in @json, or NULL. */
/* A kernel boolean (kstrtobool): 1, 0, or -1 when it does not read as one. */
static int kernel_bool(const char *v)
{
	switch (v[0]) {
	case 'y': case 'Y': case 't': case 'T': case '1':
		return 1;
	case 'n': case 'N': case 'f': case 'F': case '0':
		return 0;
	case 'o': case 'O':
		return v[1] == 'n' || v[1] == 'N' ? 1 : v[1] == 'f' || v[1] == 'F' ? 0 : -1;
	default:
		return -1;
	}
}

int doctor_parse_init_on_alloc(const char *cmdline, int config_default)
{
	static const char key[] = "init_on_alloc=";
	int state = config_default < 0 ? -1 : !!config_default;
	const char *p = cmdline;

	while (p && *p) {
		size_t n;

		p += strspn(p, " \t\n");
		n = strcspn(p, " \t\n");
		if (n > sizeof(key) - 1 && !strncmp(p, key, sizeof(key) - 1)) {
			int v = kernel_bool(p + sizeof(key) - 1);

			if (v >= 0)
				state = v;	/* the last one that parses wins */
		}
		p += n;
	}
	return state;
}

/* The first member named @key of the JSON text @json, parsed into *@root. */
static const struct json *json_member(const char *json, const char *key, struct json **root)
{
	char err[64];

	*root = json ? json_parse(json, err, sizeof(err)) : NULL;
	return *root ? json_find(*root, key) : NULL;
}

int doctor_json_str(const char *json, const char *key, char *out, size_t len)
{
	struct json *root;
	const struct json *m = json_member(json, key, &root);
	int ret = -1;

	if (m && m->type == JSON_STR && len) {
		snprintf(out, len, "%s", m->str);
		ret = 0;
	}
	json_free(root);
	return ret;
}

int doctor_json_u64(const char *json, const char *key, uint64_t *v)
{
	struct json *root;
	const struct json *m = json_member(json, key, &root);
	int ret = -1;

	if (m && m->type == JSON_BOOL) {
		*v = m->b;
		ret = 0;
	} else if (m && m->type == JSON_NUM && m->is_uint) {
		*v = m->u;
		ret = 0;
	}
	json_free(root);
	return ret;
}

/* ---- evaluation ---- */

static void module_fix(struct doctor_result *r, const char *ours)
{
	fix(r, "install release %s of the module (sudo dkms install sentinel/%s), then sudo rmmod sentinel && sudo modprobe sentinel",
	    ours, ours);
}

void doctor_eval_module(struct doctor_result *r, const char *version, const char *ours)
{
	unsigned int ma, mi, oma = 0, omi = 0;

	if (!version) {
		set(r, DOCTOR_FAIL, "module", "not loaded (no /sys/module/sentinel)");
		fix(r, "sudo modprobe sentinel");
		return;
	}
	doctor_parse_version(ours, &oma, &omi);
	if (doctor_parse_version(version, &ma, &mi)) {
		set(r, DOCTOR_WARN, "module", "loaded, but its version '%s' does not read as MAJOR.MINOR",
		    version);
		fix(r, "sentinelctl status");
	} else if (ma != oma) {
		set(r, DOCTOR_FAIL, "module", "loaded, version %s; sentinelctl is %s: another major version, incompatible",
		    version, ours);
		module_fix(r, ours);
	} else if (mi != omi) {
		set(r, DOCTOR_WARN, "module", "loaded, version %s; sentinelctl is %s: what the newer one added is missing",
		    version, ours);
		module_fix(r, ours);
	} else {
		set(r, DOCTOR_OK, "module", "loaded, version %s (sentinelctl %s)", version, ours);
	}
}

void doctor_eval_daemon(struct doctor_result *r, int err, const char *reply,
			const char *socket, const char *ours)
{
	char ver[32] = "?";
	uint64_t pid = 0, conn = 0;

	if (err == -ENOENT || err == -ECONNREFUSED) {
		set(r, DOCTOR_FAIL, "daemon", "not running (nothing listens on %s)", socket);
		fix(r, "sudo systemctl enable --now sentineld");
		return;
	}
	if (err == -EACCES || err == -EPERM) {
		set(r, DOCTOR_WARN, "daemon", "%s: permission denied, its state is unknown", socket);
		fix(r, "sudo sentinelctl doctor");
		return;
	}
	if (err) {
		set(r, DOCTOR_FAIL, "daemon", "%s does not answer: %s", socket, strerror(-err));
		fix(r, "sudo systemctl restart sentineld; journalctl -u sentineld -b");
		return;
	}
	doctor_json_str(reply, "version", ver, sizeof(ver));
	doctor_json_u64(reply, "pid", &pid);
	doctor_json_u64(reply, "connected", &conn);
	if (!conn) {
		set(r, DOCTOR_WARN, "daemon", "running (pid %" PRIu64 ") but not connected to the module",
		    pid);
		fix(r, "sudo modprobe sentinel; journalctl -u sentineld -b");
	} else if (strcmp(ver, ours)) {
		set(r, DOCTOR_WARN, "daemon", "running (pid %" PRIu64 "), version %s; sentinelctl is %s",
		    pid, ver, ours);
		fix(r, "install sentineld and sentinelctl of one release, then sudo systemctl restart sentineld");
	} else {
		set(r, DOCTOR_OK, "daemon", "running (pid %" PRIu64 "), version %s, connected to the module",
		    pid, ver);
	}
}

static void tiers_with_daemon(struct doctor_result *r, const char *f, const char *s,
			      const char *det, const char *reply)
{
	char df[128] = "", ds[128] = "", from[64] = "";

	doctor_json_str(reply, "fast_nodes", df, sizeof(df));
	doctor_json_str(reply, "slow_nodes", ds, sizeof(ds));
	doctor_json_str(reply, "tiers_from", from, sizeof(from));
	if (!ds[0]) {
		set(r, DOCTOR_FAIL, "tiers", "sentineld uses fast %s and no slow node (from %s); detected %s",
		    df[0] ? df : "-", from, det);
		fix(r, "set slow_nodes in " SD_CONF ", then sudo systemctl reload sentineld");
	} else if (!strcmp(df, f) && !strcmp(ds, s)) {
		set(r, DOCTOR_OK, "tiers", "%s; sentineld uses the same", det);
	} else {
		set(r, DOCTOR_WARN, "tiers", "sentineld uses fast %s, slow %s (from %s); detected %s",
		    df, ds, from, det);
		fix(r, "check fast_nodes and slow_nodes in " SD_CONF
		    " (auto follows the detection), then sudo systemctl reload sentineld");
	}
}

void doctor_eval_tiers(struct doctor_result *r, const struct topology *t,
		       const char *why, const char *reply)
{
	char f[128], s[128], det[300];

	if (!t) {
		set(r, DOCTOR_FAIL, "tiers", "no NUMA node found: %s", why ? why : "?");
		fix(r, "numactl -H (a kernel with NUMA and memory on two nodes is needed)");
		return;
	}
	sd_nodelist_format(&t->fast, f, sizeof(f));
	sd_nodelist_format(&t->slow, s, sizeof(s));
	snprintf(det, sizeof(det), "fast %s, slow %s (from %s)", f, s[0] ? s : "-",
		 t->source ? t->source : "?");
	if (reply) {
		tiers_with_daemon(r, f, s, det, reply);
	} else if (!s[0]) {
		set(r, DOCTOR_FAIL, "tiers", "one tier only: %s; there is no slower memory to use", det);
		fix(r, "numactl -H: slow memory (CXL, PMEM as system RAM, a far node) must show as a NUMA node with memory");
	} else {
		set(r, DOCTOR_OK, "tiers", "%s; sentineld not asked", det);
	}
}

/* Highest latency among @m's nodes (@max) or lowest (!@max); -1 if none known. */
static long latency_of(const struct sd_nodemask *m, const struct doctor_access *a,
		       unsigned int n, bool max, unsigned int *node)
{
	long best = -1;

	for (unsigned int i = 0; i < n; i++) {
		if (a[i].latency_ns < 0 || !sd_node_isset(m, a[i].node))
			continue;
		if (best < 0 || (max ? a[i].latency_ns > best : a[i].latency_ns < best)) {
			best = a[i].latency_ns;
			*node = a[i].node;
		}
	}
	return best;
}

void doctor_eval_hmat(struct doctor_result *r, const struct topology *t,
		      const struct doctor_access *a, unsigned int n)
{
	char list[DOCTOR_TEXT] = "";
	size_t off = 0;
	unsigned int fn = 0, sn = 0;
	long fl, sl;

	for (unsigned int i = 0; i < n && off < sizeof(list); i++) {
		if (a[i].latency_ns < 0 && a[i].bandwidth_mbs < 0)
			continue;
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%snode %u: %ld ns, %ld MB/s",
					off ? "; " : "", a[i].node, a[i].latency_ns,
					a[i].bandwidth_mbs);
	}
	if (!list[0]) {
		set(r, DOCTOR_OK, "hmat", "no access classes (the firmware gives no HMAT)");
		return;
	}
	set(r, DOCTOR_OK, "hmat", "%s", list);
	if (!t)
		return;
	fl = latency_of(&t->fast, a, n, true, &fn);
	sl = latency_of(&t->slow, a, n, false, &sn);
	if (fl >= 0 && sl >= 0 && sl < fl) {
		set(r, DOCTOR_WARN, "hmat", "slow node %u (%ld ns) is faster than fast node %u (%ld ns): %s",
		    sn, sl, fn, fl, list);
		fix(r, "set fast_nodes and slow_nodes in " SD_CONF " by latency, then sudo systemctl reload sentineld");
	}
}

void doctor_eval_numa_balancing(struct doctor_result *r, const char *val)
{
	static const char *const mode[] = { "off", "on", "memory tiering", "on, with memory tiering" };
	unsigned int v = 0;
	const char *end = val ? parse_uint(val, &v) : NULL;

	if (!val) {
		set(r, DOCTOR_OK, "numa_balancing", "not built into this kernel");
		return;
	}
	if (end && !*end && v == 0) {
		set(r, DOCTOR_OK, "numa_balancing", "0 (off)");
		return;
	}
	set(r, DOCTOR_FAIL, "numa_balancing",
	    "%s (%s): the kernel moves pages on its own and undoes the daemon's placement", val,
	    end && !*end && v < 4 ? mode[v] : "on");
	fix(r, "sudo sysctl -w kernel.numa_balancing=0; to keep it: echo kernel.numa_balancing=0 | sudo tee /etc/sysctl.d/90-sentinel.conf");
}

void doctor_eval_demotion(struct doctor_result *r, const char *val)
{
	if (!val) {
		set(r, DOCTOR_OK, "demotion", "not available on this kernel");
		return;
	}
	if (!strcmp(val, "false") || !strcmp(val, "0") || !strcmp(val, "n") || !strcmp(val, "N")) {
		set(r, DOCTOR_OK, "demotion", "%s (off)", val);
		return;
	}
	set(r, DOCTOR_WARN, "demotion",
	    "%s: under memory pressure reclaim moves fast-node pages to slow nodes behind the daemon",
	    val);
	fix(r, "echo false | sudo tee /sys/kernel/mm/numa/demotion_enabled");
}

void doctor_eval_thp(struct doctor_result *r, const char *val)
{
	char mode[32];

	if (!val) {
		set(r, DOCTOR_OK, "thp", "not available (kernel without transparent huge pages)");
		return;
	}
	if (doctor_bracketed(val, mode, sizeof(mode))) {
		set(r, DOCTOR_OK, "thp", "enabled reads '%s'", val);
		return;
	}
	if (!strcmp(mode, "never"))
		set(r, DOCTOR_OK, "thp", "never: base pages only");
	else
		set(r, DOCTOR_OK, "thp", "%s (huge pages are scanned and moved whole, 2 MiB each)", mode);
}

void doctor_eval_init_on_alloc(struct doctor_result *r, int state, int config_default)
{
	if (state < 0) {
		set(r, DOCTOR_OK, "init_on_alloc", "unknown (no build configuration of this kernel found)");
		return;
	}
	if (!state) {
		set(r, DOCTOR_OK, "init_on_alloc", "off");
		return;
	}
	set(r, DOCTOR_WARN, "init_on_alloc",
	    "on (%s): the kernel zeroes each page a migration is about to copy into, "
	    "which costs about half as much again as the copy",
	    config_default == 1 ? "the kernel's default" : "kernel command line");
	fix(r, "add init_on_alloc=0 to GRUB_CMDLINE_LINUX in /etc/default/grub, sudo update-grub, "
	    "reboot (this turns a hardening feature off: see the quick start)");
}

void doctor_eval_device(struct doctor_result *r, int err, const char *group)
{
	const char *g = group && group[0] ? group : "?";

	if (!err) {
		set(r, DOCTOR_OK, "device", "/dev/sentinel opens read-write (group %s)", g);
	} else if (err == EACCES || err == EPERM) {
		set(r, DOCTOR_FAIL, "device", "/dev/sentinel: permission denied (group %s)", g);
		if (!strcmp(g, "sentinel"))
			fix(r, "add yourself to group sentinel: sudo usermod -aG sentinel $USER, then log in again");
		else
			fix(r, "install packaging/udev/60-sentinel.rules in /etc/udev/rules.d, sudo udevadm trigger, then add yourself to group sentinel: sudo usermod -aG sentinel $USER");
	} else if (err == ENOENT) {
		set(r, DOCTOR_FAIL, "device", "/dev/sentinel does not exist");
		fix(r, "sudo modprobe sentinel");
	} else if (err == ENODEV) {
		set(r, DOCTOR_FAIL, "device", "/dev/sentinel refuses sessions (knob enabled is 0)");
		fix(r, "echo 1 | sudo tee /sys/kernel/sentinel/enabled");
	} else if (err == EMFILE) {
		set(r, DOCTOR_WARN, "device", "/dev/sentinel: max_sessions sessions are open");
		fix(r, "sentinelctl sessions; raise /sys/kernel/sentinel/max_sessions");
	} else {
		set(r, DOCTOR_FAIL, "device", "/dev/sentinel: %s", strerror(err));
		fix(r, "sudo dmesg | grep -i sentinel");
	}
}

/* The @k lowest set bits of @m. */
static uint64_t lowest_bits(uint64_t m, int k)
{
	uint64_t out = 0;

	for (; m && k > 0; k--) {
		out |= m & -m;
		m &= m - 1;
	}
	return out;
}

void doctor_eval_caps(struct doctor_result *r, uint64_t pid, const char *status, int err)
{
	char names[DOCTOR_TEXT];
	uint64_t have, missing, extra;

	if (!pid) {
		set(r, DOCTOR_WARN, "capabilities", "not checked: sentineld is not reachable");
		fix(r, "start sentineld (sudo systemctl start sentineld), then sudo sentinelctl doctor");
		return;
	}
	if (!status || doctor_parse_capeff(status, &have)) {
		set(r, DOCTOR_WARN, "capabilities", "cannot read CapEff of /proc/%" PRIu64 "/status: %s",
		    pid, status ? "no CapEff line" : strerror(err));
		fix(r, "sudo sentinelctl doctor");
		return;
	}
	missing = DOCTOR_UNIT_CAPMASK & ~have;
	extra = have & ~DOCTOR_UNIT_CAPMASK;
	if (missing) {
		set(r, DOCTOR_FAIL, "capabilities", "sentineld (pid %" PRIu64 ") lacks %s", pid,
		    doctor_capnames(missing, names, sizeof(names)));
		fix(r, "run it from its unit, which grants " DOCTOR_UNIT_CAPS ": sudo systemctl restart sentineld");
	} else if (extra) {
		set(r, DOCTOR_WARN, "capabilities", "sentineld (pid %" PRIu64 ") has %d capabilities more than its unit grants (%s%s)",
		    pid, __builtin_popcountll(extra),
		    doctor_capnames(lowest_bits(extra, 3), names, sizeof(names)),
		    __builtin_popcountll(extra) > 3 ? " ..." : "");
		fix(r, "run it as shipped, with " DOCTOR_UNIT_CAPS " only: sudo systemctl restart sentineld");
	} else {
		set(r, DOCTOR_OK, "capabilities", "sentineld (pid %" PRIu64 ") has %s, as its unit grants",
		    pid, DOCTOR_UNIT_CAPS);
	}
}

void doctor_eval_lockdown(struct doctor_result *r, const char *lockdown, int secureboot,
			  const char *taint)
{
	static const char *const sb[] = { "off", "on" };
	char mode[32] = "not reported";
	bool strict;

	if (lockdown && doctor_bracketed(lockdown, mode, sizeof(mode)))
		snprintf(mode, sizeof(mode), "unreadable");
	strict = !strcmp(mode, "integrity") || !strcmp(mode, "confidentiality") || secureboot == 1;
	set(r, DOCTOR_OK, "lockdown", "%s, Secure Boot %s", mode,
	    secureboot < 0 ? "not reported" : sb[secureboot]);
	if (!strict) {
		append(r, ": unsigned modules load (taint O, E)");
	} else if (taint) {
		append(r, ": only signed modules load, and sentinel.ko is loaded");
	} else {
		r->level = DOCTOR_WARN;
		append(r, ": the kernel loads only modules signed with a key it trusts (built in or enrolled as a MOK)");
		fix(r, "sign it with DKMS's key: sudo dkms install sentinel/%s; enroll that key once: sudo mokutil --import /var/lib/dkms/mok.pub, reboot, confirm",
		    SENTINEL_VERSION_STRING);
	}
}

/* ---- I/O ---- */

static bool exists(const char *root, const char *path)
{
	char full[512];

	snprintf(full, sizeof(full), "%s%s", root, path);
	return access(full, F_OK) == 0;
}

static struct doctor_result *next(struct doctor_report *rep)
{
	struct doctor_result *r = &rep->r[rep->n++];

	memset(r, 0, sizeof(*r));
	return r;
}

static void check_module(const struct doctor_env *env, struct doctor_result *r)
{
	char ver[64] = "";

	if (!exists(env->root, "/sys/module/sentinel") &&
	    !exists(env->root, "/sys/kernel/sentinel")) {
		doctor_eval_module(r, NULL, env->version);
		return;
	}
	if (sysfs_read(env->root, "/sys/kernel/sentinel/version", ver, sizeof(ver)))
		sysfs_read(env->root, "/sys/module/sentinel/version", ver, sizeof(ver));
	doctor_eval_module(r, ver, env->version);
}

/* A number from a file under @root, -1 when absent. */
static long read_long(const char *root, const char *path)
{
	char v[32];

	return sysfs_read(root, path, v, sizeof(v)) ? -1 : strtol(v, NULL, 10);
}

/* HMAT access class 0 of the nodes with memory, into @a; how many. */
static unsigned int read_access(const char *root, const struct topology *t,
				struct doctor_access *a, unsigned int max)
{
	static const char dir[] = "/sys/devices/system/node/node%u/access0/initiators/%s";
	unsigned int n = 0;
	char p[128];

	for (unsigned int node = 0; node < SD_MAX_NODES && n < max; node++) {
		if (!sd_node_isset(&t->memory, node))
			continue;
		a[n].node = node;
		snprintf(p, sizeof(p), dir, node, "read_latency");
		a[n].latency_ns = read_long(root, p);
		snprintf(p, sizeof(p), dir, node, "read_bandwidth");
		a[n].bandwidth_mbs = read_long(root, p);
		n++;
	}
	return n;
}

static void check_tiers(const struct doctor_env *env, struct doctor_report *rep,
			const char *reply)
{
	struct doctor_access a[64];
	struct topology t;
	char why[256];
	bool found = !topo_detect(env->root, &t, why, sizeof(why));

	doctor_eval_tiers(next(rep), found ? &t : NULL, why, reply);
	doctor_eval_hmat(next(rep), found ? &t : NULL, a,
			 found ? read_access(env->root, &t, a, 64) : 0);
}

static void check_file(const struct doctor_env *env, struct doctor_result *r, const char *path,
		       void (*eval)(struct doctor_result *r, const char *val))
{
	char v[256];

	eval(r, sysfs_read(env->root, path, v, sizeof(v)) ? NULL : v);
}

static void check_device(const struct doctor_env *env, struct doctor_result *r)
{
	char path[512], gname[64] = "";
	struct stat st;
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/dev/sentinel", env->root);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		err = errno;
	else
		close(fd);
	if (!stat(path, &st)) {
		struct group *g = getgrgid(st.st_gid);

		if (g)
			snprintf(gname, sizeof(gname), "%s", g->gr_name);
		else
			snprintf(gname, sizeof(gname), "%u", (unsigned int)st.st_gid);
	}
	doctor_eval_device(r, err, gname);
}

static void check_caps(const struct doctor_env *env, struct doctor_result *r, const char *reply)
{
	char path[64], status[4096];
	uint64_t pid = 0;
	int err;

	if (reply)
		doctor_json_u64(reply, "pid", &pid);
	if (!pid) {
		doctor_eval_caps(r, 0, NULL, 0);
		return;
	}
	snprintf(path, sizeof(path), "/proc/%" PRIu64 "/status", pid);
	err = sysfs_read(env->root, path, status, sizeof(status));
	doctor_eval_caps(r, pid, err ? NULL : status, -err);
}

/* 1, 0 or -1: CONFIG_INIT_ON_ALLOC_DEFAULT_ON of the running kernel's build. */
static int init_on_alloc_default(const char *root)
{
	char rel[128], path[256], line[256];
	int v = -1;
	FILE *f;

	if (sysfs_read(root, "/proc/sys/kernel/osrelease", rel, sizeof(rel)))
		return -1;
	rel[strcspn(rel, "\n")] = 0;
	snprintf(path, sizeof(path), "%s/boot/config-%s", root, rel);
	f = fopen(path, "re");
	if (!f)
		return -1;
	v = 0;	/* a configuration without the line: the option is off */
	while (fgets(line, sizeof(line), f))
		if (!strcmp(line, "CONFIG_INIT_ON_ALLOC_DEFAULT_ON=y\n")) {
			v = 1;
			break;
		}
	fclose(f);
	return v;
}

static void check_init_on_alloc(const struct doctor_env *env, struct doctor_result *r)
{
	char cmdline[4096];
	int def = init_on_alloc_default(env->root);
	int state = doctor_parse_init_on_alloc(sysfs_read(env->root, "/proc/cmdline", cmdline,
							 sizeof(cmdline)) ? NULL : cmdline, def);

	doctor_eval_init_on_alloc(r, state, def);
}

static void check_lockdown(const struct doctor_env *env, struct doctor_result *r)
{
	char lock[128], taint[32], full[512];
	unsigned char sb[16];
	ssize_t n = -1;
	int fd;

	snprintf(full, sizeof(full), "%s%s", env->root, SECUREBOOT_VAR);
	fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, sb, sizeof(sb));
		close(fd);
	}
	doctor_eval_lockdown(r,
			     sysfs_read(env->root, "/sys/kernel/security/lockdown", lock, sizeof(lock)) ?
			     NULL : lock,
			     doctor_parse_secureboot(n > 0 ? sb : NULL, n > 0 ? (size_t)n : 0),
			     sysfs_read(env->root, "/sys/module/sentinel/taint", taint, sizeof(taint)) ?
			     NULL : taint);
}

void doctor_collect(const struct doctor_env *env, struct doctor_report *rep)
{
	char *reply = NULL;
	int derr = env->call ? env->call(env->call_arg, "status", &reply) : -ENOENT;

	if (derr) {
		free(reply);
		reply = NULL;
	}
	rep->n = 0;
	check_module(env, next(rep));
	doctor_eval_daemon(next(rep), derr, reply, env->socket, env->version);
	check_tiers(env, rep, reply);
	check_file(env, next(rep), "/proc/sys/kernel/numa_balancing", doctor_eval_numa_balancing);
	check_file(env, next(rep), "/sys/kernel/mm/numa/demotion_enabled", doctor_eval_demotion);
	check_file(env, next(rep), "/sys/kernel/mm/transparent_hugepage/enabled", doctor_eval_thp);
	check_init_on_alloc(env, next(rep));
	check_device(env, next(rep));
	check_caps(env, next(rep), reply);
	check_lockdown(env, next(rep));
	free(reply);
}

static void count(const struct doctor_report *rep, unsigned int *warn, unsigned int *fail)
{
	*warn = *fail = 0;
	for (unsigned int i = 0; i < rep->n; i++) {
		*warn += rep->r[i].level == DOCTOR_WARN;
		*fail += rep->r[i].level == DOCTOR_FAIL;
	}
}

void doctor_print(const struct doctor_report *rep, FILE *f)
{
	unsigned int warn, fail;

	for (unsigned int i = 0; i < rep->n; i++) {
		const struct doctor_result *r = &rep->r[i];

		fprintf(f, "%-4s  %s: %s", doctor_level_name(r->level), r->name, r->found);
		if (r->level != DOCTOR_OK && r->fix[0])
			fprintf(f, "; fix: %s", r->fix);
		fputc('\n', f);
	}
	count(rep, &warn, &fail);
	fprintf(f, "%u checks: %u ok, %u warn, %u FAIL\n", rep->n, rep->n - warn - fail, warn, fail);
}

void doctor_json(const struct doctor_report *rep, struct jbuf *b)
{
	static const char *const lv[] = { "ok", "warn", "fail" };
	unsigned int warn, fail;

	count(rep, &warn, &fail);
	jb_obj_begin(b, NULL);
	jb_bool(b, "ok", !fail);
	jb_u64(b, "failures", fail);
	jb_u64(b, "warnings", warn);
	jb_arr_begin(b, "checks");
	for (unsigned int i = 0; i < rep->n; i++) {
		const struct doctor_result *r = &rep->r[i];

		jb_obj_begin(b, NULL);
		jb_str(b, "check", r->name);
		jb_str(b, "status", lv[r->level]);
		jb_str(b, "found", r->found);
		if (r->level != DOCTOR_OK && r->fix[0])
			jb_str(b, "fix", r->fix);
		else
			jb_null(b, "fix");
		jb_obj_end(b);
	}
	jb_arr_end(b);
	jb_obj_end(b);
}
