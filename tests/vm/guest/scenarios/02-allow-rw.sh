# 02-allow-rw (done-when 2): verdict allow -> /dev/sdX appears; write, sync,
# read back gives the same bytes; the write reached the host image.
scenario() {
	local d ev h disk s
	mg_load || return
	mg_start || return
	ev_mark
	check plug req plug-storage s2 data ALLOW0002
	if ! ev=$(ev_wait 20 "type=held .*serial=ALLOW0002"); then
		nok held-event "no HELD for ALLOW0002 within 20 s: $(tail -n 3 "$EVLOG")"
		return
	fi
	ok held-event
	h=$(ev_get "$ev" handle)
	d=$(usb_by_serial ALLOW0002)
	check_fails no-disk-before-verdict disk_of "$d"
	ev_mark
	check verdict-allow mg_cmd verdict "$h" allow
	ev=$(ev_wait 10 "type=applied handle=$h .*verdict=allow") && ok applied-event ||
		nok applied-event "$(tail -n 3 "$EVLOG")"
	if ! wait_until 20 disk_of "$d"; then
		nok disk-appears "no /dev/sd* under $d 20 s after allow"
		return
	fi
	ok disk-appears
	disk=$(disk_of "$d")
	udevadm settle --timeout=10
	expect read-checksum "$(dd if=/dev/$disk bs=1M 2>/dev/null | sha256sum | cut -d' ' -f1)" "$DATA_SHA"
	rw_checks allow "$disk"
	mkdir -p /mnt/s2
	if check mount-rw mount /dev/$disk /mnt/s2; then
		check write-file sh -c 'echo hello >/mnt/s2/new.txt && sync'
		umount /mnt/s2
		mount -o ro /dev/$disk /mnt/s2 && expect file-after-remount "$(cat /mnt/s2/new.txt)" hello
		umount /mnt/s2
	fi
	check unplug req unplug s2
	s=$(req sha s2)
	[[ $s == ok* && ${s#ok } != "$DATA_SHA" ]] && ok host-image-changed ||
		nok host-image-changed "host sha ${s#ok } still the original"
}
