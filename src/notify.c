/* notify: see notify.h. */
#include "config.h"

#include <curl/curl.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "action.h"
#include "net.h"
#include "notify.h"
#include "nudge.h"
#include "report.h"
#include "secret.h"
#include "site.h"

#define NOTIFY_TIMEOUT 60L

const char *notify_channel_name(enum notify_channel ch)
{
	return ch == NOTIFY_EMAIL ? "email" : ch == NOTIFY_WEBHOOK ? "webhook" : "team";
}

bool notify_enabled(const struct conf *c, enum notify_channel ch)
{
	if (ch == NOTIFY_TEAM)
		return c->nudges.smtp_url && c->nudges.team_digest_to;
	return ch == NOTIFY_EMAIL ? c->nudges.smtp_url != NULL : c->nudges.webhook_url != NULL;
}

char *notify_day_key(const char *account, enum notify_channel ch)
{
	return xasprintf("digest:%s:%s", account ? account : "(team)", notify_channel_name(ch));
}

void notify_today(const struct conf *c, int64_t now, char day[16], bool *ret_due)
{
	time_t t = (time_t)now;
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(day, 16, "%Y-%m-%d", &tm);
	int hh = 8, mm = 0;
	sscanf(c->nudges.digest_time, "%d:%d", &hh, &mm);
	*ret_due = tm.tm_hour * 60 + tm.tm_min >= hh * 60 + mm;
}

/* ---- gathering ------------------------------------------------------------- */

struct item {
	int64_t id;
	char *kind, *client, *address, *subject, *reason, *account;
	int64_t about, due;
	char *links[ACTION_N]; /* mailto: URIs, or NULL */
};

struct items {
	struct item *v;
	size_t n;
	int64_t now;
};

static int on_nudge(void *ud, const struct store_nudge_row *r)
{
	struct items *x = ud;
	if (x->n % 32 == 0)
		x->v = xrealloc(x->v, (x->n + 32) * sizeof(*x->v));
	x->v[x->n++] = (struct item){r->id, xstrdup(r->kind), xstrdup(r->client),
				     xstrdup(r->address ? r->address : ""), xstrdup(r->subject),
				     xstrdup(r->reason ? r->reason : ""), xstrdup(r->account),
				     r->about, r->due, {NULL}};
	return 0;
}

/* Who in the team could introduce (report_with_intro), from the stored
 * scores; and, with a key, the action links of each nudge. */
static void enrich(struct store *st, const struct conf *c, struct items *x,
		   const unsigned char *key)
{
	struct report ties;
	if (report_load(st, c, 0, false, 0, true, &ties) == 0) {
		for (size_t i = 0; i < x->n; i++) {
			struct item *it = &x->v[i];
			char *r = report_with_intro(&ties, c, it->account, it->client, it->kind,
						    it->reason);
			free(it->reason);
			it->reason = r;
		}
		report_free(&ties);
	}
	for (size_t i = 0; key && i < x->n; i++) {
		struct item *it = &x->v[i];
		const struct conf_account *a = conf_account_find(c, it->account);
		const char *to = !a ? NULL : a->actions_address ? a->actions_address
				  : a->digest_to ? a->digest_to : a->identity.n ? a->identity.v[0] : NULL;
		if (!to)
			continue;
		for (int k = 0; k < ACTION_N; k++) {
			char *subject = action_subject(key, it->account, it->id, (enum action_kind)k);
			it->links[k] = action_mailto(to, subject);
			free(subject);
		}
	}
}

static void items_free(struct items *x)
{
	for (size_t i = 0; i < x->n; i++) {
		for (int k = 0; k < ACTION_N; k++)
			free(x->v[i].links[k]);
		free(x->v[i].account);
		free(x->v[i].kind);
		free(x->v[i].client);
		free(x->v[i].address);
		free(x->v[i].subject);
		free(x->v[i].reason);
	}
	free(x->v);
}

static const char *const headings[NUDGE_N] = {
	"Follow up (no answer yet)", "Replies you owe", "Reconnect (gone quiet)",
	"One-sided (try a visit or a meeting)"};

/* The plain-text body, grouped by kind, with CRLF line ends. */
#define DIGEST_WIDTH 72 /* what mail readers expect of plain text */

