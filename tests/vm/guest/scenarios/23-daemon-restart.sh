# 23-daemon-restart (issue 4, Restart and Reload): the kernel lists decided
# devices (MEDIAGATE_IOC_LIST_PRESENT, checked with mgtest first); a restarted daemon learns
# the devices decided before it started (MEDIAGATE_IOC_LIST_PRESENT) and
# re-evaluates them like the ones it decided itself:
#   unknown plain stick, daemon running      -> read-only
#   kill -9, restart                         -> same verdict, same disk, no
#                                               audit line (adopted; the
#                                               re-probe confirms it: a debug
#                                               line only)
#   kill -9, its ledger lost, restart        -> the verdict in force audited
#                                               once, stage=restart-adopted
#                                               (as when the kill falls between
#                                               the verdict ioctl and its line)
#   kill -9, restart                         -> not audited again
#   policy blocks storage, SIGHUP            -> deny (no disk), logged
#   shipped policy again, mediagated --ctl reload -> read-only again
#   policy allows storage, reload            -> read-write, written
# timeout: 420
DLOG=$RUN/daemon23-audit.log
DERR=$RUN/daemon23.err
CTL=$RUN/control23
CONF=/etc/mediagate/mediagate.conf

d_start() {
	mediagated -d -c "$CONF" --db "$RUN/inventory23.db" --control "$CTL" "$@" \
		>>"$DLOG" 2>>"$DERR" &
	echo $! >"$RUN/daemon23.pid"
	wait_until 10 test -S "$CTL"
}
d_kill9() {
	kill -9 "$(cat "$RUN/daemon23.pid")" 2>/dev/null
	wait_until 5 eval '! kill -0 $(cat $RUN/daemon23.pid) 2>/dev/null'
	rm -f "$CTL"
}
d_stop() {
	kill "$(cat "$RUN/daemon23.pid")" 2>/dev/null
	wait_until 10 eval '! kill -0 $(cat $RUN/daemon23.pid) 2>/dev/null'
}
# audit_count ERE
audit_count() { grep -cE "$1" "$DLOG"; }
# audit_wait_n SECONDS N ERE: wait until N audit lines match ERE
audit_wait_n() { wait_until "$1" eval "[[ \$(grep -cE '$3' '$DLOG') -ge $2 ]]"; }
raw_write() { dd if=/dev/zero of="/dev/$1" bs=4096 seek=1024 count=1 oflag=direct conv=fsync,notrunc; }
# policy RULE: the shipped policy's rules with "readonly storage" replaced by RULE
policy() {
	cat >"$CONF" <<-EOF
		set registry "/etc/mediagate/registry"
		set encryption luks2 cipher aes-xts-plain64 min-key-bits 512
		list badusb = { hid comm wireless }
		block    storage with-interface one-of \$badusb
		allow    storage media registered
		$1
		allow    any
	EOF
	chmod 0644 "$CONF"
}

# 0. the module alone (mgtest): LIST_PRESENT queues a PRESENT record per
#    decided entry with its verdict, the inherited interface flagged, and
#    nothing for a hold still pending (that is REPLAY's)
kernel_list() {
	local ev h r k
	mg_start || return 1
	ev_mark
	check k-plug req plug-storage k23 vfat LISTPRES23
	if ! ev=$(ev_wait 20 "type=held .*serial=LISTPRES23"); then
		nok k-held "no HELD for LISTPRES23: $(tail -n 3 "$EVLOG")"
		return 1
	fi
	h=$(ev_get "$ev" handle)
	r=$(mg_cmd present)
	expect k-present-pending-not-listed "$(ev_get "$r" count)" 0
	check k-verdict-readonly mg_cmd verdict "$h" readonly
	ev_wait 10 "type=applied handle=$h " >/dev/null
	wait_until 30 disk_of "$(usb_by_serial LISTPRES23)" >/dev/null # interfaces bound
	ev_mark
	r=$(mg_cmd present)
	expect k-present-count "$(ev_get "$r" count)" 2
	ev_wait 10 "type=present handle=$h level=device verdict=readonly flags=- .*serial=LISTPRES23" \
		>/dev/null && ok k-present-device || nok k-present-device "$(tail -n 4 "$EVLOG")"
	ev_wait 10 "type=present handle=[0-9]+ level=interface verdict=readonly flags=under_device," \
		>/dev/null && ok k-present-intf-flagged || nok k-present-intf-flagged "$(tail -n 4 "$EVLOG")"
	k=$(grep -c "^SEQGAP" "$EVLOG")
	expect k-no-seq-gap "$k" 0
	mg_stop
	req unplug k23 >/dev/null
	wait_until 20 eval '! usb_by_serial LISTPRES23 >/dev/null' || nok k-unplug "LISTPRES23 still there"
	return 0
}

scenario() {
	body
	[[ -f $RUN/daemon23.pid ]] && d_stop
	cp "$DLOG" "$DERR" /results/ 2>/dev/null
}

