# timeout: 900
# 22-media-lifecycle (issue 4 done-when 2, issue 5 done-when 2): a company
# stick's life under the shipped policy, with the real daemon, module, udev,
# cryptsetup and mediagatectl. Each step checks the verdict (audit line),
# the kernel state (sysfs ro, a raw write), the audit line (stdout and
# syslog) and the daemon's ledger (inventory row, events).
#   a. stick enrolled on the host (tests/vm/lib/prep-lifecycle.sh, serial
#      MGLC0001) -> read-write; opened with its key, ext4 inside, mounted
#      rw, a file written and read back; the mount through the dm-crypt
#      mapping is recorded once, against the medium, mode rw
#   b. the same serial with a plain vfat image (re-formatted) -> read-only
#   c. a blank stick (MGLC0002) arrives read-only; the admin allows it for 5
#      minutes, enrolls it here with mediagatectl, withdraws the allow; the
#      re-plug is read-write by the policy; mediagatectl retire; the re-plug
#      is read-only and reported (event=retired-seen, ledger event)
# enroll and retire change the registry the running daemon uses, so they ask
# it to reload (control socket): no manual `mediagatectl reload` here.
LC=/mg/lifecycle
DLOG=$RUN/lc-audit.log
DERR=$RUN/lc-daemon.err
SYSLOG=/var/log/messages
CONF=/etc/mediagate/mediagate.conf

# audit_after ERE: audit lines after the mark matching ERE
audit_after() { tail -n +$((${AMARK:-0} + 1)) "$DLOG" 2>/dev/null | grep -E "$1"; }
# audit_wait SECONDS ERE: the last such line, once there is one
audit_wait() {
	local end=$(($(date +%s) + $1)) l
	while :; do
		l=$(audit_after "$2" | tail -n 1)
		[[ -n $l ]] && { echo "$l"; return 0; }
		(($(date +%s) >= end)) && return 1
		sleep 0.2
	done
}
amark() { AMARK=$(wc -l <"$DLOG"); }
raw_write() { dd if=/dev/zero of="/dev/$1" bs=4096 seek=4096 count=1 oflag=direct conv=fsync,notrunc; }
# inv_row SERIAL: the daemon's ledger row of that stick
inv_row() { mediagated --ctl inventory 2>&1 | grep "serial=\"$1\""; }
# ledger_count ERE: ledger events (mediagated --ctl events) matching ERE
ledger_count() { mediagated --ctl events 2>&1 | grep -cE "$1"; }

# plug VERB ID IMAGE SERIAL: (re)plug, wait for the media-stage verdict and
# the disk; sets DISK, USBDEV, VLINE
plug() {
	local t=$2
	DISK='' USBDEV='' VLINE=''
	amark
	req "$1" "$2" "$3" "$4" >/dev/null || { nok "$t-plug" "host could not plug $3"; return 1; }
	if ! VLINE=$(audit_wait 90 "^event=verdict .*serial=\"$4\" .*stage=media"); then
		nok "$t-verdict" "no media-stage verdict for $4: $(tail -n 2 "$DLOG") $(tail -c 300 "$DERR")"
		return 1
	fi
	wait_until 20 usb_by_serial "$4" >/dev/null && USBDEV=$(usb_by_serial "$4") &&
		wait_until 30 disk_of "$USBDEV" >/dev/null || { nok "$t-disk" "no disk for $4"; return 1; }
	udevadm settle --timeout=10
	DISK=$(disk_of "$USBDEV")
	info "$t: $4 -> $USBDEV /dev/$DISK ro=$(cat /sys/block/$DISK/ro): $VLINE"
}
unplug() {
	req unplug "$1" >/dev/null || nok "$1-unplug" "host could not unplug $1"
	wait_until 20 eval "! usb_by_serial $2 >/dev/null"
	udevadm settle --timeout=10
}
# ro_state T: read-only in the kernel, a raw write refused
ro_state() {
	expect "$1-sysfs-ro" "$(cat /sys/block/$DISK/ro)" 1
	check_fails "$1-raw-write-fails" raw_write "$DISK"
	udevadm settle --timeout=10
}
rw_state() {
	wait_until 15 eval "[[ \$(cat /sys/block/$DISK/ro) == 0 ]]"
	expect "$1-sysfs-rw" "$(cat /sys/block/$DISK/ro)" 0
	check "$1-raw-write" raw_write "$DISK"
}
# has T LINE GLOB: LINE matches the glob pattern
has() {
	# shellcheck disable=SC2053
	if [[ $2 == $3 ]]; then ok "$1"; else nok "$1" "'$2' does not match '$3'"; fi
}

# put MODE SRC DST: a root-owned copy
put() { cp "$2" "$3" && chown 0:0 "$3" && chmod "$1" "$3"; }

