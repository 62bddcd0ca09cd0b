/* msg: see msg.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <libetpan/libetpan.h>

#include "addr.h"
#include "dsn.h"
#include "hdr.h"
#include "msg.h"

/* ---- decoding ---------------------------------------------------------- */

/* Whether libetpan's phrase decoding would give raw back as it is:
 * nothing that starts an encoded word ("=?"), and only single spaces
 * between words (it drops leading white space and makes each run of
 * spaces, tabs and line ends one space). */
static bool plain_phrase(const char *raw, size_t n)
{
	if (!n || raw[0] == ' ')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = raw[i], next = raw[i + 1];
		if (c == '\t' || c == '\r' || c == '\n' || (c == ' ' && next == ' ') ||
		    (c == '=' && next == '?'))
			return false;
	}
	return true;
}

/* RFC 2047 decoding to UTF-8 (libetpan converts charsets through iconv).
 * Raw 8-bit text that is not UTF-8 (utf8 false) is taken as ISO-8859-1,
 * which maps every byte, so nothing is dropped. */
static char *decode_phrase(const char *raw, size_t n, bool utf8)
{
	size_t idx = 0;
	char *out = NULL;
	if (n && mailmime_encoded_phrase_parse(utf8 ? "utf-8" : "iso-8859-1", raw, n, &idx,
					       "utf-8", &out) == MAILIMF_NO_ERROR && out) {
		char *s = utf8_sanitize(out, strlen(out));
		free(out);
		return s;
	}
	free(out);
	return utf8_sanitize(raw, n);
}

/* msg.h */
char *msg_decode_phrase(const char *raw)
{
	size_t n = strlen(raw);
	return decode_phrase(raw, n, utf8_valid(raw, n));
}

/* msg.h */
char *msg_decode_text(const char *raw)
{
	size_t n = strlen(raw);
	bool utf8 = utf8_valid(raw, n);
	/* most subjects and names: no copy through libetpan and iconv */
	if (utf8 && plain_phrase(raw, n))
		return utf8_sanitize(raw, n);
	return decode_phrase(raw, n, utf8);
}

/* msg.h */
bool msg_may_be_report(const char *h, size_t n)
{
	static const struct {
		const char *s;
		size_t n;
	} words[] = {{"multipart/report", 16}, {"mailer-daemon", 13}, {"postmaster", 10}};
	enum { SHORTEST = 10 };
	/* every word starts with two letters: |0x20 lowers either case, and
	 * a position whose two do not start a word costs two compares (a
	 * sync reads every header this way) */
	for (size_t i = 0; i + SHORTEST <= n; i++) {
		char c = (char)(h[i] | 0x20), d = (char)(h[i + 1] | 0x20);
		if (!((c == 'm' && (d == 'u' || d == 'a')) || (c == 'p' && d == 'o')))
			continue;
		for (size_t w = 0; w < ARRAY_SIZE(words); w++)
			if (words[w].s[0] == c && words[w].s[1] == d && i + words[w].n <= n &&
			    ascii_strncasecmp(h + i, words[w].s, words[w].n) == 0)
				return true;
	}
	return false;
}

/* ---- dates ------------------------------------------------------------- */

static bool date_fields_ok(int y, int mo, int d, int h, int mi, int s)
{
	return y >= 1970 && y <= 9999 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 &&
	       h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && s >= 0 && s <= 60;
}

/* RFC 5322 §4.3: two-digit years 00-49 are 20xx, 50-99 and three-digit
 * years are 19xx. */
static int fix_year(int y)
{
	if (y >= 0 && y < 50)
		return y + 2000;
	if (y >= 50 && y < 1000)
		return y + 1900;
	return y;
}

static int zone_seconds(int zone)
{
	int a = zone < 0 ? -zone : zone;
	int s = (a / 100) * 3600 + (a % 100) * 60;
	return zone < 0 ? -s : s;
}

