/* conf: see conf.h. */
#include "config.h"

#include <errno.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "conf.h"
#include "roster.h"

/* ---- numeric knobs, one table for scoring and nudges ------------------- */

enum knob_type { KNOB_INT, KNOB_DOUBLE };

struct knob {
	const char *name;
	enum knob_type type;
	size_t offset;
	double def, min, max;
};

#define SK(n, t, d, lo, hi) {#n, t, offsetof(struct conf_scoring, n), d, lo, hi}
static const struct knob scoring_knobs[] = {
	SK(window_days, KNOB_INT, 365, 1, 36500),
	SK(half_life_days, KNOB_DOUBLE, 90, 0.001, 36500),
	SK(reply_window_days, KNOB_INT, 30, 1, 3650),
	SK(personal_max_recipients, KNOB_INT, 5, 1, 10000),
	SK(dormant_days, KNOB_INT, 180, 1, 36500),
	SK(commitment_days, KNOB_INT, 180, 1, 36500),
	SK(commitment_min_threads, KNOB_INT, 2, 1, 1000),
	SK(commitment_min_reciprocity, KNOB_DOUBLE, 0.5, 0, 1),
	SK(trend_recent_days, KNOB_INT, 90, 1, 36500),
	SK(trend_up, KNOB_DOUBLE, 1.5, 0, 1000),
	SK(trend_down, KNOB_DOUBLE, 0.67, 0, 1000),
	SK(subject_thread_days, KNOB_INT, 30, 0, 3650),
	SK(class_strong, KNOB_INT, 60, 0, 100),
	SK(class_moderate, KNOB_INT, 30, 0, 100),
	SK(volume_scale, KNOB_DOUBLE, 4, 0.001, 1e6),
	SK(weight_reciprocity, KNOB_DOUBLE, 0.40, 0, 1),
	SK(weight_response, KNOB_DOUBLE, 0.35, 0, 1),
	SK(weight_initiation, KNOB_DOUBLE, 0.25, 0, 1),
	SK(one_sided_min_decided, KNOB_INT, 3, 1, 1000),
	SK(one_sided_max_rate, KNOB_DOUBLE, 0.25, 0, 1),
	SK(one_sided_streak, KNOB_INT, 3, 1, 1000),
};

#define NK(n, t, d, lo, hi) {#n, t, offsetof(struct conf_nudges, n), d, lo, hi}
static const struct knob nudge_knobs[] = {
	NK(followup_days, KNOB_INT, 7, 0, 3650),
	NK(give_up_days, KNOB_INT, 45, 0, 3650),
	NK(owed_days, KNOB_INT, 2, 0, 3650),
	NK(owed_give_up_days, KNOB_INT, 14, 0, 3650),
	NK(reconnect_days, KNOB_INT, 30, 0, 36500),
	NK(reconnect_gap_factor, KNOB_DOUBLE, 8, 0, 1000),
};

static void knobs_default(void *base, const struct knob *k, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *p = (char *)base + k[i].offset;
		if (k[i].type == KNOB_INT)
			*(int *)p = (int)k[i].def;
		else
			*(double *)p = k[i].def;
	}
}

/* ---- key tables --------------------------------------------------------- */

static const char *const top_keys[] = {"database", "database_group_read", "track_unknown",
				       "command_timeout", "actions_key_file", "report_dir",
				       "report_url", "report_months",
				       "roster_file", "ignore", "accounts", "clients",
				       "departments", "scoring", "nudges", NULL};
static const char *const account_keys[] = {
	"name", "liaison", "identity", "host", "port", "tls", "auth", "user",
	"password_file", "password_command", "oauth2_token_command", "ca_file",
	"sent_folder", "folders", "since_days", "poll_interval", "digest_to", "actions_address", NULL};
static const char *const client_keys[] = {"name", "addresses", "department", "liaison", NULL};
static const char *const department_keys[] = {"name", "domains", NULL};
static const char *scoring_keys[ARRAY_SIZE(scoring_knobs) + 1];
static const char *const nudge_strings[] = {
	"digest_time", "timezone", "smtp_url", "smtp_from", "smtp_user", "smtp_auth",
	"smtp_password_file", "smtp_password_command", "smtp_oauth2_token_command",
	"smtp_ca_file", "webhook_url", "webhook_ca_file", "team_digest_to"};
