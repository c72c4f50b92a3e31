# mvgpu - top-level build.
#
#   make deps     install build/test dependencies (Debian packages only)
#   make          build kernel/mvgpu.ko and the userspace (release + sanitizer)
#   make check    native unit suites, then the lab suites in a booted lab host
#   make demo     boot a lab host, create vGPUs, show them
#   make C=1      sparse-check the module;  make W=1 for extra kernel warnings
#
# KVER defaults to the newest installed 6.12 Debian kernel with headers.

KVER ?= $(shell ls -d /lib/modules/6.12.*+deb12-amd64 2>/dev/null | sort -V | tail -n 1 | xargs -r -n1 basename)
KDIR ?= /lib/modules/$(KVER)/build
export KVER KDIR

BUILD := build
Q ?= @

.PHONY: all deps kernel userspace check check-unit check-lab demo clean sparse help
all: kernel userspace

deps:
	$(Q)sh tools/deps.sh

kernel:
	$(Q)test -n "$(KVER)" || { echo "no 6.12 kernel headers: run 'make deps'"; exit 1; }
	$(Q)$(MAKE) -C $(KDIR) M=$(CURDIR)/kernel modules $(if $(W),W=$(W)) $(if $(C),C=$(C))

sparse:
	$(Q)$(MAKE) -C $(KDIR) M=$(CURDIR)/kernel modules C=2

-include userspace/userspace.mk
-include tests/tests.mk
-include tools/bench/bench.mk
-include tools/libvirt/libvirt.mk

check: all check-unit fuzz-smoke check-lab check-lab2 check-libvirt

demo: all
	$(Q)tools/lab/lab run --timeout 300 -- tools/demo.sh

clean:
	$(Q)$(MAKE) -C $(KDIR) M=$(CURDIR)/kernel clean >/dev/null 2>&1 || true
	$(Q)rm -rf $(BUILD)
