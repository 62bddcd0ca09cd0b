/* rapport: the command line to the rapport database. Subcommands are
 * dispatched from one table (their code is in the cli_*.c files, see
 * cli.h); each has --help. The database is opened read-only, but for the
 * few writes of the service user (snooze, dismiss, reopen, overrides). */
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

struct command {
	const char *name;
	const char *summary;
	int (*run)(struct global *g, int argc, char **argv);
	const char *help;
};

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
	if (cli_no_format(g, "report")) {
		sl_free(&liaisons);
		return 2;
	}
	int bad = cli_setup(g) < 0 ? 1 : cli_known_liaisons(g, "report", &liaisons);
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
	struct site_options so = {&liaisons, cli_now_or_as_of(g), g->conf.database_group_read,
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
	if (cli_setup(g) < 0)
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
		cli_teardown(&g);
		return r;
	}
	fprintf(stderr, "rapport: unknown command \"%s\" (see rapport --help)\n", name);
	return 2;
}

