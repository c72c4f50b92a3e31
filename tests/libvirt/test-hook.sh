#!/bin/bash
# tests/libvirt/test-hook.sh - native tests of tools/libvirt/qemu-hook and
# tools/libvirt/mvgpu-annotate against a fake sysfs (MVGPU_SYSFS) and a
# fake virsh; no libvirt, no module.  `make check-libvirt-hook`.
#
# A fake vGPU's migration_version is a regular file (every write succeeds:
# "compatible") or a symlink to /proc/version (readable, every write fails:
# "incompatible").  The lab run (make check-libvirt) does it for real.
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HOOK=$REPO/tools/libvirt/qemu-hook
ANNOTATE=$REPO/tools/libvirt/mvgpu-annotate
T=$(mktemp -d "${TMPDIR:-/tmp}/mvgpu-hook-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
export MVGPU_SYSFS=$T/sys

NS=http://mvgpu.invalid/xmlns/libvirt/1
GOOD=11111111-2222-3333-4444-555555555555
BAD=aaaaaaaa-2222-3333-4444-555555555555
GONE=bbbbbbbb-2222-3333-4444-555555555555
V64='mvgpu-migration-version=1 driver=0.1.0 stream=1.0 abi=1.0 type=mvgpu-64M type_index=0 fb=67108864 features=0x0'
V256='mvgpu-migration-version=1 driver=0.1.0 stream=1.0 abi=1.0 type=mvgpu-256M type_index=1 fb=268435456 features=0x0'

pass=0 fail=0
check() {
	local what=$1
	shift
	if "$@"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $what" >&2
		echo "  rc=$rc stdout='$out' stderr='$err'" >&2
	fi
}

# fake sysfs: vGPU $1 of type $2 whose attribute accepts (ok) or refuses (no)
vgpu() {
	local d=$MVGPU_SYSFS/bus/mdev/devices/$1 t=$MVGPU_SYSFS/types/$2
	mkdir -p "$MVGPU_SYSFS/bus/mdev/devices" "$t"
	mkdir -p "$d"
	ln -sfn "$t" "$d/mdev_type"
	if [[ $3 == ok ]]; then
		[[ $2 == mvgpu-64M ]] && echo "$V64" >"$d/migration_version"
		[[ $2 == mvgpu-256M ]] && echo "$V256" >"$d/migration_version"
	else
		ln -sfn /proc/version "$d/migration_version"
	fi
}
vgpu "$GOOD" mvgpu-64M ok
vgpu "$BAD" mvgpu-refuses no

# domain XML as libvirt formats it; $1 = metadata (or ""), then UUIDs
domain() {
	local meta=$1 u
	shift
	echo "<domain type='qemu' id='3' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>"
	echo "  <name>d1</name>"
	[[ -z $meta ]] || printf '  <metadata>\n%s\n  </metadata>\n' "$meta"
	echo "  <devices>"
	echo "    <hostdev mode='subsystem' type='pci' managed='yes'>"
	echo "      <source><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source>"
	echo "    </hostdev>"
	for u in "$@"; do
		echo "    <hostdev mode='subsystem' type='mdev' managed='no' model='vfio-pci' display='off'>"
		echo "      <source>"
		echo "        <address uuid='$u'/>"
		echo "      </source>"
		echo "      <alias name='hostdev0'/>"
		echo "      <address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x0'/>"
		echo "    </hostdev>"
	done
	echo "  </devices>"
	echo "</domain>"
}
# <mvgpu:vgpus> as libvirt prints what mvgpu-annotate set: "UUID=VERSION"...
meta() {
	local a
	echo "    <mvgpu:vgpus xmlns:mvgpu=\"$NS\">"
	for a in "$@"; do
		echo "      <mvgpu:vgpu uuid=\"${a%%=*}\" type=\"x\" migration-version=\"${a#*=}\"/>"
	done
	echo "    </mvgpu:vgpus>"
}

# hook OP < XML: sets rc, out, err
hook() {
	out=$("$HOOK" d1 "$1" begin - 2>"$T/err" <"$T/xml") && rc=0 || rc=$?
	err=$(<"$T/err")
}
has() { [[ $err == *"$1"* ]]; }

# 1. compatible: the source's string is written to the local attribute
domain "$(meta "$GOOD=$V64")" "$GOOD" >"$T/xml"
hook migrate
check "compatible: exit 0" [ "$rc" = 0 ]
check "compatible: nothing on stdout" [ -z "$out" ]
check "compatible: nothing on stderr" [ -z "$err" ]
check "compatible: the source's string was written" \
	[ "$(cat "$MVGPU_SYSFS/bus/mdev/devices/$GOOD/migration_version")" = "$V64" ]

# 2. incompatible: the write fails; both versions named
domain "$(meta "$BAD=$V256")" "$BAD" >"$T/xml"
hook migrate
check "incompatible: exit 1" [ "$rc" = 1 ]
check "incompatible: nothing on stdout" [ -z "$out" ]
check "incompatible: says so" has "refusing incoming migration of domain 'd1': vGPU $BAD is incompatible"
check "incompatible: names the source's version" has "source migration_version '$V256'"
check "incompatible: names the target's version" has "target migration_version 'Linux version"
check "incompatible: names the type" has "type differs: source mvgpu-256M"

# 3. the vGPU is missing here
domain "$(meta "$GONE=$V64")" "$GOOD" "$GONE" >"$T/xml"
hook migrate
check "missing vGPU: exit 1" [ "$rc" = 1 ]
check "missing vGPU: says so" has "vGPU $GONE does not exist on"

# 4. no published version: accepted with a warning
domain "" "$GOOD" >"$T/xml"
hook migrate
check "no metadata: exit 0" [ "$rc" = 0 ]
check "no metadata: warns" has "published no migration_version"

# 5. restore is checked the same way
domain "$(meta "$BAD=$V256")" "$BAD" >"$T/xml"
hook restore
check "restore, incompatible: exit 1" [ "$rc" = 1 ]
check "restore, incompatible: says so" has "refusing restore of domain 'd1'"

# 6. other operations pass untouched, even with a missing vGPU
domain "" "$GONE" >"$T/xml"
for op in prepare start started stopped release reconnect attach; do
	hook $op
	check "$op: exit 0 and silent" [ "$rc" = 0 -a -z "$out" -a -z "$err" ]
done

# 7. any prefix and quoting for our namespace; other namespaces ignored
cat >"$T/meta" <<EOF
    <other:vgpu xmlns:other="http://example.invalid/x" uuid="$BAD" migration-version="$V256"/>
    <v:vgpus xmlns:foo='http://example.invalid/y' xmlns:v='$NS'>
      <v:vgpu uuid='${BAD^^}' migration-version='$V64'/>
      <v:vgpu2 uuid='$BAD' migration-version='$V256'/>
    </v:vgpus>
EOF
domain "$(<"$T/meta")" "$BAD" >"$T/xml"
hook migrate
check "prefix v: the version in our namespace is the one used" has "source migration_version '$V64'"

# 8. entities in the version are decoded
domain "$(meta "$GOOD=a&amp;b &lt;c&gt; &quot;d&quot;")" "$GOOD" >"$T/xml"
hook migrate
check "entities: decoded" [ "$(cat "$MVGPU_SYSFS/bus/mdev/devices/$GOOD/migration_version")" = 'a&b <c> "d"' ]

# 9. a malformed UUID is refused, not used as a path
domain "" "../../../../tmp" >"$T/xml"
hook migrate
check "malformed UUID: exit 1" [ "$rc" = 1 ]
check "malformed UUID: says so" has "malformed mdev UUID"

# 10. a domain without vGPUs
domain "" >"$T/xml"
hook migrate
check "no vGPU: exit 0, silent" [ "$rc" = 0 -a -z "$out" -a -z "$err" ]

# 11. mvgpu-annotate, through a fake virsh, publishes what the hook reads
mkdir -p "$T/bin"
cat >"$T/bin/virsh" <<EOF
#!/bin/bash
for a; do case \$a in dumpxml) cat "$T/annotate.xml"; exit 0 ;;
	dominfo) echo "Persistent:     yes"; exit 0 ;;
	metadata) printf '%s\n' "\$@" >"$T/virsh-args"; exit 0 ;; esac; done
