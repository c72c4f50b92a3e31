/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * mvgpu_abi.h - the mvgpu device ABI, shared by the kernel module, libmvgpu
 * and the tests: PCI identity, BAR layout and the vGPU type table.
 *
 * Everything a guest driver (or a userspace VFIO program standing in for one)
 * may rely on is here; docs/registers.md explains it in prose.  Values are
 * little-endian on the wire and in device memory.
 */
#ifndef MVGPU_ABI_H
#define MVGPU_ABI_H

#include <linux/types.h>

/*
 * PCI identity.  Vendor 0x1234 is QEMU's experimental vendor; no in-tree
 * guest driver binds device 0x4d47 ("MG").  Class 0x0380 (display
 * controller, other) keeps firmware and the VGA arbiter away from it.
 */
#define MVGPU_PCI_VENDOR_ID	0x1234
#define MVGPU_PCI_DEVICE_ID	0x4d47
#define MVGPU_PCI_SUBVENDOR_ID	0x1234
/* subsystem device id = MVGPU_PCI_SUBDEV_BASE + type index */
#define MVGPU_PCI_SUBDEV_BASE	0x0100
#define MVGPU_PCI_CLASS		0x038000	/* base 03, sub 80, prog-if 00 */
#define MVGPU_PCI_REVISION	0x01

/* BAR layout */
#define MVGPU_BAR_MMIO		0	/* 32-bit memory, registers */
#define MVGPU_BAR_FB		2	/* 64-bit prefetchable memory, framebuffer */
#define MVGPU_MMIO_SIZE		0x10000	/* 64 KiB of registers */

/* Config space capabilities */
#define MVGPU_CFG_CAP_MSI	0x50	/* MSI: 64-bit, per-vector masking, 1 vector */

/**
 * struct mvgpu_type_desc - one vGPU type, as offered by every parent.
 * @id:		suffix of the sysfs type directory ("mvgpu-<id>").
 * @name:	human name shown by the type's ``name`` attribute.
 * @fb_mib:	framebuffer size in MiB, a power of two; 0 for the 1:1 type,
 *		whose framebuffer is the parent's whole usable pool when the
 *		vGPU is created (a multiple of 1 MiB).  BAR2 is the framebuffer
 *		rounded up to a power of two; beyond the framebuffer it reads
 *		zeroes and ignores writes (ABI 1.2).
 * @heads:	number of display heads.
 * @max_width:	largest mode width.
 * @max_height:	largest mode height.
 * @frl:	frame rate limit (frames per second) of the console plane.
 */
struct mvgpu_type_desc {
	const char *id;
	const char *name;
	__u32 fb_mib;
	__u32 heads;
	__u32 max_width;
	__u32 max_height;
	__u32 frl;
};

/*
 * The type table.  Index order is ABI: the index is in the subsystem id and
 * (later) in the migration stream.  Append only.
 */
#define MVGPU_TYPES_INIT {						\
	{ "64M",  "MVGPU-64M",    64, 1, 1280, 1024, 60 },		\
	{ "256M", "MVGPU-256M",  256, 1, 1920, 1080, 60 },		\
	{ "512M", "MVGPU-512M",  512, 2, 2560, 1600, 60 },		\
	{ "1G",   "MVGPU-1G",   1024, 4, 3840, 2160, 60 },		\
	{ "full", "MVGPU-FULL",    0, 4, 3840, 2160, 60 },		\
}
#define MVGPU_NUM_TYPES		5
#define MVGPU_TYPE_FULL		4	/* the 1:1 type: one per parent, alone */

/*
 * BAR0 registers.  32-bit, little-endian; accesses must be 4-byte aligned
 * and a multiple of 4 bytes long (VFIO read/write fails others with EINVAL,
 * which a guest sees as all-ones).  Unlisted offsets read 0 and ignore
 * writes.
 */
#define MVGPU_ABI_MAJOR		1
#define MVGPU_ABI_MINOR		2	/* 1.1: ECC and page retirement registers,
					 * MVGPU_ERR_ECC, MVGPU_CMD_F_FRAME;
					 * 1.2: the 1:1 type, peers (P2P) */
#define MVGPU_ID_MAGIC		0x5047564d	/* "MVGP" */

