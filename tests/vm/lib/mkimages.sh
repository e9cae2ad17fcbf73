#!/bin/bash
# Make the stick images on the host, without root.
#
#   mkimages.sh DIR
#
# DIR/data.img   16 MiB ext4 (whole disk, no partition table) holding known
#                files; its sha256 is what a read through the write-blocker
#                must give.
# DIR/vfat.img   8 MiB vfat with one known file.
# DIR/luks.img   32 MiB LUKS2 (pbkdf2, 1000 iterations, key DIR/luks.key).
# DIR/images.env shell assignments the guest sources: *_SHA, *_SIZE,
#                DATA_FILE_SHA (sha256 of /hello.bin inside data.img), LUKS_UUID.
# Made once; reused while images.env exists and names this script version.
set -euo pipefail
dir=${1:?usage: mkimages.sh DIR}
# remade when this script changes
stamp="IMAGES_SCRIPT=$(sha256sum "$0" | cut -c1-16)"
[[ -f $dir/images.env ]] && grep -qx "$stamp" "$dir/images.env" && exit 0
mkdir -p "$dir"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mg-img.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# deterministic content: 1 MiB of a counter pattern
mkdir -p "$tmp/content/dir"
seq 1 150000 | head -c 1048576 >"$tmp/content/hello.bin"
echo "mediagate test medium" >"$tmp/content/README"
echo "nested" >"$tmp/content/dir/nested.txt"
export E2FSPROGS_FAKE_TIME=1700000000
rm -f "$dir/data.img"
mkfs.ext4 -q -F -L MGDATA -U 6d67a7e5-0000-4000-8000-000000000001 -E root_owner=0:0 \
	-d "$tmp/content" "$dir/data.img" 16M >/dev/null

rm -f "$dir/vfat.img"
mkfs.vfat -C -n MGVFAT -i 4d474154 "$dir/vfat.img" 8192 >/dev/null
mcopy_ok=0
if command -v mcopy >/dev/null; then
	mcopy -i "$dir/vfat.img" "$tmp/content/README" ::README && mcopy_ok=1
fi

head -c 32 /dev/urandom >"$dir/luks.key"
truncate -s 32M "$dir/luks.img"
cryptsetup luksFormat -q --type luks2 --batch-mode --pbkdf pbkdf2 \
	--pbkdf-force-iterations 1000 --key-file "$dir/luks.key" "$dir/luks.img"

sha() { sha256sum "$1" | cut -d' ' -f1; }
{
	echo "DATA_SHA=$(sha "$dir/data.img")"
	echo "DATA_SIZE=$(stat -c %s "$dir/data.img")"
	echo "DATA_FILE_SHA=$(sha "$tmp/content/hello.bin")"
	echo "VFAT_SHA=$(sha "$dir/vfat.img")"
	echo "VFAT_SIZE=$(stat -c %s "$dir/vfat.img")"
	echo "VFAT_HAS_README=$mcopy_ok"
	echo "LUKS_SHA=$(sha "$dir/luks.img")"
	echo "LUKS_UUID=$(cryptsetup luksUUID "$dir/luks.img")"
	echo "$stamp"
} >"$dir/images.env.tmp"
mv "$dir/images.env.tmp" "$dir/images.env"
