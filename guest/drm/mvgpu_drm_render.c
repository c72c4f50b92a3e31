// SPDX-License-Identifier: GPL-2.0
/*
 * mvgpu_drm_render.c - render contexts, submits and fences.
 *
 * Each open file is a render context; its first submit takes one of the
 * vGPU's hardware channels, which stays its own until the file is closed.
 * A submit's commands refer to GEM objects in VRAM: they are checked,
 * pinned for as long as the work runs, translated into device commands on
 * the channel's ring (guest memory, read by the device's DMA), and
 * followed by a FENCE that raises an interrupt.  The interrupt signals the
 * submit's dma_fence (also added to every object's reservation, so other
 * contexts and the display wait for it) and hands it to a work item that
 * unpins.  UPLOAD and DOWNLOAD go through a per-submit DMA staging buffer.
 *
 * A channel that stops on an error loses its context: every pending fence
 * fails with -EIO and so does every later submit and wait of that file.
 * The channel is reset when the file is closed and serves the next
 * context cleanly.
 */
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_vram_helper.h>
#include <drm/drm_print.h>

#include "mvgpu_drm.h"
#include "mvgpu_drm_drv.h"

#define MVGPU_DRM_TIMEOUT	(10 * HZ)	/* ring space; a closing context */

/**
 * struct mvgpu_drm_job - one submit on a channel.
 * @base:	its fence; first, so that dma_fence_free() frees the job.
 * @link:	in the channel's pending list, then the device's retired list.
 * @staging:	DMA staging memory for UPLOAD/DOWNLOAD, or NULL.
 * @staging_dma: its bus address.
 * @staging_size: its size.
 * @staging_refs: the retire path and a waiting submitter each hold one;
 *		the last one frees @staging (the device may DMA into it until
 *		the fence signals).
 * @nbos:	objects in @bos.
 * @bos:	the objects the submit uses, referenced and pinned in VRAM.
 */
struct mvgpu_drm_job {
	struct dma_fence base;
	struct list_head link;
	void *staging;
	dma_addr_t staging_dma;
	size_t staging_size;
	atomic_t staging_refs;
	unsigned int nbos;
	struct drm_gem_object *bos[];	/* room for 2 per command */
};

static const char *mvgpu_fence_driver_name(struct dma_fence *f)
{
	return "mvgpu_drm";
}

static const char *mvgpu_fence_timeline_name(struct dma_fence *f)
{
	return "mvgpu-channel";
}

static const struct dma_fence_ops mvgpu_fence_ops = {
	.get_driver_name = mvgpu_fence_driver_name,
	.get_timeline_name = mvgpu_fence_timeline_name,
};

static u32 ch_reg(struct mvgpu_drm_chan *chan, u32 reg)
{
	return MVGPU_REG_CH(chan->index, reg);
}

/* Has the device passed FENCE @seqno? 32-bit, wrap-safe. */
static bool hw_passed(u32 hw, u64 seqno)
{
	return (s32)(hw - lower_32_bits(seqno)) >= 0;
}

static void staging_put(struct mvgpu_drm_device *mdev, struct mvgpu_drm_job *job)
{
	if (job->staging && atomic_dec_and_test(&job->staging_refs))
		dma_free_coherent(mdev->drm.dev, job->staging_size, job->staging,
				  job->staging_dma);
}

static void job_release_bos(struct mvgpu_drm_job *job, unsigned int pinned)
{
	unsigned int i;

	for (i = 0; i < job->nbos; i++) {
		if (i < pinned)
			drm_gem_vram_unpin(drm_gem_vram_of_gem(job->bos[i]));
		drm_gem_object_put(job->bos[i]);
	}
}

