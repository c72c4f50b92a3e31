// SPDX-License-Identifier: GPL-2.0
/*
 * ecc.c - ECC: a parent's mode, a vGPU's view of it, injected errors.
 *
 * The host chooses a parent's ECC mode (sysfs ecc_mode); a change waits
 * until the parent has no vGPU, as a GPU reset would.  On DDR memory ECC
 * takes 1/16 of the pool (pool.c); on HBM nothing.  A guest may opt its
 * vGPU out (MVGPU_REG_ECC_CTRL), effective at the vGPU's next reset.
 *
 * Errors are injected through debugfs, <debugfs>/mvgpu/<uuid>/ecc_inject:
 *	echo "sbe PAGE [BYTE]" or "dbe PAGE [BYTE]"
 * at framebuffer page PAGE of that vGPU.  With ECC protecting the vGPU a
 * single-bit error is corrected and counted, and a second one on the same
 * pool page retires it; a double-bit error is counted, retires the page
 * and stops every channel with MVGPU_ERR_ECC, which refuse ENABLE until the
 * vGPU is reset.  Without ECC nothing notices: the bit(s) at BYTE flip in
 * the framebuffer, nothing is counted, no page is retired.
 */
#include <linux/debugfs.h>
#include <linux/highmem.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "mvgpu.h"

/**
 * mvgpu_ecc_parent_init() - a new parent's memory kind and ECC mode from
 * the module parameters.
 * @parent: the parent.
 */
void mvgpu_ecc_parent_init(struct mvgpu_parent *parent)
{
	parent->mem_kind = sysfs_streq(mvgpu_memory_default, "ddr") ?
			   MVGPU_MEM_DDR : MVGPU_MEM_HBM;
	parent->ecc_on = mvgpu_ecc_default;
	parent->ecc_pending = mvgpu_ecc_default;
}

/**
 * mvgpu_ecc_apply_pending() - the pending ECC mode becomes current.
 * @parent: the parent, without vGPUs; caller holds parent->lock.
 */
void mvgpu_ecc_apply_pending(struct mvgpu_parent *parent)
{
	lockdep_assert_held(&parent->lock);
	if (parent->ecc_on == parent->ecc_pending)
		return;
	parent->ecc_on = parent->ecc_pending;
	parent->ecc.sbe_vol = 0;
	parent->ecc.dbe_vol = 0;
	dev_info(parent->dev, "ECC mode now %s\n",
		 parent->ecc_on ? "enabled" : "disabled");
}

/**
 * mvgpu_ecc_enabled() - does ECC protect this vGPU now?
 * @vgpu: the vGPU; caller holds vgpu->lock.
 *
 * Return: the parent's mode is on and the guest did not opt out.
 */
bool mvgpu_ecc_enabled(struct mvgpu_vgpu *vgpu)
{
	/* parent->ecc_on only changes while the parent has no vGPU */
	return READ_ONCE(vgpu->parent->ecc_on) && !vgpu->ecc_optout;
}

/**
 * mvgpu_ecc_status() - MVGPU_REG_ECC_STATUS.
 * @vgpu: the vGPU; caller holds vgpu->lock.
 *
 * Return: MVGPU_ECC_STATUS_* bits.
 */
u32 mvgpu_ecc_status(struct mvgpu_vgpu *vgpu)
{
	bool optout = vgpu->ecc_ctrl & MVGPU_ECC_CTRL_OPT_OUT;
	u32 st = 0;

	if (READ_ONCE(vgpu->parent->ecc_on))
		st |= MVGPU_ECC_STATUS_SUPPORTED;
	if (mvgpu_ecc_enabled(vgpu))
		st |= MVGPU_ECC_STATUS_ENABLED;
	if (optout != vgpu->ecc_optout)
		st |= MVGPU_ECC_STATUS_PENDING;
	if (vgpu->ecc_killed)
		st |= MVGPU_ECC_STATUS_KILLED;
	if (vgpu->parent->mem_kind == MVGPU_MEM_DDR)
		st |= MVGPU_ECC_STATUS_DDR;
	return st;
}

/**
 * mvgpu_ecc_vgpu_reset() - what a reset of the vGPU does to ECC: the
 * opt-out takes effect, a killed vGPU lives again, volatile counters
 * restart and pending retired pages are replaced.
 * @vgpu: the vGPU; caller holds vgpu->lock.
 */
