# Guest-side helpers of the mediagate VM tests (sourced by /init and by
# every scenario; bash).
#
# Markers go to ttyS1, which carries nothing else, one line each:
#   MARK:OK <scen> <check>            a check passed
#   MARK:NOK <scen> <check> <detail>  a check failed (what was seen)
#   MARK:PASS|FAIL <scen> [why]       scenario result (FAIL if any NOK)
#   MARK:REQ <n> <verb> <args>        ask the host (QMP); answer in /results/ack/<n>
#   MARK:INFO/TIME/BOOT/READY/DONE
# The event server (mgtest serve) owns /dev/mediagate and logs every record
# and command result to $EVLOG; scenarios wait on that log.
RUN=/run/mg
mkdir -p "$RUN"
SCEN=${SCEN:-init}
EVLOG=${EVLOG:-$RUN/events-init.log}
FIFO=$RUN/cmd.fifo
GADGET=/sys/kernel/config/usb_gadget
export PATH=/bin:/sbin

mark() { echo "MARK:$*" >/dev/ttyS1; }
info() { mark INFO "$SCEN" "$*"; }
ok() {
	mark OK "$SCEN" "$1"
	echo "$1" >>"$RUN/oks"
}
# nok CHECK DETAIL...: a failed check; the detail is squeezed onto one line.
nok() {
	local c=$1
	shift
	mark NOK "$SCEN" "$c:" "$(echo "$*" | tr '\n\r\t' '   ' | cut -c1-300)"
	echo "$c" >>"$RUN/failed"
}
# expect CHECK ACTUAL EXPECTED
expect() {
	if [[ $2 == "$3" ]]; then ok "$1"; else nok "$1" "got '$2', want '$3'"; fi
}
# check CHECK CMD...: CMD must succeed
check() {
	local c=$1 rc
	shift
	"$@" >"$RUN/out" 2>&1
	rc=$?
	if [[ $rc -eq 0 ]]; then ok "$c"; else nok "$c" "'$*' exit $rc: $(tail -c 200 "$RUN/out")"; fi
	return $rc
}
# check_fails CHECK CMD...: CMD must fail
check_fails() {
	local c=$1 rc
	shift
	"$@" >"$RUN/out" 2>&1
	rc=$?
	if [[ $rc -ne 0 ]]; then ok "$c"; else nok "$c" "'$*' succeeded: $(tail -c 200 "$RUN/out")"; fi
	[[ $rc -ne 0 ]]
}
# wait_until SECONDS CMD...: poll CMD every 0.1 s
wait_until() {
	local end=$(($(date +%s) + $1))
	shift
	while :; do
		"$@" && return 0
		(($(date +%s) >= end)) && return 1
		sleep 0.1
	done
}

# req VERB ARGS...: ask the host to act (plug/unplug over QMP, sha of an
# image); prints the host's answer, succeeds if it starts with "ok".
req() {
	local n a
	n=$(($(cat "$RUN/reqn" 2>/dev/null || echo 0) + 1))
	echo $n >"$RUN/reqn"
	mark REQ "$n" "$@"
	if ! wait_until 60 test -e "/results/ack/$n"; then
		echo "timeout"
		return 1
	fi
	a=$(cat "/results/ack/$n")
	echo "$a"
	[[ $a == ok* ]]
}

# --- the module ---
mg_loaded() { [[ -d /sys/module/mediagate ]]; }
# mg_load: (re)load mediagate.ko fresh for a scenario
mg_load() {
	mg_stop
	if grep -q 'mg\.nomod=1' /proc/cmdline; then
		info "mg.nomod=1: harness development run without mediagate.ko"
		return 0
	fi
	if mg_loaded; then
		# devices unplugged by the previous scenario may still be going away
		wait_until 5 rmmod mediagate 2>"$RUN/out" ||
			info "reload: rmmod refused: $(cat "$RUN/out"); lsmod: $(grep '^mediagate' /proc/modules)"
	fi
	if ! mg_loaded && ! modprobe mediagate ${MG_MODPARAMS:-} 2>"$RUN/out"; then
		nok module-load "modprobe mediagate: $(cat "$RUN/out") (is kmod/build/<kver>/mediagate.ko built?)"
		return 1
	fi
	wait_until 5 test -c /dev/mediagate || { nok module-load "/dev/mediagate missing"; return 1; }
}

