/* model: one account's mail as the scoring model sees it, as of an
 * instant: clients (roster and, with track_unknown, correspondents),
 * messages with their counterparts, threads, and per-client scores.
 * Built from the store, then computed by thread_build and score_compute. */
#ifndef RAPPORT_MODEL_H
#define RAPPORT_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "msg.h"
#include "score.h"
#include "store.h"
#include "util.h"

#define MODEL_NONE UINT32_MAX

struct model_client {
	int64_t db_id;          /* clients.id; 0 until stored (a new correspondent) */
	char *name;
	char *department;       /* never NULL: "(unassigned)" when no rule matches */
	char *first_address;
	bool roster;
	bool assigned;          /* a roster client naming this account, or none */
	int cadence_days;       /* the contact interval a liaison wants (override), or 0 */
	int64_t cadence_set_at;
	bool touched;           /* has a message newer than the recompute mark */
	struct score score;
};

/* A message's entries in one of the model's arrays. */
struct model_span {
	uint32_t off, n;
};

/* One message. What only some passes read lives beside it in struct
 * model (subjects and References until threading, recipients for `rapport
 * show`, bounces' failed recipients), so that the score pass holds 56
 * bytes a message. */
struct model_msg {
	int64_t id;             /* messages.id */
	int64_t date;
	uint32_t mid;           /* interned Message-ID */
	uint32_t parent;        /* In-Reply-To, else the last References id; or NONE */
	uint32_t bounce_orig;   /* interned, or NONE */
	uint32_t thread;        /* filled by thread_build: a representative id */
	uint32_t cp_off, n_cp;  /* counterpart clients in model.cp */
	uint32_t sender;        /* the client of the From address, or NONE */
	/* a byte each, after the words */
	uint8_t kind;           /* enum msg_kind */
	uint8_t dir;            /* enum msg_direction */
	bool reply_subject;     /* raw subject starts with Re/AW/SV/Antw */
	bool fwd_subject;       /* raw subject starts with Fw/Fwd */
	bool has_thread_hdrs;   /* In-Reply-To or References present */
	bool bounce_per_recipient;
	bool to_me;             /* an identity address is in To (not only Cc) */
};

/* A failed recipient of a bounce: its message index and the client. */
struct model_fail {
	uint32_t msg, client;
};

struct model {
	const struct conf *conf;
	int64_t account;
	char *account_name;
	int64_t as_of;
	struct strtab ids;      /* Message-IDs and referenced ids (sealed after loading) */
	uint32_t *msg_of_id;    /* per interned id: message index, or NONE (not stored) */
	struct model_msg *m;
	size_t n;
	uint32_t *cp;
	size_t ncp;
	/* bounces' failed recipients, by message index */
	struct model_fail *fail;
	size_t nfail;
	/* thread_build's input, freed by it: per message, the interned
	 * normalised subject and the span of its References ids in refs */
	uint32_t *subj;
	struct model_span *ref;
	uint32_t *refs;
	size_t nrefs;
	/* with MODEL_KEEP_RECIPIENTS, else NULL: per message, the span of its
	 * clients among To, Cc and Bcc (for bounces: every recipient) in rcpt */
	struct model_span *to;
	uint32_t *rcpt;
	size_t nrcpt;
	struct model_client *clients;
	size_t nclients;
	struct strtab addr;     /* normalised addresses with a client */
	uint32_t *client_of_addr;
	char **subject;         /* per message, with MODEL_KEEP_SUBJECTS; else NULL */
	void *priv;             /* projections and indexes, owned by model.c */
};

/* Loads account (by name) from st as of as_of (flags: MODEL_KEEP_*):
 * every message dated at or before it, the roster and department rules
 * stored by rapportd, and (with c->track_unknown) every other counterpart
 * of a personal message as a client; then the overrides for this account
 * or every account (not a client, same person, cadence: DOMAIN.md §1),
 * whenever they were set. touched_after marks the clients with a message
 * whose row id is greater (0: none marked). Returns 0, -ENOENT for an unknown account, or
 * -EIO. model_free() releases *ret. */
