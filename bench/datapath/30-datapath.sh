# 30-datapath (issue 7, bench): read throughput of one QEMU usb-storage stick
# (the host's dp64 image, 64 MiB of random bytes) in three states:
#   none   mediagate.ko not loaded: usb-storage binds the stick by itself
#   allow  module loaded, the stick held, then verdict allow
#   ro     module loaded, the stick held, then verdict readonly (the SCSI
#          write-blocker's filtering queuecommand sits in front of every command)
# Each round plugs the stick once per state, in a rotated order (round r
# starts with state r mod 3) so that drift of the host's load spreads over
# all states, and reads it with O_DIRECT, each read one figure: the whole
# stick 4 times with bs=1M (bandwidth) and 3 times 2 MiB with bs=4k (512
# commands each: the blocker's cost is per command). mg.dp_rounds=N
# (default 5) sets the number of rounds.
# Numbers go out as INFO lines "bench: datapath ..." (bench/datapath/run.sh
# prints them); the checks are only that each state is what it claims
# (module absent/present, verdict applied, a write refused under ro, every
# read complete). Under TCG absolute MB/s mean little; the ratios count.
# timeout: 2400
DP_SERIAL=DATAPATH01
DP_BYTES=67108864
DP_PASSES=4  # whole-stick bs=1M reads per plug
DP_SPASSES=3 # bs=4k reads per plug
DP_SMALL=512 # bs=4k requests per small read

# dp_read DISK BS COUNT [PASSES]: "BYTES SECONDS" of PASSES O_DIRECT reads of
# COUNT blocks (all: the whole disk), summed from dd's own figures
dp_read() {
	local out secs i bytes=0 total=0
	echo 3 >/proc/sys/vm/drop_caches
	for ((i = 0; i < ${4:-1}; i++)); do
		if [[ $3 == all ]]; then
			out=$(dd if="/dev/$1" of=/dev/null bs="$2" iflag=direct 2>&1)
		else
			out=$(dd if="/dev/$1" of=/dev/null bs="$2" count="$3" iflag=direct 2>&1)
		fi
		# "67108864 bytes (67 MB, 64 MiB) copied, 1.23456 s, 54.4 MB/s"
		secs=$(sed -n 's/^\([0-9]*\) bytes .* copied, \([0-9.e+-]*\) s,.*/\1 \2/p' <<<"$out")
		[[ -n $secs ]] || { echo "dd: $out" >&2; return 1; }
		bytes=$((bytes + ${secs%% *}))
		total=$(awk -v a="$total" -v b="${secs#* }" 'BEGIN { printf "%.6f", a + b }')
	done
	echo "$bytes $total"
}

# dp_plug STATE ROUND: plug the stick in STATE; prints the disk name
dp_plug() {
	local state=$1 id=dp-$1 ev h d
	if [[ $state == none ]]; then
		if mg_loaded; then
			mg_stop
			wait_until 10 rmmod mediagate 2>/dev/null || { nok "$id-rmmod" "$(lsmod)"; return 1; }
		fi
	elif ! mg_loaded || ! mg_running; then
		mg_load && mg_start || return 1
	fi
	ev_mark
	[[ $(req plug-storage "$id" dp64 "$DP_SERIAL") == ok* ]] || { nok "$id-plug" "req failed"; return 1; }
	if [[ $state != none ]]; then
		if ! ev=$(ev_wait 30 "type=held .*serial=$DP_SERIAL"); then
			nok "$id-held" "no HELD within 30 s: $(tail -n 2 "$EVLOG")"
			return 1
		fi
		h=$(ev_get "$ev" handle)
		ev_mark
		local v=allow
		[[ $state == ro ]] && v=readonly
		mg_cmd verdict "$h" "$v" >/dev/null &&
			ev_wait 10 "type=applied handle=$h .*verdict=$v" >/dev/null ||
			{ nok "$id-verdict" "$(tail -n 2 "$EVLOG")"; return 1; }
	fi
	wait_until 30 eval 'd=$(usb_by_serial $DP_SERIAL) && disk_of "$d" >/dev/null' ||
		{ nok "$id-disk" "no disk 30 s after plug ($state)"; return 1; }
	udevadm settle --timeout=10
	disk_of "$(usb_by_serial $DP_SERIAL)"
}

