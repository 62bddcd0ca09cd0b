# db.sh: sourced by the tests that compare databases after crashes and
# faults.
#
#   db_dump DB           the stored messages, recipients and references, in
#                        an order independent of row ids and import times
#   db_cursor_ahead DB FOLDER
#                        succeeds when FOLDER's sync cursor is ahead of the
#                        stored messages (a fresh dovecot folder numbers its
#                        messages 1..N, so every UID up to the cursor must
#                        be stored)
#   count DB SQL         the answer of one query
#   db_eq DB SQL VALUE   succeeds when SQL answers VALUE (for wait_for)
#   maildir_fill MBOX DIR [TAG]
#                        writes every message of MBOX as a file in DIR/cur,
#                        TAG (default "fill") in each file name: fills with
#                        other tags never collide

count() { sqlite3 "$1" "$2" 2>/dev/null; }
db_eq() { test "$(count "$1" "$2")" = "$3"; }

db_dump() {
	sqlite3 "$1" "SELECT message_id, date, date_source, from_addr, subject, kind, direction,
		in_inbox FROM messages ORDER BY message_id;
		SELECT m.message_id, r.field, r.addr FROM recipients r JOIN messages m ON m.id = r.message
		ORDER BY 1, 2, 3;
		SELECT m.message_id, r.pos, r.ref FROM refs r JOIN messages m ON m.id = r.message
		ORDER BY 1, 2;"
}

db_cursor_ahead() {
	cur=$(sqlite3 "$1" "SELECT coalesce(max(last_uid), 0) FROM folders WHERE name = '$2'" 2>/dev/null)
	got=$(sqlite3 "$1" "SELECT count(*) FROM locations l JOIN folders f ON f.id = l.folder \
		WHERE f.name = '$2' AND l.uid <= ${cur:-0}" 2>/dev/null)
	[ "${cur:-0}" -gt "${got:-0}" ]
}

maildir_fill() {
	python3 - "$1" "$2/cur" "${3:-fill}" <<'PY'
import mailbox, os, sys
mb = mailbox.mbox(sys.argv[1])
for i, key in enumerate(mb.iterkeys()):
    data = mb.get_bytes(key)  # as written: no parsing (the poison messages)
    name = "%d.M%dP1.%s,S=%d:2,S" % (1700000000 + i, i, sys.argv[3], len(data))
    with open(os.path.join(sys.argv[2], name), "wb") as f:
        f.write(data)
PY
}