static const struct { const char *name; int zone; } zones[] = {
	{"UT", 0}, {"UTC", 0}, {"GMT", 0}, {"Z", 0}, {"EST", -500}, {"EDT", -400},
	{"CST", -600}, {"CDT", -500}, {"MST", -700}, {"MDT", -600}, {"PST", -800},
	{"PDT", -700}, {"CET", 100}, {"CEST", 200}, {"BST", 100},
};

static const char *const months[] = {"jan", "feb", "mar", "apr", "may", "jun",
				     "jul", "aug", "sep", "oct", "nov", "dec"};

/* Lenient fallback for dates libetpan rejects: "[Day,] D Mon YYYY HH:MM[:SS] [zone]". */
static int parse_date_lenient(const char *v, int64_t *ret)
{
	const char *p = v;
	char mon[4] = {0}, zone[16] = {0};
	int d, y, h, mi, s = 0, k = 0;

	while (*p && ascii_isspace((unsigned char)*p))
		p++;
	const char *comma = strchr(p, ',');
	if (comma && comma - p < 12)
		p = comma + 1;
	if (sscanf(p, " %d %3s %d %d:%d%n", &d, mon, &y, &h, &mi, &k) != 5)
		return -EINVAL;
	p += k;
	if (*p == ':') {
		int k2 = 0;
		if (sscanf(p + 1, "%d%n", &s, &k2) != 1)
			return -EINVAL;
		p += 1 + k2;
	}
	int mo = 0;
	for (int i = 0; i < 12; i++)
		if (ascii_strcasecmp(mon, months[i]) == 0)
			mo = i + 1;
	y = fix_year(y);
	if (!mo || !date_fields_ok(y, mo, d, h, mi, s))
		return -EINVAL;
	int off = 0;
	if (sscanf(p, " %15s", zone) == 1) {
		/* exactly +HHMM or -HHMM; anything else is no usable zone */
		bool digits = strlen(zone) >= 5;
		for (int i = 1; i < 5 && digits; i++)
			digits = zone[i] >= '0' && zone[i] <= '9';
		if ((zone[0] == '+' || zone[0] == '-') && digits) {
			int z = (zone[1] - '0') * 1000 + (zone[2] - '0') * 100 + (zone[3] - '0') * 10 +
				(zone[4] - '0');
			off = zone_seconds(zone[0] == '-' ? -z : z);
		} else {
			for (size_t i = 0; i < ARRAY_SIZE(zones); i++)
				if (ascii_strcasecmp(zone, zones[i].name) == 0)
					off = zone_seconds(zones[i].zone);
		}
	}
	*ret = civil_to_epoch(y, mo, d, h, mi, s) - off;
	return 0;
}

/* Parses an RFC 5322 date-time (libetpan first, then leniently). */
static int parse_date(const char *v, int64_t *ret)
{
	struct mailimf_date_time *dt = NULL;
	size_t idx = 0;

	if (!v || !*v)
		return -EINVAL;
	if (mailimf_date_time_parse(v, strlen(v), &idx, &dt) == MAILIMF_NO_ERROR && dt) {
		int y = fix_year(dt->dt_year);
		bool ok = date_fields_ok(y, dt->dt_month, dt->dt_day, dt->dt_hour,
					 dt->dt_min, dt->dt_sec) &&
			  dt->dt_zone >= -9959 && dt->dt_zone <= 9959;
		if (ok)
			*ret = civil_to_epoch(y, dt->dt_month, dt->dt_day, dt->dt_hour,
					      dt->dt_min, dt->dt_sec) - zone_seconds(dt->dt_zone);
		mailimf_date_time_free(dt);
		if (ok)
			return 0;
	}
	return parse_date_lenient(v, ret);
}

/* ---- addresses --------------------------------------------------------- */

/* A field's addresses as they are collected: each once, in the order
 * they first appear (a set beside the list: a Bcc of 1,000 addresses is
 * not a million comparisons). */
struct addrs {
	struct strlist *l;
	struct strtab seen;
};

static void add_unique(struct addrs *o, const char *a)
{
	size_t before = o->seen.n;
	strtab_intern(&o->seen, a);
	if (o->seen.n > before)
		sl_add(o->l, a);
}

