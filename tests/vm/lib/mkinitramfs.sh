#!/bin/bash
# Build the test initramfs for one kernel.
#
#   mkinitramfs.sh KVER KROOT OUT.cpio.gz [EXTRA.ko ...]
#
# KROOT is the unpacked linux-image package (fetch-kernel.sh). The image holds
# busybox (static), bash and the dynamic tools the scenarios use (copied with
# their ldd libraries), udev and its rules, the needed kernel modules with
# their dependencies (resolved with modprobe --show-depends), the extra
# modules given (mediagate.ko), the test client and the guest scripts.
# Environment for other suites reusing it: MGTEST (client binary),
# MG_VM_EXTRA_BINS (programs, copied with their ldd libraries to /bin),
# MG_VM_SCENARIO_DIRS (more NN-name.sh scenario files), MG_VM_EXTRA_TREE (a
# directory copied over the image root, e.g. etc/mediagate/mediagate.conf).
set -euo pipefail
kver=${1:?usage: mkinitramfs.sh KVER KROOT OUT [EXTRA.ko...]}
kroot=$(realpath "${2:?}")
out=${3:?}
shift 3
vmdir=$(cd "$(dirname "$0")/.." && pwd)
mgtest=${MGTEST:-}

st=$(mktemp -d "${TMPDIR:-/tmp}/mg-initrd.XXXXXX")
trap 'rm -rf "$st"' EXIT
chmod 755 "$st"
mkdir -p "$st"/{bin,sbin,dev,proc,sys,run,tmp,mnt,results,etc,root,lib/modules,mg}
ln -s lib "$st/lib64"
ln -s ../bin "$st/sbin/bin"

# busybox applets in /bin; /sbin/modprobe for request_module()
cp /bin/busybox "$st/bin/busybox"
for a in $(/bin/busybox --list); do
	[[ -e $st/bin/$a ]] || ln -s busybox "$st/bin/$a"
done
ln -sf ../bin/busybox "$st/sbin/modprobe"

# copy_bin PATH [NAME]: a dynamic binary and its libraries
copy_lib() {
	local l=$1
	[[ -e $st$l ]] && return 0
	mkdir -p "$st$(dirname "$l")"
	cp -L "$l" "$st$l"
}
copy_bin() {
	local src=$1 name=${2:-$(basename "$1")}
	rm -f "$st/bin/$name"
	cp -L "$src" "$st/bin/$name"
	local l
	for l in $(ldd "$src" 2>/dev/null | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }'); do
		copy_lib "$l"
	done
}
copy_bin /bin/bash
copy_bin /sbin/cryptsetup
copy_bin /sbin/blkid
copy_bin /sbin/dmsetup
# the dm udev rules run /sbin/dmsetup (udevcomplete): without it cryptsetup open
# waits for its udev cookie forever
ln -sf ../bin/dmsetup "$st/sbin/dmsetup"
copy_bin /sbin/blockdev
copy_bin /sbin/blkdiscard
copy_bin /sbin/mke2fs
ln -sf mke2fs "$st/bin/mkfs.ext4"
copy_bin /sbin/mkfs.fat
ln -sf mkfs.fat "$st/bin/mkfs.vfat"
copy_bin /usr/bin/sg_raw
copy_bin /usr/bin/sg_inq
copy_bin /bin/udevadm
ln -sf udevadm "$st/bin/udevd"
ln -sf ../bin/udevd "$st/sbin/udevd"
copy_bin /bin/mount
copy_bin /bin/umount
copy_bin /usr/bin/timeout
copy_bin /usr/bin/sha256sum
copy_bin /bin/dd
[[ -n $mgtest ]] && cp "$mgtest" "$st/bin/mgtest"
# for other suites (daemon, demo): more programs, with their libraries
for b in ${MG_VM_EXTRA_BINS:-}; do
	copy_bin "$b"
done
# the daemon, when the build has one (daemon scenarios fail without it)
[[ -n ${MEDIAGATED:-} && -x $MEDIAGATED ]] && copy_bin "$MEDIAGATED" mediagated
# and its media probe, which it finds next to itself (daemon/src/probe_job.c)
[[ -n ${MEDIAGATED:-} && -x ${MEDIAGATED%/*}/mediagate-probe ]] &&
	copy_bin "${MEDIAGATED%/*}/mediagate-probe" mediagate-probe

mkdir -p "$st/lib/udev/rules.d" "$st/etc/udev"
for r in 50-udev-default 60-block 60-persistent-storage 80-drivers 99-systemd \
	55-dm 60-persistent-storage-dm 95-dm-notify 60-input-id 60-persistent-input; do
	[[ -e /lib/udev/rules.d/$r.rules ]] && cp "/lib/udev/rules.d/$r.rules" "$st/lib/udev/rules.d/"
done
cat >"$st/etc/passwd" <<PW
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PW
printf 'root:x:0:\ndisk:x:6:\nnogroup:x:65534:\n' >"$st/etc/group"

# kernel modules
mods=(xhci-pci xhci-hcd usb-storage uas sd_mod sg dummy_hcd libcomposite configfs
	usb_f_mass_storage usb_f_hid usb_f_ss_lb usbhid hid-generic evdev dm-crypt xts aes
	sha256 algif_skcipher ext4 vfat nls_cp437 nls_ascii nls_iso8859-1 nls_utf8
	9p 9pnet_virtio virtio_pci loop)
mdir=$kroot/lib/modules/$kver
smod=$st/lib/modules/$kver
mkdir -p "$smod"
for m in "${mods[@]}"; do
	modprobe -d "$kroot" -S "$kver" --show-depends "$m" 2>/dev/null |
		awk '$1 == "insmod" { print $2 }'
done | sort -u | while read -r f; do
	rel=${f#"$mdir"/}
	mkdir -p "$smod/$(dirname "$rel")"
	case $f in
	*.ko.xz) xz -dc "$f" >"$smod/${rel%.xz}" ;;
	*.ko.zst) zstd -qdc "$f" >"$smod/${rel%.zst}" ;;
	*) cp "$f" "$smod/$rel" ;;
	esac
done
cp "$mdir"/modules.order "$mdir"/modules.builtin* "$smod/"
if [[ $# -gt 0 ]]; then
	mkdir -p "$smod/extra"
	for ko in "$@"; do
		cp "$ko" "$smod/extra/"
	done
fi
depmod -b "$st" "$kver"

# guest side of the harness
cp "$vmdir/guest/init" "$st/init"
chmod +x "$st/init"
cp -r "$vmdir"/guest/lib.sh "$vmdir"/guest/scenarios "$st/mg/"
# more scenario files (NN-name.sh) and a tree copied over / (config files)
for d in ${MG_VM_SCENARIO_DIRS:-}; do
	cp "$d"/*.sh "$st/mg/scenarios/"
done
[[ -n ${MG_VM_EXTRA_TREE:-} ]] && cp -a "$MG_VM_EXTRA_TREE"/. "$st/"

(cd "$st" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
