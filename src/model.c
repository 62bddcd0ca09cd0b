/* model: see model.h. */
#include "config.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "model.h"
#include "nudge.h"
#include "thread.h"

#define UNASSIGNED "(unassigned)"

/* A projection entry: one message for one client (with what judging a
 * window reads of the message, so that it touches no message row). */
struct pent {
	uint32_t client, thread, msg;
	bool outbound;
	int8_t initiator;   /* of a projection that starts with this message */
	int64_t date;
};

/* What loading needs besides the model itself. */
struct loader {
	struct model *md;
	struct store *st;
	struct strlist identity;     /* this account's own addresses */
	struct strlist colleagues;   /* every account's: never a client */
	struct strlist rule_domains, rule_names; /* department rules */
	int64_t touched_after;
	bool keep_subjects;
	struct strtab subjects; /* normalised subjects: only their ids outlive loading */
	/* per message (model order): the interned sender address */
	uint32_t *from;
	/* db id -> message index, through db ids sorted */
	int64_t *dbid;
	uint32_t *dbidx;
	size_t cursor;
	int64_t cur_id;
	uint32_t cur_msg;
	/* overrides */
	struct strlist ignored_addrs, ignored_names;
	struct strlist merge_from, merge_into;  /* pairs: from joins into */
	struct strlist cadence_of;
	int *cadence_days;
	int64_t *cadence_set_at;
	/* correspondents stored before (source "mail", named by their
	 * address): row id and department, so an unchanged one costs no
	 * lookup when it is saved */
	struct strtab stored_addr;
	int64_t *stored_id;
	char **stored_dept;
};

struct model_priv {
	struct pent *pe;
	size_t npe;
	size_t *client_start; /* nclients + 1 offsets into pe */
	uint32_t *bounce_order; /* bounce message indexes sorted by original id */
	size_t nbounce;
};

static struct model_priv *priv(struct model *md)
{
	if (!md->priv)
		md->priv = xcalloc(1, sizeof(struct model_priv));
	return md->priv;
}

/* ---- clients --------------------------------------------------------------- */

static const char *department_of(const struct loader *l, const char *addr)
{
	const char *d = addr_domain(addr);
	const char *best = NULL;
	size_t best_len = 0;
	for (size_t i = 0; i < l->rule_domains.n; i++) {
		size_t n = strlen(l->rule_domains.v[i]);
		if (n > best_len && addr_domain_matches(d, l->rule_domains.v[i])) {
			best = l->rule_names.v[i];
			best_len = n;
		}
	}
	return best ? best : UNASSIGNED;
}

static bool never_client(const struct loader *l, const char *addr)
{
	if (sl_contains(&l->colleagues, addr) || addr_is_role(addr) ||
	    sl_contains(&l->ignored_addrs, addr))
		return true;
	for (size_t i = 0; i < l->md->conf->ignore.n; i++)
		if (addr_glob(l->md->conf->ignore.v[i], addr))
			return true;
	return false;
}

static uint32_t add_client(struct model *md, int64_t db_id, const char *name, const char *dept,
			   const char *addr, bool roster)
{
	if (md->nclients % 256 == 0)
		md->clients = xrealloc(md->clients, (md->nclients + 256) * sizeof(*md->clients));
	struct model_client *c = &md->clients[md->nclients];
	*c = (struct model_client){0};
	c->db_id = db_id;
	c->name = xstrdup(name);
	c->department = xstrdup(dept);
	c->first_address = xstrdup(addr);
	c->roster = roster;
	return (uint32_t)md->nclients++;
}

/* Interns an address, keeping client_of_addr the same length. */
static uint32_t addr_id(struct model *md, const char *addr)
{
	size_t before = md->addr.n;
	uint32_t id = strtab_intern(&md->addr, addr);
	if (md->addr.n > before) {
		if (before % 4096 == 0)
			md->client_of_addr = xrealloc(md->client_of_addr,
						      (before + 4096) * sizeof(uint32_t));
		md->client_of_addr[id] = MODEL_NONE;
	}
	return id;
}

static void claim(struct model *md, const char *addr, uint32_t ci)
{
	uint32_t id = addr_id(md, addr); /* may move client_of_addr */
	md->client_of_addr[id] = ci;
}

uint32_t model_client_of(const struct model *md, const char *addr)
{
	uint32_t id = strtab_find(&md->addr, addr);
	return id == STRTAB_NONE ? MODEL_NONE : md->client_of_addr[id];
}

/* Whether a ';'-separated list of account names names account (an
 * empty list names every account). */
static bool names_account(const char *liaisons, const char *account)
{
	if (!liaisons || !*liaisons)
		return true;
	size_t n = strlen(account);
	for (const char *p = liaisons; *p;) {
		const char *e = strchr(p, ';');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && memcmp(p, account, n) == 0)
			return true;
		p += len + (e != NULL);
	}
	return false;
}

static int on_roster(void *ud, int64_t id, const char *name, const char *department,
		     const char *source, const char *addr, const char *liaisons)
{
	struct loader *l = ud;
	struct model *md = l->md;
	if (strcmp(source, "mail") == 0 && strcmp(name, addr) == 0) {
		size_t before = l->stored_addr.n;
		uint32_t k = strtab_intern(&l->stored_addr, addr);
		if (l->stored_addr.n > before) {
			if (before % 1024 == 0) {
				l->stored_id = xrealloc(l->stored_id, (before + 1024) * sizeof(int64_t));
				l->stored_dept = xrealloc(l->stored_dept, (before + 1024) * sizeof(char *));
			}
			l->stored_id[k] = id;
			l->stored_dept[k] = department ? xstrdup(department) : NULL;
		}
		return 0;
	}
	if (strcmp(source, "roster") != 0 || never_client(l, addr) ||
	    sl_contains(&l->ignored_names, name) || model_client_of(md, addr) != MODEL_NONE)
		return 0;
	uint32_t ci = MODEL_NONE;
	for (size_t i = md->nclients; i > 0; i--)
		if (md->clients[i - 1].db_id == id) {
			ci = (uint32_t)(i - 1);
			break;
		}
	if (ci == MODEL_NONE)
		ci = add_client(md, id, name,
				department && *department ? department : department_of(l, addr),
				addr, true);
	md->clients[ci].assigned = names_account(liaisons, md->account_name);
	claim(md, addr, ci);
	return 0;
}

