#!/bin/bash
# make stress: the fault suite of issue 7 (tests/stress/README.md) on the VM
# harness of tests/vm. One boot per kernel runs the stress scenarios 30-35
# (tests/stress/guest/), then this prints the trial counts and failures per
# fault and ends with "N passed, N failed".
#
#   tests/stress/run.sh BUILD_DIR
#
# Logs: BUILD_DIR/stress/vm/<kernel>/run/ (as tests/vm/README.md says).
# Environment: VM_KERNELS (default "6.12 6.1"), STRESS="30 31" (which faults),
# STRESS_KILL9=100, STRESS_RELOADS=10, STRESS_POLICY=1 (rounds of the three
# bad files), STRESS_DISKFULL=10, STRESS_SYSLOG=5, STRESS_CYCLES=500 (trials),
# plus everything tests/vm/run.sh takes.
set -uo pipefail
build=${1:?usage: tests/stress/run.sh BUILD_DIR}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
sq=$(command -v sqlite3) || { echo "FAIL: stress/sqlite3 (install sqlite3 for the integrity check)"; exit 1; }
kernels=${VM_KERNELS:-6.12 6.1}
export MG_VM_SCENARIO_DIRS="${MG_VM_SCENARIO_DIRS:-} tests/stress/guest"
export MG_VM_EXTRA_BINS="${MG_VM_EXTRA_BINS:-} $sq"
export VM_APPEND="${VM_APPEND:-} mg.kill9=${STRESS_KILL9:-100} mg.reloads=${STRESS_RELOADS:-10} mg.cycles=${STRESS_CYCLES:-500}"
VM_APPEND+=" mg.policyrounds=${STRESS_POLICY:-1} mg.diskfull=${STRESS_DISKFULL:-10} mg.syslogrounds=${STRESS_SYSLOG:-5}"
export VM_TIMEOUT=${VM_TIMEOUT:-9000}
# the daemon of this build; the VM logs apart from make vm-check's
export MEDIAGATED=${MEDIAGATED:-$top/$build/mediagated}
sb=$build/stress
mkdir -p "$sb"
SCENARIOS=${STRESS:-30 31 32 33 34 35} VM_KERNELS=$kernels tests/vm/run.sh "$sb" | tee "$sb/stress.log"
rc=${PIPESTATUS[0]}
echo
echo "fault trials (failed trials):"
for k in $kernels; do
	k=$(cut -d. -f1,2 <<<"$k")
	m=$sb/vm/$k/run/marks.log
	[[ -f $m ]] || continue
	sed -n 's/^MARK:INFO \([^ ]*\) TRIALS fault=\([^ ]*\) trials=\([0-9]*\) failures=\([0-9]*\).*/\1 \2 \3 \4/p' "$m" |
		while read -r scen fault n f; do
			printf '  %-5s %-22s %-16s %5s trials %4s failed\n' "$k" "$scen" "$fault" "$n" "$f"
		done
done
p=$(grep -c '^PASS: ' "$sb/stress.log")
f=$(grep -c '^FAIL: ' "$sb/stress.log")
echo "$p passed, $f failed"
[[ $rc -eq 0 && $f -eq 0 ]]