exit 1
EOF
chmod +x "$T/bin/virsh"
echo "$V64" >"$MVGPU_SYSFS/bus/mdev/devices/$GOOD/migration_version"
domain "" "$GOOD" >"$T/annotate.xml"
out=$(PATH=$T/bin:$PATH "$ANNOTATE" d1 2>"$T/err") && rc=0 || rc=$?
err=$(<"$T/err")
check "annotate: exit 0" [ "$rc" = 0 ]
check "annotate: our namespace" grep -qx -- "$NS" "$T/virsh-args"
check "annotate: live and config" grep -qx -- --config "$T/virsh-args"
check "annotate: the element" grep -qxF -- \
	"<vgpus><vgpu uuid='$GOOD' type='mvgpu-64M' migration-version='$V64'/></vgpus>" "$T/virsh-args"
domain "" >"$T/annotate.xml"
out=$(PATH=$T/bin:$PATH "$ANNOTATE" d1 2>"$T/err") && rc=0 || rc=$?
check "annotate: a domain without vGPUs fails" [ "$rc" = 1 ]

# 12. links: vGPUs L1 and L2 on parents P1 and P2 (the real layout: the
# mdev under its parent, bus/mdev/devices a symlink), joined by N links
L1=c1111111-2222-3333-4444-555555555555
L2=c2222222-2222-3333-4444-555555555555
lvgpu() {
	mkdir -p "$MVGPU_SYSFS/devices/$2/$1" "$MVGPU_SYSFS/devices/$2/mvgpu"
	ln -sfn "$MVGPU_SYSFS/types/mvgpu-64M" "$MVGPU_SYSFS/devices/$2/$1/mdev_type"
	echo "$V64" >"$MVGPU_SYSFS/devices/$2/$1/migration_version"
	ln -sfn "$MVGPU_SYSFS/devices/$2/$1" "$MVGPU_SYSFS/bus/mdev/devices/$1"
}
plinks() { echo "$2 $3" >"$MVGPU_SYSFS/devices/$1/mvgpu/links"; }
lvgpu "$L1" P1
lvgpu "$L2" P2
plinks P1 P2 2
plinks P2 P1 2
domain "" "$L1" "$L2" >"$T/annotate.xml"
out=$(PATH=$T/bin:$PATH "$ANNOTATE" d1 2>"$T/err") && rc=0 || rc=$?
err=$(<"$T/err")
check "annotate links: exit 0" [ "$rc" = 0 ]
check "annotate links: each vGPU's peers over how many links" grep -qxF -- \
	"<vgpus><vgpu uuid='$L1' type='mvgpu-64M' migration-version='$V64' links='$L2:2'/><vgpu uuid='$L2' type='mvgpu-64M' migration-version='$V64' links='$L1:2'/></vgpus>" \
	"$T/virsh-args"
lmeta() {
	echo "    <mvgpu:vgpus xmlns:mvgpu=\"$NS\">"
	echo "      <mvgpu:vgpu uuid=\"$L1\" migration-version=\"$V64\" links=\"$L2:2\"/>"
	echo "      <mvgpu:vgpu uuid=\"$L2\" migration-version=\"$V64\" links=\"$L1:2\"/>"
	echo "    </mvgpu:vgpus>"
}
domain "$(lmeta)" "$L1" "$L2" >"$T/xml"
hook migrate
check "links kept: exit 0" [ "$rc" = 0 ]
plinks P1 P2 1
plinks P2 P1 1
hook migrate
check "fewer links: exit 1" [ "$rc" = 1 ]
check "fewer links: names the missing link" has "vGPU $L1: NV2 to vGPU $L2 on the source, 1 links here between P1 and P2"
rm "$MVGPU_SYSFS/bus/mdev/devices/$L2"
lvgpu "$L2" P1
hook migrate
check "one parent: exit 1" [ "$rc" = 1 ]
check "one parent: 0 links" has "vGPU $L1: NV2 to vGPU $L2 on the source, 0 links here between P1 and P1"

echo "libvirt hook tests: $pass passed, $fail failed"
((fail == 0))
