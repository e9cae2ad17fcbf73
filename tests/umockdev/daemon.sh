#!/bin/bash
# The real mediagated (BUILD_DIR/mediagated, ASan/UBSan in build/san) in a
# umockdev testbed (issue 4, done-when 1): the USB devices' sysfs comes from
# tests/umockdev/fixtures, block disks and their uevents are added by the
# harness (daemon-harness.c), /dev/mediagate is kdev's fake-kernel socket
# and every HELD record is built from the testbed's sysfs as the module
# builds it. For each case: the exact verdict the fake kernel receives, the
# audit line (the daemon's -d copy on stdout) and the inventory row
# (sqlite3 on the daemon's database).
#
# Cases: every verdict path (registered/allowed, read-only, BadUSB block,
# garbled hold, keyboard, hub), the media-dependent upgrade of a stick
# enrolled with mediagatectl enroll, reload good and bad, a temporary allow
# across a re-plug and its expiry, the control socket refusing non-root
# peers (setpriv as nobody), a hostile serial and a hostile filesystem label
# escaped in the audit line, an interface-level hold upgraded by its medium,
# partitioned media (GPT; LUKS2 in a partition,
# alone and next to a plain filesystem), a storm of 300 plugs (audit lines
# rate-limited with the suppressed count, every verdict in the inventory);
# every audit line also as the syslog datagram (LOG_AUTHPRIV) the daemon
# sends to a private /dev/log.
#
# Usage: tests/umockdev/daemon.sh BUILD_DIR   (PASS:/FAIL: per check)
set -u
build=$(cd "${1:?usage: daemon.sh BUILD_DIR}" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
daemon=$build/mediagated
ctl=$build/mediagatectl
fixtures=$top/tests/umockdev/fixtures
fails=0

pass() { echo "PASS: daemon-$1"; }
fail() {
	echo "FAIL: daemon-$1 ($2)"
	fails=$((fails + 1))
}

for t in umockdev-wrapper cc cryptsetup sqlite3 setpriv unshare sfdisk blkid mkfs.ext2; do
	if ! command -v $t >/dev/null; then
		fail setup "$t not installed: make deps"
		exit 1
	fi
done
if [[ ! -x $daemon || ! -x $ctl ]]; then
	fail setup "$daemon or $ctl missing: make userspace"
	exit 1
fi

tmp=$(mktemp -d /tmp/mg-umockdev-daemon-XXXXXX)
# the control socket's directory must be reachable for the nobody checks
mkdir -m 0755 "$tmp/run"
chmod 0755 "$tmp"
cleanup() {
	if [[ -n ${H_PID:-} ]]; then
		eval "exec ${H[1]}>&-" 2>/dev/null
		timeout 30 tail --pid="$H_PID" -f /dev/null
	fi
	if [[ -n ${MG_KEEP_TMP:-} ]]; then
		echo "kept $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT

if ! cc -D_GNU_SOURCE -Iinclude -Idaemon/src -std=gnu11 -Wall -Wextra -Werror -g \
	-o "$tmp/harness" tests/umockdev/daemon-harness.c 2>"$tmp/cc.log"; then
	cat "$tmp/cc.log"
	fail setup "daemon-harness.c does not build"
	exit 1
fi
# An ASan daemon needs its runtime first in LD_PRELOAD (see run.sh).
export MG_ASAN_RT=
if ldd "$daemon" 2>/dev/null | grep -q 'libasan\.so'; then
	MG_ASAN_RT=$(ldd "$daemon" | awk '/libasan\.so/ { print $3; exit }')
fi

# The harness and the daemon run in a private mount namespace whose /dev is
# a tmpfs with links to the real nodes, so the harness can own /dev/log: the
# daemon's syslog lines are captured too, not sent to the host's syslog.
mkdir "$tmp/olddev"
# shellcheck disable=SC2016
coproc H {
	exec unshare -m -- bash -c 'mount --make-rprivate / && mount --rbind /dev "$1/olddev" &&
		mount -t tmpfs -o mode=0755 tmpfs /dev || exit 99
		for n in "$1"/olddev/*; do ln -s "$n" /dev/; done
		exec umockdev-wrapper "$1/harness"' harness "$tmp" 2>"$tmp/harness.err"
}

# req REQUEST...: one request to the harness; its reply in $R, status 0 if "ok".
R=
req() {
	R=
	echo "$*" >&"${H[1]}" || return 1
	IFS= read -r -t 120 R <&"${H[0]}" || R="error no reply (harness: $(tail -2 "$tmp/harness.err"))"
	[[ $R == ok* ]]
}
# must NAME REQUEST...: req, failing NAME with the reply if it is not "ok".
must() {
	local name=$1
	shift
	req "$@" || fail "$name" "$*: $R"
}
# expect_verdict NAME HANDLE WANT: the next verdict on HANDLE is exactly WANT.
expect_verdict() {
	req verdict "$2" 20000
	if [[ $R == "ok $2 $3" ]]; then
		pass "$1"
	else
		fail "$1" "want verdict '$3', got '$R'"
	fi
}
# expect_line NAME FILE LINE: FILE holds LINE exactly once.
expect_line() {
	local n
	n=$(grep -cxF -- "$3" "$2")
	if [[ $n -eq 1 ]]; then
		pass "$1"
	else
		fail "$1" "line found $n times: $3"
		grep -F "${3:0:40}" "$2" | head -3 | cat -v | sed 's/^/    got | /'
	fi
}
# expect_eq NAME GOT WANT
expect_eq() {
	if [[ $2 == "$3" ]]; then
		pass "$1"
	else
		fail "$1" "want '$3', got '$2'"
	fi
}
q() { sqlite3 -readonly "$db" "$1" 2>&1; }

# start CASE POLICY: a fresh daemon with its own database and output files.
start() {
	out=$tmp/$1.out err=$tmp/$1.err db=$tmp/$1.db control=$tmp/run/$1.ctl
	if req start "$tmp/kernel.sock" "$out" "$err" "$daemon" -d --no-owner-check -c "$2" \
		--dev "$tmp/kernel.sock" --db "$db" --control "$control"; then
		dpid=${R#ok pid }
		return 0
	fi
	fail "$1-start" "$R: $(tail -3 "$err" 2>/dev/null)"
	return 1
}
# stop CASE: SIGTERM; exit 0 with no sanitizer report, every output line one event.
stop() {
	req stop
	if [[ $R == "ok exit 0" ]] && ! grep -qE 'AddressSanitizer|runtime error|LeakSanitizer' "$err"; then
		pass "$1-clean-exit"
	else
		fail "$1-clean-exit" "$R"
		grep -E -A5 'AddressSanitizer|runtime error|LeakSanitizer' "$err" | head -20
	fi
	# one event = one line: only "event=" lines, printable ASCII, bounded
	local bad
	bad=$(LC_ALL=C grep -cv '^event=[a-z-]* [ -~]*$' "$out")
	if [[ $bad -eq 0 && $(LC_ALL=C awk 'length > 4095' "$out" | wc -l) -eq 0 ]]; then
		pass "$1-one-line-per-event"
	else
		fail "$1-one-line-per-event" "$bad lines that are not one printable event"
	fi
}

# The shipped policy, with the test registry; its rules' line numbers.
policy=$tmp/mediagate.conf
sed "s|^set registry .*|set registry \"$tmp/registry\"|" policy/mediagate.conf >"$policy"
rule_line() {
	[[ $(grep -cE "$1" "$policy") -eq 1 ]] && grep -nE "$1" "$policy" | cut -d: -f1
}
L_BADUSB=$(rule_line '^block[[:space:]]+storage[[:space:]]+with-interface')
L_REGISTERED=$(rule_line '^allow[[:space:]]+storage[[:space:]]+media[[:space:]]+registered([[:space:]]|$)')
L_READONLY=$(rule_line '^readonly[[:space:]]+storage[[:space:]]*(#.*)?$')
L_ANY=$(rule_line '^allow[[:space:]]+any[[:space:]]*(#.*)?$')
if [[ -z $L_BADUSB || -z $L_REGISTERED || -z $L_READONLY || -z $L_ANY ]]; then
	fail setup "shipped policy: rules not found"
	exit 1
fi
P=$policy

# --- the media: an enrolled LUKS2 stick, an ext2 stick with a hostile label ---
cd "$tmp" || exit 1
export MEDIAGATE_TEST_WEAK_PBKDF=1
printf 'correct horse battery staple' >key
truncate -s 32M luks.img
if "$ctl" org-key init --private org.key --public org.pub >/dev/null &&
	"$ctl" enroll luks.img --owner "Taro Yamada" --asset PC-0042 --fs none --yes --key-file key \
		--org-key org.key --usb-id 0781:5583 --usb-serial 4C530001230815115532 \
		--registry "$tmp/registry" --policy "$P" --inventory "$tmp/enroll.db" \
		--medium-id MG-42 >enroll.log 2>&1; then
	pass enroll
else
	fail enroll "$(tail -3 enroll.log)"
fi
UUID=$(cryptsetup luksUUID luks.img)
# ext2 (no metadata checksum) with 16 hostile label bytes patched in: newline,
# quote, backslash, ESC, DEL, a control byte, invalid UTF-8, U+202E (RLO).
truncate -s 4M label.img
mkfs.ext2 -q -F -L placeholder label.img
printf '\n"\\\x1b[2J\x7f\x01\xff\xfe\xc3(\xe2\x80\xae' |
	dd of=label.img bs=1 seek=$((1024 + 0x78)) count=16 conv=notrunc status=none
want_label='\x0a\"\\\x1b[2J\x7f\x01\xff\xfe\xc3(\xe2\x80\xae'
FSUUID=$(blkid -o value -s UUID label.img)
cd "$top" || exit 1

# --- the testbed: five fixtures, and a sixth stick whose serial is all hostile bytes ---
IFS= read -r -t 60 R <&"${H[0]}" # the harness's greeting
if [[ $R != "ok testbed "* ]]; then
	fail setup "harness: $R $(cat "$tmp/harness.err")"
	exit 1
fi
must syslog syslog "$tmp/syslog"
for f in plain-stick stick-keyboard hostile-serial keyboard hub; do
	must "fixture-$f" fixture "$fixtures/$f.umockdev"
done
# 1-6: the hostile-serial stick on another port, its serial 300 bytes that are
# all unprintable: 0x80.. and 0x01..0x1f by turns
long_hex=$(for i in $(seq 0 299); do
	printf '%02x' $((i % 2 ? 1 + (i / 2) % 31 : 128 + (i / 2) % 128))
done)
sed -e 's|/1-3|/1-6|g; s|1-3:|1-6:|g; s|usb1-port3|usb1-port6|g' \
	-e "s|^H: serial=.*|H: serial=${long_hex}0a|" "$fixtures/hostile-serial.umockdev" \
	>"$tmp/long-serial.umockdev"
must fixture-long-serial fixture "$tmp/long-serial.umockdev"
# 2-2: the plain stick as a vendor-class (ff) device, which usb-storage
# claims by ID (unusual_devs, new_id); serial "VENDORFF"
sed -e 's|/2-1|/2-2|g; s|2-1:|2-2:|g; s|usb2-port1|usb2-port2|g; s|bus/usb/002/005|bus/usb/002/006|' \
	-e 's|^A: devnum=5|A: devnum=6|; s|^E: DEVNUM=005|E: DEVNUM=006|' \
	-e 's|^A: bInterfaceClass=08|A: bInterfaceClass=ff|; s|^A: bInterfaceSubClass=06|A: bInterfaceSubClass=ff|' \
	-e 's|^A: bInterfaceProtocol=50|A: bInterfaceProtocol=ff|; s|^E: INTERFACE=8/6/80|E: INTERFACE=255/255/255|' \
	-e 's|0904000002080650|0904000002ffffff|; s|^H: serial=.*|H: serial=56454e444f5246460a|' \
	"$fixtures/plain-stick.umockdev" >"$tmp/vendor-class.umockdev"
must fixture-vendor-class fixture "$tmp/vendor-class.umockdev"
must disk-luks disk 2-1 sdb "$tmp/luks.img"
must disk-label disk 1-3 sdc "$tmp/label.img"
[[ $fails -eq 0 ]] || exit 1

common='media=unknown fstype="" label="" uuid="" cipher="" key_bits=0 registered=no medium=""'
stick='dev="2-1" id=0781:5583 serial="4C530001230815115532"'
stick_str='manufacturer=" USB" product=" SanDisk 3.2Gen1"'

# ==== 1. every verdict path, the media upgrade, hostile strings ====
if start verdicts "$P"; then
	# unknown storage: read-only until its medium is known
	must hold-stick hold 1 2-1
	expect_verdict stick-readonly 1 "readonly 0:readonly"
	# the registered LUKS2 stick: its disk appears (udev), is probed, upgraded
	must uevent-sdb uevent sdb add
	expect_verdict stick-upgraded-allow 1 allow
	# the shipped BadUSB rule: storage + keyboard in one device
	must hold-composite hold 2 1-4
	expect_verdict composite-deny 2 deny
	must hold-keyboard hold 3 3-2
	expect_verdict keyboard-allow 3 allow
	must hold-hub hold 4 1-1
	expect_verdict hub-allow 4 allow
	# a hold record the daemon cannot identify (no device path): denied
	must hold-garbled hold 5 1-1.2 devpath=
	expect_verdict garbled-deny 5 deny
	# hostile serial: read-only, then its ext2 disk with the hostile label
	must hold-hostile hold 6 1-3
	expect_verdict hostile-serial-readonly 6 "readonly 0:readonly"
	must uevent-sdc uevent sdc add
	for _ in $(seq 300); do
		grep -q ' handle=6 .* stage=media ' "$out" && break
		sleep 0.1
	done
	must hold-long hold 7 1-6
	expect_verdict long-serial-readonly 7 "readonly 0:readonly"
	# the hostile stick stays read-only after its probe: no second verdict
	req quiet 1000
	expect_eq no-other-verdict "$R" ok
	stop verdicts

	expect_line audit-stick-hold "$out" "event=verdict $stick handle=1 $stick_str stage=hold verdict=readonly interfaces=\"0:readonly\" rule=\"$P:$L_REGISTERED\" $common reason=\"needs media facts, read-only until probed: allow storage media registered\""
	expect_line audit-stick-media "$out" "event=verdict $stick handle=1 $stick_str stage=media verdict=allow interfaces=\"0:allow\" rule=\"$P:$L_REGISTERED\" media=luks2 fstype=\"\" label=\"\" uuid=\"$UUID\" cipher=\"aes-xts-plain64\" key_bits=512 registered=yes medium=\"MG-42\" reason=\"matched: allow storage media registered\""
	expect_line audit-composite "$out" "event=verdict dev=\"1-4\" id=1234:5678 serial=\"0123456789AB\" handle=2 manufacturer=\"Generic\" product=\"Flash Disk\" stage=hold verdict=block interfaces=\"0:block 1:block\" rule=\"$P:$L_BADUSB\" $common reason=\"matched: block storage with-interface one-of \$badusb\""
	expect_line audit-keyboard "$out" "event=verdict dev=\"3-2\" id=046d:c31c serial=\"\" handle=3 manufacturer=\"Logitech\" product=\"USB Keyboard\" stage=hold verdict=allow interfaces=\"0:allow 1:allow\" rule=\"$P:$L_ANY\" $common reason=\"matched: allow any\""
	expect_line audit-hub "$out" "event=verdict dev=\"1-1\" id=05e3:0608 serial=\"\" handle=4 manufacturer=\"\" product=\"USB2.0 Hub\" stage=hold verdict=allow interfaces=\"0:allow\" rule=\"$P:$L_ANY\" $common reason=\"matched: allow any\""
	expect_line audit-garbled "$out" "event=verdict dev=\"\" id=0781:5583 serial=\"\" handle=5 manufacturer=\"\" product=\"\" stage=hold verdict=block interfaces=\"\" rule=\"default\" $common reason=\"hold record not understood: denied\""
	if grep -q 'handle 5: unreadable hold record, denying' "$err"; then
		pass garbled-diagnostic
	else
		fail garbled-diagnostic "no warning on stderr"
	fi
	# the fixture's serial: 33 hostile bytes then 'A' * 300, cut to the record's 127
	hostile='dev="1-3" id=0781:5583 serial="\x1b[2J\x1b]0;pwned\x07\"\x0arm -rf /\xff\xfe\xc3(\x01\x7f\xe2\x80\xae'$(printf 'A%.0s' $(seq 94))'" handle=6 manufacturer="Evil" product="Cruzer\x1b[31m\"\\"'
	expect_line audit-hostile-serial "$out" "event=verdict $hostile stage=hold verdict=readonly interfaces=\"0:readonly\" rule=\"$P:$L_REGISTERED\" $common reason=\"needs media facts, read-only until probed: allow storage media registered\""
	expect_line audit-hostile-label "$out" "event=verdict $hostile stage=media verdict=readonly interfaces=\"0:readonly\" rule=\"$P:$L_READONLY\" media=plain fstype=\"ext2\" label=\"$want_label\" uuid=\"$FSUUID\" cipher=\"\" key_bits=0 registered=no medium=\"\" reason=\"matched: readonly storage\""
	# all-hostile 127-byte serial: escaped to 4 bytes each, capped, marked
	long=$(grep ' handle=7 ' "$out")
	esc=$(sed -n 's/.* serial="\([^"]*\)".*/\1/p' <<<"$long")
	if [[ $(grep -c ' handle=7 ' "$out") -eq 1 && ${#esc} -le 256 && ${#esc} -ge 253 &&
		$esc == '\x80\x01\x81\x02\x82'* && $long == *' truncated=yes' ]]; then
		pass audit-long-serial-capped
	else
		fail audit-long-serial-capped "serial escaped to ${#esc} bytes: ${long:0:200}"
	fi
	expect_eq audit-line-count "$(wc -l <"$out")" 9

	# inventory: one row per storage device, the verdict in force, every line an event
	expect_eq inventory-registered-stick "$(q "SELECT vid, pid, serial, medium_id, registered, media_kind, luks_uuid, last_verdict FROM media WHERE serial = '4C530001230815115532'")" \
		"1921|21891|4C530001230815115532|MG-42|1|luks2|$UUID|allow"
	expect_eq inventory-composite "$(q "SELECT vid, pid, serial, registered, last_verdict FROM media WHERE serial = '0123456789AB'")" \
		"4660|22136|0123456789AB|0|block"
	expect_eq inventory-no-keyboard-or-hub "$(q "SELECT count(*) FROM media WHERE vid IN (1133, 1507)")" 0
	expect_eq inventory-hostile-label "$(q "SELECT media_kind, fs_uuid, last_verdict, hex(fs_label) FROM media WHERE serial LIKE '%pwned%'")" \
		"plain|$FSUUID|readonly|0A225C1B5B324A7F01FFFEC328E280AE"
	expect_eq inventory-media-rows "$(q "SELECT count(*) FROM media")" 4
	got=$(q "SELECT line FROM events WHERE type = 'verdict' ORDER BY id")
	if [[ $got == "$(grep -v 'handle=[345] ' "$out")" ]]; then
		pass inventory-events-are-the-audit-lines
	else
		fail inventory-events-are-the-audit-lines "$(diff <(echo "$got") <(grep -v 'handle=[345] ' "$out") | head -5)"
	fi
fi

# ==== 2. reload: good (downgrade logged), bad (old policy kept, file:line:col) ====
live=$tmp/live.conf
printf 'allow storage\nallow any\n' >"$live"
if start reload "$live"; then
	must reload-hold hold 1 2-1
	expect_verdict reload-before-allow 1 allow
	cp "$P" "$live"
	if "$ctl" reload --control "$control" >"$tmp/ctl.out" 2>&1; then
		pass reload-good-accepted
	else
		fail reload-good-accepted "$(cat "$tmp/ctl.out")"
	fi
	expect_verdict reload-downgrade-readonly 1 "readonly 0:readonly"
	# a bad policy: kept the old one, said where
	printf 'readonly storage\nallow storage media frobnicated\nallow any\n' >"$live"
	kill -HUP "$dpid"
	req quiet 2000
	expect_eq reload-bad-no-verdict "$R" ok
	if "$ctl" reload --control "$control" >"$tmp/ctl.out" 2>&1; then
		fail reload-bad-refused "mediagatectl reload succeeded"
	elif grep -q 'old policy kept' "$tmp/ctl.out"; then
		pass reload-bad-refused
	else
		fail reload-bad-refused "$(cat "$tmp/ctl.out")"
	fi
	# the old (shipped) policy still decides: a keyboard by its line number there
	must reload-hold-keyboard hold 2 3-2
	expect_verdict reload-old-policy-decides 2 allow
	stop reload

	rules=$(grep -cE '^(allow|block|readonly)[[:space:]]' "$P")
	expect_line audit-reload-ok "$out" "event=reload result=ok policy=\"$live\" rules=$rules errors=0"
	expect_line audit-reload-downgrade "$out" "event=verdict $stick handle=1 $stick_str stage=reload verdict=readonly interfaces=\"0:readonly\" rule=\"$live:$L_REGISTERED\" $common reason=\"needs media facts, read-only until probed: allow storage media registered\""
	expect_eq audit-reload-failed "$(grep -c "^event=reload result=failed policy=\"$live\" rules=0 errors=[1-9]" "$out")" 2
	expect_line audit-reload-old-policy "$out" "event=verdict dev=\"3-2\" id=046d:c31c serial=\"\" handle=2 manufacturer=\"Logitech\" product=\"USB Keyboard\" stage=hold verdict=allow interfaces=\"0:allow 1:allow\" rule=\"$live:$L_ANY\" $common reason=\"matched: allow any\""
	if [[ $(grep -cE "^mediagated: error: $live:2:[0-9]+: " "$err") -eq 2 ]]; then
		pass reload-bad-diagnostic-file-line-col
	else
		fail reload-bad-diagnostic-file-line-col "$(grep -i error "$err" | head -3)"
	fi
	expect_eq inventory-reload-events "$(q "SELECT group_concat(line, '|') FROM events WHERE type = 'reload'")" \
		"$(grep '^event=reload' "$out" | paste -sd'|')"
	expect_eq inventory-reload-last-verdict "$(q "SELECT last_verdict FROM media WHERE serial = '4C530001230815115532'")" readonly
fi

# ==== 3. temporary allow across a re-plug, expiry; 4. control socket refuses others ====
if start allow "$P"; then
	must allow-hold hold 1 2-1
	expect_verdict allow-before-readonly 1 "readonly 0:readonly"
	# 4. nobody cannot reach the socket (0660) ...
	out_n=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$ctl" allow 2-1 --control "$control" 2>&1)
	rc=$?
	if [[ $rc -ne 0 && $out_n == *"ermission denied"* ]]; then
		pass control-nobody-refused
	else
		fail control-nobody-refused "exit $rc: $out_n"
	fi
	# ... and a peer that can (group of the socket) but is neither root nor
	# in group mediagate is refused by the daemon (SO_PEERCRED)
	# (20 times: the daemon may close before the client has written; the
	# client must still print the refusal, not die of SIGPIPE)
	for i in $(seq 20); do
		out_n=$(setpriv --reuid=65534 --regid=65534 --groups=0 "$ctl" allow 2-1 \
			--control "$control" 2>&1)
		rc=$?
		[[ $rc -eq 1 && $out_n == *"permission denied"* ]] || break
	done
	if [[ $rc -eq 1 && $out_n == *"permission denied"* ]]; then
		pass control-peercred-refused
	else
		fail control-peercred-refused "try $i: exit $rc: $out_n"
	fi
	req quiet 1000
	expect_eq control-refused-no-verdict "$R" ok
	# 3. root allows it for 5 s: allowed now, and again when re-plugged in the window
	if "$ctl" allow 2-1 --for 5s --control "$control" >"$tmp/ctl.out" 2>&1; then
		pass allow-for-accepted
	else
		fail allow-for-accepted "$(cat "$tmp/ctl.out")"
	fi
	expect_verdict allow-manual 1 allow
	must allow-unplug remove 1
	must allow-replug hold 2 2-1
	expect_verdict allow-survives-replug 2 allow
	# then it expires by itself: back to the policy's verdict
	expect_verdict allow-expires 2 "readonly 0:readonly"
	must allow-replug-after hold 3 2-1
	expect_verdict allow-gone-after-expiry 3 "readonly 0:readonly"
	stop allow

	expect_eq audit-allow-manual "$(grep -c "^event=verdict $stick handle=1 $stick_str stage=manual verdict=allow interfaces=\"0:allow\" rule=\"manual\" $common reason=\"mediagatectl allow by uid 0 for [0-9]s\"" "$out")" 1
	expect_eq audit-allow-replug "$(grep -c "^event=verdict $stick handle=2 $stick_str stage=hold verdict=allow interfaces=\"0:allow\" rule=\"manual\" $common reason=\"mediagatectl allow by uid 0 for [0-9]s\"" "$out")" 1
	expect_line audit-allow-expired "$out" "event=verdict $stick handle=2 $stick_str stage=expire verdict=readonly interfaces=\"0:readonly\" rule=\"$P:$L_REGISTERED\" $common reason=\"needs media facts, read-only until probed: allow storage media registered\""
	if grep -qF 'temporary allow of 0781:5583 serial "4C530001230815115532" expired' "$err"; then
		pass allow-expiry-logged
	else
		fail allow-expiry-logged "no expiry diagnostic"
	fi
	expect_eq audit-allow-no-uid-65534 "$(grep -c 'uid 65534' "$out")" 0
	expect_eq inventory-allow-events "$(q "SELECT line FROM events WHERE type = 'verdict' ORDER BY id")" \
		"$(grep '^event=verdict' "$out")"
	expect_eq inventory-allow-last-verdict "$(q "SELECT last_verdict FROM media WHERE serial = '4C530001230815115532'")" readonly
fi

# ==== 5. partitioned media: GPT read by libblkid from the disk node ====
# The testbed's nodes are files to fstat() (umockdev fakes stat() only), so
# the probe reads partitions by offset: LUKS2 found that way has no cipher
# and key size (probe.h) and cannot count as registered. The daemon must
# fail closed: read-only, never allowed. (The VM scenarios cover LUKS2 read
# through a real partition node.)
cd "$tmp" || exit 1
truncate -s 36M part.img
truncate -s 42M mixed.img
if printf 'label: gpt\nstart=2048, size=65536\n' | sfdisk -q part.img >/dev/null &&
	printf 'label: gpt\nstart=2048, size=65536\nstart=67584, size=8192\n' |
	sfdisk -q mixed.img >/dev/null &&
	dd if=luks.img of=part.img bs=1M seek=1 conv=notrunc status=none &&
	dd if=luks.img of=mixed.img bs=1M seek=1 conv=notrunc status=none &&
	dd if=label.img of=mixed.img bs=1M seek=33 conv=notrunc status=none; then
	pass partition-images
else
	fail partition-images "sfdisk/dd failed"
fi
cd "$top" || exit 1
must disk-part disk 2-1 sde "$tmp/part.img"
must part-sde1 part sde 1 2048 "$tmp/luks.img"
must disk-mixed disk 2-1 sdf "$tmp/mixed.img"
must part-sdf1 part sdf 1 2048 "$tmp/luks.img"
must part-sdf2 part sdf 2 67584 "$tmp/label.img"
if start partitions "$P"; then
	# the registered container in a partition, seen by offset: stays read-only
	must part-hold hold 1 2-1
	expect_verdict part-readonly 1 "readonly 0:readonly"
	must uevent-sde uevent sde add
	for _ in $(seq 300); do
		grep -q ' handle=1 .* stage=media ' "$out" && break
		sleep 0.1
	done
	req quiet 1000
	expect_eq part-luks-by-offset-stays-readonly "$R" ok
	must part-unplug remove 1
	# the same container next to a plain filesystem: the plain one wins
	must mixed-hold hold 2 2-1
	expect_verdict mixed-readonly 2 "readonly 0:readonly"
	must uevent-sdf uevent sdf add
	for _ in $(seq 300); do
		grep -q ' handle=2 .* stage=media ' "$out" && break
		sleep 0.1
	done
	req quiet 1000
	expect_eq mixed-stays-readonly "$R" ok
	stop partitions

	expect_line audit-part-media "$out" "event=verdict $stick handle=1 $stick_str stage=media verdict=readonly interfaces=\"0:readonly\" rule=\"$P:$L_READONLY\" media=luks2 fstype=\"\" label=\"\" uuid=\"$UUID\" cipher=\"\" key_bits=0 registered=no medium=\"MG-42\" reason=\"matched: readonly storage\""
	expect_line audit-mixed-media "$out" "event=verdict $stick handle=2 $stick_str stage=media verdict=readonly interfaces=\"0:readonly\" rule=\"$P:$L_READONLY\" media=plain fstype=\"ext2\" label=\"$want_label\" uuid=\"$FSUUID\" cipher=\"\" key_bits=0 registered=no medium=\"\" reason=\"matched: readonly storage\""
	expect_eq inventory-mixed-last "$(q "SELECT media_kind, registered, last_verdict FROM media WHERE serial = '4C530001230815115532'")" \
		"plain|0|readonly"
fi

# ==== 6. an interface-level hold (a storage interface the module holds by
# itself: sweep at load, or a storage driver offered it): read-only, then
# upgraded on the interface's handle when the medium is probed ====
if start interface "$P"; then
	must intf-hold hold 1 2-1 intf=0 driver=usb-storage
	expect_verdict intf-readonly 1 readonly
	must intf-uevent-sdb uevent sdb add
	expect_verdict intf-upgraded-allow 1 allow
	stop interface
	expect_line audit-intf-hold "$out" "event=verdict $stick handle=1 $stick_str stage=hold verdict=readonly interfaces=\"0:readonly\" rule=\"$P:$L_REGISTERED\" $common reason=\"needs media facts, read-only until probed: allow storage media registered\""
	expect_line audit-intf-media "$out" "event=verdict $stick handle=1 $stick_str stage=media verdict=allow interfaces=\"0:allow\" rule=\"$P:$L_REGISTERED\" media=luks2 fstype=\"\" label=\"\" uuid=\"$UUID\" cipher=\"aes-xts-plain64\" key_bits=512 registered=yes medium=\"MG-42\" reason=\"matched: allow storage media registered\""
	expect_eq inventory-intf "$(q "SELECT medium_id, registered, last_verdict FROM media")" "MG-42|1|allow"
fi

# ==== 6b. a vendor-class stick (interface ff) held because usb-storage was
# offered it: storage all the same, so the storage rules decide (read-only
# until probed), never the shipped catch-all `allow any` ====
if start vendor-class "$P"; then
	must vendor-hold hold 1 2-2 intf=0 driver=usb-storage
	expect_verdict vendor-class-storage-readonly 1 readonly
	stop vendor-class
	expect_eq audit-vendor-class "$(grep -c '^event=verdict dev="2-2" .*serial="VENDORFF" .*stage=hold verdict=readonly .*rule="'"$P:$L_REGISTERED"'"' "$out")" 1
fi

# ==== 7. a storm of plugs: audit lines rate-limited (100 per 5 s) with the
# suppressed count reported; the inventory records every verdict ====
if start storm "$P"; then
	req burst 1 300 2-1
	expect_eq storm-300-verdicts "$R" "ok 300 allow 0 readonly 300 deny 0"
	stop storm
	nv=$(grep -c '^event=verdict ' "$out")
	ns=0 nsl=0
	while read -r c; do
		ns=$((ns + c)) nsl=$((nsl + 1))
	done < <(sed -n 's/^event=suppressed count=\([0-9]*\)$/\1/p' "$out")
	if [[ $nv -ge 100 && $nsl -ge 1 && $((nv + ns)) -eq 300 ]]; then
		pass storm-audit-rate-limited
	else
		fail storm-audit-rate-limited "$nv verdict lines, $nsl suppressed lines counting $ns"
	fi
	expect_eq storm-inventory-every-verdict "$(q "SELECT count(*) FROM events WHERE type = 'verdict'")" 300
fi

# ==== the same events through syslog: LOG_AUTHPRIV|LOG_NOTICE, one datagram each ====
sleep 0.5 # the capture child writes asynchronously
hdr='^<85>[A-Z][a-z][a-z] [ 0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9] mediagated\[[0-9]+\]: '
all=$(cat "$tmp"/{verdicts,reload,allow,partitions,interface,vendor-class,storm}.out)
got=$(grep -E "${hdr}event=" "$tmp/syslog" | sed -E "s/$hdr//")
if [[ -n $all && $got == "$all" ]]; then
	pass syslog-authpriv-lines-are-the-audit-lines
else
	fail syslog-authpriv-lines-are-the-audit-lines \
		"$(diff <(echo "$all") <(echo "$got") | head -5 | cat -v)"
fi
expect_eq syslog-no-other-event-lines "$(grep -c 'event=' "$tmp/syslog")" "$(wc -l <<<"$all")"

[[ $fails -eq 0 ]]
