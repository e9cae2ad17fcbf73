# 20-daemon (issue 4, done-when 2): the real mediagated against the real
# module, udev and media. Each stick is checked for its verdict (kernel state:
# sysfs ro flag and a raw write), its audit lines and its inventory row:
#   registered LUKS2 stick     -> read-only, probed, then read-write
#   unknown plain (vfat) stick -> read-only, stays read-only
#   LUKS2 not in the registry  -> read-only (header known, serial differs)
#   mount/unmount of the plain stick -> one audit line each, user, mode
#   composite mass storage + HID gadget -> blocked whole (shipped rules)
#   keyboard -> not held, works
#   daemon killed while a stick waits -> held (no disk) until the restarted
#                                        daemon decides it from the replay
DLOG=$RUN/daemon-audit.log
DERR=$RUN/daemon.err
CTL=$RUN/control

d_start() {
	mediagated -d -c /etc/mediagate/mediagate.conf --db "$RUN/inventory.db" \
		--control "$CTL" >>"$DLOG" 2>>"$DERR" &
	echo $! >"$RUN/daemon.pid"
	wait_until 10 test -S "$CTL"
}
d_kill9() {
	kill -9 "$(cat "$RUN/daemon.pid")" 2>/dev/null
	wait_until 5 eval '! kill -0 $(cat $RUN/daemon.pid) 2>/dev/null'
	rm -f "$CTL"
}
d_stop() {
	kill "$(cat "$RUN/daemon.pid")" 2>/dev/null
	wait_until 10 eval '! kill -0 $(cat $RUN/daemon.pid) 2>/dev/null'
}
# audit_wait SECONDS ERE: the first audit line matching ERE
audit_wait() {
	local end=$(($(date +%s) + $1)) l
	while :; do
		l=$(grep -m1 -E "$2" "$DLOG" 2>/dev/null)
		[[ -n $l ]] && { echo "$l"; return 0; }
		(($(date +%s) >= end)) && return 1
		sleep 0.2
	done
}
# count_audit ERE
count_audit() { grep -cE "$1" "$DLOG"; }
# kbd_input: the input device of the QEMU USB keyboard
kbd_input() {
	local d
	for d in /sys/bus/usb/devices/*; do
		[[ -f $d/product && $(cat "$d/product") == "QEMU USB Keyboard" ]] || continue
		[[ -n $(input_of "$(basename "$d")") ]] && return 0
	done
	return 1
}
raw_write() { dd if=/dev/zero of="/dev/$1" bs=4096 seek=4096 count=1 oflag=direct conv=fsync,notrunc; }

# stick ID IMAGE SERIAL: plug, wait for the disk the daemon let in; prints it
stick() {
	local d
	req plug-storage "$1" "$2" "$3" >/dev/null || return 1
	wait_until 20 usb_by_serial "$3" >/dev/null || return 1
	d=$(usb_by_serial "$3")
	wait_until 30 disk_of "$d" >/dev/null || return 1
	udevadm settle --timeout=10
	disk_of "$d"
}

scenario() {
	body
	# never leave the daemon holding /dev/mediagate for the next scenario
	[[ -f $RUN/daemon.pid ]] && d_stop
	cp "$DLOG" "$DERR" /results/ 2>/dev/null
}

body() {
	local disk line inv d
	mg_load || return
	if ! command -v mediagated >/dev/null; then
		nok daemon-present "mediagated not in the initramfs (run with MEDIAGATED=build/.../mediagated)"
		return
	fi
	mkdir -p /etc/mediagate
	# the rules of the shipped policy/mediagate.conf
	cat >/etc/mediagate/mediagate.conf <<-'EOF'
		set registry "/etc/mediagate/registry"
		set encryption luks2 cipher aes-xts-plain64 min-key-bits 512
		list badusb = { hid comm wireless }
		block    storage with-interface one-of $badusb
		allow    storage media registered
		readonly storage
		allow    any
	EOF
	echo "medium VM-0001 luks2 $LUKS_UUID usb 46f4:0001 serial \"REG00001\" owner \"VM Test\" asset \"VM-1\" enrolled 2026-11-21" \
		>/etc/mediagate/registry
	chmod 0644 /etc/mediagate/mediagate.conf /etc/mediagate/registry
	: >"$DLOG"
	check daemon-start d_start || { nok daemon-start "$(tail -c 300 "$DERR")"; return; }

	# 1. the enrolled stick: read-only until probed, then read-write
	if disk=$(stick r1 luks REG00001); then
		ok reg-disk-appears
		line=$(audit_wait 30 'serial="REG00001" .*stage=media verdict=allow') &&
			ok reg-audit-media-allow || nok reg-audit-media-allow "$(tail -n 3 "$DLOG")"
		[[ $line == *'registered=yes medium="VM-0001"'* ]] && ok reg-audit-registered ||
			nok reg-audit-registered "$line"
		expect reg-audit-hold-once "$(count_audit 'serial="REG00001" .*stage=hold verdict=readonly')" 1
		wait_until 10 eval "[[ \$(cat /sys/block/$disk/ro) == 0 ]]"
		expect reg-sysfs-rw "$(cat /sys/block/$disk/ro)" 0
		check reg-raw-write raw_write "$disk"
	else
		nok reg-disk-appears "$(tail -n 3 "$DLOG") $(tail -c 200 "$DERR")"
	fi

	# 2. an unknown plain stick: read-only, and it stays so after probing
	if disk=$(stick p1 vfat PLAIN001); then
		ok plain-disk-appears
		audit_wait 30 'serial="PLAIN001" .*stage=media verdict=readonly .*media=plain fstype="vfat" label="MGVFAT"' \
			>/dev/null && ok plain-audit-media-readonly || nok plain-audit-media-readonly "$(tail -n 3 "$DLOG")"
		expect plain-sysfs-ro "$(cat /sys/block/$disk/ro)" 1
		check_fails plain-raw-write-fails raw_write "$disk"
		# a mount and an unmount by a desktop user: one line each, user from the path
		mkdir -p /media/vmuser/MGVFAT
		if check plain-mount mount -o ro "/dev/$disk" /media/vmuser/MGVFAT; then
			audit_wait 20 'event=mount .*serial="PLAIN001" .*fstype="vfat" label="MGVFAT" .*mountpoint="/media/vmuser/MGVFAT" mode=ro user="vmuser" user_source=path' \
				>/dev/null && ok plain-audit-mount || nok plain-audit-mount "$(tail -n 2 "$DLOG")"
			umount /media/vmuser/MGVFAT
			audit_wait 20 'event=unmount .*serial="PLAIN001" .*mode=ro user="vmuser"' >/dev/null &&
				ok plain-audit-unmount || nok plain-audit-unmount "$(tail -n 2 "$DLOG")"
			expect plain-audit-mount-once "$(count_audit 'event=mount .*serial="PLAIN001"')" 1
		fi
	else
		nok plain-disk-appears "$(tail -n 3 "$DLOG")"
	fi

	# 3. LUKS2 whose UUID is registered for another stick (copied header)
	if disk=$(stick c1 luks CLONE001); then
		ok clone-disk-appears
		line=$(audit_wait 30 'serial="CLONE001" .*stage=media verdict=readonly') &&
			ok clone-audit-media-readonly || nok clone-audit-media-readonly "$(tail -n 3 "$DLOG")"
		[[ $line == *'registered=no medium="VM-0001"'* ]] && ok clone-audit-not-registered ||
			nok clone-audit-not-registered "$line"
		expect clone-sysfs-ro "$(cat /sys/block/$disk/ro)" 1
		check_fails clone-raw-write-fails raw_write "$disk"
	else
		nok clone-disk-appears "$(tail -n 3 "$DLOG")"
	fi

	# 4. a stick that also types (mass storage + HID gadget) is blocked whole;
	#    a keyboard is not held at all
	if check gadget-modules gadget_setup; then
		mkfs.vfat -C /tmp/g20.img 8192 >/dev/null 2>&1 || dd if=/dev/zero of=/tmp/g20.img bs=1M count=8 2>/dev/null
		check gadget-create gadget_create g20 1234 5678 COMPOSITE20 "ms hid" /tmp/g20.img
		check gadget-plug gadget_plug g20
		audit_wait 30 'serial="COMPOSITE20" .*stage=hold verdict=block interfaces="[0-9]+:block [0-9]+:block" rule="/etc/mediagate/mediagate.conf:4"' \
			>/dev/null && ok composite-audit-block || nok composite-audit-block "$(tail -n 2 "$DLOG")"
		sleep 2
		if d=$(usb_by_serial COMPOSITE20); then
			check composite-nothing-bound nothing_bound "$d"
			expect composite-no-input "$(input_of "$d")" ""
			check_fails composite-no-disk disk_of "$d"
		else
			nok composite-enumerated "no usb device with serial COMPOSITE20"
		fi
		gadget_remove g20
	fi
	check kbd-plug req plug-kbd k20
	if wait_until 20 kbd_input >/dev/null; then ok kbd-input; else nok kbd-input "no input device for the QEMU keyboard"; fi
	expect kbd-not-held "$(count_audit 'product="QEMU USB Keyboard"')" 0

	# 5. the daemon dies; a stick plugged meanwhile waits, held, no disk
	d_kill9
	req plug-storage w1 luks REG00001X >/dev/null
	if wait_until 20 usb_by_serial REG00001X >/dev/null; then
		sleep 2
		check_fails wait-no-disk-without-daemon disk_of "$(usb_by_serial REG00001X)"
		check daemon-restart d_start
		audit_wait 30 'serial="REG00001X" .*stage=(hold|replay) verdict=readonly' >/dev/null &&
			ok wait-decided-after-restart || nok wait-decided-after-restart "$(tail -n 3 "$DLOG")"
		wait_until 30 disk_of "$(usb_by_serial REG00001X)" >/dev/null && ok wait-disk-after-restart ||
			nok wait-disk-after-restart "no disk"
		expect wait-never-allowed "$(count_audit 'serial="REG00001X" .*verdict=allow')" 0
	else
		nok wait-plugged "REG00001X never enumerated"
	fi

	# the ledger: one row per stick, with the verdict in force
	inv=$(mediagated --control "$CTL" --ctl inventory 2>&1)
	[[ $inv == *'serial="REG00001" medium="VM-0001" registered=yes media=luks2'*'last_verdict=allow'* ]] &&
		ok inventory-registered || nok inventory-registered "$inv"
	[[ $inv == *'serial="PLAIN001" medium="" registered=no media=plain'*'last_verdict=readonly'* ]] &&
		ok inventory-plain || nok inventory-plain "$inv"
	[[ $inv == *'serial="CLONE001" medium="VM-0001" registered=no media=luks2'* ]] &&
		ok inventory-clone || nok inventory-clone "$inv"
	info "status: $(mediagated --control "$CTL" --ctl status 2>&1 | tr '\n' ';')"
	req unplug-all >/dev/null
}
