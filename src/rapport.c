/* rapport: the command line to query the rapport database. Subcommands are
 * dispatched from one table; each has --help. The database is opened
 * read-only: rapport never writes. */
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
#include "conf.h"
#include "log.h"
#include "model.h"
#include "nudge.h"
#include "report.h"
#include "site.h"
#include "store.h"

struct global {
	const char *config;
	bool config_given;
	const char *db;
	int64_t as_of;           /* 0: stored scores */
	enum report_format fmt;
	bool colour;
	struct conf conf;
	bool have_conf;
	struct store *st;
};

struct command {
	const char *name;
	const char *summary;
	int (*run)(struct global *g, int argc, char **argv);
	const char *help;
};

/* ---- setup shared by the commands ---------------------------------------- */

/* Loads the configuration (its scoring knobs and database path). Without
 * -c, a missing default file is fine when --db names the database: the
 * defaults of DOMAIN.md apply. */
static int setup(struct global *g)
{
	struct strlist errors = {0}, warnings = {0};
	int r = 0;
	if (g->config_given || !g->db || access(g->config, F_OK) == 0) {
		r = conf_load(g->config, &g->conf, &errors, &warnings);
		for (size_t i = 0; i < errors.n; i++)
			log_err("%s", errors.v[i]);
		if (r < 0 && !g->db)
			log_err("name the database with --db, or fix the configuration");
	}
	sl_free(&errors);
	sl_free(&warnings);
	if (r < 0)
		return r;
	if (!g->config_given && g->db && access(g->config, F_OK) != 0)
		conf_defaults(&g->conf);
	g->have_conf = true;
	const char *path = g->db ? g->db : g->conf.database;
	char *why = NULL;
	if ((r = store_open(path, STORE_RO, &g->st, &why)) < 0) {
		log_err("%s", why);
		free(why);
	}
	return r;
}

static void teardown(struct global *g)
{
	store_close(g->st);
	if (g->have_conf)
		conf_free(&g->conf);
}

static int64_t now_or_as_of(const struct global *g)
{
	return g->as_of ? g->as_of : (int64_t)time(NULL);
}

/* ---- clients and weak ------------------------------------------------------- */

struct filters {
	int klass, phase, trend;
	const char *department;
	struct strlist liaisons; /* --liaison, repeatable; empty: every account */
	bool one_sided;
};

static void on_account_name(void *ud, int64_t id, const char *name);

/* Every --liaison names an account of the database: 0, else says which
 * accounts there are and returns 2. */
static int known_liaisons(struct global *g, const char *cmd, const struct strlist *l)
{
	struct strlist have = {0};
	int ret = 0;
	if (store_each_account(g->st, on_account_name, &have) < 0) {
		log_err("%s", store_errmsg(g->st));
		return 1;
	}
	for (size_t i = 0; i < l->n && !ret; i++)
		if (!sl_contains(&have, l->v[i])) {
			char *names = sl_join(&have, ", ");
			fprintf(stderr, "rapport %s: --liaison: no account \"%s\" in the database "
					"(accounts: %s)\n", cmd, l->v[i], *names ? names : "none yet");
			free(names);
			ret = 2;
		}
	sl_free(&have);
	return ret;
}

static bool keep_row(const struct report_row *row, void *ud)
{
	const struct filters *f = ud;
	if (f->klass >= 0 && (int)row->s.klass != f->klass)
		return false;
	if (f->phase >= 0 && (int)row->s.phase != f->phase)
		return false;
	if (f->trend >= 0 && (int)row->s.trend != f->trend)
		return false;
	if (f->department && strcmp(f->department, row->department) != 0)
		return false;
	if (f->liaisons.n && !sl_contains(&f->liaisons, row->account))
		return false;
	return !f->one_sided || row->s.one_sided;
}

static int bad_value(const char *cmd, const char *opt, const char *v, const char *allowed)
{
	fprintf(stderr, "rapport %s: %s: unknown value \"%s\" (one of: %s)\n", cmd, opt, v, allowed);
	return 2;
}

static int list(struct global *g, const char *cmd, bool weak, int argc, char **argv)
{
	enum { O_CLASS = 256, O_DEPT, O_LIAISON, O_PHASE, O_TREND, O_ONESIDED, O_SORT, O_LIMIT };
	static const struct option opts[] = {
		{"class", required_argument, NULL, O_CLASS},
		{"department", required_argument, NULL, O_DEPT},
		{"liaison", required_argument, NULL, O_LIAISON},
		{"phase", required_argument, NULL, O_PHASE},
		{"trend", required_argument, NULL, O_TREND},
		{"one-sided", no_argument, NULL, O_ONESIDED},
		{"sort", required_argument, NULL, O_SORT},
		{"limit", required_argument, NULL, O_LIMIT},
		{NULL, 0, NULL, 0},
	};
	struct filters f = {-1, -1, -1, NULL, {0}, false};
	size_t limit = 0;
	char *end;
	int sort = weak ? SORT_WEAK : SORT_NAME, o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case O_CLASS:
			if ((f.klass = score_class_parse(optarg)) < 0)
				return bad_value(cmd, "--class", optarg, "strong, moderate, weak");
			break;
		case O_PHASE:
			if ((f.phase = score_phase_parse(optarg)) < 0)
				return bad_value(cmd, "--phase", optarg,
						 "dormant, commitment, awareness, exploration");
			break;
		case O_TREND:
			if ((f.trend = score_trend_parse(optarg)) < 0)
				return bad_value(cmd, "--trend", optarg,
						 "steady, new, \"coming together\", \"coming apart\"");
			break;
		case O_DEPT: f.department = optarg; break;
		case O_LIAISON: sl_add(&f.liaisons, optarg); break;
		case O_ONESIDED: f.one_sided = true; break;
		case O_LIMIT:
			limit = strtoul(optarg, &end, 10);
			if (*end || !*optarg || limit == 0) {
				fprintf(stderr, "rapport %s: --limit: expected a positive whole "
						"number, not \"%s\"\n", cmd, optarg);
				return 2;
			}
			break;
		case O_SORT:
			if ((sort = report_sort_parse(optarg)) < 0)
				return bad_value(cmd, "--sort", optarg,
						 "name, tie, weak, reciprocity, response, last, volume");
			break;
		default: return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "rapport %s: unexpected argument: %s\n", cmd, argv[optind]);
		return 2;
	}
	if (setup(g) < 0) {
		sl_free(&f.liaisons);
		return 1;
	}
	int bad = known_liaisons(g, cmd, &f.liaisons);
	if (bad) {
		sl_free(&f.liaisons);
		return bad;
	}
	struct report r;
	/* the store may stop early only when nothing else narrows or reorders */
	bool shortcut = weak && sort == SORT_WEAK && f.klass < 0 && f.phase < 0 && f.trend < 0 &&
			!f.department && !f.liaisons.n && !f.one_sided;
	int e = report_load(g->st, &g->conf, g->as_of, weak, shortcut ? limit : 0,
			    g->fmt == FMT_TABLE, &r);
	if (e < 0) {
		log_err("cannot read the scores: %s", store_errmsg(g->st));
		return 1;
	}
	report_filter(&r, keep_row, &f);
	sl_free(&f.liaisons);
	/* report_load's own order is the default one */
	if (sort != (weak ? SORT_WEAK : SORT_NAME))
		report_sort(&r, (enum report_sort)sort);
	if (limit)
		report_truncate(&r, limit);
	int ret = 0;
	if (r.n == 0 && g->fmt == FMT_TABLE) {
		fprintf(stderr, weak ? "no weak or one-sided relationships%s\n"
				     : "no clients match%s\n",
			g->as_of ? "" : " (scores are computed by rapportd)");
		ret = 1;
	} else {
		report_print_clients(stdout, &r, g->fmt, weak, g->colour);
		ret = r.n ? 0 : 1;
	}
	report_free(&r);
	return ret;
}

