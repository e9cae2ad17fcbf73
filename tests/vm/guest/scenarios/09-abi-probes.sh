# 09-abi-probes (done-when 9): a process without root / CAP_SYS_ADMIN cannot
# open /dev/mediagate (also with the node made world-writable, so it is the
# module that says no), an fd opened by root is useless after dropping the
# capability, malformed ioctls get -EINVAL/-ENOTTY, a short read -EINVAL, a
# second opener -EBUSY.
scenario() {
	local mode l
	mg_load || return
	mg_stop
	mode=$(stat -c %a /dev/mediagate)
	info "/dev/mediagate mode $mode"
	mgtest nonroot >"$RUN/probe.out" 2>&1
	chmod 666 /dev/mediagate
	expect node-made-world-writable "$(stat -c %a /dev/mediagate)" 666
	mgtest nonroot | sed 's/^PROBE /PROBE world-writable-node:/' >>"$RUN/probe.out" 2>&1
	chmod "$mode" /dev/mediagate
	mgtest probe >>"$RUN/probe.out" 2>&1
	cat "$RUN/probe.out" >>"$EVLOG"
	while read -r l; do
		set -- $l
		[[ $1 == PROBE ]] || continue
		if [[ $l == *" ok" ]]; then ok "${2}"; else nok "$2" "$l"; fi
	done <"$RUN/probe.out"
	grep -q '^PROBE verdict-size' "$RUN/probe.out" || nok probes-ran "$(head -c 300 "$RUN/probe.out")"
	check abi-readable mgtest abi
	grep -q "event_size=512 " <<<"$(mgtest abi)" && ok abi-event-size-512 || nok abi-event-size-512 "$(mgtest abi)"
}
