# tests/fuzz/fuzz.mk - the native libFuzzer targets (clang), docs/fuzzing.md.
# Included by tests/tests.mk.
#
#   stream    proto's decoders: the migration stream, migration_version
#             strings, wire messages (fuzz_stream.c)
#   receive   libmvgpu's receiving end of a live migration: socket bytes
#             through transfer.c's reassembly, checks and lz4 (fuzz_receive.c)
#   image     libmvgpu's image files: the header decoder, open, check,
#             extract (image.c; fuzz_image.c)
#
#   make fuzz         each of FUZZ_TARGETS (default: all three) for
#                     FUZZ_SECONDS (default 60); new inputs are kept in
#                     build/fuzz/NAME/corpus, crashes in build/fuzz/NAME/crash-*;
#                     FUZZ_JOBS=N runs N fuzzers of each (logs: fuzz-N.log)
#   make fuzz-smoke   each, bounded, on a fresh corpus (make check):
#                     stream FUZZ_SMOKE_SECONDS (20), the others
#                     FUZZ_SMOKE_LIB_SECONDS (15) each
#   make fuzz-run-receive, fuzz-smoke-image, ...   one of them
#   make fuzz-cov-receive ...   the line coverage its corpus reaches (below)
#
# Each target's seeder (the same file built with -DMVGPU_FUZZ_SEEDER,
# without libFuzzer) writes a seed corpus and a dictionary made with the
# project's own encoders into build/fuzz/NAME/seeds (generated, not
# committed: they follow the formats as they change).
#
# The fuzz build defines FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION: the
# stream decoder computes the stream checksum but does not enforce it, so
# mutated streams reach the validation behind it (the unit tests cover the
# checksum).  The wire and image checksums are enforced: those harnesses
# recompute them after mutation instead.

FUZZ_CC                ?= clang
FUZZ_SECONDS           ?= 60
FUZZ_SMOKE_SECONDS     ?= 20
FUZZ_SMOKE_LIB_SECONDS ?= 15
FUZZ_JOBS              ?= 1
FUZZ_TARGETS           ?= stream receive image
FUZZ_DIR    := $(BUILD)/fuzz
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O1 -g \
               -Iproto -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION \
               -fno-omit-frame-pointer -fno-sanitize-recover=undefined
FUZZ_SAN    := -fsanitize=address,undefined

# Run inside $(FUZZ_DIR)/NAME: artifacts and -jobs logs land there.
FUZZ_ARGS   := -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
               -print_final_stats=1 -dict=fuzz.dict -artifact_prefix=./
# libmvgpu's targets: no allocation may be larger than this (the biggest
# legitimate ones are the receiver's 2 MiB buffers and lz4's for an image's
# 4 MiB blocks): a hostile length or size that allocates is a crash, as one
# that loops is a timeout (-timeout: an input of at most 64 KiB expands to
# 16 MiB through lz4 at most, which takes well under a second).
FUZZ_ARGS_receive := -malloc_limit_mb=64
FUZZ_ARGS_image   := -malloc_limit_mb=64
FUZZ_SMOKE_TIME_stream  = $(FUZZ_SMOKE_SECONDS)
FUZZ_SMOKE_TIME_receive = $(FUZZ_SMOKE_LIB_SECONDS)
FUZZ_SMOKE_TIME_image   = $(FUZZ_SMOKE_LIB_SECONDS)

# ---- stream: proto alone ---------------------------------------------------

$(FUZZ_DIR)/bin/fuzz_stream: tests/fuzz/fuzz_stream.c $(PROTO_SRCS) $(PROTO_HDRS) proto/mvgpu_abi.h
	@mkdir -p $(@D)
	@echo "  FUZZ-CC $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined \
		-Itests/fuzz -o $@ tests/fuzz/fuzz_stream.c $(PROTO_SRCS) $(PROTO_LIBS)

$(FUZZ_DIR)/bin/seed_stream: tests/fuzz/fuzz_stream.c $(PROTO_SRCS) $(PROTO_HDRS) proto/mvgpu_abi.h
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -DMVGPU_FUZZ_SEEDER $(FUZZ_SAN) \
		-Itests/fuzz -o $@ tests/fuzz/fuzz_stream.c $(PROTO_SRCS) $(PROTO_LIBS)

# ---- receive, image: libmvgpu ------------------------------------------------
# Every file of libmvgpu but uring_io.c, whose io_uring pipeline
# tests/fuzz/uio_sync.c replaces with a synchronous one, instrumented for
# coverage; the harnesses call its private functions (userspace/lib/*.h).

FUZZ_LIB_SRCS   := $(filter-out userspace/lib/uring_io.c,$(MVGPU_LIB_SRCS)) \
                   tests/fuzz/uio_sync.c tests/fuzz/fuzz_util.c
FUZZ_LIB_OBJS   := $(FUZZ_LIB_SRCS:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_LIB        := $(FUZZ_DIR)/libmvgpu-fuzz.a
# (clang, unlike gcc, warns about the VFIO uAPI's flexible-array structs
# that migration.c embeds, as the kernel's own users do)
FUZZ_LIB_CFLAGS := $(FUZZ_CFLAGS) -Iuserspace/include -Iuserspace/lib -Itests/fuzz \
                   -Wno-gnu-variable-sized-type-not-at-end
# what libmvgpu links, but liburing
FUZZ_LIB_LIBS   := $(filter-out -luring,$(USER_LIBS))

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(@D)
	@echo "  FUZZ-CC $@"
	$(Q)$(FUZZ_CC) $(FUZZ_LIB_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined \
		-MMD -MP -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_OBJS)
	@echo "  AR      $@"
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(FUZZ_DIR)/bin/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB)
	@mkdir -p $(@D)
	@echo "  FUZZ-CC $@"
	$(Q)$(FUZZ_CC) $(FUZZ_LIB_CFLAGS) -fsanitize=fuzzer,address,undefined \
		-o $@ $< $(FUZZ_LIB) $(FUZZ_LIB_LIBS)