static void mvgpu_drm_retire_work(struct work_struct *work)
{
	struct mvgpu_drm_device *mdev = container_of(work, struct mvgpu_drm_device,
						     retire_work);
	struct mvgpu_drm_job *job, *tmp;
	LIST_HEAD(list);

	spin_lock_irq(&mdev->retire_lock);
	list_splice_init(&mdev->retired, &list);
	spin_unlock_irq(&mdev->retire_lock);

	list_for_each_entry_safe(job, tmp, &list, link) {
		list_del(&job->link);
		job_release_bos(job, job->nbos);
		staging_put(mdev, job);
		dma_fence_put(&job->base);
		cond_resched();
	}
}

/* Signals @job (with @error if non-zero) and queues it for retiring. */
static void job_signal_locked(struct mvgpu_drm_device *mdev,
			      struct mvgpu_drm_job *job, int error)
{
	if (error)
		dma_fence_set_error(&job->base, error);
	dma_fence_signal_locked(&job->base);
	spin_lock(&mdev->retire_lock);
	list_move_tail(&job->link, &mdev->retired);
	spin_unlock(&mdev->retire_lock);
}

static void chan_update(struct mvgpu_drm_chan *chan, bool error)
{
	struct mvgpu_drm_device *mdev = chan->mdev;
	struct mvgpu_drm_job *job, *tmp;
	unsigned long flags;
	u32 hw;

	spin_lock_irqsave(&chan->lock, flags);
	hw = mvgpu_rd(mdev, ch_reg(chan, MVGPU_CH_FENCE));
	list_for_each_entry_safe(job, tmp, &chan->pending, link) {
		if (!hw_passed(hw, job->base.seqno))
			break;
		chan->completed = job->base.seqno;
		job_signal_locked(mdev, job, 0);
	}
	if (error && !chan->error) {
		chan->error = -EIO;
		drm_err_ratelimited(&mdev->drm,
				    "channel %u stopped: error %u at ring offset %#x; its context is lost\n",
				    chan->index, mvgpu_rd(mdev, ch_reg(chan, MVGPU_CH_ERROR)),
				    mvgpu_rd(mdev, ch_reg(chan, MVGPU_CH_ERROR_GET)));
	}
	if (chan->error)
		list_for_each_entry_safe(job, tmp, &chan->pending, link)
			job_signal_locked(mdev, job, chan->error);
	spin_unlock_irqrestore(&chan->lock, flags);
	wake_up_all(&chan->wq);
	schedule_work(&mdev->retire_work);
}

/**
 * mvgpu_drm_render_irq - handle the channels' interrupt sources.
 * @mdev: the device.
 * @status: the INTR_STATUS bits just acknowledged.
 */
void mvgpu_drm_render_irq(struct mvgpu_drm_device *mdev, u32 status)
{
	unsigned int i;

	for (i = 0; i < mdev->nchan; i++)
		if (status & (MVGPU_INTR_FENCE(i) | MVGPU_INTR_ERROR(i)))
			chan_update(&mdev->chan[i], status & MVGPU_INTR_ERROR(i));
}

/* Programs and enables a free channel for a new context. */
static void chan_start(struct mvgpu_drm_chan *chan)
{
	struct mvgpu_drm_device *mdev = chan->mdev;
	u32 hw;

	mvgpu_wr(mdev, ch_reg(chan, MVGPU_CH_CTRL), MVGPU_CH_CTRL_RESET);
	mvgpu_wr(mdev, ch_reg(chan, MVGPU_CH_RING_BASE_LO), lower_32_bits(chan->ring_dma));
	mvgpu_wr(mdev, ch_reg(chan, MVGPU_CH_RING_BASE_HI), upper_32_bits(chan->ring_dma));
	mvgpu_wr(mdev, ch_reg(chan, MVGPU_CH_RING_SIZE), MVGPU_DRM_RING_SIZE);
	mvgpu_wr(mdev, ch_reg(chan, MVGPU_CH_CTRL), MVGPU_CH_CTRL_ENABLE);
	/* FENCE keeps its value across contexts: number on from it */
	hw = mvgpu_rd(mdev, ch_reg(chan, MVGPU_CH_FENCE));
	chan->fence_context = dma_fence_context_alloc(1);
	chan->emitted = hw;
	chan->completed = hw;
	chan->put = 0;
	chan->error = 0;
}