static const char *nudge_keys[ARRAY_SIZE(nudge_knobs) + ARRAY_SIZE(nudge_strings) + 1];

const char *const *conf_keys(const char *group)
{
	if (!scoring_keys[0]) {
		for (size_t i = 0; i < ARRAY_SIZE(scoring_knobs); i++)
			scoring_keys[i] = scoring_knobs[i].name;
		size_t i = 0;
		for (; i < ARRAY_SIZE(nudge_knobs); i++)
			nudge_keys[i] = nudge_knobs[i].name;
		for (size_t j = 0; j < ARRAY_SIZE(nudge_strings); j++)
			nudge_keys[i++] = nudge_strings[j];
	}
	if (strcmp(group, "") == 0)
		return top_keys;
	if (strcmp(group, "accounts") == 0)
		return account_keys;
	if (strcmp(group, "clients") == 0)
		return client_keys;
	if (strcmp(group, "departments") == 0)
		return department_keys;
	if (strcmp(group, "scoring") == 0)
		return scoring_keys;
	if (strcmp(group, "nudges") == 0)
		return nudge_keys;
	return NULL;
}

/* ---- error reporting ---------------------------------------------------- */

struct ctx {
	const char *file;
	struct strlist *errors;
	struct strlist *warnings;
	conf_url_check_fn check_url; /* or NULL: the delivery URLs go unchecked */
};

static void err(struct ctx *x, const config_setting_t *s, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void err(struct ctx *x, const config_setting_t *s, const char *path, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	int line = s ? (int)config_setting_source_line(s) : 0;
	sl_take(x->errors, xasprintf("%s:%d: %s: %s", x->file, line, path, msg));
	free(msg);
}

static char *child_path(const char *parent, const config_setting_t *s, int index)
{
	const char *name = config_setting_name(s);
	if (name)
		return *parent ? xasprintf("%s.%s", parent, name) : xstrdup(name);
	return xasprintf("%s.[%d]", parent, index);
}

static void check_keys(struct ctx *x, const config_setting_t *group, const char *path,
		       const char *const *allowed)
{
	int n = config_setting_length(group);
	for (int i = 0; i < n; i++) {
		config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
		const char *name = config_setting_name(s);
		bool ok = false;
		for (size_t k = 0; name && allowed[k]; k++)
			ok |= strcmp(allowed[k], name) == 0;
		if (!ok) {
			char *p = child_path(path, s, i);
			err(x, s, p, "unknown key");
			free(p);
		}
	}
}

/* ---- typed getters ------------------------------------------------------ */

static char *get_string(struct ctx *x, const config_setting_t *g, const char *key,
			const char *path, bool required)
{
	config_setting_t *s = config_setting_get_member(g, key);
	if (!s) {
		if (required)
			err(x, g, path, "missing required key \"%s\"", key);
		return NULL;
	}
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		err(x, s, path, "%s: expected a string", key);
		return NULL;
	}
	return xstrdup(config_setting_get_string(s));
}

static bool get_int(struct ctx *x, const config_setting_t *g, const char *key, const char *path,
		    int lo, int hi, int *val)
{
	config_setting_t *s = config_setting_get_member(g, key);
	if (!s)
		return false;
	int t = config_setting_type(s);
	if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
		err(x, s, path, "%s: expected a whole number", key);
		return false;
	}
	long long v = config_setting_get_int64(s);
	if (v < lo || v > hi) {
		err(x, s, path, "%s: %lld is out of range (%d to %d)", key, v, lo, hi);
		return false;
	}
	*val = (int)v;
	return true;
}

/* A list or array of strings; with addresses=true each is normalised and
 * must be an address. */
