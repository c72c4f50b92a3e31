// SPDX-License-Identifier: GPL-2.0
/*
 * mig_stream.c - the migration engine's two ends, on proto/'s codec.
 *
 * Save: the descriptor, then every backed framebuffer page (pre-copy's
 * initial bytes; pages never written are zero and need not travel, the
 * target stages into a zeroed framebuffer), then - once a pass is through -
 * the pages dirtied since, one collection per pass.  At stop-copy the
 * device is quiet: the last collection, the small state and the trailer.
 *
 * Load: the decoder validates as bytes arrive; pages are staged in a page
 * table of their own and the small state in a struct mvgpu_state.  Only
 * mvgpu_load_commit() touches the device, after the whole stream checked
 * out: it swaps the staged pages in, zaps user mappings of the old ones
 * and applies the state.  A failed load leaves the device as it was.
 */
#include <linux/bitmap.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vfio.h>
#include <linux/xarray.h>

#include "mvgpu.h"
#include "mig.h"
#include "mvgpu_stream.h"

enum save_phase {
	SAVE_DESC, SAVE_PLAT, SAVE_PEER, SAVE_PASS, SAVE_STATE, SAVE_END,
	SAVE_DONE
};

/**
 * struct mvgpu_save - one saving stream.
 * @vgpu:	its vGPU.
 * @enc:	the encoder.
 * @phase:	what comes next.
 * @precopy:	still in pre-copy: an empty collection is a temporary end.
 * @initial:	the first pass (every backed page) is not through yet.
 * @todo:	pages of the current pass still to send.
 * @todo_left:	bits set in @todo.
 * @cursor:	where the current pass is.
 * @passes:	passes started (the first is the initial one).
 * @pass_open:	a pass is being sent.  When it is through, the next one
 *		starts at once from what was dirtied meanwhile; only when
 *		nothing was is there a temporary end of pre-copy data.
 * @peers:	the peer table sent in PEER (empty: none sent); the state at
 *		stop-copy must carry the same one.
 */
struct mvgpu_save {
	struct mvgpu_vgpu *vgpu;
	struct mvgpu_enc enc;
	enum save_phase phase;
	bool precopy;
	bool initial;
	unsigned long *todo;
	unsigned long todo_left;
	unsigned long cursor;
	unsigned int passes;
	bool pass_open;
	struct mvgpu_state_peers peers;
};

/**
 * mvgpu_local_info() - what a vGPU needs from its migration peer.
 * @vgpu: the vGPU.
 * @info: filled in: the type's facts and the parent's ECC mode.
 *
 * Return: 0 or -EINVAL.
 */
int mvgpu_local_info(struct mvgpu_vgpu *vgpu, struct mvgpu_compat_info *info)
{
	int ret = mvgpu_compat_local(info, vgpu->vtype->index,
				     MVGPU_DRIVER_VERSION);

	if (ret)
		return ret;
	info->fb_size = vgpu->fb_size;		/* the 1:1 type's own */
	/* the parent's mode only changes while it has no vGPU */
	info->ecc = READ_ONCE(vgpu->parent->ecc_on) ?
		    MVGPU_COMPAT_ECC_ON : MVGPU_COMPAT_ECC_OFF;
	return 0;
}

static unsigned long backed_pages(struct mvgpu_vgpu *vgpu, unsigned long *map)
{
	unsigned long i, n = 0;

	for (i = 0; i < vgpu->fb_npages; i++) {
		if (READ_ONCE(vgpu->fb_pages[i])) {
			if (map)
				__set_bit(i, map);
			n++;
		}
		if (!(i % 4096))
			cond_resched();
	}
	return n;
}

/**
 * mvgpu_save_create() - start saving a vGPU.
 * @vgpu: the vGPU.
 * @precopy: the guest keeps running (PRE_COPY); else it is stopped.
 *
 * Starts a dirty-tracking epoch before reading anything, so every write
 * after a page was read is sent again.
 *
 * Return: the save, or an ERR_PTR.
 */
struct mvgpu_save *mvgpu_save_create(struct mvgpu_vgpu *vgpu, bool precopy)
{
	struct mvgpu_compat_info local;
	struct mvgpu_save *save;
	int ret;

