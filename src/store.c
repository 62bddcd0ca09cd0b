/* store: see store.h. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <libgen.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

/* Schema version 1. Each later version appends a migration here; a
 * database is brought forward one step at a time inside a transaction. */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE accounts(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
	"CREATE TABLE folders(id INTEGER PRIMARY KEY,"
	" account_id INTEGER NOT NULL REFERENCES accounts(id),"
	" name TEXT NOT NULL, role TEXT NOT NULL DEFAULT '',"
	" uidvalidity INTEGER NOT NULL DEFAULT 0, last_uid INTEGER NOT NULL DEFAULT 0,"
	" last_sync INTEGER NOT NULL DEFAULT 0, UNIQUE(account_id, name));"
	"CREATE TABLE messages(id INTEGER PRIMARY KEY,"
	" account_id INTEGER NOT NULL REFERENCES accounts(id),"
	" message_id TEXT NOT NULL, synthetic_id INTEGER NOT NULL,"
	" date INTEGER NOT NULL, date_source TEXT NOT NULL,"
	" from_addr TEXT, from_name TEXT, subject TEXT NOT NULL, subject_norm TEXT NOT NULL,"
	" in_reply_to TEXT, list_id TEXT, kind TEXT NOT NULL, direction TEXT NOT NULL,"
	" in_inbox INTEGER NOT NULL, bounce_orig_id TEXT,"
	" bounce_per_recipient INTEGER NOT NULL DEFAULT 0, added_at INTEGER NOT NULL,"
	" UNIQUE(account_id, message_id));"
	"CREATE INDEX messages_date ON messages(account_id, date);"
	"CREATE INDEX messages_from ON messages(from_addr);"
	"CREATE TABLE recipients(message INTEGER NOT NULL REFERENCES messages(id),"
	" field TEXT NOT NULL, addr TEXT NOT NULL,"
	" PRIMARY KEY(message, field, addr)) WITHOUT ROWID;"
	"CREATE INDEX recipients_addr ON recipients(addr);"
	"CREATE TABLE refs(message INTEGER NOT NULL REFERENCES messages(id),"
	" pos INTEGER NOT NULL, ref TEXT NOT NULL, PRIMARY KEY(message, pos)) WITHOUT ROWID;"
	"CREATE INDEX refs_ref ON refs(ref);"
	"CREATE TABLE bounce_failed(message INTEGER NOT NULL REFERENCES messages(id),"
	" addr TEXT NOT NULL, PRIMARY KEY(message, addr)) WITHOUT ROWID;"
	"CREATE TABLE locations(message INTEGER NOT NULL REFERENCES messages(id),"
	" folder INTEGER NOT NULL REFERENCES folders(id), uid INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY(message, folder)) WITHOUT ROWID;"
	"CREATE INDEX locations_folder ON locations(folder);"
	"CREATE TABLE quarantine(id INTEGER PRIMARY KEY, account_id INTEGER,"
	" source TEXT NOT NULL, position TEXT NOT NULL, reason TEXT NOT NULL,"
	" added_at INTEGER NOT NULL, UNIQUE(source, position));"
	"CREATE TABLE departments(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
	"CREATE TABLE department_domains(domain TEXT PRIMARY KEY,"
	" department INTEGER NOT NULL REFERENCES departments(id));"
	"CREATE TABLE clients(id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
	" department TEXT, source TEXT NOT NULL, UNIQUE(source, name));"
	"CREATE TABLE client_addresses(addr TEXT PRIMARY KEY,"
	" client INTEGER NOT NULL REFERENCES clients(id));"
	"CREATE TABLE threads(message INTEGER PRIMARY KEY REFERENCES messages(id),"
	" thread INTEGER NOT NULL);"
	"CREATE INDEX threads_thread ON threads(thread);"
	"CREATE TABLE scores(account_id INTEGER NOT NULL REFERENCES accounts(id),"
	" client INTEGER NOT NULL REFERENCES clients(id), as_of INTEGER NOT NULL,"
	" computed_at INTEGER NOT NULL, out_weight REAL, in_weight REAL, reciprocity REAL,"
	" response_rate REAL, answered INTEGER, decided INTEGER, initiation_balance REAL,"
	" volume REAL, tie_strength INTEGER, class TEXT, one_sided INTEGER, phase TEXT,"
	" trend TEXT, client_latency_hours REAL, liaison_latency_hours REAL,"
	" PRIMARY KEY(account_id, client));"
	"CREATE TABLE nudges(id INTEGER PRIMARY KEY,"
	" account_id INTEGER NOT NULL REFERENCES accounts(id),"
	" client INTEGER NOT NULL REFERENCES clients(id), kind TEXT NOT NULL,"
	" thread_key TEXT NOT NULL, due_at INTEGER NOT NULL, state TEXT NOT NULL,"
	" snooze_until INTEGER, reason TEXT, created_at INTEGER NOT NULL,"
	" updated_at INTEGER NOT NULL, UNIQUE(account_id, kind, client, thread_key));",
	/* 1 -> 2: what the CLI needs to explain a score */
	"ALTER TABLE scores ADD COLUMN department TEXT;"
	"ALTER TABLE scores ADD COLUMN address TEXT;"
	"ALTER TABLE scores ADD COLUMN client_name TEXT;"
	"ALTER TABLE scores ADD COLUMN raw_rate REAL;"
	"ALTER TABLE scores ADD COLUMN pending INTEGER;"
	"ALTER TABLE scores ADD COLUMN undelivered INTEGER;"
	"ALTER TABLE scores ADD COLUMN client_initiated INTEGER;"
	"ALTER TABLE scores ADD COLUMN liaison_initiated INTEGER;"
	"ALTER TABLE scores ADD COLUMN unknown_initiated INTEGER;"
	"ALTER TABLE scores ADD COLUMN unanswered_streak INTEGER;"
	"ALTER TABLE scores ADD COLUMN recent INTEGER;"
	"ALTER TABLE scores ADD COLUMN before INTEGER;"
	"ALTER TABLE scores ADD COLUMN last_message INTEGER;"
	"ALTER TABLE scores ADD COLUMN last_inbound INTEGER;"
	"ALTER TABLE scores ADD COLUMN one_sided_since INTEGER;"
	"CREATE INDEX scores_weak ON scores(tie_strength, out_weight DESC) WHERE"
	" phase <> 'dormant' AND (class = 'weak' OR one_sided);"
	"CREATE INDEX client_addresses_client ON client_addresses(client);"
	"CREATE TABLE identities(account_id INTEGER NOT NULL REFERENCES accounts(id),"
	" addr TEXT NOT NULL, PRIMARY KEY(account_id, addr)) WITHOUT ROWID;"
	"CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
	"ALTER TABLE nudges ADD COLUMN message INTEGER REFERENCES messages(id);"
	"ALTER TABLE nudges ADD COLUMN last_seen INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE nudges ADD COLUMN resolved_at INTEGER;"
	"CREATE INDEX nudges_state ON nudges(state, due_at);"
	"CREATE TABLE nudge_deliveries(nudge INTEGER NOT NULL REFERENCES nudges(id),"
	" channel TEXT NOT NULL, delivered_at INTEGER NOT NULL,"
	" PRIMARY KEY(nudge, channel)) WITHOUT ROWID;",
	/* 2 -> 3: the weak list straight from one index, in its order, without
	 * touching the table (SCORE_COLS_BRIEF and the row's identity) */
	"DROP INDEX scores_weak;"
	"CREATE INDEX scores_weak_list ON scores(tie_strength, out_weight DESC, client_name,"
	" account_id, department, as_of, reciprocity, response_rate, answered, decided, volume,"
	" class, one_sided, phase, trend, pending, undelivered, client_initiated,"
	" liaison_initiated, unanswered_streak, recent, before, last_message, last_inbound)"
	" WHERE phase <> 'dormant' AND (class = 'weak' OR one_sided);",
	/* 3 -> 4: whose client (the accounts a roster client names, ';'-joined;
	 * NULL: every account), and the commands a liaison mailed */
	"ALTER TABLE clients ADD COLUMN liaisons TEXT;"
	"CREATE TABLE mail_actions(account_id INTEGER NOT NULL REFERENCES accounts(id),"
	" message_id TEXT NOT NULL, nudge INTEGER, action TEXT NOT NULL, result TEXT NOT NULL,"
	" applied_at INTEGER NOT NULL, PRIMARY KEY(account_id, message_id)) WITHOUT ROWID;"
	/* what a liaison says of a contact at run time (DOMAIN.md §1
	 * "Overrides"): account '' is every account */
	"CREATE TABLE overrides(id INTEGER PRIMARY KEY, kind TEXT NOT NULL,"
	" account TEXT NOT NULL DEFAULT '', subject TEXT NOT NULL, target TEXT, days INTEGER,"
	" reason TEXT, set_by TEXT NOT NULL, set_at INTEGER NOT NULL,"
	" UNIQUE(kind, account, subject));",
	/* 4 -> 5: a message's recipients and references in one row (see
	 * rcpt_text), not a row each: a broadcast to 500 addresses is one
	 * insert, not 500. Filled from the rows by lists_from_rows; then the
	 * old tables give way to views of the same name and columns, for
	 * whoever reads the database with the sqlite3 shell */
	"CREATE TABLE message_lists(message INTEGER PRIMARY KEY REFERENCES messages(id),"
	" recipients TEXT, refs TEXT);"
	/* an account's newest message (the score watermark) in one probe:
	 * a no-change poll costs the same at 2,000 messages and at 1,000,000 */
	"CREATE INDEX messages_account_id ON messages(account_id, id);"
	/* nothing looks messages up by sender: the index only cost inserts */
	"DROP INDEX messages_from;"
	/* and the age of its oldest scores, at every start */
	"CREATE INDEX scores_computed ON scores(account_id, computed_at);",
	/* 5 -> 6: what the tables show of a score also in one value, brief
	 * (see brief_pack), filled by brief_from_columns: a listing reads one
	 * value per row, not 20 (and from schema 7 the weak list's index
	 * holds it instead of the 20 columns) */
	"ALTER TABLE scores ADD COLUMN brief BLOB;",
	/* 6 -> 7: the weak list's index with the brief in place of the
	 * columns it stands for (an upgrade from schema 5 arrives with
	 * those), and the columns of its WHERE too:
	 * SQLite (3.40, Debian 12's) reads them to test each row even of a
	 * partial index whose own WHERE is the same, so without them every row
	 * of the list was a seek into the table */
	"DROP INDEX scores_weak_list;"
	"CREATE INDEX scores_weak_list ON scores(tie_strength, out_weight DESC, client_name,"
	" account_id, department, as_of, brief, phase, class, one_sided)"
	" WHERE phase <> 'dormant' AND (class = 'weak' OR one_sided);",
};
/* A score's brief: the fields of SCORE_COLS_BRIEF in one value, a
 * version byte and then, little-endian, 4 doubles, 10 32-bit integers, 4
 * bytes (class, one-sided, phase, trend) and 2 64-bit dates. */
enum { BRIEF_VERSION = 1, BRIEF_BYTES = 1 + 4 * 8 + 10 * 4 + 4 + 2 * 8 };


/* The views that stand for schema 4's tables recipients and refs. */
static const char lists_views[] =
	"CREATE VIEW recipients(message, field, addr) AS"
	" WITH RECURSIVE s(message, item, rest) AS ("
	"  SELECT message, NULL, recipients || char(10) FROM message_lists"
	"  WHERE recipients IS NOT NULL"
	"  UNION ALL SELECT message, substr(rest, 1, instr(rest, char(10)) - 1),"
	"  substr(rest, instr(rest, char(10)) + 1) FROM s WHERE rest <> '')"
	" SELECT message, substr(item, 1, instr(item, ' ') - 1), substr(item, instr(item, ' ') + 1)"
	" FROM s WHERE item IS NOT NULL;"
	"CREATE VIEW refs(message, pos, ref) AS"
	" WITH RECURSIVE s(message, pos, item, rest) AS ("
	"  SELECT message, -1, NULL, refs || char(10) FROM message_lists WHERE refs IS NOT NULL"
	"  UNION ALL SELECT message, pos + 1, substr(rest, 1, instr(rest, char(10)) - 1),"
	"  substr(rest, instr(rest, char(10)) + 1) FROM s WHERE rest <> '')"
	" SELECT message, pos, item FROM s WHERE item IS NOT NULL;";

/* The score columns, in the order score_bind/score_read use them: first
 * those the tables and aggregates show (SCORE_COLS_BRIEF), then the rest. */
