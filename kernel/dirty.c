// SPDX-License-Identifier: GPL-2.0
/*
 * dirty.c - which framebuffer pages changed since the last look.
 *
 * Three writers touch the framebuffer, and each one marks what it wrote:
 *   - the command processor and trapped BAR2 writes mark pages *after*
 *     writing them (a look in between only means one extra resend);
 *   - a VFIO user's mmap: the mapping has a page_mkwrite handler, so the
 *     core maps pages read-only and calls it on the first write to each
 *     page (in the manner of fbdev's deferred I/O).  It marks the page and
 *     returns with the page locked; the core then installs a writable PTE
 *     and unlocks.
 *
 * Collecting (mvgpu_dirty_collect()) swaps the bitmap out first, then
 * write-protects every page it collected: it takes the page lock (so a
 * page_mkwrite that marked the page before the swap has finished
 * installing its PTE) and zaps the page's PTEs from every mapping.  A write
 * after that faults again and marks the fresh bitmap.  So a page written
 * after it was collected is always in the next collection, and the page
 * contents the caller reads after collecting include every write made
 * before it.
 */
#include <linux/bitmap.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/vfio.h>

#include "mvgpu.h"

/* At most this many pages are locked and zapped in one go. */
#define MVGPU_ZAP_RUN	64

/**
 * mvgpu_dirty_init() - allocate the dirty bitmap.
 * @vgpu: the vGPU, after mvgpu_fb_init().
 *
 * Return: 0 or -ENOMEM.
 */
int mvgpu_dirty_init(struct mvgpu_vgpu *vgpu)
{
	vgpu->fb_dirty = bitmap_zalloc(vgpu->fb_npages, GFP_KERNEL);
	return vgpu->fb_dirty ? 0 : -ENOMEM;
}

/**
 * mvgpu_dirty_free() - free the dirty bitmap.
 * @vgpu: the vGPU.
 */
void mvgpu_dirty_free(struct mvgpu_vgpu *vgpu)
{
	bitmap_free(vgpu->fb_dirty);
	vgpu->fb_dirty = NULL;
}

/* A pre-copy reader polling at the temporary end has data again. */
static void dirty_wake(struct mvgpu_vgpu *vgpu)
{
	if (wq_has_sleeper(&vgpu->mig_wq))
		wake_up_interruptible_poll(&vgpu->mig_wq, EPOLLIN | EPOLLRDNORM);
}

/**
 * mvgpu_fb_mark_dirty() - note that a framebuffer range was written.
 * @vgpu: the vGPU.
 * @off: first byte written.
 * @len: bytes written (0 marks nothing).
 *
 * Call after the write.  Atomic, takes no lock; wakes pollers of a
 * pre-copy data fd.
 */
void mvgpu_fb_mark_dirty(struct mvgpu_vgpu *vgpu, u64 off, u64 len)
{
	unsigned long first, last;

	if (!len)
		return;
	first = off >> PAGE_SHIFT;
	last = (off + len - 1) >> PAGE_SHIFT;
	for (; first <= last; first++)
		set_bit(first, vgpu->fb_dirty);
	dirty_wake(vgpu);
}

/* Zaps PTEs of pages [first, first + n) from every mapping of BAR2. */
static void dirty_zap(struct mvgpu_vgpu *vgpu, unsigned long first,
		      unsigned long n)
{
	struct address_space *mapping = READ_ONCE(vgpu->fb_mapping);
	loff_t base = MVGPU_REGION_OFFSET(VFIO_PCI_BAR2_REGION_INDEX);

	if (mapping)
		unmap_mapping_range(mapping, base + ((loff_t)first << PAGE_SHIFT),
				    (loff_t)n << PAGE_SHIFT, 1);
}

/* Write-protects a run of pages: lock them (ascending), zap, unlock. */
static void dirty_protect_run(struct mvgpu_vgpu *vgpu, unsigned long first,
			      unsigned long n)
{
	struct page *locked[MVGPU_ZAP_RUN];
	unsigned long i, nlocked = 0;

	for (i = 0; i < n; i++) {
		struct page *page = READ_ONCE(vgpu->fb_pages[first + i]);

		if (page) {
			lock_page(page);
			locked[nlocked++] = page;
		}
	}
	dirty_zap(vgpu, first, n);
	for (i = 0; i < nlocked; i++)
		unlock_page(locked[i]);
}

/**
 * mvgpu_dirty_collect() - take the set of pages written since the last
 * collection, and write-protect them again.
 * @vgpu: the vGPU.
 * @out: bitmap of fb_npages bits; receives the collected pages (OR-ed in).
 *
 * Return: the number of pages collected.
 */
unsigned long mvgpu_dirty_collect(struct mvgpu_vgpu *vgpu, unsigned long *out)
{
	unsigned long words = BITS_TO_LONGS(vgpu->fb_npages), i, count = 0;
	unsigned long start, end;

	for (i = 0; i < words; i++) {
		unsigned long w = xchg(&vgpu->fb_dirty[i], 0);

		out[i] |= w;
		count += hweight_long(w);
	}

	for_each_set_bitrange(start, end, out, vgpu->fb_npages) {
		while (start < end) {
			unsigned long n = min(end - start, MVGPU_ZAP_RUN);

			dirty_protect_run(vgpu, start, n);
			start += n;
			cond_resched();
		}
	}
	return count;
}

/**
 * mvgpu_dirty_start() - start a tracking epoch: forget earlier marks and
 * write-protect the whole framebuffer.
 * @vgpu: the vGPU.
 *
 * The caller then reads every page it cares about; anything written after
 * that read is in the next mvgpu_dirty_collect().
 *
 * Return: 0 or -ENOMEM.
 */
int mvgpu_dirty_start(struct mvgpu_vgpu *vgpu)
{
	unsigned long *old = bitmap_zalloc(vgpu->fb_npages, GFP_KERNEL);

	if (!old)
		return -ENOMEM;
	/*
	 * A collection, not a plain clear: it waits for a page_mkwrite that
	 * marked a page before the swap to install its PTE, then zaps it.
	 * The full zap after it catches PTEs left writable by earlier epochs.
	 */
	mvgpu_dirty_collect(vgpu, old);
	bitmap_free(old);
	dirty_zap(vgpu, 0, vgpu->fb_npages);
	return 0;
}

/**
 * mvgpu_fb_page_mkwrite() - a VFIO user's first write to a mapped page.
 * @vmf: the fault.
 *
 * Return: VM_FAULT_LOCKED (the page stays locked until its PTE is in).
 */
vm_fault_t mvgpu_fb_page_mkwrite(struct vm_fault *vmf)
{
	struct mvgpu_vgpu *vgpu = vmf->vma->vm_private_data;
	unsigned long idx = vmf->pgoff -
		(MVGPU_REGION_OFFSET(VFIO_PCI_BAR2_REGION_INDEX) >> PAGE_SHIFT);

	lock_page(vmf->page);
	if (idx < vgpu->fb_npages) {
		set_bit(idx, vgpu->fb_dirty);
		dirty_wake(vgpu);
	}
	return VM_FAULT_LOCKED;
}
