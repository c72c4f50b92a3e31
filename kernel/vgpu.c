// SPDX-License-Identifier: GPL-2.0
/*
 * vgpu.c - a vGPU as the mdev and VFIO cores see it: creation and removal,
 * open and close, and the VFIO device ioctls and region accesses, which it
 * hands to the emulation files (cfg.c, ...).
 */
#include <linux/memcontrol.h>
#include <linux/module.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "mvgpu.h"
#include "mig.h"

static int mvgpu_vgpu_init_dev(struct vfio_device *vdev)
{
	struct mvgpu_vgpu *vgpu = vdev_to_vgpu(vdev);
	struct mdev_device *mdev = to_mdev_device(vdev->dev);
	int ret;

	vgpu->mdev = mdev;
	vgpu->parent = mtype_to_parent(mdev->type);
	vgpu->vtype = mtype_to_vtype(mdev->type);
	ret = mvgpu_type_fb_size(vgpu->parent, vgpu->vtype, &vgpu->fb_size);
	if (!ret) {
		vgpu->bar2_size = roundup_pow_of_two(vgpu->fb_size);
		ret = mvgpu_fb_init(vgpu);
	}
	if (!ret)
		ret = mvgpu_pool_map(vgpu);
	if (ret == -ENOSPC)
		dev_warn_ratelimited(vgpu->parent->dev,
				     "no room for a %s vGPU: framebuffer pool exhausted\n",
				     vgpu->vtype->desc->name);
	if (ret == -EBUSY && vgpu->vtype->index == MVGPU_TYPE_FULL)
		dev_warn_ratelimited(vgpu->parent->dev,
				     "no room for a %s vGPU: it must be alone on its parent, and another vGPU exists\n",
				     vgpu->vtype->desc->name);
	else if (ret == -EBUSY)
		dev_warn_ratelimited(vgpu->parent->dev,
				     "no room for a %s vGPU: a 1:1 vGPU has the whole parent\n",
				     vgpu->vtype->desc->name);
	if (!ret)
		ret = mvgpu_dirty_init(vgpu);
	if (ret) {
		mvgpu_pool_unmap(vgpu);
		mvgpu_dirty_free(vgpu);
		mvgpu_fb_free(vgpu);
		return ret;
	}
	mutex_init(&vgpu->lock);
	INIT_LIST_HEAD(&vgpu->open_node);
	mvgpu_params_init(vgpu);
	INIT_WORK(&vgpu->work, mvgpu_processor_work);
	mutex_init(&vgpu->v1_lock);
	mvgpu_mig_init(vgpu);
	mvgpu_cfg_init(vgpu);
	mvgpu_mmio_reset(vgpu);
	mvgpu_channels_reset(vgpu);
	mvgpu_stat_inc(MVGPU_STAT_VGPU_OBJS);
	return 0;
}

static void mvgpu_vgpu_release_dev(struct vfio_device *vdev)
{
	struct mvgpu_vgpu *vgpu = vdev_to_vgpu(vdev);

	mvgpu_pool_unmap(vgpu);		/* done at remove, unless probe failed */
	mvgpu_dirty_free(vgpu);
	mvgpu_fb_free(vgpu);
	mutex_destroy(&vgpu->mig_lock);
	mutex_destroy(&vgpu->v1_lock);
	mutex_destroy(&vgpu->lock);
	mvgpu_stat_dec(MVGPU_STAT_VGPU_OBJS);
}

/**
 * mvgpu_engine_reset() - the engine to its power-on state: registers,
 * channels, interrupt state, and what a reset does to ECC (ecc.c).  Config
 * space and framebuffer are kept (this is MVGPU_REG_RESET and a close;
 * VFIO_DEVICE_RESET also resets those).
 * @vgpu: the vGPU; caller holds vgpu->lock.
 */
void mvgpu_engine_reset(struct mvgpu_vgpu *vgpu)
{
	mvgpu_ecc_vgpu_reset(vgpu);
	mvgpu_mmio_reset(vgpu);
	mvgpu_p2p_reset(vgpu);
	mvgpu_channels_reset(vgpu);
	vgpu->intx_masked = false;
	mvgpu_irq_update(vgpu);
}

