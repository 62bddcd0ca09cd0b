/* site: see site.h. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "action.h"
#include "model.h"
#include "nudge.h"
#include "report.h"
#include "site.h"

/* ---- text ---------------------------------------------------------------- */

/* The length of the UTF-8 sequence at s (n bytes left), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3
		   : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
	if (!len || len > n || (len == 2 && s[0] < 0xc2))
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if (len == 3 && ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0)))
		return 0; /* overlong, surrogate */
	if (len == 4 && ((s[0] == 0xf0 && s[1] < 0x90) || s[0] > 0xf4 ||
			 (s[0] == 0xf4 && s[1] >= 0x90)))
		return 0;
	return len;
}

void site_escape(struct sbuf *sb, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), chars = 0;
	for (size_t i = 0; i < n;) {
		if (max && chars == max) {
			sb_adds(sb, "\xe2\x80\xa6");
			return;
		}
		size_t len = utf8_len(p + i, n - i);
		chars++;
		if (!len) {
			sb_adds(sb, "\xef\xbf\xbd"); /* U+FFFD */
			i++;
			continue;
		}
		unsigned char c = p[i];
		if (len == 1) {
			switch (c) {
			case '&': sb_adds(sb, "&amp;"); break;
			case '<': sb_adds(sb, "&lt;"); break;
			case '>': sb_adds(sb, "&gt;"); break;
			case '"': sb_adds(sb, "&quot;"); break;
			case '\'': sb_adds(sb, "&#39;"); break;
			default:
				if (c < 0x20 || c == 0x7f)
					sb_addc(sb, ' ');
				else
					sb_addc(sb, (char)c);
			}
		} else if (len == 2 && c == 0xc2 && p[i + 1] < 0xa0) {
			sb_addc(sb, ' '); /* C1 controls */
		} else {
			sb_add(sb, p + i, len);
		}
		i += len;
	}
}

/* Mail text, isolated from the page's direction (an RTL override in a
 * name reorders that name only). */
static void text(struct sbuf *sb, const char *s, size_t max)
{
	sb_adds(sb, "<bdi>");
	site_escape(sb, s, max);
	sb_adds(sb, "</bdi>");
}