static void add_mailbox(struct addrs *o, char **ret_name, const struct mailimf_mailbox *mb)
{
	if (!mb || !mb->mb_addr_spec || o->l->n >= MSG_MAX_ADDRS)
		return;
	char *a = addr_normalize(mb->mb_addr_spec);
	if (!a)
		return;
	if (ret_name && !*ret_name && o->l->n == 0 && mb->mb_display_name)
		*ret_name = msg_decode_text(mb->mb_display_name);
	add_unique(o, a);
	free(a);
}

/* When libetpan rejects a list (8-bit bytes, stray syntax), take what looks
 * like an address from each comma-separated item: the <...> part, else the
 * bare item. Quotes are honoured so "Doe, J" <j@x> stays one item. */
static void addresses_lenient(const char *v, struct addrs *o)
{
	struct sbuf item = {0};
	bool quoted = false;
	int angle = 0;

	for (const char *p = v;; p++) {
		if (*p == '"' && (p == v || p[-1] != '\\'))
			quoted = !quoted;
		else if (*p == '<' && !quoted)
			angle++;
		else if (*p == '>' && !quoted && angle)
			angle--;
		if (*p == '\0' || ((*p == ',' || *p == ';') && !quoted && !angle)) {
			const char *s = sb_cstr(&item);
			const char *lt = strrchr(s, '<');
			char *cand;
			if (lt && strchr(lt, '>'))
				cand = xstrndup(lt + 1, (size_t)(strchr(lt, '>') - lt - 1));
			else
				cand = xstrtrim(strchr(s, ':') && !strchr(s, '@') ? "" : s);
			char *t = xstrtrim(cand);
			char *a = addr_normalize(t);
			if (a && o->l->n < MSG_MAX_ADDRS)
				add_unique(o, a);
			free(a);
			free(t);
			free(cand);
			sb_reset(&item);
			if (*p == '\0')
				break;
		} else {
			sb_addc(&item, *p);
		}
	}
	sb_free(&item);
}

static bool is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A dot-atom (atext runs joined by single dots) from p; its end, or NULL. */
static const char *dot_atom(const char *p)
{
	for (;;) {
		const char *s = p;
		while (is_atext((unsigned char)*p))
			p++;
		if (p == s)
			return NULL;
		if (*p != '.')
			return p;
		p++;
	}
}

/* A dot-atom local part, '@' and a dot-atom domain from p; its end, or
 * NULL. */
static const char *addr_spec(const char *p)
{
	const char *at = dot_atom(p);
	return at && *at == '@' ? dot_atom(at + 1) : NULL;
}

/* The common case without libetpan: a list of plain "local@domain" and
 * "Some Name <local@domain>" items (dot-atoms; phrases of atoms and of
 * quoted strings without escapes), which mailimf reads as exactly those
 * addresses. Anything else (comments, escapes, groups, 8-bit bytes, empty
 * items) returns false having added nothing, and libetpan reads the value. A newsletter's Bcc of 1,000
 * addresses is most of a sync's parsing otherwise. */
static bool addresses_plain(const char *v, struct addrs *o)
{
	struct strlist got = {0};
	const char *p = v;
	bool ok = true;
	while (ok) {
		while (is_ws(*p))
			p++;
		const char *start = p, *spec, *end;
		/* a phrase of atoms (obsolete dots too) and quoted strings
		 * (no escapes, no line breaks) before '<', or none */
		for (;;) {
			if (is_atext((unsigned char)*p) || *p == '.' || is_ws(*p)) {
				p++;
			} else if (*p == '"') {
				const char *q = p + 1;
				while (*q && *q != '"' && *q != '\\' && *q != '\r' && *q != '\n' &&
				       (unsigned char)*q < 0x80)
					q++;
				if (*q != '"')
					break;
				p = q + 1;
			} else {
				break;
			}
		}
		bool angle = *p == '<';
		spec = angle ? p + 1 : start;
		end = addr_spec(spec);
		if (!end || (angle && *end != '>')) {
			ok = false;
			break;
		}
		p = angle ? end + 1 : end;
		if (got.n == 4 * MSG_MAX_ADDRS) { /* a hostile list: libetpan's bounds */
			ok = false;
			break;
		}
		sl_take(&got, xstrndup(spec, (size_t)(end - spec)));
		while (is_ws(*p))
			p++;
		if (*p == '\0')
			break;
		if (*p != ',')
			ok = false;
		p++;
	}
	ok = ok && got.n;
	for (size_t i = 0; ok && i < got.n && o->l->n < MSG_MAX_ADDRS; i++) {
		char *a = addr_normalize(got.v[i]);
		if (a)
			add_unique(o, a);
		free(a);
	}
	sl_free(&got);
	return ok;
}

