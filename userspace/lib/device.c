/*
 * device.c - open an mvgpu vGPU through VFIO and reach its registers,
 * framebuffer and interrupts.  DMA memory is in dma.c, channels in
 * channel.c.
 *
 * Everything the kernel reports about the device (region layout, capability
 * chains, register values) is checked before use: the device is input.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "device.h"

_Static_assert(MVGPU__NUM_REGIONS == VFIO_PCI_NUM_REGIONS, "regions");
_Static_assert(MVGPU__NUM_IRQS == VFIO_PCI_NUM_IRQS, "irqs");
_Static_assert(MVGPU_IRQ_INTX == VFIO_PCI_INTX_IRQ_INDEX, "intx");
_Static_assert(MVGPU_IRQ_MSI == VFIO_PCI_MSI_IRQ_INDEX, "msi");
_Static_assert(MVGPU_IRQ_ERR == VFIO_PCI_ERR_IRQ_INDEX, "err");
_Static_assert(sizeof(struct mvgpu_cmd) == MVGPU_CMD_SIZE, "cmd size");

/* A region-info reply bigger than this is not believed. */
#define REGION_INFO_MAX	65536
#define CAP_CHAIN_MAX	32

int64_t mvgpu__now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- region access ------------------------------------------------------ */

/* pread/pwrite all of @len at @pos, continuing short transfers. */
static int xfer(int fd, void *buf, size_t len, uint64_t pos, int write)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write ?
			pwrite(fd, (char *)buf + done, len - done, (off_t)(pos + done)) :
			pread(fd, (char *)buf + done, len - done, (off_t)(pos + done));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0 || (size_t)n > len - done)
			return -EIO;
		done += (size_t)n;
	}
	return 0;
}

static int cfg_rw(mvgpu_dev *dev, unsigned off, void *val, size_t len,
		  int write)
{
	const struct mvgpu__region *r =
		&dev->regions[VFIO_PCI_CONFIG_REGION_INDEX];

	if (off + len > r->size)
		return -EINVAL;
	return xfer(dev->device, val, len, r->offset + off, write);
}

static int cfg_rd16(mvgpu_dev *dev, unsigned off, uint16_t *val)
{
	uint16_t v;
	int ret = cfg_rw(dev, off, &v, 2, 0);

	if (!ret)
		*val = le16toh(v);
	return ret;
}

static int cfg_wr16(mvgpu_dev *dev, unsigned off, uint16_t val)
{
	uint16_t v = htole16(val);

	return cfg_rw(dev, off, &v, 2, 1);
}

int mvgpu__reg_rd(mvgpu_dev *dev, uint32_t off, uint32_t *val)
{
	uint32_t v;
	int ret;

	*val = 0xffffffff;	/* what a failed PCI read returns */
	ret = xfer(dev->device, &v, 4,
		   dev->regions[VFIO_PCI_BAR0_REGION_INDEX].offset + off, 0);
	if (ret)
		return mvgpu__err(dev->ctx, ret, "reading register 0x%04x: %s",
				  off, mvgpu_strerror(ret));
	*val = le32toh(v);
	return 0;
}

int mvgpu__reg_wr(mvgpu_dev *dev, uint32_t off, uint32_t val)
{
	uint32_t v = htole32(val);
	int ret;

	ret = xfer(dev->device, &v, 4,
		   dev->regions[VFIO_PCI_BAR0_REGION_INDEX].offset + off, 1);
	if (ret)
		return mvgpu__err(dev->ctx, ret, "writing register 0x%04x: %s",
				  off, mvgpu_strerror(ret));
	return 0;
}

int mvgpu_reg_read(mvgpu_dev *dev, uint32_t off, uint32_t *val)
{
	if (!dev || !val || off % 4 || off >= MVGPU_MMIO_SIZE)
		return -EINVAL;
	return mvgpu__reg_rd(dev, off, val);
}

int mvgpu_reg_write(mvgpu_dev *dev, uint32_t off, uint32_t val)
{
	if (!dev || off % 4 || off >= MVGPU_MMIO_SIZE)
		return -EINVAL;
	return mvgpu__reg_wr(dev, off, val);
}

/* ---- opening ------------------------------------------------------------ */

