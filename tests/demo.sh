#!/bin/sh
# The README's first command: installs what rapport needs, builds it, and
# runs it on a demo: a throwaway dovecot on 127.0.0.1 holding a liaison's
# mailbox of two years, synced by `rapportd --once` over TLS (the demo
# server's own certificate as ca_file), then `rapport weak`, `rapport
# nudges` and `rapport departments`. Cleans up after itself; safe to run
# again. Run as root on Debian 12.
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
trap 'dovecot_down "$demo/dovecot" >/dev/null 2>&1; rm -rf "$demo"' EXIT INT TERM

dovecot_up "$demo/dovecot"
python3 tests/demo_mailbox.py "$demo/mail" >/dev/null
md="$demo/dovecot/mail/liaison/Maildir"
mkdir -p "$md/.Sent/cur" "$md/.Sent/new" "$md/.Sent/tmp"
cp "$demo"/mail/inbox/* "$md/cur/"
cp "$demo"/mail/sent/* "$md/.Sent/cur/"
chown -R 65534:65534 "$md"
printf 'secret\n' >"$demo/password"
chmod 600 "$demo/password"
cat >"$demo/rapport.conf" <<EOC
database = "$demo/rapport.db";
accounts = ( {
  name = "sam";
  liaison = "Sam Liaison";
  identity = [ "liaison@univ.example" ];
  host = "127.0.0.1";
  port = $IMAPS_PORT;
  user = "liaison";
  password_file = "$demo/password";
  ca_file = "$demo/dovecot/ssl/cert.pem";
  since_days = 730;
} );
roster_file = "$demo/mail/roster.csv";
departments = ( { name = "Central services"; domains = [ "univ.example" ]; } );
EOC
echo "\$ rapportd --once    # sync from the demo IMAP server over TLS"
"$bin/rapportd" -c "$demo/rapport.conf" --once 2>&1 | sed 's/^/  /'
for cmd in weak nudges departments; do
	echo
	echo "\$ rapport $cmd"
	"$bin/rapport" -c "$demo/rapport.conf" "$cmd" || true
done