static int cmd_clients(struct global *g, int argc, char **argv)
{
	return list(g, "clients", false, argc, argv);
}

static int cmd_weak(struct global *g, int argc, char **argv)
{
	return list(g, "weak", true, argc, argv);
}

static int groups(struct global *g, const char *cmd, bool by_account, int argc, char **argv)
{
	enum { O_LIAISON = 256 };
	static const struct option opts[] = {
		{"liaison", required_argument, NULL, O_LIAISON},
		{NULL, 0, NULL, 0},
	};
	struct filters f = {-1, -1, -1, NULL, {0}, false};
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o != O_LIAISON) {
			sl_free(&f.liaisons);
			return 2;
		}
		sl_add(&f.liaisons, optarg);
	}
	if (optind < argc) {
		fprintf(stderr, "rapport %s: unexpected argument: %s\n", cmd, argv[optind]);
		sl_free(&f.liaisons);
		return 2;
	}
	int bad = setup(g) < 0 ? 1 : known_liaisons(g, cmd, &f.liaisons);
	if (bad) {
		sl_free(&f.liaisons);
		return bad;
	}
	struct report r;
	if (report_load(g->st, &g->conf, g->as_of, false, 0, true, &r) < 0) {
		log_err("cannot read the scores: %s", store_errmsg(g->st));
		sl_free(&f.liaisons);
		return 1;
	}
	/* the department's tie is the strongest among the liaisons asked for */
	report_filter(&r, keep_row, &f);
	sl_free(&f.liaisons);
	int ret = 0;
	if (r.n == 0 && g->fmt == FMT_TABLE) {
		fprintf(stderr, "no scores yet (rapportd computes them)\n");
		ret = 1;
	} else {
		report_print_groups(stdout, &r, by_account, g->fmt);
		ret = r.n ? 0 : 1;
	}
	report_free(&r);
	return ret;
}

static int cmd_departments(struct global *g, int argc, char **argv)
{
	return groups(g, "departments", false, argc, argv);
}

static int cmd_liaisons(struct global *g, int argc, char **argv)
{
	return groups(g, "liaisons", true, argc, argv);
}

/* ---- show ---------------------------------------------------------------------- */

struct status_of {
	int64_t reply_window;   /* seconds */
	uint32_t *thread_label; /* per message index: label number, 0 = none */
	const char **status;    /* per message index */
	uint32_t labels;
	uint32_t *thread_ids;   /* label - 1 -> thread id */
};

static void on_proj(void *ud, uint32_t thread, const uint32_t *msgs, size_t n,
		    const struct score_proj *p)
{
	struct status_of *so = ud;
	so->thread_ids[so->labels] = thread;
	uint32_t label = ++so->labels;
	for (size_t i = 0; i < n; i++) {
		so->thread_label[msgs[i]] = label;
		so->status[msgs[i]] = "";
	}
	const char *first;
	if (p->initiator == INIT_UNKNOWN)
		first = "not judged";
	else if (p->initiator == INIT_CLIENT)
		first = "they started";
	else if (p->undelivered)
		first = "bounced";
	else {
		first = "unanswered";
		for (uint32_t i = 1; i < p->n; i++)
			if (!p->m[i].outbound && p->m[i].date > p->m[0].date &&
			    p->m[i].date <= p->m[0].date + so->reply_window)
				first = "answered";
	}
	so->status[msgs[0]] = first;
}

static void show_one(struct global *g, struct model *md, uint32_t ci, bool *first_json)
{
	const struct model_client *cl = &md->clients[ci];
	const struct score *s = &cl->score;
	struct report_row row = {.account = md->account_name, .client = cl->name,
				 .department = cl->department, .address = cl->first_address,
				 .as_of = md->as_of, .s = *s};
	struct status_of so = {0};
	so.reply_window = (int64_t)md->conf->scoring.reply_window_days * 86400;
	so.thread_label = xcalloc(md->n + 1, sizeof(*so.thread_label));
	so.status = xcalloc(md->n + 1, sizeof(*so.status));
	so.thread_ids = xcalloc(md->n + 1, sizeof(*so.thread_ids));
	model_each_projection(md, ci, on_proj, &so);
	/* pending outreach: unanswered but younger than the reply window */
	int64_t rw = (int64_t)md->conf->scoring.reply_window_days * 86400;
	for (size_t i = 0; i < md->n; i++)
		if (so.status[i] && strcmp(so.status[i], "unanswered") == 0 &&
		    md->as_of - md->m[i].date < rw)
			so.status[i] = "pending";

	if (g->fmt == FMT_JSON) {
		fputs(*first_json ? "[\n  {\n" : ",\n  {\n", stdout);
		*first_json = false;
		report_json_score(stdout, &row, "    ");
		fputs("    ,\"messages\": [", stdout);
	} else if (g->fmt == FMT_CSV) {
		/* the evidence, one message a row; the scores are clients --csv */
		if (*first_json)
			printf("liaison,client,address,date,direction,kind,thread,counted,status,"
			       "subject\r\n");
		*first_json = false;
	} else {
		char *reason = report_reason(s, md->as_of);
		printf("%s <%s>\n  liaison %s, department %s, as of ", cl->name, cl->first_address,
		       md->account_name, cl->department);
		char t[32];
		epoch_to_iso(md->as_of, t);
		printf("%s\n", t);
		printf("  tie strength %d (%s)%s, phase %s, trend %s\n", s->tie_strength,
		       score_class_name(s->klass), s->one_sided ? ", one-sided" : "",
		       score_phase_name(s->phase), score_trend_name(s->trend));
		printf("  reciprocity %.2f (you %.2f, them %.2f), volume %.2f\n", s->reciprocity,
		       s->out_weight, s->in_weight, s->volume);
		if (s->decided)
			printf("  response rate %.2f (%d of %d outreach answered, %d pending, %d "
			       "bounced)\n", s->response_rate, s->answered, s->decided, s->pending,
			       s->undelivered);
		else
			printf("  response rate %.2f, the prior: no outreach decided yet (%d pending, "
			       "%d bounced)\n", s->response_rate, s->pending, s->undelivered);
		printf("  initiation balance %.2f (%d started by them, %d by you, %d not judged)\n",
		       s->initiation_balance, s->client_initiated, s->liaison_initiated,
		       s->unknown_initiated);
		printf("  median reply time: theirs ");
		if (s->client_latency_h >= 0)
			printf("%.1f h", s->client_latency_h);
		else
			printf("-");
		printf(", yours ");
		if (s->liaison_latency_h >= 0)
			printf("%.1f h\n", s->liaison_latency_h);
		else
			printf("-\n");
		report_wrap(stdout, reason, 2, 80);
		printf("\n");
		free(reason);
		printf("%-10s %-3s %-9s %-6s %-12s %s\n", "DATE", "DIR", "KIND", "THREAD", "STATUS",
		       "SUBJECT");
	}
	int64_t window = (int64_t)md->conf->scoring.window_days * 86400;
	bool first = true;
	for (size_t i = 0; i < md->n; i++) {
		const struct model_msg *m = &md->m[i];
		bool involved = m->sender == ci;
		for (uint32_t k = 0; k < m->n_to && !involved; k++)
			involved = md->rcpt[m->to_off + k] == ci;
		if (!involved)
			continue;
		bool counted = so.thread_label[i] != 0;
		const char *status = counted ? so.status[i]
				     : m->kind != MSG_PERSONAL ? "not counted"
				     : md->as_of - m->date > window ? "too old"
								    : "not counted";
		char date[32], thread[16] = "-";
		epoch_to_iso(m->date, date);
		date[10] = '\0';
		if (counted)
			snprintf(thread, sizeof(thread), "T%u", so.thread_label[i]);
		const char *dir = m->dir == DIR_OUTBOUND ? "out" : m->dir == DIR_INBOUND ? "in" : "-";
		const char *subject = md->subject ? md->subject[i] : "";
		if (g->fmt == FMT_JSON) {
			printf("%s\n      {\"date\": ", first ? "" : ",");
			epoch_to_iso(m->date, date);
			printf("\"%s\", \"direction\": \"%s\", \"kind\": \"%s\", \"thread\": %s%s%s,"
			       " \"counted\": %s, \"status\": ", date, msg_direction_name(m->dir),
			       msg_kind_name(m->kind), counted ? "\"" : "", counted ? thread : "null",
			       counted ? "\"" : "", counted ? "true" : "false");
			report_json_string(stdout, status);
			printf(", \"subject\": ");
			report_json_string(stdout, subject);
			printf("}");
		} else if (g->fmt == FMT_CSV) {
			epoch_to_iso(m->date, date);
			const char *f[] = {md->account_name, cl->name, cl->first_address, date,
					   msg_direction_name(m->dir), msg_kind_name(m->kind),
					   counted ? thread : "", counted ? "true" : "false", status,
					   subject};
			for (size_t k = 0; k < ARRAY_SIZE(f); k++)
				report_csv_field(stdout, f[k], k + 1 == ARRAY_SIZE(f));
		} else {
			printf("%-10s %-3s %-9s %-6s %-12s %.36s\n", date, dir, msg_kind_name(m->kind),
			       thread, status, subject);
		}
		first = false;
	}
	if (g->fmt == FMT_JSON)
		printf("%s]\n  }", first ? "" : "\n    ");
	free(so.thread_label);
	free(so.status);
	free(so.thread_ids);
}

