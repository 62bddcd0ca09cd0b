/* mbox: streams the messages of an mbox file (mboxo and mboxrd). */
#ifndef RAPPORT_MBOX_H
#define RAPPORT_MBOX_H

#include "source.h"

/* Reads the mbox at path and calls fn for each message, with folder /
 * role as given. Memory stays bounded whatever the file size: only the
 * header block (up to MSG_MAX_HEADER) and the first MSG_MAX_BODY_SCAN body
 * bytes of one message are held. Returns 0 (also for an empty file: no
 * messages); -EBADMSG when the file does not start with a From_ line (not
 * an mbox); a negative errno on a read
 * error; or fn's negative return. Untrusted data. */
int mbox_read(const char *path, const char *folder, const char *role, src_msg_fn fn, void *ud);

/* True if line[0..len) is an mbox From_ separator ("From addr date"). */
bool mbox_is_from_line(const char *line, size_t len);

/* The date of a From_ line (asctime form), or -EINVAL. */
int mbox_from_date(const char *line, size_t len, int64_t *ret);

#endif
