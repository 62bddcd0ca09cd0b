/* store: the SQLite database. All SQL of rapport lives here, as prepared
 * statements with bound parameters. WAL mode; the schema is versioned by
 * PRAGMA user_version and migrated forward on open. */
#ifndef RAPPORT_STORE_H
#define RAPPORT_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "msg.h"

#define STORE_SCHEMA_VERSION 1

struct store;

enum store_mode { STORE_RW, STORE_RO };

/* Opens (RW: creating, with its directory, if needed) the database at path.
 * A new database file is 0640 and a new directory 0750; an existing
 * directory that is world-writable without the sticky bit is refused.
 * Returns 0, or a negative errno with a malloc'd explanation in
 * *ret_error (caller frees). */
int store_open(const char *path, enum store_mode mode, struct store **ret,
	       char **ret_error);
/* NULL-safe. */
void store_close(struct store *st);
/* The last SQLite error text of st (owned by st). */
const char *store_errmsg(struct store *st);

/* Transactions: a batch of messages and the sync state covering it commit
 * together. begin is BEGIN IMMEDIATE. 0 or -EIO. */
int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);

/* The id of the account / folder of that name, created if new. role is
 * "inbox", "sent" or "" and is updated when given non-empty. 0 or -EIO. */
int store_account(struct store *st, const char *name, int64_t *ret_id);
int store_folder(struct store *st, int64_t account, const char *name, const char *role,
		 int64_t *ret_id);

/* Stores message m of the account, seen in folder (uid may be 0 when the
 * source has none). A message already stored for the account (same
 * Message-ID) only gains the folder as another location and, if this copy
 * is in INBOX, the in-INBOX mark (an unrelated message becomes inbound).
 * *ret_new (may be NULL) is true when the message was new. 0 or -EIO. */
int store_message_add(struct store *st, int64_t account, int64_t folder, uint32_t uid,
		      const struct msg *m, enum msg_kind kind, enum msg_direction dir,
		      bool in_inbox, bool *ret_new);

/* Records a message that could not be parsed: its source (file or
 * account/folder), its position there (byte offset, file name or UID)
 * and why. Recording the same source and position again changes nothing.
 * 0 or -EIO. */
int store_quarantine(struct store *st, int64_t account, const char *source,
		     const char *position, const char *reason);

/* Replaces the roster (clients from the configuration and roster file)
 * and the department domain rules with those of c. Clients found in mail
 * (track_unknown) are kept. 0 or -EIO. */
int store_sync_roster(struct store *st, const struct conf *c);

/* IMAP sync state of a folder. uidvalidity 0 = never synced. 0 or -EIO. */
int store_folder_state(struct store *st, int64_t folder, uint32_t *ret_uidvalidity,
		       uint32_t *ret_last_uid);
int store_folder_set_state(struct store *st, int64_t folder, uint32_t uidvalidity,
			   uint32_t last_uid, int64_t now);

/* For `rapport status`: calls fn once per folder (account name, folder
 * name, role, messages located there, last sync time or 0). 0 or -EIO. */
typedef void (*store_folder_fn)(void *ud, const char *account, const char *folder,
				const char *role, int64_t messages, int64_t last_sync);
int store_each_folder(struct store *st, store_folder_fn fn, void *ud);

/* Message counts of an account (NULL: all) by kind, indexed by enum
 * msg_kind, plus quarantined messages. 0 or -EIO. */
int store_count(struct store *st, const char *account, int64_t ret_kinds[5],
		int64_t *ret_quarantined);

#endif