static void on_account_name(void *ud, int64_t id, const char *name)
{
	(void)id;
	sl_add(ud, name);
}

/* One account's relationship with the client asked for. */
struct shown {
	struct model md;
	uint32_t ci;
	int open;          /* its open nudges (derived now, minus snoozed and dismissed) */
};

static int cmp_shown(const void *a, const void *b)
{
	const struct shown *x = a, *y = b;
	const struct score *p = &x->md.clients[x->ci].score, *q = &y->md.clients[y->ci].score;
	if (p->tie_strength != q->tie_strength)
		return p->tie_strength > q->tie_strength ? -1 : 1;
	if (p->response_rate != q->response_rate)
		return p->response_rate > q->response_rate ? -1 : 1;
	return strcmp(x->md.account_name, y->md.account_name);
}

static int open_nudges(struct global *g, struct shown *sh)
{
	struct nudge_list l;
	int open = 0;
	nudge_derive(&sh->md, &l);
	for (size_t i = 0; i < l.n; i++) {
		if (l.v[i].client != sh->ci)
			continue;
		struct store_nudge_state sn = {0};
		int r = store_nudge_find(g->st, sh->md.account_name, nudge_kind_name(l.v[i].kind),
					 sh->md.clients[sh->ci].first_address, l.v[i].key, &sn);
		int64_t at = sh->md.as_of;
		open += !(r == 0 && sn.updated_at <= at &&
			  (strcmp(sn.state, "dismissed") == 0 ||
			   (strcmp(sn.state, "snoozed") == 0 && sn.snooze_until > at)));
		free(sn.delivered);
	}
	nudge_list_free(&l);
	return open;
}

/* DOMAIN.md §4: the client's relationship with every account it is a
 * client of, strongest first. */
static void team_view(struct global *g, const struct shown *v, size_t n)
{
	const struct model_client *cl = &v[0].md.clients[v[0].ci];
	char t[32];
	epoch_to_iso(v[0].md.as_of, t);
	printf("%s <%s>, %s: the team's ties on %.10s\n", cl->name, cl->first_address,
	       cl->department, t);
	printf("  %-16s %3s %-9s %-11s %-15s %-10s %s\n", "LIAISON", "TIE", "CLASS", "PHASE",
	       "TREND", "LAST", "NUDGES");
	for (size_t i = 0; i < n; i++) {
		const struct score *s = &v[i].md.clients[v[i].ci].score;
		const struct conf_account *a = conf_account_find(&g->conf, v[i].md.account_name);
		char who[64], last[32] = "-", cls[16];
		snprintf(who, sizeof(who), "%s", a && a->liaison && strcmp(a->liaison, a->name)
							? a->liaison : v[i].md.account_name);
		if (s->last_message) {
			epoch_to_iso(s->last_message, last);
			last[10] = '\0';
		}
		snprintf(cls, sizeof(cls), "%s%s", score_class_name(s->klass), s->one_sided ? "*" : "");
		printf("  %-16.16s %3d %-9s %-11s %-15s %-10s %d\n", who, s->tie_strength, cls,
		       score_phase_name(s->phase), score_trend_name(s->trend), last, v[i].open);
	}
	printf("\n");
}

