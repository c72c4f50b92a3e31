// SPDX-License-Identifier: GPL-2.0
/*
 * mig.c - VFIO migration protocol v2: the state machine and its data fds.
 *
 * Arcs implemented here (the VFIO core composes every other legal arc from
 * them with vfio_mig_get_next_state()):
 *
 *   RUNNING      -> RUNNING_P2P   quiesce the command processor
 *   RUNNING_P2P  -> RUNNING       resume it
 *   RUNNING_P2P  -> STOP          (nothing: already quiet)
 *   STOP         -> RUNNING_P2P   (nothing)
 *   RUNNING      -> PRE_COPY      new saving fd: descriptor + whole fb, then
 *                                 dirty pages; the guest keeps running
 *   PRE_COPY     -> RUNNING       cancel: the saving fd goes dead
 *   PRE_COPY     -> PRE_COPY_P2P  quiesce
 *   PRE_COPY_P2P -> PRE_COPY      resume
 *   PRE_COPY_P2P -> RUNNING_P2P   cancel
 *   RUNNING_P2P  -> PRE_COPY_P2P  new saving fd, device quiet
 *   PRE_COPY_P2P -> STOP_COPY     the same fd carries the rest to its end
 *   STOP         -> STOP_COPY     new saving fd with the whole image
 *   STOP_COPY    -> STOP          the saving fd goes dead
 *   STOP         -> RESUMING      new resuming fd
 *   RESUMING     -> STOP          validate the whole stream and apply it;
 *                                 on failure the device is as it was
 *
 * "Quiet" (RUNNING_P2P and every state after it) means the processor is
 * stopped at a step boundary and starts no DMA; MMIO is still accepted and
 * doorbells are latched, so nothing the guest does is lost.
 *
 * Locking: mig_lock (the state machine) -> file->lock (one data fd) ->
 * vgpu->lock (device state).  read()/write() on a data fd never take
 * mig_lock, and hold file->lock only while producing or consuming stream
 * bytes in kernel buffers - never across a copy to or from userspace, which
 * can stall for as long as the user likes (userfaultfd, FUSE).  Callers of
 * one fd are serialised by file->io_lock instead, which is held across
 * those copies and is never taken by the state machine.  So a reset or a
 * state change can always disable a fd at once, whatever its reader does;
 * a disabled fd fails with ENODEV.  A device reset in the middle of a
 * migration returns the state machine to RUNNING and disables the fds - it
 * never silently restarts a stream.  ERROR is left only through
 * VFIO_DEVICE_RESET.
 *
 * Lifetime: a data fd holds a reference on the VFIO device, so the vGPU
 * it points at outlives it, even across device close and mdev removal; a
 * fd that outlived its state only ever fails.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "mvgpu.h"
#include "mig.h"

#define MVGPU_MIG_BUF	(256 * 1024)

/**
 * struct mvgpu_mig_file - one migration data fd.
 * @filp: the anonymous file.
 * @vgpu: its vGPU (referenced: see "Lifetime" above).
 * @io_lock: serialises read()/write() callers of the fd; held across user
 *	copies, never taken by the state machine.
 * @lock: the fd's state below; short holds only (see "Locking" above).
 * @disabled: the state machine let go of it; I/O fails with ENODEV.
 * @save: the producer (saving fds).
 * @load: the consumer (resuming fds).
 * @buf: encoded bytes not yet read (saving), or bytes being written.
 *	Its contents belong to the @io_lock holder.
 * @fill: bytes in @buf.
 * @pos: bytes of @buf already read.
 * @error: sticky error of the producer/consumer.
 * @save_precopy: the save is in pre-copy (a read that finds nothing at
 *	all, the temporary end of data, is -ENOMSG).
 * @initial_told: the smallest initial_bytes reported so far; the uAPI
 *	wants the figure never to rise.
 * @enomsg_told: the last read reported the temporary end (-ENOMSG); poll
 *	says readable again only when there is data.
 */
struct mvgpu_mig_file {
	struct file *filp;
	struct mvgpu_vgpu *vgpu;
	struct mutex io_lock;
	struct mutex lock;
	bool disabled;
	struct mvgpu_save *save;
	struct mvgpu_load *load;
	u8 *buf;
	size_t fill, pos;
	int error;
	bool save_precopy;
	u64 initial_told;
	bool enomsg_told;
};