/* Does the sparse-mmap capability in @ri (@len bytes) cover the region? */
static int sparse_covers(mvgpu_dev *dev, const struct vfio_region_info *ri,
			 size_t len, unsigned index, int *covers)
{
	const char *base = (const char *)ri;
	uint32_t off = ri->cap_offset;
	int hops = 0;

	*covers = -1;	/* no sparse capability: the whole region */
	if (!(ri->flags & VFIO_REGION_INFO_FLAG_CAPS))
		return 0;
	while (off) {
		const struct vfio_info_cap_header *h;

		if (off < sizeof(*ri) || off > len ||
		    len - off < sizeof(*h) || off % 4 || ++hops > CAP_CHAIN_MAX)
			return mvgpu__err(dev->ctx, -EPROTO,
					  "region %u: malformed capability chain (offset %u)",
					  index, off);
		h = (const void *)(base + off);
		if (h->id == VFIO_REGION_INFO_CAP_SPARSE_MMAP) {
			const struct vfio_region_info_cap_sparse_mmap *s =
				(const void *)h;
			uint64_t covered = 0;
			uint32_t i, round;

			if (len - off < sizeof(*s) ||
			    s->nr_areas > (len - off - sizeof(*s)) /
					  sizeof(s->areas[0]))
				return mvgpu__err(dev->ctx, -EPROTO,
						  "region %u: sparse mmap capability overruns the reply",
						  index);
			/* Extend the covered prefix until no area extends it. */
			for (round = 0; round <= s->nr_areas; round++) {
				uint64_t before = covered;

				for (i = 0; i < s->nr_areas; i++) {
					uint64_t a = s->areas[i].offset;
					uint64_t z = a + s->areas[i].size;

					if (z < a || z > ri->size)
						return mvgpu__err(dev->ctx, -EPROTO,
								  "region %u: sparse mmap area %u outside the region",
								  index, i);
					if (a <= covered && z > covered)
						covered = z;
				}
				if (covered == before)
					break;
			}
			*covers = covered >= ri->size;
			return 0;
		}
		off = h->next;
	}
	return 0;
}

static int read_region(mvgpu_dev *dev, unsigned index)
{
	struct mvgpu__region *r = &dev->regions[index];
	size_t len = sizeof(struct vfio_region_info) + 256;
	struct vfio_region_info *ri = NULL;
	int covers, ret, tries;

	for (tries = 0; tries < 3; tries++) {
		free(ri);
		ri = calloc(1, len);
		if (!ri)
			return -ENOMEM;
		ri->argsz = (uint32_t)len;
		ri->index = index;
		if (ioctl(dev->device, VFIO_DEVICE_GET_REGION_INFO, ri)) {
			ret = -errno;
			free(ri);
			return mvgpu__err(dev->ctx, ret,
					  "VFIO_DEVICE_GET_REGION_INFO(%u): %s",
					  index, mvgpu_strerror(ret));
		}
		if (ri->argsz <= len)
			break;
		if (ri->argsz > REGION_INFO_MAX)
			break;
		len = ri->argsz;	/* the capability chain needs more */
	}
	if (ri->argsz > len) {
		free(ri);
		return mvgpu__err(dev->ctx, -EPROTO,
				  "region %u: region info keeps growing", index);
	}
	if (ri->index != index || ri->offset > INT64_MAX ||
	    ri->size > INT64_MAX - ri->offset) {
		free(ri);
		return mvgpu__err(dev->ctx, -EPROTO,
				  "region %u: impossible offset/size", index);
	}
	r->offset = ri->offset;
	r->size = ri->size;
	r->flags = ri->flags;
	r->mmap_whole = 0;
	if ((ri->flags & VFIO_REGION_INFO_FLAG_MMAP) && ri->size) {
		ret = sparse_covers(dev, ri, len, index, &covers);
		if (ret) {
			free(ri);
			return ret;
		}
		r->mmap_whole = covers != 0;
	}
	free(ri);
	return 0;
}