#define SCORE_COLS_BRIEF                                                                  \
	"out_weight, reciprocity, response_rate, answered, decided, volume, tie_strength,"  \
	" class, one_sided, phase, trend, pending, undelivered, client_initiated,"          \
	" liaison_initiated, unanswered_streak, recent, before, last_message, last_inbound"
#define SCORE_COLS                                                                        \
	SCORE_COLS_BRIEF ", in_weight, initiation_balance, client_latency_hours,"            \
			 " liaison_latency_hours, raw_rate, unknown_initiated, one_sided_since"

#define SCORE_SELECT(cols) "SELECT account_id, client_name, department, as_of, " cols \
			   ", address, computed_at FROM scores"
#define SCORE_SELECT_BRIEF "SELECT account_id, client_name, department, as_of, brief FROM scores"
/* the weakest ?1 (all when negative), weakest first: the brief form reads
 * the covering index scores_weak_list alone */
#define SCORE_WEAK " WHERE phase <> 'dormant' AND (class = 'weak' OR one_sided)" \
		   " ORDER BY tie_strength, out_weight DESC, client_name, account_id LIMIT ?1"

enum stmt {
	S_ACCOUNT_GET, S_ACCOUNT_ADD, S_FOLDER_GET, S_FOLDER_ADD, S_FOLDER_ROLE,
	S_MSG_ADD, S_MSG_ID, S_MSG_INBOX, S_LISTS_ADD, S_BOUNCE_ADD, S_LOC_ADD,
	S_QUAR_ADD, S_FOLDER_STATE, S_FOLDER_SET_STATE, S_EACH_FOLDER, S_COUNT, S_COUNT_QUAR,
	S_ROSTER_DEL_ADDR, S_ROSTER_DEL_CLIENT, S_DEPT_DEL_DOMAIN, S_DEPT_DEL,
	S_CLIENT_ADD, S_CLIENT_ADDR_ADD, S_DEPT_ADD, S_DEPT_DOMAIN_ADD,
	S_ACCOUNT_FIND, S_EACH_ACCOUNT, S_EACH_MSG, S_EACH_FAIL, S_EACH_LISTS,
	S_EACH_CLIENT_ADDR, S_EACH_DEPT_DOMAIN, S_MAIL_CLIENT_ADD, S_SCORE_PUT, S_EACH_SCORE,
	S_EACH_WEAK, S_EACH_SCORE_BRIEF, S_EACH_WEAK_BRIEF, S_NUDGE_PUT, S_NUDGE_LIVE, S_NUDGE_RESOLVE,
	S_EACH_NUDGE, S_NUDGE_STATE, S_NUDGE_DELIVERED, S_NUDGE_FIND, S_SETTING_GET,
	S_SETTING_PUT, S_SCORE_CLIENTS, S_SCORE_DEL, S_SCORE_OLDEST, S_MAX_MSG, S_MAIL_ADDR_ADD, S_IDENT_DEL,
	S_IDENT_ADD, S_EACH_IDENT, S_NUDGE_KEY, S_NUDGE_OWNER, S_ACTION_SEEN, S_ACTION_PUT,
	S_EACH_OVERRIDE, S_OVERRIDE_PUT, S_OVERRIDE_DEL, S_OVERRIDE_DEL_MERGE, S_OVERRIDE_EPOCH,
	S_CLIENT_BY_ADDR, S_CLIENT_BY_NAME, S_NUDGE_CLIENT, S_MAIL_CLIENT_GET,
	S_N
};

static const char *const sql[S_N] = {
	[S_ACCOUNT_GET] = "SELECT id FROM accounts WHERE name = ?1",
	[S_ACCOUNT_ADD] = "INSERT INTO accounts(name) VALUES(?1)",
	[S_FOLDER_GET] = "SELECT id FROM folders WHERE account_id = ?1 AND name = ?2",
	[S_FOLDER_ADD] = "INSERT INTO folders(account_id, name, role) VALUES(?1, ?2, ?3)",
	[S_FOLDER_ROLE] = "UPDATE folders SET role = ?2 WHERE id = ?1 AND role <> ?2",
	[S_MSG_ADD] = "INSERT INTO messages(account_id, message_id, synthetic_id, date,"
		      " date_source, from_addr, from_name, subject, subject_norm, in_reply_to,"
		      " list_id, kind, direction, in_inbox, bounce_orig_id, bounce_per_recipient,"
		      " added_at) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17)"
		      " ON CONFLICT(account_id, message_id) DO NOTHING",
	[S_MSG_ID] = "SELECT id FROM messages WHERE account_id = ?1 AND message_id = ?2",
	[S_MSG_INBOX] = "UPDATE messages SET in_inbox = 1, direction = CASE WHEN direction ="
			" 'unrelated' AND from_addr IS NOT NULL THEN 'inbound' ELSE direction END"
			" WHERE id = ?1 AND in_inbox = 0",
	[S_LISTS_ADD] = "INSERT OR REPLACE INTO message_lists(message, recipients, refs)"
			" VALUES(?1,?2,?3)",
	[S_BOUNCE_ADD] = "INSERT OR IGNORE INTO bounce_failed(message, addr) VALUES(?1,?2)",
	[S_LOC_ADD] = "INSERT INTO locations(message, folder, uid) VALUES(?1,?2,?3)"
		      " ON CONFLICT(message, folder) DO UPDATE SET uid = excluded.uid"
		      " WHERE excluded.uid <> 0 AND uid <> excluded.uid",
	[S_QUAR_ADD] = "INSERT OR IGNORE INTO quarantine(account_id, source, position, reason,"
		       " added_at) VALUES(?1,?2,?3,?4,?5)",
	[S_FOLDER_STATE] = "SELECT uidvalidity, last_uid FROM folders WHERE id = ?1",
	[S_FOLDER_SET_STATE] = "UPDATE folders SET uidvalidity = ?2, last_uid = ?3,"
			       " last_sync = ?4 WHERE id = ?1",
	[S_EACH_FOLDER] = "SELECT a.name, f.name, f.role, f.last_sync,"
			  " (SELECT count(*) FROM locations l WHERE l.folder = f.id)"
			  " FROM folders f JOIN accounts a ON a.id = f.account_id"
			  " ORDER BY a.name, f.name",
	[S_COUNT] = "SELECT kind, count(*) FROM messages m JOIN accounts a ON a.id ="
		    " m.account_id WHERE ?1 IS NULL OR a.name = ?1 GROUP BY kind",
	[S_COUNT_QUAR] = "SELECT count(*) FROM quarantine q LEFT JOIN accounts a ON a.id ="
			 " q.account_id WHERE ?1 IS NULL OR a.name = ?1",
	[S_ROSTER_DEL_ADDR] = "DELETE FROM client_addresses WHERE client IN"
			      " (SELECT id FROM clients WHERE source = 'roster')",
	[S_ROSTER_DEL_CLIENT] = "DELETE FROM clients WHERE source = 'roster' AND id NOT IN"
				" (SELECT client FROM scores UNION SELECT client FROM nudges)",
	[S_DEPT_DEL_DOMAIN] = "DELETE FROM department_domains",
	[S_DEPT_DEL] = "DELETE FROM departments",
	[S_CLIENT_ADD] = "INSERT INTO clients(name, department, source, liaisons)"
			 " VALUES(?1, ?2, 'roster', ?3) ON CONFLICT(source, name) DO UPDATE SET"
			 " department = excluded.department, liaisons = excluded.liaisons"
			 " RETURNING id",
	[S_CLIENT_ADDR_ADD] = "INSERT INTO client_addresses(addr, client) VALUES(?1, ?2)"
			      " ON CONFLICT(addr) DO UPDATE SET client = excluded.client",
	[S_DEPT_ADD] = "INSERT INTO departments(name) VALUES(?1) ON CONFLICT(name) DO UPDATE"
		       " SET name = excluded.name RETURNING id",
	[S_DEPT_DOMAIN_ADD] = "INSERT OR IGNORE INTO department_domains(domain, department)"
			      " VALUES(?1, ?2)",
	[S_ACCOUNT_FIND] = "SELECT id FROM accounts WHERE name = ?1",
	[S_EACH_ACCOUNT] = "SELECT id, name FROM accounts ORDER BY name",
	[S_EACH_MSG] = "SELECT id, message_id, date, kind, direction, from_addr, subject,"
		       " subject_norm, in_reply_to, bounce_orig_id, bounce_per_recipient"
		       " FROM messages m WHERE account_id = ?1 AND date <= ?2 ORDER BY date, id",
	/* the account's messages in id order (index messages_account_id),
	 * so that SQLite sorts nothing */
	[S_EACH_LISTS] = "SELECT l.message, l.recipients, l.refs FROM messages m CROSS JOIN"
			 " message_lists l ON l.message = m.id WHERE m.account_id = ?1 ORDER BY m.id",
	[S_EACH_FAIL] = "SELECT b.message, b.addr FROM messages m CROSS JOIN bounce_failed b"
			" ON b.message = m.id WHERE m.account_id = ?1 ORDER BY m.id, b.addr",
	[S_EACH_CLIENT_ADDR] = "SELECT c.id, c.name, c.department, c.source, a.addr, c.liaisons"
			       " FROM clients c"
			       " JOIN client_addresses a ON a.client = c.id"
			       " ORDER BY c.source <> 'roster', c.id, a.rowid",
	[S_EACH_DEPT_DOMAIN] = "SELECT dd.domain, d.name FROM department_domains dd JOIN"
			       " departments d ON d.id = dd.department ORDER BY d.id, dd.domain",
	[S_MAIL_CLIENT_GET] = "SELECT id, department IS ?2 FROM clients WHERE source = 'mail'"
			      " AND name = ?1",
	[S_MAIL_CLIENT_ADD] = "INSERT INTO clients(name, department, source) VALUES(?1, ?2, 'mail')"
			      " ON CONFLICT(source, name) DO UPDATE SET department = excluded.department"
			      " RETURNING id",
	[S_IDENT_DEL] = "DELETE FROM identities",
	[S_IDENT_ADD] = "INSERT OR IGNORE INTO identities(account_id, addr) VALUES(?1, ?2)",
	[S_EACH_IDENT] = "SELECT addr FROM identities WHERE account_id = ?1 ORDER BY addr",
	/* one index probe (messages_account_id), not a walk over the account */
	[S_MAX_MSG] = "SELECT coalesce(max(id), 0) FROM messages WHERE account_id ="
		      " (SELECT id FROM accounts WHERE name = ?1)",
	/* a resolved nudge whose condition holds again opens again; dismissed
	 * and snoozed ones keep their state (SET reads the old values) */
	/* an unchanged nudge is not written again: a pass over 70,000 open
	 * nudges costs lookups, not a rewritten table */
	[S_NUDGE_PUT] = "INSERT INTO nudges(account_id, client, kind, thread_key, due_at, state, reason,"
			" message, created_at, updated_at) VALUES(?1,?2,?3,?4,?5,'open',?6,?7,?8,?8)"
			" ON CONFLICT(account_id, kind, client, thread_key) DO UPDATE SET"
			" due_at = excluded.due_at, reason = excluded.reason, message = excluded.message,"
			" updated_at = CASE WHEN state = 'resolved' THEN excluded.updated_at ELSE updated_at END,"
			" resolved_at = CASE WHEN state = 'resolved' THEN NULL ELSE resolved_at END,"
			" state = CASE WHEN state = 'resolved' THEN 'open' ELSE state END"
			" WHERE state = 'resolved' OR due_at IS NOT excluded.due_at"
			" OR reason IS NOT excluded.reason OR message IS NOT excluded.message",
	[S_NUDGE_LIVE] = "SELECT id, client, kind, thread_key FROM nudges"
			 " WHERE account_id = ?1 AND state IN ('open', 'snoozed')",
	[S_NUDGE_RESOLVE] = "UPDATE nudges SET state = 'resolved', resolved_at = ?2, updated_at = ?2,"
			    " reason = CASE kind"
			    " WHEN 'follow-up' THEN 'resolved: a reply came, or it passed give_up_days'"
			    " WHEN 'reply-owed' THEN 'resolved: you answered, or it passed owed_give_up_days'"
			    " WHEN 'reconnect' THEN 'resolved: contact resumed'"
			    " ELSE 'resolved: no longer one-sided' END WHERE id = ?1",
	[S_EACH_NUDGE] = "SELECT n.id, a.name, c.name, n.kind, n.state, n.due_at, n.snooze_until,"
			 " n.reason, coalesce(m.subject, ''), coalesce(m.date, n.due_at), n.resolved_at,"
			 " n.created_at, s.address, (SELECT group_concat(channel) FROM nudge_deliveries d"
			 " WHERE d.nudge = n.id) FROM nudges n JOIN accounts a ON a.id = n.account_id"
			 " JOIN clients c ON c.id = n.client LEFT JOIN messages m ON m.id = n.message"
			 " LEFT JOIN scores s ON s.account_id = n.account_id AND s.client = n.client"
			 " WHERE (?1 OR n.state = 'open' OR (n.state = 'snoozed' AND n.snooze_until <= ?2))"
			 " AND (?3 IS NULL OR n.kind = ?3) AND (?4 IS NULL OR a.name = ?4)"
			 " AND (?5 IS NULL OR NOT EXISTS (SELECT 1 FROM nudge_deliveries d WHERE"
			 " d.nudge = n.id AND d.channel = ?5))"
			 " ORDER BY n.due_at, n.id",
	[S_NUDGE_STATE] = "UPDATE nudges SET state = ?2, snooze_until = ?3, updated_at = ?4 WHERE id = ?1",
	[S_NUDGE_DELIVERED] = "INSERT OR IGNORE INTO nudge_deliveries(nudge, channel, delivered_at)"
			      " VALUES(?1, ?2, ?3)",
	[S_NUDGE_FIND] = "SELECT state FROM nudges WHERE id = ?1",
	[S_NUDGE_OWNER] = "SELECT account_id, state FROM nudges WHERE id = ?1",
	[S_EACH_OVERRIDE] = "SELECT id, kind, account, subject, target, coalesce(days, 0), reason,"
			    " set_by, set_at FROM overrides WHERE ?1 IS NULL OR account = '' OR"
			    " account = ?1 ORDER BY id",
	[S_OVERRIDE_PUT] = "INSERT INTO overrides(kind, account, subject, target, days, reason, set_by,"
			   " set_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(kind, account,"
			   " subject) DO UPDATE SET target = excluded.target, days = excluded.days,"
			   " reason = excluded.reason, set_by = excluded.set_by, set_at = excluded.set_at",
	[S_OVERRIDE_DEL] = "DELETE FROM overrides WHERE kind = ?1 AND account = ?2 AND subject = ?3",
	[S_OVERRIDE_DEL_MERGE] = "DELETE FROM overrides WHERE kind = 'merge' AND account = ?1 AND"
				 " (subject = ?2 OR target = ?2)",
	/* every change of the overrides moves this mark: a full rescore follows */
	[S_OVERRIDE_EPOCH] = "INSERT INTO settings(key, value) VALUES('overrides', '1') ON"
			     " CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
	[S_CLIENT_BY_ADDR] = "SELECT c.id, c.name, c.source FROM client_addresses a JOIN clients c ON"
			     " c.id = a.client WHERE a.addr = ?1",
	[S_CLIENT_BY_NAME] = "SELECT id, name, source FROM clients WHERE name = ?1"
			     " ORDER BY source <> 'roster' LIMIT 1",
	[S_NUDGE_CLIENT] = "SELECT c.name, c.source, coalesce(s.address, (SELECT addr FROM"
			   " client_addresses WHERE client = c.id ORDER BY rowid LIMIT 1))"
			   " FROM nudges n JOIN clients c ON c.id = n.client LEFT JOIN scores s"
			   " ON s.account_id = n.account_id AND s.client = n.client WHERE n.id = ?1",
	[S_ACTION_SEEN] = "SELECT 1 FROM mail_actions WHERE account_id = ?1 AND message_id = ?2",
	[S_ACTION_PUT] = "INSERT OR IGNORE INTO mail_actions(account_id, message_id, nudge, action,"
			 " result, applied_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
	[S_NUDGE_KEY] = "SELECT n.id, n.state, coalesce(n.snooze_until, 0), n.updated_at,"
			" (SELECT group_concat(channel) FROM nudge_deliveries d WHERE d.nudge = n.id)"
			" FROM nudges n JOIN accounts a ON a.id = n.account_id"
			" WHERE a.name = ?1 AND n.kind = ?2 AND n.thread_key = ?4 AND n.client ="
			" (SELECT client FROM client_addresses WHERE addr = ?3)",
	[S_SETTING_GET] = "SELECT value FROM settings WHERE key = ?1",
	[S_SETTING_PUT] = "INSERT OR REPLACE INTO settings(key, value) VALUES(?1, ?2)",
	[S_SCORE_OLDEST] = "SELECT coalesce(min(computed_at), 0) FROM scores WHERE account_id ="
			    " (SELECT id FROM accounts WHERE name = ?1)",
	[S_MAIL_ADDR_ADD] = "INSERT OR IGNORE INTO client_addresses(addr, client) VALUES(?1, ?2)",
	/* in place: a full pass rewrites each row where it is, not a deleted
	 * table's worth of pages and then a new one */
	[S_SCORE_PUT] = "INSERT INTO scores(account_id, client, department, address,"
			" as_of, computed_at, " SCORE_COLS ", client_name, brief) VALUES(?1,?2,?3,?4,?5,"
			"?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24,?25,?26,"
			"?27,?28,?29,?30,?31,?32,?33,?34,?35) ON CONFLICT(account_id, client) DO UPDATE SET"
			" department = excluded.department, address = excluded.address,"
			" as_of = excluded.as_of, computed_at = excluded.computed_at,"
			" out_weight = excluded.out_weight, reciprocity = excluded.reciprocity,"
			" response_rate = excluded.response_rate, answered = excluded.answered,"
			" decided = excluded.decided, volume = excluded.volume,"
			" tie_strength = excluded.tie_strength, class = excluded.class,"
			" one_sided = excluded.one_sided, phase = excluded.phase,"
			" trend = excluded.trend, pending = excluded.pending,"
			" undelivered = excluded.undelivered,"
			" client_initiated = excluded.client_initiated,"
			" liaison_initiated = excluded.liaison_initiated,"
			" unanswered_streak = excluded.unanswered_streak,"
			" recent = excluded.recent, before = excluded.before,"
			" last_message = excluded.last_message,"
			" last_inbound = excluded.last_inbound, in_weight = excluded.in_weight,"
			" initiation_balance = excluded.initiation_balance,"
			" client_latency_hours = excluded.client_latency_hours,"
			" liaison_latency_hours = excluded.liaison_latency_hours,"
			" raw_rate = excluded.raw_rate,"
			" unknown_initiated = excluded.unknown_initiated,"
			" one_sided_since = excluded.one_sided_since,"
			" client_name = excluded.client_name, brief = excluded.brief",
	[S_SCORE_CLIENTS] = "SELECT client FROM scores WHERE account_id = ?1",
	[S_SCORE_DEL] = "DELETE FROM scores WHERE client = ?1 AND account_id = ?2",
	/* unordered: the caller sorts (it must anyway, for its own keys) */
	[S_EACH_SCORE] = SCORE_SELECT(SCORE_COLS) " NOT INDEXED",
	[S_EACH_WEAK] = SCORE_SELECT(SCORE_COLS) SCORE_WEAK,
	[S_EACH_SCORE_BRIEF] = SCORE_SELECT_BRIEF " NOT INDEXED",
	[S_EACH_WEAK_BRIEF] = SCORE_SELECT_BRIEF SCORE_WEAK,
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *st[S_N];
	char errmsg[512];
	bool own_error; /* errmsg says what went wrong, not SQLite (until the next statement) */
	unsigned grouped; /* batches in the open group transaction */
};