	BUILD_BUG_ON(PAGE_SIZE != MVGPU_STREAM_PAGE_SIZE);

	ret = mvgpu_local_info(vgpu, &local);
	if (ret)
		return ERR_PTR(ret);
	save = kvzalloc(sizeof(*save), GFP_KERNEL_ACCOUNT);
	if (!save)
		return ERR_PTR(-ENOMEM);
	save->vgpu = vgpu;
	save->precopy = precopy;
	save->initial = true;
	save->todo = bitmap_zalloc(vgpu->fb_npages, GFP_KERNEL_ACCOUNT);
	ret = save->todo ? mvgpu_enc_init(&save->enc, &local) : -ENOMEM;
	if (!ret)
		ret = mvgpu_dirty_start(vgpu);
	if (ret) {
		bitmap_free(save->todo);
		kvfree(save);
		return ERR_PTR(ret);
	}
	save->todo_left = backed_pages(vgpu, save->todo);
	save->passes = 1;
	save->pass_open = true;
	return save;
}

/**
 * mvgpu_save_destroy() - free a save.  NULL is fine.
 * @save: the save.
 */
void mvgpu_save_destroy(struct mvgpu_save *save)
{
	if (!save)
		return;
	bitmap_free(save->todo);
	kvfree(save);
}

static void state_from_vgpu(struct mvgpu_vgpu *vgpu, struct mvgpu_state *st)
{
	unsigned int i;

	memset(st, 0, sizeof(*st));
	mutex_lock(&vgpu->lock);
	memcpy(st->cfg, vgpu->cfg, sizeof(st->cfg));
	st->intr_status = vgpu->intr_status;
	st->intr_mask = vgpu->intr_mask;
	st->scratch = vgpu->scratch;
	st->irq_kind = vgpu->msi_trigger ? MVGPU_IRQ_KIND_MSI :
		       vgpu->intx_trigger ? MVGPU_IRQ_KIND_INTX :
		       MVGPU_IRQ_KIND_NONE;
	st->irq_flags = vgpu->intx_masked ? MVGPU_IRQ_F_INTX_MASKED : 0;
	st->disp.width = vgpu->disp.width;
	st->disp.height = vgpu->disp.height;
	st->disp.stride = vgpu->disp.stride;
	st->disp.format = vgpu->disp.format;
	st->disp.offset = vgpu->disp.offset;
	st->disp.enable = vgpu->disp.enable;
	for (i = 0; i < MVGPU_NUM_CHANNELS; i++) {
		const struct mvgpu_channel *c = &vgpu->ch[i];
		struct mvgpu_state_channel *s = &st->ch[i];

		s->ring_base = c->ring_base;
		s->ring_size = c->ring_size;
		s->ctrl = c->ctrl;
		s->put = c->put;
		s->get = c->get;
		s->fence = c->fence;
		s->error = c->error;
		s->error_get = c->error_get;
		s->cmd_done = c->cmd_done;
		s->cmd = c->cmd;
	}
	st->have = MVGPU_STATE_HAVE_ECC;
	st->ecc.ctrl = vgpu->ecc_ctrl;
	st->ecc.flags = (vgpu->ecc_optout ? MVGPU_STATE_ECC_F_OPTED_OUT : 0) |
			(vgpu->ecc_killed ? MVGPU_STATE_ECC_F_KILLED : 0);
	mutex_lock(&vgpu->parent->lock);
	st->ecc.sbe_volatile = vgpu->ecc.sbe_vol;
	st->ecc.dbe_volatile = vgpu->ecc.dbe_vol;
	st->ecc.sbe_aggregate = vgpu->ecc.sbe_agg;
	st->ecc.dbe_aggregate = vgpu->ecc.dbe_agg;
	mutex_unlock(&vgpu->parent->lock);
	mvgpu_p2p_get_table(vgpu, &st->peers);
	if (st->peers.count)
		st->have |= MVGPU_STATE_HAVE_PEERS;
	mutex_unlock(&vgpu->lock);
}

/*
 * PLAT, right after DESC: the parent's ECC mode, which the target checks
 * before the first page, and the vGPU's parameters, which it applies.
 */