static int cmd_show(struct global *g, int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "rapport show: name one client (a name or an address)\n");
		return 2;
	}
	if (setup(g) < 0)
		return 1;
	const char *who = argv[1];
	char *addr = addr_normalize(who);
	struct strlist accounts = {0};
	if (store_each_account(g->st, on_account_name, &accounts) < 0) {
		log_err("%s", store_errmsg(g->st));
		free(addr);
		return 1;
	}
	struct shown *v = xcalloc(accounts.n + 1, sizeof(*v));
	size_t found = 0;
	for (size_t a = 0; a < accounts.n; a++) {
		struct shown *sh = &v[found];
		if (model_load(g->st, &g->conf, accounts.v[a], now_or_as_of(g), 0,
			       MODEL_KEEP_SUBJECTS, &sh->md) < 0) {
			log_err("cannot load %s: %s", accounts.v[a], store_errmsg(g->st));
			continue;
		}
		uint32_t ci = addr ? model_client_of(&sh->md, addr) : MODEL_NONE;
		for (size_t i = 0; i < sh->md.nclients && ci == MODEL_NONE; i++)
			if (ascii_strcasecmp(sh->md.clients[i].name, who) == 0)
				ci = (uint32_t)i;
		if (ci == MODEL_NONE) {
			model_free(&sh->md);
			continue;
		}
		sh->ci = ci;
		model_compute(&sh->md);
		sh->open = open_nudges(g, sh);
		found++;
	}
	qsort(v, found, sizeof(*v), cmp_shown);
	/* with several liaisons the team view first; then each one's evidence */
	if (found && accounts.n > 1 && g->fmt == FMT_TABLE)
		team_view(g, v, found);
	bool first_json = true;
	for (size_t i = 0; i < found; i++) {
		if (i && g->fmt == FMT_TABLE)
			printf("\n");
		show_one(g, &v[i].md, v[i].ci, &first_json);
		model_free(&v[i].md);
	}
	free(v);
	if (g->fmt == FMT_JSON && found)
		printf("\n]\n");
	sl_free(&accounts);
	free(addr);
	if (!found) {
		fprintf(stderr, "rapport show: no client \"%s\" (try rapport clients)\n", who);
		return 1;
	}
	return 0;
}

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
	if (store_each_account(g->st, on_account_name, &accounts) < 0) {
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

static int cmd_nudges(struct global *g, int argc, char **argv)
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
				return bad_value("nudges", "--kind", optarg,
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
	int bad = setup(g) < 0 ? 1 : known_liaisons(g, "nudges", &liaisons);
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

static int no_format(const struct global *g, const char *cmd);

/* Opens the database for one of the CLI's writes (snooze, dismiss,
 * reopen, and the overrides). Only the user rapportd runs as writes it:
 * anyone else (root included, whose -wal would lock the daemon out) is
 * told the ways that work, with the command line to run (cmd args). 0,
 * or the exit status. */
static int open_rw(struct global *g, const char *cmd, const char *args)
{
	struct strlist errors = {0}, warnings = {0};
	if (!g->db && conf_load(g->config, &g->conf, &errors, &warnings) == 0)
		g->have_conf = true;
	for (size_t i = 0; i < errors.n; i++)
		log_err("%s", errors.v[i]);
	sl_free(&errors);
	sl_free(&warnings);
	if (!g->db && !g->have_conf)
		return 1;
	char *why = NULL;
	const char *path = g->db ? g->db : g->conf.database;
	bool group = g->have_conf && g->conf.database_group_read;
	struct stat sb;
	if (stat(path, &sb) == 0 && (sb.st_uid != geteuid() || access(path, W_OK) != 0)) {
		struct passwd *pw = getpwuid(sb.st_uid);
		const char *owner = pw ? pw->pw_name : "the service user";
		fprintf(stderr, "rapport %s: %s belongs to %s, and only %s changes it: run "
				"sudo -u %s rapport %s %s, or use the nudge's links in the digest "
				"mail (snooze 7 or 30 days, dismiss, not a client)\n", cmd, path,
			owner, owner, owner, cmd, args);
		return 1;
	}
	if (store_open(path, group ? STORE_RW_GROUP : STORE_RW, &g->st, &why) < 0) {
		log_err("%s", why);
		free(why);
		return 1;
	}
	return 0;
}

/* snooze, dismiss, reopen: one short transaction */
static int change_nudge(struct global *g, const char *cmd, int argc, char **argv,
			const char *state)
{
	bool snooze = strcmp(cmd, "snooze") == 0;
	if (no_format(g, cmd))
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
	int w = open_rw(g, cmd, args);
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

static int cmd_snooze(struct global *g, int argc, char **argv)
{
	return change_nudge(g, "snooze", argc, argv, "snoozed");
}

static int cmd_dismiss(struct global *g, int argc, char **argv)
{
	return change_nudge(g, "dismiss", argc, argv, "dismissed");
}

static int cmd_reopen(struct global *g, int argc, char **argv)
{
	return change_nudge(g, "reopen", argc, argv, "open");
}

/* ---- overrides --------------------------------------------------------------- */

/* Who sets an override: the Unix user, and the one behind sudo. */
static char *setter(void)
{
	struct passwd *pw = getpwuid(getuid());
	const char *me = pw ? pw->pw_name : "?";
	const char *sudo = getenv("SUDO_USER");
	if (sudo && *sudo && strcmp(sudo, me) != 0 && !strpbrk(sudo, "\r\n"))
		return xasprintf("%s (sudo -u %s)", sudo, me);
	return xstrdup(me);
}

/* A CLIENT|ADDRESS argument: an address as it is (normalised), or the
 * exact name of a client the database knows. *ret (caller frees); *roster
 * whether it is (or the address belongs to) a roster client. 0, else the
 * exit status after saying why. */
static int target(struct global *g, const char *cmd, const char *arg, char **ret, bool *roster)
{
	char *addr = strchr(arg, '@') ? addr_normalize(arg) : NULL, *name = NULL;
	*roster = false;
	if (addr) {
		if (store_client_find(g->st, addr, true, &name, roster) == -EIO)
			goto io;
		free(name);
		*ret = addr;
		return 0;
	}
	int r = store_client_find(g->st, arg, false, &name, roster);
	if (r == 0) {
		*ret = name;
		return 0;
	}
	if (r == -EIO)
		goto io;
	fprintf(stderr, "rapport %s: no client named \"%s\" (rapport clients lists them; an "
			"address works too)\n", cmd, arg);
	return 1;
io:
	free(addr);
	log_err("%s", store_errmsg(g->st));
	return 1;
}

/* The options every override command takes. */
struct over_opts {
	const char *liaison; /* NULL: every account */
	const char *reason;
	int first;           /* argv index of the first operand */
};

static int over_args(struct global *g, const char *cmd, int argc, char **argv, bool reason,
		     int operands, struct over_opts *o)
{
	enum { O_LIAISON = 256, O_REASON };
	static const struct option opts[] = {
		{"liaison", required_argument, NULL, O_LIAISON},
		{"reason", required_argument, NULL, O_REASON},
		{NULL, 0, NULL, 0},
	};
	int c;
	*o = (struct over_opts){0};
	optind = 0; /* glibc starts afresh: options may follow the operands */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == O_LIAISON)
			o->liaison = optarg;
		else if (c == O_REASON && reason)
			o->reason = optarg;
		else {
			if (c == O_REASON)
				fprintf(stderr, "rapport %s: --reason is for ignore\n", cmd);
			return 2;
		}
	}
	if (argc - optind != operands) {
		fprintf(stderr, "rapport %s: expected %d argument%s (see rapport %s --help)\n", cmd,
			operands, operands == 1 ? "" : "s", cmd);
		return 2;
	}
	if (no_format(g, cmd))
		return 2;
	if (o->reason && (strlen(o->reason) > 500 || strpbrk(o->reason, "\r\n"))) {
		fprintf(stderr, "rapport %s: --reason: one line of at most 500 bytes\n", cmd);
		return 2;
	}
	o->first = optind;
	return 0;
}

/* Opens the database for writing, checks --liaison, and says how to redo
 * the command as the service user when refused. */
static int over_open(struct global *g, const char *cmd, int argc, char **argv,
		     const struct over_opts *o)
{
	struct sbuf sb = {0};
	for (int i = 1; i < argc; i++) {
		bool plain = argv[i][0] && !strpbrk(argv[i], " \t\"'$`\\;&|<>()*?");
		sb_printf(&sb, i > 1 ? " %s%s%s" : "%s%s%s", plain ? "" : "'", argv[i],
			  plain ? "" : "'");
	}
	int w = open_rw(g, cmd, sb.buf ? sb.buf : "");
	sb_free(&sb);
	if (w)
		return w;
	struct strlist one = {0};
	if (o->liaison)
		sl_add(&one, o->liaison);
	w = known_liaisons(g, cmd, &one);
	sl_free(&one);
	return w;
}

static int over_write(struct global *g, int (*fn)(struct store *, void *), void *ud)
{
	int r = store_begin(g->st);
	if (r == 0)
		r = fn(g->st, ud);
	if (r == 0)
		r = store_commit(g->st);
	else
		store_rollback(g->st);
	if (r < 0)
		log_err("%s", store_errmsg(g->st));
	return r < 0 ? 1 : 0;
}

static int put_one(struct store *st, void *ud)
{
	return store_override_put(st, ud);
}

struct del_one {
	const char *kind, *account, *subject;
	int n;
};

static int del_one(struct store *st, void *ud)
{
	struct del_one *d = ud;
	return store_override_del(st, d->kind, d->account, d->subject, &d->n);
}

static const char *scope(const struct over_opts *o)
{
	return o->liaison ? o->liaison : "every liaison";
}

static int cmd_ignore(struct global *g, int argc, char **argv)
{
	struct over_opts o;
	int r = over_args(g, "ignore", argc, argv, true, 1, &o);
	if (r || (r = over_open(g, "ignore", argc, argv, &o)))
		return r;
	char *who;
	bool roster;
	if ((r = target(g, "ignore", argv[o.first], &who, &roster)))
		return r;
	char *by = setter();
	struct store_override ov = {.kind = "ignore", .account = o.liaison, .subject = who,
				    .reason = o.reason, .set_by = by, .set_at = (int64_t)time(NULL)};
	r = over_write(g, put_one, &ov);
	if (!r)
		printf("%s is not a client of %s from the next refresh; its messages stay stored "
		       "(rapport unignore undoes it)\n", who, scope(&o));
	free(by);
	free(who);
	return r;
}

static int undo(struct global *g, const char *cmd, const char *kind, int argc, char **argv)
{
	struct over_opts o;
	int r = over_args(g, cmd, argc, argv, false, 1, &o);
	if (r || (r = over_open(g, cmd, argc, argv, &o)))
		return r;
	char *who = NULL;
	bool roster;
	const char *arg = argv[o.first];
	/* a name gone from the database can still be undone as written */
	if (strchr(arg, '@'))
		who = addr_normalize(arg);
	else if (store_client_find(g->st, arg, false, &who, &roster) != 0)
		who = NULL;
	if (!who)
		who = xstrdup(arg);
	struct del_one d = {kind, o.liaison, who, 0};
	r = over_write(g, del_one, &d);
	if (!r && !d.n) {
		fprintf(stderr, "rapport %s: no %s override for %s (%s); rapport overrides lists "
				"them\n", cmd, kind, who, scope(&o));
		r = 1;
	} else if (!r) {
		printf("%s: %d %s override%s removed (%s)\n", who, d.n, kind, d.n == 1 ? "" : "s",
		       scope(&o));
	}
	free(who);
	return r;
}

static int cmd_unignore(struct global *g, int argc, char **argv)
{
	return undo(g, "unignore", "ignore", argc, argv);
}

static int cmd_unmerge(struct global *g, int argc, char **argv)
{
	return undo(g, "unmerge", "merge", argc, argv);
}

static int cmd_merge(struct global *g, int argc, char **argv)
{
	struct over_opts o;
	int r = over_args(g, "merge", argc, argv, false, 2, &o);
	if (r || (r = over_open(g, "merge", argc, argv, &o)))
		return r;
	char *a, *b;
	bool ra, rb;
	if ((r = target(g, "merge", argv[o.first], &a, &ra)))
		return r;
	if ((r = target(g, "merge", argv[o.first + 1], &b, &rb))) {
		free(a);
		return r;
	}
	char *na = NULL, *nb = NULL;
	bool x;
	/* the clients behind two addresses */
	if (strchr(a, '@'))
		store_client_find(g->st, a, true, &na, &x);
	if (strchr(b, '@'))
		store_client_find(g->st, b, true, &nb, &x);
	const char *ca = na ? na : a, *cb = nb ? nb : b;
	if (strcmp(ca, cb) == 0) {
		fprintf(stderr, "rapport merge: %s and %s are one client already\n", a, b);
		r = 1;
	} else if (ra && rb) {
		fprintf(stderr, "rapport merge: %s and %s are both on the roster: two roster clients "
				"are never merged; give one roster row both addresses instead (rows "
				"with the same name are one client)\n", ca, cb);
		r = 1;
	} else {
		char *by = setter();
		struct store_override ov = {.kind = "merge", .account = o.liaison, .subject = b,
					    .target = a, .set_by = by,
					    .set_at = (int64_t)time(NULL)};
		r = over_write(g, put_one, &ov);
		if (!r)
			printf("one client: %s, for %s from the next refresh (rapport unmerge %s "
			       "undoes it)\n", ra ? ca : rb ? cb : a, scope(&o), strchr(b, '@') ? b : a);
		free(by);
	}
	free(na);
	free(nb);
	free(a);
	free(b);
	return r;
}

static int cmd_cadence(struct global *g, int argc, char **argv)
{
	struct over_opts o;
	int r = over_args(g, "cadence", argc, argv, false, 2, &o);
	if (r)
		return r;
	const char *v = argv[o.first + 1];
	char *end;
	long days = strtol(v, &end, 10);
	bool off = strcmp(v, "off") == 0;
	if (!off && (*end || end == v || days < 1 || days > 3650)) {
		fprintf(stderr, "rapport cadence: expected a number of days (1 to 3650) or off, not "
				"\"%s\"\n", v);
		return 2;
	}
	if ((r = over_open(g, "cadence", argc, argv, &o)))
		return r;
	char *who;
	bool roster;
	if ((r = target(g, "cadence", argv[o.first], &who, &roster)))
		return r;
	if (off) {
		struct del_one d = {"cadence", o.liaison, who, 0};
		r = over_write(g, del_one, &d);
		if (!r)
			printf(d.n ? "%s: no cadence any more (%s)\n"
				   : "%s: had no cadence (%s)\n", who, scope(&o));
	} else {
		char *by = setter();
		struct store_override ov = {.kind = "cadence", .account = o.liaison, .subject = who,
					    .days = (int)days, .set_by = by,
					    .set_at = (int64_t)time(NULL)};
		r = over_write(g, put_one, &ov);
		if (!r)
			printf("%s: a reconnect nudge after %ld days without a message (%s), whatever "
			       "the tie\n", who, days, scope(&o));
		free(by);
	}
	free(who);
	return r;
}

struct over_list {
	enum report_format fmt;
	size_t n;
};

static int print_override(void *ud, const struct store_override *ov)
{
	struct over_list *x = ud;
	char when[32], days[16] = "";
	epoch_to_iso(ov->set_at, when);
	if (ov->days)
		snprintf(days, sizeof(days), "%d", ov->days);
	const char *liaison = ov->account && *ov->account ? ov->account : NULL;
	if (x->fmt == FMT_JSON) {
		printf("%s\n  {\"id\": %lld, \"kind\": \"%s\", \"liaison\": ", x->n ? "," : "",
		       (long long)ov->id, ov->kind);
		if (liaison)
			report_json_string(stdout, liaison);
		else
			fputs("null", stdout);
		printf(", \"subject\": ");
		report_json_string(stdout, ov->subject);
		printf(", \"target\": ");
		if (ov->target)
			report_json_string(stdout, ov->target);
		else
			fputs("null", stdout);
		printf(", \"days\": %s, \"reason\": ", ov->days ? days : "null");
		if (ov->reason)
			report_json_string(stdout, ov->reason);
		else
			fputs("null", stdout);
		printf(", \"set_by\": ");
		report_json_string(stdout, ov->set_by);
		printf(", \"set_at\": \"%s\"}", when);
	} else if (x->fmt == FMT_CSV) {
		char id[24];
		snprintf(id, sizeof(id), "%lld", (long long)ov->id);
		const char *f[] = {id, ov->kind, liaison ? liaison : "", ov->subject,
				   ov->target ? ov->target : "", days, ov->reason ? ov->reason : "",
				   ov->set_by, when};
		for (size_t i = 0; i < ARRAY_SIZE(f); i++)
			report_csv_field(stdout, f[i], i + 1 == ARRAY_SIZE(f));
	} else {
		if (!x->n)
			printf("%3s %-7s %-8s %-40s %s\n", "ID", "KIND", "LIAISON", "WHAT", "SET");
		char *what = !strcmp(ov->kind, "merge")
				     ? xasprintf("%s joins %s", ov->subject, ov->target ? ov->target : "")
			     : !strcmp(ov->kind, "cadence")
				     ? xasprintf("%s every %d days", ov->subject, ov->days)
				     : xasprintf("%s%s%s%s", ov->subject, ov->reason ? " (" : "",
						 ov->reason ? ov->reason : "", ov->reason ? ")" : "");
		when[10] = '\0';
		printf("%3lld %-7s %-8.8s %-40s %s %s\n", (long long)ov->id, ov->kind,
		       liaison ? liaison : "(all)", what, when, ov->set_by);
		free(what);
	}
	x->n++;
	return 0;
}

static int cmd_overrides(struct global *g, int argc, char **argv)
{
	if (argc > 1) {
		fprintf(stderr, "rapport overrides: unexpected argument: %s\n", argv[1]);
		return 2;
	}
	if (setup(g) < 0)
		return 1;
	struct over_list x = {g->fmt, 0};
	if (g->fmt == FMT_JSON)
		printf("[");
	else if (g->fmt == FMT_CSV) /* the header even without a row */
		printf("id,kind,liaison,subject,target,days,reason,set_by,set_at\r\n");
	if (store_each_override(g->st, NULL, print_override, &x) < 0) {
		log_err("%s", store_errmsg(g->st));
		return 1;
	}
	if (g->fmt == FMT_JSON)
		printf(x.n ? "\n]\n" : "]\n");
	if (!x.n && g->fmt == FMT_TABLE)
		fprintf(stderr, "no overrides (rapport ignore, merge and cadence set them)\n");
	return 0;
}

/* ---- report -------------------------------------------------------------------- */

static int cmd_report(struct global *g, int argc, char **argv)
{
	enum { O_LIAISON = 256 };
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"liaison", required_argument, NULL, O_LIAISON},
		{NULL, 0, NULL, 0},
	};
	struct strlist liaisons = {0};
	const char *dir = NULL;
	int o;
	optind = 0;
	while ((o = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		if (o == 'o')
			dir = optarg;
		else if (o == O_LIAISON)
			sl_add(&liaisons, optarg);
		else {
			sl_free(&liaisons);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "rapport report: unexpected argument: %s\n", argv[optind]);
		sl_free(&liaisons);
		return 2;
	}
	if (no_format(g, "report")) {
		sl_free(&liaisons);
		return 2;
	}
	int bad = setup(g) < 0 ? 1 : known_liaisons(g, "report", &liaisons);
	if (bad) {
		sl_free(&liaisons);
		return bad;
	}
	if (!dir)
		dir = g->conf.report_dir ? g->conf.report_dir : "rapport-report";
	/* the links need the action key, which only the service user reads */
	unsigned char key[ACTION_KEY_BYTES];
	char *why = NULL;
	bool keyed = action_key_load(&g->conf, false, key, &why) == 0;
	free(why);
	why = NULL;
	struct site_options so = {&liaisons, now_or_as_of(g), g->conf.database_group_read,
				  keyed ? key : NULL};
	if (g->as_of) {
		fprintf(stderr, "rapport report: the report is of now (its charts go back "
				"report_months); --as-of is for the lists\n");
		sl_free(&liaisons);
		return 2;
	}
	int r = site_publish(g->st, &g->conf, dir, &so, &why);
	explicit_bzero(key, sizeof(key));
	sl_free(&liaisons);
	if (r < 0) {
		log_err("%s", why);
		free(why);
		return 1;
	}
	printf("%s/index.html%s\n", dir, keyed ? "" : " (without the nudges' action links: "
						  "the action key is the service user's)");
	return 0;
}

