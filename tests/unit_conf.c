/* Unit tests: conf (rapport.conf) and roster (CSV): defaults, every kind
 * of error with its file:line, and the roster merge rules. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "conf.h"
#include "roster.h"

static char dir[] = "/tmp/rapport-unit-conf-XXXXXX";

static char *write_tmp(const char *name, const char *text)
{
	char *p = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	fputs(text, f);
	fclose(f);
	return p;
}

/* Loads text as a config; returns the errors joined by '|'. */
static char *load_errors(const char *text, struct conf *ret, struct strlist *warnings)
{
	char *p = write_tmp("rapport.conf", text);
	struct strlist errors = {0}, w = {0};
	struct conf c;
	int r = conf_load(p, net_url_check, &c, &errors, warnings ? warnings : &w);
	if (r == 0 && ret)
		*ret = c;
	else if (r == 0)
		conf_free(&c);
	char *j = sl_join(&errors, "|");
	sl_free(&errors);
	sl_free(&w);
	free(p);
	return j;
}

static void expect_error(const char *text, const char *want)
{
	char *e = load_errors(text, NULL, NULL);
	/* errors start with the file name, which is a temporary path */
	const char *rel = strstr(e, "rapport.conf:");
	CHECK_STR(rel, want);
	free(e);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 99;

	/* defaults: every number of DOMAIN.md */
	struct conf c;
	char *e = load_errors("accounts = ( { name = \"a\"; identity = [\"Me@X.example\"]; } );\n",
			      &c, NULL);
	CHECK_STR(e, "");
	free(e);
	CHECK_INT(c.scoring.window_days, 365);
	CHECK(c.scoring.half_life_days == 90.0);
	CHECK_INT(c.scoring.reply_window_days, 30);
	CHECK_INT(c.scoring.personal_max_recipients, 5);
	CHECK_INT(c.scoring.dormant_days, 180);
	CHECK(c.scoring.trend_up == 1.5 && c.scoring.trend_down == 0.67);
	CHECK(c.scoring.weight_reciprocity == 0.40 && c.scoring.weight_response == 0.35 &&
	      c.scoring.weight_initiation == 0.25);
	CHECK_INT(c.scoring.class_strong, 60);
	CHECK_INT(c.scoring.class_moderate, 30);
	CHECK_INT(c.nudges.followup_days, 7);
	CHECK_INT(c.nudges.give_up_days, 45);
	CHECK_INT(c.nudges.owed_days, 2);
	CHECK_INT(c.nudges.owed_give_up_days, 14);
	CHECK_INT(c.nudges.reconnect_days, 30);
	CHECK(c.nudges.reconnect_gap_factor == 8.0);
	CHECK(c.track_unknown);
	CHECK_INT(c.n_accounts, 1);
	CHECK_STR(c.accounts[0].identity.v[0], "me@x.example");
	CHECK_STR(c.accounts[0].liaison, "a");
	CHECK_INT(c.accounts[0].port, 993);
	CHECK_INT(c.accounts[0].since_days, 365);
	CHECK_INT(c.accounts[0].poll_interval, 300);
	conf_free(&c);

	/* errors name file, line, key and what was expected */
	expect_error("accounts = (\n  { name = \"a\";\n    identity = \"me@x.example\"; } );\n",
		     "rapport.conf:3: accounts.[0]: identity: expected a list of addresses");
	expect_error("accounts = ( { name = \"a\"; identity = [\"me@x.example\"];\n"
		     "  colour = \"red\"; } );\n",
		     "rapport.conf:2: accounts.[0].colour: unknown key");
	expect_error("databse = \"/tmp/x.db\";\n", "rapport.conf:1: databse: unknown key");
	expect_error("scoring = {\n  window_days = \"long\";\n};\n",
		     "rapport.conf:2: scoring: window_days: expected a whole number");
	expect_error("scoring = {\n  half_life_days = -1;\n};\n",
		     "rapport.conf:2: scoring: half_life_days: -1 is out of range (0.001 to 36500)");
	expect_error("accounts = ( { name = \"a\"; identity = [\"not an address\"]; } );\n",
		     "rapport.conf:1: accounts.[0]: identity: \"not an address\" is not an "
		     "e-mail address");
	expect_error("accounts = ( { name = \"a\"; identity = [\"a@x.example\"];\n"
		     "  host = \"imap.x.example\"; user = \"a\"; tls = \"none\"; } );\n",
		     "rapport.conf:2: accounts.[0]: tls = \"none\" is only allowed to localhost, "
		     "127.0.0.0/8 or ::1, not imap.x.example");
	expect_error("accounts = ( { name = \"a\"; identity = [\"a@x.example\"];\n"
		     "  host = \"imap.x.example\"; } );\n",
		     "rapport.conf:1: accounts.[0]: host is set but user is missing");
	expect_error("track_unknown = 1;\n", "rapport.conf:1: track_unknown: expected true or false");
	expect_error("nudges = { followup_days = 50; };\n",
		     "rapport.conf:1: nudges: give_up_days must be at least followup_days");
	expect_error("nudges = { digest_time = \"8 am\"; };\n",
		     "rapport.conf:1: nudges.digest_time: expected \"HH:MM\"");
	expect_error("accounts = ( { name = \"a\"; identity = [\"a@x.example\"]; },\n"
		     "  { name = \"a\"; identity = [\"b@x.example\"]; } );\n",
		     "rapport.conf:1: accounts: account name \"a\" is used twice");
	expect_error("clients = ( { name = \"Roe\"; } );\n",
		     "rapport.conf:1: clients.[0]: missing required key \"addresses\"");
	/* a syntax error: libconfig's own message with the line */
	expect_error("database = \"x\"\naccounts = (;\n",
		     "rapport.conf:2: syntax error: syntax error");

	/* the delivery URLs: checked with the checker rapportd passes, on
	 * their own line; unchecked by the CLI's load (NULL), which takes the
	 * rest of the file as rapportd does */
	const char *bad_url = "nudges = {\n  smtp_from = \"r@x.example\";\n"
			      "  smtp_url = \"imap://mail.example\";\n"
			      "  webhook_url = \"http://hooks.example/x\";\n};\n";
	e = load_errors(bad_url, NULL, NULL);
	CHECK(strstr(e, "rapport.conf:3: nudges: smtp_url: expected smtps://") != NULL);
	CHECK(strstr(e, "rapport.conf:4: nudges: webhook_url: expected https://") != NULL);
	free(e);
	{
		char *p = write_tmp("cli.conf", bad_url);
		struct strlist errors = {0}, w = {0};
		struct conf cc;
		CHECK_INT(conf_load(p, NULL, &cc, &errors, &w), 0);
		CHECK_INT((int)errors.n, 0);
		CHECK_STR(cc.nudges.webhook_url, "http://hooks.example/x");
		conf_free(&cc);
		sl_free(&errors);
		sl_free(&w);
		free(p);
		/* what is not a URL question is still refused */
		p = write_tmp("cli.conf", "nudges = { smtp_url = \"smtp://127.0.0.1\"; };\n");
		CHECK_INT(conf_load(p, NULL, &cc, &errors, &w), -EINVAL);
		CHECK(errors.n == 1 && strstr(errors.v[0], "smtp_from is missing"));
		sl_free(&errors);
		sl_free(&w);
		free(p);
	}

	/* roster: config clients first, then the CSV; rows with the same name
	 * merge; bad rows are skipped with a warning naming the line */
	char *csv = write_tmp("roster.csv",
			      "\xef\xbb\xbfName,Email,Department\n"
			      "Ada Roe,ada@chem.example,Chemistry\n"
			      "\"Roe, Ben\",ben@chem.example,\n"
			      " Ada Roe ,ada.roe@chem.example,Other\n"
			      "\"Roe, Ben\",ben2@chem.example,\"Chem\"\"istry\"\n"
			      "Cy,\"cy@a.example, cy@b.example\",Law\n"
			      "Dee,not-an-address,Law\n"
			      "\n"
			      "Eve,eve@law.example\n");
	struct strlist warnings = {0};
	e = load_errors("roster_file = \"roster.csv\";\n"
			"clients = ( { name = \"Prof. Zed\"; addresses = [\"z@x.example\"];"
			" department = \"Physics\"; } );\n",
			&c, &warnings);
	CHECK_STR(e, "");
	free(e);
	CHECK_INT(c.n_clients, 4);
	CHECK_STR(c.clients[0].name, "Prof. Zed");
	CHECK_STR(c.clients[1].name, "Ada Roe");
	CHECK_INT(c.clients[1].addresses.n, 2);
	CHECK_STR(c.clients[1].addresses.v[1], "ada.roe@chem.example");
	CHECK_STR(c.clients[1].department, "Chemistry");
	CHECK_STR(c.clients[2].name, "Roe, Ben");
	CHECK_STR(c.clients[2].department, "Chem\"istry");
	CHECK_INT(c.clients[2].addresses.n, 2);
	CHECK_STR(c.clients[3].name, "Eve");
	CHECK(c.clients[3].department == NULL);
	CHECK_INT(warnings.n, 2);
	if (warnings.n == 2) {
		CHECK(strstr(warnings.v[0], "roster.csv:6: row skipped: \"cy@a.example, "
					    "cy@b.example\" is not one e-mail address") != NULL);
		CHECK(strstr(warnings.v[1], "roster.csv:7: row skipped") != NULL);
	}
	sl_free(&warnings);
	conf_free(&c);

	/* a roster without the right header, and one with an open quote */
	free(write_tmp("roster.csv", "who,mail\nA,a@x.example\n"));
	e = load_errors("roster_file = \"roster.csv\";\n", NULL, NULL);
	CHECK(strstr(e, "roster.csv:1: expected a header row") != NULL);
	free(e);
	free(write_tmp("roster.csv", "name,email\nA,\"a@x.example\n"));
	e = load_errors("roster_file = \"roster.csv\";\n", NULL, NULL);
	CHECK(strstr(e, "roster.csv:2: unterminated quote") != NULL);
	free(e);
	/* a FIFO (or a device) is refused at once, not waited on (found by
	 * fuzzing: roster_file = "3" beside /proc/self/fd/N named fd 3) */
	char *fifo = xasprintf("%s/fifo.csv", dir);
	CHECK_INT(mkfifo(fifo, 0600), 0);
	e = load_errors("roster_file = \"fifo.csv\";\n", NULL, NULL);
	CHECK(strstr(e, "fifo.csv: cannot read roster: not a regular file") != NULL);
	free(e);
	unlink(fifo);
	free(fifo);

	const char *const *keys = conf_keys("scoring");
	CHECK(keys && keys[0] && strcmp(keys[0], "window_days") == 0);

	unlink(csv);
	free(csv);
	char *cf = xasprintf("%s/rapport.conf", dir);
	unlink(cf);
	free(cf);
	rmdir(dir);
	return check_done("unit_conf");
}
