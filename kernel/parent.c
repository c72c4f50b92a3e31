// SPDX-License-Identifier: GPL-2.0
/*
 * parent.c - physical GPUs that vGPUs are created on.
 *
 * A parent is either a PCI function bound to the "mvgpu" PCI driver (it has
 * no static ID table: an administrator binds a function with
 *	echo VENDOR DEVICE > /sys/bus/pci/drivers/mvgpu/new_id
 * which gives NVIDIA's layout, /sys/bus/pci/drivers/mvgpu/<BDF>/
 * mdev_supported_types/, and is what libvirt's node devices list), or a
 * virtual device "mvgpuN" of class "mvgpu", made at load time for machines
 * without a spare PCI function.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "mvgpu.h"

/* Every parent, for the retired-pages file (retire.c). */
LIST_HEAD(mvgpu_parents);
DEFINE_MUTEX(mvgpu_parents_lock);

static struct mvgpu_parent *mvgpu_parent_create(struct device *dev)
{
	struct mvgpu_parent *parent;
	int ret;

	parent = kzalloc(sizeof(*parent), GFP_KERNEL);
	if (!parent)
		return ERR_PTR(-ENOMEM);

	parent->dev = dev;
	mutex_init(&parent->lock);
	parent->fb_total = (u64)mvgpu_fb_pool_mib << 20;
	ret = mvgpu_pool_init(parent);
	if (ret)
		goto err_free;
	mvgpu_ecc_parent_init(parent);
	mvgpu_retired_load(parent);
	mvgpu_types_init(parent);

	/* the parent's attributes find it here (parent_sysfs.c) */
	dev_set_drvdata(dev, parent);
	/*
	 * Its links (links=) before its types appear: registering announces
	 * the parent (mdevctl's autostart creates vGPUs then), and a link
	 * cannot be set once either side has a vGPU.
	 */
	mutex_lock(&mvgpu_parents_lock);
	list_add_tail(&parent->node, &mvgpu_parents);
	mutex_unlock(&mvgpu_parents_lock);
	mvgpu_links_parent_added(parent);
	ret = mdev_register_parent(&parent->mparent, dev, &mvgpu_mdev_driver,
				   parent->mtypes, MVGPU_NUM_TYPES);
	if (ret)
		goto err_list;
	mvgpu_stat_inc(MVGPU_STAT_PARENTS);
	dev_info(dev, "mvgpu parent: %u MiB framebuffer pool, %s, ECC %s\n",
		 mvgpu_fb_pool_mib,
		 parent->mem_kind == MVGPU_MEM_DDR ? "DDR" : "HBM",
		 parent->ecc_on ? "enabled" : "disabled");
	return parent;

err_list:
	mutex_lock(&mvgpu_parents_lock);
	list_del(&parent->node);
	mutex_unlock(&mvgpu_parents_lock);
	mvgpu_links_parent_removed(parent);
	dev_set_drvdata(dev, NULL);
	mvgpu_pool_free(parent);
err_free:
	mutex_destroy(&parent->lock);
	kfree(parent);
	return ERR_PTR(ret);
}

/* Removes every vGPU of the parent (waiting for open ones to be closed). */
static void mvgpu_parent_destroy(struct mvgpu_parent *parent)
{
	mdev_unregister_parent(&parent->mparent);
	WARN_ON(parent->fb_used);
	mutex_lock(&mvgpu_parents_lock);
	list_del(&parent->node);
	mutex_unlock(&mvgpu_parents_lock);
	mvgpu_links_parent_removed(parent);
	dev_set_drvdata(parent->dev, NULL);
	mvgpu_pool_free(parent);
	mutex_destroy(&parent->lock);
	kfree(parent);
	mvgpu_stat_dec(MVGPU_STAT_PARENTS);
}

/* PCI parents */

static int mvgpu_pci_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct mvgpu_parent *parent;

	parent = mvgpu_parent_create(&pdev->dev);
	return PTR_ERR_OR_ZERO(parent);
}