/* Walk the PCI capability list for the MSI capability; 0 if none. */
static unsigned find_msi_cap(mvgpu_dev *dev)
{
	uint8_t ptr, hdr[2];
	int hops;

	if (cfg_rw(dev, PCI_CAPABILITY_LIST, &ptr, 1, 0))
		return 0;
	for (hops = 0; ptr >= 0x40 && hops < 48; hops++) {
		ptr &= ~3u;
		if (cfg_rw(dev, ptr, hdr, 2, 0))
			return 0;
		if (hdr[0] == PCI_CAP_ID_MSI)
			return ptr;
		ptr = hdr[1];
	}
	return 0;
}

/* What a guest driver does first: decode memory, master the bus, and
 * let INTx through.  Failures only matter if the device needs these. */
static void cfg_enable(mvgpu_dev *dev)
{
	uint16_t cmd, ctl;

	if (cfg_rd16(dev, PCI_COMMAND, &cmd) == 0) {
		cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
		cmd &= ~PCI_COMMAND_INTX_DISABLE;
		cfg_wr16(dev, PCI_COMMAND, cmd);
	}
	if (dev->msi_cap && dev->irq_fd[VFIO_PCI_MSI_IRQ_INDEX] >= 0 &&
	    cfg_rd16(dev, dev->msi_cap + PCI_MSI_FLAGS, &ctl) == 0)
		cfg_wr16(dev, dev->msi_cap + PCI_MSI_FLAGS,
			 (ctl & ~PCI_MSI_FLAGS_QSIZE) | PCI_MSI_FLAGS_ENABLE);
}

static int check_regions(mvgpu_dev *dev)
{
	const struct mvgpu__region *b0 = &dev->regions[VFIO_PCI_BAR0_REGION_INDEX];
	const struct mvgpu__region *b2 = &dev->regions[VFIO_PCI_BAR2_REGION_INDEX];
	const struct mvgpu__region *cf = &dev->regions[VFIO_PCI_CONFIG_REGION_INDEX];
	const uint32_t rw = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;

	if (b0->size < MVGPU_MMIO_SIZE || (b0->flags & rw) != rw)
		return mvgpu__err(dev->ctx, -EPROTO,
				  "BAR0 (registers) is %llu bytes, flags 0x%x: expected >= %u bytes, readable and writable (is the module's device emulation present?)",
				  (unsigned long long)b0->size, b0->flags,
				  MVGPU_MMIO_SIZE);
	if (b2->size == 0 || (b2->size & (b2->size - 1)) ||
	    (b2->flags & rw) != rw || b2->size > SIZE_MAX)
		return mvgpu__err(dev->ctx, -EPROTO,
				  "BAR2 (framebuffer) is %llu bytes, flags 0x%x: expected a power of two, readable and writable",
				  (unsigned long long)b2->size, b2->flags);
	if (cf->size < PCI_CFG_SPACE_SIZE || (cf->flags & rw) != rw)
		return mvgpu__err(dev->ctx, -EPROTO,
				  "config space region is %llu bytes, flags 0x%x",
				  (unsigned long long)cf->size, cf->flags);
	return 0;
}