static int on_rule(void *ud, const char *domain, const char *department)
{
	struct loader *l = ud;
	sl_add(&l->rule_domains, domain);
	sl_add(&l->rule_names, department);
	return 0;
}

/* The client of a counterpart address; a new correspondent client when
 * track_unknown allows it (create). */
static uint32_t resolve(struct loader *l, const char *addr, bool create)
{
	struct model *md = l->md;
	uint32_t ci = model_client_of(md, addr);
	if (ci != MODEL_NONE || !create || !md->conf->track_unknown || never_client(l, addr))
		return ci;
	const char *dept = department_of(l, addr);
	uint32_t k = strtab_find(&l->stored_addr, addr);
	bool same = k != STRTAB_NONE && l->stored_dept[k] && strcmp(l->stored_dept[k], dept) == 0;
	ci = add_client(md, same ? l->stored_id[k] : 0, addr, dept, addr, false);
	claim(md, addr, ci);
	return ci;
}

static void push(uint32_t **arr, size_t *n, uint32_t v);

/* Filters the clients of each message's span through map, into a new
 * array. */
static uint32_t *remap_spans(struct model *md, struct model_span *sp, const uint32_t *old,
			     const uint32_t *map, size_t *ret_n)
{
	uint32_t *out = NULL;
	size_t n = 0;
	for (size_t i = 0; i < md->n; i++) {
		uint32_t start = (uint32_t)n;
		for (uint32_t k = 0; k < sp[i].n; k++)
			if (map[old[sp[i].off + k]] != MODEL_NONE)
				push(&out, &n, map[old[sp[i].off + k]]);
		sp[i] = (struct model_span){start, (uint32_t)n - start};
	}
	*ret_n = n;
	return out;
}

/* DOMAIN.md §1 "Whose client": keeps the roster clients that name this
 * account (or none) and every client that exchanged a personal message
 * with it (a correspondent always did, unless only a merge made it); the
 * others are some other liaison's and leave the model. */
static void keep_members(struct model *md)
{
	bool *member = xcalloc(md->nclients + 1, sizeof(bool));
	for (size_t i = 0; i < md->nclients; i++)
		member[i] = md->clients[i].roster && md->clients[i].assigned;
	for (size_t i = 0; i < md->ncp; i++)
		member[md->cp[i]] = true;
	uint32_t *map = xmalloc((md->nclients + 1) * sizeof(uint32_t));
	size_t kept = 0;
	for (size_t i = 0; i < md->nclients; i++) {
		if (!member[i]) {
			map[i] = MODEL_NONE;
			free(md->clients[i].name);
			free(md->clients[i].department);
			free(md->clients[i].first_address);
			continue;
		}
		map[i] = (uint32_t)kept;
		md->clients[kept++] = md->clients[i];
	}
	free(member);
	if (kept == md->nclients) {
		free(map);
		return;
	}
	md->nclients = kept;
	for (size_t i = 0; i < md->ncp; i++)
		md->cp[i] = map[md->cp[i]];
	if (md->to) {
		size_t n;
		uint32_t *v = remap_spans(md, md->to, md->rcpt, map, &n);
		free(md->rcpt);
		md->rcpt = v;
		md->nrcpt = n;
	}
	size_t kept_fail = 0;
	for (size_t i = 0; i < md->nfail; i++)
		if (map[md->fail[i].client] != MODEL_NONE)
			md->fail[kept_fail++] = (struct model_fail){md->fail[i].msg,
								    map[md->fail[i].client]};
	md->nfail = kept_fail;
	for (size_t i = 0; i < md->n; i++)
		if (md->m[i].sender != MODEL_NONE)
			md->m[i].sender = map[md->m[i].sender];
	for (size_t i = 0; i < md->addr.n; i++)
		if (md->client_of_addr[i] != MODEL_NONE)
			md->client_of_addr[i] = map[md->client_of_addr[i]];
	free(map);
}

/* ---- overrides --------------------------------------------------------------- */

static bool is_address(const char *s)
{
	return strchr(s, '@') != NULL;
}

static int on_override(void *ud, const struct store_override *o)
{
	struct loader *l = ud;
	if (!strcmp(o->kind, "ignore")) {
		sl_add(is_address(o->subject) ? &l->ignored_addrs : &l->ignored_names, o->subject);
	} else if (!strcmp(o->kind, "merge") && o->target) {
		sl_add(&l->merge_from, o->subject);
		sl_add(&l->merge_into, o->target);
	} else if (!strcmp(o->kind, "cadence") && o->days > 0) {
		size_t n = l->cadence_of.n;
		sl_add(&l->cadence_of, o->subject);
		l->cadence_days = xrealloc(l->cadence_days, (n + 1) * sizeof(int));
		l->cadence_set_at = xrealloc(l->cadence_set_at, (n + 1) * sizeof(int64_t));
		l->cadence_days[n] = o->days;
		l->cadence_set_at[n] = o->set_at;
	}
	return 0;
}

/* One side of a merge: the roster client it names (by name or address),
 * or MODEL_NONE for a correspondent's address; its addresses in *addrs. */
static uint32_t merge_side(struct loader *l, const char *x, struct strlist *addrs)
{
	struct model *md = l->md;
	if (is_address(x)) {
		if (!never_client(l, x))
			sl_add(addrs, x);
		return model_client_of(md, x);
	}
	for (size_t ci = 0; ci < md->nclients; ci++)
		if (strcmp(md->clients[ci].name, x) == 0) {
			for (size_t a = 0; a < md->addr.n; a++)
				if (md->client_of_addr[a] == ci)
					sl_add(addrs, strtab_str(&md->addr, (uint32_t)a));
			return (uint32_t)ci;
		}
	return MODEL_NONE;
}

/* "Same person": the second side's addresses join the first's client; a
 * roster client keeps its name and department whichever side it is on;
 * two correspondents become one named after the first. Two roster clients
 * are never joined (the CLI refuses it; a roster changed since is kept). */
