/*
 * dma.c - DMA memory: anonymous memory mapped into the vGPU's IOMMU
 * container at IOVAs the library chooses (first fit from
 * MVGPU_DMA_IOVA_BASE, one unmapped guard page between buffers).
 */
#include <errno.h>
#include <linux/vfio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "device.h"

#define DMA_MAX_BYTES	(1ull << 30)

int mvgpu__iova_find(const struct mvgpu__dma_map *maps, size_t n,
		     uint64_t base, uint64_t limit, uint64_t len,
		     uint64_t guard, uint64_t *out)
{
	uint64_t cand = (base + MVGPU__PAGE - 1) & ~(uint64_t)(MVGPU__PAGE - 1);
	size_t i;

	/* All addresses are below 2^63 (limit is), so sums cannot wrap. */
	if (!len || limit > (1ull << 62) || guard > (1ull << 62))
		return -ENOSPC;
	for (i = 0; i < n && cand <= limit; i++) {
		uint64_t end = maps[i].iova + maps[i].len;

		if (end + guard <= cand)
			continue;	/* below the candidate, guard included */
		if (cand + len + guard <= maps[i].iova)
			break;		/* fits before this one */
		cand = end + guard;
	}
	if (cand > limit || limit - cand < len)
		return -ENOSPC;
	*out = cand;
	return 0;
}

static int maps_insert(mvgpu_dev *dev, const struct mvgpu__dma_map *m)
{
	size_t i;

	if (dev->nmaps == dev->maps_cap) {
		size_t cap = dev->maps_cap ? dev->maps_cap * 2 : 16;
		struct mvgpu__dma_map *p = realloc(dev->maps, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		dev->maps = p;
		dev->maps_cap = cap;
	}
	for (i = dev->nmaps; i > 0 && dev->maps[i - 1].iova > m->iova; i--)
		dev->maps[i] = dev->maps[i - 1];
	dev->maps[i] = *m;
	dev->nmaps++;
	return 0;
}

int mvgpu_dma_alloc(mvgpu_dev *dev, size_t size, mvgpu_dma *out)
{
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	struct mvgpu__dma_map m;
	uint64_t len, iova;
	void *va;
	int ret;

	if (!dev || !out || size == 0 || size > DMA_MAX_BYTES)
		return -EINVAL;
	len = ((uint64_t)size + MVGPU__PAGE - 1) & ~(uint64_t)(MVGPU__PAGE - 1);
	ret = mvgpu__iova_find(dev->maps, dev->nmaps, MVGPU_DMA_IOVA_BASE,
			       MVGPU_DMA_IOVA_LIMIT, len, MVGPU__PAGE, &iova);
	if (ret)
		return mvgpu__err(dev->ctx, ret, "no free IOVA range for %llu bytes",
				  (unsigned long long)len);
	va = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (va == MAP_FAILED)
		return -ENOMEM;
	/* A child (fork) must not share or copy-on-write DMA pages. */
	madvise(va, (size_t)len, MADV_DONTFORK);

	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	map.vaddr = (uintptr_t)va;
	map.iova = iova;
	map.size = len;
	if (ioctl(dev->container, VFIO_IOMMU_MAP_DMA, &map)) {
		ret = -errno;
		munmap(va, (size_t)len);
		return mvgpu__err(dev->ctx, ret,
				  "VFIO_IOMMU_MAP_DMA(iova 0x%llx, %llu bytes): %s",
				  (unsigned long long)iova,
				  (unsigned long long)len, mvgpu_strerror(ret));
	}
	m.iova = iova;
	m.len = len;
	m.va = va;
	ret = maps_insert(dev, &m);
	if (ret) {
		struct vfio_iommu_type1_dma_unmap um = {
			.argsz = sizeof(um), .iova = iova, .size = len };

		ioctl(dev->container, VFIO_IOMMU_UNMAP_DMA, &um);
		munmap(va, (size_t)len);
		return ret;
	}
	out->va = va;
	out->iova = iova;
	out->size = (size_t)len;
	return 0;
}

int mvgpu_dma_free(mvgpu_dev *dev, mvgpu_dma *buf)
{
	struct vfio_iommu_type1_dma_unmap um = { .argsz = sizeof(um) };
	size_t i;

	if (!dev || !buf)
		return -EINVAL;
	if (!buf->va && !buf->iova && !buf->size)
		return 0;
	for (i = 0; i < dev->nmaps; i++)
		if (dev->maps[i].iova == buf->iova && dev->maps[i].va == buf->va)
			break;
	if (i == dev->nmaps)
		return -EINVAL;
	um.iova = dev->maps[i].iova;
	um.size = dev->maps[i].len;
	/* Failure leaves the IOVA mapped; the memory stays pinned by the
	 * IOMMU driver until the container closes, so munmap is still safe. */
	ioctl(dev->container, VFIO_IOMMU_UNMAP_DMA, &um);
	munmap(dev->maps[i].va, (size_t)dev->maps[i].len);
	memmove(&dev->maps[i], &dev->maps[i + 1],
		(dev->nmaps - i - 1) * sizeof(dev->maps[0]));
	dev->nmaps--;
	memset(buf, 0, sizeof(*buf));
	return 0;
}