static void parse_addresses(const char *v, struct addrs *out, char **ret_name)
{
	struct mailimf_address_list *al = NULL;
	size_t idx = 0;

	if (!v || !*v)
		return;
	if (!ret_name && addresses_plain(v, out))
		return;
	if (mailimf_address_list_parse(v, strlen(v), &idx, &al) == MAILIMF_NO_ERROR && al) {
		for (clistiter *it = clist_begin(al->ad_list); it; it = clist_next(it)) {
			struct mailimf_address *ad = clist_content(it);
			if (ad->ad_type == MAILIMF_ADDRESS_MAILBOX) {
				add_mailbox(out, ret_name, ad->ad_data.ad_mailbox);
			} else if (ad->ad_type == MAILIMF_ADDRESS_GROUP && ad->ad_data.ad_group &&
				   ad->ad_data.ad_group->grp_mb_list) {
				clist *l = ad->ad_data.ad_group->grp_mb_list->mb_list;
				for (clistiter *j = clist_begin(l); j; j = clist_next(j))
					add_mailbox(out, ret_name, clist_content(j));
			}
		}
		mailimf_address_list_free(al);
		/* libetpan stops at the first item it cannot read; if it read
		 * nothing at all, fall back */
		if (out->l->n || idx >= strlen(v))
			return;
	}
	addresses_lenient(v, out);
}

void msg_addresses(const char *value, bool plain, struct strlist *ret)
{
	struct addrs o = {ret, {0}};
	char *unused = NULL;
	/* a name asked for keeps the fast path out */
	parse_addresses(value, &o, plain ? NULL : &unused);
	free(unused);
	strtab_free(&o.seen);
}

/* Applies parse_addresses to every field named name (To may repeat),
 * into the empty list out. limit (0: none): at most so many bytes of a
 * field are read, cut after the last complete item, and *ret_more says a
 * field was longer. */
static void collect(const struct hdr *h, const char *name, struct strlist *out, char **ret_name,
		    size_t limit, bool *ret_more)
{
	struct addrs o = {out, {0}};
	for (size_t i = 0; i < h->n; i++) {
		if (ascii_strcasecmp(h->f[i].name, name) != 0)
			continue;
		const char *v = h->f[i].value;
		if (!limit || !v || strlen(v) <= limit) {
			parse_addresses(v, &o, ret_name);
			continue;
		}
		*ret_more = true;
		char *cut = xstrndup(v, limit);
		char *comma = strrchr(cut, ',');
		if (comma)
			*comma = '\0';
		parse_addresses(cut, &o, ret_name);
		free(cut);
	}
	strtab_free(&o.seen);
}

/* ---- subjects ---------------------------------------------------------- */

/* If s starts with one of the prefixes (case-insensitive) followed by an
 * optional "[n]", optional white space and ':', returns the text after the
 * colon; else NULL. */
static const char *strip_prefix(const char *s, const char *const *prefixes, size_t np)
{
	while (ascii_isspace((unsigned char)*s))
		s++;
	for (size_t i = 0; i < np; i++) {
		size_t n = strlen(prefixes[i]);
		if (ascii_strncasecmp(s, prefixes[i], n) != 0)
			continue;
		const char *p = s + n;
		if (*p == '[') {
			const char *q = p + 1;
			while (*q >= '0' && *q <= '9')
				q++;
			if (q > p + 1 && *q == ']')
				p = q + 1;
		}
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == ':')
			return p + 1;
	}
	return NULL;
}