static void apply_merges(struct loader *l)
{
	struct model *md = l->md;
	for (size_t i = 0; i < l->merge_from.n; i++) {
		struct strlist a = {0}, b = {0};
		uint32_t ca = merge_side(l, l->merge_into.v[i], &a);
		uint32_t cb = merge_side(l, l->merge_from.v[i], &b);
		uint32_t keep = ca != MODEL_NONE ? ca : cb;
		if ((ca != MODEL_NONE && cb != MODEL_NONE) || !a.n || !b.n)
			keep = MODEL_NONE; /* two roster clients, the same one, or gone */
		if (keep == MODEL_NONE && ca == MODEL_NONE && cb == MODEL_NONE && a.n && b.n &&
		    md->conf->track_unknown)
			keep = add_client(md, 0, a.v[0], department_of(l, a.v[0]), a.v[0], false);
		for (size_t k = 0; keep != MODEL_NONE && k < a.n; k++)
			claim(md, a.v[k], keep);
		for (size_t k = 0; keep != MODEL_NONE && k < b.n; k++)
			claim(md, b.v[k], keep);
		sl_free(&a);
		sl_free(&b);
	}
}

/* The cadences, once the clients are final. */
static void apply_cadences(struct loader *l)
{
	struct model *md = l->md;
	for (size_t i = 0; i < l->cadence_of.n; i++) {
		const char *x = l->cadence_of.v[i];
		uint32_t ci = is_address(x) ? model_client_of(md, x) : MODEL_NONE;
		for (size_t k = 0; ci == MODEL_NONE && k < md->nclients; k++)
			if (strcmp(md->clients[k].name, x) == 0)
				ci = (uint32_t)k;
		if (ci != MODEL_NONE) {
			md->clients[ci].cadence_days = l->cadence_days[i];
			md->clients[ci].cadence_set_at = l->cadence_set_at[i];
		}
	}
}

/* ---- messages -------------------------------------------------------------- */

static enum msg_kind kind_of(const char *s)
{
	for (int k = 0; k < 5; k++)
		if (s && strcmp(s, msg_kind_name((enum msg_kind)k)) == 0)
			return (enum msg_kind)k;
	return MSG_PERSONAL;
}

static enum msg_direction dir_of(const char *s)
{
	if (s && strcmp(s, "outbound") == 0)
		return DIR_OUTBOUND;
	if (s && strcmp(s, "inbound") == 0)
		return DIR_INBOUND;
	return DIR_UNRELATED;
}

static int on_message(void *ud, const struct store_msg_row *r)
{
	struct loader *l = ud;
	struct model *md = l->md;
	if (md->n % 4096 == 0) {
		md->m = xrealloc(md->m, (md->n + 4096) * sizeof(*md->m));
		md->subj = xrealloc(md->subj, (md->n + 4096) * sizeof(*md->subj));
		l->from = xrealloc(l->from, (md->n + 4096) * sizeof(*l->from));
		if (l->keep_subjects)
			md->subject = xrealloc(md->subject, (md->n + 4096) * sizeof(char *));
	}
	if (l->keep_subjects)
		md->subject[md->n] = xstrdup(r->subject ? r->subject : "");
	struct model_msg *m = &md->m[md->n];
	*m = (struct model_msg){0};
	m->id = r->id;
	m->date = r->date;
	m->kind = kind_of(r->kind);
	m->dir = dir_of(r->direction);
	m->reply_subject = r->subject && msg_subject_is_reply(r->subject);
	m->fwd_subject = r->subject && msg_subject_is_forward(r->subject);
	m->has_thread_hdrs = r->in_reply_to != NULL; /* or References: flush_refs */
	m->bounce_per_recipient = r->bounce_per_recipient;
	m->mid = strtab_intern(&md->ids, r->message_id);
	m->parent = r->in_reply_to ? strtab_intern(&md->ids, r->in_reply_to) : MODEL_NONE;
	md->subj[md->n] = strtab_intern(&l->subjects, r->subject_norm ? r->subject_norm : "");
	m->bounce_orig = r->bounce_orig_id && m->kind == MSG_BOUNCE
				 ? strtab_intern(&md->ids, r->bounce_orig_id) : MODEL_NONE;
	l->from[md->n] = r->from ? addr_id(md, r->from) : MODEL_NONE;
	md->n++;
	return 0;
}

static int cmp_dbid(const void *a, const void *b, void *ud)
{
	const int64_t *ids = ud;
	int64_t x = ids[*(const uint32_t *)a], y = ids[*(const uint32_t *)b];
	return x < y ? -1 : x > y;
}

static int cmp_fail(const void *a, const void *b)
{
	const struct model_fail *x = a, *y = b;
	if (x->msg != y->msg)
		return x->msg < y->msg ? -1 : 1;
	return x->client < y->client ? -1 : x->client > y->client;
}

/* Finds the model index of db message id (detail rows come in id order). */
static uint32_t msg_index(struct loader *l, int64_t id)
{
	while (l->cursor < l->md->n && l->dbid[l->dbidx[l->cursor]] < id)
		l->cursor++;
	if (l->cursor < l->md->n && l->dbid[l->dbidx[l->cursor]] == id)
		return l->dbidx[l->cursor];
	return MODEL_NONE;
}

static void push(uint32_t **arr, size_t *n, uint32_t v)
{
	if (*n % 4096 == 0)
		*arr = xrealloc(*arr, (*n + 4096) * sizeof(**arr));
	(*arr)[(*n)++] = v;
}

/* The details of the message being read (rows come by message id); a
 * list's offset is taken at its first entry. */
static void add_ref(struct loader *l, const char *id)
{
	struct model *md = l->md;
	struct model_span *r = &md->ref[l->cur_msg];
	if (r->n == 0)
		r->off = (uint32_t)md->nrefs;
	push(&md->refs, &md->nrefs, strtab_intern(&md->ids, id));
	r->n++;
}

