// SPDX-License-Identifier: GPL-2.0
/*
 * pool.c - a parent's physical framebuffer pages and their retirement.
 *
 * A parent has fb_pool_mb of framebuffer plus spare_pages spare pages:
 * pool pages 0 .. pool_pages - 1.  Each vGPU's framebuffer page maps to one
 * pool page (vgpu->fb_phys), chosen at creation among pages that are
 * neither held nor retired, so the guest sees a contiguous framebuffer
 * whatever pages were retired.  The host memory behind a framebuffer page
 * (fb.c) is independent of its pool page: the pool is where errors happen
 * and what retirement takes away.
 *
 * Retiring a page a vGPU holds leaves it mapped (pending) until that vGPU
 * is reset; then a free page takes its place and the content is carried
 * over (a reset that clears the framebuffer clears it anyway).  A retired
 * page is never given out again, and the list survives module reloads
 * (retire.c).  Spares absorb retirements: only once they are used up does
 * the usable pool shrink.
 *
 * Capacity for new vGPUs: the usable pool (the pool less ECC's share on
 * DDR) less what vGPUs reserved, and never more than the free healthy
 * pages.  A vGPU of the 1:1 type takes the whole usable pool and is alone
 * on its parent: it cannot be created next to another vGPU, nor another
 * next to it (-EBUSY).
 */
#include <linux/bitmap.h>
#include <linux/debugfs.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "mvgpu.h"

static unsigned long pool_free_pages(struct mvgpu_parent *parent)
{
	lockdep_assert_held(&parent->lock);
	return parent->pool_pages - parent->pool_held - parent->nr_retired +
	       parent->nr_pending;
}

/**
 * mvgpu_pool_init() - a parent's page bitmap; retired pages from the file.
 * @parent: the parent, fb_total set, not yet registered.
 *
 * Return: 0 or -ENOMEM.
 */
int mvgpu_pool_init(struct mvgpu_parent *parent)
{
	parent->pool_pages = (parent->fb_total >> PAGE_SHIFT) +
			     mvgpu_spare_pages;
	/* up to 2 MiB for a 64 GiB pool: not physically contiguous */
	parent->pool_busy = kvcalloc(BITS_TO_LONGS(parent->pool_pages),
				     sizeof(unsigned long), GFP_KERNEL);
	if (!parent->pool_busy)
		return -ENOMEM;
	xa_init(&parent->pages);
	return 0;
}

/**
 * mvgpu_pool_free() - free what mvgpu_pool_init() allocated.
 * @parent: the parent, with no vGPUs.
 */
void mvgpu_pool_free(struct mvgpu_parent *parent)
{
	WARN_ON(parent->pool_held);
	xa_destroy(&parent->pages);
	kvfree(parent->pool_busy);
}

/**
 * mvgpu_pool_usable() - bytes vGPUs may hold in all.
 * @parent: the parent; caller holds parent->lock.
 *
 * Return: the pool less ECC's 1/16 on DDR, at most the healthy pages.
 */
u64 mvgpu_pool_usable(struct mvgpu_parent *parent)
{
	u64 usable = parent->fb_total;
	u64 healthy = (u64)(parent->pool_pages - parent->nr_retired) <<
		      PAGE_SHIFT;

	lockdep_assert_held(&parent->lock);
	if (parent->mem_kind == MVGPU_MEM_DDR && parent->ecc_on)
		usable -= usable / 16;
	return min(usable, healthy);
}

/**
 * mvgpu_pool_free_bytes() - bytes a new vGPU may take.
 * @parent: the parent; caller holds parent->lock.
 *
 * Return: the usable pool not reserved, at most the free healthy pages.
 */
u64 mvgpu_pool_free_bytes(struct mvgpu_parent *parent)
{
	u64 usable = mvgpu_pool_usable(parent);
	u64 left = usable > parent->fb_used ? usable - parent->fb_used : 0;

	return min_t(u64, left, (u64)pool_free_pages(parent) << PAGE_SHIFT);
}

/**
 * mvgpu_pool_full_size() - the framebuffer a 1:1 vGPU would get now.
 * @parent: the parent; caller holds parent->lock.
 *
 * Return: the usable pool in whole MiB, or 0 while a vGPU exists.
 */
u64 mvgpu_pool_full_size(struct mvgpu_parent *parent)
{
	lockdep_assert_held(&parent->lock);
	if (parent->nr_vgpus)
		return 0;
	return round_down(mvgpu_pool_free_bytes(parent), SZ_1M);
}

