#!/bin/sh
# The speed and memory targets, each beside its floor measured in the same
# run, with PASS or FAIL (a benchmark, not a test: `make bench` runs it).
#
# For each mailbox size N (default 2000 20000 100000; half INBOX, half
# Sent, 2% newsletters Bcc'd to a whole department, three Received lines
# on inbound mail) a private dovecot on 127.0.0.1 is loaded, then, RUNS
# times (default 3) in rounds, the median taken:
#   floor-imap   openssl s_client: one TLS session, LOGIN, per folder one
#                UID FETCH 1:* of the usual header fields (From, To, Cc,
#                Date, Message-ID, In-Reply-To, References, Subject,
#                List-Id, Auto-Submitted, Precedence)
#   floor-own    the same, with what rapportd's FETCH asks for instead
#                (src/imap.c: its header fields, the first 2 KiB of Bcc;
#                INTERNALDATE only of a message without a usable Date,
#                none here): how long the server takes to answer
#                rapport's own question, not a target but where it stands
#   once         rapportd --once on a fresh database (the first sync)
#   nochange     rapportd --once again, nothing new on the server
#   floor-scan   python3: every header block of the two mbox files read
#   import       rapportd --import of the same mail as mbox (fresh database)
#   recompute    rapportd --recompute
# Beside each time: the CPU seconds the step itself used (user + system)
# and, for the IMAP steps, those the server used meanwhile (dovecot's
# imap and imap-login processes, read off its master process once they
# have exited). Where both share the machine's cores, their sum over the
# core count is a time no schedule beats: printed beside the first sync.
# Targets: once <= 4x floor-imap at 20,000 and 100,000, and growing
# linearly (t(100k) / t(20k) <= 5.5); import <= 3x floor-scan; peak RSS of
# once, import and recompute <= 24 MB and within 20% from the smallest N
# to the largest; nochange <= 0.1 s at every N.
# Usage: bench-targets.sh BUILDDIR [N...]
set -eu
build=${1:?usage: bench-targets.sh BUILDDIR [MESSAGES...]}
shift
[ $# -gt 0 ] || set -- 2000 20000 100000
src=$(cd "$(dirname "$0")/.." && pwd)
out=${BENCH_DIR:-$build/bench-out}/targets
runs=${RUNS:-3}
py=/usr/bin/python3 # not a shim that starts a shell first
[ -x "$py" ] || py=python3
for tool in /usr/bin/time openssl dovecot sqlite3 pgrep; do
	command -v "$tool" >/dev/null || { echo "bench: needs $tool" >&2; exit 1; }
done
. "$src/tests/dovecot.sh"
mkdir -p "$out"
# a run that fails or is interrupted stops the dovecot it started
trap 'for d in "$out"/dv-*; do [ -d "$d" ] && dovecot_down "$d" 2>/dev/null; done' EXIT
rd=${RAPPORTD:-$build/src/rapportd} # RAPPORTD: another build to compare
# the floor's fields: the raw header fetch rapport is measured against
# (rapport itself fetches a few more, and Bcc only up to 2 KiB)
FIELDS="FROM TO CC DATE MESSAGE-ID IN-REPLY-TO REFERENCES SUBJECT LIST-ID AUTO-SUBMITTED PRECEDENCE"
FLOOR="BODY.PEEK[HEADER.FIELDS ($FIELDS)]"
# what rapportd's FETCH asks for: its header fields, read off its source
# so that they cannot drift, and the start of Bcc
OWN=$(sed -n '/header_fields\[\] = {/,/};/p' "$src/src/imap.c" | grep -o '"[^"]*"' | tr -d '"' |
	tr '\n' ' ' | sed 's/ $//')
[ -n "$OWN" ] || { echo "bench: no header fields found in $src/src/imap.c" >&2; exit 1; }
OWN="BODY.PEEK[HEADER.FIELDS ($OWN)] BODY.PEEK[HEADER.FIELDS (BCC)]<0.2048>"

cores=$(getconf _NPROCESSORS_ONLN)
hz=$(getconf CLK_TCK)
# server_ticks: CPU ticks of the running dovecot and of its children that
# have exited (an IMAP session's imap and imap-login processes), or 0
# when no dovecot of this run is up
server_ticks() {
	[ -n "${master:-}" ] && [ -r "/proc/$master/stat" ] || { echo 0; return; }
	# utime stime cutime cstime: fields 14 to 17, counted after the
	# command name (which may hold spaces) as 12 to 15
	sed 's/.*) //' "/proc/$master/stat" | awk '{ print $12 + $13 + $14 + $15 }'
}
# server_settled: waits (3 s at most) until the session's processes have
# exited, so that their CPU is counted
server_settled() {
	[ -n "${master:-}" ] || return 0
	i=0
	while [ $i -lt 30 ] && pgrep -P "$master" -f 'imap' >/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
}
# timed NAME N CMD...: one run under /usr/bin/time, "seconds kB cpu
# server-cpu" appended to $out/NAME-N.runs
timed() {
	name=$1 n=$2
	shift 2
	before=$(server_ticks)
	/usr/bin/time -o "$out/time.tmp" -f '%e %M %U %S' "$@" >"$out/$name-$n.out" 2>&1 ||
		{ echo "bench: $name at $n failed:" >&2; tail -5 "$out/$name-$n.out" >&2; exit 1; }
	server_settled
	after=$(server_ticks)
	tail -1 "$out/time.tmp" | awk -v d=$((after - before)) -v hz="$hz" \
		'{ printf "%s %s %.2f %.2f\n", $1, $2, $3 + $4, d / hz }' >>"$out/$name-$n.runs"
}
# medcol FILE K: the median of column K; median FILE: of the first (the time)
medcol() { awk -v k="$2" '{ print $k }' "$1" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
median() { medcol "$1" 1; }
maxrss() { awk '$2 > m { m = $2 } END { printf "%.1f", m / 1024 }' "$1"; }

# floor.sh PORT ITEMS OUT: one TLS session, every command at once, a UID
# FETCH 1:* of ITEMS per folder; the server's answers counted afterwards
cat >"$out/floor.sh" <<'EOS'
{
	printf 'a LOGIN liaison secret\r\n'
	for f in INBOX Sent; do
		printf 's EXAMINE %s\r\nf UID FETCH 1:* (UID %s)\r\n' "$f" "$2"
	done
	printf 'z LOGOUT\r\n'
} | openssl s_client -quiet -connect "127.0.0.1:$1" >"$3" 2>/dev/null
EOS

for n in "$@"; do
	dir="$out/dv-$n"
	[ -f "$dir/ports" ] || rm -rf "$dir"
	dovecot_up "$dir" >/dev/null
	master=$(cat "$dir/run/master.pid")
	md="$dir/mail/liaison/Maildir"
	in="$out/in-$n.mbox" sent="$out/sent-$n.mbox"
	if [ ! -f "$dir/loaded" ]; then
		python3 "$src/tests/gen_mbox.py" "$in" --sent "$sent" --messages "$n" --body 800 \
			--clients $((n / 8 > 600 ? n / 8 : 600)) --broadcasts 0.02 --received 3 --recent \
			--seed 42
		mkdir -p "$md/cur" "$md/.Sent/cur" "$md/.Sent/new" "$md/.Sent/tmp"
		python3 - "$in" "$md/cur" "$sent" "$md/.Sent/cur" <<'PY'
import mailbox, os, sys
for mb, dest in ((sys.argv[1], sys.argv[2]), (sys.argv[3], sys.argv[4])):
    box = mailbox.mbox(mb)
    for i, key in enumerate(box.iterkeys()):
        data = box.get_bytes(key)
        name = "%d.M%dP1.bench,S=%d:2,S" % (1700000000 + i, i, len(data))
        with open(os.path.join(dest, name), "wb") as f:
            f.write(data)
PY
		chown -R 65534:65534 "$dir/mail"
		touch "$dir/loaded"
	fi
	printf 'secret\n' >"$out/pw"
	chmod 600 "$out/pw"
	db="$out/bench-$n.db" idb="$out/import-$n.db"
	cat >"$out/sync-$n.conf" <<EOC
database = "$db";
accounts = ( { name = "bench"; identity = ["liaison@univ.example"]; host = "127.0.0.1";
  port = $IMAPS_PORT; user = "liaison"; password_file = "$out/pw";
  ca_file = "$dir/ssl/cert.pem"; since_days = 3650; } );
EOC
	cat >"$out/import-$n.conf" <<EOC
database = "$idb";
accounts = ( { name = "bench"; identity = ["liaison@univ.example"]; } );
EOC
	for step in floor-imap floor-own once nochange recompute floor-scan import; do
		rm -f "$out/$step-$n.runs"
	done
	# dovecot builds its caches before anything is timed
	sh "$out/floor.sh" "$IMAPS_PORT" "$FLOOR" "$out/floor.raw"
	sh "$out/floor.sh" "$IMAPS_PORT" "$OWN" "$out/own.raw"
	r=0
	while [ $r -lt "$runs" ]; do
		timed floor-imap "$n" sh "$out/floor.sh" "$IMAPS_PORT" "$FLOOR" "$out/floor.raw"
		timed floor-own "$n" sh "$out/floor.sh" "$IMAPS_PORT" "$OWN" "$out/own.raw"
		rm -f "$db" "$db-wal" "$db-shm"
		timed once "$n" "$rd" -c "$out/sync-$n.conf" --once
		timed nochange "$n" "$rd" -c "$out/sync-$n.conf" --once
		timed recompute "$n" "$rd" -c "$out/sync-$n.conf" --recompute
		timed floor-scan "$n" "$py" "$src/tests/bench_scan.py" "$in" "$sent"
		rm -f "$idb" "$idb-wal" "$idb-shm"
		timed import "$n" "$rd" -c "$out/import-$n.conf" --import "$in" "$sent"
		r=$((r + 1))
	done
	got=$(grep -c '^\* [0-9]* FETCH' "$out/floor.raw" || true)
	own=$(grep -c '^\* [0-9]* FETCH' "$out/own.raw" || true)
	stored=$(sqlite3 "$db" 'SELECT count(*) FROM locations')
	dovecot_down "$dir"
	master=
	echo "$n messages: the floor fetched $got, rapportd's own FETCH $own, rapportd --once stored $stored" >&2
done

# the table, then the verdicts
printf '%-8s %-10s %9s %9s %9s %11s\n' messages step seconds "RSS MB" "CPU s" "server CPU"
for n in "$@"; do
	for step in floor-imap floor-own once nochange recompute floor-scan import; do
		printf '%-8s %-10s %9s %9s %9s %11s\n' "$n" "$step" "$(median "$out/$step-$n.runs")" \
			"$(maxrss "$out/$step-$n.runs")" "$(medcol "$out/$step-$n.runs" 3)" \
			"$(medcol "$out/$step-$n.runs" 4)"
	done
done
echo
verdict() { # TEXT OK
	if [ "$2" = 1 ]; then
		printf 'PASS  %s\n' "$1"
	else
		printf 'FAIL  %s\n' "$1"
	fi
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 999) }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { print (a <= b) ? 1 : 0 }'; }
for n in "$@"; do
	o=$(median "$out/once-$n.runs") f=$(median "$out/floor-imap-$n.runs")
	[ "$n" -ge 20000 ] &&
		verdict "first sync at $n: $o s = $(ratio "$o" "$f")x the IMAP floor ($f s); target <= 4x" \
			"$(le "$(ratio "$o" "$f")" 4)"
	# the CPU both sides spent, over the cores they share
	[ "$n" -ge 20000 ] && awk -v n="$n" -v c="$(medcol "$out/once-$n.runs" 3)" \
		-v sv="$(medcol "$out/once-$n.runs" 4)" -v k="$cores" -v f="$f" 'BEGIN {
		b = (c + sv) / k
		printf "INFO  first sync at %s: rapportd used %.2f s of CPU, the server %.2f s; on %d cores no schedule of both takes less than %.2f s = %.1fx the IMAP floor\n",
			n, c, sv, k, b, (f > 0 ? b / f : 999) }'
	w=$(median "$out/floor-own-$n.runs")
	[ "$n" -ge 20000 ] &&
		printf 'INFO  first sync at %s: %sx the time the server takes to answer rapport'"'"'s own FETCH (%s s)\n' \
			"$n" "$(ratio "$o" "$w")" "$w"
	i=$(median "$out/import-$n.runs") s=$(median "$out/floor-scan-$n.runs")
	[ "$n" -ge 20000 ] && verdict "import at $n: $i s = $(ratio "$i" "$s")x the header scan ($s s); target <= 3x" \
		"$(le "$(ratio "$i" "$s")" 3)"
	c=$(median "$out/nochange-$n.runs")
	verdict "no-change --once at $n: $c s; target <= 0.1 s" "$(le "$c" 0.1)"
