# 15-hostile-strings (issue 3: strings are device-supplied, treat as hostile;
# no kernel memory in records): a gadget whose product string carries quotes,
# a newline, a fake "EV seq=..." record and is longer than the 64-byte field,
# and whose serial is non-ASCII. The record must be valid (mgtest checks
# NUL-termination, reserved bytes: BADREC), flagged truncated, and print as
# one escaped line.
scenario() {
	local g=$GADGET/g15 ev prod serial n
	mg_load || return
	check gadget-modules gadget_setup || return
	dd if=/dev/zero of=/tmp/g15.img bs=1M count=4 2>/dev/null
	check gadget-create gadget_create g15 1234 0015 HOSTILE15 ms /tmp/g15.img || return
	prod=$'Evil "stick"\nEV seq=999 type=held handle=1 \\ '
	prod+=$(printf 'A%.0s' {1..70})
	serial=$(printf '\xc3\xa9%.0s' {1..40})
	# one write() each: configfs stores every write separately
	printf '%s' "$prod" >/tmp/g15.prod
	printf '%s' "$serial" >/tmp/g15.serial
	dd if=/tmp/g15.prod of="$g/strings/0x409/product" bs=4096 2>/dev/null ||
		nok set-product "configfs refused the product string"
	dd if=/tmp/g15.serial of="$g/strings/0x409/serialnumber" bs=4096 2>/dev/null ||
		nok set-serial "configfs refused the serial"
	mg_start || return
	ev_mark
	check gadget-plug gadget_plug g15
	if ! ev=$(ev_wait 20 "type=held .*vid=1234 pid=0015"); then
		nok held-event "no HELD for 1234:0015: $(tail -n 3 "$EVLOG")"
		return
	fi
	ok held-event
	check_fails no-bad-record grep -E '^(BADREC|SEQGAP|READERR)' "$EVLOG"
	check_fails injected-record-not-a-line grep -q '^EV seq=999' "$EVLOG"
	[[ $(ev_get "$ev" flags) == *truncated* ]] && ok flag-truncated || nok flag-truncated "$ev"
	[[ $(ev_get "$ev" product) == 'Evil\x20\x22stick\x22\x0aEV\x20seq\x3d999'* ]] && ok product-escaped ||
		nok product-escaped "product=$(ev_get "$ev" product)"
	n=$(ev_get "$ev" product | sed 's/\\x[0-9a-f][0-9a-f]/./g' | wc -c)
	[[ $n -le 64 ]] && ok "product-fits-field-$((n - 1))-bytes" || nok product-fits-field "$((n - 1)) bytes"
	expect serial-bytes-intact "$(ev_get "$ev" serial)" "$(printf '\\xc3\\xa9%.0s' {1..40})"
	check verdict-deny mg_cmd verdict "$(ev_get "$ev" handle)" deny
	gadget_remove g15
	rm -f /tmp/g15.img /tmp/g15.prod /tmp/g15.serial
}
