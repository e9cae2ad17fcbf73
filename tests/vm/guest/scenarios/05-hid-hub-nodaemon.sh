# 05-hid-hub-nodaemon (done-when 5): with the module loaded and no client, a
# USB hub, a keyboard behind it and a mouse bind their drivers normally and
# nothing is held for them.
scenario() {
	local hub kbd i a
	mg_load || return
	check plug-hub req plug-hub hub5 2
	if wait_until 20 eval 'hub=$(grep -l "^09$" /sys/bus/usb/devices/[0-9]*-*/bDeviceClass 2>/dev/null | head -n1) && [[ -n $hub ]]'; then
		hub=$(basename "$(dirname "$hub")")
		ok hub-enumerated
		check hub-driver-bound wait_until 10 eval "[[ \$(intf_driver $hub:1.0) == hub ]]"
		expect hub-authorized "$(cat /sys/bus/usb/devices/$hub/authorized)" 1
	else
		nok hub-enumerated "no hub device within 20 s"
	fi
	check plug-kbd-behind-hub req plug-kbd kbd5 2.1
	check plug-mouse req plug-mouse mouse5
	if wait_until 20 eval 'ls /sys/bus/usb/drivers/usbhid/ | grep -q ":1.0"' &&
		wait_until 20 eval '[[ $(ls /sys/bus/usb/drivers/usbhid/ | grep -c ":1.0") -ge 2 ]]'; then
		ok usbhid-bound-kbd-and-mouse
	else
		nok usbhid-bound-kbd-and-mouse "usbhid has: $(ls /sys/bus/usb/drivers/usbhid/ | tr '\n' ' ')"
	fi
	if wait_until 10 eval 'grep -qi keyboard /sys/class/input/input*/name'; then
		ok keyboard-input-device
	else
		nok keyboard-input-device "input names: $(cat /sys/class/input/input*/name 2>/dev/null | tr '\n' ,)"
	fi
	wait_until 10 eval 'grep -qi mouse /sys/class/input/input*/name' && ok mouse-input-device ||
		nok mouse-input-device "input names: $(cat /sys/class/input/input*/name 2>/dev/null | tr '\n' ,)"
	kbd=$(grep -il keyboard /sys/bus/usb/devices/*/product 2>/dev/null | head -n1)
	[[ -n $kbd ]] && expect keyboard-behind-hub "$(basename "$(dirname "$kbd")")" "${hub:-?}.1"
	# a client connecting now finds nothing pending
	mg_start --replay || return
	sleep 1
	check_fails no-hold-for-hid-or-hub grep -E '^EV .*type=held' "$EVLOG"
	a=$(mg_cmd abi)
	expect abi-pending-0 "$(ev_get "$a" pending)" 0
	check unplug-all req unplug-all
}
