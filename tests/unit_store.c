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

	/* a schema version 2 database is brought to version 5: the weak list's
	 * covering index replaces the old partial one (3), whose client rows
	 * learn their liaisons and mailed commands get their table (4), and
	 * recipients and references are one row per message (5) */
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
	CHECK_INT(sqlite3_exec(h, "DROP INDEX scores_weak_list; CREATE INDEX scores_weak ON"
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
