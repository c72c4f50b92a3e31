// SPDX-License-Identifier: MIT
/*
 * libmvgpu's device access against the real module: every command's effect
 * byte-exact, fences in the register and in guest memory, MSI and INTx
 * delivery, hostile commands that stop only their channel, resets, the
 * framebuffer's read/write path against its mmap, and `mvgpu exercise`.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab.h"
#include "mvgpu.h"

#define PARENT	"/sys/class/mdev_bus/mvgpu0"
#define WAIT_MS	20000
#define MiB	(1u << 20)


static char uuid[37];
static mvgpu_ctx *ctx;
static mvgpu_dev *dev;
static uint8_t *fb;
static size_t fb_size;

#define OK(expr) do {							\
	int r_ = (expr);						\
	cr_assert_eq(r_, 0, "%s = %d (%s): %s", #expr, r_,		\
		     strerror(-r_), mvgpu_last_error(ctx));		\
} while (0)

static void setup(void)
{
	void *p;

	lab_remove_all();
	cr_assert_eq(lab_create(PARENT, "64M", uuid), 0);
	OK(mvgpu_ctx_create(&ctx, NULL));
	OK(mvgpu_dev_open(ctx, uuid, &dev));
	OK(mvgpu_fb_map(dev, &p, &fb_size));
	fb = p;
}

static void teardown(void)
{
	mvgpu_dev_close(dev);
	dev = NULL;
	mvgpu_ctx_free(ctx);
	ctx = NULL;
	lab_remove_all();
}

TestSuite(device, .init = setup, .fini = teardown, .timeout = 300);

/* ---- helpers ------------------------------------------------------------ */

static uint64_t rng_state = 0x1234567;

static uint32_t rnd32(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)rng_state;
}

static void randomize(void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)rnd32();
}

static uint32_t reg(uint32_t off)
{
	uint32_t v;

	OK(mvgpu_reg_read(dev, off, &v));
	return v;
}

static void wreg(uint32_t off, uint32_t v)
{
	OK(mvgpu_reg_write(dev, off, v));
}

static mvgpu_chan *chan_open(unsigned ch, size_t ring)
{
	mvgpu_chan *c;

	OK(mvgpu_chan_open(dev, ch, ring, &c));
	return c;
}

static void submit(mvgpu_chan *c, struct mvgpu_cmd cmd)
{
	OK(mvgpu_chan_submit(c, &cmd, 1));
}

/* Fence with IRQ and memory, wait, and check both fence views. */
static uint32_t finish(mvgpu_chan *c)
{
	uint32_t v;

	OK(mvgpu_chan_fence(c, MVGPU_FENCE_IRQ | MVGPU_FENCE_MEM, &v));
	OK(mvgpu_chan_wait(c, v, WAIT_MS));
	cr_assert_eq(reg(MVGPU_REG_CH(mvgpu_chan_index(c), MVGPU_CH_FENCE)), v);
	cr_assert_eq(mvgpu_chan_fence_mem(c), v);
	return v;
}

/* First difference between two buffers, for a readable failure. */
static void assert_same(const uint8_t *want, const uint8_t *got, size_t len,
			uint64_t base, const char *what)
{
	size_t i;

	if (!memcmp(want, got, len))
		return;
	for (i = 0; want[i] == got[i]; i++)
		;
	cr_assert_fail("%s: first difference at offset 0x%llx: expected 0x%02x, got 0x%02x",
		       what, (unsigned long long)(base + i), want[i], got[i]);
}

/* Put random bytes into fb [off, off + len) through the write path, and
 * return a malloc'd copy. */
static uint8_t *fb_random(uint64_t off, size_t len)
{
	uint8_t *p = malloc(len);

	cr_assert_not_null(p);
	randomize(p, len);
	OK(mvgpu_fb_write(dev, off, p, len));
	return p;
}

/* ---- opening ------------------------------------------------------------ */

Test(device, open_checks_the_device)
{
	const mvgpu_dev_info *in = mvgpu_dev_get_info(dev);
	char path[LAB_PATH];
	uint32_t v;

	cr_assert_str_eq(in->uuid, uuid);
	cr_assert_eq(in->fb_size, 64ull * MiB);
	cr_assert_eq(fb_size, 64ull * MiB);
	cr_assert_eq(in->channels, MVGPU_NUM_CHANNELS);
	cr_assert_eq(in->heads, 1);
	cr_assert_eq(in->type_index, 0);
	cr_assert_eq(in->max_width, 1280);
	cr_assert_eq(in->max_height, 1024);
	cr_assert_eq(in->fb_mmap, 1);
	cr_assert_eq(in->iommu_type, VFIO_TYPE1v2_IOMMU);
	cr_assert_eq(in->irq_count[MVGPU_IRQ_INTX], 1);
	cr_assert_eq(in->irq_count[MVGPU_IRQ_MSI], 1);
	cr_assert_eq(in->irq_count[MVGPU_IRQ_ERR], 1);
	cr_assert_eq(in->version, MVGPU_ABI_MAJOR << 16 | MVGPU_ABI_MINOR);
	cr_assert_eq(reg(MVGPU_REG_ID), MVGPU_ID_MAGIC);
	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/mvgpu/in_use", uuid);
	cr_assert_eq(lab_read_ll(path), 1);

	/* the library refuses what the ABI does not allow */
	cr_assert_eq(mvgpu_reg_read(dev, 2, &v), -EINVAL);
	cr_assert_eq(mvgpu_reg_read(dev, MVGPU_MMIO_SIZE, &v), -EINVAL);
	cr_assert_eq(mvgpu_reg_write(dev, 0x1001, 0), -EINVAL);
	wreg(MVGPU_REG_SCRATCH, 0xa5a55a5a);
	cr_assert_eq(reg(MVGPU_REG_SCRATCH), 0xa5a55a5a);
}

