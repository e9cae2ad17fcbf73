# 34-syslog-gone (fault 5): the syslog socket goes away under the daemon
# (busybox syslogd killed; every other round /dev/log removed as well). A
# stick plugged meanwhile is still decided (audit line on stdout, disk
# read-only, never writable), the daemon lives; once syslogd is back, the
# next stick's audit line reaches the syslog file again. mg.syslogrounds=N
# rounds (default 5).
# timeout: 1200
. /mg/scenarios/stress-lib.sh
SYSLOG=$RUN/syslog.log

scenario() {
	body
	stress_cleanup
}

syslog_start() {
	syslogd -n -O "$SYSLOG" &
	echo $! >"$RUN/syslogd.pid"
	wait_until 10 test -S /dev/log
}
syslog_stop() {
	kill "$(cat "$RUN/syslogd.pid")" 2>/dev/null
	wait_until 5 eval '! kill -0 $(cat $RUN/syslogd.pid) 2>/dev/null'
}

# one_stick SERIAL TAG: plugged, decided read-only, unplugged
one_stick() {
	local s=$1 d
	stick_plug "$s"
	audit_wait 40 "serial=\"$s\" .*verdict=readonly" >/dev/null ||
		nok "$2-decided" "$s: $(tail -n 2 "$DLOG" | cut -c1-200) $(tail -n 2 "$DERR")"
	if wait_until 30 stick_disk "$s" >/dev/null; then
		d=$(stick_disk "$s")
		wait_until 5 eval "[[ \$(cat /sys/block/$d/ro) == 1 ]]"
		writable_now "$d" && nok "$2-writable" "$s /dev/$d"
	else
		nok "$2-disk" "$s: no disk"
	fi
	stick_unplug
}
in_syslog() { wait_until "$2" grep -q "serial=\"$1\"" "$SYSLOG"; }

body() {
	local n total
	total=$(mg_param syslogrounds 5)
	mg_load || return
	mg_stop
	write_policy
	killall syslogd 2>/dev/null
	rm -f /dev/log
	: >"$SYSLOG"
	check syslogd-start syslog_start || return
	check stick-setup stick_setup || return
	check daemon-start d_start || { nok daemon-start "$(tail -c 300 "$DERR")"; return; }
	one_stick SL0000 first
	in_syslog SL0000 20 && ok first-in-syslog || nok first-in-syslog "$(tail -n 2 "$SYSLOG")"
	for ((n = 1; n <= total; n++)); do
		trial_begin
		syslog_stop
		((n % 2 == 0)) && rm -f /dev/log
		one_stick "SLG$(printf %03d $n)" "t$n-gone"
		d_alive || { nok "t$n-daemon-alive" "$(tail -c 300 "$DERR")"; d_start; }
		syslog_start || nok "t$n-syslogd-restart" "no /dev/log"
		one_stick "SLB$(printf %03d $n)" "t$n-back"
		in_syslog "SLB$(printf %03d $n)" 20 ||
			nok "t$n-audit-resumes" "SLB$(printf %03d $n) not in syslog: $(tail -n 1 "$SYSLOG" | cut -c1-200)"
		trial_end
	done
	trials_report syslog-gone
	syslog_stop
	cp "$SYSLOG" /results/ 2>/dev/null
}