/* The characters (not bytes) of UTF-8 s[0..n). */
static size_t chars(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

/* Appends text as lines of at most DIGEST_WIDTH characters: the first
 * after first_indent, the others after indent; a word longer than a line
 * is cut. */
static void wrap(struct sbuf *sb, const char *text, const char *first_indent, const char *indent,
		 const char *eol)
{
	size_t col = chars(first_indent, strlen(first_indent)), ind = chars(indent, strlen(indent));
	size_t line_start = col;
	sb_adds(sb, first_indent);
	for (const char *p = text; *p;) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		size_t n = strcspn(p, " ");
		size_t w = chars(p, n);
		if (col > line_start && col + 1 + w > DIGEST_WIDTH) {
			sb_adds(sb, eol);
			sb_adds(sb, indent);
			col = line_start = ind;
		} else if (col > line_start) {
			sb_addc(sb, ' ');
			col++;
		}
		/* a word wider than the line: as much as fits, the rest next */
		while (col + w > DIGEST_WIDTH && DIGEST_WIDTH > col) {
			size_t room = DIGEST_WIDTH - col, k = 0, c = 0;
			while (k < n && (c < room || ((unsigned char)p[k] & 0xc0) == 0x80)) {
				c += ((unsigned char)p[k] & 0xc0) != 0x80;
				k++;
			}
			sb_add(sb, p, k);
			sb_adds(sb, eol);
			sb_adds(sb, indent);
			p += k;
			n -= k;
			w = chars(p, n);
			col = line_start = ind;
		}
		sb_add(sb, p, n);
		col += w;
		p += n;
	}
	sb_adds(sb, eol);
}

/* The nudges of one liaison (account, or every one when NULL), by kind. */
static void digest_kinds(struct sbuf *sb, const struct items *x, const char *account,
			 const char *eol)
{
	for (int k = 0; k < NUDGE_N; k++) {
		size_t count = 0;
		for (size_t i = 0; i < x->n; i++)
			count += strcmp(x->v[i].kind, nudge_kind_name((enum nudge_kind)k)) == 0 &&
				 (!account || strcmp(x->v[i].account, account) == 0);
		if (!count)
			continue;
		sb_printf(sb, "%s (%zu)%s", headings[k], count, eol);
		for (size_t i = 0; i < x->n; i++) {
			const struct item *it = &x->v[i];
			if (strcmp(it->kind, nudge_kind_name((enum nudge_kind)k)) != 0 ||
			    (account && strcmp(it->account, account) != 0))
				continue;
			long age = (long)((x->now - it->about) / 86400);
			/* a correspondent's name is its address: once is enough */
			char *who = strcmp(it->client, it->address) == 0
					    ? xstrdup(it->address)
					    : xasprintf("%s <%s>", it->client, it->address);
			char *head = xasprintf("#%lld %s: \"%s\" (%ld day%s)", (long long)it->id, who,
					       it->subject, age, age == 1 ? "" : "s");
			wrap(sb, head, "  ", "      ", eol);
			wrap(sb, it->reason, "    ", "    ", eol);
			/* a link is one word: never cut, on a line of its own */
			for (int a = 0; a < ACTION_N; a++)
				if (it->links[a])
					sb_printf(sb, "    %s:%s    <%s>%s", action_label((enum action_kind)a),
						  eol, it->links[a], eol);
			free(head);
			free(who);
		}
		sb_adds(sb, eol);
	}
}

static char *digest_text(const struct items *x, const struct conf *c,
			 const struct conf_account *a, size_t still_open, const char *eol)
{
	struct sbuf sb = {0};
	bool links = false;
	for (size_t i = 0; i < x->n; i++)
		links |= x->v[i].links[0] != NULL;
	if (a) {
		sb_printf(&sb, "rapport: %zu new nudge%s for %s.%s%s", x->n, x->n == 1 ? "" : "s",
			  a->liaison, eol, eol);
		digest_kinds(&sb, x, a->name, eol);
	} else {
		sb_printf(&sb, "rapport: %zu new nudge%s for the team.%s%s", x->n,
			  x->n == 1 ? "" : "s", eol, eol);
		for (size_t i = 0; i < c->n_accounts; i++) {
			const struct conf_account *t = &c->accounts[i];
			size_t n = 0;
			for (size_t j = 0; j < x->n; j++)
				n += strcmp(x->v[j].account, t->name) == 0;
			if (!n)
				continue;
			sb_printf(&sb, "== %s (%s): %zu ==%s", t->liaison, t->name, n, eol);
			digest_kinds(&sb, x, t->name, eol);
		}
	}
	if (still_open)
		sb_printf(&sb, "%zu earlier nudge%s still open: rapport nudges%s", still_open,
			  still_open == 1 ? " is" : "s are", eol);
	if (c->report_url) {
		size_t n = strlen(c->report_url);
		while (n && c->report_url[n - 1] == '/')
			n--;
		char *page = a ? site_page_name(a->name) : xstrdup("index.html");
		sb_printf(&sb, "%s, with charts:%s  <%.*s/%s>%s%s", a ? "Your relationships"
								    : "The team's page",
			  eol, (int)n, c->report_url, page, eol, eol);
		free(page);
	}
	if (links)
		wrap(&sb, "To act on a nudge, open one of its links and send the message it "
			  "makes: it goes to your own address, and rapport applies it when it "
			  "finds it in your Sent folder.", "", "", eol);
	wrap(&sb, a ? "On the server: rapport snooze ID DAYS, rapport dismiss ID."
		    : "Each liaison gets their own digest with links to act on these.",
	     "", "", eol);
	return sb_steal(&sb);
}