static void add_rcpt(struct loader *l, struct model_msg *m, const char *field, const char *addr)
{
	struct model *md = l->md;
	if (strcmp(field, "reply-to") == 0)
		return;
	if (strcmp(field, "to") == 0 && sl_contains(&l->identity, addr))
		m->to_me = true;
	/* outbound personal mail concerns every client among To, Cc, Bcc */
	bool counterpart = m->kind == MSG_PERSONAL && m->dir == DIR_OUTBOUND;
	uint32_t ci = resolve(l, addr, counterpart);
	if (ci == MODEL_NONE)
		return;
	/* each client once (of a counterpart message, every client is a
	 * counterpart) */
	struct model_span *to = md->to ? &md->to[l->cur_msg] : NULL;
	for (uint32_t k = 0; to && k < to->n; k++)
		if (md->rcpt[to->off + k] == ci)
			return;
	for (uint32_t k = 0; counterpart && k < m->n_cp; k++)
		if (md->cp[m->cp_off + k] == ci)
			return;
	if (to) {
		if (to->n == 0)
			to->off = (uint32_t)md->nrcpt;
		push(&md->rcpt, &md->nrcpt, ci);
		to->n++;
	}
	if (counterpart) {
		if (m->n_cp == 0)
			m->cp_off = (uint32_t)md->ncp;
		push(&md->cp, &md->ncp, ci);
		m->n_cp++;
	}
}

static void add_failed(struct loader *l, const char *addr)
{
	struct model *md = l->md;
	uint32_t ci = resolve(l, addr, false);
	if (ci == MODEL_NONE)
		return;
	if (md->nfail % 1024 == 0)
		md->fail = xrealloc(md->fail, (md->nfail + 1024) * sizeof(*md->fail));
	md->fail[md->nfail++] = (struct model_fail){l->cur_msg, ci};
}

/* A message's references are all read: without In-Reply-To, the last
 * one is its parent. */
static void settle_refs(struct loader *l)
{
	if (l->cur_msg == MODEL_NONE)
		return;
	struct model_msg *m = &l->md->m[l->cur_msg];
	const struct model_span *r = &l->md->ref[l->cur_msg];
	if (r->n)
		m->has_thread_hdrs = true; /* References present */
	if (m->parent == MODEL_NONE && r->n)
		m->parent = l->md->refs[r->off + r->n - 1];
}

static int on_detail(void *ud, enum store_detail d, int64_t message, const char *field,
		     const char *value)
{
	struct loader *l = ud;
	if (message != l->cur_id) {
		settle_refs(l);
		l->cur_id = message;
		l->cur_msg = msg_index(l, message);
	}
	if (l->cur_msg == MODEL_NONE)
		return 0;
	struct model_msg *m = &l->md->m[l->cur_msg];
	if (d == DETAIL_REFS)
		add_ref(l, value);
	else if (d == DETAIL_RECIPIENTS)
		add_rcpt(l, m, field, value);
	else
		add_failed(l, value);
	return 0;
}

/* One pass over the details of kind d (DETAIL_LISTS: recipients and
 * references together). */
static int load_details(struct loader *l, enum store_detail d)
{
	l->cursor = 0;
	l->cur_id = -1;
	l->cur_msg = MODEL_NONE;
	int r = store_each_detail(l->st, d, l->md->account, on_detail, l);
	settle_refs(l);
	return r;
}

struct accounts_pass {
	struct store *st;
	struct strlist *out;
	int r;
};

static void on_account(void *ud, int64_t id, const char *name)
{
	struct accounts_pass *ap = ud;
	struct strlist ids = {0};
	(void)name;
	if (ap->r == 0 && (ap->r = store_identity(ap->st, id, &ids)) == 0)
		for (size_t i = 0; i < ids.n; i++)
			sl_add_unique(ap->out, ids.v[i]);
	sl_free(&ids);
}

/* The identity addresses of every account: a colleague liaison is a
 * co-worker, never a client (DOMAIN.md §1). */
static int colleagues(struct store *st, struct strlist *ret)
{
	struct accounts_pass ap = {st, ret, 0};
	int r = store_each_account(st, on_account, &ap);
	return r < 0 ? r : ap.r;
}

/* DOMAIN.md §3: messages are ordered by date and, at the same instant, by
 * Message-ID in byte order (the store hands them over by date and row
 * id). Ties are rare and short: an insertion sort per run of one date. */
static void order_ties(struct model *md, struct loader *l)
{
	for (size_t i = 0; i < md->n;) {
		size_t j = i + 1;
		while (j < md->n && md->m[j].date == md->m[i].date)
			j++;
		for (size_t k = i + 1; k < j; k++)
			for (size_t h = k; h > i && strcmp(strtab_str(&md->ids, md->m[h - 1].mid),
							   strtab_str(&md->ids, md->m[h].mid)) > 0;
			     h--) {
				struct model_msg t = md->m[h];
				md->m[h] = md->m[h - 1];
				md->m[h - 1] = t;
				uint32_t f = l->from[h];
				l->from[h] = l->from[h - 1];
				l->from[h - 1] = f;
				f = md->subj[h];
				md->subj[h] = md->subj[h - 1];
				md->subj[h - 1] = f;
				if (md->subject) {
					char *s = md->subject[h];
					md->subject[h] = md->subject[h - 1];
					md->subject[h - 1] = s;
				}
			}
		i = j;
	}
}