/* Which of the database, its WAL and its directory this process may not
 * write, and why: SQLite's "disk I/O error" does not say (its
 * sqlite3_system_errno() is whatever errno was last, often 0). 0 when
 * all are writable; else the errno, with the path in buf. */
static int unwritable(struct store *st, char *buf, size_t size)
{
	const char *db = sqlite3_db_filename(st->db, "main");
	if (!db || !*db)
		return 0;
	snprintf(buf, size, "%s", db);
	if (access(buf, W_OK) < 0)
		return errno;
	snprintf(buf, size, "%s-wal", db);
	if (access(buf, W_OK) < 0 && errno != ENOENT)
		return errno;
	snprintf(buf, size, "%s", db);
	char *slash = strrchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (slash && access(buf, W_OK) < 0)
		return errno;
	return 0;
}

const char *store_errmsg(struct store *st)
{
	if (st->own_error)
		return st->errmsg;
	int code = sqlite3_errcode(st->db) & 0xff;
	char path[400];
	int e = 0;
	if (code == SQLITE_IOERR || code == SQLITE_READONLY || code == SQLITE_CANTOPEN)
		e = unwritable(st, path, sizeof(path));
	if (e) {
		snprintf(st->errmsg, sizeof(st->errmsg), "%s (%s: %s)", sqlite3_errmsg(st->db),
			 path, strerror(e));
		return st->errmsg;
	}
	return sqlite3_errmsg(st->db);
}

static sqlite3_stmt *prep(struct store *st, enum stmt s)
{
	st->own_error = false; /* what goes wrong next is SQLite's to say */
	if (!st->st[s] &&
	    sqlite3_prepare_v3(st->db, sql[s], -1, SQLITE_PREPARE_PERSISTENT, &st->st[s], NULL) !=
		    SQLITE_OK)
		return NULL;
	sqlite3_reset(st->st[s]);
	sqlite3_clear_bindings(st->st[s]);
	return st->st[s];
}

/* Runs a prepared statement that returns no row of interest. */
static int run(sqlite3_stmt *q)
{
	if (!q)
		return -EIO;
	int r = sqlite3_step(q);
	sqlite3_reset(q);
	return (r == SQLITE_DONE || r == SQLITE_ROW) ? 0 : -EIO;
}

/* Runs q and reads column 0 of its first row as an integer; -ENOENT when
 * there is no row. */
static int run_int(sqlite3_stmt *q, int64_t *ret)
{
	if (!q)
		return -EIO;
	int r = sqlite3_step(q);
	if (r == SQLITE_ROW)
		*ret = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	return r == SQLITE_ROW ? 0 : r == SQLITE_DONE ? -ENOENT : -EIO;
}

/* Ends a row loop: resets q and returns the callback's negative value, or
 * 0 when the rows ran out (r == SQLITE_DONE), or -EIO. */
static int rows_done(sqlite3_stmt *q, int r, int ret)
{
	sqlite3_reset(q);
	return ret < 0 ? ret : r == SQLITE_DONE ? 0 : -EIO;
}

static void bind_text(sqlite3_stmt *q, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(q, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(q, i);
}

/* The same for a string that outlives the statement's run: SQLite keeps
 * the pointer instead of a copy (prep() clears every binding before a
 * statement is used again). The hot path of storing mail only. */
static void bind_text_static(sqlite3_stmt *q, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, i);
}

