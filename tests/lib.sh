# lib.sh: shared by the shell tests. Counts checks, makes a private
# temporary directory, and ends with a summary and the exit status.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
TMP=$(mktemp -d /tmp/rapport-test.XXXXXX)
chmod 0755 "$TMP"
_passed=0
_failed=0
_name=$(basename "$0" .test)
cleanup_hooks=
trap 'for h in $cleanup_hooks; do $h; done; [ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"' EXIT

pass() { _passed=$((_passed + 1)); echo "ok - $*"; }
fail() { _failed=$((_failed + 1)); echo "not ok - $*"; }
# check DESCRIPTION COMMAND...: passes when COMMAND succeeds
check() { d=$1; shift; if "$@"; then pass "$d"; else fail "$d"; fi; }
finish() {
	echo "$_name: $_passed passed, $_failed failed"
	[ "$_failed" -eq 0 ]
	exit $?
}
RAPPORTD="$top_builddir/src/rapportd"
RAPPORT="$top_builddir/src/rapport"
# wait_for SECONDS COMMAND...: polls every 0.1 s until COMMAND succeeds
wait_for() {
	limit=$1
	shift
	n=0
	while [ "$n" -lt $((limit * 10)) ]; do
		"$@" 2>/dev/null && return 0
		sleep 0.1
		n=$((n + 1))
	done
	return 1
}
