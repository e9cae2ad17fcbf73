# 35-hotplug-cycles (fault 6): 500 gadget plug/unplug cycles with random
# verdicts (mgtest storm, as in 08), then: no Oops/BUG/WARNING, the module
# unloads, and no kmalloc-*/kernfs_node_cache/mediagate* slab cache grew by
# more than the tolerance over a baseline
# taken after a 20-cycle warm-up and an unload (/proc/slabinfo active
# objects, caches dropped before each snapshot). A leak of one object per
# cycle shows as a growth of ~N. mg.cycles=N (default 500), mg.slabtol=OBJS
# (default N/2, at least 128: dentry/anon_vma/kernfs noise of ~100 seen).
# SLUB counts a CPU's active slab as all in use, so active objects move by
# whole slabs: a cache's tolerance is at least one slab (objperslab; 6.1 saw
# kmalloc-8 +512 and kmalloc-16 +256, exactly one slab each, in a run whose
# other caches were flat). A leak of one object per cycle in a cache with more
# objects per slab than N/2 needs mg.cycles above its objperslab to show.
# timeout: 3600
. /mg/scenarios/stress-lib.sh

scenario() {
	body
	gadget_remove g35
	rm -f /tmp/g35.img
}

# slab_snap FILE: "cache active_objs" of every cache, after dropping caches
slab_snap() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	sleep 2
	echo 3 >/proc/sys/vm/drop_caches
	awk 'NR > 2 { print $1, $2, $5 }' /proc/slabinfo | sort >"$1"
}

SLAB_RE='^(kmalloc-|kmalloc-cg-|kmalloc-rcl-|dma-kmalloc-|kernfs_node_cache|mediagate)'
# slab_delta: "growth cache objperslab" for each cache in both snapshots (no join in busybox)
slab_delta() {
	awk 'NR == FNR { a[$1] = $2; next } ($1 in a) { print $2 - a[$1], $1, $3 }' "$RUN/slab0" "$RUN/slab1"
}

storm() { # storm N SEED: prints the STORM summary line
	mgtest storm "$GADGET/g35/UDC" STORM35 "$1" "$2" >>"$EVLOG" 2>&1
	grep '^STORM ' "$EVLOG" | tail -n 1
}

body() {
	local n seed s tol grown
	n=$(mg_param cycles 500)
	tol=$(mg_param slabtol $((n / 2 > 128 ? n / 2 : 128)))
	seed=${MG_SEED:-$(($(date +%s) % 32768))}
	info "$n cycles, seed $seed, slab tolerance $tol objects per cache"
	mg_load || return
	mg_stop
	check gadget-modules gadget_setup || return
	dd if=/dev/zero of=/tmp/g35.img bs=1M count=4 2>/dev/null
	check gadget-create gadget_create g35 1234 0035 STORM35 ms /tmp/g35.img || return
	s=$(storm 20 "$seed")
	expect warmup-cycles "$(ev_get "$s" cycles)" 20
	sleep 1
	check rmmod-after-warmup wait_until 10 rmmod mediagate || return
	slab_snap "$RUN/slab0"
	modprobe mediagate || { nok module-reload "modprobe failed"; return; }
	wait_until 5 test -c /dev/mediagate
	trial_begin
	s=$(storm "$n" "$seed")
	info "${s:-no STORM summary}"
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
	check_fails no-oops-warn-bug eval "dmesg | grep -E 'Oops|BUG:|WARNING:|Call Trace'"
	sleep 1
	check rmmod-after-cycles wait_until 10 rmmod mediagate
	slab_snap "$RUN/slab1"
	# only the caches the module's and the USB core's objects live in: the
	# rest (vmap_area, inodes, dentries, VMAs) move with the guest's own
	# processes and files by hundreds (seen: vmap_area +329 after 500)
	grown=$(slab_delta | awk -v t="$tol" -v re="$SLAB_RE" \
		'$2 ~ re && $1 > (t > $3 ? t : $3) { printf "%s +%d (slab %d); ", $2, $1, $3 }')
	info "slab growth (top 5, all caches): $(slab_delta | sort -rn | head -n 5 | tr '\n' ';')"
	info "slab growth (top 3, checked caches): $(slab_delta | awk -v re="$SLAB_RE" '$2 ~ re' | sort -rn | head -n 3 | tr '\n' ';')"
	expect slab-back-to-baseline "${grown:-none}" none
	cp "$RUN/slab0" /results/slab0-35.txt
	cp "$RUN/slab1" /results/slab1-35.txt
	modprobe mediagate
	trial_end
	# the trials are the cycles; failed ones are those the storm counted
	# (timeouts, verdict errors) plus one if an end-of-run check failed
	local c t v
	c=$(ev_get "$s" cycles) t=$(ev_get "$s" timeouts) v=$(ev_get "$s" verdict_errors)
	TRIALS=${c:-0}
	TFAIL=$((${t:-0} + ${v:-0} + TFAIL))
	trials_report hotplug-cycles
}
