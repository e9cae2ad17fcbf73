#!/bin/bash
# tests/system: the Debian packages on a real Debian 12 desktop stack under
# QEMU (issue 6, done-when 2). See tests/system/README.md.
#
#   tests/system/run.sh BUILD_DIR     (root; one PASS:/FAIL: line per case)
#
# 1. lib/mkimage.sh: a bookworm guest image (systemd, udev, dbus, polkit,
#    udisks2, cryptsetup, DKMS, Debian's 6.1 kernel + headers), debootstrap'd
#    once and cached under /var/cache/mediagate-vm/system/<hash>/
# 2. make deb (or MG_SYSTEM_DEBS=dir with the two .debs)
# 3. boot 1 "install": dpkg -i (DKMS builds mediagate.ko in the guest, the
#    service is enabled and started, the initramfs rebuilt), enroll stick
#    SYS00002; the guest's new initramfs is copied out
# 4. boot 2 "cases" with that initramfs, both sticks plugged before boot:
#    held until mediagated decides, udisksctl mount ro, udisksctl unlock +
#    mount rw, systemctl restart, dpkg --purge
# 5. the file lists before dpkg -i and after dpkg --purge are compared here
#
# Environment: MG_SYSTEM_CACHE (image cache), MG_SYSTEM_DEBS (skip make deb),
# MG_SYSTEM_TIMEOUT (seconds per boot, default 2400), ACCEL (tcg or kvm),
# MG_SYSTEM_KEEP=1 (keep the guest disk for inspection), MG_SYSTEM_PHASES=cases
# (development: only boot 2, on a BUILD/system left as boot 1 left it),
# MG_SYSTEM_FAST_PURGE=1 (no initramfs rebuild on purge: see guest.sh).
set -u
build=${1:?usage: run.sh BUILD_DIR}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
here=tests/system
cache=${MG_SYSTEM_CACHE:-/var/cache/mediagate-vm/system}
work=$build/system
timeout=${MG_SYSTEM_TIMEOUT:-2400}
accel=${ACCEL:-tcg}
[[ $accel == tcg ]] && accel=tcg,thread=multi
failed=0
pass() { echo "PASS: $1"; }
fail() {
	echo "FAIL: $1${2:+ ($2)}"
	failed=1
}
t_all=$SECONDS
times=()
# lap NAME START: remember the seconds since START for the timing line
lap() { times+=("$1 $((SECONDS - $2)) s"); }

if [[ $(id -u) -ne 0 ]]; then
	fail system-root "needs root (debootstrap, chroot, QEMU's 9p share as root)"
	exit 1
fi
qpid=''
cleanup() {
	[[ -n $qpid ]] && kill "$qpid" 2>/dev/null
	[[ ${MG_SYSTEM_KEEP:-0} == 1 ]] || rm -f "$work/root.qcow2"
}
trap cleanup EXIT
phases=${MG_SYSTEM_PHASES:-install cases}
[[ $phases == *install* ]] && rm -rf "$work"
mkdir -p "$work/share/debs" "$work/share/results" "$work/sticks"

# ---- 1. image ----
t=$SECONDS
if ! img=$("$here/lib/mkimage.sh" "$cache"); then
	fail system-image "lib/mkimage.sh failed"
	exit 1
fi
lap image $t
kver=$(cat "$img/kver")
echo "system: image $img (guest kernel $kver)"

# ---- 2. packages, sticks, the guest disk (an overlay on the cache) ----
prepare() {
	t=$SECONDS
	debdir=${MG_SYSTEM_DEBS:-}
	if [[ -z $debdir ]]; then
		# its own stage: another `make deb` in the same tree must not clobber it
		ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms/dkms.conf)
		if ! make deb DEB_STAGE="$(readlink -f "$work")/deb/mediagate-$ver" >"$work/make-deb.log" 2>&1; then
			fail system-make-deb "$(tail -n 3 "$work/make-deb.log" | tr '\n' ' ')"
			exit 1
		fi
		debdir=$work/deb
	fi
	cp "$debdir"/mediagate_*_amd64.deb "$debdir"/mediagate-dkms_*_all.deb "$work/share/debs/" ||
		{ fail system-debs "no mediagate .debs in $debdir"; exit 1; }
	lap make-deb $t

	# ---- sticks: an unknown plain ext4 stick and a blank one to enroll ----
	mkdir -p "$work/sticks/content"
	echo "unknown stick" >"$work/sticks/content/hello.txt"
	mkfs.ext4 -q -F -L UNKNOWN -d "$work/sticks/content" "$work/sticks/unknown.img" 64M
	truncate -s 64M "$work/sticks/company.img"
	head -c 24 /dev/urandom | base64 | tr -d '\n' >"$work/share/company.key"
	cp "$here/guest/guest.sh" "$work/share/guest.sh"
	qemu-img create -q -f qcow2 -b "$(readlink -f "$img/base.img")" -F raw "$work/root.qcow2"
}

