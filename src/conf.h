/* conf: rapport.conf (libconfig) and the roster CSV, parsed and then
 * validated in a separate pass. Every number of DOMAIN.md is a key here
 * with DOMAIN.md's default. */
#ifndef RAPPORT_CONF_H
#define RAPPORT_CONF_H

#include <stdbool.h>

#include "net.h"
#include "util.h"

#define CONF_DEFAULT_PATH SYSCONFDIR "/rapport/rapport.conf"
#define CONF_DEFAULT_DATABASE LOCALSTATEDIR "/lib/rapport/rapport.db"
/* The largest configuration or roster file read: libconfig's parser
 * takes time quadratic in a string's length, so a bigger file is refused
 * before parsing. */
#define CONF_MAX_BYTES (1024 * 1024)

enum conf_tls { CONF_TLS_IMPLICIT, CONF_TLS_STARTTLS, CONF_TLS_NONE };
enum conf_auth { CONF_AUTH_LOGIN, CONF_AUTH_XOAUTH2, CONF_AUTH_OAUTHBEARER };

struct conf_account {
	char *name;
	char *liaison;          /* display name of the owner; defaults to name */
	struct strlist identity; /* normalised addresses */
	/* IMAP (optional: an account without host is import-only) */
	char *host;
	int port;
	enum conf_tls tls;
	enum conf_auth auth;
	char *user;
	char *password_file;
	char *password_command;
	char *oauth2_token_command;
	char *ca_file;
	char *sent_folder;
	struct strlist folders;  /* glob patterns */
	int since_days;
	int poll_interval;
	char *digest_to;         /* where the digest goes; default the first identity */
	char *actions_address;   /* where the digest's action links mail to; default digest_to */
};

struct conf_client {
	char *name;
	struct strlist addresses; /* normalised */
	char *department;         /* or NULL */
	struct strlist liaisons;  /* the accounts it is a client of; empty: every one */
	char *origin;             /* "file:line" where it was first defined */
};

struct conf_department {
	char *name;
	struct strlist domains;   /* lower case */
};

struct conf_scoring {
	int window_days;
	double half_life_days;
	int reply_window_days;
	int personal_max_recipients;
	int dormant_days;
	int commitment_days;
	int commitment_min_threads;
	double commitment_min_reciprocity;
	int trend_recent_days;
	double trend_up;
	double trend_down;
	int subject_thread_days;
	int class_strong;
	int class_moderate;
	double volume_scale;
	double weight_reciprocity;
	double weight_response;
	double weight_initiation;
	int one_sided_min_decided;
	double one_sided_max_rate;
	int one_sided_streak;
};

struct conf_nudges {
	int followup_days;
	int give_up_days;
	int owed_days;
	int owed_give_up_days;
	int reconnect_days;
	double reconnect_gap_factor;
	char *digest_time;  /* "HH:MM" */
	char *timezone;     /* IANA name, or NULL for the system's */
	/* delivery: each channel is optional */
	char *smtp_url;     /* smtps://host[:465] or smtp://host[:587] (STARTTLS) */
	char *smtp_from;
	char *smtp_user;
	char *smtp_auth;    /* "login" (default) or "xoauth2" */
	char *smtp_password_file;
	char *smtp_password_command;
	char *smtp_oauth2_token_command;
	char *smtp_ca_file;
	char *webhook_url;  /* https://..., or http:// to loopback */
	char *webhook_ca_file;
	char *team_digest_to; /* a coordinator: every account's new nudges in one digest */
};

struct conf {
	char *path;
	char *database;
	bool track_unknown;
	bool database_group_read; /* the database is created readable by the group */
	int command_timeout;      /* seconds a password or token command may run */
	char *actions_key_file;   /* the key signing mail actions; default next to the database */
	char *report_dir;         /* where rapportd writes the HTML report daily, or NULL */
	char *report_url;         /* where the web server shows it, for the digest, or NULL */
	int report_months;        /* points of each relationship's history (24) */
	char *roster_file;
	struct strlist ignore;  /* lower-case glob patterns */
	struct conf_account *accounts;
	size_t n_accounts;
	struct conf_client *clients;
	size_t n_clients;
	struct conf_department *departments;
	size_t n_departments;
	struct conf_scoring scoring;
	struct conf_nudges nudges;
};

/* How conf_load checks the delivery URLs (smtp_url, webhook_url):
 * net_url_check, in rapportd, which delivers. The CLI never delivers and
 * passes NULL: it then neither checks them nor links libcurl, whose
 * loading is a third of the CLI's start-up. notify checks each URL again
 * before it uses it, whatever was passed here. */
typedef int (*conf_url_check_fn)(const char *url, enum net_url_kind kind, bool *ret_loopback,
				 char **ret_error);

/* Reads and validates path, the delivery URLs with check_url (NULL: not
 * them). Returns 0 and fills *ret, or -EINVAL with
 * every problem found appended to *errors as "file:line: key: message"
 * (or a negative errno when the file cannot be read, with a message too).
 * Non-fatal findings (a roster row that is not one address) are appended
 * to *warnings. conf_free() releases *ret. */
int conf_load(const char *path, conf_url_check_fn check_url, struct conf *ret,
	      struct strlist *errors, struct strlist *warnings);
void conf_free(struct conf *c);

/* The defaults of DOMAIN.md, for code (and tests) that run without a file. */
void conf_defaults(struct conf *c);

/* The account called name, or NULL. */
const struct conf_account *conf_account_find(const struct conf *c, const char *name);

/* The key names every group accepts, NULL-terminated, for the
 * documentation check: "", "accounts", "clients", "departments",
 * "scoring" or "nudges". */
const char *const *conf_keys(const char *group);

#endif