/*
 * VFIO_DEVICE_RESET: a function-level reset, as at power-on.  It also ends
 * any migration in progress (state RUNNING, data fds dead).
 */
static void mvgpu_vgpu_reset(struct mvgpu_vgpu *vgpu)
{
	mvgpu_mig_reset(vgpu);
	mutex_lock(&vgpu->lock);
	mvgpu_cfg_init(vgpu);
	mvgpu_engine_reset(vgpu);
	mutex_unlock(&vgpu->lock);
	mvgpu_fb_zero(vgpu);
}

static int mvgpu_vgpu_open(struct vfio_device *vdev)
{
	struct mvgpu_vgpu *vgpu = vdev_to_vgpu(vdev);

	mvgpu_p2p_open(vgpu);
	mutex_lock(&vgpu->lock);
	vgpu->open_count++;
	/* what the processor allocates for this user is charged to it */
	vgpu->memcg = get_mem_cgroup_from_mm(current->mm);
	mvgpu_processor_start(vgpu);
	mutex_unlock(&vgpu->lock);
	mvgpu_stat_inc(MVGPU_STAT_OPEN);
	return 0;
}

/* The next user finds the engine idle, with no stale eventfds. */
static void mvgpu_vgpu_close(struct vfio_device *vdev)
{
	struct mvgpu_vgpu *vgpu = vdev_to_vgpu(vdev);

	mvgpu_mig_close(vgpu);
	mvgpu_v1_free(vgpu);
	mvgpu_processor_stop(vgpu);
	mvgpu_p2p_close(vgpu);		/* peers' copies into it end first */
	mutex_lock(&vgpu->lock);
	mvgpu_engine_reset(vgpu);
	mvgpu_irq_release(vgpu);
	mem_cgroup_put(vgpu->memcg);
	vgpu->memcg = NULL;
	vgpu->open_count--;
	mutex_unlock(&vgpu->lock);
	mvgpu_stat_dec(MVGPU_STAT_OPEN);
}

static u64 mvgpu_region_size(struct mvgpu_vgpu *vgpu, unsigned int index)
{
	switch (index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		return PCI_CFG_SPACE_SIZE;
	case VFIO_PCI_BAR0_REGION_INDEX:
		return MVGPU_MMIO_SIZE;
	case VFIO_PCI_BAR2_REGION_INDEX:
		return vgpu->bar2_size;
	case MVGPU_V1_REGION_INDEX:
		return MVGPU_V1_REGION_SIZE;
	default:
		return 0;
	}
}

static int mvgpu_ioctl_get_info(struct mvgpu_vgpu *vgpu, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_device_info, num_irqs);
	struct vfio_device_info info;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	info.flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
	info.num_regions = MVGPU_V1_REGION_INDEX + 1;	/* + the v1 region */
	info.num_irqs = VFIO_PCI_NUM_IRQS;
	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

/* BAR2 is mmap-able whole: one sparse area, which QEMU 7.2 wants. */
static int mvgpu_fb_sparse_cap(struct mvgpu_vgpu *vgpu,
			       struct vfio_info_cap *caps)
{
	struct {
		struct vfio_region_info_cap_sparse_mmap sparse;
		struct vfio_region_sparse_mmap_area area;
	} cap = {
		.sparse.header.id = VFIO_REGION_INFO_CAP_SPARSE_MMAP,
		.sparse.header.version = 1,
		.sparse.nr_areas = 1,
		.area.offset = 0,
		.area.size = vgpu->fb_size,
	};

	return vfio_info_add_capability(caps, &cap.sparse.header, sizeof(cap));
}

