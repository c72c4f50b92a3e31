/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mvgpu.h - internal interfaces between the files of the mvgpu module.
 *
 * Objects and their owners:
 *   struct mvgpu_parent - a "physical GPU": a PCI function bound to the
 *	mvgpu PCI driver, or a virtual device made at load time.  Registers
 *	with the mdev core, owns the framebuffer pool and one struct
 *	mvgpu_vtype per vGPU type.
 *   struct mvgpu_vgpu - one vGPU: an mdev device that is a VFIO device.
 *	Allocated in mvgpu_vgpu_probe(), freed by the VFIO core's release.
 */
#ifndef MVGPU_H
#define MVGPU_H

#include <linux/mdev.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/types.h>
#include <linux/vfio.h>

#include "mvgpu_abi.h"

#define MVGPU_DRIVER_VERSION	"0.1.0"
#define MVGPU_MAX_VPARENTS	8

/**
 * struct mvgpu_vtype - one vGPU type of one parent.
 * @mtype:	what the mdev core sees; must stay embedded (sysfs kobject).
 * @desc:	the type's row of the ABI type table.
 * @index:	index of @desc in that table.
 * @fb_size:	framebuffer size in bytes.
 */
struct mvgpu_vtype {
	struct mdev_type mtype;
	const struct mvgpu_type_desc *desc;
	unsigned int index;
	u64 fb_size;
};

/**
 * struct mvgpu_parent - a physical GPU that vGPUs are carved from.
 * @mparent:	mdev core registration.
 * @dev:	the device the types hang off (PCI function or virtual device).
 * @lock:	protects @fb_used.  Taken in sysfs show paths and in vGPU
 *		probe/remove; never held across calls into the VFIO core.
 * @fb_total:	size of the framebuffer pool in bytes.
 * @fb_used:	bytes of the pool reserved by existing vGPUs.
 * @vtypes:	the types this parent offers.
 * @mtypes:	pointers into @vtypes, the array the mdev core wants.
 */
struct mvgpu_parent {
	struct mdev_parent mparent;
	struct device *dev;
	struct mutex lock;
	u64 fb_total;
	u64 fb_used;
	struct mvgpu_vtype vtypes[MVGPU_NUM_TYPES];
	struct mdev_type *mtypes[MVGPU_NUM_TYPES];
};

/**
 * struct mvgpu_vgpu - one vGPU.
 * @vdev:	the VFIO device; first member (vfio_alloc_device() wants it).
 * @mdev:	the mdev device it was created on.
 * @parent:	the parent whose pool it draws from.
 * @vtype:	its type.
 * @lock:	serialises device emulation: config space, open state.
 * @open_count:	number of opens (the VFIO core allows one at a time).
 * @cfg:	emulated PCI config space.
 */
struct mvgpu_vgpu {
	struct vfio_device vdev;
	struct mdev_device *mdev;
	struct mvgpu_parent *parent;
	struct mvgpu_vtype *vtype;
	struct mutex lock;
	unsigned int open_count;
	u8 cfg[PCI_CFG_SPACE_SIZE];
	u8 cfg_wmask[PCI_CFG_SPACE_SIZE];
	u8 cfg_w1c[PCI_CFG_SPACE_SIZE];
};

static inline struct mvgpu_vgpu *vdev_to_vgpu(struct vfio_device *vdev)
{
	return container_of(vdev, struct mvgpu_vgpu, vdev);
}

static inline struct mvgpu_vtype *mtype_to_vtype(struct mdev_type *mtype)
{
	return container_of(mtype, struct mvgpu_vtype, mtype);
}

static inline struct mvgpu_parent *mtype_to_parent(struct mdev_type *mtype)
{
	return container_of(mtype->parent, struct mvgpu_parent, mparent);
}

/* main.c: module parameters */
extern unsigned int mvgpu_fb_pool_mib;

/* type.c */
void mvgpu_types_init(struct mvgpu_parent *parent);
unsigned int mvgpu_type_available(struct mdev_type *mtype);
ssize_t mvgpu_type_description(struct mdev_type *mtype, char *buf);
int mvgpu_pool_reserve(struct mvgpu_parent *parent, u64 bytes);
void mvgpu_pool_release(struct mvgpu_parent *parent, u64 bytes);

/* parent.c */
extern struct pci_driver mvgpu_pci_driver;
int mvgpu_virtual_parents_create(unsigned int count);
void mvgpu_virtual_parents_destroy(void);

/* vgpu.c */
extern struct mdev_driver mvgpu_mdev_driver;

/* cfg.c */
void mvgpu_cfg_init(struct mvgpu_vgpu *vgpu);
int mvgpu_cfg_read(struct mvgpu_vgpu *vgpu, unsigned int off, void *val,
		   unsigned int len);
int mvgpu_cfg_write(struct mvgpu_vgpu *vgpu, unsigned int off,
		    const void *val, unsigned int len);

/* sysfs.c */
extern const struct attribute_group *mvgpu_vgpu_groups[];

/* stats.c: object counters for leak checks, shown in debugfs */
enum mvgpu_stat {
	MVGPU_STAT_PARENTS,
	MVGPU_STAT_VGPUS,
	MVGPU_STAT_VGPU_OBJS,
	MVGPU_STAT_OPEN,
	MVGPU_NR_STATS,
};
void mvgpu_stat_inc(enum mvgpu_stat s);
void mvgpu_stat_dec(enum mvgpu_stat s);
void mvgpu_stats_init(void);
void mvgpu_stats_exit(void);

#endif /* MVGPU_H */