body() {
	local d disk disk2 ser=RESTART23 sel
	mg_load || return
	if ! command -v mediagated >/dev/null; then
		nok daemon-present "mediagated not in the initramfs"
		return
	fi
	kernel_list || return
	mkdir -p /etc/mediagate
	policy "readonly storage"
	echo "medium VM-0001 luks2 $LUKS_UUID usb 46f4:0001 serial \"REG00001\" owner \"VM Test\" asset \"VM-1\" enrolled 2026-11-21" \
		>/etc/mediagate/registry
	chmod 0644 /etc/mediagate/registry
	: >"$DLOG"
	: >"$DERR"
	check daemon-start d_start || { nok daemon-start "$(tail -c 300 "$DERR")"; return; }
	sel="serial=\"$ser\" "

	# 1. an unknown stick with the daemon running: read-only after its probe
	check plug req plug-storage s23 vfat "$ser"
	if ! wait_until 20 usb_by_serial "$ser" >/dev/null; then
		nok enumerated "no usb device with serial $ser"
		return
	fi
	d=$(usb_by_serial "$ser")
	audit_wait_n 30 1 "$sel.*stage=media verdict=readonly" && ok first-media-readonly ||
		nok first-media-readonly "$(tail -n 3 "$DLOG")"
	wait_until 30 disk_of "$d" >/dev/null || { nok disk-appears "no disk"; return; }
	disk=$(disk_of "$d")
	udevadm settle --timeout=10
	expect first-sysfs-ro "$(cat /sys/block/$disk/ro)" 1

	# 2. kill -9 and restart: the same verdict, nothing changed, nothing
	#    decided anew, nothing audited (the verdict was); the daemon
	#    re-probes the stick it now knows about, and the probe confirms it
	check kill9 d_kill9
	check daemon-restart d_start -v
	wait_until 20 grep -qE "$d .*readonly in force, (adopted|kept until its medium is probed)" "$DERR" &&
		ok restart-knows-stick || nok restart-knows-stick "$(tail -n 5 "$DERR")"
	wait_until 30 grep -qE "$d .*probed again after the restart, readonly confirmed" "$DERR" &&
		ok restart-reprobe-confirms || nok restart-reprobe-confirms "$(tail -n 5 "$DERR")"
	expect restart-reprobe-silent "$(audit_count "$sel.*stage=media")" 1
	expect restart-no-change "$(audit_count "$sel.*stage=restart")" 0
	expect restart-never-other "$(audit_count "$sel.*verdict=(allow|block)")" 0
	expect restart-same-disk "$(disk_of "$d")" "$disk"
	expect restart-sysfs-ro "$(cat /sys/block/$disk/ro 2>/dev/null)" 1
	check_fails restart-raw-write-fails raw_write "$disk"

	# 2b. the ledger lost (what a kill between the verdict ioctl and its
	#     audit line leaves: the verdict in force, no line, no row): the
	#     restarted daemon audits the verdict in force once, and the next
	#     restart knows it was
	check kill9-lost d_kill9
	rm -f "$RUN/inventory23.db" "$RUN/inventory23.db-wal" "$RUN/inventory23.db-shm"
	check daemon-restart-lost d_start
	audit_wait_n 30 1 "$sel.*stage=restart-adopted verdict=readonly .*rule=\"$CONF:5\"" &&
		ok lost-line-audited || nok lost-line-audited "$(tail -n 3 "$DLOG")"
	mediagated --control "$CTL" --ctl events >"$RUN/events23" 2>&1
	expect lost-line-in-ledger "$(grep -cE "$sel.*stage=restart-adopted" "$RUN/events23")" 1
	check kill9-again d_kill9
	check daemon-restart-again d_start
	wait_until 20 eval "[[ \$(grep -cE '$d .*readonly in force' '$DERR') -ge 3 ]]" &&
		ok again-knows-stick || nok again-knows-stick "$(tail -n 5 "$DERR")"
	sleep 5 # its re-probe
	expect again-not-audited "$(audit_count "$sel.*stage=restart-adopted")" 1
	expect again-no-change "$(audit_count "$sel.*stage=(restart|media) ")" 1
	expect again-sysfs-ro "$(cat /sys/block/$disk/ro 2>/dev/null)" 1

	# 3. a policy that blocks storage, SIGHUP: downgraded to deny, logged
	policy "block    storage"
	check sighup kill -HUP "$(cat "$RUN/daemon23.pid")"
	audit_wait_n 30 1 "$sel.*stage=reload verdict=block" && ok reload-block-logged ||
		nok reload-block-logged "$(tail -n 3 "$DLOG")"
	wait_until 20 eval "! disk_of $d >/dev/null" && ok block-no-disk ||
		nok block-no-disk "disk $(disk_of "$d") still there"
	check block-nothing-bound nothing_bound "$d"

	# 4. the shipped policy again (mediagated --ctl reload): read-only
	policy "readonly storage"
	check ctl-reload-ro mediagated --control "$CTL" --ctl reload
	audit_wait_n 30 1 "$sel.*stage=reload verdict=readonly" && ok reload-readonly-logged ||
		nok reload-readonly-logged "$(tail -n 3 "$DLOG")"
	if wait_until 30 disk_of "$d" >/dev/null; then
		disk=$(disk_of "$d")
		udevadm settle --timeout=10
		expect ro-again-sysfs-ro "$(cat /sys/block/$disk/ro)" 1
		check_fails ro-again-raw-write-fails raw_write "$disk"
	else
		nok ro-again-disk "no disk after the readonly reload"
	fi

	# 5. the reverse: a policy that allows storage; readonly -> allow
	policy "allow    storage"
	check ctl-reload-allow mediagated --control "$CTL" --ctl reload
	audit_wait_n 30 1 "$sel.*stage=reload verdict=allow" && ok reload-allow-logged ||
		nok reload-allow-logged "$(tail -n 3 "$DLOG")"
	disk2=$(disk_of "$d")
	[[ -n $disk2 ]] && disk=$disk2
	if wait_until 20 eval "[[ \$(cat /sys/block/$disk/ro 2>/dev/null) == 0 ]]"; then
		ok allow-sysfs-rw
		check allow-raw-write raw_write "$disk"
	else
		nok allow-sysfs-rw "/sys/block/$disk/ro=$(cat /sys/block/$disk/ro 2>/dev/null)"
	fi
	expect restart-lines-total "$(audit_count "$sel.*stage=restart ")" 0
	expect restart-adopted-total "$(audit_count "$sel.*stage=restart-adopted")" 1
	req unplug-all >/dev/null
}
