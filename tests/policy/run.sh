#!/bin/bash
# Golden tests of the policy language, through `mediagatectl check`.
#
#   tests/policy/run.sh BUILD_DIR
#
#   good/NAME.conf    must pass; `check -v` stdout must equal good/NAME.expected
#                     (canonical form + "policy OK"), stderr empty; and the
#                     canonical form must re-check to itself (roundtrip/NAME).
#   bad/NAME.conf     must fail with exit 1, empty stdout, and stderr equal to
#                     bad/NAME.expected.err (every diagnostic, file:line:col).
#   decide/NAME.table decision tables, run by BUILD_DIR/tests/test-policy --decide
#                     (format in tests/unit/test-policy.c).
#   plus the shipped policy/mediagate.conf, refusal of a group/world-writable or
#   non-root file, and usage errors.
#
# Adding a case needs no C: drop in NAME.conf, run with MG_UPDATE_GOLDEN=1 to
# write the expected file, READ it, commit both. Prints PASS:/FAIL: per case.
set -u
build=${1:?usage: tests/policy/run.sh BUILD_DIR}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
[[ $build == /* ]] || build=$top/$build
ctl=$build/mediagatectl
tp=$build/tests/test-policy
update=${MG_UPDATE_GOLDEN:-0}

fails=0
pass() { echo "PASS: $1"; }
fail() {
	echo "FAIL: $1${2:+ ($2)}"
	fails=$((fails + 1))
}
if [[ ! -x $ctl ]]; then
	fail policy-suite "$ctl not built"
	exit 1
fi

# Diagnostics name the file as given, so cases run with relative paths from a
# staging copy: mode 0644 there, whatever the checkout's umask (check always
# applies the owner/mode rule).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/tests/policy" "$tmp/policy"
cp -r tests/policy/good tests/policy/bad "$tmp/tests/policy/"
cp policy/mediagate.conf "$tmp/policy/"
chmod -R u=rwX,go=rX "$tmp/tests" "$tmp/policy"

# compare NAME WANT-FILE GOT-FILE: diff, or write WANT in update mode
compare() {
	if [[ $update == 1 ]]; then
		cp "$3" "$top/$2"
		return 0
	fi
	if [[ ! -f $top/$2 ]]; then
		echo "  missing $2 (MG_UPDATE_GOLDEN=1 writes it)"
		return 1
	fi
	diff -u "$top/$2" "$3" | head -20
	return "${PIPESTATUS[0]}"
}

cd "$tmp" || exit 1
for conf in tests/policy/good/*.conf; do
	name=${conf##*/}
	name=${name%.conf}
	"$ctl" check -v "$conf" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [[ $rc -ne 0 || -s $tmp/err ]]; then
		fail "good/$name" "exit $rc: $(head -c 300 "$tmp/err")"
		continue
	fi
	if compare "good/$name" "${conf%.conf}.expected" "$tmp/out"; then
		pass "good/$name"
	else
		fail "good/$name" "canonical form differs"
	fi
	# print -> parse -> print: the canonical form is a fixed point
	mkdir -p "$tmp/rt"
	head -n -1 "$tmp/out" >"$tmp/rt/$name.conf"
	"$ctl" check -v "$tmp/rt/$name.conf" >"$tmp/out2" 2>"$tmp/err"
	if [[ $? -eq 0 ]] && cmp -s "$tmp/out" "$tmp/out2"; then
		pass "roundtrip/$name"
	else
		fail "roundtrip/$name" "$(head -c 300 "$tmp/err")"
	fi
done

for conf in tests/policy/bad/*.conf; do
	name=${conf##*/}
	name=${name%.conf}
	"$ctl" check "$conf" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [[ $rc -ne 1 || -s $tmp/out ]]; then
		fail "bad/$name" "exit $rc (want 1), stdout: $(head -c 200 "$tmp/out")"
	elif grep -q 'runtime error\|AddressSanitizer' "$tmp/err"; then
		fail "bad/$name" "sanitizer: $(grep -m1 'runtime error\|Sanitizer' "$tmp/err")"
	elif compare "bad/$name" "${conf%.conf}.expected.err" "$tmp/err"; then
		pass "bad/$name"
	else
		fail "bad/$name" "diagnostics differ"
	fi