void mvgpu_ecc_vgpu_reset(struct mvgpu_vgpu *vgpu)
{
	vgpu->ecc_optout = vgpu->ecc_ctrl & MVGPU_ECC_CTRL_OPT_OUT;
	vgpu->ecc_killed = false;
	vgpu->ecc.sbe_vol = 0;
	vgpu->ecc.dbe_vol = 0;
	if (READ_ONCE(vgpu->retired_pending))
		mvgpu_pool_replace_pending(vgpu);
}

/**
 * mvgpu_ecc_read() - an ECC register.
 * @vgpu: the vGPU; caller holds vgpu->lock.
 * @off: MVGPU_REG_ECC_* or MVGPU_REG_RETIRED*.
 *
 * Return: its value (counters saturate at U32_MAX).
 */
u32 mvgpu_ecc_read(struct mvgpu_vgpu *vgpu, u32 off)
{
	const struct mvgpu_ecc_counts *e = &vgpu->ecc;

	switch (off) {
	case MVGPU_REG_ECC_STATUS:	return mvgpu_ecc_status(vgpu);
	case MVGPU_REG_ECC_CTRL:	return vgpu->ecc_ctrl;
	case MVGPU_REG_ECC_SBE_VOL:	return min_t(u64, e->sbe_vol, U32_MAX);
	case MVGPU_REG_ECC_DBE_VOL:	return min_t(u64, e->dbe_vol, U32_MAX);
	case MVGPU_REG_ECC_SBE_AGG:	return min_t(u64, e->sbe_agg, U32_MAX);
	case MVGPU_REG_ECC_DBE_AGG:	return min_t(u64, e->dbe_agg, U32_MAX);
	case MVGPU_REG_RETIRED:		return READ_ONCE(vgpu->retired);
	case MVGPU_REG_RETIRED_PEND:	return READ_ONCE(vgpu->retired_pending);
	}
	return 0;
}

/**
 * mvgpu_ecc_write() - an ECC register write: only ECC_CTRL is writable.
 * @vgpu: the vGPU; caller holds vgpu->lock.
 * @off: the register.
 * @val: the value.
 */
void mvgpu_ecc_write(struct mvgpu_vgpu *vgpu, u32 off, u32 val)
{
	if (off == MVGPU_REG_ECC_CTRL)
		vgpu->ecc_ctrl = val & MVGPU_ECC_CTRL_OPT_OUT;
}

static void ecc_count(struct mvgpu_vgpu *vgpu, bool dbe)
{
	struct mvgpu_ecc_counts *v = &vgpu->ecc, *p = &vgpu->parent->ecc;

	lockdep_assert_held(&vgpu->parent->lock);
	if (dbe) {
		v->dbe_vol++;
		v->dbe_agg++;
		p->dbe_vol++;
		p->dbe_agg++;
	} else {
		v->sbe_vol++;
		v->sbe_agg++;
		p->sbe_vol++;
		p->sbe_agg++;
	}
}

/* Without ECC an error is silent: flip the bit(s) in the framebuffer. */
static int ecc_flip(struct mvgpu_vgpu *vgpu, unsigned long idx,
		    unsigned int byte, bool dbe)
{
	struct page *page = READ_ONCE(vgpu->fb_pages[idx]);
	u8 *va;

	/* a page never written reads as zeroes: back it as a write would */
	if (!page) {
		page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
		if (!page)
			return -ENOMEM;
		if (cmpxchg(&vgpu->fb_pages[idx], NULL, page)) {
			put_page(page);
			page = READ_ONCE(vgpu->fb_pages[idx]);
		} else {
			mvgpu_stat_inc(MVGPU_STAT_FB_PAGES);
		}
	}
	va = kmap_local_page(page);
	va[byte] ^= dbe ? 0x03 : 0x01;
	kunmap_local(va);
	mvgpu_fb_mark_dirty(vgpu, ((u64)idx << PAGE_SHIFT) + byte, 1);
	return 0;
}

/*
 * With ECC: count, retire (a DBE, or a second SBE on the page), and for a
 * DBE stop the channels.  Caller holds vgpu->lock.  Returns 1 if a page was
 * retired, 0, or -ENOMEM (nothing counted or changed).
 */
