#!/bin/sh
# tools/demo.sh - the main job, run inside a lab host by `make demo`:
# the physical GPU's vGPU types in sysfs, as on NVIDIA's KVM vGPU, a vGPU
# created through the mvgpu CLI, a verified drawing workload on it, and its
# state saved to an image file and restored into a second vGPU.
set -eu
MVGPU=${MVGPU:-build/bin/mvgpu}

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "the physical GPU (a PCI function bound to mvgpu via new_id)"
for gpu in /sys/bus/pci/drivers/mvgpu/0000:*; do
	echo "$gpu"
	ls "$gpu/mdev_supported_types"
	gpu_one=$gpu
done
parent=${gpu_one##*/}

step "a type, as libvirt and mdevctl see it"
t=$gpu_one/mdev_supported_types/mvgpu-256M
for a in name description device_api available_instances migration_version; do
	printf '%-20s %s\n' "$a" "$(cat "$t/$a")"
done

step "mvgpu types"
$MVGPU types

step "mvgpu create --type mvgpu-256M"
uuid=$($MVGPU create --type mvgpu-256M --parent "$parent")
echo "$uuid"
ls -l "/sys/bus/mdev/devices/$uuid/" | sed 1d

step "mvgpu list"
$MVGPU list
step "mvgpu types (available instances follow the pool)"
$MVGPU types --parent "$parent"

step "mvgpu exercise: draw and copy through the channels, check every byte"
$MVGPU exercise --uuid "$uuid" --passes 20

step "mvgpu save: its state to an image file (pre-copy, lz4, io_uring)"
img=$(mktemp -d)/gpu.img
$MVGPU save "$uuid" "$img"
$MVGPU inspect "$img"

step "mvgpu restore into a second vGPU"
second=$($MVGPU create --type mvgpu-256M --parent "$parent")
$MVGPU restore "$second" "$img"
$MVGPU list

step "mvgpu remove"
$MVGPU remove "$uuid"
$MVGPU remove "$second"
$MVGPU --json list