static ssize_t save_platform(struct mvgpu_save *save, u8 *buf, size_t room)
{
	struct mvgpu_vgpu *vgpu = save->vgpu;
	struct mvgpu_compat_info info;
	struct mvgpu_state_platform p = { 0 };
	int ret = mvgpu_local_info(vgpu, &info);

	if (ret)
		return ret;
	p.ecc = info.ecc;
	mutex_lock(&vgpu->lock);
	p.frame_rate_limiter = vgpu->frl_on;
	mutex_unlock(&vgpu->lock);
	return mvgpu_enc_platform(&save->enc, buf, room, &p);
}

/*
 * PEER, after PLAT: the peer table the guest took, which the target checks
 * before the first page.  Nothing (0) when the guest took none.
 */
static ssize_t save_peers(struct mvgpu_save *save, u8 *buf, size_t room)
{
	mutex_lock(&save->vgpu->lock);
	mvgpu_p2p_get_table(save->vgpu, &save->peers);
	mutex_unlock(&save->vgpu->lock);
	if (!save->peers.count)
		return 0;
	return mvgpu_enc_peers(&save->enc, buf, room, &save->peers);
}

/* Next page of the current pass into @buf; 0 when the pass is through. */
static ssize_t save_next_page(struct mvgpu_save *save, u8 *buf, size_t room)
{
	struct mvgpu_vgpu *vgpu = save->vgpu;
	unsigned long idx;
	struct page *page;
	ssize_t n;
	void *kaddr;

	idx = find_next_bit(save->todo, vgpu->fb_npages, save->cursor);
	if (idx >= vgpu->fb_npages)
		return 0;
	page = READ_ONCE(vgpu->fb_pages[idx]);
	if (page) {
		kaddr = kmap_local_page(page);
		n = mvgpu_enc_page(&save->enc, buf, room, idx, kaddr);
		kunmap_local(kaddr);
	} else {
		n = mvgpu_enc_zero(&save->enc, buf, room, idx, 1);
	}
	if (n < 0)
		return n;
	__clear_bit(idx, save->todo);
	save->todo_left--;
	save->cursor = idx + 1;
	/* a zero page may have joined a run and written nothing yet */
	return n ? n : -EAGAIN;
}

/*
 * Starts the next pass from a collection of what was dirtied since the
 * last one.  Returns false when nothing was.
 */
static bool save_start_pass(struct mvgpu_save *save)
{
	save->cursor = 0;
	save->todo_left = mvgpu_dirty_collect(save->vgpu, save->todo);
	if (!save->todo_left)
		return false;
	save->passes++;
	save->pass_open = true;
	return true;
}

/**
 * mvgpu_save_produce() - the next stream bytes.
 * @save: the save.
 * @buf: where to put them.
 * @len: room; at least MVGPU_ENC_BUF_MIN.
 *
 * Passes follow each other without a break while pages are dirtied: 0
 * comes back in pre-copy only at the temporary end the uAPI defines, when
 * nothing is left to send (the caller bounds its own passes by bytes).
 *
 * Return: bytes written; 0 at the temporary end of pre-copy data, or at
 * the end of the stream after stop-copy; or a negative errno.
 */