# --- the event server ---
mg_running() { [[ -f $RUN/server.pid ]] && kill -0 "$(cat "$RUN/server.pid")" 2>/dev/null; }
# mg_start [--replay]: start mgtest serve; its log is $EVLOG
mg_start() {
	mg_running && return 0
	[[ -p $FIFO ]] || mkfifo "$FIFO"
	local before
	before=$(grep -c '^READY' "$EVLOG" 2>/dev/null)
	mgtest serve "$FIFO" "$@" >>"$EVLOG" 2>&1 &
	echo $! >"$RUN/server.pid"
	if ! wait_until 10 eval '[[ $(grep -c "^READY" "$EVLOG") -gt ${before:-0} ]]'; then
		nok server-start "mgtest serve: $(tail -n 3 "$EVLOG")"
		return 1
	fi
}
mg_stop() {
	mg_running || return 0
	local pid
	pid=$(cat "$RUN/server.pid")
	echo "0 quit" >"$FIFO"
	wait_until 5 eval "! kill -0 $pid 2>/dev/null" || kill -9 "$pid" 2>/dev/null
	rm -f "$RUN/server.pid"
}
# mg_cmd CMD ARGS...: send a command to the server, print its RES line,
# succeed if rc=0
mg_cmd() {
	local n r
	n=$(($(cat "$RUN/cmdn" 2>/dev/null || echo 0) + 1))
	echo $n >"$RUN/cmdn"
	echo "$n $*" >"$FIFO"
	if ! wait_until 20 grep -q "^RES id=$n " "$EVLOG"; then
		echo "RES id=$n rc=timeout"
		return 1
	fi
	r=$(grep -m1 "^RES id=$n " "$EVLOG")
	echo "$r"
	[[ $r == *" rc=0"* ]]
}
# ev_mark: remember the log position; ev_wait searches after it
ev_mark() { EVMARK=$(wc -l <"$EVLOG" 2>/dev/null || echo 0); }
# ev_wait SECONDS ERE: first EV line after the mark matching ERE
ev_wait() {
	local end=$(($(date +%s) + $1)) l
	while :; do
		l=$(tail -n +$((${EVMARK:-0} + 1)) "$EVLOG" 2>/dev/null | grep -m1 -E "^EV .*$2")
		[[ -n $l ]] && { echo "$l"; return 0; }
		(($(date +%s) >= end)) && return 1
		sleep 0.1
	done
}
# ev_get LINE KEY: value of KEY=... in an event line
ev_get() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }

