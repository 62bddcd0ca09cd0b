/* action: acting on a nudge by mail. Each nudge in the digest carries
 * links (snooze 7 days, snooze 30 days, dismiss, not a client): mailto: links to the
 * liaison's own address whose subject is a command such as
 *   rapport: snooze 18 7d k=TOKEN
 * where TOKEN is HMAC-SHA256 (truncated to ACTION_TOKEN_HEX hex digits)
 * over the account, the nudge id and the action, keyed by a random key
 * in a file only the service user reads (never in the database, which
 * the service's group may read). rapportd applies a command it finds in
 * the account's sent folder, sent from one of its identity addresses,
 * once per Message-ID (see sync.c). */
#ifndef RAPPORT_ACTION_H
#define RAPPORT_ACTION_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"

#define ACTION_KEY_BYTES 32
#define ACTION_TOKEN_HEX 20 /* 80 bits */

/* ACTION_IGNORE: "not a client" (an override of DOMAIN.md §1 for the
 * nudge's client and account). */
enum action_kind { ACTION_SNOOZE_7, ACTION_SNOOZE_30, ACTION_DISMISS, ACTION_IGNORE, ACTION_N };

struct action_cmd {
	enum action_kind kind;
	int64_t nudge;
	char token[ACTION_TOKEN_HEX + 1];
};

/* The key file: actions_key_file, else "actions.key" in the database's
 * directory. Caller frees. */
char *action_key_path(const struct conf *c);

/* Reads the key (refusing a file group or others may read, or another
 * user owns: secret_file()); with create, a missing file is made first
 * (0600, ACTION_KEY_BYTES random bytes as hex). 0 or a negative errno
 * with *ret_error. */
int action_key_load(const struct conf *c, bool create, unsigned char key[ACTION_KEY_BYTES],
		    char **ret_error);

/* "snooze 7d", "snooze 30d", "dismiss", "ignore"; the words a link's
 * label uses. */
const char *action_name(enum action_kind k);
const char *action_label(enum action_kind k);
/* Days a snooze lasts (0 for the others). */
int action_days(enum action_kind k);

/* The subject of the command "rapport: snooze 18 7d k=TOKEN". Caller frees. */
char *action_subject(const unsigned char key[ACTION_KEY_BYTES], const char *account,
		     int64_t nudge, enum action_kind k);

/* The mailto: URI that sends that subject to address (percent-encoded,
 * RFC 6068). Caller frees. */
char *action_mailto(const char *address, const char *subject);

/* Whether subject is a command (however its token turns out): 1 and *ret
 * filled, else 0. Leading white space and the case of the words do not
 * matter; nothing but white space may follow the token. */
int action_parse(const char *subject, struct action_cmd *ret);

/* Whether cmd's token is the one key gives for account (constant time). */
bool action_verify(const unsigned char key[ACTION_KEY_BYTES], const char *account,
		   const struct action_cmd *cmd);

#endif
