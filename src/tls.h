/* tls: verifies the certificate chain a server presented (as libetpan
 * hands it over, DER certificates, the server's first) against the system
 * CAs or a given CA file, and checks the host name, with GnuTLS. libetpan
 * itself accepts any certificate, so no credential may be sent before this
 * says yes. */
#ifndef RAPPORT_TLS_H
#define RAPPORT_TLS_H

#include <stddef.h>

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

#endif
