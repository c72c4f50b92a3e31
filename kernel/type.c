// SPDX-License-Identifier: GPL-2.0
/*
 * type.c - vGPU types and the framebuffer pool they draw from.
 *
 * Every parent offers every type of the ABI type table.  Types may be mixed
 * freely on one parent: what limits them is the parent's framebuffer pool,
 * so available_instances of a type is the free pool (pool.c: less ECC's
 * share on DDR and retired pages) divided by the type's framebuffer size,
 * and it moves when a vGPU of *any* type comes or goes.
 *
 * The exception is the 1:1 type (MVGPU_TYPE_FULL, NVIDIA's "1:1 vGPU
 * profile"): the parent's whole usable framebuffer, one per parent and
 * alone there.  Its available_instances is 1 while the parent has no vGPU
 * and 0 otherwise; while it exists, every other type shows 0.  Its
 * description's framebuffer= is what it would get now, so it moves with
 * the ECC mode and retired pages.
 */
#include <linux/mdev.h>
#include <linux/sysfs.h>

#include "mvgpu.h"

static const struct mvgpu_type_desc mvgpu_type_table[MVGPU_NUM_TYPES] =
	MVGPU_TYPES_INIT;

/**
 * mvgpu_types_init() - fill in a parent's types from the ABI type table.
 * @parent: the parent, before mdev_register_parent().
 */
void mvgpu_types_init(struct mvgpu_parent *parent)
{
	unsigned int i;

	for (i = 0; i < MVGPU_NUM_TYPES; i++) {
		struct mvgpu_vtype *vt = &parent->vtypes[i];

		vt->desc = &mvgpu_type_table[i];
		vt->index = i;
		vt->fb_size = (u64)vt->desc->fb_mib << 20;	/* 0: 1:1 */
		vt->mtype.sysfs_name = vt->desc->id;
		vt->mtype.pretty_name = vt->desc->name;
		parent->mtypes[i] = &vt->mtype;
	}
}

/**
 * mvgpu_type_available() - how many more vGPUs of a type fit in the pool.
 * @mtype: the type.
 *
 * Return: the number of instances that can still be created.
 */
unsigned int mvgpu_type_available(struct mdev_type *mtype)
{
	struct mvgpu_parent *parent = mtype_to_parent(mtype);
	struct mvgpu_vtype *vt = mtype_to_vtype(mtype);
	u64 avail;

	mutex_lock(&parent->lock);
	if (vt->index == MVGPU_TYPE_FULL)
		avail = mvgpu_pool_full_size(parent) ? 1 : 0;
	else if (parent->has_full)
		avail = 0;
	else
		avail = div64_u64(mvgpu_pool_free_bytes(parent), vt->fb_size);
	mutex_unlock(&parent->lock);
	return avail;
}

/**
 * mvgpu_type_fb_size() - the framebuffer of a vGPU of a type created now.
 * @parent: the parent.
 * @vt: the type.
 * @size: bytes; for the 1:1 type the usable pool in whole MiB.  Creation
 *	checks again under the lock (mvgpu_pool_map()).
 *
 * Return: 0, -EBUSY (a 1:1 vGPU next to another vGPU) or -ENOSPC.
 */
int mvgpu_type_fb_size(struct mvgpu_parent *parent,
		       const struct mvgpu_vtype *vt, u64 *size)
{
	int ret = 0;

	*size = vt->fb_size;
	if (vt->index != MVGPU_TYPE_FULL)
		return 0;
	mutex_lock(&parent->lock);
	*size = mvgpu_pool_full_size(parent);
	if (parent->nr_vgpus)
		ret = -EBUSY;
	else if (!*size)
		ret = -ENOSPC;
	mutex_unlock(&parent->lock);
	return ret;
}

/**
 * mvgpu_type_description() - the type's ``description`` attribute.
 * @mtype: the type.
 * @buf: sysfs page.
 *
 * The format follows NVIDIA's vGPU types: comma-separated key=value pairs.
 * max_instance is what the parent's usable pool holds of this type alone
 * (for the 1:1 type: 1, and framebuffer= the whole usable pool).
 *
 * Return: bytes written to @buf.
 */
ssize_t mvgpu_type_description(struct mdev_type *mtype, char *buf)
{
	struct mvgpu_parent *parent = mtype_to_parent(mtype);
	const struct mvgpu_vtype *vt = mtype_to_vtype(mtype);
	const struct mvgpu_type_desc *d = vt->desc;
	u64 usable, fb_mib, max;

	mutex_lock(&parent->lock);
	usable = mvgpu_pool_usable(parent);
	mutex_unlock(&parent->lock);
	if (vt->index == MVGPU_TYPE_FULL) {
		fb_mib = usable >> 20;
		max = fb_mib ? 1 : 0;
	} else {
		fb_mib = d->fb_mib;
		max = div64_u64(usable, vt->fb_size);
	}
	return sysfs_emit(buf,
			  "num_heads=%u, frl_config=%u, framebuffer=%lluM, max_resolution=%ux%u, max_instance=%llu\n",
			  d->heads, d->frl, fb_mib, d->max_width,
			  d->max_height, max);
}