static int check_identity(mvgpu_dev *dev)
{
	static const struct mvgpu_type_desc types[] = MVGPU_TYPES_INIT;
	mvgpu_dev_info *in = &dev->info;
	uint32_t id, ver, lo, hi, caps;
	uint64_t fb, bar2;
	int ret;

	if ((ret = mvgpu__reg_rd(dev, MVGPU_REG_ID, &id)) ||
	    (ret = mvgpu__reg_rd(dev, MVGPU_REG_VERSION, &ver)) ||
	    (ret = mvgpu__reg_rd(dev, MVGPU_REG_FB_SIZE_LO, &lo)) ||
	    (ret = mvgpu__reg_rd(dev, MVGPU_REG_FB_SIZE_HI, &hi)) ||
	    (ret = mvgpu__reg_rd(dev, MVGPU_REG_CAPS, &caps)))
		return ret;
	if (id != MVGPU_ID_MAGIC)
		return mvgpu__err(dev->ctx, -EPROTO,
				  "register ID reads 0x%08x, expected 0x%08x: not an mvgpu device (or no device emulation)",
				  id, MVGPU_ID_MAGIC);
	if (ver >> 16 != MVGPU_ABI_MAJOR)
		return mvgpu__err(dev->ctx, -EPROTO,
				  "device ABI %u.%u, this library speaks %u.x",
				  ver >> 16, ver & 0xffff, MVGPU_ABI_MAJOR);
	fb = (uint64_t)hi << 32 | lo;
	bar2 = dev->regions[VFIO_PCI_BAR2_REGION_INDEX].size;
	/* BAR2 is the framebuffer rounded up to a power of two (ABI 1.2) */
	if (!fb || fb % (1u << 20) || fb > bar2 || bar2 / 2 >= fb)
		return mvgpu__err(dev->ctx, -EPROTO,
				  "FB_SIZE register says %llu bytes, BAR2 is %llu",
				  (unsigned long long)fb, (unsigned long long)bar2);
	in->version = ver;
	in->fb_size = fb;
	in->channels = caps & 0xff;
	in->heads = (caps >> 8) & 0xff;
	in->type_index = (caps >> 16) & 0xff;
	if (in->channels < 1 || in->channels > MVGPU_NUM_CHANNELS ||
	    in->type_index >= MVGPU_NUM_TYPES ||
	    in->heads != types[in->type_index].heads ||
	    (types[in->type_index].fb_mib &&	/* 0: 1:1, any size */
	     fb != (uint64_t)types[in->type_index].fb_mib << 20))
		return mvgpu__err(dev->ctx, -EPROTO,
				  "CAPS register 0x%08x (channels %u, heads %u, type %u) does not match the ABI type table for a %llu-byte framebuffer",
				  caps, in->channels, in->heads, in->type_index,
				  (unsigned long long)fb);
	in->max_width = types[in->type_index].max_width;
	in->max_height = types[in->type_index].max_height;
	return 0;
}

