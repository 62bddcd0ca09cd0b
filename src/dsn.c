/* dsn: see dsn.h. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libetpan/libetpan.h>

#include "addr.h"
#include "dsn.h"
#include "hdr.h"

static const char *composite_name(const struct mailmime_type *t)
{
	if (t->tp_type == MAILMIME_TYPE_COMPOSITE_TYPE) {
		switch (t->tp_data.tp_composite_type->ct_type) {
		case MAILMIME_COMPOSITE_TYPE_MESSAGE: return "message";
		case MAILMIME_COMPOSITE_TYPE_MULTIPART: return "multipart";
		default: return t->tp_data.tp_composite_type->ct_token
				? t->tp_data.tp_composite_type->ct_token : "";
		}
	}
	switch (t->tp_data.tp_discrete_type->dt_type) {
	case MAILMIME_DISCRETE_TYPE_TEXT: return "text";
	case MAILMIME_DISCRETE_TYPE_IMAGE: return "image";
	case MAILMIME_DISCRETE_TYPE_AUDIO: return "audio";
	case MAILMIME_DISCRETE_TYPE_VIDEO: return "video";
	case MAILMIME_DISCRETE_TYPE_APPLICATION: return "application";
	default: return t->tp_data.tp_discrete_type->dt_extension
			? t->tp_data.tp_discrete_type->dt_extension : "";
	}
}

int dsn_content_type(const char *value, char **ret_type, char **ret_subtype,
		     char **ret_boundary, char **ret_report_type)
{
	struct mailmime_content *ct = NULL;
	size_t idx = 0;

	if (!value || mailmime_content_parse(value, strlen(value), &idx, &ct) != MAILIMF_NO_ERROR
	    || !ct)
		return -EINVAL;
	char *boundary = NULL, *report = NULL;
	for (clistiter *it = ct->ct_parameters ? clist_begin(ct->ct_parameters) : NULL; it;
	     it = clist_next(it)) {
		struct mailmime_parameter *p = clist_content(it);
		if (!p->pa_name || !p->pa_value)
			continue;
		if (!boundary && ascii_strcasecmp(p->pa_name, "boundary") == 0)
			boundary = xstrdup(p->pa_value);
		else if (!report && ascii_strcasecmp(p->pa_name, "report-type") == 0)
			report = ascii_lower(xstrdup(p->pa_value));
	}
	*ret_type = ascii_lower(xstrdup(composite_name(ct->ct_type)));
	*ret_subtype = ascii_lower(xstrdup(ct->ct_subtype ? ct->ct_subtype : ""));
	if (ret_boundary)
		*ret_boundary = boundary;
	else
		free(boundary);
	if (ret_report_type)
		*ret_report_type = report;
	else
		free(report);
	mailmime_content_free(ct);
	return 0;
}

char *dsn_first_msgid(const char *value)
{
	if (!value)
		return NULL;
	const char *lt = strchr(value, '<');
	const char *gt = lt ? strchr(lt + 1, '>') : NULL;
	struct sbuf sb = {0};

	if (lt && gt) {
		for (const char *p = lt + 1; p < gt && sb.len < 998; p++)
			if (!ascii_isspace((unsigned char)*p))
				sb_addc(&sb, *p);
	} else {
		/* no brackets: a bare token with an '@' is still an id */
		const char *p = value;
		while (*p) {
			while (ascii_isspace((unsigned char)*p))
				p++;
			const char *s = p;
			while (*p && !ascii_isspace((unsigned char)*p))
				p++;
			if (memchr(s, '@', (size_t)(p - s)) && p - s < 998) {
				sb_add(&sb, s, (size_t)(p - s));
				break;
			}
		}
	}
	if (sb.len == 0) {
		sb_free(&sb);
		return NULL;
	}
	return sb_steal(&sb);
}

/* "rfc822; Foo@Example.org" -> normalised address, or NULL */
static char *recipient_addr(const char *v)
{
	const char *semi = strchr(v, ';');
	char *t = xstrtrim(semi ? semi + 1 : v);
	char *s = t;
	size_t n = strlen(s);
	if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		s[n - 1] = '\0';
		s++;
	}
	char *a = addr_normalize(s);
	free(t);
	return a;
}

/* message/delivery-status: blocks of fields separated by empty lines; the
 * first is per-message, each later one per recipient. */
