/* sync: see sync.h. */
#include "config.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "source.h"
#include "action.h"
#include "import.h"
#include "sync.h"

enum imap_fail sync_folders(struct sync *s, struct strlist *ret)
{
	struct strlist names = {0};
	char *sent = NULL;
	enum imap_fail f = imap_list(s->im, &names, &sent);
	if (f != IMAP_OK)
		return f;
	sl_add(ret, "INBOX");
	if (s->a->sent_folder) {
		if (sl_contains(&names, s->a->sent_folder))
			sl_add_unique(ret, s->a->sent_folder);
		else if (s->rep.notice)
			s->rep.notice(s->rep.ud, s->a->sent_folder,
				      "sent_folder is not on the server; skipped");
	} else if (sent) {
		sl_add_unique(ret, sent);
		free(s->sent);
		s->sent = xstrdup(sent);
	}
	for (size_t i = 0; i < names.n; i++)
		for (size_t p = 0; p < s->a->folders.n; p++)
			if (fnmatch(s->a->folders.v[p], names.v[i], 0) == 0)
				sl_add_unique(ret, names.v[i]);
	free(sent);
	sl_free(&names);
	return IMAP_OK;
}

static const char *role_of(const struct sync *s, const char *folder)
{
	if (ascii_strcasecmp(folder, "INBOX") == 0)
		return "inbox";
	if (s->a->sent_folder && strcmp(folder, s->a->sent_folder) == 0)
		return "sent";
	if (!s->a->sent_folder && s->sent && strcmp(folder, s->sent) == 0)
		return "sent"; /* flagged \Sent by the server (RFC 6154) */
	return source_folder_role(folder);
}

static void said(struct sync *s, const char *folder, bool warning, char *text)
{
	if (s->rep.action)
		s->rep.action(s->rep.ud, folder, warning, text);
	free(text);
}

/* A command in the sent folder: applied once, or refused with a reason
 * (both recorded). 0 or -EIO. */
static int command(struct sync *s, const char *folder, const struct msg *m,
		   const struct action_cmd *cmd)
{
	bool seen = false;
	if (store_mail_action_seen(s->st, s->account, m->message_id, &seen) < 0)
		return -EIO;
	if (seen)
		return 0;
	char *why = NULL, state[16] = "";
	int64_t owner = 0;
	int r = 0;
	if (!m->from || !sl_contains(&s->a->identity, m->from))
		why = xasprintf("sent by %s, not by an identity address of the account",
				m->from ? m->from : "nobody");
	else if (!s->action_key)
		why = xstrdup("no action key loaded (see the log at start)");
	else if (!action_verify(s->action_key, s->a->name, cmd))
		why = xstrdup("its token is not the one rapport gave for that nudge and action");
	else if ((r = store_nudge_owner(s->st, cmd->nudge, &owner, state)) == -ENOENT)
		why = xasprintf("there is no nudge %lld", (long long)cmd->nudge);
	else if (r < 0)
		return -EIO;
	else if (owner != s->account)
		why = xasprintf("nudge %lld belongs to another account", (long long)cmd->nudge);
	int64_t now = (int64_t)time(NULL);
	char *result;
	if (why) {
		result = xasprintf("refused: %s", why);
		/* the token is a capability: never in a log line */
		said(s, folder, true, xasprintf("rapport command (%s nudge %lld) <%s> ignored: %s",
						 action_name(cmd->kind), (long long)cmd->nudge,
						 m->message_id, why));
		free(why);
	} else if (cmd->kind == ACTION_IGNORE) {
		/* not a client: an override for this account (roster clients by
		 * name, correspondents by address); the refresh resolves its nudges */
		char *name = NULL, *addr = NULL, *by = xasprintf("%s (by mail)", s->a->name);
		bool roster = false;
		if (store_nudge_client(s->st, cmd->nudge, &name, &roster, &addr) < 0) {
			free(by);
			return -EIO;
		}
		struct store_override o = {.kind = "ignore", .account = s->a->name,
					   .subject = roster || !*addr ? name : addr,
					   .reason = "not a client, from the digest", .set_by = by,
					   .set_at = now};
		r = store_override_put(s->st, &o);
		result = xasprintf("%s is not a client", o.subject);
		if (r == 0)
			said(s, folder, false, xasprintf("nudge %lld: %s (by mail; <%s>)",
							  (long long)cmd->nudge, result,
							  m->message_id));
		free(name);
		free(addr);
		free(by);
		if (r < 0) {
			free(result);
			return -EIO;
		}
	} else {
		int d = action_days(cmd->kind);
		const char *to = d ? "snoozed" : "dismissed";
		if (store_nudge_state(s->st, cmd->nudge, to, d ? now + (int64_t)d * 86400 : 0, now,
				      NULL) < 0)
			return -EIO;
		result = d ? xasprintf("snoozed for %d days", d) : xstrdup("dismissed");
		said(s, folder, false, xasprintf("nudge %lld %s by mail (was %s; <%s>)",
						  (long long)cmd->nudge, result, state,
						  m->message_id));
	}
	r = store_mail_action_put(s->st, s->account, m->message_id, cmd->nudge,
				  action_name(cmd->kind), result, now);
	free(result);
	return r;
}