static void get_strings(struct ctx *x, const config_setting_t *g, const char *key,
			const char *path, bool addresses, struct strlist *out)
{
	config_setting_t *s = config_setting_get_member(g, key);
	const char *what = addresses ? "a list of addresses" : "a list of strings";
	if (!s)
		return;
	int t = config_setting_type(s);
	if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
		err(x, s, path, "%s: expected %s", key, what);
		return;
	}
	for (int i = 0; i < config_setting_length(s); i++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			err(x, e, path, "%s: expected %s", key, what);
			return;
		}
		const char *v = config_setting_get_string(e);
		if (!addresses) {
			char *l = ascii_lower(xstrtrim(v));
			sl_add_unique(out, l);
			free(l);
			continue;
		}
		char *a = addr_normalize(v);
		if (!a) {
			err(x, e, path, "%s: \"%s\" is not an e-mail address", key, v);
			continue;
		}
		sl_add_unique(out, a);
		free(a);
	}
}

static void get_knobs(struct ctx *x, const config_setting_t *g, const char *path, void *base,
		      const struct knob *k, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		config_setting_t *s = config_setting_get_member(g, k[i].name);
		if (!s)
			continue;
		char *p = (char *)base + k[i].offset;
		int t = config_setting_type(s);
		double v;
		if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64)
			v = (double)config_setting_get_int64(s);
		else if (t == CONFIG_TYPE_FLOAT && k[i].type == KNOB_DOUBLE)
			v = config_setting_get_float(s);
		else {
			err(x, s, path, "%s: expected %s", k[i].name,
			    k[i].type == KNOB_INT ? "a whole number" : "a number");
			continue;
		}
		if (v < k[i].min || v > k[i].max) {
			err(x, s, path, "%s: %g is out of range (%g to %g)", k[i].name, v,
			    k[i].min, k[i].max);
			continue;
		}
		if (k[i].type == KNOB_INT)
			*(int *)p = (int)v;
		else
			*(double *)p = v;
	}
}

/* ---- sections ----------------------------------------------------------- */

static void parse_account(struct ctx *x, const config_setting_t *g, const char *path,
			  struct conf_account *a)
{
	check_keys(x, g, path, account_keys);
	a->name = get_string(x, g, "name", path, true);
	a->liaison = get_string(x, g, "liaison", path, false);
	if (!a->liaison && a->name)
		a->liaison = xstrdup(a->name);
	if (!config_setting_get_member(g, "identity"))
		err(x, g, path, "missing required key \"identity\"");
	get_strings(x, g, "identity", path, true, &a->identity);
	a->host = get_string(x, g, "host", path, false);
	a->user = get_string(x, g, "user", path, false);
	a->password_file = get_string(x, g, "password_file", path, false);
	a->password_command = get_string(x, g, "password_command", path, false);
	a->oauth2_token_command = get_string(x, g, "oauth2_token_command", path, false);
	a->ca_file = get_string(x, g, "ca_file", path, false);
	a->sent_folder = get_string(x, g, "sent_folder", path, false);
	get_strings(x, g, "folders", path, false, &a->folders);
	/* folder names are case-sensitive except INBOX: keep them as written */
	sl_free(&a->folders);
	config_setting_t *fs = config_setting_get_member(g, "folders");
	for (int i = 0; fs && i < config_setting_length(fs); i++) {
		const char *v = config_setting_get_string_elem(fs, (unsigned)i);
		if (v)
			sl_add_unique(&a->folders, v);
	}
	a->since_days = 365;
	get_int(x, g, "since_days", path, 1, 36500, &a->since_days);
	a->poll_interval = 300;
	get_int(x, g, "poll_interval", path, 10, 86400, &a->poll_interval);
	a->digest_to = get_string(x, g, "digest_to", path, false);
	a->actions_address = get_string(x, g, "actions_address", path, false);
	const char *addrs[] = {"digest_to", a->digest_to, "actions_address", a->actions_address};
	for (size_t i = 0; i < ARRAY_SIZE(addrs); i += 2) {
		if (!addrs[i + 1])
			continue;
		char *d = addr_normalize(addrs[i + 1]);
		if (!d || strpbrk(addrs[i + 1], "\r\n?&%"))
			err(x, config_setting_get_member(g, addrs[i]), path,
			    "%s: \"%s\" is not an e-mail address", addrs[i], addrs[i + 1]);
		free(d);
	}