/* RFC 2047 for a header value that is not plain ASCII. */
static char *header_word(const char *s)
{
	bool ascii = true;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		ascii &= *p >= 0x20 && *p < 0x7f;
	if (ascii)
		return xstrdup(s);
	gnutls_datum_t in = {(unsigned char *)s, (unsigned)strlen(s)}, out = {NULL, 0};
	if (gnutls_base64_encode2(&in, &out) < 0)
		return xstrdup("rapport digest");
	char *w = xasprintf("=?UTF-8?B?%.*s?=", (int)out.size, out.data);
	gnutls_free(out.data);
	return w;
}

static bool has_crlf(const char *s)
{
	return s && strpbrk(s, "\r\n") != NULL;
}

/* ---- SMTP --------------------------------------------------------------- */

struct upload {
	const char *data;
	size_t len, off;
};

static size_t read_cb(char *buf, size_t size, size_t n, void *ud)
{
	struct upload *u = ud;
	size_t k = size * n, left = u->len - u->off;
	if (k > left)
		k = left;
	memcpy(buf, u->data + u->off, k);
	u->off += k;
	return k;
}

/* What every delivery connection shares: bounded in time, TLS 1.2 or
 * later with the chain and host name verified, no signals. */
static void curl_common(CURL *h, char *err, const char *ca_file)
{
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, NOTIFY_TIMEOUT);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 20L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, ca_file);
}

/* libcurl's failure, with what a TLS failure may mean. */
static char *curl_failure(const char *what, CURLcode r, const char *err)
{
	bool tls = r == CURLE_SSL_CONNECT_ERROR || r == CURLE_PEER_FAILED_VERIFICATION ||
		   r == CURLE_SSL_CACERT_BADFILE;
	return xasprintf("%s: %s%s%s%s", what, curl_easy_strerror(r), *err ? ": " : "", err,
			 r == CURLE_SSL_CONNECT_ERROR
				 ? " (rapport requires TLS 1.2 or later and a verified certificate)"
			 : tls ? " (the certificate is checked against the system CAs or the "
				 "configured CA file)"
			       : "");
}

