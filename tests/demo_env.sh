# demo_env.sh: sourced by tests/demo.sh (the README's first command) and
# tests/readme.test, which checks the README's tour against it.
#
#   demo_run TOP BINDIR DIR [REPORT]
#                             starts a throwaway dovecot in DIR/dovecot
#                             (tests/dovecot.sh must be sourced), fills it
#                             with tests/demo_mailbox.py's two liaisons'
#                             mailboxes, syncs them with BINDIR/rapportd
#                             --once over TLS and prints the tour: rapport
#                             weak, nudges, departments, and the team view
#                             of a client both liaisons write to (rapport
#                             show); then writes the HTML report into
#                             REPORT (default DIR/report) and prints its
#                             path. The caller stops dovecot
#                             (dovecot_down DIR/dovecot).
demo_run() {
	top=$1
	bin=$2
	demo=$3
	report=${4:-$demo/report}
	dovecot_up "$demo/dovecot"
	python3 "$top/tests/demo_mailbox.py" "$demo/mail" >/dev/null
	for who in liaison other; do
		md="$demo/dovecot/mail/$who/Maildir"
		from=
		[ $who = other ] && from=rob-
		mkdir -p "$md/.Sent/cur" "$md/.Sent/new" "$md/.Sent/tmp"
		cp "$demo/mail/${from}inbox"/* "$md/cur/"
		cp "$demo/mail/${from}sent"/* "$md/.Sent/cur/"
		chown -R 65534:65534 "$md"
	done
	printf 'secret\n' >"$demo/password"
	printf 'other2\n' >"$demo/password-rob"
	chmod 600 "$demo/password" "$demo/password-rob"
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
}, {
  name = "rob";
  liaison = "Rob Liaison";
  identity = [ "rob.liaison@univ.example" ];
  host = "127.0.0.1";
  port = $IMAPS_PORT;
  user = "other";
  password_file = "$demo/password-rob";
  ca_file = "$demo/dovecot/ssl/cert.pem";
  since_days = 730;
} );
roster_file = "$demo/mail/roster.csv";
departments = ( { name = "Central services"; domains = [ "univ.example" ]; } );
EOC
	echo "\$ rapportd --once    # sync from the demo IMAP server over TLS"
	"$bin/rapportd" -c "$demo/rapport.conf" --once 2>&1 | sed 's/^/  /'
	echo
	echo "\$ rapport merge \"Prof. Ada Roe\" ada.roe@home.example    # one person"
	"$bin/rapport" -c "$demo/rapport.conf" merge "Prof. Ada Roe" ada.roe@home.example
	echo "\$ rapport cadence \"Prof. Eve Lind\" 10 --liaison sam    # every ten days"
	"$bin/rapport" -c "$demo/rapport.conf" cadence "Prof. Eve Lind" 10 --liaison sam
	echo "\$ rapportd --recompute"
	"$bin/rapportd" -c "$demo/rapport.conf" --recompute 2>&1 | sed 's/^/  /'
	for cmd in weak nudges departments; do
		echo
		echo "\$ rapport $cmd"
		"$bin/rapport" -c "$demo/rapport.conf" "$cmd" || true
	done
	echo
	echo "\$ rapport show \"Prof. Jon Weber\" | head -4    # the team view"
	"$bin/rapport" -c "$demo/rapport.conf" show "Prof. Jon Weber" | head -4
	echo
	echo "\$ rapport report -o $report    # the HTML report: open it in a browser"
	"$bin/rapport" -c "$demo/rapport.conf" report -o "$report"
}