	char *tls = get_string(x, g, "tls", path, false);
	a->tls = CONF_TLS_IMPLICIT;
	if (tls && strcmp(tls, "starttls") == 0)
		a->tls = CONF_TLS_STARTTLS;
	else if (tls && strcmp(tls, "none") == 0)
		a->tls = CONF_TLS_NONE;
	else if (tls && strcmp(tls, "implicit") != 0)
		err(x, config_setting_get_member(g, "tls"), path,
		    "tls: expected \"implicit\", \"starttls\" or \"none\"");
	free(tls);
	a->port = a->tls == CONF_TLS_IMPLICIT ? 993 : 143;
	get_int(x, g, "port", path, 1, 65535, &a->port);

	char *auth = get_string(x, g, "auth", path, false);
	a->auth = a->oauth2_token_command ? CONF_AUTH_XOAUTH2 : CONF_AUTH_LOGIN;
	if (auth && strcmp(auth, "login") == 0)
		a->auth = CONF_AUTH_LOGIN;
	else if (auth && strcmp(auth, "xoauth2") == 0)
		a->auth = CONF_AUTH_XOAUTH2;
	else if (auth && strcmp(auth, "oauthbearer") == 0)
		a->auth = CONF_AUTH_OAUTHBEARER;
	else if (auth)
		err(x, config_setting_get_member(g, "auth"), path,
		    "auth: expected \"login\", \"xoauth2\" or \"oauthbearer\"");
	free(auth);

	/* the IMAP part, validated as a whole (check_account in msmtp's terms) */
	if (!a->host)
		return;
	if (!a->user)
		err(x, g, path, "host is set but user is missing");
	int secrets = !!a->password_file + !!a->password_command + !!a->oauth2_token_command;
	if (secrets > 1)
		err(x, g, path, "password_file, password_command and oauth2_token_command "
				"are exclusive: set one");
	if (a->auth != CONF_AUTH_LOGIN && !a->oauth2_token_command)
		err(x, g, path, "auth = oauth2 needs oauth2_token_command");
	if (a->auth == CONF_AUTH_LOGIN && a->oauth2_token_command)
		err(x, g, path, "oauth2_token_command needs auth = \"xoauth2\" or \"oauthbearer\"");
	if (a->tls == CONF_TLS_NONE && !net_host_is_loopback(a->host))
		err(x, config_setting_get_member(g, "tls"), path,
		    "tls = \"none\" is only allowed to localhost, 127.0.0.0/8 or ::1, not %s",
		    a->host);
}

static void parse_list(struct ctx *x, const config_setting_t *root, const char *key,
		       void (*one)(struct ctx *, const config_setting_t *, const char *, void *),
		       void **items, size_t *n, size_t size)
{
	config_setting_t *l = config_setting_get_member(root, key);
	if (!l)
		return;
	if (config_setting_type(l) != CONFIG_TYPE_LIST) {
		err(x, l, key, "expected a list of groups: %s = ( { ... }, ... );", key);
		return;
	}
	int len = config_setting_length(l);
	*items = xcalloc((size_t)len + 1, size);
	for (int i = 0; i < len; i++) {
		config_setting_t *g = config_setting_get_elem(l, (unsigned)i);
		char *p = child_path(key, g, i);
		if (config_setting_type(g) != CONFIG_TYPE_GROUP)
			err(x, g, p, "expected a group { ... }");
		else
			one(x, g, p, (char *)*items + (size_t)*n * size);
		(*n)++;
		free(p);
	}
}

static void one_account(struct ctx *x, const config_setting_t *g, const char *p, void *item)
{
	parse_account(x, g, p, item);
}

