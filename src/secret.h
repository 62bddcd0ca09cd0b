/* secret: the password or OAuth2 token of an account, from the source its
 * configuration names: password_file (refused unless owned by the user
 * rapportd runs as and unreadable by group and others), password_command
 * or oauth2_token_command (run through /bin/sh at every login, like
 * msmtp's passwordeval; the first line of its output), or a systemd
 * credential ($CREDENTIALS_DIRECTORY/ACCOUNT, for LoadCredential=).
 * A secret is never put in argv, in a child's environment, in a log line
 * or in the database; callers wipe it with secret_free(). */
#ifndef RAPPORT_SECRET_H
#define RAPPORT_SECRET_H

#include <stdbool.h>

#include "conf.h"

#define SECRET_MAX 16384
#define SECRET_COMMAND_TIMEOUT 60 /* seconds, unless command_timeout says otherwise */

/* Where a secret comes from; fields may be NULL. credential names the
 * systemd credential tried when nothing else is set. */
struct secret_source {
	const char *what;               /* for messages: "account chem", "SMTP" */
	const char *password_file;
	const char *password_command;
	const char *oauth2_token_command;
	const char *credential;
	int timeout_s;                  /* longest a command may run; 0: the default */
};
/* Gets the secret src names. A command runs in its own process group
 * under a deadline that covers its whole run; when it passes, or when
 * *stop (may be NULL) turns non-zero, the whole group is killed. Returns
 * as secret_get, and -EINTR when stopped. */
int secret_lookup(const struct secret_source *src, volatile int *stop, char **ret,
		  char **ret_error);

/* Gets the account's secret (c gives the command deadline). Returns 0
 * and a malloc'd string; -ENOENT when the account names no source and no
 * systemd credential exists; -EPERM for a password file others may read;
 * -EIO when a command failed or overran; -EINTR when *stop turned
 * non-zero; another negative errno on failure. In every failure
 * *ret_error explains (no secret in it). */
int secret_get(const struct conf *c, const struct conf_account *a, volatile int *stop,
	       char **ret, char **ret_error);

/* What --check-config can say of src without logging in: a password file
 * is read and checked as at login (then wiped; with any_owner, whoever
 * owns it, for root checking on the service user's behalf); a command is
 * not run.
 * Returns 0; 1 when src names no source and no systemd credential is
 * visible (it may still come from LoadCredential= in the unit: no message
 * then); a negative errno with *ret_error. */
int secret_check(const struct secret_source *src, bool any_owner, char **ret_error);

/* Reads the first line of a secret file (the action key): refused unless
 * a regular file, not a link, unreadable by group and others and (unless
 * any_owner) owned by the user running. As secret_get. */
int secret_file(const char *path, bool any_owner, char **ret, char **ret_error);

/* Overwrites and frees. NULL-safe. */
void secret_free(char *s);

#endif
