// SPDX-License-Identifier: GPL-2.0
/*
 * gfx.c - the console: VFIO_DEVICE_QUERY_GFX_PLANE for head 0.
 *
 * The plane is a *region* plane on BAR2 rather than a dma-buf: the
 * framebuffer already is an mmap-able region, so QEMU maps it once and
 * reads pixels straight from it - no buffer export, no copies, and it
 * works without GL (QEMU's dma-buf path needs it), which headless hosts
 * and `screendump` lack.  QEMU scans out from the region's first byte, so
 * the plane is offered while DISP_OFFSET is 0; with another offset the
 * device reports no plane rather than a wrong picture.
 */
#include <drm/drm_fourcc.h>
#include <drm/drm_plane.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "mvgpu.h"

/**
 * mvgpu_query_gfx_plane() - VFIO_DEVICE_QUERY_GFX_PLANE.
 * @vgpu: the vGPU.
 * @arg: user's struct vfio_device_gfx_plane_info.
 *
 * Return: 0, -EINVAL for a dma-buf or cursor query, -EFAULT.
 */
int mvgpu_query_gfx_plane(struct mvgpu_vgpu *vgpu, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_device_gfx_plane_info,
					  region_index);
	struct vfio_device_gfx_plane_info plane;
	u32 type;

	BUILD_BUG_ON(MVGPU_FMT_XRGB8888 != DRM_FORMAT_XRGB8888);

	if (copy_from_user(&plane, arg, minsz))
		return -EFAULT;
	if (plane.argsz < minsz)
		return -EINVAL;

	type = plane.flags & (VFIO_GFX_PLANE_TYPE_DMABUF |
			      VFIO_GFX_PLANE_TYPE_REGION);
	if (type != VFIO_GFX_PLANE_TYPE_REGION)
		return -EINVAL;
	if (plane.flags & VFIO_GFX_PLANE_TYPE_PROBE)
		return 0;
	/* QEMU's region path leaves drm_plane_type 0; there is no cursor */
	if (plane.drm_plane_type == DRM_PLANE_TYPE_CURSOR)
		return -EINVAL;

	plane.drm_format_mod = 0;
	plane.x_pos = plane.y_pos = plane.x_hot = plane.y_hot = 0;
	plane.region_index = VFIO_PCI_BAR2_REGION_INDEX;

	mutex_lock(&vgpu->lock);
	if (mvgpu_display_valid(vgpu) && vgpu->disp.offset == 0) {
		plane.drm_format = vgpu->disp.format;
		plane.width = vgpu->disp.width;
		plane.height = vgpu->disp.height;
		plane.stride = vgpu->disp.stride;
		/* display_valid() bounded it: fits the BAR and a u32 */
		plane.size = PAGE_ALIGN((u64)vgpu->disp.stride *
					vgpu->disp.height);
	} else {
		plane.drm_format = 0;
		plane.width = plane.height = plane.stride = plane.size = 0;
	}
	mutex_unlock(&vgpu->lock);

	return copy_to_user(arg, &plane, minsz) ? -EFAULT : 0;
}
