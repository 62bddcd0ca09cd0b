/* net: the URL question of net.h (net_url_check), apart from the rest of
 * the module so that a program that links only the host question (the
 * CLI, through the configuration check) does not link libcurl. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "net.h"
#include "util.h"

/* The part of u, or NULL when absent. Caller frees with curl_free. */
static char *url_part(CURLU *u, CURLUPart what)
{
	char *v = NULL;
	if (curl_url_get(u, what, &v, 0) != CURLUE_OK)
		return NULL;
	return v;
}

int net_url_check(const char *url, enum net_url_kind kind, bool *ret_loopback, char **ret_error)
{
	CURLU *u = curl_url();
	if (!u)
		abort();
	char *scheme = NULL, *host = NULL, *why = NULL;
	bool loopback = false;
	CURLUcode c = curl_url_set(u, CURLUPART_URL, url, 0);
	if (c != CURLUE_OK) {
		why = xasprintf("not a URL: %s", curl_url_strerror(c));
		goto out;
	}
	scheme = url_part(u, CURLUPART_SCHEME);
	host = url_part(u, CURLUPART_HOST);
	if (!host || !*host) {
		why = xstrdup("the URL names no host");
		goto out;
	}
	loopback = net_host_is_loopback(host);
	static const CURLUPart creds[] = {CURLUPART_USER, CURLUPART_PASSWORD, CURLUPART_OPTIONS};
	for (size_t i = 0; i < ARRAY_SIZE(creds); i++) {
		char *v = url_part(u, creds[i]);
		bool present = v != NULL;
		curl_free(v);
		if (present) {
			why = xstrdup(kind == NET_URL_SMTP
					      ? "a user name or password in the URL: use smtp_user "
						"and an SMTP secret setting"
					      : "a user name or password in the URL is not allowed");
			goto out;
		}
	}
	bool ok_scheme;
	if (kind == NET_URL_SMTP)
		ok_scheme = scheme && (strcmp(scheme, "smtp") == 0 || strcmp(scheme, "smtps") == 0);
	else
		ok_scheme = scheme && (strcmp(scheme, "https") == 0 ||
				       (strcmp(scheme, "http") == 0 && loopback));
	if (!ok_scheme)
		why = xstrdup(kind == NET_URL_SMTP
				      ? "expected smtps://HOST[:PORT] or smtp://HOST[:PORT]"
				      : "expected https://... (http:// only to localhost, 127.0.0.0/8 "
					"or [::1])");
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	if (why) {
		*ret_error = why;
		return -EINVAL;
	}
	if (ret_loopback)
		*ret_loopback = loopback;
	return 0;
}