static int send_mail(const struct conf *c, const char *to, const char *msg, volatile int *stop,
		     char **ret_error)
{
	const struct conf_nudges *n = &c->nudges;
	/* the same test as --check-config: a URL it refused is never used */
	bool loopback = false;
	char *why_url = NULL;
	if (net_url_check(n->smtp_url, NET_URL_SMTP, &loopback, &why_url) < 0) {
		*ret_error = xasprintf("smtp_url: %s", why_url);
		free(why_url);
		return -EINVAL;
	}
	char *secret = NULL, *why = NULL;
	if (n->smtp_user) {
		struct secret_source src = {"SMTP", n->smtp_password_file, n->smtp_password_command,
					    n->smtp_oauth2_token_command, "smtp",
					    c->command_timeout};
		if (secret_lookup(&src, stop, &secret, &why) < 0) {
			*ret_error = why;
			return -ECOMM;
		}
	}
	CURL *h = curl_easy_init();
	if (!h) {
		secret_free(secret);
		*ret_error = xstrdup("cannot set up libcurl");
		return -ECOMM;
	}
	char err[CURL_ERROR_SIZE] = "";
	char *from = xasprintf("<%s>", n->smtp_from), *rcpt = xasprintf("<%s>", to);
	struct curl_slist *rcpts = curl_slist_append(NULL, rcpt);
	struct upload u = {msg, strlen(msg), 0};
	curl_easy_setopt(h, CURLOPT_URL, n->smtp_url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(h, CURLOPT_READDATA, &u);
	curl_common(h, err, n->smtp_ca_file);
	/* STARTTLS is required, except to a server on this machine */
	curl_easy_setopt(h, CURLOPT_USE_SSL, loopback ? (long)CURLUSESSL_TRY : (long)CURLUSESSL_ALL);
	if (n->smtp_user) {
		curl_easy_setopt(h, CURLOPT_USERNAME, n->smtp_user);
		if (n->smtp_auth && strcmp(n->smtp_auth, "xoauth2") == 0) {
			curl_easy_setopt(h, CURLOPT_LOGIN_OPTIONS, "AUTH=XOAUTH2");
			curl_easy_setopt(h, CURLOPT_XOAUTH2_BEARER, secret);
		} else {
			curl_easy_setopt(h, CURLOPT_PASSWORD, secret);
		}
	}
	CURLcode r = curl_easy_perform(h);
	long code = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(rcpts);
	curl_easy_cleanup(h);
	secret_free(secret);
	free(from);
	free(rcpt);
	if (r != CURLE_OK) {
		char *what = xasprintf("SMTP %s", n->smtp_url);
		*ret_error = curl_failure(what, r, err);
		free(what);
		return -ECOMM;
	}
	return 0;
}

static char *message_id(const char *from)
{
	unsigned char rnd[12];
	gnutls_rnd(GNUTLS_RND_NONCE, rnd, sizeof(rnd));
	struct sbuf sb = {0};
	sb_adds(&sb, "<rapport.");
	for (size_t i = 0; i < sizeof(rnd); i++)
		sb_printf(&sb, "%02x", rnd[i]);
	sb_printf(&sb, "@%s>", addr_domain(from));
	return sb_steal(&sb);
}

static char *mail_message(const struct conf *c, const struct conf_account *a, const char *to,
			  const char *body, size_t n)
{
	char date[64];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	char *subj_text = xasprintf("rapport: %zu new nudge%s for %s", n, n == 1 ? "" : "s",
				    a ? a->liaison : "the team");
	char *subject = header_word(subj_text);
	char *mid = message_id(c->nudges.smtp_from);
	char *m = xasprintf("Date: %s\r\n"
			    "From: rapport <%s>\r\n"
			    "To: <%s>\r\n"
			    "Subject: %s\r\n"
			    "Message-ID: %s\r\n"
			    "MIME-Version: 1.0\r\n"
			    "Content-Type: text/plain; charset=utf-8\r\n"
			    "Content-Transfer-Encoding: 8bit\r\n"
			    "Auto-Submitted: auto-generated\r\n"
			    "X-Auto-Response-Suppress: All\r\n"
			    "\r\n%s",
			    date, c->nudges.smtp_from, to, subject, mid, body);
	free(subj_text);
	free(subject);
	free(mid);
	return m;
}

/* ---- webhook -------------------------------------------------------------- */

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return size * n;
}

static int post_json(const struct conf *c, const char *json, char **ret_error)
{
	const struct conf_nudges *n = &c->nudges;
	bool loopback = false;
	char *why_url = NULL;
	if (net_url_check(n->webhook_url, NET_URL_WEBHOOK, &loopback, &why_url) < 0) {
		*ret_error = xasprintf("webhook_url: %s", why_url);
		free(why_url);
		return -EINVAL;
	}
	CURL *h = curl_easy_init();
	if (!h) {
		*ret_error = xstrdup("cannot set up libcurl");
		return -ECOMM;
	}
	char err[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(h, CURLOPT_URL, n->webhook_url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, loopback ? "http,https" : "https");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_common(h, err, n->webhook_ca_file);
	CURLcode r = curl_easy_perform(h);
	long code = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	/* a 2xx answer means the server took it, even if the connection then
	 * ended badly: sending it again would deliver it twice */
	if (r != CURLE_OK && (code < 200 || code > 299)) {
		*ret_error = curl_failure("webhook", r, err);
		return -ECOMM;
	}
	if (code < 200 || code > 299) {
		*ret_error = xasprintf("webhook: the server answered HTTP %ld", code);
		return -ECOMM;
	}
	return 0;
}

static char *digest_json(const struct items *x, const struct conf_account *a, size_t still_open,
			 const char *text)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	char t[32];
	epoch_to_iso(x->now, t);
	fprintf(f, "{\"version\": 1, \"liaison\": ");
	report_json_string(f, a->name);
	fprintf(f, ", \"liaison_name\": ");
	report_json_string(f, a->liaison);
	fprintf(f, ", \"generated_at\": \"%s\", \"still_open\": %zu, \"text\": ", t, still_open);
	report_json_string(f, text);
	fprintf(f, ", \"nudges\": [");
	for (size_t i = 0; i < x->n; i++) {
		const struct item *it = &x->v[i];
		char about[32], due[32];
		epoch_to_iso(it->about, about);
		epoch_to_iso(it->due, due);
		fprintf(f, "%s{\"id\": %lld, \"kind\": \"%s\", \"client\": ", i ? ", " : "",
			(long long)it->id, it->kind);
		report_json_string(f, it->client);
		fprintf(f, ", \"address\": ");
		report_json_string(f, it->address);
		fprintf(f, ", \"subject\": ");
		report_json_string(f, it->subject);
		fprintf(f, ", \"about\": \"%s\", \"due\": \"%s\", \"age_days\": %ld, \"reason\": ",
			about, due, (long)((x->now - it->about) / 86400));
		report_json_string(f, it->reason);
		if (it->links[0]) {
			fprintf(f, ", \"actions\": {");
			for (int k = 0; k < ACTION_N; k++) {
				fprintf(f, "%s\"%s\": ", k ? ", " : "", action_name((enum action_kind)k));
				report_json_string(f, it->links[k]);
			}
			fputc('}', f);
		}
		fputc('}', f);
	}
	fprintf(f, "]}\n");
	fclose(f);
	return buf;
}

