// SPDX-License-Identifier: MIT
/*
 * ops_dev.c - ops on a device fd: the VFIO device ioctls, read/write of
 * every region, mmap and accesses through mappings, DMA memory in the
 * container, channel rings filled with random and half-valid commands.
 *
 * Every choice comes from the op's arguments (a[0..5]) or its local PRNG
 * (seeded with a[SF_ASEED]), never from the thread's own PRNG.
 */
#include "fuzz.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mvgpu_abi.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

static uint64_t fb_of(const struct res *r)
{
	return r && r->vgpu >= 0 ? sf.vs[r->vgpu].fb_size : 64ull << 20;
}

int reg_write(int fd, uint32_t off, uint32_t v)
{
	return pwrite(fd, &v, 4, (off_t)(sf_region_off(0) + off)) == 4 ? 0 : -errno;
}

static uint32_t reg_read(int fd, uint32_t off)
{
	uint32_t v = 0xdeadbeef;

	if (pread(fd, &v, 4, (off_t)(sf_region_off(0) + off)) != 4)
		return 0xdeadbeef;
	return v;
}

/* An argsz: the right one most of the time, else short, long or absurd. */
static uint32_t pick_argsz(struct rng *r, uint32_t right)
{
	switch (rng_below(r, 12)) {
	case 0: return 0;
	case 1: return right ? right - 1 : 0;
	case 2: return (uint32_t)rng_below(r, right + 1);
	case 3: return right + (uint32_t)rng_below(r, 64);
	case 4: return 4096;
	case 5: return 0xffffffff;
	}
	return right;
}

/* ---- device ioctls --------------------------------------------------------- */

SF_OP(get_info)
{
	struct rng r;
	struct vfio_device_info *info;
	int kind, ret;

	rng_seed(&r, op->a[SF_ASEED]);
	info = sf_buf(t, op->a[1], 64, false, &r, NULL, &kind);
	if (kind == BUF_HEAP) {
		memset(info, 0, 64);
		info->argsz = pick_argsz(&r, sizeof(*info));
	}
	ret = xioctl(op->r[0]->fd, VFIO_DEVICE_GET_INFO, info);
	if (!ret && kind == BUF_HEAP && info->argsz >= 20 &&
	    (info->num_regions != 10 || info->num_irqs != VFIO_PCI_NUM_IRQS))
		sf_anomaly("GET_INFO: %u regions %u irqs", info->num_regions,
			   info->num_irqs);
	return ret;
}

/* Walks a capability chain inside @len bytes; complains about escapes. */
static void check_caps(const uint8_t *buf, uint32_t len, uint32_t first,
		       const char *what)
{
	uint32_t off = first;

	for (int n = 0; off && n < 16; n++) {
		const struct vfio_info_cap_header *h;

		if (off < 16 || (uint64_t)off + sizeof(*h) > len) {
			sf_anomaly("%s: capability at %u outside argsz %u", what,
				   off, len);
			return;
		}
		h = (const void *)(buf + off);
		if (h->next && h->next <= off) {
			sf_anomaly("%s: capability chain loops (%u -> %u)", what,
				   off, h->next);
			return;
		}
		off = h->next;
	}
}

SF_OP(region_info)
{
	struct rng r;
	struct vfio_region_info *ri;
	uint32_t index, argsz;
	int kind, ret;

	rng_seed(&r, op->a[SF_ASEED]);
	index = op->a[1] % 16 < 13 ? (uint32_t)(op->a[1] % 13)
				   : sf_pick_u32(&r);
	ri = sf_buf(t, op->a[2], 4096, false, &r, NULL, &kind);
	if (kind != BUF_HEAP)
		return xioctl(op->r[0]->fd, VFIO_DEVICE_GET_REGION_INFO, ri);
	memset(ri, 0, 4096);
	argsz = pick_argsz(&r, sizeof(*ri));
	if (argsz > 4096)
		argsz = op->a[3] & 1 ? 4096 : argsz;
	ri->argsz = argsz;
	ri->index = index;
	ret = xioctl(op->r[0]->fd, VFIO_DEVICE_GET_REGION_INFO, ri);
	if (ret || !(ri->flags & VFIO_REGION_INFO_FLAG_CAPS))
		return ret;
	if (ri->argsz <= argsz) {	/* it fit: the chain is in the buffer */
		if (ri->cap_offset)
			check_caps((const uint8_t *)ri, argsz < 4096 ? argsz : 4096,
				   ri->cap_offset, "GET_REGION_INFO");
		return ret;
	}
	/* the re-query QEMU does, with the size the kernel asked for */
	argsz = ri->argsz;
	if (argsz > 4096 || argsz < sizeof(*ri)) {
		sf_anomaly("GET_REGION_INFO %u: asks for argsz %u", index, argsz);
		return ret;
	}
	if (op->a[3] & 2)
		argsz -= (uint32_t)rng_below(&r, 16);	/* a little short */
	memset(ri, 0, 4096);
	ri->argsz = argsz;
	ri->index = index;
	ret = xioctl(op->r[0]->fd, VFIO_DEVICE_GET_REGION_INFO, ri);
	if (!ret && ri->cap_offset)
		check_caps((const uint8_t *)ri, argsz, ri->cap_offset,
			   "GET_REGION_INFO");
	return ret;
}

SF_OP(irq_info)
{
	struct rng r;
	struct vfio_irq_info *ii;
	int kind;

	rng_seed(&r, op->a[SF_ASEED]);
	ii = sf_buf(t, op->a[2], 64, false, &r, NULL, &kind);
	if (kind == BUF_HEAP) {
		memset(ii, 0, 64);
		ii->argsz = pick_argsz(&r, sizeof(*ii));
		ii->index = op->a[1] % 8 < 7 ? (uint32_t)(op->a[1] % 7)
					     : sf_pick_u32(&r);
	}
	return xioctl(op->r[0]->fd, VFIO_DEVICE_GET_IRQ_INFO, ii);
}

