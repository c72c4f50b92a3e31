/*
 * fake_sysfs.h - build a fake mvgpu sysfs tree in a temporary directory
 * for the unit tests (the layout the mvgpu kernel module produces).
 *
 *   <root>/devices/pci0000:00/<pci parent>/      "0000:..." parents
 *   <root>/devices/virtual/mvgpu/<parent>/       other parents
 *       mdev_supported_types/<type>/{name,description,device_api,
 *           available_instances,create,devices/}
 *       <uuid>/{mdev_type->type dir, iommu_group->group, remove, mvgpu/in_use}
 *   <root>/class/mdev_bus/<parent> -> device dir
 *   <root>/bus/mdev/devices/<uuid> -> <parent dir>/<uuid>
 *   <root>/kernel/iommu_groups/<N>/
 *
 * All helpers abort the current test (Criterion assert) on failure.
 */
#ifndef FAKE_SYSFS_H
#define FAKE_SYSFS_H

#include <limits.h>
#include <stddef.h>

struct fake {
	char root[PATH_MAX / 4];
};

/* New empty tree (class/mdev_bus and bus/mdev/devices exist); also sets
 * $MVGPU_SYSFS to it. */
struct fake *fake_new(void);
/* Remove the tree and free @f. */
void fake_free(struct fake *f);

/* Helpers on paths relative to the root. */
void fake_mkdirs(struct fake *f, const char *rel);
void fake_write(struct fake *f, const char *rel, const char *content);
void fake_write_bytes(struct fake *f, const char *rel, const void *data,
		      size_t len);
/* Content of a file (malloc'd, NUL-terminated), NULL if missing. */
char *fake_read(struct fake *f, const char *rel);
int fake_exists(struct fake *f, const char *rel);
void fake_symlink(struct fake *f, const char *target, const char *rel);
void fake_unlink(struct fake *f, const char *rel);

/* Device dir of @parent relative to the root. */
void fake_parent_dir(const char *parent, char *buf, size_t len);
/* Relative path of an attribute of @type on @parent. */
void fake_type_attr(const char *parent, const char *type, const char *attr,
		    char *buf, size_t len);

void fake_add_parent(struct fake *f, const char *parent);
/* A type; NULL @name/@desc/@api/@avail leave that file out.  @create
 * (an empty regular file) and devices/ are always made. */
void fake_add_type(struct fake *f, const char *parent, const char *type,
		   const char *name, const char *desc, const char *api,
		   const char *avail);
/* The standard mvgpu type with @fb_mib MiB of framebuffer. */
void fake_add_std_type(struct fake *f, const char *parent, const char *type,
		       unsigned fb_mib, unsigned max, unsigned avail);
/* A vGPU; @group < 0: no iommu_group link; @in_use NULL: no in_use file. */
void fake_add_vgpu(struct fake *f, const char *parent, const char *type,
		   const char *uuid, int group, const char *in_use);

/* Standard tree: parents 0000:00:04.0 and mvgpu0 with mvgpu-64M (16),
 * mvgpu-256M (4), mvgpu-512M (2), mvgpu-1G (1), all free; plus a foreign
 * parent 0000:00:05.0 with type nvidia-63 that must be ignored. */
void fake_std(struct fake *f);

/* What was written to @type's create file on @parent ("" if nothing). */
char *fake_created(struct fake *f, const char *parent, const char *type);

#endif
