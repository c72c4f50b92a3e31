// SPDX-License-Identifier: GPL-2.0
/*
 * mig_v1_region.c - VFIO migration protocol v1: the "migration region"
 * Debian 12's QEMU 7.2 speaks, gone from the 6.12 core but free for a
 * driver to expose as a device region of its own.
 *
 * Region MVGPU_V1_REGION_INDEX (just past the PCI regions), type 3 /
 * subtype 1:
 *   [0, 32)		the header: device_state (u32 @0), pending_bytes (u64 @8),
 *			data_offset (u64 @16), data_size (u64 @24); native-width
 *			aligned accesses only
 *   [4096, 4096 + MVGPU_V1_AREA)	the data area, mmap-able (sparse cap)
 *
 * The v1 state bits name v2 states (proto/mvgpu_v1.h) and writes walk the
 * same state machine and the same engine as v2 (mig.c): RUNNING|SAVING is
 * pre-copy, SAVING stop-copy, RESUMING resuming.  Saving: reading
 * data_offset puts the next chunk of the stream in the data area and
 * data_size says how long it is; reading pending_bytes again means the
 * chunk was consumed.  Resuming: the user writes a chunk into the area and
 * then its length to data_size, which feeds a copy of it (the area stays
 * mapped and writable) to the validating decoder;
 * a bad stream fails that write, and QEMU's load with it.  A failed state
 * change leaves the state where it was: the error state (which QEMU answers
 * with hw_error) is never entered here.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include <linux/vmalloc.h>

#include "mvgpu.h"
#include "mig.h"
#include "mvgpu_stream.h"
#include "mvgpu_v1.h"

static_assert(MVGPU_V1_AREA >= MVGPU_ENC_BUF_MIN);

/**
 * mvgpu_v1_region_info() - VFIO_DEVICE_GET_REGION_INFO of the region.
 * @vgpu: the vGPU.
 * @info: filled in (offset by the caller).
 * @caps: the type and sparse-mmap capabilities are added here.
 *
 * Return: 0 or -ENOMEM.
 */
int mvgpu_v1_region_info(struct mvgpu_vgpu *vgpu, struct vfio_region_info *info,
			 struct vfio_info_cap *caps)
{
	struct vfio_region_info_cap_type type = {
		.header.id = VFIO_REGION_INFO_CAP_TYPE,
		.header.version = 1,
		.type = VFIO_REGION_TYPE_MIGRATION_DEPRECATED,
		.subtype = VFIO_REGION_SUBTYPE_MIGRATION_DEPRECATED,
	};
	struct {
		struct vfio_region_info_cap_sparse_mmap sparse;
		struct vfio_region_sparse_mmap_area area;
	} sparse = {
		.sparse.header.id = VFIO_REGION_INFO_CAP_SPARSE_MMAP,
		.sparse.header.version = 1,
		.sparse.nr_areas = 1,
		.area.offset = MVGPU_V1_DATA_OFF,
		.area.size = MVGPU_V1_AREA,
	};
	int ret;

	info->size = MVGPU_V1_REGION_SIZE;
	info->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
		      VFIO_REGION_INFO_FLAG_MMAP;
	ret = vfio_info_add_capability(caps, &type.header, sizeof(type));
	if (!ret)
		ret = vfio_info_add_capability(caps, &sparse.sparse.header,
					       sizeof(sparse));
	return ret;
}

/*
 * The data area, allocated on first use.  No lock: it is installed with
 * cmpxchg and freed only when the device closes, when no read, write or
 * mapping of the region can remain (each holds the device file).
 */
static void *v1_area(struct mvgpu_vgpu *vgpu)
{
	void *area = READ_ONCE(vgpu->v1_area), *old;

	if (area)
		return area;
	area = vmalloc_user(MVGPU_V1_AREA);
	if (!area)
		return NULL;
	old = cmpxchg(&vgpu->v1_area, NULL, area);
	if (old) {
		vfree(area);
		return old;
	}
	return area;
}