# boot PHASE INITRD: one guest boot; the guest runs guest.sh PHASE and
# powers off. Sets boot_s (host seconds to the guest's first line).
boot() {
	local phase=$1 initrd=$2 t0=$SECONDS marks=$work/marks-$1.log
	echo "$phase" >"$work/share/phase"
	: >"$marks"
	qemu-system-x86_64 -accel "$accel" -cpu max -machine q35 -m 2048 -smp 2 \
		-display none -no-reboot -nodefaults -bios /usr/share/qemu/qboot.rom \
		-serial "file:$work/console-$phase.log" -serial "file:$marks" \
		-kernel "$img/vmlinuz" -initrd "$initrd" \
		-append "root=/dev/vda rw console=ttyS0 loglevel=5 systemd.show_status=auto" \
		-drive "file=$work/root.qcow2,if=virtio,format=qcow2,cache=unsafe" \
		-virtfs "local,path=$work/share,mount_tag=mgshare,security_model=none,id=mgshare" \
		-device qemu-xhci,id=xhci \
		-drive "if=none,id=stk1,format=raw,file=$work/sticks/unknown.img" \
		-device usb-storage,bus=xhci.0,drive=stk1,serial=SYS00001 \
		-drive "if=none,id=stk2,format=raw,file=$work/sticks/company.img" \
		-device usb-storage,bus=xhci.0,drive=stk2,serial=SYS00002 &
	qpid=$!
	boot_s=''
	while kill -0 "$qpid" 2>/dev/null; do
		[[ -z $boot_s ]] && grep -q '^TIME boot ' "$marks" && boot_s=$((SECONDS - t0))
		if ((SECONDS - t0 > timeout)); then
			kill "$qpid"
			echo "system: $phase boot timed out after $timeout s"
			break
		fi
		sleep 1
	done
	wait "$qpid" 2>/dev/null
	qpid=''
	# the guest's own lines, complete ones only
	grep -aE '^(PASS|FAIL): ' "$marks" | sed -E "s/^(PASS|FAIL): /\1: $phase\//" | tr -d '\r'
	grep -q '^FAIL: ' "$marks" && failed=1
	grep -aE '^(INFO|TIME) ' "$marks" | sed "s/^/system: [$phase] /"
	if grep -aq '^DONE' "$marks"; then
		pass "$phase/harness"
	else
		fail "$phase/harness" "the guest did not finish; see $work/console-$phase.log"
	fi
	lap "boot-$phase(host,whole)" "$t0"
	[[ -n $boot_s ]] && times+=("boot-$phase(host,to-test) $boot_s s")
}

# ---- 3. install ----
if [[ $phases == *install* ]]; then
	prepare
	boot install "$img/initrd.img"
fi
if [[ ! -s $work/share/initrd.img ]]; then
	fail reboot-initramfs "boot 1 left no initramfs to boot with"
	exit 1
fi

# ---- 4. cases (booted with the initramfs the package built) ----
cp "$here/guest/guest.sh" "$work/share/guest.sh"
rm -f "$work/share/fast-purge"
[[ ${MG_SYSTEM_FAST_PURGE:-0} == 1 ]] && touch "$work/share/fast-purge"
boot cases "$work/share/initrd.img"

# ---- 5. purge leaves no file behind ----
# Paths that change between the two lists for reasons other than mediagate:
excl=(
	'^/tmp/' # scratch space of the boots
	'^/var/log/journal/' # the journal (persistent only if configured)
	'^/var/log/(dpkg|alternatives)\.log' # dpkg's own logs
	'^/var/lib/dpkg/(status|status-old|available|diversions-old|statoverride-old|triggers/)' # dpkg's database
	'^/var/cache/' # caches (debconf, ldconfig, man-db)
	'^/var/lib/dkms/mok\.(key|pub)$' # DKMS's own signing key, made at its first build, shared by every DKMS module
	'^/media/' # udisks2's mount points of the test's mounts
	'^/var/lib/systemd/(timers|random-seed|catalog)' # systemd's own state
	'^/var/tmp/systemd-private-' # PrivateTmp= directories of this boot's services (logind)
	'^/var/lib/udisks2/' # udisks2's record of the test's mounts
)
filter() {
	local re
	re=$(printf '%s\n' "${excl[@]}" | sed 's/ #.*//' | paste -sd'|')
	sed 's/ [a-z]$//' "$1" | grep -vE "$re"
}
before=$work/share/results/files-before.txt after=$work/share/results/files-after.txt
if [[ -s $before && -s $after ]]; then
	d=$(diff <(filter "$before") <(filter "$after"))
	if [[ -z $d ]]; then
		pass purge-no-file-left
	else
		echo "$d" >"$work/purge.diff"
		fail purge-no-file-left "$(grep -c '^[<>]' <<<"$d") paths differ: $(grep '^[<>]' <<<"$d" | head -n 8 | tr '\n' ' ')"
	fi
	echo "system: file lists: $(wc -l <"$before") before dpkg -i, $(wc -l <"$after") after purge"
else
	fail purge-no-file-left "a file list is missing"
fi

lap whole $t_all
echo "system: time: $(printf '%s; ' "${times[@]}")"
exit $failed
