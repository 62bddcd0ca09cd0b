/* sync: brings one account's folders into the store over an open IMAP
 * connection. Per folder the state is UIDVALIDITY and the highest UID
 * stored; a sync fetches only UIDs above it (the first one goes back
 * since_days with UID SEARCH SINCE), in batches stored together with
 * the UID checkpoint and committed STORE_GROUP at a time, so a crash or
 * a lost connection never skips nor duplicates a message. The server is untrusted: the checkpoint covers
 * only UIDs that SEARCH listed and that were delivered, are gone (a
 * SEARCH of the missing ones says so), or are quarantined because the
 * server listed them but would not deliver them twice over; UIDNEXT only
 * ever saves a SEARCH, and an implausible one is reported and ignored. A changed UIDVALIDITY rescans the folder (messages
 * are unique per account by Message-ID, so nothing is duplicated, and
 * messages gone from the server stay in the history). */
#ifndef RAPPORT_SYNC_H
#define RAPPORT_SYNC_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "imap.h"
#include "parsew.h"
#include "store.h"

#define SYNC_BATCH 500

/* Progress and findings, reported to the caller, which logs them. */
struct sync_report {
	void (*progress)(void *ud, const char *folder, size_t done, size_t total);
	void (*notice)(void *ud, const char *folder, const char *text); /* e.g. UIDVALIDITY changed */
	void (*quarantined)(void *ud, const char *folder, uint32_t uid, const char *reason);
	/* a mailed command, applied or refused (warning) */
	void (*action)(void *ud, const char *folder, bool warning, const char *text);
	void *ud;
};

struct sync {
	const struct conf *conf;
	const struct conf_account *a;
	struct store *st;
	struct parsew *w;
	struct imap *im;
	volatile int *stop;        /* non-zero: commit what is fetched and return -EINTR */
	struct sync_report rep;
	int64_t account;           /* filled by sync_folder */
	char *sent;                /* the folder LIST flagged \Sent (sync_folders; owned) */
	uint64_t stored;           /* new messages stored by this struct so far */
	const unsigned char *action_key; /* signs the digest's links; NULL: none loaded */
	struct strlist elsewhere;  /* commands seen outside the sent folder: "folder\tMessage-ID" */
};

/* The folders to read: INBOX (always the first), the sent folder
 * (sent_folder, else the one LIST flags \Sent), and those matching the
 * account's folders patterns. Caller frees with sl_free. IMAP failures as
 * imap_list. */
enum imap_fail sync_folders(struct sync *s, struct strlist *ret);

/* Syncs one folder. Returns IMAP_OK, or an IMAP failure (what was
 * committed before it stays committed). When the database refuses a
 * write, the open transaction (STORE_GROUP batches at most) is rolled
 * back, *ret_store_error is set and the result is IMAP_TEMPORARY. *ret_new
 * (may be NULL) counts the new messages committed. Every batch stored is
 * committed before it returns. When *stop becomes non-zero, the current
 * batch is committed and IMAP_OK comes back early with *ret_interrupted
 * true. */
enum imap_fail sync_folder(struct sync *s, const char *folder, uint64_t *ret_new,
			   bool *ret_interrupted, bool *ret_store_error);

/* A message whose subject is a rapport command (action.h) is never
 * stored as mail. Found in the sent folder, sent from an identity
 * address, with a valid token for a nudge of this account, it is applied
 * in the batch's transaction; each Message-ID is handled once (recorded
 * in mail_actions, refusals too). Found elsewhere it is only noted in
 * s->elsewhere: sync_commands_done() then warns about those the sent
 * folder did not also hold. Call it after a pass over every folder. */
void sync_commands_done(struct sync *s);

#endif
