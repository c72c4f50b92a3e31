# proto/proto.mk - the C code shared by the kernel module and userspace: the
# migration stream codec (mvgpu_stream.c) and the compatibility rules
# (mvgpu_compat.c).  Included by userspace/userspace.mk (and may also be
# included by the top-level Makefile: it is guarded).  Needs BUILD and Q.
#
# Userspace: PROTO_SRCS are compiled with libmvgpu's flags into libmvgpu
# (release and sanitizer builds), so everything linking libmvgpu, the unit
# tests included, has them; PROTO_LIBS (-lxxhash) goes on the link line.
# Kernel: kernel/Kbuild compiles the same files (see docs/stream-format.md).
# The libFuzzer target of these decoders is built by tests/fuzz/fuzz.mk.

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

endif # MVGPU_PROTO_MK
