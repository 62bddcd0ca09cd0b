#!/bin/sh
# The whole test suite, from a clean checkout on Debian 12 as root:
# install the dependencies, build, run `make check` in a plain build and
# again in an ASan+UBSan build, then print "N passed, N failed".
# .ci/run runs exactly this.
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
sh tests/install-deps.sh || { echo "0 passed, 1 failed"; exit 1; }
# an in-tree configuration would block the separate build directories
[ -f config.status ] && make -s distclean >/dev/null 2>&1
autoreconf -fi >/dev/null 2>&1 || { echo "autoreconf failed"; echo "0 passed, 1 failed"; exit 1; }
jobs=$(nproc 2>/dev/null || echo 2)
status=0
build_failures=0
for variant in plain sanitizers; do
	dir="$top/build-$variant"
	rm -rf "$dir"
	mkdir -p "$dir"
	opts=
	[ "$variant" = sanitizers ] && opts=--enable-sanitizers
	echo "=== $variant build"
	# shellcheck disable=SC2086
	if ! (cd "$dir" && "$top/configure" -q $opts && make -s -j"$jobs"); then
		echo "$variant: build failed"
		status=1
		build_failures=$((build_failures + 1))
		continue
	fi
	(cd "$dir" && make -s -j"$jobs" check) || status=1
	for log in "$dir"/tests/*.log; do
		case $log in */test-suite.log) continue ;; esac
		grep -q '^:test-result: FAIL' "${log%.log}.trs" 2>/dev/null && { echo "--- $log"; cat "$log"; }
	done
done
EXTRA_FAILED=$build_failures sh tests/summary.sh "$top/build-plain" "$top/build-sanitizers" || status=1
exit $status
