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

/* A field's value as hdr_parse keeps it: trailing white space trimmed,
 * NULs made spaces so C-string APIs (libetpan's parsers among them) see
 * the whole value. */
static char *value_of(struct sbuf *val)
{
	while (val->len && ascii_isspace((unsigned char)val->buf[val->len - 1]))
		val->len--;
	char *v = xstrndup(val->len ? val->buf : "", val->len);
	for (size_t i = 0; i < val->len; i++)
		if (v[i] == '\0')
			v[i] = ' ';
	return v;
}

/* Called with each field in turn (its name as written, its unfolded
 * value so far untrimmed); returns false to stop the scan. */
typedef bool (*field_fn)(void *ud, const char *name, size_t nlen, struct sbuf *val);

/* The one reading of a header block that hdr_parse and hdr_value share:
 * fields up to HDR_MAX_FIELDS, values up to HDR_MAX_VALUE, continuation
 * lines unfolded. Returns the offset just past the block's empty line
 * (or len); *ret_skipped counts lines that were neither a field nor a
 * continuation. */
static size_t scan(const char *data, size_t len, field_fn fn, void *ud, size_t *ret_skipped)
{
	size_t i = 0, nf = 0, skipped = 0, nlen = 0;
	const char *name = NULL;
	struct sbuf val = {0};
	bool have = false, go = true;

	while (go && i < len) {
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
				skipped++;
		} else {
			if (have)
				go = fn(ud, name, nlen, &val);
			have = false;
			if (go && nf < HDR_MAX_FIELDS && field_at(line, llen, &nlen, &v)) {
				name = line;
				nf++;
				sb_reset(&val);
				size_t vn = llen - v;
				sb_add(&val, line + v, vn > HDR_MAX_VALUE ? HDR_MAX_VALUE : vn);
				have = true;
			} else if (go) {
				skipped++;
			}
		}
		i = next;
	}
	if (have && go)
		fn(ud, name, nlen, &val);
	sb_free(&val);
	if (ret_skipped)
		*ret_skipped = skipped;
	return i;
}

struct collect {
	struct hdr h;
	size_t cap;
};

static bool add_field(void *ud, const char *name, size_t nlen, struct sbuf *val)
{
	struct collect *c = ud;
	if (c->h.n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 32;
		c->h.f = xrealloc(c->h.f, c->cap * sizeof(*c->h.f));
	}
	c->h.f[c->h.n].name = xstrndup(name, nlen);
	c->h.f[c->h.n].value = value_of(val);
	c->h.n++;
	return true;
}

void hdr_parse(const char *data, size_t len, struct hdr *ret, size_t *ret_body)
{
	struct collect c = {0};
	size_t body = scan(data, len, add_field, &c, &c.h.skipped);
	if (ret_body)
		*ret_body = body;
	*ret = c.h;
}

struct find {
	const char *name;
	size_t nlen;
	char *value;
};

static bool find_field(void *ud, const char *name, size_t nlen, struct sbuf *val)
{
	struct find *f = ud;
	if (nlen != f->nlen || ascii_strncasecmp(name, f->name, nlen) != 0)
		return true;
	f->value = value_of(val);
	return false;
}

char *hdr_value(const char *data, size_t len, const char *name)
{
	struct find f = {name, strlen(name), NULL};
	scan(data, len, find_field, &f, NULL);
	return f.value;
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
