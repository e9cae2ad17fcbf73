# 11-present-at-load (issue 3, module: "devices already present at module
# load are found and held/reported"): a stick bound to usb-storage before
# mediagate.ko loads is reported (HELD, flag present, its driver named), and a
# readonly verdict then puts it behind the write-blocker.
scenario() {
	local d ev h disk
	mg_stop
	mg_loaded && rmmod mediagate
	check_fails module-unloaded mg_loaded
	check plug req plug-storage s11 data PRESENT011
	if ! wait_until 20 eval 'd=$(usb_by_serial PRESENT011) && disk_of "$d" >/dev/null'; then
		nok disk-before-load "the stick did not get a disk without the module"
		return
	fi
	d=$(usb_by_serial PRESENT011)
	udevadm settle --timeout=10
	mg_load || return
	ev_mark
	mg_start --replay || return
	if ! ev=$(ev_wait 10 "type=held .*serial=PRESENT011"); then
		nok held-at-load "no HELD for PRESENT011 after load: $(tail -n 3 "$EVLOG")"
		return
	fi
	ok held-at-load
	[[ $(ev_get "$ev" flags) == *present* ]] && ok flag-present-at-load || nok flag-present-at-load "$ev"
	expect reports-bound-driver "$(ev_get "$ev" driver)" usb-storage
	h=$(ev_get "$ev" handle)
	check verdict-readonly mg_cmd verdict "$h" readonly
	if wait_until 20 eval "disk=\$(disk_of $d) && [[ \$(cat /sys/block/\$disk/ro) == 1 ]]"; then
		ok disk-read-only-after-verdict
		disk=$(disk_of "$d")
		udevadm settle --timeout=10
		expect read-checksum "$(dd if=/dev/$disk bs=1M 2>/dev/null | sha256sum | cut -d' ' -f1)" "$DATA_SHA"
		sg_write_refused sg-write10-data-protect "/dev/$(sg_of "$disk")" 2a 00 00 00 00 00 00 00 01 00
		check_fails dd-write-fails dd if=/dev/zero of=/dev/$disk bs=4096 count=1 oflag=direct
		udevadm settle --timeout=10
	else
		nok disk-read-only-after-verdict "disk '$(disk_of "$d")' ro=$(cat /sys/block/$(disk_of "$d")/ro 2>/dev/null)"
	fi
	check unplug req unplug s11
}
