// SPDX-License-Identifier: MIT
/*
 * Migration v2 against the real module: save while a workload runs,
 * restore into a second vGPU, byte-exact framebuffer and channel state,
 * the workload going on there; resets in the middle; bad streams; the
 * migration_version attribute.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "lab.h"
#include "mvgpu.h"

#define PARENT "/sys/class/mdev_bus/mvgpu0"
#define FB (64u << 20)

static mvgpu_ctx *ctx;
/*
 * Every device a test opens, closed again by the fixture even when an
 * assertion ends the test early: removing a vGPU that this very process
 * still holds open would wait forever.
 */
static mvgpu_dev *opened[8];
static unsigned nopened;

static void setup(void)
{
	lab_remove_all();
	nopened = 0;
	cr_assert_eq(mvgpu_ctx_create(&ctx, NULL), 0);
}

static void teardown(void)
{
	while (nopened)
		mvgpu_dev_close(opened[--nopened]);
	mvgpu_ctx_free(ctx);
	lab_remove_all();
}

TestSuite(migration, .init = setup, .fini = teardown, .timeout = 600);

static mvgpu_dev *open_new(const char *type, char uuid[37])
{
	mvgpu_dev *dev;

	cr_assert_eq(lab_create(PARENT, type, uuid), 0);
	cr_assert_eq(mvgpu_dev_open(ctx, uuid, &dev), 0, "%s", mvgpu_last_error(ctx));
	opened[nopened++] = dev;
	return dev;
}

struct workload {
	mvgpu_dev *dev;
	mvgpu_chan *ch;
	mvgpu_dma data;
	uint8_t *fb;
	unsigned batches;
};

/* One batch: engine fills, a DMA upload, a copy, CPU writes through the
 * mapping, and a fence waited for. */
static int run_batch(void *opaque, unsigned pass, uint64_t dirty)
{
	struct workload *w = opaque;
	unsigned b = w->batches++;
	struct mvgpu_cmd cmds[] = {
		mvgpu_cmd_fill((b % 16) * 65536, 65536, 0x01010101u * (b + 1)),
		mvgpu_cmd_dma_to_fb(w->data.iova, (1u << 20) + b * 4096, 4096),
		mvgpu_cmd_copy(0, (8u << 20) + (b % 4) * 65536, 65536),
	};
	uint32_t fence;

	(void)pass;
	(void)dirty;
	memset((uint8_t *)w->data.va, 0x40 + b, 4096);
	if (mvgpu_chan_submit(w->ch, cmds, 3) ||
	    mvgpu_chan_fence(w->ch, MVGPU_FENCE_IRQ, &fence) ||
	    mvgpu_chan_wait(w->ch, fence, 30000))
		return -EIO;
	/* the CPU draws too: write-fault tracking must see it */
	memset(w->fb + (16u << 20) + b * 8192 + 100, 0x77 + b, 5000);
	return 0;
}

static void workload_start(struct workload *w, mvgpu_dev *dev)
{
	size_t size;

	memset(w, 0, sizeof(*w));
	w->dev = dev;
	cr_assert_eq(mvgpu_chan_open(dev, 0, 65536, &w->ch), 0);
	cr_assert_eq(mvgpu_dma_alloc(dev, 1u << 20, &w->data), 0);
	cr_assert_eq(mvgpu_fb_map(dev, (void **)&w->fb, &size), 0);
	cr_assert_eq(size, FB);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(run_batch(w, 0, 0), 0);
}

static void read_channel(mvgpu_dev *dev, unsigned ch, uint32_t regs[10])
{
	for (unsigned r = 0; r < 10; r++)
		cr_assert_eq(mvgpu_reg_read(dev, MVGPU_REG_CH(ch, r * 4), &regs[r]), 0);
}

