#!/bin/bash
# tools/lab/guest.sh - stage 2 of a lab host, run by tools/lab/init chrooted
# into the machine's root (overlay).  Reads /lab-out/run.conf, sets the host
# up (hostname, network, vfio/mdev, mvgpu.ko, the edu PCI parent), runs
# /lab-out/cmd.sh from the repo root with its output on the console, then
# writes /lab-out/rc, /lab-out/times and /lab-out/dmesg.txt.
#
# A setup failure is written to /lab-out/error (the host side reports it and
# exits 126); the command is then not run.
set -uo pipefail

OUT=/lab-out
# shellcheck source=/dev/null
. "$OUT/run.conf"

export PATH="$LAB_REPO/build/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/run/lab/bin"

msg() { echo "lab[$LAB_HOST]: $*"; }

setup_fail() {
	msg "SETUP FAILED: $*"
	echo "$*" >>"$OUT/error"
	exit 1
}

save_dmesg() { dmesg >"$OUT/dmesg.txt" 2>&1; }

# How far the host got, for tools/lab/lab: a host that dies before "mvgpu"
# died booting, not testing, and is booted again.
stage() { echo "$1" >"$OUT/stage"; }

uptime_s() { local up _; read -r up _ </proc/uptime; echo "$up"; }

# Name the host; /etc/hosts knows both run2 hosts; a machine-id of its own.
set_identity() {
	hostname "$LAB_HOSTNAME"
	echo "$LAB_HOSTNAME" >/etc/hostname
	printf '%s\n' "169.254.77.1 mvgpu-a" "169.254.77.2 mvgpu-b" >>/etc/hosts
	echo "${LAB_UUID//-/}" >/etc/machine-id
}

# Busybox applets (ping, nc, ...) as a fallback: /run/lab/bin is last in
# PATH.  One --install, no lookups: each 9p lookup of a missing file costs
# milliseconds under TCG (checking ~400 names took 4 s).
fallback_bin() {
	local bb
	bb=$(command -v busybox) || return 0
	mkdir -p /run/lab/bin
	"$bb" --install -s /run/lab/bin
}

setup_network() {
	ip link set lo up
	[[ -n $LAB_ADDR ]] || return 0
	ip addr add "$LAB_ADDR/24" dev eth0 || setup_fail "cannot configure eth0"
	ip link set eth0 up || setup_fail "cannot bring eth0 up"
}

# vfio + mdev from the machine's modules (the debug kernel has them built
# in: LAB_MODROOT holds its modules.builtin for `modprobe -d`), then the
# module under test: kernel/mvgpu.ko, or LAB_KO (the debug kernel's copy).
load_modules() {
	local ko=${LAB_KO:-kernel/mvgpu.ko} hint="run make"
	[[ ${LAB_KERNEL:-debian} == debug ]] && hint="run make kernel-debug"
	stage vfio
	modprobe ${LAB_MODROOT:+-d "$LAB_MODROOT"} -a vfio vfio_iommu_type1 mdev ||
		setup_fail "modprobe vfio vfio_iommu_type1 mdev failed"
	# Kernel TLS (mvgpu migrate/receive) and its ciphers.  A host loads
	# them on demand; here the kernel's own module requests run in the
	# initramfs root, which has no modprobe, so they are loaded up front.
	# Best effort: the debug kernel has no TLS (then TLS is userspace's).
	stage tls
	modprobe ${LAB_MODROOT:+-d "$LAB_MODROOT"} -q -a tls gcm ghash_generic \
		aesni_intel chacha20poly1305 2>/dev/null || true
	((LAB_MODULE)) || return 0
	[[ -f $ko ]] || setup_fail "$LAB_REPO/$ko is missing ($hint)"
	stage mvgpu
	# shellcheck disable=SC2086  # k=v words
	insmod "$ko" $LAB_MODPARAMS || setup_fail "insmod $ko $LAB_MODPARAMS failed"
	msg "mvgpu.ko loaded${LAB_MODPARAMS:+ ($LAB_MODPARAMS)}$([[ $ko == kernel/mvgpu.ko ]] || echo " from $ko")"
}

# Bind the edu functions (1234:11e8) to the mvgpu PCI driver via new_id.
# MVGPU_LAB_PARENT: the first (by BDF); MVGPU_LAB_PARENTS: all of them.
bind_pci_parent() {
	local drv=/sys/bus/pci/drivers/mvgpu dev i bound
	((LAB_MODULE && LAB_PCI_PARENT)) || return 0
	[[ -d $drv ]] || setup_fail "mvgpu.ko registered no PCI driver named mvgpu"
	echo 1234 11e8 >"$drv/new_id" ||
		setup_fail "echo 1234 11e8 > $drv/new_id failed (EINVAL: is the driver's id_table empty but not NULL?)"
	for ((i = 0; i < 50; i++)); do
		bound=()
		for dev in "$drv"/0000:*; do
			[[ -e $dev ]] && bound+=("${dev##*/}")
		done
		if ((${#bound[@]} >= LAB_PCI_PARENT)); then
			export MVGPU_LAB_PARENT=${bound[0]} MVGPU_LAB_PARENTS="${bound[*]}"
			msg "edu function${bound[1]:+s} ${bound[*]} bound to mvgpu"
			return 0
		fi
		sleep 0.1
	done
	msg "warning: ${#bound[@]} of $LAB_PCI_PARENT edu functions bound to mvgpu (see dmesg)"
	[[ -n ${bound[0]} ]] && export MVGPU_LAB_PARENT=${bound[0]} MVGPU_LAB_PARENTS="${bound[*]}"
}

# run2: wait (bounded) until the peer answers, so both commands start with
# a working wire.
wait_for_peer() {
	local i
	[[ -n $LAB_PEER ]] || return 0
	for ((i = 0; i < 120; i++)); do
		busybox ping -c 1 -W 1 "$LAB_PEER" >/dev/null 2>&1 && return 0
	done
	msg "warning: peer $LAB_PEER does not answer; running the command anyway"
}

run_command() {
	local rc t0 t1
	export MVGPU_LAB=1 MVGPU_LAB_HOST=$LAB_HOST MVGPU_LAB_OUT=$OUT HOME=/root
	# what a suite needs to load the module again (test_platform.c)
	export MVGPU_LAB_KO=${LAB_KO:-kernel/mvgpu.ko} MVGPU_LAB_MODPARAMS=$LAB_MODPARAMS
	export MVGPU_LAB_STACK=${LAB_STACK:-bookworm}
	[[ -n $LAB_PEER ]] && export MVGPU_LAB_PEER=$LAB_PEER
	t0=$(uptime_s)
	stage command
	msg "running the command (boot took ${t0} s)"
	bash "$OUT/cmd.sh" </dev/null
	rc=$?
	t1=$(uptime_s)
	echo "$rc" >"$OUT/rc"
	echo "boot=$t0 end=$t1" >"$OUT/times"
}

main() {
	trap save_dmesg EXIT
	cd "$LAB_REPO" || setup_fail "no repo at $LAB_REPO"
	set_identity
	fallback_bin
	setup_network
	load_modules
	bind_pci_parent
	wait_for_peer
	run_command
}

main
