# proto/proto.mk - the C code shared by the kernel module and userspace: the
# migration stream codec (mvgpu_stream.c) and the compatibility rules
# (mvgpu_compat.c).  Included by userspace/userspace.mk (and may also be
# included by the top-level Makefile: it is guarded).  Needs BUILD and Q.
#
# Userspace: PROTO_SRCS are compiled with libmvgpu's flags into libmvgpu
# (release and sanitizer builds), so everything linking libmvgpu, the unit
# tests included, has them; PROTO_LIBS (-lxxhash) goes on the link line.
# Kernel: kernel/Kbuild compiles the same files (see docs/stream-format.md).
#
#   make fuzz         build the libFuzzer target (clang) and run it for
#                     FUZZ_SECONDS (default 60); new inputs are kept in
#                     build/fuzz/corpus, crashes in build/fuzz/crash-*
#   make fuzz-smoke   the same, bounded: FUZZ_SMOKE_SECONDS (default 20)
#                     on a fresh corpus; for `make check`

ifndef MVGPU_PROTO_MK
MVGPU_PROTO_MK := 1

PROTO_SRCS := $(sort $(wildcard proto/*.c))
PROTO_HDRS := $(sort $(wildcard proto/*.h))
PROTO_LIBS := -lxxhash

# Objects for libmvgpu: same layout and flags as userspace/userspace.mk.
$(BUILD)/obj/proto/%.o: proto/%.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(USER_CC) $(USER_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/asan/obj/proto/%.o: proto/%.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(USER_CC) $(USER_CFLAGS) $(ASAN_FLAGS) -MMD -MP -c $< -o $@

# ---- fuzzing -------------------------------------------------------------
# The fuzz build defines FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION: the
# decoder computes the checksum but does not enforce it, so mutated inputs
# reach the validation behind it (the unit tests cover the checksum).

FUZZ_CC            ?= clang
FUZZ_SECONDS       ?= 60
FUZZ_SMOKE_SECONDS ?= 20
FUZZ_JOBS          ?= 1
FUZZ_DIR    := $(BUILD)/fuzz
FUZZ_BIN    := $(FUZZ_DIR)/fuzz_stream
FUZZ_SEEDER := $(FUZZ_DIR)/fuzz_stream_seeds
FUZZ_SEEDS  := $(FUZZ_DIR)/seeds
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O1 -g \
               -Iproto -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION \
               -fno-omit-frame-pointer -fno-sanitize-recover=undefined
# run inside $(FUZZ_DIR): artifacts and -jobs logs (fuzz-N.log) land there
FUZZ_ARGS   := -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
               -print_final_stats=1 -dict=stream.dict -artifact_prefix=./

$(FUZZ_BIN): tests/fuzz/fuzz_stream.c $(PROTO_SRCS) $(PROTO_HDRS) proto/mvgpu_abi.h
	@mkdir -p $(@D)
	@echo "  FUZZ-CC $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined \
		-o $@ tests/fuzz/fuzz_stream.c $(PROTO_SRCS) $(PROTO_LIBS)

# The same file without libFuzzer writes the seed corpus and dictionary.
$(FUZZ_SEEDER): tests/fuzz/fuzz_stream.c $(PROTO_SRCS) $(PROTO_HDRS) proto/mvgpu_abi.h
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -DMVGPU_FUZZ_SEEDER \
		-fsanitize=address,undefined \
		-o $@ tests/fuzz/fuzz_stream.c $(PROTO_SRCS) $(PROTO_LIBS)

$(FUZZ_DIR)/stream.dict: $(FUZZ_SEEDER)
	$(Q)rm -rf $(FUZZ_SEEDS) && mkdir -p $(FUZZ_SEEDS)
	$(Q)$(FUZZ_SEEDER) $(FUZZ_SEEDS)
	$(Q)mv $(FUZZ_SEEDS)/stream.dict $@

.PHONY: fuzz fuzz-smoke fuzz-build
fuzz-build: $(FUZZ_BIN) $(FUZZ_DIR)/stream.dict

# FUZZ_JOBS > 1 runs that many fuzzers in parallel (logs: fuzz-N.log)
fuzz: fuzz-build
	@mkdir -p $(FUZZ_DIR)/corpus
	$(Q)cd $(FUZZ_DIR) && $(abspath $(FUZZ_BIN)) $(FUZZ_ARGS) \
		-max_total_time=$(FUZZ_SECONDS) \
		$(if $(filter-out 1,$(FUZZ_JOBS)),-jobs=$(FUZZ_JOBS) -workers=$(FUZZ_JOBS)) \
		corpus seeds

fuzz-smoke: fuzz-build
	$(Q)rm -rf $(FUZZ_DIR)/smoke && mkdir -p $(FUZZ_DIR)/smoke
	$(Q)cd $(FUZZ_DIR) && $(abspath $(FUZZ_BIN)) $(FUZZ_ARGS) \
		-max_total_time=$(FUZZ_SMOKE_SECONDS) smoke seeds \
		2>smoke.log || \
		{ tail -n 60 smoke.log; echo "fuzz-smoke: FAILED"; exit 1; }
	@grep -E '^stat::number_of_executed_units' $(FUZZ_DIR)/smoke.log | \
		sed 's/^stat::number_of_executed_units: */fuzz-smoke: passed, executions: /'

endif # MVGPU_PROTO_MK
