/* imap: one IMAP connection of an account, through libetpan's mailimap:
 * connect (implicit TLS, STARTTLS or, to loopback only, plain text),
 * certificate verification (tls.c) before any credential is sent, login
 * (LOGIN or XOAUTH2), and the read-only commands a sync needs: LIST,
 * EXAMINE, UID SEARCH, UID FETCH of header fields (streamed), IDLE.
 * Nothing here stores, expunges or sets \Seen.
 *
 * The connection is rapport's own (net.c, stream.c): TLS 1.2 or later,
 * verified before the greeting is read, and a bound on the bytes of any
 * one server response, so that libetpan never buffers more than that.
 *
 * Every blocking call carries a deadline: another thread may call
 * imap_enforce_deadline() periodically, which shuts the socket down when a
 * command has run past it, so a server that drips one byte at a time
 * cannot hold an account forever. */
#ifndef RAPPORT_IMAP_H
#define RAPPORT_IMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "msg.h"

/* How a failure should be handled (mbsync's temporary/final split). */
enum imap_fail {
	IMAP_OK = 0,
	IMAP_TEMPORARY,  /* network, timeout, BYE, server errors: retry with backoff */
	IMAP_THROTTLED,  /* the server asked to wait: retry after imap_retry_ms() */
	IMAP_AUTH,       /* credentials refused: permanent until reconfigured */
	IMAP_TLS,        /* certificate or TLS refused: permanent until reconfigured */
	IMAP_CONFIG,     /* e.g. STARTTLS not offered, folder missing: permanent */
};

struct imap;

/* Connects, verifies and logs in. secret is the password or the OAuth2
 * token (never logged, never kept after login). timeout_s is the per-read
 * network timeout, command_s the deadline of any one command. Returns
 * IMAP_OK and *ret, or a failure with a malloc'd explanation in
 * *ret_error (no secret in it). */
enum imap_fail imap_open(const struct conf_account *a, const char *secret, int timeout_s,
			 int command_s, struct imap **ret, char **ret_error);
/* Logs out (best effort) and frees. NULL-safe. */
void imap_close(struct imap *im);

/* The last failure's explanation (owned by im) and, for IMAP_THROTTLED,
 * how long the server asked to wait. */
const char *imap_error(const struct imap *im);
int64_t imap_retry_ms(const struct imap *im);

bool imap_has_idle(const struct imap *im);

/* Called from a supervising thread: if a command has run past its
 * deadline (monotonic ms), shut the connection down so it fails. */
void imap_enforce_deadline(struct imap *im, int64_t now_ms);

/* Shuts the connection down now, from any thread, so that the command in
 * progress fails at once (used when the daemon must stop). */
void imap_abort(struct imap *im);

/* Monotonic milliseconds. */
int64_t imap_now_ms(void);

/* Folders: every name from LIST "" "*", and the one flagged \Sent (or
 * NULL). Caller frees with sl_free / free. */
enum imap_fail imap_list(struct imap *im, struct strlist *ret_names, char **ret_sent);

struct imap_folder_info {
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint32_t exists;
};
/* EXAMINE (read-only select). */
enum imap_fail imap_examine(struct imap *im, const char *folder, struct imap_folder_info *ret);

/* STATUS (MESSAGES UIDNEXT UIDVALIDITY): what EXAMINE would tell, without
 * opening the folder. *ret_known is false, with IMAP_OK, when the server
 * refused or left a value out, or the folder is the one examined: then
 * only EXAMINE tells. */
enum imap_fail imap_status(struct imap *im, const char *folder, struct imap_folder_info *ret,
			   bool *ret_known);

/* UID SEARCH SINCE day (when since > 0), or UID SEARCH UID from:* (since
 * 0): the UIDs in ascending order without repeats, only those >= from.
 * Caller frees. */
enum imap_fail imap_search(struct imap *im, int64_t since, uint32_t from, uint32_t **ret_uids,
			   size_t *ret_n);

/* Which of uids[0..n) (ascending) the folder still holds: UID SEARCH UID
 * of that set, keeping only UIDs of the set. Caller frees. */
enum imap_fail imap_search_present(struct imap *im, const uint32_t *uids, size_t n,
				   uint32_t **ret_uids, size_t *ret_n);

/* One fetched message: its header fields (and, for a possible bounce, the
 * start of its body appended after the empty line), and INTERNALDATE if
 * its Date field gives no date. */
struct imap_msg {
	uint32_t uid;
	int64_t internal_date; /* 0 if not asked for or the server sent none */
	char *data;
	size_t len;
	bool bounce_body;      /* data holds body bytes after the header */
	bool bcc;              /* the Bcc section is in data */
};
/* Fetches uids[0..n) (ascending, no repeats: the header fields rapport
 * reads, at most MSG_MAX_HEADER + 1 bytes of them) as the response
 * streams in; then, for those that look like bounces, the first
 * MSG_MAX_BODY_SCAN bytes of their body; then INTERNALDATE of those whose
 * Date field gives no date (msg_header_dated). *ret is an array of n
 * entries at most, in UID order, one per UID asked for that the server
 * answered with header data: answers for other UIDs, repeated answers
 * and FETCH responses without header data are ignored (a UID asked for
 * but missing from *ret was not delivered). imap_msgs_free() releases
 * it. */
enum imap_fail imap_fetch(struct imap *im, const uint32_t *uids, size_t n,
			  struct imap_msg **ret, size_t *ret_n);
void imap_msgs_free(struct imap_msg *m, size_t n);

/* IDLE on the examined folder until the server reports something, the
 * timeout passes, or *stop becomes non-zero (checked every second); then
 * DONE. *ret_activity says whether the server said anything. Servers
 * without IDLE: IMAP_CONFIG. */
enum imap_fail imap_idle(struct imap *im, int timeout_s, volatile int *stop, bool *ret_activity);

#endif