int model_load(struct store *st, const struct conf *c, const char *account, int64_t as_of,
	       int64_t touched_after, unsigned flags, struct model *ret)
{
	struct model md = {0};
	struct loader l = {0};
	int r;

	md.conf = c;
	md.as_of = as_of;
	md.account_name = xstrdup(account);
	l.md = &md;
	l.st = st;
	l.touched_after = touched_after;
	l.keep_subjects = flags & MODEL_KEEP_SUBJECTS;
	if ((r = store_account_id(st, account, &md.account)) < 0 ||
	    (r = store_identity(st, md.account, &l.identity)) < 0 ||
	    (r = colleagues(st, &l.colleagues)) < 0 ||
	    (r = store_each_department_domain(st, on_rule, &l)) < 0 ||
	    (r = store_each_override(st, account, on_override, &l)) < 0 ||
	    (r = store_each_client_address(st, on_roster, &l)) < 0 ||
	    (r = store_each_message(st, md.account, as_of, on_message, &l)) < 0)
		goto fail;
	apply_merges(&l);
	order_ties(&md, &l);

	md.msg_of_id = xmalloc((md.ids.n + 1) * sizeof(*md.msg_of_id));
	for (size_t i = 0; i < md.ids.n; i++)
		md.msg_of_id[i] = MODEL_NONE;
	for (size_t i = 0; i < md.n; i++)
		if (md.msg_of_id[md.m[i].mid] == MODEL_NONE)
			md.msg_of_id[md.m[i].mid] = (uint32_t)i;

	l.dbid = xmalloc((md.n + 1) * sizeof(*l.dbid));
	l.dbidx = xmalloc((md.n + 1) * sizeof(*l.dbidx));
	for (size_t i = 0; i < md.n; i++) {
		l.dbid[i] = md.m[i].id;
		l.dbidx[i] = (uint32_t)i;
	}
	qsort_r(l.dbidx, md.n, sizeof(*l.dbidx), cmp_dbid, l.dbid);
	md.ref = xcalloc(md.n + 1, sizeof(*md.ref));
	if (flags & MODEL_KEEP_RECIPIENTS)
		md.to = xcalloc(md.n + 1, sizeof(*md.to));
	if ((r = load_details(&l, DETAIL_LISTS)) < 0 ||
	    (r = load_details(&l, DETAIL_BOUNCE_FAILED)) < 0)
		goto fail;
	/* the failed recipients came in row id order: bounced() looks them up
	 * by message index */
	if (md.nfail) /* (qsort and bsearch take no NULL array, even empty) */
		qsort(md.fail, md.nfail, sizeof(*md.fail), cmp_fail);

	/* inbound personal mail concerns its sender only */
	for (size_t i = 0; i < md.n; i++) {
		struct model_msg *m = &md.m[i];
		bool counterpart = m->kind == MSG_PERSONAL && m->dir == DIR_INBOUND;
		m->sender = l.from[i] == MODEL_NONE
				    ? MODEL_NONE
				    : resolve(&l, strtab_str(&md.addr, l.from[i]), counterpart);
		if (!counterpart)
			continue;
		uint32_t ci = m->sender;
		if (ci == MODEL_NONE)
			continue;
		/* the message's recipients were stored at to_off; its counterpart
		 * goes after everything else */
		m->cp_off = (uint32_t)md.ncp;
		m->n_cp = 1;
		push(&md.cp, &md.ncp, ci);
	}
	keep_members(&md);
	apply_cadences(&l);
	for (size_t i = 0; i < md.n; i++)
		if (md.m[i].id > touched_after && touched_after > 0)
			for (uint32_t k = 0; k < md.m[i].n_cp; k++)
				md.clients[md.cp[md.m[i].cp_off + k]].touched = true;
	strtab_seal(&md.ids); /* every id is known: only their strings are read from here on */
	r = 0;
	*ret = md;
	goto out;
fail:
	model_free(&md);
out:
	sl_free(&l.identity);
	sl_free(&l.colleagues);
	sl_free(&l.rule_domains);
	sl_free(&l.rule_names);
	sl_free(&l.ignored_addrs);
	sl_free(&l.ignored_names);
	sl_free(&l.merge_from);
	sl_free(&l.merge_into);
	sl_free(&l.cadence_of);
	free(l.cadence_days);
	free(l.cadence_set_at);
	for (size_t i = 0; i < l.stored_addr.n; i++)
		free(l.stored_dept[i]);
	free(l.stored_id);
	free(l.stored_dept);
	strtab_free(&l.stored_addr);
	strtab_free(&l.subjects);
	free(l.from);
	free(l.dbid);
	free(l.dbidx);
	return r;
}

/* ---- computing --------------------------------------------------------------- */

static int cmp_bounce(const void *a, const void *b, void *ud)
{
	const struct model *md = ud;
	uint32_t x = md->m[*(const uint32_t *)a].bounce_orig;
	uint32_t y = md->m[*(const uint32_t *)b].bounce_orig;
	return x < y ? -1 : x > y;
}

/* The first of the bounces naming message mi as their original, in
 * bounce_order. */
static size_t first_bounce(struct model *md, uint32_t mi)
{
	struct model_priv *p = priv(md);
	uint32_t mid = md->m[mi].mid;
	size_t lo = 0, hi = p->nbounce;
	while (lo < hi) {
		size_t mid_i = (lo + hi) / 2;
		if (md->m[p->bounce_order[mid_i]].bounce_orig < mid)
			lo = mid_i + 1;
		else
			hi = mid_i;
	}
	return lo;
}

/* True if message mi (outbound, the first of a projection) bounced for
 * client ci by instant t: a bounce dated no later names it as the original
 * and lists the client among the failed recipients, or has no
 * per-recipient fields at all. */
static bool bounced(struct model *md, uint32_t mi, uint32_t ci, int64_t t)
{
	struct model_priv *p = priv(md);
	uint32_t mid = md->m[mi].mid;
	for (size_t i = first_bounce(md, mi);
	     i < p->nbounce && md->m[p->bounce_order[i]].bounce_orig == mid; i++) {
		const struct model_msg *b = &md->m[p->bounce_order[i]];
		if (b->date > t)
			continue;
		if (!b->bounce_per_recipient ||
		    (md->nfail && bsearch(&(struct model_fail){p->bounce_order[i], ci}, md->fail,
					  md->nfail, sizeof(*md->fail), cmp_fail)))
			return true;
	}
	return false;
}

/* The initiator of a projection whose first message is mi. */
static int initiator(const struct model *md, uint32_t mi)
{
	const struct model_msg *m = &md->m[mi];
	if (m->fwd_subject)
		return INIT_UNKNOWN;
	if (m->parent != MODEL_NONE) {
		if (md->msg_of_id[m->parent] == MODEL_NONE)
			return INIT_UNKNOWN;
	} else if (!m->has_thread_hdrs && m->reply_subject) {
		return INIT_UNKNOWN;
	}
	return m->dir == DIR_OUTBOUND ? INIT_LIAISON : INIT_CLIENT;
}