#define MVGPU_REG_ID		0x0000	/* RO MVGPU_ID_MAGIC */
#define MVGPU_REG_VERSION	0x0004	/* RO major << 16 | minor */
#define MVGPU_REG_FB_SIZE_LO	0x0008	/* RO framebuffer bytes */
#define MVGPU_REG_FB_SIZE_HI	0x000c
#define MVGPU_REG_CAPS		0x0010	/* RO channels [7:0], heads [15:8], type index [23:16] */
#define MVGPU_REG_RESET		0x0014	/* WO MVGPU_RESET_MAGIC: device reset */
#define MVGPU_REG_SCRATCH	0x0018	/* RW, no effect */
#define MVGPU_REG_INTR_STATUS	0x0020	/* RO pending interrupt sources */
#define MVGPU_REG_INTR_MASK	0x0024	/* RW enabled sources (0 at reset) */
#define MVGPU_REG_INTR_ACK	0x0028	/* WO write 1s to clear STATUS bits */

#define MVGPU_RESET_MAGIC	0x52534554	/* "RSET" */

#define MVGPU_NUM_CHANNELS	4
#define MVGPU_INTR_FENCE(ch)	(1u << (ch))		/* a FENCE with MVGPU_CMD_F_IRQ */
#define MVGPU_INTR_ERROR(ch)	(1u << (8 + (ch)))	/* channel entered error */
#define MVGPU_INTR_ALL		0x0f0f

/* Display head 0: the console plane is built from these. */
#define MVGPU_REG_DISP_WIDTH	0x0100	/* pixels, 1..max width of the type */
#define MVGPU_REG_DISP_HEIGHT	0x0104	/* lines, 1..max height of the type */
#define MVGPU_REG_DISP_STRIDE	0x0108	/* bytes per line, >= width * 4, multiple of 4 */
#define MVGPU_REG_DISP_FORMAT	0x010c	/* DRM fourcc; only MVGPU_FMT_XRGB8888 */
#define MVGPU_REG_DISP_OFFSET	0x0110	/* byte offset of the first pixel in the framebuffer */
#define MVGPU_REG_DISP_ENABLE	0x0114	/* 1: scan out */
#define MVGPU_REG_DISP_STATUS	0x0118	/* RO 1 while enabled with a valid mode */

#define MVGPU_FMT_XRGB8888	0x34325258	/* fourcc 'XR24' */

/*
 * ECC and page retirement (ABI 1.1).  The parent's ECC mode is the host's
 * choice; a guest may opt its vGPU out (ECC_CTRL), effective at the next
 * reset of the vGPU (VFIO reset or MVGPU_REG_RESET), as on hardware.
 * Volatile counters count since that reset, aggregate ones since the vGPU
 * was created (both migrate).  A double-bit error with ECC on stops every
 * channel with MVGPU_ERR_ECC and sets ECC_STATUS_KILLED; channels then
 * refuse ENABLE (MVGPU_ERR_ECC) until the next reset.  The framebuffer
 * stays contiguous: retired pages are replaced by spare ones at a reset.
 */
#define MVGPU_REG_ECC_STATUS	0x0200	/* RO MVGPU_ECC_STATUS_* */
#define MVGPU_REG_ECC_CTRL	0x0204	/* RW MVGPU_ECC_CTRL_*: takes effect at reset */
#define MVGPU_REG_ECC_SBE_VOL	0x0208	/* RO single-bit errors corrected, volatile */
#define MVGPU_REG_ECC_DBE_VOL	0x020c	/* RO double-bit errors, volatile */
#define MVGPU_REG_ECC_SBE_AGG	0x0210	/* RO single-bit errors, aggregate */
#define MVGPU_REG_ECC_DBE_AGG	0x0214	/* RO double-bit errors, aggregate */
#define MVGPU_REG_RETIRED	0x0218	/* RO pages of this vGPU retired and replaced */
#define MVGPU_REG_RETIRED_PEND	0x021c	/* RO pages retired, replaced at the next reset */

#define MVGPU_ECC_STATUS_SUPPORTED (1u << 0)	/* the parent's ECC mode is enabled */
#define MVGPU_ECC_STATUS_ENABLED   (1u << 1)	/* ECC protects this vGPU now */
#define MVGPU_ECC_STATUS_PENDING   (1u << 2)	/* ECC_CTRL differs from the
						 * current state: next reset */
#define MVGPU_ECC_STATUS_KILLED	   (1u << 3)	/* a DBE stopped the channels:
						 * reset needed */
