# tests/fuzz/surface/surface.mk - mvgpu-surface-fuzz, the in-lab fuzzer of
# everything mvgpu.ko offers userspace (docs/fuzzing.md).  Included by
# tests/tests.mk.  Sanitizer build, linked with proto's codec (the stream
# builder uses its encoder) as libmvgpu is.
#
#   make fuzz-lab [FUZZ_SECONDS=N] [SEED=S] [FUZZ_LAB_ARGS='--threads 4 ...']
#                       one lab host, the fuzzer for FUZZ_SECONDS (default 60)
#   make fuzz-lab-smoke one lab host, ~2 minutes: fixed seeds, then one from
#                       the clock (printed); the op counts printed
#                       [FUZZ_SMOKE_SEEDS='1 2 3'] [FUZZ_SMOKE_EACH=22 s]
#                       [FUZZ_SMOKE_ARGS='--disable container-vs-remove']
#   make surface-fuzz   just build it
#
# LAB_KERNEL and the other lab variables pass through the environment.

SURFACE_FUZZ_SRCS := $(sort $(wildcard tests/fuzz/surface/*.c))
SURFACE_FUZZ_HDRS := tests/fuzz/surface/fuzz.h proto/mvgpu_abi.h proto/mvgpu_stream.h \
                     proto/mvgpu_compat.h proto/mvgpu_port.h proto/mvgpu_v1.h
SURFACE_FUZZ_OBJS := $(BUILD)/asan/obj/proto/mvgpu_stream.o $(BUILD)/asan/obj/proto/mvgpu_compat.o
SURFACE_FUZZ_BIN  := $(BUILD)/asan/tests/fuzz/mvgpu-surface-fuzz

SEED                 ?=
FUZZ_LAB_ARGS        ?=
FUZZ_SMOKE_SEEDS     ?= 1 2 3
FUZZ_SMOKE_EACH      ?= 22
# The VFIO core's container ioctl vs group detach race (not mvgpu's; see
# docs/fuzzing.md) would make make check flaky: masked here unless overridden.
FUZZ_SMOKE_ARGS      ?= --disable container-vs-remove

$(SURFACE_FUZZ_BIN): $(SURFACE_FUZZ_SRCS) $(SURFACE_FUZZ_HDRS) $(SURFACE_FUZZ_OBJS)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(USER_CFLAGS) $(ASAN_FLAGS) -Iproto -o $@ $(SURFACE_FUZZ_SRCS) \
		$(SURFACE_FUZZ_OBJS) -lxxhash -lpthread

.PHONY: surface-fuzz fuzz-lab fuzz-lab-smoke
surface-fuzz: $(SURFACE_FUZZ_BIN)

fuzz-lab: kernel $(SURFACE_FUZZ_BIN)
	$(Q)tools/lab/lab run --timeout $$(( $(FUZZ_SECONDS) + 300 )) --modparams "virtual_parents=1" -- \
		$(SURFACE_FUZZ_BIN) --seconds $(FUZZ_SECONDS) $(if $(SEED),--seed $(SEED)) $(FUZZ_LAB_ARGS)

fuzz-lab-smoke: kernel $(SURFACE_FUZZ_BIN)
	$(Q)tools/lab/lab run --timeout 420 --modparams "virtual_parents=1" -- \
		tests/fuzz/surface/smoke.sh $(SURFACE_FUZZ_BIN) $(FUZZ_SMOKE_EACH) \
		'$(FUZZ_SMOKE_ARGS)' $(FUZZ_SMOKE_SEEDS)
