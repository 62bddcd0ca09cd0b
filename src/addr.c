/* addr: see addr.h. */
#include "config.h"

#include <fnmatch.h>
#include <string.h>

#include "addr.h"
#include "util.h"

char *addr_normalize(const char *s)
{
	const char *at = strrchr(s, '@');
	size_t n = strlen(s);

	if (!at || at == s || at[1] == '\0' || n > 512)
		return NULL;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '<' || *p == '>')
			return NULL;

	size_t local = (size_t)(at - s);
	const char *plus = memchr(s + 1, '+', local - 1);
	struct sbuf sb = {0};
	sb_add(&sb, s, plus ? (size_t)(plus - s) : local);
	sb_adds(&sb, at);
	return ascii_lower(sb_steal(&sb));
}

const char *addr_domain(const char *a)
{
	const char *at = strrchr(a, '@');
	return at ? at + 1 : "";
}

/* Matches DOMAIN.md §1's
 * ^(no[-_.]?reply|do[-_.]?not[-_.]?reply|no[-_.]?address|mailer[-_.]?daemon|postmaster|
 *   notifications?|newsletters?|announcements?|bounces?)([-_.].*)?$
 * on the (lower-case) local part without a regex engine. */
static bool sep(char c)
{
	return c == '-' || c == '_' || c == '.';
}

static const char *word(const char *p, const char *w)
{
	size_t n = strlen(w);
	return strncmp(p, w, n) == 0 ? p + n : NULL;
}

static const char *opt_sep(const char *p)
{
	return sep(*p) ? p + 1 : p;
}

static bool role_tail(const char *p, const char *end)
{
	return p == end || (p && p < end && sep(*p));
}

/* After a word that may take a plural "s". */
static const char *opt_s(const char *p)
{
	return p && *p == 's' ? p + 1 : p;
}

bool addr_is_role(const char *a)
{
	static const char *const plural[] = {"notification", "newsletter", "announcement",
					     "bounce"};
	const char *end = strrchr(a, '@');
	const char *p;

	if (!end)
		return false;
	if ((p = word(a, "no")) && (p = word(opt_sep(p), "reply")) && role_tail(p, end))
		return true;
	if ((p = word(a, "no")) && (p = word(opt_sep(p), "address")) && role_tail(p, end))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(plural); i++) {
		const char *q = word(a, plural[i]);
		/* "bounces" may be the word plus "s", or end right after it */
		if (q && (role_tail(q, end) || role_tail(opt_s(q), end)))
			return true;
	}
	if ((p = word(a, "do")) && (p = word(opt_sep(p), "not")) &&
	    (p = word(opt_sep(p), "reply")) && role_tail(p, end))
		return true;
	if ((p = word(a, "mailer")) && (p = word(opt_sep(p), "daemon")) && role_tail(p, end))
		return true;
	if ((p = word(a, "postmaster")) && role_tail(p, end))
		return true;
	return false;
}

bool addr_is_bounce_sender(const char *a)
{
	const char *at = strrchr(a, '@');
	size_t n = at ? (size_t)(at - a) : strlen(a);
	return (n == 13 && ascii_strncasecmp(a, "mailer-daemon", 13) == 0) ||
	       (n == 10 && ascii_strncasecmp(a, "postmaster", 10) == 0);
}

bool addr_domain_matches(const char *d, const char *rule)
{
	size_t dn = strlen(d), rn = strlen(rule);
	if (rn == 0 || dn < rn)
		return false;
	if (strcmp(d + dn - rn, rule) != 0)
		return false;
	return dn == rn || d[dn - rn - 1] == '.';
}

bool addr_glob(const char *pattern, const char *a)
{
	return fnmatch(pattern, a, 0) == 0;
}
