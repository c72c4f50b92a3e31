#!/bin/bash
# guest/mkinitramfs.sh OUT KVER MODULE TEST - the nested Linux guest's
# initramfs: static busybox, guest/init, the DRM modules of kernel KVER
# that mvgpu_drm needs (decompressed: busybox insmod reads plain .ko), the
# mvgpu_drm module MODULE and the static workload TEST.  OUT.kernel names
# the kernel those modules belong to, which is the one to boot it with (a
# lab host may run another one: the debug kernel).
set -euo pipefail

out=$1 kver=$2 module=$3 test=$4
src=$(cd "$(dirname "$0")" && pwd)
bb=$(command -v busybox) || { echo "mkinitramfs: no busybox (make deps)" >&2; exit 1; }
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage"/{bin,proc,sys,dev,lib/mvgpu}
cp "$bb" "$stage/bin/busybox"
install -m 755 "$src/init" "$stage/init"
install -m 755 "$test" "$stage/bin/mvgpu-gpu-test"
for m in drm drm_kms_helper ttm drm_ttm_helper drm_vram_helper; do
	ko=$(modinfo -k "$kver" -n "$m") || { echo "mkinitramfs: no module $m for $kver" >&2; exit 1; }
	case $ko in
	*.xz) xz -dc "$ko" >"$stage/lib/mvgpu/$m.ko" ;;
	*.zst) zstd -qdc "$ko" >"$stage/lib/mvgpu/$m.ko" ;;
	*) cp "$ko" "$stage/lib/mvgpu/$m.ko" ;;
	esac
done
cp "$module" "$stage/lib/mvgpu/mvgpu_drm.ko"
mkdir -p "$(dirname "$out")"
(cd "$stage" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc -R 0:0 --quiet) | gzip -1 >"$out.tmp.$$"
mv -f "$out.tmp.$$" "$out"
echo "/boot/vmlinuz-$kver" >"$out.kernel"