static const char *const reply_prefixes[] = {"re", "aw", "sv", "antw"};
static const char *const fwd_prefixes[] = {"fwd", "fw"};
static const char *const all_prefixes[] = {"re", "fwd", "fw", "aw", "sv", "antw"};

bool msg_subject_is_reply(const char *subject)
{
	return strip_prefix(subject, reply_prefixes, ARRAY_SIZE(reply_prefixes)) != NULL;
}

bool msg_subject_is_forward(const char *subject)
{
	return strip_prefix(subject, fwd_prefixes, ARRAY_SIZE(fwd_prefixes)) != NULL;
}

char *msg_subject_normalize(const char *subject)
{
	const char *s = subject, *p;
	while ((p = strip_prefix(s, all_prefixes, ARRAY_SIZE(all_prefixes))))
		s = p;
	struct sbuf sb = {0};
	bool space = false;
	for (; *s; s++) {
		if (ascii_isspace((unsigned char)*s)) {
			space = sb.len > 0;
			continue;
		}
		if (space)
			sb_addc(&sb, ' ');
		space = false;
		sb_addc(&sb, *s);
	}
	char *c = sb_steal(&sb);
	char *f = utf8_casefold(c);
	free(c);
	return f;
}

/* ---- the record -------------------------------------------------------- */

static char *lower_token(const char *v)
{
	if (!v)
		return NULL;
	char *t = xstrtrim(v);
	char *semi = strchr(t, ';');
	if (semi)
		*semi = '\0';
	char *r = xstrtrim(t);
	free(t);
	return ascii_lower(r);
}

static char *synthetic_id(const struct hdr *h)
{
	const char *parts[] = {hdr_get(h, "From"), hdr_get(h, "Date"), hdr_get(h, "Subject")};
	struct sbuf sb = {0};
	unsigned char digest[32];

	for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
		sb_adds(&sb, parts[i] ? parts[i] : "");
		sb_addc(&sb, '\n');
	}
	gnutls_hash_fast(GNUTLS_DIG_SHA256, sb.buf, sb.len, digest);
	sb_reset(&sb);
	sb_adds(&sb, "synthetic.");
	for (int i = 0; i < 16; i++)
		sb_printf(&sb, "%02x", digest[i]);
	sb_adds(&sb, "@rapport.invalid");
	return sb_steal(&sb);
}

static void collect_refs(const char *v, struct strlist *out)
{
	const char *p = v;
	while (p && (p = strchr(p, '<'))) {
		const char *gt = strchr(p + 1, '>');
		if (!gt)
			break;
		char *id = dsn_first_msgid(p);
		if (id) {
			if (out->n == MSG_MAX_REFS) { /* keep the last ones */
				free(out->v[0]);
				memmove(out->v, out->v + 1, (out->n - 1) * sizeof(*out->v));
				out->n--;
			}
			sl_take(out, id);
		}
		p = gt + 1;
	}
}

/* msg.h */
bool msg_header_dated(const char *h, size_t n)
{
	char *v = hdr_value(h, n, "Date");
	int64_t t;
	bool ok = parse_date(v, &t) == 0;
	free(v);
	return ok;
}

/* The date of the top Received header: what follows its last ';'. */
static int received_date(const struct hdr *h, int64_t *ret)
{
	const char *v = hdr_get(h, "Received");
	const char *semi = v ? strrchr(v, ';') : NULL;
	return semi ? parse_date(semi + 1, ret) : -EINVAL;
}

static void set_date(struct msg *m, const struct hdr *h, const struct msg_src_date *src)
{
	int64_t t;
	if (parse_date(hdr_get(h, "Date"), &t) == 0) {
		m->date = t;
		m->date_source = DATE_HEADER;
	} else if (src && src->kind == DATE_INTERNAL) {
		m->date = src->t;
		m->date_source = DATE_INTERNAL;
	} else if (received_date(h, &t) == 0) {
		m->date = t;
		m->date_source = DATE_RECEIVED;
	} else if (src && src->kind != DATE_NONE) {
		m->date = src->t;
		m->date_source = src->kind;
	} else {
		m->date = 0;
		m->date_source = DATE_NONE;
	}
}