Test(device, open_errors)
{
	mvgpu_dev *d2 = NULL;
	char other[37];

	/* the group is ours: a second open is "busy" */
	cr_assert_eq(mvgpu_dev_open(ctx, uuid, &d2), -EBUSY);
	cr_assert_not_null(strstr(mvgpu_last_error(ctx), "open elsewhere"),
			   "%s", mvgpu_last_error(ctx));
	cr_assert_null(d2);
	lab_new_uuid(other);
	cr_assert_eq(mvgpu_dev_open(ctx, other, &d2), -ENOENT);
	cr_assert_eq(mvgpu_dev_open(ctx, "not-a-uuid", &d2), -EINVAL);
	cr_assert_null(d2);

	/* after close it opens again */
	mvgpu_dev_close(dev);
	dev = NULL;
	OK(mvgpu_dev_open(ctx, uuid, &dev));
}

Test(device, dma_alloc)
{
	mvgpu_dma a, b, c;

	OK(mvgpu_dma_alloc(dev, 1, &a));
	OK(mvgpu_dma_alloc(dev, 8192, &b));
	cr_assert_geq(a.iova, MVGPU_DMA_IOVA_BASE);
	cr_assert_eq(a.size, 4096);
	cr_assert_eq(a.iova % 4096, 0);
	/* a guard page separates buffers */
	cr_assert_geq(b.iova, a.iova + a.size + 4096);
	OK(mvgpu_dma_free(dev, &a));
	cr_assert_null(a.va);
	{
		mvgpu_dma bogus = { .va = (void *)4096, .iova = 4096, .size = 4096 };

		cr_assert_eq(mvgpu_dma_free(dev, &bogus), -EINVAL);
	}
	OK(mvgpu_dma_alloc(dev, 4096, &c));
	cr_assert_eq(c.iova, MVGPU_DMA_IOVA_BASE, "freed range is reused");
	cr_assert_eq(mvgpu_dma_alloc(dev, 0, &c), -EINVAL);
	OK(mvgpu_dma_free(dev, &b));
}

/* ---- commands, byte-exact ----------------------------------------------- */

Test(device, fill)
{
	mvgpu_chan *c = chan_open(0, 4096);
	uint8_t *before = fb_random(0, 3 * 4096);
	uint8_t want[3 * 4096];
	uint32_t pat = 0x11223344, le;
	size_t i;

	/* a range crossing a page boundary, odd number of words */
	memcpy(want, before, sizeof(want));
	for (i = 4092; i < 4092 + 4 * 1025; i += 4) {
		le = htole32(pat);
		memcpy(want + i, &le, 4);
	}
	submit(c, mvgpu_cmd_fill(4092, 4 * 1025, pat));
	/* zero-length fill does nothing */
	submit(c, mvgpu_cmd_fill(0, 0, 0xffffffff));
	/* the last word of the framebuffer */
	submit(c, mvgpu_cmd_fill(fb_size - 4, 4, 0xcafef00d));
	finish(c);
	assert_same(want, fb, sizeof(want), 0, "fill");
	cr_assert_eq(fb[fb_size - 4], 0x0d);
	cr_assert_eq(fb[fb_size - 1], 0xca);
	free(before);

	/* a large fill: several 256 KiB steps of the engine */
	{
		const size_t len = 3 * MiB + 4096;
		uint32_t *big = malloc(len);

		cr_assert_not_null(big);
		for (i = 0; i < len / 4; i++)
			big[i] = htole32(0x00ff00ff);
		submit(c, mvgpu_cmd_fill(MiB, len, 0x00ff00ff));
		finish(c);
		assert_same((uint8_t *)big, fb + MiB, len, MiB, "large fill");
		cr_assert_neq(*(uint32_t *)(fb + MiB - 4), htole32(0x00ff00ff));
		cr_assert_neq(*(uint32_t *)(fb + MiB + len), htole32(0x00ff00ff));
		free(big);
	}
}

/* Copy through the device and with memmove on a local image. */
static void check_copy(mvgpu_chan *c, uint64_t base, size_t span,
		       uint64_t src, uint64_t dst, uint64_t len)
{
	uint8_t *img = fb_random(base, span);

	memmove(img + (dst - base), img + (src - base), len);
	submit(c, mvgpu_cmd_copy(src, dst, len));
	finish(c);
	assert_same(img, fb + base, span, base, "copy");
	free(img);
}

