# 33-disk-full (fault 4): the inventory lives on a tiny tmpfs that is filled
# up while sticks are plugged. The daemon keeps deciding every stick (audit
# verdict, disk read-only, never writable), says the inventory write failed
# on stderr, keeps running; when space returns the next stick is recorded,
# and after the daemon stops the database passes PRAGMA integrity_check.
# mg.diskfull=N sticks while full (default 10).
# timeout: 1200
DB=/run/mg/dbfull/inventory.db
. /mg/scenarios/stress-lib.sh

scenario() {
	body
	stress_cleanup
	umount /run/mg/dbfull 2>/dev/null
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

body() {
	local n total r
	total=$(mg_param diskfull 10)
	mg_load || return
	mg_stop
	write_policy
	mkdir -p /run/mg/dbfull
	check tmpfs mount -t tmpfs -o size=256k tmpfs /run/mg/dbfull || return
	check stick-setup stick_setup || return
	check daemon-start d_start || { nok daemon-start "$(tail -c 300 "$DERR")"; return; }
	one_stick DF0000 before-full
	dd if=/dev/zero of=/run/mg/dbfull/fill bs=4k 2>/dev/null
	info "full: $(df -k /run/mg/dbfull | tail -n 1)"
	for ((n = 1; n <= total; n++)); do
		trial_begin
		one_stick "DF$(printf %04d $n)" "t$n"
		d_alive || { nok "t$n-daemon-alive" "$(tail -c 300 "$DERR")"; d_start; }
		trial_end
	done
	trials_report disk-full
	grep -qiE 'inventory|database|full|space' "$DERR" && ok error-logged ||
		nok error-logged "nothing about the inventory on stderr: $(tail -n 3 "$DERR")"
	info "stderr while full: $(grep -iE 'inventory|database|full|space' "$DERR" | sort | uniq -c | sort -rn | head -n 3 | tr '\n' ';')"
	rm -f /run/mg/dbfull/fill
	one_stick DFBACK after-space
	wait_until 10 eval 'd_ctl inventory | grep -q DFBACK' && ok recorded-after-space ||
		nok recorded-after-space "$(d_ctl inventory 2>&1 | tail -n 3)"
	d_stop
	r=$(sqlite3 "$DB" 'PRAGMA integrity_check;' 2>&1)
	expect integrity-check "$r" ok
	info "rows: $(sqlite3 "$DB" 'SELECT count(*) FROM media;' 2>&1) media, $(sqlite3 "$DB" 'SELECT count(*) FROM events;' 2>&1) events"
}
