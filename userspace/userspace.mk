# userspace/userspace.mk - libmvgpu, the mvgpu CLI and the native unit tests.
# Included by the top-level Makefile (which defines BUILD and Q).
#
#   make userspace    build/bin/mvgpu, build/lib/libmvgpu.a (release) and
#                     build/asan/bin/mvgpu, build/asan/lib/libmvgpu.a
#                     (AddressSanitizer + UBSan)
#   make check-unit   build tests/unit/test_*.c against the sanitizer build
#                     and run every one of them (fails if any fails)
#
# Variables for other makefiles (e.g. tests/tests.mk):
#   USER_CFLAGS    C flags for code using libmvgpu (includes -I for mvgpu.h)
#   ASAN_FLAGS     sanitizer flags, for both compiling and linking
#   LIBMVGPU       release static library;  LIBMVGPU_ASAN  sanitizer one
#   USER_LIBS      libraries libmvgpu needs at link time
#   MVGPU_CLI      release CLI;             MVGPU_CLI_ASAN  sanitizer one

USER_CC      ?= $(CC)
USER_CFLAGS  := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -g \
                -Iuserspace/include -Iproto
ASAN_FLAGS   := -fsanitize=address,undefined -fno-omit-frame-pointer \
                -fno-sanitize-recover=undefined
# proto/*.c (stream codec, compatibility rules) go into libmvgpu too.
-include proto/proto.mk
# Images (image.c, uring_io.c): io_uring for the I/O, lz4 frames, a
# compression thread; libpng for `mvgpu inspect --png`; GnuTLS for the
# migration connections (tls.c).
USER_LIBS    := -luuid $(PROTO_LIBS) -luring -llz4 -lpng -lgnutls -lpthread

LIBMVGPU       := $(BUILD)/lib/libmvgpu.a
LIBMVGPU_ASAN  := $(BUILD)/asan/lib/libmvgpu.a
MVGPU_CLI      := $(BUILD)/bin/mvgpu
MVGPU_CLI_ASAN := $(BUILD)/asan/bin/mvgpu