static void mvgpu_pci_remove(struct pci_dev *pdev)
{
	mvgpu_parent_destroy(pci_get_drvdata(pdev));
}

/*
 * No ID table at all (not even an empty one, which new_id would refuse):
 * functions are bound through new_id only, and nothing binds by surprise.
 */
struct pci_driver mvgpu_pci_driver = {
	.name		= "mvgpu",
	.id_table	= NULL,
	.probe		= mvgpu_pci_probe,
	.remove		= mvgpu_pci_remove,
	.dev_groups	= mvgpu_parent_groups,
};

/* Virtual parents */

static const struct class mvgpu_class = {
	.name = "mvgpu",
};

struct mvgpu_vparent {
	struct device dev;
	struct mvgpu_parent *parent;
};

static struct mvgpu_vparent *mvgpu_vparents[MVGPU_MAX_VPARENTS];
static bool mvgpu_class_registered;

static void mvgpu_vparent_release(struct device *dev)
{
	kfree(container_of(dev, struct mvgpu_vparent, dev));
}

static int mvgpu_vparent_create(unsigned int i)
{
	struct mvgpu_vparent *vp;
	int ret;

	vp = kzalloc(sizeof(*vp), GFP_KERNEL);
	if (!vp)
		return -ENOMEM;
	device_initialize(&vp->dev);
	vp->dev.class = &mvgpu_class;
	vp->dev.release = mvgpu_vparent_release;
	ret = dev_set_name(&vp->dev, "mvgpu%u", i);
	if (ret)
		goto err_put;
	ret = device_add(&vp->dev);
	if (ret)
		goto err_put;

	vp->parent = mvgpu_parent_create(&vp->dev);
	if (IS_ERR(vp->parent)) {
		ret = PTR_ERR(vp->parent);
		device_del(&vp->dev);
		goto err_put;
	}
	/* as a PCI parent's driver groups: there while the parent is */
	ret = device_add_groups(&vp->dev, mvgpu_parent_groups);
	if (ret) {
		mvgpu_parent_destroy(vp->parent);
		device_del(&vp->dev);
		goto err_put;
	}
	mvgpu_vparents[i] = vp;
	return 0;

err_put:
	put_device(&vp->dev);
	return ret;
}

/**
 * mvgpu_virtual_parents_create() - make the virtual parents mvgpu0..N-1.
 * @count: how many (at most 8).
 *
 * Return: 0 or a negative errno; on error nothing is left behind.
 */
int mvgpu_virtual_parents_create(unsigned int count)
{
	unsigned int i;
	int ret;

	if (!count)
		return 0;
	if (count > MVGPU_MAX_VPARENTS)
		return -EINVAL;

	ret = class_register(&mvgpu_class);
	if (ret)
		return ret;
	mvgpu_class_registered = true;

	for (i = 0; i < count; i++) {
		ret = mvgpu_vparent_create(i);
		if (ret) {
			pr_err("cannot create virtual parent mvgpu%u: %d\n",
			       i, ret);
			mvgpu_virtual_parents_destroy();
			return ret;
		}
	}
	return 0;
}

/**
 * mvgpu_virtual_parents_destroy() - remove all virtual parents.
 */
void mvgpu_virtual_parents_destroy(void)
{
	unsigned int i;

	for (i = 0; i < MVGPU_MAX_VPARENTS; i++) {
		struct mvgpu_vparent *vp = mvgpu_vparents[i];

		if (!vp)
			continue;
		device_remove_groups(&vp->dev, mvgpu_parent_groups);
		mvgpu_parent_destroy(vp->parent);
		device_unregister(&vp->dev);
		mvgpu_vparents[i] = NULL;
	}
	if (mvgpu_class_registered) {
		class_unregister(&mvgpu_class);
		mvgpu_class_registered = false;
	}
}
