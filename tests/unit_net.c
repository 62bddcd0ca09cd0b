/* Unit tests: net's two security questions, asked with the inputs an
 * attacker would pick: is this host this machine, and may rapport deliver
 * to this URL (and does --check-config, through conf_load, give the same
 * answer as delivery, which calls net_url_check itself). */
#include "config.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "conf.h"
#include "net.h"

static char dir[] = "/tmp/rapport-unit-net-XXXXXX";

/* What --check-config says of a webhook or SMTP URL: true when valid. */
static bool conf_accepts(const char *key, const char *url)
{
	char *p = xasprintf("%s/r.conf", dir);
	FILE *f = fopen(p, "w");
	fprintf(f, "nudges = { %s = \"%s\"; smtp_from = \"r@x.example\"; };\n", key, url);
	fclose(f);
	struct strlist errors = {0}, warnings = {0};
	struct conf c;
	int r = conf_load(p, net_url_check, &c, &errors, &warnings);
	if (r == 0)
		conf_free(&c);
	sl_free(&errors);
	sl_free(&warnings);
	free(p);
	return r == 0;
}

struct url_case {
	const char *url;
	int ok;        /* accepted at all */
	int loopback;  /* when accepted: taken for this machine */
};

/* webhooks: http only to this machine, never with userinfo */
static const struct url_case webhooks[] = {
	{"https://hooks.example.org/abc", 1, 0},
	{"http://127.0.0.1:8080/hook", 1, 1},
	{"http://127.1.2.3/hook", 1, 1},
	{"http://localhost:9/hook", 1, 1},
	{"http://LOCALHOST:9/hook", 1, 1},
	{"http://[::1]:9/hook", 1, 1},
	{"http://[0:0:0:0:0:0:0:1]:9/", 1, 1},
	{"http://localhost.evil.example:9#@127.0.0.1/", 0, 0},
	{"http://localhost.evil.example:9/?@127.0.0.1/", 0, 0},
	{"http://localhost.evil.example/", 0, 0},
	{"http://localhost./hook", 0, 0},
	{"http://127.0.0.1.nip.io/hook", 0, 0},
	{"http://127.0.0.1@evil.example/", 0, 0},
	{"http://user:pw@127.0.0.1/", 0, 0},
	{"https://user@hooks.example.org/", 0, 0},
	{"https://:secret@hooks.example.org/", 0, 0},
	{"http://[::ffff:127.0.0.1]/", 0, 0},
	{"http://[::2]/", 0, 0},
	{"http://128.0.0.1/", 0, 0},
	{"http://evil.example\\@127.0.0.1/", 0, 0},
	{"http://evil.example/127.0.0.1", 0, 0},
	/* libcurl decodes it and connects to localhost: what it extracts decides */
	{"http://%6cocalhost/", 1, 1},
	{"http://%6cocalhost.evil.example/", 0, 0},
	{"ftp://127.0.0.1/", 0, 0},
	{"file:///etc/passwd", 0, 0},
	{"127.0.0.1/hook", 0, 0},
	{"http://", 0, 0},
	{"", 0, 0},
};

/* SMTP: the loopback answer decides whether STARTTLS may be skipped */
static const struct url_case smtps[] = {
	{"smtps://smtp.example.org", 1, 0},
	{"smtp://smtp.example.org:587", 1, 0},
	{"smtp://127.0.0.1:2525", 1, 1},
	{"smtp://localhost:25", 1, 1},
	{"smtp://[::1]:25", 1, 1},
	{"smtp://localhost.relay.example", 1, 0},
	{"smtp://localhost.relay.example:25", 1, 0},
	{"smtp://127.0.0.1.relay.example", 1, 0},
	{"smtp://localhost.:25", 1, 0},
	{"smtp://127.0.0.1@mail.relay.example", 0, 0},
	{"smtp://user;AUTH=PLAIN@127.0.0.1", 0, 0},
	{"smtp://mail.relay.example#@127.0.0.1", 1, 0},
	{"smtp://mail.relay.example?@127.0.0.1", 1, 0},
	{"SMTP://127.0.0.1:25", 1, 1},
	{"https://smtp.example.org", 0, 0},
	{"smtp:127.0.0.1", 0, 0},
};

static void check_cases(const struct url_case *cs, size_t n, enum net_url_kind kind,
			const char *key)
{
	for (size_t i = 0; i < n; i++) {
		bool loopback = false;
		char *why = NULL;
		int r = net_url_check(cs[i].url, kind, &loopback, &why);
		check_count++;
		if ((r == 0) != cs[i].ok || (r == 0 && loopback != cs[i].loopback)) {
			check_failures++;
			fprintf(stderr, "%s: %s: %s (loopback %d), expected %s (loopback %d)\n",
				key, cs[i].url, r == 0 ? "accepted" : why, loopback,
				cs[i].ok ? "accepted" : "refused", cs[i].loopback);
		}
		free(why);
		/* the configuration check is the same function */
		check_count++;
		if (conf_accepts(key, cs[i].url) != (r == 0)) {
			check_failures++;
			fprintf(stderr, "%s: %s: --check-config and delivery disagree\n", key,
				cs[i].url);
		}
	}
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);

	/* hosts as written in the configuration (tls = "none") */
	static const char *const yes[] = {"localhost", "LocalHost", "127.0.0.1", "127.255.255.254",
					  "127.0.0.2", "::1", "[::1]", "0:0:0:0:0:0:0:1"};
	static const char *const no[] = {
		"localhost.", "localhost.example", "localhost.evil.example", "mylocalhost",
		"127.0.0.1.nip.io", "127.0.0.1.", "127.1", "0x7f.0.0.1", "2130706433",
		"0177.0.0.1", "::ffff:127.0.0.1", "[::ffff:127.0.0.1]", "::", "[::2]", "0.0.0.0",
		"128.0.0.1", "126.255.255.255", "127.0.0.1 ", " 127.0.0.1", "127.0.0.1:25",
		"[::1", "::1]", "", "imap.example.org"};
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		CHECK(net_host_is_loopback(yes[i]));
		if (!net_host_is_loopback(yes[i]))
			fprintf(stderr, "  (%s)\n", yes[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(no); i++) {
		CHECK(!net_host_is_loopback(no[i]));
		if (net_host_is_loopback(no[i]))
			fprintf(stderr, "  (%s)\n", no[i]);
	}
	CHECK(!net_host_is_loopback(NULL));

	check_cases(webhooks, ARRAY_SIZE(webhooks), NET_URL_WEBHOOK, "webhook_url");
	check_cases(smtps, ARRAY_SIZE(smtps), NET_URL_SMTP, "smtp_url");

	/* connection failures say which, with host:port */
	int fd = -1;
	char *why = NULL;
	CHECK_INT(net_connect("name-that-does-not-exist.invalid", 993, 5, &fd, &why), -ENOENT);
	CHECK(why && strstr(why, "name-that-does-not-exist.invalid:993: host name not found"));
	free(why);
	why = NULL;
	CHECK_INT(net_connect("127.0.0.1", 1, 5, &fd, &why), -ECONNREFUSED);
	CHECK_STR(why, "127.0.0.1:1: connection refused");
	free(why);

	char *rm = xasprintf("rm -rf %s", dir);
	if (system(rm) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	free(rm);
	curl_global_cleanup();
	return check_done("unit_net");
}
