#!/bin/sh
# Import benchmark: generates an mbox of about MB megabytes (default 100),
# imports it with rapportd under /usr/bin/time -v, and reports wall time,
# messages per second and peak RSS; then imports it again (all duplicates).
# Usage: bench-import.sh BUILDDIR [MB]
set -eu
build=${1:?usage: bench-import.sh BUILDDIR [MB]}
mb=${2:-100}
src=$(cd "$(dirname "$0")/.." && pwd)
out=${BENCH_DIR:-$build/bench-out}
mkdir -p "$out"
[ -x /usr/bin/time ] || { echo "bench: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
mbox="$out/INBOX-${mb}MB.mbox"
if [ ! -f "$mbox" ]; then
	# about 4.3 KB a message with a 4000-byte body
	n=$((mb * 1024 * 1024 / 4300))
	python3 "$src/tests/gen_mbox.py" "$mbox" --messages "$n" --body 4000 --seed 7
fi
size=$(stat -c %s "$mbox")
count=$(grep -c '^From ' "$mbox")
rm -f "$out/bench.db" "$out/bench.db-wal" "$out/bench.db-shm"
cat >"$out/bench.conf" <<EOC
database = "$out/bench.db";
accounts = ( { name = "bench"; identity = ["liaison@univ.example"]; } );
EOC
run() {
	/usr/bin/time -v "$build/src/rapportd" -c "$out/bench.conf" --import "$mbox" \
		>"$out/$1.out" 2>"$out/$1.time"
	wall=$(grep 'Elapsed (wall clock)' "$out/$1.time" | sed 's/.*: //')
	rss=$(grep 'Maximum resident' "$out/$1.time" | sed 's/.*: //')
	secs=$(echo "$wall" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
	rate=$(awk -v n="$count" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
	printf '%-22s %8s s  %8s msg/s  peak RSS %6.1f MB\n' "$1" "$secs" "$rate" \
		"$(awk -v k="$rss" 'BEGIN { print k / 1024 }')"
}
printf 'mbox: %s, %.1f MB, %d messages\n' "$mbox" "$(awk -v b="$size" 'BEGIN { print b / 1048576 }')" "$count"
run "import (new)"
run "import (again, dups)"
grep -E 'stored|duplicates|rejected' "$out/import (again, dups).out" | tr -s ' ' | paste -sd ' ' -
