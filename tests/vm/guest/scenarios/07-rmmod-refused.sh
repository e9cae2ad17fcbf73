# 07-rmmod-refused (done-when 7): rmmod is refused while a read-only stick is
# present (with and without a client); after unplug the module unloads cleanly.
# Then the admin's way out: RELEASE_ALL with a read-only stick still plugged
# unbinds it fail-closed (disk gone, never writable) and rmmod works.
scenario() {
	local d ev h disk a
	mg_load || return
	mg_start || return
	ev_mark
	check plug req plug-storage s7 data RMMOD0007
	if ! ev=$(ev_wait 20 "type=held .*serial=RMMOD0007"); then
		nok held-event "no HELD for RMMOD0007 within 20 s: $(tail -n 3 "$EVLOG")"
		return
	fi
	h=$(ev_get "$ev" handle)
	d=$(usb_by_serial RMMOD0007)
	check verdict-readonly mg_cmd verdict "$h" readonly
	wait_until 20 disk_of "$d" && ok disk-appears || nok disk-appears "no disk after readonly"
	disk=$(disk_of "$d")
	mg_stop
	check_fails rmmod-refused-ro-present rmmod mediagate
	check still-loaded mg_loaded
	[[ -n $disk ]] && expect still-read-only "$(cat /sys/block/$disk/ro 2>/dev/null)" 1
	[[ -n $disk ]] && check_fails still-no-write dd if=/dev/zero of=/dev/$disk bs=4096 count=1 oflag=direct
	udevadm settle --timeout=10
	check unplug req unplug s7
	wait_until 10 eval '! usb_by_serial RMMOD0007'
	sleep 1
	check rmmod-after-unplug rmmod mediagate
	check_fails unloaded mg_loaded
	check reload modprobe mediagate

	mg_start || return
	ev_mark
	check plug-2 req plug-storage s7b data RELEASE007
	if ! ev=$(ev_wait 20 "type=held .*serial=RELEASE007"); then
		nok held-event-2 "no HELD for RELEASE007: $(tail -n 3 "$EVLOG")"
		return
	fi
	d=$(usb_by_serial RELEASE007)
	check verdict-readonly-2 mg_cmd verdict "$(ev_get "$ev" handle)" readonly
	wait_until 20 disk_of "$d" && ok disk-appears-2 || nok disk-appears-2 "no disk after readonly"
	udevadm settle --timeout=10
	check_fails rmmod-refused-before-release rmmod mediagate
	a=$(mg_cmd release)
	[[ $a == *rc=0* && $(ev_get "$a" count) -ge 1 ]] && ok release-all || nok release-all "$a"
	mg_stop
	check disk-gone-after-release wait_until 10 eval "! disk_of $d"
	check rmmod-after-release rmmod mediagate
	check_fails no-disk-without-module disk_of "$d"
	check unplug-2 req unplug s7b
	check reload-2 modprobe mediagate
}
