/* roster: the CSV roster file (header name,email,department). */
#ifndef RAPPORT_ROSTER_H
#define RAPPORT_ROSTER_H

#include "conf.h"

#define ROSTER_MAX_BYTES CONF_MAX_BYTES
#define ROSTER_MAX_FIELD 4096

/* Reads the roster CSV at path (a header row naming the columns name,
 * email, department and, optionally, liaison (account names separated by
 * ';'; a name that is no account is a warning) in any order, RFC 4180 quoting, CRLF or LF) and
 * merges it into c->clients after the clients already there: rows with the
 * same trimmed name form one client whose department is the first
 * non-empty one. A row whose email is not one address is skipped with a
 * "file:line: ..." warning appended to *warnings, and so is a row with a
 * NUL byte in a field. A file over ROSTER_MAX_BYTES is refused before it
 * is parsed. Returns 0, or -EINVAL /
 * a negative errno with a "file:line: ..." message appended to *errors.
 * Untrusted data. */
int roster_load(struct conf *c, const char *path, struct strlist *errors,
		struct strlist *warnings);

/* Adds the account names in list (separated by ';') to cl->liaisons; a
 * name that is no account of c is a warning "origin: ..." and ignored.
 * For the roster's liaison column and config clients alike. */
void roster_client_liaisons(const struct conf *c, struct conf_client *cl, const char *list,
			    const char *origin, struct strlist *warnings);

/* Parses one CSV record starting at data[*pos] into fields; advances *pos
 * past it and counts the lines it spans in *lines. Returns 0; 1 when a
 * field held a NUL byte (the record is still consumed whole, so the caller
 * can reject just that row); -EINVAL for an unterminated quote or an
 * over-long field. */
int roster_csv_record(const char *data, size_t len, size_t *pos, struct strlist *fields,
		      int *lines);

#endif
