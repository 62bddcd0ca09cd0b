/* roster: see roster.h. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "roster.h"

int roster_csv_record(const char *data, size_t len, size_t *pos, struct strlist *fields,
		      int *lines)
{
	struct sbuf f = {0};
	size_t i = *pos;
	bool quoted = false, was_quoted = false, nul = false;

	*lines = 1;
	for (;;) {
		if (i >= len) {
			if (quoted) {
				sb_free(&f);
				return -EINVAL;
			}
			break;
		}
		char ch = data[i];
		if (ch == '\0') {
			/* it would cut the field short as a C string */
			nul = true;
			i++;
			continue;
		}
		if (quoted) {
			if (ch == '"' && i + 1 < len && data[i + 1] == '"') {
				sb_addc(&f, '"');
				i += 2;
				continue;
			}
			if (ch == '"') {
				quoted = false;
				i++;
				continue;
			}
			if (ch == '\n')
				(*lines)++;
			sb_addc(&f, ch);
			i++;
		} else if (ch == '"' && f.len == 0 && !was_quoted) {
			quoted = was_quoted = true;
			i++;
		} else if (ch == ',' || ch == '\n' || ch == '\r') {
			sl_take(fields, sb_steal(&f));
			was_quoted = false;
			if (ch == ',') {
				i++;
				continue;
			}
			if (ch == '\r' && i + 1 < len && data[i + 1] == '\n')
				i++;
			i++;
			*pos = i;
			return nul ? 1 : 0;
		} else {
			sb_addc(&f, ch);
			i++;
		}
		if (f.len > ROSTER_MAX_FIELD) {
			sb_free(&f);
			return -EINVAL;
		}
	}
	sl_take(fields, sb_steal(&f));
	*pos = i;
	return nul ? 1 : 0;
}

static bool is_account(const struct conf *c, const char *name)
{
	for (size_t i = 0; i < c->n_accounts; i++)
		if (c->accounts[i].name && strcmp(c->accounts[i].name, name) == 0)
			return true;
	return false;
}

void roster_client_liaisons(const struct conf *c, struct conf_client *cl, const char *list,
			  const char *origin, struct strlist *warnings)
{
	char *copy = xstrdup(list), *save = NULL;
	for (char *t = strtok_r(copy, ";", &save); t; t = strtok_r(NULL, ";", &save)) {
		char *name = xstrtrim(t);
		if (!*name)
			;
		else if (is_account(c, name))
			sl_add_unique(&cl->liaisons, name);
		else
			sl_take(warnings, xasprintf("%s: liaison \"%s\" of %s is no configured "
						    "account: ignored", origin, name, cl->name));
		free(name);
	}
	free(copy);
}

static struct conf_client *client_by_name(struct conf *c, const char *name)
{
	for (size_t i = 0; i < c->n_clients; i++)
		if (c->clients[i].name && strcmp(c->clients[i].name, name) == 0)
			return &c->clients[i];
	return NULL;
}

static int column(const struct strlist *hdr, const char *name)
{
	for (size_t i = 0; i < hdr->n; i++) {
		char *t = xstrtrim(hdr->v[i]);
		bool hit = ascii_strcasecmp(t, name) == 0;
		free(t);
		if (hit)
			return (int)i;
	}
	return -1;
}

int roster_load(struct conf *c, const char *path, struct strlist *errors,
		struct strlist *warnings)
{
	char *data;
	size_t len, pos = 0;
	int r = read_file(path, ROSTER_MAX_BYTES, &data, &len);
	if (r < 0) {
		sl_take(errors, xasprintf("%s: cannot read roster: %s", path,
					  r == -EFBIG    ? "larger than 1 MiB"
					  : r == -EINVAL ? "not a regular file"
							 : strerror(-r)));
		return r;
	}
	/* a UTF-8 byte order mark from spreadsheet exports */
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		pos = 3;
	struct strlist hdr = {0};
	int lines, line = 1;
	r = roster_csv_record(data, len, &pos, &hdr, &lines);
	int cn = column(&hdr, "name"), ce = column(&hdr, "email"), cd = column(&hdr, "department"),
	    cl_ = column(&hdr, "liaison");
	if (r < 0 || cn < 0 || ce < 0) {
		sl_take(errors, xasprintf("%s:1: expected a header row with the columns "
					  "name,email,department", path));
		sl_free(&hdr);
		free(data);
		return -EINVAL;
	}
	line += lines;
	while (pos < len) {
		struct strlist row = {0};
		int at = line;
		int rec = roster_csv_record(data, len, &pos, &row, &lines);
		if (rec < 0) {
			sl_take(errors, xasprintf("%s:%d: unterminated quote or field longer "
						  "than %d bytes", path, at, ROSTER_MAX_FIELD));
			sl_free(&row);
			sl_free(&hdr);
			free(data);
			return -EINVAL;
		}
		line += lines;
		if (rec == 1) {
			sl_take(warnings, xasprintf("%s:%d: row skipped: a NUL byte in a field",
						    path, at));
			sl_free(&row);
			continue;
		}
		if (row.n == 1 && row.v[0][0] == '\0') { /* blank line */
			sl_free(&row);
			continue;
		}
		char *name = (size_t)cn < row.n ? xstrtrim(row.v[cn]) : xstrdup("");
		char *email = (size_t)ce < row.n ? xstrtrim(row.v[ce]) : xstrdup("");
		char *dept = cd >= 0 && (size_t)cd < row.n ? xstrtrim(row.v[cd]) : xstrdup("");
		const char *liaison = cl_ >= 0 && (size_t)cl_ < row.n ? row.v[cl_] : "";
		char *a = addr_normalize(email);
		if (!*name) {
			sl_take(warnings, xasprintf("%s:%d: row skipped: empty name", path, at));
		} else if (!a || strchr(email, ',') || strchr(email, ';')) {
			sl_take(warnings, xasprintf("%s:%d: row skipped: \"%s\" is not one "
						    "e-mail address", path, at, email));
		} else {
			struct conf_client *cl = client_by_name(c, name);
			if (!cl) {
				c->clients = xrealloc(c->clients,
						      (c->n_clients + 1) * sizeof(*c->clients));
				cl = &c->clients[c->n_clients++];
				*cl = (struct conf_client){0};
				cl->name = xstrdup(name);
				cl->origin = xasprintf("%s:%d", path, at);
			}
			sl_add_unique(&cl->addresses, a);
			if (!cl->department && *dept)
				cl->department = xstrdup(dept);
			char *where = xasprintf("%s:%d", path, at);
			roster_client_liaisons(c, cl, liaison, where, warnings);
			free(where);
		}
		free(a);
		free(name);
		free(email);
		free(dept);
		sl_free(&row);
	}
	sl_free(&hdr);
	free(data);
	return 0;
}
