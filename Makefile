# mvgpu - top-level build.
#
#   make deps     install build/test dependencies (Debian packages only)
#   make          build kernel/mvgpu.ko and the userspace (release + sanitizer)
#   make check    native unit suites, then the lab suites in booted lab hosts,
#                 the QEMU and libvirt ones on both stacks (bookworm, modern)
#   make demo     boot a lab host, create vGPUs, show them
#   make C=1      sparse-check the module;  make W=1 for extra kernel warnings
#   make deps-debug-kernel   build the lab's debug kernel (KASAN, lockdep), cached
#   make check-debug         the lab suites on it (LAB_KERNEL=debug); skipped without it
#
# KVER defaults to the newest installed 6.12 Debian kernel with headers.

KVER ?= $(shell ls -d /lib/modules/6.12.*+deb12-amd64 2>/dev/null | sort -V | tail -n 1 | xargs -r -n1 basename)
KDIR ?= /lib/modules/$(KVER)/build
export KVER KDIR

BUILD := build
Q ?= @

.PHONY: all deps kernel userspace check check-unit check-lab demo clean sparse help
.PHONY: deps-debug-kernel kernel-debug check-debug
all: kernel userspace

deps:
	$(Q)sh tools/deps.sh

# LAB_KERNEL=debug (make check-lab LAB_KERNEL=debug, ...): the lab loads
# the module built against the debug kernel, so build that one too.
kernel: $(if $(filter debug,$(LAB_KERNEL)),kernel-debug)
	$(Q)test -n "$(KVER)" || { echo "no 6.12 kernel headers: run 'make deps'"; exit 1; }
	$(Q)$(MAKE) -C $(KDIR) M=$(CURDIR)/kernel modules $(if $(W),W=$(W)) $(if $(C),C=$(C))

sparse:
	$(Q)$(MAKE) -C $(KDIR) M=$(CURDIR)/kernel modules C=2

-include userspace/userspace.mk
-include tests/tests.mk
-include tools/bench/bench.mk
-include tools/libvirt/libvirt.mk
-include guest/guest.mk

# check-libvirt-linux(-modern) stay out until a guest that dies in early boot
# (TCG, rare) is booted again instead of failing the run (docs/guest-driver.md)
check: all check-unit fuzz-smoke check-lab check-lab-topo check-lab-modern fuzz-lab-smoke check-lab2 check-libvirt check-libvirt-modern \
	check-debug

# ---- the lab's debug kernel (docs/lab.md, "Debug kernel") -----------------
#   make deps-debug-kernel  Debian's linux-source of KVER, built with KASAN,
#                           lockdep, ...; cached in /var/cache/mvgpu/debug-kernel
#   make kernel-debug       build/kernel-debug/kernel/mvgpu.ko, against it
#   make check-debug        $(DEBUG_CHECKS) (the lab suites and the surface
#                           fuzzer's smoke run) with LAB_KERNEL=debug, or one
#                           "skipped" line when no debug kernel is cached
# DEBUG_CHECKS lists the targets check-debug runs (extend it: DEBUG_CHECKS += ...).
DEBUG_CHECKS ?= check-lab fuzz-lab-smoke

deps-debug-kernel:
	$(Q)tools/lab/debug-kernel build

kernel-debug:
	$(Q)tools/lab/debug-kernel module $(if $(W),W=$(W)) $(if $(C),C=$(C))

check-debug:
	$(Q)if tools/lab/debug-kernel dir >/dev/null 2>&1; then \
		$(MAKE) --no-print-directory $(DEBUG_CHECKS) LAB_KERNEL=debug; \
	else \
		echo "check-debug: no debug kernel (make deps-debug-kernel builds one); skipped"; \
	fi

demo: all
	$(Q)tools/lab/lab run --timeout 300 -- tools/demo.sh

clean:
	$(Q)$(MAKE) -C $(KDIR) M=$(CURDIR)/kernel clean >/dev/null 2>&1 || true
	$(Q)rm -rf $(BUILD)
