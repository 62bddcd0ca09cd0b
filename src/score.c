/* score: see score.h. The formulas are DOMAIN.md §4; docs/scoring.md
 * explains them and the readings chosen where the text leaves room. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "score.h"
#include "util.h"

#define DAY 86400.0

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double score_median(double *v, size_t n)
{
	if (n == 0)
		return -1;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

static double age_days(int64_t as_of, int64_t t)
{
	return (double)(as_of - t) / DAY;
}

static double reciprocity(double o, double i)
{
	return o + i > 0 ? 2.0 * (o < i ? o : i) / (o + i) : 0.0;
}

/* Decided outreach, for the one-sided run: its start and whether answered. */
struct decided {
	int64_t t0;
	bool answered;
};

static int cmp_decided(const void *a, const void *b)
{
	const struct decided *x = a, *y = b;
	return x->t0 < y->t0 ? -1 : x->t0 > y->t0;
}

/* What became of an outreach (a liaison-initiated projection) as of
 * as_of; *ret_first_in: the first answer's date when answered. */
enum outcome { OUT_UNDELIVERED, OUT_PENDING, OUT_ANSWERED, OUT_UNANSWERED };

static enum outcome outcome(const struct conf_scoring *k, int64_t as_of, const struct score_proj *pr,
			    int64_t *ret_first_in)
{
	int64_t t0 = pr->m[0].date;
	*ret_first_in = 0;
	if (pr->undelivered)
		return OUT_UNDELIVERED;
	for (uint32_t m = 1; m < pr->n; m++)
		if (!pr->m[m].outbound && pr->m[m].date > t0 &&
		    pr->m[m].date <= t0 + (int64_t)k->reply_window_days * 86400) {
			*ret_first_in = pr->m[m].date;
			return OUT_ANSWERED;
		}
	return age_days(as_of, t0) < k->reply_window_days ? OUT_PENDING : OUT_UNANSWERED;
}

/* One-sided: by ratio, or by the latest decided outreach all unanswered
 * (dec[0..nd), answered of them, sorted here); *ret_streak: that run. */
static bool one_sided(const struct conf_scoring *k, struct decided *dec, size_t nd, int answered,
		      int *ret_streak)
{
	if (nd)
		qsort(dec, nd, sizeof(*dec), cmp_decided);
	int streak = 0;
	for (size_t j = nd; j > 0 && !dec[j - 1].answered; j--)
		streak++;
	*ret_streak = streak;
	bool by_ratio = nd >= (size_t)k->one_sided_min_decided && nd > 0 &&
			(double)answered / (double)nd < k->one_sided_max_rate;
	return by_ratio || streak >= k->one_sided_streak;
}

bool score_one_sided(const struct conf_scoring *k, int64_t as_of, const struct score_proj *p,
		     size_t np)
{
	struct decided *dec = xcalloc(np ? np : 1, sizeof(*dec));
	size_t nd = 0;
	int answered = 0, streak;
	for (size_t j = 0; j < np; j++) {
		int64_t first_in;
		if (p[j].n == 0 || p[j].initiator != INIT_LIAISON)
			continue;
		enum outcome o = outcome(k, as_of, &p[j], &first_in);
		if (o == OUT_ANSWERED || o == OUT_UNANSWERED)
			dec[nd++] = (struct decided){p[j].m[0].date, o == OUT_ANSWERED};
		answered += o == OUT_ANSWERED;
	}
	bool r = one_sided(k, dec, nd, answered, &streak);
	free(dec);
	return r;
}

