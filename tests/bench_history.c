/* bench_history: the cost of every client's relationship history (the
 * HTML report's charts) against the score pass it comes with, on a
 * database rapportd filled. Prints both; tests/bench-score.sh sets them
 * beside rapportd --recompute.
 * Usage: bench_history DATABASE [MONTHS] */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "model.h"
#include "store.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_account(void *ud, int64_t id, const char *name)
{
	(void)id;
	sl_add(ud, name);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_history DATABASE [MONTHS]\n");
		return 2;
	}
	size_t months = argc > 2 ? (size_t)atoi(argv[2]) : 24;
	struct conf c;
	conf_defaults(&c);
	struct store *st;
	char *why = NULL;
	if (store_open(argv[1], STORE_RO, &st, &why) < 0) {
		fprintf(stderr, "%s\n", why);
		return 1;
	}
	struct strlist accounts = {0};
	store_each_account(st, on_account, &accounts);
	int64_t now = (int64_t)time(NULL);
	int64_t *ends = malloc(months * sizeof(*ends));
	struct model_point *pts = malloc(months * sizeof(*pts));
	model_month_ends(now, months, ends);
	double score = 0, hist = 0;
	size_t clients = 0, points = 0;
	for (size_t a = 0; a < accounts.n; a++) {
		struct model md;
		double t0 = now_s();
		if (model_load(st, &c, accounts.v[a], now, 0, 0, &md) < 0) {
			fprintf(stderr, "%s: %s\n", accounts.v[a], store_errmsg(st));
			return 1;
		}
		model_compute(&md);
		double t1 = now_s();
		for (uint32_t ci = 0; ci < md.nclients; ci++) {
			model_history(&md, ci, ends, months, pts);
			for (size_t k = 0; k < months; k++)
				points += pts[k].client;
		}
		double t2 = now_s();
		score += t1 - t0;
		hist += t2 - t1;
		clients += md.nclients;
		model_free(&md);
	}
	printf("score pass (load and compute): %.2f s; %zu-month history of %zu clients (%zu "
	       "points): %.2f s\n", score, months, clients, points, hist);
	free(ends);
	free(pts);
	sl_free(&accounts);
	store_close(st);
	conf_free(&c);
	return 0;
}
