/* stream: the byte stream under an IMAP connection, as a libetpan
 * mailstream_low of rapport's own, so that rapport, not libetpan, decides
 * the two things libetpan gets wrong for a hostile server:
 * - TLS: GnuTLS with protocol version 1.2 or later, the chain and host
 *   name verified (tls_verify) before the handshake counts as done; a
 *   server that speaks only TLS 1.0 or 1.1 is refused, naming the version;
 * - memory: every server response (a line with the literals it carries)
 *   is counted as it arrives, and one that passes the limit the caller
 *   set fails the read, so libetpan never buffers more than that for one
 *   response, whatever the server sends (an endless line, a literal of
 *   4 GiB, a FETCH answer with megabytes of unasked-for items).
 * Reads wait at most the read timeout for each chunk; shutting the socket
 * down from another thread (imap_enforce_deadline) makes them fail. */
#ifndef RAPPORT_STREAM_H
#define RAPPORT_STREAM_H

#include <stdbool.h>
#include <stddef.h>

#include <libetpan/libetpan.h>

/* A stream over the connected socket fd, which it takes over (closed with
 * the stream). read_timeout_s bounds each wait for data; limit is the
 * initial response limit in bytes. Never NULL (aborts on exhaustion). */
mailstream_low *stream_new(int fd, int read_timeout_s, size_t limit);

/* Starts TLS on the stream (implicit TLS, or after a STARTTLS answer):
 * handshake within the read timeout, TLS >= 1.2, certificate chain
 * verified against ca_file (NULL: the system CAs) and valid for host.
 * Returns 0; -EPROTO for a refused protocol version, -EPERM for a refused
 * certificate, -EIO for a failed handshake; *ret_error explains (caller
 * frees). */
int stream_start_tls(mailstream_low *low, const char *host, const char *ca_file,
		     char **ret_error);

/* Sets the most bytes one response may take from now on, and starts
 * counting afresh. */
void stream_set_limit(mailstream_low *low, size_t limit);

/* Whether a read failed because a response passed the limit (and the
 * limit then in force). */
bool stream_overflowed(mailstream_low *low, size_t *ret_limit);

/* Whether decrypted bytes wait inside the TLS layer (the socket may then
 * show nothing to poll() although data is there). */
bool stream_pending(mailstream_low *low);

#endif