Test(migration, save_under_workload_restore_elsewhere)
{
	char ua[37], ub[37];
	mvgpu_dev *a = open_new("64M", ua), *b;
	mvgpu_save_opts opts = { .max_passes = 4, .switchover_bytes = 0,
				 .precopy = 1, .between_passes = run_batch };
	mvgpu_save_stats st;
	struct workload w;
	uint32_t ra[10], rb[10], state, fence, next;
	uint8_t *ref, *fbb;
	mvgpu_dma ring_b, slot_b, data_b;
	uint64_t fed;
	size_t size;
	int mfd = memfd_create("stream", MFD_CLOEXEC);

	workload_start(&w, a);
	opts.opaque = &w;
	cr_assert_eq(mvgpu_save(a, mfd, &opts, &st), 0, "%s", mvgpu_last_error(ctx));
	cr_assert_eq(st.passes, 4, "passes %u", st.passes);
	cr_assert_gt(st.stop_copy_bytes, 0);
	cr_assert_leq(st.stop_copy_bytes, st.stop_copy_estimate,
		      "stop-copy %llu > estimate %llu",
		      (unsigned long long)st.stop_copy_bytes,
		      (unsigned long long)st.stop_copy_estimate);
	cr_assert_eq(mvgpu_mig_get_state(a, &state), 0);
	cr_assert_eq(state, MVGPU_MIG_STOP);

	/* the source, stopped: what the target must become */
	ref = malloc(FB);
	memcpy(ref, w.fb, FB);
	read_channel(a, 0, ra);
	fence = ra[MVGPU_CH_FENCE / 4];
	cr_assert_eq(fence, w.batches, "fence %u batches %u", fence, w.batches);

	b = open_new("64M", ub);
	/* "guest memory" moves too: same IOVAs, same bytes */
	/* (as mvgpu_chan_open() did on the source: ring, fence slot, data) */
	cr_assert_eq(mvgpu_dma_alloc(b, 65536, &ring_b), 0);
	cr_assert_eq(mvgpu_dma_alloc(b, 4096, &slot_b), 0);
	cr_assert_eq(mvgpu_dma_alloc(b, 1u << 20, &data_b), 0);
	cr_assert_eq(ring_b.iova, (uint64_t)ra[0] | (uint64_t)ra[1] << 32);
	cr_assert_eq(data_b.iova, w.data.iova);
	memcpy(data_b.va, w.data.va, 1u << 20);

	cr_assert_eq(lseek(mfd, 0, SEEK_SET), 0);
	cr_assert_eq(mvgpu_restore(b, mfd, &fed), 0, "%s", mvgpu_last_error(ctx));
	cr_assert_eq(fed, st.precopy_bytes + st.stop_copy_bytes);

	cr_assert_eq(mvgpu_fb_map(b, (void **)&fbb, &size), 0);
	for (size_t off = 0; off < FB; off += 4096) {
		if (memcmp(fbb + off, ref + off, 4096)) {
			free(ref);
			cr_assert_fail("framebuffer page %zu differs", off / 4096);
		}
	}
	/* every channel's registers, idle ones too */
	for (unsigned ch = 0; ch < MVGPU_NUM_CHANNELS; ch++) {
		uint32_t xa[10], xb[10];

		read_channel(a, ch, xa);
		read_channel(b, ch, xb);
		cr_assert_eq(memcmp(xa, xb, sizeof(xa)), 0,
			     "channel %u registers differ", ch);
	}
	read_channel(b, 0, rb);
	cr_assert_eq(memcmp(ra, rb, sizeof(ra)), 0, "channel registers differ");

	/* the workload goes on on the target: next command at PUT, fence + 1 */
	{
		uint32_t put = rb[MVGPU_CH_PUT / 4], v = 0;
		struct mvgpu_cmd *ring = ring_b.va;
		int efd;

		ring[put / 32] = mvgpu_cmd_fill(0, 4096, 0xabcdef01);
		ring[(put + 32) % 65536 / 32] = mvgpu_cmd_fence(fence + 1, 1, 0);
		cr_assert_eq(mvgpu_irq_enable(b, MVGPU_IRQ_MSI, &efd), 0);
		cr_assert_eq(mvgpu_reg_write(b, MVGPU_REG_INTR_MASK, MVGPU_INTR_ALL), 0);
		cr_assert_eq(mvgpu_reg_write(b, MVGPU_REG_CH(0, MVGPU_CH_PUT), (put + 64) % 65536), 0);
		for (int i = 0; i < 100 && v != fence + 1; i++) {
			mvgpu_irq_wait(b, MVGPU_IRQ_MSI, 1000, NULL);
			cr_assert_eq(mvgpu_reg_read(b, MVGPU_REG_CH(0, MVGPU_CH_FENCE), &v), 0);
		}
		next = v;
	}
	cr_assert_eq(next, fence + 1, "fence on the target: %u", next);
	cr_assert_eq(((uint32_t *)fbb)[0], 0xabcdef01);

	free(ref);
	close(mfd);
}