/**
 * mvgpu_v1_free() - free the data area (the device is closing).
 * @vgpu: the vGPU.
 */
void mvgpu_v1_free(struct mvgpu_vgpu *vgpu)
{
	mutex_lock(&vgpu->v1_lock);
	vfree(vgpu->v1_area);
	vgpu->v1_area = NULL;
	vgpu->v1_chunk = false;
	vgpu->v1_data_size = 0;
	mutex_unlock(&vgpu->v1_lock);
}

static int v1_write_state(struct mvgpu_vgpu *vgpu, u32 bits)
{
	u32 want;
	int ret;

	ret = mvgpu_v1_to_v2(bits & MVGPU_V1_MASK, &want);
	if (ret || (bits & ~MVGPU_V1_MASK)) {
		dev_warn_ratelimited(vgpu->vdev.dev,
				     "v1 migration: device_state %#x refused\n",
				     bits);
		return -EINVAL;
	}
	if (want == mvgpu_mig_v1_get_state(vgpu))
		return 0;
	vgpu->v1_chunk = false;
	vgpu->v1_data_size = 0;
	return mvgpu_mig_v1_set_state(vgpu, want);
}

/* Saving: the next chunk into the data area, unless one is out. */
static int v1_next_chunk(struct mvgpu_vgpu *vgpu)
{
	void *area = v1_area(vgpu);
	ssize_t n;

	if (vgpu->v1_chunk)
		return 0;
	if (!area)
		return -ENOMEM;
	n = mvgpu_mig_v1_save_chunk(vgpu, area, MVGPU_V1_AREA);
	if (n < 0)
		return n;
	vgpu->v1_data_size = n;
	vgpu->v1_chunk = true;
	return 0;
}

static int v1_read_u64(struct mvgpu_vgpu *vgpu, u64 off, u64 *val)
{
	enum vfio_device_mig_state s = mvgpu_mig_v1_get_state(vgpu);
	bool saving = s == VFIO_DEVICE_STATE_PRE_COPY ||
		      s == VFIO_DEVICE_STATE_STOP_COPY;
	int ret;

	*val = 0;
	switch (off) {
	case MVGPU_V1_OFF_PENDING:
		if (!saving)
			return 0;
		/* reading it again: the chunk was consumed */
		vgpu->v1_chunk = false;
		vgpu->v1_data_size = 0;
		*val = mvgpu_mig_v1_pending(vgpu);
		return 0;
	case MVGPU_V1_OFF_DATA_OFF:
		if (saving) {
			ret = v1_next_chunk(vgpu);
			if (ret)
				return ret;
		}
		*val = MVGPU_V1_DATA_OFF;
		return 0;
	case MVGPU_V1_OFF_DATA_SIZE:
		*val = saving ? vgpu->v1_data_size : 0;
		return 0;
	}
	return -EINVAL;
}

static int v1_write_data_size(struct mvgpu_vgpu *vgpu, u64 size)
{
	void *area = v1_area(vgpu);
	void *copy;
	int ret;

	if (mvgpu_mig_v1_get_state(vgpu) != VFIO_DEVICE_STATE_RESUMING)
		return -EINVAL;
	if (size > MVGPU_V1_AREA)
		return -EINVAL;
	if (!area)
		return -ENOMEM;
	/*
	 * The user still has the area mapped and could change it while the
	 * decoder looks at it: decode a copy, as the v2 path does.
	 */
	copy = kvmalloc(size ? size : 1, GFP_KERNEL_ACCOUNT);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, area, size);
	ret = mvgpu_mig_v1_load_chunk(vgpu, copy, size);
	kvfree(copy);
	return ret;
}

/*
 * One header access: @val in (write) or out (read).  Caller holds v1_lock
 * and has done, or will do, the user copy outside it.
 */