# --- USB / block helpers ---
# usb_by_serial SERIAL: sysfs name of the usb_device with that serial
usb_by_serial() {
	local d
	for d in /sys/bus/usb/devices/*; do
		[[ -f $d/serial && $(cat "$d/serial" 2>/dev/null) == "$1" ]] && { basename "$d"; return 0; }
	done
	return 1
}
# disk_of USBDEV: the sdX under that usb device (first)
disk_of() {
	local b
	for b in /sys/block/sd*; do
		[[ -e $b ]] || continue
		[[ $(readlink -f "$b") == */"$1"/* ]] && { basename "$b"; return 0; }
	done
	return 1
}
sg_of() { ls "/sys/block/$1/device/scsi_generic/" 2>/dev/null | head -n1; }
# intf_driver INTF: driver name bound to a usb interface, empty if none
intf_driver() { basename "$(readlink "/sys/bus/usb/devices/$1/driver" 2>/dev/null)" 2>/dev/null; }
# input_of USBDEV: input devices under a usb device
input_of() {
	local i
	for i in /sys/class/input/input*; do
		[[ -e $i ]] || continue
		[[ $(readlink -f "$i") == */"$1"/* ]] && basename "$i"
	done
}
nothing_bound() { # nothing_bound USBDEV: no interface of it has a driver
	local i
	for i in /sys/bus/usb/devices/"$1":*; do
		[[ -e $i ]] || continue
		[[ -n $(intf_driver "$(basename "$i")") ]] && return 1
	done
	return 0
}

# --- gadgets (configfs over dummy_hcd) ---
gadget_setup() {
	modprobe dummy_hcd && modprobe libcomposite && modprobe usb_f_mass_storage &&
		modprobe usb_f_hid
}
# gadget_create NAME VID PID SERIAL "ms hid" [BACKING_FILE]
gadget_create() {
	local g=$GADGET/$1 f
	mkdir -p "$g" || return 1
	echo "0x$2" >"$g/idVendor"
	echo "0x$3" >"$g/idProduct"
	mkdir -p "$g/strings/0x409" "$g/configs/c.1/strings/0x409"
	echo "$4" >"$g/strings/0x409/serialnumber"
	echo "ACME Corp" >"$g/strings/0x409/manufacturer"
	echo "Test Gadget $1" >"$g/strings/0x409/product"
	echo "cfg" >"$g/configs/c.1/strings/0x409/configuration"
	for f in $5; do
		case $f in
		ms)
			mkdir -p "$g/functions/mass_storage.0"
			echo 1 >"$g/functions/mass_storage.0/stall" 2>/dev/null
			echo "$6" >"$g/functions/mass_storage.0/lun.0/file" || return 1
			ln -s "$g/functions/mass_storage.0" "$g/configs/c.1/"
			;;
		hid)
			mkdir -p "$g/functions/hid.usb0"
			echo 1 >"$g/functions/hid.usb0/protocol"
			echo 1 >"$g/functions/hid.usb0/subclass"
			echo 8 >"$g/functions/hid.usb0/report_length"
			# boot keyboard report descriptor
			printf '\x05\x01\x09\x06\xa1\x01\x05\x07\x19\xe0\x29\xe7\x15\x00\x25\x01\x75\x01\x95\x08\x81\x02\x95\x01\x75\x08\x81\x03\x95\x05\x75\x01\x05\x08\x19\x01\x29\x05\x91\x02\x95\x01\x75\x03\x91\x03\x95\x06\x75\x08\x15\x00\x25\x65\x05\x07\x19\x00\x29\x65\x81\x00\xc0' \
				>"$g/functions/hid.usb0/report_desc"
			ln -s "$g/functions/hid.usb0" "$g/configs/c.1/"
			;;
		esac
	done
}
gadget_plug() { echo dummy_udc.0 >"$GADGET/$1/UDC"; }
gadget_unplug() { echo "" >"$GADGET/$1/UDC" 2>/dev/null; }
gadget_remove() {
	local g=$GADGET/$1 f
	[[ -d $g ]] || return 0
	gadget_unplug "$1"
	for f in "$g"/configs/c.1/*.*; do [[ -L $f ]] && rm -f "$f"; done
	rmdir "$g"/configs/c.1/strings/0x409 "$g"/configs/c.1 2>/dev/null
	for f in "$g"/functions/*; do [[ -d $f ]] && rmdir "$f"; done
	rmdir "$g"/strings/0x409 "$g" 2>/dev/null
}

# --- read-only / read-write checks shared by scenarios 3, 6 and 10 ---
zero512() { [[ -f /tmp/zero512 ]] || dd if=/dev/zero of=/tmp/zero512 bs=512 count=1 2>/dev/null; }
# sg_write_refused CHECK DEV CDB...: a write-class command must end in DATA PROTECT
sg_write_refused() {
	local c=$1 dev=$2 out rc
	shift 2
	zero512
	out=$(timeout 30 sg_raw -s 512 -i /tmp/zero512 $SGRAW_OPTS "$dev" "$@" 2>&1)
	rc=$?
	if [[ $rc -ne 0 && $out == *[Dd]ata\ [Pp]rotect* ]]; then
		ok "$c"
	else
		nok "$c" "sg_raw $SGRAW_OPTS $dev $* exit $rc: $(tail -c 240 <<<"$out")"
	fi
}
# ro_checks TAG DISK [SHA]: the whole read-only battery on /dev/DISK
ro_checks() {
	local t=$1 d=$2 sha=${3:-} sg mnt=/mnt/$2 opts
	sg=$(sg_of "$d")
	expect "$t-sysfs-ro" "$(cat /sys/block/$d/ro)" 1
	if [[ -n $sha ]]; then
		expect "$t-read-checksum" "$(dd if=/dev/$d bs=1M 2>/dev/null | sha256sum | cut -d' ' -f1)" "$sha"
	fi
	check "$t-sg-read10-passes" timeout 30 sg_raw -R -r 512 "/dev/$d" 28 00 00 00 00 00 00 00 01 00
	check_fails "$t-dd-write-fails" dd if=/dev/zero of=/dev/$d bs=4096 count=1 oflag=direct conv=fsync
	udevadm settle --timeout=10
	check_fails "$t-mkfs-fails" mkfs.ext4 -q -F /dev/$d
	udevadm settle --timeout=10
	check_fails "$t-blkdiscard-fails" blkdiscard /dev/$d
	blockdev --setrw /dev/$d 2>/dev/null
	check_fails "$t-setrw-then-dd-fails" dd if=/dev/zero of=/dev/$d bs=4096 count=1 oflag=direct conv=fsync
	udevadm settle --timeout=10
	if [[ -n $sg ]]; then
		sg_write_refused "$t-sg-write10-data-protect" "/dev/$sg" 2a 00 00 00 00 00 00 00 01 00
		sg_write_refused "$t-sg-write16-data-protect" "/dev/$sg" 8a 00 00 00 00 00 00 00 00 00 00 00 00 01 00 00
		sg_write_refused "$t-sg-writesame10-data-protect" "/dev/$sg" 41 00 00 00 00 00 00 00 01 00
		sg_write_refused "$t-sg-writebuffer-data-protect" "/dev/$sg" 3b 02 00 00 00 00 00 02 00 00
	else
		nok "$t-sg-node" "no /dev/sg* for $d (sg module?)"
	fi
	SGRAW_OPTS=-R sg_write_refused "$t-sgio-on-sd-write10-data-protect" "/dev/$d" 2a 00 00 00 00 00 00 00 01 00
	mkdir -p "$mnt"
	if mount "/dev/$d" "$mnt" >"$RUN/out" 2>&1; then
		opts=$(awk -v d="/dev/$d" '$1 == d { print $4 }' /proc/mounts)
		expect "$t-mount-is-ro" "${opts%%,*}" ro
		check_fails "$t-write-on-mount-fails" sh -c "echo x >$mnt/newfile"
		umount "$mnt"
	else
		# a refused mount also keeps the medium unwritten, but say so
		nok "$t-mount" "mount /dev/$d: $(cat "$RUN/out")"
	fi
	udevadm settle --timeout=10
}
# rw_checks TAG DISK: write, sync, read back gives the same bytes
rw_checks() {
	local t=$1 d=$2 a b
	expect "$t-sysfs-ro" "$(cat /sys/block/$d/ro)" 0
	dd if=/dev/urandom of=/tmp/rw.bin bs=64k count=16 2>/dev/null
	check "$t-dd-write" dd if=/tmp/rw.bin of=/dev/$d bs=64k seek=64 oflag=direct conv=fsync
	sync
	echo 3 >/proc/sys/vm/drop_caches
	a=$(sha256sum </tmp/rw.bin | cut -d' ' -f1)
	b=$(dd if=/dev/$d bs=64k skip=64 count=16 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)
	expect "$t-read-back" "$b" "$a"
	udevadm settle --timeout=10
}

# --- scenario runner ---
cleanup_all() {
	local m g
	mg_stop
	# a scenario killed on its time limit may leave clients behind (guest only)
	killall -9 mgtest 2>/dev/null
	for m in /mnt/*; do mountpoint -q "$m" 2>/dev/null && umount -l "$m"; done
	for g in "$GADGET"/*; do [[ -d $g ]] && gadget_remove "$(basename "$g")"; done
	req unplug-all >/dev/null
	cp "$RUN"/events-*.log /results/ 2>/dev/null
}
# run_scenario NAME: source /mg/scenarios/NAME.sh, run its scenario function
run_scenario() {
	SCEN=$1
	EVLOG=$RUN/events-$SCEN.log
	EVMARK=0
	rm -f "$RUN/failed" "$RUN/oks"
	: >"$EVLOG"
	[[ -f /results/images.env ]] && . /results/images.env
	. "/mg/scenarios/$SCEN.sh"
	scenario
	if [[ ! -s $RUN/failed && ! -s $RUN/oks ]]; then
		mark FAIL "$SCEN" "no check ran"
		return 1
	fi
	if [[ -s $RUN/failed ]]; then
		mark FAIL "$SCEN" "$(wc -l <"$RUN/failed") check(s) failed: $(tr '\n' ' ' <"$RUN/failed" | cut -c1-200)"
		return 1
	fi
	mark PASS "$SCEN"
	return 0
}
