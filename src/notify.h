/* notify: delivers nudges to the liaison: a daily digest by e-mail (SMTP
 * submission through libcurl, TLS verified; STARTTLS required on smtp://
 * unless the server is on loopback) and a JSON webhook (HTTPS POST, with a
 * Slack/Mattermost-compatible "text" field; docs/webhook.md). A nudge is
 * delivered at most once per channel: it is marked delivered only after
 * the server accepted it, in the same transaction as the day's mark. */
#ifndef RAPPORT_NOTIFY_H
#define RAPPORT_NOTIFY_H

#include <stdint.h>

#include "conf.h"
#include "store.h"

/* NOTIFY_TEAM: one e-mail digest of every account's new nudges, grouped
 * by liaison, to nudges.team_digest_to (a coordinator); no action links
 * (a command acts only from the liaison's own sent folder). */
enum notify_channel { NOTIFY_EMAIL, NOTIFY_WEBHOOK, NOTIFY_TEAM, NOTIFY_N };

const char *notify_channel_name(enum notify_channel ch);

/* Whether the configuration sets up channel ch. */
bool notify_enabled(const struct conf *c, enum notify_channel ch);

/* Sends account's digest on channel ch (NOTIFY_TEAM: a is NULL, every
 * account): every open nudge not yet delivered there, grouped by kind,
 * each with its mail action links (action.h: snooze 7 days, snooze 30
 * days, dismiss, not a client, as mailto: links to the account's
 * actions_address, else digest_to, else its first identity, signed with
 * key (action.h); none when key is NULL),
 * and, for a follow-up or one-sided nudge, who in the team could
 * introduce. Nothing to say sends nothing.
 * Returns 0 (with *ret_sent the number of nudges delivered), -EINVAL for
 * a value that would inject a header line (refused before libcurl sees
 * it), -EIO for a database error, or -ECOMM when the server refused or
 * could not be reached; *ret_error explains (never a secret). stop (may
 * be NULL) cuts a running SMTP secret helper short when it turns
 * non-zero. The URLs are checked again with net_url_check(), the test
 * --check-config applies, before anything is sent. */
int notify_digest(struct store *st, const struct conf *c, const struct conf_account *a,
		  enum notify_channel ch, int64_t now, const unsigned char *key,
		  volatile int *stop, size_t *ret_sent, char **ret_error);

/* The settings key remembering the last local day the digest of account
 * (NULL for the team digest) on ch was handled ("digest:ACCOUNT:CHANNEL").
 * Caller frees. */
char *notify_day_key(const char *account, enum notify_channel ch);

/* Today's local date ("YYYY-MM-DD") and whether digest_time has passed,
 * in the configured time zone (TZ as set at start). */
void notify_today(const struct conf *c, int64_t now, char day[16], bool *ret_due);

#endif
