// SPDX-License-Identifier: GPL-2.0
/*
 * sentinel-lab.so - the tier lab's QEMU TCG plugin.
 *
 * Counts, per vCPU, executed instructions and data accesses, passes the
 * accesses through a last-level-cache model and charges each miss and each
 * dirty write-back to the NUMA node that owns the line's guest-physical
 * address.  At every marker instruction (lab_marker.h) it snapshots all
 * vCPUs' counters into a JSON-lines record.  See Documentation/lab.rst.
 *
 * In mode=marker (the default) only the marker instructions are
 * instrumented until the first start marker executes; the plugin then
 * resets its callbacks, which flushes QEMU's translated code, and from then
 * on translates with counting instrumentation.  Booting a guest is thus
 * barely slower than without the plugin.  Later stop and start markers only
 * gate the counting: QEMU 7.2 can leave a vCPU pointing at the memory
 * callback list of an access that faulted, and a second code flush would
 * free that list under it.
 *
 * In delay mode (delayN=F arguments) every counted miss on node N that no
 * stream hides also spins the vCPU for F instructions' worth of wall
 * time, at the emulator's speed measured on that vCPU (delay.h), as a
 * wall-clock cross-check of the cost model.  Each record carries the
 * host's clock (wall_ns).
 *
 * With attr=N, the misses vCPU N makes at user addresses are also counted
 * per virtual page (attr.h) and each record lists the pages that missed
 * since the previous one: the input of the best-placement bound
 * (tools/bench/oracle).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attr.h"
#include "cache.h"
#include "config.h"
#include "counters.h"
#include "delay.h"
#include "marker.h"
#include "qemu_api.h"

LAB_EXPORT int qemu_plugin_version = 1;

/* Lowest kernel-half address on x86-64 (canonical upper half). */
#define KERNEL_HALF 0xffff800000000000ull
/* Delay mode: no single access spins longer than this. */
#define DELAY_CAP_NS 10000000ull

struct vcpu {
	struct lab_counters c;	  /* insns: own thread; rest under cache_lock */
	struct lab_streams streams;
	struct lab_value_acc value;
	struct lab_delay_est delay; /* own thread only */
	uint64_t spun_ns;	  /* delay mode: time spun, own thread writes */
} __attribute__((aligned(64)));

static qemu_plugin_id_t plugin_id;
static struct lab_config cfg;
static struct lab_cache cache;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vcpu *vcpus;
static unsigned int nvcpus;
static FILE *out;
static uint64_t seq;
static uint64_t traced;
static uint64_t n_markers, n_bad_values;
/*
 * attr=N: misses of vCPU N at user addresses per virtual page since the
 * last record (attr_cur, under cache_lock); attr_out is the table being
 * written (under out_lock).  Each record takes the current table.
 */
static struct lab_attr attr_tabs[2];
static struct lab_attr *attr_cur = &attr_tabs[0], *attr_out = &attr_tabs[1];

/* Counting instrumentation installed; counting on (between markers). */
static int instrumented;
static int active;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "sentinel-lab: %s\n", buf);
	qemu_plugin_outs("sentinel-lab: ");
	qemu_plugin_outs(buf);
	qemu_plugin_outs("\n");
}