ssize_t mvgpu_save_produce(struct mvgpu_save *save, u8 *buf, size_t len)
{
	struct mvgpu_state *st;
	size_t done = 0;
	ssize_t n;

	while (save->phase != SAVE_DONE) {
		size_t room = len - done;

		switch (save->phase) {
		case SAVE_DESC:
			n = mvgpu_enc_desc(&save->enc, buf + done, room);
			if (n > 0)
				save->phase = SAVE_PLAT;
			break;
		case SAVE_PLAT:
			n = save_platform(save, buf + done, room);
			if (n > 0)
				save->phase = SAVE_PEER;
			break;
		case SAVE_PEER:
			n = save_peers(save, buf + done, room);
			if (n >= 0)
				save->phase = SAVE_PASS;
			break;
		case SAVE_PASS:
			n = save_next_page(save, buf + done, room);
			if (n == -EAGAIN) {
				/*
				 * A page that joined a zero run wrote nothing:
				 * a pass over a large untouched framebuffer
				 * may walk every page in one call.
				 */
				cond_resched();
				n = 0;
				break;
			}
			if (n)
				break;
			/* the pass is through: its zero run */
			n = mvgpu_enc_flush(&save->enc, buf + done, room);
			if (n)
				break;
			if (save->pass_open) {
				save->pass_open = false;
				save->initial = false;
			}
			/* the next pass, from what was dirtied meanwhile */
			if (save_start_pass(save))
				break;
			/*
			 * Nothing was: in pre-copy the temporary end of data
			 * (initial and dirty bytes both zero), reported by a
			 * read that finds nothing; else the state and the end.
			 */
			if (save->precopy)
				return done;
			save->phase = SAVE_STATE;
			break;
		case SAVE_STATE:
			st = kmalloc(sizeof(*st), GFP_KERNEL);
			if (!st)
				return done ? done : -ENOMEM;
			state_from_vgpu(save->vgpu, st);
			/* what PEER promised the target: a new scan breaks it */
			if (memcmp(&st->peers, &save->peers, sizeof(st->peers))) {
				dev_warn_ratelimited(save->vgpu->vdev.dev,
						     "migration: the guest took a new peer table during pre-copy; migrate again\n");
				n = -EBUSY;
			} else {
				n = mvgpu_enc_state(&save->enc, buf + done,
						    room, st);
			}
			kfree(st);
			if (n > 0)
				save->phase = SAVE_END;
			break;
		case SAVE_END:
			n = mvgpu_enc_end(&save->enc, buf + done, room);
			if (n > 0)
				save->phase = SAVE_DONE;
			break;
		default:
			n = -EINVAL;
		}
		if (n == -ENOSPC)
			return done;	/* buffer full: the caller comes back */
		if (n < 0)
			return done ? done : n;
		done += n;
	}
	return done;
}

/**
 * mvgpu_save_stop_copy() - the device is quiet: finish the stream.
 * @save: the save.
 *
 * The current pass goes on; after it, one last collection, the small state
 * and the trailer, and then the stream ends.
 *
 * Return: 0.
 */
int mvgpu_save_stop_copy(struct mvgpu_save *save)
{
	save->precopy = false;
	return 0;
}

/**
 * mvgpu_save_done() - has the whole stream been produced?
 * @save: the save.
 *
 * Return: true after the trailer.
 */
bool mvgpu_save_done(struct mvgpu_save *save)
{
	return save->phase == SAVE_DONE;
}

/**
 * mvgpu_save_ready() - would mvgpu_save_produce() have something to say?
 * @save: the save.
 *
 * In pre-copy, false only at the temporary end of data: the pass is through
 * and nothing was dirtied since.  After stop-copy always true (the end of
 * the stream is an answer too).
 *
 * Return: true if a read would not come back empty-handed.
 */
bool mvgpu_save_ready(struct mvgpu_save *save)
{
	struct mvgpu_vgpu *vgpu = save->vgpu;

	if (!save->precopy || save->phase != SAVE_PASS)
		return true;
	return save->todo_left || save->pass_open ||
	       mvgpu_enc_pending(&save->enc) ||
	       !bitmap_empty(vgpu->fb_dirty, vgpu->fb_npages);
}

/* DESC, PLAT and PEER bytes not produced yet (PEER: if the guest has peers). */
static u64 save_head_bytes(struct mvgpu_save *save)
{
	u64 n = READ_ONCE(save->vgpu->nr_peers) ? MVGPU_ENC_PEER_BYTES : 0;

	switch (save->phase) {
	case SAVE_DESC:
		return MVGPU_ENC_DESC_BYTES + MVGPU_ENC_PLAT_BYTES + n;
	case SAVE_PLAT:
		return MVGPU_ENC_PLAT_BYTES + n;
	case SAVE_PEER:
		return n;
	default:
		return 0;
	}
}

/**
 * mvgpu_save_pending() - what pre-copy still has to send.
 * @save: the save.
 * @buffered: stream bytes produced but not read yet (the caller's buffer).
 * @initial: bytes of the initial part (descriptor and first pass) left.
 * @dirty: bytes of dirtied pages known so far, and of later passes.
 *
 * @buffered belongs to the initial part while the first pass is not
 * through, else to the dirty part.
 */
