#!/bin/bash
# Host side of scenario 22-media-lifecycle (the administrator's machine), as
# `make demo` does it (tests/vm/demo/run.sh):
#
#   prep-lifecycle.sh BUILD_DIR OUT
#
# OUT/images/company.img  64 MiB stick enrolled with `mediagatectl enroll
#                         --fs none` as MG-LC01, USB 46f4:0001 serial MGLC0001
#                         (QEMU's usb-storage id; the guest plugs it with that
#                         serial)
# OUT/images/blank.img    64 MiB of zeros: the blank stick enrolled in the guest
# OUT/tree/mg/lifecycle/  copied into the initramfs (MG_VM_EXTRA_TREE): the
#                         shipped policy, the registry, org.pub and org.key
#                         (the guest also plays the admin for the blank stick),
#                         company.key (passphrase of both sticks)
# The scenario installs them under /etc/mediagate and /root with root
# ownership and the right modes. A weak test-only argon2id
# (MEDIAGATE_TEST_WEAK_PBKDF=1) keeps cryptsetup open fast under TCG.
set -euo pipefail
build=${1:?usage: prep-lifecycle.sh BUILD_DIR OUT}
out=${2:?}
top=$(cd "$(dirname "$0")/../../.." && pwd)
ctl=$build/mediagatectl
[[ -x $ctl ]] || { echo "prep-lifecycle: $ctl not built" >&2; exit 1; }
rm -rf "$out"
lc=$out/tree/mg/lifecycle
mkdir -p "$out/images" "$out/admin" "$lc"
chmod 0755 "$out/tree" "$out/tree/mg" "$lc"
install -m 0644 "$top/policy/mediagate.conf" "$lc/mediagate.conf"
export MEDIAGATE_TEST_WEAK_PBKDF=1
"$ctl" org-key init --private "$lc/org.key" --public "$lc/org.pub" >"$out/admin/log" 2>&1 ||
	{ cat "$out/admin/log" >&2; exit 1; }
printf 'lifecycle-passphrase-0001' >"$lc/company.key"
truncate -s 64M "$out/images/company.img"
"$ctl" enroll "$out/images/company.img" --owner "Taro Yamada" --asset PC-0101 \
	--medium-id MG-LC01 --fs none --yes --key-file "$lc/company.key" --org-key "$lc/org.key" \
	--usb-id 46f4:0001 --usb-serial MGLC0001 --registry "$lc/registry" \
	--policy "$lc/mediagate.conf" --inventory "$out/admin/inventory.db" >>"$out/admin/log" 2>&1 ||
	{ cat "$out/admin/log" >&2; exit 1; }
truncate -s 64M "$out/images/blank.img"
chmod 0644 "$lc/registry"
