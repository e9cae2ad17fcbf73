#!/bin/bash
# Boot one kernel under QEMU, run guest scenarios, act as the guest's "hand"
# (QMP hot-plug on request) and turn the guest's serial markers into the
# suite's "PASS: <case>" / "FAIL: <case>" lines.
#
#   vm-run.sh -l LABEL -k VMLINUZ -i INITRD -w WORKDIR [-s "01 03"] [-t SECONDS]
#
# Environment: ACCEL=tcg|kvm (default tcg), VM_MEM (MiB, 1024), VM_SMP (2),
# VM_APPEND (extra kernel arguments), VM_VERBOSE=1 (echo every guest check).
#
# Channels: ttyS0 = kernel console (WORKDIR/console.log), ttyS1 = markers only
# (WORKDIR/marks.log), 9p share "results" = WORKDIR/results (acks to the
# guest's requests, images.env, the guest's dmesg and logs).
# Exit status non-zero on any FAIL, a timeout, a missing DONE, or an
# Oops/BUG/WARNING/Call Trace in the guest kernel log.
set -uo pipefail
vmdir=$(cd "$(dirname "$0")/.." && pwd)
label= kernel= initrd= work= scenarios=all timeout=${VM_TIMEOUT:-2400}
while getopts l:k:i:w:s:t: o; do
	case $o in
	l) label=$OPTARG ;;
	k) kernel=$OPTARG ;;
	i) initrd=$OPTARG ;;
	w) work=$OPTARG ;;
	s) scenarios=$OPTARG ;;
	t) timeout=$OPTARG ;;
	*) exit 2 ;;
	esac
done
[[ -n $label && -f $kernel && -f $initrd && -n $work ]] ||
	{ echo "usage: vm-run.sh -l LABEL -k VMLINUZ -i INITRD -w WORKDIR [-s LIST] [-t SEC]" >&2; exit 2; }
accel=${ACCEL:-tcg}
[[ $accel == tcg ]] && accel=tcg,thread=multi

mkdir -p "$work"
work=$(realpath "$work")
imgdir=$work/../images
"$vmdir/lib/mkimages.sh" "$imgdir" || { echo "FAIL: $label/harness (mkimages)"; exit 1; }
imgdir=$(realpath "$imgdir")
results=$work/results disks=$work/disks
marks=$work/marks.log console=$work/console.log sock=$work/qmp.sock

qpid= tailpid= nfail=0 npass=0 t0=0 done_seen=0
declare -A seen_result=()

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
say() { echo "[$label] $*"; }

cleanup() {
	[[ -n ${QMP_PID:-} ]] && kill "$QMP_PID" 2>/dev/null
	[[ -n $tailpid ]] && kill "$tailpid" 2>/dev/null
	if [[ -n $qpid ]] && kill -0 "$qpid" 2>/dev/null; then
		kill "$qpid" 2>/dev/null
		sleep 0.5
		kill -9 "$qpid" 2>/dev/null
	fi
	wait 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_vm() {
	rm -rf "$results" "$disks"
	mkdir -p "$results/ack" "$disks"
	cp "$imgdir/images.env" "$imgdir/luks.key" "$results/"
	: >"$marks"
	: >"$console"
	rm -f "$sock"
	local append="console=ttyS0 panic=-1 loglevel=5 usb-storage.delay_use=0 mg.scenarios=$scenarios ${VM_APPEND:-}"
	t0=$(now)
	qemu-system-x86_64 -accel "$accel" -cpu max -machine q35 -m "${VM_MEM:-1024}" \
		-smp "${VM_SMP:-2}" -display none -no-reboot -nodefaults \
		-bios /usr/share/qemu/qboot.rom \
		-serial "file:$console" -serial "file:$marks" \
		-qmp "unix:$sock,server=on,wait=off" \
		-device qemu-xhci,id=xhci,p2=8,p3=8 \
		-virtfs "local,path=$results,mount_tag=results,security_model=none,id=results" \
		-kernel "$kernel" -initrd "$initrd" -append "$append" \
		>"$work/qemu.out" 2>&1 &
	qpid=$!
}

# --- QMP over one socat coprocess ---
qmp_connect() {
	local i line
	for ((i = 0; i < 100; i++)); do
		[[ -S $sock ]] && break
		sleep 0.1
	done
	coproc QMP { exec socat - "UNIX-CONNECT:$sock"; }
	read -r -t 10 line <&"${QMP[0]}" || return 1
	qmp '{"execute":"qmp_capabilities"}'
}
QMP_EVENTS=
# qmp JSON: send one command, wait for its reply; events seen meanwhile are kept.
qmp() {
	local line
	QMP_REPLY=
	printf '%s\n' "$1" >&"${QMP[1]}" || return 1
	while read -r -t 30 line <&"${QMP[0]}"; do
		case $line in
		*'"return"'*) QMP_REPLY=$line; return 0 ;;
		*'"error"'*) QMP_REPLY=$line; return 1 ;;
		*'"event"'*) QMP_EVENTS+=$line$'\n' ;;
		esac
	done
	QMP_REPLY="no reply"
	return 1
}
# qmp_wait_deleted ID: wait for DEVICE_DELETED of ID (10 s).
qmp_wait_deleted() {
	local id=$1 line end=$((SECONDS + 10))
	while ((SECONDS < end)); do
		if grep -q "\"DEVICE_DELETED\".*\"device\": *\"$id\"" <<<"$QMP_EVENTS"; then
			QMP_EVENTS=$(grep -v "\"device\": *\"$id\"" <<<"$QMP_EVENTS")
			return 0
		fi
		read -r -t 1 line <&"${QMP[0]}" && QMP_EVENTS+=$line$'\n'
	done
	return 1
}