SF_OP(set_irqs)
{
	static const uint32_t actions[] = {
		VFIO_IRQ_SET_ACTION_MASK, VFIO_IRQ_SET_ACTION_UNMASK,
		VFIO_IRQ_SET_ACTION_TRIGGER,
	};
	static const uint32_t datas[] = {
		VFIO_IRQ_SET_DATA_NONE, VFIO_IRQ_SET_DATA_BOOL,
		VFIO_IRQ_SET_DATA_EVENTFD,
	};
	struct rng r;
	struct vfio_irq_set *s = (void *)t->buf;
	uint32_t flags, count, start, index, argsz, dsize;
	uint8_t *data;
	int kind;

	rng_seed(&r, op->a[SF_ASEED]);
	/* every action x data combination, on every index, now and then junk */
	flags = actions[op->a[1] % 3] | datas[(op->a[1] >> 8) % 3];
	if (op->a[1] % 64 == 63)
		flags = sf_pick_u32(&r) & 0x3f;
	else if (op->a[1] % 64 == 62)
		flags |= 1u << (6 + rng_below(&r, 26));
	switch (op->a[2] % 10) {
	case 0: case 1: case 2: index = VFIO_PCI_INTX_IRQ_INDEX; break;
	case 3: case 4: index = VFIO_PCI_MSI_IRQ_INDEX; break;
	case 5: index = VFIO_PCI_MSIX_IRQ_INDEX; break;
	case 6: index = VFIO_PCI_ERR_IRQ_INDEX; break;
	case 7: index = VFIO_PCI_REQ_IRQ_INDEX; break;
	case 8: index = (uint32_t)rng_below(&r, 16); break;
	default: index = sf_pick_u32(&r); break;
	}
	switch (op->a[3] % 10) {
	case 0: case 1: count = 0; break;
	case 2: count = 2; break;
	case 3: count = sf_pick_u32(&r); break;
	case 4: count = 0xffffffff; break;
	default: count = 1; break;
	}
	switch ((op->a[3] >> 8) % 10) {
	case 0: start = 1; break;
	case 1: start = sf_pick_u32(&r); break;
	case 2: start = 0xffffffff; break;
	default: start = 0; break;
	}
	if (!sf_quirk(Q_IRQ_BOOL_COUNT0) && !count && (flags & VFIO_IRQ_SET_DATA_BOOL) &&
	    (flags & (VFIO_IRQ_SET_ACTION_MASK | VFIO_IRQ_SET_ACTION_UNMASK)))
		count = 1;	/* --disable irq-bool-count0 */
	dsize = (flags & VFIO_IRQ_SET_DATA_EVENTFD) ? 4 :
		(flags & VFIO_IRQ_SET_DATA_BOOL) ? 1 : 0;
	argsz = (uint32_t)sizeof(*s) + (count < 64 ? count : 1) * dsize;
	if (op->a[4] % 8 == 0)
		argsz = pick_argsz(&r, argsz);
	if (argsz > SF_BUF - 64)
		argsz = SF_BUF - 64;
	if (op->a[4] % 32 == 1) {	/* the header itself in a hostile buffer */
		void *b = sf_buf(t, op->a[5], sizeof(*s) + 16, false, &r, NULL,
				 &kind);

		if (kind != BUF_HEAP)
			return xioctl(op->r[0]->fd, VFIO_DEVICE_SET_IRQS, b);
	}
	memset(s, 0, sizeof(*s) + 256);
	s->argsz = argsz;
	s->flags = flags;
	s->index = index;
	s->start = start;
	s->count = count;
	data = s->data;
	for (uint32_t i = 0; i < 64; i++) {
		if (dsize == 1) {
			data[i] = rng_chance(&r, 1, 8) ? (uint8_t)rng_next(&r)
						       : (uint8_t)(rng_next(&r) & 1);
		} else {
			int32_t fd;

			switch (rng_below(&r, 8)) {
			case 0: fd = -1; break;
			case 1: fd = op->r[0]->fd; break;	/* not an eventfd */
			case 2: fd = (int32_t)sf_pick_u32(&r); break;
			default: fd = op->r[1] ? op->r[1]->fd : -1; break;
			}
			memcpy(data + 4 * i, &fd, 4);
			if (4 * i >= 252)
				break;
		}
	}
	return xioctl(op->r[0]->fd, VFIO_DEVICE_SET_IRQS, s);
}

SF_OP(reset)
{
	(void)t;
	if (op->a[1] % 8 == 0)	/* the engine reset register instead */
		return reg_write(op->r[0]->fd, MVGPU_REG_RESET, MVGPU_RESET_MAGIC);
	return xioctl(op->r[0]->fd, VFIO_DEVICE_RESET, NULL);
}

