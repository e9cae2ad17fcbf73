#!/bin/bash
# Run every test suite and print one summary line "N passed, N failed".
#
# A suite is tests/<name>/run.sh, called with the build directory. It prints
# one line per test case, "PASS: <name>" or "FAIL: <name>", plus whatever
# else it likes, and exits non-zero if anything failed or could not run.
# A suite that exits non-zero without printing a FAIL line counts as one
# failure of its own, so a crashed suite can never look green.
#
# MG_SKIP_SUITES="vm ..." skips suites for quick local runs; they are then
# reported as skipped, never as passed. CI and `make check` skip nothing.
set -u
build=${1:?usage: run-check.sh BUILD_DIR}
# tests/system (the debootstrap'd desktop guest, dpkg + DKMS inside TCG) is
# `make system-check`: 20-45 min of TCG per run here, too long for every CI
# run until its install boot is made faster (tests/system/README.md).
suites=(unit policy registry umockdev ledger packaging fleet fuzz vm)
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
log_dir=$build/test-logs
mkdir -p "$log_dir"

pass=0 fail=0 skip=0
for s in "${suites[@]}"; do
	if [[ " ${MG_SKIP_SUITES:-} " == *" $s "* ]]; then
		echo "SKIP suite $s (MG_SKIP_SUITES)"
		skip=$((skip + 1))
		continue
	fi
	if [[ ! -x tests/$s/run.sh ]]; then
		echo "FAIL: suite-$s (tests/$s/run.sh missing)"
		fail=$((fail + 1))
		continue
	fi
	echo "=== suite $s"
	out=$log_dir/$s.log
	tests/$s/run.sh "$build" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	p=$(grep -c '^PASS: ' "$out")
	f=$(grep -c '^FAIL: ' "$out")
	if [[ $rc -ne 0 && $f -eq 0 ]]; then
		echo "FAIL: suite-$s (exit $rc with no failing case)"
		f=1
	fi
	if [[ $rc -eq 0 && $p -eq 0 ]]; then
		echo "FAIL: suite-$s (ran no test)"
		f=$((f + 1))
	fi
	echo "--- suite $s: $p passed, $f failed"
	pass=$((pass + p))
	fail=$((fail + f))
done

if [[ $skip -gt 0 ]]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[[ $fail -eq 0 ]]
