/* score: the reciprocity metrics of one (liaison, client) pair as of an
 * instant (DOMAIN.md §4), computed from the client's thread projections.
 * Pure: the same projections and instant always give the same result. */
#ifndef RAPPORT_SCORE_H
#define RAPPORT_SCORE_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"

enum score_class { CLASS_WEAK, CLASS_MODERATE, CLASS_STRONG };
enum score_phase { PHASE_DORMANT, PHASE_COMMITMENT, PHASE_AWARENESS, PHASE_EXPLORATION };
enum score_trend { TREND_STEADY, TREND_NEW, TREND_TOGETHER, TREND_APART };

struct score {
	double out_weight;        /* O */
	double in_weight;         /* I */
	double reciprocity;       /* R */
	double response_rate;     /* P = (a + 1) / (n + 2) */
	int answered;             /* a */
	int decided;              /* n */
	int pending;              /* outreach younger than the reply window, unanswered */
	int undelivered;          /* outreach whose first message bounced */
	int client_initiated;     /* projections the client started */
	int liaison_initiated;    /* projections the liaison started (delivered or not) */
	int unknown_initiated;    /* replies to unseen mail and forwards */
	int unanswered_streak;    /* latest decided outreach unanswered in a row */
	double initiation_balance;/* B */
	double volume;            /* V */
	int tie_strength;         /* 0..100 */
	enum score_class klass;
	bool one_sided;
	enum score_phase phase;
	enum score_trend trend;
	int recent;               /* personal messages, age <= trend_recent_days */
	int before;               /* personal messages in the period before */
	double client_latency_h;  /* median hours, or -1 when none */
	double liaison_latency_h; /* median hours, or -1 when none */
	int64_t last_message;     /* date of the last personal message, 0 if none */
	int64_t last_inbound;     /* date of the last personal message from the client, 0 if none */
	int64_t one_sided_since;  /* when the current one-sided run began (set by the model,
				   * DOMAIN.md §5); 0 when not one-sided */
};

/* One message of a projection, as scoring needs it. */
struct score_msg {
	int64_t date;
	bool outbound;            /* else inbound from the client */
};

/* A (thread, client) projection: the personal messages between the
 * liaison and the client in one thread, in date order. */
struct score_proj {
	const struct score_msg *m;
	uint32_t n;
	enum { INIT_LIAISON, INIT_CLIENT, INIT_UNKNOWN } initiator;
	bool undelivered;         /* its first message bounced for this client */
};

/* Computes the score of one client from its projections (any order) and
 * the dates of all its personal messages in the window (msgs, any order),
 * as of as_of. Projections and messages must already be limited to
 * 0 <= age <= window_days. Never fails. */
void score_compute(const struct conf_scoring *k, int64_t as_of, const struct score_proj *p,
		   size_t np, const struct score_msg *msgs, size_t nm, struct score *ret);

/* score_compute's one_sided alone (what one_sided_since asks at every
 * instant it tries), from the projections only. */
bool score_one_sided(const struct conf_scoring *k, int64_t as_of, const struct score_proj *p,
		     size_t np);

const char *score_class_name(enum score_class c);
const char *score_phase_name(enum score_phase p);
const char *score_trend_name(enum score_trend t);
/* Parses a name back; -1 when unknown. */
int score_class_parse(const char *s);
int score_phase_parse(const char *s);
int score_trend_parse(const char *s);

/* Median of v[0..n) (sorts v in place); the mean of the two middle values
 * for an even n; -1 for n = 0. */
double score_median(double *v, size_t n);

#endif
