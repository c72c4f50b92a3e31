# tests/tests.mk - the lab suites: one Criterion binary, built with the
# sanitizers, run inside a booted lab host against the freshly built module.
#
#   make check-lab            boot a lab host and run every lab suite
#   make check-lab LAB_ARGS='--filter create/*'   pass options to Criterion

USER_CFLAGS ?= -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -g
ASAN_FLAGS ?= -fsanitize=address,undefined -fno-omit-frame-pointer

LAB_TEST_SRCS := $(wildcard tests/lab/*.c)
LAB_TEST_BIN := $(BUILD)/asan/tests/lab/mvgpu-lab-tests

# Suites use libmvgpu (the "device" suite tests it) as well as raw VFIO.
$(LAB_TEST_BIN): $(LAB_TEST_SRCS) tests/lab/lab.h tests/lab/nested.h proto/mvgpu_abi.h tests/nested/draw.h \
		userspace/include/mvgpu.h $(LIBMVGPU_ASAN)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(USER_CFLAGS) $(ASAN_FLAGS) -Iproto -Iuserspace/include \
		-o $@ $(LAB_TEST_SRCS) $(LIBMVGPU_ASAN) -lcriterion -luuid

# The nested check's guest: a 32-bit multiboot program, no libc.
NESTED_GUEST := $(BUILD)/nested/draw.elf
$(NESTED_GUEST): tests/nested/draw.c tests/nested/draw.h tests/nested/draw.ld
	@mkdir -p $(dir $@)
	$(Q)$(CC) -m32 -ffreestanding -fno-pic -fno-stack-protector -nostdlib -O2 \
		-Wall -Wextra -Werror -Itests/nested -c $< -o $(@:.elf=.o)
	$(Q)$(LD) -m elf_i386 -T tests/nested/draw.ld -o $@ $(@:.elf=.o)

.PHONY: lab-tests check-lab
lab-tests: $(LAB_TEST_BIN) $(NESTED_GUEST) $(MVGPU_CLI_ASAN)

# --jobs=1: the suites share one module and its sysfs; they run in order.
check-lab: kernel userspace lab-tests
	$(Q)tools/lab/lab run --timeout 1200 --modparams "virtual_parents=1" -- \
		$(LAB_TEST_BIN) --jobs=1 --color=never $(LAB_ARGS)
