/* daemon: see daemon.h. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "action.h"
#include "daemon.h"
#include "imap.h"
#include "log.h"
#include "model.h"
#include "notify.h"
#include "parsew.h"
#include "secret.h"
#include "site.h"
#include "store.h"
#include "sync.h"

/* ---- systemd notification (no-ops without libsystemd) ----------------- */

static void sd_say(const char *state)
{
#ifdef HAVE_SYSTEMD
	sd_notify(0, state);
#else
	(void)state;
#endif
}

/* The watchdog interval in ms, or 0 when systemd asked for none. */
static int64_t watchdog_ms(void)
{
#ifdef HAVE_SYSTEMD
	uint64_t usec = 0;
	if (sd_watchdog_enabled(0, &usec) > 0)
		return (int64_t)(usec / 1000);
#endif
	return 0;
}

/* ---- one account --------------------------------------------------------- */

struct acct {
	const struct conf *c;
	const struct conf_account *a;
	const struct daemon_options *o;
	volatile int *stop;
	struct parsew *w;
	pthread_t tid;
	bool running;
	pthread_mutex_t lock;  /* guards im and status */
	struct imap *im;
	char status[160];
	int result;            /* --once: 0 synced, 1 failed */
	bool store_failed;     /* the last connection ended on a database error */
	bool unscored;         /* mail stored since the last recompute, or just started */
	uint64_t stored_seen;  /* the connection's stored count noted so far */
	unsigned char key[ACTION_KEY_BYTES]; /* checks mailed commands */
	bool have_key;
};

static void set_status(struct acct *ac, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_status(struct acct *ac, const char *fmt, ...)
{
	va_list ap;
	char raw[sizeof(ac->status)];
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* folder names come from the server; systemctl status prints this */
	char *clean = utf8_sanitize(raw, strlen(raw));
	pthread_mutex_lock(&ac->lock);
	snprintf(ac->status, sizeof(ac->status), "%s", clean);
	pthread_mutex_unlock(&ac->lock);
	free(clean);
}

/* Sleeps up to secs, waking every second to see whether to stop. */
static void nap(struct acct *ac, int secs)
{
	for (int i = 0; i < secs && !*ac->stop; i++)
		sleep(1);
}

static void on_progress(void *ud, const char *folder, size_t done, size_t total)
{
	struct acct *ac = ud;
	set_status(ac, "%s: %s %zu/%zu", ac->a->name, folder, done, total);
	if (total >= 2 * SYNC_BATCH || done == total)
		log_info("%s: %s: %zu of %zu messages fetched", ac->a->name, folder, done, total);
}

static void on_notice(void *ud, const char *folder, const char *text)
{
	struct acct *ac = ud;
	log_notice("%s: %s: %s", ac->a->name, folder, text);
}

static void on_quarantine(void *ud, const char *folder, uint32_t uid, const char *reason)
{
	struct acct *ac = ud;
	log_warnx("%s: %s: UID %u quarantined: %s", ac->a->name, folder, uid, reason);
}

static void on_action(void *ud, const char *folder, bool warning, const char *text)
{
	struct acct *ac = ud;
	if (warning)
		log_warnx("%s: %s: %s", ac->a->name, folder, text);
	else
		log_notice("%s: %s: %s", ac->a->name, folder, text);
}

/* Notes what the connection stored since it last looked, whether or not
 * its sync then went on to fail. */
static void note_stored(struct acct *ac, const struct sync *s)
{
	if (s->stored > ac->stored_seen) {
		ac->unscored = true;
		ac->stored_seen = s->stored;
	}
}

/* Recomputes the scores once a day for every client, else, when this
 * account stored mail since (or at start, for what a killed run stored),
 * for the clients of the messages after the account's stored watermark
 * (model_refresh). A failure (a full disk) moves no mark: the next round
 * tries again, so no client's score stays behind, whichever connection
 * or process stored its mail. */
static void refresh(struct acct *ac, struct store *st, int64_t *last_full)
{
	int64_t now = (int64_t)time(NULL);
	bool all = now - *last_full >= DAEMON_FULL_RECOMPUTE;
	/* an override set meanwhile (rapport ignore, a mailed command) too */
	if (!all && !ac->unscored && !model_stale(st, ac->a->name))
		return;
	size_t clients = 0, messages = 0;
	int r = model_refresh(st, ac->c, ac->a->name, all, now, &clients, &messages);
	if (r < 0 && r != -ENOENT) {
		log_err("%s: cannot compute scores (tried again next round): %s", ac->a->name,
			store_errmsg(st));
		return;
	}
	if (r == 0)
		daemon_log_scored(ac->a->name, clients, messages);
	ac->unscored = false;
	if (all)
		*last_full = now;
}

/* The resident set now and its peak so far, in kB (0 if unknown), from
 * one read of /proc/self/status. */
static void rss_kb(long *ret_now, long *ret_peak)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	*ret_now = *ret_peak = 0;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", ret_peak) != 1)
			sscanf(line, "VmRSS: %ld kB", ret_now);
	if (f)
		fclose(f);
}