void sync_commands_done(struct sync *s)
{
	for (size_t i = 0; i < s->elsewhere.n; i++) {
		char *tab = strchr(s->elsewhere.v[i], '\t');
		bool seen = false;
		if (!tab)
			continue;
		*tab = '\0';
		if (store_mail_action_seen(s->st, s->account, tab + 1, &seen) == 0 && !seen)
			said(s, s->elsewhere.v[i], true,
			     xasprintf("rapport command <%s> ignored: found here and not in the sent "
				       "folder (only mail the liaison's own client files as sent "
				       "counts)", tab + 1));
	}
	sl_free(&s->elsewhere);
}

/* A fetched batch on its way: parsed (behind the caller's back) and then
 * stored with the checkpoint it reaches. */
struct batch {
	struct imap_msg *m;
	size_t got;
	struct strlist lost;
	uint32_t checkpoint;
	size_t done; /* UIDs of the folder's list covered, for progress */
	struct parsew_job *jobs;
};

static void batch_parse(struct sync *s, struct batch *b)
{
	b->jobs = xcalloc(b->got + 1, sizeof(*b->jobs));
	for (size_t i = 0; i < b->got; i++) {
		const struct imap_msg *m = &b->m[i];
		b->jobs[i].data = m->data; /* none: -EINVAL, quarantined */
		b->jobs[i].len = m->len;
		b->jobs[i].src = (struct msg_src_date){m->internal_date ? DATE_INTERNAL : DATE_NONE,
						       m->internal_date};
	}
	parsew_submit(s->w, b->jobs, b->got);
}

static void batch_free(struct batch *b)
{
	for (size_t i = 0; b->jobs && i < b->got; i++)
		msg_free(&b->jobs[i].msg);
	free(b->jobs);
	imap_msgs_free(b->m, b->got);
	sl_free(&b->lost);
	*b = (struct batch){0};
}

/* One folder's batches being stored, each on a thread of its own while
 * the next is fetched: the account thread leaves the database to it
 * meanwhile (a connection is used by one thread at a time). */
struct storing {
	struct sync *s;
	int64_t fid;
	const char *folder;
	bool inbox;
	uint32_t uidvalidity;
	uint64_t *ret_new;
	struct batch b; /* the batch being stored */
	bool ok;
	struct task task;
	uint64_t fresh; /* new messages of the open transaction */
};

/* What a store_group_* call returned: committed (c > 0), the new messages
 * count; failed, they are not stored (fetched again next time). 0 or
 * -EIO. */