char *site_page_name(const char *account)
{
	struct sbuf sb = {0};
	bool changed = !*account;
	sb_adds(&sb, "liaison-");
	for (const char *p = account; *p; p++) {
		bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			  (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || (*p == '.' && p != account);
		sb_addc(&sb, ok ? *p : '_');
		changed |= !ok;
	}
	if (changed) {
		unsigned char d[32];
		gnutls_hash_fast(GNUTLS_DIG_SHA256, account, strlen(account), d);
		sb_printf(&sb, "-%02x%02x%02x%02x", d[0], d[1], d[2], d[3]);
	}
	sb_adds(&sb, ".html");
	return sb_steal(&sb);
}

/* ---- what the pages show ------------------------------------------------- */

struct tl_msg {
	int64_t date;
	bool out, unanswered;
};

struct rel {               /* one (account, client) relationship */
	size_t account;        /* index in site.accounts */
	char *name, *dept, *addr;
	struct score s;
	struct model_point hist[SITE_MAX_MONTHS];
	struct tl_msg *tl;
	size_t ntl;
	int anchor;            /* c-N on the account's page */
	bool reconnect;        /* a reconnect nudge holds for it now */
};

struct site {
	const struct conf *c;
	const struct site_options *o;
	struct strlist accounts;
	struct rel *rels;
	size_t nrels;
	struct report ties;          /* every relationship, for who could introduce */
	struct report_row *tie_rows;
	int64_t ends[SITE_MAX_MONTHS];
	size_t months;
};

struct tl_ctx {
	struct model *md;
	struct rel *r;
};

static void on_tl(void *ud, uint32_t thread, const uint32_t *msgs, size_t n,
		  const struct score_proj *p)
{
	struct tl_ctx *x = ud;
	struct model *md = x->md;
	int64_t t0 = md->m[msgs[0]].date;
	int64_t rw = (int64_t)md->conf->scoring.reply_window_days * 86400;
	bool answered = false;
	(void)thread;
	for (size_t i = 1; i < n; i++)
		answered |= !p->m[i].outbound && p->m[i].date > t0 && p->m[i].date <= t0 + rw;
	bool unanswered = p->initiator == INIT_LIAISON && !p->undelivered && !answered &&
			  md->as_of - t0 >= rw;
	x->r->tl = xrealloc(x->r->tl, (x->r->ntl + n) * sizeof(*x->r->tl));
	for (size_t i = 0; i < n; i++)
		x->r->tl[x->r->ntl++] = (struct tl_msg){p->m[i].date, p->m[i].outbound,
							unanswered && i == 0};
}

static void on_acct(void *ud, int64_t id, const char *name)
{
	(void)id;
	sl_add(ud, name);
}

static int gather(struct store *st, struct site *s)
{
	int r = store_each_account(st, on_acct, &s->accounts);
	if (r < 0)
		return r;
	s->months = s->c->report_months < 2 ? 2 : (size_t)s->c->report_months;
	if (s->months > SITE_MAX_MONTHS)
		s->months = SITE_MAX_MONTHS;
	model_month_ends(s->o->now, s->months, s->ends);
	for (size_t a = 0; a < s->accounts.n; a++) {
		struct model md;
		if ((r = model_load(st, s->c, s->accounts.v[a], s->o->now, 0, 0, &md)) < 0)
			return r;
		model_compute(&md);
		size_t first = s->nrels;
		s->rels = xrealloc(s->rels, (s->nrels + md.nclients + 1) * sizeof(*s->rels));
		for (uint32_t ci = 0; ci < md.nclients; ci++) {
			struct rel *x = &s->rels[s->nrels++];
			*x = (struct rel){.account = a};
			x->name = xstrdup(md.clients[ci].name);
			x->dept = xstrdup(md.clients[ci].department);
			x->addr = xstrdup(md.clients[ci].first_address);
			x->s = md.clients[ci].score;
			model_history(&md, ci, s->ends, s->months, x->hist);
			struct tl_ctx t = {&md, x};
			model_each_projection(&md, ci, on_tl, &t);
		}
		/* fading includes the ties a reconnect nudge is about */
		struct nudge_list nl;
		nudge_derive(&md, &nl);
		for (size_t i = 0; i < nl.n; i++)
			if (nl.v[i].kind == NUDGE_RECONNECT)
				s->rels[first + nl.v[i].client].reconnect = true;
		nudge_list_free(&nl);
		model_free(&md);
	}
	return 0;
}

static void site_free(struct site *s)
{
	for (size_t i = 0; i < s->nrels; i++) {
		free(s->rels[i].name);
		free(s->rels[i].dept);
		free(s->rels[i].addr);
		free(s->rels[i].tl);
	}
	free(s->rels);
	free(s->ties.rows);
	free(s->tie_rows);
	sl_free(&s->accounts);
}

static bool wanted(const struct site *s, size_t a)
{
	const struct strlist *l = s->o->liaisons;
	return !l || !l->n || sl_contains(l, s->accounts.v[a]);
}

static const char *liaison_name(const struct site *s, size_t a)
{
	const struct conf_account *ca = conf_account_find(s->c, s->accounts.v[a]);
	return ca && ca->liaison ? ca->liaison : s->accounts.v[a];
}

/* ---- pieces of pages ----------------------------------------------------- */

static const char css[] =
	"body{font:15px/1.4 sans-serif;margin:0 auto;max-width:64em;padding:0 1em;color:#222}"
	"h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}"
	"table{border-collapse:collapse;width:100%;margin:.5em 0}"
	"th,td{text-align:left;padding:.25em .5em;border-bottom:1px solid #eee;vertical-align:top}"
	"td.n,th.n{text-align:right}.muted{color:#666}.reason{font-size:.9em;color:#444}"
	".sr{position:absolute;left:-9999px;width:1px;height:1px;overflow:hidden}"
	".weak{color:#a11}.moderate{color:#875b00}.strong{color:#176b2c}"
	"svg{display:block}svg.spark{width:120px;height:28px}svg.big,svg.tl{width:100%;height:auto}"
	"section.client{margin:1.5em 0;padding-top:.5em;border-top:1px dashed #ccc}"
	"a.act{margin-right:.8em;white-space:nowrap}"
	"th{white-space:nowrap}td{overflow-wrap:break-word}"
	"td.what,td.reason,h3,td.name{overflow-wrap:anywhere}"
	"@media (max-width:40em){body{font-size:14px;padding:0 .4em}.wide{display:none}"
	"th,td{padding:.2em .25em}table.rel tr:first-child{display:none}"
	"table.rel tr{display:block;border-bottom:1px solid #ddd;padding:.3em 0}"
	"table.rel td{display:inline-block;border:0;vertical-align:middle}"
	"table.rel td.reason,table.rel td.what{display:block}}"
	"@media print{a{color:inherit;text-decoration:none}a.act{display:none}"
	"section.client{break-inside:avoid}}";

static void head(struct sbuf *sb, const char *title_text, int64_t now)
{
	char t[32];
	epoch_to_iso(now, t);
	sb_adds(sb, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
		    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		    "style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'\">"
		    "<meta name=\"generator\" content=\"rapport " PACKAGE_VERSION "\"><title>");
	site_escape(sb, title_text, 200);
	sb_printf(sb, "</title><style>%s</style></head>\n<body>\n<h1>", css);
	text(sb, title_text, 200);
	sb_printf(sb, "</h1>\n<p class=\"muted\">As of %.10s %.5s UTC, from the liaisons' mail "
		      "(headers only). Scores: tie strength 0&#8211;100; weak below 30, strong "
		      "from 60.</p>\n", t, t + 11);
}

static void foot(struct sbuf *sb)
{
	sb_adds(sb, "<p class=\"muted\">Made by rapport " PACKAGE_VERSION
		    ". Nothing on this page is fetched from anywhere.</p>\n</body></html>\n");
}

static const char *cls(enum score_class k)
{
	return score_class_name(k);
}

static void month_of(int64_t t, char buf[8])
{
	char iso[32];
	epoch_to_iso(t, iso);
	memcpy(buf, iso, 7);
	buf[7] = '\0';
}

/* A chart of the monthly tie strength with the class bands behind it:
 * one circle per month the pair was a relationship (class "pt", with
 * data-month and data-tie), a <title>, and the numbers in a table for
 * screen readers. */
static void chart(struct sbuf *sb, const struct site *s, const struct rel *r, bool big)
{
	const char *cl_name = s->accounts.v[r->account];
	double w = big ? 600 : 120, h = big ? 160 : 28, pad = big ? 24 : 2;
	double step = (w - 2 * pad) / (s->months - 1);
	sb_printf(sb, "<svg class=\"%s hist\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
		      "data-liaison=\"", big ? "big" : "spark", w, h + (big ? 18 : 0));
	site_escape(sb, cl_name, 0);
	sb_adds(sb, "\" data-client=\"");
	site_escape(sb, r->name, 0);
	sb_adds(sb, "\"><title>Tie strength by month with ");
	site_escape(sb, r->name, 200);
	sb_adds(sb, ":");
	for (size_t k = 0; k < s->months; k++)
		if (r->hist[k].client) {
			char m[8];
			month_of(r->hist[k].at, m);
			sb_printf(sb, " %s %d;", m, r->hist[k].tie_strength);
		}
	sb_adds(sb, "</title>");
	/* the bands: weak 0-30, moderate 30-60, strong 60-100 */
	static const struct { int lo, hi; const char *fill; } bands[] = {
		{0, 30, "#fbe3e3"}, {30, 60, "#fdf2d0"}, {60, 100, "#dcf1e0"}};
	for (size_t b = 0; b < 3; b++)
		sb_printf(sb, "<rect x=\"0\" y=\"%.1f\" width=\"%.0f\" height=\"%.1f\" fill=\"%s\"/>",
			  h - bands[b].hi * h / 100.0, w, (bands[b].hi - bands[b].lo) * h / 100.0,
			  bands[b].fill);
	/* the line, broken where the pair was no relationship yet */
	bool open = false;
	for (size_t k = 0; k < s->months; k++) {
		const struct model_point *p = &r->hist[k];
		if (!p->client) {
			if (open)
				sb_adds(sb, "\"/>");
			open = false;
			continue;
		}
		if (!open)
			sb_adds(sb, "<polyline fill=\"none\" stroke=\"#235\" stroke-width=\"1.5\" "
				    "points=\"");
		open = true;
		sb_printf(sb, "%.1f,%.1f ", pad + k * step, h - p->tie_strength * h / 100.0);
	}
	if (open)
		sb_adds(sb, "\"/>");
	for (size_t k = 0; k < s->months; k++) {
		const struct model_point *p = &r->hist[k];
		if (!p->client)
			continue;
		char m[8], at[32];
		month_of(p->at, m);
		epoch_to_iso(p->at, at);
		sb_printf(sb, "<circle class=\"pt\" data-month=\"%s\" data-at=\"%s\" "
			      "data-tie=\"%d\" cx=\"%.1f\" cy=\"%.1f\" r=\"%s\" fill=\"#235\"/>", m,
			  at, p->tie_strength, pad + k * step, h - p->tie_strength * h / 100.0,
			  big ? "3" : "1.5");
	}
	if (big)
		for (size_t k = 0; k < s->months; k += 3) {
			char m[8];
			month_of(r->hist[k].at, m);
			sb_printf(sb, "<text x=\"%.1f\" y=\"%.0f\" font-size=\"10\" "
				      "text-anchor=\"middle\" fill=\"#555\">%s</text>", pad + k * step,
				  h + 14, m);
		}
	sb_adds(sb, "</svg>");
	if (!big)
		return;
	sb_adds(sb, "<table class=\"sr\"><caption>History of the relationship</caption><tr>"
		    "<th>Month</th><th>Tie strength</th><th>Class</th><th>Phase</th>"
		    "<th>Sent</th><th>Received</th></tr>");
	for (size_t k = 0; k < s->months; k++) {
		const struct model_point *p = &r->hist[k];
		char m[8];
		month_of(p->at, m);
		if (p->client)
			sb_printf(sb, "<tr><td>%s</td><td>%d</td><td>%s%s</td><td>%s</td><td>%d</td>"
				      "<td>%d</td></tr>", m, p->tie_strength, cls(p->klass),
				  p->one_sided ? ", one-sided" : "", score_phase_name(p->phase), p->out,
				  p->in);
		else
			sb_printf(sb, "<tr><td>%s</td><td colspan=\"5\">not a client yet</td></tr>", m);
	}
	sb_adds(sb, "</table>");
}

/* The messages of the window: outbound above the axis, inbound below,
 * the first message of unanswered outreach in red. */
static void timeline(struct sbuf *sb, const struct site *s, const struct rel *r)
{
	double w = 600, h = 96, mid = 40;
	int64_t win = (int64_t)s->c->scoring.window_days * 86400, from = s->o->now - win;
	int outn = 0, inn = 0, un = 0;
	for (size_t i = 0; i < r->ntl; i++) {
		outn += r->tl[i].out;
		inn += !r->tl[i].out;
		un += r->tl[i].unanswered;
	}
	sb_printf(sb, "<svg class=\"tl\" viewBox=\"0 0 %.0f %.0f\" role=\"img\"><title>Messages "
		      "of the last %d days: %d sent (above), %d received (below), %d outreach "
		      "unanswered (red)</title><line x1=\"0\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" "
		      "stroke=\"#999\"/>", w, h, s->c->scoring.window_days, outn, inn, un, mid, w,
		  mid);
	char a[32], b[32];
	epoch_to_iso(from, a);
	epoch_to_iso(s->o->now, b);
	sb_printf(sb, "<text x=\"2\" y=\"92\" font-size=\"10\" fill=\"#555\">%.10s</text>"
		      "<text x=\"%.0f\" y=\"92\" font-size=\"10\" text-anchor=\"end\" "
		      "fill=\"#555\">%.10s</text><text x=\"%.0f\" y=\"92\" font-size=\"10\" "
		      "text-anchor=\"middle\" fill=\"#555\">sent above, received below, unanswered "
		      "outreach in red</text>", a, w - 2, b, w / 2);
	for (size_t i = 0; i < r->ntl; i++) {
		const struct tl_msg *m = &r->tl[i];
		double x = (double)(m->date - from) / (double)win * w;
		sb_printf(sb, "<line class=\"%s\" x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" "
			      "stroke=\"%s\" stroke-width=\"2\"/>",
			  m->unanswered ? "msg out unanswered" : m->out ? "msg out" : "msg in", x, mid,
			  x, m->out ? mid - 30 : mid + 30,
			  m->unanswered ? "#c00" : m->out ? "#235" : "#2a7");
	}
	sb_adds(sb, "</svg>");
}

/* The tie a month ago (at the month end before the last point). */
static int tie_ago(const struct site *s, const struct rel *r)
{
	return r->hist[s->months - 2].client ? r->hist[s->months - 2].tie_strength : 0;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static double median_of(int *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_int);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

static void client_cell(struct sbuf *sb, const struct site *s, const struct rel *r, bool link)
{
	if (link) {
		char *page = site_page_name(s->accounts.v[r->account]);
		sb_printf(sb, "<a href=\"%s#c-%d\">", page, r->anchor);
		free(page);
	}
	text(sb, r->name, 80);
	if (link)
		sb_adds(sb, "</a>");
}

/* ---- the team page -------------------------------------------------------- */

static int cmp_move(const void *a, const void *b, void *ud)
{
	const struct rel *const *x = a, *const *y = b;
	const struct site *s = ud;
	int dx = (*x)->s.tie_strength - tie_ago(s, *x), dy = (*y)->s.tie_strength - tie_ago(s, *y);
	if (dx != dy)
		return dx > dy ? -1 : 1;
	return strcmp((*x)->name, (*y)->name);
}

static void team_page(struct sbuf *sb, const struct site *s)
{
	head(sb, "rapport: the team", s->o->now);
	sb_adds(sb, "<h2>Liaisons</h2>\n<table><tr><th>Liaison</th><th class=\"n\">Clients</th>"
		    "<th class=\"n\">Strong</th><th class=\"n\">Moderate</th><th class=\"n\">Weak</th>"
		    "<th class=\"n\">Median tie</th><th class=\"n wide\">One-sided</th>"
		    "<th class=\"n\">Since a month ago</th></tr>\n");
	int *now = xmalloc((s->nrels + 1) * sizeof(int)), *ago = xmalloc((s->nrels + 1) * sizeof(int));
	for (size_t a = 0; a < s->accounts.n; a++) {
		if (!wanted(s, a))
			continue;
		size_t n = 0, nago = 0, k[3] = {0}, one = 0;
		for (size_t i = 0; i < s->nrels; i++) {
			const struct rel *r = &s->rels[i];
			if (r->account != a)
				continue;
			now[n++] = r->s.tie_strength;
			k[r->s.klass]++;
			one += r->s.one_sided;
			if (r->hist[s->months - 2].client)
				ago[nago++] = r->hist[s->months - 2].tie_strength;
		}
		double mn = median_of(now, n), ma = median_of(ago, nago);
		char *page = site_page_name(s->accounts.v[a]);
		sb_printf(sb, "<tr><td><a href=\"%s\">", page);
		free(page);
		text(sb, liaison_name(s, a), 80);
		sb_printf(sb, "</a></td><td class=\"n\">%zu</td><td class=\"n\">%zu</td>"
			      "<td class=\"n\">%zu</td><td class=\"n\">%zu</td><td class=\"n\">%.1f</td>"
			      "<td class=\"n wide\">%.0f%%</td><td class=\"n\">%+.1f</td></tr>\n", n,
			  k[CLASS_STRONG], k[CLASS_MODERATE], k[CLASS_WEAK], mn,
			  n ? 100.0 * (double)one / (double)n : 0.0, mn - ma);
	}
	sb_adds(sb, "</table>\n");

	/* departments: each client once, by its strongest relationship */
	struct report r = {0};
	r.rows = xmalloc((s->nrels + 1) * sizeof(*r.rows));
	struct report_row *rows = xcalloc(s->nrels + 1, sizeof(*rows));
	for (size_t i = 0; i < s->nrels; i++) {
		if (!wanted(s, s->rels[i].account))
			continue;
		rows[r.n] = (struct report_row){0, s->accounts.v[s->rels[i].account], s->rels[i].name,
						s->rels[i].dept, s->rels[i].addr, s->o->now,
						s->rels[i].s};
		r.rows[r.n] = &rows[r.n];
		r.n++;
	}
	size_t u = report_strongest(r.rows, r.n);
	sb_adds(sb, "<h2>Departments</h2>\n<p class=\"muted\">Each client once, by the library's "
		    "strongest tie to it.</p>\n<table><tr><th>Department</th><th class=\"n\">"
		    "Clients</th><th>Strong, moderate, weak</th><th class=\"n\">Median tie</th></tr>\n");
	struct strlist depts = {0};
	for (size_t i = 0; i < u; i++)
		sl_add_unique(&depts, r.rows[i]->department);
	sl_sort(&depts);
	for (size_t d = 0; d < depts.n; d++) {
		size_t n = 0, k[3] = {0};
		for (size_t i = 0; i < u; i++)
			if (strcmp(r.rows[i]->department, depts.v[d]) == 0) {
				now[n++] = r.rows[i]->s.tie_strength;
				k[r.rows[i]->s.klass]++;
			}
		sb_adds(sb, "<tr><td>");
		text(sb, depts.v[d], 80);
		sb_printf(sb, "</td><td class=\"n\">%zu</td><td><svg class=\"bar\" viewBox=\"0 0 200 "
			      "14\" width=\"200\" height=\"14\" role=\"img\"><title>%zu strong, %zu "
			      "moderate, %zu weak</title>", n, k[CLASS_STRONG], k[CLASS_MODERATE],
			  k[CLASS_WEAK]);
		double x = 0;
		static const char *const fill[3] = {"#c44", "#d9a300", "#2a8a44"};
		static const int order[3] = {CLASS_STRONG, CLASS_MODERATE, CLASS_WEAK};
		for (int j = 0; j < 3; j++) {
			double bw = n ? 200.0 * (double)k[order[j]] / (double)n : 0;
			if (bw > 0)
				sb_printf(sb, "<rect class=\"%s\" x=\"%.1f\" y=\"0\" width=\"%.1f\" "
					      "height=\"14\" fill=\"%s\"/>", cls((enum score_class)order[j]),
					  x, bw, fill[order[j]]);
			x += bw;
		}
		sb_printf(sb, "</svg></td><td class=\"n\">%.1f</td></tr>\n", median_of(now, n));
	}
	sb_adds(sb, "</table>\n");
	sl_free(&depts);

	/* the ties that moved most since a month ago, both ways */
	const struct rel **mv = xmalloc((s->nrels + 1) * sizeof(*mv));
	size_t nmv = 0;
	for (size_t i = 0; i < s->nrels; i++)
		if (wanted(s, s->rels[i].account) && s->rels[i].hist[s->months - 2].client &&
		    s->rels[i].s.tie_strength != tie_ago(s, &s->rels[i]))
			mv[nmv++] = &s->rels[i];
	qsort_r(mv, nmv, sizeof(*mv), cmp_move, (void *)s);
	for (int way = 0; way < 2; way++) {
		sb_printf(sb, "<h2>%s since a month ago</h2>\n", way ? "Ties that weakened most"
								    : "Ties that grew most");
		size_t shown = 0;
		sb_adds(sb, "<table><tr><th>Client</th><th>Liaison</th><th class=\"n\">A month ago"
			    "</th><th class=\"n\">Now</th></tr>\n");
		for (size_t j = 0; j < nmv && shown < 10; j++) {
			const struct rel *x = mv[way ? nmv - 1 - j : j];
			int d = x->s.tie_strength - tie_ago(s, x);
			if ((way && d >= 0) || (!way && d <= 0))
				break;
			sb_adds(sb, "<tr><td>");
			client_cell(sb, s, x, true);
			sb_adds(sb, "</td><td>");
			text(sb, liaison_name(s, x->account), 80);
			sb_printf(sb, "</td><td class=\"n\">%d</td><td class=\"n\">%d</td></tr>\n",
				  tie_ago(s, x), x->s.tie_strength);
			shown++;
		}
		if (!shown)
			sb_adds(sb, "<tr><td colspan=\"4\" class=\"muted\">none</td></tr>\n");
		sb_adds(sb, "</table>\n");
	}
	free(mv);
	free(rows);
	free(r.rows);
	free(now);
	free(ago);
	foot(sb);
}

/* ---- a liaison's page ---------------------------------------------------- */

struct nudge_rows {
	struct sbuf *sb;
	const struct site *s;
	size_t account;
	const struct conf_account *ca;
	size_t n;
};

static int on_nudge_row(void *ud, const struct store_nudge_row *n)
{
	struct nudge_rows *x = ud;
	struct sbuf *sb = x->sb;
	if (strcmp(n->account, x->s->accounts.v[x->account]) != 0)
		return 0;
	if (!x->n)
		sb_adds(sb, "<table class=\"rel\"><tr><th>#</th><th>Client</th><th>Kind</th>"
			    "<th class=\"wide\">About</th><th>What to do</th></tr>\n");
	x->n++;
	sb_printf(sb, "<tr><td>%lld</td><td>", (long long)n->id);
	text(sb, n->client, 80);
	sb_printf(sb, "</td><td>%s</td><td class=\"wide\">", n->kind);
	text(sb, n->subject, 120);
	sb_adds(sb, "</td><td class=\"what\"><span class=\"reason\">");
	char *why = report_with_intro(&x->s->ties, x->s->c, n->account, n->client, n->kind,
				      n->reason);
	text(sb, why, 400);
	free(why);
	sb_adds(sb, "</span>");
	const struct conf_account *ca = x->ca;
	const char *to = !ca ? NULL : ca->actions_address ? ca->actions_address
			 : ca->digest_to ? ca->digest_to : ca->identity.n ? ca->identity.v[0] : NULL;
	if (x->s->o->key && to) {
		sb_adds(sb, "<br>");
		for (int k = 0; k < ACTION_N; k++) {
			char *subj = action_subject(x->s->o->key, n->account, n->id, (enum action_kind)k);
			char *link = action_mailto(to, subj);
			sb_adds(sb, "<a class=\"act\" href=\"");
			site_escape(sb, link, 0);
			sb_printf(sb, "\">%s</a>", action_label((enum action_kind)k));
			free(link);
			free(subj);
		}
	}
	sb_adds(sb, "</td></tr>\n");
	return 0;
}

static void rel_row(struct sbuf *sb, const struct site *s, const struct rel *r, bool reason)
{
	sb_adds(sb, "<tr><td>");
	client_cell(sb, s, r, true);
	sb_adds(sb, "</td><td class=\"wide\">");
	text(sb, r->dept, 40);
	sb_printf(sb, "</td><td class=\"n\">%d</td><td class=\"%s\">%s%s</td><td>",
		  r->s.tie_strength, cls(r->s.klass), cls(r->s.klass), r->s.one_sided ? "*" : "");
	chart(sb, s, r, false);
	sb_adds(sb, "</td>");
	if (reason) {
		char *why = report_reason(&r->s, s->o->now);
		sb_adds(sb, "<td class=\"reason\">");
		site_escape(sb, why, 0);
		sb_adds(sb, "</td>");
		free(why);
	}
	sb_adds(sb, "</tr>\n");
}

static void rel_table(struct sbuf *sb, const struct site *s, size_t a, int which)
{
	size_t n = 0;
	for (size_t i = 0; i < s->nrels; i++) {
		const struct rel *r = &s->rels[i];
		if (r->account != a)
			continue;
		bool weak = r->s.phase != PHASE_DORMANT && (r->s.klass == CLASS_WEAK || r->s.one_sided);
		bool fading = r->s.trend == TREND_APART || r->reconnect;
		if ((which == 0 && !weak) || (which == 1 && !fading))
			continue;
		if (!n++)
			sb_printf(sb, "<table class=\"rel\"><tr><th>Client</th><th class=\"wide\">Department</th>"
				      "<th class=\"n\">Tie</th><th>Class</th><th>24 months</th>%s</tr>\n",
				  which == 2 ? "" : "<th>Why</th>");
		rel_row(sb, s, r, which != 2);
	}
	if (n)
		sb_adds(sb, "</table>\n");
	else
		sb_adds(sb, "<p class=\"muted\">None.</p>\n");
}

static int cmp_team(const void *a, const void *b, void *ud)
{
	const struct site *s = ud;
	const struct rel *x = *(const struct rel *const *)a, *y = *(const struct rel *const *)b;
	return report_stronger(&x->s, s->accounts.v[x->account], &y->s, s->accounts.v[y->account]);
}

static void client_section(struct sbuf *sb, const struct site *s, const struct rel *r)
{
	sb_printf(sb, "<section class=\"client\" id=\"c-%d\"><h3>", r->anchor);
	text(sb, r->name, 120);
	sb_adds(sb, " <span class=\"muted\">&lt;");
	site_escape(sb, r->addr, 120);
	sb_adds(sb, "&gt;, ");
	text(sb, r->dept, 80);
	sb_adds(sb, "</span></h3>\n<table><tr><th>Liaison</th><th class=\"n\">Tie</th>"
		    "<th>Class</th><th>Phase</th><th class=\"wide\">Trend</th></tr>\n");
	/* the team view: every account's relationship, strongest first */
	const struct rel **tv = xmalloc((s->nrels + 1) * sizeof(*tv));
	size_t n = 0;
	for (size_t i = 0; i < s->nrels; i++)
		if (strcmp(s->rels[i].name, r->name) == 0)
			tv[n++] = &s->rels[i];
	qsort_r(tv, n, sizeof(*tv), cmp_team, (void *)s);
	for (size_t i = 0; i < n; i++) {
		sb_adds(sb, "<tr><td>");
		text(sb, liaison_name(s, tv[i]->account), 80);
		sb_printf(sb, "</td><td class=\"n\">%d</td><td class=\"%s\">%s%s</td><td>%s</td>"
			      "<td class=\"wide\">%s</td></tr>\n", tv[i]->s.tie_strength,
			  cls(tv[i]->s.klass), cls(tv[i]->s.klass), tv[i]->s.one_sided ? "*" : "",
			  score_phase_name(tv[i]->s.phase), score_trend_name(tv[i]->s.trend));
	}
	free(tv);
	sb_adds(sb, "</table>\n");
	chart(sb, s, r, true);
	timeline(sb, s, r);
	sb_adds(sb, "</section>\n");
}

static void liaison_page(struct sbuf *sb, struct store *st, const struct site *s, size_t a)
{
	char *title = xasprintf("rapport: %s", liaison_name(s, a));
	head(sb, title, s->o->now);
	free(title);
	sb_adds(sb, "<p><a href=\"index.html\">The team</a></p>\n");
	sb_adds(sb, "<h2>Weak and one-sided relationships</h2>\n");
	rel_table(sb, s, a, 0);
	sb_adds(sb, "<h2>Fading ties</h2>\n<p class=\"muted\">Coming apart (fewer messages in the "
		    "last 90 days than in the 90 before), or silent for longer than usual "
		    "(a reconnect nudge).</p>\n");
	rel_table(sb, s, a, 1);
	sb_adds(sb, "<h2>Open nudges</h2>\n");
	struct nudge_rows nr = {sb, s, a, conf_account_find(s->c, s->accounts.v[a]), 0};
	struct store_nudge_filter f = {false, s->o->now, NULL, s->accounts.v[a], NULL};
	store_each_nudge(st, &f, on_nudge_row, &nr);
	if (nr.n)
		sb_adds(sb, "</table>\n");
	else
		sb_adds(sb, "<p class=\"muted\">None.</p>\n");
	if (nr.n && !s->o->key)
		sb_adds(sb, "<p class=\"muted\">No action links: this report was made without the "
			    "action key (rapportd makes the report with them).</p>\n");
	sb_adds(sb, "<h2>Every client</h2>\n");
	rel_table(sb, s, a, 2);
	for (size_t i = 0; i < s->nrels; i++)
		if (s->rels[i].account == a)
			client_section(sb, s, &s->rels[i]);
	foot(sb);
}

/* ---- writing ------------------------------------------------------------- */

static int write_file(const char *dir, const char *name, const struct sbuf *sb, mode_t mode,
		      char **ret_error)
{
	char *path = xasprintf("%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	int e = 0;
	if (fd < 0)
		e = errno;
	else {
		size_t off = 0;
		while (off < sb->len) {
			ssize_t n = write(fd, sb->buf + off, sb->len - off);
			if (n < 0) {
				e = errno;
				break;
			}
			off += (size_t)n;
		}
		if (!e && fchmod(fd, mode) < 0)
			e = errno;
		if (close(fd) < 0 && !e)
			e = errno;
	}
	if (e)
		*ret_error = xasprintf("%s: %s", path, strerror(e));
	free(path);
	return -e;
}

/* Removes a directory rapport wrote (flat: regular files only). */
static void remove_site(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char *p = xasprintf("%s/%s", dir, e->d_name);
		unlink(p);
		free(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

static int build(struct store *st, const struct site *s, const char *tmp, char **ret_error)
{
	mode_t fm = s->o->group ? 0640 : 0600;
	struct sbuf sb = {0};
	int r = write_file(tmp, SITE_MARKER, &sb, fm, ret_error);
	if (r == 0) {
		team_page(&sb, s);
		r = write_file(tmp, "index.html", &sb, fm, ret_error);
	}
	for (size_t a = 0; r == 0 && a < s->accounts.n; a++) {
		if (!wanted(s, a))
			continue;
		sb_reset(&sb);
		liaison_page(&sb, st, s, a);
		char *name = site_page_name(s->accounts.v[a]);
		r = write_file(tmp, name, &sb, fm, ret_error);
		free(name);
	}
	sb_free(&sb);
	return r;
}

int site_publish(struct store *st, const struct conf *c, const char *dir,
		 const struct site_options *o, char **ret_error)
{
	struct stat sb;
	bool exists = lstat(dir, &sb) == 0;
	if (exists) {
		char *marker = xasprintf("%s/%s", dir, SITE_MARKER);
		bool ours = S_ISDIR(sb.st_mode) && access(marker, F_OK) == 0;
		free(marker);
		if (!ours) {
			*ret_error = xasprintf("%s: exists and is not a rapport report (no %s in it): "
					       "refusing to replace it; choose another directory", dir,
					       SITE_MARKER);
			return -EEXIST;
		}
	}
	struct site s = {.c = c, .o = o};
	int r = gather(st, &s);
	if (r < 0) {
		*ret_error = xasprintf("cannot read the database: %s", store_errmsg(st));
		site_free(&s);
		return r;
	}
	for (size_t a = 0; a < s.accounts.n; a++) {
		int k = 0;
		for (size_t i = 0; i < s.nrels; i++)
			if (s.rels[i].account == a)
				s.rels[i].anchor = ++k;
	}
	s.ties.rows = xmalloc((s.nrels + 1) * sizeof(*s.ties.rows));
	s.tie_rows = xcalloc(s.nrels + 1, sizeof(*s.tie_rows));
	for (size_t i = 0; i < s.nrels; i++) {
		s.tie_rows[i] = (struct report_row){0, s.accounts.v[s.rels[i].account], s.rels[i].name,
						    s.rels[i].dept, s.rels[i].addr, o->now,
						    s.rels[i].s};
		s.ties.rows[i] = &s.tie_rows[i];
	}
	s.ties.n = s.nrels;
	s.ties.naccounts = s.accounts.n;
	char *tmp = xasprintf("%s.new-XXXXXX", dir);
	if (!mkdtemp(tmp)) {
		*ret_error = xasprintf("%s: cannot make a directory beside it: %s", dir,
				       strerror(errno));
		free(tmp);
		site_free(&s);
		return -EIO;
	}
	chmod(tmp, o->group ? 0750 : 0700);
	r = build(st, &s, tmp, ret_error);
	site_free(&s);
	if (r == 0) {
		/* one rename: a reader sees the old site or the new one */
		if (!exists && rename(tmp, dir) < 0)
			r = -errno;
		else if (exists && renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_EXCHANGE) < 0)
			r = -errno;
		if (r < 0)
			*ret_error = xasprintf("%s: cannot put the new report in place: %s", dir,
					       strerror(-r));
	}
	/* after an exchange tmp holds the old site; after a failure, the new */
	if (r < 0 || exists)
		remove_site(tmp);
	free(tmp);
	return r;
}