/* daemon.h */
void daemon_log_scored(const char *account, size_t clients, size_t messages)
{
	long now, peak;
	rss_kb(&now, &peak);
	log_info("%s: scores of %zu clients recomputed (%zu messages); resident %ld kB, peak %ld kB",
		 account, clients, messages, now, peak);
}

/* Syncs every folder from the from-th on once. */
static enum imap_fail cycle(struct acct *ac, struct sync *s, const struct strlist *folders,
			    size_t from)
{
	for (size_t i = from; i < folders->n && !*ac->stop; i++) {
		bool interrupted = false, store_error = false;
		uint64_t fresh = 0;
		enum imap_fail f = sync_folder(s, folders->v[i], &fresh, &interrupted, &store_error);
		if (store_error) {
			log_err("%s: %s: database error, batch not stored (retried later): %s",
				ac->a->name, folders->v[i], store_errmsg(s->st));
			ac->store_failed = true;
		}
		if (f != IMAP_OK)
			return f;
		if (fresh)
			log_info("%s: %s: %llu new messages", ac->a->name, folders->v[i],
				 (unsigned long long)fresh);
	}
	return IMAP_OK;
}

/* Keeps one connection busy until it fails or the daemon stops. */
static enum imap_fail connected(struct acct *ac, struct store *st, struct imap *im,
				int64_t *last_full)
{
	struct sync s = {ac->c, ac->a, st, ac->w, im, ac->stop,
			 {on_progress, on_notice, on_quarantine, on_action, ac}, 0, NULL, 0,
			 ac->have_key ? ac->key : NULL, {0}};
	struct strlist folders = {0};
	ac->stored_seen = 0;
	/* INBOX, which every server has, before the LIST: dovecot answers
	 * STATUS INBOX from its index only until a LIST in the session, and
	 * after one as slowly as EXAMINE (40 ms at 50,000 messages) */
	sl_add(&folders, "INBOX");
	enum imap_fail f = cycle(ac, &s, &folders, 0);
	if (f == IMAP_OK && !*ac->stop) {
		sl_free(&folders);
		f = sync_folders(&s, &folders);
		if (f == IMAP_OK) /* INBOX comes first */
			f = cycle(ac, &s, &folders, 1);
	}
	note_stored(ac, &s);
	if (f != IMAP_OK)
		goto out;
	sync_commands_done(&s);
	long rss, peak;
	rss_kb(&rss, &peak);
	log_debug("%s: sync done, %llu new messages, peak RSS so far %ld kB", ac->a->name,
		  (unsigned long long)s.stored, peak);
	refresh(ac, st, last_full);
	if (ac->o->once)
		goto out;

	int64_t next_poll = (int64_t)time(NULL) + ac->a->poll_interval;
	while (!*ac->stop) {
		time_t now = time(NULL);
		if (imap_has_idle(im)) {
			struct imap_folder_info info;
			bool activity = false;
			int wait = (int)(next_poll - now);
			if (wait > DAEMON_IDLE_MAX)
				wait = DAEMON_IDLE_MAX;
			if (wait < 1)
				wait = 1;
			set_status(ac, "%s: idle", ac->a->name);
			if ((f = imap_examine(im, "INBOX", &info)) != IMAP_OK ||
			    (f = imap_idle(im, wait, ac->stop, &activity)) != IMAP_OK)
				break;
			/* always look again after DONE: libetpan 1.9.4 may have
			 * dropped an EXISTS that came with the continuation */
			bool interrupted, store_error;
			f = sync_folder(&s, "INBOX", NULL, &interrupted, &store_error);
			note_stored(ac, &s);
			if (store_error) {
				log_err("%s: INBOX: database error, batch not stored (retried "
					"later): %s", ac->a->name, store_errmsg(st));
				ac->store_failed = true;
			}
			if (f != IMAP_OK)
				break;
		} else {
			set_status(ac, "%s: waiting %d s", ac->a->name, (int)(next_poll - now));
			nap(ac, (int)(next_poll - now));
		}
		if (*ac->stop)
			break;
		if (time(NULL) >= next_poll) {
			f = cycle(ac, &s, &folders, 0);
			note_stored(ac, &s);
			if (f != IMAP_OK)
				break;
			sync_commands_done(&s);
			next_poll = (int64_t)time(NULL) + ac->a->poll_interval;
		}
		refresh(ac, st, last_full);
	}
out:
	free(s.sent);
	sl_free(&s.elsewhere);
	sl_free(&folders);
	return f;
}

