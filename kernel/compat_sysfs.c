// SPDX-License-Identifier: GPL-2.0
/*
 * compat_sysfs.c - .../mdev_supported_types/<type>/migration_version.
 *
 * The 2019 proposal's semantics: read it on the source to get a string;
 * write that string on the target: the write succeeds if a vGPU of this
 * type can accept a stream from the source, and fails with EINVAL
 * otherwise.  The string is also parseable key=value fields
 * (docs/compatibility.md), so management can decide without probing.  The
 * rules live in proto/mvgpu_compat.c and are the same ones the stream's
 * descriptor is checked against.
 *
 * The 6.12 mdev core offers drivers no extra type attributes, but the type
 * kobject is ours to add files to; its sysfs_ops call a struct
 * mdev_type_attribute, which is private to the core.  struct
 * mvgpu_type_attr mirrors that layout exactly (attribute, show, store).
 */
#include <linux/mdev.h>
#include <linux/sysfs.h>

#include "mvgpu.h"
#include "mvgpu_compat.h"

struct mvgpu_type_attr {
	struct attribute attr;
	ssize_t (*show)(struct mdev_type *mtype, struct mvgpu_type_attr *attr,
			char *buf);
	ssize_t (*store)(struct mdev_type *mtype, struct mvgpu_type_attr *attr,
			 const char *buf, size_t count);
};

static int type_local(struct mdev_type *mtype, struct mvgpu_compat_info *info)
{
	return mvgpu_compat_local(info, mtype_to_vtype(mtype)->index,
				  MVGPU_DRIVER_VERSION);
}

static ssize_t migration_version_show(struct mdev_type *mtype,
				      struct mvgpu_type_attr *attr, char *buf)
{
	struct mvgpu_compat_info info;
	int ret = type_local(mtype, &info);

	if (!ret)
		ret = mvgpu_compat_format(&info, buf, PAGE_SIZE);
	return ret;	/* the string ends in a newline */
}

static ssize_t migration_version_store(struct mdev_type *mtype,
				       struct mvgpu_type_attr *attr,
				       const char *buf, size_t count)
{
	char why[MVGPU_COMPAT_WHY_MAX] = "";
	struct mvgpu_compat_info info;
	size_t len = count;
	int ret;

	if (len && buf[len - 1] == '\n')
		len--;
	ret = type_local(mtype, &info);
	if (!ret)
		ret = mvgpu_compat_check_string(&info, buf, len, why, sizeof(why));
	if (ret) {
		dev_info_ratelimited(mtype->parent->dev,
				     "%s: incompatible migration_version: %s\n",
				     mtype->sysfs_name, why);
		return -EINVAL;
	}
	return count;
}

static struct mvgpu_type_attr mvgpu_attr_migration_version =
	__ATTR(migration_version, 0644, migration_version_show,
	       migration_version_store);

/**
 * mvgpu_compat_sysfs_add() - add migration_version to a parent's types.
 * @parent: the parent, registered with the mdev core.
 *
 * Return: 0 or a negative errno (nothing left behind).
 */
int mvgpu_compat_sysfs_add(struct mvgpu_parent *parent)
{
	unsigned int i;
	int ret;

	for (i = 0; i < MVGPU_NUM_TYPES; i++) {
		ret = sysfs_create_file(&parent->vtypes[i].mtype.kobj,
					&mvgpu_attr_migration_version.attr);
		if (ret) {
			while (i--)
				sysfs_remove_file(&parent->vtypes[i].mtype.kobj,
						  &mvgpu_attr_migration_version.attr);
			return ret;
		}
	}
	return 0;
}

/**
 * mvgpu_compat_sysfs_remove() - undo mvgpu_compat_sysfs_add().
 * @parent: the parent, still registered.
 */
void mvgpu_compat_sysfs_remove(struct mvgpu_parent *parent)
{
	unsigned int i;

	for (i = 0; i < MVGPU_NUM_TYPES; i++)
		sysfs_remove_file(&parent->vtypes[i].mtype.kobj,
				  &mvgpu_attr_migration_version.attr);
}