# dp_state_ok STATE DISK: the state is what it claims
dp_state_ok() {
	case $1 in
	none) ! mg_loaded ;;
	allow) mg_loaded && [[ $(cat "/sys/block/$2/ro") == 0 ]] ;;
	ro) mg_loaded && ! dd if=/dev/zero of="/dev/$2" bs=512 count=1 seek=8 oflag=direct \
		conv=notrunc 2>/dev/null ;;
	esac
}

# dp_stats STATE BS: "median min max n" of the MB/s figures logged so far
dp_stats() {
	awk -v s="$1" -v b="$2" '$1 == s && $2 == b { print $3 }' "$RUN/dp.tsv" | sort -g |
		awk '{ v[NR] = $1 } END { if (!NR) exit 1; m = NR % 2 ? v[(NR + 1) / 2] :
			(v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.3f %.3f %.3f %d", m, v[1], v[NR], NR }'
}

scenario() {
	local rounds r k state disk big small bad=0 states=(none allow ro) id i bs want got
	rounds=$(sed -n 's/.*mg\.dp_rounds=\([0-9]*\).*/\1/p' /proc/cmdline)
	rounds=${rounds:-5}
	[[ $rounds -ge 1 ]] || rounds=1
	: >"$RUN/dp.tsv"
	info "bench: datapath kernel $(uname -r), $rounds rounds, stick 64 MiB (QEMU usb-storage on xhci)"
	for ((r = 0; r < rounds; r++)); do
		for ((k = 0; k < 3; k++)); do
			state=${states[(r + k) % 3]}
			id=dp-$state
			disk=$(dp_plug "$state" "$r") || { bad=1; req unplug "$id" >/dev/null; continue; }
			dp_state_ok "$state" "$disk" || { nok "$id-state" "$disk is not $state"; bad=1; }
			big= small=
			for ((i = 0; i < DP_PASSES + DP_SPASSES; i++)); do
				if ((i < DP_PASSES)); then
					bs=1M want=$DP_BYTES
					got=$(dp_read "$disk" 1M all) || got=
				else
					bs=4k want=$((DP_SMALL * 4096))
					got=$(dp_read "$disk" 4k $DP_SMALL) || got=
				fi
				if [[ ${got%% *} != "$want" ]]; then
					nok "$id-read" "short read, bs=$bs: '$got'"
					bad=1
					continue
				fi
				awk -v s="$state" -v b=$bs -v n="$want" -v t="${got#* }" 'BEGIN {
					printf "%s %s %.3f\n", s, b, n / 1048576 / t }' >>"$RUN/dp.tsv"
				[[ $bs == 1M ]] && big+=" ${got#* }" || small+=" ${got#* }"
			done
			info "bench: datapath round $r $state: s per bs=1M 64 MiB read:$big;" \
				"s per bs=4k $((DP_SMALL * 4 / 1024)) MiB read:$small"
			[[ $(req unplug "$id") == ok* ]] || { nok "$id-unplug" "req failed"; bad=1; }
			wait_until 20 eval '! usb_by_serial $DP_SERIAL >/dev/null'
		done
	done
	cp "$RUN/dp.tsv" /results/datapath.tsv
	local bs st none med
	for bs in 1M 4k; do
		none=$(dp_stats none "$bs") || { nok "stats-$bs" "no figures"; continue; }
		for st in none allow ro; do
			med=$(dp_stats "$st" "$bs") || { nok "stats-$st-$bs" "no figures"; continue; }
			info "bench: datapath $st bs=$bs MiB/s $(awk -v a="$med" -v b="$none" 'BEGIN {
				split(a, x, " "); split(b, y, " ")
				printf "median %.2f (min %.2f max %.2f, n=%d): vs none median %+.1f %%, best %+.1f %%",
					x[1], x[2], x[3], x[4], (x[1] / y[1] - 1) * 100, (x[3] / y[3] - 1) * 100 }')"
		done
	done
	[[ $bad -eq 0 ]] && ok datapath-all-reads
	[[ $(wc -l <"$RUN/dp.tsv") -eq $((rounds * 3 * (DP_PASSES + DP_SPASSES))) ]] &&
		ok datapath-figures ||
		nok datapath-figures "$(wc -l <"$RUN/dp.tsv") of $((rounds * 3 * (DP_PASSES + DP_SPASSES))) figures"
}
