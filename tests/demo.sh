#!/bin/sh
# The README's first command: installs what rapport needs, builds it, and
# runs it on a demo: a throwaway dovecot on 127.0.0.1 holding a liaison's
# mailbox of two years, synced by `rapportd --once` over TLS (the demo
# server's own certificate as ca_file), then `rapport weak`, `rapport
# nudges`, `rapport departments` and a team view, and writes the HTML
# report into build-demo/report (its path printed last). Cleans up after
# itself but for that report; safe to run again. Run as root on Debian 12.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
sh tests/install-deps.sh
[ -x configure ] || autoreconf -fi >/dev/null 2>&1
# an in-tree configuration would block the separate build directory
[ -f config.status ] && make -s distclean >/dev/null
mkdir -p build-demo
(cd build-demo && { [ -f Makefile ] || "$top/configure" -q; } && make -s -j"$(nproc 2>/dev/null || echo 2)") >/dev/null
bin="$top/build-demo/src"
demo=$(mktemp -d /tmp/rapport-demo.XXXXXX)
. "$top/tests/dovecot.sh"
. "$top/tests/demo_env.sh"
trap 'dovecot_down "$demo/dovecot" >/dev/null 2>&1; rm -rf "$demo"' EXIT INT TERM
# the report outlives the demo: it is the one thing to look at afterwards
demo_run "$top" "$bin" "$demo" "$top/build-demo/report"