/**
 * mvgpu_pool_map() - reserve a new vGPU's framebuffer and choose its pages.
 * @vgpu: the vGPU, parent, vtype, fb_size and fb_npages set.
 *
 * Return: 0, -ENOSPC when the pool cannot hold it, -EBUSY when a 1:1 vGPU
 * would not be alone on the parent, or -ENOMEM.
 */
int mvgpu_pool_map(struct mvgpu_vgpu *vgpu)
{
	struct mvgpu_parent *parent = vgpu->parent;
	unsigned long i, page = 0;
	int ret = 0;

	vgpu->fb_phys = kvmalloc_array(vgpu->fb_npages, sizeof(u32),
				       GFP_KERNEL);
	if (!vgpu->fb_phys)
		return -ENOMEM;

	mutex_lock(&parent->lock);
	if (parent->has_full ||
	    (vgpu->vtype->index == MVGPU_TYPE_FULL && parent->nr_vgpus)) {
		ret = -EBUSY;
		goto out;
	}
	if (mvgpu_pool_free_bytes(parent) < vgpu->fb_size) {
		ret = -ENOSPC;
		goto out;
	}
	for (i = 0; i < vgpu->fb_npages; i++) {
		page = find_next_zero_bit(parent->pool_busy,
					  parent->pool_pages, page);
		/* the free count said there are enough */
		if (WARN_ON(page >= parent->pool_pages)) {
			while (i--)
				clear_bit(vgpu->fb_phys[i], parent->pool_busy);
			ret = -ENOSPC;
			goto out;
		}
		set_bit(page, parent->pool_busy);
		vgpu->fb_phys[i] = page;
		if (!(i % 4096))
			cond_resched();
	}
	parent->fb_used += vgpu->fb_size;
	parent->pool_held += vgpu->fb_npages;
	parent->nr_vgpus++;
	parent->has_full = vgpu->vtype->index == MVGPU_TYPE_FULL;
out:
	mutex_unlock(&parent->lock);
	if (ret) {
		kvfree(vgpu->fb_phys);
		vgpu->fb_phys = NULL;
	}
	return ret;
}

/*
 * Replacing the value of a page already recorded allocates nothing and
 * cannot fail; recording a new one can (-ENOMEM), and then nothing may
 * change: the flags are what the counts of pool.c rely on.
 */
static int set_page_flags(struct mvgpu_parent *parent, unsigned long page,
			  unsigned int flags)
{
	int ret = xa_err(xa_store(&parent->pages, page, xa_mk_value(flags),
				  GFP_KERNEL));

	if (ret)
		dev_warn_ratelimited(parent->dev,
				     "cannot record pool page %#lx: %d\n",
				     page, ret);
	return ret;
}

/**
 * mvgpu_pool_page_flags() - the MVGPU_PG_* flags of a pool page.
 * @parent: the parent; caller holds parent->lock.
 * @page: the pool page.
 *
 * Return: its flags, 0 for a page without a history.
 */
unsigned int mvgpu_pool_page_flags(struct mvgpu_parent *parent,
				   unsigned long page)
{
	void *entry = xa_load(&parent->pages, page);

	return entry ? xa_to_value(entry) : 0;
}

/**
 * mvgpu_pool_note_sbe() - remember that a pool page had a corrected error.
 * @parent: the parent; caller holds parent->lock.
 * @page: the pool page.
 *
 * Return: 0 or -ENOMEM.
 */
int mvgpu_pool_note_sbe(struct mvgpu_parent *parent, unsigned long page)
{
	return set_page_flags(parent, page,
			      mvgpu_pool_page_flags(parent, page) |
			      MVGPU_PG_SBE);
}

/**
 * mvgpu_pool_unmap() - give a vGPU's pages and reservation back.
 * @vgpu: the vGPU, being freed.
 *
 * Its pending retired pages stay retired; a pending ECC mode takes effect
 * once the parent has no vGPU left.
 */
void mvgpu_pool_unmap(struct mvgpu_vgpu *vgpu)
{
	struct mvgpu_parent *parent = vgpu->parent;
	unsigned long i;

	if (!vgpu->fb_phys)
		return;
	mutex_lock(&parent->lock);
	for (i = 0; i < vgpu->fb_npages; i++) {
		u32 page = vgpu->fb_phys[i];
		unsigned int flags = mvgpu_pool_page_flags(parent, page);

		if (flags & MVGPU_PG_PENDING) {
			set_page_flags(parent, page, flags & ~MVGPU_PG_PENDING);
			parent->nr_pending--;
		} else {
			clear_bit(page, parent->pool_busy);
		}
		if (!(i % 4096))
			cond_resched();
	}
	parent->fb_used -= vgpu->fb_size;
	parent->pool_held -= vgpu->fb_npages;
	parent->nr_vgpus--;
	parent->has_full = false;
	if (!parent->nr_vgpus)
		mvgpu_ecc_apply_pending(parent);
	mutex_unlock(&parent->lock);
	kvfree(vgpu->fb_phys);
	vgpu->fb_phys = NULL;
}

