// SPDX-License-Identifier: MIT
/*
 * The engine through raw VFIO (no libmvgpu): a ring in guest memory, a
 * doorbell, commands, fences in a register and in memory, the MSI eventfd,
 * BAR2 through mmap and through pread.  libmvgpu's own suite ("device")
 * covers each command in depth.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/vfio.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lab.h"
#include "mvgpu_abi.h"

#define RING_IOVA 0x100000ull
#define DATA_IOVA 0x200000ull
#define RING_SIZE 4096

static char uuid[37];
static struct lab_vfio v;
static struct mvgpu_cmd *ring;
static uint32_t *data;
static uint32_t put;

static void setup(void)
{
	lab_remove_all();
	cr_assert_eq(lab_create("/sys/class/mdev_bus/mvgpu0", "64M", uuid), 0);
	cr_assert_eq(lab_vfio_open(&v, uuid), 0);
	ring = lab_dma_map(&v, RING_SIZE, RING_IOVA);
	data = lab_dma_map(&v, 65536, DATA_IOVA);
	cr_assert_not_null(ring);
	cr_assert_not_null(data);
	put = 0;
}

static void teardown(void)
{
	lab_vfio_close(&v);
	lab_remove_all();
}

TestSuite(engine, .init = setup, .fini = teardown);

static void ch_start(unsigned int ch)
{
	lab_reg_write(&v, MVGPU_REG_CH(ch, MVGPU_CH_RING_BASE_LO), RING_IOVA);
	lab_reg_write(&v, MVGPU_REG_CH(ch, MVGPU_CH_RING_BASE_HI), 0);
	lab_reg_write(&v, MVGPU_REG_CH(ch, MVGPU_CH_RING_SIZE), RING_SIZE);
	lab_reg_write(&v, MVGPU_REG_CH(ch, MVGPU_CH_CTRL), MVGPU_CH_CTRL_ENABLE);
	cr_assert_eq(lab_reg_read(&v, MVGPU_REG_CH(ch, MVGPU_CH_STATUS)),
		     MVGPU_CH_STATUS_ENABLED);
}

static void emit(uint32_t op, uint32_t flags, uint64_t a, uint64_t b, uint64_t c)
{
	struct mvgpu_cmd *cmd = &ring[put / MVGPU_CMD_SIZE];

	cmd->op = op;
	cmd->flags = flags;
	cmd->a = a;
	cmd->b = b;
	cmd->c = c;
	put = (put + MVGPU_CMD_SIZE) % RING_SIZE;
}

static int msi_eventfd(void)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
	struct vfio_irq_set *set = (void *)buf;
	int32_t fd = eventfd(0, EFD_CLOEXEC);

	cr_assert_geq(fd, 0);
	set->argsz = sizeof(buf);
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = VFIO_PCI_MSI_IRQ_INDEX;
	set->start = 0;
	set->count = 1;
	memcpy(set->data, &fd, sizeof(fd));
	cr_assert_eq(ioctl(v.device, VFIO_DEVICE_SET_IRQS, set), 0);
	return fd;
}

/* Blocks on the MSI eventfd until the channel's fence reaches value. */
static void wait_fence(int efd, unsigned int ch, uint32_t value)
{
	while (lab_reg_read(&v, MVGPU_REG_CH(ch, MVGPU_CH_FENCE)) != value) {
		struct pollfd p = { .fd = efd, .events = POLLIN };
		uint64_t n;

		cr_assert_eq(lab_reg_read(&v, MVGPU_REG_CH(ch, MVGPU_CH_ERROR)), 0);
		cr_assert_eq(poll(&p, 1, 20000), 1, "no fence interrupt");
		cr_assert_eq(read(efd, &n, sizeof(n)), sizeof(n));
		lab_reg_write(&v, MVGPU_REG_INTR_ACK, MVGPU_INTR_FENCE(ch));
	}
}

Test(engine, identity_registers)
{
	cr_assert_eq(lab_reg_read(&v, MVGPU_REG_ID), MVGPU_ID_MAGIC);
	cr_assert_eq(lab_reg_read(&v, MVGPU_REG_VERSION), MVGPU_ABI_MAJOR << 16 | MVGPU_ABI_MINOR);
	cr_assert_eq(lab_reg_read(&v, MVGPU_REG_FB_SIZE_LO), 64u << 20);
	cr_assert_eq(lab_reg_read(&v, MVGPU_REG_FB_SIZE_HI), 0);
	cr_assert_eq(lab_reg_read(&v, MVGPU_REG_CAPS) & 0xff, MVGPU_NUM_CHANNELS);
}

