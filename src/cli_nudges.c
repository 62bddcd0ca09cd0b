/* cli_nudges: nudges, snooze, dismiss and reopen (cli.h). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "action.h"
#include "addr.h"
#include "cli.h"
#include "conf.h"
#include "log.h"
#include "model.h"
#include "nudge.h"
#include "report.h"
#include "site.h"
#include "store.h"

/* ---- nudges ------------------------------------------------------------------- */

struct nudge_out {
	struct global *g;
	int64_t now;
	size_t n;
	bool all;
	const struct strlist *liaisons; /* --liaison; empty: every account */
	bool team;                      /* several accounts: a LIAISON column */
	struct report ties;             /* every relationship, for the introductions */
};

/* A follow-up or one-sided nudge about a client another liaison is close
 * to says who could introduce (DOMAIN.md §4 "team view"). */
static char *with_intro(const struct nudge_out *x, const struct store_nudge_row *r)
{
	return report_with_intro(&x->ties, &x->g->conf, r->account, r->client, r->kind, r->reason);
}

static long days_since(int64_t now, int64_t t)
{
	return t ? (long)((now - t) / 86400) : 0;
}

static int print_nudge(void *ud, const struct store_nudge_row *r)
{
	struct nudge_out *x = ud;
	if (x->liaisons->n && !sl_contains(x->liaisons, r->account))
		return 0;
	char *why = with_intro(x, r);
	char due[32], about[32];
	epoch_to_iso(r->due, due);
	epoch_to_iso(r->about, about);
	if (x->g->fmt == FMT_JSON) {
		if (r->id)
			printf("%s\n  {\"id\": %lld, \"liaison\": ", x->n ? "," : "", (long long)r->id);
		else
			printf("%s\n  {\"id\": null, \"liaison\": ", x->n ? "," : "");
		report_json_string(stdout, r->account);
		printf(", \"client\": ");
		report_json_string(stdout, r->client);
		printf(", \"address\": ");
		report_json_string(stdout, r->address ? r->address : "");
		printf(", \"kind\": \"%s\", \"state\": \"%s\", \"due\": \"%s\", \"about\": \"%s\","
		       " \"age_days\": %ld, \"subject\": ", r->kind, r->state, due, about,
		       days_since(x->now, r->about));
		report_json_string(stdout, r->subject);
		printf(", \"reason\": ");
		report_json_string(stdout, why);
		printf(", \"delivered\": [");
		if (r->delivered && *r->delivered) {
			char *d = xstrdup(r->delivered);
			int k = 0;
			for (char *t = strtok(d, ","); t; t = strtok(NULL, ","))
				printf("%s\"%s\"", k++ ? ", " : "", t);
			free(d);
		}
		printf("]}");
	} else if (x->g->fmt == FMT_CSV) {
		char id[24] = "", age[24];
		if (r->id)
			snprintf(id, sizeof(id), "%lld", (long long)r->id);
		snprintf(age, sizeof(age), "%ld", days_since(x->now, r->about));
		const char *f[] = {id, r->account, r->client, r->kind, r->state, due, about, age,
				   r->subject, why};
		for (size_t i = 0; i < ARRAY_SIZE(f); i++)
			report_csv_field(stdout, f[i], i + 1 == ARRAY_SIZE(f));
	} else {
		char age[32];
		snprintf(age, sizeof(age), "%ldd", days_since(x->now, r->about));
		char id[24] = "-";
		if (r->id)
			snprintf(id, sizeof(id), "%lld", (long long)r->id);
		/* with --all a STATE column: a dismissed nudge must not look open;
		 * with several accounts a LIAISON column, the subject shorter */
		char acct[24] = "";
		if (x->team)
			snprintf(acct, sizeof(acct), "%-8.8s ", r->account);
		if (x->all) {
			if (!x->n)
				printf("%4s %-18.18s %s%-10s %-9s %4s %s\n", "ID", "CLIENT",
				       x->team ? "LIAISON  " : "", "KIND", "STATE", "AGE", "SUBJECT");
			printf("%4s %-18.18s %s%-10s %-9s %4s %.*s\n", id, r->client, acct, r->kind,
			       r->state, age, x->team ? 19 : 28, r->subject);
		} else {
			if (!x->n)
				printf("%4s %-20.20s %s%-10s %4s %s\n", "ID", "CLIENT",
				       x->team ? "LIAISON  " : "", "KIND", "AGE", "SUBJECT");
			printf("%4s %-20.20s %s%-10s %4s %.*s\n", id, r->client, acct, r->kind, age,
			       x->team ? 29 : 38, r->subject);
		}
		char until[32] = "";
		if (!strcmp(r->state, "snoozed"))
			epoch_to_iso(r->snooze_until, until);
		char *line = x->all && strcmp(r->state, "open") != 0
				     ? xasprintf("[%s%s%.10s] %s", r->state, *until ? " until " : "",
						 until, why)
				     : xstrdup(why);
		report_wrap(stdout, line, 5, 80);
		free(line);
	}
	free(why);
	x->n++;
	return 0;
}

