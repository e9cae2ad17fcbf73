#!/bin/bash
# VM suite: boot Debian's 6.1 and 6.12 kernels under QEMU with mediagate.ko and
# run every scenario of tests/vm/guest/scenarios in one boot per kernel.
#
#   tests/vm/run.sh BUILD_DIR
#
# Prints "PASS: <kernel>/<scenario>" / "FAIL: ..." per case (tests/lib/run-check.sh
# contract) and exits non-zero on any failure. Environment:
#   VM_KERNELS="6.1 6.12"   which kernels (6.1 = linux-image-amd64,
#                           6.12 = linux-image-6.12-amd64; ABI names resolved
#                           with apt-cache depends)
#   SCENARIOS="03 05"       scenario numbers or names (default all)
#   MG_VM_CACHE=DIR         kernel cache (default /var/cache/mediagate-vm if
#                           writable, else build/vm-cache)
#   ACCEL=kvm               use KVM instead of TCG
#   VM_JOBS=1               boot the kernels one after another (default 2: in
#                           parallel, each one's output printed when it is done)
# Logs: BUILD_DIR/vm/<kernel>/run/ (console.log, marks.log, results/).
# The module is not built here: `make check` / `make vm-*` run `make kmod` first
# (a second make in the same kbuild tree at the same time would corrupt it).
set -uo pipefail
build=${1:?usage: tests/vm/run.sh BUILD_DIR}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
vm=tests/vm
out=$build/vm
mkdir -p "$out"
if [[ -z ${MG_VM_CACHE:-} ]]; then
	if mkdir -p /var/cache/mediagate-vm 2>/dev/null && [[ -w /var/cache/mediagate-vm ]]; then
		MG_VM_CACHE=/var/cache/mediagate-vm
	else
		MG_VM_CACHE=$top/build/vm-cache
	fi
fi
mkdir -p "$MG_VM_CACHE"

t_all=$(date +%s)
# the guest client, static so it needs no libraries in the initramfs
if ! gcc -static -O2 -g -std=gnu11 -Wall -Wextra -Werror -Wshadow -Iinclude/uapi \
	-o "$out/mgtest" $vm/client/mgtest.c; then
	echo "FAIL: vm/build-mgtest"
	exit 1
fi

# the daemon scenarios (20-*) take the daemon of this build when there is one
if [[ -z ${MEDIAGATED:-} && -x $build/mediagated ]]; then
	export MEDIAGATED=$build/mediagated
fi

fail=0
# 22-media-lifecycle: a stick enrolled on the host (the admin's machine, as
# `make demo`), the registry, keys and mediagatectl for the guest
if [[ -x $build/mediagatectl ]]; then
	if $vm/lib/prep-lifecycle.sh "$build" "$out/lifecycle" >"$out/prep-lifecycle.log" 2>&1; then
		export MG_VM_EXTRA_BINS="${MG_VM_EXTRA_BINS:-} $build/mediagatectl"
		export MG_VM_EXTRA_TREE=${MG_VM_EXTRA_TREE:-$out/lifecycle/tree}
		export MG_VM_EXTRA_IMAGES=$(realpath "$out/lifecycle/images")
	else
		echo "[vm] prep-lifecycle.sh failed (scenario 22 will fail): $(tail -n 3 "$out/prep-lifecycle.log")"
	fi
fi
labels=()
for label in ${VM_KERNELS:-6.1 6.12}; do
	# "6.1", "6.12" or a full release such as 6.12.117+deb12-amd64
	label=$(cut -d. -f1,2 <<<"$label")
	label=${label%%-*}
	case $label in
	6.1) meta=amd64 ;;
	*) meta=$label-amd64 ;;
	esac
	if ! kver=$($vm/lib/fetch-kernel.sh "$MG_VM_CACHE" "$meta"); then
		echo "FAIL: $label/fetch-kernel"
		fail=1
		continue
	fi
	ko=kmod/build/$kver/mediagate.ko
	kos=()
	if [[ -f $ko ]]; then
		kos=("$ko")
	else
		echo "[$label] note: $ko not built; every scenario that needs the module will fail"
	fi
	mkdir -p "$out/$label"
	if ! MGTEST=$out/mgtest MEDIAGATED=${MEDIAGATED:-$top/$build/mediagated} $vm/lib/mkinitramfs.sh "$kver" "$MG_VM_CACHE/$kver/root" \
		"$out/$label/initrd.gz" "${kos[@]}"; then
		echo "FAIL: $label/initramfs"
		fail=1
		continue
	fi
	echo "[$label] kernel $kver, module ${kos[*]:-(none)}"
	echo "$MG_VM_CACHE/$kver/vmlinuz" >"$out/$label/kernel"
	labels+=("$label")
done

# run_one LABEL: boot one kernel, all scenarios
run_one() {
	$vm/lib/vm-run.sh -l "$1" -k "$(cat "$out/$1/kernel")" -i "$out/$1/initrd.gz" \
		-w "$out/$1/run" -s "$(echo ${SCENARIOS:-all} | tr ' ' ,)"
}
if [[ ${VM_JOBS:-2} -gt 1 && ${#labels[@]} -gt 1 ]]; then
	# kernels in parallel; each one's output printed whole when it is done
	pids=()
	trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done' EXIT
	for label in "${labels[@]}"; do
		run_one "$label" >"$out/$label/vm-run.out" 2>&1 &
		pids+=($!)
	done
	for i in "${!labels[@]}"; do
		wait "${pids[$i]}" || fail=1
		cat "$out/${labels[$i]}/vm-run.out"
	done
else
	for label in "${labels[@]}"; do
		run_one "$label" || fail=1
	done
fi
echo "[vm] whole VM suite: $(($(date +%s) - t_all)) s"
exit $fail
