/* import: carries messages from a source through the parse worker and the
 * classifier into the store, in batches that commit together. Used by
 * `rapportd --import` for mbox files and maildirs. */
#ifndef RAPPORT_IMPORT_H
#define RAPPORT_IMPORT_H

#include <stdint.h>

#include "conf.h"
#include "parsew.h"
#include "source.h"
#include "store.h"

#define IMPORT_BATCH 500

enum import_reject {
	REJ_NO_HEADER,     /* no header field at all */
	REJ_HEADER_LARGE,  /* header block over MSG_MAX_HEADER */
	REJ_PARSER_CRASH,  /* the parse worker died on it */
	REJ_PARSER_HANG,   /* the parse worker did not answer in time */
	REJ_UNREADABLE,    /* the file could not be read */
	REJ_NOT_REGULAR,   /* a FIFO, device, socket or symbolic link: skipped */
	REJ_N
};

struct import_stats {
	uint64_t read, stored, duplicates, rejected;
	uint64_t commands; /* rapport commands (action.h): not mail, and applied only from IMAP */
	uint64_t rejected_by[REJ_N];
};

struct import;

/* Reports one rejected message (source, position, reason) or, with
 * position NULL, progress; the caller prints. */
typedef void (*import_report_fn)(void *ud, const char *source, const char *position,
				 const char *reason, const struct import_stats *st);

/* Sets up an import into account a of st (the account row is created if
 * needed). w parses; report may be NULL. 0 or -EIO. */
int import_new(struct store *st, struct parsew *w, const struct conf *c,
	       const struct conf_account *a, import_report_fn report, void *ud,
	       struct import **ret);

/* Imports one path: an mbox file or a maildir. folder overrides the folder
 * name (NULL: from the file name, INBOX for a maildir's top). Returns 0;
 * -EBADMSG for a file that is not an mbox; -EIO on a database error (the
 * current batch is rolled back, nothing stored wrongly); another negative
 * errno when the path cannot be read. */
int import_path(struct import *im, const char *path, const char *folder);

/* When *flag becomes non-zero (a signal handler sets it), the import
 * commits the messages read so far and import_path returns -EINTR. */
void import_set_stop_flag(struct import *im, volatile int *flag);

/* The running totals. */
const struct import_stats *import_stats(const struct import *im);
const char *import_reject_name(enum import_reject r);
/* Why a message the parse worker answered status < 0 for is quarantined
 * (an import's or a sync's). */
enum import_reject import_parse_reject(int status);

/* Commits what is pending and frees im. 0 or -EIO. NULL-safe. */
int import_finish(struct import *im);

#endif
