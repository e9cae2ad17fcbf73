#!/bin/bash
# Fuzz suite: every libFuzzer target in tests/fuzz/fuzz-*.c.
#
#   tests/fuzz/run.sh BUILD_DIR            smoke, as `make check` runs it
#   MG_FUZZ_RUNS=1000000 tests/fuzz/run.sh  long run, as `make fuzz` runs it
#   MG_FUZZ_TARGETS="policy registry"       only these targets
#   MG_FUZZ_MAX_TIME=3600                   stop each long run after this many
#                                           seconds (reported as FAIL, with
#                                           the count it reached)
#   MG_FUZZ_UNTIL="04:20 UTC"               ... or at that time (date -d)
#
# BUILD_DIR is the check runner's (sanitizer) build; the fuzz binaries are
# built separately with clang into build/fuzz (`make fuzz-build`), here if
# needed. Per target it prints
#   PASS/FAIL: fuzz-<t>-corpus   every input of tests/fuzz/corpus/<t>/ replayed once
#   PASS/FAIL: fuzz-<t>          MG_FUZZ_RUNS executions (smoke: 20000, fixed seed)
# A crash, leak, timeout or broken property leaves its input in
# build/fuzz/artifacts/ and prints the sanitizer report.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
fo=build/fuzz
runs=${MG_FUZZ_RUNS:-20000}
long=0
[[ -n ${MG_FUZZ_RUNS:-} ]] && long=1
# Long runs log apart: a smoke run (make check) beside a long one must not
# truncate the long one's logs.
logs=$fo/logs
[[ $long -eq 1 ]] && logs=$fo/logs/long
mkdir -p "$logs" "$fo/artifacts"
fail=0

if ! command -v "${FUZZ_CC:-clang}" >/dev/null; then
	echo "FAIL: fuzz-build (clang not installed; see tests/lib/deps.sh)"
	exit 1
fi
if ! make -s -k fuzz-build >"$fo/logs/build.log" 2>&1; then
	tail -n 30 "$fo/logs/build.log"
	echo "fuzz: some targets did not build (full log: $fo/logs/build.log)"
fi

# Print the interesting part of a libFuzzer log: the report, the artifact.
show_failure()
{
	grep -aE 'ERROR|SUMMARY|fuzz: |runtime error|artifact|^    #[0-9]' "$1" | head -n 40
}

for src in tests/fuzz/fuzz-*.c; do
	t=$(basename "$src" .c)
	t=${t#fuzz-}
	if [[ -n ${MG_FUZZ_TARGETS:-} && " $MG_FUZZ_TARGETS " != *" $t "* ]]; then
		continue
	fi
	bin=$fo/fuzz-$t
	corpus=tests/fuzz/corpus/$t
	if [[ ! -x $bin ]]; then
		echo "FAIL: fuzz-$t (not built; see $fo/logs/build.log)"
		fail=1
		continue
	fi
	dict=()
	[[ -f tests/fuzz/$t.dict ]] && dict=(-dict="tests/fuzz/$t.dict")
	# Longest input worth trying: what the target reads at most (longer
	# inputs are cut or refused by the harness: mutating them wastes runs).
	case $t in
	strutil) maxlen=512 ;; # device strings <= 255 bytes; the harness refuses > 512
	event) maxlen=512 ;;   # sizeof(struct mediagate_event): the rest is ignored
	*) maxlen=4096 ;;
	esac
	limit=()
	[[ $long -eq 1 && -n ${MG_FUZZ_MAX_TIME:-} ]] && limit=(-max_total_time="$MG_FUZZ_MAX_TIME")
	if [[ $long -eq 1 && -n ${MG_FUZZ_UNTIL:-} ]]; then
		left=$(($(date -d "$MG_FUZZ_UNTIL" +%s) - $(date +%s)))
		limit=(-max_total_time=$((left > 1 ? left : 1)))
	fi

	# 1. Replay the corpus (seeds + regression inputs), each input once.
	log=$logs/$t-corpus.log
	n=0
	if [[ -d $corpus ]]; then
		n=$(find "$corpus" -type f | wc -l)
	fi
	if [[ $n -eq 0 ]]; then
		echo "FAIL: fuzz-$t-corpus (no inputs in $corpus)"
		fail=1
	elif find "$corpus" -type f -print0 |
		xargs -0 "$bin" -rss_limit_mb=2048 -timeout=10 >"$log" 2>&1; then
		echo "PASS: fuzz-$t-corpus ($n inputs)"
	else
		show_failure "$log"
		echo "FAIL: fuzz-$t-corpus (log: $log)"
		fail=1
	fi

	# 2. Fuzz. Smoke: a fresh work dir and a fixed seed (reproducible).
	# Long: a persistent work dir, so successive runs build on each other.
	log=$logs/$t-fuzz.log
	if [[ $long -eq 1 ]]; then
		work=$fo/work/$t
		seed=0
	else
		work=$fo/smoke/$t
		rm -rf "$work"
		seed=1
	fi
	mkdir -p "$work"
	start=$(date +%s)
	"$bin" -runs="$runs" -seed="$seed" -max_len="$maxlen" -timeout=10 -rss_limit_mb=2048 \
		"${limit[@]}" -print_final_stats=1 -artifact_prefix="$fo/artifacts/$t-" "${dict[@]}" \
		"$work" $([[ -d $corpus ]] && echo "$corpus") >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	cov=$(grep -aoE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -n 1)
	if [[ $rc -eq 0 && ${execs:-0} -ge $runs ]]; then
		[[ ${rate:-0} -gt 0 ]] && secs="${secs}s, $rate/s" || secs="${secs}s"
		echo "PASS: fuzz-$t ($execs executions in $secs, $cov, 0 crashes)"
	else
		show_failure "$log"
		echo "FAIL: fuzz-$t (exit $rc after ${execs:-?} executions; log: $log)"
		fail=1
	fi
done
exit $fail