/* ---- status ------------------------------------------------------------------ */

static void human_size(long long n, char buf[32])
{
	if (n >= 1024LL * 1024 * 1024)
		snprintf(buf, 32, "%.1f GiB", (double)n / (1024.0 * 1024 * 1024));
	else if (n >= 1024 * 1024)
		snprintf(buf, 32, "%.1f MiB", (double)n / (1024.0 * 1024));
	else if (n >= 1024)
		snprintf(buf, 32, "%.1f KiB", (double)n / 1024.0);
	else
		snprintf(buf, 32, "%lld B", n);
}

struct status_ctx {
	struct global *g;
	char *account;
	int err;
	size_t folders; /* of the current account, for the JSON commas */
};

static void status_close_account(struct status_ctx *x)
{
	if (x->account && x->g->fmt == FMT_JSON)
		printf("\n    ]}");
}

static void status_folder(void *ud, const char *account, const char *folder, const char *role,
			  int64_t messages, int64_t last_sync)
{
	struct status_ctx *x = ud;
	enum report_format fmt = x->g->fmt;
	if (!x->account || strcmp(x->account, account) != 0) {
		int64_t kinds[5], quarantined = 0, total = 0;
		if (store_count(x->g->st, account, kinds, &quarantined) < 0) {
			x->err = -EIO;
			return;
		}
		status_close_account(x);
		bool first = !x->account;
		free(x->account);
		x->account = xstrdup(account);
		x->folders = 0;
		for (int k = 0; k < 5; k++)
			total += kinds[k];
		if (fmt == FMT_JSON) {
			printf("%s\n    {\"account\": ", first ? "" : ",");
			report_json_string(stdout, account);
			printf(", \"messages\": %lld, \"by_kind\": {", (long long)total);
			for (int k = 0; k < 5; k++)
				printf("%s\"%s\": %lld", k ? ", " : "", msg_kind_name((enum msg_kind)k),
				       (long long)kinds[k]);
			printf("}, \"quarantined\": %lld, \"folders\": [", (long long)quarantined);
		} else if (fmt == FMT_TABLE) {
			printf("account %s\n  messages    %lld (", account, (long long)total);
			for (int k = 0; k < 5; k++)
				printf("%s%s %lld", k ? ", " : "", msg_kind_name((enum msg_kind)k),
				       (long long)kinds[k]);
			printf(")\n  quarantined %lld\n", (long long)quarantined);
			printf("  %-30s %-6s %9s  %s\n", "folder", "role", "messages", "last sync");
		}
	}
	char when[32] = "never (imported)";
	if (last_sync)
		epoch_to_iso(last_sync, when);
	/* a folder name is the server's: never raw bytes to the terminal */
	char *name = utf8_sanitize(folder, strlen(folder));
	if (fmt == FMT_JSON) {
		printf("%s\n      {\"folder\": ", x->folders ? "," : "");
		report_json_string(stdout, name);
		printf(", \"role\": ");
		report_json_string(stdout, role);
		printf(", \"messages\": %lld, \"last_sync\": ", (long long)messages);
		if (last_sync)
			printf("\"%s\"}", when);
		else
			printf("null}");
	} else if (fmt == FMT_CSV) {
		char n[24];
		snprintf(n, sizeof(n), "%lld", (long long)messages);
		const char *f[] = {account, name, role, n, last_sync ? when : ""};
		for (size_t i = 0; i < ARRAY_SIZE(f); i++)
			report_csv_field(stdout, f[i], i + 1 == ARRAY_SIZE(f));
	} else {
		printf("  %-30s %-6s %9lld  %s\n", name, *role ? role : "-", (long long)messages,
		       when);
	}
	x->folders++;
	free(name);
}