/* A nudge derived from the messages as of an instant, with what the store
 * knows of it. */
struct fly_nudge {
	struct store_nudge_row row;
	char *client, *address, *subject, *reason, *delivered, *account;
	char state[16];
};

static int cmp_fly(const void *a, const void *b)
{
	const struct fly_nudge *x = a, *y = b;
	if (x->row.due != y->row.due)
		return x->row.due < y->row.due ? -1 : 1;
	/* stored ones in id order (the store's), new ones after, by name */
	if (!x->row.id != !y->row.id)
		return x->row.id ? -1 : 1;
	if (x->row.id != y->row.id)
		return x->row.id < y->row.id ? -1 : 1;
	int c = strcmp(x->row.account, y->row.account);
	if (!c)
		c = strcmp(x->row.client, y->row.client);
	return c ? c : strcmp(x->row.kind, y->row.kind);
}

/* With --as-of: the nudges the messages give as of that instant, read
 * only. A nudge the liaison snoozed or dismissed before the instant is in
 * that state then; every other one was open. */
static int fly_nudges(struct global *g, const struct store_nudge_filter *f, struct nudge_out *x)
{
	struct strlist accounts = {0};
	struct fly_nudge *v = NULL;
	size_t n = 0;
	int ret = 0;
	if (store_each_account(g->st, cli_on_account_name, &accounts) < 0) {
		log_err("%s", store_errmsg(g->st));
		return -EIO;
	}
	for (size_t a = 0; a < accounts.n && ret == 0; a++) {
		if (x->liaisons->n && !sl_contains(x->liaisons, accounts.v[a]))
			continue;
		struct model md;
		if (model_load(g->st, &g->conf, accounts.v[a], g->as_of, 0, MODEL_KEEP_SUBJECTS,
			       &md) < 0) {
			log_err("cannot load %s: %s", accounts.v[a], store_errmsg(g->st));
			ret = -EIO;
			break;
		}
		model_compute(&md);
		struct nudge_list l;
		nudge_derive(&md, &l);
		for (size_t i = 0; i < l.n; i++) {
			const struct nudge *nu = &l.v[i];
			const struct model_client *cl = &md.clients[nu->client];
			const char *kind = nudge_kind_name(nu->kind);
			if (f->kind && strcmp(f->kind, kind) != 0)
				continue;
			struct store_nudge_state sn = {0};
			int r = store_nudge_find(g->st, accounts.v[a], kind, cl->first_address, nu->key,
						 &sn);
			if (r == -EIO) {
				log_err("%s", store_errmsg(g->st));
				ret = -EIO;
				break;
			}
			const char *state = "open";
			if (r == 0 && sn.updated_at <= g->as_of &&
			    (strcmp(sn.state, "dismissed") == 0 ||
			     (strcmp(sn.state, "snoozed") == 0 && sn.snooze_until > g->as_of)))
				state = sn.state;
			if (!f->all && strcmp(state, "open") != 0) {
				free(sn.delivered);
				continue;
			}
			if (n % 64 == 0)
				v = xrealloc(v, (n + 64) * sizeof(*v));
			struct fly_nudge *fn = &v[n++];
			*fn = (struct fly_nudge){0};
			snprintf(fn->state, sizeof(fn->state), "%s", state);
			fn->account = xstrdup(accounts.v[a]);
			fn->client = xstrdup(cl->name);
			fn->address = xstrdup(cl->first_address);
			fn->subject = xstrdup(nu->msg == MODEL_NONE ? "" : md.subject[nu->msg]);
			fn->reason = xstrdup(nu->reason);
			fn->delivered = sn.delivered;
			fn->row = (struct store_nudge_row){
				.id = r == 0 ? sn.id : 0, .kind = kind, .due = nu->due,
				.snooze_until = sn.snooze_until, .about = nu->about};
		}
		nudge_list_free(&l);
		model_free(&md);
	}
	sl_free(&accounts);
	for (size_t i = 0; i < n; i++) {
		struct store_nudge_row *r = &v[i].row;
		r->account = v[i].account;
		r->client = v[i].client;
		r->address = v[i].address;
		r->subject = v[i].subject;
		r->reason = v[i].reason;
		r->delivered = v[i].delivered;
		r->state = v[i].state;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_fly);
	for (size_t i = 0; i < n && ret == 0; i++)
		print_nudge(x, &v[i].row);
	for (size_t i = 0; i < n; i++) {
		free(v[i].account);
		free(v[i].client);
		free(v[i].address);
		free(v[i].subject);
		free(v[i].reason);
		free(v[i].delivered);
	}
	free(v);
	return ret;
}