static int mvgpu_ioctl_get_region_info(struct mvgpu_vgpu *vgpu,
				       void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_region_info, offset);
	struct vfio_info_cap caps = { .buf = NULL, .size = 0 };
	struct vfio_region_info info;
	int ret;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	if (info.index > MVGPU_V1_REGION_INDEX)
		return -EINVAL;

	info.offset = MVGPU_REGION_OFFSET(info.index);
	info.size = mvgpu_region_size(vgpu, info.index);
	info.flags = info.size ? VFIO_REGION_INFO_FLAG_READ |
				 VFIO_REGION_INFO_FLAG_WRITE : 0;
	info.cap_offset = 0;

	if (info.index == MVGPU_V1_REGION_INDEX) {
		ret = mvgpu_v1_region_info(vgpu, &info, &caps);
		if (ret) {
			kfree(caps.buf);
			return ret;
		}
	}
	if (info.index == VFIO_PCI_BAR2_REGION_INDEX) {
		info.flags |= VFIO_REGION_INFO_FLAG_MMAP;
		ret = mvgpu_fb_sparse_cap(vgpu, &caps);
		if (ret)
			return ret;
	}

	if (caps.size) {
		info.flags |= VFIO_REGION_INFO_FLAG_CAPS;
		if (info.argsz < sizeof(info) + caps.size) {
			info.argsz = sizeof(info) + caps.size;
		} else {
			vfio_info_cap_shift(&caps, sizeof(info));
			if (copy_to_user(arg + sizeof(info), caps.buf,
					 caps.size)) {
				kfree(caps.buf);
				return -EFAULT;
			}
			info.cap_offset = sizeof(info);
		}
		kfree(caps.buf);
	}
	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

static int mvgpu_ioctl_get_irq_info(struct mvgpu_vgpu *vgpu, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_info, count);
	struct vfio_irq_info info;
	int ret;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	ret = mvgpu_irq_info(vgpu, &info);
	if (ret)
		return ret;
	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

static int mvgpu_ioctl_set_irqs(struct mvgpu_vgpu *vgpu, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_set, count);
	struct vfio_irq_set hdr;

	if (copy_from_user(&hdr, arg, minsz))
		return -EFAULT;
	return mvgpu_set_irqs(vgpu, &hdr, arg + minsz);
}

static long mvgpu_vgpu_ioctl(struct vfio_device *vdev, unsigned int cmd,
			     unsigned long arg)
{
	struct mvgpu_vgpu *vgpu = vdev_to_vgpu(vdev);
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		return mvgpu_ioctl_get_info(vgpu, uarg);
	case VFIO_DEVICE_GET_REGION_INFO:
		return mvgpu_ioctl_get_region_info(vgpu, uarg);
	case VFIO_DEVICE_GET_IRQ_INFO:
		return mvgpu_ioctl_get_irq_info(vgpu, uarg);
	case VFIO_DEVICE_SET_IRQS:
		return mvgpu_ioctl_set_irqs(vgpu, uarg);
	case VFIO_DEVICE_QUERY_GFX_PLANE:
		return mvgpu_query_gfx_plane(vgpu, uarg);
	case VFIO_DEVICE_RESET:
		mvgpu_vgpu_reset(vgpu);
		return 0;
	}
	return -ENOTTY;
}

/* Config space: byte-exact at any offset and length inside it. */
static ssize_t mvgpu_cfg_rw(struct mvgpu_vgpu *vgpu, char __user *ubuf,
			    u64 off, size_t count, bool write)
{
	u8 buf[PCI_CFG_SPACE_SIZE];
	int ret;

	if (write && copy_from_user(buf, ubuf, count))
		return -EFAULT;
	mutex_lock(&vgpu->lock);
	if (write) {
		ret = mvgpu_cfg_write(vgpu, off, buf, count);
		if (!ret)
			mvgpu_irq_update(vgpu);	/* INTx disable may change */
	} else {
		ret = mvgpu_cfg_read(vgpu, off, buf, count);
	}
	mutex_unlock(&vgpu->lock);
	if (ret)
		return ret;
	if (!write && copy_to_user(ubuf, buf, count))
		return -EFAULT;
	return count;
}