setup() {
	mg_load || return 1
	if ! command -v mediagatectl >/dev/null || [[ ! -f $LC/registry ]]; then
		nok lc-present "mediagatectl or $LC missing (tests/vm/run.sh runs prep-lifecycle.sh when BUILD/mediagatectl is built)"
		return 1
	fi
	mkdir -p /etc/mediagate /var/lib/mediagate /run/mediagate /var/log /media/taro
	# (busybox has no install)
	put 0644 "$LC/mediagate.conf" "$CONF" && put 0644 "$LC/registry" /etc/mediagate/registry &&
		put 0644 "$LC/org.pub" /etc/mediagate/org.pub && put 0600 "$LC/org.key" /etc/mediagate/org.key &&
		put 0600 "$LC/company.key" /root/company.key || { nok lc-files "cannot install $LC files"; return 1; }
	rm -f /var/lib/mediagate/inventory.db* /run/mediagate/control
	if [[ ! -S /dev/log ]]; then
		syslogd -n -O "$SYSLOG" &
		wait_until 10 test -S /dev/log || nok syslogd "busybox syslogd did not create /dev/log"
	fi
	: >"$DLOG"
	mediagated -d >"$DLOG" 2>"$DERR" &
	echo $! >"$RUN/lc-daemon.pid"
	wait_until 20 test -S /run/mediagate/control ||
		{ nok daemon-start "mediagated: $(tail -c 300 "$DERR")"; return 1; }
	ok daemon-start
}

registered_stick() {
	local mnt=/media/taro/LC01 mode line
	plug plug-storage a company MGLC0001 || return
	has a-verdict-allow "$VLINE" '*stage=media verdict=allow *registered=yes medium="MG-LC01"*'
	has a-rule-policy "$VLINE" '*rule="/etc/mediagate/mediagate.conf:[0-9]*"*'
	rw_state a
	if ! timeout 120 cryptsetup open --key-file /root/company.key "/dev/$DISK" lc01 >"$RUN/out" 2>&1; then
		nok a-open "cryptsetup open: $(cat "$RUN/out")"
		return
	fi
	ok a-open
	udevadm settle --timeout=10
	check a-mkfs mkfs.ext4 -q -b 4096 -L LC01 /dev/mapper/lc01 || return
	mkdir -p "$mnt"
	amark
	check a-mount mount /dev/mapper/lc01 "$mnt" || return
	mode=$(awk -v m="$mnt" '$2 == m { split($4, o, ","); print o[1] }' /proc/mounts)
	expect a-mount-rw "$mode" rw
	dd if=/dev/urandom of=/tmp/lc.bin bs=64k count=4 2>/dev/null
	check a-write cp /tmp/lc.bin "$mnt/report.bin" && sync
	echo 3 >/proc/sys/vm/drop_caches
	expect a-read-back "$(sha256sum <"$mnt/report.bin" | cut -d' ' -f1)" \
		"$(sha256sum </tmp/lc.bin | cut -d' ' -f1)"
	line=$(audit_wait 20 '^event=mount .*serial="MGLC0001"') || nok a-audit-mount "$(tail -n 2 "$DLOG")"
	has a-audit-mount-dm "$line" '*block="/dev/mapper/lc01" fstype="ext4" label="LC01"*mountpoint="/media/taro/LC01" mode=rw user="taro" user_source=path*'
	umount "$mnt"
	audit_wait 20 '^event=unmount .*serial="MGLC0001" .*mode=rw' >/dev/null && ok a-audit-unmount ||
		nok a-audit-unmount "$(tail -n 2 "$DLOG")"
	expect a-audit-mount-once "$(count_lines '^event=mount .*serial="MGLC0001"')" 1
	expect a-audit-unmount-once "$(count_lines '^event=unmount .*serial="MGLC0001"')" 1
	[[ $(grep -c 'mediagated.*event=mount .*serial="MGLC0001"' "$SYSLOG") == 1 ]] && ok a-syslog-mount ||
		nok a-syslog-mount "$(grep -c 'event=mount' "$SYSLOG") mount lines in $SYSLOG"
	expect a-ledger-mount-once "$(ledger_count 'event=mount .*serial="MGLC0001".*mode=rw')" 1
	has a-inventory "$(inv_row MGLC0001)" '*serial="MGLC0001" medium="MG-LC01" registered=yes media=luks2*mounts=1 last_verdict=allow*'
	cryptsetup close lc01
	udevadm settle --timeout=10
	unplug a MGLC0001
}
count_lines() { grep -cE "$1" "$DLOG"; }

reformatted_stick() {
	plug plug-storage b vfat MGLC0001 || return
	has b-verdict-readonly "$VLINE" '*stage=media verdict=readonly *media=plain fstype="vfat"*registered=no*'
	ro_state b
	has b-inventory "$(inv_row MGLC0001)" '*serial="MGLC0001" medium="MG-LC01" registered=no media=plain*last_verdict=readonly*'
	expect b-not-retired "$(count_lines 'event=retired-seen .*serial="MGLC0001"')" 0
	unplug b MGLC0001
}

