# 91-kmod-extra (kmod helper's private checks, not part of the suite):
# sweep at load (present-at-load, in-place readonly/allow), rmmod -f with a
# read-only host and a reader running, RELEASE_ALL, mode=strict.
scenario() {
	local d ev h disk sg a pid i intf
	# --- A: a stick bound before the module loads ---
	mg_stop
	mg_loaded && rmmod mediagate
	check_fails a-unloaded mg_loaded
	check a-plug req plug-storage x91 data PRESENT11
	wait_until 20 eval 'd=$(usb_by_serial PRESENT11); [[ -n $d ]] && disk_of $d' || nok a-disk-without-module "no disk"
	d=$(usb_by_serial PRESENT11)
	check a-modprobe modprobe mediagate
	ev_mark
	mg_start --replay || return
	if ev=$(ev_wait 10 "type=held .*flags=[^ ]*present.*serial=PRESENT11"); then
		ok a-held-present-at-load
		info "a: $ev"
	else
		nok a-held-present-at-load "$(tail -n 3 "$EVLOG")"
	fi
	expect a-level-interface "$(ev_get "$ev" level)" interface
	expect a-driver "$(ev_get "$ev" driver)" usb-storage
	h=$(ev_get "$ev" handle)
	disk=$(disk_of "$d")
	check a-verdict-ro mg_cmd verdict "$h" readonly
	sleep 1
	expect a-ro-in-place "$(cat /sys/block/$disk/ro)" 1
	expect a-same-disk "$(disk_of "$d")" "$disk"
	sg=$(sg_of "$disk")
	sg_write_refused a-sg-write10-refused "/dev/$sg" 2a 00 00 00 00 00 00 00 01 00
	check a-verdict-allow mg_cmd verdict "$h" allow
	sleep 1
	expect a-rw-in-place "$(cat /sys/block/$disk/ro)" 0
	rw_checks a-rw "$disk"

	# --- B: rmmod -f with a read-only host and a reader running ---
	check b-verdict-ro mg_cmd verdict "$h" readonly
	sleep 1
	expect b-ro "$(cat /sys/block/$disk/ro)" 1
	mg_stop
	(while :; do dd if=/dev/$disk of=/dev/null bs=64k count=64 iflag=direct 2>/dev/null; done) &
	pid=$!
	sleep 1
	check_fails b-rmmod-refused rmmod mediagate
	check b-rmmod-force rmmod -f mediagate
	sleep 2
	kill $pid; wait $pid 2>/dev/null
	check_fails b-unloaded mg_loaded
	intf=$(ls -d /sys/bus/usb/devices/$d:* 2>/dev/null | head -n1)
	expect b-intf-revoked "$(cat $intf/authorized 2>/dev/null)" 0
	check_fails b-no-disk disk_of "$d"
	check b-unplug req unplug x91
	sleep 1
	check b-reload modprobe mediagate

	# --- C: RELEASE_ALL lets rmmod through with a pending hold ---
	mg_start || return
	ev_mark
	check c-plug req plug-storage x92 data RELEASE12
	ev=$(ev_wait 20 "type=held .*serial=RELEASE12") && ok c-held || nok c-held "$(tail -n 3 "$EVLOG")"
	mg_stop
	check_fails c-rmmod-refused-hold rmmod mediagate
	mg_start || return
	a=$(mg_cmd release)
	info "c: $a"
	mg_stop
	check c-rmmod-after-release rmmod mediagate
	d=$(usb_by_serial RELEASE12)
	expect c-still-unauthorized "$(cat /sys/bus/usb/devices/$d/authorized)" 0
	check c-unplug req unplug x92

	# --- D: mode=strict holds a keyboard; allow makes it work ---
	check d-modprobe-strict modprobe mediagate mode=strict
	expect d-param "$(cat /sys/module/mediagate/parameters/mode)" strict
	mg_start || return
	ev_mark
	check d-plug-kbd req plug-kbd x93
	if ev=$(ev_wait 20 "type=held .*flags=[^ ]*strict"); then
		ok d-held-strict
		h=$(ev_get "$ev" handle)
		d=$(ev_get "$ev" devpath)
		sleep 1
		expect d-no-input-before "$(input_of "$d")" ""
		check d-allow mg_cmd verdict "$h" allow
		wait_until 10 eval '[[ -n $(input_of $d) ]]' && ok d-input-after-allow || nok d-input-after-allow "no input device"
	else
		nok d-held-strict "$(tail -n 3 "$EVLOG")"
	fi
	check d-unplug req unplug x93
	mg_stop
	sleep 1
	check d-rmmod rmmod mediagate
	check d-reload modprobe mediagate

	# --- E: an interface offered to usb-storage by ID (vendor-class path) ---
	mg_start || return
	ev_mark
	check e-plug-kbd req plug-kbd x94
	wait_until 10 eval 'd=$(ls /sys/bus/usb/drivers/usbhid/ 2>/dev/null | grep -m1 ":1.0")' || true
	if [[ -n ${d:-} ]]; then
		echo "$d" >/sys/bus/usb/drivers/usbhid/unbind
		echo "0627 0001" >/sys/bus/usb/drivers/usb-storage/new_id 2>/dev/null ||
			echo "$d" >/sys/bus/usb/drivers/usb-storage/bind 2>/dev/null
		if ev=$(ev_wait 10 "type=held .*level=interface .*devpath=$d .*driver=usb-storage"); then
			ok e-held-when-offered-to-usb-storage
			h=$(ev_get "$ev" handle)
			expect e-intf-unauthorized "$(cat /sys/bus/usb/devices/$d/authorized)" 0
			expect e-not-bound "$(intf_driver "$d")" ""
			check e-deny mg_cmd verdict "$h" deny
		else
			nok e-held-when-offered-to-usb-storage "$(tail -n 3 "$EVLOG")"
		fi
	else
		nok e-kbd-bound "no usbhid interface"
	fi
	check e-unplug req unplug x94

	# --- F: composite gadget, device verdict readonly with no intf_verdict:
	# storage inherits readonly, HID inherits it too and that means DENY ---
	check f-gadget-modules gadget_setup || return
	dd if=/dev/zero of=/tmp/g91.img bs=1M count=8 2>/dev/null
	check f-gadget-create gadget_create g91 1234 0091 INHERIT91 "ms hid" /tmp/g91.img || return
	ev_mark
	check f-plug gadget_plug g91
	if ev=$(ev_wait 20 "type=held .*serial=INHERIT91"); then
		h=$(ev_get "$ev" handle)
		d=$(usb_by_serial INHERIT91)
		check f-verdict-readonly mg_cmd verdict "$h" readonly
		if wait_until 20 disk_of "$d"; then
			disk=$(disk_of "$d")
			expect f-disk-ro "$(cat /sys/block/$disk/ro)" 1
		else
			nok f-disk "no disk"
		fi
		sleep 1
		expect f-no-input "$(input_of "$d")" ""
		for i in /sys/bus/usb/devices/$d:*; do
			[[ $(cat "$i/bInterfaceClass") == 03 ]] || continue
			expect f-hid-unauthorized "$(cat "$i/authorized")" 0
			expect f-hid-unbound "$(intf_driver "$(basename "$i")")" ""
		done
	else
		nok f-held "$(tail -n 3 "$EVLOG")"
	fi
	gadget_unplug g91
	gadget_remove g91
	rm -f /tmp/g91.img
	expect f-seq-ok "$(grep -cE '^(SEQGAP|BADREC|READERR)' "$EVLOG")" 0
	mg_stop
}
