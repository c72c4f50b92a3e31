/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mig.h - the migration engine, shared by both VFIO migration protocols:
 * v2 (mig.c: VFIO_DEVICE_FEATURE_MIGRATION, data fds) and v1 (the migration
 * region QEMU 7.2 speaks).
 *
 * A *save* produces the stream (proto/mvgpu_stream.h) in pieces: first the
 * descriptor and every framebuffer page (pre-copy's initial bytes), then the
 * pages dirtied since (pre-copy's dirty bytes, one pass per collection),
 * and at stop-copy the last dirty pages, the small state and the trailer.
 * A *load* consumes a stream in pieces, stages and validates everything,
 * and changes the device only in mvgpu_load_commit().
 */
#ifndef MVGPU_MIG_H
#define MVGPU_MIG_H

#include <linux/types.h>
#include <linux/vfio.h>

struct mvgpu_vgpu;
struct mvgpu_save;
struct mvgpu_load;
struct mvgpu_compat_info;

int mvgpu_local_info(struct mvgpu_vgpu *vgpu, struct mvgpu_compat_info *info);

/* mig_stream.c: the codec glue */
struct mvgpu_save *mvgpu_save_create(struct mvgpu_vgpu *vgpu, bool precopy);
void mvgpu_save_destroy(struct mvgpu_save *save);
ssize_t mvgpu_save_produce(struct mvgpu_save *save, u8 *buf, size_t len);
int mvgpu_save_stop_copy(struct mvgpu_save *save);
void mvgpu_save_pending(struct mvgpu_save *save, u64 buffered, u64 *initial,
			u64 *dirty);
u64 mvgpu_save_stop_copy_size(struct mvgpu_vgpu *vgpu, struct mvgpu_save *save);

struct mvgpu_load *mvgpu_load_create(struct mvgpu_vgpu *vgpu);
void mvgpu_load_destroy(struct mvgpu_load *load);
int mvgpu_load_feed(struct mvgpu_load *load, const u8 *buf, size_t len);
int mvgpu_load_commit(struct mvgpu_load *load);

bool mvgpu_save_done(struct mvgpu_save *save);
bool mvgpu_save_ready(struct mvgpu_save *save);

/* mig.c */
int mvgpu_mig_init(struct mvgpu_vgpu *vgpu);
void mvgpu_mig_reset(struct mvgpu_vgpu *vgpu);
void mvgpu_mig_close(struct mvgpu_vgpu *vgpu);
int mvgpu_mig_v1_set_state(struct mvgpu_vgpu *vgpu,
			   enum vfio_device_mig_state state);
enum vfio_device_mig_state mvgpu_mig_v1_get_state(struct mvgpu_vgpu *vgpu);
ssize_t mvgpu_mig_v1_save_chunk(struct mvgpu_vgpu *vgpu, u8 *dst, size_t len);
u64 mvgpu_mig_v1_pending(struct mvgpu_vgpu *vgpu);
int mvgpu_mig_v1_load_chunk(struct mvgpu_vgpu *vgpu, const u8 *src,
			    size_t len);

/* mig_v1_region.c */
#define MVGPU_V1_REGION_INDEX	VFIO_PCI_NUM_REGIONS
#define MVGPU_V1_DATA_OFF	PAGE_SIZE		/* the data area */
#define MVGPU_V1_AREA		(1024 * 1024)
#define MVGPU_V1_REGION_SIZE	(MVGPU_V1_DATA_OFF + MVGPU_V1_AREA)
int mvgpu_v1_region_info(struct mvgpu_vgpu *vgpu, struct vfio_region_info *info,
			 struct vfio_info_cap *caps);
ssize_t mvgpu_v1_rw(struct mvgpu_vgpu *vgpu, char __user *ubuf, u64 off,
		    size_t count, bool write);
int mvgpu_v1_mmap(struct mvgpu_vgpu *vgpu, struct vm_area_struct *vma,
		  u64 off);
void mvgpu_v1_free(struct mvgpu_vgpu *vgpu);

#endif /* MVGPU_MIG_H */
