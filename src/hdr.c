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
		const char *nl = memchr(data + i, '\n', len - i);
		size_t eol = nl ? (size_t)(nl - data) : len;
		size_t next = nl ? eol + 1 : len;
		size_t e = eol;
		if (e > i && data[e - 1] == '\r')
			e--;
		if (e == i) { /* empty line: end of header */
			i = next;
			break;
		}
		const char *line = data + i;
		size_t llen = e - i;
		if (line[0] == ' ' || line[0] == '\t') {
			if (have && val.len + llen <= HDR_MAX_VALUE)
				sb_add(&val, line, llen); /* unfold: drop the line break */
			else if (!have)
				h.skipped++;
		} else {
			const char *colon = memchr(line, ':', llen);
			size_t cn = colon ? (size_t)(colon - line) : 0;
			/* "Name :" (white space before the colon) is obsolete syntax */
			while (cn && (line[cn - 1] == ' ' || line[cn - 1] == '\t'))
				cn--;
			if (have)
				add_field(&h, &cap, name, nlen, &val);
			have = false;
			if (colon && field_name_ok(line, cn) && h.n < HDR_MAX_FIELDS) {
				name = line;
				nlen = cn;
				sb_reset(&val);
				const char *v = colon + 1;
				size_t vn = llen - (size_t)(v - line);
				while (vn && (*v == ' ' || *v == '\t')) {
					v++;
					vn--;
				}
				sb_add(&val, v, vn > HDR_MAX_VALUE ? HDR_MAX_VALUE : vn);
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
