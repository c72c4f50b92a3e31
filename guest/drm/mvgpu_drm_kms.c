// SPDX-License-Identifier: GPL-2.0
/*
 * mvgpu_drm_kms.c - atomic modesetting of head 0.
 *
 * One primary plane on one CRTC, a virtual encoder and connector.  The
 * plane scans out a VRAM buffer pinned by the GEM VRAM helpers; the CRTC's
 * mode and the plane's buffer become the DISP_* registers, which the host
 * turns into the console plane (QEMU's display, screendump).  The device
 * has no vblank interrupt: the atomic helpers complete events at once.
 */
#include <drm/drm_atomic.h>
#include <drm/drm_atomic_helper.h>
#include <drm/drm_crtc_helper.h>
#include <drm/drm_edid.h>
#include <drm/drm_fourcc.h>
#include <drm/drm_framebuffer.h>
#include <drm/drm_gem_atomic_helper.h>
#include <drm/drm_gem_framebuffer_helper.h>
#include <drm/drm_gem_vram_helper.h>
#include <drm/drm_probe_helper.h>
#include <drm/drm_vblank.h>

#include "mvgpu_drm_drv.h"

/* What fbdev and a mode-less client get first. */
#define MVGPU_DRM_PREF_W	1024
#define MVGPU_DRM_PREF_H	768

static const u32 mvgpu_drm_formats[] = {
	DRM_FORMAT_XRGB8888,
};

static int mvgpu_drm_plane_atomic_check(struct drm_plane *plane,
					struct drm_atomic_state *state)
{
	struct drm_plane_state *new = drm_atomic_get_new_plane_state(state, plane);
	struct drm_crtc_state *crtc_state = NULL;

	if (new->crtc)
		crtc_state = drm_atomic_get_new_crtc_state(state, new->crtc);
	/* the head scans out one full-screen buffer: no scaling, no position */
	return drm_atomic_helper_check_plane_state(new, crtc_state,
						   DRM_PLANE_NO_SCALING,
						   DRM_PLANE_NO_SCALING,
						   false, true);
}

static void mvgpu_drm_plane_atomic_update(struct drm_plane *plane,
					  struct drm_atomic_state *state)
{
	struct mvgpu_drm_device *mdev = to_mvgpu(plane->dev);
	struct drm_plane_state *new = drm_atomic_get_new_plane_state(state, plane);
	struct drm_framebuffer *fb = new->fb;
	struct drm_gem_vram_object *gbo;
	s64 vram;
	u64 offset;

	if (!fb || !new->visible)
		return;
	gbo = drm_gem_vram_of_gem(fb->obj[0]);
	vram = drm_gem_vram_offset(gbo);
	if (WARN_ON_ONCE(vram < 0))	/* prepare_fb pins it in VRAM */
		return;
	offset = vram + fb->offsets[0] + (u64)(new->src.y1 >> 16) * fb->pitches[0] +
		 (u64)(new->src.x1 >> 16) * fb->format->cpp[0];

	mvgpu_wr(mdev, MVGPU_REG_DISP_FORMAT, MVGPU_FMT_XRGB8888);
	mvgpu_wr(mdev, MVGPU_REG_DISP_STRIDE, fb->pitches[0]);
	mvgpu_wr(mdev, MVGPU_REG_DISP_WIDTH, drm_rect_width(&new->dst));
	mvgpu_wr(mdev, MVGPU_REG_DISP_HEIGHT, drm_rect_height(&new->dst));
	mvgpu_wr(mdev, MVGPU_REG_DISP_OFFSET, lower_32_bits(offset));
}

static const struct drm_plane_helper_funcs mvgpu_drm_plane_helper_funcs = {
	DRM_GEM_VRAM_PLANE_HELPER_FUNCS,
	.atomic_check = mvgpu_drm_plane_atomic_check,
	.atomic_update = mvgpu_drm_plane_atomic_update,
};

static const struct drm_plane_funcs mvgpu_drm_plane_funcs = {
	.update_plane = drm_atomic_helper_update_plane,
	.disable_plane = drm_atomic_helper_disable_plane,
	.destroy = drm_plane_cleanup,
	.reset = drm_atomic_helper_plane_reset,
	.atomic_duplicate_state = drm_atomic_helper_plane_duplicate_state,
	.atomic_destroy_state = drm_atomic_helper_plane_destroy_state,
};

static enum drm_mode_status mvgpu_drm_crtc_mode_valid(struct drm_crtc *crtc,
						      const struct drm_display_mode *mode)
{
	struct mvgpu_drm_device *mdev = to_mvgpu(crtc->dev);

	if (mode->hdisplay > mdev->max_width || mode->vdisplay > mdev->max_height)
		return MODE_BAD;
	return MODE_OK;
}

static void mvgpu_drm_crtc_atomic_enable(struct drm_crtc *crtc,
					 struct drm_atomic_state *state)
{
	/* the plane's update runs after this and programs the mode */
}

static void mvgpu_drm_crtc_atomic_disable(struct drm_crtc *crtc,
					  struct drm_atomic_state *state)
{
	mvgpu_wr(to_mvgpu(crtc->dev), MVGPU_REG_DISP_ENABLE, 0);
}