static int open_vfio(mvgpu_dev *dev, const mvgpu_vgpu_info *vi)
{
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	char path[64];
	int ret, type;

	dev->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (dev->container < 0) {
		ret = errno == ENOENT || errno == ENODEV ? -ENODEV : -errno;
		return mvgpu__err(dev->ctx, ret,
				  "cannot open /dev/vfio/vfio: %s (is the vfio module loaded?)",
				  strerror(errno));
	}
	if (ioctl(dev->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		return mvgpu__err(dev->ctx, -ENODEV,
				  "/dev/vfio/vfio speaks another VFIO API version");
	if (ioctl(dev->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0)
		type = VFIO_TYPE1v2_IOMMU;
	else if (ioctl(dev->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) > 0)
		type = VFIO_TYPE1_IOMMU;
	else
		return mvgpu__err(dev->ctx, -ENODEV,
				  "VFIO offers no type1 IOMMU (modprobe vfio_iommu_type1)");

	snprintf(path, sizeof(path), "/dev/vfio/%d", vi->iommu_group);
	dev->group = open(path, O_RDWR | O_CLOEXEC);
	if (dev->group < 0) {
		ret = -errno;
		if (ret == -ENOENT)
			ret = -ENODEV;
		return mvgpu__err(dev->ctx, ret, "cannot open %s: %s%s", path,
				  strerror(errno),
				  errno == EBUSY ? " (the vGPU is open elsewhere, e.g. by a VM)" : "");
	}
	if (ioctl(dev->group, VFIO_GROUP_GET_STATUS, &gs))
		return mvgpu__err(dev->ctx, -errno, "VFIO_GROUP_GET_STATUS on %s: %s",
				  path, strerror(errno));
	if (!(gs.flags & VFIO_GROUP_FLAGS_VIABLE))
		return mvgpu__err(dev->ctx, -EPERM,
				  "IOMMU group %d is not viable: another device in it is bound to a host driver",
				  vi->iommu_group);
	if (ioctl(dev->group, VFIO_GROUP_SET_CONTAINER, &dev->container))
		return mvgpu__err(dev->ctx, -errno,
				  "VFIO_GROUP_SET_CONTAINER on %s: %s", path,
				  strerror(errno));
	if (ioctl(dev->container, VFIO_SET_IOMMU, type)) {
		if (type == VFIO_TYPE1v2_IOMMU &&
		    ioctl(dev->container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU) == 0)
			type = VFIO_TYPE1_IOMMU;
		else
			return mvgpu__err(dev->ctx, -errno,
					  "VFIO_SET_IOMMU(type1): %s",
					  strerror(errno));
	}
	dev->info.iommu_type = type;
	dev->device = ioctl(dev->group, VFIO_GROUP_GET_DEVICE_FD, vi->uuid);
	if (dev->device < 0) {
		ret = -errno;
		return mvgpu__err(dev->ctx, ret,
				  "VFIO_GROUP_GET_DEVICE_FD(%s): %s%s", vi->uuid,
				  strerror(errno),
				  ret == -EBUSY ? " (the vGPU is open elsewhere)" : "");
	}
	return 0;
}

static int read_device(mvgpu_dev *dev)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	unsigned i;
	int ret;

	if (ioctl(dev->device, VFIO_DEVICE_GET_INFO, &di))
		return mvgpu__err(dev->ctx, -errno, "VFIO_DEVICE_GET_INFO: %s",
				  strerror(errno));
	if (!(di.flags & VFIO_DEVICE_FLAGS_PCI) ||
	    di.num_regions < VFIO_PCI_NUM_REGIONS)
		return mvgpu__err(dev->ctx, -EPROTO,
				  "not a VFIO PCI device (flags 0x%x, %u regions)",
				  di.flags, di.num_regions);
	for (i = 0; i < VFIO_PCI_NUM_REGIONS; i++) {
		ret = read_region(dev, i);
		if (ret)
			return ret;
	}
	for (i = 0; i < VFIO_PCI_NUM_IRQS && i < di.num_irqs; i++) {
		struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = i };

		if (ioctl(dev->device, VFIO_DEVICE_GET_IRQ_INFO, &ii))
			return mvgpu__err(dev->ctx, -errno,
					  "VFIO_DEVICE_GET_IRQ_INFO(%u): %s", i,
					  strerror(errno));
		if (ii.index != i)
			return mvgpu__err(dev->ctx, -EPROTO,
					  "VFIO_DEVICE_GET_IRQ_INFO(%u) answered for index %u",
					  i, ii.index);
		/* INTx, MSI and ERR have at most one vector. */
		dev->irq_count[i] = ii.count > 1 && i != VFIO_PCI_MSIX_IRQ_INDEX ?
				    1 : ii.count;
		dev->info.irq_count[i] = dev->irq_count[i];
	}
	ret = check_regions(dev);
	if (ret)
		return ret;
	dev->info.fb_mmap = dev->regions[VFIO_PCI_BAR2_REGION_INDEX].mmap_whole;
	return check_identity(dev);
}

int mvgpu_dev_open(mvgpu_ctx *ctx, const char *uuid, mvgpu_dev **out)
{
	mvgpu_vgpu_info vi;
	mvgpu_dev *dev;
	unsigned i;
	int ret;

	if (!ctx || !uuid || !out)
		return -EINVAL;
	ret = mvgpu_find_vgpu(ctx, uuid, &vi);
	if (ret == -ENOENT)
		return mvgpu__err(ctx, ret, "no vGPU %s", uuid);
	if (ret)
		return ret;
	if (vi.iommu_group < 0)
		return mvgpu__err(ctx, -ENODEV,
				  "vGPU %s has no IOMMU group", vi.uuid);
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	dev->ctx = ctx;
	dev->container = dev->group = dev->device = -1;
	for (i = 0; i < MVGPU__NUM_IRQS; i++)
		dev->irq_fd[i] = -1;
	memcpy(dev->info.uuid, vi.uuid, sizeof(vi.uuid));
	dev->info.iommu_group = vi.iommu_group;

	ret = open_vfio(dev, &vi);
	if (!ret)
		ret = read_device(dev);
	if (ret) {
		mvgpu_dev_close(dev);
		return ret;
	}
	dev->msi_cap = find_msi_cap(dev);
	cfg_enable(dev);
	*out = dev;
	return 0;
}

int mvgpu__dev_adopt(mvgpu_ctx *ctx, const char *uuid, int fd,
		     mvgpu_dev **out)
{
	mvgpu_vgpu_info vi;
	mvgpu_dev *dev;
	unsigned i;
	int ret;

	ret = mvgpu_find_vgpu(ctx, uuid, &vi);
	if (ret) {
		close(fd);
		return ret;
	}
	dev = calloc(1, sizeof(*dev));
	if (!dev) {
		close(fd);
		return -ENOMEM;
	}
	dev->ctx = ctx;
	dev->container = dev->group = -1;
	dev->device = fd;
	dev->borrowed = 1;
	for (i = 0; i < MVGPU__NUM_IRQS; i++)
		dev->irq_fd[i] = -1;
	memcpy(dev->info.uuid, vi.uuid, sizeof(vi.uuid));
	dev->info.iommu_group = vi.iommu_group;
	ret = read_device(dev);
	if (ret) {
		mvgpu_dev_close(dev);
		return ret;
	}
	*out = dev;
	return 0;
}

void mvgpu_dev_close(mvgpu_dev *dev)
{
	unsigned i;

	if (!dev)
		return;
	for (i = 0; i < MVGPU_NUM_CHANNELS; i++)
		mvgpu_chan_close(dev->chans[i]);
	if (dev->device >= 0 && !dev->borrowed)
		for (i = 0; i < MVGPU__NUM_IRQS; i++)
			mvgpu_irq_disable(dev, i);
	while (dev->nmaps) {
		mvgpu_dma d = { .va = dev->maps[0].va,
				.iova = dev->maps[0].iova,
				.size = dev->maps[0].len };

		if (mvgpu_dma_free(dev, &d))
			break;	/* cannot happen; don't loop */
	}
	free(dev->maps);
	if (dev->fb)
		munmap(dev->fb, dev->info.fb_size);
	if (dev->device >= 0)
		close(dev->device);
	if (dev->group >= 0) {
		ioctl(dev->group, VFIO_GROUP_UNSET_CONTAINER);
		close(dev->group);
	}
	if (dev->container >= 0)
		close(dev->container);
	free(dev);
}

const mvgpu_dev_info *mvgpu_dev_get_info(const mvgpu_dev *dev)
{
	return &dev->info;
}

int mvgpu_dev_fd(const mvgpu_dev *dev)
{
	return dev->device;
}

const mvgpu_dev_stats *mvgpu_dev_stats_get(const mvgpu_dev *dev)
{
	return &dev->stats;
}

int mvgpu_dev_region(const mvgpu_dev *dev, unsigned index, uint64_t *offset,
		     uint64_t *size, uint32_t *flags)
{
	if (!dev || index >= MVGPU__NUM_REGIONS)
		return -EINVAL;
	if (offset)
		*offset = dev->regions[index].offset;
	if (size)
		*size = dev->regions[index].size;
	if (flags)
		*flags = dev->regions[index].flags;
	return 0;
}

int mvgpu_dev_reset(mvgpu_dev *dev, int how)
{
	unsigned i;
	int ret;

	if (!dev)
		return -EINVAL;
	if (how == MVGPU_RESET_VFIO) {
		if (ioctl(dev->device, VFIO_DEVICE_RESET))
			return mvgpu__err(dev->ctx, -errno,
					  "VFIO_DEVICE_RESET: %s",
					  strerror(errno));
	} else if (how == MVGPU_RESET_REG) {
		ret = mvgpu__reg_wr(dev, MVGPU_REG_RESET, MVGPU_RESET_MAGIC);
		if (ret)
			return ret;
	} else {
		return -EINVAL;
	}
	for (i = 0; i < MVGPU_NUM_CHANNELS; i++)
		if (dev->chans[i])
			dev->chans[i]->enabled = 0;
	cfg_enable(dev);
	return 0;
}

/* ---- framebuffer -------------------------------------------------------- */

int mvgpu_fb_map(mvgpu_dev *dev, void **ptr, size_t *size)
{
	const struct mvgpu__region *r;
	void *p;

	if (!dev || !ptr || !size)
		return -EINVAL;
	r = &dev->regions[VFIO_PCI_BAR2_REGION_INDEX];
	if (!dev->fb) {
		if (!r->mmap_whole)
			return mvgpu__err(dev->ctx, -ENOTSUP,
					  "the framebuffer region is not mmap-able as a whole");
		/* the framebuffer, not BAR2's tail past it (1:1 type) */
		p = mmap(NULL, (size_t)dev->info.fb_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, dev->device, (off_t)r->offset);
		if (p == MAP_FAILED)
			return mvgpu__err(dev->ctx, -errno,
					  "mmap of the framebuffer: %s",
					  strerror(errno));
		dev->fb = p;
	}
	*ptr = dev->fb;
	*size = (size_t)dev->info.fb_size;
	return 0;
}

static int fb_rw(mvgpu_dev *dev, uint64_t off, void *buf, size_t len,
		 int write)
{
	const struct mvgpu__region *r;
	int ret;

	if (!dev || (!buf && len))
		return -EINVAL;
	r = &dev->regions[VFIO_PCI_BAR2_REGION_INDEX];
	if (off > dev->info.fb_size || len > dev->info.fb_size - off)
		return mvgpu__err(dev->ctx, -EINVAL,
				  "framebuffer range 0x%llx+%zu is outside its %llu bytes",
				  (unsigned long long)off, len,
				  (unsigned long long)dev->info.fb_size);
	ret = xfer(dev->device, buf, len, r->offset + off, write);
	if (ret)
		return mvgpu__err(dev->ctx, ret,
				  "%s framebuffer 0x%llx+%zu: %s",
				  write ? "writing" : "reading",
				  (unsigned long long)off, len,
				  mvgpu_strerror(ret));
	return 0;
}

int mvgpu_fb_read(mvgpu_dev *dev, uint64_t off, void *buf, size_t len)
{
	return fb_rw(dev, off, buf, len, 0);
}

int mvgpu_fb_write(mvgpu_dev *dev, uint64_t off, const void *buf, size_t len)
{
	return fb_rw(dev, off, (void *)buf, len, 1);
}

/* ---- interrupts --------------------------------------------------------- */

static int set_irqs(mvgpu_dev *dev, unsigned index, uint32_t flags,
		    uint32_t count, int fd)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
	struct vfio_irq_set *s = (void *)buf;
	int32_t fd32 = fd;

	memset(buf, 0, sizeof(buf));
	s->argsz = sizeof(*s) + (flags & VFIO_IRQ_SET_DATA_EVENTFD ? 4 : 0);
	s->flags = flags;
	s->index = index;
	s->start = 0;
	s->count = count;
	if (flags & VFIO_IRQ_SET_DATA_EVENTFD)
		memcpy(s->data, &fd32, sizeof(fd32));
	if (ioctl(dev->device, VFIO_DEVICE_SET_IRQS, s))
		return -errno;
	return 0;
}