static struct mvgpu_drm_chan *chan_get(struct mvgpu_drm_device *mdev,
				       struct mvgpu_drm_file *mfile)
{
	struct mvgpu_drm_chan *chan = NULL;
	unsigned int i;

	mutex_lock(&mdev->chan_lock);
	if (mfile->chan) {
		chan = mfile->chan;
		goto out;
	}
	for (i = 0; i < mdev->nchan; i++) {
		if (!mdev->chan[i].owner) {
			chan = &mdev->chan[i];
			chan->owner = mfile;
			mfile->chan = chan;
			mutex_lock(&chan->submit_lock);
			chan_start(chan);
			mutex_unlock(&chan->submit_lock);
			break;
		}
	}
out:
	mutex_unlock(&mdev->chan_lock);
	return chan;
}

static u32 ring_free(struct mvgpu_drm_chan *chan)
{
	u32 get = mvgpu_rd(chan->mdev, ch_reg(chan, MVGPU_CH_GET));
	u32 used = (chan->put - get) & (MVGPU_DRM_RING_SIZE - 1);

	return MVGPU_DRM_RING_SIZE - MVGPU_CMD_SIZE - used;
}

static void ring_emit(struct mvgpu_drm_chan *chan, u32 op, u32 flags, u64 a,
		      u64 b, u64 c)
{
	__le32 *cmd = chan->ring + chan->put / 4;

	cmd[0] = cpu_to_le32(op);
	cmd[1] = cpu_to_le32(flags);
	*(__le64 *)&cmd[2] = cpu_to_le64(a);
	*(__le64 *)&cmd[4] = cpu_to_le64(b);
	*(__le64 *)&cmd[6] = cpu_to_le64(c);
	chan->put = (chan->put + MVGPU_CMD_SIZE) & (MVGPU_DRM_RING_SIZE - 1);
}

/* Index of @handle's object in @job->bos, added if new; -errno on a bad handle. */
static int job_add_bo(struct mvgpu_drm_job *job, struct drm_file *file,
		      u32 handle, unsigned int max)
{
	struct drm_gem_object *obj;
	unsigned int i;

	obj = drm_gem_object_lookup(file, handle);
	if (!obj)
		return -ENOENT;
	for (i = 0; i < job->nbos; i++) {
		if (job->bos[i] == obj) {
			drm_gem_object_put(obj);
			return i;
		}
	}
	if (WARN_ON(job->nbos == max)) {
		drm_gem_object_put(obj);
		return -EINVAL;
	}
	job->bos[job->nbos] = obj;
	return job->nbos++;
}

static bool range_ok(struct drm_gem_object *obj, u64 offset, u64 size)
{
	return size && !(offset & 3) && !(size & 3) && offset <= obj->size &&
	       size <= obj->size - offset;
}

/**
 * struct mvgpu_drm_xcmd - a checked command.
 * @cmd: what userspace asked for.
 * @dst: index in the job's objects of the destination (DOWNLOAD: source).
 * @src: COPY's source object index.
 * @staging: UPLOAD/DOWNLOAD: offset in the staging buffer.
 */
struct mvgpu_drm_xcmd {
	struct drm_mvgpu_cmd cmd;
	int dst;
	int src;
	size_t staging;
};

/* Checks every command and looks up its objects; sums the DMA bytes. */
static int check_cmds(struct mvgpu_drm_job *job, struct drm_file *file,
		      struct mvgpu_drm_xcmd *x, u32 count, u32 flags, size_t *dma)
{
	unsigned int max = 2 * count;
	u32 i;
	int r;

