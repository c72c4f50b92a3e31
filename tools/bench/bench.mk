# tools/bench/bench.mk - benchmarks (release builds: no sanitizers).
#   make bench-engine      command processor vs memset/memcpy, in a lab host
#   make bench-migration   pre-copy vs stop-and-copy, in a lab host
#   make bench-frl         frames/s with the frame-rate limiter on and off, in a lab host
#   make bench-p2p         peer copies over NV2/NV1 links vs a local copy: the
#                          p2p_bandwidth matrix, in a lab host with 3 PCI parents
#   make bench-image       image save/restore pipeline vs `lz4 -1`, natively
#   make bench-transfer    live-migration data path vs `lz4 -1 | TCP | lz4 -d`, natively
#   make bench-transfer-lab  the same in a lab host, with the kernel TLS row
#   make bench-qemu        QEMU live migration of a VM with a vGPU: v1 (QEMU 7.2)
#                          vs v2, v2 + switchover-ack, v2 + multifd (QEMU 10.0),
#                          per type and dirty rate; one table (BENCH_QEMU_TYPES)

BENCH_ENGINE := $(BUILD)/bin/bench_engine
BENCH_MIGRATION := $(BUILD)/bin/bench_migration

$(BENCH_MIGRATION): tools/bench/bench_migration.c $(LIBMVGPU)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(USER_CFLAGS) -Iproto -o $@ $< $(LIBMVGPU) $(USER_LIBS) -lpthread

# make bench-migration: pre-copy vs stop-and-copy, in a lab host
.PHONY: bench-migration
bench-migration: kernel $(BENCH_MIGRATION)
	$(Q)tools/lab/lab run --timeout 1800 --modparams "virtual_parents=1" -- $(BENCH_MIGRATION)

BENCH_FRL := $(BUILD)/bin/bench_frl

$(BENCH_FRL): tools/bench/bench_frl.c $(LIBMVGPU)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(USER_CFLAGS) -Iproto -o $@ $< $(LIBMVGPU) $(USER_LIBS)

BENCH_P2P := $(BUILD)/bin/bench_p2p
# One link's model rate, below what the lab's TCG copies reach, so that the
# model shows (NV2 twice NV1); ERMS masked as for bench-engine's second
# column, else TCG's byte-wise "rep movsb" is slower than any link.
BENCH_P2P_MIB_S ?= 32

$(BENCH_P2P): tools/bench/bench_p2p.c $(LIBMVGPU)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(USER_CFLAGS) -Iproto -o $@ $< $(LIBMVGPU) $(USER_LIBS)

.PHONY: bench-p2p
bench-p2p: kernel $(BENCH_P2P)
	$(Q)LAB_CPU=max,erms=off,fsrm=off tools/lab/lab run --timeout 900 --pci-parents 3 \
		--modparams "link_mib_s=$(BENCH_P2P_MIB_S)" -- $(BENCH_P2P)

.PHONY: bench-frl
bench-frl: kernel $(BENCH_FRL)
	$(Q)tools/lab/lab run --timeout 600 --modparams "virtual_parents=1" -- $(BENCH_FRL)

$(BENCH_ENGINE): tools/bench/bench_engine.c $(LIBMVGPU)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(USER_CFLAGS) -Iproto -o $@ $< $(LIBMVGPU) $(USER_LIBS)

# Twice: TCG emulates ERMS "rep movsb" (the guest kernel's memcpy/memmove
# with -cpu max) one byte per iteration, so the figures depend on the
# emulated CPU more than on the engine; docs/benchmarks.md explains.
.PHONY: bench-engine
bench-engine: kernel $(BENCH_ENGINE)
	@echo "== lab CPU: max"
	$(Q)tools/lab/lab run --timeout 900 --modparams "virtual_parents=1" -- $(BENCH_ENGINE)
	@echo "== lab CPU: max,erms=off,fsrm=off"
	$(Q)LAB_CPU=max,erms=off,fsrm=off tools/lab/lab run --timeout 900 \
		--modparams "virtual_parents=1" -- $(BENCH_ENGINE)

# Native: the image save pipeline (io_uring + lz4 thread) vs a plain
# `| lz4 -1 > file` pipeline, lz4 alone and memcpy, on a synthetic stream.
BENCH_IMAGE := $(BUILD)/bin/bench_image

$(BENCH_IMAGE): tools/bench/bench_image.c tools/bench/fbgen.h $(LIBMVGPU)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(USER_CFLAGS) -Iproto -o $@ $< $(LIBMVGPU) $(USER_LIBS)

.PHONY: bench-image
bench-image: $(BENCH_IMAGE)
	$(Q)$(BENCH_IMAGE) $(BENCH_IMAGE_ARGS)

# Native: the live-migration data path (xf_stream_send -> TCP loopback ->
# xf_stream_recv, transfer.c) vs `lz4 -1 | TCP | lz4 -d`, lz4 alone and
# memcpy, on a synthetic stream.  It calls libmvgpu's private functions
# (userspace/lib/transfer.h), hence -Iuserspace/lib.
BENCH_TRANSFER := $(BUILD)/bin/bench_transfer

$(BENCH_TRANSFER): tools/bench/bench_transfer.c tools/bench/fbgen.h $(LIBMVGPU)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(USER_CFLAGS) -Iuserspace/lib -o $@ $< $(LIBMVGPU) $(USER_LIBS)

.PHONY: bench-transfer bench-transfer-lab
bench-transfer: $(BENCH_TRANSFER)
	$(Q)$(BENCH_TRANSFER) $(BENCH_TRANSFER_ARGS)

# The same in a lab host: Debian's kernel has kernel TLS (the tls module),
# so the kernel TLS row is measured there (under TCG: ratios, not speeds).
bench-transfer-lab: $(BENCH_TRANSFER)
	$(Q)tools/lab/lab run --timeout 900 -- $(BENCH_TRANSFER) $(or $(BENCH_TRANSFER_ARGS),--size 64 --runs 2 --verify 8)

# make bench-qemu: both stacks, one after the other, then one table.
BENCH_QEMU_TYPES ?= 64M 256M 512M 1G
BENCH_QEMU_OUT := $(BUILD)/bench/qemu
.PHONY: bench-qemu
bench-qemu: kernel lab-tests
	@mkdir -p $(BENCH_QEMU_OUT)
	$(Q)for st in bookworm modern; do \
		tools/lab/lab run --stack $$st --mem 4096 --timeout 5400 --modparams "virtual_parents=1" -- \
			env MVGPU_BENCH=1 MVGPU_BENCH_TYPES='$(BENCH_QEMU_TYPES)' $(LAB_TEST_BIN) \
			--jobs=1 --color=never --filter 'qemu_bench/*' >$(BENCH_QEMU_OUT)/$$st.log 2>&1 || \
			{ echo "bench-qemu: the $$st run failed: $(BENCH_QEMU_OUT)/$$st.log"; exit 1; }; \
	done
	$(Q)tools/bench/qemu-table $(BENCH_QEMU_OUT)/bookworm.log $(BENCH_QEMU_OUT)/modern.log
