/* cli_show: one client, the team view and the evidence (cli.h). */
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
		for (uint32_t k = 0; k < md->to[i].n && !involved; k++)
			involved = md->rcpt[md->to[i].off + k] == ci;
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

/* One account's relationship with the client asked for. */
struct shown {
	struct model md;
	uint32_t ci;
	int open;          /* its open nudges (derived now, minus snoozed and dismissed) */
};

static int cmp_shown(const void *a, const void *b)
{
	const struct shown *x = a, *y = b;
	return report_stronger(&x->md.clients[x->ci].score, x->md.account_name,
			       &y->md.clients[y->ci].score, y->md.account_name);
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

int cmd_show(struct global *g, int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "rapport show: name one client (a name or an address)\n");
		return 2;
	}
	if (cli_setup(g) < 0)
		return 1;
	const char *who = argv[1];
	char *addr = addr_normalize(who);
	struct strlist accounts = {0};
	if (store_each_account(g->st, cli_on_account_name, &accounts) < 0) {
		log_err("%s", store_errmsg(g->st));
		free(addr);
		return 1;
	}
	struct shown *v = xcalloc(accounts.n + 1, sizeof(*v));
	size_t found = 0;
	for (size_t a = 0; a < accounts.n; a++) {
		struct shown *sh = &v[found];
		if (model_load(g->st, &g->conf, accounts.v[a], cli_now_or_as_of(g), 0,
			       MODEL_KEEP_SUBJECTS | MODEL_KEEP_RECIPIENTS, &sh->md) < 0) {
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

