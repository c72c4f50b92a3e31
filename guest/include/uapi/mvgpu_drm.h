/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * mvgpu_drm.h - the render uAPI of the mvgpu guest DRM driver.
 *
 * A process that opens the DRM device gets a render context on first
 * submit: one of the vGPU's hardware channels, its ring in guest memory.
 * A submit is a list of commands on GEM objects (dumb buffers, or any
 * buffer the driver allocated), which the driver checks, translates into
 * device commands on the context's ring, and ends with a fence.  Waiting
 * is by sequence number.  A context whose channel met an error is lost:
 * its pending work fails, every later submit and wait returns -EIO, and
 * the process opens the device again for a new context.
 * docs/guest-driver.md describes the whole driver.
 */
#ifndef MVGPU_DRM_H
#define MVGPU_DRM_H

#include <drm/drm.h>

#if defined(__cplusplus)
extern "C" {
#endif

#define DRM_MVGPU_INFO		0x00
#define DRM_MVGPU_SUBMIT	0x01
#define DRM_MVGPU_WAIT		0x02

/**
 * struct drm_mvgpu_info - what the vGPU offers (DRM_IOCTL_MVGPU_INFO).
 * @fb_size:	framebuffer (VRAM) bytes.
 * @abi:	the device's ABI version, major << 16 | minor.
 * @channels:	hardware channels, the number of render contexts at once.
 * @type_index:	the vGPU type's index (proto/mvgpu_abi.h's table).
 * @max_width:	largest mode width.
 * @max_height:	largest mode height.
 * @max_cmds:	most commands in one submit.
 * @max_dma:	most bytes of UPLOAD + DOWNLOAD in one submit.
 */
struct drm_mvgpu_info {
	__u64 fb_size;
	__u32 abi;
	__u32 channels;
	__u32 type_index;
	__u32 max_width;
	__u32 max_height;
	__u32 max_cmds;
	__u32 max_dma;
	__u32 pad;
};

/* Commands.  Offsets and sizes are bytes, 4-byte aligned, inside the object. */
enum drm_mvgpu_op {
	DRM_MVGPU_OP_FILL	= 1,	/* handle/offset/size := 32-bit @value */
	DRM_MVGPU_OP_COPY	= 2,	/* src_handle/src_offset -> handle/offset, size */
	DRM_MVGPU_OP_UPLOAD	= 3,	/* user memory @value -> handle/offset, size (DMA) */
	/* handle/offset -> user memory @value (DMA); only with SUBMIT_WAIT */
	DRM_MVGPU_OP_DOWNLOAD	= 4,
};

/**
 * struct drm_mvgpu_cmd - one render command.
 * @op:		enum drm_mvgpu_op.
 * @handle:	GEM handle of the destination (FILL, COPY, UPLOAD) or the
 *		source (DOWNLOAD).
 * @offset:	byte offset in @handle.
 * @size:	bytes.
 * @value:	FILL's pattern (low 32 bits), or a user pointer (UPLOAD,
 *		DOWNLOAD).
 * @src_handle:	COPY's source object (may be @handle; overlap is fine).
 * @pad:	must be zero.
 * @src_offset:	COPY's source offset.
 */
struct drm_mvgpu_cmd {
	__u32 op;
	__u32 handle;
	__u64 offset;
	__u64 size;
	__u64 value;
	__u32 src_handle;
	__u32 pad;
	__u64 src_offset;
};

#define DRM_MVGPU_SUBMIT_WAIT	(1u << 0)	/* return when the work completed */
#define DRM_MVGPU_SUBMIT_FRAME	(1u << 1)	/* the submit ends a frame: the host's
						 * frame-rate limiter paces it */

/**
 * struct drm_mvgpu_submit - queue commands (DRM_IOCTL_MVGPU_SUBMIT).
 * @cmds:	user pointer to @count struct drm_mvgpu_cmd.
 * @count:	1 .. drm_mvgpu_info.max_cmds.
 * @flags:	DRM_MVGPU_SUBMIT_*.
 * @seqno:	out: the submit's sequence number in this context, for
 *		DRM_IOCTL_MVGPU_WAIT.
 */
struct drm_mvgpu_submit {
	__u64 cmds;
	__u32 count;
	__u32 flags;
	__u64 seqno;
};

/**
 * struct drm_mvgpu_wait - wait for a submit (DRM_IOCTL_MVGPU_WAIT).
 * @seqno:	a sequence number a submit of this context returned.
 * @timeout_ns:	relative timeout; 0 polls.  -ETIME when it passes.
 */
struct drm_mvgpu_wait {
	__u64 seqno;
	__s64 timeout_ns;
};

#define DRM_IOCTL_MVGPU_INFO \
	DRM_IOR(DRM_COMMAND_BASE + DRM_MVGPU_INFO, struct drm_mvgpu_info)
#define DRM_IOCTL_MVGPU_SUBMIT \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_MVGPU_SUBMIT, struct drm_mvgpu_submit)
#define DRM_IOCTL_MVGPU_WAIT \
	DRM_IOW(DRM_COMMAND_BASE + DRM_MVGPU_WAIT, struct drm_mvgpu_wait)

#if defined(__cplusplus)
}
#endif

#endif /* MVGPU_DRM_H */
