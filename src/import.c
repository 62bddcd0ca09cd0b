/* import: see import.h. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "hdr.h"
#include "import.h"
#include "maildir.h"
#include "mbox.h"

/* A message read and not yet stored: a copy of what the source gave
 * (the source's buffers last only for its callback). */
struct pend {
	char *data;         /* NULL: rejected before parsing, for why */
	size_t len;
	enum import_reject why;
	struct msg_src_date date;
	int64_t folder_id;
	bool inbox;
	uint32_t uid;
	char *folder, *position;
};

/* A batch of them; its jobs while the worker parses it. */
struct queue {
	struct pend *p;
	size_t n, cap, bytes;
	struct parsew_job *jobs;
};

/* A batch is parsed while the one before it is stored: the worker and
 * the store each keep a core busy. */
#define IMPORT_BATCH_BYTES ((size_t)2 << 20)

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
	const char *source; /* the path being imported */
	volatile int *stop;
	/* the folder cache: one lookup per folder change, not per message */
	char *folder_name;
	int64_t folder_id;
	struct queue filling, parsing; /* parsing: submitted to the worker */
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

enum import_reject import_parse_reject(int status)
{
	return status == -ETIMEDOUT ? REJ_PARSER_HANG
	       : status == -ECHILD  ? REJ_PARSER_CRASH
	       : status == -E2BIG   ? REJ_HEADER_LARGE
				    : REJ_NO_HEADER;
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

static void queue_clear(struct queue *q)
{
	for (size_t i = 0; i < q->n; i++) {
		free(q->p[i].data);
		free(q->p[i].folder);
		free(q->p[i].position);
		if (q->jobs)
			msg_free(&q->jobs[i].msg);
	}
	free(q->jobs);
	q->jobs = NULL;
	q->n = 0;
	q->bytes = 0;
}

static void queue_free(struct queue *q)
{
	queue_clear(q);
	free(q->p);
	*q = (struct queue){0};
}

static int reject(struct import *im, const struct pend *p, enum import_reject why)
{
	im->stats.rejected++;
	im->stats.rejected_by[why]++;
	if (im->report)
		im->report(im->ud, im->source, p->position, import_reject_name(why), &im->stats);
	char *src = xasprintf("%s [%s]", im->source, p->folder);
	int r = store_quarantine(im->st, im->account, src, p->position, import_reject_name(why));
	free(src);
	return r;
}

/* What a store_group_* call returned: committed (c > 0), the totals are
 * true and reported; failed, they go back to what is really stored. 0 or
 * -EIO. */
static int committed(struct import *im, int c)
{
	if (c > 0) {
		im->committed = im->stats;
		if (im->report)
			im->report(im->ud, im->source, NULL, NULL, &im->stats);
	} else if (c < 0) {
		im->stats = im->committed;
	}
	return c < 0 ? -EIO : 0;
}

/* Stores a parsed batch in the transaction of the STORE_GROUP batches it
 * is one of (drain commits the last ones). 0, or -EIO with the
 * transaction rolled back and the totals back to what is really stored. */
static int store_queue(struct import *im, struct queue *q)
{
	int r = q->n ? store_group_begin(im->st) : 0;
	for (size_t i = 0; i < q->n && r == 0; i++) {
		const struct pend *p = &q->p[i];
		struct msg rec = q->jobs[i].msg;
		int status = q->jobs[i].status;
		q->jobs[i].msg = (struct msg){0};
		if (!p->data)
			r = reject(im, p, p->why);
		else if (status < 0)
			r = reject(im, p, import_parse_reject(status));
		else if (action_parse(rec.subject, &(struct action_cmd){0}))
			im->stats.commands++; /* a mailed command is not mail; only a sync applies it */
		else {
			bool fresh = false;
			enum msg_kind kind = msg_classify(&rec, &im->rules);
			enum msg_direction dir = msg_direction(&rec, &im->a->identity, p->inbox);
			r = store_message_add(im->st, im->account, p->folder_id, p->uid, &rec, kind,
					      dir, p->inbox, &fresh);
			if (r == 0) {
				if (fresh)
					im->stats.stored++;
				else
					im->stats.duplicates++;
			}
		}
		msg_free(&rec);
	}
	if (r == 0 && q->n)
		r = committed(im, store_group_end(im->st));
	if (r < 0) {
		store_rollback(im->st); /* none open (BEGIN failed): a no-op */
		r = committed(im, -EIO);
	}
	queue_clear(q);
	return r;
}

static void queue_submit(struct import *im, struct queue *q)
{
	q->jobs = xcalloc(q->n + 1, sizeof(*q->jobs));
	for (size_t i = 0; i < q->n; i++) {
		q->jobs[i].data = q->p[i].data; /* none: rejected already, not parsed */
		q->jobs[i].len = q->p[i].len;
		q->jobs[i].src = q->p[i].date;
	}
	parsew_submit(im->w, q->jobs, q->n);
}

/* The batch being filled goes to the worker; the one the worker had is
 * stored meanwhile (and its array filled next). */
static int rotate(struct import *im)
{
	parsew_wait(im->w);
	struct queue done = im->parsing;
	im->parsing = im->filling;
	queue_submit(im, &im->parsing);
	int r = store_queue(im, &done);
	im->filling = done;
	return r;
}

/* Stores everything read so far: the batch the worker has, then the one
 * being filled. */
static int drain(struct import *im)
{
	parsew_wait(im->w);
	int r = store_queue(im, &im->parsing);
	if (im->filling.n) {
		queue_submit(im, &im->filling);
		parsew_wait(im->w);
		int f = store_queue(im, &im->filling);
		r = r < 0 ? r : f;
	}
	int c = committed(im, store_group_commit(im->st));
	return r < 0 ? r : c;
}

static int on_message(void *ud, const struct src_msg *m)
{
	struct import *im = ud;

	if (im->stop && *im->stop)
		return -EINTR;
	im->stats.read++;
	if (!im->folder_name || strcmp(im->folder_name, m->folder) != 0) {
		free(im->folder_name);
		im->folder_name = xstrdup(m->folder);
		if (store_folder(im->st, im->account, m->folder, m->role, &im->folder_id) < 0)
			return -EIO;
	}
	struct queue *q = &im->filling;
	if (q->n == q->cap) {
		q->cap = q->cap ? 2 * q->cap : 64;
		q->p = xrealloc(q->p, q->cap * sizeof(*q->p));
	}
	struct pend *p = &q->p[q->n++];
	*p = (struct pend){.date = m->date, .folder_id = im->folder_id, .uid = m->uid,
			   .inbox = strcmp(m->role, "inbox") == 0, .folder = xstrdup(m->folder),
			   .position = xstrdup(m->position)};
	if (!m->data)
		p->why = m->error == -EINVAL || m->error == -ELOOP ? REJ_NOT_REGULAR : REJ_UNREADABLE;
	else if (m->header_too_large)
		p->why = REJ_HEADER_LARGE;
	else {
		/* Bcc and the body only as far as msg_parse reads them, as
		 * over IMAP: the start of a long Bcc, the body of what may be
		 * a report */
		size_t hlen = hdr_block_end(m->data, m->len), len;
		p->data = hdr_copy_cut(m->data, hlen, "Bcc", MSG_MAX_BCC, 0, &len);
		if (msg_may_be_report(p->data, len)) {
			p->data = xrealloc(p->data, len + m->len - hlen + 1);
			memcpy(p->data + len, m->data + hlen, m->len - hlen);
			len += m->len - hlen;
			p->data[len] = '\0';
		}
		p->len = len;
		q->bytes += len;
	}
	if (q->n >= IMPORT_BATCH || q->bytes >= IMPORT_BATCH_BYTES)
		return rotate(im);
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
	if (r == -EIO) { /* what was not stored is dropped; the totals say so */
		parsew_wait(im->w);
		queue_clear(&im->parsing);
		queue_clear(&im->filling);
		/* the read failed, or a write outside a batch: what the open
		 * transaction holds is kept if it can be */
		committed(im, store_group_commit(im->st));
		im->stats = im->committed;
		return r;
	}
	int f = drain(im);
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
	int r = drain(im);
	queue_free(&im->parsing);
	queue_free(&im->filling);
	free(im->folder_name);
	free(im);
	return r;
}
