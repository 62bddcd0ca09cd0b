-- Turns a rapport database of schema 6 or 7 back into schema 5 (no brief: the
-- weak list's index holds the 20 columns it stands for), keeping its
-- data: the tests make an "old" database this way and let rapportd
-- migrate it again.
DROP INDEX scores_weak_list;
ALTER TABLE scores DROP COLUMN brief;
CREATE INDEX scores_weak_list ON scores(tie_strength, out_weight DESC, client_name,
 account_id, department, as_of, reciprocity, response_rate, answered, decided, volume,
 class, one_sided, phase, trend, pending, undelivered, client_initiated,
 liaison_initiated, unanswered_streak, recent, before, last_message, last_inbound)
 WHERE phase <> 'dormant' AND (class = 'weak' OR one_sided);
PRAGMA user_version = 5;
