# 13-queue-overflow (ABI: "an overflow record when the queue is full"): with
# queue_len=16 and no client, 10 gadget plug/unplug cycles plus one stick
# left plugged overflow the queue; a client then reads whole records, one
# OVERFLOW, no seq gap, and REPLAY recovers the hold that was dropped.
scenario() {
	local i ev n
	MG_MODPARAMS="queue_len=16" mg_load || return
	expect queue-len-param "$(cat /sys/module/mediagate/parameters/queue_len 2>/dev/null)" 16
	check gadget-modules gadget_setup || return
	dd if=/dev/zero of=/tmp/g13.img bs=1M count=4 2>/dev/null
	check gadget-create gadget_create g13 1234 0013 OVERFLOW13 ms /tmp/g13.img || return
	for ((i = 0; i < 10; i++)); do
		gadget_plug g13
		wait_until 15 usb_by_serial OVERFLOW13 || { nok "cycle-$i-plug" "gadget not seen"; break; }
		sleep 0.3
		gadget_unplug g13
		wait_until 15 eval '! usb_by_serial OVERFLOW13'
	done
	gadget_plug g13
	wait_until 15 usb_by_serial OVERFLOW13 || nok last-plug "gadget not seen"
	sleep 1
	ev_mark
	mg_start || return
	sleep 1
	n=$(grep -c '^EV ' "$EVLOG")
	check overflow-record-delivered grep -q '^EV .*type=overflow' "$EVLOG"
	[[ $n -le 16 ]] && ok "at-most-queue-len-records-$n" || nok at-most-queue-len "$n records"
	check_fails no-seqgap-badrec grep -E '^(SEQGAP|BADREC|READERR)' "$EVLOG"
	check replay mg_cmd replay
	if ev=$(ev_wait 5 "type=held .*flags=[^ ]*replay.*serial=OVERFLOW13"); then
		ok replay-recovers-dropped-hold
		check verdict-deny mg_cmd verdict "$(ev_get "$ev" handle)" deny
	else
		nok replay-recovers-dropped-hold "$(tail -n 3 "$EVLOG")"
	fi
	check_fails no-seqgap-after-replay grep -E '^(SEQGAP|BADREC|READERR)' "$EVLOG"
	mg_stop
	gadget_remove g13
	rm -f /tmp/g13.img
	rmmod mediagate
	check reload-default modprobe mediagate
}