/* VFIO_DEVICE_FEATURE with anything in it. */
SF_OP(feature)
{
	static const uint32_t feats[] = { 0, 1, 2, 2, 2, 3, 4, 5, 6, 7, 8, 9, 9,
					  10, 11, 12, 0xffff };
	static const uint32_t opflags[] = {
		VFIO_DEVICE_FEATURE_GET, VFIO_DEVICE_FEATURE_SET,
		VFIO_DEVICE_FEATURE_PROBE,
		VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET,
		VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET,
		VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET, 0,
	};
	struct rng r;
	struct vfio_device_feature *f = (void *)t->buf;
	uint32_t feat, fl, argsz, st;
	int ret, kind;

	rng_seed(&r, op->a[SF_ASEED]);
	feat = feats[op->a[1] % ARRAY_SIZE(feats)];
	fl = opflags[(op->a[1] >> 8) % ARRAY_SIZE(opflags)];
	if ((op->a[1] >> 16) % 32 == 0)
		fl |= sf_pick_u32(&r) & ~0xffffu;
	argsz = (uint32_t)sizeof(*f) + 8 * (uint32_t)rng_below(&r, 4);
	if (op->a[2] % 4 == 0)
		argsz = pick_argsz(&r, argsz);
	if (op->a[2] % 64 == 1) {
		void *b = sf_buf(t, op->a[3], 64, false, &r, NULL, &kind);

		if (kind != BUF_HEAP)
			return xioctl(op->r[0]->fd, VFIO_DEVICE_FEATURE, b);
	}
	memset(f, 0, 4096);
	sf_fill(&r, f->data, 64);
	f->argsz = argsz;
	f->flags = feat | fl;
	if (feat == SF_FEAT_MIG_STATE) {
		st = op->a[4] % 10 < 8 ? (uint32_t)(op->a[4] % 8) : sf_pick_u32(&r);
		memcpy(f->data, &st, 4);
	}
	ret = xioctl(op->r[0]->fd, VFIO_DEVICE_FEATURE, f);
	if (!ret && feat == SF_FEAT_MIG_STATE && (fl & VFIO_DEVICE_FEATURE_SET) &&
	    !(fl & VFIO_DEVICE_FEATURE_PROBE)) {
		int32_t fd;

		memcpy(&st, f->data, 4);
		memcpy(&fd, f->data + 4, 4);
		if (fd >= 0)
			sf_add_data_fd(op, 0, op->r[0]->vgpu, fd, st);
	}
	return ret;
}

SF_OP(gfx_plane)
{
	static const uint32_t fl[] = {
		VFIO_GFX_PLANE_TYPE_PROBE | VFIO_GFX_PLANE_TYPE_REGION,
		VFIO_GFX_PLANE_TYPE_REGION, VFIO_GFX_PLANE_TYPE_REGION,
		VFIO_GFX_PLANE_TYPE_DMABUF,
		VFIO_GFX_PLANE_TYPE_PROBE | VFIO_GFX_PLANE_TYPE_DMABUF,
		VFIO_GFX_PLANE_TYPE_REGION | VFIO_GFX_PLANE_TYPE_DMABUF, 0,
		VFIO_GFX_PLANE_TYPE_PROBE,
	};
	struct rng r;
	struct vfio_device_gfx_plane_info *p;
	int kind, ret;

	rng_seed(&r, op->a[SF_ASEED]);
	p = sf_buf(t, op->a[2], sizeof(*p) + 64, false, &r, NULL, &kind);
	if (kind != BUF_HEAP)
		return xioctl(op->r[0]->fd, VFIO_DEVICE_QUERY_GFX_PLANE, p);
	memset(p, 0, sizeof(*p));
	p->argsz = op->a[3] % 4 ? sizeof(*p) : pick_argsz(&r, sizeof(*p));
	p->flags = fl[op->a[1] % ARRAY_SIZE(fl)];
	if (op->a[1] % 32 == 31)
		p->flags = sf_pick_u32(&r);
	p->drm_plane_type = (uint32_t)(op->a[4] % 5 < 3 ? op->a[4] % 3
							: sf_pick_u32(&r));
	ret = xioctl(op->r[0]->fd, VFIO_DEVICE_QUERY_GFX_PLANE, p);
	if (!ret && p->flags == VFIO_GFX_PLANE_TYPE_REGION && p->size &&
	    (uint64_t)p->stride * p->height > p->size)
		sf_anomaly("QUERY_GFX_PLANE: size %u < stride %u x height %u",
			   p->size, p->stride, p->height);
	return ret;
}

SF_OP(gfx_dmabuf)
{
	struct rng r;
	uint32_t id;
	int fd;

	rng_seed(&r, op->a[SF_ASEED]);
	id = op->a[1] % 2 ? (uint32_t)(op->a[1] % 4) : sf_pick_u32(&r);
	fd = ioctl(op->r[0]->fd, VFIO_DEVICE_GET_GFX_DMABUF, &id);
	if (fd < 0)
		return -errno;
	/* a dma-buf: map it, read it, keep it or not */
	{
		void *p = sf_mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);

		if (p != MAP_FAILED) {
			sf_touch(t, p, 4096, false, 0);
			sf_munmap(p, 4096);
		}
	}
	if (op->a[2] & 1) {
		struct res *d = res_new(R_DMABUF, op->r[0]->vgpu);

		d->fd = fd;
		res_make_room(R_DMABUF, -1, 2);
		res_add(d, sf_new_id(op, 0));
	} else {
		close(fd);
	}
	return 0;
}

SF_OP(dev_ioctl)
{
	struct rng r;
	unsigned long cmd;
	void *b;
	int kind;

	rng_seed(&r, op->a[SF_ASEED]);
	switch (op->a[1] % 4) {
	case 0: case 1:
		/* the VFIO range, but FEATURE (its own op) and GET_DEVICE_FD */
		cmd = _IO(SF_VFIO_TYPE, SF_VFIO_BASE + (op->a[2] % 32));
		if (cmd == VFIO_DEVICE_FEATURE)
			cmd = VFIO_DEVICE_IOEVENTFD;
		break;
	case 2:
		cmd = (unsigned long)sf_pick_u32(&r);
		break;
	default:	/* VFIO numbers with direction and size bits */
		cmd = _IOC(op->a[2] % 4, SF_VFIO_TYPE,
			   SF_VFIO_BASE + (op->a[3] % 32), op->a[4] % 256);
		break;
	}
	b = sf_buf(t, op->a[5], 4096, true, &r, NULL, &kind);
	if (kind == BUF_HEAP && (op->a[3] & 1))
		memset(b, 0, 4096);
	return xioctl(op->r[0]->fd, cmd, b);
}