static void one_client(struct ctx *x, const config_setting_t *g, const char *p, void *item)
{
	struct conf_client *c = item;
	check_keys(x, g, p, client_keys);
	c->name = get_string(x, g, "name", p, true);
	if (!config_setting_get_member(g, "addresses"))
		err(x, g, p, "missing required key \"addresses\"");
	get_strings(x, g, "addresses", p, true, &c->addresses);
	c->department = get_string(x, g, "department", p, false);
	c->origin = xasprintf("%s:%d", x->file, (int)config_setting_source_line(g));
	/* a string or a list of strings; checked against the accounts later */
	config_setting_t *l = config_setting_get_member(g, "liaison");
	int t = l ? config_setting_type(l) : CONFIG_TYPE_NONE;
	if (t == CONFIG_TYPE_STRING) {
		sl_add(&c->liaisons, config_setting_get_string(l));
		return;
	}
	for (int i = 0; (t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST) &&
			i < config_setting_length(l); i++) {
		config_setting_t *e = config_setting_get_elem(l, (unsigned)i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			err(x, e, p, "liaison: expected an account name or a list of them");
			return;
		}
		sl_add(&c->liaisons, config_setting_get_string(e));
	}
	if (l && t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST)
		err(x, l, p, "liaison: expected an account name or a list of them");
}

static void one_department(struct ctx *x, const config_setting_t *g, const char *p, void *item)
{
	struct conf_department *d = item;
	check_keys(x, g, p, department_keys);
	d->name = get_string(x, g, "name", p, true);
	if (!config_setting_get_member(g, "domains"))
		err(x, g, p, "missing required key \"domains\"");
	get_strings(x, g, "domains", p, false, &d->domains);
}

void conf_defaults(struct conf *c)
{
	*c = (struct conf){0};
	c->database = xstrdup(CONF_DEFAULT_DATABASE);
	c->track_unknown = true;
	c->command_timeout = 60;
	c->report_months = 24;
	knobs_default(&c->scoring, scoring_knobs, ARRAY_SIZE(scoring_knobs));
	knobs_default(&c->nudges, nudge_knobs, ARRAY_SIZE(nudge_knobs));
	c->nudges.digest_time = xstrdup("08:00");
}

/* Whether name is a zone of the system's zone database (a TZif file under
 * $TZDIR or /usr/share/zoneinfo): "Europe/Berlin" is, "Mars/Olympus" and
 * "../etc/passwd" are not. */
