# 21-daemon-bench (issue 4, done-when 4): mediagated's decision time (kernel
# record read -> verdict ioctl returned, measured inside the daemon and
# reported by its "status", with the split into the daemon's part before the
# ioctl and the ioctl itself) over mg.plugs=N plugs of a mass-storage gadget
# (default 20, as in make check; make bench-daemon-vm passes 100), and its RSS
# after startup and after the plugs. Numbers go out as INFO lines ("bench:
# ..."; bench/daemon-vm.sh collects them); the checks are that every plug was
# decided exactly once and the numbers exist. Under TCG the times are those
# of an emulated CPU; ACCEL=kvm gives real ones.
# timeout: 1500 (100 plugs on a loaded 2-CPU host take 5-10 min)
B_LOG=$RUN/bench-audit.log
B_CTL=$RUN/bench-control

# bench_mem PID WHEN: VmRSS and the smaps_rollup figures, then the mappings
# that hold most of the RSS (summed per file; anonymous ones as [anon]).
bench_mem() {
	local pid=$1 when=$2
	info "bench: mem $when VmRSS $(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status") kB;" \
		"$(awk '/^(Rss|Pss|Pss_Anon|Pss_File|Shared_Clean|Private_Clean|Private_Dirty):/ {
			printf "%s %s kB; ", $1, $2 }' "/proc/$pid/smaps_rollup")"
	info "bench: maps $when (kB rss/pss/private_dirty): $(awk '
		/^[0-9a-f]+-[0-9a-f]+ / { f = NF >= 6 ? $6 : "[anon]"; sub(/.*\//, "", f); next }
		/^Rss:/ { rss[f] += $2 } /^Pss:/ { pss[f] += $2 } /^Private_Dirty:/ { pd[f] += $2 }
		END { for (f in rss) if (rss[f] >= 64) printf "%s %d/%d/%d; ", f, rss[f], pss[f], pd[f] }
		' "/proc/$pid/smaps")"
}

scenario() {
	local n i pid st d
	n=$(sed -n 's/.*mg\.plugs=\([0-9]*\).*/\1/p' /proc/cmdline)
	n=${n:-20}
	mg_load || return
	if ! command -v mediagated >/dev/null; then
		nok daemon-present "mediagated not in the initramfs (run with MEDIAGATED=build/.../mediagated)"
		return
	fi
	check gadget-modules gadget_setup || return
	mkdir -p /etc/mediagate
	printf 'readonly storage\nallow any\n' >/etc/mediagate/bench.conf
	mkfs.vfat -C /tmp/b21.img 4096 >/dev/null 2>&1 || dd if=/dev/zero of=/tmp/b21.img bs=1M count=4 2>/dev/null
	check gadget-create gadget_create b21 1234 5678 BENCH21 "ms" /tmp/b21.img || return
	: >"$B_LOG"
	mediagated -d -c /etc/mediagate/bench.conf --db "$RUN/bench.db" --control "$B_CTL" \
		>>"$B_LOG" 2>>"$RUN/bench.err" &
	pid=$!
	if ! wait_until 10 test -S "$B_CTL"; then
		nok daemon-start "$(tail -c 300 "$RUN/bench.err")"
		kill "$pid" 2>/dev/null
		return
	fi
	sleep 2
	bench_mem "$pid" startup
	for ((i = 1; i <= n; i++)); do
		gadget_plug b21
		if ! wait_until 20 eval "[[ \$(grep -c 'serial=\"BENCH21\"' $B_LOG) -ge $i ]]"; then
			nok plug-decided "plug $i not decided: $(tail -n 1 "$B_LOG")"
			break
		fi
		gadget_unplug b21
		wait_until 10 eval '! usb_by_serial BENCH21 >/dev/null'
	done
	expect every-plug-decided-once "$(grep -c 'serial="BENCH21"' "$B_LOG")" "$n"
	sleep 2
	st=$(mediagated --control "$B_CTL" --ctl status 2>&1)
	d=$(grep '^decisions ' <<<"$st")
	[[ $d == "decisions $n p50_us "* ]] && ok decision-times || nok decision-times "$st"
	info "bench: $d (record read -> verdict ioctl returned, $n plugs)"
	info "bench: $(grep '^decisions_daemon ' <<<"$st") (record read -> verdict ioctl entered)"
	info "bench: $(grep '^decisions_ioctl ' <<<"$st") (the verdict ioctl: the kernel applying it)"
	info "bench: $(grep '^decisions_queued ' <<<"$st") (hold stamped by the kernel -> record read)"
	bench_mem "$pid" after-plugs
	[[ -r /proc/$pid/smaps_rollup ]] && ok idle-rss || nok idle-rss "no smaps_rollup"
	kill "$pid"
	wait_until 10 eval "! kill -0 $pid 2>/dev/null"
	gadget_remove b21
	cp "$B_LOG" "$RUN/bench.err" /results/ 2>/dev/null
}
