/* tls: see tls.h. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
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
