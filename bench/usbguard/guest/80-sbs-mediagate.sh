# 80-sbs-mediagate: mediagated + mediagate.ko through the side-by-side phases
# of sbs-lib.sh (latency, burst, cycles) with bench/usbguard/conf/mediagate.conf.
# The decision moment is the verdict ioctl entering the module (kprobe on
# mg_verdict_apply); the daemon's audit lines (stdout) count the decisions.
# timeout: 7200
. /mg/scenarios/sbs-lib.sh
D_LOG=$RUN/sbs-mediagate-audit.log
D_ERR=$RUN/sbs-mediagate.err
D_CTL=$RUN/sbs-control

scenario() {
	sbs_run mediagate
	cp "$D_LOG" "$D_ERR" /results/ 2>/dev/null
}

tool_start() {
	mg_load || return 1
	command -v mediagated >/dev/null || { echo "no mediagated in the initramfs"; return 1; }
	: >"$D_LOG"
	mediagated -d -c /etc/mediagate/sbs.conf --db "$RUN/sbs.db" --control "$D_CTL" \
		>>"$D_LOG" 2>>"$D_ERR" &
	echo $! >"$RUN/sbs.pid"
	wait_until 20 test -S "$D_CTL"
}
tool_decided() { grep -c '^event=verdict ' "$D_LOG"; }
tool_probes() { echo 'p:sbs/verdict mg_verdict_apply handle=%di:u64 verdict=%si:u8'; }
tool_burst_check() {
	expect burst-audit-serials "$(grep '^event=verdict ' "$D_LOG" | grep -o 'serial="SBSB[0-9]*"' | sort -u | wc -l)" "$1"
	expect burst-audit-all-deny "$(grep '^event=verdict ' "$D_LOG" | grep 'serial="SBSB' | grep -vc 'verdict=block\|verdict=deny')" 0
}
tool_stop() {
	local pid
	pid=$(cat "$RUN/sbs.pid" 2>/dev/null)
	[[ -n $pid ]] && kill "$pid" 2>/dev/null
	wait_until 10 eval "! kill -0 ${pid:-0} 2>/dev/null"
	wait_until 10 rmmod mediagate
}