void score_compute(const struct conf_scoring *k, int64_t as_of, const struct score_proj *p,
		   size_t np, const struct score_msg *msgs, size_t nm, struct score *ret)
{
	struct score s = {0};
	double o180 = 0, i180 = 0;

	/* O, I, trend counts, last messages: every personal message in the window */
	for (size_t i = 0; i < nm; i++) {
		double age = age_days(as_of, msgs[i].date);
		double w = pow(0.5, age / k->half_life_days);
		if (msgs[i].outbound) {
			s.out_weight += w;
			if (age <= k->commitment_days)
				o180 += w;
		} else {
			s.in_weight += w;
			if (age <= k->commitment_days)
				i180 += w;
			if (msgs[i].date > s.last_inbound)
				s.last_inbound = msgs[i].date;
		}
		if (msgs[i].date > s.last_message)
			s.last_message = msgs[i].date;
		if (age <= k->trend_recent_days)
			s.recent++;
		else if (age <= 2.0 * k->trend_recent_days)
			s.before++;
	}
	s.reciprocity = reciprocity(s.out_weight, s.in_weight);

	/* thread roles */
	struct decided *dec = xcalloc(np ? np : 1, sizeof(*dec));
	double *clat = xcalloc(np ? np : 1, sizeof(*clat));
	double *llat = xcalloc(np ? np : 1, sizeof(*llat));
	size_t nd = 0, nclat = 0, nllat = 0;
	int commit_threads = 0;
	for (size_t j = 0; j < np; j++) {
		const struct score_proj *pr = &p[j];
		if (pr->n == 0)
			continue;
		int64_t t0 = pr->m[0].date;
		if (pr->initiator == INIT_UNKNOWN) {
			s.unknown_initiated++;
			continue;
		}
		if (pr->initiator == INIT_CLIENT) {
			s.client_initiated++;
			if (age_days(as_of, t0) <= k->commitment_days)
				commit_threads++;
			for (uint32_t m = 1; m < pr->n; m++)
				if (pr->m[m].outbound && pr->m[m].date > t0) {
					llat[nllat++] = (double)(pr->m[m].date - t0) / 3600.0;
					break;
				}
			continue;
		}
		s.liaison_initiated++;
		int64_t first_in;
		switch (outcome(k, as_of, pr, &first_in)) {
		case OUT_UNDELIVERED: s.undelivered++; break;
		case OUT_PENDING: s.pending++; break;
		case OUT_ANSWERED:
			s.answered++;
			clat[nclat++] = (double)(first_in - t0) / 3600.0;
			dec[nd++] = (struct decided){t0, true};
			break;
		case OUT_UNANSWERED: dec[nd++] = (struct decided){t0, false}; break;
		}
	}
	s.decided = (int)nd;
	s.response_rate = (s.answered + 1.0) / (s.decided + 2.0);
	int started = s.client_initiated + s.liaison_initiated;
	if (started) {
		double share = (double)s.client_initiated / started;
		s.initiation_balance = 2.0 * (share < 1 - share ? share : 1 - share);
	}
	s.volume = 1.0 - exp(-(s.out_weight + s.in_weight) / k->volume_scale);
	s.tie_strength = (int)floor(100.0 * s.volume *
					    (k->weight_reciprocity * s.reciprocity +
					     k->weight_response * s.response_rate +
					     k->weight_initiation * s.initiation_balance) + 0.5);
	s.klass = s.tie_strength >= k->class_strong     ? CLASS_STRONG
		  : s.tie_strength >= k->class_moderate ? CLASS_MODERATE
							: CLASS_WEAK;

	s.one_sided = one_sided(k, dec, nd, s.answered, &s.unanswered_streak);

	/* phase: the first that holds */
	if (!s.last_message || age_days(as_of, s.last_message) >= k->dormant_days)
		s.phase = PHASE_DORMANT;
	else if (commit_threads >= k->commitment_min_threads &&
		 reciprocity(o180, i180) >= k->commitment_min_reciprocity)
		s.phase = PHASE_COMMITMENT;
	else if (!s.last_inbound)
		s.phase = PHASE_AWARENESS;
	else
		s.phase = PHASE_EXPLORATION;

	/* trend */
	if (s.before == 0)
		s.trend = s.recent > 0 ? TREND_NEW : TREND_STEADY;
	else if ((double)s.recent / s.before > k->trend_up)
		s.trend = TREND_TOGETHER;
	else if ((double)s.recent / s.before < k->trend_down)
		s.trend = TREND_APART;
	else
		s.trend = TREND_STEADY;

	s.client_latency_h = score_median(clat, nclat);
	s.liaison_latency_h = score_median(llat, nllat);
	free(dec);
	free(clat);
	free(llat);
	*ret = s;
}

static const char *const class_names[] = {"weak", "moderate", "strong"};
static const char *const phase_names[] = {"dormant", "commitment", "awareness", "exploration"};
static const char *const trend_names[] = {"steady", "new", "coming together", "coming apart"};

const char *score_class_name(enum score_class c)
{
	return (unsigned)c < ARRAY_SIZE(class_names) ? class_names[c] : "?";
}

const char *score_phase_name(enum score_phase p)
{
	return (unsigned)p < ARRAY_SIZE(phase_names) ? phase_names[p] : "?";
}

const char *score_trend_name(enum score_trend t)
{
	return (unsigned)t < ARRAY_SIZE(trend_names) ? trend_names[t] : "?";
}

static int parse_name(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

int score_class_parse(const char *s)
{
	return parse_name(class_names, ARRAY_SIZE(class_names), s);
}

int score_phase_parse(const char *s)
{
	return parse_name(phase_names, ARRAY_SIZE(phase_names), s);
}

int score_trend_parse(const char *s)
{
	return parse_name(trend_names, ARRAY_SIZE(trend_names), s);
}
