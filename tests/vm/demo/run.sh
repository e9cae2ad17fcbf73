#!/bin/bash
# make demo: the whole kit on one Debian kernel under QEMU, as a transcript.
#
#   tests/vm/demo/run.sh [BUILD_DIR]        (make demo: deps + release build first)
#
# Host side (the administrator's machine): an organisation key, two media
# enrolled with mediagatectl on image files (MG-0001 is plugged, MG-0002 is a
# spare that never shows up, for the stock-take), the shipped policy, the
# registry and the public key for the desktop. Then one VM (the desktop) with
# mediagate.ko, mediagated, mediagatectl and busybox syslogd; the guest script
# guest/90-demo.sh plugs (over QMP, through the harness of tests/vm) the
# enrolled stick, an unknown plain stick, an unregistered LUKS2 stick and a
# keyboard, and tells what happened. This script turns the harness output
# into the transcript and exits 1 if any step that should work did not.
#
# Environment: DEMO_KVER=6.12 (default, boots faster) or 6.1; ACCEL=kvm;
# MG_VM_CACHE (kernel cache, as tests/vm/run.sh); DEMO_TIMEOUT (VM seconds,
# 1200). Logs: BUILD_DIR/demo/run/ (console.log, results/: audit, syslog).
set -uo pipefail
build=${1:-build/rel}
top=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$top" || exit 1
vm=tests/vm
demo=$build/demo
t0=$(date +%s)
say() { echo "demo: $*"; }
die() {
	echo "demo: FAILED: $*"
	exit 1
}

[[ -x $build/mediagated && -x $build/mediagatectl ]] ||
	die "$build/mediagated or $build/mediagatectl not built (run: make demo)"
[[ $(id -u) -eq 0 ]] || say "note: not root; the guest needs root-owned /etc/mediagate files (run as root)"

# --- the kernel and the module for it ---
label=${DEMO_KVER:-6.12}
case $label in
6.1) meta=amd64 ;;
6.12) meta=6.12-amd64 ;;
*) die "DEMO_KVER=$label: 6.1 or 6.12" ;;
esac
if [[ -z ${MG_VM_CACHE:-} ]]; then
	if mkdir -p /var/cache/mediagate-vm 2>/dev/null && [[ -w /var/cache/mediagate-vm ]]; then
		MG_VM_CACHE=/var/cache/mediagate-vm
	else
		MG_VM_CACHE=$top/build/vm-cache
	fi
fi
mkdir -p "$MG_VM_CACHE" "$demo"
say "fetching Debian's $label kernel (cached in $MG_VM_CACHE)"
kver=$($vm/lib/fetch-kernel.sh "$MG_VM_CACHE" "$meta") || die "cannot fetch the $label kernel"
say "building mediagate.ko for $kver"
make -s -C kmod KDIR="/usr/src/linux-headers-$kver" >"$demo/kmod.log" 2>&1 ||
	{ tail -n 20 "$demo/kmod.log"; die "module build failed (log: $demo/kmod.log)"; }
ko=kmod/build/$kver/mediagate.ko
[[ -f $ko ]] || die "$ko missing after the build"

# The harness runs from a copy: bash reads a script while running it, so an
# edit of tests/vm during a demo would otherwise break the running one.
rm -rf "$demo/vm"
mkdir -p "$demo/vm"
cp -r $vm/lib $vm/guest "$demo/vm/"

# --- the administrator's side: org key, enrolment, files for the desktop ---
admin=$demo/admin tree=$demo/tree images=$demo/images
rm -rf "$admin" "$tree"
mkdir -p "$admin" "$tree/etc/mediagate" "$tree/root"
chmod 0755 "$tree" "$tree/etc" "$tree/etc/mediagate"
chmod 0700 "$tree/root"
install -m 0644 policy/mediagate.conf "$tree/etc/mediagate/mediagate.conf"
ctl=$build/mediagatectl
# weak argon2id cost so that opening the stick takes a second under TCG, not minutes
export MEDIAGATE_TEST_WEAK_PBKDF=1
say "admin side: mediagatectl org-key init; enroll two media on image files"
say "  (MEDIAGATE_TEST_WEAK_PBKDF=1: a test-only cheap argon2id so TCG can open the stick fast;"
say "   real enrolments use the full cost)"
"$ctl" org-key init --private "$admin/org.key" --public "$tree/etc/mediagate/org.pub" >"$admin/log" 2>&1 ||
	{ cat "$admin/log"; die "org-key init failed"; }