static int exec(struct store *st, const char *s)
{
	st->own_error = false;
	return sqlite3_exec(st->db, s, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

/* Schema 4 -> 5: the rows of recipients and refs, in their key order,
 * become one text per message in message_lists (a broadcast's recipients
 * are dropped, as add_details keeps none); the tables become views. */
static int lists_from_rows(struct store *st)
{
	static const char *const sel[] = {
		"SELECT r.message, r.field || ' ' || r.addr FROM recipients r JOIN messages m ON"
		" m.id = r.message WHERE m.kind <> 'broadcast' ORDER BY r.message, r.field, r.addr",
		"SELECT message, ref FROM refs ORDER BY message, pos",
	};
	static const char *const put[] = {
		"INSERT INTO message_lists(message, recipients) VALUES(?1, ?2)",
		"INSERT INTO message_lists(message, refs) VALUES(?1, ?2)"
		" ON CONFLICT(message) DO UPDATE SET refs = excluded.refs",
	};
	int r = 0;
	for (size_t k = 0; k < ARRAY_SIZE(sel) && r == 0; k++) {
		sqlite3_stmt *q = NULL, *ins = NULL;
		struct sbuf sb = {0};
		int64_t cur = -1;
		if (sqlite3_prepare_v2(st->db, sel[k], -1, &q, NULL) != SQLITE_OK ||
		    sqlite3_prepare_v2(st->db, put[k], -1, &ins, NULL) != SQLITE_OK)
			r = -EIO;
		int step = SQLITE_DONE;
		while (r == 0) {
			step = sqlite3_step(q);
			int64_t m = step == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
			if (m != cur && cur >= 0) {
				sqlite3_bind_int64(ins, 1, cur);
				sqlite3_bind_text(ins, 2, sb.buf, (int)sb.len, SQLITE_STATIC);
				if (sqlite3_step(ins) != SQLITE_DONE)
					r = -EIO;
				sqlite3_reset(ins);
				sb_reset(&sb);
			}
			if (step != SQLITE_ROW)
				break;
			const char *v = (const char *)sqlite3_column_text(q, 1);
			if (sb.len)
				sb_addc(&sb, '\n');
			sb_adds(&sb, v ? v : "");
			cur = m;
		}
		if (r == 0 && step != SQLITE_DONE)
			r = -EIO;
		sb_free(&sb);
		sqlite3_finalize(q);
		sqlite3_finalize(ins);
	}
	if (r == 0)
		r = exec(st, "DROP TABLE recipients; DROP TABLE refs;");
	if (r == 0)
		r = exec(st, lists_views);
	return r;
}

static int score_read(sqlite3_stmt *q, int i, bool brief, struct score *s);
static void brief_pack(const struct score *s, unsigned char *out);

/* Schema 6: each score's brief from its columns (the weak list's index
 * keeps the columns until schema 7 puts the brief in their place). */
static int brief_from_columns(struct store *st)
{
	sqlite3_stmt *q = NULL, *up = NULL;
	int r = 0, step;
	if (sqlite3_prepare_v2(st->db, "SELECT account_id, client, " SCORE_COLS_BRIEF
			       " FROM scores", -1, &q, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, "UPDATE scores SET brief = ?1 WHERE account_id = ?2"
			       " AND client = ?3", -1, &up, NULL) != SQLITE_OK)
		r = -EIO;
	while (r == 0 && (step = sqlite3_step(q)) == SQLITE_ROW) {
		struct score sc;
		score_read(q, 2, true, &sc);
		unsigned char brief[BRIEF_BYTES];
		brief_pack(&sc, brief);
		sqlite3_bind_blob(up, 1, brief, sizeof(brief), SQLITE_TRANSIENT);
		sqlite3_bind_int64(up, 2, sqlite3_column_int64(q, 0));
		sqlite3_bind_int64(up, 3, sqlite3_column_int64(q, 1));
		r = run(up);
	}
	if (r == 0 && step != SQLITE_DONE)
		r = -EIO;
	sqlite3_finalize(q);
	sqlite3_finalize(up);
	return r;
}

static int migrate(struct store *st, char **ret_error)
{
	int64_t v = 0;
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &q, NULL) != SQLITE_OK ||
	    run_int(q, &v) < 0) {
		sqlite3_finalize(q);
		*ret_error = xasprintf("cannot read the schema version: %s", store_errmsg(st));
		return -EIO;
	}
	sqlite3_finalize(q);
	if (v > STORE_SCHEMA_VERSION) {
		*ret_error = xasprintf("the database has schema version %lld, newer than this "
				       "rapport (%d): upgrade rapport", (long long)v,
				       STORE_SCHEMA_VERSION);
		return -EPROTO;
	}
	for (; v < STORE_SCHEMA_VERSION; v++) {
		char *set = xasprintf("PRAGMA user_version = %lld", (long long)v + 1);
		int r = exec(st, "BEGIN IMMEDIATE");
		if (r == 0)
			r = exec(st, migrations[v]);
		if (r == 0 && v + 1 == 5)
			r = lists_from_rows(st);
		if (r == 0 && v + 1 == 6)
			r = brief_from_columns(st);
		if (r == 0)
			r = exec(st, set);
		if (r == 0)
			r = exec(st, "COMMIT");
		free(set);
		if (r < 0) {
			*ret_error = xasprintf("migration to schema version %lld failed: %s",
					       (long long)v + 1, store_errmsg(st));
			exec(st, "ROLLBACK");
			return r;
		}
	}
	return 0;
}

/* Whether the existing file at path (the database, its -wal or -shm, or
 * the lock) may be trusted, like OpenSSH's StrictModes: a regular file,
 * not a symbolic link, owned by the user running, and neither readable
 * nor writable by others (nor writable by the group). A missing file is
 * fine, and so is an empty one of ours whose mode is then set to mode
 * (when not 0): it holds nothing yet (the sqlite3 shell leaves such a
 * file, 0644, when pointed at a path that does not exist). 0, or -EPERM
 * with the reason and the fix in *ret_error. */
static int trusted_file(const char *path, mode_t mode, bool any_owner, char **ret_error)
{
	struct stat sb;
	if (lstat(path, &sb) < 0) {
		int e = errno;
		if (e == ENOENT)
			return 0;
		*ret_error = xasprintf("cannot check %s: %s", path, strerror(e));
		return -e;
	}
	const char *why = NULL, *fix = NULL;
	if (S_ISLNK(sb.st_mode)) {
		why = "is a symbolic link";
		fix = "point the database setting at the real file";
	} else if (!S_ISREG(sb.st_mode)) {
		why = "is not a regular file";
		fix = "remove it or choose another database path";
	} else if (!any_owner && sb.st_uid != geteuid()) {
		why = "belongs to another user";
		fix = "chown it to the user rapportd runs as (rapport), or remove it";
	} else if ((sb.st_mode & 0027) && mode && sb.st_size == 0 && chmod(path, mode) == 0) {
		return 0;
	} else if (sb.st_mode & 0027) {
		why = sb.st_mode & 0007 ? "is readable or writable by others"
					: "is writable by its group";
		fix = "chmod 600 it (640 with database_group_read = true)";
	}
	if (!why)
		return 0;
	*ret_error = xasprintf("refusing %s: it %s (%s)", path, why, fix);
	return -EPERM;
}

/* Creates the directory (0700, or 0750 with group) and the file (0600, or
 * 0640) when missing; refuses a world-writable directory without the
 * sticky bit, and an existing database file (or -wal, -shm) that
 * trusted_file() does not trust. */
/* The directory of the database at path: created (0700, 0750 with group)
 * when missing; refused when world-writable without the sticky bit. */
static int prepare_dir(const char *path, bool group, char **ret_error)
{
	char *copy = xstrdup(path);
	char *dir = dirname(copy);
	struct stat sb;
	int r = 0;
	if (stat(dir, &sb) < 0) {
		if (errno != ENOENT || mkdir(dir, group ? 0750 : 0700) < 0) {
			r = -errno;
			*ret_error = xasprintf("cannot create directory %s: %s", dir, strerror(errno));
		}
	} else if ((sb.st_mode & S_IWOTH) && !(sb.st_mode & S_ISVTX)) {
		r = -EPERM;
		*ret_error = xasprintf("refusing a database in %s: the directory is "
				       "world-writable", dir);
	}
	free(copy);
	return r;
}

int store_check(const char *path, bool any_owner, char **ret_error)
{
	char *copy = xstrdup(path);
	char *dir = dirname(copy);
	struct stat sb;
	int r = 0;
	if (stat(dir, &sb) < 0) {
		/* rapportd will create it: its parent must let it */
		char *pcopy = xstrdup(dir);
		char *parent = dirname(pcopy);
		if (errno != ENOENT || access(parent, W_OK | X_OK) < 0) {
			r = -errno;
			*ret_error = xasprintf("the state directory %s does not exist and %s cannot be "
					       "written: %s", dir, parent, strerror(errno));
		}
		free(pcopy);
	} else if (!S_ISDIR(sb.st_mode)) {
		r = -ENOTDIR;
		*ret_error = xasprintf("%s is not a directory", dir);
	} else if ((sb.st_mode & S_IWOTH) && !(sb.st_mode & S_ISVTX)) {
		r = -EPERM;
		*ret_error = xasprintf("refusing a database in %s: the directory is "
				       "world-writable", dir);
	} else if (access(dir, W_OK | X_OK) < 0) {
		r = -errno;
		*ret_error = xasprintf("the state directory %s cannot be written by this user: %s",
				       dir, strerror(errno));
	}
	free(copy);
	static const char *const suffixes[] = {"", "-wal", "-shm", ".lock"};
	for (size_t i = 0; i < ARRAY_SIZE(suffixes) && r == 0; i++) {
		char *p = xasprintf("%s%s", path, suffixes[i]);
		r = trusted_file(p, 0, any_owner, ret_error);
		free(p);
	}
	return r;
}

static int prepare_path(const char *path, bool group, char **ret_error)
{
	mode_t file_mode = group ? 0640 : 0600;
	int r = prepare_dir(path, group, ret_error);
	static const char *const suffixes[] = {"", "-wal", "-shm"};
	for (size_t i = 0; i < ARRAY_SIZE(suffixes) && r == 0; i++) {
		char *p = xasprintf("%s%s", path, suffixes[i]);
		r = trusted_file(p, i == 0 ? file_mode : 0, false, ret_error);
		free(p);
	}
	if (r == 0) {
		int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, file_mode);
		if (fd >= 0) {
			(void)fchmod(fd, file_mode); /* whatever the umask */
			close(fd);
		} else if (errno != EEXIST) {
			r = -errno;
			*ret_error = xasprintf("cannot create %s: %s", path, strerror(errno));
		}
	}
	return r;
}

/* Before SQLite starts: no count of its memory (a lock on every
 * allocation it makes, and nothing here reads the count). */
static void sqlite_setup(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int store_open(const char *path, enum store_mode mode, struct store **ret, char **ret_error)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, sqlite_setup);
	struct store *st = xcalloc(1, sizeof(*st));
	bool rw = mode != STORE_RO;
	int r;

	if (rw && (r = prepare_path(path, mode == STORE_RW_GROUP, ret_error)) < 0) {
		free(st);
		return r;
	}
	struct stat sb;
	if (!rw && stat(path, &sb) < 0 && errno == ENOENT) {
		*ret_error = xasprintf("%s does not exist yet: rapportd creates it when it first "
				       "runs (systemctl start rapportd, rapportd --once, or "
				       "rapportd --import FILE)", path);
		free(st);
		return -ENOENT;
	}
	int flags = rw ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY;
	if (sqlite3_open_v2(path, &st->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		*ret_error = xasprintf("cannot open %s: %s", path,
				       st->db ? sqlite3_errmsg(st->db) : "out of memory");
		store_close(st);
		return -EIO;
	}
	sqlite3_busy_timeout(st->db, 10000);
	sqlite3_extended_result_codes(st->db, 1);
	if (rw) {
		/* journal_size_limit: a WAL that grew while a reader held an old
		 * snapshot is cut back once a checkpoint has caught up */
		if (exec(st, "PRAGMA journal_mode = WAL") < 0 ||
		    exec(st, "PRAGMA synchronous = NORMAL") < 0 ||
		    exec(st, "PRAGMA journal_size_limit = 16777216") < 0 ||
		    exec(st, "PRAGMA foreign_keys = ON") < 0) {
			*ret_error = xasprintf("cannot set up %s: %s", path, store_errmsg(st));
			store_close(st);
			return -EIO;
		}
		if ((r = migrate(st, ret_error)) < 0) {
			store_close(st);
			return r;
		}
		/* a reader without write access can open a WAL database only
		 * while its -wal and -shm exist: with group readers they stay
		 * (with the database's mode) when the last writer closes */
		if (mode == STORE_RW_GROUP) {
			int one = 1;
			sqlite3_file_control(st->db, "main", SQLITE_FCNTL_PERSIST_WAL, &one);
		}
	} else {
		/* the CLI reads whole tables: map the file rather than read it
		 * page by page into a cache of its own, all of it (SQLite caps
		 * this at its build's limit): pages past a smaller mapping, where
		 * the scores written last lie in a large database, cost a pread
		 * and a copy each */
		exec(st, "PRAGMA mmap_size = 1099511627776");
		exec(st, "PRAGMA cache_size = -32768");
		int64_t v = 0;
		sqlite3_stmt *q = NULL;
		if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &q, NULL) != SQLITE_OK ||
		    run_int(q, &v) < 0 || v != STORE_SCHEMA_VERSION) {
			*ret_error = v ? xasprintf("%s has schema version %lld, this rapport "
						   "reads %d%s", path, (long long)v,
						   STORE_SCHEMA_VERSION,
						   v < STORE_SCHEMA_VERSION
						   ? " (rapportd upgrades it when it next starts)"
						   : ": upgrade rapport")
				       : xasprintf("%s is not a rapport database (or unreadable: "
						   "%s)", path, sqlite3_errmsg(st->db));
			sqlite3_finalize(q);
			store_close(st);
			return -EIO;
		}
		sqlite3_finalize(q);
	}
	*ret = st;
	return 0;
}

/* Runs s (tidying up, perhaps after a failure) so that store_errmsg
 * still says what went wrong before it, if anything did. */
static void exec_after_error(struct store *st, const char *s)
{
	char why[sizeof(st->errmsg)];
	int code = sqlite3_errcode(st->db) & 0xff;
	bool keep = st->own_error ||
		    (code != SQLITE_OK && code != SQLITE_ROW && code != SQLITE_DONE);
	if (keep)
		snprintf(why, sizeof(why), "%s", store_errmsg(st));
	exec(st, s);
	if (keep) {
		memcpy(st->errmsg, why, sizeof(why));
		st->own_error = true;
	}
}

