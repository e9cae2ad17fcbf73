# 32-policy-bad (fault 3): the policy file is replaced by garbage (reloaded
# by SIGHUP), by an empty file and by a symlink to a world-writable file
# that would allow all storage (both reloaded by `--ctl reload`). Each time:
# the reload is refused (audit event=reload result=failed, a diagnostic on
# stderr naming the file), the stick allowed before keeps its verdict (still
# writable, no new verdict line), and a new unknown stick is still read-only.
# Last, the good policy back: reload ok. mg.policyrounds=N rounds (default 1).
# timeout: 1200
. /mg/scenarios/stress-lib.sh

scenario() {
	body
	rm -f /tmp/ww.conf
	stress_cleanup
}

# bad_reload CASE: the policy file is already bad; reload and check
bad_reload() {
	local c=$1 since esince d s=U$n$1
	since=$(wc -l <"$DLOG")
	esince=$(wc -l <"$DERR")
	if [[ $c == garbage ]]; then
		kill -HUP "$(cat "$RUN/daemon.pid")"
	else
		check_fails "r$n-$c-ctl-reload-refused" d_ctl reload
	fi
	wait_until 20 eval "tail -n +$((since + 1)) \"$DLOG\" | grep -q 'event=reload result=failed'" ||
		nok "r$n-$c-audit-reload-failed" "$(tail -n +$((since + 1)) "$DLOG" | grep event=reload)"
	tail -n +$((esince + 1)) "$DERR" | grep -q "$POLICY" ||
		nok "r$n-$c-diagnostic" "stderr: $(tail -n +$((esince + 1)) "$DERR" | head -n 3)"
	d_alive || { nok "r$n-$c-daemon-alive" "daemon died: $(tail -c 300 "$DERR")"; d_start; return; }
	# the allowed stick: unchanged
	if d=$(stick_disk ALLOW001); then
		expect "r$n-$c-allowed-still-rw" "$(cat /sys/block/$d/ro)" 0
	else
		nok "r$n-$c-allowed-still-there" "no disk for ALLOW001"
	fi
	tail -n +$((since + 1)) "$DLOG" | grep -q 'serial="ALLOW001" .*verdict=' &&
		nok "r$n-$c-allowed-redecided" "$(tail -n +$((since + 1)) "$DLOG" | grep ALLOW001)"
	# a new stick: the old policy's verdict
	req plug-storage "$s" vfat "$s" >/dev/null
	audit_wait 30 "serial=\"$s\" .*verdict=readonly" >/dev/null ||
		nok "r$n-$c-new-stick-readonly" "$(grep "serial=\"$s\"" "$DLOG" | cut -c1-200)"
	if wait_until 30 stick_disk "$s" >/dev/null; then
		d=$(stick_disk "$s")
		writable_now "$d" && nok "r$n-$c-new-stick-writable" "/dev/$d"
	else
		nok "r$n-$c-new-stick-disk" "no disk for $s"
	fi
	req unplug "$s" >/dev/null
}

# baseline: the good policy in force and ALLOW001 plugged and writable, so a
# failed case does not spill into the next one
baseline() {
	local d
	if d=$(stick_disk ALLOW001) && [[ $(cat /sys/block/$d/ro) == 0 ]] && ! grep -q 'rules=0 ' <(d_ctl status 2>&1); then
		return 0
	fi
	rm -f "$POLICY"
	cp /tmp/good.conf "$POLICY"
	chmod 0644 "$POLICY"
	d_ctl reload >/dev/null 2>&1
	stick_unplug
	stick_plug ALLOW001
	audit_wait 30 'serial="ALLOW001" .*verdict=allow' >/dev/null
	wait_until 30 stick_disk ALLOW001 >/dev/null
}

body() {
	local n total d c
	total=$(mg_param policyrounds 1)
	mg_load || return
	mg_stop
	write_policy
	cp "$POLICY" /tmp/good.conf
	check stick-setup stick_setup || return
	check daemon-start d_start || { nok daemon-start "$(tail -c 300 "$DERR")"; return; }
	stick_plug ALLOW001
	audit_wait 30 'serial="ALLOW001" .*verdict=allow' >/dev/null || nok allowed-stick "$(tail -n 2 "$DLOG")"
	wait_until 30 stick_disk ALLOW001 >/dev/null && d=$(stick_disk ALLOW001) &&
		expect allowed-rw "$(cat /sys/block/$d/ro)" 0
	for ((n = 1; n <= total; n++)); do
		for c in garbage empty symlink-ww; do
			baseline
			trial_begin
			rm -f "$POLICY"
			case $c in
			garbage) head -c 3000 /dev/urandom | tr '\0' 'x' >"$POLICY"; printf 'allow storage\n{{{ "\n' >>"$POLICY" ;;
			empty) : >"$POLICY" ;;
			symlink-ww)
				printf 'allow storage\nallow any\n' >/tmp/ww.conf
				chmod 0666 /tmp/ww.conf
				ln -s /tmp/ww.conf "$POLICY"
				;;
			esac
			bad_reload $c
			trial_end
		done
	done
	trials_report policy-bad
	rm -f "$POLICY"
	cp /tmp/good.conf "$POLICY"
	chmod 0644 "$POLICY"
	check good-policy-reload-ok d_ctl reload
	audit_wait 10 'event=reload result=ok' >/dev/null || nok good-policy-audit "$(grep event=reload "$DLOG" | tail -n 1)"
	stick_unplug
}
