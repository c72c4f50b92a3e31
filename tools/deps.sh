#!/bin/sh
# tools/deps.sh - install everything mvgpu needs, from Debian's packages only.
#
# Idempotent: when every package is present it only derives KVER and exits
# (no apt-get update, no network).  The kernel is a *matched* pair
# linux-image-6.12.N+deb12-amd64-unsigned + linux-headers-6.12.N+deb12-amd64;
# when no 6.12 pair is installed yet, the newest N for which both exist is
# chosen.  Never a hard-coded N.
set -eu

PKGS="build-essential pkg-config sparse cpio xz-utils busybox-static
qemu-system-x86 qemu-utils liburing-dev liblz4-dev lz4 libpng-dev uuid-dev libxxhash-dev
libcriterion-dev clang iproute2 kmod libgnutls28-dev gnutls-bin
libvirt-daemon-system libvirt-clients libvirt-daemon-driver-qemu mdevctl"

export DEBIAN_FRONTEND=noninteractive
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo

installed_kver() {
	# Newest 6.12 kernel for which both image and build headers are present.
	for d in $(ls -d /lib/modules/6.12.*+deb12-amd64 2>/dev/null | sort -V -r); do
		k=${d##*/}
		if [ -f "/boot/vmlinuz-$k" ] && [ -e "$d/build/Makefile" ]; then
			echo "$k"
			return 0
		fi
	done
	return 1
}

missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done

if [ -n "$missing" ] || ! installed_kver >/dev/null; then
	$SUDO apt-get update -q
fi

if ! installed_kver >/dev/null; then
	n=$(apt-cache search --names-only '^linux-headers-6\.12\.[0-9]+\+deb12-amd64$' |
		sed -n 's/^linux-headers-6\.12\.\([0-9]*\)+deb12-amd64 .*/\1/p' | sort -n -r |
		while read -r c; do
			if apt-cache show "linux-image-6.12.$c+deb12-amd64-unsigned" >/dev/null 2>&1; then
				echo "$c"
				break
			fi
		done)
	if [ -z "$n" ]; then
		echo "deps: no matched linux-image-6.12.N+deb12-amd64-unsigned/linux-headers pair in apt" >&2
		echo "deps: enable bookworm-security (it carries the 6.12 kernels) and retry" >&2
		exit 1
	fi
	missing="$missing linux-image-6.12.$n+deb12-amd64-unsigned linux-headers-6.12.$n+deb12-amd64"
fi

if [ -n "$missing" ]; then
	echo "deps: installing:$missing"
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -q --no-install-recommends $missing
fi

kver=$(installed_kver) || { echo "deps: kernel pair did not install" >&2; exit 1; }
# The lab's second client stack (QEMU 10 / libvirt 11.3 from bookworm-
# backports), unpacked into a cache, never installed (tools/lab/stack).
$SUDO bash "$(dirname "$0")/lab/stack" fetch
echo "deps: ok, KVER=$kver"
