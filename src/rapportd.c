/* rapportd: the daemon. This file is its command line: parse options, load
 * the configuration, then run the requested mode. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "daemon.h"
#include "notify.h"

#include <curl/curl.h>
#include "imap.h"
#include "import.h"
#include "log.h"
#include "model.h"
#include "parsew.h"
#include "secret.h"
#include "store.h"

static volatile int stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: rapportd [-c FILE] [-v] [--once]\n"
		"       rapportd [-c FILE] [-v] --check-config [--connect]\n"
		"       rapportd [-c FILE] [-v] [--account NAME] [--folder NAME] --import PATH...\n"
		"       rapportd [-c FILE] [-v] --recompute\n"
		"       rapportd [-c FILE] [-v] --send-digest\n"
		"\n"
		"rapport's daemon: reads the liaison's mail into the rapport database.\n"
		"Without a mode it runs in the foreground (as systemd expects), keeping\n"
		"every account with an IMAP host in sync: IDLE on INBOX, other folders\n"
		"polled every poll_interval. SIGHUP reloads the configuration.\n"
		"\n"
		"Modes:\n"
		"      --once          sync every IMAP account once, then exit (0 all synced,\n"
		"                      1 an account failed)\n"
		"      --check-config  validate the configuration and exit (0 valid, 1 not):\n"
		"                      the file, the zone, the secret files, the database\n"
		"                      and its directory; with --connect, also log in to\n"
		"                      every account and list its folders (nothing else)\n"
		"      --import        import the mbox files and maildirs named after the\n"
		"                      options into the database, recompute the scores of\n"
		"                      the clients concerned, then exit\n"
		"      --recompute     recompute every score and nudge as of now (and write\n"
		"                      the report into report_dir when it is set), then exit\n"
		"      --send-digest   recompute, then send every account's nudge digest now\n"
		"                      (only nudges not yet delivered), then exit\n"
		"\n"
		"Options:\n"
		"  -c, --config FILE   configuration file (default %s)\n"
		"      --account NAME  account the imported mail belongs to (required when\n"
		"                      the configuration has more than one)\n"
		"      --folder NAME   folder name for an imported mbox (default: its file\n"
		"                      name; INBOX marks mail as received, Sent as sent)\n"
		"      --timeout S     network read timeout in seconds (default 60)\n"
		"      --command-deadline S\n"
		"                      longest an IMAP command may take (default 300)\n"
		"  -v, --verbose       debug messages\n"
		"  -h, --help          this text\n"
		"  -V, --version       the version\n"
		"\n"
		"Exit status: 0 success, 1 an error (explained on stderr), 2 usage.\n",
		CONF_DEFAULT_PATH);
}

static int load_conf(const char *path, struct conf *c)
{
	struct strlist errors = {0}, warnings = {0};
	int r = conf_load(path, net_url_check, c, &errors, &warnings);
	for (size_t i = 0; i < warnings.n; i++)
		log_warnx("%s", warnings.v[i]);
	for (size_t i = 0; i < errors.n; i++)
		log_err("%s", errors.v[i]);
	sl_free(&errors);
	sl_free(&warnings);
	return r;
}

struct progress {
	bool tty;
	time_t last;
	time_t start;
};

static void report(void *ud, const char *source, const char *position, const char *reason,
		   const struct import_stats *st)
{
	struct progress *p = ud;
	if (position) {
		if (p->tty)
			fputs("\r\033[K", stderr);
		log_warnx("%s: %s: rejected: %s", source, position, reason);
		return;
	}
	time_t now = time(NULL);
	if (!p->tty || now == p->last)
		return;
	p->last = now;
	double secs = difftime(now, p->start);
	fprintf(stderr, "\r\033[K%llu messages read, %.0f/s", (unsigned long long)st->read,
		secs > 0 ? (double)st->read / secs : 0.0);
}

/* Recomputes the scores of one account as of now: every client (full),
 * or only those with mail stored after the account's watermark. */
static int recompute(struct store *st, const struct conf *c, const char *account, bool full,
		     int64_t now)
{
	size_t clients = 0, messages = 0;
	int r = model_refresh(st, c, account, full, now, &clients, &messages);
	if (r == -ENOENT)
		log_err("%s: no account %s in the database", c->database, account);
	else if (r < 0)
		log_err("%s: cannot compute the scores of %s: %s", c->database, account,
			store_errmsg(st));
	else
		daemon_log_scored(account, clients, messages);
	return r;
}