static bool permanent(enum imap_fail f)
{
	return f == IMAP_AUTH || f == IMAP_TLS || f == IMAP_CONFIG;
}

static void *account_main(void *arg)
{
	struct acct *ac = arg;
	struct store *st = NULL;
	char *why = NULL;
	int backoff = 0;
	int64_t last_full = 0;

	if (!(st = daemon_open_store(ac->c, false))) {
		ac->result = 1;
		return NULL;
	}
	/* scores fresher than a day are not recomputed at start */
	store_scores_oldest(st, ac->a->name, &last_full);
	/* made at start (prepare_db); without it mailed commands are refused */
	if (action_key_load(ac->c, false, ac->key, &why) == 0)
		ac->have_key = true;
	else {
		log_warnx("%s: mailed commands will be refused: %s", ac->a->name, why);
		free(why);
		why = NULL;
	}
	/* mail a killed run stored, or a changed roster or override, is
	 * past the account's score watermark; else nothing is to score */
	bool stale = true;
	model_unscored(st, ac->a->name, &stale);
	ac->unscored = stale;
	while (!*ac->stop) {
		char *secret = NULL;
		enum imap_fail f;
		int r = secret_get(ac->c, ac->a, ac->stop, &secret, &why);
		struct imap *im = NULL;
		if (r < 0) {
			/* a missing or unsafe secret is a configuration problem;
			 * a helper command that failed may work next time */
			f = r == -EIO || r == -EINTR ? IMAP_TEMPORARY : IMAP_CONFIG;
		} else {
			set_status(ac, "%s: connecting", ac->a->name);
			f = imap_open(ac->a, secret, ac->o->read_timeout, ac->o->command_deadline, &im,
				      &why);
			secret_free(secret);
		}
		if (f == IMAP_OK) {
			log_info("%s: logged in to %s:%d", ac->a->name, ac->a->host, ac->a->port);
			pthread_mutex_lock(&ac->lock);
			ac->im = im;
			pthread_mutex_unlock(&ac->lock);
			ac->store_failed = false;
			f = connected(ac, st, im, &last_full);
			why = f == IMAP_OK ? NULL
			      : ac->store_failed ? xstrdup("the database refused the batch")
						 : xstrdup(imap_error(im));
			pthread_mutex_lock(&ac->lock);
			ac->im = NULL;
			pthread_mutex_unlock(&ac->lock);
			imap_close(im);
			if (f == IMAP_OK) {
				free(why);
				backoff = 0;
				if (ac->o->once) {
					ac->result = 0;
					set_status(ac, "%s: synced", ac->a->name);
					break;
				}
				continue;
			}
			/* it worked until now: start over gently, unless the
			 * database (a full disk) is what failed */
			if (!ac->store_failed)
				backoff = 0;
		}
		if (*ac->stop) {
			free(why);
			break;
		}
		/* a token command gives a fresh token at every login: a refused
		 * one is retried like any passing failure; a refused static
		 * password waits for a new configuration */
		if (f == IMAP_AUTH && ac->a->oauth2_token_command && !ac->o->once) {
			char *t = xasprintf("%s (a new token is asked for at the next attempt)", why);
			free(why);
			why = t;
			f = IMAP_TEMPORARY;
		}
		if (permanent(f) && ac->o->once) {
			log_err("%s: %s", ac->a->name, why);
			free(why);
			ac->result = 1;
			break;
		}
		if (permanent(f)) {
			log_err("%s: %s; not retrying until the configuration is reloaded "
				"(systemctl reload rapportd)", ac->a->name, why);
			free(why);
			ac->result = 1;
			set_status(ac, "%s: failed permanently", ac->a->name);
			while (!ac->o->once && !*ac->stop)
				nap(ac, 60);
			break;
		}
		ac->result = 1;
		if (ac->o->once) {
			log_err("%s: %s", ac->a->name, why);
			free(why);
			break;
		}
		int wait;
		if (f == IMAP_THROTTLED && im == NULL) {
			wait = DAEMON_BACKOFF_MIN;
		} else {
			backoff = backoff ? backoff * 2 : DAEMON_BACKOFF_MIN;
			if (backoff > DAEMON_BACKOFF_MAX)
				backoff = DAEMON_BACKOFF_MAX;
			wait = backoff;
		}
		/* jitter of +-20%, so that accounts of one server spread out */
		wait = (int)(wait * (0.8 + 0.4 * ((double)rand() / RAND_MAX)));
		if (wait < 1)
			wait = 1;
		log_warnx("%s: %s; retrying in %d s", ac->a->name, why, wait);
		free(why);
		set_status(ac, "%s: retrying in %d s", ac->a->name, wait);
		nap(ac, wait);
	}
	store_close(st);
	return NULL;
}

