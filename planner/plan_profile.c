// SPDX-License-Identifier: GPL-2.0
/*
 * Profile blob to planner input (see plan_profile.h).  Records are copied
 * out of the blob with memcpy, so the blob may have any alignment.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan_profile.h"

#define NONE	UINT32_MAX

struct arr {
	uint64_t off, n, size;
	const char *what;
};

static int check_arrays(const struct sentinel_profile_hdr *h, struct arr *a,
			int na, char *err, size_t errlen)
{
	for (int i = 0; i < na; i++) {
		if (!a[i].n)
			continue;
		if (a[i].off % 8 || a[i].off < h->size || a[i].off > h->total_size ||
		    a[i].n > (h->total_size - a[i].off) / a[i].size) {
			plan_seterr(err, errlen, "%s array (offset %llu, %llu records) outside the profile",
			       a[i].what, (unsigned long long)a[i].off,
			       (unsigned long long)a[i].n);
			return -EINVAL;
		}
		for (int j = 0; j < i; j++) {
			uint64_t ei = a[i].off + a[i].n * a[i].size;
			uint64_t ej = a[j].off + a[j].n * a[j].size;

			if (a[j].n && a[i].off < ej && a[j].off < ei) {
				plan_seterr(err, errlen, "%s and %s arrays overlap",
				       a[j].what, a[i].what);
				return -EINVAL;
			}
		}
	}
	return 0;
}

static int cmp_u64_at(uint32_t a, uint32_t b, const void *v)
{
	const uint64_t *k = v;

	if (k[a] != k[b])
		return k[a] < k[b] ? -1 : 1;
	return a < b ? -1 : a > b;
}

struct gather {			/* one entry of a used step at a position */
	uint32_t key;		/* object index */
	uint32_t step;		/* used-step ordinal */
	uint64_t pages;
};

static int cmp_gather(uint32_t a, uint32_t b, const void *v)
{
	const struct gather *g = v;

	if (g[a].key != g[b].key)
		return g[a].key < g[b].key ? -1 : 1;
	if (g[a].step != g[b].step)
		return g[a].step < g[b].step ? -1 : 1;
	return a < b ? -1 : a > b;
}

