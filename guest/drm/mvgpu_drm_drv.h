/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mvgpu_drm_drv.h - the mvgpu guest DRM driver's internals: the device,
 * its display pipe (mvgpu_drm_kms.c) and its render channels
 * (mvgpu_drm_render.c).  docs/guest-driver.md has the overview.
 */
#ifndef MVGPU_DRM_DRV_H
#define MVGPU_DRM_DRV_H

#include <linux/dma-fence.h>
#include <linux/io.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include <drm/drm_connector.h>
#include <drm/drm_crtc.h>
#include <drm/drm_device.h>
#include <drm/drm_encoder.h>
#include <drm/drm_plane.h>

#include "mvgpu_abi.h"

#define MVGPU_DRM_RING_SIZE	SZ_64K		/* 2048 device commands */
#define MVGPU_DRM_MAX_CMDS	256		/* per submit */
#define MVGPU_DRM_MAX_DMA	SZ_1M		/* UPLOAD + DOWNLOAD bytes per submit */

struct mvgpu_drm_file;

/**
 * struct mvgpu_drm_chan - one hardware channel, owned by one render context.
 * @mdev:	the device.
 * @index:	channel number (the register block).
 * @ring:	the ring, in guest memory the device reads by DMA.
 * @ring_dma:	its bus address (the ring IOVA).
 * @put:	next free ring offset (what PUT gets when a submit ends).
 * @owner:	the context using the channel, or NULL when free.
 * @submit_lock: serialises submits on the channel (ring writes, PUT).
 * @lock:	protects @pending, @completed, @error and the fences' state;
 *		taken in the interrupt handler.
 * @fence_context: dma_fence context of the channel's fences.
 * @emitted:	sequence number of the last submit put on the ring.
 * @completed:	sequence number of the last submit the device finished.
 * @pending:	struct mvgpu_drm_job, in ring order, not yet signalled.
 * @error:	0, or -EIO once the channel stopped on an error: the owning
 *		context is lost.
 * @wq:		woken when @completed or @error changes.
 */
struct mvgpu_drm_chan {
	struct mvgpu_drm_device *mdev;
	unsigned int index;
	__le32 *ring;
	dma_addr_t ring_dma;
	u32 put;
	struct mvgpu_drm_file *owner;
	struct mutex submit_lock;	/* see above */
	spinlock_t lock;		/* see above */
	u64 fence_context;
	u64 emitted;
	u64 completed;
	struct list_head pending;
	int error;
	wait_queue_head_t wq;
};

/**
 * struct mvgpu_drm_device - one mvgpu vGPU as the guest sees it.
 * @drm:	the DRM device.
 * @mmio:	BAR0, the registers.
 * @fb_base:	BAR2's bus address (VRAM).
 * @fb_size:	BAR2's size.
 * @abi:	the device's VERSION register.
 * @type_index:	the vGPU type (CAPS [23:16]).
 * @nchan:	hardware channels (CAPS [7:0]).
 * @max_width:	largest mode width, from the type.
 * @max_height:	largest mode height, from the type.
 * @plane:	the primary plane of head 0.
 * @crtc:	head 0.
 * @encoder:	a virtual encoder.
 * @connector:	a virtual connector.
 * @chan_lock:	protects the channels' @owner.
 * @chan:	the hardware channels.
 * @retire_lock: protects @retired.
 * @retired:	signalled jobs whose buffers are still pinned.
 * @retire_work: unpins and frees @retired.
 * @inject_error: debugfs: the next submit carries an invalid command
 *		(tests the reset path).
 */
struct mvgpu_drm_device {
	struct drm_device drm;
	void __iomem *mmio;
	resource_size_t fb_base;
	resource_size_t fb_size;
	u32 abi;
	u32 type_index;
	unsigned int nchan;
	u32 max_width;
	u32 max_height;
	struct drm_plane plane;
	struct drm_crtc crtc;
	struct drm_encoder encoder;
	struct drm_connector connector;
	struct mutex chan_lock;		/* see above */
	struct mvgpu_drm_chan chan[MVGPU_NUM_CHANNELS];
	spinlock_t retire_lock;		/* see above */
	struct list_head retired;
	struct work_struct retire_work;
	atomic_t inject_error;
};

/**
 * struct mvgpu_drm_file - a render context: one open of the DRM device.
 * @chan:	its channel, taken at the first submit; NULL before.
 */
struct mvgpu_drm_file {
	struct mvgpu_drm_chan *chan;
};

static inline struct mvgpu_drm_device *to_mvgpu(struct drm_device *drm)
{
	return container_of(drm, struct mvgpu_drm_device, drm);
}

static inline u32 mvgpu_rd(struct mvgpu_drm_device *mdev, u32 reg)
{
	return readl(mdev->mmio + reg);
}

static inline void mvgpu_wr(struct mvgpu_drm_device *mdev, u32 reg, u32 val)
{
	writel(val, mdev->mmio + reg);
}

/* mvgpu_drm_kms.c */
int mvgpu_drm_kms_init(struct mvgpu_drm_device *mdev);

/* mvgpu_drm_render.c */
int mvgpu_drm_render_init(struct mvgpu_drm_device *mdev);
void mvgpu_drm_render_fini(struct mvgpu_drm_device *mdev);
void mvgpu_drm_render_irq(struct mvgpu_drm_device *mdev, u32 status);
void mvgpu_drm_render_postclose(struct mvgpu_drm_device *mdev,
				struct mvgpu_drm_file *mfile);
int mvgpu_drm_ioctl_info(struct drm_device *drm, void *data,
			 struct drm_file *file);
int mvgpu_drm_ioctl_submit(struct drm_device *drm, void *data,
			   struct drm_file *file);
int mvgpu_drm_ioctl_wait(struct drm_device *drm, void *data,
			 struct drm_file *file);

#endif /* MVGPU_DRM_DRV_H */