/* ---- the digest ------------------------------------------------------------ */

/* Delivers account's digest on ch if today's is due and not yet handled.
 * Returns 0 when handled (sent, or nothing to send), negative to retry. */
int daemon_digest(struct store *st, const struct conf *c, const struct conf_account *a,
		  int chan, bool force, volatile int *stop)
{
	enum notify_channel ch = (enum notify_channel)chan;
	int64_t now = (int64_t)time(NULL);
	char day[16], *last = NULL, *why = NULL;
	bool due;
	notify_today(c, now, day, &due);
	/* the team digest (a coordinator's) is one, for every account */
	if (ch == NOTIFY_TEAM)
		a = NULL;
	const char *name = a ? a->name : "team";
	char *key = notify_day_key(a ? a->name : NULL, ch);
	int r = store_setting(st, key, &last);
	bool done = r == 0 && strcmp(last, day) == 0;
	free(last);
	if (!force && (!due || done)) {
		free(key);
		return 0;
	}
	size_t sent = 0;
	/* the links' key: without it the digest still goes, without links */
	unsigned char mac_key[ACTION_KEY_BYTES];
	bool keyed = a && action_key_load(c, true, mac_key, &why) == 0;
	if (a && !keyed) {
		log_warnx("%s: the digest goes without action links: %s", a->name, why);
		free(why);
		why = NULL;
	}
	r = notify_digest(st, c, a, ch, now, keyed ? mac_key : NULL, stop, &sent, &why);
	explicit_bzero(mac_key, sizeof(mac_key));
	if (r < 0) {
		log_warnx("%s: %s digest: %s", name, notify_channel_name(ch), why);
		free(why);
		free(key);
		return r;
	}
	if (sent)
		log_info("%s: %s digest with %zu nudge%s delivered", name,
			 notify_channel_name(ch), sent, sent == 1 ? "" : "s");
	if (store_begin(st) < 0 || store_setting_put(st, key, day) < 0 || store_commit(st) < 0) {
		store_rollback(st);
		log_err("%s: cannot record the digest day: %s", name, store_errmsg(st));
	}
	free(key);
	return 0;
}

struct digester {
	const struct conf *c;
	volatile int *stop;
	pthread_t tid;
	bool running;
};

