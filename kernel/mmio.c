// SPDX-License-Identifier: GPL-2.0
/*
 * mmio.c - BAR0: the register file (proto/mvgpu_abi.h has the map).
 *
 * All entry points run with vgpu->lock held.
 */
#include <linux/mm.h>
#include <linux/pci_regs.h>

#include "mvgpu.h"

/**
 * mvgpu_mmio_reset() - registers to their power-on values.
 * @vgpu: the vGPU; caller holds vgpu->lock.
 *
 * Channels are reset separately (mvgpu_channels_reset()).
 */
void mvgpu_mmio_reset(struct mvgpu_vgpu *vgpu)
{
	vgpu->intr_status = 0;
	vgpu->intr_mask = 0;
	vgpu->scratch = 0;
	memset(&vgpu->disp, 0, sizeof(vgpu->disp));
	vgpu->disp.format = MVGPU_FMT_XRGB8888;
}

/**
 * mvgpu_display_valid() - does head 0 scan out a valid mode?
 * @vgpu: the vGPU; caller holds vgpu->lock.
 *
 * Return: true when enabled with a mode that fits the type, and whose
 * stride x height bytes from DISP_OFFSET fit the framebuffer.
 */
bool mvgpu_display_valid(struct mvgpu_vgpu *vgpu)
{
	const struct mvgpu_display *d = &vgpu->disp;
	const struct mvgpu_type_desc *t = vgpu->vtype->desc;
	u64 size, end;

	if (!d->enable || d->format != MVGPU_FMT_XRGB8888)
		return false;
	if (!d->width || d->width > t->max_width ||
	    !d->height || d->height > t->max_height)
		return false;
	if (d->stride % 4 || d->stride < (u64)d->width * 4 || d->offset % 4)
		return false;
	/*
	 * The whole plane as a scanout reads it, stride x height bytes (u64:
	 * both are guest values), inside the framebuffer and describable in
	 * the u32 size of VFIO_DEVICE_QUERY_GFX_PLANE.
	 */
	size = (u64)d->stride * d->height;
	end = (u64)d->offset + size;
	return end <= vgpu->fb_size && PAGE_ALIGN(size) <= U32_MAX;
}

static u32 *mvgpu_disp_reg(struct mvgpu_vgpu *vgpu, u32 off)
{
	switch (off) {
	case MVGPU_REG_DISP_WIDTH:	return &vgpu->disp.width;
	case MVGPU_REG_DISP_HEIGHT:	return &vgpu->disp.height;
	case MVGPU_REG_DISP_STRIDE:	return &vgpu->disp.stride;
	case MVGPU_REG_DISP_FORMAT:	return &vgpu->disp.format;
	case MVGPU_REG_DISP_OFFSET:	return &vgpu->disp.offset;
	case MVGPU_REG_DISP_ENABLE:	return &vgpu->disp.enable;
	}
	return NULL;
}

static bool mvgpu_ch_reg(u32 off, unsigned int *ch, u32 *reg)
{
	if (off < MVGPU_REG_CH_BASE ||
	    off >= MVGPU_REG_CH(MVGPU_NUM_CHANNELS, 0))
		return false;
	*ch = (off - MVGPU_REG_CH_BASE) / MVGPU_REG_CH_STRIDE;
	*reg = (off - MVGPU_REG_CH_BASE) % MVGPU_REG_CH_STRIDE;
	return true;
}

/**
 * mvgpu_mmio_read() - read one register.
 * @vgpu: the vGPU; caller holds vgpu->lock.
 * @off: 4-byte aligned offset inside BAR0.
 *
 * Return: the register's value; 0 for unlisted offsets.
 */
u32 mvgpu_mmio_read(struct mvgpu_vgpu *vgpu, u32 off)
{
	u64 fb_size = vgpu->fb_size;
	unsigned int ch;
	u32 reg, *r;

	switch (off) {
	case MVGPU_REG_ID:
		return MVGPU_ID_MAGIC;
	case MVGPU_REG_VERSION:
		return MVGPU_ABI_MAJOR << 16 | MVGPU_ABI_MINOR;
	case MVGPU_REG_FB_SIZE_LO:
		return lower_32_bits(fb_size);
	case MVGPU_REG_FB_SIZE_HI:
		return upper_32_bits(fb_size);
	case MVGPU_REG_CAPS:
		return MVGPU_NUM_CHANNELS | vgpu->vtype->desc->heads << 8 |
		       vgpu->vtype->index << 16;
	case MVGPU_REG_SCRATCH:
		return vgpu->scratch;
	case MVGPU_REG_INTR_STATUS:
		return vgpu->intr_status;
	case MVGPU_REG_INTR_MASK:
		return vgpu->intr_mask;
	case MVGPU_REG_DISP_STATUS:
		return mvgpu_display_valid(vgpu);
	case MVGPU_REG_ECC_STATUS ... MVGPU_REG_RETIRED_PEND:
		return mvgpu_ecc_read(vgpu, off);
	case MVGPU_REG_UUID0 ... MVGPU_REG_PEER_FB_HI:
		return mvgpu_p2p_read(vgpu, off);
	}
	r = mvgpu_disp_reg(vgpu, off);
	if (r)
		return *r;
	if (mvgpu_ch_reg(off, &ch, &reg))
		return mvgpu_channel_read(vgpu, ch, reg);
	return 0;
}

/**
 * mvgpu_mmio_write() - write one register.
 * @vgpu: the vGPU; caller holds vgpu->lock.
 * @off: 4-byte aligned offset inside BAR0.
 * @val: the value.
 *
 * Read-only and unlisted registers ignore writes.
 */
void mvgpu_mmio_write(struct mvgpu_vgpu *vgpu, u32 off, u32 val)
{
	unsigned int ch;
	u32 reg, *r;

	switch (off) {
	case MVGPU_REG_RESET:
		if (val == MVGPU_RESET_MAGIC)
			mvgpu_engine_reset(vgpu);
		return;
	case MVGPU_REG_SCRATCH:
		vgpu->scratch = val;
		return;
	case MVGPU_REG_INTR_MASK:
		vgpu->intr_mask = val & MVGPU_INTR_ALL;
		mvgpu_irq_update(vgpu);
		return;
	case MVGPU_REG_INTR_ACK:
		vgpu->intr_status &= ~val;
		mvgpu_irq_update(vgpu);
		return;
	case MVGPU_REG_ECC_CTRL:
		mvgpu_ecc_write(vgpu, off, val);
		return;
	case MVGPU_REG_PEER_SCAN:
	case MVGPU_REG_PEER_SEL:
		mvgpu_p2p_write(vgpu, off, val);
		return;
	}
	r = mvgpu_disp_reg(vgpu, off);
	if (r) {
		*r = val;
		return;
	}
	if (mvgpu_ch_reg(off, &ch, &reg))
		mvgpu_channel_write(vgpu, ch, reg, val);
}
