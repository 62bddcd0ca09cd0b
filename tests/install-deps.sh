#!/bin/sh
# Installs what rapport needs to build and to run its whole test suite on
# Debian 12, as root. Safe to run again.
set -eu
PACKAGES="build-essential autoconf automake pkg-config
libetpan-dev libcurl4-gnutls-dev libsqlite3-dev libconfig-dev libsystemd-dev libgnutls28-dev
sqlite3 valgrind python3 time"
missing=
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