int daemon_report(struct store *st, const struct conf *c, bool force)
{
	if (!c->report_dir)
		return 0;
	int64_t now = (int64_t)time(NULL);
	char day[16], *last = NULL, *why = NULL;
	bool due;
	notify_today(c, now, day, &due);
	bool done = store_setting(st, "report:day", &last) == 0 && strcmp(last, day) == 0;
	free(last);
	if (!force && (!due || done))
		return 0;
	unsigned char key[ACTION_KEY_BYTES];
	bool keyed = action_key_load(c, true, key, &why) == 0;
	free(why);
	why = NULL;
	struct site_options so = {NULL, now, c->database_group_read, keyed ? key : NULL};
	int r = site_publish(st, c, c->report_dir, &so, &why);
	explicit_bzero(key, sizeof(key));
	if (r < 0) {
		log_warnx("report: %s", why);
		free(why);
		return r;
	}
	log_info("report written to %s", c->report_dir);
	if (store_begin(st) < 0 || store_setting_put(st, "report:day", day) < 0 ||
	    store_commit(st) < 0) {
		store_rollback(st);
		log_err("%s: cannot record the report day: %s", c->database, store_errmsg(st));
	}
	return 0;
}

/* Once a day per account and channel, and the report; a failure is
 * retried with backoff. */
static void *digest_main(void *arg)
{
	struct digester *dg = arg;
	struct store *st = daemon_open_store(dg->c, false);
	if (!st)
		return NULL;
	size_t n = dg->c->n_accounts * NOTIFY_N;
	int *backoff = xcalloc(n + 1, sizeof(int));
	int64_t *next = xcalloc(n + 1, sizeof(int64_t)), next_report = 0;
	while (!*dg->stop) {
		int64_t now = (int64_t)time(NULL);
		for (size_t i = 0; i < dg->c->n_accounts && !*dg->stop; i++)
			for (int ch = 0; ch < NOTIFY_N; ch++) {
				size_t k = i * NOTIFY_N + (size_t)ch;
				if (!notify_enabled(dg->c, (enum notify_channel)ch) || now < next[k] ||
				    (ch == NOTIFY_TEAM && i > 0))
					continue;
				if (daemon_digest(st, dg->c, &dg->c->accounts[i],
						  (enum notify_channel)ch, false, dg->stop) < 0) {
					backoff[k] = backoff[k] ? backoff[k] * 2 : DAEMON_BACKOFF_MIN;
					if (backoff[k] > DAEMON_BACKOFF_MAX)
						backoff[k] = DAEMON_BACKOFF_MAX;
					next[k] = now + backoff[k];
					log_info("%s: %s digest retried in %d s",
						 ch == NOTIFY_TEAM ? "team" : dg->c->accounts[i].name,
						 notify_channel_name((enum notify_channel)ch), backoff[k]);
				} else {
					backoff[k] = 0;
					next[k] = 0;
				}
			}
		/* the report once a day, after the day's scores; retried next loop */
		if (!*dg->stop && now >= next_report && daemon_report(st, dg->c, false) < 0)
			next_report = now + DAEMON_BACKOFF_MAX;
		for (int s = 0; s < 5 && !*dg->stop; s++)
			sleep(1);
	}
	free(backoff);
	free(next);
	store_close(st);
	return NULL;
}

/* ---- a generation of account threads (one per configuration) ------------ */

struct gen {
	struct conf *c;
	struct acct *acc;
	size_t n;
	volatile int stop;
	struct digester dg;
};

static int gen_start(struct gen *g, const struct daemon_options *o)
{
	size_t imap = 0;
	g->acc = xcalloc(g->c->n_accounts + 1, sizeof(*g->acc));
	for (size_t i = 0; i < g->c->n_accounts; i++) {
		const struct conf_account *a = &g->c->accounts[i];
		if (!a->host) {
			log_info("%s: no IMAP host configured (import only)", a->name);
			continue;
		}
		struct acct *ac = &g->acc[g->n++];
		ac->c = g->c;
		ac->a = a;
		ac->o = o;
		ac->stop = &g->stop;
		ac->result = 1;
		pthread_mutex_init(&ac->lock, NULL);
		if (a->tls == CONF_TLS_NONE)
			log_warnx("%s: tls = \"none\": the password crosses %s in clear text",
				  a->name, a->host);
		int r = parsew_start(NULL, 0, &ac->w);
		if (r < 0) {
			log_err("%s: cannot start the parse worker: %s", a->name, strerror(-r));
			continue;
		}
		if (pthread_create(&ac->tid, NULL, account_main, ac) != 0) {
			log_err("%s: cannot start a thread", a->name);
			continue;
		}
		ac->running = true;
		imap++;
	}
	if (!o->once && (notify_enabled(g->c, NOTIFY_EMAIL) || notify_enabled(g->c, NOTIFY_WEBHOOK) ||
			 g->c->report_dir)) {
		g->dg = (struct digester){g->c, &g->stop, 0, false};
		if (pthread_create(&g->dg.tid, NULL, digest_main, &g->dg) == 0)
			g->dg.running = true;
		else
			log_err("cannot start the digest thread");
	}
	return imap ? 0 : -ENOENT;
}

