/* maildir: reads maildirs: cur/ and new/ of the top folder (INBOX) and of
 * every Maildir++ (".Name") or nested subfolder. */
#ifndef RAPPORT_MAILDIR_H
#define RAPPORT_MAILDIR_H

#include "source.h"

#define MAILDIR_MAX_DEPTH 8

/* True if path is a directory holding cur/ or new/. */
bool maildir_is(const char *path);

/* Calls fn for each message of the maildir at path, folder by folder,
 * files in name order. folder overrides the top folder's name (NULL:
 * "INBOX"). Returns 0, a negative errno when path cannot be read, or fn's
 * negative return. A file that cannot be read is reported through fn with
 * data NULL. Untrusted data. */
int maildir_read(const char *path, const char *folder, src_msg_fn fn, void *ud);

#endif
