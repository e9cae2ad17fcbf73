# Side by side with USBGuard (issue 7): the phases both daemons go through,
# sourced by 80-sbs-mediagate.sh and 81-sbs-usbguard.sh on top of the
# harness's /mg/lib.sh. Not a scenario itself. The scenario defines
#   tool_start     start the daemon (its pid in $RUN/sbs.pid), succeed when ready
#   tool_decided   print how many decisions the daemon has logged so far
#   tool_probes    kprobe_events lines for the moment of the decision
#   tool_stop      stop it and undo what it changed
# and calls sbs_run TOOL. Policy of both: the stick with serial $SBS_ALLOW
# may be used, every other storage device is blocked, everything else is
# allowed (bench/usbguard/conf/).
#
# Raw data go to /results/sbs-TOOL-PHASE-{kmsg,trace}.txt (printk and ftrace
# timestamps, the same clock: local_clock, trace_clock=global); bench/usbguard/analyze.py on the
# host turns them into latencies. Figures that need no pairing (RSS, CPU,
# counts) go out as "INFO ... SBS key=value ..." markers.
# Parameters (kernel command line): mg.sbsplugs=N allowed plugs (50),
# mg.sbsblocked=N blocked plugs (20), mg.sbscycles=N plug/unplug cycles
# (1000), mg.sbsburst=N sticks behind hubs (32, at most 32).
SBS_ALLOW=SBSALLOW01
SBS_G=sbs
TR=/sys/kernel/tracing

sbs_param() {
	local v
	v=$(sed -n "s/.*mg\.sbs$1=\([^ ]*\).*/\1/p" /proc/cmdline)
	echo "${v:-$2}"
}
sbs() { info "SBS tool=$TOOL $*"; }

# trace_setup: tracefs, the tool's kprobes, an empty buffer
trace_setup() {
	grep -q " $TR tracefs" /proc/mounts || mount -t tracefs nodev $TR || return 1
	echo 0 >$TR/tracing_on
	# printk stamps with local_clock(); the trace clock "local" is raw
	# sched_clock() (a constant offset away), "global" is local_clock()
	echo global >$TR/trace_clock || return 1
	echo >$TR/kprobe_events
	tool_probes >$RUN/probes
	while read -r p; do
		echo "$p" >>$TR/kprobe_events || { echo "kprobe refused: $p"; return 1; }
	done <$RUN/probes
	echo 1 >$TR/events/sbs/enable || return 1
	echo 4096 >$TR/buffer_size_kb
	echo >$TR/trace
	echo 1 >$TR/tracing_on
}
trace_off() {
	echo 0 >$TR/tracing_on 2>/dev/null
	echo 0 >$TR/events/sbs/enable 2>/dev/null
	echo >$TR/kprobe_events 2>/dev/null
}
# phase_begin / phase_dump NAME: kernel log and trace of one phase
phase_begin() {
	dmesg -c >/dev/null
	echo >$TR/trace
}
phase_dump() {
	dmesg >"/results/sbs-$TOOL-$1-kmsg.txt"
	cat $TR/trace >"/results/sbs-$TOOL-$1-trace.txt"
	dmesg -c >/dev/null
	echo >$TR/trace
}

# the stick: a mass-storage gadget on dummy_hcd, serial rewritten while unplugged
stick_plug() {
	gadget_unplug $SBS_G
	echo "$1" >"$GADGET/$SBS_G/strings/0x409/serialnumber"
	gadget_plug $SBS_G
}
stick_gone() { ! usb_by_serial "$1" >/dev/null; }
stick_usable() { # stick_usable SERIAL: usb-storage bound and its disk there
	local u
	u=$(usb_by_serial "$1") || return 1
	disk_of "$u" >/dev/null
}
# plug_allowed SERIAL / plug_blocked SERIAL: one plug, waited for (usable /
# decided), then unplugged and waited until gone; fails on a timeout
plug_allowed() {
	stick_plug "$1"
	wait_until 30 stick_usable "$1" || return 1
	gadget_unplug $SBS_G
	wait_until 20 stick_gone "$1"
}
plug_blocked() {
	local before
	before=$(tool_decided)
	stick_plug "$1"
	wait_until 30 eval '(($(tool_decided) > before))' || return 1
	gadget_unplug $SBS_G
	wait_until 20 stick_gone "$1"
}

# proc_figures PID: "rss_kb=.. pss_kb=.. cpu_ticks=.." (utime+stime, all threads)
proc_figures() {
	local rss pss cpu
	rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$1/status")
	pss=$(awk '/^Pss:/ { print $2 }' "/proc/$1/smaps_rollup")
	# fields 14 and 15 after the ")" of the command name
	cpu=$(sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }')
	echo "rss_kb=$rss pss_kb=$pss cpu_ticks=$cpu threads=$(awk '/^Threads/ { print $2 }' "/proc/$1/status")"
}

