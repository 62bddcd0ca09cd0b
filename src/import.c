/* import: see import.h. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "import.h"
#include "maildir.h"
#include "mbox.h"

struct import {
	struct store *st;
	struct parsew *w;
	const struct conf *c;
	const struct conf_account *a;
	struct msg_rules rules;
	int64_t account;
	import_report_fn report;
	void *ud;
	struct import_stats stats;
	struct import_stats committed; /* stats as of the last commit */
	unsigned pending;  /* messages in the open transaction */
	bool in_tx;
	const char *source; /* the path being imported */
	volatile int *stop;
	/* the folder cache: one lookup per folder change, not per message */
	char *folder_name;
	int64_t folder_id;
};

const char *import_reject_name(enum import_reject r)
{
	static const char *const names[REJ_N] = {
		[REJ_NO_HEADER] = "no header fields",
		[REJ_HEADER_LARGE] = "header block larger than 4 MiB",
		[REJ_PARSER_CRASH] = "the parser crashed on it",
		[REJ_PARSER_HANG] = "the parser did not finish in time",
		[REJ_UNREADABLE] = "cannot be read",
		[REJ_NOT_REGULAR] = "not a regular file (a FIFO, device or symbolic link): skipped",
	};
	return (unsigned)r < REJ_N ? names[r] : "?";
}

int import_new(struct store *st, struct parsew *w, const struct conf *c,
	       const struct conf_account *a, import_report_fn report, void *ud,
	       struct import **ret)
{
	struct import *im = xcalloc(1, sizeof(*im));
	im->st = st;
	im->w = w;
	im->c = c;
	im->a = a;
	im->rules.identity = &a->identity;
	im->rules.personal_max_recipients = c->scoring.personal_max_recipients;
	im->report = report;
	im->ud = ud;
	if (store_account(st, a->name, &im->account) < 0) {
		free(im);
		return -EIO;
	}
	*ret = im;
	return 0;
}

/* Drops the open batch; the totals go back to what is really stored. */
static void rollback(struct import *im)
{
	store_rollback(im->st);
	im->in_tx = false;
	im->pending = 0;
	im->stats = im->committed;
	free(im->folder_name);
	im->folder_name = NULL;
}

static int flush(struct import *im)
{
	if (!im->in_tx)
		return 0;
	im->in_tx = false;
	im->pending = 0;
	if (store_commit(im->st) < 0) {
		rollback(im);
		return -EIO;
	}
	im->committed = im->stats;
	if (im->report)
		im->report(im->ud, im->source, NULL, NULL, &im->stats);
	return 0;
}

static int reject(struct import *im, const struct src_msg *m, enum import_reject why)
{
	im->stats.rejected++;
	im->stats.rejected_by[why]++;
	if (im->report)
		im->report(im->ud, im->source, m->position, import_reject_name(why), &im->stats);
	char *src = xasprintf("%s [%s]", im->source, m->folder);
	int r = store_quarantine(im->st, im->account, src, m->position, import_reject_name(why));
	free(src);
	return r;
}

static int on_message(void *ud, const struct src_msg *m)
{
	struct import *im = ud;
	struct msg rec;
	int r;

	if (im->stop && *im->stop)
		return -EINTR;
	if (!im->in_tx) {
		if (store_begin(im->st) < 0)
			return -EIO;
		im->in_tx = true;
	}
	im->stats.read++;
	if (!im->folder_name || strcmp(im->folder_name, m->folder) != 0) {
		free(im->folder_name);
		im->folder_name = xstrdup(m->folder);
		if (store_folder(im->st, im->account, m->folder, m->role, &im->folder_id) < 0)
			return -EIO;
	}
	if (!m->data)
		r = reject(im, m, m->error == -EINVAL || m->error == -ELOOP ? REJ_NOT_REGULAR
									  : REJ_UNREADABLE);
	else if (m->header_too_large)
		r = reject(im, m, REJ_HEADER_LARGE);
	else if ((r = parsew_parse(im->w, m->data, m->len, &m->date, &rec)) < 0)
		r = reject(im, m, r == -ETIMEDOUT ? REJ_PARSER_HANG
				  : r == -ECHILD  ? REJ_PARSER_CRASH
				  : r == -E2BIG   ? REJ_HEADER_LARGE
						  : REJ_NO_HEADER);
	else if (action_parse(rec.subject, &(struct action_cmd){0})) {
		/* a mailed command is not mail; only a sync applies it */
		im->stats.commands++;
		msg_free(&rec);
	} else {
		bool inbox = strcmp(m->role, "inbox") == 0, fresh = false;
		enum msg_kind kind = msg_classify(&rec, &im->rules);
		enum msg_direction dir = msg_direction(&rec, &im->a->identity, inbox);
		r = store_message_add(im->st, im->account, im->folder_id, m->uid, &rec, kind, dir,
				      inbox, &fresh);
		msg_free(&rec);
		if (r == 0) {
			if (fresh)
				im->stats.stored++;
			else
				im->stats.duplicates++;
		}
	}
	if (r < 0)
		return -EIO;
	if (++im->pending >= IMPORT_BATCH)
		return flush(im);
	return 0;
}

int import_path(struct import *im, const char *path, const char *folder)
{
	int r;
	im->source = path;
	if (maildir_is(path)) {
		r = maildir_read(path, folder, on_message, im);
	} else {
		char *name = NULL;
		if (!folder) {
			const char *base = strrchr(path, '/');
			name = xstrdup(base ? base + 1 : path);
			char *dot = strrchr(name, '.');
			if (dot && dot != name && (strcmp(dot, ".mbox") == 0 || strcmp(dot, ".mbx") == 0))
				*dot = '\0';
		}
		const char *f = folder ? folder : name;
		r = mbox_read(path, f, source_folder_role(f), on_message, im);
		free(name);
	}
	if (r == -EIO) {
		rollback(im);
		return r;
	}
	int f = flush(im);
	return r < 0 ? r : f;
}

void import_set_stop_flag(struct import *im, volatile int *flag)
{
	im->stop = flag;
}

const struct import_stats *import_stats(const struct import *im)
{
	return &im->stats;
}

int import_finish(struct import *im)
{
	if (!im)
		return 0;
	int r = flush(im);
	free(im->folder_name);
	free(im);
	return r;
}