static inline uint64_t rd(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void add(uint64_t *p, uint64_t n)
{
	/* Only the owning vCPU thread writes; readers may race benignly. */
	__atomic_store_n(p, rd(p) + n, __ATOMIC_RELAXED);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- execution-time callbacks ------------------------------------- */

static inline bool is_active(void)
{
	return __atomic_load_n(&active, __ATOMIC_RELAXED);
}

/* Counting on, and this vCPU selected (vcpus=). */
static inline bool counts(unsigned int vcpu)
{
	return is_active() && vcpu < nvcpus &&
	       (vcpu >= 64 || (cfg.vcpus >> vcpu & 1));
}

static void on_tb_exec(unsigned int vcpu, void *udata)
{
	if (counts(vcpu))
		add(&vcpus[vcpu].c.insns, (uint64_t)(uintptr_t)udata);
}

static void trace_access(uint64_t idx, unsigned int vcpu, uint64_t vaddr,
			 uint64_t paddr, int node, bool store)
{
	if (!out)
		return;
	pthread_mutex_lock(&out_lock);
	fprintf(out,
		"{\"trace\":%" PRIu64 ",\"vcpu\":%u,\"vaddr\":%" PRIu64
		",\"paddr\":%" PRIu64 ",\"node\":%d,\"store\":%s}\n",
		idx, vcpu, vaddr, paddr,
		node == LAB_NODE_OTHER ? -1 : node, store ? "true" : "false");
	pthread_mutex_unlock(&out_lock);
}

/*
 * Delay mode, at every counted access of vCPU @v: measure the emulator's
 * speed, then spin for @cost instructions' worth of time (the access's
 * misses).  The spin is not counted as the emulator's time.
 */
static void delay(struct vcpu *v, double cost)
{
	uint64_t insns = rd(&v->c.insns), t = now_ns(), spin, end;

	lab_delay_observe(&v->delay, t, insns);
	spin = lab_delay_take(&v->delay, cost, DELAY_CAP_NS);
	if (!spin)
		return;
	end = t + spin;
	do
		t = now_ns();
	while (t < end);
	add(&v->spun_ns, spin);
	lab_delay_spun(&v->delay, t, insns);
}

static void on_mem(unsigned int vcpu, qemu_plugin_meminfo_t info,
		   uint64_t vaddr, void *udata)
{
	struct qemu_plugin_hwaddr *hw = qemu_plugin_get_hwaddr(info, vaddr);
	bool store = qemu_plugin_mem_is_store(info);
	unsigned int shift = cache.line_shift;
	uint64_t pa, first, last, line;
	uint64_t trace = 0;
	double cost = 0;
	struct vcpu *v;

	(void)udata;
	if (!counts(vcpu))
		return;
	/*
	 * QEMU 7.2 keeps a vCPU's callback list after an access faults, and
	 * its interrupt and iret helpers then report their kernel-stack
	 * accesses through it.  Those are kernel work: drop them when only
	 * user mode is counted (they come at wall-clock-timed interrupts).
	 */
	if (cfg.scope == LAB_SCOPE_USER && vaddr >= KERNEL_HALF)
		return;
	v = &vcpus[vcpu];
	if (!hw || qemu_plugin_hwaddr_is_io(hw)) {
		pthread_mutex_lock(&cache_lock);
		v->c.io++;
		pthread_mutex_unlock(&cache_lock);
		return;
	}
	pa = qemu_plugin_hwaddr_phys_addr(hw);
	first = pa >> shift;
	last = (pa + (1u << qemu_plugin_mem_size_shift(info)) - 1) >> shift;

	pthread_mutex_lock(&cache_lock);
	if (store)
		v->c.stores++;
	else
		v->c.loads++;
	for (line = first; line <= last; line++) {
		struct lab_access r;
		bool sq;
		int node;

		lab_cache_access(&cache, line << shift, store, &r);
		if (r.hit) {
			v->c.hits++;
			continue;
		}
		node = lab_nodes_find(&cfg.nodes, line << shift);
		v->c.miss[node]++;
		sq = lab_streams_miss(&v->streams, line);
		if (sq)
			v->c.seq[node]++;
		else if (node < LAB_MAX_NODES)
			cost += cfg.delay[node];
		if ((int)vcpu == cfg.attr_vcpu && vaddr < KERNEL_HALF)
			lab_attr_miss(attr_cur, vaddr + ((line - first) << shift),
				      node, sq);
		if (r.writeback)
			v->c.wb[lab_nodes_find(&cfg.nodes, r.wb_addr)]++;
	}
	if (traced < cfg.trace)
		trace = ++traced;
	pthread_mutex_unlock(&cache_lock);
	if (cfg.delay_on)
		delay(v, cost);
	if (trace)
		trace_access(trace - 1, vcpu, vaddr, pa, lab_nodes_find(&cfg.nodes, pa),
			     store);
}

static void on_value(unsigned int vcpu, qemu_plugin_meminfo_t info,
		     uint64_t vaddr, void *udata)
{
	(void)info;
	if (vcpu < nvcpus)
		lab_value_add(&vcpus[vcpu].value, (unsigned int)(uintptr_t)udata,
			      vaddr);
}

static void write_counters(const struct lab_counters *c)
{
	int n = cfg.nodes.nnodes;
	const uint64_t *arr[3] = { c->miss, c->seq, c->wb };
	const char *names[3] = { "miss", "seq", "wb" };

	fprintf(out,
		"{\"insns\":%" PRIu64 ",\"loads\":%" PRIu64 ",\"stores\":%" PRIu64
		",\"hits\":%" PRIu64 ",\"io\":%" PRIu64,
		c->insns, c->loads, c->stores, c->hits, c->io);
	for (int a = 0; a < 3; a++) {
		fprintf(out, ",\"%s\":[", names[a]);
		for (int i = 0; i < n; i++)
			fprintf(out, "%" PRIu64 ",", arr[a][i]);
		fprintf(out, "%" PRIu64 "]", arr[a][LAB_NODE_OTHER]);
	}
	fputc('}', out);
}

/*
 * The attributed misses since the previous record: "pages":[[vpn, miss by
 * node slot (nnodes, then other), seq by node slot], ...]; then clear.
 */
static void write_pages(struct lab_attr *a)
{
	int n = cfg.nodes.nnodes;
	const struct lab_attr_ent *e;
	size_t it = 0;
	bool first = true;

	if (a->dropped)
		fprintf(out, ",\"pages_dropped\":%" PRIu64, a->dropped);
	fputs(",\"pages\":[", out);
	while ((e = lab_attr_next(a, &it))) {
		fprintf(out, "%s[%" PRIu64, first ? "" : ",", e->vpn - 1);
		for (int i = 0; i < n; i++)
			fprintf(out, ",%" PRIu32, e->miss[i]);
		fprintf(out, ",%" PRIu32, e->miss[LAB_NODE_OTHER]);
		for (int i = 0; i < n; i++)
			fprintf(out, ",%" PRIu32, e->seq[i]);
		fprintf(out, ",%" PRIu32 "]", e->seq[LAB_NODE_OTHER]);
		first = false;
	}
	fputc(']', out);
	a->dropped = 0;
	lab_attr_clear(a);
}

/* Write one record with every vCPU's counters; out_lock held. */
static void write_record(const char *kind, int vcpu, uint32_t value,
			 bool has_value, bool on)
{
	struct lab_counters snap[nvcpus];
	struct lab_attr *pages = NULL;

	pthread_mutex_lock(&cache_lock);
	for (unsigned int i = 0; i < nvcpus; i++) {
		snap[i] = vcpus[i].c;
		snap[i].insns = rd(&vcpus[i].c.insns);
	}
	if (cfg.attr_vcpu >= 0) {
		/* Swap tables: the misses from here on go to a clear one. */
		pages = attr_cur;
		attr_cur = attr_out;
		attr_out = pages;
	}
	pthread_mutex_unlock(&cache_lock);
	if (!out) {
		if (pages)
			lab_attr_clear(pages);
		return;
	}
	fprintf(out, "{\"seq\":%" PRIu64 ",\"kind\":\"%s\",\"vcpu\":%d,\"wall_ns\":%" PRIu64,
		seq, kind, vcpu, now_ns());
	if (cfg.delay_on) {
		fputs(",\"spun_ns\":[", out);
		for (unsigned int i = 0; i < nvcpus; i++)
			fprintf(out, "%s%" PRIu64, i ? "," : "", rd(&vcpus[i].spun_ns));
		fputc(']', out);
	}
	if (has_value)
		fprintf(out, ",\"value\":%" PRIu32, value);
	fprintf(out, ",\"on\":%s,\"cpus\":[", on ? "true" : "false");
	for (unsigned int i = 0; i < nvcpus; i++) {
		if (i)
			fputc(',', out);
		write_counters(&snap[i]);
	}
	fputc(']', out);
	if (pages)
		write_pages(pages);
	fputs("}\n", out);
	fflush(out);
	seq++;
}

static void install_callbacks(void);

static void on_reset(qemu_plugin_id_t id)
{
	(void)id;
	/* Every callback was dropped and the code cache flushed. */
	__atomic_store_n(&instrumented, 1, __ATOMIC_SEQ_CST);
	install_callbacks();
}

static void on_marker(unsigned int vcpu, void *udata)
{
	unsigned int kind = (unsigned int)((uintptr_t)udata >> 8);
	unsigned int flags = (unsigned int)((uintptr_t)udata & 0xff);
	uint32_t value = 0;
	bool has_value = false, on;

	if (vcpu >= nvcpus)
		return;
	if (flags & LAB_F_VALUE) {
		has_value = lab_value_take(&vcpus[vcpu].value, &value);
		if (!has_value)
			__atomic_add_fetch(&n_bad_values, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_lock(&out_lock);
	n_markers++;
	on = is_active();
	if (kind == LAB_K_START && !on) {
		on = true;
		if (cfg.cold_start) {
			pthread_mutex_lock(&cache_lock);
			lab_cache_invalidate(&cache);
			for (unsigned int i = 0; i < nvcpus; i++)
				lab_streams_init(&vcpus[i].streams, cache.line_shift);
			pthread_mutex_unlock(&cache_lock);
		}
		__atomic_store_n(&active, 1, __ATOMIC_SEQ_CST);
		/*
		 * The rest of this translation block (the marker ends it) runs
		 * as translated; the flush happens before the next one.
		 */
		if (!__atomic_load_n(&instrumented, __ATOMIC_SEQ_CST))
			qemu_plugin_reset(plugin_id, on_reset);
	} else if (kind == LAB_K_STOP && on) {
		on = false;
		__atomic_store_n(&active, 0, __ATOMIC_SEQ_CST);
	}
	write_record(lab_kind_name(kind), (int)vcpu, value, has_value, on);
	pthread_mutex_unlock(&out_lock);
}

/* ---- translation ---------------------------------------------------- */

static void on_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);
	bool count = __atomic_load_n(&instrumented, __ATOMIC_RELAXED);

	(void)id;
	if (count && cfg.scope == LAB_SCOPE_USER &&
	    qemu_plugin_tb_vaddr(tb) >= KERNEL_HALF)
		count = false;
	if (count)
		qemu_plugin_register_vcpu_tb_exec_cb(tb, on_tb_exec,
						     QEMU_PLUGIN_CB_NO_REGS,
						     (void *)(uintptr_t)n);
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		const uint8_t *b = qemu_plugin_insn_data(insn);
		size_t sz = qemu_plugin_insn_size(insn);
		struct lab_insn d;

		switch (lab_decode_insn(b, sz, &d)) {
		case LAB_INSN_MARK:
			qemu_plugin_register_vcpu_insn_exec_cb(
				insn, on_marker, QEMU_PLUGIN_CB_NO_REGS,
				(void *)(uintptr_t)(d.kind << 8 | d.flags));
			break;
		case LAB_INSN_VALUE:
			/*
			 * QEMU_PLUGIN_MEM_R alone is never called back for
			 * these loads by QEMU 7.2; RW is.
			 */
			qemu_plugin_register_vcpu_mem_cb(
				insn, on_value, QEMU_PLUGIN_CB_NO_REGS,
				QEMU_PLUGIN_MEM_RW, (void *)(uintptr_t)d.chunk);
			break;
		default:
			if (count)
				qemu_plugin_register_vcpu_mem_cb(
					insn, on_mem, QEMU_PLUGIN_CB_NO_REGS,
					QEMU_PLUGIN_MEM_RW, NULL);
			break;
		}
	}
}

static void on_exit_cb(qemu_plugin_id_t id, void *udata)
{
	struct lab_counters tot = { 0 };
	char buf[256];

	(void)id;
	(void)udata;
	pthread_mutex_lock(&out_lock);
	write_record("exit", -1, 0, false, is_active());
	for (unsigned int i = 0; i < nvcpus; i++)
		lab_counters_add(&tot, &vcpus[i].c);
	snprintf(buf, sizeof(buf),
		 "%" PRIu64 " markers (%" PRIu64 " with a lost value), %" PRIu64
		 " insns, %" PRIu64 " loads, %" PRIu64 " stores counted\n",
		 n_markers, n_bad_values, tot.insns, tot.loads, tot.stores);
	qemu_plugin_outs(buf);
	if (out) {
		fclose(out);
		out = NULL;
	}
	pthread_mutex_unlock(&out_lock);
}

static void install_callbacks(void)
{
	qemu_plugin_register_vcpu_tb_trans_cb(plugin_id, on_tb_trans);
	qemu_plugin_register_atexit_cb(plugin_id, on_exit_cb, NULL);
}

static void write_header(void)
{
	fprintf(out,
		"{\"lab\":1,\"mode\":\"%s\",\"scope\":\"%s\",\"cold_start\":%s,"
		"\"vcpu_mask\":%" PRIu64 ",\"attr_vcpu\":%d,\"vcpus\":%u,\"cache\":{\"size\":%" PRIu64
		",\"ways\":%u,\"line\":%u},\"nnodes\":%d,\"nodes\":[",
		cfg.mode == LAB_MODE_MARKER ? "marker" : "always",
		cfg.scope == LAB_SCOPE_USER ? "user" : "all",
		cfg.cold_start ? "true" : "false", cfg.vcpus, cfg.attr_vcpu, nvcpus, cfg.cache.size,
		cfg.cache.ways, cfg.cache.line, cfg.nodes.nnodes);
	for (int i = 0; i < cfg.nodes.n; i++)
		fprintf(out, "%s{\"node\":%d,\"lo\":%" PRIu64 ",\"hi\":%" PRIu64 "}",
			i ? "," : "", cfg.nodes.r[i].node, cfg.nodes.r[i].lo,
			cfg.nodes.r[i].hi);
	fputs("],\"delay\":[", out);
	for (int i = 0; i < cfg.nodes.nnodes; i++)
		fprintf(out, "%s%g", i ? "," : "", cfg.delay[i]);
	fputs("]}\n", out);
	fflush(out);
}

LAB_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
				   const qemu_info_t *info, int argc,
				   char **argv)
{
	char err[256];
	int n;

	plugin_id = id;
	if (!info->system_emulation) {
		say("needs system emulation (qemu-system-*)");
		return -1;
	}
	if (strcmp(info->target_name, "x86_64") != 0) {
		say("target %s not supported (x86_64 only)", info->target_name);
		return -1;
	}
	if (lab_config_parse(&cfg, argc, argv, err, sizeof(err))) {
		say("%s", err);
		return -1;
	}
	if (lab_cache_init(&cache, &cfg.cache, err, sizeof(err))) {
		say("%s", err);
		return -1;
	}
	n = info->system.max_vcpus;
	if (n < 1)
		n = 1;
	nvcpus = (unsigned int)n;
	vcpus = aligned_alloc(64, sizeof(*vcpus) * nvcpus);
	if (!vcpus) {
		say("out of memory");
		return -1;
	}
	memset(vcpus, 0, sizeof(*vcpus) * nvcpus);
	for (unsigned int i = 0; i < nvcpus; i++)
		lab_streams_init(&vcpus[i].streams, cache.line_shift);
	if (cfg.out) {
		out = fopen(cfg.out, "w");
		if (!out) {
			say("cannot write %s: %m", cfg.out);
			return -1;
		}
		write_header();
	}
	if (cfg.attr_vcpu >= 0 &&
	    (lab_attr_init(&attr_tabs[0], 1 << 14) ||
	     lab_attr_init(&attr_tabs[1], 1 << 14))) {
		say("out of memory");
		return -1;
	}
	instrumented = active = cfg.mode == LAB_MODE_ALWAYS;
	install_callbacks();
	return 0;
}
