/* cli: see cli.h. */
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

/* ---- setup shared by the commands ---------------------------------------- */

/* Loads the configuration (its scoring knobs and database path). Without
 * -c, a missing default file is fine when --db names the database: the
 * defaults of DOMAIN.md apply. */
int cli_setup(struct global *g)
{
	struct strlist errors = {0}, warnings = {0};
	int r = 0;
	if (g->config_given || !g->db || access(g->config, F_OK) == 0) {
		r = conf_load(g->config, NULL, &g->conf, &errors, &warnings);
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

void cli_teardown(struct global *g)
{
	store_close(g->st);
	if (g->have_conf)
		conf_free(&g->conf);
}

int64_t cli_now_or_as_of(const struct global *g)
{
	return g->as_of ? g->as_of : (int64_t)time(NULL);
}

/* Every --liaison names an account of the database: 0, else says which
 * accounts there are and returns 2. */
int cli_known_liaisons(struct global *g, const char *cmd, const struct strlist *l)
{
	struct strlist have = {0};
	int ret = 0;
	if (store_each_account(g->st, cli_on_account_name, &have) < 0) {
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

int cli_bad_value(const char *cmd, const char *opt, const char *v, const char *allowed)
{
	fprintf(stderr, "rapport %s: %s: unknown value \"%s\" (one of: %s)\n", cmd, opt, v, allowed);
	return 2;
}


void cli_on_account_name(void *ud, int64_t id, const char *name)
{
	(void)id;
	sl_add(ud, name);
}

/* Opens the database for one of the CLI's writes (snooze, dismiss,
 * reopen, and the overrides). Only the user rapportd runs as writes it:
 * anyone else (root included, whose -wal would lock the daemon out) is
 * told the ways that work, with the command line to run (cmd args). 0,
 * or the exit status. */
int cli_open_rw(struct global *g, const char *cmd, const char *args)
{
	struct strlist errors = {0}, warnings = {0};
	if (!g->db && conf_load(g->config, NULL, &g->conf, &errors, &warnings) == 0)
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

/* snooze, dismiss and reopen print one line: no listing to format */
int cli_no_format(const struct global *g, const char *cmd)
{
	if (g->fmt == FMT_TABLE)
		return 0;
	fprintf(stderr, "rapport %s: --json and --csv are for listings; %s prints one line\n",
		cmd, cmd);
	return 2;
}