static int do_recompute(const struct conf *c)
{
	struct store *st = daemon_open_store(c, true);
	if (!st)
		return 1;
	int failed = 0;
	/* one instant for every account: the team's pages compare them */
	int64_t now = (int64_t)time(NULL);
	for (size_t i = 0; i < c->n_accounts && !failed; i++) {
		int64_t id;
		if (store_account_id(st, c->accounts[i].name, &id) == -ENOENT)
			continue; /* no mail yet */
		failed |= recompute(st, c, c->accounts[i].name, true, now) < 0;
	}
	/* and the report, when there is one to write */
	if (!failed && c->report_dir && daemon_report(st, c, true) < 0)
		failed = 1;
	store_close(st);
	return failed;
}

/* --check-config beyond the file itself: what the daemon would refuse at
 * start or at the first login, checked without the network (and, with
 * connect, a login to every account that sends nothing else). Each
 * problem is logged; returns how many. */
static int check_more(const struct conf *c, bool connect)
{
	int problems = 0;
	char *why = NULL;
	/* root checks on behalf of the service user: modes, not owners */
	bool root = geteuid() == 0;
	if (root)
		log_info("checking as root: file owners are not compared with the service user "
			 "(sudo -u rapport rapportd --check-config checks them too)");
	if (store_check(c->database, root, &why) < 0) {
		log_err("%s: database: %s", c->path, why);
		free(why);
		why = NULL;
		problems++;
	}
	const struct conf_nudges *n = &c->nudges;
	if (n->smtp_url && n->smtp_user) {
		struct secret_source smtp = {"SMTP", n->smtp_password_file, n->smtp_password_command,
					     n->smtp_oauth2_token_command, "smtp", c->command_timeout};
		int r = secret_check(&smtp, root, &why);
		if (r < 0) {
			log_err("%s: nudges: %s", c->path, why);
			problems++;
		}
		free(why);
		why = NULL;
	}
	for (size_t i = 0; i < c->n_accounts; i++) {
		const struct conf_account *a = &c->accounts[i];
		if (!a->host)
			continue;
		struct secret_source src = {a->name, a->password_file, a->password_command,
					    a->oauth2_token_command, a->name, c->command_timeout};
		int r = secret_check(&src, root, &why);
		if (r == 1) {
			log_info("%s: account %s: no secret source here: it must come from "
				 "LoadCredential=%s:... in the unit", c->path, a->name, a->name);
		} else if (r < 0) {
			log_err("%s: account %s: %s", c->path, a->name, why);
			problems++;
		}
		free(why);
		why = NULL;
		if (!connect)
			continue;
		char *secret = NULL;
		struct imap *im = NULL;
		if (secret_get(c, a, NULL, &secret, &why) < 0) {
			log_err("%s: account %s: %s", c->path, a->name, why);
			free(why);
			why = NULL;
			problems++;
			continue;
		}
		enum imap_fail f = imap_open(a, secret, 30, 60, &im, &why);
		secret_free(secret);
		if (f != IMAP_OK) {
			log_err("account %s: %s:%d: %s", a->name, a->host, a->port, why);
			free(why);
			why = NULL;
			problems++;
			continue;
		}
		struct strlist names = {0};
		char *sent = NULL;
		f = imap_list(im, &names, &sent);
		if (f != IMAP_OK) {
			log_err("account %s: %s", a->name, imap_error(im));
			problems++;
		} else {
			char *list = sl_join(&names, ", ");
			printf("account %s: %s:%d: %s, login ok, %zu folders (sent: %s): %s\n", a->name,
			       a->host, a->port,
			       a->tls == CONF_TLS_NONE ? "no TLS (this machine)"
						       : "TLS 1.2+ with a verified certificate",
			       names.n, a->sent_folder ? a->sent_folder : sent ? sent : "none flagged",
			       list);
			free(list);
		}
		free(sent);
		sl_free(&names);
		imap_close(im);
	}
	return problems;
}