int msg_parse(const char *data, size_t len, const struct msg_src_date *src, struct msg *ret)
{
	struct hdr h;
	size_t body;
	struct msg m = {0};

	if (hdr_block_end(data, len) > MSG_MAX_HEADER)
		return -E2BIG;
	hdr_parse(data, len, &h, &body);
	if (h.n == 0) {
		hdr_free(&h);
		return -EINVAL;
	}

	m.message_id = dsn_first_msgid(hdr_get(&h, "Message-ID"));
	if (!m.message_id) {
		m.message_id = synthetic_id(&h);
		m.synthetic_id = true;
	}
	set_date(&m, &h, src);

	struct strlist from = {0};
	collect(&h, "From", &from, &m.from_name, 0, NULL);
	if (from.n)
		m.from = xstrdup(from.v[0]);
	sl_free(&from);
	collect(&h, "To", &m.to, NULL, 0, NULL);
	collect(&h, "Cc", &m.cc, NULL, 0, NULL);
	collect(&h, "Bcc", &m.bcc, NULL, MSG_MAX_BCC, &m.bcc_more);
	collect(&h, "Reply-To", &m.reply_to, NULL, 0, NULL);

	const char *subj = hdr_get(&h, "Subject");
	m.subject = msg_decode_text(subj ? subj : "");
	m.subject_norm = msg_subject_normalize(m.subject);

	m.in_reply_to = dsn_first_msgid(hdr_get(&h, "In-Reply-To"));
	collect_refs(hdr_get(&h, "References"), &m.references);
	const char *lid = hdr_get(&h, "List-Id");
	m.list_id = lid && *lid ? utf8_sanitize(lid, strlen(lid)) : NULL;
	m.has_list_hdr = hdr_get(&h, "List-Post") || hdr_get(&h, "List-Unsubscribe");
	m.precedence = lower_token(hdr_get(&h, "Precedence"));
	m.auto_submitted = lower_token(hdr_get(&h, "Auto-Submitted"));
	const char *xa = hdr_get(&h, "X-Autoreply");
	const char *xr = hdr_get(&h, "X-Autorespond");
	m.x_autoreply = (xa && *xa) || (xr && *xr);

	const char *ctv = hdr_get(&h, "Content-Type");
	char *type = NULL, *sub = NULL, *report = NULL;
	if (dsn_content_type(ctv, &type, &sub, NULL, &report) == 0) {
		m.report = strcmp(type, "multipart") == 0 && strcmp(sub, "report") == 0 &&
			   report && strcmp(report, "delivery-status") == 0;
		free(type);
		free(sub);
		free(report);
	}
	if (m.report || (m.from && addr_is_bounce_sender(m.from))) {
		struct dsn_result d = {0};
		size_t blen = len - body;
		dsn_scan(ctv, data + body, blen > MSG_MAX_BODY_SCAN ? MSG_MAX_BODY_SCAN : blen, &d);
		m.bounce_orig_id = d.orig_id;
		d.orig_id = NULL;
		if (!m.bounce_orig_id && m.in_reply_to)
			m.bounce_orig_id = xstrdup(m.in_reply_to);
		if (!m.bounce_orig_id && m.references.n)
			m.bounce_orig_id = xstrdup(m.references.v[m.references.n - 1]);
		m.bounce_failed = d.failed;
		d.failed = (struct strlist){0};
		m.bounce_per_recipient = d.per_recipient;
		dsn_result_free(&d);
	}
	hdr_free(&h);
	*ret = m;
	return 0;
}

void msg_free(struct msg *m)
{
	free(m->message_id);
	free(m->from);
	free(m->from_name);
	sl_free(&m->to);
	sl_free(&m->cc);
	sl_free(&m->bcc);
	sl_free(&m->reply_to);
	free(m->subject);
	free(m->subject_norm);
	free(m->in_reply_to);
	sl_free(&m->references);
	free(m->list_id);
	free(m->precedence);
	free(m->auto_submitted);
	free(m->bounce_orig_id);
	sl_free(&m->bounce_failed);
	*m = (struct msg){0};
}