$(FUZZ_DIR)/bin/seed_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(FUZZ_CC) $(FUZZ_LIB_CFLAGS) -DMVGPU_FUZZ_SEEDER \
		-fsanitize=fuzzer-no-link,address,undefined \
		-o $@ $< $(FUZZ_LIB) $(FUZZ_LIB_LIBS)

-include $(FUZZ_LIB_OBJS:.o=.d)

# ---- seeds and runs ----------------------------------------------------------------

$(FUZZ_DIR)/%/fuzz.dict: $(FUZZ_DIR)/bin/seed_%
	$(Q)rm -rf $(FUZZ_DIR)/$*/seeds && mkdir -p $(FUZZ_DIR)/$*/seeds
	$(Q)$< $(FUZZ_DIR)/$*/seeds
	$(Q)mv $(FUZZ_DIR)/$*/seeds/$*.dict $@

.PHONY: fuzz fuzz-smoke fuzz-build
fuzz-build: $(foreach t,$(FUZZ_TARGETS),$(FUZZ_DIR)/bin/fuzz_$(t) $(FUZZ_DIR)/$(t)/fuzz.dict)
fuzz: $(FUZZ_TARGETS:%=fuzz-run-%)
fuzz-smoke: $(FUZZ_TARGETS:%=fuzz-smoke-%)

fuzz-run-%: $(FUZZ_DIR)/bin/fuzz_% $(FUZZ_DIR)/%/fuzz.dict
	@mkdir -p $(FUZZ_DIR)/$*/corpus
	$(Q)cd $(FUZZ_DIR)/$* && $(abspath $<) $(FUZZ_ARGS) $(FUZZ_ARGS_$*) \
		-max_total_time=$(FUZZ_SECONDS) \
		$(if $(filter-out 1,$(FUZZ_JOBS)),-jobs=$(FUZZ_JOBS) -workers=$(FUZZ_JOBS)) \
		corpus seeds

# One line: executions, and the coverage reached (edges, features).
fuzz-smoke-%: $(FUZZ_DIR)/bin/fuzz_% $(FUZZ_DIR)/%/fuzz.dict
	$(Q)rm -rf $(FUZZ_DIR)/$*/smoke && mkdir -p $(FUZZ_DIR)/$*/smoke
	$(Q)cd $(FUZZ_DIR)/$* && $(abspath $<) $(FUZZ_ARGS) $(FUZZ_ARGS_$*) \
		-max_total_time=$(FUZZ_SMOKE_TIME_$*) smoke seeds \
		2>smoke.log || \
		{ tail -n 60 smoke.log; echo "fuzz-smoke: $* FAILED (build/fuzz/$*/smoke.log)"; exit 1; }
	@awk '/^stat::number_of_executed_units/ { n = $$2 } \
	      /(DONE|pulse) +cov: / { for (i = 1; i < NF; i++) { \
		if ($$i == "cov:") c = $$(i + 1); if ($$i == "ft:") f = $$(i + 1) } } \
	      END { printf "fuzz-smoke: %s passed, %s executions, cov %s ft %s\n", \
		    "$*", n, c, f }' $(FUZZ_DIR)/$*/smoke.log

.PRECIOUS: $(FUZZ_DIR)/bin/fuzz_% $(FUZZ_DIR)/bin/seed_% $(FUZZ_DIR)/bin/cov_% \
	$(FUZZ_DIR)/%/fuzz.dict

# ---- coverage of a corpus ------------------------------------------------------
#   make fuzz-cov-receive   the line coverage of libmvgpu (and proto) that
#                           build/fuzz/receive/corpus + seeds reach, per file,
#                           from a clang source-coverage build of the target;
#                           FUZZ_COV_SHOW=userspace/lib/transfer.c shows lines
FUZZ_LLVM_COV      ?= llvm-cov
FUZZ_LLVM_PROFDATA ?= llvm-profdata

$(FUZZ_DIR)/bin/cov_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB_SRCS) $(FUZZ_LIB)
	@mkdir -p $(@D)
	@echo "  COV-CC  $@"
	$(Q)$(FUZZ_CC) $(FUZZ_LIB_CFLAGS) -fsanitize=fuzzer \
		-fprofile-instr-generate -fcoverage-mapping \
		-o $@ $< $(if $(filter stream,$*),$(PROTO_SRCS),$(FUZZ_LIB_SRCS)) $(FUZZ_LIB_LIBS)

fuzz-cov-%: $(FUZZ_DIR)/bin/cov_% $(FUZZ_DIR)/%/fuzz.dict
	@mkdir -p $(FUZZ_DIR)/$*/corpus
	$(Q)cd $(FUZZ_DIR)/$* && LLVM_PROFILE_FILE=cov.profraw $(abspath $<) -runs=0 \
		corpus seeds >cov.log 2>&1
	$(Q)$(FUZZ_LLVM_PROFDATA) merge -sparse -o $(FUZZ_DIR)/$*/cov.profdata \
		$(FUZZ_DIR)/$*/cov.profraw
	$(Q)$(FUZZ_LLVM_COV) report $< -instr-profile=$(FUZZ_DIR)/$*/cov.profdata \
		$(if $(filter stream,$*),$(PROTO_SRCS),$(filter userspace/lib/% proto/%,$(FUZZ_LIB_SRCS)))
	$(Q)$(if $(FUZZ_COV_SHOW),$(FUZZ_LLVM_COV) show $< \
		-instr-profile=$(FUZZ_DIR)/$*/cov.profdata $(FUZZ_COV_SHOW))