/**
 * mvgpu_pool_retire() - retire a pool page.
 * @parent: the parent; caller holds parent->lock.
 * @page: the pool page.
 * @dbe: for a double-bit error (else repeated single-bit errors).
 * @held: a vGPU holds it: pending until that vGPU's reset.
 *
 * Return: 1 if the page is retired now, 0 if it was before (or is not a
 * pool page), -ENOMEM if it could not be recorded (nothing changed).
 */
int mvgpu_pool_retire(struct mvgpu_parent *parent, unsigned long page,
		      bool dbe, bool held)
{
	unsigned int flags;
	int ret;

	lockdep_assert_held(&parent->lock);
	if (page >= parent->pool_pages)
		return 0;
	flags = mvgpu_pool_page_flags(parent, page);
	if (flags & MVGPU_PG_RETIRED)
		return 0;
	flags |= MVGPU_PG_RETIRED | (dbe ? MVGPU_PG_DBE : 0) |
		 (held ? MVGPU_PG_PENDING : 0);
	ret = set_page_flags(parent, page, flags);
	if (ret)
		return ret;
	if (held)
		parent->nr_pending++;
	set_bit(page, parent->pool_busy);
	parent->nr_retired++;
	return 1;
}

/**
 * mvgpu_pool_replace_pending() - swap a vGPU's pending retired pages for
 * free ones (its reset).
 * @vgpu: the vGPU; caller holds vgpu->lock, not parent->lock.
 *
 * A page without a free replacement stays mapped and pending (the spares
 * and the free pool are used up); the next reset tries again - and costs
 * nothing until a page is free, however often a guest resets.
 */
void mvgpu_pool_replace_pending(struct mvgpu_vgpu *vgpu)
{
	struct mvgpu_parent *parent = vgpu->parent;
	unsigned long i, spare;

	mutex_lock(&parent->lock);
	if (!pool_free_pages(parent)) {
		mutex_unlock(&parent->lock);
		return;
	}
	for (i = 0; i < vgpu->fb_npages && vgpu->retired_pending; i++) {
		u32 page = vgpu->fb_phys[i];
		unsigned int flags = mvgpu_pool_page_flags(parent, page);

		if (!(i % 4096))
			cond_resched();
		if (!(flags & MVGPU_PG_PENDING))
			continue;
		spare = find_first_zero_bit(parent->pool_busy,
					    parent->pool_pages);
		if (spare >= parent->pool_pages) {
			dev_warn_ratelimited(parent->dev,
					     "no spare page for retired page %#x\n",
					     page);
			break;
		}
		set_bit(spare, parent->pool_busy);
		vgpu->fb_phys[i] = spare;
		set_page_flags(parent, page, flags & ~MVGPU_PG_PENDING);
		parent->nr_pending--;
		vgpu->retired_pending--;
		vgpu->retired++;
	}
	mutex_unlock(&parent->lock);
}

/*
 * <debugfs>/mvgpu/<uuid>/pool_pages: the pool pages behind the vGPU's
 * framebuffer, as runs "fb_first-fb_last: pool_first-pool_last", for the
 * tests (a retired page is never among them once replaced).
 */
static int pool_pages_show(struct seq_file *m, void *v)
{
	struct mvgpu_vgpu *vgpu = m->private;
	struct mvgpu_parent *parent = vgpu->parent;
	unsigned long i, start = 0;

	mutex_lock(&parent->lock);
	for (i = 1; i <= vgpu->fb_npages; i++) {
		if (!(i % 4096))
			cond_resched();
		if (i < vgpu->fb_npages &&
		    vgpu->fb_phys[i] == vgpu->fb_phys[i - 1] + 1)
			continue;
		seq_printf(m, "%#lx-%#lx: %#x-%#x\n", start, i - 1,
			   vgpu->fb_phys[start], vgpu->fb_phys[i - 1]);
		start = i;
	}
	mutex_unlock(&parent->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pool_pages);

/**
 * mvgpu_pool_debugfs_add() - the vGPU's pool_pages debugfs file.
 * @vgpu: the vGPU.
 * @dir: its debugfs directory.
 */
void mvgpu_pool_debugfs_add(struct mvgpu_vgpu *vgpu, struct dentry *dir)
{
	debugfs_create_file("pool_pages", 0400, dir, vgpu, &pool_pages_fops);
}
