#!/bin/bash
# tests/system/guest/guest.sh: runs inside the system-test guest (a real
# Debian 12 with systemd), started by the image's mg-systest.service from the
# 9p share /run/mg-share. The host writes the phase to $S/phase:
#   install  list the root's files, dpkg -i the .debs (DKMS builds the module),
#            check the service, module and initramfs, enroll stick SYS00002,
#            copy the new initramfs out for the next boot
#   cases    (booted with that initramfs, both sticks plugged before boot)
#            held-at-boot, udisks ro / unlock+mount rw, restart, purge
# Output (to ttyS1, read by the host): "PASS: name", "FAIL: name (why)",
# "TIME name seconds", "INFO ...". Files go to $S/results/.
S=/run/mg-share
R=$S/results
mkdir -p "$R"
export LC_ALL=C.UTF-8 PATH=/usr/sbin:/usr/bin:/sbin:/bin
KVER=$(uname -r)
UNKNOWN=SYS00001 COMPANY=SYS00002 GADGET=SYSGADGET1

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1${2:+ ($2)}"; }
info() { echo "INFO $*"; }
# expect NAME GOT WANT
expect() { if [[ $2 == "$3" ]]; then pass "$1"; else fail "$1" "got '$2', want '$3'"; fi; }
# check NAME CMD...: PASS if CMD succeeds, else FAIL with its output
check() {
	local n=$1 out
	shift
	if out=$("$@" 2>&1); then pass "$n"; else fail "$n" "$* -> $(tail -c 300 <<<"$out" | tr '\n' ' ')"; fi
}
now() { date +%s.%N; }
# timing NAME START: print the seconds since START
timing() { echo "TIME $1 $(awk -v a="$(now)" -v b="$2" 'BEGIN { printf "%.1f", a - b }')"; }
wait_until() {
	local end=$(($(date +%s) + $1))
	shift
	until "$@"; do
		(($(date +%s) >= end)) && return 1
		sleep 0.5
	done
}

# usb_of SERIAL: the USB device directory (sysfs) with that serial
usb_of() {
	local d
	for d in /sys/bus/usb/devices/*; do
		[[ -f $d/idVendor && $(cat "$d/serial" 2>/dev/null) == "$1" ]] && { echo "$d"; return 0; }
	done
	return 1
}
# disk_of SERIAL: sdX of the stick with that serial
disk_of() {
	local u b
	u=$(usb_of "$1") || return 1
	u=$(readlink -f "$u")
	for b in /sys/block/sd*; do
		[[ -e $b ]] || continue
		[[ $(readlink -f "$b") == "$u"/* ]] && { basename "$b"; return 0; }
	done
	return 1
}

# the file list of the root filesystem: path and type, sorted (the host
# filters and compares the lists of the two phases)
file_list() {
	find / -xdev -printf '%p %y\n' 2>/dev/null | LC_ALL=C sort
}

# mg-early: a unit ordered before mediagated.service that records, once the
# sticks plugged before boot are on the bus, what the system has before the
# daemon ran (installed before the first file list, so it is in both)
install_early_unit() {
	cat >/usr/local/sbin/mg-early <<'EOF'
#!/bin/bash
# tests/system: the state of the sticks before mediagated starts
out=/run/mg-early.txt
end=$((SECONDS + 90))
n=0
while ((SECONDS < end)); do
	n=$(grep -lE '^SYS0000[12]$' /sys/bus/usb/devices/*/serial 2>/dev/null | wc -l)
	((n == 2)) && break
	sleep 0.5
