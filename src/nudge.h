/* nudge: what a liaison should do next (DOMAIN.md §5), derived from the
 * model after each score refresh: follow up unanswered outreach, answer a
 * client who waits, reconnect with a client gone quiet, try another
 * channel with a one-sided relationship. The store keeps each nudge's
 * state (open, snoozed, dismissed, resolved) as history. */
#ifndef RAPPORT_NUDGE_H
#define RAPPORT_NUDGE_H

#include <stdint.h>

#include "model.h"

enum nudge_kind { NUDGE_FOLLOWUP, NUDGE_REPLY_OWED, NUDGE_RECONNECT, NUDGE_ONE_SIDED, NUDGE_N };

struct nudge {
	enum nudge_kind kind;
	uint32_t client;     /* model client index */
	char *key;           /* Message-ID of the thread's first message */
	int64_t message;     /* row id of the message it is about */
	uint32_t msg;        /* ... and its model index */
	int64_t about;       /* that message's date */
	int64_t due;         /* when it became due */
	char *reason;        /* one line, plain words */
};

struct nudge_list {
	struct nudge *v;
	size_t n;
};

/* Every nudge whose condition holds as of md->as_of (after model_compute).
 * nudge_list_free() releases *ret. */
void nudge_derive(struct model *md, struct nudge_list *ret);
void nudge_list_free(struct nudge_list *l);

/* "follow-up", "reply-owed", "reconnect", "one-sided"; parse: -1 if unknown. */
const char *nudge_kind_name(enum nudge_kind k);
int nudge_kind_parse(const char *s);

/* Brings the store's nudges of md's account in line with l (derived from
 * md): opens new ones, resolves those whose condition ended, gives new
 * correspondents a client row. Reads only md's clients and account (the
 * mail may be dropped already). Call inside a transaction. 0 or -EIO. */
int nudge_store(struct model *md, struct store *st, const struct nudge_list *l, int64_t now);

#endif
