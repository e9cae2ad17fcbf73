# 30-kill9 (fault 1): the daemon is killed with SIGKILL at a random moment
# (0-2.5 s) after a stick is plugged. While it is dead the stick must never be
# usable without a verdict: no disk that takes a raw write, no read-write
# mount. After the restart the stick is decided (audit line, disk read-only
# by policy). mg.kill9=N trials (default 100); the seed is printed.
# timeout: 3000
. /mg/scenarios/stress-lib.sh

scenario() {
	body
	stress_cleanup
}

trial() {
	local s=$1 d ms
	: >"$DLOG.trial"
	stick_plug "$s"
	ms=$((RANDOM % 2500))
	sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
	d_kill9
	# dead daemon: the stick is held or carries the verdict given before the kill
	sleep 1
	if d=$(stick_disk "$s"); then
		if writable_now "$d"; then
			nok "t$n-writable-without-daemon" "$s /dev/$d took a raw write"
		elif ! grep -qE "serial=\"$s\" .*verdict=" "$DLOG"; then
			# the kernel has a verdict (the disk exists, read-only) but the
			# daemon died between the ioctl and the audit line: counted here,
			# the audit line is required after the restart (below)
			UNAUDITED="$UNAUDITED $s"
		fi
	fi
	stick_disk "$s" >/dev/null || HELD=$((HELD + 1))
	rw_mounted && nok "t$n-rw-mount" "$(grep ^/dev/sd /proc/mounts)"
	d_start || { nok "t$n-restart" "$(tail -c 300 "$DERR")"; return; }
	# every verdict in force is in the audit trail, also one whose line the
	# kill cut off (the restarted daemon must audit what it finds decided)
	audit_wait 40 "serial=\"$s\" .*verdict=readonly" >/dev/null ||
		nok "t$n-audited-after-restart" "$s: no verdict line; last: $(tail -n 1 "$DLOG" | cut -c1-120)"
	if wait_until 30 stick_disk "$s" >/dev/null; then
		d=$(stick_disk "$s")
		wait_until 5 eval "[[ \$(cat /sys/block/$d/ro) == 1 ]]"
		writable_now "$d" && nok "t$n-writable-after-restart" "$s /dev/$d"
	else
		nok "t$n-disk-after-restart" "$s: no disk (usb $(usb_by_serial "$s"))"
	fi
	[[ $(count_audit "serial=\"$s\" .*verdict=allow") == 0 ]] || nok "t$n-never-allowed" "$s"
	# one verdict, one line: twice only when the kill fell between the audit
	# line and its ledger row (loop_restart.c), printed below, not failed
	[[ $(count_audit "serial=\"$s\" .*verdict=") -le 1 ]] || TWICE="$TWICE $s"
	stick_unplug
}

body() {
	local seed n total
	HELD=0
	UNAUDITED=
	TWICE=
	total=$(mg_param kill9 100)
	seed=${MG_SEED:-$(($(date +%s) % 32768))}
	RANDOM=$seed
	info "$total trials, seed $seed"
	mg_load || return
	mg_stop
	write_policy
	check stick-setup stick_setup || return
	check daemon-start d_start || { nok daemon-start "$(tail -c 300 "$DERR")"; return; }
	for ((n = 1; n <= total; n++)); do
		trial_begin
		trial "K9$(printf %04d $n)"
		trial_end
	done
	info "killed between verdict and audit line (need an audit line after restart):${UNAUDITED:- none}"
	info "$HELD of $total sticks were still held (no disk) while the daemon was dead"
	info "audited twice (killed between the audit line and its ledger row):${TWICE:- none}"
	trials_report kill9
	check_fails no-oops eval "dmesg | grep -E 'Oops|BUG:|WARNING:|Call Trace'"
}