/* ---- regions ------------------------------------------------------------------ */

static const unsigned main_regions[] = {
	VFIO_PCI_BAR0_REGION_INDEX, VFIO_PCI_BAR2_REGION_INDEX,
	VFIO_PCI_CONFIG_REGION_INDEX, SF_V1_REGION,
};

static uint64_t region_size(const struct res *dev, unsigned index)
{
	switch (index) {
	case VFIO_PCI_BAR0_REGION_INDEX: return MVGPU_MMIO_SIZE;
	case VFIO_PCI_BAR2_REGION_INDEX: return fb_of(dev);
	case VFIO_PCI_CONFIG_REGION_INDEX: return 256;
	case SF_V1_REGION: return SF_V1_DATA + SF_V1_AREA;
	}
	return 4096;
}

static int region_io(struct thr *t, struct op *op, unsigned index,
		     uint64_t off, size_t len, bool write, uint64_t bufsel,
		     struct rng *r)
{
	void *b = sf_buf(t, bufsel, len, write, r, op->r[1], NULL);
	ssize_t n;

	if (write)
		n = pwrite(op->r[0]->fd, b, len, (off_t)(sf_region_off(index) + off));
	else
		n = pread(op->r[0]->fd, b, len, (off_t)(sf_region_off(index) + off));
	return n < 0 ? -errno : 0;
}

SF_OP(region_rw)
{
	struct rng r;
	unsigned index;
	uint64_t size, off;
	size_t len;

	rng_seed(&r, op->a[SF_ASEED]);
	if (op->a[1] % 10 < 8)
		index = main_regions[(op->a[1] >> 8) % ARRAY_SIZE(main_regions)];
	else
		index = (op->a[1] >> 8) % 8 < 6 ? (unsigned)((op->a[1] >> 16) % 16)
						: (unsigned)((op->a[1] >> 16) % 0x1000000);
	size = region_size(op->r[0], index);
	off = sf_pick_off(&r, size);
	len = (size_t)sf_pick_size(&r, op->a[2] % 8 ? 4096 : SF_BUF);
	/* the v1 header only takes 4 and 8 byte accesses: mostly those */
	if (index == SF_V1_REGION && off < 32 && op->a[3] % 4)
		len = off ? 8 : 4;
	return region_io(t, op, index, off, len, op->a[4] & 1, op->a[5], &r);
}

/* Register offsets worth writing: every named one, neighbours, the end. */
static uint32_t pick_reg(struct rng *r)
{
	static const uint32_t regs[] = {
		0x00, 0x04, 0x08, 0x0c, 0x10, 0x14, 0x14, 0x18, 0x1c, 0x20,
		0x24, 0x24, 0x28, 0x28, 0x2c, 0x100, 0x104, 0x108, 0x10c,
		0x110, 0x114, 0x118, 0x11c, 0xfc, 0x1400, 0xfffc,
	};

	if (rng_chance(r, 3, 5))	/* channel registers */
		return MVGPU_REG_CH(rng_below(r, 4), 4 * (uint32_t)rng_below(r, 11));
	if (rng_chance(r, 1, 10))
		return (uint32_t)rng_below(r, MVGPU_MMIO_SIZE) & ~3u;
	return regs[rng_below(r, ARRAY_SIZE(regs))];
}

static uint32_t pick_reg_val(struct rng *r, uint32_t reg, const struct res *dma)
{
	uint32_t in_ch = reg >= MVGPU_REG_CH_BASE && reg < MVGPU_REG_CH(4, 0) ?
			 (reg - MVGPU_REG_CH_BASE) % MVGPU_REG_CH_STRIDE : 0xffff;

	if (rng_chance(r, 1, 4))
		return sf_pick_u32(r);
	switch (reg) {
	case MVGPU_REG_RESET:
		return rng_chance(r, 3, 4) ? MVGPU_RESET_MAGIC : sf_pick_u32(r);
	case MVGPU_REG_INTR_MASK:
	case MVGPU_REG_INTR_ACK:
		return rng_chance(r, 1, 2) ? MVGPU_INTR_ALL : (uint32_t)rng_next(r);
	case MVGPU_REG_DISP_WIDTH:
		return (uint32_t)rng_below(r, 4000);
	case MVGPU_REG_DISP_HEIGHT:
		return (uint32_t)rng_below(r, 2200);
	case MVGPU_REG_DISP_STRIDE:
		return rng_chance(r, 1, 3) ? 0xfffffffc : (uint32_t)rng_below(r, 16000) * 4;
	case MVGPU_REG_DISP_FORMAT:
		return rng_chance(r, 3, 4) ? MVGPU_FMT_XRGB8888 : sf_pick_u32(r);
	case MVGPU_REG_DISP_OFFSET:
		return rng_chance(r, 1, 2) ? 0 : (uint32_t)rng_below(r, 1u << 27) & ~3u;
	case MVGPU_REG_DISP_ENABLE:
		return (uint32_t)rng_below(r, 3);
	}
	switch (in_ch) {
	case MVGPU_CH_RING_BASE_LO:
		if (dma && rng_chance(r, 3, 4))
			return (uint32_t)(dma->iova + (rng_below(r, dma->len) & ~4095ull));
		return sf_pick_u32(r);
	case MVGPU_CH_RING_BASE_HI:
		return dma && rng_chance(r, 3, 4) ? (uint32_t)(dma->iova >> 32)
						  : sf_pick_u32(r);
	case MVGPU_CH_RING_SIZE:
		return rng_chance(r, 3, 4) ? 4096u << rng_below(r, 9) : sf_pick_u32(r);
	case MVGPU_CH_CTRL:
		return (uint32_t)rng_below(r, 4);
	case MVGPU_CH_PUT:
		return rng_chance(r, 3, 4) ? (uint32_t)rng_below(r, 32768) * 32
					   : sf_pick_u32(r);
	}
	return sf_pick_u32(r);
}