static int committed(struct storing *x, int c)
{
	if (c > 0) {
		x->s->stored += x->fresh;
		if (x->ret_new)
			*x->ret_new += x->fresh;
	}
	if (c != 0)
		x->fresh = 0;
	return c < 0 ? -EIO : 0;
}

/* Stores one parsed batch and moves the checkpoint to its last UID, in
 * the transaction of the STORE_GROUP batches it is one of (the folder's
 * last ones commit when sync_folder ends). */
static int store_batch(struct storing *x)
{
	struct sync *s = x->s;
	const char *folder = x->folder;
	struct batch *b = &x->b;
	struct msg_rules rules = {&s->a->identity, s->conf->scoring.personal_max_recipients};
	uint64_t fresh_count = 0;
	const struct imap_msg *m = b->m;
	size_t n = b->got;
	struct parsew_job *jobs = b->jobs;
	const struct strlist *lost = &b->lost;
	if (store_group_begin(s->st) < 0)
		return -EIO;
	for (size_t i = 0; i < n; i++) {
		struct msg rec = jobs[i].msg;
		char pos[32];
		snprintf(pos, sizeof(pos), "UID %u", m[i].uid);
		int r = jobs[i].status;
		jobs[i].msg = (struct msg){0};
		if (r < 0) {
			const char *why = import_reject_name(import_parse_reject(r));
			char *src_name = xasprintf("%s [%s]", s->a->name, folder);
			int q = store_quarantine(s->st, s->account, src_name, pos, why);
			free(src_name);
			if (q < 0)
				goto fail;
			if (s->rep.quarantined)
				s->rep.quarantined(s->rep.ud, folder, m[i].uid, why);
			continue;
		}
		/* a mailed command is not mail */
		struct action_cmd cmd;
		if (action_parse(rec.subject, &cmd)) {
			bool sent = strcmp(role_of(s, folder), "sent") == 0;
			if (sent)
				r = command(s, folder, &rec, &cmd);
			else
				sl_take(&s->elsewhere, xasprintf("%s\t%s", folder, rec.message_id));
			msg_free(&rec);
			if (r < 0)
				goto fail;
			continue;
		}
		bool fresh = false;
		r = store_message_add(s->st, s->account, x->fid, m[i].uid, &rec,
				      msg_classify(&rec, &rules),
				      msg_direction(&rec, &s->a->identity, x->inbox), x->inbox, &fresh);
		msg_free(&rec);
		if (r < 0)
			goto fail;
		fresh_count += fresh;
	}
	for (size_t k = 0; k < lost->n; k++) {
		static const char why[] = "the server lists it but did not deliver it (asked twice)";
		char *src_name = xasprintf("%s [%s]", s->a->name, folder);
		char *pos = xasprintf("UID %s", lost->v[k]);
		int q = store_quarantine(s->st, s->account, src_name, pos, why);
		free(src_name);
		free(pos);
		if (q < 0)
			goto fail;
		if (s->rep.quarantined)
			s->rep.quarantined(s->rep.ud, folder, (uint32_t)strtoul(lost->v[k], NULL, 10),
					   why);
	}
	if (store_folder_set_state(s->st, x->fid, x->uidvalidity, b->checkpoint,
				   (int64_t)time(NULL)) < 0)
		goto fail;
	x->fresh += fresh_count;
	return committed(x, store_group_end(s->st));
fail:
	store_rollback(s->st);
	return committed(x, -EIO);
}

static void *store_thread(void *arg)
{
	struct storing *x = arg;
	x->ok = store_batch(x) == 0;
	return NULL;
}

/* Starts storing b (taken over); stored in place if no thread can start. */
static void store_start(struct storing *x, struct batch *b)
{
	x->b = *b;
	*b = (struct batch){0};
	task_start(&x->task, store_thread, x);
}

/* Waits for the batch being stored, reports the folder's progress and
 * frees it. False on a database error. */
