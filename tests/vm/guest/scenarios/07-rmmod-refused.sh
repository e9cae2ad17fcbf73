# 07-rmmod-refused (done-when 7): rmmod is refused while a read-only stick is
# present (with and without a client); after unplug the module unloads cleanly.
scenario() {
	local d ev h disk
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
}