#define MVGPU_ECC_STATUS_DDR	   (1u << 4)	/* DDR memory (ECC costs 1/16 of it) */

#define MVGPU_ECC_CTRL_OPT_OUT	(1u << 0)	/* guest: no ECC for this vGPU */

/*
 * Peers (ABI 1.2).  A vGPU's peers are the other vGPUs of the same VM (the
 * same VFIO user: iommufd context, else the process that opened them)
 * whose parents are joined to its parent by links.  The guest takes the
 * table with a write to PEER_SCAN (it is empty after a reset), reads
 * PEER_COUNT, and for each entry i writes i to PEER_SEL and reads the
 * peer's UUID and link count; it matches the UUID with each of its vGPUs'
 * own UUID registers.  MVGPU_OP_PEER_COPY then names a peer by its index.
 * The table migrates as the guest saw it; a target that cannot offer the
 * same peers over as many links refuses the stream before the source stops.
 */
#define MVGPU_REG_UUID0		0x0220	/* RO this vGPU's UUID, bytes 0..3 (byte 0 in bits 7:0) */
#define MVGPU_REG_UUID1		0x0224	/* RO bytes 4..7 */
#define MVGPU_REG_UUID2		0x0228	/* RO bytes 8..11 */
#define MVGPU_REG_UUID3		0x022c	/* RO bytes 12..15 */
#define MVGPU_REG_PEER_SCAN	0x0230	/* WO any value: build the peer table now */
#define MVGPU_REG_PEER_COUNT	0x0234	/* RO entries in the table */
#define MVGPU_REG_PEER_SEL	0x0238	/* RW entry the next registers show */
#define MVGPU_REG_PEER_UUID0	0x023c	/* RO its UUID, bytes 0..3, as UUID0 */
#define MVGPU_REG_PEER_UUID1	0x0240
#define MVGPU_REG_PEER_UUID2	0x0244
#define MVGPU_REG_PEER_UUID3	0x0248
#define MVGPU_REG_PEER_LINKS	0x024c	/* RO links to it; 0: no such entry */
#define MVGPU_REG_PEER_FB_LO	0x0250	/* RO its framebuffer bytes */
#define MVGPU_REG_PEER_FB_HI	0x0254

#define MVGPU_MAX_PEERS		7	/* a VM has up to 8 vGPUs */
#define MVGPU_MAX_LINKS		12	/* links between two parents */

/* Channel n's registers at MVGPU_REG_CH_BASE + n * MVGPU_REG_CH_STRIDE. */
#define MVGPU_REG_CH_BASE	0x1000
#define MVGPU_REG_CH_STRIDE	0x0100
#define MVGPU_REG_CH(ch, reg)	(MVGPU_REG_CH_BASE + (ch) * MVGPU_REG_CH_STRIDE + (reg))

#define MVGPU_CH_RING_BASE_LO	0x00	/* RW ring IOVA, 4 KiB aligned */
#define MVGPU_CH_RING_BASE_HI	0x04
#define MVGPU_CH_RING_SIZE	0x08	/* RW bytes: power of two, 4 KiB..1 MiB */
#define MVGPU_CH_CTRL		0x0c	/* RW MVGPU_CH_CTRL_* */
#define MVGPU_CH_PUT		0x10	/* RW doorbell: producer offset in bytes */
#define MVGPU_CH_GET		0x14	/* RO consumer offset in bytes */
#define MVGPU_CH_FENCE		0x18	/* RO value of the last completed FENCE */
#define MVGPU_CH_STATUS		0x1c	/* RO MVGPU_CH_STATUS_* */
#define MVGPU_CH_ERROR		0x20	/* RO MVGPU_ERR_* of the first error */
#define MVGPU_CH_ERROR_GET	0x24	/* RO ring offset of the failing command
					 * (for RING and PUT errors: GET then) */

#define MVGPU_CH_CTRL_ENABLE	(1u << 0)	/* validates the ring; GET = PUT = 0 */
#define MVGPU_CH_CTRL_RESET	(1u << 1)	/* write-only: disable, clear error;
						 * FENCE keeps its value */

#define MVGPU_CH_STATUS_ENABLED	(1u << 0)
#define MVGPU_CH_STATUS_BUSY	(1u << 1)	/* GET != PUT */
#define MVGPU_CH_STATUS_ERROR	(1u << 2)	/* stopped; MVGPU_CH_ERROR says why */

