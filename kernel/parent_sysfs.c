// SPDX-License-Identifier: GPL-2.0
/*
 * parent_sysfs.c - a parent's attributes, in <parent device>/mvgpu/:
 *
 *   memory_kind	hbm or ddr; writable while the parent has no vGPU.
 *   ecc_mode		enabled or disabled: the mode now.  Writing either
 *			(or 1/0) sets the pending mode, which takes effect at
 *			once without vGPUs, else when the last one is removed
 *			(a GPU reset on hardware).
 *   ecc_mode_pending	the mode after that.
 *   ecc_errors		sbe_volatile= dbe_volatile= sbe_aggregate=
 *			dbe_aggregate= of all its vGPUs (volatile: since the
 *			mode last changed or the module loaded; aggregate:
 *			kept in the retired-pages file, if any).
 *   retired_pages	one line per retired pool page: "0x<page> sbe|dbe
 *			retired|pending" (pending: a vGPU still maps it).
 *   fb_total, fb_usable, fb_used	bytes of the pool; usable by vGPUs
 *			(less ECC's share on DDR and retired pages); held.
 *   busy_ns		time the command processor ran for its vGPUs.
 *   links		"PEER N" per parent joined to this one by N links;
 *			write "PEER N" (N = 0 removes) while neither has a
 *			vGPU (link.c).
 *
 * The group is there exactly while the parent is (PCI: the driver's
 * dev_groups; virtual: added after it is made, removed before it goes);
 * a missing parent still answers -ENODEV rather than trusting that.
 */
#include <linux/device.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "mvgpu.h"

static struct mvgpu_parent *to_parent(struct device *dev)
{
	return dev_get_drvdata(dev);
}

static ssize_t memory_kind_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	struct mvgpu_parent *parent = to_parent(dev);

	if (!parent)
		return -ENODEV;
	return sysfs_emit(buf, "%s\n",
			  parent->mem_kind == MVGPU_MEM_DDR ? "ddr" : "hbm");
}

static ssize_t memory_kind_store(struct device *dev,
				 struct device_attribute *attr,
				 const char *buf, size_t count)
{
	struct mvgpu_parent *parent = to_parent(dev);
	enum mvgpu_mem_kind kind;
	int ret = count;

	if (!parent)
		return -ENODEV;
	if (sysfs_streq(buf, "hbm"))
		kind = MVGPU_MEM_HBM;
	else if (sysfs_streq(buf, "ddr"))
		kind = MVGPU_MEM_DDR;
	else {
		dev_warn_ratelimited(dev, "memory_kind: want hbm or ddr\n");
		return -EINVAL;
	}
	mutex_lock(&parent->lock);
	if (parent->nr_vgpus) {
		dev_warn_ratelimited(dev,
				     "memory_kind: remove the parent's vGPUs first\n");
		ret = -EBUSY;
	} else {
		parent->mem_kind = kind;
	}
	mutex_unlock(&parent->lock);
	return ret;
}
static DEVICE_ATTR_RW(memory_kind);

static ssize_t ecc_mode_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	struct mvgpu_parent *parent = to_parent(dev);

	if (!parent)
		return -ENODEV;
	return sysfs_emit(buf, "%s\n",
			  READ_ONCE(parent->ecc_on) ? "enabled" : "disabled");
}

static ssize_t ecc_mode_store(struct device *dev,
			      struct device_attribute *attr,
			      const char *buf, size_t count)
{
	struct mvgpu_parent *parent = to_parent(dev);
	bool on;

	if (!parent)
		return -ENODEV;
	if (sysfs_streq(buf, "enabled") || sysfs_streq(buf, "1"))
		on = true;
	else if (sysfs_streq(buf, "disabled") || sysfs_streq(buf, "0"))
		on = false;
	else {
		dev_warn_ratelimited(dev,
				     "ecc_mode: want enabled or disabled (1 or 0)\n");
		return -EINVAL;
	}
	mutex_lock(&parent->lock);
	parent->ecc_pending = on;
	if (!parent->nr_vgpus)
		mvgpu_ecc_apply_pending(parent);
	else if (on != parent->ecc_on)
		dev_info(dev, "ECC mode %s once the parent's %u vGPU(s) are removed\n",
			 on ? "enabled" : "disabled", parent->nr_vgpus);
	mutex_unlock(&parent->lock);
	return count;
}
static DEVICE_ATTR_RW(ecc_mode);