/* ---- classification ---------------------------------------------------- */

static const char *const ooo_phrases[] = {
	"out of office", "out of the office", "auto reply", "auto-reply", "autoreply",
	"automatic reply", "auto response", "automatic response", "auto-response",
	"autoresponse", "abwesenheitsnotiz", "automatische antwort",
	"r\xc3\xa9ponse automatique", "absence du bureau",
};

static bool subject_is_ooo(const char *subject)
{
	const char *s = subject;
	while (ascii_isspace((unsigned char)*s))
		s++;
	char *f = utf8_casefold(s);
	bool hit = false;
	for (size_t i = 0; i < ARRAY_SIZE(ooo_phrases) && !hit; i++)
		hit = strncmp(f, ooo_phrases[i], strlen(ooo_phrases[i])) == 0;
	free(f);
	return hit;
}

static bool is_auto(const struct msg *m)
{
	if (m->auto_submitted && *m->auto_submitted && strcmp(m->auto_submitted, "no") != 0)
		return true;
	if (m->x_autoreply)
		return true;
	if (m->precedence && strcmp(m->precedence, "auto_reply") == 0)
		return true;
	return subject_is_ooo(m->subject);
}

static bool is_list(const struct msg *m)
{
	if (m->list_id || m->has_list_hdr)
		return true;
	return m->precedence && (strcmp(m->precedence, "bulk") == 0 ||
				 strcmp(m->precedence, "list") == 0 ||
				 strcmp(m->precedence, "junk") == 0);
}

/* The distinct recipients in To, Cc and Bcc that are not the liaison,
 * counted up to max + 1 (more does not change the class). */
static size_t recipients_beyond_identity(const struct msg *m, const struct strlist *identity,
					 size_t max)
{
	if (m->bcc_more)
		return max + 1;
	struct strtab all = {0};
	const struct strlist *fields[] = {&m->to, &m->cc, &m->bcc};
	for (size_t f = 0; f < ARRAY_SIZE(fields) && all.n <= max; f++)
		for (size_t i = 0; i < fields[f]->n && all.n <= max; i++)
			if (!identity || !sl_contains(identity, fields[f]->v[i]))
				strtab_intern(&all, fields[f]->v[i]);
	size_t n = all.n;
	strtab_free(&all);
	return n;
}

enum msg_kind msg_classify(const struct msg *m, const struct msg_rules *r)
{
	if (m->report || (m->from && addr_is_bounce_sender(m->from)))
		return MSG_BOUNCE;
	if (is_auto(m))
		return MSG_AUTO;
	if (is_list(m))
		return MSG_LIST;
	if (recipients_beyond_identity(m, r->identity, (size_t)r->personal_max_recipients) >
	    (size_t)r->personal_max_recipients)
		return MSG_BROADCAST;
	return MSG_PERSONAL;
}

enum msg_direction msg_direction(const struct msg *m, const struct strlist *identity,
				 bool in_inbox)
{
	if (!m->from)
		return DIR_UNRELATED;
	if (sl_contains(identity, m->from))
		return DIR_OUTBOUND;
	if (in_inbox)
		return DIR_INBOUND;
	for (size_t i = 0; i < identity->n; i++)
		if (sl_contains(&m->to, identity->v[i]) || sl_contains(&m->cc, identity->v[i]))
			return DIR_INBOUND;
	return DIR_UNRELATED;
}

const char *msg_kind_name(enum msg_kind k)
{
	static const char *const names[] = {"personal", "bounce", "auto", "list", "broadcast"};
	return (unsigned)k < ARRAY_SIZE(names) ? names[k] : "?";
}

const char *msg_direction_name(enum msg_direction d)
{
	static const char *const names[] = {"unrelated", "outbound", "inbound"};
	return (unsigned)d < ARRAY_SIZE(names) ? names[d] : "?";
}

const char *msg_date_source_name(enum msg_date_source s)
{
	static const char *const names[] = {"header", "internaldate", "received",
					    "maildir", "mbox", "none"};
	return (unsigned)s < ARRAY_SIZE(names) ? names[s] : "?";
}
