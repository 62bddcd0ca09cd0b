#!/bin/sh
# The README's demo: install, build, import a generated demo mailbox into a
# throwaway database and show what rapport holds. Safe to run twice; leaves
# nothing behind but the build.
set -eu
cd "$(dirname "$0")/.."
sh tests/install-deps.sh
top=$(pwd)
[ -x configure ] || autoreconf -fi >/dev/null
# an in-tree configuration would block the separate build directory
[ -f config.status ] && make -s distclean >/dev/null
mkdir -p build-demo
(cd build-demo && { [ -f Makefile ] || "$top/configure" -q; } && make -s -j"$(nproc 2>/dev/null || echo 2)")
bin="$top/build-demo/src"
demo=$(mktemp -d /tmp/rapport-demo.XXXXXX)
trap 'rm -rf "$demo"' EXIT
python3 tests/gen_mbox.py "$demo/INBOX.mbox" --sent "$demo/Sent.mbox" --messages 2000 \
	--clients 60 --recent --seed 3
cat >"$demo/rapport.conf" <<EOC
database = "$demo/rapport.db";
accounts = ( { name = "chemistry-liaison"; identity = ["liaison@univ.example"]; } );
departments = ( { name = "Chemistry"; domains = ["chem.univ.example"]; },
                { name = "History"; domains = ["hist.univ.example"]; } );
EOC
echo "\$ rapportd -c rapport.conf --import INBOX.mbox Sent.mbox"
"$bin/rapportd" -c "$demo/rapport.conf" --import "$demo/INBOX.mbox" "$demo/Sent.mbox"
echo
echo "\$ rapport -c rapport.conf status"
"$bin/rapport" -c "$demo/rapport.conf" status
echo
echo "\$ rapport -c rapport.conf weak"
"$bin/rapport" -c "$demo/rapport.conf" weak | head -n 24 || true
echo
echo "\$ rapport -c rapport.conf departments"
"$bin/rapport" -c "$demo/rapport.conf" departments
