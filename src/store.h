/* store: the SQLite database. All SQL of rapport lives here, as prepared
 * statements with bound parameters. WAL mode; the schema is versioned by
 * PRAGMA user_version and migrated forward on open. */
#ifndef RAPPORT_STORE_H
#define RAPPORT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "msg.h"
#include "score.h"

#define STORE_SCHEMA_VERSION 7

struct store;

/* STORE_RW_GROUP: read-write, and what it creates the group may read. */
enum store_mode { STORE_RW, STORE_RO, STORE_RW_GROUP };

/* Opens (RW: creating, with its directory, if needed) the database at path.
 * A new database file is 0600 and a new directory 0700 (0640 and 0750 with
 * STORE_RW_GROUP); an existing file or directory keeps its mode; an existing
 * directory that is world-writable without the sticky bit is refused, and
 * so (read-write only) is an existing database, -wal or -shm file that is
 * a symbolic link, not a regular file, another user's, or open to others
 * (-EPERM, with how to fix it). Read-only, a database that does not exist
 * is -ENOENT, with how it comes to be.
 * Returns 0, or a negative errno with a malloc'd explanation in
 * *ret_error (caller frees). */
int store_open(const char *path, enum store_mode mode, struct store **ret,
	       char **ret_error);
/* NULL-safe. */
void store_close(struct store *st);

/* What store_open (read-write) and store_lock would refuse, checked
 * without creating or changing anything: the state directory (exists and
 * writable, or creatable; not world-writable) and the database, -wal, -shm
 * and lock files (trusted as store_open trusts them; with any_owner,
 * whoever owns them). 0, or a negative
 * errno with the reason in *ret_error (caller frees). For
 * rapportd --check-config. */
int store_check(const char *path, bool any_owner, char **ret_error);

/* Takes the lock that lets only one rapportd run per database: an
 * exclusive flock on path + ".lock" (created 0600, 0640 with group; the
 * same trust checks as the database), with this process's PID in it, held
 * until *ret_fd is closed or the process ends. -EBUSY when another
 * process holds it (the message names its PID), another negative errno
 * otherwise; *ret_error explains (caller frees). */
int store_lock(const char *path, bool group, int *ret_fd, char **ret_error);
/* The last SQLite error text of st; after an I/O error also the file that
 * cannot be written and why (owned by st, valid until the next call). */
const char *store_errmsg(struct store *st);

/* Transactions: a batch of messages and the sync state covering it commit
 * together. begin is BEGIN IMMEDIATE. 0 or -EIO. */
int store_begin(struct store *st);
/* Around a transaction that rewrites many pages (a full score pass): a
 * page cache that holds them (64 MB, filled only as far as the pages
 * written and read need), then back to SQLite's default. */
void store_bulk_write(struct store *st, bool on);
int store_commit(struct store *st);
void store_rollback(struct store *st);

/* Batches of mail grouped STORE_GROUP to a transaction: a commit writes
 * every page it changed to the WAL, and new Message-IDs change pages all
 * over their index (a first sync of 100,000 messages wrote 596 MB
 * committing each batch of 500, 391 MB committing four at a time).
 * store_group_begin opens a transaction unless one is open (0 or -EIO);
 * store_group_end counts a stored batch and commits at STORE_GROUP;
 * store_group_commit commits what is open. Both return 1 when they
 * committed, 0 when nothing was committed, -EIO when the commit failed
 * (then rolled back). store_rollback drops the group too. */
#define STORE_GROUP 4
int store_group_begin(struct store *st);
int store_group_end(struct store *st);
int store_group_commit(struct store *st);

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

/* Replaces the roster (clients from the configuration and roster file),
 * the department domain rules and the accounts' identity addresses with
 * those of c. Clients found in mail (track_unknown) are kept. 0 or -EIO. */
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

/* ---- reading for the model ---------------------------------------------- */

/* The account's id, or -ENOENT. */
int store_account_id(struct store *st, const char *name, int64_t *ret_id);
typedef void (*store_account_fn)(void *ud, int64_t id, const char *name);
int store_each_account(struct store *st, store_account_fn fn, void *ud);

struct store_msg_row {
	int64_t id;
	const char *message_id;
	int64_t date;
	const char *kind, *direction, *from, *subject, *subject_norm, *in_reply_to,
		*bounce_orig_id;
	bool bounce_per_recipient;
};
/* Each message of the account dated at or before as_of, by date then id.
 * A negative return of fn stops and is returned. 0 or -EIO. */
