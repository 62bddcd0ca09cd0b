/* report: the rows the CLI shows (one per liaison and client), read from
 * stored scores or computed on the fly as of an instant; their filters,
 * order, aggregates, plain-language reasons and output formats (aligned
 * table, JSON, CSV; docs/cli.md documents the JSON and CSV schema). */
#ifndef RAPPORT_REPORT_H
#define RAPPORT_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "conf.h"
#include "score.h"
#include "store.h"

struct report_row {
	int64_t account_id;
	char *account;
	char *client;
	char *department;
	char *address;
	int64_t as_of;
	struct score s;
};

struct report {
	struct report_row **rows;
	size_t n;
	size_t naccounts; /* liaison accounts in the database: a LIAISON column when > 1 */
	size_t cap;       /* room in rows */
	/* the rows and their strings live in these chunks, freed together */
	char **chunks;
	size_t nchunks;
	size_t used;      /* bytes used in the last chunk */
};

/* Fills *ret with every (account, client) row: the stored scores when
 * as_of is 0, else computed for each account of the database as of as_of
 * (nothing is written). weak_only keeps the `rapport weak` selection (not
 * dormant; weak or one-sided); limit > 0 lets the store stop after the
 * limit weakest (the caller still truncates: this is a shortcut, not a
 * promise). brief: the stored scores may carry only what the tables and
 * aggregates show (see store_each_score), not what --json and --csv need.
 * Rows come sorted by name, or weakest first with weak_only.
 * 0 or a negative errno (the store's message says why). report_free()
 * releases it. */
int report_load(struct store *st, const struct conf *c, int64_t as_of, bool weak_only,
		size_t limit, bool brief, struct report *ret);
void report_free(struct report *r);

/* Keeps only the first n rows. */
void report_truncate(struct report *r, size_t n);

/* Keeps the rows for which keep() is true. */
void report_filter(struct report *r, bool (*keep)(const struct report_row *, void *), void *ud);

enum report_sort { SORT_NAME, SORT_TIE, SORT_WEAK, SORT_RECIPROCITY, SORT_RESPONSE,
		   SORT_LAST, SORT_VOLUME };
/* -1 when unknown. */
int report_sort_parse(const char *s);
void report_sort(struct report *r, enum report_sort key);

/* "5 of 6 outreach threads unanswered; last reply 143 days ago". Caller frees. */
char *report_reason(const struct score *s, int64_t as_of);

enum report_format { FMT_TABLE, FMT_JSON, FMT_CSV };

/* `rapport weak` as it is most often asked (stored scores, no filter, the
 * default order): prints the table (with reasons) while the store reads
 * the rows, keeping none, the weakest limit (0: all) first; nothing at all
 * when there are none. *ret_n: the rows printed. 0 or a negative errno. */
int report_stream_weak(FILE *f, struct store *st, size_t limit, bool colour, size_t *ret_n);

/* Prints rows as a client list (table: name, department, tie, class, R, P,
 * phase, trend; with reasons when reasons is true). */
void report_print_clients(FILE *f, const struct report *r, enum report_format fmt,
			  bool reasons, bool colour);

/* Prints the aggregates of DOMAIN.md §4 grouped by department
 * (by_account false) or by liaison account. A department counts each
 * client once, by its strongest relationship among the rows (highest tie
 * strength, then highest P, then account name); a client is known by its
 * name (a roster name, or a correspondent's address). */
void report_print_groups(FILE *f, const struct report *r, bool by_account,
			 enum report_format fmt);

/* The order of relationships with one client, strongest first (DOMAIN.md
 * §4): highest tie strength, then highest P, then account name. Negative
 * when a (of account_a) comes first. */
int report_stronger(const struct score *a, const char *account_a, const struct score *b,
		    const char *account_b);

/* reason, and for a follow-up or one-sided nudge (kind) the sentence of
 * report_intro() after it. Caller frees. */
char *report_with_intro(const struct report *r, const struct conf *c, const char *account,
			const char *client, const char *kind, const char *reason);

/* Sorts rows by client and keeps each client's strongest row (as the
 * department aggregates do); returns how many are left. */
size_t report_strongest(struct report_row **rows, size_t n);

/* DOMAIN.md "team view": the strongest tie another account of the rows
 * has with client (by name), when it is strong, as a sentence naming
 * that liaison (c's display name for the account): "Rob Liaison has a
 * strong tie (86) with this client: ask for an introduction." NULL when
 * none. Caller frees. */
char *report_intro(const struct report *r, const struct conf *c, const char *account,
		   const char *client);

/* Prints text indented, broken at spaces so no line exceeds width. */
void report_wrap(FILE *f, const char *text, int indent, int width);

/* JSON helpers shared with `rapport show`. */
void report_json_string(FILE *f, const char *s);
/* One CSV field (RFC 4180: quoted when it holds a comma, quote or line
 * break, quotes doubled), then "," or, when last, CRLF. */
void report_csv_field(FILE *f, const char *s, bool last);
void report_json_score(FILE *f, const struct report_row *row, const char *indent);

#endif