done
# growth only from this run's sizes, not from runs an earlier call left
has() { case " $sizes " in *" $1 "*) return 0 ;; esac; return 1; }
sizes="$*"
if has 20000 && has 100000; then
	g=$(ratio "$(median "$out/once-100000.runs")" "$(median "$out/once-20000.runs")")
	verdict "first sync growth t(100000) / t(20000) = $g; target <= 5.5" "$(le "$g" 5.5)"
	printf 'INFO  growth of the server'"'"'s answer to that FETCH: %s\n' \
		"$(ratio "$(median "$out/floor-own-100000.runs")" "$(median "$out/floor-own-20000.runs")")"
fi
for step in once import recompute; do
	lo=999999 hi=0
	for n in "$@"; do
		m=$(maxrss "$out/$step-$n.runs")
		lo=$(awk -v a="$lo" -v b="$m" 'BEGIN { print (b < a) ? b : a }')
		hi=$(awk -v a="$hi" -v b="$m" 'BEGIN { print (b > a) ? b : a }')
	done
	verdict "peak RSS of $step: $lo to $hi MB over $* messages; target <= 24 MB" "$(le "$hi" 24)"
	verdict "peak RSS of $step flat: $hi / $lo = $(ratio "$hi" "$lo"); target <= 1.2" \
		"$(le "$(ratio "$hi" "$lo")" 1.2)"
done
