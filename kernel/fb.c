// SPDX-License-Identifier: GPL-2.0
/*
 * fb.c - the framebuffer: BAR2's memory and the engine's primitives on it.
 *
 * Backing is one page per slot, allocated on first write (a page that was
 * never written reads as zeroes), so a vGPU costs host memory only for the
 * framebuffer it uses.  Slots are filled with cmpxchg and never emptied
 * while the vGPU lives - not by a reset (mvgpu_fb_zero() clears in place),
 * nor by a resume (mvgpu_load_commit() copies into the live pages) - so the
 * paths here hold page pointers without a reference and take no lock, and
 * a copy_*_user() that faults on an mmap of this same framebuffer is safe.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "mvgpu.h"

/**
 * mvgpu_fb_init() - allocate the page table of a vGPU's framebuffer.
 * @vgpu: the vGPU.
 *
 * Return: 0 or -ENOMEM.
 */
int mvgpu_fb_init(struct mvgpu_vgpu *vgpu)
{
	vgpu->fb_npages = vgpu->fb_size >> PAGE_SHIFT;
	vgpu->fb_pages = kvcalloc(vgpu->fb_npages, sizeof(*vgpu->fb_pages),
				  GFP_KERNEL);
	return vgpu->fb_pages ? 0 : -ENOMEM;
}

/**
 * mvgpu_fb_free() - free the framebuffer.  No user mapping may remain.
 * @vgpu: the vGPU.
 */
void mvgpu_fb_free(struct mvgpu_vgpu *vgpu)
{
	unsigned long i;

	if (!vgpu->fb_pages)
		return;
	for (i = 0; i < vgpu->fb_npages; i++) {
		if (vgpu->fb_pages[i]) {
			put_page(vgpu->fb_pages[i]);
			mvgpu_stat_dec(MVGPU_STAT_FB_PAGES);
		}
	}
	kvfree(vgpu->fb_pages);
	vgpu->fb_pages = NULL;
}

/**
 * mvgpu_fb_zero() - clear the framebuffer, as at power-on.
 * @vgpu: the vGPU.
 *
 * Pages stay allocated (user mappings keep pointing at them).
 */
void mvgpu_fb_zero(struct mvgpu_vgpu *vgpu)
{
	unsigned long i;

	for (i = 0; i < vgpu->fb_npages; i++) {
		struct page *page = READ_ONCE(vgpu->fb_pages[i]);

		if (page) {
			clear_highpage(page);
			set_bit(i, vgpu->fb_dirty);
		}
		cond_resched();
	}
}

/* The page behind framebuffer page @idx; allocated if @alloc. */
static struct page *fb_page(struct mvgpu_vgpu *vgpu, unsigned long idx,
			    bool alloc)
{
	struct page *page, *old;

	if (WARN_ON_ONCE(idx >= vgpu->fb_npages))	/* callers checked */
		return NULL;
	page = READ_ONCE(vgpu->fb_pages[idx]);
	if (page || !alloc)
		return page;
	page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO | __GFP_NOWARN);
	if (!page)
		return NULL;
	old = cmpxchg(&vgpu->fb_pages[idx], NULL, page);
	if (old) {
		put_page(page);
		return old;
	}
	mvgpu_stat_inc(MVGPU_STAT_FB_PAGES);
	return page;
}

static size_t fb_chunk(u64 off, u64 len)
{
	return min_t(u64, len, PAGE_SIZE - offset_in_page(off));
}

/**
 * mvgpu_fb_rw_user() - BAR2 read()/write() at any offset and size.
 * @vgpu: the vGPU.
 * @ubuf: user buffer.
 * @off: framebuffer offset; the caller has clipped @count to the framebuffer.
 * @count: bytes.
 * @write: direction.
 *
 * Takes no lock; yields the CPU between pages and stops early (a short
 * count) when the caller is being killed.
 *
 * Return: bytes done, or -EFAULT / -ENOMEM if none could be.
 */
