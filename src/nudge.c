/* nudge: see nudge.h. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nudge.h"

#define DAY 86400

static const char *const kind_names[NUDGE_N] = {"follow-up", "reply-owed", "reconnect",
						"one-sided"};

const char *nudge_kind_name(enum nudge_kind k)
{
	return (unsigned)k < NUDGE_N ? kind_names[k] : "?";
}

int nudge_kind_parse(const char *s)
{
	for (int k = 0; k < NUDGE_N; k++)
		if (strcmp(s, kind_names[k]) == 0)
			return k;
	return -1;
}

static void date_of(int64_t t, char buf[16])
{
	char iso[32];
	epoch_to_iso(t, iso);
	memcpy(buf, iso, 10);
	buf[10] = '\0';
}

static void add(const struct model *md, struct nudge_list *l, enum nudge_kind kind,
		uint32_t client, const char *key, const struct model_msg *about, int64_t due,
		char *reason)
{
	if (l->n % 64 == 0)
		l->v = xrealloc(l->v, (l->n + 64) * sizeof(*l->v));
	/* a cadence nudge about a client without a message has no about */
	l->v[l->n++] = (struct nudge){kind, client, xstrdup(key), about ? about->id : 0,
				      about ? (uint32_t)(about - md->m) : MODEL_NONE,
				      about ? about->date : due, due, reason};
}

/* What one client's projections say, gathered in one pass. */
struct scan {
	struct model *md;
	struct nudge_list *out;
	uint32_t client;
	uint32_t last_msg;        /* the client's latest counted message */
	const char *last_key;     /* ... and its thread's key */
	uint32_t unanswered_msg;  /* first message of the latest unanswered outreach */
	int64_t unanswered_t0;
};