/* ---- the digest ----------------------------------------------------------- */

static int count_open(void *ud, const struct store_nudge_row *r)
{
	(void)r;
	(*(size_t *)ud)++;
	return 0;
}

int notify_digest(struct store *st, const struct conf *c, const struct conf_account *a,
		  enum notify_channel ch, int64_t now, const unsigned char *key,
		  volatile int *stop, size_t *ret_sent, char **ret_error)
{
	const char *chan = notify_channel_name(ch);
	const char *account = ch == NOTIFY_TEAM ? NULL : a->name;
	struct items x = {NULL, 0, now};
	struct store_nudge_filter f = {false, now, NULL, account, chan};
	size_t open = 0;
	*ret_sent = 0;
	if (ch == NOTIFY_TEAM)
		a = NULL;
	if (store_each_nudge(st, &f, on_nudge, &x) < 0) {
		*ret_error = xasprintf("cannot read the nudges: %s", store_errmsg(st));
		return -EIO;
	}
	struct store_nudge_filter all_open = {false, now, NULL, account, NULL};
	store_each_nudge(st, &all_open, count_open, &open);
	if (x.n == 0) {
		items_free(&x);
		return 0;
	}
	const char *to = !a ? c->nudges.team_digest_to : a->digest_to ? a->digest_to
			 : a->identity.n ? a->identity.v[0] : NULL;
	int r = 0;
	/* nothing with a line break may reach a header or an SMTP command */
	if (ch != NOTIFY_WEBHOOK && (!to || has_crlf(to) || has_crlf(c->nudges.smtp_from) ||
				     (a && has_crlf(a->liaison)))) {
		*ret_error = xasprintf("%s: refusing a recipient, sender or name with a line break",
				       a ? a->name : "team digest");
		items_free(&x);
		return -EINVAL;
	}
	/* a team digest has no links (see notify.h) */
	enrich(st, c, &x, a ? key : NULL);
	if (ch != NOTIFY_WEBHOOK) {
		char *body = digest_text(&x, c, a, open - x.n, "\r\n");
		char *msg = mail_message(c, a, to, body, x.n);
		r = send_mail(c, to, msg, stop, ret_error);
		free(body);
		free(msg);
	} else {
		char *text = digest_text(&x, c, a, open - x.n, "\n");
		char *json = digest_json(&x, a, open - x.n, text);
		r = post_json(c, json, ret_error);
		free(text);
		free(json);
	}
	if (r == 0) {
		/* accepted: record it now, so that a restart sends nothing twice */
		int e = store_begin(st);
		for (size_t i = 0; i < x.n && e == 0; i++)
			e = store_nudge_delivered(st, x.v[i].id, chan, now);
		if (e == 0)
			e = store_commit(st);
		if (e < 0) {
			store_rollback(st);
			*ret_error = xasprintf("delivered, but cannot record it: %s", store_errmsg(st));
			r = -EIO;
		} else {
			*ret_sent = x.n;
		}
	}
	items_free(&x);
	return r;
}