static int v1_header_access(struct mvgpu_vgpu *vgpu, u64 off, size_t count,
			    bool write, u64 *val)
{
	if (off == MVGPU_V1_OFF_STATE && count == 4) {
		if (write)
			return v1_write_state(vgpu, (u32)*val);
		*val = mvgpu_v2_to_v1(mvgpu_mig_v1_get_state(vgpu));
		return 0;
	}
	if (write)
		return v1_write_data_size(vgpu, *val);
	return v1_read_u64(vgpu, off, val);
}

/* The header: v1_lock is never held across a user copy (see mmap). */
static ssize_t v1_header_rw(struct mvgpu_vgpu *vgpu, char __user *ubuf,
			    u64 off, size_t count, bool write)
{
	u64 val = 0;
	u32 v32 = 0;
	int ret;

	if (off == MVGPU_V1_OFF_STATE && count == 4) {
		if (write && copy_from_user(&v32, ubuf, 4))
			return -EFAULT;
		val = v32;
	} else if (count != 8 || off % 8 || off < MVGPU_V1_OFF_PENDING ||
		   off >= MVGPU_V1_HDR_SIZE ||
		   (write && off != MVGPU_V1_OFF_DATA_SIZE)) {
		return -EINVAL;
	} else if (write && copy_from_user(&val, ubuf, 8)) {
		return -EFAULT;
	}

	mutex_lock(&vgpu->v1_lock);
	ret = v1_header_access(vgpu, off, count, write, &val);
	mutex_unlock(&vgpu->v1_lock);
	if (ret)
		return ret;
	if (!write) {
		v32 = val;
		if (copy_to_user(ubuf, count == 4 ? (void *)&v32 : (void *)&val,
				 count))
			return -EFAULT;
	}
	return count;
}

/**
 * mvgpu_v1_rw() - read()/write() inside the region.
 * @vgpu: the vGPU.
 * @ubuf: user buffer.
 * @off: offset in the region; the caller clipped @count to its size.
 * @count: bytes.
 * @write: direction.
 *
 * The data area works at any offset and size, for users that do not map
 * it; like a mapping of it, such accesses take no lock.
 *
 * Return: bytes done or a negative errno.
 */
ssize_t mvgpu_v1_rw(struct mvgpu_vgpu *vgpu, char __user *ubuf, u64 off,
		    size_t count, bool write)
{
	void *area;

	if (off < MVGPU_V1_DATA_OFF)
		return v1_header_rw(vgpu, ubuf, off, count, write);
	area = v1_area(vgpu);
	if (!area)
		return -ENOMEM;
	off -= MVGPU_V1_DATA_OFF;
	if (write)
		return copy_from_user(area + off, ubuf, count) ? -EFAULT : count;
	return copy_to_user(ubuf, area + off, count) ? -EFAULT : count;
}

/**
 * mvgpu_v1_mmap() - map the data area.
 * @vgpu: the vGPU.
 * @vma: the mapping.
 * @off: offset of its start in the region: inside the data area.
 *
 * Called with mmap_lock held: takes no mvgpu lock (v1_lock is taken in
 * paths that fault on user memory).
 *
 * Return: 0, -EINVAL (the header, or beyond the area), -ENOMEM.
 */
int mvgpu_v1_mmap(struct mvgpu_vgpu *vgpu, struct vm_area_struct *vma, u64 off)
{
	u64 len = vma->vm_end - vma->vm_start;
	void *area;

	if (off < MVGPU_V1_DATA_OFF || off - MVGPU_V1_DATA_OFF >= MVGPU_V1_AREA ||
	    len > MVGPU_V1_AREA - (off - MVGPU_V1_DATA_OFF))
		return -EINVAL;
	area = v1_area(vgpu);
	if (!area)
		return -ENOMEM;
	return remap_vmalloc_range(vma, area,
				   (off - MVGPU_V1_DATA_OFF) >> PAGE_SHIFT);
}
