/* cli_lists: clients, weak, departments and liaisons (cli.h). */
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

/* ---- clients and weak ------------------------------------------------------- */

struct filters {
	int klass, phase, trend;
	const char *department;
	struct strlist liaisons; /* --liaison, repeatable; empty: every account */
	bool one_sided;
};

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
				return cli_bad_value(cmd, "--class", optarg, "strong, moderate, weak");
			break;
		case O_PHASE:
			if ((f.phase = score_phase_parse(optarg)) < 0)
				return cli_bad_value(cmd, "--phase", optarg,
						 "dormant, commitment, awareness, exploration");
			break;
		case O_TREND:
			if ((f.trend = score_trend_parse(optarg)) < 0)
				return cli_bad_value(cmd, "--trend", optarg,
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
				return cli_bad_value(cmd, "--sort", optarg,
						 "name, tie, weak, reciprocity, response, last, volume");
			break;
		default: return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "rapport %s: unexpected argument: %s\n", cmd, argv[optind]);
		return 2;
	}
	if (cli_setup(g) < 0) {
		sl_free(&f.liaisons);
		return 1;
	}
	int bad = cli_known_liaisons(g, cmd, &f.liaisons);
	if (bad) {
		sl_free(&f.liaisons);
		return bad;
	}
	/* the store may stop early only when nothing else narrows or reorders */
	bool shortcut = weak && sort == SORT_WEAK && f.klass < 0 && f.phase < 0 && f.trend < 0 &&
			!f.department && !f.liaisons.n && !f.one_sided;
	size_t n = 0;
	int e;
	struct report r;
	if (shortcut && !g->as_of && g->fmt == FMT_TABLE) {
		/* the common case: printed as read, no row kept */
		e = report_stream_weak(stdout, g->st, limit, g->colour, &n);
	} else if ((e = report_load(g->st, &g->conf, g->as_of, weak, shortcut ? limit : 0,
				    g->fmt == FMT_TABLE, &r)) == 0) {
		report_filter(&r, keep_row, &f);
		/* report_load's own order is the default one */
		if (sort != (weak ? SORT_WEAK : SORT_NAME))
			report_sort(&r, (enum report_sort)sort);
		if (limit)
			report_truncate(&r, limit);
		n = r.n;
		if (n || g->fmt != FMT_TABLE)
			report_print_clients(stdout, &r, g->fmt, weak, g->colour);
		report_free(&r);
	}
	sl_free(&f.liaisons);
	if (e < 0) {
		log_err("cannot read the scores: %s", store_errmsg(g->st));
		return 1;
	}
	if (n == 0 && g->fmt == FMT_TABLE)
		fprintf(stderr, weak ? "no weak or one-sided relationships%s\n" : "no clients match%s\n",
			g->as_of ? "" : " (scores are computed by rapportd)");
	return n ? 0 : 1;
}

int cmd_clients(struct global *g, int argc, char **argv)
{
	return list(g, "clients", false, argc, argv);
}

int cmd_weak(struct global *g, int argc, char **argv)
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
	int bad = cli_setup(g) < 0 ? 1 : cli_known_liaisons(g, cmd, &f.liaisons);
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

int cmd_departments(struct global *g, int argc, char **argv)
{
	return groups(g, "departments", false, argc, argv);
}

int cmd_liaisons(struct global *g, int argc, char **argv)
{
	return groups(g, "liaisons", true, argc, argv);
}