/* --send-digest: everything as of now, then every due-or-not digest. */
static int do_send_digest(const struct conf *c)
{
	if (do_recompute(c))
		return 1;
	if (!notify_enabled(c, NOTIFY_EMAIL) && !notify_enabled(c, NOTIFY_WEBHOOK)) {
		log_err("%s: nudges: neither smtp_url nor webhook_url is set", c->path);
		return 1;
	}
	struct store *st = daemon_open_store(c, false);
	if (!st)
		return 1;
	int failed = 0;
	for (size_t i = 0; i < c->n_accounts; i++)
		for (int ch = 0; ch < NOTIFY_N; ch++)
			if (notify_enabled(c, (enum notify_channel)ch) && (ch != NOTIFY_TEAM || i == 0))
				failed |= daemon_digest(st, c, &c->accounts[i], ch, true, NULL) < 0;
	store_close(st);
	return failed;
}

static int do_import(const struct conf *c, const char *account, const char *folder,
		     char **paths, int n)
{
	const struct conf_account *a = NULL;
	if (account) {
		a = conf_account_find(c, account);
		if (!a) {
			log_err("%s: no account named \"%s\"", c->path, account);
			return 1;
		}
	} else if (c->n_accounts == 1) {
		a = &c->accounts[0];
	} else {
		log_err("%s: %s: name the account with --account", c->path,
			c->n_accounts ? "the configuration has several accounts"
				      : "the configuration has no account");
		return c->n_accounts ? 2 : 1;
	}

	struct parsew *w;
	int r = parsew_start(NULL, 0, &w);
	if (r < 0) {
		log_err("cannot start the parse worker: %s", strerror(-r));
		return 1;
	}
	struct store *st = daemon_open_store(c, true);
	if (!st) {
		parsew_stop(w);
		return 1;
	}
	struct progress prog = {isatty(STDERR_FILENO) == 1, 0, time(NULL)};
	struct import *im;
	if (import_new(st, w, c, a, report, &prog, &im) < 0) {
		log_err("%s: %s", c->database, store_errmsg(st));
		store_close(st);
		parsew_stop(w);
		return 1;
	}
	import_set_stop_flag(im, &stop_requested);
	int failed = 0;
	for (int i = 0; i < n && !stop_requested; i++) {
		r = import_path(im, paths[i], folder);
		if (prog.tty)
			fputs("\r\033[K", stderr);
		if (r == -EINTR)
			break;
		if (r < 0) {
			failed++;
			if (r == -EBADMSG)
				log_err("%s: not an mbox file (the first line is not a \"From \" "
					"separator with a sender and a date) nor a maildir (no "
					"cur/ or new/)", paths[i]);
			else if (r == -EINVAL || r == -ELOOP)
				log_err("%s: not a regular file (a FIFO, device or socket): skipped",
					paths[i]);
			else if (r == -EIO)
				log_err("%s: database error, what was read since the last "
					"commit was not stored (the totals below say what "
					"was): %s", paths[i], store_errmsg(st));
			else
				log_err("%s: %s", paths[i], strerror(-r));
		}
	}
	struct import_stats s = *import_stats(im);
	if (import_finish(im) < 0) {
		log_err("%s: cannot commit: %s", c->database, store_errmsg(st));
		failed++;
	}
	double secs = difftime(time(NULL), prog.start);
	printf("account %s: %llu messages read in %.0f s\n", a->name,
	       (unsigned long long)s.read, secs);
	printf("  stored      %llu\n", (unsigned long long)s.stored);
	printf("  duplicates  %llu\n", (unsigned long long)s.duplicates);
	if (s.commands)
		printf("  commands    %llu (mailed rapport commands: not mail; applied only when "
		       "rapportd syncs the sent folder)\n", (unsigned long long)s.commands);
	printf("  rejected    %llu\n", (unsigned long long)s.rejected);
	for (int k = 0; k < REJ_N; k++)
		if (s.rejected_by[k])
			printf("    %-36s %llu\n", import_reject_name((enum import_reject)k),
			       (unsigned long long)s.rejected_by[k]);
	/* also when this run stored nothing: a killed run may have left
	 * mail unscored; and the other accounts, whose roster clients exist
	 * without mail */
	if (stop_requested)
		printf("interrupted: what was read so far is stored\n");
	else
		failed += daemon_rescore(st, c, false, (int64_t)time(NULL));
	store_close(st);
	parsew_stop(w);
	return failed || s.rejected || stop_requested ? 1 : 0;
}

