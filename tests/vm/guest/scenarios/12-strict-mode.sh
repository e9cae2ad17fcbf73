# 12-strict-mode (issue 3, module parameter mode=strict): every new USB device
# is held at device level, keyboards and hubs too (flag strict); an allow
# verdict lets the keyboard's usbhid bind.
scenario() {
	local d ev h a
	MG_MODPARAMS="mode=strict" mg_load || return
	expect mode-param "$(cat /sys/module/mediagate/parameters/mode 2>/dev/null)" strict
	mg_start || return
	a=$(mg_cmd abi)
	expect abi-mode-strict "$(ev_get "$a" mode)" 1
	ev_mark
	check plug-kbd req plug-kbd kbd12
	if ! ev=$(ev_wait 20 "type=held .*product=[^ ]*[Kk]eyboard"); then
		nok keyboard-held "no HELD for the keyboard: $(tail -n 3 "$EVLOG")"
		check unplug-kbd req unplug kbd12
		return
	fi
	ok keyboard-held
	expect held-level-device "$(ev_get "$ev" level)" device
	[[ $(ev_get "$ev" flags) == *strict* ]] && ok flag-strict || nok flag-strict "$ev"
	d=$(ev_get "$ev" devpath)
	h=$(ev_get "$ev" handle)
	sleep 1
	check nothing-bound-before-verdict nothing_bound "$d"
	expect no-input-before-verdict "$(input_of "$d")" ""
	check verdict-allow mg_cmd verdict "$h" allow
	check usbhid-bound-after-allow wait_until 20 eval "[[ \$(intf_driver $d:1.0) == usbhid ]]"
	wait_until 10 eval "[[ -n \$(input_of $d) ]]" && ok input-device-after-allow ||
		nok input-device-after-allow "no input device under $d"
	check unplug-kbd req unplug kbd12
	mg_stop
	rmmod mediagate
	check reload-storage-mode modprobe mediagate
}