int mvgpu_irq_enable(mvgpu_dev *dev, unsigned index, int *efd)
{
	int fd, ret;

	if (!dev || index >= MVGPU__NUM_IRQS)
		return -EINVAL;
	if (dev->irq_fd[index] >= 0)
		goto done;
	if (!dev->irq_count[index])
		return mvgpu__err(dev->ctx, -ENOTSUP,
				  "the device has no interrupt at index %u", index);
	fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = set_irqs(dev, index, VFIO_IRQ_SET_ACTION_TRIGGER |
		       VFIO_IRQ_SET_DATA_EVENTFD, 1, fd);
	if (ret) {
		close(fd);
		return mvgpu__err(dev->ctx, ret,
				  "VFIO_DEVICE_SET_IRQS(index %u, eventfd): %s",
				  index, mvgpu_strerror(ret));
	}
	dev->irq_fd[index] = fd;
	if (index == VFIO_PCI_MSI_IRQ_INDEX)
		cfg_enable(dev);
done:
	if (efd)
		*efd = dev->irq_fd[index];
	return 0;
}

int mvgpu_irq_disable(mvgpu_dev *dev, unsigned index)
{
	uint16_t ctl;
	int ret;

	if (!dev || index >= MVGPU__NUM_IRQS)
		return -EINVAL;
	if (dev->irq_fd[index] < 0)
		return 0;
	if (index == VFIO_PCI_MSI_IRQ_INDEX && dev->msi_cap &&
	    cfg_rd16(dev, dev->msi_cap + PCI_MSI_FLAGS, &ctl) == 0)
		cfg_wr16(dev, dev->msi_cap + PCI_MSI_FLAGS,
			 ctl & ~PCI_MSI_FLAGS_ENABLE);
	ret = set_irqs(dev, index, VFIO_IRQ_SET_ACTION_TRIGGER |
		       VFIO_IRQ_SET_DATA_NONE, 0, -1);
	close(dev->irq_fd[index]);
	dev->irq_fd[index] = -1;
	if (ret)
		return mvgpu__err(dev->ctx, ret,
				  "VFIO_DEVICE_SET_IRQS(index %u, disable): %s",
				  index, mvgpu_strerror(ret));
	return 0;
}