/* Index of @key in the sorted unique @keys, or NONE. */
static uint32_t find_key(const uint64_t *keys, uint32_t n, uint64_t key)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (keys[mid] == key)
			return mid;
		if (keys[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NONE;
}

void pp_free(struct pp_profile *p)
{
	if (!p)
		return;
	free(p->objs);
	free(p->layers);
	free(p->acc);
	memset(p, 0, sizeof(*p));
}

struct work {
	struct sentinel_profile_layer *ly;
	struct sentinel_profile_entry *en;
	struct sentinel_profile_object *ob;
	uint32_t *sfirst;	/* first layer record of each step, + end */
	uint32_t *used;		/* used steps (indexes into sfirst) */
	uint64_t *keys;		/* sorted unique keys */
	uint64_t *tmpk;
	uint32_t *idx, *tmp;
	uint32_t *rec_of;	/* per key: object record index or NONE */
	uint64_t *maxpg;	/* per key: most pages touched at a position */
	struct gather *g;
	uint32_t *gi;
	uint64_t *dur;
	/* the blob and the options */
	struct sentinel_profile_hdr h;
	uint32_t ps, fl;	/* page size, PP_* flags */
	uint32_t nl, ne, nob;	/* layer, entry and object records */
	/* what the phases found */
	uint32_t nsteps;	/* steps named by the layer records */
	uint32_t tmpl, tlen;	/* the template step and its layers */
	uint32_t nkeys, nacc;
	uint64_t fast_pages;	/* pages present on the fast nodes */
	char *err;
	size_t errlen;
};

static void work_free(struct work *w)
{
	free(w->ly);
	free(w->en);
	free(w->ob);
	free(w->sfirst);
	free(w->used);
	free(w->keys);
	free(w->tmpk);
	free(w->idx);
	free(w->tmp);
	free(w->rec_of);
	free(w->maxpg);
	free(w->g);
	free(w->gi);
	free(w->dur);
}

static bool same_seq(const struct work *w, uint32_t s1, uint32_t s2)
{
	uint32_t a = w->sfirst[s1], n = w->sfirst[s1 + 1] - a;
	uint32_t b = w->sfirst[s2];

	if (n != w->sfirst[s2 + 1] - b)
		return false;
	for (uint32_t i = 0; i < n; i++)
		if (w->ly[a + i].layer != w->ly[b + i].layer ||
		    w->ly[a + i].direction != w->ly[b + i].direction)
			return false;
	return true;
}

int pp_check_blob(const void *buf, size_t len, struct sentinel_profile_hdr *hdr,
		  char *err, size_t errlen)
{
	struct sentinel_profile_hdr h;

	if (!buf || len < sizeof(h)) {
		plan_seterr(err, errlen, "profile too short (%zu bytes)", len);
		return -EINVAL;
	}
	memcpy(&h, buf, sizeof(h));
	if (h.version != SENTINEL_PROFILE_VERSION) {
		plan_seterr(err, errlen, "profile version %u, expected %u", h.version,
		       SENTINEL_PROFILE_VERSION);
		return -EINVAL;
	}
	if (h.size < sizeof(h) || h.size > len || h.size % 8) {
		plan_seterr(err, errlen, "bad profile header size %u", h.size);
		return -EINVAL;
	}
	if (h.total_size < h.size || h.total_size > len) {
		plan_seterr(err, errlen, "profile total size %u, but %zu bytes received",
		       h.total_size, len);
		return -EINVAL;
	}
	if (h.reserved || (h.flags & ~(SENTINEL_PROFILE_F_EXACT |
				       SENTINEL_PROFILE_F_TRUNCATED))) {
		plan_seterr(err, errlen, "unknown profile flags %#x or reserved field %#x",
		       h.flags, h.reserved);
		return -EINVAL;
	}
	if (h.nr_steps > SENTINEL_MAX_PROFILE_STEPS ||
	    (h.nr_layers && !h.nr_steps)) {
		plan_seterr(err, errlen, "bad number of profiled steps %u", h.nr_steps);
		return -EINVAL;
	}
	{
		struct arr a[3] = {
			{ h.layers_off, h.nr_layers, sizeof(struct sentinel_profile_layer),
			  "layer" },
			{ h.entries_off, h.nr_entries, sizeof(struct sentinel_profile_entry),
			  "entry" },
			{ h.objects_off, h.nr_objects, sizeof(struct sentinel_profile_object),
			  "object" },
		};

		if (check_arrays(&h, a, 3, err, errlen))
			return -EINVAL;
	}
	if (hdr)
		*hdr = h;
	return 0;
}

/* The arrays of the phases, and a copy of the records. */
static int work_alloc(struct work *w, const unsigned char *blob)
{
	size_t nk = (size_t)w->nob + w->ne + 1;

	w->ly = calloc((size_t)w->nl + 1, sizeof(*w->ly));
	w->en = calloc((size_t)w->ne + 1, sizeof(*w->en));
	w->ob = calloc((size_t)w->nob + 1, sizeof(*w->ob));
	w->sfirst = calloc(SENTINEL_MAX_PROFILE_STEPS + 2, sizeof(*w->sfirst));
	w->used = calloc(SENTINEL_MAX_PROFILE_STEPS + 1, sizeof(*w->used));
	w->keys = calloc(nk, sizeof(*w->keys));
	w->tmpk = calloc(nk, sizeof(*w->tmpk));
	w->idx = calloc(nk, sizeof(*w->idx));
	w->tmp = calloc(nk, sizeof(*w->tmp));
	w->dur = calloc(SENTINEL_MAX_PROFILE_STEPS + 1, sizeof(*w->dur));
	if (!w->ly || !w->en || !w->ob || !w->sfirst || !w->used || !w->keys ||
	    !w->tmpk || !w->idx || !w->tmp || !w->dur)
		return -ENOMEM;
	if (w->nl)
		memcpy(w->ly, blob + w->h.layers_off, (size_t)w->nl * sizeof(*w->ly));
	if (w->ne)
		memcpy(w->en, blob + w->h.entries_off, (size_t)w->ne * sizeof(*w->en));
	if (w->nob)
		memcpy(w->ob, blob + w->h.objects_off, (size_t)w->nob * sizeof(*w->ob));
	return 0;
}

/* One object record: kind, flags, length against pages, pages present. */
static int check_object(struct work *w, uint32_t i, uint64_t fast_mask)
{
	const struct sentinel_profile_object *o = &w->ob[i];
	uint64_t present = 0;

	if (o->kind >= __SENTINEL_KIND_MAX || (o->flags & ~SENTINEL_OBJ_F_ALL)) {
		plan_seterr(w->err, w->errlen, "object record %u (id %llu): unknown kind %u or flags %#x",
		       i, (unsigned long long)o->id, o->kind, o->flags);
		return -EINVAL;
	}
	if (!o->len || !o->pages || o->len > PLAN_MAX_OBJ_BYTES ||
	    o->pages > o->len / w->ps + 2 || o->len > o->pages * w->ps) {
		plan_seterr(w->err, w->errlen,
		       "object record %u (id %llu): length %llu and %llu pages disagree",
		       i, (unsigned long long)o->id, (unsigned long long)o->len,
		       (unsigned long long)o->pages);
		return -EINVAL;
	}
	for (int n = 0; n < SENTINEL_MAX_NODES; n++) {
		if (o->node_pages[n] > o->pages)
			present = UINT64_MAX;
		else
			present += o->node_pages[n];
		if ((fast_mask >> n & 1) && o->node_pages[n] <= o->pages)
			w->fast_pages += o->node_pages[n];
	}
	if (present > o->pages) {
		plan_seterr(w->err, w->errlen, "object record %u (id %llu): more pages present than spanned",
		       i, (unsigned long long)o->id);
		return -EINVAL;
	}
	return 0;
}

/* Object records: each valid, ids unique. */
static int check_objects(struct work *w, uint64_t fast_mask)
{
	for (uint32_t i = 0; i < w->nob; i++) {
		if (check_object(w, i, fast_mask))
			return -EINVAL;
		w->tmpk[i] = w->ob[i].id;
		w->idx[i] = i;
	}
	plan_msort(w->idx, w->tmp, w->nob, cmp_u64_at, w->tmpk);
	for (uint32_t i = 1; i < w->nob; i++)
		if (w->ob[w->idx[i]].id == w->ob[w->idx[i - 1]].id) {
			plan_seterr(w->err, w->errlen, "object records %u and %u have the same id %llu",
			       w->idx[i - 1], w->idx[i], (unsigned long long)w->ob[w->idx[i]].id);
			return -EINVAL;
		}
	return 0;
}

/* Layer records: contiguous entries, steps in order (w->sfirst, w->nsteps). */
static int check_layers(struct work *w)
{
	uint64_t run = 0, prev_step = 0;

	for (uint32_t i = 0; i < w->nl; i++) {
		const struct sentinel_profile_layer *l = &w->ly[i];

		if (l->reserved || l->direction > SENTINEL_DIR_OPTIMIZER ||
		    l->layer == SENTINEL_LAYER_NONE) {
			plan_seterr(w->err, w->errlen,
			       "layer record %u: bad layer %u, direction %u or reserved %u",
			       i, l->layer, l->direction, l->reserved);
			return -EINVAL;
		}
		if (l->first_entry != run || l->nr_entries > w->ne - run) {
			plan_seterr(w->err, w->errlen,
			       "layer record %u: entries %u+%u, expected to start at %llu of %u",
			       i, l->first_entry, l->nr_entries, (unsigned long long)run, w->ne);
			return -EINVAL;
		}
		run += l->nr_entries;
		if (l->end_ns < l->begin_ns) {
			plan_seterr(w->err, w->errlen, "layer record %u ends before it begins", i);
			return -EINVAL;
		}
		if (l->step < w->h.first_step || (i && l->step < prev_step)) {
			plan_seterr(w->err, w->errlen, "layer record %u: step %llu out of order",
			       i, (unsigned long long)l->step);
			return -EINVAL;
		}
		if (!i || l->step != prev_step) {
			if (w->nsteps == w->h.nr_steps) {
				plan_seterr(w->err, w->errlen, "layer records name more than %u steps",
				       w->h.nr_steps);
				return -EINVAL;
			}
			w->sfirst[w->nsteps++] = i;
		}
		prev_step = l->step;
	}
	w->sfirst[w->nsteps] = w->nl;
	if (run != w->ne) {
		plan_seterr(w->err, w->errlen, "%u entries, but the layers use %llu", w->ne,
		       (unsigned long long)run);
		return -EINVAL;
	}
	return 0;
}

/* Entries: valid pages, unique per layer record. */
static int check_entries(struct work *w)
{
	for (uint32_t i = 0; i < w->nl; i++) {
		const struct sentinel_profile_layer *l = &w->ly[i];

		for (uint32_t e = 0; e < l->nr_entries; e++) {
			const struct sentinel_profile_entry *en = &w->en[l->first_entry + e];

			if (!en->pages || en->pages > PLAN_MAX_OBJ_BYTES / w->ps) {
				plan_seterr(w->err, w->errlen,
				       "entry %u (layer record %u, id %llu): bad page count %llu",
				       l->first_entry + e, i, (unsigned long long)en->id,
				       (unsigned long long)en->pages);
				return -EINVAL;
			}
			w->tmpk[e] = en->id;
			w->idx[e] = e;
		}
		plan_msort(w->idx, w->tmp, l->nr_entries, cmp_u64_at, w->tmpk);
		for (uint32_t e = 1; e < l->nr_entries; e++)
			if (w->tmpk[w->idx[e]] == w->tmpk[w->idx[e - 1]]) {
				plan_seterr(w->err, w->errlen, "layer record %u names object %llu twice",
				       i, (unsigned long long)w->tmpk[w->idx[e]]);
				return -EINVAL;
			}
	}
	return 0;
}

/* The template: the sequence most steps share, earliest on ties; the used steps. */
static int pick_template(struct work *w, const struct pp_opts *opts, struct pp_profile *out)
{
	uint32_t best = 0;

	for (uint32_t s = 0; s < w->nsteps; s++) {
		uint32_t cnt = 0;

		for (uint32_t t = 0; t < w->nsteps; t++)
			cnt += same_seq(w, s, t);
		if (cnt > best) {
			best = cnt;
			w->tmpl = s;
		}
	}
	for (uint32_t s = 0; s < w->nsteps; s++)
		if (same_seq(w, s, w->tmpl))
			w->used[out->steps_used++] = s;
	w->tlen = w->nsteps ? w->sfirst[w->tmpl + 1] - w->sfirst[w->tmpl] : 0;
	if (opts->layer_ns && opts->nr_layer_ns != w->tlen) {
		plan_seterr(w->err, w->errlen,
		       "%u measured layer times given, the profile's step has %u layers",
		       opts->nr_layer_ns, w->tlen);
		return -EINVAL;
	}
	return 0;
}

/* Keys: of the object records and of the used steps' entries, sorted, unique. */
static int collect_keys(struct work *w, const struct pp_profile *out)
{
	uint32_t nk = 0, n = 0;

	for (uint32_t i = 0; i < w->nob; i++)
		w->keys[nk++] = pp_key(w->ob[i].id, w->fl);
	for (uint32_t u = 0; u < out->steps_used; u++) {
		uint32_t s = w->used[u];

		for (uint32_t i = w->sfirst[s]; i < w->sfirst[s + 1]; i++)
			for (uint32_t e = 0; e < w->ly[i].nr_entries; e++)
				w->keys[nk++] = pp_key(w->en[w->ly[i].first_entry + e].id, w->fl);
	}
	for (uint32_t i = 0; i < nk; i++)
		w->idx[i] = i;
	plan_msort(w->idx, w->tmp, nk, cmp_u64_at, w->keys);
	for (uint32_t i = 0; i < nk; i++) {
		uint64_t k = w->keys[w->idx[i]];

		if (!n || w->tmpk[n - 1] != k)
			w->tmpk[n++] = k;
	}
	w->nkeys = n;
	memcpy(w->keys, w->tmpk, (size_t)n * sizeof(*w->keys));
	if (n > PLAN_MAX_OBJS) {
		plan_seterr(w->err, w->errlen, "too many objects (%u)", n);
		return -EINVAL;
	}
	return 0;
}

/* The arrays of the output and of the gathering, sized by the keys. */
static int out_alloc(struct work *w, struct pp_profile *out)
{
	out->objs = calloc((size_t)w->nkeys + 1, sizeof(*out->objs));
	out->layers = calloc((size_t)w->tlen + 1, sizeof(*out->layers));
	out->acc = calloc((size_t)w->ne + 1, sizeof(*out->acc));
	w->rec_of = calloc((size_t)w->nkeys + 1, sizeof(*w->rec_of));
	w->maxpg = calloc((size_t)w->nkeys + 1, sizeof(*w->maxpg));
	w->g = calloc((size_t)w->ne + 1, sizeof(*w->g));
	w->gi = calloc((size_t)w->ne + 1, sizeof(*w->gi));
	if (!out->objs || !out->layers || !out->acc || !w->rec_of || !w->maxpg || !w->g ||
	    !w->gi)
		return -ENOMEM;
	return 0;
}

/*
 * The record of each key: records in id order, the one with the most
 * pages; the lowest id of a key gives its kind and flags.
 */
static void map_records(struct work *w)
{
	for (uint32_t k = 0; k < w->nkeys; k++)
		w->rec_of[k] = NONE;
	for (uint32_t i = 0; i < w->nob; i++) {
		w->idx[i] = i;
		w->tmpk[i] = w->ob[i].id;
	}
	plan_msort(w->idx, w->tmp, w->nob, cmp_u64_at, w->tmpk);
	for (uint32_t i = 0; i < w->nob; i++) {
		uint32_t r = w->idx[i];
		uint32_t k = find_key(w->keys, w->nkeys, pp_key(w->ob[r].id, w->fl));

		if (w->rec_of[k] == NONE || w->ob[r].pages > w->ob[w->rec_of[k]].pages) {
			if (w->rec_of[k] != NONE) {
				/* Keep the first record's kind and flags. */
				w->ob[r].kind = w->ob[w->rec_of[k]].kind;
				w->ob[r].flags = w->ob[w->rec_of[k]].flags;
			}
			w->rec_of[k] = r;
		}
	}
}

/*
 * Template position @j in every used step: its duration (less the scan
 * that ran at its begin) in w->dur, its entries in w->g; returns how many.
 */
static uint32_t gather_position(struct work *w, uint32_t j, const struct pp_profile *out)
{
	uint32_t ng = 0;

	for (uint32_t u = 0; u < out->steps_used; u++) {
		uint32_t ri = w->sfirst[w->used[u]] + j;
		const struct sentinel_profile_layer *l = &w->ly[ri];
		uint64_t d = l->end_ns - l->begin_ns;

		if (ri > w->sfirst[w->used[u]] && l->begin_ns == w->ly[ri - 1].end_ns)
			d -= d < w->ly[ri - 1].scan_ns ? d : w->ly[ri - 1].scan_ns;
		w->dur[u] = d;
		for (uint32_t e = 0; e < l->nr_entries; e++) {
			const struct sentinel_profile_entry *en = &w->en[l->first_entry + e];

			w->g[ng].key = find_key(w->keys, w->nkeys, pp_key(en->id, w->fl));
			w->g[ng].step = u;
			w->g[ng].pages = en->pages;
			w->gi[ng] = ng;
			ng++;
		}
	}
	return ng;
}

/* The lower median of w->dur[0 .. @n), by insertion sort. */
static uint64_t median_duration(struct work *w, uint32_t n)
{
	for (uint32_t a = 1; a < n; a++)
		for (uint32_t b = a; b && w->dur[b - 1] > w->dur[b]; b--) {
			uint64_t t = w->dur[b];

			w->dur[b] = w->dur[b - 1];
			w->dur[b - 1] = t;
		}
	return w->dur[(n - 1) / 2];
}

/* Object @key touched @mx pages (most over the used steps) at position @j. */
static int add_access(struct work *w, uint32_t key, uint64_t mx, uint32_t j,
		      struct pp_profile *out)
{
	if (w->rec_of[key] != NONE) {
		const struct sentinel_profile_object *o = &w->ob[w->rec_of[key]];

		if (mx > o->pages && !(w->fl & PP_RAW_IDS) && (w->keys[key] & SNTL_ID_ALLOC))
			mx = o->pages;	/* two copies in one layer */
		if (mx > o->pages) {
			plan_seterr(w->err, w->errlen,
			       "object %llu: %llu pages touched in layer %u, but it spans %llu",
			       (unsigned long long)w->keys[key], (unsigned long long)mx, j,
			       (unsigned long long)o->pages);
			return -EINVAL;
		}
	}
	if (mx > w->maxpg[key])
		w->maxpg[key] = mx;
	out->acc[w->nacc].obj = key;
	out->acc[w->nacc].pages = mx;
	w->nacc++;
	return 0;
}

/* Layer @j of the template and its accesses. */
static int build_layer(struct work *w, uint32_t j, const struct pp_opts *opts,
		       struct pp_profile *out)
{
	const struct sentinel_profile_layer *tl = &w->ly[w->sfirst[w->tmpl] + j];
	struct plan_layer *pl = &out->layers[j];
	uint32_t ng = gather_position(w, j, out);
	uint64_t med = median_duration(w, out->steps_used);

	pl->layer = tl->layer;
	pl->direction = tl->direction;
	pl->first = w->nacc;
	pl->compute_ns = opts->layer_ns ? opts->layer_ns[j] : med;
	if (pl->compute_ns > PLAN_MAX_LAYER_NS)
		pl->compute_ns = PLAN_MAX_LAYER_NS;
	plan_msort(w->gi, w->tmp, ng, cmp_gather, w->g);
	for (uint32_t a = 0; a < ng; ) {
		uint32_t key = w->g[w->gi[a]].key;
		uint64_t mx = 0;

		/* Per used step the pages of the key's entries; the most of them. */
		while (a < ng && w->g[w->gi[a]].key == key) {
			uint32_t st = w->g[w->gi[a]].step;
			uint64_t sum = 0;

			while (a < ng && w->g[w->gi[a]].key == key && w->g[w->gi[a]].step == st)
				sum += w->g[w->gi[a++]].pages;
			mx = sum > mx ? sum : mx;
		}
		if (add_access(w, key, mx, j, out))
			return -EINVAL;
	}
	pl->count = w->nacc - pl->first;
	return 0;
}

/* Object @k of the output, from its record or estimated from its accesses. */
static void build_object(struct work *w, uint32_t k, struct pp_profile *out)
{
	struct plan_object *po = &out->objs[k];
	uint64_t key = w->keys[k];

	po->id = key;
	po->order = k;
	if (w->rec_of[k] != NONE) {
		const struct sentinel_profile_object *o = &w->ob[w->rec_of[k]];

		po->bytes = o->pages * w->ps;
		po->kind = o->kind;
		po->flags = o->flags;
		/*
		 * A short-lived region is reused layer after layer: what it
		 * needs in fast memory is what one layer touches of it, not
		 * the whole reservation it was mapped with.
		 */
		if ((o->flags & SENTINEL_OBJ_F_SHORT_LIVED) && w->maxpg[k] < o->pages)
			po->bytes = w->maxpg[k] * w->ps;
		return;
	}
	out->nr_estimated++;
	po->bytes = w->maxpg[k] * w->ps;
	po->flags = PLAN_OBJ_F_ESTIMATED;
	if (key & SNTL_ID_ALLOC && !(w->fl & PP_RAW_IDS)) {
		uint64_t lid = key & SNTL_LID_MASK;

		po->kind = SNTL_LID_KIND(lid) < __SENTINEL_KIND_MAX ?
			   SNTL_LID_KIND(lid) : SENTINEL_KIND_OTHER;
		if (SNTL_LID_CLASS(lid) == 0)
			po->flags |= SENTINEL_OBJ_F_SHORT_LIVED;
	}
}

static int build_objects(struct work *w, struct pp_profile *out)
{
	uint64_t total = 0;

	for (uint32_t k = 0; k < w->nkeys; k++) {
		build_object(w, k, out);
		total += out->objs[k].bytes;
		if (out->objs[k].bytes > PLAN_MAX_OBJ_BYTES || total > PLAN_MAX_TOTAL_BYTES) {
			plan_seterr(w->err, w->errlen, "objects too large in total");
			return -EINVAL;
		}
	}
	return 0;
}

/* The planner's view and the profile's own figures. */
static void fill_out(const struct work *w, struct pp_profile *out)
{
	uint64_t lo = UINT64_MAX, hi = 0;

	out->in.objs = out->objs;
	out->in.nr_objs = w->nkeys;
	out->in.layers = out->layers;
	out->in.nr_layers = w->tlen;
	out->in.acc = out->acc;
	out->in.nr_acc = w->nacc;
	out->in.page_size = w->ps;
	out->session_id = w->h.session_id;
	out->generation = w->h.generation;
	out->first_step = w->h.first_step;
	out->nr_steps = w->nsteps;
	out->hdr_flags = w->h.flags;
	out->nr_records = w->nob;
	out->fast_resident_pages = w->fast_pages;
	out->scan_ns = w->h.scan_ns;
	out->span_ns = 0;
	for (uint32_t i = 0; i < w->nl; i++) {
		if (w->ly[i].begin_ns && w->ly[i].begin_ns < lo)
			lo = w->ly[i].begin_ns;
		if (w->ly[i].end_ns > hi)
			hi = w->ly[i].end_ns;
	}
	if (lo != UINT64_MAX && hi > lo)
		out->span_ns = hi - lo;
}

/* The phases of pp_parse() after the blob's layout was checked. */
static int parse_work(struct work *w, const unsigned char *blob, const struct pp_opts *opts,
		      struct pp_profile *out)
{
	int ret;

	if (w->nob > PLAN_MAX_OBJS || w->ne > PLAN_MAX_ACCESSES ||
	    w->nl > PLAN_MAX_LAYERS * (uint64_t)SENTINEL_MAX_PROFILE_STEPS) {
		plan_seterr(w->err, w->errlen, "profile too large (%u layers, %u entries, %u objects)",
		       w->nl, w->ne, w->nob);
		return -EINVAL;
	}
	ret = work_alloc(w, blob);
	if (ret)
		return ret;
	if (check_objects(w, opts->fast_mask) || check_layers(w) || check_entries(w) ||
	    pick_template(w, opts, out) || collect_keys(w, out))
		return -EINVAL;
	ret = out_alloc(w, out);
	if (ret)
		return ret;
	map_records(w);
	for (uint32_t j = 0; j < w->tlen; j++)
		if (build_layer(w, j, opts, out))
			return -EINVAL;
	if (build_objects(w, out))
		return -EINVAL;
	fill_out(w, out);
	return 0;
}

int pp_parse(const void *buf, size_t len, const struct pp_opts *opts,
	     struct pp_profile *out, char *err, size_t errlen)
{
	struct pp_opts def = { 0 };
	struct work w;
	int ret;

	memset(&w, 0, sizeof(w));
	w.err = err;
	w.errlen = errlen;
	if (!out) {
		plan_seterr(err, errlen, "no output");
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
	if (!opts)
		opts = &def;
	w.ps = opts->page_size ? opts->page_size : 4096;
	w.fl = opts->flags;
	if (w.ps < 512 || w.ps > (1U << 30) || (w.ps & (w.ps - 1)) || (w.fl & ~PP_RAW_IDS)) {
		plan_seterr(err, errlen, "bad options (page size %u, flags %#x)", w.ps, w.fl);
		return -EINVAL;
	}
	if (pp_check_blob(buf, len, &w.h, err, errlen))
		return -EINVAL;
	w.nl = w.h.nr_layers;
	w.ne = w.h.nr_entries;
	w.nob = w.h.nr_objects;
	ret = parse_work(&w, buf, opts, out);
	if (ret == -ENOMEM)
		plan_seterr(err, errlen, "out of memory");
	work_free(&w);
	if (ret)
		pp_free(out);
	return ret;
}