static bool zone_exists(const char *name)
{
	if (!*name || name[0] == '/' || strstr(name, "..") || strlen(name) > 255)
		return false;
	const char *dir = getenv("TZDIR");
	char *path = xasprintf("%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
	char *data = NULL;
	size_t len = 0;
	bool ok = read_file(path, 1 << 20, &data, &len) == 0 && len >= 4 &&
		  memcmp(data, "TZif", 4) == 0;
	free(data);
	free(path);
	return ok;
}

static void check_cross(struct ctx *x, struct conf *c, config_setting_t *root)
{
	for (size_t i = 0; i < c->n_accounts; i++)
		for (size_t j = 0; j < i; j++)
			if (c->accounts[i].name && c->accounts[j].name &&
			    strcmp(c->accounts[i].name, c->accounts[j].name) == 0)
				err(x, config_setting_get_member(root, "accounts"), "accounts",
				    "account name \"%s\" is used twice", c->accounts[i].name);
	const struct conf_scoring *s = &c->scoring;
	if (s->class_moderate > s->class_strong)
		err(x, config_setting_get_member(root, "scoring"), "scoring",
		    "class_moderate (%d) must not exceed class_strong (%d)", s->class_moderate,
		    s->class_strong);
	const struct conf_nudges *n = &c->nudges;
	if (n->give_up_days < n->followup_days)
		err(x, config_setting_get_member(root, "nudges"), "nudges",
		    "give_up_days must be at least followup_days");
	if (n->owed_give_up_days < n->owed_days)
		err(x, config_setting_get_member(root, "nudges"), "nudges",
		    "owed_give_up_days must be at least owed_days");
	if (n->timezone && !zone_exists(n->timezone))
		err(x, config_setting_lookup(root, "nudges.timezone"), "nudges.timezone",
		    "\"%s\" is not a zone of the system's zone database (e.g. \"Europe/Berlin\"; "
		    "see /usr/share/zoneinfo)", n->timezone);
	int hh, mm;
	char tail;
	if (sscanf(n->digest_time, "%d:%d%c", &hh, &mm, &tail) != 2 || hh < 0 || hh > 23 ||
	    mm < 0 || mm > 59)
		err(x, config_setting_lookup(root, "nudges.digest_time"), "nudges.digest_time",
		    "expected \"HH:MM\"");
}

static bool has_crlf(const char *s)
{
	return s && strpbrk(s, "\r\n") != NULL;
}

/* The delivery settings as a whole. */
static void check_delivery(struct ctx *x, config_setting_t *g, const struct conf_nudges *n)
{
	if (n->smtp_url) {
		char *why = NULL;
		if (x->check_url && x->check_url(n->smtp_url, NET_URL_SMTP, NULL, &why) < 0) {
			err(x, config_setting_get_member(g, "smtp_url"), "nudges", "smtp_url: %s",
			    why);
			free(why);
		}
		if (!n->smtp_from)
			err(x, g, "nudges", "smtp_url is set but smtp_from is missing");
		int secrets = !!n->smtp_password_file + !!n->smtp_password_command +
			      !!n->smtp_oauth2_token_command;
		if (secrets > 1)
			err(x, g, "nudges", "smtp_password_file, smtp_password_command and "
					    "smtp_oauth2_token_command are exclusive");
		if (secrets && !n->smtp_user)
			err(x, g, "nudges", "an SMTP secret is set but smtp_user is missing");
		if (n->smtp_auth && strcmp(n->smtp_auth, "login") != 0 &&
		    strcmp(n->smtp_auth, "xoauth2") != 0)
			err(x, config_setting_get_member(g, "smtp_auth"), "nudges",
			    "smtp_auth: expected \"login\" or \"xoauth2\"");
	}
	if (has_crlf(n->smtp_from) || has_crlf(n->smtp_user) || has_crlf(n->smtp_url) ||
	    has_crlf(n->webhook_url))
		err(x, g, "nudges", "a line break in an address, user or URL");
	if (n->smtp_from) {
		char *a = addr_normalize(n->smtp_from);
		if (!a)
			err(x, config_setting_get_member(g, "smtp_from"), "nudges",
			    "smtp_from: \"%s\" is not an e-mail address", n->smtp_from);
		free(a);
	}
	char *why = NULL;
	if (n->webhook_url && x->check_url &&
	    x->check_url(n->webhook_url, NET_URL_WEBHOOK, NULL, &why) < 0) {
		err(x, config_setting_get_member(g, "webhook_url"), "nudges", "webhook_url: %s",
		    why);
		free(why);
	}
}

/* Roster paths are relative to the configuration file's directory. */
static char *relative_to(const char *conf_path, const char *p)
{
	if (p[0] == '/')
		return xstrdup(p);
	const char *slash = strrchr(conf_path, '/');
	if (!slash)
		return xstrdup(p);
	return xasprintf("%.*s/%s", (int)(slash - conf_path), conf_path, p);
}

int conf_load(const char *path, conf_url_check_fn check_url, struct conf *ret,
	      struct strlist *errors, struct strlist *warnings)
{
	config_t cfg;
	struct conf c;
	struct ctx x = {path, errors, warnings, check_url};
	size_t before = errors->n;

	int fd;
	struct stat sb;
	int e = open_regular(path, false, &fd);
	if (e < 0) {
		sl_take(errors, xasprintf("%s: cannot open: %s", path,
					  e == -EINVAL ? "not a regular file" : strerror(-e)));
		return e;
	}
	if (fstat(fd, &sb) == 0 && sb.st_size > CONF_MAX_BYTES) {
		close(fd);
		sl_take(errors, xasprintf("%s: larger than 1 MiB: refused unread", path));
		return -EFBIG;
	}
	FILE *f = fdopen(fd, "r");
	if (!f)
		abort();
	config_init(&cfg);
	int ok = config_read(&cfg, f);
	fclose(f);
	if (ok != CONFIG_TRUE) {
		sl_take(errors, xasprintf("%s:%d: syntax error: %s",
					  config_error_file(&cfg) ? config_error_file(&cfg) : path,
					  config_error_line(&cfg), config_error_text(&cfg)));
		config_destroy(&cfg);
		return -EINVAL;
	}
	conf_defaults(&c);
	c.path = xstrdup(path);
	config_setting_t *root = config_root_setting(&cfg);
	check_keys(&x, root, "", top_keys);

	char *db = get_string(&x, root, "database", "database", false);
	if (db) {
		free(c.database);
		c.database = db;
	}
	config_setting_t *tu = config_setting_get_member(root, "track_unknown");
	if (tu && config_setting_type(tu) != CONFIG_TYPE_BOOL)
		err(&x, tu, "track_unknown", "expected true or false");
	else if (tu)
		c.track_unknown = config_setting_get_bool(tu);
	get_int(&x, root, "command_timeout", "command_timeout", 1, 3600, &c.command_timeout);
	c.actions_key_file = get_string(&x, root, "actions_key_file", "actions_key_file", false);
	c.report_dir = get_string(&x, root, "report_dir", "report_dir", false);
	c.report_url = get_string(&x, root, "report_url", "report_url", false);
	get_int(&x, root, "report_months", "report_months", 2, 120, &c.report_months);
	if (c.report_url && (strncmp(c.report_url, "https://", 8) != 0 &&
			     strncmp(c.report_url, "http://", 7) != 0))
		err(&x, config_setting_get_member(root, "report_url"), "report_url",
		    "expected an http:// or https:// URL, not \"%s\"", c.report_url);
	else if (c.report_url && strpbrk(c.report_url, " \t\r\n\"<>"))
		err(&x, config_setting_get_member(root, "report_url"), "report_url",
		    "a URL has no spaces, quotes or angle brackets");
	config_setting_t *gr = config_setting_get_member(root, "database_group_read");
	if (gr && config_setting_type(gr) != CONFIG_TYPE_BOOL)
		err(&x, gr, "database_group_read", "expected true or false");
	else if (gr)
		c.database_group_read = config_setting_get_bool(gr);
	c.roster_file = get_string(&x, root, "roster_file", "roster_file", false);
	get_strings(&x, root, "ignore", "ignore", false, &c.ignore);

	parse_list(&x, root, "accounts", one_account, (void **)&c.accounts, &c.n_accounts,
		   sizeof(*c.accounts));
	parse_list(&x, root, "clients", one_client, (void **)&c.clients, &c.n_clients,
		   sizeof(*c.clients));
	parse_list(&x, root, "departments", one_department, (void **)&c.departments,
		   &c.n_departments, sizeof(*c.departments));

	static const struct { const char *key; size_t off; const struct knob *k; size_t n; } blocks[] = {
		{"scoring", offsetof(struct conf, scoring), scoring_knobs, ARRAY_SIZE(scoring_knobs)},
		{"nudges", offsetof(struct conf, nudges), nudge_knobs, ARRAY_SIZE(nudge_knobs)},
	};
	for (size_t i = 0; i < ARRAY_SIZE(blocks); i++) {
		config_setting_t *g = config_setting_get_member(root, blocks[i].key);
		if (!g)
			continue;
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			err(&x, g, blocks[i].key, "expected a group { ... }");
			continue;
		}
		check_keys(&x, g, blocks[i].key, conf_keys(blocks[i].key));
		get_knobs(&x, g, blocks[i].key, (char *)&c + blocks[i].off, blocks[i].k,
			  blocks[i].n);
		if (strcmp(blocks[i].key, "nudges") == 0) {
			char *dt = get_string(&x, g, "digest_time", "nudges", false);
			if (dt) {
				free(c.nudges.digest_time);
				c.nudges.digest_time = dt;
			}
			struct conf_nudges *n = &c.nudges;
			n->timezone = get_string(&x, g, "timezone", "nudges", false);
			n->smtp_url = get_string(&x, g, "smtp_url", "nudges", false);
			n->smtp_from = get_string(&x, g, "smtp_from", "nudges", false);
			n->smtp_user = get_string(&x, g, "smtp_user", "nudges", false);
			n->smtp_auth = get_string(&x, g, "smtp_auth", "nudges", false);
			n->smtp_password_file = get_string(&x, g, "smtp_password_file", "nudges", false);
			n->smtp_password_command = get_string(&x, g, "smtp_password_command", "nudges",
							      false);
			n->smtp_oauth2_token_command = get_string(&x, g, "smtp_oauth2_token_command",
								  "nudges", false);
			n->smtp_ca_file = get_string(&x, g, "smtp_ca_file", "nudges", false);
			n->webhook_url = get_string(&x, g, "webhook_url", "nudges", false);
			n->webhook_ca_file = get_string(&x, g, "webhook_ca_file", "nudges", false);
			n->team_digest_to = get_string(&x, g, "team_digest_to", "nudges", false);
			char *td = n->team_digest_to ? addr_normalize(n->team_digest_to) : NULL;
			if (n->team_digest_to && (!td || strpbrk(n->team_digest_to, "\r\n")))
				err(&x, config_setting_get_member(g, "team_digest_to"), "nudges",
				    "team_digest_to: \"%s\" is not an e-mail address",
				    n->team_digest_to);
			free(td);
			check_delivery(&x, g, n);
		}
	}
	check_cross(&x, &c, root);
	config_destroy(&cfg);
	/* the config's clients name accounts parsed above */
	for (size_t i = 0; i < c.n_clients; i++) {
		struct conf_client *cl = &c.clients[i];
		struct strlist named = cl->liaisons;
		cl->liaisons = (struct strlist){0};
		for (size_t j = 0; j < named.n; j++)
			roster_client_liaisons(&c, cl, named.v[j], cl->origin, warnings);
		sl_free(&named);
	}

	if (c.roster_file && errors->n == before) {
		char *rp = relative_to(path, c.roster_file);
		roster_load(&c, rp, errors, warnings);
		free(rp);
	}
	if (errors->n > before) {
		conf_free(&c);
		return -EINVAL;
	}
	*ret = c;
	return 0;
}