phase_latency() {
	local n nb i bad=0
	n=$(sbs_param plugs 50)
	nb=$(sbs_param blocked 20)
	phase_begin
	for ((i = 1; i <= n; i++)); do
		plug_allowed $SBS_ALLOW || { bad=$((bad + 1)); nok "allow-plug-$i" "not usable in 30 s"; }
		sleep 0.2
	done
	phase_dump allow
	expect allowed-plugs-usable "$bad" 0
	sbs "phase=allow plugs=$n failed=$bad"
	bad=0
	for ((i = 1; i <= nb; i++)); do
		plug_blocked "$(printf 'SBSBLK%03d' "$i")" ||
			{ bad=$((bad + 1)); nok "block-plug-$i" "not decided in 30 s"; }
		sleep 0.2
	done
	phase_dump block
	expect blocked-plugs-decided "$bad" 0
	sbs "phase=block plugs=$nb failed=$bad"
}

# burst: 4 QEMU hubs, then N QEMU sticks behind them added back to back
phase_burst() {
	local n h before got t0 t1
	n=$(sbs_param burst 32)
	((n > 32)) && n=32
	for h in 1 2 3 4; do
		check "hub-$h" req plug-hub "sbshub$h" "$h" || return
	done
	# hubs enumerated (and, under USBGuard, authorized) before the burst
	wait_until 60 eval '[[ $(grep -lx 09 /sys/bus/usb/devices/*/bDeviceClass 2>/dev/null | grep -c "/[0-9]-[0-9]/") -ge 4 ]]' ||
		nok hubs-present "$(grep -l 09 /sys/bus/usb/devices/*/bDeviceClass | tr '\n' ' ')"
	sleep 3
	phase_begin
	before=$(tool_decided)
	t0=$(cut -d' ' -f1 /proc/uptime)
	check burst-plugged req plug-burst sbsb "$n" SBSB 1 2 3 4 || return
	wait_until 600 eval '(($(tool_decided) - before >= n))'
	t1=$(cut -d' ' -f1 /proc/uptime)
	sleep 5
	got=$(($(tool_decided) - before))
	phase_dump burst
	expect burst-all-decided "$got" "$n"
	tool_burst_check "$n"
	sbs "phase=burst sticks=$n decided=$got guest_wall_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
	check burst-unplug req unplug-all
	wait_until 60 eval "! grep -qs SBSB /sys/bus/usb/devices/*/serial"
	sleep 2
	dmesg -c >/dev/null
}

phase_cycles() {
	local n i bad=0 pid t0 t1
	n=$(sbs_param cycles 1000)
	pid=$(cat "$RUN/sbs.pid")
	sbs "phase=before-cycles $(proc_figures "$pid")"
	t0=$(date +%s)
	for ((i = 1; i <= n; i++)); do
		# odd cycles: the allowed stick; even: an unknown one (blocked)
		if ((i % 2)); then
			plug_allowed $SBS_ALLOW || bad=$((bad + 1))
		else
			plug_blocked "$(printf 'SBSCYC%04d' "$i")" || bad=$((bad + 1))
		fi
		((i % 100 == 0)) && { dmesg -c >/dev/null; echo >$TR/trace; info "$TOOL: $i cycles"; }
	done
	t1=$(date +%s)
	expect cycles-failed "$bad" 0
	kill -0 "$pid" 2>/dev/null && ok daemon-alive-after-cycles || nok daemon-alive-after-cycles "pid $pid gone"
	sleep 10
	sbs "phase=idle cycles=$n failed=$bad wall_s=$((t1 - t0)) $(proc_figures "$pid")"
}

sbs_run() {
	TOOL=$1
	trace_off
	check gadget-modules gadget_setup || return
	[[ -f /tmp/sbs.img ]] || mkfs.vfat -C /tmp/sbs.img 4096 >/dev/null 2>&1 ||
		dd if=/dev/zero of=/tmp/sbs.img bs=1M count=4 2>/dev/null
	check gadget-create gadget_create $SBS_G 1234 5678 SBSINIT ms /tmp/sbs.img || return
	check daemon-start tool_start || { tool_stop; return; }
	sbs "phase=start $(proc_figures "$(cat "$RUN/sbs.pid")")"
	check trace-setup trace_setup || { tool_stop; return; }
	phase_latency
	phase_burst
	phase_cycles
	trace_off
	tool_stop
	gadget_remove $SBS_G
}
