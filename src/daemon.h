/* daemon: rapportd's long-running part. One thread per account keeps the
 * database current from its IMAP server: connect, sync every folder,
 * recompute the scores of the clients whose mail changed, then IDLE on
 * INBOX (re-issued at least every 25 minutes) and poll the other folders
 * every poll_interval. Failures are classed: temporary ones are retried
 * with exponential backoff and jitter up to 30 minutes (a throttling
 * server's suggested wait is honoured); permanent ones (credentials or
 * certificate refused, STARTTLS missing) are reported once and wait for a
 * reload. One failing account never stops the others. The main thread
 * handles signals, systemd notification (READY, STATUS, WATCHDOG) and the
 * command deadlines. */
#ifndef RAPPORT_DAEMON_H
#define RAPPORT_DAEMON_H

#include <stdbool.h>

#include "conf.h"

#define DAEMON_IDLE_MAX 1500         /* seconds: IDLE is re-issued at least this often */
#define DAEMON_BACKOFF_MIN 5         /* seconds */
#define DAEMON_BACKOFF_MAX 1800      /* seconds */
#define DAEMON_READ_TIMEOUT 60       /* seconds per network read */
#define DAEMON_COMMAND_DEADLINE 300  /* seconds per IMAP command */
#define DAEMON_FULL_RECOMPUTE 86400  /* seconds between full recomputes */

struct daemon_options {
	const char *config_path;
	bool once;             /* sync every account once and return */
	int read_timeout;      /* 0: DAEMON_READ_TIMEOUT */
	int command_deadline;  /* 0: DAEMON_COMMAND_DEADLINE */
};

/* Sends account's digest on channel ch (enum notify_channel) when today's
 * is due (or now, with force) and not yet handled, then records the day.
 * Logs what happened. 0 when handled, negative to retry later. stop (may
 * be NULL) cuts a secret helper short. */
struct store;
int daemon_digest(struct store *st, const struct conf *c, const struct conf_account *a,
		  int ch, bool force, volatile int *stop);

/* Writes the HTML report into c->report_dir (if set) once a local day,
 * after digest_time, or now with force; logs what happened. 0, or
 * negative to retry later. */
int daemon_report(struct store *st, const struct conf *c, bool force);

/* Opens c's database read-write (and, with sync_roster, stores the roster,
 * identities and department rules of c), logging what goes wrong; NULL
 * then. */
struct store *daemon_open_store(const struct conf *c, bool sync_roster);

/* Scores, as of now, every account of c (with import_only, only those
 * without an IMAP host, which no sync thread scores) that has mail stored
 * since it was last scored or was scored under another roster: a roster
 * client is a client of the accounts it names, even without mail.
 * Returns how many failed (logged). */
int daemon_rescore(struct store *st, const struct conf *c, bool import_only, int64_t now);

/* Logs that an account's scores were recomputed, with the process's
 * resident set now and its peak (a score pass gives back what it took). */
void daemon_log_scored(const char *account, size_t clients, size_t messages);

/* Runs until SIGTERM or SIGINT (then exits cleanly within seconds,
 * committing the batch in progress), reloading the configuration on
 * SIGHUP (an invalid one is reported and the old one kept). c is the
 * loaded configuration; the daemon takes it over and frees it. Returns the
 * exit status: 0, or with once 1 when an account failed. */
int daemon_run(struct conf *c, const struct daemon_options *o);

#endif