void mvgpu_save_pending(struct mvgpu_save *save, u64 buffered, u64 *initial,
			u64 *dirty)
{
	u64 dirtied = bitmap_weight(save->vgpu->fb_dirty,
				    save->vgpu->fb_npages);
	u64 left = (u64)save->todo_left * MVGPU_ENC_PAGE_BYTES;

	*initial = 0;
	*dirty = dirtied * MVGPU_ENC_PAGE_BYTES;
	if (save->phase < SAVE_PASS)
		*initial = save_head_bytes(save) + left + buffered;
	else if (save->initial)
		*initial = left + buffered;
	else
		*dirty += left + buffered;
}

/**
 * mvgpu_save_stop_copy_size() - bytes stop-copy will carry.
 * @vgpu: the vGPU.
 * @save: the pre-copy save in progress, or NULL.
 *
 * Return: an upper bound, exact unless some pages turn out to be zero.
 */
u64 mvgpu_save_stop_copy_size(struct mvgpu_vgpu *vgpu, struct mvgpu_save *save)
{
	u64 pages, head = MVGPU_ENC_DESC_BYTES + MVGPU_ENC_PLAT_BYTES +
			  (READ_ONCE(vgpu->nr_peers) ? MVGPU_ENC_PEER_BYTES : 0);

	if (save) {
		pages = save->todo_left +
			bitmap_weight(vgpu->fb_dirty, vgpu->fb_npages);
		head = save_head_bytes(save);	/* if not yet read */
	} else {
		pages = backed_pages(vgpu, NULL);
	}
	return mvgpu_stream_stop_copy_bytes(pages) + head;
}

/**
 * struct mvgpu_load - one resuming stream.
 * @vgpu: its vGPU.
 * @npages: framebuffer pages of the vGPU (the load's own copy: it is used
 *	when the load is freed, whatever became of the vGPU).
 * @dec: the decoder.
 * @st: the staged small state.
 * @stage: staged framebuffer pages by index; an absent index is a zero
 *	page.  Sparse, so that a ZERO record costs what it removes (each
 *	removed page was paid for by the PAGE record that staged it), not
 *	the range it names.
 * @local: the target's info.
 */
struct mvgpu_load {
	struct mvgpu_vgpu *vgpu;
	unsigned long npages;
	struct mvgpu_dec dec;
	struct mvgpu_state st;
	struct xarray stage;
	struct mvgpu_compat_info local;
};

static int load_page(void *ctx, __u64 index, const void *data)
{
	struct mvgpu_load *load = ctx;
	struct page *page = xa_load(&load->stage, index);
	void *kaddr;
	int ret;

	if (!page) {
		page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
		if (!page)
			return -ENOMEM;
		ret = xa_err(xa_store(&load->stage, index, page,
				      GFP_KERNEL_ACCOUNT));
		if (ret) {
			put_page(page);
			return ret;
		}
		mvgpu_stat_inc(MVGPU_STAT_FB_PAGES);
	}
	kaddr = kmap_local_page(page);
	memcpy(kaddr, data, PAGE_SIZE);
	kunmap_local(kaddr);
	return 0;
}

/* Unstages pages [first, last]: cost is the number of staged pages. */
static void load_unstage(struct mvgpu_load *load, unsigned long first,
			 unsigned long last)
{
	struct page *page;
	unsigned long i;

	xa_for_each_range(&load->stage, i, page, first, last) {
		xa_erase(&load->stage, i);
		put_page(page);
		mvgpu_stat_dec(MVGPU_STAT_FB_PAGES);
		cond_resched();
	}
}

static int load_zero(void *ctx, __u64 first, __u64 count)
{
	struct mvgpu_load *load = ctx;

	/* the decoder checked first + count <= npages */
	load_unstage(load, first, first + count - 1);
	return 0;
}

/* PEER, at the stream's start: this host must give the guest its peers. */
static int load_peers(void *ctx, const struct mvgpu_state_peers *p)
{
	struct mvgpu_load *load = ctx;

	return mvgpu_p2p_offer(load->vgpu, p);
}

static const struct mvgpu_dec_ops mvgpu_load_ops = {
	.peers = load_peers,
	.page = load_page,
	.zero = load_zero,
};

/**
 * mvgpu_load_create() - start resuming a vGPU.
 * @vgpu: the vGPU (in RESUMING).
 *
 * Return: the load, or an ERR_PTR.
 */