static int save_to(mvgpu_dev *dev, int precopy)
{
	int mfd = memfd_create("stream", MFD_CLOEXEC);
	mvgpu_save_opts o = { .max_passes = 1, .precopy = precopy };

	cr_assert_eq(mvgpu_save(dev, mfd, &o, NULL), 0, "%s", mvgpu_last_error(ctx));
	cr_assert_eq(mvgpu_mig_set_state(dev, MVGPU_MIG_RUNNING, NULL), 0);
	return mfd;
}

Test(migration, bad_streams_leave_the_target_unchanged)
{
	char ua[37], ub[37], uc[37];
	mvgpu_dev *a = open_new("64M", ua), *b, *c;
	struct workload w;
	struct stat sb;
	int mfd, bad;
	char *img;
	uint32_t v;

	workload_start(&w, a);
	mfd = save_to(a, 1);
	cr_assert_eq(fstat(mfd, &sb), 0);
	img = malloc(sb.st_size);
	cr_assert_eq(pread(mfd, img, sb.st_size, 0), sb.st_size);
	b = open_new("64M", ub);

	/* truncated: every cut is refused */
	for (off_t cut = 0; cut < sb.st_size; cut += sb.st_size / 7 + 1) {
		bad = memfd_create("cut", MFD_CLOEXEC);
		cr_assert_eq(write(bad, img, cut), cut);
		lseek(bad, 0, SEEK_SET);
		cr_assert_neq(mvgpu_restore(b, bad, NULL), 0, "cut at %lld accepted", (long long)cut);
		close(bad);
	}
	/* corrupted */
	bad = memfd_create("flip", MFD_CLOEXEC);
	img[sb.st_size / 2] ^= 0x20;
	cr_assert_eq(write(bad, img, sb.st_size), sb.st_size);
	img[sb.st_size / 2] ^= 0x20;
	lseek(bad, 0, SEEK_SET);
	cr_assert_neq(mvgpu_restore(b, bad, NULL), 0);
	close(bad);
	/* nothing of it reached the target */
	cr_assert_eq(mvgpu_reg_read(b, MVGPU_REG_CH(0, MVGPU_CH_FENCE), &v), 0);
	cr_assert_eq(v, 0);

	/* incompatible: a 64M stream into a 256M vGPU */
	c = open_new("256M", uc);
	lseek(mfd, 0, SEEK_SET);
	cr_assert_eq(mvgpu_restore(c, mfd, NULL), -EINVAL, "%s", mvgpu_last_error(ctx));

	/* and the good stream still restores */
	lseek(mfd, 0, SEEK_SET);
	cr_assert_eq(mvgpu_restore(b, mfd, NULL), 0, "%s", mvgpu_last_error(ctx));
	cr_assert_eq(mvgpu_reg_read(b, MVGPU_REG_CH(0, MVGPU_CH_FENCE), &v), 0);
	cr_assert_eq(v, w.batches);
	free(img);
	close(mfd);
}