Test(device, copy_including_overlap)
{
	mvgpu_chan *c = chan_open(1, 8192);

	/* disjoint, inside a page and across pages */
	check_copy(c, 0, 64 * 1024, 4, 32768 + 8, 1000);
	check_copy(c, 0, 64 * 1024, 100, 20000, 30000);
	/* overlapping, destination above / below the source */
	check_copy(c, 0, 64 * 1024, 1024, 1028, 40000);
	check_copy(c, 0, 64 * 1024, 5000, 4096, 50000);
	/* same place */
	check_copy(c, 0, 16384, 64, 64, 8000);
	/* long overlapping copy (more than one engine step) */
	check_copy(c, 2 * MiB, MiB, 2 * MiB, 2 * MiB + 4096 + 12, 600 * 1024);
	check_copy(c, 2 * MiB, MiB, 2 * MiB + 300 * 1024, 2 * MiB + 4, 700 * 1024);
	/* long disjoint copy up to the last byte of the framebuffer */
	check_copy(c, fb_size - MiB, MiB, fb_size - MiB, fb_size - 400 * 1024,
		   400 * 1024);
}

Test(device, dma_to_and_from_fb)
{
	mvgpu_chan *c = chan_open(2, 4096);
	mvgpu_dma up, down;
	const size_t len = 600 * 1024 + 12;

	OK(mvgpu_dma_alloc(dev, MiB, &up));
	OK(mvgpu_dma_alloc(dev, MiB, &down));
	randomize(up.va, MiB);
	memset(down.va, 0x5a, MiB);

	/* upload at a 4-byte (not page) aligned IOVA, across pages */
	submit(c, mvgpu_cmd_dma_to_fb(up.iova + 4, 8 * MiB + 4, len));
	/* download another range, and the uploaded one again */
	submit(c, mvgpu_cmd_dma_from_fb(8 * MiB + 4, down.iova + 8, len));
	submit(c, mvgpu_cmd_dma_from_fb(fb_size - 4096, down.iova + 700 * 1024, 4096));
	finish(c);

	assert_same((uint8_t *)up.va + 4, fb + 8 * MiB + 4, len, 8 * MiB + 4,
		    "dma_to_fb");
	assert_same((uint8_t *)up.va + 4, (uint8_t *)down.va + 8, len, 0,
		    "dma_from_fb");
	assert_same(fb + fb_size - 4096, (uint8_t *)down.va + 700 * 1024, 4096,
		    fb_size - 4096, "dma_from_fb at the end");
	/* bytes around the download are untouched */
	cr_assert_eq(((uint8_t *)down.va)[7], 0x5a);
	cr_assert_eq(((uint8_t *)down.va)[8 + len], 0x5a);
}

Test(device, nop_and_fences)
{
	mvgpu_chan *c = chan_open(3, 4096);
	struct mvgpu_cmd nops[100];
	mvgpu_chan_regs r;
	uint32_t v1, v2, v3;
	int i;

	for (i = 0; i < 100; i++)
		nops[i] = mvgpu_cmd_nop();
	OK(mvgpu_chan_submit(c, nops, 100));
	v1 = finish(c);
	OK(mvgpu_chan_fence(c, MVGPU_FENCE_MEM, &v2));
	OK(mvgpu_chan_fence(c, 0, &v3));
	cr_assert_eq(v2, v1 + 1);
	cr_assert_eq(v3, v2 + 1);
	OK(mvgpu_chan_wait(c, v3, WAIT_MS));
	/* the register has the last value; memory the last FENCE_MEM one */
	cr_assert_eq(reg(MVGPU_REG_CH(3, MVGPU_CH_FENCE)), v3);
	cr_assert_eq(mvgpu_chan_fence_mem(c), v2);
	OK(mvgpu_chan_read_regs(c, &r));
	cr_assert_eq(r.get, r.put);
	cr_assert_eq(r.put, (100 + 3) * 32 % 4096);
	cr_assert_eq(r.status, MVGPU_CH_STATUS_ENABLED);
	cr_assert_eq(r.error, MVGPU_ERR_NONE);
	/* waiting for a passed value returns at once */
	OK(mvgpu_chan_wait(c, v1, 0));
	/* and for one never issued, times out */
	cr_assert_eq(mvgpu_chan_wait(c, v3 + 1, 200), -ETIMEDOUT);
}

Test(device, ring_wraps_and_fills_up)
{
	mvgpu_chan *c = chan_open(0, 4096);	/* 127 commands at most */
	const size_t n = 1000;
	struct mvgpu_cmd *cmds = calloc(n, sizeof(*cmds));
	uint8_t *want = calloc(1, n * 64);
	size_t i;

	cr_assert_not_null(cmds);
	for (i = 0; i < n; i++) {
		uint32_t pat = rnd32(), le = htole32(pat);
		size_t k;

		cmds[i] = mvgpu_cmd_fill(i * 64, 64, pat);
		for (k = 0; k < 64; k += 4)
			memcpy(want + i * 64 + k, &le, 4);
	}
	OK(mvgpu_chan_submit(c, cmds, n));
	finish(c);
	assert_same(want, fb, n * 64, 0, "fills through a wrapping ring");
	cr_assert_geq(mvgpu_dev_stats_get(dev)->doorbells, 8);
	free(cmds);
	free(want);
}