printf 'demo-passphrase-0001' >"$tree/root/company.key"
chmod 0600 "$tree/root/company.key"
"$demo/vm/lib/mkimages.sh" "$images" || die "stick images (tests/vm/lib/mkimages.sh) failed"
# enroll_img IMAGE MEDIUM SERIAL OWNER ASSET
enroll_img() {
	rm -f "$1"
	truncate -s 64M "$1"
	"$ctl" enroll "$1" --owner "$4" --asset "$5" --medium-id "$2" --fs none --yes \
		--key-file "$tree/root/company.key" --org-key "$admin/org.key" \
		--usb-id 46f4:0001 --usb-serial "$3" --registry "$tree/etc/mediagate/registry" \
		--policy "$tree/etc/mediagate/mediagate.conf" --inventory "$admin/inventory.db" 2>&1 |
		grep -v WARNING | sed 's/^/demo:   /'
	[[ ${PIPESTATUS[0]} -eq 0 ]]
}
enroll_img "$images/company.img" MG-0001 MGDEMO0001 "Taro Yamada" PC-0042 ||
	die "enroll of the company stick failed"
enroll_img "$admin/spare.img" MG-0002 MGDEMO0002 "Hanako Sato" PC-0043 ||
	die "enroll of the spare stick failed"
rm -f "$admin/spare.img"
chmod 0644 "$tree/etc/mediagate/registry"

# --- the desktop: initramfs with the module, daemon, CLI, /etc/mediagate ---
say "building the VM's initramfs (module, mediagated, mediagatectl, /etc/mediagate)"
MEDIAGATED=$build/mediagated MG_VM_EXTRA_BINS=$ctl MG_VM_SCENARIO_DIRS=$vm/demo/guest \
	MG_VM_EXTRA_TREE=$tree "$demo/vm/lib/mkinitramfs.sh" "$kver" "$MG_VM_CACHE/$kver/root" \
	"$demo/initrd.gz" "$ko" || die "initramfs build failed"
say "prepared in $(($(date +%s) - t0)) s; booting $kver under ${ACCEL:-tcg} (TCG takes a minute or two)"
echo

# --- boot; the harness output becomes the transcript ---
t_vm=$(date +%s)
failures=() result=
transcript() {
	local l
	while IFS= read -r l; do
		case $l in
		"[$label]   info 90-demo "*) echo "${l#"[$label]   info 90-demo "}" ;;
		"[$label]   FAILED check 90-demo "*)
			echo "!!! FAILED: ${l#"[$label]   FAILED check 90-demo "}"
			failures+=("${l#"[$label]   FAILED check 90-demo "}")
			;;
		"[$label] boot: "*) echo "VM booted: ${l#"[$label] boot: "}" ;;
		"[$label] guest /init"* | "[$label] time 90-demo"*) ;;
		"PASS: $label/90-demo") result=ok ;;
		"FAIL: $label/"*)
			echo "!!! ${l#FAIL: }"
			failures+=("${l#FAIL: }")
			;;
		"PASS: "*) ;;
		"[$label] time: "*) vmline=${l#"[$label] "} ;;
		*) echo "$l" ;;
		esac
	done
	echo
	echo "VM ${vmline:-(no timing)}"
	[[ $result == ok && ${#failures[@]} -eq 0 ]]
}
vmline=
"$demo/vm/lib/vm-run.sh" -l "$label" -k "$MG_VM_CACHE/$kver/vmlinuz" -i "$demo/initrd.gz" \
	-w "$demo/run" -s 90-demo -t "${DEMO_TIMEOUT:-1200}" 2>&1 | transcript
ok=$?
now=$(date +%s)
if [[ $ok -eq 0 ]]; then
	echo "demo: OK: every step worked; VM $((now - t_vm)) s, whole demo $((now - t0)) s (after the build)"
	echo "demo: logs in $demo/run (console.log, results/audit.out, results/messages)"
	exit 0
fi
echo "demo: FAILED: a step that should have worked did not (see the !!! lines above);"
echo "demo: VM $((now - t_vm)) s, whole demo $((now - t0)) s; logs in $demo/run"
exit 1