/* Asks the threads to stop, waits for them (aborting their connections
 * after grace_ms), and frees the generation but not its configuration. */
static void gen_stop(struct gen *g, int64_t grace_ms)
{
	g->stop = 1;
	int64_t until = imap_now_ms() + grace_ms;
	for (size_t i = 0; i < g->n; i++) {
		struct acct *ac = &g->acc[i];
		while (ac->running) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 200 * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			if (pthread_timedjoin_np(ac->tid, NULL, &ts) == 0) {
				ac->running = false;
				break;
			}
			if (imap_now_ms() > until) {
				pthread_mutex_lock(&ac->lock);
				if (ac->im)
					imap_abort(ac->im);
				pthread_mutex_unlock(&ac->lock);
			}
		}
	}
	if (g->dg.running) {
		pthread_join(g->dg.tid, NULL);
		g->dg.running = false;
	}
	for (size_t i = 0; i < g->n; i++) {
		parsew_stop(g->acc[i].w);
		pthread_mutex_destroy(&g->acc[i].lock);
	}
	free(g->acc);
	g->acc = NULL;
	g->n = 0;
}

static void gen_tick(struct gen *g, char *status, size_t size)
{
	int64_t now = imap_now_ms();
	size_t off = 0;
	status[0] = '\0';
	for (size_t i = 0; i < g->n; i++) {
		struct acct *ac = &g->acc[i];
		pthread_mutex_lock(&ac->lock);
		if (ac->im)
			imap_enforce_deadline(ac->im, now);
		if (off < size)
			off += (size_t)snprintf(status + off, size - off, "%s%s", i ? "; " : "",
						ac->status);
		pthread_mutex_unlock(&ac->lock);
	}
}

static bool gen_done(struct gen *g)
{
	for (size_t i = 0; i < g->n; i++)
		if (g->acc[i].running && pthread_tryjoin_np(g->acc[i].tid, NULL) == 0)
			g->acc[i].running = false;
	for (size_t i = 0; i < g->n; i++)
		if (g->acc[i].running)
			return false;
	return true;
}

struct store *daemon_open_store(const struct conf *c, bool sync_roster)
{
	struct store *st;
	char *why = NULL;
	if (store_open(c->database, c->database_group_read ? STORE_RW_GROUP : STORE_RW, &st,
		       &why) < 0) {
		log_err("%s", why);
		free(why);
		return NULL;
	}
	if (!sync_roster)
		return st;
	int r = store_begin(st);
	if (r == 0)
		r = store_sync_roster(st, c);
	if (r == 0)
		r = store_commit(st);
	if (r < 0) {
		log_err("%s: cannot store the roster: %s", c->database, store_errmsg(st));
		store_rollback(st);
		store_close(st);
		return NULL;
	}
	return st;
}

int daemon_rescore(struct store *st, const struct conf *c, bool import_only, int64_t now)
{
	int failed = 0;
	for (size_t i = 0; i < c->n_accounts; i++) {
		const struct conf_account *a = &c->accounts[i];
		bool stale = true;
		if ((import_only && a->host) || (model_unscored(st, a->name, &stale) == 0 && !stale))
			continue;
		size_t clients = 0, messages = 0;
		int r = model_refresh(st, c, a->name, false, now, &clients, &messages);
		if (r < 0 && r != -ENOENT) {
			log_err("%s: cannot compute scores: %s", a->name, store_errmsg(st));
			failed++;
		} else if (r == 0) {
			daemon_log_scored(a->name, clients, messages);
		}
	}
	return failed;
}