static int cmd_status(struct global *g, int argc, char **argv)
{
	if (argc > 1) {
		fprintf(stderr, "rapport status: unexpected argument: %s\n", argv[1]);
		return 2;
	}
	if (setup(g) < 0)
		return 1;
	const char *path = g->db ? g->db : g->conf.database;
	struct stat sb;
	char size[32] = "?";
	long long bytes = -1;
	if (stat(path, &sb) == 0) {
		bytes = (long long)sb.st_size;
		human_size(bytes, size);
	}
	if (g->fmt == FMT_JSON) {
		printf("{\"database\": ");
		report_json_string(stdout, path);
		printf(", \"size_bytes\": %lld, \"accounts\": [", bytes);
	} else if (g->fmt == FMT_CSV) {
		printf("account,folder,role,messages,last_sync\r\n");
	} else {
		printf("database %s (%s)\n", path, size);
	}
	struct status_ctx x = {g, NULL, 0, 0};
	if (store_each_folder(g->st, status_folder, &x) < 0 || x.err < 0) {
		log_err("%s: %s", path, store_errmsg(g->st));
		free(x.account);
		return 1;
	}
	status_close_account(&x);
	if (g->fmt == FMT_JSON)
		printf("%s]}\n", x.account ? "\n  " : "");
	else if (!x.account && g->fmt == FMT_TABLE)
		printf("no mail yet: import some with rapportd --import\n");
	free(x.account);
	return 0;
}

