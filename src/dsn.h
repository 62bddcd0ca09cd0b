/* dsn: reads a delivery report (RFC 3464) out of a bounce's body: which
 * recipients failed and which message bounced. Hand-written and bounded,
 * because libetpan's full MIME parser is unsafe on hostile bodies. */
#ifndef RAPPORT_DSN_H
#define RAPPORT_DSN_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

#define DSN_MAX_DEPTH 3   /* nested multiparts followed */
#define DSN_MAX_PARTS 64  /* parts looked at per multipart */

struct dsn_result {
	char *orig_id;            /* Message-ID of the returned message, or NULL */
	bool per_recipient;       /* per-recipient fields were present */
	struct strlist failed;    /* normalised recipients with Action: failed */
};

/* Scans body[0..len) of a message whose top-level Content-Type value is
 * content_type (raw header value; may be NULL). Fills what it finds into
 * *res (which the caller zeroes first and frees with dsn_result_free).
 * Never fails: anything unreadable is passed over. Untrusted data. */
void dsn_scan(const char *content_type, const char *body, size_t len,
	      struct dsn_result *res);
void dsn_result_free(struct dsn_result *res);

/* Parses a Content-Type value with libetpan's mailmime_content_parse.
 * On success returns 0 and sets *ret_type / *ret_subtype (lower case,
 * caller frees) and, if ret_boundary is not NULL, *ret_boundary (or NULL)
 * and *ret_report_type (lower case or NULL). -EINVAL when unparseable. */
int dsn_content_type(const char *value, char **ret_type, char **ret_subtype,
		     char **ret_boundary, char **ret_report_type);

/* Extracts the first <...> token of a header value (without the brackets,
 * white space removed). Falls back to the first white-space delimited
 * token containing '@' when there are no brackets. NULL when none. */
char *dsn_first_msgid(const char *value);

#endif
