# 03-readonly (done-when 3): verdict readonly -> reads give the image's exact
# bytes; dd, mkfs, blkdiscard, --setrw + dd, SCSI write commands through
# /dev/sgN and SG_IO on /dev/sdX all fail (DATA PROTECT for the SCSI ones);
# mount ends up read-only; a SCSI rescan and root unbinding/rebinding
# usb-storage keep it read-only; the host image is byte-identical afterwards.
scenario() {
	local d ev h disk s intf
	mg_load || return
	mg_start || return
	ev_mark
	check plug req plug-storage s3 data READONLY03
	if ! ev=$(ev_wait 20 "type=held .*serial=READONLY03"); then
		nok held-event "no HELD for READONLY03 within 20 s: $(tail -n 3 "$EVLOG")"
		return
	fi
	h=$(ev_get "$ev" handle)
	d=$(usb_by_serial READONLY03)
	ev_mark
	check verdict-readonly mg_cmd verdict "$h" readonly
	ev_wait 10 "type=applied handle=$h .*verdict=readonly" >/dev/null && ok applied-event ||
		nok applied-event "$(tail -n 3 "$EVLOG")"
	if ! wait_until 20 disk_of "$d"; then
		nok disk-appears "no /dev/sd* under $d 20 s after readonly"
		check unplug req unplug s3
		return
	fi
	ok disk-appears
	disk=$(disk_of "$d")
	udevadm settle --timeout=10
	ro_checks ro "$disk" "$DATA_SHA"
	check sd-reports-write-protect eval "dmesg | grep -q 'Write Protect is on'"

	# SCSI revalidation
	echo 1 >/sys/block/$disk/device/rescan
	sleep 1
	udevadm settle --timeout=10
	ro_checks rescan "$disk" "$DATA_SHA"

	# root unbinds and rebinds the storage driver by hand
	intf=$(readlink -f /sys/block/$disk | tr / '\n' | grep -m1 "^$d:")
	echo "$intf" >/sys/bus/usb/drivers/usb-storage/unbind
	udevadm settle --timeout=10
	check_fails disk-gone-after-unbind disk_of "$d"
	echo "$intf" >/sys/bus/usb/drivers/usb-storage/bind 2>"$RUN/out"
	if wait_until 20 disk_of "$d"; then
		disk=$(disk_of "$d")
		udevadm settle --timeout=10
		info "manual rebind of $intf: disk $disk came back"
		ro_checks rebind "$disk" "$DATA_SHA"
	else
		info "manual rebind of $intf refused or no disk: $(cat "$RUN/out")"
		expect rebind-refused-no-driver "$(intf_driver "$intf")" ""
	fi

	check unplug req unplug s3
	s=$(req sha s3)
	expect host-image-byte-identical "${s#ok }" "$DATA_SHA"

	# a LUKS2 stick: its header is readable through the write-blocker (what
	# the daemon probes before upgrading a registered stick)
	ev_mark
	check plug-luks req plug-storage s3l luks LUKS0003
	if ev=$(ev_wait 20 "type=held .*serial=LUKS0003"); then
		d=$(usb_by_serial LUKS0003)
		check luks-verdict-readonly mg_cmd verdict "$(ev_get "$ev" handle)" readonly
		if wait_until 20 disk_of "$d"; then
			disk=$(disk_of "$d")
			udevadm settle --timeout=10
			expect luks-blkid-type "$(blkid -o value -s TYPE /dev/$disk)" crypto_LUKS
			expect luks-uuid-read-through-blocker "$(cryptsetup luksUUID /dev/$disk 2>&1)" "$LUKS_UUID"
			check_fails luks-header-write-refused dd if=/dev/zero of=/dev/$disk bs=4096 count=1 oflag=direct
			udevadm settle --timeout=10
		else
			nok luks-disk-appears "no disk for the LUKS stick"
		fi
	else
		nok luks-held "no HELD for LUKS0003: $(tail -n 3 "$EVLOG")"
	fi
	check unplug-luks req unplug s3l
	s=$(req sha s3l)
	expect luks-host-image-byte-identical "${s#ok }" "$LUKS_SHA"
}
