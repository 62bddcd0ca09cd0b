/* hdr: see hdr.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "hdr.h"
#include "util.h"

bool hdr_find_end(const char *data, size_t len, size_t *ret_end)
{
	size_t i = 0;
	while (i < len) {
		const char *nl = memchr(data + i, '\n', len - i);
		if (!nl)
			return false;
		size_t eol = (size_t)(nl - data);
		size_t linelen = eol - i;
		if (linelen == 0 || (linelen == 1 && data[i] == '\r')) {
			*ret_end = eol + 1;
			return true;
		}
		i = eol + 1;
	}
	return false;
}

size_t hdr_block_end(const char *data, size_t len)
{
	size_t end;
	return hdr_find_end(data, len, &end) ? end : len;
}

static bool field_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 200)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c >= 0x7f || c == ':')
			return false;
	}
	return true;
}

/* The line at data[i..): returns where the next one starts; *ret_end is
 * where its text ends (before CR LF or LF). */
static size_t line_at(const char *data, size_t len, size_t i, size_t *ret_end)
{
	const char *nl = memchr(data + i, '\n', len - i);
	size_t e = nl ? (size_t)(nl - data) : len;
	size_t next = nl ? e + 1 : len;
	if (e > i && data[e - 1] == '\r')
		e--;
	*ret_end = e;
	return next;
}

/* Whether line[0..llen) (no continuation) starts a field: a good name
 * before a colon ("Name :", white space before it, is obsolete syntax).
 * Then *ret_nlen is the name's length and *ret_value where the value
 * starts, its leading white space skipped. */
static bool field_at(const char *line, size_t llen, size_t *ret_nlen, size_t *ret_value)
{
	const char *colon = memchr(line, ':', llen);
	size_t cn = colon ? (size_t)(colon - line) : 0;
	while (cn && (line[cn - 1] == ' ' || line[cn - 1] == '\t'))
		cn--;
	if (!colon || !field_name_ok(line, cn))
		return false;
	size_t v = (size_t)(colon - line) + 1;
	while (v < llen && (line[v] == ' ' || line[v] == '\t'))
		v++;
	*ret_nlen = cn;
	*ret_value = v;
	return true;
}

static void add_field(struct hdr *h, size_t *cap, const char *name, size_t nlen,
		      struct sbuf *val)
{
	if (h->n == *cap) {
		*cap = *cap ? *cap * 2 : 32;
		h->f = xrealloc(h->f, *cap * sizeof(*h->f));
	}
	/* trim trailing white space; NULs become spaces so C-string APIs
	 * (libetpan's parsers among them) see the whole value */
	while (val->len && ascii_isspace((unsigned char)val->buf[val->len - 1]))
		val->len--;
	char *v = xstrndup(val->len ? val->buf : "", val->len);
	for (size_t i = 0; i < val->len; i++)
		if (v[i] == '\0')
			v[i] = ' ';
	h->f[h->n].name = xstrndup(name, nlen);
	h->f[h->n].value = v;
	h->n++;
}

void hdr_parse(const char *data, size_t len, struct hdr *ret, size_t *ret_body)
{
	struct hdr h = {0};
	size_t cap = 0, i = 0;
	const char *name = NULL;
	size_t nlen = 0;
	struct sbuf val = {0};
	bool have = false;

	while (i < len) {
		size_t e, next = line_at(data, len, i, &e);
		if (e == i) { /* empty line: end of header */
			i = next;
			break;
		}
		const char *line = data + i;
		size_t llen = e - i, v;
		if (line[0] == ' ' || line[0] == '\t') {
			if (have && val.len + llen <= HDR_MAX_VALUE)
				sb_add(&val, line, llen); /* unfold: drop the line break */
			else if (!have)
				h.skipped++;
		} else {
			if (have)
				add_field(&h, &cap, name, nlen, &val);
			have = false;
			if (h.n < HDR_MAX_FIELDS && field_at(line, llen, &nlen, &v)) {
				name = line;
				sb_reset(&val);
				size_t vn = llen - v;
				sb_add(&val, line + v, vn > HDR_MAX_VALUE ? HDR_MAX_VALUE : vn);
				have = true;
			} else {
				h.skipped++;
			}
		}
		i = next;
	}
	if (have)
		add_field(&h, &cap, name, nlen, &val);
	sb_free(&val);
	if (ret_body)
		*ret_body = i;
	*ret = h;
}

void hdr_free(struct hdr *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free(h->f[i].name);
		free(h->f[i].value);
	}
	free(h->f);
	*h = (struct hdr){0};
}

const char *hdr_get(const struct hdr *h, const char *name)
{
	for (size_t i = 0; i < h->n; i++)
		if (ascii_strcasecmp(h->f[i].name, name) == 0)
			return h->f[i].value;
	return NULL;
}

/* hdr.h */
char *hdr_copy_cut(const char *data, size_t len, const char *name, size_t limit, size_t extra,
		   size_t *ret_len)
{
	char *out = xmalloc(len + extra + 1); /* a copy is never longer */
	size_t o = 0, i = 0, fields = 0, count = 0, name_len = strlen(name);
	enum { OTHER, COUNTING, DROPPING } state = OTHER;
	while (i < len) {
		size_t e, next = line_at(data, len, i, &e);
		if (e == i) { /* the empty line: the rest as it is */
			memcpy(out + o, data + i, len - i);
			o += len - i;
			break;
		}
		const char *line = data + i;
		size_t llen = e - i, from = 0;
		bool cont = line[0] == ' ' || line[0] == '\t';
		if (cont) {
			if (state == DROPPING) { /* the rest of a field cut short */
				i = next;
				continue;
			}
		} else {
			/* a field as hdr_parse counts them, up to HDR_MAX_FIELDS */
			size_t nlen;
			state = OTHER;
			if (fields < HDR_MAX_FIELDS && field_at(line, llen, &nlen, &from)) {
				fields++;
				if (nlen == name_len && ascii_strncasecmp(line, name, nlen) == 0) {
					state = COUNTING;
					count = 0;
				}
			}
		}
		size_t keep = next - i;
		/* the value's bytes as hdr_parse unfolds them: from the first
		 * line after the colon, continuation lines whole unless they
		 * would make it longer than HDR_MAX_VALUE (then none of it) */
		if (state == COUNTING && !(cont && count + llen > HDR_MAX_VALUE)) {
			for (size_t k = cont ? 0 : from; k < llen; k++)
				if (++count > limit && !ascii_isspace((unsigned char)line[k])) {
					keep = k + 1;
					state = DROPPING;
					break;
				}
		}
		memcpy(out + o, line, keep);
		o += keep;
		if (state == DROPPING) {
			memcpy(out + o, line + e - i, next - e); /* its line break */
			o += next - e;
		}
		i = next;
	}
	out[o] = '\0';
	*ret_len = o;
	return out;
}