Test(migration, reset_during_precopy_and_stopcopy)
{
	char ua[37];
	mvgpu_dev *a = open_new("64M", ua);
	struct workload w;
	uint32_t state;
	char buf[4096];
	int fd;

	workload_start(&w, a);
	cr_assert_eq(mvgpu_mig_set_state(a, MVGPU_MIG_PRE_COPY, &fd), 0);
	cr_assert_gt(read(fd, buf, sizeof(buf)), 0);
	cr_assert_eq(ioctl(mvgpu_dev_fd(a), VFIO_DEVICE_RESET), 0);
	cr_assert_eq(read(fd, buf, sizeof(buf)), -1);
	cr_assert_eq(errno, ENODEV);
	cr_assert_eq(mvgpu_mig_get_state(a, &state), 0);
	cr_assert_eq(state, MVGPU_MIG_RUNNING);
	close(fd);

	cr_assert_eq(mvgpu_mig_set_state(a, MVGPU_MIG_STOP_COPY, &fd), 0);
	cr_assert_gt(read(fd, buf, sizeof(buf)), 0);
	cr_assert_eq(ioctl(mvgpu_dev_fd(a), VFIO_DEVICE_RESET), 0);
	cr_assert_eq(read(fd, buf, sizeof(buf)), -1);
	cr_assert_eq(errno, ENODEV);
	cr_assert_eq(mvgpu_mig_get_state(a, &state), 0);
	cr_assert_eq(state, MVGPU_MIG_RUNNING);
	close(fd);
}

Test(migration, state_machine_arcs)
{
	char ua[37];
	mvgpu_dev *a = open_new("64M", ua);
	static const uint32_t walk[] = {
		MVGPU_MIG_RUNNING_P2P, MVGPU_MIG_STOP, MVGPU_MIG_RUNNING_P2P,
		MVGPU_MIG_RUNNING, MVGPU_MIG_PRE_COPY, MVGPU_MIG_PRE_COPY_P2P,
		MVGPU_MIG_PRE_COPY, MVGPU_MIG_RUNNING, MVGPU_MIG_STOP,
		MVGPU_MIG_STOP_COPY, MVGPU_MIG_STOP, MVGPU_MIG_RUNNING,
	};
	uint64_t flags, a0, a1;
	uint32_t state;
	int fd;

	cr_assert_eq(mvgpu_mig_flags(a, &flags), 0);
	cr_assert_eq(flags, 7, "STOP_COPY | P2P | PRE_COPY");
	for (size_t i = 0; i < sizeof(walk) / sizeof(walk[0]); i++) {
		cr_assert_eq(mvgpu_mig_set_state(a, walk[i], &fd), 0, "to %s: %s",
			     mvgpu_mig_state_name(walk[i]), mvgpu_last_error(ctx));
		if (fd >= 0) {
			if (walk[i] == MVGPU_MIG_PRE_COPY) {
				cr_assert_eq(mvgpu_mig_precopy_info(fd, &a0, &a1), 0);
				cr_assert_gt(a0, 0, "initial bytes");
			}
			close(fd);
		}
		cr_assert_eq(mvgpu_mig_get_state(a, &state), 0);
		cr_assert_eq(state, walk[i]);
	}
	/* illegal: ERROR, and nonsense */
	cr_assert_eq(mvgpu_mig_set_state(a, MVGPU_MIG_ERROR, NULL), -EINVAL);
	cr_assert_eq(mvgpu_mig_set_state(a, 42, NULL), -EINVAL);
	cr_assert_eq(mvgpu_mig_get_state(a, &state), 0);
	cr_assert_eq(state, MVGPU_MIG_RUNNING);
}

/* The vGPU's migration_version attribute; the vGPU of type @type lives
 * only while it is read or written (the four types do not fit one pool). */
