# 14-vendor-class-by-id (issue 3: "any interface offered to usb-storage, uas or
# ums-* without an allow verdict is held too (vendor-class sticks that
# usb-storage claims by ID)"): a gadget with only a vendor-class interface
# (SourceSink), which usb-storage is told to claim by VID:PID (new_id, as an
# unusual_devs entry would): not held as a device, but its interface is held
# when offered to usb-storage, stays unbound, and deny keeps it so.
scenario() {
	local d ev h g=$GADGET/g14
	mg_load || return
	check gadget-modules gadget_setup || return
	check ss-lb-module modprobe usb_f_ss_lb || return
	mkdir -p "$g/strings/0x409" "$g/configs/c.1/strings/0x409" "$g/functions/SourceSink.0"
	echo 0x1234 >"$g/idVendor"
	echo 0x0014 >"$g/idProduct"
	echo VENDOR014 >"$g/strings/0x409/serialnumber"
	echo cfg >"$g/configs/c.1/strings/0x409/configuration"
	ln -s "$g/functions/SourceSink.0" "$g/configs/c.1/"
	check usb-storage-new-id sh -c 'echo "1234 0014" >/sys/bus/usb/drivers/usb-storage/new_id'
	mg_start || return
	ev_mark
	check gadget-plug gadget_plug g14
	if ! wait_until 20 usb_by_serial VENDOR014; then
		nok gadget-seen "no usb device with serial VENDOR014"
		return
	fi
	d=$(usb_by_serial VENDOR014)
	if ev=$(ev_wait 15 "type=held .*level=interface .*devpath=$d:"); then
		ok interface-held
		expect held-interface-class "$(ev_get "$ev" intf | cut -d/ -f2)" ff
		h=$(ev_get "$ev" handle)
		info "held: driver=$(ev_get "$ev" driver) devpath=$(ev_get "$ev" devpath)"
	else
		nok interface-held "no interface-level HELD for $d: $(tail -n 3 "$EVLOG")"
	fi
	check_fails no-device-level-hold grep -qE "^EV .*type=held .*level=device .*devpath=$d " "$EVLOG"
	expect device-authorized "$(cat /sys/bus/usb/devices/$d/authorized)" 1
	sleep 1
	expect usb-storage-not-bound "$(intf_driver "$d:1.0")" ""
	if [[ -n ${h:-} ]]; then
		check verdict-deny mg_cmd verdict "$h" deny
		echo "$d:1.0" >/sys/bus/usb/drivers/usb-storage/bind 2>/dev/null
		sleep 1
		expect still-unbound-after-deny-and-bind "$(intf_driver "$d:1.0")" ""
	fi
	echo "1234 0014" >/sys/bus/usb/drivers/usb-storage/remove_id 2>/dev/null
	gadget_remove g14
}
