#!/bin/bash
# Fetch and unpack a Debian kernel image for the VM tests.
#
#   fetch-kernel.sh CACHE_DIR META
#
# META is a meta-package pair stem: "amd64" (linux-image-amd64 /
# linux-headers-amd64, Debian's default 6.1) or "6.12-amd64". The ABI name
# (e.g. 6.1.0-56-amd64) is resolved from the headers meta-package with
# apt-cache depends, so a security update does not break the tests; the image
# is downloaded at exactly the installed headers' version so vermagic matches.
# Output: CACHE_DIR/<kver>/{vmlinuz,root/lib/modules/<kver>} and one line on
# stdout: the kernel release. Reused between runs.
set -euo pipefail
cache=${1:?usage: fetch-kernel.sh CACHE_DIR META}
meta=${2:?usage: fetch-kernel.sh CACHE_DIR META}

dep_of() {
	apt-cache depends "$1" 2>/dev/null | awk '$1 == "Depends:" { print $2; exit }'
}

installed_dep_of() {
	dpkg-query -W -f='${Depends}' "$1" 2>/dev/null | sed 's/[ ,(].*//'
}

hdr=$(dep_of "linux-headers-$meta")
img=$(dep_of "linux-image-$meta")
[[ -n $hdr && -n $img ]] || { echo "fetch-kernel: cannot resolve linux-{image,headers}-$meta" >&2; exit 1; }
# apt lists newer than the installed headers (update without upgrade): the
# module is built against what is installed, so take the installed ABI
if ! dpkg-query -W -f='${db:Status-Status}' "$hdr" 2>/dev/null | grep -qx installed; then
	old=$(installed_dep_of "linux-headers-$meta")
	if [[ -n $old ]]; then
		echo "fetch-kernel: $hdr not installed, using the installed $old" >&2
		hdr=$old
		img=linux-image-${old#linux-headers-}
	fi
fi
kver=${hdr#linux-headers-}
[[ $img == "linux-image-$kver" ]] ||
	{ echo "fetch-kernel: $img does not match $hdr (apt lists out of date?)" >&2; exit 1; }

# The module is built against the installed headers; take the image of that version.
hver=$(dpkg-query -W -f='${Version}' "$hdr" 2>/dev/null || true)
if [[ -z $hver ]]; then
	echo "fetch-kernel: $hdr is not installed (make deps)" >&2
	exit 1
fi

dir=$cache/$kver
# several test runs may share the cache
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [[ -f $dir/.done && $(cat "$dir/.done") == "$hver" ]]; then
	echo "$kver"
	exit 0
fi
rm -rf "$dir"
mkdir -p "$dir/debs"
(cd "$dir/debs" && apt-get download -q -o APT::Sandbox::User=root "$img=$hver" >&2)
dpkg-deb -x "$dir"/debs/linux-image-*.deb "$dir/root"
cp "$dir/root/boot/vmlinuz-$kver" "$dir/vmlinuz"
depmod -b "$dir/root" "$kver"
rm -rf "$dir/debs"
echo "$hver" >"$dir/.done"
echo "$kver"