Test(device, four_channels_at_once)
{
	mvgpu_chan *c[4];
	uint32_t v[4];
	unsigned i;
	size_t k;

	for (i = 0; i < 4; i++) {
		c[i] = chan_open(i, 16384);
		submit(c[i], mvgpu_cmd_fill(i * 2 * MiB, 2 * MiB, 0x01010101u * (i + 1)));
		OK(mvgpu_chan_fence(c[i], MVGPU_FENCE_IRQ | MVGPU_FENCE_MEM, &v[i]));
	}
	for (i = 0; i < 4; i++) {
		OK(mvgpu_chan_wait(c[i], v[i], WAIT_MS));
		cr_assert_eq(mvgpu_chan_fence_mem(c[i]), v[i]);
		for (k = 0; k < 2 * MiB; k += 4096)
			cr_assert_eq(fb[i * 2 * MiB + k], i + 1);
	}
}

/* ---- interrupts ---------------------------------------------------------- */

/*
 * Makes mvgpu_chan_wait() sleep on the interrupt at least once.  The fence
 * must still be pending when the wait begins: three frames ahead of it hold
 * the channel for two frame-rate-limiter periods (33 ms; vgpu_params
 * default), and a run that still finished first (the test thread preempted
 * that long) is tried again rather than failed.
 */
static void wait_sleeps(mvgpu_chan *c)
{
	uint32_t v;

	for (int tries = 0; tries < 5 && !mvgpu_dev_stats_get(dev)->irq_wakeups; tries++) {
		struct mvgpu_cmd frame[4];

		for (int i = 0; i < 4; i++) {
			OK(mvgpu_chan_fence_cmd(c, MVGPU_FENCE_IRQ, &frame[i], &v));
			if (i < 3)
				frame[i].flags |= htole32(MVGPU_CMD_F_FRAME);
		}
		OK(mvgpu_chan_submit(c, frame, 4));
		OK(mvgpu_chan_wait(c, v, WAIT_MS));
	}
}

Test(device, fence_interrupt_via_msi)
{
	mvgpu_chan *c;
	uint64_t n;
	uint32_t v;
	int efd;

	OK(mvgpu_irq_enable(dev, MVGPU_IRQ_MSI, &efd));
	cr_assert_geq(efd, 0);
	c = chan_open(0, 4096);
	cr_assert_eq(reg(MVGPU_REG_INTR_MASK),
		     MVGPU_INTR_FENCE(0) | MVGPU_INTR_ERROR(0));

	OK(mvgpu_chan_fence(c, MVGPU_FENCE_IRQ, &v));
	OK(mvgpu_irq_wait(dev, MVGPU_IRQ_MSI, WAIT_MS, &n));
	cr_assert_geq(n, 1);
	cr_assert_eq(reg(MVGPU_REG_CH(0, MVGPU_CH_FENCE)), v);
	cr_assert_eq(reg(MVGPU_REG_INTR_STATUS), MVGPU_INTR_FENCE(0));
	wreg(MVGPU_REG_INTR_ACK, MVGPU_INTR_FENCE(0));
	cr_assert_eq(reg(MVGPU_REG_INTR_STATUS), 0);

	/* no F_IRQ: no interrupt */
	OK(mvgpu_chan_fence(c, 0, &v));
	OK(mvgpu_chan_wait(c, v, WAIT_MS));
	cr_assert_eq(mvgpu_irq_wait(dev, MVGPU_IRQ_MSI, 300, NULL), -ETIMEDOUT);

	/* masked source: status rises, no interrupt */
	wreg(MVGPU_REG_INTR_MASK, 0);
	OK(mvgpu_chan_fence(c, MVGPU_FENCE_IRQ, &v));
	OK(mvgpu_chan_wait(c, v, WAIT_MS));
	cr_assert_eq(mvgpu_irq_wait(dev, MVGPU_IRQ_MSI, 300, NULL), -ETIMEDOUT);

	/* mvgpu_chan_wait sleeps on it */
	wreg(MVGPU_REG_INTR_MASK, MVGPU_INTR_FENCE(0));
	wait_sleeps(c);
	cr_assert_gt(mvgpu_dev_stats_get(dev)->irq_wakeups, 0);
	OK(mvgpu_irq_disable(dev, MVGPU_IRQ_MSI));
}

