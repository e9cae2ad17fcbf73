# 01-nodaemon-hold (issue 3, done-when 1): a stick plugged while no client has
# /dev/mediagate open stays held (not authorized, no driver, no /dev/sd*);
# a client connecting later gets the hold through REPLAY; closing the client
# keeps the hold (fail-closed) and a second REPLAY gets it again.
scenario() {
	local d i h ev a
	mg_load || return
	check plug req plug-storage s1 data NODAEMON01
	if ! wait_until 20 usb_by_serial NODAEMON01; then
		nok usb-device-seen "no usb device with serial NODAEMON01 within 20 s"
		return
	fi
	d=$(usb_by_serial NODAEMON01)
	sleep 2 # give a wrongly unheld stick time to show a disk
	if [[ $(cat /sys/bus/usb/devices/$d/authorized) == 0 ]]; then
		ok device-held-authorized-0
	else
		# held at interface level instead: every storage interface unauthorized
		for i in /sys/bus/usb/devices/$d:*; do
			expect "interface-$(basename $i)-authorized-0" "$(cat $i/authorized 2>/dev/null)" 0
		done
	fi
	check no-driver-bound nothing_bound "$d"
	check_fails no-disk disk_of "$d"

	ev_mark
	mg_start --replay || return
	ev=$(ev_wait 5 "type=held .*flags=[^ ]*replay.*serial=NODAEMON01")
	if [[ -n $ev ]]; then
		ok held-event-via-replay
		grep -qE '^EV .*type=held .*flags=- .*serial=NODAEMON01' "$EVLOG" &&
			info "the HELD queued while no client was connected was also delivered on open"
		expect held-event-vid-pid "$(ev_get "$ev" vid):$(ev_get "$ev" pid)" 46f4:0001
		expect held-event-devpath "$(ev_get "$ev" devpath)" "$d"
		h=$(ev_get "$ev" handle)
		a=$(mg_cmd desc "$h")
		[[ $a == *rc=0*bLength=18\ bDescriptorType=1\ vid=46f4\ pid=0001* ]] &&
			ok get-descriptors || nok get-descriptors "$a"
	else
		nok held-event-via-replay "no HELD with the replay flag for NODAEMON01: $(tail -n 3 "$EVLOG")"
	fi
	a=$(mg_cmd abi)
	[[ $(ev_get "$a" pending) -ge 1 ]] && ok abi-pending-ge-1 || nok abi-pending-ge-1 "$a"
	check_fails no-seq-gap-or-bad-record grep -E '^(SEQGAP|BADREC|READERR)' "$EVLOG"

	# the client goes away: still held; reconnect + REPLAY gets it again
	mg_stop
	sleep 1
	check_fails still-no-disk-after-client-close disk_of "$d"
	ev_mark
	mg_start --replay || return
	if ev=$(ev_wait 5 "type=held .*flags=[^ ]*replay.*serial=NODAEMON01"); then
		ok replay-again-after-reconnect
		[[ -n $h && $(ev_get "$ev" handle) == "$h" ]] && ok handle-stable-across-replay ||
			nok handle-stable-across-replay "first $h, now $(ev_get "$ev" handle)"
	else
		nok replay-again-after-reconnect "$(tail -n 3 "$EVLOG")"
	fi
	ev_mark
	check unplug req unplug s1
	ev=$(ev_wait 10 "type=removed .*devpath=$d ") && ok removed-event || nok removed-event "$(tail -n 3 "$EVLOG")"
}