static void mig_file_disable(struct mvgpu_mig_file *mf)
{
	mutex_lock(&mf->lock);
	mf->disabled = true;
	mutex_unlock(&mf->lock);
	wake_up_interruptible_all(&mf->vgpu->mig_wq);
}

static void mig_release_files(struct mvgpu_vgpu *vgpu)
{
	if (vgpu->mig_saving) {
		mig_file_disable(vgpu->mig_saving);
		fput(vgpu->mig_saving->filp);
		vgpu->mig_saving = NULL;
	}
	if (vgpu->mig_resuming) {
		mig_file_disable(vgpu->mig_resuming);
		fput(vgpu->mig_resuming->filp);
		vgpu->mig_resuming = NULL;
	}
}

static void mig_file_free(struct mvgpu_mig_file *mf)
{
	mvgpu_save_destroy(mf->save);
	mvgpu_load_destroy(mf->load);
	kvfree(mf->buf);
	mutex_destroy(&mf->lock);
	mutex_destroy(&mf->io_lock);
	vfio_put_device(&mf->vgpu->vdev);	/* may free the vGPU */
	kfree(mf);
}

static int mig_file_release(struct inode *inode, struct file *filp)
{
	mig_file_free(filp->private_data);
	return 0;
}

static bool mig_precopy(enum vfio_device_mig_state s)
{
	return s == VFIO_DEVICE_STATE_PRE_COPY ||
	       s == VFIO_DEVICE_STATE_PRE_COPY_P2P;
}

/*
 * Refills @mf->buf if it is drained.  Returns 1 when bytes are there, 0 at
 * the end of the stream, -ENOMSG at the temporary end of pre-copy data, or
 * another negative errno.  Caller holds io_lock.
 */
static int mig_save_fill(struct mvgpu_mig_file *mf)
{
	ssize_t n;
	int ret = 1;

	mutex_lock(&mf->lock);
	if (mf->disabled) {
		ret = -ENODEV;
	} else if (mf->pos == mf->fill) {
		n = mf->error ? mf->error :
			mvgpu_save_produce(mf->save, mf->buf, MVGPU_MIG_BUF);
		if (n < 0) {
			ret = mf->error = n;
		} else if (n == 0) {
			ret = mf->save_precopy ? -ENOMSG : 0;
		} else {
			mf->fill = n;
			mf->pos = 0;
		}
	}
	mutex_unlock(&mf->lock);
	return ret;
}

static ssize_t mig_save_read(struct file *filp, char __user *ubuf,
			     size_t len, loff_t *pos)
{
	struct mvgpu_mig_file *mf = filp->private_data;
	ssize_t done = 0;
	size_t n;
	int ret;

	if (pos)
		return -ESPIPE;
	if (mutex_lock_killable(&mf->io_lock))
		return -EINTR;
	while (len) {
		ret = mig_save_fill(mf);
		if (ret <= 0) {
			if (!done)
				done = ret;
			break;
		}
		WRITE_ONCE(mf->enomsg_told, false);	/* poll reads it */
		/* buf's bytes are ours (io_lock); fill/pos change only here */
		n = min(len, mf->fill - mf->pos);
		if (copy_to_user(ubuf + done, mf->buf + mf->pos, n)) {
			done = done ? done : -EFAULT;
			break;
		}
		mutex_lock(&mf->lock);
		mf->pos += n;
		mutex_unlock(&mf->lock);
		done += n;
		len -= n;
	}
	if (done == -ENOMSG)
		WRITE_ONCE(mf->enomsg_told, true);
	mutex_unlock(&mf->io_lock);
	return done;
}

static __poll_t mig_file_poll(struct file *filp, struct poll_table_struct *wait)
{
	struct mvgpu_mig_file *mf = filp->private_data;
	__poll_t mask;

	poll_wait(filp, &mf->vgpu->mig_wq, wait);
	mutex_lock(&mf->lock);
	if (mf->disabled)
		mask = EPOLLERR | EPOLLHUP;
	else if (!mf->save)
		mask = EPOLLOUT | EPOLLWRNORM;	/* the decoder never waits */
	else if (mf->pos < mf->fill || mf->error || mvgpu_save_ready(mf->save) ||
		 !READ_ONCE(mf->enomsg_told))
		mask = EPOLLIN | EPOLLRDNORM;
	else
		mask = 0;	/* -ENOMSG was told: wait for a write */
	mutex_unlock(&mf->lock);
	return mask;
}

