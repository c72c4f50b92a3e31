/*
 * test_device.c - the parts of libmvgpu's device access that need no
 * device: ring arithmetic, fence comparison, IOVA allocation, command
 * encoding, and mvgpu_dev_open()'s errors before VFIO is reached.
 * (The lab suite "device" runs the rest against the real module.)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "device.h"
#include "fake_sysfs.h"

#define U1 "11111111-1111-4111-8111-111111111111"

/* ---- ring arithmetic ---------------------------------------------------- */

Test(ring, used_and_free)
{
	cr_assert_eq(mvgpu__ring_used(0, 0, 4096), 0);
	cr_assert_eq(mvgpu__ring_free(0, 0, 4096), 4096 - 32);
	cr_assert_eq(mvgpu__ring_used(64, 0, 4096), 64);
	cr_assert_eq(mvgpu__ring_free(64, 0, 4096), 4096 - 32 - 64);
	/* PUT wrapped below GET */
	cr_assert_eq(mvgpu__ring_used(32, 4064, 4096), 64);
	cr_assert_eq(mvgpu__ring_free(32, 4064, 4096), 4096 - 32 - 64);
	/* full: one slot stays empty */
	cr_assert_eq(mvgpu__ring_used(4064, 0, 4096), 4064);
	cr_assert_eq(mvgpu__ring_free(4064, 0, 4096), 0);
	cr_assert_eq(mvgpu__ring_free(0, 32, 4096), 0);
	cr_assert_eq(mvgpu__ring_free(0, 0, MVGPU_RING_MAX), MVGPU_RING_MAX - 32);
}

Test(ring, offsets_from_the_device)
{
	cr_assert(mvgpu__ring_off_ok(0, 4096));
	cr_assert(mvgpu__ring_off_ok(4064, 4096));
	cr_assert_not(mvgpu__ring_off_ok(4096, 4096));
	cr_assert_not(mvgpu__ring_off_ok(16, 4096));
	cr_assert_not(mvgpu__ring_off_ok(0xffffffe0, 4096));
}

static struct mvgpu_cmd numbered(uint32_t i)
{
	return mvgpu_cmd_raw(MVGPU_OP_NOP, 0, i, 0, 0);
}

Test(ring, copy_wraps_at_the_end)
{
	uint8_t ring[4096];
	struct mvgpu_cmd cmds[5], got;
	uint32_t put;
	int i;

	memset(ring, 0xee, sizeof(ring));
	for (i = 0; i < 5; i++)
		cmds[i] = numbered(100 + i);
	put = mvgpu__ring_copy(ring, sizeof(ring), 4032, cmds, 5);
	cr_assert_eq(put, 96);
	memcpy(&got, ring + 4032, 32);
	cr_assert_eq(le64toh(got.a), 100);
	memcpy(&got, ring + 4064, 32);
	cr_assert_eq(le64toh(got.a), 101);
	for (i = 0; i < 3; i++) {
		memcpy(&got, ring + 32 * i, 32);
		cr_assert_eq(le64toh(got.a), 102 + i);
	}
	cr_assert_eq(ring[96], 0xee, "nothing written past PUT");
	cr_assert_eq(ring[4031], 0xee, "nothing written before the old PUT");

	/* exactly to the end: PUT wraps to 0 */
	cr_assert_eq(mvgpu__ring_copy(ring, sizeof(ring), 4032, cmds, 2), 0);
	cr_assert_eq(mvgpu__ring_copy(ring, sizeof(ring), 0, cmds, 0), 0);
}

Test(fence, wrap_safe_comparison)
{
	cr_assert(mvgpu__fence_passed(5, 5));
	cr_assert(mvgpu__fence_passed(6, 5));
	cr_assert_not(mvgpu__fence_passed(4, 5));
	/* across the wrap */
	cr_assert(mvgpu__fence_passed(3, 0xfffffffe));
	cr_assert_not(mvgpu__fence_passed(0xfffffffe, 3));
	cr_assert(mvgpu__fence_passed(0, 0xffffffff));
	cr_assert(mvgpu__fence_passed(0x80000000u + 5, 6));
}

/* ---- IOVA allocation ---------------------------------------------------- */

#define BASE MVGPU_DMA_IOVA_BASE
#define PG   4096ull

