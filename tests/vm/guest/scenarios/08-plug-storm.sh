# 08-plug-storm (done-when 8): 200 plug/unplug cycles of a gadget stick with
# random verdicts (allow/readonly/deny/none = unplugged while pending) and a
# random 0-0.3 s before the unplug: every plug held and decided, the event seq
# has no gaps, no oops/WARN/BUG, and the module unloads afterwards. The loop
# runs inside mgtest (bash forks under TCG would make it 5x slower).
# mg.cycles=N on the kernel command line changes the count; the seed is printed.
# timeout: 1000
scenario() {
	local n seed s a t0
	n=$(sed -n 's/.*mg\.cycles=\([0-9]*\).*/\1/p' /proc/cmdline)
	n=${n:-200}
	seed=${MG_SEED:-$(($(date +%s) % 32768))}
	info "$n cycles, seed $seed"
	mg_load || return
	mg_stop
	check gadget-modules gadget_setup || return
	dd if=/dev/zero of=/tmp/g8.img bs=1M count=4 2>/dev/null
	check gadget-create gadget_create g8 1234 0008 STORM08 ms /tmp/g8.img || return
	t0=$(date +%s)
	mgtest storm "$GADGET/g8/UDC" STORM08 "$n" "$seed" >>"$EVLOG" 2>&1
	s=$(grep -m1 '^STORM ' "$EVLOG")
	info "${s:-no STORM summary} ($(($(date +%s) - t0)) s)"
	if [[ -z $s ]]; then
		nok storm-ran "$(tail -n 3 "$EVLOG")"
	else
		expect cycles-done "$(ev_get "$s" cycles)" "$n"
		expect every-plug-held "$(ev_get "$s" held)" "$n"
		expect no-timeouts "$(ev_get "$s" timeouts)" 0
		expect no-verdict-errors "$(ev_get "$s" verdict_errors)" 0
		expect no-seq-gaps "$(ev_get "$s" seq_gaps)" 0
		expect no-bad-records "$(ev_get "$s" bad_records)" 0
	fi
	grep -m3 '^STORMERR' "$EVLOG" | while read -r a; do info "$a"; done
	a=$(awk '/^EV / { split($2, s, "="); if (p && s[2] != p + 1) { print "gap after " p ": " s[2]; exit } p = s[2] } END { if (!p) print "no events" }' "$EVLOG")
	expect seq-gapless "${a:-ok}" ok
	expect seq-starts-at-1 "$(grep -m1 '^EV ' "$EVLOG" | sed 's/^EV seq=\([0-9]*\).*/\1/')" 1
	check_fails no-oops-warn-bug-in-dmesg eval "dmesg | grep -E 'Oops|BUG:|WARNING:|Call Trace'"
	gadget_remove g8
	rm -f /tmp/g8.img
	sleep 1
	check rmmod-after-storm rmmod mediagate
	modprobe mediagate
}