SF_OP(mmio)
{
	struct rng r;
	uint32_t words[64], reg;
	unsigned n;
	int fd = op->r[0]->fd;
	ssize_t ret;

	rng_seed(&r, op->a[SF_ASEED]);
	switch (op->a[1] % 8) {
	case 5:		/* a block of registers in one write */
		n = 1 + (unsigned)rng_below(&r, 64);
		reg = rng_chance(&r, 1, 2) ? MVGPU_REG_CH(rng_below(&r, 4), 0)
					   : (uint32_t)rng_below(&r, 0x1500) & ~3u;
		for (unsigned i = 0; i < n; i++)
			words[i] = pick_reg_val(&r, reg + 4 * i, op->r[1]);
		ret = pwrite(fd, words, 4 * n, (off_t)(sf_region_off(0) + reg));
		return ret < 0 ? -errno : 0;
	case 6:		/* reads */
		n = 1 + (unsigned)rng_below(&r, 64);
		reg = pick_reg(&r);
		ret = pread(fd, words, 4 * n, (off_t)(sf_region_off(0) + reg));
		return ret < 0 ? -errno : 0;
	case 7:		/* odd sizes and alignments: EINVAL */
		n = 1 + (unsigned)rng_below(&r, 7);
		reg = (uint32_t)sf_pick_off(&r, MVGPU_MMIO_SIZE);
		if (op->a[2] & 1)
			ret = pwrite(fd, words, n, (off_t)(sf_region_off(0) + reg));
		else
			ret = pread(fd, words, n, (off_t)(sf_region_off(0) + reg));
		return ret < 0 ? -errno : 0;
	}
	/* a few single registers */
	n = 1 + (unsigned)rng_below(&r, 4);
	for (unsigned i = 0; i < n; i++) {
		reg = pick_reg(&r);
		ret = reg_write(fd, reg, pick_reg_val(&r, reg, op->r[1]));
		if (ret)
			return (int)ret;
	}
	return 0;
}

SF_OP(cfg)
{
	static const uint32_t offs[] = { 0x00, 0x04, 0x04, 0x04, 0x06, 0x06,
					 0x0c, 0x0d, 0x10, 0x14, 0x18, 0x1c,
					 0x20, 0x24, 0x2c, 0x30, 0x34, 0x3c,
					 0x3d, 0x50, 0x52, 0x52, 0x54, 0x58,
					 0x5c, 0x60, 0x64, 0xfc, 0xff };
	static const unsigned lens[] = { 1, 2, 2, 4, 4, 4, 8, 3 };
	struct rng r;
	uint8_t v[512];
	uint32_t off;
	size_t len;
	ssize_t ret;
	int fd = op->r[0]->fd;

	(void)t;
	rng_seed(&r, op->a[SF_ASEED]);
	off = op->a[1] % 8 ? offs[(op->a[1] >> 8) % ARRAY_SIZE(offs)]
			   : (uint32_t)sf_pick_off(&r, 256);
	len = op->a[2] % 8 ? lens[(op->a[2] >> 8) % ARRAY_SIZE(lens)]
			   : (size_t)sf_pick_size(&r, sizeof(v));
	sf_fill(&r, v, sizeof(v));
	switch (op->a[3] % 6) {
	case 0: memset(v, 0xff, len); break;		/* BAR sizing */
	case 1: memset(v, 0, len); break;
	case 2:			/* command: the writable bits, INTx disable */
		v[0] = (uint8_t)(rng_next(&r) & 0x46);
		v[1] = (uint8_t)(rng_next(&r) & 0x05);
		break;
	}
	if (op->a[4] & 1)
		ret = pwrite(fd, v, len, (off_t)(sf_region_off(VFIO_PCI_CONFIG_REGION_INDEX) + off));
	else
		ret = pread(fd, v, len, (off_t)(sf_region_off(VFIO_PCI_CONFIG_REGION_INDEX) + off));
	return ret < 0 ? -errno : 0;
}

SF_OP(fb_rw)
{
	struct rng r;
	uint64_t fb = fb_of(op->r[0]), off;
	size_t len;

	rng_seed(&r, op->a[SF_ASEED]);
	off = sf_pick_off(&r, fb);
	switch (op->a[1] % 6) {
	case 0: len = 4096; off &= ~4095ull; break;
	case 1: len = (size_t)sf_pick_size(&r, SF_BUF); break;
	case 2: len = SF_BUF; break;
	default: len = (size_t)sf_pick_size(&r, 65536); break;
	}
	return region_io(t, op, VFIO_PCI_BAR2_REGION_INDEX, off, len,
			 op->a[2] & 1, op->a[3], &r);
}

/* ---- mappings ---------------------------------------------------------------------- */