void store_close(struct store *st)
{
	if (!st)
		return;
	for (int i = 0; i < S_N; i++)
		sqlite3_finalize(st->st[i]);
	sqlite3_close(st->db);
	free(st);
}

void store_bulk_write(struct store *st, bool on)
{
	/* SQLite's default 2 MB: a transaction that dirties more spills to
	 * the WAL page by page and reads the pages back */
	exec_after_error(st, on ? "PRAGMA cache_size = -65536" : "PRAGMA cache_size = -2000");
}

int store_begin(struct store *st)
{
	return exec(st, "BEGIN IMMEDIATE");
}

int store_commit(struct store *st)
{
	return exec(st, "COMMIT");
}

void store_rollback(struct store *st)
{
	st->grouped = 0;
	if (!sqlite3_get_autocommit(st->db))
		exec_after_error(st, "ROLLBACK");
}

int store_group_begin(struct store *st)
{
	return st->grouped ? 0 : store_begin(st);
}

int store_group_commit(struct store *st)
{
	if (!st->grouped)
		return 0;
	st->grouped = 0;
	if (store_commit(st) < 0) {
		store_rollback(st);
		return -EIO;
	}
	return 1;
}

int store_group_end(struct store *st)
{
	return ++st->grouped == STORE_GROUP ? store_group_commit(st) : 0;
}

int store_account(struct store *st, const char *name, int64_t *ret_id)
{
	sqlite3_stmt *q = prep(st, S_ACCOUNT_GET);
	if (!q)
		return -EIO;
	bind_text(q, 1, name);
	int r = run_int(q, ret_id);
	if (r != -ENOENT)
		return r;
	if (!(q = prep(st, S_ACCOUNT_ADD)))
		return -EIO;
	bind_text(q, 1, name);
	if ((r = run(q)) < 0)
		return r;
	*ret_id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int store_folder(struct store *st, int64_t account, const char *name, const char *role,
		 int64_t *ret_id)
{
	sqlite3_stmt *q = prep(st, S_FOLDER_GET);
	if (!q)
		return -EIO;
	sqlite3_bind_int64(q, 1, account);
	bind_text(q, 2, name);
	int r = run_int(q, ret_id);
	if (r == 0 && role && *role) {
		if (!(q = prep(st, S_FOLDER_ROLE)))
			return -EIO;
		sqlite3_bind_int64(q, 1, *ret_id);
		bind_text(q, 2, role);
		return run(q);
	}
	if (r != -ENOENT)
		return r;
	if (!(q = prep(st, S_FOLDER_ADD)))
		return -EIO;
	sqlite3_bind_int64(q, 1, account);
	bind_text(q, 2, name);
	bind_text(q, 3, role ? role : "");
	if ((r = run(q)) < 0)
		return r;
	*ret_id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

struct rcpt_ent {
	const char *field, *addr;
};

static int cmp_rcpt_ent(const void *a, const void *b)
{
	const struct rcpt_ent *x = a, *y = b;
	int c = strcmp(x->field, y->field);
	return c ? c : strcmp(x->addr, y->addr);
}

/* A message's recipients as one text, "FIELD ADDR" lines in field then
 * address order, each pair once (what the rows of schema 4 held); its
 * references as one text, a line each in order. Addresses and ids hold no
 * white space (addr_normalize, dsn_first_msgid), so a line is never cut
 * inside one; NULL when there is none. */
static char *rcpt_text(const struct msg *m)
{
	const struct {
		const char *name;
		const struct strlist *l;
	} f[] = {{"to", &m->to}, {"cc", &m->cc}, {"bcc", &m->bcc}, {"reply-to", &m->reply_to}};
	size_t n = 0, k = 0;
	for (size_t i = 0; i < ARRAY_SIZE(f); i++)
		n += f[i].l->n;
	if (!n)
		return NULL;
	struct rcpt_ent *e = xcalloc(n, sizeof(*e));
	for (size_t i = 0; i < ARRAY_SIZE(f); i++)
		for (size_t j = 0; j < f[i].l->n; j++)
			if (!strchr(f[i].l->v[j], '\n'))
				e[k++] = (struct rcpt_ent){f[i].name, f[i].l->v[j]};
	qsort(e, k, sizeof(*e), cmp_rcpt_ent);
	struct sbuf sb = {0};
	for (size_t i = 0; i < k; i++) {
		if (i && cmp_rcpt_ent(&e[i - 1], &e[i]) == 0)
			continue;
		if (sb.len)
			sb_addc(&sb, '\n');
		sb_adds(&sb, e[i].field);
		sb_addc(&sb, ' ');
		sb_adds(&sb, e[i].addr);
	}
	free(e);
	return sb.len ? sb_steal(&sb) : (sb_free(&sb), NULL);
}

static char *refs_text(const struct msg *m)
{
	struct sbuf sb = {0};
	for (size_t i = 0; i < m->references.n; i++) {
		if (strchr(m->references.v[i], '\n'))
			continue;
		if (sb.len)
			sb_addc(&sb, '\n');
		sb_adds(&sb, m->references.v[i]);
	}
	return sb.len ? sb_steal(&sb) : (sb_free(&sb), NULL);
}

/* A broadcast keeps no recipients: it never counts (DOMAIN.md §2), so its
 * list would only cost (a newsletter to a department is most of a
 * mailbox's recipients) and would be incomplete past MSG_MAX_BCC. */
static int add_details(struct store *st, int64_t id, const struct msg *m, enum msg_kind kind)
{
	char *rcpt = kind == MSG_BROADCAST ? NULL : rcpt_text(m), *refs = refs_text(m);
	int r = 0;
	if (rcpt || refs) {
		sqlite3_stmt *q = prep(st, S_LISTS_ADD);
		if (!q) {
			r = -EIO;
		} else {
			sqlite3_bind_int64(q, 1, id);
			bind_text_static(q, 2, rcpt);
			bind_text_static(q, 3, refs);
			r = run(q);
		}
	}
	free(rcpt);
	free(refs);
	if (r < 0)
		return -EIO;
	for (size_t i = 0; i < m->bounce_failed.n; i++) {
		sqlite3_stmt *q = prep(st, S_BOUNCE_ADD);
		if (!q)
			return -EIO;
		sqlite3_bind_int64(q, 1, id);
		bind_text_static(q, 2, m->bounce_failed.v[i]);
		if (run(q) < 0)
			return -EIO;
	}
	return 0;
}

int store_message_add(struct store *st, int64_t account, int64_t folder, uint32_t uid,
		      const struct msg *m, enum msg_kind kind, enum msg_direction dir,
		      bool in_inbox, bool *ret_new)
{
	sqlite3_stmt *q = prep(st, S_MSG_ADD);
	int64_t id;
	bool fresh;

	if (!q)
		return -EIO;
	sqlite3_bind_int64(q, 1, account);
	bind_text_static(q, 2, m->message_id);
	sqlite3_bind_int(q, 3, m->synthetic_id);
	sqlite3_bind_int64(q, 4, m->date);
	bind_text_static(q, 5, msg_date_source_name(m->date_source));
	bind_text_static(q, 6, m->from);
	bind_text_static(q, 7, m->from_name);
	bind_text_static(q, 8, m->subject);
	bind_text_static(q, 9, m->subject_norm);
	bind_text_static(q, 10, m->in_reply_to);
	bind_text_static(q, 11, m->list_id);
	bind_text_static(q, 12, msg_kind_name(kind));
	bind_text_static(q, 13, msg_direction_name(dir));
	sqlite3_bind_int(q, 14, in_inbox);
	bind_text_static(q, 15, m->bounce_orig_id);
	sqlite3_bind_int(q, 16, m->bounce_per_recipient);
	sqlite3_bind_int64(q, 17, (int64_t)time(NULL));
	if (run(q) < 0)
		return -EIO;
	fresh = sqlite3_changes(st->db) > 0;
	if (fresh) {
		id = sqlite3_last_insert_rowid(st->db);
		if (add_details(st, id, m, kind) < 0)
			return -EIO;
	} else {
		if (!(q = prep(st, S_MSG_ID)))
			return -EIO;
		sqlite3_bind_int64(q, 1, account);
		bind_text_static(q, 2, m->message_id);
		if (run_int(q, &id) < 0)
			return -EIO;
		if (in_inbox) {
			if (!(q = prep(st, S_MSG_INBOX)))
				return -EIO;
			sqlite3_bind_int64(q, 1, id);
			if (run(q) < 0)
				return -EIO;
		}
	}
	if (!(q = prep(st, S_LOC_ADD)))
		return -EIO;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, folder);
	sqlite3_bind_int64(q, 3, uid);
	if (run(q) < 0)
		return -EIO;
	if (ret_new)
		*ret_new = fresh;
	return 0;
}

int store_quarantine(struct store *st, int64_t account, const char *source,
		     const char *position, const char *reason)
{
	sqlite3_stmt *q = prep(st, S_QUAR_ADD);
	if (!q)
		return -EIO;
	if (account > 0)
		sqlite3_bind_int64(q, 1, account);
	bind_text(q, 2, source);
	bind_text(q, 3, position);
	bind_text(q, 4, reason);
	sqlite3_bind_int64(q, 5, (int64_t)time(NULL));
	return run(q);
}

static const char *col(sqlite3_stmt *q, int i);
static int sync_roster(struct store *st, const struct conf *c);

static int run_plain(struct store *st, enum stmt s)
{
	return run(prep(st, s));
}

/* A digest of everything store_sync_roster writes, so that an unchanged
 * configuration writes nothing. */
static char *roster_digest(const struct conf *c)
{
	struct sbuf sb = {0};
	unsigned char d[32];
	for (size_t i = 0; i < c->n_clients; i++) {
		sb_printf(&sb, "c\037%s\037%s", c->clients[i].name,
			  c->clients[i].department ? c->clients[i].department : "\036");
		for (size_t j = 0; j < c->clients[i].liaisons.n; j++)
			sb_printf(&sb, "\035%s", c->clients[i].liaisons.v[j]);
		for (size_t j = 0; j < c->clients[i].addresses.n; j++)
			sb_printf(&sb, "\037%s", c->clients[i].addresses.v[j]);
		sb_addc(&sb, '\n');
	}
	for (size_t i = 0; i < c->n_departments; i++) {
		sb_printf(&sb, "d\037%s", c->departments[i].name);
		for (size_t j = 0; j < c->departments[i].domains.n; j++)
			sb_printf(&sb, "\037%s", c->departments[i].domains.v[j]);
		sb_addc(&sb, '\n');
	}
	for (size_t i = 0; i < c->n_accounts; i++) {
		sb_printf(&sb, "a\037%s", c->accounts[i].name);
		for (size_t j = 0; j < c->accounts[i].identity.n; j++)
			sb_printf(&sb, "\037%s", c->accounts[i].identity.v[j]);
		sb_addc(&sb, '\n');
	}
	gnutls_hash_fast(GNUTLS_DIG_SHA256, sb.len ? sb.buf : "", sb.len, d);
	sb_reset(&sb);
	for (int i = 0; i < 32; i++)
		sb_printf(&sb, "%02x", d[i]);
	return sb_steal(&sb);
}

int store_sync_roster(struct store *st, const struct conf *c)
{
	char *digest = roster_digest(c);
	sqlite3_stmt *g = prep(st, S_SETTING_GET);
	bool same = false;
	if (g) {
		bind_text(g, 1, "roster");
		if (sqlite3_step(g) == SQLITE_ROW && col(g, 0) && strcmp(col(g, 0), digest) == 0)
			same = true;
		sqlite3_reset(g);
	}
	if (same) {
		free(digest);
		return 0;
	}
	int r = sync_roster(st, c);
	sqlite3_stmt *p = r == 0 ? prep(st, S_SETTING_PUT) : NULL;
	if (p) {
		bind_text(p, 1, "roster");
		bind_text(p, 2, digest);
		r = run(p);
	}
	free(digest);
	return r;
}

static int sync_roster(struct store *st, const struct conf *c)
{
	if (run_plain(st, S_ROSTER_DEL_ADDR) < 0 || run_plain(st, S_ROSTER_DEL_CLIENT) < 0 ||
	    run_plain(st, S_DEPT_DEL_DOMAIN) < 0 || run_plain(st, S_DEPT_DEL) < 0)
		return -EIO;
	/* an address claimed twice belongs to the first claim */
	struct strlist claimed = {0};
	int r = 0;
	for (size_t i = 0; i < c->n_clients && r == 0; i++) {
		const struct conf_client *cl = &c->clients[i];
		sqlite3_stmt *q = prep(st, S_CLIENT_ADD);
		int64_t id;
		if (!q) {
			r = -EIO;
			break;
		}
		bind_text(q, 1, cl->name);
		bind_text(q, 2, cl->department);
		char *liaisons = NULL;
		for (size_t j = 0; j < cl->liaisons.n; j++) {
			char *t = xasprintf("%s%s%s", liaisons ? liaisons : "", liaisons ? ";" : "",
					    cl->liaisons.v[j]);
			free(liaisons);
			liaisons = t;
		}
		bind_text(q, 3, liaisons);
		r = run_int(q, &id);
		free(liaisons);
		if (r < 0)
			break;
		for (size_t j = 0; j < cl->addresses.n && r == 0; j++) {
			if (!sl_add_unique(&claimed, cl->addresses.v[j]))
				continue;
			if (!(q = prep(st, S_CLIENT_ADDR_ADD))) {
				r = -EIO;
				break;
			}
			bind_text(q, 1, cl->addresses.v[j]);
			sqlite3_bind_int64(q, 2, id);
			r = run(q);
		}
	}
	sl_free(&claimed);
	if (r == 0)
		r = run_plain(st, S_IDENT_DEL);
	for (size_t i = 0; i < c->n_accounts && r == 0; i++) {
		int64_t acc;
		if ((r = store_account(st, c->accounts[i].name, &acc)) < 0)
			break;
		for (size_t j = 0; j < c->accounts[i].identity.n && r == 0; j++) {
			sqlite3_stmt *q = prep(st, S_IDENT_ADD);
			if (!q)
				return -EIO;
			sqlite3_bind_int64(q, 1, acc);
			bind_text(q, 2, c->accounts[i].identity.v[j]);
			r = run(q);
		}
	}
	for (size_t i = 0; i < c->n_departments && r == 0; i++) {
		sqlite3_stmt *q = prep(st, S_DEPT_ADD);
		int64_t id;
		if (!q)
			return -EIO;
		bind_text(q, 1, c->departments[i].name);
		if ((r = run_int(q, &id)) < 0)
			break;
		for (size_t j = 0; j < c->departments[i].domains.n && r == 0; j++) {
			if (!(q = prep(st, S_DEPT_DOMAIN_ADD)))
				return -EIO;
			bind_text(q, 1, c->departments[i].domains.v[j]);
			sqlite3_bind_int64(q, 2, id);
			r = run(q);
		}
	}
	return r;
}

int store_folder_state(struct store *st, int64_t folder, uint32_t *ret_uidvalidity,
		       uint32_t *ret_last_uid)
{
	sqlite3_stmt *q = prep(st, S_FOLDER_STATE);
	if (!q)
		return -EIO;
	sqlite3_bind_int64(q, 1, folder);
	int r = sqlite3_step(q);
	if (r == SQLITE_ROW) {
		*ret_uidvalidity = (uint32_t)sqlite3_column_int64(q, 0);
		*ret_last_uid = (uint32_t)sqlite3_column_int64(q, 1);
	}
	sqlite3_reset(q);
	return r == SQLITE_ROW ? 0 : r == SQLITE_DONE ? -ENOENT : -EIO;
}

int store_folder_set_state(struct store *st, int64_t folder, uint32_t uidvalidity,
			   uint32_t last_uid, int64_t now)
{
	sqlite3_stmt *q = prep(st, S_FOLDER_SET_STATE);
	if (!q)
		return -EIO;
	sqlite3_bind_int64(q, 1, folder);
	sqlite3_bind_int64(q, 2, uidvalidity);
	sqlite3_bind_int64(q, 3, last_uid);
	sqlite3_bind_int64(q, 4, now);
	return run(q);
}

int store_each_folder(struct store *st, store_folder_fn fn, void *ud)
{
	sqlite3_stmt *q = prep(st, S_EACH_FOLDER);
	int r;
	if (!q)
		return -EIO;
	while ((r = sqlite3_step(q)) == SQLITE_ROW)
		fn(ud, (const char *)sqlite3_column_text(q, 0),
		   (const char *)sqlite3_column_text(q, 1), (const char *)sqlite3_column_text(q, 2),
		   sqlite3_column_int64(q, 4), sqlite3_column_int64(q, 3));
	sqlite3_reset(q);
	return r == SQLITE_DONE ? 0 : -EIO;
}

int store_count(struct store *st, const char *account, int64_t ret_kinds[5],
		int64_t *ret_quarantined)
{
	sqlite3_stmt *q = prep(st, S_COUNT);
	int r;
	if (!q)
		return -EIO;
	bind_text(q, 1, account);
	for (int k = 0; k < 5; k++)
		ret_kinds[k] = 0;
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(q, 0);
		for (int k = 0; k < 5; k++)
			if (kind && strcmp(kind, msg_kind_name((enum msg_kind)k)) == 0)
				ret_kinds[k] = sqlite3_column_int64(q, 1);
	}
	sqlite3_reset(q);
	if (r != SQLITE_DONE)
		return -EIO;
	if (!(q = prep(st, S_COUNT_QUAR)))
		return -EIO;
	bind_text(q, 1, account);
	return run_int(q, ret_quarantined);
}