Test(iova, first_fit_with_guards)
{
	struct mvgpu__dma_map m[3] = {
		{ BASE, 2 * PG, NULL },			/* [B, B+2p) */
		{ BASE + 5 * PG, PG, NULL },		/* [B+5p, B+6p) */
		{ BASE + 10 * PG, PG, NULL },		/* [B+10p, B+11p) */
	};
	uint64_t out;

	cr_assert_eq(mvgpu__iova_find(NULL, 0, BASE, MVGPU_DMA_IOVA_LIMIT, PG, PG, &out), 0);
	cr_assert_eq(out, BASE);
	/* one page fits between m0 and m1 with a guard on each side */
	cr_assert_eq(mvgpu__iova_find(m, 3, BASE, MVGPU_DMA_IOVA_LIMIT, PG, PG, &out), 0);
	cr_assert_eq(out, BASE + 3 * PG);
	/* two pages do not: the next gap, after m1, has exactly room */
	cr_assert_eq(mvgpu__iova_find(m, 3, BASE, MVGPU_DMA_IOVA_LIMIT, 2 * PG, PG, &out), 0);
	cr_assert_eq(out, BASE + 7 * PG);
	/* four pages: only after m2 */
	cr_assert_eq(mvgpu__iova_find(m, 3, BASE, MVGPU_DMA_IOVA_LIMIT, 4 * PG, PG, &out), 0);
	cr_assert_eq(out, BASE + 12 * PG);
	/* no guard asked: right after m0 */
	cr_assert_eq(mvgpu__iova_find(m, 3, BASE, MVGPU_DMA_IOVA_LIMIT, 2 * PG, 0, &out), 0);
	cr_assert_eq(out, BASE + 2 * PG);
	/* the base is rounded up to a page */
	cr_assert_eq(mvgpu__iova_find(NULL, 0, BASE + 1, MVGPU_DMA_IOVA_LIMIT, PG, PG, &out), 0);
	cr_assert_eq(out, BASE + PG);
}

Test(iova, limits)
{
	struct mvgpu__dma_map m = { BASE, 8 * PG, NULL };
	uint64_t out = 0;

	cr_assert_eq(mvgpu__iova_find(NULL, 0, BASE, BASE + 4 * PG, 4 * PG, PG, &out), 0);
	cr_assert_eq(mvgpu__iova_find(NULL, 0, BASE, BASE + 4 * PG, 5 * PG, PG, &out), -ENOSPC);
	cr_assert_eq(mvgpu__iova_find(&m, 1, BASE, BASE + 10 * PG, 2 * PG, PG, &out), -ENOSPC);
	cr_assert_eq(mvgpu__iova_find(&m, 1, BASE, BASE + 11 * PG, 2 * PG, PG, &out), 0);
	cr_assert_eq(out, BASE + 9 * PG);
	cr_assert_eq(mvgpu__iova_find(NULL, 0, BASE, MVGPU_DMA_IOVA_LIMIT, 0, PG, &out), -ENOSPC);
	cr_assert_eq(mvgpu__iova_find(NULL, 0, BASE, UINT64_MAX, PG, PG, &out), -ENOSPC);
}

/* ---- command encoding --------------------------------------------------- */

static uint64_t le_at(const struct mvgpu_cmd *c, size_t off, size_t len)
{
	const uint8_t *p = (const uint8_t *)c;
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < len; i++)
		v |= (uint64_t)p[off + i] << (8 * i);
	return v;
}

static void expect_cmd(struct mvgpu_cmd c, uint32_t op, uint32_t flags,
		       uint64_t a, uint64_t b, uint64_t cc)
{
	cr_assert_eq(sizeof(c), 32);
	cr_assert_eq(le_at(&c, 0, 4), op);
	cr_assert_eq(le_at(&c, 4, 4), flags);
	cr_assert_eq(le_at(&c, 8, 8), a);
	cr_assert_eq(le_at(&c, 16, 8), b);
	cr_assert_eq(le_at(&c, 24, 8), cc);
}

