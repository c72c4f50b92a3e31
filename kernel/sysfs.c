// SPDX-License-Identifier: GPL-2.0
/*
 * sysfs.c - vendor attributes of a vGPU, in /sys/bus/mdev/devices/<uuid>/mvgpu/.
 *
 *   in_use	1 while a VFIO user has the vGPU open.  Management tools check it
 *		before writing "remove": the mdev core would otherwise block the
 *		writer until the user lets go.
 */
#include <linux/device.h>
#include <linux/sysfs.h>

#include "mvgpu.h"

static ssize_t in_use_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct mvgpu_vgpu *vgpu = dev_get_drvdata(dev);
	unsigned int open;

	mutex_lock(&vgpu->lock);
	open = vgpu->open_count;
	mutex_unlock(&vgpu->lock);
	return sysfs_emit(buf, "%u\n", open ? 1 : 0);
}
static DEVICE_ATTR_RO(in_use);

static struct attribute *mvgpu_vgpu_attrs[] = {
	&dev_attr_in_use.attr,
	NULL,
};

static const struct attribute_group mvgpu_vgpu_group = {
	.name = "mvgpu",
	.attrs = mvgpu_vgpu_attrs,
};

const struct attribute_group *mvgpu_vgpu_groups[] = {
	&mvgpu_vgpu_group,
	NULL,
};