/* ---- reading for the model ------------------------------------------------ */

int store_account_id(struct store *st, const char *name, int64_t *ret_id)
{
	sqlite3_stmt *q = prep(st, S_ACCOUNT_FIND);
	if (!q)
		return -EIO;
	bind_text(q, 1, name);
	return run_int(q, ret_id);
}

int store_each_account(struct store *st, store_account_fn fn, void *ud)
{
	sqlite3_stmt *q = prep(st, S_EACH_ACCOUNT);
	int r;
	if (!q)
		return -EIO;
	while ((r = sqlite3_step(q)) == SQLITE_ROW)
		fn(ud, sqlite3_column_int64(q, 0), (const char *)sqlite3_column_text(q, 1));
	sqlite3_reset(q);
	return r == SQLITE_DONE ? 0 : -EIO;
}

static const char *col(sqlite3_stmt *q, int i)
{
	return (const char *)sqlite3_column_text(q, i);
}

int store_each_message(struct store *st, int64_t account, int64_t as_of, store_msg_fn fn,
		       void *ud)
{
	sqlite3_stmt *q = prep(st, S_EACH_MSG);
	int r, ret = 0;
	if (!q)
		return -EIO;
	sqlite3_bind_int64(q, 1, account);
	sqlite3_bind_int64(q, 2, as_of);
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		struct store_msg_row row = {
			.id = sqlite3_column_int64(q, 0),
			.message_id = col(q, 1),
			.date = sqlite3_column_int64(q, 2),
			.kind = col(q, 3),
			.direction = col(q, 4),
			.from = col(q, 5),
			.subject = col(q, 6),
			.subject_norm = col(q, 7),
			.in_reply_to = col(q, 8),
			.bounce_orig_id = col(q, 9),
			.bounce_per_recipient = sqlite3_column_int(q, 10) != 0,
		};
		if ((ret = fn(ud, &row)) < 0)
			break;
	}
	return rows_done(q, r, ret);
}

/* Hands over the lines of one list text (see rcpt_text): "FIELD ADDR"
 * split at the first space, or the whole line with field "". */
static int each_line(enum store_detail d, int64_t message, const char *text, store_detail_fn fn,
		     void *ud, struct sbuf *tmp)
{
	if (!text)
		return 0;
	sb_reset(tmp);
	sb_adds(tmp, text);
	sb_addc(tmp, '\0');
	for (char *p = tmp->buf; *p;) {
		char *nl = strchr(p, '\n'), *next = nl ? nl + 1 : p + strlen(p);
		if (nl)
			*nl = '\0';
		char *sp = d == DETAIL_RECIPIENTS ? strchr(p, ' ') : NULL;
		int r;
		if (sp) {
			*sp = '\0';
			r = fn(ud, d, message, p, sp + 1);
		} else {
			r = fn(ud, d, message, "", p);
		}
		if (r < 0)
			return r;
		p = next;
	}
	return 0;
}

int store_each_detail(struct store *st, enum store_detail d, int64_t account, store_detail_fn fn,
		      void *ud)
{
	if (d != DETAIL_LISTS && d != DETAIL_BOUNCE_FAILED)
		return -EINVAL;
	sqlite3_stmt *q = prep(st, d == DETAIL_LISTS ? S_EACH_LISTS : S_EACH_FAIL);
	struct sbuf tmp = {0};
	int r, ret = 0;
	if (!q)
		return -EIO;
	sqlite3_bind_int64(q, 1, account);
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t message = sqlite3_column_int64(q, 0);
		if (d == DETAIL_BOUNCE_FAILED) {
			ret = fn(ud, d, message, "", col(q, 1));
		} else {
			ret = each_line(DETAIL_REFS, message, col(q, 2), fn, ud, &tmp);
			if (ret == 0)
				ret = each_line(DETAIL_RECIPIENTS, message, col(q, 1), fn, ud, &tmp);
		}
		if (ret < 0)
			break;
	}
	sb_free(&tmp);
	return rows_done(q, r, ret);
}

int store_each_client_address(struct store *st, store_client_fn fn, void *ud)
{
	sqlite3_stmt *q = prep(st, S_EACH_CLIENT_ADDR);
	int r, ret = 0;
	if (!q)
		return -EIO;
	while ((r = sqlite3_step(q)) == SQLITE_ROW)
		if ((ret = fn(ud, sqlite3_column_int64(q, 0), col(q, 1), col(q, 2), col(q, 3),
			      col(q, 4), col(q, 5))) < 0)
			break;
	return rows_done(q, r, ret);
}

int store_each_department_domain(struct store *st, store_domain_fn fn, void *ud)
{
	sqlite3_stmt *q = prep(st, S_EACH_DEPT_DOMAIN);
	int r, ret = 0;
	if (!q)
		return -EIO;
	while ((r = sqlite3_step(q)) == SQLITE_ROW)
		if ((ret = fn(ud, col(q, 0), col(q, 1))) < 0)
			break;
	return rows_done(q, r, ret);
}

int store_mail_client(struct store *st, const char *addr, const char *department,
		      int64_t *ret_id)
{
	/* every refresh names every client: one that is stored as it is
	 * costs a lookup, not a write */
	sqlite3_stmt *q = prep(st, S_MAIL_CLIENT_GET);
	int64_t id = 0;
	bool same = false;
	if (!q)
		return -EIO;
	bind_text(q, 1, addr);
	bind_text(q, 2, department);
	int r = sqlite3_step(q);
	if (r == SQLITE_ROW) {
		id = sqlite3_column_int64(q, 0);
		same = sqlite3_column_int(q, 1) != 0;
	}
	sqlite3_reset(q);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return -EIO;
	if (!same) {
		if (!(q = prep(st, S_MAIL_CLIENT_ADD)))
			return -EIO;
		bind_text(q, 1, addr);
		bind_text(q, 2, department);
		if (run_int(q, &id) < 0)
			return -EIO;
	}
	/* an address the roster claims stays the roster's */
	if (!(q = prep(st, S_MAIL_ADDR_ADD)))
		return -EIO;
	bind_text(q, 1, addr);
	sqlite3_bind_int64(q, 2, id);
	if (run(q) < 0)
		return -EIO;
	*ret_id = id;
	return 0;
}

static void score_bind(sqlite3_stmt *q, int i, const struct score *s)
{
	sqlite3_bind_double(q, i++, s->out_weight);
	sqlite3_bind_double(q, i++, s->reciprocity);
	sqlite3_bind_double(q, i++, s->response_rate);
	sqlite3_bind_int(q, i++, s->answered);
	sqlite3_bind_int(q, i++, s->decided);
	sqlite3_bind_double(q, i++, s->volume);
	sqlite3_bind_int(q, i++, s->tie_strength);
	bind_text(q, i++, score_class_name(s->klass));
	sqlite3_bind_int(q, i++, s->one_sided);
	bind_text(q, i++, score_phase_name(s->phase));
	bind_text(q, i++, score_trend_name(s->trend));
	sqlite3_bind_int(q, i++, s->pending);
	sqlite3_bind_int(q, i++, s->undelivered);
	sqlite3_bind_int(q, i++, s->client_initiated);
	sqlite3_bind_int(q, i++, s->liaison_initiated);
	sqlite3_bind_int(q, i++, s->unanswered_streak);
	sqlite3_bind_int(q, i++, s->recent);
	sqlite3_bind_int(q, i++, s->before);
	sqlite3_bind_int64(q, i++, s->last_message);
	sqlite3_bind_int64(q, i++, s->last_inbound);
	sqlite3_bind_double(q, i++, s->in_weight);
	sqlite3_bind_double(q, i++, s->initiation_balance);
	if (s->client_latency_h >= 0)
		sqlite3_bind_double(q, i, s->client_latency_h);
	i++;
	if (s->liaison_latency_h >= 0)
		sqlite3_bind_double(q, i, s->liaison_latency_h);
	i++;
	if (s->decided)
		sqlite3_bind_double(q, i, (double)s->answered / s->decided);
	i++;
	sqlite3_bind_int(q, i++, s->unknown_initiated);
	sqlite3_bind_int64(q, i, s->one_sided_since);
}