	*dma = 0;
	for (i = 0; i < count; i++) {
		struct drm_mvgpu_cmd *c = &x[i].cmd;

		if (c->pad || c->op < DRM_MVGPU_OP_FILL || c->op > DRM_MVGPU_OP_DOWNLOAD)
			return -EINVAL;
		if (c->op == DRM_MVGPU_OP_DOWNLOAD && !(flags & DRM_MVGPU_SUBMIT_WAIT))
			return -EINVAL;
		r = job_add_bo(job, file, c->handle, max);
		if (r < 0)
			return r;
		x[i].dst = r;
		if (!range_ok(job->bos[r], c->offset, c->size))
			return -EINVAL;
		if (c->op == DRM_MVGPU_OP_COPY) {
			r = job_add_bo(job, file, c->src_handle, max);
			if (r < 0)
				return r;
			x[i].src = r;
			if (!range_ok(job->bos[r], c->src_offset, c->size))
				return -EINVAL;
		} else if (c->src_handle || c->src_offset) {
			return -EINVAL;
		}
		if (c->op == DRM_MVGPU_OP_UPLOAD || c->op == DRM_MVGPU_OP_DOWNLOAD) {
			if (c->size > MVGPU_DRM_MAX_DMA - *dma)
				return -E2BIG;
			x[i].staging = *dma;
			*dma += c->size;
		}
	}
	return 0;
}

/* Waits for other contexts' writes to the job's objects (implicit sync). */
static int job_wait_others(struct mvgpu_drm_job *job, u64 context)
{
	struct dma_resv_iter cursor;
	struct dma_fence *f;
	unsigned int i;
	long r = 0;

	for (i = 0; i < job->nbos; i++) {
		dma_resv_iter_begin(&cursor, job->bos[i]->resv, DMA_RESV_USAGE_WRITE);
		dma_resv_for_each_fence_unlocked(&cursor, f) {
			if (f->context == context)
				continue;
			r = dma_fence_wait_timeout(f, true, MVGPU_DRM_TIMEOUT);
			if (r <= 0)
				break;
		}
		dma_resv_iter_end(&cursor);
		if (r < 0)
			return r;
		if (!r && f)
			return -ETIMEDOUT;
	}
	return 0;
}

static int job_publish_fence(struct mvgpu_drm_job *job)
{
	unsigned int i;
	int r;

	for (i = 0; i < job->nbos; i++) {
		struct dma_resv *resv = job->bos[i]->resv;

		r = dma_resv_lock_interruptible(resv, NULL);
		if (r)
			return r;
		r = dma_resv_reserve_fences(resv, 1);
		if (!r)
			dma_resv_add_fence(resv, &job->base, DMA_RESV_USAGE_WRITE);
		dma_resv_unlock(resv);
		if (r)
			return r;
	}
	return 0;
}

/* Puts the job's commands and its FENCE on the ring and rings the doorbell. */
static int job_emit(struct mvgpu_drm_chan *chan, struct mvgpu_drm_job *job,
		    const struct mvgpu_drm_xcmd *x, const u64 *vram, u32 count,
		    bool frame)
{
	struct mvgpu_drm_device *mdev = chan->mdev;
	u32 need = (count + 2) * MVGPU_CMD_SIZE, i;	/* + FENCE, + injected */
	long r;

	r = wait_event_interruptible_timeout(chan->wq, READ_ONCE(chan->error) ||
					     ring_free(chan) >= need, MVGPU_DRM_TIMEOUT);
	if (r < 0)
		return r;
	if (READ_ONCE(chan->error))
		return chan->error;
	if (!r) {
		drm_err_ratelimited(&mdev->drm, "channel %u: no ring space for 10 s\n",
				    chan->index);
		return -ETIMEDOUT;
	}

	if (atomic_xchg(&mdev->inject_error, 0))
		ring_emit(chan, MVGPU_OP_MAX + 1, 0, 0, 0, 0);	/* stops the channel */
	for (i = 0; i < count; i++) {
		const struct drm_mvgpu_cmd *c = &x[i].cmd;
		u64 dst = vram[x[i].dst] + c->offset;
		u64 stg = job->staging_dma + x[i].staging;

		switch (c->op) {
		case DRM_MVGPU_OP_FILL:
			ring_emit(chan, MVGPU_OP_FILL, 0, dst,
				  c->size, lower_32_bits(c->value));
			break;
		case DRM_MVGPU_OP_COPY:
			ring_emit(chan, MVGPU_OP_COPY, 0, vram[x[i].src] + c->src_offset,
				  dst, c->size);
			break;
		case DRM_MVGPU_OP_UPLOAD:
			ring_emit(chan, MVGPU_OP_DMA_TO_FB, 0, stg, dst, c->size);
			break;
		case DRM_MVGPU_OP_DOWNLOAD:
			ring_emit(chan, MVGPU_OP_DMA_FROM_FB, 0, dst, stg, c->size);
			break;
		}
	}

	dma_fence_init(&job->base, &mvgpu_fence_ops, &chan->lock,
		       chan->fence_context, ++chan->emitted);
	/* a frame's FENCE: the host's frame-rate limiter may hold it */
	ring_emit(chan, MVGPU_OP_FENCE,
		  MVGPU_CMD_F_IRQ | (frame ? MVGPU_CMD_F_FRAME : 0),
		  lower_32_bits(job->base.seqno), 0, 0);
	dma_fence_get(&job->base);	/* the pending list's */

	spin_lock_irq(&chan->lock);
	list_add_tail(&job->link, &chan->pending);
	spin_unlock_irq(&chan->lock);
	/* the ring's memory is written before the doorbell (writel orders) */
	mvgpu_wr(mdev, ch_reg(chan, MVGPU_CH_PUT), chan->put);
	return 0;
}

