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
	K(get_info, 27, .need = {DEV}),
	K(region_info, 36, .need = {DEV}),
	K(irq_info, 27, .need = {DEV}),
	K(set_irqs, 72, .need = {DEV, RK(R_EVENTFD)}, .flags = {0, OPT}),
	K(reset, 27, .need = {DEV}),
	K(feature, 45, .need = {DEV}),
	K(mig_state, 90, .need = {DEV}),
	K(mig_get, 36, .need = {DEV}),
	K(gfx_plane, 27, .need = {DEV}),
	K(gfx_dmabuf, 9, .need = {DEV}),
	K(dev_ioctl, 18, .need = {DEV}),
	/* regions, mappings */
	K(region_rw, 72, .need = {DEV, RK(R_MAP)}, .flags = {0, OPT | SAME}),
	K(mmio, 90, .need = {DEV, RK(R_DMA)}, .flags = {0, OPT | SAME}),
	K(cfg, 36, .need = {DEV}),
	K(fb_rw, 45, .need = {DEV, RK(R_MAP)}, .flags = {0, OPT | SAME}),
	K(mmap, 27, .need = {DEV}),
	K(map_touch, 45, .need = {RK(R_MAP)}),
	K(munmap, 18, .need = {RK(R_MAP)}),
	/* DMA memory and channels */
	K(dma_map, 27, .need = {RK(R_GROUP), RK(R_MAP)}, .flags = {0, OPT | SAME}),
	K(dma_unmap, 9, .need = {RK(R_DMA)}),
	K(ring_setup, 36, .need = {DEV, RK(R_DMA)}, .flags = {0, OPT | SAME}),
	K(ring_submit, 54, .need = {DEV, RK(R_DMA), RK(R_DMA)}, .flags = {0, SAME, OPT | SAME}),
	K(chan_ctrl, 27, .need = {DEV}),
	/* migration v2: data fds */
	K(data_read, 72, .need = {RK(R_DATA), RK(R_MAP)}, .flags = {NEED_SAVING, OPT}),
	K(data_write, 54, .need = {RK(R_DATA), RK(R_MAP)}, .flags = {NEED_RESUMING, OPT}),
	K(data_poll, 27, .need = {RK(R_DATA), RK(R_DATA), DEV}, .flags = {0, OPT, OPT}),
	K(data_ioctl, 36, .need = {RK(R_DATA), DEV}, .flags = {NEED_SAVING, OPT}),
	K(data_close, 27, .need = {RK(R_DATA)}),
	K(data_misc, 18, .need = {RK(R_DATA)}),
	K(data_pipe, 27, .need = {RK(R_DATA), RK(R_DATA), DEV},
	  .flags = {NEED_SAVING, NEED_RESUMING, OPT}),
	/* hostile streams, the v1 region */
	K(stream_v2, 36, .need = {DEV}),
	K(stream_v1, 27, .need = {DEV, RK(R_MAP)}, .flags = {0, OPT | SAME}),
	K(v1_hdr, 45, .need = {DEV}),
	K(v1_save, 18, .need = {DEV, RK(R_MAP)}, .flags = {0, OPT | SAME}),
	/* lifetimes */
	K(dev_open, 30, .need = {DEV}, .flags = {OPT}),
	K(dev_close, 9, .need = {DEV}),
	K(group_reopen, 1),
	K(mdev_remove, 1),
	K(mdev_create, 2),
	K(parent_unbind, 1),
	K(sysfs, 27),
	K(fork, 3, .need = {RK_FDS, RK_FDS, RK_FDS}, .flags = {OPT, OPT, OPT}),
	K(scm, 3, .need = {RK_FDS, RK_FDS, RK_FDS}, .flags = {OPT, OPT, OPT}),
	K(eventfd, 18),
};

const unsigned sf_nops = sizeof(sf_ops) / sizeof(sf_ops[0]);

const char *const sf_quirk_names[Q_NR] = {
	[Q_DATAFD_AFTER_REMOVE] = "datafd-after-remove",
	[Q_IRQ_BOOL_COUNT0] = "irq-bool-count0",
	[Q_ZERO_STORM] = "zero-storm",
	[Q_CONTAINER_VS_REMOVE] = "container-vs-remove",
};

static pthread_rwlock_t container_lock = PTHREAD_RWLOCK_INITIALIZER;

void sf_container_enter(void)
{
	if (!sf_quirk(Q_CONTAINER_VS_REMOVE))
		pthread_rwlock_rdlock(&container_lock);
}

void sf_container_leave(void)
{
	if (!sf_quirk(Q_CONTAINER_VS_REMOVE))
		pthread_rwlock_unlock(&container_lock);
}

void sf_removal_enter(void)
{
	if (!sf_quirk(Q_CONTAINER_VS_REMOVE))
		pthread_rwlock_wrlock(&container_lock);
}

void sf_removal_leave(void)
{
	if (!sf_quirk(Q_CONTAINER_VS_REMOVE))
		pthread_rwlock_unlock(&container_lock);
}

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
