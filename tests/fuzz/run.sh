#!/bin/sh
# Fuzzes one target with libFuzzer for SECONDS (clang and Debian's
# libclang-rt-14-dev). New crashing inputs land in regressions/TARGET.
# Usage: run.sh BUILDDIR TARGET SECONDS [JOBS]
set -eu
build=$(cd "${1:?usage: run.sh BUILDDIR TARGET SECONDS}" && pwd)
target=${2:?target: msg, mbox, maildir, conf or roster}
secs=${3:?seconds}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
CC=${CC:-clang}
case $target in
msg) srcs="util addr hdr dsn msg" ;;
mbox) srcs="util addr hdr dsn msg mbox" ;;
maildir) srcs="util addr hdr dsn msg mbox maildir" ;;
conf | roster) srcs="util addr conf roster" ;;
*) echo "run.sh: unknown target $target" >&2; exit 2 ;;
esac
work=${FUZZ_DIR:-$build/fuzz-$target}
mkdir -p "$work/corpus" "$here/regressions/$target"
files=
for s in $srcs; do files="$files $top/src/$s.c"; done
extra=
case $target in mbox | maildir) extra="$here/parse_each.c" ;; esac
# shellcheck disable=SC2086
$CC -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-DSYSCONFDIR='"/etc"' -DLOCALSTATEDIR='"/var"' -I"$build" -I"$top/src" -I"$here" \
	$(pkg-config --cflags libetpan libconfig gnutls) \
	$files $extra "$here/fuzz_$target.c" "$here/memfile.c" -o "$work/fuzz_$target" \
	$(pkg-config --libs libetpan libconfig gnutls)
seeds="$here/corpus/$target"
[ "$target" = msg ] && seeds="$seeds $top/tests/parse $top/tests/parse/real"
cd "$work"
# libconfig's own leak on a syntax error (see tests/lsan.supp)
export LSAN_OPTIONS="suppressions=$top/tests/lsan.supp"
# the maildir target writes its files: in memory, not on disk
[ -d /dev/shm ] && export TMPDIR=/dev/shm
# shellcheck disable=SC2086
"$work/fuzz_$target" -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
	-print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" $seeds >"$work/fuzz.log" 2>&1 || true
grep -E "INITED|DONE|ERROR|runtime error|SUMMARY|stat::number_of_executed_units|stat::peak_rss" \
	"$work/fuzz.log" || true
for f in "$work"/crash-* "$work"/timeout-* "$work"/oom-* "$work"/leak-*; do
	[ -e "$f" ] && cp "$f" "$here/regressions/$target/" && echo "kept $f"
done
exit 0