typedef int (*store_msg_fn)(void *ud, const struct store_msg_row *r);
int store_each_message(struct store *st, int64_t account, int64_t as_of, store_msg_fn fn,
		       void *ud);

enum store_detail { DETAIL_RECIPIENTS, DETAIL_REFS, DETAIL_BOUNCE_FAILED, DETAIL_LISTS };
/* The details of every message of the account (a caller that loaded only
 * some skips the others), by message id, in one pass: asked for DETAIL_LISTS, each
 * message's References ids (d DETAIL_REFS, in order, field "") and then
 * its recipients (DETAIL_RECIPIENTS, field "to", "cc", "bcc",
 * "reply-to"); asked for DETAIL_BOUNCE_FAILED, each failed bounce
 * recipient (field ""). -EINVAL for another d. */
typedef int (*store_detail_fn)(void *ud, enum store_detail d, int64_t message,
			       const char *field, const char *value);
int store_each_detail(struct store *st, enum store_detail d, int64_t account,
		      store_detail_fn fn, void *ud);

/* Each client address: roster clients first, then correspondents found in
 * mail (source "mail"). liaisons: the accounts a roster client names,
 * ';'-separated, or NULL (every account). */
typedef int (*store_client_fn)(void *ud, int64_t id, const char *name, const char *department,
			       const char *source, const char *addr, const char *liaisons);
int store_each_client_address(struct store *st, store_client_fn fn, void *ud);
typedef int (*store_domain_fn)(void *ud, const char *domain, const char *department);
int store_each_department_domain(struct store *st, store_domain_fn fn, void *ud);

/* Appends the account's identity addresses (as last synced) to *ret. */
int store_identity(struct store *st, int64_t account, struct strlist *ret);

/* Creates (or finds) the correspondent client named after addr, with the
 * address. 0 or -EIO. */
int store_mail_client(struct store *st, const char *addr, const char *department,
		      int64_t *ret_id);

/* Writes the score of (account, client), with the client's name,
 * department and first address as the model resolved them (kept in the
 * row so that listing needs no join). 0 or -EIO. */
int store_score_put(struct store *st, int64_t account, int64_t client, const char *name,
		    const char *department, const char *address, int64_t as_of, int64_t computed_at,
		    const struct score *s);

/* The highest row id of account's messages (0 for none): a mark to
 * recompute only the clients of messages stored after it. 0 or -EIO. */
int store_max_message_id(struct store *st, const char *account, int64_t *ret);

/* When the account's oldest score row was computed (0: none). 0 or -EIO. */
int store_scores_oldest(struct store *st, const char *account, int64_t *ret);

/* Deletes the account's score rows of clients not among clients[0..n)
 * (those a full recompute no longer has: ignored, merged, another
 * liaison's). 0 or -EIO. */
int store_scores_keep(struct store *st, int64_t account, const int64_t *clients, size_t n);

struct store_score_row {
	const char *account, *client, *department, *address;
	int64_t account_id, as_of, computed_at;
	struct score s;
};
typedef int (*store_score_fn)(void *ud, const struct store_score_row *r);
/* Every stored score, in no particular order; weak_only: the `rapport
 * weak` selection (not dormant, and weak or one-sided), weakest first: by
 * tie strength, then O descending, then client name, then account id; with
 * limit > 0 only the limit first of them. brief reads only what the tables and aggregates show
 * (O, R, P, a, n, V, tie strength, class, one-sided, phase, trend, pending,
 * undelivered, initiations, streak, trend counts, last dates); the other
 * fields are 0 (latencies -1), address NULL and computed_at 0. */
int store_each_score(struct store *st, bool weak_only, size_t limit, bool brief,
		     store_score_fn fn, void *ud);

/* ---- nudges --------------------------------------------------------------- */

/* Opens the nudge (account, kind, client, key) or updates it: a resolved
 * one opens again, a dismissed or snoozed one keeps its state; one that
 * is stored as it is is not written. 0 or -EIO. */
int store_nudge_put(struct store *st, int64_t account, int64_t client, const char *kind,
		    const char *key, int64_t message, int64_t due, const char *reason, int64_t now);
/* Resolves the account's open or snoozed nudges for which seen() says
 * false (the derivation pass did not name them). 0 or -EIO. */