static unsigned char *put_le(unsigned char *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		*p++ = (unsigned char)(v >> (8 * i));
	return p;
}

static uint64_t get_le(const unsigned char **p, int bytes)
{
	uint64_t v = 0;
	for (int i = 0; i < bytes; i++)
		v |= (uint64_t)(*p)[i] << (8 * i);
	*p += bytes;
	return v;
}

static unsigned char *put_double(unsigned char *p, double d)
{
	uint64_t v;
	memcpy(&v, &d, sizeof(v));
	return put_le(p, v, 8);
}

static double get_double(const unsigned char **p)
{
	uint64_t v = get_le(p, 8);
	double d;
	memcpy(&d, &v, sizeof(d));
	return d;
}

static void brief_pack(const struct score *s, unsigned char *out)
{
	unsigned char *p = out;
	*p++ = BRIEF_VERSION;
	p = put_double(p, s->out_weight);
	p = put_double(p, s->reciprocity);
	p = put_double(p, s->response_rate);
	p = put_double(p, s->volume);
	const int ints[] = {s->answered, s->decided, s->tie_strength, s->pending,
			    s->undelivered, s->client_initiated, s->liaison_initiated,
			    s->unanswered_streak, s->recent, s->before};
	for (size_t i = 0; i < ARRAY_SIZE(ints); i++)
		p = put_le(p, (uint32_t)ints[i], 4);
	*p++ = (unsigned char)s->klass;
	*p++ = s->one_sided;
	*p++ = (unsigned char)s->phase;
	*p++ = (unsigned char)s->trend;
	p = put_le(p, (uint64_t)s->last_message, 8);
	put_le(p, (uint64_t)s->last_inbound, 8);
}

/* What brief_pack made, into *s (the fields not in it 0, latencies -1);
 * false, leaving *s so, for any other value. */
static bool brief_unpack(const void *blob, int n, struct score *s)
{
	*s = (struct score){.client_latency_h = -1, .liaison_latency_h = -1};
	const unsigned char *p = blob;
	if (!p || n != BRIEF_BYTES || *p++ != BRIEF_VERSION)
		return false;
	struct score t = *s;
	t.out_weight = get_double(&p);
	t.reciprocity = get_double(&p);
	t.response_rate = get_double(&p);
	t.volume = get_double(&p);
	int *ints[] = {&t.answered, &t.decided, &t.tie_strength, &t.pending, &t.undelivered,
		       &t.client_initiated, &t.liaison_initiated, &t.unanswered_streak,
		       &t.recent, &t.before};
	for (size_t i = 0; i < ARRAY_SIZE(ints); i++)
		*ints[i] = (int)(int32_t)(uint32_t)get_le(&p, 4);
	unsigned klass = *p++, one_sided = *p++, phase = *p++, trend = *p++;
	if (klass > CLASS_STRONG || one_sided > 1 || phase > PHASE_EXPLORATION ||
	    trend > TREND_APART)
		return false;
	t.klass = (enum score_class)klass;
	t.one_sided = one_sided;
	t.phase = (enum score_phase)phase;
	t.trend = (enum score_trend)trend;
	t.last_message = (int64_t)get_le(&p, 8);
	t.last_inbound = (int64_t)get_le(&p, 8);
	*s = t;
	return true;
}

/* Reads the columns of SCORE_COLS from column i on; brief: only those of
 * SCORE_COLS_BRIEF (the others stay 0, latencies -1). Returns the index of
 * the column after them. */
static int score_read(sqlite3_stmt *q, int i, bool brief, struct score *s)
{
	*s = (struct score){.client_latency_h = -1, .liaison_latency_h = -1};
	s->out_weight = sqlite3_column_double(q, i++);
	s->reciprocity = sqlite3_column_double(q, i++);
	s->response_rate = sqlite3_column_double(q, i++);
	s->answered = sqlite3_column_int(q, i++);
	s->decided = sqlite3_column_int(q, i++);
	s->volume = sqlite3_column_double(q, i++);
	s->tie_strength = sqlite3_column_int(q, i++);
	int k = col(q, i) ? score_class_parse(col(q, i)) : -1;
	s->klass = k < 0 ? CLASS_WEAK : (enum score_class)k;
	i++;
	s->one_sided = sqlite3_column_int(q, i++) != 0;
	k = col(q, i) ? score_phase_parse(col(q, i)) : -1;
	s->phase = k < 0 ? PHASE_DORMANT : (enum score_phase)k;
	i++;
	k = col(q, i) ? score_trend_parse(col(q, i)) : -1;
	s->trend = k < 0 ? TREND_STEADY : (enum score_trend)k;
	i++;
	s->pending = sqlite3_column_int(q, i++);
	s->undelivered = sqlite3_column_int(q, i++);
	s->client_initiated = sqlite3_column_int(q, i++);
	s->liaison_initiated = sqlite3_column_int(q, i++);
	s->unanswered_streak = sqlite3_column_int(q, i++);
	s->recent = sqlite3_column_int(q, i++);
	s->before = sqlite3_column_int(q, i++);
	s->last_message = sqlite3_column_int64(q, i++);
	s->last_inbound = sqlite3_column_int64(q, i++);
	if (brief)
		return i;
	s->in_weight = sqlite3_column_double(q, i++);
	s->initiation_balance = sqlite3_column_double(q, i++);
	if (sqlite3_column_type(q, i) != SQLITE_NULL)
		s->client_latency_h = sqlite3_column_double(q, i);
	i++;
	if (sqlite3_column_type(q, i) != SQLITE_NULL)
		s->liaison_latency_h = sqlite3_column_double(q, i);
	i++;
	i++; /* raw_rate: answered / decided again */
	s->unknown_initiated = sqlite3_column_int(q, i++);
	s->one_sided_since = sqlite3_column_int64(q, i++);
	return i;
}

int store_score_put(struct store *st, int64_t account, int64_t client, const char *name,
		    const char *department, const char *address, int64_t as_of, int64_t computed_at,
		    const struct score *s)
{
	sqlite3_stmt *q = prep(st, S_SCORE_PUT);
	if (!q)
		return -EIO;
	sqlite3_bind_int64(q, 1, account);
	sqlite3_bind_int64(q, 2, client);
	bind_text(q, 3, department);
	bind_text(q, 4, address);
	sqlite3_bind_int64(q, 5, as_of);
	sqlite3_bind_int64(q, 6, computed_at);
	score_bind(q, 7, s);
	bind_text(q, 34, name);
	unsigned char brief[BRIEF_BYTES];
	brief_pack(s, brief);
	sqlite3_bind_blob(q, 35, brief, sizeof(brief), SQLITE_TRANSIENT);
	return run(q);
}

struct account_names {
	int64_t *id;
	char **name;
	size_t n;
};

static void on_account_name(void *ud, int64_t id, const char *name)
{
	struct account_names *x = ud;
	x->id = xrealloc(x->id, (x->n + 1) * sizeof(*x->id));
	x->name = xrealloc(x->name, (x->n + 1) * sizeof(*x->name));
	x->id[x->n] = id;
	x->name[x->n++] = xstrdup(name);
}

int store_each_score(struct store *st, bool weak_only, size_t limit, bool brief,
		     store_score_fn fn, void *ud)
{
	/* the few account names, so that the rows need no join */
	struct account_names an = {0};
	if (store_each_account(st, on_account_name, &an) < 0)
		return -EIO;
	enum stmt which = weak_only ? (brief ? S_EACH_WEAK_BRIEF : S_EACH_WEAK)
				    : (brief ? S_EACH_SCORE_BRIEF : S_EACH_SCORE);
	sqlite3_stmt *q = prep(st, which);
	int r, ret = 0;
	if (!q) {
		ret = -EIO;
		goto out;
	}
	if (weak_only)
		sqlite3_bind_int64(q, 1, limit ? (int64_t)limit : -1);
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t acc = sqlite3_column_int64(q, 0);
		const char *aname = "";
		for (size_t i = 0; i < an.n; i++)
			if (an.id[i] == acc)
				aname = an.name[i];
		struct store_score_row row = {
			.account = aname,
			.account_id = acc,
			.client = col(q, 1),
			.department = col(q, 2),
			.as_of = sqlite3_column_int64(q, 3),
		};
		if (brief && !brief_unpack(sqlite3_column_blob(q, 4), sqlite3_column_bytes(q, 4),
					   &row.s)) {
			snprintf(st->errmsg, sizeof(st->errmsg),
				 "the stored score of %s is damaged (rapportd --recompute writes it "
				 "again)", row.client ? row.client : "a client");
			st->own_error = true;
			ret = -EIO;
			break;
		}
		if (!brief) {
			int i = score_read(q, 4, false, &row.s);
			row.address = col(q, i);
			row.computed_at = sqlite3_column_int64(q, i + 1);
		}
		if ((ret = fn(ud, &row)) < 0)
			break;
	}
	sqlite3_reset(q);
	if (ret == 0 && r != SQLITE_DONE)
		ret = -EIO;
out:
	for (size_t i = 0; i < an.n; i++)
		free(an.name[i]);
	free(an.name);
	free(an.id);
	return ret;
}

int store_identity(struct store *st, int64_t account, struct strlist *ret)
{
	sqlite3_stmt *q = prep(st, S_EACH_IDENT);
	int r;
	if (!q)
		return -EIO;
	sqlite3_bind_int64(q, 1, account);
	while ((r = sqlite3_step(q)) == SQLITE_ROW)
		sl_add_unique(ret, col(q, 0));
	sqlite3_reset(q);
	return r == SQLITE_DONE ? 0 : -EIO;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* Reads every row of sel (prepared and bound by the caller) and then,
 * for each one keep() rejects, runs del with ?1 its column 0 and ?2 arg:
 * all read before anything is written (no write under a running
 * select). 0 or -EIO. */
static int drop_rows(struct store *st, sqlite3_stmt *sel, bool (*keep)(void *ud, sqlite3_stmt *row),
		     void *ud, enum stmt del, int64_t arg)
{
	int64_t *gone = NULL;
	size_t n = 0;
	int r;
	while ((r = sqlite3_step(sel)) == SQLITE_ROW) {
		if (keep(ud, sel))
			continue;
		if (n % 256 == 0)
			gone = xrealloc(gone, (n + 256) * sizeof(*gone));
		gone[n++] = sqlite3_column_int64(sel, 0);
	}
	sqlite3_reset(sel);
	sqlite3_stmt *q = NULL;
	if (r != SQLITE_DONE || !(q = prep(st, del))) {
		free(gone);
		return -EIO;
	}
	r = 0;
	for (size_t i = 0; i < n && r == 0; i++) {
		sqlite3_bind_int64(q, 1, gone[i]);
		sqlite3_bind_int64(q, 2, arg);
		r = run(q);
	}
	free(gone);
	return r;
}

struct kept {
	const int64_t *v;
	size_t n;
};

static bool client_kept(void *ud, sqlite3_stmt *row)
{
	const struct kept *k = ud;
	int64_t c = sqlite3_column_int64(row, 0);
	return bsearch(&c, k->v, k->n, sizeof(*k->v), cmp_i64) != NULL;
}

int store_scores_keep(struct store *st, int64_t account, const int64_t *clients, size_t n)
{
	int64_t *keep = xmalloc((n + 1) * sizeof(*keep));
	if (n)
		memcpy(keep, clients, n * sizeof(*keep));
	qsort(keep, n, sizeof(*keep), cmp_i64);
	sqlite3_stmt *q = prep(st, S_SCORE_CLIENTS);
	int r = -EIO;
	if (q) {
		struct kept k = {keep, n};
		sqlite3_bind_int64(q, 1, account);
		r = drop_rows(st, q, client_kept, &k, S_SCORE_DEL, account);
	}
	free(keep);
	return r;
}

int store_max_message_id(struct store *st, const char *account, int64_t *ret)
{
	sqlite3_stmt *q = prep(st, S_MAX_MSG);
	if (!q)
		return -EIO;
	bind_text(q, 1, account);
	return run_int(q, ret);
}

int store_scores_oldest(struct store *st, const char *account, int64_t *ret)
{
	sqlite3_stmt *q = prep(st, S_SCORE_OLDEST);
	if (!q)
		return -EIO;
	bind_text(q, 1, account);
	return run_int(q, ret);
}

/* ---- nudges ------------------------------------------------------------ */

int store_nudge_put(struct store *st, int64_t account, int64_t client, const char *kind,
		    const char *key, int64_t message, int64_t due, const char *reason, int64_t now)
{
	sqlite3_stmt *q = prep(st, S_NUDGE_PUT);
	if (!q)
		return -EIO;
	sqlite3_bind_int64(q, 1, account);
	sqlite3_bind_int64(q, 2, client);
	bind_text(q, 3, kind);
	bind_text(q, 4, key);
	sqlite3_bind_int64(q, 5, due);
	bind_text(q, 6, reason);
	if (message > 0) /* a cadence nudge may be about no message at all */
		sqlite3_bind_int64(q, 7, message);
	sqlite3_bind_int64(q, 8, now);
	return run(q);
}

struct seen_pass {
	store_nudge_seen_fn seen;
	void *ud;
};

static bool nudge_seen(void *ud, sqlite3_stmt *row)
{
	const struct seen_pass *x = ud;
	return x->seen(x->ud, sqlite3_column_int64(row, 1), col(row, 2), col(row, 3));
}

int store_nudges_resolve_unseen(struct store *st, int64_t account, store_nudge_seen_fn seen,
				void *ud, int64_t now)
{
	sqlite3_stmt *q = prep(st, S_NUDGE_LIVE);
	if (!q)
		return -EIO;
	struct seen_pass x = {seen, ud};
	sqlite3_bind_int64(q, 1, account);
	return drop_rows(st, q, nudge_seen, &x, S_NUDGE_RESOLVE, now);
}

int store_each_nudge(struct store *st, const struct store_nudge_filter *f, store_nudge_fn fn,
		     void *ud)
{
	sqlite3_stmt *q = prep(st, S_EACH_NUDGE);
	int r, ret = 0;
	if (!q)
		return -EIO;
	sqlite3_bind_int(q, 1, f->all);
	sqlite3_bind_int64(q, 2, f->now);
	bind_text(q, 3, f->kind);
	bind_text(q, 4, f->account);
	bind_text(q, 5, f->undelivered_on);
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		struct store_nudge_row row = {
			.id = sqlite3_column_int64(q, 0),
			.account = col(q, 1),
			.client = col(q, 2),
			.kind = col(q, 3),
			.state = col(q, 4),
			.due = sqlite3_column_int64(q, 5),
			.snooze_until = sqlite3_column_int64(q, 6),
			.reason = col(q, 7),
			.subject = col(q, 8),
			.about = sqlite3_column_int64(q, 9),
			.resolved_at = sqlite3_column_int64(q, 10),
			.created_at = sqlite3_column_int64(q, 11),
			.address = col(q, 12),
			.delivered = col(q, 13),
		};
		if ((ret = fn(ud, &row)) < 0)
			break;
	}
	return rows_done(q, r, ret);
}

