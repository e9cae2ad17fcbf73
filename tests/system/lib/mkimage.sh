#!/bin/bash
# tests/system/lib/mkimage.sh: the system-test guest image, built once.
#
#   mkimage.sh CACHE_ROOT   prints the cache directory of the image
#
# A Debian 12 (bookworm) root made by debootstrap --variant=minbase with
# tests/system/packages.list, the guest's own kernel and initramfs copied out
# (QEMU boots them with -kernel/-initrd), turned into an ext4 disk image by
# mkfs.ext4 -d (no loop mount). The directory is
# CACHE_ROOT/<sha256 of packages.list + this script>/ and holds base.img
# (raw ext4, root=/dev/vda), vmlinuz, initrd.img, kver and .done. A cache
# hit returns at once and touches no network; a miss downloads from
# MG_SYSTEM_MIRROR (default: the host's deb.debian.org).
#
# The image carries one test hook, mg-systest.service: at boot it mounts the
# 9p share "mgshare" on /run/mg-share and runs its guest.sh (the test logic
# lives on the host, so editing it does not rebuild the image).
set -euo pipefail
cache_root=${1:?usage: mkimage.sh CACHE_ROOT}
here=$(cd "$(dirname "$0")/.." && pwd)
mirror=${MG_SYSTEM_MIRROR:-http://deb.debian.org/debian}
key=$(cat "$here/packages.list" "$here/lib/mkimage.sh" | sha256sum | cut -c1-16)
dir=$cache_root/$key
mkdir -p "$cache_root"
exec 9>"$cache_root/.lock"
flock 9
if [[ -f $dir/.done ]]; then
	echo "$dir"
	exit 0
fi
t0=$(date +%s)
rm -rf "$dir"
mkdir -p "$dir"
root=$dir/root
pkgs=$(grep -v '^#' "$here/packages.list" | grep . | paste -sd,)
echo "mkimage: debootstrap bookworm from $mirror into $root" >&2
debootstrap --variant=minbase --include="$pkgs" bookworm "$root" "$mirror" >"$dir/debootstrap.log" 2>&1 ||
	{
		tail -n 20 "$dir/debootstrap.log" >&2
		cp "$root/debootstrap/debootstrap.log" "$cache_root/failed-debootstrap.log" 2>/dev/null
		rm -rf "$dir"
		exit 1
	}

# the guest's configuration: root on the virtio disk, no password on the
# serial console (for debugging), the test hook, no timers that run apt or
# fstrim during a test
cat >"$root/etc/fstab" <<'EOF'
/dev/vda / ext4 rw,errors=remount-ro 0 1
EOF
echo mg-system >"$root/etc/hostname"
chroot "$root" passwd -d root >/dev/null
cat >"$root/usr/local/sbin/mg-systest" <<'EOF'
#!/bin/bash
# mount the host's share and run its guest.sh; power off when it is done
modprobe 9pnet_virtio 2>/dev/null
mkdir -p /run/mg-share
if mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 mgshare /run/mg-share; then
	bash /run/mg-share/guest.sh >/dev/ttyS1 2>&1
else
	echo "MARK:FAIL share (cannot mount the 9p share)" >/dev/ttyS1
fi
sync
systemctl poweroff --no-block
EOF
chmod 0755 "$root/usr/local/sbin/mg-systest"
cat >"$root/etc/systemd/system/mg-systest.service" <<'EOF'
[Unit]
Description=mediagate system test (tests/system)
After=basic.target dbus.service udisks2.service mediagated.service systemd-udev-settle.service

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/mg-systest
StandardOutput=journal+console
TimeoutStartSec=infinity

[Install]
WantedBy=multi-user.target
EOF
mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
ln -sf /etc/systemd/system/mg-systest.service "$root/etc/systemd/system/multi-user.target.wants/"
for u in apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer \
	fstrim.timer man-db.timer systemd-timesyncd.service; do
	ln -sf /dev/null "$root/etc/systemd/system/$u"
done
rm -f "$root"/var/cache/apt/archives/*.deb

kver=$(ls "$root/lib/modules" | sort -V | tail -n 1)
echo "$kver" >"$dir/kver"
cp "$root/boot/vmlinuz-$kver" "$dir/vmlinuz"
cp "$root/boot/initrd.img-$kver" "$dir/initrd.img"
size=$(($(du -sm "$root" | cut -f1) + 1536))
# (mke2fs -d says "Creating regular file" on stdout even with -q: stdout is the result)
mkfs.ext4 -q -F -L mg-system -d "$root" "$dir/base.img" "${size}M" >&2
rm -rf "$root"
echo "$kver $(($(date +%s) - t0))s" >"$dir/.done"
echo "mkimage: built $dir ($kver, ${size} MiB) in $(($(date +%s) - t0)) s" >&2
echo "$dir"
