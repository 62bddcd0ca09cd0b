/* tls: verifies the certificate chain a server presented (as libetpan
 * hands it over, DER certificates, the server's first) against the system
 * CAs or a given CA file, and checks the host name, with GnuTLS. libetpan
 * itself accepts any certificate, so no credential may be sent before this
 * says yes. */
#ifndef RAPPORT_TLS_H
#define RAPPORT_TLS_H

#include <stddef.h>

#include <gnutls/gnutls.h>

struct tls_der {
	const unsigned char *data;
	size_t len;
};

/* Verifies chain[0..n) for host (a DNS name or an IP address literal).
 * ca_file NULL: the system's trusted CAs. Returns 0 when trusted; -EPERM
 * with a malloc'd reason in *ret_error (caller frees) when not, including
 * an empty chain; -EIO when the CA file cannot be read (reason too). */
int tls_verify(const struct tls_der *chain, size_t n, const char *host, const char *ca_file,
	       char **ret_error);

/* A TLS client session over the connected non-blocking socket fd:
 * handshake (SNI for a host name) within timeout_ms, then the checks that
 * must pass before anything is sent: protocol version TLS 1.2 or later,
 * and tls_verify() of the server's chain for host. Returns 0 and the
 * session in *ret (tls_free() frees it; fd stays the caller's);
 * -EPROTO when the server speaks only an older version (the reason names
 * it), -EPERM for a refused certificate, -ETIMEDOUT, or -EIO for a failed
 * handshake, each with a malloc'd reason in *ret_error. */
int tls_client(int fd, const char *host, const char *ca_file, int timeout_ms,
	       gnutls_session_t *ret, char **ret_error);

/* Frees a session from tls_client(). NULL-safe. */
void tls_free(gnutls_session_t s);

/* Waits until fd is ready for what the session's last call wanted
 * (gnutls_record_get_direction), at most timeout_ms: 1 ready, 0 not,
 * -1 error. */
int tls_wait(gnutls_session_t s, int fd, int timeout_ms);

#endif