static int version_rw(const char *parent, const char *type, char *buf,
		      size_t len, const char *write)
{
	char u[37], path[LAB_PATH + 64];
	int ret;

	cr_assert_eq(lab_create(parent, type, u), 0, "%s", type);
	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/migration_version", u);
	ret = write ? lab_write_str(path, write) : lab_read_str(path, buf, len);
	cr_assert_eq(lab_remove(u), 0);
	return ret;
}

Test(migration, migration_version_matrix)
{
	static const char *const types[] = { "64M", "256M", "512M", "1G" };
	const char *pci = "/sys/bus/pci/drivers/mvgpu/0000:00:04.0";
	char s[4][512];

	for (int i = 0; i < 4; i++) {
		cr_assert_eq(version_rw(PARENT, types[i], s[i], sizeof(s[i]), NULL), 0);
		cr_assert_not_null(strstr(s[i], "type=mvgpu-"), "%s", s[i]);
	}
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++)
			cr_assert_eq(version_rw(PARENT, types[j], NULL, 0, s[i]),
				     i == j ? 0 : -EINVAL, "%s written to %s", types[i], types[j]);
	/* a vGPU of the PCI parent speaks the same language */
	cr_assert_eq(version_rw(pci, "64M", NULL, 0, s[0]), 0);
	cr_assert_eq(version_rw(pci, "64M", NULL, 0, "garbage"), -EINVAL);
	cr_assert_eq(version_rw(pci, "64M", NULL, 0, "type=mvgpu-64M"), -EINVAL);
	/* the type directories are the mdev core's: no file of ours there */
	cr_assert_not(lab_exists(PARENT "/mdev_supported_types/mvgpu-64M/migration_version"));
}

/*
 * Write-fault tracking of the BAR2 mapping on its own: a page written
 * (and so mapped writable) before pre-copy starts must be tracked again
 * when it is written during pre-copy.
 */
Test(migration, mapped_writes_are_tracked_across_passes)
{
	char ua[37];
	mvgpu_dev *a = open_new("64M", ua);
	uint64_t initial, dirty;
	uint8_t *fb;
	size_t size;
	char buf[65536];
	ssize_t n;
	int fd;

	cr_assert_eq(mvgpu_fb_map(a, (void **)&fb, &size), 0);
	for (int p = 0; p < 64; p++)
		fb[p * 4096] = 1;		/* mapped writable now */
	cr_assert_eq(mvgpu_mig_set_state(a, MVGPU_MIG_PRE_COPY, &fd), 0);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	cr_assert_eq(n, -1);
	cr_assert_eq(errno, ENOMSG);
	cr_assert_eq(mvgpu_mig_precopy_info(fd, &initial, &dirty), 0);
	cr_assert_eq(dirty, 0, "nothing written yet, %llu dirty", (unsigned long long)dirty);

	for (int p = 0; p < 64; p += 2)
		fb[p * 4096 + 8] = 2;		/* 32 pages written again */
	fb[100 * 4096] = 3;			/* and one never mapped before */
	cr_assert_eq(mvgpu_mig_precopy_info(fd, &initial, &dirty), 0);
	cr_assert_eq(initial, 0);
	cr_assert_eq(dirty, 33 * 4120ull, "dirty %llu", (unsigned long long)dirty);

	/* the next pass sends them and the one after finds nothing */
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	cr_assert_eq(errno, ENOMSG);
	cr_assert_eq(mvgpu_mig_precopy_info(fd, &initial, &dirty), 0);
	cr_assert_eq(dirty, 0);
	fb[2 * 4096 + 16] = 4;			/* written after it was sent */
	cr_assert_eq(mvgpu_mig_precopy_info(fd, &initial, &dirty), 0);
	cr_assert_eq(dirty, 4120, "dirty %llu", (unsigned long long)dirty);
	close(fd);
	cr_assert_eq(mvgpu_mig_set_state(a, MVGPU_MIG_RUNNING, NULL), 0);
}
