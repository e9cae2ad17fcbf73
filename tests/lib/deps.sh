#!/bin/bash
# Install the Debian packages mediagate needs to build and test, when missing.
# As root: apt-get installs them (quietly, idempotent). Otherwise: list what
# is missing and fail. The package list is the single source of truth.
set -eu
pkgs=(
	# build
	gcc make pkg-config libc6-dev clang libclang-rt-14-dev clang-format cppcheck
	libudev-dev libusb-1.0-0-dev libblkid-dev libcryptsetup-dev libmount-dev
	libsqlite3-dev libssl-dev libjson-c-dev libsystemd-dev
	# tests
	libcmocka-dev umockdev libumockdev-dev sqlite3 cryptsetup-bin valgrind
	gettext locales
	# tests/unit/test-notify: a private session bus
	dbus-daemon
	# kernel module and VM tests
	linux-headers-amd64 linux-headers-6.12-amd64 pahole kmod linux-source-6.12
	qemu-system-x86 busybox-static udev socat dosfstools fdisk e2fsprogs cpio
	xz-utils util-linux dmsetup sg3-utils
	# packaging: man pages, make install, make deb, lintian, DKMS (tests/packaging)
	groff-base man-db bash-completion dpkg-dev debhelper dh-dkms dkms lintian
	# system-test VM (tests/system): guest image, qcow2 overlay
	debootstrap qemu-utils
	# central ledger (tests/fleet, mediagatectl --db)
	rsyslog rsyslog-relp rsyslog-pgsql postgresql libpq-dev
	# bench/usbguard: the table (analyze.py); usbguard itself is fetched with
	# apt-get download and unpacked for the guest, never installed on the host
	python3
)
missing=()
for p in "${pkgs[@]}"; do
	[[ $p == \#* ]] && continue
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[[ $st == installed ]] || missing+=("$p")
done
# tests/ledger runs mediagatectl under LANG=ja_JP.UTF-8: generate that locale
# (needs the locales package; as root only, otherwise say what is missing).
ensure_ja_locale() {
	locale -a 2>/dev/null | grep -qix 'ja_JP.utf8' && return 0
	if [[ $(id -u) -ne 0 ]]; then
		echo "deps: locale ja_JP.UTF-8 missing; as root: localedef -i ja_JP -f UTF-8 ja_JP.UTF-8" >&2
		return 1
	fi
	echo "deps: generating locale ja_JP.UTF-8"
	localedef -i ja_JP -f UTF-8 ja_JP.UTF-8
}
[[ ${#missing[@]} -eq 0 ]] && { ensure_ja_locale; exit; }
if [[ $(id -u) -ne 0 ]]; then
	echo "deps: missing Debian packages: ${missing[*]}" >&2
	echo "deps: run as root, or: apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 -qq update
apt-get -o DPkg::Lock::Timeout=600 -qq install -y --no-install-recommends "${missing[@]}" >/dev/null
ensure_ja_locale