/* Registers: whole aligned 32-bit words, up to 64 per call. */
static ssize_t mvgpu_mmio_rw(struct mvgpu_vgpu *vgpu, char __user *ubuf,
			     u64 off, size_t count, bool write)
{
	__le32 buf[64];
	unsigned int i, n;

	if (!IS_ALIGNED(off, 4) || !IS_ALIGNED(count, 4))
		return -EINVAL;
	count = min(count, sizeof(buf));
	n = count / 4;
	if (write && copy_from_user(buf, ubuf, count))
		return -EFAULT;
	mutex_lock(&vgpu->lock);
	for (i = 0; i < n; i++) {
		if (write)
			mvgpu_mmio_write(vgpu, off + 4 * i, le32_to_cpu(buf[i]));
		else
			buf[i] = cpu_to_le32(mvgpu_mmio_read(vgpu, off + 4 * i));
	}
	mutex_unlock(&vgpu->lock);
	if (!write && copy_to_user(ubuf, buf, count))
		return -EFAULT;
	return count;
}

/*
 * BAR2 past the framebuffer (the 1:1 type's BAR is a power of two): reads
 * zeroes, drops writes.  A page at a time, yielding between them.
 */
static ssize_t mvgpu_bar2_tail_rw(char __user *ubuf, size_t count, bool write)
{
	size_t done = 0, n;

	if (write)
		return count;
	while (done < count) {
		n = min_t(size_t, count - done, PAGE_SIZE);
		if (clear_user(ubuf + done, n))
			return done ? done : -EFAULT;
		done += n;
		cond_resched();
		if (fatal_signal_pending(current))
			break;
	}
	return done;
}

static ssize_t mvgpu_vgpu_rw(struct mvgpu_vgpu *vgpu, char __user *ubuf,
			     size_t count, loff_t *ppos, bool write)
{
	unsigned int index = MVGPU_REGION_INDEX(*ppos);
	u64 off = *ppos & MVGPU_REGION_MASK;
	ssize_t ret;
	u64 size;

	if (*ppos < 0 || index > MVGPU_V1_REGION_INDEX || !count)
		return -EINVAL;
	size = mvgpu_region_size(vgpu, index);
	if (off >= size)
		return -EINVAL;
	count = min_t(u64, count, size - off);

	switch (index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		ret = mvgpu_cfg_rw(vgpu, ubuf, off, count, write);
		break;
	case VFIO_PCI_BAR0_REGION_INDEX:
		ret = mvgpu_mmio_rw(vgpu, ubuf, off, count, write);
		break;
	case VFIO_PCI_BAR2_REGION_INDEX:
		if (off < vgpu->fb_size)
			ret = mvgpu_fb_rw_user(vgpu, ubuf, off,
					       min_t(u64, count, vgpu->fb_size - off),
					       write);
		else
			ret = mvgpu_bar2_tail_rw(ubuf, count, write);
		break;
	case MVGPU_V1_REGION_INDEX:
		ret = mvgpu_v1_rw(vgpu, ubuf, off, count, write);
		break;
	default:
		ret = -EINVAL;
	}
	if (ret > 0)
		*ppos += ret;
	return ret;
}

static ssize_t mvgpu_vgpu_read(struct vfio_device *vdev, char __user *buf,
			       size_t count, loff_t *ppos)
{
	return mvgpu_vgpu_rw(vdev_to_vgpu(vdev), buf, count, ppos, false);
}

static ssize_t mvgpu_vgpu_write(struct vfio_device *vdev,
				const char __user *buf, size_t count,
				loff_t *ppos)
{
	return mvgpu_vgpu_rw(vdev_to_vgpu(vdev), (char __user *)buf, count,
			     ppos, true);
}

static int mvgpu_vgpu_mmap(struct vfio_device *vdev,
			   struct vm_area_struct *vma)
{
	u64 pos = (u64)vma->vm_pgoff << PAGE_SHIFT;

	if (MVGPU_REGION_INDEX(pos) == MVGPU_V1_REGION_INDEX)
		return mvgpu_v1_mmap(vdev_to_vgpu(vdev), vma,
				     pos & MVGPU_REGION_MASK);
	if (MVGPU_REGION_INDEX(pos) != VFIO_PCI_BAR2_REGION_INDEX)
		return -EINVAL;
	return mvgpu_fb_mmap(vdev_to_vgpu(vdev), vma,
			     pos & MVGPU_REGION_MASK);
}