Test(device, fence_interrupt_via_intx)
{
	mvgpu_chan *c;
	uint32_t v;
	int efd, i;

	/* INTx chosen before any channel: the library does not add MSI */
	OK(mvgpu_irq_enable(dev, MVGPU_IRQ_INTX, &efd));
	c = chan_open(1, 4096);

	OK(mvgpu_chan_fence(c, MVGPU_FENCE_IRQ, &v));
	OK(mvgpu_irq_wait(dev, MVGPU_IRQ_INTX, WAIT_MS, NULL));
	cr_assert_eq(reg(MVGPU_REG_INTR_STATUS), MVGPU_INTR_FENCE(1));

	/* automasked: another fence does not signal again (poll the
	 * register: the library's wait would ack and unmask) */
	OK(mvgpu_chan_fence(c, MVGPU_FENCE_IRQ, &v));
	for (i = 0; i < 20000 && reg(MVGPU_REG_CH(1, MVGPU_CH_FENCE)) != v; i++)
		usleep(1000);
	cr_assert_eq(reg(MVGPU_REG_CH(1, MVGPU_CH_FENCE)), v);
	cr_assert_eq(mvgpu_irq_wait(dev, MVGPU_IRQ_INTX, 200, NULL), -ETIMEDOUT);

	/* level: unmasking with the source still pending fires at once */
	OK(mvgpu_irq_unmask(dev, MVGPU_IRQ_INTX));
	OK(mvgpu_irq_wait(dev, MVGPU_IRQ_INTX, WAIT_MS, NULL));

	/* ack, then unmask: quiet until the next fence */
	wreg(MVGPU_REG_INTR_ACK, MVGPU_INTR_ALL);
	OK(mvgpu_irq_unmask(dev, MVGPU_IRQ_INTX));
	cr_assert_eq(mvgpu_irq_wait(dev, MVGPU_IRQ_INTX, 200, NULL), -ETIMEDOUT);
	OK(mvgpu_chan_fence(c, MVGPU_FENCE_IRQ, &v));
	OK(mvgpu_irq_wait(dev, MVGPU_IRQ_INTX, WAIT_MS, NULL));

	/* the library's wait acks and unmasks on its own */
	wreg(MVGPU_REG_INTR_ACK, MVGPU_INTR_ALL);
	OK(mvgpu_irq_unmask(dev, MVGPU_IRQ_INTX));
	wait_sleeps(c);
	cr_assert_gt(mvgpu_dev_stats_get(dev)->irq_wakeups, 0);
}

/* ---- hostile guests ------------------------------------------------------ */

/*
 * Channel 0 has just been given something bad.  Check it stopped with
 * @err at ring offset @get (-1: don't check), that the wait saw it and
 * the ERR eventfd did not; that channel 2 still works; and that CTRL_RESET
 * (mvgpu_chan_reset) brings channel 0 back.
 */
static void check_stopped(mvgpu_chan *bad, mvgpu_chan *good, uint32_t err,
			  long long get, uint32_t fence_value)
{
	mvgpu_chan_regs r;
	uint32_t v;

	/* a fence never issued: the wait ends on the error, through the
	 * interrupt; VFIO's ERR eventfd stays quiet (QEMU would stop the VM) */
	v = reg(MVGPU_REG_CH(0, MVGPU_CH_FENCE)) + 0x10000;
	cr_assert_eq(mvgpu_chan_wait(bad, v, WAIT_MS), -EIO);
	cr_assert_eq(mvgpu_irq_wait(dev, MVGPU_IRQ_ERR, 0, NULL), -ETIMEDOUT,
		     "a channel error signalled VFIO's ERR eventfd");
	OK(mvgpu_chan_read_regs(bad, &r));
	cr_assert(r.status & MVGPU_CH_STATUS_ERROR, "STATUS 0x%x", r.status);
	cr_assert_eq(r.error, err, "ERROR %u (%s), expected %u (%s)", r.error,
		     mvgpu_err_name(r.error), err, mvgpu_err_name(err));
	if (get >= 0)
		cr_assert_eq(r.error_get, (uint32_t)get);
	if (fence_value) {
		cr_assert_eq(mvgpu_chan_wait(bad, fence_value, WAIT_MS), -EIO);
		cr_assert_eq(mvgpu_chan_error(bad), err);
		cr_assert_eq(mvgpu_chan_error_get(bad), r.error_get);
	}
	/* another channel is unaffected */
	submit(good, mvgpu_cmd_fill(60 * MiB, 4096, rnd32()));
	finish(good);
	cr_assert_eq(reg(MVGPU_REG_CH(2, MVGPU_CH_STATUS)) & MVGPU_CH_STATUS_ERROR, 0);

	/* reset recovers it */
	OK(mvgpu_chan_reset(bad));
	OK(mvgpu_chan_read_regs(bad, &r));
	cr_assert_eq(r.status, MVGPU_CH_STATUS_ENABLED);
	cr_assert_eq(r.error, 0);
	submit(bad, mvgpu_cmd_fill(0, 4096, 0x0badcafe));
	v = finish(bad);
	cr_assert_eq(*(uint32_t *)fb, htole32(0x0badcafe));
	(void)v;
	wreg(MVGPU_REG_INTR_ACK, MVGPU_INTR_ALL);
}

struct bad_case {
	const char *what;
	uint32_t op, flags;
	uint64_t a, b, c;
	uint32_t err;
};