#define MVGPU_RING_MIN		0x1000
#define MVGPU_RING_MAX		0x100000

/* Why a channel stopped (MVGPU_CH_ERROR). */
enum mvgpu_err {
	MVGPU_ERR_NONE		= 0,
	MVGPU_ERR_RING		= 1,	/* ring base or size invalid at ENABLE
					 * (an unmapped ring is DMA, at fetch) */
	MVGPU_ERR_PUT		= 2,	/* PUT beyond the ring or misaligned */
	MVGPU_ERR_OPCODE	= 3,	/* unknown opcode or flags */
	MVGPU_ERR_DMA		= 4,	/* ring or DMA address not mapped */
	MVGPU_ERR_FB_RANGE	= 5,	/* framebuffer range out of bounds */
	MVGPU_ERR_ALIGN		= 6,	/* offset or size not 4-byte aligned */
	MVGPU_ERR_NOMEM		= 7,	/* the host could not back the framebuffer */
	MVGPU_ERR_ECC		= 8,	/* uncorrectable ECC error: reset the vGPU */
	MVGPU_ERR_PEER		= 9,	/* PEER_COPY: no such entry, or the peer
					 * is gone, closed or no longer linked */
	MVGPU_ERR_MAX		= MVGPU_ERR_PEER,
};

/*
 * Commands: 32 bytes each, little-endian, at ring offsets that are
 * multiples of 32.  The producer writes commands at PUT and then advances
 * PUT (modulo the ring size); the device consumes up to PUT and advances
 * GET.  The ring is empty when GET == PUT, so at most size/32 - 1 commands
 * are outstanding.  Framebuffer offsets and sizes are 4-byte aligned;
 * guest IOVAs need no alignment.  FILL's pattern and FENCE's value use the
 * low 32 bits of their field.  The device does not look at the bus-master
 * and MSI-enable bits of its config space: it DMAs and signals MSI as the
 * VFIO user configured it.
 */
struct mvgpu_cmd {
	__le32 op;
	__le32 flags;
	__le64 a;
	__le64 b;
	__le64 c;
};

#define MVGPU_CMD_SIZE		32

enum mvgpu_op {
	MVGPU_OP_NOP		= 0,	/* nothing */
	MVGPU_OP_FILL		= 1,	/* a = fb offset, b = bytes, c = 32-bit pattern */
	MVGPU_OP_COPY		= 2,	/* a = src fb offset, b = dst fb offset, c = bytes (overlap ok) */
	MVGPU_OP_DMA_TO_FB	= 3,	/* a = guest IOVA, b = fb offset, c = bytes */
	MVGPU_OP_DMA_FROM_FB	= 4,	/* a = fb offset, b = guest IOVA, c = bytes */
	MVGPU_OP_FENCE		= 5,	/* a = 32-bit value; b = IOVA if MVGPU_CMD_F_FENCE_MEM */
	MVGPU_OP_PEER_COPY	= 6,	/* a = fb offset here, b = fb offset in the
					 * peer, c = bytes; flags: the peer's
					 * index, MVGPU_CMD_F_PEER_READ */
	MVGPU_OP_MAX		= MVGPU_OP_PEER_COPY,
};

#define MVGPU_CMD_F_IRQ		(1u << 0)	/* FENCE: raise MVGPU_INTR_FENCE(ch) */
#define MVGPU_CMD_F_FENCE_MEM	(1u << 1)	/* FENCE: also write the value (le32) at b */
#define MVGPU_CMD_F_FRAME	(1u << 2)	/* FENCE: ends a frame; with the frame
						 * rate limiter on, completes no sooner
						 * than 1/frl s after the last one */
#define MVGPU_CMD_F_ALL		(MVGPU_CMD_F_IRQ | MVGPU_CMD_F_FENCE_MEM | \
				 MVGPU_CMD_F_FRAME)

/* PEER_COPY's flags: copies run at the links' bandwidth (links x the
 * module's link_mib_s), so NV2 moves twice what NV1 does. */
#define MVGPU_CMD_PEER_MASK	0x7u		/* index in the peer table */
#define MVGPU_CMD_F_PEER_READ	(1u << 8)	/* from the peer to here; else
						 * from here to the peer */
#define MVGPU_CMD_PEER_F_ALL	(MVGPU_CMD_PEER_MASK | MVGPU_CMD_F_PEER_READ)

#endif /* MVGPU_ABI_H */
