// SPDX-License-Identifier: MIT
/*
 * ops.c - the catalogue: every op kind, its weight (how often it is drawn)
 * and the resources it needs from the table.  The names are what the log,
 * --disable/--only and the summary use.  Append freely; the order is not
 * an ABI (logs name kinds, not numbers).
 */
#include "fuzz.h"

#include <string.h>

#define DEV		RK(R_DEV)
#define OPT		NEED_OPT
#define SAME		NEED_SAME
#define K(n, w, ...)	{ .name = #n, .run = op_##n, .weight = w, __VA_ARGS__ }

const struct opdef sf_ops[] = {
	/* VFIO device ioctls */
	K(get_info, 9, .need = {DEV}),
	K(region_info, 12, .need = {DEV}),
	K(irq_info, 9, .need = {DEV}),
	K(set_irqs, 24, .need = {DEV, RK(R_EVENTFD)}, .flags = {0, OPT}),
	K(reset, 9, .need = {DEV}),
	K(feature, 15, .need = {DEV}),
	K(mig_state, 30, .need = {DEV}),
	K(mig_get, 12, .need = {DEV}),
	K(gfx_plane, 9, .need = {DEV}),
	K(gfx_dmabuf, 3, .need = {DEV}),
	K(dev_ioctl, 6, .need = {DEV}),
	/* regions, mappings */
	K(region_rw, 24, .need = {DEV, RK(R_MAP)}, .flags = {0, OPT | SAME}),
	K(mmio, 30, .need = {DEV, RK(R_DMA)}, .flags = {0, OPT | SAME}),
	K(cfg, 12, .need = {DEV}),
	K(fb_rw, 15, .need = {DEV, RK(R_MAP)}, .flags = {0, OPT | SAME}),
	K(mmap, 9, .need = {DEV}),
	K(map_touch, 15, .need = {RK(R_MAP)}),
	K(munmap, 6, .need = {RK(R_MAP)}),
	/* DMA memory and channels */
	K(dma_map, 9, .need = {RK(R_GROUP), RK(R_MAP)}, .flags = {0, OPT | SAME}),
	K(dma_unmap, 3, .need = {RK(R_DMA)}),
	K(ring_setup, 12, .need = {DEV, RK(R_DMA)}, .flags = {0, OPT | SAME}),
	K(ring_submit, 18, .need = {DEV, RK(R_DMA), RK(R_DMA)}, .flags = {0, SAME, OPT | SAME}),
	K(chan_ctrl, 9, .need = {DEV}),
	/* migration v2: data fds */
	K(data_read, 24, .need = {RK(R_DATA), RK(R_MAP)}, .flags = {NEED_SAVING, OPT}),
	K(data_write, 18, .need = {RK(R_DATA), RK(R_MAP)}, .flags = {NEED_RESUMING, OPT}),
	K(data_poll, 9, .need = {RK(R_DATA), RK(R_DATA), DEV}, .flags = {0, OPT, OPT}),
	K(data_ioctl, 12, .need = {RK(R_DATA), DEV}, .flags = {NEED_SAVING, OPT}),
	K(data_close, 9, .need = {RK(R_DATA)}),
	K(data_misc, 6, .need = {RK(R_DATA)}),
	K(data_pipe, 9, .need = {RK(R_DATA), RK(R_DATA), DEV},
	  .flags = {NEED_SAVING, NEED_RESUMING, OPT}),
	/* hostile streams, the v1 region */
	K(stream_v2, 12, .need = {DEV}),
	K(stream_v1, 9, .need = {DEV, RK(R_MAP)}, .flags = {0, OPT | SAME}),
	K(v1_hdr, 15, .need = {DEV}),
	K(v1_save, 6, .need = {DEV, RK(R_MAP)}, .flags = {0, OPT | SAME}),
	/* lifetimes */
	K(dev_open, 9, .need = {DEV}, .flags = {OPT}),
	K(dev_close, 6, .need = {DEV}),
	K(group_reopen, 1),
	K(mdev_remove, 1),
	K(mdev_create, 1),
	K(parent_unbind, 1),
	K(sysfs, 9),
	K(fork, 2, .need = {RK_FDS, RK_FDS, RK_FDS}, .flags = {OPT, OPT, OPT}),
	K(scm, 2, .need = {RK_FDS, RK_FDS, RK_FDS}, .flags = {OPT, OPT, OPT}),
	K(eventfd, 6),
};

const unsigned sf_nops = sizeof(sf_ops) / sizeof(sf_ops[0]);

const char *const sf_quirk_names[Q_NR] = {
	[Q_DATAFD_AFTER_REMOVE] = "datafd-after-remove",
	[Q_IRQ_BOOL_COUNT0] = "irq-bool-count0",
	[Q_ZERO_STORM] = "zero-storm",
};

bool sf_quirk(enum sf_quirk q)
{
	return !sf.quirk_off[q];
}

int sf_op_by_name(const char *name)
{
	for (unsigned k = 0; k < sf_nops; k++)
		if (!strcmp(sf_ops[k].name, name))
			return (int)k;
	return -1;
}