/*
 * Copies the user memory of every @op command into (UPLOAD) or out of
 * (DOWNLOAD) the job's staging buffer.
 */
static int job_copy_user(struct mvgpu_drm_job *job, const struct mvgpu_drm_xcmd *x,
			 u32 count, u32 op)
{
	u32 i;

	for (i = 0; i < count; i++) {
		void __user *user = u64_to_user_ptr(x[i].cmd.value);
		void *stg = job->staging + x[i].staging;
		unsigned long left;

		if (x[i].cmd.op != op)
			continue;
		if (op == DRM_MVGPU_OP_UPLOAD)
			left = copy_from_user(stg, user, x[i].cmd.size);
		else
			left = copy_to_user(user, stg, x[i].cmd.size);
		if (left)
			return -EFAULT;
	}
	return 0;
}

/**
 * mvgpu_drm_ioctl_submit - DRM_IOCTL_MVGPU_SUBMIT.
 * @drm: the DRM device.
 * @data: struct drm_mvgpu_submit.
 * @file: the render context.
 *
 * Return: 0; -EINVAL (bad command, range, handle or flags), -ENOENT (no
 * such object), -E2BIG (too much DMA), -EBUSY (every channel taken), -EIO
 * (the context is lost), -ETIMEDOUT, -ERESTARTSYS, -ENOMEM.
 */