struct mvgpu_load *mvgpu_load_create(struct mvgpu_vgpu *vgpu)
{
	struct mvgpu_load *load;
	int ret;

	load = kvzalloc(sizeof(*load), GFP_KERNEL_ACCOUNT);
	if (!load)
		return ERR_PTR(-ENOMEM);
	load->vgpu = vgpu;
	load->npages = vgpu->fb_npages;
	xa_init(&load->stage);
	ret = mvgpu_local_info(vgpu, &load->local);
	if (!ret)
		ret = mvgpu_dec_init(&load->dec, &load->local, &load->st,
				     &mvgpu_load_ops, load);
	if (ret) {
		kvfree(load);
		return ERR_PTR(ret);
	}
	return load;
}

/**
 * mvgpu_load_destroy() - free a load and what it staged.  NULL is fine.
 * @load: the load.
 *
 * Touches nothing of the vGPU, which may be gone by now.
 */
void mvgpu_load_destroy(struct mvgpu_load *load)
{
	if (!load)
		return;
	if (load->npages)
		load_unstage(load, 0, load->npages - 1);
	xa_destroy(&load->stage);
	kvfree(load);
}

/**
 * mvgpu_load_feed() - the next stream bytes.
 * @load: the load.
 * @buf: bytes.
 * @len: how many.
 *
 * Costs at most a bounded amount of CPU per byte of @buf, whatever the
 * records say, and may sleep.
 *
 * Return: 0, or the stream's error (sticky).
 */
int mvgpu_load_feed(struct mvgpu_load *load, const u8 *buf, size_t len)
{
	int ret = mvgpu_dec_push(&load->dec, buf, len);

	if (ret)
		dev_warn_ratelimited(load->vgpu->vdev.dev,
				     "migration stream at byte %llu: %s\n",
				     mvgpu_dec_offset(&load->dec),
				     mvgpu_dec_why(&load->dec));
	return ret;
}

static void state_to_vgpu(const struct mvgpu_state *st,
			  struct mvgpu_vgpu *vgpu)
{
	unsigned int i;

	/*
	 * Config space through the masks: read-only bits are this device's
	 * own (the stream only checked identity), writable and
	 * write-1-to-clear bits come from the source.
	 */
	mvgpu_cfg_init(vgpu);
	for (i = 0; i < PCI_CFG_SPACE_SIZE; i++) {
		u8 keep = vgpu->cfg_wmask[i] | vgpu->cfg_w1c[i];

		vgpu->cfg[i] = (vgpu->cfg[i] & ~keep) | (st->cfg[i] & keep);
	}
	vgpu->intr_status = st->intr_status;
	vgpu->intr_mask = st->intr_mask;
	vgpu->scratch = st->scratch;
	vgpu->intx_masked = st->irq_flags & MVGPU_IRQ_F_INTX_MASKED;
	vgpu->disp.width = st->disp.width;
	vgpu->disp.height = st->disp.height;
	vgpu->disp.stride = st->disp.stride;
	vgpu->disp.format = st->disp.format;
	vgpu->disp.offset = st->disp.offset;
	vgpu->disp.enable = st->disp.enable;
	for (i = 0; i < MVGPU_NUM_CHANNELS; i++) {
		const struct mvgpu_state_channel *s = &st->ch[i];
		struct mvgpu_channel *c = &vgpu->ch[i];

		c->ring_base = s->ring_base;
		c->ring_size = s->ring_size;
		c->ctrl = s->ctrl;
		c->put = s->put;
		c->get = s->get;
		c->fence = s->fence;
		c->error = s->error;
		c->error_get = s->error_get;
		c->cmd_done = s->cmd_done;
		c->cmd = s->cmd;
	}
	/*
	 * A source that sent no ECC record (stream minor 0) leaves the
	 * target's own state.  Retired pages stay where they are: they are
	 * the source's physical pages, not the guest's.
	 */
	if (st->have & MVGPU_STATE_HAVE_ECC) {
		vgpu->ecc_ctrl = st->ecc.ctrl;
		vgpu->ecc_optout = st->ecc.flags & MVGPU_STATE_ECC_F_OPTED_OUT;
		vgpu->ecc_killed = st->ecc.flags & MVGPU_STATE_ECC_F_KILLED;
		mutex_lock(&vgpu->parent->lock);
		vgpu->ecc.sbe_vol = st->ecc.sbe_volatile;
		vgpu->ecc.dbe_vol = st->ecc.dbe_volatile;
		vgpu->ecc.sbe_agg = st->ecc.sbe_aggregate;
		vgpu->ecc.dbe_agg = st->ecc.dbe_aggregate;
		mutex_unlock(&vgpu->parent->lock);
	}
	/* the vGPU's parameters go with it */
	if (st->have & MVGPU_STATE_HAVE_PLAT)
		vgpu->frl_on = st->plat.frame_rate_limiter;
	/* the peer table the guest took (none: it took none) */
	if (st->have & MVGPU_STATE_HAVE_PEERS)
		mvgpu_p2p_set_table(vgpu, &st->peers);
	else
		mvgpu_p2p_reset(vgpu);
}