done

# The shipped policy passes check, and is already canonical in its rules.
out=$("$ctl" check policy/mediagate.conf 2>&1)
if [[ $? -eq 0 && $out == "policy OK" ]]; then
	pass shipped-policy
else
	fail shipped-policy "$out"
fi

# Refusals: group/world-writable, not owned by root.
mkdir -p tests/policy/perm
cp tests/policy/good/minimal.conf tests/policy/perm/writable.conf
chmod 0666 tests/policy/perm/writable.conf
err=$("$ctl" check tests/policy/perm/writable.conf 2>&1 >/dev/null)
rc=$?
want="tests/policy/perm/writable.conf: refusing policy: writable by group or others (mode 0666), run chmod go-w"
if [[ $rc -eq 1 && $err == "$want" ]]; then
	pass perm/world-writable
else
	fail perm/world-writable "exit $rc: $err"
fi
chmod 0664 tests/policy/perm/writable.conf
err=$("$ctl" check tests/policy/perm/writable.conf 2>&1 >/dev/null)
rc=$?
if [[ $rc -eq 1 && $err == "${want/0666/0664}" ]]; then
	pass perm/group-writable
else
	fail perm/group-writable "exit $rc: $err"
fi
if [[ $(id -u) -eq 0 ]]; then
	cp tests/policy/good/minimal.conf tests/policy/perm/nobody.conf
	chown 65534 tests/policy/perm/nobody.conf
	err=$("$ctl" check tests/policy/perm/nobody.conf 2>&1 >/dev/null)
	rc=$?
	want="tests/policy/perm/nobody.conf: refusing policy: owned by uid 65534, must be owned by root"
	if [[ $rc -eq 1 && $err == "$want" ]]; then
		pass perm/not-root-owned
	else
		fail perm/not-root-owned "exit $rc: $err"
	fi
else
	echo "SKIP: perm/not-root-owned (needs root to chown; not counted as a pass)"
fi

# Usage and I/O errors.
"$ctl" check -x policy/mediagate.conf >/dev/null 2>&1
rc=$?
[[ $rc -eq 2 ]] && pass usage/unknown-option || fail usage/unknown-option "exit $rc"
"$ctl" check policy/mediagate.conf policy/mediagate.conf >/dev/null 2>&1
rc=$?
[[ $rc -eq 2 ]] && pass usage/two-files || fail usage/two-files "exit $rc"
err=$("$ctl" check tests/policy/no-such.conf 2>&1)
rc=$?
if [[ $rc -eq 1 && $err == "tests/policy/no-such.conf: cannot open: No such file or directory" ]]; then
	pass usage/missing-file
else
	fail usage/missing-file "exit $rc: $err"
fi

# Decision tables run from the checkout (they load policies without the owner rule).
cd "$top" || exit 1
if [[ ! -x $tp ]]; then
	fail decide "$tp not built"
else
	shopt -s nullglob
	tables=(tests/policy/decide/*.table)
	[[ ${#tables[@]} -gt 0 ]] || fail decide "no decision table"
	for table in "${tables[@]}"; do
		"$tp" --decide "$table" >"$tmp/out" 2>&1
		rc=$?
		cat "$tmp/out"
		if [[ $rc -ne 0 ]] && ! grep -q '^FAIL: ' "$tmp/out"; then
			fail "decide/${table##*/}" "exit $rc"
		fi
		fails=$((fails + $(grep -c '^FAIL: ' "$tmp/out")))
	done
fi

[[ $fails -eq 0 ]]
