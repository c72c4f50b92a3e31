// SPDX-License-Identifier: GPL-2.0
/*
 * sysfs.c - vendor attributes of a vGPU, through the driver's dev_groups
 * (struct device_attribute, as the driver core means them):
 *
 *   /sys/bus/mdev/devices/<uuid>/migration_version
 *		The 2019 proposal's semantics, on the vGPU: read it on the
 *		source to get a string; write that string on the target: the
 *		write succeeds if this vGPU can accept a stream from the source
 *		and fails with EINVAL otherwise.  The string is also parseable
 *		key=value fields (docs/compatibility.md), so management can
 *		decide without probing.  The rules live in proto/mvgpu_compat.c
 *		and are the ones the stream's descriptor is checked against.
 *		(The 6.12 mdev core offers no driver attributes on a *type*: its
 *		type attributes are fixed, and adding files to its kobject would
 *		mean calling through its private attribute struct.)
 *   /sys/bus/mdev/devices/<uuid>/mvgpu/in_use
 *		1 while a VFIO user has the vGPU open.  Management tools check
 *		it before writing "remove": the mdev core would otherwise block
 *		the writer until the user lets go.
 */
#include <linux/device.h>
#include <linux/sysfs.h>

#include "mvgpu.h"
#include "mvgpu_compat.h"

static int vgpu_local_info(struct device *dev, struct mvgpu_compat_info *info)
{
	struct mvgpu_vgpu *vgpu = dev_get_drvdata(dev);

	return mvgpu_compat_local(info, vgpu->vtype->index,
				  MVGPU_DRIVER_VERSION);
}

static ssize_t migration_version_show(struct device *dev,
				      struct device_attribute *attr, char *buf)
{
	struct mvgpu_compat_info info;
	int ret = vgpu_local_info(dev, &info);

	if (!ret)
		ret = mvgpu_compat_format(&info, buf, PAGE_SIZE);
	return ret;	/* the string ends in a newline */
}

static ssize_t migration_version_store(struct device *dev,
				       struct device_attribute *attr,
				       const char *buf, size_t count)
{
	char why[MVGPU_COMPAT_WHY_MAX] = "";
	struct mvgpu_compat_info info;
	size_t len = count;
	int ret;

	if (len && buf[len - 1] == '\n')
		len--;
	ret = vgpu_local_info(dev, &info);
	if (!ret)
		ret = mvgpu_compat_check_string(&info, buf, len, why, sizeof(why));
	if (ret) {
		dev_info_ratelimited(dev, "incompatible migration_version: %s\n",
				     why);
		return -EINVAL;
	}
	return count;
}
static DEVICE_ATTR_RW(migration_version);

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

static struct attribute *mvgpu_vgpu_top_attrs[] = {
	&dev_attr_migration_version.attr,
	NULL,
};

static const struct attribute_group mvgpu_vgpu_top_group = {
	.attrs = mvgpu_vgpu_top_attrs,
};

static struct attribute *mvgpu_vgpu_attrs[] = {
	&dev_attr_in_use.attr,
	NULL,
};

static const struct attribute_group mvgpu_vgpu_group = {
	.name = "mvgpu",
	.attrs = mvgpu_vgpu_attrs,
};

const struct attribute_group *mvgpu_vgpu_groups[] = {
	&mvgpu_vgpu_top_group,
	&mvgpu_vgpu_group,
	NULL,
};