SF_OP(mmap)
{
	struct rng r;
	unsigned region;
	uint64_t roff, size, len;
	int prot, flags;
	void *p;
	struct res *m;

	(void)t;
	rng_seed(&r, op->a[SF_ASEED]);
	switch (op->a[1] % 20) {
	case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7:
	case 8: case 9: case 10: case 11:
		region = VFIO_PCI_BAR2_REGION_INDEX;
		size = fb_of(op->r[0]);
		break;
	case 12: case 13: case 14: case 15: case 16:
		region = SF_V1_REGION;
		size = SF_V1_DATA + SF_V1_AREA;
		break;
	default:
		region = (unsigned)(op->a[2] % 12);
		size = region_size(op->r[0], region);
		break;
	}
	switch (op->a[3] % 6) {
	case 0: roff = 0; break;
	case 1: roff = size - 4096; break;
	case 2: roff = sf_pick_off(&r, size) & ~4095ull; break;
	default:
		roff = rng_below(&r, size / 4096) * 4096;
		if (region == SF_V1_REGION && op->a[3] % 6 > 3)
			roff = SF_V1_DATA + rng_below(&r, SF_V1_AREA / 4096) * 4096;
		break;
	}
	switch (op->a[4] % 6) {
	case 0: len = 4096; break;
	case 1: len = size > roff ? size - roff : 4096; break;	/* to the end */
	case 2: len = (size > roff ? size - roff : 0) + 4096; break;	/* past it */
	case 3: len = 65536; break;
	default: len = (1 + rng_below(&r, 256)) * 4096; break;
	}
	if (len > (256u << 20))
		len = 256u << 20;
	prot = op->a[5] % 8 ? PROT_READ | PROT_WRITE :
	       (op->a[5] >> 8) % 2 ? PROT_READ : PROT_NONE;
	flags = op->a[5] % 16 == 15 ? MAP_PRIVATE : MAP_SHARED;
	p = sf_mmap(NULL, len, prot, flags, op->r[0]->fd,
		 (off_t)(sf_region_off(region) + roff));
	if (p == MAP_FAILED)
		return -errno;
	if (op->a[2] % 4 == 0)		/* touch it right away */
		sf_touch(t, p, len < 65536 ? len : 65536, prot & PROT_WRITE,
			 (uint8_t)op->a[2]);
	res_make_room(R_MAP, op->r[0]->vgpu, 6);
	m = res_new(R_MAP, op->r[0]->vgpu);
	m->addr = p;
	m->len = len;
	m->region = region;
	m->roff = roff;
	m->prot = prot;
	res_add(m, sf_new_id(op, 0));
	return 0;
}

SF_OP(map_touch)
{
	struct rng r;
	struct res *m = op->r[0];
	size_t off, len;
	uint8_t *p;

	rng_seed(&r, op->a[SF_ASEED]);
	off = (size_t)rng_below(&r, m->len);
	len = (size_t)sf_pick_size(&r, m->len - off);
	p = (uint8_t *)m->addr + off;
	switch (op->a[1] % 10) {
	case 0:
		return madvise((void *)((uintptr_t)p & ~4095ul),
			       len ? len : 4096, MADV_DONTNEED) ? -errno : 0;
	case 1:
		return msync((void *)((uintptr_t)p & ~4095ul), len ? len : 4096,
			     MS_SYNC | (op->a[2] & 1 ? MS_INVALIDATE : 0)) ? -errno : 0;
	case 2:
		if (mprotect(m->addr, m->len, PROT_READ))
			return -errno;
		sf_touch(t, p, len, true, 1);	/* SIGSEGV, caught */
		return mprotect(m->addr, m->len, m->prot) ? -errno : 0;
	case 3: case 4: case 5:
		return sf_touch(t, p, len, false, 0) ? 0 : -EFAULT;
	}
	return sf_touch(t, p, len, true, (uint8_t)op->a[2]) ? 0 : -EFAULT;
}

SF_OP(munmap)
{
	(void)t;
	res_kill(op->r[0]);
	return 0;
}

/* ---- DMA and channels ---------------------------------------------------------------- */

static uint64_t pick_iova(struct rng *r, uint64_t a, uint64_t len)
{
	switch (a % 20) {
	case 0: case 1: return 0;
	case 2: return rng_below(r, 1ull << 39) & ~4095ull;
	case 3: return (1ull << 48) - len;
	case 4: return rng_next(r);			/* unaligned, anything */
	}
	return 0x100000000ull + rng_below(r, 16) * 0x400000;
}

SF_OP(dma_map)
{
	static const size_t sizes[] = { 4096, 8192, 16384, 65536, 262144,
					1 << 20, 2 << 20 };
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	struct rng r;
	struct res *g = op->r[0], *d;
	size_t len = sizes[op->a[1] % ARRAY_SIZE(sizes)];
	void *p;
	bool borrowed = false;
	int vg = g->vgpu, ret;

	(void)t;
	rng_seed(&r, op->a[SF_ASEED]);
	if (op->a[2] % 10 == 0 && op->r[1] && op->r[1]->vgpu == vg) {
		/* DMA into a mapping of a device region: the device reads itself */
		p = op->r[1]->addr;
		len = op->r[1]->len & ~4095ul;
		borrowed = true;
	} else {
		res_make_room(R_DMA, vg, 6);
		p = sf_dma_alloc(len);
		if (!p)
			return -ENOMEM;
		sf_fill(&r, p, op->a[2] % 2 ? 4096 : len);
	}
	map.vaddr = (uint64_t)(uintptr_t)p;
	map.size = len;
	map.iova = pick_iova(&r, op->a[3], len);
	map.flags = op->a[4] % 10 < 8 ? VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE :
		    op->a[4] % 10 == 8 ? VFIO_DMA_MAP_FLAG_READ : sf_pick_u32(&r);
	res_make_room(R_DMA, vg, 6);
	sf_container_enter();
	ret = ioctl(g->fd2, VFIO_IOMMU_MAP_DMA, &map);
	sf_container_leave();
	if (ret) {
		int e = -errno;

		if (!borrowed)
			sf_dma_free(p);
		return e;
	}
	d = res_new(R_DMA, vg);
	d->addr = p;
	d->len = len;
	d->iova = map.iova;
	d->borrowed = borrowed;
	if (borrowed) {		/* the mapping stays while the DMA buffer does */
		pthread_mutex_lock(&sf.lock);
		op->r[1]->users++;
		pthread_mutex_unlock(&sf.lock);
		d->hold = op->r[1];
	}
	d->fd2 = dup(g->fd2);
	res_add(d, sf_new_id(op, 0));
	return 0;
}

