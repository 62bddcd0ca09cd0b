#!/bin/sh
# The README's demo: install, build, import a generated demo mailbox into a
# throwaway database and show what rapport holds. Safe to run twice; leaves
# nothing behind but the build.
set -eu
cd "$(dirname "$0")/.."
sh tests/install-deps.sh
[ -x configure ] || autoreconf -fi >/dev/null
[ -f Makefile ] || ./configure -q
make -s -j"$(nproc 2>/dev/null || echo 2)"
demo=$(mktemp -d /tmp/rapport-demo.XXXXXX)
trap 'rm -rf "$demo"' EXIT
python3 tests/gen_mbox.py "$demo/INBOX.mbox" --sent "$demo/Sent.mbox" --messages 2000 --seed 3
cat >"$demo/rapport.conf" <<EOC
database = "$demo/rapport.db";
accounts = ( { name = "chemistry-liaison"; identity = ["liaison@univ.example"]; } );
departments = ( { name = "Chemistry"; domains = ["chem.univ.example"]; },
                { name = "History"; domains = ["hist.univ.example"]; } );
EOC
echo "\$ rapportd -c rapport.conf --import INBOX.mbox Sent.mbox"
./src/rapportd -c "$demo/rapport.conf" --import "$demo/INBOX.mbox" "$demo/Sent.mbox"
echo
echo "\$ rapport -c rapport.conf status"
./src/rapport -c "$demo/rapport.conf" status