static ssize_t ecc_mode_pending_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	struct mvgpu_parent *parent = to_parent(dev);

	if (!parent)
		return -ENODEV;
	return sysfs_emit(buf, "%s\n",
			  READ_ONCE(parent->ecc_pending) ? "enabled" :
							   "disabled");
}
static DEVICE_ATTR_RO(ecc_mode_pending);

static ssize_t ecc_errors_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct mvgpu_parent *parent = to_parent(dev);
	struct mvgpu_ecc_counts e;

	if (!parent)
		return -ENODEV;
	mutex_lock(&parent->lock);
	e = parent->ecc;
	mutex_unlock(&parent->lock);
	return sysfs_emit(buf,
			  "sbe_volatile=%llu dbe_volatile=%llu sbe_aggregate=%llu dbe_aggregate=%llu\n",
			  e.sbe_vol, e.dbe_vol, e.sbe_agg, e.dbe_agg);
}
static DEVICE_ATTR_RO(ecc_errors);

static ssize_t retired_pages_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	struct mvgpu_parent *parent = to_parent(dev);
	unsigned long page;
	ssize_t len = 0;
	void *entry;

	if (!parent)
		return -ENODEV;
	mutex_lock(&parent->lock);
	xa_for_each(&parent->pages, page, entry) {
		unsigned int flags = xa_to_value(entry);

		if (!(flags & MVGPU_PG_RETIRED))
			continue;
		/* a sysfs page holds about 150 lines: enough for a status */
		if (len > PAGE_SIZE - 64)
			break;
		cond_resched();
		len += sysfs_emit_at(buf, len, "%#lx %s %s\n", page,
				     flags & MVGPU_PG_DBE ? "dbe" : "sbe",
				     flags & MVGPU_PG_PENDING ? "pending" :
								"retired");
	}
	mutex_unlock(&parent->lock);
	return len;
}
static DEVICE_ATTR_RO(retired_pages);

static ssize_t fb_show(struct device *dev, char *buf, int which)
{
	struct mvgpu_parent *parent = to_parent(dev);
	u64 v;

	if (!parent)
		return -ENODEV;
	mutex_lock(&parent->lock);
	v = which == 0 ? parent->fb_total :
	    which == 1 ? mvgpu_pool_usable(parent) : parent->fb_used;
	mutex_unlock(&parent->lock);
	return sysfs_emit(buf, "%llu\n", v);
}

static ssize_t fb_total_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	return fb_show(dev, buf, 0);
}
static DEVICE_ATTR_RO(fb_total);

static ssize_t fb_usable_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return fb_show(dev, buf, 1);
}
static DEVICE_ATTR_RO(fb_usable);

static ssize_t fb_used_show(struct device *dev,
			    struct device_attribute *attr, char *buf)
{
	return fb_show(dev, buf, 2);
}
static DEVICE_ATTR_RO(fb_used);

static ssize_t busy_ns_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	struct mvgpu_parent *parent = to_parent(dev);

	if (!parent)
		return -ENODEV;
	return sysfs_emit(buf, "%lld\n", atomic64_read(&parent->busy_ns));
}
static DEVICE_ATTR_RO(busy_ns);

static ssize_t links_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	struct mvgpu_parent *parent = to_parent(dev);

	return parent ? mvgpu_links_show(parent, buf) : -ENODEV;
}

static ssize_t links_store(struct device *dev, struct device_attribute *attr,
			   const char *buf, size_t count)
{
	struct mvgpu_parent *parent = to_parent(dev);
	int ret;

	if (!parent)
		return -ENODEV;
	ret = mvgpu_links_store(parent, buf);
	return ret ? ret : count;
}
static DEVICE_ATTR_RW(links);

static struct attribute *mvgpu_parent_attrs[] = {
	&dev_attr_memory_kind.attr,
	&dev_attr_ecc_mode.attr,
	&dev_attr_ecc_mode_pending.attr,
	&dev_attr_ecc_errors.attr,
	&dev_attr_retired_pages.attr,
	&dev_attr_fb_total.attr,
	&dev_attr_fb_usable.attr,
	&dev_attr_fb_used.attr,
	&dev_attr_busy_ns.attr,
	&dev_attr_links.attr,
	NULL,
};

static const struct attribute_group mvgpu_parent_group = {
	.name = "mvgpu",
	.attrs = mvgpu_parent_attrs,
};

const struct attribute_group *mvgpu_parent_groups[] = {
	&mvgpu_parent_group,
	NULL,
};
