# demo_env.sh: sourced by tests/demo.sh (the README's first command) and
# tests/readme.test, which checks the README's tour against it.
#
#   demo_run TOP BINDIR DIR   starts a throwaway dovecot in DIR/dovecot
#                             (tests/dovecot.sh must be sourced), fills it
#                             with tests/demo_mailbox.py's mailbox, syncs
#                             it with BINDIR/rapportd --once over TLS and
#                             prints the tour: rapport weak, nudges,
#                             departments. The caller stops dovecot
#                             (dovecot_down DIR/dovecot).
demo_run() {
	top=$1
	bin=$2
	demo=$3
	dovecot_up "$demo/dovecot"
	python3 "$top/tests/demo_mailbox.py" "$demo/mail" >/dev/null
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
}