/* snooze, dismiss and reopen print one line: no listing to format */
static int no_format(const struct global *g, const char *cmd)
{
	if (g->fmt == FMT_TABLE)
		return 0;
	fprintf(stderr, "rapport %s: --json and --csv are for listings; %s prints one line\n",
		cmd, cmd);
	return 2;
}

/* ---- dispatch ------------------------------------------------------------------- */

#define FILTER_HELP                                                                   \
	"  --class CLASS       strong, moderate or weak\n"                                \
	"  --department NAME   one department\n"                                          \
	"  --liaison NAME      one liaison account\n"                                     \
	"  --phase PHASE       dormant, commitment, awareness or exploration\n"           \
	"  --trend TREND       steady, new, \"coming together\" or \"coming apart\"\n"    \
	"  --one-sided         one-sided relationships only\n"                            \
	"  --sort KEY          name, tie, weak, reciprocity, response, last or volume\n"    \
	"  --limit N           only the first N rows\n"

static const struct command commands[] = {
	{"clients", "every client with its scores", cmd_clients,
	 "Usage: rapport [GLOBAL OPTIONS] clients [FILTERS]\n\n"
	 "Lists every (liaison, client) pair: tie strength, class, reciprocity R,\n"
	 "response rate P, phase and trend. A * after the class marks one-sided.\n\n"
	 "Filters:\n" FILTER_HELP},
	{"weak", "weak or one-sided relationships, worst first, with reasons", cmd_weak,
	 "Usage: rapport [GLOBAL OPTIONS] weak [FILTERS]\n\n"
	 "Lists the relationships that are weak or one-sided and not dormant,\n"
	 "weakest first (tie strength ascending, then your outbound weight\n"
	 "descending), each with the reason in plain words.\n\n"
	 "Filters:\n" FILTER_HELP},
	{"show", "one client: metrics and the messages behind them", cmd_show,
	 "Usage: rapport [GLOBAL OPTIONS] show CLIENT\n\n"
	 "CLIENT is a name or an address. Shows the client's metrics, then every\n"
	 "message with them: date, direction, kind, thread, and whether outreach\n"
	 "was answered. Auto-replies, bounces, list mail and broadcasts are listed\n"
	 "as \"not counted\". Computed as of now (or --as-of).\n"},
	{"departments", "aggregates per department", cmd_departments,
	 "Usage: rapport [GLOBAL OPTIONS] departments\n\n"
	 "Per department: clients by class and by phase, median tie strength,\n"
	 "median response rate, share of one-sided relationships.\n"},
	{"liaisons", "aggregates per liaison", cmd_liaisons,
	 "Usage: rapport [GLOBAL OPTIONS] liaisons\n\n"
	 "Per liaison account: clients by class and by phase, median tie strength,\n"
	 "median response rate, share of one-sided relationships.\n"},
	{"nudges", "what to do next: follow-ups, replies owed, reconnects", cmd_nudges,
	 "Usage: rapport [GLOBAL OPTIONS] nudges [--kind KIND] [--liaison NAME] [--all]\n\n"
	 "Lists the open nudges, most urgent first: unanswered outreach to follow\n"
	 "up (follow-up), client messages waiting for your answer (reply-owed),\n"
	 "good relationships gone quiet (reconnect), and one-sided ones where\n"
	 "another channel may work better (one-sided). rapportd derives them at\n"
	 "every sync; a snoozed nudge comes back when its snooze ends.\n\n"
	 "  --kind KIND      follow-up, reply-owed, reconnect or one-sided\n"
	 "  --liaison NAME   one liaison account\n"
	 "  --all            every nudge, whatever its state (snoozed, dismissed,\n"
	 "                   resolved), with the state\n"},
	{"snooze", "hide a nudge for some days or until a date", cmd_snooze,
	 "Usage: rapport [GLOBAL OPTIONS] snooze ID DAYS|YYYY-MM-DD\n\n"
	 "Hides nudge ID until then; it is listed again afterwards if its reason\n"
	 "still holds. This and dismiss/reopen are the only commands that write.\n"},
	{"dismiss", "drop a nudge for good", cmd_dismiss,
	 "Usage: rapport [GLOBAL OPTIONS] dismiss ID\n\n"
	 "Dismisses nudge ID: it never returns for the same thread.\n"},
	{"reopen", "undo a snooze or a dismissal", cmd_reopen,
	 "Usage: rapport [GLOBAL OPTIONS] reopen ID\n\n"
	 "Opens nudge ID again.\n"},
	{"ignore", "not a client (an address or a client)", cmd_ignore,
	 "Usage: rapport [GLOBAL OPTIONS] ignore CLIENT|ADDRESS [--reason TEXT] [--liaison NAME]\n\n"
	 "Makes a client (by name) or an address not a client: left out of scores,\n"
	 "lists, aggregates and nudges from the next refresh (and at once with\n"
	 "--as-of); its messages stay stored. For every liaison, or one.\n"},
	{"unignore", "undo an ignore", cmd_unignore,
	 "Usage: rapport [GLOBAL OPTIONS] unignore CLIENT|ADDRESS [--liaison NAME]\n"},
	{"merge", "two addresses or clients are one person", cmd_merge,
	 "Usage: rapport [GLOBAL OPTIONS] merge CLIENT|ADDRESS CLIENT|ADDRESS [--liaison NAME]\n\n"
	 "The second joins the first: one client. A roster client keeps its name and\n"
	 "department; two correspondents become one named after the first; two roster\n"
	 "clients are never merged (give one roster row both addresses).\n"},
	{"unmerge", "undo a merge", cmd_unmerge,
	 "Usage: rapport [GLOBAL OPTIONS] unmerge ADDRESS|CLIENT [--liaison NAME]\n\n"
	 "Removes every merge that names it, on either side.\n"},
	{"cadence", "the contact interval wanted with a client", cmd_cadence,
	 "Usage: rapport [GLOBAL OPTIONS] cadence CLIENT DAYS|off [--liaison NAME]\n\n"
	 "A reconnect nudge when no message went either way for more than DAYS,\n"
	 "whatever the tie strength; due at the last message + DAYS.\n"},
	{"overrides", "the overrides set, by whom and when", cmd_overrides,
	 "Usage: rapport [GLOBAL OPTIONS] overrides\n\n"
	 "Lists ignore, merge and cadence overrides with the liaison they are for\n"
	 "(all by default), who set them (the Unix user; via sudo both) and when.\n"},
	{"report", "write the HTML report (team and liaison pages)", cmd_report,
	 "Usage: rapport [GLOBAL OPTIONS] report [-o DIR] [--liaison NAME]...\n\n"
	 "Writes a static site into DIR (default: report_dir, else ./rapport-report):\n"
	 "index.html for the team and one page per liaison, with each relationship's\n"
	 "monthly history as a chart. It replaces an earlier report there at once; a\n"
	 "directory that is not a rapport report is refused. Prints the index's path.\n"},
	{"status", "accounts, folders, message counts, database", cmd_status,
	 "Usage: rapport [GLOBAL OPTIONS] status\n\n"
	 "Shows the database (path and size), and for each account its message\n"
	 "counts by kind, quarantined messages, and its folders with their roles,\n"
	 "message counts and last sync.\n"},
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: rapport [GLOBAL OPTIONS] COMMAND [OPTIONS]\n"
		   "\n"
		   "Answers which of a liaison's relationships are weak or one-sided, from\n"
		   "the database rapportd keeps.\n"
		   "\n"
		   "Commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n"
		   "Global options:\n"
		   "  -c, --config FILE  configuration file (default %s)\n"
		   "      --db PATH      database (default: the configuration's)\n"
		   "      --as-of DATE   compute as of DATE (YYYY-MM-DD[THH:MM[:SS]], UTC)\n"
		   "                     instead of reading the stored scores\n"
		   "      --json         JSON output (schema: docs/cli.md)\n"
		   "      --csv          CSV output\n"
		   "  -h, --help         this text; COMMAND --help for a command's\n"
		   "  -V, --version      the version\n"
		   "\n"
		   "Exit status: 0 success, 1 nothing found or an error, 2 usage.\n",
		   CONF_DEFAULT_PATH);
}