lifecycle_stick() {
	local out
	# 1. blank: read-only under the policy
	plug plug-storage c blank MGLC0002 || return
	has c1-verdict-readonly "$VLINE" '*stage=media verdict=readonly *registered=no*'
	ro_state c1
	# 2. the admin allows it for a while and enrolls it here
	amark
	check c2-allow mediagatectl allow "$USBDEV" --for 5m
	audit_wait 20 "^event=verdict .*serial=\"MGLC0002\" .*stage=manual verdict=allow" >/dev/null &&
		ok c2-audit-manual-allow || nok c2-audit-manual-allow "$(tail -n 2 "$DLOG")"
	wait_until 15 eval "[[ \$(cat /sys/block/$DISK/ro) == 0 ]]"
	expect c2-sysfs-rw "$(cat /sys/block/$DISK/ro)" 0
	out=$(MEDIAGATE_TEST_WEAK_PBKDF=1 timeout 300 mediagatectl enroll "/dev/$DISK" --owner "Hanako Sato" \
		--asset PC-0102 --medium-id MG-LC02 --fs none --yes --key-file /root/company.key 2>&1)
	if [[ $? -eq 0 ]]; then ok c2-enroll; else nok c2-enroll "$out"; return; fi
	info "enroll: $(tr '\n' ' ' <<<"$out")"
	has c2-registry "$(grep MG-LC02 /etc/mediagate/registry)" '*usb 46f4:0001 serial "MGLC0002" owner "Hanako Sato" asset "PC-0102"*'
	has c2-enroll-reloaded "$out" '*mediagated reloaded*'
	audit_wait 20 '^event=reload result=ok' >/dev/null && ok c2-audit-reload ||
		nok c2-audit-reload "$(tail -n 2 "$DLOG")"
	# withdraw the allow (block replaces it until unplugged): the re-plug is the policy's
	check c2-block mediagatectl block "$USBDEV"
	unplug c MGLC0002
	# 3. re-plug: read-write under the shipped policy
	plug replug-storage c blank MGLC0002 || return
	has c3-verdict-allow "$VLINE" '*stage=media verdict=allow *media=luks2*registered=yes medium="MG-LC02"*'
	has c3-rule-policy "$VLINE" '*rule="/etc/mediagate/mediagate.conf:[0-9]*"*'
	rw_state c3
	has c3-inventory "$(inv_row MGLC0002)" '*serial="MGLC0002" medium="MG-LC02" registered=yes media=luks2*last_verdict=allow*'
	# 4. retire: crypto-erase, registry marked
	out=$(timeout 120 mediagatectl retire "/dev/$DISK" --yes 2>&1)
	if [[ $? -eq 0 ]]; then ok c4-retire; else nok c4-retire "$out"; return; fi
	info "retire: $(tr '\n' ' ' <<<"$out")"
	has c4-registry "$(grep MG-LC02 /etc/mediagate/registry)" '* retired 20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
	expect c4-no-luks "$(blkid -p -o value -s TYPE "/dev/$DISK" 2>/dev/null)" ""
	has c4-retire-reloaded "$out" '*mediagated reloaded*'
	unplug c MGLC0002
	# 5. re-plug: read-only, reported as retired
	plug replug-storage c blank MGLC0002 || return
	has c5-verdict-readonly "$VLINE" '*stage=media verdict=readonly *registered=no*'
	ro_state c5
	line=$(audit_wait 20 '^event=retired-seen .*serial="MGLC0002"') && ok c5-audit-retired-seen ||
		nok c5-audit-retired-seen "$(tail -n 3 "$DLOG")"
	has c5-audit-retired-fields "$line" '*id=46f4:0001 serial="MGLC0002" handle=* medium="MG-LC02" retired=20*owner="Hanako Sato" asset="PC-0102" verdict=readonly'
	expect c5-audit-retired-once "$(audit_after '^event=retired-seen ' | wc -l)" 1
	[[ $(grep -c 'mediagated.*event=retired-seen .*serial="MGLC0002"' "$SYSLOG") == 1 ]] &&
		ok c5-syslog-retired-seen || nok c5-syslog-retired-seen "$(grep -c retired-seen "$SYSLOG") lines"
	expect c5-ledger-retired-seen "$(ledger_count '^[0-9]+ event=retired-seen .*serial="MGLC0002"')" 1
	has c5-inventory "$(inv_row MGLC0002)" '*serial="MGLC0002" medium="MG-LC02" registered=no*last_verdict=readonly*'
	info "mediagatectl inventory: $(mediagatectl inventory 2>&1 | grep -E 'MG-LC02|MGLC0002' | tr -s ' ')"
	unplug c MGLC0002
}

scenario() {
	if setup; then
		registered_stick
		reformatted_stick
		lifecycle_stick
	fi
	[[ -f $RUN/lc-daemon.pid ]] && kill "$(cat "$RUN/lc-daemon.pid")" 2>/dev/null
	cp "$DLOG" "$DERR" "$SYSLOG" /results/ 2>/dev/null
	req unplug-all >/dev/null
}
