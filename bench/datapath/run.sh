#!/bin/bash
# bench/datapath/run.sh BUILD_DIR: issue 7's data-path bench (make bench-datapath).
#
# Boots Debian's kernel(s) under QEMU (tests/vm/run.sh) with only the guest
# scenario bench/datapath/30-datapath.sh, which reads a 64 MiB usb-storage
# stick with no module, with the module and an allow verdict, and with a
# readonly verdict (the SCSI write-blocker), interleaved, and prints
# "bench: datapath ..." lines: per state the median MiB/s, its min/max and
# the difference to "none". Environment: DP_KERNELS (default 6.12; "6.12 6.1"
# boots both, one after the other), DP_ROUNDS (default 5 rounds: 5 reads per
# state and block size). Needs the module built (make kmod) and the kernels
# of tests/vm (fetched on first use). Exit status: the VM suite's.
set -uo pipefail
build=${1:?usage: bench/datapath/run.sh BUILD_DIR}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
mkdir -p "$build/datapath/images"
img=$build/datapath/images/dp64.img
# random bytes: nothing in the path can shortcut zeroes
[[ -s $img ]] || head -c 64M /dev/urandom >"$img" || exit 1
MG_VM_EXTRA_IMAGES=$(realpath "$build/datapath/images")
export MG_VM_EXTRA_IMAGES
export MG_VM_SCENARIO_DIRS=bench/datapath
log=$build/datapath/vm.out
echo "bench-datapath: machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)," \
	"$(nproc) cpus, host $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
VM_KERNELS=${DP_KERNELS:-6.12} SCENARIOS=30 VM_JOBS=1 \
	VM_APPEND="${VM_APPEND:-} mg.dp_rounds=${DP_ROUNDS:-5}" tests/vm/run.sh "$build" >"$log" 2>&1
rc=$?
grep -E '^(PASS|FAIL): |FAILED check|^\[[0-9.]+\] time:' "$log"
sed -n 's/^\[\([0-9.]*\)\] *info [^ ]* bench: datapath /\1: /p' "$log" | grep -v ': round '
echo "bench-datapath: each read: $log (host load at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
exit $rc
