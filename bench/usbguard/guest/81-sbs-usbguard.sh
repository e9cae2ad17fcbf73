# 81-sbs-usbguard: Debian's usbguard-daemon (mediagate.ko NOT loaded) through
# the side-by-side phases of sbs-lib.sh with bench/usbguard/conf/rules.conf.
# The decision moment is the daemon's sysfs write entering the USB core
# (kprobes on usb_authorize_device / usb_deauthorize_device, which
# authorized_store calls for "1" / "0"); its audit file counts the decisions.
# timeout: 7200
. /mg/scenarios/sbs-lib.sh
U_AUDIT=/run/mg/usbguard-audit.log
U_LOG=$RUN/sbs-usbguard.log

scenario() {
	sbs_run usbguard
	cp "$U_AUDIT" "$U_LOG" /results/ 2>/dev/null
}

tool_start() {
	mg_loaded && { rmmod mediagate || return 1; }
	command -v usbguard-daemon >/dev/null || { echo "no usbguard-daemon in the initramfs"; return 1; }
	chmod 0600 /etc/usbguard/usbguard-daemon.conf /etc/usbguard/rules.conf
	: >"$U_AUDIT"
	usbguard-daemon -k -c /etc/usbguard/usbguard-daemon.conf >>"$U_LOG" 2>&1 &
	echo $! >"$RUN/sbs.pid"
	# ready: the IPC answers and the present devices were decided
	wait_until 30 eval 'usbguard list-devices >/dev/null 2>&1'
}
# one Policy.Device.Update line per decision (Device.Insert precedes it)
tool_decided() { grep -c "$U_DECISION_RE" "$U_AUDIT"; }
U_DECISION_RE="type='Policy.Device.Update'"
tool_probes() {
	echo 'p:sbs/auth usb_authorize_device devnum=+0(%di):s32 devpath=+4(%di):string'
	echo 'p:sbs/deauth usb_deauthorize_device devnum=+0(%di):s32 devpath=+4(%di):string'
}
tool_burst_check() {
	local l
	l=$(usbguard list-devices 2>&1)
	echo "$l" >/results/sbs-usbguard-burst-list.txt
	expect burst-list-blocked "$(grep -c ': block .*serial "SBSB[0-9]*"' <<<"$l")" "$1"
	expect burst-none-authorized "$(for f in /sys/bus/usb/devices/*/serial; do grep -q SBSB "$f" && cat "${f%serial}authorized"; done | grep -c 1)" 0
}
tool_stop() {
	local pid r
	pid=$(cat "$RUN/sbs.pid" 2>/dev/null)
	[[ -n $pid ]] && kill "$pid" 2>/dev/null
	wait_until 10 eval "! kill -0 ${pid:-0} 2>/dev/null" || kill -9 "$pid" 2>/dev/null
	# AuthorizedDefault=none left every root hub at 0: back to the kernel's default
	for r in /sys/bus/usb/devices/usb*/authorized_default; do echo 1 >"$r"; done
}