typedef bool (*store_nudge_seen_fn)(void *ud, int64_t client, const char *kind, const char *key);
int store_nudges_resolve_unseen(struct store *st, int64_t account, store_nudge_seen_fn seen,
				void *ud, int64_t now);

struct store_nudge_filter {
	bool all;                   /* every state; else open ones (and snoozes run out) */
	int64_t now;
	const char *kind;           /* or NULL */
	const char *account;        /* or NULL */
	const char *undelivered_on; /* a channel: only nudges not yet delivered there; or NULL */
};
struct store_nudge_row {
	int64_t id;
	const char *account, *client, *kind, *state, *reason, *subject, *address, *delivered;
	int64_t due, snooze_until, about, resolved_at, created_at;
};
typedef int (*store_nudge_fn)(void *ud, const struct store_nudge_row *r);
/* Nudges matching f, most urgent (earliest due) first. 0 or -EIO. */
int store_each_nudge(struct store *st, const struct store_nudge_filter *f, store_nudge_fn fn,
		     void *ud);
/* Sets a nudge's state ("open", "snoozed" with until, "dismissed"); the
 * previous state in *ret_old (may be NULL; caller frees). 0, -ENOENT, -EIO. */
int store_nudge_state(struct store *st, int64_t id, const char *state, int64_t until,
		      int64_t now, char **ret_old);
/* Overrides (DOMAIN.md §1): "ignore" (subject: an address or a client
 * name, not a client), "merge" (subject joins target: one person) and
 * "cadence" (subject: a client; days: the contact interval wanted).
 * account "" is every account. */
struct store_override {
	int64_t id;
	const char *kind, *account, *subject, *target;
	int days;
	const char *reason, *set_by;
	int64_t set_at;
};
typedef int (*store_override_fn)(void *ud, const struct store_override *o);
/* Those for account (and for every account), or all of them (NULL), in
 * the order they were set. 0 or -EIO. */
int store_each_override(struct store *st, const char *account, store_override_fn fn, void *ud);
/* Sets one (replacing the one of the same kind, account and subject) and
 * moves the "overrides" mark, so that every account is rescored in full. */
int store_override_put(struct store *st, const struct store_override *o);
/* Removes the override of kind for subject (for "merge", every merge that
 * names subject on either side); *ret_n how many. 0 or -EIO. */
int store_override_del(struct store *st, const char *kind, const char *account,
		       const char *subject, int *ret_n);
/* The stored client of an address (by_addr) or with a name: its name and
 * whether it is on the roster. 0, -ENOENT, -EIO. */
int store_client_find(struct store *st, const char *name_or_addr, bool by_addr,
		      char **ret_name, bool *ret_roster);
/* The client a nudge is about: name, roster or not, and its address. */
int store_nudge_client(struct store *st, int64_t id, char **ret_name, bool *ret_roster,
		       char **ret_addr);

/* The account and state of nudge id. 0, -ENOENT, -EIO. */
int store_nudge_owner(struct store *st, int64_t id, int64_t *ret_account, char ret_state[16]);

/* Mail actions (commands a liaison mailed, applied once per Message-ID):
 * whether one was handled already; and the record that it was, with
 * what came of it ("snoozed until ...", "refused: ..."). 0 or -EIO. */
int store_mail_action_seen(struct store *st, int64_t account, const char *message_id,
			   bool *ret);
int store_mail_action_put(struct store *st, int64_t account, const char *message_id,
			  int64_t nudge, const char *action, const char *result, int64_t now);

/* The stored nudge of account with kind, for the client of address addr,
 * about the thread keyed key: its id, state, snooze end, last change and
 * the channels it reached (malloc'd or NULL; caller frees). 0, -ENOENT,
 * -EIO. */
struct store_nudge_state {
	int64_t id;
	char state[16];
	int64_t snooze_until, updated_at;
	char *delivered;
};
int store_nudge_find(struct store *st, const char *account, const char *kind, const char *addr,
		     const char *key, struct store_nudge_state *ret);

/* Records that the nudge reached channel. 0 or -EIO. */
int store_nudge_delivered(struct store *st, int64_t id, const char *channel, int64_t now);

/* Small named values (digest days and the like). -ENOENT when unset. */
int store_setting(struct store *st, const char *key, char **ret);
int store_setting_put(struct store *st, const char *key, const char *value);

#endif
