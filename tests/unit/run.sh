#!/bin/bash
# Unit suite: every tests/unit/test-*.c binary, run with cmocka's TAP output,
# one "PASS:"/"FAIL:" line per cmocka test. A binary that crashes, trips a
# sanitizer, or runs fewer tests than its plan is a failure of its own.
set -u
build=${1:?usage: run.sh BUILD_DIR}
cd "$(dirname "$0")/../.." || exit 1
export CMOCKA_MESSAGE_OUTPUT=TAP
rc=0
for src in tests/unit/test-*.c; do
	name=$(basename "$src" .c)
	bin=$build/tests/$name
	if [[ ! -x $bin ]]; then
		echo "FAIL: $name (not built: $bin)"
		rc=1
		continue
	fi
	out=$("$bin" 2>&1)
	brc=$?
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' <<<"$out" | head -1)
	ran=0 bad=0
	while IFS= read -r line; do
		case $line in
		"ok "*)
			echo "PASS: $name/${line#*- }"
			ran=$((ran + 1))
			;;
		"not ok "*)
			echo "FAIL: $name/${line#*- }"
			ran=$((ran + 1))
			bad=$((bad + 1))
			;;
		esac
	done <<<"$out"
	if [[ $brc -ne 0 || $bad -ne 0 || -z $plan || $ran -ne $plan ]]; then
		[[ $bad -eq 0 ]] && echo "FAIL: $name (exit $brc, ran $ran of ${plan:-?})"
		printf '%s\n' "$out" | grep -v '^ok ' | sed "s/^/  $name: /" | tail -40
		rc=1
	fi
done
exit $rc