int mvgpu_drm_ioctl_submit(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct mvgpu_drm_device *mdev = to_mvgpu(drm);
	struct mvgpu_drm_file *mfile = file->driver_priv;
	struct drm_mvgpu_submit *args = data;
	struct mvgpu_drm_xcmd *x = NULL;
	struct mvgpu_drm_job *job;
	struct mvgpu_drm_chan *chan;
	unsigned int pinned = 0;
	bool emitted = false;
	u64 *vram = NULL;
	size_t dma;
	u32 i;
	int r;

	if (!args->count || args->count > MVGPU_DRM_MAX_CMDS ||
	    args->flags & ~(DRM_MVGPU_SUBMIT_WAIT | DRM_MVGPU_SUBMIT_FRAME))
		return -EINVAL;
	chan = chan_get(mdev, mfile);
	if (!chan)
		return -EBUSY;
	if (READ_ONCE(chan->error))
		return -EIO;

	job = kzalloc(struct_size(job, bos, 2 * args->count), GFP_KERNEL);
	x = kvcalloc(args->count, sizeof(*x), GFP_KERNEL);
	vram = kvcalloc(2 * args->count, sizeof(*vram), GFP_KERNEL);
	if (!job || !x || !vram) {
		r = -ENOMEM;
		goto out;
	}
	for (i = 0; i < args->count; i++) {
		if (copy_from_user(&x[i].cmd, u64_to_user_ptr(args->cmds) + i * sizeof(x[i].cmd),
				   sizeof(x[i].cmd))) {
			r = -EFAULT;
			goto out;
		}
	}
	r = check_cmds(job, file, x, args->count, args->flags, &dma);
	if (r)
		goto out;
	if (dma) {
		job->staging_size = PAGE_ALIGN(dma);
		job->staging = dma_alloc_coherent(drm->dev, job->staging_size,
						  &job->staging_dma, GFP_KERNEL);
		if (!job->staging) {
			r = -ENOMEM;
			goto out;
		}
		atomic_set(&job->staging_refs, 1);
		r = job_copy_user(job, x, args->count, DRM_MVGPU_OP_UPLOAD);
		if (r)
			goto out;
	}
	r = job_wait_others(job, chan->fence_context);
	if (r)
		goto out;
	for (; pinned < job->nbos; pinned++) {
		struct drm_gem_vram_object *gbo = drm_gem_vram_of_gem(job->bos[pinned]);

		r = drm_gem_vram_pin(gbo, DRM_GEM_VRAM_PL_FLAG_VRAM);
		if (r)
			goto out;
		vram[pinned] = drm_gem_vram_offset(gbo);
	}

	mutex_lock(&chan->submit_lock);
	r = job_emit(chan, job, x, vram, args->count,
		     args->flags & DRM_MVGPU_SUBMIT_FRAME);
	if (!r) {
		emitted = true;
		args->seqno = job->base.seqno;
		if (args->flags & DRM_MVGPU_SUBMIT_WAIT) {
			dma_fence_get(&job->base);
			if (job->staging)
				atomic_inc(&job->staging_refs);
		}
		/* a fence lives in the objects' reservations too */
		r = job_publish_fence(job);
	}
	mutex_unlock(&chan->submit_lock);
	if (!emitted)
		goto out;
	if (!(args->flags & DRM_MVGPU_SUBMIT_WAIT))
		goto out_emitted;

	if (!r) {
		long w = dma_fence_wait_timeout(&job->base, true, MVGPU_DRM_TIMEOUT);

		if (w < 0)
			r = w;
		else if (!w)
			r = -ETIMEDOUT;
		else if (job->base.error)
			r = job->base.error;
		else if (job->staging)
			r = job_copy_user(job, x, args->count, DRM_MVGPU_OP_DOWNLOAD);
	}
	staging_put(mdev, job);
	dma_fence_put(&job->base);
	goto out_emitted;

out:
	if (job) {
		job_release_bos(job, pinned);
		staging_put(mdev, job);
		kfree(job);
	}
out_emitted:
	kvfree(vram);
	kvfree(x);
	return r;
}

/**
 * mvgpu_drm_ioctl_wait - DRM_IOCTL_MVGPU_WAIT.
 * @drm: the DRM device.
 * @data: struct drm_mvgpu_wait.
 * @file: the render context.
 *
 * Return: 0 when the submit completed; -EIO if the context was lost
 * before; -ETIME on timeout; -EINVAL for a sequence number never issued.
 */
int mvgpu_drm_ioctl_wait(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct mvgpu_drm_file *mfile = file->driver_priv;
	struct drm_mvgpu_wait *args = data;
	struct mvgpu_drm_chan *chan = READ_ONCE(mfile->chan);
	unsigned long timeout;
	long r;

	if (!chan || args->timeout_ns < 0 || args->seqno > READ_ONCE(chan->emitted))
		return -EINVAL;
	timeout = nsecs_to_jiffies(args->timeout_ns);
	r = wait_event_interruptible_timeout(chan->wq,
					     READ_ONCE(chan->completed) >= args->seqno ||
					     READ_ONCE(chan->error), timeout);
	if (READ_ONCE(chan->completed) >= args->seqno)
		return 0;
	if (r < 0)
		return r;
	if (READ_ONCE(chan->error))
		return -EIO;
	return -ETIME;
}