# --- the guest's requests: "REQ <n> <verb> <args...>", answered in results/ack/<n> ---
# do_req VERB ARGS: runs in this shell (it keeps plugged[]), answer in $ans
declare -A plugged=()
plug_order=()
ans=
do_req() {
	local verb=$1 id=${2:-} img
	case $verb in
	plug-storage | replug-storage) # plug-storage ID IMAGE SERIAL [removable]; replug: IMAGE ignored
		img=$disks/$id.img
		local src=$imgdir/$3.img
		# images made for one scenario (MG_VM_EXTRA_IMAGES, e.g. prep-lifecycle.sh)
		[[ ! -f $src && -n ${MG_VM_EXTRA_IMAGES:-} ]] && src=$MG_VM_EXTRA_IMAGES/$3.img
		# replug-storage: the same disk again, with what the guest wrote on it
		[[ $verb == replug-storage ]] && src=
		if [[ -n $src ]]; then
			cp "$src" "$img" || { ans="err no image $3"; return; }
		fi
		[[ -f $img ]] || { ans="err no disk $id to re-plug"; return; }
		qmp "{\"execute\":\"blockdev-add\",\"arguments\":{\"driver\":\"raw\",\"node-name\":\"drv-$id\",\"file\":{\"driver\":\"file\",\"filename\":\"$img\"}}}" ||
			{ ans="err blockdev-add $QMP_REPLY"; return; }
		local rm=
		[[ ${5:-} == removable ]] && rm=',"removable":true'
		qmp "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"usb-storage\",\"id\":\"$id\",\"drive\":\"drv-$id\",\"bus\":\"xhci.0\",\"serial\":\"$4\"$rm}}" ||
			{ ans="err device_add $QMP_REPLY"; return; }
		plugged[$id]=storage
		plug_order+=("$id")
		ans=ok
		;;
	plug-burst) # plug-burst PREFIX N SERIALPREFIX HUBPORT...: N sticks (null-co, 16 MiB of
		# zeroes), 8 per hub, ports HUB.1..HUB.8; drives first, then the device_adds back to back
		local n=$3 sp=$4 hubs=("${@:5}") i sid
		for ((i = 1; i <= n; i++)); do
			sid=$id$(printf %02d "$i")
			qmp "{\"execute\":\"blockdev-add\",\"arguments\":{\"driver\":\"null-co\",\"node-name\":\"drv-$sid\",\"size\":16777216,\"read-zeroes\":true}}" ||
				{ ans="err blockdev-add $QMP_REPLY"; return; }
		done
		for ((i = 1; i <= n; i++)); do
			sid=$id$(printf %02d "$i")
			qmp "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"usb-storage\",\"id\":\"$sid\",\"drive\":\"drv-$sid\",\"bus\":\"xhci.0\",\"port\":\"${hubs[(i - 1) / 8]}.$(((i - 1) % 8 + 1))\",\"serial\":\"$sp$(printf %02d "$i")\"}}" ||
				{ ans="err device_add $QMP_REPLY"; return; }
			plugged[$sid]=storage
			plug_order+=("$sid")
		done
		ans=ok
		;;
	plug-kbd | plug-mouse | plug-hub) # plug-kbd ID [PORT]
		local drv=usb-${verb#plug-} port=
		[[ -n ${3:-} ]] && port=",\"port\":\"$3\""
		qmp "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"$drv\",\"id\":\"$id\",\"bus\":\"xhci.0\"$port}}" ||
			{ ans="err device_add $QMP_REPLY"; return; }
		plugged[$id]=${verb#plug-}
		plug_order+=("$id")
		ans=ok
		;;
	unplug) # unplug ID
		if qmp "{\"execute\":\"device_del\",\"arguments\":{\"id\":\"$id\"}}"; then
			qmp_wait_deleted "$id" || { ans="err no DEVICE_DELETED"; return; }
		elif [[ -z ${plugged[$id]:-} || $QMP_REPLY != *DeviceNotFound* ]]; then
			ans="err device_del $QMP_REPLY"
			return
		fi # else: already gone with the hub it was plugged into
		if [[ ${plugged[$id]:-} == storage ]]; then
			qmp "{\"execute\":\"blockdev-del\",\"arguments\":{\"node-name\":\"drv-$id\"}}" ||
				{ ans="err blockdev-del $QMP_REPLY"; return; }
		fi
		unset "plugged[$id]"
		ans=ok
		;;
	unplug-all) # newest first: devices behind a hub before the hub
		local i d
		for ((i = ${#plug_order[@]} - 1; i >= 0; i--)); do
			d=${plug_order[i]}
			[[ -n ${plugged[$d]:-} ]] || continue
			do_req unplug "$d"
			[[ $ans == ok ]] || { ans="err $d: $ans"; return; }
		done
		plug_order=()
		ans=ok
		;;
	sha) # sha ID: sha256 of the disk image behind ID, as the host sees it
		[[ -f $disks/$id.img ]] || { ans="err no disk $id"; return; }
		ans="ok $(sha256sum "$disks/$id.img" | cut -d' ' -f1)"
		;;
	*) ans="err unknown request $verb" ;;
	esac
}

