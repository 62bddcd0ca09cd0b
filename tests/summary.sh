#!/bin/sh
# Prints the suite's closing line, "N passed, N failed", adding up the
# individual checks every test reports ("NAME: N passed, M failed" or
# "NAME: N checks, M failed"). A test that crashed before its summary
# counts as one failure, and so does one that skipped when CI=true.
# Usage: summary.sh BUILDDIR...
# EXTRA_FAILED adds failures found outside the tests (a build that failed).
passed=0
failed=${EXTRA_FAILED:-0}
for dir in "$@"; do
	for trs in "$dir"/tests/*.trs; do
		[ -f "$trs" ] || continue
		log=${trs%.trs}.log
		line=$(grep -E '^[a-z_-]+: [0-9]+ (passed|checks), [0-9]+ failed$' "$log" | tail -n 1)
		if [ -n "$line" ]; then
			p=$(echo "$line" | sed -E 's/.*: ([0-9]+) (passed|checks), ([0-9]+) failed/\1/')
			f=$(echo "$line" | sed -E 's/.*: ([0-9]+) (passed|checks), ([0-9]+) failed/\3/')
			case $line in *checks*) p=$((p - f)) ;; esac
		else
			p=0
			f=0
		fi
		if grep -q '^:test-result: FAIL' "$trs" && [ "$f" -eq 0 ]; then
			f=1
		fi
		# under CI=true nothing may skip, whichever test forgot to fail
		if [ "${CI:-}" = true ] && grep -q '^:test-result: SKIP' "$trs"; then
			echo "$(basename "${trs%.trs}"): skipped under CI=true: counted as a failure" >&2
			f=$((f + 1))
		fi
		passed=$((passed + p))
		failed=$((failed + f))
	done
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
