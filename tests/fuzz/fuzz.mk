# tests/fuzz/fuzz.mk - the native libFuzzer targets (clang), docs/fuzzing.md.
# Included by tests/tests.mk.
#
#   stream    proto's decoders: the migration stream, migration_version
#             strings, wire messages (fuzz_stream.c)
#
#   make fuzz         each of FUZZ_TARGETS (default: all) for
#                     FUZZ_SECONDS (default 60); new inputs are kept in
#                     build/fuzz/NAME/corpus, crashes in build/fuzz/NAME/crash-*;
#                     FUZZ_JOBS=N runs N fuzzers of each (logs: fuzz-N.log)
#   make fuzz-smoke   each, bounded, on a fresh corpus (make check):
#                     FUZZ_SMOKE_SECONDS (20) each
#   make fuzz-run-stream, fuzz-smoke-stream, ...   one of them
#
# Each target's seeder (the same file built with -DMVGPU_FUZZ_SEEDER,
# without libFuzzer) writes a seed corpus and a dictionary made with the
# project's own encoders into build/fuzz/NAME/seeds (generated, not
# committed: they follow the formats as they change).
#
# The fuzz build defines FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION: the
# stream decoder computes the stream checksum but does not enforce it, so
# mutated streams reach the validation behind it (the unit tests cover the
# checksum).

FUZZ_CC                ?= clang
FUZZ_SECONDS           ?= 60
FUZZ_SMOKE_SECONDS     ?= 20
FUZZ_JOBS              ?= 1
FUZZ_TARGETS           ?= stream
FUZZ_DIR    := $(BUILD)/fuzz
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O1 -g \
               -Iproto -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION \
               -fno-omit-frame-pointer -fno-sanitize-recover=undefined
FUZZ_SAN    := -fsanitize=address,undefined

# Run inside $(FUZZ_DIR)/NAME: artifacts and -jobs logs land there.
FUZZ_ARGS   := -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
               -print_final_stats=1 -dict=fuzz.dict -artifact_prefix=./
FUZZ_SMOKE_TIME_stream  = $(FUZZ_SMOKE_SECONDS)

# ---- stream: proto alone ---------------------------------------------------

$(FUZZ_DIR)/bin/fuzz_stream: tests/fuzz/fuzz_stream.c $(PROTO_SRCS) $(PROTO_HDRS) proto/mvgpu_abi.h
	@mkdir -p $(@D)
	@echo "  FUZZ-CC $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined \
		-o $@ tests/fuzz/fuzz_stream.c $(PROTO_SRCS) $(PROTO_LIBS)

$(FUZZ_DIR)/bin/seed_stream: tests/fuzz/fuzz_stream.c $(PROTO_SRCS) $(PROTO_HDRS) proto/mvgpu_abi.h
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -DMVGPU_FUZZ_SEEDER $(FUZZ_SAN) \
		-o $@ tests/fuzz/fuzz_stream.c $(PROTO_SRCS) $(PROTO_LIBS)

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

.PRECIOUS: $(FUZZ_DIR)/bin/fuzz_% $(FUZZ_DIR)/bin/seed_% \
	$(FUZZ_DIR)/%/fuzz.dict
