# 06-composite-gadget (done-when 6): a configfs gadget with mass storage + HID
# keyboard (dummy_hcd, VID:PID 1234:5678). Neither interface binds before the
# verdict; storage-readonly + HID-deny gives a read-only disk and no input
# device; a plain deny leaves both unbound.
scenario() {
	local d ev h disk nums ms hid i sha
	mg_load || return
	check gadget-modules gadget_setup || return
	mkfs.vfat -C /tmp/g6.img 8192 >/dev/null 2>&1 || dd if=/dev/zero of=/tmp/g6.img bs=1M count=8 2>/dev/null
	sha=$(sha256sum </tmp/g6.img | cut -d' ' -f1)
	check gadget-create gadget_create g6 1234 5678 COMPOSITE06 "ms hid" /tmp/g6.img || return
	mg_start || return

	ev_mark
	check gadget-plug gadget_plug g6
	if ! ev=$(ev_wait 20 "type=held .*serial=COMPOSITE06"); then
		nok held-event "no HELD for COMPOSITE06 within 20 s: $(tail -n 3 "$EVLOG")"
		return
	fi
	ok held-event
	expect held-vid-pid "$(ev_get "$ev" vid):$(ev_get "$ev" pid)" 1234:5678
	expect held-level-device "$(ev_get "$ev" level)" device
	nums=$(ev_get "$ev" intfs)
	ms=$(tr , '\n' <<<"$nums" | grep ':08/' | cut -d: -f1)
	hid=$(tr , '\n' <<<"$nums" | grep ':03/' | cut -d: -f1)
	[[ -n $ms && -n $hid ]] && ok held-lists-storage-and-hid-interfaces ||
		nok held-lists-storage-and-hid-interfaces "intfs=$nums"
	h=$(ev_get "$ev" handle)
	d=$(usb_by_serial COMPOSITE06)
	sleep 1
	check nothing-bound-before-verdict nothing_bound "$d"
	expect no-input-before-verdict "$(input_of "$d")" ""
	check_fails no-disk-before-verdict disk_of "$d"

	ev_mark
	check verdict-ro-storage-deny-hid mg_cmd verdict "$h" readonly "${ms:-0}=readonly" "${hid:-1}=deny"
	if wait_until 20 disk_of "$d"; then
		ok disk-appears
		disk=$(disk_of "$d")
		udevadm settle --timeout=10
		ro_checks ro "$disk" "$sha"
	else
		nok disk-appears "no /dev/sd* under $d 20 s after the verdict"
	fi
	sleep 1
	expect no-input-device-hid-denied "$(input_of "$d")" ""
	for i in /sys/bus/usb/devices/$d:*; do
		[[ -e $i && $(cat "$i/bInterfaceClass") == 03 ]] &&
			expect hid-interface-unbound "$(intf_driver "$(basename "$i")")" ""
	done

	# re-plug, deny everything
	gadget_unplug g6
	wait_until 10 eval '! usb_by_serial COMPOSITE06'
	ev_mark
	check gadget-replug gadget_plug g6
	if ! ev=$(ev_wait 20 "type=held .*serial=COMPOSITE06"); then
		nok held-event-replug "no HELD for COMPOSITE06 after re-plug: $(tail -n 3 "$EVLOG")"
		return
	fi
	h=$(ev_get "$ev" handle)
	d=$(usb_by_serial COMPOSITE06)
	check verdict-deny mg_cmd verdict "$h" deny
	sleep 2
	check deny-nothing-bound nothing_bound "$d"
	expect deny-no-input "$(input_of "$d")" ""
	check_fails deny-no-disk disk_of "$d"
	gadget_unplug g6
	expect backing-file-unchanged "$(sha256sum </tmp/g6.img | cut -d' ' -f1)" "$sha"
	gadget_remove g6
	rm -f /tmp/g6.img
}
