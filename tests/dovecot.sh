# dovecot.sh: sourced by the IMAP tests. Starts and stops a private
# dovecot on 127.0.0.1 whose configuration, state, certificate and mail all
# live under one directory (it never reads /etc/dovecot). dovecot runs as
# root; mail belongs to uid 65534.
#
#   dovecot_up DIR [plain]    ports in $IMAP_PORT (plain/STARTTLS) and
#                             $IMAPS_PORT (implicit TLS), picked free once
#                             and kept in DIR/ports; "plain": no TLS at all
#   dovecot_down DIR
#   dovecot_user DIR NAME PASSWORD  (to a running instance: returns once it knows the user)
# Users: liaison/secret and other/other2; an extra user per dovecot_user.

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

dovecot_user() {
	echo "$2:{PLAIN}$3:65534:65534::$1/mail/$2" >>"$1/passwd"
	mkdir -p "$1/mail/$2/Maildir/cur" "$1/mail/$2/Maildir/new" "$1/mail/$2/Maildir/tmp"
	chown -R 65534:65534 "$1/mail/$2"
	# a running dovecot may answer from the file as it was for a moment
	# (a login right after this failed one time in two): wait until its
	# auth process knows the user, 10 s at most
	du_pid=$(cat "$1/run/master.pid" 2>/dev/null) || return 0
	kill -0 "$du_pid" 2>/dev/null || return 0
	du_n=0
	until doveadm -c "$1/dovecot.conf" auth test "$2" "$3" >/dev/null 2>&1; do
		du_n=$((du_n + 1))
		[ $du_n -lt 50 ] || { echo "dovecot_user: dovecot does not know $2 after 10 s" >&2; return 1; }
		sleep 0.2
	done
}

# dovecot_write_conf DIR [plain]: "plain" makes an instance without TLS
# at all (no STARTTLS, no implicit TLS port), for the test that it is
# refused
dovecot_write_conf() {
	dir=$1
	plain_ssl=yes
	imaps_listener="inet_listener imaps {
    address = 127.0.0.1
    port = $IMAPS_PORT
    ssl = yes
  }"
	if [ "${2:-}" = plain ]; then
		plain_ssl=no
		imaps_listener=
	fi
	cat >"$dir/dovecot.conf" <<EOC
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/log/dovecot.log
instance_name = rapport-test-$IMAPS_PORT
protocols = imap
listen = 127.0.0.1
ssl = $plain_ssl
ssl_cert = <$dir/ssl/cert.pem
ssl_key = <$dir/ssl/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2 oauthbearer
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u $dir/passwd
}
first_valid_uid = 1000
last_valid_uid = 0
mail_location = maildir:~/Maildir
mail_fsync = never
namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    special_use = \\Sent
    auto = create
  }
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  $imaps_listener
}
EOC
}

dovecot_up() {
	dir=$1
	command -v dovecot >/dev/null || { echo "dovecot missing: apt-get install dovecot-imapd" >&2; return 1; }
	mkdir -p "$dir/run" "$dir/state" "$dir/log" "$dir/ssl" "$dir/mail"
	chmod 755 "$dir" "$dir/mail"
	d=$dir
	while [ "$d" != / ] && [ "$d" != . ]; do chmod o+x "$d" 2>/dev/null; d=$(dirname "$d"); done
	if [ ! -s "$dir/ssl/cert.pem" ]; then
		# CERT_SUBJECT/CERT_SAN make a certificate for another name;
		# CERT_EXPIRED=yes one that expired yesterday
		openssl req -newkey rsa:2048 -nodes -subj "${CERT_SUBJECT:-/CN=localhost}" \
			-keyout "$dir/ssl/key.pem" -out "$dir/ssl/req.csr" 2>/dev/null || return 1
		echo "subjectAltName=${CERT_SAN:-IP:127.0.0.1,DNS:localhost}" >"$dir/ssl/ext"
		days=3650
		[ "${CERT_EXPIRED:-}" = yes ] && days=-1
		openssl x509 -req -in "$dir/ssl/req.csr" -signkey "$dir/ssl/key.pem" -days $days \
			-extfile "$dir/ssl/ext" -out "$dir/ssl/cert.pem" 2>/dev/null || return 1
		chmod 600 "$dir/ssl/key.pem"
	fi
	[ -f "$dir/passwd" ] || { dovecot_user "$dir" liaison secret; dovecot_user "$dir" other other2; }
	chmod 644 "$dir/passwd"
	# an instance keeps its ports across restarts
	if [ -f "$dir/ports" ]; then
		read -r IMAP_PORT IMAPS_PORT <"$dir/ports"
	else
		IMAP_PORT=$(free_port)
		IMAPS_PORT=$(free_port)
		echo "$IMAP_PORT $IMAPS_PORT" >"$dir/ports"
	fi
	[ -f "$dir/dovecot.conf" ] || dovecot_write_conf "$dir" "${2:-}"
	dovecot -c "$dir/dovecot.conf" || return 1
	for _ in $(seq 1 100); do
		[ -s "$dir/run/master.pid" ] && python3 -c "import socket; socket.create_connection(('127.0.0.1', $IMAP_PORT), 1)" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "dovecot did not start; see $dir/log/dovecot.log" >&2
	tail -5 "$dir/log/dovecot.log" >&2
	return 1
}

# Stops the instance and every process it started, the imap processes
# serving clients included: connections break as in a crash or reboot.
dovecot_down() {
	pid=$(cat "$1/run/master.pid" 2>/dev/null) || return 0
	read -r _ ps_port <"$1/ports" 2>/dev/null
	kill "$pid" 2>/dev/null || true
	[ -n "$ps_port" ] && pkill -9 -f "rapport-test-$ps_port/" 2>/dev/null || true
	for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$pid" 2>/dev/null || true
	[ -n "$ps_port" ] && pkill -9 -f "rapport-test-$ps_port/" 2>/dev/null || true
	rm -f "$1/run/master.pid"
	return 0
}