# --- markers ---
result() { # result PASS|FAIL CASE [why]
	local r=$1 c=$2
	seen_result[$c]=1
	if [[ $r == PASS ]]; then
		npass=$((npass + 1))
		echo "PASS: $label/$c"
	else
		nfail=$((nfail + 1))
		echo "FAIL: $label/$c${3:+ ($3)}"
	fi
}
handle() {
	local l=$1 tag rest
	tag=${l%% *}
	rest=${l#* }
	[[ $tag == "$l" ]] && rest=
	case $tag in
	MARK:BOOT) say "guest /init reached at host $(elapsed "$t0") s (guest uptime $rest s)" ;;
	MARK:READY) boot_s=$(elapsed "$t0"); say "boot: $boot_s s to READY (modules + udev; guest uptime $rest s)" ;;
	MARK:REQ)
		local n=${rest%% *}
		# shellcheck disable=SC2086
		do_req ${rest#* }
		[[ $ans == ok* ]] || say "request '${rest#* }' failed: $ans"
		echo "$ans" >"$results/ack/$n.tmp" && mv "$results/ack/$n.tmp" "$results/ack/$n"
		;;
	MARK:OK) [[ ${VM_VERBOSE:-0} == 1 ]] && say "  ok   $rest" ;;
	MARK:NOK) say "  FAILED check $rest" ;;
	MARK:INFO) say "  info $rest" ;;
	MARK:TIME) say "time $rest" ;;
	MARK:PASS) result PASS "${rest%% *}" ;;
	MARK:FAIL) local c=${rest%% *}; result FAIL "$c" "$([[ $rest == *' '* ]] && echo "${rest#* }")" ;;
	MARK:DONE) done_seen=1 ;;
	MARK:*) say "unknown marker: $l" ;;
	esac
}

