# timeout: 900
# 90-demo: the guest half of `make demo` (tests/vm/demo/run.sh). Not a test
# suite: a walk-through a newcomer reads. Every line for the transcript goes
# to the host as an INFO marker; a step that should work and does not is a
# failed check (nok), which makes `make demo` exit 1.
#
# The host made /etc/mediagate (the shipped policy, a registry with two
# enrolled media, the organisation's public key) and /root/company.key (the
# passphrase of the enrolled stick MG-0001). The host plugs, over QMP:
#   company  the enrolled LUKS2 stick, serial MGDEMO0001
#   data     an unknown plain stick (the harness's ext4 image, label MGDATA)
#   luks     a LUKS2 stick that is not in the registry (the harness's luks image)
#   kbd      a USB keyboard
CONF=/etc/mediagate/mediagate.conf
AUDIT=$RUN/audit.out
DERR=$RUN/daemon.err
SYSLOG=/var/log/messages

say() { mark INFO "$SCEN" "$*"; }
# show PREFIX: each stdin line to the transcript, prefixed
show() {
	local l
	while IFS= read -r l; do say "$1$l"; done
}
# kv LINE KEY: value of KEY=value or KEY="value" in an audit line
kv() {
	local v
	v=$(sed -n "s/.* $2=\"\([^\"]*\)\".*/\1/p" <<<" $1")
	[[ -z $v ]] && v=$(sed -n "s/.* $2=\([^ \"]*\).*/\1/p" <<<" $1")
	echo "$v"
}
# audit_wait SECONDS ERE: the last audit line matching ERE, once there is one
audit_wait() {
	local end=$(($(date +%s) + $1)) l
	while :; do
		l=$(grep -E "$2" "$AUDIT" 2>/dev/null | tail -n 1)
		[[ -n $l ]] && { echo "$l"; return 0; }
		(($(date +%s) >= end)) && return 1
		sleep 0.2
	done
}
# rule_text FILE:LINE: the rule as written in the policy
rule_text() {
	local n=${1##*:}
	[[ $n =~ ^[0-9]+$ ]] && sed -n "${n}p" "$CONF" | tr -s ' '
}
# verdicts SERIAL: one readable line per verdict the daemon logged for it
verdicts() {
	local l rule extra
	grep -E "^event=verdict .*serial=\"$1\"" "$AUDIT" | while IFS= read -r l; do
		rule=$(kv "$l" rule)
		extra="media=$(kv "$l" media)"
		[[ $(kv "$l" media) == unknown ]] || extra+=" registered=$(kv "$l" registered)"
		[[ -n $(kv "$l" medium) ]] && extra+=" medium=$(kv "$l" medium)"
		[[ -n $(kv "$l" fstype) ]] && extra+=" fs=$(kv "$l" fstype)"
		say "   verdict $(printf '%-8s' "$(kv "$l" verdict)") ($(kv "$l" stage) stage)  rule ${rule##*/}: '$(rule_text "$rule")'"
		say "            $extra; why: $(kv "$l" reason)"
	done
}
# mount_line SERIAL EVENT: the audit line of a mount/unmount, readable
mount_line() {
	local l
	l=$(audit_wait 20 "^event=$2 .*serial=\"$1\"") || { say "   (no $2 audit line yet)"; return 1; }
	say "   audit: $2 of $(kv "$l" block) on $(kv "$l" mountpoint): mode=$(kv "$l" mode) user=$(kv "$l" user) (from the $(kv "$l" user_source))"
}
# plug ID IMAGE SERIAL: plug a stick and wait for the daemon's final verdict
plug() {
	req plug-storage "$1" "$2" "$3" >/dev/null || { nok "plug-$1" "the host could not plug $2"; return 1; }
	if ! audit_wait 60 "^event=verdict .*serial=\"$3\" .*stage=media" >/dev/null; then
		nok "verdict-$1" "no media-stage verdict for $3 within 60 s: $(tail -n 2 "$AUDIT") $(tail -c 300 "$DERR")"
		return 1
	fi
	local d
	wait_until 20 usb_by_serial "$3" >/dev/null && d=$(usb_by_serial "$3") &&
		wait_until 30 disk_of "$d" >/dev/null || { nok "disk-$1" "no disk for $3"; return 1; }
	udevadm settle --timeout=10
	DISK=$(disk_of "$d")
	say "   kernel: USB $d -> /dev/$DISK, /sys/block/$DISK/ro = $(cat "/sys/block/$DISK/ro")"
}
# refused TEXT CMD...: CMD must fail; its error goes to the transcript
refused() {
	local t=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [[ $rc -ne 0 ]]; then
		ok "refused-${t%% *}"
		say "   $t: refused, as it should be:"
		grep -v '^ *$' <<<"$out" | tail -n 3 | show "     | "
	else
		nok "refused-$t" "'$*' SUCCEEDED on a read-only stick: $out"
	fi
}

# blocked_tasks: kernel stacks of every task in D state (for a hang report)
blocked_tasks() {
	local p
	for p in /proc/[0-9]*; do
		grep -q '^State:.*D' "$p/status" 2>/dev/null || continue
		echo "task $(cat "$p/comm") pid ${p#/proc/} wchan $(cat "$p/wchan" 2>/dev/null):"
		cat "$p/stack" 2>/dev/null | head -n 12
	done
}
# open_luks DEV NAME: cryptsetup open with the stick's key file; on a hang
# (90 s) the blocked tasks go to the transcript
open_luks() {
	local pid
	cryptsetup open --debug --key-file /root/company.key "$1" "$2" >"$RUN/open.out" 2>&1 &
	pid=$!
	if ! wait_until 90 eval "! kill -0 $pid 2>/dev/null"; then
		say "   !!! cryptsetup open has not returned after 90 s; blocked tasks:"
		blocked_tasks | show "     | "
		say "   cryptsetup: $(grep State /proc/$pid/status) wchan $(cat /proc/$pid/wchan)"
		cat /proc/$pid/stack | show "     stack| "
		tail -n 25 "$RUN/open.out" | show "     debug| "
		dmsetup ls 2>&1 | show "     dmsetup| "
		ls -la /run/cryptsetup /run/udev 2>&1 | show "     ls| "
		ps | grep -v ' \[' | show "     ps| "
		dmesg | tail -n 15 | show "     dmesg| "
		echo w >/proc/sysrq-trigger 2>/dev/null
		kill -9 $pid 2>/dev/null
		return 1
	fi
	wait $pid
}

scenario() {
	body
	[[ -f $RUN/daemon.pid ]] && kill "$(cat "$RUN/daemon.pid")" 2>/dev/null
	cp "$AUDIT" "$DERR" "$SYSLOG" /results/ 2>/dev/null
}

start_daemon() {
	mg_load || return 1
	hostname demo-desktop
	mkdir -p /var/log /var/lib/mediagate /run/mediagate /media/taro
	syslogd -n -O "$SYSLOG" &
	wait_until 10 test -S /dev/log || { nok syslogd "busybox syslogd did not create /dev/log"; return 1; }
	mediagated -d >"$AUDIT" 2>"$DERR" &
	echo $! >"$RUN/daemon.pid"
	if ! wait_until 20 test -S /run/mediagate/control; then
		nok daemon-start "mediagated did not start: $(tail -c 400 "$DERR")"
		return 1
	fi
	say "== The desktop (guest): $(uname -r), mediagate.ko loaded, mediagated running, busybox syslogd"
	say "   policy $CONF (the shipped policy/mediagate.conf), its rules:"
	grep -n -v -E '^[[:space:]]*(#|$)' "$CONF" | show "     | "
	say "   registry /etc/mediagate/registry (made on the admin side with mediagatectl enroll):"
	show "     | " </etc/mediagate/registry
	say "   organisation public key /etc/mediagate/org.pub: $(mediagatectl org-key show --public /etc/mediagate/org.pub 2>&1 | sed -n 's/^organisation id: //p')"
}

company_stick() {
	local mnt=/media/taro/COMPANY mode
	say ""
	say "== 1. The company stick MG-0001 (enrolled, LUKS2, owner Taro Yamada), serial MGDEMO0001"
	plug company company MGDEMO0001 || return
	verdicts MGDEMO0001
	wait_until 15 eval "[[ \$(cat /sys/block/$DISK/ro) == 0 ]]"
	if [[ $(cat "/sys/block/$DISK/ro") != 0 ]]; then
		say "   !!! THE REGISTERED STICK DID NOT COME UP READ-WRITE !!!"
		nok company-rw "/sys/block/$DISK/ro = $(cat "/sys/block/$DISK/ro"): $(tail -n 2 "$AUDIT")"
		return
	fi
	say "   kernel: /sys/block/$DISK/ro = 0: read-write"
	ok company-rw
	SUMMARY+=("company stick MG-0001: read-write (rule $(rule_of MGDEMO0001)), opened, written")
	if ! open_luks "/dev/$DISK" company; then
		nok company-open "cryptsetup open: $(tail -c 300 "$RUN/open.out")"
		return
	fi
	udevadm settle --timeout=10
	say "   cryptsetup open --key-file ... /dev/$DISK company: /dev/mapper/company"
	if [[ -z $(blkid -o value -s TYPE /dev/mapper/company) ]]; then
		say "   blank inside (enrolled with --fs none): mkfs.ext4 -L COMPANY /dev/mapper/company"
		mkfs.ext4 -q -b 4096 -L COMPANY /dev/mapper/company >"$RUN/out" 2>&1 ||
			{ nok company-mkfs "$(cat "$RUN/out")"; return; }
	fi
	mkdir -p "$mnt"
	mount /dev/mapper/company "$mnt" 2>"$RUN/out" || { nok company-mount "$(cat "$RUN/out")"; return; }
	mode=$(awk -v m="$mnt" '$2 == m { split($4, o, ","); print o[1] }' /proc/mounts)
	say "   mount /dev/mapper/company $mnt: mounted $mode"
	[[ $mode == rw ]] && ok company-mount-rw || nok company-mount-rw "the company stick mounted $mode"
	if echo "quarterly report, written $(date -u '+%F %T') UTC" >"$mnt/report.txt" && sync; then
		say "   wrote $mnt/report.txt: $(cat "$mnt/report.txt")"
	else
		nok company-write "writing to the registered stick failed"
	fi
	mount_line MGDEMO0001 mount
	umount "$mnt"
	cryptsetup close company
	udevadm settle --timeout=10
	mount_line MGDEMO0001 unmount
}

unknown_stick() {
	local mnt=/media/taro/MGDATA mode sg sha
	say ""
	say "== 2. An unknown plain stick (ext4, label MGDATA), serial USB7731"
	plug plain data USB7731 || return
	verdicts USB7731
	[[ $(cat "/sys/block/$DISK/ro") == 1 ]] && ok plain-ro || nok plain-ro "/sys/block/$DISK/ro is not 1"
	SUMMARY+=("unknown plain stick:   $(last_verdict USB7731) (rule $(rule_of USB7731)), mounted ro, writes refused")
	mkdir -p "$mnt"
	if mount "/dev/$DISK" "$mnt" >"$RUN/out" 2>&1; then
		mode=$(awk -v m="$mnt" '$2 == m { split($4, o, ","); print o[1] }' /proc/mounts)
		say "   mount /dev/$DISK $mnt: mounted $mode$([[ -s $RUN/out ]] && echo " ($(tr '\n' ' ' <"$RUN/out"))")"
		[[ $mode == ro ]] && ok plain-mount-ro || nok plain-mount-ro "the unknown stick mounted $mode"
		say "   reading works: ls $mnt: $(ls "$mnt" | tr '\n' ' ')"
		say "                  cat $mnt/README: $(cat "$mnt/README" 2>&1)"
		refused "touch $mnt/new.txt" touch "$mnt/new.txt"
		mount_line USB7731 mount
		umount "$mnt"
		mount_line USB7731 unmount
	else
		nok plain-mount "mount /dev/$DISK: $(cat "$RUN/out")"
	fi
	udevadm settle --timeout=10
	sg=$(sg_of "$DISK")
	zero512
	if [[ -n $sg ]]; then
		refused "raw SCSI WRITE(10) to /dev/$sg (sg_raw, bypassing the block layer)" \
			timeout 30 sg_raw -s 512 -i /tmp/zero512 "/dev/$sg" 2a 00 00 00 00 00 00 00 01 00
	fi
	refused "dd of=/dev/$DISK" dd if=/dev/zero of="/dev/$DISK" bs=4096 count=1 oflag=direct conv=fsync
	udevadm settle --timeout=10
	sha=$(req sha plain)
	if [[ ${sha#ok } == "$DATA_SHA" ]]; then
		say "   host: the stick's image file is byte-identical to before the plug (sha256 ${DATA_SHA:0:16}...)"
	else
		nok plain-unchanged "host image sha256 ${sha#ok }, before $DATA_SHA"
	fi
}

foreign_luks_stick() {
	say ""
	say "== 3. A LUKS2 stick that is not registered (somebody's own encrypted stick), serial LUKS0815"
	plug foreign luks LUKS0815 || return
	verdicts LUKS0815
	[[ $(cat "/sys/block/$DISK/ro") == 1 ]] && ok foreign-ro || nok foreign-ro "/sys/block/$DISK/ro is not 1"
	SUMMARY+=("unregistered LUKS2:    $(last_verdict LUKS0815) (rule $(rule_of LUKS0815))")
	refused "dd of=/dev/$DISK" dd if=/dev/zero of="/dev/$DISK" bs=4096 seek=4096 count=1 oflag=direct conv=fsync
	udevadm settle --timeout=10
}

keyboard() {
	local d n
	say ""
	say "== 4. A USB keyboard"
	req plug-kbd kbd >/dev/null || { nok kbd-plug "the host could not plug the keyboard"; return; }
	for ((n = 0; n < 200; n++)); do
		for d in /sys/bus/usb/devices/*; do
			[[ -f $d/product && $(cat "$d/product") == "QEMU USB Keyboard" ]] || continue
			[[ -n $(input_of "$(basename "$d")") ]] && break 2
		done
		sleep 0.1
	done
	d=$(basename "$d")
	if [[ -z $(input_of "$d") ]]; then
		nok kbd-input "the keyboard got no input device"
		return
	fi
	say "   kernel: USB $d bound to $(intf_driver "$d:1.0"), input device $(input_of "$d" | tr '\n' ' ')(it works)"
	ok kbd-input
	SUMMARY+=("USB keyboard:          works (not held; the policy would say $(mediagatectl explain "$d" 2>/dev/null | sed -n 's/^verdict: //p'), rule $(mediagatectl explain "$d" 2>/dev/null | sed -n 's|^rule: .*/||p'))")
	say "   not held by mediagate.ko: no storage interface, nothing to decide, no audit line ($(grep -c 'QEMU USB Keyboard' "$AUDIT") lines)"
	say "   mediagatectl explain $d (what the policy would say):"
	mediagatectl explain "$d" 2>&1 | grep -E '^ *(id|product|interface [0-9]+):|^(verdict|rule|why):' |
		show "     | "
}

reports() {
	say ""
	say "== The daemon's view: mediagatectl list"
	mediagatectl list 2>&1 | show "     | "
	say ""
	say "== syslog (busybox syslogd -> $SYSLOG): every line from mediagated"
	grep 'mediagated' "$SYSLOG" | sed 's/^\([A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]*\) /\1 /' | show "   "
	[[ $(grep -c 'mediagated.*event=verdict' "$SYSLOG") -gt 0 ]] && ok syslog ||
		nok syslog "no verdict line reached syslog"
	say ""
	say "== mediagatectl inventory (the desktop's ledger, /var/lib/mediagate/inventory.db)"
	mediagatectl inventory 2>&1 | show "   "
	say ""
	say "== mediagatectl stocktake (registered media not seen for 90 days: the list to chase)"
	mediagatectl stocktake 2>&1 | show "   "
	say "   (MG-0002 was enrolled on the admin side but has never been seen on this desktop)"
}

# last_verdict SERIAL, rule_of SERIAL: of the daemon's last verdict line for it
last_verdict() { kv "$(grep "^event=verdict .*serial=\"$1\"" "$AUDIT" | tail -n 1)" verdict; }
rule_of() {
	local r
	r=$(kv "$(grep "^event=verdict .*serial=\"$1\"" "$AUDIT" | tail -n 1)" rule)
	echo "${r##*/}"
}

# unplug everything and wait until the guest has seen it go
unplug_all() {
	local s
	req unplug-all >/dev/null || { nok unplug "the host could not unplug the devices"; return; }
	for s in MGDEMO0001 USB7731 LUKS0815; do
		wait_until 20 eval "! usb_by_serial $s >/dev/null"
	done
}

body() {
	SUMMARY=()
	start_daemon || return
	company_stick
	unknown_stick
	foreign_luks_stick
	keyboard
	reports
	unplug_all
	say ""
	say "== In short"
	local l
	for l in "${SUMMARY[@]}"; do say "   $l"; done
	[[ -s $RUN/failed ]] && say "   !!! some steps FAILED: $(tr '\n' ' ' <"$RUN/failed")"
}