static int cmp_thread_msg(const void *a, const void *b)
{
	const struct pent *x = a, *y = b;
	if (x->thread != y->thread)
		return x->thread < y->thread ? -1 : 1;
	return x->msg < y->msg ? -1 : x->msg > y->msg;
}

/* Whether message m gives its counterpart clients an entry each. */
static bool entered(const struct model *md, const struct model_msg *m)
{
	return m->kind == MSG_PERSONAL && m->date <= md->as_of && m->n_cp;
}

/* The entries (every personal message up to the as-of instant, once per
 * counterpart client), ordered by client, thread, date and message:
 * counted per client first, so that each is written where it belongs
 * (no copy of them all to sort through); a client's own come in message
 * order, which is date order (model_load), and are then sorted by thread
 * and message. */
static void build_entries(struct model *md)
{
	struct model_priv *p = priv(md);
	free(p->client_start);
	free(p->pe);
	p->client_start = xcalloc(md->nclients + 2, sizeof(*p->client_start));
	for (size_t i = 0; i < md->n; i++) {
		const struct model_msg *m = &md->m[i];
		if (!entered(md, m))
			continue;
		for (uint32_t c = 0; c < m->n_cp; c++)
			p->client_start[md->cp[m->cp_off + c] + 2]++;
	}
	for (size_t c = 2; c <= md->nclients + 1; c++)
		p->client_start[c] += p->client_start[c - 1];
	/* client_start[c + 1] is now where client c's next entry goes */
	p->npe = p->client_start[md->nclients + 1];
	p->pe = xmalloc((p->npe + 1) * sizeof(*p->pe));
	for (size_t i = 0; i < md->n; i++) {
		const struct model_msg *m = &md->m[i];
		if (!entered(md, m))
			continue;
		int8_t init = (int8_t)initiator(md, (uint32_t)i);
		for (uint32_t c = 0; c < m->n_cp; c++) {
			uint32_t ci = md->cp[m->cp_off + c];
			p->pe[p->client_start[ci + 1]++] = (struct pent){
				ci, m->thread, (uint32_t)i, m->dir == DIR_OUTBOUND, init, m->date};
		}
	}
	/* client_start[c] is client c's first entry, [nclients] the end */
	for (size_t c = 0; c < md->nclients; c++) {
		size_t a = p->client_start[c], n = p->client_start[c + 1] - a;
		bool sorted = true;
		for (size_t k = 1; k < n && sorted; k++)
			sorted = cmp_thread_msg(&p->pe[a + k - 1], &p->pe[a + k]) < 0;
		if (!sorted)
			qsort(p->pe + a, n, sizeof(*p->pe), cmp_thread_msg);
	}
}

static void judge(struct model *md, const struct pent *pe, size_t n, int64_t t,
		  struct score_msg *sm, struct score_proj *ret)
{
	for (size_t i = 0; i < n; i++) {
		sm[i].date = pe[i].date;
		sm[i].outbound = pe[i].outbound;
	}
	ret->m = sm;
	ret->n = (uint32_t)n;
	ret->initiator = pe[0].initiator;
	ret->undelivered = ret->initiator == INIT_LIAISON && bounced(md, pe[0].msg, pe[0].client, t);
}

/* Calls fn for each projection of client ci as of instant t: the
 * client's personal messages of one thread dated in [t - window, t]
 * (contiguous in the entries, which are in date order per thread). */
typedef void (*proj_fn)(void *ud, const struct pent *pe, size_t n);

static void each_proj(struct model *md, uint32_t ci, int64_t t, proj_fn fn, void *ud)
{
	struct model_priv *p = priv(md);
	int64_t from = t - (int64_t)md->conf->scoring.window_days * 86400;
	size_t a = p->client_start[ci], b = p->client_start[ci + 1];
	for (size_t i = a; i < b;) {
		size_t j = i;
		while (j < b && p->pe[j].thread == p->pe[i].thread)
			j++;
		size_t lo = i;
		while (lo < j && p->pe[lo].date < from)
			lo++;
		size_t hi = lo;
		while (hi < j && p->pe[hi].date <= t)
			hi++;
		if (hi > lo)
			fn(ud, p->pe + lo, hi - lo);
		i = j;
	}
}

struct collect {
	struct model *md;
	int64_t t;
	struct score_proj *proj;
	size_t np;
	struct score_msg *buf; /* the next free place; projections lie end to end */
	size_t nall;
};

static void collect_proj(void *ud, const struct pent *pe, size_t n)
{
	struct collect *x = ud;
	judge(x->md, pe, n, x->t, x->buf, &x->proj[x->np++]);
	x->buf += n;
	x->nall += n;
}

/* Client ci's projections as of t, their messages end to end in all
 * (every message of the window). window_free() releases them. */
struct window {
	struct score_msg *all;
	struct collect x;
};

static void window_of(struct model *md, uint32_t ci, int64_t t, struct window *w)
{
	struct model_priv *p = priv(md);
	size_t n = p->client_start[ci + 1] - p->client_start[ci];
	w->all = xmalloc((n + 1) * sizeof(*w->all));
	w->x = (struct collect){md, t, xmalloc((n + 1) * sizeof(struct score_proj)), 0, w->all, 0};
	each_proj(md, ci, t, collect_proj, &w->x);
}

static void window_free(struct window *w)
{
	free(w->all);
	free(w->x.proj);
}

void model_score_at(struct model *md, uint32_t ci, int64_t t, struct score *ret)
{
	struct window w;
	window_of(md, ci, t, &w);
	score_compute(&md->conf->scoring, t, w.x.proj, w.x.np, w.all, w.x.nall, ret);
	window_free(&w);
}

/* Whether client ci is one-sided as of t (model_score_at's one_sided). */
static bool one_sided_at(struct model *md, uint32_t ci, int64_t t)
{
	struct window w;
	window_of(md, ci, t, &w);
	bool r = score_one_sided(&md->conf->scoring, t, w.x.proj, w.x.np);
	window_free(&w);
	return r;
}

