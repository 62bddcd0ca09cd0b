/* source: what a mail source (mbox, maildir, IMAP) hands to the importer
 * for each message: the raw header block plus the start of the body, the
 * fallback date, and where the message sits in the source. */
#ifndef RAPPORT_SOURCE_H
#define RAPPORT_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include "msg.h"

struct src_msg {
	const char *data;     /* header block, then at most MSG_MAX_BODY_SCAN body bytes;
			       * NULL when the message could not be read */
	size_t len;
	int error;            /* then why: -EINVAL not a regular file, -ELOOP a
			       * symbolic link, another negative errno */
	bool header_too_large; /* the header block exceeded MSG_MAX_HEADER */
	struct msg_src_date date;
	const char *folder;   /* folder name ("INBOX", "Sent", ...) */
	const char *role;     /* "inbox", "sent" or "" */
	const char *position; /* "byte 1234" or a file name: for reports */
	uint32_t uid;         /* IMAP UID, 0 elsewhere */
};

/* Called once per message; a negative return stops the source, which
 * then returns that value. */
typedef int (*src_msg_fn)(void *ud, const struct src_msg *m);

/* The role a folder name suggests: "inbox" for INBOX (any case), "sent"
 * for the usual names of sent-mail folders (Sent, Sent Items, Sent
 * Messages, Sent Mail, Gesendet, ...) as the last path component. */
const char *source_folder_role(const char *name);

#endif
