// SPDX-License-Identifier: GPL-2.0
/*
 * mvgpu_drm_drv.c - PCI and DRM glue of the mvgpu guest driver.
 *
 * The vGPU (PCI 1234:4d47, proto/mvgpu_abi.h) has its registers in BAR0
 * and its framebuffer in BAR2.  BAR2 is the VRAM that the GEM VRAM helpers
 * manage: dumb buffers, the fbdev console and render targets all live
 * there, and the display scans out from it.  Interrupts (MSI, or INTx as a
 * fallback) report fences and channel errors to mvgpu_drm_render.c.
 */
#include <linux/debugfs.h>
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/pci.h>

#include <drm/drm_atomic_helper.h>
#include <drm/drm_client_setup.h>
#include <drm/drm_debugfs.h>
#include <drm/drm_drv.h>
#include <drm/drm_fbdev_ttm.h>
#include <drm/drm_file.h>
#include <drm/drm_gem_ttm_helper.h>
#include <drm/drm_gem_vram_helper.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_managed.h>
#include <drm/drm_module.h>
#include <drm/drm_print.h>

#include "mvgpu_drm.h"
#include "mvgpu_drm_drv.h"

static const struct mvgpu_type_desc mvgpu_types[] = MVGPU_TYPES_INIT;

static int mvgpu_drm_open(struct drm_device *drm, struct drm_file *file)
{
	struct mvgpu_drm_file *mfile;

	mfile = kzalloc(sizeof(*mfile), GFP_KERNEL);
	if (!mfile)
		return -ENOMEM;
	file->driver_priv = mfile;
	return 0;
}

static void mvgpu_drm_postclose(struct drm_device *drm, struct drm_file *file)
{
	struct mvgpu_drm_file *mfile = file->driver_priv;

	mvgpu_drm_render_postclose(to_mvgpu(drm), mfile);
	kfree(mfile);
}

static const struct drm_ioctl_desc mvgpu_drm_ioctls[] = {
	DRM_IOCTL_DEF_DRV(MVGPU_INFO, mvgpu_drm_ioctl_info, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(MVGPU_SUBMIT, mvgpu_drm_ioctl_submit, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(MVGPU_WAIT, mvgpu_drm_ioctl_wait, DRM_RENDER_ALLOW),
};

/*
 * debugfs "inject_error": write 1 and the next submit of any context
 * carries an invalid command, so its channel stops (tests the reset path).
 */
static ssize_t mvgpu_drm_inject_write(struct file *f, const char __user *buf,
				      size_t len, loff_t *ppos)
{
	struct mvgpu_drm_device *mdev = f->private_data;
	bool on;
	int ret;

	ret = kstrtobool_from_user(buf, len, &on);
	if (ret)
		return ret;
	atomic_set(&mdev->inject_error, on);
	return len;
}

static const struct file_operations mvgpu_drm_inject_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = mvgpu_drm_inject_write,
};

static void mvgpu_drm_debugfs_init(struct drm_minor *minor)
{
	drm_vram_mm_debugfs_init(minor);
	debugfs_create_file("inject_error", 0200, minor->debugfs_root,
			    to_mvgpu(minor->dev), &mvgpu_drm_inject_fops);
}

DEFINE_DRM_GEM_FOPS(mvgpu_drm_fops);

static const struct drm_driver mvgpu_drm_driver = {
	.driver_features = DRIVER_GEM | DRIVER_MODESET | DRIVER_ATOMIC | DRIVER_RENDER,
	.open = mvgpu_drm_open,
	.postclose = mvgpu_drm_postclose,
	.ioctls = mvgpu_drm_ioctls,
	.num_ioctls = ARRAY_SIZE(mvgpu_drm_ioctls),
	.fops = &mvgpu_drm_fops,
	.name = "mvgpu",
	.desc = "mvgpu mediated virtual GPU",
	.date = "20261207",
	.major = 1,
	.minor = 0,
	.dumb_create = drm_gem_vram_driver_dumb_create,
	.dumb_map_offset = drm_gem_ttm_dumb_map_offset,
	.debugfs_init = mvgpu_drm_debugfs_init,
	DRM_FBDEV_TTM_DRIVER_OPS,
};

static irqreturn_t mvgpu_drm_irq(int irq, void *arg)
{
	struct mvgpu_drm_device *mdev = arg;
	u32 status;

	status = mvgpu_rd(mdev, MVGPU_REG_INTR_STATUS);
	if (status == ~0u)		/* the device is gone */
		return IRQ_NONE;
	status &= MVGPU_INTR_ALL;
	if (!status)			/* a shared INTx line: not ours */
		return IRQ_NONE;
	mvgpu_wr(mdev, MVGPU_REG_INTR_ACK, status);
	mvgpu_drm_render_irq(mdev, status);
	return IRQ_HANDLED;
}

static int mvgpu_drm_hw_init(struct mvgpu_drm_device *mdev, struct pci_dev *pdev)
{
	struct device *dev = &pdev->dev;
	u32 caps, ti;

	mdev->mmio = pcim_iomap_region(pdev, MVGPU_BAR_MMIO, "mvgpu_drm");
	if (IS_ERR(mdev->mmio))
		return PTR_ERR(mdev->mmio);
	if (mvgpu_rd(mdev, MVGPU_REG_ID) != MVGPU_ID_MAGIC) {
		dev_err(dev, "no mvgpu registers in BAR0\n");
		return -ENODEV;
	}
	mdev->abi = mvgpu_rd(mdev, MVGPU_REG_VERSION);
	if (mdev->abi >> 16 != MVGPU_ABI_MAJOR) {
		dev_err(dev, "device ABI %u.%u, driver speaks %u.x\n",
			mdev->abi >> 16, mdev->abi & 0xffff, MVGPU_ABI_MAJOR);
		return -ENODEV;
	}
	caps = mvgpu_rd(mdev, MVGPU_REG_CAPS);
	mdev->nchan = min_t(u32, caps & 0xff, MVGPU_NUM_CHANNELS);
	ti = (caps >> 16) & 0xff;
	mdev->type_index = ti;
	if (ti < ARRAY_SIZE(mvgpu_types)) {
		mdev->max_width = mvgpu_types[ti].max_width;
		mdev->max_height = mvgpu_types[ti].max_height;
	} else {
		/* a newer type: the smallest limits every type has */
		mdev->max_width = mvgpu_types[0].max_width;
		mdev->max_height = mvgpu_types[0].max_height;
	}

	if (pcim_request_region(pdev, MVGPU_BAR_FB, "mvgpu_drm"))
		return -EBUSY;
	mdev->fb_base = pci_resource_start(pdev, MVGPU_BAR_FB);
	mdev->fb_size = pci_resource_len(pdev, MVGPU_BAR_FB);
	if (!mdev->fb_size ||
	    mdev->fb_size > ((u64)mvgpu_rd(mdev, MVGPU_REG_FB_SIZE_HI) << 32 |
			     mvgpu_rd(mdev, MVGPU_REG_FB_SIZE_LO))) {
		dev_err(dev, "BAR2 does not match the framebuffer size\n");
		return -ENODEV;
	}

	/* a clean engine: nothing left from firmware or a previous driver */
	mvgpu_wr(mdev, MVGPU_REG_RESET, MVGPU_RESET_MAGIC);
	drm_info(&mdev->drm, "vGPU type %u, ABI %u.%u, %llu MiB, %u channels\n",
		 ti, mdev->abi >> 16, mdev->abi & 0xffff,
		 (unsigned long long)mdev->fb_size >> 20, mdev->nchan);
	return 0;
}

static int mvgpu_drm_irq_init(struct mvgpu_drm_device *mdev, struct pci_dev *pdev)
{
	int ret;

	ret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSI | PCI_IRQ_INTX);
	if (ret < 0)
		return ret;
	ret = request_irq(pci_irq_vector(pdev, 0), mvgpu_drm_irq, IRQF_SHARED,
			  "mvgpu_drm", mdev);
	if (ret) {
		pci_free_irq_vectors(pdev);
		return ret;
	}
	mvgpu_wr(mdev, MVGPU_REG_INTR_MASK, MVGPU_INTR_ALL);
	return 0;
}

