# 10-verdict-change (done-when 10): on the same handle, readonly -> allow makes
# writes work on the same disk; allow -> readonly makes them fail again,
# checked with the same battery as 03; a write fd opened before the switch to
# readonly fails afterwards.
scenario() {
	local d ev h disk disk2
	mg_load || return
	mg_start || return
	ev_mark
	check plug req plug-storage s10 data CHANGE0010
	if ! ev=$(ev_wait 20 "type=held .*serial=CHANGE0010"); then
		nok held-event "no HELD for CHANGE0010 within 20 s: $(tail -n 3 "$EVLOG")"
		return
	fi
	h=$(ev_get "$ev" handle)
	d=$(usb_by_serial CHANGE0010)
	check verdict-readonly mg_cmd verdict "$h" readonly
	if ! wait_until 20 disk_of "$d"; then
		nok disk-appears "no disk after readonly"
		return
	fi
	disk=$(disk_of "$d")
	udevadm settle --timeout=10
	expect ro-sysfs-ro "$(cat /sys/block/$disk/ro)" 1
	check_fails ro-dd-write-fails dd if=/dev/zero of=/dev/$disk bs=4096 count=1 oflag=direct conv=fsync
	udevadm settle --timeout=10
	expect ro-read-checksum "$(dd if=/dev/$disk bs=1M 2>/dev/null | sha256sum | cut -d' ' -f1)" "$DATA_SHA"

	ev_mark
	check verdict-allow-same-handle mg_cmd verdict "$h" allow
	ev_wait 10 "type=applied handle=$h .*verdict=allow" >/dev/null && ok applied-allow ||
		nok applied-allow "$(tail -n 3 "$EVLOG")"
	if wait_until 20 eval "[[ \$(cat /sys/block/$disk/ro 2>/dev/null) == 0 ]]"; then
		ok same-disk-writable
	else
		disk2=$(disk_of "$d")
		nok same-disk-writable "/sys/block/$disk/ro=$(cat /sys/block/$disk/ro 2>/dev/null), disk now '$disk2'"
		[[ -n $disk2 ]] && disk=$disk2
	fi
	udevadm settle --timeout=10
	rw_checks allow "$disk"
	zero512
	check allow-sg-write10-passes timeout 30 sg_raw -s 512 -i /tmp/zero512 "/dev/$(sg_of "$disk")" 2a 00 00 00 08 00 00 00 01 00

	# a write fd opened while allowed must be useless after the switch (ABI doc)
	exec 7<>"/dev/$disk"
	check write-fd-works-while-allowed \
		sh -c 'exec dd if=/tmp/zero512 bs=512 count=1 oflag=direct conv=notrunc,fsync 1>&7'
	ev_mark
	check verdict-readonly-again mg_cmd verdict "$h" readonly
	ev_wait 10 "type=applied handle=$h .*verdict=readonly" >/dev/null && ok applied-readonly-again ||
		nok applied-readonly-again "$(tail -n 3 "$EVLOG")"
	wait_until 20 eval "[[ \$(cat /sys/block/$disk/ro 2>/dev/null) == 1 ]]"
	udevadm settle --timeout=10
	check_fails write-fd-opened-before-switch-fails \
		sh -c 'exec dd if=/tmp/zero512 bs=512 count=1 oflag=direct conv=notrunc,fsync 1>&7'
	exec 7>&-
	udevadm settle --timeout=10
	ro_checks back-ro "$disk"
	check unplug req unplug s10
}
