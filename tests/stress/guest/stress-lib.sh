# Helpers of the fault suite (tests/stress/README.md), sourced by the 3x
# scenarios on top of the harness's /mg/lib.sh. Not a scenario itself.
#
# Every fault reports "TRIALS fault=NAME trials=N failures=M" as an INFO
# marker; tests/stress/run.sh collects them. A trial fails when it added a
# line to $RUN/failed (a NOK check).
DLOG=$RUN/audit-$SCEN.log
DERR=$RUN/daemon-$SCEN.err
CTL=$RUN/control
POLICY=/etc/mediagate/mediagate.conf
DB=${DB:-$RUN/inventory.db}

# mg_param NAME DEFAULT: mg.NAME=VALUE from the kernel command line
mg_param() {
	local v
	v=$(sed -n "s/.*mg\.$1=\([^ ]*\).*/\1/p" /proc/cmdline)
	echo "${v:-$2}"
}

# trial_begin / trial_end: count trials and the ones with a failed check
TRIALS=0
TFAIL=0
trial_begin() { TNOK=$(wc -l <"$RUN/failed" 2>/dev/null || echo 0); }
trial_end() {
	TRIALS=$((TRIALS + 1))
	(($(wc -l <"$RUN/failed" 2>/dev/null || echo 0) > TNOK)) && TFAIL=$((TFAIL + 1))
}
trials_report() { info "TRIALS fault=$1 trials=$TRIALS failures=$TFAIL"; }

# the stress policy: one serial may write, other storage is read-only
write_policy() {
	mkdir -p /etc/mediagate
	cat >"$POLICY" <<-'PEOF'
		allow    storage serial "ALLOW001"
		readonly storage
		allow    any
	PEOF
	chmod 0644 "$POLICY"
}

d_start() {
	mediagated -d -c "$POLICY" --db "$DB" --control "$CTL" "$@" >>"$DLOG" 2>>"$DERR" &
	echo $! >"$RUN/daemon.pid"
	wait_until 20 test -S "$CTL"
}
d_alive() { [[ -f $RUN/daemon.pid ]] && kill -0 "$(cat "$RUN/daemon.pid")" 2>/dev/null; }
d_kill9() {
	kill -9 "$(cat "$RUN/daemon.pid")" 2>/dev/null
	wait_until 5 eval '! kill -0 $(cat $RUN/daemon.pid) 2>/dev/null'
	rm -f "$CTL"
}
d_stop() {
	[[ -f $RUN/daemon.pid ]] || return 0
	kill "$(cat "$RUN/daemon.pid")" 2>/dev/null
	wait_until 10 eval '! kill -0 $(cat $RUN/daemon.pid) 2>/dev/null' ||
		kill -9 "$(cat "$RUN/daemon.pid")" 2>/dev/null
	rm -f "$RUN/daemon.pid" "$CTL"
}
d_ctl() { mediagated --control "$CTL" --ctl "$@"; }
# audit_wait SECONDS ERE: first audit line (stdout of the daemon) matching ERE
audit_wait() {
	local end=$(($(date +%s) + $1)) l
	while :; do
		l=$(grep -m1 -E "$2" "$DLOG" 2>/dev/null)
		[[ -n $l ]] && { echo "$l"; return 0; }
		(($(date +%s) >= end)) && return 1
		sleep 0.2
	done
}
count_audit() { grep -cE "$1" "$DLOG"; }

# one gadget stick on dummy_hcd; its serial is rewritten while unplugged
STICK=gs
stick_setup() {
	gadget_setup || return 1
	[[ -f /tmp/stress.img ]] || mkfs.vfat -C /tmp/stress.img 4096 >/dev/null 2>&1 ||
		dd if=/dev/zero of=/tmp/stress.img bs=1M count=4 2>/dev/null
	[[ -d $GADGET/$STICK ]] || gadget_create "$STICK" 1234 5678 STRESS0 ms /tmp/stress.img
}
stick_plug() { # stick_plug SERIAL
	gadget_unplug "$STICK"
	echo "$1" >"$GADGET/$STICK/strings/0x409/serialnumber"
	gadget_plug "$STICK"
}
stick_unplug() {
	gadget_unplug "$STICK"
	wait_until 10 eval '! ls /sys/block | grep -q ^sd'
}
# stick_disk SERIAL: the sdX of the plugged stick, if it has one
stick_disk() {
	local u
	u=$(usb_by_serial "$1") || return 1
	disk_of "$u"
}
# writable_now DISK: a raw write would succeed (ro flag clear and dd works)
writable_now() {
	[[ $(cat "/sys/block/$1/ro" 2>/dev/null) == 0 ]] &&
		dd if=/dev/zero of="/dev/$1" bs=4096 seek=512 count=1 oflag=direct conv=fsync,notrunc 2>/dev/null
}
# rw_mounted: any sd* mounted read-write
rw_mounted() { awk '$1 ~ /^\/dev\/sd/ && $4 ~ /^rw/ { f = 1 } END { exit !f }' /proc/mounts; }

stress_cleanup() {
	d_stop
	killall syslogd 2>/dev/null
	cp "$DLOG" "$DERR" /results/ 2>/dev/null
	gadget_remove "$STICK"
}