int mvgpu_irq_unmask(mvgpu_dev *dev, unsigned index)
{
	int ret;

	if (!dev || index >= MVGPU__NUM_IRQS)
		return -EINVAL;
	ret = set_irqs(dev, index, VFIO_IRQ_SET_ACTION_UNMASK |
		       VFIO_IRQ_SET_DATA_NONE, 1, -1);
	if (ret)
		return mvgpu__err(dev->ctx, ret,
				  "VFIO_DEVICE_SET_IRQS(index %u, unmask): %s",
				  index, mvgpu_strerror(ret));
	return 0;
}

/* Poll @fd up to @timeout_ms; consume it.  @return count > 0, 0 timeout. */
static int64_t efd_wait(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int64_t deadline = timeout_ms < 0 ? -1 : mvgpu__now_ms() + timeout_ms;
	uint64_t v;

	for (;;) {
		int64_t left = deadline < 0 ? -1 : deadline - mvgpu__now_ms();
		int r;

		if (left > INT32_MAX)
			left = INT32_MAX;
		r = poll(&p, 1, deadline < 0 ? -1 : (int)(left > 0 ? left : 0));

		if (r < 0 && errno != EINTR)
			return -errno;
		if (r > 0) {
			ssize_t n = read(fd, &v, sizeof(v));

			if (n == sizeof(v))
				return (int64_t)(v > INT64_MAX ? INT64_MAX : v);
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				return -errno;
			continue;	/* someone else drained it */
		}
		if (r == 0 || (deadline >= 0 && mvgpu__now_ms() >= deadline))
			return 0;
	}
}