static int set_as_of(struct global *g, const char *v)
{
	if (iso_to_epoch(v, &g->as_of) < 0) {
		fprintf(stderr, "rapport: --as-of: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS], "
				"not \"%s\"\n", v);
		return -EINVAL;
	}
	return 0;
}

/* The global options are also taken after the command name ("rapport weak
 * --json"): they are removed from the command's arguments, up to "--". */
static int take_globals(struct global *g, int *argc, char **argv)
{
	int out = 1;
	for (int k = 1; k < *argc; k++) {
		const char *a = argv[k];
		if (strcmp(a, "--") == 0) {
			while (k < *argc)
				argv[out++] = argv[k++];
			break;
		}
		const char *val = NULL;
		static const char *const with_value[] = {"--as-of", "--db", "--config", "-c"};
		size_t w = 0;
		for (; w < ARRAY_SIZE(with_value); w++) {
			size_t n = strlen(with_value[w]);
			if (strcmp(a, with_value[w]) == 0) {
				if (k + 1 >= *argc) {
					fprintf(stderr, "rapport: %s needs a value\n", a);
					return -EINVAL;
				}
				val = argv[++k];
				break;
			}
			if (w < 3 && strncmp(a, with_value[w], n) == 0 && a[n] == '=') {
				val = a + n + 1;
				break;
			}
		}
		if (val) {
			if (w == 0 && set_as_of(g, val) < 0)
				return -EINVAL;
			if (w == 1)
				g->db = val;
			if (w >= 2) {
				g->config = val;
				g->config_given = true;
			}
		} else if (strcmp(a, "--json") == 0) {
			g->fmt = FMT_JSON;
		} else if (strcmp(a, "--csv") == 0) {
			g->fmt = FMT_CSV;
		} else {
			argv[out++] = argv[k];
		}
	}
	*argc = out;
	argv[out] = NULL;
	return 0;
}

int main(int argc, char **argv)
{
	enum { O_DB = 256, O_ASOF, O_JSON, O_CSV };
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"db", required_argument, NULL, O_DB},
		{"as-of", required_argument, NULL, O_ASOF},
		{"json", no_argument, NULL, O_JSON},
		{"csv", no_argument, NULL, O_CSV},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct global g = {0};
	int o;

	g.config = CONF_DEFAULT_PATH;
	log_init("rapport", false);
	/* global options stop at the command name */
	while ((o = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
		switch (o) {
		case 'c': g.config = optarg; g.config_given = true; break;
		case O_DB: g.db = optarg; break;
		case O_ASOF:
			if (set_as_of(&g, optarg) < 0)
				return 2;
			break;
		case O_JSON: g.fmt = FMT_JSON; break;
		case O_CSV: g.fmt = FMT_CSV; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("rapport %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind == argc) {
		usage(stderr);
		return 2;
	}
	int cargc = argc - optind;
	if (take_globals(&g, &cargc, argv + optind) < 0)
		return 2;
	g.colour = g.fmt == FMT_TABLE && isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	/* long listings: fewer, larger writes */
	static char outbuf[1 << 16];
	setvbuf(stdout, outbuf, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF, sizeof(outbuf));
	const char *name = argv[optind];
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(commands[i].name, name) != 0)
			continue;
		for (int k = optind + 1; k < optind + cargc; k++)
			if (strcmp(argv[k], "--help") == 0 || strcmp(argv[k], "-h") == 0) {
				fputs(commands[i].help, stdout);
				return 0;
			}
		int r = commands[i].run(&g, cargc, argv + optind);
		teardown(&g);
		return r;
	}
	fprintf(stderr, "rapport: unknown command \"%s\" (see rapport --help)\n", name);
	return 2;
}
