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
 *   .../mvgpu/vgpu_params	key=value parameters (params.c).
 *   .../mvgpu/ecc_status	the vGPU's ECC state and counters, one line of
 *		key=value: mode optout optout_pending (the opt-out after the
 *		next reset) killed sbe_volatile dbe_volatile sbe_aggregate
 *		dbe_aggregate retired retired_pending.
 *   .../mvgpu/channels_active	enabled command channels.
 *   .../mvgpu/busy_ns	time the command processor ran for it.
 *   .../mvgpu/migration_state	running, stop, pre_copy, stop_copy,
 *		resuming, running_p2p, pre_copy_p2p or error.
 */
#include <linux/device.h>
#include <linux/sysfs.h>

#include "mig.h"
#include "mvgpu.h"
#include "mvgpu_compat.h"

static int vgpu_local_info(struct device *dev, struct mvgpu_compat_info *info)
{
	return mvgpu_local_info(dev_get_drvdata(dev), info);
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

static ssize_t vgpu_params_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return mvgpu_params_show(dev_get_drvdata(dev), buf);
}

static ssize_t vgpu_params_store(struct device *dev,
				 struct device_attribute *attr,
				 const char *buf, size_t count)
{
	int ret = mvgpu_params_store(dev_get_drvdata(dev), buf, count);

	return ret ? ret : count;
}
static DEVICE_ATTR_RW(vgpu_params);

static ssize_t ecc_status_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct mvgpu_vgpu *vgpu = dev_get_drvdata(dev);
	struct mvgpu_ecc_counts e;
	bool optout, pending, killed, on;
	unsigned long retired, retired_pending;

	mutex_lock(&vgpu->lock);
	on = mvgpu_ecc_enabled(vgpu);
	optout = vgpu->ecc_optout;
	/* the opt-out after the next reset, as ecc_mode_pending is the mode */
	pending = vgpu->ecc_ctrl & MVGPU_ECC_CTRL_OPT_OUT;
	killed = vgpu->ecc_killed;
	mutex_lock(&vgpu->parent->lock);
	e = vgpu->ecc;
	retired = vgpu->retired;
	retired_pending = vgpu->retired_pending;
	mutex_unlock(&vgpu->parent->lock);
	mutex_unlock(&vgpu->lock);
	return sysfs_emit(buf,
			  "mode=%s optout=%d optout_pending=%d killed=%d sbe_volatile=%llu dbe_volatile=%llu sbe_aggregate=%llu dbe_aggregate=%llu retired=%lu retired_pending=%lu\n",
			  on ? "enabled" : "disabled", optout, pending, killed,
			  e.sbe_vol, e.dbe_vol, e.sbe_agg, e.dbe_agg, retired,
			  retired_pending);
}
static DEVICE_ATTR_RO(ecc_status);

static ssize_t channels_active_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	struct mvgpu_vgpu *vgpu = dev_get_drvdata(dev);
	unsigned int n;

	mutex_lock(&vgpu->lock);
	n = mvgpu_channels_active(vgpu);
	mutex_unlock(&vgpu->lock);
	return sysfs_emit(buf, "%u\n", n);
}
static DEVICE_ATTR_RO(channels_active);

static ssize_t busy_ns_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	struct mvgpu_vgpu *vgpu = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%lld\n", atomic64_read(&vgpu->busy_ns));
}
static DEVICE_ATTR_RO(busy_ns);

static const char *const mig_state_names[] = {
	[VFIO_DEVICE_STATE_ERROR]	= "error",
	[VFIO_DEVICE_STATE_STOP]	= "stop",
	[VFIO_DEVICE_STATE_RUNNING]	= "running",
	[VFIO_DEVICE_STATE_STOP_COPY]	= "stop_copy",
	[VFIO_DEVICE_STATE_RESUMING]	= "resuming",
	[VFIO_DEVICE_STATE_RUNNING_P2P]	= "running_p2p",
	[VFIO_DEVICE_STATE_PRE_COPY]	= "pre_copy",
	[VFIO_DEVICE_STATE_PRE_COPY_P2P] = "pre_copy_p2p",
};

static ssize_t migration_state_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	struct mvgpu_vgpu *vgpu = dev_get_drvdata(dev);
	enum vfio_device_mig_state st;

	mutex_lock(&vgpu->mig_lock);
	st = vgpu->mig_state;
	mutex_unlock(&vgpu->mig_lock);
	if (st >= ARRAY_SIZE(mig_state_names) || !mig_state_names[st])
		return sysfs_emit(buf, "unknown\n");
	return sysfs_emit(buf, "%s\n", mig_state_names[st]);
}
static DEVICE_ATTR_RO(migration_state);

static struct attribute *mvgpu_vgpu_top_attrs[] = {
	&dev_attr_migration_version.attr,
	NULL,
};

static const struct attribute_group mvgpu_vgpu_top_group = {
	.attrs = mvgpu_vgpu_top_attrs,
};

static struct attribute *mvgpu_vgpu_attrs[] = {
	&dev_attr_in_use.attr,
	&dev_attr_vgpu_params.attr,
	&dev_attr_ecc_status.attr,
	&dev_attr_channels_active.attr,
	&dev_attr_busy_ns.attr,
	&dev_attr_migration_state.attr,
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
