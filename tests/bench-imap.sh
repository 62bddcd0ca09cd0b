#!/bin/sh
# IMAP sync benchmark: for each mailbox size (default 2000 and 20000
# messages, half INBOX, half Sent) a private dovecot on 127.0.0.1 is
# loaded, then the same header fields are fetched twice, timed under
# /usr/bin/time -v: by `rapportd --once` (parse, classify, store, score)
# and by curl issuing raw UID FETCH commands (the floor: transport only).
# Usage: bench-imap.sh BUILDDIR [N...]
set -eu
build=${1:?usage: bench-imap.sh BUILDDIR [MESSAGES...]}
shift
[ $# -gt 0 ] || set -- 2000 20000
src=$(cd "$(dirname "$0")/.." && pwd)
out=${BENCH_DIR:-$build/bench-out}/imap
for tool in /usr/bin/time curl dovecot; do
	command -v "$tool" >/dev/null || { echo "bench: needs $tool (apt-get install time curl dovecot-imapd)" >&2; exit 1; }
done
. "$src/tests/dovecot.sh"
mkdir -p "$out"
FIELDS="FROM TO CC BCC REPLY-TO SUBJECT DATE MESSAGE-ID IN-REPLY-TO REFERENCES LIST-ID LIST-POST PRECEDENCE AUTO-SUBMITTED X-AUTOREPLY X-AUTORESPOND CONTENT-TYPE RECEIVED"
secs() { grep 'Elapsed (wall clock)' "$1" | sed 's/.*: //' | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }'; }
rss() { grep 'Maximum resident' "$1" | sed 's/.*: //' | awk '{ printf "%.1f", $1 / 1024 }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }

printf '%-8s %-28s %9s %9s %12s\n' messages tool seconds msg/s "peak RSS MB"
for n in "$@"; do
	dir="$out/dv-$n"
	[ -f "$dir/ports" ] || rm -rf "$dir"
	dovecot_up "$dir" >/dev/null
	md="$dir/mail/liaison/Maildir"
	if [ ! -f "$dir/loaded" ]; then
		python3 "$src/tests/gen_mbox.py" "$out/in-$n.mbox" --sent "$out/sent-$n.mbox" \
			--messages "$n" --body 800 --recent --seed 17
		mkdir -p "$md/.Sent/cur" "$md/.Sent/new" "$md/.Sent/tmp"
		python3 - "$out/in-$n.mbox" "$md/cur" "$out/sent-$n.mbox" "$md/.Sent/cur" <<'PY'
import mailbox, os, sys
for mb, dest in ((sys.argv[1], sys.argv[2]), (sys.argv[3], sys.argv[4])):
    for i, m in enumerate(mailbox.mbox(mb)):
        data = m.as_bytes()
        name = "%d.M%dP1.bench,S=%d:2,S" % (1700000000 + i, i, len(data))
        with open(os.path.join(dest, name), "wb") as f:
            f.write(data)
PY
		chown -R 65534:65534 "$dir/mail"
		touch "$dir/loaded"
	fi
	# let dovecot build its indexes before anything is timed
	for f in INBOX Sent; do
		curl -s --insecure -u liaison:secret "imaps://127.0.0.1:$IMAPS_PORT/" -X "STATUS $f (MESSAGES)" >/dev/null
	done
	n_in=$(ls "$md/cur" | wc -l)
	n_sent=$(ls "$md/.Sent/cur" | wc -l)
	total=$((n_in + n_sent))
	printf 'secret\n' >"$out/pw"
	chmod 600 "$out/pw"
	rm -f "$out/bench.db" "$out/bench.db-wal" "$out/bench.db-shm"
	cat >"$out/bench.conf" <<EOC
database = "$out/bench.db";
accounts = ( { name = "bench"; identity = ["liaison@univ.example"]; host = "127.0.0.1";
  port = $IMAPS_PORT; user = "liaison"; password_file = "$out/pw";
  ca_file = "$dir/ssl/cert.pem"; since_days = 3650; } );
EOC
	/usr/bin/time -o "$out/rapportd.time" -v "$build/src/rapportd" -v -c "$out/bench.conf" --once \
		>"$out/rapportd.log" 2>&1 || { cat "$out/rapportd.log"; exit 1; }
	sync_rss=$(sed -n 's/.*sync done.*peak RSS so far \([0-9]*\) kB.*/\1/p' "$out/rapportd.log" | \
		awk '{ printf "%.1f", $1 / 1024 }')
	stored=$(sqlite3 "$out/bench.db" 'SELECT count(*) FROM messages' 2>/dev/null || echo "?")
	s=$(secs "$out/rapportd.time")
	printf '%-8s %-28s %9s %9s %12s\n' "$total" "rapportd --once ($stored stored)" "$s" \
		"$(rate "$total" "$s")" "$(rss "$out/rapportd.time")"
	printf '%-8s %-28s %9s %9s %12s\n' "" "  of which the sync alone" "" "" "$sync_rss"
	# curl: one process and one TLS connection, UID FETCH in chunks of 100
	# (curl 7.88 treats IMAP literals as headers and gives up past 300 KB)
	{
		for spec in "INBOX:$n_in" "Sent:$n_sent"; do
			f=${spec%%:*}
			c=${spec#*:}
			s0=1
			while [ "$s0" -le "$c" ]; do
				e=$((s0 + 99))
				printf 'url = "imaps://127.0.0.1:%s/%s"\nuser = "liaison:secret"\ninsecure\nsilent\n' \
					"$IMAPS_PORT" "$f"
				printf 'request = "UID FETCH %s:%s (UID INTERNALDATE BODY.PEEK[HEADER.FIELDS (%s)])"\n' \
					"$s0" "$e" "$FIELDS"
				printf 'output = "/dev/null"\ndump-header = "/dev/null"\nnext\n'
				s0=$((e + 1))
			done
		done
	} | sed '$d' >"$out/curl.cfg"
	/usr/bin/time -v curl -K "$out/curl.cfg" 2>"$out/curl.time" || { cat "$out/curl.time"; exit 1; }
	s=$(secs "$out/curl.time")
	printf '%-8s %-28s %9s %9s %12s\n' "$total" "curl UID FETCH (raw)" "$s" "$(rate "$total" "$s")" \
		"$(rss "$out/curl.time")"
	dovecot_down "$dir"
done