const struct conf_account *conf_account_find(const struct conf *c, const char *name)
{
	for (size_t i = 0; i < c->n_accounts; i++)
		if (c->accounts[i].name && strcmp(c->accounts[i].name, name) == 0)
			return &c->accounts[i];
	return NULL;
}

void conf_free(struct conf *c)
{
	free(c->path);
	free(c->database);
	free(c->roster_file);
	free(c->actions_key_file);
	free(c->report_dir);
	free(c->report_url);
	sl_free(&c->ignore);
	for (size_t i = 0; i < c->n_accounts; i++) {
		struct conf_account *a = &c->accounts[i];
		free(a->name);
		free(a->liaison);
		sl_free(&a->identity);
		free(a->host);
		free(a->user);
		free(a->password_file);
		free(a->password_command);
		free(a->oauth2_token_command);
		free(a->ca_file);
		free(a->sent_folder);
		sl_free(&a->folders);
		free(a->digest_to);
		free(a->actions_address);
	}
	free(c->accounts);
	for (size_t i = 0; i < c->n_clients; i++) {
		free(c->clients[i].name);
		sl_free(&c->clients[i].addresses);
		sl_free(&c->clients[i].liaisons);
		free(c->clients[i].department);
		free(c->clients[i].origin);
	}
	free(c->clients);
	for (size_t i = 0; i < c->n_departments; i++) {
		free(c->departments[i].name);
		sl_free(&c->departments[i].domains);
	}
	free(c->departments);
	struct conf_nudges *n = &c->nudges;
	char *strs[] = {n->digest_time, n->timezone, n->smtp_url, n->smtp_from, n->smtp_user,
			n->smtp_auth, n->smtp_password_file, n->smtp_password_command,
			n->smtp_oauth2_token_command, n->smtp_ca_file, n->webhook_url,
			n->webhook_ca_file, n->team_digest_to};
	for (size_t i = 0; i < ARRAY_SIZE(strs); i++)
		free(strs[i]);
	*c = (struct conf){0};
}
