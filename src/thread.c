/* thread: see thread.h. */
#include "config.h"

#include <stdlib.h>

#include "thread.h"

static uint32_t find(uint32_t *parent, uint32_t x)
{
	while (parent[x] != x) {
		parent[x] = parent[parent[x]]; /* path halving */
		x = parent[x];
	}
	return x;
}

static void unite(uint32_t *parent, uint32_t a, uint32_t b)
{
	a = find(parent, a);
	b = find(parent, b);
	/* the smaller id stays the root, so the result does not depend on the
	 * order of the unions */
	if (a < b)
		parent[b] = a;
	else if (b < a)
		parent[a] = b;
}

/* The last personal message per (subject, client), for the subject rule:
 * a hash of the pair to a message index. */
struct lastmap {
	uint64_t *keys;
	uint32_t *vals;
	size_t n, cap;
};

static uint64_t key(uint32_t subj, uint32_t client)
{
	return ((uint64_t)subj << 32) | client;
}

static size_t slot(const struct lastmap *lm, uint64_t k)
{
	uint64_t h = k * 0x9e3779b97f4a7c15ULL;
	size_t i = (size_t)(h >> 17) & (lm->cap - 1);
	while (lm->vals[i] != MODEL_NONE && lm->keys[i] != k)
		i = (i + 1) & (lm->cap - 1);
	return i;
}

static void lm_put(struct lastmap *lm, uint64_t k, uint32_t v)
{
	if ((lm->n + 1) * 2 > lm->cap) {
		struct lastmap old = *lm;
		lm->cap = old.cap ? old.cap * 2 : 1024;
		lm->keys = xcalloc(lm->cap, sizeof(*lm->keys));
		lm->vals = xmalloc(lm->cap * sizeof(*lm->vals));
		for (size_t i = 0; i < lm->cap; i++)
			lm->vals[i] = MODEL_NONE;
		lm->n = 0;
		for (size_t i = 0; i < old.cap; i++)
			if (old.vals[i] != MODEL_NONE)
				lm_put(lm, old.keys[i], old.vals[i]);
		free(old.keys);
		free(old.vals);
	}
	size_t i = slot(lm, k);
	if (lm->vals[i] == MODEL_NONE)
		lm->n++;
	lm->keys[i] = k;
	lm->vals[i] = v;
}

static uint32_t lm_get(const struct lastmap *lm, uint64_t k)
{
	return lm->cap ? lm->vals[slot(lm, k)] : MODEL_NONE;
}

void thread_build(struct model *md)
{
	if (!md->ref)
		return; /* built: its input is gone */
	size_t nid = md->ids.n;
	uint32_t *parent = xmalloc((nid ? nid : 1) * sizeof(*parent));
	for (size_t i = 0; i < nid; i++)
		parent[i] = (uint32_t)i;

	for (size_t i = 0; i < md->n; i++) {
		const struct model_msg *m = &md->m[i];
		for (uint32_t r = 0; r < md->ref[i].n; r++)
			unite(parent, m->mid, md->refs[md->ref[i].off + r]);
		if (m->parent != MODEL_NONE)
			unite(parent, m->mid, m->parent);
	}

	/* the subject rule, in the model's order (date, then Message-ID at one
	 * instant), so "the most recent before it" is simply the last one seen
	 * per (subject, client), same-dated copies included */
	struct lastmap lm = {0};
	int64_t reach = (int64_t)md->conf->scoring.subject_thread_days * 86400;
	for (size_t i = 0; i < md->n; i++) {
		const struct model_msg *m = &md->m[i];
		if (m->kind != MSG_PERSONAL || m->n_cp == 0)
			continue;
		if (!m->has_thread_hdrs) {
			uint32_t best = MODEL_NONE;
			for (uint32_t c = 0; c < m->n_cp; c++) {
				uint32_t j = lm_get(&lm, key(md->subj[i], md->cp[m->cp_off + c]));
				if (j != MODEL_NONE && m->date - md->m[j].date <= reach &&
				    (best == MODEL_NONE || j > best))
					best = j;
			}
			if (best != MODEL_NONE)
				unite(parent, m->mid, md->m[best].mid);
		}
		for (uint32_t c = 0; c < m->n_cp; c++)
			lm_put(&lm, key(md->subj[i], md->cp[m->cp_off + c]), (uint32_t)i);
	}
	free(lm.keys);
	free(lm.vals);

	for (size_t i = 0; i < md->n; i++)
		md->m[i].thread = find(parent, md->m[i].mid);
	free(parent);
	free(md->subj);
	free(md->ref);
	free(md->refs);
	md->subj = md->refs = NULL;
	md->ref = NULL;
	md->nrefs = 0;
}