static void mvgpu_drm_crtc_atomic_flush(struct drm_crtc *crtc,
					struct drm_atomic_state *state)
{
	struct drm_crtc_state *cs = drm_atomic_get_new_crtc_state(state, crtc);

	/* scan out once the plane's registers hold the new buffer */
	if (cs->active)
		mvgpu_wr(to_mvgpu(crtc->dev), MVGPU_REG_DISP_ENABLE, 1);
}

static const struct drm_crtc_helper_funcs mvgpu_drm_crtc_helper_funcs = {
	.mode_valid = mvgpu_drm_crtc_mode_valid,
	.atomic_check = drm_crtc_helper_atomic_check,
	.atomic_enable = mvgpu_drm_crtc_atomic_enable,
	.atomic_disable = mvgpu_drm_crtc_atomic_disable,
	.atomic_flush = mvgpu_drm_crtc_atomic_flush,
};

static const struct drm_crtc_funcs mvgpu_drm_crtc_funcs = {
	.reset = drm_atomic_helper_crtc_reset,
	.destroy = drm_crtc_cleanup,
	.set_config = drm_atomic_helper_set_config,
	.page_flip = drm_atomic_helper_page_flip,
	.atomic_duplicate_state = drm_atomic_helper_crtc_duplicate_state,
	.atomic_destroy_state = drm_atomic_helper_crtc_destroy_state,
};

static const struct drm_encoder_funcs mvgpu_drm_encoder_funcs = {
	.destroy = drm_encoder_cleanup,
};

static int mvgpu_drm_connector_get_modes(struct drm_connector *connector)
{
	struct mvgpu_drm_device *mdev = to_mvgpu(connector->dev);
	int count;

	count = drm_add_modes_noedid(connector, mdev->max_width, mdev->max_height);
	drm_set_preferred_mode(connector, MVGPU_DRM_PREF_W, MVGPU_DRM_PREF_H);
	return count;
}

static const struct drm_connector_helper_funcs mvgpu_drm_connector_helper_funcs = {
	.get_modes = mvgpu_drm_connector_get_modes,
};

static const struct drm_connector_funcs mvgpu_drm_connector_funcs = {
	.reset = drm_atomic_helper_connector_reset,
	.fill_modes = drm_helper_probe_single_connector_modes,
	.destroy = drm_connector_cleanup,
	.atomic_duplicate_state = drm_atomic_helper_connector_duplicate_state,
	.atomic_destroy_state = drm_atomic_helper_connector_destroy_state,
};

static const struct drm_mode_config_funcs mvgpu_drm_mode_config_funcs = {
	.fb_create = drm_gem_fb_create,
	.mode_valid = drm_vram_helper_mode_valid,
	.atomic_check = drm_atomic_helper_check,
	.atomic_commit = drm_atomic_helper_commit,
};

/**
 * mvgpu_drm_kms_init - set up head 0's plane, CRTC, encoder and connector.
 * @mdev: the device, its registers mapped and its VRAM manager set up.
 *
 * Return: 0 or a negative errno.
 */
int mvgpu_drm_kms_init(struct mvgpu_drm_device *mdev)
{
	struct drm_device *drm = &mdev->drm;
	int ret;

	ret = drmm_mode_config_init(drm);
	if (ret)
		return ret;
	drm->mode_config.min_width = 1;
	drm->mode_config.min_height = 1;
	drm->mode_config.max_width = mdev->max_width;
	drm->mode_config.max_height = mdev->max_height;
	drm->mode_config.preferred_depth = 24;
	drm->mode_config.funcs = &mvgpu_drm_mode_config_funcs;

	ret = drm_universal_plane_init(drm, &mdev->plane, 0, &mvgpu_drm_plane_funcs,
				       mvgpu_drm_formats, ARRAY_SIZE(mvgpu_drm_formats),
				       NULL, DRM_PLANE_TYPE_PRIMARY, NULL);
	if (ret)
		return ret;
	drm_plane_helper_add(&mdev->plane, &mvgpu_drm_plane_helper_funcs);

	ret = drm_crtc_init_with_planes(drm, &mdev->crtc, &mdev->plane, NULL,
					&mvgpu_drm_crtc_funcs, NULL);
	if (ret)
		return ret;
	drm_crtc_helper_add(&mdev->crtc, &mvgpu_drm_crtc_helper_funcs);

	ret = drm_encoder_init(drm, &mdev->encoder, &mvgpu_drm_encoder_funcs,
			       DRM_MODE_ENCODER_VIRTUAL, NULL);
	if (ret)
		return ret;
	mdev->encoder.possible_crtcs = drm_crtc_mask(&mdev->crtc);

	ret = drm_connector_init(drm, &mdev->connector, &mvgpu_drm_connector_funcs,
				 DRM_MODE_CONNECTOR_VIRTUAL);
	if (ret)
		return ret;
	drm_connector_helper_add(&mdev->connector, &mvgpu_drm_connector_helper_funcs);
	ret = drm_connector_attach_encoder(&mdev->connector, &mdev->encoder);
	if (ret)
		return ret;

	drm_mode_config_reset(drm);
	return 0;
}