static void mvgpu_drm_irq_fini(struct mvgpu_drm_device *mdev, struct pci_dev *pdev)
{
	mvgpu_wr(mdev, MVGPU_REG_INTR_MASK, 0);
	free_irq(pci_irq_vector(pdev, 0), mdev);
	pci_free_irq_vectors(pdev);
}

static int mvgpu_drm_probe(struct pci_dev *pdev, const struct pci_device_id *ent)
{
	struct mvgpu_drm_device *mdev;
	int ret;

	mdev = devm_drm_dev_alloc(&pdev->dev, &mvgpu_drm_driver,
				  struct mvgpu_drm_device, drm);
	if (IS_ERR(mdev))
		return PTR_ERR(mdev);
	pci_set_drvdata(pdev, mdev);

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	pci_set_master(pdev);
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		return ret;

	ret = mvgpu_drm_hw_init(mdev, pdev);
	if (ret)
		return ret;
	ret = drmm_vram_helper_init(&mdev->drm, mdev->fb_base, mdev->fb_size);
	if (ret)
		return ret;
	ret = mvgpu_drm_kms_init(mdev);
	if (ret)
		return ret;
	ret = mvgpu_drm_render_init(mdev);
	if (ret)
		return ret;
	ret = mvgpu_drm_irq_init(mdev, pdev);
	if (ret)
		goto err_render;

	ret = drm_dev_register(&mdev->drm, 0);
	if (ret)
		goto err_irq;
	drm_client_setup(&mdev->drm, NULL);
	return 0;

err_irq:
	mvgpu_drm_irq_fini(mdev, pdev);
err_render:
	mvgpu_drm_render_fini(mdev);
	return ret;
}

static void mvgpu_drm_remove(struct pci_dev *pdev)
{
	struct mvgpu_drm_device *mdev = pci_get_drvdata(pdev);

	drm_dev_unplug(&mdev->drm);
	drm_atomic_helper_shutdown(&mdev->drm);
	mvgpu_drm_irq_fini(mdev, pdev);
	mvgpu_drm_render_fini(mdev);
	mvgpu_wr(mdev, MVGPU_REG_RESET, MVGPU_RESET_MAGIC);
}

static void mvgpu_drm_shutdown(struct pci_dev *pdev)
{
	struct mvgpu_drm_device *mdev = pci_get_drvdata(pdev);

	drm_atomic_helper_shutdown(&mdev->drm);
}

static const struct pci_device_id mvgpu_drm_pci_ids[] = {
	{ PCI_DEVICE(MVGPU_PCI_VENDOR_ID, MVGPU_PCI_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, mvgpu_drm_pci_ids);

static struct pci_driver mvgpu_drm_pci_driver = {
	.name = "mvgpu_drm",
	.id_table = mvgpu_drm_pci_ids,
	.probe = mvgpu_drm_probe,
	.remove = mvgpu_drm_remove,
	.shutdown = mvgpu_drm_shutdown,
};

drm_module_pci_driver(mvgpu_drm_pci_driver);

MODULE_DESCRIPTION("DRM driver for the mvgpu mediated virtual GPU (guest side)");
MODULE_LICENSE("GPL");
