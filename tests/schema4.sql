-- Turns a rapport database of schema 5 (tests/schema5.sql makes one of a
-- newer) back into schema 4 (a row per recipient and per reference),
-- keeping its data: the tests make an "old" database this way and let
-- rapportd migrate it again.
CREATE TABLE r4(message INTEGER NOT NULL REFERENCES messages(id),
 field TEXT NOT NULL, addr TEXT NOT NULL,
 PRIMARY KEY(message, field, addr)) WITHOUT ROWID;
INSERT INTO r4 SELECT message, field, addr FROM recipients;
CREATE TABLE f4(message INTEGER NOT NULL REFERENCES messages(id),
 pos INTEGER NOT NULL, ref TEXT NOT NULL, PRIMARY KEY(message, pos)) WITHOUT ROWID;
INSERT INTO f4 SELECT message, pos, ref FROM refs;
DROP VIEW recipients;
DROP VIEW refs;
DROP TABLE message_lists;
DROP INDEX messages_account_id;
DROP INDEX scores_computed;
CREATE INDEX messages_from ON messages(from_addr);
ALTER TABLE r4 RENAME TO recipients;
ALTER TABLE f4 RENAME TO refs;
CREATE INDEX recipients_addr ON recipients(addr);
CREATE INDEX refs_ref ON refs(ref);
PRAGMA user_version = 4;
