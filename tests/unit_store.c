/* Unit tests: store. Idempotent message storage, INBOX copies, locations,
 * quarantine, roster sync, sync state, file modes and refusals. */
#include "config.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "store.h"

static char dir[] = "/tmp/rapport-unit-store-XXXXXX";

static long long q1(const char *db, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *q;
	long long v = -1;
	sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL);
	if (sqlite3_prepare_v2(h, sql, -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	else
		fprintf(stderr, "query failed: %s: %s\n", sql, sqlite3_errmsg(h));
	sqlite3_finalize(q);
	sqlite3_close(h);
	return v;
}

/* The score a store_each_score callback saw last. */
static int keep_score(void *ud, const struct store_score_row *r)
{
	*(struct score *)ud = r->s;
	return 0;
}

/* Sets the stored brief of every score to the bytes hex (NULL: SQL NULL). */
static void set_brief(const char *db, const char *hex)
{
	sqlite3 *h;
	char *sql = hex ? xasprintf("UPDATE scores SET brief = x'%s'", hex)
			: xstrdup("UPDATE scores SET brief = NULL");
	if (sqlite3_open(db, &h) != SQLITE_OK || sqlite3_exec(h, sql, NULL, NULL, NULL) != SQLITE_OK)
		fprintf(stderr, "cannot set the brief: %s\n", sqlite3_errmsg(h));
	sqlite3_close(h);
	free(sql);
}

static void mk(struct msg *m, const char *id, const char *from, const char *to)
{
	*m = (struct msg){0};
	m->message_id = xstrdup(id);
	m->from = xstrdup(from);
	sl_add(&m->to, to);
	m->subject = xstrdup("Re: hello");
	m->subject_norm = xstrdup("hello");
	m->date = 1700000000;
	sl_add(&m->references, "root@x");
	sl_add(&m->references, "mid@x");
}

int main(void)
{
	if (!mkdtemp(dir))
		return 99;
	char *db = xasprintf("%s/sub/rapport.db", dir);
	struct store *st;
	char *why = NULL;

	CHECK_INT(store_open(db, STORE_RW, &st, &why), 0);
	struct stat sb;
	CHECK(stat(db, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	char *sub = xasprintf("%s/sub", dir);
	CHECK(stat(sub, &sb) == 0 && (sb.st_mode & 0777) == 0700);
	CHECK_INT(q1(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);

	int64_t acc, inbox, sent, acc2;
	CHECK_INT(store_account(st, "chem", &acc), 0);
	CHECK_INT(store_account(st, "chem", &acc2), 0);
	CHECK_INT(acc, acc2);
	CHECK_INT(store_folder(st, acc, "INBOX", "inbox", &inbox), 0);
	CHECK_INT(store_folder(st, acc, "Sent", "sent", &sent), 0);

	struct msg m;
	bool fresh = false;
	mk(&m, "a@x", "ada@x.example", "bob@x.example");
	CHECK_INT(store_begin(st), 0);
	/* first seen outside INBOX, not addressed to the liaison: unrelated */
	CHECK_INT(store_message_add(st, acc, sent, 0, &m, MSG_PERSONAL, DIR_UNRELATED, false,
				    &fresh), 0);
	CHECK(fresh);
	CHECK_INT(store_message_add(st, acc, sent, 0, &m, MSG_PERSONAL, DIR_UNRELATED, false,
				    &fresh), 0);
	CHECK(!fresh);
	/* the same message in INBOX: one row, two locations, now inbound */
	CHECK_INT(store_message_add(st, acc, inbox, 7, &m, MSG_PERSONAL, DIR_INBOUND, true,
				    &fresh), 0);
	CHECK(!fresh);
	CHECK_INT(store_quarantine(st, acc, "file.mbox", "byte 10", "no header fields"), 0);
	CHECK_INT(store_quarantine(st, acc, "file.mbox", "byte 10", "no header fields"), 0);
	CHECK_INT(store_folder_set_state(st, inbox, 1234, 99, 1700000000), 0);
	CHECK_INT(store_commit(st), 0);
	msg_free(&m);

	CHECK_INT(q1(db, "SELECT count(*) FROM messages"), 1);
	CHECK_INT(q1(db, "SELECT in_inbox FROM messages"), 1);
	CHECK_INT(q1(db, "SELECT direction = 'inbound' FROM messages"), 1);
	CHECK_INT(q1(db, "SELECT count(*) FROM locations"), 2);
	CHECK_INT(q1(db, "SELECT uid FROM locations WHERE folder = 1"), 7);
	CHECK_INT(q1(db, "SELECT count(*) FROM refs"), 2);
	CHECK_INT(q1(db, "SELECT count(*) FROM recipients"), 1);
	CHECK_INT(q1(db, "SELECT count(*) FROM quarantine"), 1);

	uint32_t uv = 0, last = 0;
	CHECK_INT(store_folder_state(st, inbox, &uv, &last), 0);
	CHECK_INT(uv, 1234);
	CHECK_INT(last, 99);

	int64_t kinds[5], quar;
	CHECK_INT(store_count(st, "chem", kinds, &quar), 0);
	CHECK_INT(kinds[MSG_PERSONAL], 1);
	CHECK_INT(quar, 1);

	/* roster: first claim wins; a re-sync replaces the roster */
	struct conf c;
	conf_defaults(&c);
	c.n_clients = 2;
	c.clients = xcalloc(2, sizeof(*c.clients));
	c.clients[0].name = xstrdup("Ada");
	sl_add(&c.clients[0].addresses, "ada@x.example");
	c.clients[1].name = xstrdup("Also Ada");
	sl_add(&c.clients[1].addresses, "ada@x.example");
	sl_add(&c.clients[1].addresses, "ada2@x.example");
	c.n_departments = 1;
	c.departments = xcalloc(1, sizeof(*c.departments));
	c.departments[0].name = xstrdup("Chemistry");
	sl_add(&c.departments[0].domains, "chem.x.example");
	CHECK_INT(store_begin(st), 0);
	CHECK_INT(store_sync_roster(st, &c), 0);
	CHECK_INT(store_sync_roster(st, &c), 0);
	CHECK_INT(store_commit(st), 0);
	CHECK_INT(q1(db, "SELECT count(*) FROM clients"), 2);
	CHECK_INT(q1(db, "SELECT c.name = 'Ada' FROM client_addresses a JOIN clients c"
			 " ON c.id = a.client WHERE a.addr = 'ada@x.example'"), 1);
	CHECK_INT(q1(db, "SELECT count(*) FROM department_domains"), 1);
	conf_free(&c);

	/* a score reads back the same from its columns and from its brief,
	 * extremes included */
	struct score put = {
		.out_weight = 1.0 / 3, .reciprocity = 0.125, .response_rate = 2.0 / 7,
		.answered = 0, .decided = 2147483647, .pending = 3, .undelivered = 4,
		.client_initiated = 5, .liaison_initiated = 6, .unknown_initiated = 7,
		.unanswered_streak = 8, .initiation_balance = -0.5, .volume = 1e300,
		.tie_strength = 100, .klass = CLASS_STRONG, .one_sided = true,
		.phase = PHASE_EXPLORATION, .trend = TREND_APART, .recent = 9, .before = 10,
		.client_latency_h = 1.5, .liaison_latency_h = -1, .last_message = INT64_MAX,
		.last_inbound = -1, .one_sided_since = 1700000000,
	};
	int64_t ada = q1(db, "SELECT id FROM clients WHERE name = 'Ada'");
	CHECK_INT(store_score_put(st, acc, ada, "Ada", "Chemistry", "ada@x.example", 1700000000,
				  1700000001, &put), 0);
	struct score full, brief;
	CHECK_INT(store_each_score(st, false, 0, false, keep_score, &full), 0);
	CHECK_INT(store_each_score(st, false, 0, true, keep_score, &brief), 0);
	CHECK(full.out_weight == put.out_weight && brief.out_weight == put.out_weight);
	CHECK(full.reciprocity == put.reciprocity && brief.reciprocity == put.reciprocity);
	CHECK(full.response_rate == put.response_rate && brief.response_rate == put.response_rate);
	CHECK(full.volume == put.volume && brief.volume == put.volume);
	const int want[] = {0, 2147483647, 3, 4, 5, 6, 8, 100, 9, 10};
	const int got_full[] = {full.answered, full.decided, full.pending, full.undelivered,
				full.client_initiated, full.liaison_initiated, full.unanswered_streak,
				full.tie_strength, full.recent, full.before};
	const int got_brief[] = {brief.answered, brief.decided, brief.pending, brief.undelivered,
				 brief.client_initiated, brief.liaison_initiated,
				 brief.unanswered_streak, brief.tie_strength, brief.recent,
				 brief.before};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		CHECK_INT(got_full[i], want[i]);
		CHECK_INT(got_brief[i], want[i]);
	}
	CHECK(full.klass == CLASS_STRONG && brief.klass == CLASS_STRONG);
	CHECK(full.one_sided && brief.one_sided);
	CHECK(full.phase == PHASE_EXPLORATION && brief.phase == PHASE_EXPLORATION);
	CHECK(full.trend == TREND_APART && brief.trend == TREND_APART);
	CHECK(full.last_message == INT64_MAX && brief.last_message == INT64_MAX);
	CHECK(full.last_inbound == -1 && brief.last_inbound == -1);
	/* what the brief leaves out */
	CHECK(full.unknown_initiated == 7 && brief.unknown_initiated == 0);
	CHECK(full.client_latency_h == 1.5 && brief.client_latency_h == -1);
	CHECK(full.one_sided_since == 1700000000 && brief.one_sided_since == 0);
	CHECK(full.initiation_balance == -0.5 && brief.initiation_balance == 0);

	/* a damaged brief is an error naming the client, never a wrong row:
	 * missing, cut, too long, another version, an enum out of range
	 * (class, one-sided, phase and trend follow the version byte, 4
	 * doubles and 10 integers: bytes 73 to 76) */
	char good[2 * 93 + 1];
	sqlite3 *hq;
	sqlite3_stmt *sq;
	CHECK_INT(sqlite3_open(db, &hq), SQLITE_OK);
	CHECK_INT(sqlite3_prepare_v2(hq, "SELECT hex(brief) FROM scores", -1, &sq, NULL), SQLITE_OK);
	CHECK_INT(sqlite3_step(sq), SQLITE_ROW);
	CHECK_INT(sqlite3_column_bytes(sq, 0), 2 * 93);
	snprintf(good, sizeof(good), "%s", (const char *)sqlite3_column_text(sq, 0));
	sqlite3_finalize(sq);
	sqlite3_close(hq);
	struct {
		int at;           /* the byte set to value, or -1 */
		const char *value; /* two hex digits */
		int len;          /* hex digits kept, or -1: all, then extra */
		const char *extra;
	} bad[] = {
		{-1, "", 0, ""}, {-1, "", 2, ""}, {-1, "", 2 * 92, ""}, {-1, "", -1, "00"},
		{0, "02", -1, ""}, {0, "00", -1, ""}, {73, "03", -1, ""}, {74, "02", -1, ""},
		{75, "04", -1, ""}, {76, "04", -1, ""}, {73, "ff", -1, ""},
	};
	set_brief(db, NULL);
	CHECK_INT(store_each_score(st, false, 0, true, keep_score, &brief), -EIO);
	CHECK(strstr(store_errmsg(st), "the stored score of Ada is damaged"));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char hex[2 * 93 + 8];
		snprintf(hex, sizeof(hex), "%.*s%s", bad[i].len < 0 ? 2 * 93 : bad[i].len, good,
			 bad[i].extra);
		if (bad[i].at >= 0)
			memcpy(hex + 2 * bad[i].at, bad[i].value, 2);
		set_brief(db, hex);
		CHECK_INT(store_each_score(st, false, 0, true, keep_score, &brief), -EIO);
		CHECK(strstr(store_errmsg(st), "the stored score of Ada is damaged"));
	}
	set_brief(db, good);
	CHECK_INT(store_each_score(st, false, 0, true, keep_score, &brief), 0);
	CHECK(brief.decided == 2147483647 && brief.trend == TREND_APART);
	store_close(st);

	/* read-only open works on it; not on a file that is not a database */
	CHECK_INT(store_open(db, STORE_RO, &st, &why), 0);
	store_close(st);
	char *junk = xasprintf("%s/junk.db", dir);
	FILE *f = fopen(junk, "w");
	fputs("this is not sqlite", f);
	fclose(f);
	CHECK(store_open(junk, STORE_RO, &st, &why) < 0);
	CHECK(why && strstr(why, "not a rapport database"));
	free(why);
	why = NULL;

	/* the group may read what STORE_RW_GROUP creates */
	char *gdb = xasprintf("%s/group/rapport.db", dir);
	CHECK_INT(store_open(gdb, STORE_RW_GROUP, &st, &why), 0);
	store_close(st);
	CHECK(stat(gdb, &sb) == 0 && (sb.st_mode & 0777) == 0640);
	*strrchr(gdb, '/') = '\0';
	CHECK(stat(gdb, &sb) == 0 && (sb.st_mode & 0777) == 0750);
	free(gdb);

	/* a schema version 2 database is brought to version 7: the weak list's
	 * covering index replaces the old partial one (3), whose client rows
	 * learn their liaisons and mailed commands get their table (4),
	 * recipients and references are one row per message (5), a score's
	 * brief is filled from its columns and indexed in their place (6), and
	 * the index holds the columns of its WHERE too (7) */
	sqlite3 *h;
	CHECK_INT(sqlite3_open(db, &h), SQLITE_OK);
	int rcpt_rows = q1(db, "SELECT count(*) FROM recipients");
	CHECK(rcpt_rows > 0);
	CHECK_INT(sqlite3_exec(h, "CREATE TABLE r4(message INTEGER NOT NULL, field TEXT NOT NULL,"
			       " addr TEXT NOT NULL, PRIMARY KEY(message, field, addr)) WITHOUT"
			       " ROWID; INSERT INTO r4 SELECT * FROM recipients; CREATE TABLE"
			       " f4(message INTEGER NOT NULL, pos INTEGER NOT NULL, ref TEXT NOT"
			       " NULL, PRIMARY KEY(message, pos)) WITHOUT ROWID; INSERT INTO f4"
			       " SELECT * FROM refs; DROP VIEW recipients; DROP VIEW refs; DROP"
			       " TABLE message_lists; DROP INDEX messages_account_id; DROP INDEX"
			       " scores_computed; CREATE INDEX messages_from ON messages(from_addr);"
			       " ALTER TABLE r4 RENAME TO recipients; ALTER"
			       " TABLE f4 RENAME TO refs;", NULL, NULL, NULL), SQLITE_OK);
	CHECK_INT(sqlite3_exec(h, "DROP INDEX scores_weak_list; ALTER TABLE scores DROP COLUMN"
			       " brief; CREATE INDEX scores_weak ON"
			       " scores(tie_strength, out_weight DESC) WHERE phase <> 'dormant'"
			       " AND (class = 'weak' OR one_sided); ALTER TABLE clients DROP COLUMN"
			       " liaisons; DROP TABLE mail_actions; DROP TABLE overrides;"
			       " PRAGMA user_version = 2",
			       NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	CHECK(store_open(db, STORE_RO, &st, &why) < 0);
	CHECK(why && strstr(why, "rapportd upgrades it"));
	free(why);
	why = NULL;
	CHECK_INT(store_open(db, STORE_RW, &st, &why), 0);
	store_close(st);
	CHECK_INT(q1(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	CHECK_INT(q1(db, "SELECT count(*) FROM sqlite_master WHERE name = 'scores_weak_list'"), 1);
	CHECK_INT(q1(db, "SELECT count(*) FROM sqlite_master WHERE name = 'scores_weak'"), 0);
	CHECK_INT(q1(db, "SELECT count(*) FROM sqlite_master WHERE name = 'mail_actions'"), 1);
	/* 5: the rows became one text per message; the views give them back */
	CHECK_INT(q1(db, "SELECT count(*) FROM sqlite_master WHERE name = 'recipients' AND"
		     " type = 'view'"), 1);
	CHECK_INT(q1(db, "SELECT count(*) FROM recipients"), rcpt_rows);
	CHECK_INT(q1(db, "SELECT count(*) FROM refs"), 2);
	CHECK_INT(q1(db, "SELECT count(*) FROM sqlite_master WHERE name = 'overrides'"), 1);
	CHECK_INT(q1(db, "SELECT count(*) FROM pragma_table_info('clients') WHERE name = 'liaisons'"),
		  1);
	/* 6: the brief, as store_score_put wrote it, from the columns alone */
	char *same = xasprintf("SELECT count(*) FROM scores WHERE hex(brief) = '%s'", good);
	CHECK_INT(q1(db, same), 1);
	free(same);
	CHECK_INT(q1(db, "SELECT count(*) FROM pragma_index_info('scores_weak_list') WHERE"
		     " name = 'brief'"), 1);
	CHECK_INT(q1(db, "SELECT count(*) FROM pragma_index_info('scores_weak_list') WHERE"
		     " name IN ('phase', 'class', 'one_sided')"), 3);
	CHECK_INT(q1(db, "SELECT count(*) FROM pragma_index_info('scores_weak_list')"), 10);
	CHECK_INT(store_open(db, STORE_RO, &st, &why), 0);
	CHECK_INT(store_each_score(st, false, 0, true, keep_score, &brief), 0);
	CHECK(brief.decided == 2147483647 && brief.last_message == INT64_MAX &&
	      brief.volume == 1e300 && brief.klass == CLASS_STRONG && brief.one_sided);
	store_close(st);

	/* a world-writable directory is refused */
	char *ww = xasprintf("%s/ww", dir);
	mkdir(ww, 0777);
	chmod(ww, 0777);
	char *wwdb = xasprintf("%s/rapport.db", ww);
	CHECK_INT(store_open(wwdb, STORE_RW, &st, &why), -EPERM);
	CHECK(why && strstr(why, "world-writable"));
	free(why);

	char *cmd = xasprintf("rm -rf '%s'", dir);
	CHECK_INT(system(cmd), 0);
	free(cmd);
	free(ww);
	free(wwdb);
	free(junk);
	free(sub);
	free(db);
	return check_done("unit_store");
}