static long mig_save_ioctl(struct file *filp, unsigned int cmd,
			   unsigned long arg)
{
	struct mvgpu_mig_file *mf = filp->private_data;
	unsigned long minsz = offsetofend(struct vfio_precopy_info, dirty_bytes);
	struct vfio_precopy_info info;
	u64 initial, dirty;
	int ret = 0;

	if (cmd != VFIO_MIG_GET_PRECOPY_INFO)
		return -ENOTTY;
	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;

	/* the fd's own state says whether it is in pre-copy: no mig_lock */
	mutex_lock(&mf->lock);
	if (mf->disabled) {
		ret = -ENODEV;
	} else if (!mf->save_precopy) {
		ret = -EINVAL;
	} else {
		mvgpu_save_pending(mf->save, mf->fill - mf->pos, &initial,
				   &dirty);
		mf->initial_told = min(mf->initial_told, initial);
		info.initial_bytes = mf->initial_told;
		info.dirty_bytes = dirty;
		info.flags = 0;
	}
	mutex_unlock(&mf->lock);
	if (ret)
		return ret;
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

static const struct file_operations mvgpu_save_fops = {
	.owner		= THIS_MODULE,
	.read		= mig_save_read,
	.poll		= mig_file_poll,
	.unlocked_ioctl	= mig_save_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.release	= mig_file_release,
};

static ssize_t mig_load_write(struct file *filp, const char __user *ubuf,
			      size_t len, loff_t *pos)
{
	struct mvgpu_mig_file *mf = filp->private_data;
	ssize_t done = 0;
	int ret;

	if (pos)
		return -ESPIPE;
	if (mutex_lock_killable(&mf->io_lock))
		return -EINTR;
	while (len) {
		size_t n = min_t(size_t, len, MVGPU_MIG_BUF);

		/* into buf (ours under io_lock) before taking the lock */
		if (copy_from_user(mf->buf, ubuf + done, n)) {
			done = done ? done : -EFAULT;
			break;
		}
		mutex_lock(&mf->lock);
		if (mf->disabled)
			ret = -ENODEV;
		else if (mf->error)
			ret = mf->error;
		else
			ret = mf->error = mvgpu_load_feed(mf->load, mf->buf, n);
		mutex_unlock(&mf->lock);
		if (ret) {
			done = done ? done : ret;
			break;
		}
		done += n;
		len -= n;
		if (fatal_signal_pending(current))
			break;
	}
	mutex_unlock(&mf->io_lock);
	return done;
}

static const struct file_operations mvgpu_load_fops = {
	.owner		= THIS_MODULE,
	.write		= mig_load_write,
	.poll		= mig_file_poll,
	.release	= mig_file_release,
};

static struct mvgpu_mig_file *mig_file_create(struct mvgpu_vgpu *vgpu,
					      bool saving, bool precopy)
{
	struct mvgpu_mig_file *mf;
	int ret = -ENOMEM;

	mf = kzalloc(sizeof(*mf), GFP_KERNEL_ACCOUNT);
	if (!mf)
		return ERR_PTR(-ENOMEM);
	mf->vgpu = vgpu;
	get_device(&vgpu->vdev.device);		/* dropped by mig_file_free() */
	mutex_init(&mf->io_lock);
	mutex_init(&mf->lock);
	mf->initial_told = U64_MAX;
	mf->buf = kvmalloc(MVGPU_MIG_BUF, GFP_KERNEL_ACCOUNT);
	if (!mf->buf)
		goto err;
	if (saving) {
		mf->save = mvgpu_save_create(vgpu, precopy);
		mf->save_precopy = precopy;
		if (IS_ERR(mf->save)) {
			ret = PTR_ERR(mf->save);
			mf->save = NULL;
			goto err;
		}
	} else {
		mf->load = mvgpu_load_create(vgpu);
		if (IS_ERR(mf->load)) {
			ret = PTR_ERR(mf->load);
			mf->load = NULL;
			goto err;
		}
	}
	mf->filp = anon_inode_getfile(saving ? "mvgpu_save" : "mvgpu_load",
				      saving ? &mvgpu_save_fops : &mvgpu_load_fops,
				      mf, saving ? O_RDONLY : O_WRONLY);
	if (IS_ERR(mf->filp)) {
		ret = PTR_ERR(mf->filp);
		goto err;
	}
	stream_open(mf->filp->f_inode, mf->filp);
	return mf;
err:
	mig_file_free(mf);
	return ERR_PTR(ret);
}

/* Hands a new fd's file to the VFIO core, keeping a reference for us. */
static struct file *mig_new_saving(struct mvgpu_vgpu *vgpu, bool precopy)
{
	struct mvgpu_mig_file *mf = mig_file_create(vgpu, true, precopy);

	if (IS_ERR(mf))
		return ERR_CAST(mf);
	get_file(mf->filp);
	vgpu->mig_saving = mf;
	return mf->filp;
}

#define MIG_ARC(from, to) \
	(cur == VFIO_DEVICE_STATE_##from && next == VFIO_DEVICE_STATE_##to)

static struct file *mig_stop_copy(struct mvgpu_vgpu *vgpu)
{
	struct mvgpu_mig_file *mf = vgpu->mig_saving;
	int ret;

	mutex_lock(&mf->lock);
	ret = mvgpu_save_stop_copy(mf->save);
	if (!ret)
		mf->save_precopy = false;
	mutex_unlock(&mf->lock);
	wake_up_interruptible_all(&vgpu->mig_wq);	/* readable to its end */
	return ret ? ERR_PTR(ret) : NULL;
}

static struct file *mig_new_resuming(struct mvgpu_vgpu *vgpu)
{
	struct mvgpu_mig_file *mf = mig_file_create(vgpu, false, false);

	if (IS_ERR(mf))
		return ERR_CAST(mf);
	get_file(mf->filp);
	vgpu->mig_resuming = mf;
	return mf->filp;
}

static struct file *mig_commit(struct mvgpu_vgpu *vgpu)
{
	struct mvgpu_mig_file *mf = vgpu->mig_resuming;
	int ret;

	mutex_lock(&mf->lock);
	ret = mf->error ? mf->error : mvgpu_load_commit(mf->load);
	mutex_unlock(&mf->lock);
	if (ret) {
		dev_warn_ratelimited(vgpu->vdev.dev,
				     "cannot resume from the stream: %d; device unchanged\n",
				     ret);
		return ERR_PTR(ret);
	}
	mig_release_files(vgpu);
	return NULL;
}

/* One arc of the state machine; the table is in the comment on top. */
static struct file *mvgpu_mig_step(struct mvgpu_vgpu *vgpu,
				   enum vfio_device_mig_state next)
{
	enum vfio_device_mig_state cur = vgpu->mig_state;

	if (MIG_ARC(RUNNING, RUNNING_P2P) || MIG_ARC(PRE_COPY, PRE_COPY_P2P)) {
		mvgpu_processor_quiesce(vgpu, true);
		return NULL;
	}
	if (MIG_ARC(RUNNING_P2P, RUNNING) || MIG_ARC(PRE_COPY_P2P, PRE_COPY)) {
		mvgpu_processor_quiesce(vgpu, false);
		return NULL;
	}
	if (MIG_ARC(RUNNING_P2P, STOP) || MIG_ARC(STOP, RUNNING_P2P))
		return NULL;
	if (MIG_ARC(RUNNING, PRE_COPY) || MIG_ARC(RUNNING_P2P, PRE_COPY_P2P))
		return mig_new_saving(vgpu, true);
	if (MIG_ARC(STOP, STOP_COPY))
		return mig_new_saving(vgpu, false);
	if (MIG_ARC(PRE_COPY_P2P, STOP_COPY))
		return mig_stop_copy(vgpu);
	if (MIG_ARC(PRE_COPY, RUNNING) || MIG_ARC(PRE_COPY_P2P, RUNNING_P2P) ||
	    MIG_ARC(STOP_COPY, STOP)) {
		mig_release_files(vgpu);
		return NULL;
	}
	if (MIG_ARC(STOP, RESUMING))
		return mig_new_resuming(vgpu);
	if (MIG_ARC(RESUMING, STOP))
		return mig_commit(vgpu);

	/* vfio_mig_get_next_state() never asks for anything else */
	WARN_ON_ONCE(1);
	return ERR_PTR(-EINVAL);
}

static struct file *
mvgpu_mig_set_state(struct vfio_device *vdev,
		    enum vfio_device_mig_state new_state)
{
	struct mvgpu_vgpu *vgpu = vdev_to_vgpu(vdev);
	enum vfio_device_mig_state next;
	struct file *res = NULL;
	int ret;

	mutex_lock(&vgpu->mig_lock);
	while (new_state != vgpu->mig_state) {
		ret = vfio_mig_get_next_state(vdev, vgpu->mig_state,
					      new_state, &next);
		if (ret) {
			res = ERR_PTR(ret);
			break;
		}
		res = mvgpu_mig_step(vgpu, next);
		if (IS_ERR(res))
			break;
		vgpu->mig_state = next;
		if (WARN_ON(res && new_state != vgpu->mig_state)) {
			fput(res);
			res = ERR_PTR(-EINVAL);
			break;
		}
	}
	mutex_unlock(&vgpu->mig_lock);
	return res;
}

static int mvgpu_mig_get_state(struct vfio_device *vdev,
			       enum vfio_device_mig_state *state)
{
	struct mvgpu_vgpu *vgpu = vdev_to_vgpu(vdev);

	mutex_lock(&vgpu->mig_lock);
	*state = vgpu->mig_state;
	mutex_unlock(&vgpu->mig_lock);
	return 0;
}

static int mvgpu_mig_get_data_size(struct vfio_device *vdev,
				   unsigned long *stop_copy_length)
{
	struct mvgpu_vgpu *vgpu = vdev_to_vgpu(vdev);
	struct mvgpu_mig_file *mf;

	mutex_lock(&vgpu->mig_lock);
	mf = mig_precopy(vgpu->mig_state) ? vgpu->mig_saving : NULL;
	if (mf) {
		mutex_lock(&mf->lock);
		*stop_copy_length = mvgpu_save_stop_copy_size(vgpu, mf->save);
		mutex_unlock(&mf->lock);
	} else {
		*stop_copy_length = mvgpu_save_stop_copy_size(vgpu, NULL);
	}
	mutex_unlock(&vgpu->mig_lock);
	return 0;
}

static const struct vfio_migration_ops mvgpu_mig_ops = {
	.migration_set_state	= mvgpu_mig_set_state,
	.migration_get_state	= mvgpu_mig_get_state,
	.migration_get_data_size = mvgpu_mig_get_data_size,
};

/**
 * mvgpu_mig_init() - make a vGPU migratable (before VFIO registration).
 * @vgpu: the vGPU.
 *
 * Return: 0.
 */
int mvgpu_mig_init(struct mvgpu_vgpu *vgpu)
{
	mutex_init(&vgpu->mig_lock);
	init_waitqueue_head(&vgpu->mig_wq);
	vgpu->mig_state = VFIO_DEVICE_STATE_RUNNING;
	vgpu->vdev.migration_flags = VFIO_MIGRATION_STOP_COPY |
				     VFIO_MIGRATION_P2P |
				     VFIO_MIGRATION_PRE_COPY;
	vgpu->vdev.mig_ops = &mvgpu_mig_ops;
	return 0;
}

/**
 * mvgpu_mig_reset() - a device reset ends any migration: RUNNING, fds dead.
 * @vgpu: the vGPU.  Takes mig_lock; the caller holds no vGPU lock.
 */
void mvgpu_mig_reset(struct mvgpu_vgpu *vgpu)
{
	mutex_lock(&vgpu->mig_lock);
	mig_release_files(vgpu);
	vgpu->mig_state = VFIO_DEVICE_STATE_RUNNING;
	mvgpu_processor_quiesce(vgpu, false);
	mutex_unlock(&vgpu->mig_lock);
}

/**
 * mvgpu_mig_close() - the VFIO user closed the device.
 * @vgpu: the vGPU.
 */
void mvgpu_mig_close(struct mvgpu_vgpu *vgpu)
{
	mvgpu_mig_reset(vgpu);
}

/*
 * The v1 migration region (mig_v1_region.c) drives the same state machine
 * and the same save/load without data fds: these move stream bytes through
 * kernel buffers.  All take mig_lock.
 */

/**
 * mvgpu_mig_v1_set_state() - move the state machine for a v1 write.
 * @vgpu: the vGPU.
 * @state: the v2 state the v1 bits name.
 *
 * Return: 0 or a negative errno (the state is where the walk stopped).
 */
int mvgpu_mig_v1_set_state(struct mvgpu_vgpu *vgpu,
			   enum vfio_device_mig_state state)
{
	struct file *f = mvgpu_mig_set_state(&vgpu->vdev, state);

	if (IS_ERR(f))
		return PTR_ERR(f);
	if (f)
		fput(f);	/* no user fd: the state machine keeps its own */
	return 0;
}

/**
 * mvgpu_mig_v1_get_state() - the current v2 state.
 * @vgpu: the vGPU.
 *
 * Return: the state.
 */
enum vfio_device_mig_state mvgpu_mig_v1_get_state(struct mvgpu_vgpu *vgpu)
{
	enum vfio_device_mig_state s;

	mvgpu_mig_get_state(&vgpu->vdev, &s);
	return s;
}

/**
 * mvgpu_mig_v1_save_chunk() - the next stream bytes of the saving side.
 * @vgpu: the vGPU.
 * @dst: where (at least MVGPU_ENC_BUF_MIN bytes).
 * @len: room.
 *
 * v1 has no temporary end of data: a pre-copy pass that ends just leads to
 * the next one, and 0 means nothing is dirty now (pre-copy) or the stream
 * ended (stop-copy).
 *
 * Return: bytes, 0, or a negative errno (-EINVAL when not saving).
 */
ssize_t mvgpu_mig_v1_save_chunk(struct mvgpu_vgpu *vgpu, u8 *dst, size_t len)
{
	struct mvgpu_mig_file *mf;
	ssize_t n = -EINVAL;

	mutex_lock(&vgpu->mig_lock);
	mf = vgpu->mig_saving;
	if (mf) {
		mutex_lock(&mf->lock);
		n = mf->error;
		if (!n) {
			n = mvgpu_save_produce(mf->save, dst, len);
			if (n < 0)
				mf->error = n;
		}
		mutex_unlock(&mf->lock);
	}
	mutex_unlock(&vgpu->mig_lock);
	return n;
}

/**
 * mvgpu_mig_v1_pending() - v1's pending_bytes for the saving side.
 * @vgpu: the vGPU.
 *
 * Return: in pre-copy the bytes known to be left (0 ends QEMU's iteration);
 * in stop-copy an upper bound that is 0 exactly at the end of the stream.
 */
u64 mvgpu_mig_v1_pending(struct mvgpu_vgpu *vgpu)
{
	struct mvgpu_mig_file *mf;
	u64 initial = 0, dirty = 0;

	mutex_lock(&vgpu->mig_lock);
	mf = vgpu->mig_saving;
	if (mf) {
		mutex_lock(&mf->lock);
		if (mf->save_precopy)
			mvgpu_save_pending(mf->save, 0, &initial, &dirty);
		else if (!mvgpu_save_done(mf->save))
			initial = mvgpu_save_stop_copy_size(vgpu, mf->save);
		mutex_unlock(&mf->lock);
	}
	mutex_unlock(&vgpu->mig_lock);
	return initial + dirty;
}

/**
 * mvgpu_mig_v1_load_chunk() - stream bytes for the resuming side.
 * @vgpu: the vGPU.
 * @src: the bytes.
 * @len: how many.
 *
 * Return: 0 or the stream's (sticky) error; -EINVAL when not resuming.
 */
int mvgpu_mig_v1_load_chunk(struct mvgpu_vgpu *vgpu, const u8 *src, size_t len)
{
	struct mvgpu_mig_file *mf;
	int ret = -EINVAL;

	mutex_lock(&vgpu->mig_lock);
	mf = vgpu->mig_resuming;
	if (mf) {
		mutex_lock(&mf->lock);
		ret = mf->error ? mf->error : mvgpu_load_feed(mf->load, src, len);
		if (ret)
			mf->error = ret;
		mutex_unlock(&mf->lock);
	}
	mutex_unlock(&vgpu->mig_lock);
	return ret;
}