int cmd_nudges(struct global *g, int argc, char **argv)
{
	enum { O_KIND = 256, O_ALL, O_LIAISON };
	static const struct option opts[] = {
		{"kind", required_argument, NULL, O_KIND},
		{"all", no_argument, NULL, O_ALL},
		{"liaison", required_argument, NULL, O_LIAISON},
		{NULL, 0, NULL, 0},
	};
	struct store_nudge_filter f = {false, (int64_t)time(NULL), NULL, NULL, NULL};
	struct strlist liaisons = {0};
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case O_KIND:
			if (nudge_kind_parse(optarg) < 0)
				return cli_bad_value("nudges", "--kind", optarg,
						 "follow-up, reply-owed, reconnect, one-sided");
			f.kind = optarg;
			break;
		case O_ALL: f.all = true; break;
		case O_LIAISON: sl_add(&liaisons, optarg); break;
		default: sl_free(&liaisons); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "rapport nudges: unexpected argument: %s\n", argv[optind]);
		sl_free(&liaisons);
		return 2;
	}
	int bad = cli_setup(g) < 0 ? 1 : cli_known_liaisons(g, "nudges", &liaisons);
	if (bad) {
		sl_free(&liaisons);
		return bad;
	}
	if (liaisons.n == 1)
		f.account = liaisons.v[0];
	if (g->as_of)
		f.now = g->as_of; /* ages are counted from the instant asked for */
	struct nudge_out x = {g, f.now, 0, f.all, &liaisons, false, {0}};
	int ret = 1;
	/* every relationship of the team (the stored one, or as of the
	 * instant asked for), for who could introduce */
	if (report_load(g->st, &g->conf, g->as_of, false, 0, true, &x.ties) < 0) {
		log_err("cannot read the scores: %s", store_errmsg(g->st));
		goto out;
	}
	x.team = x.ties.naccounts > 1;
	if (g->fmt == FMT_JSON)
		printf("[");
	else if (g->fmt == FMT_CSV) /* the header even without a row */
		printf("id,liaison,client,kind,state,due,about,age_days,subject,reason\r\n");
	if (g->as_of) {
		if (fly_nudges(g, &f, &x) < 0)
			goto out;
	} else if (store_each_nudge(g->st, &f, print_nudge, &x) < 0) {
		log_err("cannot read the nudges: %s", store_errmsg(g->st));
		goto out;
	}
	if (g->fmt == FMT_JSON)
		printf(x.n ? "\n]\n" : "]\n");
	if (!x.n && g->fmt == FMT_TABLE)
		fprintf(stderr, "no %snudges\n", f.all ? "" : "open ");
	ret = x.n ? 0 : 1;
out:
	report_free(&x.ties);
	sl_free(&liaisons);
	return ret;
}

/* snooze, dismiss, reopen: one short transaction */
static int change_nudge(struct global *g, const char *cmd, int argc, char **argv,
			const char *state)
{
	bool snooze = strcmp(cmd, "snooze") == 0;
	if (cli_no_format(g, cmd))
		return 2;
	if (argc != (snooze ? 3 : 2)) {
		fprintf(stderr, snooze ? "usage: rapport snooze ID DAYS|DATE\n"
				       : "usage: rapport %s ID\n", cmd);
		return 2;
	}
	char *end;
	long long id = strtoll(argv[1], &end, 10);
	if (*end || id <= 0) {
		fprintf(stderr, "rapport %s: \"%s\" is not a nudge number\n", cmd, argv[1]);
		return 2;
	}
	int64_t now = (int64_t)time(NULL), until = 0;
	if (snooze) {
		long days = strtol(argv[2], &end, 10);
		if (!*end && days > 0 && days <= 3650)
			until = now + (int64_t)days * 86400;
		else if (iso_to_epoch(argv[2], &until) < 0 || until <= now) {
			fprintf(stderr, "rapport snooze: expected a number of days or a future date "
					"(YYYY-MM-DD), not \"%s\"\n", argv[2]);
			return 2;
		}
	}
	char *args = xasprintf("%s%s%s", argv[1], snooze ? " " : "", snooze ? argv[2] : "");
	int w = cli_open_rw(g, cmd, args);
	free(args);
	if (w)
		return w;
	char *old = NULL;
	const char *path = g->db ? g->db : g->conf.database;
	int r = store_begin(g->st);
	if (r == 0)
		r = store_nudge_state(g->st, id, state, until, now, &old);
	if (r == 0)
		r = store_commit(g->st);
	else
		store_rollback(g->st);
	if (r == -ENOENT) {
		fprintf(stderr, "rapport %s: no nudge %lld (see rapport nudges --all)\n", cmd, id);
		return 1;
	}
	if (r < 0) {
		log_err("%s: %s", path, store_errmsg(g->st));
		free(old);
		return 1;
	}
	char when[32] = "";
	if (until)
		epoch_to_iso(until, when);
	printf("nudge %lld: %s -> %s%s%s\n", id, old, state, until ? " until " : "", when);
	free(old);
	return 0;
}

int cmd_snooze(struct global *g, int argc, char **argv)
{
	return change_nudge(g, "snooze", argc, argv, "snoozed");
}

int cmd_dismiss(struct global *g, int argc, char **argv)
{
	return change_nudge(g, "dismiss", argc, argv, "dismissed");
}

int cmd_reopen(struct global *g, int argc, char **argv)
{
	return change_nudge(g, "reopen", argc, argv, "open");
}

