/* net: the connections rapport opens, and the security questions about
 * them, each decided here once for every caller:
 * - is this host this machine? (the only hosts a password or a digest may
 *   reach without TLS);
 * - is this URL one rapport may deliver to? (parsed by libcurl's own URL
 *   parser, the one that delivery then uses, so the check and the
 *   connection can never read a URL differently);
 * - a TCP connection with a deadline, whose failure says which of "name
 *   not found", "refused", "timed out" happened, with host:port.
 * Nothing here logs; errors come back as text for the caller to log. */
#ifndef RAPPORT_NET_H
#define RAPPORT_NET_H

#include <stdbool.h>

/* True when host names this machine: "localhost" exactly (any letter
 * case; "localhost." and "localhost.example" are not), an IPv4 address
 * literal in 127.0.0.0/8 in dotted-quad form, or the IPv6 literal ::1
 * (bare or in brackets). Anything else, including a name that resolves
 * to 127.0.0.1 and an IPv4-mapped ::ffff:127.0.0.1, is not. NULL: false. */
bool net_host_is_loopback(const char *host);

enum net_url_kind {
	NET_URL_SMTP,    /* smtp:// or smtps:// */
	NET_URL_WEBHOOK, /* https://, or http:// to this machine */
};

/* Checks url (untrusted: it comes from a configuration file) for kind
 * with libcurl's URL parser: a known scheme, a host, no user name,
 * password or login options in it (credentials belong in their own
 * settings), and for a webhook plain http only to this machine (as
 * net_host_is_loopback says of the host libcurl extracts). Returns 0 and,
 * if ret_loopback is not NULL, whether the host is this machine; -EINVAL
 * with a malloc'd reason in *ret_error (caller frees) otherwise. */
int net_url_check(const char *url, enum net_url_kind kind, bool *ret_loopback, char **ret_error);

/* Opens a TCP connection to host:port (every address the name resolves
 * to, in turn) within timeout_s seconds in all. Returns 0 and a blocking
 * socket in *ret_fd (close-on-exec; the caller closes it); a negative
 * errno and a malloc'd reason naming host:port in *ret_error: -ENOENT
 * name not found, -ECONNREFUSED refused, -ETIMEDOUT no answer in time,
 * another for other failures (unreachable network, ...). */
int net_connect(const char *host, int port, int timeout_s, int *ret_fd, char **ret_error);

#endif