int main(int argc, char **argv)
{
	enum { OPT_CHECK = 256, OPT_IMPORT, OPT_ACCOUNT, OPT_FOLDER, OPT_RECOMPUTE, OPT_ONCE,
	       OPT_TIMEOUT, OPT_DEADLINE, OPT_DIGEST, OPT_CONNECT };
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check-config", no_argument, NULL, OPT_CHECK},
		{"connect", no_argument, NULL, OPT_CONNECT},
		{"import", no_argument, NULL, OPT_IMPORT},
		{"account", required_argument, NULL, OPT_ACCOUNT},
		{"folder", required_argument, NULL, OPT_FOLDER},
		{"recompute", no_argument, NULL, OPT_RECOMPUTE},
		{"once", no_argument, NULL, OPT_ONCE},
		{"send-digest", no_argument, NULL, OPT_DIGEST},
		{"timeout", required_argument, NULL, OPT_TIMEOUT},
		{"command-deadline", required_argument, NULL, OPT_DEADLINE},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *config = CONF_DEFAULT_PATH, *account = NULL, *folder = NULL;
	bool verbose = false, check = false, import = false, recomp = false, once = false;
	bool digest = false, connect = false;
	int timeout = 0, deadline = 0;
	int o;

	while ((o = getopt_long(argc, argv, "c:vhV", opts, NULL)) != -1) {
		switch (o) {
		case 'c': config = optarg; break;
		case 'v': verbose = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("rapportd %s\n", PACKAGE_VERSION); return 0;
		case OPT_CHECK: check = true; break;
		case OPT_IMPORT: import = true; break;
		case OPT_ACCOUNT: account = optarg; break;
		case OPT_FOLDER: folder = optarg; break;
		case OPT_RECOMPUTE: recomp = true; break;
		case OPT_ONCE: once = true; break;
		case OPT_DIGEST: digest = true; break;
		case OPT_CONNECT: connect = true; break;
		case OPT_TIMEOUT:
		case OPT_DEADLINE: {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 86400) {
				fprintf(stderr, "rapportd: --%s: expected seconds (1 to 86400)\n",
					o == OPT_TIMEOUT ? "timeout" : "command-deadline");
				return 2;
			}
			if (o == OPT_TIMEOUT)
				timeout = (int)v;
			else
				deadline = (int)v;
			break;
		}
		default: usage(stderr); return 2;
		}
	}
	log_init("rapportd", verbose);
	if (check + import + recomp + once + digest > 1) {
		fprintf(stderr, "rapportd: choose one mode: --once, --check-config, --import, "
				"--recompute or --send-digest\n");
		usage(stderr);
		return 2;
	}
	bool daemon = !check && !import && !recomp && !digest;
	if (connect && !check) {
		fprintf(stderr, "rapportd: --connect goes with --check-config\n");
		return 2;
	}
	if (import && optind == argc) {
		fprintf(stderr, "rapportd: --import needs at least one mbox file or maildir\n");
		return 2;
	}
	if ((check || recomp || daemon || digest) && optind != argc) {
		fprintf(stderr, "rapportd: unexpected argument: %s\n", argv[optind]);
		return 2;
	}

	struct conf c;
	if (load_conf(config, &c) < 0)
		return 1;
	/* the digest time is local to the configured zone */
	if (c.nudges.timezone) {
		setenv("TZ", c.nudges.timezone, 1);
		tzset();
	}
	/* libcurl's global state is set up once, before any thread */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int ret = 0;
	if (daemon) {
		struct conf *heap = xmalloc(sizeof(*heap));
		*heap = c;
		struct daemon_options dopt = {config, once, timeout, deadline};
		log_info("rapportd %s starting%s", PACKAGE_VERSION, once ? " (--once)" : "");
		return daemon_run(heap, &dopt);
	}
	if (check) {
		int problems = check_more(&c, connect);
		if (problems) {
			log_err("%s: %d problem%s found", config, problems, problems == 1 ? "" : "s");
			ret = 1;
		} else {
			printf("%s: configuration is valid (%zu accounts, %zu roster clients, %zu "
			       "departments)\n", config, c.n_accounts, c.n_clients, c.n_departments);
		}
	} else if (recomp) {
		ret = do_recompute(&c);
	} else if (digest) {
		ret = do_send_digest(&c);
	} else {
		struct sigaction sa = {0};
		sa.sa_handler = on_stop;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		ret = do_import(&c, account, folder, argv + optind, argc - optind);
	}
	conf_free(&c);
	curl_global_cleanup();
	return ret;
}
