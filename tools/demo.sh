#!/bin/sh
# tools/demo.sh - the main job, run inside a lab host by `make demo`:
# the physical GPU's vGPU types in sysfs, as on NVIDIA's KVM vGPU, a vGPU
# created through the mvgpu CLI, a verified drawing workload on it, and its
# state saved to an image file and restored into a second vGPU, and a
# live migration of a vGPU under a running workload to a third one (over
# the loopback here; between two hosts it is the same commands, see
# docs/wire-protocol.md and make check-lab2).
set -eu
MVGPU=${MVGPU:-build/bin/mvgpu}

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# wait_for FILE TEXT PID: until FILE shows TEXT (at most 60 s, and only
# while PID lives)
wait_for() {
	n=0
	until grep -q "$2" "$1"; do
		if ! kill -0 "$3" 2>/dev/null || [ $n -ge 600 ]; then
			cat "$1"
			echo "demo: '$2' never came" >&2
			exit 1
		fi
		n=$((n + 1))
		sleep 0.1
	done
}

step "the physical GPU (a PCI function bound to mvgpu via new_id)"
for gpu in /sys/bus/pci/drivers/mvgpu/0000:*; do
	echo "$gpu"
	ls "$gpu/mdev_supported_types"
	gpu_one=$gpu
done
parent=${gpu_one##*/}

step "a type, as libvirt and mdevctl see it"
t=$gpu_one/mdev_supported_types/mvgpu-256M
for a in name description device_api available_instances; do
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

step "live migration of a vGPU in use: mvgpu exercise moves with it"
third=$($MVGPU create --type mvgpu-256M --parent "$parent")
run=$(mktemp -d)
export MVGPU_RUN_DIR=$run
# TLS both ways, as between two hosts: one CA, this host's certificates
tools/tls/mvgpu-certs ca "$run/ca"
tools/tls/mvgpu-certs host "$run/ca" "$run/tls" demo-host --ip 127.0.0.1
export MVGPU_TLS_DIR=$run/tls
# the target: a workload waiting for the vGPU, and a receiver
$MVGPU exercise --uuid "$third" --incoming --seconds 3 >"$run/target.log" 2>&1 &
target=$!
wait_for "$run/target.log" "waits for a migration in" $target
$MVGPU receive --listen 127.0.0.1:7077 --uuid "$third" >"$run/receive.log" 2>&1 &
receiver=$!
wait_for "$run/receive.log" "listening on" $receiver
# the source: a workload that serves its migration agent, then the move
$MVGPU exercise --uuid "$second" --agent --seconds 300 >"$run/source.log" 2>&1 &
source=$!
wait_for "$run/source.log" "pass 1 " $source
$MVGPU migrate "$second" 127.0.0.1:7077 --target-uuid "$third"
wait $receiver
cat "$run/receive.log"
wait $source
tail -n 1 "$run/source.log"
wait $target
tail -n 3 "$run/target.log"

step "mvgpu remove"
$MVGPU remove "$uuid"
$MVGPU remove "$second"
$MVGPU remove "$third"
$MVGPU --json list