MVGPU_LIB_SRCS := $(sort $(wildcard userspace/lib/*.c)) $(PROTO_SRCS)
MVGPU_CLI_SRCS := $(sort $(wildcard userspace/cli/*.c))
# Everything of the CLI but main() also goes into an internal archive the
# unit tests link (output.c's JSON writer, option parsing).
MVGPU_CLI_LIB_SRCS := $(filter-out userspace/cli/main.c,$(MVGPU_CLI_SRCS))

MVGPU_OBJ      := $(BUILD)/obj
MVGPU_AOBJ     := $(BUILD)/asan/obj
MVGPU_LIB_OBJS      := $(MVGPU_LIB_SRCS:%.c=$(MVGPU_OBJ)/%.o)
MVGPU_LIB_AOBJS     := $(MVGPU_LIB_SRCS:%.c=$(MVGPU_AOBJ)/%.o)
MVGPU_CLI_OBJS      := $(MVGPU_CLI_SRCS:%.c=$(MVGPU_OBJ)/%.o)
MVGPU_CLI_AOBJS     := $(MVGPU_CLI_SRCS:%.c=$(MVGPU_AOBJ)/%.o)
MVGPU_CLI_LIB_AOBJS := $(MVGPU_CLI_LIB_SRCS:%.c=$(MVGPU_AOBJ)/%.o)
MVGPU_CLI_LIB_ASAN  := $(BUILD)/asan/lib/libmvgpu-cli.a

userspace: $(MVGPU_CLI) $(LIBMVGPU) $(MVGPU_CLI_ASAN) $(LIBMVGPU_ASAN)

$(MVGPU_OBJ)/userspace/%.o: userspace/%.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(USER_CC) $(USER_CFLAGS) -MMD -MP -c $< -o $@

$(MVGPU_AOBJ)/userspace/%.o: userspace/%.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(USER_CC) $(USER_CFLAGS) $(ASAN_FLAGS) -MMD -MP -c $< -o $@

$(LIBMVGPU): $(MVGPU_LIB_OBJS)
	@mkdir -p $(@D)
	@echo "  AR      $@"
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(LIBMVGPU_ASAN): $(MVGPU_LIB_AOBJS)
	@mkdir -p $(@D)
	@echo "  AR      $@"
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(MVGPU_CLI_LIB_ASAN): $(MVGPU_CLI_LIB_AOBJS)
	@mkdir -p $(@D)
	@echo "  AR      $@"
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(MVGPU_CLI): $(MVGPU_CLI_OBJS) $(LIBMVGPU)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(USER_CC) $(USER_CFLAGS) -o $@ $^ $(USER_LIBS)

$(MVGPU_CLI_ASAN): $(MVGPU_CLI_AOBJS) $(LIBMVGPU_ASAN)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(USER_CC) $(USER_CFLAGS) $(ASAN_FLAGS) -o $@ $^ $(USER_LIBS)

# ---- unit tests ----------------------------------------------------------
# Each tests/unit/test_*.c is one Criterion binary; the other .c files in
# tests/unit (the fake sysfs builder, ...) are linked into every one.

MVGPU_UNIT_SRCS    := $(sort $(wildcard tests/unit/test_*.c))
MVGPU_UNIT_HELPERS := $(filter-out $(MVGPU_UNIT_SRCS),$(sort $(wildcard tests/unit/*.c)))
MVGPU_UNIT_BINS    := $(MVGPU_UNIT_SRCS:%.c=$(BUILD)/asan/%)
MVGPU_UNIT_HOBJS   := $(MVGPU_UNIT_HELPERS:%.c=$(MVGPU_AOBJ)/%.o)
MVGPU_UNIT_CFLAGS  := $(USER_CFLAGS) $(ASAN_FLAGS) -Iuserspace/lib \
                      -Iuserspace/cli -Itests/unit \
                      $(shell pkg-config --cflags criterion 2>/dev/null) \
                      -DMVGPU_TEST_CLI='"$(abspath $(MVGPU_CLI_ASAN))"'
MVGPU_UNIT_LIBS    := $(shell pkg-config --libs criterion 2>/dev/null || echo -lcriterion)

$(MVGPU_AOBJ)/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(USER_CC) $(MVGPU_UNIT_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/asan/tests/unit/%: $(MVGPU_AOBJ)/tests/unit/%.o $(MVGPU_UNIT_HOBJS) \
		$(MVGPU_CLI_LIB_ASAN) $(LIBMVGPU_ASAN) | $(MVGPU_CLI_ASAN)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(USER_CC) $(MVGPU_UNIT_CFLAGS) -o $@ $(filter %.o %.a,$^) \
		$(MVGPU_UNIT_LIBS) $(USER_LIBS)

# Run every suite even if one fails, then fail if any did.
check-unit: $(MVGPU_UNIT_BINS) $(MVGPU_CLI_ASAN)
	$(Q)fail=; for t in $(MVGPU_UNIT_BINS); do \
		echo "  UNIT    $$t"; \
		$$t --short-filename || fail="$$fail $${t##*/}"; \
	done; \
	if [ -n "$$fail" ]; then echo "check-unit: FAILED:$$fail"; exit 1; fi; \
	echo "check-unit: all $(words $(MVGPU_UNIT_BINS)) suites passed"

.PHONY: userspace check-unit
.SECONDARY: $(MVGPU_UNIT_SRCS:%.c=$(MVGPU_AOBJ)/%.o) $(MVGPU_UNIT_HOBJS)

-include $(patsubst %.o,%.d,$(MVGPU_LIB_OBJS) $(MVGPU_LIB_AOBJS) \
	$(MVGPU_CLI_OBJS) $(MVGPU_CLI_AOBJS) $(MVGPU_UNIT_HOBJS) \
	$(MVGPU_UNIT_SRCS:%.c=$(MVGPU_AOBJ)/%.o))