void model_month_ends(int64_t as_of, size_t n, int64_t *ret)
{
	if (!n)
		return;
	time_t t = (time_t)as_of;
	struct tm tm;
	gmtime_r(&t, &tm);
	ret[n - 1] = as_of;
	int y = tm.tm_year + 1900, m = tm.tm_mon; /* 0-based month of as-of */
	for (size_t k = n - 1; k > 0; k--) {
		/* the first second of month m of year y, minus one */
		struct tm first = {.tm_year = y - 1900, .tm_mon = m, .tm_mday = 1};
		ret[k - 1] = (int64_t)timegm(&first) - 1;
		if (--m < 0) {
			m = 11;
			y--;
		}
	}
}

void model_history(struct model *md, uint32_t ci, const int64_t *at, size_t n,
		   struct model_point *ret)
{
	struct model_priv *p = priv(md);
	const struct model_client *cl = &md->clients[ci];
	int64_t first = INT64_MAX;
	for (size_t i = p->client_start[ci]; i < p->client_start[ci + 1]; i++)
		if (p->pe[i].date < first)
			first = p->pe[i].date;
	for (size_t k = 0; k < n; k++) {
		struct model_point *pt = &ret[k];
		*pt = (struct model_point){.at = at[k]};
		int64_t from = k ? at[k - 1] : INT64_MIN;
		for (size_t i = p->client_start[ci]; i < p->client_start[ci + 1]; i++) {
			const struct pent *e = &p->pe[i];
			if (e->date > from && e->date <= at[k]) {
				pt->out += e->outbound;
				pt->in += !e->outbound;
			}
		}
		/* as keep_members says it as of that instant */
		pt->client = (cl->roster && cl->assigned) || first <= at[k];
		if (!pt->client)
			continue;
		struct score s;
		model_score_at(md, ci, at[k], &s);
		pt->tie_strength = s.tie_strength;
		pt->klass = s.klass;
		pt->phase = s.phase;
		pt->one_sided = s.one_sided;
	}
}

static void push_t(int64_t **v, size_t *n, size_t *cap, int64_t t)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		*v = xrealloc(*v, *cap * sizeof(**v));
	}
	(*v)[(*n)++] = t;
}

static int cmp_t_desc(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x > y ? -1 : x < y;
}

/* DOMAIN.md §5: when the client's current one-sided run began, the latest
 * instant at which it turned one-sided and stayed so up to as-of. It can
 * change only where an outreach turns decided (an answer's date, t0 +
 * reply window), a message enters the window (its date) or leaves it (one
 * second past date + window), or a bounce arrives; one-sidedness is
 * evaluated at those instants, walking back from as-of while it holds.
 * Every message date stands for the answers and first messages among
 * them. */
static int64_t one_sided_since(struct model *md, uint32_t ci)
{
	struct model_priv *p = priv(md);
	const struct conf_scoring *k = &md->conf->scoring;
	int64_t rw = (int64_t)k->reply_window_days * 86400, win = (int64_t)k->window_days * 86400;
	int64_t *ev = NULL;
	size_t nev = 0, cap = 0;
	for (size_t i = p->client_start[ci]; i < p->client_start[ci + 1]; i++) {
		const struct pent *e = &p->pe[i];
		push_t(&ev, &nev, &cap, e->date);
		push_t(&ev, &nev, &cap, e->date + win + 1);
		if (!e->outbound)
			continue;
		push_t(&ev, &nev, &cap, e->date + rw);
		for (size_t b = first_bounce(md, e->msg);
		     b < p->nbounce && md->m[p->bounce_order[b]].bounce_orig == md->m[e->msg].mid; b++)
			push_t(&ev, &nev, &cap, md->m[p->bounce_order[b]].date);
	}
	qsort(ev, nev, sizeof(*ev), cmp_t_desc);
	int64_t since = md->as_of;
	for (size_t i = 0; i < nev; i++) {
		if (ev[i] > md->as_of || (i && ev[i] == ev[i - 1]))
			continue;
		if (!one_sided_at(md, ci, ev[i]))
			break;
		since = ev[i];
	}
	free(ev);
	return since;
}

void model_compute(struct model *md)
{
	struct model_priv *p = priv(md);

	thread_build(md);

	free(p->bounce_order);
	p->bounce_order = xmalloc((md->n + 1) * sizeof(*p->bounce_order));
	p->nbounce = 0;
	for (size_t i = 0; i < md->n; i++)
		if (md->m[i].kind == MSG_BOUNCE && md->m[i].bounce_orig != MODEL_NONE)
			p->bounce_order[p->nbounce++] = (uint32_t)i;
	qsort_r(p->bounce_order, p->nbounce, sizeof(*p->bounce_order), cmp_bounce, md);

	/* each computation takes the window it needs */
	build_entries(md);
	for (size_t c = 0; c < md->nclients; c++) {
		struct score *s = &md->clients[c].score;
		model_score_at(md, (uint32_t)c, md->as_of, s);
		s->one_sided_since = s->one_sided ? one_sided_since(md, (uint32_t)c) : 0;
	}
}

struct each_ctx {
	struct model *md;
	model_proj_fn fn;
	void *ud;
	uint32_t *idx;
	struct score_msg *sm;
};

static void each_cb(void *ud, const struct pent *pe, size_t n)
{
	struct each_ctx *x = ud;
	struct score_proj pr;
	judge(x->md, pe, n, x->md->as_of, x->sm, &pr);
	for (size_t k = 0; k < n; k++)
		x->idx[k] = pe[k].msg;
	x->fn(x->ud, pe[0].thread, x->idx, n, &pr);
}

void model_each_projection(struct model *md, uint32_t ci, model_proj_fn fn, void *ud)
{
	struct model_priv *p = priv(md);
	if (!p->client_start || ci >= md->nclients)
		return;
	size_t n = p->client_start[ci + 1] - p->client_start[ci];
	struct each_ctx x = {md, fn, ud, xmalloc((n + 1) * sizeof(uint32_t)),
			     xmalloc((n + 1) * sizeof(struct score_msg))};
	each_proj(md, ci, md->as_of, each_cb, &x);
	free(x.sm);
	free(x.idx);
}

