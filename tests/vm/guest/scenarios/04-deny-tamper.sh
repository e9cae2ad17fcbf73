# 04-deny-tamper (done-when 4): verdict deny -> nothing binds; root writing
# authorized=1 and binding usb-storage by hand is undone by the watchdog and
# reported (TAMPER, or BIND_BLOCKED when the bind is vetoed outright).
scenario() {
	local d ev h i intf k
	mg_load || return
	mg_start || return
	ev_mark
	check plug req plug-storage s4 data DENY0004
	if ! ev=$(ev_wait 20 "type=held .*serial=DENY0004"); then
		nok held-event "no HELD for DENY0004 within 20 s: $(tail -n 3 "$EVLOG")"
		return
	fi
	h=$(ev_get "$ev" handle)
	d=$(usb_by_serial DENY0004)
	ev_mark
	check verdict-deny mg_cmd verdict "$h" deny
	ev_wait 10 "type=applied handle=$h .*verdict=deny" >/dev/null && ok applied-event ||
		nok applied-event "$(tail -n 3 "$EVLOG")"
	sleep 2
	check nothing-bound-after-deny nothing_bound "$d"
	check_fails no-disk-after-deny disk_of "$d"

	# root tries every way around it, in a tight loop to race the watchdog
	ev_mark
	for ((k = 0; k < 10; k++)); do
		echo 1 >/sys/bus/usb/devices/$d/authorized 2>/dev/null
		for i in /sys/bus/usb/devices/$d:*; do
			[[ -e $i ]] || continue
			intf=$(basename "$i")
			echo 1 >"$i/authorized" 2>/dev/null
			echo "$intf" >/sys/bus/usb/drivers_probe 2>/dev/null
			echo "$intf" >/sys/bus/usb/drivers/usb-storage/bind 2>/dev/null
		done
		sleep 0.2
	done
	[[ -n ${intf:-} ]] || info "no interface appeared after authorized=1 (device stayed unconfigured)"
	sleep 3
	udevadm settle --timeout=10
	expect device-deauthorized-again "$(cat /sys/bus/usb/devices/$d/authorized 2>/dev/null)" 0
	check no-storage-driver-after-tamper eval "! ls -d /sys/bus/usb/drivers/usb-storage/$d:* >/dev/null 2>&1"
	check_fails no-disk-after-tamper disk_of "$d"
	check_fails no-disk-ever-attached eval "dmesg | grep 'Attached SCSI'"
	if ev=$(ev_wait 5 "type=(tamper|bind_blocked) .*devpath=$d"); then
		ok tamper-reported
		info "reported as: $(ev_get "$ev" type) driver=$(ev_get "$ev" driver) devpath=$(ev_get "$ev" devpath)"
	else
		nok tamper-reported "no TAMPER/BIND_BLOCKED event for $d: $(tail -n 3 "$EVLOG")"
	fi
	check unplug req unplug s4
	s=$(req sha s4)
	expect host-image-untouched "${s#ok }" "$DATA_SHA"
}