#define MODEL_KEEP_SUBJECTS 1u   /* keep each message's subject (for `rapport show`) */
#define MODEL_KEEP_RECIPIENTS 2u /* keep each message's recipient clients (md->to) */
int model_load(struct store *st, const struct conf *c, const char *account, int64_t as_of,
	       int64_t touched_after, unsigned flags, struct model *ret);

/* Threads the messages (thread_build) and scores every client. */
void model_compute(struct model *md);

/* The score of client ci as of instant t <= md->as_of (after
 * model_compute), from its messages in [t - window, t]. */
void model_score_at(struct model *md, uint32_t ci, int64_t t, struct score *ret);

/* A relationship's history (DOMAIN.md §4 as of month ends): one point. */
struct model_point {
	int64_t at;              /* the instant: a month's last second (UTC), or as-of */
	bool client;             /* a client of the account then (else no value) */
	int tie_strength;
	enum score_class klass;
	enum score_phase phase;
	bool one_sided;
	int out, in;             /* personal messages each way in that month */
};

/* The month ends of a history of n points up to md->as_of: the last
 * second (UTC) of each of the n - 1 months before as-of's month, then
 * as-of itself. ret has room for n. */
void model_month_ends(int64_t as_of, size_t n, int64_t *ret);

/* The history of client ci (after model_compute) at the instants at[0..n)
 * (ascending, none after md->as_of), from one model of today's mail: each
 * point is the score as of that instant, from the messages of its window;
 * a correspondent is no client before its first personal message. */
void model_history(struct model *md, uint32_t ci, const int64_t *at, size_t n,
		   struct model_point *ret);

/* Calls fn for each projection of client ci (the personal messages of one
 * thread between the liaison and the client within the window, in date
 * order, as message indexes), with the thread's representative id and the
 * initiator/delivery judgement. For `rapport show` and the tests. */
typedef void (*model_proj_fn)(void *ud, uint32_t thread, const uint32_t *msgs, size_t n,
			      const struct score_proj *p);
void model_each_projection(struct model *md, uint32_t ci, model_proj_fn fn, void *ud);

/* Writes the scores of all clients (only the touched ones if only_touched)
 * with computed_at = now, creating client rows for new correspondents.
 * Call inside a transaction. 0 or -EIO. */
int model_save(struct model *md, struct store *st, bool only_touched, int64_t now);

/* Loads, computes and saves the account's scores as of now (a caller
 * scoring several accounts passes them one instant) in one
 * transaction: every client (full) or only those with a message stored
 * after the account's score watermark, a message row id kept in the
 * database ("scored:ACCOUNT"). The watermark moves, to the highest
 * message id at the start of the call, only in the transaction that
 * stores the scores: a process killed before that commit leaves it where
 * it was, and the next call rescores what the dead one stored.
 * *ret_clients / *ret_messages (may be NULL) say how many. 0, -ENOENT (no
 * such account) or -EIO. */
int model_refresh(struct store *st, const struct conf *c, const char *account, bool full,
		  int64_t now, size_t *ret_clients, size_t *ret_messages);

/* Whether messages were stored after the account's score watermark (by
 * this process or by one that died before scoring them). 0 or -EIO. */
int model_unscored(struct store *st, const char *account, bool *ret);

/* Whether the roster or the overrides changed since the account was last
 * scored (then the next refresh rescores it in full). */
bool model_stale(struct store *st, const char *account);

/* The client a normalised address belongs to, or MODEL_NONE. */
uint32_t model_client_of(const struct model *md, const char *addr);

/* Frees the messages, threads and projections, keeping the clients and
 * their scores (what model_save and nudge_store read). */
void model_drop_mail(struct model *md);

void model_free(struct model *md);

#endif