int model_save(struct model *md, struct store *st, bool only_touched, int64_t now)
{
	int64_t *kept = xmalloc((md->nclients + 1) * sizeof(*kept));
	int r = 0;
	for (size_t c = 0; c < md->nclients && r == 0; c++) {
		struct model_client *cl = &md->clients[c];
		if (only_touched && !cl->touched)
			continue;
		if (!cl->db_id && store_mail_client(st, cl->first_address, cl->department,
						    &cl->db_id) < 0)
			r = -EIO;
		else if (store_score_put(st, md->account, cl->db_id, cl->name, cl->department,
					 cl->first_address, md->as_of, now, &cl->score) < 0)
			r = -EIO;
		kept[c] = cl->db_id;
	}
	/* a full recompute replaces the account's rows: those of clients gone
	 * (ignored, merged, another liaison's) go */
	if (r == 0 && !only_touched && store_scores_keep(st, md->account, kept, md->nclients) < 0)
		r = -EIO;
	free(kept);
	return r;
}

void model_drop_mail(struct model *md)
{
	struct model_priv *p = md->priv;
	if (p) {
		free(p->pe);
		free(p->client_start);
		free(p->bounce_order);
		free(p);
		md->priv = NULL;
	}
	for (size_t i = 0; md->subject && i < md->n; i++)
		free(md->subject[i]);
	free(md->subject);
	md->subject = NULL;
	strtab_free(&md->ids);
	free(md->msg_of_id);
	free(md->m);
	free(md->cp);
	free(md->fail);
	free(md->subj);
	free(md->ref);
	free(md->refs);
	free(md->to);
	free(md->rcpt);
	md->msg_of_id = NULL;
	md->m = NULL;
	md->fail = NULL;
	md->ref = md->to = NULL;
	md->cp = md->subj = md->refs = md->rcpt = NULL;
	md->n = md->ncp = md->nrefs = md->nfail = md->nrcpt = 0;
}

void model_free(struct model *md)
{
	model_drop_mail(md);
	for (size_t i = 0; i < md->nclients; i++) {
		free(md->clients[i].name);
		free(md->clients[i].department);
		free(md->clients[i].first_address);
	}
	free(md->clients);
	free(md->account_name);
	strtab_free(&md->addr);
	free(md->client_of_addr);
	*md = (struct model){0};
}

/* The account's score watermark (0 when it was never scored). */
static int64_t watermark(struct store *st, const char *key)
{
	char *mark = NULL;
	int64_t v = 0;
	if (store_setting(st, key, &mark) == 0) {
		v = strtoll(mark, NULL, 10);
		free(mark);
	}
	return v;
}

/* Whether the account was scored with the roster stored now (whose
 * client a roster client is may have changed since). */
/* What decides whose client is whose besides the mail: the roster's
 * digest and the overrides' mark. Caller frees. */
static char *epoch(struct store *st)
{
	char *roster = NULL, *over = NULL;
	store_setting(st, "roster", &roster);
	store_setting(st, "overrides", &over);
	char *e = xasprintf("%s/%s", roster ? roster : "", over ? over : "0");
	free(roster);
	free(over);
	return e;
}

static bool roster_scored(struct store *st, const char *account)
{
	char *key = xasprintf("scored-roster:%s", account), *then = NULL, *now = epoch(st);
	bool same = store_setting(st, key, &then) == 0 && strcmp(then, now) == 0;
	free(then);
	free(now);
	free(key);
	return same;
}

bool model_stale(struct store *st, const char *account)
{
	return !roster_scored(st, account);
}

int model_unscored(struct store *st, const char *account, bool *ret)
{
	char *key = xasprintf("scored:%s", account);
	int64_t upto = 0;
	int r = store_max_message_id(st, account, &upto);
	if (r == 0)
		*ret = upto > watermark(st, key) || !roster_scored(st, account);
	free(key);
	return r < 0 ? -EIO : 0;
}

int model_refresh(struct store *st, const struct conf *c, const char *account, bool full,
		  int64_t now, size_t *ret_clients, size_t *ret_messages)
{
	struct model md;
	int64_t upto = 0, touched_after = 0;
	char *key = xasprintf("scored:%s", account);
	/* the mark first: whatever is stored after it is loaded below too */
	int r = store_max_message_id(st, account, &upto);
	if (r < 0) {
		free(key);
		return -EIO;
	}
	/* a changed roster may move clients between accounts: all of them */
	if (!full && roster_scored(st, account))
		touched_after = watermark(st, key);
	r = model_load(st, c, account, now, touched_after, 0, &md);
	if (r < 0) {
		free(key);
		return r;
	}
	model_compute(&md);
	/* nudges depend on time as much as on mail: every client, every time */
	struct nudge_list nl;
	nudge_derive(&md, &nl);
	size_t nmsg = md.n;
	/* what is written needs the clients only: the mail goes before the
	 * write takes its cache */
	model_drop_mail(&md);
	store_bulk_write(st, true);
	r = store_begin(st);
	if (r == 0)
		r = model_save(&md, st, touched_after > 0, now);
	if (r == 0)
		r = nudge_store(&md, st, &nl, now);
	nudge_list_free(&nl);
	if (r == 0) {
		char v[32];
		snprintf(v, sizeof(v), "%lld", (long long)upto);
		r = store_setting_put(st, key, v);
	}
	if (r == 0) {
		char *rkey = xasprintf("scored-roster:%s", account), *e = epoch(st);
		r = store_setting_put(st, rkey, e);
		free(rkey);
		free(e);
	}
	free(key);
	if (r == 0)
		r = store_commit(st);
	if (r < 0) {
		store_rollback(st);
		r = -EIO;
	} else {
		size_t n = 0;
		for (size_t i = 0; i < md.nclients; i++)
			n += touched_after <= 0 || md.clients[i].touched;
		if (ret_clients)
			*ret_clients = n;
		if (ret_messages)
			*ret_messages = nmsg;
	}
	store_bulk_write(st, false);
	model_free(&md);
	/* the pass's memory goes back to the system rather than staying with
	 * the process: a daemon resident between polls would otherwise hold
	 * what its largest pass took (200 MB at 1,000,000 messages) for good */
	malloc_trim(0);
	return r;
}
