/* site: the HTML report, a static self-contained site: index.html for the
 * team (per liaison, per department, the ties that moved most) and one
 * page per liaison (weak and one-sided relationships, fading ties, open
 * nudges with their mail action links, every client with a chart of its
 * monthly tie strength, and per client the team view, a larger chart and
 * a timeline of its messages). Plain HTML and CSS with inline SVG: no
 * script, nothing fetched (a Content-Security-Policy forbids it), a
 * narrow layout for phones, printable, each chart with a text
 * alternative. Everything from mail goes through site_escape(). */
#ifndef RAPPORT_SITE_H
#define RAPPORT_SITE_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "store.h"
#include "util.h"

#define SITE_MAX_MONTHS 120 /* report_months at most */
#define SITE_MARKER ".rapport-report" /* in every directory rapport writes */

/* Appends s to sb as HTML text (also fit for an attribute value): & < > "
 * and ' as references, bytes that are not valid UTF-8 and control
 * characters replaced, at most max characters (0: all; then "…"). The
 * one function for everything that came from mail. */
void site_escape(struct sbuf *sb, const char *s, size_t max);

/* The page of a liaison account: "liaison-NAME.html", NAME kept to
 * [A-Za-z0-9._-] (anything else replaced, and a short hash added so that
 * two names never share a page). Caller frees. */
char *site_page_name(const char *account);

struct site_options {
	const struct strlist *liaisons; /* pages for these accounts only; empty: all */
	int64_t now;
	bool group;                     /* files 0640 in a 0750 directory, else 0600/0700 */
	const unsigned char *key;       /* action.h key for the nudges' links, or NULL */
};

/* Writes the site into dir, replacing it whole: built in a new directory
 * beside it, then swapped in with one rename, so a reader sees the old
 * site or the new one; the old one is removed. dir may not exist yet; an
 * existing dir without SITE_MARKER (not a report) is refused. Returns 0
 * or a negative errno with *ret_error. */
int site_publish(struct store *st, const struct conf *c, const char *dir,
		 const struct site_options *o, char **ret_error);

#endif