/*
 * The staged framebuffer becomes the vGPU's, in place: framebuffer pages
 * are never freed while the vGPU lives (fb.c), so the lock-free paths that
 * hold a page pointer (BAR2 read/write, faults, the processor) and the
 * user mappings of BAR2 stay valid across a resume.  A staged page moves
 * into an empty slot; otherwise its bytes are copied and it goes with the
 * load.  Pages the stream did not send are cleared.
 */
static void load_apply_fb(struct mvgpu_load *load)
{
	struct mvgpu_vgpu *vgpu = load->vgpu;
	struct page *src, *dst;
	unsigned long i;

	for (i = 0; i < load->npages; i++) {
		src = xa_load(&load->stage, i);
		dst = READ_ONCE(vgpu->fb_pages[i]);
		if (src && !dst) {
			dst = cmpxchg(&vgpu->fb_pages[i], NULL, src);
			if (!dst) {
				xa_erase(&load->stage, i);	/* moved */
				continue;
			}
		}
		if (src)
			copy_highpage(dst, src);
		else if (dst)
			clear_highpage(dst);
		if (!(i % 64))
			cond_resched();
	}
}

/**
 * mvgpu_load_commit() - the stream ended: validate it whole, then apply.
 * @load: the load.
 *
 * Return: 0, or an error with the device unchanged: -ENODATA for a stream
 * that stopped early, -EINVAL for an incompatible one, the decoder's error
 * for a malformed one.
 */
int mvgpu_load_commit(struct mvgpu_load *load)
{
	struct mvgpu_vgpu *vgpu = load->vgpu;
	const struct mvgpu_compat_info *remote;
	char why[MVGPU_COMPAT_WHY_MAX] = "";
	int ret;

	ret = mvgpu_dec_finish(&load->dec);
	if (ret) {
		dev_warn_ratelimited(vgpu->vdev.dev,
				     "incomplete or invalid migration stream: %s\n",
				     mvgpu_dec_why(&load->dec));
		return ret;
	}
	/* the descriptor was checked when it arrived; check it again */
	remote = mvgpu_dec_remote(&load->dec);
	ret = remote ? mvgpu_compat_check(&load->local, remote, why,
					  sizeof(why)) : -EPROTO;
	if (ret) {
		dev_warn_ratelimited(vgpu->vdev.dev,
				     "incompatible migration stream: %s\n", why);
		return ret;
	}

	/* a minor-1 source sends PLAT (its ECC mode) with any ECC state */
	if ((load->st.have & MVGPU_STATE_HAVE_ECC) &&
	    !(load->st.have & MVGPU_STATE_HAVE_PLAT)) {
		dev_warn_ratelimited(vgpu->vdev.dev,
				     "migration stream has ECC state but no PLAT record\n");
		return -EPROTO;
	}

	/* the peers checked at the start may have gone since */
	if (load->st.have & MVGPU_STATE_HAVE_PEERS) {
		ret = mvgpu_p2p_offer(vgpu, &load->st.peers);
		if (ret)
			return ret;
	}

	load_apply_fb(load);

	mutex_lock(&vgpu->lock);
	state_to_vgpu(&load->st, vgpu);
	mvgpu_irq_update(vgpu);
	mutex_unlock(&vgpu->lock);
	return 0;
}
