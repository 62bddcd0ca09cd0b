/* tls: see tls.h. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <time.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdlib.h>
#include <string.h>

#include "tls.h"
#include "util.h"

#define TLS_MAX_CHAIN 16

/* True, with the address in buf/len, if host is an IP literal. */
static bool ip_literal(const char *host, unsigned char buf[16], unsigned *len)
{
	if (inet_pton(AF_INET, host, buf) == 1) {
		*len = 4;
		return true;
	}
	if (inet_pton(AF_INET6, host, buf) == 1) {
		*len = 16;
		return true;
	}
	return false;
}

int tls_verify(const struct tls_der *chain, size_t n, const char *host, const char *ca_file,
	       char **ret_error)
{
	gnutls_x509_trust_list_t list = NULL;
	gnutls_x509_crt_t crt[TLS_MAX_CHAIN];
	size_t ncrt = 0;
	int ret = -EPERM, r;

	if (!chain || n == 0) {
		*ret_error = xstrdup("the server presented no X.509 certificate");
		return -EPERM;
	}
	if (gnutls_x509_trust_list_init(&list, 0) < 0) {
		*ret_error = xstrdup("cannot set up certificate verification");
		return -EIO;
	}
	if (ca_file) {
		r = gnutls_x509_trust_list_add_trust_file(list, ca_file, NULL, GNUTLS_X509_FMT_PEM,
							  0, 0);
		if (r <= 0) {
			*ret_error = xasprintf("ca_file %s: %s", ca_file,
					       r < 0 ? gnutls_strerror(r) : "no certificate in it");
			ret = -EIO;
			goto out;
		}
	} else if ((r = gnutls_x509_trust_list_add_system_trust(list, 0, 0)) <= 0) {
		*ret_error = xasprintf("no system CA certificates (%s): install ca-certificates "
				       "or set ca_file", r < 0 ? gnutls_strerror(r) : "none found");
		ret = -EIO;
		goto out;
	}
	for (size_t i = 0; i < n && i < TLS_MAX_CHAIN; i++) {
		gnutls_datum_t d = {(unsigned char *)chain[i].data, (unsigned int)chain[i].len};
		if (gnutls_x509_crt_init(&crt[ncrt]) < 0)
			break;
		if (gnutls_x509_crt_import(crt[ncrt], &d, GNUTLS_X509_FMT_DER) < 0) {
			gnutls_x509_crt_deinit(crt[ncrt]);
			*ret_error = xasprintf("certificate %zu of the server's chain is not valid "
					       "X.509", i + 1);
			goto out;
		}
		ncrt++;
	}
	unsigned status = 0;
	r = gnutls_x509_trust_list_verify_crt2(list, crt, (unsigned)ncrt, NULL, 0, 0, &status,
					       NULL);
	if (r < 0 || status) {
		gnutls_datum_t txt = {NULL, 0};
		if (r >= 0 && gnutls_certificate_verification_status_print(
				      status, GNUTLS_CRT_X509, &txt, 0) == 0) {
			*ret_error = xasprintf("certificate refused: %s", txt.data);
			gnutls_free(txt.data);
		} else {
			*ret_error = xasprintf("certificate refused: %s",
					       r < 0 ? gnutls_strerror(r) : "not trusted");
		}
		goto out;
	}
	unsigned char ip[16];
	unsigned iplen;
	bool match = ip_literal(host, ip, &iplen)
			     ? gnutls_x509_crt_check_ip(crt[0], ip, iplen, 0) != 0
			     : gnutls_x509_crt_check_hostname2(crt[0], host, 0) != 0;
	if (!match) {
		*ret_error = xasprintf("certificate refused: it is not valid for the host name %s",
				       host);
		goto out;
	}
	ret = 0;
out:
	for (size_t i = 0; i < ncrt; i++)
		gnutls_x509_crt_deinit(crt[i]);
	gnutls_x509_trust_list_deinit(list, 1);
	return ret;
}