static int ecc_detect(struct mvgpu_vgpu *vgpu, unsigned long idx, bool dbe)
{
	struct mvgpu_parent *parent = vgpu->parent;
	u32 page = vgpu->fb_phys[idx];
	int ret;

	mutex_lock(&parent->lock);
	if (dbe || (mvgpu_pool_page_flags(parent, page) & MVGPU_PG_SBE)) {
		ret = mvgpu_pool_retire(parent, page, dbe, true);
		if (ret > 0)
			vgpu->retired_pending++;
	} else {
		ret = mvgpu_pool_note_sbe(parent, page);
	}
	if (ret >= 0)
		ecc_count(vgpu, dbe);
	mutex_unlock(&parent->lock);
	if (ret < 0)
		return ret;
	if (dbe) {
		if (!vgpu->ecc_killed)
			dev_warn_ratelimited(vgpu->vdev.dev,
					     "double-bit ECC error at framebuffer page %#lx: channels stopped until reset\n",
					     idx);
		vgpu->ecc_killed = true;
		mvgpu_channels_kill(vgpu, MVGPU_ERR_ECC);
	}
	if (ret > 0)
		dev_info_ratelimited(parent->dev,
				     "pool page %#x retired (%s), replaced at the next reset of %s\n",
				     page, dbe ? "double-bit error" :
				     "repeated single-bit errors",
				     dev_name(vgpu->vdev.dev));
	return ret;
}

static int ecc_inject(struct mvgpu_vgpu *vgpu, unsigned long idx,
		      unsigned int byte, bool dbe)
{
	int ret;

	if (idx >= vgpu->fb_npages || byte >= PAGE_SIZE)
		return -ERANGE;

	/*
	 * Not while a stream is being loaded: its state would overwrite
	 * what the error did to the counters and channels.
	 */
	mutex_lock(&vgpu->mig_lock);
	if (vgpu->mig_state == VFIO_DEVICE_STATE_RESUMING) {
		mutex_unlock(&vgpu->mig_lock);
		return -EBUSY;
	}
	mutex_lock(&vgpu->lock);
	if (mvgpu_ecc_enabled(vgpu))
		ret = ecc_detect(vgpu, idx, dbe);
	else
		ret = ecc_flip(vgpu, idx, byte, dbe);
	mutex_unlock(&vgpu->lock);
	mutex_unlock(&vgpu->mig_lock);

	if (ret > 0)
		mvgpu_retired_save();
	return ret < 0 ? ret : 0;
}

static ssize_t ecc_inject_write(struct file *file, const char __user *ubuf,
				size_t count, loff_t *ppos)
{
	struct mvgpu_vgpu *vgpu = file->private_data;
	unsigned long idx;
	unsigned int byte = 0;
	char buf[64], kind[4];
	int n, ret;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	n = sscanf(buf, "%3s %li %u", kind, &idx, &byte);
	if (n < 2 || (strcmp(kind, "sbe") && strcmp(kind, "dbe")))
		return -EINVAL;
	ret = ecc_inject(vgpu, idx, byte, kind[0] == 'd');
	return ret ? ret : count;
}

static const struct file_operations ecc_inject_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= ecc_inject_write,
};

/**
 * mvgpu_ecc_debugfs_add() - the vGPU's debugfs directory: ecc_inject, and
 * pool_pages (pool.c).
 * @vgpu: the vGPU, registered.
 */
void mvgpu_ecc_debugfs_add(struct mvgpu_vgpu *vgpu)
{
	vgpu->debugfs = debugfs_create_dir(dev_name(vgpu->vdev.dev),
					   mvgpu_debugfs_root());
	debugfs_create_file("ecc_inject", 0200, vgpu->debugfs, vgpu,
			    &ecc_inject_fops);
	mvgpu_pool_debugfs_add(vgpu, vgpu->debugfs);
}

/**
 * mvgpu_ecc_debugfs_remove() - remove it again; waits for writers.
 * @vgpu: the vGPU.
 */
void mvgpu_ecc_debugfs_remove(struct mvgpu_vgpu *vgpu)
{
	debugfs_remove_recursive(vgpu->debugfs);
	vgpu->debugfs = NULL;
}
