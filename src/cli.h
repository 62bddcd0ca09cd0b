/* cli: what the rapport command's subcommands share (the global options,
 * opening the database, the checks every command makes) and the
 * subcommands themselves, one file per family: cli_lists.c (clients,
 * weak, departments, liaisons), cli_show.c, cli_nudges.c (nudges, snooze,
 * dismiss, reopen), cli_overrides.c; rapport.c dispatches and has report
 * and status. Each cmd_* takes the subcommand's argv (argv[0] its name)
 * and returns the exit status. */
#ifndef RAPPORT_CLI_H
#define RAPPORT_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "report.h"
#include "store.h"
#include "util.h"

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

/* Loads the configuration and opens the database read-only; says why
 * not (and returns negative). */
int cli_setup(struct global *g);
void cli_teardown(struct global *g);

/* --as-of, else now. */
int64_t cli_now_or_as_of(const struct global *g);

/* 0 when every name in l is an account of the database; else says which
 * accounts there are and returns 2 (1 on a database error). */
int cli_known_liaisons(struct global *g, const char *cmd, const struct strlist *l);

/* Says that opt got an unknown value, and the allowed ones; returns 2. */
int cli_bad_value(const char *cmd, const char *opt, const char *v, const char *allowed);

/* 2 after saying so when --json or --csv was given to a command that
 * prints one line; else 0. */
int cli_no_format(const struct global *g, const char *cmd);

/* Opens the database for one of the CLI's writes; only the service user
 * writes: anyone else is told the ways that work (with "rapport cmd
 * args"). 0, or the exit status. */
int cli_open_rw(struct global *g, const char *cmd, const char *args);

/* A store_each_account callback adding each name to the strlist ud. */
void cli_on_account_name(void *ud, int64_t id, const char *name);

int cmd_clients(struct global *g, int argc, char **argv);
int cmd_weak(struct global *g, int argc, char **argv);
int cmd_departments(struct global *g, int argc, char **argv);
int cmd_liaisons(struct global *g, int argc, char **argv);
int cmd_show(struct global *g, int argc, char **argv);
int cmd_nudges(struct global *g, int argc, char **argv);
int cmd_snooze(struct global *g, int argc, char **argv);
int cmd_dismiss(struct global *g, int argc, char **argv);
int cmd_reopen(struct global *g, int argc, char **argv);
int cmd_ignore(struct global *g, int argc, char **argv);
int cmd_unignore(struct global *g, int argc, char **argv);
int cmd_merge(struct global *g, int argc, char **argv);
int cmd_unmerge(struct global *g, int argc, char **argv);
int cmd_cadence(struct global *g, int argc, char **argv);
int cmd_overrides(struct global *g, int argc, char **argv);

#endif
