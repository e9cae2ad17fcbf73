#!/bin/bash
# make bench-usbguard: mediagate and Debian's USBGuard side by side (issue 7),
# one VM boot per kernel on the harness of tests/vm (bench/usbguard/README.md).
#
#   bench/usbguard/run.sh BUILD_DIR
#
# Stages the usbguard package (and the two libraries the host lacks) from
# apt-get download into BUILD_DIR/usbguard/stage without installing it on the
# host, builds a tree for the guest (the binaries' libraries, the configs of
# bench/usbguard/conf/), boots each kernel once running scenario 80 (mediagated
# + mediagate.ko) and then 81 (usbguard-daemon, no module), and prints one
# table per kernel (analyze.py). Environment: VM_KERNELS (default 6.12),
# MG_BENCH_PLUGS (50 allowed plugs), MG_BENCH_BLOCKED (20 blocked plugs),
# MG_BENCH_CYCLES (1000 plug/unplug cycles), MG_BENCH_BURST (32 sticks), plus
# everything tests/vm/run.sh takes. Logs: BUILD_DIR/usbguard/vm/<kernel>/run/.
set -uo pipefail
build=${1:?usage: bench/usbguard/run.sh BUILD_DIR}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
here=bench/usbguard
out=$build/usbguard
kernels=${VM_KERNELS:-6.12}
mkdir -p "$out"
[[ -x $build/mediagated ]] || { echo "FAIL: usbguard/mediagated ($build/mediagated not built: make O=$build userspace)"; exit 1; }

# usbguard from Debian's archive, unpacked only (the host's USB is not touched)
stage=$out/stage
if [[ ! -x $stage/usr/sbin/usbguard-daemon ]]; then
	rm -rf "$out/debs" "$stage"
	mkdir -p "$out/debs"
	(cd "$out/debs" && apt-get download usbguard libusbguard1 libqb100) >"$out/apt.log" 2>&1 ||
		{ echo "FAIL: usbguard/download ($(tail -n 2 "$out/apt.log"))"; exit 1; }
	for d in "$out"/debs/*.deb; do
		dpkg-deb -x "$d" "$stage" || exit 1
	done
fi
libs=$(realpath "$stage/usr/lib/x86_64-linux-gnu")
ugver=$(dpkg-deb -f "$out"/debs/usbguard_*.deb Version 2>/dev/null)

# the tree copied over the guest's /: configs and the two staged libraries
tree=$out/tree
rm -rf "$tree"
mkdir -p "$tree/etc/usbguard" "$tree/etc/mediagate" "$tree/lib/x86_64-linux-gnu"
install -m 0600 $here/conf/usbguard-daemon.conf $here/conf/rules.conf "$tree/etc/usbguard/"
install -m 0644 $here/conf/mediagate.conf "$tree/etc/mediagate/sbs.conf"
cp -L "$libs/libusbguard.so.1" "$libs/libqb.so.100" "$tree/lib/x86_64-linux-gnu/"

MG_VM_EXTRA_TREE=$(realpath "$tree")
export MG_VM_EXTRA_TREE
export MG_VM_SCENARIO_DIRS="${MG_VM_SCENARIO_DIRS:-} $here/guest"
# copy_bin resolves the binaries' other libraries with ldd: it must find the staged ones
export LD_LIBRARY_PATH=$libs
export MG_VM_EXTRA_BINS="${MG_VM_EXTRA_BINS:-} $stage/usr/sbin/usbguard-daemon $stage/usr/bin/usbguard"
export MEDIAGATED=${MEDIAGATED:-$top/$build/mediagated}
export VM_APPEND="${VM_APPEND:-} log_buf_len=4M mg.sbsplugs=${MG_BENCH_PLUGS:-50} mg.sbsblocked=${MG_BENCH_BLOCKED:-20}"
VM_APPEND+=" mg.sbscycles=${MG_BENCH_CYCLES:-1000} mg.sbsburst=${MG_BENCH_BURST:-32}"
export VM_TIMEOUT=${VM_TIMEOUT:-14000}
VM_KERNELS=$kernels SCENARIOS=${MG_BENCH_SCENARIOS:-80 81} tests/vm/run.sh "$out" | tee "$out/vm.log"
rc=${PIPESTATUS[0]}
unset LD_LIBRARY_PATH

echo
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores," \
	"host $(uname -r), QEMU TCG; load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "usbguard $ugver (Debian), mediagate $(git describe --always --dirty 2>/dev/null)"
for k in $kernels; do
	k=$(cut -d. -f1,2 <<<"$k")
	run=$out/vm/$k/run
	[[ -d $run/results ]] || continue
	python3 $here/analyze.py "$k" "$run" || rc=1
done
p=$(grep -c '^PASS: ' "$out/vm.log")
f=$(grep -c '^FAIL: ' "$out/vm.log")
echo "$p passed, $f failed"
[[ $rc -eq 0 && $f -eq 0 ]]
