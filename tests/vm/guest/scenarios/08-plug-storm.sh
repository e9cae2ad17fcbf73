# 08-plug-storm (done-when 8): 200 plug/unplug cycles of a gadget stick with
# random verdicts (allow/readonly/deny/none = unplugged while pending) and a
# random 0-0.3 s before the unplug: no oops/WARN/BUG, every plug held, the
# event seq has no gaps, and the module unloads afterwards.
# mg.cycles=N on the kernel command line changes the count; the seed is printed.
scenario() {
	local n seed i ev h v verdicts=(allow readonly deny none) bad=0 held t0 a
	n=$(sed -n 's/.*mg\.cycles=\([0-9]*\).*/\1/p' /proc/cmdline)
	n=${n:-200}
	seed=${MG_SEED:-$(($(date +%s) % 32768))}
	RANDOM=$seed
	info "$n cycles, seed $seed"
	mg_load || return
	check gadget-modules gadget_setup || return
	dd if=/dev/zero of=/tmp/g8.img bs=1M count=4 2>/dev/null
	check gadget-create gadget_create g8 1234 0008 STORM08 ms /tmp/g8.img || return
	mg_start || return
	t0=$(date +%s)
	for ((i = 1; i <= n; i++)); do
		ev_mark
		gadget_plug g8
		if ! ev=$(ev_wait 15 "type=held .*serial=STORM08"); then
			nok "cycle-$i-held" "no HELD within 15 s: $(tail -n 2 "$EVLOG")"
			bad=$((bad + 1))
			gadget_unplug g8
			((bad > 3)) && break
			continue
		fi
		h=$(ev_get "$ev" handle)
		v=${verdicts[RANDOM % 4]}
		if [[ $v != none ]]; then
			a=$(mg_cmd verdict "$h" "$v") || {
				nok "cycle-$i-verdict-$v" "$a"
				bad=$((bad + 1))
			}
		fi
		sleep "0.$((RANDOM % 4))"
		gadget_unplug g8
		if ! wait_until 15 eval '! usb_by_serial STORM08'; then
			nok "cycle-$i-unplug" "device still present 15 s after unplug"
			bad=$((bad + 1))
			((bad > 3)) && break
		fi
		((i % 50 == 0)) && info "cycle $i done, $(($(date +%s) - t0)) s"
	done
	((bad == 0)) && ok "all-$n-cycles-held-and-decided"
	sleep 1
	mg_cmd abi >/dev/null
	held=$(grep -c '^EV .*type=held .*serial=STORM08' "$EVLOG")
	[[ $held -ge $n ]] && ok "held-events-$held" || nok held-count "$held HELD events for $n plugs"
	check_fails no-seqgap-badrec-readerr grep -E '^(SEQGAP|BADREC|READERR)' "$EVLOG"
	a=$(awk '/^EV / { split($2, s, "="); if (p && s[2] != p + 1) { print "gap after " p ": " s[2]; exit } p = s[2] } END { if (!p) print "no events" }' "$EVLOG")
	expect seq-gapless-from-1 "${a:-ok}" ok
	expect seq-starts-at-1 "$(grep -m1 '^EV ' "$EVLOG" | sed 's/^EV seq=\([0-9]*\).*/\1/')" 1
	check_fails no-oops-warn-bug-in-dmesg eval "dmesg | grep -E 'Oops|BUG:|WARNING:|Call Trace'"
	mg_stop
	gadget_remove g8
	rm -f /tmp/g8.img
	sleep 1
	check rmmod-after-storm rmmod mediagate
	modprobe mediagate
	info "storm took $(($(date +%s) - t0)) s"
}
