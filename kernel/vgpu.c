// SPDX-License-Identifier: GPL-2.0
/*
 * vgpu.c - a vGPU as the mdev and VFIO cores see it: creation and removal,
 * open and close, and the VFIO device ioctls and region accesses, which it
 * hands to the emulation files (cfg.c, ...).
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "mvgpu.h"

/* Region offsets, as vfio-pci encodes them: index in the top bits. */
#define MVGPU_REGION_SHIFT	40
#define MVGPU_REGION_OFFSET(i)	((u64)(i) << MVGPU_REGION_SHIFT)
#define MVGPU_REGION_INDEX(o)	((o) >> MVGPU_REGION_SHIFT)
#define MVGPU_REGION_MASK	(MVGPU_REGION_OFFSET(1) - 1)

static int mvgpu_vgpu_init_dev(struct vfio_device *vdev)
{
	struct mvgpu_vgpu *vgpu = vdev_to_vgpu(vdev);
	struct mdev_device *mdev = to_mdev_device(vdev->dev);

	vgpu->mdev = mdev;
	vgpu->parent = mtype_to_parent(mdev->type);
	vgpu->vtype = mtype_to_vtype(mdev->type);
	mutex_init(&vgpu->lock);
	mvgpu_cfg_init(vgpu);
	mvgpu_stat_inc(MVGPU_STAT_VGPU_OBJS);
	return 0;
}

static void mvgpu_vgpu_release_dev(struct vfio_device *vdev)
{
	struct mvgpu_vgpu *vgpu = vdev_to_vgpu(vdev);

	mutex_destroy(&vgpu->lock);
	mvgpu_stat_dec(MVGPU_STAT_VGPU_OBJS);
}

static int mvgpu_vgpu_open(struct vfio_device *vdev)
{
	struct mvgpu_vgpu *vgpu = vdev_to_vgpu(vdev);

	mutex_lock(&vgpu->lock);
	vgpu->open_count++;
	mutex_unlock(&vgpu->lock);
	mvgpu_stat_inc(MVGPU_STAT_OPEN);
	return 0;
}

static void mvgpu_vgpu_close(struct vfio_device *vdev)
{
	struct mvgpu_vgpu *vgpu = vdev_to_vgpu(vdev);

	mutex_lock(&vgpu->lock);
	vgpu->open_count--;
	mutex_unlock(&vgpu->lock);
	mvgpu_stat_dec(MVGPU_STAT_OPEN);
}

static void mvgpu_vgpu_reset(struct mvgpu_vgpu *vgpu)
{
	mutex_lock(&vgpu->lock);
	mvgpu_cfg_init(vgpu);
	mutex_unlock(&vgpu->lock);
}

static u64 mvgpu_region_size(struct mvgpu_vgpu *vgpu, unsigned int index)
{
	switch (index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		return PCI_CFG_SPACE_SIZE;
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
	info.num_regions = VFIO_PCI_NUM_REGIONS;
	info.num_irqs = VFIO_PCI_NUM_IRQS;
	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

static int mvgpu_ioctl_get_region_info(struct mvgpu_vgpu *vgpu,
				       void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_region_info, offset);
	struct vfio_region_info info;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	if (info.index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;

	info.offset = MVGPU_REGION_OFFSET(info.index);
	info.size = mvgpu_region_size(vgpu, info.index);
	info.flags = info.size ? VFIO_REGION_INFO_FLAG_READ |
				 VFIO_REGION_INFO_FLAG_WRITE : 0;
	info.cap_offset = 0;
	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

static int mvgpu_ioctl_get_irq_info(struct mvgpu_vgpu *vgpu, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_info, count);
	struct vfio_irq_info info;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz || info.index >= VFIO_PCI_NUM_IRQS)
		return -EINVAL;
	info.flags = 0;
	info.count = 0;
	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
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
	case VFIO_DEVICE_RESET:
		mvgpu_vgpu_reset(vgpu);
		return 0;
	}
	return -ENOTTY;
}

