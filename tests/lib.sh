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
trap 'for h in $cleanup_hooks; do $h; done; rm -rf "$TMP"' EXIT

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