static bool store_end(struct storing *x, size_t total)
{
	if (!x->b.jobs)
		return true;
	task_wait(&x->task);
	bool ok = x->ok;
	if (ok && x->s->rep.progress)
		x->s->rep.progress(x->s->rep.ud, x->folder, x->b.done, total);
	batch_free(&x->b);
	return ok;
}

static int cmp_msg_uid(const void *a, const void *b)
{
	const struct imap_msg *x = a, *y = b;
	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

/* The UIDs of want[0..n) (ascending) that have no entry in m[0..got)
 * (in UID order). Caller frees. */
static uint32_t *undelivered(const uint32_t *want, size_t n, const struct imap_msg *m,
			     size_t got, size_t *ret_n)
{
	uint32_t *miss = xcalloc(n + 1, sizeof(*miss));
	size_t k = 0, j = 0;
	for (size_t i = 0; i < n; i++) {
		while (j < got && m[j].uid < want[i])
			j++;
		if (j == got || m[j].uid != want[i])
			miss[k++] = want[i];
	}
	*ret_n = k;
	return miss;
}

/* Fetches uids[0..n). A UID the server did not deliver is asked about:
 * gone (expunged meanwhile) it needs nothing; still there, it is fetched
 * once more, and if it still does not come its UID goes to *ret_lost, to
 * be quarantined, so that the checkpoint never passes a message
 * silently. */
static enum imap_fail fetch_batch(struct sync *s, const uint32_t *uids, size_t n,
				  struct imap_msg **ret, size_t *ret_got, struct strlist *ret_lost)
{
	struct imap_msg *m = NULL;
	size_t got = 0, nmiss = 0, npresent = 0;
	enum imap_fail f = imap_fetch(s->im, uids, n, &m, &got);
	if (f != IMAP_OK)
		return f;
	uint32_t *miss = undelivered(uids, n, m, got, &nmiss), *present = NULL;
	if (nmiss)
		f = imap_search_present(s->im, miss, nmiss, &present, &npresent);
	if (f == IMAP_OK && npresent) {
		struct imap_msg *again = NULL;
		size_t nagain = 0;
		f = imap_fetch(s->im, present, npresent, &again, &nagain);
		if (f == IMAP_OK) {
			size_t nlost = 0;
			uint32_t *lost = undelivered(present, npresent, again, nagain, &nlost);
			for (size_t i = 0; i < nlost; i++)
				sl_take(ret_lost, xasprintf("%u", lost[i]));
			free(lost);
			if (nagain) {
				m = xrealloc(m, (got + nagain) * sizeof(*m));
				memcpy(m + got, again, nagain * sizeof(*m));
				got += nagain;
				qsort(m, got, sizeof(*m), cmp_msg_uid);
			}
			free(again);
		}
	}
	free(miss);
	free(present);
	if (f != IMAP_OK) {
		imap_msgs_free(m, got);
		return f;
	}
	*ret = m;
	*ret_got = got;
	return IMAP_OK;
}

/* UIDs are ascending non-zero numbers below UIDNEXT, so EXISTS messages
 * need UIDNEXT > EXISTS; 4294967295 leaves no room for a message at all. */
static bool plausible(const struct imap_folder_info *info)
{
	return info->uidnext != UINT32_MAX && (!info->exists || info->uidnext > info->exists);
}

/* Whether the server's word (EXAMINE or STATUS) says the folder has
 * nothing past the checkpoint last of UIDVALIDITY uv: then no SEARCH, no
 * write. UIDNEXT only ever saves work here; the checkpoint never follows
 * it. */
static bool nothing_new(const struct imap_folder_info *info, uint32_t uv, uint32_t last)
{
	return plausible(info) && uv == info->uidvalidity && info->uidnext &&
	       info->uidnext <= last + 1;
}

enum imap_fail sync_folder(struct sync *s, const char *folder, uint64_t *ret_new,
			   bool *ret_interrupted, bool *ret_store_error)
{
	struct imap_folder_info info;
	uint32_t uv = 0, last = 0;
	int64_t fid;
	enum imap_fail f;
	const char *role = role_of(s, folder);
	bool inbox = strcmp(role, "inbox") == 0;

	*ret_interrupted = false;
	*ret_store_error = false;
	if (store_account(s->st, s->a->name, &s->account) < 0 ||
	    store_folder(s->st, s->account, folder, role, &fid) < 0 ||
	    store_folder_state(s->st, fid, &uv, &last) < 0) {
		*ret_store_error = true;
		return IMAP_TEMPORARY;
	}
	/* a folder with a checkpoint is asked with STATUS first: on a large
	 * maildir dovecot answers it from its index in a millisecond, where
	 * EXAMINE takes tens */
	if (last) {
		bool known = false;
		if ((f = imap_status(s->im, folder, &info, &known)) != IMAP_OK)
			return f;
		if (known && nothing_new(&info, uv, last))
			return IMAP_OK;
	}
	if ((f = imap_examine(s->im, folder, &info)) != IMAP_OK)
		return f;
	if (uv && uv != info.uidvalidity) {
		if (s->rep.notice) {
			char *t = xasprintf("UIDVALIDITY changed from %u to %u: rescanning", uv,
					    info.uidvalidity);
			s->rep.notice(s->rep.ud, folder, t);
			free(t);
		}
		last = 0;
	}
	bool first = last == 0;
	if (!plausible(&info) && info.uidnext && s->rep.notice) {
		char *t = xasprintf("the server reports UIDNEXT %u with %u messages; not trusted",
				    info.uidnext, info.exists);
		s->rep.notice(s->rep.ud, folder, t);
		free(t);
	}
	if (!first && nothing_new(&info, uv, last))
		return IMAP_OK;

	uint32_t *uids = NULL;
	size_t n = 0;
	int64_t since = first ? (int64_t)time(NULL) - (int64_t)s->a->since_days * 86400 : 0;
	if ((f = imap_search(s->im, since, first ? 1 : last + 1, &uids, &n)) != IMAP_OK)
		return f;

	/* a pipeline: batch k is fetched while the worker parses batch k-1
	 * and a thread stores batch k-2, each batch with its checkpoint, in
	 * order */
	struct batch prev = {0};
	struct storing sto = {.s = s, .fid = fid, .folder = folder, .inbox = inbox,
			      .uidvalidity = info.uidvalidity, .ret_new = ret_new};
	for (size_t i = 0; i <= n; i += SYNC_BATCH) {
		struct batch cur = {0};
		bool more = i < n && !(s->stop && *s->stop && i > 0);
		if (i < n && !more)
			*ret_interrupted = true;
		if (more) {
			size_t k = n - i < SYNC_BATCH ? n - i : SYNC_BATCH;
			f = fetch_batch(s, uids + i, k, &cur.m, &cur.got, &cur.lost);
			/* every UID asked for is now delivered, gone from the
			 * server, or in the quarantine with the reason */
			cur.checkpoint = uids[i + k - 1];
			cur.done = i + k;
			if (f != IMAP_OK)
				more = false;
		}
		parsew_wait(s->w);
		if (!store_end(&sto, n)) {
			*ret_store_error = true;
			f = IMAP_TEMPORARY;
			more = false;
			batch_free(&prev); /* parsed, never stored: fetched again next time */
		}
		if (prev.jobs)
			store_start(&sto, &prev);
		if (!more) {
			batch_free(&cur);
			break;
		}
		batch_parse(s, &cur);
		prev = cur;
	}
	if (prev.jobs) { /* parsed, not yet stored */
		parsew_wait(s->w);
		if (store_end(&sto, n)) {
			store_start(&sto, &prev);
		} else {
			batch_free(&prev);
			*ret_store_error = true;
		}
	}
	if (!store_end(&sto, n) || committed(&sto, store_group_commit(s->st)) < 0)
		*ret_store_error = true;
	if (*ret_store_error)
		f = IMAP_TEMPORARY;
	free(uids);
	return f;
}