static void on_proj(void *ud, uint32_t thread, const uint32_t *msgs, size_t n,
		    const struct score_proj *p)
{
	struct scan *x = ud;
	struct model *md = x->md;
	const struct conf *c = md->conf;
	const struct model_msg *first = &md->m[msgs[0]], *last = &md->m[msgs[n - 1]];
	const char *key = strtab_str(&md->ids, first->mid);
	int64_t t0 = first->date, rw = (int64_t)c->scoring.reply_window_days * DAY;
	char d[16];
	(void)thread;

	if (x->last_msg == MODEL_NONE || last->date >= md->m[x->last_msg].date) {
		x->last_msg = msgs[n - 1];
		x->last_key = key;
	}
	bool inbound = false, answered = false, outbound = false;
	for (size_t i = 0; i < n; i++)
		outbound |= p->m[i].outbound;
	for (size_t i = 1; i < n; i++)
		if (!p->m[i].outbound) {
			inbound = true;
			answered |= p->m[i].date > t0 && p->m[i].date <= t0 + rw;
		}
	if (p->initiator == INIT_LIAISON && !p->undelivered) {
		/* the latest unanswered decided outreach, for the one-sided nudge */
		if (!answered && md->as_of - t0 >= rw && t0 >= x->unanswered_t0) {
			x->unanswered_msg = msgs[0];
			x->unanswered_t0 = t0;
		}
		/* follow-up: no word from the client at all, the latest
		 * outbound between followup_days and give_up_days old */
		double age = (double)(md->as_of - last->date) / DAY;
		if (!inbound && age >= c->nudges.followup_days && age <= c->nudges.give_up_days) {
			date_of(last->date, d);
			add(md, x->out, NUDGE_FOLLOWUP, x->client, key, last,
			    last->date + (int64_t)c->nudges.followup_days * DAY,
			    n > 1 ? xasprintf("no answer to %zu messages, the latest on %s", n, d)
				  : xasprintf("no answer to your message of %s", d));
		}
	}
	/* reply-owed: only while the liaison has not answered at all; after
	 * an answer, a later message from the client is most often a closing
	 * "thanks" that headers cannot tell from a new question */
	if (p->initiator == INIT_CLIENT && !outbound && last->dir == DIR_INBOUND && last->to_me) {
		double age = (double)(md->as_of - last->date) / DAY;
		if (age >= c->nudges.owed_days && age <= c->nudges.owed_give_up_days) {
			date_of(last->date, d);
			add(md, x->out, NUDGE_REPLY_OWED, x->client, key, last,
			    last->date + (int64_t)c->nudges.owed_days * DAY,
			    xasprintf("their message of %s is waiting for your answer", d));
		}
	}
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

struct dates {
	int64_t *v;
	size_t n, cap;
};

static void on_dates(void *ud, uint32_t thread, const uint32_t *msgs, size_t n,
		     const struct score_proj *p)
{
	struct dates *x = ud;
	(void)thread;
	(void)msgs;
	for (size_t i = 0; i < n; i++) {
		if (x->n == x->cap) {
			x->cap = x->cap ? x->cap * 2 : 64;
			x->v = xrealloc(x->v, x->cap * sizeof(*x->v));
		}
		x->v[x->n++] = p->m[i].date;
	}
}

/* reconnect: the tie was at least moderate as of the last message, and
 * the silence since exceeds both reconnect_gap_factor times the median gap
 * between the client's messages in the window and reconnect_days. */
/* A cadence (an override): the silence (no personal message either way
 * in the window) exceeds the interval the liaison wants, whatever the tie;
 * due at the last message + the cadence, or, with no message at all, a
 * cadence after it was set. */
static void cadence(struct scan *x, int64_t last)
{
	struct model *md = x->md;
	const struct model_client *cl = &md->clients[x->client];
	int64_t need = (int64_t)cl->cadence_days * DAY, from = last ? last : cl->cadence_set_at;
	if (md->as_of - from <= need)
		return;
	char d[16];
	date_of(from, d);
	add(md, x->out, NUDGE_RECONNECT, x->client, last ? x->last_key : "cadence",
	    last ? &md->m[x->last_msg] : NULL, from + need,
	    last ? xasprintf("no message for %lld days, since %s; you wanted one every %d days",
			     (long long)((md->as_of - from) / DAY), d, cl->cadence_days)
		 : xasprintf("no message yet; you wanted one every %d days (since %s)",
			     cl->cadence_days, d));
}

static void reconnect(struct scan *x)
{
	struct model *md = x->md;
	const struct conf *c = md->conf;
	if (md->clients[x->client].cadence_days > 0) {
		int64_t last = x->last_msg == MODEL_NONE ? 0 : md->m[x->last_msg].date;
		cadence(x, last);
		return;
	}
	if (x->last_msg == MODEL_NONE)
		return;
	struct dates ds = {0};
	model_each_projection(md, x->client, on_dates, &ds);
	if (ds.n < 2) { /* a gap needs two messages */
		free(ds.v);
		return;
	}
	qsort(ds.v, ds.n, sizeof(*ds.v), cmp_i64);
	double *gaps = xmalloc(ds.n * sizeof(double));
	for (size_t i = 1; i < ds.n; i++)
		gaps[i - 1] = (double)(ds.v[i] - ds.v[i - 1]);
	double median = score_median(gaps, ds.n - 1);
	int64_t last = ds.v[ds.n - 1];
	free(gaps);
	free(ds.v);
	double silence = (double)(md->as_of - last);
	double need = c->nudges.reconnect_gap_factor * median;
	if ((double)c->nudges.reconnect_days * DAY > need)
		need = (double)c->nudges.reconnect_days * DAY;
	if (silence <= need)
		return;
	struct score then;
	model_score_at(md, x->client, last, &then);
	if (then.tie_strength < c->scoring.class_moderate)
		return;
	char d[16];
	date_of(last, d);
	add(md, x->out, NUDGE_RECONNECT, x->client, x->last_key, &md->m[x->last_msg],
	    last + (int64_t)need,
	    xasprintf("no message for %lld days, since %s (usually one every %.1f days); the tie "
		      "was %s", (long long)(silence / DAY), d, median / DAY,
		      then.klass == CLASS_STRONG ? "strong" : "moderate"));
}

void nudge_derive(struct model *md, struct nudge_list *ret)
{
	struct nudge_list out = {0};
	for (uint32_t ci = 0; ci < md->nclients; ci++) {
		const struct score *s = &md->clients[ci].score;
		struct scan x = {md, &out, ci, MODEL_NONE, NULL, MODEL_NONE, 0};
		model_each_projection(md, ci, on_proj, &x);
		reconnect(&x);
		if (s->one_sided && x.unanswered_msg != MODEL_NONE) {
			const struct model_msg *m = &md->m[x.unanswered_msg];
			add(md, &out, NUDGE_ONE_SIDED, ci, strtab_str(&md->ids, m->mid), m,
			    s->one_sided_since,
			    xasprintf("%d of %d outreach threads unanswered: try another channel, a "
				      "visit or a meeting", s->decided - s->answered, s->decided));
		}
	}
	*ret = out;
}

void nudge_list_free(struct nudge_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].reason);
	}
	free(l->v);
	*l = (struct nudge_list){0};
}

/* A nudge's identity within an account, as a key of the seen set. */
static char *seen_key(int64_t client, const char *kind, const char *key)
{
	return xasprintf("%lld\x1f%s\x1f%s", (long long)client, kind, key);
}

static bool was_seen(void *ud, int64_t client, const char *kind, const char *key)
{
	char *k = seen_key(client, kind, key);
	bool seen = strtab_find(ud, k) != STRTAB_NONE;
	free(k);
	return seen;
}

int nudge_store(struct model *md, struct store *st, const struct nudge_list *l, int64_t now)
{
	struct strtab seen = {0};
	int r = 0;
	for (size_t i = 0; i < l->n && r == 0; i++) {
		struct model_client *cl = &md->clients[l->v[i].client];
		if (!cl->db_id && store_mail_client(st, cl->first_address, cl->department,
						    &cl->db_id) < 0) {
			r = -EIO;
			break;
		}
		const char *kind = nudge_kind_name(l->v[i].kind);
		r = store_nudge_put(st, md->account, cl->db_id, kind, l->v[i].key, l->v[i].message,
				    l->v[i].due, l->v[i].reason, now);
		char *k = seen_key(cl->db_id, kind, l->v[i].key);
		strtab_intern(&seen, k);
		free(k);
	}
	if (r == 0)
		r = store_nudges_resolve_unseen(st, md->account, was_seen, &seen, now);
	strtab_free(&seen);
	return r;
}