SF_OP(dma_unmap)
{
	struct vfio_iommu_type1_dma_unmap um = { .argsz = sizeof(um) };
	struct vfio_iommu_type1_dirty_bitmap db = { .argsz = sizeof(db) };
	struct rng r;
	struct res *d = op->r[0];

	int ret;

	(void)t;
	rng_seed(&r, op->a[SF_ASEED]);
	if (op->a[1] % 10 < 3) {
		switch (op->a[1] % 10) {
		case 0:		/* everything in the container, behind the table's back */
			um.flags = VFIO_DMA_UNMAP_FLAG_ALL;
			break;
		case 1:		/* half of it */
			um.iova = d->iova;
			um.size = d->len / 2;
			break;
		default:	/* dirty tracking on and off */
			db.flags = op->a[2] % 3 == 0 ? VFIO_IOMMU_DIRTY_PAGES_FLAG_START :
				   op->a[2] % 3 == 1 ? VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP :
				   (uint32_t)sf_pick_u32(&r);
		}
		sf_container_enter();
		ret = op->a[1] % 10 < 2 ? xioctl(d->fd2, VFIO_IOMMU_UNMAP_DMA, &um)
					: xioctl(d->fd2, VFIO_IOMMU_DIRTY_PAGES, &db);
		sf_container_leave();
		return ret;
	}
	res_kill(d);
	return 0;
}

/* A command: valid, half-valid (one field off) or junk. */
static void gen_cmd(struct rng *r, uint64_t fb, const struct res *dma,
		    struct mvgpu_cmd *c)
{
	uint64_t len, off, src, iova;
	uint32_t opc;

	switch (rng_below(r, 20)) {
	case 0: opc = MVGPU_OP_NOP; break;
	case 1: case 2: case 3: case 4: case 5: opc = MVGPU_OP_FILL; break;
	case 6: case 7: case 8: case 9: opc = MVGPU_OP_COPY; break;
	case 10: case 11: case 12: opc = MVGPU_OP_DMA_TO_FB; break;
	case 13: case 14: case 15: opc = MVGPU_OP_DMA_FROM_FB; break;
	case 16: case 17: case 18: opc = MVGPU_OP_FENCE; break;
	default: opc = 6 + (uint32_t)rng_below(r, 8); break;
	}
	switch (rng_below(r, 64)) {
	case 0: len = fb; break;			/* the whole framebuffer */
	case 1: len = 256 * 1024 + 4; break;
	case 2: len = (uint64_t)rng_below(r, 4 << 20) & ~3ull; break;
	case 3: len = sf_pick_u64(r); break;		/* junk */
	case 4: len = 0; break;
	default: len = 4 * (1 + rng_below(r, 16384)); break;
	}
	if (len > fb && rng_chance(r, 3, 4))
		len = fb;
	off = rng_below(r, fb - (len < fb ? len : fb) + 1) & ~3ull;
	src = rng_below(r, fb - (len < fb ? len : fb) + 1) & ~3ull;
	if (dma && dma->len && rng_chance(r, 4, 5)) {
		if (len > dma->len && opc != MVGPU_OP_FILL && opc != MVGPU_OP_COPY)
			len = dma->len & ~3ull;
		iova = dma->iova + rng_below(r, dma->len - (len < dma->len ? len : 0) + 1);
	} else {
		iova = rng_chance(r, 1, 2) ? 0xdead0000ull : sf_pick_u64(r);
	}
	memset(c, 0, sizeof(*c));
	c->op = opc;
	switch (opc) {
	case MVGPU_OP_FILL:
		c->a = off;
		c->b = len;
		c->c = rng_next(r);
		break;
	case MVGPU_OP_COPY:
		c->a = src;
		c->b = rng_chance(r, 1, 3) ? src + 4 * rng_below(r, 64) : off;	/* overlap */
		c->c = len;
		break;
	case MVGPU_OP_DMA_TO_FB:
		c->a = iova;
		c->b = off;
		c->c = len;
		break;
	case MVGPU_OP_DMA_FROM_FB:
		c->a = off;
		c->b = iova;
		c->c = len;
		break;
	case MVGPU_OP_FENCE:
		c->flags = (uint32_t)rng_below(r, 4);
		c->a = rng_next(r);
		c->b = iova & ~3ull;
		break;
	default:
		c->a = rng_next(r);
		c->b = rng_next(r);
		c->c = rng_next(r);
	}
	/* half-valid: one field a little off */
	switch (rng_below(r, 12)) {
	case 0: c->a += rng_chance(r, 1, 2) ? 1 : 4096; break;
	case 1: c->b -= 4; break;
	case 2: c->c += 4; break;
	case 3: c->flags ^= 1u << rng_below(r, 32); break;
	}
}

/* Commands into a ring in DMA memory (maybe a read-only device mapping). */
static void ring_fill(struct thr *t, struct rng *r, uint8_t *ring, uint32_t size,
		      uint32_t put, unsigned n, uint64_t fb,
		      const struct res *dma)
{
	for (unsigned i = 0; i < n; i++) {
		struct mvgpu_cmd c;

		gen_cmd(r, fb, dma, &c);
		if (!sf_copy_guarded(t, ring + (put % size), &c, sizeof(c)))
			return;
		put = (put + MVGPU_CMD_SIZE) % size;
	}
}