# run_vm: boot and process markers until DONE; returns 3 if /init was never
# reached (worth one retry), 1 on timeout/death, 0 after DONE.
run_vm() {
	local line partial= deadline booted=0 boot_deadline
	start_vm
	qmp_connect || { say "QMP connect failed: $(cat "$work/qemu.out")"; return 1; }
	exec {mf}< <(exec tail -n +1 -F "$marks" 2>/dev/null)
	tailpid=$!
	deadline=$(($(date +%s) + timeout))
	boot_deadline=$(($(date +%s) + ${VM_BOOT_TIMEOUT:-180}))
	while :; do
		if IFS= read -r -t 2 -u "$mf" line; then
			line=$partial$line
			partial=
			line=${line//$'\r'/}
			[[ $line == MARK:BOOT* ]] && booted=1
			[[ -n $line ]] && handle "$line"
			((done_seen)) && break
			continue
		fi
		partial+=$line
		if ! kill -0 "$qpid" 2>/dev/null; then
			say "QEMU exited before DONE: $(tail -c 300 "$work/qemu.out")"
			((booted)) || return 3
			return 1
		fi
		if ((!booted && $(date +%s) > boot_deadline)); then
			return 3
		fi
		if (($(date +%s) > deadline)); then
			say "timeout after $timeout s"
			return 1
		fi
	done
	# the guest powers off after DONE
	local i
	for ((i = 0; i < 100; i++)); do
		kill -0 "$qpid" 2>/dev/null || break
		sleep 0.1
	done
	return 0
}

# developer shell: console on this terminal, no marker processing
if [[ ${VM_SHELL:-0} == 1 ]]; then
	rm -rf "$results"
	mkdir -p "$results/ack"
	cp "$imgdir/images.env" "$results/"
	echo "[$label] shell: QMP at $sock, images in $imgdir, results share $results; Ctrl-A X quits"
	exec qemu-system-x86_64 -accel "$accel" -cpu max -machine q35 -m "${VM_MEM:-1024}" \
		-smp "${VM_SMP:-2}" -display none -no-reboot -nodefaults \
		-bios /usr/share/qemu/qboot.rom -serial mon:stdio -serial "file:$marks" \
		-qmp "unix:$sock,server=on,wait=off" -device qemu-xhci,id=xhci,p2=8,p3=8 \
		-virtfs "local,path=$results,mount_tag=results,security_model=none,id=results" \
		-kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyS0 loglevel=5 usb-storage.delay_use=0 mg.scenarios=none mg.shell=1"
fi

boot_s=?
run_vm
rc=$?
if [[ $rc -eq 3 ]]; then
	say "boot never reached /init (TCG early panic?); console tail:"
	tail -n 5 "$console" | sed "s/^/[$label]   /"
	say "retrying the boot once"
	cleanup
	qpid= tailpid=
	run_vm
	rc=$?
fi
suite_s=$(elapsed "$t0")
cleanup
qpid= tailpid=

if [[ $rc -ne 0 ]]; then
	result FAIL harness "no DONE marker: $([[ $rc -eq 3 ]] && echo 'boot failed' || echo 'timeout or VM died'); see $console"
fi
# scenarios that never reported
want=$(cat "$results/scenarios.list" 2>/dev/null)
for c in $want; do
	[[ -n ${seen_result[$c]:-} ]] || result FAIL "$c" "no result reported"
done
# kernel log
bad=$(cat "$console" "$results"/dmesg*.txt 2>/dev/null | grep -E 'Oops|BUG:|WARNING:|Call Trace' | head -n 5)
if [[ -n $bad ]]; then
	result FAIL kernel-log "$(head -n 1 <<<"$bad" | tr -d '\r')"
	sed "s/^/[$label]   /" <<<"$bad"
else
	result PASS kernel-log
fi
say "time: boot $boot_s s, whole suite $suite_s s; $npass passed, $nfail failed; logs in $work"
[[ $nfail -eq 0 ]]