static void scan_status(const char *p, size_t len, struct dsn_result *res)
{
	size_t off = 0;
	for (int block = 0; off < len && block < 1000; block++) {
		struct hdr h;
		size_t used;
		hdr_parse(p + off, len - off, &h, &used);
		if (used == 0) {
			hdr_free(&h);
			break;
		}
		const char *rcpt = hdr_get(&h, "Original-Recipient");
		if (!rcpt)
			rcpt = hdr_get(&h, "Final-Recipient");
		const char *action = hdr_get(&h, "Action");
		if (rcpt && action) {
			res->per_recipient = true;
			char *act = xstrtrim(action);
			if (ascii_strncasecmp(act, "failed", 6) == 0) {
				char *a = recipient_addr(rcpt);
				if (a && res->failed.n < 1000)
					sl_add_unique(&res->failed, a);
				free(a);
			}
			free(act);
		}
		hdr_free(&h);
		off += used;
	}
}

static void scan_returned(const char *p, size_t len, struct dsn_result *res)
{
	if (res->orig_id)
		return;
	struct hdr h;
	hdr_parse(p, len, &h, NULL);
	res->orig_id = dsn_first_msgid(hdr_get(&h, "Message-ID"));
	hdr_free(&h);
}

/* Finds the next line "--boundary" (optionally "--boundary--") at or after
 * *pos. Returns the offset of the line start or len, and sets *ret_next to
 * just past the line and *ret_close for the closing delimiter. */
static size_t find_delim(const char *b, size_t len, size_t pos, const char *bd,
			 size_t *ret_next, bool *ret_close)
{
	size_t bl = strlen(bd);
	while (pos < len) {
		const char *nl = memchr(b + pos, '\n', len - pos);
		size_t eol = nl ? (size_t)(nl - b) : len;
		if (eol - pos >= bl + 2 && b[pos] == '-' && b[pos + 1] == '-' &&
		    memcmp(b + pos + 2, bd, bl) == 0) {
			size_t q = pos + 2 + bl;
			*ret_close = q + 1 < eol + 1 && q + 1 < len && b[q] == '-' && b[q + 1] == '-';
			*ret_next = nl ? eol + 1 : len;
			return pos;
		}
		pos = nl ? eol + 1 : len;
	}
	*ret_next = len;
	*ret_close = true;
	return len;
}

static void scan_part(const char *ctype, const char *body, size_t len, int depth,
		      struct dsn_result *res);

static void scan_multipart(const char *boundary, const char *body, size_t len, int depth,
			   struct dsn_result *res)
{
	size_t next, pos;
	bool close;

	if (!boundary || !*boundary || strlen(boundary) > 200)
		return;
	pos = find_delim(body, len, 0, boundary, &next, &close);
	for (int parts = 0; pos < len && !close && parts < DSN_MAX_PARTS; parts++) {
		size_t start = next;
		size_t end = find_delim(body, len, start, boundary, &next, &close);
		struct hdr h;
		size_t hb;
		hdr_parse(body + start, end - start, &h, &hb);
		char *ct = xstrdup(hdr_get(&h, "Content-Type") ? hdr_get(&h, "Content-Type")
								: "text/plain");
		hdr_free(&h);
		scan_part(ct, body + start + hb, end - start - hb, depth + 1, res);
		free(ct);
		pos = end;
	}
}

static void scan_part(const char *ctype, const char *body, size_t len, int depth,
		      struct dsn_result *res)
{
	char *type = NULL, *sub = NULL, *boundary = NULL;

	if (depth > DSN_MAX_DEPTH)
		return;
	if (dsn_content_type(ctype, &type, &sub, &boundary, NULL) < 0)
		return;
	if (strcmp(type, "multipart") == 0)
		scan_multipart(boundary, body, len, depth, res);
	else if (strcmp(type, "message") == 0 && strcmp(sub, "delivery-status") == 0)
		scan_status(body, len, res);
	else if ((strcmp(type, "message") == 0 && strcmp(sub, "rfc822") == 0) ||
		 (strcmp(type, "text") == 0 && strcmp(sub, "rfc822-headers") == 0))
		scan_returned(body, len, res);
	free(type);
	free(sub);
	free(boundary);
}

void dsn_scan(const char *content_type, const char *body, size_t len,
	      struct dsn_result *res)
{
	if (content_type)
		scan_part(content_type, body, len, 0, res);
}

void dsn_result_free(struct dsn_result *res)
{
	free(res->orig_id);
	sl_free(&res->failed);
	*res = (struct dsn_result){0};
}