Test(device, bad_commands_stop_only_their_channel)
{
	const uint64_t unmapped = MVGPU_DMA_IOVA_BASE - 4096;
	const uint64_t F = 64ull * MiB;
	const struct bad_case cases[] = {
		{ "opcode 7", 7, 0, 0, 0, 0, MVGPU_ERR_OPCODE },
		{ "PEER_COPY without peers", MVGPU_OP_PEER_COPY, 0, 0, 0, 4, MVGPU_ERR_PEER },
		{ "opcode ~0", 0xffffffff, 0, 0, 0, 0, MVGPU_ERR_OPCODE },
		{ "flags on FILL", MVGPU_OP_FILL, 1, 0, 4, 0, MVGPU_ERR_OPCODE },
		{ "flags on NOP", MVGPU_OP_NOP, 2, 0, 0, 0, MVGPU_ERR_OPCODE },
		{ "unknown FENCE flag", MVGPU_OP_FENCE, MVGPU_CMD_F_ALL + 1, 1, 0, 0, MVGPU_ERR_OPCODE },
		{ "DMA_TO_FB from unmapped", MVGPU_OP_DMA_TO_FB, 0, unmapped, 0, 4096, MVGPU_ERR_DMA },
		{ "DMA_FROM_FB to unmapped", MVGPU_OP_DMA_FROM_FB, 0, 0, unmapped, 4096, MVGPU_ERR_DMA },
		{ "FENCE_MEM to unmapped", MVGPU_OP_FENCE, MVGPU_CMD_F_FENCE_MEM, 7, unmapped, 0, MVGPU_ERR_DMA },
		{ "FILL past the end", MVGPU_OP_FILL, 0, F - 4, 8, 0, MVGPU_ERR_FB_RANGE },
		{ "FILL beyond", MVGPU_OP_FILL, 0, F, 4, 0, MVGPU_ERR_FB_RANGE },
		{ "FILL wrapping", MVGPU_OP_FILL, 0, 4, UINT64_MAX - 3, 0, MVGPU_ERR_FB_RANGE },
		{ "COPY dst beyond", MVGPU_OP_COPY, 0, 0, F - 4, 8, MVGPU_ERR_FB_RANGE },
		{ "COPY src beyond", MVGPU_OP_COPY, 0, F, 0, 4, MVGPU_ERR_FB_RANGE },
		{ "DMA_TO_FB beyond", MVGPU_OP_DMA_TO_FB, 0, 0, F - 4096, 8192, MVGPU_ERR_FB_RANGE },
		{ "DMA_FROM_FB beyond", MVGPU_OP_DMA_FROM_FB, 0, F + 4096, 0, 4096, MVGPU_ERR_FB_RANGE },
		{ "FILL misaligned", MVGPU_OP_FILL, 0, 2, 4, 0, MVGPU_ERR_ALIGN },
		{ "COPY odd size", MVGPU_OP_COPY, 0, 0, 64, 3, MVGPU_ERR_ALIGN },
	};
	mvgpu_chan *bad = chan_open(0, 4096), *good = chan_open(2, 4096);
	size_t i;

	OK(mvgpu_irq_enable(dev, MVGPU_IRQ_ERR, NULL));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bad_case *bc = &cases[i];
		struct mvgpu_cmd cmds[3];
		mvgpu_chan_regs r;
		uint32_t v;

		cr_log_info("case: %s", bc->what);
		/* a FILL before it runs, the one after it does not */
		memset(fb + 32 * MiB, 0, 8);
		OK(mvgpu_chan_read_regs(bad, &r));
		cmds[0] = mvgpu_cmd_fill(32 * MiB, 4, 0x11111111);
		cmds[1] = mvgpu_cmd_raw(bc->op, bc->flags, bc->a, bc->b, bc->c);
		cmds[2] = mvgpu_cmd_fill(32 * MiB + 4, 4, 0x22222222);
		OK(mvgpu_chan_submit(bad, cmds, 3));
		OK(mvgpu_chan_fence_cmd(bad, MVGPU_FENCE_IRQ, &cmds[0], &v));
		OK(mvgpu_chan_submit(bad, cmds, 1));
		check_stopped(bad, good, bc->err, (r.put + 32) % 4096, v);
		cr_assert_eq(*(uint32_t *)(fb + 32 * MiB), htole32(0x11111111), "%s", bc->what);
		cr_assert_neq(*(uint32_t *)(fb + 32 * MiB + 4), htole32(0x22222222), "%s", bc->what);
	}
}

Test(device, bad_ring_at_enable)
{
	mvgpu_chan *bad = chan_open(0, 4096), *good = chan_open(2, 4096);
	const uint32_t ch0 = MVGPU_REG_CH(0, 0);
	const struct { uint64_t base; uint32_t size; const char *what; } cases[] = {
		{ MVGPU_DMA_IOVA_BASE, 3000, "size not a power of two" },
		{ MVGPU_DMA_IOVA_BASE, 2048, "size below 4 KiB" },
		{ MVGPU_DMA_IOVA_BASE, 2 * MiB, "size above 1 MiB" },
		{ MVGPU_DMA_IOVA_BASE, 0, "size 0" },
		{ MVGPU_DMA_IOVA_BASE + 0x800, 4096, "base not 4 KiB aligned" },
		{ UINT64_MAX & ~0xfffull, 8192, "base + size wraps" },
	};
	size_t i;

	OK(mvgpu_irq_enable(dev, MVGPU_IRQ_ERR, NULL));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_log_info("case: %s", cases[i].what);
		wreg(ch0 + MVGPU_CH_CTRL, MVGPU_CH_CTRL_RESET);
		wreg(ch0 + MVGPU_CH_RING_BASE_LO, (uint32_t)cases[i].base);
		wreg(ch0 + MVGPU_CH_RING_BASE_HI, (uint32_t)(cases[i].base >> 32));
		wreg(ch0 + MVGPU_CH_RING_SIZE, cases[i].size);
		wreg(ch0 + MVGPU_CH_CTRL, MVGPU_CH_CTRL_ENABLE);
		check_stopped(bad, good, MVGPU_ERR_RING, 0, 0);
	}
}

