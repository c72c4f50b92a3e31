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

struct mvgpu_vgpu;
struct mvgpu_save;
struct mvgpu_load;

/* mig_stream.c: the codec glue */
struct mvgpu_save *mvgpu_save_create(struct mvgpu_vgpu *vgpu, bool precopy);
void mvgpu_save_destroy(struct mvgpu_save *save);
ssize_t mvgpu_save_produce(struct mvgpu_save *save, u8 *buf, size_t len);
int mvgpu_save_stop_copy(struct mvgpu_save *save);
void mvgpu_save_pending(struct mvgpu_save *save, u64 *initial, u64 *dirty);
u64 mvgpu_save_stop_copy_size(struct mvgpu_vgpu *vgpu, struct mvgpu_save *save);

struct mvgpu_load *mvgpu_load_create(struct mvgpu_vgpu *vgpu);
void mvgpu_load_destroy(struct mvgpu_load *load);
int mvgpu_load_feed(struct mvgpu_load *load, const u8 *buf, size_t len);
int mvgpu_load_commit(struct mvgpu_load *load);

/* mig.c */
int mvgpu_mig_init(struct mvgpu_vgpu *vgpu);
void mvgpu_mig_reset(struct mvgpu_vgpu *vgpu);
void mvgpu_mig_close(struct mvgpu_vgpu *vgpu);

#endif /* MVGPU_MIG_H */