ssize_t mvgpu_fb_rw_user(struct mvgpu_vgpu *vgpu, char __user *ubuf,
			 u64 off, size_t count, bool write)
{
	size_t done = 0;

	while (done < count) {
		size_t n = fb_chunk(off + done, count - done);
		struct page *page = fb_page(vgpu, (off + done) >> PAGE_SHIFT,
					    write);
		unsigned long left;
		void *kaddr;

		if (write && !page)
			return done ? done : -ENOMEM;
		if (!page) {
			left = clear_user(ubuf + done, n);
		} else {
			kaddr = kmap_local_page(page) + offset_in_page(off + done);
			if (write)
				left = copy_from_user(kaddr, ubuf + done, n);
			else
				left = copy_to_user(ubuf + done, kaddr, n);
			kunmap_local(kaddr);
		}
		if (write)
			mvgpu_fb_mark_dirty(vgpu, off + done, n - left);
		done += n - left;
		if (left)
			return done ? done : -EFAULT;
		/* a call may span the whole BAR: stay preemptible, killable */
		cond_resched();
		if (fatal_signal_pending(current))
			return done;
	}
	return done;
}

static vm_fault_t mvgpu_fb_fault(struct vm_fault *vmf)
{
	struct mvgpu_vgpu *vgpu = vmf->vma->vm_private_data;
	unsigned long idx = vmf->pgoff -
		(MVGPU_REGION_OFFSET(VFIO_PCI_BAR2_REGION_INDEX) >> PAGE_SHIFT);
	struct page *page;

	if (idx >= vgpu->fb_npages)
		return VM_FAULT_SIGBUS;
	page = fb_page(vgpu, idx, true);
	if (!page)
		return VM_FAULT_OOM;
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct mvgpu_fb_vm_ops = {
	.fault = mvgpu_fb_fault,
	.page_mkwrite = mvgpu_fb_page_mkwrite,
};

/**
 * mvgpu_fb_mmap() - map (part of) the framebuffer into a VFIO user.
 * @vgpu: the vGPU.
 * @vma: the mapping; vm_pgoff is in BAR2's region.
 * @region_off: offset of the mapping's start inside BAR2.
 *
 * Pages are inserted on fault, so the mapping and the device's own writes
 * always see the same memory.
 *
 * Return: 0, or -EINVAL for a private mapping or one beyond the BAR.
 */
int mvgpu_fb_mmap(struct mvgpu_vgpu *vgpu, struct vm_area_struct *vma,
		  u64 region_off)
{
	u64 len = vma->vm_end - vma->vm_start;

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (region_off >= vgpu->fb_size || len > vgpu->fb_size - region_off)
		return -EINVAL;
	vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &mvgpu_fb_vm_ops;
	vma->vm_private_data = vgpu;
	WRITE_ONCE(vgpu->fb_mapping, vma->vm_file->f_mapping);
	return 0;
}

/**
 * mvgpu_fb_fill() - fill a range with a 32-bit pattern.
 * @vgpu: the vGPU.
 * @off: 4-byte aligned offset; the range is inside the framebuffer.
 * @len: 4-byte aligned length.
 * @pattern: the pattern, little-endian in memory.
 *
 * Return: 0 or -ENOMEM.  A zero fill of an unbacked page allocates nothing.
 */
int mvgpu_fb_fill(struct mvgpu_vgpu *vgpu, u64 off, u64 len, u32 pattern)
{
	while (len) {
		size_t n = fb_chunk(off, len);
		struct page *page = fb_page(vgpu, off >> PAGE_SHIFT, pattern);
		__le32 *p;
		size_t i;

		if (page) {
			p = kmap_local_page(page) + offset_in_page(off);
			if (!pattern)
				memset(p, 0, n);
			else
				for (i = 0; i < n / 4; i++)
					p[i] = cpu_to_le32(pattern);
			kunmap_local(p);
			mvgpu_fb_mark_dirty(vgpu, off, n);
		} else if (pattern) {
			return -ENOMEM;
		}
		off += n;
		len -= n;
	}
	return 0;
}

/* Copies n bytes that sit inside one page on each side. */
static int fb_copy_chunk(struct mvgpu_vgpu *from, u64 src,
			 struct mvgpu_vgpu *vgpu, u64 dst, size_t n)
{
	struct page *sp = fb_page(from, src >> PAGE_SHIFT, false);
	struct page *dp = fb_page(vgpu, dst >> PAGE_SHIFT, sp != NULL);
	void *s, *d;

	if (!dp)
		return sp ? -ENOMEM : 0;	/* zeroes onto zeroes */
	d = kmap_local_page(dp) + offset_in_page(dst);
	if (sp) {
		s = kmap_local_page(sp) + offset_in_page(src);
		memmove(d, s, n);
		kunmap_local(s);
	} else {
		memset(d, 0, n);
	}
	kunmap_local(d);
	mvgpu_fb_mark_dirty(vgpu, dst, n);
	return 0;
}

/**
 * mvgpu_fb_copy_between() - copy from one vGPU's framebuffer to another's.
 * @from: the source vGPU.
 * @src: source offset.
 * @to: the destination vGPU (marked dirty for migration); @from itself
 *	for a copy within one framebuffer whose ranges allow copying forwards.
 * @dst: destination offset.
 * @len: bytes; both ranges are inside their framebuffers.
 *
 * No lock of either vGPU is needed (framebuffer pages live as long as
 * their vGPU); the caller keeps both alive (p2p.c).
 *
 * Return: 0 or -ENOMEM.
 */
int mvgpu_fb_copy_between(struct mvgpu_vgpu *from, u64 src,
			  struct mvgpu_vgpu *to, u64 dst, u64 len)
{
	u64 pos = 0;
	int ret = 0;

	while (!ret && pos < len) {
		size_t n = min(fb_chunk(src + pos, len - pos),
			       fb_chunk(dst + pos, len - pos));

		ret = fb_copy_chunk(from, src + pos, to, dst + pos, n);
		pos += n;
	}
	return ret;
}

/**
 * mvgpu_fb_copy() - copy within the framebuffer; ranges may overlap.
 * @vgpu: the vGPU.
 * @src: source offset.
 * @dst: destination offset.
 * @len: bytes; both ranges are inside the framebuffer.
 *
 * Return: 0 or -ENOMEM.
 */
int mvgpu_fb_copy(struct mvgpu_vgpu *vgpu, u64 src, u64 dst, u64 len)
{
	int ret = 0;

	if (dst <= src || dst >= src + len)	/* forwards is memmove-safe */
		return mvgpu_fb_copy_between(vgpu, src, vgpu, dst, len);

	/* dst overlaps the tail of src: copy backwards */
	while (!ret && len) {
		size_t n = min3(len, offset_in_page(src + len - 1) + 1,
				offset_in_page(dst + len - 1) + 1);

		len -= n;
		ret = fb_copy_chunk(vgpu, src + len, vgpu, dst + len, n);
	}
	return ret;
}

/**
 * mvgpu_fb_dma() - move bytes between guest memory and the framebuffer.
 * @vgpu: the vGPU; open (vfio_dma_rw() needs a container).
 * @fb_off: framebuffer offset.
 * @iova: guest I/O virtual address.
 * @len: bytes; the framebuffer range is inside the framebuffer.
 * @to_fb: guest → framebuffer if true, else framebuffer → guest.
 *
 * Goes through vfio_dma_rw(), which pins nothing for longer than the copy
 * and, while the container tracks dirty pages, logs what it wrote.
 *
 * Return: 0, -ENOMEM, or vfio_dma_rw()'s error for an unmapped IOVA.
 */
int mvgpu_fb_dma(struct mvgpu_vgpu *vgpu, u64 fb_off, dma_addr_t iova,
		 u64 len, bool to_fb)
{
	while (len) {
		size_t n = fb_chunk(fb_off, len);
		struct page *page = fb_page(vgpu, fb_off >> PAGE_SHIFT, to_fb);
		void *kaddr;
		int ret;

		if (!page && to_fb)
			return -ENOMEM;
		if (page)
			kaddr = kmap_local_page(page) + offset_in_page(fb_off);
		else
			kaddr = page_address(ZERO_PAGE(0));
		ret = vfio_dma_rw(&vgpu->vdev, iova, kaddr, n, !to_fb);
		if (page)
			kunmap_local(kaddr);
		if (ret)
			return ret;
		if (to_fb)
			mvgpu_fb_mark_dirty(vgpu, fb_off, n);
		fb_off += n;
		iova += n;
		len -= n;
	}
	return 0;
}