Test(device, unmapped_ring)
{
	mvgpu_chan *bad = chan_open(0, 4096), *good = chan_open(2, 4096);
	const uint32_t ch0 = MVGPU_REG_CH(0, 0);

	/* A well-formed but unmapped ring is accepted at ENABLE (the device
	 * cannot know the mapping then) and fails on the first fetch. */
	OK(mvgpu_irq_enable(dev, MVGPU_IRQ_ERR, NULL));
	wreg(ch0 + MVGPU_CH_CTRL, MVGPU_CH_CTRL_RESET);
	wreg(ch0 + MVGPU_CH_RING_BASE_LO, (uint32_t)(MVGPU_DMA_IOVA_BASE - 65536));
	wreg(ch0 + MVGPU_CH_RING_BASE_HI, 0);
	wreg(ch0 + MVGPU_CH_RING_SIZE, 65536);
	wreg(ch0 + MVGPU_CH_CTRL, MVGPU_CH_CTRL_ENABLE);
	cr_assert_eq(reg(ch0 + MVGPU_CH_STATUS), MVGPU_CH_STATUS_ENABLED);
	wreg(ch0 + MVGPU_CH_PUT, 64);
	check_stopped(bad, good, MVGPU_ERR_DMA, 0, 0);
}

Test(device, bad_put)
{
	mvgpu_chan *bad = chan_open(0, 4096), *good = chan_open(2, 4096);
	const uint32_t put = MVGPU_REG_CH(0, MVGPU_CH_PUT);
	const uint32_t vals[] = { 4096, 8192, 0xffffffe0, 16, 33, 4095 };
	size_t i;

	OK(mvgpu_irq_enable(dev, MVGPU_IRQ_ERR, NULL));
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		/* no command failed: ERROR_GET is where GET stood */
		uint32_t get = reg(MVGPU_REG_CH(0, MVGPU_CH_GET));

		cr_log_info("PUT 0x%x", vals[i]);
		wreg(put, vals[i]);
		/* a PUT write on a stopped channel is ignored */
		wreg(put, 32);
		cr_assert_eq(reg(MVGPU_REG_CH(0, MVGPU_CH_PUT)), get);
		check_stopped(bad, good, MVGPU_ERR_PUT, get, 0);
	}
}

/* ---- resets -------------------------------------------------------------- */

static void dirty_everything(mvgpu_chan *c)
{
	wreg(MVGPU_REG_SCRATCH, 0x12345678);
	wreg(MVGPU_REG_INTR_MASK, MVGPU_INTR_ALL);
	wreg(MVGPU_REG_DISP_WIDTH, 640);
	wreg(MVGPU_REG_DISP_HEIGHT, 480);
	wreg(MVGPU_REG_DISP_STRIDE, 2560);
	wreg(MVGPU_REG_DISP_OFFSET, 0);
	wreg(MVGPU_REG_DISP_ENABLE, 1);
	cr_assert_eq(reg(MVGPU_REG_DISP_STATUS), 1);
	submit(c, mvgpu_cmd_fill(0, 4096, 0xdeadbeef));
	finish(c);
	OK(mvgpu_chan_fence(c, MVGPU_FENCE_IRQ, NULL));
	cr_assert_neq(reg(MVGPU_REG_CH(1, MVGPU_CH_FENCE)), 0);
}

static void assert_power_on(void)
{
	unsigned ch;
	uint32_t r;

	cr_assert_eq(reg(MVGPU_REG_ID), MVGPU_ID_MAGIC);
	cr_assert_eq(reg(MVGPU_REG_VERSION), MVGPU_ABI_MAJOR << 16 | MVGPU_ABI_MINOR);
	cr_assert_eq(reg(MVGPU_REG_FB_SIZE_LO), 64 * MiB);
	cr_assert_eq(reg(MVGPU_REG_FB_SIZE_HI), 0);
	cr_assert_eq(reg(MVGPU_REG_CAPS), 4 | 1 << 8 | 0 << 16);
	cr_assert_eq(reg(MVGPU_REG_SCRATCH), 0);
	cr_assert_eq(reg(MVGPU_REG_INTR_STATUS), 0);
	cr_assert_eq(reg(MVGPU_REG_INTR_MASK), 0);
	cr_assert_eq(reg(MVGPU_REG_DISP_WIDTH), 0);
	cr_assert_eq(reg(MVGPU_REG_DISP_HEIGHT), 0);
	cr_assert_eq(reg(MVGPU_REG_DISP_STRIDE), 0);
	cr_assert_eq(reg(MVGPU_REG_DISP_FORMAT), MVGPU_FMT_XRGB8888);
	cr_assert_eq(reg(MVGPU_REG_DISP_OFFSET), 0);
	cr_assert_eq(reg(MVGPU_REG_DISP_ENABLE), 0);
	cr_assert_eq(reg(MVGPU_REG_DISP_STATUS), 0);
	for (ch = 0; ch < MVGPU_NUM_CHANNELS; ch++)
		for (r = 0; r <= MVGPU_CH_ERROR_GET; r += 4)
			cr_assert_eq(reg(MVGPU_REG_CH(ch, r)), 0,
				     "channel %u register 0x%02x", ch, r);
}

