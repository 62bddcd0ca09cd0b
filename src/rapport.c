/* rapport: the command line to query the rapport database. Subcommands are
 * dispatched from one table; each has --help. The database is opened
 * read-only. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"
#include "log.h"
#include "store.h"

struct global {
	const char *config;
	const char *db;
	char *db_owned;
};

struct command {
	const char *name;
	const char *summary;
	int (*run)(struct global *g, int argc, char **argv);
	void (*help)(FILE *f);
};

/* The database path: --db, else the configuration's. */
static int db_path(struct global *g, const char **ret)
{
	if (g->db) {
		*ret = g->db;
		return 0;
	}
	struct conf c;
	struct strlist errors = {0}, warnings = {0};
	int r = conf_load(g->config, &c, &errors, &warnings);
	for (size_t i = 0; i < errors.n; i++)
		log_err("%s", errors.v[i]);
	sl_free(&errors);
	sl_free(&warnings);
	if (r < 0) {
		log_err("name the database with --db, or fix the configuration");
		return r;
	}
	g->db_owned = xstrdup(c.database);
	conf_free(&c);
	*ret = g->db_owned;
	return 0;
}

static void status_help(FILE *f)
{
	fprintf(f, "Usage: rapport [GLOBAL OPTIONS] status\n"
		   "\n"
		   "Shows the database (path and size), and for each account its message\n"
		   "counts by kind, quarantined messages, and its folders with their roles,\n"
		   "message counts and last IMAP sync.\n");
}

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
	struct store *st;
	char *account; /* the account whose folders are being listed */
	int err;
};

static void print_counts(struct status_ctx *x, const char *account)
{
	int64_t kinds[5], quarantined = 0;
	if (store_count(x->st, account, kinds, &quarantined) < 0) {
		x->err = -EIO;
		return;
	}
	int64_t total = 0;
	for (int k = 0; k < 5; k++)
		total += kinds[k];
	printf("  messages    %lld (", (long long)total);
	for (int k = 0; k < 5; k++)
		printf("%s%s %lld", k ? ", " : "", msg_kind_name((enum msg_kind)k),
		       (long long)kinds[k]);
	printf(")\n  quarantined %lld\n", (long long)quarantined);
	printf("  %-30s %-6s %9s  %s\n", "folder", "role", "messages", "last sync");
}

static void status_folder(void *ud, const char *account, const char *folder, const char *role,
			  int64_t messages, int64_t last_sync)
{
	struct status_ctx *x = ud;
	if (!x->account || strcmp(x->account, account) != 0) {
		free(x->account);
		x->account = xstrdup(account);
		printf("account %s\n", account);
		print_counts(x, account);
	}
	char when[32] = "never (imported)";
	if (last_sync)
		epoch_to_iso(last_sync, when);
	printf("  %-30s %-6s %9lld  %s\n", folder, *role ? role : "-", (long long)messages, when);
}

static int cmd_status(struct global *g, int argc, char **argv)
{
	if (argc > 1) {
		fprintf(stderr, "rapport status: unexpected argument: %s\n", argv[1]);
		return 2;
	}
	const char *path;
	if (db_path(g, &path) < 0)
		return 1;
	struct store *st;
	char *why = NULL;
	if (store_open(path, STORE_RO, &st, &why) < 0) {
		log_err("%s", why);
		free(why);
		return 1;
	}
	struct stat sb;
	char size[32] = "?";
	if (stat(path, &sb) == 0)
		human_size((long long)sb.st_size, size);
	printf("database %s (%s)\n", path, size);
	struct status_ctx x = {st, NULL, 0};
	if (store_each_folder(st, status_folder, &x) < 0 || x.err < 0) {
		log_err("%s: %s", path, store_errmsg(st));
		free(x.account);
		store_close(st);
		return 1;
	}
	if (!x.account)
		printf("no mail yet: import some with rapportd --import\n");
	free(x.account);
	store_close(st);
	return 0;
}

static const struct command commands[] = {
	{"status", "accounts, folders, message counts, database", cmd_status, status_help},
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: rapport [GLOBAL OPTIONS] COMMAND [OPTIONS]\n"
		   "\n"
		   "Queries the rapport database that rapportd keeps.\n"
		   "\n"
		   "Commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n"
		   "Global options:\n"
		   "  -c, --config FILE  configuration file (default %s)\n"
		   "      --db PATH      database (default: the configuration's)\n"
		   "  -h, --help         this text; COMMAND --help for a command's\n"
		   "  -V, --version      the version\n"
		   "\n"
		   "Exit status: 0 success, 1 nothing found or an error, 2 usage.\n",
		   CONF_DEFAULT_PATH);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"db", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct global g = {CONF_DEFAULT_PATH, NULL, NULL};
	int o;

	log_init("rapport", false);
	/* global options stop at the command name */
	while ((o = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
		switch (o) {
		case 'c': g.config = optarg; break;
		case 'd': g.db = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("rapport %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind == argc) {
		usage(stderr);
		return 2;
	}
	const char *name = argv[optind];
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(commands[i].name, name) != 0)
			continue;
		for (int k = optind + 1; k < argc; k++)
			if (strcmp(argv[k], "--help") == 0 || strcmp(argv[k], "-h") == 0) {
				commands[i].help(stdout);
				return 0;
			}
		int r = commands[i].run(&g, argc - optind, argv + optind);
		free(g.db_owned);
		return r;
	}
	fprintf(stderr, "rapport: unknown command \"%s\" (see rapport --help)\n", name);
	return 2;
}