Test(engine, fill_copy_dma_fence)
{
	uint64_t bar2_size;
	long long bar2 = lab_region_offset(&v, VFIO_PCI_BAR2_REGION_INDEX, &bar2_size);
	int efd = msi_eventfd();
	uint8_t *fb;
	uint32_t word;

	cr_assert_eq(bar2_size, 64u << 20);
	fb = mmap(NULL, bar2_size, PROT_READ | PROT_WRITE, MAP_SHARED, v.device, bar2);
	cr_assert_neq(fb, MAP_FAILED);

	for (int i = 0; i < 1024; i++)
		data[i] = 0x01020304u * i;
	lab_reg_write(&v, MVGPU_REG_INTR_MASK, MVGPU_INTR_ALL);
	ch_start(1);
	emit(MVGPU_OP_FILL, 0, 4096, 8192, 0xa5a5a5a5);
	emit(MVGPU_OP_COPY, 0, 4096, 1 << 20, 8192);
	emit(MVGPU_OP_DMA_TO_FB, 0, DATA_IOVA, 2 << 20, 4096);
	emit(MVGPU_OP_DMA_FROM_FB, 0, 4096, DATA_IOVA + 8192, 64);
	emit(MVGPU_OP_NOP, 0, 0, 0, 0);
	emit(MVGPU_OP_FENCE, MVGPU_CMD_F_IRQ | MVGPU_CMD_F_FENCE_MEM, 77,
	     DATA_IOVA + 16384, 0);
	lab_reg_write(&v, MVGPU_REG_CH(1, MVGPU_CH_PUT), put);
	wait_fence(efd, 1, 77);

	cr_assert_eq(lab_reg_read(&v, MVGPU_REG_CH(1, MVGPU_CH_GET)), put);
	cr_assert_eq(data[16384 / 4], 77, "fence value in guest memory");
	for (int i = 0; i < 8192; i++) {
		cr_assert_eq(fb[4096 + i], 0xa5, "fill at %d", i);
		cr_assert_eq(fb[(1 << 20) + i], 0xa5, "copy at %d", i);
	}
	cr_assert_eq(fb[4095], 0);
	cr_assert_eq(fb[4096 + 8192], 0);
	cr_assert_eq(memcmp(fb + (2 << 20), data, 4096), 0, "dma to fb");
	cr_assert_eq(data[8192 / 4], 0xa5a5a5a5u, "dma from fb");

	/* the plain read path agrees with the mapping, at an odd offset */
	cr_assert_eq(pread(v.device, &word, 3, bar2 + (2 << 20) + 5), 3);
	cr_assert_eq(memcmp(&word, fb + (2 << 20) + 5, 3), 0);
	/* and a write through it shows in the mapping */
	word = 0x11223344;
	cr_assert_eq(pwrite(v.device, &word, 4, bar2 + 4093), 4);
	cr_assert_eq(memcmp(fb + 4093, &word, 4), 0);
	munmap(fb, bar2_size);
	close(efd);
}

Test(engine, bad_opcode_stops_only_its_channel)
{
	int efd = msi_eventfd();

	lab_reg_write(&v, MVGPU_REG_INTR_MASK, MVGPU_INTR_ALL);
	ch_start(0);
	emit(MVGPU_OP_NOP, 0, 0, 0, 0);
	emit(0x77, 0, 0, 0, 0);
	lab_reg_write(&v, MVGPU_REG_CH(0, MVGPU_CH_PUT), put);
	while (!(lab_reg_read(&v, MVGPU_REG_CH(0, MVGPU_CH_STATUS)) & MVGPU_CH_STATUS_ERROR)) {
		struct pollfd p = { .fd = efd, .events = POLLIN };
		uint64_t n;

		cr_assert_eq(poll(&p, 1, 20000), 1, "no error interrupt");
		cr_assert_eq(read(efd, &n, sizeof(n)), sizeof(n));
	}
	cr_assert_eq(lab_reg_read(&v, MVGPU_REG_CH(0, MVGPU_CH_ERROR)), MVGPU_ERR_OPCODE);
	cr_assert_eq(lab_reg_read(&v, MVGPU_REG_CH(0, MVGPU_CH_ERROR_GET)), 32);
	cr_assert(lab_reg_read(&v, MVGPU_REG_INTR_STATUS) & MVGPU_INTR_ERROR(0));

	/* channel 2 carries on, on a ring of its own */
	cr_assert_not_null(lab_dma_map(&v, RING_SIZE, RING_IOVA + 0x10000));
	lab_reg_write(&v, MVGPU_REG_CH(2, MVGPU_CH_RING_BASE_LO), RING_IOVA + 0x10000);
	lab_reg_write(&v, MVGPU_REG_CH(2, MVGPU_CH_RING_SIZE), RING_SIZE);
	lab_reg_write(&v, MVGPU_REG_CH(2, MVGPU_CH_CTRL), MVGPU_CH_CTRL_ENABLE);
	cr_assert_eq(lab_reg_read(&v, MVGPU_REG_CH(2, MVGPU_CH_STATUS)), MVGPU_CH_STATUS_ENABLED);

	lab_reg_write(&v, MVGPU_REG_CH(0, MVGPU_CH_CTRL), MVGPU_CH_CTRL_RESET);
	cr_assert_eq(lab_reg_read(&v, MVGPU_REG_CH(0, MVGPU_CH_STATUS)), 0);
	cr_assert_eq(lab_reg_read(&v, MVGPU_REG_CH(0, MVGPU_CH_ERROR)), 0);
	close(efd);
}