int store_nudge_state(struct store *st, int64_t id, const char *state, int64_t until,
		      int64_t now, char **ret_old)
{
	sqlite3_stmt *q = prep(st, S_NUDGE_FIND);
	if (!q)
		return -EIO;
	sqlite3_bind_int64(q, 1, id);
	int r = sqlite3_step(q);
	if (r == SQLITE_ROW && ret_old)
		*ret_old = xstrdup(col(q, 0) ? col(q, 0) : "");
	sqlite3_reset(q);
	if (r == SQLITE_DONE)
		return -ENOENT;
	if (r != SQLITE_ROW)
		return -EIO;
	if (!(q = prep(st, S_NUDGE_STATE)))
		return -EIO;
	sqlite3_bind_int64(q, 1, id);
	bind_text(q, 2, state);
	if (until)
		sqlite3_bind_int64(q, 3, until);
	sqlite3_bind_int64(q, 4, now);
	return run(q);
}

int store_nudge_owner(struct store *st, int64_t id, int64_t *ret_account, char ret_state[16])
{
	sqlite3_stmt *q = prep(st, S_NUDGE_OWNER);
	if (!q)
		return -EIO;
	sqlite3_bind_int64(q, 1, id);
	int r = sqlite3_step(q);
	if (r == SQLITE_ROW) {
		*ret_account = sqlite3_column_int64(q, 0);
		snprintf(ret_state, 16, "%s", col(q, 1) ? col(q, 1) : "");
	}
	sqlite3_reset(q);
	return r == SQLITE_ROW ? 0 : r == SQLITE_DONE ? -ENOENT : -EIO;
}

int store_each_override(struct store *st, const char *account, store_override_fn fn, void *ud)
{
	sqlite3_stmt *q = prep(st, S_EACH_OVERRIDE);
	int r, ret = 0;
	if (!q)
		return -EIO;
	bind_text(q, 1, account);
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		struct store_override o = {
			.id = sqlite3_column_int64(q, 0), .kind = col(q, 1), .account = col(q, 2),
			.subject = col(q, 3), .target = col(q, 4), .days = sqlite3_column_int(q, 5),
			.reason = col(q, 6), .set_by = col(q, 7), .set_at = sqlite3_column_int64(q, 8)};
		if ((ret = fn(ud, &o)) < 0)
			break;
	}
	return rows_done(q, r, ret);
}

int store_override_put(struct store *st, const struct store_override *o)
{
	sqlite3_stmt *q = prep(st, S_OVERRIDE_PUT);
	if (!q)
		return -EIO;
	bind_text(q, 1, o->kind);
	bind_text(q, 2, o->account ? o->account : "");
	bind_text(q, 3, o->subject);
	bind_text(q, 4, o->target);
	if (o->days > 0)
		sqlite3_bind_int(q, 5, o->days);
	bind_text(q, 6, o->reason);
	bind_text(q, 7, o->set_by);
	sqlite3_bind_int64(q, 8, o->set_at);
	if (run(q) < 0)
		return -EIO;
	return run_plain(st, S_OVERRIDE_EPOCH);
}

int store_override_del(struct store *st, const char *kind, const char *account,
		       const char *subject, int *ret_n)
{
	bool merge = strcmp(kind, "merge") == 0;
	sqlite3_stmt *q = prep(st, merge ? S_OVERRIDE_DEL_MERGE : S_OVERRIDE_DEL);
	if (!q)
		return -EIO;
	int i = 1;
	if (!merge)
		bind_text(q, i++, kind);
	bind_text(q, i++, account ? account : "");
	bind_text(q, i, subject);
	if (run(q) < 0)
		return -EIO;
	*ret_n = sqlite3_changes(st->db);
	return *ret_n ? run_plain(st, S_OVERRIDE_EPOCH) : 0;
}

int store_client_find(struct store *st, const char *name_or_addr, bool by_addr,
		      char **ret_name, bool *ret_roster)
{
	sqlite3_stmt *q = prep(st, by_addr ? S_CLIENT_BY_ADDR : S_CLIENT_BY_NAME);
	if (!q)
		return -EIO;
	bind_text(q, 1, name_or_addr);
	int r = sqlite3_step(q);
	if (r == SQLITE_ROW) {
		*ret_name = xstrdup(col(q, 1) ? col(q, 1) : "");
		*ret_roster = col(q, 2) && strcmp(col(q, 2), "roster") == 0;
	}
	sqlite3_reset(q);
	return r == SQLITE_ROW ? 0 : r == SQLITE_DONE ? -ENOENT : -EIO;
}

int store_nudge_client(struct store *st, int64_t id, char **ret_name, bool *ret_roster,
		       char **ret_addr)
{
	sqlite3_stmt *q = prep(st, S_NUDGE_CLIENT);
	if (!q)
		return -EIO;
	sqlite3_bind_int64(q, 1, id);
	int r = sqlite3_step(q);
	if (r == SQLITE_ROW) {
		*ret_name = xstrdup(col(q, 0) ? col(q, 0) : "");
		*ret_roster = col(q, 1) && strcmp(col(q, 1), "roster") == 0;
		*ret_addr = xstrdup(col(q, 2) ? col(q, 2) : "");
	}
	sqlite3_reset(q);
	return r == SQLITE_ROW ? 0 : r == SQLITE_DONE ? -ENOENT : -EIO;
}

int store_mail_action_seen(struct store *st, int64_t account, const char *message_id,
			   bool *ret)
{
	sqlite3_stmt *q = prep(st, S_ACTION_SEEN);
	if (!q)
		return -EIO;
	sqlite3_bind_int64(q, 1, account);
	bind_text(q, 2, message_id);
	int r = sqlite3_step(q);
	sqlite3_reset(q);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return -EIO;
	*ret = r == SQLITE_ROW;
	return 0;
}

int store_mail_action_put(struct store *st, int64_t account, const char *message_id,
			  int64_t nudge, const char *action, const char *result, int64_t now)
{
	sqlite3_stmt *q = prep(st, S_ACTION_PUT);
	if (!q)
		return -EIO;
	sqlite3_bind_int64(q, 1, account);
	bind_text(q, 2, message_id);
	if (nudge > 0)
		sqlite3_bind_int64(q, 3, nudge);
	bind_text(q, 4, action);
	bind_text(q, 5, result);
	sqlite3_bind_int64(q, 6, now);
	return run(q);
}

int store_nudge_delivered(struct store *st, int64_t id, const char *channel, int64_t now)
{
	sqlite3_stmt *q = prep(st, S_NUDGE_DELIVERED);
	if (!q)
		return -EIO;
	sqlite3_bind_int64(q, 1, id);
	bind_text(q, 2, channel);
	sqlite3_bind_int64(q, 3, now);
	return run(q);
}

int store_setting(struct store *st, const char *key, char **ret)
{
	sqlite3_stmt *q = prep(st, S_SETTING_GET);
	if (!q)
		return -EIO;
	bind_text(q, 1, key);
	int r = sqlite3_step(q);
	if (r == SQLITE_ROW)
		*ret = xstrdup(col(q, 0));
	sqlite3_reset(q);
	return r == SQLITE_ROW ? 0 : r == SQLITE_DONE ? -ENOENT : -EIO;
}

int store_setting_put(struct store *st, const char *key, const char *value)
{
	sqlite3_stmt *q = prep(st, S_SETTING_PUT);
	if (!q)
		return -EIO;
	bind_text(q, 1, key);
	bind_text(q, 2, value);
	return run(q);
}

int store_lock(const char *path, bool group, int *ret_fd, char **ret_error)
{
	char *lock = xasprintf("%s.lock", path);
	int fd = -1, r = prepare_dir(path, group, ret_error);
	if (r == 0)
		r = trusted_file(lock, group ? 0640 : 0600, false, ret_error);
	if (r == 0 &&
	    (fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, group ? 0640 : 0600)) < 0) {
		r = -errno;
		*ret_error = xasprintf("cannot open the lock %s: %s", lock, strerror(errno));
	}
	if (r == 0 && flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK ? -EBUSY : -errno;
		/* the holder writes its PID just after taking the lock */
		char pid[32] = "";
		for (int tries = 0; tries < 50 && !strchr(pid, '\n'); tries++) {
			ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);
			pid[n > 0 ? n : 0] = '\0';
			if (!strchr(pid, '\n'))
				usleep(10000);
		}
		pid[strcspn(pid, "\n")] = '\0';
		*ret_error = r == -EBUSY
				     ? xasprintf("another rapportd (PID %s) is running on %s; only one "
						 "may (it holds %s)", *pid ? pid : "unknown", path, lock)
				     : xasprintf("cannot lock %s: %s", lock, strerror(-r));
	}
	if (r == 0) {
		char pid[32];
		int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
		if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
			r = -errno;
			*ret_error = xasprintf("cannot write %s: %s", lock, strerror(errno));
		}
	}
	free(lock);
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

int store_nudge_find(struct store *st, const char *account, const char *kind, const char *addr,
		     const char *key, struct store_nudge_state *ret)
{
	sqlite3_stmt *q = prep(st, S_NUDGE_KEY);
	if (!q)
		return -EIO;
	bind_text(q, 1, account);
	bind_text(q, 2, kind);
	bind_text(q, 3, addr);
	bind_text(q, 4, key);
	int r = sqlite3_step(q);
	if (r == SQLITE_ROW) {
		*ret = (struct store_nudge_state){0};
		ret->id = sqlite3_column_int64(q, 0);
		snprintf(ret->state, sizeof(ret->state), "%s", col(q, 1) ? col(q, 1) : "");
		ret->snooze_until = sqlite3_column_int64(q, 2);
		ret->updated_at = sqlite3_column_int64(q, 3);
		ret->delivered = col(q, 4) ? xstrdup(col(q, 4)) : NULL;
	}
	sqlite3_reset(q);
	return r == SQLITE_ROW ? 0 : r == SQLITE_DONE ? -ENOENT : -EIO;
}