static void check_reset(int how)
{
	mvgpu_chan *c = chan_open(1, 4096);
	uint32_t v;

	dirty_everything(c);
	OK(mvgpu_dev_reset(dev, how));
	assert_power_on();
	/* VFIO_DEVICE_RESET clears the framebuffer, the RESET register not */
	cr_assert_eq(*(uint32_t *)fb, how == MVGPU_RESET_VFIO ? 0 : htole32(0xdeadbeef));
	/* the channel object is disabled until reset */
	cr_assert_eq(mvgpu_chan_submit(c, (struct mvgpu_cmd[]){ mvgpu_cmd_nop() }, 1),
		     -ENOTCONN);
	cr_assert_eq(mvgpu_chan_wait(c, 1, 0), -ENOTCONN);
	OK(mvgpu_chan_reset(c));
	submit(c, mvgpu_cmd_fill(4096, 4096, 0x01020304));
	v = finish(c);
	cr_assert_eq(*(uint32_t *)(fb + 4096), htole32(0x01020304));
	cr_assert_gt(v, 1, "fence values keep increasing");
}

Test(device, reset_vfio)
{
	check_reset(MVGPU_RESET_VFIO);
}

Test(device, reset_register)
{
	wreg(MVGPU_REG_RESET, 0x12345678);	/* wrong magic: nothing */
	wreg(MVGPU_REG_SCRATCH, 7);
	wreg(MVGPU_REG_RESET, 0x12345678);
	cr_assert_eq(reg(MVGPU_REG_SCRATCH), 7);
	check_reset(MVGPU_RESET_REG);
}

/* ---- framebuffer read/write path ----------------------------------------- */

Test(device, fb_read_write_agree_with_mmap)
{
	static const struct { uint64_t off; size_t len; } r[] = {
		{ 0, 1 }, { 1, 1 }, { 3, 3 }, { 5, 4095 }, { 4095, 2 },
		{ 4093, 4097 }, { 4096, 4096 }, { 8191, 4097 }, { 12345, 70001 },
		{ 1, 1 << 20 }, { 64 * MiB - 1, 1 }, { 64 * MiB - 3, 3 },
		{ 64 * MiB - 4097, 4097 },
	};
	uint64_t base, size;
	uint8_t *buf = malloc(2 * MiB), *back = malloc(2 * MiB);
	size_t i;
	char c;

	cr_assert_not_null(buf);
	cr_assert_not_null(back);
	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		cr_log_info("range 0x%llx+%zu", (unsigned long long)r[i].off, r[i].len);
		/* write path -> mmap */
		randomize(buf, r[i].len);
		OK(mvgpu_fb_write(dev, r[i].off, buf, r[i].len));
		assert_same(buf, fb + r[i].off, r[i].len, r[i].off, "pwrite vs mmap");
		/* mmap -> read path */
		randomize(fb + r[i].off, r[i].len);
		OK(mvgpu_fb_read(dev, r[i].off, back, r[i].len));
		assert_same(fb + r[i].off, back, r[i].len, r[i].off, "mmap vs pread");
	}

	/* beyond the end: the library refuses, the kernel too */
	cr_assert_eq(mvgpu_fb_read(dev, fb_size, &c, 1), -EINVAL);
	cr_assert_eq(mvgpu_fb_read(dev, fb_size - 1, buf, 2), -EINVAL);
	cr_assert_eq(mvgpu_fb_write(dev, UINT64_MAX, buf, 2), -EINVAL);
	OK(mvgpu_dev_region(dev, VFIO_PCI_BAR2_REGION_INDEX, &base, &size, NULL));
	cr_assert_eq(size, fb_size);
	errno = 0;
	cr_assert_lt(pread(mvgpu_dev_fd(dev), &c, 1, (off_t)(base + size)), 0);
	cr_assert_eq(errno, EINVAL);
	/* a read straddling the end is clipped */
	cr_assert_eq(pread(mvgpu_dev_fd(dev), buf, 8, (off_t)(base + size - 3)), 3);
	free(buf);
	free(back);
}

/* ---- mvgpu exercise ------------------------------------------------------ */



Test(device, exercise_cli, .timeout = 600)
{
	static char out[65536];
	int rc;

	/* while we hold the vGPU it is busy */
	rc = lab_run(out, sizeof(out), (char *[]){ (char *)lab_cli(), "exercise",
		   "--uuid", uuid, "--passes", "1", NULL });
	cr_assert_eq(rc, 1, "%s", out);
	cr_assert_not_null(strstr(out, "in use"), "%s", out);

	mvgpu_dev_close(dev);
	dev = NULL;
	rc = lab_run(out, sizeof(out), (char *[]){ (char *)lab_cli(), "exercise",
		   "--uuid", uuid, "--passes", "5", NULL });
	cr_assert_eq(rc, 0, "%s", out);
	cr_assert_not_null(strstr(out, "pass 5/5"), "%s", out);
	cr_assert_not_null(strstr(out, "exercise: ok: 5 passes, 24 fences"), "%s", out);
	printf("%s", out);

	rc = lab_run(out, sizeof(out), (char *[]){ (char *)lab_cli(), "--json",
		   "exercise", "--uuid", uuid, "--passes", "2", "--channels", "2",
		   "--seed", "7", NULL });
	cr_assert_eq(rc, 0, "%s", out);
	cr_assert_not_null(strstr(out, "\"ok\": true"), "%s", out);
	cr_assert_not_null(strstr(out, "\"fences\": 6"), "%s", out);
}