SF_OP(ring_setup)
{
	struct rng r;
	struct res *dev = op->r[0], *dma = op->r[1];
	unsigned ch = (unsigned)(op->a[1] % 4), n = 0;
	uint32_t size, put = 0;
	uint64_t base, off = 0;
	int fd = dev->fd;
	bool in_dma = false;

	(void)t;
	rng_seed(&r, op->a[SF_ASEED]);
	if (op->a[2] % 5)
		reg_write(fd, MVGPU_REG_CH(ch, MVGPU_CH_CTRL), MVGPU_CH_CTRL_RESET);
	size = 4096u << rng_below(&r, 9);
	if (dma && size > dma->len)
		size = (uint32_t)(dma->len >= 4096 ? dma->len & ~4095ul : 4096);
	while (size & (size - 1))
		size &= size - 1;
	if (op->a[3] % 10 == 0)
		size = sf_pick_u32(&r);
	if (dma && op->a[4] % 10 < 8 && size >= 4096 && !(size & (size - 1)) &&
	    size <= dma->len) {
		off = rng_below(&r, (dma->len - size) / 4096 + 1) * 4096;
		base = dma->iova + off;
		in_dma = true;
	} else {
		base = op->a[4] % 2 ? sf_pick_u64(&r) : 0xdead0000ull;
	}
	reg_write(fd, MVGPU_REG_CH(ch, MVGPU_CH_RING_BASE_LO), (uint32_t)base);
	reg_write(fd, MVGPU_REG_CH(ch, MVGPU_CH_RING_BASE_HI), (uint32_t)(base >> 32));
	reg_write(fd, MVGPU_REG_CH(ch, MVGPU_CH_RING_SIZE), size);
	if (in_dma) {
		n = (unsigned)rng_below(&r, 17);
		ring_fill(t, &r, (uint8_t *)dma->addr + off, size, 0, n,
			  fb_of(dev), dma);
		put = (uint32_t)(n * MVGPU_CMD_SIZE) % size;
	}
	if (op->a[5] % 10)
		reg_write(fd, MVGPU_REG_CH(ch, MVGPU_CH_CTRL), MVGPU_CH_CTRL_ENABLE);
	if (op->a[5] % 7 == 0)
		put = sf_pick_u32(&r);
	reg_write(fd, MVGPU_REG_CH(ch, MVGPU_CH_PUT), put);
	if (dev->vgpu >= 0 && in_dma) {
		pthread_mutex_lock(&sf.lock);
		sf.vs[dev->vgpu].ch[ch] = (struct chan_shadow){
			.dma_id = dma->id, .off = off, .size = size, .put = put };
		pthread_mutex_unlock(&sf.lock);
	}
	return 0;
}

SF_OP(ring_submit)
{
	struct rng r;
	struct res *dev = op->r[0], *dma = op->r[1];
	unsigned ch = (unsigned)(op->a[1] % 4), n;
	struct chan_shadow s = { 0 };
	int fd = dev->fd;

	(void)t;
	rng_seed(&r, op->a[SF_ASEED]);
	if (dev->vgpu >= 0) {
		pthread_mutex_lock(&sf.lock);
		s = sf.vs[dev->vgpu].ch[ch];
		pthread_mutex_unlock(&sf.lock);
	}
	if (s.dma_id != dma->id || s.off + s.size > dma->len || !s.size) {
		/* not this channel's ring (any more): write where it might be */
		s.off = 0;
		s.size = dma->len >= 65536 ? 65536 : 4096;
		s.put = (uint32_t)rng_below(&r, s.size / 32) * 32;
	}
	if (op->a[2] % 4 == 0)		/* follow the device's PUT */
		s.put = reg_read(fd, MVGPU_REG_CH(ch, MVGPU_CH_PUT)) % s.size & ~31u;
	n = 1 + (unsigned)rng_below(&r, 16);
	ring_fill(t, &r, (uint8_t *)dma->addr + s.off, s.size, s.put, n, fb_of(dev),
		  op->r[2] ? op->r[2] : dma);
	s.put = (uint32_t)(s.put + n * MVGPU_CMD_SIZE) % s.size;
	reg_write(fd, MVGPU_REG_CH(ch, MVGPU_CH_PUT),
		  op->a[3] % 10 ? s.put : sf_pick_u32(&r));
	if (dev->vgpu >= 0) {
		pthread_mutex_lock(&sf.lock);
		if (sf.vs[dev->vgpu].ch[ch].dma_id == dma->id)
			sf.vs[dev->vgpu].ch[ch].put = s.put;
		pthread_mutex_unlock(&sf.lock);
	}
	if (op->a[4] % 4 == 0)		/* wait a moment for the processor */
		sf_sleep_us(op->a[4] % 5000);
	return 0;
}

SF_OP(chan_ctrl)
{
	struct rng r;
	unsigned ch = (unsigned)(op->a[1] % 4);
	int fd = op->r[0]->fd;

	(void)t;
	rng_seed(&r, op->a[SF_ASEED]);
	switch (op->a[2] % 8) {
	case 0: return reg_write(fd, MVGPU_REG_CH(ch, MVGPU_CH_CTRL), MVGPU_CH_CTRL_RESET);
	case 1: return reg_write(fd, MVGPU_REG_CH(ch, MVGPU_CH_CTRL), 0);
	case 2: return reg_write(fd, MVGPU_REG_CH(ch, MVGPU_CH_CTRL), MVGPU_CH_CTRL_ENABLE);
	case 3: return reg_write(fd, MVGPU_REG_CH(ch, MVGPU_CH_PUT), sf_pick_u32(&r));
	case 4:
		reg_write(fd, MVGPU_REG_INTR_MASK, MVGPU_INTR_ALL);
		return reg_write(fd, MVGPU_REG_INTR_ACK, reg_read(fd, MVGPU_REG_INTR_STATUS));
	default: {
		uint32_t regs[10];

		return pread(fd, regs, sizeof(regs),
			     (off_t)(sf_region_off(0) + MVGPU_REG_CH(ch, 0))) < 0 ? -errno : 0;
	}
	}
}
