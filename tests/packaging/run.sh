#!/bin/bash
# tests/packaging: the man pages, `make install` and `make deb`.
#
#   man-render-*      groff -ww and man -l render each page without a warning
#   man-*-complete    mediagatectl(8) has every verb of the verb table,
#                     mediagate.conf(5) every policy and registry keyword,
#                     mediagate(4) every name of the uapi header; the
#                     pages have every long option of the programs' --help;
#                     the policy examples of mediagate.conf(5) pass check
#   completion-*      the bash completion offers exactly those verbs, and works
#   install-*         make install DESTDIR=...: file list and modes; a second
#                     install keeps a modified policy; the policy passes check
#   initramfs-order   init-top/mediagate runs before init-top/udev
#   deb-*             make deb: package contents, maintainer scripts, lintian
#                     (-I --pedantic, fails on any tag not overridden in
#                     dkms/debian/*.lintian-overrides), and DKMS builds the packaged tree
#
# Usage: tests/packaging/run.sh BUILD_DIR (the directory `make check` built
# into; SANITIZE=1 is assumed for build/san). One PASS:/FAIL: line per case.
set -u
build=${1:?usage: run.sh BUILD_DIR}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
export LC_ALL=C.UTF-8 MANWIDTH=80

failed=0
pass() { echo "PASS: $1"; }
fail() {
	echo "FAIL: $1${2:+ ($2)}"
	failed=1
}
# check NAME CMD...: PASS if CMD succeeds
check() {
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

tmp=$(mktemp -d /tmp/mg-packaging.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms/dkms.conf)
san=0
[[ $(basename "$build") == san ]] && san=1

# ---- man pages ----
render() { groff -man -Tascii -rHY=0 -P-cbou "$1" 2>/dev/null; }

for page in man/*.[1-8]; do
	name=man-render-$(basename "$page")
	warn=$( { groff -ww -z -man -Tutf8 "$page" >/dev/null; } 2>&1)
	warn+=$( { man --warnings -l "$page" >/dev/null; } 2>&1)
	if [[ -n $warn ]]; then fail "$name" "$(head -n 3 <<<"$warn" | tr '\n' ' ')"; else pass "$name"; fi
done

# every verb of the table in daemon/cli/mediagatectl.c
verbs=$(grep -o '{ *"[a-z-]*", cmd_' daemon/cli/mediagatectl.c | cut -d'"' -f2)
missing=()
for v in $verbs; do
	grep -Eq "^\.B[IR]? ${v//-/\\\\-}( |$)" man/mediagatectl.8 || missing+=("$v")
done
if [[ -n $verbs && ${#missing[@]} -eq 0 ]]; then pass man-verbs-complete
else fail man-verbs-complete "undocumented: ${missing[*]:-no verbs found}"; fi

# every word literal of the policy parser, the class names and the registry keys
keywords=$( { grep -o '"[a-z][a-z0-9-]*"' daemon/src/policy_parse.c
	sed -n '/class_names\[\] = {/,/^};/p' daemon/src/policy_print.c | grep -o '"[a-z-]*"'
	sed -n '/\[F_LUKS\] =/,/;/p' daemon/src/registry.c | grep -o '"[a-z0-9]*"'
	echo '"medium"'; } | tr -d '"' | sort -u)
text=$(render man/mediagate.conf.5)
missing=()
for k in $keywords; do
	grep -qw -- "$k" <<<"$text" || missing+=("$k")
done
if [[ $(wc -w <<<"$keywords") -gt 40 && ${#missing[@]} -eq 0 ]]; then pass man-keywords-complete
else fail man-keywords-complete "undocumented: ${missing[*]:-too few keywords found}"; fi

# every event, flag, verdict, level, removable and ioctl name, every struct
names=$( { grep -o '^#define MEDIAGATE_[A-Z_]*' include/uapi/linux/mediagate.h | cut -d' ' -f2 |
	grep -Ev '_MAX$|^MEDIAGATE_IOC_MAGIC$|^_'
	grep -o '^struct mediagate_[a-z_]*' include/uapi/linux/mediagate.h | cut -d' ' -f2; } | sort -u)
text=$(render man/mediagate.4)
missing=()
for n in $names; do
	grep -qw -- "$n" <<<"$text" || missing+=("$n")
done
if [[ ${#missing[@]} -eq 0 ]]; then pass man-abi-complete
else fail man-abi-complete "undocumented: ${missing[*]}"; fi

# every long option of every verb's --help (daemon verbs: their table usage,
# they have no --help) and of mediagated --help
opts_missing() { # PAGE OPTION...
	local text o
	text=$(render "$1")
	shift
	for o in "$@"; do grep -qw -- "$o" <<<"$text" || echo "$o"; done
}
ctl_opts=$( { for v in $(grep -o '{ *"[a-z-]*", cmd_[a-z_]*' daemon/cli/mediagatectl.c |
		grep -v cmd_daemon_request | cut -d'"' -f2); do
		"$build/mediagatectl" "$v" --help 2>&1
	done
	sed -n '/^static const struct verb verbs/,/^};/p' daemon/cli/mediagatectl.c
	echo --control; } | grep -o -- '--[a-z][a-z0-9-]*' | sort -u)
missing=$(opts_missing man/mediagatectl.8 $ctl_opts)
if [[ $(wc -w <<<"$ctl_opts") -gt 20 && -z $missing ]]; then pass man-ctl-options-complete
else fail man-ctl-options-complete "undocumented: $(echo $missing)"; fi
d_opts=$("$build/mediagated" --help 2>&1 | grep -o -- '--[a-z][a-z0-9-]*' | sort -u)
missing=$(opts_missing man/mediagated.8 $d_opts)
if [[ $(wc -w <<<"$d_opts") -gt 5 && -z $missing ]]; then pass man-daemon-options-complete
else fail man-daemon-options-complete "undocumented: $(echo $missing)"; fi

# the policy examples of mediagate.conf(5) (its first two .nf blocks) pass check
sed -n '/^\.SH EXAMPLES/,/^\.SH FILES/p' man/mediagate.conf.5 |
	awk '/^\.nf/ { n++; on = 1; next } /^\.fi/ { on = 0; next } on && n <= 2' |
	sed 's/\\-/-/g; s/\\e/\\/g' >"$tmp/examples.conf"
chmod 0644 "$tmp/examples.conf"
if [[ $(grep -c '^[a-z]' "$tmp/examples.conf") -gt 8 ]] &&
	"$build/mediagatectl" check "$tmp/examples.conf" >"$tmp/examples.log" 2>&1; then
	pass man-conf-examples-check
else
	fail man-conf-examples-check "$(head -n 3 "$tmp/examples.log" | tr '\n' ' ')"
fi

comp_verbs=$(bash -c 'source daemon/cli/bash-completion/mediagatectl 2>/dev/null
	sed -n "/local verbs=\"/,/\"/p" daemon/cli/bash-completion/mediagatectl' |
	tr -d '"' | sed 's/local verbs=//' | tr -s ' \t\n' '\n' | sed '/^$/d' | sort)
if [[ $comp_verbs == "$(sort <<<"$verbs")" ]]; then pass completion-verbs
else fail completion-verbs "$(diff <(sort <<<"$verbs") <(echo "$comp_verbs") | grep '^[<>]' | tr '\n' ' ')"; fi

# the completion itself, under bash-completion
if [[ -r /usr/share/bash-completion/bash_completion ]]; then
	got=$(bash -c 'source /usr/share/bash-completion/bash_completion
		source daemon/cli/bash-completion/mediagatectl
		comp() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"
			COMP_POINT=${#COMP_LINE}; COMPREPLY=(); _mediagatectl; echo "${COMPREPLY[*]}"; }
		comp mediagatectl st; comp mediagatectl inventory --format ""
		comp mediagatectl org-key ""' 2>&1)
	if [[ $got == $'stocktake status\ntable csv json\ninit show' ]]; then pass completion-works
	else fail completion-works "$(tr '\n' '|' <<<"$got")"; fi
else
	fail completion-works "bash-completion not installed"
fi

# ---- make install ----
expected_install() {
	cat <<-EOT
	644 etc/mediagate/mediagate.conf
	644 etc/modprobe.d/mediagate.conf
	644 lib/systemd/system/mediagated.service
	644 usr/include/linux/mediagate.h
	644 usr/lib/modules-load.d/mediagate.conf
	644 usr/lib/udev/rules.d/70-mediagate.rules
	755 usr/libexec/mediagate/mediagate-probe
	755 usr/sbin/mediagatectl
	755 usr/sbin/mediagated
	644 usr/share/bash-completion/completions/mediagatectl
	755 usr/share/initramfs-tools/hooks/mediagate
	755 usr/share/initramfs-tools/scripts/init-top/mediagate
	644 usr/src/mediagate-$version/dkms.conf
	644 usr/src/mediagate-$version/include/uapi/linux/mediagate.h
	644 usr/src/mediagate-$version/kmod/Kbuild
	644 usr/src/mediagate-$version/kmod/Makefile
	755 usr/src/mediagate-$version/kmod/conftest.sh
	EOT
	for f in kmod/*.c kmod/*.h kmod/conftest/*.c; do echo "644 usr/src/mediagate-$version/$f"; done
	for m in man/*.[1-8]; do echo "644 usr/share/man/man${m##*.}/${m#man/}"; done
	for po in daemon/po/*.po; do
		echo "644 usr/share/locale/$(basename "$po" .po)/LC_MESSAGES/mediagate.mo"
	done
}
listing() { (cd "$1" && find . -type f -printf '%m %P\n' | sort -k2); }

dest=$tmp/dest
if make -s install SANITIZE=$san O="$build" DESTDIR="$dest" >"$tmp/install.log" 2>&1; then
	pass install-runs
	d=$(diff <(expected_install | sort -k2) <(listing "$dest"))
	if [[ -z $d ]]; then pass install-files; else fail install-files "$(grep '^[<>]' <<<"$d" | tr '\n' ' ')"; fi
	bad=$(find "$dest" \( ! -user root -o ! -group root \) -print -quit)
	if [[ $(id -u) -ne 0 || -z $bad ]]; then pass install-owner-root; else fail install-owner-root "$bad"; fi
	check install-policy-checks "$build/mediagatectl" check "$dest/etc/mediagate/mediagate.conf"

	echo "allow any  # an administrator's policy" >"$dest/etc/mediagate/mediagate.conf"
	if make -s install SANITIZE=$san O="$build" DESTDIR="$dest" >"$tmp/install2.log" 2>&1 &&
		[[ $(cat "$dest/etc/mediagate/mediagate.conf") == "allow any  # an administrator's policy" ]] &&
		grep -q 'keeping .*mediagate.conf' "$tmp/install2.log"; then
		pass install-keeps-policy
	else
		fail install-keeps-policy
	fi
else
	fail install-runs "$(tail -n 3 "$tmp/install.log" | tr '\n' ' ')"
fi

# initramfs-tools orders init-top scripts with tsort by their prereqs; ours
# has none, so it must sort before udev (which starts the coldplug)
order=$(for s in /usr/share/initramfs-tools/scripts/init-top/* \
	policy/initramfs-tools/scripts/init-top/mediagate; do
	n=$(basename "$s")
	echo "$n $n"
	for p in $(sh "$s" prereqs); do echo "$p $n"; done
done | tsort | tr '\n' ' ')
if [[ $order == *"mediagate "*"udev "* ]] || [[ ! -e /usr/share/initramfs-tools/scripts/init-top/udev && $order == *mediagate* ]]; then
	pass initramfs-order
else
	fail initramfs-order "$order"
fi
check initramfs-hook-syntax sh -n policy/initramfs-tools/hooks/mediagate

# ---- make deb ----
# Build-Depends names the -dev package of every pkg-config module the
# Makefile links (a module added there must be added to dkms/debian/control)
missing=()
for m in $(sed -n 's/^PKGS := //p' Makefile); do
	pc=$(pkg-config --path "$m" 2>/dev/null)
	pkg=$(dpkg -S "$(readlink -f "$pc")" 2>/dev/null | cut -d: -f1)
	grep -Eq "^(Build-Depends:)? +${pkg:-?}(,| |$)" dkms/debian/control || missing+=("$m:${pkg:-?}")
done
if [[ ${#missing[@]} -eq 0 ]]; then pass deb-build-depends
else fail deb-build-depends "not in Build-Depends: ${missing[*]}"; fi

start=$SECONDS
if make -s deb >"$tmp/deb.log" 2>&1; then
	pass "deb-build ($((SECONDS - start)) s)"
else
	fail deb-build "$(tail -n 5 "$tmp/deb.log" | tr '\n' ' ')"
	exit 1
fi
deb=build/deb/mediagate_${version}_$(dpkg --print-architecture).deb
dkmsdeb=build/deb/mediagate-dkms_${version}_all.deb
changes=build/deb/mediagate_${version}_$(dpkg --print-architecture).changes

# mediagate: what make install puts outside /usr/src, man pages compressed
want=$( { expected_install | grep -v ' usr/src/' | sed 's/\(man\/man[0-9]\/.*\)$/\1.gz/' |
	sed 's/^[0-9]* //'; echo usr/share/lintian/overrides/mediagate; } | sort)
have=$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print substr($6, 3)}' | grep -v '^usr/share/doc/' | sort)
d=$(diff <(echo "$want") <(echo "$have"))
if [[ -z $d ]]; then pass deb-mediagate-contents; else fail deb-mediagate-contents "$(grep '^[<>]' <<<"$d" | tr '\n' ' ')"; fi

want=$(expected_install | grep ' usr/src/' | sed 's/^[0-9]* //' | sort)
have=$(dpkg-deb -c "$dkmsdeb" | awk '$1 !~ /^d/ {print substr($6, 3)}' | grep -v '^usr/share/doc/' | sort)
d=$(diff <(echo "$want") <(echo "$have"))
if [[ -z $d ]]; then pass deb-dkms-contents; else fail deb-dkms-contents "$(grep '^[<>]' <<<"$d" | tr '\n' ' ')"; fi

ctl=$tmp/ctl dctl=$tmp/dctl
dpkg-deb -e "$deb" "$ctl" && dpkg-deb -e "$dkmsdeb" "$dctl"
dep=$(dpkg-deb -f "$deb" Depends)
check deb-depends [ -n "$(grep -w adduser <<<"$dep")" -a -n "$(grep -w mediagate-dkms <<<"$dep")" -a \
	-n "$(dpkg-deb -f "$dkmsdeb" Depends | grep -w dkms)" ]
check deb-conffiles grep -qx /etc/mediagate/mediagate.conf "$ctl/conffiles"
check deb-postinst-enables-service grep -q "deb-systemd-helper enable 'mediagated.service'" "$ctl/postinst"
check deb-postinst-group-and-state grep -q 'addgroup --system --quiet mediagate' "$ctl/postinst"
check deb-postrm-purge-only \
	bash -c "sed -n '/^purge)/,/;;/p' '$ctl/postrm' | grep -q 'rm -rf /var/lib/mediagate' &&
		[ \$(grep -c /var/lib/mediagate '$ctl/postrm') -eq 1 ]"
check deb-initramfs-trigger grep -qx 'activate-noawait update-initramfs' "$ctl/triggers"
check deb-dkms-postinst grep -q 'common.postinst' "$dctl/postinst"
check deb-dkms-every-kernel grep -q 'dkms install -m mediagate' "$dctl/postinst"

start=$SECONDS
lintian -I --pedantic --fail-on error,warning,info,pedantic --tag-display-limit 0 "$changes" >"$tmp/lintian.log" 2>&1
rc=$?
sed 's/^/  lintian: /' "$tmp/lintian.log" | grep -v 'running with root privileges'
if [[ $rc -eq 0 ]]; then pass "deb-lintian ($((SECONDS - start)) s)"; else fail deb-lintian "exit $rc"; fi

# DKMS builds the packaged tree (into a private DKMS tree, nothing installed)
krel=$(make -s -C kmod print-kvers 2>/dev/null | head -n 1)
if [[ -z $krel ]]; then
	fail dkms-build "no kernel headers (make -C kmod print-kvers)"
else
	dpkg-deb -x "$dkmsdeb" "$tmp/dkmsroot"
	mkdir -p "$tmp/dkmstree"
	start=$SECONDS
	if dkms build -m mediagate -v "$version" --sourcetree "$tmp/dkmsroot/usr/src" \
		--dkmstree "$tmp/dkmstree" -k "$krel" >"$tmp/dkms.log" 2>&1 &&
		modinfo -F vermagic "$tmp/dkmstree/mediagate/$version/$krel/x86_64/module/mediagate.ko"* |
		grep -q "^$krel "; then
		pass "dkms-build $krel ($((SECONDS - start)) s)"
	else
		fail dkms-build "$(tail -n 3 "$tmp/dkms.log" | tr '\n' ' ')"
	fi
fi

exit $failed
