#!/bin/sh
# Installs what rapport needs to build and to run its whole test suite on
# Debian 12, as root. Safe to run again.
set -eu
PACKAGES="build-essential autoconf automake pkg-config
libetpan-dev libcurl4-gnutls-dev libsqlite3-dev libconfig-dev libsystemd-dev libgnutls28-dev
sqlite3 valgrind python3 time procps
dovecot-imapd openssl python3-aiosmtpd curl systemd bash-completion
dpkg-dev debhelper lintian man-db
chromium python3-html5lib fonts-dejavu-core"
missing=
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# the tests run private dovecot instances on 127.0.0.1; keep Debian
	# from starting a system-wide one on every interface while installing
	policy=/usr/sbin/policy-rc.d
	made_policy=
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		made_policy=yes
	fi
	status=0
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null || status=$?
	[ -n "$made_policy" ] && rm -f "$policy"
	case " $missing " in
	*" dovecot-imapd "*)
		if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
			systemctl disable --now dovecot.service dovecot.socket >/dev/null 2>&1 || true
		fi ;;
	esac
	[ $status -eq 0 ] || exit $status
fi
