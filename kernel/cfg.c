// SPDX-License-Identifier: GPL-2.0
/*
 * cfg.c - the vGPU's PCI configuration space.
 *
 * 256 bytes of conventional config space, emulated byte by byte: each byte
 * has a write mask (bits the guest may change) and a write-1-to-clear mask.
 * BAR sizing falls out of the masks: the low bits of a BAR below its size
 * are not writable, so writing all ones reads back the size mask.
 */
#include <linux/pci_regs.h>
#include <linux/string.h>
#include <linux/unaligned.h>

#include "mvgpu.h"

static void cfg_set16(u8 *a, unsigned int off, u16 v)
{
	put_unaligned_le16(v, a + off);
}

static void cfg_set32(u8 *a, unsigned int off, u32 v)
{
	put_unaligned_le32(v, a + off);
}

/**
 * mvgpu_cfg_init() - put config space in its power-on state.
 * @vgpu: the vGPU; caller holds vgpu->lock or has sole access.
 */
void mvgpu_cfg_init(struct mvgpu_vgpu *vgpu)
{
	u8 *c = vgpu->cfg, *w = vgpu->cfg_wmask, *w1c = vgpu->cfg_w1c;
	u64 fb_mask = ~(vgpu->bar2_size - 1);
	const unsigned int msi = MVGPU_CFG_CAP_MSI;

	memset(c, 0, PCI_CFG_SPACE_SIZE);
	memset(w, 0, PCI_CFG_SPACE_SIZE);
	memset(w1c, 0, PCI_CFG_SPACE_SIZE);

	cfg_set16(c, PCI_VENDOR_ID, MVGPU_PCI_VENDOR_ID);
	cfg_set16(c, PCI_DEVICE_ID, MVGPU_PCI_DEVICE_ID);
	cfg_set16(w, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
		  PCI_COMMAND_PARITY | PCI_COMMAND_SERR |
		  PCI_COMMAND_INTX_DISABLE);
	cfg_set16(c, PCI_STATUS, PCI_STATUS_CAP_LIST);
	cfg_set16(w1c, PCI_STATUS, PCI_STATUS_DETECTED_PARITY |
		  PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_REC_MASTER_ABORT |
		  PCI_STATUS_REC_TARGET_ABORT | PCI_STATUS_SIG_TARGET_ABORT |
		  PCI_STATUS_PARITY);
	c[PCI_REVISION_ID] = MVGPU_PCI_REVISION;
	c[PCI_CLASS_PROG] = MVGPU_PCI_CLASS & 0xff;
	cfg_set16(c, PCI_CLASS_DEVICE, MVGPU_PCI_CLASS >> 8);
	w[PCI_CACHE_LINE_SIZE] = 0xff;
	w[PCI_LATENCY_TIMER] = 0xff;

	/* BAR0: 32-bit non-prefetchable registers */
	cfg_set32(c, PCI_BASE_ADDRESS_0, PCI_BASE_ADDRESS_MEM_TYPE_32);
	cfg_set32(w, PCI_BASE_ADDRESS_0, ~(u32)(MVGPU_MMIO_SIZE - 1));
	/* BAR2/3: 64-bit prefetchable framebuffer */
	cfg_set32(c, PCI_BASE_ADDRESS_2, PCI_BASE_ADDRESS_MEM_TYPE_64 |
		  PCI_BASE_ADDRESS_MEM_PREFETCH);
	cfg_set32(w, PCI_BASE_ADDRESS_2, lower_32_bits(fb_mask) &
		  PCI_BASE_ADDRESS_MEM_MASK);
	cfg_set32(w, PCI_BASE_ADDRESS_3, upper_32_bits(fb_mask));

	cfg_set16(c, PCI_SUBSYSTEM_VENDOR_ID, MVGPU_PCI_SUBVENDOR_ID);
	cfg_set16(c, PCI_SUBSYSTEM_ID,
		  MVGPU_PCI_SUBDEV_BASE + vgpu->vtype->index);
	c[PCI_CAPABILITY_LIST] = msi;
	w[PCI_INTERRUPT_LINE] = 0xff;
	c[PCI_INTERRUPT_PIN] = 1;	/* INTA# */

	/* MSI: 64-bit address, per-vector masking, one vector */
	c[msi + PCI_CAP_LIST_ID] = PCI_CAP_ID_MSI;
	c[msi + PCI_CAP_LIST_NEXT] = 0;
	cfg_set16(c, msi + PCI_MSI_FLAGS, PCI_MSI_FLAGS_64BIT |
		  PCI_MSI_FLAGS_MASKBIT);
	cfg_set16(w, msi + PCI_MSI_FLAGS, PCI_MSI_FLAGS_ENABLE |
		  PCI_MSI_FLAGS_QSIZE);
	cfg_set32(w, msi + PCI_MSI_ADDRESS_LO, 0xfffffffc);
	cfg_set32(w, msi + PCI_MSI_ADDRESS_HI, 0xffffffff);
	cfg_set16(w, msi + PCI_MSI_DATA_64, 0xffff);
	cfg_set32(w, msi + PCI_MSI_MASK_64, 0x1);
}

static bool cfg_range_ok(unsigned int off, unsigned int len)
{
	return len && off < PCI_CFG_SPACE_SIZE &&
	       len <= PCI_CFG_SPACE_SIZE - off;
}

/**
 * mvgpu_cfg_read() - read config space bytes.
 * @vgpu: the vGPU; caller holds vgpu->lock.
 * @off: byte offset.
 * @val: where to put the bytes.
 * @len: how many (any length within the 256 bytes).
 *
 * Return: 0, or -EINVAL when the range is outside config space.
 */
int mvgpu_cfg_read(struct mvgpu_vgpu *vgpu, unsigned int off, void *val,
		   unsigned int len)
{
	if (!cfg_range_ok(off, len))
		return -EINVAL;
	memcpy(val, vgpu->cfg + off, len);
	return 0;
}

/**
 * mvgpu_cfg_write() - write config space bytes through the write masks.
 * @vgpu: the vGPU; caller holds vgpu->lock.
 * @off: byte offset.
 * @val: the bytes.
 * @len: how many (any length within the 256 bytes).
 *
 * Read-only bits keep their value, write-1-to-clear bits clear where @val
 * has ones.
 *
 * Return: 0, or -EINVAL when the range is outside config space.
 */
int mvgpu_cfg_write(struct mvgpu_vgpu *vgpu, unsigned int off,
		    const void *val, unsigned int len)
{
	const u8 *v = val;
	unsigned int i;

	if (!cfg_range_ok(off, len))
		return -EINVAL;
	for (i = 0; i < len; i++) {
		unsigned int o = off + i;
		u8 b = vgpu->cfg[o];

		b = (b & ~vgpu->cfg_wmask[o]) | (v[i] & vgpu->cfg_wmask[o]);
		b &= ~(v[i] & vgpu->cfg_w1c[o]);
		vgpu->cfg[o] = b;
	}
	return 0;
}