/**
 * mvgpu_drm_ioctl_info - DRM_IOCTL_MVGPU_INFO.
 * @drm: the DRM device.
 * @data: struct drm_mvgpu_info.
 * @file: unused.
 *
 * Return: 0.
 */
int mvgpu_drm_ioctl_info(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct mvgpu_drm_device *mdev = to_mvgpu(drm);
	struct drm_mvgpu_info *info = data;

	*info = (struct drm_mvgpu_info){
		.fb_size = mdev->fb_size,
		.abi = mdev->abi,
		.channels = mdev->nchan,
		.type_index = mdev->type_index,
		.max_width = mdev->max_width,
		.max_height = mdev->max_height,
		.max_cmds = MVGPU_DRM_MAX_CMDS,
		.max_dma = MVGPU_DRM_MAX_DMA,
	};
	return 0;
}

/**
 * mvgpu_drm_render_postclose - end a render context: let its work finish
 * (bounded), stop and reset its channel, free it for the next context.
 * @mdev: the device.
 * @mfile: the context.
 */
void mvgpu_drm_render_postclose(struct mvgpu_drm_device *mdev,
				struct mvgpu_drm_file *mfile)
{
	struct mvgpu_drm_chan *chan = mfile->chan;
	struct mvgpu_drm_job *job, *tmp;

	if (!chan)
		return;
	mutex_lock(&chan->submit_lock);
	wait_event_timeout(chan->wq, READ_ONCE(chan->error) ||
			   READ_ONCE(chan->completed) == chan->emitted,
			   MVGPU_DRM_TIMEOUT);
	mvgpu_wr(mdev, ch_reg(chan, MVGPU_CH_CTRL), MVGPU_CH_CTRL_RESET);
	spin_lock_irq(&chan->lock);
	list_for_each_entry_safe(job, tmp, &chan->pending, link)
		job_signal_locked(mdev, job, -ECANCELED);
	spin_unlock_irq(&chan->lock);
	mutex_unlock(&chan->submit_lock);
	schedule_work(&mdev->retire_work);

	mutex_lock(&mdev->chan_lock);
	chan->owner = NULL;
	mfile->chan = NULL;
	mutex_unlock(&mdev->chan_lock);
}

/**
 * mvgpu_drm_render_init - allocate the channels' rings.
 * @mdev: the device.
 *
 * Return: 0 or -ENOMEM.
 */
int mvgpu_drm_render_init(struct mvgpu_drm_device *mdev)
{
	unsigned int i;

	mutex_init(&mdev->chan_lock);
	spin_lock_init(&mdev->retire_lock);
	INIT_LIST_HEAD(&mdev->retired);
	INIT_WORK(&mdev->retire_work, mvgpu_drm_retire_work);
	for (i = 0; i < mdev->nchan; i++) {
		struct mvgpu_drm_chan *chan = &mdev->chan[i];

		chan->mdev = mdev;
		chan->index = i;
		mutex_init(&chan->submit_lock);
		spin_lock_init(&chan->lock);
		INIT_LIST_HEAD(&chan->pending);
		init_waitqueue_head(&chan->wq);
		chan->ring = dmam_alloc_coherent(mdev->drm.dev, MVGPU_DRM_RING_SIZE,
						 &chan->ring_dma, GFP_KERNEL);
		if (!chan->ring)
			return -ENOMEM;
	}
	return 0;
}

/**
 * mvgpu_drm_render_fini - stop every channel and retire what is left.
 * @mdev: the device; no file is open any more.
 */
void mvgpu_drm_render_fini(struct mvgpu_drm_device *mdev)
{
	unsigned int i;

	for (i = 0; i < mdev->nchan; i++)
		mvgpu_wr(mdev, ch_reg(&mdev->chan[i], MVGPU_CH_CTRL), MVGPU_CH_CTRL_RESET);
	flush_work(&mdev->retire_work);
}