/*
 * Region accesses: config space is emulated byte-exact for any offset and
 * length inside the region, so one pread() may cover all of it.
 */
static ssize_t mvgpu_vgpu_rw(struct mvgpu_vgpu *vgpu, char __user *ubuf,
			     size_t count, loff_t *ppos, bool write)
{
	unsigned int index = MVGPU_REGION_INDEX(*ppos);
	u64 off = *ppos & MVGPU_REGION_MASK;
	u8 buf[PCI_CFG_SPACE_SIZE];
	u64 size;
	int ret;

	if (*ppos < 0 || index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;
	size = mvgpu_region_size(vgpu, index);
	if (off >= size)
		return -EINVAL;
	count = min_t(u64, count, size - off);

	switch (index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		if (write && copy_from_user(buf, ubuf, count))
			return -EFAULT;
		mutex_lock(&vgpu->lock);
		if (write)
			ret = mvgpu_cfg_write(vgpu, off, buf, count);
		else
			ret = mvgpu_cfg_read(vgpu, off, buf, count);
		mutex_unlock(&vgpu->lock);
		if (ret)
			return ret;
		if (!write && copy_to_user(ubuf, buf, count))
			return -EFAULT;
		break;
	default:
		return -EINVAL;
	}
	*ppos += count;
	return count;
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

static void mvgpu_vgpu_request(struct vfio_device *vdev, unsigned int count)
{
	if (count == 0)
		dev_notice(vdev->dev,
			   "removal waits until the VFIO user closes this vGPU\n");
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
	.request	= mvgpu_vgpu_request,
	.bind_iommufd	= vfio_iommufd_emulated_bind,
	.unbind_iommufd	= vfio_iommufd_emulated_unbind,
	.attach_ioas	= vfio_iommufd_emulated_attach_ioas,
	.detach_ioas	= vfio_iommufd_emulated_detach_ioas,
};

static int mvgpu_vgpu_probe(struct mdev_device *mdev)
{
	struct mvgpu_parent *parent = mtype_to_parent(mdev->type);
	struct mvgpu_vtype *vt = mtype_to_vtype(mdev->type);
	struct mvgpu_vgpu *vgpu;
	int ret;

	if (!try_module_get(THIS_MODULE))
		return -ENODEV;

	ret = mvgpu_pool_reserve(parent, vt->fb_size);
	if (ret) {
		dev_warn_ratelimited(parent->dev,
				     "no room for a %s vGPU: framebuffer pool exhausted\n",
				     vt->desc->name);
		goto err_module;
	}

	vgpu = vfio_alloc_device(mvgpu_vgpu, vdev, &mdev->dev, &mvgpu_vfio_ops);
	if (IS_ERR(vgpu)) {
		ret = PTR_ERR(vgpu);
		goto err_pool;
	}

	ret = vfio_register_emulated_iommu_dev(&vgpu->vdev);
	if (ret)
		goto err_put;

	dev_set_drvdata(&mdev->dev, vgpu);
	mvgpu_stat_inc(MVGPU_STAT_VGPUS);
	return 0;

err_put:
	vfio_put_device(&vgpu->vdev);
err_pool:
	mvgpu_pool_release(parent, vt->fb_size);
err_module:
	module_put(THIS_MODULE);
	return ret;
}

static void mvgpu_vgpu_remove(struct mdev_device *mdev)
{
	struct mvgpu_vgpu *vgpu = dev_get_drvdata(&mdev->dev);
	struct mvgpu_parent *parent = vgpu->parent;
	u64 fb_size = vgpu->vtype->fb_size;

	/* Waits for the VFIO user, if any, to close the device. */
	vfio_unregister_group_dev(&vgpu->vdev);
	vfio_put_device(&vgpu->vdev);
	mvgpu_pool_release(parent, fb_size);
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