int mvgpu_irq_wait(mvgpu_dev *dev, unsigned index, int timeout_ms,
		   uint64_t *count)
{
	int64_t n;

	if (!dev || index >= MVGPU__NUM_IRQS)
		return -EINVAL;
	if (dev->irq_fd[index] < 0)
		return -ENOTCONN;
	n = efd_wait(dev->irq_fd[index], timeout_ms);
	if (n < 0)
		return (int)n;
	if (n == 0)
		return -ETIMEDOUT;
	if (count)
		*count = (uint64_t)n;
	return 0;
}

int mvgpu__intr_ack_all(mvgpu_dev *dev)
{
	uint32_t st;
	int ret;

	ret = mvgpu__reg_rd(dev, MVGPU_REG_INTR_STATUS, &st);
	if (ret)
		return ret;
	st &= MVGPU_INTR_ALL;
	return st ? mvgpu__reg_wr(dev, MVGPU_REG_INTR_ACK, st) : 0;
}

int mvgpu__dev_sleep(mvgpu_dev *dev, int timeout_ms)
{
	int idx = dev->irq_fd[VFIO_PCI_MSI_IRQ_INDEX] >= 0 ?
		  VFIO_PCI_MSI_IRQ_INDEX :
		  dev->irq_fd[VFIO_PCI_INTX_IRQ_INDEX] >= 0 ?
		  VFIO_PCI_INTX_IRQ_INDEX : -1;
	int64_t n;
	int ret;

	if (idx < 0) {
		poll(NULL, 0, timeout_ms);
		dev->stats.poll_wakeups++;
		return 0;
	}
	n = efd_wait(dev->irq_fd[idx], timeout_ms);
	if (n < 0)
		return (int)n;
	if (n == 0) {
		dev->stats.poll_wakeups++;
		return 0;
	}
	dev->stats.irq_wakeups++;
	/* Sources are only wake-up hints: callers re-read the registers
	 * after this, so acknowledging all of them loses nothing. */
	ret = mvgpu__intr_ack_all(dev);
	if (!ret && idx == VFIO_PCI_INTX_IRQ_INDEX)
		ret = mvgpu_irq_unmask(dev, VFIO_PCI_INTX_IRQ_INDEX);
	return ret ? ret : 1;
}
