# tests/tests.mk - the lab suites: one Criterion binary, built with the
# sanitizers, run inside a booted lab host against the freshly built module.
#
#   make check-lab            boot a lab host and run every lab suite
#   make check-lab LAB_ARGS='--filter create/*'   pass options to Criterion
#   make check-lab-modern     the suites that drive QEMU (nested, qemu_migration, linux_guest)
#                             again, on the modern stack (QEMU 10.0; tools/lab/stack)

USER_CFLAGS ?= -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -g
ASAN_FLAGS ?= -fsanitize=address,undefined -fno-omit-frame-pointer

LAB_TEST_SRCS := $(wildcard tests/lab/*.c)
LAB_TEST_BIN := $(BUILD)/asan/tests/lab/mvgpu-lab-tests

# Suites use libmvgpu (the "device" suite tests it) as well as raw VFIO.
$(LAB_TEST_BIN): $(LAB_TEST_SRCS) tests/lab/lab.h tests/lab/nested.h proto/mvgpu_abi.h tests/nested/draw.h \
		userspace/include/mvgpu.h $(LIBMVGPU_ASAN)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(USER_CFLAGS) $(ASAN_FLAGS) -Iproto -Iuserspace/include \
		-o $@ $(LAB_TEST_SRCS) $(LIBMVGPU_ASAN) -lcriterion $(USER_LIBS)

# The nested check's guest: a 32-bit multiboot program, no libc.
NESTED_GUEST := $(BUILD)/nested/draw.elf
$(NESTED_GUEST): tests/nested/draw.c tests/nested/draw.h tests/nested/draw.ld
	@mkdir -p $(dir $@)
	$(Q)$(CC) -m32 -ffreestanding -fno-pic -fno-stack-protector -nostdlib -O2 \
		-Wall -Wextra -Werror -Itests/nested -c $< -o $(@:.elf=.o)
	$(Q)$(LD) -m elf_i386 -T tests/nested/draw.ld -o $@ $(@:.elf=.o)

.PHONY: lab-tests check-lab check-lab-modern check-lab-topo
lab-tests: $(LAB_TEST_BIN) $(NESTED_GUEST) $(MVGPU_CLI_ASAN) guest

# --jobs=1: the suites share one module and its sysfs; they run in order.
check-lab: kernel userspace lab-tests
	$(Q)tools/lab/lab run --timeout 1200 --modparams "virtual_parents=1" -- \
		$(LAB_TEST_BIN) --jobs=1 --color=never $(LAB_ARGS)

# A host with three PCI parents (two behind a PCI bridge) and mvgpu0: the
# topo suite (mvgpu topo against the real module; it skips elsewhere).
check-lab-topo: kernel userspace lab-tests
	$(Q)tools/lab/lab run --pci-parents 3 --timeout 300 --modparams "virtual_parents=1" -- \
		$(LAB_TEST_BIN) --jobs=1 --color=never --filter 'topo/*' $(LAB_ARGS)

# The QEMU suites on QEMU 10.0 (v2 migration); the rest of check-lab does
# not depend on the stack.
LAB_QEMU_SUITES ?= @(nested|qemu_migration|linux_guest)/*
check-lab-modern: kernel userspace lab-tests
	$(Q)tools/lab/lab run --stack modern --timeout 900 --modparams "virtual_parents=1" -- \
		$(LAB_TEST_BIN) --jobs=1 --color=never --filter '$(LAB_QEMU_SUITES)' $(LAB_ARGS)

# ---- two-host suites (tests/lab2) -----------------------------------------
#   make check-lab2   boot hosts A and B (lab run2): the suites run on A and
#                     drive B through mvgpu-labd, which QUIT ends at the end.
#   make check-lab2 LAB2_FILTER='peer/*'          pick tests (Criterion --filter)
#   make check-lab2 LAB2_MODPARAMS='k=v ...'      insmod parameters, both hosts
# Every tests/lab2/*.c but labd.c goes into the test binary, with tests/lab's
# helpers (lab.c) for host A; labd is proc.c + wire.c only.

LAB2_LABD_SRCS := tests/lab2/labd.c tests/lab2/proc.c tests/lab2/wire.c
LAB2_TEST_SRCS := $(filter-out tests/lab2/labd.c,$(sort $(wildcard tests/lab2/*.c))) tests/lab/lab.c
LAB2_HDRS      := $(wildcard tests/lab2/*.h) tests/lab/lab.h
LAB2_LABD      := $(BUILD)/asan/tests/lab2/mvgpu-labd
LAB2_TEST_BIN  := $(BUILD)/asan/tests/lab2/mvgpu-lab2-tests
LAB2_CFLAGS     = $(USER_CFLAGS) $(ASAN_FLAGS) -Iproto -Iuserspace/include -Itests/lab -Itests/lab2

$(LAB2_LABD): $(LAB2_LABD_SRCS) $(LAB2_HDRS)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LAB2_CFLAGS) -o $@ $(LAB2_LABD_SRCS)

$(LAB2_TEST_BIN): $(LAB2_TEST_SRCS) $(LAB2_HDRS) proto/mvgpu_abi.h userspace/include/mvgpu.h $(LIBMVGPU_ASAN)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LAB2_CFLAGS) -o $@ $(LAB2_TEST_SRCS) $(LIBMVGPU_ASAN) -lcriterion $(USER_LIBS)

.PHONY: lab2-tests check-lab2
lab2-tests: $(LAB2_TEST_BIN) $(LAB2_LABD) $(MVGPU_CLI_ASAN)

# --jobs=1: the suites share both hosts; they run in order.
check-lab2: kernel userspace lab2-tests
	$(Q)tools/lab/lab run2 --timeout 900 $(if $(LAB2_MODPARAMS),--modparams "$(LAB2_MODPARAMS)") \
		--a '$(LAB2_TEST_BIN) --jobs=1 --color=never$(if $(LAB2_FILTER), --filter "$(LAB2_FILTER)")' \
		--b '$(LAB2_LABD)'
-include tests/fuzz/fuzz.mk
-include tests/fuzz/surface/surface.mk
