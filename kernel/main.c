// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - mvgpu module entry: parameters, registration order, teardown.
 *
 * mvgpu is one module that both creates vGPUs (VFIO mdev parent driver) and
 * emulates them.  Parents come from two places: PCI functions bound to the
 * "mvgpu" PCI driver through dynamic IDs (new_id), and virtual parents made
 * here when the virtual_parents parameter asks for them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#include "mvgpu.h"

unsigned int mvgpu_fb_pool_mib = 1024;
module_param_named(fb_pool_mb, mvgpu_fb_pool_mib, uint, 0444);
MODULE_PARM_DESC(fb_pool_mb,
		 "framebuffer pool of each parent in MiB (64..65536, default 1024)");

unsigned int mvgpu_spare_pages = 64;
module_param_named(spare_pages, mvgpu_spare_pages, uint, 0444);
MODULE_PARM_DESC(spare_pages,
		 "spare framebuffer pages of each parent that replace retired ones (0..65536, default 64)");

bool mvgpu_ecc_default = true;
module_param_named(ecc, mvgpu_ecc_default, bool, 0444);
MODULE_PARM_DESC(ecc, "ECC mode of new parents (default 1: enabled)");

char *mvgpu_memory_default = "hbm";
module_param_named(memory, mvgpu_memory_default, charp, 0444);
MODULE_PARM_DESC(memory,
		 "memory kind of new parents: hbm (default) or ddr (ECC takes 1/16)");

char *mvgpu_retired_pages_file;
module_param_named(retired_pages_file, mvgpu_retired_pages_file, charp, 0444);
MODULE_PARM_DESC(retired_pages_file,
		 "file that keeps retired pages and ECC counters across reloads (default: none)");

module_param_named(links, mvgpu_links_param, charp, 0444);
MODULE_PARM_DESC(links,
		 "links between parents, \"A-B:N,...\" (parents by sysfs name: 0000:00:04.0, mvgpu0; N 1..12)");
module_param_named(link_mib_s, mvgpu_link_mib_s, uint, 0644);
MODULE_PARM_DESC(link_mib_s,
		 "bandwidth of one link in MiB/s for peer copies (default 25600; writable: the next step uses it)");

static unsigned int virtual_parents;
module_param(virtual_parents, uint, 0444);
MODULE_PARM_DESC(virtual_parents,
		 "number of virtual parents to create (0..8, default 0)");

static int __init mvgpu_init(void)
{
	int ret;

	if (mvgpu_fb_pool_mib < 64 || mvgpu_fb_pool_mib > 65536) {
		pr_err("fb_pool_mb=%u is out of range 64..65536\n",
		       mvgpu_fb_pool_mib);
		return -EINVAL;
	}
	if (mvgpu_spare_pages > 65536) {
		pr_err("spare_pages=%u is out of range 0..65536\n",
		       mvgpu_spare_pages);
		return -EINVAL;
	}
	if (!sysfs_streq(mvgpu_memory_default, "hbm") &&
	    !sysfs_streq(mvgpu_memory_default, "ddr")) {
		pr_err("memory=%s: want hbm or ddr\n", mvgpu_memory_default);
		return -EINVAL;
	}
	if (mvgpu_retired_pages_file && *mvgpu_retired_pages_file &&
	    mvgpu_retired_pages_file[0] != '/') {
		pr_err("retired_pages_file=%s: want an absolute path\n",
		       mvgpu_retired_pages_file);
		return -EINVAL;
	}
	if (virtual_parents > MVGPU_MAX_VPARENTS) {
		pr_err("virtual_parents=%u is out of range 0..%d\n",
		       virtual_parents, MVGPU_MAX_VPARENTS);
		return -EINVAL;
	}

	mvgpu_wq = alloc_workqueue("mvgpu", WQ_UNBOUND, 0);
	if (!mvgpu_wq)
		return -ENOMEM;
	mvgpu_stats_init();

	ret = mdev_register_driver(&mvgpu_mdev_driver);
	if (ret)
		goto err_stats;

	ret = mvgpu_virtual_parents_create(virtual_parents);
	if (ret)
		goto err_mdev;

	ret = pci_register_driver(&mvgpu_pci_driver);
	if (ret)
		goto err_virtual;

	pr_info("version %s loaded: pool %u MiB per parent, %u virtual parent(s)\n",
		MVGPU_DRIVER_VERSION, mvgpu_fb_pool_mib, virtual_parents);
	return 0;

err_virtual:
	mvgpu_virtual_parents_destroy();
err_mdev:
	mdev_unregister_driver(&mvgpu_mdev_driver);
err_stats:
	mvgpu_stats_exit();
	destroy_workqueue(mvgpu_wq);
	return ret;
}

/*
 * Every vGPU holds a reference on this module (see mvgpu_vgpu_probe()), so
 * exit only runs once no vGPU exists: rmmod with vGPUs present fails with
 * EBUSY ("Module mvgpu is in use") instead of tearing live devices down.
 */
static void __exit mvgpu_exit(void)
{
	mvgpu_retired_flush();
	pci_unregister_driver(&mvgpu_pci_driver);
	mvgpu_virtual_parents_destroy();
	mdev_unregister_driver(&mvgpu_mdev_driver);
	mvgpu_stats_exit();
	destroy_workqueue(mvgpu_wq);
}

module_init(mvgpu_init);
module_exit(mvgpu_exit);

MODULE_LICENSE("GPL");
MODULE_VERSION(MVGPU_DRIVER_VERSION);
MODULE_DESCRIPTION("mvgpu: live-migratable mediated virtual GPU");
MODULE_IMPORT_NS(IOMMUFD);
