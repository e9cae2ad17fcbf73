#!/bin/bash
# Golden tests for the registry parser.
#   good/NAME.reg -> good/NAME.expected      exact canonical print, exit 0, and the
#                                            canonical form parses back to itself
#   bad/NAME.reg  -> bad/NAME.expected.err   exact diagnostics, exit 1
# The parser is driven through the unit-test binary's --parse mode.
# Usage: tests/registry/run.sh BUILD_DIR
set -u
build=$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)
tool=$build/tests/test-registry
cd "$(dirname "$0")" || exit 1
if [[ ! -x $tool ]]; then
	echo "FAIL: registry-tool ($tool missing; run make unit-tests)"
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

pass() { echo "PASS: $1"; }
fail() {
	echo "FAIL: $1 ($2)"
	fails=$((fails + 1))
}

for f in good/*.reg; do
	name=registry-good-$(basename "$f" .reg)
	"$tool" --parse "$f" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [[ $rc -ne 0 ]]; then
		fail "$name" "exit $rc: $(head -c 300 "$tmp/out" "$tmp/err")"
	elif ! diff -u "${f%.reg}.expected" "$tmp/out" >"$tmp/diff"; then
		fail "$name" "canonical form differs"
		cat "$tmp/diff"
	elif ! "$tool" --parse "$tmp/out" >"$tmp/out2" 2>&1 || ! cmp -s "$tmp/out" "$tmp/out2"; then
		fail "$name" "canonical form does not parse back to itself"
		diff -u "$tmp/out" "$tmp/out2"
	else
		pass "$name"
	fi
done

for f in bad/*.reg; do
	name=registry-bad-$(basename "$f" .reg)
	"$tool" --parse "$f" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [[ $rc -ne 1 ]]; then
		fail "$name" "exit $rc, want 1"
	elif ! diff -u "${f%.reg}.expected.err" "$tmp/out" >"$tmp/diff"; then
		fail "$name" "diagnostics differ"
		cat "$tmp/diff"
	else
		pass "$name"
	fi
done
[[ $fails -eq 0 ]]