int tls_wait(gnutls_session_t s, int fd, int timeout_ms)
{
	struct pollfd p = {fd, gnutls_record_get_direction(s) ? POLLOUT : POLLIN, 0};
	int k;
	do
		k = poll(&p, 1, timeout_ms);
	while (k < 0 && errno == EINTR);
	return k;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int tls_client(int fd, const char *host, const char *ca_file, int timeout_ms,
	       gnutls_session_t *ret, char **ret_error)
{
	gnutls_session_t s = NULL;
	gnutls_certificate_credentials_t cred = NULL;
	unsigned char ip[16];
	unsigned iplen;
	int r;

	if (gnutls_init(&s, GNUTLS_CLIENT | GNUTLS_NONBLOCK) < 0 ||
	    gnutls_certificate_allocate_credentials(&cred) < 0)
		abort();
	/* the system's defaults, which still negotiate TLS 1.0 and 1.1 with
	 * a server that knows nothing newer: the version is refused below,
	 * after the handshake and before any byte of ours, so that the
	 * message can name what the server offered */
	if (gnutls_set_default_priority(s) < 0 ||
	    gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred) < 0)
		abort();
	if (!ip_literal(host, ip, &iplen))
		gnutls_server_name_set(s, GNUTLS_NAME_DNS, host, strlen(host));
	gnutls_transport_set_int(s, fd);
	int64_t until = mono_ms() + timeout_ms;
	while ((r = gnutls_handshake(s)) < 0) {
		if (gnutls_error_is_fatal(r)) {
			*ret_error = r == GNUTLS_E_UNSUPPORTED_VERSION_PACKET ||
						     r == GNUTLS_E_NO_CIPHER_SUITES ||
						     r == GNUTLS_E_INSUFFICIENT_SECURITY
					     ? xasprintf("the TLS handshake failed: %s (rapport "
							 "requires TLS 1.2 or later)",
							 gnutls_strerror(r))
					     : xasprintf("the TLS handshake failed: %s",
							 gnutls_strerror(r));
			r = -EIO;
			goto fail;
		}
		int64_t left = until - mono_ms();
		if (left <= 0 || tls_wait(s, fd, (int)left) <= 0) {
			*ret_error = xasprintf("the TLS handshake did not finish within %d s",
					       timeout_ms / 1000);
			r = -ETIMEDOUT;
			goto fail;
		}
	}
	gnutls_protocol_t v = gnutls_protocol_get_version(s);
	if (v != GNUTLS_TLS1_2 && v != GNUTLS_TLS1_3) {
		const char *name = gnutls_protocol_get_name(v);
		*ret_error = xasprintf("the server offered %s; rapport requires TLS 1.2 or later",
				       name ? name : "an unknown TLS version");
		r = -EPROTO;
		goto fail;
	}
	unsigned n = 0;
	const gnutls_datum_t *peers = gnutls_certificate_type_get(s) == GNUTLS_CRT_X509
					      ? gnutls_certificate_get_peers(s, &n)
					      : NULL;
	struct tls_der chain[TLS_MAX_CHAIN];
	if (!peers)
		n = 0;
	if (n > TLS_MAX_CHAIN)
		n = TLS_MAX_CHAIN;
	for (unsigned i = 0; i < n; i++)
		chain[i] = (struct tls_der){peers[i].data, peers[i].size};
	if ((r = tls_verify(chain, n, host, ca_file, ret_error)) < 0)
		goto fail;
	/* the credentials must live as long as the session */
	gnutls_session_set_ptr(s, cred);
	*ret = s;
	return 0;
fail:
	gnutls_deinit(s);
	gnutls_certificate_free_credentials(cred);
	return r;
}

void tls_free(gnutls_session_t s)
{
	if (!s)
		return;
	gnutls_certificate_credentials_t cred = gnutls_session_get_ptr(s);
	gnutls_deinit(s);
	if (cred)
		gnutls_certificate_free_credentials(cred);
}
