/* addr: e-mail addresses as rapport compares them (DOMAIN.md §1). */
#ifndef RAPPORT_ADDR_H
#define RAPPORT_ADDR_H

#include <stdbool.h>

/* Normalises an addr-spec: lower-cases it and strips a "+tag" from the
 * first '+' that is not the first character of the local part. Returns a
 * new string, or NULL when s is not an address (no non-empty local part,
 * '@' and non-empty domain, or white space / control bytes inside).
 * Untrusted data: s may be any bytes. Caller frees. */
char *addr_normalize(const char *s);

/* The domain part of a normalised address (pointer into a), or "". */
const char *addr_domain(const char *a);

/* True if the normalised address's local part is an automated sender that
 * is never a client (DOMAIN.md §1): no-reply, do-not-reply, no-address,
 * mailer-daemon, postmaster, notification(s), newsletter(s),
 * announcement(s), bounce(s), each alone or followed by [-_.] and more. */
bool addr_is_role(const char *a);

/* True if the local part is mailer-daemon or postmaster (bounce senders). */
bool addr_is_bounce_sender(const char *a);

/* True if domain d equals rule or is a subdomain of it (both lower case). */
bool addr_domain_matches(const char *d, const char *rule);

/* Shell-style glob match of a normalised address against a lower-case
 * pattern (fnmatch: '*', '?', '[...]'). */
bool addr_glob(const char *pattern, const char *a);

#endif
