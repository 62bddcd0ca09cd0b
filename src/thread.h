/* thread: threads of one account's messages (DOMAIN.md §3): connected
 * components of the Message-ID graph whose edges come from References and
 * In-Reply-To (ids of messages that are not stored are nodes too), then a
 * personal message without either header joins the thread of the most
 * recent earlier personal message with the same normalised subject and a
 * common client, at most subject_thread_days older. */
#ifndef RAPPORT_THREAD_H
#define RAPPORT_THREAD_H

#include "model.h"

/* Sets md->m[i].thread for every message, then frees what only it reads
 * (md->subj, md->ref, md->refs); a second call changes nothing. Messages
 * must be in date order (model_load sorts them). */
void thread_build(struct model *md);

#endif