static int prepare_db(const struct conf *c)
{
	struct store *st = daemon_open_store(c, true);
	unsigned char key[ACTION_KEY_BYTES];
	char *why = NULL;
	/* the key the digest's links are signed with: made once, kept */
	if (st && action_key_load(c, true, key, &why) < 0) {
		log_warnx("%s; the digest goes without action links", why);
		free(why);
	}
	explicit_bzero(key, sizeof(key));
	if (st)
		daemon_rescore(st, c, true, (int64_t)time(NULL));
	store_close(st);
	return st ? 0 : -EIO;
}

int daemon_run(struct conf *c, const struct daemon_options *opts)
{
	struct daemon_options o = *opts;
	if (!o.read_timeout)
		o.read_timeout = DAEMON_READ_TIMEOUT;
	if (!o.command_deadline)
		o.command_deadline = DAEMON_COMMAND_DEADLINE;
	srand((unsigned)time(NULL) ^ (unsigned)getpid());

	/* the threads inherit this mask; the main thread takes the signals */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	/* one rapportd per database: a second one would race the first
	 * for the schema and both would write the same checkpoints */
	int lock = -1;
	char *why = NULL;
	if (store_lock(c->database, c->database_group_read, &lock, &why) < 0) {
		log_err("%s", why);
		free(why);
		conf_free(c);
		free(c);
		return 1;
	}
	struct gen g = {c, NULL, 0, 0, {0}};
	int prepared = prepare_db(c);
	if (prepared < 0 || gen_start(&g, &o) < 0) {
		/* a database that cannot be opened has been reported already */
		if (prepared == 0 && !g.n)
			log_err("%s: no account with an IMAP host to sync", c->path);
		gen_stop(&g, 0);
		conf_free(c);
		free(c);
		close(lock);
		return 1;
	}
	sd_say("READY=1");
	int64_t wd = watchdog_ms(), last_wd = 0;
	char status[1024] = "", last_status[1024] = "";
	int ret = 0;
	for (;;) {
		/* --once ends as soon as its syncs do, not a tick later */
		struct timespec one = {0, (o.once ? 10 : 250) * 1000000L};
		siginfo_t info;
		int sig = sigtimedwait(&set, &info, &one);
		if (sig == SIGTERM || sig == SIGINT) {
			log_info("stopping (signal %d)", sig);
			sd_say("STOPPING=1");
			gen_stop(&g, 3000);
			break;
		}
		if (sig == SIGHUP) {
			struct conf *nc = xcalloc(1, sizeof(*nc));
			struct strlist errors = {0}, warnings = {0};
			int nlock = -1;
			if (conf_load(c->path, net_url_check, nc, &errors, &warnings) < 0) {
				for (size_t i = 0; i < errors.n; i++)
					log_err("%s", errors.v[i]);
				log_err("reload refused: keeping the configuration in use");
				free(nc);
			} else if (strcmp(nc->database, c->database) != 0 &&
				   store_lock(nc->database, nc->database_group_read, &nlock,
					      &why) < 0) {
				log_err("%s; reload refused: keeping the configuration in use", why);
				free(why);
				conf_free(nc);
				free(nc);
			} else {
				if (nlock >= 0) {
					close(lock);
					lock = nlock;
				}
				for (size_t i = 0; i < warnings.n; i++)
					log_warnx("%s", warnings.v[i]);
				log_info("reloading %s", c->path);
				sd_say("RELOADING=1");
				gen_stop(&g, 3000);
				conf_free(c);
				free(c);
				c = nc;
				g = (struct gen){c, NULL, 0, 0, {0}};
				if (prepare_db(c) < 0 || gen_start(&g, &o) < 0)
					log_err("after the reload no account syncs");
				sd_say("READY=1");
			}
			sl_free(&errors);
			sl_free(&warnings);
		}
		gen_tick(&g, status, sizeof(status));
		if (strcmp(status, last_status) != 0) {
			char *msg = xasprintf("STATUS=%s", status);
			sd_say(msg);
			free(msg);
			memcpy(last_status, status, sizeof(status));
		}
		int64_t now = imap_now_ms();
		if (wd && now - last_wd >= wd / 4) {
			sd_say("WATCHDOG=1");
			last_wd = now;
		}
		if (o.once && gen_done(&g)) {
			for (size_t i = 0; i < g.n; i++)
				ret |= g.acc[i].result;
			gen_stop(&g, 0);
			break;
		}
	}
	conf_free(c);
	free(c);
	close(lock);
	return ret;
}