static void mvgpu_vgpu_request(struct vfio_device *vdev, unsigned int count)
{
	struct mvgpu_vgpu *vgpu = vdev_to_vgpu(vdev);

	mutex_lock(&vgpu->lock);
	mvgpu_irq_request(vgpu);
	mutex_unlock(&vgpu->lock);
	if (count == 0)
		dev_notice(vdev->dev,
			   "removal waits until the VFIO user closes this vGPU\n");
}

static void mvgpu_vgpu_dma_unmap(struct vfio_device *vdev, u64 iova, u64 len)
{
	/* Nothing is pinned: every DMA goes through vfio_dma_rw(). */
}

static const struct vfio_device_ops mvgpu_vfio_ops = {
	.name		= "mvgpu",
	.init		= mvgpu_vgpu_init_dev,
	.release	= mvgpu_vgpu_release_dev,
	.open_device	= mvgpu_vgpu_open,
	.close_device	= mvgpu_vgpu_close,
	.ioctl		= mvgpu_vgpu_ioctl,
	.read		= mvgpu_vgpu_read,
	.write		= mvgpu_vgpu_write,
	.mmap		= mvgpu_vgpu_mmap,
	.request	= mvgpu_vgpu_request,
	.dma_unmap	= mvgpu_vgpu_dma_unmap,
	.bind_iommufd	= vfio_iommufd_emulated_bind,
	.unbind_iommufd	= vfio_iommufd_emulated_unbind,
	.attach_ioas	= vfio_iommufd_emulated_attach_ioas,
	.detach_ioas	= vfio_iommufd_emulated_detach_ioas,
};

static int mvgpu_vgpu_probe(struct mdev_device *mdev)
{
	struct mvgpu_vgpu *vgpu;
	int ret;

	if (!try_module_get(THIS_MODULE))
		return -ENODEV;

	/* init_dev takes the framebuffer from the pool, release gives it back */
	vgpu = vfio_alloc_device(mvgpu_vgpu, vdev, &mdev->dev, &mvgpu_vfio_ops);
	if (IS_ERR(vgpu)) {
		ret = PTR_ERR(vgpu);
		goto err_module;
	}

	ret = vfio_register_emulated_iommu_dev(&vgpu->vdev);
	if (ret)
		goto err_put;

	dev_set_drvdata(&mdev->dev, vgpu);
	mvgpu_ecc_debugfs_add(vgpu);
	mvgpu_stat_inc(MVGPU_STAT_VGPUS);
	return 0;

err_put:
	vfio_put_device(&vgpu->vdev);
err_module:
	module_put(THIS_MODULE);
	return ret;
}

static void mvgpu_vgpu_remove(struct mdev_device *mdev)
{
	struct mvgpu_vgpu *vgpu = dev_get_drvdata(&mdev->dev);

	mvgpu_ecc_debugfs_remove(vgpu);
	/* Waits for the VFIO user, if any, to close the device. */
	vfio_unregister_group_dev(&vgpu->vdev);
	/* now: the last reference may be dropped later than this put */
	mvgpu_pool_unmap(vgpu);
	vfio_put_device(&vgpu->vdev);
	mvgpu_stat_dec(MVGPU_STAT_VGPUS);
	module_put(THIS_MODULE);
}

struct mdev_driver mvgpu_mdev_driver = {
	.device_api	= VFIO_DEVICE_API_PCI_STRING,
	.driver = {
		.name		= "mvgpu",
		.owner		= THIS_MODULE,
		.mod_name	= KBUILD_MODNAME,
		.dev_groups	= mvgpu_vgpu_groups,
	},
	.probe			= mvgpu_vgpu_probe,
	.remove			= mvgpu_vgpu_remove,
	.get_available		= mvgpu_type_available,
	.show_description	= mvgpu_type_description,
};