done
# a few seconds for a driver to bind and sd to attach, if nothing held them
sleep 4
{
	echo "uptime $(cut -d' ' -f1 /proc/uptime)"
	echo "sticks $n"
	echo "module $(test -e /dev/mediagate && echo yes || echo no)"
	echo "disks $(ls /sys/block | grep '^sd' | tr '\n' ' ')"
	for f in $(grep -lE '^SYS0000[12]$' /sys/bus/usb/devices/*/serial 2>/dev/null); do
		d=${f%/serial}
		drv=$(for i in "$d"/*:*; do [ -e "$i/driver" ] && basename "$(readlink "$i/driver")"; done | tr '\n' ' ')
		echo "usb $(cat "$f") authorized=$(cat "$d/authorized") drivers=${drv:-none}"
	done
	echo "mediagated $(systemctl is-active mediagated.service)"
} >"$out"
EOF
	chmod 0755 /usr/local/sbin/mg-early
	cat >/etc/systemd/system/mg-early.service <<'EOF'
[Unit]
Description=mediagate system test: sticks before mediagated
DefaultDependencies=no
After=systemd-udevd.service systemd-udev-trigger.service systemd-modules-load.service
Before=mediagated.service

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/mg-early

[Install]
WantedBy=multi-user.target
EOF
	systemctl enable mg-early.service >/dev/null 2>&1
}

# ---- phase install ----
phase_install() {
	local t debs out
	install_early_unit
	file_list >"$R/files-before.txt"
	info "files before install: $(wc -l <"$R/files-before.txt")"
	debs=$(ls "$S"/debs/mediagate_*.deb "$S"/debs/mediagate-dkms_*.deb 2>/dev/null)
	t=$(now)
	if DEBIAN_FRONTEND=noninteractive dpkg -i $debs >"$R/dpkg-install.log" 2>&1; then
		pass install-dpkg
	else
		fail install-dpkg "$(tail -n 5 "$R/dpkg-install.log" | tr '\n' ' ')"
	fi
	timing install-dpkg "$t"
	out=$(dkms status -m mediagate -k "$KVER" 2>&1)
	[[ $out == *"$KVER"*installed* ]] && pass install-dkms-built || fail install-dkms-built "dkms status: $out"
	out=$(modinfo -n mediagate 2>&1)
	[[ $out == /lib/modules/$KVER/updates/dkms/mediagate.ko* ]] && pass install-module-file ||
		fail install-module-file "modinfo -n: $out"
	expect install-service-enabled "$(systemctl is-enabled mediagated.service 2>&1)" enabled
	wait_until 30 systemctl -q is-active mediagated.service
	out=$(systemctl is-active mediagated.service 2>&1)
	[[ $out == active ]] && pass install-service-active ||
		fail install-service-active "$out: $(journalctl -b -u mediagated -n 4 --no-pager 2>&1 | tr '\n' ' ')"
	check install-module-loaded test -c /dev/mediagate
	lsinitramfs "/boot/initrd.img-$KVER" >"$R/initramfs-list.txt" 2>&1
	out=$(grep -cE 'mediagate\.ko|etc/modprobe.d/mediagate.conf|scripts/init-top/mediagate$' "$R/initramfs-list.txt")
	[[ $out -ge 3 ]] && pass install-initramfs-hook ||
		fail install-initramfs-hook "initramfs has $out of mediagate.ko, modprobe.d, init-top"
	enroll_company
	cp "/boot/initrd.img-$KVER" "$S/initrd.img" && sync
	journalctl -b --no-pager >"$R/journal-install.txt" 2>&1
}

# the company stick: organisation key, then enroll SYS00002 (blank; the
# daemon has made it read-only, so allow it for the enrolment first)
enroll_company() {
	local disk usb out t
	check org-key mediagatectl org-key init
	wait_until 30 disk_of "$COMPANY" >/dev/null
	disk=$(disk_of "$COMPANY") || { fail enroll "no disk for $COMPANY"; return; }
	usb=$(basename "$(usb_of "$COMPANY")")
	check enroll-allow mediagatectl allow "$usb" --for 10m
	wait_until 20 eval "[[ \$(cat /sys/block/$disk/ro) == 0 ]]"
	t=$(now)
	out=$(MEDIAGATE_TEST_WEAK_PBKDF=1 timeout 300 mediagatectl enroll "/dev/$disk" --owner "Taro Yamada" \
		--asset PC-0042 --medium-id MG-SYS02 --label MGSYS02 --fs ext4 --yes \
		--key-file "$S/company.key" 2>&1)
	if [[ $? -eq 0 ]]; then pass enroll; else fail enroll "$(tail -c 300 <<<"$out" | tr '\n' ' ')"; fi
	timing enroll "$t"
	out=$(grep -c "serial \"$COMPANY\"" /etc/mediagate/registry 2>/dev/null)
	expect enroll-registry "$out" 1
}

# ---- phase cases ----
# the mediagated journal lines: "<monotonic> <line>"
journal_mono() { journalctl -b -o short-monotonic --no-pager "$@" 2>/dev/null; }
# mono LINE: the seconds of a short-monotonic line "[   12.345678] host ..."
mono() { sed -E 's/^\[ *([0-9.]+)\].*/\1/' <<<"$1"; }

case_held_at_boot() {
	local e v sd serial line verdict attach
	e=$(cat /run/mg-early.txt 2>/dev/null)
	cp /run/mg-early.txt "$R/" 2>/dev/null
	info "before mediagated: $(tr '\n' ';' <<<"$e")"
	# both sticks were on the bus, the module was there, no disk, no driver,
	# the daemon not yet started
	if grep -qx 'sticks 2' <<<"$e" && grep -qx 'module yes' <<<"$e" && grep -qx 'disks ' <<<"$e" &&
		[[ $(grep -c '^usb SYS0000[12] authorized=0 drivers=none$' <<<"$e") == 2 ]] &&
		grep -qx 'mediagated inactive' <<<"$e"; then
		pass boot-held-before-daemon
	else
		fail boot-held-before-daemon "$(tr '\n' ';' <<<"$e")"
	fi
	# the module came from the initramfs: loaded before usb-storage registered
	line=$(journal_mono -k | grep -oE 'mediagate: loaded|registered new interface driver usb-storage' |
		head -n 2 | paste -sd,)
	expect boot-module-before-usb-storage "$line" "mediagate: loaded,registered new interface driver usb-storage"
	# mg-systest starts once mediagated is up; the disks and the media-stage
	# verdicts follow
	wait_until 120 eval 'disk_of "$UNKNOWN" >/dev/null && disk_of "$COMPANY" >/dev/null'
	wait_until 120 eval "journal_mono -u mediagated | grep -q 'serial=\"$COMPANY\" .*stage=media'"
	journal_mono -k | grep -E 'mediagate|usb-storage|Attached SCSI' >"$R/kernel-boot.txt"
	journal_mono -u mediagated >"$R/mediagated-boot.txt"
	# each stick: its disk attached only after the daemon's first verdict on it
	for serial in "$UNKNOWN" "$COMPANY"; do
		sd=$(disk_of "$serial") || { fail "boot-verdict-first-$serial" "no disk"; continue; }
		verdict=$(grep -m1 "event=verdict .*serial=\"$serial\"" "$R/mediagated-boot.txt")
		attach=$(grep -m1 "\[$sd\] Attached SCSI" "$R/kernel-boot.txt")
		v=$(awk -v a="$(mono "$verdict")" -v b="$(mono "$attach")" \
			'BEGIN { print (a != "" && b != "" && a + 0 < b + 0) ? "yes" : "no" }')
		if [[ -n $verdict && -n $attach && $v == yes ]]; then
			pass "boot-verdict-first-$serial"
			info "$serial: verdict at $(mono "$verdict") s, /dev/$sd attached at $(mono "$attach") s"
		else
			fail "boot-verdict-first-$serial" "verdict '$verdict' attach '$attach'"
		fi
	done
	line=$(grep "event=verdict .*serial=\"$UNKNOWN\" .*stage=media" "$R/mediagated-boot.txt" | tail -n 1)
	[[ $line == *verdict=readonly* ]] && pass boot-unknown-readonly || fail boot-unknown-readonly "$line"
	line=$(grep "event=verdict .*serial=\"$COMPANY\" .*stage=media" "$R/mediagated-boot.txt" | tail -n 1)
	[[ $line == *verdict=allow*registered=yes* ]] && pass boot-company-allow || fail boot-company-allow "$line"
}

# udisksctl mount on the unknown stick: read-only in the kernel, and mounted
# ro,nosuid,nodev,noexec by udisks2 (the udev rule's defaults)
case_unknown_ro() {
	local sd out mnt opts t
	t=$(now)
	sd=$(disk_of "$UNKNOWN") || { fail unknown-udisks-ro "no disk"; return; }
	udevadm settle --timeout=20
	expect unknown-sysfs-ro "$(cat /sys/block/$sd/ro)" 1
	expect unknown-udev-mount-options \
		"$(udevadm info -q property -n "/dev/$sd" | sed -n 's/^UDISKS_MOUNT_OPTIONS_DEFAULTS=//p')" \
		ro,nosuid,nodev,noexec
	out=$(udisksctl mount -b "/dev/$sd" --no-user-interaction 2>&1) ||
		{ fail unknown-udisks-ro "udisksctl mount: $out"; return; }
	info "unknown: $out"
	mnt=$(findmnt -no TARGET "/dev/$sd" | head -n 1)
	opts=$(findmnt -no OPTIONS "/dev/$sd" | head -n 1)
	info "unknown: findmnt $mnt $opts"
	if [[ ,$opts, == *,ro,* && ,$opts, == *,nosuid,* && ,$opts, == *,nodev,* && ,$opts, == *,noexec,* ]]; then
		pass unknown-udisks-ro
	else
		fail unknown-udisks-ro "findmnt OPTIONS: $opts"
	fi
	[[ -n $mnt ]] && ! touch "$mnt/written" 2>/dev/null && pass unknown-write-refused ||
		fail unknown-write-refused "touch in '$mnt' succeeded"
	[[ $(cat "$mnt/hello.txt" 2>/dev/null) == "unknown stick" ]] && pass unknown-read ||
		fail unknown-read "hello.txt not readable"
	check unknown-udisks-unmount udisksctl unmount -b "/dev/$sd" --no-user-interaction
	timing case-unknown "$t"
}

# udisksctl unlock + mount on the registered stick: read-write
case_company_rw() {
	local sd out dm mnt opts t
	t=$(now)
	sd=$(disk_of "$COMPANY") || { fail company-udisks-rw "no disk"; return; }
	# read-only until the daemon has read the LUKS2 header (media stage)
	wait_until 60 eval "[[ \$(cat /sys/block/$sd/ro) == 0 ]]"
	expect company-sysfs-rw "$(cat /sys/block/$sd/ro)" 0
	out=$(udisksctl unlock -b "/dev/$sd" --key-file "$S/company.key" --no-user-interaction 2>&1) ||
		{ fail company-udisks-unlock "$out"; return; }
	pass company-udisks-unlock
	info "company: $out"
	dm=$(grep -oE '/dev/dm-[0-9]+' <<<"$out" | head -n 1)
	udevadm settle --timeout=20
	out=$(udisksctl mount -b "$dm" --no-user-interaction 2>&1) ||
		{ fail company-udisks-rw "udisksctl mount $dm: $out"; return; }
	info "company: $out"
	mnt=$(findmnt -no TARGET "$dm" | head -n 1)
	opts=$(findmnt -no OPTIONS "$dm" | head -n 1)
	info "company: findmnt $mnt $opts"
	[[ ,$opts, == *,rw,* ]] && pass company-udisks-rw || fail company-udisks-rw "findmnt OPTIONS: $opts"
	head -c 65536 /dev/urandom >/run/mg-data.bin
	if cp /run/mg-data.bin "$mnt/data.bin" && sync && echo 3 >/proc/sys/vm/drop_caches &&
		cmp -s /run/mg-data.bin "$mnt/data.bin"; then
		pass company-write-read-back
	else
		fail company-write-read-back "copy to $mnt failed or differs"
	fi
	out=$(journal_mono -u mediagated | grep -m1 "event=mount .*serial=\"$COMPANY\"")
	[[ $out == *mode=rw* ]] && pass company-audit-mount-rw || fail company-audit-mount-rw "'$out'"
	check company-udisks-unmount udisksctl unmount -b "$dm" --no-user-interaction
	check company-udisks-lock udisksctl lock -b "/dev/$sd" --no-user-interaction
	timing case-company "$t"
}

# a gadget stick (dummy_hcd + configfs mass storage) plugged while the
# daemon restarts; GADGET=1 plugs it, 0 unplugs it
gadget() {
	local g=/sys/kernel/config/usb_gadget/mgsys
	if [[ $1 == 1 ]]; then
		modprobe dummy_hcd && modprobe libcomposite && modprobe usb_f_mass_storage || return 1
		mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config
		truncate -s 16M /run/mg-gadget.img && mkfs.ext4 -q -F /run/mg-gadget.img || return 1
		mkdir -p $g/strings/0x409 $g/configs/c.1 $g/functions/mass_storage.0 || return 1
		echo 0x1234 >$g/idVendor && echo 0x5678 >$g/idProduct
		echo "$GADGET" >$g/strings/0x409/serialnumber
		echo "ACME" >$g/strings/0x409/manufacturer && echo "Gadget Stick" >$g/strings/0x409/product
		echo 1 >$g/functions/mass_storage.0/lun.0/removable
		echo /run/mg-gadget.img >$g/functions/mass_storage.0/lun.0/file
		ln -s $g/functions/mass_storage.0 $g/configs/c.1/ 2>/dev/null
		ls /sys/class/udc | head -n 1 >$g/UDC
	else
		echo "" >$g/UDC 2>/dev/null
	fi
}

# systemctl restart mediagated: every stick decided afterwards, also one
# plugged while the daemon was down
case_restart() {
	local out n serial t sdu
	t=$(now)
	sdu=$(disk_of "$UNKNOWN")
	systemctl restart mediagated.service &
	gadget 1 || fail restart-gadget "cannot plug the gadget stick"
	wait
	wait_until 30 systemctl -q is-active mediagated.service
	expect restart-active "$(systemctl is-active mediagated.service)" active
	wait_until 60 eval "mediagatectl list 2>/dev/null | grep -q 'serial=\"$GADGET\" verdict=readonly .*waiting_media=no'"
	out=$(mediagatectl list 2>&1)
	echo "$out" >"$R/list-after-restart.txt"
	info "list after restart: $(tr '\n' ';' <<<"$out")"
	n=0
	for serial in "$UNKNOWN" "$COMPANY" "$GADGET"; do
		grep -qE "serial=\"$serial\" verdict=(allow|readonly) .*waiting_media=no" <<<"$out" && n=$((n + 1))
	done
	expect restart-all-decided "$n" 3
	expect restart-none-pending "$(grep -cvE 'verdict=(allow|readonly|block|deny) .*waiting_media=no' <<<"$out")" 0
	expect restart-unknown-still-ro "$(cat /sys/block/$sdu/ro 2>/dev/null)" 1
	wait_until 30 disk_of "$GADGET" >/dev/null
	out=$(disk_of "$GADGET") && expect restart-gadget-ro "$(cat /sys/block/$out/ro)" 1 ||
		fail restart-gadget-ro "no disk for the gadget stick"
	gadget 0
	timing case-restart "$t"
}

case_purge() {
	local t out
	local conf=/etc/initramfs-tools/update-initramfs.conf
	t=$(now)
	# MG_SYSTEM_FAST_PURGE=1 (run.sh writes $S/fast-purge): the purge does
	# not rebuild the initramfs (mkinitramfs is 10-30 min of TCG on a loaded
	# host); same file list, but the initramfs keeps mediagate.ko until the
	# next update-initramfs
	[[ -e $S/fast-purge ]] && sed -i 's/^update_initramfs=.*/update_initramfs=no/' "$conf"
	if DEBIAN_FRONTEND=noninteractive dpkg --purge mediagate mediagate-dkms >"$R/dpkg-purge.log" 2>&1; then
		pass purge-dpkg
	else
		fail purge-dpkg "$(tail -n 5 "$R/dpkg-purge.log" | tr '\n' ' ')"
	fi
	[[ -e $S/fast-purge ]] && sed -i 's/^update_initramfs=.*/update_initramfs=yes/' "$conf"
	timing purge-dpkg "$t"
	out=$(dkms status -m mediagate 2>/dev/null)
	expect purge-dkms-gone "$out" ""
	file_list >"$R/files-after.txt"
	info "files after purge: $(wc -l <"$R/files-after.txt")"
}

phase_cases() {
	case_held_at_boot
	case_unknown_ro
	case_company_rw
	case_restart
	journalctl -b --no-pager >"$R/journal-cases.txt" 2>&1
	case_purge
}

info "guest $(uname -r) up $(cut -d' ' -f1 /proc/uptime) s, phase $(cat $S/phase)"
echo "TIME boot $(cut -d' ' -f1 /proc/uptime)"
case $(cat $S/phase) in
install) phase_install ;;
cases) phase_cases ;;
*) fail phase "unknown phase" ;;
esac
sync
echo "DONE"