Test(cmd, encoding)
{
	expect_cmd(mvgpu_cmd_nop(), 0, 0, 0, 0, 0);
	expect_cmd(mvgpu_cmd_fill(0x1122334455667788ull, 0x40, 0xa1b2c3d4),
		   1, 0, 0x1122334455667788ull, 0x40, 0xa1b2c3d4);
	expect_cmd(mvgpu_cmd_copy(1, 2, 3), 2, 0, 1, 2, 3);
	expect_cmd(mvgpu_cmd_dma_to_fb(0x40000000, 8, 16), 3, 0, 0x40000000, 8, 16);
	expect_cmd(mvgpu_cmd_dma_from_fb(8, 0x40001000, 16), 4, 0, 8, 0x40001000, 16);
	expect_cmd(mvgpu_cmd_fence(7, MVGPU_CMD_F_IRQ | MVGPU_CMD_F_FENCE_MEM, 0x5000),
		   5, 3, 7, 0x5000, 0);
	/* without FENCE_MEM the address is not sent */
	expect_cmd(mvgpu_cmd_fence(7, MVGPU_CMD_F_IRQ, 0x5000), 5, 1, 7, 0, 0);
	expect_cmd(mvgpu_cmd_raw(0xdeadbeef, 0xffffffff, 1, 2, 3),
		   0xdeadbeef, 0xffffffff, 1, 2, 3);
}

Test(cmd, error_names)
{
	cr_assert_str_eq(mvgpu_err_name(MVGPU_ERR_NONE), "NONE");
	cr_assert_str_eq(mvgpu_err_name(MVGPU_ERR_RING), "RING");
	cr_assert_str_eq(mvgpu_err_name(MVGPU_ERR_PUT), "PUT");
	cr_assert_str_eq(mvgpu_err_name(MVGPU_ERR_OPCODE), "OPCODE");
	cr_assert_str_eq(mvgpu_err_name(MVGPU_ERR_DMA), "DMA");
	cr_assert_str_eq(mvgpu_err_name(MVGPU_ERR_FB_RANGE), "FB_RANGE");
	cr_assert_str_eq(mvgpu_err_name(MVGPU_ERR_ALIGN), "ALIGN");
	cr_assert_str_eq(mvgpu_err_name(MVGPU_ERR_NOMEM), "NOMEM");
	cr_assert_str_eq(mvgpu_err_name(MVGPU_ERR_PEER), "PEER");
	cr_assert_str_eq(mvgpu_err_name(99), "UNKNOWN");
}

/* ---- opening: errors before VFIO ---------------------------------------- */

static struct fake *F;
static mvgpu_ctx *ctx;

static void open_setup(void)
{
	F = fake_new();
	fake_std(F);
	cr_assert_eq(mvgpu_ctx_create(&ctx, F->root), 0);
}

static void open_teardown(void)
{
	mvgpu_ctx_free(ctx);
	fake_free(F);
}

TestSuite(dev_open, .init = open_setup, .fini = open_teardown);

Test(dev_open, argument_errors)
{
	mvgpu_dev *d = (mvgpu_dev *)&d;

	cr_assert_eq(mvgpu_dev_open(NULL, U1, &d), -EINVAL);
	cr_assert_eq(mvgpu_dev_open(ctx, NULL, &d), -EINVAL);
	cr_assert_eq(mvgpu_dev_open(ctx, U1, NULL), -EINVAL);
	cr_assert_eq(mvgpu_dev_open(ctx, "nope", &d), -EINVAL);
	cr_assert_eq(d, (mvgpu_dev *)&d, "unchanged on failure");
	mvgpu_dev_close(NULL);
}

Test(dev_open, no_such_vgpu)
{
	mvgpu_dev *d = NULL;

	cr_assert_eq(mvgpu_dev_open(ctx, U1, &d), -ENOENT);
	cr_assert_not_null(strstr(mvgpu_last_error(ctx), U1));
	cr_assert_null(d);
}

Test(dev_open, no_iommu_group)
{
	mvgpu_dev *d = NULL;

	fake_add_vgpu(F, "mvgpu0", "mvgpu-256M", U1, -1, "0");
	cr_assert_eq(mvgpu_dev_open(ctx, U1, &d), -ENODEV);
	cr_assert_not_null(strstr(mvgpu_last_error(ctx), "IOMMU group"));
}

Test(dev_open, no_vfio_here)
{
	mvgpu_dev *d = NULL;
	int ret;

	if (access("/dev/vfio/vfio", F_OK) == 0)
		cr_skip_test("this machine has VFIO");
	fake_add_vgpu(F, "mvgpu0", "mvgpu-256M", U1, 7, "0");
	ret = mvgpu_dev_open(ctx, U1, &d);
	cr_assert_eq(ret, -ENODEV, "%d: %s", ret, mvgpu_last_error(ctx));
	cr_assert_not_null(strstr(mvgpu_last_error(ctx), "/dev/vfio/vfio"));
	cr_assert_null(d);
}
