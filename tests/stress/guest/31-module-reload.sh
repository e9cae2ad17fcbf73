# 31-module-reload (fault 2): module reload with sticks present. A stick the
# daemon made read-only pins the module (rmmod refused). Then, alternately:
#   unplug   daemon stopped, stick unplugged: rmmod works; insmod, daemon,
#            replug: the stick is held and decided again
#   release  daemon stopped, RELEASE_ALL (mgtest release) with the stick still
#            plugged: it is unbound fail-closed, rmmod works; insmod, daemon:
#            the stick still present is re-held and decided without a replug
# Never writable at any point. mg.reloads=N trials (default 10).
# timeout: 2400
. /mg/scenarios/stress-lib.sh

scenario() {
	body
	mg_stop
	stress_cleanup
}

# decided_ro SERIAL SINCE: an audit verdict after line SINCE, disk read-only
decided_ro() {
	local s=$1 since=$2 d
	wait_until 40 eval "tail -n +$((since + 1)) \"$DLOG\" | grep -qE 'serial=\"$s\" .*verdict=readonly'" ||
		{ nok "t$n-$3-decided" "$s: $(tail -n 2 "$DLOG")"; return 1; }
	if ! wait_until 30 stick_disk "$s" >/dev/null; then
		nok "t$n-$3-disk" "$s: no disk"
		return 1
	fi
	d=$(stick_disk "$s")
	wait_until 5 eval "[[ \$(cat /sys/block/$d/ro) == 1 ]]"
	writable_now "$d" && nok "t$n-$3-writable" "$s /dev/$d took a raw write"
	return 0
}

trial() {
	local s=$1 how=$2 since d
	since=$(wc -l <"$DLOG")
	stick_plug "$s"
	decided_ro "$s" "$since" plug || { stick_unplug; return; }
	check_fails "t$n-rmmod-refused" rmmod mediagate
	d_stop
	if [[ $how == release ]]; then
		mg_start && mg_cmd release >/dev/null || nok "t$n-release" "$(tail -n 2 "$EVLOG")"
		mg_stop
		d=$(stick_disk "$s") && writable_now "$d" && nok "t$n-released-writable" "/dev/$d"
	else
		stick_unplug
	fi
	wait_until 10 rmmod mediagate 2>"$RUN/out" || nok "t$n-$how-rmmod" "$(cat "$RUN/out"); $(grep ^mediagate /proc/modules)"
	# nothing gated while unloaded: a released stick must not come back writable
	if [[ $how == release ]] && d=$(stick_disk "$s") && writable_now "$d"; then
		nok "t$n-unloaded-writable" "/dev/$d"
	fi
	modprobe mediagate || { nok "t$n-insmod" "modprobe failed"; return; }
	wait_until 5 test -c /dev/mediagate
	since=$(wc -l <"$DLOG")
	d_start || { nok "t$n-daemon-restart" "$(tail -c 300 "$DERR")"; return; }
	[[ $how == unplug ]] && stick_plug "$s"
	decided_ro "$s" "$since" "$how-after-reload"
	stick_unplug
}

body() {
	local n total how
	total=$(mg_param reloads 10)
	info "$total trials"
	mg_load || return
	mg_stop
	write_policy
	check stick-setup stick_setup || return
	check daemon-start d_start || { nok daemon-start "$(tail -c 300 "$DERR")"; return; }
	for ((n = 1; n <= total; n++)); do
		how=unplug
		((n % 2 == 0)) && how=release
		trial_begin
		trial "RL$(printf %04d $n)" $how
		trial_end
	done
	trials_report module-reload
	check_fails no-oops eval "dmesg | grep -E 'Oops|BUG:|WARNING:|Call Trace'"
}
